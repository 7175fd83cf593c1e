"""Rates, Wilson intervals, co-occurrence and breakdowns (the funnel: audit.measures.engagement).

Every figure a quality lead shows a board comes from here. Definitions follow the contract:

* a flag's rate is ``yes / (yes + no)``; ``unknown`` (and a missing cell) is counted in the
  ``unknown`` column and never folded into either side;
* ``harmed_by.birth_father`` and ``harmed_by.another_male_carer`` (stepfather + mother's
  partner + other male carer) are shares of the cases whose ``harmed_by`` is known;
* ``known_to.none`` is the share of cases whose ``known_to`` is known; the four service
  levels (``known_to.universal`` ... ``known_to.child_protection_plan``) are shares of the
  cases whose level is known **and is not** ``none`` (contract v1.1), so they add up to 100%
  as the review's figures do; their ``unknown`` is the cases whose ``known_to`` is unknown;
* every rate carries a Wilson score interval (Wilson 1927), the method recommended for
  proportions by Newcombe (1998) and by OHID Fingertips (PHE "Technical Guide: Confidence
  Intervals", 2018); 95% by default, 99.8% on request;
* a flag column absent from the extract yields no row; a denominator of 0 yields an empty
  rate and interval, not an error.

Counting is vectorised: each column is turned into integer category codes once and counted
with ``numpy.bincount`` over (group, code), so a breakdown by partnership or quarter costs
one pass over the data whatever the number of groups.

CSV formatting (``write_metrics_csv``): counts as whole numbers; ``rate``, ``ci_low``,
``ci_high`` and ``national_rate`` as fractions 0-1 to 6 decimal places (``0.880435``);
``p_value`` and ``p_holm`` to 6 significant figures (``1``, ``0.0421053``, ``3.5e-08``) so
a very small p-value is never written as 0; missing cells empty; any string cell (a board
suppression ``c``) written as it is; UTF-8 without byte-order mark, ``\\n`` line endings.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from audit.contract import (
    ANOTHER_MALE_CARER_CODES,
    FLAG_COLUMNS,
    FLAG_LEVELS,
    FLAG_UNKNOWN,
    FLAG_YES,
    HARMED_BY_CODES,
    KNOWN_TO_CODES,
    METRIC_IDS,
    METRICS_COLUMNS,
    RISK_FLAGS,
    flag_metric_id,
)
from audit.intake.periods import (
    add_quarter,
    distinct_quarters,
    quarter_index,
    quarter_label,
    quarter_labels,
    select_partnership,
    select_period,
)
from audit.measures.compare import add_national

__all__ = [
    "COUNT_COLUMNS",
    "RATE_COLUMNS",
    "wilson_interval",
    "metric_counts",
    "metrics_from_counts",
    "metrics_table",
    "format_metrics_csv",
    "write_metrics_csv",
    "flag_codes",
    "FLAG_YES_CODE",
    "FLAG_UNKNOWN_CODE",
    "quarter_label",
    "add_quarter",
    "select_period",
    "select_partnership",
    "metrics_by",
    "rolling_metrics",
    "risk_cooccurrence",
    "risk_count_distribution",
]

#: Whole-number columns of the metrics table.
COUNT_COLUMNS: tuple[str, ...] = (
    "numerator",
    "denominator",
    "unknown",
    "national_numerator",
    "national_denominator",
)
#: Fraction columns of the metrics table (written to 6 decimal places).
RATE_COLUMNS: tuple[str, ...] = ("rate", "ci_low", "ci_high", "national_rate")
_P_COLUMNS: tuple[str, ...] = ("p_value", "p_holm")

_UNKNOWN = "unknown"


# --------------------------------------------------------------------------------------
# Wilson intervals
# --------------------------------------------------------------------------------------


def _check_level(level: float) -> float:
    try:
        value = float(level)
    except (TypeError, ValueError):
        raise ValueError(
            f"level must be a number between 0 and 1, e.g. 0.95; got {level!r}"
        ) from None
    if not (0.0 < value < 1.0) or math.isnan(value):
        raise ValueError(
            f"level must be strictly between 0 and 1 (e.g. 0.95 or 0.998); got {level!r}"
        )
    return value


def wilson_interval(
    count: npt.ArrayLike,
    nobs: npt.ArrayLike,
    level: float = 0.95,
) -> tuple[Any, Any]:
    """Wilson score interval for ``count`` successes out of ``nobs`` (vectorised).

    The method of Wilson (1927), recommended by Newcombe (1998) and by OHID Fingertips /
    PHE "Technical Guide: Confidence Intervals" (2018), as its closed formula: with
    ``z`` the normal quantile of ``1 - (1 - level) / 2`` and ``p = count / nobs``,
    ``(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)``, in the order of operations
    of ``statsmodels.stats.proportion.proportion_confint(method="wilson")`` (the test
    oracle: agreement to 1e-12 over every count of every ``nobs`` up to 500), without
    paying about 0.7 s to import statsmodels and scipy. ``level`` is the coverage (0.95,
    0.998, ...). Returns ``(low, high)``, clipped to [0, 1]; NaN where ``nobs`` is 0.
    Scalars in, floats out; arrays in, float arrays out. ``ValueError`` for negative or
    fractional counts or ``count > nobs``.
    """
    level = _check_level(level)
    scalar = np.ndim(count) == 0 and np.ndim(nobs) == 0
    k = np.atleast_1d(np.asarray(count, dtype="float64"))
    n = np.atleast_1d(np.asarray(nobs, dtype="float64"))
    try:
        k, n = np.broadcast_arrays(k, n)
    except ValueError:
        raise ValueError("count and nobs must have the same shape") from None
    if np.isnan(k).any() or np.isnan(n).any():
        raise ValueError("count and nobs must not be missing")
    if (k < 0).any() or (n < 0).any() or (k != np.round(k)).any() or (n != np.round(n)).any():
        raise ValueError("count and nobs must be non-negative whole numbers")
    if (k > n).any():
        raise ValueError("count must not exceed nobs")
    low = np.full(k.shape, np.nan)
    high = np.full(k.shape, np.nan)
    ok = n > 0
    if ok.any():
        lo, hi = _wilson(k[ok], n[ok], level)
        low[ok] = np.clip(np.asarray(lo, dtype="float64"), 0.0, 1.0) + 0.0
        high[ok] = np.clip(np.asarray(hi, dtype="float64"), 0.0, 1.0) + 0.0
        # Exact end points (statsmodels can give 0.9999999999999999 for n of n).
        low[ok & (k == 0)] = 0.0
        high[ok & (k == n)] = 1.0
    if scalar:
        return float(low[0]), float(high[0])
    return low, high


def _wilson(
    k: npt.NDArray[np.float64], n: npt.NDArray[np.float64], level: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Wilson bounds for ``k`` of ``n`` (``n > 0``), unclipped (see :func:`wilson_interval`)."""
    crit = -NormalDist().inv_cdf((1.0 - level) / 2.0)  # upper quantile, accurate in the tail
    crit2 = crit**2
    q = k / n
    denom = 1 + crit2 / n
    center = (q + crit2 / (2 * n)) / denom
    dist = crit * np.sqrt(q * (1.0 - q) / n + crit2 / (4.0 * n**2))
    dist /= denom
    return center - dist, center + dist


