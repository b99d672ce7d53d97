"""Jämför kommuner: one indicator and period, every municipality with CI, a funnel plot and the area total."""

import streamlit as st

from metrics.registry import INDICATORS
from ui.auth import guard
from ui.compare import comparison_section
from ui.context import page_context
from ui.verdict import verdict_legend
from ui.warmup import warm

guard("jamfor")
st.title("Jämför kommuner")
st.caption(
    "Värden med 95 % konfidensintervall. Trattdiagrammet visar vilka skillnader som är större än "
    "slumpen förklarar, jämfört med hela området. Ingen rangordning."
)
ctx = page_context("jamfor")
if ctx is not None:
    verdict_legend()
    ids = ctx.indicator_ids()
    ind_id = st.selectbox("Indikator", ids, key="cmp_indicator", format_func=lambda i: INDICATORS[i].name_sv)
    comparison_section(ctx, INDICATORS[ind_id])
    warm(ctx)  # the other municipalities' first views, in the background (ui/warmup.py)
