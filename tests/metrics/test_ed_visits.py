"""ed_visits_80_per_1000: rate per 1 000 inhabitants 80+, annualised."""

import pytest

from tests.metrics.framebuilder import compute_one, frame, population, row

IND = "ed_visits_80_per_1000"
POP_2025 = population("1490", 2025, {"75-79": 9999, "80-84": 300, "85-89": 150, "90+": 50})  # 80+ = 500


def data(visits, pop=POP_2025):
    return {"ed_visits": frame("ed_visits", visits), "population": frame("population", pop)}


def visit(when="2025-01-15 10:00", **kw):
    return {"arrival_time": when, **kw}


def test_ages_79_and_80_and_malt():
    visits = [visit(age=79), visit(age=80), visit(age=95, unit="MALT")]
    t = compute_one(data(visits), IND, end_date="2025-01-31")
    r = row(t, municipality_code="1490", sex="T", period="2025-01")
    # 1 visit (age 80) / 500 × 1000 × 12 months / 1 month = 24 per 1 000 and year
    assert (r.numerator, r.denominator) == (1, 500)
    assert r.value == pytest.approx(24.0)
    # Garwood for x = 1: 0.02532–5.5716, scaled by 24
    assert r.ci_low == pytest.approx(0.025318 * 24, rel=1e-4)
    assert r.ci_high == pytest.approx(5.571643 * 24, rel=1e-4)
    assert r.status == "ok"


@pytest.mark.parametrize(("period", "label", "value"), [("quarter", "2025-Q1", 8.0), ("year", "2025", 2.0)])
def test_annualisation(period, label, value):
    # 1/500 × 1000 × 12/3 = 8 (quarter); × 12/12 = 2 (year)
    t = compute_one(data([visit()]), IND, period=period, end_date="2025-12-31")
    assert row(t, municipality_code="1490", sex="T", period=label).value == pytest.approx(value)


def test_missing_population_year_uses_latest_earlier_year_with_a_note():
    pop = population("1490", 2023, {"80-84": 1000}) + population("1490", 2024, {"80-84": 400})
    t = compute_one(data([visit()], pop), IND, end_date="2025-01-31")
    r = row(t, municipality_code="1490", sex="T", period="2025-01")
    # 2025 missing → 2024 (400), not 2023: 1/400 × 12 000 = 30
    assert r.denominator == 400 and r.value == pytest.approx(30.0)
    assert r.note == "Befolkning 2024 används (2025 saknas)"
    assert "tidigare år för 1 kommuner" in row(t, municipality_code="ALL", sex="T", period="2025-01").note


def test_no_population_up_to_the_year_is_saknar_underlag():
    pop = population("1490", 2026, {"80-84": 1000})
    t = compute_one(data([visit()], pop), IND, end_date="2025-01-31")
    r = row(t, municipality_code="1490", sex="T", period="2025-01")
    assert r.status == "saknar_underlag" and r.value != r.value and r.numerator != r.numerator


def test_missing_tables_are_saknar_underlag():
    t = compute_one({"ed_visits": frame("ed_visits", [visit()])}, IND, end_date="2025-01-31")
    assert set(t["status"]) == {"saknar_underlag"}
    t = compute_one({"population": frame("population", POP_2025)}, IND, end_date="2025-01-31")
    assert set(t["status"]) == {"saknar_underlag"}


def test_sex_rows_use_population_by_sex_and_all_sums_municipalities():
    pop = (
        population("1490", 2025, {"80-84": 100}, sex="K")
        + population("1490", 2025, {"80-84": 300}, sex="M")
        + population("1463", 2025, {"80-84": 200}, sex="K")
        + population("1463", 2025, {"80-84": 200}, sex="M")
    )
    visits = [visit(sex="K"), visit(sex="M"), visit(sex="M"), visit(municipality_code="1463", sex="K")]
    t = compute_one(data(visits, pop), IND, end_date="2025-01-31")
    k = row(t, municipality_code="1490", sex="K", period="2025-01")
    m = row(t, municipality_code="1490", sex="M", period="2025-01")
    tot = row(t, municipality_code="1490", sex="T", period="2025-01")
    assert (k.numerator, k.denominator) == (1, 100) and k.value == pytest.approx(120.0)  # 1/100 × 12 000
    assert (m.numerator, m.denominator) == (2, 300) and m.value == pytest.approx(80.0)  # 2/300 × 12 000
    assert (tot.numerator, tot.denominator) == (3, 400) and tot.value == pytest.approx(90.0)
    all_t = row(t, municipality_code="ALL", sex="T", period="2025-01")
    # (3 + 1) / (400 + 400) × 12 000 = 60, not the mean of 90 and 30
    assert (all_t.numerator, all_t.denominator) == (4, 800) and all_t.value == pytest.approx(60.0)
