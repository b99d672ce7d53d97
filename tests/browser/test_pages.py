"""What only a browser shows: the pages render with the sample data, in Swedish."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.browser


def test_status_page_shows_loaded_tables(page, app_server):
    page.goto(app_server)
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Dataunderlag – vad som finns inläst")).to_be_visible()
    expect(page.get_by_text("Per tabell och kommun")).to_be_visible()
    # The sample data's tables are listed by their Swedish names.
    expect(page.get_by_text("slutenvårdstillfällen").first).to_be_visible()
    screenshot(page, "datastatus")
