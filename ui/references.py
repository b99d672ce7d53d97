"""Reference values from elsewhere (``indicator_values``), above all Kolada, beside our own figures.

They are read within the viewer's scope (nation and region rows for everyone,
municipality rows as the viewer may see them) and are never mixed into the
computed indicators, SPC limits or targets. Cached per municipality scope and import
(``import_log``), so a new upload or Kolada import shows at once.

Kolada rows have the source ``Kolada <KPI id>`` and a sex (T, K, M): the sex filter picks them.
Where they are drawn:

- Trender: :func:`kolada_series` → :func:`add_kolada_traces` on the SPC figure (own open markers,
  never joined to our line), :func:`kolada_caption` with the source and the definitional difference,
  :func:`kolada_table` as the table alternative;
- Jämför kommuner: :func:`reference_lines` for riket and the region;
- Översikt: :func:`tile_line` ("Riket 2025: 15,8 %").

Kolada values are public aggregates: no suppression applies to them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from data_access.access import AccessContext
from data_access.contract import SODRA_ALVSBORG
from data_access.importer import latest_import_id
from data_access.kolada import effective_mapping
from data_access.reference import load_reference_values
from data_access.settings import get_settings
from metrics.registry import INDICATORS
from ui.context import _engine, current_viewer
from ui.labels import decimals_for, format_number, format_value, municipality_names, region_names
from ui.safe_text import md_escape, plotly_escape

KOLADA_PREFIX = "Kolada"
KOLADA_SOURCE = r"Kolada [A-Z]\d{5}"  # what the Kolada import writes (``data_access.kolada.source_for``)
NATION = "0000"
YEARS_SHOWN = 6


@st.cache_data(ttl=300, show_spinner=False, max_entries=64)
def _values(url: str, stamp: int, viewer: AccessContext, indicator_id: str) -> pd.DataFrame:
    return load_reference_values(access=viewer, indicator_id=indicator_id, engine=_engine(url))


@st.cache_data(ttl=30, show_spinner=False)
def _import_id(url: str) -> int:
    """The latest import's id; read at most every 30 s (an upload in the app clears it at once,
    ``ui.upload.clear_data_caches``; a CLI import shows within 30 s, like a recompute)."""
    return latest_import_id(engine=_engine(url))


def reference_key(indicator_id: str, viewer: AccessContext | None = None) -> tuple:
    """What one indicator's reference values depend on: (store, latest import, the viewer's municipality
    scope, indicator). Hashable; the key of every cache built on them. ``viewer`` defaults to the session's
    (the warm-up thread, which has no session, passes its own)."""
    url = get_settings().database_url
    return (url, _import_id(url), (viewer or current_viewer()).indicator_scope(), indicator_id)


def values_of(key: tuple) -> pd.DataFrame:
    """The reference values named by :func:`reference_key` (a copy of the cached read)."""
    return _values(*key)



@lru_cache(maxsize=1)
def _county_of() -> dict[str, str]:
    """Kommunkod → the Kolada code of its region (``00`` + county code)."""
    path = Path(__file__).resolve().parents[1] / "data_access" / "municipalities.csv"
    frame = pd.read_csv(path, dtype=str)
    return {code: "00" + county for code, county in zip(frame["code"], frame["county_code"], strict=True)}


def areas_for(municipality_codes: Iterable[str]) -> list[str]:
    """Riket, the regions of the municipalities, and the municipalities, in that order ("ALL" = the area)."""
    codes = [c for c in municipality_codes]
    munis = [c for c in codes if c != "ALL"]
    for_regions = munis + (list(SODRA_ALVSBORG) if "ALL" in codes else [])
    regions = sorted({_county_of()[c] for c in for_regions if c in _county_of()})
    return [NATION, *regions, *munis]


NATION_NAME = "Riket"
# Kolada's series are drawn in one dark colour with open markers (the SPC points are filled); the shape
# says which area, the legend names the KPI and the area (meaning never by colour alone).
KOLADA_COLOUR = "#5D3A9B"
AREA_STYLE = {"municipality": "diamond-open", "region": "square-open", "nation": "triangle-up-open"}

# One drawn Kolada series: (KPI id, area code, area name, area kind, ((year, value), ...)). Hashable.
KoladaSeries = tuple[str, str, str, str, tuple[tuple[int, float], ...]]


@st.cache_data(ttl=60, show_spinner=False)
def _kpi_info(url: str, import_id: int) -> dict[str, tuple[str, str]]:
    """KPI id → (Kolada's title, how it differs from our definition), from the mapping in force."""
    return {k: (m.description_sv, m.note) for k, m in effective_mapping(_engine(url)).items()}


def kpi_info(key: tuple) -> dict[str, tuple[str, str]]:
    return _kpi_info(key[0], key[1])


def kolada_rows(refs: pd.DataFrame, sex: str) -> pd.DataFrame:
    """The Kolada rows of ``refs`` for one sex: KPI, area, year (int) and value, by KPI, area and year."""
    if refs.empty:
        return pd.DataFrame(columns=["kpi", "municipality_code", "year", "value"])
    rows = refs[refs["source"].str.fullmatch(KOLADA_SOURCE) & (refs["sex"] == sex)
                & refs["period"].str.fullmatch(r"\d{4}")]  # fmt: skip
    return pd.DataFrame(
        {
            "kpi": rows["source"].str.split(" ", n=1).str[1],
            "municipality_code": rows["municipality_code"],
            "year": rows["period"].astype(int),
            "value": rows["value"].astype(float),
        }
    ).sort_values(["kpi", "municipality_code", "year"]).reset_index(drop=True)


def _kind(code: str) -> str:
    return "nation" if code == NATION else "region" if code.startswith("00") else "municipality"


def area_name(code: str) -> str:
    return NATION_NAME if code == NATION else {**municipality_names(), **region_names()}.get(code, code)


@st.cache_resource(show_spinner=False, max_entries=2048)
def kolada_series(key: tuple, codes: tuple[str, ...], sex: str) -> tuple[KoladaSeries, ...]:
    """:func:`series_from` the reference values of :func:`reference_key` ``key``, in the mapping's KPI order.
    Read-only, shared by every session."""
    return series_from(kolada_rows(values_of(key), sex), codes, list(kpi_info(key)))


def series_from(rows: pd.DataFrame, codes: Iterable[str], kpi_order: list[str]) -> tuple[KoladaSeries, ...]:
    """Kolada's yearly series (:func:`kolada_rows`) for the municipalities ``codes`` (``ALL`` = the area), their
    regions and riket: per KPI in ``kpi_order`` (others after, by id), each area in the order of
    :func:`areas_for`, the years in order."""
    if rows.empty:
        return ()
    kpis = sorted(set(rows["kpi"]), key=lambda k: (kpi_order.index(k) if k in kpi_order else len(kpi_order), k))
    out = []
    for kpi in kpis:
        for area in areas_for(codes):
            part = rows[(rows["kpi"] == kpi) & (rows["municipality_code"] == area)].sort_values("year")
            if len(part):
                points = tuple((int(y), float(v)) for y, v in zip(part["year"], part["value"], strict=True))
                out.append((kpi, area, area_name(area), _kind(area), points))
    return tuple(out)


def one_per_area(series: Iterable[KoladaSeries]) -> tuple[KoladaSeries, ...]:
    """Each area's series from the first KPI (in mapping order) that has values for it: what a chart shows, so
    that the municipality, the region and riket are one marked series each, in that order."""
    chosen: dict[str, KoladaSeries] = {}
    for s in series:
        if s[4]:  # a series cut to years before the period may have none left
            chosen.setdefault(s[1], s)
    return tuple(sorted(chosen.values(), key=lambda s: _AREA_RANK[s[3]]))  # stable: areas_for order within a kind


_AREA_RANK = {"municipality": 0, "region": 1, "nation": 2}


def _x_of(year: int, grain: str) -> dt.date:
    """Where a calendar year's value sits on a time axis: its start on a yearly chart (where our yearly points
    are), else the middle of the year."""
    return dt.date(year, 1, 1) if grain == "year" else dt.date(year, 7, 1)


def add_kolada_traces(fig: go.Figure, series: Iterable[KoladaSeries], *, unit: str, grain: str,
                      first: dt.date, last: dt.date) -> int:
    """Add each Kolada series as its own trace (open markers, dotted line between its years, never joined to
    our line); years whose point falls outside ``first``–``last`` are left out. Returns the traces added."""
    added = 0
    for kpi, _code, name, kind, points in series:
        shown = [(y, v) for y, v in points if first <= _x_of(y, grain) <= last]
        if not shown:
            continue
        symbol = AREA_STYLE[kind]
        label = f"Kolada {kpi}: {name}"
        fig.add_trace(
            go.Scatter(
                x=[_x_of(y, grain) for y, _ in shown],
                y=[v for _, v in shown],
                mode="lines+markers",
                name=plotly_escape(label),
                line={"color": KOLADA_COLOUR, "width": 1, "dash": "longdash"},
                marker={"symbol": symbol, "size": 11, "color": KOLADA_COLOUR, "line": {"width": 2}},
                customdata=[plotly_escape(f"{label}, {y}: {format_value(v, unit)} (helår)") for y, v in shown],
                hovertemplate="%{customdata}<extra></extra>",
            )
        )
        added += 1
    return added


def kolada_table(series: Iterable[KoladaSeries], unit: str) -> pd.DataFrame:
    """The table alternative of the Kolada series: one row per area and KPI, one column per year (the last
    :data:`YEARS_SHOWN` with a value)."""
    series = list(series)
    if not series:
        return pd.DataFrame()
    years = sorted({y for *_, points in series for y, _ in points})[-YEARS_SHOWN:]
    decimals = decimals_for(unit)
    table = pd.DataFrame({"Område": [s[2] for s in series], "Nyckeltal": [s[0] for s in series]})
    for year in years:
        table[str(year)] = [format_number(dict(s[4]).get(year), decimals) for s in series]
    return table


def kolada_caption(key: tuple, series: Iterable[KoladaSeries]) -> None:
    """"Källa: Kolada, N20506 – <title>" per KPI shown, and how its definition differs, one click away."""
    info = kpi_info(key)
    for kpi in dict.fromkeys(s[0] for s in series):
        title, note = info.get(kpi, ("", ""))
        st.caption(md_escape(f"Källa: Kolada, {kpi} – {title}" if title else f"Källa: Kolada, {kpi}") + ". Helårsvärden "
                   "med Koladas egen definition; de ingår aldrig i våra beräkningar, gränser eller mål.")
        with st.popover("Skillnad mot vårt mått", help=f"Hur Koladas {kpi} skiljer sig från indikatorvyns definition"):
            st.markdown(md_escape(note or "Ingen beskrivning av skillnaden finns."))


def latest_by_area(series: Iterable[KoladaSeries], kinds: tuple[str, ...] = ("nation", "region")) -> list[tuple]:
    """(area name, kind, KPI, year, value) of each area's latest Kolada year, the first KPI (mapping order) with a
    value for that area; riket first, then regions."""
    latest = [(name, kind, kpi, *points[-1]) for kpi, _code, name, kind, points in one_per_area(series)
              if kind in kinds]  # fmt: skip
    return sorted(latest, key=lambda r: (kinds.index(r[1]), r[0]))


def tile_line(series: Iterable[KoladaSeries], unit: str) -> str:
    """The Översikt tile's reference line, e.g. "Kolada – Riket 2025: 15,8 % · Västra Götalands län 2025: 17,6 %"."""
    parts = [f"{name} {year}: {format_value(value, unit)}" for name, _k, _kpi, year, value in latest_by_area(series)]
    return ("Kolada – " + " · ".join(parts)) if parts else ""


def tile_lines(viewer: AccessContext, indicator_ids: tuple[str, ...], code: str, sex: str) -> dict[str, str]:
    """The Översikt tiles' Kolada lines (:func:`tile_line`) for one municipality (or ``ALL``), by indicator.

    One cached lookup per rerun (hashing a key per indicator cost ~20 ms of a 70 ms Översikt rerun)."""
    return _tile_lines(reference_key("", viewer)[:3], tuple(indicator_ids), code, sex)


@st.cache_resource(show_spinner=False, max_entries=1024)
def _tile_lines(base: tuple, indicator_ids: tuple[str, ...], code: str, sex: str) -> dict[str, str]:
    """``base`` = :func:`reference_key` without the indicator. Read-only, shared."""
    out = {}
    for ind_id in indicator_ids:
        line = tile_line(kolada_series((*base, ind_id), (code,), sex), INDICATORS[ind_id].unit)
        if line:
            out[ind_id] = line
    return out


def reference_lines(series: Iterable[KoladaSeries], year: int | None, unit: str) -> list[tuple[float, str]]:
    """Jämför's reference lines: riket and the region, each the value of ``year`` or the latest year before it
    (None = the latest), labelled with source and year, e.g. "Riket 2025: 15,8 % (Kolada N20506)"."""
    cut = [(kpi, code, name, kind, tuple(p for p in points if year is None or p[0] <= year))
           for kpi, code, name, kind, points in series]  # fmt: skip
    return [(value, f"{name} {y}: {format_value(value, unit)} (Kolada {kpi})")
            for name, _kind, kpi, y, value in latest_by_area(cut)]  # fmt: skip
