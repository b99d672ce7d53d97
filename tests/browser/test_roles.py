"""Each demo user in Chromium: what is and is not in the navigation, one data point, and the cookie rules.

The app runs in demo mode (``app_server``: DEMO=1, sample data), so the
documented demo users exist with the password ``demo``.
"""

from __future__ import annotations

import datetime as dt
import re

import jwt
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import download, screenshot, wait_for_app

pytestmark = pytest.mark.browser

COOKIE = "naravard_inloggning"
T = 30_000  # ms: generous, the suite may share the machine
INDICATOR_PAGES = ["Översikt", "Trender", "Jämför kommuner", "Målgrupper", "Om indikatorerna"]
PDSA_PAGES = ["Förbättringsarbete", "Månadsuppföljning"]
EVERY_PAGE = [*INDICATOR_PAGES, *PDSA_PAGES, "Mångsökare", "Arbetslista", "Dataunderlag", "Ladda upp data",
              "Användare och logg", "Logga in", "Konto"]
NAVIGATION = {
    None: [*INDICATOR_PAGES, "Dataunderlag", "Logga in"],
    "politiker": [*INDICATOR_PAGES, "Dataunderlag", "Mångsökare", "Konto"],
    "ledning_boras": [*INDICATOR_PAGES, *PDSA_PAGES, "Mångsökare", "Konto"],
    "processledare": [*INDICATOR_PAGES, *PDSA_PAGES, "Mångsökare", "Konto"],
    "vc_demo": ["Mångsökare", "Arbetslista", "Konto"],
    "akuten": ["Mångsökare", "Arbetslista", "Konto"],
    "kommun_boras": ["Arbetslista", "Konto"],
    "admin": [*INDICATOR_PAGES, *PDSA_PAGES, "Dataunderlag", "Ladda upp data", "Mångsökare", "Användare och logg",
              "Konto"],
}
PERSON_ID = re.compile(r"\bP\d{7}\b")


def nav_titles(page) -> list[str]:
    return page.locator('[data-testid="stSidebarNavLink"] span[label]').evaluate_all(
        "els => els.map(e => e.getAttribute('label'))"
    )


def main_text(page) -> str:
    """The visible text and the cells of every table (Streamlit draws tables on a canvas with an ARIA twin)."""
    cells = page.locator('[data-testid="stMain"] [data-testid="stDataFrame"] td').all_text_contents()
    return page.locator('[data-testid="stMain"]').inner_text() + "\n" + "\n".join(cells)


def settle_cookie_component(page) -> None:
    """The cookie component reruns the page once its frame has loaded; a form sent during that rerun is lost
    (a person types for longer than that; a test does not). Wait for the frame and the rerun."""
    frame = page.locator('iframe[title="extra_streamlit_components.CookieManager.cookie_manager"]').first
    expect(frame).to_be_attached(timeout=T)
    frame.element_handle().content_frame().wait_for_load_state()
    page.wait_for_timeout(300)  # the rerun request leaves the frame right after it loads
    wait_for_app(page)


def open_page(page, link: str, heading: str, attempts: int = 3) -> None:
    """Click a navigation link until the page's heading shows. Right after a login the app reruns once or
    twice (first page, remember-me cookie); Streamlit merges a click made during such a rerun into it and
    the click is lost. A person clicks again; so does this helper (docs/access.md)."""
    target = page.get_by_role("heading", name=heading, exact=True)
    for attempt in range(attempts):
        page.get_by_role("link", name=link, exact=True).click()
        wait_for_app(page)
        try:
            expect(target).to_be_visible(timeout=T // 3)
            return
        except AssertionError:
            if attempt == attempts - 1:
                raise


def login(page, base: str, username: str, password: str = "demo") -> None:
    page.goto(f"{base}/logga_in")
    user, secret = page.get_by_label("Användarnamn"), page.get_by_label("Lösenord", exact=True)
    expect(user).to_be_visible(timeout=T)
    settle_cookie_component(page)
    user.fill(username)
    secret.fill(password)
    expect(user).to_have_value(username)
    expect(secret).to_have_value(password)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("link", name="Konto")).to_be_visible(timeout=T)
    wait_for_app(page)


@pytest.fixture(scope="session")
def list_counts():
    """Frequent attenders on the last day of the sample data, from metrics: Sandared's and the whole area's."""
    from data_access.files import read_directory
    from metrics.frequent_attender_list import frequent_attender_persons
    from tests.conftest import ROOT

    frames = read_directory(ROOT / "sample_data" / "default")
    last = max(frames["primary_care_contacts"]["contact_time"].max(), frames["ed_visits"]["arrival_time"].max())
    listed = frequent_attender_persons(frames, day=last.date())
    return last.date(), int((listed["care_centre"] == "Vårdcentralen Sandared").sum()), len(listed)


