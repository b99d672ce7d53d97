"""The worklist (arbetslista) of the Målgrupper cohorts: hand-computed rows for day d.

d = 2025-01-31: the window of the period cohorts is d−29 … d = 2025-01-02 … 2025-01-31;
d−89 = 2024-11-03 (ED visits not admitted), d−364 = 2024-02-02 (ED visits).
A discharge or end of short-term stay x counts once x+14 ≤ d, i.e. x ≤ 2025-01-17.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from metrics.compute import compute_all
from metrics.worklist import (
    CHANGE_LEFT,
    CHANGE_NEW,
    CHANGE_STAYED,
    COLUMN_LABELS_SV,
    WORKLIST_COLUMNS,
    in_cohort,
    month_before,
    worklist,
    worklist_changes,
)
from tests.metrics.framebuilder import frame, population

D = dt.date(2025, 1, 31)


def pcc(p, when, by=None, **kw):
    return {"person_id": p, "contact_time": when, "birth_year": by, **kw}


def ed(p, when, **kw):
    return {"person_id": p, "arrival_time": when, **kw}


def sample() -> dict:
    contacts = [
        # a: contacts Jan 10, 12, 15 → a frequent attender from Jan 15 (until Jan 10 + 29 = Feb 8)
        pcc("a", "2025-01-10 10:00", 1950, sex="M", care_centre="VC Syd"),
        pcc("a", "2025-01-12 10:00", 1950, sex="M", care_centre="VC Syd"),
        pcc("a", "2025-01-15 10:00", 1950, sex="M", care_centre="VC Norr"),
        pcc("a", "2025-02-03 10:00", 1950, sex="M", care_centre="VC Öst"),  # after d: not known on d
        # f: a frequent attender, but enrolled on d
        *[pcc("f", f"2025-01-{x} 10:00", 1940) for x in (10, 11, 12)],
        # g: a frequent attender of unknown birth year
        *[pcc("g", f"2025-01-{x} 10:00", None) for x in (10, 11, 12)],
    ]
    visits = [
        ed("a", "2024-05-01 10:00", age=74, admitted=True, sex="M"),
        ed("a", "2024-11-15 10:00", age=74, admitted=False, sex="M"),
        ed("a", "2024-12-01 10:00", age=74, admitted=False, sex="M", unit="MALT"),
        # b: not admitted on Jan 5 and brought by ambulance (two cohorts), 1463
        ed(
            "b", "2025-01-05 10:00", age=80, admitted=False, arrival_mode="ambulans", municipality_code="1463"
        ),
        # c: not admitted on Jan 1 = d−30: outside the window
        ed("c", "2025-01-01 10:00", age=80, admitted=False),
        # h: 74 by birth year (2025 − 74 = 1951)
        ed("h", "2025-01-20 10:00", age=74, admitted=False),
    ]
    stays = [
        dict(person_id="a", age=74, admission_time="2024-05-01 14:00", discharge_time="2024-05-05 12:00",
             discharge_to="hem", care_plan_complete=False),
        # d1: home Jan 10 with a complete plan, not enrolled → listed; d2: home Jan 20 (Jan 20 + 14 > d) → not yet
        dict(person_id="d1", age=82, admission_time="2025-01-05 10:00", discharge_time="2025-01-10 12:00",
             discharge_to="hem", care_plan_complete=True),
        dict(person_id="d2", age=82, admission_time="2025-01-15 10:00", discharge_time="2025-01-20 12:00",
             discharge_to="hem", care_plan_complete=True),
    ]  # fmt: skip
    short = [dict(person_id="e", birth_year=1945, sex="K", start_date="2024-12-20", end_date="2025-01-05",
                  discharge_to="hem")]  # fmt: skip
    enrolments = [
        dict(person_id="b", birth_year=1945, sex="K", start_date="2024-01-01"),
        dict(person_id="f", birth_year=1940, sex="K", start_date="2024-01-01"),
        dict(person_id="a", birth_year=1950, sex="M", start_date="2025-02-10"),  # after d
    ]
    cfs = [
        dict(person_id="a", birth_year=1950, assessment_date="2024-06-01", cfs_score=4),
        dict(person_id="a", birth_year=1950, assessment_date="2024-09-01", cfs_score=6),
    ]
    sips = [dict(person_id="a", sip_date="2023-03-01"), dict(person_id="e", sip_date="2025-01-20")]
    pop = population("1490", 2025, {"75-79": 500, "80-84": 500}) + population("1463", 2025, {"75-79": 500})
    return {
        "primary_care_contacts": frame("primary_care_contacts", contacts),
        "ed_visits": frame("ed_visits", visits),
        "hospital_stays": frame("hospital_stays", stays),
        "short_term_stays": frame("short_term_stays", short),
        "home_care_enrolments": frame("home_care_enrolments", enrolments),
        "cfs_assessments": frame("cfs_assessments", cfs),
        "sip": frame("sip", sips),
        "population": frame("population", pop),
    }


@pytest.fixture(scope="module")
def wl() -> pd.DataFrame:
    return worklist(sample(), day=D)


def by_person(table: pd.DataFrame) -> pd.DataFrame:
    return table.set_index("person_id")


def test_who_is_listed(wl):
    # a (frequent attender), b (ED not admitted + ambulance), d1 (SAMSA), e (short-term care).
    # Not: c (d−30), d2 (14 days not passed), f (enrolled on d), g (unknown birth year), h (74).
    assert sorted(wl["person_id"]) == ["a", "b", "d1", "e"]
    assert list(wl.columns) == list(WORKLIST_COLUMNS)
    assert set(WORKLIST_COLUMNS) <= set(COLUMN_LABELS_SV)
    # sorted by municipality, then person
    assert wl["person_id"].tolist() == ["b", "a", "d1", "e"]


def test_cohorts_in_registry_order(wl):
    c = by_person(wl)["cohorts"]
    assert c["a"] == "mal_mangsokare_ej_inskrivna"
    assert c["b"] == "mal_akut_ej_inlagd,mal_akuta_insatser_hemma"
    assert c["d1"] == "mal_samsa_ej_inskrivna"
    assert c["e"] == "mal_korttid_ej_inskrivna"
    assert in_cohort(wl, "mal_akuta_insatser_hemma").tolist() == [True, False, False, False]


def test_the_columns_of_a_frequent_attender(wl):
    a = by_person(wl).loc["a"]
    assert a["age"] == 75  # 2025 − 1950
    assert a["sex"] == "M" and a["municipality_code"] == "1490"
    assert a["care_centre"] == "VC Norr"  # the latest contact up to d (Jan 15); Feb 3 is after d
    assert a["pcc_contacts_30d"] == 3  # Jan 10, 12, 15
    assert a["ed_visits_365d"] == 2  # akutmottagning 2024-05-01 and 2024-11-15 (the MALT visit is not one)
    assert a["ed_not_admitted_90d"] == 1  # 2024-11-15 ≥ d−89 = 2024-11-03
    assert a["latest_discharge_date"] == pd.Timestamp("2024-05-05")
    assert (a["latest_cfs_score"], a["latest_cfs_date"]) == (6, pd.Timestamp("2024-09-01"))
    assert a["latest_sip_date"] == pd.Timestamp("2023-03-01")
    assert not a["enrolled"]  # the enrolment of 2025-02-10 starts after d
    assert a["mangsokare_entry_date"] == pd.Timestamp("2025-01-15")  # the third contact


def test_the_columns_of_the_other_cohorts(wl):
    t = by_person(wl)
    b = t.loc["b"]
    assert (b["age"], b["sex"], b["municipality_code"], b["enrolled"]) == (80, "K", "1463", True)
    assert pd.isna(b["care_centre"]) and b["pcc_contacts_30d"] == 0
    assert (b["ed_visits_365d"], b["ed_not_admitted_90d"]) == (1, 1)
    assert pd.isna(b["mangsokare_entry_date"]) and pd.isna(b["latest_cfs_score"])
    d1 = t.loc["d1"]
    assert (d1["age"], d1["latest_discharge_date"]) == (82, pd.Timestamp("2025-01-10"))  # 2025 − (2025 − 82)
    e = t.loc["e"]
    assert (e["age"], e["sex"], e["latest_sip_date"]) == (80, "K", pd.Timestamp("2025-01-20"))


def test_dtypes(wl):
    assert str(wl["person_id"].dtype) == "str" and str(wl["age"].dtype) == "Int64"
    assert wl["enrolled"].dtype == bool and wl["pcc_contacts_30d"].dtype == "int64"
    assert wl["latest_cfs_date"].dtype == "datetime64[us]" and str(wl["latest_cfs_score"].dtype) == "Int64"


def test_data_after_d_is_not_known():
    # On Jan 14 a has only two contacts (Jan 10, 12): not a frequent attender yet.
    earlier = worklist(sample(), day=dt.date(2025, 1, 14))
    assert "a" not in set(earlier["person_id"])
    # On Feb 3 (window Jan 5 … Feb 3) b is still listed, and d2 (Jan 20 + 14 = Feb 3) now is.
    later = by_person(worklist(sample(), day=dt.date(2025, 2, 3)))
    assert {"b", "d2"} <= set(later.index)
    assert later.loc["a", "care_centre"] == "VC Öst" and later.loc["a", "pcc_contacts_30d"] == 4


def test_enrolment_ending_the_day_before_d_versus_on_d():
    for end, listed in (("2025-01-30", True), ("2025-01-31", False)):
        frames = sample()
        enr = frames["home_care_enrolments"]
        enr.loc[enr["person_id"] == "f", "end_date"] = pd.Timestamp(end)
        assert ("f" in set(worklist(frames, day=D)["person_id"])) is listed, end


def test_the_frequent_attenders_match_the_indicator():
    frames = sample()
    t = compute_all(frames, period="month", end_date=D, indicators=["mal_mangsokare_ej_inskrivna"])
    r = t[(t["municipality_code"] == "ALL") & (t["sex"] == "T") & (t["period"] == "2025-01")].iloc[0]
    wl = worklist(frames, day=D)
    assert r.numerator == in_cohort(wl, "mal_mangsokare_ej_inskrivna").sum() == 1
    assert r.n_unassessed == 1  # g, who is not listed


def test_missing_tables_give_fewer_cohorts_and_empty_input_an_empty_list():
    frames = sample()
    del frames["home_care_enrolments"]
    only = worklist(frames, day=D)
    # frequent attenders, SAMSA and short-term care need the enrolments; b's two ED cohorts remain
    assert sorted(only["person_id"]) == ["b"]
    empty = worklist({}, day=D)
    assert list(empty.columns) == list(WORKLIST_COLUMNS) and len(empty) == 0


def test_row_order_does_not_matter(wl):
    shuffled = {k: v.iloc[::-1].reset_index(drop=True) for k, v in sample().items()}
    pd.testing.assert_frame_equal(worklist(shuffled, day=D), wl)


# ------------------------------------------------------------------ changes since last month


@pytest.mark.parametrize(
    ("day", "before"),
    [
        (dt.date(2026, 3, 31), dt.date(2026, 2, 28)),
        (dt.date(2024, 3, 30), dt.date(2024, 2, 29)),
        (dt.date(2025, 1, 15), dt.date(2024, 12, 15)),
    ],
)
def test_month_before(day, before):
    assert month_before(day) == before


def test_worklist_changes_marks_new_kept_and_left():
    cur = pd.DataFrame({"person_id": ["a", "b", "c"], "cohorts": ["x", "y", "z"]})
    prev = pd.DataFrame({"person_id": ["b", "d"], "cohorts": ["y", "w"]})
    out = worklist_changes(cur, prev)
    assert out["person_id"].tolist() == ["a", "b", "c", "d"]
    assert out["change"].tolist() == [CHANGE_NEW, CHANGE_STAYED, CHANGE_NEW, CHANGE_LEFT]
    assert out.loc[3, "cohorts"] == "w"  # the leaver keeps its previous values
    assert (CHANGE_NEW, CHANGE_STAYED, CHANGE_LEFT) == ("ny sedan förra månaden", "kvar", "lämnat listan")


def test_worklist_changes_over_a_month():
    frames = sample()
    extra = frame(
        "ed_visits",
        [
            ed("k", "2024-12-20 10:00", age=80, admitted=False),  # listed on Dec 31 only (Jan 31: from Jan 2)
            ed("s", "2024-12-20 10:00", age=80, admitted=False),
            ed("s", "2025-01-20 10:00", age=80, admitted=False),  # listed both times
        ],
    )
    frames["ed_visits"] = pd.concat([frames["ed_visits"], extra], ignore_index=True)
    cur = worklist(frames, day=D)
    prev = worklist(frames, day=month_before(D))  # 2024-12-31: window Dec 2 … Dec 31
    out = worklist_changes(cur, prev).set_index("person_id")["change"]
    assert out["k"] == CHANGE_LEFT and out["s"] == CHANGE_STAYED and out["b"] == CHANGE_NEW
    assert np.isin(out.to_numpy(), [CHANGE_NEW, CHANGE_STAYED, CHANGE_LEFT]).all()
