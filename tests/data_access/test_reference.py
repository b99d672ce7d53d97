"""Reference values (indicator_values): read within the viewer's scope, shown on Trender, Jämför and Dataunderlag."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from data_access.access import SYSTEM, AccessContext
from data_access.db import get_engine, make_engine, upgrade
from data_access.importer import import_paths
from data_access.reference import load_reference_values
from data_access.settings import get_settings
from tests.conftest import ROOT

VALUES = (
    "indicator_id,indicator_name,municipality_code,period,value,source\n"
    "readmission_30d_65,,1490,2024,14.0,Vårdanalys\n"
    "readmission_30d_65,,1463,2024,17.7,Vårdanalys\n"
    "readmission_30d_65,,0000,2024,16.1,Kolada N00000\n"
    "readmission_30d_65,,0014,2024,15.2,Kolada N00000\n"
    "ext_x,Något annat,1490,2024,3.0,Kolada N1\n"
)


def test_reference_values_by_indicator_and_scope(store, tmp_path):
    (tmp_path / "indicator_values.csv").write_text(VALUES, encoding="utf-8")
    assert import_paths([tmp_path], engine=store).ok
    everyone = load_reference_values(access=AccessContext(user="p"), indicator_id="readmission_30d_65", engine=store)
    assert sorted(everyone["municipality_code"]) == ["0000", "0014", "1463", "1490"]
    boras = AccessContext(user="b", municipalities=frozenset({"1490"}))
    scoped = load_reference_values(access=boras, indicator_id="readmission_30d_65", engine=store)
    assert sorted(scoped["municipality_code"]) == ["0000", "0014", "1490"]
    assert scoped.set_index("municipality_code").loc["0000", "source"] == "Kolada N00000"


# --- Kolada reference values on Trender, Jämför and Dataunderlag (issue 9) ------------------------------

KOLADA = ROOT / "tests" / "fixtures" / "kolada"


def test_areas_are_riket_the_region_and_the_municipalities():
    from ui.references import areas_for

    assert areas_for(["1490"]) == ["0000", "0014", "1490"]
    assert areas_for(["1490", "0180"]) == ["0000", "0001", "0014", "1490", "0180"]
    assert areas_for(["ALL"]) == ["0000", "0014"]  # the whole area lies in Västra Götaland


def test_the_kolada_table_has_a_row_per_area_and_swedish_numbers():
    from ui.references import kolada_table

    refs = pd.DataFrame(
        {
            "municipality_code": ["1490", "0000", "0014", "0000", "1463", "1490"],
            "period": ["2023", "2023", "2023", "2024", "2023", "2023"],
            "value": [14.1, 16.2, 15.44, 16.0, 12.0, 99.0],
            "source": ["Kolada U1", "Kolada U1", "Kolada U1", "Kolada U1", "Kolada U1", "Vårdanalys"],
        }
    )
    table = kolada_table(refs, ["0000", "0014", "1490"], "%")
    assert table.to_dict("list") == {
        "Område": ["Riket", "Västra Götalands län", "Borås"],
        "2023": ["16,2", "15,4", "14,1"],  # Mark (not asked for) and the other source are left out
        "2024": ["16,0", "–", "–"],
    }
    assert kolada_table(refs[refs["source"] == "Vårdanalys"], ["1490"], "%").empty


@pytest.fixture(scope="module")
def kolada_store_url(tmp_path_factory) -> str:
    """Bollebygd's stays and population (computed) plus the Kolada fixture mapped onto our indicators."""
    from data_access import kolada
    from data_access.recompute import recompute_store

    folder = tmp_path_factory.mktemp("kolada_app")
    url = f"sqlite:///{folder / 'store.db'}"
    engine = make_engine(url)
    upgrade(engine)
    source = folder / "in"
    source.mkdir()
    for name in ("population", "hospital_stays"):
        frame = pd.read_csv(ROOT / "sample_data" / "default" / f"{name}.csv", dtype=str)
        frame[frame["municipality_code"].isin(["1443", "1490"])].to_csv(source / f"{name}.csv", index=False)
    assert import_paths([source], engine=engine).ok
    recompute_store(engine=engine)
    docs = [json.loads((KOLADA / f"page{i}.json").read_text(encoding="utf-8")) for i in (1, 2)]
    mapping = {"U00001": kolada.KpiMapping("U00001", "readmission_30d_65", "Återinskrivning", True, "")}
    assert kolada.import_kolada(docs, access=SYSTEM, engine=engine, mapping=mapping).stored == 4
    engine.dispose()
    return url


