"""What only a browser shows: every page renders with the sample data, in Swedish, and agrees with metrics."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import download, screenshot, wait_for_app, wait_settled
from tests.conftest import ROOT
from ui.labels import format_value

pytestmark = pytest.mark.browser

PAGES = {
    "oversikt": ("", "Översikt"),
    "trender": ("trender", "Trender"),
    "jamfor": ("jamfor", "Jämför kommuner"),
    "om_indikatorerna": ("om_indikatorerna", "Om indikatorerna"),
    "datastatus": ("datastatus", "Dataunderlag – vad som finns inläst"),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_renders(page, app_server, name):
    path, heading = PAGES[name]
    page.goto(f"{app_server}/{path}")
    wait_for_app(page)
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    screenshot(page, name)


def test_link_with_municipality_shows_metrics_value(page, app_server, expected_value):
    """A copied link (?kommun=1463) reopens Mark, and the tile shows what metrics computes for it."""
    page.goto(f"{app_server}/?kommun=1463&period=manad&tema=Sjukhusv%C3%A5rd")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Mark", exact=True)).to_be_visible()
    tile = page.locator(".st-key-tile-1463-readmission_30d_65")
    expect(tile).to_contain_text(expected_value)
    screenshot(page, "oversikt_mark")


def test_changing_municipality_updates_url_and_content(page, app_server):
    page.goto(app_server)
    wait_for_app(page)
    box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first
    box.click()
    page.keyboard.type("Ulricehamn")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Ulricehamn", exact=True)).to_be_visible()
    assert "kommun=1491" in page.url


def test_csv_export_reads_back(page, app_server):
    page.goto(f"{app_server}/jamfor")
    wait_for_app(page)
    data = download(page, page.get_by_role("button", name="Ladda ner CSV").first, app_server).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(io.BytesIO(data), sep=";", encoding="utf-8-sig", dtype=str)
    assert list(frame.columns)[:2] == ["Kommun", "Värde"]
    assert "Hela området" in set(frame["Kommun"])
    assert frame["Värde"].str.contains(",").any()  # decimal comma


def _sample_kolada(kpi: str, area: str) -> dict[str, str]:
    values = pd.read_csv(ROOT / "sample_data" / "default" / "indicator_values.csv", dtype=str)
    rows = values[(values["source"] == f"Kolada {kpi}") & (values["municipality_code"] == area) & (values["sex"] == "T")]
    return {p: format_value(float(v), "%") for p, v in zip(rows["period"], rows["value"], strict=True)}


def _legend(page, waiting_for: str) -> list[str]:
    """The first chart's legend entries (SVG text: read as textContent), once ``waiting_for`` is drawn."""
    chart = page.locator(".js-plotly-plot").first
    expect(chart.locator(".legendtext").first).to_be_attached(timeout=30_000)
    expect(chart).to_contain_text(waiting_for, timeout=30_000)
    return chart.locator(".legendtext").evaluate_all("els => els.map(e => e.textContent)")


def test_kolada_series_on_trender_and_reference_lines_on_jamfor(page, app_server):
    """Issue 19: Kolada's yearly values drawn beside ours with their source; riket and region lines on Jämför."""
    page.goto(f"{app_server}/trender?kommun=1490&tema=Sjukhusv%C3%A5rd")
    wait_settled(page)
    names = _legend(page, "Kolada N20506: Riket")
    assert {"Kolada N20506: Borås", "Kolada N20506: Riket"} <= set(names), names
    expect(page.get_by_text("Källa: Kolada, N20506 – Oplanerade återinskrivningar bland äldre, andel (%)")).to_be_visible()
    page.get_by_role("button", name="Skillnad mot vårt mått").first.click()
    expect(page.get_by_text("Skillnad mot vår definition", exact=False).first).to_be_visible()
    screenshot(page, "trender_kolada")

    page.goto(f"{app_server}/jamfor?period=ar&tema=Sjukhusv%C3%A5rd")
    wait_settled(page)
    names = _legend(page, "(Kolada N20506)")
    riket = [n for n in names if n.startswith("Riket ")]
    assert len(riket) == 1 and riket[0].endswith("(Kolada N20506)"), names
    year = riket[0].split()[1].rstrip(":")
    assert riket[0] == f"Riket {year}: {_sample_kolada('N20506', '0000')[year]} (Kolada N20506)"
    region = [n for n in names if n.startswith("Västra Götalands län ")]
    assert region == [f"Västra Götalands län {year}: {_sample_kolada('N20506', '0014')[year]} (Kolada N20506)"], names
    screenshot(page, "jamfor_kolada")
