"""Widgets of "Ladda upp data" (administrators): upload with progress, the error report, history, Kolada.

Everything goes through ``data_access``: :func:`data_access.importer.import_uploads`
checks that the viewer is an administrator, logs the user name and stores
all or nothing; :func:`data_access.kolada.import_kolada` does the same for a
saved Kolada answer. After a change the cached page data is dropped
(:func:`clear_data_caches`), so every page shows the new data on its next run. File names and
texts from the files are shown in tables (plain text) or, in Markdown, through
``ui.safe_text.md_escape``.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import streamlit as st

from data_access.access import AccessContext
from data_access.contract import TABLES
from data_access.importer import UploadOutcome, import_uploads
from data_access.neutralise import neutralise
from data_access.queries import import_history
from data_access.validation import ValidationIssue
from ui.context import engine
from ui.labels import municipality_names, region_names
from ui.safe_text import md_escape

REPORT_ROWS_SHOWN = 2_000  # the table shows this many; the CSV has every one
OUTCOME_SV = {"ok": "Importerad", "unchanged": "Oförändrad", "rejected": "Avvisad"}
_RESULT_KEY = "upload_outcome"
_KOLADA_KEY = "upload_kolada_outcome"


def clear_data_caches() -> None:
    """Drop every cached read of the store that an import can change (all viewers)."""
    from ui import about, context, loaded, references

    for cached in (context._stamp, context._references, loaded._summary, about._freshness, about._quality,
                   references._values, references._import_id, references._kpi_info):
        cached.clear()


# --- the upload -------------------------------------------------------------------


def upload_section(viewer: AccessContext) -> None:
    files = st.file_uploader(
        "Välj en eller flera filer (CSV eller Excel)",
        type=["csv", "xlsx"],
        accept_multiple_files=True,
        key="upload_files",
        help="Filens namn (eller Excel-bladets namn) anger tabellen, t.ex. ed_visits.csv eller population.xlsx.",
    )
    c1, c2 = st.columns([1, 3])
    if c1.button("Importera", type="primary", key="upload_go", disabled=not files):
        st.session_state[_RESULT_KEY] = _run_import(viewer, [(f.name, f.getvalue()) for f in files])
    if c2.button("Provkör: visa vad som skulle ändras", key="upload_dry_run", disabled=not files,
                 help="Läser och kontrollerar filerna och räknar nya, ersatta och oförändrade rader per tabell "
                      "och kommun, utan att spara något."):
        st.session_state[_RESULT_KEY] = _run_import(viewer, [(f.name, f.getvalue()) for f in files], dry_run=True)
    outcome = st.session_state.get(_RESULT_KEY)
    if outcome is not None:
        outcome_section(outcome)
        if outcome.result.duplicates_pending and files:
            _duplicate_choice(viewer, [(f.name, f.getvalue()) for f in files])


def _duplicate_choice(viewer: AccessContext, files: list[tuple[str, bytes]]) -> None:
    """Possible duplicates were found and nothing was stored: the importer chooses (issue 22)."""
    c1, c2 = st.columns(2)
    choice = None
    if c1.button("Importera ändå", key="upload_dups_import", help="Spara alla rader, också de möjliga dubbletterna."):
        choice = "import"
    if c2.button("Hoppa över dubbletterna", key="upload_dups_skip",
                 help="Spara de andra raderna; de möjliga dubbletterna lämnas utanför."):
        choice = "skip"
    if choice is not None:
        st.session_state[_RESULT_KEY] = _run_import(viewer, files, duplicates=choice)
        st.rerun()


def _run_import(viewer: AccessContext, files: list[tuple[str, bytes]], *, dry_run: bool = False,
                duplicates: str | None = None) -> UploadOutcome:
    bar = st.progress(0.0, text="Provkörningen börjar" if dry_run else "Importen börjar")
    with st.status("Provkör …" if dry_run else "Importerar …", expanded=False) as status:

        written: list[str] = []

        def progress(step: str, fraction: float) -> None:  # a step may name an uploaded file
            bar.progress(fraction, text=f"{md_escape(step)} ({round(fraction * 100)} %)")
            if not written or written[-1] != step:  # one line per step, not per chunk
                written.append(step)
                status.markdown(md_escape(step))

        outcome = import_uploads(files, access=viewer, engine=engine(), progress=progress, dry_run=dry_run,
                                 duplicates=duplicates)
        if outcome.result.ok:
            status.update(label="Provkörningen är klar" if dry_run else "Importen är klar", state="complete")
        else:
            status.update(label="Importen skulle avvisas" if dry_run else "Importen avvisades", state="error")
    if outcome.result.ok and outcome.result.changed and not dry_run:
        clear_data_caches()
    return outcome


def outcome_section(outcome: UploadOutcome) -> None:
    result = outcome.result
    if not result.ok:
        st.error(f"Importen avbröts: {len(result.errors)} fel hittades. Ingenting har sparats.", icon=":material/error:")
        report_section(result.errors)
        return
    if result.duplicates_pending:
        st.warning("Möjliga dubbletter: nya rader som är likadana som sparade rader i allt utom id:t (samma "
                   "person, tid, enhet …). Ingenting har sparats. Välj nedan om de ska importeras ändå eller "
                   "hoppas över.", icon=":material/content_copy:")
        st.dataframe(duplicates_frame(result), hide_index=True, key="upload_duplicates_table")
        return
    notes = result.duplicate_lines()
    if result.dry_run:
        st.info("Provkörning: så här skulle importen ändra databasen. Ingenting har sparats. "
                + ("" if result.changed else result.nothing_changed), icon=":material/preview:")
        st.dataframe(dry_run_frame(result), hide_index=True, key="upload_dry_run_table")
        if notes:
            st.warning("\n\n".join(md_escape(n) for n in notes), icon=":material/content_copy:")
            st.dataframe(duplicates_frame(result), hide_index=True, key="upload_dry_run_duplicates")
        st.caption("Tryck Importera för att spara filerna.")
        return
    if result.changed:
        st.success("Importen är klar. " + (outcome.recomputed or ""), icon=":material/check_circle:")
        for note in notes:
            st.info(md_escape(note), icon=":material/content_copy:")
    else:
        st.info(result.nothing_changed, icon=":material/info:")
    st.dataframe(
        pd.DataFrame(
            {
                "Fil": [f.file_name for f in result.files],
                "Tabell": [TABLES[f.table].swedish for f in result.files],
                "Rader i filen": [f.rows_in_file for f in result.files],
                "Nya": [f.inserted for f in result.files],
                "Ersatta": [f.replaced for f in result.files],
                "Oförändrade": [f.unchanged for f in result.files],
            }
        ),
        hide_index=True,
        key="upload_result_table",
    )


def duplicates_frame(result) -> pd.DataFrame:
    """The possible duplicates as a table: the file, the row's id and the id of the stored row it equals."""
    rows = [{"Fil": f.file_name, "Id i filen": new, "Likadan som sparad rad": old}
            for f in result.files for new, old in f.duplicates]
    return pd.DataFrame(rows, columns=["Fil", "Id i filen", "Likadan som sparad rad"])


