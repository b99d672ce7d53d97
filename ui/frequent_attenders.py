"""Widgets of the Mångsökare page: the pseudonymous list and the suppressed counts per care centre.

Owns the keys ``fa_day``, ``fa_centre``, ``fa_export``, ``fa_level``,
``fa_centres`` and ``fa_trend``. All access rules live in
``data_access.person_queries``: the list is read (and logged) on every run
that shows it and is never cached; an export is logged when the file is
made, i.e. when the button is clicked. Care-centre names come from the delivered files: escaped in
the chart's legend (Plotly renders tags); the selectboxes and tables show them as plain text.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from data_access.access import AccessContext
from data_access.person_queries import (
    frequent_attender_list,
    frequent_attender_trends,
    latest_event_day,
    list_care_centres,
    record_export,
)
from data_access.queries import last_computed_at
from data_access.settings import get_settings
from ui.context import engine
from ui.exports import csv_bytes, download_buttons
from ui.labels import municipality_names
from ui.plotly_sv import SEPARATORS, format_number_sv, plotly_config
from ui.safe_text import plotly_escape

ALL_CENTRES = "__alla__"
LIST_COLUMNS = {
    "person_id": "Pseudonym",
    "care_centre": "Vårdcentral",
    "municipality": "Kommun",
    "contacts_30d": "Vårdkontakter 30 dagar",
    "ed_visits_365d": "Akutbesök 365 dagar",
    "criterion": "Kriterium",
}
DEFAULT_CHART_CENTRES = 5


def _list_table(rows: pd.DataFrame) -> pd.DataFrame:
    names = municipality_names()
    out = rows.assign(municipality=rows["municipality_code"].map(lambda c: names.get(c, c)))
    return out[list(LIST_COLUMNS)].rename(columns=LIST_COLUMNS)


def export_file(viewer: AccessContext, engine_, day: dt.date, centres: list[str] | None, table: pd.DataFrame):
    """The callable behind the download button: logs the export, then makes the CSV (only when clicked)."""

    def make() -> bytes:
        record_export(access=viewer, day=day, care_centres=centres, rows=len(table), engine=engine_)
        return csv_bytes(table)

    return make


def frequent_attender_list_section(viewer: AccessContext) -> None:
    """The persons who are frequent attenders on a chosen day at the viewer's care centres."""
    eng = engine()
    last = latest_event_day(access=viewer, engine=eng)
    st.subheader("Lista på personnivå (pseudonymiserad)")
    if last is None:
        st.info("Det finns inga vårdkontakter eller akutbesök inlästa.")
        return
    centres = list_care_centres(access=viewer, engine=eng)
    options = [ALL_CENTRES, *centres] if viewer.care_centres is None or len(centres) > 1 else centres
    if not options:
        st.info("Ingen av dina vårdcentraler finns i underlaget.")
        return
    c1, c2 = st.columns(2)
    day = c1.date_input("Dag", value=last, max_value=last, key="fa_day", format="YYYY-MM-DD",
                        help="Listan visar dem som uppfyller kriterierna den här dagen.")
    choice = c2.selectbox("Vårdcentral", options, key="fa_centre",
                          format_func=lambda c: "Alla vårdcentraler" if c == ALL_CENTRES else c)
    chosen = None if choice == ALL_CENTRES else [choice]
    rows = frequent_attender_list(access=viewer, day=day, care_centres=chosen, engine=eng)
    table = _list_table(rows)
    st.markdown(f"**{len(table)} personer** uppfyllde kriterierna {day:%Y-%m-%d}.")
    st.dataframe(table, hide_index=True)
    st.download_button(
        "Ladda ner listan (CSV)", export_file(viewer, eng, day, chosen, table),
        file_name=f"mangsokare_{day:%Y-%m-%d}.csv", mime="text/csv", key="fa_export", on_click="ignore",
        help="Exporten loggas med ditt användarnamn, tid och antal rader.",
    )
    st.caption("Pseudonymen är samverkans nyckelade person-id; bara leverantörernas dataansvariga kan koppla den "
               "till en person, via de levererade filernas id i källsystemet.")


@st.cache_data(ttl=30, show_spinner=False)
def _stamp(url: str) -> str:
    return str(last_computed_at(engine=engine()))


@st.cache_data(show_spinner=False, max_entries=32)
def _trends(url: str, stamp: str, viewer: AccessContext) -> pd.DataFrame:
    return frequent_attender_trends(access=viewer, period="month", engine=engine())


def frequent_attender_trend_section(viewer: AccessContext) -> None:
    """Monthly counts per care centre within the viewer's scope; small numbers shown as "–"."""
    url = get_settings().database_url
    trends = _trends(url, _stamp(url), viewer)
    st.subheader("Antal mångsökare per vårdcentral och månad")
    trends = trends[trends["sex"] == "T"]
    if trends.empty:
        st.info("Det finns inget underlag för mångsökare per vårdcentral inom din behörighet.")
        return
    names = municipality_names()
    levels = sorted(trends["municipality_code"].unique(), key=lambda c: (c != "ALL", c))
    level = st.selectbox("Invånare i", levels, key="fa_level", format_func=lambda c: names.get(c, c),
                         help="Kommunen där personerna bor (eller alla kommuner tillsammans).")
    rows = trends[trends["municipality_code"] == level]
    totals = rows.groupby("care_centre")["numerator"].sum().sort_values(ascending=False)
    own = [c for c in totals.index if viewer.care_centres is not None and c in viewer.care_centres]
    default = own or list(totals.index[:DEFAULT_CHART_CENTRES])
    chosen = st.multiselect("Vårdcentraler i diagrammet", list(totals.index), default=default, key="fa_centres",
                            placeholder="Välj vårdcentraler")
    shown = rows[rows["care_centre"].isin(chosen)]
    fig = go.Figure()
    for centre, part in shown.groupby("care_centre", sort=True):
        part = part.sort_values("period_start")
        fig.add_trace(go.Scatter(x=pd.to_datetime(part["period_start"]), y=part["numerator"], mode="lines+markers",
                                 name=plotly_escape(centre), connectgaps=False))  # an imported name
    fig.update_layout(separators=SEPARATORS, height=420, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      yaxis_title="Antal personer", legend_title="Vårdcentral")
    st.plotly_chart(fig, config=plotly_config(), key="fa_trend")
    table = rows.pivot_table(index="period", columns="care_centre", values="numerator", aggfunc="first", dropna=False)
    table = table.map(lambda v: format_number_sv(v, 0)).reset_index().rename(columns={"period": "Månad"})
    low, high = get_settings().suppression_threshold
    st.caption(f"\"–\" = {low}–{high} personer, eller en cell som annars kunde räknas fram ur de andra, visas inte.")
    st.dataframe(table, hide_index=True)
    download_buttons(table, name="mangsokare_per_vardcentral", key="fa-trend-dl")
