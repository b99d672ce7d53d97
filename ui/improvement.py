"""Förbättringsarbete widgets: area and cycle forms, the cycle card, the timeline, conflicts, deletion, adoption.

The page (``pages/forbattringsarbete.py``) reads its choices and calls these;
everything is read and written through :mod:`data_access.pdsa`, which checks
the viewer's permissions and municipalities itself (the widgets only leave
out buttons the viewer could not use).

Session-state keys owned here start with ``pdsa_`` (form widgets:
``pdsa_f_<entity>_<id>_<field>``; the version a form was opened at:
``pdsa_f_<entity>_<id>__base``; a pending conflict: ``pdsa_conflict_<entity>_<id>``).

Optimistic locking as the user sees it: a form remembers the version of the
row it was filled from. When someone else saves first, the save is refused
(:class:`data_access.pdsa.ConflictError`), the typed values stay in the
form, the other person's saved version is shown beside them for every field
that differs, and the next save of the form is made against that version
("Jämför och spara igen"). A row deleted meanwhile: the typed values are
shown as a table at the top of the page, so nothing is lost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from data_access import pdsa
from data_access.access import AccessContext
from data_access.pdsa import AREA_FIELDS, CYCLE_FIELDS, ConflictError, Field, NotFound, ValidationError
from metrics.registry import INDICATORS
from metrics.review import (
    ACT_LABELS_SV,
    ACTS,
    CYCLE_STATUSES,
    QUESTIONS_SV,
    STATUS_LABELS_SV,
    STEP_LABELS_SV,
)
from ui.context import engine
from ui.plotly_sv import SEPARATORS
from ui.safe_text import md_escape, plotly_escape
from ui.spc_chart import _month_ticks

__all__ = [
    "STATUS_STYLE",
    "adopt_section",
    "area_form",
    "areas_table",
    "audit_section",
    "cycle_card",
    "cycle_form",
    "cycles_table",
    "delete_section",
    "lost_work_notice",
    "phase_offer",
    "timeline_figure",
    "timeline_table",
    "value_text",
]

# Status: colour (Okabe–Ito), bar pattern and the word itself on the bar: never colour alone.
STATUS_STYLE: dict[str, tuple[str, str]] = {
    "planerad": ("#56B4E9", "."),
    "pågår": ("#0072B2", "/"),
    "avslutad": ("#7F7F7F", ""),
}
ACT_MARKERS: dict[str, str] = {"adopt": "star", "adapt": "diamond", "abandon": "x"}
LOST_KEY = "pdsa_lost"
FLASH_KEY = "pdsa_flash"

esc = md_escape  # user text in Markdown (kept under this name: ``ui.safe_text.md_escape``)


def _engine():
    return engine()


def _missing(v: Any) -> bool:
    return v is None or (pd.api.types.is_scalar(v) and bool(pd.isna(v)))


def _date(v: Any) -> dt.date | None:
    if _missing(v):
        return None
    return pd.Timestamp(v).date()


def value_text(field: str, value: Any, spec: Mapping[str, Field] = CYCLE_FIELDS) -> str:
    """A stored or typed value as Swedish text: dates ISO, labels for codes, indicator names, '–' when empty."""
    kind = spec[field].kind if field in spec else ""
    if kind == "indicators":
        ids = list(value) if isinstance(value, list | tuple) else []
        return "; ".join(INDICATORS[i].name_sv for i in ids if i in INDICATORS) or "–"
    if _missing(value) or value == "":
        return "–"
    if kind == "date":
        return f"{_date(value):%Y-%m-%d}"
    if kind == "status":
        return STATUS_LABELS_SV.get(value, str(value))
    if kind == "act":
        return ACT_LABELS_SV.get(value, str(value))
    if kind == "cycle_ref":
        return f"cykel-id {int(value)}"
    return str(value)


def flash(message: str) -> None:
    """A success message shown once, on the next run (after ``st.rerun``)."""
    st.session_state[FLASH_KEY] = message


def show_flash() -> None:
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(message)


# --------------------------------------------------------------------------- tables


def areas_table(areas: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """The areas as a Swedish table (the list on the page)."""
    rows = [
        {
            "Förbättringsområde": a["title"],
            "Kommun": names.get(a["municipality_code"], a["municipality_code"]),
            "Status": STATUS_LABELS_SV.get(a["status"], a["status"]),
            "Ansvarig": a["owner"] or "–",
            "Kopplade indikatorer": value_text("indicator_ids", a["indicator_ids"], AREA_FIELDS),
            "Cykler": int(a["n_cycles"]),
            "Öppna cykler": int(a["n_open_cycles"]),
        }
        for a in areas.to_dict("records")
    ]
    return pd.DataFrame(rows, columns=["Förbättringsområde", "Kommun", "Status", "Ansvarig", "Kopplade indikatorer",
                                       "Cykler", "Öppna cykler"])  # fmt: skip


def cycles_table(cycles: pd.DataFrame) -> pd.DataFrame:
    """The cycles of an area as a Swedish table; also the timeline's table alternative."""
    rows = [
        {
            "Cykel": f"PDSA {int(c['cycle_number'])}",
            "Titel": c["title"],
            "Status": STATUS_LABELS_SV.get(c["status"], c["status"]),
            "Start": value_text("start_date", c["start_date"]),
            "Slut": value_text("end_date", c["end_date"]),
            "Beslut": value_text("act", c["act"]),
            "Beslutsdatum": value_text("act_date", c["act_date"]),
            "Indikatorer": value_text("indicator_ids", c["linked_indicator_ids"]),
        }
        for c in cycles.sort_values("cycle_number").to_dict("records")
    ]
    return pd.DataFrame(rows, columns=["Cykel", "Titel", "Status", "Start", "Slut", "Beslut", "Beslutsdatum",
                                       "Indikatorer"])  # fmt: skip


