"""The shared sidebar filters, kept in the URL query string.

This component owns its session-state keys (prefix ``f_``, per page) and the query
parameters below; pages only call :func:`sidebar_filters` and use the
returned :class:`Filters`. A copied link reopens the same view because every
filter is read from the query string on the first run and written back on
every run (which also carries the filters across page changes).

Query parameters (Swedish, readable in a link):
``kommun`` (comma-separated codes; empty = hela området), ``period``
(``manad``/``kvartal``/``ar``), ``fran``/``till`` (``YYYY-MM``), ``tema``,
``kon`` (``alla``/``kvinnor``/``man``).

The query string is untrusted input (anyone can type a link): every value is
read defensively, and a value that is missing, too long or not one of the
allowed ones gives that filter's default, never an exception.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

from metrics.periods import DEFAULT_WINDOW_MONTHS
from ui.labels import MONTHS_SV, municipality_names

GRAINS = {"manad": ("month", "Månad"), "kvartal": ("quarter", "Kvartal"), "ar": ("year", "År")}
SEXES = {"alla": ("T", "Alla"), "kvinnor": ("K", "Kvinnor"), "man": ("M", "Män")}
ALL_THEMES = "alla"
QUERY_KEYS = ("kommun", "period", "fran", "till", "tema", "kon")
STORE_KEY = "f_store"
# A longer query value is ignored (the default applies): a real one is at most a few hundred characters
# (every municipality code of a region, comma-separated).
MAX_QUERY_VALUE_LENGTH = 1000
_MONTH = re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})(?:-\d{1,2})?", re.ASCII)


@dataclass(frozen=True)
class Filters:
    municipalities: tuple[str, ...]  # empty = the whole area
    grain: str  # month | quarter | year
    start: dt.date  # first day of the first month
    end: dt.date  # last day of the last month
    theme: str | None  # None = every theme
    sex: str  # T | K | M

    @property
    def municipality_codes(self) -> tuple[str, ...]:
        """What to show: the chosen municipalities, or the area total."""
        return self.municipalities or ("ALL",)


def parse_month(text: str | None, default: dt.date) -> dt.date:
    """``YYYY-MM`` (a day after it is ignored) as the first day of that month; ``default`` for anything else.

    Never raises: a year no date can hold (``99999999999999999999-01``), month 13, other digits than
    ASCII, or no text at all give ``default``.
    """
    if not isinstance(text, str) or len(text) > MAX_QUERY_VALUE_LENGTH:
        return default
    match = _MONTH.fullmatch(text.strip())
    if match is None:
        return default
    try:
        return dt.date(int(match["year"]), int(match["month"]), 1)
    except ValueError:
        return default


def month_label(d: dt.date) -> str:
    """Short Swedish month label for the narrow sidebar selectboxes: 'nov 2023'."""
    return f"{MONTHS_SV[d.month - 1][:3]} {d.year}"


def _month_options(first: dt.date, last: dt.date) -> list[dt.date]:
    out, d = [], dt.date(first.year, first.month, 1)
    while d <= last:
        out.append(d)
        d = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return out


def _month_end(d: dt.date) -> dt.date:
    nxt = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def _init(key: str, value) -> None:
    if key not in st.session_state:
        st.session_state[key] = value


def _source() -> dict[str, str]:
    """Where the filters come from: the URL if it has them (a copied link), else this session's last choice.

    Streamlit drops widget state and query parameters when the page changes,
    so the last choice is also kept under a key no widget owns.
    """
    qp = {}
    for key in QUERY_KEYS:
        value = st.query_params.get(key)
        if isinstance(value, str) and len(value) <= MAX_QUERY_VALUE_LENGTH:
            qp[key] = value
    if qp:
        return qp
    stored = st.session_state.get(STORE_KEY)
    if not isinstance(stored, dict):
        return {}
    return {k: v for k, v in stored.items() if k in QUERY_KEYS and isinstance(v, str)}


def sidebar_filters(
    *,
    municipalities: Sequence[str],
    first_month: dt.date,
    last_month: dt.date,
    themes: Sequence[str],
    allow_area: bool = True,
    page: str = "",
) -> Filters:
    """Draw the shared filters in the sidebar and return the chosen values.

    Widget keys are per page (``f_<page>_<name>``): Streamlit resets widget
    state when the page changes, so each page initialises its widgets from
    the URL or from this session's last choice (see :func:`_source`).
    """
    k = f"f_{page}_" if page else "f_"
    qp = _source()
    names = municipality_names()
    codes = [c for c in municipalities if c != "ALL"]
    months = _month_options(first_month, last_month)

    wanted = [c for c in dict.fromkeys(qp.get("kommun", "").split(",")) if c in codes]  # known codes, once each
    _init(k + "kommun", wanted if (wanted or allow_area) else codes[:1])
    _init(k + "period", qp.get("period") if qp.get("period") in GRAINS else "manad")
    default_start = months[max(0, len(months) - DEFAULT_WINDOW_MONTHS)] if months else first_month
    start = parse_month(qp.get("fran"), default_start)
    end = parse_month(qp.get("till"), months[-1] if months else last_month)
    _init(k + "fran", min((m for m in months if m >= start), default=default_start))
    _init(k + "till", max((m for m in months if m <= end), default=months[-1] if months else last_month))
    _init(k + "tema", qp.get("tema") if qp.get("tema") in themes else ALL_THEMES)
    _init(k + "kon", qp.get("kon") if qp.get("kon") in SEXES else "alla")

    with st.sidebar:
        st.header("Urval")
        chosen = st.multiselect(
            "Kommun",
            codes,
            key=k + "kommun",
            format_func=lambda c: names.get(c, c),
            placeholder="Hela området" if allow_area else "Välj kommun",
            help="Välj en eller flera kommuner. Tomt val visar hela området (summan av alla kommuner).",
        )
        grain = st.radio(
            "Period", list(GRAINS), key=k + "period", format_func=lambda g: GRAINS[g][1], horizontal=True
        )
        if months:
            c1, c2 = st.columns(2)
            start = c1.selectbox("Från", months, key=k + "fran", format_func=month_label)
            end = c2.selectbox("Till", months, key=k + "till", format_func=month_label)
        if start > end:
            st.warning("Från-månaden ligger efter till-månaden; urvalet är vänt.")
            start, end = end, start
        theme = st.selectbox(
            "Tema", [ALL_THEMES, *themes], key=k + "tema", format_func=lambda t: "Alla teman" if t == ALL_THEMES else t
        )
        sex = st.radio("Kön", list(SEXES), key=k + "kon", format_func=lambda s: SEXES[s][1], horizontal=True)

    chosen_params = {
        "kommun": ",".join(chosen),
        "period": grain,
        "fran": f"{start:%Y-%m}",
        "till": f"{end:%Y-%m}",
        "tema": theme,
        "kon": sex,
    }
    st.session_state[STORE_KEY] = chosen_params
    st.query_params.update(chosen_params)
    return Filters(
        municipalities=tuple(chosen),
        grain=GRAINS[grain][0],
        start=start,
        end=_month_end(end),
        theme=None if theme == ALL_THEMES else theme,
        sex=SEXES[sex][0],
    )
