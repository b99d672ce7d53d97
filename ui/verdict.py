"""How a verdict (``metrics.verdict.Verdict``) is shown: badges, sentence, and the legend of the symbols.

Every page shows a series' verdict through these functions, so the words are the same everywhere.
"""

from __future__ import annotations

import streamlit as st

from metrics.spc import MIN_POINTS_FOR_FIRM_LIMITS
from metrics.verdict import FEW_CROSSINGS_LABEL_SV, Verdict
from ui.icons import assurance_text, variation_text, verdict_badges


def verdict_lines(verdict: Verdict) -> None:
    """Under a chart: the variation and assurance badges (words and symbols), then the sentence."""
    st.markdown(verdict_badges(verdict.variation, verdict.assurance, verdict.few_crossings))
    st.markdown(f"**{verdict.sentence}**")


LEGEND_ROWS: tuple[tuple[str, str], ...] = (
    (variation_text("common_cause"), "Senaste värdet varierar slumpmässigt kring mittlinjen – ingen säker förändring."),
    (
        variation_text("special_cause_improvement_high") + " / " + variation_text("special_cause_improvement_low"),
        "Senaste värdet är en särskild orsak åt det bättre hållet: utanför gränserna eller del av en ovanligt "
        "lång serie på samma sida om mittlinjen. \"Sedan\" anger var den serien börjar.",
    ),
    (
        variation_text("special_cause_concern_high") + " / " + variation_text("special_cause_concern_low"),
        "Samma sak åt det sämre hållet.",
    ),
    (
        FEW_CROSSINGS_LABEL_SV.capitalize(),
        "Värdena korsar mittlinjen mer sällan än slumpen ger: något har förändrats i fasen, men inget enskilt "
        "värde pekar ut en riktning.",
    ),
    (assurance_text("consistently_pass"), "Målet ligger utanför gränserna på den goda sidan: nås varje period om "
     "inget ändras."),
    (assurance_text("consistently_fail"), "Målet ligger utanför gränserna på den dåliga sidan: nås inte utan en "
     "förändring av arbetssättet."),
    (assurance_text("hit_and_miss"), "Målet ligger mellan gränserna: ibland nås det, ibland inte."),
    (assurance_text("new_level"), "De senaste värdena är en särskild orsak, så gränserna beskriver inte längre "
     "processen. Med en ny fas räknas nya gränser."),
    (assurance_text("not_assessable"), "Diagrammet har inga gränser (körningsdiagram eller för få värden)."),
    ("✔ uppfyllt / ✖ ej uppfyllt", "Om det senaste värdet når målet – ett enskilt värde, inte en bedömning av "
     "processen."),
    ("(senaste)", "Värdet gäller en tidigare period än den valda, eftersom indikatorn släpar efter (t.ex. "
     "återinskrivningar behöver 30 dagars uppföljning)."),
    ("Preliminära gränser", f"Gränserna bygger på färre än {MIN_POINTS_FOR_FIRM_LIMITS} värden. En ny fas med färre "
     f"än {MIN_POINTS_FOR_FIRM_LIMITS} värden bedöms mot föregående fas gränser, förlängda, så att en förbättring "
     "syns redan från start."),
)  # fmt: skip


def verdict_legend() -> None:
    """'Vad betyder symbolerna?': the variation and assurance symbols, (senaste) and preliminary limits in words."""
    with st.expander("Vad betyder symbolerna?"):
        st.markdown(
            "Bedömningen kommer från styrdiagrammet (SPC) enligt *Making Data Count*: symbolen för variation "
            "gäller det **senaste** värdet, och samma ord står på alla sidor."
        )
        st.markdown("\n".join(f"- **{sym}** – {text}" for sym, text in LEGEND_ROWS))


__all__ = ["LEGEND_ROWS", "verdict_legend", "verdict_lines"]
