"""Validate a raw extract against the contract and type it: the cases frame.

:func:`validate_extract` runs the identifier guard first (:class:`~audit.errors.IdentifierError`),
then checks every row against the schema declared by :func:`case_schema` in one pass (pandera,
``lazy=True``) and raises one :class:`~audit.errors.ValidationError` listing every problem, or
returns a :class:`CaseExtract`.

The typed cases frame (``CaseExtract.cases``), index = spreadsheet row number named ``row``,
columns in this order: required, then the flag columns present (contract order), then the
optional columns present.

==========================  ==============================================================
column                      dtype and meaning
==========================  ==============================================================
``case_id``                 ``str``: trimmed, non-empty, unique
``notification_date``       ``datetime64[ns]``: a date (midnight), never in the future
``child_age_months``        ``int64``: 0-11 (12 or more is excluded, see ``excluded``)
``harmed_by``               ``category`` of :data:`~audit.contract.HARMED_BY_CODES`
``known_to``                ``category`` of :data:`~audit.contract.KNOWN_TO_CODES`
each flag present           ``category`` of :data:`~audit.contract.FLAG_LEVELS`
``partnership``             ``str``: trimmed, never blank (left out when no row names one)
``father_age_at_birth``     ``Int64``: 12-80, ``<NA>`` where blank
``incident_type``           ``category`` of :data:`~audit.contract.INCIDENT_TYPE_CODES`
==========================  ==============================================================

Decisions:

* Codes are matched leniently: trimmed (non-breaking spaces too), lower-cased, ignoring
  spaces, hyphens, underscores and apostrophes ("Mother's partner" -> ``mothers_partner``,
  "Step-father" -> ``stepfather``). Blank and "not known" mean ``unknown``.
* Codes, flags and every other text are trimmed of spaces, non-breaking spaces and
  zero-width characters (``\u200b``, ``\ufeff`` ...) before they are read, so padding pasted
  from a web page or another system is accepted.
* Dates: ``YYYY-MM-DD`` (also ``YYYY-M-D``) or UK ``DD/MM/YYYY`` (also ``D/M/YYYY``), with an
  optional midnight time (``00:00`` or ``00:00:00``) as some systems export. A date that does
  not exist (31/02/2024), is before 1900 or is after today is a problem.
* A notification date before :data:`EARLIEST_NOTIFICATION_DATE` (29 June 2018, when serious
  incident notifications to the Child Safeguarding Practice Review Panel began) is a
  **problem, not a warning**: every case the audit covers was notified to the Panel, so an
  earlier date is a typing error in the year (2017 for 2027 cannot happen: that is in the
  future; 2015 for 2025 can). A warning would let the case drop silently out of every
  quarter's figures. A number such as ``45292`` is reported as an Excel date serial number.
* The header row: when no column of the file is a contract column, the one problem says
  why, rather than listing five missing columns: the column names are further down
  (a title row, notes or merged group labels above them), or row 1 is data (the header row
  is missing), or the headers are simply not the contract's.
* A data row that repeats the header row (two exports pasted together) is one problem for
  the row, not one for each of its cells.
* A totals row (case_id "Total", or a last row with a blank case_id and date over sums
  or formulas: :func:`audit.intake.extract.totals_rows`) is one problem for the row, listed with
  the others.
* Rows hidden in Excel are read like the others; :attr:`CaseExtract.warnings` lists them.
* When the header row holds no contract column and the identifier guard finds something,
  the header-row problem comes first in the :class:`~audit.errors.IdentifierError`.
* Ages: whole numbers, ``"3"`` or ``"3.0"``; 12 or more is reported in ``excluded`` with
  its reason, not an error. Every row is checked, out of scope or not: an extract that
  breaks the contract is fixed at source.
* Wholly blank rows were dropped by :func:`audit.intake.read.read_extract`; ``rows_read`` counts
  the others.
* An extract with no data rows, or with no in-scope rows (every case 12 months or older),
  is a :class:`~audit.errors.ValidationError`: there is nothing to audit.
* A measure (flag column) missing from the extract is a problem unless ``allow_missing``
  names it (:mod:`audit.intake.missing_measures`); so are two spellings of one partnership
  that differ only in case, spaces or punctuation (:mod:`audit.intake.names`).
* A partnership cell that is blank (or says "unknown") while other rows name a partnership
  is a problem at its row: counted as it stands it would make a partnership of its own. When
  no row names one (one partnership's extract, the form's column left blank), the column is
  left out of the cases, as if the extract had none.
* Each column lists at most :data:`MAX_PROBLEMS_PER_COLUMN` problems, then one summary line
  a kind of problem ("and 999,980 more rows with a bad date"). Cell values are quoted in
  messages, cut to :data:`MAX_VALUE_ECHO` characters.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import replace
from itertools import zip_longest
from pathlib import Path

import numpy as np
import pandas as pd

from audit.contract import (
    FATHER_AGE_RANGE,
    FLAG_COLUMNS,
    FLAG_NO,
    FLAG_SPELLINGS,
    FLAG_UNKNOWN,
    FLAG_YES,
    HARMED_BY_CODES,
    KNOWN_COLUMNS,
    KNOWN_TO_CODES,
    MAX_IN_SCOPE_AGE_MONTHS,
    REQUIRED_COLUMNS,
    match_header,
    normalise_column_name,
)
from audit.errors import ExtractError, IdentifierError, Problem, ValidationError
from audit.intake.extract import (
    CODED_VALUES,
    CaseExtract,
    RawExtract,
    arrow_text,
    as_categorical,
    distinct,
    shown,
    totals_rows,
)
from audit.intake.guard import check_identifiers
from audit.intake.missing_measures import MISSING_MEASURE, missing_measure_problems
from audit.intake.names import spelling_problems
from audit.intake.read import read_extract
from audit.intake.schema import (
    CHECK_SUMMARY,
    EARLIEST_NOTIFICATION_DATE,
    EARLIEST_YEAR,
    ISO_DATE,
    UK_DATE,
    WHOLE_NUMBER,
    case_schema,
    clean_text,
    parse_dates,
    parse_whole_numbers,
    passes,
    prepare,
    typed,
)

__all__ = [
    "EARLIEST_NOTIFICATION_DATE",
    "MAX_PROBLEMS_PER_COLUMN",
    "MAX_VALUE_ECHO",
    "CaseExtract",
    "case_schema",
    "prepare",
    "validate_extract",
    "load_extract",
]

#: Problems listed per column before a summary line.
MAX_PROBLEMS_PER_COLUMN = 20
#: Longest cell value quoted in a message (longer ones are cut, with an ellipsis).
MAX_VALUE_ECHO = 40

_TEXT = "str"


# ---------------------------------------------------------------------------- messages


def _quote(value: object) -> str:
    """A cell value as a message may quote it: cut, without control or bidi characters."""
    return f"'{shown(value, MAX_VALUE_ECHO)}'"


def _flag_alternatives() -> str:
    """The other accepted flag spellings, yes/no pairs first: 'y, n, true, false, 1, 0, ...'."""

    def others(level: str) -> list[str]:
        return [s for s, v in FLAG_SPELLINGS.items() if v == level and s != level]

    paired = [
        s for pair in zip_longest(others(FLAG_YES), others(FLAG_NO)) for s in pair if s is not None
    ]
    spellings = paired + others(FLAG_UNKNOWN)
    return ", ".join("blank" if s == "" else s for s in spellings)


_FLAG_ALSO = _flag_alternatives()


def _message(kind: str, column: str, value: str, today: dt.date, repeats: str = "") -> str:
    q = _quote(value)
    if kind == "case_id_blank":
        return "case_id is blank; every row needs its pseudonymous case reference"
    if kind == "case_id_repeated":
        return f"case_id {q} duplicates {repeats}; each case must appear once"
    if kind == "bad_date":
        if value == "":
            return f"{column} is blank; give the date as YYYY-MM-DD or DD/MM/YYYY"
        if re.match(ISO_DATE, value) or re.match(UK_DATE, value):
            return f"{q} is not a real date (or is before {EARLIEST_YEAR}); check it"
        if re.fullmatch(r"[0-9]{5}(?:\.0*)?", value) and 20_000 <= float(value) <= 80_000:
            return (
                f"{q} looks like an Excel date serial number, not a date; format the "
                "column as a date (YYYY-MM-DD or DD/MM/YYYY) before exporting"
            )
        return f"{q} is not a date; use YYYY-MM-DD or DD/MM/YYYY (e.g. 2024-03-31 or 31/03/2024)"
    if kind == "future_date":
        return f"{q} is in the future (today is {today:%Y-%m-%d}); check the date"
    if kind == "before_panel":
        return (
            f"{q} is before 29 June 2018, when serious incident notifications to the Child "
            "Safeguarding Practice Review Panel began; check the year"
        )
    if kind == "bad_age":
        if value == "":
            return f"{column} is blank; give the baby's age in whole months"
        return (
            f"{q} is not a whole number of months; use 0, 1, 2 ... "
            f"(0-{MAX_IN_SCOPE_AGE_MONTHS} are in scope)"
        )
    if kind == "bad_code":
        allowed = ", ".join(CODED_VALUES[column])
        return f"{q} is not a valid {column} code; use one of {allowed} (blank means unknown)"
    if kind == "bad_flag":
        return f"{q} is not a flag value; use yes/no/unknown (also {_FLAG_ALSO})"
    if kind == "bad_father_age":
        low, high = FATHER_AGE_RANGE
        if re.fullmatch(WHOLE_NUMBER, value):
            return f"{q} is outside {low}-{high}; check his age at the birth or leave it blank"
        return (
            f"{q} is not a whole number of years; give his age at the birth ({low}-{high}) "
            "or leave it blank"
        )
    if kind == "partnership_blank":
        said = "is blank" if value == "" else f"is {q}, which names no partnership,"
        return (
            f"the partnership {said} while other rows name theirs: fill in the "
            "partnership this case belongs to"
        )
    return f"{q} fails the check '{kind}'"


def _rows_text(rows: list[int], limit: int = 5, *, spans: bool = False) -> str:
    """``"rows 2, 3, 4 and 9 more"``; with ``spans``, runs of consecutive rows are written
    as one span (``"rows 30–41 and 52"``), ``limit`` spans listed."""
    if not spans:
        shown = ", ".join(str(r) for r in rows[:limit])
        more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
        return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"
    runs: list[list[int]] = []
    for r in sorted(rows):
        if runs and r == runs[-1][1] + 1:
            runs[-1][1] = r
        else:
            runs.append([r, r])
    parts = [str(a) if a == b else f"{a}–{b}" for a, b in runs[:limit]]
    rest = sum(b - a + 1 for a, b in runs[limit:])
    if rest:
        listed = ", ".join(parts) + f" and {rest:,} more"
    else:
        listed = ", ".join(parts[:-1]) + f" and {parts[-1]}" if len(parts) > 1 else parts[0]
    return f"row{'s' if len(rows) > 1 else ''} {listed}"


def _problems_from(
    failures: pd.DataFrame, prepared: pd.DataFrame, today: dt.date
) -> tuple[list[Problem], int]:
    """Turn pandera's failure cases into capped, ordered Problems; also the total count."""
    problems: list[Problem] = []
    missing = failures[failures["check"].astype(str) == "column_in_dataframe"]
    for column in REQUIRED_COLUMNS:
        if column in set(missing["failure_case"].astype(str)):
            problems.append(
                Problem(
                    None,
                    column,
                    "required column is missing (a header "
                    f"'{column}'; case and spaces don't matter)",
                )
            )
    total = len(problems)

    cells = failures[
        failures["check"].astype(str).isin(list(CHECK_SUMMARY))
        & failures["column"].isin(list(prepared.columns))
    ]
    cells = cells.assign(
        row=pd.to_numeric(cells["index"]).astype("int64"), check=cells["check"].astype(str)
    )
    total += len(cells)
    order = {c: i for i, c in enumerate(prepared.columns)}
    cells = cells.assign(order=cells["column"].map(order)).sort_values(
        ["order", "row"], kind="stable"
    )
    for column, group in cells.groupby("order", sort=True):
        name = prepared.columns[int(column)]
        shown = group.head(MAX_PROBLEMS_PER_COLUMN)
        repeats = _repeats(prepared[name], shown) if name == "case_id" else {}
        for row, kind in zip(shown["row"].tolist(), shown["check"].tolist(), strict=True):
            value = str(prepared.at[row, name])
            problems.append(
                Problem(row, name, _message(kind, name, value, today, repeats.get(row, "")))
            )
        rest = group.iloc[MAX_PROBLEMS_PER_COLUMN:]
        for kind, count in rest["check"].value_counts(sort=False).items():
            problems.append(
                Problem(
                    None,
                    name,
                    f"… and {count:,} more row{'s' if count > 1 else ''} "
                    f"with {CHECK_SUMMARY[kind]}",
                )
            )
    return problems, total


