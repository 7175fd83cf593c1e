"""Property tests: whatever the input, reading either works or raises an AuditError.

Two families of inputs, each written as CSV, an Excel workbook and Parquet:

* generated tables: columns drawn from the contract's names (as written by analysts, in
  any case and spacing) and junk names, cells of random text, numbers, booleans, dates,
  blanks and the contract's own values;
* bytes: arbitrary byte strings, and valid workbooks and Parquet files with bytes flipped,
  cut short or spliced (the shapes of damage a real download or disk gives).

Each goes to :func:`audit.intake.read.read_extract` and :func:`audit.intake.validate.load_extract`. They
must either succeed, and then the frames have the documented types (text cells and
spreadsheet row numbers; the contract's dtypes in the cases frame), or raise a subclass of
:class:`audit.errors.AuditError`: never a KeyError, a UnicodeDecodeError, a
zipfile.BadZipFile or a crash in a parsing library. ``tests/test_validate.py`` holds the
first, CSV-only versions of these (bytes, and rows under a good header); this file extends
them to every format and to generated headers. Each test runs at most 100 examples.
"""

from __future__ import annotations

import datetime as dt
import io
import string
import warnings

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from audit.contract import (
    FLAG_COLUMNS,
    FLAG_LEVELS,
    HARMED_BY_CODES,
    INCIDENT_TYPE_CODES,
    KNOWN_COLUMNS,
    KNOWN_TO_CODES,
    MAX_IN_SCOPE_AGE_MONTHS,
    REQUIRED_COLUMNS,
)
from audit.errors import AuditError
from audit.intake.read import read_extract
from audit.intake.validate import load_extract
from conftest import TODAY

SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])
FORMATS = ("csv", "xlsx", "parquet")

# ----------------------------------------------------------------------- what is checked


def check_raw(raw) -> None:
    frame = raw.frame
    assert frame.index.name == "row"
    assert frame.index.dtype == np.int64
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert (frame.index >= 2).all()
    assert all(pd.api.types.is_string_dtype(t) for t in frame.dtypes)
    assert list(raw.headers) == list(frame.columns)
    assert len(raw.sha256) == 64


def check_cases(extract) -> None:
    cases = extract.cases
    assert cases.index.name == "row" and cases.index.dtype == np.int64
    assert list(cases.columns[:5]) == list(REQUIRED_COLUMNS)
    assert list(cases.columns) == [c for c in KNOWN_COLUMNS if c in cases.columns]
    assert cases["case_id"].dtype == "str"
    assert (cases["case_id"] != "").all() and cases["case_id"].is_unique
    assert cases["notification_date"].dtype == np.dtype("datetime64[ns]")
    assert cases["notification_date"].notna().all()
    assert (cases["notification_date"] <= pd.Timestamp(TODAY)).all()
    assert cases["child_age_months"].dtype == np.dtype("int64")
    assert cases["child_age_months"].between(0, MAX_IN_SCOPE_AGE_MONTHS).all()
    for column, codes in (("harmed_by", HARMED_BY_CODES), ("known_to", KNOWN_TO_CODES),
                          ("incident_type", INCIDENT_TYPE_CODES),
                          *((flag, FLAG_LEVELS) for flag in FLAG_COLUMNS)):
        if column in cases.columns:
            assert isinstance(cases[column].dtype, pd.CategoricalDtype), column
            assert cases[column].cat.categories.tolist() == list(codes), column
            assert cases[column].notna().all(), column
    if "partnership" in cases.columns:
        assert cases["partnership"].dtype == "str"
        assert (cases["partnership"] != "").all()
    if "father_age_at_birth" in cases.columns:
        assert cases["father_age_at_birth"].dtype == "Int64"
    assert len(cases) >= 1
    assert len(cases) + len(extract.excluded) == extract.rows_read
    assert list(extract.excluded.columns) == ["row", "reason"]


def read_or_refuse(path) -> None:
    """The property itself: success with the documented types, or an AuditError."""
    try:
        raw = read_extract(path)
    except AuditError:
        pass
    else:
        check_raw(raw)
    try:
        extract = load_extract(path, today=TODAY)
    except AuditError as error:
        assert str(error).startswith(f"{path.name}: ")
    else:
        check_cases(extract)


# ------------------------------------------------------------------- generated tables

_SPELLINGS = [
    *KNOWN_COLUMNS, "Case ID", " CASE ID ", "Notification Date", "Child Age (Months)",
    "Harmed by", "known-to", "Father seen", "Domestic abuse\u00a0", "Partnership",
]
_JUNK = ["notes", "Team", "", " ", "Unnamed: 3", "x", "Comments", "Worker", "DOB", "Surname",
         "Q1", "2024-01-05", "yes", "#", "Ünïcödé", "a;b", "tab\there"]
_VALUES = ["", " ", "yes", "No", "Y", "n", "TRUE", "0", "1", "unknown", "Not known", "maybe",
           "birth_father", "Birth father", "Mother's partner", "stepfather", "uncle", "none",
           "universal", "Early Help", "child in need", "CPP", "death", "serious_harm",
           "2024-01-05", "05/02/2024", "31/02/2024", "2099-01-01", "2017-01-01", "45292",
           "3", "3.0", "11", "12", "-1", "2.5", "x,y", '"', "C-1", "C-2", "\u00a0yes",
           "943 476 5919", "SW1A 1AA", "Northbridge", "=1+1", "#N/A"]

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


