"""discharge_care_plan_75 and discharge_followup_72h_75."""

import pytest

from tests.metrics.framebuilder import compute_one, frame, row

PLAN = "discharge_care_plan_75"
CALL = "discharge_followup_72h_75"


def jan(t, muni="1490", sex="T"):
    return row(t, municipality_code=muni, sex=sex, period="2025-01")


def stay(**kw):
    return {"admission_time": "2025-01-05 10:00", "discharge_time": "2025-01-10 12:00", **kw}


def test_care_plan_ages_destinations_and_unrecorded():
    stays = [
        stay(age=75, care_plan_complete=True),
        stay(age=74, care_plan_complete=True),  # too young
        stay(age=80, discharge_to="sarskilt_boende", care_plan_complete=False),
        stay(age=80, discharge_to="korttid", care_plan_complete=True),
        stay(age=80, discharge_to="annat_sjukhus", care_plan_complete=True),  # destination not included
        stay(age=80, discharge_to="avliden", care_plan_complete=True),
        stay(age=80, care_plan_complete=None),  # not recorded: not in the denominator
    ]
    r = jan(compute_one({"hospital_stays": frame("hospital_stays", stays)}, PLAN, end_date="2025-12-31"))
    # denominator: 75/hem, 80/sarskilt_boende, 80/korttid = 3; numerator 2 → 66.7 %
    assert (r.numerator, r.denominator) == (2, 3)
    assert r.value == pytest.approx(200 / 3)


def test_care_plan_never_recorded_is_saknar_underlag():
    stays = [stay(age=80), stay(age=80, municipality_code="1463", care_plan_complete=True)]
    t = compute_one({"hospital_stays": frame("hospital_stays", stays)}, PLAN, end_date="2025-12-31")
    assert jan(t).status == "saknar_underlag"
    assert (jan(t, "1463").numerator, jan(t, "1463").denominator, jan(t, "1463").status) == (1, 1, "ok")


def test_followup_within_72_hours():
    calls = {
        "2025-01-13 12:00": 1,  # exactly 72 h → yes
        "2025-01-13 12:01": 0,  # 72 h 1 min → no
        "2025-01-10 11:00": 0,  # before the discharge → no
        None: 0,
    }
    stays = [stay(age=80, followup_call_time=c) for c in calls]
    stays += [stay(age=80, discharge_to="sarskilt_boende", followup_call_time="2025-01-11 10:00")]  # not hem
    stays += [stay(age=74, followup_call_time="2025-01-11 10:00")]  # too young
    r = jan(compute_one({"hospital_stays": frame("hospital_stays", stays)}, CALL, end_date="2025-12-31"))
    assert (r.numerator, r.denominator) == (1, 4)


def test_followup_across_the_autumn_clock_change_is_real_time():
    # discharged 2025-10-23 03:00 (CEST); call 2025-10-26 02:30 (ambiguous → first, CEST): 71.5 h → yes
    # call 2025-10-26 03:00 (CET) is 73 h real time although 72 h on the wall clock → no
    stays = [
        stay(
            age=80,
            admission_time="2025-10-20 10:00",
            discharge_time="2025-10-23 03:00",
            followup_call_time="2025-10-26 02:30",
        ),
        stay(
            age=80,
            admission_time="2025-10-20 10:00",
            discharge_time="2025-10-23 03:00",
            followup_call_time="2025-10-26 03:00",
        ),
    ]
    t = compute_one({"hospital_stays": frame("hospital_stays", stays)}, CALL, end_date="2025-12-31")
    r = row(t, municipality_code="1490", sex="T", period="2025-10")
    assert (r.numerator, r.denominator) == (1, 2)


@pytest.mark.parametrize(("end", "status"), [("2025-02-02", "ofullstandig_period"), ("2025-02-03", "ok")])
def test_followup_period_incomplete_until_three_days_after(end, status):
    stays = [stay(age=80, followup_call_time="2025-01-11 10:00")]
    assert (
        jan(compute_one({"hospital_stays": frame("hospital_stays", stays)}, CALL, end_date=end)).status
        == status
    )


def test_sex_rows_sum_to_total():
    stays = [stay(age=80, sex="K", care_plan_complete=True), stay(age=80, sex="M", care_plan_complete=False)]
    t = compute_one({"hospital_stays": frame("hospital_stays", stays)}, PLAN, end_date="2025-12-31")
    assert (jan(t, sex="K").numerator, jan(t, sex="K").denominator) == (1, 1)
    assert (jan(t, sex="M").numerator, jan(t, sex="M").denominator) == (0, 1)
    assert (jan(t).numerator, jan(t).denominator) == (1, 2)