def _repeats(case_ids: pd.Series, shown: pd.DataFrame) -> dict[int, str]:
    """For each listed repeated case_id row: the other rows holding the same case_id."""
    rows = shown.loc[shown["check"] == "case_id_repeated", "row"].tolist()
    if not rows:
        return {}
    values = case_ids.loc[rows]
    same = case_ids[case_ids.isin(set(values))]
    where = {v: idx.tolist() for v, idx in same.groupby(same, sort=False).groups.items()}
    return {r: _rows_text([o for o in where[values[r]] if o != r]) for r in rows}


# ----------------------------------------------------------------------- the entry points


def _guard_and_header(raw: RawExtract) -> None:
    """The two checks before any other: direct identifiers (the guard) and a header row
    that holds none of the contract's names. Either stops validation; when both apply, the
    header problem comes first, as it explains the columns the guard can only number."""
    header = _header_problem(raw)
    try:
        check_identifiers(raw)
    except IdentifierError as exc:
        if header is not None:
            exc.problems.insert(0, header)
        raise
    if header is not None:
        sheet = f" of sheet '{shown(raw.sheet, 40)}'" if raw.sheet is not None else ""
        raise ValidationError(
            f"the extract breaks the contract: row {raw.header_row}{sheet} holds "
            "none of the contract's column names",
            path=raw.path,
            problems=[header],
        )


