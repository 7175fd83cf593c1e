"""A new analyst's messy workbook (the intake trial): hidden sheets, a totals row, rows
hidden by a filter, a title above the headers; each shape built here with openpyxl, each
asserting the message the analyst now reads."""

from __future__ import annotations

import openpyxl
import pytest

from audit.contract import FLAG_COLUMNS as FLAG_NAMES
from audit.errors import IdentifierError, ReadError, ValidationError
from audit.intake.read import read_extract
from audit.intake.validate import load_extract
from audit.measures.quality import validation_summary

HEADER = ["case_id", "notification_date", "child_age_months", "harmed_by", "known_to",
          "domestic_abuse", "father_seen", "partnership"]
FLAGS = (5, 6)  # positions of the flag columns in HEADER


def _cases(n: int = 40, first: int = 1) -> list[list[object]]:
    """``n`` valid cases, all notified in 2025-Q3."""
    return [[f"CX-{first + i:04d}", f"2025-{7 + i % 3:02d}-{1 + i % 28:02d}", i % 12,
             "birth_father", "universal", "yes" if i % 3 else "no", "no", "Northbridge"]
            for i in range(n)]


def _sheet(book, title, rows, *, start_row=1, state="visible"):
    sheet = book.create_sheet(title)
    sheet.sheet_state = state
    for r, values in enumerate(rows, start=start_row):
        for c, value in enumerate(values, start=1):
            sheet.cell(row=r, column=c, value=value)
    return sheet


def _titled(book, title="Q3 2025", rows=None):
    """The analyst's visible sheet: a merged title across row 1, the headers in row 2."""
    sheet = _sheet(book, title, [HEADER, *(rows if rows is not None else _cases())],
                   start_row=2)
    sheet["A1"] = "Serious incident audit: Q3 2025 return"
    sheet.merge_cells("A1:H1")
    return sheet


def _save(book, path):
    book.save(path)
    return path


def _book():
    book = openpyxl.Workbook()
    book.remove(book.active)
    return book


# ------------------------------------------------------------------ 1. hidden sheets


def test_a_hidden_old_sheet_is_not_read_when_the_visible_one_has_a_title_row(tmp_path):
    book = _book()
    _titled(book)
    _sheet(book, "Q2 2025 (old)", [HEADER, *_cases(5, first=900)], state="hidden")
    path = _save(book, tmp_path / "return.xlsx")
    assert read_extract(path).sheet == "Q3 2025"
    with pytest.raises(ValidationError) as caught:
        load_extract(path, allow_missing="all")
    assert str(caught.value).startswith(
        "return.xlsx: the extract breaks the contract: row 1 of sheet 'Q3 2025' holds none "
        "of the contract's column names")
    assert [str(p) for p in caught.value.problems] == [
        "row 1 does not hold the column names, but row 2 does: delete the rows above row 2 "
        "(a title, notes or merged group labels) so that the column names come first"]


def test_a_hidden_cases_sheet_is_not_read_beside_a_visible_sheet(tmp_path):
    book = _book()
    _sheet(book, "Q3 2025", [HEADER, *_cases()])
    _sheet(book, "Cases", [HEADER, *_cases(5, first=900)], state="hidden")
    path = _save(book, tmp_path / "return.xlsx")
    extract = load_extract(path, allow_missing="all")
    assert extract.sheet == "Q3 2025" and extract.rows_read == 40
    assert extract.warnings == (
        "the workbook's sheet 'Cases' is hidden in Excel and was not read; sheet 'Q3 2025' "
        "was: to read the hidden one, pass --sheet NAME",)


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_when_the_only_candidate_sheet_is_hidden_the_workbook_is_refused(tmp_path, state):
    book = _book()
    _sheet(book, "Notes", [["Return notes"], ["sent 3 October"]])
    _sheet(book, "Q2 2025 (old)", [HEADER, *_cases(5)], state=state)
    path = _save(book, tmp_path / "return.xlsx")
    with pytest.raises(ReadError) as caught:
        read_extract(path)
    assert str(caught.value) == (
        "return.xlsx: sheet 'Notes' holds none of the contract's column names, and the only "
        "sheet that does, 'Q2 2025 (old)', is hidden in Excel, so it is not read without "
        "being named: unhide the sheet that holds this audit's cases (right-click a sheet "
        "tab > Unhide) or pass --sheet NAME")


