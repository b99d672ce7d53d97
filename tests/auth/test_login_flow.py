"""The login flow with AppTest: the library's form (Swedish labels), our check, the session, logout, lockout."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from data_access import users
from data_access.models import AuthSession, LoginAttempt
from tests.auth.conftest import app_test

FAILED = "Inloggningen misslyckades"
SUBMIT = "FormSubmitter:Login-Logga in"


@pytest.fixture
def engine(app_env, sample_engine, monkeypatch):
    monkeypatch.setattr(users.LoginPolicy, "delay", lambda self, failures: 0.0)  # no growing waits in tests
    return sample_engine


def login_page():
    """A session that has run app.py, now on the login page (AppTest runs the page file itself)."""
    at = app_test().run()
    return at.switch_page("pages/logga_in.py").run()


def submit(at, username: str, password: str):
    by_label = {t.label: t for t in at.text_input}
    by_label["Användarnamn"].input(username)
    by_label["Lösenord"].input(password)
    return at.button(key=SUBMIT).click().run()


def count(engine, model, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_login_opens_the_users_pages_and_logout_revokes_the_session(engine):
    at = login_page()
    assert [t.value for t in at.title] == ["Logga in"]
    assert [t.label for t in at.text_input] == ["Användarnamn", "Lösenord"]
    at = submit(at, "t_processledare", "rätt-lösenord-processledare")
    assert not at.exception and not at.error
    assert at.success[0].value.startswith("Du är inloggad som Test processledare")
    sid = at.session_state["auth_sid"]
    assert count(engine, AuthSession, AuthSession.id == sid, AuthSession.revoked_at.is_(None)) == 1
    assert at.session_state["roles"] is None  # the library is told no roles: access is ours alone

    at.switch_page("app.py").run()  # the next run of app.py opens the first page of the user
    assert [t.value for t in at.title] == ["Översikt"]
    assert [p["page_name"] for p in at._registered_pages.values()] == [
        "Översikt", "Trender", "Jämför kommuner", "Målgrupper", "Om indikatorerna", "Förbättringsarbete",
        "Månadsuppföljning", "Mångsökare", "Konto"]
    assert [s.value for s in at.subheader][:1] == ["Mark"]  # the first of its municipalities (1463)

    at.sidebar.button(key="auth_logout").click().run()
    assert count(engine, AuthSession, AuthSession.id == sid, AuthSession.revoked_at.is_not(None)) == 1
    assert "auth_sid" not in at.session_state
    at.switch_page("pages/mangsokare.py").run()
    assert [t.value for t in at.title] == ["Ingen behörighet"]


@pytest.mark.parametrize(("username", "password"), [
    ("t_politiker", "fel-lösenord"), ("finns_inte", "rätt-lösenord-politiker"), ("t_politiker", ""),
    ("T_POLITIKER ", "fel")])
def test_failed_logins_look_the_same_and_are_recorded(engine, username, password):
    before = count(engine, LoginAttempt, LoginAttempt.login_hash == users.login_hash(username))
    at = submit(login_page(), username, password)
    assert not at.exception
    if password:
        assert [e.value for e in at.error] == [
            f"{FAILED}. Kontrollera användarnamn och lösenord. Efter flera misslyckade försök spärras "
            "inloggningen en stund."]
        assert count(engine, LoginAttempt, LoginAttempt.login_hash == users.login_hash(username)) == before + 1
    assert "auth_sid" not in at.session_state and not at.success


def test_lockout_refuses_even_the_right_password(engine):
    at = login_page()
    for _ in range(5):
        at = submit(at, "t_admin", "fel-lösenord")
    at = submit(at, "t_admin", "rätt-lösenord-admin")
    assert FAILED in at.error[0].value and "auth_sid" not in at.session_state
    # once the lockout is over the right password works again
    with engine.begin() as conn:
        conn.execute(
            LoginAttempt.__table__.update()
            .where(LoginAttempt.login_hash == users.login_hash("t_admin"))
            .values(attempted_at=dt.datetime.now() - dt.timedelta(minutes=20))
        )
    at = submit(login_page(), "t_admin", "rätt-lösenord-admin")
    assert at.success and at.session_state["auth_sid"]
    # Log out again: AppTest's cookie mock is shared by the whole process, so a session left
    # logged in would log the next test's fresh AppTest in as well.
    at.switch_page("app.py").run()
    at.sidebar.button(key="auth_logout").click().run()


def test_the_library_check_cannot_be_used_by_mistake():
    """We replace the library's password check; its own would fail on the placeholder we give it."""
    from streamlit_authenticator.models.authentication_model import AuthenticationModel

    model = AuthenticationModel({"usernames": {"anna": {"name": "A", "password": "!"}}}, auto_hash=False)
    assert not model.check_credentials("anna", "!")
    assert not model.check_credentials("anna", "")
    assert hasattr(model, "check_credentials")  # the seam ui.auth replaces


def test_konto_page_shows_the_user_and_scopes(engine):
    at = submit(login_page(), "t_ledning_och_vc", "rätt-lösenord-ledning_och_vc")
    at.switch_page("pages/logga_in.py").run()
    assert [t.value for t in at.title] == ["Konto"]
    text = " ".join(m.value for m in at.markdown)
    assert "Ledningsgrupp – Mark" in text and "Vårdcentral – Närhälsan Kinna" in text


