"""The pack as a spreadsheet (``board-pack.xlsx``), one sheet a table, written with openpyxl.

**Callers pass protected tables** (:func:`audit.disclosure.protect`, through the sections):
this module hides nothing itself, and as a guard refuses any table with a case-level column
(``case_id``, ``row``, ``notification_date``, ``child_age_months``,
``father_age_at_birth``), which only a case-level frame would carry.

Layout, following the Government Analysis Function guidance on releasing statistics in
spreadsheets:

* a **Notes** sheet first: sources, definitions, provenance, the disclosure rule;
* then one sheet a table, in reading order. Every sheet carries the pack's protective
  marking in row 1 and in its printed header, a title saying what the table shows in row
  2, and the column headers in row 3 (bold); no blank rows or merged cells in the table,
  panes frozen below the header (and right of a row-label column), each table marked up as
  an Excel table so screen readers announce its headers;
* numbers stored as numbers, formatted by what the column holds: counts as whole numbers
  with thousands separators, percentages (fractions) as ``0.0%``; ``c`` (hidden), ``:``
  (not available) and words stored as text; missing values left blank;
* **text is always text**: a cell is never stored as a formula, whatever it begins with;
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from audit.contract import normalise_column_name
from audit.errors import ReportError
from audit.render.archive import FIXED_TIMESTAMP, fixed_zip
from audit.render.content import PackContent, RenderOptions
from audit.render.section import ROW_LEVEL_COLUMNS, caveat_bullets, summary_bullets

__all__ = [
    "NOTES_SHEET",
    "FIXED_TIMESTAMP",
    "Sheet",
    "sheet_name",
    "write_workbook",
    "pack_sheets",
    "pack_notes",
    "WorkbookFile",
]

#: The name of the notes sheet (always first).
NOTES_SHEET = "Notes"
#: The row of each sheet holding the table's column headers (marking and title above).
_HEADER_ROW = 3

_DROPPED = re.compile(r"[\[\]:*?]")
_SLASHES = re.compile(r"[/\\]")
_MAX_NAME = 31
_RESERVED = {"history"}
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
        candidate = base[: _MAX_NAME - len(suffix)].rstrip() + suffix
    taken.add(candidate.lower())
    return candidate


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
    if isinstance(value, str):
        return value
    return str(value)


def _check_table(name: str, table: object) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise ReportError(f"sheet {name!r}: expected a table, not {type(table).__name__}")
    names = [table.index.name, *table.index.names, *table.columns]
    row_level = sorted(
        {normalise_column_name(str(c)) for c in names if c is not None} & ROW_LEVEL_COLUMNS
    )
    if row_level:
        raise ReportError(
            f"sheet {name!r} has case-level column(s) {', '.join(row_level)}: the workbook "
            "takes only aggregated, protected tables, never case-level data"
        )
    if isinstance(table.columns, pd.MultiIndex):
        raise ReportError(f"sheet {name!r}: flatten multi-level column headers first")
    return table.reset_index(drop=True)


def _width(values: Sequence[object]) -> float:
    longest = 0
    for value in values:
        if value is None:
            continue
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
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


def _put(ws, row: int, column: int, value: object):
    """Write one cell. Text is always stored as text: openpyxl would otherwise store a
    string starting with ``=`` as a live formula (a partnership named
    ``=HYPERLINK(...)`` in an extract must stay a name, never become a link)."""
    cell = ws.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def _write_sheet(
    ws,
    sheet: Sheet,
    marking: str,
    *,
    table_name: str | None = None,
    wrap_columns: Sequence[int] = (),
    widths: Mapping[int, float] | None = None,
) -> None:
    """Marking (row 1), title (row 2), header (row 3), values; numbers formatted, text text."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.table import Table, TableStyleInfo

    table = sheet.frame
    headers = [str(c) for c in table.columns]
    _put(ws, 1, 1, marking).font = Font(bold=True)
    _put(ws, 2, 1, sheet.title).font = Font(bold=True, size=12)
    ws.oddHeader.center.text = marking
    ws.oddFooter.right.text = "Page &P of &N"
    for j, header in enumerate(headers, start=1):
        cell = _put(ws, _HEADER_ROW, j, header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    columns = [table[c].astype(object).tolist() for c in table.columns]
    for j, header in enumerate(headers, start=1):
        kind = sheet.formats.get(header, "text")
        values = [_cell(v) for v in columns[j - 1]]
        for i, value in enumerate(values, start=_HEADER_ROW + 1):
            cell = _put(ws, i, j, value)
            if isinstance(value, bool) or value is None:
                continue
            if isinstance(value, (int, float)) and kind == "percent":
                cell.number_format = _PERCENT_FORMAT
            elif isinstance(value, (int, float)) and kind == "count":
                cell.number_format = _COUNT_FORMAT
            elif isinstance(value, str):
                short = len(value) <= 1
                cell.alignment = Alignment(
                    horizontal="right" if short else "general",
                    wrap_text=(j - 1) in wrap_columns,
                    vertical="top",
                )
        width = (widths or {}).get(j - 1) or _width([header, *values])
        ws.column_dimensions[get_column_letter(j)].width = width
    first_is_label = (
        bool(len(table)) and all(isinstance(v, str) for v in columns[0]) if columns else False
    )
    ws.freeze_panes = (
        f"B{_HEADER_ROW + 1}" if first_is_label and len(headers) > 1 else f"A{_HEADER_ROW + 1}"
    )
    unique_headers = len({h.lower() for h in headers}) == len(headers) and all(
        h.strip() for h in headers
    )
    if table_name and unique_headers and len(table) > 0:
        ref = f"A{_HEADER_ROW}:{get_column_letter(len(headers))}{len(table) + _HEADER_ROW}"
        excel_table = Table(displayName=table_name, ref=ref)
        excel_table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=False)
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
    return fixed_zip(data, {"docProps/core.xml": tostring(props.to_tree())})


