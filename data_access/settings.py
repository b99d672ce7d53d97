"""The one settings object. Nothing else in the project reads the environment.

Values come from environment variables (and, for secrets, from
``.streamlit/secrets.toml`` via the app, which passes them in). Defaults are
for the embedded single-machine set-up.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = "sqlite:///var/naravard.db"
PLACEHOLDER_COOKIE_KEYS = frozenset({"", "change-me", "changeme", "demo", "secret"})


@dataclass(frozen=True)
class Settings:
    """Runtime configuration.

    database_url: SQLAlchemy URL of the store (``DATABASE_URL``). Default: an
        SQLite file ``var/naravard.db`` under the working directory.
    demo: demo mode (``DEMO=1``): demo users exist and a placeholder cookie
        key is accepted. ``make run`` sets it.
    cookie_key: signing key of the login cookie (``COOKIE_KEY``).
    suppression_threshold: inclusive range of numerators/denominators that are
        suppressed for viewers not entitled to identifiable data
        (``SUPPRESSION_MIN``/``SUPPRESSION_MAX``, default 1–4).
    recompute_after_import: recompute the persisted indicator table after
        each import (``RECOMPUTE_AFTER_IMPORT``, default on).
    """

    database_url: str = DEFAULT_DATABASE_URL
    demo: bool = False
    cookie_key: str = ""
    suppression_threshold: tuple[int, int] = (1, 4)
    recompute_after_import: bool = True
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
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
