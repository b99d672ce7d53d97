"""Invariants on random data (hypothesis): numerator ≤ denominator, ALL = sums, irrelevant events change nothing."""

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics.compute import compute_all
from metrics.registry import INDICATORS
from tests.metrics.framebuilder import frame, population

MUNIS = ("1490", "1463")
START = dt.datetime(2025, 1, 1)
KEY = ["indicator_id", "sex", "period"]


def _ts(day: int, minute: int) -> str:
    return (START + dt.timedelta(days=day, minutes=minute)).strftime("%Y-%m-%d %H:%M")


def _date(day: int) -> str:
    return (START + dt.timedelta(days=day)).strftime("%Y-%m-%d")


persons = st.sampled_from([f"p{i}" for i in range(6)])
munis = st.sampled_from(MUNIS)
days = st.integers(0, 120)
minutes = st.integers(0, 24 * 60 - 1)

stay = st.builds(
    lambda p, m, d, mi, los, age, sex, typ, to, plan, call: dict(
        person_id=p,
        municipality_code=m,
        age=age,
        sex=sex,
        admission_type=typ,
        admission_time=_ts(d, mi),
        discharge_time=_ts(d + los, mi + 60),
        discharge_to=to,
        care_plan_complete=plan,
        followup_call_time=None if call is None else _ts(d + los, mi + 60 + call),
    ),
    persons,
    munis,
    days,
    minutes,
    st.integers(0, 6),
    st.sampled_from([64, 65, 74, 75, 80, 90]),
    st.sampled_from(["K", "M"]),
    st.sampled_from(["akut", "planerad"]),
    st.sampled_from(["hem", "sarskilt_boende", "korttid", "annat_sjukhus", "avliden", "annat"]),
    st.sampled_from([True, False, None]),
    st.one_of(st.none(), st.integers(0, 100 * 60)),
)
ed_visit = st.builds(
    lambda p, m, d, mi, age, sex, unit: dict(
        person_id=p, municipality_code=m, age=age, sex=sex, unit=unit, arrival_time=_ts(d, mi)
    ),
    persons,
    munis,
    days,
    minutes,
    st.sampled_from([79, 80, 85]),
    st.sampled_from(["K", "M"]),
    st.sampled_from(["akutmottagning", "akutmottagning", "MALT"]),
)
home_visit = st.builds(
    lambda p, m, d, mi, wait, team, acute: dict(
        person_id=p,
        municipality_code=m,
        requested_time=_ts(d, mi),
        assessed_time=None if wait is None else _ts(d, mi + wait),
        team=team,
        acute=acute,
    ),
    persons,
    munis,
    days,
    minutes,
    st.one_of(st.none(), st.integers(0, 40 * 60)),
    st.sampled_from(["PALT", "MALT", "VC"]),
    st.booleans(),
)
enrolment = st.builds(
    lambda p, m, d, length, sex: dict(
        person_id=p,
        municipality_code=m,
        sex=sex,
        start_date=_date(d),
        end_date=None if length is None else _date(d + length),
    ),
    persons,
    munis,
    days,
    st.one_of(st.none(), st.integers(0, 60)),
    st.sampled_from(["K", "M"]),
)
sip = st.builds(
    lambda p, m, d, f: dict(
        person_id=p, municipality_code=m, sip_date=_date(d), followup_date=None if f is None else _date(d + f)
    ),
    persons,
    munis,
    days,
    st.one_of(st.none(), st.integers(0, 120)),
)
cfs = st.builds(
    lambda p, m, d, s: dict(person_id=p, municipality_code=m, assessment_date=_date(d), cfs_score=s),
    persons,
    munis,
    days,
    st.integers(3, 7),
)
contact = st.builds(
    lambda p, m, d, mi, sex, c: dict(
        person_id=p, municipality_code=m, contact_time=_ts(d, mi), sex=sex, care_centre=c
    ),
    persons,
    munis,
    days,
    minutes,
    st.sampled_from(["K", "M", None]),
    st.sampled_from(["VC A", "VC B"]),
)


