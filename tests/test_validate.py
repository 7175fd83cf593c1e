"""audit.intake.validate: the typed cases frame, lenient spellings, and every problem in one error."""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pandera.pandas as pa
import pyarrow as pyarrow
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.errors import AuditError, IdentifierError, Problem, ValidationError
from audit.intake.read import read_extract
from audit.intake.validate import CaseExtract, case_schema, load_extract, prepare, validate_extract
from conftest import BROKEN, REQUIRED_HEADER, TODAY

GOOD = (
    "Case ID,Notification Date,child_age_months,harmed_by,known_to,father_seen,"
    "domestic_abuse,partnership,father_age_at_birth,incident_type,Worker team\n"
    "C-0001,2024-01-05,3,birth_father,universal,yes,no,Luton,23,death,East\n"
    "C-0002,05/02/2024,0,Mother's partner,Early Help,N,TRUE,Luton,,,West\n"
    "C-0003,7/3/2024,11.0,stepfather,child protection plan,,not known,Bedford,19.0,Serious harm,\n"
)


def problems_at(error: ValidationError) -> set[tuple[int | None, str | None]]:
    return {(p.row, p.column) for p in error.problems}


# ------------------------------------------------------------------- the cases frame


def test_typed_cases_frame(write):
    extract = load_extract(write(GOOD), today=TODAY, allow_missing="all")
    cases = extract.cases
    assert isinstance(extract, CaseExtract)
    assert list(cases.columns) == [
        "case_id", "notification_date", "child_age_months", "harmed_by", "known_to",
        "domestic_abuse", "father_seen",  # flags in contract order, not file order
        "partnership", "father_age_at_birth", "incident_type",
    ]
    assert cases.index.name == "row"
    assert cases.index.tolist() == [2, 3, 4]

    assert cases["case_id"].dtype == "str"
    assert cases["case_id"].tolist() == ["C-0001", "C-0002", "C-0003"]
    assert cases["notification_date"].dtype == np.dtype("datetime64[ns]")
    assert cases["notification_date"].tolist() == [
        pd.Timestamp("2024-01-05"), pd.Timestamp("2024-02-05"), pd.Timestamp("2024-03-07")]
    assert cases["child_age_months"].dtype == np.dtype("int64")
    assert cases["child_age_months"].tolist() == [3, 0, 11]

    assert cases["harmed_by"].cat.categories.tolist() == [
        "birth_father", "stepfather", "mothers_partner", "other_male_carer", "unknown"]
    assert cases["harmed_by"].tolist() == ["birth_father", "mothers_partner", "stepfather"]
    assert cases["known_to"].cat.categories.tolist() == [
        "none", "universal", "early_help", "child_in_need", "child_protection_plan", "unknown"]
    assert cases["known_to"].tolist() == ["universal", "early_help", "child_protection_plan"]
    for flag in ("father_seen", "domestic_abuse"):
        assert cases[flag].cat.categories.tolist() == ["yes", "no", "unknown"]
    assert cases["father_seen"].tolist() == ["yes", "no", "unknown"]
    assert cases["domestic_abuse"].tolist() == ["no", "yes", "unknown"]

    assert cases["partnership"].tolist() == ["Luton", "Luton", "Bedford"]
    assert cases["father_age_at_birth"].dtype == "Int64"
    assert cases["father_age_at_birth"].tolist() == [23, pd.NA, 19]
    assert cases["incident_type"].cat.categories.tolist() == ["death", "serious_harm", "unknown"]
    assert cases["incident_type"].tolist() == ["death", "unknown", "serious_harm"]

    assert extract.rows_read == 3
    assert extract.ignored_columns == ("Worker team",)
    assert len(extract.missing_flags) == 22 - 2
    assert "father_seen" not in extract.missing_flags
    assert extract.missing_flags[0] == "father_mental_ill_health"
    assert extract.excluded.empty
    assert list(extract.excluded.columns) == ["row", "reason"]
    assert extract.sheet is None


def test_required_columns_only(write):
    extract = load_extract(write(f"{REQUIRED_HEADER}\nC-1,2024-01-05,3,,\n"), today=TODAY, allow_missing="all")
    assert list(extract.cases.columns) == list(REQUIRED_HEADER.split(","))
    assert extract.cases["harmed_by"].tolist() == ["unknown"]
    assert extract.cases["known_to"].tolist() == ["unknown"]
    assert len(extract.missing_flags) == 22


