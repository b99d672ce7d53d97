"""Mångsökare: the pseudonymous list for vårdcentral and akutmottagning, and suppressed counts per care centre."""

import streamlit as st

from ui.auth import guard
from ui.frequent_attenders import frequent_attender_list_section, frequent_attender_trend_section

viewer = guard("mangsokare")
st.title("Mångsökare")
st.caption(
    "Personer med minst 3 vårdkontakter i primärvården under 30 dagar eller minst 4 besök på "
    "akutmottagningen under 365 dagar. Personerna visas bara med pseudonym, och varje visning och "
    "export av listan loggas."
)
if viewer.frequent_attender_list:
    frequent_attender_list_section(viewer)
frequent_attender_trend_section(viewer)
