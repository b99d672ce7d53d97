"""Tests for ui.spc_chart and ui.plotly_sv: the SPC figure, its table alternative, Swedish formatting."""

from __future__ import annotations

import ast
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metrics.spc import spc_table
from ui.plotly_sv import format_number_sv, format_period_sv, plotly_config
from ui.spc_chart import COLOURS, MARKERS, build_spc_figure, spc_table_alternative

ROOT = Path(__file__).resolve().parents[2]

# Montgomery, ISQC, Example 7.1 (qcc orangejuice + orangejuice2 trial data), monthly dates.
OJ = [12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22, 8, 10, 5, 13, 11, 20, 18, 24, 15, 9, 12, 7, 13, 9, 6,
      9, 6, 12, 5, 6, 4, 6, 3, 7, 6, 2, 4, 3, 6, 5, 4, 8, 5, 6, 7, 5, 6, 3, 5]  # fmt: skip
DATES = pd.date_range("2021-01-01", periods=len(OJ), freq="MS")


@pytest.fixture
def oj_table() -> pd.DataFrame:
    """P chart with a PDSA phase at sample 31 and two excluded samples (limits per qcc)."""
    return spc_table(
        pd.Series(OJ, index=DATES),
        chart="p",
        denominators=[50] * len(OJ),
        improvement="decrease",
        target=0.15,
        phases=[30],
        exclude={14: "ny kartongsats", 22: "ovan operatör"},
    )


def _trace(fig, name: str):
    matches = [t for t in fig.data if t.name == name]
    assert matches, f"no trace named {name!r}; have {[t.name for t in fig.data]}"
    return matches[0]


# --------------------------------------------------------------------------- Swedish formatting


def test_format_number_sv() -> None:
    """Decimal comma, space as thousands separator, real minus sign, '–' for missing."""
    assert format_number_sv(1234.5) == "1 234,5"
    assert format_number_sv(1234567.891, 2) == "1 234 567,89"
    assert format_number_sv(0.2313 * 100, 1, suffix=" %") == "23,1 %"
    assert format_number_sv(-0.7155, 2) == "\u22120,72"
    assert format_number_sv(-0.01, 1) == "0,0"
    assert format_number_sv(None) == "–" and format_number_sv(float("nan")) == "–"


def test_format_period_sv() -> None:
    """Month starts as 'mars 2025', other dates ISO, numbers as text."""
    assert format_period_sv(pd.Timestamp("2025-03-01")) == "mars 2025"
    assert format_period_sv(pd.Timestamp("2025-12-01")) == "december 2025"
    assert format_period_sv(pd.Timestamp("2025-03-14")) == "2025-03-14"
    assert format_period_sv(pd.Timestamp("2025-03-14"), monthly=True) == "mars 2025"
    assert format_period_sv(7) == "7"


def test_plotly_config_is_swedish() -> None:
    """plotly.js locale 'sv' registered and selected; no Plotly logo."""
    cfg = plotly_config()
    fmt = cfg["locales"]["sv"]["format"]
    assert cfg["locale"] == "sv" and cfg["displaylogo"] is False
    assert fmt["months"][0] == "januari" and fmt["months"][11] == "december" and len(fmt["months"]) == 12
    assert fmt["shortMonths"][4] == "maj" and fmt["days"][1] == "måndag" and len(fmt["shortDays"]) == 7
    assert (fmt["decimal"], fmt["thousands"]) == (",", " ")
    assert cfg["locales"]["sv"]["dictionary"] == {}


# --------------------------------------------------------------------------- figure


def test_figure_layout_swedish_and_summary(oj_table: pd.DataFrame) -> None:
    """Separators ', ', per cent axis for proportions, Swedish title with icon labels, meta."""
    fig = build_spc_figure(oj_table, title="Andel läckande burkar", unit="%")
    assert fig.layout.separators == ", "
    assert fig.layout.yaxis.ticksuffix == " %" and fig.layout.yaxis.tickformat == ",.1f"
    assert "Andel läckande burkar" in fig.layout.title.text
    assert "Variation: Vanlig variation" in fig.layout.title.text
    assert "Målet nås ibland" in fig.layout.title.text
    assert fig.layout.meta == {
        "variation": "common_cause",
        "assurance": "hit_and_miss",
        "sentence": "Ingen säker förändring: värdena varierar slumpmässigt kring mittlinjen. "
        "Nya gränser från juli 2023 (fas 2).",
    }
    assert list(fig.layout.xaxis.ticktext[:3]) == ["jan 2021", "jul 2021", "jan 2022"]


