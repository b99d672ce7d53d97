"""Nära vård indikatorvy — entry point: configure, (later: log in), navigate.

Keep this file small: no business rules here. It must always reach
``st.navigation`` (see stack notes: otherwise Streamlit falls back to serving
every file in pages/).
"""

import streamlit as st

st.set_page_config(page_title="Nära vård indikatorvy", page_icon=":material/monitoring:", layout="wide")

pages = {
    "Indikatorer": [
        st.Page("pages/oversikt.py", title="Översikt", icon=":material/dashboard:", default=True),
        st.Page("pages/trender.py", title="Trender", icon=":material/monitoring:"),
        st.Page("pages/jamfor.py", title="Jämför kommuner", icon=":material/compare_arrows:"),
        st.Page("pages/om_indikatorerna.py", title="Om indikatorerna", icon=":material/info:"),
    ],
    "Data": [
        st.Page("pages/datastatus.py", title="Dataunderlag", icon=":material/database:"),
    ],
}
st.navigation(pages).run()
