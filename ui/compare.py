"""The Jämför page body: period choice, dot plot with CIs, funnel plot, table, exports."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from metrics.compare import choose_reference_rows, comparison_rows, funnel_data
from metrics.periods import period_label_sv
from metrics.registry import INDICATORS
from ui.charts import ci_dot_plot, funnel_plot
from ui.context import PageContext, TileKey, shown_of, store_frame, tile_key, verdict_rows
from ui.exports import download_buttons
from ui.icons import assurance_text, variation_text
from ui.labels import format_number, format_value, municipality_names, region_names
from ui.plotly_sv import plotly_config
from ui.references import (
    KOLADA_PREFIX,
    kolada_caption,
    kolada_series,
    reference_key,
    reference_lines,
    values_of,
)
from ui.safe_text import md_escape

X_TITLES = {
    "proportion": "Antal i nämnaren",
    "rate": "Befolkning (tusental personår)",
    "rate_point": "Befolkning (tusental invånare)",
}


@dataclass(frozen=True, eq=False)
class ComparisonView:
    """What Jämför draws for one indicator and period (made once per process and filters; read-only)."""

    area_value: float | None
    parts: pd.DataFrame  # the municipalities, in the chosen order, with "Kommun"
    total: pd.DataFrame  # the area row
    dots: go.Figure | None
    funnel: go.Figure | None
    hidden: tuple[str, ...] = ()  # the municipalities without a value shown (too few cases or no underlag)


@st.cache_resource(show_spinner=False, max_entries=1024)
def _periods(key: tuple, sex: str, indicator_id: str) -> list[str]:
    r = shown_of(key)
    r = r[(r["indicator_id"] == indicator_id) & (r["status"] == "ok") & (r["sex"] == sex)]
    return sorted(r["period"].unique(), reverse=True)


@st.cache_resource(show_spinner=False, max_entries=1024)
def _view(key: tuple, sex: str, indicator_id: str, period: str, order: str,
          references: tuple[tuple[float, str], ...] = (), highlight: tuple[str, ...] = ()) -> ComparisonView:
    """``references``: Kolada's riket and region lines for the period's year (:func:`ui.references.reference_lines`);
    ``highlight``: the municipality codes chosen in the filter, marked in both charts and the table."""
    ind = INDICATORS[indicator_id]
    names = municipality_names()
    unit = ind.unit_for(key[3])
    rows = comparison_rows(store_frame(key), ind, period=period, sex=sex)
    rows["Kommun"] = rows["municipality_code"].map(names).fillna(rows["municipality_code"])
    rows["chosen"] = rows["municipality_code"].isin(highlight)
    chosen_names = tuple(rows.loc[rows["chosen"], "Kommun"])
    parts = rows[rows["municipality_code"] != "ALL"]
    total = rows[rows["municipality_code"] == "ALL"]
    parts = parts.sort_values("Kommun" if order == "alfabetisk" else "value", na_position="last")
    area_value = float(total["value"].iloc[0]) if len(total) and total["value"].notna().all() else None
    shown = parts[parts["value"].notna()]
    dots = None
    if len(shown):
        dots = ci_dot_plot(shown, value_col="value", low_col="ci_low", high_col="ci_high", label_col="Kommun",
                           unit=unit, reference=area_value, reference_label="Hela området",
                           other_references=references, highlight=chosen_names)
        dots.layout.template = None
    funnel = funnel_data(rows, ind)
    funnel_fig = None
    if funnel is not None:
        limits, centre, scale = funnel
        points = shown.assign(n=shown["funnel_n"], label=shown["Kommun"])
        n_format = ",.0f" if ind.value_kind == "proportion" else ",.2f"  # thousands of person-years: 0.04 a month
        funnel_fig = funnel_plot(points, limits, centre=centre, scale=scale, unit=unit,
                                 x_title=X_TITLES[ind.value_kind], n_format=n_format,
                                 highlight=chosen_names)  # fmt: skip
        funnel_fig.layout.template = None
    return ComparisonView(area_value, parts, total, dots, funnel_fig, tuple(parts.loc[parts["value"].isna(), "Kommun"]))


PERIOD_KEY = "cmp_period"
PERIOD_PICKED = "cmp_period_picked"  # the user chose a period (else it follows the latest complete one)


def _period_picked() -> None:
    st.session_state[PERIOD_PICKED] = True


def comparison_section(ctx: PageContext, ind) -> None:
    unit = ind.unit_for(ctx.filters.grain)
    key = ctx.series_key("", "", ctx.filters.sex)[:6]
    periods = _periods(key, ctx.filters.sex, ind.id)
    if not periods:
        st.info("Saknar underlag för vald indikator och period.")
        return
    # The period follows the indicator's latest complete period (status ok) until the user picks one.
    if not st.session_state.get(PERIOD_PICKED) or st.session_state.get(PERIOD_KEY) not in periods:
        st.session_state[PERIOD_KEY] = periods[0]
        st.session_state[PERIOD_PICKED] = False
    c1, c2 = st.columns(2)
    period = c1.selectbox("Period", periods, key=PERIOD_KEY, format_func=period_label_sv,
                          on_change=_period_picked)  # fmt: skip
    order = c2.radio("Ordning", ["alfabetisk", "värde"], key="cmp_order", horizontal=True,
                     format_func=lambda o: "Alfabetisk" if o == "alfabetisk" else "Efter värde")
    ref_key = reference_key(ind.id, ctx.viewer)
    kolada = kolada_series(ref_key, ("ALL",), ctx.filters.sex)  # riket and the area's region
    lines = tuple(reference_lines(kolada, int(period[:4]), ind.unit))
    chosen = tuple(c for c in ctx.filters.municipalities if c != "ALL")
    view_args = (key, ctx.filters.sex, ind.id, period, order, lines, chosen)
    view = _view(*view_args)
    if view.area_value is not None:
        st.metric(f"Hela området, {period_label_sv(period)}", format_value(view.area_value, unit))
    if view.dots is not None:
        st.plotly_chart(view.dots, config=plotly_config(), key="cmp-dots", width="stretch")
        if lines:
            kolada_caption(ref_key, [s for s in kolada if any(f"(Kolada {s[0]})" in label for _, label in lines)])
    if chosen:
        st.caption(f"Kommuner valda i filtret är markerade med en öppen romb (◇) i diagrammen och med "
                   f"”ja” i kolumnen {CHOSEN_COLUMN} i tabellen.")
    if view.hidden:
        st.caption("Visas inte (för få fall eller saknar underlag): " + ", ".join(view.hidden))
    if view.funnel is not None:
        st.subheader("Trattdiagram")
        st.plotly_chart(view.funnel, config=plotly_config(), key="cmp-funnel", width="stretch")
    table, sentences = _summary(ctx, view_args, view)
    st.caption(
        "Variation och måluppfyllelse gäller varje kommuns styrdiagram över hela det valda tidsintervallet – "
        "samma bedömning som på Översikt och Trender – inte bara den valda perioden."
    )
    st.dataframe(table, hide_index=True)
    with st.expander("Bedömning i ord per kommun"):
        st.markdown(sentences)
    download_buttons(table, name=f"jamfor_{ind.id}_{period}", key="cmp-dl")
    _references_section(ind, period, ctx.filters.sex)


def _summary(ctx: PageContext, view_args: tuple, view: ComparisonView) -> tuple[pd.DataFrame, str]:
    """The table and the verdicts in words for ``view`` (:func:`_view` of ``view_args``; read-only)."""
    codes = (*view.parts["municipality_code"], *view.total["municipality_code"])
    return _summary_of(view_args, tile_key(ctx), tuple(ctx.phases(c) for c in codes), view)


@st.cache_resource(show_spinner=False, max_entries=1024)
def _summary_of(view_args: tuple, key: TileKey, phases: tuple, _view: ComparisonView) -> tuple[pd.DataFrame, str]:
    """``_view`` is not hashed: ``view_args`` names it."""
    indicator_id, grain = view_args[2], view_args[0][3]
    ind = INDICATORS[indicator_id]
    everyone = pd.concat([_view.parts, _view.total])
    tiles = verdict_rows(key, tuple(everyone["municipality_code"]), indicator_id, phases)
    verdicts = [t if t["status"] == "ok" else {} for t in tiles.to_dict("records")]
    sentences = "\n".join(
        f"- **{name}**: {v['sentence']}" for name, v in zip(everyone["Kommun"], verdicts, strict=True)
        if v.get("sentence")
    )  # fmt: skip
    return _table(everyone, ind, ind.unit_for(grain), verdicts), sentences


def _references_section(ind, period: str, sex: str) -> None:
    """Reference values from elsewhere for the chosen period (or the quarter or year containing it), with
    their source (never mixed into ours).

    Riket first, then regions, then municipalities. Which rows and which note
    when there are none for the period: :func:`metrics.compare.choose_reference_rows`. The sex filter picks
    the values of that sex (a source without K/M values shows nothing for K or M).
    """
    table, note, kpis = _reference_table(reference_key(ind.id), period, sex)
    if table is None:
        return
    st.subheader("Referensvärden från andra källor")
    st.caption(
        "Värden som räknats fram utanför indikatorvyn, med egna definitioner. De visas som jämförelse "
        "och ingår aldrig i våra beräkningar."
    )
    if note:
        st.caption(note)
    st.dataframe(table, hide_index=True)
    if kpis:
        kpi_text = md_escape(", ".join(kpis))  # ids from an imported file
        st.caption(f"Källa: Kolada (nyckeltal {kpi_text}), Rådet för främjande av kommunala analyser.")


@st.cache_resource(show_spinner=False, max_entries=1024)
def _reference_table(key: tuple, period: str, sex: str = "T") -> tuple[pd.DataFrame | None, str, list[str]]:
    """The reference table for one period and sex (None when the indicator has no reference values), made
    once per :func:`ui.references.reference_key`, period and sex. Read-only."""
    refs = values_of(key)
    refs = refs[refs["sex"] == sex]
    if refs.empty:
        return None, "", []
    ind = INDICATORS[key[-1]]
    chosen, note = choose_reference_rows(refs, period)
    chosen = chosen.assign(_order=chosen["municipality_code"].map(lambda c: (0 if c == "0000" else 1 if c.startswith("00") else 2, c)))
    chosen = chosen.sort_values(["_order", "source"])
    names = {**municipality_names(), **region_names()}
    table = pd.DataFrame(
        {
            "Område": chosen["municipality_code"].map(lambda c: names.get(c, c)),
            "Period": chosen["period"].map(period_label_sv),
            "Värde": [format_value(v, ind.unit) for v in chosen["value"]],
            "Källa": chosen["source"],
        }
    )
    kpis = sorted({s.split(" ", 1)[1] for s in chosen["source"] if s.startswith(KOLADA_PREFIX + " ")})
    return table, note, kpis


CHOSEN_COLUMN = "Vald i filtret"


def _table(rows: pd.DataFrame, ind, unit: str, verdicts: list[dict]) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "Kommun": rows["Kommun"],
            "Värde": [format_value(v, unit) for v in rows["value"]],
            "95 % KI, nedre": [format_value(v, unit) for v in rows["ci_low"]],
            "95 % KI, övre": [format_value(v, unit) for v in rows["ci_high"]],
            "Täljare": [format_number(v, 0) for v in rows["numerator"]],
            "Nämnare": [format_number(v, 0) for v in rows["denominator"]],
            "Läge i trattdiagram": rows["funnel"].fillna(""),
            "Variation": [variation_text(v.get("variation"), bool(v.get("few_crossings"))) or "–" for v in verdicts],
            "Måluppfyllelse": [assurance_text(v.get("assurance")) or "–" for v in verdicts],
        }
    )
    if rows["chosen"].any():
        table.insert(1, CHOSEN_COLUMN, ["ja" if c else "" for c in rows["chosen"]])
    return table
