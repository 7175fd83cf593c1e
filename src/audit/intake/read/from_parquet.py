"""Parquet extracts: every column turned to text as a CSV export would write it."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from audit.errors import ReadError
from audit.intake.extract import TEXT_DTYPE, shown
from audit.intake.guard import header_looks_like_value_identifier
from audit.intake.read.sniff import KINDS, MIDNIGHT, arrow_buffer, sniff

__all__ = ["read_parquet"]

_TEXT = TEXT_DTYPE


# ------------------------------------------------------------------------------ Parquet


def read_parquet(
    data: bytes, path: Path, *, categorical: bool = False
) -> tuple[list[str], pd.DataFrame]:
    """The column names and the cells of a Parquet extract, every cell text.

    With ``categorical``, text columns whose values repeat are read dictionary-encoded and
    come back as Categoricals of ``str`` (see :func:`_repeating_text_columns`).
    """
    import pyarrow.parquet as pq

    try:
        source = arrow_buffer(data)
        encode = _repeating_text_columns(source) if categorical else []
        table = pq.read_table(pa.BufferReader(source), read_dictionary=encode or None)
        names = [field.name for field in table.schema]
    except Exception:  # noqa: BLE001 - pyarrow raises ArrowInvalid, OSError, UnicodeDecodeError
        kind = sniff(data)
        what = (
            f"this is {KINDS[kind]}, not Parquet"
            if kind not in (None, "parquet")
            else ("cannot be read as Parquet (the file is damaged or is not Parquet)")
        )
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
            raise ReadError(
                f"{_named(name, i + 1)} cannot be read (the Parquet file is "
                "damaged); export the extract again",
                path=path,
            ) from None
        headers.append(str(name))
    if not headers:
        raise ReadError("the Parquet file has no columns", path=path)
    body = pd.DataFrame(columns)
    body.index = pd.RangeIndex(2, table.num_rows + 2)
    return headers, body


#: Rows of a Parquet file looked at to choose the columns read dictionary-encoded.
_SAMPLE_ROWS = 2_000


def _repeating_text_columns(source: pa.Buffer) -> list[str]:
    """Text columns whose first rows repeat (flags, codes): read dictionary-encoded, so that
    validation works on their few distinct values. A mostly distinct column (``case_id``)
    is read as plain text. The choice changes only the speed, never a value."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(pa.BufferReader(source))
        text = [
            f.name
            for f in handle.schema_arrow
            if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
        ]
        if not text:
            return []
        first = next(handle.iter_batches(batch_size=_SAMPLE_ROWS, columns=text), None)
    except Exception:  # noqa: BLE001 - the full read says what is wrong with the file
        return []
    if first is None or first.num_rows < _SAMPLE_ROWS:
        return text  # a small file: every text column
    return [
        name
        for name, column in zip(first.schema.names, first.columns, strict=True)
        if pc.count_distinct(column).as_py() <= 0.5 * first.num_rows
    ]


def _named(header: object, position: int) -> str:
    """How a message names a column by its header: "column 'x'", or "column 3" when the header
    itself looks like an NHS number or postcode (so it is never quoted)."""
    text = str(header)
    if header_looks_like_value_identifier(text[:200]):
        return f"column {position}"
    return f"column '{shown(text)}'"


def _dictionary_to_categorical(column: pa.ChunkedArray) -> pd.Series:
    """A dictionary-encoded text column as a Categorical of ``str``; a null is ``''``."""
    import pyarrow.compute as pc

    chunks = pa.chunked_array(column.chunks, type=column.type).unify_dictionaries().chunks
    dictionary = (
        chunks[0].dictionary.cast(pa.large_string())
        if chunks
        else pa.array([], type=pa.large_string())
    )
    codes = (
        np.concatenate(
            [pc.fill_null(c.indices, -1).to_numpy(zero_copy_only=False) for c in chunks]
        ).astype(np.int64)
        if chunks
        else np.array([], dtype=np.int64)
    )
    categories = pd.Index(pd.array(dictionary, dtype=pd.StringDtype("pyarrow", na_value=np.nan)))
    if (codes < 0).any():  # nulls read as empty cells, as in every other column
        blank = categories.get_indexer([""])[0]
        if blank < 0:
            categories = categories.append(pd.Index([""], dtype=_TEXT))
            blank = len(categories) - 1
        codes[codes < 0] = blank
    return pd.Series(
        pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories), validate=False)
    )


def _arrow_to_text(column, header: str, position: int, path: Path) -> pd.Series:
    """One Parquet column as text: numbers as written ("3", "2.5"), dates ISO, nulls ''."""
    import pyarrow.compute as pc

    if pa.types.is_dictionary(column.type) and (
        pa.types.is_string(column.type.value_type)
        or pa.types.is_large_string(column.type.value_type)
    ):
        try:
            for chunk in column.chunks:
                chunk.validate(full=True)  # text that is not UTF-8: refused as below
        except Exception:  # noqa: BLE001
            raise ReadError(
                f"{_named(header, position)} holds text that is not valid UTF-8 (the "
                "Parquet file is damaged); export the extract again",
                path=path,
            ) from None
        return _dictionary_to_categorical(column)
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
            col = pc.replace_substring_regex(col, MIDNIGHT, r"\1")
        elif pa.types.is_nested(kind):
            raise ReadError(
                f"{_named(header, position)} holds lists or records; the contract "
                "needs one value a cell",
                path=path,
            )
        else:
            col = pc.cast(col, pa.large_string())
    except ReadError:
        raise
    except Exception:  # noqa: BLE001 - e.g. binary that is not UTF-8
        raise ReadError(
            f"{_named(header, position)} has a type ({shown(kind, 40)}) that cannot "
            "be read as text",
            path=path,
        ) from None
    try:
        col.validate(full=True)  # Parquet does not check that its text is UTF-8: a damaged
    except Exception:  # noqa: BLE001  file can hold bytes that break every step after this
        raise ReadError(
            f"{_named(header, position)} holds text that is not valid UTF-8 (the "
            "Parquet file is damaged); export the extract again",
            path=path,
        ) from None
    col = pc.fill_null(col, "")
    return pd.Series(col.to_pandas(), dtype=_TEXT).reset_index(drop=True)
