"""Swedish labels shared by the views (municipality names, months)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from ui.plotly_sv import format_number_sv

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


@lru_cache(maxsize=1)
def region_names() -> dict[str, str]:
    """Kolada-style aggregate codes: 0000 Riket, 00LL a region (county)."""
    path = Path(__file__).resolve().parents[1] / "data_access" / "regions.csv"
    frame = pd.read_csv(path, dtype=str)
    return dict(zip(frame["code"], frame["name"], strict=True))


def format_number(value: float, decimals: int = 1) -> str:
    """Swedish number format (decimal comma, space between thousands); '–' when missing."""
    return format_number_sv(value, decimals)


def decimals_for(unit: str) -> int:
    """Decimals shown per unit: rates and counts whole numbers, shares and hours one decimal."""
    return 0 if (unit.startswith("per 1 000") or unit.startswith("dagar") or unit == "antal") else 1


def format_value(value: float | None, unit: str) -> str:
    """A value with its unit, Swedish style: '45,5 %', '465 per 1 000 inv. 80+ och år', '15,5 timmar'."""
    if value is None or value != value:
        return "–"
    text = format_number(float(value), decimals_for(unit))
    if unit == "antal":
        return text
    return f"{text} %" if unit == "%" else f"{text} {unit}"
