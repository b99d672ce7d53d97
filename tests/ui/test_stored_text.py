"""Stored and imported text is shown as text: no links, images, HTML or colours from it (issue 21, item 9).

Links, images, raw HTML and Streamlit's directives are fed in as PDSA titles
and texts, care-centre names, display names, file names and Kolada ids, and
every page that shows them is rendered with AppTest against a private copy
of the sample store (``store_copy_with_users``). Every string Streamlit
renders as Markdown (bodies, headings, captions, alerts, labels of buttons,
expanders, page links and widgets, progress texts, tooltips, radio options)
must be escaped (:func:`markdown_problems`), and no Plotly spec may hold a
tag from the data (:func:`plotly_problems`). Dataframe cells and selectbox
options are plain text in Streamlit and are not checked.

The checks model what Streamlit 1.67's Markdown renderer does: links and
images (``[x](…)``, ``![x](…)``), autolinks (``<http://…>``), raw HTML
(shown as text, but the URL inside is linked), directives (``:red[…]``),
maths (``$…$``), and — after backslash escapes are resolved — bare URLs,
``www.`` and Material icon codes, which it finds in the parsed text.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from data_access import pdsa, users
from data_access.access import SYSTEM
from tests.auth.conftest import ROOT, app_test, login_as, new_session, open_page, role_viewer, set_app_env
from tests.ui.conftest import store_copy_with_users
from ui.safe_text import md_escape, plotly_escape

READM = "readmission_30d_65"
MARK = "1463"
ROLES = ("processledare", "admin", "politiker", "akutmottagning")
PAYLOADS = {
    "image": "![x](http://evil.example/x.png)",
    "link": "[x](http://evil.example)",
    "a": '<a href="http://evil.example">x</a>',
    "img": "<img src=http://evil.example/x.png>",
    "colour": ":red[x]",
    "more": "# <http://evil.example/auto> www.evil.example :material/home: $x$ | a |",
}
# Mark's care centres in the sample data, renamed to the payloads in the private store.
CENTRES = [
    "Läkarhuset Fritsla", "Närhälsan Kinna", "Närhälsan Örby", "Vårdcentralen Horred", "Vårdcentralen Skene",
    "Närhälsan Tranemo",
]  # fmt: skip
# A file name cannot hold "/": uploads are stripped of paths.
CYCLE_TEXTS = ("aim", "measures", "change_idea", "questions", "predictions", "plan_who", "plan_what",
               "plan_when", "plan_where", "do_observations", "study")  # fmt: skip
FILE_PAYLOAD = "![x](evil.example) [x](www.evil.example) <img src=x> <a href=x>x :red[x] $x$"

_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")  # CommonMark's backslash escapes


def markdown_problems(source: str) -> list[str]:
    """What Streamlit's Markdown would make of ``source`` beyond plain text (empty: nothing)."""
    found = []
    if re.search(r"(?<!\\)\]\(", source):
        found.append("link or image")
    if re.search(r"(?<!\\)<\s*(a|img)\b", source, re.IGNORECASE):
        found.append("HTML tag")
    if re.search(r"(?<!\\)<https?:", source):
        found.append("autolink")
    if re.search(r"(?<!\\):red\[", source):
        found.append("colour directive")
    if re.search(r"(?<!\\)\$x\$", source):
        found.append("maths")
    text_ = _ESCAPED.sub(r"\1", source)  # the parsed text, where Streamlit looks for bare URLs and icons
    if re.search(r"(https?://|www\.)evil", text_, re.IGNORECASE):
        found.append("bare URL (linked)")
    if ":material/home:" in text_:
        found.append("icon")
    return found


def plotly_problems(spec: object) -> list[str]:
    """Tags in a Plotly spec's strings that Plotly would render (links, images)."""
    return [s for s in _strings(spec) if re.search(r"<\s*(a|img)\b", s, re.IGNORECASE)]


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def _nodes(node) -> Iterator:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


MARKDOWN_FIELDS = ("body", "label", "text", "help")