@pytest.fixture
def kolada_app(kolada_store_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", kolada_store_url)
    monkeypatch.setenv("DEMO", "1")
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield
    get_settings.cache_clear()
    get_engine.cache_clear()


def _app(query: dict):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def test_trender_shows_kolada_values_for_riket_region_and_municipality(kolada_app):
    at = _app({"kommun": "1490"})
    at.switch_page("pages/trender.py").run()
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "Område" in d.value.columns)
    assert table.to_dict("list") == {"Område": ["Riket", "Västra Götalands län", "Borås"],
                                     "2023": ["16,2", "15,4", "14,1"], "2024": ["16,0", "–", "–"]}
    assert any(c.value.startswith("Källa: Kolada (nyckeltal U00001)") for c in at.caption)


def test_jamfor_marks_kolada_values(kolada_app):
    at = _app({"period": "ar"})
    at.switch_page("pages/jamfor.py").run()
    at.selectbox(key="cmp_period").set_value("2024").run()
    assert not at.exception, at.exception
    refs = at.dataframe[-1].value
    # 2024: only riket has a value; Borås's was confidential and is not shown as a number at all
    assert refs.to_dict("list") == {"Område": ["Riket"], "Period": ["2024"], "Värde": ["16,0 %"],
                                    "Källa": ["Kolada U00001"]}
    assert any(c.value.startswith("Källa: Kolada (nyckeltal U00001)") for c in at.caption)


def test_dataunderlag_shows_data_to_per_source_and_municipality_and_the_references(kolada_app):
    at = _app({})
    at.switch_page("pages/datastatus.py").run()
    assert not at.exception, at.exception
    fresh = next(d.value for d in at.dataframe if "Källa" in d.value.columns and "Bollebygd" in d.value.columns)
    stays = pd.read_csv(ROOT / "sample_data" / "default" / "hospital_stays.csv", dtype=str)
    last = {c: stays.loc[stays["municipality_code"] == c, "admission_time"].max()[:10] for c in ("1443", "1490")}
    row = fresh.set_index("Källa").loc["slutenvårdstillfällen"] if "slutenvårdstillfällen" in set(fresh["Källa"]) else None
    assert row is not None, list(fresh["Källa"])
    assert (row["Bollebygd"], row["Borås"]) == (last["1443"], last["1490"])
    refs = next(d.value for d in at.dataframe if "Data t.o.m." in d.value.columns)
    assert refs.set_index("Område").loc["Riket", "Data t.o.m."] == "2024"
    assert refs.set_index("Område").loc["Borås", "Data t.o.m."] == "2023"  # 2024 was confidential: not stored


def test_oversikt_tiles_say_data_to(kolada_app):
    at = _app({"kommun": "1490"})
    assert not at.exception, at.exception
    stays = pd.read_csv(ROOT / "sample_data" / "default" / "hospital_stays.csv", dtype=str)
    tiles = [m.value for m in at.markdown if "data t.o.m." in m.value]  # one Markdown element per tile
    assert tiles, "every tile with data says how fresh it is"
    latest = max(t.split("data t.o.m. ")[1][:10] for t in tiles)
    assert latest <= stays.loc[stays["municipality_code"] == "1490", "admission_time"].max()[:10]
