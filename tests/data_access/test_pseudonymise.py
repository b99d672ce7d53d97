"""The suppliers' pseudonymisation tool (``python -m data_access pseudonymise``), end to end.

Pseudonyms are checked against the standard library's HMAC computed here, ages and birth years
against hand-computed values. Every personnummer is generated when the test runs
(:mod:`tests.personnummer_factory`); none is written into the repository.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import os
import stat
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from data_access import pseudonymise as tool
from data_access.__main__ import main
from tests.personnummer_factory import number, wrong_check_digit

ROOT = Path(__file__).resolve().parents[2]
KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
REF = "2026-12-07"
STAY_HEADER = ["stay_id", "personnummer", "municipality_code", "sex", "admission_time", "discharge_time",
               "admission_type", "discharge_to"]

# Two persons: a man born 12 August 1945 and a woman with a samordningsnummer, born 3 March 1938.
MAN = number(dt.date(1945, 8, 12), 985)
WOMAN_COORD = number(dt.date(1938, 3, 3), 982, coordination=True)


def pseudonym(text: str, key: bytes = KEY) -> str:
    """What the tool must write: HMAC-SHA256 over the twelve-digit number, 32 hex characters."""
    return hmac.new(key, text.encode("ascii"), hashlib.sha256).hexdigest()[:32]


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, sep: str = ",", encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f, delimiter=sep)
        w.writerow(header)
        w.writerows(rows)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def stay(stay_id: str, pnr: str, admitted: str, sex: str = "") -> list[str]:
    return [stay_id, pnr, "1490", sex, admitted, "2025-08-20 10:00", "akut", "hem"]


@pytest.fixture
def key_file(tmp_path) -> Path:
    path = tmp_path / "nyckel.bin"
    path.write_bytes(KEY)
    path.chmod(0o600)
    return path


def run(tmp_path: Path, key_file: Path, *paths: Path, extra: tuple[str, ...] = (), out: Path | None = None) -> int:
    out = out or tmp_path / "ut"
    return main(["pseudonymise", "--key-file", str(key_file), "--out", str(out), "--reference-date", REF,
                 "--errors", str(tmp_path / "fel.csv"), *extra, *map(str, paths)])


# --- the key ------------------------------------------------------------------------------------


def test_new_key_is_32_random_bytes_mode_600_and_never_overwritten(tmp_path, capsys):
    path = tmp_path / "nyckel.bin"
    assert main(["pseudonymise", "--new-key", str(path)]) == 0
    key = path.read_bytes()
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    printed = capsys.readouterr().out
    assert tool.key_id(key) in printed and key.hex() not in printed
    assert main(["pseudonymise", "--new-key", str(path)]) == 1
    assert "finns redan" in capsys.readouterr().err
    assert path.read_bytes() == key
    other = tmp_path / "andra.bin"
    assert main(["pseudonymise", "--new-key", str(other)]) == 0
    assert other.read_bytes() != key


def test_a_short_key_is_refused_and_nothing_is_written(tmp_path, capsys):
    short = tmp_path / "kort.bin"
    short.write_bytes(b"x" * 31)
    src = write_csv(tmp_path / "in" / "hospital_stays.csv", STAY_HEADER, [stay("S1", MAN, "2025-08-11 08:00")])
    assert run(tmp_path, short, src) == 1
    assert "minst 32 byte" in capsys.readouterr().err
    assert not (tmp_path / "ut").exists()


def test_a_missing_key_file_is_a_swedish_message_not_a_traceback(tmp_path, capsys):
    src = write_csv(tmp_path / "in" / "hospital_stays.csv", STAY_HEADER, [stay("S1", MAN, "2025-08-11 08:00")])
    assert run(tmp_path, tmp_path / "saknas.bin", src) == 1
    err = capsys.readouterr().err
    assert "Nyckelfilen" in err and "finns inte" in err and "Traceback" not in err


def test_usage_errors_exit_2(tmp_path, key_file):
    with pytest.raises(SystemExit) as exc:
        main(["pseudonymise", "--key-file", str(key_file)])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["pseudonymise", "--key-file", str(key_file), "--out", str(tmp_path), "--reference-date", "7/12-2026",
              str(tmp_path)])
    assert exc.value.code == 2


def test_the_hmac_matches_the_standard_library_for_many_keys_and_values():
    for length in (32, 33, 64, 65, 100):
        key = bytes((i * 7 + length) % 256 for i in range(length))
        p = tool.Pseudonymiser(key)
        for value in (b"194508129857", b"R12345", b""):
            assert p.digest(value) == hmac.digest(key, value, "sha256")


# --- what is written ----------------------------------------------------------------------------


def test_pseudonyms_derived_columns_and_kept_values(tmp_path, key_file, capsys):
    src = write_csv(
        tmp_path / "in" / "hospital_stays.csv",
        STAY_HEADER,
        [
            stay("S1", MAN, "2025-08-11 08:00"),  # the day before his 80th birthday: 79
            stay("S2", f"  {MAN[2:8]}-{MAN[8:]} ", "2025-08-12 08:00", sex="m"),  # the birthday: 80; sex kept as given
            stay("S3", WOMAN_COORD, "2025-03-02 23:59"),  # day + 60; the day before her 87th birthday: 86
        ],
    )
    assert run(tmp_path, key_file, src) == 0
    rows = read_csv(tmp_path / "ut" / "hospital_stays.csv")
    assert list(rows[0]) == ["stay_id", "person_id", "municipality_code", "age", "sex", "admission_time",
                             "discharge_time", "admission_type", "discharge_to"]
    assert [r["person_id"] for r in rows] == [pseudonym(MAN), pseudonym(MAN), pseudonym(WOMAN_COORD)]
    assert [r["age"] for r in rows] == ["79", "80", "86"]
    assert [r["sex"] for r in rows] == ["M", "m", "K"]
    assert WOMAN_COORD[6:8] == "63"  # the samordningsnummer's day stays + 60 in what is hashed
    out = capsys.readouterr().out
    assert "3 rader" in out and "1 med samordningsnummer" in out and "age 3" in out
    assert tool.key_id(KEY) in out


def test_birth_year_and_sex_are_filled_only_where_empty(tmp_path, key_file):
    woman = number(dt.date(1931, 12, 31), 980)
    src = write_csv(
        tmp_path / "in" / "home_care_enrolments.csv",
        ["enrolment_id", "personnummer", "municipality_code", "birth_year", "sex", "start_date", "end_date"],
        [["E1", woman, "1490", "", "", "2024-01-01", ""], ["E2", MAN, "1490", "1946", "M", "2024-02-01", ""]],
    )
    assert run(tmp_path, key_file, src) == 0
    rows = read_csv(tmp_path / "ut" / "home_care_enrolments.csv")
    assert [(r["birth_year"], r["sex"]) for r in rows] == [("1931", "K"), ("1946", "M")]  # a given year is kept


def test_the_century_follows_the_reference_date(tmp_path, key_file):
    # 261231-NNNC on 7 December 2026: born 1926 (99 years old), not in three weeks.
    old = number(dt.date(1926, 12, 31), 987)
    src = write_csv(tmp_path / "in" / "hospital_stays.csv", STAY_HEADER,
                    [stay("S1", old[2:8] + "-" + old[8:], "2026-12-01 08:00")])
    assert run(tmp_path, key_file, src) == 0
    row = read_csv(tmp_path / "ut" / "hospital_stays.csv")[0]
    assert row["person_id"] == pseudonym(old)
    assert row["age"] == "99"
    # The same ten digits on a reference date a month later mean a baby born on 31 December 2026.
    assert main(["pseudonymise", "--key-file", str(key_file), "--out", str(tmp_path / "ut2"), "--reference-date",
                 "2027-01-15", "--errors", str(tmp_path / "fel2.csv"), str(src)]) == 1
    assert "ligger före födelsedatumet" in (tmp_path / "fel2.csv").read_text(encoding="utf-8-sig")


def test_same_key_and_input_give_identical_bytes_another_key_disjoint_pseudonyms(tmp_path, key_file):
    rows = [stay(f"S{i}", number(dt.date(1930, 1, 1) + dt.timedelta(days=37 * i), 980 + i % 20), "2025-05-05 10:00")
            for i in range(50)]
    src = write_csv(tmp_path / "in" / "hospital_stays.csv", STAY_HEADER, rows)
    assert run(tmp_path, key_file, src, out=tmp_path / "a") == 0
    assert run(tmp_path, key_file, src, out=tmp_path / "b") == 0
    assert (tmp_path / "a" / "hospital_stays.csv").read_bytes() == (tmp_path / "b" / "hospital_stays.csv").read_bytes()
    other = tmp_path / "other.bin"
    other.write_bytes(OTHER_KEY)
    assert run(tmp_path, other, src, out=tmp_path / "c") == 0
    first = {r["person_id"] for r in read_csv(tmp_path / "a" / "hospital_stays.csv")}
    second = {r["person_id"] for r in read_csv(tmp_path / "c" / "hospital_stays.csv")}
    assert len(first) == len(second) == 50 and not first & second


def test_chunks_number_rows_like_one_read_and_write_the_same_bytes(tmp_path, key_file, monkeypatch):
    rows = [stay(f"S{i:04d}", number(dt.date(1930, 1, 1) + dt.timedelta(days=i), 980 + i % 20), "2025-05-05 10:00")
            for i in range(600)]
    src = write_csv(tmp_path / "in" / "hospital_stays.csv", STAY_HEADER, rows)
    assert run(tmp_path, key_file, src, out=tmp_path / "one") == 0
    monkeypatch.setattr(tool, "READ_BLOCK_BYTES", 2048)  # about 30 rows a block
    monkeypatch.setattr(tool, "CHUNK_BYTES", 4096)  # a few blocks a chunk
    seen = []
    real = tool.process_chunk
    monkeypatch.setattr(tool, "process_chunk", lambda frame, first, *a: seen.append(first) or real(frame, first, *a))
    assert run(tmp_path, key_file, src, out=tmp_path / "many") == 0
    assert (tmp_path / "one" / "hospital_stays.csv").read_bytes() == (tmp_path / "many" / "hospital_stays.csv").read_bytes()
    assert len(seen) > 5 and seen[0] == 2  # several chunks, numbered on from the header's row 1
    rows[500][1] = wrong_check_digit(rows[500][1])
    write_csv(src, STAY_HEADER, rows)
    assert run(tmp_path, key_file, src, out=tmp_path / "bad") == 1
    with open(tmp_path / "fel.csv", encoding="utf-8-sig") as f:
        errors = list(csv.reader(f, delimiter=";"))
    assert errors[1][:3] == ["hospital_stays.csv", "502", "personnummer"]  # header = row 1


def test_windows_1252_semicolon_and_xlsx_inputs(tmp_path, key_file):
    src = tmp_path / "in"
    write_csv(src / "hospital_stays.csv", STAY_HEADER, [stay("S1", MAN, "2025-08-11 08:00")], sep=";",
              encoding="cp1252")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "home_care_enrolments"
    ws.append(["enrolment_id", "personnummer", "municipality_code", "start_date", "end_date", "Vårdenhet"])
    ws.append(["E1", int(MAN), "1490", dt.datetime(2024, 1, 1), None, "Hemsjukvård Öst"])  # a number cell
    ws.append(["E2", WOMAN_COORD[:8] + "-" + WOMAN_COORD[8:], "1490", dt.datetime(2024, 2, 1), None, None])
    wb.save(src / "kommun.xlsx")
    assert run(tmp_path, key_file, src) == 0
    stays = read_csv(tmp_path / "ut" / "hospital_stays.csv")
    assert stays[0]["person_id"] == pseudonym(MAN) and stays[0]["age"] == "79"
    enrolments = read_csv(tmp_path / "ut" / "home_care_enrolments.csv")
    assert [r["person_id"] for r in enrolments] == [pseudonym(MAN), pseudonym(WOMAN_COORD)]
    assert [(r["birth_year"], r["sex"]) for r in enrolments] == [("1945", "M"), ("1938", "K")]
    assert "vårdenhet" not in enrolments[0]  # not in the contract: not carried over


def test_a_table_without_persons_is_copied(tmp_path, key_file):
    src = write_csv(tmp_path / "in" / "population.csv", ["municipality_code", "year", "age_band", "sex", "population"],
                    [["1490", "2025", "80-84", "K", "1234"]])
    assert run(tmp_path, key_file, src) == 0
    assert read_csv(tmp_path / "ut" / "population.csv") == [
        {"municipality_code": "1490", "year": "2025", "age_band": "80-84", "sex": "K", "population": "1234"}]


def test_reserve_numbers_only_with_allow_reserve(tmp_path, key_file, capsys):
    typo = wrong_check_digit(MAN)
    src = write_csv(tmp_path / "in" / "hospital_stays.csv", STAY_HEADER + ["age"],
                    [stay("S1", "r 123 45", "2025-08-11 08:00", sex="K") + ["81"],
                     stay("S2", typo, "2025-08-11 08:00", sex="M") + ["79"]])
    assert run(tmp_path, key_file, src) == 1
    assert not (tmp_path / "ut").exists()
    capsys.readouterr()
    assert run(tmp_path, key_file, src, extra=("--allow-reserve",)) == 0
    rows = read_csv(tmp_path / "ut" / "hospital_stays.csv")
    assert [r["person_id"] for r in rows] == [pseudonym("R12345"), pseudonym(typo)]
    assert [(r["age"], r["sex"]) for r in rows] == [("81", "K"), ("79", "M")]  # given, nothing derived
    captured = capsys.readouterr()
    assert "2 med reservnummer" in captured.out
    assert "1 reservnummer har formen av ett personnummer" in captured.err and "rad 3" in captured.err


def test_reserve_rows_leave_derived_columns_empty(tmp_path, key_file, capsys):
    src = write_csv(
        tmp_path / "in" / "home_care_enrolments.csv",
        ["enrolment_id", "personnummer", "municipality_code", "birth_year", "sex", "start_date", "end_date"],
        [["E1", "RES-1", "1490", "", "", "2024-01-01", ""]],
    )
    assert run(tmp_path, key_file, src, extra=("--allow-reserve",)) == 0
    row = read_csv(tmp_path / "ut" / "home_care_enrolments.csv")[0]
    assert (row["person_id"], row["birth_year"], row["sex"]) == (pseudonym("RES-1"), "", "")
    assert ("Varning: home_care_enrolments.csv: rader med reservnummer saknar födelseår (birth_year, 1 rad) och "
            "kön (sex, 1 rad), som datakontraktet kräver i home_care_enrolments.") in capsys.readouterr().err


# --- what is rejected ---------------------------------------------------------------------------


def test_errors_name_file_row_column_never_the_value_and_nothing_is_written(tmp_path, key_file, capsys):
    good = [stay(f"S{i}", number(dt.date(1940, 1, 1) + dt.timedelta(days=i), 981), "2025-05-05 10:00")
            for i in range(150)]
    bad = [stay(f"B{i}", wrong_check_digit(number(dt.date(1941, 1, 1) + dt.timedelta(days=i), 983)),
                "2025-05-05 10:00") for i in range(150)]
    rows = good[:1] + bad + good[1:]
    rows.append(stay("W", MAN, "2025-05-05 10:00", sex="K"))  # contradicts the number
    src = write_csv(tmp_path / "in" / "hospital_stays.csv", STAY_HEADER, rows)
    ok = write_csv(tmp_path / "in" / "sip.csv", ["sip_id", "personnummer", "municipality_code", "sip_date"],
                   [["P1", MAN, "1490", "2025-01-01"]])
    assert run(tmp_path, key_file, tmp_path / "in") == 1
    err = capsys.readouterr().err
    assert "Pseudonymiseringen avbröts: 151 fel hittades. Ingenting har skrivits." in err
    assert "hospital_stays.csv, rad 3, kolumn personnummer: Kontrollsiffran stämmer inte" in err
    assert "… och 51 fel till" in err
    assert not (tmp_path / "ut").exists() and ok.exists() and src.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".ut")]  # the staging folder is gone
    text = (tmp_path / "fel.csv").read_text(encoding="utf-8-sig")
    assert len(text.splitlines()) == 152
    assert f"hospital_stays.csv;{len(rows) + 1};sex;Könet 'K' stämmer inte med personnumret, som anger man (M)." in text
    for row in rows:
        assert row[1] not in text and row[1] not in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("", "Personnumret saknas."),
        (MAN[:8] + " " + MAN[8:], "tillåtna former"),  # an inner space is no accepted form
        ("123456789", "nio siffror"),
        (MAN[2:4] + "13" + MAN[6:8] + "-" + MAN[8:], "Datumet i numret finns inte"),  # month 13
    ],
)
def test_each_reason_is_reported(tmp_path, key_file, capsys, value, words):
    src = write_csv(tmp_path / "in" / "hospital_stays.csv", STAY_HEADER, [stay("S1", value, "2025-08-11 08:00")])
    assert run(tmp_path, key_file, src) == 1
    assert "hospital_stays.csv, rad 2, kolumn personnummer: " in capsys.readouterr().err
    assert words in (tmp_path / "fel.csv").read_text(encoding="utf-8-sig")


def test_header_problems(tmp_path, key_file, capsys):
    src = tmp_path / "in"
    write_csv(src / "hospital_stays.csv", ["stay_id", "person_id", "personnummer", "municipality_code", "sex",
                                           "admission_time", "discharge_time", "admission_type", "discharge_to"], [])
    write_csv(src / "sip.csv", ["sip_id", "pnr_nr", "municipality_code", "sip_date"], [["P1", MAN, "1490", "2025-01-01"]])
    write_csv(src / "ed_visits.csv", ["visit_id", "personnummer", "namn", "municipality_code", "arrival_time", "unit",
                                      "admitted"], [["V1", MAN, "Test Testsson", "1490", "2025-01-01 10:00", "MALT", "0"]])
    write_csv(src / "vardtillfallen.csv", ["x"], [["1"]])
    assert run(tmp_path, key_file, src) == 1
    err = capsys.readouterr().err
    assert "hospital_stays.csv, kolumn person_id: Filen har redan kolumnen 'person_id'" in err
    assert "sip.csv, kolumn personnummer: Kolumnen 'personnummer' med personnumret saknas" in err
    assert "ed_visits.csv, kolumn namn: Kolumnen 'namn' kan innehålla personuppgifter" in err
    assert "vardtillfallen.csv: Namnet 'vardtillfallen' motsvarar ingen tabell" in err
    assert "Test Testsson" not in err
    # --column names another header
    assert run(tmp_path, key_file, src / "sip.csv", extra=("--column", "PNR nr")) == 0


def test_a_personnummer_in_another_column_is_refused(tmp_path, key_file, capsys):
    src = write_csv(tmp_path / "in" / "hospital_stays.csv", STAY_HEADER, [stay("VT" + MAN, MAN, "2025-08-11 08:00")])
    assert run(tmp_path, key_file, src) == 1
    assert "rad 2, kolumn stay_id: Värdet ser ut som ett personnummer" in capsys.readouterr().err


def test_age_needs_a_readable_admission_day(tmp_path, key_file, capsys):
    src = write_csv(tmp_path / "in" / "hospital_stays.csv", STAY_HEADER,
                    [stay("S1", MAN, "11/8 2025"), stay("S2", MAN, "1944-01-01 10:00")])
    assert run(tmp_path, key_file, src) == 1
    err = capsys.readouterr().err
    assert "rad 2, kolumn age: Åldern kan inte räknas fram" in err
    assert "rad 3, kolumn age: Inskrivningstid (admission_time) ligger före födelsedatumet" in err


def test_the_output_never_overwrites_an_input(tmp_path, key_file, capsys):
    src = write_csv(tmp_path / "in" / "hospital_stays.csv", STAY_HEADER, [stay("S1", MAN, "2025-08-11 08:00")])
    before = src.read_bytes()
    assert run(tmp_path, key_file, src, out=tmp_path / "in") == 1
    assert "skriva över indatafilen" in capsys.readouterr().err
    assert src.read_bytes() == before


def test_an_out_path_that_is_a_file_is_refused(tmp_path, key_file, capsys):
    src = write_csv(tmp_path / "in" / "hospital_stays.csv", STAY_HEADER, [stay("S1", MAN, "2025-08-11 08:00")])
    (tmp_path / "ut").write_text("x")
    assert run(tmp_path, key_file, src) == 1
    assert "är en fil, inte en mapp" in capsys.readouterr().err
    assert (tmp_path / "ut").read_text() == "x"


def test_the_key_appears_nowhere(tmp_path, key_file):
    src = write_csv(tmp_path / "in" / "hospital_stays.csv", STAY_HEADER,
                    [stay("S1", MAN, "2025-08-11 08:00"), stay("S2", "fel", "2025-08-11 08:00")])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    seen = []
    for paths in ([src.parent / "hospital_stays.csv"],):
        proc = subprocess.run(
            [sys.executable, "-m", "data_access", "pseudonymise", "--key-file", str(key_file), "--out",
             str(tmp_path / "ut"), "--errors", str(tmp_path / "fel.csv"), "--allow-reserve", *map(str, paths)],
            capture_output=True, env=env, cwd=tmp_path, check=False,
        )
        assert proc.returncode == 0, proc.stderr.decode()
        seen += [proc.stdout, proc.stderr, (tmp_path / "ut" / "hospital_stays.csv").read_bytes()]
    for blob in seen:
        assert KEY not in blob and KEY.hex().encode() not in blob and KEY.hex().upper().encode() not in blob


def test_unreadable_csv_gets_the_imports_own_messages(tmp_path, key_file, capsys):
    src = tmp_path / "in"
    write_csv(src / "hospital_stays.csv", STAY_HEADER,
              [stay("S1", MAN, "2025-08-11 08:00"), ["S2", MAN, "1490"]])  # a row with 3 fields
    sip = src / "sip.csv"
    sip.write_bytes("sip_id,personnummer,municipality_code,sip_date\nP1,x,1490,2025-01-01\nP2,y,VÃ¥rgÃ¥rda,\n"
                    .encode("utf-8"))
    (src / "ed_visits.csv").write_bytes("visit_id\x00,x\n".encode("utf-16-le"))
    assert run(tmp_path, key_file, src) == 1
    err = capsys.readouterr().err
    assert "hospital_stays.csv, rad 3: Raden har 3 fält men rubrikraden har 8" in err
    assert "sip.csv, rad 3, kolumn municipality_code: Texten ser ut som felavkodad UTF-8" in err
    assert "ed_visits.csv: Filen innehåller nolltecken" in err
    assert not (tmp_path / "ut").exists()


def test_an_error_file_that_cannot_be_written_still_exits_1(tmp_path, key_file, capsys):
    src = write_csv(tmp_path / "in" / "hospital_stays.csv", STAY_HEADER, [stay("S1", "fel", "2025-08-11 08:00")])
    code = main(["pseudonymise", "--key-file", str(key_file), "--out", str(tmp_path / "ut"),
                 "--errors", str(tmp_path / "saknas" / "fel.csv"), str(src)])
    assert code == 1
    assert "Fellistan kunde inte skrivas" in capsys.readouterr().err


def test_a_header_only_table_is_a_delivery_of_zero_rows(tmp_path, key_file, capsys):
    src = write_csv(tmp_path / "in" / "short_term_stays.csv",
                    ["stay_id", "personnummer", "municipality_code", "start_date", "end_date", "discharge_to"], [])
    assert run(tmp_path, key_file, src) == 0
    assert (tmp_path / "ut" / "short_term_stays.csv").read_text(encoding="utf-8").splitlines() == [
        '"stay_id","person_id","municipality_code","birth_year","sex","start_date","end_date","discharge_to"']
    assert "short_term_stays.csv → short_term_stays.csv: 0 rader." in capsys.readouterr().out
