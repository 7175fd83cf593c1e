"""Cases dated outside the quarters the rest of their return covers.

A return covers a quarter (or a run of quarters, for a whole extract); a case typed with the
wrong year (20/08/2024 in a 2025-Q3 return) still passes every date check, and would then
make a quarter of the trend on its own, or quietly leave the audit's quarter (issue 21).
:func:`stray_dates` finds such cases in one file's in-scope cases:

* the file's quarters are split into **runs** of consecutive quarters: a quarter with no
  case of the file between two quarters that have some ends a run;
* the run holding most cases is the period the return covers (ties: the later run);
* the cases of every other run are **stray** when together they are few — at most
  :data:`MAX_STRAY_SHARE` of the file's cases and at most :data:`MAX_STRAY_CASES` (one
  at least): a few cases a year away from a return's quarter are typing errors far more
  often than a second period. A file whose cases spread over periods apart (a long extract
  of a small partnership, with empty quarters) is left alone: no run stands out as the
  return's own, and a mistyped year there is not told from a quiet quarter.

Within the run of quarters the return covers, a case in a quarter beside the one all the
others fall in (together with any stray cases, no more than the same few) is **lone**: a
likely mistyped date (3/10/2026 in a 2026-Q3 return), named by :func:`lone_dates` as a
warning, not a stop, since a case notified just after the quarter can be real. The period
the rest of the return covers is then that one quarter, not widened to hold the lone case.

Each stray case is a :class:`StrayDate` (its problem names its row, the date as typed in UK
form and how far it lies from the rest of the return ("a year before the period the rest of
this return covers (2025-Q3)")). ``audit validate`` and ``audit run`` stop on them
unless ``--accept-stray-dates`` says they are right; the run then names them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit.errors import Problem
from audit.intake.extract import ACCEPT_FLAG, StrayDate
from audit.intake.periods import quarter_index, quarter_labels

__all__ = [
    "MAX_STRAY_SHARE",
    "MAX_STRAY_CASES",
    "ACCEPT_FLAG",
    "StrayDate",
    "stray_dates",
    "lone_dates",
]

#: A run of quarters apart from the return's main period is stray up to this share of cases.
MAX_STRAY_SHARE = 0.1
#: ... and up to this many cases (a larger group apart is a period of its own).
MAX_STRAY_CASES = 5


def _distance(quarters: int) -> str:
    if quarters % 4 == 0:
        years = quarters // 4
        return "a year" if years == 1 else f"{years} years"
    return f"{quarters} quarters"


def _span(labels: list[str]) -> str:
    return labels[0] if labels[0] == labels[-1] else f"{labels[0]} to {labels[-1]}"


def _layout(cases: pd.DataFrame) -> tuple[pd.Index, np.ndarray, set[int], set[int], str] | None:
    """How one return's dated cases lie (module doc): their rows and quarter indices, the
    stray quarters (runs apart, few), the lone quarters (the main run's other quarters, when
    all but a few cases fall in one quarter) and the span the rest covers. ``None`` when
    there is nothing to tell apart (no dates, or one quarter)."""
    if cases.empty or "notification_date" not in cases.columns:
        return None
    index = quarter_index(cases["notification_date"])
    known = ~np.isnan(index)
    quarters = index[known].astype(np.int64)
    if not len(quarters):
        return None
    uniques, counts = np.unique(quarters, return_counts=True)
    if len(uniques) < 2:
        return None
    breaks = np.flatnonzero(np.diff(uniques) > 1) + 1
    runs = np.split(np.arange(len(uniques)), breaks)
    sizes = [int(counts[r].sum()) for r in runs]
    main = max(range(len(runs)), key=lambda i: (sizes[i], i))
    limit = min(MAX_STRAY_CASES, max(1, int(MAX_STRAY_SHARE * int(counts.sum()))))
    apart = int(counts.sum()) - sizes[main]
    if apart > limit:
        return None  # cases spread over periods apart: a long extract, not a return's slips
    stray = {int(q) for i, run in enumerate(runs) if i != main for q in uniques[run]}
    run = runs[main]
    top = int(run[np.argmax(counts[run])])
    lone: set[int] = set()
    if len(run) > 1 and apart + sizes[main] - int(counts[top]) <= limit:
        lone = {int(uniques[i]) for i in run if i != top}
        first = last = int(uniques[top])  # the rest of the return is that one quarter
    else:
        first, last = int(uniques[run[0]]), int(uniques[run[-1]])
    covers = _span(list(quarter_labels(np.array([first, last]))))
    return cases.index[known], quarters, stray, lone, covers


def stray_dates(cases: pd.DataFrame, file: str | None = None) -> list[StrayDate]:
    """The in-scope cases of one return dated apart from the quarters the rest covers
    (module doc), in row order. ``cases`` is a validated cases frame (index: spreadsheet
    row); ``file`` names the return."""
    layout = _layout(cases)
    if layout is None or not layout[2]:
        return []
    rows, quarters, stray_quarters, lone, covers = layout
    first, last = _ends(quarters, stray_quarters | lone)
    found = []
    dates = pd.to_datetime(cases["notification_date"]).loc[rows]
    for row, quarter, date in zip(rows, quarters, dates, strict=True):
        if int(quarter) not in stray_quarters:
            continue
        before = quarter < first
        gap = int(first - quarter) if before else int(quarter - last)
        label = quarter_labels(np.array([quarter]))[0]
        found.append(
            StrayDate(
                int(row),
                file,
                f"{date:%d/%m/%Y} ({label}) is {_distance(gap)} "
                f"{'before' if before else 'after'} the period the rest of this return covers "
                f"({covers})",
            )
        )
    return found


def _ends(quarters: np.ndarray, apart: set[int]) -> tuple[int, int]:
    """The first and last quarter of the cases not ``apart``."""
    rest = [int(q) for q in quarters if int(q) not in apart]
    return min(rest), max(rest)


def lone_dates(cases: pd.DataFrame, column: str = "notification_date") -> list[Problem]:
    """The cases of one return dated in a quarter beside the one all the others fall in
    (at most :data:`MAX_STRAY_CASES`, and :data:`MAX_STRAY_SHARE` of the cases, with any
    stray dates): likely mistyped dates (a day and month swapped, a wrong month), given as
    warnings naming the row and ``column`` (the header as the file writes it). A run for
    the other quarter leaves them out and says so; a run for their own counts them."""
    layout = _layout(cases)
    if layout is None or not layout[3]:
        return []
    rows, quarters, stray, lone, covers = layout
    dates = pd.to_datetime(cases["notification_date"]).loc[rows]
    picked = [(r, q, d) for r, q, d in zip(rows, quarters, dates, strict=True) if int(q) in lone]
    apart = lone | stray
    others = sum(int(q) not in apart for q in quarters)
    which = "the only case" if len(picked) == 1 else f"one of {len(picked)} cases"
    found = []
    for row, quarter, date in picked:
        label = quarter_labels(np.array([quarter]))[0]
        found.append(
            Problem(
                int(row),
                column,
                f"{date:%d/%m/%Y} ({label}) is {which} of this return outside {covers}, where "
                f"the other {others:,} fall: if it belongs with them, correct the date at "
                f"source{_swapped(date, covers)}; a run for {covers} leaves it out",
            )
        )
    return found


def _swapped(date: pd.Timestamp, covers: str) -> str:
    """What the slip may be: day and month swapped, when the date read the other way round
    falls in ``covers`` (" (day and month swapped? 10/08/2026 is in 2026-Q3)"), else a
    mistyped day or month."""
    if date.day <= 12 and date.day != date.month:
        other = pd.Timestamp(year=date.year, month=date.day, day=date.month)
        if quarter_labels(quarter_index(pd.Series([other])).astype(np.int64))[0] == covers:
            return f" (day and month swapped? {other:%d/%m/%Y} is in {covers})"
    return " (a mistyped day or month?)"