def dry_run_frame(result) -> pd.DataFrame:
    """What a dry run found: one row per file and municipality (new, replaced and unchanged rows)."""
    rows = []
    names = {**region_names(), **municipality_names()}
    for f in result.files:
        for code, (new, replaced, unchanged) in (f.by_municipality or {"": (0, 0, 0)}).items():
            rows.append({"Fil": f.file_name, "Tabell": TABLES[f.table].swedish,
                         "Kommun": names.get(code, code) if code else "–",
                         "Nya": new, "Ersatta": replaced, "Oförändrade": unchanged})
    return pd.DataFrame(rows, columns=["Fil", "Tabell", "Kommun", "Nya", "Ersatta", "Oförändrade"])


WHOLE_FILE = "hela filen"


def report_frame(errors: list[ValidationIssue]) -> pd.DataFrame:
    """The validation report as a table: Fil, Rad, Kolumn, Orsak (Swedish)."""
    return pd.DataFrame(
        {
            "Fil": [e.file for e in errors],
            # A problem of the whole file has no row: say so (a missing number showed as "None")
            "Rad": [WHOLE_FILE if e.row is None else str(e.row) for e in errors],
            "Kolumn": [e.column or "" for e in errors],
            "Orsak": [e.message for e in errors],
        }
    )


