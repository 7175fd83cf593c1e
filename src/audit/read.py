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

import codecs
import hashlib
import io
import re
import threading
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from audit.contract import KNOWN_COLUMNS, match_header, normalise_column_name
from audit.errors import IdentifierError, Problem, ReadError, ValidationError
from audit.extract import MAX_HEADER_ECHO, TEXT_DTYPE, RawExtract, shown
from audit.guard import header_looks_like_value_identifier, name_identifier_problems

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
#: Most a workbook may expand to when unzipped (4 GiB).
MAX_UNZIPPED_BYTES = 4 * 2**30
#: Most cells a worksheet may span, from A1 to its furthest cell (Excel's 1,048,576 rows
#: by 47 columns): beyond this the spreadsheet library would need gigabytes of memory.
MAX_SHEET_CELLS = 50_000_000
#: Problems listed per column for formula and error cells before a summary line.
_MAX_CELLS_LISTED = 20

_TEXT = TEXT_DTYPE
_MIDNIGHT = r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00(?:\.0+)?$"


def read_extract(path: str | Path, *, sheet: str | None = None) -> RawExtract:
    """Read ``path`` (``.csv``, ``.xlsx``/``.xlsm`` or ``.parquet``) into a :class:`RawExtract`.

    ``sheet`` names the worksheet of a workbook (default: the first one); it is an error for
    other formats. Raises :class:`~audit.errors.ReadError` when the file cannot be read, with
    a message naming the file and what to do about it.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    try:
        exists, is_dir, is_file = p.exists(), p.is_dir(), p.is_file()
    except OSError as exc:  # e.g. a name too long for the file system
        raise ReadError(f"cannot open the file: {exc.strerror or exc}", path=p) from None
    if not exists:
        raise ReadError(f"file not found: {p}", path=p)
    if is_dir:
        raise ReadError("this is a folder, not an extract file; give the path of the file "
                        "inside it", path=p)
    if suffix not in SUPPORTED_SUFFIXES:
        hint = (" (if it holds comma-separated text, rename it to .csv)"
                if suffix in (".txt", ".tsv", ".tab", ".dat", "") else "")
        raise ReadError(
            f"cannot read '{shown(p.suffix or '(no extension)', 20)}' files; save the extract as "
            f"CSV (.csv), an Excel workbook (.xlsx) or Parquet (.parquet){hint}",
            path=p,
        )
    if not is_file:
        raise ReadError("is not a regular file (a device, pipe or socket); give the path of "
                        "an extract file", path=p)
    if sheet is not None and suffix not in (".xlsx", ".xlsm"):
        raise ReadError(f"a sheet ('{shown(sheet, 40)}') can only be chosen in a workbook, "
                        f"not a {suffix} file", path=p)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ReadError(f"the file is {size / 2**20:,.0f} MB, more than the "
                            f"{MAX_FILE_BYTES / 2**20:,.0f} MB the suite reads; is it the right "
                            "file? Take out columns and rows the audit does not need", path=p)
        data = p.read_bytes()
    except OSError as exc:
        raise ReadError(f"cannot open the file: {exc.strerror or exc}", path=p) from None
    if not data:
        raise ReadError("the file is empty (0 bytes); export the extract again", path=p)
    # Hash on a second thread while the file parses (hashlib lets go of the GIL).
    hasher = hashlib.sha256()
    hashing = threading.Thread(target=hasher.update, args=(data,), name="audit-sha256")
    hashing.start()

    sheet_read: str | None = None
    header_row = 1
    cell_problems: dict[tuple[int, int], str] = {}
    if suffix == ".csv":
        headers, body = _read_csv(data, p)
    elif suffix in (".xlsx", ".xlsm"):
        headers, body, sheet_read, header_row, cell_problems = _read_workbook(data, p, sheet)
    else:
        headers, body = _read_parquet(data, p)

    frame, written = _tidy(headers, body, p)
    if cell_problems:
        _refuse_unreadable_cells(cell_problems, headers, header_row, p)
    hashing.join()
    digest = hasher.hexdigest()
    return RawExtract(frame=frame, path=p, headers=written, sheet=sheet_read, sha256=digest,
                      header_row=header_row)


# --------------------------------------------------------------------------------- CSV


def _read_csv(data: bytes, path: Path) -> tuple[list[str], pd.DataFrame]:
    kind = _sniff(data)
    if kind == "zip":
        raise ReadError("this is an Excel workbook (or another zip file) with a .csv name; "
                        "rename it to .xlsx, or save it from Excel as CSV", path=path)
    if kind == "parquet":
        raise ReadError("this is a Parquet file with a .csv name; rename it to .parquet",
                        path=path)
    if kind == "utf-16":
        raise ReadError("the file is UTF-16 text (Excel's 'Unicode Text'); save it from Excel "
                        "as 'CSV UTF-8 (Comma delimited)'", path=path)
    if kind in ("encrypted", "ole"):
        raise ReadError(f"this is {_KINDS[kind]}, not CSV text; open it in Excel and save it "
                        "as 'CSV UTF-8 (Comma delimited)'", path=path)
    if kind is not None:
        raise ReadError(f"this is {_KINDS[kind]}, not CSV text; export the extract as CSV",
                        path=path)
    if b"\x00" in data:
        raise ReadError("the file looks binary, not CSV text (it holds NUL bytes); export the "
                        "extract as CSV", path=path)

    try:
        data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        if data.startswith(codecs.BOM_UTF8):
            raise ReadError(
                f"the file says it is UTF-8 but line {_line_of(data, utf8_error.start):,} holds "
                "bytes that are not valid UTF-8; export the extract again as 'CSV UTF-8'",
                path=path) from None
        try:
            data = data.decode("cp1252").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise ReadError(
                f"the file is neither UTF-8 nor Windows-1252 text (line "
                f"{_line_of(data, exc.start):,} holds bytes that cannot be decoded: byte "
                f"{exc.start + 1:,}); save it from Excel as 'CSV UTF-8 (Comma delimited)'",
                path=path) from None

    if not _NOT_BLANK.search(data, len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0):
        raise ReadError("the file holds only blank lines: there is no header row and no data; "
                        "export the extract again", path=path)
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
    _refuse_other_separators(headers, path)
    body = grid.iloc[1:]
    body.index = pd.RangeIndex(2, len(body) + 2)
    return headers, body


#: What a sniffed file is, for messages.
_KINDS = {
    "zip": "a zip file (perhaps an Excel workbook)",
    "parquet": "a Parquet file",
    "utf-16": "UTF-16 text",
    "encrypted": "a password-protected (encrypted) Office file",
    "ole": "an old-style Office file (an Excel 97-2003 .xls workbook, or a Word or Outlook file)",
    "png": "a PNG image",
    "jpeg": "a JPEG image",
    "gif": "a GIF image",
    "pdf": "a PDF document",
    "gzip": "a gzip-compressed file",
    "7z": "a 7-Zip archive",
    "rar": "a RAR archive",
    "html": "a web page (HTML: perhaps an error page saved instead of the download)",
    "rtf": "a Rich Text (RTF) document",
}

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"), (b"PAR1", "parquet"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"), (b"\x89PNG", "png"),
    (b"\xff\xd8\xff", "jpeg"), (b"GIF8", "gif"), (b"%PDF", "pdf"), (b"\x1f\x8b", "gzip"),
    (b"7z\xbc\xaf\x27\x1c", "7z"), (b"Rar!", "rar"), (b"{\\rtf", "rtf"),
)


def _sniff(data: bytes) -> str | None:
    """What the content is when it is plainly not the text of a table; ``None`` otherwise."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            if kind == "ole" and _ole_is_encrypted(data):
                return "encrypted"
            return kind
    head = data[:4096]
    if b"\x00" in head:
        even, odd = head[0::2], head[1::2]
        zeros_even, zeros_odd = even.count(0), odd.count(0)
        if zeros_odd > len(odd) * 0.3 > zeros_even or zeros_even > len(even) * 0.3 > zeros_odd:
            return "utf-16"  # UTF-16 without a byte-order mark: every other byte is zero
    start = head.removeprefix(codecs.BOM_UTF8).lstrip().lower()
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "html"
    return None


