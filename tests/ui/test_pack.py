"""The workshop pack: an A4 PDF in Swedish, read back as text with pypdf; chart rendering with kaleido."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from PIL import Image
from pypdf import PdfReader

from metrics.registry import INDICATORS
from metrics.review import MonthlyReview, monthly_review
from metrics.targets import default_targets
from ui import pack
from ui.pack import SECTIONS, build_pack_pdf, review_figures

READM = "readmission_30d_65"
SIP = "sip_coverage_home_care"
A4_POINTS = (595.28, 841.89)


def tidy(indicator_id: str, values) -> pd.DataFrame:
    months = pd.period_range("2024-01", periods=len(values), freq="M")
    values = np.asarray(values, dtype=float)
    return pd.DataFrame(
        {
            "indicator_id": indicator_id, "municipality_code": "1490", "sex": "T",
            "period": [str(p) for p in months], "period_type": "month", "period_start": months.to_timestamp(),
            "period_end": months.to_timestamp(how="end").normalize(), "numerator": values * 3, "denominator": 300.0,
            "value": values, "ci_low": np.nan, "ci_high": np.nan, "suppressed": False, "status": "ok",
            "n_unassessed": np.nan, "note": None,
        }
    )  # fmt: skip


@pytest.fixture(scope="module")
def results() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.concat(
        [
            tidy(READM, np.round(15 + rng.normal(0, 1.5, 18), 1)),
            tidy(SIP, np.round(62 + rng.normal(0, 2, 18), 1)),
        ],
        ignore_index=True,
    )


CYCLES = pd.DataFrame(
    [
        {"id": 1, "area_id": 1, "area_title": "Trygg hemgång", "municipality_code": "1490", "cycle_number": 1,
         "title": "Uppföljningssamtal inom 72 h", "aim": "Återinskrivningar − 20 % (≥ 75 år)",
         "change_idea": "Sjuksköterska ringer dag 2", "start_date": dt.date(2025, 2, 1),
         "end_date": dt.date(2025, 5, 31), "status": "pågår", "act": None, "act_date": None, "act_notes": None,
         "linked_indicator_ids": [READM]},
        {"id": 2, "area_id": 1, "area_title": "Trygg hemgång", "municipality_code": "1490", "cycle_number": 2,
         "title": "SIP vid utskrivning", "aim": None, "change_idea": None, "start_date": dt.date(2025, 1, 7),
         "end_date": dt.date(2025, 5, 30), "status": "avslutad", "act": "adopt", "act_date": dt.date(2025, 6, 10),
         "act_notes": "Blir rutin i hela kommunen", "linked_indicator_ids": [SIP]},
    ]
)  # fmt: skip


@pytest.fixture(scope="module")
def review(results) -> MonthlyReview:
    return monthly_review(results, default_targets(), municipality_code="1490", month="2025-06", cycles=CYCLES,
                          phases={SIP: [dt.date(2025, 1, 7)]})  # fmt: skip


def png(colour: str = "#0072B2") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (1000, 480), colour).save(buf, format="PNG")
    return buf.getvalue()


def text_of(pdf: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, [page.extract_text() for page in reader.pages]


def test_pack_has_the_headings_sections_numbers_and_charts(review):
    pdf = build_pack_pdf(review, [png(), png("#E69F00")], municipality_name="Borås", month_label="juni 2025",
                         chart_titles=[INDICATORS[READM].name_sv, INDICATORS[SIP].name_sv],
                         generated_on=dt.date(2025, 7, 2))  # fmt: skip
    assert pdf.startswith(b"%PDF-")
    reader, pages = text_of(pdf)
    text = "\n".join(pages)
    assert pages[0].lstrip().startswith("Månadsuppföljning")
    assert "Borås – juni 2025" in pages[0] and "skapad 2025-07-02" in pages[0]
    for section in SECTIONS:
        assert section in text
    assert [o["/Title"] for o in reader.outline if isinstance(o, dict)] == ["Månadsuppföljning", *SECTIONS]
    # every indicator, numbers with a decimal comma, previous months, target marks
    assert INDICATORS["frequent_attenders"].name_sv in text.replace("\n", " ")
    sip = review.indicators.set_index("indicator_id").loc[SIP]
    assert f"{sip['value']:.1f} %".replace(".", ",") in text
    assert f"maj 2025: {sip['prev_1']:.1f} %".replace(".", ",") in text
    assert "saknar underlag" in text
    # open cycles and decisions
    assert "PDSA 1: Uppföljningssamtal inom 72 h" in text and "Sjuksköterska ringer dag 2" in text
    assert "2025-06-10" in text and "Införa" in text and "Blir rutin i hela kommunen" in text
    # charts: one image each, on A4 pages, under their headings
    chart_pages = [i for i, p in enumerate(pages) if "Styrdiagram" in p and INDICATORS[READM].name_sv in p]
    assert chart_pages and sum(len(reader.pages[i].images) for i in range(len(pages))) == 2
    for page in reader.pages:
        assert (round(float(page.mediabox.width), 2), round(float(page.mediabox.height), 2)) == A4_POINTS
    assert f"sida 1 av {len(pages)}" in pages[0]
    if pack._font_available():
        assert "≥ 70 %" in text and "✖ ej uppfyllt" in text and "Återinskrivningar − 20 % (≥ 75 år)" in text


def test_without_a_unicode_font_the_core_font_spells_out_other_signs(review, monkeypatch, tmp_path):
    monkeypatch.setattr(pack, "FONT_DIR", tmp_path)  # no DejaVu there
    pdf = build_pack_pdf(review, [png()], municipality_name="Borås", month_label="juni 2025")
    _, pages = text_of(pdf)
    text = "\n".join(pages)
    assert "Månadsuppföljning" in text and "Pågående förbättringsarbete" in text  # å, ä, ö are Latin-1
    assert ">= 70 %" in text and "X ej uppfyllt" in text and "Återinskrivningar - 20 % (>= 75 år)" in text
    assert "Diagram 1" in text  # a PNG without a title gets a numbered heading


def test_an_empty_month_says_so(results):
    quiet = monthly_review(
        results, default_targets(), municipality_code="1490", month="2024-03", cycles=CYCLES.iloc[0:0]
    )
    pdf = build_pack_pdf(quiet, [], municipality_name="Borås", month_label=quiet.month_label)
    _, pages = text_of(pdf)
    text = "\n".join(pages)
    assert "Inga planerade eller pågående PDSA-cykler." in text
    assert "Inga beslut (Agera) daterade mars 2024." in text
    assert "Inga indikatorer är kopplade" in text


def test_review_figures_show_phases_and_cycle_marks_of_the_linked_indicators(results, review):
    marks = {READM: [{"x": dt.date(2025, 2, 1), "text": "PDSA 1: Uppföljningssamtal", "hover": "Mål: …"},
                     {"x": dt.date(2025, 9, 1), "text": "PDSA 9: efter månaden", "hover": ""}]}  # fmt: skip
    figures = review_figures(results, review, phases={SIP: [dt.date(2025, 1, 7)]}, annotations=marks)
    assert [f.layout.title.text.split("<br>")[0] for f in figures] == [
        INDICATORS[READM].name_sv,
        INDICATORS[SIP].name_sv,
    ]
    readm_notes = [a.text for a in figures[0].layout.annotations]
    assert "PDSA 1: Uppföljningssamtal" in readm_notes and "PDSA 9: efter månaden" not in readm_notes
    sip_notes = [a.text for a in figures[1].layout.annotations]
    assert any(t.startswith("Fas 2") for t in sip_notes)
    last_x = max(pd.Timestamp(x) for x in figures[0].data[0].x)
    assert last_x == pd.Timestamp("2025-06-01")  # nothing after the review month
    assert pack._figure_title(figures[1].to_plotly_json()) == INDICATORS[SIP].name_sv


@pytest.mark.browser
def test_figures_are_rendered_in_one_kaleido_batch(results, review):
    if not shutil.which("chromium") and not Path("/usr/bin/chromium").exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("REQUIRE_BROWSER=1 but /usr/bin/chromium is missing")
        pytest.skip("needs /usr/bin/chromium")
    figures = review_figures(results, review)
    charts: list = [figures[0], figures[1].to_plotly_json(), go.Figure(figures[0])]
    started = time.perf_counter()
    pdf = build_pack_pdf(review, charts, municipality_name="Borås", month_label="juni 2025")
    elapsed = time.perf_counter() - started
    reader, pages = text_of(pdf)
    images = [im for page in reader.pages for im in page.images]
    assert len(images) == 3
    for im in images:
        assert im.image.size == (
            pack.CHART_WIDTH_PX * pack.CHART_SCALE,
            pack.CHART_HEIGHT_PX * pack.CHART_SCALE,
        )
    assert INDICATORS[SIP].name_sv in "\n".join(pages)
    assert elapsed < 60, f"three charts took {elapsed:.1f} s"
