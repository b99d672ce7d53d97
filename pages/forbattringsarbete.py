"""Förbättringsarbete: improvement areas and PDSA cycles of the viewer's municipalities (issue 8).

``?cykel=ID`` (the links under the Trender charts) opens that cycle's card. Titles and texts are the
users' own: shown through ``imp.esc`` in Markdown (selectbox options and tables are plain text) and
escaped for Plotly by ``imp.timeline_figure``.
"""

import datetime as dt

import pandas as pd
import streamlit as st

from data_access import pdsa
from metrics.review import CYCLE_STATUSES, STATUS_LABELS_SV
from ui import improvement as imp
from ui.auth import guard
from ui.context import engine, results
from ui.labels import municipality_names
from ui.plotly_sv import plotly_config

viewer = guard("forbattringsarbete")
st.title("Förbättringsarbete")
st.caption(
    "Förbättringsområden och PDSA-cykler (Planera, Göra, Studera, Agera) enligt förbättringsmodellen. "
    "Cykler med startdatum visas som markeringar i styrdiagrammen på Trender för sina kopplade indikatorer."
)
names = municipality_names()
can_edit = viewer.can_edit_pdsa
imp.show_flash()
imp.lost_work_notice()

# A link from a chart: open that cycle (once; then the choices below are the user's).
wanted = st.query_params.get("cykel")
if wanted is not None:
    try:
        cycle_id = int(wanted)
        if not 0 < cycle_id < 2**31:  # an id the store can hold (a longer number overflows the query)
            raise ValueError(wanted)
        target = pdsa.get_cycle(access=viewer, cycle_id=cycle_id, engine=engine())
    except (ValueError, pdsa.NotFound, pdsa.AccessDenied):
        st.warning("Cykeln i länken finns inte, har tagits bort eller hör till en kommun du inte har behörighet till.")
    else:
        st.session_state.update(
            pdsa_kommun=target["municipality_code"], pdsa_area=int(target["area_id"]),
            pdsa_cycle=int(target["id"]), pdsa_area_status=list(CYCLE_STATUSES),
            pdsa_cycle_status=list(CYCLE_STATUSES),
        )  # fmt: skip
    del st.query_params["cykel"]

monthly = results("month")
codes = sorted(c for c in monthly["municipality_code"].unique() if c != "ALL" and viewer.allows_municipality(c))
if not codes:
    st.info("Det finns inga kommuner att visa för dig.")
    st.stop()
if st.session_state.get("pdsa_kommun") not in codes:
    st.session_state["pdsa_kommun"] = codes[0]
left, mid, right = st.columns([1, 1, 1])
code = left.selectbox("Kommun", codes, key="pdsa_kommun", format_func=lambda c: names.get(c, c))
st.session_state.setdefault("pdsa_area_status", list(CYCLE_STATUSES))
st.session_state.setdefault("pdsa_cycle_status", list(CYCLE_STATUSES))
area_status = mid.multiselect("Områdenas status", CYCLE_STATUSES, key="pdsa_area_status",
                              format_func=STATUS_LABELS_SV.get, placeholder="Alla")  # fmt: skip
cycle_status = right.multiselect("Cyklernas status", CYCLE_STATUSES, key="pdsa_cycle_status",
                                 format_func=STATUS_LABELS_SV.get, placeholder="Alla")  # fmt: skip
name = names.get(code, code)
if not can_edit:
    st.caption("Du kan läsa förbättringsarbetet men inte ändra det.")

# --- areas -------------------------------------------------------------------
areas = pdsa.list_areas(access=viewer, municipalities=[code], statuses=area_status or None, engine=engine())
st.header(f"Förbättringsområden i {name}")
if areas.empty:
    st.info("Inga förbättringsområden" + (" med vald status." if area_status != list(CYCLE_STATUSES) else " ännu."))
else:
    st.dataframe(imp.areas_table(areas, names), hide_index=True, key="pdsa_areas_table")
if can_edit:
    with st.expander("Nytt förbättringsområde", icon=":material/add:"):
        imp.area_form(viewer, municipality_code=code)