def _ole_is_encrypted(data: bytes) -> bool:
    """An OLE2 compound file holding an encrypted OOXML package (a password-protected .xlsx)."""
    return "EncryptedPackage".encode("utf-16-le") in data[:1 << 20] or (
        "EncryptionInfo".encode("utf-16-le") in data[:1 << 20])


_NOT_BLANK = re.compile(rb"[^ \t\r\n,;]")


def _line_of(data: bytes, offset: int) -> int:
    """The 1-based line number holding byte ``offset``."""
    return data.count(b"\n", 0, offset) + 1


def _refuse_other_separators(headers: list[str], path: Path) -> None:
    """A one-column header holding semicolons or tabs: the file is not comma-separated."""
    if len(headers) != 1:
        return
    header = headers[0]
    for separator, name, why in (
        (";", "semicolons (;)", "Excel writes these where the decimal mark is a comma"),
        ("\t", "tabs", "this is Excel's 'Text (Tab delimited)'"),
        ("|", "vertical bars (|)", "some case-management systems export this way"),
    ):
        if header.count(separator) >= 1 and len(header.split(separator)) > 1:
            raise ReadError(
                f"row 1 is split by {name}, not commas ({why}); save the extract as "
                "'CSV UTF-8 (Comma delimited)', or export it with commas between values",
                path=path)


