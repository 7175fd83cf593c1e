"""Disclosure control for board outputs: the one path from a metrics table to a board table.

Analyst outputs (working notebooks, ``audit metrics``) show every figure. Anything shown to a
partnership board (board-pack HTML/PDF/XLSX, its charts, the published ``metrics.csv``) goes
through this module first, so that no small number can be read off, or worked out from, the
pack.

The rule
========

The convention is the Department for Education's children in need statistics: a count from
1 to ``max_count`` (default 5) inclusive is shown as ``c``; ``0`` is a true zero and is shown;
``:`` means not available. Every figure built on a suppressed count (rate, confidence
interval, p-value) is ``c`` too, and secondary suppression hides any other figure from which a
suppressed count could be recovered by subtraction from a published total.

Each row of the metrics table is one metric over the in-scope cases, whose total ``N`` is
published elsewhere in the pack. For a metric, ``yes + no + unknown = N``, with
``numerator = yes``, ``denominator = yes + no`` and ``unknown`` shown. ``no`` is never shown,
but ``no = denominator - numerator``. Within a row, the rule is the union of:

1. ``yes`` in 1..k: numerator is ``c``.
2. ``no`` in 1..k: numerator is ``c`` (else ``denominator - numerator`` gives ``no``). This is
   the one case where a zero numerator is hidden: "0 of 3" says all 3 known cases were "no".
3. ``unknown`` in 1..k: unknown is ``c`` and so is the denominator (``N - denominator`` gives
   ``unknown``).
4. ``denominator`` in 1..k: it is a count like any other, so it is ``c``, and unknown is ``c``
   as well, even if zero (``N - unknown`` gives the denominator back).
5. Whenever the numerator or the denominator is ``c``: rate, ci_low, ci_high and p_value are
   ``c`` (``numerator / rate`` gives the denominator, the Wilson interval's width and centre
   give both counts, and Fisher's p-value is a function of the two local counts).

Groups of metrics that partition a total need secondary suppression across rows
(:data:`PARTITION_GROUPS`): the ``known_to.*`` numerators add up to their shared denominator
(the cases whose ``known_to`` is known), and ``harmed_by.birth_father`` +
``harmed_by.another_male_carer`` add up to theirs. In a group:

6. The rows share one denominator and one unknown: if either is ``c`` in one row it is ``c``
   in every row of the group.
7. Denominator shown: if exactly one numerator of the group is ``c``, it is the denominator
   minus the others, so the smallest other non-zero numerator is suppressed too (ties: the
   first in table order). If every other numerator is zero, the denominator (and so the
   unknown) is suppressed instead.
8. Denominator hidden: the numerators plus the unknown add up to ``N``. If no numerator of the
   group is ``c``, the numerators add up to the hidden denominator and give it (and the
   unknown) back, so the smallest non-zero numerator is suppressed.

Rules 1-8 are applied until nothing changes. Rows outside those groups have no linear
relation to each other (each flag has its own unknowns), so rows 1-5 protect them alone.

``national_numerator``, ``national_denominator`` and ``national_rate`` are the national
review's published figures (92 notifications): they are never suppressed. A missing figure
(NaN: no national figure, so no p-value; no cases recorded, so no rate) stays missing, shown
as ``:``; it reveals nothing.

Like the DfE convention, the rule stops exact recovery; it does not stop every bound an
attacker could derive (a primary ``c`` is known to be 1..k, which narrows a complementary
``c``). A threshold above 5 (``max_count``) is the remedy where that matters.

The function is idempotent: a ``c`` already in the input counts as suppressed, so a board
table can be passed through again (or a board table given to :func:`suppress_funnel` as
``metrics``) without change.

Other board tables
==================

:func:`suppress_counts` applies the primary rule, an optional complement rule
(``total - count`` in 1..k hides the count) and hides the figures derived from a suppressed
count, for breakdowns and other simple tables. :func:`suppress_funnel` and
:func:`suppress_cooccurrence` use it for the engagement funnel and the risk co-occurrence
matrix, and, given the metrics table, also hide every cell that repeats a figure hidden there
(a funnel row's ``yes`` and ``known`` are the metric's numerator and denominator; a
co-occurrence diagonal is a risk metric's numerator), so the same count cannot be read from
one table of the pack when another hides it.

Formatting
==========

:func:`format_percent` and :func:`format_count` give the published text: percentages to one
decimal place (half up), ``c`` passed through, ``:`` for not available.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from numbers import Real

import numpy as np
import pandas as pd

from audit.contract import KNOWN_TO_CODES, METRICS_COLUMNS, flag_metric_id

__all__ = [
    "SUPPRESSED",
    "NOT_AVAILABLE",
    "DEFAULT_MAX_COUNT",
    "PARTITION_GROUPS",
    "FUNNEL_COUNT_COLUMNS",
    "suppress_metrics",
    "suppress_counts",
    "suppress_funnel",
    "suppress_cooccurrence",
    "is_suppressed",
    "format_percent",
    "format_count",
]

#: Shown in place of a suppressed figure (DfE convention).
SUPPRESSED = "c"
#: Shown where a figure is not available (DfE convention).
NOT_AVAILABLE = ":"
#: Counts from 1 to this, inclusive, are suppressed unless a caller says otherwise.
DEFAULT_MAX_COUNT = 5

#: Metrics whose numerators partition a shared denominator.
PARTITION_GROUPS: tuple[tuple[str, ...], ...] = (
    ("harmed_by.birth_father", "harmed_by.another_male_carer"),
    tuple(f"known_to.{code}" for code in KNOWN_TO_CODES if code != "unknown"),
)

_COUNTS = ("numerator", "denominator", "unknown")
_DERIVED = ("rate", "ci_low", "ci_high", "p_value")

_STEP_DERIVED = ("step_rate", "step_ci_low", "step_ci_high", "drop")
#: The funnel's count columns (those present are used) and the figures built on each.
#: ``kept`` / ``reached`` (the metrics module's names) and ``step_yes`` / ``step_known`` are
#: the conditional step's counts: cases yes at the previous step and yes / known at this one.
FUNNEL_COUNT_COLUMNS: dict[str, tuple[str, ...]] = {
    "yes": ("rate", "ci_low", "ci_high"),
    "known": ("rate", "ci_low", "ci_high"),
    "unknown": (),
    "kept": _STEP_DERIVED,
    "reached": _STEP_DERIVED,
    "step_yes": _STEP_DERIVED,
    "step_known": _STEP_DERIVED,
}
_FUNNEL_COMPLEMENTS = {"yes": "known", "kept": "reached", "step_yes": "step_known"}


# --------------------------------------------------------------------------- helpers


def _check_max_count(max_count: object) -> int:
    if isinstance(max_count, bool) or not isinstance(max_count, (int, np.integer)):
        raise ValueError(f"max_count must be a whole number, not {max_count!r}")
    if max_count < 0:
        raise ValueError(f"max_count must be 0 or more, not {max_count}")
    return int(max_count)


def is_suppressed(value: object) -> bool:
    """True when ``value`` is the suppression marker ``c``."""
    return isinstance(value, str) and value.strip() == SUPPRESSED


def _marked(series: pd.Series) -> np.ndarray:
    """Cells that already hold ``c``."""
    return np.array([is_suppressed(v) for v in series], dtype=bool)


def _numeric(series: pd.Series) -> np.ndarray:
    """Float values, with ``c``, blanks and anything non-numeric as NaN."""
    return pd.to_numeric(series.where(~pd.Series(_marked(series), index=series.index)),
                         errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _small(values: np.ndarray, max_count: int) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (values >= 1) & (values <= max_count)


def _apply(frame: pd.DataFrame, hide: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Copy of ``frame`` with ``c`` where ``hide[column]`` is True (object dtype there only).

    A missing value (NaN, None, NA) stays missing: "not available" reveals nothing.
    """
    out = frame.copy()
    for column, mask in hide.items():
        missing = out[column].isna().to_numpy(dtype=bool)
        mask = (np.asarray(mask, dtype=bool) & ~missing) | _marked(out[column])
        if not mask.any():
            continue
        values = out[column].astype(object).to_numpy(copy=True)
        values[mask] = SUPPRESSED
        out[column] = pd.Series(values, index=out.index, dtype=object)
    return out


