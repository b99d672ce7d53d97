"""frequent_attenders and by_care_centre."""

import datetime as dt

import pytest

from metrics.frequent_attenders import by_care_centre
from tests.metrics.framebuilder import compute_one, frame, row

IND = "frequent_attenders"
# January 2025: d = 2025-01-31; contacts window d−29 … d = Jan 2 … Jan 31; ED window 2024-02-02 … 2025-01-31


def data(contacts, visits):
    return {
        "primary_care_contacts": frame("primary_care_contacts", contacts),
        "ed_visits": frame("ed_visits", visits),
    }


def pcc(person, when, **kw):
    return {"person_id": person, "contact_time": when, **kw}


def ed(person, when, **kw):
    return {"person_id": person, "arrival_time": when, **kw}


# Background rows so that both tables have rows for 1490 and span January.
BACKGROUND_PCC = [pcc("bg", "2024-06-01 10:00"), pcc("bg", "2025-01-31 10:00")]
BACKGROUND_ED = [ed("bg", "2024-06-01 10:00"), ed("bg", "2025-01-31 10:00")]


def jan(t, muni="1490", sex="T"):
    return row(t, municipality_code=muni, sex=sex, period="2025-01")


@pytest.mark.parametrize(("first", "counted"), [("2025-01-02 08:00", 1), ("2025-01-01 23:59", 0)])
def test_three_contacts_in_30_days(first, counted):
    contacts = [pcc("a", first), pcc("a", "2025-01-15 10:00"), pcc("a", "2025-01-31 16:00")] + BACKGROUND_PCC
    r = jan(compute_one(data(contacts, BACKGROUND_ED), IND, end_date="2025-01-31"))
    # Jan 2 is d − 29 (inside), Jan 1 is d − 30 (outside)
    assert r.numerator == counted and r.value == counted
    assert r.denominator != r.denominator  # a count has no denominator


@pytest.mark.parametrize(("first", "counted"), [("2024-02-02 08:00", 1), ("2024-02-01 08:00", 0)])
def test_four_ed_visits_in_365_days(first, counted):
    visits = [
        ed("a", first),
        ed("a", "2024-08-01 10:00"),
        ed("a", "2024-12-01 10:00"),
        ed("a", "2025-01-20 10:00"),
    ]
    r = jan(compute_one(data(BACKGROUND_PCC, visits + BACKGROUND_ED), IND, end_date="2025-01-31"))
    assert r.numerator == counted


def test_malt_visits_are_not_ed_visits():
    visits = [ed("a", f"2024-{m:02d}-10 10:00") for m in (3, 5, 7)] + [
        ed("a", "2024-12-01 10:00", unit="MALT")
    ]
    assert (
        jan(compute_one(data(BACKGROUND_PCC, visits + BACKGROUND_ED), IND, end_date="2025-01-31")).numerator
        == 0
    )


def test_person_counted_once_in_the_municipality_of_the_latest_qualifying_event():
    contacts = [
        pcc("a", "2025-01-10 10:00", municipality_code="1463", sex="M"),
        pcc("a", "2025-01-11 10:00", municipality_code="1463", sex="M"),
        pcc("a", "2025-01-12 10:00", municipality_code="1463", sex="M"),
        pcc("bg2", "2025-01-12 10:00", municipality_code="1463"),
    ] + BACKGROUND_PCC
    visits = [
        ed("a", "2024-05-01 10:00", sex="M"),
        ed("a", "2024-07-01 10:00", sex="M"),
        ed("a", "2024-09-01 10:00", sex="M"),
        ed("a", "2025-01-20 10:00", municipality_code="1490", sex="M"),  # the latest qualifying event
        ed("bg3", "2024-05-01 10:00", municipality_code="1463"),
    ] + BACKGROUND_ED
    t = compute_one(data(contacts, visits), IND, end_date="2025-01-31")
    # qualifies both ways; the latest event (ED Jan 20) is in 1490
    assert (jan(t, "1490").numerator, jan(t, "1463").numerator, jan(t, "ALL").numerator) == (1, 0, 1)
    assert jan(t, "1490", "M").numerator == 1 and jan(t, "1490", "K").numerator == 0


def test_sex_unknown_counts_in_total_only():
    contacts = [pcc("a", f"2025-01-{d:02d} 10:00", sex=None) for d in (10, 11, 12)] + BACKGROUND_PCC
    t = compute_one(data(contacts, BACKGROUND_ED), IND, end_date="2025-01-31")
    assert (jan(t).numerator, jan(t, sex="K").numerator, jan(t, sex="M").numerator) == (1, 0, 0)


