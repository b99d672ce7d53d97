"""Ladda upp data in Chromium: the administrator uploads a valid file and a file with errors.

The browser tests share one app server and its sample store
(``app_server``), so this test uploads nothing that changes what other tests
check: the sample's own ``indicator_values.csv`` again (unchanged: 0 new
rows), and a population file with errors (rejected: nothing stored).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, wait_for_app
from tests.browser.test_roles import T, login, open_page
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

SAMPLE_VALUES = ROOT / "sample_data" / "default" / "indicator_values.csv"
BAD_POPULATION = (
    "municipality_code;year;age_band;sex;population\n"
    "1490;2024;80-84;K;120\n"
    "9999;2024;80-84;K;120\n"  # row 3: no such municipality
    "1490;2024;85-89;X;-3\n"  # row 4: unknown sex, negative population
).encode("utf-8")


def report_rows(page) -> list[list[str]]:
    """The rows of the error report table (its ARIA twin), as text cells."""
    table = page.locator('[data-testid="stDataFrame"]').filter(has_text="Orsak").first
    expect(table).to_be_visible(timeout=T)
    rows = table.locator("tbody tr")
    return [r.locator("td").all_text_contents() for r in rows.all()]


def test_admin_uploads_a_valid_file_and_a_file_with_errors(page, app_server):
    login(page, app_server, "admin")
    open_page(page, "Ladda upp data", "Ladda upp data")
    uploader = page.locator('[data-testid="stFileUploader"]').first.locator('input[type="file"]')

    # 1. The sample's own indicator values again: valid, and nothing changes.
    uploader.set_input_files(str(SAMPLE_VALUES))
    expect(page.get_by_text("indicator_values.csv").first).to_be_visible(timeout=T)
    wait_for_app(page)
    page.get_by_role("button", name="Importera", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_text("Samma data var redan importerad: ingenting ändrades.")).to_be_visible(timeout=T)
    # the result (0 new, all unchanged) and the history row; tables fill their cells after they appear
    rows = len(SAMPLE_VALUES.read_text(encoding="utf-8").strip().splitlines()) - 1
    # "Rader i filen" is a header only the result table has (the history also has "Oförändrade")
    result = page.locator('[data-testid="stDataFrame"]').filter(has_text="Rader i filen").first
    expect(result.locator("td").filter(has_text="indicator_values.csv").first).to_be_attached(timeout=T)
    cells = result.locator("tbody tr").first.locator("td").all_text_contents()
    assert cells[-3:] == ["0", "0", str(rows)], cells
    history = page.locator('[data-testid="stDataFrame"]').filter(has_text="Vem").first
    expect(history.locator("td").filter(has_text="Oförändrad").first).to_be_attached(timeout=T)
    first = history.locator("tbody tr").first.locator("td").all_text_contents()
    assert first[1:3] == ["admin", "indicator_values.csv"] and "Oförändrad" in first, first
    screenshot(page, "upload_unchanged")

    # 2. A population file with errors beside it: the whole upload is refused and the report lists the rows.
    uploader.set_input_files(files=[{"name": "population.csv", "mimeType": "text/csv", "buffer": BAD_POPULATION}])
    wait_for_app(page)
    page.get_by_role("button", name="Importera", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_text("Ingenting har sparats.").first).to_be_visible(timeout=T)
    rows = report_rows(page)
    cells = {(r[0], r[1], r[2]) for r in rows if len(r) >= 4}
    assert cells == {("population.csv", "3", "municipality_code"), ("population.csv", "4", "sex"),
                     ("population.csv", "4", "population")}, rows
    assert all(len(r) >= 4 and r[3] for r in rows)  # every row has a reason
    expect(page.get_by_role("button", name="Ladda ner alla fel (CSV)")).to_be_visible(timeout=T)
    with page.expect_download() as download:
        page.get_by_role("button", name="Ladda ner alla fel (CSV)").click()
    body = download.value.path().read_bytes().decode("utf-8-sig").splitlines()
    assert body[0] == "Fil;Rad;Kolumn;Orsak" and len(body) == 4
    expect(history.locator("td").filter(has_text="Avvisad").first).to_be_attached(timeout=T)
    screenshot(page, "upload_rejected")
