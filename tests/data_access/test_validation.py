"""Validation of delivered files: every rule of the data contract, with its Swedish message."""

from __future__ import annotations

import pandas as pd
import pytest

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
    ("personnummer with century and dash", "hospital_stays", stay_with(person_id="19450101-1234"), 2, "person_id",
     "ser ut som ett personnummer eller samordningsnummer"),
    ("personnummer short", "hospital_stays", stay_with(person_id="4501011234"), 2, "person_id", "ser ut som ett personnummer"),
    ("personnummer plus (100+)", "hospital_stays", stay_with(person_id="230101+1234"), 2, "person_id",
     "ser ut som ett personnummer"),
    ("samordningsnummer", "hospital_stays", stay_with(person_id="19450161-1234"), 2, "person_id",
     "samordningsnummer"),
    ("personnummer 12 digits", "hospital_stays", stay_with(person_id="194501011234"), 2, "person_id",
     "ser ut som ett personnummer"),
    ("duplicate id", "hospital_stays", stay_with() + GOOD_STAY + "\n", 3, "stay_id", "Samma id finns redan på rad 2."),
    ("identifying column", "hospital_stays", STAY_HEADER + ",namn\n" + GOOD_STAY + ",Anna\n", None, "namn",
     "kan innehålla personuppgifter"),
    ("duplicate header", "hospital_stays", STAY_HEADER + ",age\n" + GOOD_STAY + ",80\n", None, "age",
     "förekommer mer än en gång"),
    ("no data rows", "hospital_stays", STAY_HEADER + "\n", None, None, "Filen innehåller inga datarader."),
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


def test_at_least_thirty_distinct_bad_cases():
    assert len({c[0] for c in BAD_CASES}) >= 30


def test_personnummer_is_never_echoed():
    issues = issues_of("hospital_stays", stay_with(person_id="19450101-1234"))
    assert issues
    assert all("1945" not in str(i) and "1234" not in str(i) for i in issues)


@pytest.mark.parametrize("pseudonym", ["P000123", "a1b2c3", "19451301-1234", "4501321234", "12345", "ABC-1234"])
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
