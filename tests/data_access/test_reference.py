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


REFS = pd.DataFrame(
    {
        "municipality_code": ["1490", "0000", "0014", "0000", "1463", "1490", "0000", "0000", "1490"],
        "period": ["2023", "2023", "2023", "2024", "2023", "2023", "2024", "2024", "2023-Q1"],
        "value": [14.1, 16.2, 15.44, 16.0, 12.0, 99.0, 18.0, 15.5, 3.0],
        "source": ["Kolada N20506", "Kolada N20506", "Kolada U79092", "Kolada N20506", "Kolada N20506",
                   "Vårdanalys", "Kolada U79092", "Kolada N20506", "Kolada N20506"],
        "sex": ["T", "T", "T", "T", "T", "T", "T", "K", "T"],
    }
)
ORDER = ["N20506", "U79092"]


def boras_series(sex: str = "T"):
    from ui.references import kolada_rows, series_from

    return series_from(kolada_rows(REFS, sex), ["1490"], ORDER)


def test_kolada_series_per_kpi_and_area_in_order_for_one_sex():
    """Riket, region, municipality per KPI; other sources, other sexes, other municipalities and quarters left out."""
    assert boras_series() == (
        ("N20506", "0000", "Riket", "nation", ((2023, 16.2), (2024, 16.0))),
        ("N20506", "1490", "Borås", "municipality", ((2023, 14.1),)),
        ("U79092", "0000", "Riket", "nation", ((2024, 18.0),)),
        ("U79092", "0014", "Västra Götalands län", "region", ((2023, 15.44),)),
    )
    assert boras_series("K") == (("N20506", "0000", "Riket", "nation", ((2024, 15.5),)),)
    assert boras_series("M") == ()


def test_a_chart_shows_one_series_per_area_municipality_region_riket():
    from ui.references import one_per_area

    assert [(s[0], s[1]) for s in one_per_area(boras_series())] == [("N20506", "1490"), ("U79092", "0014"),
                                                                    ("N20506", "0000")]


def test_the_kolada_table_has_a_row_per_area_and_kpi_and_swedish_numbers():
    from ui.references import kolada_table

    assert kolada_table(boras_series(), "%").to_dict("list") == {
        "Område": ["Riket", "Borås", "Riket", "Västra Götalands län"],
        "Nyckeltal": ["N20506", "N20506", "U79092", "U79092"],
        "2023": ["16,2", "14,1", "–", "15,4"],
        "2024": ["16,0", "–", "18,0", "–"],
    }
    assert kolada_table((), "%").empty


def test_tile_line_and_reference_lines_take_each_areas_latest_year_of_the_first_kpi():
    from ui.references import reference_lines, tile_line

    # riket from N20506 (first in the mapping); the region only has U79092
    assert tile_line(boras_series(), "%") == "Kolada – Riket 2024: 16,0 % · Västra Götalands län 2023: 15,4 %"
    assert reference_lines(boras_series(), 2024, "%") == [
        (16.0, "Riket 2024: 16,0 % (Kolada N20506)"), (15.44, "Västra Götalands län 2023: 15,4 % (Kolada U79092)")
    ]
    assert reference_lines(boras_series(), 2023, "%")[0] == (16.2, "Riket 2023: 16,2 % (Kolada N20506)")
    assert reference_lines(boras_series(), 2022, "%") == []  # nothing from before the period's year
    assert tile_line((), "%") == ""


@pytest.fixture(scope="module")
def kolada_store_url(tmp_path_factory) -> str:
    """Bollebygd's and Borås's stays and population (computed) plus the Kolada fixture, default mapping."""
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
    assert kolada.import_kolada(docs, access=SYSTEM, engine=engine).stored == 20
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


def _kolada_traces(at) -> dict[str, list]:
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    return {t["name"]: t["y"] for t in spec["data"] if t.get("name", "").startswith("Kolada ")}


def test_trender_draws_kolada_series_beside_ours_with_source_and_difference(kolada_app):
    at = _app({"kommun": "1490", "tema": "Sjukhusvård"})
    at.switch_page("pages/trender.py").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="trend_indicator").value == "readmission_30d_65"
    # fixture values (synthetic): riket and Borås from N20506, the region and riket from U79092; Mark is not asked for
    # one series per area, from the first KPI with values for it (riket: N20506, not also U79092)
    assert _kolada_traces(at) == {"Kolada N20506: Borås": [14.9], "Kolada U79092: Västra Götalands län": [17.6],
                                  "Kolada N20506: Riket": [15.8, 16.1]}
    captions = [c.value.replace("\\", "") for c in at.caption]  # Markdown escapes removed
    assert any(c.startswith("Källa: Kolada, N20506 – Oplanerade återinskrivningar bland äldre, andel (%)") for c in captions)
    assert any(c.startswith("Källa: Kolada, U79092 – Patienter med oplanerad återinskrivning") for c in captions)
    notes = [m.value for m in at.markdown if "Skillnad mot vår definition" in m.value]
    assert len(notes) == 2  # one click away: the popover beside each source line
    at.toggle(key="tab-1490-readmission_30d_65").set_value(True).run()
    table = next(d.value for d in at.dataframe if "Nyckeltal" in d.value.columns)
    assert table.to_dict("list") == {  # the chart's series, as a table
        "Område": ["Borås", "Västra Götalands län", "Riket"],
        "Nyckeltal": ["N20506", "U79092", "N20506"],
        "2024": ["14,9", "17,6", "15,8"],
        "2025": ["–", "–", "16,1"],
    }


