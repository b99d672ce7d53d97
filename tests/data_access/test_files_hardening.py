"""Reading delivered files defensively (issue 21, items 6, 11 and 13).

* Item 6: encodings are decoded strictly. A UTF-8 file with one Windows-1252 row
  (with or without BOM) is refused with file, row and column, never stored as
  "VÃ¥rdcentralen Sandared"; clean Windows-1252 and UTF-8-with-BOM files read
  exactly, and a BOM never reaches a column name.
* Item 11: an xlsx workbook is refused by its uncompressed size, its packing
  ratio and its rows before openpyxl parses it (the parser is made to fail if
  reached), in well under a second.
* Item 13: an oversized cell, in an ignored column or a known one, is refused
  with file, row and column instead of "ArrowInvalid" (``MAX_CELL_CHARS``).

Every refused file stores nothing (checked on SQLite and PostgreSQL).
"""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import func, select

from data_access import files
from data_access.access import SYSTEM
from data_access.files import ReadLimits, check_workbook, decode_bytes, read_csv_text, read_files
from data_access.importer import import_paths
from data_access.models import ImportLog, Population, PrimaryCareContact
from data_access.settings import Settings, SettingsError, get_settings
from data_access.validation import ValidationFailed, ValidationIssue, validate_frame

CONTACTS = "primary_care_contacts.csv"
HEADER = "contact_id;person_id;municipality_code;care_centre;contact_time;contact_type"
CENTRES = ["Vårdcentralen Sandared", "Vårdcentralen Kärra", "Hälsocentralen Öxabäck", "ÅÄÖ åäö Sjöbo"]


def contact_rows(n: int = 5, start: int = 1, centre: str = "Vårdcentralen Sandared") -> list[str]:
    return [f"C{i};P{i:05d};1490;{centre};2025-11-{1 + i % 28:02d} 10:00;besok" for i in range(start, start + n)]


def mixed_file(bom: bool = False) -> bytes:
    """Issue 21 item 6: UTF-8 rows (header = row 1, data rows 2–6) and row 7 in Windows-1252."""
    utf8 = "\n".join([HEADER, *contact_rows(5)]) + "\n"
    cp1252_row = contact_rows(1, start=6)[0] + "\n"
    return (b"\xef\xbb\xbf" if bom else b"") + utf8.encode("utf-8") + cp1252_row.encode("cp1252")


def write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def refusal(paths, limits: ReadLimits | None = None) -> list[ValidationIssue]:
    with pytest.raises(ValidationFailed) as failed:
        read_files(paths, limits)
    return failed.value.errors


def stored_contacts(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(PrimaryCareContact)).scalar_one()


def rejected_logged(engine) -> bool:
    with engine.connect() as conn:
        outcomes = conn.execute(select(ImportLog.outcome)).scalars().all()
    return outcomes != [] and set(outcomes) == {"rejected"}


@pytest.fixture
def settings_env(monkeypatch):
    """Set environment variables for :func:`get_settings` (its cache cleared before and after)."""

    def set_env(**values: str) -> None:
        for key, value in values.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()

    get_settings.cache_clear()
    yield set_env
    get_settings.cache_clear()


# --- item 6: encodings -----------------------------------------------------------------------


@pytest.mark.parametrize("bom", [False, True], ids=["utf8", "utf8-bom"])
def test_utf8_file_with_one_cp1252_row_is_refused_with_file_row_and_column(tmp_path, bom):
    path = write(tmp_path, CONTACTS, mixed_file(bom))
    errors = refusal([path])
    assert [(e.file, e.row, e.column) for e in errors] == [(CONTACTS, 7, "care_centre")]
    message = errors[0].message
    assert "inte är giltig UTF-8" in message
    assert ("UTF-8-markering (BOM)" in message) == bom
    assert "saknas" not in message  # not the old "contact_id saknas"