def _parse_csv_arrow(data: bytes) -> pd.DataFrame:
    """Every value as text with pyarrow.csv; blank lines kept (they number the rows)."""
    import pyarrow.csv as pacsv

    end = len(data)
    while end and data[end - 1] in b"\r\n":  # blank lines at the very end are not rows
        end -= 1
    if end < len(data):  # but keep the last row's line ending (a header alone needs it)
        end += 2 if data[end:end + 2] == b"\r\n" else 1
    table = pacsv.read_csv(
        pa.BufferReader(_arrow_buffer(data).slice(0, end)),  # Arrow-owned: see _arrow_buffer
        read_options=pacsv.ReadOptions(autogenerate_column_names=True),
        parse_options=pacsv.ParseOptions(ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(default_column_type=pa.large_string(),
                                             strings_can_be_null=False,
                                             quoted_strings_can_be_null=False,
                                             null_values=[]))
    text = pd.StringDtype("pyarrow", na_value=np.nan)
    frame = table.to_pandas(types_mapper=lambda _t: text)
    frame.columns = pd.RangeIndex(table.num_columns)
    return frame


def _parse_csv(data: bytes, path: Path) -> pd.DataFrame:
    """Parse UTF-8 CSV bytes into a grid of text, header row included (columns 0..n-1)."""
    options = dict(header=None, dtype=str, keep_default_na=False, na_filter=False)
    # pyarrow.csv is the fast path, but it refuses ragged rows (and so a blank line, read as
    # one empty value, in a file of several columns) and lets an unclosed quote swallow the
    # rest of the file (an odd number of quote characters); the C engine handles these.
    if data.count(b'"') % 2 == 0:
        try:
            return _parse_csv_arrow(data)
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
                   ) -> tuple[list[str], pd.DataFrame, str, int, dict[tuple[int, int], str]]:
    """Headers, body, sheet name, header row and unreadable cells ((row, column) -> why)."""
    kind = _sniff(data)
    if kind == "encrypted":
        raise ReadError("the workbook is password-protected (encrypted), so it cannot be read; "
                        "open it in Excel, remove the password (File > Info > Protect Workbook > "
                        "Encrypt with Password, then clear it) and save it again", path=path)
    if kind == "ole":
        raise ReadError("this is an old-style Excel 97-2003 workbook (.xls) or another older "
                        "Office file with an .xlsx name; open it in Excel and save it as an "
                        "Excel Workbook (.xlsx)", path=path)
    if kind not in (None, "zip"):
        raise ReadError(f"this is {_KINDS[kind]}, not an Excel workbook; export the extract "
                        "again", path=path)
    if kind is None:
        if _looks_like_text(data):
            raise ReadError("this is plain text (perhaps CSV), not an Excel workbook; if it is "
                            "comma-separated, rename it to .csv", path=path)
        raise ReadError("cannot be opened as an Excel workbook (the file is damaged or is "
                        "not really .xlsx); open it in Excel and save it again", path=path)

    _inspect_zip(data, path)
    try:
        book = pd.ExcelFile(io.BytesIO(data), engine="calamine")
        names = [str(n) for n in book.sheet_names]
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: BLE001 - calamine's own errors, and its panics (pyo3's
        # PanicException derives from BaseException)
        raise ReadError("cannot be opened as an Excel workbook (the file is damaged or is "
                        "not really .xlsx); open it in Excel and save it again", path=path) from None
    if not names:
        raise ReadError("the workbook has no sheets", path=path)
    listed = ", ".join(f"'{shown(n, 40)}'" for n in names[:20]) + (
        f" and {len(names) - 20} more" if len(names) > 20 else "")
    if sheet is None:
        sheet = names[0]
    elif sheet not in names:
        near = [n for n in names if n.strip().casefold() == sheet.strip().casefold()]
        hint = f" (did you mean '{shown(near[0], 40)}'?)" if near else ""
        raise ReadError(f"the workbook has no sheet named '{shown(sheet, 40)}'{hint}; its "
                        f"sheets are {listed}", path=path)

    cells = _inspect_sheet(data, path, sheet)
    try:
        grid = pd.read_excel(book, sheet_name=sheet, header=None, dtype=str,
                             na_filter=False)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: BLE001 - as above: errors and panics of the reader
        raise ReadError(f"sheet '{shown(sheet, 40)}' cannot be read; open the workbook in "
                        "Excel and save it again", path=path) from None
    grid = grid.fillna("").astype(_TEXT)
    grid.index = pd.RangeIndex(1, len(grid) + 1)  # the sheet's own row numbers
    if len(grid):
        # Cells holding dates read as "2024-01-05 00:00:00": keep the date.
        grid = grid.apply(lambda col: col.str.replace(_MIDNIGHT, r"\1", regex=True))
        filled = _nonblank_rows(grid)
        grid = grid.loc[filled.idxmax():] if filled.any() else grid.iloc[0:0]
    if grid.shape[0] == 0 or grid.shape[1] == 0:
        others = [n for n in names if n != sheet]
        hint = ""
        if others:
            listing = ", ".join(f"'{shown(n, 40)}'" for n in others[:20])
            hint = f"; the workbook's other sheets are {listing}: choose one with --sheet NAME"
        raise ReadError(f"sheet '{shown(sheet, 40)}' is empty{hint}", path=path)
    header_row = int(grid.index[0])
    headers = [str(h) for h in grid.iloc[0].tolist()]
    return headers, grid.iloc[1:], sheet, header_row, cells


