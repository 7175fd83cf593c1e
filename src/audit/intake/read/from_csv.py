"""CSV extracts: UTF-8 (with or without a byte-order mark) or Windows-1252, commas only."""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from audit.errors import ReadError
from audit.intake.read.sniff import KINDS, arrow_buffer, line_of, sniff

__all__ = ["read_csv"]


# --------------------------------------------------------------------------------- CSV


#: Bytes of a file looked at a time by the checks that scan the whole of it.
_CHUNK = 1 << 24


def _chunks(data: bytes | pa.Buffer) -> Iterator[bytes]:
    """The file's bytes in pieces of :data:`_CHUNK` (all at once when they are ``bytes``)."""
    if isinstance(data, bytes):
        yield data
        return
    for start in range(0, data.size, _CHUNK):
        yield data.slice(start, min(_CHUNK, data.size - start)).to_pybytes()


@dataclass(frozen=True)
class _Scan:
    """What one pass over the whole file tells: plain ASCII, any NUL byte, how many quotes."""

    ascii: bool
    nul: bool
    quotes: int


def _scan(data: bytes | pa.Buffer) -> _Scan:
    ascii_, nul, quotes = True, False, 0
    for piece in _chunks(data):
        ascii_ = ascii_ and piece.isascii()
        nul = nul or b"\x00" in piece
        quotes += piece.count(b'"') if b'"' in piece else 0
    return _Scan(ascii_, nul, quotes)


def read_csv(
    data: bytes | pa.Buffer, path: Path, *, categorical: bool = False
) -> tuple[list[str], pd.DataFrame]:
    """The header row and the body of a CSV extract, every cell text (``''`` when empty).

    ``data`` is the file's bytes, or a buffer Arrow owns (:func:`audit.intake.read.read_extract`
    reads a CSV file straight into one, so pyarrow parses it without a copy); a file that
    is not plain ASCII is looked at as ``bytes``, as it always was.

    With ``categorical``, columns whose values repeat come back as Categoricals of ``str``,
    dictionary-encoded by pyarrow while it parses (see :func:`_column_types`); the body may
    then mix Categorical and ``str`` columns.
    """
    scan = _scan(data)
    if isinstance(data, pa.Buffer) and not scan.ascii:
        data = data.to_pybytes()
    _refuse_other_kinds(data, scan, path)
    data = _utf8(data, scan, path)
    if isinstance(data, bytes):
        bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
        blank = not _NOT_BLANK.search(data, bom)
    else:  # ASCII: no byte-order mark
        blank = not any(_NOT_BLANK.search(c) for c in _chunks(data))
    if blank:
        raise ReadError(
            "the file holds only blank lines: there is no header row and no data; "
            "export the extract again",
            path=path,
        )
    grid = _parse_csv(data, path, categorical=categorical, quotes=scan.quotes)
    if grid.shape[0] == 0 or grid.shape[1] == 0:
        raise ReadError("the file has no header row; row 1 must hold the column names", path=path)
    headers = [str(h) for h in grid.iloc[0].tolist()]
    if headers:
        headers[0] = headers[0].removeprefix("\ufeff")
    if not any(h.strip() for h in headers):
        raise ReadError("row 1 is blank; the first row must hold the column names", path=path)
    _refuse_other_separators(headers, path)
    body = _without_header_values(grid)
    body.index = pd.RangeIndex(2, len(body) + 2)
    return headers, body


def _refuse_other_kinds(data: bytes | pa.Buffer, scan: _Scan, path: Path) -> None:
    """A :class:`~audit.errors.ReadError` for a file that is not CSV text (a workbook,
    Parquet, UTF-16, an encrypted or binary file), saying how to save it as CSV."""
    kind = sniff(data if isinstance(data, bytes) else next(_chunks(data)))  # the first MiB
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
    if scan.nul:
        raise ReadError(
            "the file looks binary, not CSV text (it holds NUL bytes); export the extract as CSV",
            path=path,
        )


def _utf8(data: bytes | pa.Buffer, scan: _Scan, path: Path) -> bytes | pa.Buffer:
    """``data`` as UTF-8: as it stands when it is, else decoded as Windows-1252 (Excel's
    "CSV" on Windows), else a :class:`~audit.errors.ReadError` naming the line."""
    try:
        # ASCII is UTF-8 (an Arrow buffer here is ASCII): a check ten times cheaper than decoding
        if isinstance(data, bytes) and not scan.ascii:
            data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        assert isinstance(data, bytes)
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
    return data


def _without_header_values(grid: pd.DataFrame) -> pd.DataFrame:
    """The rows after the header; a categorical column loses the header's category when no
    other row holds it (its categories are then exactly its values)."""
    body = grid.iloc[1:]
    columns: dict[object, pd.Series] = {}
    for key in grid.columns:
        column = body[key]
        if isinstance(column.dtype, pd.CategoricalDtype):
            header = int(grid[key].cat.codes.iat[0])
            codes = column.cat.codes.to_numpy()
            if header >= 0 and not (codes == header).any():
                categories = column.cat.categories.delete(header)
                column = pd.Series(
                    pd.Categorical.from_codes(
                        codes - (codes > header).astype(codes.dtype),
                        dtype=pd.CategoricalDtype(categories),
                        validate=False,
                    ),
                    index=column.index,
                )
        columns[key] = column
    return pd.DataFrame(columns, index=body.index, columns=grid.columns)


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


#: Bytes at the start of a file parsed first to choose each column's type.
_SAMPLE_BYTES = 1 << 18
#: Rows of that sample below which every column is dictionary-encoded (a small file).
_SAMPLE_ROWS = 1_000
#: A column more than this share distinct in the sample is read as plain text (an id).
_DISTINCT_SHARE = 0.5


