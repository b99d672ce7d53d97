"""In Chromium: the pages people meet around fit a meeting's screen (issue 22)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import wait_settled
from tests.browser.test_roles import login, open_page

pytestmark = pytest.mark.browser

T = 30_000


def test_the_monthly_review_table_fits_1400_px_without_horizontal_scrolling(page, app_server):
    """Targets, open cycles and the previous months were off-screen in a scrolling grid."""
    page.set_viewport_size({"width": 1400, "height": 900})
    login(page, app_server, "ledning_boras")
    open_page(page, "Månadsuppföljning", "Månadsuppföljning")
    wait_settled(page)
    table = page.locator('[data-testid="stTable"] table').first
    expect(table).to_be_visible(timeout=T)
    for header in ("Mål", "Variation", "Måluppfyllelse", "Öppna cykler", "Föregående månader"):
        expect(table.get_by_role("columnheader", name=header, exact=True)).to_be_in_viewport()
    box = table.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 1400
    overflow = page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMain"]');
        return {page: document.documentElement.scrollWidth, view: document.documentElement.clientWidth,
                main: main.scrollWidth - main.clientWidth};
    }""")
    assert overflow["page"] <= overflow["view"] and overflow["main"] <= 0, overflow