def validate_extract(
    raw: RawExtract,
    *,
    today: dt.date | None = None,
    allow_missing: Iterable[str] | str = (),
    check_stray_dates: bool = False,
) -> CaseExtract:
    """Check ``raw`` against the contract and return the typed, in-scope cases.

    Raises :class:`~audit.errors.IdentifierError` when the guard finds direct identifiers
    (nothing else is checked), else :class:`~audit.errors.ValidationError` listing every
    problem found in one pass. ``today`` (default: the local date) is the latest allowed
    notification date; pass it for a reproducible run.

    A measure (flag column) the extract lacks is a problem — it would silently drop out of
    the pack — unless ``allow_missing`` names it (``"all"`` names every measure): the
    problems list every missing measure with the file's headers that look like it
    (:func:`audit.intake.missing_measures.missing_measure_problems`).

    With ``check_stray_dates`` (as :func:`audit.intake.pooling.load_returns` asks unless the
    analyst accepts them), a refusal also lists the cases dated apart from the rest of the
    return (:func:`audit.intake.stray_dates.stray_dates`, on the rows whose date and age are
    good), which would otherwise stop the next attempt only once these problems are fixed.
    """
    # Factorise every column once: the guard and the checks then work per distinct value.
    raw = replace(raw, frame=as_categorical(raw.frame))
    try:
        return _validated(raw, today, allow_missing, check_stray_dates)
    except ExtractError as exc:  # the one place problems learn the file's own headers
        exc.problems[:] = [raw.locate(p) for p in exc.problems]
        raise


