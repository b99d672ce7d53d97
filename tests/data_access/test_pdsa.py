"""Improvement areas, PDSA cycles and SPC phases on SQLite and PostgreSQL: CRUD, scope, locking, audit, phases."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pandas as pd
import pytest
from sqlalchemy import func, select

from data_access import pdsa
from data_access.access import PUBLIC_VIEWER, SYSTEM, AccessDenied, access_for
from data_access.pdsa import ConflictError, NotFound, ValidationError
from data_access.pdsa_models import PdsaAudit
from metrics.registry import INDICATORS
from metrics.series import indicator_spc

ANNA = access_for("anna", [("processledare", "1490")])  # Borås, writes
BO = access_for("bo", [("ledningsgrupp", "1490")])  # Borås, writes
CIA = access_for("cia", [("ledningsgrupp", "1463")])  # Mark
POLITIKER = access_for("per", [("politiker", None)])  # every municipality, no PDSA
ADMIN = access_for("ada", [("admin", None)])

READM = "readmission_30d_65"
SIP = "sip_coverage_home_care"


def area(engine, access=ANNA, **values):
    values = {"municipality_code": "1490", "title": "Trygg hemgång", "indicator_ids": [READM], **values}
    return pdsa.create_area(access=access, values=values, engine=engine)


def cycle(engine, area_id, access=ANNA, **values):
    values = {"title": "Uppföljningssamtal inom 72 h", **values}
    return pdsa.create_cycle(access=access, area_id=area_id, values=values, engine=engine)


def audit_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(PdsaAudit)).scalar_one()


# --------------------------------------------------------------------------- CRUD


def test_areas_and_cycles_round_trip(store):
    a = area(store, description="Färre återinskrivningar efter utskrivning", owner="Processledare Borås")
    assert a["version"] == 1 and a["status"] == "planerad" and a["indicator_ids"] == [READM]
    assert a["created_by"] == "anna" and a["deleted_at"] is None

    full = {
        "aim": "Färre oplanerade återinskrivningar 65+",
        "measures": "Andel återinskrivna inom 30 dagar",
        "change_idea": "Sjuksköterska ringer alla utskrivna 75+ inom 72 timmar",
        "questions": "Hinner vi ringa alla?",
        "predictions": "9 av 10 nås inom 72 h",
        "plan_who": "Hemsjukvårdens sjuksköterskor",
        "plan_what": "Samtal enligt checklista",
        "plan_when": "Vardagar",
        "plan_where": "Hemsjukvården Borås",
        "start_date": "2025-03-01",
        "end_date": dt.date(2025, 4, 30),
        "do_observations": "Helger var svåra",
        "study": "8 av 10 nåddes",
        "indicator_ids": [SIP, READM],
        "status": "pågår",
    }
    c1 = cycle(store, a["id"], **full)
    c2 = cycle(store, a["id"], title="Samtal även helger")
    assert (c1["cycle_number"], c2["cycle_number"]) == (1, 2)
    assert c1["start_date"] == dt.date(2025, 3, 1) and c1["end_date"] == dt.date(2025, 4, 30)
    assert c1["indicator_ids"] == [READM, SIP]  # registry order
    assert c2["indicator_ids"] == [] and c2["linked_indicator_ids"] == [READM]  # the area's
    assert c1["municipality_code"] == "1490" and c1["area_title"] == "Trygg hemgång"

    linked = pdsa.update_cycle(
        access=BO, cycle_id=c1["id"], expected_version=1, values={"next_cycle_id": c2["id"]}, engine=store
    )
    assert linked["next_cycle_id"] == c2["id"] and linked["version"] == 2 and linked["updated_by"] == "bo"
    assert pdsa.get_cycle(access=ANNA, cycle_id=c1["id"], engine=store) == linked

    areas = pdsa.list_areas(access=ANNA, engine=store)
    assert list(areas.columns) == pdsa.AREA_COLUMNS
    assert areas[["title", "n_cycles", "n_open_cycles"]].values.tolist() == [["Trygg hemgång", 2, 2]]
    cycles = pdsa.list_cycles(access=ANNA, area_id=a["id"], engine=store)
    assert list(cycles.columns) == pdsa.CYCLE_COLUMNS
    assert cycles["cycle_number"].tolist() == [1, 2]
    assert pdsa.list_cycles(access=ANNA, statuses=["pågår"], engine=store)["id"].tolist() == [c1["id"]]
    assert pdsa.list_cycles(access=ANNA, indicator_id=SIP, engine=store)["id"].tolist() == [c1["id"]]

    renamed = pdsa.update_area(
        access=ANNA,
        area_id=a["id"],
        expected_version=1,
        values={"title": "Trygg hemgång 75+", "status": "pågår"},
        engine=store,
    )
    assert renamed["title"] == "Trygg hemgång 75+" and renamed["version"] == 2
    same = pdsa.update_area(
        access=ANNA, area_id=a["id"], expected_version=2, values={"status": "pågår"}, engine=store
    )
    assert same["version"] == 2  # nothing changed, nothing written
    assert pdsa.list_cycles(access=ANNA, engine=store)["area_title"].unique().tolist() == [
        "Trygg hemgång 75+"
    ]


def test_act_without_a_date_is_dated_and_clearing_it_clears_the_date(store):
    a = area(store)
    c = cycle(store, a["id"], start_date="2025-03-01", end_date="2025-03-31", status="pågår")
    c = pdsa.update_cycle(
        access=ANNA, cycle_id=c["id"], expected_version=1, values={"act": "adapt"}, engine=store
    )
    assert c["act"] == "adapt" and c["act_date"] == dt.date(2025, 3, 31)
    c = pdsa.update_cycle(access=ANNA, cycle_id=c["id"], expected_version=2, values={"act": ""}, engine=store)
    assert c["act"] is None and c["act_date"] is None


# --------------------------------------------------------------------------- scope and permissions


def test_viewers_see_and_change_only_their_municipalities(store):
    a = area(store)
    c = cycle(store, a["id"])
    mark = area(store, access=CIA, municipality_code="1463", title="Läkemedelsgenomgång")
    assert pdsa.list_areas(access=ANNA, engine=store)["id"].tolist() == [a["id"]]
    assert pdsa.list_areas(access=CIA, engine=store)["id"].tolist() == [mark["id"]]
    assert sorted(pdsa.list_areas(access=SYSTEM, engine=store)["id"]) == sorted([a["id"], mark["id"]])
    assert pdsa.list_cycles(access=CIA, engine=store).empty
    assert pdsa.list_areas(access=ANNA, municipalities=["1463"], engine=store).empty

    with pytest.raises(AccessDenied) as denied:
        pdsa.get_cycle(access=CIA, cycle_id=c["id"], engine=store)
    assert "cia" not in str(denied.value) and "1490" in str(denied.value)  # no user name: messages reach the logs
    with pytest.raises(AccessDenied):
        pdsa.update_cycle(
            access=CIA, cycle_id=c["id"], expected_version=1, values={"title": "x"}, engine=store
        )
    with pytest.raises(AccessDenied):
        area(store, access=CIA)  # in Borås
    with pytest.raises(AccessDenied):
        cycle(store, a["id"], access=CIA)
    with pytest.raises(AccessDenied):
        pdsa.delete_area(access=CIA, area_id=a["id"], expected_version=1, engine=store)
    assert pdsa.get_cycle(access=ANNA, cycle_id=c["id"], engine=store)["version"] == 1


@pytest.mark.parametrize(
    "viewer", [POLITIKER, ADMIN, PUBLIC_VIEWER, None], ids=["politiker", "admin", "public", "none"]
)
def test_reading_and_writing_need_the_pdsa_permissions(store, viewer):
    a = area(store)
    if viewer is ADMIN:  # administrators read everything (the audit trail) but write nothing
        assert [r["id"] for r in pdsa.list_areas(access=viewer, engine=store).to_dict("records")] == [a["id"]]
    else:
        with pytest.raises(AccessDenied):
            pdsa.list_areas(access=viewer, engine=store)
        with pytest.raises(AccessDenied):
            pdsa.list_cycles(access=viewer, engine=store)
    with pytest.raises(AccessDenied):
        pdsa.create_area(access=viewer, values={"municipality_code": "1490", "title": "x"}, engine=store)
    with pytest.raises(AccessDenied):
        pdsa.create_cycle(access=viewer, area_id=a["id"], values={"title": "x"}, engine=store)
    with pytest.raises(AccessDenied):
        pdsa.add_phase(
            access=viewer, municipality_code="1490", indicator_id=READM, start_date="2025-01-01", engine=store
        )


# --------------------------------------------------------------------------- optimistic locking


def test_second_save_gets_a_conflict_with_both_versions_and_nothing_is_lost(store):
    a = area(store)
    c = cycle(store, a["id"], aim="Färre återinskrivningar", start_date="2025-03-01", status="pågår")
    opened_by_anna = pdsa.get_cycle(access=ANNA, cycle_id=c["id"], engine=store)
    opened_by_bo = pdsa.get_cycle(access=BO, cycle_id=c["id"], engine=store)

    pdsa.update_cycle(
        access=ANNA, cycle_id=c["id"], expected_version=opened_by_anna["version"],
        values={"aim": "Högst 12 % återinskrivna", "plan_who": "Team Norr"}, engine=store,
    )  # fmt: skip
    before = audit_count(store)
    bo_values = {
        "aim": "Inga återinskrivningar inom 7 dagar",
        "study": "Fungerade väl",
        "plan_who": "Team Norr",
    }
    with pytest.raises(ConflictError) as caught:
        pdsa.update_cycle(
            access=BO,
            cycle_id=c["id"],
            expected_version=opened_by_bo["version"],
            values=bo_values,
            engine=store,
        )
    err = caught.value
    assert err.current["aim"] == "Högst 12 % återinskrivna" and err.current["version"] == 2
    assert err.current["updated_by"] == "anna"
    assert err.yours == bo_values  # the unsaved values, all of them
    assert err.changed_fields == ["aim", "plan_who"]  # what anna changed since bo opened it
    assert err.differing == ["aim", "study"]  # where bo's values differ from the stored ones
    assert not err.deleted
    message = str(err)
    assert "har ändrats av någon annan" in message and "inte sparats" in message and "Mål, Studera" in message
    assert not re.search(r"\b(anna|bo)\b", message)  # no user names: messages reach the logs
    assert audit_count(store) == before  # nothing written
    assert pdsa.get_cycle(access=BO, cycle_id=c["id"], engine=store)["study"] is None

    saved = pdsa.update_cycle(
        access=BO, cycle_id=c["id"], expected_version=err.current["version"], values=err.yours, engine=store
    )
    assert saved["aim"] == bo_values["aim"] and saved["study"] == "Fungerade väl" and saved["version"] == 3


def test_a_save_between_read_and_write_is_a_conflict(store):
    """The UPDATE itself is conditional on the version: a row changed after the read is never overwritten."""
    a = area(store)
    c = cycle(store, a["id"])
    stale = pdsa.get_cycle(access=ANNA, cycle_id=c["id"], engine=store)
    pdsa.update_cycle(access=BO, cycle_id=c["id"], expected_version=1, values={"aim": "Bo"}, engine=store)
    with store.begin() as conn, pytest.raises(ConflictError) as caught:
        pdsa._write(conn, "cycle", stale, {"aim": "Anna"}, expected_version=1, who="anna")
    assert caught.value.current["aim"] == "Bo" and caught.value.yours == {"aim": "Anna"}
    assert pdsa.get_cycle(access=ANNA, cycle_id=c["id"], engine=store)["aim"] == "Bo"


def test_concurrent_saves_of_one_version_exactly_one_wins(store):
    a = area(store)
    c = cycle(store, a["id"])
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def save(k: int) -> None:
        barrier.wait()
        try:
            pdsa.update_cycle(
                access=ANNA, cycle_id=c["id"], expected_version=1, values={"aim": f"mål {k}"}, engine=store
            )
            outcomes.append("saved")
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=save, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * 5 + ["saved"]
    final = pdsa.get_cycle(access=ANNA, cycle_id=c["id"], engine=store)
    assert final["version"] == 2
    trail = pdsa.audit_trail(access=SYSTEM, entity="cycle", entity_id=c["id"], engine=store)
    assert trail[trail["action"] == "update"]["new_value"].tolist() == [final["aim"]]


# --------------------------------------------------------------------------- soft delete and audit


def test_soft_delete_hides_keeps_and_audits(store):
    a = area(store)
    c1 = cycle(store, a["id"], start_date="2025-03-01", status="pågår")
    c2 = cycle(store, a["id"])
    pdsa.add_phase(
        access=ANNA,
        municipality_code="1490",
        indicator_id=READM,
        start_date="2025-04-01",
        cycle_id=c1["id"],
        engine=store,
    )

    gone = pdsa.delete_cycle(access=ANNA, cycle_id=c1["id"], expected_version=1, engine=store)
    assert gone["deleted_at"] is not None and gone["version"] == 2
    assert pdsa.list_cycles(access=ANNA, engine=store)["id"].tolist() == [c2["id"]]
    assert pdsa.list_cycles(access=ANNA, include_deleted=True, engine=store)["id"].tolist() == [
        c1["id"],
        c2["id"],
    ]
    with pytest.raises(NotFound, match="Cykeln finns inte"):
        pdsa.get_cycle(access=ANNA, cycle_id=c1["id"], engine=store)
    assert pdsa.phases_for(access=ANNA, municipality_code="1490", indicator_id=READM, engine=store) == []
    assert pdsa.annotations_for(access=ANNA, municipality_code="1490", indicator_id=READM, engine=store) == []

    with pytest.raises(ConflictError) as caught:  # someone still had it open
        pdsa.update_cycle(access=BO, cycle_id=c1["id"], expected_version=1, values={"aim": "x"}, engine=store)
    assert caught.value.deleted and "tagits bort av någon annan" in str(caught.value)
    assert not re.search(r"\banna\b", str(caught.value)) and caught.value.current["updated_by"] == "anna"
    assert caught.value.yours == {"aim": "x"}

    c3 = cycle(store, a["id"])
    assert c3["cycle_number"] == 3  # numbers are never reused

    pdsa.delete_area(access=ANNA, area_id=a["id"], expected_version=1, engine=store)
    assert pdsa.list_areas(access=ANNA, engine=store).empty
    assert pdsa.list_cycles(access=ANNA, engine=store).empty
    with pytest.raises(NotFound):
        cycle(store, a["id"])

    trail = pdsa.audit_trail(access=ADMIN, engine=store)
    deletions = trail[trail["action"] == "delete"]
    assert sorted(zip(deletions["entity"], deletions["entity_id"], strict=True)) == sorted(
        [("cycle", c1["id"]), ("phase", 1), ("area", a["id"]), ("cycle", c2["id"]), ("cycle", c3["id"])]
    )
    assert set(deletions["field"]) == {"deleted_at"} and set(deletions["changed_by"]) == {"anna"}


def test_audit_trail_has_every_changed_field_and_is_for_administrators(store):
    a = area(store)
    c = cycle(store, a["id"], aim="A")
    t0 = dt.datetime.now().replace(microsecond=0)
    pdsa.update_cycle(
        access=BO, cycle_id=c["id"], expected_version=1,
        values={"aim": "B", "start_date": "2025-05-02", "indicator_ids": [SIP], "title": c["title"]}, engine=store,
    )  # fmt: skip
    trail = pdsa.audit_trail(access=ADMIN, entity="cycle", entity_id=c["id"], engine=store)
    assert list(trail.columns) == pdsa.AUDIT_COLUMNS
    update = trail[trail["action"] == "update"].sort_values("field")
    update = update.astype(object).where(update.notna(), None)  # empty text reads back as missing
    assert update[["field", "old_value", "new_value", "changed_by", "version"]].values.tolist() == [
        ["aim", "A", "B", "bo", 2],
        ["indicator_ids", "[]", f'["{SIP}"]', "bo", 2],
        ["start_date", None, "2025-05-02", "bo", 2],
    ]  # the unchanged title is not there
    assert (update["changed_at"] >= pd.Timestamp(t0) - pd.Timedelta(seconds=1)).all()
    created = trail[trail["action"] == "create"]
    assert set(created["field"]) == {"title", "aim", "status"}  # empty fields are not listed
    assert set(trail["municipality_code"]) == {"1490"}

    for viewer in (ANNA, BO, POLITIKER, PUBLIC_VIEWER):
        with pytest.raises(AccessDenied):
            pdsa.audit_trail(access=viewer, engine=store)
    assert len(pdsa.audit_trail(access=SYSTEM, engine=store)) == len(
        pdsa.audit_trail(access=ADMIN, engine=store)
    )


# --------------------------------------------------------------------------- phases and chart marks


def test_adopting_a_change_starts_a_phase_for_each_linked_indicator(store):
    a = area(store)
    c = cycle(store, a["id"], indicator_ids=[READM, SIP], start_date="2025-02-01", status="pågår")
    other = cycle(store, a["id"], title="Annan cykel")
    result = pdsa.adopt_cycle(
        access=ANNA, cycle_id=c["id"], expected_version=1, adopted_on=dt.date(2025, 6, 10),
        notes="Samtalen blir rutin", engine=store,
    )  # fmt: skip
    adopted = result["cycle"]
    assert (adopted["act"], adopted["act_date"], adopted["status"]) == (
        "adopt",
        dt.date(2025, 6, 10),
        "avslutad",
    )
    assert adopted["act_notes"] == "Samtalen blir rutin"
    assert sorted((p["indicator_id"], p["start_date"], p["cycle_id"]) for p in result["phases"]) == [
        (READM, dt.date(2025, 6, 10), c["id"]),
        (SIP, dt.date(2025, 6, 10), c["id"]),
    ]
    assert result["phases"][0]["reason"].startswith("PDSA 1: Uppföljningssamtal")

    # A phase stored again on the same date is the same phase; another date is another phase.
    again = pdsa.add_phase(
        access=BO, municipality_code="1490", indicator_id=READM, start_date="2025-06-10", engine=store
    )
    assert again["id"] == result["phases"][0]["id"]
    pdsa.add_phase(
        access=BO,
        municipality_code="1490",
        indicator_id=READM,
        start_date=dt.date(2024, 9, 1),
        reason="Ny rutin för utskrivning",
        engine=store,
    )
    dates = pdsa.phases_for(access=ANNA, municipality_code="1490", indicator_id=READM, engine=store)
    assert dates == [dt.date(2024, 9, 1), dt.date(2025, 6, 10)]
    assert (
        pdsa.phases_for(
            access=ANNA, municipality_code="1490", indicator_id="frequent_attenders", engine=store
        )
        == []
    )
    assert len(pdsa.list_phases(access=ANNA, municipality_code="1490", engine=store)) == 3

    # Every viewer of the municipality gets the dates (they shape the limits); nobody outside it.
    assert (
        pdsa.phases_for(access=POLITIKER, municipality_code="1490", indicator_id=READM, engine=store) == dates
    )
    with pytest.raises(AccessDenied):
        pdsa.phases_for(access=CIA, municipality_code="1490", indicator_id=READM, engine=store)
    # The same dates for a whole page at once: per municipality and indicator, within the viewer's scope.
    everything = {"1490": {READM: dates, SIP: [dt.date(2025, 6, 10)]}}
    assert pdsa.phase_dates(access=POLITIKER, engine=store) == everything
    assert pdsa.phase_dates(access=ANNA, municipalities=["1490"], engine=store) == everything
    assert pdsa.phase_dates(access=CIA, engine=store) == {}  # Mark's viewer: Mark has none, Borås is not shown
    with pytest.raises(AccessDenied):
        pdsa.phase_dates(access=CIA, municipalities=["1490"], engine=store)

    # The charts split there.
    months = pd.period_range("2024-01", "2025-12", freq="M")
    rows = pd.DataFrame({
        "indicator_id": READM, "municipality_code": "1490", "sex": "T", "period": [str(p) for p in months],
        "period_start": months.to_timestamp(), "numerator": 12.0, "denominator": 100.0, "value": 12.0,
        "status": "ok",
    })  # fmt: skip
    table, verdict = indicator_spc(rows, INDICATORS[READM], chart="i", phase_dates=dates)
    assert table.attrs["spc_options"]["phases"] == [8, 18] and verdict.phase == 3

    with pytest.raises(ConflictError):  # adopting a stale version
        pdsa.adopt_cycle(access=ANNA, cycle_id=c["id"], expected_version=1, engine=store)
    no_phase = pdsa.adopt_cycle(
        access=ANNA,
        cycle_id=other["id"],
        expected_version=1,
        start_phases=False,
        adopted_on=dt.date(2025, 1, 5),
        engine=store,
    )
    assert no_phase["phases"] == [] and no_phase["cycle"]["act"] == "adopt"


def test_annotations_of_the_cycles_linked_to_an_indicator(store):
    a = area(store, title="Hemgång & trygghet")
    long_title = "Strukturerat uppföljningssamtal inom 72 timmar efter utskrivning"
    c1 = cycle(
        store,
        a["id"],
        title=long_title,
        start_date="2025-03-01",
        status="pågår",
        aim="Färre återinskrivningar <65",
        change_idea="Samtal dag 2",
    )
    cycle(store, a["id"], title="Ännu inte startad")  # no start date: no mark
    c3 = cycle(store, a["id"], title="Bara SIP", indicator_ids=[SIP], start_date="2025-04-01", status="pågår")
    marks = pdsa.annotations_for(access=ANNA, municipality_code="1490", indicator_id=READM, engine=store)
    assert [m["cycle_id"] for m in marks] == [c1["id"]]
    mark = marks[0]
    assert mark["x"] == dt.date(2025, 3, 1) and mark["area_id"] == a["id"] and mark["status"] == "pågår"
    assert mark["text"].startswith("PDSA 1: Strukturerat") and mark["text"].endswith("…")
    assert len(mark["text"]) <= len("PDSA 1: ") + pdsa.ANNOTATION_TITLE_MAX
    assert long_title in mark["hover"] and "Hemgång &amp; trygghet" in mark["hover"]
    assert "&lt;65" in mark["hover"] and "Förändringsidé: Samtal dag 2" in mark["hover"]
    sip = pdsa.annotations_for(access=BO, municipality_code="1490", indicator_id=SIP, engine=store)
    assert [m["cycle_id"] for m in sip] == [c3["id"]]
    assert (
        pdsa.annotations_for(access=POLITIKER, municipality_code="1490", indicator_id=READM, engine=store)
        == []
    )
    with pytest.raises(AccessDenied):
        pdsa.annotations_for(access=CIA, municipality_code="1490", indicator_id=READM, engine=store)


# --------------------------------------------------------------------------- validation (one backend is enough)


CASES = [
    ("create_cycle", {"title": "  "}, "title", "Fältet Titel är tomt"),
    (
        "create_cycle",
        {"title": "x", "start_date": "2025-05-01", "end_date": "2025-04-30"},
        "end_date",
        "Fältet Slutdatum 2025-04-30 är före startdatum 2025-05-01",
    ),
    (
        "create_cycle",
        {"title": "x", "indicator_ids": ["återinskrivningar"]},
        "indicator_ids",
        "Fältet Kopplade indikatorer innehåller den okända indikatorn 'återinskrivningar'",
    ),
    (
        "create_cycle",
        {"title": "x", "status": "klar"},
        "status",
        "Fältet Status har värdet 'klar'; tillåtna värden: planerad, pågår, avslutad.",
    ),
    (
        "create_cycle",
        {"title": "x", "act": "keep"},
        "act",
        "Fältet Beslut har värdet 'keep'; tillåtna värden: adopt (införa), adapt (anpassa), abandon (överge)",
    ),
    (
        "create_cycle",
        {"title": "x", "start_date": "1 mars"},
        "start_date",
        "Fältet Startdatum har värdet '1 mars'; ange ett datum som ÅÅÅÅ-MM-DD.",
    ),
    (
        "create_cycle",
        {"title": "x", "status": "pågår"},
        "start_date",
        "Fältet Startdatum är tomt; en cykel med status pågår behöver ett startdatum.",
    ),
    (
        "create_cycle",
        {"title": "x", "start_date": "2025-05-01", "act": "abandon", "act_date": "2025-04-01"},
        "act_date",
        "Fältet Beslutsdatum 2025-04-01 är före startdatum 2025-05-01",
    ),
    ("create_cycle", {"title": "x", "owner": "Anna"}, "owner", "Fältet 'owner' finns inte för en PDSA-cykel"),
    ("create_cycle", {"title": "x" * 201}, "title", "är 201 tecken långt; högst 200 tecken är tillåtet."),
    (
        "create_area",
        {"municipality_code": "9999", "title": "x"},
        "municipality_code",
        "Fältet Kommun har värdet '9999'; ange en kommunkod med fyra siffror",
    ),
    ("create_area", {"municipality_code": "1490", "title": ""}, "title", "Fältet Titel är tomt"),
    ("update_area", {"municipality_code": "1463"}, "municipality_code", "kan inte ändras"),
    (
        "add_phase",
        {"indicator_id": "okänd"},
        "indicator_id",
        "Fältet Indikator har det okända värdet",
    ),
    ("add_phase", {"start_date": ""}, "start_date", "Fältet Startdatum är tomt"),
]


@pytest.mark.parametrize(("verb", "values", "field", "message"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_invalid_input_gets_a_swedish_message_naming_the_field(sqlite_store, verb, values, field, message):
    a = area(sqlite_store)
    before = audit_count(sqlite_store)
    with pytest.raises(ValidationError) as caught:
        if verb == "create_cycle":
            cycle(sqlite_store, a["id"], **values)
        elif verb == "create_area":
            pdsa.create_area(access=ANNA, values=values, engine=sqlite_store)
        elif verb == "update_area":
            pdsa.update_area(
                access=ANNA, area_id=a["id"], expected_version=1, values=values, engine=sqlite_store
            )
        else:
            phase = {"municipality_code": "1490", "indicator_id": READM, "start_date": "2025-01-01", **values}
            pdsa.add_phase(access=ANNA, engine=sqlite_store, **phase)
    assert field in caught.value.errors
    assert message in caught.value.errors[field]
    assert message in str(caught.value)
    assert audit_count(sqlite_store) == before


def test_next_cycle_must_be_another_cycle_of_the_same_area(sqlite_store):
    a = area(sqlite_store)
    b = area(sqlite_store, title="Annat område")
    c1 = cycle(sqlite_store, a["id"])
    elsewhere = cycle(sqlite_store, b["id"])
    for next_id in (c1["id"], elsewhere["id"], 999):
        with pytest.raises(ValidationError) as caught:
            pdsa.update_cycle(
                access=ANNA,
                cycle_id=c1["id"],
                expected_version=1,
                values={"next_cycle_id": next_id},
                engine=sqlite_store,
            )
        assert "Fältet Nästa cykel" in caught.value.errors["next_cycle_id"]
    with pytest.raises(ValidationError, match="ska vara text"):
        pdsa.update_cycle(
            access=ANNA, cycle_id=c1["id"], expected_version=1, values={"aim": 12}, engine=sqlite_store
        )