@pytest.mark.parametrize("bom", [False, True], ids=["utf8", "utf8-bom"])
def test_mixed_encodings_store_nothing_and_no_mojibake(store, tmp_path, bom):
    result = import_paths([write(tmp_path / "in", CONTACTS, mixed_file(bom))], engine=store)
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [(7, "care_centre")]
    assert stored_contacts(store) == 0
    assert rejected_logged(store)
    # The same rows, delivered whole in one encoding, are stored with the right name.
    clean = "\n".join([HEADER, *contact_rows(6)]) + "\n"
    assert import_paths([write(tmp_path / "ok", CONTACTS, clean.encode("utf-8"))], engine=store).ok
    with store.connect() as conn:
        names = set(conn.execute(select(PrimaryCareContact.care_centre)).scalars())
    assert names == {"Vårdcentralen Sandared"}


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig", "utf-8"])
def test_clean_files_in_each_accepted_encoding_read_exactly(tmp_path, encoding):
    rows = [row for i, centre in enumerate(CENTRES) for row in contact_rows(1, start=i + 1, centre=centre)]
    text = "\r\n".join([HEADER, *rows]) + "\r\n"
    path = write(tmp_path, CONTACTS, text.encode(encoding))
    [parsed] = read_files([path])
    assert parsed.frame["care_centre"].tolist() == CENTRES
    assert list(parsed.frame.columns)[0] == "contact_id"  # no BOM in the first column name


def test_a_bom_never_reaches_the_first_column_name():
    text = decode_bytes(b"\xef\xbb\xbf" + f"{HEADER}\n{contact_rows(1)[0]}\n".encode("utf-8"))
    assert not text.startswith("\ufeff")
    assert list(read_csv_text(text).columns)[0] == "contact_id"


def test_cp1252_file_with_one_utf8_row_is_refused_at_that_row(tmp_path):
    body = "\n".join([HEADER, *contact_rows(4, centre="Vårdcentralen Kärra")]) + "\n"
    utf8_row = contact_rows(1, start=5, centre="Vårdcentralen Sandared")[0] + "\n"
    path = write(tmp_path, CONTACTS, body.encode("cp1252") + utf8_row.encode("utf-8"))
    errors = refusal([path])
    assert [(e.file, e.row, e.column) for e in errors] == [(CONTACTS, 6, "care_centre")]
    assert "Windows-1252" in errors[0].message and "Ã¥" in errors[0].message


def test_utf8_that_was_decoded_twice_is_refused(tmp_path):
    rows = contact_rows(2) + contact_rows(1, start=3, centre="VÃ¥rdcentralen Sandared")
    path = write(tmp_path, CONTACTS, ("\n".join([HEADER, *rows]) + "\n").encode("utf-8"))
    errors = refusal([path])
    assert [(e.row, e.column) for e in errors] == [(4, "care_centre")]
    assert "felavkodad UTF-8" in errors[0].message


def test_encoding_errors_count_rows_as_the_import_does():
    """A quoted value over two lines and an empty line: the rows are those validation would name."""
    lines = [HEADER, 'C1;P00001;1490;"Vårdcentralen\nSandared";2025-11-01 10:00;besok', "",
             "C2;P00002;1490;Vårdcentralen Kärra;2025-11-02 10:00;besok"]
    good = ("\n".join(lines) + "\n").encode("utf-8")
    bad_row = "C3;P00003;1490;Vårdcentralen Kärra;2025-11-03 10:00;besok\n"
    with pytest.raises(ValidationFailed) as failed:
        decode_bytes(good + bad_row.encode("cp1252"), CONTACTS)
    assert [(e.row, e.column) for e in failed.value.errors] == [(4, "care_centre")]
    # Validation numbers the same row 4 for an error of its own.
    text = (good + bad_row.replace("1490", "9999").encode("utf-8")).decode("utf-8")
    _, issues = validate_frame(read_csv_text(text), "primary_care_contacts", CONTACTS)
    assert [(e.row, e.column) for e in issues] == [(4, "municipality_code")]


def test_bytes_in_neither_encoding_and_utf16_are_refused(tmp_path):
    undefined = write(tmp_path / "a", CONTACTS, f"{HEADER}\n".encode() + b"C1;P00001;1490;V\x81rd;2025-11-01 10:00;besok\n")
    assert [(e.row, e.column) for e in refusal([undefined])] == [(2, "care_centre")]
    utf16 = write(tmp_path / "b", CONTACTS, f"{HEADER}\n{contact_rows(1)[0]}\n".encode("utf-16"))
    [error] = refusal([utf16])
    assert error.row is None and "UTF-16" in error.message


