"""Read a case extract (CSV, Excel workbook or Parquet) into a frame of text.

Reading does no validation beyond what is needed to get a rectangle of text out of the
file: every cell becomes a ``str`` (``''`` for an empty cell), the columns are the
contract's normalised names (``" Case ID "`` -> ``case_id``) and the index is the row
number the analyst sees in a spreadsheet (the header is row 1, the first data row is row 2).
:mod:`audit.guard` and :mod:`audit.validate` take it from there.

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
* In Parquet, there is no header row: data rows are numbered from 2, as if written to CSV.
* Two headers that normalise to the same name (``Case ID`` and ``case_id``) make the
  extract ambiguous: :func:`read_extract` raises :class:`~audit.errors.ValidationError`
  naming both headers as written (an :class:`~audit.errors.IdentifierError` if a header
  also looks like a direct identifier).
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from audit.contract import KNOWN_COLUMNS, normalise_column_name
from audit.errors import IdentifierError, Problem, ReadError, ValidationError

__all__ = ["RawExtract", "read_extract", "distinct", "as_categorical", "SUPPORTED_SUFFIXES"]

#: File suffixes :func:`read_extract` understands (case-insensitive).
SUPPORTED_SUFFIXES: tuple[str, ...] = (".csv", ".xlsx", ".xlsm", ".parquet")

_TEXT = "str"  # pandas' text dtype (pyarrow-backed where pyarrow is installed)
_MIDNIGHT = r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00(?:\.0+)?$"


@dataclass(frozen=True, eq=False)
class RawExtract:
    """An extract as read from disk, every cell still text.

    ``frame`` holds one ``str`` column a header (``''`` for an empty cell), named by the
    normalised column name; its index, named ``row``, is the spreadsheet row number.
    ``headers`` maps each normalised name back to the header as written in the file.
    """

    frame: pd.DataFrame
    path: Path
    headers: dict[str, str]
    sheet: str | None
    sha256: str

    def label(self, column: str) -> str:
        """How to name ``column`` in a message: the contract's name, else the header as written."""
        if column in KNOWN_COLUMNS:
            return column
        written = self.headers.get(column, column)
        if column.startswith("_column_") and not normalise_column_name(written):
            return f"(column {column.removeprefix('_column_')}, no header)"
        return written


def read_extract(path: str | Path, *, sheet: str | None = None) -> RawExtract:
    """Read ``path`` (``.csv``, ``.xlsx``/``.xlsm`` or ``.parquet``) into a :class:`RawExtract`.

    ``sheet`` names the worksheet of a workbook (default: the first one); it is an error for
    other formats. Raises :class:`~audit.errors.ReadError` when the file cannot be read, with
    a message naming the file and what to do about it.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if not p.exists():
        raise ReadError(f"file not found: {p}", path=p)
    if p.is_dir():
        raise ReadError(f"{p} is a folder, not an extract file", path=p)
    if suffix not in SUPPORTED_SUFFIXES:
        raise ReadError(
            f"cannot read '{p.suffix or '(no extension)'}' files; save the extract as "
            "CSV (.csv), an Excel workbook (.xlsx) or Parquet (.parquet)",
            path=p,
        )
    if sheet is not None and suffix not in (".xlsx", ".xlsm"):
        raise ReadError(f"a sheet ('{sheet}') can only be chosen in a workbook, not a {suffix} file",
                        path=p)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ReadError(f"cannot open the file: {exc.strerror or exc}", path=p) from None
    if not data:
        raise ReadError("the file is empty (0 bytes); export the extract again", path=p)
    digest = hashlib.sha256(data).hexdigest()

    sheet_read: str | None = None
    if suffix == ".csv":
        headers, body = _read_csv(data, p)
    elif suffix in (".xlsx", ".xlsm"):
        headers, body, sheet_read = _read_workbook(data, p, sheet)
    else:
        headers, body = _read_parquet(data, p)

    frame, written = _tidy(headers, body, p)
    return RawExtract(frame=frame, path=p, headers=written, sheet=sheet_read, sha256=digest)


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


def as_categorical(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text column factorised once into a Categorical of its values."""
    columns = {}
    for name in frame.columns:
        codes, uniques = distinct(frame[name])
        dtype = pd.CategoricalDtype(pd.Index(uniques, dtype=_TEXT))
        columns[name] = pd.Categorical.from_codes(codes, dtype=dtype, validate=False)
    return pd.DataFrame(columns, index=frame.index, columns=frame.columns)


# --------------------------------------------------------------------------------- CSV