def _column(kind: str, rows: int):
    """A list of ``rows`` cells of one kind (Parquet needs one type a column)."""
    if kind == "values":
        return st.lists(st.sampled_from(_VALUES) | _text, min_size=rows, max_size=rows)
    if kind == "ints":
        return st.lists(st.integers(-3, 30) | st.none(), min_size=rows, max_size=rows)
    if kind == "floats":
        return st.lists(st.floats(allow_infinity=True, allow_nan=True, width=32) | st.none(),
                        min_size=rows, max_size=rows)
    if kind == "bools":
        return st.lists(st.booleans() | st.none(), min_size=rows, max_size=rows)
    return st.lists(st.dates(dt.date(1890, 1, 1), dt.date(2030, 12, 31)) | st.none(),
                    min_size=rows, max_size=rows)


@st.composite
def tables(draw) -> pd.DataFrame:
    names = draw(st.lists(st.sampled_from(_SPELLINGS) | st.sampled_from(_JUNK), min_size=1,
                          max_size=9, unique=True))
    if draw(st.booleans()):  # often start from the required columns, so validation runs deep
        names = list(dict.fromkeys([*REQUIRED_COLUMNS, *names]))
    rows = draw(st.integers(0, 8))
    columns = {}
    for name in names:
        kind = draw(st.sampled_from(["values", "values", "values", "ints", "floats", "bools",
                                     "dates"]))
        columns[name] = draw(_column(kind, rows))
    return pd.DataFrame(columns)


def _write(frame: pd.DataFrame, path, fmt: str) -> None:
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(list(frame.columns))
        for record in frame.itertuples(index=False, name=None):
            sheet.append([None if v is None or (isinstance(v, float) and np.isnan(v)) else v
                          for v in record])
        book.save(path)
    else:
        frame = frame.copy()
        for name in frame.columns:
            if frame[name].map(type).isin([dt.date]).any():
                frame[name] = pd.array(frame[name], dtype=pd.ArrowDtype(pa.date32()))
        frame.to_parquet(path, index=False)


@pytest.mark.parametrize("fmt", FORMATS)
@SETTINGS
@given(frame=tables())
def test_generated_tables_read_or_raise_an_audit_error(tmp_path, fmt, frame):
    path = tmp_path / f"extract.{fmt}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _write(frame, path, fmt)
    except (ValueError, TypeError, pa.ArrowException,
            openpyxl.utils.exceptions.IllegalCharacterError):
        assume(False)  # the writer cannot express this table; nothing to read
    read_or_refuse(path)


# ------------------------------------------------------------------------------- bytes


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet", ".xlsm"])
@SETTINGS
@given(content=st.binary(max_size=2000))
def test_arbitrary_bytes_in_every_format_read_or_raise_an_audit_error(tmp_path, suffix,
                                                                    content):
    # .csv is covered by tests/test_validate.py::test_arbitrary_bytes_either_load_or_raise...
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(content)
    read_or_refuse(path)


def _valid_files() -> dict[str, bytes]:
    header = ["case_id", "notification_date", "child_age_months", "harmed_by", "known_to",
              "domestic_abuse"]
    rows = [["C-1", dt.datetime(2024, 1, 5), 3, "birth_father", "universal", "yes"],
            ["C-2", dt.datetime(2024, 2, 6), 14, "stepfather", "early_help", "no"],
            ["C-3", dt.datetime(2024, 3, 7), 0, "unknown", "none", None]]
    book = openpyxl.Workbook()
    book.active.title = "Cases"
    book.active.append(header)
    for row in rows:
        book.active.append(row)
    xlsx = io.BytesIO()
    book.save(xlsx)
    parquet = io.BytesIO()
    pq.write_table(pa.table({name: [r[i] for r in rows] for i, name in enumerate(header)}),
                   parquet)
    def cell(value) -> str:
        return "" if value is None else (f"{value:%Y-%m-%d}" if isinstance(value, dt.datetime)
                                         else str(value))

    text = "\n".join(",".join(map(cell, r)) for r in [header, *rows]) + "\n"
    return {".xlsx": xlsx.getvalue(), ".parquet": parquet.getvalue(), ".csv": text.encode()}


VALID = _valid_files()


@st.composite
def damaged(draw, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        how = draw(st.sampled_from(["flip", "cut", "splice", "zero"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if how == "flip":
            data[at] ^= draw(st.integers(1, 255))
        elif how == "cut":
            del data[at:]
        elif how == "splice":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        else:
            end = min(len(data), at + draw(st.integers(1, 256)))
            data[at:end] = bytes(end - at)
    return bytes(data)


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet", ".csv"])
@SETTINGS
@given(data=st.data())
def test_damaged_files_read_or_raise_an_audit_error(tmp_path, suffix, data):
    path = tmp_path / f"damaged{suffix}"
    path.write_bytes(data.draw(damaged(VALID[suffix])))
    read_or_refuse(path)


def test_the_undamaged_files_are_valid(tmp_path):
    for suffix, content in VALID.items():
        path = tmp_path / f"valid{suffix}"
        path.write_bytes(content)
        extract = load_extract(path, today=TODAY, allow_missing="all")
        check_cases(extract)
        assert extract.cases["case_id"].tolist() == ["C-1", "C-3"]


@SETTINGS
@given(text=st.text(alphabet=string.printable + "\u00a0\u200b\ufeff;\t|\"'é’", max_size=300))
def test_arbitrary_text_as_csv_reads_or_raises_an_audit_error(tmp_path, text):
    path = tmp_path / "text.csv"
    path.write_text(text, encoding="utf-8")
    read_or_refuse(path)