FLAG_SPELLINGS_BY_HAND = {
    "y": "yes", "Y": "yes", "yes": "yes", "YES": "yes", "Yes": "yes", "true": "yes",
    "TRUE": "yes", "True": "yes", "1": "yes", " yes ": "yes", "yes\u00a0": "yes",
    "n": "no", "N": "no", "no": "no", "No": "no", "false": "no", "FALSE": "no", "0": "no",
    "": "unknown", "unknown": "unknown", "Unknown": "unknown", "not known": "unknown",
    "Not Known": "unknown", "NOT KNOWN": "unknown", "  ": "unknown", "not  known": "unknown",
}


def test_every_flag_spelling(write):
    spellings = list(FLAG_SPELLINGS_BY_HAND)
    body = "".join(f'C-{i},2024-01-05,3,,,"{s}"\n' for i, s in enumerate(spellings))
    extract = load_extract(write(f"{REQUIRED_HEADER},care_leaver\n{body}"), today=TODAY, allow_missing="all")
    assert extract.cases["care_leaver"].tolist() == list(FLAG_SPELLINGS_BY_HAND.values())


@pytest.mark.parametrize(("column", "written", "code"), [
    ("harmed_by", "Birth father", "birth_father"),
    ("harmed_by", "birth-father", "birth_father"),
    ("harmed_by", "Step father", "stepfather"),
    ("harmed_by", "Mother's partner", "mothers_partner"),
    ("harmed_by", "Mother’s Partner", "mothers_partner"),
    ("harmed_by", "OTHER MALE CARER", "other_male_carer"),
    ("harmed_by", "\u00a0unknown ", "unknown"),
    ("harmed_by", "Not known", "unknown"),
    ("known_to", "Child protection plan", "child_protection_plan"),
    ("known_to", "Child-in-need", "child_in_need"),
    ("known_to", "Early Help", "early_help"),
    ("known_to", "None", "none"),
    ("known_to", "", "unknown"),
])
def test_codes_are_matched_leniently(write, column, written, code):
    values = {"harmed_by": "", "known_to": ""} | {column: written}
    text = f'{REQUIRED_HEADER}\nC-1,2024-01-05,3,"{values["harmed_by"]}","{values["known_to"]}"\n'
    assert load_extract(write(text), today=TODAY, allow_missing="all").cases[column].tolist() == [code]


@pytest.mark.parametrize(("written", "date"), [
    ("2024-01-05", "2024-01-05"),
    ("05/01/2024", "2024-01-05"),   # UK order: 5 January, not 1 May
    ("5/1/2024", "2024-01-05"),
    ("31/12/2023", "2023-12-31"),
    ("29/02/2024", "2024-02-29"),
    ("2024-01-05 00:00:00", "2024-01-05"),
    (" 2024-06-30 ", "2024-06-30"),  # today is allowed
])
def test_accepted_dates(write, written, date):
    text = f"{REQUIRED_HEADER}\nC-1,{written},3,,\n"
    cases = load_extract(write(text), today=TODAY, allow_missing="all").cases
    assert cases["notification_date"].tolist() == [pd.Timestamp(date)]


def test_case_ids_are_trimmed_text(write):
    text = f"{REQUIRED_HEADER}\n C-0001 ,2024-01-05,3,,\n0042,2024-01-05,3,,\n"
    cases = load_extract(write(text), today=TODAY, allow_missing="all").cases
    assert cases["case_id"].tolist() == ["C-0001", "0042"]


# --------------------------------------------------------------------- out of scope


def test_out_of_scope_rows_are_excluded_with_reasons():
    extract = load_extract(BROKEN / "out_of_scope.csv", today=TODAY, allow_missing="all")
    assert extract.cases.index.tolist() == [2, 4, 6]
    assert extract.cases["case_id"].tolist() == ["OS-0001", "OS-0003", "OS-0005"]
    assert extract.excluded.to_dict("records") == [
        {"row": 3, "reason": "child_age_months is 14: 12 or more is out of scope"},
        {"row": 5, "reason": "child_age_months is 12: 12 or more is out of scope"},
    ]
    assert extract.rows_read == 5


def test_no_in_scope_rows_is_an_error(write):
    text = f"{REQUIRED_HEADER}\nC-1,2024-01-05,12,,\nC-2,2024-01-05,30.0,,\n"
    with pytest.raises(ValidationError, match="no in-scope rows") as caught:
        load_extract(write(text), today=TODAY, allow_missing="all")
    assert caught.value.problems == [
        Problem(None, "child_age_months", "all 2 rows are 12 months or older; the audit "
                "covers babies under one")]


def test_header_only_is_an_error(write):
    with pytest.raises(ValidationError, match="no data rows"):
        load_extract(write(f"{REQUIRED_HEADER}\n"), today=TODAY)


# ------------------------------------------------------------------------- problems