def _validated(
    raw: RawExtract,
    today: dt.date | None,
    allow_missing: Iterable[str] | str,
    check_stray_dates: bool,
) -> CaseExtract:
    """:func:`validate_extract` on a factorised ``raw``, problems naming contract columns."""
    _guard_and_header(raw)
    today = today or dt.date.today()
    prepared = prepare(raw)
    repeats = _repeated_header_rows(raw.frame)
    if len(repeats):
        prepared = prepared.drop(index=repeats)
    totals = totals_rows(raw.frame, raw.formula_rows)
    if totals:
        prepared = prepared.drop(index=[r for r in totals if r in prepared.index])
    problems, total, near = _problems(raw, prepared, repeats, today, allow_missing, totals)
    if problems and check_stray_dates:
        strays = _stray_date_problems(prepared, today, raw.path)
        problems += strays
        total += len(strays)
    if problems:
        raise ValidationError(_refusal(problems, total, near), path=raw.path, problems=problems)

    cases, excluded = typed(prepared)
    if cases.empty:
        raise ValidationError(
            "no in-scope rows: every case is 12 months or older",
            path=raw.path,
            problems=[
                Problem(
                    None,
                    "child_age_months",
                    f"all {len(excluded):,} rows are {MAX_IN_SCOPE_AGE_MONTHS + 1} "
                    "months or older; the audit covers babies under one",
                )
            ],
        )
    ignored = tuple(raw.label(c) for c in raw.frame.columns if c not in KNOWN_COLUMNS)
    missing = tuple(f for f in FLAG_COLUMNS if f not in raw.frame.columns)
    return CaseExtract(
        cases=cases,
        excluded=excluded,
        rows_read=len(raw.frame),
        ignored_columns=ignored,
        missing_flags=missing,
        path=raw.path,
        sha256=raw.sha256,
        sheet=raw.sheet,
        warnings=raw.warnings + _hidden_rows_warning(raw.hidden_rows) + _lone_dates(raw, cases),
        columns=raw.columns_named(),
    )


