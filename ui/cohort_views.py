"""Widgets of the Målgrupper page: the six cohorts over time (SPC run charts), counts and per 1 000, and texts.

Reads the persisted, suppressed indicator table through :mod:`ui.context`
(never raw events): every number shown is one the viewer may already see on
Trender. The charts go through the Trender page's own section
(:func:`ui.trend.trend_section`), so that whatever that path draws (phases,
targets, PDSA annotations, the verdict) is drawn here too; the run chart is the
cohorts' chart in the registry, so Översikt and Trender judge them by the same
chart. Owns the keys ``mg_cohort`` and
``mg-*``; the chart choice keys ``chart-<code>-<indicator>`` belong to
:mod:`ui.trend`.

The Swedish texts per cohort (whom it finds, what a municipality can do) live
here, in :data:`COHORT_TEXTS_SV`, and nowhere else.
"""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import streamlit as st

from metrics.cohorts import COHORT_IDS
from metrics.periods import grain_of, period_label_sv
from metrics.registry import GRAIN_DEFINITE_SV, INDICATORS
from ui.context import PageContext, SeriesKey, cached_tiles, series_of, shown_of
from ui.exports import download_buttons, table_switch
from ui.labels import municipality_names
from ui.plotly_sv import format_number_sv
from ui.trend import trend_section
from ui.verdict import verdict_legend

ALL_COHORTS = "alla"

# Short Swedish names (worklist column, filters, table headings).
COHORT_SHORT_SV: dict[str, str] = {
    "mal_mangsokare_ej_inskrivna": "Mångsökare utan inskrivning",
    "mal_akut_ej_inlagd": "Akuten, ej inlagd",
    "mal_samsa_ej_inskrivna": "SAMSA-planerad, ej inskriven",
    "mal_korttid_ej_inskrivna": "Hem från korttids, ej inskriven",
    "mal_akuta_insatser_hemma": "MALT eller ambulans",
    "mal_fangade_60d": "Nådda inom 60 dagar",
}

# Whom each cohort finds, and what a municipality can do about it (the workshop report's target groups).
COHORT_TEXTS_SV: dict[str, tuple[str, str]] = {
    "mal_mangsokare_ej_inskrivna": (
        "Personer 75 år och äldre som söker vård ofta – minst 3 kontakter med vårdcentralen på 30 dagar "
        "eller minst 4 akutbesök på ett år – men som inte är inskrivna i kommunal primärvård.",
        "Kommunen kan tillsammans med vårdcentralen ta kontakt, göra ett uppsökande hembesök med "
        "CFS-skattning och pröva om personen behöver inskrivning, SIP eller en fast kontakt som äldresjuksköterska.",
    ),
    "mal_akut_ej_inlagd": (
        "Personer 75 år och äldre som varit på akutmottagningen men skickats hem utan att läggas in.",
        "Kommunen kan följa upp dagen efter (telefon eller hembesök), se över hjälpmedel och "
        "läkemedel och fånga dem som riskerar att komma tillbaka – gärna via omsorgskoordinatorn på akuten.",
    ),
    "mal_samsa_ej_inskrivna": (
        "Personer 75 år och äldre som skrivits ut hem med en färdig vårdplan i SAMSA men som inte skrivits in "
        "i kommunal primärvård inom 14 dagar.",
        "Kommunen kan gå igenom vårdplanerna från SAMSA, ringa eller besöka de som går hem utan insats och "
        "säkra en trygg hemgång med varm överlämning.",
    ),
    "mal_korttid_ej_inskrivna": (
        "Personer 75 år och äldre som gått hem från en korttidsplats utan att skrivas in i kommunal "
        "primärvård inom 14 dagar.",
        "Kommunen kan planera hemgången redan under korttidsvistelsen: bedöma behovet av hälso- och "
        "sjukvårdsinsatser, SIP och uppföljning de första veckorna hemma.",
    ),
    "mal_akuta_insatser_hemma": (
        "Personer 75 år och äldre som fått en akut insats av MALT (mobilt akutläkarteam) eller ambulans.",
        "Kommunen kan fråga vad som hände och om något kunde ha förebyggts, och erbjuda förebyggande "
        "hembesök, CFS-skattning och en plan för nästa gång i samarbete med vårdcentralen.",
    ),
    "mal_fangade_60d": (
        "Andelen av dem som nyss blivit mångsökare utan inskrivning som inom 60 dagar fått en SIP eller "
        "skrivits in i kommunal primärvård. Målet är minst 50 %.",
        "Måttet visar om det uppsökande arbetet når fram. Kommunen kan använda arbetslistan varje vecka, "
        "avsätta tid för uppsökande besök och pröva förändringar i små PDSA-cykler.",
    ),
}

