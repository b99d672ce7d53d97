"""What is loaded: freshness ("data t.o.m."), rows per table and municipality, values from elsewhere."""

import streamlit as st

from ui.auth import guard
from ui.loaded import loaded_overview

viewer = guard("datastatus")
st.title("Dataunderlag – vad som finns inläst")
st.caption("Hur aktuellt underlaget är och hur många rader som finns per tabell och kommun "
           "(inga personuppgifter visas).")
loaded_overview(viewer)
