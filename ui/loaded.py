"""Widget: what is loaded — rows, date span and freshness ("data t.o.m.") per table and municipality.

Read through the viewer's access context (:func:`data_access.queries.loaded_summary`
and :func:`data_access.reference.load_reference_values`): a viewer sees the
municipalities they may see, aggregated, never persons.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access.access import AccessContext
from data_access.contract import TABLES
from data_access.queries import loaded_summary
from data_access.reference import load_reference_values
from data_access.settings import get_settings
from ui.context import _engine
from ui.labels import municipality_names, region_names


@st.cache_data(ttl=60, show_spinner=False, max_entries=32)
def _summary(database_url: str, viewer: AccessContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    engine = _engine(database_url)
    return loaded_summary(access=viewer, engine=engine), load_reference_values(access=viewer, engine=engine)


def freshness_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Data t.o.m. (the latest event date) per source table (rows) and municipality (columns)."""
    names = municipality_names()
    pivot = summary.pivot_table(index="table", columns="municipality_code", values="last", aggfunc="max")
    pivot = pivot.reindex([t for t in TABLES if t in pivot.index])
    pivot.index = [TABLES[t].swedish for t in pivot.index]
    pivot.columns = [names.get(c, c) for c in pivot.columns]
    pivot = pivot[sorted(pivot.columns)]  # municipalities alphabetically
    return pivot.fillna("–").reset_index(names="Källa")


def reference_freshness(refs: pd.DataFrame) -> pd.DataFrame:
    """Values from elsewhere: per source and area, how many values and the latest period."""
    if refs.empty:
        return pd.DataFrame()
    names = {**municipality_names(), **region_names()}
    sex_names = {"T": "alla", "K": "kvinnor", "M": "män"}
    grouped = (
        refs.groupby(["source", "municipality_code"], sort=True)
        .agg(values=("value", "size"), first=("period", "min"), last=("period", "max"),
             sexes=("sex", lambda s: ", ".join(sex_names.get(x, x) for x in ("T", "K", "M") if x in set(s))))
        .reset_index()
    )
    return pd.DataFrame(
        {
            "Källa": grouped["source"],
            "Område": grouped["municipality_code"].map(lambda c: names.get(c, c)),
            "Kön": grouped["sexes"],
            "Antal värden": grouped["values"],
            "Från": grouped["first"],
            "Data t.o.m.": grouped["last"],
        }
    )


def loaded_overview(viewer: AccessContext) -> None:
    summary, refs = _summary(get_settings().database_url, viewer)
    if summary.empty and refs.empty:
        st.info("Ingen data är inläst ännu. En administratör laddar upp filer på sidan Ladda upp data.")
        return
    names = municipality_names()
    table_names = {name: t.swedish for name, t in TABLES.items()}
    if not summary.empty:
        st.subheader("Data t.o.m. per källa och kommun")
        st.caption("Senaste händelsedatum (för befolkningen: senaste år) i varje källa och kommun.")
        st.dataframe(freshness_table(summary), hide_index=True, key="loaded_freshness")
        totals = (
            summary.groupby("table", sort=False)
            .agg(rows=("rows", "sum"), first=("first", "min"), last=("last", "max"))
            .reset_index()
        )
        totals["table"] = totals["table"].map(table_names)
        st.subheader("Per tabell")
        st.dataframe(
            totals.rename(columns={"table": "Tabell", "rows": "Rader", "first": "Från", "last": "Till"}),
            hide_index=True,
            column_config={"Rader": st.column_config.NumberColumn(format="localized")},
        )
        st.subheader("Per tabell och kommun")
        detail = summary.assign(
            table=summary["table"].map(table_names),
            municipality=summary["municipality_code"].map(names).fillna(summary["municipality_code"]),
        )[["table", "municipality", "rows", "first", "last"]]
        st.dataframe(
            detail.rename(
                columns={"table": "Tabell", "municipality": "Kommun", "rows": "Rader", "first": "Från", "last": "Till"}
            ),
            hide_index=True,
            column_config={"Rader": st.column_config.NumberColumn(format="localized")},
        )
    ref_table = reference_freshness(refs)
    if not ref_table.empty:
        st.subheader("Referensvärden från andra källor")
        st.caption("Värden som räknats fram utanför indikatorvyn (t.ex. Kolada): antal och senaste period per "
                   "källa och område. De ingår aldrig i våra beräkningar.")
        st.dataframe(ref_table, hide_index=True, key="loaded_references")
