"""What a pack says about its figures: each statement built once per run, and earned.

A figure can be right and the words beside it still mislead a board. Every sentence that
states a change over time or a rank is a :class:`Claim` built here from the **protected**
tables (so a hidden figure is never quoted or ranked), once per pack (:func:`claims_for`
caches it on the :class:`~audit.disclosure.Protected` view), and used as it stands by the
summary, the chart titles and alt text, the slides and the workbook: the same fact is worded
the same wherever it appears. Charts draw; they do not compose verdicts.

The rules (``docs/methodology.md``, "What the pack claims"):

* **Change over time** ("rose", "fell") only when the chi-squared test for trend in
  proportions (:func:`audit.measures.trend_test.prop_trend_test`, R's ``prop.trend.test``) over the
  quarters shown, on a real time axis, gives a Holm-adjusted p below 0.05 across the
  measures charted together. Otherwise the claim states the first and latest figures and
  that the quarters show no clear change. A quarter resting on fewer than
  :data:`FEW_CASES` known cases carries no claim: it is left out of the test and never an
  end point (the chart marks it).
* **Ranks and extremes** ("the lowest step", "the most common") are made over every figure
  of the set — the engagement steps of :data:`~audit.contract.ENGAGEMENT_FUNNEL`, the risk
  factors of :data:`~audit.contract.RISK_FLAGS` — and only when every member the extract
  records is shown: in a public pack with any of them hidden, or withheld from the pack
  (:attr:`audit.disclosure.Protected.withheld`), no rank is claimed.
* **Reasons** are true: a figure hidden by disclosure control is "hidden to protect
  privacy" (:data:`HIDDEN_REASON`); "too few cases to tell" is said only of statistical power.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from audit.contract import (
    ENGAGEMENT_FLAGS,
    ENGAGEMENT_FUNNEL,
    RISK_FLAGS,
    flag_metric_id,
    metric_label,
    rate_base_words,
)
from audit.formatting import format_percent, is_suppressed, p_chart_points, quarter_number

__all__ = [
    "ALPHA",
    "FEW_CASES",
    "HIDDEN_REASON",
    "Claim",
    "Claims",
    "claims_for",
    "change_claims",
    "lowest_step",
    "most_common_risk",
    "spc_claim",
    "funnel_claim",
    "p_text",
]

#: The level at which an adjusted p-value earns a "rose"/"fell".
ALPHA = 0.05
#: A quarter with fewer known cases than this carries no claim (and the chart marks it).
FEW_CASES = 5
#: Why a figure is not printed in a public pack.
HIDDEN_REASON = "hidden to protect privacy"


@dataclass(frozen=True)
class Claim:
    """One statement of the pack: what kind, what it says, what it rests on and the test
    that earns it (``None`` for a plain statement of figures)."""

    kind: str  # "change", "no_change", "figure", "none", "rank"
    subject: str  # a metric id, or the set ranked ("engagement steps", "risk factors")
    text: str  # the sentence, without a final full stop
    figures: tuple[str, ...] = ()  # quarters or metric ids it rests on
    test: str | None = None
    p_value: float | None = None
    p_adjusted: float | None = None

    def title_for(self, charted: Sequence[str]) -> str | None:
        """The claim as the title of a chart of ``charted`` metric ids, or ``None`` when the
        chart does not show what the claim rests on (a bullet and a chart never rank
        different sets)."""
        return self.text if set(self.figures) <= set(charted) else None

    @property
    def sentence(self) -> str:
        """The claim as a sentence, with its full stop."""
        return self.text if self.text.endswith((".", "?", "!")) else f"{self.text}."


@dataclass
class Claims:
    """Every claim of one pack (one protected view), built once by :func:`claims_for`."""

    trends: dict[str, Claim] = field(default_factory=dict)
    few_cases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lowest_step: Claim | None = None
    most_common_risk: Claim | None = None
    spc: dict[str, Claim] = field(default_factory=dict)
    funnels: dict[str, Claim] = field(default_factory=dict)

    def rank_title(self, which: str, charted: Sequence[str]) -> str | None:
        """``which`` ("lowest_step" or "most_common_risk") as a chart's title, if the chart
        shows what it rests on."""
        claim: Claim | None = getattr(self, which)
        return claim.title_for(charted) if claim is not None else None


def claims_for(p) -> Claims:
    """The claims of the pack drawn from protected view ``p`` (a few tests over published
    figures: computed where asked, nothing kept in the view)."""
    from audit.workspace import TREND_METRICS

    metrics = [m for m in TREND_METRICS if m in set(p.quarterly.get("metric", []))]
    trends, few = change_claims(p.quarterly, metrics)
    from audit.measures.spc import MIN_SPC_POINTS

    return Claims(
        trends=trends,
        few_cases=few,
        lowest_step=lowest_step(p.metrics, p.withheld),
        most_common_risk=most_common_risk(p.metrics, p.withheld),
        spc={m: spc_claim(c, m, min_points=MIN_SPC_POINTS) for m, c in p.spc.items()},
        funnels={m: funnel_claim(t) for m, t in p.funnels.items() if len(t)},
    )


# --------------------------------------------------------------------------- change over time


def _counts(rows: pd.DataFrame) -> tuple[list[str], list[int], list[int], list[str]]:
    """The shown quarters with enough cases (labels, numerators, denominators) in time
    order, and the shown quarters with too few."""
    labels, xs, ns, few = [], [], [], []
    for _, row in rows.iterrows():
        if is_suppressed(row["rate"]) or is_suppressed(row["denominator"]):
            continue
        denominator = int(row["denominator"])
        if denominator == 0:
            continue
        if denominator < FEW_CASES:
            few.append(str(row["period"]))
            continue
        labels.append(str(row["period"]))
        xs.append(int(row["numerator"]))
        ns.append(denominator)
    return labels, xs, ns, few


def change_claims(
    quarterly: pd.DataFrame, metrics: Sequence[str]
) -> tuple[dict[str, Claim], dict[str, tuple[str, ...]]]:
    """metric -> its claim about change over the quarters shown (module doc), with the
    trend tests Holm-adjusted across ``metrics``; and metric -> the shown quarters that rest
    on too few cases to carry a claim."""
    from audit.measures.compare import holm_adjust
    from audit.measures.trend_test import prop_trend_test

    tested: dict[str, tuple] = {}
    claims: dict[str, Claim] = {}
    few_cases: dict[str, tuple[str, ...]] = {}
    for metric in metrics:
        rows = quarterly[quarterly["metric"].astype(str) == metric]
        rows = rows.iloc[np.argsort([quarter_number(str(q)) for q in rows["period"]])]
        labels, xs, ns, few = _counts(rows)
        few_cases[metric] = tuple(few)
        label = metric_label(metric)
        if len(labels) >= 2:
            result = prop_trend_test(xs, ns, [quarter_number(q) for q in labels])
            tested[metric] = (labels, xs, ns, result)
        elif len(labels) == 1:
            claims[metric] = Claim(
                "figure",
                metric,
                f"{label} in {format_percent(xs[0] / ns[0], decimals=0)} "
                f"{rate_base_words(metric)} in {labels[0]}; one quarter is not a trend",
                (labels[0],),
            )
        else:
            hidden = any(is_suppressed(r) for r in rows["rate"])
            claims[metric] = Claim(
                "none",
                metric,
                f"{label}: quarterly figures {HIDDEN_REASON}"
                if hidden
                else f"{label}: no quarter has {FEW_CASES} or more cases recorded",
            )
    if tested:
        adjusted = holm_adjust([t[3].p_value for t in tested.values()])
        for (metric, (labels, xs, ns, result)), p_adj in zip(tested.items(), adjusted, strict=True):
            claims[metric] = _change(metric, labels, xs, ns, result, float(p_adj))
    return claims, few_cases


def p_text(p: float, *, decimals: int = 2) -> str:
    """A p-value as a sentence prints it: ``decimals`` decimals (three below 0.01), and as
    many more as it takes for the printed value to fall on the same side of :data:`ALPHA`
    as ``p`` (0.0496 is "p = 0.0496", never a "rose" beside "p = 0.05")."""
    if p < 0.001:
        return "p < 0.001"
    digits = decimals if p >= 0.01 else max(decimals, 3)
    while digits < 8 and (float(f"{p:.{digits}f}") < ALPHA) != (p < ALPHA):
        digits += 1
    return f"p = {p:.{digits}f}"


def _change(metric: str, labels, xs, ns, result, p_adj: float) -> Claim:
    label = metric_label(metric)
    first = format_percent(xs[0] / ns[0], decimals=0)
    last = format_percent(xs[-1] / ns[-1], decimals=0)
    n = len(labels)
    test = f"chi-squared test for trend over {n} quarters"
    adjusted = f"adjusted {p_text(p_adj)}" if p_adj != result.p_value else p_text(p_adj)
    if p_adj < ALPHA and result.direction != 0:
        verb = "rose" if result.direction > 0 else "fell"
        ends_agree = (xs[-1] / ns[-1] - xs[0] / ns[0]) * result.direction > 0
        figures = (
            f"from {first} in {labels[0]} to {last} in {labels[-1]}"
            if ends_agree
            else f"from {labels[0]} to {labels[-1]} (first {first}, latest {last})"
        )
        text = f"{label} {verb} over {n} quarters, {figures} (test for trend, {adjusted})"
        kind = "change"
    else:
        text = (
            f"{label}: {first} {rate_base_words(metric)} in {labels[0]}, {last} in "
            f"{labels[-1]}; these {n} "
            f"quarters show no clear change (test for trend, {adjusted})"
        )
        kind = "no_change"
    return Claim(kind, metric, text, tuple(labels), test, result.p_value, p_adj)


# --------------------------------------------------------------------------- ranks


def _rank(
    metrics: pd.DataFrame,
    members: Sequence[str],
    *,
    lowest: bool,
    subject: str,
    withheld: Sequence[str] = (),
) -> tuple[list[str], float] | None:
    """The member(s) at the extreme of the set, or ``None`` when no rank can be claimed:
    fewer than two members with a figure, or any member hidden or withheld from the pack
    (:attr:`audit.disclosure.Protected.withheld`)."""
    if set(members) & set(withheld):
        return None  # a member left out could be the extreme
    rows = metrics.set_index("metric")
    present = [m for m in members if m in rows.index]
    if any(is_suppressed(rows.at[m, "rate"]) for m in present):
        return None  # a rank over a set with a hidden member could be false
    rates = {m: float(rows.at[m, "rate"]) for m in present if pd.notna(rows.at[m, "rate"])}
    if len(rates) < 2:
        return None
    extreme = min(rates.values()) if lowest else max(rates.values())
    return [m for m in present if m in rates and rates[m] == extreme], extreme


def lowest_step(metrics: pd.DataFrame, withheld: Sequence[str] = ()) -> Claim | None:
    """The lowest of the father-engagement steps (every step of
    :data:`~audit.contract.ENGAGEMENT_FUNNEL` the pack shows), or ``None`` (module doc)."""
    steps = [flag_metric_id(f) for f in ENGAGEMENT_FUNNEL]
    found = _rank(metrics, steps, lowest=True, subject="engagement steps", withheld=withheld)
    if found is None:
        return None
    which, rate = found
    names = " and ".join(f"'{metric_label(m).lower()}'" for m in which)
    present = set(metrics["metric"])
    shown = len([m for m in steps if m in present])
    text = (
        f"The lowest of the {shown} engagement steps is {names}, in "
        f"{format_percent(rate)} of the cases where it was recorded"
        if len(which) == 1
        else f"The lowest of the {shown} engagement steps are {names}, each in "
        f"{format_percent(rate)} of the cases where it was recorded"
    )
    # the engagement table lists every engagement question, steps or not, in one order: a
    # reader who sees a lower rate there must be told it is not one of the set ranked
    others = [
        f"'{metric_label(m).lower()}'"
        for f in ENGAGEMENT_FLAGS
        if f not in ENGAGEMENT_FUNNEL and (m := flag_metric_id(f)) in present
    ]
    if others:
        listed = others[0] if len(others) == 1 else f"{', '.join(others[:-1])} and {others[-1]}"
        text += f" ({listed} {'is not a step' if len(others) == 1 else 'are not steps'})"
    return Claim("rank", "engagement steps", text, tuple(which))


def most_common_risk(metrics: pd.DataFrame, withheld: Sequence[str] = ()) -> Claim | None:
    """The most common of the risk factors the pack shows, or ``None`` (module doc)."""
    factors = [flag_metric_id(f) for f in RISK_FLAGS]
    found = _rank(metrics, factors, lowest=False, subject="risk factors", withheld=withheld)
    if found is None:
        return None
    which, rate = found
    names = " and ".join(metric_label(m).lower() for m in which)
    shown = len([m for m in factors if m in set(metrics["metric"])])
    verb = "was" if len(which) == 1 else "were"
    text = (
        f"Of the {shown} risk factors, {names} {verb} the most common, in "
        f"{format_percent(rate)} of the cases where it was recorded"
    )
    return Claim("rank", "risk factors", text, tuple(which))


# --------------------------------------------------------------------------- control charts


def _lower_first(label: str) -> str:
    """ "Known to Early Help" -> "known to Early Help" (an acronym keeps its capitals)."""
    first, _, rest = label.partition(" ")
    if first[:1].isupper() and not first[1:2].isupper():
        first = first[:1].lower() + first[1:]
    return f"{first} {rest}".strip()


def _unit(labels: Sequence[str]) -> str:
    return "quarters" if all(re.fullmatch(r"\d{4}-Q[1-4]", q) for q in labels) else "periods"


def spc_claim(chart: pd.DataFrame, metric: str, *, min_points: int) -> Claim:
    """What a p-chart's signals earn (NHS England's Making Data Count rules, read by
    :func:`audit.measures.spc.spc_reading`): a shift or a point outside the limits, or common-cause
    variation only; with fewer than ``min_points`` quarters, no verdict (a run chart)."""
    from audit.measures.spc import spc_reading

    label = metric_label(metric)
    labels = [str(v) for v in chart["label"]]
    hide, rate, points = p_chart_points(chart)
    unit = _unit(labels)
    centre = pd.to_numeric(pd.Series([chart["centre"].iloc[0]]), errors="coerce").iloc[0]
    if len(chart) == 0 or pd.isna(centre):
        return Claim("none", metric, f"{label}: no cases recorded in these {unit}")
    average = format_percent(float(centre), decimals=0)
    if points < int(min_points):
        return Claim(
            "figure",
            metric,
            f"{label} around an average of {average}: {points} {unit} so far, too few for "
            "control limits",
            test="run chart (too few quarters for limits)",
        )
    if spc_reading(chart, unit=unit).startswith("common-cause"):
        return Claim(
            "no_change",
            metric,
            f"{label}: common-cause variation only, around an average of {average}",
            test="p-chart, Making Data Count rules",
        )
    return Claim(
        "change",
        metric,
        f"{label}: {_spc_headline(chart, labels)}",
        tuple(labels),
        test="p-chart, Making Data Count rules",
    )


def _spc_headline(board: pd.DataFrame, labels: list[str]) -> str:
    """A short title for a chart with special causes: the latest shift, then the outliers."""
    parts = []
    side = np.asarray(board["side"], dtype=np.int64)
    runs = np.asarray(board["run"], dtype=bool)
    lengths = np.asarray(board["run_length"], dtype=np.int64)
    rate = pd.to_numeric(board["rate"], errors="coerce").to_numpy(dtype=float)
    with_data = np.flatnonzero(~np.isnan(rate))
    if runs.any():
        end = int(np.flatnonzero(runs)[-1])
        start = end - int(lengths[end]) + 1
        where = "above" if side[end] > 0 else "below"
        if with_data.size and end == int(with_data[-1]):
            parts.append(f"shift {where} the average since {labels[start]}")
        else:
            parts.append(f"shift {where} the average from {labels[start]} to {labels[end]}")
    outside = np.flatnonzero(np.asarray(board["outside"], dtype=bool))
    if len(outside) == 1:
        parts.append(f"a point outside the limits in {labels[int(outside[0])]}")
    elif len(outside) > 1:
        parts.append(f"{len(outside)} points outside the limits")
    return " and ".join(parts)


# --------------------------------------------------------------------------- funnel plots


def funnel_claim(table: pd.DataFrame, *, by: str = "partnership") -> Claim:
    """Which partnerships fall outside a funnel plot's limits (one metric's protected
    :func:`audit.measures.spc.funnel_table`). Counts are of the partnerships shown: with any hidden,
    the title says "of the N shown", since a hidden one could be outside too."""
    metric = str(table["metric"].astype(str).iloc[0])
    label = _lower_first(metric_label(metric))
    levels = sorted(
        {c.removeprefix("lower_") for c in table.columns if c.startswith("lower_")},
        key=lambda s: float(s.replace("_", ".")),
    )
    widest, strictest = levels[0], levels[-1]
    target = float(pd.to_numeric(pd.Series([table["target"].iloc[0]])).iloc[0])
    shown, hidden = [], 0
    for _, row in table.iterrows():
        if any(is_suppressed(row[c]) for c in ("numerator", "denominator", "rate")):
            hidden += 1
            continue
        rate = pd.to_numeric(pd.Series([row["rate"]]), errors="coerce").iloc[0]
        if pd.isna(rate) or not row["denominator"]:
            continue
        state = (
            "strict"
            if bool(row.get(f"outside_{strictest}", False))
            else "wide"
            if bool(row.get(f"outside_{widest}", False))
            else "within"
        )
        shown.append((str(row[by]), float(rate), state, float(rate) > target))

    def level(suffix: str) -> str:
        return suffix.replace("_", ".") + "%"

    strict = [p for p in shown if p[2] == "strict"]
    wide = [p for p in shown if p[2] == "wide"]
    of = f" of the {len(shown)} shown" if hidden else ""
    names = tuple(p[0] for p in strict or wide)
    if len(strict) == 1 or (not strict and len(wide) == 1):
        name, rate, _state, above = (strict or wide)[0]
        text = (
            f"{name} {'above' if above else 'below'} the "
            f"{level(strictest if strict else widest)} limit for {label}, at "
            f"{format_percent(rate, decimals=0)}"
        )
    elif strict:
        text = f"{len(strict)}{of} partnerships outside the {level(strictest)} limits for {label}"
    elif wide:
        text = f"{len(wide)}{of} partnerships outside the {level(widest)} limits for {label}"
    elif len(shown) == 1:
        text = (
            f"{shown[0][0]} within the funnel limits for {label}, at "
            f"{format_percent(shown[0][1], decimals=0)}"
        )
    elif shown:
        every = "Both" if len(shown) == 2 else f"All {len(shown)}"
        text = f"{every} partnerships shown within the limits for {label}"
    else:
        return Claim("none", metric, f"{metric_label(metric)}: partnership figures {HIDDEN_REASON}")
    kind = "outside_limits" if names else "within_limits"
    return Claim(kind, metric, text, names, test="funnel limits (Spiegelhalter, exact)")
