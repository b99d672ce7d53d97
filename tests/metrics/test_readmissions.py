"""readmission_30d_65: hand-computed edge cases."""

import pytest

from tests.metrics.framebuilder import compute_one, frame, row

IND = "readmission_30d_65"
END = "2025-12-31"  # late enough that every 30-day window is complete


def stays(*rows):
    return {"hospital_stays": frame("hospital_stays", list(rows))}


def jan(table, muni="1490", sex="T"):
    return row(table, municipality_code=muni, sex=sex, period="2025-01")


INDEX = dict(person_id="a", admission_time="2025-01-05 10:00", discharge_time="2025-01-10 14:00", age=70)


@pytest.mark.parametrize(
    ("readmitted_on", "expected"),
    [
        # day 1 (Jan 11) and day 30 (Jan 10 + 30 = Feb 9) count; day 31 (Feb 10) does not
        ("2025-01-11 09:00", 1),
        ("2025-02-09 23:00", 1),
        ("2025-02-10 00:30", 0),
    ],
)
def test_readmission_day_1_30_31(readmitted_on, expected):
    second = dict(person_id="a", admission_time=readmitted_on, discharge_time="2025-03-01 10:00", age=70)
    t = compute_one(stays(INDEX, second), IND, end_date=END)
    r = jan(t)
    # January has one index stay (the second stay is discharged in March)
    assert (r.numerator, r.denominator) == (expected, 1)
    assert r.value == pytest.approx(100.0 * expected)


def test_admission_on_day_0_is_a_transfer_not_a_readmission():
    # Jan 10 14:00 discharge, new admission Jan 10 18:00: the first stay is not an index stay;
    # the chain ends with the second stay (discharged Jan 20), which is the index: 0 readmissions / 1
    second = dict(person_id="a", admission_time="2025-01-10 18:00", discharge_time="2025-01-20 10:00", age=70)
    t = compute_one(stays(INDEX, second), IND, end_date=END)
    assert (jan(t).numerator, jan(t).denominator) == (0, 1)


def test_transfer_chain_index_is_the_last_stay_and_counts_its_readmission():
    a = dict(
        person_id="a",
        admission_time="2025-01-01 08:00",
        discharge_time="2025-01-03 10:00",
        discharge_to="annat_sjukhus",
    )
    b = dict(
        person_id="a",
        admission_time="2025-01-03 12:00",
        discharge_time="2025-01-06 10:00",
        discharge_to="annat_sjukhus",
    )
    c = dict(
        person_id="a",
        admission_time="2025-01-06 11:00",
        discharge_time="2025-01-09 10:00",
        discharge_to="hem",
    )
    readm = dict(
        person_id="a", admission_time="2025-01-19 09:00", discharge_time="2025-02-02 10:00"
    )  # day 10 after c
    t = compute_one(stays(a, b, c, readm), IND, end_date=END)
    # a, b are transfers; c is the index (readmitted on day 10); readm is discharged in February
    assert (jan(t).numerator, jan(t).denominator) == (1, 1)
    feb = row(t, municipality_code="1490", sex="T", period="2025-02")
    assert (feb.numerator, feb.denominator) == (0, 1)


def test_chain_ending_in_death_has_no_index():
    a = dict(
        person_id="a",
        admission_time="2025-01-01 08:00",
        discharge_time="2025-01-03 10:00",
        discharge_to="annat_sjukhus",
    )
    b = dict(
        person_id="a",
        admission_time="2025-01-03 12:00",
        discharge_time="2025-01-06 10:00",
        discharge_to="avliden",
    )
    t = compute_one(stays(a, b), IND, end_date=END)
    r = jan(t)
    # 0 index stays: denominator 0 and value NaN (not 0 %), status ok
    assert (r.numerator, r.denominator, r.status) == (0, 0, "ok")
    assert r.value != r.value


def test_death_at_discharge_is_not_an_index_stay():
    t = compute_one(stays({**INDEX, "discharge_to": "avliden"}), IND, end_date=END)
    assert jan(t).denominator == 0


def test_chain_age_is_the_index_stays_age():
    # transferred at 64, the final stay is recorded at 65: index (age of the index stay)
    a = dict(
        person_id="a",
        age=64,
        admission_time="2025-01-01 08:00",
        discharge_time="2025-01-03 10:00",
        discharge_to="annat_sjukhus",
    )
    b = dict(person_id="a", age=65, admission_time="2025-01-03 12:00", discharge_time="2025-01-06 10:00")
    assert jan(compute_one(stays(a, b), IND, end_date=END)).denominator == 1
    # and the other way round: no index stay
    a2, b2 = {**a, "age": 65}, {**b, "age": 64}
    assert jan(compute_one(stays(a2, b2), IND, end_date=END)).denominator == 0


@pytest.mark.parametrize(("age", "den"), [(64, 0), (65, 1), (66, 1)])
def test_age_limit(age, den):
    t = compute_one(stays({**INDEX, "age": age}), IND, end_date=END)
    assert jan(t).denominator == den


def test_planned_readmission_does_not_count():
    planned = dict(
        person_id="a",
        admission_type="planerad",
        admission_time="2025-01-15 08:00",
        discharge_time="2025-01-16 10:00",
    )
    t = compute_one(stays(INDEX, planned), IND, end_date=END)
    # two index stays (index and the planned one, both discharged home in January), no akut readmission: 0/2
    assert (jan(t).numerator, jan(t).denominator) == (0, 2)


