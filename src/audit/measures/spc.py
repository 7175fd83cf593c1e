"""Statistical process control (p-charts) and funnel limits for quarterly audit rates.

Pure functions over numbers and DataFrames: no state, no I/O, no plotting (the charts are
:func:`audit.charts.spc_chart` and :func:`audit.charts.funnel_plot`).

p-chart (:func:`p_chart`)
=========================

One point a period (a quarter): ``rate_i = numerator_i / denominator_i``. The centre line is
the pooled rate ``p̄ = Σ numerator / Σ denominator`` over the periods with data, and each
point has its own 3-sigma limits ``p̄ ± 3·sqrt(p̄(1 − p̄) / n_i)``, clipped to [0, 1], so a
quarter with few cases has wide limits. This is the attribute (p) chart of Shewhart
control charts for proportions (Montgomery, *Introduction to Statistical Quality Control*,
ch. 7; Provost & Murray, *The Health Care Data Guide*, 2011, ch. 6), read with the rules of
NHS England's "Making Data Count" programme (NHS Improvement, *Making Data Count:
Strengthening your decisions*, 2019; NHS England *Making Data Count* guidance):

* **outside** — a point strictly above the upper or strictly below the lower limit. A rate
  equal to a clipped limit (0% against a lower limit of 0) is not outside.
* **run** — the point belongs to a run of ``run_length`` (default 7) or more *consecutive*
  points on the same side of the centre line (a "shift"). A point exactly on the centre line
  (within 1e-12) is on neither side: it **breaks** the run and belongs to none, as in the NHS
  R community's ``NHSRplotthedots`` implementation of Making Data Count. A period with no
  data (denominator 0) has no point; it breaks a run too, since the points either side of a
  gap are not consecutive observations.
* **special_cause** — ``outside`` or ``run``. Otherwise the variation is common-cause.

With over-dispersed data (many cases a quarter, so very narrow limits), Laney's p′-chart
(Laney 2002, *Quality Engineering* 14:531-537) is the usual remedy; partnership quarters
hold tens of cases, where the plain p-chart is appropriate.

:func:`spc_reading` turns a p-chart into plain English for a board ("common-cause variation
only", "a shift since 2024-Q3 (8 quarters in a row above the average)", "a point outside the
limits in 2025-Q1 (above the upper limit)").

Funnel limits (:func:`funnel_limits`, :func:`funnel_table`)
===========================================================

A funnel plot sets each partnership's rate against its number of cases (the denominator),
with control limits around a target that narrow as the denominator grows (Spiegelhalter DJ,
"Funnel plots for comparing institutional performance", *Statistics in Medicine*
2005;24:1185-1202). Limits at 95% (about 2 SD) and 99.8% (about 3 SD). Two methods:

**``method="exact"`` (the default): Spiegelhalter's exact binomial limits with his
interpolation** (Spiegelhalter 2005, Appendix A.1.1, as his own R ``funnel`` package
implements it: ``qbinom.interp`` in ``R/funnel4.R`` of github.com/gmp26/funnel, David
Spiegelhalter, MIT licence). For target ``θ``, denominator ``n`` and tail probability ``p``
(``(1 − level)/2``, so 0.025 and 0.001):

* lower limit: ``r`` = the smallest whole ``r`` with ``P(R ≤ r) ≥ p``,
  ``R ~ Binomial(n, θ)``; ``α = (P(R ≤ r) − p) / P(R = r)``; limit ``(r − α) / n``;
* upper limit: ``r`` = the smallest whole ``r`` with ``P(R ≤ r) ≥ 1 − p``;
  ``α = (P(R ≤ r) − (1 − p)) / P(R = r)``; limit ``(r + 1 − α) / n``.

The ``+ 1`` in the upper limit makes the two tails mirror each other: at a 50% target the
limits are symmetric about 50% at every ``n``, and a partnership with nothing different from
the target falls above the upper 95% limit with probability at most 2.5% (``P(R ≥ r + 1) =
1 − P(R ≤ r) ≤ p``), below the lower with at most 2.5%. Limits are clipped to [0, 1]
(Spiegelhalter's code clips to [0.00001, 0.99999]; only the drawing differs). The
interpolation turns the binomial's steps into a smooth funnel while keeping its exact,
asymmetric coverage, which matters because partnership denominators are small (often under
30), where a normal approximation gives limits below 0 or above 1 and the wrong coverage.

**``method="wilson"``: the Fingertips funnel.** OHID's Fingertips profiles, through
PHEindicatormethods (``sigma_adjustment`` in ``R/Funnels.R``, used by ``phe_funnels`` and
``phe_funnel_significance`` for proportions; Flowers J, *Statistical process control methods
in public health intelligence*, APHO Technical Briefing 2, 2007), draw the limit at the rate
``q`` whose Wilson score interval just reaches the target. That is the score test of
``π = θ``: ``(q − θ)² = z² θ(1 − θ) / n``, so the limits are ``θ ± z·sqrt(θ(1 − θ)/n)``
(PHE's closed form reduces to exactly this), clipped to [0, 1], with ``z`` the normal
quantile of ``1 − p``. ``method="normal"`` is the same formula under its textbook name.
It is offered so a partnership can draw its funnel as Fingertips would; the pack uses the
exact limits, which keep their stated coverage at the small numbers partnerships have (at a
48.1% target and 10 cases the two differ by several percentage points).

A target of exactly 0 or 1 gives limits equal to the target (no variation is possible). A
denominator of 0 gives no limits. A partnership is outside a level's limits when its rate is
strictly above the upper or strictly below the lower limit.

What the data can show
======================

Whether a p-chart may carry a verdict (12 periods with data) and when a fall cannot show:
:mod:`audit.measures.spc_readiness`.

Disclosure
==========

Every function here works on unsuppressed counts (analyst figures). What a board or the
public may see of a p-chart or a funnel table is decided by :mod:`audit.disclosure`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from audit.errors import ParameterError
from audit.formatting import is_suppressed

__all__ = [
    "RUN_LENGTH",
    "SIGMA",
    "FUNNEL_LEVELS",
    "FUNNEL_METHODS",
    "MIN_SPC_POINTS",
    "p_chart",
    "shifts",
    "spc_reading",
    "funnel_limits",
    "funnel_table",
    "level_suffix",
    "run_lengths",
    "as_counts",
]

#: Consecutive points on one side of the centre line that make a shift (Making Data Count).
RUN_LENGTH = 7
#: Width of the p-chart's control limits, in standard errors.
SIGMA = 3.0
#: The funnel plot's two control levels (about 2 and 3 standard deviations).
FUNNEL_LEVELS: tuple[float, ...] = (0.95, 0.998)
#: Funnel methods: Spiegelhalter's exact binomial (default); Fingertips' Wilson-score limits;
#: "normal", the same formula as "wilson" under its textbook name (module docstring).
FUNNEL_METHODS: tuple[str, ...] = ("exact", "wilson", "normal")
#: Periods with data below which the pack draws a run chart, not an SPC chart (NHSRplotthedots'
#: trial-limit warning, NHS Education for Scotland QI guidance; module docstring).
MIN_SPC_POINTS = 12

_ON_LINE_TOLERANCE = 1e-12


# --------------------------------------------------------------------------- helpers


def as_counts(values: object, what: str) -> npt.NDArray[np.float64]:
    """``values`` as whole, non-negative, unsuppressed counts (floats); ``ParameterError``
    naming ``what`` otherwise (a ``c``, a missing value, a negative or a fraction)."""
    array = np.asarray(values, dtype=object).ravel()
    if any(is_suppressed(v) for v in array):
        raise ParameterError(
            f"{what} holds a suppressed value ('c'): SPC and funnel limits need "
            "the unsuppressed (analyst) counts; suppress the result instead"
        )
    try:
        numbers = np.asarray(pd.to_numeric(pd.Series(array), errors="raise"), dtype="float64")
    except (TypeError, ValueError):
        raise ParameterError(f"{what} must be whole numbers") from None
    if np.isnan(numbers).any():
        raise ParameterError(f"{what} must not be missing")
    if (numbers < 0).any() or (numbers != np.round(numbers)).any():
        raise ParameterError(f"{what} must be non-negative whole numbers")
    return numbers


def level_suffix(level: float) -> str:
    """Column suffix for a control level: ``0.95 -> "95"``, ``0.998 -> "99_8"``."""
    return f"{float(level) * 100:.10g}".replace(".", "_")


def _check_levels(levels: Sequence[float]) -> tuple[float, ...]:
    out = []
    for level in levels:
        value = float(level)
        if not (0.0 < value < 1.0) or math.isnan(value):
            raise ParameterError(
                f"a funnel level must be strictly between 0 and 1 (e.g. 0.95 or "
                f"0.998); got {level!r}"
            )
        out.append(value)
    if not out:
        raise ParameterError("give at least one funnel level, e.g. (0.95, 0.998)")
    if len({level_suffix(v) for v in out}) != len(out):
        raise ParameterError("a funnel level is listed twice")
    return tuple(out)


# --------------------------------------------------------------------------- p-chart


def run_lengths(side: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """For each point, the length of the maximal streak of equal non-zero ``side`` it is in
    (0 for a point on the line or without data)."""
    n = len(side)
    lengths = np.zeros(n, dtype=np.int64)
    start = 0
    while start < n:
        end = start
        while end + 1 < n and side[end + 1] == side[start]:
            end += 1
        if side[start] != 0:
            lengths[start : end + 1] = end - start + 1
        start = end + 1
    return lengths


def _sides(
    values: npt.NDArray[np.float64], centre: npt.NDArray[np.float64]
) -> npt.NDArray[np.int64]:
    """+1 above the centre line, -1 below, 0 on it (within 1e-12) or without a value."""
    with np.errstate(invalid="ignore"):
        diff = values - centre
        return np.where(
            np.isnan(diff) | (np.abs(diff) <= _ON_LINE_TOLERANCE), 0, np.sign(np.nan_to_num(diff))
        ).astype(np.int64)


def shifts(
    values: Sequence[float] | npt.ArrayLike,
    centre: float | npt.ArrayLike,
    *,
    run_length: int = RUN_LENGTH,
) -> npt.NDArray[np.int64]:
    """Which points belong to a shift: ``run_length`` or more consecutive points on one side.

    ``values`` in time order (NaN for a period without data, which breaks a run);
    ``centre`` the centre line (one number, or one a point). Returns +1 for a point in a
    shift above the line, -1 below, 0 otherwise; a point on the line (within 1e-12) is on
    neither side and breaks a run. The rule :func:`p_chart` flags as ``run`` (Making Data
    Count; ``NHSRplotthedots`` and PowerBI-SPC read it the same way).
    """
    if (
        isinstance(run_length, bool)
        or not isinstance(run_length, (int, np.integer))
        or run_length < 1
    ):
        raise ParameterError(f"run_length must be a whole number of 1 or more; got {run_length!r}")
    try:
        vals = np.asarray(values, dtype="float64").ravel()
        line = np.broadcast_to(np.asarray(centre, dtype="float64"), vals.shape)
    except (TypeError, ValueError):
        raise ParameterError("values and centre must be numbers of matching length") from None
    side = _sides(vals, line)
    return np.where(run_lengths(side) >= int(run_length), side, 0).astype(np.int64)


def p_chart(
    numerators: Sequence[int] | npt.ArrayLike,
    denominators: Sequence[int] | npt.ArrayLike,
    labels: Sequence[str],
    *,
    sigma: float = SIGMA,
    run_length: int = RUN_LENGTH,
) -> pd.DataFrame:
    """A p-chart of a rate over periods, with Making Data Count's special-cause flags.

    ``numerators`` / ``denominators`` are the unsuppressed counts of each period (e.g. a
    metric's rows of :meth:`audit.history.HistoryStore.metrics`), in time order; ``labels``
    the periods (``"2024-Q3"``), unique. Rules and references: module docstring.

    Returns one row a period: ``label``, ``numerator``, ``denominator`` (int64), ``rate``
    (NaN without data), ``centre`` (p̄, the same on every row), ``sigma`` (standard error
    ``sqrt(p̄(1 − p̄)/n_i)``), ``lower``, ``upper`` (clipped to [0, 1]; NaN without data),
    ``side`` (+1 above, −1 below, 0 on the centre line or without data), ``run_length``
    (length of the same-side streak the point is in; 0 on the line), and the booleans
    ``outside``, ``run`` and ``special_cause``. ``ParameterError`` for mismatched lengths,
    repeated labels, negative or fractional counts, or a numerator above its denominator.
    """
    num = as_counts(numerators, "numerators")
    den = as_counts(denominators, "denominators")
    labels = [str(label) for label in labels]
    if not (len(num) == len(den) == len(labels)):
        raise ParameterError(
            f"numerators ({len(num)}), denominators ({len(den)}) and labels "
            f"({len(labels)}) must have the same length"
        )
    if len(set(labels)) != len(labels):
        raise ParameterError("period labels must be unique")
    if (num > den).any():
        raise ParameterError("a numerator exceeds its denominator")
    if (
        isinstance(run_length, bool)
        or not isinstance(run_length, (int, np.integer))
        or run_length < 2
    ):
        raise ParameterError(f"run_length must be a whole number of 2 or more; got {run_length!r}")
    if not float(sigma) > 0:
        raise ParameterError(f"sigma must be positive; got {sigma!r}")

    has_data = den > 0
    total = den[has_data].sum()
    centre = num[has_data].sum() / total if total > 0 else math.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(has_data, num / np.where(has_data, den, 1), np.nan)
        se = np.where(has_data, np.sqrt(centre * (1 - centre) / np.where(has_data, den, 1)), np.nan)
    lower = np.clip(centre - float(sigma) * se, 0.0, 1.0)
    upper = np.clip(centre + float(sigma) * se, 0.0, 1.0)
    with np.errstate(invalid="ignore"):
        outside = has_data & ((rate > upper) | (rate < lower))
    side = _sides(rate, np.full(len(rate), centre))
    lengths = run_lengths(side)
    run = lengths >= int(run_length)
    return pd.DataFrame(
        {
            "label": pd.Series(labels, dtype="str"),
            "numerator": num.astype(np.int64),
            "denominator": den.astype(np.int64),
            "rate": rate.astype("float64"),
            "centre": np.full(len(num), centre, dtype="float64"),
            "sigma": se.astype("float64"),
            "lower": lower.astype("float64"),
            "upper": upper.astype("float64"),
            "side": side,
            "run_length": lengths,
            "outside": outside.astype(bool),
            "run": run.astype(bool),
            "special_cause": (outside | run).astype(bool),
        }
    )


def _join(parts: Sequence[str]) -> str:
    parts = list(parts)
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def spc_reading(
    chart: pd.DataFrame, *, unit: str = "quarters", run_length: int = RUN_LENGTH
) -> str:
    """The p-chart in plain English, as a lower-case phrase a sentence can carry.

    * ``"common-cause variation only"`` (plus ``"; only 5 quarters, too few to detect a
      shift"`` when there are fewer than ``run_length`` points with data);
    * ``"a point outside the limits in 2025-Q1 (above the upper limit)"``, or ``"points
      outside the limits in 2024-Q2 (below the lower limit) and 2025-Q1 (above the upper
      limit)"``;
    * ``"a shift since 2024-Q3 (8 quarters in a row above the average)"`` for a run that
      reaches the latest point, ``"a shift from 2022-Q1 to 2023-Q3 (7 quarters in a row
      below the average)"`` for an earlier one;
    * both joined by ``" and "`` when both occur (outside points first);
    * ``"no data to read"`` when no period has data.

    ``chart`` is a :func:`p_chart` frame (it needs ``label``, ``rate``, ``upper``,
    ``lower``, ``side``, ``run_length``, ``outside``). ``unit`` names the periods.
    """
    needed = ("label", "rate", "lower", "upper", "side", "run_length", "outside")
    missing = [c for c in needed if c not in chart.columns]
    if missing:
        raise ParameterError(f"the p-chart frame lacks column(s): {', '.join(missing)}")
    labels = [str(v) for v in chart["label"]]
    rate = pd.to_numeric(chart["rate"], errors="coerce").to_numpy(dtype="float64")
    upper = pd.to_numeric(chart["upper"], errors="coerce").to_numpy(dtype="float64")
    side = np.asarray(chart["side"], dtype=np.int64)
    lengths = np.asarray(chart["run_length"], dtype=np.int64)
    outside = np.asarray(chart["outside"], dtype=bool)
    with_data = int((~np.isnan(rate)).sum())
    if with_data == 0:
        return "no data to read"
    last_with_data = int(np.flatnonzero(~np.isnan(rate))[-1])

    findings: list[str] = []
    points = []
    for k in np.flatnonzero(outside):
        where = "above the upper limit" if rate[k] > upper[k] else "below the lower limit"
        points.append(f"{labels[k]} ({where})")
    if len(points) == 1:
        findings.append(f"a point outside the limits in {points[0]}")
    elif points:
        findings.append(f"points outside the limits in {_join(points)}")

    i = 0
    n = len(labels)
    while i < n:
        if lengths[i] >= run_length and side[i] != 0:
            end = i + int(lengths[i]) - 1
            where = "above" if side[i] > 0 else "below"
            count = f"{int(lengths[i])} {unit} in a row {where} the average"
            if end == last_with_data:
                findings.append(f"a shift since {labels[i]} ({count})")
            else:
                findings.append(f"a shift from {labels[i]} to {labels[end]} ({count})")
            i = end + 1
        else:
            i += 1

    if findings:
        return _join(findings)
    reading = "common-cause variation only"
    if with_data < run_length:
        reading += (
            f"; only {with_data} {unit if with_data != 1 else unit.rstrip('s')} with "
            f"data, too few to detect a shift"
        )
    return reading


# --------------------------------------------------------------------------- funnel limits


def _binom_quantile(p: float, n: npt.NDArray[np.float64], theta: float) -> npt.NDArray[np.float64]:
    """The smallest whole ``r`` with ``P(R ≤ r) ≥ p`` (R's ``qbinom``), checked against the
    CDF so that a rounding step inside ``scipy.stats.binom.ppf`` cannot move it by one."""
    r = np.asarray(stats.binom.ppf(p, n, theta), dtype="float64")
    r = np.where(stats.binom.cdf(r, n, theta) < p, r + 1, r)
    return np.where((r > 0) & (stats.binom.cdf(r - 1, n, theta) >= p), r - 1, r)


def _exact_limit(
    n: npt.NDArray[np.float64], target: float, p: float, *, upper: bool
) -> npt.NDArray[np.float64]:
    """Spiegelhalter's interpolated binomial limit (``qbinom.interp`` of his ``funnel``
    package): ``(r − α)/n`` for the lower tail, ``(r + 1 − α)/n`` for the upper, where ``p``
    is the cumulative probability (0.025 lower, 0.975 upper for 95%)."""
    r = _binom_quantile(p, n, target)
    f_r = stats.binom.cdf(r, n, target)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = (f_r - p) / stats.binom.pmf(r, n, target)
        return (r + (1.0 if upper else 0.0) - alpha) / n


def _wilson_limits(
    n: npt.NDArray[np.float64], target: float, level: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Fingertips / PHEindicatormethods funnel limits: where the Wilson score interval of the
    observed rate just reaches the target, ``θ ± z·sqrt(θ(1 − θ)/n)`` (module docstring)."""
    z = float(stats.norm.ppf((1 + level) / 2))
    half = z * np.sqrt(target * (1 - target) / n)
    return target - half, target + half


def funnel_limits(
    denominators: Sequence[int] | npt.ArrayLike,
    target: float,
    levels: Sequence[float] = FUNNEL_LEVELS,
    *,
    method: str = "exact",
) -> pd.DataFrame:
    """Funnel-plot control limits for a proportion at each denominator.

    ``target`` is the rate the funnel is centred on (0-1); ``levels`` the coverages
    (default 95% and 99.8%); ``method`` one of ``FUNNEL_METHODS``: ``"exact"`` (default:
    Spiegelhalter's exact binomial with his interpolation), ``"wilson"`` (the Fingertips /
    PHEindicatormethods limits) or ``"normal"`` (the same formula as ``"wilson"``). Module
    docstring: the methods and references.

    Returns ``denominator`` (int64), ``target``, then ``lower_<L>`` and ``upper_<L>`` for
    each level (``lower_95``, ``upper_95``, ``lower_99_8``, ``upper_99_8``), clipped to
    [0, 1]; NaN for a denominator of 0. ``ParameterError`` for a bad target, level or method.
    """
    den = as_counts(denominators, "denominators")
    levels = _check_levels(levels)
    try:
        theta = float(target)
    except (TypeError, ValueError):
        raise ParameterError(f"target must be a rate between 0 and 1; got {target!r}") from None
    if not (0.0 <= theta <= 1.0):
        raise ParameterError(f"target must be a rate between 0 and 1; got {target!r}")
    if method not in FUNNEL_METHODS:
        raise ParameterError(f"method must be one of {', '.join(FUNNEL_METHODS)}; got {method!r}")

    out: dict[str, object] = {
        "denominator": den.astype(np.int64),
        "target": np.full(len(den), theta, dtype="float64"),
    }
    ok = den > 0
    n = np.where(ok, den, 1.0)
    for level in levels:
        suffix = level_suffix(level)
        tail = (1 - level) / 2
        if theta in (0.0, 1.0):
            low = np.full(len(den), theta)
            high = np.full(len(den), theta)
        elif method == "exact":
            low = _exact_limit(n, theta, tail, upper=False)
            high = _exact_limit(n, theta, 1 - tail, upper=True)
        else:
            low, high = _wilson_limits(n, theta, level)
        out[f"lower_{suffix}"] = np.where(ok, np.clip(low, 0.0, 1.0), np.nan).astype("float64")
        out[f"upper_{suffix}"] = np.where(ok, np.clip(high, 0.0, 1.0), np.nan).astype("float64")
    return pd.DataFrame(out)


def _position(rate: float, limits: Mapping[float, tuple[float, float]]) -> str:
    if math.isnan(rate):
        return "no cases recorded"
    for level in sorted(limits, reverse=True):
        low, high = limits[level]
        label = f"{float(level) * 100:.10g}%"
        if rate > high:
            return f"above the upper {label} limit"
        if rate < low:
            return f"below the lower {label} limit"
    return "within the limits"


def _funnel_target(
    metric: str,
    target: float | str | None,
    num: npt.NDArray[np.float64],
    den: npt.NDArray[np.float64],
) -> tuple[float, str]:
    """The funnel's target rate and its basis (``"pooled"``, ``"national"`` or ``"given"``)
    for :func:`funnel_table`'s ``target``."""
    if target is None or (isinstance(target, str) and target == "pooled"):
        if den.sum() == 0:
            raise ParameterError(
                f"no partnership has cases recorded for {metric!r}: no pooled rate"
            )
        return float(num.sum() / den.sum()), "pooled"
    elif isinstance(target, str) and target == "national":
        from audit.measures.national import national_reference

        reference = national_reference(metric)
        if reference is None:
            raise ParameterError(
                f"the national review published no figure for {metric!r}; use "
                "the pooled rate (target=None) or give a rate"
            )
        return reference[0] / reference[1], "national"
    elif isinstance(target, str):
        raise ParameterError(f"target must be None, 'pooled', 'national' or a rate; got {target!r}")
    else:
        return float(target), "given"


def funnel_table(
    metrics_by_partnership: pd.DataFrame,
    metric: str,
    target: float | str | None = None,
    *,
    by: str = "partnership",
    levels: Sequence[float] = FUNNEL_LEVELS,
    method: str = "exact",
) -> pd.DataFrame:
    """Each partnership's rate for one metric against funnel limits around a target.

    ``metrics_by_partnership`` is :func:`audit.measures.metrics.metrics_by` output (unsuppressed),
    one row a (``by``, metric); ``metric`` the metric id. ``target`` is ``None`` or
    ``"pooled"`` (default: the pooled rate ``Σ numerator / Σ denominator`` of the
    partnerships in the table), ``"national"`` (the national review's figure for the metric;
    ``ParameterError`` if none was published) or a rate 0-1.

    Returns one row a partnership, in input order: ``by``, ``metric``, ``numerator``,
    ``denominator``, (``unknown`` if given), ``rate``, ``target``, ``target_basis``
    (``"pooled"``, ``"national"`` or ``"given"``), the limits of :func:`funnel_limits`, the
    booleans ``outside_<L>`` for each level (False without cases) and ``position`` in words
    (``"above the upper 99.8% limit"``, ``"below the lower 95% limit"``, ``"within the
    limits"``, ``"no cases recorded"``). What a board or the public may see of it is decided
    by :mod:`audit.disclosure`.
    """
    needed = (by, "metric", "numerator", "denominator")
    missing = [c for c in needed if c not in metrics_by_partnership.columns]
    if missing:
        raise ParameterError(
            f"the metrics table lacks column(s): {', '.join(missing)} "
            f"(pass audit.measures.metrics.metrics_by(cases, {by!r}))"
        )
    rows = metrics_by_partnership.loc[metrics_by_partnership["metric"].astype(str) == metric]
    if rows.empty:
        raise ParameterError(f"metric {metric!r} is not in the metrics table")
    if rows[by].duplicated().any():
        raise ParameterError(f"a {by} appears twice for {metric!r}: pass one period's breakdown")
    levels = _check_levels(levels)
    num = as_counts(rows["numerator"], "numerators")
    den = as_counts(rows["denominator"], "denominators")
    if (num > den).any():
        raise ParameterError("a numerator exceeds its denominator")

    theta, basis = _funnel_target(metric, target, num, den)

    limits = funnel_limits(den, theta, levels, method=method)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
    out = pd.DataFrame(
        {
            by: rows[by].astype(str).to_numpy(),
            "metric": metric,
            "numerator": num.astype(np.int64),
            "denominator": den.astype(np.int64),
        }
    )
    if "unknown" in rows.columns:
        out["unknown"] = as_counts(rows["unknown"], "unknown counts").astype(np.int64)
    out["rate"] = rate.astype("float64")
    out["target"] = theta
    out["target_basis"] = basis
    for column in limits.columns[2:]:
        out[column] = limits[column].to_numpy()
    bounds: dict[float, tuple[npt.NDArray, npt.NDArray]] = {}
    for level in levels:
        suffix = level_suffix(level)
        low = out[f"lower_{suffix}"].to_numpy()
        high = out[f"upper_{suffix}"].to_numpy()
        with np.errstate(invalid="ignore"):
            out[f"outside_{suffix}"] = (den > 0) & ((rate > high) | (rate < low))
        bounds[level] = (low, high)
    out["position"] = [
        _position(
            float(rate[i]), {lv: (float(lo[i]), float(hi[i])) for lv, (lo, hi) in bounds.items()}
        )
        for i in range(len(out))
    ]
    return out.reset_index(drop=True)