def test_every_problem_kind_in_one_error():
    with pytest.raises(ValidationError) as caught:
        load_extract(BROKEN / "bad_codes.csv", today=TODAY, allow_missing="all")
    error = caught.value
    assert not isinstance(error, IdentifierError)
    assert problems_at(error) == {
        (2, "case_id"), (6, "case_id"),                     # BC-0001 twice
        (7, "case_id"),                                     # blank
        (3, "notification_date"),                           # 31/02/2024
        (4, "notification_date"),                           # last week
        (5, "notification_date"),                           # 2099-01-01
        (4, "child_age_months"), (5, "child_age_months"), (6, "child_age_months"),
        (4, "harmed_by"),                                   # uncle
        (5, "known_to"),                                    # cpp
        (4, "domestic_abuse"),                              # maybe
        (5, "father_age_at_birth"), (6, "father_age_at_birth"),
    }
    assert len(error.problems) == 14
    assert "14 problems in 7 columns" in str(error)
    text = {(p.row, p.column): p.message for p in error.problems}
    assert text[(2, "case_id")] == "case_id 'BC-0001' duplicates row 6; each case must appear once"
    assert text[(6, "case_id")] == "case_id 'BC-0001' duplicates row 2; each case must appear once"
    assert "blank" in text[(7, "case_id")]
    assert text[(3, "notification_date")].startswith("'31/02/2024' is not a real date")
    assert text[(4, "notification_date")].startswith("'last week' is not a date; use YYYY-MM-DD")
    assert text[(5, "notification_date")] == (
        "'2099-01-01' is in the future (today is 2025-06-30); check the date")
    assert text[(4, "child_age_months")].startswith("'three' is not a whole number of months")
    assert text[(5, "child_age_months")].startswith("'2.5' is not a whole number of months")
    assert text[(6, "child_age_months")].startswith("'-1' is not a whole number of months")
    assert text[(4, "harmed_by")] == (
        "'uncle' is not a valid harmed_by code; use one of birth_father, stepfather, "
        "mothers_partner, other_male_carer, unknown (blank means unknown)")
    assert "'cpp' is not a valid known_to code" in text[(5, "known_to")]
    assert text[(4, "domestic_abuse")] == (
        "'maybe' is not a flag value; use yes/no/unknown "
        "(also y, n, true, false, 1, 0, blank, not known)")
    assert text[(5, "father_age_at_birth")].startswith("'90' is outside 12-80")
    assert text[(6, "father_age_at_birth")].startswith("'x' is not a whole number of years")


def test_problems_are_grouped_by_column_in_row_order():
    with pytest.raises(ValidationError) as caught:
        load_extract(BROKEN / "bad_codes.csv", today=TODAY, allow_missing="all")
    located = [(p.column, p.row) for p in caught.value.problems]
    assert located[:6] == [("case_id", 2), ("case_id", 6), ("case_id", 7),
                           ("notification_date", 3), ("notification_date", 4),
                           ("notification_date", 5)]


def test_missing_required_columns_are_reported_with_the_rest(write):
    text = "case_id,notification_date,child_age_months\nC-1,2024-13-01,3\n"
    with pytest.raises(ValidationError) as caught:
        load_extract(write(text), today=TODAY, allow_missing="all")
    assert problems_at(caught.value) == {(None, "harmed_by"), (None, "known_to"),
                                         (2, "notification_date")}
    missing = caught.value.problems[0]
    assert missing.column == "harmed_by"
    assert "required column is missing" in missing.message


def test_missing_column_sample():
    with pytest.raises(ValidationError) as caught:
        load_extract(BROKEN / "missing_column.csv", today=TODAY, allow_missing="all")
    assert problems_at(caught.value) == {(None, "known_to")}


def test_duplicates_name_every_row_involved(write):
    text = (f"{REQUIRED_HEADER}\nA,2024-01-05,3,,\nB,2024-01-05,3,,\nA,2024-01-05,3,,\n"
            "A ,2024-01-05,3,,\n")
    with pytest.raises(ValidationError) as caught:
        load_extract(write(text), today=TODAY, allow_missing="all")
    messages = {p.row: p.message for p in caught.value.problems}
    assert set(messages) == {2, 4, 5}
    assert messages[2].startswith("case_id 'A' duplicates rows 4, 5;")
    assert messages[4].startswith("case_id 'A' duplicates rows 2, 5;")


@pytest.mark.parametrize("age", ["three", "2.5", "-1", "", "1e3", "3 months"])
def test_non_integer_ages(write, age):
    with pytest.raises(ValidationError) as caught:
        load_extract(write(f'{REQUIRED_HEADER}\nC-1,2024-01-05,"{age}",,\n'), today=TODAY, allow_missing="all")
    assert problems_at(caught.value) == {(2, "child_age_months")}


@pytest.mark.parametrize("date", ["2024/01/05", "01-05-2024", "5 Jan 2024", "31/02/2024",
                                  "2024-02-30", "05/01/24", "", "1899-12-31", "2025-07-01"])
