"""Nära vård indikatorvy — entry point: configure, log in, navigate.

Keep this file small: no business rules here. It must always reach
``st.navigation`` (see stack notes: otherwise Streamlit falls back to serving
every file in pages/ without this login). Any start-up failure — no cookie
key outside demo mode, no store — gives a navigation holding one error page,
and every page checks the viewer itself as well (``ui.auth.guard``).

Everything after ``st.navigation`` runs through ``ui.errors.run_guarded``: an
unexpected error shows a Swedish message with a reference id, and its
traceback goes to the server log only (``client.showErrorDetails = "none"``
in ``.streamlit/config.toml`` covers the rest).
"""

import streamlit as st

st.set_page_config(page_title="Nära vård indikatorvy", page_icon=":material/monitoring:", layout="wide")

# Page id (data_access.access.PAGE_RULES) → file, title, icon, section.
PAGES = {
    "oversikt": ("pages/oversikt.py", "Översikt", ":material/dashboard:", "Indikatorer"),
    "trender": ("pages/trender.py", "Trender", ":material/monitoring:", "Indikatorer"),
    "jamfor": ("pages/jamfor.py", "Jämför kommuner", ":material/compare_arrows:", "Indikatorer"),
    "malgrupper": ("pages/malgrupper.py", "Målgrupper", ":material/diversity_3:", "Indikatorer"),
    "om_indikatorerna": ("pages/om_indikatorerna.py", "Om indikatorerna", ":material/info:", "Indikatorer"),
    "forbattringsarbete": ("pages/forbattringsarbete.py", "Förbättringsarbete", ":material/autorenew:",
                           "Förbättringsarbete"),
    "manadsuppfoljning": ("pages/manadsuppfoljning.py", "Månadsuppföljning", ":material/event_note:",
                          "Förbättringsarbete"),
    "mangsokare": ("pages/mangsokare.py", "Mångsökare", ":material/groups:", "Vård"),
    "arbetslista": ("pages/arbetslista.py", "Arbetslista", ":material/checklist:", "Vård"),
    "datastatus": ("pages/datastatus.py", "Dataunderlag", ":material/database:", "Data"),
    "dataimport": ("pages/dataimport.py", "Ladda upp data", ":material/upload_file:", "Data"),
    "admin_anvandare": ("pages/admin_anvandare.py", "Användare och logg", ":material/manage_accounts:", "Administration"),
    "logga_in": ("pages/logga_in.py", "Logga in", ":material/login:", "Konto"),
}


def startup_error() -> None:
    """The only page while the app cannot start (or while the store is too busy to check the login)."""
    message = "Appen är inte rätt konfigurerad."
    try:
        from data_access.users import is_busy
        from ui.auth import STORE_BUSY, startup_problem

        if is_busy(start_failure):
            st.title("Tjänsten är upptagen")
            st.warning(STORE_BUSY)
            return
        message = startup_problem() or message
    except Exception:  # noqa: BLE001 - the message is all this page shows
        pass
    st.title("Appen kan inte starta")
    st.error(message)


def navigation_pages(viewer, logged_in: bool) -> dict[str, st.Page]:
    """The viewer's pages by id, in navigation order (the first is the default)."""
    from data_access.access import pages_for

    out = {}
    for i, page_id in enumerate(pages_for(viewer)):
        path, title, icon, _ = PAGES[page_id]
        if page_id == "logga_in" and logged_in:
            title, icon = "Konto", ":material/account_circle:"
        out[page_id] = st.Page(path, title=title, icon=icon, default=i == 0)
    return out


viewer, pages, start_failure = None, {}, None
try:
    from ui import auth

    viewer = auth.start_run()
    if viewer is not None:
        pages = navigation_pages(viewer, auth.is_logged_in())
except Exception as exc:  # noqa: BLE001 - fail closed: the error page below (a busy store says so)
    viewer, pages, start_failure = None, {}, exc
    try:
        from ui.errors import log_error

        log_error(exc, where="start")
    except Exception:  # noqa: BLE001 - never let logging open the app
        pass

if pages:
    sections: dict[str, list] = {}
    for page_id, page in pages.items():
        sections.setdefault(PAGES[page_id][3], []).append(page)
    navigation = st.navigation(sections)
else:
    navigation = st.navigation(
        [st.Page(startup_error, title="Appen kan inte starta", icon=":material/error:", default=True)]
    )


def open_page() -> None:
    """The chosen page, after the first page a login asked for and the account box in the sidebar."""
    if pages:
        wanted = auth.take_page_to_open()
        if wanted is not None and (wanted == "" or wanted in pages):
            st.switch_page(pages[wanted] if wanted else next(iter(pages.values())))
        auth.sidebar_account(viewer)
    navigation.run()


# Imported only now: st.navigation has run, so even a failing import cannot open pages/ to anyone.
from ui.errors import run_guarded  # noqa: E402

run_guarded(open_page, where=f"{navigation.title} (/{navigation.url_path})")
