"""Översikt tiles: one bordered card per indicator, readable in a minute."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui.charts import sparkline_svg
from ui.icons import (
    ASSURANCE_ICONS,
    TARGET_STATUS_ICONS,
    VARIATION_ICONS,
    assurance_text,
    badge,
    variation_text,
)
from ui.labels import format_value


def tile(row: pd.Series, *, key: str) -> None:
    with st.container(border=True, key=f"tile-{key}"):
        st.markdown(f"**{row['name']}**")
        if row["status"] == "saknar_underlag":
            st.markdown("### saknar underlag")
            st.caption("Underlag saknas för vald kommun och period – värdet är okänt, inte noll.")
            return
        if row["status"] == "undertryckt":
            st.markdown("### –")
            st.caption(f"{row['period_label']}: för få fall för att visas (skydd för små tal).")
            return
        st.markdown(f"### {format_value(row['value'], row['unit'])}")
        st.caption(f"{row['period_label']} · data t.o.m. {row['data_to']:%Y-%m-%d}")
        if row["target_text"]:
            status = TARGET_STATUS_ICONS.get(row["target_status"], row["target_status"] or "")
            st.markdown(f"Mål: {row['target_text']} – {status}" if status else f"Mål: {row['target_text']}")
        else:
            st.markdown("Mål: ingen målnivå")
        v_symbol_colour = VARIATION_ICONS.get(row["variation"], ("", "#7F7F7F"))[1]
        a_colour = ASSURANCE_ICONS.get(row["assurance"], ("", "#7F7F7F"))[1]
        st.markdown(
            badge(variation_text(row["variation"]), v_symbol_colour)
            + " "
            + (badge(assurance_text(row["assurance"]), a_colour) if row["assurance"] != "no_target" else "")
        )
        if row["spark_values"]:
            st.markdown(
                sparkline_svg(row["spark_periods"], row["spark_values"], label=row["name"]), unsafe_allow_html=True
            )
        st.caption(row["sentence"])
