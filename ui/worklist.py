"""Widgets of the Arbetslista page: the pseudonymous Målgrupper worklist of one day, its filters and exports.

Owns the keys ``wl_day``, ``wl_cohorts``, ``wl_munis``, ``wl_centres``,
``wl_csv`` and ``wl_xlsx``. All access rules live in
``data_access.person_queries``: the list is read for the viewer on every run
that shows it and each read is written to the access log; an export is
logged when its file is made, i.e. when the button is clicked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st

from data_access.access import AccessContext
from data_access.person_queries import (
    record_worklist_export,
    worklist_filter_options,
    worklist_for,
    worklist_latest_day,
)
from metrics.cohorts import PERSON_COHORTS
from metrics.worklist import CHANGE_LEFT, CHANGE_NEW, CHANGE_STAYED, COHORT_SEPARATOR, month_before
from ui.cohort_views import COHORT_SHORT_SV
from ui.context import engine
from ui.exports import csv_bytes, xlsx_bytes
from ui.labels import municipality_names

STATUS_SV = {CHANGE_NEW: "Ny sedan förra månaden", CHANGE_STAYED: "Kvar", CHANGE_LEFT: "Lämnat listan"}
STATUS_ORDER = list(STATUS_SV.values())
# Page column → (heading, source column). The order is the table's.
TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Status", "change"),
    ("Pseudonym", "person_id"),
    ("Ålder", "age"),
    ("Kön", "sex"),
    ("Kommun", "municipality_code"),
    ("Vårdcentral (senaste kontakt)", "care_centre"),
    ("Målgrupper", "cohorts"),
    ("Mångsökare sedan", "mangsokare_entry_date"),
    ("Vårdkontakter 30 dagar", "pcc_contacts_30d"),
    ("Akutbesök 365 dagar", "ed_visits_365d"),
    ("Akutbesök utan inläggning 90 dagar", "ed_not_admitted_90d"),
    ("Senaste utskrivning", "latest_discharge_date"),
    ("Senaste CFS", "latest_cfs_score"),
    ("CFS-datum", "latest_cfs_date"),
    ("Senaste SIP", "latest_sip_date"),
    ("Inskriven i kommunal primärvård", "enrolled"),
)
SEX_SV = {"K": "Kvinna", "M": "Man"}
PRIVACY_NOTE = (
    "Listan visar bara pseudonymer (samverkans nyckelade person-id), aldrig namn eller personnummer. "
    "Indikatorvyn kan inte se vem som döljer sig bakom en pseudonym. Er organisations dataansvariga hittar "
    "pseudonymen i de filer ni själva har levererat, på rader med källsystemets id (t.ex. kontakt- eller "
    "inskrivnings-id); med det id:t hittar du personen i källsystemet, med din egen behörighet där. Behandlingen sker enligt patientdatalagen (PDL), som "
    "begränsar åtkomsten till vad du behöver i ditt arbete, och utlämnande mellan förvaltningar stöds av "
    "25 kap. 11 § offentlighets- och sekretesslagen (OSL). Varje visning och export av listan loggas med "
    "ditt användarnamn, tid och antal rader."
)


def _cohort_labels(text: object) -> str:
    return ", ".join(COHORT_SHORT_SV.get(c, c) for c in str(text).split(COHORT_SEPARATOR) if c)


def worklist_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The list as shown and exported: Swedish headings and values, status first (new, stayed, left).

    Dates are ISO text and a missing value is "–" (sorts like the date, no "None" in the table).
    Vectorised: the whole area's list has some 17 000 rows at scale 10.
    """
    names = municipality_names()
    out = pd.DataFrame(index=rows.index)
    for heading, col in TABLE_COLUMNS:
        v = rows[col]
        if col == "change":
            v = v.map(STATUS_SV)
        elif col == "sex":
            v = v.map(SEX_SV).fillna("Okänt")
        elif col == "municipality_code":
            v = v.map(lambda c: names.get(c, c)).fillna("")
        elif col == "care_centre":
            v = v.fillna("–")
        elif col == "cohorts":
            v = v.map({u: _cohort_labels(u) for u in v.unique()})
        elif col == "enrolled":
            v = v.map({True: "ja", False: "nej"})
        elif col.endswith("_date"):
            v = pd.to_datetime(v).dt.strftime("%Y-%m-%d").fillna("–")
        elif col == "latest_cfs_score":
            v = v.astype("Int64").astype("string").fillna("–")
        out[heading] = v.astype(object).to_numpy() if col != "age" else v.to_numpy()
    order = out["Status"].map({s: i for i, s in enumerate(STATUS_ORDER)})
    return out.assign(_o=order).sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)