def _read_csv(data: bytes, path: Path) -> tuple[list[str], pd.DataFrame]:
    head = data[:8192]
    if head.startswith(b"PK\x03\x04"):
        raise ReadError("this is an Excel workbook (or another zip file) with a .csv name; "
                        "rename it to .xlsx, or save it from Excel as CSV", path=path)
    if head.startswith(b"PAR1"):
        raise ReadError("this is a Parquet file with a .csv name; rename it to .parquet",
                        path=path)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ReadError("the file is UTF-16 text (Excel's 'Unicode Text'); save it from Excel "
                        "as 'CSV UTF-8 (Comma delimited)'", path=path)
    if b"\x00" in head:
        raise ReadError("the file looks binary, not CSV text; export the extract as CSV",
                        path=path)

    try:
        data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        if data.startswith(codecs.BOM_UTF8):
            raise ReadError(
                f"the file says it is UTF-8 but byte {utf8_error.start + 1:,} is not valid "
                "UTF-8; export the extract again as 'CSV UTF-8'", path=path) from None
        try:
            data = data.decode("cp1252").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise ReadError(
                f"the file is neither UTF-8 nor Windows-1252 text (byte {exc.start + 1:,} "
                "cannot be decoded); save it from Excel as 'CSV UTF-8 (Comma delimited)'",
                path=path) from None

    grid = _parse_csv(data, path)
    if grid.shape[0] == 0 or grid.shape[1] == 0:
        raise ReadError("the file has no header row; row 1 must hold the column names",
                        path=path)
    grid = grid.fillna("")
    headers = [str(h) for h in grid.iloc[0].tolist()]
    if headers:
        headers[0] = headers[0].removeprefix("\ufeff")
    if not any(h.strip() for h in headers):
        raise ReadError("row 1 is blank; the first row must hold the column names", path=path)
    body = grid.iloc[1:]
    body.index = pd.RangeIndex(2, len(body) + 2)
    return headers, body


def _has_blank_line(data: bytes) -> bool:
    """True when a line is empty (ignoring blank lines at the very end); memchr-fast."""
    end = len(data)
    while end and data[end - 1] in b"\r\n":
        end -= 1
    return (data.startswith((b"\n", b"\r\n")) or data.find(b"\n\n", 0, end) >= 0
            or data.find(b"\n\r\n", 0, end) >= 0)


def _parse_csv(data: bytes, path: Path) -> pd.DataFrame:
    """Parse UTF-8 CSV bytes into a grid of text, header row included (columns 0..n-1)."""
    options = dict(header=None, dtype=str, keep_default_na=False, na_filter=False)
    # The pyarrow engine is the fast path, but it skips blank lines (which would shift the
    # row numbers), refuses ragged rows and lets an unclosed quote swallow the rest of the
    # file (an odd number of quote characters); the C engine handles all three.
    if not _has_blank_line(data) and data.count(b'"') % 2 == 0:
        try:
            return pd.read_csv(io.BytesIO(data), engine="pyarrow",
                               **{k: v for k, v in options.items() if k != "na_filter"})
        except Exception:  # noqa: BLE001 - fall back to the C engine, whose errors are clearer
            pass
    try:
        return pd.read_csv(io.BytesIO(data), engine="c", skip_blank_lines=False,
                           **options)
    except pd.errors.EmptyDataError:
        raise ReadError("the file has no header row; row 1 must hold the column names",
                        path=path) from None
    except Exception as exc:  # noqa: BLE001 - parser errors become analyst messages
        raise ReadError(f"cannot be read as CSV: {_parser_message(exc)}", path=path) from None


def _parser_message(exc: Exception) -> str:
    """An analyst-facing version of a CSV parser error, never quoting file content."""
    text = str(exc)
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if m:
        return (f"line {m.group(2)} has {m.group(3)} values but the header has {m.group(1)}; "
                "check for unquoted commas in that line")
    m = re.search(r"EOF inside string starting at row (\d+)", text)
    if m:
        return (f"a quoted value starting on line {int(m.group(1)) + 1} is never closed; "
                "check for a stray double quote (\")")
    return f"the CSV structure is broken ({type(exc).__name__}); open it in Excel and save as CSV again"


# ---------------------------------------------------------------------------- workbooks


def _read_workbook(data: bytes, path: Path, sheet: str | None
                   ) -> tuple[list[str], pd.DataFrame, str]:
    try:
        book = pd.ExcelFile(io.BytesIO(data), engine="calamine")
        names = [str(n) for n in book.sheet_names]
    except Exception:  # noqa: BLE001 - calamine raises its own types for corrupt files
        raise ReadError("cannot be opened as an Excel workbook (the file is damaged or is "
                        "not really .xlsx); open it in Excel and save it again", path=path) from None
    if not names:
        raise ReadError("the workbook has no sheets", path=path)
    if sheet is None:
        sheet = names[0]
    elif sheet not in names:
        listed = ", ".join(f"'{n}'" for n in names)
        raise ReadError(f"the workbook has no sheet named '{sheet}'; its sheets are {listed}",
                        path=path)
    try:
        grid = pd.read_excel(book, sheet_name=sheet, header=None, dtype=str,
                             na_filter=False)
    except Exception:  # noqa: BLE001
        raise ReadError(f"sheet '{sheet}' cannot be read; open the workbook in Excel and "
                        "save it again", path=path) from None
    grid = grid.fillna("").astype(_TEXT)
    grid.index = pd.RangeIndex(1, len(grid) + 1)  # the sheet's own row numbers
    if len(grid):
        # Cells holding dates read as "2024-01-05 00:00:00": keep the date.
        grid = grid.apply(lambda col: col.str.replace(_MIDNIGHT, r"\1", regex=True))
        filled = _nonblank_rows(grid)
        grid = grid.loc[filled.idxmax():] if filled.any() else grid.iloc[0:0]
    if grid.shape[0] == 0 or grid.shape[1] == 0:
        raise ReadError(f"sheet '{sheet}' is empty", path=path)
    headers = [str(h) for h in grid.iloc[0].tolist()]
    return headers, grid.iloc[1:], sheet


