"""Ladda upp data (administrators): upload source files with progress and a report, history, Kolada values and
the Kolada KPI mappings."""

import streamlit as st

from ui.auth import guard
from ui.kolada_admin import kolada_mapping_section
from ui.upload import history_section, kolada_section, upload_section

viewer = guard("dataimport")
st.title("Ladda upp data")
st.caption(
    "Ladda upp en eller flera CSV- eller Excel-filer enligt dataleveransens format. Allt kontrolleras först: "
    "finns ett enda fel sparas ingenting, och felen listas med fil, rad och kolumn. Efter en lyckad import "
    "räknas indikatorerna om."
)
upload_section(viewer)
kolada_section(viewer)
kolada_mapping_section(viewer)
history_section(viewer)
