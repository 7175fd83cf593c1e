"""Local rates against the national reference, like for like: Fisher tests, Holm, verdicts,
and what a comparison of this size could detect.

Counting as the review counted (contract v1.1)
==============================================

The review counted each factor out of all its cases: a factor not recorded counted as not
featuring. So the comparison sets the local ``yes`` against a **base** counted the same way
(:func:`review_base`):

* ``risk.*``: every in-scope case (``denominator + unknown``);
* ``harmed_by.*``: the cases whose perpetrator is known (``denominator``; the review knew
  all of its perpetrators);
* ``known_to.<level>``: the cases whose level is known and is not ``none``
  (``denominator``, as :mod:`audit.measures.metrics` now counts it; the review had no "not known to
  services" group). ``known_to.none`` has no national figure and is not compared.

The headline rate stays ``yes / (yes + no)`` with its Wilson interval; :func:`like_for_like`
gives, beside each national figure, the local figure counted as the review counted it
(``yes / base``), so a board can see both and is told which is which.

The tests
=========

``p_value`` is the two-sided Fisher exact test (Fisher 1922; ``scipy.stats.fisher_exact``)
on ``[[yes, base − yes], [national, N − national]]``, ``N`` the review's
``NATIONAL_DENOMINATOR``. It is exact at any size, which matters because a partnership's
quarter often holds a handful of cases.

``p_holm`` is Holm's step-down adjustment (Holm 1979) over the rows of one pack that have a
p-value (:func:`holm_adjust`: sort, multiply the ``i``-th smallest of ``m`` by ``m − i + 1``,
carry the running maximum, cap at 1; tested equal to statsmodels'
``multipletests(method="holm")`` and to R's ``p.adjust`` output; statsmodels is not called at
run time because its Holm branch runs a full ``gc.collect()`` on every call, about 50 ms
with pandas loaded, once per pack in a breakdown): about ten tests run per pack, and without the
adjustment about one in twenty of them would "differ" by chance. The two ``harmed_by`` rows
are one test (their tables mirror each other, so their p-values are equal): they count once
in the family (``ONE_TEST_GROUPS``) and share the adjusted value. A table holding several
packs (a breakdown by partnership or quarter) is adjusted group by group (``family_by``).

Verdicts (:func:`verdict`, :func:`verdicts`), in this order:

1. no national figure published             -> "no national figure to compare with"
2. base below ``min_denominator`` (default 10), or no p-value
                                             -> "too few cases to tell"
3. ``p_holm`` below ``alpha`` (default 0.05) -> "higher than nationally" / "lower than
   nationally", by the like-for-like rate ``yes / base`` against the national rate
4. otherwise                                 -> "no evidence of a difference from the
                                                national figure"

Why 10: with fewer than ten cases the 95% Wilson interval of a rate is wider than about 50
percentage points and the test has little power, so "no evidence of a difference" would
mislead a board into reading absence of evidence as reassurance. ``alpha`` may be made
stricter (e.g. 0.002) but never looser than 0.05.

What a comparison can detect
============================

"No evidence of a difference" is not "the same". :func:`detectable_difference` works out,
from the Fisher test's own rejection region at this many cases, the local rates at or beyond
which the test would find a difference ("with 20 cases, only 90% or more, or 35% or less,
would differ from the national 64%"); a side on which no result could differ is reported as
such (for care leavers, 5 of the review's cases, no local figure is "lower" at 40 cases or
fewer). :func:`detectable_difference_text` puts it into words.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from audit.errors import ParameterError
from audit.measures.national import NATIONAL_DENOMINATOR, NATIONAL_REFERENCE

__all__ = [
    "VERDICT_HIGHER",
    "VERDICT_LOWER",
    "VERDICT_NO_DIFFERENCE",
    "VERDICT_TOO_FEW",
    "VERDICT_NO_NATIONAL",
    "VERDICTS",
    "MIN_DENOMINATOR",
    "ONE_TEST_GROUPS",
    "review_base",
    "COMPARED_OUT_OF_EVERY_CASE",
    "fisher_p_values",
    "holm_adjust",
    "holm_p_values",
    "add_national",
    "verdict",
    "verdicts",
    "detectable_difference",
    "detectable_difference_text",
    "fisher_p_values_by_count",
    "like_for_like",
]

VERDICT_HIGHER = "higher than nationally"
VERDICT_LOWER = "lower than nationally"
VERDICT_NO_DIFFERENCE = "no evidence of a difference from the national figure"
VERDICT_TOO_FEW = "too few cases to tell"
VERDICT_NO_NATIONAL = "no national figure to compare with"
VERDICTS: tuple[str, ...] = (
    VERDICT_HIGHER,
    VERDICT_LOWER,
    VERDICT_NO_DIFFERENCE,
    VERDICT_TOO_FEW,
    VERDICT_NO_NATIONAL,
)

#: The metrics compared with the review out of every case, as the review counted them (a
#: risk factor not recorded counts as not featuring): :func:`review_base`.
COMPARED_OUT_OF_EVERY_CASE = "risk."

#: Below this many cases in the comparison's base, no verdict is given (module docstring).
MIN_DENOMINATOR = 10

#: Metrics whose comparisons are one test (their 2x2 tables mirror each other): counted once
#: in the Holm family, and a summary should report them once.
ONE_TEST_GROUPS: tuple[tuple[str, ...], ...] = (
    ("harmed_by.birth_father", "harmed_by.another_male_carer"),
)


def _as_float_array(values: Any) -> npt.NDArray[np.float64]:
    return pd.to_numeric(
        pd.Series(np.atleast_1d(np.asarray(values, dtype=object)).ravel()), errors="coerce"
    ).to_numpy(dtype="float64", na_value=np.nan)


def _require(table: pd.DataFrame, columns: Sequence[str], what: str = "metrics table") -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ParameterError(f"the {what} lacks column(s): {', '.join(missing)}")


def review_base(
    metric: npt.ArrayLike, denominator: npt.ArrayLike, unknown: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """The like-for-like base of each row: ``denominator + unknown`` for ``risk.*`` (every
    in-scope case), ``denominator`` otherwise (module docstring). NaN where a count is
    missing or not a number (a suppressed ``c``)."""
    metrics = np.atleast_1d(np.asarray(metric, dtype=object)).ravel().astype(str)
    den = _as_float_array(denominator)
    unk = _as_float_array(unknown)
    if not (metrics.shape == den.shape == unk.shape):
        raise ParameterError("metric, denominator and unknown must have the same length")
    is_risk = np.char.startswith(metrics.astype(str), COMPARED_OUT_OF_EVERY_CASE)
    return np.where(is_risk, den + unk, den)


def fisher_p_values(
    numerator: npt.ArrayLike,
    denominator: npt.ArrayLike,
    national_numerator: npt.ArrayLike,
    national_denominator: npt.ArrayLike,
) -> npt.NDArray[np.float64]:
    """Two-sided Fisher exact p-values, element by element (Fisher 1922; scipy ``fisher_exact``).

    Each p-value tests ``[[num, den - num], [nat_num, nat_den - nat_num]]`` (``den`` is the
    comparison's base). NaN where any input is missing or either denominator is 0. Counts
    must be whole numbers with ``0 <= numerator <= denominator``, else ``ParameterError``.
    Identical tables are tested once.
    """
    a = _as_float_array(numerator)
    n = _as_float_array(denominator)
    c = _as_float_array(national_numerator)
    m = _as_float_array(national_denominator)
    if not (a.shape == n.shape == c.shape == m.shape):
        raise ParameterError(
            "numerator, denominator and the national counts must have the same length"
        )
    out = np.full(a.shape, np.nan)
    ok = ~(np.isnan(a) | np.isnan(n) | np.isnan(c) | np.isnan(m))
    stacked = np.stack([a, n, c, m], axis=1)[ok]
    if stacked.size:
        if (stacked != np.round(stacked)).any():
            raise ParameterError("counts for the Fisher test must be whole numbers")
        if (
            (stacked < 0).any()
            or (stacked[:, 0] > stacked[:, 1]).any()
            or (stacked[:, 2] > stacked[:, 3]).any()
        ):
            raise ParameterError(
                "counts for the Fisher test must satisfy 0 <= numerator <= denominator"
            )
    ok &= (n > 0) & (m > 0)
    if not ok.any():
        return out
    tables = np.stack([a[ok], n[ok] - a[ok], c[ok], m[ok] - c[ok]], axis=1).astype(np.int64)
    unique, inverse = np.unique(tables, axis=0, return_inverse=True)
    p_unique = np.array([_fisher(*map(int, t)) for t in unique], dtype="float64")
    out[ok] = p_unique[np.asarray(inverse).ravel()]
    return out


def _fisher(a: int, b: int, c: int, d: int) -> float:
    """Two-sided Fisher p of ``[[a, b], [c, d]]``. The p-value does not change when the rows
    or the columns are swapped or the table transposed, so each table is first put in one
    canonical form: mirror-image tables (the two ``harmed_by`` rows) get the same float."""
    return _fisher_canonical(
        *min(
            (a, b, c, d),
            (b, a, d, c),
            (c, d, a, b),
            (d, c, b, a),
            (a, c, b, d),
            (c, a, d, b),
            (b, d, a, c),
            (d, b, c, a),
        )
    )


@lru_cache(maxsize=65536)
def _fisher_canonical(a: int, b: int, c: int, d: int) -> float:
    from scipy.stats import fisher_exact  # ~0.3 s to import: only when a p-value is wanted

    p = fisher_exact([[a, b], [c, d]], alternative="two-sided").pvalue
    return min(1.0, max(0.0, float(p)))


def holm_adjust(p_values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Holm's step-down adjusted p-values of one family (Holm 1979), in the input order: the
    ``i``-th smallest of ``m`` times ``m − i + 1``, then the running maximum, capped at 1 (the
    same as R's ``p.adjust(p, "holm")`` and statsmodels' ``multipletests(method="holm")``).
    ``ParameterError`` for a missing value or one outside [0, 1]."""
    p = np.asarray(p_values, dtype="float64").ravel()
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ParameterError("p-values for the Holm adjustment must be numbers in [0, 1]")
    order = np.argsort(p, kind="stable")
    steps = np.arange(len(p), 0, -1, dtype="float64")
    adjusted = np.minimum(1.0, np.maximum.accumulate(p[order] * steps))
    out = np.empty_like(p)
    out[order] = adjusted
    return out


def holm_p_values(table: pd.DataFrame, *, family_by: Sequence[str] = ()) -> pd.Series:
    """Holm-adjusted ``p_value`` (:func:`holm_adjust`), one family per group of
    ``family_by`` (none: the whole table is one pack).

    Rows without a p-value stay NaN and are not counted. The metrics of each of
    ``ONE_TEST_GROUPS`` count once (their largest p-value) and all get its adjusted value.
    Returns a ``Series`` named ``p_holm`` on the table's index.
    """
    _require(table, ["metric", "p_value", *family_by])
    p = _as_float_array(table["p_value"])
    metrics = table["metric"].astype(str).to_numpy()
    keys = (
        [tuple(r) for r in table[list(family_by)].astype(str).itertuples(index=False)]
        if family_by
        else [()] * len(table)
    )
    group_of = {m: g for g, members in enumerate(ONE_TEST_GROUPS) for m in members}
    out = np.full(len(table), np.nan)
    families: dict[tuple, dict[object, list[int]]] = {}
    for i, (key, metric) in enumerate(zip(keys, metrics)):
        if not math.isnan(p[i]):
            test = ("group", group_of[metric]) if metric in group_of else ("row", i)
            families.setdefault(key, {}).setdefault(test, []).append(i)
    for tests in families.values():
        rows = list(tests.values())
        raw = np.array([max(p[i] for i in members) for members in rows])
        for members, value in zip(rows, holm_adjust(raw)):
            out[members] = float(value)
    return pd.Series(out, index=table.index, name="p_holm", dtype="float64")


def add_national(
    table: pd.DataFrame,
    reference: Mapping[str, tuple[int, int]] | None = None,
    *,
    family_by: Sequence[str] = (),
) -> pd.DataFrame:
    """A copy of a metrics table with the national columns, ``p_value`` and ``p_holm`` filled.

    ``table`` needs ``metric``, ``numerator``, ``denominator`` and ``unknown`` (counts, not
    suppressed). Fills ``national_numerator``/``national_denominator`` (nullable ``Int64``),
    ``national_rate``, ``p_value`` (two-sided Fisher, like for like: ``numerator`` against
    :func:`review_base`) and ``p_holm`` (:func:`holm_p_values`, one family per group of
    ``family_by``). They stay empty where the review published no figure or the base is 0.
    ``reference`` maps metric id -> (numerator, denominator); default ``NATIONAL_REFERENCE``.
    """
    _require(table, ["metric", "numerator", "denominator", "unknown", *family_by])
    ref = NATIONAL_REFERENCE if reference is None else reference
    out = table.copy()
    metrics = out["metric"].astype(str)
    nn = metrics.map(lambda m: ref[m][0] if m in ref else np.nan).to_numpy(dtype="float64")
    nd = metrics.map(lambda m: ref[m][1] if m in ref else np.nan).to_numpy(dtype="float64")
    out["national_numerator"] = pd.array(nn, dtype="Int64")
    out["national_denominator"] = pd.array(nd, dtype="Int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["national_rate"] = np.where(nd > 0, nn / nd, np.nan)
    base = review_base(metrics, out["denominator"], out["unknown"])
    out["p_value"] = fisher_p_values(out["numerator"], base, nn, nd)
    out["p_holm"] = holm_p_values(out, family_by=family_by).to_numpy()
    return out


# --------------------------------------------------------------------------- verdicts


def _check_alpha(alpha: float) -> None:
    if not (0.0 < float(alpha) <= 0.05):
        raise ParameterError(
            f"alpha must be in (0, 0.05]; got {alpha!r} (a difference is never called on "
            "evidence weaker than p < 0.05)"
        )


def _check_min_denominator(min_denominator: int) -> None:
    if int(min_denominator) != min_denominator or min_denominator < 1:
        raise ParameterError(
            f"min_denominator must be a positive whole number; got {min_denominator!r}"
        )


_VERDICT_COLUMNS = ("metric", "numerator", "denominator", "unknown", "national_rate")


def verdict(
    row: Mapping[str, Any] | pd.Series,
    alpha: float = 0.05,
    *,
    min_denominator: int = MIN_DENOMINATOR,
    p_column: str = "p_holm",
) -> str:
    """Plain-English verdict for one metric row (keys ``metric``, ``numerator``,
    ``denominator``, ``unknown``, ``national_rate`` and ``p_column``). Rule: module
    docstring; one of ``VERDICTS``. A non-numeric cell (a suppressed ``c``) counts as
    missing, so take verdicts from the unsuppressed table."""
    keys = (*_VERDICT_COLUMNS, p_column)
    missing = [k for k in keys if k not in row]
    if missing:
        raise ParameterError(f"verdict needs {', '.join(repr(k) for k in missing)}")
    frame = pd.DataFrame({key: [row[key]] for key in keys}, dtype=object)
    return str(verdicts(frame, alpha, min_denominator=min_denominator, p_column=p_column).iloc[0])


def verdicts(
    table: pd.DataFrame,
    alpha: float = 0.05,
    *,
    min_denominator: int = MIN_DENOMINATOR,
    p_column: str = "p_holm",
) -> pd.Series:
    """Verdicts for every row of a metrics table, as a ``Series`` named ``verdict`` on the
    table's index. Uses ``p_holm`` (``p_column``) and the like-for-like rate; rule: module
    docstring."""
    _check_alpha(alpha)
    _check_min_denominator(min_denominator)
    _require(table, (*_VERDICT_COLUMNS, p_column))

    def col(name: str) -> npt.NDArray[np.float64]:
        return _as_float_array(table[name])

    base = review_base(table["metric"].astype(str), table["denominator"], table["unknown"])
    yes, nat, p = col("numerator"), col("national_rate"), col(p_column)
    with np.errstate(invalid="ignore", divide="ignore"):
        review_rate = np.where(base > 0, yes / base, np.nan)
    no_national = np.isnan(nat)
    too_few = np.isnan(base) | (base < min_denominator) | np.isnan(p) | np.isnan(review_rate)
    significant = p < alpha
    result = np.select(
        [
            no_national,
            too_few,
            significant & (review_rate > nat),
            significant & (review_rate < nat),
        ],
        [VERDICT_NO_NATIONAL, VERDICT_TOO_FEW, VERDICT_HIGHER, VERDICT_LOWER],
        default=VERDICT_NO_DIFFERENCE,
    )
    return pd.Series(result, index=table.index, name="verdict", dtype=object)


# --------------------------------------------------------------------------- detectable difference


def _whole(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not float(value).is_integer() or int(value) < minimum:
        raise ParameterError(f"{name} must be a whole number of at least {minimum}; got {value!r}")
    return int(value)


@lru_cache(maxsize=4096)
def _two_sided_p_values(base: int, count: int, total: int) -> npt.NDArray[np.float64]:
    """The two-sided Fisher p-value of ``[[x, base - x], [count, total - count]]`` for every
    ``x`` from 0 to ``base`` at once.

    Scipy's ``fisher_exact`` (one call a table, about 7 ms at 400 cases) sums the
    hypergeometric probabilities no larger than the observed one, with a relative tolerance
    of 1e-14; this does the same sum for every ``x`` in one vectorised pass over a grid of
    (x, cell), so a board's detectable differences cost milliseconds, not seconds. Tested
    equal to ``fisher_exact`` in ``tests/test_compare.py``.
    """
    from scipy.stats import hypergeom

    x = np.arange(base + 1)[:, None]
    cells = np.arange(base + 1)[None, :]
    n_all = base + total
    column = x + count  # the first column's total changes with x
    log_p = hypergeom.logpmf(cells, n_all, column, base)
    observed = hypergeom.logpmf(x, n_all, column, base)
    with np.errstate(invalid="ignore"):
        small = log_p <= observed + np.log1p(1e-14)
    p = np.where(small, np.exp(log_p), 0.0).sum(axis=1)
    return np.minimum(1.0, p)


def fisher_p_values_by_count(
    base: int, national_count: int, national_total: int = NATIONAL_DENOMINATOR
) -> npt.NDArray[np.float64]:
    """The two-sided Fisher p-value the pack would give every local result: element ``x``
    tests ``x`` of ``base`` against ``national_count`` of ``national_total`` (the table of
    :func:`fisher_p_values`), for ``x`` from 0 to ``base``. The test's whole rejection region
    at this size, for planning (:mod:`audit.measures.plan`). A new array; ``base`` of at least 1."""
    base = _whole(base, "base", 1)
    total = _whole(national_total, "national_total", 1)
    count = _whole(national_count, "national_count", 0)
    if count > total:
        raise ParameterError("national_count must not exceed national_total")
    return _two_sided_p_values(base, count, total).copy()


def _rejection(base: int, count: int, total: int, alpha: float) -> tuple[float, float]:
    national = count / total
    rejects = list(_two_sided_p_values(base, count, total) < alpha)
    low = math.nan
    for x in range(base + 1):  # from 0 upwards while every rate so far is rejected
        if not rejects[x] or x / base >= national:
            break
        low = x / base
    high = math.nan
    for x in range(base, -1, -1):  # from base downwards, likewise
        if not rejects[x] or x / base <= national:
            break
        high = x / base
    return low, high


def detectable_difference(
    base: int, national_count: int, national_total: int = NATIONAL_DENOMINATOR, alpha: float = 0.05
) -> tuple[float, float]:
    """The local rates at or beyond which the two-sided Fisher test would find a difference.

    With ``base`` local cases against ``national_count`` of ``national_total``, returns
    ``(low_rate, high_rate)``: every local rate ``x/base`` at or below ``low_rate`` (and
    below the national rate) gives ``p < alpha``, and every one at or above ``high_rate``
    does; each is the one nearest the national rate with that property, read off the test's
    rejection region by computing the test at every ``x`` from 0 to ``base``. A side where
    even the most extreme result (0 or ``base`` of ``base``) would not differ is NaN
    ("impossible"). ``(nan, nan)`` for a base of 0.
    """
    base = _whole(base, "base", 0)
    total = _whole(national_total, "national_total", 1)
    count = _whole(national_count, "national_count", 0)
    if count > total:
        raise ParameterError("national_count must not exceed national_total")
    _check_alpha(alpha)
    if base == 0:
        return math.nan, math.nan
    return _rejection(base, count, total, float(alpha))


def _percent(rate: float) -> str:
    text = f"{rate * 100:.1f}"
    return (text[:-2] if text.endswith(".0") else text) + "%"


def detectable_difference_text(
    base: int, national_count: int, national_total: int = NATIONAL_DENOMINATOR, alpha: float = 0.05
) -> str:
    """:func:`detectable_difference` in one sentence, e.g. "With 20 cases, only 90% or more,
    or 35% or less, would differ from the national 64.1%." Says so when a side, or both,
    cannot differ at this size."""
    low, high = detectable_difference(base, national_count, national_total, alpha)
    national = _percent(national_count / national_total)
    cases = f"{base} case" + ("" if base == 1 else "s")
    if base == 0:
        return f"With no cases, no comparison with the national {national} is possible."
    if math.isnan(low) and math.isnan(high):
        return (
            f"With {cases}, no result could differ from the national {national}: "
            "too few cases for the test to find a difference either way."
        )
    above = "" if math.isnan(high) else ("100%" if high == 1.0 else f"{_percent(high)} or more")
    below = "" if math.isnan(low) else ("0%" if low == 0.0 else f"{_percent(low)} or less")
    if not below:
        return (
            f"With {cases}, only {above} would differ from the national {national}; "
            f"no lower figure could (even 0 of {base} would not)."
        )
    if not above:
        return (
            f"With {cases}, only {below} would differ from the national {national}; "
            f"no higher figure could (even {base} of {base} would not)."
        )
    return f"With {cases}, only {above}, or {below}, would differ from the national {national}."


def like_for_like(
    metrics: pd.DataFrame, alpha: float = 0.05, *, min_denominator: int = MIN_DENOMINATOR
) -> pd.DataFrame:
    """The national comparison as the review counted, one row a metric with a national figure.

    ``metrics`` is the unsuppressed metrics table (:func:`audit.measures.metrics.metrics_table`,
    or a breakdown whose leading columns are kept). Columns: the leading columns, ``metric``,
    ``numerator`` (yes), ``base`` (:func:`review_base`), ``review_rate`` (``yes / base``, the
    local figure counted as the review counted it), ``rate`` (the headline ``yes / known``),
    the national columns, ``p_value``, ``p_holm``, ``detect_low`` and ``detect_high``
    (:func:`detectable_difference` at this base; NaN where impossible), ``detectable``
    (:func:`detectable_difference_text`) and ``verdict``. The board shows ``review_rate``
    beside the national figure and says it is counted as the review counted.
    """
    carried = (  # copied as they stand, beside the rate as the review counted it
        "rate",
        "national_numerator",
        "national_denominator",
        "national_rate",
        "p_value",
        "p_holm",
    )
    needed = ["metric", "numerator", "denominator", "unknown", *carried]
    _require(metrics, needed)
    lead = [c for c in metrics.columns if c not in needed and c not in ("ci_low", "ci_high")]
    rows = metrics.loc[metrics["national_rate"].notna()].copy()
    base = review_base(rows["metric"].astype(str), rows["denominator"], rows["unknown"])
    yes = _as_float_array(rows["numerator"])
    out = rows[lead + ["metric", "numerator"]].copy()
    out["base"] = pd.array(base, dtype="Int64") if len(rows) else pd.array([], dtype="Int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["review_rate"] = np.where(base > 0, yes / base, np.nan)
    for column in carried:
        out[column] = rows[column].to_numpy()
    limits = [
        detectable_difference(int(b), int(c), int(t), alpha)
        if not math.isnan(b)
        else (math.nan, math.nan)
        for b, c, t in zip(base, rows["national_numerator"], rows["national_denominator"])
    ]
    out["detect_low"] = [lo for lo, _ in limits]
    out["detect_high"] = [hi for _, hi in limits]
    out["detectable"] = [
        detectable_difference_text(int(b), int(c), int(t), alpha) if not math.isnan(b) else ""
        for b, c, t in zip(base, rows["national_numerator"], rows["national_denominator"])
    ]
    out["verdict"] = verdicts(rows, alpha, min_denominator=min_denominator).to_numpy()
    return out.reset_index(drop=True)
