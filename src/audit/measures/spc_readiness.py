"""What a p-chart of these periods can and cannot show: whether it may carry an SPC verdict,
and in which periods a fall could never show as below the lower limit.

A p-chart's lower limit is 0 whenever ``n·p̄ ≤ 9(1 − p̄)`` (3-sigma limits), that is below
``9(1 − p̄)/p̄`` cases a period: for father seen (``p̄`` about 0.35), below 17 cases a
quarter. Then no fall, however large, can show as "outside the limits". And limits worked
out from a handful of periods are not yet trusted: NHS-R's ``NHSRplotthedots`` (the NHS
Making Data Count method in R) warns below 12 points that the limits are "trial limits,
which will be revised with each additional observation" (``ptd_add_short_group_warnings``);
NHS Education for Scotland's QI guidance says not to draw an SPC chart with fewer than 12
points but a run chart instead. Below ``MIN_SPC_POINTS`` (12) periods with data the pack
draws a run chart, with no verdict, and says how many more periods the SPC chart needs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from audit.errors import ParameterError
from audit.measures.spc import MIN_SPC_POINTS, SIGMA, as_counts

__all__ = ["fall_can_show", "min_cases_for_fall", "TrendReadiness", "trend_readiness"]


def fall_can_show(
    denominators: Sequence[int] | npt.ArrayLike, centre: float, *, sigma: float = SIGMA
) -> npt.NDArray[np.bool_]:
    """For each period size ``n``, whether a fall could ever show as below the lower limit.

    The lower limit ``p̄ − sigma·sqrt(p̄(1 − p̄)/n)`` is above 0 exactly when
    ``n·p̄ > sigma²·(1 − p̄)``; otherwise it is clipped to 0 and no rate can fall below it.
    Worked in that product form, so the boundary is exact. False for ``n = 0`` and for a
    centre of 0 (no fall is possible) or outside [0, 1].
    """
    n = as_counts(denominators, "denominators")
    p_bar = float(centre)
    if not float(sigma) > 0:
        raise ParameterError(f"sigma must be positive; got {sigma!r}")
    if not (0.0 < p_bar <= 1.0):
        return np.zeros(len(n), dtype=bool)
    return (n > 0) & (n * p_bar > float(sigma) ** 2 * (1.0 - p_bar))


def min_cases_for_fall(centre: float, *, sigma: float = SIGMA) -> int | None:
    """The fewest cases a period needs for a fall to be able to show on the p-chart: the
    smallest whole ``n`` with ``n·p̄ > sigma²·(1 − p̄)`` (17 at ``p̄`` = 0.346, 3 sigma).
    ``None`` for a centre of 0 (there is nothing to fall from)."""
    p_bar = float(centre)
    if not float(sigma) > 0:
        raise ParameterError(f"sigma must be positive; got {sigma!r}")
    if not (0.0 <= p_bar <= 1.0):
        raise ParameterError(f"centre must be a rate between 0 and 1; got {centre!r}")
    if p_bar == 0.0:
        return None
    n = math.floor(float(sigma) ** 2 * (1.0 - p_bar) / p_bar) + 1
    while n > 1 and (n - 1) * p_bar > float(sigma) ** 2 * (1.0 - p_bar):
        n -= 1  # guard the floor against rounding
    while not n * p_bar > float(sigma) ** 2 * (1.0 - p_bar):
        n += 1
    return n


@dataclass(frozen=True)
class TrendReadiness:
    """What a p-chart of these periods can and cannot show (:func:`trend_readiness`).

    ``points``: periods with data; ``spc_ready``: at least ``min_points`` of them (else draw
    a run chart with no verdict); ``more_needed``: periods still to come before it is;
    ``min_cases_for_fall``: cases a period needs for a fall to show (None without a centre);
    ``fall_hidden``: labels of the periods with data whose lower limit is 0, so a fall there
    could never show as outside the limits; ``sentences``: all of it in plain English.
    """

    points: int
    min_points: int
    spc_ready: bool
    more_needed: int
    min_cases_for_fall: int | None
    fall_hidden: tuple[str, ...]
    sentences: tuple[str, ...]


def trend_readiness(
    chart: pd.DataFrame,
    *,
    min_points: int = MIN_SPC_POINTS,
    sigma: float = SIGMA,
    unit: str = "quarters",
) -> TrendReadiness:
    """Whether a :func:`p_chart` frame may carry an SPC verdict, and what it cannot show.

    ``chart`` needs ``label``, ``denominator`` and ``centre``. Below ``min_points`` periods
    with data the pack draws a run chart without a verdict (module docstring: the source of
    the number). Periods too small for their lower limit to leave 0 are named, so the trend
    section can say a fall cannot show there and offer the rolling four-quarter view.
    """
    missing = [c for c in ("label", "denominator", "centre") if c not in chart.columns]
    if missing:
        raise ParameterError(f"the p-chart frame lacks column(s): {', '.join(missing)}")
    if (
        isinstance(min_points, bool)
        or not isinstance(min_points, (int, np.integer))
        or min_points < 1
    ):
        raise ParameterError(f"min_points must be a positive whole number; got {min_points!r}")
    den = as_counts(chart["denominator"], "denominators")
    labels = [str(v) for v in chart["label"]]
    centre = float(chart["centre"].iloc[0]) if len(chart) else math.nan
    points = int((den > 0).sum())
    more = max(0, int(min_points) - points)
    one = unit.rstrip("s")
    sentences = []
    if more:
        sentences.append(
            f"Only {points} {one if points == 1 else unit} with data: shown as a run chart "
            f"without a verdict; an SPC chart needs {min_points} (that is {more} more)."
        )
    if math.isnan(centre):
        return TrendReadiness(points, int(min_points), not more, more, None, (), tuple(sentences))
    needed = min_cases_for_fall(centre, sigma=sigma)
    can_fall = fall_can_show(den, centre, sigma=sigma)
    hidden = tuple(label for label, n, ok in zip(labels, den, can_fall) if n > 0 and not ok)
    if hidden and needed is not None:
        scope = f"every {one}" if len(hidden) == points else f"{len(hidden)} of the {unit}"
        sentences.append(
            f"In {scope} the lower limit is 0 (fewer than {needed} cases), so a fall cannot "
            f"show as outside the limits there; the rolling four-{one} figures show a fall "
            "more surely."
        )
    return TrendReadiness(points, int(min_points), not more, more, needed, hidden, tuple(sentences))
