"""Login, logout, the server-side session check on every run, and the guard every page calls first.

streamlit-authenticator (0.4.x) draws the login form and writes and reads
the remember-me cookie (a JWT signed with the cookie key). Everything it
does not do safely is ours (``docs/access.md``):

* The password check: the library's ``check_credentials`` is replaced by
  :func:`data_access.users.authenticate` (bcrypt, the same time and answer for
  known and unknown names, failed attempts kept in the store with a growing
  delay and a temporary lockout). The library never sees a password hash,
  and the roles it copies into session state are left empty: access comes
  only from :func:`current_viewer`.
* A server-side session record per login, made by the password check
  itself (so that a run interrupted right after it still knows the login)
  and tied to the remember-me cookie by a keyed hash of the cookie's claims
  (:func:`cookie_hash_for`). Every run checks it (:func:`start_run` in
  ``app.py`` and :func:`guard` in every page); logout, the absolute lifetime
  and inactivity revoke it, so a copied, old or logged-out cookie is refused
  even though its signature is valid.
* Fail closed: without a usable cookie key outside demo mode, with a
  setting the app does not understand (:class:`~data_access.settings.SettingsError`,
  e.g. ``PUBLIC_VIEW=kanske``), or without the store, :func:`startup_problem`
  says so, ``app.py`` shows only an error page and every page's
  :func:`guard` stops before drawing anything.
* A busy store during a login (SQLite locked by a long import, a PostgreSQL
  lock timeout: :func:`data_access.users.is_busy`) gives :data:`STORE_BUSY`
  and one log line without the user name, never the wrong-password message.

Session-state keys owned here: ``auth_sid`` (the session id), ``viewer``
(the validated :class:`AccessContext` of this run, read by
``ui.context.current_viewer``), ``auth_authenticator``, ``auth_notice``,
``auth_go_home``, ``auth_app_ran``, ``auth_wanted_page``, ``auth_browser_nonce``
and the library's own keys.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import logging
import secrets
import threading
import time

import jwt
import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from data_access import users
from data_access.access import (
    NOBODY,
    PUBLIC_VIEWER,
    ROLE_LABELS_SV,
    AccessContext,
    may_see_page,
)
from data_access.settings import SettingsError, get_settings, resolve_cookie_key

logger = logging.getLogger(__name__)

SID_KEY = "auth_sid"
VIEWER_KEY = "viewer"
AUTHENTICATOR_KEY = "auth_authenticator"
NOTICE_KEY = "auth_notice"
GO_HOME_KEY = "auth_go_home"
APP_RAN_KEY = "auth_app_ran"
WANTED_PAGE_KEY = "auth_wanted_page"
NONCE_KEY = "auth_browser_nonce"
LIBRARY_KEYS = ("authentication_status", "username", "name", "email", "roles")

FORM_KEY = "Login"
LOGIN_FIELDS = {"Form name": "Logga in", "Username": "Användarnamn", "Password": "Lösenord", "Login": "Logga in"}
FAILED_LOGIN = (
    "Inloggningen misslyckades. Kontrollera användarnamn och lösenord. Efter flera misslyckade försök "
    "spärras inloggningen en stund."
)
STORE_BUSY = "Tjänsten är upptagen, försök igen om en stund."
STARTUP_FAILED = (
    "Appen kan inte starta: databasen går inte att nå eller kunde inte uppgraderas. Försök igen om en "
    "stund eller kontakta förvaltningen."
)
NOTICES = {
    "utloggad": "Du är utloggad.",
    "utgången": "Din inloggning har gått ut. Logga in igen.",
    "inaktiv": "Du har loggats ut efter en tids inaktivitet. Logga in igen.",
    "användare": "Inloggningen gäller inte längre. Logga in igen.",
    "okänd": "Inloggningen gäller inte längre. Logga in igen.",
}
DENIED = "Du har inte behörighet till den här sidan."


# --- configuration -----------------------------------------------------------


def _engine():
    from ui.context import engine

    return engine()


def _secret_cookie_key() -> str | None:
    """``[auth] cookie_key`` from ``.streamlit/secrets.toml`` (None without the file or the key)."""
    try:
        if not st.secrets.load_if_toml_exists():
            return None
        section = st.secrets.get("auth") or {}
        value = section.get("cookie_key")
        return str(value) if value else None
    except Exception:  # noqa: BLE001 - a broken secrets file is a missing key
        return None


def cookie_key() -> tuple[str | None, str | None]:
    """(key, None) or (None, Swedish reason): ``COOKIE_KEY`` wins over ``.streamlit/secrets.toml``."""
    s = get_settings()
    return resolve_cookie_key(s.cookie_key or _secret_cookie_key(), demo=s.demo)


@st.cache_resource(show_spinner=False)
def _prepared(url: str, demo: bool) -> bool:
    """Once per process and store: the demo users (demo mode only) and the dummy hash for unknown names."""
    engine = _engine()
    if demo:
        users.seed_demo_users(engine)
    users.authenticate_warm_up()
    return True


def startup_problem() -> str | None:
    """Why the app must not serve anything (Swedish), or None. Never raises."""
    try:
        _, problem = cookie_key()
        if problem:
            return problem
        s = get_settings()
        _prepared(s.database_url, s.demo)
        return None
    except SettingsError as exc:  # a setting the app does not understand: say which and what it accepts
        return str(exc)
    except Exception:  # noqa: BLE001 - any start-up failure closes the app
        return STARTUP_FAILED


# --- sessions and the cookie -------------------------------------------------


def cookie_hash_for(username: str, exp_date: float, key: str) -> str:
    """What ties a remember-me cookie to its session: HMAC-SHA256 (cookie key) of its claims (user name, expiry)."""
    message = f"{username}\n{float(exp_date)!r}".encode()
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def cookie_hash_from_cookie(token: str | None, key: str, *, now: float | None = None) -> str | None:
    """The hash of a remember-me cookie; None for a forged (wrong key), malformed or expired one.

    Which session it belongs to, and whether that is still valid (not logged
    out, not idle), the store answers (:func:`data_access.users.session_for_cookie`,
    :func:`data_access.users.check_session`).
    """
    if not token or not key:
        return None
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"])
    except jwt.PyJWTError:
        return None
    username, exp = claims.get("username"), claims.get("exp_date")
    if not isinstance(username, str) or isinstance(exp, bool) or not isinstance(exp, int | float):
        return None
    if exp <= (time.time() if now is None else now):
        return None
    return cookie_hash_for(username, exp, key)


# A login whose run was cut off right after the password check (a rerun request arrived meanwhile; every
# session-state access is a point where Streamlit stops a run) is handed to the next run of the same
# browser session through this map: (Streamlit session id, a nonce kept in that session's state) →
# (server-side session id, when). The nonce keeps sessions apart even where ids repeat (AppTest).
_PENDING_LOGINS: dict[tuple[str, str], tuple[str, float]] = {}
_PENDING_LOCK = threading.Lock()
PENDING_SECONDS = 60
# Server-side sessions that have just logged in and not yet been sent to their first page. Kept here, not
# only in the session state, for the same reason: the run that set the flag may be cut off before it sticks.
_FRESH_LOGINS: dict[str, float] = {}


def _browser_key() -> tuple[str, str] | None:
    ctx = get_script_run_ctx()
    if ctx is None:
        return None
    nonce = st.session_state.get(NONCE_KEY)
    if not nonce:
        nonce = st.session_state[NONCE_KEY] = secrets.token_hex(16)
    return ctx.session_id, nonce


def _check_credentials(username: str, password: str, *, browser: tuple[str, str] | None = None) -> bool:
    """Replaces the library's check (see module docstring); a success starts the server-side session at once."""
    result = users.authenticate(_engine(), username, password, allow_demo=get_settings().demo)
    if result.ok:
        hours = get_settings().session_max_hours
        expires = dt.datetime.now().replace(microsecond=0) + dt.timedelta(hours=hours)
        sid = users.start_session(_engine(), username=result.username, expires_at=expires)
        with _PENDING_LOCK:  # before any session-state access: the run may stop at the next one
            _FRESH_LOGINS[sid] = time.monotonic()
            if browser:
                _PENDING_LOGINS[browser] = (sid, time.monotonic())
        st.session_state[SID_KEY] = sid
        st.session_state[GO_HOME_KEY] = True
    return result.ok


