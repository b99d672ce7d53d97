"""Widgets of the administrators' page: users, roles and scopes, passwords, sessions and the access log.

Owns the keys prefixed ``adm_``. Every change goes through
``data_access.users``, which checks the acting viewer's admin permission
itself. A new or reset password is made at random and shown once. User names, display names and
care-centre names are shown in tables and as selectbox options (plain text); in Markdown (messages)
they go through ``ui.safe_text.md_escape``.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access import users
from data_access.access import (
    CARE_CENTRE,
    MUNICIPALITY,
    ROLE_LABELS_SV,
    ROLES,
    SCOPE_KIND,
    AccessContext,
)
from data_access.person_queries import care_centre_names
from data_access.settings import get_settings
from ui.auth import grants_text
from ui.context import engine
from ui.labels import municipality_names
from ui.safe_text import md_escape

SHOWN_PASSWORD_KEY = "adm_shown_password"


@st.cache_data(ttl=300, show_spinner=False)
def _care_centres(url: str, viewer: AccessContext) -> list[str]:
    return care_centre_names(access=viewer, engine=engine())


def _municipality_options() -> list[str]:
    names = municipality_names()
    return sorted((c for c in names if c != "ALL"), key=lambda c: names[c])


def _grants_editor(viewer: AccessContext, prefix: str, current: tuple = ()) -> list[tuple[str, str | None]]:
    """Roles, municipalities and care centres as widgets; returns the (role, scope) pairs chosen."""
    names = municipality_names()
    roles = st.multiselect(
        "Roller", list(ROLES), default=[r for r in ROLES if r in {g[0] for g in current}], key=f"{prefix}_roles",
        format_func=lambda r: ROLE_LABELS_SV[r], placeholder="Välj roller",
    )
    munis = st.multiselect(
        "Kommuner (för ledningsgrupp och processledare)", _municipality_options(),
        default=sorted({s for r, s in current if SCOPE_KIND.get(r) == MUNICIPALITY and s}),
        key=f"{prefix}_munis", format_func=lambda c: f"{names.get(c, c)} ({c})", placeholder="Välj kommuner",
    )
    centres_all = _care_centres(get_settings().database_url, viewer)
    current_centres = sorted({s for r, s in current if SCOPE_KIND.get(r) == CARE_CENTRE and s})
    centres = st.multiselect(
        "Vårdcentraler (för rollen vårdcentral)", sorted(set(centres_all) | set(current_centres)),
        default=current_centres, key=f"{prefix}_centres", placeholder="Välj vårdcentraler",
    )
    grants: list[tuple[str, str | None]] = []
    for role in roles:
        kind = SCOPE_KIND[role]
        if kind == MUNICIPALITY:
            grants += [(role, m) for m in munis] or [(role, None)]
        elif kind == CARE_CENTRE:
            grants += [(role, c) for c in centres] or [(role, None)]
        else:
            grants.append((role, None))
    return grants


def _show_password_once() -> None:
    shown = st.session_state.pop(SHOWN_PASSWORD_KEY, None)
    if shown:
        username, password = shown
        who = md_escape(username)
        st.success(f"Lösenord för {who} (visas bara nu – lämna det till användaren på ett säkert sätt):")
        st.code(password, language=None)


def users_section(viewer: AccessContext) -> None:
    eng = engine()
    _show_password_once()
    table = users.list_users(eng, access=viewer)
    if table.empty:
        st.info("Det finns inga användare.")
        return
    shown = pd.DataFrame({
        "Användarnamn": table["username"],
        "Namn": table["display_name"],
        "Aktiv": table["active"],
        "Demo": table["demo"],
        "Roller": table["grants"].map(grants_text),
        "Öppna sessioner": table["open_sessions"],
    })
    st.dataframe(shown, hide_index=True)

    st.subheader("Ändra en användare")
    username = st.selectbox("Användare", list(table["username"]), key="adm_user")
    info = users.user_info(eng, access=viewer, username=username)
    if info is None:
        return
    with st.form("adm_edit"):
        grants = _grants_editor(viewer, f"adm_edit_{username}", info.grants)
        active = st.checkbox("Aktiv (kan logga in)", value=info.active, key=f"adm_active_{username}")
        saved = st.form_submit_button("Spara roller och status", type="primary")
    if saved:
        try:
            users.set_grants(eng, access=viewer, username=username, grants=grants)
            if active != info.active:
                users.set_active(eng, access=viewer, username=username, active=active)
            st.success("Sparat.")
            st.rerun()
        except users.UserError as exc:
            st.error(md_escape(exc))  # may quote what was typed
    policy = users.LoginPolicy.from_settings()
    failures = users.recent_failures(eng, username, policy=policy)
    if failures >= policy.max_failures:
        st.warning(f"Inloggningen är tillfälligt spärrad efter {failures} misslyckade försök.")
    c1, c2, c3 = st.columns(3)
    if c3.button("Häv inloggningsspärren", key="adm_unlock", disabled=failures == 0,
                 help="Misslyckade försök räknas inte längre; de finns kvar i loggen."):
        users.lift_lockout(eng, access=viewer, username=username)
        st.success("Spärren är hävd.")
    if c1.button("Återställ lösenord", key="adm_reset", help="Ett nytt slumpat lösenord; användaren loggas ut."):
        password = users.generate_password()
        users.set_password(eng, access=viewer, username=username, password=password)
        st.session_state[SHOWN_PASSWORD_KEY] = (username, password)
        st.rerun()
    if c2.button("Logga ut från alla enheter", key="adm_revoke"):
        n = users.revoke_user_sessions(eng, access=viewer, username=username)
        st.success(f"{n} sessioner avslutades.")


def new_user_section(viewer: AccessContext) -> None:
    eng = engine()
    _show_password_once()
    with st.form("adm_new", clear_on_submit=False):
        username = st.text_input("Användarnamn", key="adm_new_username",
                                 help="Små bokstäver, siffror, punkt, bindestreck eller understreck.")
        display = st.text_input("Namn som visas", key="adm_new_display")
        grants = _grants_editor(viewer, "adm_new")
        created = st.form_submit_button("Skapa användare", type="primary")
    if created:
        password = users.generate_password()
        try:
            users.create_user(eng, access=viewer, username=username, display_name=display, password=password,
                              grants=grants)
        except users.UserError as exc:
            st.error(md_escape(exc))  # may quote what was typed
            return
        st.session_state[SHOWN_PASSWORD_KEY] = (users.normalise_username(username), password)
        st.rerun()


def access_log_section(viewer: AccessContext) -> None:
    st.caption("Varje visning och export av uppgifter på personnivå: vem, när, vad och hur många rader.")
    who = st.text_input("Filtrera på användarnamn", key="adm_log_user")
    log = users.read_access_log(engine(), access=viewer, username=who or None)
    if log.empty:
        st.info("Loggen är tom.")
        return
    shown = log.rename(columns={"logged_at": "Tid", "username": "Användare", "action": "Händelse", "what": "Vad",
                                "rows": "Rader", "detail": "Detaljer"})
    st.dataframe(shown, hide_index=True)
