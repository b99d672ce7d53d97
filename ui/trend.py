"""One indicator's SPC section on the Trender page: chart, verdict, chart type choice, table, exports.

The stored SPC phases of the municipality and indicator split the limits
(``PageContext.phases``, read once per run through ``data_access.pdsa.phase_dates``:
every viewer of the municipality, since the limits are the same for everyone;
the Översikt tiles use the same dates), and the verdict under the chart is
``metrics.verdict.judge`` of the drawn table. Where the chart shows a new
level, viewers who may store phases are offered one. The PDSA cycles linked to the
indicator are marked on the chart and listed under it as links to their
cycle card on Förbättringsarbete (``data_access.pdsa.annotations_for``:
only viewers with ``read_pdsa``; others get none).
"""

from __future__ import annotations

import datetime as dt
import html

import pandas as pd
import streamlit as st

from data_access import pdsa
from data_access.access import allowed, may_see_page
from metrics.periods import grain_of, period_label_sv
from metrics.registry import INDICATORS
from metrics.series import default_chart_for, indicator_spc
from metrics.spc import MIN_POINTS_FOR_FIRM_LIMITS
from ui.context import PageContext, SeriesKey, engine, series_of
from ui.exports import download_buttons, table_switch
from ui.plotly_sv import plotly_config
from ui.references import (
    KoladaSeries,
    add_kolada_traces,
    kolada_caption,
    kolada_series,
    kolada_table,
    one_per_area,
    reference_key,
)
from ui.spc_chart import build_spc_figure, spc_table_alternative
from ui.verdict import verdict_lines

CHART_NAMES = {
    "run": "Körningsdiagram (median)",
    "i": "I-diagram (XmR)",
    "p": "P-diagram",
    "pp": "P′-diagram (Laney)",
    "u": "U-diagram",
    "up": "U′-diagram (Laney)",
}
CHARTS_FOR_KIND = {
    "proportion": ("p", "pp", "i", "run"),
    "rate": ("up", "u", "i", "run"),
    "rate_point": ("up", "u", "i", "run"),
    "median": ("i", "run"),
    "count": ("i", "run"),
}


def _series(ctx: PageContext, ind_id: str, code: str) -> pd.DataFrame:
    return ctx.series(ind_id, code)


Mark = tuple[str, str, str, int, str]  # x (ISO date), text, hover, cycle id, status: hashable for the cache


def chart_marks(ctx: PageContext, ind_id: str, code: str, series: pd.DataFrame) -> tuple[tuple[str, ...], tuple[Mark, ...]]:
    """The stored phase dates and the PDSA marks of one chart, as hashable tuples (part of ``_chart``'s key).

    Marks outside the series' periods are left out (they would stretch the axis).
    """
    if code == "ALL":  # phases and cycles belong to municipalities
        return (), ()
    phases = dict(ctx.phases(code)).get(ind_id, ())  # the same dates as the tiles' verdicts
    marks = pdsa.annotations_for(access=ctx.viewer, municipality_code=code, indicator_id=ind_id, engine=engine())
    first = pd.Timestamp(series["period_start"].min()).date()
    last = pd.Timestamp(series["period_end"].max()).date()
    return (
        tuple(phases),
        tuple(
            (m["x"].isoformat(), m["text"], m["hover"], int(m["cycle_id"]), str(m["status"]))
            for m in marks
            if first <= m["x"] <= last
        ),
    )


