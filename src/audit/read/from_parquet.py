"""Parquet extracts: every column turned to text as a CSV export would write it."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow as pa

from audit.errors import ReadError
from audit.extract import TEXT_DTYPE, shown
from audit.guard import header_looks_like_value_identifier
from audit.read.sniff import KINDS, MIDNIGHT, arrow_buffer, sniff

__all__ = ["read_parquet"]

_TEXT = TEXT_DTYPE


# ------------------------------------------------------------------------------ Parquet


def read_parquet(data: bytes, path: Path) -> tuple[list[str], pd.DataFrame]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(pa.BufferReader(arrow_buffer(data)))
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
