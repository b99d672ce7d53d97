"""Shared fixtures: a fresh store on SQLite and on PostgreSQL for every test that asks for one.

PostgreSQL tests run in a schema of their own (created, migrated and dropped
per test). Without a reachable server they skip, unless ``REQUIRE_POSTGRES=1``
makes that a failure (as in CI). The same for the browser with
``REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from data_access.db import make_engine, upgrade

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
# No background warm-up of the page caches (ui/warmup.py) in tests, nor in the app servers they start: each
# test computes what it asks for, and nothing runs on after it. tests/ui/test_warmup.py turns it on.
os.environ["WARM_CACHES"] = "0"


def _postgres_available() -> str | None:
    try:
        eng = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"


_PG_PROBLEM: str | None | bool = False


def postgres_problem() -> str | None:
    global _PG_PROBLEM
    if _PG_PROBLEM is False:
        _PG_PROBLEM = _postgres_available()
    return _PG_PROBLEM  # type: ignore[return-value]


def need_postgres() -> None:
    problem = postgres_problem()
    if problem:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required (REQUIRE_POSTGRES=1) but unreachable: {problem}")
        pytest.skip(f"PostgreSQL unreachable: {problem}")


def postgres_engine(schema: str) -> Engine:
    return create_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})


@pytest.fixture
def pg_schema() -> Iterator[str]:
    need_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request, tmp_path) -> Iterator[Engine]:
    """An engine on an empty database (no schema yet), for each backend."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
        yield engine
        engine.dispose()
    else:
        schema = request.getfixturevalue("pg_schema")
        engine = postgres_engine(schema)
        yield engine
        engine.dispose()


@pytest.fixture
def store(empty_engine) -> Engine:
    """A migrated, empty store on each backend."""
    upgrade(empty_engine)
    return empty_engine


@pytest.fixture
def sqlite_store(tmp_path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()
