"""The worklist query (``person_queries.worklist_for``) on SQLite and PostgreSQL: scope, tampered filters,
status against the month before, and the access log.

A hand-made store of six persons (all born 1940, so 86 on the day) whose
lists are worked out below by hand from the definitions (docs/methods.md):

========  ======  =====================================  =========================  ========================
person    lives   events                                 2026-09-30 (month before)  2026-10-31 (the day)
========  ======  =====================================  =========================  ========================
P0000001  Borås   3 contacts Sandared 20, 25, 30 Oct     –                          frequent attender
P0000002  Mark    3 contacts Kinna 10, 20, 28 Sep        frequent attender (Kinna)  – (no contact in window)
P0000003  Borås   1 contact Kinna Jan; ED not admitted   ED not admitted (Kinna)    ED not admitted (Kinna)
                  20 Sep and 15 Oct
P0000004  Mark    3 contacts Sandared 5, 12, 19 Oct      –                          frequent attender
P0000005  Borås   3 contacts Sandared in Oct, enrolled   – (enrolled)               – (enrolled)
P0000006  Borås   3 contacts Kinna in Sep, 3 Sandared    frequent attender (Kinna)  frequent attender
                  in Oct                                                            (Sandared)
========  ======  =====================================  =========================  ========================
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from data_access import person_queries as pq
from data_access import users
from data_access.access import NOBODY, PUBLIC_VIEWER, SYSTEM, AccessDenied, access_for
from data_access.importer import import_paths
from tests.conftest import ROOT

DAY = dt.date(2026, 10, 31)
SANDARED, KINNA = "Vårdcentralen Sandared", "Närhälsan Kinna"
NEW, STAYED, LEFT = "ny sedan förra månaden", "kvar", "lämnat listan"

VC = access_for("vc", [("vardcentral", SANDARED)])
KINNA_VC = access_for("kinna", [("vardcentral", KINNA), ("ledningsgrupp", "1463")])
HSL = access_for("hsl", [("kommun_hsl", "1490")])
AKUT = access_for("akut", [("akutmottagning", None)])

EXPECTED = {  # viewer → pseudonym → status, by hand from the table in the module docstring
    "akut": {"P0000001": NEW, "P0000002": LEFT, "P0000003": STAYED, "P0000004": NEW, "P0000006": STAYED},
    "vc": {"P0000001": NEW, "P0000004": NEW, "P0000006": NEW},  # P6 moved here from Kinna
    "hsl": {"P0000001": NEW, "P0000003": STAYED, "P0000006": STAYED},
    "kinna": {"P0000002": LEFT, "P0000003": STAYED, "P0000006": LEFT},  # P6 left Kinna's list
}
VIEWERS = {"akut": AKUT, "vc": VC, "hsl": HSL, "kinna": KINNA_VC}


def _write(folder, name: str, rows: list[dict]) -> None:
    pd.DataFrame(rows).to_csv(folder / f"{name}.csv", index=False)


def _contacts(person: str, muni: str, centre: str, days: list[str]) -> list[dict]:
    return [
        {"contact_id": f"K{person}{i}", "person_id": person, "municipality_code": muni, "care_centre": centre,
         "contact_time": f"{d} 10:00", "contact_type": "besok", "birth_year": 1940, "sex": "K"}
        for i, d in enumerate(days)
    ]


@pytest.fixture
def hand_store(store, tmp_path):
    contacts = [
        *_contacts("P0000001", "1490", SANDARED, ["2026-10-20", "2026-10-25", "2026-10-30"]),
        *_contacts("P0000002", "1463", KINNA, ["2026-09-10", "2026-09-20", "2026-09-28"]),
        *_contacts("P0000003", "1490", KINNA, ["2026-01-10"]),
        *_contacts("P0000004", "1463", SANDARED, ["2026-10-05", "2026-10-12", "2026-10-19"]),
        *_contacts("P0000005", "1490", SANDARED, ["2026-10-05", "2026-10-12", "2026-10-19"]),
        *_contacts("P0000006", "1490", KINNA, ["2026-09-10", "2026-09-20", "2026-09-28"]),
    ]
    contacts += [{**c, "contact_id": c["contact_id"] + "b"} for c in
                 _contacts("P0000006", "1490", SANDARED, ["2026-10-10", "2026-10-20", "2026-10-30"])]
    _write(tmp_path, "primary_care_contacts", contacts)
    _write(tmp_path, "ed_visits", [
        {"visit_id": f"A{i}", "person_id": "P0000003", "municipality_code": "1490", "age": 86, "sex": "K",
         "arrival_time": t, "unit": "akutmottagning", "arrival_mode": "egen", "admitted": 0}
        for i, t in enumerate(["2026-09-20 14:00", "2026-10-15 14:00"])
    ])
    _write(tmp_path, "home_care_enrolments", [
        {"enrolment_id": "I1", "person_id": "P0000005", "municipality_code": "1490", "birth_year": 1940,
         "sex": "K", "start_date": "2020-01-01", "end_date": ""},
    ])
    assert import_paths([tmp_path], engine=store).ok
    return store


def statuses(rows: pd.DataFrame) -> dict[str, str]:
    return dict(zip(rows["person_id"], rows["change"], strict=True))


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_viewer_gets_exactly_its_scope_with_status(hand_store, name):
    rows = pq.worklist_for(access=VIEWERS[name], day=DAY, engine=hand_store)
    assert statuses(rows) == EXPECTED[name]


def test_columns_and_values_of_a_listed_person(hand_store):
    rows = pq.worklist_for(access=VC, day=DAY, engine=hand_store).set_index("person_id")
    p1 = rows.loc["P0000001"]
    assert (p1["age"], p1["sex"], p1["municipality_code"], p1["care_centre"]) == (86, "K", "1490", SANDARED)
    assert (p1["pcc_contacts_30d"], p1["enrolled"], p1["cohorts"]) == (3, False, "mal_mangsokare_ej_inskrivna")
    assert p1["mangsokare_entry_date"] == pd.Timestamp("2026-10-30")  # the third contact in 30 days
    # a person who left carries the values of the month before
    left = pq.worklist_for(access=KINNA_VC, day=DAY, engine=hand_store).set_index("person_id").loc["P0000006"]
    assert (left["care_centre"], left["mangsokare_entry_date"]) == (KINNA, pd.Timestamp("2026-09-28"))


def test_filters_only_narrow_and_tampered_ones_select_nothing(hand_store):
    def ids(access, **kw):
        return set(pq.worklist_for(access=access, day=DAY, engine=hand_store, **kw)["person_id"])

    assert ids(HSL, municipalities=["1463"]) == set()  # another municipality
    assert ids(HSL, municipalities=["1490", "1463", "ALL"]) == {"P0000001", "P0000003", "P0000006"}
    assert ids(HSL, care_centres=[SANDARED]) == {"P0000001", "P0000006"}  # Borås residents seen at Sandared
    assert ids(HSL, care_centres=[KINNA]) == {"P0000003"}  # P2 (Mark) stays out
    assert ids(VC, care_centres=[KINNA]) == set()  # another care centre
    assert ids(VC, care_centres=[SANDARED, KINNA]) == {"P0000001", "P0000004", "P0000006"}
    assert ids(VC, municipalities=["1463"]) == {"P0000004"}  # a legitimate narrowing
    assert ids(VC, cohorts=["mal_akut_ej_inlagd"]) == set()
    assert ids(AKUT, cohorts=["mal_akut_ej_inlagd"]) == {"P0000003"}
    assert ids(AKUT, cohorts=["no_such_cohort", "1' OR '1'='1"]) == set()
    assert ids(AKUT, municipalities=["1490' OR '1'='1"]) == set()
    # options: only the municipalities and care centres of the viewer's own lists
    assert pq.worklist_filter_options(access=HSL, day=DAY, engine=hand_store) == {
        "municipalities": ["1490"], "care_centres": [KINNA, SANDARED]}
    assert pq.worklist_filter_options(access=VC, day=DAY, engine=hand_store) == {
        "municipalities": ["1463", "1490"], "care_centres": [SANDARED]}


def test_views_and_exports_are_logged_without_persons(hand_store):
    rows = pq.worklist_for(access=HSL, day=DAY, municipalities=["1490"], engine=hand_store)
    pq.record_worklist_export(access=HSL, day=DAY, rows=len(rows), municipalities=["1490"], file_format="xlsx",
                              engine=hand_store)
    log = users.read_access_log(hand_store, access=SYSTEM, username="hsl")
    assert list(log["action"]) == ["export", "visning"]  # newest first
    assert list(log["what"]) == ["arbetslista", "arbetslista"]
    assert list(log["rows"]) == [3, 3]
    assert log.iloc[1]["detail"] == "dag 2026-10-31; kommun: 1490"
    assert log.iloc[0]["detail"] == "dag 2026-10-31; kommun: 1490; xlsx"
    assert not re.search(r"P\d{7}", " ".join(log["detail"]))
    # a tampered view is logged with what was asked and the zero rows it got
    pq.worklist_for(access=HSL, day=DAY, municipalities=["1463"], engine=hand_store)
    newest = users.read_access_log(hand_store, access=SYSTEM, username="hsl").iloc[0]
    assert (newest["rows"], newest["detail"]) == (0, "dag 2026-10-31; kommun: 1463")


@pytest.mark.parametrize(
    "viewer",
    [PUBLIC_VIEWER, NOBODY, access_for("p", [("politiker", None)]), access_for("l", [("ledningsgrupp", "1490")]),
     access_for("pl", [("processledare", "1490")]), access_for("a", [("admin", None)]), None, "admin"],
)
def test_other_viewers_get_nothing_and_nothing_is_logged(hand_store, viewer):
    for call in (
        lambda: pq.worklist_for(access=viewer, day=DAY, engine=hand_store),
        lambda: pq.worklist_filter_options(access=viewer, day=DAY, engine=hand_store),
        lambda: pq.record_worklist_export(access=viewer, day=DAY, rows=1, engine=hand_store),
        lambda: pq.worklist_latest_day(access=viewer, engine=hand_store),
    ):
        with pytest.raises(AccessDenied):
            call()
    assert users.read_access_log(hand_store, access=SYSTEM).empty


def test_latest_day_and_an_earlier_day(hand_store):
    assert pq.worklist_latest_day(access=HSL, engine=hand_store) == dt.date(2026, 10, 30)
    # on 2026-09-30 (against 2026-08-31, when nobody was listed) everyone listed is new
    rows = pq.worklist_for(access=AKUT, day=dt.date(2026, 9, 30), engine=hand_store)
    assert statuses(rows) == {"P0000002": NEW, "P0000003": NEW, "P0000006": NEW}


def test_a_new_import_is_seen_at_once(hand_store, tmp_path):
    """The cached computation and latest day are keyed by the latest import: new rows show on the next view."""
    assert "P0000007" not in set(pq.worklist_for(access=AKUT, day=DAY, engine=hand_store)["person_id"])
    assert pq.worklist_latest_day(access=AKUT, engine=hand_store) == dt.date(2026, 10, 30)
    folder = tmp_path / "more"
    folder.mkdir()
    _write(folder, "primary_care_contacts",
           _contacts("P0000007", "1490", SANDARED, ["2026-10-05", "2026-10-06", "2026-10-07", "2026-11-02"]))
    assert import_paths([folder], engine=hand_store).ok
    assert statuses(pq.worklist_for(access=VC, day=DAY, engine=hand_store))["P0000007"] == NEW
    assert pq.worklist_latest_day(access=AKUT, engine=hand_store) == dt.date(2026, 11, 2)


def test_whole_area_equals_metrics_on_the_sample_data(store):
    """Loading only the candidates' rows gives exactly what metrics computes from every row."""
    from data_access.files import read_directory
    from metrics.worklist import month_before, worklist, worklist_changes

    folder = ROOT / "sample_data" / "default"
    assert import_paths([folder], engine=store).ok
    frames = read_directory(folder)
    expected = worklist_changes(worklist(frames, day=DAY), worklist(frames, day=month_before(DAY)))
    got = pq.worklist_for(access=AKUT, day=DAY, engine=store)
    assert len(got) > 1000
    pd.testing.assert_frame_equal(got, expected)
    # a care centre's and a municipality's list: the same rows, filtered by hand
    vc = pq.worklist_for(access=VC, day=DAY, engine=store)
    now, before = worklist(frames, day=DAY), worklist(frames, day=month_before(DAY))
    mine_now = set(now.loc[now["care_centre"] == SANDARED, "person_id"])
    mine_before = set(before.loc[before["care_centre"] == SANDARED, "person_id"])
    assert set(vc["person_id"]) == mine_now | mine_before
    assert set(vc.loc[vc["change"] == LEFT, "person_id"]) == mine_before - mine_now
    hsl = pq.worklist_for(access=HSL, day=DAY, engine=store)
    assert set(hsl["municipality_code"]) == {"1490"}
    assert set(hsl.loc[hsl["change"] != LEFT, "person_id"]) == set(now.loc[now["municipality_code"] == "1490",
                                                                          "person_id"])
