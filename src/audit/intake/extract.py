"""The frames an extract passes through, and the text helpers every stage shares.

* :class:`RawExtract` — the file as read (:mod:`audit.intake.read`): every cell text, columns named
  by the contract, the index the spreadsheet's row number;
* :class:`CaseExtract` — the validated cases (:mod:`audit.intake.validate`): typed, in scope, with
  what was excluded and why.

The helpers work once a distinct value (:func:`distinct`, :func:`as_categorical`,
:func:`arrow_text`) so a million rows of yes/no cost a handful of evaluations, and
:func:`shown` is how any message quotes text from an extract (cut short, control
characters made visible). This module imports no other stage, so reading, the identifier
guard and validation can all use it without importing each other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from audit.contract import (
    FLAG_COLUMNS,
    FLAG_UNKNOWN,
    HARMED_BY_CODES,
    INCIDENT_TYPE_CODES,
    KNOWN_COLUMNS,
    KNOWN_TO_CODES,
    UNKNOWN_SHARE_THRESHOLD,
    normalise_column_name,
)
from audit.errors import Problem

__all__ = [
    "ACCEPT_FLAG",
    "StrayDate",
    "RawExtract",
    "CaseExtract",
    "CODED_VALUES",
    "MAX_HEADER_ECHO",
    "TEXT_DTYPE",
    "shown",
    "excel_letters",
    "locate",
    "distinct",
    "as_categorical",
    "arrow_text",
    "totals_rows",
]

#: Longest header quoted in a message (longer ones are cut, with an ellipsis).
MAX_HEADER_ECHO = 60
#: pandas' text dtype (pyarrow-backed where pyarrow is installed).
TEXT_DTYPE = "str"
#: The codes of each coded column.
CODED_VALUES: dict[str, tuple[str, ...]] = {
    "harmed_by": HARMED_BY_CODES,
    "known_to": KNOWN_TO_CODES,
    "incident_type": INCIDENT_TYPE_CODES,
}


@dataclass(frozen=True, eq=False)
class RawExtract:
    """An extract as read from disk, every cell still text.

    ``frame`` holds one text column a header (``''`` for an empty cell), named by the
    normalised column name: ``str``, or a Categorical of ``str`` for the columns a reader
    dictionary-encoded (``read_extract(..., categorical=True)``). Its index, named ``row``,
    is the spreadsheet row number.
    ``headers`` maps each normalised name back to the header as written in the file.
    """

    frame: pd.DataFrame
    path: Path
    headers: dict[str, str]
    sheet: str | None
    sha256: str
    #: The row the headers were read from (1 for CSV and Parquet; in a workbook, the first
    #: row of the sheet with anything in it).
    header_row: int = 1
    #: Every sheet of the workbook, in order (empty for CSV and Parquet).
    sheets: tuple[str, ...] = ()
    #: Data rows hidden in Excel (hidden rows, or rows a filter hides): read like the
    #: others, and named in a warning (:func:`audit.intake.validate.validate_extract`).
    hidden_rows: tuple[int, ...] = ()
    #: Rows whose formula or error cells reading left to validation, which calls them a
    #: totals row (:func:`totals_rows`) rather than list each cell.
    formula_rows: tuple[int, ...] = ()
    #: What reading noticed that the analyst should hear of (a hidden sheet named with
    #: ``--sheet``), passed on to :attr:`CaseExtract.warnings`.
    warnings: tuple[str, ...] = ()
    #: Each column's place in the file, counting from 1 (in a workbook, column A is 1).
    positions: dict[str, int] = field(default_factory=dict)

    def columns_named(self) -> dict[str, tuple[str, str | None]]:
        """How this file names each column: the header as written (cut as messages quote
        it) and, in a workbook, the column's letters."""
        return {
            key: (
                shown(written),
                excel_letters(self.positions[key])
                if self.sheet is not None and key in self.positions
                else None,
            )
            for key, written in self.headers.items()
        }

    def locate(self, problem: Problem) -> Problem:
        """``problem`` naming its column as this file does (:func:`locate`)."""
        return locate(problem, self.columns_named())

    def label(self, column: str) -> str:
        """How to name ``column`` in a message: the contract's name, else the header as written
        (a column with no header by its number, in a workbook by its letters: "column AC").

        A header as written is cut to :data:`MAX_HEADER_ECHO` characters, without control
        characters, so a hostile header cannot flood or garble a message.
        """
        if column in KNOWN_COLUMNS:
            return column
        written = self.headers.get(column, column)
        if column.startswith("_column_") and not normalise_column_name(written):
            number = column.removeprefix("_column_")
            if self.sheet is not None and number.isdigit():  # a workbook: Excel's letters
                return f"(column {excel_letters(int(number))}, no header)"
            return f"(column {number}, no header)"
        return shown(written)