@dataclass(frozen=True)
class Sheet:
    """One sheet: its name, a title saying what the table shows, the table, and how each
    column is written (``count``, ``percent`` — a fraction shown as a percentage — or
    ``text``)."""

    name: str
    title: str
    frame: pd.DataFrame
    formats: Mapping[str, str] = field(default_factory=dict)


def write_workbook(
    path: str | os.PathLike[str],
    sheets: Sequence[Sheet],
    notes: Sequence[tuple[str, str]],
    *,
    marking: str,
    title: str = "Are services seeing the men around babies? Board pack",
    timestamp: datetime = FIXED_TIMESTAMP,
) -> Path:
    """Write the pack's workbook: Notes first, then one sheet a table, the marking on each.

    ``sheets`` hold protected tables only (layout: module docstring); ``notes`` are (item,
    detail) pairs for the Notes sheet. ``title`` goes in the document properties;
    ``timestamp`` is the document's created and modified time (fixed by default, so
    identical input gives identical bytes). Written through a temporary file and a rename,
    so a reader never sees half a file. :class:`~audit.errors.ReportError` for a
    case-level column or no sheets.
    """
    from openpyxl import Workbook

    if not sheets:
        raise ReportError("give at least one table to write")
    checked = [
        Sheet(s.name, s.title, _check_table(s.name, s.frame), dict(s.formats)) for s in sheets
    ]
    note_rows = [(str(item), str(detail)) for item, detail in notes]

    workbook = Workbook()
    workbook.properties.title = title
    workbook.properties.creator = "audit"
    workbook.properties.language = "en-GB"
    workbook.properties.category = marking
    taken: set[str] = set()
    used_tables: set[str] = set()

    notes_sheet = workbook.active
    notes_sheet.title = sheet_name(NOTES_SHEET, taken)
    notes_frame = pd.DataFrame(note_rows, columns=["Item", "Detail"])
    _write_sheet(
        notes_sheet,
        Sheet(NOTES_SHEET, "About this workbook", notes_frame),
        marking,
        wrap_columns=(1,),
        widths={1: 100.0},
        table_name=_table_name(notes_sheet.title, used_tables),
    )
    for sheet in checked:
        ws = workbook.create_sheet(sheet_name(sheet.name, taken))
        _write_sheet(ws, sheet, marking, table_name=_table_name(ws.title, used_tables))

    buffer = io.BytesIO()
    workbook.save(buffer)
    data = _deterministic_bytes(buffer.getvalue(), workbook, timestamp)
    from audit.files import atomic_write_bytes

    return atomic_write_bytes(Path(path), data)


def pack_sheets(content: PackContent) -> list[Sheet]:
    """The pack's sheets: the protected metrics table (the published ``metrics.csv``), then
    one sheet a section table, named by its ``sheet`` or its section's title."""
    from audit.contract import METRICS_COLUMNS

    metrics = content.metrics
    columns = [c for c in METRICS_COLUMNS if c in metrics.columns]
    counts = ("numerator", "denominator", "unknown", "national_numerator", "national_denominator")
    formats = {c: "count" for c in counts}
    formats.update({c: "percent" for c in ("rate", "ci_low", "ci_high", "national_rate")})
    sheets = [
        Sheet(
            "Metrics",
            "Every measure (the published metrics.csv): rates as "
            "percentages, with 95% Wilson intervals",
            metrics[columns],
            formats,
        )
    ]
    for section in content.sections:
        tables = section.tables
        for i, table in enumerate(tables, start=1):
            name = table.sheet or (section.title if len(tables) == 1 else f"{section.title} {i}")
            sheets.append(Sheet(name, table.caption, table.frame, dict(table.formats)))
    return sheets


def pack_notes(content: PackContent) -> list[tuple[str, str]]:
    """The Notes sheet: title, the summary's headline, what to read the figures with (the
    page's caveats: a public pack's measures left out are named there), provenance,
    conventions and how to read the Metrics sheet."""
    return [
        ("Title", f"{content.title} Quarterly audit {content.name.replace('-', ' ')}"),
        *(("Summary", bullet) for bullet in summary_bullets(content.sections)),
        *(("Read these figures with", bullet) for bullet in caveat_bullets(content.sections)),
        *content.provenance,
        ("Conventions", content.conventions),
        (
            "Metrics sheet",
            "The published metrics.csv: rates are fractions shown as "
            "percentages, with 95% Wilson score intervals; p_value is the "
            "two-sided Fisher exact test against the national counts, "
            "p_holm the same adjusted for the comparisons in this pack",
        ),
    ]


class WorkbookFile:
    """The pack's workbook, ``<name>.xlsx`` (:func:`write_workbook`)."""

    label = "workbook"

    def write(self, content: PackContent, folder: Path, options: RenderOptions) -> Path:
        """Write the workbook into ``folder`` and return its path."""
        return write_workbook(
            folder / f"{content.name}.xlsx",
            pack_sheets(content),
            pack_notes(content),
            marking=content.marking,
            timestamp=options.timestamp,
        )
