"""In Chromium against the real server: junk in a link and an error on a page show no traceback, type or path."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import wait_for_app, wait_settled
from tests.browser.test_roles import login, open_page

pytestmark = pytest.mark.browser

T = 30_000
LEAKS = ("Traceback", "OverflowError", "Error:", ".py", "/work/", "site-packages", "This app has encountered")


def main_text(page) -> str:
    return page.locator('[data-testid="stApp"]').inner_text()


def test_junk_in_a_public_link_gives_the_default_view(page, app_server):
    page.goto(f"{app_server}/?fran=99999999999999999999-01&till=abc&kommun={',' * 2000}&period={'x' * 500}")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Översikt", exact=True)).to_be_visible(timeout=T)
    expect(page.get_by_role("heading", name="Hela området", exact=True)).to_be_visible(timeout=T)
    text = main_text(page)
    for leak in LEAKS:
        assert leak not in text
    expect(page).to_have_url(re.compile(r"fran=\d{4}-\d{2}&till=\d{4}-\d{2}|till=\d{4}-\d{2}.*fran=\d{4}-\d{2}"),
                             timeout=T)  # the link is rewritten to the defaults
    assert "99999999999999999999" not in page.url and "period=manad" in page.url


def test_an_error_on_a_page_shows_only_a_reference(page, app_server):
    """A cycle id too large for the database (a hand-edited link) made Förbättringsarbete raise; whatever that
    page does about it, the viewer never sees the exception."""
    login(page, app_server, "processledare")
    open_page(page, "Förbättringsarbete", "Förbättringsarbete")
    # A reload would start a new session, which opens the main page until the cookie has logged it in:
    # edit the link in place and rerun (Streamlit sends the address's query string with every rerun).
    # The rerun key is only taken when the app is idle: under load a press during a late rerun (the cookie
    # component's) was lost once, so settle first and press again if the page did not rerun.
    wait_settled(page)
    page.evaluate("window.history.replaceState(null, '', window.location.pathname + '?cykel=99999999999999999999')")
    message = page.get_by_text(re.compile("Något gick fel|Cykeln i länken finns inte"))
    for attempt in range(2):
        page.locator("body").press("r")
        wait_settled(page)
        try:
            expect(message).to_be_visible(timeout=T if attempt else 10_000)
            break
        except AssertionError:
            if attempt:
                raise
    expect(page.get_by_role("heading", name="Förbättringsarbete", exact=True)).to_be_visible(timeout=T)
    text = main_text(page)
    for leak in LEAKS:
        assert leak not in text
    shown = re.search(r"Något gick fel\. Ange referens [A-Z2-9]{6} om du kontaktar förvaltningen\.", text)
    assert shown or "Cykeln i länken finns inte" in text
