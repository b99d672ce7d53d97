"""One indicator's SPC section on the Trender page: chart, sentence, chart type choice, table, exports."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from metrics.registry import INDICATORS
from metrics.series import default_chart_for, describe_sv, indicator_spc
from ui.context import PageContext
from ui.exports import download_buttons
from ui.plotly_sv import plotly_config
from ui.spc_chart import build_spc_figure, spc_table_alternative

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
    r = ctx.in_range(ctx.results)
    return r[(r["indicator_id"] == ind_id) & (r["municipality_code"] == code) & (r["sex"] == ctx.filters.sex)]


@st.cache_data(show_spinner=False, max_entries=1024)
def _chart(series: pd.DataFrame, ind_id: str, chart: str, target: float | None):
    """SPC figure, table alternative and sentence for one series (cached: a series is small to hash)."""
    ind = INDICATORS[ind_id]
    table, summary = indicator_spc(series, ind, chart=chart, target=target)
    fig = build_spc_figure(table, title=ind.name_sv, unit=ind.unit, value_format=",.1f")
    # A plain dict without Plotly's default template (Streamlit applies its own theme): far less to
    # validate and copy on every rerun.
    spec = fig.to_plotly_json()
    spec["layout"].pop("template", None)
    return spec, spc_table_alternative(table), describe_sv(table, summary)


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
    default = default_chart_for(ind, series["denominator"].astype(float).to_numpy())
    options = list(CHARTS_FOR_KIND[ind.value_kind])
    if default not in options:
        options.insert(0, default)
    chart = st.selectbox(
        "Diagramtyp", options, index=options.index(default), key=f"chart-{code}-{ind_id}",
        format_func=lambda c: CHART_NAMES[c] + (" (standard)" if c == default else ""),
    )
    fig, alt, sentence = _chart(series, ind_id, chart, target)
    st.plotly_chart(fig, config=plotly_config(), key=f"spc-{code}-{ind_id}", width="stretch")
    st.markdown(f"**{sentence}**")
    incomplete = series[series["status"] == "ofullstandig_period"]
    if len(incomplete):
        st.caption(
            f"{len(incomplete)} period(er) i slutet är ofullständiga (uppföljningstiden har inte gått ut) "
            "och ingår inte i diagrammet."
        )
    with st.expander("Visa som tabell"):
        st.dataframe(alt, hide_index=True)
        download_buttons(alt, name=f"{ind_id}_{code}", key=f"dl-{code}-{ind_id}", figure=fig)
