"""Users, roles and scopes, password checks with lockout, login sessions and the access log.

Everything takes an engine; what an administrator does also takes the
acting viewer's :class:`~data_access.access.AccessContext` and
:func:`~data_access.access.require`\\ s ``admin``. Returns plain values or
DataFrames, never ORM objects, and never a password hash.

Login (see ``docs/access.md``):

* :func:`authenticate` checks a password with bcrypt. An unknown, inactive
  or (outside demo mode) demo user name is checked against a dummy hash of
  the same cost, every attempt is written to ``login_attempts`` under a
  SHA-256 of the name typed, and every attempt takes at least
  ``min_seconds``: known and unknown names take the same time and get the
  same answer.
* Failed attempts since the last success within the last
  ``lockout_minutes`` add a growing delay before the check (0.5 s, 1 s,
  2 s, … up to 8 s) and, from ``max_failures`` on, lock the name out until
  fewer failures remain in that window (at most ``lockout_minutes`` after the
  latest one). The streamlit-authenticator counter is not used.
* Counting the failures, deciding and recording the attempt are one atomic
  step per name (:func:`_name_locked`: ``BEGIN IMMEDIATE`` on SQLite, a
  transaction-scoped advisory lock on PostgreSQL): the attempt is recorded
  as a failure before the password is checked and turned into a success
  afterwards, so parallel attempts queue up behind each other and at most
  ``max_failures`` of them are ever checked while the name is not locked.
* A store that is busy (locked by a long import, a lock timeout, a lost
  connection) raises :class:`StoreBusy` instead of answering; :func:`is_busy`
  tells such errors from others. The login page says "try again", never
  "wrong password".
* A session record (``auth_sessions``) is kept per login, under the SHA-256
  of a random token, and tied to the remember-me cookie it was given
  (:func:`bind_cookie`); :func:`check_session` is called on every run and
  refuses a revoked, expired or idle session and one whose user is gone,
  inactive or a demo user outside demo mode.

Command line (first administrator, password resets outside the app)::

    python -m data_access.users add USERNAME --name "Förnamn Efternamn" --role admin [--role ledningsgrupp:1490]
    python -m data_access.users password USERNAME
    python -m data_access.users list
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import bcrypt
import pandas as pd
from sqlalchemy import Engine, delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from data_access.access import (
    ADMIN,
    AKUTMOTTAGNING,
    CARE_CENTRE,
    KOMMUN_HSL,
    LEDNINGSGRUPP,
    MUNICIPALITY,
    POLITIKER,
    PROCESSLEDARE,
    ROLES,
    SCOPE_KIND,
    VARDCENTRAL,
    AccessContext,
    AccessDenied,
    access_for,
    require,
)
from data_access.db import get_engine
from data_access.models import AccessLogEntry, AuthSession, LoginAttempt, User, UserRole
from data_access.settings import get_settings

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 10
DEMO_PASSWORD = "demo"
LAST_SEEN_RESOLUTION = dt.timedelta(seconds=30)  # last_seen_at is written at most this often per session

Grant = tuple[str, str | None]


LOGIN_LOCK_TIMEOUT_SECONDS = 5.0
"""PostgreSQL: how long a login waits for a lock before :class:`StoreBusy` (SQLite: the driver's busy timeout, 5 s)."""
_PG_LOCK_CLASS = 0x6C6F6769  # "logi": first key of the per-name advisory lock, apart from any other advisory lock


class UserError(ValueError):
    """An administrator's request cannot be carried out (message in Swedish, for the page)."""


class StoreBusy(RuntimeError):
    """The store could not be used in time (locked by another writer, a lock timeout, no connection).

    Nothing was decided about the login: the caller says "try again later".
    The message names no user; the original error is the ``__cause__``.
    """


_SQLITE_BUSY_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED (and their extended codes, low byte)
_SQLITE_BUSY_TEXT = ("database is locked", "database table is locked", "database schema is locked")


def _busy_cause(exc: BaseException | None) -> BaseException | None:
    """The error in ``exc``'s chain that makes it "store busy", or None."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, StoreBusy | PoolTimeout):
            return exc
        orig = getattr(exc, "orig", None) if isinstance(exc, DBAPIError) else None
        for candidate in (orig, exc):
            if isinstance(candidate, sqlite3.OperationalError):
                code = getattr(candidate, "sqlite_errorcode", None)
                if (code is not None and (code & 0xFF) in _SQLITE_BUSY_CODES) or any(
                    t in str(candidate).lower() for t in _SQLITE_BUSY_TEXT
                ):
                    return candidate
            elif candidate is not None and _is_pg_operational(candidate):
                return candidate
        exc = exc.__cause__ or exc.__context__
    return None


def _is_pg_operational(exc: BaseException) -> bool:
    """psycopg's OperationalError: lock and statement timeouts (55P03, 57014), deadlocks and serialisation
    failures (40P01, 40001), too many connections, a server shutting down or unreachable."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a requirement
        return False
    return isinstance(exc, psycopg.OperationalError)


def is_busy(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or an error it was raised from) means "the store is busy, try again later"."""
    return _busy_cause(exc) is not None


def busy_reason(exc: BaseException | None) -> str:
    """A short description of why the store was busy, for a log line: error class and code, never the
    SQL, its parameters (they may hold a user name) or the driver's message."""
    cause = _busy_cause(exc)
    if cause is None:
        return ""
    if isinstance(cause, StoreBusy) and cause.__cause__ is not None:
        return busy_reason(cause.__cause__) or type(cause).__name__
    code = getattr(cause, "sqlite_errorname", None) or getattr(cause, "sqlstate", None)
    return f"{type(cause).__name__} ({code})" if code else type(cause).__name__


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


# --- passwords ---------------------------------------------------------------


def hash_password(password: str, *, rounds: int | None = None) -> str:
    """A bcrypt hash (``$2b$…``) of ``password``."""
    rounds = rounds or get_settings().bcrypt_rounds
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=rounds)).decode("ascii")


