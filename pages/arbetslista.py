"""Arbetslista: the pseudonymous Målgrupper worklist of one day, bounded by the viewer's scope (issue 12)."""

import streamlit as st

from ui.auth import guard
from ui.worklist import PRIVACY_NOTE, worklist_section

viewer = guard("arbetslista")
st.title("Arbetslista")
st.caption(
    "Personer 75 år och äldre som en viss dag finns i någon av målgrupperna, med förändringen sedan samma dag "
    "månaden innan. Du ser bara personer inom din behörighet: vårdcentralen de vars senaste vårdcentralskontakt "
    "var hos er, kommunen sina invånare, akutmottagningen hela området."
)
st.info(PRIVACY_NOTE, icon=":material/lock:")
worklist_section(viewer)
