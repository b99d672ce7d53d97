"""Fail closed: without a usable cookie key outside demo mode (or without the store) nothing but the error shows.

Broken start-up, then every page: through ``app.py`` (a navigation with one
error page) and every page file on its own (what Streamlit serves when it
falls back to the ``pages/`` folder).
"""

from __future__ import annotations

import pytest

from data_access.access import PAGE_RULES
from data_access.settings import README_COOKIE_KEY_PLACEHOLDER, cookie_key_problem, resolve_cookie_key
from tests.auth.conftest import ROOT, app_test, set_app_env

PAGE_FILES = [str(ROOT / "pages" / f"{p}.py") for p in PAGE_RULES]
ERROR_TITLE = "Appen kan inte starta"


def assert_only_the_error(at, *, mentions: str) -> None:
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == [ERROR_TITLE]
    assert len(at.error) == 1 and mentions in at.error[0].value
    assert not at.dataframe and not at.get("plotly_chart") and not at.metric and not at.text_input
    assert not at.subheader and not at.sidebar.button and not at.markdown


@pytest.mark.parametrize("key", [None, "", "change-me", "demo", "secret", "kort-nyckel", README_COOKIE_KEY_PLACEHOLDER,
                                 "x" * 48])
def test_without_a_real_key_outside_demo_mode_every_page_shows_only_the_error(sample_url, monkeypatch, key):
    set_app_env(monkeypatch, sample_url, COOKIE_KEY=key)
    at = app_test().run()
    assert_only_the_error(at, mentions="COOKIE_KEY" if not key else "platshållare eller för kort")
    assert [p["page_name"] for p in at._registered_pages.values()] == [ERROR_TITLE]
    for page in PAGE_FILES:
        direct = app_test(page).run()  # a page file served on its own, without app.py
        assert_only_the_error(direct, mentions="Nyckeln för inloggningscookien")


def test_a_logged_in_session_does_not_survive_a_broken_start(sample_url, sample_engine, monkeypatch):
    from tests.auth.conftest import new_session

    set_app_env(monkeypatch, sample_url, COOKIE_KEY=None)
    sid = new_session(sample_engine, "t_admin")
    for page in [str(ROOT / "app.py"), *PAGE_FILES]:
        at = app_test(page, sid=sid).run()
        assert [t.value for t in at.title] == [ERROR_TITLE]


def test_the_key_may_come_from_secrets_toml(sample_url, monkeypatch):
    set_app_env(monkeypatch, sample_url, COOKIE_KEY=None)
    at = app_test()
    at.secrets["auth"] = {"cookie_key": "från-filen-" + "z" * 30}
    at.run()
    assert not at.exception and [t.value for t in at.title] == ["Översikt"]
    for placeholder in ("change-me", README_COOKIE_KEY_PLACEHOLDER):  # as README shows it, pasted unchanged
        at = app_test()
        at.secrets["auth"] = {"cookie_key": placeholder}
        assert_only_the_error(at.run(), mentions="platshållare")


def test_demo_mode_starts_without_a_key_and_creates_the_demo_users(tmp_path, monkeypatch):
    from data_access import users
    from data_access.db import get_engine

    set_app_env(monkeypatch, f"sqlite:///{tmp_path / 'demo.db'}", COOKIE_KEY=None, DEMO="1")
    at = app_test().run()
    assert not at.exception and [t.value for t in at.title] == ["Översikt"]
    assert set(users.login_directory(get_engine(), allow_demo=True)) == {u for u, _, _ in users.DEMO_USERS}
    at.switch_page("pages/logga_in.py").run()
    assert "Demoanvändare (lösenord: demo)" in [e.label for e in at.expander]


def test_an_unreachable_store_shows_only_the_error(monkeypatch):
    set_app_env(monkeypatch, "postgresql://nobody@127.0.0.1:1/none")
    at = app_test().run()
    assert_only_the_error(at, mentions="databasen")
    assert_only_the_error(app_test(PAGE_FILES[0]).run(), mentions="databasen")


def test_public_view_off_means_login_first(sample_url, monkeypatch):
    set_app_env(monkeypatch, sample_url, PUBLIC_VIEW="0")
    at = app_test().run()
    assert [t.value for t in at.title] == ["Logga in"]
    assert [p["page_name"] for p in at._registered_pages.values()] == ["Logga in"]
    for page in PAGE_FILES:
        if not page.endswith("logga_in.py"):
            assert [t.value for t in app_test(page).run().title] == ["Ingen behörighet"]


@pytest.mark.parametrize(
    ("key", "demo", "ok"),
    [
        (None, False, False), ("", False, False), ("change-me", False, False), ("x" * 31, False, False),
        ("x" * 32, False, False), ("Kp2mQ9zLw4tRvYb8nJc3hFs6dGa1eU7", False, False),
        ("Kp2mQ9zLw4tRvYb8nJc3hFs6dGa1eU7x", False, True), (README_COOKIE_KEY_PLACEHOLDER, False, False),
        (None, True, True), ("demo", True, True), (README_COOKIE_KEY_PLACEHOLDER, True, True),
    ],
)
def test_cookie_key_rules(key, demo, ok):
    resolved, problem = resolve_cookie_key(key, demo=demo)
    assert (problem is None) == ok
    if ok:
        assert resolved and resolved.lower() not in {"demo", ""} and len(resolved) >= 32
        assert demo or resolved == key  # demo mode replaces a missing or placeholder key by a random one
        assert cookie_key_problem(resolved) is None
    else:
        assert resolved is None and problem == cookie_key_problem(key)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("PUBLIC_VIEW", "n"), ("PUBLIC_VIEW", "none"), ("PUBLIC_VIEW", "disabled"), ("DEMO", "nej tack"),
     ("RECOMPUTE_AFTER_IMPORT", "kanske"), ("INCREMENTAL_RECOMPUTE", "2"), ("SESSION_IDLE_MINUTES", "trettio")],
)
def test_a_setting_the_app_does_not_understand_stops_it_on_every_page(sample_url, sample_engine, monkeypatch,
                                                                      variable, value):
    """An unknown value is refused by name, with the accepted values, instead of being guessed at (fail closed):
    ``PUBLIC_VIEW=none`` used to leave the public view on. A logged-in session does not get past it either."""
    from tests.auth.conftest import new_session

    set_app_env(monkeypatch, sample_url, **{variable: value})
    at = app_test().run()
    assert_only_the_error(at, mentions=f"Miljövariabeln {variable} har värdet {value!r}")
    assert [p["page_name"] for p in at._registered_pages.values()] == [ERROR_TITLE]
    if variable != "SESSION_IDLE_MINUTES":
        assert "Tillåtna värden för på: 1, true, ja, yes, on, sant, på; för av: 0, false, nej, no, off" in (
            at.error[0].value)
    sid = new_session(sample_engine, "t_admin")
    for page in PAGE_FILES:
        assert_only_the_error(app_test(page, sid=sid).run(), mentions=variable)


@pytest.mark.parametrize("value", ["0", "av", "off", "NEJ", "falskt", "No"])
def test_public_view_off_in_any_accepted_spelling(sample_url, monkeypatch, value):
    set_app_env(monkeypatch, sample_url, PUBLIC_VIEW=value)
    at = app_test().run()
    assert not at.exception and [t.value for t in at.title] == ["Logga in"]
    assert [p["page_name"] for p in at._registered_pages.values()] == ["Logga in"]
