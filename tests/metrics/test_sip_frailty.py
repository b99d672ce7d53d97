"""sip_coverage_home_care, sip_followup_90d, cfs56_with_sip."""

import pytest

from tests.metrics.framebuilder import compute_one, frame, row

# Reference day of January 2025: d = 2025-01-31.  d − 364 = 2024-02-02, d − 365 = 2024-02-01.


def jan(t, muni="1490", sex="T"):
    return row(t, municipality_code=muni, sex=sex, period="2025-01")


# ------------------------------------------------------------------ coverage

COV = "sip_coverage_home_care"


def coverage(enrolments, sips):
    return {"home_care_enrolments": frame("home_care_enrolments", enrolments), "sip": frame("sip", sips)}


@pytest.mark.parametrize(("sip_date", "counted"), [("2024-02-02", 1), ("2024-02-01", 0), ("2025-01-31", 1)])
def test_sip_exactly_364_and_365_days_before_d(sip_date, counted):
    data = coverage([dict(person_id="a", start_date="2024-01-01")], [dict(person_id="a", sip_date=sip_date)])
    r = jan(compute_one(data, COV, end_date="2025-01-31"))
    assert (r.numerator, r.denominator) == (counted, 1)


def test_sip_after_d_does_not_count_for_january():
    # (person z's SIP makes the SIP table span January: a period before a table's first date has no underlag)
    sips = [dict(person_id="a", sip_date="2025-02-01"), dict(person_id="z", sip_date="2024-06-01")]
    data = coverage([dict(person_id="a", start_date="2024-01-01")], sips)
    t = compute_one(data, COV, end_date="2025-02-28")
    assert (jan(t).numerator, jan(t).denominator) == (0, 1)
    feb = row(t, municipality_code="1490", sex="T", period="2025-02")
    assert (feb.numerator, feb.denominator) == (1, 1)


@pytest.mark.parametrize(
    ("start", "end", "enrolled"),
    [
        ("2024-06-01", "2025-01-31", 1),  # enrolment ending on d counts
        ("2024-06-01", "2025-01-30", 0),  # ended the day before
        ("2025-01-31", None, 1),  # starting on d counts
        ("2024-06-01", None, 1),  # open-ended
    ],
)
def test_enrolled_on_d(start, end, enrolled):
    data = coverage(
        [dict(person_id="a", start_date=start, end_date=end), dict(person_id="z", start_date="2025-02-01")],
        [dict(person_id="a", sip_date="2024-12-01")],
    )
    r = jan(compute_one(data, COV, end_date="2025-02-28"))
    assert (r.numerator, r.denominator) == (enrolled, enrolled)


def test_person_counted_once_in_latest_enrolment_and_sip_from_any_municipality():
    enrolments = [
        dict(person_id="a", municipality_code="1463", sex="M", start_date="2024-01-01"),
        dict(person_id="a", municipality_code="1490", sex="M", start_date="2024-09-01"),
        dict(person_id="b", municipality_code="1490", sex="K", start_date="2024-09-01"),
    ]
    # (z's SIP gives 1490 rows in the SIP table; a municipality without any SIP rows has no underlag)
    sips = [
        dict(person_id="a", municipality_code="1463", sip_date="2024-10-01"),
        dict(person_id="z", municipality_code="1490", sip_date="2024-10-01"),
    ]
    t = compute_one(coverage(enrolments, sips), COV, end_date="2025-01-31")
    # a: latest enrolment in 1490 (SIP registered by 1463 still counts); b: no SIP → 1490 = 1/2, 1463 = 0/0
    assert (jan(t).numerator, jan(t).denominator) == (1, 2)
    assert (jan(t, sex="M").numerator, jan(t, sex="M").denominator) == (1, 1)
    assert (jan(t, sex="K").numerator, jan(t, sex="K").denominator) == (0, 1)
    assert (jan(t, "1463").numerator, jan(t, "1463").denominator) == (0, 0)
    assert jan(t).value == pytest.approx(50.0)


def test_incomplete_period_uses_the_end_date_as_reference_day():
    # end date 2025-01-15: d = Jan 15; enrolment ending Jan 20 counts, one ending Jan 10 does not
    enrolments = [
        dict(person_id="a", start_date="2024-01-01", end_date="2025-01-20"),
        dict(person_id="b", start_date="2024-01-01", end_date="2025-01-10"),
    ]
    t = compute_one(
        coverage(enrolments, [dict(person_id="b", sip_date="2024-05-01")]), COV, end_date="2025-01-15"
    )
    r = jan(t)
    assert (r.numerator, r.denominator, r.status) == (0, 1, "ofullstandig_period")


# ------------------------------------------------------------------ follow-up

FUP = "sip_followup_90d"


@pytest.mark.parametrize(
    ("followup", "counted"),
    [("2025-04-10", 1), ("2025-04-11", 0), (None, 0), ("2025-01-10", 1)],  # Jan 10 + 90 days = Apr 10
)
def test_followup_within_90_days(followup, counted):
    sips = [
        dict(sip_date="2025-01-10", followup_date=followup),
        dict(sip_date="2025-01-12", followup_date="2025-01-20"),
    ]
    r = jan(compute_one({"sip": frame("sip", sips)}, FUP, end_date="2025-12-31"))
    # the second SIP is always followed up: (counted + 1) / 2
    assert (r.numerator, r.denominator) == (counted + 1, 2)


