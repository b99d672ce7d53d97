"""The Jämför page body: period choice, dot plot with CIs, funnel plot, table, exports."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from metrics.compare import choose_reference_rows, comparison_rows, funnel_data
from metrics.periods import period_label_sv
from ui.charts import ci_dot_plot, funnel_plot
from ui.context import PageContext, verdict_rows
from ui.exports import download_buttons
from ui.icons import assurance_text, variation_text
from ui.labels import format_number, format_value, municipality_names, region_names
from ui.plotly_sv import plotly_config
from ui.references import KOLADA_PREFIX, reference_values
from ui.safe_text import md_escape


def comparison_section(ctx: PageContext, ind) -> None:
    names = municipality_names()
    unit = ind.unit_for(ctx.filters.grain)
    r = ctx.shown
    periods = sorted(r.loc[(r["indicator_id"] == ind.id) & (r["status"] == "ok"), "period"].unique(), reverse=True)
    if not periods:
        st.info("Saknar underlag för vald indikator och period.")
        return
    c1, c2 = st.columns(2)
    period = c1.selectbox("Period", periods, key="cmp_period", format_func=period_label_sv)
    order = c2.radio("Ordning", ["alfabetisk", "värde"], key="cmp_order", horizontal=True,
                     format_func=lambda o: "Alfabetisk" if o == "alfabetisk" else "Efter värde")
    rows = comparison_rows(ctx.results, ind, period=period, sex=ctx.filters.sex)
    rows["Kommun"] = rows["municipality_code"].map(names).fillna(rows["municipality_code"])
    parts = rows[rows["municipality_code"] != "ALL"]
    total = rows[rows["municipality_code"] == "ALL"]
    parts = parts.sort_values("Kommun" if order == "alfabetisk" else "value", na_position="last")
    area_value = float(total["value"].iloc[0]) if len(total) and total["value"].notna().all() else None
    if area_value is not None:
        st.metric(f"Hela området, {period_label_sv(period)}", format_value(area_value, unit))
    shown = parts[parts["value"].notna()]
    if len(shown):
        fig = ci_dot_plot(shown, value_col="value", low_col="ci_low", high_col="ci_high", label_col="Kommun",
                          unit=unit, reference=area_value, reference_label="Hela området")
        st.plotly_chart(fig, config=plotly_config(), key="cmp-dots", width="stretch")
    hidden = parts[parts["value"].isna()]
    if len(hidden):
        st.caption("Visas inte (för få fall eller saknar underlag): " + ", ".join(hidden["Kommun"]))
    funnel = funnel_data(rows, ind)
    if funnel is not None:
        limits, centre, scale = funnel
        points = shown.assign(n=shown["funnel_n"], label=shown["Kommun"])
        st.subheader("Trattdiagram")
        x_title = {
            "proportion": "Antal i nämnaren",
            "rate": "Befolkning (tusental personår)",
            "rate_point": "Befolkning (tusental invånare)",
        }[ind.value_kind]
        n_format = ",.0f" if ind.value_kind == "proportion" else ",.2f"  # thousands of person-years: 0.04 a month
        fig = funnel_plot(points, limits, centre=centre, scale=scale, unit=unit, x_title=x_title,
                          n_format=n_format)
        st.plotly_chart(fig, config=plotly_config(), key="cmp-funnel", width="stretch")
    everyone = pd.concat([parts, total])
    verdicts = _verdicts(ctx, ind, list(everyone["municipality_code"]))
    table = _table(everyone, ind, unit, verdicts)
    st.caption(
        "Variation och måluppfyllelse gäller varje kommuns styrdiagram över hela det valda tidsintervallet – "
        "samma bedömning som på Översikt och Trender – inte bara den valda perioden."
    )
    st.dataframe(table, hide_index=True)
    with st.expander("Bedömning i ord per kommun"):
        st.markdown("\n".join(
            f"- **{name}**: {v['sentence']}" for name, v in zip(everyone["Kommun"], verdicts, strict=True)
            if v.get("sentence")
        ))  # fmt: skip
    download_buttons(table, name=f"jamfor_{ind.id}_{period}", key="cmp-dl")
    _references_section(ind, period)


def _references_section(ind, period: str) -> None:
    """Reference values from elsewhere for the chosen period (or the quarter or year containing it), with
    their source (never mixed into ours).

    Riket first, then regions, then municipalities. Which rows and which note
    when there are none for the period: :func:`metrics.compare.choose_reference_rows`.
    """
    refs = reference_values(ind.id)
    if refs.empty:
        return
    chosen, note = choose_reference_rows(refs, period)
    chosen = chosen.assign(_order=chosen["municipality_code"].map(lambda c: (0 if c == "0000" else 1 if c.startswith("00") else 2, c)))
    chosen = chosen.sort_values(["_order", "source"])
    names = {**municipality_names(), **region_names()}
    st.subheader("Referensvärden från andra källor")
    st.caption(
        "Värden som räknats fram utanför indikatorvyn, med egna definitioner. De visas som jämförelse "
        "och ingår aldrig i våra beräkningar."
    )
    if note:
        st.caption(note)
    st.dataframe(
        pd.DataFrame(
            {
                "Område": chosen["municipality_code"].map(lambda c: names.get(c, c)),
                "Period": chosen["period"].map(period_label_sv),
                "Värde": [format_value(v, ind.unit) for v in chosen["value"]],
                "Källa": chosen["source"],
            }
        ),
        hide_index=True,
    )
    kpis = sorted({s.split(" ", 1)[1] for s in chosen["source"] if s.startswith(KOLADA_PREFIX + " ")})
    if kpis:
        kpi_text = md_escape(", ".join(kpis))  # ids from an imported file
        st.caption(f"Källa: Kolada (nyckeltal {kpi_text}), Rådet för främjande av kommunala analyser.")


def _verdicts(ctx: PageContext, ind, codes: list[str]) -> list[dict]:
    """Each municipality's verdict on the indicator: its Översikt tile (the same computation)."""
    tiles = verdict_rows(ctx, ind.id, codes)
    return [t if t["status"] == "ok" else {} for t in tiles.to_dict("records")]


def _table(rows: pd.DataFrame, ind, unit: str, verdicts: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Kommun": rows["Kommun"],
            "Värde": [format_value(v, unit) for v in rows["value"]],
            "95 % KI, nedre": [format_value(v, unit) for v in rows["ci_low"]],
            "95 % KI, övre": [format_value(v, unit) for v in rows["ci_high"]],
            "Täljare": [format_number(v, 0) for v in rows["numerator"]],
            "Nämnare": [format_number(v, 0) for v in rows["denominator"]],
            "Läge i trattdiagram": rows["funnel"].fillna(""),
            "Variation": [variation_text(v.get("variation"), bool(v.get("few_crossings"))) or "–" for v in verdicts],
            "Måluppfyllelse": [assurance_text(v.get("assurance")) or "–" for v in verdicts],
        }
    )