def _stray_date_problems(prepared: pd.DataFrame, today: dt.date, path: Path) -> list[Problem]:
    """The stray dates (:mod:`audit.intake.stray_dates`) among the rows whose notification date is
    good and whose age is in scope, as problems, for a refusal to list beside the others."""
    if not {"notification_date", "child_age_months"} <= set(prepared.columns) or not len(prepared):
        return []
    from audit.intake.stray_dates import stray_dates

    dates = parse_dates(prepared["notification_date"])
    ages = parse_whole_numbers(prepared["child_age_months"])
    good = (
        dates.notna()
        & (dates >= pd.Timestamp(EARLIEST_NOTIFICATION_DATE))
        & (dates <= pd.Timestamp(today))
        & (ages <= MAX_IN_SCOPE_AGE_MONTHS)
    ).to_numpy(dtype=bool, na_value=False)
    cases = pd.DataFrame(
        {"notification_date": dates[good].astype("datetime64[ns]")}, index=prepared.index[good]
    )
    return [stray.problem() for stray in stray_dates(cases, shown(path.name))]


def _lone_dates(raw: RawExtract, cases: pd.DataFrame) -> tuple[str, ...]:
    """The warnings for cases dated in a quarter beside the one all the others of the file
    fall in: likely mistyped dates (:func:`audit.intake.stray_dates.lone_dates`)."""
    from audit.intake.stray_dates import lone_dates

    return tuple(str(raw.locate(p)) for p in lone_dates(cases))


def _hidden_rows_warning(rows: tuple[int, ...]) -> tuple[str, ...]:
    """The warning for data rows hidden in Excel (by a filter or by hand): read all the same."""
    if not rows:
        return ()
    return (
        f"{_rows_text(list(rows), spans=True)} {'are' if len(rows) > 1 else 'is'} hidden in "
        f"Excel (a filter or hidden rows); {'they are' if len(rows) > 1 else 'it is'} read "
        f"like the others: delete {'them' if len(rows) > 1 else 'it'} from the return if "
        f"{'they are' if len(rows) > 1 else 'it is'} not part of this audit",
    )


