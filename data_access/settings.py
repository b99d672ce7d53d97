"""The one settings object. Nothing else in the project reads the environment.

Values come from environment variables (and, for secrets, from
``.streamlit/secrets.toml`` via the app, which passes them in). Defaults are
for the embedded single-machine set-up.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = "sqlite:///var/naravard.db"
PLACEHOLDER_COOKIE_KEYS = frozenset(
    {"", "change-me", "changeme", "demo", "secret", "some_key", "nyckel", "byt-mig", "bytmig", "xxx"}
)
MIN_COOKIE_KEY_LENGTH = 32
_OFF = {"0", "false", "nej", "no", "off"}


@dataclass(frozen=True)
class Settings:
    """Runtime configuration.

    database_url: SQLAlchemy URL of the store (``DATABASE_URL``). Default: an
        SQLite file ``var/naravard.db`` under the working directory.
    demo: demo mode (``DEMO=1``): the demo users (password ``demo``) are
        created and may log in, and a missing or placeholder cookie key is
        replaced by a random key per process. ``make run`` sets it.
    cookie_key: signing key of the login cookie (``COOKIE_KEY``; the app may
        also pass ``[auth] cookie_key`` from ``.streamlit/secrets.toml``, see
        :func:`resolve_cookie_key`). Outside demo mode the app refuses to
        start without a real key (at least 32 characters).
    suppression_threshold: inclusive range of numerators/denominators that are
        suppressed for viewers not entitled to identifiable data
        (``SUPPRESSION_MIN``/``SUPPRESSION_MAX``, default 1–4).
    recompute_after_import: recompute the persisted indicator table after
        each import (``RECOMPUTE_AFTER_IMPORT``, default on).
    incremental_recompute: after an import, recompute only the periods it can
        have affected (``INCREMENTAL_RECOMPUTE``, default off: measured slower
        than a full recompute on our data, see docs/recompute.md).
    public_view: without login, show the area's and each municipality's
        indicators, aggregated and suppressed (``PUBLIC_VIEW``, default on;
        ``PUBLIC_VIEW=0`` means every page needs a login).
    cookie_name: name of the remember-me cookie (``COOKIE_NAME``).
    session_idle_minutes: a login ends after this long without any activity
        (``SESSION_IDLE_MINUTES``, default 30).
    session_max_hours: a login (and its cookie) ends this long after it began,
        whatever the activity (``SESSION_MAX_HOURS``, default 12).
    login_max_failures: failed logins for one user name, within
        ``login_lockout_minutes`` and since the last success, before that name
        is locked out (``LOGIN_MAX_FAILURES``, default 5).
    login_lockout_minutes: the window in which failures count; a lockout
        ends at most this long after the latest failed attempt
        (``LOGIN_LOCKOUT_MINUTES``, default 15).
    login_min_seconds: every login attempt takes at least this long, so that
        known and unknown user names cannot be told apart by timing
        (``LOGIN_MIN_SECONDS``, default 0.5).
    bcrypt_rounds: cost of new password hashes (``BCRYPT_ROUNDS``, default 12,
        at least 4; lower only in tests).
    """

    database_url: str = DEFAULT_DATABASE_URL
    demo: bool = False
    cookie_key: str = ""
    suppression_threshold: tuple[int, int] = (1, 4)
    recompute_after_import: bool = True
    incremental_recompute: bool = False
    public_view: bool = True
    cookie_name: str = "naravard_inloggning"
    session_idle_minutes: int = 30
    session_max_hours: float = 12.0
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    login_min_seconds: float = 0.5
    bcrypt_rounds: int = 12
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        return cls(
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            demo=env.get("DEMO", "") in {"1", "true", "ja"},
            cookie_key=env.get("COOKIE_KEY", ""),
            suppression_threshold=(
                int(env.get("SUPPRESSION_MIN", "1")),
                int(env.get("SUPPRESSION_MAX", "4")),
            ),
            recompute_after_import=env.get("RECOMPUTE_AFTER_IMPORT", "1") not in {"0", "false", "nej"},
            incremental_recompute=env.get("INCREMENTAL_RECOMPUTE", "0").strip().lower() in {"1", "true", "ja"},
            public_view=env.get("PUBLIC_VIEW", "1").strip().lower() not in _OFF,
            cookie_name=env.get("COOKIE_NAME") or "naravard_inloggning",
            session_idle_minutes=int(env.get("SESSION_IDLE_MINUTES", "30")),
            session_max_hours=float(env.get("SESSION_MAX_HOURS", "12")),
            login_max_failures=int(env.get("LOGIN_MAX_FAILURES", "5")),
            login_lockout_minutes=int(env.get("LOGIN_LOCKOUT_MINUTES", "15")),
            login_min_seconds=float(env.get("LOGIN_MIN_SECONDS", "0.5")),
            bcrypt_rounds=max(4, int(env.get("BCRYPT_ROUNDS", "12"))),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()


def cookie_key_problem(key: str | None) -> str | None:
    """Why ``key`` cannot sign login cookies (Swedish, for the start-up error page); None if it can."""
    key = (key or "").strip()
    if not key:
        return (
            "Nyckeln för inloggningscookien saknas. Sätt miljövariabeln COOKIE_KEY eller "
            "`cookie_key` under `[auth]` i `.streamlit/secrets.toml` (minst "
            f"{MIN_COOKIE_KEY_LENGTH} slumpmässiga tecken)."
        )
    if key.lower() in PLACEHOLDER_COOKIE_KEYS or len(key) < MIN_COOKIE_KEY_LENGTH:
        return (
            "Nyckeln för inloggningscookien är en platshållare eller för kort. Använd minst "
            f"{MIN_COOKIE_KEY_LENGTH} slumpmässiga tecken, t.ex. från "
            "`python -c \"import secrets; print(secrets.token_urlsafe(48))\"`."
        )
    return None


def resolve_cookie_key(key: str | None, *, demo: bool) -> tuple[str | None, str | None]:
    """(the key that signs login cookies, None) or (None, why the app must not start).

    Outside demo mode a missing, placeholder or short key is refused. In demo
    mode such a key is replaced by :func:`demo_cookie_key`, so that a known
    placeholder never signs cookies.
    """
    problem = cookie_key_problem(key)
    if problem is None:
        return (key or "").strip(), None
    if demo:
        return demo_cookie_key(), None
    return None, problem


@lru_cache(maxsize=1)
def demo_cookie_key() -> str:
    """A random key for this process, used in demo mode when none is configured (logins end at restart)."""
    return secrets.token_urlsafe(48)