timeline_table = cycles_table


# --------------------------------------------------------------------------- timeline


def timeline_figure(cycles: pd.DataFrame, *, title: str, today: dt.date | None = None) -> go.Figure:
    """Gantt-like timeline of an area's cycles: one bar per cycle from start to end, decisions as symbols.

    A bar's status is its colour, its pattern and the word written on it. A
    cycle without an end date ends at its decision date or else runs to
    ``today`` (at least one week) and says so in its hover. Cycles without a start date
    are not drawn (the table alternative lists them). Decisions (Agera) are
    marked at their date with a symbol per decision and its Swedish word. ``title`` is plain text (it
    may hold user text: it is escaped here, like the cycle titles in the hovers).
    """
    today = today or dt.date.today()
    fig = go.Figure()
    drawn = cycles[cycles["start_date"].map(lambda v: not _missing(v))].sort_values("cycle_number")
    labels = [f"PDSA {int(n)}" for n in drawn["cycle_number"]]
    ends: list[dt.date] = []
    for status in CYCLE_STATUSES:
        part = drawn[drawn["status"] == status]
        if part.empty:
            continue
        colour, pattern = STATUS_STYLE[status]
        base, width, ys, hover, text = [], [], [], [], []
        for c in part.to_dict("records"):
            start = _date(c["start_date"])
            end = _date(c["end_date"])
            open_end = end is None
            if open_end:  # a decision ends it; otherwise it runs on to today
                decided_on = _date(c["act_date"])
                end = decided_on if decided_on and decided_on >= start else max(today, start + dt.timedelta(days=7))
            ends.append(end)
            base.append(pd.Timestamp(start))
            width.append(((end - start).days + 1) * 86_400_000)
            ys.append(f"PDSA {int(c['cycle_number'])}")
            text.append(STATUS_LABELS_SV[status])
            span = f"{start:%Y-%m-%d} – " + ("inget slutdatum" if open_end else f"{end:%Y-%m-%d}")
            hover.append(
                f"<b>PDSA {int(c['cycle_number'])}: {plotly_escape(c['title'])}</b><br>{span}<br>"
                f"Status: {STATUS_LABELS_SV[status]}"
            )
        fig.add_trace(
            go.Bar(
                base=base, x=width, y=ys, orientation="h", name=STATUS_LABELS_SV[status], text=text,
                textposition="inside", insidetextanchor="start", textfont={"color": "#000000"},
                marker={"color": colour, "pattern": {"shape": pattern, "fgcolor": "#FFFFFF", "solidity": 0.3},
                        "line": {"color": "#000000", "width": 1}},
                customdata=hover, hovertemplate="%{customdata}<extra></extra>",
            )  # fmt: skip
        )
    decided = drawn[drawn["act"].map(lambda a: a in ACTS) & drawn["act_date"].map(lambda v: not _missing(v))]
    for act in ACTS:
        part = decided[decided["act"] == act]
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=[pd.Timestamp(_date(d)) for d in part["act_date"]],
                y=[f"PDSA {int(n)}" for n in part["cycle_number"]],
                mode="markers+text", name=f"Beslut: {ACT_LABELS_SV[act]}", text=[ACT_LABELS_SV[act]] * len(part),
                textposition="middle right",
                marker={"symbol": ACT_MARKERS[act], "size": 14, "color": "#000000", "line": {"color": "#FFFFFF",
                                                                                             "width": 1}},
                hovertemplate="Beslut: " + ACT_LABELS_SV[act] + " %{x|%Y-%m-%d}<extra></extra>",
            )  # fmt: skip
        )
        ends.extend(_date(d) for d in part["act_date"])
    starts = [_date(d) for d in drawn["start_date"]]
    xaxis: dict[str, Any] = {"title": {"text": "Datum"}, "type": "date"}
    if starts:
        first = min(starts) - dt.timedelta(days=10)
        last = max([*ends, today]) + dt.timedelta(days=20)
        xaxis.update(range=[pd.Timestamp(first), pd.Timestamp(last)],
                     **_month_ticks(pd.Series(pd.to_datetime([first, last]))))  # fmt: skip
        fig.add_shape(type="line", x0=pd.Timestamp(today), x1=pd.Timestamp(today), y0=0, y1=1, yref="paper",
                      line={"color": "#333333", "width": 1, "dash": "dot"})  # fmt: skip
        fig.add_annotation(x=pd.Timestamp(today), y=1, yref="paper", text="Idag", showarrow=False,
                           xanchor="left", yanchor="top", font={"size": 11})  # fmt: skip
    fig.update_layout(
        title={"text": plotly_escape(title), "x": 0, "xanchor": "left"},
        separators=SEPARATORS,
        template="simple_white",
        barmode="overlay",
        height=170 + 42 * max(1, len(labels)),
        margin={"t": 90, "r": 20, "b": 50, "l": 80},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        xaxis=xaxis,
        yaxis={"title": {"text": "Cykel"}, "categoryorder": "array", "categoryarray": labels,
               "autorange": "reversed"},
        meta={"cycles": labels},
    )  # fmt: skip
    return fig


