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
from data_access.models import ImportLog, IndicatorValue
from metrics.registry import INDICATORS
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "kolada"
MAPPING = {
    "U00001": kolada.KpiMapping("U00001", "readmission_30d_65", "Återinskrivning (Kolada)", True, ""),
    "N00002": kolada.KpiMapping("N00002", "ed_visits_80_per_1000", "Akutbesök 80+ (Kolada)", True, ""),
}


def pages() -> list[dict]:
    return [json.loads((FIXTURES / f"page{i}.json").read_text(encoding="utf-8")) for i in (1, 2)]


def stored(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(select(IndicatorValue.__table__)).mappings().all()
    return pd.DataFrame([dict(r) for r in rows]).sort_values(["indicator_id", "municipality_code", "period"])


# --- parsing ----------------------------------------------------------------------


def test_a_page_is_parsed_by_gender_and_gives_the_next_page():
    frame, next_page = kolada.parse_page(pages()[0])
    assert next_page.endswith("?page=2&per_page=4")
    assert len(frame) == 12  # 4 areas/years × K, M, T
    boras = frame[(frame["municipality"] == "1490") & (frame["period"] == "2023")].set_index("gender")["value"]
    assert boras.to_dict() == {"K": 13.5, "M": 14.9, "T": 14.1}
    assert kolada.parse_page(pages()[1])[1] is None


def test_missing_and_confidential_values_stay_missing_never_zero():
    frame = kolada.parse_pages(pages())
    region_women = frame[(frame["municipality"] == "0014") & (frame["gender"] == "K")].iloc[0]
    assert math.isnan(region_women["value"]) and region_women["status"] == "Missing"
    secret = frame[(frame["municipality"] == "1490") & (frame["period"] == "2024")]
    assert secret["value"].isna().all() and set(secret["status"]) == {"Confidential"}
    assert (frame["value"] == 0).sum() == 0


def test_totals_become_indicator_values_with_codes_and_source():
    values, missing, unmapped, skipped = kolada.to_indicator_values(kolada.parse_pages(pages()), MAPPING)
    got = {(r.indicator_id, r.municipality_code, r.period): (r.value, r.source) for r in values.itertuples()}
    assert got == {
        ("readmission_30d_65", "0000", "2023"): (16.2, "Kolada U00001"),
        ("readmission_30d_65", "0014", "2023"): (15.4, "Kolada U00001"),
        ("readmission_30d_65", "1490", "2023"): (14.1, "Kolada U00001"),
        ("readmission_30d_65", "0000", "2024"): (16.0, "Kolada U00001"),
        ("ed_visits_80_per_1000", "1463", "2023"): (402.5, "Kolada N00002"),
    }
    assert list(zip(missing["municipality_code"], missing["period"], strict=True)) == [("1490", "2024")]
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

    url = kolada.data_url(["U00001", "N00002"], ["0000", "1490"], [2023, 2024])
    assert url == "https://api.kolada.se/v3/data/kpi/U00001,N00002/municipality/0000,1490/year/2023,2024"
    got = kolada.fetch(url, timeout=7.5, get=fake_get)
    assert got == [first, second]
    assert calls == [(url, 7.5), (first["next_page"], 7.5)]


def test_fetch_stops_on_a_next_page_loop():
    looping = {"values": [], "next_page": "https://api.kolada.se/v3/x?page=1"}
    calls = []
    kolada.fetch("https://api.kolada.se/v3/x?page=1", get=lambda u, t: calls.append(u) or looping)
    assert len(calls) == 1


# --- into the store ------------------------------------------------------------------


def test_import_stores_totals_and_re_import_changes_nothing(store):
    first = kolada.import_kolada(pages(), access=SYSTEM, engine=store, mapping=MAPPING, file_name="k.json")
    assert first.result.ok and first.stored == 5 and first.missing == 1
    assert [(f.inserted, f.replaced, f.unchanged) for f in first.result.files] == [(5, 0, 0)]
    rows = stored(store)
    assert len(rows) == 5 and set(rows["source"]) == {"Kolada U00001", "Kolada N00002"}
    assert rows.set_index(["municipality_code", "period"]).loc[("0014", "2023"), "value"] == 15.4
    assert not ((rows["municipality_code"] == "1490") & (rows["period"] == "2024")).any()  # confidential: no row
    again = kolada.import_kolada(pages(), access=SYSTEM, engine=store, mapping=MAPPING, file_name="k.json")
    assert [(f.inserted, f.replaced, f.unchanged) for f in again.result.files] == [(0, 0, 5)]
    with store.connect() as conn:
        log = conn.execute(select(ImportLog.outcome, ImportLog.user_name).order_by(ImportLog.id)).all()
    assert [tuple(r) for r in log] == [("ok", "system"), ("unchanged", "system")]


def test_a_value_kolada_now_marks_missing_is_removed_not_zeroed(store):
    first, second = pages()
    kolada.import_kolada([first, second], access=SYSTEM, engine=store, mapping=MAPPING)
    revised = json.loads(json.dumps(first))
    revised["values"][2]["values"][2].update(value=None, status="Missing")  # Borås 2023, total
    out = kolada.import_kolada([revised], access=SYSTEM, engine=store, mapping=MAPPING)
    assert out.removed == 1
    rows = stored(store)
    assert not ((rows["municipality_code"] == "1490") & (rows["period"] == "2023")).any()
    assert (rows["value"] == 0).sum() == 0 and len(rows) == 4


@pytest.mark.parametrize("viewer", [PUBLIC_VIEWER, access_for("p", [("politiker", None)]), AccessContext(user="x")])
def test_only_admins_import(sqlite_store, viewer):
    with pytest.raises(AccessDenied):
        kolada.import_kolada(pages(), access=viewer, engine=sqlite_store, mapping=MAPPING)
    admin = access_for("anna", [("admin", None)])
    assert kolada.import_kolada(pages(), access=admin, engine=sqlite_store, mapping=MAPPING).result.ok
    with sqlite_store.connect() as conn:
        assert conn.execute(select(ImportLog.user_name)).scalar_one() == "anna"


def test_cli_imports_a_saved_two_page_answer(sqlite_store, monkeypatch, capsys):
    from data_access.__main__ import main
    from data_access.db import get_engine
    from data_access.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", str(sqlite_store.url))
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        code = main(["kolada", "--file", str(FIXTURES / "saved_two_pages.json"), "--map", "U00001=readmission_30d_65",
                     "--map", "N00002=ed_visits_80_per_1000", "--user", "lisa"])
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()
    out = capsys.readouterr().out
    assert code == 0, out
    assert "5 värden från Kolada, 1 saknade eller sekretessmarkerade" in out
    assert "X99999" in out and "G123" in out
    rows = stored(sqlite_store)
    assert len(rows) == 5
    with sqlite_store.connect() as conn:
        assert conn.execute(select(ImportLog.user_name)).scalar_one() == "lisa"


def test_cli_fetch_without_years_is_a_usage_error(capsys):
    from data_access.__main__ import main

    assert main(["kolada", "--fetch", "--kpi", "U00001"]) == 2


def test_the_mapping_table_names_real_indicators_and_says_what_is_unverified():
    frame = pd.read_csv(kolada.MAPPING_FILE, dtype=str, keep_default_na=False)
    assert list(frame.columns) == ["kpi_id", "indicator_id", "description_sv", "verified", "note"]
    assert {"readmission_30d_65", "ed_visits_80_per_1000"} <= set(frame["indicator_id"])
    assert set(frame["indicator_id"]) <= set(INDICATORS)
    for row in frame.itertuples():
        assert row.verified in {"ja", "nej"}
        if row.verified == "nej":
            assert "EJ VERIFIERAT" in row.note
        assert row.note.strip()
