"""The verdict: what an SPC table says, in words, from one place.

Every page that judges a series — the Översikt tiles, Trender, Jämför,
Målgrupper, Månadsuppföljning and the PDF pack — calls :func:`judge` on the
same :func:`metrics.spc.spc_table` result that its chart draws, so the icon,
the "since when", the target assurance and the sentence can never disagree
with the chart, the table beside it or another page.

The rules (docs/spc.md, "The verdict"):

* **Variation follows the points.** The icon is the type of the latest used
  point of the latest analysis (Making Data Count). A long run is special
  cause on its own points and its own side; a run that ended earlier is
  reported as earlier, never as the present.
* **"Sedan X"** names the first point of the unbroken stretch of
  special-cause points of the same kind and side that ends at the latest
  point: the stretch that carries the signal shown.
* **Few crossings only** (no long run) is a property of the phase without a
  direction: "ovanligt få korsningar", never "förbättring".
* **Assurance only from limits that describe the present.** When the latest
  point is special cause, the code is ``new_level``; a new phase is offered
  from the start of the stretch (when it has two or more points).
* **A short new phase** (fewer than 12 points) is judged against the limits
  of the phase before it, extended, and the sentence says so.

Pure: no Streamlit, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from metrics.periods import period_label_sv
from metrics.spc import (
    ASSURANCE_LABELS_SV,
    MIN_POINTS_FOR_FIRM_LIMITS,
    RULE_LABELS_SV,
    RULES_IN_SET,
    VARIATION_LABELS_SV,
    summarise_table,
)

__all__ = ["FEW_CROSSINGS_LABEL_SV", "Stretch", "Verdict", "judge", "signal_stretches"]

FEW_CROSSINGS_LABEL_SV = "ovanligt få korsningar av mittlinjen (ingen riktning)"
"""Shown after the variation label when the analysis has a crossings-only runs signal."""

_KIND_WORD_SV = {
    "special_improvement": "förbättring",
    "special_concern": "försämring",
    "special_neutral": "förändring",
}
_SIDE_WORD_SV = {"high": "över", "low": "under"}
_NEUTRAL_DIRECTION_SV = {"high": "uppåt", "low": "nedåt"}


@dataclass(frozen=True)
class Stretch:
    """An unbroken run of special-cause points of one kind and side (positions in the table)."""

    start: int
    end: int
    point_type: str  # special_improvement | special_concern | special_neutral
    side: str | None  # high | low
    rules: tuple[str, ...]  # rule keys that fired inside the stretch, in RULES_IN_SET order
    n_points: int


@dataclass(frozen=True)
class Verdict:
    """What one SPC table says. Every field is plain Python (JSON-friendly); see :func:`judge`."""

    variation: str
    variation_label: str
    few_crossings: bool
    assurance: str
    assurance_label: str
    since: str | None  # period (or point label) where the shown signal starts
    since_label: str | None  # the same in Swedish ("december 2024")
    sentence: str
    phase: int
    limits_phase: int
    phase_points: int
    provisional: bool
    new_phase_from: pd.Timestamp | None  # where a new phase would start (editors are offered it)
    summary: dict[str, Any]

    @property
    def headline(self) -> str:
        """The variation label with the phase's crossings note: the words beside the variation icon."""
        return (
            f"{self.variation_label} · {FEW_CROSSINGS_LABEL_SV}"
            if self.few_crossings
            else self.variation_label
        )


# --------------------------------------------------------------------------- stretches


def _analysis(table: pd.DataFrame) -> pd.DataFrame:
    """The used points of the latest analysis: the last phase and the phases that share its limits."""
    limits_of = table["limits_phase"] if "limits_phase" in table.columns else table["phase"]
    group = limits_of.iloc[-1]
    t = table[limits_of == group]
    return t[~t["excluded"].astype(bool) & np.isfinite(t["value"].to_numpy(dtype=float))]


def signal_stretches(table: pd.DataFrame) -> list[Stretch]:
    """The stretches of special-cause points in the latest analysis, oldest first.

    Consecutive used points (excluded and missing points are skipped, as in
    the runs analysis) with the same special point type and side form one
    stretch.
    """
    opts = table.attrs.get("spc_options") or {}
    rule_keys = RULES_IN_SET.get(opts.get("rules", "anhoej"), ())
    used = _analysis(table)
    positions = [table.index.get_loc(i) for i in used.index]
    types = used["point_type"].to_numpy(dtype=object)
    sides = used["signal_side"].to_numpy(dtype=object)
    out: list[Stretch] = []
    k = 0
    while k < len(used):
        if not str(types[k]).startswith("special"):
            k += 1
            continue
        j = k
        while j + 1 < len(used) and types[j + 1] == types[k] and sides[j + 1] == sides[k]:
            j += 1
        part = used.iloc[k : j + 1]
        fired = tuple(r for r in rule_keys if r in part.columns and bool(part[r].astype(bool).any()))
        out.append(Stretch(positions[k], positions[j], str(types[k]), sides[k], fired, j - k + 1))
        k = j + 1
    return out


# --------------------------------------------------------------------------- words


def _label(table: pd.DataFrame, pos: int) -> tuple[str, str]:
    """(period key, Swedish label) of the point at table position ``pos``."""
    row = table.iloc[pos]
    period = row.get("period") if "period" in table.columns else None
    if isinstance(period, str) and period:
        return period, period_label_sv(period)
    date = row.get("date")
    if date is not None and not pd.isna(date):
        key = pd.Timestamp(date).strftime("%Y-%m")
        return key, period_label_sv(key)
    return f"punkt {row['x']}", f"punkt {row['x']}"


