"""The father-engagement funnel: identified, contacted, seen, assessed - and where it falls.

The review's practice messages are about each step in turn (a father identified but never
contacted, contacted but never seen ...). This module turns the ``ENGAGEMENT_FUNNEL`` flags
into a funnel table with each step's own rate and the conditional step rate, checks whether
the steps are nested in the records before any fall is called cases "lost", and writes the
one-sentence headline a board reads. Rates and intervals are the metrics table's
(:func:`audit.measures.metrics.wilson_interval`), so the funnel and ``metrics.csv`` agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from audit.contract import ENGAGEMENT_FUNNEL, flag_metric_id, metric_label
from audit.measures.metrics import FLAG_UNKNOWN_CODE, FLAG_YES_CODE, flag_codes, wilson_interval

__all__ = [
    "engagement_funnel",
    "biggest_drop",
    "StepNesting",
    "engagement_nesting",
    "engagement_headline",
]


def engagement_funnel(cases: pd.DataFrame, *, level: float = 0.95) -> pd.DataFrame:
    """The father-engagement funnel: ``ENGAGEMENT_FUNNEL`` steps present in ``cases``, in order.

    Per step: ``yes``, ``known`` (yes + no), ``unknown``, ``rate = yes / known`` with a Wilson
    interval - the same definition as the metrics table, so the funnel and the table agree
    and an unrecorded answer is never read as "no". Then the conditional step: of the cases
    ``yes`` at the previous present step *and* known at this one (``reached``), how many are
    ``yes`` here (``kept``): ``step_rate = kept / reached``, Wilson interval, and
    ``drop = 1 - step_rate``. The first step has no conditional values (empty).
    Columns: ``step, flag, metric, label, yes, known, unknown, rate, ci_low, ci_high,
    previous_flag, reached, kept, step_rate, step_ci_low, step_ci_high, drop``.
    """
    steps = [f for f in ENGAGEMENT_FUNNEL if f in cases.columns]
    codes = [flag_codes(cases, f) for f in steps]
    yes = np.array([int((c == FLAG_YES_CODE).sum()) for c in codes], dtype=np.int64)
    unknown = np.array([int((c == FLAG_UNKNOWN_CODE).sum()) for c in codes], dtype=np.int64)
    known = len(cases) - unknown
    reached = np.zeros(len(steps), dtype=np.int64)
    kept = np.zeros(len(steps), dtype=np.int64)
    for i in range(1, len(steps)):
        previous_yes = codes[i - 1] == FLAG_YES_CODE
        reached[i] = int((previous_yes & (codes[i] != FLAG_UNKNOWN_CODE)).sum())
        kept[i] = int((previous_yes & (codes[i] == FLAG_YES_CODE)).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(known > 0, yes / np.maximum(known, 1), np.nan)
        step_rate = np.where(reached > 0, kept / np.maximum(reached, 1), np.nan)
    ci_low, ci_high = wilson_interval(yes, known, level)
    step_low, step_high = wilson_interval(kept, reached, level)
    first = np.arange(len(steps)) == 0
    step_rate[first] = np.nan

    def int_or_na(a: npt.NDArray[np.int64]) -> pd.api.extensions.ExtensionArray:
        return pd.array(np.where(first, np.nan, a.astype("float64")), dtype="Int64")

    return pd.DataFrame(
        {
            "step": np.arange(1, len(steps) + 1, dtype=np.int64),
            "flag": pd.Series(steps, dtype="str"),
            "metric": pd.Series([flag_metric_id(f) for f in steps], dtype="str"),
            "label": pd.Series([metric_label(flag_metric_id(f)) for f in steps], dtype="str"),
            "yes": yes,
            "known": known.astype(np.int64),
            "unknown": unknown,
            "rate": rate.astype("float64"),
            "ci_low": ci_low,
            "ci_high": ci_high,
            "previous_flag": pd.Series(([None] + steps[:-1]) if steps else [], dtype="str"),
            "reached": int_or_na(reached),
            "kept": int_or_na(kept),
            "step_rate": step_rate.astype("float64"),
            "step_ci_low": np.where(first, np.nan, step_low),
            "step_ci_high": np.where(first, np.nan, step_high),
            "drop": (1.0 - step_rate).astype("float64"),
        }
    )


def biggest_drop(funnel: pd.DataFrame) -> dict[str, Any] | None:
    """The funnel step with the largest fall: the lowest ``step_rate`` (largest ``drop``).

    Returns ``step``, ``flag``, ``metric``, ``label``, ``previous_flag``, ``previous_label``,
    ``reached``, ``kept``, ``lost``, ``step_rate``, ``drop``; ties go to the earlier step;
    ``None`` when no step after the first has anyone reaching it.
    """
    needed = (
        "step",
        "flag",
        "metric",
        "label",
        "previous_flag",
        "reached",
        "kept",
        "step_rate",
        "drop",
    )
    missing = [c for c in needed if c not in funnel.columns]
    if missing:
        raise ValueError(f"funnel table lacks column(s): {', '.join(missing)}")
    drops = pd.to_numeric(funnel["drop"], errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    if np.isnan(drops).all():
        return None
    i = int(np.nanargmax(drops))
    row = funnel.iloc[i]
    previous = str(row["previous_flag"])
    return {
        "step": int(row["step"]),
        "flag": str(row["flag"]),
        "metric": str(row["metric"]),
        "label": str(row["label"]),
        "previous_flag": previous,
        "previous_label": metric_label(flag_metric_id(previous)),
        "reached": int(row["reached"]),
        "kept": int(row["kept"]),
        "lost": int(row["reached"]) - int(row["kept"]),
        "step_rate": float(row["step_rate"]),
        "drop": float(row["drop"]),
    }


@dataclass(frozen=True)
class StepNesting:
    """Whether the engagement steps are nested in these records (:func:`engagement_nesting`).

    ``nested``: every ``yes`` at a step is a ``yes`` at the step before (the one before that
    is present), so a fall from one step to the next can be called cases "lost";
    ``breaks``: flag -> cases ``yes`` at that step but not ``yes`` at the step before
    (analyst detail: small counts); ``lowest_flag`` / ``lowest_label`` / ``lowest_rate``: the
    step with the lowest rate of the cases where it was recorded (ties: the earlier step),
    ``None`` when no step has a known answer.
    """

    nested: bool
    breaks: dict[str, int]
    lowest_flag: str | None
    lowest_label: str | None
    lowest_rate: float | None


def engagement_nesting(cases: pd.DataFrame) -> StepNesting:
    """Are the ``ENGAGEMENT_FUNNEL`` steps nested in practice, as recorded?

    In practice they are often not (a father can be contacted without enquiries beyond the
    mother), and then "lost from the step before" tells a board something the records do
    not say: the chart should show each step's own rate and name the lowest step instead.
    With fewer than two steps present there is nothing to nest (``nested`` is False).
    """
    steps = [f for f in ENGAGEMENT_FUNNEL if f in cases.columns]
    codes = [flag_codes(cases, f) for f in steps]
    breaks = {
        steps[i]: int(((codes[i] == FLAG_YES_CODE) & (codes[i - 1] != FLAG_YES_CODE)).sum())
        for i in range(1, len(steps))
    }
    known = [int((c != FLAG_UNKNOWN_CODE).sum()) for c in codes]
    rates = [int((c == FLAG_YES_CODE).sum()) / k if k else math.nan for c, k in zip(codes, known)]
    usable = [i for i, r in enumerate(rates) if not math.isnan(r)]
    lowest = min(usable, key=lambda i: (rates[i], i)) if usable else None
    return StepNesting(
        nested=len(steps) >= 2 and not any(breaks.values()),
        breaks=breaks,
        lowest_flag=steps[lowest] if lowest is not None else None,
        lowest_label=metric_label(flag_metric_id(steps[lowest])) if lowest is not None else None,
        lowest_rate=rates[lowest] if lowest is not None else None,
    )


def engagement_headline(
    funnel: pd.DataFrame, nesting: StepNesting, *, shown: pd.DataFrame | None = None
) -> str:
    """The engagement chart's finding in one sentence, honest about nesting.

    Nested: the biggest drop (:func:`biggest_drop`), "lost" at the step before. Not nested:
    the lowest step and its rate, and why no step is said to lose cases. ``funnel`` is the
    unsuppressed funnel (it picks the step); ``shown``, e.g. the board (suppressed) funnel,
    supplies the figure quoted (default ``funnel``): a figure that is not a number there is
    not quoted.
    """
    shown = funnel if shown is None else shown

    def pct(value: Any) -> str | None:
        number = pd.to_numeric(pd.Series([value], dtype=object), errors="coerce").iloc[0]
        return None if pd.isna(number) else f"{float(number) * 100:.1f}%"

    if nesting.nested and (drop := biggest_drop(funnel)) is not None:
        row = shown.loc[shown["flag"].astype(str) == drop["flag"]]
        share = pct(row["drop"].iloc[0]) if len(row) else None
        figure = (
            f"{share} of the cases at the step before were lost"
            if share
            else "the figure rests on small numbers"
        )
        return (
            f"The biggest drop is at '{drop['label']}' ({figure}); the steps are nested "
            "in these records, so each is a share of the cases that reached the one before."
        )
    if nesting.lowest_flag is None:
        return "No father-engagement step has a recorded answer."
    row = shown.loc[shown["flag"].astype(str) == nesting.lowest_flag]
    share = pct(row["rate"].iloc[0]) if len(row) else None
    figure = (
        f", done in {share} of the cases where it was recorded"
        if share
        else " (its figure rests on small numbers)"
    )
    why = (
        " The steps are not nested in these records (a later step is often recorded "
        "without the one before), so no step is said to lose cases from the one before."
        if not nesting.nested
        else ""
    )
    return f"The lowest step is '{nesting.lowest_label}'{figure}.{why}"