@st.cache_resource(show_spinner=False, max_entries=2048)
def _chart(
    key: SeriesKey,
    chart: str,
    target: float | None,
    phases: tuple[str, ...] = (),
    marks: tuple[Mark, ...] = (),
    data_start: str | None = None,
    kolada: tuple[KoladaSeries, ...] = (),
):
    """SPC figure, table alternative and verdict for one series, computed once per process and shared by
    every session (``st.cache_resource``: never copied; read-only). Keyed by the series' name, not its rows,
    so a rerun hashes a few strings.

    ``phases`` (ISO dates) start new limits; ``marks`` are the PDSA cycles drawn on the chart; ``kolada`` are
    Kolada's yearly series (``ui.references``), drawn as their own traces after the SPC ones. The figure is
    a ``go.Figure`` without a template (Streamlit applies its own theme): Streamlit copies it with
    ``to_dict`` instead of validating a dict on every rerun.
    """
    ind_id = key[6]
    series = series_of(key)
    ind = INDICATORS[ind_id]
    table, verdict = indicator_spc(
        series, ind, chart=chart, target=target, phase_dates=[pd.Timestamp(d) for d in phases], data_start=data_start
    )
    annotations = [{"x": dt.date.fromisoformat(x), "text": text, "hover": hover, "cycle_id": cid}
                   for x, text, hover, cid, _status in marks]  # fmt: skip
    grain = grain_of(str(series["period"].iloc[-1]))
    unit = ind.unit_for(grain)
    fig = build_spc_figure(table, title=ind.name_sv, unit=unit, value_format=",.1f", annotations=annotations)
    if kolada:
        first = pd.Timestamp(series["period_start"].min()).date()
        last = pd.Timestamp(series["period_end"].max()).date()
        add_kolada_traces(fig, kolada, unit=ind.unit, grain=grain, first=first, last=last)
    fig.layout.template = None
    return fig, spc_table_alternative(table), verdict


def default_chart(ind, series: pd.DataFrame) -> str:
    """The registry's chart for the series (its denominators decide between p/u and p′/u′)."""
    return default_chart_for(ind, series["denominator"].astype(float).to_numpy())


def chart_args(ctx: PageContext, ind_id: str, code: str, series: pd.DataFrame, chart: str,
               target: float | None) -> tuple:
    """The arguments of :func:`_chart` for one series (its cache key): the page and the warm-up
    (``ui.warmup``) build them here, so both name the same cached chart."""
    phases, marks = chart_marks(ctx, ind_id, code, series)
    kolada = one_per_area(kolada_series(reference_key(ind_id, ctx.viewer), (code,), ctx.filters.sex))
    return ctx.series_key(ind_id, code), chart, target, phases, marks, data_start(ctx, ind_id), kolada


def warm_chart(ctx: PageContext, ind_id: str, code: str, target: float | None) -> None:
    """Compute the default chart of one series into the shared cache (what :func:`trend_section` shows first)."""
    series = _series(ctx, ind_id, code).sort_values("period_start")
    if series.empty or not (series["status"] == "ok").any():
        return
    _chart(*chart_args(ctx, ind_id, code, series, default_chart(INDICATORS[ind_id], series), target))


def data_start(ctx: PageContext, ind_id: str) -> str | None:
    """The first period with underlag for the indicator in the whole stored table (not the chosen date
    range): where its look-back windows begin to fill."""
    first = ctx.data_starts.get(ind_id)
    return None if first is None or pd.isna(first) else pd.Timestamp(first).date().isoformat()