def _problems(
    raw: RawExtract,
    prepared: pd.DataFrame,
    repeats: np.ndarray,
    today: dt.date,
    allow_missing: Iterable[str] | str,
    totals: dict[int, str] | None = None,
) -> tuple[list[Problem], int, int]:
    """Every problem of the extract in one pass, the number found (listed or summed up),
    and how many of them are missing measures: missing measures, repeated header rows,
    totals rows, the schema's failures, near-duplicate partnership names and an empty body."""
    near = missing_measure_problems(raw, allow_missing)
    problems = near + [
        Problem(
            int(row), None, "repeats the header row (two exports pasted together?); delete this row"
        )
        for row in repeats[:MAX_PROBLEMS_PER_COLUMN]
    ]
    for row, label in sorted((totals or {}).items()):
        problems.append(
            Problem(
                row,
                None,
                "looks like a totals row "
                + (f"(case_id {_quote(label)})" if label else "(case_id blank, sums below)")
                + ": delete it",
            )
        )
    total_found = len(totals or {})
    if len(repeats) > MAX_PROBLEMS_PER_COLUMN:
        problems.append(
            Problem(
                None,
                None,
                f"… and {len(repeats) - MAX_PROBLEMS_PER_COLUMN:,} "
                "more rows that repeat the header row",
            )
        )
    total = len(near) + len(repeats) + total_found
    if not passes(prepared, today=today):  # a clean extract never pays for pandera
        from pandera.errors import SchemaErrors

        try:
            case_schema(today=today).validate(prepared, lazy=True)
        except SchemaErrors as errors:
            found, count = _problems_from(errors.failure_cases, prepared, today)
            problems += found
            total += count
    if "partnership" in prepared.columns:  # "Harbour side" and "Harbourside": one partnership?
        spellings = spelling_problems([(None, prepared["partnership"])])
        problems += spellings
        total += len(spellings)
    if len(raw.frame) == 0:
        problems.insert(0, Problem(None, None, "the extract has a header but no data rows"))
        total += 1
    return problems, total, len(near)


def _refusal(problems: list[Problem], total: int, near: int) -> str:
    """The head of the refusal: how many problems in how many columns, or, first, the
    measures that are missing (validate, metrics and run stop on them: left out, they would
    drop silently out of every figure)."""
    columns = {p.column for p in problems if p.column is not None}
    where = f" in {len(columns)} column{'s' if len(columns) != 1 else ''}" if columns else ""
    measures = sum(p.message.startswith(MISSING_MEASURE) for p in problems)
    if not measures:
        return (
            f"the extract breaks the contract: {total:,} problem{'s' if total != 1 else ''}"
            f"{where}; fix them in the file (a case system's export: at source, then export it "
            "again)"
        )
    others = total - near
    return (
        f"{measures} measure{'s' if measures != 1 else ''} of the contract "
        f"{'are' if measures != 1 else 'is'} missing, so this stops here rather than "
        f"leave {'them' if measures != 1 else 'it'} out of every figure: for each, rename "
        "the header that holds it, add the column, or say it is meant to be absent "
        "with --allow-missing NAME"
        + (f"; and {others:,} other problem{'s' if others != 1 else ''}" if others else "")
    )


def _header_problem(raw: RawExtract) -> Problem | None:
    """Why no column of ``raw`` is a contract column, or ``None`` when some are."""
    if set(raw.frame.columns) & set(KNOWN_COLUMNS):
        return None
    required = set(REQUIRED_COLUMNS)
    head = raw.frame.head(20)
    for row, values in zip(head.index, head.itertuples(index=False, name=None), strict=True):
        names = {
            match_header(v) or normalise_column_name(v) for v in values if isinstance(v, str) and v
        }
        if len(names & required) >= 2:
            return Problem(
                None,
                None,
                f"row {raw.header_row} does not hold the column names, "
                f"but row {row} does: delete the rows above row {row} (a title, "
                "notes or merged group labels) so that the column names come first",
            )
    needed = ", ".join(REQUIRED_COLUMNS)
    others = [s for s in raw.sheets if s != raw.sheet]
    choose = (
        "; this was the workbook's sheet "
        f"'{shown(raw.sheet, 40)}', and its other sheets are "
        + ", ".join(f"'{shown(s, 40)}'" for s in others[:20])
        + ": choose the sheet that holds the cases with --sheet NAME"
        if raw.sheet is not None and others
        else ""
    )
    if any(_looks_like_data(h) for h in raw.headers.values()):
        return Problem(
            None,
            None,
            f"row {raw.header_row} looks like data, not column names "
            "(it holds dates, numbers or codes, and no column of the contract): the "
            f"header row is missing. Add a first row naming the columns ({needed} "
            f"and any flags){choose}",
        )
    return Problem(
        None,
        None,
        f"none of the {len(raw.headers):,} headers in row "
        f"{raw.header_row} is a column of the contract; the extract needs at least "
        f"{needed} (see docs/data-contract.md){choose}",
    )


