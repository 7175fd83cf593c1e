"""The blank case-audit workbook that starts the quarter (``audit form``).

Auditors fill in one row a case on the form's "Cases" sheet and return it; the analyst runs
``audit validate`` / ``audit run`` on the returned file as it stands. The form produces a
valid extract by construction:

* the "Cases" sheet is the first sheet, and is read by default (found by its name, so a
  returned form whose sheets were reordered still reads), and its header row holds the
  contract's columns in contract order, headed by their readable labels
  (:data:`~audit.contract.COLUMN_LABELS`), which :func:`~audit.contract.match_header`
  recognises;
* every coded and flag column offers a drop-down of the readable code labels
  (:data:`~audit.contract.CODE_LABELS`), which validation maps back to the codes;
* the notification date must be a date from 29 June 2018 (the Panel's first notification)
  to 2100 (whether it is in the future can only be checked when the form is read), the
  baby's age a whole number of months from 0 to 11, the father's age at the birth a whole
  number from 12 to 80, and a case ID may be used once;
* each header cell, and each cell below it, carries an input message asking the practice
  question (:data:`~audit.contract.COLUMN_QUESTIONS`).

Decisions an analyst may notice:

* With ``partnership``, the Partnership column's drop-down offers that one name (held as
  text in a cell of the Guidance sheet). It is not filled in beforehand: a row holding only
  a partnership would no longer be a blank row, and every unused row of the form would then
  be reported as a case with no case ID.
* The header row and the first column (Case ID) are frozen; the header row repeats on
  every printed page. The case rows form an Excel table (``CaseAudit``), so screen readers
  announce each cell's column header; no cell is merged.
* The Case ID column is also the selection's case reference (:mod:`audit.intake.selection`), and
  a second audit (moderation, :mod:`audit.intake.moderation`) is an ordinary copy of this form
  with the same Case IDs, marked by the analyst with ``--moderation``: the form needs no
  field or sheet of its own for either, and its guidance says so.
* The workbook is written atomically (:func:`audit.files.atomic_write_bytes`): an error
  leaves the old file, or no file, in place.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from audit.contract import (
    CODE_LABELS,
    COLUMN_LABELS,
    COLUMN_QUESTIONS,
    FATHER_AGE_RANGE,
    FLAG_COLUMNS,
    KNOWN_COLUMNS,
    MAX_IN_SCOPE_AGE_MONTHS,
    MIN_AGE_MONTHS,
)
from audit.errors import ParameterError
from audit.files import atomic_write_bytes
from audit.intake.read.from_xlsx import CASES_SHEET, FORM_PARTNERSHIP_LABEL, GUIDANCE_SHEET

__all__ = [
    "FORM_SHEET",
    "GUIDANCE_SHEET",
    "FORM_TABLE",
    "DEFAULT_ROWS",
    "MAX_ROWS",
    "MAX_PARTNERSHIP_LENGTH",
    "FORM_TITLE",
    "EARLIEST_DATE",
    "LATEST_DATE",
    "build_form",
    "form_bytes",
    "write_form",
]

#: The cases sheet's name: the reader looks for it by name (it need not come first).
FORM_SHEET = CASES_SHEET
#: The Excel table over the case rows (a name of its own: table and sheet names may clash).
FORM_TABLE = "CaseAudit"
DEFAULT_ROWS = 200
#: Most case rows a form offers: a quarter's audit is tens of cases, not thousands.
MAX_ROWS = 10_000
MAX_PARTNERSHIP_LENGTH = 100
FORM_TITLE = "Case-audit form: fathers and male carers of babies harmed"
#: The range a notification date must fall in on the form (see the module docstring).
EARLIEST_DATE = dt.date(2018, 6, 29)
LATEST_DATE = dt.date(2100, 12, 31)

# Government Analysis Function dark blue, with white text (contrast 10.4:1).
_HEADER_FILL = PatternFill("solid", fgColor="12436D")
# One sans-serif face throughout (openpyxl's default body font): a style without a name
# falls back to a serif face in LibreOffice.
_FONT = "Calibri"
_HEADER_FONT = Font(name=_FONT, bold=True, color="FFFFFF")
_TITLE_FONT = Font(name=_FONT, bold=True, size=14)
_SUBTITLE_FONT = Font(name=_FONT, bold=True, size=12)
_BOLD = Font(name=_FONT, bold=True)
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_CENTRED = Alignment(horizontal="center")
#: Characters of body text a column of width ``w`` holds on one line (a width unit is
#: one '0'; ordinary text is narrower), kept low so that row heights never clip text.
_CHARS_PER_WIDTH = 1.1
_MIN_WIDTH, _MAX_WIDTH = 12, 30
_GUIDANCE_WIDTHS = (30, 62, 70)
# Excel's limits on data-validation text.
_PROMPT_TITLE_MAX, _PROMPT_MAX, _ERROR_MAX = 32, 255, 225

#: What each code means, for the Guidance sheet (the labels themselves are the contract's).
_CODE_MEANINGS: dict[str, dict[str, str]] = {
    "harmed_by": {
        "birth_father": "the baby's biological father",
        "stepfather": "the mother's husband or civil partner, not the baby's father",
        "mothers_partner": "the mother's partner, not the baby's father and not married to her",
        "other_male_carer": "another man caring for the baby, such as a relative or lodger",
        "unknown": "the records do not say",
    },
    "known_to": {
        "none": "the family was not known to any service",
        "universal": "known only to services every family gets: midwife, health visitor, GP, "
        "school",
        "early_help": "voluntary, targeted family support below the statutory threshold",
        "child_in_need": "assessed under section 17 of the Children Act 1989 as needing services",
        "child_protection_plan": "a plan after a section 47 enquiry and a child protection "
        "conference",
        "unknown": "the records do not say",
    },
    "incident_type": {
        "death": "the baby died",
        "serious_harm": "the baby was seriously harmed and survived",
        "unknown": "the records do not say",
    },
}

_FLAG_ANSWERS = (
    "Yes: the records show it. No: the records show it did not happen or did "
    "not feature. Not known (or blank): the records do not say."
)


def write_form(
    path: str | os.PathLike[str], *, partnership: str | None = None, rows: int = DEFAULT_ROWS
) -> Path:
    """Write a blank case-audit workbook to ``path`` (an ``.xlsx`` name) and return the path.

    ``partnership`` limits the Partnership column's drop-down to that name; ``rows`` is the
    number of case rows offered (1 to :data:`MAX_ROWS`). Raises
    :class:`~audit.errors.ParameterError` for an unusable argument; the file is written
    atomically.
    """
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise ParameterError(
            f"the form is an Excel workbook: give a file name ending in "
            f".xlsx (not '{target.name[:60]}')"
        )
    if target.is_dir():
        raise ParameterError(
            f"{target} is a folder; give the form's file name, e.g. {target / 'audit-form.xlsx'}"
        )
    return atomic_write_bytes(target, form_bytes(partnership=partnership, rows=rows))


def form_bytes(*, partnership: str | None = None, rows: int = DEFAULT_ROWS) -> bytes:
    """The form as the bytes of an ``.xlsx`` file (see :func:`write_form`)."""
    buffer = io.BytesIO()
    build_form(partnership=partnership, rows=rows).save(buffer)
    return buffer.getvalue()


def build_form(*, partnership: str | None = None, rows: int = DEFAULT_ROWS) -> Workbook:
    """The form as an openpyxl workbook (see :func:`write_form`)."""
    name = _check_partnership(partnership)
    rows = _check_rows(rows)
    book = Workbook()
    cases = book.active
    cases.title = FORM_SHEET
    guidance = book.create_sheet(GUIDANCE_SHEET)
    partnership_cell = _write_guidance(guidance, name)
    _write_cases(cases, rows, partnership_cell, name)
    book.active = 0
    props = book.properties
    props.title = FORM_TITLE
    props.subject = (
        "Multi-agency case audit against 'The Myth of Invisible Men' (Child "
        "Safeguarding Practice Review Panel, 2021)"
    )
    props.creator = "audit"
    props.description = (
        "One row a case. No names, dates of birth, NHS numbers or addresses: "
        "the case ID is a pseudonymous reference."
    )
    props.keywords = "safeguarding; case audit; fathers; male carers"
    props.language = "en-GB"
    return book


# ----------------------------------------------------------------------------- checks


def _check_partnership(partnership: str | None) -> str | None:
    if partnership is None:
        return None
    if not isinstance(partnership, str):
        raise ParameterError("the partnership must be a name (text)")
    name = " ".join(partnership.split())
    if not name:
        raise ParameterError(
            "the partnership name is blank; give the name, or leave --partnership out"
        )
    if len(name) > MAX_PARTNERSHIP_LENGTH:
        raise ParameterError(
            f"the partnership name is {len(name)} characters long; use at "
            f"most {MAX_PARTNERSHIP_LENGTH}"
        )
    if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in name):
        raise ParameterError("the partnership name holds control characters; type it again")
    return name


def _check_rows(rows: int) -> int:
    if isinstance(rows, bool) or not isinstance(rows, int) or not 1 <= rows <= MAX_ROWS:
        raise ParameterError(
            f"the number of case rows must be a whole number from 1 to {MAX_ROWS:,}"
        )
    return rows


# ------------------------------------------------------------------------- Cases sheet


def _text_cell(sheet: Worksheet, ref: str, value: str) -> None:
    """Write ``value`` as text, never as a formula (a name may begin with '=')."""
    cell = sheet[ref]
    cell.value = value
    cell.data_type = "s"


def _answers(column: str) -> list[str]:
    return list(CODE_LABELS[column].values()) if column in CODE_LABELS else []


def _width(column: str) -> float:
    """A column width that holds the longest answer and the label's longest (bold) word on
    a line, and the label itself on at most about two lines."""
    label = COLUMN_LABELS[column]
    longest = max(
        max(map(len, label.split())) + 1, len(label) // 2 + 1, *map(len, _answers(column)), 0
    )
    return float(min(max(longest + 3, _MIN_WIDTH), _MAX_WIDTH))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _prompted(validation: DataValidation, column: str) -> DataValidation:
    validation.showInputMessage = True
    validation.promptTitle = _cut(COLUMN_LABELS[column], _PROMPT_TITLE_MAX)
    validation.prompt = _cut(COLUMN_QUESTIONS[column], _PROMPT_MAX)
    return validation


def _stop(validation: DataValidation, title: str, message: str) -> DataValidation:
    validation.showErrorMessage = True
    validation.errorStyle = "stop"
    validation.errorTitle = _cut(title, _PROMPT_TITLE_MAX)
    validation.error = _cut(message, _ERROR_MAX)
    return validation


def _between(kind: str, low: int, high: int) -> DataValidation:
    """A cell that takes a ``kind`` (``whole`` or ``date``, as Excel's serial number) from
    ``low`` to ``high`` inclusive, or nothing."""
    return DataValidation(
        type=kind, operator="between", allow_blank=True, formula1=str(low), formula2=str(high)
    )


def _validation(
    column: str, letter: str, last_row: int, partnership_ref: str, name: str | None
) -> DataValidation:
    """The data validation of one column's case cells."""
    label = COLUMN_LABELS[column]
    answers = _answers(column)
    if answers:
        dv = DataValidation(type="list", formula1='"' + ",".join(answers) + '"', allow_blank=True)
        return _stop(dv, label, f"Choose one of: {', '.join(answers)}.")
    if column == "notification_date":
        dv = _between("date", int(to_excel(EARLIEST_DATE)), int(to_excel(LATEST_DATE)))
        return _stop(
            dv,
            label,
            "Type a date as DD/MM/YYYY, on or after 29/06/2018 (when "
            "notifications to the Panel began) and not in the future.",
        )
    if column == "child_age_months":
        dv = _between("whole", MIN_AGE_MONTHS, MAX_IN_SCOPE_AGE_MONTHS)
        return _stop(
            dv,
            label,
            f"Give the baby's age in whole months, {MIN_AGE_MONTHS} to "
            f"{MAX_IN_SCOPE_AGE_MONTHS}. A baby of 12 months or more is outside this "
            "audit: leave the case out of the form.",
        )
    if column == "father_age_at_birth":
        low, high = FATHER_AGE_RANGE
        dv = _between("whole", low, high)
        return _stop(
            dv,
            label,
            f"Give his age at the birth in whole years, {low} to {high}, "
            "or leave it blank if not known.",
        )
    if column == "case_id":
        dv = DataValidation(
            type="custom",
            allow_blank=True,
            formula1=f"COUNTIF(${letter}$2:${letter}${last_row},{letter}2)=1",
        )
        return _stop(
            dv,
            label,
            "This case ID is already used in this form. Each case has "
            "one row and its own pseudonymous reference.",
        )
    if column == "partnership" and name is not None:
        dv = DataValidation(type="list", formula1=partnership_ref, allow_blank=True)
        return _stop(dv, label, "This form is for one partnership: choose its name from the list.")
    dv = DataValidation(
        type="textLength",
        operator="lessThanOrEqual",
        allow_blank=True,
        formula1=str(MAX_PARTNERSHIP_LENGTH),
    )
    return _stop(dv, label, f"Use at most {MAX_PARTNERSHIP_LENGTH} characters.")


_CENTRED_COLUMNS = ("child_age_months", "father_age_at_birth")
_NUMBER_FORMATS = {
    "case_id": "@",
    "notification_date": "DD/MM/YYYY",
    "child_age_months": "0",
    "father_age_at_birth": "0",
}


def _write_cases(sheet: Worksheet, rows: int, partnership_ref: str, name: str | None) -> None:
    last_row = rows + 1
    tallest = 1
    for index, column in enumerate(KNOWN_COLUMNS, start=1):
        letter = get_column_letter(index)
        label = COLUMN_LABELS[column]
        _text_cell(sheet, f"{letter}1", label)
        header = sheet[f"{letter}1"]
        header.font = _HEADER_FONT
        header.fill = _HEADER_FILL
        header.alignment = _WRAP_TOP
        width = _width(column)
        sheet.column_dimensions[letter].width = width
        tallest = max(tallest, math.ceil(len(label) / max(width - 2, 1)))

        # The header cell's own message, so the question shows when the column is chosen.
        header_prompt = _prompted(DataValidation(allow_blank=True), column)
        header_prompt.add(f"{letter}1")
        sheet.add_data_validation(header_prompt)

        rule = _prompted(_validation(column, letter, last_row, partnership_ref, name), column)
        rule.add(f"{letter}2:{letter}{last_row}")
        sheet.add_data_validation(rule)

        number_format = _NUMBER_FORMATS.get(column)
        if number_format is not None:
            for (cell,) in sheet.iter_rows(
                min_row=2, max_row=last_row, min_col=index, max_col=index
            ):
                cell.number_format = number_format
                if column in _CENTRED_COLUMNS:  # a lone number beside text reads as part
                    cell.alignment = _CENTRED  # of it when both hug the same border

    sheet.row_dimensions[1].height = 15 * tallest + 6
    sheet.freeze_panes = "B2"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.print_options.gridLines = True  # a printed blank form shows its cells
    last_letter = get_column_letter(len(KNOWN_COLUMNS))
    table = Table(displayName=FORM_TABLE, ref=f"A1:{last_letter}{last_row}")
    table.tableStyleInfo = TableStyleInfo(
        name="TableStyleLight1",
        showRowStripes=True,
        showColumnStripes=False,
        showFirstColumn=False,
        showLastColumn=False,
    )
    sheet.add_table(table)


# ---------------------------------------------------------------------- Guidance sheet


def _guidance_notes(name: str | None) -> list[tuple[str, str]]:
    partnership = (
        f"This form is for {name}. Choose the name from the drop-down in the Partnership "
        "column of each row you fill in."
        if name is not None
        else "If the returns of several partnerships are pooled, type the partnership's name in "
        "the Partnership column of each row; otherwise leave that column blank."
    )
    return [
        (
            "What this form is for",
            "One row for each serious incident notification about a baby under one who was "
            "harmed by a man in a caring role. The questions follow the national review 'The "
            "Myth of Invisible Men' (Child Safeguarding Practice Review Panel, 2021). The "
            "partnership's analyst pools the returned forms and runs the audit.",
        ),
        (
            "Who fills it in",
            "The auditor who read the case records, answering from the records as they stood "
            "when the baby was harmed. Return the form to the partnership's analyst.",
        ),
        (
            "What must never go in it",
            "No names, dates of birth, NHS numbers, addresses, postcodes, phone numbers or email "
            "addresses of the baby, the parents or anyone else. The Case ID must be a "
            "pseudonymous reference (such as the rapid-review number), never something that "
            "identifies a person. The audit refuses a form that holds any of these.",
        ),
        (
            "How to fill it in",
            "Use the Cases sheet: one row a case, from row 2. Select a cell to see the question "
            "it answers, and choose the answer from the drop-down list. Leave unused rows blank. "
            "Do not add, rename, move or delete columns.",
        ),
        (
            "Yes, No and Not known",
            _FLAG_ANSWERS + " Not known is counted apart, never as No: choose No only when the "
            "records show it.",
        ),
        (
            "Dates",
            "Type the notification date as DD/MM/YYYY. It must be on or after "
            "29/06/2018, when notifications to the Panel began.",
        ),
        (
            "Ages",
            f"The baby's age in whole months, {MIN_AGE_MONTHS} to "
            f"{MAX_IN_SCOPE_AGE_MONTHS}: babies of 12 months or more are outside this "
            f"audit. The father's age at the birth in whole years, {FATHER_AGE_RANGE[0]} "
            f"to {FATHER_AGE_RANGE[1]}, or blank if not known.",
        ),
        ("Partnership", partnership),
        (
            "Case ID and the selection",
            "Where the cases were chosen at random with 'audit select', type each case's "
            "reference from the selection list as its Case ID: the Case ID is the selection's "
            "case reference, and the analyst checks the returns against the selection by it.",
        ),
        (
            "A second audit (moderation)",
            "To check that auditors read the questions alike, a second auditor may audit some "
            "cases again. Use a fresh copy of this form, with the same Case ID as in the first "
            "audit, and answer from the records without looking at the first answers. Label "
            "the file as a second audit when you return it: the analyst gives it with "
            "--moderation, so its answers are compared with the first auditor's, never "
            "counted twice (without it, a Case ID in two forms is refused). Where the two "
            "auditors then agree answers, record them, for those cases, on another fresh "
            "copy: given with --agreed, the figures use the agreed answers; otherwise they "
            "use the first auditor's.",
        ),
    ]


def _answers_text(column: str) -> str:
    if column in _CODE_MEANINGS:
        labels = CODE_LABELS[column]
        return "\n".join(
            f"{labels[code]}: {meaning}."
            for code, meaning in _CODE_MEANINGS[column].items()  # a line each
        )
    if column in FLAG_COLUMNS:
        return "Yes, No or Not known (blank means Not known)."
    return {
        "case_id": "Text, used once in the form: the selection's case reference where "
        "the cases were selected ('audit select').",
        "notification_date": "A date, DD/MM/YYYY, on or after 29/06/2018.",
        "child_age_months": f"A whole number of months, {MIN_AGE_MONTHS} to "
        f"{MAX_IN_SCOPE_AGE_MONTHS}.",
        "father_age_at_birth": f"A whole number of years, {FATHER_AGE_RANGE[0]} to "
        f"{FATHER_AGE_RANGE[1]}, or blank.",
        "partnership": "The partnership's name.",
    }[column]


def _write_guidance(sheet: Worksheet, name: str | None) -> str:
    """Fill the Guidance sheet; return the absolute reference of the partnership-name cell."""
    for letter, width in zip("ABC", _GUIDANCE_WIDTHS, strict=True):
        sheet.column_dimensions[letter].width = width
    _text_cell(sheet, "A1", "How to fill in the case-audit form")
    sheet["A1"].font = _TITLE_FONT
    row = 3
    for topic, text in _guidance_notes(name):
        _text_cell(sheet, f"A{row}", topic)
        _text_cell(sheet, f"B{row}", text)
        sheet[f"A{row}"].font = _BOLD
        sheet[f"A{row}"].alignment = _WRAP_TOP
        sheet[f"B{row}"].alignment = _WRAP_TOP
        sheet.row_dimensions[row].height = _height(text, _GUIDANCE_WIDTHS[1])
        row += 1
    partnership_ref = f"{GUIDANCE_SHEET}!$B${row}"
    if name is not None:  # the one entry of the Partnership column's drop-down
        _text_cell(sheet, f"A{row}", FORM_PARTNERSHIP_LABEL)
        sheet[f"A{row}"].font = _BOLD
        _text_cell(sheet, f"B{row}", name)
        row += 1
    row += 1

    _text_cell(sheet, f"A{row}", "The columns of the Cases sheet, in order")
    sheet[f"A{row}"].font = _SUBTITLE_FONT
    row += 1
    first = row
    for letter, heading in zip(
        "ABC", ("Column", "Question", "Answers and what they mean"), strict=True
    ):
        _text_cell(sheet, f"{letter}{row}", heading)
        sheet[f"{letter}{row}"].font = _HEADER_FONT
        sheet[f"{letter}{row}"].fill = _HEADER_FILL
    for column in KNOWN_COLUMNS:
        row += 1
        answers = _answers_text(column)
        for letter, text in zip(
            "ABC", (COLUMN_LABELS[column], COLUMN_QUESTIONS[column], answers), strict=True
        ):
            _text_cell(sheet, f"{letter}{row}", text)
            sheet[f"{letter}{row}"].alignment = _WRAP_TOP
        sheet.row_dimensions[row].height = max(
            _height(COLUMN_QUESTIONS[column], _GUIDANCE_WIDTHS[1]),
            _height(answers, _GUIDANCE_WIDTHS[2]),
        )
    table = Table(displayName="FormColumns", ref=f"A{first}:C{row}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=True)
    sheet.add_table(table)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as it needs
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    return partnership_ref


def _height(text: str, width: float) -> float:
    """A row height (points) that shows ``text`` wrapped in a column of ``width``."""
    per_line = width * _CHARS_PER_WIDTH
    lines = sum(max(math.ceil(len(part) / per_line), 1) for part in text.split("\n"))
    return 15.0 * lines + 4
