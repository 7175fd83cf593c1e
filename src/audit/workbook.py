"""The board pack as a spreadsheet: ``board-pack.xlsx``, one sheet a section, written with openpyxl.

**Callers pass board tables.** Every table given to :func:`write_board_workbook` must
already be the board version: aggregated and passed through :mod:`audit.suppress` (small
counts as ``c``), as :mod:`audit.board` does for the HTML pack. This module does no
suppression of its own, so it must never receive the analyst's raw tables. As a guard it
refuses any table with a case-level column (``case_id``, ``row``, ``notification_date``,
``child_age_months``, ``father_age_at_birth``, matched as the contract matches column
names), which only a case-level frame would carry.

Layout, following the Government Analysis Function guidance on releasing statistics in
spreadsheets:

* a **Notes** sheet first: sources, definitions, provenance, the suppression rule (the
  ``notes`` given, as two columns: item and detail);
* then one sheet a section, in the order given; the header in row 1 (bold), no blank rows
  or merged cells, panes frozen below the header (and right of a row-label column), each
  table marked up as an Excel table so screen readers announce its headers;
* numbers stored as numbers (counts as whole numbers with thousands separators; columns
  named like a rate - ``rate``, ``ci_low``, ``ci_high``, ``national_rate``, ``target``,
  ``lower_*``/``upper_*`` or ending ``_rate`` - formatted as percentages to one decimal
  place, the fraction kept as the value); text such as ``c`` (suppressed), ``:`` (not
  available) and ``z`` (not applicable) stored as text; missing values left blank;
* column widths from the longest value (10 to 60 characters);
* sheet names made legal for Excel: ``[]:*?`` dropped and ``/\\`` made ``-``, no leading or
  trailing apostrophe, at most 31 characters, unique ignoring case (a repeat gets
  `` (2)``), and never ``History`` (reserved by Excel).

The bytes are deterministic: the same tables and notes give the same file, byte for byte
(fixed document created/modified timestamps and fixed zip entry dates), so the manifest's
checksums are reproducible.
"""

from __future__ import annotations

import io
import math
import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from audit.contract import normalise_column_name

__all__ = [
    "NOTES_SHEET",
    "FIXED_TIMESTAMP",
    "ROW_LEVEL_COLUMNS",
    "sheet_name",
    "write_board_workbook",
]

#: The name of the notes sheet (always first).
NOTES_SHEET = "Notes"
#: The document's created and modified time, fixed so the bytes do not depend on the clock.
FIXED_TIMESTAMP = datetime(2000, 1, 1, 0, 0, 0)
#: Columns only a case-level table carries; a board table with one is refused.
ROW_LEVEL_COLUMNS: frozenset[str] = frozenset(
    {"case_id", "row", "notification_date", "child_age_months", "father_age_at_birth"})

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_DROPPED = re.compile(r"[\[\]:*?]")
_SLASHES = re.compile(r"[/\\]")
_MAX_NAME = 31
_RESERVED = {"history"}
_RATE_NAMES = {"rate", "ci_low", "ci_high", "national_rate", "target", "step_rate",
               "step_ci_low", "step_ci_high", "drop", "share"}
_PERCENT_FORMAT = "0.0%"
_COUNT_FORMAT = "#,##0"
_MIN_WIDTH, _MAX_WIDTH = 10, 60


def sheet_name(name: object, taken: set[str] | None = None) -> str:
    """A legal, unique Excel sheet name for ``name`` (rules: module docstring).

    ``taken`` holds the lower-cased names already used; the result is added to it.
    """
    taken = taken if taken is not None else set()
    text = _SLASHES.sub("-", _DROPPED.sub(" ", str(name)))
    text = re.sub(r"\s+", " ", text).strip().strip("'").strip() or "Sheet"
    base = text[:_MAX_NAME].rstrip()
    candidate, n = base, 1
    while candidate.lower() in taken or candidate.lower() in _RESERVED:
        n += 1
        suffix = f" ({n})"
        candidate = base[:_MAX_NAME - len(suffix)].rstrip() + suffix
    taken.add(candidate.lower())
    return candidate


def _is_rate_column(name: str) -> bool:
    key = normalise_column_name(name)
    return (key in _RATE_NAMES or key.endswith("_rate") or key.startswith(("lower_", "upper_"))
            or key.endswith(("_percentage", "_share")))