def test_points_marked_by_shape_and_colour(oj_table: pd.DataFrame) -> None:
    """Special-cause points differ from common ones by symbol and colour (Okabe–Ito)."""
    fig = build_spc_figure(oj_table, title="t", unit="%")
    common = _trace(fig, "Vanlig variation")
    concern = _trace(fig, "Särskild orsak – försämring")
    excluded = _trace(fig, "Utesluten punkt")
    assert concern.marker.symbol == MARKERS["special_concern"] != common.marker.symbol
    assert concern.marker.color == COLOURS["special_concern"] == "#E69F00"
    assert MARKERS["special_improvement"] != MARKERS["special_concern"]
    assert COLOURS["special_improvement"] == "#0072B2"
    # Sample 21 (0.40 > UCL 0.3893) is the only special point; in per cent.
    assert list(concern.y) == pytest.approx([40.0])
    assert len(excluded.x) == 2 and list(excluded.y) == pytest.approx([44.0, 48.0])
    assert len(common.x) == len(OJ) - 3


def test_limits_stepped_per_phase_and_target(oj_table: pd.DataFrame) -> None:
    """Centre and limits are drawn per phase with a gap between phases; target as a line."""
    fig = build_spc_figure(oj_table, title="t", unit="%")
    centre = _trace(fig, "Mittlinje (medelvärde)")
    ys = list(centre.y)
    assert ys.count(None) == 2
    assert ys[0] == pytest.approx(21.5) and ys[31] == pytest.approx(11.08333, abs=1e-4)
    limits = [t for t in fig.data if t.name == "Kontrollgränser"]
    upper = [y for y in limits[0].y if y is not None]
    assert upper[0] == pytest.approx(38.92972, abs=1e-4) and upper[-1] == pytest.approx(24.40207, abs=1e-4)
    assert limits[0].line.shape == "hvh"
    assert _trace(fig, "Mål (15,0 %)").y == pytest.approx((15.0, 15.0))


def test_phase_labels_and_pdsa_annotations(oj_table: pd.DataFrame) -> None:
    """Phase labels, a boundary between phases, and annotations with hover text."""
    fig = build_spc_figure(
        oj_table,
        title="t",
        unit="%",
        annotations=[{"x": "2023-07-01", "text": "PDSA 1", "hover": "Maskinen justerades"}],
    )
    texts = [a.text for a in fig.layout.annotations]
    assert "Fas 1" in texts and "Fas 2" in texts and "PDSA 1" in texts
    pdsa = next(a for a in fig.layout.annotations if a.text == "PDSA 1")
    assert pdsa.hovertext == "Maskinen justerades"
    boundary = [s for s in fig.layout.shapes if s.line.dash == "dot"]
    assert len(boundary) == 1 and pd.Timestamp(boundary[0].x0) == pd.Timestamp("2023-06-16")


def test_pdsa_marks_are_named_lines_with_labels_stepped_apart(oj_table: pd.DataFrame) -> None:
    """Each cycle: a dashed line and a boxed label named after the cycle; neighbours' labels step down."""
    marks = [
        {"x": "2023-05-01", "text": "PDSA 1: A", "cycle_id": 7},
        {"x": "2023-05-01", "text": "PDSA 2: B", "cycle_id": 8},
        {"x": "2023-08-01", "text": "PDSA 3: C"},
    ]
    fig = build_spc_figure(oj_table, title="t", unit="%", annotations=marks)
    labels = {a.text: a for a in fig.layout.annotations if a.text.startswith("PDSA")}
    assert [labels[t].y for t in ("PDSA 1: A", "PDSA 2: B", "PDSA 3: C")] == pytest.approx([0.92, 0.84, 0.76])
    assert labels["PDSA 1: A"].name == "pdsa-7" and labels["PDSA 2: B"].name == "pdsa-8"
    assert labels["PDSA 3: C"].name is None and labels["PDSA 1: A"].borderwidth == 1  # a box, not colour alone
    lines = {s.name: s for s in fig.layout.shapes if s.line.dash == "dash"}
    assert set(lines) == {"pdsa-7", "pdsa-8", None}
    assert pd.Timestamp(lines["pdsa-8"].x0) == pd.Timestamp("2023-05-01") and lines["pdsa-8"].y1 == pytest.approx(0.84)