# ------------------------------------------------------------------------------ Parquet


def _read_parquet(data: bytes, path: Path) -> tuple[list[str], pd.DataFrame]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(pa.BufferReader(data))
    except Exception:  # noqa: BLE001 - pyarrow raises ArrowInvalid, OSError, ...
        raise ReadError("cannot be read as Parquet (the file is damaged or is not Parquet); "
                        "export the extract again", path=path) from None
    headers: list[str] = []
    columns: dict[int, pd.Series] = {}
    for i, name in enumerate(table.column_names):
        if re.fullmatch(r"__index_level_\d+__", str(name)):
            continue  # a pandas index written alongside the data, not a column of the extract
        columns[len(headers)] = _arrow_to_text(table.column(i), str(name), path)
        headers.append(str(name))
    if not headers:
        raise ReadError("the Parquet file has no columns", path=path)
    body = pd.DataFrame(columns)
    body.index = pd.RangeIndex(2, table.num_rows + 2)
    return headers, body


def _arrow_to_text(column, name: str, path: Path) -> pd.Series:
    """One Parquet column as text: numbers as written ("3", "2.5"), dates ISO, nulls ''."""
    import pyarrow as pa
    import pyarrow.compute as pc

    col = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    kind = col.type
    try:
        if pa.types.is_dictionary(kind):
            col = col.cast(kind.value_type)
            kind = col.type
        if pa.types.is_floating(kind):
            col = pc.if_else(pc.is_nan(col), pa.scalar(None, kind), col)
            col = pc.cast(col, pa.large_string())
        elif pa.types.is_timestamp(kind) or pa.types.is_date(kind):
            col = pc.cast(col, pa.large_string())
            col = pc.replace_substring_regex(col, _MIDNIGHT, r"\1")
        elif pa.types.is_nested(kind):
            raise ReadError(f"column '{name}' holds lists or records; the contract needs one "
                            "value a cell", path=path)
        else:
            col = pc.cast(col, pa.large_string())
    except ReadError:
        raise
    except Exception:  # noqa: BLE001 - e.g. binary that is not UTF-8
        raise ReadError(f"column '{name}' has a type ({kind}) that cannot be read as text",
                        path=path) from None
    col = pc.fill_null(col, "")
    return pd.Series(col.to_pandas(), dtype=_TEXT).reset_index(drop=True)


# ------------------------------------------------------------------------------- shared


def _nonblank_rows(grid: pd.DataFrame) -> pd.Series:
    """True for rows with at least one non-empty cell (vectorised; cheap when few are blank)."""
    if grid.shape[1] == 0:
        return pd.Series(False, index=grid.index)
    first_blank = grid.iloc[:, 0].eq("").to_numpy()
    result = ~first_blank
    if first_blank.any():
        candidates = grid.loc[first_blank]
        result[first_blank] = candidates.ne("").any(axis=1).to_numpy()
    return pd.Series(result, index=grid.index)


def _tidy(headers: list[str], body: pd.DataFrame, path: Path
          ) -> tuple[pd.DataFrame, dict[str, str]]:
    """Name the columns, drop blank rows and empty unnamed columns, check for clashes."""
    body = body.astype(_TEXT) if len(body.columns) else body
    keys: list[str] = []
    keep: list[int] = []
    for position, header in enumerate(headers):
        key = normalise_column_name(header)
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
    if len(frame) and len(frame.columns):
        frame = frame.loc[_nonblank_rows(frame).to_numpy()]
    frame.index = pd.Index(frame.index.to_numpy(dtype=np.int64), name="row")
    written = dict(zip(keys, (headers[i] for i in keep), strict=True))
    return frame, written


def _refuse_clashing_headers(keys: list[str], written: list[str], positions: list[int],
                             path: Path) -> None:
    seen: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        seen.setdefault(key, []).append(i)
    clashes = {k: v for k, v in seen.items() if len(v) > 1}
    if not clashes:
        return
    from audit.guard import header_looks_like_value_identifier, name_identifier_problems

    problems = name_identifier_problems(written)
    safe = not any(header_looks_like_value_identifier(h) for h in written)
    clash_problems = []
    for key, idx in clashes.items():
        if safe:
            named = " and ".join(f"'{written[i]}' (column {positions[i]})" for i in idx)
        else:
            named = " and ".join(f"column {positions[i]}" for i in idx)
        both = "both" if len(idx) == 2 else "all"
        clash_problems.append(Problem(None, key, f"headers {named} {both} mean '{key}' "
                                      "(case, spaces and punctuation are ignored); keep one"))
    if problems:
        raise IdentifierError("the extract carries direct identifiers: remove these columns "
                              "and export again", path=path, problems=problems + clash_problems)
    raise ValidationError("two or more headers name the same column", path=path,
                          problems=clash_problems)