def test_sip_whose_90th_day_has_not_passed_is_not_counted():
    sips = [dict(sip_date="2025-01-10", followup_date="2025-02-01"), dict(sip_date="2025-01-20")]
    t = compute_one({"sip": frame("sip", sips)}, FUP, end_date="2025-04-15")
    r = jan(t)
    # Jan 10 + 90 = Apr 10 ≤ Apr 15: counted; Jan 20 + 90 = Apr 20 > Apr 15: not yet.  1/1, and January
    # is incomplete until Jan 31 + 90 = May 1
    assert (r.numerator, r.denominator, r.status) == (1, 1, "ofullstandig_period")
    assert jan(compute_one({"sip": frame("sip", sips)}, FUP, end_date="2025-05-01")).status == "ok"


def test_followup_never_recorded_is_saknar_underlag():
    sips = [
        dict(sip_date="2025-01-10"),
        dict(sip_date="2025-01-11", municipality_code="1463", followup_date="2025-02-01"),
    ]
    t = compute_one({"sip": frame("sip", sips)}, FUP, end_date="2025-12-31")
    assert jan(t).status == "saknar_underlag"
    assert (jan(t, "1463").numerator, jan(t, "1463").denominator) == (1, 1)
    # ALL: only the municipality with underlag, and a note says so
    all_r = jan(t, "ALL")
    assert (all_r.numerator, all_r.denominator) == (1, 1)
    assert all_r.note == "Summan omfattar 1 av 2 kommuner; övriga saknar underlag."


# ------------------------------------------------------------------ CFS

CFS = "cfs56_with_sip"


def cfs_data(assessments, sips):
    return {"cfs_assessments": frame("cfs_assessments", assessments), "sip": frame("sip", sips)}


def test_latest_cfs_supersedes_an_older_5_or_6():
    assessments = [
        dict(person_id="a", assessment_date="2024-06-01", cfs_score=5),
        dict(person_id="a", assessment_date="2024-12-01", cfs_score=3),  # a: latest 3 → out
        dict(person_id="b", assessment_date="2024-06-01", cfs_score=3),
        dict(person_id="b", assessment_date="2024-12-01", cfs_score=6),  # b: latest 6 → in
        dict(person_id="c", assessment_date="2024-06-01", cfs_score=6),
        dict(person_id="c", assessment_date="2025-01-10", cfs_score=7),  # c: latest 7 → out
        dict(person_id="d", assessment_date="2024-02-01", cfs_score=5),  # d: 365 days before d → out
        dict(person_id="e", assessment_date="2024-02-02", cfs_score=5),  # e: 364 days before d → in
    ]
    sips = [dict(person_id="b", sip_date="2024-03-01"), dict(person_id="a", sip_date="2024-12-01")]
    r = jan(compute_one(cfs_data(assessments, sips), CFS, end_date="2025-01-31"))
    # denominator b, e; numerator b (SIP 2024-03-01 is within 2024-02-02 … 2025-01-31)
    assert (r.numerator, r.denominator) == (1, 2)


def test_same_day_assessments_take_the_highest_id():
    assessments = [
        dict(assessment_id="x1", person_id="a", assessment_date="2025-01-10", cfs_score=5),
        dict(assessment_id="x2", person_id="a", assessment_date="2025-01-10", cfs_score=4),
    ]
    r = jan(
        compute_one(
            cfs_data(assessments, [dict(person_id="zz", sip_date="2025-01-01")]), CFS, end_date="2025-01-31"
        )
    )
    assert r.denominator == 0


def test_cfs_municipality_is_the_latest_assessments():
    assessments = [
        dict(person_id="a", municipality_code="1463", assessment_date="2024-06-01", cfs_score=5),
        dict(person_id="a", municipality_code="1490", assessment_date="2024-12-01", cfs_score=5),
    ]
    sips = [
        dict(person_id="a", sip_date="2024-12-01"),
        dict(person_id="z", municipality_code="1463", sip_date="2024-12-01"),
    ]
    t = compute_one(cfs_data(assessments, sips), CFS, end_date="2025-01-31")
    assert (jan(t).numerator, jan(t).denominator) == (1, 1)
    assert jan(t, "1463").status == "ok" and jan(t, "1463").denominator == 0


def test_municipality_without_rows_in_a_source_table_is_saknar_underlag():
    assessments = [dict(person_id="a", municipality_code="1463", assessment_date="2024-12-01", cfs_score=5)]
    sips = [dict(person_id="a", municipality_code="1490", sip_date="2024-12-01")]
    t = compute_one(cfs_data(assessments, sips), CFS, end_date="2025-01-31")
    # 1463 has CFS rows but no SIP rows, 1490 the reverse: neither has underlag, nor has ALL
    assert {jan(t, m).status for m in ("1463", "1490", "ALL")} == {"saknar_underlag"}


def test_cfs_without_sip_table_is_saknar_underlag():
    data = {"cfs_assessments": frame("cfs_assessments", [dict(assessment_date="2025-01-10")])}
    t = compute_one(data, CFS, end_date="2025-01-31")
    assert set(t["status"]) == {"saknar_underlag"}