def test_bad_and_future_dates(write, date):
    with pytest.raises(ValidationError) as caught:
        load_extract(write(f'{REQUIRED_HEADER}\nC-1,"{date}",3,,\n'), today=TODAY, allow_missing="all")
    assert problems_at(caught.value) == {(2, "notification_date")}


@pytest.mark.parametrize("age", ["11", "81", "twenty", "-20", "25.5"])
def test_bad_father_ages(write, age):
    text = f"{REQUIRED_HEADER},father_age_at_birth\nC-1,2024-01-05,3,,,{age}\n"
    with pytest.raises(ValidationError) as caught:
        load_extract(write(text), today=TODAY, allow_missing="all")
    assert problems_at(caught.value) == {(2, "father_age_at_birth")}


def test_father_age_limits_are_inclusive(write):
    text = f"{REQUIRED_HEADER},father_age_at_birth\nC-1,2024-01-05,3,,,12\nC-2,2024-01-05,3,,,80\n"
    assert load_extract(write(text), today=TODAY, allow_missing="all").cases["father_age_at_birth"].tolist() == [12, 80]


def test_bad_incident_type(write):
    text = f"{REQUIRED_HEADER},incident_type\nC-1,2024-01-05,3,,,injured\n"
    with pytest.raises(ValidationError, match="'injured' is not a valid incident_type code"):
        load_extract(write(text), today=TODAY)


def test_problems_are_capped_per_column_with_a_summary(write):
    body = "".join(f"C-{i},someday,3,,\n" for i in range(1000))
    with pytest.raises(ValidationError) as caught:
        load_extract(write(f"{REQUIRED_HEADER}\n{body}"), today=TODAY, allow_missing="all")
    problems = caught.value.problems
    assert len(problems) == 21
    assert [p.row for p in problems[:20]] == list(range(2, 22))
    assert problems[20] == Problem(None, "notification_date",
                                   "… and 980 more rows with a bad date")
    assert "1,000 problems in 1 column" in str(caught.value)


def test_long_values_are_cut_in_messages(write):
    long = "x" * 500
    with pytest.raises(ValidationError) as caught:
        load_extract(write(f"{REQUIRED_HEADER}\nC-1,2024-01-05,3,{long},\n"), today=TODAY, allow_missing="all")
    [problem] = caught.value.problems
    assert "x" * 39 + "…'" in problem.message
    assert "x" * 40 not in problem.message


def test_future_dates_use_todays_date_by_default(write):
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    with pytest.raises(ValidationError, match="in the future"):
        load_extract(write(f"{REQUIRED_HEADER}\nC-1,{tomorrow:%Y-%m-%d},3,,\n"))


# ----------------------------------------------------------------- data quality


def test_unknown_shares_and_high_unknown_fields(write):
    # 10 in-scope cases: harmed_by unknown in 1 (0.1, not above the 10% threshold),
    # known_to in 0, domestic_abuse unknown in 2 (0.2), father_seen in 5 (0.5).
    # One 14-month-old with everything unknown is excluded and must not count.
    rows = []
    for i in range(10):
        harmed = "" if i == 0 else "birth_father"
        abuse = "" if i < 2 else "yes"
        seen = "unknown" if i < 5 else "no"
        rows.append(f"C-{i},2024-01-05,3,{harmed},universal,{abuse},{seen}")
    rows.append("C-99,2024-01-05,14,,,,")
    text = f"{REQUIRED_HEADER},domestic_abuse,father_seen\n" + "\n".join(rows) + "\n"
    extract = load_extract(write(text), today=TODAY, allow_missing="all")
    shares = extract.unknown_shares()
    assert shares.to_dict() == {"harmed_by": 0.1, "known_to": 0.0, "domestic_abuse": 0.2,
                                "father_seen": 0.5}
    assert extract.high_unknown_fields() == ["domestic_abuse", "father_seen"]


# ------------------------------------------------------------------ other formats