def trend_section(ctx: PageContext, ind_id: str, code: str, target: float | None) -> None:
    """``target`` is the level that applies to the latest complete period (from the Översikt tiles)."""
    ind = INDICATORS[ind_id]
    series = _series(ctx, ind_id, code).sort_values("period_start")
    st.subheader(ind.name_sv)
    if series.empty or not (series["status"] == "ok").any():
        st.info("Saknar underlag för vald kommun och period.")
        return
    if ctx.filters.sex != "T" and not ind.sex_breakdown:
        st.caption("Indikatorn finns inte uppdelad på kön (källan saknar kön).")
    default = default_chart(ind, series)
    options = list(CHARTS_FOR_KIND[ind.value_kind])
    if default not in options:
        options.insert(0, default)
    chart = st.selectbox(
        "Diagramtyp", options, index=options.index(default), key=f"chart-{code}-{ind_id}",
        format_func=lambda c: CHART_NAMES[c] + (" (standard)" if c == default else ""),
    )
    args = chart_args(ctx, ind_id, code, series, chart, target)
    marks, kolada = args[4], args[6]
    fig, alt, verdict = _chart(*args)
    st.plotly_chart(fig, config=plotly_config(), key=f"spc-{code}-{ind_id}", width="stretch")
    verdict_lines(verdict)
    if kolada:
        kolada_caption(reference_key(ind_id, ctx.viewer), kolada)
    note = ind.rate_note_sv(ctx.filters.grain)
    if note:
        st.caption(note)
    if verdict.new_phase_from is not None and chart == default:
        new_phase_offer(ctx, ind_id, code, verdict)
    if marks:
        cycle_links(ctx, marks)
    incomplete = int((series["status"] == "ofullstandig_period").sum())
    if incomplete:
        st.caption(
            f"{incomplete} period(er) i slutet är ofullständiga (uppföljningstiden har inte gått ut) "
            "och ingår inte i diagrammet."
        )
    if table_switch("Visa som tabell", key=f"tab-{code}-{ind_id}",
                    help="Diagrammets värden, gränser och signaler som tabell, med nedladdning."):
        st.dataframe(alt, hide_index=True)
        download_buttons(alt, name=f"{ind_id}_{code}", key=f"dl-{code}-{ind_id}", figure=fig)
        if kolada:
            st.markdown(f"**Kolada, helårsvärden** ({ind.unit})")
            st.dataframe(kolada_table(kolada, ind.unit), hide_index=True, key=f"kolada-{code}-{ind_id}")


def new_phase_offer(ctx: PageContext, ind_id: str, code: str, verdict) -> None:
    """A new level in the chart: offer editors of the municipality's PDSA work a new phase from its start.

    Shown only to viewers who may store phases for ``code`` (``edit_pdsa``); the store checks again.
    """
    if code == "ALL" or not allowed(ctx.viewer, "edit_pdsa") or not ctx.viewer.allows_municipality(code):
        return
    start = verdict.new_phase_from.date()
    label = period_label_sv(f"{start:%Y-%m}")
    text = (
        f"Styrdiagrammet visar en ny nivå sedan {label}. En ny fas från {label} räknar egna gränser för den nya "
        f"nivån när fasen har {MIN_POINTS_FOR_FIRM_LIMITS} punkter; till dess bedöms den mot föregående fas."
    )
    if verdict.assurance == "new_level":
        text += " Först med de nya gränserna kan måluppfyllelsen bedömas."
    st.info(text)
    if st.button(f"Starta ny fas från {label}", key=f"new-phase-{code}-{ind_id}", icon=":material/start:"):
        pdsa.add_phase(access=ctx.viewer, municipality_code=code, indicator_id=ind_id, start_date=start,
                       reason=f"Ny nivå i styrdiagrammet sedan {label}", engine=engine())  # fmt: skip
        st.rerun()


def cycle_links(ctx: PageContext, marks: tuple[Mark, ...]) -> None:
    """Under a chart: the PDSA cycles marked on it, each a link to its card on Förbättringsarbete."""
    from metrics.review import STATUS_LABELS_SV
    from ui.safe_text import md_escape  # user text in a Markdown label

    st.markdown("**PDSA-cykler i diagrammet** (streckade linjer vid startdatum):")
    for x, text, _hover, cycle_id, status in marks:  # ``text`` is Plotly text (escaped HTML)
        status_sv = STATUS_LABELS_SV.get(status, status).lower()
        label = md_escape(f"{html.unescape(text)} – start {x}, {status_sv}")
        if may_see_page(ctx.viewer, "forbattringsarbete"):
            st.page_link(
                "pages/forbattringsarbete.py", label=label, icon=":material/autorenew:",
                query_params={"cykel": str(cycle_id)},
            )  # fmt: skip
        else:
            st.markdown(f"- {label}")