def _take_pending_login(browser: tuple[str, str] | None) -> str | None:
    """The session of a login made in this browser session whose run did not get to record it."""
    now = time.monotonic()
    with _PENDING_LOCK:
        for key in [k for k, (_, t) in _PENDING_LOGINS.items() if now - t > PENDING_SECONDS]:
            del _PENDING_LOGINS[key]
        for key in [k for k, t in _FRESH_LOGINS.items() if now - t > PENDING_SECONDS]:
            del _FRESH_LOGINS[key]
        pending = _PENDING_LOGINS.pop(browser, None) if browser else None
    return pending[0] if pending else None


def _bind_cookie(authenticator, key: str, sid: str, username: str) -> None:
    """Tie the cookie that ``authenticator`` wrote in its run (if it did) to the session ``sid``."""
    exp = getattr(getattr(getattr(authenticator, "cookie_controller", None), "cookie_model", None), "exp_date", None)
    if exp:
        users.bind_cookie(_engine(), sid, cookie_hash_for(username, exp, key))


def _authenticator(key: str, browser: tuple[str, str] | None = None):
    """The library's Authenticate for this run, with our password check and no hashes or roles in it."""
    import streamlit_authenticator as stauth

    s = get_settings()
    directory = users.login_directory(_engine(), allow_demo=s.demo)
    credentials = {
        "usernames": {
            # "!" is no bcrypt hash: should the check below ever be bypassed, the library's own check fails.
            name: {"name": shown, "password": "!", "email": None, "roles": None}
            for name, shown in directory.items()
        }
    }
    authenticator = stauth.Authenticate(
        credentials,
        s.cookie_name,
        key,
        cookie_expiry_days=s.session_max_hours / 24,
        auto_hash=False,
        login_sleep_time=0,  # our own timing (users.authenticate) replaces the library's fixed 0.7 s
    )
    authenticator.authentication_controller.authentication_model.check_credentials = functools.partial(
        _check_credentials, browser=browser
    )
    return authenticator


