"""The test for change over time in a proportion: the chi-squared test for trend.

A pack says a measure "rose" or "fell" only when this test, over the quarters it shows,
finds a linear trend (:mod:`audit.claims`). It is the Cochran–Armitage test for trend in
proportions, as R's ``prop.trend.test`` computes it (Dalgaard; the statistic is the
``score`` sum of squares of a weighted linear regression of ``x/n`` on ``score``, weights
``n / (p (1 - p))``, 1 degree of freedom):

    A   = sum(x s) - sum(x) sum(n s) / N
    B   = p (1 - p) (sum(n s^2) - sum(n s)^2 / N),   p = sum(x) / N
    X^2 = A^2 / B

Scores are the quarters' positions on a real time axis (quarter numbers, so a quarter with
no cases is a gap, not closed up). Checked against R's printed output in the reference
suite (``tests/reference/r_prop_trend_test.json``). Written out rather than taken from a
library because neither scipy nor statsmodels offers this test for a 2 x k table of counts
with scores (statsmodels' ``Table.test_ordinal_association`` uses a different variance).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["TrendResult", "prop_trend_test"]


@dataclass(frozen=True)
class TrendResult:
    """``statistic`` (chi-squared, 1 df), two-sided ``p_value`` and ``direction``: +1 when
    the proportion rises with the score, -1 when it falls, 0 when it cannot be tested."""

    statistic: float
    p_value: float
    direction: int


def prop_trend_test(
    x: Sequence[int], n: Sequence[int], score: Sequence[float] | None = None
) -> TrendResult:
    """Chi-squared test for trend in proportions (module doc). ``x`` events of ``n`` trials
    in each group, ``score`` each group's position (default 1, 2, ...). Groups with no
    trials carry no information and are left out. With fewer than two groups left, or
    every trial an event (or none), there is nothing to test: p = 1, direction 0."""
    xs = np.asarray(x, dtype="float64")
    ns = np.asarray(n, dtype="float64")
    scores = (
        np.arange(1, len(xs) + 1, dtype="float64")
        if score is None
        else np.asarray(score, dtype="float64")
    )
    if not (len(xs) == len(ns) == len(scores)):
        raise ValueError("x, n and score must be the same length")
    if np.any(xs < 0) or np.any(xs > ns):
        raise ValueError("each x must be between 0 and its n")
    keep = ns > 0
    xs, ns, scores = xs[keep], ns[keep], scores[keep]
    total = ns.sum()
    if len(xs) < 2 or total == 0 or np.ptp(scores) == 0:
        return TrendResult(0.0, 1.0, 0)
    p = xs.sum() / total
    if p in (0.0, 1.0):
        return TrendResult(0.0, 1.0, 0)
    a = (xs * scores).sum() - xs.sum() * (ns * scores).sum() / total
    b = p * (1 - p) * ((ns * scores**2).sum() - (ns * scores).sum() ** 2 / total)
    statistic = float(a * a / b)
    return TrendResult(statistic, float(stats.chi2.sf(statistic, 1)), int(np.sign(a)))