# --------------------------------------------------------------------------------------
# Counting
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    """How one metric is counted from one column's category codes."""

    metric: str
    column: str
    categories: tuple[str, ...]
    numerator: tuple[int, ...]  # category positions counted in the numerator
    unknown: int  # category position of "unknown" (missing cells are counted there too)
    excluded: tuple[int, ...] = ()  # known categories left out of the denominator


def _specs(cases: pd.DataFrame) -> list[_Spec]:
    missing = [c for c in ("harmed_by", "known_to") if c not in cases.columns]
    if missing:
        raise ValueError(f"the cases frame lacks required column(s): {', '.join(missing)}")
    hb_unknown = HARMED_BY_CODES.index(_UNKNOWN)
    kt_unknown = KNOWN_TO_CODES.index(_UNKNOWN)
    specs = [
        _Spec(
            "harmed_by.birth_father",
            "harmed_by",
            HARMED_BY_CODES,
            (HARMED_BY_CODES.index("birth_father"),),
            hb_unknown,
        ),
        _Spec(
            "harmed_by.another_male_carer",
            "harmed_by",
            HARMED_BY_CODES,
            tuple(HARMED_BY_CODES.index(c) for c in ANOTHER_MALE_CARER_CODES),
            hb_unknown,
        ),
    ]
    kt_none = KNOWN_TO_CODES.index("none")
    specs += [
        _Spec(
            f"known_to.{code}",
            "known_to",
            KNOWN_TO_CODES,
            (i,),
            kt_unknown,
            () if code == "none" else (kt_none,),
        )
        for i, code in enumerate(KNOWN_TO_CODES)
        if code != _UNKNOWN
    ]
    yes, unk = FLAG_LEVELS.index(FLAG_YES), FLAG_LEVELS.index(FLAG_UNKNOWN)
    specs += [
        _Spec(flag_metric_id(flag), flag, FLAG_LEVELS, (yes,), unk)
        for flag in FLAG_COLUMNS
        if flag in cases.columns
    ]
    order = {m: i for i, m in enumerate(METRIC_IDS)}
    return sorted(specs, key=lambda s: order[s.metric])