if areas.empty:
    st.stop()

area_ids = [int(i) for i in areas["id"]]
if st.session_state.get("pdsa_area") not in area_ids:
    st.session_state["pdsa_area"] = area_ids[0]
titles = dict(zip(area_ids, areas["title"], strict=True))
area_id = st.selectbox("Välj förbättringsområde", area_ids, key="pdsa_area", format_func=titles.get)
area = areas[areas["id"] == area_id].iloc[0].to_dict()

st.subheader(imp.esc(area["title"]))
st.markdown(
    f":gray-badge[Status: {STATUS_LABELS_SV.get(area['status'], area['status'])}] · "
    f"Ansvarig: {imp.esc(area['owner'] or '–')} · "
    f"Kopplade indikatorer: {imp.esc(imp.value_text('indicator_ids', area['indicator_ids']))}"
)
if area["description"]:
    st.markdown(imp.esc(area["description"]))
if can_edit:
    with st.expander("Ändra förbättringsområdet", icon=":material/edit:"):
        imp.area_form(viewer, municipality_code=code, area=area)
    imp.delete_section(viewer, "area", area)

# --- cycles of the area --------------------------------------------------------
all_cycles = pdsa.list_cycles(access=viewer, area_id=area_id, engine=engine())
cycles = all_cycles[all_cycles["status"].isin(cycle_status)] if cycle_status else all_cycles
st.subheader("Tidslinje")
if all_cycles.empty:
    st.info("Området har inga PDSA-cykler ännu.")
else:
    fig = imp.timeline_figure(cycles, title=f"PDSA-cykler: {area['title']}", today=dt.date.today())
    st.plotly_chart(fig, config=plotly_config(), key="pdsa_timeline", width="stretch")
    with st.expander("Visa tidslinjen som tabell"):
        st.dataframe(imp.timeline_table(cycles), hide_index=True, key="pdsa_timeline_table")

st.subheader("PDSA-cykler")
if can_edit:
    with st.expander("Ny PDSA-cykel i området", icon=":material/add:"):
        imp.cycle_form(viewer, area=area, siblings=all_cycles)
if cycles.empty:
    if not all_cycles.empty:
        st.info("Inga cykler med vald status.")
else:
    cycle_ids = [int(i) for i in cycles["id"]]
    if st.session_state.get("pdsa_cycle") not in cycle_ids:
        st.session_state["pdsa_cycle"] = cycle_ids[-1]
    labels = {int(c["id"]): f"PDSA {int(c['cycle_number'])}: {c['title']}" for c in cycles.to_dict("records")}
    cycle_id = st.selectbox("Välj cykel", cycle_ids, key="pdsa_cycle", format_func=labels.get)
    cycle = pdsa.get_cycle(access=viewer, cycle_id=cycle_id, engine=engine())
    nxt = cycle["next_cycle_id"]
    imp.cycle_card(cycle, next_title=labels.get(int(nxt)) if nxt is not None and not pd.isna(nxt) else None)
    if can_edit:
        phases = pdsa.list_phases(access=viewer, municipality_code=code, engine=engine())
        imp.phase_offer(viewer, cycle, phases, municipality_name=name)
        imp.adopt_section(viewer, cycle, municipality_name=name)
        with st.expander("Ändra cykeln", icon=":material/edit:"):
            imp.cycle_form(viewer, area=area, cycle=cycle, siblings=all_cycles)
        imp.delete_section(viewer, "cycle", cycle)

# --- phases and, for administrators, the audit trail -----------------------------
phases = pdsa.list_phases(access=viewer, municipality_code=code, engine=engine())
with st.expander(f"Faser i styrdiagrammen för {name} ({len(phases)})"):
    if phases.empty:
        st.caption("Inga nya faser. En ny fas startas när en förändring antas.")
    else:
        st.dataframe(imp.phases_table(phases, pdsa.list_cycles(access=viewer, municipalities=[code], engine=engine())),
                     hide_index=True, key="pdsa_phases_table")  # fmt: skip
if viewer.is_admin:
    imp.audit_section(viewer, code, name)