def _clear_login(authenticator=None) -> None:
    """Forget the login in this browser session (and ask the browser to drop the cookie)."""
    st.session_state.pop(SID_KEY, None)
    if authenticator is not None and st.session_state.get("authentication_status"):
        try:
            authenticator.logout(location="unrendered")
        except Exception:  # noqa: BLE001 - the cookie may already be gone
            pass
    for k in LIBRARY_KEYS:
        st.session_state[k] = None
    st.session_state["logout"] = True  # the library reads no cookie again in this browser session


def _anonymous() -> AccessContext:
    return PUBLIC_VIEWER if get_settings().public_view else NOBODY


def _session_viewer(sid: str | None):
    s = get_settings()
    return users.check_session(_engine(), sid, idle_minutes=s.session_idle_minutes, allow_demo=s.demo)


def start_run() -> AccessContext | None:
    """Every run of ``app.py``, before the navigation: the viewer, or None when the app must not start.

    Re-logs in from the remember-me cookie (the library checks its
    signature), then accepts the login only with a valid server-side session.
    """
    st.session_state[APP_RAN_KEY] = True
    problem = startup_problem()
    if problem:
        st.session_state[VIEWER_KEY] = NOBODY
        return None
    key, _ = cookie_key()
    previous = st.session_state.get(AUTHENTICATOR_KEY)
    browser = _browser_key()
    authenticator = _authenticator(key, browser)
    st.session_state[AUTHENTICATOR_KEY] = authenticator
    try:
        authenticator.login(location="unrendered")
    except Exception:  # noqa: BLE001 - e.g. a cookie for a user who is gone: not logged in
        st.session_state["authentication_status"] = None
    pending = _take_pending_login(browser)
    if pending and not st.session_state.get(SID_KEY):
        _adopt_login(authenticator, key, pending)
    sid = st.session_state.get(SID_KEY)
    if not sid and st.session_state.get("authentication_status"):
        # the library logged in from the cookie: which session was it given to?
        token = st.context.cookies.get(get_settings().cookie_name)
        sid = users.session_for_cookie(_engine(), cookie_hash_from_cookie(token, key))
        if sid is None:
            _clear_login(authenticator)  # a well-signed cookie the store does not know
    viewer = _anonymous()
    if sid:
        check = _session_viewer(sid)
        if check.viewer is not None:
            st.session_state[SID_KEY] = sid
            viewer = check.viewer
            _bind_cookie(previous, key, sid, check.username)  # the login run may have ended before tying it
        else:
            _clear_login(authenticator)
            st.session_state[NOTICE_KEY] = NOTICES.get(check.reason or "", NOTICES["okänd"])
    st.session_state[VIEWER_KEY] = viewer
    return viewer