def rendered(at) -> tuple[list[str], list[dict]]:
    """Every Markdown string of the page (with its element type) and every Plotly spec."""
    markdown, specs = [], []
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None or node.type == "exception":
            continue
        if node.type == "plotly_chart":
            specs.append(json.loads(proto.spec))
            continue
        for field, value in proto.ListFields():
            if field.name in MARKDOWN_FIELDS and isinstance(value, str):
                markdown.append(f"{node.type}: {value}")
            elif field.name == "options" and node.type == "radio":  # radio options are Markdown too
                markdown += [f"radio option: {o}" for o in value]
    return markdown, specs


def assert_shown_as_text(at, *expected_md: str, expected_plotly: tuple[str, ...] = ()) -> None:
    """No Markdown or Plotly label of the page renders the data; each ``expected_md`` (escaped) is shown."""
    assert not at.exception, at.exception
    markdown, specs = rendered(at)
    bad = {m: markdown_problems(m) for m in markdown if markdown_problems(m)}
    assert not bad, bad
    assert not [p for s in specs for p in plotly_problems(s)]
    joined = "\n".join(markdown)
    for piece in expected_md:  # the text is there (escaped), so the check above is not vacuous
        assert piece in joined, piece
    strings = [s for spec in specs for s in _strings(spec)]
    for piece in expected_plotly:
        assert any(piece in s for s in strings), piece


def test_the_checks_catch_what_streamlit_would_render():
    for payload in PAYLOADS.values():
        assert markdown_problems(payload), payload
        assert not markdown_problems(md_escape(payload)), payload
        two_lines = md_escape(payload + "\n" + payload)
        assert not markdown_problems(f"**Rubrik:** {md_escape(payload)}  \n{two_lines}")
    assert not markdown_problems(md_escape(FILE_PAYLOAD)) and markdown_problems(FILE_PAYLOAD)
    assert markdown_problems("\\[x\\]\\(http\\://evil\\.example\\)")  # escaped, but the bare URL is linked
    assert plotly_problems({"a": ["<b>ok</b>", PAYLOADS["a"]]})
    assert not plotly_problems(plotly_escape(PAYLOADS["a"]))


def test_md_escape_keeps_the_text():
    assert md_escape(None) == "" and md_escape("Trygg hemgång") == "Trygg hemgång"
    assert md_escape("a_b *c* [d](e)") == "a\\_b \\*c\\* \\[d\\]\\(e\\)"
    assert md_escape("rad 1\nrad 2\r\nrad 3") == "rad 1  \nrad 2  \nrad 3"  # line breaks stay line breaks
    assert md_escape("A & B") == "A \\& B"  # no entities: '&lt;' stays '&lt;'
    assert md_escape("    indrag") == "\u00a0" * 4 + "indrag"  # no code block
    # a colon before a space starts no shortcode or URL: no invisible joiner, so "PDSA 1: Ring" can be found
    assert md_escape("PDSA 1: Ring dag 2") == "PDSA 1\\: Ring dag 2"
    assert "\u2060" in md_escape(":red[x]") and "\u2060" in md_escape("http://x") and "\u2060" in md_escape("a@b")
    assert md_escape(":red[x]") == "\\:\u2060red\\[x\\]"
    assert plotly_escape('<a href="x">&</a>') == '&lt;a href="x"&gt;&amp;&lt;/a&gt;'


def test_ui_improvement_esc_is_the_shared_escape():
    from ui.improvement import esc

    assert esc is md_escape


# --------------------------------------------------------------------------- the store