# --------------------------------------------------------------------------- forms


def _key(prefix: str, field: str) -> str:
    return f"{prefix}_{field}"


def _form_prefix(entity: str, row_id: int | str) -> str:
    return f"pdsa_f_{entity}_{row_id}"


def _reset(prefix: str) -> None:
    for k in [k for k in st.session_state if str(k).startswith(prefix + "_")]:
        del st.session_state[k]


def _widget_value(field: str, spec: Field, value: Any) -> Any:
    if spec.kind == "indicators":
        return list(value or [])
    if spec.kind == "date":
        return _date(value)
    if spec.kind in ("act",):
        return value if value in ACTS else ""
    if spec.kind == "status":
        return value if value in CYCLE_STATUSES else CYCLE_STATUSES[0]
    if spec.kind == "cycle_ref":
        return None if _missing(value) else int(value)
    return "" if _missing(value) else str(value)


def _open_form(prefix: str, fields: Mapping[str, Field], row: Mapping[str, Any] | None) -> None:
    """Fill the form's widgets from ``row`` (or defaults) and remember its version, unless the form is open.

    Streamlit forgets the state of widgets that were not drawn in a run, so
    a form whose first widget has no state is (re)opened from the row as it
    is now, with that row's version as the base of the next save.
    """
    if _key(prefix, next(iter(fields))) in st.session_state:
        return
    for field, spec in fields.items():
        st.session_state[_key(prefix, field)] = _widget_value(field, spec, (row or {}).get(field))
    st.session_state[_key(prefix, "_base")] = None if row is None else int(row["version"])


def _widget(prefix: str, field: str, spec: Field, *, cycle_options: Sequence[tuple[int, str]] = ()) -> None:
    key, label, help_ = _key(prefix, field), spec.label_sv + (" *" if spec.required else ""), spec.help_sv or None
    kind = spec.kind
    if kind in ("title", "short"):
        st.text_input(label, key=key, max_chars=pdsa.TITLE_MAX, help=help_)
    elif kind == "text":
        st.text_area(label, key=key, help=help_, height=90)
    elif kind == "date":
        st.date_input(label, key=key, help=help_, format="YYYY-MM-DD", min_value=dt.date(2000, 1, 1),
                      max_value=dt.date(2100, 12, 31))  # fmt: skip
    elif kind == "status":
        st.selectbox(label, CYCLE_STATUSES, key=key, format_func=STATUS_LABELS_SV.get, help=help_,
                     placeholder="Välj status")  # fmt: skip
    elif kind == "act":
        st.selectbox(label, ["", *ACTS], key=key, help=help_, placeholder="Inget beslut ännu",
                     format_func=lambda a: ACT_LABELS_SV[a] if a else "Inget beslut ännu")  # fmt: skip
    elif kind == "indicators":
        st.multiselect(label, list(INDICATORS), key=key, help=help_, format_func=lambda i: INDICATORS[i].name_sv,
                       placeholder="Välj indikatorer")  # fmt: skip
    elif kind == "cycle_ref":
        names = dict(cycle_options)
        st.selectbox(label, [None, *names], key=key, help=help_, placeholder="Ingen",  # a None value shows this
                     format_func=lambda c: "Ingen" if c is None else names.get(c, f"cykel-id {c}"))  # fmt: skip
    else:  # pragma: no cover - every editable kind is listed above
        raise AssertionError(kind)


def _values(prefix: str, fields: Mapping[str, Field]) -> dict[str, Any]:
    out = {}
    for field, spec in fields.items():
        v = st.session_state.get(_key(prefix, field))
        if spec.kind == "act":
            v = v or None
        out[field] = v
    return out


def _show_errors(errors: Mapping[str, str]) -> None:
    listed = "\n".join(f"- {esc(m)}" for m in errors.values())  # a message may quote a value
    st.error("Inget sparades. Rätta följande och spara igen:\n\n" + listed)


def _conflict_state(entity: str, row_id: int) -> str:
    return f"pdsa_conflict_{entity}_{row_id}"


def _remember_conflict(entity: str, prefix: str, err: ConflictError) -> None:
    """Keep what the user typed (the form keeps its widgets) and what is stored now; the next save is made
    against the stored version. A deleted row has no form any more: its typed values go to the page top."""
    info = {"message": str(err), "current": err.current, "yours": err.yours, "differing": err.differing,
            "entity": entity}  # fmt: skip
    if err.deleted:
        st.session_state[LOST_KEY] = info
        _reset(prefix)
        return
    st.session_state[_conflict_state(entity, err.entity_id)] = info
    st.session_state[_key(prefix, "_base")] = int(err.current["version"])


