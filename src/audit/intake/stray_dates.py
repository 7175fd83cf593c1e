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

Each stray case is a :class:`StrayDate` (its problem names its row, the date as typed in UK
form and how far it lies from the rest of the return ("a year before the period the rest of
this return covers (2025-Q3)")). ``audit validate`` and ``audit run`` stop on them
unless ``--accept-stray-dates`` says they are right; the run then names them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit.intake.extract import ACCEPT_FLAG, StrayDate
from audit.intake.periods import quarter_index, quarter_labels

__all__ = ["MAX_STRAY_SHARE", "MAX_STRAY_CASES", "ACCEPT_FLAG", "StrayDate", "stray_dates"]

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


def stray_dates(cases: pd.DataFrame, file: str | None = None) -> list[StrayDate]:
    """The in-scope cases of one return dated apart from the quarters the rest covers
    (module doc), in row order. ``cases`` is a validated cases frame (index: spreadsheet
    row); ``file`` names the return."""
    if cases.empty or "notification_date" not in cases.columns:
        return []
    index = quarter_index(cases["notification_date"])
    known = ~np.isnan(index)
    quarters = index[known].astype(np.int64)
    if not len(quarters):
        return []
    uniques, counts = np.unique(quarters, return_counts=True)
    breaks = np.flatnonzero(np.diff(uniques) > 1) + 1
    runs = np.split(np.arange(len(uniques)), breaks)
    if len(runs) < 2:
        return []
    sizes = [int(counts[r].sum()) for r in runs]
    main = max(range(len(runs)), key=lambda i: (sizes[i], i))
    limit = min(MAX_STRAY_CASES, max(1, int(MAX_STRAY_SHARE * int(counts.sum()))))
    first, last = int(uniques[runs[main][0]]), int(uniques[runs[main][-1]])
    covers = _span(list(quarter_labels(np.array([first, last]))))
    if int(counts.sum()) - sizes[main] > limit:
        return []  # cases spread over periods apart: a long extract, not a return's slips
    stray_quarters = {int(q) for i, run in enumerate(runs) if i != main for q in uniques[run]}
    found = []
    rows = cases.index[known]
    dates = pd.to_datetime(cases["notification_date"])[known]
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