def test_xlsx_extract_validates(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Rapid reviews"
    sheet.append(["Case ID", "Notification date", "Child age months", "Harmed by", "Known to",
                  "Father seen"])
    sheet.append(["R-1", dt.datetime(2024, 3, 1), 4, "Birth father", "Universal", "Y"])
    sheet.append(["R-2", "02/03/2024", 14.0, "stepfather", "early_help", True])
    sheet.append([3, dt.date(2024, 3, 3), 0, "unknown", "none", 0])
    path = tmp_path / "reviews.xlsx"
    book.save(path)
    extract = load_extract(path, today=TODAY, allow_missing="all")
    assert extract.sheet == "Rapid reviews"
    assert extract.cases["case_id"].tolist() == ["R-1", "3"]
    assert extract.cases["notification_date"].tolist() == [pd.Timestamp("2024-03-01"),
                                                           pd.Timestamp("2024-03-03")]
    assert extract.cases["father_seen"].tolist() == ["yes", "no"]
    assert extract.excluded.to_dict("records") == [
        {"row": 3, "reason": "child_age_months is 14: 12 or more is out of scope"}]


def test_parquet_extract_validates(tmp_path):
    table = pyarrow.table({
        "case_id": ["P-1", "P-2"],
        "notification_date": pyarrow.array([dt.date(2024, 1, 5), dt.date(2024, 2, 6)]),
        "child_age_months": pyarrow.array([3, 7], pyarrow.int32()),
        "harmed_by": ["birth_father", None],
        "known_to": ["universal", "child_in_need"],
        "young_parent": pyarrow.array([True, None]),
    })
    path = tmp_path / "extract.parquet"
    pq.write_table(table, path)
    cases = load_extract(path, today=TODAY, allow_missing="all").cases
    assert cases.index.tolist() == [2, 3]
    assert cases["child_age_months"].tolist() == [3, 7]
    assert cases["harmed_by"].tolist() == ["birth_father", "unknown"]
    assert cases["young_parent"].tolist() == ["yes", "unknown"]


def test_cp1252_extract_validates(write):
    text = f"{REQUIRED_HEADER},partnership\nC-1,2024-01-05,3,Mother’s partner,,Ynys Môn\n"
    cases = load_extract(write(text, encoding="cp1252"), today=TODAY, allow_missing="all").cases
    assert cases["harmed_by"].tolist() == ["mothers_partner"]
    assert cases["partnership"].tolist() == ["Ynys Môn"]


def test_blank_rows_do_not_shift_row_numbers_in_messages(write):
    text = f"{REQUIRED_HEADER}\nC-1,2024-01-05,3,,\n\n\nC-4,2024-01-05,x,,\n"
    with pytest.raises(ValidationError) as caught:
        load_extract(write(text), today=TODAY, allow_missing="all")
    assert problems_at(caught.value) == {(5, "child_age_months")}


# -------------------------------------------------------------------- the schema


def test_case_schema_is_a_pandera_declaration(write):
    schema = case_schema(today=TODAY)
    assert isinstance(schema, pa.DataFrameSchema)
    assert [c for c, col in schema.columns.items() if col.required] == REQUIRED_HEADER.split(",")
    raw = read_extract(write(f"{REQUIRED_HEADER}\nC-1,2024-01-05,3,Birth father,none\n"))
    prepared = prepare(raw)
    schema.validate(prepared)
    assert prepared["harmed_by"].tolist() == ["birth_father"]


def test_validate_extract_takes_a_raw_extract(write):
    raw = read_extract(write(f"{REQUIRED_HEADER}\nC-1,2024-01-05,3,,\n"))
    extract = validate_extract(raw, today=TODAY, allow_missing="all")
    assert extract.sha256 == raw.sha256
    assert extract.path == raw.path


# ------------------------------------------------------------------ property test


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400))
def test_arbitrary_bytes_either_load_or_raise_an_audit_error(tmp_path, content):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(content)
    try:
        load_extract(path, today=TODAY)
    except AuditError:
        pass


_CELL = st.one_of(st.sampled_from(["", "yes", "N", "3", "2024-01-05", "05/02/2024", "x,y",
                                   '"', "unknown", "birth_father", "12", "C-1"]),
                  st.text(max_size=12))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(_CELL, min_size=5, max_size=5), max_size=6))
def test_arbitrary_rows_under_a_good_header_load_or_raise_an_audit_error(tmp_path, rows):
    import csv

    path = tmp_path / "fuzz.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(REQUIRED_HEADER.split(","))
        writer.writerows(rows)
    try:
        extract = load_extract(path, today=TODAY)
    except AuditError:
        return
    assert len(extract.cases) + len(extract.excluded) == extract.rows_read


# ------------------------------------------------- hostile and broken extracts (issue 6)


@pytest.mark.parametrize(("date", "accepted"), [
    ("2018-06-29", True), ("29/06/2018", True), ("2018-06-28", False), ("2017-12-31", False),
    ("01/01/2015", False), ("1905-03-01", False),
])
def test_dates_before_the_panel_began_are_problems(write, date, accepted):
    text = f"{REQUIRED_HEADER}\nC-1,{date},3,,\n"
    if accepted:
        assert load_extract(write(text), today=TODAY, allow_missing="all").cases["notification_date"].notna().all()
        return
    with pytest.raises(ValidationError) as caught:
        load_extract(write(text), today=TODAY, allow_missing="all")
    [problem] = caught.value.problems
    assert (problem.row, problem.column) == (2, "notification_date")
    assert problem.message == (f"'{date}' is before 29 June 2018, when serious incident "
                               "notifications to the Child Safeguarding Practice Review Panel "
                               "began; check the year")


