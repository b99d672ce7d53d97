"""AppTest: the app starts, navigates and shows what is loaded, without a browser."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data_access.db import get_engine
from data_access.importer import import_paths
from data_access.settings import get_settings

APP = Path(__file__).resolve().parents[2] / "app.py"

STAYS = (
    "stay_id,person_id,municipality_code,age,sex,admission_time,discharge_time,admission_type,discharge_to\n"
    "S1,P1,1490,80,K,2025-01-01 10:00,2025-01-05 12:00,akut,hem\n"
    "S2,P2,1463,70,M,2025-03-01 10:00,2025-03-05 12:00,akut,hem\n"
)


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.setenv("DEMO", "1")
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
    get_engine.cache_clear()


def test_empty_store_says_so_on_every_view(app_env):
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert not at.exception
    assert at.title[0].value == "Översikt"
    assert "Inga indikatorvärden är beräknade ännu" in at.info[0].value
    at.switch_page("pages/datastatus.py").run()
    assert at.title[0].value == "Dataunderlag – vad som finns inläst"
    assert "Ingen data är inläst ännu" in at.info[0].value


def test_loaded_rows_per_table_and_municipality(app_env):
    (app_env / "in").mkdir()
    (app_env / "in" / "hospital_stays.csv").write_text(STAYS, encoding="utf-8")
    assert import_paths([app_env / "in"], engine=get_engine()).ok
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    at.switch_page("pages/datastatus.py").run()
    assert not at.exception
    fresh, per_table, per_muni = at.dataframe[0].value, at.dataframe[1].value, at.dataframe[2].value
    # "data t.o.m." per source and municipality: the latest admission of each
    assert fresh.to_dict("records") == [{"Källa": "slutenvårdstillfällen", "Borås": "2025-01-01", "Mark": "2025-03-01"}]
    assert per_table.to_dict("records") == [
        {"Tabell": "slutenvårdstillfällen", "Rader": 2, "Från": "2025-01-01", "Till": "2025-03-01"}
    ]
    assert sorted(per_muni["Kommun"]) == ["Borås", "Mark"]
