"""Kolada on the administrator's data page: the mappings in force, a search over the stored KPI catalogue,
mapping a KPI to an indicator (who and when are stored) and removing an app mapping.

Nothing is mapped automatically: an administrator picks the KPI and the indicator. The store checks the
role again (``data_access.kolada.map_kpi`` / ``unmap_kpi``). A new mapping takes effect at the next Kolada
import (``python -m data_access kolada --fetch`` or a saved answer uploaded above).
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from data_access.access import AccessContext
from data_access.kolada import (
    LEVEL_SV,
    app_mappings,
    catalogue_stored_at,
    load_mapping,
    map_kpi,
    parse_catalogue,
    search_catalogue,
    store_catalogue,
    unmap_kpi,
)
from metrics.registry import INDICATORS
from ui.context import engine
from ui.safe_text import md_escape

_MESSAGE_KEY = "kolada_admin_message"


def mappings_table(default: dict, made: pd.DataFrame) -> pd.DataFrame:
    """Every mapping in force: the app's (who, when) over the default set of ``kolada_kpis.csv``."""
    rows = {}
    for kpi, m in default.items():
        rows[kpi] = (kpi, m.description_sv, m.indicator_id, "Standard (kolada_kpis.csv)")
    for r in made.itertuples(index=False):
        rows[r.kpi_id] = (r.kpi_id, r.title, r.indicator_id, f"Kopplad i appen av {r.mapped_by} {r.mapped_at:%Y-%m-%d %H:%M}")
    frame = pd.DataFrame(list(rows.values()), columns=["Nyckeltal", "Koladas titel", "indicator_id", "Kopplad"])
    frame.insert(2, "Indikator", [INDICATORS[i].name_sv if i in INDICATORS else i for i in frame["indicator_id"]])
    return frame.drop(columns="indicator_id")


def catalogue_table(found: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Nyckeltal": found["kpi_id"],
            "Titel": found["title"],
            "Nivå": [LEVEL_SV.get(v or "", v or "–") for v in found["level"]],
            "Per kön": ["ja" if v else "nej" for v in found["by_sex"]],
            "Senaste år": ["–" if pd.isna(v) else str(int(v)) for v in found["latest_year"]],
        }
    )


def kolada_mapping_section(viewer: AccessContext) -> None:
    from ui.upload import clear_data_caches

    st.subheader("Kolada-nyckeltal och indikatorer")
    eng = engine()
    made = app_mappings(eng)
    st.caption(
        "Vilka av Koladas nyckeltal som visas som jämförelse för vilken indikator. Standardkopplingarna kommer "
        "från Koladas katalog med skillnaden mot vår definition beskriven; egna kopplingar sparas med vem och "
        "när. Inget kopplas automatiskt. En ny koppling gäller från nästa Kolada-import."
    )
    st.dataframe(mappings_table(load_mapping(), made), hide_index=True, key="kolada_mappings_table")

    stored_at = catalogue_stored_at(eng)
    if stored_at is None:
        st.info(
            "Ingen nyckeltalskatalog är sparad. Ladda upp ett sparat svar från Koladas `/v3/kpi` nedan, eller kör "
            "`python -m data_access kolada --catalogue --fetch` på servern.", icon=":material/info:",
        )  # fmt: skip
    else:
        st.caption(f"Katalogen sparades {stored_at:%Y-%m-%d %H:%M}.")
    saved = st.file_uploader("Sparad nyckeltalskatalog från Kolada (JSON)", type=["json"], key="kolada_catalogue_file")
    if st.button("Spara katalogen", key="kolada_catalogue_go", disabled=saved is None):
        try:
            data = json.loads(saved.getvalue().decode("utf-8"))
            frame = parse_catalogue(data if isinstance(data, list) else [data])
        except (UnicodeDecodeError, ValueError) as exc:
            reason = str(exc) if isinstance(exc, ValueError) and "Kolada" in str(exc) else "filen är inte giltig JSON."
            st.session_state[_MESSAGE_KEY] = (False, f"{md_escape(saved.name)}: {md_escape(reason)} Katalogen är oförändrad.")
        else:
            n = store_catalogue(frame, access=viewer, engine=eng)
            st.session_state[_MESSAGE_KEY] = (True, f"{n} nyckeltal sparades i katalogen.")
        st.rerun()

    if stored_at is not None:
        text = st.text_input("Sök i katalogen (id eller ord i titeln)", key="kolada_search",
                             placeholder="t.ex. återinskriv eller akutmottagning 80")
        found = search_catalogue(text, engine=eng, limit=200 if text.strip() else 0)  # nothing until asked
        if text.strip():
            st.caption(f"{len(found)} nyckeltal matchar" + (" (de 200 första visas)." if len(found) == 200 else "."))
            st.dataframe(catalogue_table(found), hide_index=True, key="kolada_search_table")
        with st.form("kolada_map_form", border=True):
            st.markdown("**Koppla ett nyckeltal till en indikator**")
            options = list(found["kpi_id"])
            titles = dict(zip(found["kpi_id"], found["title"], strict=True))
            kpi = st.selectbox("Nyckeltal (ur sökträffarna)", options, index=None, key="kolada_map_kpi",
                               placeholder="Sök först, välj sedan ett nyckeltal",
                               format_func=lambda k: f"{k} – {titles.get(k, '')}")  # fmt: skip
            indicator = st.selectbox("Indikator", list(INDICATORS), index=None, key="kolada_map_indicator",
                                     placeholder="Välj indikator", format_func=lambda i: INDICATORS[i].name_sv)
            note = st.text_area("Hur skiljer sig Koladas mått från vårt? (visas för användarna)", key="kolada_map_note",
                                max_chars=1000)
            if st.form_submit_button("Koppla", type="primary"):
                if kpi is None or indicator is None:
                    st.session_state[_MESSAGE_KEY] = (False, "Välj både nyckeltal och indikator.")
                else:
                    try:
                        map_kpi(kpi, indicator, access=viewer, engine=eng, note=note)
                    except ValueError as exc:
                        st.session_state[_MESSAGE_KEY] = (False, md_escape(str(exc)))
                    else:
                        clear_data_caches()
                        st.session_state[_MESSAGE_KEY] = (
                            True, md_escape(f"{kpi} kopplades till {INDICATORS[indicator].name_sv}. Det gäller från "
                                            "nästa Kolada-import."),
                        )  # fmt: skip
                st.rerun()

    if not made.empty:
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        chosen = c1.selectbox("Egen koppling att ta bort", list(made["kpi_id"]), index=None, key="kolada_unmap_kpi",
                              placeholder="Välj nyckeltal")
        if c2.button("Ta bort kopplingen", key="kolada_unmap_go", disabled=chosen is None):
            unmap_kpi(chosen, access=viewer, engine=eng)
            clear_data_caches()
            st.session_state[_MESSAGE_KEY] = (True, md_escape(f"Kopplingen för {chosen} togs bort. Redan importerade "
                                                              "värden ligger kvar tills de importeras om."))
            st.rerun()

    shown = st.session_state.pop(_MESSAGE_KEY, None)
    if shown is not None:
        ok, text = shown
        (st.success if ok else st.error)(text)
