"""Planning a quarter's audit: how many cases a comparison needs, and what a planned number
of cases can show, with the pack's own test.

The pack says after the fact what its numbers could have shown ("with 16 cases, only 93.8%
or more would differ"). A quality lead needs it before choosing the sample: how many cases
to audit to see a given shortfall against the national figure (or a given fall since last
quarter), and what a planned number can and cannot show.

The test and the level, as the pack's
=====================================

* **Against the national figure** (``against="national"``): the pack's comparison
  (:mod:`audit.measures.compare`) is the two-sided Fisher exact test of the local count ``x`` of
  ``n`` against the review's count ``c`` of its 92 cases, and says "lower than nationally"
  when the Holm-adjusted p-value is below ``alpha`` (0.05) and ``x / n`` is below
  ``c / 92``; with fewer than :data:`audit.measures.compare.MIN_DENOMINATOR` (10) cases it gives
  no verdict. Holm's adjustment runs over the pack's comparisons (nine: ten national
  figures, the two ``harmed_by`` rows counting once). Holm calls any p-value below
  ``alpha / m`` whatever the other comparisons show, so the plan uses the level
  ``alpha / m`` (``comparisons = m``): the power printed is the power Holm is sure to
  reach, the least it has (when every other measure is as nationally); it is higher when
  other measures differ too. ``comparisons=1`` plans at ``alpha`` itself, the level of the
  pack's "what this comparison could detect" sentence.
* **Against last quarter** (``against="last-quarter"``): the follow-up of last quarter's
  actions (:func:`audit.claims.actions.follow_up`) calls a movement "beyond chance" when the
  two-sided Fisher exact test of the two quarters' counts gives p < 0.05, unadjusted
  (``comparisons=1``). Last quarter's counts are recorded (the history store) when the
  quarter is planned, so the plan holds them fixed, as the national counts are held: the
  same calculation with last quarter's ``yes`` of its recorded cases in place of the
  review's.

Power, exactly
==============

This quarter's count ``X`` of ``n`` cases is Binomial(``n``, ``p1``), ``p1`` the reference
rate less the shortfall. The power is the probability that the pack calls the figure
lower::

    power(n) = sum over x in R(n) of  C(n, x) p1^x (1 - p1)^(n - x)
    R(n)     = { x : Fisher p(x) < alpha / m  and  x / n < c / N },  empty for n < 10

an enumeration over every one of the ``n + 1`` results, with the p-values of the pack's
own test (:func:`audit.measures.compare.fisher_p_values_by_count`) — no normal approximation. A
result the test would call *higher* is not a detection of a shortfall and is not counted.

* **Cases needed** (:func:`cases_needed`): the smallest ``n`` from 10 to
  :data:`MAX_CASES` whose power reaches the target. Exact power is a saw-tooth in ``n``
  (the test's real size moves below ``alpha`` as ``n`` changes; Chernick and Liu 2002), so
  a size a little above the one printed can have a little less power: the table prints the
  power reached, and ``--cases`` gives any other size's.
* **What N cases can detect** (:func:`detectable_shortfall`): the smallest shortfall the
  test finds at ``N`` cases with the target power, i.e. the largest true rate ``p1`` with
  ``power >= target``, found by bisection on the exact power (which falls as ``p1`` rises:
  the region is a run of counts from 0 up, checked).

Cases here are the cases of the comparison's base (:func:`audit.measures.compare.review_base`):
every case for a risk factor, the cases whose perpetrator is known for ``harmed_by``, those
known to services for ``known_to``; against last quarter, the cases where the measure is
recorded.

Checked against a kept implementation and published values in ``tests/test_plan.py``.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from audit.contract import METRIC_IDS, metric_label
from audit.errors import ParameterError
from audit.measures.compare import MIN_DENOMINATOR, ONE_TEST_GROUPS, fisher_p_values_by_count
from audit.measures.national import NATIONAL_REFERENCE

__all__ = [
    "AGAINST",
    "MAX_CASES",
    "PACK_ALPHA",
    "PACK_COMPARISONS",
    "PLAN_COLUMNS",
    "Reference",
    "national_references",
    "history_references",
    "rejection_region",
    "power_of_region",
    "power",
    "cases_needed",
    "detectable_shortfall",
    "plan_table",
    "plan_text",
]

#: What a plan can compare with.
AGAINST: tuple[str, ...] = ("national", "last-quarter")
#: The largest number of cases the search for "cases needed" looks at (a quarter's audit
#: is 10 to 40 cases; beyond this the plan says "more than").
MAX_CASES = 200
#: The pack's level (:func:`audit.measures.compare.verdicts`' default).
PACK_ALPHA = 0.05
#: Comparisons in the pack's Holm family: the national figures, each group of
#: :data:`audit.measures.compare.ONE_TEST_GROUPS` counting once.
PACK_COMPARISONS = len(NATIONAL_REFERENCE) - sum(len(g) - 1 for g in ONE_TEST_GROUPS)
#: The columns of :func:`plan_table`.
PLAN_COLUMNS: tuple[str, ...] = (
    "metric",
    "measure",
    "reference",
    "reference_count",
    "reference_total",
    "reference_rate",
    "shortfall",
    "planned_rate",
    "cases_needed",
    "power_at_needed",
    "cases",
    "power_at_cases",
    "detectable_shortfall",
)


@dataclass(frozen=True)
class Reference:
    """The figure a measure is compared with: ``count`` of ``total``, from ``source``
    ("national", or the quarter it was recorded for)."""

    metric: str
    count: int
    total: int
    source: str

    @property
    def rate(self) -> float:
        return self.count / self.total


def national_references() -> list[Reference]:
    """The review's figures (:data:`audit.measures.national.NATIONAL_REFERENCE`), contract order."""
    return [
        Reference(m, *NATIONAL_REFERENCE[m], source="national")
        for m in METRIC_IDS
        if m in NATIONAL_REFERENCE
    ]


