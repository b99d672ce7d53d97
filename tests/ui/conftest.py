"""A store with the sample data imported and indicators computed, shared by the page tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from data_access.db import get_engine, make_engine, upgrade
from data_access.importer import import_paths
from data_access.recompute import recompute_store
from data_access.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def sample_store_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'sample.db'}"
    engine = make_engine(url)
    upgrade(engine)
    assert import_paths([ROOT / "sample_data" / "default"], engine=engine).ok
    recompute_store(engine=engine)
    engine.dispose()
    return url


def store_copy_with_users(sample_store_url: str, folder: Path, roles) -> tuple[str, object]:
    """A private copy of the sample store (for tests that write to it) with one test user per role
    (``t_<role>``, as in ``tests/auth/conftest.py``); (url, engine)."""
    import shutil

    from data_access import users
    from data_access.access import SYSTEM
    from tests.auth.conftest import ROLE_USERS

    shutil.copy(sample_store_url.removeprefix("sqlite:///"), folder / "store.db")
    url = f"sqlite:///{folder / 'store.db'}"
    engine = make_engine(url)
    for name in roles:
        users.create_user(engine, access=SYSTEM, username=f"t_{name}", display_name=f"Test {name}",
                          password="rätt-lösenord-" + name, grants=ROLE_USERS[name], rounds=4)  # fmt: skip
    return url, engine


@pytest.fixture
def sample_app(sample_store_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sample_store_url)
    monkeypatch.setenv("DEMO", "1")  # demo mode: the public view and a placeholder cookie key are allowed
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield sample_store_url
    get_settings.cache_clear()
    get_engine.cache_clear()
