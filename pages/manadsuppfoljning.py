"""Månadsuppföljning: one municipality's month for the ledningsgrupp, and the workshop pack (issue 8)."""

import streamlit as st

from metrics.series import period_label_sv
from ui import improvement as imp
from ui.auth import guard
from ui.context import month_review, results, review_months, store
from ui.labels import municipality_names
from ui.verdict import verdict_legend

viewer = guard("manadsuppfoljning")
st.title("Månadsuppföljning")
st.caption(
    "En kommuns månad: varje indikators senaste värde mot mål och föregående månader, variation enligt "
    "styrdiagrammet, pågående förbättringsarbete och månadens beslut."
)
names = municipality_names()
monthly = results("month")
codes = [c for c in store("month").municipalities if viewer.allows_municipality(c)]
if not codes:
    st.info("Det finns inga indikatorvärden att visa för dig ännu.")
    st.stop()
left, right = st.columns(2)
code = left.selectbox("Kommun", codes, key="mu_kommun", format_func=lambda c: names.get(c, c))
months = review_months(code)
month = right.selectbox("Månad", months, key="mu_manad", format_func=period_label_sv)
name = names.get(code, code)

review, phases = month_review(viewer, code, month)

st.header(f"{name} – {review.month_label}")
ind = review.indicators
ok = ind[ind["status"] == "ok"]
with_target = ok[ok["target_status"].isin(["uppfyllt", "ej uppfyllt"])]
c1, c2, c3, c4 = st.columns(4)
c1.metric("Indikatorer med värde", f"{len(ok)} av {len(ind)}")
c2.metric("Mål uppfyllt", f"{(with_target['target_status'] == 'uppfyllt').sum()} av {len(with_target)}")
c3.metric("Planerade och pågående cykler", len(review.open_cycles))
c4.metric("Beslut under månaden", len(review.decisions))

st.subheader("Indikatorer")
st.caption(
    "Senaste fullständiga värde till och med vald månad (\"(senaste)\" när indikatorn släpar efter, t.ex. "
    "återinskrivningar som behöver 30 dagars uppföljning), målet med ✔/✖, de tre månaderna före och "
    "bedömningen från styrdiagrammet över de 36 månaderna fram till vald månad – samma ord som på Översikt "
    "och Trender."
)
verdict_legend()
table = imp.review_table(review)
# A static table: its cells wrap, so every column fits the page at 1 400 px without scrolling (issue 22; the
# scrolling grid hid the targets, open cycles and previous months at a meeting's screen width).
st.table(table, hide_index=True, alt=f"Indikatorerna för {name}, {review.month_label}: värde, mål, variation, "
         "måluppfyllelse, öppna cykler och föregående månader.")
imp.review_sentences(review)

st.subheader("Pågående förbättringsarbete")
if review.open_cycles.empty:
    st.info("Inga planerade eller pågående PDSA-cykler.")
else:
    st.dataframe(imp.open_cycles_table(review.open_cycles), hide_index=True, key="mu_open")
    imp.cycle_page_links(review.open_cycles)

st.subheader("Beslut under månaden")
if review.decisions.empty:
    st.info(f"Inga beslut (Agera) daterade {review.month_label}.")
else:
    st.dataframe(imp.decisions_table(review.decisions), hide_index=True, key="mu_decisions")

imp.pack_section(viewer, review, monthly, phases, municipality_name=name)
