"""Validation of delivered files: every rule of the data contract, with its Swedish message."""

from __future__ import annotations

import pandas as pd
import pytest

from data_access.contract import TABLES
from data_access.files import decode_bytes, detect_separator, normalise_header, read_csv_text, table_for_name
from data_access.validation import ValidationFailed, ValidationIssue, validate_frame

STAY_HEADER = (
    "stay_id,person_id,municipality_code,age,sex,admission_time,discharge_time,"
    "admission_type,discharge_to,care_plan_complete,followup_call_time"
)
GOOD_STAY = "S1,P1,1490,80,K,2025-01-01 10:00,2025-01-05 12:00,akut,hem,1,2025-01-06 09:00"


def check(table: str, text: str, file_name: str = "f.csv"):
    return validate_frame(read_csv_text(text), table, file_name)


def issues_of(table: str, text: str) -> list[ValidationIssue]:
    return check(table, text)[1]


def stay_with(**changes: str) -> str:
    cols = STAY_HEADER.split(",")
    values = dict(zip(cols, GOOD_STAY.split(","), strict=True))
    values.update(changes)
    return STAY_HEADER + "\n" + ",".join(values[c] for c in cols) + "\n"


def test_good_row_has_no_issues_and_typed_values():
    frame, issues = check("hospital_stays", stay_with())
    assert issues == []
    row = frame.iloc[0]
    assert row["age"] == 80 and str(frame["age"].dtype) == "Int64"
    assert row["admission_time"] == pd.Timestamp("2025-01-01 10:00")
    assert bool(row["care_plan_complete"]) is True


