"""Målgrupper: the workshop's six target-group cohorts over time, aggregated and suppressed (issue 12)."""

import streamlit as st

from ui.auth import guard
from ui.cohort_views import cohort_page
from ui.context import page_context
from ui.warmup import warm

guard("malgrupper")
st.title("Målgrupper")
st.caption(
    "Grupper av äldre (75 år och äldre) som workshoparna i Södra Älvsborg vill hitta tidigt: mångsökare utan "
    "kommunal primärvård, de som skickas hem från akuten, från sjukhus eller från korttidsplats utan "
    "inskrivning, och de som fått besök av MALT eller ambulans. Siffrorna är antal personer per 1 000 "
    "invånare 75+ (inte omräknat till år), sammanräknade och med små tal dolda; körningsdiagrammet visar om "
    "en förändring är verklig eller slumpmässig variation."
)
ctx = page_context("malgrupper")
if ctx is not None:
    cohort_page(ctx)
    warm(ctx)  # the other municipalities' first views, in the background (ui/warmup.py)