@pytest.fixture(scope="module")
def store(sample_store_url, tmp_path_factory):
    """A private store copy: the payloads as PDSA areas and cycles in Mark, as care centres (renamed) and as
    display names."""
    url, engine = store_copy_with_users(sample_store_url, tmp_path_factory.mktemp("stored_text"), ROLES)
    who = role_viewer("processledare")
    made = {}
    for i, (name, payload) in enumerate(PAYLOADS.items()):
        start = dt.date(2024, 2, 1) + dt.timedelta(days=40 * i)
        area_values = {"municipality_code": MARK, "title": payload, "owner": payload, "description": payload,
                       "indicator_ids": [READM]}  # fmt: skip
        area = pdsa.create_area(access=who, values=area_values, engine=engine)
        texts = {f: payload for f in CYCLE_TEXTS}
        values = {"title": payload, "status": "pågår", "start_date": start, **texts}
        first = pdsa.create_cycle(access=who, area_id=area["id"], values=values, engine=engine)
        values = {"title": payload + " 2", "status": "planerad", "start_date": start + dt.timedelta(days=30)}
        second = pdsa.create_cycle(access=who, area_id=area["id"], values=values, engine=engine)
        decision = {"next_cycle_id": second["id"], "act": "adapt", "act_date": start + dt.timedelta(days=20),
                    "act_notes": payload}  # fmt: skip
        pdsa.update_cycle(access=who, cycle_id=first["id"], expected_version=1, values=decision,
                          engine=engine)  # fmt: skip
        made[name] = (area, first, second)
    with engine.begin() as conn:
        for centre, payload in zip(CENTRES, PAYLOADS.values(), strict=True):
            conn.execute(text("UPDATE primary_care_contacts SET care_centre = :new WHERE care_centre = :old"),
                         {"new": payload, "old": centre})  # fmt: skip
    for i, payload in enumerate(PAYLOADS.values()):
        users.create_user(engine, access=SYSTEM, username=f"t_payload_{i}", display_name=payload,
                          password="rätt-lösenord-pl", grants=[("vardcentral", payload)],
                          rounds=4)  # fmt: skip
    yield url, engine, made
    engine.dispose()


@pytest.fixture
def env(store, monkeypatch):
    url, engine, made = store
    set_app_env(monkeypatch, url)
    return engine, made


# --------------------------------------------------------------------------- Förbättringsarbete


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_forbattringsarbete_shows_titles_and_texts_as_text(env, name):
    engine, made = env
    area, cycle, _next = made[name]
    payload = PAYLOADS[name]
    at = open_page(engine, "processledare", "forbattringsarbete", cykel=str(cycle["id"]))
    assert at.selectbox(key="pdsa_cycle").value == cycle["id"]
    assert_shown_as_text(
        at,
        f"subheader: {md_escape(payload)}",  # the area's heading
        f"Ansvarig: {md_escape(payload)}",
        f"PDSA 1: {md_escape(payload)}",  # the card's heading
        f"Motivering:** {md_escape(payload)}",
        md_escape(f"PDSA 2: {payload} 2"),  # the next cycle
        expected_plotly=(f"PDSA-cykler: {plotly_escape(payload)}", f"PDSA 1: {plotly_escape(payload)}"),
    )
    at.button(key=f"pdsa_delete_cycle_{cycle['id']}_ask").click().run()
    assert_shown_as_text(at, f"PDSA 1 ”{md_escape(payload)}”")  # "Vill du ta bort …?"


@pytest.mark.parametrize("name", ["image", "a"])
def test_the_messages_after_a_save_show_the_title_as_text(env, name):
    engine, _made = env
    payload = PAYLOADS[name]
    at = open_page(engine, "processledare", "forbattringsarbete")
    at.selectbox(key="pdsa_kommun").set_value(MARK).run()
    prefix = f"pdsa_f_area_new_{MARK}"
    at.text_input(key=f"{prefix}_title").input(payload + " ny")
    at.button(key=f"FormSubmitter:{prefix}__form-Skapa förbättringsområdet").click().run()
    assert_shown_as_text(at, f"Förbättringsområdet ”{md_escape(payload + ' ny')}” är skapat.")


def test_the_administrator_reads_the_card_and_the_audit_trail_as_text(env):
    engine, made = env
    _area, cycle, _next = made["link"]
    at = open_page(engine, "admin", "forbattringsarbete", cykel=str(cycle["id"]))
    assert "Ändringslogg" in [s.value for s in at.subheader]
    assert_shown_as_text(at, f"PDSA 1: {md_escape(PAYLOADS['link'])}")


# --------------------------------------------------------------------------- Månadsuppföljning and Trender


