"""Swedish locale for Plotly figures: config, separators and number/date formatting.

Plain Python (no Streamlit): pass :func:`plotly_config` as ``config=`` when a
figure is shown (``st.plotly_chart(fig, config=plotly_config())``) so that
Plotly's date axes use Swedish month and day names; set
``layout.separators = SEPARATORS`` on the figure for decimal comma and space
as thousands separator. The ``format_*`` helpers give the same formatting in
text (hover labels, table alternatives).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = [
    "SEPARATORS",
    "SV_DAYS",
    "SV_MONTHS",
    "SV_SHORT_DAYS",
    "SV_SHORT_MONTHS",
    "format_number_sv",
    "format_period_sv",
    "plotly_config",
]

#: Plotly ``layout.separators``: decimal comma, space as thousands separator.
SEPARATORS = ", "

SV_MONTHS: list[str] = [
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
]
SV_SHORT_MONTHS: list[str] = [
    "jan",
    "feb",
    "mar",
    "apr",
    "maj",
    "jun",
    "jul",
    "aug",
    "sep",
    "okt",
    "nov",
    "dec",
]
# d3 / Plotly week days start on Sunday.
SV_DAYS: list[str] = ["söndag", "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag"]
SV_SHORT_DAYS: list[str] = ["sön", "mån", "tis", "ons", "tor", "fre", "lör"]


def plotly_config() -> dict[str, Any]:
    """Plotly.js config registering and selecting a Swedish locale (``"sv"``)."""
    return {
        "locale": "sv",
        "locales": {
            "sv": {
                "dictionary": {},
                "format": {
                    "days": list(SV_DAYS),
                    "shortDays": list(SV_SHORT_DAYS),
                    "months": list(SV_MONTHS),
                    "shortMonths": list(SV_SHORT_MONTHS),
                    "date": "%Y-%m-%d",
                    "decimal": ",",
                    "thousands": " ",
                },
            }
        },
        "displaylogo": False,
    }


def format_number_sv(value: float | None, decimals: int = 1, *, suffix: str = "") -> str:
    """Format a number the Swedish way: ``1234.5`` → ``"1 234,5"``; missing → ``"–"``.

    A negative number gets a proper minus sign (U+2212).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return "–"
    text = f"{abs(float(value)):,.{decimals}f}".replace(",", " ").replace(".", ",")
    if float(value) < 0 and any(c not in "0, " for c in text):
        text = "\u2212" + text
    return text + suffix


def format_period_sv(value: Any, *, monthly: bool | None = None) -> str:
    """Period label: a month start → ``"mars 2025"``, another date → ``"2025-03-14"``.

    Anything that is not a date (e.g. a point number) is returned as text.
    ``monthly`` forces or suppresses the month form.
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    if isinstance(value, pd.Timestamp | pd.Period) or hasattr(value, "month"):
        ts = pd.Timestamp(value.to_timestamp() if isinstance(value, pd.Period) else value)
        is_month_start = ts.day == 1 and ts.hour == 0 and ts.minute == 0
        if monthly if monthly is not None else is_month_start:
            return f"{SV_MONTHS[ts.month - 1]} {ts.year}"
        return ts.strftime("%Y-%m-%d")
    return str(value)