@st.composite
def datasets(draw):
    pop = []
    for m in MUNIS:
        for sex in ("K", "M"):
            pop += population(
                m, 2025, {"75-79": draw(st.integers(0, 50)), "80-84": draw(st.integers(0, 50))}, sex=sex
            )
    return {
        "hospital_stays": frame("hospital_stays", draw(st.lists(stay, min_size=1, max_size=25))),
        "ed_visits": frame("ed_visits", draw(st.lists(ed_visit, min_size=1, max_size=25))),
        "home_visits": frame("home_visits", draw(st.lists(home_visit, min_size=1, max_size=15))),
        "home_care_enrolments": frame(
            "home_care_enrolments", draw(st.lists(enrolment, min_size=1, max_size=10))
        ),
        "sip": frame("sip", draw(st.lists(sip, min_size=1, max_size=10))),
        "cfs_assessments": frame("cfs_assessments", draw(st.lists(cfs, min_size=1, max_size=10))),
        "primary_care_contacts": frame(
            "primary_care_contacts", draw(st.lists(contact, min_size=1, max_size=25))
        ),
        "population": frame("population", pop),
    }


SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@SETTINGS
@given(datasets(), st.sampled_from(["month", "quarter"]))
def test_invariants(frames, period):
    t = compute_all(frames, period=period, end_date=dt.date(2025, 6, 30))
    ok = t["status"] != "saknar_underlag"

    # numerator ≤ denominator, and 0 ≤ value ≤ 100, for every proportion; ci_low ≤ value ≤ ci_high
    prop = t["indicator_id"].map(lambda i: INDICATORS[i].value_kind == "proportion") & ok
    assert (t.loc[prop, "numerator"] <= t.loc[prop, "denominator"]).all()
    v = t.loc[prop & t["value"].notna()]
    assert ((v["value"] >= 0) & (v["value"] <= 100)).all()
    has = t["value"].notna() & t["ci_low"].notna()
    assert (t.loc[has, "ci_low"] <= t.loc[has, "value"] + 1e-9).all()
    assert (t.loc[has, "value"] <= t.loc[has, "ci_high"] + 1e-9).all()

    # ALL = the sum over the municipality rows with underlag
    munis = t[(t["municipality_code"] != "ALL") & ok]
    sums = munis.groupby(KEY)[["numerator", "denominator", "n_unassessed"]].sum(min_count=1)
    all_rows = t[(t["municipality_code"] == "ALL") & ok].set_index(KEY)
    joined = all_rows.join(sums.add_suffix("_sum"), how="left")
    for c in ("numerator", "denominator", "n_unassessed"):
        a, b = joined[c].to_numpy(), joined[f"{c}_sum"].to_numpy()
        assert np.allclose(np.nan_to_num(a), np.nan_to_num(b)), c
    # and an ALL row has underlag exactly when some municipality row has
    assert set(all_rows.index) == set(sums.index)

    # T = K + M where every source records sex
    exact = [
        "readmission_30d_65",
        "ed_visits_80_per_1000",
        "discharge_care_plan_75",
        "discharge_followup_72h_75",
        "acute_bed_days_75_per_1000",
        "sip_coverage_home_care",
    ]
    sexed = t[t["indicator_id"].isin(exact) & ok]
    wide = sexed.pivot_table(
        index=["indicator_id", "municipality_code", "period"],
        columns="sex",
        values=["numerator", "denominator"],
        aggfunc="sum",
    )
    for c in ("numerator", "denominator"):
        assert np.allclose(wide[(c, "T")], wide[(c, "K")] + wide[(c, "M")])


@SETTINGS
@given(datasets())
def test_an_event_that_qualifies_for_nothing_changes_nothing_nor_does_row_order(frames):
    before = compute_all(frames, period="month", end_date=dt.date(2025, 6, 30))
    stays = frames["hospital_stays"]
    first = stays.iloc[0]
    extra_stay = dict(
        person_id="nobody",
        municipality_code=first["municipality_code"],
        age=30,
        sex="K",
        admission_type="planerad",
        admission_time=str(first["admission_time"]),
        discharge_time=str(first["admission_time"]),
        discharge_to="annat",
    )
    ed = frames["ed_visits"]
    extra_visit = dict(
        person_id="nobody",
        municipality_code=ed.iloc[0]["municipality_code"],
        age=30,
        sex="K",
        unit="MALT",
        arrival_time=str(ed.iloc[0]["arrival_time"]),
    )
    after_frames = {
        **frames,
        "hospital_stays": pd.concat([stays, frame("hospital_stays", [extra_stay])], ignore_index=True),
        "ed_visits": pd.concat([ed, frame("ed_visits", [extra_visit])], ignore_index=True),
    }
    # ... and neither does the order of the rows (reversed, with a different index)
    after_frames = {k: v.iloc[::-1].set_axis(range(len(v), 0, -1)) for k, v in after_frames.items()}
    after = compute_all(after_frames, period="month", end_date=dt.date(2025, 6, 30))
    pd.testing.assert_frame_equal(before, after)