def check_password(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode("utf-8"), hashed.encode("ascii"))
    except (ValueError, TypeError):
        return False


@lru_cache(maxsize=4)
def _dummy_hash(rounds: int) -> str:
    """A hash of random bytes nobody knows: unknown user names are checked against it (same cost)."""
    return bcrypt.hashpw(secrets.token_bytes(24), bcrypt.gensalt(rounds=rounds)).decode("ascii")


def _rounds_of(hashed: str) -> int:
    try:
        return int(hashed.split("$")[2])
    except (IndexError, ValueError):
        return get_settings().bcrypt_rounds


def generate_password() -> str:
    """A random password of 16 characters (letters and digits, no look-alikes)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


def login_hash(username: str) -> str:
    """The key under which attempts for a typed user name are counted (the name itself is not stored)."""
    return hashlib.sha256(normalise_username(username).encode("utf-8")).hexdigest()


# --- validation --------------------------------------------------------------


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def validate_username(username: str) -> str:
    name = normalise_username(username)
    if not USERNAME_PATTERN.match(name):
        raise UserError(
            "Användarnamnet ska vara 2–64 tecken: små bokstäver a–z, siffror, punkt, bindestreck eller "
            "understreck, och börja med en bokstav eller siffra."
        )
    return name


def validate_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise UserError(f"Lösenordet ska ha minst {MIN_PASSWORD_LENGTH} tecken.")
    return password


def validate_grants(grants: Iterable[Grant]) -> list[Grant]:
    """Roles and scopes as stored: known roles, a scope exactly where the role needs one, no duplicates."""
    out: list[Grant] = []
    for role, scope in grants:
        if role not in ROLES:
            raise UserError(f"Okänd roll: {role!r}. Tillåtna roller: {', '.join(ROLES)}.")
        scope = (scope or "").strip() or None
        kind = SCOPE_KIND[role]
        if kind is None and scope is not None:
            raise UserError(f"Rollen {role} gäller hela området och har ingen avgränsning.")
        if kind == MUNICIPALITY and (scope is None or not re.fullmatch(r"\d{4}", scope)):
            raise UserError(f"Rollen {role} behöver en kommunkod (fyra siffror), t.ex. 1490.")
        if kind == CARE_CENTRE and scope is None:
            raise UserError(f"Rollen {role} behöver en vårdcentral.")
        if (role, scope) not in out:
            out.append((role, scope))
    return out


def parse_grant(text: str) -> Grant:
    """``role`` or ``role:scope`` (command line)."""
    role, _, scope = text.partition(":")
    return role.strip(), scope.strip() or None


# --- reading users -----------------------------------------------------------


@dataclass(frozen=True)
class UserInfo:
    username: str
    display_name: str
    active: bool
    demo: bool
    grants: tuple[Grant, ...]


def _grants(conn, user_id: int) -> tuple[Grant, ...]:
    rows = conn.execute(
        select(UserRole.role, UserRole.scope).where(UserRole.user_id == user_id).order_by(UserRole.id)
    ).all()
    return tuple((r, s) for r, s in rows)


def _user_row(conn, username: str):
    return conn.execute(
        select(User.id, User.username, User.display_name, User.password_hash, User.active, User.demo).where(
            User.username == normalise_username(username)
        )
    ).first()


def _may_log_in(row, *, allow_demo: bool) -> bool:
    return row is not None and bool(row.active) and (allow_demo or not row.demo)


def login_directory(engine: Engine, *, allow_demo: bool) -> dict[str, str]:
    """User name → display name of everyone who may log in now (for the login widget; no hashes)."""
    stmt = select(User.username, User.display_name).where(User.active.is_(True))
    if not allow_demo:
        stmt = stmt.where(User.demo.is_(False))
    with engine.connect() as conn:
        return {u: d for u, d in conn.execute(stmt.order_by(User.username))}


def viewer_for(engine: Engine, username: str, *, allow_demo: bool) -> AccessContext | None:
    """The access context of a user who may log in now; None otherwise."""
    with engine.connect() as conn:
        row = _user_row(conn, username)
        if not _may_log_in(row, allow_demo=allow_demo):
            return None
        return access_for(row.username, _grants(conn, row.id))


def grants_of(engine: Engine, username: str) -> tuple[Grant, ...]:
    """A user's own roles and scopes (for the account page)."""
    with engine.connect() as conn:
        row = _user_row(conn, username)
        return _grants(conn, row.id) if row is not None else ()