def _conflict_box(entity: str, row_id: int, prefix: str, fields: Mapping[str, Field]) -> None:
    info = st.session_state.get(_conflict_state(entity, row_id))
    if not info:
        return
    current = info["current"]
    with st.container(border=True):
        st.error(info["message"], icon=":material/sync_problem:")
        st.markdown(
            f"Den sparade versionen (version {current['version']}) sparades av **{esc(current.get('updated_by'))}** "
            f"{pd.Timestamp(current['updated_at']):%Y-%m-%d %H:%M}. Dina värden står kvar i formuläret; sparar du "
            "igen ersätter de den sparade versionen i fälten nedan."
        )
        compare = pd.DataFrame(
            [
                {"Fält": fields[f].label_sv if f in fields else f, "Ditt värde (inte sparat)":
                 value_text(f, info["yours"].get(f), fields), "Sparad version": value_text(f, current.get(f), fields)}
                for f in info["differing"]
            ],
            columns=["Fält", "Ditt värde (inte sparat)", "Sparad version"],
        )  # fmt: skip
        st.dataframe(compare, hide_index=True, key=f"{prefix}_compare")
        if st.button("Släng mina ändringar och visa den sparade versionen", key=f"{prefix}__discard"):
            _reset(prefix)
            del st.session_state[_conflict_state(entity, row_id)]
            st.rerun()


def lost_work_notice() -> None:
    """At the top of the page: values typed into a form whose row someone else deleted meanwhile."""
    info = st.session_state.get(LOST_KEY)
    if not info:
        return
    fields = AREA_FIELDS if info["entity"] == "area" else CYCLE_FIELDS
    with st.container(border=True):
        st.error(info["message"], icon=":material/delete_forever:")
        st.markdown("Dina värden (kopiera dem innan du stänger):")
        st.dataframe(
            pd.DataFrame([{"Fält": fields[f].label_sv if f in fields else f, "Ditt värde": value_text(f, v, fields)}
                          for f, v in info["yours"].items()], columns=["Fält", "Ditt värde"]),
            hide_index=True, key="pdsa_lost_table",
        )  # fmt: skip
        if st.button("Stäng", key="pdsa_lost_close"):
            del st.session_state[LOST_KEY]
            st.rerun()


def area_form(viewer: AccessContext, *, municipality_code: str, area: Mapping[str, Any] | None = None) -> None:
    """Create (``area`` None) or edit an improvement area; saves through ``data_access.pdsa``."""
    fields = {f: s for f, s in AREA_FIELDS.items() if f != "municipality_code"}
    prefix = _form_prefix("area", area["id"] if area else f"new_{municipality_code}")
    _open_form(prefix, fields, area)
    if area is not None:
        _conflict_box("area", int(area["id"]), prefix, fields)
    with st.container(key=prefix + "__box"), st.form(prefix + "__form", border=True):
        for field, spec in fields.items():
            _widget(prefix, field, spec)
        submitted = st.form_submit_button("Spara förbättringsområdet" if area else "Skapa förbättringsområdet",
                                          type="primary")  # fmt: skip
    if not submitted:
        return
    values = _values(prefix, fields)
    try:
        if area is None:
            saved = pdsa.create_area(access=viewer, values={"municipality_code": municipality_code, **values},
                                     engine=_engine())  # fmt: skip
            st.session_state["pdsa_area"] = int(saved["id"])
            flash(f"Förbättringsområdet ”{esc(saved['title'])}” är skapat.")
        else:
            saved = pdsa.update_area(access=viewer, area_id=int(area["id"]),
                                     expected_version=st.session_state[_key(prefix, "_base")], values=values,
                                     engine=_engine())  # fmt: skip
            st.session_state.pop(_conflict_state("area", int(area["id"])), None)
            flash(f"Förbättringsområdet är sparat (version {saved['version']}).")
    except ValidationError as err:
        _show_errors(err.errors)
        return
    except ConflictError as err:
        _remember_conflict("area", prefix, err)
        st.rerun()
    except NotFound as err:
        st.error(str(err))
        return
    _reset(prefix)
    st.rerun()


