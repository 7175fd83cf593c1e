"""What a file is, whatever its name says, and the helpers every reader shares."""

from __future__ import annotations

import codecs
import re

import pandas as pd
import pyarrow as pa

from audit.contract import match_header, normalise_column_name

__all__ = [
    "KINDS",
    "MIDNIGHT",
    "sniff",
    "ole_is_encrypted",
    "looks_like_text",
    "line_of",
    "arrow_buffer",
    "nonblank_rows",
    "column_key",
]

#: A workbook cell holding a date reads as "2024-01-05 00:00:00": the date is kept.
MIDNIGHT = r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00(?:\.0+)?$"


KINDS = {
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
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"PAR1", "parquet"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    (b"\x89PNG", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF8", "gif"),
    (b"%PDF", "pdf"),
    (b"\x1f\x8b", "gzip"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!", "rar"),
    (b"{\\rtf", "rtf"),
)


def sniff(data: bytes) -> str | None:
    """What the content is when it is plainly not the text of a table; ``None`` otherwise."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            if kind == "ole" and ole_is_encrypted(data):
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


def ole_is_encrypted(data: bytes) -> bool:
    """An OLE2 compound file holding an encrypted OOXML package (a password-protected .xlsx)."""
    return "EncryptedPackage".encode("utf-16-le") in data[: 1 << 20] or (
        "EncryptionInfo".encode("utf-16-le") in data[: 1 << 20]
    )


# ------------------------------------------------------------------------------- shared


def line_of(data: bytes, offset: int) -> int:
    """The 1-based line number holding byte ``offset``."""
    return data.count(b"\n", 0, offset) + 1


def arrow_buffer(data: bytes) -> pa.Buffer:
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


def nonblank_rows(grid: pd.DataFrame) -> pd.Series:
    """True for rows with at least one non-empty cell (vectorised; cheap when few are blank)."""
    if grid.shape[1] == 0:
        return pd.Series(False, index=grid.index)
    first_blank = grid.iloc[:, 0].eq("").to_numpy()
    result = ~first_blank
    if first_blank.any():
        candidates = grid.loc[first_blank]
        result[first_blank] = candidates.ne("").any(axis=1).to_numpy()
    return pd.Series(result, index=grid.index)


def looks_like_text(data: bytes) -> bool:
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


def column_key(header: str) -> str:
    """The frame's name for a column: the contract column the header names (readable labels
    of the audit form included), else the header normalised."""
    return match_header(header) or normalise_column_name(header)
