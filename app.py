"""Nära vård indikatorvy — entry point: configure, (later: log in), navigate.

Keep this file small: no business rules here. It must always reach
``st.navigation`` (see stack notes: otherwise Streamlit falls back to serving
every file in pages/).
"""

import streamlit as st

st.set_page_config(page_title="Nära vård indikatorvy", page_icon="📊", layout="wide")

pages = [
    st.Page("pages/datastatus.py", title="Dataunderlag – status", icon="🗂️", default=True),
]
st.navigation(pages).run()
