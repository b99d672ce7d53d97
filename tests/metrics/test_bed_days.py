"""acute_bed_days_75_per_1000."""

import pytest

from tests.metrics.framebuilder import compute_one, frame, population, row

IND = "acute_bed_days_75_per_1000"
POP = population("1490", 2025, {"75-79": 600, "80-84": 300, "85-89": 80, "90+": 20})  # 75+ = 1000


def test_bed_days_rules():
    stays = [
        dict(age=75, admission_time="2025-01-10 08:00", discharge_time="2025-01-10 18:00"),  # same day → 1
        dict(age=80, admission_time="2025-01-10 23:00", discharge_time="2025-01-13 01:00"),  # 3 calendar days
        dict(age=74, admission_time="2025-01-10 08:00", discharge_time="2025-01-20 08:00"),  # too young
        dict(
            age=80,
            admission_type="planerad",
            admission_time="2025-01-02 08:00",
            discharge_time="2025-01-09 08:00",
        ),
        dict(
            age=80, admission_time="2024-12-28 08:00", discharge_time="2025-01-02 08:00"
        ),  # 5 days, all in Jan
        dict(
            age=80, admission_time="2025-01-30 08:00", discharge_time=None, discharge_to=None
        ),  # still admitted
        dict(
            age=80,
            admission_time="2025-01-30 08:00",
            discharge_time="2025-01-31 08:00",
            discharge_to="avliden",
        ),  # 1
    ]
    frames = {"hospital_stays": frame("hospital_stays", stays), "population": frame("population", POP)}
    t = compute_one(frames, IND, end_date="2025-01-31")
    r = row(t, municipality_code="1490", sex="T", period="2025-01")
    # 1 + 3 + 5 + 1 = 10 bed days / 1000 inhabitants 75+ × 1000 × 12 = 120 per 1 000 and year
    assert (r.numerator, r.denominator) == (10, 1000)
    assert r.value == pytest.approx(120.0)
    assert r.ci_low == pytest.approx(4.795389 * 12, rel=1e-4)  # Garwood(10) × 1000/1000 × 12
    # December 2024 (the first stay's admission opens the period range) has no population for 2024 or
    # earlier: saknar underlag, never 0
    dec = row(t, municipality_code="1490", sex="T", period="2024-12")
    assert dec.status == "saknar_underlag" and dec.value != dec.value
