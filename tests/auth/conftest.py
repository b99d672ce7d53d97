"""Fixtures for the login, role and access tests.

* ``sample_url``: one SQLite store per test session with the sample data
  imported and computed (the matrix tests read it; they create their own
  users, sessions and log rows, which never clash between tests).
* ``app_env``: the app's settings for AppTest runs against it — a real
  cookie key, no demo mode, fast bcrypt and no padding of login attempts.
* ``viewers``: one logged-in user per role (and a user with two roles), made
  once per session in the sample store; ``login_as(at, name)`` gives an
  AppTest a valid server-side session of that user.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data_access import users
from data_access.access import PUBLIC_VIEWER, SYSTEM, AccessContext, access_for
from data_access.db import get_engine, make_engine, upgrade
from data_access.importer import import_paths
from data_access.recompute import recompute_store
from data_access.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
COOKIE_KEY = "test-" + "k" * 43  # not a placeholder, long enough; used only by the tests
SANDARED = "Vårdcentralen Sandared"

# name → grants; every role once, a restricted and a multi-role user.
ROLE_USERS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "politiker": (("politiker", None),),
    "ledningsgrupp": (("ledningsgrupp", "1490"),),
    "processledare": (("processledare", "1490"), ("processledare", "1463")),
    "vardcentral": (("vardcentral", SANDARED),),
    "akutmottagning": (("akutmottagning", None),),
    "kommun_hsl": (("kommun_hsl", "1490"),),
    "admin": (("admin", None),),
    "ledning_och_vc": (("ledningsgrupp", "1463"), ("vardcentral", "Närhälsan Kinna")),
}


def role_viewer(name: str) -> AccessContext:
    """The access context the store gives each test user (pure: access_for)."""
    return access_for(f"t_{name}", ROLE_USERS[name])


@pytest.fixture(scope="session")
def sample_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('auth') / 'sample.db'}"
    engine = make_engine(url)
    upgrade(engine)
    assert import_paths([ROOT / "sample_data" / "default"], engine=engine).ok
    recompute_store(engine=engine)
    for name, grants in ROLE_USERS.items():
        users.create_user(engine, access=SYSTEM, username=f"t_{name}", display_name=f"Test {name}",
                          password="rätt-lösenord-" + name, grants=grants, rounds=4)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def sample_engine(sample_url):
    engine = make_engine(sample_url)
    yield engine
    engine.dispose()


def set_app_env(monkeypatch, url: str, **extra: str) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("DEMO", raising=False)
    monkeypatch.setenv("COOKIE_KEY", COOKIE_KEY)
    monkeypatch.setenv("BCRYPT_ROUNDS", "4")
    monkeypatch.setenv("LOGIN_MIN_SECONDS", "0")
    monkeypatch.delenv("PUBLIC_VIEW", raising=False)
    for k, v in extra.items():
        if v is None:
            monkeypatch.delenv(k, raising=False)
        else:
            monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.fixture
def app_env(sample_url, monkeypatch):
    set_app_env(monkeypatch, sample_url)
    yield sample_url
    get_settings.cache_clear()
    get_engine.cache_clear()


def new_session(engine, username: str, *, hours: float = 1.0) -> str:
    now = dt.datetime.now().replace(microsecond=0)
    return users.start_session(engine, username=username, expires_at=now + dt.timedelta(hours=hours))


def app_test(path: str = APP, *, sid: str | None = None, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(path, default_timeout=60)
    if sid:
        at.session_state["auth_sid"] = sid
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at


def login_as(engine, name: str | None, path: str = APP, **kw) -> AppTest:
    """An AppTest whose session belongs to test user ``name`` (None: not logged in)."""
    sid = new_session(engine, f"t_{name}") if name else None
    return app_test(path, sid=sid, **kw)


def open_page(engine, role: str, page: str, **query) -> AppTest:
    """Test user ``role`` logged in, the app run once (with the filters ``query``), then ``pages/<page>.py``;
    neither run may raise."""
    at = login_as(engine, role, query=query or None)
    at.run()
    assert not at.exception, at.exception
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


PUBLIC = PUBLIC_VIEWER
