"""Round trip: region and municipality pseudonymise their own extracts with the shared key, the
dashboard imports both, and persons link across the files (SIP coverage, a Målgrupper cohort).

The region delivers primary care contacts and SIPs (SAMSA) with ten-digit numbers; Borås delivers
its enrolments with twelve-digit numbers and a samordningsnummer. Only the shared key makes the
same person the same ``person_id``: with another key for the municipality, SIP coverage falls to
0 and the enrolled frequent attender counts as "not enrolled" (the failure the issue describes).
Runs on SQLite and PostgreSQL (the ``store`` fixture). Numbers are generated at test time.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pandas as pd
from sqlalchemy import inspect, text

from data_access.__main__ import main
from data_access.access import SYSTEM
from data_access.importer import import_paths
from data_access.queries import load_frames
from data_access.validation import personnummer_mask
from metrics.compute import compute_all
from tests.personnummer_factory import number

END = dt.date(2025, 3, 31)
A = number(dt.date(1938, 5, 10), 980)  # enrolled in Borås, frequent attender, has a SIP
B = number(dt.date(1940, 6, 1), 983)  # frequent attender, not enrolled
C = number(dt.date(1935, 1, 20), 982, coordination=True)  # enrolled, samordningsnummer, no SIP
D = number(dt.date(1930, 9, 9), 991)  # one MALT visit, so that the region's ED data covers Borås
ALL_FORMS = [n for p in (A, B, C, D) for n in (p, p[2:], p[2:8] + "-" + p[8:], p[:8] + "-" + p[8:])]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def _short(pnr: str) -> str:
    return pnr[2:8] + "-" + pnr[8:]


def supplier_extracts(root: Path) -> tuple[Path, Path, Path]:
    """(region, municipality, statistics) folders as the suppliers hold them, personnummer and all."""
    region, borås, scb = root / "region", root / "boras", root / "scb"
    contacts = [[f"PV{i}{j}", _short(p), "1490", "Vårdcentralen Centrum", f"2025-03-{10 + j:02d} 09:00", "besok"]
                for i, p in enumerate((A, B)) for j in range(3)]
    _write(region / "primary_care_contacts.csv",
           ["contact_id", "personnummer", "municipality_code", "care_centre", "contact_time", "contact_type"], contacts)
    _write(region / "ed_visits.csv", ["visit_id", "personnummer", "municipality_code", "arrival_time", "unit",
                                      "admitted"], [["AK1", D, "1490", "2025-03-05 14:00", "MALT", "0"]])
    _write(region / "sip.csv", ["sip_id", "personnummer", "municipality_code", "sip_date"],
           [["SIP1", _short(A), "1490", "2025-02-10"]])
    _write(borås / "home_care_enrolments.csv",
           ["enrolment_id", "personnummer", "municipality_code", "start_date", "end_date"],
           [["IN1", A, "1490", "2024-01-01", ""], ["IN2", C[:8] + "-" + C[8:], "1490", "2024-06-01", ""]])
    bands = ["0-64", "65-74", "75-79", "80-84", "85-89", "90+"]
    _write(scb / "population.csv", ["municipality_code", "year", "age_band", "sex", "population"],
           [["1490", str(y), b, s, "1000"] for y in (2024, 2025) for b in bands for s in "KM"])
    return region, borås, scb


def pseudonymise(folder: Path, key_file: Path, out: Path) -> None:
    code = main(["pseudonymise", "--key-file", str(key_file), "--out", str(out), "--reference-date", "2025-04-05",
                 "--errors", str(out.parent / f"{out.name}-fel.csv"), str(folder)])
    assert code == 0


def _value(table: pd.DataFrame, indicator: str) -> pd.Series:
    row = table[(table["indicator_id"] == indicator) & (table["municipality_code"] == "1490")
                & (table["sex"] == "T") & (table["period"] == "2025-03")]
    assert len(row) == 1, row
    return row.iloc[0]


def delivered(store, tmp_path: Path, municipality_key: bytes) -> pd.DataFrame:
    region, borås, scb = supplier_extracts(tmp_path / "uttag")
    shared = tmp_path / "delad.bin"
    shared.write_bytes(bytes(range(100, 132)))
    own = tmp_path / "kommunens.bin"
    own.write_bytes(municipality_key)
    pseudonymise(region, shared, tmp_path / "leverans" / "region")
    pseudonymise(borås, own, tmp_path / "leverans" / "boras")
    pseudonymise(scb, shared, tmp_path / "leverans" / "scb")
    for folder in ("region", "boras", "scb"):
        result = import_paths([tmp_path / "leverans" / folder], engine=store, user="test")
        assert result.ok, result.errors
    frames = load_frames(access=SYSTEM, engine=store)
    return compute_all(frames, period="month", end_date=END,
                       indicators=["sip_coverage_home_care", "mal_mangsokare_ej_inskrivna"])


def test_one_key_links_region_and_municipality(store, tmp_path):
    table = delivered(store, tmp_path, municipality_key=bytes(range(100, 132)))
    coverage = _value(table, "sip_coverage_home_care")
    assert (coverage["numerator"], coverage["denominator"]) == (1, 2)  # A has a SIP, C has none
    cohort = _value(table, "mal_mangsokare_ej_inskrivna")
    assert cohort["numerator"] == 1  # B; A is enrolled, which only the shared key lets the dashboard see


def test_without_the_shared_key_linkage_fails_silently(store, tmp_path):
    table = delivered(store, tmp_path, municipality_key=bytes(range(200, 232)))
    coverage = _value(table, "sip_coverage_home_care")
    assert (coverage["numerator"], coverage["denominator"]) == (0, 2)
    assert _value(table, "mal_mangsokare_ej_inskrivna")["numerator"] == 2


def test_no_personnummer_anywhere_in_the_store(store, tmp_path):
    delivered(store, tmp_path, municipality_key=bytes(range(100, 132)))
    inspector = inspect(store)
    with store.connect() as conn:
        for name in inspector.get_table_names():
            columns = [c["name"] for c in inspector.get_columns(name)]
            assert not {"personnummer", "pnr", "samordningsnummer"} & set(columns)
            rows = conn.execute(text(f'SELECT * FROM "{name}"')).fetchall()
            cells = pd.Series([str(v) for row in rows for v in row if v is not None], dtype="object")
            if cells.empty:
                continue
            assert not personnummer_mask(cells).any(), name
            for form in ALL_FORMS:
                assert not cells.str.contains(form, regex=False).any(), (name, form)
    enrolled = load_frames(access=SYSTEM, engine=store)["home_care_enrolments"]
    assert sorted(enrolled["birth_year"].tolist()) == [1935, 1938]  # derived from the numbers
    assert sorted(enrolled["sex"].tolist()) == ["K", "K"]