def _arrow_options(
    column_types: dict[str, pa.DataType] | None = None,
) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions]:
    """Every value as text, exactly as written: no nulls, no type inference, blank lines kept
    (they number the rows)."""
    return (
        pacsv.ReadOptions(autogenerate_column_names=True),
        pacsv.ParseOptions(ignore_empty_lines=False),
        pacsv.ConvertOptions(
            column_types=column_types or {},
            default_column_type=pa.large_string(),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            null_values=[],
        ),
    )


def _column_types(source: pa.Buffer) -> dict[str, pa.DataType]:
    """Dictionary-encode every column whose values repeat, judged on the first rows.

    A flag column holds a handful of spellings, so pyarrow encodes it as a dictionary while
    it parses (on its own threads) and every later step works on the dictionary and its
    indices. A column of mostly distinct values (``case_id``) stays plain text: a dictionary
    as long as the column buys nothing. The sample is the first :data:`_SAMPLE_BYTES` up to a
    line ending; a file no longer than that is small and every column is encoded. The choice
    changes only the speed, never a value: a wrong guess still reads every cell as written.
    """
    sample = source
    if source.size > _SAMPLE_BYTES:
        head = source.slice(0, _SAMPLE_BYTES).to_pybytes()
        cut = head.rfind(b"\n")
        if cut > 0:
            sample = source.slice(0, cut + 1)
    try:
        table = pacsv.read_csv(pa.BufferReader(sample), *_arrow_options())
    except pa.ArrowException:
        return {}  # the full parse will fail too, and fall back to the C engine
    encode = pa.dictionary(pa.int32(), pa.large_string())
    if sample is source or table.num_rows < _SAMPLE_ROWS:
        return dict.fromkeys(table.column_names, encode)
    rows = table.num_rows
    return {
        name: encode
        for name, column in zip(table.column_names, table.columns, strict=True)
        if pc.count_distinct(column).as_py() <= _DISTINCT_SHARE * rows
    }


def _to_frame(table: pa.Table) -> pd.DataFrame:
    """A parsed table as a frame: dictionary columns as Categoricals of ``str``, the others
    as ``str``. Each chunk of a dictionary column has its own dictionary: they are unified
    first, so one set of categories serves the whole column."""
    table = table.unify_dictionaries()
    text = pd.StringDtype("pyarrow", na_value=np.nan)
    columns: dict[int, pd.Series | pd.Categorical] = {}
    for i, column in enumerate(table.columns):
        if pa.types.is_dictionary(column.type):
            chunks = column.chunks
            dictionary = (
                chunks[0].dictionary if chunks else pa.array([], type=column.type.value_type)
            )
            codes = (
                np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in chunks])
                if chunks
                else np.array([], dtype=np.int32)
            )
            categories = pd.Index(pd.array(dictionary, dtype=text))
            columns[i] = pd.Categorical.from_codes(
                codes, dtype=pd.CategoricalDtype(categories), validate=False
            )
        else:
            columns[i] = column.combine_chunks().to_pandas(types_mapper=lambda _t: text)
    frame = pd.DataFrame(columns)
    frame.columns = pd.RangeIndex(table.num_columns)
    return frame


def _parse_csv_arrow(data: bytes | pa.Buffer, *, categorical: bool) -> pd.DataFrame:
    """Every value as text with pyarrow.csv; blank lines kept (they number the rows)."""
    view = memoryview(data)
    end = len(view)
    while end and view[end - 1] in b"\r\n":  # blank lines at the very end are not rows
        end -= 1
    if end < len(view):  # but keep the last row's line ending (a header alone needs it)
        end += 2 if bytes(view[end : end + 2]) == b"\r\n" else 1
    view.release()
    # Arrow-owned memory: see arrow_buffer
    source = (data if isinstance(data, pa.Buffer) else arrow_buffer(data)).slice(0, end)
    types = _column_types(source) if categorical else {}
    table = pacsv.read_csv(pa.BufferReader(source), *_arrow_options(types))
    return _to_frame(table)


def _parse_csv(
    data: bytes | pa.Buffer, path: Path, *, categorical: bool = False, quotes: int | None = None
) -> pd.DataFrame:
    """Parse UTF-8 CSV bytes into a grid of text, header row included (columns 0..n-1).

    ``quotes`` is the number of double quotes in ``data``, when already counted."""
    options = dict(header=None, dtype=str, keep_default_na=False, na_filter=False)
    # pyarrow.csv is the fast path, but it refuses ragged rows (and so a blank line, read as
    # one empty value, in a file of several columns) and lets an unclosed quote swallow the
    # rest of the file (an odd number of quote characters); the C engine handles these.
    if quotes is None:
        quotes = _scan(data).quotes
    if quotes % 2 == 0:
        try:
            return _parse_csv_arrow(data, categorical=categorical)
        except Exception:  # noqa: BLE001 - fall back to the C engine, whose errors are clearer
            pass
    if isinstance(data, pa.Buffer):
        data = data.to_pybytes()
    try:
        grid = pd.read_csv(io.BytesIO(data), engine="c", skip_blank_lines=False, **options)
    except pd.errors.EmptyDataError:
        raise ReadError(
            "the file has no header row; row 1 must hold the column names", path=path
        ) from None
    except Exception as exc:  # noqa: BLE001 - parser errors become analyst messages
        raise ReadError(f"cannot be read as CSV: {_parser_message(exc)}", path=path) from None
    return grid.fillna("")


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