def test_the_majority_encoding_decides_which_rows_are_named_and_the_list_is_capped(tmp_path):
    cp1252_rows = "".join(r + "\n" for r in contact_rows(300)).encode("cp1252")
    # Mostly Windows-1252: the five UTF-8 rows are the odd ones out, and are named.
    data = f"{HEADER}\n".encode() + "".join(r + "\n" for r in contact_rows(5)).encode("utf-8") + cp1252_rows
    errors = refusal([write(tmp_path, CONTACTS, data)])
    assert [(e.row, e.column) for e in errors] == [(r, "care_centre") for r in range(2, 7)]
    # Mostly UTF-8: the 300 Windows-1252 rows are named, the first hundred of them, and counted.
    data = f"{HEADER}\n".encode() + "".join(r + "\n" for r in contact_rows(400)).encode("utf-8") + cp1252_rows
    errors = refusal([write(tmp_path, CONTACTS, data)])
    assert len(errors) == files.MAX_LISTED + 1
    assert [e.row for e in errors[:3]] == [402, 403, 404]
    assert errors[-1].row is None and "300" in errors[-1].message


# --- item 13: oversized cells ------------------------------------------------------------------

HUGE = "x" * 5_000_000  # pyarrow's block is 1 MiB: this once gave "ArrowInvalid"


def test_huge_value_in_an_ignored_column_names_file_row_and_column(tmp_path):
    rows = [r + ";kort" for r in contact_rows(2)] + [contact_rows(1, start=3)[0] + ";" + HUGE]
    path = write(tmp_path, CONTACTS, ("\n".join([HEADER + ";kommentar", *rows]) + "\n").encode())
    [error] = refusal([path])
    assert (error.file, error.row, error.column) == (CONTACTS, 4, "kommentar")
    assert "5 000 000 tecken" in error.message and "MAX_CELL_CHARS" in error.message
    assert "ArrowInvalid" not in str(error)


def test_huge_value_in_a_known_column_names_file_row_and_column(tmp_path):
    rows = contact_rows(1) + contact_rows(1, start=2, centre=HUGE)
    path = write(tmp_path, CONTACTS, ("\n".join([HEADER, *rows]) + "\n").encode())
    [error] = refusal([path])
    assert (error.file, error.row, error.column) == (CONTACTS, 3, "care_centre")
    assert "MAX_CELL_CHARS" in error.message


def test_oversized_cells_store_nothing(store, tmp_path):
    rows = contact_rows(2) + [contact_rows(1, start=3)[0][: -len("besok")] + HUGE]
    result = import_paths([write(tmp_path, CONTACTS, ("\n".join([HEADER, *rows]) + "\n").encode())], engine=store)
    assert [(e.row, e.column) for e in result.errors] == [(4, "contact_type")]
    assert stored_contacts(store) == 0


def test_cell_limit_is_the_setting_max_cell_chars(tmp_path, settings_env):
    rows = [r + ";" + "y" * 40 for r in contact_rows(2)]
    path = write(tmp_path, CONTACTS, ("\n".join([HEADER + ";kommentar", *rows]) + "\n").encode())
    settings_env(MAX_CELL_CHARS="39")
    errors = refusal([path])
    assert [(e.row, e.column) for e in errors] == [(2, "kommentar"), (3, "kommentar")]
    assert "39 tecken" in errors[0].message
    settings_env(MAX_CELL_CHARS="40")
    assert len(read_files([path])[0].frame) == 2


def test_default_cell_limit_admits_what_excel_holds(tmp_path):
    rows = contact_rows(1, centre="Sandared") + [contact_rows(1, start=2)[0] + ";" + "z" * 32_767]
    rows[0] += ";"
    path = write(tmp_path, CONTACTS, ("\n".join([HEADER + ";kommentar", *rows]) + "\n").encode())
    assert len(read_files([path], ReadLimits())[0].frame) == 2