def display_name(engine: Engine, username: str) -> str:
    with engine.connect() as conn:
        row = _user_row(conn, username)
    return row.display_name if row is not None else username


# --- administration (admin only) ---------------------------------------------


def create_user(
    engine: Engine,
    *,
    access: AccessContext,
    username: str,
    display_name: str,
    password: str,
    grants: Iterable[Grant] = (),
    demo: bool = False,
    rounds: int | None = None,
    now: dt.datetime | None = None,
) -> None:
    require(access, "admin")
    name = validate_username(username)
    if not demo:
        validate_password(password)
    grants = validate_grants(grants)
    display_name = (display_name or "").strip() or name
    now = now or _now()
    hashed = hash_password(password, rounds=rounds)
    with engine.begin() as conn:
        if _user_row(conn, name) is not None:
            raise UserError(f"Användarnamnet {name} finns redan.")
        user_id = conn.execute(
            insert(User)
            .values(username=name, display_name=display_name[:200], password_hash=hashed, active=True, demo=demo,
                    created_at=now, updated_at=now)
            .returning(User.id)
        ).scalar_one()
        _write_grants(conn, user_id, grants)


def _write_grants(conn, user_id: int, grants: list[Grant]) -> None:
    conn.execute(delete(UserRole).where(UserRole.user_id == user_id))
    if grants:
        conn.execute(insert(UserRole), [{"user_id": user_id, "role": r, "scope": s} for r, s in grants])


def _require_user(conn, username: str):
    row = _user_row(conn, username)
    if row is None:
        raise UserError(f"Användaren {normalise_username(username)} finns inte.")
    return row


def _admins_left(conn, *, without: int) -> int:
    return conn.execute(
        select(func.count(func.distinct(User.id)))
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == ADMIN, User.active.is_(True), User.id != without)
    ).scalar_one()