def _codes(series: pd.Series, categories: tuple[str, ...], unknown: int) -> npt.NDArray[np.int64]:
    """Integer positions in ``categories``; missing cells become ``unknown``.

    A value outside ``categories`` raises ``ValueError`` (the value itself is not quoted).
    Categorical columns are recoded through their categories, without touching each row.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        position = {c: i for i, c in enumerate(categories)}
        lookup = np.array(
            [position.get(c, -2) for c in series.cat.categories] + [unknown], dtype=np.int64
        )
        codes = lookup[np.asarray(series.cat.codes, dtype=np.int64)]  # code -1 (missing) -> last
        foreign = codes == -2
    else:
        foreign = (~series.isin(categories) & series.notna()).to_numpy()
        codes = None
    if foreign.any():
        raise ValueError(
            f"column {series.name!r} holds {int(foreign.sum())} value(s) outside the contract's "
            f"codes ({', '.join(categories)}); validate the extract first"
        )
    if codes is None:
        raw = np.asarray(pd.Categorical(series, categories=list(categories)).codes, dtype=np.int64)
        codes = np.where(raw < 0, unknown, raw)
    return codes


def _tally(
    series: pd.Series, spec: _Spec, groups: npt.NDArray[np.int64], n_groups: int
) -> npt.NDArray[np.int64]:
    """Cases of each group (rows) in each of ``spec.categories`` (columns), missing cells
    counted as unknown.

    A categorical column is counted on its own codes (one ``bincount``), and the counts of
    its categories are then added into the contract's: no row is re-coded. A value outside
    the contract's codes raises ``ValueError``, as :func:`_codes` does.
    """
    k = len(spec.categories)
    if not isinstance(series.dtype, pd.CategoricalDtype):
        codes = _codes(series, spec.categories, spec.unknown)
        return np.bincount(groups * k + codes, minlength=n_groups * k).reshape(n_groups, k)
    position = {c: i for i, c in enumerate(spec.categories)}
    # bin 0: a missing cell (code -1); bin i + 1: category i
    target = [spec.unknown] + [position.get(c, -2) for c in series.cat.categories]
    m = len(target)
    raw = series.cat.codes.to_numpy().astype(np.intp) + 1
    flat = raw if n_groups == 1 else groups * m + raw
    per_category = np.bincount(flat, minlength=n_groups * m).reshape(n_groups, m)
    foreign = [i for i, t in enumerate(target) if t == -2]
    outside = int(per_category[:, foreign].sum())
    if outside:
        raise ValueError(
            f"column {series.name!r} holds {outside} value(s) outside the contract's "
            f"codes ({', '.join(spec.categories)}); validate the extract first"
        )
    tally = np.zeros((n_groups, k), dtype=np.int64)
    for i, t in enumerate(target):
        if t >= 0:
            tally[:, t] += per_category[:, i]
    return tally


def _count_arrays(
    cases: pd.DataFrame, groups: npt.NDArray[np.int64], n_groups: int
) -> tuple[list[str], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(metric ids, numerator, denominator, unknown), each count array shaped (groups, metrics)."""
    specs = _specs(cases)
    num = np.zeros((n_groups, len(specs)), dtype=np.int64)
    den = np.zeros_like(num)
    unk = np.zeros_like(num)
    tallies: dict[str, npt.NDArray[np.int64]] = {}
    for j, spec in enumerate(specs):
        if spec.column not in tallies:
            tallies[spec.column] = _tally(cases[spec.column], spec, groups, n_groups)
        tally = tallies[spec.column]
        num[:, j] = tally[:, list(spec.numerator)].sum(axis=1)
        unk[:, j] = tally[:, spec.unknown]
        den[:, j] = tally.sum(axis=1) - unk[:, j] - tally[:, list(spec.excluded)].sum(axis=1)
    return [s.metric for s in specs], num, den, unk


