"""Body of the Om indikatorerna page: registry texts, freshness and data quality tables."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access.access import AccessContext
from data_access.contract import TABLES
from data_access.quality import completeness, months_without_rows
from data_access.queries import loaded_summary
from metrics.registry import INDICATORS
from metrics.targets import format_target_text
from ui.context import engine
from ui.exports import download_buttons
from ui.labels import municipality_names

DIRECTION_SV = {"higher": "Högre är bättre", "lower": "Lägre är bättre"}
CADENCE_SV = {"month": "Månad", "quarter": "Kvartal", "year": "År"}


def definitions_section() -> None:
    for ind in INDICATORS.values():
        with st.expander(ind.name_sv):
            st.markdown(ind.definition_sv)
            st.markdown(f"**Täljare:** {ind.numerator_sv}")
            st.markdown(f"**Nämnare:** {ind.denominator_sv}")
            t = ind.default_target
            target = (
                format_target_text(
                    t["kind"], t.get("operator"), t.get("value"), t.get("change"), t.get("baseline_period"),
                    unit=ind.unit,
                )
                if t
                else "ingen målnivå"
            )
            st.markdown(
                f"**Enhet:** {ind.unit} · **Riktning:** {DIRECTION_SV[ind.direction]} · "
                f"**Mål (standard):** {target} · **Uppdateras:** {CADENCE_SV.get(ind.cadence, ind.cadence)}"
            )
            sources = ", ".join(f"{TABLES[t].swedish} ({t})" for t in ind.source_tables)
            st.markdown(f"**Källa:** {sources}")
            st.markdown(f"**Konfidensintervall:** {ind.ci_method_sv}")
            st.markdown("**Uppdelning på kön:** " + ("ja" if ind.sex_breakdown else "nej (källan saknar kön)"))
            st.caption(f"Id: `{ind.id}`")


@st.cache_data(ttl=60, show_spinner=False)
def _freshness(viewer: AccessContext) -> pd.DataFrame:
    return loaded_summary(access=viewer, engine=engine())


@st.cache_data(ttl=60, show_spinner=False)
def _quality(viewer: AccessContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    return completeness(access=viewer, engine=engine()), months_without_rows(access=viewer, engine=engine())


def freshness_section(viewer: AccessContext) -> None:
    summary = _freshness(viewer)
    if summary.empty:
        st.info("Ingen data är inläst.")
        return
    names = municipality_names()
    pivot = summary.pivot_table(index="table", columns="municipality_code", values="last", aggfunc="max")
    pivot.index = [TABLES[t].swedish for t in pivot.index]
    pivot.columns = [names.get(c, c) for c in pivot.columns]
    st.markdown("**Data t.o.m.** (senaste händelsedatum) per källa och kommun")
    table = pivot.reset_index(names="Källa")
    st.dataframe(table, hide_index=True)
    download_buttons(table, name="aktualitet", key="fresh-dl")


def data_quality_section(viewer: AccessContext) -> None:
    complete, gaps = _quality(viewer)
    names = municipality_names()
    if complete.empty:
        st.info("Ingen data är inläst.")
        return
    st.markdown("**Andel rader där uppgiften är ifylld (%)**")
    pivot = complete.pivot_table(index="field", columns="municipality_code", values="share", aggfunc="first").round(1)
    pivot.columns = [names.get(c, c) for c in pivot.columns]
    table = pivot.reset_index(names="Uppgift")
    st.dataframe(table, hide_index=True)
    download_buttons(table, name="datakvalitet", key="quality-dl")
    st.markdown("**Månader utan några rader** (inom källans tidsperiod)")
    gaps = gaps.assign(
        Källa=gaps["table"].map(lambda t: TABLES[t].swedish),
        Kommun=gaps["municipality_code"].map(lambda c: names.get(c, c)),
    )
    shown = gaps[gaps["months_without_rows"] > 0]
    if shown.empty:
        st.success("Alla källor har rader varje månad för alla kommuner.")
    else:
        st.dataframe(
            shown[["Källa", "Kommun", "months_without_rows", "missing"]].rename(
                columns={"months_without_rows": "Antal månader", "missing": "Månader"}
            ),
            hide_index=True,
        )