def set_grants(engine: Engine, *, access: AccessContext, username: str, grants: Iterable[Grant]) -> None:
    """Replace a user's roles and scopes. The last active administrator keeps the admin role."""
    require(access, "admin")
    grants = validate_grants(grants)
    with engine.begin() as conn:
        row = _require_user(conn, username)
        if ADMIN not in {r for r, _ in grants} and ADMIN in {r for r, _ in _grants(conn, row.id)}:
            if _admins_left(conn, without=row.id) == 0:
                raise UserError("Det måste finnas minst en aktiv administratör.")
        _write_grants(conn, row.id, grants)
        conn.execute(update(User).where(User.id == row.id).values(updated_at=_now()))


def set_active(engine: Engine, *, access: AccessContext, username: str, active: bool) -> None:
    """Activate or deactivate a user; deactivation ends every session of the user at once."""
    require(access, "admin")
    now = _now()
    with engine.begin() as conn:
        row = _require_user(conn, username)
        if not active and _admins_left(conn, without=row.id) == 0 and ADMIN in {r for r, _ in _grants(conn, row.id)}:
            raise UserError("Det måste finnas minst en aktiv administratör.")
        conn.execute(update(User).where(User.id == row.id).values(active=active, updated_at=now))
        if not active:
            _revoke_where(conn, AuthSession.user_id == row.id, reason="inaktiverad", now=now)


def set_password(
    engine: Engine,
    *,
    access: AccessContext,
    username: str,
    password: str,
    rounds: int | None = None,
) -> None:
    """A new password (an administrator's reset); ends every session of the user."""
    require(access, "admin")
    validate_password(password)
    hashed = hash_password(password, rounds=rounds)
    now = _now()
    with engine.begin() as conn:
        row = _require_user(conn, username)
        conn.execute(update(User).where(User.id == row.id).values(password_hash=hashed, updated_at=now))
        _revoke_where(conn, AuthSession.user_id == row.id, reason="nytt lösen", now=now)


def revoke_user_sessions(engine: Engine, *, access: AccessContext, username: str) -> int:
    """End every session of a user (administrator); returns how many were open."""
    require(access, "admin")
    with engine.begin() as conn:
        row = _require_user(conn, username)
        return _revoke_where(conn, AuthSession.user_id == row.id, reason="admin", now=_now())


def lift_lockout(engine: Engine, *, access: AccessContext, username: str) -> int:
    """An administrator lifts a temporary lockout before it runs out; returns the failures it cleared.

    The failed attempts stay in ``login_attempts`` (they are evidence); a
    successful attempt is recorded at this moment instead, since failures
    count only after the name's last success (``_recent_failures``).
    """
    require(access, "admin")
    now = _now()
    key = login_hash(username)
    with _busy_as_store_busy(), _name_locked(engine, key) as conn:
        _require_user(conn, username)
        failures = _recent_failures(conn, key, policy=LoginPolicy.from_settings(), now=now)
        conn.execute(insert(LoginAttempt).values(login_hash=key, attempted_at=now, success=True))
    return failures


def list_users(engine: Engine, *, access: AccessContext) -> pd.DataFrame:
    """One row per user: name, display name, active, demo, roles with scopes, open sessions. No hashes."""
    require(access, "admin")
    now = _now()
    with engine.connect() as conn:
        users = conn.execute(
            select(User.id, User.username, User.display_name, User.active, User.demo, User.updated_at).order_by(
                User.username
            )
        ).all()
        grants = conn.execute(select(UserRole.user_id, UserRole.role, UserRole.scope).order_by(UserRole.id)).all()
        open_sessions = dict(
            conn.execute(
                select(AuthSession.user_id, func.count())
                .where(AuthSession.revoked_at.is_(None), AuthSession.expires_at > now)
                .group_by(AuthSession.user_id)
            ).all()
        )
    by_user: dict[int, list[Grant]] = {}
    for uid, role, scope in grants:
        by_user.setdefault(uid, []).append((role, scope))
    rows = [
        {
            "username": u.username,
            "display_name": u.display_name,
            "active": bool(u.active),
            "demo": bool(u.demo),
            "grants": tuple(by_user.get(u.id, [])),
            "open_sessions": int(open_sessions.get(u.id, 0)),
            "updated_at": u.updated_at,
        }
        for u in users
    ]
    return pd.DataFrame(
        rows, columns=["username", "display_name", "active", "demo", "grants", "open_sessions", "updated_at"]
    )


