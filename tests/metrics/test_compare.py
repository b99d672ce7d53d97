"""Which reference values Jämför shows beside a period, and the note that says so (issue 17)."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from metrics.compare import choose_reference_rows
from metrics.series import period_label_sv

VA = "Vårdanalys (syntetiskt exempel)"
KOLADA = "Kolada N12345"


def refs(*rows: tuple[str, str, float, str]) -> pd.DataFrame:
    """indicator_values rows: (municipality_code, period, value, source)."""
    return pd.DataFrame(
        [
            {"indicator_id": "x", "indicator_name": "", "municipality_code": m, "period": p, "numerator": None,
             "denominator": None, "value": v, "source": s}
            for m, p, v, s in rows
        ]
    )


def shown(rows: pd.DataFrame) -> list[tuple[str, str, str]]:
    return sorted(zip(rows["municipality_code"], rows["period"], rows["source"], strict=True))


def test_values_of_the_period_itself_without_a_note():
    r = refs(("1490", "2025", 18.0, VA), ("0000", "2025", 17.0, KOLADA), ("1490", "2024", 19.0, VA),
             ("1490", "2025-Q1", 20.0, VA))
    rows, note = choose_reference_rows(r, "2025")
    assert note is None
    assert shown(rows) == [("0000", "2025", KOLADA), ("1490", "2025", VA)]


def test_a_quarter_falls_back_to_its_year_per_area_and_source():
    r = refs(("1490", "2025", 18.0, KOLADA), ("0000", "2025", 17.0, KOLADA), ("1490", "2025-Q2", 21.0, VA),
             ("1490", "2024-Q4", 22.0, VA))
    rows, note = choose_reference_rows(r, "2025-Q2")
    assert note is None
    # Vårdanalys has the quarter itself; Kolada only the year containing it
    assert shown(rows) == [("0000", "2025", KOLADA), ("1490", "2025", KOLADA), ("1490", "2025-Q2", VA)]
    rows, note = choose_reference_rows(r, "2025-Q3")
    assert note is None and set(rows["period"]) == {"2025"}
    # a month: its quarter, then its year
    rows, note = choose_reference_rows(r, "2025-05")
    assert note is None
    assert shown(rows) == [("0000", "2025", KOLADA), ("1490", "2025", KOLADA), ("1490", "2025-Q2", VA)]


def test_latest_period_of_the_same_grain():
    r = refs(("1490", "2023", 10.0, VA), ("1490", "2024", 11.0, VA), ("0000", "2024", 12.0, KOLADA),
             ("1490", "2025-Q1", 13.0, VA), ("1490", "2024-Q4", 14.0, VA))
    rows, note = choose_reference_rows(r, "2026")
    assert shown(rows) == [("0000", "2024", KOLADA), ("1490", "2024", VA)]
    assert note == "Inga referensvärden finns för 2026; senaste år med värden, 2024, visas."
    # quarters compare with quarters: 2025-Q1 is the latest quarter (not the year 2024)
    rows, note = choose_reference_rows(r, "2026-Q3")
    assert set(rows["period"]) == {"2025-Q1"}
    assert note == "Inga referensvärden finns för kvartal 3 2026; senaste kvartal med värden, kvartal 1 2025, visas."


def test_a_month_without_monthly_values_falls_back_to_a_coarser_grain():
    r = refs(("1490", "2024", 11.0, KOLADA), ("1490", "2023", 10.0, KOLADA))
    rows, note = choose_reference_rows(r, "2025-03")
    assert set(rows["period"]) == {"2024"}
    assert note == "Inga referensvärden finns för mars 2025; senaste år med värden, 2024, visas."
    r = refs(("1490", "2024-Q4", 11.0, VA), ("1490", "2023", 10.0, KOLADA))
    rows, note = choose_reference_rows(r, "2025-03")
    assert set(rows["period"]) == {"2024-Q4"}  # the quarter is the nearer grain
    assert note == "Inga referensvärden finns för mars 2025; senaste kvartal med värden, kvartal 4 2024, visas."


def test_only_other_grains_in_that_year_are_named_as_such():
    r = refs(("1490", "2025-Q1", 13.0, VA), ("1490", "2025-Q2", 14.0, VA), ("1490", "2025-04", 15.0, VA),
             ("1490", "2024-Q4", 16.0, VA))
    rows, note = choose_reference_rows(r, "2025")
    assert set(rows["period"]) == {"2025-Q2"}
    assert note == "Referensvärden för 2025 finns bara per kvartal och månad: kvartal 2 2025 visas."
    # months inside a quarter
    rows, note = choose_reference_rows(refs(("1490", "2025-04", 15.0, VA), ("1490", "2025-05", 16.0, VA)), "2025-Q2")
    assert set(rows["period"]) == {"2025-05"}
    assert note == "Referensvärden för kvartal 2 2025 finns bara per månad: maj 2025 visas."
    # nothing of the year's grain (or coarser) anywhere, and nothing inside 2024
    rows, note = choose_reference_rows(refs(("1490", "2025-Q1", 13.0, VA)), "2024")
    assert set(rows["period"]) == {"2025-Q1"}
    assert note == "Inga referensvärden finns för 2024. Värden finns bara per kvartal; senaste, kvartal 1 2025, visas."


def test_the_reported_bug_year_2025_with_only_a_first_quarter():
    """Jämför, year grain, period 2025, the sample data's only ED reference (Vårdanalys, 2025-Q1): the page said
    'Inga referensvärden finns för 2025; senaste period med värden visas.' above 'kvartal 1 2025'."""
    rows, note = choose_reference_rows(refs(("1490", "2025-Q1", 532.3, VA)), "2025")
    assert rows["period"].tolist() == ["2025-Q1"] and rows["value"].tolist() == [532.3]
    assert note == "Referensvärden för 2025 finns bara per kvartal: kvartal 1 2025 visas."
    assert "Inga referensvärden finns för 2025" not in note


def _contains(outer: str, inner: str) -> bool:
    """Whether period ``inner`` lies in (or is) period ``outer``."""
    if inner == outer or (len(outer) == 4 and inner.startswith(outer + "-")):
        return True
    return "-Q" in outer and "-Q" not in inner and "-" in inner and inner[:4] == outer[:4] and (
        (int(inner[5:7]) - 1) // 3 + 1 == int(outer[-1])
    )


PERIODS = ["2024", "2025", "2024-Q4", "2025-Q1", "2025-Q2", "2024-12", "2025-02", "2025-04"]


@pytest.mark.parametrize("available", [c for k in (1, 2) for c in itertools.combinations(PERIODS, k)])
def test_no_note_says_no_values_for_a_period_and_then_shows_one_inside_it(available):
    r = refs(*[("1490", p, 1.0, VA) for p in available])
    for period in PERIODS:
        rows, note = choose_reference_rows(r, period)
        assert len(rows)
        if note is None:  # the period itself or one containing it
            assert all(_contains(p, period) for p in rows["period"]), (period, available)
        elif note.startswith("Inga referensvärden finns för"):
            assert note.startswith(f"Inga referensvärden finns för {period_label_sv(period)}")
            assert not any(_contains(period, p) or _contains(p, period) for p in available), (period, available)
        else:
            assert all(_contains(period, p) for p in rows["period"]), (period, available)


def test_empty_references():
    rows, note = choose_reference_rows(refs(), "2025")
    assert rows.empty and note is None