def report_csv(errors: list[ValidationIssue]) -> bytes:
    """Every problem as `;`-separated UTF-8 with BOM, which Swedish Excel opens directly.

    File names, column names and messages come from the upload, so every text cell is
    neutralised against spreadsheet formulas like every other export.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";")
    writer.writerow(["Fil", "Rad", "Kolumn", "Orsak"])
    for e in errors:
        writer.writerow([neutralise(e.file), "" if e.row is None else e.row, neutralise(e.column or ""),
                         neutralise(e.message)])
    return buf.getvalue().encode("utf-8-sig")


def report_section(errors: list[ValidationIssue]) -> None:
    frame = report_frame(errors)
    st.markdown("**Felrapport** – rad är radnumret i kalkylbladet (rubrikraden är rad 1).")
    if len(frame) > REPORT_ROWS_SHOWN:
        st.caption(f"Tabellen visar de första {REPORT_ROWS_SHOWN} av {len(frame)} fel; alla finns i filen nedan.")
    st.dataframe(frame.head(REPORT_ROWS_SHOWN), hide_index=True, key="upload_report_table")
    st.download_button(
        "Ladda ner alla fel (CSV)", report_csv(errors), file_name="importfel.csv", mime="text/csv",
        key="upload_report_csv", on_click="ignore",
    )


# --- history ------------------------------------------------------------------------


HISTORY_COLUMNS = ["När", "Vem", "Fil", "Utfall", "Nya", "Ersatta", "Oförändrade", "Tabell", "Meddelande", "sha256"]


def history_frame(history: pd.DataFrame) -> pd.DataFrame:
    """The import log in Swedish: who, when, which file, the outcome, the row counts and the file's sha256."""
    if history.empty:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    return pd.DataFrame(
        {
            "När": pd.to_datetime(history["imported_at"]).dt.strftime("%Y-%m-%d %H:%M"),
            "Vem": history["user_name"],
            "Fil": history["file_name"],
            "Utfall": history["outcome"].map(lambda o: OUTCOME_SV.get(o, o)),
            "Nya": history["rows_inserted"],
            "Ersatta": history["rows_replaced"],
            "Oförändrade": history["rows_unchanged"],
            "Tabell": history["table_name"].map(lambda t: TABLES[t].swedish if t in TABLES else "–"),
            "Meddelande": history["message"].fillna(""),
            "sha256": history["sha256"],
        }
    )[HISTORY_COLUMNS]


def history_section(viewer: AccessContext) -> None:
    st.subheader("Importhistorik")
    st.caption("De senaste 200 importerade eller avvisade filerna, senaste först. sha256 är filens kontrollsumma.")
    table = history_frame(import_history(access=viewer, engine=engine()))
    if table.empty:
        st.info("Inga importer är gjorda ännu.")
        return
    st.dataframe(table, hide_index=True, key="upload_history_table",
                 column_config={c: st.column_config.NumberColumn(format="localized")
                                for c in ("Nya", "Ersatta", "Oförändrade")})


# --- Kolada -----------------------------------------------------------------------------


def kolada_section(viewer: AccessContext) -> None:
    """A saved Kolada API v3 answer (JSON) into the reference values."""
    from data_access.kolada import effective_mapping, import_kolada

    st.subheader("Referensvärden från Kolada")
    mapping = effective_mapping(engine())
    st.caption(
        "Ladda upp ett sparat svar från Koladas API (v3, JSON), t.ex. från "
        "`python -m data_access kolada --fetch --save svar.json`. Värden för alla, kvinnor och män (T, K, M) "
        "sparas för de nyckeltal som är kopplade till en indikator (se nedan); saknade och sekretessmarkerade "
        "värden sparas aldrig som noll."
    )
    saved = st.file_uploader("Sparat Kolada-svar (JSON)", type=["json"], key="upload_kolada_file")
    if st.button("Importera från Kolada", key="upload_kolada_go", disabled=saved is None):
        import json

        try:
            data = json.loads(saved.getvalue().decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            message = f"{md_escape(saved.name)}: filen är inte giltig JSON. Ingenting har sparats."
            st.session_state[_KOLADA_KEY] = (False, message)
        else:
            docs = data if isinstance(data, list) else [data]
            with st.spinner("Importerar från Kolada …"):
                out = import_kolada(docs, access=viewer, engine=engine(), mapping=mapping, file_name=saved.name)
            if out.result.ok and (out.result.changed or out.removed):
                clear_data_caches()
            st.session_state[_KOLADA_KEY] = (out.result.ok, md_escape(out.summary()))  # ids from the file
    shown = st.session_state.get(_KOLADA_KEY)
    if shown is not None:
        ok, text = shown
        (st.success if ok else st.error)(text)
