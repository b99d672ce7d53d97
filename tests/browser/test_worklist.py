"""The Arbetslista in Chromium: a vårdcentral, the ED and a municipality each see exactly their own worklist.

The app runs in demo mode on the sample data (``app_server``). The expected
lists come from ``metrics.worklist.worklist`` on the sample files for the
data's last day and the month before, filtered here by hand: Sandared's
(latest primary care contact there), the whole area, Borås's residents. The
page's count, the grid's row count and the downloaded file (every row of
the list) must match exactly; the public view and the politician see none of it.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import download, screenshot, wait_for_app
from tests.browser.test_roles import PERSON_ID, T, login, main_text, nav_titles, open_page

pytestmark = pytest.mark.browser

SANDARED = "Vårdcentralen Sandared"
SCOPE = {
    "vc_demo": lambda f: f["care_centre"] == SANDARED,
    "akuten": lambda f: pd.Series(True, index=f.index),
    "kommun_boras": lambda f: f["municipality_code"] == "1490",
}
NAVIGATION = {"vc_demo": ["Mångsökare", "Arbetslista", "Konto"], "akuten": ["Mångsökare", "Arbetslista", "Konto"],
              "kommun_boras": ["Arbetslista", "Konto"]}


@pytest.fixture(scope="module")
def expected_lists():
    """User → (pseudonyms on the list today, pseudonyms who left since the month before), by hand."""
    from data_access.files import read_directory
    from metrics.worklist import month_before, worklist
    from tests.conftest import ROOT

    frames = read_directory(ROOT / "sample_data" / "default")
    last = max(frames["primary_care_contacts"]["contact_time"].max(), frames["ed_visits"]["arrival_time"].max())
    day = last.date()
    now, before = worklist(frames, day=day), worklist(frames, day=month_before(day))
    out = {}
    for user, keep in SCOPE.items():
        today = set(now.loc[keep(now), "person_id"])
        left = set(before.loc[keep(before), "person_id"]) - today
        out[user] = (today, left)
    return day, out


@pytest.mark.parametrize("username", list(SCOPE))
def test_each_role_sees_exactly_its_own_worklist(browser, app_server, username, expected_lists):
    day, lists = expected_lists
    today, left = lists[username]
    assert today and left  # the sample data have both for every scope
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 2200}, locale="sv-SE")
    page = context.new_page()
    # Open the root URL first: until some session has, a fresh server serves pages/ files directly
    # (docs/access.md, "The fail-open trap"), and this may be the first test on the server.
    page.goto(app_server)
    wait_for_app(page)
    login(page, app_server, username)
    assert nav_titles(page) == NAVIGATION[username]
    if username != "kommun_boras":  # its first page is the list itself
        open_page(page, "Arbetslista", "Arbetslista")
    expect(page.get_by_role("heading", name="Arbetslista", exact=True)).to_be_visible(timeout=T)
    summary = page.get_by_test_id("stMarkdownContainer").filter(has_text="på arbetslistan")
    expect(summary).to_contain_text(f"{len(today)} personer på arbetslistan {day:%Y-%m-%d}", timeout=T)
    expect(summary).to_contain_text(f"{len(left)} personer har lämnat listan", timeout=T)
    grid = page.locator('[data-testid="stDataFrame"] table[role="grid"]').first
    expect(grid).to_have_attribute("aria-rowcount", str(len(today) + len(left) + 1), timeout=T)
    expect(page.get_by_text("25 kap. 11 §", exact=False)).to_be_visible(timeout=T)
    screenshot(page, f"arbetslista_{username}")

    # the downloaded file holds every row of the list, and only those
    file = download(page, page.get_by_role("button", name="Ladda ner arbetslistan (CSV)"), app_server)
    data = pd.read_csv(io.BytesIO(file.read_bytes()), sep=";", encoding="utf-8-sig", dtype=str)
    listed = dict(zip(data["Pseudonym"], data["Status"], strict=True))
    assert set(listed) == today | left
    assert {p for p, s in listed.items() if s == "Lämnat listan"} == left
    if username == "kommun_boras":
        assert set(data["Kommun"]) == {"Borås"}
    if username == "vc_demo":
        assert set(data["Vårdcentral (senaste kontakt)"]) == {SANDARED}
    context.close()


def test_others_see_no_worklist(page, app_server):
    for path in ("arbetslista", ""):
        page.goto(f"{app_server}/{path}")
        wait_for_app(page)
        expect(page.get_by_role("heading", name="Arbetslista", exact=True)).to_have_count(0)
        assert "Arbetslista" not in nav_titles(page)
        assert not PERSON_ID.search(main_text(page))
    login(page, app_server, "politiker")
    assert "Arbetslista" not in nav_titles(page)
    page.goto(f"{app_server}/arbetslista")  # a hand-edited URL opens the first page instead
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Arbetslista", exact=True)).to_have_count(0)
    assert not PERSON_ID.search(main_text(page))


def test_malgrupper_page_in_the_browser(page, app_server):
    """The public view: the cohort page renders with charts and the latest-period table, no person ids."""
    page.goto(f"{app_server}/malgrupper")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Målgrupper", exact=True)).to_be_visible(timeout=T)
    expect(page.locator('[data-testid="stPlotlyChart"]').first).to_be_visible(timeout=T)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    assert not PERSON_ID.search(main_text(page))
    screenshot(page, "malgrupper_public")