def cycle_form(
    viewer: AccessContext,
    *,
    area: Mapping[str, Any],
    cycle: Mapping[str, Any] | None = None,
    siblings: pd.DataFrame | None = None,
) -> None:
    """Create (``cycle`` None) or edit a PDSA cycle of ``area``, laid out by the three questions and P, D, S, A."""
    prefix = _form_prefix("cycle", cycle["id"] if cycle else f"new_{area['id']}")
    _open_form(prefix, CYCLE_FIELDS, cycle)
    if cycle is not None:
        _conflict_box("cycle", int(cycle["id"]), prefix, CYCLE_FIELDS)
    options = []
    if siblings is not None:
        options = [(int(c["id"]), f"PDSA {int(c['cycle_number'])}: {c['title']}")
                   for c in siblings.to_dict("records") if cycle is None or int(c["id"]) != int(cycle["id"])]  # fmt: skip
    groups = [
        ("Titel och status", ["title", "status"]),
        ("1. " + QUESTIONS_SV[0], ["aim"]),
        ("2. " + QUESTIONS_SV[1], ["measures", "indicator_ids"]),
        ("3. " + QUESTIONS_SV[2], ["change_idea"]),
        (STEP_LABELS_SV["plan"], ["questions", "predictions", "plan_who", "plan_what", "plan_when", "plan_where",
                                  "start_date", "end_date"]),
        (STEP_LABELS_SV["do"], ["do_observations"]),
        (STEP_LABELS_SV["study"], ["study"]),
        (STEP_LABELS_SV["act"], ["act", "act_date", "act_notes", "next_cycle_id"]),
    ]  # fmt: skip
    with st.container(key=prefix + "__box"), st.form(prefix + "__form", border=True):
        for heading, fields in groups:
            st.markdown(f"**{heading}**")
            if heading == STEP_LABELS_SV["plan"]:
                a, b = st.columns(2)
                for i, field in enumerate(fields):
                    with a if i % 2 == 0 else b:
                        _widget(prefix, field, CYCLE_FIELDS[field])
                continue
            for field in fields:
                _widget(prefix, field, CYCLE_FIELDS[field], cycle_options=options)
        submitted = st.form_submit_button("Spara cykeln" if cycle else "Skapa cykeln", type="primary")
    if not submitted:
        return
    values = _values(prefix, CYCLE_FIELDS)
    try:
        if cycle is None:
            saved = pdsa.create_cycle(access=viewer, area_id=int(area["id"]), values=values, engine=_engine())
            st.session_state["pdsa_cycle"] = int(saved["id"])
            flash(f"PDSA {saved['cycle_number']} ”{esc(saved['title'])}” är skapad.")
        else:
            saved = pdsa.update_cycle(access=viewer, cycle_id=int(cycle["id"]),
                                      expected_version=st.session_state[_key(prefix, "_base")], values=values,
                                      engine=_engine())  # fmt: skip
            st.session_state.pop(_conflict_state("cycle", int(cycle["id"])), None)
            flash(f"PDSA {saved['cycle_number']} är sparad (version {saved['version']}).")
    except ValidationError as err:
        _show_errors(err.errors)
        return
    except ConflictError as err:
        _remember_conflict("cycle", prefix, err)
        st.rerun()
    except NotFound as err:
        st.error(str(err))
        return
    _reset(prefix)
    st.rerun()


# --------------------------------------------------------------------------- the cycle card


def _text_block(label: str, value: Any) -> None:
    st.markdown(f"**{label}:** {esc(value) if not _missing(value) and value != '' else '–'}")


def cycle_card(cycle: Mapping[str, Any], *, next_title: str | None = None) -> None:
    """One cycle laid out by the Model for Improvement: the three questions, then Planera, Göra, Studera, Agera."""
    status = STATUS_LABELS_SV.get(cycle["status"], cycle["status"])
    with st.container(border=True, key=f"pdsa_card_{cycle['id']}"):
        st.markdown(f"#### PDSA {int(cycle['cycle_number'])}: {esc(cycle['title'])}")
        st.markdown(
            f":gray-badge[Status: {status}] · Område: {esc(cycle['area_title'])} · version {int(cycle['version'])}, "
            f"senast ändrad {pd.Timestamp(cycle['updated_at']):%Y-%m-%d %H:%M} av {esc(cycle['updated_by'])}"
        )
        q = st.columns(3)
        with q[0]:
            st.markdown(f"**1. {QUESTIONS_SV[0]}**")
            st.markdown(esc(cycle["aim"]) or "–")
        with q[1]:
            st.markdown(f"**2. {QUESTIONS_SV[1]}**")
            st.markdown(esc(cycle["measures"]) or "–")
            st.markdown(f"*Indikatorer:* {esc(value_text('indicator_ids', cycle['linked_indicator_ids']))}"
                        + ("" if cycle["indicator_ids"] else " (områdets)"))  # fmt: skip
        with q[2]:
            st.markdown(f"**3. {QUESTIONS_SV[2]}**")
            st.markdown(esc(cycle["change_idea"]) or "–")
        steps = st.columns(4)
        with steps[0]:
            st.markdown(f"##### {STEP_LABELS_SV['plan']}")
            for f in ("questions", "predictions", "plan_who", "plan_what", "plan_when", "plan_where"):
                _text_block(CYCLE_FIELDS[f].label_sv, cycle[f])
            end = "inget slutdatum" if _missing(cycle["end_date"]) else value_text("end_date", cycle["end_date"])
            _text_block("Period", f"{value_text('start_date', cycle['start_date'])} – {end}")
        with steps[1]:
            st.markdown(f"##### {STEP_LABELS_SV['do']}")
            _text_block("Observationer", cycle["do_observations"])
        with steps[2]:
            st.markdown(f"##### {STEP_LABELS_SV['study']}")
            _text_block("Utfall mot förutsägelserna", cycle["study"])
        with steps[3]:
            st.markdown(f"##### {STEP_LABELS_SV['act']}")
            _text_block("Beslut", value_text("act", cycle["act"]))
            _text_block("Beslutsdatum", value_text("act_date", cycle["act_date"]))
            _text_block("Motivering", cycle["act_notes"])
            if not _missing(cycle["next_cycle_id"]):
                _text_block("Nästa cykel", next_title or value_text("next_cycle_id", cycle["next_cycle_id"]))


# --------------------------------------------------------------------------- adopt, phases, delete