def metric_counts(cases: pd.DataFrame) -> pd.DataFrame:
    """Counts behind every metric: ``metric``, ``numerator``, ``denominator``, ``unknown`` (int64).

    Rows in ``METRIC_IDS`` order; flag columns absent from ``cases`` yield no row.
    """
    metrics, num, den, unk = _count_arrays(cases, np.zeros(len(cases), dtype=np.int64), 1)
    return pd.DataFrame(
        {"metric": metrics, "numerator": num[0], "denominator": den[0], "unknown": unk[0]}
    )


def metrics_from_counts(counts: pd.DataFrame, *, level: float = 0.95) -> pd.DataFrame:
    """Turn counts (``metric``, ``numerator``, ``denominator``, ``unknown``) into the contract
    table.

    Adds the rate, its Wilson interval at ``level`` (Wilson 1927; OHID/PHE 2018) and the
    national columns with the like-for-like Fisher exact p-value and its Holm adjustment
    (``audit.measures.compare.add_national``). Any extra leading columns (e.g. ``partnership``) are
    kept in front of ``METRICS_COLUMNS``; each of their groups is one pack, so one Holm
    family.
    """
    level = _check_level(level)
    missing = [
        c for c in ("metric", "numerator", "denominator", "unknown") if c not in counts.columns
    ]
    if missing:
        raise ValueError(f"counts table lacks column(s): {', '.join(missing)}")
    out = counts.copy()
    for column in ("numerator", "denominator", "unknown"):
        out[column] = out[column].astype(np.int64)
    num = out["numerator"].to_numpy(dtype="float64")
    den = out["denominator"].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["rate"] = np.where(den > 0, num / den, np.nan)
    out["ci_low"], out["ci_high"] = wilson_interval(num, den, level)
    lead = [c for c in counts.columns if c not in METRICS_COLUMNS]
    out = add_national(out, family_by=lead)
    return out[lead + list(METRICS_COLUMNS)].reset_index(drop=True)


def metrics_table(cases: pd.DataFrame, *, level: float = 0.95) -> pd.DataFrame:
    """The contract's metrics table for a validated cases frame.

    Columns exactly ``METRICS_COLUMNS``; one row a metric in ``METRIC_IDS`` order (absent
    flags skipped); counts int64; rates as fractions with Wilson intervals at ``level``;
    national figures and two-sided Fisher exact p-values from ``audit.measures.compare``.
    """
    level = _check_level(level)
    return metrics_from_counts(metric_counts(cases), level=level)


