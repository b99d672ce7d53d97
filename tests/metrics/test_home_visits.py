"""Home visit indicators: day type, elapsed time, medians, unassessed requests."""

import pytest

from tests.metrics.framebuilder import compute_one, frame, row

MED_DAY = "home_visit_median_hours_day"
MED_OFF = "home_visit_median_hours_offhours"
DAY_24 = "home_visit_within_24h_day"
OFF_8 = "home_visit_within_8h_offhours"


def data(visits):
    return {"home_visits": frame("home_visits", visits)}


def req(requested, assessed=None, **kw):
    return {"requested_time": requested, "assessed_time": assessed, **kw}


def period_row(t, period="2025-03", muni="1490"):
    return row(t, municipality_code=muni, sex="T", period=period)


@pytest.mark.parametrize(
    ("requested", "dagtid"),
    [
        ("2025-03-12 07:59", False),
        ("2025-03-12 08:00", True),
        ("2025-03-12 16:59", True),
        ("2025-03-12 17:00", False),
        ("2025-03-15 10:00", False),  # Saturday
        ("2025-04-21 10:00", False),  # annandag påsk (public holiday, Monday)
        ("2025-06-20 10:00", False),  # midsommarafton
    ],
)
def test_request_day_type_decides_the_indicator(requested, dagtid):
    month = requested[:7]
    t_day = compute_one(data([req(requested, None)]), DAY_24, end_date="2025-12-31")
    t_off = compute_one(data([req(requested, None)]), OFF_8, end_date="2025-12-31")
    # the one unassessed request lands in the denominator of exactly one of the two
    assert period_row(t_day, month).denominator == (1 if dagtid else 0)
    assert period_row(t_off, month).denominator == (0 if dagtid else 1)


def test_median_day_with_unassessed_beside_it():
    visits = [
        req("2025-03-10 09:00", "2025-03-10 10:00"),  # 1 h
        req("2025-03-10 09:00", "2025-03-10 11:00", team="VC"),  # 2 h (any team counts for the median)
        req("2025-03-11 09:00", "2025-03-11 12:00"),  # 3 h
        req("2025-03-11 09:00", "2025-03-11 19:00"),  # 10 h
        req("2025-03-12 09:00", None),  # unassessed
        req("2025-03-12 09:00", "2025-03-12 09:30", acute=False),  # not acute: ignored
        req("2025-03-12 20:00", "2025-03-12 20:30"),  # jourtid: not in the day median
    ]
    r = period_row(compute_one(data(visits), MED_DAY, end_date="2025-12-31"))
    # median of 1, 2, 3, 10 = (2 + 3) / 2 = 2.5 h; n = 4 assessed; 1 unassessed
    assert r.value == pytest.approx(2.5)
    assert r.denominator == 4 and r.n_unassessed == 1
    assert r.numerator != r.numerator  # a median has no numerator
    assert r.ci_low != r.ci_low  # n = 4 is too small for a 95 % order-statistic interval
    off = period_row(compute_one(data(visits), MED_OFF, end_date="2025-12-31"))
    assert (off.value, off.denominator, off.n_unassessed) == (0.5, 1, 0)


def test_median_ci_from_order_statistics():
    visits = [req("2025-03-10 09:00", f"2025-03-10 {9 + h:02d}:00") for h in range(1, 11)]  # 1 … 10 h
    r = period_row(compute_one(data(visits), MED_DAY, end_date="2025-12-31"))
    # n = 10: median 5.5, ranks 2 and 9 → 2 h and 9 h
    assert (r.value, r.ci_low, r.ci_high) == (5.5, 2.0, 9.0)


def test_all_median_is_over_pooled_events_not_a_median_of_medians():
    visits = [req("2025-03-10 09:00", f"2025-03-10 {9 + h:02d}:00") for h in (1, 2, 3)] + [
        req("2025-03-10 09:00", "2025-03-10 19:00", municipality_code="1463"),  # 10 h
        req("2025-03-10 09:00", "2025-03-11 05:00", municipality_code="1463"),  # 20 h
    ]
    t = compute_one(data(visits), MED_DAY, end_date="2025-12-31")
    # 1490: median 2; 1463: median 15; pooled 1, 2, 3, 10, 20 → 3 (the median of medians would be 8.5)
    assert period_row(t, muni="1490").value == 2
    assert period_row(t, muni="1463").value == 15
    assert period_row(t, muni="ALL").value == 3 and period_row(t, muni="ALL").denominator == 5


def test_within_24h_dagtid_palt_only_and_unassessed_in_denominator():
    visits = [
        req("2025-03-10 09:00", "2025-03-11 09:00"),  # PALT, exactly 24 h → yes
        req("2025-03-10 09:00", "2025-03-11 09:01"),  # PALT, 24 h 1 min → no
        req("2025-03-10 09:00", "2025-03-10 10:00", team="VC"),  # other team → no
        req("2025-03-10 09:00", None),  # unassessed → no, but in the denominator
    ]
    r = period_row(compute_one(data(visits), DAY_24, end_date="2025-12-31"))
    assert (r.numerator, r.denominator, r.n_unassessed) == (1, 4, 1)
    assert r.value == pytest.approx(25.0)


def test_within_8h_jourtid_palt_or_malt():
    visits = [
        req("2025-03-15 10:00", "2025-03-15 18:00"),  # Saturday, PALT, exactly 8 h → yes
        req("2025-03-15 10:00", "2025-03-15 12:00", team="MALT"),  # → yes
        req("2025-03-15 10:00", "2025-03-15 11:00", team="jour"),  # → no
        req("2025-03-12 20:00", "2025-03-13 04:01", team="MALT"),  # 8 h 1 min → no
    ]
    r = period_row(compute_one(data(visits), OFF_8, end_date="2025-12-31"))
    assert (r.numerator, r.denominator, r.n_unassessed) == (2, 4, 0)


def test_dst_night_waits_are_real_time():
    # spring forward: 01:30 → 03:30 is one hour, within 8 h either way; median = 1 h, not 2
    visits = [req("2025-03-30 01:30", "2025-03-30 03:30")]
    assert period_row(compute_one(data(visits), MED_OFF, end_date="2025-12-31")).value == pytest.approx(1.0)


def test_assessed_after_the_end_date_is_unassessed_as_of_it():
    visits = [req("2025-03-10 09:00", "2025-03-12 09:00")]
    r = period_row(compute_one(data(visits), DAY_24, end_date="2025-03-11"))
    assert (r.numerator, r.denominator, r.n_unassessed, r.status) == (0, 1, 1, "ofullstandig_period")


def test_n_unassessed_only_on_home_visit_indicators():
    stays = {
        "hospital_stays": frame(
            "hospital_stays", [dict(admission_time="2025-03-01 10:00", discharge_time="2025-03-02 10:00")]
        )
    }
    t = compute_one(stays, "readmission_30d_65", end_date="2025-12-31")
    assert t["n_unassessed"].isna().all()
