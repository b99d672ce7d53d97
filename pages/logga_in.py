"""Logga in (not logged in) or Konto (logged in): the login form, or who is logged in and a logout button."""

import streamlit as st

from ui.auth import account, guard, is_logged_in, login_form

viewer = guard("logga_in")
if is_logged_in():
    st.title("Konto")
    account(viewer)
else:
    st.title("Logga in")
    st.caption(
        "Inloggning behövs för uppgifter på personnivå och för det som bara vissa roller får se. "
        "Inloggningen sparas i en cookie i webbläsaren tills du loggar ut."
    )
    login_form()
