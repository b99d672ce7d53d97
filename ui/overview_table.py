"""Table alternative of the Översikt tiles (for screen readers and export)."""

from __future__ import annotations

import pandas as pd

from ui.icons import TARGET_STATUS_ICONS, assurance_text, variation_text
from ui.labels import format_value


def target_cell(text, status) -> str:
    """'≥ 70 % ✔ uppfyllt' (the target and whether the latest value meets it), as on Månadsuppföljning."""
    if not isinstance(text, str) or not text:
        return "–"
    mark = TARGET_STATUS_ICONS.get(status, "") if isinstance(status, str) else ""
    return f"{text} {mark}".strip()


def overview_table(tiles: pd.DataFrame, references: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per tile; ``references`` (indicator id → the tile's Kolada line) adds a "Jämförelse" column."""
    table = pd.DataFrame(
        {
            "Indikator": tiles["name"],
            "Period": tiles["period_label"].fillna(""),
            "Värde": [
                "saknar underlag" if s == "saknar_underlag" else format_value(v, u)
                for s, v, u in zip(tiles["status"], tiles["value"], tiles["unit"], strict=True)
            ],
            "Mål": [target_cell(t, s) for t, s in zip(tiles["target_text"], tiles["target_status"], strict=True)],
            "Variation": [variation_text(v, bool(f)) for v, f in zip(tiles["variation"], tiles["few_crossings"], strict=True)],
            "Måluppfyllelse": [assurance_text(a) for a in tiles["assurance"]],
            "Data t.o.m.": [str(d) if d is not None else "" for d in tiles["data_to"]],
            "Bedömning": tiles["sentence"].fillna(""),
        }
    )
    if references:
        table["Jämförelse (Kolada)"] = [references.get(i, "–") for i in tiles["indicator_id"]]
    return table
