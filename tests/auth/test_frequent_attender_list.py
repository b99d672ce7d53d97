"""metrics.frequent_attender_list: the persons behind the frequent_attenders counts, one day at a time."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from metrics.frequent_attender_list import COLUMNS, frequent_attender_persons
from tests.metrics.framebuilder import frame

DAY = dt.date(2025, 1, 31)  # contacts window Jan 2 … Jan 31; ED window 2024-02-02 … 2025-01-31


def pcc(person, when, **kw):
    return {"person_id": person, "contact_time": when, **kw}


def ed(person, when, **kw):
    return {"person_id": person, "arrival_time": when, **kw}


def persons(contacts=(), visits=(), day=DAY) -> pd.DataFrame:
    frames = {"primary_care_contacts": frame("primary_care_contacts", list(contacts)),
              "ed_visits": frame("ed_visits", list(visits))}
    return frequent_attender_persons(frames, day=day).set_index("person_id")


@pytest.mark.parametrize(("first", "listed"), [("2025-01-02 08:00", True), ("2025-01-01 23:59", False)])
def test_three_contacts_in_30_days(first, listed):
    out = persons([pcc("a", first), pcc("a", "2025-01-15 10:00"), pcc("a", "2025-01-31 23:59")])
    assert ("a" in out.index) == listed
    if listed:
        assert out.loc["a", "contacts_30d"] == 3 and out.loc["a", "criterion"] == "vårdkontakter"


@pytest.mark.parametrize(("first", "listed"), [("2024-02-02 00:00", True), ("2024-02-01 23:59", False)])
def test_four_ed_visits_in_365_days_at_the_ed_only(first, listed):
    visits = [ed("a", first), ed("a", "2024-06-01 10:00"), ed("a", "2024-09-01 10:00"), ed("a", "2025-01-31 10:00"),
              ed("a", "2025-01-20 10:00", unit="närakut")]
    out = persons(visits=visits)
    assert ("a" in out.index) == listed
    if listed:
        assert out.loc["a", "ed_visits_365d"] == 4 and out.loc["a", "criterion"] == "akutbesök"
        assert out.loc["a", "care_centre"] == "okänd"  # no primary care contact at all


def test_events_after_the_day_do_not_count():
    out = persons([pcc("a", "2025-01-30 10:00"), pcc("a", "2025-01-31 10:00"), pcc("a", "2025-02-01 00:00")])
    assert out.empty and list(out.reset_index().columns) == list(COLUMNS)


def test_placement_follows_the_latest_qualifying_event():
    contacts = [pcc("a", f"2025-01-{d:02d} 10:00", municipality_code="1463", care_centre="VC Mark") for d in (5, 6, 7)]
    contacts.append(pcc("a", "2024-12-01 10:00", municipality_code="1490", care_centre="VC Gammal"))
    visits = [ed("a", f"2024-{m:02d}-10 10:00", municipality_code="1491") for m in (3, 5, 7)]
    visits.append(ed("a", "2025-01-20 10:00", municipality_code="1491"))
    out = persons(contacts, visits)
    # both criteria: the later of the latest contact (Jan 7) and the latest ED visit (Jan 20)
    assert out.loc["a", ["municipality_code", "care_centre", "criterion"]].tolist() == ["1491", "VC Mark", "båda"]


def test_same_time_goes_to_the_contact_and_the_care_centre_is_the_latest_contact():
    contacts = [pcc("a", "2025-01-10 10:00", care_centre="VC A", municipality_code="1463"),
                pcc("a", "2025-01-12 10:00", care_centre="VC A", municipality_code="1463"),
                pcc("a", "2025-01-20 10:00", care_centre="VC B", municipality_code="1463")]
    visits = [ed("a", t, municipality_code="1490") for t in ("2024-05-01 10:00", "2024-08-01 10:00",
                                                             "2024-11-01 10:00", "2025-01-20 10:00")]
    out = persons(contacts, visits)
    assert out.loc["a", ["municipality_code", "care_centre"]].tolist() == ["1463", "VC B"]


def test_agrees_with_the_counts_of_metrics_on_the_sample_data():
    from data_access.files import read_directory
    from metrics.frequent_attenders import by_care_centre
    from tests.conftest import ROOT

    frames = read_directory(ROOT / "sample_data" / "default")
    frames = {k: frames[k] for k in ("primary_care_contacts", "ed_visits", "population")}
    counts = by_care_centre(frames, period="month")
    counts = counts[(counts["sex"] == "T") & (counts["municipality_code"] != "ALL")]
    for period in ("2024-12", "2025-06", "2026-10"):
        rows = counts[counts["period"] == period]
        day = pd.Timestamp(rows["period_end"].iloc[0]).date()
        listed = frequent_attender_persons(frames, day=day)
        expected = rows.groupby(["care_centre", "municipality_code"])["numerator"].sum()
        got = listed.groupby(["care_centre", "municipality_code"]).size()
        assert expected[expected > 0].astype(int).sort_index().equals(got.sort_index()), period
        assert listed["person_id"].is_unique
