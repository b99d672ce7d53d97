"""Målgrupper: The target-group cohorts (issue 12). Placeholder until the page is built."""

import streamlit as st

from ui.auth import guard

viewer = guard("malgrupper")
st.title("Målgrupper")
st.info("Sidan är under uppbyggnad.")