def history_references(quarters: pd.DataFrame, quarter: str | None = None) -> list[Reference]:
    """Last quarter's figures from the history store's rows (:func:`audit.history.quarters_for`:
    ``period``, ``metric``, ``numerator``, ``denominator``): the latest quarter, or
    ``quarter``. Measures recorded with no cases are left out. ``ParameterError`` when
    there is no such quarter."""
    if quarters.empty:
        raise ParameterError(
            "the history store holds no quarter for this partnership: 'audit run --period' "
            "records one; or plan --against national"
        )
    periods = sorted({str(p) for p in quarters["period"]})
    if quarter is None:
        quarter = periods[-1]
    quarter = str(quarter).strip().upper()
    if quarter not in periods:
        raise ParameterError(
            f"the history store holds no figures for {quarter[:20]}; it holds {', '.join(periods)}"
        )
    rows = quarters.loc[quarters["period"].astype(str) == quarter]
    out = []
    for row in rows.itertuples(index=False):
        total = int(row.denominator)
        if total > 0:
            out.append(Reference(str(row.metric), int(row.numerator), total, source=quarter))
    return out


# --------------------------------------------------------------------------- exact power


def _check_level(alpha: float, comparisons: int) -> float:
    if not (0.0 < float(alpha) <= 0.05):
        raise ParameterError(
            f"alpha must be in (0, 0.05], as the pack's; got {alpha!r} (a difference is never "
            "called on evidence weaker than p < 0.05)"
        )
    if isinstance(comparisons, bool) or int(comparisons) != comparisons or comparisons < 1:
        raise ParameterError(
            f"comparisons must be a whole number of at least 1; got {comparisons!r}"
        )
    return float(alpha) / int(comparisons)


def _check_rate(rate: float, name: str) -> float:
    if not (0.0 <= float(rate) <= 1.0) or math.isnan(float(rate)):
        raise ParameterError(f"{name} must be a proportion from 0 to 1; got {rate!r}")
    return float(rate)


def rejection_region(
    n: int, reference: Reference, *, alpha: float = PACK_ALPHA, comparisons: int = 1
) -> npt.NDArray[np.bool_]:
    """For every count ``x`` from 0 to ``n``: would the pack call ``x`` of ``n`` lower than
    ``reference``? (Fisher ``p < alpha / comparisons`` and ``x / n`` below the reference
    rate; nothing below :data:`~audit.measures.compare.MIN_DENOMINATOR` cases.)"""
    level = _check_level(alpha, comparisons)
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ParameterError(f"the number of cases must be a whole number of at least 1; got {n!r}")
    n = int(n)
    if n < MIN_DENOMINATOR:
        return np.zeros(n + 1, dtype=bool)
    p = fisher_p_values_by_count(n, reference.count, reference.total)
    x = np.arange(n + 1)
    return (p < level) & (x * reference.total < reference.count * n)