def test_rows_with_the_wrong_number_of_fields_are_named(tmp_path):
    rows = contact_rows(3)
    rows[1] += ";extra"
    rows[2] = rows[2].rsplit(";", 1)[0]
    errors = refusal([write(tmp_path, CONTACTS, ("\n".join([HEADER, *rows]) + "\n").encode())])
    assert [(e.row, e.column) for e in errors] == [(3, None), (4, None)]
    assert "7 fält men rubrikraden har 6" in errors[0].message


def test_oversized_xlsx_cell_names_sheet_row_and_column(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "primary_care_contacts"
    ws.append([*HEADER.split(";"), "kommentar"])
    ws.append(["C1", "P00001", "1490", "Sandared", "2025-11-01 10:00", "besok", "z" * 50])
    wb.save(tmp_path / "leverans.xlsx")
    [error] = refusal([tmp_path / "leverans.xlsx"], ReadLimits(max_cell_chars=49))
    assert (error.file, error.row, error.column) == ("leverans.xlsx (blad primary_care_contacts)", 2, "kommentar")


# --- item 11: xlsx size caps -----------------------------------------------------------------

SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def workbook_zip(sheet_xml: bytes, sheet: str = "population") -> bytes:
    """A minimal xlsx package around one sheet's XML (what openpyxl and Excel would read)."""
    parts = {
        "[Content_Types].xml": (
            b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
            b'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            b'officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            b'<sheets><sheet name="' + sheet.encode() + b'" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return buf.getvalue()


def population_sheet(rows: int, dimension: str | None = None) -> bytes:
    """Sheet XML: a population header and ``rows`` data rows (inline strings, as openpyxl writes)."""
    cells = ["municipality_code", "year", "age_band", "sex", "population"]
    head = "".join(f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{c}</t></is></c>' for i, c in enumerate(cells))
    body = [f'<row r="1">{head}</row>']
    for r in range(2, rows + 2):
        body.append(
            f'<row r="{r}"><c r="A{r}"><v>1490</v></c><c r="B{r}"><v>{1900 + r % 200}</v></c>'
            f'<c r="C{r}" t="inlineStr"><is><t>80-84</t></is></c><c r="D{r}" t="inlineStr"><is><t>K</t></is></c>'
            f'<c r="E{r}"><v>{r}</v></c></row>'
        )
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return SHEET_HEAD + dim.encode() + b"<sheetData>" + "".join(body).encode() + b"</sheetData></worksheet>"


@pytest.fixture
def parser_forbidden(monkeypatch):
    """Fail the test if openpyxl (or pandas' Excel reader) is ever asked to parse the workbook."""

    def boom(*_args, **_kwargs):
        raise AssertionError("the workbook was parsed")

    monkeypatch.setattr(openpyxl, "load_workbook", boom)
    monkeypatch.setattr(openpyxl.reader.excel, "load_workbook", boom)
    monkeypatch.setattr(pd, "read_excel", boom)


def timed_refusal(path: Path, limits: ReadLimits | None = None) -> tuple[ValidationIssue, float]:
    start = time.perf_counter()
    errors = refusal([path], limits)
    elapsed = time.perf_counter() - start
    assert len(errors) == 1, errors
    return errors[0], elapsed


def test_a_minimal_workbook_within_the_limits_is_read(tmp_path):
    path = write(tmp_path, "leverans.xlsx", workbook_zip(population_sheet(3)))
    [parsed] = read_files([path], ReadLimits(xlsx_max_rows=4))  # header + 3 rows: exactly at the limit
    assert parsed.frame["population"].tolist() == [2, 3, 4]


def test_zip_bomb_sheet_is_refused_by_packing_ratio_before_parsing(tmp_path, parser_forbidden):
    # 40 MB of one repeated cell text packs to about 40 kB (ratio ≈ 1000), as the reported bomb did.
    bomb = SHEET_HEAD + b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>' + b"A" * 40_000_000
    bomb += b"</t></is></c></row></sheetData></worksheet>"
    path = write(tmp_path, "leverans.xlsx", workbook_zip(bomb))
    assert path.stat().st_size < 200_000
    error, elapsed = timed_refusal(path)
    assert elapsed < 1.0
    assert error.file == "leverans.xlsx" and "xl/worksheets/sheet1.xml" in error.message
    assert "gånger" in error.message


def test_workbook_larger_than_the_uncompressed_limit_is_refused_before_parsing(tmp_path, parser_forbidden, settings_env):
    path = write(tmp_path, "leverans.xlsx", workbook_zip(population_sheet(40_000)))  # about 7 MB of XML
    settings_env(XLSX_MAX_UNCOMPRESSED_MB="5")
    error, elapsed = timed_refusal(path)
    assert elapsed < 1.0
    assert error.file == "leverans.xlsx"
    assert "5 MB" in error.message and "XLSX_MAX_UNCOMPRESSED_MB" in error.message


def test_sheet_whose_dimension_passes_the_row_limit_is_refused_at_once(tmp_path, parser_forbidden):
    path = write(tmp_path, "leverans.xlsx", workbook_zip(population_sheet(3, dimension="A1:E2000000")))
    error, elapsed = timed_refusal(path)  # default limit: 1 048 576 rows
    assert elapsed < 0.5
    assert error.file == "leverans.xlsx (blad population)"
    assert "2 000 000" in error.message and "XLSX_MAX_ROWS" in error.message


def test_sheet_with_more_rows_than_the_limit_is_refused_before_parsing(tmp_path, parser_forbidden, settings_env):
    # No dimension (as openpyxl's write-only mode), so the rows themselves are counted.
    path = write(tmp_path, "leverans.xlsx", workbook_zip(population_sheet(5_000)))
    settings_env(XLSX_MAX_ROWS="1000")
    error, elapsed = timed_refusal(path)
    assert elapsed < 0.5
    assert error.file == "leverans.xlsx (blad population)" and "1 000" in error.message


def test_openpyxl_workbook_with_many_rows_is_refused_before_parsing(tmp_path):
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("indicator_values")
    ws.append(["indicator_id", "municipality_code", "period", "value", "source"])
    for i in range(3_000):
        ws.append([f"x{i}", "1490", "2024", 1.5, "test"])
    wb.save(tmp_path / "leverans.xlsx")
    calls = []
    real = openpyxl.load_workbook

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(openpyxl, "load_workbook", counted)
        error, _ = timed_refusal(tmp_path / "leverans.xlsx", ReadLimits(xlsx_max_rows=2_000))
        assert calls == []
        assert error.file == "leverans.xlsx (blad indicator_values)"
        assert len(read_files([tmp_path / "leverans.xlsx"], ReadLimits(xlsx_max_rows=3_001))[0].frame) == 3_000
        assert calls == [1]


def test_rows_beyond_the_limit_are_never_read_even_if_the_check_is_passed(tmp_path):
    """The parse itself stops at the limit (a sheet the pre-check could not see)."""
    path = write(tmp_path, "leverans.xlsx", workbook_zip(population_sheet(10)))
    wb = openpyxl.load_workbook(path, read_only=True)
    with pytest.raises(ValidationFailed) as failed:
        files._sheet_frame(wb["population"], "leverans.xlsx (blad population)", ReadLimits(xlsx_max_rows=6))
    wb.close()
    [error] = failed.value.errors
    assert error.row == 7 and "6" in error.message


def test_cells_beyond_the_last_header_column_are_not_read(tmp_path):
    """A cell far to the right (column XFD) in every data row does not make the rows 16 384 cells wide."""
    sheet = population_sheet(2_000)
    head, rows = sheet.split(b"</row>", 1)
    sheet = head + b"</row>" + rows.replace(b"</row>", b'<c r="XFD9"><v>1</v></c></row>')
    path = write(tmp_path, "leverans.xlsx", workbook_zip(sheet))
    start = time.perf_counter()
    [raw] = files.read_path(path)
    assert time.perf_counter() - start < 3.0  # padded to 16 384 columns this took half a minute
    assert list(raw.frame.columns) == ["municipality_code", "year", "age_band", "sex", "population"]
    assert len(raw.frame) == 2_000


def test_header_cell_far_to_the_right_is_refused_by_the_cell_budget_before_parsing(
    tmp_path, parser_forbidden, settings_env
):
    """Row 1 with a cell in column XFD: every row would be read 16 384 cells wide (2 000 rows took 36 s)."""
    sheet = population_sheet(2_000).replace(b"</row>", b'<c r="XFD1"><v>1</v></c></row>', 1)
    path = write(tmp_path, "leverans.xlsx", workbook_zip(sheet))
    settings_env(XLSX_MAX_UNCOMPRESSED_MB="100")  # a budget of 10 485 760 cells
    error, elapsed = timed_refusal(path)
    assert elapsed < 0.5
    assert error.file == "leverans.xlsx (blad population)"
    assert "2 001 rader × 16 384 kolumner" in error.message and "10 485 760" in error.message


def test_the_cell_budget_holds_while_reading_too(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "XLSX_BYTES_PER_CELL", (1 << 20) // 50)  # 50 cells per MB
    limits = ReadLimits(xlsx_max_uncompressed_mb=1)
    assert limits.xlsx_max_cells == 50
    path = write(tmp_path, "leverans.xlsx", workbook_zip(population_sheet(100)))
    wb = openpyxl.load_workbook(path, read_only=True)
    with pytest.raises(ValidationFailed) as failed:
        files._sheet_frame(wb["population"], "leverans.xlsx (blad population)", limits)
    wb.close()
    [error] = failed.value.errors
    assert error.row == 11  # 11 rows × 5 columns = 55 cells > 50


def test_a_file_that_is_no_workbook_is_refused_clearly(tmp_path):
    path = write(tmp_path, "population.xlsx", b"municipality_code;year\n1490;2025\n")
    [error] = refusal([path])
    assert "ingen Excel-arbetsbok" in error.message


def test_refused_workbook_stores_nothing(store, tmp_path):
    bomb = SHEET_HEAD + b'<sheetData><row r="1"><c r="A1"><v>' + b"1" * 5_000_000 + b"</v></c></row></sheetData></worksheet>"
    result = import_paths([write(tmp_path, "leverans.xlsx", workbook_zip(bomb))], engine=store)
    assert not result.ok and "gånger" in result.errors[0].message
    assert rejected_logged(store)


def test_check_workbook_accepts_a_workbook_written_by_openpyxl(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "population"
    wb.active.append(["municipality_code", "year", "age_band", "sex", "population"])
    wb.save(tmp_path / "ok.xlsx")
    check_workbook((tmp_path / "ok.xlsx").read_bytes(), "ok.xlsx", ReadLimits(xlsx_max_rows=1))


# --- the settings --------------------------------------------------------------------------


def test_limits_are_settings_with_defaults():
    defaults = Settings.from_env({})
    assert (defaults.max_cell_chars, defaults.xlsx_max_uncompressed_mb, defaults.xlsx_max_rows) == (
        32_767, 500, 1_048_576
    )
    set_ = Settings.from_env({"MAX_CELL_CHARS": "1000", "XLSX_MAX_UNCOMPRESSED_MB": "50", "XLSX_MAX_ROWS": "20000"})
    assert (set_.max_cell_chars, set_.xlsx_max_uncompressed_mb, set_.xlsx_max_rows) == (1000, 50, 20000)
    with pytest.raises(SettingsError, match="XLSX_MAX_ROWS"):
        Settings.from_env({"XLSX_MAX_ROWS": "en miljon"})
    assert ReadLimits() == ReadLimits(defaults.max_cell_chars, defaults.xlsx_max_uncompressed_mb, defaults.xlsx_max_rows)


def test_one_refused_file_refuses_the_whole_import(sqlite_store, tmp_path):
    """Refusals while reading go through the same all-or-nothing import: one good file, one bad, nothing stored."""
    good = write(tmp_path / "in", "population.csv", b"municipality_code;year;age_band;sex;population\n1490;2025;80-84;K;5\n")
    bad = write(tmp_path / "in", CONTACTS, mixed_file())
    result = import_paths([good, bad], engine=sqlite_store, access=SYSTEM)
    assert not result.ok
    with sqlite_store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ImportLog)).scalar_one() == 2
    assert stored_contacts(sqlite_store) == 0
    with sqlite_store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Population)).scalar_one() == 0
