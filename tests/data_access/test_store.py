"""The store on SQLite and PostgreSQL: migrations, transactional import, upsert, read-back."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, inspect, select, text

from data_access import importer
from data_access.access import SYSTEM, AccessContext
from data_access.contract import TABLES
from data_access.db import upgrade
from data_access.importer import import_paths
from data_access.models import CONTRACT_MODELS, Base, ImportLog
from data_access.queries import AccessDenied, load_table, row_counts

ROOT = Path(__file__).resolve().parents[2]

STAYS = (
    "stay_id,person_id,municipality_code,age,sex,admission_time,discharge_time,admission_type,discharge_to,"
    "care_plan_complete,followup_call_time\n"
    "S1,P1,1490,80,K,2025-01-01 10:00,2025-01-05 12:00,akut,hem,1,2025-01-06 09:00\n"
    "S2,P1,1490,80,K,2025-01-20 10:00,,akut,,,\n"
    "S3,P2,1463,67,M,2025-02-01 08:30,2025-02-03 14:15,planerad,annat_sjukhus,0,\n"
)
POPULATION = "municipality_code;year;age_band;sex;population\n1490;2025;80-84;K;2400\n1490;2025;80-84;M;1800\n"


def write(folder: Path, name: str, content: str, encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content.encode(encoding))
    return path


def test_models_cover_the_contract_exactly():
    for name, table in TABLES.items():
        model_cols = [c.name for c in CONTRACT_MODELS[name].__table__.columns]
        assert model_cols == table.column_names, name
        pk = [c.name for c in CONTRACT_MODELS[name].__table__.primary_key.columns]
        assert sorted(pk) == sorted(table.key), name
        for col in table.columns:
            nullable = CONTRACT_MODELS[name].__table__.columns[col.name].nullable
            assert nullable == ((col.nullable or not col.required) and col.default is None), (name, col.name)


def test_migrations_create_exactly_the_models(empty_engine):
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    names = set(inspect(empty_engine).get_table_names())
    assert set(TABLES) | {"import_log", "indicator_results", "targets", "alembic_version"} <= names


def test_no_column_for_names_addresses_or_personnummer():
    forbidden = ("name", "namn", "address", "adress", "personnummer", "pnr")
    for table in Base.metadata.tables.values():
        for col in table.columns:
            if col.name in ("indicator_name", "file_name", "table_name", "user_name", "username", "display_name"):
                continue
            assert not any(word in col.name for word in forbidden), (table.name, col.name)


def test_import_stores_typed_rows_and_reads_them_back(store, tmp_path):
    write(tmp_path, "hospital_stays.csv", STAYS)
    result = import_paths([tmp_path], engine=store, user="test")
    assert result.ok, result.summary()
    assert [(f.table, f.inserted, f.replaced, f.unchanged) for f in result.files] == [("hospital_stays", 3, 0, 0)]
    frame = load_table("hospital_stays", access=SYSTEM, engine=store)
    assert frame["stay_id"].tolist() == ["S1", "S2", "S3"]
    assert frame.loc[0, "discharge_time"] == pd.Timestamp("2025-01-05 12:00")
    assert pd.isna(frame.loc[1, "discharge_time"]) and pd.isna(frame.loc[1, "discharge_to"])
    assert frame["care_plan_complete"].tolist()[0] is True
    assert pd.isna(frame["care_plan_complete"].iloc[1])
    assert frame["care_plan_complete"].tolist()[2] is False
    assert str(frame["age"].dtype) == "Int64"


def test_reimport_same_file_changes_nothing_and_says_so(store, tmp_path):
    write(tmp_path, "hospital_stays.csv", STAYS)
    import_paths([tmp_path], engine=store)
    again = import_paths([tmp_path], engine=store)
    assert again.ok and not again.changed
    assert [(f.inserted, f.replaced, f.unchanged) for f in again.files] == [(0, 0, 3)]
    assert "Samma data var redan importerad" in again.summary()
    assert row_counts(engine=store)["hospital_stays"] == 3
    with store.connect() as conn:
        outcomes = conn.execute(select(ImportLog.outcome).order_by(ImportLog.id)).scalars().all()
    assert outcomes == ["ok", "unchanged"]


def test_same_ids_replace_earlier_rows(store, tmp_path):
    write(tmp_path / "a", "hospital_stays.csv", STAYS)
    import_paths([tmp_path / "a"], engine=store)
    changed = STAYS.replace("S2,P1,1490,80,K,2025-01-20 10:00,,akut,,,", "S2,P1,1490,80,K,2025-01-20 10:00,2025-01-22 10:00,akut,hem,1,")
    changed += "S4,P3,1490,90,K,2025-03-01 10:00,2025-03-02 10:00,akut,avliden,,\n"
    write(tmp_path / "b", "hospital_stays.csv", changed)
    result = import_paths([tmp_path / "b"], engine=store)
    assert [(f.inserted, f.replaced, f.unchanged) for f in result.files] == [(1, 1, 2)]
    frame = load_table("hospital_stays", access=SYSTEM, engine=store)
    assert len(frame) == 4
    assert frame.set_index("stay_id").loc["S2", "discharge_to"] == "hem"


def test_any_error_stores_nothing(store, tmp_path):
    write(tmp_path, "hospital_stays.csv", STAYS)
    write(tmp_path, "population.csv", POPULATION.replace("1800", "-3"))
    result = import_paths([tmp_path], engine=store)
    assert not result.ok
    assert [str(e) for e in result.errors] == [
        "population.csv, rad 3, kolumn population: Folkmängd -3 får inte vara mindre än 0."
    ]
    assert sum(row_counts(engine=store).values()) == 0
    with store.connect() as conn:
        logged = conn.execute(select(ImportLog.file_name, ImportLog.outcome)).all()
    assert sorted(logged) == [("hospital_stays.csv", "rejected"), ("population.csv", "rejected")]


def test_failure_half_way_through_a_large_import_leaves_store_unchanged(store, tmp_path, monkeypatch):
    n = 20_000
    rows = [
        f"V{i},P{i % 5000},1490,{70 + i % 30},{'KM'[i % 2]},2025-01-{1 + i % 28:02d} 10:{i % 60:02d},akutmottagning,egen,0"
        for i in range(n)
    ]
    write(tmp_path / "first", "ed_visits.csv", "visit_id,person_id,municipality_code,age,sex,arrival_time,unit,arrival_mode,admitted\n" + "\n".join(rows[:10]) + "\n")
    assert import_paths([tmp_path / "first"], engine=store).ok
    before = load_table("ed_visits", access=SYSTEM, engine=store)

    write(tmp_path / "big", "ed_visits.csv", "visit_id,person_id,municipality_code,age,sex,arrival_time,unit,arrival_mode,admitted\n" + "\n".join(rows) + "\n")
    write(tmp_path / "big", "population.csv", POPULATION)
    original = importer.upsert_frame
    calls = []

    def failing(conn, table_name, frame):
        calls.append(table_name)
        counts = original(conn, table_name, frame)
        if len(calls) == 2:  # the second table: the first is already written in this transaction
            raise RuntimeError("disk full (simulated)")
        return counts

    monkeypatch.setattr(importer, "upsert_frame", failing)
    with pytest.raises(RuntimeError):
        import_paths([tmp_path / "big"], engine=store)
    assert calls == ["ed_visits", "population"]
    after = load_table("ed_visits", access=SYSTEM, engine=store)
    pd.testing.assert_frame_equal(before, after)
    assert row_counts(engine=store)["population"] == 0


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("sep", [",", ";"])
@pytest.mark.parametrize("decimal", [".", ","])
def test_encoding_separator_decimal_matrix(sqlite_store, tmp_path, encoding, sep, decimal):
    if sep == "," and decimal == ",":
        value = '"1,25"'  # a decimal comma in a comma-separated file must be quoted
    else:
        value = "1" + decimal + "25"
    header = sep.join(["indicator_id", "indicator_name", "municipality_code", "period", "value", "source"])
    line = sep.join(["extern_x", "Väntetid på särskilt boende", "1490", "2025", value, "Vårdanalys"])
    write(tmp_path, "indicator_values.csv", header + "\r\n" + line + "\r\n", encoding)
    result = import_paths([tmp_path], engine=sqlite_store)
    assert result.ok, result.summary()
    frame = load_table("indicator_values", access=SYSTEM, engine=sqlite_store)
    assert frame["value"].tolist() == [1.25]
    assert frame["indicator_name"].tolist() == ["Väntetid på särskilt boende"]
    assert frame["source"].tolist() == ["Vårdanalys"]


def test_xlsx_workbook_sheets_name_tables(store, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "ED_Visits"
    ws.append(["Visit_ID", "person_id", "municipality_code", "age", "sex", "arrival_time", "unit", "arrival_mode", "admitted"])
    ws.append(["V1", "P1", 1490, 84, "K", dt.datetime(2025, 1, 1, 9, 30), "akutmottagning", "ambulans", True])
    ws.append(["V2", "P2", "1463", 81, "M", "2025-01-02 09:00", "MALT", None, "nej"])
    pop = wb.create_sheet("population")
    pop.append(["municipality_code", "year", "age_band", "sex", "population"])
    pop.append([1490, 2025, "80-84", "K", 2400])
    wb.save(tmp_path / "leverans.xlsx")
    result = import_paths([tmp_path / "leverans.xlsx"], engine=store)
    assert result.ok, result.summary()
    visits = load_table("ed_visits", access=SYSTEM, engine=store)
    assert visits["arrival_time"].tolist() == [pd.Timestamp("2025-01-01 09:30"), pd.Timestamp("2025-01-02 09:00")]
    assert visits["admitted"].tolist() == [True, False]
    assert visits["municipality_code"].tolist() == ["1490", "1463"]


def test_xlsx_errors_name_the_sheet(sqlite_store, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "population"
    ws.append(["municipality_code", "year", "age_band", "sex", "population"])
    ws.append([1490, 2025, "80-84", "X", 10])
    wb.save(tmp_path / "bef.xlsx")
    result = import_paths([tmp_path / "bef.xlsx"], engine=sqlite_store)
    assert [str(e) for e in result.errors] == [
        "bef.xlsx (blad population), rad 2, kolumn sex: 'X' är inget tillåtet värde. Tillåtna värden: K, M."
    ]


def test_unknown_file_name_is_rejected(sqlite_store, tmp_path):
    write(tmp_path, "akutbesok.csv", "a,b\n1,2\n")
    result = import_paths([tmp_path], engine=sqlite_store)
    assert not result.ok
    assert "motsvarar ingen tabell" in result.errors[0].message


def test_access_context_filters_municipalities_and_person_level(sqlite_store, tmp_path):
    write(tmp_path, "hospital_stays.csv", STAYS)
    import_paths([tmp_path], engine=sqlite_store)
    mark_only = AccessContext(user="m", municipalities=frozenset({"1463"}), person_level=True)
    frame = load_table("hospital_stays", access=mark_only, engine=sqlite_store)
    assert frame["stay_id"].tolist() == ["S3"]
    # Asking for another municipality explicitly returns nothing, not the other one's rows.
    frame = load_table("hospital_stays", access=mark_only, municipalities=["1490"], engine=sqlite_store)
    assert frame.empty
    with pytest.raises(AccessDenied):
        load_table("hospital_stays", access=AccessContext(user="p"), engine=sqlite_store)


def test_date_range_filter_is_inclusive(sqlite_store, tmp_path):
    write(tmp_path, "hospital_stays.csv", STAYS)
    import_paths([tmp_path], engine=sqlite_store)
    frame = load_table(
        "hospital_stays", access=SYSTEM, start=dt.date(2025, 1, 20), end=dt.date(2025, 2, 1), engine=sqlite_store
    )
    assert frame["stay_id"].tolist() == ["S2", "S3"]


def test_cli_import_exit_codes_and_error_file(tmp_path):
    db = tmp_path / "cli.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "PYTHONPATH": str(ROOT), "RECOMPUTE_AFTER_IMPORT": "0"}
    good = write(tmp_path / "good", "hospital_stays.csv", STAYS)
    bad = write(tmp_path / "bad", "hospital_stays.csv", STAYS.replace(",67,", ",200,"))
    ok = subprocess.run([sys.executable, "-m", "data_access", "import", str(good)], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "3 nya, 0 ersatta, 0 oförändrade" in ok.stdout
    errors = tmp_path / "fel.csv"
    rejected = subprocess.run(
        [sys.executable, "-m", "data_access", "import", str(bad.parent), "--errors", str(errors)],
        env=env, capture_output=True, text=True, cwd=tmp_path,
    )
    assert rejected.returncode == 1
    assert "hospital_stays.csv, rad 4, kolumn age: Ålder 200 ska vara mellan 0 och 120." in rejected.stderr
    assert "Traceback" not in rejected.stderr
    assert pd.read_csv(errors, sep=";", encoding="utf-8-sig")["rad"].tolist() == [4]


def test_wal_mode_on_sqlite(sqlite_store):
    with sqlite_store.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"


# --- property: valid generated rows import and read back equal -----------------

ids = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZabc_-", min_size=1, max_size=12)
moments = st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2027, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0)
)


@st.composite
def home_visit_rows(draw):
    n = draw(st.integers(min_value=1, max_value=25))
    keys = draw(st.lists(ids, min_size=n, max_size=n, unique=True))
    rows = []
    for key in keys:
        requested = draw(moments)
        wait = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=60 * 24 * 5)))
        rows.append(
            {
                "visit_id": key,
                "person_id": "P" + draw(ids),
                "municipality_code": draw(st.sampled_from(["1490", "1463", "0114", "2584"])),
                "requested_time": requested,
                "assessed_time": None if wait is None else requested + dt.timedelta(minutes=wait),
                "team": draw(st.sampled_from(["PALT", "MALT", "VC", "jour", "annat"])),
                "acute": draw(st.booleans()),
            }
        )
    return rows


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=home_visit_rows(), sep=st.sampled_from([",", ";"]))
def test_property_valid_rows_round_trip(sqlite_store, tmp_path_factory, rows, sep):
    folder = tmp_path_factory.mktemp("prop")
    frame = pd.DataFrame(rows)
    out = frame.assign(
        requested_time=frame["requested_time"].map(lambda d: d.strftime("%Y-%m-%d %H:%M")),
        assessed_time=frame["assessed_time"].map(lambda d: "" if d is None or pd.isna(d) else d.strftime("%Y-%m-%dT%H:%M")),
        acute=frame["acute"].map({True: "ja", False: "nej"}),
    )
    out.to_csv(folder / "home_visits.csv", sep=sep, index=False)
    with sqlite_store.begin() as conn:
        conn.execute(text("DELETE FROM home_visits"))
    assert import_paths([folder], engine=sqlite_store).ok
    back = load_table("home_visits", access=SYSTEM, engine=sqlite_store).sort_values("visit_id").reset_index(drop=True)
    expected = frame.sort_values("visit_id").reset_index(drop=True)
    assert back["visit_id"].tolist() == expected["visit_id"].tolist()
    assert back["person_id"].tolist() == expected["person_id"].tolist()
    assert back["municipality_code"].tolist() == expected["municipality_code"].tolist()
    assert back["requested_time"].tolist() == [pd.Timestamp(d) for d in expected["requested_time"]]
    assert [None if pd.isna(v) else v for v in back["assessed_time"]] == [
        None if v is None or pd.isna(v) else pd.Timestamp(v) for v in expected["assessed_time"]
    ]
    assert back["team"].tolist() == expected["team"].tolist()
    assert back["acute"].tolist() == expected["acute"].tolist()


def test_default_targets_are_seeded_by_migration(store):
    with store.connect() as conn:
        rows = conn.execute(
            text("SELECT indicator_id, kind, operator, value, change, baseline_period FROM targets ORDER BY indicator_id")
        ).all()
    by_id = {r[0]: tuple(r[1:]) for r in rows}
    assert by_id["sip_coverage_home_care"] == ("absolute", ">=", 70.0, None, None)
    assert by_id["home_visit_median_hours_offhours"] == ("absolute", "<", 8.0, None, None)
    assert by_id["readmission_30d_65"] == ("relative", "<=", None, -0.2, "2024")
    assert "frequent_attenders" not in by_id
    assert by_id["mal_fangade_60d"] == ("absolute", ">=", 50.0, None, None)  # migration 0005
    assert len(rows) == 13


def test_seeded_targets_are_the_registrys_defaults(store):
    """The migrations copy the registry's default targets (a migration is a frozen snapshot and
    must not import the registry); this keeps the two from drifting apart."""
    from metrics.registry import INDICATORS

    with store.connect() as conn:
        rows = conn.execute(
            text("SELECT indicator_id, kind, operator, value, change, baseline_period FROM targets "
                 "WHERE municipality_code IS NULL")
        ).all()
    seeded = {r[0]: tuple(r[1:]) for r in rows}
    expected = {}
    for ind_id, ind in INDICATORS.items():
        t = ind.default_target
        if t is None:
            continue
        if t["kind"] == "absolute":
            expected[ind_id] = ("absolute", t["operator"], t["value"], None, None)
        else:
            operator = "<=" if ind.direction == "lower" else ">="
            expected[ind_id] = ("relative", operator, None, t["change"], t["baseline_period"])
    assert seeded == expected


# --- personnummer are refused in every spelling, and nothing is stored (issue 21, item 3) ------------------------


def _luhn_digit(nine: str) -> str:
    total = 0
    for i, ch in enumerate(nine):
        v = int(ch) * (2 - i % 2)
        total += v - 9 if v > 9 else v
    return str((10 - total % 10) % 10)


# 0912311230: born 2009-12-31, serial 123, Luhn digit 0 (a spreadsheet keeps it as the number 912311230);
# 194503121230: born 1945-03-12, serial 123, Luhn digit 0.
LOST_ZERO = "091231123" + _luhn_digit("091231123")
TWELVE = "19450312123" + _luhn_digit("450312123")


def test_an_xlsx_number_that_lost_its_leading_zero_is_refused_and_nothing_is_stored(store, tmp_path):
    assert (LOST_ZERO, TWELVE) == ("0912311230", "194503121230")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "hospital_stays"
    ws.append(STAYS.splitlines()[0].split(","))
    for i, line in enumerate(STAYS.splitlines()[1:]):
        row: list[object] = line.split(",")
        row[1] = [int(LOST_ZERO), float(TWELVE), "P2"][i]  # an integer cell, a float cell, a pseudonym
        ws.append(row)
    wb.save(tmp_path / "vard.xlsx")
    write(tmp_path, "population.csv", POPULATION)  # a valid file beside it is not stored either
    result = import_paths([tmp_path], engine=store)
    assert not result.ok
    assert [(e.file, e.row, e.column) for e in result.errors] == [
        ("vard.xlsx (blad hospital_stays)", 2, "person_id"),
        ("vard.xlsx (blad hospital_stays)", 3, "person_id"),
    ]
    assert all("ser ut som ett personnummer" in e.message and "912311" not in str(e) and "450312" not in str(e)
               for e in result.errors)
    assert sum(row_counts(engine=store).values()) == 0


def test_a_personnummer_in_contact_id_or_care_centre_is_refused_and_nothing_is_stored(sqlite_store, tmp_path):
    contacts = (
        "contact_id;person_id;municipality_code;care_centre;contact_time;contact_type\n"
        f"VK{TWELVE[2:]};P1;1490;Vårdcentralen Sandared;2025-01-01 10:00;besok\n"
        f"VK2;P1;1490;Vårdcentralen Sandared {TWELVE[:8]}\u2013{TWELVE[8:]};2025-01-01 11:00;besok\n"
        "VK3;P2;1490;Vårdcentralen Sandared;2025-01-01 12:00;besok\n"
    )
    write(tmp_path, "primary_care_contacts.csv", contacts)
    write(tmp_path, "hospital_stays.csv", STAYS)
    result = import_paths([tmp_path], engine=sqlite_store)
    assert [(e.row, e.column) for e in result.errors] == [(2, "contact_id"), (3, "care_centre")]
    assert sum(row_counts(engine=sqlite_store).values()) == 0


# --- the CLI's error file is neutralised against spreadsheet formulas (issue 21, item 8) --------------------------

FORMULA = '=HYPERLINK("http://x","y")'


def formula_delivery(folder: Path) -> None:
    """A header that is a formula (twice, so that it is reported), formula values and formula file names."""
    quoted = '"' + FORMULA.replace('"', '""') + '"'
    header = STAYS.splitlines()[0] + f",{quoted},{quoted},+cmd,+cmd,@SUM(A1),@SUM(A1)"
    write(folder, "hospital_stays.csv", header + "\n" + STAYS.splitlines()[1] + ",1,2,3,4,5,6\n")
    stays = STAYS.replace(",80,K,", f",{quoted},K,", 1).replace(",akut,hem,1,", ",akut,hem,@SUM(A1),", 1)
    write(folder / "values", "ed_visits.csv", "visit_id,person_id,municipality_code,age,sex,arrival_time,unit,admitted\n"
          f"V1,P1,1490,{quoted},-K,2025-01-01 10:00,+akut,=1+1\n")
    for name in ("=1+2.csv", "+1.csv", "-1.csv", "@SUM(A1).csv"):
        write(folder / "names", name, "a,b\n1,2\n")
    write(folder / "more", "hospital_stays.csv", stays)


def test_the_cli_error_file_neutralises_formulas_like_every_export(sqlite_store, tmp_path, monkeypatch, capsys):
    import csv

    from data_access.__main__ import main
    from data_access.db import get_engine
    from data_access.neutralise import neutralise
    from data_access.settings import get_settings

    formula_delivery(tmp_path / "in")
    expected = import_paths([tmp_path / "in", tmp_path / "in" / "values", tmp_path / "in" / "names",
                             tmp_path / "in" / "more"], engine=sqlite_store).errors
    errors_file = tmp_path / "importfel.csv"
    monkeypatch.setenv("DATABASE_URL", str(sqlite_store.url))
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        code = main(["import", str(tmp_path / "in"), str(tmp_path / "in" / "values"), str(tmp_path / "in" / "names"),
                     str(tmp_path / "in" / "more"), "--errors", str(errors_file), "--no-recompute"])
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()
    assert code == 1, capsys.readouterr().err
    with open(errors_file, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    assert rows[1:] == [[neutralise(e.file), "" if e.row is None else str(e.row), neutralise(e.column or ""),
                         neutralise(e.message)] for e in expected]
    cells = [cell for row in rows[1:] for cell in (row[0], row[2], row[3])]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    # What was a formula is there, as text: the header twice, the file names, the values in messages.
    assert f"'{FORMULA.lower()}" in cells and "'+cmd" in cells and "'@sum(a1)" in cells
    assert {"'=1+2.csv", "'+1.csv", "'-1.csv", "'@SUM(A1).csv"} <= set(cells)
    assert any(FORMULA in c for c in cells if c.startswith("'" + FORMULA))
    assert sum(row_counts(engine=sqlite_store).values()) == 0


def test_a_header_only_file_is_stored_as_zero_rows_beside_the_others(store, tmp_path):
    """Issue 22: a header-only file is a valid delivery of zero rows, on both backends."""
    write(tmp_path, "short_term_stays.csv",
          "stay_id,person_id,municipality_code,birth_year,sex,start_date,end_date,discharge_to\n")
    write(tmp_path, "sip.csv", "sip_id,person_id,municipality_code,sip_date\nS1,P1,1490,2025-01-01\n")
    result = import_paths([tmp_path], engine=store, user="test")
    assert result.ok, result.errors
    assert row_counts(engine=store)["short_term_stays"] == 0 and row_counts(engine=store)["sip"] == 1
    assert "short_term_stays.csv → short_term_stays: 0 rader (bara rubrikrad), inget att läsa in." in result.summary()
    again = import_paths([tmp_path / "short_term_stays.csv"], engine=store, user="test")
    assert again.ok and not again.changed
    assert again.summary().endswith("Filerna har inga datarader (bara rubrikrad): ingenting ändrades.")


def test_the_sample_data_imports_with_a_header_only_file_among_its_files(sqlite_store, tmp_path):
    sample = ROOT / "sample_data" / "default"
    for f in sample.glob("*.csv"):
        (tmp_path / f.name).write_bytes(f.read_bytes())
    header = (sample / "short_term_stays.csv").read_text(encoding="utf-8").splitlines()[0]
    (tmp_path / "short_term_stays.csv").write_text(header + "\n", encoding="utf-8")
    result = import_paths([tmp_path], engine=sqlite_store, user="test")
    assert result.ok, result.errors[:3]
    counts = row_counts(engine=sqlite_store)
    assert counts["short_term_stays"] == 0
    assert counts["hospital_stays"] == sum(1 for _ in open(sample / "hospital_stays.csv", encoding="utf-8")) - 1


def test_a_dry_run_counts_per_table_and_municipality_and_stores_nothing(store, tmp_path):
    """Issue 22: what an import would change, before anything is stored (nor logged)."""
    write(tmp_path, "hospital_stays.csv", STAYS)
    assert import_paths([tmp_path], engine=store, user="test").ok
    with store.connect() as conn:
        logged = conn.execute(select(func.count()).select_from(ImportLog)).scalar_one()
    changed = tmp_path / "ny"
    changed.mkdir()
    lines = STAYS.strip().splitlines()
    header, rows = lines[0], lines[1:]
    rows[0] = rows[0].replace(",akut,", ",planerad,")  # replaced
    new_row = rows[1].replace("S2", "S9").replace(",1490,", ",1463,")  # new, in Mark
    write(changed, "hospital_stays.csv", "\n".join([header, *rows, new_row]) + "\n")
    before = load_table("hospital_stays", access=SYSTEM, engine=store)
    result = import_paths([changed], engine=store, user="test", dry_run=True)
    assert result.ok and result.dry_run and result.changed
    (f,) = result.files
    assert (f.inserted, f.replaced, f.unchanged) == (1, 1, 2)
    assert f.by_municipality == {"1463": (1, 0, 1), "1490": (0, 1, 1)}
    text = result.summary()
    assert text.startswith("Provkörning: så här skulle importen ändra databasen. Ingenting har sparats.")
    assert "    Mark (1463): 1 nya, 0 ersatta, 1 oförändrade" in text
    assert "    Borås (1490): 0 nya, 1 ersatta, 1 oförändrade" in text
    pd.testing.assert_frame_equal(load_table("hospital_stays", access=SYSTEM, engine=store), before)
    with store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ImportLog)).scalar_one() == logged
    assert result.data_version is None
    real = import_paths([changed], engine=store, user="test")
    assert [(f.inserted, f.replaced, f.unchanged) for f in real.files] == [(1, 1, 2)]


def test_a_dry_run_into_an_empty_table_and_the_cli(sqlite_store, tmp_path):
    write(tmp_path, "hospital_stays.csv", STAYS)
    result = import_paths([tmp_path], engine=sqlite_store, user="test", dry_run=True)
    assert [(f.inserted, f.by_municipality) for f in result.files] == [(3, {"1463": (1, 0, 0), "1490": (2, 0, 0)})]
    assert row_counts(engine=sqlite_store)["hospital_stays"] == 0
    env = {**os.environ, "DATABASE_URL": sqlite_store.url.render_as_string(hide_password=False),
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "data_access", "import", "--dry-run", str(tmp_path)],
                          env=env, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Provkörning" in done.stdout and "Borås (1490): 2 nya, 0 ersatta, 0 oförändrade" in done.stdout
    assert row_counts(engine=sqlite_store)["hospital_stays"] == 0


def test_a_failed_import_after_a_first_load_keeps_the_tables_indexes(store, tmp_path, monkeypatch):
    """The first load of an empty table drops its secondary indexes and builds them again after the insert.
    On SQLite the DROP INDEX of the import's first table ran outside the transaction (the driver opens one
    only before INSERT/UPDATE/DELETE): an import that failed later rolled the rows back but left the table
    without its indexes."""
    write(tmp_path, "sip.csv", "sip_id,person_id,municipality_code,sip_date\nS1,P1,1490,2025-01-01\n")
    before = sorted(i["name"] for i in inspect(store).get_indexes("sip"))
    assert before, "sip has a secondary index (person_id)"
    original = importer.upsert_frame

    def failing(conn, table_name, frame, **kw):
        original(conn, table_name, frame, **kw)
        raise RuntimeError("disk full (simulated)")

    monkeypatch.setattr(importer, "upsert_frame", failing)
    with pytest.raises(RuntimeError):
        import_paths([tmp_path], engine=store)
    assert sorted(i["name"] for i in inspect(store).get_indexes("sip")) == before
    assert row_counts(engine=store)["sip"] == 0


DUP_HEADER = "contact_id,person_id,municipality_code,care_centre,contact_time,contact_type\n"
DUP_STORED = "C1,P1,1490,VC Sandared,2025-03-10 09:00,besok\nC2,P2,1490,VC Sandared,2025-03-10 09:30,telefon\n"


def _duplicate_delivery(tmp_path: Path) -> Path:
    folder = tmp_path / "ny"
    folder.mkdir(exist_ok=True)
    # D1: C1 again under a new id (everything else equal): a possible duplicate. D2: P2 at another time: new.
    write(folder, "primary_care_contacts.csv", DUP_HEADER + "D1,P1,1490,VC Sandared,2025-03-10 09:00,besok\n"
          "D2,P2,1490,VC Sandared,2025-03-11 09:30,telefon\n")
    return folder


def test_possible_duplicates_stop_the_import_until_the_importer_chooses(store, tmp_path):
    """Issue 22: rows identical to stored ones in everything but their id are listed, and nothing is stored
    until the importer chooses to import them anyway or to skip them."""
    write(tmp_path, "primary_care_contacts.csv", DUP_HEADER + DUP_STORED)
    assert import_paths([tmp_path], engine=store).ok
    folder = _duplicate_delivery(tmp_path)
    asked = import_paths([folder], engine=store)
    assert asked.duplicates_pending and not asked.changed and asked.data_version is None
    (f,) = asked.files
    assert (f.n_duplicates, f.duplicates) == (1, [("D1", "C1")])
    assert "Möjliga dubbletter i primary_care_contacts.csv: 1 ny rad är likadan som en sparad rad" in asked.summary()
    assert "Ingenting har sparats." in asked.summary()
    assert row_counts(engine=store)["primary_care_contacts"] == 2
    preview = import_paths([folder], engine=store, dry_run=True)
    assert not preview.duplicates_pending and preview.files[0].n_duplicates == 1
    skipped = import_paths([folder], engine=store, duplicates="skip")
    assert not skipped.duplicates_pending
    assert [(f.inserted, f.replaced, f.unchanged, f.skipped) for f in skipped.files] == [(1, 0, 0, 1)]
    stored = load_table("primary_care_contacts", access=SYSTEM, engine=store)
    assert sorted(stored["contact_id"]) == ["C1", "C2", "D2"]
    anyway = import_paths([folder], engine=store, duplicates="import")
    assert [(f.inserted, f.unchanged) for f in anyway.files] == [(1, 1)]
    assert "Den importerades ändå." in anyway.summary()
    assert sorted(load_table("primary_care_contacts", access=SYSTEM, engine=store)["contact_id"]) == ["C1", "C2",
                                                                                                    "D1", "D2"]


def test_the_cli_asks_about_possible_duplicates(sqlite_store, tmp_path):
    write(tmp_path, "primary_care_contacts.csv", DUP_HEADER + DUP_STORED)
    assert import_paths([tmp_path], engine=sqlite_store).ok
    folder = _duplicate_delivery(tmp_path)
    env = {**os.environ, "DATABASE_URL": sqlite_store.url.render_as_string(hide_password=False),
           "PYTHONPATH": str(ROOT), "RECOMPUTE_AFTER_IMPORT": "0"}
    asked = subprocess.run([sys.executable, "-m", "data_access", "import", str(folder)], env=env,
                           capture_output=True, text=True, cwd=tmp_path)
    assert asked.returncode == 1 and "--duplicates import" in asked.stderr and "D1 = C1" in asked.stderr
    assert row_counts(engine=sqlite_store)["primary_care_contacts"] == 2
    done = subprocess.run([sys.executable, "-m", "data_access", "import", "--duplicates", "skip", str(folder)],
                          env=env, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert row_counts(engine=sqlite_store)["primary_care_contacts"] == 3