def _looks_like_data(header: str) -> bool:
    text = clean_text(pd.Series([header], dtype=_TEXT))[0]
    if not text:
        return False
    if re.match(ISO_DATE, text) or re.match(UK_DATE, text) or re.fullmatch(WHOLE_NUMBER, text):
        return True
    key = re.sub(r"[\s_\-'’`]+", "", text.lower())
    codes = {c.replace("_", "") for c in (*HARMED_BY_CODES, *KNOWN_TO_CODES)} - {"unknown"}
    return key in codes or text.lower() in (set(FLAG_SPELLINGS) - {"", "unknown", "not known"})


def _repeated_header_rows(frame: pd.DataFrame) -> np.ndarray:
    """Row numbers of data rows that repeat the header (3 or more cells naming their column).

    Columns are looked at once a distinct value; a long text column (case_id, a million
    values) only when it could make a third: a row needs three columns naming themselves.
    """
    columns = [c for c in KNOWN_COLUMNS if c in frame.columns]
    if len(frame) == 0 or len(columns) < 3:
        return np.array([], dtype=np.int64)
    naming: list[np.ndarray] = []  # for each column with such a cell: True on its rows
    long_text: list[str] = []
    for name in columns:
        column = frame[name]
        if not isinstance(column.dtype, pd.CategoricalDtype) and len(column) >= 10_000:
            long_text.append(name)  # an id column left as text (see as_categorical)
            continue
        codes, uniques = distinct(column)
        same = _names_itself(uniques, name)
        if same.any():
            naming.append(np.where(codes >= 0, same[codes], False))
    if len(naming) + len(long_text) < 3:
        return np.array([], dtype=np.int64)
    for name in long_text:
        same = _names_itself(pd.Index(frame[name].fillna(""), dtype=_TEXT), name)
        if same.any():
            naming.append(same)
    if len(naming) < 3:
        return np.array([], dtype=np.int64)
    hits = np.sum(naming, axis=0, dtype=np.int64)
    return frame.index.to_numpy(dtype=np.int64)[hits >= 3]


def _names_itself(uniques: pd.Index, name: str) -> np.ndarray:
    """A mask over ``uniques``: True for each value that normalises to ``name``."""
    same = np.zeros(len(uniques), dtype=bool)
    # Only values that could name the column are normalised (case_id has a million).
    maybe = _could_name(uniques, name) if len(uniques) > 1_000 else slice(None)
    candidates = pd.Series(uniques[maybe], dtype=_TEXT)
    if len(candidates):
        names = candidates.str.lower().str.replace(r"[^0-9a-z]+", "_", regex=True).str.strip("_")
        same[maybe] = (names == name).to_numpy(dtype=bool, na_value=False)
    return same


# Characters other than ASCII letters whose str.lower() holds an ASCII letter or digit.
_LOWERS_TO_ASCII = {"i": "\u0130", "k": "\u212a"}


def _could_name(uniques: pd.Index, name: str) -> np.ndarray:
    """A mask over ``uniques``, True for every value that may normalise to ``name``.

    A value normalises to ``name`` only if its lower-cased text holds each part of ``name``
    (between underscores); this tests the first part in one Arrow regex pass, allowing for
    upper case and for the few non-ASCII characters that lower-case to ASCII.
    """
    import pyarrow.compute as pc

    part = name.split("_")[0]
    pattern = "".join(
        f"[{ch}{ch.upper()}{_LOWERS_TO_ASCII.get(ch, '')}]" if ch.isalpha() else re.escape(ch)
        for ch in part
    )
    found = pc.match_substring_regex(arrow_text(uniques), pattern)
    return found.to_numpy(zero_copy_only=False)


def load_extract(
    path: str | Path,
    *,
    sheet: str | None = None,
    today: dt.date | None = None,
    allow_missing: Iterable[str] | str = (),
    check_stray_dates: bool = False,
) -> CaseExtract:
    """Read and validate an extract: :func:`~audit.intake.read.read_extract`, then
    :func:`validate_extract`."""
    return validate_extract(
        read_extract(path, sheet=sheet, categorical=True),
        today=today,
        allow_missing=allow_missing,
        check_stray_dates=check_stray_dates,
    )
