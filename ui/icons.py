"""Variation and assurance icons (Making Data Count), as symbol + Swedish text, never colour alone."""

from __future__ import annotations

from metrics.spc import ASSURANCE_LABELS_SV, VARIATION_LABELS_SV
from metrics.verdict import FEW_CROSSINGS_LABEL_SV

# symbol, Okabe–Ito colour
VARIATION_ICONS: dict[str, tuple[str, str]] = {
    "common_cause": ("●", "#7F7F7F"),
    "special_cause_improvement_high": ("▲", "#0072B2"),
    "special_cause_improvement_low": ("▼", "#0072B2"),
    "special_cause_concern_high": ("▲", "#E69F00"),
    "special_cause_concern_low": ("▼", "#E69F00"),
    "special_cause_neither_high": ("▲", "#CC79A7"),
    "special_cause_neither_low": ("▼", "#CC79A7"),
}
ASSURANCE_ICONS: dict[str, tuple[str, str]] = {
    "consistently_pass": ("✔", "#0072B2"),
    "consistently_fail": ("✖", "#E69F00"),
    "hit_and_miss": ("≈", "#7F7F7F"),
    "no_target": ("–", "#7F7F7F"),
    "not_assessable": ("?", "#7F7F7F"),
    "new_level": ("↻", "#7F7F7F"),
}
TARGET_STATUS_ICONS: dict[str, str] = {"uppfyllt": "✔ uppfyllt", "ej uppfyllt": "✖ ej uppfyllt"}


def variation_text(code: str | None, few_crossings: bool = False) -> str:
    """Symbol and words of the variation icon; with ``few_crossings``, the phase's crossings note after them
    (the same words as :attr:`metrics.verdict.Verdict.headline`)."""
    if not code:
        return ""
    symbol, _ = VARIATION_ICONS.get(code, ("", ""))
    text = VARIATION_LABELS_SV.get(code, code)
    if few_crossings:
        text += f" · {FEW_CROSSINGS_LABEL_SV}"
    return f"{symbol} {text}".strip()


def assurance_text(code: str | None) -> str:
    if not code:
        return ""
    symbol, _ = ASSURANCE_ICONS.get(code, ("", ""))
    return f"{symbol} {ASSURANCE_LABELS_SV.get(code, code)}".strip()


def verdict_badges(variation: str | None, assurance: str | None, few_crossings: bool = False) -> str:
    """Markdown lines of a verdict: the variation (with the crossings note) and, where there is a target,
    the assurance. Each line is a coloured badge holding only the symbol, then the words in plain text:
    long words in a badge get cut off in a narrow column, and the meaning must never rest on colour."""
    lines = []
    if variation:
        symbol, colour = VARIATION_ICONS.get(variation, ("", "#7F7F7F"))
        words = variation_text(variation, few_crossings).removeprefix(symbol).strip()
        lines.append(f"{badge(symbol, colour)} {words}".strip())
    if assurance and assurance != "no_target":
        symbol, colour = ASSURANCE_ICONS.get(assurance, ("", "#7F7F7F"))
        words = assurance_text(assurance).removeprefix(symbol).strip()
        lines.append(f"{badge(symbol, colour)} {words}".strip())
    return "  \n".join(lines)


def badge(text: str, colour: str) -> str:
    """Markdown for a coloured badge whose meaning is also in its text."""
    return f":{_streamlit_colour(colour)}-badge[{text}]" if text else ""


def _streamlit_colour(hex_colour: str) -> str:
    return {"#0072B2": "blue", "#E69F00": "orange", "#CC79A7": "violet"}.get(hex_colour, "gray")