def power_of_region(n: int, rate: float, region: npt.ArrayLike) -> float:
    """The probability that Binomial(``n``, ``rate``) falls in ``region`` (a boolean array of
    ``n + 1``): the exact sum of the binomial probabilities of its counts."""
    from scipy.stats import binom

    mask = np.asarray(region, dtype=bool)
    if mask.shape != (int(n) + 1,):
        raise ParameterError("the region must hold one entry for every count from 0 to n")
    x = np.flatnonzero(mask)
    if not len(x):
        return 0.0
    return float(min(1.0, binom.pmf(x, int(n), _check_rate(rate, "rate")).sum()))


def power(
    n: int,
    reference: Reference,
    rate: float,
    *,
    alpha: float = PACK_ALPHA,
    comparisons: int = 1,
) -> float:
    """The exact probability that ``n`` cases whose true rate is ``rate`` are called lower
    than ``reference`` by the pack's test (module doc)."""
    region = rejection_region(n, reference, alpha=alpha, comparisons=comparisons)
    return power_of_region(n, rate, region)


def cases_needed(
    reference: Reference,
    rate: float,
    target: float = 0.8,
    *,
    alpha: float = PACK_ALPHA,
    comparisons: int = 1,
    max_cases: int = MAX_CASES,
) -> tuple[int | None, float]:
    """The smallest number of cases (10 to ``max_cases``) at which the exact power reaches
    ``target``, and that power; ``(None, best power found)`` when no number up to
    ``max_cases`` does."""
    best = 0.0
    for n in range(MIN_DENOMINATOR, int(max_cases) + 1):
        value = power(n, reference, rate, alpha=alpha, comparisons=comparisons)
        if value >= target:
            return n, value
        best = max(best, value)
    return None, best


def detectable_shortfall(
    n: int,
    reference: Reference,
    target: float = 0.8,
    *,
    alpha: float = PACK_ALPHA,
    comparisons: int = 1,
) -> float:
    """The smallest shortfall (in absolute points, a fraction) that ``n`` cases detect with
    power ``target``: the reference rate less the largest true rate whose exact power
    reaches ``target``. NaN when no true rate, not even 0, would be detected that often."""
    region = rejection_region(n, reference, alpha=alpha, comparisons=comparisons)
    counts = np.flatnonzero(region)
    if not len(counts):
        return math.nan
    if not np.array_equal(counts, np.arange(len(counts))):  # pragma: no cover - not seen
        raise ParameterError("the test's lower region is not a run of counts from 0")
    if power_of_region(n, 0.0, region) < target:
        return math.nan
    low, high = 0.0, reference.rate  # power(low) >= target > power(high)
    for _ in range(60):
        middle = (low + high) / 2
        if power_of_region(n, middle, region) >= target:
            low = middle
        else:
            high = middle
    return reference.rate - low


# --------------------------------------------------------------------------- the plan


def plan_table(
    references: Iterable[Reference],
    *,
    shortfall: float = 0.2,
    target: float = 0.8,
    cases: int | None = None,
    alpha: float = PACK_ALPHA,
    comparisons: int = 1,
    max_cases: int = MAX_CASES,
) -> pd.DataFrame:
    """One row a measure (columns :data:`PLAN_COLUMNS`): the cases needed to detect a
    fall of ``shortfall`` points from the reference with power ``target``, and, for
    ``cases`` planned cases, their power and the smallest shortfall they detect with
    ``target``. A shortfall larger than the reference rate leaves the row's figures empty."""
    if not (0.0 < float(shortfall) < 1.0):
        raise ParameterError(
            f"--shortfall is in absolute points as a fraction (0.2 means 20 percentage "
            f"points) and must be between 0 and 1; got {shortfall!r}"
        )
    if not (0.5 <= float(target) < 1.0):
        raise ParameterError(
            f"--power must be at least 0.5 and below 1 (0.8 means 80%); got {target!r}"
        )
    if cases is not None and (int(cases) != cases or cases < MIN_DENOMINATOR):
        raise ParameterError(
            f"--cases must be a whole number of at least {MIN_DENOMINATOR}: with fewer, the "
            f"pack gives no verdict ('too few cases to tell'); got {cases!r}"
        )
    _check_level(alpha, comparisons)
    rows = []
    for ref in references:
        planned = ref.rate - float(shortfall)
        possible = planned >= 0.0
        needed, reached = (
            cases_needed(
                ref, planned, target, alpha=alpha, comparisons=comparisons, max_cases=max_cases
            )
            if possible
            else (None, math.nan)
        )
        rows.append(
            {
                "metric": ref.metric,
                "measure": metric_label(ref.metric) if ref.metric in METRIC_IDS else ref.metric,
                "reference": ref.source,
                "reference_count": ref.count,
                "reference_total": ref.total,
                "reference_rate": ref.rate,
                "shortfall": float(shortfall),
                "planned_rate": planned if possible else math.nan,
                "cases_needed": needed,
                "power_at_needed": reached if needed is not None else math.nan,
                "cases": cases,
                "power_at_cases": (
                    power(cases, ref, planned, alpha=alpha, comparisons=comparisons)
                    if cases is not None and possible
                    else math.nan
                ),
                "detectable_shortfall": (
                    detectable_shortfall(cases, ref, target, alpha=alpha, comparisons=comparisons)
                    if cases is not None
                    else math.nan
                ),
            }
        )
    frame = pd.DataFrame(rows, columns=list(PLAN_COLUMNS))
    frame["cases_needed"] = pd.array(frame["cases_needed"].tolist(), dtype="Int64")
    frame["cases"] = pd.array(frame["cases"].tolist(), dtype="Int64")
    return frame


