"""Login attempts under concurrency and a busy store, on SQLite and PostgreSQL.

* Lockout race (issue 21, item 2): "count the recent failures, decide,
  record this attempt" is one atomic step per user name, so parallel wrong
  passwords cannot all be checked as "not locked".
* A busy store (issue 21, item 5): a locked SQLite file or a PostgreSQL lock
  timeout raises :class:`data_access.users.StoreBusy`, never a failed login.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.exc import OperationalError

from data_access import users
from data_access.access import SYSTEM
from data_access.db import make_engine, upgrade
from data_access.models import LoginAttempt
from tests.conftest import postgres_engine

T0 = dt.datetime(2026, 11, 2, 9, 0, 0)
POLICY = users.LoginPolicy(max_failures=5, lockout_minutes=15, min_seconds=0)
PW = "ett-långt-lösenord"
ATTEMPTS = 30


@pytest.fixture(autouse=True)
def fast_bcrypt(monkeypatch):
    """Unknown names are checked against a dummy hash of the configured cost: keep it at the minimum."""
    from data_access.settings import get_settings

    monkeypatch.setenv("BCRYPT_ROUNDS", "4")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def add(store: Engine, name: str = "anna") -> None:
    users.create_user(store, access=SYSTEM, username=name, display_name=name, password=PW,
                      grants=(("ledningsgrupp", "1490"),), rounds=4)


def own_engine(store: Engine) -> Engine:
    """A separate engine (its own connections) on the same store as ``store``."""
    if store.dialect.name == "sqlite":
        return make_engine(store.url.render_as_string(hide_password=False))
    with store.connect() as conn:
        schema = conn.execute(text("select current_schema()")).scalar_one()
    return postgres_engine(schema)


@pytest.fixture
def engines(store) -> Iterator[list[Engine]]:
    """One engine per concurrent attempt, connected before the race starts."""
    out = [own_engine(store) for _ in range(ATTEMPTS)]
    for e in out:
        with e.connect() as conn:
            conn.execute(text("select 1"))
    yield out
    for e in out:
        e.dispose()


def failures_on_record(store: Engine, name: str) -> int:
    with store.connect() as conn:
        return conn.execute(
            select(func.count()).where(LoginAttempt.login_hash == users.login_hash(name),
                                       LoginAttempt.success.is_(False))
        ).scalar_one()


@pytest.mark.parametrize("name", ["anna", "ghost"], ids=["known", "unknown"])
def test_parallel_wrong_passwords_lock_the_name_out_after_max_failures(store, engines, name):
    """30 wrong passwords at once: at most ``max_failures`` are checked as not locked, each with the delay its
    place in line earns, and the right password right after them fails while the lockout lasts."""
    if name == "anna":
        add(store)
    barrier = threading.Barrier(ATTEMPTS)
    results: list[users.LoginResult] = []
    delays: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def attempt(engine: Engine) -> None:
        slept: list[float] = []
        try:
            barrier.wait(timeout=30)
            r = users.authenticate(engine, name, "fel-lösenord", allow_demo=False, policy=POLICY, now=T0,
                                   sleep=slept.append)
        except BaseException as exc:  # noqa: BLE001 - reported below
            with lock:
                errors.append(exc)
            return
        with lock:
            results.append(r)
            delays.extend(s for s in slept if s)

    threads = [threading.Thread(target=attempt, args=(e,)) for e in engines]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    elapsed = time.monotonic() - started
    assert not errors, errors
    assert len(results) == ATTEMPTS and not any(r.ok for r in results)
    unlocked = [r for r in results if not r.locked]
    assert len(unlocked) <= POLICY.max_failures, f"{len(unlocked)} of {ATTEMPTS} attempts were checked as unlocked"
    # serialised per name: exactly the first max_failures are checked, each later one waits the longest delay
    assert len(unlocked) == POLICY.max_failures
    assert sorted(delays) == [0.5, 1.0, 2.0, 4.0] + [8.0] * (ATTEMPTS - POLICY.max_failures)
    assert failures_on_record(store, name) == ATTEMPTS
    assert elapsed < 30, elapsed

    right = users.authenticate(store, name, PW, allow_demo=False, policy=POLICY, now=T0 + dt.timedelta(seconds=1),
                               sleep=lambda s: None)
    assert right == users.LoginResult(ok=False, locked=True)
    if name == "anna":  # the lockout ends as before: 15 minutes after the latest failure
        later = T0 + dt.timedelta(minutes=16, seconds=2)
        assert users.authenticate(store, name, PW, allow_demo=False, policy=POLICY, now=later,
                                  sleep=lambda s: None).ok


def test_parallel_attempts_on_other_names_do_not_lock_each_other(store, engines):
    """The lock is per name: 30 names tried at once, each once, are none of them locked or delayed."""
    names = [f"user{i}" for i in range(ATTEMPTS)]
    for n in names[:3]:
        add(store, n)
    barrier = threading.Barrier(ATTEMPTS)
    results: dict[str, users.LoginResult] = {}

    def attempt(engine: Engine, n: str) -> None:
        barrier.wait(timeout=30)
        results[n] = users.authenticate(engine, n, PW if n == "user0" else "fel", allow_demo=False, policy=POLICY,
                                        now=T0, sleep=lambda s: pytest.fail(f"delay {s} for {n}"))

    threads = [threading.Thread(target=attempt, args=(e, n)) for e, n in zip(engines, names, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == ATTEMPTS
    assert results.pop("user0") == users.LoginResult(ok=True, username="user0")
    assert all(r == users.LoginResult(ok=False) for r in results.values())


def test_a_success_is_recorded_as_one_attempt(store):
    """The attempt is written as a failure before the check and turned into a success after it."""
    add(store)
    assert users.authenticate(store, "anna", PW, allow_demo=False, policy=POLICY, now=T0, sleep=lambda s: None).ok
    with store.connect() as conn:
        rows = conn.execute(select(LoginAttempt.success, LoginAttempt.attempted_at)).all()
    assert [tuple(r) for r in rows] == [(True, T0)]
    assert users.recent_failures(store, "anna", policy=POLICY, now=T0 + dt.timedelta(seconds=1)) == 0


# --- a busy store ---------------------------------------------------------------


@pytest.fixture
def locked_sqlite(sqlite_store) -> Iterator[Engine]:
    """An engine with a short busy timeout on an SQLite file that another connection holds exclusively."""
    add(sqlite_store)
    path = sqlite_store.url.database
    impatient = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.2})
    holder = sqlite3.connect(path, timeout=0.2, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield impatient
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        impatient.dispose()


def test_a_locked_sqlite_store_raises_store_busy_not_a_failed_login(locked_sqlite, sqlite_store):
    started = time.monotonic()
    with pytest.raises(users.StoreBusy) as info:
        users.authenticate(locked_sqlite, "anna", PW, allow_demo=False, policy=POLICY, now=T0, sleep=lambda s: None)
    assert time.monotonic() - started < 3
    assert users.is_busy(info.value) and users.is_busy(info.value.__cause__)
    assert "anna" not in str(info.value) and PW not in str(info.value)
    assert "anna" not in users.busy_reason(info.value)
    assert failures_on_record(sqlite_store, "anna") == 0  # nothing was recorded against the name


def test_lift_lockout_on_a_locked_store_raises_store_busy(locked_sqlite):
    from data_access.access import access_for

    with pytest.raises(users.StoreBusy):
        users.lift_lockout(locked_sqlite, access=access_for("boss", [("admin", None)]), username="anna")


@pytest.fixture
def pg_store(pg_schema) -> Iterator[Engine]:
    engine = postgres_engine(pg_schema)
    upgrade(engine)
    yield engine
    engine.dispose()


def test_a_postgresql_lock_timeout_raises_store_busy(pg_store, monkeypatch):
    store = pg_store
    add(store)
    monkeypatch.setattr(users, "LOGIN_LOCK_TIMEOUT_SECONDS", 0.2)
    holder = own_engine(store)
    try:
        with holder.begin() as conn:  # e.g. a long import or maintenance holding the table
            conn.execute(text("LOCK TABLE login_attempts IN ACCESS EXCLUSIVE MODE"))
            started = time.monotonic()
            with pytest.raises(users.StoreBusy) as info:
                users.authenticate(store, "anna", PW, allow_demo=False, policy=POLICY, now=T0,
                                   sleep=lambda s: None)
            assert time.monotonic() - started < 3
        assert "LockNotAvailable" in users.busy_reason(info.value)
    finally:
        holder.dispose()
    assert failures_on_record(store, "anna") == 0
    assert users.authenticate(store, "anna", PW, allow_demo=False, policy=POLICY, now=T0, sleep=lambda s: None).ok


def test_what_counts_as_busy(sqlite_store):
    import psycopg

    locked = OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))
    assert users.is_busy(locked) and users.is_busy(users.StoreBusy("x"))
    assert users.is_busy(OperationalError("select", {}, psycopg.errors.LockNotAvailable("lock timeout")))
    assert users.is_busy(OperationalError("select", {}, psycopg.OperationalError("connection refused")))
    wrapped = RuntimeError("outer")
    wrapped.__cause__ = locked
    assert users.is_busy(wrapped)
    for not_busy in (ValueError("x"), sqlite3.OperationalError("no such table: users"),
                     OperationalError("select", {}, sqlite3.OperationalError("no such table: users")),
                     psycopg.errors.UndefinedTable("no such table"), None):
        assert not users.is_busy(not_busy), not_busy
    # a real error that is not "busy" passes through authenticate unchanged
    with sqlite_store.begin() as conn:
        conn.execute(text("DROP TABLE login_attempts"))
    with pytest.raises(OperationalError) as info:
        users.authenticate(sqlite_store, "anna", PW, allow_demo=False, policy=POLICY, now=T0, sleep=lambda s: None)
    assert not isinstance(info.value, users.StoreBusy)