def _rules_text(stretch: Stretch) -> str:
    texts = []
    for rule in stretch.rules:
        if rule == "long_run" and stretch.side in _SIDE_WORD_SV:
            texts.append(f"{RULE_LABELS_SV[rule]} {_SIDE_WORD_SV[stretch.side]} mittlinjen")
        elif rule == "outside" and stretch.side in _SIDE_WORD_SV:
            texts.append("över den övre gränsen" if stretch.side == "high" else "under den nedre gränsen")
        else:
            texts.append(RULE_LABELS_SV[rule])
    return ", ".join(texts)


def _kind_word(stretch: Stretch) -> str:
    word = _KIND_WORD_SV[stretch.point_type]
    if stretch.point_type == "special_neutral" and stretch.side in _NEUTRAL_DIRECTION_SV:
        word += f" {_NEUTRAL_DIRECTION_SV[stretch.side]}"
    return word


def _span(table: pd.DataFrame, stretch: Stretch) -> str:
    """'i mars 2025', 'augusti–september 2026', 'december 2024–september 2025', 'kvartal 1–3 2025'."""
    first = _label(table, stretch.start)[1]
    if stretch.n_points == 1:
        return f"i {first}"
    last = _label(table, stretch.end)[1]
    head, _, year = first.rpartition(" ")
    last_head, _, last_year = last.rpartition(" ")
    if year == last_year and head and last_head:
        if head.startswith("kvartal ") and last_head.startswith("kvartal "):
            return f"{head}–{last_head.removeprefix('kvartal ')} {year}"
        return f"{head}–{last_head} {year}"
    return f"{first}–{last}"


def _compared(table: pd.DataFrame, stretch: Stretch) -> str:
    """' jämfört med fas k' when the stretch has points judged against an earlier phase's limits."""
    if "limits_phase" not in table.columns:
        return ""
    part = table.iloc[stretch.start : stretch.end + 1]
    borrowed = part[part["phase"] != part["limits_phase"]]
    return f" jämfört med fas {int(borrowed['limits_phase'].iloc[0])}" if len(borrowed) else ""


def _phase_sentence(table: pd.DataFrame, s: Mapping[str, Any]) -> str:
    phase, limits_phase = s["phase"], s["limits_phase"]
    if limits_phase != phase:
        return (
            f"Fas {phase} har {s['phase_points']} av {MIN_POINTS_FOR_FIRM_LIMITS} punkter och bedöms mot "
            f"fas {limits_phase}:s gränser tills den har egna."
        )
    parts = []
    if phase > 1:
        first = int(np.flatnonzero(table["phase"].to_numpy() == phase)[0])
        parts.append(f"Nya gränser från {_label(table, first)[1]} (fas {phase}).")
    if s.get("provisional") and s.get("chart") != "run":
        parts.append(
            f"Gränserna är preliminära: de bygger på {s['n_baseline']} av {MIN_POINTS_FOR_FIRM_LIMITS} punkter."
        )
    return " ".join(parts)


def judge(table: pd.DataFrame) -> Verdict:
    """The verdict of an :func:`metrics.spc.spc_table` result (the rules are in the module docstring)."""
    s = summarise_table(table)
    used = _analysis(table)
    stretches = signal_stretches(table)
    latest = (
        stretches[-1]
        if stretches and len(used) and stretches[-1].end == table.index.get_loc(used.index[-1])
        else None
    )

    since = since_label = None
    parts: list[str] = []
    if len(used) < 2:
        parts.append("För få värden för att bedöma förändring.")
    elif latest is not None:
        since, since_label = _label(table, latest.start)
        word = _kind_word(latest).capitalize() + _compared(table, latest)
        rules = _rules_text(latest)
        if latest.n_points == 1:
            parts.append(f"{word} i {since_label}" + (f": {rules}." if rules else "."))
        else:
            parts.append(f"{word} sedan {since_label}" + (f" ({rules})." if rules else "."))
    else:
        earlier = stretches[-1] if stretches else None
        if earlier is not None:
            more = len(stretches) - 1
            rules = _rules_text(earlier)
            text = (
                f"Senaste värdet: vanlig variation. Tidigare {_kind_word(earlier)} {_span(table, earlier)}"
                + _compared(table, earlier)
            )
            text += f" ({rules})" if rules else ""
            text += f", och {more} tidigare {'signal' if more == 1 else 'signaler'}." if more else "."
            parts.append(text)
        elif not s["few_crossings"]:
            parts.append("Ingen säker förändring: värdena varierar slumpmässigt kring mittlinjen.")
    if s["few_crossings"] and len(used) >= 2:
        parts.append(
            f"Ovanligt få korsningar av mittlinjen ({s['crossings']}, minst {s['crossings_min']} väntade): "
            "värdena varierar inte slumpmässigt, men ingen riktning kan utläsas."
        )
    phase_text = _phase_sentence(table, s)
    if phase_text:
        parts.append(phase_text)

    new_phase_from = None
    if latest is not None and latest.n_points >= 2 and "date" in table.columns:
        starts = table.attrs["spc_options"].get("phases") or []
        date = table["date"].iloc[latest.start]
        if not any(latest.start <= p <= latest.end for p in starts) and not pd.isna(date):
            new_phase_from = pd.Timestamp(date)

    return Verdict(
        variation=s["variation"],
        variation_label=VARIATION_LABELS_SV[s["variation"]],
        few_crossings=bool(s["few_crossings"]),
        assurance=s["assurance"],
        assurance_label=ASSURANCE_LABELS_SV[s["assurance"]],
        since=since,
        since_label=since_label,
        sentence=" ".join(parts),
        phase=int(s["phase"]),
        limits_phase=int(s["limits_phase"]),
        phase_points=int(s["phase_points"]),
        provisional=bool(s["provisional"]) or s["limits_phase"] != s["phase"],
        new_phase_from=new_phase_from,
        summary=s,
    )
