"""What is loaded: rows per table and municipality and the date span (aggregated, no persons)."""

import streamlit as st

from ui.auth import guard
from ui.loaded import loaded_overview

guard("datastatus")
st.title("Dataunderlag – vad som finns inläst")
st.caption("Antal rader per tabell och kommun och vilken period de täcker (inga personuppgifter visas).")
loaded_overview()
