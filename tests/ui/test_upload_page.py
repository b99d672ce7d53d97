"""Ladda upp data: the upload page with AppTest, and the import entry point it uses.

The page tests run against a store of their own (SQLite, one per test
module), never the shared sample store: an upload changes what it imports
into. The importer tests run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlalchemy import func, select

from data_access import importer, users
from data_access.access import PUBLIC_VIEWER, SYSTEM, AccessDenied, access_for
from data_access.db import make_engine, upgrade
from data_access.importer import import_paths, import_uploads
from data_access.models import ImportLog, IndicatorResult, IndicatorValue, Population
from tests.auth.conftest import ROOT, app_test, new_session, set_app_env

PAGE = str(ROOT / "pages" / "dataimport.py")
ADMIN = "t_upload_admin"

VALUES_CSV = (
    "indicator_id;indicator_name;municipality_code;period;value;source\n"
    "readmission_30d_65;;0000;2024;16,1;Kolada N00000\n"
    "readmission_30d_65;;0014;2024;15,2;Kolada N00000\n"
    "readmission_30d_65;;1490;2024;14,0;Kolada N00000\n"
).encode("utf-8")
# Row 2: an unknown municipality code; row 3: a negative population; row 4 is fine.
BAD_POPULATION = (
    "municipality_code,year,age_band,sex,population\n"
    "9999,2024,80-84,K,120\n"
    "1490,2024,80-84,M,-3\n"
    "1490,2024,75-79,K,4000\n"
).encode("utf-8")


def count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


# --- the page ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def upload_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('upload') / 'store.db'}"
    engine = make_engine(url)
    upgrade(engine)
    users.create_user(engine, access=SYSTEM, username=ADMIN, display_name="Uppladdare", password="rätt-lösenord-ul",
                      grants=[("admin", None)], rounds=4)
    users.create_user(engine, access=SYSTEM, username="t_upload_pol", display_name="P", password="rätt-lösenord-pol",
                      grants=[("politiker", None)], rounds=4)
    engine.dispose()
    return url


@pytest.fixture
def upload_engine(upload_url, monkeypatch):
    set_app_env(monkeypatch, upload_url)
    engine = make_engine(upload_url)
    with engine.begin() as conn:  # every test starts from an empty store (users stay)
        conn.execute(IndicatorValue.__table__.delete())
        conn.execute(Population.__table__.delete())
        conn.execute(ImportLog.__table__.delete())
    yield engine
    engine.dispose()


def admin_page(engine):
    return app_test(PAGE, sid=new_session(engine, ADMIN)).run()


def upload(at, *files: tuple[str, bytes]):
    at.file_uploader(key="upload_files").set_value([(n, b, "text/csv") for n, b in files]).run()
    at.button(key="upload_go").click().run()
    assert not at.exception, at.exception
    return at


def history(at) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "sha256" in d.value.columns)


def test_a_valid_file_is_stored_and_shows_in_the_history(upload_engine):
    at = upload(admin_page(upload_engine), ("indicator_values.csv", VALUES_CSV))
    assert at.success and "Importen är klar" in at.success[0].value
    result = next(d.value for d in at.dataframe if "Nya" in d.value.columns and "Fil" in d.value.columns
                  and "sha256" not in d.value.columns)
    assert result.to_dict("records") == [{"Fil": "indicator_values.csv", "Tabell": "indikatorvärden (externa)",
                                          "Rader i filen": 3, "Nya": 3, "Ersatta": 0, "Oförändrade": 0}]
    assert count(upload_engine, IndicatorValue) == 3
    row = history(at).iloc[0]
    import hashlib

    assert (row["Vem"], row["Fil"], row["Utfall"], row["Nya"]) == (ADMIN, "indicator_values.csv", "Importerad", 3)
    assert row["sha256"] == hashlib.sha256(VALUES_CSV).hexdigest()
    with upload_engine.connect() as conn:
        assert conn.execute(select(ImportLog.user_name)).scalar_one() == ADMIN


def test_re_uploading_an_unchanged_file_changes_nothing_and_says_so(upload_engine):
    at = upload(admin_page(upload_engine), ("indicator_values.csv", VALUES_CSV))
    at = upload(at, ("indicator_values.csv", VALUES_CSV))
    assert any("Samma data var redan importerad" in i.value for i in at.info)
    result = next(d.value for d in at.dataframe if "Oförändrade" in d.value.columns and "sha256" not in d.value.columns)
    assert (result.loc[0, "Nya"], result.loc[0, "Ersatta"], result.loc[0, "Oförändrade"]) == (0, 0, 3)
    assert list(history(at)["Utfall"][:2]) == ["Oförändrad", "Importerad"]
    assert count(upload_engine, IndicatorValue) == 3


def test_a_file_with_errors_stores_nothing_and_reports_file_row_column(upload_engine):
    at = upload(admin_page(upload_engine), ("indicator_values.csv", VALUES_CSV), ("population.csv", BAD_POPULATION))
    assert at.error and at.error[0].value.startswith("Importen avbröts: 2 fel hittades. Ingenting har sparats.")
    report = next(d.value for d in at.dataframe if "Orsak" in d.value.columns)
    assert list(report.columns) == ["Fil", "Rad", "Kolumn", "Orsak"]
    got = [(r.Fil, int(r.Rad), r.Kolumn) for r in report.itertuples()]
    assert sorted(got) == [("population.csv", 2, "municipality_code"), ("population.csv", 3, "population")]
    assert any("-3" in r.Orsak and "0" in r.Orsak for r in report.itertuples() if r.Kolumn == "population")
    # all or nothing: the valid file beside it is not stored either
    assert count(upload_engine, IndicatorValue) == 0 and count(upload_engine, Population) == 0
    rejected = history(at)
    assert set(rejected["Utfall"]) == {"Avvisad"} and set(rejected["Fil"]) == {"indicator_values.csv", "population.csv"}
    assert at.get("download_button"), "the full report can be downloaded"


def test_the_report_csv_holds_every_problem():
    from data_access.validation import ValidationIssue
    from ui.upload import report_csv

    errors = [ValidationIssue("a.csv", 2, "x", "Fel ett."), ValidationIssue("b.xlsx (blad y)", None, None, "Fel två.")]
    text = report_csv(errors).decode("utf-8-sig")
    assert text.splitlines() == ["Fil;Rad;Kolumn;Orsak", "a.csv;2;x;Fel ett.", "b.xlsx (blad y);;;Fel två."]


FORMULA = '=HYPERLINK("http://x","y")'
FORMULA_CELLS = [FORMULA, "+1+1", "-1+1", "@SUM(A1)", "\tTAB", "\rCR"]


def report_rows(data: bytes) -> list[list[str]]:
    import csv
    import io

    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_the_report_csv_neutralises_formulas_like_every_export():
    from data_access.validation import ValidationIssue
    from ui.exports import neutralise
    from ui.upload import report_csv

    errors = [ValidationIssue(f"{cell}.csv", 2, cell, cell) for cell in FORMULA_CELLS]
    rows = report_csv(errors + [ValidationIssue("a.csv", 3, "x", "'=1' är inget heltal."),
                                ValidationIssue("a\r=1+1.csv", 4, "b\r=1+1", "c\r=1+1")])
    assert report_rows(rows)[1:] == [[neutralise(f"{c}.csv"), "2", neutralise(c), neutralise(c)] for c in FORMULA_CELLS] + [
        ["a.csv", "3", "x", "'=1' är inget heltal."],
        ["a\r=1+1.csv", "4", "b\r=1+1", "c\r=1+1"],  # a carriage return stays inside its quoted cell
    ]
    assert all(row[0].startswith("'") and row[2].startswith("'") for row in report_rows(rows)[1:-2])


def test_an_upload_with_formula_headers_values_and_names_gives_a_neutralised_report(sqlite_store):
    from data_access.neutralise import neutralise
    from ui.upload import report_csv

    quoted = '"' + FORMULA.replace('"', '""') + '"'
    population = (f"municipality_code,year,age_band,sex,population,{quoted},{quoted},@SUM(A1),@SUM(A1)\n"
                  "1490,2024,80-84,K,10,1,2,3,4\n").encode()
    values = ("indicator_id,municipality_code,period,value,source\n"
              f"x,1490,{quoted},{quoted},+Kolada\n").encode()
    outcome = import_uploads([("population.csv", population), ("indicator_values.csv", values),
                              ("=1+2.csv", b"a,b\n1,2\n"), ("@SUM(A1).csv", b"a,b\n1,2\n")],
                             access=SYSTEM, engine=sqlite_store)
    errors = outcome.result.errors
    assert not outcome.result.ok
    rows = report_rows(report_csv(errors))
    assert rows[1:] == [[neutralise(e.file), "" if e.row is None else str(e.row), neutralise(e.column or ""),
                         neutralise(e.message)] for e in errors]
    cells = [cell for row in rows[1:] for cell in (row[0], row[2], row[3])]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert {f"'{FORMULA.lower()}", "'@sum(a1)", "'=1+2.csv", "'@SUM(A1).csv"} <= set(cells)
    assert count(sqlite_store, Population) == 0 and count(sqlite_store, IndicatorValue) == 0


def test_a_non_admin_cannot_open_the_page(upload_engine):
    at = app_test(PAGE, sid=new_session(upload_engine, "t_upload_pol")).run()
    assert not at.file_uploader
    assert count(upload_engine, IndicatorValue) == 0


# --- the import entry point ----------------------------------------------------------------


def values_csv(n: int, value: float = 1.0) -> bytes:
    lines = ["indicator_id,municipality_code,period,value,source"]
    lines += [f"ext_{i // 8},{code},2024,{value + i % 7},Test" for i, code in
              zip(range(n), __import__("itertools").cycle(["1490", "1463", "1491", "1443", "1442", "1465", "1466",
                                                          "1440"]), strict=False)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_a_large_files_progress_is_reported_chunk_by_chunk(store, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK_ROWS", 1000)
    calls: list[tuple[str, float]] = []
    outcome = import_uploads([("indicator_values.csv", values_csv(4500))], access=SYSTEM, engine=store,
                             progress=lambda step, frac: calls.append((step, frac)))
    assert outcome.result.ok and outcome.result.files[0].inserted == 4500
    fractions = [f for _, f in calls]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    storing = [round(f, 6) for s, f in calls if s.startswith("Sparar")]
    # 0.4 + 0.45 × rows/4500 after each chunk of 1000 rows (the first call: before any row)
    assert storing == [0.4, 0.5, 0.6, 0.7, 0.8, 0.85]
    assert outcome.recomputed is None  # values from elsewhere need no recompute
    # a second upload merges through the staging table, again chunk by chunk
    calls.clear()
    again = import_uploads([("indicator_values.csv", values_csv(4500, value=2.0))], access=SYSTEM, engine=store,
                           progress=lambda step, frac: calls.append((step, frac)))
    assert (again.result.files[0].inserted, again.result.files[0].replaced) == (0, 4500)
    assert [round(f, 6) for s, f in calls if s.startswith("Sparar")] == [0.4, 0.5, 0.6, 0.7, 0.8, 0.85]


@pytest.mark.parametrize("viewer", [PUBLIC_VIEWER, access_for("p", [("politiker", None)]),
                                    access_for("l", [("ledningsgrupp", "1490")]), None])
def test_only_admins_and_system_may_import(sqlite_store, tmp_path, viewer):
    (tmp_path / "indicator_values.csv").write_bytes(VALUES_CSV)
    with pytest.raises(AccessDenied):
        import_uploads([("indicator_values.csv", VALUES_CSV)], access=viewer, engine=sqlite_store)
    with pytest.raises(AccessDenied):
        import_paths([tmp_path], engine=sqlite_store, access=viewer)
    assert count(sqlite_store, IndicatorValue) == 0 and count(sqlite_store, ImportLog) == 0
    assert import_uploads([("indicator_values.csv", VALUES_CSV)], access=access_for("anna", [("admin", None)]),
                          engine=sqlite_store).result.ok


def test_a_changed_source_table_is_recomputed(sqlite_store):
    population = b"municipality_code,year,age_band,sex,population\n1490,2024,80-84,K,4000\n1490,2024,80-84,M,3000\n"
    outcome = import_uploads([("population.csv", population)], access=SYSTEM, engine=sqlite_store, recompute=True)
    assert outcome.result.ok and outcome.recomputed and outcome.recomputed.startswith("Indikatorerna är omräknade")
    again = import_uploads([("population.csv", population)], access=SYSTEM, engine=sqlite_store, recompute=True)
    assert again.recomputed is None and not again.result.changed  # nothing changed, nothing to recompute


def test_recompute_never_mixes_indicator_values_into_computed_results(tmp_path):
    """The stored indicator table is the same with and without (absurd) values from elsewhere."""
    from data_access.recompute import recompute_store

    sample = ROOT / "sample_data" / "default"
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    upgrade(engine)
    wanted = ("population", "hospital_stays")
    folder = tmp_path / "in"
    folder.mkdir()
    for name in wanted:  # Bollebygd only: small and fast, and the readmission indicator can be computed
        frame = pd.read_csv(sample / f"{name}.csv", dtype=str)
        frame[frame["municipality_code"] == "1443"].to_csv(folder / f"{name}.csv", index=False)
    assert import_paths([folder], engine=engine).ok
    recompute_store(engine=engine)

    def results() -> pd.DataFrame:
        with engine.connect() as conn:
            frame = pd.read_sql(select(IndicatorResult.__table__), conn)
        return frame.drop(columns="computed_at").sort_values(
            ["indicator_id", "municipality_code", "sex", "period", "period_type"]).reset_index(drop=True)

    before = results()
    readm = before[(before["indicator_id"] == "readmission_30d_65") & (before["period_type"] == "year")
                   & (before["municipality_code"] == "1443") & (before["sex"] == "T") & before["numerator"].notna()]
    assert len(readm), "the test needs a computed readmission value to compare"
    period = readm["period"].iloc[-1]
    absurd = (
        "indicator_id,municipality_code,period,numerator,denominator,value,source\n"
        f"readmission_30d_65,1443,{period},99999,100000,99.99,Kolada N00000\n"
        f"readmission_30d_65,0000,{period},50000,100000,50,Kolada N00000\n"
    )
    (tmp_path / "indicator_values.csv").write_text(absurd, encoding="utf-8")
    assert import_paths([tmp_path / "indicator_values.csv"], engine=engine).ok
    recompute_store(engine=engine)
    after = results()
    pd.testing.assert_frame_equal(before, after)
    row = after[(after["indicator_id"] == "readmission_30d_65") & (after["period_type"] == "year")
                & (after["municipality_code"] == "1443") & (after["sex"] == "T") & (after["period"] == period)]
    assert float(row["numerator"].iloc[0]) < 99999 and float(row["value"].iloc[0]) != 99.99
    engine.dispose()


def test_a_saved_kolada_answer_can_be_uploaded_on_the_page(upload_engine, monkeypatch):

    saved = (ROOT / "tests" / "fixtures" / "kolada" / "saved_two_pages.json").read_bytes()
    at = admin_page(upload_engine)
    at.file_uploader(key="upload_kolada_file").set_value(("svar.json", saved, "application/json")).run()
    at.button(key="upload_kolada_go").click().run()
    assert not at.exception, at.exception
    text = at.success[0].value
    assert "20 värden från Kolada, 4 saknade eller sekretessmarkerade" in text  # T, K and M (default mapping)
    assert "X99999" in text and "G123" in text  # not mapped / no area: skipped and said so
    assert count(upload_engine, IndicatorValue) == 20
    row = history(at).iloc[0]
    assert (row["Vem"], row["Fil"], row["Nya"]) == (ADMIN, "svar.json", 20)


def test_a_kolada_file_that_is_not_json_is_refused(upload_engine):
    at = admin_page(upload_engine)
    at.file_uploader(key="upload_kolada_file").set_value(("svar.json", b"<html>", "application/json")).run()
    at.button(key="upload_kolada_go").click().run()
    assert at.error and "inte giltig JSON" in at.error[0].value
    assert count(upload_engine, IndicatorValue) == 0


# --- the Kolada catalogue and mappings on the admin's data page (issue 19) ---------------------------


def test_admin_searches_the_stored_catalogue_and_maps_a_kpi_with_who_and_when(upload_engine):
    from data_access import kolada

    catalogue = (ROOT / "tests" / "fixtures" / "kolada" / "catalogue.json").read_bytes()
    at = admin_page(upload_engine)
    mappings = next(d.value for d in at.dataframe if "Koladas titel" in d.value.columns)
    assert list(mappings["Nyckeltal"]) == ["N20506", "U79092", "U79029"]
    assert set(mappings["Kopplad"]) == {"Standard (kolada_kpis.csv)"}
    assert any("Ingen nyckeltalskatalog är sparad" in i.value for i in at.info)

    at.file_uploader(key="kolada_catalogue_file").set_value(("kpi.json", catalogue, "application/json")).run()
    at.button(key="kolada_catalogue_go").click().run()
    assert not at.exception, at.exception
    assert any("5 nyckeltal sparades i katalogen." in s.value for s in at.success)

    at.text_input(key="kolada_search").set_value("utskrivningsklara").run()
    found = next(d.value for d in at.dataframe if "Per kön" in d.value.columns)
    assert found.to_dict("list") == {
        "Nyckeltal": ["U79135"], "Titel": ["Utskrivningsklara patienter på sjukhus 65+, antal vårddygn/1000 inv"],
        "Nivå": ["region"], "Per kön": ["nej"], "Senaste år": ["2024"],
    }
    at.selectbox(key="kolada_map_kpi").set_value("U79135")
    at.selectbox(key="kolada_map_indicator").set_value("acute_bed_days_75_per_1000")
    at.text_area(key="kolada_map_note").set_value("Utskrivningsklara dygn, inte alla akuta vårddygn.")
    at.button(key="FormSubmitter:kolada_map_form-Koppla").click().run()
    assert not at.exception, at.exception
    made = kolada.app_mappings(upload_engine)
    assert list(zip(made["kpi_id"], made["indicator_id"], made["mapped_by"], strict=True)) == [
        ("U79135", "acute_bed_days_75_per_1000", ADMIN)
    ]
    mappings = next(d.value for d in at.dataframe if "Koladas titel" in d.value.columns)
    row = mappings.set_index("Nyckeltal").loc["U79135"]
    assert row["Kopplad"].startswith(f"Kopplad i appen av {ADMIN} ")
    assert "U79135" in kolada.effective_mapping(upload_engine)

    at.selectbox(key="kolada_unmap_kpi").set_value("U79135").run()
    at.button(key="kolada_unmap_go").click().run()
    assert kolada.app_mappings(upload_engine).empty
    assert any("Kopplingen för U79135 togs bort" in s.value for s in at.success)


def test_mapping_without_a_choice_says_so_and_stores_nothing(upload_engine):
    from data_access import kolada

    kolada.store_catalogue(kolada.parse_catalogue(json.loads(
        (ROOT / "tests" / "fixtures" / "kolada" / "catalogue.json").read_text(encoding="utf-8"))),
        access=SYSTEM, engine=upload_engine)  # fmt: skip
    at = admin_page(upload_engine)
    at.button(key="FormSubmitter:kolada_map_form-Koppla").click().run()
    assert any("Välj både nyckeltal och indikator." in e.value for e in at.error)
    assert kolada.app_mappings(upload_engine).empty


def test_a_header_only_file_is_a_delivery_of_zero_rows_beside_the_others(upload_engine):
    """Issue 22: a header-only file never stops the other files, and the report says 0 rader."""
    header_only = b"municipality_code,year,age_band,sex,population\n"
    at = upload(admin_page(upload_engine), ("indicator_values.csv", VALUES_CSV), ("population.csv", header_only))
    assert at.success and "Importen är klar" in at.success[0].value
    result = next(d.value for d in at.dataframe if "Rader i filen" in d.value.columns)
    rows = {r["Fil"]: (r["Rader i filen"], r["Nya"]) for r in result.to_dict("records")}
    assert rows == {"indicator_values.csv": (3, 3), "population.csv": (0, 0)}
    assert count(upload_engine, IndicatorValue) == 3 and count(upload_engine, Population) == 0


def test_a_whole_file_problem_has_no_none_in_the_row_column(upload_engine):
    at = upload(admin_page(upload_engine), ("population.csv", b"municipality_code,year\n1490,2025\n"))
    report = next(d.value for d in at.dataframe if "Orsak" in d.value.columns)
    assert set(report["Rad"]) == {"hela filen"}
    assert "None" not in report.to_string() and "<NA>" not in report.to_string()


def test_a_dry_run_on_the_page_shows_the_changes_per_municipality_and_stores_nothing(upload_engine):
    """Issue 22: the upload page shows what would change before anything is stored."""
    at = admin_page(upload_engine)
    at.file_uploader(key="upload_files").set_value([("indicator_values.csv", VALUES_CSV, "text/csv")]).run()
    at.button(key="upload_dry_run").click().run()
    assert not at.exception, at.exception
    assert any(i.value.startswith("Provkörning: så här skulle importen ändra databasen. Ingenting har sparats.")
               for i in at.info)
    table = next(d.value for d in at.dataframe if "Kommun" in d.value.columns and "Nya" in d.value.columns)
    assert table[["Kommun", "Nya", "Ersatta", "Oförändrade"]].values.tolist() == [
        ["Riket", 1, 0, 0], ["Västra Götalands län", 1, 0, 0], ["Borås", 1, 0, 0]]
    assert count(upload_engine, IndicatorValue) == 0
    assert not [d for d in at.dataframe if "sha256" in d.value.columns and len(d.value)]  # nothing logged


def test_possible_duplicates_are_listed_and_the_admin_chooses(upload_engine):
    """Issue 22: rows identical to stored ones but for the id are a warning with the rows listed; nothing is
    stored until the admin chooses to import them anyway or to skip them."""
    from data_access.models import PrimaryCareContact

    header = "contact_id,person_id,municipality_code,care_centre,contact_time,contact_type\n"
    stored = header + "C1,P1,1490,VC Sandared,2025-03-10 09:00,besok\n"
    again = header + "D1,P1,1490,VC Sandared,2025-03-10 09:00,besok\nD2,P2,1490,VC Sandared,2025-03-11 09:30,besok\n"
    with upload_engine.begin() as conn:
        conn.execute(PrimaryCareContact.__table__.delete())
    try:
        assert import_uploads([("primary_care_contacts.csv", stored.encode())], access=SYSTEM, engine=upload_engine,
                              recompute=False).result.ok
        at = upload(admin_page(upload_engine), ("primary_care_contacts.csv", again.encode()))
        assert at.warning and at.warning[0].value.startswith("Möjliga dubbletter")
        listed = next(d.value for d in at.dataframe if "Id i filen" in d.value.columns)
        assert listed.values.tolist() == [["primary_care_contacts.csv", "D1", "C1"]]
        assert count(upload_engine, PrimaryCareContact) == 1
        at.button(key="upload_dups_skip").click().run()
        assert not at.exception, at.exception
        assert at.success and "Importen är klar" in at.success[0].value
        assert any("Raden hoppades över" in i.value for i in at.info)
        with upload_engine.connect() as conn:
            ids = sorted(conn.execute(select(PrimaryCareContact.contact_id)).scalars())
        assert ids == ["C1", "D2"]
    finally:
        with upload_engine.begin() as conn:
            conn.execute(PrimaryCareContact.__table__.delete())
