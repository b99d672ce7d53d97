"""Issue 8 in Chromium: a process leader creates an area and a cycle, finds it on the Trender chart, adopts
the change, sees the new SPC phase and downloads the workshop pack.

Runs against the demo app (``app_server``: DEMO=1, sample data; the demo user
``processledare`` holds Borås and Mark, password ``demo``). The municipality
chosen by default on both pages is the first of the user's, Mark (1463).
"""

from __future__ import annotations

import io
import re
import uuid

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from metrics.registry import INDICATORS
from tests.browser.conftest import screenshot, wait_for_app
from tests.browser.test_roles import login, open_page

pytestmark = pytest.mark.browser

T = 60_000  # ms: generous, the suite may share a loaded two-core machine
READM = "readmission_30d_65"


def form(page, key: str):
    """A keyed container (Streamlit gives it the class ``st-key-<key>``; forms themselves get none)."""
    return page.locator(f".st-key-{key}")


def expand(page, title: str) -> None:
    summary = page.locator('[data-testid="stExpander"] summary', has_text=title).first
    expect(summary).to_be_visible(timeout=T)
    if summary.locator("xpath=..").get_attribute("open") is None:
        summary.click()


def choose(page, scope, label: str, option: str, attempts: int = 3) -> None:
    """Pick ``option`` in the selectbox or multiselect labelled ``label`` inside ``scope`` (typing filters the
    list; a click lost to a rerun is repeated)."""
    box = scope.locator('[data-testid="stSelectbox"], [data-testid="stMultiSelect"]').filter(
        has=page.get_by_text(label, exact=True)
    ).first
    expect(box).to_be_visible(timeout=T)
    for attempt in range(attempts):
        field = box.locator("input").first
        field.click()
        field.fill(option[:12])
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=T // 3)
            break
        except Exception:  # noqa: BLE001 - the list did not open (a rerun swallowed the click): again
            page.keyboard.press("Escape")
            if attempt == attempts - 1:
                raise
    page.keyboard.press("Escape")


def type_date(page, scope, label: str, value: str) -> None:
    """Type an ISO date into a Streamlit date input (a react-aria date field: one spin button per part)."""
    box = scope.locator('[data-testid="stDateInput"]').filter(has=page.get_by_text(label, exact=True)).first
    year, month, day = value.split("-")
    for part, digits in (("year", year), ("month", month), ("day", day)):
        segment = box.get_by_role("spinbutton", name=f"{part}, {label}")
        segment.click()
        page.keyboard.type(digits)
    expect(box.locator('input[type="date"]')).to_have_value(value, timeout=T)


def submit(page, scope, name: str) -> None:
    scope.get_by_role("button", name=name).click()
    wait_for_app(page)


def select_indicator_on_trender(page) -> None:
    choose(page, page.locator('[data-testid="stMain"]'), "Indikator", INDICATORS[READM].name_sv)
    wait_for_app(page)