def _indicator_names(ids: Sequence[str]) -> str:
    return "; ".join(INDICATORS[i].name_sv for i in ids if i in INDICATORS)


def adopt_section(viewer: AccessContext, cycle: Mapping[str, Any], *, municipality_name: str) -> None:
    """"Anta förändringen": Act = adopt on a date, and (offered, on by default) a new SPC phase from that date
    for the cycle's municipality and each linked indicator."""
    if cycle["act"] == "adopt" and cycle["status"] == "avslutad":
        return
    key = f"pdsa_adopt_{cycle['id']}"
    seen = st.session_state.get(key + "_seen", int(cycle["version"]))
    linked = list(cycle["linked_indicator_ids"] or [])
    with st.container(key=key + "_box"), st.form(key, border=True):
        st.markdown("**Anta förändringen** (Agera: införa)")
        st.caption("Cykeln avslutas med beslutet att införa förändringen.")
        on = st.date_input("Beslutsdatum", value=dt.date.today(), key=key + "_date", format="YYYY-MM-DD",
                           min_value=dt.date(2000, 1, 1))  # fmt: skip
        notes = st.text_area("Motivering", key=key + "_notes", height=70)
        phases = st.checkbox(
            f"Starta en ny fas i styrdiagrammen från beslutsdatumet för {municipality_name}: "
            f"{_indicator_names(linked) or 'inga kopplade indikatorer'}",
            value=bool(linked), key=key + "_phases", disabled=not linked,
            help="Styrdiagrammens mittlinje och gränser räknas om från den första perioden efter beslutsdatumet.",
        )  # fmt: skip
        submitted = st.form_submit_button("Anta förändringen", type="primary")
    st.session_state[key + "_seen"] = int(cycle["version"])
    if not submitted:
        return
    try:
        result = pdsa.adopt_cycle(access=viewer, cycle_id=int(cycle["id"]), expected_version=seen, adopted_on=on,
                                  notes=notes or None, start_phases=bool(phases and linked), engine=_engine())  # fmt: skip
    except ConflictError as err:
        st.error(str(err))
        st.session_state[key + "_seen"] = int(err.current["version"])
        return
    except (ValidationError, NotFound) as err:
        st.error(esc(err))  # a validation message may quote the typed value
        return
    st.session_state.pop(key + "_seen", None)
    n = len(result["phases"])
    flash(f"Förändringen är antagen {result['cycle']['act_date']:%Y-%m-%d}."
          + (f" Ny fas startad i {n} styrdiagram." if n else ""))  # fmt: skip
    _reset(_form_prefix("cycle", cycle["id"]))
    st.rerun()


def phase_offer(viewer: AccessContext, cycle: Mapping[str, Any], phases: pd.DataFrame, *, municipality_name: str) -> None:
    """A cycle adopted through the edit form has no phases yet: offer to start them at the decision date."""
    if cycle["act"] != "adopt" or _missing(cycle["act_date"]) or not cycle["linked_indicator_ids"]:
        return
    if not phases.empty and (phases["cycle_id"] == int(cycle["id"])).any():
        return
    key = f"pdsa_phase_offer_{cycle['id']}"
    if st.session_state.get(key + "_no"):
        return
    when = _date(cycle["act_date"])
    with st.container(border=True):
        st.info(
            f"Förändringen är antagen {when:%Y-%m-%d}. Starta en ny fas i styrdiagrammen från {when:%Y-%m-%d} för "
            f"{municipality_name}: {_indicator_names(cycle['linked_indicator_ids'])}?"
        )
        a, b = st.columns(2)
        if a.button("Starta ny fas", key=key + "_yes", type="primary"):
            reason = f"PDSA {int(cycle['cycle_number'])}: {cycle['title']} – förändringen infördes"
            for ind_id in cycle["linked_indicator_ids"]:
                pdsa.add_phase(access=viewer, municipality_code=cycle["municipality_code"], indicator_id=ind_id,
                               start_date=when, reason=reason, cycle_id=int(cycle["id"]), engine=_engine())  # fmt: skip
            flash(f"Ny fas startad från {when:%Y-%m-%d}.")
            st.rerun()
        if b.button("Inte nu", key=key + "_no_btn"):
            st.session_state[key + "_no"] = True
            st.rerun()


def phases_table(phases: pd.DataFrame, cycles: pd.DataFrame) -> pd.DataFrame:
    """Stored SPC phases of the municipality as a Swedish table."""
    titles = {int(c["id"]): f"PDSA {int(c['cycle_number'])}: {c['title']}" for c in cycles.to_dict("records")}
    rows = [
        {
            "Indikator": INDICATORS[p["indicator_id"]].name_sv if p["indicator_id"] in INDICATORS else p["indicator_id"],
            "Ny fas från": value_text("start_date", p["start_date"]),
            "Anledning": p["reason"] or "–",
            "Cykel": titles.get(int(p["cycle_id"]), "–") if not _missing(p["cycle_id"]) else "–",
        }
        for p in phases.to_dict("records")
    ]
    return pd.DataFrame(rows, columns=["Indikator", "Ny fas från", "Anledning", "Cykel"])