def test_the_earliest_notification_date_is_declared():
    from audit.intake.validate import EARLIEST_NOTIFICATION_DATE

    assert EARLIEST_NOTIFICATION_DATE == dt.date(2018, 6, 29)


def test_an_excel_date_serial_is_named_as_such(write):
    with pytest.raises(ValidationError, match="'45292' looks like an Excel date serial number"):
        load_extract(write(f"{REQUIRED_HEADER}\nC-1,45292,3,,\n"), today=TODAY)


@pytest.mark.parametrize(("text", "fragment"), [
    ("Rapid review log,,,,\nExported today,,,,\n" + REQUIRED_HEADER + "\nC-1,2024-01-05,3,,\n",
     "row 1 does not hold the column names, but row 3 does: delete the rows above row 3"),
    ("C-1,2024-01-05,3,birth_father,universal\nC-2,2024-01-06,4,stepfather,none\n",
     "row 1 looks like data, not column names"),
    ("Reference,When,Age,Who,Services\nC-1,2024-01-05,3,x,y\n",
     "none of the 5 headers in row 1 is a column of the contract"),
])
def test_a_header_row_with_no_contract_column_gets_one_problem_saying_why(write, text, fragment):
    with pytest.raises(ValidationError) as caught:
        load_extract(write(text), today=TODAY)
    [problem] = caught.value.problems
    assert fragment in problem.message
    assert "C-1" not in str(caught.value)  # row 1 may be data: it is never quoted