def user_info(engine: Engine, *, access: AccessContext, username: str) -> UserInfo | None:
    require(access, "admin")
    with engine.connect() as conn:
        row = _user_row(conn, username)
        if row is None:
            return None
        return UserInfo(row.username, row.display_name, bool(row.active), bool(row.demo), _grants(conn, row.id))


# --- login -------------------------------------------------------------------


@dataclass(frozen=True)
class LoginPolicy:
    """Growing delay and temporary lockout per user name typed (see the module docstring)."""

    max_failures: int = 5
    lockout_minutes: int = 15
    min_seconds: float = 0.5
    base_delay: float = 0.5
    max_delay: float = 8.0

    @classmethod
    def from_settings(cls) -> LoginPolicy:
        s = get_settings()
        return cls(max_failures=s.login_max_failures, lockout_minutes=s.login_lockout_minutes,
                   min_seconds=s.login_min_seconds)

    def delay(self, failures: int) -> float:
        """Seconds to wait before checking, after ``failures`` failed attempts in a row."""
        if failures <= 0:
            return 0.0
        return min(self.base_delay * 2 ** (failures - 1), self.max_delay)


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    username: str | None = None  # set only when ok
    locked: bool = False  # for tests and the log; never shown differently to the user


def authenticate_warm_up() -> None:
    """Make the dummy hash now, so that the first unknown name does not take longer than the rest."""
    _dummy_hash(get_settings().bcrypt_rounds)


def recent_failures(engine: Engine, username: str, *, policy: LoginPolicy, now: dt.datetime | None = None) -> int:
    """Failed attempts for the name since its last success, within the lockout window."""
    now = now or _now()
    with engine.connect() as conn:
        return _recent_failures(conn, login_hash(username), policy=policy, now=now)


def _recent_failures(conn, key: str, *, policy: LoginPolicy, now: dt.datetime) -> int:
    since = now - dt.timedelta(minutes=policy.lockout_minutes)
    last_ok = conn.execute(
        select(func.max(LoginAttempt.attempted_at)).where(
            LoginAttempt.login_hash == key, LoginAttempt.success.is_(True)
        )
    ).scalar_one()
    after = LoginAttempt.attempted_at >= since
    if last_ok is not None and last_ok >= since:
        after = LoginAttempt.attempted_at > last_ok  # a success (or an administrator's reset) clears the count
    return conn.execute(
        select(func.count()).where(
            LoginAttempt.login_hash == key, LoginAttempt.success.is_(False), after, LoginAttempt.attempted_at <= now,
        )
    ).scalar_one()


@contextmanager
def _name_locked(engine: Engine, key: str) -> Iterator:
    """A connection in a transaction that no other login attempt for ``key`` runs beside; committed at the end.

    SQLite: ``BEGIN IMMEDIATE`` takes the store's write lock at once (WAL
    mode: readers go on), waiting at most the driver's busy timeout.
    PostgreSQL: a transaction-scoped advisory lock on the name (READ
    COMMITTED, so the count that follows sees every attempt committed by
    the previous holder), waiting at most :data:`LOGIN_LOCK_TIMEOUT_SECONDS`.
    Keep the work inside short: a bcrypt check or a delay never runs here.
    """
    with engine.connect() as conn:
        dialect = conn.dialect.name
        if dialect == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif dialect == "postgresql":
            conn.execution_options(isolation_level="READ COMMITTED")
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{max(1, int(LOGIN_LOCK_TIMEOUT_SECONDS * 1000))}ms'")
            conn.execute(
                text("SELECT pg_advisory_xact_lock(CAST(:cls AS integer), CAST(:obj AS integer))"),
                {"cls": _PG_LOCK_CLASS, "obj": int.from_bytes(bytes.fromhex(key[:8]), "big", signed=True)},
            )
        yield conn
        conn.commit()