def _cell(value: object) -> object:
    """A value as openpyxl should store it: numbers as numbers, text as text, blanks empty."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if math.isnan(number):
            return None
        if math.isinf(number):
            return ":"
        return number
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, str):
        return value
    return str(value)


def _check_table(name: str, table: object) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"sheet {name!r}: expected a pandas DataFrame, not "
                        f"{type(table).__name__}")
    names = [table.index.name, *table.index.names, *table.columns]
    row_level = sorted({normalise_column_name(c) for c in names if c is not None}
                       & ROW_LEVEL_COLUMNS)
    if row_level:
        raise ValueError(
            f"sheet {name!r} has case-level column(s) {', '.join(row_level)}: the board "
            "workbook takes only aggregated, suppressed board tables (audit.suppress), never "
            "case-level data")
    if isinstance(table.columns, pd.MultiIndex):
        raise ValueError(f"sheet {name!r}: flatten multi-level column headers first")
    return table


def _with_index(table: pd.DataFrame) -> pd.DataFrame:
    """Bring a meaningful index (named, or not a plain 0..n-1 range) in as the first column."""
    index = table.index
    plain = isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1 \
        and index.name is None
    if plain:
        return table
    out = table.copy()
    label = index.name if index.name is not None else ""
    out.insert(0, label if label not in out.columns else f"{label} ", index.to_numpy())
    return out.reset_index(drop=True)


def _width(values: Sequence[object]) -> float:
    longest = 0
    for value in values:
        if value is None:
            continue
        if isinstance(value, float):
            text = f"{value:.4g}"
        else:
            text = str(value)
        longest = max(longest, max((len(line) for line in text.splitlines()), default=0))
    return float(min(_MAX_WIDTH, max(_MIN_WIDTH, longest + 2)))


def _table_name(sheet: str, used: set[str]) -> str:
    base = "T_" + (re.sub(r"[^0-9A-Za-z_]", "_", sheet).strip("_") or "table")
    name, n = base[:240], 1
    while name.lower() in used:
        n += 1
        name = f"{base[:236]}_{n}"
    used.add(name.lower())
    return name


def _write_sheet(ws, table: pd.DataFrame, *, wrap_columns: Sequence[int] = (),
                 widths: Mapping[int, float] | None = None, table_name: str | None = None,
                 freeze_label_column: bool = False) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.table import Table, TableStyleInfo

    headers = [str(c) for c in table.columns]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    columns = [table[c].astype(object).tolist() for c in table.columns]
    for r in range(len(table)):
        ws.append([_cell(columns[j][r]) for j in range(len(headers))])
    for j, header in enumerate(headers, start=1):
        letter = get_column_letter(j)
        values = [_cell(v) for v in columns[j - 1]]
        rate = _is_rate_column(header)
        for i, value in enumerate(values, start=2):
            cell = ws.cell(row=i, column=j)
            if isinstance(value, bool):
                continue
            if isinstance(value, float) and rate:
                cell.number_format = _PERCENT_FORMAT
            elif isinstance(value, int):
                cell.number_format = _COUNT_FORMAT
            elif isinstance(value, str):
                cell.alignment = Alignment(horizontal="right" if len(value) <= 1 else "general",
                                           wrap_text=(j - 1) in wrap_columns, vertical="top")
        width = (widths or {}).get(j - 1) or _width([header, *values])
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "B2" if freeze_label_column and len(headers) > 1 else "A2"
    unique_headers = len(set(h.lower() for h in headers)) == len(headers) and all(
        h.strip() for h in headers)
    if table_name and unique_headers and len(table) > 0:
        ref = f"A1:{get_column_letter(len(headers))}{len(table) + 1}"
        excel_table = Table(displayName=table_name, ref=ref)
        excel_table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1",
                                                    showRowStripes=False)
        ws.add_table(excel_table)


def _deterministic_bytes(data: bytes, workbook, timestamp: datetime) -> bytes:
    """Re-pack the xlsx openpyxl wrote so its bytes do not depend on the clock.

    openpyxl stamps ``docProps/core.xml`` with the save time and the zip entries with the
    current date; the core properties are rewritten with ``timestamp`` as created and
    modified, and every entry gets a fixed date and permissions, in the same order.
    """
    from openpyxl.xml.functions import tostring

    props = workbook.properties
    props.created = timestamp
    props.modified = timestamp
    core = tostring(props.to_tree())
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = core if info.filename == "docProps/core.xml" else source.read(info)
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            target.writestr(fixed, content)
    return out.getvalue()


def write_board_workbook(
    path: str | os.PathLike[str],
    sheets: Mapping[str, pd.DataFrame],
    notes: Sequence[tuple[str, str]],
    *,
    title: str = "Are services seeing the men around babies? Board pack",
    timestamp: datetime = FIXED_TIMESTAMP,
) -> Path:
    """Write the board pack workbook (``board-pack.xlsx``): Notes first, then one sheet a table.

    ``sheets`` maps a section's name to its **board** table (already suppressed; rules and
    layout: module docstring); ``notes`` are (item, detail) pairs for the Notes sheet -
    sources, definitions, the suppression rule, provenance. ``title`` goes in the document
    properties; ``timestamp`` is the document's created and modified time (fixed by default,
    so identical input gives identical bytes). Returns the path written (via a temporary file and a rename, so a reader
    never sees half a file). ``ValueError`` for a case-level column or no sheets;
    ``TypeError`` for a table that is not a DataFrame.
    """
    from openpyxl import Workbook

    if not isinstance(sheets, Mapping) or not sheets:
        raise ValueError("give at least one board table to write")
    tables = {str(name): _with_index(_check_table(str(name), table))
              for name, table in sheets.items()}
    note_rows = []
    for item in notes:
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise ValueError("each note must be an (item, detail) pair of text")
        note_rows.append((str(item[0]), str(item[1])))

    workbook = Workbook()
    workbook.properties.title = title
    workbook.properties.creator = "audit"
    workbook.properties.language = "en-GB"
    taken: set[str] = set()
    used_tables: set[str] = set()

    notes_sheet = workbook.active
    notes_sheet.title = sheet_name(NOTES_SHEET, taken)
    notes_frame = pd.DataFrame(note_rows, columns=["Item", "Detail"])
    _write_sheet(notes_sheet, notes_frame, wrap_columns=(1,), widths={1: 100.0},
                 table_name=_table_name(notes_sheet.title, used_tables))
    for name, table in tables.items():
        ws = workbook.create_sheet(sheet_name(name, taken))
        first = table.columns[0] if len(table.columns) else None
        label_column = first is not None and (table[first].map(
            lambda v: isinstance(v, str)).all() if len(table) else False)
        _write_sheet(ws, table, table_name=_table_name(ws.title, used_tables),
                     freeze_label_column=bool(label_column))

    buffer = io.BytesIO()
    workbook.save(buffer)
    data = _deterministic_bytes(buffer.getvalue(), workbook, timestamp)

    target = Path(path)
    from audit.files import atomic_write_bytes

    return atomic_write_bytes(target, data)
