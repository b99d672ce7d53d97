"""Översikt: one tile per indicator for the chosen municipality or the whole area."""

import streamlit as st

from ui.auth import guard
from ui.context import cached_tiles, page_context
from ui.exports import download_buttons, table_switch
from ui.labels import municipality_names
from ui.overview_table import overview_table
from ui.references import tile_lines
from ui.tiles import tile
from ui.verdict import verdict_legend
from ui.warmup import warm

guard("oversikt")
st.title("Översikt")
ctx = page_context("oversikt")
if ctx is not None:
    verdict_legend()
    names = municipality_names()
    f = ctx.filters
    for code in f.municipality_codes:
        st.subheader(names.get(code, code))
        tiles = cached_tiles(ctx, code)
        kolada = tile_lines(ctx.viewer, tuple(tiles["indicator_id"]), code, f.sex)  # riket and region, per indicator
        cols = st.columns(3)
        for i, (_, row) in enumerate(tiles.iterrows()):
            with cols[i % 3]:
                tile(row, key=f"{code}-{row['indicator_id']}", reference=kolada.get(row["indicator_id"], ""))
        if table_switch("Visa som tabell", key=f"ov-tab-{code}", help="Alla rutor som en tabell, med nedladdning."):
            table = overview_table(tiles, kolada)
            st.dataframe(table, hide_index=True)
            download_buttons(table, name=f"oversikt_{code}", key=f"ov-{code}")
    warm(ctx)  # the other municipalities' first views, in the background (ui/warmup.py)
