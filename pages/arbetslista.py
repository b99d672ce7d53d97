"""Arbetslista: The person-level target-group worklist (issue 12). Placeholder until the page is built."""

import streamlit as st

from ui.auth import guard

viewer = guard("arbetslista")
st.title("Arbetslista")
st.info("Sidan är under uppbyggnad.")