def test_a_hidden_sheet_named_with_sheet_is_read_with_a_warning(tmp_path):
    book = _book()
    _sheet(book, "Notes", [["Return notes"]])
    _sheet(book, "Q2 2025 (old)", [HEADER, *_cases(5)], state="hidden")
    path = _save(book, tmp_path / "return.xlsx")
    extract = load_extract(path, sheet="Q2 2025 (old)", allow_missing="all")
    assert extract.sheet == "Q2 2025 (old)" and extract.rows_read == 5
    warning = ("sheet 'Q2 2025 (old)' is hidden in Excel; it is read because --sheet names "
               "it: check it holds this audit's cases")
    assert extract.warnings == (warning,)
    summary = validation_summary(extract)
    assert f"  warning: {warning}" in summary.splitlines()
    assert "  rows read:           5 (sheet 'Q2 2025 (old)')" in summary.splitlines()


def test_the_run_names_the_sheet_it_read_and_says_the_warnings(tmp_path, monkeypatch):
    import audit.run.report as report

    class Stop(Exception):
        pass

    def stop(*_args, **_kwargs):
        raise Stop

    book = _book()
    _sheet(book, "Notes", [["Return notes"]])
    _sheet(book, "Q2 2025 (old)", [HEADER, *_cases(5)], state="hidden")
    path = _save(book, tmp_path / "return.xlsx")
    said: list[str] = []
    monkeypatch.setattr(report, "_destination", stop)  # stop once the figures are computed
    with pytest.raises(Stop):
        report.run_audit(path, sheet="Q2 2025 (old)", audience="public", run_notebooks=False,
                         allow_missing=("all",), history=tmp_path / "history.sqlite",
                         progress=said.append)
    assert ("warning: sheet 'Q2 2025 (old)' is hidden in Excel; it is read because --sheet "
            "names it: check it holds this audit's cases") in said
    assert any(line.startswith("5 rows read from sheet 'Q2 2025 (old)', 5 in scope;")
               for line in said), said


# ----------------------------------------------------------------------- 2. a totals row


def _with_totals(path, *, label="Total", formulas=False):
    """40 cases in rows 2-41, then a totals row 42: sums (or their formulas) under the
    flag columns and the age."""
    book = _book()
    sheet = _sheet(book, "Q3 2025", [HEADER, *_cases()])
    sheet.cell(row=42, column=1, value=label)
    for name in ("child_age_months", *(HEADER[i] for i in FLAGS)):
        column = HEADER.index(name) + 1
        letter = openpyxl.utils.get_column_letter(column)
        sheet.cell(row=42, column=column,
                   value=f'=COUNTIF({letter}2:{letter}41,"yes")' if formulas else 15)
    return _save(book, path)


@pytest.mark.parametrize("label", ["Total", "Totals", "TOTAL"])
def test_a_totals_row_is_one_problem(tmp_path, label):
    path = _with_totals(tmp_path / "return.xlsx", label=label)
    with pytest.raises(ValidationError) as caught:
        load_extract(path, allow_missing="all")
    assert [str(p) for p in caught.value.problems] == [
        f"row 42: looks like a totals row (case_id '{label}'): delete it"]


def test_a_totals_row_of_formulas_is_the_totals_problem_not_the_formula_one(tmp_path):
    path = _with_totals(tmp_path / "return.xlsx", formulas=True)
    with pytest.raises(ValidationError) as caught:
        load_extract(path, allow_missing="all")
    assert not isinstance(caught.value, ReadError)
    assert [str(p) for p in caught.value.problems] == [
        "row 42: looks like a totals row (case_id 'Total'): delete it"]


def test_a_formula_elsewhere_is_still_the_formula_problem(tmp_path):
    path = _with_totals(tmp_path / "return.xlsx", formulas=True)
    book = openpyxl.load_workbook(path)
    book["Q3 2025"]["C5"] = "=1+2"
    book.save(path)
    with pytest.raises(ReadError) as caught:
        load_extract(path, allow_missing="all")
    assert [(p.row, p.column) for p in caught.value.problems] == [(5, "child_age_months")]
    assert "holds a formula with no saved result" in caught.value.problems[0].message


def test_a_blank_case_id_over_sums_is_a_totals_row(tmp_path):
    path = _with_totals(tmp_path / "return.xlsx", label=None)
    with pytest.raises(ValidationError) as caught:
        load_extract(path, allow_missing="all")
    assert [str(p) for p in caught.value.problems] == [
        "row 42: looks like a totals row (case_id blank, sums below): delete it"]


def test_a_totals_row_is_listed_with_the_other_problems(tmp_path):
    path = _with_totals(tmp_path / "return.xlsx")
    book = openpyxl.load_workbook(path)
    book["Q3 2025"]["F7"] = "N/A"
    book.save(path)
    with pytest.raises(ValidationError) as caught:
        load_extract(path, allow_missing="all")
    assert [(p.row, p.column) for p in caught.value.problems] == [
        (42, None), (7, "domestic_abuse")]


