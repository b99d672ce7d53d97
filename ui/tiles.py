"""Översikt tiles: one bordered card per indicator, readable in a minute."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui.charts import sparkline_svg
from ui.icons import TARGET_STATUS_ICONS, verdict_badges
from ui.labels import format_value
from ui.safe_text import md_escape


def tile(row: pd.Series, *, key: str, reference: str = "") -> None:
    """One bordered card, drawn as a single Markdown element (a page of 19 tiles sends 19 elements, not 150).

    Secondary lines use ``:small[...]`` in the body colour rather than grey captions (contrast ≥ 4.5:1).
    ``reference`` is a line of values from elsewhere (Kolada's riket and region, ``ui.references.tile_line``).
    """
    with st.container(border=True, key=f"tile-{key}"):
        st.markdown(tile_markdown(row, reference=reference), unsafe_allow_html=True)


def tile_markdown(row: pd.Series, *, reference: str = "") -> str:
    """The tile's Markdown: name, value, period, rate note, target, verdict badges, sparkline and sentence.

    Every text in it is ours (the registry, formatted numbers, the verdict's words); the only HTML is the
    sparkline's SVG.
    """
    parts = [f"**{row['name']}**"]
    if row["status"] == "saknar_underlag":
        parts += ["### saknar underlag",
                  ":small[Underlag saknas för vald kommun och period – värdet är okänt, inte noll.]"]  # fmt: skip
        return "\n\n".join(parts)
    if row["status"] == "undertryckt":
        parts += ["### –", f":small[{row['period_label']}: för få fall för att visas (skydd för små tal).]"]
        return "\n\n".join(parts)
    parts.append(f"### {format_value(row['value'], row['unit'])}")
    latest = "" if row["is_current"] else " (senaste)"
    when = f":small[{row['period_label']}{latest} · data t.o.m. {row['data_to']:%Y-%m-%d}]"
    if isinstance(row["rate_note"], str) and row["rate_note"]:
        when += f"  \n:small[{row['rate_note']}]"
    parts.append(when)
    if row["target_text"]:
        status = TARGET_STATUS_ICONS.get(row["target_status"], row["target_status"] or "")
        parts.append(f"Mål: {row['target_text']} – {status}" if status else f"Mål: {row['target_text']}")
    else:
        parts.append("Mål: ingen målnivå")
    parts.append(verdict_badges(row["variation"], row["assurance"], bool(row["few_crossings"])))
    if row["spark_values"]:
        parts.append(sparkline_svg(row["spark_periods"], row["spark_values"], label=row["name"]))
    parts.append(f":small[{row['sentence']}]")
    if reference:
        parts.append(f":small[{md_escape(reference)}]")
    return "\n\n".join(parts)
