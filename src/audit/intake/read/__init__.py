"""Read a case extract (CSV, Excel workbook or Parquet) into a frame of text.

Reading does no validation beyond what is needed to get a rectangle of text out of the
file: every cell becomes a ``str`` (``''`` for an empty cell), the columns are the
contract's normalised names (``" Case ID "`` -> ``case_id``) and the index is the row
number the analyst sees in a spreadsheet (the header is row 1, the first data row is row 2).
:mod:`audit.intake.guard` and :mod:`audit.intake.validate` take it from there.

Decisions an analyst may notice:

* CSV text is decoded as UTF-8 (a byte-order mark is allowed); when that fails, as
  Windows-1252, the encoding Excel uses for "CSV (Comma delimited)". Anything else is a
  :class:`~audit.errors.ReadError`.
* Wholly blank rows (every cell empty) are dropped, but keep their place in the numbering,
  so row numbers in messages still match the spreadsheet. Columns with a blank header and
  no values at all (an Excel artefact) are dropped too. A column with a blank header but
  some values is kept under the key ``_column_<n>`` (``n`` counts from 1) and reported by
  validation as an ignored column.
* In a workbook, the header row is the first row with anything in it; row numbers are the
  sheet's own. Whole numbers stored as numbers read as ``"3"``, dates as ``"2024-01-05"``.
* A hidden or very hidden sheet is never read unless ``sheet`` names it (a warning then
  says so, in :attr:`~audit.intake.extract.RawExtract.warnings`); rows hidden in Excel (a filter,
  or by hand) are read like the others and listed in
  :attr:`~audit.intake.extract.RawExtract.hidden_rows` for validation to warn about.
* Formula cells with no saved result in a totals row (case_id "Total") are left to
  validation, which calls the row a totals row (:func:`audit.intake.extract.totals_rows`).
* In Parquet, there is no header row: data rows are numbered from 2, as if written to CSV.
* Two headers that normalise to the same name (``Case ID`` and ``case_id``) make the
  extract ambiguous: :func:`read_extract` raises :class:`~audit.errors.ValidationError`
  naming both headers as written (an :class:`~audit.errors.IdentifierError` if a header
  also looks like a direct identifier).

Hostile and broken files (``tests/corpus/`` holds one of each) are refused with a
:class:`~audit.errors.ReadError` that says what the file is and what to do, never with a
parser's own exception:

* The content is sniffed whatever the extension says: a workbook, Parquet file, image, PDF,
  web page, archive or UTF-16 text under the wrong name is named as such. A password-protected
  (encrypted) workbook and an old ``.xls`` workbook are told apart.
* A CSV file whose header row is split by semicolons or tabs, not commas, is refused (the
  separator is not guessed): Excel writes semicolons where the decimal mark is a comma.
* A file larger than :data:`MAX_FILE_BYTES` is refused before it is read.
* A workbook is inspected before it is opened: one that would expand to more than
  :data:`MAX_UNZIPPED_BYTES` (or is compressed suspiciously well, as a zip bomb is), or
  whose sheet stretches over more than :data:`MAX_SHEET_CELLS` cells (a stray value at
  ``XFD1048576`` makes the spreadsheet library allocate the whole rectangle), is refused.
* A formula cell in a contract column with no saved result (a workbook written by a
  program, never opened and saved in Excel) and an Excel error value (``#N/A``, ``#REF!``)
  are problems with their row and column: the reader would otherwise see a blank cell and
  count it as unknown.
* Header names quoted in messages are cut to :data:`MAX_HEADER_ECHO` characters, with
  control and bidirectional-override characters replaced by spaces.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from audit.contract import KNOWN_COLUMNS
from audit.errors import IdentifierError, Problem, ReadError, ValidationError
from audit.intake.extract import MAX_HEADER_ECHO, TEXT_DTYPE, RawExtract, shown, totals_rows
from audit.intake.guard import header_looks_like_value_identifier, name_identifier_problems
from audit.intake.read.from_csv import read_csv
from audit.intake.read.from_parquet import read_parquet
from audit.intake.read.from_xlsx import (
    MAX_SHEET_CELLS,
    MAX_UNZIPPED_BYTES,
    read_workbook,
    refuse_unreadable_cells,
)
from audit.intake.read.sniff import column_key, nonblank_rows

__all__ = [
    "read_extract",
    "SUPPORTED_SUFFIXES",
    "MAX_FILE_BYTES",
    "MAX_UNZIPPED_BYTES",
    "MAX_SHEET_CELLS",
    "MAX_HEADER_ECHO",
]

#: File suffixes :func:`read_extract` understands (case-insensitive).
SUPPORTED_SUFFIXES: tuple[str, ...] = (".csv", ".xlsx", ".xlsm", ".parquet")
#: Largest extract file read (1 GiB); a million-row CSV extract is about 200 MB.
MAX_FILE_BYTES = 2**30

_TEXT = TEXT_DTYPE
_MIDNIGHT = r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00(?:\.0+)?$"


def read_extract(
    path: str | Path, *, sheet: str | None = None, categorical: bool = False
) -> RawExtract:
    """Read ``path`` (``.csv``, ``.xlsx``/``.xlsm`` or ``.parquet``) into a :class:`RawExtract`.

    ``sheet`` names the worksheet of a workbook (default: the visible sheet named
    :data:`~audit.intake.read.from_xlsx.CASES_SHEET`, else the first visible sheet:
    :func:`~audit.intake.read.from_xlsx.read_workbook`); it is an error for other formats.
    Raises :class:`~audit.errors.ReadError` when the file cannot be read, with a message
    naming the file and what to do about it.

    With ``categorical`` (as :func:`audit.intake.validate.load_extract` reads), a CSV column whose
    values repeat comes back as a Categorical of ``str``, dictionary-encoded while pyarrow
    parses it, so validation works on its few distinct values; the values are the same.
    Without it, every column is ``str``.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    data = _file_bytes(p, suffix, sheet)
    # Hash on a second thread while the file parses (hashlib lets go of the GIL).
    hasher = hashlib.sha256()
    hashing = threading.Thread(target=hasher.update, args=(data,), name="audit-sha256")
    hashing.start()

    sheet_read: str | None = None
    sheets: tuple[str, ...] = ()
    header_row = 1
    cell_problems: dict[tuple[int, int], str] = {}
    hidden_rows: tuple[int, ...] = ()
    warnings: tuple[str, ...] = ()
    if suffix == ".csv":
        headers, body = read_csv(data, p, categorical=categorical)
    elif suffix in (".xlsx", ".xlsm"):
        (headers, body, sheet_read, header_row, cell_problems, sheets, hidden_rows, warnings) = (
            read_workbook(data, p, sheet)
        )
    else:
        headers, body = read_parquet(data, p, categorical=categorical)

    frame, written, positions = _tidy(headers, body, p)
    formula_rows: tuple[int, ...] = ()
    if cell_problems:
        # A totals row of formulas is one problem for validation, not one a cell.
        totals = totals_rows(frame, tuple(sorted({r for r, _ in cell_problems})))
        formula_rows = tuple(sorted({r for r, _ in cell_problems if r in totals}))
        refuse_unreadable_cells(
            {k: v for k, v in cell_problems.items() if k[0] not in totals},
            headers,
            header_row,
            p,
        )
    hashing.join()
    digest = hasher.hexdigest()
    return RawExtract(
        frame=frame,
        path=p,
        headers=written,
        sheet=sheet_read,
        sha256=digest,
        header_row=header_row,
        sheets=sheets,
        hidden_rows=tuple(int(r) for r in frame.index.intersection(hidden_rows))
        if hidden_rows
        else (),
        warnings=warnings,
        formula_rows=formula_rows,
        positions=positions,
    )