# ------------------------------------------------------------- 3. rows hidden in Excel


def test_rows_hidden_by_a_filter_are_read_and_named(tmp_path):
    book = _book()
    sheet = _sheet(book, "Q3 2025", [HEADER, *_cases()])  # rows 2-41
    sheet.auto_filter.ref = "A1:H41"
    for row in range(30, 42):
        sheet.row_dimensions[row].hidden = True
    path = _save(book, tmp_path / "return.xlsx")
    extract = load_extract(path, allow_missing="all")
    assert extract.rows_read == 40
    warning = ("rows 30–41 are hidden in Excel (a filter or hidden rows); they are read like "
               "the others: delete them from the return if they are not part of this audit")
    assert extract.warnings == (warning,)
    assert f"  warning: {warning}" in validation_summary(extract).splitlines()


def test_scattered_hidden_rows_are_listed_compactly(tmp_path):
    book = _book()
    sheet = _sheet(book, "Q3 2025", [HEADER, *_cases()])
    for row in (3, 5, 6, 7, 9, 11, 13, 20, 21):
        sheet.row_dimensions[row].hidden = True
    path = _save(book, tmp_path / "return.xlsx")
    assert load_extract(path, allow_missing="all").warnings == (
        "rows 3, 5–7, 9, 11, 13 and 2 more are hidden in Excel (a filter or hidden rows); "
        "they are read like the others: delete them from the return if they are not part "
        "of this audit",)


# --------------------------------------------- 4. an NHS number under a header on row 2


def test_an_nhs_number_under_a_title_row_comes_after_the_header_problem(tmp_path):
    book = _book()
    sheet = _titled(book)
    sheet["AC2"] = "Ref"
    sheet["AC17"] = "943 476 5919"  # a valid NHS number
    path = _save(book, tmp_path / "return.xlsx")
    with pytest.raises(IdentifierError) as caught:
        load_extract(path, allow_missing="all")
    assert [str(p) for p in caught.value.problems] == [
        "row 1 does not hold the column names, but row 2 does: delete the rows above row 2 "
        "(a title, notes or merged group labels) so that the column names come first",
        "row 17, column '(column AC, no header)': holds what looks like an NHS number (10 "
        "digits with a valid check digit); remove it from the extract (the value is not "
        "shown here)",
    ]


# ------------------------------------------------------- 5. problems listed in one round


def test_a_stray_date_is_listed_with_the_contract_problems(tmp_path):
    from audit.intake.pooling import load_returns

    book = _book()
    rows = _cases()
    rows[3][3] = "uncle"  # a contract problem at row 5
    rows[7][1] = "2024-08-20"  # a mistyped year at row 9: a year before 2025-Q3
    _sheet(book, "Q3 2025", [HEADER, *rows])
    path = _save(book, tmp_path / "return.xlsx")
    with pytest.raises(ValidationError) as caught:
        load_returns([path], allow_missing="all")
    assert [(p.row, p.column) for p in caught.value.problems] == [
        (5, "harmed_by"), (9, "notification_date")]
    assert str(caught.value.problems[1]) == (
        "return.xlsx, row 9, column B 'notification_date': 20/08/2024 (2024-Q3) is a year "
        "before the period the rest of this return covers (2025-Q3): correct the year or "
        "month if it was mistyped, or pass --accept-stray-dates if the case belongs to that "
        "quarter")
    # accepted: the contract problem alone
    with pytest.raises(ValidationError) as caught:
        load_returns([path], allow_missing="all", accept_stray_dates=True)
    assert [(p.row, p.column) for p in caught.value.problems] == [(5, "harmed_by")]


def test_a_column_that_looks_like_a_missing_measure_has_its_values_checked_too(tmp_path):
    book = _book()
    header = [*HEADER[:5], "DA", *HEADER[6:]]
    rows = _cases()
    rows[5][5] = "N/A"  # row 7
    _sheet(book, "Q3 2025", [header, *rows])
    path = _save(book, tmp_path / "return.xlsx")
    with pytest.raises(ValidationError) as caught:
        load_extract(path, allow_missing=[f for f in FLAG_NAMES if f != "domestic_abuse"])
    assert str(caught.value.problems[0]) == (
        "column 'domestic_abuse': measure missing (Domestic abuse): the file's column 'DA' "
        "looks like it: rename that header to 'domestic_abuse' (or 'Domestic abuse'); it also "
        "holds 'N/A' (row 7), not a flag value: use yes, no or unknown (blank means unknown)")
