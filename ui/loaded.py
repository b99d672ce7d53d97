"""Widget: overview of the loaded data (placeholder page of the foundation issue)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access.access import SYSTEM
from data_access.contract import TABLES
from data_access.db import ensure_schema, get_engine
from data_access.queries import loaded_summary
from data_access.settings import get_settings
from ui.labels import municipality_names


@st.cache_data(ttl=60, show_spinner=False)
def _summary(database_url: str) -> pd.DataFrame:
    engine = get_engine(database_url)
    ensure_schema(engine)
    return loaded_summary(access=SYSTEM, engine=engine)


def loaded_overview() -> None:
    summary = _summary(get_settings().database_url)
    if summary.empty:
        st.info("Ingen data är inläst ännu. Kör `make run` (laddar exempeldata) eller importera filer.")
        return
    names = municipality_names()
    table_names = {name: t.swedish for name, t in TABLES.items()}
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