# (table, csv text, row, column, expected message fragment)
BAD_CASES = [
    ("missing column", "hospital_stays", STAY_HEADER.replace("stay_id,", "") + "\n" + GOOD_STAY.split(",", 1)[1],
     None, "stay_id", "Den obligatoriska kolumnen 'stay_id' (vårdtillfälles-id) saknas"),
    ("empty required", "hospital_stays", stay_with(stay_id=""), 2, "stay_id", "Värde saknas (vårdtillfälles-id är obligatoriskt)"),
    ("age not int", "hospital_stays", stay_with(age="åttio"), 2, "age", "'åttio' är inget heltal."),
    ("age decimal", "hospital_stays", stay_with(age="80.5"), 2, "age", "'80.5' är inget heltal."),
    ("age over 120", "hospital_stays", stay_with(age="121"), 2, "age", "Ålder 121 ska vara mellan 0 och 120."),
    ("age negative", "hospital_stays", stay_with(age="-1"), 2, "age", "Ålder -1 ska vara mellan 0 och 120."),
    ("sex enum", "hospital_stays", stay_with(sex="X"), 2, "sex", "'X' är inget tillåtet värde. Tillåtna värden: K, M."),
    ("admission type enum", "hospital_stays", stay_with(admission_type="akuten"), 2, "admission_type",
     "'akuten' är inget tillåtet värde. Tillåtna värden: akut, planerad."),
    ("discharge_to enum", "hospital_stays", stay_with(discharge_to="hemma"), 2, "discharge_to",
     "'hemma' är inget tillåtet värde. Tillåtna värden: hem, sarskilt_boende, korttid, annat_sjukhus, avliden, annat."),
    ("bad timestamp month", "hospital_stays", stay_with(admission_time="2025-13-01 10:00"), 2, "admission_time",
     "'2025-13-01 10:00' är ingen giltig tidpunkt. Använd ÅÅÅÅ-MM-DD TT:MM"),
    ("timestamp swedish order", "hospital_stays", stay_with(admission_time="01/02/2025 10:00"), 2, "admission_time",
     "är ingen giltig tidpunkt"),
    ("timestamp without time", "hospital_stays", stay_with(admission_time="2025-01-01"), 2, "admission_time",
     "'2025-01-01' är ingen giltig tidpunkt"),
    ("timestamp 25 o'clock", "hospital_stays", stay_with(admission_time="2025-01-01 25:00"), 2, "admission_time",
     "ingen giltig tidpunkt"),
    ("discharge before admission", "hospital_stays", stay_with(discharge_time="2024-12-31 10:00"), 2, "discharge_time",
     "Utskrivningstid ligger före inskrivningstid."),
    ("discharge_to without discharge", "hospital_stays", stay_with(discharge_time=""), 2, "discharge_time",
     "Utskrivningstid saknas fast utskriven till är ifylld"),
    ("discharge without discharge_to", "hospital_stays", stay_with(discharge_to=""), 2, "discharge_to",
     "Utskriven till saknas fast utskrivningstid är ifylld"),
    ("bool spelling", "hospital_stays", stay_with(care_plan_complete="kanske"), 2, "care_plan_complete",
     "'kanske' är inget sant/falskt-värde. Använd 1/0, ja/nej eller true/false."),
    ("municipality unknown", "hospital_stays", stay_with(municipality_code="1499x"), 2, "municipality_code",
     "'1499x' är ingen svensk kommunkod"),
    ("municipality not existing", "hospital_stays", stay_with(municipality_code="1400"), 2, "municipality_code",
     "'1400' är ingen svensk kommunkod"),
    ("municipality nation code in events", "hospital_stays", stay_with(municipality_code="0000"), 2, "municipality_code",
     "'0000' är ingen svensk kommunkod"),
    # Valid check digits (Luhn, see luhn_digit below): 450101-123 → 5, 230101-123 → 1, 450161-123 → 2.
    ("personnummer with century and dash", "hospital_stays", stay_with(person_id="19450101-1235"), 2, "person_id",
     "ser ut som ett personnummer eller samordningsnummer"),
    ("personnummer short", "hospital_stays", stay_with(person_id="4501011235"), 2, "person_id", "ser ut som ett personnummer"),
    ("personnummer plus (100+)", "hospital_stays", stay_with(person_id="230101+1231"), 2, "person_id",
     "ser ut som ett personnummer"),
    ("samordningsnummer", "hospital_stays", stay_with(person_id="19450161-1232"), 2, "person_id",
     "samordningsnummer"),
    ("personnummer 12 digits", "hospital_stays", stay_with(person_id="194501011235"), 2, "person_id",
     "ser ut som ett personnummer"),
    ("duplicate id", "hospital_stays", stay_with() + GOOD_STAY + "\n", 3, "stay_id", "Samma id finns redan på rad 2."),
    ("identifying column", "hospital_stays", STAY_HEADER + ",namn\n" + GOOD_STAY + ",Anna\n", None, "namn",
     "kan innehålla personuppgifter"),
    ("duplicate header", "hospital_stays", STAY_HEADER + ",age\n" + GOOD_STAY + ",80\n", None, "age",
     "förekommer mer än en gång"),
    ("cfs out of range", "cfs_assessments",
     "assessment_id,person_id,municipality_code,birth_year,assessment_date,cfs_score\nA1,P1,1490,1940,2025-01-01,10\n",
     2, "cfs_score", "CFS-poäng 10 ska vara mellan 1 och 9."),
    ("cfs zero", "cfs_assessments",
     "assessment_id,person_id,municipality_code,birth_year,assessment_date,cfs_score\nA1,P1,1490,1940,2025-01-01,0\n",
     2, "cfs_score", "CFS-poäng 0 ska vara mellan 1 och 9."),
    ("bad date", "cfs_assessments",
     "assessment_id,person_id,municipality_code,birth_year,assessment_date,cfs_score\nA1,P1,1490,1940,2025-02-30,5\n",
     2, "assessment_date", "'2025-02-30' är inget giltigt datum. Använd ÅÅÅÅ-MM-DD."),
    ("population negative", "population",
     "municipality_code,year,age_band,sex,population\n1490,2025,80-84,K,-5\n",
     2, "population", "Folkmängd -5 får inte vara mindre än 0."),
    ("age band unknown", "population",
     "municipality_code,year,age_band,sex,population\n1490,2025,80+,K,5\n",
     2, "age_band", "'80+' är inget tillåtet värde. Tillåtna värden: 0-64, 65-74, 75-79, 80-84, 85-89, 90+."),
    ("population duplicate key", "population",
     "municipality_code,year,age_band,sex,population\n1490,2025,90+,K,5\n1490,2025,90+,K,6\n",
     3, "municipality_code, year, age_band, sex", "Samma kombination av municipality_code, year, age_band, sex finns redan på rad 2."),
    ("assessed before requested", "home_visits",
     "visit_id,person_id,municipality_code,requested_time,assessed_time,team,acute\n"
     "H1,P1,1490,2025-01-01 10:00,2025-01-01 09:00,PALT,1\n",
     2, "assessed_time", "Bedömd tid ligger före begärd tid."),
    ("team unknown", "home_visits",
     "visit_id,person_id,municipality_code,requested_time,assessed_time,team,acute\n"
     "H1,P1,1490,2025-01-01 10:00,2025-01-01 11:00,Palt-team,1\n",
     2, "team", "'Palt-team' är inget tillåtet värde. Tillåtna värden: PALT, MALT, VC, jour, annat."),
    ("followup before sip", "sip",
     "sip_id,person_id,municipality_code,sip_date,followup_date\nX1,P1,1490,2025-03-01,2025-02-01\n",
     2, "followup_date", "Uppföljningsdatum ligger före SIP-datum."),
    ("enrolment end before start", "home_care_enrolments",
     "enrolment_id,person_id,municipality_code,birth_year,sex,start_date,end_date\nE1,P1,1490,1940,K,2025-03-01,2025-02-01\n",
     2, "end_date", "Slutdatum ligger före startdatum."),
    ("indicator period", "indicator_values",
     "indicator_id,municipality_code,period,value,source\nx,1490,2025-13,1.5,Kolada\n",
     2, "period", "'2025-13' är ingen period. Använd 2025, 2025-Q1 eller 2025-03."),
    ("indicator value not number", "indicator_values",
     "indicator_id,municipality_code,period,value,source\nx,1490,2025,hög,Kolada\n",
     2, "value", "'hög' är inget tal."),
    ("contact type", "primary_care_contacts",
     "contact_id,person_id,municipality_code,care_centre,contact_time,contact_type\nC1,P1,1490,VC Norr,2025-01-01 10:00,sms\n",
     2, "contact_type", "'sms' är inget tillåtet värde. Tillåtna värden: besok, telefon, digital, hembesok."),
    ("short-term discharge_to", "short_term_stays",
     "stay_id,person_id,municipality_code,birth_year,sex,start_date,end_date,discharge_to\n"
     "K1,P1,1490,1940,K,2025-01-01,2025-01-10,korttid\n",
     2, "discharge_to", "'korttid' är inget tillåtet värde. Tillåtna värden: hem, sarskilt_boende, sjukhus, avliden, annat."),
]