def export_file(make_bytes: Callable[[pd.DataFrame], bytes], log: Callable[[], None], table: pd.DataFrame):
    """The callable behind a download button: logs the export, then makes the file (only when clicked)."""

    def make() -> bytes:
        log()
        return make_bytes(table)

    return make


def _summary(rows: pd.DataFrame, day: dt.date) -> str:
    counts = rows["change"].value_counts()
    current = int(counts.get(CHANGE_NEW, 0) + counts.get(CHANGE_STAYED, 0))
    return (
        f"**{current} personer** på arbetslistan {day:%Y-%m-%d}: {int(counts.get(CHANGE_NEW, 0))} nya sedan "
        f"förra månaden och {int(counts.get(CHANGE_STAYED, 0))} kvar. {int(counts.get(CHANGE_LEFT, 0))} personer "
        f"har lämnat listan sedan {month_before(day):%Y-%m-%d}. Totalt {len(rows)} rader."
    )


def worklist_section(viewer: AccessContext) -> None:
    """Day, filters, the list and its exports, within the viewer's scope (decided in the data layer)."""
    eng = engine()
    last = worklist_latest_day(access=viewer, engine=eng)
    if last is None:
        st.info("Det finns inga vårdkontakter eller akutbesök inlästa.")
        return
    names = municipality_names()
    c1, c2 = st.columns([1, 3])
    day = c1.date_input("Dag", value=last, max_value=last, key="wl_day", format="YYYY-MM-DD",
                        help="Listan visar dem som är i någon målgrupp den här dagen, jämfört med samma dag "
                             "månaden innan.")
    cohorts = c2.multiselect("Målgrupp", list(PERSON_COHORTS), key="wl_cohorts",
                             format_func=lambda c: COHORT_SHORT_SV.get(c, c), placeholder="Alla målgrupper")
    options = worklist_filter_options(access=viewer, day=day, engine=eng)
    c3, c4 = st.columns(2)
    munis = c3.multiselect("Kommun", options["municipalities"], key="wl_munis",
                           format_func=lambda c: names.get(c, c), placeholder="Alla kommuner i din behörighet")
    centres = c4.multiselect("Vårdcentral (senaste kontakt)", options["care_centres"], key="wl_centres",
                             placeholder="Alla vårdcentraler i din behörighet")
    chosen = {"municipalities": munis or None, "care_centres": centres or None, "cohorts": cohorts or None}
    rows = worklist_for(access=viewer, day=day, engine=eng, **chosen)
    st.markdown(_summary(rows, day))
    if rows.empty:
        st.info("Ingen person i din behörighet är i någon av de valda målgrupperna den här dagen.")
    table = worklist_table(rows)
    st.dataframe(
        table,
        hide_index=True,
        column_config={"Ålder": st.column_config.NumberColumn(format="%d")},
        height=min(36 * (len(table) + 1) + 3, 640),
        key="wl_table",
    )
    st.caption("Klicka på en kolumnrubrik för att sortera. \"–\": uppgift saknas (i vårdcentral: ingen "
               "vårdcentralskontakt i underlaget).")

    def log(file_format: str) -> Callable[[], None]:
        return lambda: record_worklist_export(access=viewer, day=day, rows=len(table), file_format=file_format,
                                              engine=eng, **chosen)

    d1, d2 = st.columns(2)
    d1.download_button(
        "Ladda ner arbetslistan (CSV)", export_file(csv_bytes, log("csv"), table),
        file_name=f"arbetslista_{day:%Y-%m-%d}.csv", mime="text/csv", key="wl_csv", on_click="ignore",
        help="Semikolonseparerad för svenska Excel. Exporten loggas med ditt användarnamn, tid och antal rader.",
    )
    d2.download_button(
        "Ladda ner arbetslistan (Excel)", export_file(lambda t: xlsx_bytes(t, sheet="Arbetslista"), log("xlsx"), table),
        file_name=f"arbetslista_{day:%Y-%m-%d}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="wl_xlsx", on_click="ignore",
        help="Exporten loggas med ditt användarnamn, tid och antal rader.",
    )
