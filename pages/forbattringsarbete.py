"""Förbättringsarbete: Improvement areas and PDSA cycles (issue 8). Placeholder until the page is built."""

import streamlit as st

from ui.auth import guard

viewer = guard("forbattringsarbete")
st.title("Förbättringsarbete")
st.info("Sidan är under uppbyggnad.")