def test_sex_from_latest_qualifying_event_with_sex():
    contacts = [
        pcc("a", "2025-01-10 10:00", sex="M"),
        pcc("a", "2025-01-11 10:00", sex="M"),
        pcc("a", "2025-01-12 10:00", sex=None),
    ]
    t = compute_one(data(contacts + BACKGROUND_PCC, BACKGROUND_ED), IND, end_date="2025-01-31")
    assert jan(t, sex="M").numerator == 1


def test_missing_table_is_saknar_underlag():
    t = compute_one(
        {"primary_care_contacts": frame("primary_care_contacts", BACKGROUND_PCC)}, IND, end_date="2025-01-31"
    )
    assert set(t["status"]) == {"saknar_underlag"}


def test_poisson_ci_on_the_count():
    contacts = [pcc(p, f"2025-01-{d:02d} 10:00") for p in "abcdefghij" for d in (10, 11, 12)]
    r = jan(compute_one(data(contacts + BACKGROUND_PCC, BACKGROUND_ED), IND, end_date="2025-01-31"))
    # 10 persons: Garwood 4.795–18.39
    assert (
        r.value == 10
        and r.ci_low == pytest.approx(4.795, abs=1e-3)
        and r.ci_high == pytest.approx(18.39, abs=1e-2)
    )


def test_by_care_centre():
    contacts = [pcc("a", f"2025-01-{d:02d} 10:00", care_centre="VC Syd") for d in (10, 11, 12)]
    contacts += [pcc("b", f"2025-01-{d:02d} 10:00", care_centre="VC Norr") for d in (10, 11)]
    contacts += [pcc("b", "2025-01-13 10:00", care_centre="VC Syd")]  # b's latest contact is at VC Syd
    contacts += [pcc("c", "2024-03-01 10:00", care_centre="VC Norr")]
    visits = [ed("c", f"2024-{m:02d}-10 10:00") for m in (4, 6, 8, 10)]  # c: ED only; latest contact VC Norr
    visits += [ed("d", f"2024-{m:02d}-10 10:00") for m in (4, 6, 8, 10)]  # d: never a contact → okänd
    t = by_care_centre(
        data(contacts + BACKGROUND_PCC, visits + BACKGROUND_ED), period="month", end_date=dt.date(2025, 1, 31)
    )
    assert list(t.columns[:3]) == ["indicator_id", "municipality_code", "care_centre"]

    def n(centre, muni="1490"):
        return row(t, care_centre=centre, municipality_code=muni, sex="T", period="2025-01").numerator

    assert (n("VC Syd"), n("VC Norr"), n("okänd")) == (2, 1, 1)
    assert n("VC Syd", "ALL") == 2
    # the per-municipality total agrees with compute_all
    total = jan(
        compute_one(data(contacts + BACKGROUND_PCC, visits + BACKGROUND_ED), IND, end_date="2025-01-31")
    )
    assert total.numerator == 4


def test_by_care_centre_without_ed_visits_is_saknar_underlag():
    data_ = {"primary_care_contacts": frame("primary_care_contacts", BACKGROUND_PCC)}
    t = by_care_centre(data_, period="month", end_date=dt.date(2025, 1, 31))
    assert set(t["care_centre"]) == {"VC Norr"}
    assert len(t) > 0 and set(t["status"]) == {"saknar_underlag"}


@pytest.mark.parametrize("reverse", [False, True])
def test_same_timestamp_tie_goes_to_the_highest_id_whatever_the_row_order(reverse):
    contacts = [
        pcc("a", "2025-01-10 10:00", contact_id="c1", municipality_code="1490"),
        pcc("a", "2025-01-11 10:00", contact_id="c2", municipality_code="1490"),
        pcc("a", "2025-01-12 10:00", contact_id="c3", municipality_code="1490"),
        pcc("a", "2025-01-12 10:00", contact_id="c4", municipality_code="1463"),  # same minute, higher id
        pcc("bg2", "2024-06-01 10:00", municipality_code="1463"),
    ]
    visits = BACKGROUND_ED + [ed("bg2", "2024-06-01 10:00", municipality_code="1463")]
    rows_ = (contacts + BACKGROUND_PCC)[:: -1 if reverse else 1]
    t = compute_one(data(rows_, visits), IND, end_date="2025-01-31")
    assert (jan(t, "1463").numerator, jan(t, "1490").numerator) == (1, 0)