def test_process_leader_cycle_on_chart_adopt_new_phase_and_pack(page, app_server):
    suffix = uuid.uuid4().hex[:4]
    area_title, cycle_title = f"Trygg hemgång {suffix}", f"Ring upp dag 2 {suffix}"
    login(page, app_server, "processledare")
    open_page(page, "Förbättringsarbete", "Förbättringsarbete")
    expect(page.get_by_role("heading", name="Förbättringsområden i Mark")).to_be_visible(timeout=T)

    # 1. an area linked to the readmission indicator
    expand(page, "Nytt förbättringsområde")
    new_area = form(page, "pdsa_f_area_new_1463__box")
    new_area.get_by_role("textbox", name="Titel *", exact=True).fill(area_title)
    new_area.get_by_role("textbox", name="Ansvarig", exact=True).fill("Processledare Mark")
    choose(page, new_area, "Kopplade indikatorer", INDICATORS[READM].name_sv)
    submit(page, new_area, "Skapa förbättringsområdet")
    expect(page.get_by_text(f"Förbättringsområdet ”{area_title}” är skapat.")).to_be_visible(timeout=T)
    expect(page.get_by_role("heading", name=area_title)).to_be_visible(timeout=T)

    # 2. a running cycle of it (the area's indicators apply)
    expand(page, "Ny PDSA-cykel i området")
    new_cycle = page.locator('[class*="st-key-pdsa_f_cycle_new_"][class*="__box"]').first
    new_cycle.get_by_role("textbox", name="Titel *", exact=True).fill(cycle_title)
    new_cycle.get_by_role("textbox", name="Mål", exact=True).fill("Färre återinskrivningar inom 30 dagar")
    new_cycle.get_by_role("textbox", name="Förändringsidé", exact=True).fill("Sjuksköterska ringer dag 2")
    type_date(page, new_cycle, "Startdatum", "2025-03-03")
    choose(page, new_cycle, "Status", "Pågår")
    submit(page, new_cycle, "Skapa cykeln")
    expect(page.get_by_text(re.compile(rf"PDSA 1 ”{cycle_title}” är skapad"))).to_be_visible(timeout=T)
    card = page.locator('[class*="st-key-pdsa_card_"]').first
    expect(card).to_contain_text(f"PDSA 1: {cycle_title}", timeout=T)
    for heading in ("Vad vill vi åstadkomma?", "Planera", "Göra", "Studera", "Agera"):
        expect(card).to_contain_text(heading)
    expect(page.locator('[data-testid="stPlotlyChart"]').first).to_be_visible(timeout=T)  # the timeline
    screenshot(page, "pdsa_1_forbattringsarbete")

    # 3. the cycle on the Trender chart of the linked indicator, with a link back to its card
    open_page(page, "Trender", "Trender")
    select_indicator_on_trender(page)
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    mark = chart.locator(".annotation-text", has_text=f"PDSA 1: {cycle_title}")
    expect(mark).to_be_visible(timeout=T)
    expect(chart.locator(".annotation-text", has_text="Fas 2")).to_have_count(0)
    link = page.get_by_role("link", name=re.compile(f"PDSA 1: {cycle_title}"))
    expect(link).to_be_visible(timeout=T)
    screenshot(page, "pdsa_2_trender_markering")
    link.click()
    wait_for_app(page)
    expect(page.locator('[class*="st-key-pdsa_card_"]').first).to_contain_text(f"PDSA 1: {cycle_title}",
                                                                              timeout=T)  # fmt: skip

    # 4. adopt the change, with a new phase from the decision date
    adopt = page.locator('[class*="st-key-pdsa_adopt_"][class*="_box"]').first
    expect(adopt).to_be_visible(timeout=T)
    type_date(page, adopt, "Beslutsdatum", "2025-06-10")
    expect(adopt.get_by_role("checkbox")).to_be_checked()
    submit(page, adopt, "Anta förändringen")
    expect(page.get_by_text("Förändringen är antagen 2025-06-10. Ny fas startad i 1 styrdiagram.")).to_be_visible(
        timeout=T
    )
    screenshot(page, "pdsa_3_antagen")

    # 5. the new phase on the chart: limits split from July 2025
    open_page(page, "Trender", "Trender")
    select_indicator_on_trender(page)
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    expect(chart.locator(".annotation-text", has_text=re.compile(r"^Fas 2"))).to_be_visible(timeout=T)
    expect(chart.locator(".annotation-text", has_text=f"PDSA 1: {cycle_title}")).to_be_visible(timeout=T)
    expect(page.get_by_text(re.compile(r"Nya gränser från juli 2025"))).to_be_visible(timeout=T)
    screenshot(page, "pdsa_4_ny_fas")

    # 6. Månadsuppföljning and the pack
    open_page(page, "Månadsuppföljning", "Månadsuppföljning")
    expect(page.get_by_role("heading", name=re.compile(r"^Mark – "))).to_be_visible(timeout=T)
    choose(page, page.locator('[data-testid="stMain"]'), "Månad", "juni 2025")  # the month of the decision
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Mark – juni 2025")).to_be_visible(timeout=T)
    page.get_by_role("button", name="Skapa PDF").click()
    download_button = page.get_by_role("button", name="Ladda ner PDF")
    expect(download_button).to_be_visible(timeout=120_000)  # kaleido starts Chromium: seconds on a busy machine
    wait_for_app(page)
    screenshot(page, "pdsa_5_manadsuppfoljning")
    with page.expect_download(timeout=T) as caught:
        download_button.click()
    download = caught.value
    assert download.suggested_filename == "manadsuppfoljning_1463_2025-06.pdf"
    reader = PdfReader(io.BytesIO(open(download.path(), "rb").read()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert text.lstrip().startswith("Månadsuppföljning") and "Mark – juni 2025" in text
    for heading in ("Indikatorer", "Pågående förbättringsarbete", "Beslut", "Styrdiagram"):
        assert heading in text
    assert f"PDSA 1: {cycle_title}" in text and "2025-06-10" in text and "Införa" in text  # the decision
    assert INDICATORS[READM].name_sv in text.split("Styrdiagram")[-1]  # its linked indicator's chart
    assert sum(len(p.images) for p in reader.pages) == 1
