"""The workshop pack: a month's review as an A4 PDF in Swedish, with the SPC charts of the linked indicators.

No Streamlit here: the page calls :func:`build_pack_pdf` when the download
button is clicked (``st.download_button(data=lambda: ...)``), with the
:class:`metrics.review.MonthlyReview` it already shows and the figures from
:func:`review_figures`.

Sections: a title page (heading "Månadsuppföljning", municipality, month,
a summary and the symbol legend), "Indikatorer" (every indicator's latest
value, target, the three months before it, variation and assurance),
"Pågående förbättringsarbete" (open cycles), "Beslut" (the month's Act
decisions) and "Styrdiagram" (one SPC chart per linked indicator). Numbers
have a decimal comma; every colour has a symbol or text beside it.

PDF: fpdf2, with DejaVu Sans embedded when Debian's ``fonts-dejavu-core``
is installed (all of å, ä, ö, −, ≥, ▲, ✔ …); otherwise the core Helvetica
font, whose Latin-1 covers å/ä/ö, and the few other signs are spelt out
(− → -, ≥ → >=, ▲ → ^ …). Charts: PNG via kaleido (Chromium), all figures
in one batch (:func:`render_pngs`): one browser start, ~4 s, for the lot.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import tempfile
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from fpdf import FPDF
from fpdf.fonts import FontFace

from metrics.registry import INDICATORS
from metrics.review import MonthlyReview, review_rows
from metrics.series import data_starts, indicator_spc
from ui.icons import VARIATION_ICONS, assurance_text, variation_text
from ui.labels import decimals_for
from ui.plotly_sv import SV_SHORT_MONTHS, format_number_sv
from ui.spc_chart import build_spc_figure

__all__ = ["SECTIONS", "build_pack_pdf", "render_pngs", "review_figures"]

SECTIONS: tuple[str, ...] = ("Indikatorer", "Pågående förbättringsarbete", "Beslut", "Styrdiagram")
TITLE = "Månadsuppföljning"
CHART_WIDTH_PX, CHART_HEIGHT_PX, CHART_SCALE = 1000, 480, 2
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}

_MARGIN = 15.0
_WIDTH = 210.0 - 2 * _MARGIN  # A4 portrait, mm
_TEXT_RGB = (0, 0, 0)
_GREY = (90, 90, 90)
_LATIN1_FALLBACK = {
    "\u2212": "-", "\u2013": "-", "\u2014": "-", "\u2264": "<=", "\u2265": ">=", "\u2248": "~", "\u2032": "'",
    "\u2026": "...", "\u25b2": "^", "\u25bc": "v", "\u25cf": "o", "\u2714": "OK", "\u2716": "X", "\u2192": "->", "\u21bb": "(ny)",
    "\u201c": '"', "\u201d": '"', "\u2019": "'",
}  # fmt: skip
_RAW = ("value", "prev_1", "prev_2", "prev_3", "is_current", "few_crossings")  # review columns that are not text
_TARGET_MARK = {"uppfyllt": "✔ uppfyllt", "ej uppfyllt": "✖ ej uppfyllt"}


# --------------------------------------------------------------------------- charts


def review_figures(
    results: pd.DataFrame,
    review: MonthlyReview,
    *,
    phases: Mapping[str, Sequence] | None = None,
    annotations: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    indicator_ids: Sequence[str] | None = None,
    sex: str = "T",
) -> list[go.Figure]:
    """SPC figures of the review's linked indicators (or ``indicator_ids``): the charts behind the review's
    verdicts (the same rows, warm-up, phases and targets), up to the review month.

    ``phases`` and ``annotations`` map an indicator id to what
    ``data_access.pdsa.phases_for`` / ``annotations_for`` return for the
    review's municipality. Indicators without a complete value are skipped.
    """
    phases, annotations = phases or {}, annotations or {}
    month_end = pd.Period(review.month, freq="M").end_time
    rows = review_rows(results, municipality_code=review.municipality_code, month=review.month, sex=sex)
    starts = data_starts(results)
    targets = review.indicators.set_index("indicator_id")["target_value"]
    figures = []
    for ind_id in indicator_ids if indicator_ids is not None else review.linked_indicator_ids():
        series = rows[rows["indicator_id"] == ind_id]
        if not ((series["status"] == "ok") & series["value"].notna()).any():
            continue
        ind = INDICATORS[ind_id]
        target = targets.get(ind_id)
        table, _ = indicator_spc(
            series,
            ind,
            target=None if target is None or pd.isna(target) else float(target),
            phase_dates=[pd.Timestamp(d) for d in phases.get(ind_id, ())],
            data_start=starts.get(ind_id),
        )
        marks = [a for a in annotations.get(ind_id, ()) if pd.Timestamp(a["x"]) <= month_end]
        figures.append(build_spc_figure(table, title=ind.name_sv, unit=ind.unit_for("month"), annotations=marks))
    return figures


def render_pngs(
    figures: Sequence[go.Figure | Mapping[str, Any]],
    *,
    width: int = CHART_WIDTH_PX,
    height: int = CHART_HEIGHT_PX,
    scale: float = CHART_SCALE,
) -> list[bytes]:
    """PNG images of the figures, rendered in one kaleido batch (one Chromium start for all)."""
    if not figures:
        return []
    import plotly.io as pio

    with tempfile.TemporaryDirectory(prefix="pack-") as folder:
        paths = [Path(folder) / f"chart{i}.png" for i in range(len(figures))]
        pio.write_images(
            [f if isinstance(f, go.Figure) else go.Figure(f) for f in figures],
            paths,
            format="png",
            width=width,
            height=height,
            scale=scale,
        )
        return [p.read_bytes() for p in paths]


def _figure_title(figure: go.Figure | Mapping[str, Any]) -> str:
    layout = (
        figure.layout.to_plotly_json() if isinstance(figure, go.Figure) else dict(figure.get("layout") or {})
    )
    title = layout.get("title") or {}
    text = title.get("text", "") if isinstance(title, Mapping) else str(title)
    return re.sub(r"<[^>]+>", "", str(text).split("<br>")[0]).strip()


# --------------------------------------------------------------------------- the PDF


class _PackPdf(FPDF):
    def __init__(self, *, footer_text: str, unicode_font: bool):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer_text
        self.unicode_font = unicode_font
        self.family = "DejaVu" if unicode_font else "Helvetica"
        if unicode_font:
            for style, file in FONT_FILES.items():
                self.add_font("DejaVu", style, str(FONT_DIR / file))
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.set_auto_page_break(auto=True, margin=18)

    def t(self, text: Any) -> str:
        """Text the font can show: as is with DejaVu, spelt out in Latin-1 with Helvetica."""
        text = "" if text is None else str(text)
        if self.unicode_font:
            return text
        text = "".join(_LATIN1_FALLBACK.get(ch, ch) for ch in text)
        return "".join(
            ch
            if ord(ch) < 256
            else unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
            for ch in text
        )

    def font(self, size: float, bold: bool = False, colour: tuple[int, int, int] = _TEXT_RGB) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.set_text_color(*colour)

    def footer(self) -> None:
        self.set_y(-12)
        self.font(8, colour=_GREY)
        self.cell(0, 6, self.t(f"{self.footer_text} · sida {self.page_no()} av {{nb}}"), align="C")

    def heading(self, text: str, *, size: float = 15, keep_with_next: float = 35) -> None:
        """A section heading (also a PDF bookmark), never alone at the foot of a page."""
        if self.get_y() + keep_with_next > self.page_break_trigger:
            self.add_page()
        self.start_section(self.t(text))
        self.font(size, bold=True)
        self.multi_cell(0, size * 0.5, self.t(text), align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def paragraph(
        self, text: str, *, size: float = 10, bold: bool = False, colour=_TEXT_RGB, gap: float = 1
    ) -> None:
        self.font(size, bold=bold, colour=colour)
        self.multi_cell(0, size * 0.48, self.t(text), align="L", new_x="LMARGIN", new_y="NEXT")
        if gap:
            self.ln(gap)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _s(value: Any) -> str:
    """Text of a frame cell; '' for None/NaN (pandas reads missing text back as NaN)."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    return str(value)