def _file_bytes(p: Path, suffix: str, sheet: str | None) -> pa.Buffer | bytes:
    """The bytes of extract file ``p``, once it is known to be a readable file of a format
    the suite reads, not too large and not empty (else :class:`~audit.errors.ReadError`
    saying what to do); ``sheet`` is only for a workbook."""
    try:
        exists, is_dir, is_file = p.exists(), p.is_dir(), p.is_file()
    except OSError as exc:  # e.g. a name too long for the file system
        raise ReadError(f"cannot open the file: {exc.strerror or exc}", path=p) from None
    if not exists:
        raise ReadError(f"file not found: {p}", path=p)
    if is_dir:
        raise ReadError(
            "this is a folder, not an extract file; give the path of the file inside it", path=p
        )
    if suffix not in SUPPORTED_SUFFIXES:
        hint = (
            " (if it holds comma-separated text, rename it to .csv)"
            if suffix in (".txt", ".tsv", ".tab", ".dat", "")
            else ""
        )
        raise ReadError(
            f"cannot read '{shown(p.suffix or '(no extension)', 20)}' files; save the extract as "
            f"CSV (.csv), an Excel workbook (.xlsx) or Parquet (.parquet){hint}",
            path=p,
        )
    if not is_file:
        raise ReadError(
            "is not a regular file (a device, pipe or socket); give the path of an extract file",
            path=p,
        )
    if sheet is not None and suffix not in (".xlsx", ".xlsm"):
        raise ReadError(
            f"a sheet ('{shown(sheet, 40)}') can only be chosen in a workbook, not a {suffix} file",
            path=p,
        )
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ReadError(
                f"the file is {size / 2**20:,.0f} MB, more than the "
                f"{MAX_FILE_BYTES / 2**20:,.0f} MB the suite reads; is it the right "
                "file? Take out columns and rows the audit does not need",
                path=p,
            )
        data = _read_into_arrow(p, size) if suffix == ".csv" else p.read_bytes()
    except OSError as exc:
        raise ReadError(f"cannot open the file: {exc.strerror or exc}", path=p) from None
    if not len(data):
        raise ReadError("the file is empty (0 bytes); export the extract again", path=p)
    return data