def test_trender_sex_filter_picks_koladas_k_and_m_values(kolada_app):
    at = _app({"kommun": "1490", "tema": "Sjukhusvård", "kon": "kvinnor"})
    at.switch_page("pages/trender.py").run()
    assert not at.exception, at.exception
    assert _kolada_traces(at) == {"Kolada N20506: Borås": [14.2], "Kolada U79092: Västra Götalands län": [17.0],
                                  "Kolada N20506: Riket": [16.1, 16.3]}
    at = _app({"kommun": "1490", "tema": "Sjukhusvård", "kon": "man"})
    at.switch_page("pages/trender.py").run()
    traces = _kolada_traces(at)
    assert "Kolada N20506: Borås" not in traces  # Borås's M value is missing in Kolada: no point, never 0
    assert traces["Kolada N20506: Riket"] == [15.4, 15.9]


def test_jamfor_draws_riket_and_region_lines_labelled_with_source_and_year(kolada_app):
    at = _app({"period": "ar"})
    at.switch_page("pages/jamfor.py").run()
    at.selectbox(key="cmp_period").set_value("2024").run()
    assert not at.exception, at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    lines = {t["name"]: t["x"] for t in spec["data"] if "Kolada" in t.get("name", "")}
    assert lines == {"Riket 2024: 15,8 % (Kolada N20506)": [15.8, 15.8],
                     "Västra Götalands län 2024: 17,6 % (Kolada U79092)": [17.6, 17.6]}
    refs = at.dataframe[-1].value
    riket = refs[refs["Område"] == "Riket"].set_index("Källa")["Värde"].to_dict()
    assert riket == {"Kolada N20506": "15,8 %", "Kolada U79092": "18,0 %"}
    assert not (refs["Område"] == "Mark").any()  # confidential in Kolada: no row


def test_oversikt_tile_says_riket_and_region_latest_kolada_year(kolada_app):
    at = _app({"kommun": "1490", "tema": "Sjukhusvård"})
    assert not at.exception, at.exception
    tile = next(m.value for m in at.markdown if m.value.startswith("**Oplanerad återinskrivning"))
    assert "Kolada – Riket 2025: 16,1 % · Västra Götalands län 2024: 17,6 %" in tile.replace("\\", "")
    at = _app({"kommun": "1490", "tema": "Sjukhusvård", "kon": "kvinnor"})
    tile = next(m.value for m in at.markdown if m.value.startswith("**Oplanerad återinskrivning"))
    assert "Kolada – Riket 2025: 16,3 % · Västra Götalands län 2024: 17,0 %" in tile.replace("\\", "")


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
    by_source = refs.set_index(["Källa", "Område"])
    assert by_source.loc[("Kolada N20506", "Riket"), "Data t.o.m."] == "2025"
    assert by_source.loc[("Kolada U79092", "Riket"), "Data t.o.m."] == "2024"
    assert by_source.loc[("Kolada N20506", "Borås"), "Data t.o.m."] == "2024"
    assert by_source.loc[("Kolada N20506", "Riket"), "Kön"] == "alla, kvinnor, män"
    assert by_source.loc[("Kolada N20506", "Borås"), "Kön"] == "alla, kvinnor"  # Borås's M value is missing
    assert "Mark" not in set(refs["Område"])  # confidential in every sex: nothing stored


def test_oversikt_tiles_say_data_to(kolada_app):
    at = _app({"kommun": "1490"})
    assert not at.exception, at.exception
    stays = pd.read_csv(ROOT / "sample_data" / "default" / "hospital_stays.csv", dtype=str)
    tiles = [m.value for m in at.markdown if "data t.o.m." in m.value]  # one Markdown element per tile
    assert tiles, "every tile with data says how fresh it is"
    latest = max(t.split("data t.o.m. ")[1][:10] for t in tiles)
    assert latest <= stays.loc[stays["municipality_code"] == "1490", "admission_time"].max()[:10]