@pytest.mark.parametrize("username", [u for u in NAVIGATION if u])
def test_each_role_sees_its_pages_and_only_them(page, app_server, username, expected_value, list_counts):
    login(page, app_server, username)
    titles = nav_titles(page)
    assert titles == NAVIGATION[username]
    for hidden in set(EVERY_PAGE) - set(titles):
        expect(page.get_by_role("link", name=hidden, exact=True)).to_have_count(0)
    assert username not in page.url and "demo" not in page.url  # no identifiers in URLs
    day, sandared, area = list_counts

    if username == "politiker":
        page.goto(f"{app_server}/?kommun=1463&period=manad&tema=Sjukhusv%C3%A5rd")
        wait_for_app(page)
        expect(page.get_by_role("heading", name="Mark", exact=True)).to_be_visible(timeout=T)
        expect(page.locator(".st-key-tile-1463-readmission_30d_65")).to_contain_text(expected_value, timeout=T)
    elif username == "ledning_boras":
        page.goto(f"{app_server}/?kommun=1463,1491")  # tampered: other municipalities
        wait_for_app(page)
        expect(page.get_by_role("heading", name="Borås", exact=True)).to_be_visible(timeout=T)
        for other in ("Mark", "Ulricehamn", "Hela området"):
            expect(page.get_by_role("heading", name=other, exact=True)).to_have_count(0)
    elif username == "processledare":
        page.goto(f"{app_server}/?kommun=1490,1491")
        wait_for_app(page)
        expect(page.get_by_role("heading", name="Borås", exact=True)).to_be_visible(timeout=T)
        expect(page.get_by_role("heading", name="Ulricehamn", exact=True)).to_have_count(0)
    elif username in ("vc_demo", "akuten"):
        expect(page.get_by_role("heading", name="Mångsökare", exact=True)).to_be_visible(timeout=T)
        count = sandared if username == "vc_demo" else area
        expect(page.get_by_text(f"{count} personer uppfyllde kriterierna {day:%Y-%m-%d}")).to_be_visible(timeout=T)
        grid = page.locator('[data-testid="stDataFrame"] table[role="grid"]').first
        expect(grid).to_have_attribute("aria-rowcount", str(count + 1), timeout=T)  # the header and one row per person
    elif username == "admin":
        open_page(page, "Användare och logg", "Användare och logg")
        expect(page.locator('[data-testid="stDataFrame"] td', has_text="vc_demo").first).to_be_attached(timeout=T)
        assert not PERSON_ID.search(main_text(page))
    if username not in ("vc_demo", "akuten", "kommun_boras"):  # kommun_boras: the worklist, tests/browser/test_worklist.py
        if "Mångsökare" in titles:
            open_page(page, "Mångsökare", "Antal mångsökare per vårdcentral och månad")
        assert not PERSON_ID.search(main_text(page))  # counts only, never persons
    screenshot(page, f"roll_{username}")


def test_public_view_and_hand_edited_urls(page, app_server):
    page.goto(app_server)
    wait_for_app(page)
    assert nav_titles(page) == NAVIGATION[None]
    for path in ("mangsokare", "admin_anvandare"):
        page.goto(f"{app_server}/{path}")
        wait_for_app(page)
        text = main_text(page)
        assert not PERSON_ID.search(text) and "Användare och logg" not in text
        expect(page.get_by_role("heading", name="Mångsökare", exact=True)).to_have_count(0)


def test_remember_me_cookie_logs_in_again_until_logout(browser, app_server):
    context = browser.new_context()
    page = context.new_page()
    login(page, app_server, "akuten")
    cookie = next(c for c in context.cookies() if c["name"] == COOKIE)
    assert cookie["sameSite"] == "Strict" and not cookie["httpOnly"]  # set by JavaScript: see docs/access.md

    again = context.new_page()  # a new browser tab is a new Streamlit session: logged in by the cookie
    again.goto(app_server)
    wait_for_app(again)
    expect(again.get_by_role("link", name="Konto")).to_be_visible(timeout=T)
    saved = context.cookies()

    page.get_by_role("button", name="Logga ut").first.click()
    expect(page.get_by_role("link", name="Logga in")).to_be_visible(timeout=T)

    replay = browser.new_context()  # the old cookie, put back after logout, is refused by the server
    replay.add_cookies(saved)
    stolen = replay.new_page()
    stolen.goto(f"{app_server}/mangsokare")
    wait_for_app(stolen)
    expect(stolen.get_by_role("link", name="Logga in")).to_be_visible(timeout=T)
    assert nav_titles(stolen) == NAVIGATION[None]
    assert not PERSON_ID.search(main_text(stolen))
    context.close()
    replay.close()


def test_forged_cookie_is_refused(browser, app_server):
    exp = (dt.datetime.now() + dt.timedelta(days=1)).timestamp()
    forged = jwt.encode({"username": "admin", "exp_date": exp}, "not-the-key-" + "x" * 40, algorithm="HS256")
    context = browser.new_context()
    host = app_server.split("//", 1)[1].split(":")[0]
    context.add_cookies([{"name": COOKIE, "value": forged, "domain": host, "path": "/"}])
    page = context.new_page()
    page.goto(f"{app_server}/admin_anvandare")
    wait_for_app(page)
    assert nav_titles(page) == NAVIGATION[None]
    expect(page.get_by_role("heading", name="Användare och logg", exact=True)).to_have_count(0)
    context.close()


def test_export_of_the_list_is_in_the_access_log(browser, app_server):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    login(page, app_server, "vc_demo")
    open_page(page, "Mångsökare", "Mångsökare")  # the login's own reruns may still be settling
    file = download(page, page.get_by_role("button", name="Ladda ner listan (CSV)"), app_server)
    data = file.read_bytes().decode("utf-8-sig")
    assert data.splitlines()[0].startswith("Pseudonym;Vårdcentral;Kommun")
    assert set(line.split(";")[1] for line in data.splitlines()[1:]) == {"Vårdcentralen Sandared"}
    context.close()

    admin = browser.new_context()
    page = admin.new_page()
    login(page, app_server, "admin")
    open_page(page, "Användare och logg", "Användare och logg")
    page.get_by_role("tab", name="Åtkomstlogg").click()
    page.get_by_label("Filtrera på användarnamn").fill("vc_demo")
    page.get_by_label("Filtrera på användarnamn").press("Enter")
    wait_for_app(page)
    log = page.locator('[data-testid="stDataFrame"]').last.locator("td")
    expect(log.filter(has_text="export").first).to_be_attached(timeout=T)
    expect(log.filter(has_text="visning").first).to_be_attached(timeout=T)
    screenshot(page, "atkomstlogg")
    admin.close()