def _number(value: Any, unit: str) -> str:
    if value is None or pd.isna(value):
        return "–"
    text = format_number_sv(float(value), decimals_for(unit))
    return f"{text} %" if unit == "%" else text


def _short_period(period: str | None) -> str:
    if not period:
        return "–"
    p = pd.Period(period, freq="M")
    return f"{SV_SHORT_MONTHS[p.month - 1]} {p.year}"


def _date(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def _font_available() -> bool:
    return all((FONT_DIR / f).is_file() for f in FONT_FILES.values())


def build_pack_pdf(
    review: MonthlyReview,
    charts: Sequence[go.Figure | Mapping[str, Any] | bytes],
    *,
    municipality_name: str,
    month_label: str,
    chart_titles: Sequence[str] | None = None,
    generated_on: dt.date | None = None,
) -> bytes:
    """The workshop pack of ``review`` as PDF bytes (A4 portrait, Swedish).

    ``charts`` are Plotly figures (or their dict form), rendered here in
    one kaleido batch, or PNG bytes already rendered; their headings are
    ``chart_titles`` or else the figures' own titles.
    """
    generated_on = generated_on or dt.date.today()
    pdf = _PackPdf(footer_text=f"{TITLE} {municipality_name}, {month_label}", unicode_font=_font_available())
    pdf.set_title(pdf.t(f"{TITLE} {municipality_name} {month_label}"))
    pdf.set_author("Nära vård indikatorvy")
    pdf.set_creator("Nära vård indikatorvy")
    pdf.set_lang("sv")

    images, titles = _chart_images(charts, chart_titles)
    _title_page(pdf, review, municipality_name=municipality_name, month_label=month_label, generated_on=generated_on,
                n_charts=len(images))  # fmt: skip
    pdf.add_page()
    _indicators(pdf, review)
    pdf.ln(4)
    _open_cycles(pdf, review)
    pdf.ln(4)
    _decisions(pdf, review)
    pdf.add_page()
    _charts(pdf, images, titles)
    return bytes(pdf.output())


def _chart_images(charts, chart_titles) -> tuple[list[bytes], list[str]]:
    charts = list(charts)
    figures = [(i, c) for i, c in enumerate(charts) if not isinstance(c, bytes | bytearray)]
    rendered = dict(zip([i for i, _ in figures], render_pngs([c for _, c in figures]), strict=True))
    images = [bytes(c) if isinstance(c, bytes | bytearray) else rendered[i] for i, c in enumerate(charts)]
    if chart_titles is not None:
        titles = list(chart_titles)
    else:
        titles = [
            f"Diagram {i + 1}"
            if isinstance(c, bytes | bytearray)
            else (_figure_title(c) or f"Diagram {i + 1}")
            for i, c in enumerate(charts)
        ]
    return images, titles


def _title_page(
    pdf: _PackPdf, review: MonthlyReview, *, municipality_name, month_label, generated_on, n_charts
):
    pdf.add_page()
    pdf.ln(30)
    pdf.start_section(TITLE)
    pdf.font(28, bold=True)
    pdf.multi_cell(0, 14, pdf.t(TITLE), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.font(18)
    pdf.multi_cell(
        0, 10, pdf.t(f"{municipality_name} – {month_label}"), align="L", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(4)
    pdf.paragraph(
        "Underlag för ledningsgruppens uppföljning och för processledare inför workshop: indikatorernas senaste "
        "värden mot mål och föregående månader, pågående förbättringsarbete, månadens beslut och styrdiagram.",
        size=11,
    )
    pdf.paragraph(f"Nära vård indikatorvy · skapad {generated_on:%Y-%m-%d}", size=9, colour=_GREY, gap=8)

    ind = review.indicators
    with_value = ind[ind["status"] == "ok"]
    improving = with_value["variation"].fillna("").str.contains("improvement").sum()
    concern = with_value["variation"].fillna("").str.contains("concern").sum()
    with_target = with_value[with_value["target_status"].isin(["uppfyllt", "ej uppfyllt"])]
    met = (with_target["target_status"] == "uppfyllt").sum()
    pdf.paragraph("I korthet", size=13, bold=True)
    for line in (
        f"Indikatorer med värde: {len(with_value)} av {len(ind)}",
        f"Särskild orsak – förbättring: {improving}; försämring: {concern}",
        f"Mål uppfyllt: {met} av {len(with_target)} indikatorer med mål",
        f"Planerade och pågående PDSA-cykler: {len(review.open_cycles)}",
        f"Beslut under månaden: {len(review.decisions)}",
        f"Styrdiagram: {n_charts}",
    ):
        pdf.paragraph(f"•  {line}", size=11, gap=0.5)
    pdf.ln(6)
    pdf.paragraph("Symboler", size=11, bold=True)
    pdf.paragraph(
        "▲/▼ särskild orsak, högt/lågt: blå = förbättring, orange = försämring, lila = ingen önskad riktning; "
        "● vanlig variation. ✔ målet uppfyllt, ✖ ej uppfyllt. Värden med decimalkomma; – betyder att värdet "
        "saknas eller inte visas (för få fall). Styrdiagrammen har nya gränser (ny fas) från de datum då en "
        "förändring infördes.",
        size=9,
        colour=_GREY,
    )


def _indicators(pdf: _PackPdf, review: MonthlyReview) -> None:
    pdf.heading("Indikatorer")
    pdf.paragraph(
        f"Senaste fullständiga värde till och med {review.month_label}, målnivå, de tre månaderna före och "
        "variation enligt styrdiagrammet (Making Data Count).",
        size=9,
        colour=_GREY,
        gap=2,
    )
    pdf.font(8)
    heading_style = FontFace(emphasis="B", fill_color=(230, 230, 230))
    with pdf.table(
        col_widths=(62, 26, 28, 28, 36),
        width=_WIDTH,
        text_align=("LEFT", "RIGHT", "LEFT", "RIGHT", "LEFT"),
        headings_style=heading_style,
        line_height=3.6,
        padding=1,
        repeat_headings=1,
    ) as table:
        header = table.row()
        for text in ("Indikator", "Senaste", "Mål", "Föregående", "Variation"):
            header.cell(pdf.t(text))
        for r in review.indicators.to_dict("records"):
            r = {k: (v if k in _RAW else _s(v) or None) for k, v in r.items()}
            row = table.row()
            unit, name = r["unit"] or "", r["name"] or r["indicator_id"]
            row.cell(pdf.t(name if unit in ("%", "") or unit.lower() in name.lower() else f"{name} ({unit})"))
            if r["status"] == "ok":
                latest = f"{_number(r['value'], unit)}\n{_short_period(r['period'])}"
                if not r["is_current"]:
                    latest += " (senaste)"
            elif r["status"] == "undertryckt":
                latest = f"–\nför få fall ({_short_period(r['period'])})"
            else:
                latest = "saknar underlag"
            row.cell(pdf.t(latest))
            if r["target_text"]:
                mark = _TARGET_MARK.get(r["target_status"] or "", "")
                row.cell(pdf.t(f"{r['target_text']}\n{mark}".strip()))
            else:
                row.cell(pdf.t("–"))
            prev = [
                f"{_short_period(r[f'prev_{k}_period'])}: {_number(r[f'prev_{k}'], unit)}"
                for k in (1, 2, 3)
                if r[f"prev_{k}_period"]
            ]
            row.cell(pdf.t("\n".join(prev) if r["status"] != "saknar_underlag" else "–"))
            code = r["variation"]
            if code:
                colour = VARIATION_ICONS.get(code, ("", "#7F7F7F"))[1]
                text = variation_text(code, bool(r["few_crossings"]))  # the words of every page
                if r["assurance"] and r["assurance"] != "no_target":
                    text += f"\n{assurance_text(r['assurance'])}"
                row.cell(
                    pdf.t(text), style=FontFace(color=_rgb(colour) if code != "common_cause" else _TEXT_RGB)
                )
            else:
                row.cell(pdf.t("–"))
    judged = [r for r in review.indicators.to_dict("records") if isinstance(r.get("sentence"), str) and r["sentence"]]
    if judged:
        pdf.ln(3)
        pdf.paragraph("Bedömning enligt styrdiagrammen", size=10, bold=True, gap=1)
        for r in judged:
            pdf.paragraph(f"{r['name']}: {r['sentence']}", size=8.5, gap=0.5)


def _open_cycles(pdf: _PackPdf, review: MonthlyReview) -> None:
    pdf.heading("Pågående förbättringsarbete")
    cycles = review.open_cycles
    if cycles.empty:
        pdf.paragraph("Inga planerade eller pågående PDSA-cykler.", size=10)
        return
    for c in cycles.to_dict("records"):
        pdf.paragraph(f"PDSA {c['cycle_number']}: {c['title']}", size=10.5, bold=True, gap=0.5)
        span = f"{_date(c['start_date'])} – {_date(c['end_date'])}"
        line = f"{c['area_title']} · {c['status_label']} · {span}"
        if c["overdue"]:
            line += " · slutdatum passerat"
        pdf.paragraph(line, size=9, colour=_GREY, gap=0.5)
        for label, key in (("Mål", "aim"), ("Förändringsidé", "change_idea")):
            if isinstance(c.get(key), str) and c[key]:
                pdf.paragraph(f"{label}: {c[key]}", size=9, gap=0.5)
        names = [INDICATORS[i].name_sv for i in c["linked_indicator_ids"] if i in INDICATORS]
        if names:
            pdf.paragraph(f"Indikatorer: {'; '.join(names)}", size=9, gap=0.5)
        pdf.ln(2)


def _decisions(pdf: _PackPdf, review: MonthlyReview) -> None:
    pdf.heading("Beslut")
    decisions = review.decisions
    if decisions.empty:
        pdf.paragraph(f"Inga beslut (Agera) daterade {review.month_label}.", size=10)
        return
    pdf.font(8.5)
    with pdf.table(
        col_widths=(22, 62, 22, 74),
        width=_WIDTH,
        text_align="LEFT",
        headings_style=FontFace(emphasis="B", fill_color=(230, 230, 230)),
        line_height=3.8,
        padding=1,
    ) as table:
        header = table.row()
        for text in ("Datum", "Cykel", "Beslut", "Motivering"):
            header.cell(pdf.t(text))
        for d in decisions.to_dict("records"):
            row = table.row()
            row.cell(pdf.t(_date(d["act_date"])))
            row.cell(pdf.t(f"PDSA {d['cycle_number']}: {d['title']}\n{d['area_title']}"))
            row.cell(pdf.t(d["act_label"]))
            notes = d.get("act_notes")
            row.cell(pdf.t(notes if isinstance(notes, str) and notes else "–"))


def _charts(pdf: _PackPdf, images: list[bytes], titles: list[str]) -> None:
    pdf.heading("Styrdiagram")
    if not images:
        pdf.paragraph(
            "Inga indikatorer är kopplade till pågående förbättringsarbete eller månadens beslut.", size=10
        )
        return
    height = _WIDTH * CHART_HEIGHT_PX / CHART_WIDTH_PX
    for image, title in zip(images, titles, strict=True):
        if pdf.get_y() + height + 12 > pdf.page_break_trigger:
            pdf.add_page()
        pdf.start_section(pdf.t(title), level=1)
        pdf.paragraph(title, size=10.5, bold=True, gap=1)  # the figure's own title is in the image too
        pdf.image(io.BytesIO(image), x=_MARGIN, w=_WIDTH, h=height)
        pdf.ln(5)