@pytest.mark.parametrize(("case", "table", "text", "row", "column", "fragment"), BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_input_is_reported_with_row_column_and_swedish_reason(case, table, text, row, column, fragment):
    issues = issues_of(table, text)
    matching = [i for i in issues if fragment in i.message]
    assert matching, f"{case}: expected '{fragment}' among {[str(i) for i in issues]}"
    issue = matching[0]
    assert issue.row == row
    assert issue.column == column
    assert issue.file == "f.csv"


@pytest.mark.parametrize("table", ["hospital_stays", "short_term_stays", "indicator_values"])
def test_a_header_only_file_is_a_valid_delivery_of_zero_rows(table):
    """Issue 22: a small municipality can have no short-term stays in a month."""
    header = ",".join(c.name for c in TABLES[table].columns if c.required)
    frame, issues = check(table, header + "\n")
    assert issues == []
    assert len(frame) == 0 and list(frame.columns) == TABLES[table].column_names


def test_at_least_thirty_distinct_bad_cases():
    assert len({c[0] for c in BAD_CASES}) >= 30


def test_personnummer_is_never_echoed():
    issues = issues_of("hospital_stays", stay_with(person_id="19450101-1235"))
    assert issues
    assert all("1945" not in str(i) and "1235" not in str(i) for i in issues)


# Month 13, day 32 (with a valid Luhn digit for the digits as written), a short key, letters.
@pytest.mark.parametrize("pseudonym", ["P000123", "a1b2c3", "19451301-1231", "4501321238", "12345", "ABC-1234"])
def test_pseudonyms_that_are_not_personnummer_pass(pseudonym):
    assert issues_of("hospital_stays", stay_with(person_id=pseudonym)) == []


def test_row_numbers_are_spreadsheet_rows():
    text = stay_with() + GOOD_STAY.replace("S1", "S2") + "\n" + GOOD_STAY.replace("S1", "S3").replace(",80,", ",x,") + "\n"
    issues = issues_of("hospital_stays", text)
    assert [(i.row, i.column) for i in issues] == [(4, "age")]


@pytest.mark.parametrize(
    "spelling,expected",
    [("1", True), ("0", False), ("ja", True), ("NEJ", False), ("True", True), ("FALSE", False), ("Ja", True),
     ("SANT", True), ("falskt", False)],
)
def test_boolean_spellings_any_case(spelling, expected):
    frame, issues = check("hospital_stays", stay_with(care_plan_complete=spelling))
    assert issues == []
    assert bool(frame["care_plan_complete"].iloc[0]) is expected


@pytest.mark.parametrize(
    "value",
    ["2025-01-01 10:00", "2025-01-01 10:00:00", "2025-01-01T10:00", "2025-01-01T10:00:00"],
)
def test_timestamp_forms(value):
    frame, issues = check("hospital_stays", stay_with(admission_time=value))
    assert issues == []
    assert frame["admission_time"].iloc[0] == pd.Timestamp("2025-01-01 10:00")


def test_enumerations_are_case_insensitive_and_stored_canonical():
    frame, issues = check("hospital_stays", stay_with(admission_type="AKUT", sex="k", discharge_to="Hem"))
    assert issues == []
    assert (frame["admission_type"].iloc[0], frame["sex"].iloc[0], frame["discharge_to"].iloc[0]) == ("akut", "K", "hem")


def test_headers_match_case_and_whitespace_insensitively():
    header = " Stay_ID ,PERSON_ID,Municipality_Code, age ,sex,admission_time,discharge_time,admission_type,discharge_to"
    frame, issues = check("hospital_stays", header + "\nS1,P1,1490,80,K,2025-01-01 10:00,,akut,\n")
    assert issues == []
    assert frame["stay_id"].iloc[0] == "S1"
    # Optional columns that were not delivered exist, empty.
    assert frame["care_plan_complete"].isna().all()


def test_spreadsheet_municipality_code_without_leading_zero_is_padded():
    frame, issues = check(
        "population", "municipality_code,year,age_band,sex,population\n114,2025,90+,K,12\n"
    )
    assert issues == []
    assert frame["municipality_code"].iloc[0] == "0114"


def test_indicator_values_accept_nation_and_region_codes():
    frame, issues = check(
        "indicator_values",
        "indicator_id,municipality_code,period,value,source\nx,0000,2024,1.5,Kolada N1\nx,0014,2024,\"2,5\",Kolada N1\n",
    )
    assert issues == []
    assert frame["value"].tolist() == [1.5, 2.5]


def test_indicator_values_sex_defaults_to_t_and_splits_the_key():
    """The contract's optional sex column: absent or empty means T; K and M are rows of their own."""
    frame, issues = check("indicator_values", "indicator_id,municipality_code,period,value,source\nx,0000,2024,1,K\n")
    assert issues == [] and frame["sex"].tolist() == ["T"]
    frame, issues = check(
        "indicator_values",
        "indicator_id,municipality_code,period,value,source,sex\n"
        "x,0000,2024,1,K,\nx,0000,2024,2,K,K\nx,0000,2024,3,K,M\n",
    )
    assert issues == [] and frame["sex"].tolist() == ["T", "K", "M"]
    issues = issues_of(
        "indicator_values",
        "indicator_id,municipality_code,period,value,source,sex\nx,0000,2024,1,K,X\nx,0000,2024,2,K,\nx,0000,2024,2,K,T\n",
    )
    assert [(i.row, i.column) for i in issues] == [(2, "sex"), (4, "indicator_id, municipality_code, period, source, sex")]
    assert "finns redan på rad 3" in issues[1].message  # the empty cell of row 3 is T, as row 4 says outright


def test_decoding_utf8_bom_and_cp1252():
    assert decode_bytes("\ufeffkommun;Borås".encode("utf-8")) == "kommun;Borås"
    assert decode_bytes("kommun;Borås".encode("utf-8")) == "kommun;Borås"
    assert decode_bytes("kommun;Borås".encode("cp1252")) == "kommun;Borås"


def test_separator_detection():
    assert detect_separator("a;b;c\n1,5;2;3") == ";"
    assert detect_separator("a,b,c\n1;2,3,4") == ","
    assert detect_separator('"a;x",b,c\n') == ","


def test_table_names_from_file_and_sheet_names():
    assert table_for_name("Hospital_Stays.CSV") == "hospital_stays"
    assert table_for_name("ED_VISITS.xlsx") == "ed_visits"
    assert table_for_name("sip") == "sip"
    assert table_for_name("akut.csv") is None
    assert normalise_header("  Birth Year ") == "birth_year"


def test_report_lists_first_hundred_and_count(tmp_path):
    errors = [ValidationIssue("f.csv", r, "age", "fel") for r in range(2, 252)]
    failed = ValidationFailed(errors)
    report = failed.report(limit=100)
    assert report.splitlines()[0] == "Importen avbröts: 250 fel hittades. Ingenting har sparats."
    assert len(report.splitlines()) == 1 + 100 + 1
    assert "och 150 fel till" in report
    path = tmp_path / "fel.csv"
    failed.to_csv(path)
    written = pd.read_csv(path, sep=";", encoding="utf-8-sig")
    assert list(written.columns) == ["fil", "rad", "kolumn", "fel"]
    assert len(written) == 250


# --- personnummer in any text column (issue 21, item 3) --------------------------------------------------------
#
# Every personnummer below is made here, with a valid Luhn check digit, so that the tests say what is
# recognised. The worked example: a person born 12 March 1945 with serial number 123 has the ten-digit
# form 450312-123C, where C is the Luhn digit over 4 5 0 3 1 2 1 2 3 with weights 2 1 2 1 2 1 2 1 2:
# 8 + 5 + 0 + 3 + 2 + 2 + 2 + 2 + 6 = 30, so C = (10 - 30 % 10) % 10 = 0 → 19450312-1230.


def luhn_digit(nine: str) -> str:
    """The Luhn check digit of a personnummer's first nine digits (YYMMDDNNN)."""
    total = 0
    for i, ch in enumerate(nine):
        v = int(ch) * (2 - i % 2)
        total += v - 9 if v > 9 else v
    return str((10 - total % 10) % 10)


def personnummer(yymmdd: str, serial: str = "123") -> str:
    """Ten digits YYMMDDNNNC with a valid check digit."""
    return yymmdd + serial + luhn_digit(yymmdd + serial)


PNR = personnummer("450312")  # 4503121230: born 1945-03-12
SAMORDNING = personnummer("450372")  # day 12 + 60: a samordningsnummer
LOST_ZERO = personnummer("091231")  # born 2009-12-31: 0912311230, which a spreadsheet turns into 912311230
WRONG_CHECK = PNR[:9] + str((int(PNR[9]) + 1) % 10)
FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


def test_the_worked_example():
    assert PNR == "4503121230"
    assert LOST_ZERO.startswith("0") and str(int(LOST_ZERO)) == LOST_ZERO[1:]


# (case, person_id as delivered) — each was stored before (issue 21: "these were all stored").
BYPASSES = [
    ("space", f"{PNR[:6]} {PNR[6:]}"),
    ("space with century", f"19{PNR[:6]} {PNR[6:]}"),
    ("no-break space", f"19{PNR[:6]}\u00a0{PNR[6:]}"),
    ("en dash", f"19{PNR[:6]}\u2013{PNR[6:]}"),
    ("minus sign", f"{PNR[:6]}\u2212{PNR[6:]}"),
    ("spaces around the dash", f"19{PNR[:6]} - {PNR[6:]}"),
    ("letter before", f"P19{PNR[:6]}-{PNR[6:]}"),
    ("letter after", f"19{PNR[:6]}-{PNR[6:]}X"),
    ("dot", f"19{PNR[:6]}.{PNR[6:]}"),
    ("slash", f"19{PNR[:6]}/{PNR[6:]}"),
    ("full-width digits", f"19{PNR[:6]}-{PNR[6:]}".translate(FULL_WIDTH)),
    ("full-width, no separator", PNR.translate(FULL_WIDTH)),
    ("zero-width space", f"19{PNR[:6]}\u200b{PNR[6:]}"),
    ("soft hyphen inside the date", f"19{PNR[:3]}\u00ad{PNR[3:]}"),
    ("tab", f"{PNR[:6]}\t{PNR[6:]}"),
    ("spreadsheet number without its leading zero", LOST_ZERO[1:]),
    ("the same as a float", LOST_ZERO[1:] + ".0"),
    ("twelve digits as a float", f"19{PNR}.0"),
    ("twelve digits in scientific notation", f"1.9{PNR}E+11"),
    ("digit groups", f"{PNR[0]} {PNR[1:4]} {PNR[4:7]} {PNR[7:]}"),
    ("samordningsnummer with a dot", f"{SAMORDNING[:6]}.{SAMORDNING[6:]}"),
    ("inside other text", f"pnr: 19{PNR[:6]}-{PNR[6:]} (fel fält)"),
    ("after another number", f"nr 12 19{PNR[:6]}-{PNR[6:]}"),
]


@pytest.mark.parametrize(("case", "value"), BYPASSES, ids=[c for c, _ in BYPASSES])
def test_every_spelling_of_a_personnummer_is_rejected(case, value):
    issues = issues_of("hospital_stays", stay_with(person_id=value))
    assert [(i.row, i.column) for i in issues] == [(2, "person_id")], case
    assert "ser ut som ett personnummer" in issues[0].message
    assert PNR[:6] not in str(issues[0]) and LOST_ZERO[1:7] not in str(issues[0])


def primary_care(contact_id: str = "C1", care_centre: str = "VC Norr", person_id: str = "P1") -> str:
    return (
        "contact_id;person_id;municipality_code;care_centre;contact_time;contact_type\n"
        f"{contact_id};{person_id};1490;{care_centre};2025-01-01 10:00;besok\n"
    )


@pytest.mark.parametrize(
    ("column", "text"),
    [
        ("contact_id", primary_care(contact_id=f"19{PNR[:6]}-{PNR[6:]}")),
        ("contact_id", primary_care(contact_id=f"VK{PNR}")),
        ("care_centre", primary_care(care_centre=f"Vårdcentralen Sandared 19{PNR[:6]}-{PNR[6:]}")),
        ("care_centre", primary_care(care_centre=f"Vårdcentralen Sandared ({PNR[:6]}\u2013{PNR[6:]})")),
    ],
)
def test_a_personnummer_in_an_id_or_free_text_column_is_rejected_naming_the_column(column, text):
    issues = issues_of("primary_care_contacts", text)
    assert [(i.row, i.column) for i in issues] == [(2, column)]
    assert issues[0].message.startswith("Värdet ser ut som ett personnummer eller samordningsnummer")
    assert PNR[:6] not in str(issues[0])


GOOD_ROWS = {
    "population": "1490,2025,80-84,K,10",
    "hospital_stays": GOOD_STAY,
    "ed_visits": "V1,P1,1490,80,K,2025-01-01 10:00,akutmottagning,egen,1",
    "home_care_enrolments": "E1,P1,1490,1940,K,2025-01-01,",
    "sip": "X1,P1,1490,2025-01-01,",
    "cfs_assessments": "A1,P1,1490,1940,2025-01-01,5",
    "home_visits": "H1,P1,1490,2025-01-01 10:00,2025-01-01 11:00,PALT,1",
    "primary_care_contacts": "C1,P1,1490,VC Norr,2025-01-01 10:00,besok,1940,K",
    "short_term_stays": "K1,P1,1490,1940,K,2025-01-01,2025-01-10,hem",
    "indicator_values": "x,Ett namn,1490,2025,1,2,0.5,Kolada,K",
}
TEXT_COLUMNS = [(t.name, c.name) for t in TABLES.values() for c in t.columns if c.type == "text"]


def table_row(table: str, **changes: str) -> str:
    names = TABLES[table].column_names
    values = dict(zip(names, GOOD_ROWS[table].split(","), strict=True))
    values.update(changes)
    return ",".join(names) + "\n" + ",".join(values[n] for n in names) + "\n"


def test_good_rows_of_every_table_pass():
    assert {t: issues_of(t, table_row(t)) for t in TABLES} == {t: [] for t in TABLES}


@pytest.mark.parametrize(("table", "column"), TEXT_COLUMNS, ids=[f"{t}.{c}" for t, c in TEXT_COLUMNS])
def test_every_text_column_of_every_table_is_searched(table, column):
    """The columns come from the contract (every ``text`` column), not from a list in the code."""
    issues = issues_of(table, table_row(table, **{column: f"x 19{PNR[:6]}-{PNR[6:]}"}))
    flagged = [i for i in issues if "ser ut som ett personnummer" in i.message]
    assert [(i.row, i.column) for i in flagged] == [(2, column)]
    # Other checks of the same cell (an enumeration, a kommunkod) do not echo the number either.
    assert all(PNR[:6] not in str(i) for i in issues)


def test_numbers_in_other_columns_are_not_echoed():
    issues = issues_of("hospital_stays", stay_with(age=PNR, municipality_code=f"19{PNR}"))
    assert {i.column for i in issues} == {"age", "municipality_code"}
    assert all(PNR[:6] not in str(i) for i in issues)
    assert any("dolt värde som liknar ett personnummer" in i.message for i in issues if i.column == "age")


NEAR_MISSES = [
    ("wrong check digit", WRONG_CHECK),
    ("wrong check digit with century and dash", f"19{WRONG_CHECK[:6]}-{WRONG_CHECK[6:]}"),
    ("wrong check digit without its leading zero", str(int(LOST_ZERO[:9] + str((int(LOST_ZERO[9]) + 1) % 10)))),
    ("30 February", personnummer("450230")),
    ("29 February 1945", "19" + personnummer("450229")),
    ("month 13", personnummer("451301")),
    ("day 0", personnummer("450300")),
    ("day 32", personnummer("450332")),
    ("samordningsnummer day 92", personnummer("450392")),
    ("a century that is not 18, 19 or 20", "17" + PNR),
    ("born in the future", "2099" + personnummer("991231")[2:]),
    ("part of a longer number", "1" + PNR),
    ("eleven digits", PNR + "1"),
    ("sample-style pseudonym", "P0071742"),
    ("sample-style id", "VT00000001"),
    ("a date-and-sequence id", "VT2023110100001"),
]


@pytest.mark.parametrize(("case", "value"), NEAR_MISSES, ids=[c for c, _ in NEAR_MISSES])
def test_near_misses_pass_in_ids_and_free_text(case, value):
    assert issues_of("hospital_stays", stay_with(person_id=value)) == [], case
    assert issues_of("primary_care_contacts", primary_care(contact_id=value, care_centre=f"VC Norr {value}")) == [], case


@pytest.mark.parametrize(
    "key", ["ab" * 10 + PNR + "cd" * 17, f"0a1b2c3d-4e5f-4a6b-8c7d-e{PNR}f"], ids=["hex digest", "UUID"]
)
def test_hex_digests_and_uuids_are_not_searched(key):
    """A keyed pseudonym in hex (HMAC-SHA256: 64 characters) or a UUID holds a Luhn-valid ten-digit run by
    chance in about one id of 2 000 (hex) or 11 000 (UUID); a whole cell of that form is not searched."""
    assert issues_of("hospital_stays", stay_with(person_id=key)) == []
    assert issues_of("primary_care_contacts", primary_care(contact_id=key, person_id=key)) == []
    # In free text it is searched like anything else.
    assert [i.column for i in issues_of("primary_care_contacts", primary_care(care_centre=f"VC {key}"))] == ["care_centre"]


def test_the_near_miss_dates_do_have_valid_check_digits():
    """So that only the date rejects them (the check digit alone would let them through)."""
    for ten in (personnummer("450230"), personnummer("451301"), personnummer("450332"), personnummer("450392")):
        assert luhn_digit(ten[:9]) == ten[9]
    assert luhn_digit(WRONG_CHECK[:9]) != WRONG_CHECK[9]


PHONE_NUMBERS = ["031-123 45 67", "0701-23 45 67", "070-123 45 67", "+46 70 123 45 67", "010-473 12 30",
                 "0701234567", "08-123 456 78", "tel. 0321-59 50 00"]


def test_phone_numbers_in_free_text_that_are_not_personnummer_pass():
    # 0701234567 has the form YYMMDDNNNC (2007-01-23) but not a valid check digit.
    assert luhn_digit("070123456") != "7"
    for phone in PHONE_NUMBERS:
        assert issues_of("primary_care_contacts", primary_care(care_centre=f"Vårdcentralen Kinna, tel {phone}")) == [], phone


def test_vectorised_check_agrees_with_the_rule_on_many_strings():
    """The column check (prefilters, numpy fast path, Python reading) and the single-value check give the
    answer of the rule, written here with datetime, on 4000 generated spellings."""
    import datetime as dt
    import random

    from data_access.validation import looks_like_personnummer, personnummer_mask

    def rule(ten: str, century: str) -> bool:
        day = int(ten[4:6]) - (60 if int(ten[4:6]) > 60 else 0)
        try:
            born = dt.date(int(century or "20") * 100 + int(ten[:2]), int(ten[2:4]), day)
        except ValueError:
            return False
        return (not century or born <= dt.date.today()) and luhn_digit(ten[:9]) == ten[9]

    rng = random.Random(21)
    values, expected = [], []
    for _ in range(4000):
        date = f"{rng.randrange(100):02d}{rng.randrange(14):02d}{rng.choice([rng.randrange(33), rng.randrange(59, 93)]):02d}"
        nine = date + f"{rng.randrange(1000):03d}"
        ten = nine + (luhn_digit(nine) if rng.random() < 0.6 else str(rng.randrange(10)))
        century = rng.choice(["", "", "18", "19", "20", "17", "21"])
        sep = rng.choice(["", "", "-", "+", " ", ".", "/", " - ", "\u2013", "\u00a0", "--"])
        prefix = rng.choice(["", "", "P", "VT", "nr 12 ", "VC Öster "])
        suffix = rng.choice(["", "", "X", ".0", " 7", "9"])
        value = f"{prefix}{century}{ten[:6]}{sep}{ten[6:]}{suffix}"
        if rng.random() < 0.1:
            value = value.translate(FULL_WIDTH)
        values.append(value)
        # Not a personnummer: a fifth digit after the last four, no valid separator, a century other than 18-20.
        broken = suffix == "9" or sep == "--" or century in ("17", "21")
        expected.append(not broken and rule(ten, century))
    mask = personnummer_mask(pd.Series(values, dtype="str"))
    single = [looks_like_personnummer(v) for v in values]
    assert single == expected
    assert mask.tolist() == expected
    assert 300 < sum(expected) < 2000  # both answers are well represented


def test_the_sample_data_has_no_false_positives():
    """Every text cell of every sample file is searched, and none is taken for a personnummer."""
    from pathlib import Path

    from data_access.files import SUPPORTED_SUFFIXES, read_path
    from data_access.validation import PERSONNUMMER_COLUMNS, personnummer_mask

    sample = Path(__file__).resolve().parents[2] / "sample_data" / "default"
    paths = sorted(p for p in sample.iterdir() if p.suffix in SUPPORTED_SUFFIXES)
    assert {p.stem for p in paths} == set(TABLES)
    searched = 0
    for path in paths:
        for raw in read_path(path):
            assert validate_frame(raw.frame, raw.table, raw.file_name)[1] == [], raw.file_name
            for column in PERSONNUMMER_COLUMNS[raw.table]:
                if column in raw.frame.columns:
                    assert not personnummer_mask(raw.frame[column]).any(), (raw.file_name, column)
                    searched += len(raw.frame)
    assert searched > 1_000_000


# --- the error file is neutralised against spreadsheet formulas (issue 21, item 8) ------------------------------

FORMULA_CELLS = ['=HYPERLINK("http://x","y")', "+1+1", "-1+1", "@SUM(A1)", "\tTAB", "\rCR"]


def test_the_error_csv_neutralises_file_column_and_message_like_every_export(tmp_path):
    import csv

    from ui.exports import neutralise

    errors = [ValidationIssue(f"{cell}.csv", 2, cell, cell) for cell in FORMULA_CELLS]
    # A carriage return inside a cell stays inside its (quoted) cell: no new row that starts with a formula.
    errors.append(ValidationIssue("a\r=1+1.csv", 3, "b\r=1+1", "c\r=1+1"))
    errors.append(ValidationIssue("f.csv", None, None, "'=1' är inget heltal."))
    ValidationFailed(errors).to_csv(tmp_path / "importfel.csv")
    with open(tmp_path / "importfel.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    assert rows[0] == ["fil", "rad", "kolumn", "fel"]
    assert rows[1:] == [[neutralise(e.file), "" if e.row is None else str(e.row), neutralise(e.column or ""),
                         neutralise(e.message)] for e in errors]
    for cell, row in zip(FORMULA_CELLS, rows[1:], strict=False):
        assert row == [f"'{cell}.csv", "2", f"'{cell}", f"'{cell}"]
    assert rows[-2:] == [["a\r=1+1.csv", "3", "b\r=1+1", "c\r=1+1"], ["f.csv", "", "", "'=1' är inget heltal."]]