def delete_section(viewer: AccessContext, entity: str, row: Mapping[str, Any]) -> None:
    """A delete button that asks first; the deletion is soft (kept, audited) and made at the version shown."""
    key = f"pdsa_delete_{entity}_{row['id']}"
    # Markdown (the warning and the message after): the title escaped
    what = (f"förbättringsområdet ”{esc(row['title'])}” och alla dess cykler" if entity == "area"
            else f"PDSA {int(row['cycle_number'])} ”{esc(row['title'])}”")  # fmt: skip
    label = "Ta bort förbättringsområdet" if entity == "area" else "Ta bort cykeln"
    if not st.session_state.get(key):
        if st.button(label, key=key + "_ask", icon=":material/delete:"):
            st.session_state[key] = int(row["version"])
            st.rerun()
        return
    st.warning(f"Vill du ta bort {what}? Det syns sedan inte längre, men finns kvar i ändringsloggen och kan "
               "återställas av en administratör.")  # fmt: skip
    a, b = st.columns(2)
    if a.button("Ja, ta bort", key=key + "_yes", type="primary"):
        version = st.session_state.pop(key)
        try:
            if entity == "area":
                pdsa.delete_area(access=viewer, area_id=int(row["id"]), expected_version=version, engine=_engine())
            else:
                pdsa.delete_cycle(access=viewer, cycle_id=int(row["id"]), expected_version=version, engine=_engine())
        except (ConflictError, NotFound) as err:
            st.error(str(err))
            return
        flash(f"{what[0].upper()}{what[1:]} är borttaget." if entity == "area" else f"{what} är borttagen.")
        st.rerun()
    if b.button("Avbryt", key=key + "_no"):
        st.session_state.pop(key, None)
        st.rerun()


# --------------------------------------------------------------------------- audit trail

_ENTITY_SV = {"area": "Område", "cycle": "Cykel", "phase": "Fas"}
_ACTION_SV = {"create": "skapad", "update": "ändrad", "delete": "borttagen"}


def audit_table(trail: pd.DataFrame) -> pd.DataFrame:
    """The audit rows as a Swedish read-only table."""
    labels = {**{f: s.label_sv for f, s in AREA_FIELDS.items()}, **{f: s.label_sv for f, s in CYCLE_FIELDS.items()},
              "deleted_at": "Borttagen", "indicator_id": "Indikator", "reason": "Anledning", "cycle_id": "Cykel-id"}  # fmt: skip
    rows = [
        {
            "Tid": f"{pd.Timestamp(r['changed_at']):%Y-%m-%d %H:%M:%S}",
            "Användare": r["changed_by"],
            "Vad": f"{_ENTITY_SV.get(r['entity'], r['entity'])} {int(r['entity_id'])}",
            "Händelse": _ACTION_SV.get(r["action"], r["action"]),
            "Fält": labels.get(r["field"], r["field"]),
            "Tidigare värde": "–" if _missing(r["old_value"]) else r["old_value"],
            "Nytt värde": "–" if _missing(r["new_value"]) else r["new_value"],
            "Version": "–" if _missing(r["version"]) else str(int(r["version"])),
        }
        for r in trail.to_dict("records")
    ]
    return pd.DataFrame(rows, columns=["Tid", "Användare", "Vad", "Händelse", "Fält", "Tidigare värde", "Nytt värde",
                                       "Version"])  # fmt: skip


def audit_section(viewer: AccessContext, municipality_code: str, municipality_name: str) -> None:
    """Administrators: every change to areas, cycles and phases of the municipality, newest first (read only)."""
    st.subheader("Ändringslogg")
    trail = pdsa.audit_trail(access=viewer, municipalities=[municipality_code], engine=_engine())
    st.caption(f"Alla ändringar av förbättringsområden, PDSA-cykler och faser i {municipality_name}, senaste först "
               "(en rad per ändrat fält). Loggen kan inte ändras.")  # fmt: skip
    if trail.empty:
        st.info("Inga ändringar ännu.")
        return
    st.dataframe(audit_table(trail), hide_index=True, key="pdsa_audit_table")


# --------------------------------------------------------------------------- the monthly review


def review_table(review) -> pd.DataFrame:
    """Every indicator of a :class:`metrics.review.MonthlyReview` as a Swedish table (symbols and words)."""
    from ui.icons import assurance_text, variation_text
    from ui.labels import format_value
    from ui.overview_table import target_cell
    from ui.plotly_sv import SV_SHORT_MONTHS

    def short(period: Any) -> str:
        if _missing(period) or not period:
            return "–"
        p = pd.Period(str(period), freq="M")
        return f"{SV_SHORT_MONTHS[p.month - 1]} {p.year}"

    rows = []
    for r in review.indicators.to_dict("records"):
        unit = r["unit"] or ""
        if r["status"] == "ok":
            latest = format_value(r["value"], unit)
        elif r["status"] == "undertryckt":
            latest = "– (för få fall)"
        else:
            latest = "saknar underlag"
        prev = " · ".join(f"{short(r[f'prev_{k}_period'])}: {_bare(r[f'prev_{k}'], unit)}" for k in (1, 2, 3))
        rows.append(
            {
                "Indikator": r["name"],
                "Senaste värde": latest,
                "Månad": short(r["period"]) + ("" if r["is_current"] or _missing(r["period"]) else " (senaste)"),
                "Mål": target_cell(r["target_text"], r["target_status"]),
                "Föregående månader": prev if r["status"] != "saknar_underlag" else "–",
                "Variation": variation_text(r["variation"], bool(r["few_crossings"])) or "–",
                "Måluppfyllelse": (assurance_text(r["assurance"]) or "–") if not _missing(r["assurance"]) else "–",
                "Öppna cykler": int(r["open_cycles"] or 0),
            }
        )
    return pd.DataFrame(rows, columns=["Indikator", "Senaste värde", "Månad", "Mål", "Variation", "Måluppfyllelse",
                                       "Öppna cykler", "Föregående månader"])  # fmt: skip


