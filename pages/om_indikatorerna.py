"""Om indikatorerna: definitions from the registry, data freshness and data quality."""

import streamlit as st

from ui.about import data_quality_section, definitions_section, freshness_section
from ui.auth import guard
from ui.context import current_viewer

guard("om_indikatorerna")
st.title("Om indikatorerna")
st.caption(
    "Definitioner, källor och målnivåer för varje indikator, och hur komplett underlaget är – "
    "så att ett lågt värde kan skiljas från bristande rapportering."
)
tab_def, tab_fresh, tab_quality = st.tabs(["Definitioner", "Aktualitet", "Datakvalitet"])
with tab_def:
    definitions_section()
with tab_fresh:
    freshness_section(current_viewer())
with tab_quality:
    data_quality_section(current_viewer())