def _check_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, not {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} is missing column(s): {', '.join(missing)}")


# --------------------------------------------------------------------------- metrics


def suppress_metrics(table: pd.DataFrame, *, max_count: int = DEFAULT_MAX_COUNT) -> pd.DataFrame:
    """Return the board version of a metrics table: small numbers as ``c`` (rule: module doc).

    Same columns in the same order, same index; columns holding a ``c`` become object dtype,
    the others keep theirs. The input is not changed. ``max_count=0`` suppresses nothing.

    Raises ``ValueError`` if ``max_count`` is negative or not a whole number, or if a column
    of ``contract.METRICS_COLUMNS`` is missing.
    """
    k = _check_max_count(max_count)
    _check_columns(table, METRICS_COLUMNS, "the metrics table")

    num = _numeric(table["numerator"])
    den = _numeric(table["denominator"])
    unk = _numeric(table["unknown"])
    no = den - num

    sup_num = _marked(table["numerator"]) | _small(num, k) | _small(no, k)       # rules 1, 2
    sup_unk = _marked(table["unknown"]) | _small(unk, k)                          # rule 3
    sup_den = _marked(table["denominator"]) | sup_unk | _small(den, k)           # rules 3, 4

    metrics = table["metric"].astype(str).to_numpy()
    groups = [np.flatnonzero(np.isin(metrics, group)) for group in PARTITION_GROUPS]
    groups = [rows for rows in groups if len(rows) >= 2]

    changed = True
    while changed:
        before = (sup_num.copy(), sup_den.copy(), sup_unk.copy())
        sup_unk |= sup_den                                                        # rule 4
        sup_den |= sup_unk
        for rows in groups:
            if sup_den[rows].any() or sup_unk[rows].any():                        # rule 6
                sup_den[rows] = True
                sup_unk[rows] = True
            hidden = int(sup_num[rows].sum())
            if not sup_den[rows].any() and hidden == 1:                           # rule 7
                if not _hide_smallest(rows, num, sup_num):
                    sup_den[rows] = True
                    sup_unk[rows] = True
            elif sup_den[rows].any() and hidden == 0:                             # rule 8
                _hide_smallest(rows, num, sup_num)
        changed = any(not np.array_equal(a, b) for a, b in
                      zip(before, (sup_num, sup_den, sup_unk), strict=True))

    sup_derived = sup_num | sup_den                                               # rule 5
    hide = {"numerator": sup_num, "denominator": sup_den, "unknown": sup_unk}
    hide.update({column: sup_derived for column in _DERIVED})
    return _apply(table, hide)