def _adopt_login(authenticator, key: str, sid: str) -> None:
    """Finish a login whose run was cut off after the password check: state, cookie, first page."""
    check = _session_viewer(sid)
    if check.viewer is None:
        return
    st.session_state[SID_KEY] = sid
    st.session_state[GO_HOME_KEY] = True
    st.session_state["authentication_status"] = True
    st.session_state["username"] = check.username
    st.session_state["name"] = users.display_name(_engine(), check.username)
    try:
        authenticator.cookie_controller.set_cookie()  # the remember-me cookie the cut-off run never wrote
        _bind_cookie(authenticator, key, sid, check.username)
    except Exception:  # noqa: BLE001 - without the cookie the login still holds for this browser session
        pass


def current_viewer() -> AccessContext:
    """The viewer validated in this run (NOBODY if none was)."""
    viewer = st.session_state.get(VIEWER_KEY)
    return viewer if isinstance(viewer, AccessContext) else NOBODY


def is_logged_in() -> bool:
    return bool(st.session_state.get(SID_KEY))


# --- the page guard ----------------------------------------------------------


def _validated_viewer() -> AccessContext:
    """The viewer from the session record itself: a page never trusts state left by an earlier run."""
    sid = st.session_state.get(SID_KEY)
    if sid:
        check = _session_viewer(sid)
        if check.viewer is not None:
            return check.viewer
        st.session_state.pop(SID_KEY, None)
    return _anonymous()


def guard(page_id: str) -> AccessContext:
    """Call first in every page: the viewer, or a Swedish message and ``st.stop()``.

    Works without ``app.py`` having run: Streamlit serves the files in
    ``pages/`` directly (its old multipage mode) after a server start until
    some session has run ``app.py``'s ``st.navigation``, and whenever
    ``app.py`` fails before it. A session that has not run ``app.py`` is sent
    there first (to its first page); if that is impossible the guard checks
    the start-up, the session record and
    :data:`~data_access.access.PAGE_RULES` itself.
    """
    if not st.session_state.get(APP_RAN_KEY):
        st.session_state[WANTED_PAGE_KEY] = page_id
        try:
            st.switch_page("app.py")  # raises Streamlit's rerun signal, which is no Exception
        except Exception:  # noqa: BLE001 - e.g. a page run on its own in a test: check here instead
            pass
    try:
        problem = startup_problem()
        viewer = NOBODY if problem else _validated_viewer()
    except Exception:  # noqa: BLE001
        problem, viewer = STARTUP_FAILED, NOBODY
    st.session_state[VIEWER_KEY] = viewer
    if problem:
        st.title("Appen kan inte starta")
        st.error(problem)
        st.stop()
    if not may_see_page(viewer, page_id):
        st.title("Ingen behörighet")
        if is_logged_in():
            st.warning(DENIED)
        else:
            st.warning(f"{DENIED} Logga in för att fortsätta.")
        st.stop()
    return viewer


# --- widgets -----------------------------------------------------------------