def _looks_like_text(data: bytes) -> bool:
    head = data[:4096]
    if re.search(rb"[\x00-\x08\x0e-\x1f\x7f]", head):
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        cut_short = len(data) > len(head) and exc.start >= len(head) - 4
        if not cut_short:
            try:
                head.decode("cp1252")
            except UnicodeDecodeError:
                return False
    return bool(head.strip())


def _inspect_zip(data: bytes, path: Path) -> None:
    """Refuse a damaged, truncated or zip-bomb workbook before the spreadsheet library sees it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise ReadError("the workbook is damaged or incomplete (it is not a whole zip archive; "
                        "perhaps a download or copy was cut short); open it in Excel and save "
                        "it again, or export it again", path=path) from None
    total = sum(i.file_size for i in infos)
    bomb = [i for i in infos if i.file_size > 32 * 2**20
            and i.file_size > _MAX_RATIO * max(i.compress_size, 1)]
    if total > MAX_UNZIPPED_BYTES or bomb:
        raise ReadError(f"the workbook would expand to {total / 2**20:,.0f} MB when opened"
                        + (f" (compressed more than {_MAX_RATIO} to 1)" if bomb else "")
                        + ", far more than a case extract needs; it may be damaged or hostile. "
                        "Open it in Excel, check it and save it as CSV", path=path)
    if not any(i.filename.lower().startswith("xl/") for i in infos):
        raise ReadError("this zip file is not an Excel workbook (it has no 'xl/' part: perhaps "
                        "a Word or OpenDocument file, or an archive); save the extract from "
                        "Excel as .xlsx", path=path)


#: Highest compression ratio of a large workbook part (real sheets compress about 10-30 to 1).
_MAX_RATIO = 200
_CHUNK = 16 * 2**20
# Patterns start with a literal so the regex engine can skip ahead: scanning stays fast.
_CELL_REF = re.compile(rb'r="([A-Z]{1,3})([0-9]{1,7})"')
_ROW_REF = re.compile(rb'<row\s[^>]*?r="([0-9]{1,7})"')
_FORMULA_CELL = re.compile(
    rb'<c\s([^>]*)>\s*<f\b[^>]*?(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>')
_ERROR_CELL = re.compile(
    rb'<c\s([^>]*?\bt="e"[^>]*)>\s*(?:<f\b[^>]*?(?:/>|>[^<]*</f>)\s*)?(?:<v>([^<]{0,32})</v>)?')


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (letter - 64)
    return number


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rem = divmod(number - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _sheet_part(archive: zipfile.ZipFile, sheet: str) -> list[str]:
    """The zip member(s) holding ``sheet``: from workbook.xml and its relationships, else all."""
    import html
    import posixpath

    members = {i.filename: i for i in archive.infolist()}
    every = [n for n in members if n.lower().startswith("xl/worksheets/") and n.endswith(".xml")]
    try:
        book_info, rels_info = members["xl/workbook.xml"], members["xl/_rels/workbook.xml.rels"]
        if book_info.file_size > 2**24 or rels_info.file_size > 2**24:
            return every
        book, rels = archive.read(book_info), archive.read(rels_info)
    except Exception:  # noqa: BLE001 - a damaged part: fall back to checking every sheet
        return every
    attr = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')
    targets = {}
    for tag in re.finditer(rb"<(?:\w+:)?Relationship\b([^>]*)>", rels):
        found = dict(attr.findall(tag.group(1)))
        if b"Id" in found and b"Target" in found:
            targets[found[b"Id"]] = found[b"Target"].decode("utf-8", "replace")
    for tag in re.finditer(rb"<(?:\w+:)?sheet\b([^>]*)>", book):
        found = dict(attr.findall(tag.group(1)))
        name = html.unescape(found.get(b"name", b"").decode("utf-8", "replace"))
        rid = next((v for k, v in found.items() if k.endswith(b":id")), None)
        if name != sheet or rid not in targets:
            continue
        target = targets[rid]
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join("xl", target))
        return [part] if part in members else every
    return every


def _inspect_sheet(data: bytes, path: Path, sheet: str) -> dict[tuple[int, int], str]:
    """Check the extent of ``sheet`` and find formula cells without results and error cells.

    Streams the sheet's XML (never all of it in memory at once) and returns
    ``{(row, column): why}`` for unreadable cells. Raises :class:`ReadError` when the sheet
    spans more than :data:`MAX_SHEET_CELLS` cells.
    """
    max_row = max_col = refs = starts = 0
    cells: dict[tuple[int, int], str] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for part in _sheet_part(archive, sheet):
                with archive.open(part) as stream:
                    carry = b""
                    while True:
                        block = stream.read(_CHUNK)
                        buffer = carry + block
                        if block:
                            cut = max(buffer.rfind(b"</c>"), buffer.rfind(b"</row>"))
                            cut = cut if cut >= 0 else buffer.rfind(b">")
                            if cut < 0:
                                carry = buffer
                                continue
                            cut = buffer.index(b">", cut) + 1
                            piece, carry = buffer[:cut], buffer[cut:]
                        else:
                            piece, carry = buffer, b""
                        found = _CELL_REF.findall(piece)
                        refs += len(found)
                        starts += piece.count(b"<c ") + piece.count(b"<c>") + piece.count(b"<c/>")
                        if found:
                            letters = {c for c, _ in found}
                            max_col = max(max_col, *(_column_number(c) for c in letters))
                            max_row = max(max_row, *(int(r) for r in {r for _, r in found}))
                        rows = _ROW_REF.findall(piece)
                        if rows:
                            max_row = max(max_row, max(int(r) for r in rows))
                        if b"<f" in piece:
                            for match in _FORMULA_CELL.finditer(piece):
                                attrs = match.group(1)
                                where = _CELL_REF.search(attrs)
                                if where and b't="str"' not in attrs:
                                    cells[(int(where.group(2)), _column_number(where.group(1)))] = \
                                        "formula"
                        if b't="e"' in piece:
                            for match in _ERROR_CELL.finditer(piece):
                                where = _CELL_REF.search(match.group(1))
                                value = (match.group(2) or b"").decode("ascii", "replace").strip()
                                if where:
                                    error = re.fullmatch(r"#[A-Z0-9/!?.]{1,12}", value)
                                    code = value if error else ""
                                    cells[(int(where.group(2)), _column_number(where.group(1)))] = \
                                        "error " + code
                        if not block:
                            break
    except ReadError:
        raise
    except Exception:  # noqa: BLE001 - BadZipFile, zlib.error, CRC and size mismatches, ...
        raise ReadError("the workbook is damaged (a part of it cannot be unzipped); open it in "
                        "Excel and save it again", path=path) from None
    # Cells without an r="A1" reference are placed one after another along their row.
    width = max_col + max(starts - refs, 0)
    if max_row * width > MAX_SHEET_CELLS:
        raise ReadError(
            f"sheet '{shown(sheet, 40)}' stretches over {max_row:,} rows by {width:,} columns "
            f"(to row {max_row:,} and column {_column_letters(width)}), more than the "
            f"{MAX_SHEET_CELLS:,} cells the suite reads from a "
            "workbook; delete the rows and columns beyond your data (or save the extract as "
            "CSV) and try again", path=path)
    return cells


def _refuse_unreadable_cells(cells: dict[tuple[int, int], str], headers: list[str],
                             header_row: int, path: Path) -> None:
    """Formula cells without results and error cells in contract columns, as problems."""
    by_column: dict[str, list[tuple[int, str]]] = {}
    for (row, col), why in sorted(cells.items()):
        if row <= header_row or col > len(headers):
            continue
        key = _column_key(headers[col - 1])
        if key not in KNOWN_COLUMNS:
            continue  # an ignored column: its values are never used
        by_column.setdefault(key, []).append((row, why))
    if not by_column:
        return
    problems: list[Problem] = []
    formulas = errors = 0
    for key in (k for k in KNOWN_COLUMNS if k in by_column):
        listed = by_column[key]
        for row, why in listed[:_MAX_CELLS_LISTED]:
            if why == "formula":
                message = ("holds a formula with no saved result, so its value cannot be read; "
                           "open the workbook in Excel and save it (Excel stores the results), "
                           "or paste the values over the formulas")
            else:
                code = why.removeprefix("error").strip()
                message = (f"holds an Excel error{f' ({code})' if code else ''}, not a value; "
                           "fix the formula or type the value")
            problems.append(Problem(row, key, message))
        if len(listed) > _MAX_CELLS_LISTED:
            rest = len(listed) - _MAX_CELLS_LISTED
            problems.append(Problem(None, key, f"… and {rest:,} more formula or error cells in "
                                    f"column '{key}'"))
        formulas += sum(1 for _, why in listed if why == "formula")
        errors += sum(1 for _, why in listed if why != "formula")
    parts = []
    if formulas:
        parts.append(f"{formulas:,} formula cell{'s' if formulas != 1 else ''} with no saved "
                     "result (the workbook was written by a program and never saved in Excel)")
    if errors:
        parts.append(f"{errors:,} Excel error value{'s' if errors != 1 else ''}")
    raise ReadError("cannot read every value: " + " and ".join(parts) + " in contract columns",
                    path=path, problems=problems)


# ------------------------------------------------------------------------------ Parquet


def _read_parquet(data: bytes, path: Path) -> tuple[list[str], pd.DataFrame]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(pa.BufferReader(_arrow_buffer(data)))
        names = [field.name for field in table.schema]
    except Exception:  # noqa: BLE001 - pyarrow raises ArrowInvalid, OSError, UnicodeDecodeError
        kind = _sniff(data)
        what = f"this is {_KINDS[kind]}, not Parquet" if kind not in (None, "parquet") else (
            "cannot be read as Parquet (the file is damaged or is not Parquet)")
        raise ReadError(f"{what}; export the extract again", path=path) from None
    headers: list[str] = []
    columns: dict[int, pd.Series] = {}
    for i, name in enumerate(names):
        if re.fullmatch(r"__index_level_\d+__", str(name)):
            continue  # a pandas index written alongside the data, not a column of the extract
        try:
            columns[len(headers)] = _arrow_to_text(table.column(i), name, i + 1, path)
        except ReadError:
            raise
        except Exception:  # noqa: BLE001 - damaged data pages surface only when read
            raise ReadError(f"{_named(name, i + 1)} cannot be read (the Parquet file is "
                            "damaged); export the extract again", path=path) from None
        headers.append(str(name))
    if not headers:
        raise ReadError("the Parquet file has no columns", path=path)
    body = pd.DataFrame(columns)
    body.index = pd.RangeIndex(2, table.num_rows + 2)
    return headers, body


def _named(header: object, position: int) -> str:
    """How a message names a column by its header: "column 'x'", or "column 3" when the header
    itself looks like an NHS number or postcode (so it is never quoted)."""
    text = str(header)
    if header_looks_like_value_identifier(text[:200]):
        return f"column {position}"
    return f"column '{shown(text)}'"


def _arrow_to_text(column, header: str, position: int, path: Path) -> pd.Series:
    """One Parquet column as text: numbers as written ("3", "2.5"), dates ISO, nulls ''."""
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
            if pa.types.is_timestamp(kind) and kind.tz is not None:
                col = pc.local_timestamp(col)  # the date as written where it was recorded
            col = pc.cast(col, pa.large_string())
            col = pc.replace_substring_regex(col, _MIDNIGHT, r"\1")
        elif pa.types.is_nested(kind):
            raise ReadError(f"{_named(header, position)} holds lists or records; the contract "
                            "needs one value a cell", path=path)
        else:
            col = pc.cast(col, pa.large_string())
    except ReadError:
        raise
    except Exception:  # noqa: BLE001 - e.g. binary that is not UTF-8
        raise ReadError(f"{_named(header, position)} has a type ({shown(kind, 40)}) that cannot "
                        "be read as text", path=path) from None
    try:
        col.validate(full=True)  # Parquet does not check that its text is UTF-8: a damaged
    except Exception:  # noqa: BLE001  file can hold bytes that break every step after this
        raise ReadError(f"{_named(header, position)} holds text that is not valid UTF-8 (the "
                        "Parquet file is damaged); export the extract again", path=path) from None
    col = pc.fill_null(col, "")
    return pd.Series(col.to_pandas(), dtype=_TEXT).reset_index(drop=True)


# ------------------------------------------------------------------------------- shared


def _arrow_buffer(data: bytes) -> pa.Buffer:
    """A copy of ``data`` in memory that Arrow owns, for pyarrow's readers.

    pyarrow finishes a read on its worker threads, and the last of them can let go of the
    source after the main thread has moved on. If the source wraps a Python object (``bytes``,
    ``BytesIO``), letting go needs the interpreter's lock; at exit the interpreter is shutting
    down, the thread is stopped and the process aborts ("terminate called without an active
    exception", exit code 134, after the right message was printed: apache/arrow#34314).
    Memory Arrow owns is freed without Python.
    """
    sink = pa.BufferOutputStream()
    sink.write(data)
    return sink.getvalue()


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


def _column_key(header: str) -> str:
    """The frame's name for a column: the contract column the header names (readable labels
    of the audit form included), else the header normalised."""
    return match_header(header) or normalise_column_name(header)


def _tidy(headers: list[str], body: pd.DataFrame, path: Path
          ) -> tuple[pd.DataFrame, dict[str, str]]:
    """Name the columns, drop blank rows and empty unnamed columns, check for clashes."""
    body = body.astype(_TEXT) if len(body.columns) else body
    keys: list[str] = []
    keep: list[int] = []
    for position, header in enumerate(headers):
        key = _column_key(header)
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
    problems = name_identifier_problems(written)
    safe = not any(header_looks_like_value_identifier(h) for h in written)
    clash_problems = []
    for key, idx in clashes.items():
        if safe:
            named = " and ".join(f"'{shown(written[i])}' (column {positions[i]})" for i in idx)
        else:
            named = " and ".join(f"column {positions[i]}" for i in idx)
        both = "both" if len(idx) == 2 else "all"
        clash_problems.append(Problem(None, shown(key), f"headers {named} {both} mean "
                                      f"'{shown(key)}' (case, spaces and punctuation are "
                                      "ignored); keep one"))
    if problems:
        raise IdentifierError("the extract carries direct identifiers: remove these columns "
                              "and export again", path=path, problems=problems + clash_problems)
    message = "two or more headers name the same column"
    if not set(keys) & set(KNOWN_COLUMNS):
        message += (" (and no header is a column of the contract: is row 1 data rather than "
                    "the column names? If so, add the header row)")
    raise ValidationError(message, path=path, problems=clash_problems)
