"""Månadsuppföljning: The monthly review of one municipality (issue 8). Placeholder until the page is built."""

import streamlit as st

from ui.auth import guard

viewer = guard("manadsuppfoljning")
st.title("Månadsuppföljning")
st.info("Sidan är under uppbyggnad.")
