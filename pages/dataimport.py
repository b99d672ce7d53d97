"""Ladda upp data: Upload of source files (issue 9). Placeholder until the page is built."""

import streamlit as st

from ui.auth import guard

viewer = guard("dataimport")
st.title("Ladda upp data")
st.info("Sidan är under uppbyggnad.")
