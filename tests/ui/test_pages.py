"""AppTest for every page: renders, filters change the content, query parameters restore a view."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from ui.labels import format_value

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGES = ["pages/oversikt.py", "pages/trender.py", "pages/jamfor.py", "pages/om_indikatorerna.py", "pages/datastatus.py"]


def run_app(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_without_exception(sample_app, page):
    at = run_app()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert at.title, "every page has a title"


def tile_names(at) -> list[str]:
    """The indicator names of the Översikt tiles (each tile is one Markdown element starting "**name**")."""
    return [m.value.split("\n", 1)[0].strip("*") for m in at.markdown if m.value.startswith("**")]


def test_overview_has_a_tile_per_indicator_and_area_heading(sample_app):
    from metrics.registry import INDICATORS

    at = run_app()
    assert [s.value for s in at.subheader] == ["Hela området"]
    names = tile_names(at)
    assert sorted(names) == sorted(ind.name_sv for ind in INDICATORS.values())  # tiles are laid out in 3 columns


def test_municipality_filter_changes_content_and_url(sample_app):
    at = run_app()
    at.multiselect(key="f_oversikt_kommun").set_value(["1463", "1491"]).run()
    assert [s.value for s in at.subheader] == ["Mark", "Ulricehamn"]
    assert at.query_params["kommun"] == "1463,1491"


def test_query_parameters_restore_a_view(sample_app):
    at = run_app({"kommun": "1442", "period": "kvartal", "tema": "Hembesök", "kon": "alla", "fran": "2025-01",
                  "till": "2026-06"})
    assert [s.value for s in at.subheader] == ["Vårgårda"]
    assert at.radio(key="f_oversikt_period").value == "kvartal"
    assert at.selectbox(key="f_oversikt_fran").value.isoformat() == "2025-01-01"
    names = tile_names(at)
    assert names and all("hem" in n.lower() for n in names)


def test_filters_carry_over_to_another_page(sample_app):
    at = run_app()
    at.multiselect(key="f_oversikt_kommun").set_value(["1463"]).run()
    at.switch_page("pages/trender.py").run()
    assert at.multiselect(key="f_trender_kommun").value == ["1463"]
    assert [h.value for h in at.header][0] == "Mark"


def test_unknown_query_values_fall_back_to_defaults(sample_app):
    at = run_app({"kommun": "9999,abc", "period": "vecka", "kon": "x"})
    assert not at.exception
    assert [s.value for s in at.subheader] == ["Hela området"]
    assert at.radio(key="f_oversikt_period").value == "manad"


def test_trend_chart_has_swedish_separators_and_table_alternative(sample_app):
    import json

    at = run_app({"tema": "Sjukhusvård"})
    at.switch_page("pages/trender.py").run()
    charts = at.get("plotly_chart")
    assert charts
    spec = json.loads(charts[0].proto.spec)
    assert spec["layout"]["separators"] == ", "
    switches = [t for t in at.toggle if t.label == "Visa som tabell"]
    assert len(switches) == len(charts), "each chart has a table alternative, one switch away"
    assert not at.dataframe  # drawn only when asked for (issue 18)
    switches[0].set_value(True).run()
    assert at.dataframe
    assert list(at.dataframe[0].value.columns) == ["Period", "Värde", "Mittlinje", "Nedre gräns", "Övre gräns", "Signal"]


def test_compare_shows_reference_values_with_their_source(sample_app):
    at = run_app({"period": "ar"})
    at.switch_page("pages/jamfor.py").run()
    at.selectbox(key="cmp_period").set_value("2024").run()
    assert "Referensvärden från andra källor" in [s.value for s in at.subheader]
    refs = at.dataframe[-1].value
    assert set(refs["Källa"]) == {"Vårdanalys (syntetiskt exempel)", "Kolada N20506", "Kolada U79092"}
    assert "Borås" in set(refs["Område"])
    values = pd.read_csv(ROOT / "sample_data" / "default" / "indicator_values.csv", dtype=str)
    riket = values[(values["municipality_code"] == "0000") & (values["period"] == "2024") & (values["sex"] == "T")
                   & (values["indicator_id"] == "readmission_30d_65")].set_index("source")["value"]  # fmt: skip
    shown = refs[refs["Område"] == "Riket"].set_index("Källa")["Värde"]
    assert shown.to_dict() == {k: format_value(float(v), "%") for k, v in riket.items()}


def plotly_figures(at) -> list[dict]:
    import json

    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def test_compare_highlights_the_municipalities_chosen_in_the_filter(sample_app):
    """Issue 22: the Kommun filter on Jämför marked nothing; now the chosen ones are marked in both charts
    (an open diamond with its own legend entry) and in the table."""
    at = run_app({"kommun": "1490,1463"})
    at.switch_page("pages/jamfor.py").run()
    assert not at.exception, at.exception
    dots, funnel = plotly_figures(at)[:2]
    shown = set(dots["data"][0]["y"])  # municipalities with a value (a suppressed one has no dot)
    marked = [t for t in dots["data"] if t.get("name") == "Vald i filtret"]
    assert "Borås" in shown
    assert len(marked) == 1 and set(marked[0]["y"]) == {"Borås", "Mark"} & shown
    assert marked[0]["marker"]["symbol"] == "diamond-open"
    assert [t for t in funnel["data"] if t.get("name") == "Vald i filtret"]
    table = next(d.value for d in at.dataframe if "Vald i filtret" in d.value.columns)
    assert set(table.loc[table["Vald i filtret"] == "ja", "Kommun"]) == {"Borås", "Mark"}
    assert any("öppen romb" in c.value for c in at.caption)
    # the whole area chosen: nothing is marked
    at = run_app()
    at.switch_page("pages/jamfor.py").run()
    assert not [t for t in plotly_figures(at)[0]["data"] if t.get("name") == "Vald i filtret"]
    assert not [d for d in at.dataframe if "Vald i filtret" in d.value.columns]


def test_compare_period_follows_the_latest_complete_period_until_one_is_picked(sample_app):
    at = run_app()
    at.switch_page("pages/jamfor.py").run()
    assert at.selectbox(key="cmp_period").index == 0  # the latest complete period
    # Every indicator shows its own latest complete period while none was picked, also where an earlier
    # indicator's latest period is among its options.
    for option in at.selectbox(key="cmp_indicator").options:
        at.selectbox(key="cmp_indicator").select(option).run()
        assert at.selectbox(key="cmp_period").index == 0, option
    # A picked period stays when the indicator changes (where that indicator has it).
    options = at.selectbox(key="cmp_indicator").options
    at.selectbox(key="cmp_indicator").select(options[0]).run()
    older = at.selectbox(key="cmp_period").options[3]
    at.selectbox(key="cmp_period").select(older).run()
    picked = at.selectbox(key="cmp_period").value
    at.selectbox(key="cmp_indicator").select(options[1]).run()
    assert at.selectbox(key="cmp_period").value == picked


def test_trend_charts_of_the_year_grain_are_labelled_by_year(sample_app):
    at = run_app({"period": "ar"})
    at.switch_page("pages/trender.py").run()
    assert not at.exception, at.exception
    ticks = plotly_figures(at)[0]["layout"]["xaxis"]["ticktext"]
    assert ticks and all(t.isdigit() and len(t) == 4 for t in ticks), ticks
