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
MIN_COOKIE_KEY_LENGTH = 32

# --- placeholder cookie keys (cookie_key_problem) ---
README_COOKIE_KEY_PLACEHOLDER = (
    "paste the output of: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
)
"""The example value in README.md ("Users and login"): refused like every other placeholder."""
PLACEHOLDER_COOKIE_KEYS = frozenset(
    {"", "change-me", "changeme", "demo", "secret", "some_key", "nyckel", "byt-mig", "bytmig", "xxx",
     README_COOKIE_KEY_PLACEHOLDER}
)
"""Whole values (compared lower-cased, without surrounding quotes, brackets and spaces)."""
PLACEHOLDER_WORDS = (
    "paste", "change", "placeholder", "replace", "secret", "example", "insert", "dummy", "random", "cookie",
    "password", "python", "token_urlsafe", "generate", "klistra", "byt-mig", "bytmig", "byt_mig", "byt ut",
    "ersätt", "platshållare", "exempel", "nyckel", "lösenord", "hemlig",
)
"""Words that mark a key as a placeholder wherever they occur, written as people write them: lower case,
UPPER CASE or Capitalised (``paste``, ``CHANGE_ME``, ``Secret``). Only words of five letters or more, and
not in mixed case: a random key of 64 URL-safe characters then holds one of them with a probability of
about 10⁻⁶ (a hex key never)."""
PLACEHOLDER_MARKS = ("...", "…", "{{", "}}", "${", "xxxxx", "XXXXX")
"""Template marks: ellipses, template braces, a run of five x. (``xxx`` alone would refuse about one random
key in 500; a key that is mostly x is caught by :data:`MAX_X_SHARE`.)"""
MAX_X_SHARE = 1 / 3
"""A key in which x or X makes up this share or more is a template (``key-xxxx-xxxx-xxxx-xxxx-xxxx``)."""
MIN_DISTINCT_KEY_CHARACTERS = 5
"""Fewer different characters than this is a filler (``xxxxxxxx…``, ``0000…``, ``abab…``)."""
STRAIGHT_RUN = 8
"""This many consecutive characters in alphabet order, up or down (``12345678``, ``abcdefgh``), is a filler."""

# --- booleans (parse_bool) ---
TRUE_WORDS = ("1", "true", "ja", "yes", "on", "sant", "på")
FALSE_WORDS = ("0", "false", "nej", "no", "off", "falskt", "av")


class SettingsError(ValueError):
    """A setting has a value the app does not accept. The message (Swedish) names the variable and what it
    accepts; the app shows it instead of starting (``ui.auth.startup_problem``)."""


def _shown(value: str) -> str:
    value = value.strip()
    return repr(value if len(value) <= 40 else value[:40] + "…")


def parse_bool(name: str, value: str | None, default: bool) -> bool:
    """A boolean setting, strictly: one of :data:`TRUE_WORDS` or :data:`FALSE_WORDS` (any case, surrounding
    spaces ignored); unset or empty gives ``default``; anything else raises :class:`SettingsError`."""
    if value is None or not value.strip():
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise SettingsError(
        f"Miljövariabeln {name} har värdet {_shown(value)}, som inte betyder på eller av. "
        f"Tillåtna värden för på: {', '.join(TRUE_WORDS)}; för av: {', '.join(FALSE_WORDS)} "
        f"(stora eller små bokstäver). Rätta {name} och starta om appen."
    )


def parse_number(name: str, value: str | None, default: int | float, kind: type = int) -> int | float:
    """An integer (``kind=int``) or decimal setting; unset or empty gives ``default``; anything else that is
    not a number raises :class:`SettingsError`."""
    if value is None or not value.strip():
        return default
    try:
        return kind(value.strip())
    except ValueError:
        what = "ett heltal" if kind is int else "ett tal (decimalpunkt, t.ex. 0.5)"
        raise SettingsError(
            f"Miljövariabeln {name} har värdet {_shown(value)}, som inte är {what}. "
            f"Rätta {name} och starta om appen."
        ) from None


