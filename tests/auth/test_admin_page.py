"""The administrators' page with AppTest: add a user with roles and scopes, reset a password, read the log."""

from __future__ import annotations

import pytest

from data_access import users
from data_access.access import SYSTEM
from tests.auth.conftest import ROOT, login_as, unique

PAGE = str(ROOT / "pages" / "admin_anvandare.py")


@pytest.fixture
def engine(app_env, sample_engine, monkeypatch):
    monkeypatch.setattr(users.LoginPolicy, "delay", lambda self, failures: 0.0)
    return sample_engine


def shown_password(at) -> str:
    return at.code[0].value


def test_admin_adds_a_user_who_can_then_log_in(engine):
    name = unique("ny")
    at = login_as(engine, "admin", PAGE).run()
    assert not at.exception
    at.text_input(key="adm_new_username").input(name)
    at.text_input(key="adm_new_display").input("Ny Processledare")
    at.multiselect(key="adm_new_roles").set_value(["processledare", "vardcentral"])
    at.multiselect(key="adm_new_munis").set_value(["1463"])
    at.multiselect(key="adm_new_centres").set_value(["Närhälsan Kinna"])
    at.button(key="FormSubmitter:adm_new-Skapa användare").click().run()
    assert not at.exception and not at.error
    password = shown_password(at)
    assert len(password) == 16
    viewer = users.viewer_for(engine, name, allow_demo=False)
    assert viewer.municipalities == {"1463"} and viewer.care_centres == {"Närhälsan Kinna"} and viewer.can_export
    assert users.authenticate(engine, name, password, allow_demo=False).ok
    at.run()
    assert not at.code  # shown once only


def test_a_scoped_role_without_its_scope_is_refused_in_swedish(engine):
    at = login_as(engine, "admin", PAGE).run()
    at.text_input(key="adm_new_username").input(unique("utan"))
    at.multiselect(key="adm_new_roles").set_value(["ledningsgrupp"])
    at.button(key="FormSubmitter:adm_new-Skapa användare").click().run()
    assert "kommunkod" in at.error[0].value


def test_password_reset_shows_a_new_password_and_ends_the_sessions(engine):
    name = unique("reset")
    users.create_user(engine, access=SYSTEM, username=name, display_name="R", password="gammalt-lösenord",
                      grants=[("politiker", None)], rounds=4)
    at = login_as(engine, "admin", PAGE).run()
    at.selectbox(key="adm_user").set_value(name).run()
    at.button(key="adm_reset").click().run()
    password = shown_password(at)
    assert users.authenticate(engine, name, password, allow_demo=False).ok
    assert not users.authenticate(engine, name, "gammalt-lösenord", allow_demo=False).ok


def test_admin_sees_a_lockout_and_lifts_it(engine):
    name = unique("sparr")
    users.create_user(engine, access=SYSTEM, username=name, display_name="L", password="rätt-lösenordet",
                      grants=[("politiker", None)], rounds=4)
    for _ in range(5):
        users.authenticate(engine, name, "fel", allow_demo=False)
    assert not users.authenticate(engine, name, "rätt-lösenordet", allow_demo=False).ok
    at = login_as(engine, "admin", PAGE).run()
    at.selectbox(key="adm_user").set_value(name).run()
    assert any("tillfälligt spärrad efter 6 misslyckade försök" in w.value for w in at.warning)
    at.button(key="adm_unlock").click().run()
    assert not at.exception and at.success[0].value == "Spärren är hävd."
    assert users.authenticate(engine, name, "rätt-lösenordet", allow_demo=False).ok


def test_the_access_log_is_on_the_page(engine):
    at = login_as(engine, "admin", PAGE).run()
    at.text_input(key="adm_log_user").input("t_vardcentral").run()
    login_as(engine, "vardcentral", str(ROOT / "pages" / "mangsokare.py")).run()  # one view of the list
    at.run()
    log = at.dataframe[-1].value
    assert set(log["Användare"]) == {"t_vardcentral"} and "visning" in set(log["Händelse"])
