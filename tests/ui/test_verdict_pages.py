"""One verdict on every page (issue 17): for the sample data, each page that judges a series says the same words.

Every page is rendered with AppTest for the same viewer and default filters, and the verdict of each
indicator and area is read off what the page shows: the Översikt table alternative, the Trender and
Målgrupper charts (their title and ``layout.meta``) and sentence, the Jämför table and its sentences, the
Månadsuppföljning table and its sentences, and the text of the PDF pack. A stored SPC phase (Borås, ED 80+,
from September 2026: "Anta förändringen") must split every page's limits alike.

The cases of the issue are checked by name on the same data.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pandas as pd
import pytest

from data_access import pdsa
from data_access.access import SYSTEM
from metrics.cohorts import COHORT_IDS
from metrics.registry import INDICATORS
from tests.auth.conftest import login_as, role_viewer, set_app_env
from tests.ui.conftest import store_copy_with_users

ED = "ed_visits_80_per_1000"
PHASE_START = dt.date(2026, 9, 1)
NAME_TO_ID = {ind.name_sv: ind.id for ind in INDICATORS.values()}
SYMBOLS = re.compile(r"^[^\wÅÄÖåäö(]+")


def words(text: str) -> str:
    """A verdict label without its leading symbol (the chart title has none)."""
    return SYMBOLS.sub("", str(text)).strip()


@pytest.fixture(scope="module")
def store(sample_store_url, tmp_path_factory):
    url, engine = store_copy_with_users(sample_store_url, tmp_path_factory.mktemp("verdict_pages"),
                                        ("ledningsgrupp", "processledare", "politiker"))  # fmt: skip
    pdsa.add_phase(access=role_viewer("processledare"), municipality_code="1490", indicator_id=ED,
                   start_date=PHASE_START, reason="Anta förändringen (test)", engine=engine)  # fmt: skip
    yield url, engine
    engine.dispose()


@pytest.fixture
def env(store, monkeypatch):
    url, engine = store
    set_app_env(monkeypatch, url)
    return engine


def page(engine, role: str | None, name: str, **query):
    at = login_as(engine, role, query=query or None)
    at.run()
    assert not at.exception, at.exception
    if name != "oversikt":
        at.switch_page(f"pages/{name}.py").run(timeout=180)
    assert not at.exception, at.exception
    return at


Verdicts = dict[tuple[str, str], tuple[str, str, str]]  # (code, indicator) → (variation, assurance, sentence)


def per_selection(read):
    """Run ``read`` once for the municipalities and once for the area ("Hela området" is shown only when no
    municipality is chosen)."""

    def run(engine, role, codes: list[str], **query) -> Verdicts:
        out: Verdicts = {}
        chosen = [c for c in codes if c != "ALL"]
        if chosen:
            out.update(read(engine, role, chosen, **query))
        if "ALL" in codes:
            out.update(read(engine, role, ["ALL"], **query))
        return out

    return run


@per_selection
def overview(engine, role, codes: list[str], **query) -> Verdicts:
    at = page(engine, role, "oversikt", kommun=",".join(c for c in codes if c != "ALL"), **query)
    for switch in at.toggle:
        if switch.key and switch.key.startswith("ov-tab-"):
            switch.set_value(True)
    at.run(timeout=180)
    assert not at.exception, at.exception
    frames = [d.value for d in at.dataframe if "Bedömning" in d.value.columns]
    assert len(frames) == len(codes)
    out = {}
    for code, frame in zip(codes, frames, strict=True):
        for r in frame.to_dict("records"):
            if r["Variation"]:
                out[(code, NAME_TO_ID[r["Indikator"]])] = (words(r["Variation"]), words(r["Måluppfyllelse"]),
                                                           r["Bedömning"])  # fmt: skip
    return out


def charts(at) -> Verdicts:
    out = {}
    for chart in at.get("plotly_chart"):
        m = re.match(r".*spc-(\w+)-(\w+)$", chart.proto.id or "")
        if not m:
            continue
        spec = json.loads(chart.proto.spec)
        subtitle = re.search(r"Variation: (.*) · Måluppfyllelse: (.*)</sup>", spec["layout"]["title"]["text"])
        out[(m.group(1), m.group(2))] = (subtitle.group(1), subtitle.group(2), spec["layout"]["meta"]["sentence"])
    return out


@per_selection
def trender(engine, role, codes: list[str], **query) -> Verdicts:
    at = page(engine, role, "trender", kommun=",".join(c for c in codes if c != "ALL"), **query)
    at.selectbox(key="trend_indicator").set_value("alla").run(timeout=180)
    assert not at.exception, at.exception
    found = charts(at)
    sentences = {m.value.strip("*") for m in at.markdown}
    assert all(v[2] in sentences for v in found.values()), "the sentence under each chart is the chart's"
    return found


@per_selection
def malgrupper(engine, role, codes: list[str], **query) -> Verdicts:
    at = page(engine, role, "malgrupper", kommun=",".join(c for c in codes if c != "ALL"), **query)
    at.selectbox(key="mg_cohort").set_value("alla").run(timeout=180)
    assert not at.exception, at.exception
    return charts(at)


def sentence_list(at) -> dict[str, str]:
    """'- **Name**: sentence' lines of the 'Bedömning i ord' expanders."""
    out = {}
    for m in at.markdown:
        for line in m.value.splitlines():
            hit = re.match(r"- \*\*(.+?)\*\*: (.+)$", line)
            if hit:
                out[hit.group(1)] = hit.group(2)
    return out


def jamfor(engine, role, codes: list[str], **query) -> Verdicts:
    at = page(engine, role, "jamfor", **query)
    names = {"1490": "Borås", "1491": "Ulricehamn", "1463": "Mark", "ALL": "Hela området"}
    out = {}
    for ind_id in at.selectbox(key="cmp_indicator").options:
        ind_id = NAME_TO_ID.get(ind_id, ind_id)
        at.selectbox(key="cmp_indicator").set_value(ind_id).run()
        assert not at.exception, at.exception
        frames = [d.value for d in at.dataframe if "Variation" in d.value.columns and "Kommun" in d.value.columns]
        if not frames:
            continue
        table, said = frames[0].set_index("Kommun"), sentence_list(at)
        for code in codes:
            name = names[code]
            if name in table.index and table.loc[name, "Variation"] != "–":
                out[(code, ind_id)] = (words(table.loc[name, "Variation"]), words(table.loc[name, "Måluppfyllelse"]),
                                       said[name])  # fmt: skip
    return out


def manadsuppfoljning(engine, role) -> tuple[Verdicts, object]:
    at = page(engine, role, "manadsuppfoljning")
    code = at.selectbox(key="mu_kommun").value
    assert at.selectbox(key="mu_manad").index == 0  # the latest month: the end of the other pages' default range
    frame = next(d.value for d in (*at.dataframe, *at.table)
                 if {"Indikator", "Variation", "Måluppfyllelse"} <= set(d.value.columns))
    said = sentence_list(at)
    out = {}
    for r in frame.to_dict("records"):
        if r["Variation"] != "–":
            out[(code, NAME_TO_ID[r["Indikator"]])] = (words(r["Variation"]), words(r["Måluppfyllelse"]),
                                                       said[r["Indikator"]])  # fmt: skip
    return out, at


def agree(reference: Verdicts, other: Verdicts, what: str) -> None:
    shared = sorted(set(reference) & set(other))
    assert shared, f"{what}: nothing in common"
    wrong = {k: (reference[k], other[k]) for k in shared if reference[k] != other[k]}
    assert not wrong, f"{what} disagrees with Översikt: {wrong}"


def test_every_page_says_the_same_for_the_public_by_month(env):
    codes = ["1490", "1491", "ALL"]
    tiles = overview(env, None, codes)
    assert {k[1] for k in tiles} == set(INDICATORS)
    trends = trender(env, None, codes)
    assert set(trends) == set(tiles)
    agree(tiles, trends, "Trender")
    agree(tiles, malgrupper(env, None, codes), "Målgrupper")
    compared = jamfor(env, None, codes)
    assert len(compared) >= len(tiles) - 3  # an indicator without a value in the chosen period has no row
    agree(tiles, compared, "Jämför")

    # The cases of issue 17, on the same pages.
    ed = tiles[("1490", ED)]
    assert "Fas 2 har 2 av 12 punkter och bedöms mot fas 1:s gränser tills den har egna." in ed[2]
    mangsokare = tiles[("1490", "mal_mangsokare_ej_inskrivna")]
    assert mangsokare[0] == "Vanlig variation"
    assert mangsokare[2].startswith("Senaste värdet: vanlig variation. Tidigare försämring december 2024–september 2025")
    sip = tiles[("1491", "sip_coverage_home_care")]
    assert sip[0] == "Särskild orsak – förbättring (högt)"
    assert sip[1] == "Ny nivå – måluppfyllelsen bedöms när gränserna räknats om"


def test_every_page_says_the_same_by_quarter(env):
    codes = ["1491", "ALL"]
    tiles = overview(env, None, codes, period="kvartal")
    agree(tiles, trender(env, None, codes, period="kvartal"), "Trender (kvartal)")
    agree(tiles, jamfor(env, None, codes, period="kvartal"), "Jämför (kvartal)")


def test_the_ledningsgrupp_reads_the_same_on_its_monthly_review_and_in_the_pack(env):
    from pypdf import PdfReader

    from ui.pack import build_pack_pdf

    tiles = overview(env, "ledningsgrupp", ["1490"])
    agree(tiles, trender(env, "ledningsgrupp", ["1490"]), "Trender (ledningsgrupp)")
    review_verdicts, at = manadsuppfoljning(env, "ledningsgrupp")
    agree(tiles, review_verdicts, "Månadsuppföljning")
    assert set(review_verdicts) == set(tiles)

    # The pack prints the review it is given; the review is the page's.
    from data_access.queries import load_indicator_results, load_targets
    from metrics.review import monthly_review

    viewer = role_viewer("ledningsgrupp")
    monthly = load_indicator_results(access=viewer, period_type="month", engine=env)
    yearly = load_indicator_results(access=viewer, period_type="year", engine=env)
    for c in ("period_start", "period_end"):
        monthly[c] = pd.to_datetime(monthly[c])
    phases = {ED: [PHASE_START]}
    review = monthly_review(monthly, load_targets(access=viewer, engine=env), municipality_code="1490",
                            month=at.selectbox(key="mu_manad").value, cycles=pd.DataFrame(), phases=phases,
                            baseline=yearly)  # fmt: skip
    pdf = build_pack_pdf(review, [], municipality_name="Borås", month_label=review.month_label)
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    for (_, ind_id), (variation, assurance, sentence) in review_verdicts.items():
        assert " ".join(sentence.split()) in text, ind_id
        assert variation.split(" · ")[0] in text, ind_id
        if assurance != "Inget mål":
            assert assurance in text, ind_id


def test_a_process_leader_is_offered_a_new_phase_where_the_level_has_moved(env):
    """The offer appears only where the latest points are special cause (a new level) and the viewer may
    store phases for the municipality (the process leader: Borås and Mark), and the button stores a phase
    from the start of the stretch."""
    tiles = overview(env, "processledare", ["1490", "1463"])
    moved = {k for k, v in tiles.items() if v[0].startswith("Särskild orsak")}  # the latest point is special
    at = page(env, "processledare", "trender", kommun="1490,1463")
    at.selectbox(key="trend_indicator").set_value("alla").run(timeout=180)
    buttons = [b for b in at.button if b.key and b.key.startswith("new-phase-")]
    keyed = {tuple(b.key.removeprefix("new-phase-").split("-", 1)) for b in buttons}
    # every offer is on a chart whose latest point is special cause (a stretch of one point gets none), and
    # where there is a target and limits its assurance says "Ny nivå"
    assert keyed <= moved
    assert all(tiles[k][1].startswith("Ny nivå") for k in keyed
               if tiles[k][1] not in ("Inget mål", "Måluppfyllelse kan inte bedömas"))  # fmt: skip
    assert ("1490", "acute_bed_days_75_per_1000") in keyed  # a new level since February 2026 on the sample data
    button = buttons[0]
    code, ind_id = button.key.removeprefix("new-phase-").split("-", 1)
    label = button.label.removeprefix("Starta ny fas från ")
    before = pdsa.phases_for(access=SYSTEM, municipality_code=code, indicator_id=ind_id, engine=env)
    button.click().run(timeout=180)
    assert not at.exception, at.exception
    after = pdsa.phases_for(access=SYSTEM, municipality_code=code, indicator_id=ind_id, engine=env)
    assert len(after) == len(before) + 1
    new = sorted(set(after) - set(before))[0]
    from metrics.periods import period_label_sv

    assert period_label_sv(f"{new:%Y-%m}") == label and new.day == 1
    # the tile now splits there too, and offers nothing more for it
    tiles_after = overview(env, "processledare", ["1490", "1463"])
    trends_after = trender(env, "processledare", ["1490", "1463"])
    agree(tiles_after, trends_after, "Trender after the new phase")
    assert f"new-phase-{code}-{ind_id}" not in {b.key for b in at.button if b.key}


def test_politicians_are_offered_nothing(env):
    at = page(env, "politiker", "trender", kommun="1491", tema="Sköra äldre och SIP")
    assert not [b for b in at.button if b.key and b.key.startswith("new-phase-")]
    found = charts(at)
    assert found[("1491", "sip_coverage_home_care")][1] == "Ny nivå – måluppfyllelsen bedöms när gränserna räknats om"


def test_the_cohorts_are_judged_by_their_run_chart_everywhere():
    assert all(INDICATORS[i].spc_chart == "run" for i in COHORT_IDS)


def test_overview_and_trender_explain_the_symbols_and_the_units(env):
    at = page(env, None, "oversikt", kommun="1490")
    assert "Vad betyder symbolerna?" in [e.label for e in at.expander]
    legend = "\n".join(m.value for m in at.markdown)
    for words_ in ("Ny nivå", "(senaste)", "Preliminära gränser", "Ovanligt få korsningar", "Målet nås ibland"):
        assert words_ in legend, words_
    tiles = [m.value for m in at.markdown if m.value.startswith("**")]  # one Markdown element per tile
    # a lagging indicator says its value is the latest complete one
    assert any(":small[september 2026 (senaste) ·" in t for t in tiles)
    # per-year and per-period rates say which they are, in the tile
    assert any(":small[Omräknat till helår" in t for t in tiles)
    assert any(":small[Personer under månaden, inte omräknat till år" in t for t in tiles)
    assert any(re.search(r"^### .*per 1 000 inv\. 80\+ och år$", t, re.M) for t in tiles)
    assert any(re.search(r"^### .*per 1 000 inv\. 75\+ och månad$", t, re.M) for t in tiles)
    # a relative target shows its level
    assert any(re.search(r"^Mål: −20 % mot 2024 = högst \d[\d ]*(,\d+)? – ", t, re.M) for t in tiles)

    at = page(env, None, "trender", kommun="1490")
    assert "Vad betyder symbolerna?" in [e.label for e in at.expander]
