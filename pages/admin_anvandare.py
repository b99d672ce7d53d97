"""Användare och logg (administrators): users, roles and scopes, password resets, and the access log."""

import streamlit as st

from ui.admin import access_log_section, new_user_section, users_section
from ui.auth import guard

viewer = guard("admin_anvandare")
st.title("Användare och logg")
tab_users, tab_new, tab_log = st.tabs(["Användare", "Ny användare", "Åtkomstlogg"])
with tab_users:
    users_section(viewer)
with tab_new:
    new_user_section(viewer)
with tab_log:
    access_log_section(viewer)