def _hide_smallest(rows: np.ndarray, num: np.ndarray, sup_num: np.ndarray) -> bool:
    """Suppress the smallest non-zero, not yet suppressed numerator among ``rows``."""
    candidates = [r for r in rows if not sup_num[r] and not math.isnan(num[r]) and num[r] > 0]
    if not candidates:
        return False
    smallest = min(candidates, key=lambda r: (num[r], r))
    sup_num[smallest] = True
    return True


# --------------------------------------------------------------------------- other tables


def suppress_counts(
    frame: pd.DataFrame,
    count_columns: Sequence[str],
    *,
    max_count: int = DEFAULT_MAX_COUNT,
    derived: Mapping[str, Sequence[str]] | Sequence[str] | None = None,
    complements: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Suppress small counts in a board table other than the metrics table.

    - every cell of ``count_columns`` from 1 to ``max_count`` becomes ``c`` (0 stays 0);
    - ``complements`` maps a count column to the column of its total in the same row: where
      ``total - count`` is from 1 to ``max_count`` the count becomes ``c`` too;
    - ``derived`` names the figures built on the counts, hidden in the same row: a mapping
      from a count column to its derived columns, or a plain sequence of columns built on
      every count column.

    Returns a copy (object dtype where ``c`` appears). Raises ``ValueError`` for a negative
    ``max_count`` or a missing column.
    """
    k = _check_max_count(max_count)
    count_columns = list(count_columns)
    complements = dict(complements or {})
    if derived is None:
        derived_map: dict[str, tuple[str, ...]] = {}
    elif isinstance(derived, Mapping):
        derived_map = {c: tuple(d) for c, d in derived.items()}
    else:
        derived_map = {c: tuple(derived) for c in count_columns}
    needed = set(count_columns) | set(complements) | set(complements.values())
    needed |= set(derived_map) | {d for ds in derived_map.values() for d in ds}
    _check_columns(frame, sorted(needed), "the table")

    hide: dict[str, np.ndarray] = {}
    for column in count_columns:
        hide[column] = _marked(frame[column]) | _small(_numeric(frame[column]), k)
    for column, total in complements.items():
        rest = _numeric(frame[total]) - _numeric(frame[column])
        hide[column] = hide.get(column, _marked(frame[column])) | _small(rest, k)
    for column, targets in derived_map.items():
        source = hide.get(column, _marked(frame[column]))
        for target in targets:
            hide[target] = hide.get(target, np.zeros(len(frame), dtype=bool)) | source
    return _apply(frame, hide)


def suppress_funnel(
    funnel: pd.DataFrame,
    *,
    max_count: int = DEFAULT_MAX_COUNT,
    metrics: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Board version of the engagement funnel.

    The count columns of :data:`FUNNEL_COUNT_COLUMNS` that are present follow
    :func:`suppress_counts`, with ``known - yes`` and ``reached - kept`` (or
    ``step_known - step_yes``) as complements, hiding the rates, intervals and drops built on
    them. ``known + unknown`` is the published case total, so when either is hidden both
    are (rules 3 and 4 of the module doc). Given the metrics table (raw or already
    suppressed), a row's ``yes`` / ``known`` / ``unknown`` are also hidden wherever the
    metric's numerator / denominator / unknown is hidden in the board metrics table, so the
    two tables agree.
    """
    k = _check_max_count(max_count)
    _check_columns(funnel, ["yes", "known"], "the funnel")
    present = set(funnel.columns)
    counts = [c for c in FUNNEL_COUNT_COLUMNS if c in present]
    derived = {c: tuple(d for d in FUNNEL_COUNT_COLUMNS[c] if d in present) for c in counts}
    complements = {c: t for c, t in _FUNNEL_COMPLEMENTS.items() if {c, t} <= present}
    out = suppress_counts(funnel, counts, max_count=k, derived=derived, complements=complements)

    n = len(funnel)
    hide_yes = _marked(out["yes"])
    hide_known = _marked(out["known"])
    hide_unknown = _marked(out["unknown"]) if "unknown" in present else np.zeros(n, dtype=bool)
    if metrics is not None:
        board = suppress_metrics(metrics, max_count=k)
        by_id = board.set_index(board["metric"].astype(str))
        if "metric" in present:
            ids = [str(m) for m in funnel["metric"]]
        else:
            column = "flag" if "flag" in present else "step"
            _check_columns(funnel, [column], "the funnel")
            ids = [flag_metric_id(str(f)) for f in funnel[column]]

        def hidden_in_board(column: str) -> np.ndarray:
            return np.array([m in by_id.index and is_suppressed(by_id.at[m, column])
                             for m in ids], dtype=bool)

        hide_yes |= hidden_in_board("numerator")
        hide_known |= hidden_in_board("denominator")
        hide_unknown |= hidden_in_board("unknown")
    if "unknown" in present:
        hide_known |= hide_unknown
        hide_unknown |= hide_known
    hide = {"yes": hide_yes, "known": hide_known}
    if "unknown" in present:
        hide["unknown"] = hide_unknown
    for column in derived["yes"]:
        hide[column] = hide_yes | hide_known
    return _apply(out, hide)


def suppress_cooccurrence(
    cooc: pd.DataFrame,
    *,
    max_count: int = DEFAULT_MAX_COUNT,
    metrics: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Board version of the risk co-occurrence matrix (square, diagonal = count of yes).

    Every cell from 1 to ``max_count`` is ``c``. Off the diagonal, a pair count is also ``c``
    where the cases with the row's factor but not the column's (``diagonal - pair``) number
    1 to ``max_count``, and the mirror cell follows so the matrix stays symmetric. Given the
    metrics table (raw or suppressed), a diagonal cell is ``c`` wherever the risk metric's
    numerator is hidden in the board metrics table.
    """
    k = _check_max_count(max_count)
    if not isinstance(cooc, pd.DataFrame):
        raise TypeError("the co-occurrence matrix must be a pandas DataFrame")
    if list(cooc.index) != list(cooc.columns):
        raise ValueError("the co-occurrence matrix must have the same labels on both axes")
    values = np.column_stack([_numeric(cooc[c]) for c in cooc.columns]) if len(cooc) else \
        np.zeros((0, 0))
    marked = np.column_stack([_marked(cooc[c]) for c in cooc.columns]) if len(cooc) else \
        np.zeros((0, 0), dtype=bool)
    hide = marked | _small(values, k)
    diagonal = np.diag(values)
    with np.errstate(invalid="ignore"):
        rest = diagonal[:, None] - values
    off = ~np.eye(len(cooc), dtype=bool)
    hide |= off & _small(rest, k)
    if metrics is not None:
        board = suppress_metrics(metrics, max_count=k)
        by_id = board.set_index(board["metric"].astype(str))
        for i, flag in enumerate(cooc.columns):
            metric = flag_metric_id(str(flag))
            if metric in by_id.index and is_suppressed(by_id.at[metric, "numerator"]):
                hide[i, i] = True
    hide |= hide.T
    return _apply(cooc, {c: hide[:, j] for j, c in enumerate(cooc.columns)})


# --------------------------------------------------------------------------- formatting


def _as_number(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (Real, np.number)):
        number = float(value)
        return None if math.isnan(number) else number
    return None


def format_percent(rate: object, *, decimals: int = 1) -> str:
    """A rate (fraction 0-1) as a published percentage: ``0.6413 -> "64.1%"``.

    ``c`` passes through; NaN, None or anything not a number is ``:`` (not available).
    Rounds half up, as published statistics do (0.6405 -> "64.1%").
    """
    if is_suppressed(rate):
        return SUPPRESSED
    if isinstance(rate, str) and rate.strip() in (NOT_AVAILABLE, "z"):
        return rate.strip()
    number = _as_number(rate)
    if number is None or math.isinf(number):
        return NOT_AVAILABLE
    quantum = Decimal(1).scaleb(-decimals)
    percent = (Decimal(repr(number)) * 100).quantize(quantum, rounding=ROUND_HALF_UP)
    if percent == 0:
        percent = abs(percent)
    return f"{percent}%"


def format_count(count: object) -> str:
    """A count as published: whole number with thousands separators, ``c`` or ``:``."""
    if is_suppressed(count):
        return SUPPRESSED
    if isinstance(count, str) and count.strip() in (NOT_AVAILABLE, "z"):
        return count.strip()
    number = _as_number(count)
    if number is None or math.isinf(number):
        return NOT_AVAILABLE
    return f"{round(number):,}"