def test_readmission_across_a_month_boundary_counts_in_the_index_month():
    index = {**INDEX, "discharge_time": "2025-01-25 10:00"}
    readm = dict(person_id="a", admission_time="2025-02-05 09:00", discharge_time="2025-02-07 10:00")
    t = compute_one(stays(index, readm), IND, end_date=END)
    assert (jan(t).numerator, jan(t).denominator) == (1, 1)
    feb = row(t, municipality_code="1490", sex="T", period="2025-02")
    assert (feb.numerator, feb.denominator) == (0, 1)  # the readmission stay is itself an index stay


def test_readmission_across_a_year_boundary():
    index = dict(person_id="a", age=70, admission_time="2024-12-15 10:00", discharge_time="2024-12-20 10:00")
    readm = dict(person_id="a", age=70, admission_time="2025-01-10 09:00", discharge_time="2025-01-12 10:00")
    t = compute_one(stays(index, readm), IND, period="year", end_date=END)
    # Dec 20 → Jan 10 is 21 days: the 2024 index stay is readmitted
    r2024 = row(t, municipality_code="1490", sex="T", period="2024")
    assert (r2024.numerator, r2024.denominator) == (1, 1)
    r2025 = row(t, municipality_code="1490", sex="T", period="2025")
    assert (r2025.numerator, r2025.denominator) == (0, 1)


def test_several_readmissions_after_one_index_count_once():
    a = dict(person_id="a", admission_time="2025-01-01 08:00", discharge_time="2025-01-10 10:00")
    b = dict(person_id="a", admission_time="2025-01-12 08:00", discharge_time="2025-01-13 10:00")
    c = dict(person_id="a", admission_time="2025-01-20 08:00", discharge_time="2025-01-21 10:00")
    t = compute_one(stays(a, b, c), IND, end_date=END)
    # a: b (day 2) and c (day 10) → 1, not 2; b: c (day 7) → 1; c: none → 0.  2 / 3
    assert (jan(t).numerator, jan(t).denominator) == (2, 3)
    assert jan(t).value == pytest.approx(200 / 3)


def test_other_persons_admission_is_no_readmission_and_no_transfer():
    other = dict(person_id="b", admission_time="2025-01-10 18:00", discharge_time="2025-03-01 10:00")
    t = compute_one(stays(INDEX, other), IND, end_date=END)
    assert (jan(t).numerator, jan(t).denominator) == (0, 1)


def test_index_municipality_and_sex_count():
    index = {**INDEX, "municipality_code": "1490", "sex": "M"}
    readm = dict(
        person_id="a",
        sex="M",
        municipality_code="1463",
        admission_time="2025-01-15 09:00",
        discharge_time="2025-03-01 10:00",
    )
    t = compute_one(stays(index, readm), IND, end_date=END)
    assert (jan(t, "1490", "M").numerator, jan(t, "1490", "M").denominator) == (1, 1)
    assert jan(t, "1490", "K").denominator == 0
    assert jan(t, "1463").denominator == 0  # the readmission stay is discharged in March
    assert (jan(t, "ALL").numerator, jan(t, "ALL").denominator) == (1, 1)


def test_still_admitted_readmission_counts():
    readm = dict(person_id="a", admission_time="2025-01-20 09:00", discharge_time=None, discharge_to=None)
    t = compute_one(stays(INDEX, readm), IND, end_date=END)
    assert (jan(t).numerator, jan(t).denominator) == (1, 1)


@pytest.mark.parametrize(
    ("end", "status"),
    [
        ("2025-03-01", "ofullstandig_period"),  # Jan 31 + 30 = Mar 2 > Mar 1
        ("2025-03-02", "ok"),
    ],
)
def test_incomplete_until_30_days_after_period_end(end, status):
    t = compute_one(stays(INDEX), IND, end_date=end)
    assert jan(t).status == status


def test_readmission_after_the_end_date_is_not_yet_known():
    readm = dict(person_id="a", admission_time="2025-01-20 09:00", discharge_time="2025-01-22 10:00")
    t = compute_one(stays(INDEX, readm), IND, end_date="2025-01-15")
    # as of Jan 15 the readmission has not happened: 0 / 1, and the period is incomplete
    assert (jan(t).numerator, jan(t).denominator, jan(t).status) == (0, 1, "ofullstandig_period")


def test_same_day_stay_is_an_index_stay_and_not_its_own_transfer():
    day_case = dict(person_id="a", admission_time="2025-01-10 08:00", discharge_time="2025-01-10 15:00")
    t = compute_one(stays(day_case), IND, end_date=END)
    assert jan(t).denominator == 1


def test_two_stays_on_one_day_the_earlier_is_the_transfer():
    # 08:00–10:00 then 11:00–16:00 the same day: the first is a transfer (day 0), the second the index
    first = dict(person_id="a", admission_time="2025-01-10 08:00", discharge_time="2025-01-10 10:00")
    second = dict(person_id="a", admission_time="2025-01-10 11:00", discharge_time="2025-01-10 16:00")
    readm = dict(person_id="a", admission_time="2025-01-12 09:00", discharge_time="2025-02-01 10:00")
    t = compute_one(stays(first, second, readm), IND, end_date=END)
    # one index stay (the second), readmitted on day 2: 1/1 (not 2/2, and not 0/0)
    assert (jan(t).numerator, jan(t).denominator) == (1, 1)
