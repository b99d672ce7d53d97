"""Översikt tiles: one bordered card per indicator, readable in a minute."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui.charts import sparkline_svg
from ui.icons import TARGET_STATUS_ICONS, verdict_badges
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
        latest = "" if row["is_current"] else " (senaste)"
        st.caption(f"{row['period_label']}{latest} · data t.o.m. {row['data_to']:%Y-%m-%d}")
        if isinstance(row["rate_note"], str) and row["rate_note"]:
            st.caption(row["rate_note"])
        if row["target_text"]:
            status = TARGET_STATUS_ICONS.get(row["target_status"], row["target_status"] or "")
            st.markdown(f"Mål: {row['target_text']} – {status}" if status else f"Mål: {row['target_text']}")
        else:
            st.markdown("Mål: ingen målnivå")
        st.markdown(verdict_badges(row["variation"], row["assurance"], bool(row["few_crossings"])))
        if row["spark_values"]:
            st.markdown(
                sparkline_svg(row["spark_periods"], row["spark_values"], label=row["name"]), unsafe_allow_html=True
            )
        st.caption(row["sentence"])
