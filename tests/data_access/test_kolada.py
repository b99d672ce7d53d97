"""Kolada API v3 answers → indicator_values: paging, missing and confidential values, K/M/T, the CLI.

The fixtures in tests/fixtures/kolada/ are hand-written in the documented
format; no test touches the network (fetching gets a fake ``get``).
"""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from sqlalchemy import select

from data_access import kolada
from data_access.access import PUBLIC_VIEWER, SYSTEM, AccessContext, AccessDenied, access_for
from data_access.contract import SODRA_ALVSBORG
from data_access.models import ImportLog, IndicatorValue
from metrics.registry import INDICATORS
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "kolada"
MAPPING = kolada.load_mapping()  # the default set: N20506, U79092, U79029 (../shared/spec/kolada.md)


def pages() -> list[dict]:
    return [json.loads((FIXTURES / f"page{i}.json").read_text(encoding="utf-8")) for i in (1, 2)]


def stored(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(select(IndicatorValue.__table__)).mappings().all()
    return pd.DataFrame([dict(r) for r in rows]).sort_values(["indicator_id", "municipality_code", "period", "sex"])


# What the two fixture pages hold (hand-written, values synthetic): (KPI, area, year, sex) -> value.
EXPECTED = {
    ("N20506", "0000", "2024", "K"): 16.1, ("N20506", "0000", "2024", "M"): 15.4, ("N20506", "0000", "2024", "T"): 15.8,
    ("N20506", "1490", "2024", "K"): 14.2, ("N20506", "1490", "2024", "T"): 14.9,
    ("U79092", "0014", "2024", "K"): 17.0, ("U79092", "0014", "2024", "M"): 18.2, ("U79092", "0014", "2024", "T"): 17.6,
    ("U79092", "0000", "2024", "K"): 17.5, ("U79092", "0000", "2024", "M"): 18.6, ("U79092", "0000", "2024", "T"): 18.0,
    ("U79029", "0014", "2024", "K"): 560.3, ("U79029", "0014", "2024", "M"): 480.1, ("U79029", "0014", "2024", "T"): 528.4,
    ("U79029", "0000", "2024", "K"): 540.0, ("U79029", "0000", "2024", "M"): 470.2, ("U79029", "0000", "2024", "T"): 510.9,
    ("N20506", "0000", "2025", "K"): 16.3, ("N20506", "0000", "2025", "M"): 15.9, ("N20506", "0000", "2025", "T"): 16.1,
}  # fmt: skip
MISSING = {("N20506", "1490", "2024", "M"), ("N20506", "1463", "2024", "K"), ("N20506", "1463", "2024", "M"),
           ("N20506", "1463", "2024", "T")}  # fmt: skip
INDICATOR = {"N20506": "readmission_30d_65", "U79092": "readmission_30d_65", "U79029": "ed_visits_80_per_1000"}


def as_keys(frame: pd.DataFrame) -> dict:
    return {(r.source.split(" ")[1], r.municipality_code, str(r.period), r.sex): r.value for r in frame.itertuples()}


# --- parsing ----------------------------------------------------------------------


def test_a_page_is_parsed_by_gender_and_gives_the_next_page():
    frame, next_page = kolada.parse_page(pages()[0])
    assert next_page.endswith("?page=2&per_page=5")
    assert len(frame) == 15  # 5 areas × K, M, T
    boras = frame[(frame["municipality"] == "1490") & (frame["period"] == "2024")].set_index("gender")["value"]
    assert boras[["K", "T"]].to_dict() == {"K": 14.2, "T": 14.9} and math.isnan(boras["M"])
    assert kolada.parse_page(pages()[1])[1] is None


def test_missing_and_confidential_values_stay_missing_never_zero():
    frame = kolada.parse_pages(pages())
    boras_men = frame[(frame["municipality"] == "1490") & (frame["gender"] == "M")].iloc[0]
    assert math.isnan(boras_men["value"]) and boras_men["status"] == "Missing"
    secret = frame[frame["municipality"] == "1463"]
    assert len(secret) == 3 and secret["value"].isna().all() and set(secret["status"]) == {"Confidential"}
    assert (frame["value"] == 0).sum() == 0


def test_t_k_and_m_become_indicator_values_with_codes_source_and_sex():
    values, missing, unmapped, skipped = kolada.to_indicator_values(kolada.parse_pages(pages()), MAPPING)
    assert as_keys(values) == EXPECTED
    assert {(k, INDICATOR[k]) for k in INDICATOR} == {
        (s.split(" ")[1], i) for s, i in zip(values["source"], values["indicator_id"], strict=True)
    }
    got_missing = {(r.source.split(" ")[1], r.municipality_code, r.period, r.sex) for r in missing.itertuples()}
    assert got_missing == MISSING
    assert unmapped == ["X99999"] and skipped == ["G123"]
def test_an_answer_that_is_not_kolada_is_refused():
    with pytest.raises(ValueError, match="values"):
        kolada.parse_page({"data": []})


# --- fetching follows next_page ------------------------------------------------------


def test_fetch_follows_next_page_with_a_timeout():
    first, second = pages()
    calls = []

    def fake_get(url, timeout):
        calls.append((url, timeout))
        return first if len(calls) == 1 else second

    url = kolada.data_url(["N20506", "U79029"], ["0000", "1490"], [2024, 2025])
    assert url == "https://api.kolada.se/v3/data/kpi/N20506,U79029/municipality/0000,1490/year/2024,2025"
    got = kolada.fetch(url, timeout=7.5, get=fake_get)
    assert got == [first, second]
    assert calls == [(url, 7.5), (first["next_page"], 7.5)]


def test_fetch_stops_on_a_next_page_loop():
    looping = {"values": [], "next_page": "https://api.kolada.se/v3/x?page=1"}
    calls = []
    kolada.fetch("https://api.kolada.se/v3/x?page=1", get=lambda u, t: calls.append(u) or looping)
    assert len(calls) == 1


def test_fetch_retries_three_times_with_backoff_then_says_so_in_swedish():
    first, second = pages()
    failures = {"n": 0}
    waits = []

    def flaky(url, timeout):
        if url == first["next_page"] and failures["n"] < 2:
            failures["n"] += 1
            raise TimeoutError("timed out")
        return first if "page=2" not in url else second

    assert kolada.fetch("https://api.kolada.se/v3/a", get=flaky, sleep=waits.append) == [first, second]
    assert waits == [1.0, 2.0]

    def offline(url, timeout):
        raise OSError("Name or service not known")

    waits.clear()
    with pytest.raises(kolada.KoladaUnreachable, match="Kolada kunde inte nås efter 4 försök") as caught:
        kolada.fetch("https://api.kolada.se/v3/a", get=offline, sleep=waits.append)
    assert "redan sparade värden är kvar" in str(caught.value)
    assert waits == [1.0, 2.0, 4.0]


# --- into the store ------------------------------------------------------------------


def test_import_stores_t_k_m_and_re_import_changes_nothing(store):
    first = kolada.import_kolada(pages(), access=SYSTEM, engine=store, mapping=MAPPING, file_name="k.json")
    assert first.result.ok and first.stored == 20 and first.missing == 4
    assert [(f.inserted, f.replaced, f.unchanged) for f in first.result.files] == [(20, 0, 0)]
    rows = stored(store)
    assert as_keys(rows) == EXPECTED
    assert set(rows["source"]) == {"Kolada N20506", "Kolada U79092", "Kolada U79029"}
    assert not (rows["municipality_code"] == "1463").any()  # confidential in every sex: no row
    assert not ((rows["municipality_code"] == "1490") & (rows["sex"] == "M")).any()  # missing: no row, never 0
    again = kolada.import_kolada(pages(), access=SYSTEM, engine=store, mapping=MAPPING, file_name="k.json")
    assert [(f.inserted, f.replaced, f.unchanged) for f in again.result.files] == [(0, 0, 20)]
    with store.connect() as conn:
        log = conn.execute(select(ImportLog.outcome, ImportLog.user_name).order_by(ImportLog.id)).all()
    assert [tuple(r) for r in log] == [("ok", "system"), ("unchanged", "system")]


def test_a_value_kolada_now_marks_missing_is_removed_in_that_sex_only(store):
    first, second = pages()
    kolada.import_kolada([first, second], access=SYSTEM, engine=store, mapping=MAPPING)
    revised = json.loads(json.dumps(first))
    revised["values"][0]["values"][0].update(value=None, status="Missing")  # riket N20506 2024, women
    out = kolada.import_kolada([revised], access=SYSTEM, engine=store, mapping=MAPPING)
    assert out.removed == 1
    rows = as_keys(stored(store))
    assert ("N20506", "0000", "2024", "K") not in rows
    assert rows[("N20506", "0000", "2024", "M")] == 15.4 and rows[("N20506", "0000", "2024", "T")] == 15.8
    assert 0 not in rows.values() and len(rows) == len(EXPECTED) - 1


@pytest.mark.parametrize("viewer", [PUBLIC_VIEWER, access_for("p", [("politiker", None)]), AccessContext(user="x")])
def test_only_admins_import(sqlite_store, viewer):
    with pytest.raises(AccessDenied):
        kolada.import_kolada(pages(), access=viewer, engine=sqlite_store, mapping=MAPPING)
    admin = access_for("anna", [("admin", None)])
    assert kolada.import_kolada(pages(), access=admin, engine=sqlite_store, mapping=MAPPING).result.ok
    with sqlite_store.connect() as conn:
        assert conn.execute(select(ImportLog.user_name)).scalar_one() == "anna"


def _cli(store, monkeypatch, *argv) -> int:
    from data_access.__main__ import main
    from data_access.db import get_engine
    from data_access.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", str(store.url))
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        return main(list(argv))
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()


def test_cli_imports_two_saved_pages_with_the_default_mapping(sqlite_store, monkeypatch, capsys):
    """The issue's "done when": ``kolada --file P1 --file P2`` gives the right T/K/M rows."""
    code = _cli(sqlite_store, monkeypatch, "kolada", "--file", str(FIXTURES / "page1.json"), "--file",
                str(FIXTURES / "page2.json"), "--user", "lisa")
    out = capsys.readouterr().out
    assert code == 0, out
    assert "20 värden från Kolada, 4 saknade eller sekretessmarkerade" in out
    assert "X99999" in out and "G123" in out
    rows = stored(sqlite_store)
    assert as_keys(rows) == EXPECTED
    assert {(k[0], i) for k, i in zip(as_keys(rows), rows["indicator_id"], strict=True)} <= set(INDICATOR.items())
    with sqlite_store.connect() as conn:
        assert conn.execute(select(ImportLog.user_name)).scalar_one() == "lisa"


def test_cli_imports_into_a_new_store_without_a_traceback(tmp_path, monkeypatch, capsys):
    from data_access.db import make_engine

    fresh = make_engine(f"sqlite:///{tmp_path / 'new.db'}")  # never migrated: the CLI creates the schema
    assert _cli(fresh, monkeypatch, "kolada", "--file", str(FIXTURES / "saved_two_pages.json")) == 0
    assert as_keys(stored(fresh)) == EXPECTED
    fresh.dispose()


def test_cli_imports_a_saved_list_of_pages_the_same_way(sqlite_store, monkeypatch, capsys):
    assert _cli(sqlite_store, monkeypatch, "kolada", "--file", str(FIXTURES / "saved_two_pages.json")) == 0
    assert as_keys(stored(sqlite_store)) == EXPECTED


def test_cli_fetch_offline_keeps_what_is_stored_and_says_so(sqlite_store, monkeypatch, capsys):
    _cli(sqlite_store, monkeypatch, "kolada", "--file", str(FIXTURES / "saved_two_pages.json"))
    capsys.readouterr()

    def offline(url, timeout):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(kolada, "_get_json", offline)
    monkeypatch.setattr(kolada.time, "sleep", lambda s: None)
    assert _cli(sqlite_store, monkeypatch, "kolada", "--fetch", "--years", "2024") == 1
    err = capsys.readouterr().err
    assert "Kolada kunde inte nås efter 4 försök" in err and "Ingenting har sparats." in err
    assert "Traceback" not in err
    assert as_keys(stored(sqlite_store)) == EXPECTED


def test_cli_fetch_asks_for_the_mapped_kpis_and_recent_years_by_default(sqlite_store, monkeypatch, capsys):
    asked = []

    def fake(url, timeout):
        asked.append(url)
        return {"values": [], "next_page": None}

    monkeypatch.setattr(kolada, "_get_json", fake)
    assert _cli(sqlite_store, monkeypatch, "kolada", "--fetch") == 0
    this_year = __import__("datetime").date.today().year
    areas = ["0000", "0014", *SODRA_ALVSBORG]  # riket, Västra Götalandsregionen, the eight municipalities
    assert asked == [kolada.data_url(["N20506", "U79092", "U79029"], areas, range(this_year - 6, this_year + 1))]


# --- the catalogue and the mappings made in the app ---------------------------------


def catalogue_pages() -> list[dict]:
    return json.loads((FIXTURES / "catalogue.json").read_text(encoding="utf-8"))


def test_the_catalogue_is_parsed_from_both_pages_with_level_sex_and_latest_year():
    frame = kolada.parse_catalogue(catalogue_pages())
    assert list(frame["kpi_id"]) == ["N20506", "N20897", "U79029", "U79092", "U79135"]
    row = frame.set_index("kpi_id")
    assert row.loc["N20506", "title"] == "Oplanerade återinskrivningar bland äldre, andel (%)"
    assert row.loc["N20506", "level"] == "K" and row.loc["U79092", "level"] == "L"
    assert list(row["by_sex"]) == [True, False, True, True, False]
    assert row.loc["U79092", "latest_year"] == 2025 and row.loc["U79135", "latest_year"] == 2024
    assert pd.isna(row.loc["N20897", "latest_year"])
    with pytest.raises(ValueError, match="nyckeltalskatalog"):
        kolada.parse_catalogue([{"data": []}])


def test_cli_catalogue_lists_stores_and_searches(sqlite_store, monkeypatch, capsys):
    code = _cli(sqlite_store, monkeypatch, "kolada", "--catalogue", "--file", str(FIXTURES / "catalogue.json"),
                "--search", "återinskriv")
    out = capsys.readouterr().out
    assert code == 0, out
    assert "5 nyckeltal sparades i katalogen." in out
    lines = [line for line in out.splitlines() if line.startswith(("N", "U"))]
    assert lines == [
        "N20506\tOplanerade återinskrivningar bland äldre, andel (%)\tkommun\tper kön\tsenaste år 2025",
        "U79092\tPatienter med oplanerad återinskrivning inom 30 dagar, andel (%)\tregion\tper kön\tsenaste år 2025",
    ]
    # the stored catalogue answers without a file; every word must match, in any case
    assert _cli(sqlite_store, monkeypatch, "kolada", "--catalogue", "--search", "AKUT 80") == 0
    out = capsys.readouterr().out
    assert [line.split("\t")[0] for line in out.splitlines() if line.startswith(("N", "U"))] == ["U79029"]
    assert "1 nyckeltal matchar 'AKUT 80'." in out


def test_cli_catalogue_without_a_stored_one_says_how(sqlite_store, monkeypatch, capsys):
    assert _cli(sqlite_store, monkeypatch, "kolada", "--catalogue") == 1
    assert "Ingen katalog är sparad" in capsys.readouterr().err


def test_admin_maps_a_catalogue_kpi_with_who_and_when_and_the_import_uses_it(store):
    kolada.store_catalogue(kolada.parse_catalogue(catalogue_pages()), access=SYSTEM, engine=store)
    assert list(kolada.search_catalogue("utskrivningsklara", engine=store)["kpi_id"]) == ["U79135"]
    admin = access_for("anna", [("admin", None)])
    with pytest.raises(AccessDenied):
        kolada.map_kpi("U79135", "acute_bed_days_75_per_1000", access=access_for("p", [("politiker", None)]),
                       engine=store)
    with pytest.raises(ValueError, match="finns inte i den sparade Kolada-katalogen"):
        kolada.map_kpi("Z00000", "acute_bed_days_75_per_1000", access=admin, engine=store)
    kolada.map_kpi("U79135", "acute_bed_days_75_per_1000", access=admin, engine=store, note="bara sammanhang")
    made = kolada.app_mappings(store).iloc[0]
    assert (made.kpi_id, made.indicator_id, made.mapped_by) == ("U79135", "acute_bed_days_75_per_1000", "anna")
    assert made.title.startswith("Utskrivningsklara") and made.mapped_at is not None
    mapping = kolada.effective_mapping(store)
    assert set(mapping) == {"N20506", "U79092", "U79029", "U79135"}  # the CSV set plus the app's
    doc = {"values": [{"kpi": "U79135", "municipality": "0014", "period": 2024,
                       "values": [{"gender": "T", "count": 1, "status": "", "value": 42.0}]}]}
    out = kolada.import_kolada([doc], access=SYSTEM, engine=store)
    assert out.result.ok and out.stored == 1 and not out.unmapped
    assert kolada.unmap_kpi("U79135", access=admin, engine=store)
    assert "U79135" not in kolada.effective_mapping(store)


def test_the_stored_search_lowers_swedish_letters_too(store):
    """SQLite's lower() leaves Ä as it is; the search must still find "Äldre…" when asked for "äldre"."""
    doc = {"values": [{"id": "X00001", "title": "Äldre med hemtjänst, andel (%)", "municipality_type": "K"},
                      {"id": "X00002", "title": "Övrigt", "municipality_type": "K"}]}
    kolada.store_catalogue(kolada.parse_catalogue([doc]), access=SYSTEM, engine=store)
    assert list(kolada.search_catalogue("äldre HEMTJÄNST", engine=store)["kpi_id"]) == ["X00001"]
    assert list(kolada.search_catalogue("", engine=store, limit=1)["kpi_id"]) == ["X00001"]


def test_nothing_is_mapped_automatically(store):
    kolada.store_catalogue(kolada.parse_catalogue(catalogue_pages()), access=SYSTEM, engine=store)
    assert kolada.app_mappings(store).empty
    assert set(kolada.effective_mapping(store)) == {"N20506", "U79092", "U79029"}


def test_the_mapping_table_holds_the_confirmed_ids_and_how_they_differ():
    frame = pd.read_csv(kolada.MAPPING_FILE, dtype=str, keep_default_na=False)
    assert list(frame.columns) == ["kpi_id", "indicator_id", "description_sv", "verified", "note"]
    assert dict(zip(frame["kpi_id"], frame["indicator_id"], strict=True)) == INDICATOR
    assert set(frame["indicator_id"]) <= set(INDICATORS)
    assert set(frame["verified"]) == {"ja"}
    titles = dict(zip(frame["kpi_id"], frame["description_sv"], strict=True))
    assert titles["N20506"] == "Oplanerade återinskrivningar bland äldre, andel (%)"  # Kolada's own titles
    assert titles["U79029"] == "Besök på akutmottagning - 80 år och äldre, antal/1000 inv"
    for note in frame["note"]:
        assert note.startswith("Källa: Koladas nyckeltalskatalog") and "Skillnad mot vår definition" in note