@dataclass(frozen=True)
class Settings:
    """Runtime configuration.

    Booleans (``DEMO``, ``PUBLIC_VIEW``, ``RECOMPUTE_AFTER_IMPORT``,
    ``INCREMENTAL_RECOMPUTE``, ``WARM_CACHES``) are parsed strictly (:func:`parse_bool`),
    numbers as numbers (:func:`parse_number`): any other value raises
    :class:`SettingsError` and the app refuses to start instead of guessing
    (``PUBLIC_VIEW=none`` once left the public view on).

    database_url: SQLAlchemy URL of the store (``DATABASE_URL``). Default: an
        SQLite file ``var/naravard.db`` under the working directory.
    demo: demo mode (``DEMO=1``): the demo users (password ``demo``) are
        created and may log in, and a missing or placeholder cookie key is
        replaced by a random key per process. ``make run`` sets it.
    cookie_key: signing key of the login cookie (``COOKIE_KEY``; the app may
        also pass ``[auth] cookie_key`` from ``.streamlit/secrets.toml``, see
        :func:`resolve_cookie_key`). Outside demo mode the app refuses to
        start without a real key (at least 32 characters, no placeholder:
        :func:`is_placeholder_key`).
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
    max_cell_chars: the longest cell (in characters) a delivered CSV or xlsx
        file may hold, in any column, ignored ones included (``MAX_CELL_CHARS``,
        default 32 767: the most an Excel cell holds). See docs/data-import.md.
    xlsx_max_uncompressed_mb: an xlsx workbook whose parts unpack to more than
        this many MB (MiB) is refused before it is parsed
        (``XLSX_MAX_UNCOMPRESSED_MB``, default 500).
    xlsx_max_rows: an xlsx sheet that reaches beyond this row (header = row 1)
        is refused before it is parsed (``XLSX_MAX_ROWS``, default 1 048 576:
        the most rows an Excel sheet holds).
    warm_caches: after a server start or a recompute, the first page a viewer
        opens also computes, in one background thread, every other
        municipality's first view for that viewer's scope (``WARM_CACHES``,
        default on; ``ui/warmup.py``, docs/drift.md). The test suite turns it
        off so that every test computes only what it asks for.
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
    max_cell_chars: int = 32_767
    xlsx_max_uncompressed_mb: int = 500
    xlsx_max_rows: int = 1_048_576
    warm_caches: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)

        def flag(name: str, default: bool) -> bool:
            return parse_bool(name, env.get(name), default)

        def number(name: str, default: int | float, kind: type = int):
            return parse_number(name, env.get(name), default, kind)

        return cls(
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            demo=flag("DEMO", False),
            cookie_key=env.get("COOKIE_KEY", ""),
            suppression_threshold=(number("SUPPRESSION_MIN", 1), number("SUPPRESSION_MAX", 4)),
            recompute_after_import=flag("RECOMPUTE_AFTER_IMPORT", True),
            incremental_recompute=flag("INCREMENTAL_RECOMPUTE", False),
            public_view=flag("PUBLIC_VIEW", True),
            cookie_name=env.get("COOKIE_NAME") or "naravard_inloggning",
            session_idle_minutes=number("SESSION_IDLE_MINUTES", 30),
            session_max_hours=number("SESSION_MAX_HOURS", 12.0, float),
            login_max_failures=number("LOGIN_MAX_FAILURES", 5),
            login_lockout_minutes=number("LOGIN_LOCKOUT_MINUTES", 15),
            login_min_seconds=number("LOGIN_MIN_SECONDS", 0.5, float),
            bcrypt_rounds=max(4, number("BCRYPT_ROUNDS", 12)),
            max_cell_chars=max(1, number("MAX_CELL_CHARS", 32_767)),
            xlsx_max_uncompressed_mb=max(1, number("XLSX_MAX_UNCOMPRESSED_MB", 500)),
            xlsx_max_rows=max(2, number("XLSX_MAX_ROWS", 1_048_576)),
            warm_caches=flag("WARM_CACHES", True),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()


def is_placeholder_key(key: str) -> bool:
    """Whether ``key`` is obviously not a random key: a known placeholder (README's example text among
    them), a placeholder word or template mark in it, or a filler (few different characters, a repeated
    pattern, a straight run such as ``12345678``)."""
    key = key.strip()
    bare = key.strip("\"'`<>[]() ").lower()
    lowered = key.lower()
    if bare in PLACEHOLDER_COOKIE_KEYS or lowered in PLACEHOLDER_COOKIE_KEYS:
        return True
    if any(form in key for w in PLACEHOLDER_WORDS for form in (w, w.upper(), w.capitalize())):
        return True
    if any(m in key for m in PLACEHOLDER_MARKS) or lowered.count("x") >= MAX_X_SHARE * len(key):
        return True
    if "<" in key and ">" in key[key.index("<"):]:  # <din nyckel här>
        return True
    if len(set(key)) < MIN_DISTINCT_KEY_CHARACTERS:
        return True
    if any(key == (key[:p] * (len(key) // p + 1))[: len(key)] for p in range(1, len(key) // 2 + 1)):
        return True  # a pattern repeated: "0123456789" * 4
    steps = [ord(b) - ord(a) for a, b in zip(key, key[1:], strict=False)]
    for step in (1, -1):
        run = 0
        for d in steps:
            run = run + 1 if d == step else 0
            if run >= STRAIGHT_RUN - 1:
                return True
    return False


def cookie_key_problem(key: str | None) -> str | None:
    """Why ``key`` cannot sign login cookies (Swedish, for the start-up error page); None if it can.

    Refused: a missing key, one shorter than :data:`MIN_COOKIE_KEY_LENGTH`
    and an obvious placeholder (:func:`is_placeholder_key`), such as the
    example text in README.md.
    """
    key = (key or "").strip()
    if not key:
        return (
            "Nyckeln för inloggningscookien saknas. Sätt miljövariabeln COOKIE_KEY eller "
            "`cookie_key` under `[auth]` i `.streamlit/secrets.toml` (minst "
            f"{MIN_COOKIE_KEY_LENGTH} slumpmässiga tecken)."
        )
    if len(key) < MIN_COOKIE_KEY_LENGTH or is_placeholder_key(key):
        return (
            "Nyckeln för inloggningscookien är en platshållare eller för kort (exempeltexten i README är "
            f"ingen nyckel). Använd minst {MIN_COOKIE_KEY_LENGTH} slumpmässiga tecken, t.ex. utskriften från "
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
