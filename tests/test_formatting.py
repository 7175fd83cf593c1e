"""audit.formatting: how published figures are written (DfE symbols, rounding half up, CSV
text that a spreadsheet cannot run). Every expected string is written out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.formatting import (
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    SUPPRESSED,
    as_number,
    csv_text,
    format_count,
    format_percent,
    is_suppressed,
    plural,
    quarters_text,
)

c = SUPPRESSED
NA = np.nan


def test_the_dfe_symbols() -> None:
    assert (SUPPRESSED, NOT_AVAILABLE, NOT_APPLICABLE) == ("c", ":", "z")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.6413, "64.1%"),
        (0.6405, "64.1%"),   # half up, not to even
        (0.6404, "64.0%"),
        (1, "100.0%"),
        (0.0, "0.0%"),
        (-0.0, "0.0%"),
        (0.00049, "0.0%"),
        (np.float64(0.125), "12.5%"),
        ("c", "c"),
        (NA, ":"),
        (None, ":"),
        (pd.NA, ":"),
        ("not a number", ":"),
        (":", ":"),
        ("z", "z"),
        (float("inf"), ":"),
    ],
)
def test_format_percent(value: object, text: str) -> None:
    assert format_percent(value) == text


def test_format_percent_decimals_and_format_count() -> None:
    assert format_percent(0.645, decimals=0) == "65%"   # half up at 0 decimals too
    assert format_percent(0.12345, decimals=2) == "12.35%"
    assert format_count(1234) == "1,234"
    assert format_count(1234567) == "1,234,567"
    assert format_count(np.int64(0)) == "0"
    assert format_count(12.0) == "12"
    assert format_count("c") == c
    assert format_count(" c ") == c
    assert format_count(NA) == NOT_AVAILABLE
    assert format_count(None) == NOT_AVAILABLE
    assert format_count(":") == NOT_AVAILABLE
    assert format_count("twelve") == NOT_AVAILABLE


@pytest.mark.parametrize(("value", "hidden"), [
    ("c", True), (" c ", True), ("C", False), ("cc", False), (0, False), (None, False),
    (NA, False), (":", False)])
def test_is_suppressed(value: object, hidden: bool) -> None:
    assert is_suppressed(value) is hidden


@pytest.mark.parametrize(("value", "number"), [
    (3, 3.0), (np.int64(7), 7.0), (0.25, 0.25), (np.float32(0.5), 0.5), ("c", None),
    (":", None), ("3", None), (None, None), (NA, None), (pd.NA, None), (True, None),
    (float("inf"), None), (float("-inf"), None)])
def test_as_number(value: object, number: float | None) -> None:
    assert as_number(value) == number


def test_plural() -> None:
    assert plural(1, "quarter") == "1 quarter"
    assert plural(0, "quarter") == "0 quarters"
    assert plural(2, "case") == "2 cases"
    assert plural(1200, "case") == "1,200 cases"
    assert plural(2, "partnership", "partnerships pooled") == "2 partnerships pooled"


@pytest.mark.parametrize(("quarters", "text"), [
    (["2026-Q3"], "2026-Q3"),
    (["2026-Q4", "2026-Q4"], "2026-Q4"),                    # never "2026-Q4 to 2026-Q4"
    (["2026-Q4", "2026-Q3"], "2026-Q3 to 2026-Q4"),
    (["2024-Q4", "2025-Q1"], "2024-Q4 to 2025-Q1"),         # across a year's end
    (["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q2"], "2025-Q1 to 2025-Q4 and 2026-Q2"),
    (["2024-Q1", "2024-Q3", "2025-Q1"], "2024-Q1, 2024-Q3 and 2025-Q1"),
])
def test_quarters_text(quarters: list[str], text: str) -> None:
    assert quarters_text(quarters) == text


@pytest.mark.parametrize(("text", "cell"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+1", "'+1"),
    ("-1", "'-1"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"),
    ("\rx", "'\rx"),
    ("Northbridge", "Northbridge"),
    ("a=b", "a=b"),       # only a leading character makes a formula
    ("", ""),
])
def test_csv_text_neutralises_a_leading_formula_character(text: str, cell: str) -> None:
    # OWASP "CSV Injection": = + - @ tab and carriage return at the start of a cell.
    assert csv_text(text) == cell