def _bare(value, unit: str) -> str:
    """A previous month's value: per cent keeps its sign, other units are in the "Senaste värde" column."""
    from ui.labels import decimals_for, format_number, format_value

    if unit == "%" or value is None or value != value:
        return format_value(value, unit)
    return format_number(float(value), decimals_for(unit))


def review_sentences(review) -> None:
    """The verdict of every indicator in words (the sentence under its chart on Trender)."""
    judged = [r for r in review.indicators.to_dict("records") if isinstance(r["sentence"], str) and r["sentence"]]
    if not judged:
        return
    with st.expander("Bedömning i ord per indikator"):
        st.markdown("\n".join(f"- **{r['name']}**: {r['sentence']}" for r in judged))  # our own words, not user text


def open_cycles_table(frame: pd.DataFrame) -> pd.DataFrame:
    rows = [
        {
            "Cykel": f"PDSA {int(c['cycle_number'])}: {c['title']}",
            "Område": c["area_title"],
            "Status": c["status_label"] + (" – slutdatum passerat" if c["overdue"] else ""),
            "Start": value_text("start_date", c["start_date"]),
            "Slut": value_text("end_date", c["end_date"]),
            "Indikatorer": value_text("indicator_ids", c["linked_indicator_ids"]),
        }
        for c in frame.to_dict("records")
    ]
    return pd.DataFrame(rows, columns=["Cykel", "Område", "Status", "Start", "Slut", "Indikatorer"])


def decisions_table(frame: pd.DataFrame) -> pd.DataFrame:
    rows = [
        {
            "Datum": value_text("act_date", d["act_date"]),
            "Cykel": f"PDSA {int(d['cycle_number'])}: {d['title']}",
            "Område": d["area_title"],
            "Beslut": d["act_label"],
            "Motivering": d["act_notes"] if isinstance(d["act_notes"], str) and d["act_notes"] else "–",
        }
        for d in frame.to_dict("records")
    ]
    return pd.DataFrame(rows, columns=["Datum", "Cykel", "Område", "Beslut", "Motivering"])


def cycle_page_links(frame: pd.DataFrame, *, id_column: str = "cycle_id") -> None:
    """Links to the cycle cards on Förbättringsarbete (a link's label is Markdown: the title escaped)."""
    for c in frame.to_dict("records"):
        st.page_link("pages/forbattringsarbete.py", label=f"PDSA {int(c['cycle_number'])}: {esc(c['title'])}",
                     icon=":material/autorenew:", query_params={"cykel": str(int(c[id_column]))})  # fmt: skip


def pack_section(
    viewer: AccessContext,
    review,
    results: pd.DataFrame,
    phases: Mapping[str, Sequence],
    *,
    municipality_name: str,
) -> None:
    """The workshop pack (PDF): made only when asked for (kaleido renders the charts, some seconds), then
    offered for download. Needs the ``export`` permission (checked again here, server side)."""
    from data_access.access import allowed, require
    from ui.pack import build_pack_pdf, review_figures

    st.subheader("Arbetsmaterial (PDF)")
    if not allowed(viewer, "export"):
        st.caption("Arbetsmaterialet som PDF kan laddas ner av processledare.")
        return
    linked = review.linked_indicator_ids()
    st.caption(
        "A4 för utskrift: indikatorerna, pågående förbättringsarbete, månadens beslut och styrdiagram för de "
        f"{len(linked)} indikatorer som är kopplade till förbättringsarbetet. Att skapa den tar några sekunder."
    )
    key = (review.municipality_code, review.month)
    made = st.session_state.get("mu_pack")
    if st.button("Skapa PDF", key="mu_pack_make", icon=":material/picture_as_pdf:"):
        require(viewer, "export")
        with st.spinner("Skapar PDF med styrdiagram …"):
            marks = {
                i: pdsa.annotations_for(access=viewer, municipality_code=review.municipality_code, indicator_id=i,
                                        engine=_engine())
                for i in linked
            }  # fmt: skip
            figures = review_figures(results, review, phases=phases, annotations=marks)
            pdf = build_pack_pdf(review, figures, municipality_name=municipality_name, month_label=review.month_label)
        made = st.session_state["mu_pack"] = (key, pdf)
    if made and made[0] == key:
        st.download_button(
            "Ladda ner PDF", made[1], file_name=f"manadsuppfoljning_{review.municipality_code}_{review.month}.pdf",
            mime="application/pdf", key="mu_pack_download", on_click="ignore", type="primary",
            icon=":material/download:",
        )  # fmt: skip