def test_manadsuppfoljning_links_the_open_cycles_by_their_titles_as_text(env):
    engine, _made = env
    at = open_page(engine, "processledare", "manadsuppfoljning")
    at.selectbox(key="mu_kommun").set_value(MARK).run()
    assert_shown_as_text(at, *(f"page_link: PDSA 1: {md_escape(p)}" for p in PAYLOADS.values()))


def test_trender_marks_and_links_show_cycle_titles_as_text(env):
    engine, _made = env
    at = open_page(engine, "processledare", "trender", kommun=MARK, fran="2023-01", till="2025-06")
    at.selectbox(key="trend_indicator").set_value(READM).run()
    labels = [p.proto.label for p in at.get("page_link")]
    assert len([label for label in labels if label.startswith("PDSA 1")]) == len(PAYLOADS)
    assert_shown_as_text(at, *(md_escape(f"PDSA 1: {p}") for p in PAYLOADS.values() if len(p) <= 40),
                         expected_plotly=tuple(f"PDSA 1: {plotly_escape(p)}" for p in PAYLOADS.values()
                                               if len(p) <= 40))  # fmt: skip


# --------------------------------------------------------------------------- Mångsökare


def test_mangsokare_shows_imported_care_centre_names_as_text(env):
    engine, _made = env
    at = open_page(engine, "politiker", "mangsokare")
    at.multiselect(key="fa_centres").set_value(list(PAYLOADS.values())).run()
    legend = [t["name"] for t in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]]
    assert sorted(legend) == sorted(plotly_escape(p) for p in PAYLOADS.values())
    assert_shown_as_text(at, expected_plotly=tuple(plotly_escape(p) for p in PAYLOADS.values()))


def test_the_frequent_attender_list_shows_care_centre_names_as_text(env):
    engine, _made = env
    at = open_page(engine, "akutmottagning", "mangsokare")
    assert set(PAYLOADS.values()) <= set(at.selectbox(key="fa_centre").options)  # plain options
    at.selectbox(key="fa_centre").set_value(PAYLOADS["image"]).run()
    assert_shown_as_text(at)


# --------------------------------------------------------------------------- administration


def test_admin_users_page_shows_display_and_care_centre_names_as_text(env):
    engine, _made = env
    at = login_as(engine, "admin", str(ROOT / "pages" / "admin_anvandare.py")).run()
    assert set(PAYLOADS.values()) <= set(at.dataframe[0].value["Namn"])
    assert_shown_as_text(at)
    at.selectbox(key="adm_user").set_value("t_payload_0").run()
    assert_shown_as_text(at)


def test_upload_page_shows_file_names_and_kolada_ids_as_text(env):
    engine, _made = env
    page = str(ROOT / "pages" / "dataimport.py")
    at = app_test(page, sid=new_session(engine, "t_admin")).run()
    at.file_uploader(key="upload_files").set_value([(FILE_PAYLOAD + ".csv", b"a;b\n1;2\n", "text/csv")]).run()
    at.button(key="upload_go").click().run()
    assert at.error and "Importen avbröts" in at.error[0].value  # an unknown table: nothing stored
    assert_shown_as_text(at, md_escape(FILE_PAYLOAD))

    not_json = (FILE_PAYLOAD + ".json", b"<html>", "application/json")
    at.file_uploader(key="upload_kolada_file").set_value(not_json)
    at.run()
    at.button(key="upload_kolada_go").click().run()
    assert at.error and "inte giltig JSON" in at.error[-1].value
    assert_shown_as_text(at, md_escape(FILE_PAYLOAD))

    kpi = PAYLOADS["image"]
    value = {"gender": "T", "count": 1, "status": "", "value": 15.0}
    answer = [{"count": 1, "values": [{"kpi": kpi, "municipality": "1490", "period": 2023,
                                       "values": [value]}]}]  # fmt: skip
    saved = ("svar.json", json.dumps(answer).encode(), "application/json")
    at.file_uploader(key="upload_kolada_file").set_value(saved)
    at.run()
    at.button(key="upload_kolada_go").click().run()
    assert_shown_as_text(at, md_escape(kpi))