def test_a_login_whose_run_was_cut_off_is_finished_by_the_next_run(engine):
    """Streamlit may stop the login run right after the password check (a rerun request from the cookie
    component); what that run wrote to the session state is then lost. The next run still finds the login."""
    from ui import auth

    at = submit(login_page(), "t_akutmottagning", "rätt-lösenord-akutmottagning")
    sid = at.session_state["auth_sid"]
    browser = ("test session id", at.session_state["auth_browser_nonce"])
    assert auth._PENDING_LOGINS[browser][0] == sid
    for key in ("auth_sid", "auth_go_home", "authentication_status", "username"):
        del at.session_state[key]  # as if the run had stopped right after the check
    at.switch_page("app.py").run()
    assert at.session_state["auth_sid"] == sid and browser not in auth._PENDING_LOGINS
    assert [t.value for t in at.title] == ["Mångsökare"]  # the user's first page
    with engine.connect() as conn:
        bound = conn.execute(select(AuthSession.cookie_hash).where(AuthSession.id == sid)).scalar_one()
    assert bound is not None  # the remember-me cookie was written and tied to the session after all



def test_the_first_page_opens_even_if_the_login_runs_flag_was_lost(engine, monkeypatch):
    """The flag that sends a fresh login to its first page is also kept server side, once per login.
    (AppTest runs a page file without app.py, so the next run is simulated on a plain state here.)"""
    from ui import auth

    at = submit(login_page(), "t_akutmottagning", "rätt-lösenord-akutmottagning")
    sid = at.session_state["auth_sid"]
    state = {"auth_sid": sid}  # the run stopped before "auth_go_home" stuck
    monkeypatch.setattr(auth.st, "session_state", state)
    assert auth.take_page_to_open() == ""  # the user's first page
    assert auth.take_page_to_open() is None  # once only: later runs open the page asked for
    state["auth_wanted_page"] = "jamfor"
    assert auth.take_page_to_open() == "jamfor"


BUSY = "Tjänsten är upptagen, försök igen om en stund."


def _lock_the_sample_store(app_env):
    """Another connection holds the SQLite file's write lock, as a long replacing import does."""
    import sqlite3

    holder = sqlite3.connect(app_env.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    return holder


def _pg_lock_timeout(*args, **kwargs):
    import psycopg
    from sqlalchemy.exc import OperationalError

    raise OperationalError("SELECT pg_advisory_xact_lock(...)", {"username": args[1]},
                           psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"))


@pytest.mark.parametrize("store_kind", ["sqlite-locked-file", "postgresql-lock-timeout"])
def test_a_busy_store_says_try_again_never_wrong_password(engine, app_env, monkeypatch, caplog, store_kind):
    """Issue 21, item 5: a correct login while the store was locked said "Kontrollera användarnamn och lösenord"."""
    import logging

    at = login_page()
    before = count(engine, LoginAttempt)
    holder, real_authenticate = None, users.authenticate
    if store_kind == "sqlite-locked-file":
        holder = _lock_the_sample_store(app_env)
    else:
        monkeypatch.setattr(users, "authenticate", _pg_lock_timeout)
    caplog.set_level(logging.INFO)
    try:
        at = submit(at, "t_admin", "rätt-lösenord-admin")
    finally:
        if holder is not None:
            holder.execute("ROLLBACK")
            holder.close()
    assert not at.exception
    assert [e.value for e in at.error] == [BUSY]
    assert not any("Kontrollera användarnamn" in e.value for e in at.error) and not at.success
    assert "auth_sid" not in at.session_state
    assert count(engine, LoginAttempt) == before  # nothing was decided, nothing counts against the name
    ours = [r for r in caplog.records if r.name == "ui.auth"]
    assert len(ours) == 1 and ours[0].levelno == logging.WARNING
    line = ours[0].getMessage()
    assert "busy" in line and ("SQLITE_BUSY" in line or "LockNotAvailable (55P03)" in line), line
    assert "t_admin" not in line and "rätt-lösenord" not in line
    assert not any("t_admin" in r.getMessage() or "rätt-lösenord" in r.getMessage() for r in caplog.records)

    monkeypatch.setattr(users, "authenticate", real_authenticate)  # the store is free again: the form logs in
    at = submit(at, "t_admin", "rätt-lösenord-admin")
    assert at.success and at.session_state["auth_sid"] and not at.error
    at.switch_page("app.py").run()
    at.sidebar.button(key="auth_logout").click().run()


def test_a_logged_in_page_view_during_a_busy_store_says_busy_not_misconfigured(engine, app_env, monkeypatch):
    """A long import locks the store while a logged-in user opens a page: checking the session then fails.
    The page said "Appen är inte rätt konfigurerad"; it says the service is busy, and works again after."""
    from tests.auth.conftest import new_session

    sid = new_session(engine, "t_admin")
    real = users.check_session

    def locked(*args, **kwargs):
        import sqlite3

        from sqlalchemy.exc import OperationalError

        raise OperationalError("UPDATE auth_sessions ...", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(users, "check_session", locked)
    at = app_test(sid=sid).run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["Tjänsten är upptagen, försök igen om en stund."]
    assert not any("inte rätt konfigurerad" in e.value for e in at.error)
    monkeypatch.setattr(users, "check_session", real)
    at.run()
    assert not at.warning and not at.error