def test_hover_text_is_swedish(oj_table: pd.DataFrame) -> None:
    """Hover text: Swedish period, decimal comma, per cent, numerator/denominator, signal."""
    fig = build_spc_figure(oj_table, title="t", unit="%")
    hover = _trace(fig, "Särskild orsak – försämring").customdata[0]
    assert "<b>september 2022</b>" in hover
    assert "Värde: 40,0 %" in hover and "Mittlinje: 21,5 %" in hover
    assert "Gränser: 4,1 % – 38,9 %" in hover and "Täljare/nämnare: 20 / 50" in hover
    assert "Särskild orsak – försämring (utanför gränserna)" in hover


def test_run_signal_and_provisional_styles() -> None:
    """A phase with a runs signal gets a dashed signal centre line; short phases lighter limits."""
    y = [30, 28, 33, 31, 29, 35, 30, 27, 32, 31, 34, 29, 24, 22, 25, 23, 21, 24, 22, 20, 23, 21, 19, 22]
    t = spc_table(y, chart="i", improvement="decrease", freeze=10)
    fig = build_spc_figure(t, title="Tid", unit="timmar", value_format=",.0f")
    sig = _trace(fig, "Mittlinje (medelvärde) – signal enligt serieregler")
    assert sig.line.dash == "dash" and sig.line.color == COLOURS["centre_signal"]
    assert _trace(fig, "Preliminära kontrollgränser (< 12 punkter)").line.dash == "dash"
    assert "Särskild orsak – förbättring (lågt)" in fig.layout.title.text
    assert fig.layout.xaxis.title.text == "Punkt" and fig.layout.yaxis.ticksuffix == ""


def test_a_short_new_phase_says_why_its_limits_are_borrowed() -> None:
    """Issue 17: "Fas 2 – preliminära gränser" without a reason. A phase with 2 of 12 points is drawn against
    phase 1's limits, extended and dashed, and its label, hover and table row say so."""
    y = [96, 104] * 12 + [70, 72] + [71, 73]
    t = spc_table(y, chart="i", improvement="decrease", phases=[26], dates=pd.date_range("2024-09-01", periods=28,
                                                                                          freq="MS"))
    fig = build_spc_figure(t, title="Akutbesök", unit="per 1 000 inv. 80+ och år")
    labels = [a.text for a in fig.layout.annotations if a.text.startswith("Fas ")]
    assert labels == ["Fas 1", "Fas 2 – 2 av 12 punkter, bedöms mot fas 1"]
    borrowed = [tr for tr in fig.data if tr.name == "Föregående fas gränser, förlängda"]
    assert len(borrowed) == 2 and {tr.line.dash for tr in borrowed} == {"dash"}  # upper and lower
    drawn = sorted({round(y, 6) for tr in borrowed for y in tr.y if y is not None})
    assert drawn == [round(t["lower"].iloc[0], 6), round(t["upper"].iloc[0], 6)]  # phase 1's limits, extended
    hover = _trace(fig, "Särskild orsak – förbättring").customdata[-1]
    assert "Fas 2 (bedöms mot fas 1:s gränser)" in hover
    assert "Förbättring jämfört med fas 1 sedan september 2026" in fig.layout.meta["sentence"]
    alt = spc_table_alternative(t)
    assert alt.loc[26, "Signal"].endswith("; fas 2 börjar (2 av 12 punkter, bedöms mot fas 1)")
    # a first phase that is itself short says how many points its limits rest on
    short = build_spc_figure(spc_table(y[:8], chart="i"), title="t", unit="antal")
    assert [a.text for a in short.layout.annotations if a.text.startswith("Fas ")] == [
        "Fas 1 – preliminära gränser (8 av 12 punkter)"
    ]