# --------------------------------------------------------------------------------------
# CSV output
# --------------------------------------------------------------------------------------


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, (float, np.floating)):
        return bool(np.isnan(value))
    return False


def _format_cell(value: Any, column: str) -> str:
    if _is_missing(value):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"column {column!r} holds a true/false value; expected a number")
    if column in COUNT_COLUMNS:
        number = float(value)
        if not number.is_integer():
            raise ValueError(f"column {column!r} must hold whole numbers; got {value!r}")
        return str(int(number))
    if column in RATE_COLUMNS:
        return f"{float(value) + 0.0:.6f}"
    if column in _P_COLUMNS:
        return f"{float(value) + 0.0:.6g}"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value) + 0.0:.6g}"
    return str(value)


def format_metrics_csv(table: pd.DataFrame, *, leading: Sequence[str] = ()) -> str:
    """The text ``write_metrics_csv`` writes (see the module docstring for the formats).

    Columns are ``leading`` (e.g. ``("partnership",)`` for a breakdown) then exactly
    ``METRICS_COLUMNS``; other columns are not written. ``ValueError`` if one is missing.
    """
    columns = list(leading) + list(METRICS_COLUMNS)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"metrics table lacks column(s): {', '.join(missing)}")
    if len(set(columns)) != len(columns):
        raise ValueError("leading columns must not repeat the contract's columns")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    cells = {c: [_format_cell(v, c) for v in table[c].astype(object).tolist()] for c in columns}
    writer.writerows(zip(*(cells[c] for c in columns)))
    return buffer.getvalue()


