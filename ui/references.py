"""Reference values from elsewhere (``indicator_values``), above all Kolada, beside our own figures.

They are read within the viewer's scope (nation and region rows for everyone,
municipality rows as the viewer may see them) and are never mixed into the
computed indicators. Cached per municipality scope and import (``import_log``), so a
new upload or Kolada import shows at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import pandas as pd
import streamlit as st

from data_access.access import AccessContext
from data_access.contract import SODRA_ALVSBORG
from data_access.importer import latest_import_id
from data_access.reference import load_reference_values
from data_access.settings import get_settings
from metrics.registry import INDICATORS
from ui.context import _engine, current_viewer
from ui.labels import decimals_for, format_number, municipality_names, region_names
from ui.safe_text import md_escape

KOLADA_PREFIX = "Kolada"
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


def reference_key(indicator_id: str) -> tuple:
    """What one indicator's reference values depend on: (store, latest import, the viewer's municipality
    scope, indicator). Hashable; the key of every cache built on them."""
    url = get_settings().database_url
    return (url, _import_id(url), current_viewer().indicator_scope(), indicator_id)


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


def kolada_table(refs: pd.DataFrame, areas: list[str], unit: str) -> pd.DataFrame:
    """Kolada rows of ``refs`` for ``areas``: one row per area (in the order given), one column per year."""
    rows = refs[refs["source"].str.startswith(KOLADA_PREFIX) & refs["municipality_code"].isin(areas)]
    if rows.empty:
        return pd.DataFrame()
    years = sorted(rows["period"].unique())[-YEARS_SHOWN:]
    rows = rows[rows["period"].isin(years)]
    pivot = rows.pivot_table(index="municipality_code", columns="period", values="value", aggfunc="first")
    pivot = pivot.reindex([a for a in areas if a in pivot.index])
    names = {**municipality_names(), **region_names()}
    decimals = decimals_for(unit)
    table = pd.DataFrame({"Område": [names.get(c, c) for c in pivot.index]})
    for year in years:
        table[str(year)] = [format_number(v, decimals) for v in pivot[year]]
    return table


@st.cache_resource(show_spinner=False, max_entries=1024)
def _kolada(key: tuple, codes: tuple[str, ...]) -> tuple[pd.DataFrame, list[str]]:
    """:func:`kolada_table` and the KPI ids for one :func:`reference_key` and municipalities (read-only)."""
    refs = values_of(key)
    kpis = sorted({s.split(" ", 1)[1] for s in refs["source"] if s.startswith(KOLADA_PREFIX + " ")})
    return kolada_table(refs, areas_for(codes), INDICATORS[key[-1]].unit), kpis


def reference_section(ind, municipality_codes: Iterable[str]) -> None:
    """A small table of Kolada values for riket, the region and the municipalities, marked "Källa: Kolada".

    Draws nothing when Kolada has no value for the indicator.
    """
    codes = list(municipality_codes)
    table, kpis = _kolada(reference_key(ind.id), tuple(codes))
    if table.empty:
        return
    st.markdown(f"**Referensvärden från Kolada** ({ind.unit}, per år)")
    st.dataframe(table, hide_index=True, key=f"kolada-{ind.id}-{'-'.join(codes)}")
    st.caption(
        f"Källa: Kolada (nyckeltal {md_escape(', '.join(kpis))}). Kolada räknar med egen definition och eget underlag; "
        "värdena visas som jämförelse och ingår aldrig i indikatorvyns beräkningar. – = värde saknas."
    )
