"""How published figures are written: the Department for Education's symbols and rounding.

Every output for a board or the public writes its numbers through these functions, so a
table, a chart label, an alt text and a workbook cell say the same thing:

* ``c`` — a figure hidden to protect small numbers (:mod:`audit.disclosure` decides which);
* ``:`` — not available (no cases recorded, or no national figure published);
* ``z`` — not applicable;
* percentages to one decimal place, rounded half up as published statistics are
  (``0.6405 -> "64.1%"``); whole counts with thousands separators.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from numbers import Real
from typing import Any

import numpy as np

__all__ = [
    "SUPPRESSED",
    "NOT_AVAILABLE",
    "NOT_APPLICABLE",
    "is_suppressed",
    "p_chart_points",
    "as_number",
    "format_percent",
    "format_count",
    "plural",
    "quarter_number",
    "quarters_text",
    "csv_text",
]

#: Shown in place of a hidden figure (DfE convention).
SUPPRESSED = "c"
#: Shown where a figure is not available (DfE convention).
NOT_AVAILABLE = ":"
#: Shown where a figure does not apply (DfE convention).
NOT_APPLICABLE = "z"


def is_suppressed(value: object) -> bool:
    """True when ``value`` is the hidden-figure marker ``c``."""
    return isinstance(value, str) and value.strip() == SUPPRESSED


def as_number(value: object) -> float | None:
    """A finite float, or ``None`` for ``c``, ``:``, NaN, blanks and anything not a number."""
    if value is None or isinstance(value, (bool, str)):
        return None
    if isinstance(value, (Real, np.number)):
        number = float(value)
        return None if math.isnan(number) or math.isinf(number) else number
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def _number_or_symbol(value: object) -> float | str:
    """The number a published cell holds, or the symbol it shows instead: ``c`` as it
    stands, ``:`` or ``z`` as given, ``:`` for anything else that is not a number."""
    if is_suppressed(value):
        return SUPPRESSED
    if isinstance(value, str) and value.strip() in (NOT_AVAILABLE, NOT_APPLICABLE):
        return value.strip()
    number = as_number(value)
    return NOT_AVAILABLE if number is None else number


def format_percent(rate: object, *, decimals: int = 1) -> str:
    """A rate (fraction 0-1) as a published percentage: ``0.6413 -> "64.1%"``.

    ``c`` passes through; NaN, None or anything not a number is ``:`` (not available).
    Rounds half up, as published statistics do (0.6405 -> "64.1%").
    """
    number = _number_or_symbol(rate)
    if isinstance(number, str):
        return number
    quantum = Decimal(1).scaleb(-decimals)
    percent = (Decimal(repr(number)) * 100).quantize(quantum, rounding=ROUND_HALF_UP)
    if percent == 0:
        percent = abs(percent)
    return f"{percent}%"


def format_count(count: object) -> str:
    """A count as published: whole number with thousands separators, ``c`` or ``:``."""
    number = _number_or_symbol(count)
    if isinstance(number, str):
        return number
    return f"{round(number):,}"


def plural(count: int, word: str, many: str | None = None) -> str:
    """``"1 quarter"``, ``"2 quarters"``: a count with its noun in the right number."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def quarter_number(label: str) -> int:
    """A quarter label as a count of quarters (``"2025-Q3"`` -> 2025 * 4 + 2), so that
    labels sort, subtract and follow one another in time order."""
    year, quarter = label.split("-Q")
    return int(year) * 4 + int(quarter) - 1


def quarters_text(quarters: Sequence[str]) -> str:
    """Quarters (``"2025-Q3"`` ...) in words, each run of consecutive ones as one span:
    ``"2026-Q3"``, ``"2025-Q1 to 2025-Q4 and 2026-Q2"``; a single quarter is never a span
    ("2026-Q4 to 2026-Q4")."""
    ordered = sorted(set(quarters), key=quarter_number)
    runs: list[list[str]] = []
    for label in ordered:
        if runs and quarter_number(label) == quarter_number(runs[-1][-1]) + 1:
            runs[-1].append(label)
        else:
            runs.append([label])
    spans = [run[0] if len(run) == 1 else f"{run[0]} to {run[-1]}" for run in runs]
    return spans[0] if len(spans) == 1 else ", ".join(spans[:-1]) + f" and {spans[-1]}"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    """Text as a CSV cell may hold it: a leading ``=``, ``+``, ``-``, ``@``, tab or carriage
    return gets an apostrophe in front, so a spreadsheet opening the file shows the text
    instead of running it as a formula (OWASP, "CSV Injection")."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def p_chart_points(chart: Any) -> tuple[np.ndarray, np.ndarray, int]:
    """A protected p-chart's rows (``numerator``, ``denominator``, ``rate``): which are
    hidden (any of the three ``c``), the rates with hidden ones as NaN, and how many
    periods count towards the chart (those with data, and hidden ones: they have data the
    reader may not see). The chart that draws it and the claim that reads it agree."""
    import pandas as pd

    hide = np.array(
        [
            any(is_suppressed(chart[c].iloc[i]) for c in ("numerator", "denominator", "rate"))
            for i in range(len(chart))
        ],
        dtype=bool,
    )
    rate = pd.to_numeric(chart["rate"].where(~hide), errors="coerce").to_numpy(dtype=float)
    return hide, rate, int((~hide & ~np.isnan(rate)).sum() + hide.sum())