def write_metrics_csv(
    table: pd.DataFrame,
    dest: str | os.PathLike[str] | IO[str],
    *,
    leading: Sequence[str] = (),
) -> None:
    """Write a metrics table as ``metrics.csv``: deterministic, byte-identical for equal input.

    ``dest`` is a path (written UTF-8, no BOM, ``\\n`` endings) or an open text stream such as
    ``sys.stdout``. Formats: module docstring. Cells holding a string (``"c"``) are kept.
    """
    text = format_metrics_csv(table, leading=leading)
    if hasattr(dest, "write"):
        dest.write(text)
        return
    if not isinstance(dest, (str, os.PathLike)):
        raise ValueError(f"dest must be a path or a text stream; got {type(dest).__name__}")
    with open(dest, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


# --------------------------------------------------------------------------------------
# Flag codes (shared with audit.measures.engagement)
# --------------------------------------------------------------------------------------


def flag_codes(cases: pd.DataFrame, flag: str) -> npt.NDArray[np.int64]:
    """A flag column as integer codes into ``FLAG_LEVELS``; missing or unrecognised is unknown."""
    return _codes(cases[flag], FLAG_LEVELS, FLAG_LEVELS.index(FLAG_UNKNOWN))


#: ``flag_codes`` value of ``yes`` and of ``unknown``.
FLAG_YES_CODE = FLAG_LEVELS.index(FLAG_YES)
FLAG_UNKNOWN_CODE = FLAG_LEVELS.index(FLAG_UNKNOWN)


# --------------------------------------------------------------------------------------
# Breakdowns
# --------------------------------------------------------------------------------------


def _long_table(
    group_column: str,
    group_labels: Sequence[str],
    metrics: Sequence[str],
    num: npt.NDArray[np.int64],
    den: npt.NDArray[np.int64],
    unk: npt.NDArray[np.int64],
    level: float,
) -> pd.DataFrame:
    n_groups, n_metrics = num.shape
    counts = pd.DataFrame(
        {
            group_column: pd.Series(
                np.repeat(np.asarray(group_labels, dtype=object), n_metrics).tolist(), dtype="str"
            ),
            "metric": pd.Series(
                np.tile(np.asarray(metrics, dtype=object), n_groups).tolist(), dtype="str"
            ),
            "numerator": num.ravel(),
            "denominator": den.ravel(),
            "unknown": unk.ravel(),
        }
    )
    return metrics_from_counts(counts, level=level)


def metrics_by(
    cases: pd.DataFrame, by: str = "partnership", *, level: float = 0.95
) -> pd.DataFrame:
    """The metrics table for each group: ``by`` then ``METRICS_COLUMNS``, one row a (group, metric).

    ``by`` is ``"quarter"`` (calendar quarter of ``notification_date``) or a column of
    ``cases`` such as ``"partnership"``. Groups sorted (quarters chronologically), metrics in
    ``METRIC_IDS`` order; only groups with cases appear. One vectorised pass (bincount over
    group x category). ``ValueError`` for an unknown column or a missing group value.
    """
    level = _check_level(level)
    if by == "quarter":
        if "notification_date" not in cases.columns:
            raise ValueError("the cases frame has no notification_date column")
        keys = quarter_index(cases["notification_date"])
        if np.isnan(keys).any():
            raise ValueError(f"{int(np.isnan(keys).sum())} case(s) have no notification_date")
        uniques, groups = distinct_quarters(keys.astype(np.int64))
        labels = quarter_labels(uniques).tolist()
    else:
        if by not in cases.columns:
            raise ValueError(
                f"cannot break down by {by!r}: the cases frame has no such column "
                "(use 'quarter' or a column such as 'partnership')"
            )
        values = cases[by]
        if values.isna().any():
            raise ValueError(f"{int(values.isna().sum())} case(s) have no {by} value")
        codes, uniques_index = pd.factorize(values.astype(str), sort=True)
        groups = np.asarray(codes, dtype=np.int64)
        labels = [str(u) for u in uniques_index]
    metrics, num, den, unk = _count_arrays(
        cases, np.asarray(groups, dtype=np.int64).ravel(), len(labels)
    )
    return _long_table(by, labels, metrics, num, den, unk, level)


def rolling_metrics(
    cases: pd.DataFrame,
    window: int = 4,
    *,
    level: float = 0.95,
    complete_only: bool = True,
) -> pd.DataFrame:
    """The metrics over rolling windows of ``window`` calendar quarters, one window per end quarter.

    Columns ``window`` (``"2024-Q4 to 2025-Q3"``), ``window_start``, ``window_end`` then
    ``METRICS_COLUMNS``. Quarters run without gaps from the first to the last quarter with
    cases (an empty quarter still counts as one of the ``window``). With ``complete_only``
    (default) only windows wholly inside that span are given - none if the data span fewer
    than ``window`` quarters; otherwise the early windows start at the first quarter.
    Vectorised: per-quarter counts, then a cumulative-sum difference.
    """
    level = _check_level(level)
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"window must be a positive whole number of quarters; got {window!r}")
    if "notification_date" not in cases.columns:
        raise ValueError("the cases frame has no notification_date column")
    keys = quarter_index(cases["notification_date"])
    if np.isnan(keys).any():
        raise ValueError(f"{int(np.isnan(keys).sum())} case(s) have no notification_date")
    columns = ["window", "window_start", "window_end", *METRICS_COLUMNS]
    q = keys.astype(np.int64)
    first = int(q.min()) if len(q) else 0
    span = int(q.max()) - first + 1 if len(q) else 0
    metrics, num, den, unk = _count_arrays(cases, q - first, span)

    def window_sums(a: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        c = np.vstack([np.zeros((1, a.shape[1]), dtype=np.int64), np.cumsum(a, axis=0)])
        ends = np.arange(span) + 1
        return c[ends] - c[np.maximum(ends - window, 0)]

    end_pos = np.arange(span)
    start_pos = np.maximum(end_pos - window + 1, 0)
    keep = (end_pos - window + 1 >= 0) if complete_only else np.ones(span, dtype=bool)
    starts = quarter_labels(first + start_pos[keep]).tolist()
    ends = quarter_labels(first + end_pos[keep]).tolist()
    windows = [f"{s} to {e}" for s, e in zip(starts, ends)]
    table = _long_table(
        "window",
        windows,
        metrics,
        window_sums(num)[keep],
        window_sums(den)[keep],
        window_sums(unk)[keep],
        level,
    )
    n_metrics = len(metrics)
    table.insert(1, "window_start", pd.Series(np.repeat(starts, n_metrics).tolist(), dtype="str"))
    table.insert(2, "window_end", pd.Series(np.repeat(ends, n_metrics).tolist(), dtype="str"))
    return table[columns]


# --------------------------------------------------------------------------------------
# Risk factors together
# --------------------------------------------------------------------------------------


def _risk_matrix(
    cases: pd.DataFrame,
) -> tuple[list[str], npt.NDArray[np.int8], npt.NDArray[np.bool_]]:
    flags = [f for f in RISK_FLAGS if f in cases.columns]
    codes = [flag_codes(cases, f) for f in flags]
    yes = (
        np.column_stack([c == FLAG_YES_CODE for c in codes]).astype(np.int8)
        if flags
        else np.zeros((len(cases), 0), np.int8)
    )
    unk = (
        np.column_stack([c == FLAG_UNKNOWN_CODE for c in codes])
        if flags
        else np.zeros((len(cases), 0), bool)
    )
    return flags, yes, unk


def risk_cooccurrence(cases: pd.DataFrame) -> pd.DataFrame:
    """Square matrix over the risk-factor columns present: cases with both factors ``yes``.

    The diagonal is the number of cases with that factor ``yes``. Rows and columns are the
    flag column names in ``RISK_FLAGS`` order; values int64. Unknown counts as not ``yes``,
    so each cell is a lower bound. Empty (0 x 0) when no risk-factor column is present.
    """
    flags, yes, _ = _risk_matrix(cases)
    y = yes.astype("float64")
    both = np.rint(y.T @ y).astype(np.int64)  # exact: counts are far below 2**53
    return pd.DataFrame(
        both,
        index=pd.Index(flags, name="factor", dtype="str"),
        columns=pd.Index(flags, dtype="str"),
    )


def risk_count_distribution(cases: pd.DataFrame) -> pd.DataFrame:
    """How many cases have 0, 1, 2 and 3 or more risk factors ``yes``.

    Counts run over the risk-factor columns present; ``unknown`` counts as not ``yes``, so a
    case's count is a lower bound, and ``with_unknown`` says how many cases in each band
    have at least one risk factor unknown (their true band may be higher). Columns
    ``risk_factors`` (``"0"``, ``"1"``, ``"2"``, ``"3+"``), ``cases`` (int64), ``share`` (of all
    in-scope cases), ``with_unknown`` (int64). No rows when no risk-factor column is present.
    """
    flags, yes, unk = _risk_matrix(cases)
    bands = ["0", "1", "2", "3+"]
    if not flags:
        return pd.DataFrame(
            {
                "risk_factors": pd.Series([], dtype="str"),
                "cases": pd.Series([], dtype=np.int64),
                "share": pd.Series([], dtype="float64"),
                "with_unknown": pd.Series([], dtype=np.int64),
            }
        )
    band = np.minimum(yes.sum(axis=1, dtype=np.int64), 3)
    counts = np.bincount(band, minlength=4).astype(np.int64)
    with_unknown = np.bincount(band, weights=unk.any(axis=1), minlength=4).astype(np.int64)
    total = len(cases)
    share = counts / total if total else np.full(4, np.nan)
    return pd.DataFrame(
        {
            "risk_factors": pd.Series(bands, dtype="str"),
            "cases": counts,
            "share": share.astype("float64"),
            "with_unknown": with_unknown,
        }
    )
