"""Table alternative of the Översikt tiles (for screen readers and export)."""

from __future__ import annotations

import pandas as pd

from ui.icons import assurance_text, variation_text
from ui.labels import format_value


def overview_table(tiles: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Indikator": tiles["name"],
            "Period": tiles["period_label"].fillna(""),
            "Värde": [
                "saknar underlag" if s == "saknar_underlag" else format_value(v, u)
                for s, v, u in zip(tiles["status"], tiles["value"], tiles["unit"], strict=True)
            ],
            "Mål": tiles["target_text"].fillna(""),
            "Måluppfyllelse": tiles["target_status"].fillna(""),
            "Variation": [variation_text(v) for v in tiles["variation"]],
            "Säkerhet mot mål": [assurance_text(a) for a in tiles["assurance"]],
            "Data t.o.m.": [str(d) if d is not None else "" for d in tiles["data_to"]],
            "Bedömning": tiles["sentence"].fillna(""),
        }
    )