def login_form() -> None:
    """The login form (page ``logga_in``); a successful login leads on to the viewer's first page."""
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(notice)
    authenticator = st.session_state.get(AUTHENTICATOR_KEY)
    key, problem = cookie_key()
    if authenticator is None or problem:
        st.error(problem or STARTUP_FAILED)
        return
    busy = False
    try:
        authenticator.login(location="main", fields=LOGIN_FIELDS, key=FORM_KEY, clear_on_submit=True)
    except Exception as exc:  # noqa: BLE001 - never show the library's own messages; a half-made login is undone
        busy = users.is_busy(exc)
        if busy:  # the class and code of the error only: its text may quote the SQL and the name typed
            logger.warning("Login not checked: the store is busy (%s).", users.busy_reason(exc))
        else:
            logger.warning("Login failed with an unexpected error (%s).", type(exc).__name__)
        try:
            users.revoke_session(_engine(), st.session_state.get(SID_KEY), reason="fel")
        except Exception:  # noqa: BLE001 - a busy store again; the session was never tied to a cookie
            pass
        _clear_login(authenticator)
        st.session_state["authentication_status"] = None if busy else False
    status = st.session_state.get("authentication_status")
    sid = st.session_state.get(SID_KEY)
    if busy:
        st.error(STORE_BUSY)
    elif status and sid:
        check = _session_viewer(sid)
        if check.viewer is not None:
            _bind_cookie(authenticator, key, sid, check.username)
            st.session_state[VIEWER_KEY] = check.viewer
            st.success(f"Du är inloggad som {st.session_state.get('name') or check.username}.")
            st.button("Fortsätt", key="auth_continue", type="primary")
    elif status is False:
        st.error(FAILED_LOGIN)
    if get_settings().demo and not is_logged_in():
        _demo_users_help()


def _demo_users_help() -> None:
    with st.expander("Demoanvändare (lösenord: demo)"):
        rows = [
            {"Användarnamn": u, "Roll": ", ".join(f"{ROLE_LABELS_SV[r]}{f' ({s})' if s else ''}" for r, s in grants)}
            for u, _, grants in users.DEMO_USERS
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True)
        st.caption("Demoläget är på (DEMO=1). Demoanvändarna kan inte logga in utanför demoläget.")


def grants_text(grants) -> str:
    from ui.labels import municipality_names

    names = municipality_names()
    parts = []
    for role, scope in grants:
        label = ROLE_LABELS_SV.get(role, role)
        parts.append(f"{label} – {names.get(scope, scope)}" if scope else label)
    return ", ".join(parts) or "inga roller"


def account(viewer: AccessContext) -> None:
    """Who is logged in, with which roles, and a logout button (page ``logga_in`` when logged in)."""
    username = viewer.user
    st.markdown(f"Inloggad som **{users.display_name(_engine(), username)}** (`{username}`).")
    grants = users.grants_of(_engine(), username)
    st.markdown(f"**Roller:** {grants_text(grants)}")
    s = get_settings()
    st.caption(
        f"Inloggningen avslutas efter {s.session_idle_minutes} minuters inaktivitet och senast "
        f"{s.session_max_hours:g} timmar efter inloggningen."
    )
    logout_button(key="auth_logout_page")


def logout() -> None:
    """Revoke the session record, drop the cookie and the state; the next run is anonymous."""
    sid = st.session_state.get(SID_KEY)
    try:
        users.revoke_session(_engine(), sid, reason="utloggad")
    finally:
        _clear_login(st.session_state.get(AUTHENTICATOR_KEY))
        st.session_state[VIEWER_KEY] = _anonymous()
        st.session_state[NOTICE_KEY] = NOTICES["utloggad"]


def logout_button(*, key: str = "auth_logout") -> None:
    if st.button("Logga ut", key=key, icon=":material/logout:"):
        logout()


def sidebar_account(viewer: AccessContext) -> None:
    """In the sidebar of every page: who is logged in and a logout button."""
    if not is_logged_in():
        return
    with st.sidebar:
        st.divider()
        st.caption(f"Inloggad: {users.display_name(_engine(), viewer.user)}")
        logout_button()


def take_page_to_open() -> str | None:
    """The page ``app.py`` should open now, once: the viewer's first page after a login (``""``), or the
    page asked for before ``app.py`` had run in this session. None: the page asked for."""
    wanted = st.session_state.pop(WANTED_PAGE_KEY, None)
    sid = st.session_state.get(SID_KEY)
    with _PENDING_LOCK:
        fresh = _FRESH_LOGINS.pop(sid, None) if sid else None
    if (st.session_state.pop(GO_HOME_KEY, False) or fresh is not None) and is_logged_in():
        return ""
    return wanted