def _pct(value: float) -> str:
    return (
        ""
        if value is None or (isinstance(value, float) and math.isnan(value))
        else (f"{value * 100:.1f}%")
    )


def _points(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value * 100:.1f} points"


def _lines(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))
        ).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def plan_text(
    table: pd.DataFrame,
    *,
    target: float,
    alpha: float = PACK_ALPHA,
    comparisons: int = 1,
    against: str = "national",
    max_cases: int = MAX_CASES,
    partnership: str | None = None,
) -> str:
    """The plan as the analyst reads it: what is tested and how, then one line a measure
    (``partnership`` names whose last quarter it is)."""
    what = (
        "the national figure (the review's 92 cases)"
        if against == "national"
        else f"last quarter's figure ({', '.join(sorted(set(table['reference'])))}"
        + (f", {partnership})" if partnership else ")")
    )
    level = alpha / comparisons
    held = (
        f"Holm-adjusted over the pack's {comparisons} comparisons: planned at "
        f"{alpha:g}/{comparisons} = {level:.4f}, the level at which Holm calls a difference "
        "whatever the other measures show."
        if comparisons > 1
        else f"p < {alpha:g}, unadjusted."
    )
    cases = table["cases"].dropna()
    planned = int(cases.iloc[0]) if len(cases) else None
    header = ["Measure", "Figure", "Shortfall", "Cases needed", "Power"]
    if planned is not None:
        header += [f"Power with {planned}", f"{planned} cases detect"]
    rows = []
    for row in table.itertuples(index=False):
        figure = f"{_pct(row.reference_rate)} ({row.reference_count}/{row.reference_total})"
        if math.isnan(row.planned_rate):
            needed, reached = "n/a", ""
        elif pd.isna(row.cases_needed):
            needed, reached = f"more than {max_cases}", ""
        else:
            needed, reached = str(int(row.cases_needed)), _pct(row.power_at_needed)
        cells = [str(row.measure), figure, _points(row.shortfall), needed, reached]
        if planned is not None:
            detect = row.detectable_shortfall
            cells += [
                _pct(row.power_at_cases),
                "nothing" if math.isnan(detect) else f"a fall of {_points(detect)}",
            ]
        rows.append(cells)
    right = {1, 2, 3, 4, 5, 6}
    shortfall = _points(float(table["shortfall"].iloc[0]))
    head = [
        f"Cases needed to detect a fall of {shortfall} from {what}, with {target:.0%} power.",
        f"Test: as the pack's, two-sided Fisher exact, {held}",
        "Power: exact, every possible result of the planned cases enumerated; no verdict "
        f"under {MIN_DENOMINATOR} cases.",
    ]
    foot = [
        "Cases are those the comparison counts: every case for a risk factor; cases whose "
        "perpetrator is known for 'harmed by'; cases known to services for 'known to'"
        + (
            "."
            if against == "national"
            else "; against last quarter, cases where the measure is recorded."
        ),
        "n/a: the figure is smaller than the fall asked about; nothing: no true rate, not "
        "even 0%, would be found lower that often.",
        "Exact power rises in a saw-tooth, not smoothly: a case or two more can have a "
        "little less power (docs/methodology.md, 'Planning a quarter').",
    ]
    lines = [
        *(textwrap.fill(t, 92, subsequent_indent="  ") for t in head),
        "",
        *_lines(header, rows, right),
        "",
        *(textwrap.fill(t, 92) for t in foot),
    ]
    return "\n".join(lines) + "\n"