@contextmanager
def _busy_as_store_busy() -> Iterator[None]:
    """Raise :class:`StoreBusy` (from the original) for a store that is busy; other errors pass unchanged."""
    try:
        yield
    except (DBAPIError, PoolTimeout) as exc:
        if is_busy(exc):
            raise StoreBusy("Databasen är upptagen just nu.") from exc
        raise


def authenticate(
    engine: Engine,
    username: str,
    password: str,
    *,
    allow_demo: bool,
    policy: LoginPolicy | None = None,
    now: dt.datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> LoginResult:
    """Check a login attempt and record it. Same work, same time and same answer for unknown names.

    Order: one atomic step per name (:func:`_name_locked`) counts the
    recent failures, decides whether the name is locked out and records
    this attempt as a failure; then the growing delay for this name; bcrypt
    against the user's hash (or a dummy hash of the same cost); a success
    turns the recorded attempt into one; then the call, without the delay,
    is padded to ``policy.min_seconds``. A locked-out name fails even with the right
    password. Raises :class:`StoreBusy` when the store cannot be used in
    time (nothing is decided then).
    """
    policy = policy or LoginPolicy.from_settings()
    now = now or _now()
    key = login_hash(username)
    begun = time.monotonic()
    with _busy_as_store_busy(), _name_locked(engine, key) as conn:
        failures = _recent_failures(conn, key, policy=policy, now=now)
        attempt_id = conn.execute(
            insert(LoginAttempt).values(login_hash=key, attempted_at=now, success=False).returning(LoginAttempt.id)
        ).scalar_one()
        row = _user_row(conn, username)
    recorded_in = time.monotonic() - begun
    locked = failures >= policy.max_failures
    wait = policy.delay(failures)
    if wait:
        sleep(wait)
    started = time.monotonic() - recorded_in  # the padding covers recording the attempt too, not the delay
    known = _may_log_in(row, allow_demo=allow_demo)
    hashed = row.password_hash if known else _dummy_hash(_rounds_of(row.password_hash) if row else
                                                          get_settings().bcrypt_rounds)
    matches = check_password(password or "", hashed)
    ok = known and matches and not locked
    if ok:  # only a success writes again: a failure for a known name costs the same as for an unknown one
        with _busy_as_store_busy(), engine.begin() as conn:
            conn.execute(update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(success=True))
    rest = policy.min_seconds - (time.monotonic() - started)
    if rest > 0:
        sleep(rest)
    return LoginResult(ok=ok, username=row.username if ok else None, locked=locked)


# --- sessions ----------------------------------------------------------------


def start_session(
    engine: Engine,
    *,
    username: str,
    expires_at: dt.datetime,
    now: dt.datetime | None = None,
) -> str:
    """Record a new login; returns its id (SHA-256 of a random token), kept in the server-side session state."""
    now = now or _now()
    session_id = hashlib.sha256(secrets.token_bytes(32)).hexdigest()
    with engine.begin() as conn:
        row = _require_user(conn, username)
        conn.execute(
            insert(AuthSession).values(id=session_id, user_id=row.id, cookie_hash=None, created_at=now,
                                       last_seen_at=now, expires_at=expires_at, revoked_at=None)
        )
    return session_id


def bind_cookie(engine: Engine, session_id: str, cookie_hash: str) -> bool:
    """Tie a remember-me cookie (a keyed hash of its claims, made by ``ui.auth``) to a session, once."""
    if not re.fullmatch(r"[0-9a-f]{64}", cookie_hash or ""):
        raise ValueError("cookie_hash must be 64 hex digits")
    with engine.begin() as conn:
        result = conn.execute(
            update(AuthSession)
            .where(AuthSession.id == session_id, AuthSession.cookie_hash.is_(None), AuthSession.revoked_at.is_(None))
            .values(cookie_hash=cookie_hash)
        )
    return bool(result.rowcount)


def session_for_cookie(engine: Engine, cookie_hash: str | None) -> str | None:
    """The session a remember-me cookie was tied to (valid or not: :func:`check_session` decides)."""
    if not cookie_hash:
        return None
    with engine.connect() as conn:
        return conn.execute(select(AuthSession.id).where(AuthSession.cookie_hash == cookie_hash)).scalar_one_or_none()


@dataclass(frozen=True)
class SessionCheck:
    viewer: AccessContext | None  # None: not a valid session (see reason)
    username: str | None = None
    reason: str | None = None  # okänd | utloggad | utgången | inaktiv | användare


def check_session(
    engine: Engine,
    session_id: str | None,
    *,
    idle_minutes: int,
    allow_demo: bool,
    now: dt.datetime | None = None,
) -> SessionCheck:
    """The viewer of a valid session, and mark it seen; an expired or idle session is revoked on the spot."""
    if not session_id:
        return SessionCheck(None, reason="okänd")
    now = now or _now()
    with engine.begin() as conn:
        s = conn.execute(
            select(AuthSession.id, AuthSession.user_id, AuthSession.last_seen_at, AuthSession.expires_at,
                   AuthSession.revoked_at).where(AuthSession.id == session_id)
        ).first()
        if s is None:
            return SessionCheck(None, reason="okänd")
        if s.revoked_at is not None:
            return SessionCheck(None, reason="utloggad")
        if s.expires_at <= now:
            _revoke_where(conn, AuthSession.id == s.id, reason="utgången", now=now)
            return SessionCheck(None, reason="utgången")
        if s.last_seen_at + dt.timedelta(minutes=idle_minutes) <= now:
            _revoke_where(conn, AuthSession.id == s.id, reason="inaktiv", now=now)
            return SessionCheck(None, reason="inaktiv")
        user = conn.execute(
            select(User.id, User.username, User.active, User.demo).where(User.id == s.user_id)
        ).first()
        if not _may_log_in(user, allow_demo=allow_demo):
            _revoke_where(conn, AuthSession.id == s.id, reason="användare", now=now)
            return SessionCheck(None, reason="användare")
        if now - s.last_seen_at >= LAST_SEEN_RESOLUTION:
            conn.execute(update(AuthSession).where(AuthSession.id == s.id).values(last_seen_at=now))
        return SessionCheck(access_for(user.username, _grants(conn, user.id)), username=user.username)


def revoke_session(engine: Engine, session_id: str | None, *, reason: str = "utloggad",
                   now: dt.datetime | None = None) -> None:
    """Logout: the session can never be used again, whatever cookie is presented."""
    if not session_id:
        return
    with engine.begin() as conn:
        _revoke_where(conn, AuthSession.id == session_id, reason=reason, now=now or _now())


def _revoke_where(conn, condition, *, reason: str, now: dt.datetime) -> int:
    result = conn.execute(
        update(AuthSession)
        .where(condition, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoke_reason=reason[:16])
    )
    return result.rowcount or 0


# --- access log --------------------------------------------------------------

ACCESS_LOG_COLUMNS = ["logged_at", "username", "action", "what", "rows", "detail"]


def log_access(
    engine: Engine,
    *,
    access: AccessContext,
    action: str,
    what: str,
    rows: int,
    detail: str | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Write who saw (``visning``) or exported (``export``) how many person-level rows of what."""
    if not isinstance(access, AccessContext):
        raise AccessDenied("no valid viewer")
    with engine.begin() as conn:
        conn.execute(
            insert(AccessLogEntry).values(
                logged_at=now or dt.datetime.now(), username=access.user[:64], action=action[:16], what=what[:64],
                rows=int(rows), detail=detail,
            )
        )


def read_access_log(
    engine: Engine,
    *,
    access: AccessContext,
    username: str | None = None,
    limit: int = 1000,
) -> pd.DataFrame:
    """The latest access-log rows, newest first (administrators only)."""
    require(access, "admin")
    m = AccessLogEntry
    stmt = select(*[getattr(m, c) for c in ACCESS_LOG_COLUMNS]).order_by(m.logged_at.desc(), m.id.desc())
    if username:
        stmt = stmt.where(m.username == normalise_username(username))
    with engine.connect() as conn:
        rows = conn.execute(stmt.limit(limit)).all()
    return pd.DataFrame(rows, columns=ACCESS_LOG_COLUMNS)


# --- demo users --------------------------------------------------------------

DEMO_CARE_CENTRE = "Vårdcentralen Sandared"  # sample_data.places.DEMO_CARE_CENTRE (Borås, 1490)

DEMO_USERS: tuple[tuple[str, str, tuple[Grant, ...]], ...] = (
    ("politiker", "Demo: politiker", ((POLITIKER, None),)),
    ("ledning_boras", "Demo: ledningsgrupp Borås", ((LEDNINGSGRUPP, "1490"),)),
    ("processledare", "Demo: processledare Borås och Mark", ((PROCESSLEDARE, "1490"), (PROCESSLEDARE, "1463"))),
    ("vc_demo", "Demo: Vårdcentralen Sandared", ((VARDCENTRAL, DEMO_CARE_CENTRE),)),
    ("akuten", "Demo: akutmottagningen", ((AKUTMOTTAGNING, None),)),
    ("kommun_boras", "Demo: kommunal hälso- och sjukvård Borås", ((KOMMUN_HSL, "1490"),)),
    ("admin", "Demo: administratör", ((ADMIN, None),)),
)
"""The documented demo users (password ``demo``), created only in demo mode; they cannot log in outside it."""


def seed_demo_users(engine: Engine, *, rounds: int | None = None) -> int:
    """Create the demo users that are missing (hashing ``demo`` now); returns how many were created."""
    from data_access.access import SYSTEM

    created = 0
    with engine.connect() as conn:
        existing = set(conn.execute(select(User.username)).scalars())
    for username, name, grants in DEMO_USERS:
        if username in existing:
            continue
        create_user(engine, access=SYSTEM, username=username, display_name=name, password=DEMO_PASSWORD,
                    grants=grants, demo=True, rounds=rounds)
        created += 1
    return created


# --- command line ------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    import argparse
    import getpass

    from data_access.access import SYSTEM
    from data_access.db import ensure_schema

    parser = argparse.ArgumentParser(prog="python -m data_access.users", description="Användare i indikatorvyn.")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="Lägg till en användare (lösenordet frågas efter).")
    add.add_argument("username")
    add.add_argument("--name", default="", help="Visningsnamn.")
    add.add_argument("--role", action="append", default=[], help="roll eller roll:avgränsning, t.ex. ledningsgrupp:1490")
    add.add_argument("--generate", action="store_true", help="Skapa ett slumpat lösenord och skriv ut det.")
    pw = sub.add_parser("password", help="Sätt ett nytt lösenord (avslutar användarens sessioner).")
    pw.add_argument("username")
    pw.add_argument("--generate", action="store_true")
    sub.add_parser("list", help="Lista användarna och deras roller.")
    args = parser.parse_args(argv)

    engine = get_engine()
    ensure_schema(engine)

    def ask() -> str:
        if args.generate:
            password = generate_password()
            print(f"Lösenord (visas bara nu): {password}")
            return password
        first = getpass.getpass("Lösenord: ")
        if first != getpass.getpass("Upprepa lösenordet: "):
            raise UserError("Lösenorden är inte lika.")
        return first

    try:
        if args.command == "add":
            create_user(engine, access=SYSTEM, username=args.username, display_name=args.name, password=ask(),
                        grants=[parse_grant(g) for g in args.role])
            print(f"Användaren {normalise_username(args.username)} är skapad.")
        elif args.command == "password":
            set_password(engine, access=SYSTEM, username=args.username, password=ask())
            print("Lösenordet är bytt och användarens sessioner är avslutade.")
        else:
            for row in list_users(engine, access=SYSTEM).itertuples():
                roles = ", ".join(r if s is None else f"{r}:{s}" for r, s in row.grants) or "–"
                state = "aktiv" if row.active else "inaktiv"
                print(f"{row.username}\t{row.display_name}\t{state}{' (demo)' if row.demo else ''}\t{roles}")
    except UserError as exc:
        print(str(exc))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
