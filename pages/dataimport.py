"""Ladda upp data (administrators): upload source files with progress and a report, history, Kolada values."""

import streamlit as st

from ui.auth import guard
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
history_section(viewer)