COUNT_HEADINGS = {
    "rate_point": ("Antal personer", "Invånare 75+", "Per 1 000 inv. 75+"),
    "proportion": ("Nådda inom 60 dagar", "Nya mångsökare", "Andel (%)"),
}


def _number(value, decimals: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return "–"
    return format_number_sv(float(value), decimals)


def counts_table(rows: pd.DataFrame, indicator_id: str) -> pd.DataFrame:
    """Counts, denominators and values per period of one series, in Swedish ("–": hidden or missing)."""
    ind = INDICATORS[indicator_id]
    num_h, den_h, val_h = COUNT_HEADINGS.get(ind.value_kind, COUNT_HEADINGS["rate_point"])
    if ind.value_kind == "rate_point" and len(rows):  # the time unit, in the words of every page
        val_h = ind.unit_for(grain_of(str(rows["period"].iloc[0]))).capitalize()
    out = []
    for _, r in rows.sort_values("period_start").iterrows():
        hidden = bool(r.get("suppressed", False))
        ci = "–"
        if not hidden and pd.notna(r.get("ci_low")) and pd.notna(r.get("ci_high")):
            ci = f"{_number(r['ci_low'], 1)}–{_number(r['ci_high'], 1)}"
        out.append({
            "Period": period_label_sv(str(r["period"])),
            num_h: "–" if hidden else _number(r["numerator"]),
            den_h: _number(r["denominator"]),
            val_h: "–" if hidden else _number(r["value"], 1),
            "95 % KI": ci,
            "Okänt födelseår": _number(r.get("n_unassessed")),
            "Status": "Ofullständig period" if r["status"] == "ofullstandig_period"
            else ("Saknar underlag" if r["status"] != "ok" else ""),
        })
    return pd.DataFrame(out, columns=["Period", num_h, den_h, val_h, "95 % KI", "Okänt födelseår", "Status"])


@st.cache_resource(show_spinner=False, max_entries=2048)
def _cached_counts_table(key: SeriesKey) -> pd.DataFrame:
    """The counts table of one series, made once per process (keyed by the series' name; read-only)."""
    return counts_table(series_of(key), key[6])


def latest_table(ctx: PageContext, cohort_ids: list[str]) -> pd.DataFrame:
    """Each cohort's latest complete period in the chosen range: every municipality the viewer sees (and the area).

    The cohorts with a follow-up (14 or 60 days) complete later than the others, so each column names its
    own period. Made once per process and filters (read-only).
    """
    f = ctx.filters
    key = ctx.series_key("", "", f.sex)[:6]  # (url, stamp, viewer, grain, start, end)
    return _latest_table(key, f.sex, tuple(cohort_ids))


@st.cache_resource(show_spinner=False, max_entries=256)
def _latest_table(key: tuple, sex: str, cohort_ids: tuple[str, ...]) -> pd.DataFrame:
    r = shown_of(key)
    r = r[r["indicator_id"].isin(cohort_ids) & (r["sex"] == sex) & (r["status"] == "ok")]
    if r.empty:
        return pd.DataFrame()
    names = municipality_names()
    codes = sorted(r["municipality_code"].unique(), key=lambda c: (c != "ALL", c))
    table = pd.DataFrame({"Kommun": [names.get(c, c) for c in codes]})
    for ind_id in cohort_ids:
        rows = r[r["indicator_id"] == ind_id]
        if rows.empty:
            continue
        last = rows[rows["period_start"] == rows["period_start"].max()].set_index("municipality_code")
        heading = f"{COHORT_SHORT_SV[ind_id]} ({period_label_sv(str(last['period'].iloc[0]))})"
        cells = []
        for code in codes:
            if code not in last.index:
                cells.append("–")
                continue
            c = last.loc[code]
            if bool(c["suppressed"]):
                cells.append("–")
            elif INDICATORS[ind_id].value_kind == "proportion":
                cells.append(f"{_number(c['value'], 1)} % ({_number(c['numerator'])} av {_number(c['denominator'])})")
            else:
                cells.append(f"{_number(c['numerator'])} ({_number(c['value'], 1)} per 1 000)")
        table[heading] = cells
    return table


def cohort_section(ctx: PageContext, ind_id: str, code: str, target: float | None) -> None:
    """One cohort for one municipality (or the area): the Trender chart section, its counts, and the texts.

    The chart is the registry's (the run chart for the cohorts), as on Trender and behind the Översikt tile.
    """
    trend_section(ctx, ind_id, code, target)
    whom, action = COHORT_TEXTS_SV[ind_id]
    st.markdown(f"**Vilka finns här?** {whom}  \n**Vad kan kommunen göra?** {action}")
    rows = ctx.series(ind_id, code)
    if rows.empty:
        return
    label = ("Visa antal och per 1 000 invånare 75+ per period" if INDICATORS[ind_id].value_kind != "proportion"
             else "Visa antal nya mångsökare och nådda per period")
    if table_switch(label, key=f"mg-tab-{code}-{ind_id}"):
        table = _cached_counts_table(ctx.series_key(ind_id, code))
        st.dataframe(table, hide_index=True, key=f"mg-counts-{code}-{ind_id}")
        download_buttons(table, name=f"{ind_id}_{code}_antal", key=f"mg-dl-{code}-{ind_id}")


def cohort_page(ctx: PageContext) -> None:
    names = municipality_names()
    verdict_legend()
    # One cohort's chart at a time by default (the table below sums up all six): six charts per municipality
    # took most of the page's time to draw. "Alla" is still one choice away, as on Trender.
    chosen = st.selectbox(
        "Målgrupp", [*COHORT_IDS, ALL_COHORTS], key="mg_cohort",
        format_func=lambda c: "Alla sex målgrupper (långsammare)" if c == ALL_COHORTS else INDICATORS[c].name_sv,
    )
    shown = list(COHORT_IDS) if chosen == ALL_COHORTS else [chosen]
    latest = latest_table(ctx, list(COHORT_IDS))
    if not latest.empty:
        st.subheader("Senaste hela period per målgrupp")
        grain = GRAIN_DEFINITE_SV[ctx.filters.grain]
        st.caption(f"Antal personer och per 1 000 invånare 75+ under {grain}, inte omräknat till år (andel i "
                   "procent för nådda inom 60 dagar), för den senaste perioden vars uppföljningstid har gått ut. "
                   "\"–\" = för få personer för att visas, eller saknas.")
        st.dataframe(latest, hide_index=True, key="mg-latest")
    low, high = 1, 4
    try:
        from data_access.settings import get_settings

        low, high = get_settings().suppression_threshold
    except Exception:  # noqa: BLE001 - only the caption's numbers
        pass
    st.caption(f"Små tal ({low}–{high} personer) och celler som annars kunde räknas fram visas som \"–\".")
    # Targets of the latest complete period, from the Översikt tiles of the Målgrupper theme (whatever theme
    # the shared sidebar filter holds: this page always shows the cohorts).
    cohorts_ctx = dataclasses.replace(ctx, filters=dataclasses.replace(ctx.filters, theme="Målgrupper"))
    for code in ctx.filters.municipality_codes:
        st.header("Hela området" if code == "ALL" else names.get(code, code))
        targets = cached_tiles(cohorts_ctx, code).set_index("indicator_id")["target_value"]
        for ind_id in shown:
            cohort_section(ctx, ind_id, code, targets.get(ind_id))