def locate(problem: Problem, named: dict[str, tuple[str, str | None]]) -> Problem:
    """``problem`` naming its column as the file does: the header as written and, in a
    workbook, the column's letters (:class:`~audit.errors.Problem`'s ``header`` and
    ``letter``), from ``named`` (:meth:`RawExtract.columns_named`). A problem about no
    column, or a column the file lacks, is unchanged."""
    if problem.column is None or problem.column not in named:
        return problem
    header, letter = named[problem.column]
    return replace(problem, header=header, letter=letter)


def excel_letters(number: int) -> str:
    """A workbook column's letters from its number, counting from 1 (28 -> ``"AB"``)."""
    left, letters = number, ""
    while left:
        left, rem = divmod(left - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


#: The command-line flag that accepts stray dates (:mod:`audit.intake.stray_dates`).
ACCEPT_FLAG = "--accept-stray-dates"


@dataclass(frozen=True)
class StrayDate:
    """One case dated apart from the rest of its return: where it is and what was found."""

    row: int
    file: str | None
    finding: str  # "20/08/2024 (2024-Q3) is a year before the period ... (2025-Q3)"
    #: How the file names the date column (:meth:`CaseExtract.columns`), if known.
    named: tuple[str, str | None] | None = None

    def _at(self, message: str) -> Problem:
        problem = Problem(self.row, "notification_date", message, self.file)
        return problem if self.named is None else locate(problem, {"notification_date": self.named})

    def problem(self) -> Problem:
        """The problem that stops validation, with the fix."""
        return self._at(
            f"{self.finding}: correct the year or month if it was mistyped, or pass "
            f"{ACCEPT_FLAG} if the case belongs to that quarter"
        )

    def __str__(self) -> str:
        """The accepted case, as the run and ``audit validate`` name it."""
        return str(self._at(self.finding))


@dataclass(frozen=True, eq=False)
class CaseExtract:
    """A validated extract: the in-scope cases, typed, and what was left out and why.

    Several returns pooled into one (:mod:`audit.intake.pooling`) carry each input in ``sources``
    (name, SHA-256, sheet, rows read, cases in scope); their ``sha256`` is then one digest
    of the sorted inputs, the same whatever order they were given in, and each case's file
    is in a ``source`` column.
    """

    cases: pd.DataFrame
    excluded: pd.DataFrame
    rows_read: int
    ignored_columns: tuple[str, ...]
    missing_flags: tuple[str, ...]
    path: Path
    sha256: str
    sheet: str | None
    sources: tuple[dict[str, object], ...] = ()
    #: Cases dated apart from the quarters the rest of their return covers, accepted by
    #: the analyst (``--accept-stray-dates``): said by the run (:mod:`audit.intake.stray_dates`).
    stray_dates: tuple[StrayDate, ...] = ()
    #: Cases a second auditor re-audited (:mod:`audit.intake.moderation`): a row a case and
    #: question, with the first and second auditors' answers and any agreed answer;
    #: ``None`` when no case was moderated.
    moderated: pd.DataFrame | None = None
    #: What the analyst should hear of though nothing is wrong (the sheet read is hidden
    #: in Excel, rows hidden by a filter): ``audit validate`` and ``audit run`` say each.
    warnings: tuple[str, ...] = ()
    #: How the file names each column (:meth:`RawExtract.columns_named`), for messages
    #: written after validation (stray dates); empty for pooled returns.
    columns: dict[str, tuple[str, str | None]] = field(default_factory=dict)

    def unknown_shares(self) -> pd.Series:
        """Share of in-scope cases recorded as unknown, for each coded or flag column present."""
        fields = [c for c in self.cases.columns if c in CODED_VALUES or c in FLAG_COLUMNS]
        shares = {
            c: float((self.cases[c] == FLAG_UNKNOWN).mean()) if len(self.cases) else 0.0
            for c in fields
        }
        return pd.Series(shares, dtype="float64", name="unknown_share").rename_axis("column")

    def input_name(self) -> str:
        """The input as provenance names it (history, manifest): the file, or the pooled
        returns (at most 200 characters)."""
        if not self.sources:
            return str(self.path.name)
        names = ", ".join(str(s["file"]) for s in self.sources)
        text = f"{len(self.sources)} returns: {names}"
        return text if len(text) <= 200 else text[:199] + "…"

    def high_unknown_fields(self) -> list[str]:
        """Columns more than :data:`~audit.contract.UNKNOWN_SHARE_THRESHOLD` unknown."""
        shares = self.unknown_shares()
        return shares.index[shares > UNKNOWN_SHARE_THRESHOLD].tolist()


_SPACING = re.compile("[\t\n\r\x0b\x0c\u2028\u2029]")
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def shown(text: object, limit: int = MAX_HEADER_ECHO) -> str:
    """``text`` as a message may quote it: cut to ``limit`` characters (ending in an ellipsis),
    line breaks and tabs made spaces, and other control, zero-width and bidirectional-override
    characters shown as ``\ufffd`` (so a terminal never acts on them and the reader sees
    that something is there)."""
    text = str(text)[: limit + 1]
    text = _UNPRINTABLE.sub("\ufffd", _SPACING.sub(" ", text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def distinct(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes (one a row) and distinct values of a text column, plain ``str`` or categorical.

    The guard and validation do their work once a distinct value and spread the answer
    back to the rows through the codes, so a million rows of yes/no cost a handful of regex
    evaluations. A categorical column is used as it is (no second factorisation).
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(), pd.Index(column.cat.categories)
    codes, uniques = pd.factorize(column.fillna(""))
    return codes, pd.Index(uniques)


def _mostly_distinct(column: pd.Series) -> bool:
    """True when a sample of a long column is over 90% distinct values (an id column)."""
    if isinstance(column.dtype, pd.CategoricalDtype) or len(column) < 10_000:
        return False
    sample = column.iloc[:: len(column) // 5_000]
    return sample.nunique() > 0.9 * len(sample)


def as_categorical(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text column factorised once into a Categorical of its values.

    A column already categorical (dictionary-encoded as it was read) is kept as it is: the
    readers leave it no category that no row holds. Every step maps answers back to the
    rows through the codes all the same. Long, mostly distinct columns (case_id) stay plain
    text: see :func:`_mostly_distinct`.
    """
    columns = {}
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.CategoricalDtype):
            columns[name] = frame[name]
            continue
        if _mostly_distinct(frame[name]):
            columns[name] = frame[name]  # an id column (case_id): factorising buys nothing
            continue
        codes, uniques = distinct(frame[name])
        dtype = pd.CategoricalDtype(pd.Index(uniques, dtype=TEXT_DTYPE))
        columns[name] = pd.Categorical.from_codes(codes, dtype=dtype, validate=False)
    return pd.DataFrame(columns, index=frame.index, columns=frame.columns)


def arrow_text(values: pd.Index) -> pa.Array:
    """The distinct values as one pyarrow large_string array (zero-copy when arrow-backed)."""
    try:
        array = pa.array(values.array)
    except (pa.ArrowException, TypeError, ValueError):
        array = pa.array(np.asarray(values, dtype=object).astype(str), type=pa.large_string())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if not pa.types.is_large_string(array.type):
        array = array.cast(pa.large_string())
    return array


#: A case_id that labels a totals row: "Total", "Totals", "TOTAL:", "Grand total".
_TOTALS_LABEL = r"(?i)^[\s\x{00a0}]*(?:grand[ _-]*|sub[ _-]*)?totals?[\s:.\x{00a0}]*$"


def totals_rows(frame: pd.DataFrame, formula_rows: tuple[int, ...] = ()) -> dict[int, str]:
    """Rows that look like a totals row added under the cases: row -> its case_id as written.

    A row is one when its case_id is "Total" (any case, "Totals", "Grand total"), or when it
    is the last row, its case_id and notification date are blank and, under the flag
    columns, it holds numbers that are not flag values (sums such as ``15``) or formulas
    (``formula_rows``: cells reading could not read).
    """
    if len(frame) == 0 or "case_id" not in frame.columns:
        return {}
    ids = frame["case_id"]
    found: dict[int, str] = {}
    if isinstance(ids.dtype, pd.CategoricalDtype):
        codes, uniques = distinct(ids)
        labelled = pc.match_substring_regex(arrow_text(uniques), _TOTALS_LABEL)
        if pc.any(labelled).as_py():
            hit = labelled.to_numpy(zero_copy_only=False)
            rows = frame.index.to_numpy()[(codes >= 0) & hit[np.maximum(codes, 0)]]
            found.update({int(r): str(frame.at[r, "case_id"]) for r in rows})
    else:  # an id column left as text (a million distinct values): one pass over the rows
        labelled = pc.match_substring_regex(arrow_text(pd.Index(ids.fillna(""))), _TOTALS_LABEL)
        if pc.any(labelled).as_py():
            rows = frame.index.to_numpy()[labelled.to_numpy(zero_copy_only=False)]
            found.update({int(r): str(frame.at[r, "case_id"]) for r in rows})
    last = frame.index[-1]
    blank = not str(frame.at[last, "case_id"]).strip() and (
        "notification_date" not in frame.columns
        or not str(frame.at[last, "notification_date"]).strip()
    )
    if int(last) not in found and blank:
        flags = [c for c in FLAG_COLUMNS if c in frame.columns]
        sums = [str(frame.at[last, c]) for c in flags]
        if int(last) in formula_rows or any(
            re.match(r"^\s*[0-9]+(?:\.0*)?\s*$", v) and v.strip() not in ("0", "1") for v in sums
        ):
            found[int(last)] = ""
    return found
