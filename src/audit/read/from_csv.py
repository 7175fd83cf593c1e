"""CSV extracts: UTF-8 (with or without a byte-order mark) or Windows-1252, commas only."""

from __future__ import annotations

import codecs
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from audit.errors import ReadError
from audit.read.sniff import KINDS, arrow_buffer, line_of, sniff

__all__ = ["read_csv"]


# --------------------------------------------------------------------------------- CSV


def read_csv(data: bytes, path: Path) -> tuple[list[str], pd.DataFrame]:
    kind = sniff(data)
    if kind == "zip":
        raise ReadError(
            "this is an Excel workbook (or another zip file) with a .csv name; "
            "rename it to .xlsx, or save it from Excel as CSV",
            path=path,
        )
    if kind == "parquet":
        raise ReadError("this is a Parquet file with a .csv name; rename it to .parquet", path=path)
    if kind == "utf-16":
        raise ReadError(
            "the file is UTF-16 text (Excel's 'Unicode Text'); save it from Excel "
            "as 'CSV UTF-8 (Comma delimited)'",
            path=path,
        )
    if kind in ("encrypted", "ole"):
        raise ReadError(
            f"this is {KINDS[kind]}, not CSV text; open it in Excel and save it "
            "as 'CSV UTF-8 (Comma delimited)'",
            path=path,
        )
    if kind is not None:
        raise ReadError(
            f"this is {KINDS[kind]}, not CSV text; export the extract as CSV", path=path
        )
    if b"\x00" in data:
        raise ReadError(
            "the file looks binary, not CSV text (it holds NUL bytes); export the extract as CSV",
            path=path,
        )

    try:
        data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        if data.startswith(codecs.BOM_UTF8):
            raise ReadError(
                f"the file says it is UTF-8 but line {line_of(data, utf8_error.start):,} holds "
                "bytes that are not valid UTF-8; export the extract again as 'CSV UTF-8'",
                path=path,
            ) from None
        try:
            data = data.decode("cp1252").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise ReadError(
                f"the file is neither UTF-8 nor Windows-1252 text (line "
                f"{line_of(data, exc.start):,} holds bytes that cannot be decoded: byte "
                f"{exc.start + 1:,}); save it from Excel as 'CSV UTF-8 (Comma delimited)'",
                path=path,
            ) from None

    if not _NOT_BLANK.search(data, len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0):
        raise ReadError(
            "the file holds only blank lines: there is no header row and no data; "
            "export the extract again",
            path=path,
        )
    grid = _parse_csv(data, path)
    if grid.shape[0] == 0 or grid.shape[1] == 0:
        raise ReadError("the file has no header row; row 1 must hold the column names", path=path)
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
_NOT_BLANK = re.compile(rb"[^ \t\r\n,;]")


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
                path=path,
            )


def _parse_csv_arrow(data: bytes) -> pd.DataFrame:
    """Every value as text with pyarrow.csv; blank lines kept (they number the rows)."""
    import pyarrow.csv as pacsv

    end = len(data)
    while end and data[end - 1] in b"\r\n":  # blank lines at the very end are not rows
        end -= 1
    if end < len(data):  # but keep the last row's line ending (a header alone needs it)
        end += 2 if data[end : end + 2] == b"\r\n" else 1
    table = pacsv.read_csv(
        pa.BufferReader(arrow_buffer(data).slice(0, end)),  # Arrow-owned: see _arrow_buffer
        read_options=pacsv.ReadOptions(autogenerate_column_names=True),
        parse_options=pacsv.ParseOptions(ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(
            default_column_type=pa.large_string(),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            null_values=[],
        ),
    )
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
        return pd.read_csv(io.BytesIO(data), engine="c", skip_blank_lines=False, **options)
    except pd.errors.EmptyDataError:
        raise ReadError(
            "the file has no header row; row 1 must hold the column names", path=path
        ) from None
    except Exception as exc:  # noqa: BLE001 - parser errors become analyst messages
        raise ReadError(f"cannot be read as CSV: {_parser_message(exc)}", path=path) from None


def _parser_message(exc: Exception) -> str:
    """An analyst-facing version of a CSV parser error, never quoting file content."""
    text = str(exc)
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if m:
        return (
            f"line {m.group(2)} has {m.group(3)} values but the header has {m.group(1)}; "
            "check for unquoted commas in that line"
        )
    m = re.search(r"EOF inside string starting at row (\d+)", text)
    if m:
        return (
            f"a quoted value starting on line {int(m.group(1)) + 1} is never closed; "
            'check for a stray double quote (")'
        )
    return (
        f"the CSV structure is broken ({type(exc).__name__}); open it in Excel and save as "
        "CSV again"
    )
