"""Swedish labels shared by the views (municipality names, months)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

MONTHS_SV = (
    "januari", "februari", "mars", "april", "maj", "juni",
    "juli", "augusti", "september", "oktober", "november", "december",
)


@lru_cache(maxsize=1)
def municipality_names() -> dict[str, str]:
    """Kommunkod → name for all 290 municipalities, plus the area total."""
    path = Path(__file__).resolve().parents[1] / "data_access" / "municipalities.csv"
    frame = pd.read_csv(path, dtype=str)
    names = dict(zip(frame["code"], frame["name"], strict=True))
    names["ALL"] = "Hela området"
    return names


def format_number(value: float, decimals: int = 1) -> str:
    """Swedish number format: decimal comma, narrow no-break space as thousands separator."""
    if value != value:  # NaN
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")