def test_run_chart_has_median_and_no_limits() -> None:
    """Run chart: median centre line, no limit traces."""
    t = spc_table([12, 15, 11, 18, 14, 13, 16, 19, 12, 14, 17, 11], chart="run")
    fig = build_spc_figure(t, title="t", unit="antal")
    names = [tr.name for tr in fig.data]
    assert "Mittlinje (median)" in names and "Kontrollgränser" not in names


def test_figure_requires_spc_table() -> None:
    """Only tables from spc_table (with their options) can be drawn."""
    with pytest.raises(ValueError, match="spc_table"):
        build_spc_figure(pd.DataFrame({"x": [1]}), title="t", unit="%")


# --------------------------------------------------------------------------- table alternative


def test_table_alternative(oj_table: pd.DataFrame) -> None:
    """Same data as text: Swedish headers and numbers, rule names, exclusion reasons, phases."""
    alt = spc_table_alternative(oj_table)
    assert list(alt.columns) == ["Period", "Värde", "Mittlinje", "Nedre gräns", "Övre gräns", "Signal"]
    assert len(alt) == len(OJ)
    assert alt.iloc[0].tolist() == ["januari 2021", "24,0 %", "21,5 %", "4,1 %", "38,9 %", "Vanlig variation"]
    assert alt.loc[14, "Signal"] == "Utesluten – ny kartongsats"
    assert alt.loc[20, "Signal"] == "Särskild orsak – försämring (utanför gränserna)"
    assert alt.loc[30, "Signal"] == "Vanlig variation; fas 2 börjar"
    assert alt.loc[30, "Nedre gräns"] == "0,0 %" and alt.loc[30, "Övre gräns"] == "24,4 %"


def test_table_alternative_run_chart_dashes_for_missing_limits() -> None:
    """No limits on a run chart → '–'; numbers keep their decimals."""
    alt = spc_table_alternative(spc_table([1200.5, 1300.25, np.nan], chart="run"), decimals=2)
    assert alt.iloc[0].tolist()[1:5] == ["1 200,50", "1 250,38", "–", "–"]
    assert alt.iloc[2]["Signal"] == "Saknas" and alt.iloc[0]["Period"] == "1"


# --------------------------------------------------------------------------- architecture


@pytest.mark.parametrize("path", ["ui/spc_chart.py", "ui/plotly_sv.py", "metrics/spc.py"])
def test_no_streamlit_import(path: str) -> None:
    """Chart builders and the SPC core never import Streamlit (style guide, rule 1)."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "streamlit" not in imported and "sqlalchemy" not in imported


# --------------------------------------------------------------------------- rendering


@pytest.mark.browser
def test_figure_renders_to_png(oj_table: pd.DataFrame, tmp_path: Path) -> None:
    """kaleido renders the figure with Chromium (the image was also inspected by eye)."""
    if not shutil.which("chromium") and not Path("/usr/bin/chromium").exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("REQUIRE_BROWSER=1 but /usr/bin/chromium is missing")
        pytest.skip("needs /usr/bin/chromium")
    fig = build_spc_figure(oj_table, title="Andel läckande burkar", unit="%")
    out = tmp_path / "spc.png"
    fig.write_image(out, width=900, height=450)
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


@pytest.mark.parametrize(
    ("freq", "n", "ticks"),
    [
        ("YS", 6, ["2020", "2021", "2022", "2023", "2024", "2025"]),  # issue 22: years, not month ticks
        ("QS", 5, ["kv 1 2024", "kv 2 2024", "kv 3 2024", "kv 4 2024", "kv 1 2025"]),
        ("MS", 3, ["jan 2024", "feb 2024", "mar 2024"]),
    ],
)
def test_the_x_axis_is_labelled_by_the_points_grain(freq, n, ticks) -> None:
    dates = pd.date_range("2020-01-01" if freq == "YS" else "2024-01-01", periods=n, freq=freq)
    table = spc_table(pd.Series([10.0, 12, 11, 13, 12, 11][:n], index=dates), chart="run")
    fig = build_spc_figure(table, title="Test", unit="antal")
    assert list(fig.layout.xaxis.ticktext) == ticks
    assert [pd.Timestamp(v) for v in fig.layout.xaxis.tickvals] == list(dates)