def test_a_title_row_in_a_workbook_names_the_sheet_rows(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["B2"] = "Quarterly extract"
    for c, name in enumerate(REQUIRED_HEADER.split(","), start=1):
        sheet.cell(row=5, column=c, value=name)
    sheet.append(["C-1", "2024-01-05", 3, "", ""])
    book.save(tmp_path / "titled.xlsx")
    with pytest.raises(ValidationError, match="row 2 does not hold the column names, but row 5 "
                                              "does"):
        load_extract(tmp_path / "titled.xlsx", today=TODAY)


def test_a_repeated_header_row_is_one_problem(write):
    text = (f"{REQUIRED_HEADER},domestic_abuse\nC-1,2024-01-05,3,,,yes\n"
            f"{REQUIRED_HEADER.replace('case_id', 'Case ID')},Domestic abuse\n"
            "C-2,2024-01-05,13,,,maybe\n")
    with pytest.raises(ValidationError) as caught:
        load_extract(write(text), today=TODAY, allow_missing="all")
    assert [(p.row, p.column) for p in caught.value.problems] == [(3, None),
                                                                 (4, "domestic_abuse")]
    assert caught.value.problems[0].message.startswith("repeats the header row")
    assert "2 problems in 1 column" in str(caught.value)


def test_zero_width_and_non_breaking_padding_is_accepted(write):
    text = (f"{REQUIRED_HEADER},father_seen\n"
            "\u200bC-1\ufeff,\u00a02024-01-05,\u200b3\u00a0,\u00a0Birth\u00a0father\u200b,"
            "\tEarly help ,\u200bY\u00a0\n")
    cases = load_extract(write(text), today=TODAY, allow_missing="all").cases
    assert cases.iloc[0].tolist() == ["C-1", pd.Timestamp("2024-01-05"), 3, "birth_father",
                                      "early_help", "yes"]


def test_control_and_bidi_characters_are_never_echoed(write):
    text = f'{REQUIRED_HEADER}\nC-1,2024-01-05,3,"step\x1b[2Jfather","early\u202ehelp"\n'
    with pytest.raises(ValidationError) as caught:
        load_extract(write(text), today=TODAY)
    message = str(caught.value)
    assert "\x1b" not in message and "\u202e" not in message
    assert "'step\ufffd[2Jfather'" in message and "'early\ufffdhelp'" in message


def test_a_ten_megabyte_cell_is_quoted_in_forty_characters(write):
    huge = "birth_father" + "x" * 10_000_000
    with pytest.raises(ValidationError) as caught:
        load_extract(write(f"{REQUIRED_HEADER}\nC-1,2024-01-05,3,{huge},\n"), today=TODAY, allow_missing="all")
    assert len(str(caught.value)) < 1_000


# --------------------------------------------- no measure missing without consent (issue 21)

ALL_FLAGS = (
    "domestic_abuse,father_mental_ill_health,young_parent,care_leaver,substance_misuse,"
    "childhood_adversity,impulsivity,external_pressures,relationship_problems,"
    "trigger_infant_behaviour,father_identified,father_enquiry_beyond_mother,father_contacted,"
    "father_seen,father_history_checked,father_views_recorded,father_in_assessment,"
    "father_in_plan,father_antenatal_contact,father_crying_advice,info_shared_health,"
    "adult_services_linked"
).split(",")  # typed out from docs/data-contract.md: the 22 measures


def _every_flag_but(*left_out: str, extra: str = "", value: str = "yes") -> str:
    flags = [f for f in ALL_FLAGS if f not in left_out]
    header = ",".join([REQUIRED_HEADER, *flags]) + (f",{extra}" if extra else "")
    row = ",".join(["C-1,2024-01-05,3,,", *[value] * len(flags)]) + (",x" if extra else "")
    return f"{header}\n{row}\n"


def test_an_extract_with_every_measure_needs_no_consent(write):
    extract = load_extract(write(_every_flag_but()), today=TODAY)
    assert extract.missing_flags == ()


def test_a_missing_measure_is_a_problem_naming_the_header_that_looks_like_it(write):
    path = write(_every_flag_but("domestic_abuse", "care_leaver", extra="DA"))
    with pytest.raises(ValidationError) as caught:
        load_extract(path, today=TODAY)
    error = caught.value
    by_column = {p.column: p.message for p in error.problems}
    assert by_column["domestic_abuse"].startswith("measure missing (Domestic abuse)")
    assert (
        "the file's column 'DA' looks like it: rename that header to 'domestic_abuse'"
        in by_column["domestic_abuse"]
    )
    assert "no column of this file looks like it" in by_column["care_leaver"]
    assert str(error).startswith("extract.csv: 2 measures of the contract are missing")
    last = error.problems[-1]
    assert last.column is None
    assert "--allow-missing domestic_abuse,care_leaver (or --allow-missing all)" in last.message


def test_allowed_missing_measures_pass_and_are_recorded(write):
    text = _every_flag_but("domestic_abuse", "care_leaver", extra="DA")
    for allow in (
        ["domestic_abuse", "care_leaver"],
        ["domestic_abuse,care_leaver"],
        ["Domestic abuse", "CARE LEAVER"],
        "all",
        ["all"],
    ):
        extract = load_extract(write(text), today=TODAY, allow_missing=allow)
        assert extract.missing_flags == ("domestic_abuse", "care_leaver")
        assert extract.ignored_columns == ("DA",)


def test_allowing_one_of_two_missing_measures_leaves_the_other_a_problem(write):
    path = write(_every_flag_but("domestic_abuse", "care_leaver"))
    with pytest.raises(ValidationError) as caught:
        load_extract(path, today=TODAY, allow_missing=["domestic_abuse"])
    assert [p.column for p in caught.value.problems] == ["care_leaver", None]
    assert "--allow-missing care_leaver" in caught.value.problems[-1].message
    assert str(caught.value).startswith("extract.csv: 1 measure of the contract is missing")


def test_allowing_a_name_that_is_not_a_measure_is_a_parameter_error(write):
    from audit.errors import ParameterError

    with pytest.raises(ParameterError, match="'known_to', which is not a measure"):
        load_extract(write(_every_flag_but()), today=TODAY, allow_missing=["known_to"])


def test_missing_measures_are_listed_with_the_other_problems(write):
    text = _every_flag_but("father_seen").replace("2024-01-05", "31/02/2024")
    with pytest.raises(ValidationError) as caught:
        load_extract(write(text), today=TODAY)
    assert problems_at(caught.value) >= {(None, "father_seen"), (2, "notification_date")}
    assert "; and 1 other problem" in str(caught.value).splitlines()[0]


# ------------------------------------------- one partnership, one name (issue 21, item 4)


def test_one_partnership_spelt_two_ways_in_one_file_is_a_problem(write):
    text = _every_flag_but(extra="partnership").replace(",x\n", ",Harbourside\n")
    row = text.splitlines()[1]
    body = "\n".join(row.replace("C-1", f"C-{i}").replace(
        "Harbourside", "Harbour side" if i == 4 else "Harbourside") for i in range(1, 6))
    path = write(text.splitlines()[0] + "\n" + body + "\n")
    with pytest.raises(ValidationError) as caught:
        load_extract(path, today=TODAY)
    (problem,) = caught.value.problems
    assert problem.column == "partnership" and problem.row is None
    assert problem.message.startswith(
        "'Harbourside' (rows 2, 3, 4 and 1 more) and 'Harbour side' (row 5) differ only in case,"
        " spaces or punctuation")
    assert "correct those cells to one spelling (e.g. 'Harbourside', used in 4 rows)" \
        in problem.message


# ------------------------------------------ a blank partnership (analyst 2's report, A1)


def _partnerships(write, cells: list[str]) -> object:
    """An extract of one case a cell of ``cells`` (rows 2, 3 ...), every measure present."""
    text = _every_flag_but(extra="partnership")
    header, row = text.splitlines()
    body = [row.replace("C-1", f"C-{i}").removesuffix(",x") + f",{cell}" for i, cell in
            enumerate(cells)]
    return write("\n".join([header, *body]) + "\n")


def test_a_blank_partnership_among_named_rows_is_a_problem_at_its_row(write):
    """Row 4 blank and row 6 "Unknown" among Kestrel Vale rows: two problems, each naming
    its row and the column, with the fix; nothing becomes a partnership called unknown."""
    path = _partnerships(write, ["Kestrel Vale", "Kestrel Vale", "", "Kestrel Vale", "Unknown"])
    with pytest.raises(ValidationError) as caught:
        load_extract(path, today=TODAY)
    assert [(p.row, p.column) for p in caught.value.problems] == [
        (4, "partnership"), (6, "partnership")]
    assert [p.message for p in caught.value.problems] == [
        "the partnership is blank while other rows name theirs: fill in the partnership "
        "this case belongs to",
        "the partnership is 'Unknown', which names no partnership, while other rows name "
        "theirs: fill in the partnership this case belongs to",
    ]
    assert str(caught.value).splitlines()[0].endswith(
        "2 problems in 1 column; fix them in the file (a case system's export: at source, "
        "then export it again)")


def test_a_partnership_column_left_blank_throughout_is_one_partnership_s_extract(write):
    """The contract's partnership column is for pooled extracts: left blank on every row
    (one partnership's return on the form), it is no problem, and the cases have no
    partnership column rather than a partnership called unknown."""
    extract = load_extract(_partnerships(write, ["", "", " "]), today=TODAY)
    assert "partnership" not in extract.cases.columns
    assert len(extract.cases) == 3


def test_many_blank_partnerships_are_listed_to_the_cap_then_summed(write):
    """25 blank cells after one named row: 20 listed, then one line for the other 5."""
    path = _partnerships(write, ["Eastmere", *[""] * 25])
    with pytest.raises(ValidationError) as caught:
        load_extract(path, today=TODAY)
    problems = caught.value.problems
    assert [p.row for p in problems[:20]] == list(range(3, 23))
    assert problems[20] == Problem(
        None, "partnership", "… and 5 more rows with a blank partnership")
    assert len(problems) == 21


# ------------------------------ the file's own headers in messages (analyst 2's report, B6)


def test_a_problem_names_the_column_as_the_workbook_does_with_its_letters(tmp_path):
    """The form's headers, "Father in plan" in column F: the message gives the header and
    the letters the analyst sees, not the contract's father_in_plan."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Cases"
    sheet.append(["Case ID", "Notification date", "Child age (months)", "Harmed by",
                  "Known to services", "Father in plan"])
    sheet.append(["C-1", "2024-01-05", 3, "Birth father", "Universal", "Yes"])
    sheet.append(["C-2", "2024-01-06", 4, "Birth father", "Universal", "N/A"])
    sheet.append(["C-3", "2024-01-07", 5, "Birth father", "Universal", "No"])
    path = tmp_path / "form.xlsx"
    book.save(path)
    with pytest.raises(ValidationError) as caught:
        load_extract(path, today=TODAY, allow_missing="all")
    (problem,) = caught.value.problems
    assert (problem.row, problem.column, problem.header, problem.letter) == (
        3, "father_in_plan", "Father in plan", "F")
    assert str(problem).startswith("row 3, column F 'Father in plan': 'N/A' is not a flag value")


def test_a_csv_problem_names_the_header_as_written_without_letters(write):
    text = (f"{REQUIRED_HEADER},Father In Plan\n"
            "C-1,2024-01-05,3,,,yes\nC-2,2024-01-05,3,,,maybe\n")
    with pytest.raises(ValidationError) as caught:
        load_extract(write(text), today=TODAY, allow_missing="all")
    (problem,) = caught.value.problems
    assert str(problem).startswith("row 3, column 'Father In Plan': 'maybe' is not a flag")
    assert problem == Problem(3, "father_in_plan", problem.message)  # compared as before


# ------------------------------------ the missing-measure head tells the truth (B7)


def test_the_missing_measure_head_says_the_command_stops(write):
    with pytest.raises(ValidationError) as caught:
        load_extract(write(_every_flag_but("father_in_plan")), today=TODAY)
    assert str(caught.value).splitlines()[0] == (
        "extract.csv: 1 measure of the contract is missing, so this stops here rather than "
        "leave it out of every figure: for each, rename the header that holds it, add the "
        "column, or say it is meant to be absent with --allow-missing NAME")
