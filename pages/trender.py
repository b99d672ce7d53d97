"""Trender: an SPC chart per indicator with target, phases, a plain sentence and a table alternative."""

import streamlit as st

from metrics.registry import INDICATORS
from ui.auth import guard
from ui.context import cached_tiles, page_context
from ui.labels import municipality_names
from ui.trend import trend_section
from ui.verdict import verdict_legend
from ui.warmup import warm

guard("trender")
st.title("Trender")
st.caption(
    "Styrdiagram (SPC) visar om en förändring är verklig eller slumpmässig variation. "
    "Punkter med annan form och färg är särskilda orsaker; gränserna räknas per fas."
)
ctx = page_context("trender")
if ctx is not None:
    verdict_legend()
    names = municipality_names()
    ids = ctx.indicator_ids()
    chosen = st.selectbox(
        "Indikator", [*ids, "alla"], key="trend_indicator",
        format_func=lambda i: "Alla indikatorer i urvalet (långsammare)" if i == "alla" else INDICATORS[i].name_sv,
    )
    shown = ids if chosen == "alla" else [chosen]
    for code in ctx.filters.municipality_codes:
        st.header(names.get(code, code))
        targets = cached_tiles(ctx, code).set_index("indicator_id")["target_value"]
        for ind_id in shown:
            trend_section(ctx, ind_id, code, targets.get(ind_id))  # with Kolada's yearly values beside ours
    warm(ctx)  # the other municipalities' first views, in the background (ui/warmup.py)