def _read_into_arrow(path: Path, size: int) -> pa.Buffer | bytes:
    """The file's bytes read straight into memory Arrow owns, so pyarrow's CSV reader parses
    them without a copy (and without holding Python memory: see
    :func:`audit.intake.read.sniff.arrow_buffer`). A file that grew since ``size`` was taken is read
    again as ``bytes``."""
    buffer = pa.allocate_buffer(size)
    got = 0
    with open(path, "rb") as handle, memoryview(buffer) as view:
        while got < size and (n := handle.readinto(view[got:])):
            got += n
        grew = bool(handle.read(1))
    if grew:
        return path.read_bytes()
    return buffer if got == size else buffer.slice(0, got)


def _tidy(
    headers: list[str], body: pd.DataFrame, path: Path
) -> tuple[pd.DataFrame, dict[str, str], dict[str, int]]:
    """Name the columns, drop blank rows and empty unnamed columns, check for clashes; also
    each kept column's header as written and its place in the file (from 1)."""
    if len(body.columns):
        body = body.astype(
            {
                c: _TEXT
                for c, dtype in body.dtypes.items()
                if not isinstance(dtype, pd.CategoricalDtype) and dtype != _TEXT
            }
        )
    keys: list[str] = []
    keep: list[int] = []
    for position, header in enumerate(headers):
        key = column_key(header)
        if not key:
            column = body.iloc[:, position]
            if not column.ne("").any():
                continue  # a blank header over an empty column: nothing there
            key = f"_column_{position + 1}"
        keys.append(key)
        keep.append(position)

    _refuse_clashing_headers(keys, [headers[i] for i in keep], [i + 1 for i in keep], path)

    frame = body.iloc[:, keep] if keep else pd.DataFrame(index=body.index)
    frame.columns = pd.Index(keys, dtype=object)
    dropped = False
    if len(frame) and len(frame.columns):
        nonblank = nonblank_rows(frame).to_numpy()
        dropped = not nonblank.all()
        if dropped:
            frame = frame.loc[nonblank]
    frame.index = pd.Index(frame.index.to_numpy(dtype=np.int64), name="row")
    if dropped and any(isinstance(t, pd.CategoricalDtype) for t in frame.dtypes):
        frame = pd.DataFrame(
            {c: _only_used(frame[c]) for c in frame.columns},
            index=frame.index,
            columns=frame.columns,
        )
    written = dict(zip(keys, (headers[i] for i in keep), strict=True))
    return frame, written, {key: i + 1 for key, i in zip(keys, keep, strict=True)}


def _only_used(column: pd.Series) -> pd.Series:
    """A categorical column without the categories no row holds any longer (a value only
    blank rows held): its categories are then exactly its distinct values, as
    :func:`audit.intake.extract.as_categorical` would make them, in the order they first appear."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        return column
    codes = column.cat.codes.to_numpy()
    n = len(column.cat.categories)
    used = np.bincount(codes[codes >= 0], minlength=n) > 0
    if used.all():
        return column
    position = np.cumsum(used) - 1
    remap = np.append(np.where(used, position, -1), -1)  # code -1 (none) stays -1
    categories = column.cat.categories[used]
    return pd.Series(
        pd.Categorical.from_codes(
            remap[codes], dtype=pd.CategoricalDtype(categories), validate=False
        ),
        index=column.index,
        name=column.name,
    )


def _refuse_clashing_headers(
    keys: list[str], written: list[str], positions: list[int], path: Path
) -> None:
    seen: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        seen.setdefault(key, []).append(i)
    clashes = {k: v for k, v in seen.items() if len(v) > 1}
    if not clashes:
        return
    problems = name_identifier_problems(written)
    safe = not any(header_looks_like_value_identifier(h) for h in written)
    clash_problems = []
    for key, idx in clashes.items():
        if safe:
            named = " and ".join(f"'{shown(written[i])}' (column {positions[i]})" for i in idx)
        else:
            named = " and ".join(f"column {positions[i]}" for i in idx)
        both = "both" if len(idx) == 2 else "all"
        clash_problems.append(
            Problem(
                None,
                shown(key),
                f"headers {named} {both} mean "
                f"'{shown(key)}' (case, spaces and punctuation are "
                "ignored); keep one",
            )
        )
    if problems:
        raise IdentifierError(
            "the extract carries direct identifiers: remove these columns and export again",
            path=path,
            problems=problems + clash_problems,
        )
    message = "two or more headers name the same column"
    if not set(keys) & set(KNOWN_COLUMNS):
        message += (
            " (and no header is a column of the contract: is row 1 data rather than "
            "the column names? If so, add the header row)"
        )
    raise ValidationError(message, path=path, problems=clash_problems)
