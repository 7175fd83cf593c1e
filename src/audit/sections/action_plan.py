"""Draft actions for the board: each measure found short, tied to the review's practice
messages, with blank "Owner" and "By when" columns the board fills in.

The findings are read from the protected tables only (:func:`audit.disclosure.protect`)
and turned into the plan by :func:`audit.claims.actions.action_table`. A measure is **short** when
(:func:`action_findings`):

* **short of the national figure** — its comparison with the review's figure has the
  verdict "lower than nationally" (two-sided Fisher exact test, Holm-adjusted ``p_holm``
  below 0.05, at least 10 cases in the base: :mod:`audit.measures.compare`). The verdict, not the
  bare rate: with a quarter's cases a rate below the national one is usually chance. The
  figure stated and its shortfall are counted as the review counted (``yes / base``; for a
  risk factor the base is every case), as the test is;
* **below the funnel limits** (a pooled audit of several partnerships) — a partnership's
  position is "below the lower 95% limit" or "below the lower 99.8% limit"; the shortfall
  is how far its rate is below the lower 95% limit, the partnership is named;
* **falling** — the p-chart's latest quarter is a special cause below the average: outside
  the lower control limit, or the latest of a run of 7 or more below it (NHS England's
  Making Data Count). Only read once the chart has :data:`~audit.measures.spc.MIN_SPC_POINTS`
  quarters, as the trend section does; the shortfall is the average minus that quarter;
* **below the board's target** — only where the board set one (``audit run --targets``,
  :mod:`audit.measures.targets`, with who agreed it and when): nobody publishes an "expected level"
  for these measures, so the pack invents none. The shortfall is the target minus the rate;
* **the lowest engagement step** — what the figures show when no standard is set: the
  lowest of every engagement step the pack shows (:func:`audit.claims.lowest_step`, no
  rank when a step is hidden). The shortfall is the next lowest step minus it.

"Falling", "below target" and "lowest step" apply to the practice measures only (father
engagement and information sharing, where more is better); a risk factor is in the plan
only when it is recorded less often than nationally, which may be a factor nobody asked
about (:mod:`audit.claims.actions`).
The plan lists the furthest short first, one row a measure (placed by its largest
shortfall, in percentage points).

**Follow-up** (board only). With earlier audits in the history store (``history``, passed
in by the caller: the same partnership key), last period's plan is rebuilt from the figures
recorded for the latest earlier period of the same kind (a quarter before a quarter, a year
before a year) by the rules those figures decide on their own (short of the national
figure, low; the funnel and the p-chart need the partnerships and quarters around it), and
:func:`audit.claims.actions.follow_up` says whether each measure has moved since. The history is
the one table read outside :func:`~audit.disclosure.protect`: it holds aggregate counts
only, and the board sees every aggregate figure.

**Public packs** get no action plan: a draft plan with blank owners is the board's working
paper, to be agreed before anything is said in public, and naming measures "short" in
public before the board has decided would pre-empt it. The registry leaves this section out
of a public pack (:data:`audit.sections.SECTIONS`); called for the public, the function
says so in one sentence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from audit.claims import lowest_step
from audit.claims.actions import REASONS, action_table, follow_up
from audit.contract import ENGAGEMENT_FUNNEL, flag_metric_id, metric_label
from audit.disclosure import Protected
from audit.formatting import as_number, format_percent, plural
from audit.measures.compare import VERDICT_LOWER, review_base, verdicts
from audit.measures.spc import MIN_SPC_POINTS
from audit.measures.targets import Target
from audit.render.section import Section

__all__ = [
    "ACTIONS_KEY",
    "ACTIONS_TITLE",
    "ACTIONS_SHEET",
    "FOLLOW_UP_SHEET",
    "PRACTICE_PREFIXES",
    "NOT_PUBLIC",
    "actions",
    "action_findings",
    "metric_findings",
    "previous_plan",
]

ACTIONS_KEY = "actions"
ACTIONS_TITLE = "Draft actions for the board"
#: The workbook sheet (and slide) of the draft plan.
ACTIONS_SHEET = "Actions"
#: The workbook sheet of last period's actions followed up.
FOLLOW_UP_SHEET = "Follow-up"
#: Measures of practice, where more is better: the ones that can be "low" or "falling".
PRACTICE_PREFIXES: tuple[str, ...] = ("engagement.", "sharing.")
#: What the section says when asked for a public pack.
NOT_PUBLIC = "The draft action plan is the board's working paper: it is not part of a public pack."

_FUNNEL_PHRASE = REASONS["below_funnel"][1]
_STEPS = frozenset(flag_metric_id(f) for f in ENGAGEMENT_FUNNEL)


def _practice(metric: str) -> bool:
    return metric.startswith(PRACTICE_PREFIXES)


def _finding(
    metric: str, rate: float, reason: str, shortfall: float, comparator: float
) -> dict[str, object]:
    return {
        "metric": metric,
        "rate": rate,
        "reason": reason,
        "shortfall": max(0.0, float(shortfall)),
        "comparator": comparator,
    }


def metric_findings(
    metrics: pd.DataFrame,
    targets: Mapping[str, Target] | None = None,
    withheld: Sequence[str] = (),
) -> list[dict[str, object]]:
    """Findings a metrics table decides on its own: short of the national figure (the
    verdict "lower than nationally", figures counted as the review counted), below a target
    the board set (``targets``), and the lowest engagement step. Hidden (``c``) figures
    decide nothing."""
    out: list[dict[str, object]] = []
    if metrics.empty:
        return out
    said = verdicts(metrics)
    base = review_base(metrics["metric"].astype(str), metrics["denominator"], metrics["unknown"])
    for (_, row), verdict, b in zip(metrics.iterrows(), said, base, strict=True):
        metric = str(row["metric"])
        yes = as_number(row["numerator"])
        if verdict == VERDICT_LOWER and yes is not None:
            national = float(row["national_rate"])
            local = yes / float(b)
            out.append(_finding(metric, local, "below_national", national - local, national))
        rate = as_number(row["rate"])
        target = (targets or {}).get(metric)
        if _practice(metric) and target is not None and rate is not None and rate < target.rate:
            out.append(_finding(metric, rate, "below_target", target.rate - rate, target.rate))
    claim = lowest_step(metrics, withheld)
    if claim is not None:
        rates = _rates(metrics)
        steps = {m: r for m, r in rates.items() if m in _STEPS}
        others = [r for m, r in steps.items() if m not in claim.figures]
        for metric in claim.figures:
            following = min(others) if others else rates[metric]
            out.append(
                _finding(metric, rates[metric], "lowest_step", following - rates[metric], following)
            )
    return out


def _rates(metrics: pd.DataFrame) -> dict[str, float]:
    return {
        str(m): r
        for m, r in zip(metrics["metric"], map(as_number, metrics["rate"]))
        if r is not None
    }


def _funnel_findings(p: Protected) -> tuple[list[dict[str, object]], dict[str, str]]:
    """Practice measures with a partnership below the funnel limits, and who (in words)."""
    rates = _rates(p.metrics)
    out, who = [], {}
    for metric, table in p.funnels.items():
        if not _practice(metric) or metric not in rates:
            continue
        below = []
        for _, row in table.iterrows():
            position = str(row.get("position", ""))
            rate, lower = as_number(row["rate"]), as_number(row.get("lower_95"))
            if not position.startswith("below the lower") or rate is None or lower is None:
                continue
            level = position.removeprefix("below the lower ").removesuffix(" limit")
            below.append(
                (
                    lower - rate,
                    f"{row['partnership']} ({format_percent(rate)}; "
                    f"lower {level} limit "
                    f"{format_percent(row[_limit_column(level)])})",
                )
            )
        if below:
            names = [text for _, text in below]
            who[metric] = (
                names[0] if len(names) == 1 else (", ".join(names[:-1]) + " and " + names[-1])
            )
            out.append(
                _finding(
                    metric, rates[metric], "below_funnel", max(s for s, _ in below), float("nan")
                )
            )
    return out, who


def _limit_column(level: str) -> str:
    """``"95%"`` -> ``lower_95``; ``"99.8%"`` -> ``lower_99_8``."""
    return "lower_" + level.removesuffix("%").replace(".", "_")


def _falling_findings(p: Protected) -> list[dict[str, object]]:
    """Practice measures whose p-chart's latest quarter is a special cause below average."""
    rates = _rates(p.metrics)
    out = []
    for metric, chart in p.spc.items():
        if not _practice(metric) or metric not in rates or len(chart) < MIN_SPC_POINTS:
            continue
        last = chart.iloc[-1]
        rate, centre = as_number(last["rate"]), as_number(last["centre"])
        if rate is None or centre is None:
            continue
        if bool(last["special_cause"]) and int(last["side"]) < 0:
            out.append(_finding(metric, rates[metric], "falling", centre - rate, centre))
    return out


def action_findings(p: Protected, targets: Mapping[str, Target] | None = None) -> pd.DataFrame:
    """Every (measure, reason) found short in the protected tables (module docstring), as
    :func:`audit.claims.actions.action_table` reads them: ``metric``, ``rate``, ``reason``,
    ``shortfall`` and ``comparator``."""
    funnel, _ = _funnel_findings(p)
    rows = [*metric_findings(p.metrics, targets, p.withheld), *funnel, *_falling_findings(p)]
    return pd.DataFrame(rows, columns=["metric", "rate", "reason", "shortfall", "comparator"])


def _plan(
    p: Protected, targets: Mapping[str, Target] | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """The draft plan (:func:`audit.claims.actions.action_table`), funnel findings naming the
    partnerships below the limits, indexed by metric id; and the reasons found, in the order
    of :data:`audit.claims.actions.REASONS`."""
    findings = action_findings(p, targets)
    reasons = [r for r in REASONS if r in set(findings["reason"])]
    table = action_table(findings)
    _, who = _funnel_findings(p)
    for metric, names in who.items():
        if metric in table.index:  # the rate is the whole pack's; the partnership's is its own
            head = f"{metric_label(metric)}: {format_percent(table.at[metric, 'Current value'])}"
            table.at[metric, "Finding"] = (
                str(table.at[metric, "Finding"])
                .replace(head, f"{head} across the partnerships", 1)
                .replace(_FUNNEL_PHRASE, f"{names} {_FUNNEL_PHRASE}", 1)
            )
    return table, reasons


# ------------------------------------------------------------------------------ follow-up


def _kind(period: str) -> str | None:
    text = str(period).upper()
    if len(text) == 7 and text[4:6] == "-Q":
        return "quarter"
    if len(text) == 4 and text.isdigit():
        return "year"
    return None


def _period_key(period: str) -> tuple[int, int]:
    """Chronological order of quarters and years (a year after its four quarters)."""
    text = str(period).upper()
    return int(text[:4]), int(text[-1]) if _kind(text) == "quarter" else 5


def previous_plan(p: Protected, history: pd.DataFrame | None) -> tuple[str, pd.DataFrame] | None:
    """Last period's draft plan rebuilt from ``history`` (module docstring): the period and
    its :func:`audit.claims.actions.action_table`, or ``None`` without an earlier period."""
    from audit.measures.metrics import metrics_from_counts

    kind = _kind(p.period)
    if history is None or history.empty or kind is None:
        return None
    periods = {str(p) for p in history["period"]}
    earlier = sorted(
        (q for q in periods if _kind(q) == kind and _period_key(q) < _period_key(p.period)),
        key=_period_key,
    )
    if not earlier:
        return None
    previous = earlier[-1]
    rows = history[history["period"].astype(str) == previous]
    counts = rows[["metric", "numerator", "denominator", "unknown"]].reset_index(drop=True)
    metrics = metrics_from_counts(counts, level=p.level)
    findings = pd.DataFrame(
        metric_findings(metrics, p.targets),
        columns=["metric", "rate", "reason", "shortfall", "comparator"],
    )
    return previous, action_table(findings)


def _last(period: str) -> str:
    """ "Last quarter's", "Last year's" or "Earlier" (for an audit of every case)."""
    kind = _kind(period)
    return f"Last {kind}'s" if kind else "Earlier"


def _follow_up(p: Protected, history: pd.DataFrame | None) -> tuple[pd.DataFrame | None, str]:
    """Last period's actions and whether their measures have moved (board only)."""
    if history is None or history.empty:
        return None, (
            "The next pack run with this history store says whether the measures of "
            "these actions have moved."
        )
    if _kind(p.period) is None:
        return None, (
            "Earlier actions are followed up in the pack of one quarter or one "
            "year (audit run --period)."
        )
    found = previous_plan(p, history)
    if found is None:
        return None, (
            f"No earlier {_kind(p.period)} is recorded in the history, so there "
            "are no earlier actions to follow up."
        )
    previous, plan = found
    if plan.empty:
        return None, (
            f"In {previous} no measure was short by these rules, so there are no "
            "earlier actions to follow up."
        )
    from audit.measures.metrics import metrics_from_counts

    then = history[history["period"].astype(str) == previous]
    then = metrics_from_counts(
        then[["metric", "numerator", "denominator", "unknown"]].reset_index(drop=True),
        level=p.level,
    )
    frames = [then.assign(period=previous), p.metrics.assign(period=p.period)]
    figures = pd.concat(
        [f[["period", "metric", "rate", "numerator", "denominator"]] for f in frames],
        ignore_index=True,
    ).assign(partnership=p.place)
    table = follow_up(plan, figures, period=p.period)
    moved = int(table["Beyond chance"].eq("Yes").sum())
    count = "None" if moved == 0 else plural(moved, "measure")
    return table, (
        f"The actions the {previous} figures called for (short of the national "
        f"figure{', below a target the board set' if p.targets else ''}, or the lowest "
        "engagement step): has each measure moved "
        f"since? {count} moved by more than chance (two-sided Fisher exact test, "
        "p < 0.05). A measure called for because it was low tends to come back up by chance "
        "alone (regression to the mean), so a rise is not by itself the action's doing."
    )


# -------------------------------------------------------------------------------- section


#: How the intro names each reason a measure was found short (audit.claims.actions.REASONS).
_INTRO_REASONS = {
    "below_national": "short of the national figure (the verdict 'lower than nationally')",
    "below_funnel": "a partnership below the lower funnel limit",
    "falling": "falling (the latest quarter a special cause below the average)",
    "below_target": "below a target the board set",
    "lowest_step": "the lowest of the engagement steps (a rank among them: no standard is "
    "set and no test is made)",
}


def _intro(plan: pd.DataFrame, reasons: list[str], targets: Mapping[str, Target]) -> str:
    """What the plan holds and why: only the reasons that applied, and a word on targets."""
    no_target = (
        "No target is set: the pack holds no figure against a standard nobody agreed "
        "(give the board's targets with audit run --targets). "
        if not targets
        else ""
    )
    if plan.empty:
        return (
            "No measure is short of the national figure, below the funnel limits, "
            f"falling{', below a target the board set' if targets else ''} or the lowest "
            f"engagement step: no draft action is suggested this time. {no_target}"
        ).strip()
    why = [_INTRO_REASONS[r] for r in reasons]
    said = why[0] if len(why) == 1 else ", ".join(why[:-1]) + " or " + why[-1]
    return (
        f"{plural(len(plan), 'measure')} called for action: {said}. Each is tied to "
        "the review's message for practice, with a suggested action and the measure to "
        "watch next quarter; the furthest below its comparator comes first. "
        + (
            "A risk factor's figure is counted as the review counted it (out of every case). "
            if "below_national" in reasons
            else ""
        )
        + f"The board fills in the owner and the date. {no_target}"
    ).strip()


def actions(p: Protected, history: pd.DataFrame | None = None) -> Section:
    """The draft action plan, furthest short first, and (with ``history``, the earlier
    periods of the history store) whether last period's actions moved their measures; for
    the public, a sentence (module docstring)."""
    section = Section(ACTIONS_KEY, ACTIONS_TITLE, always_slide=True)
    if p.public:
        return section.text(NOT_PUBLIC)
    plan, reasons = _plan(p, p.targets)
    section.text(_intro(plan, reasons, p.targets))
    if not plan.empty:
        section.table(
            plan.reset_index(drop=True),
            f"Draft actions, {p.period_label}: each measure called for action, its "
            "practice message, a suggested action and the measure to watch; owner "
            "and date for the board to fill in",
            percents=["Current value"],
            sheet=ACTIONS_SHEET,
        )
    if p.targets:
        section.table(
            pd.DataFrame(
                [
                    {
                        "Measure": metric_label(t.metric),
                        "Target": format_percent(t.rate),
                        "Agreed by": t.agreed_by,
                        "Agreed on": f"{t.agreed_on:%d/%m/%Y}",
                    }
                    for t in p.targets.values()
                ]
            ),
            "The targets the board set, with who agreed them and when (the only standard "
            "this pack holds a figure against)",
            sheet="Targets",
        )
    table, words = _follow_up(p, history)
    section.heading(f"{_last(p.period)} actions")
    section.text(words)
    if table is not None:
        section.table(
            table.reset_index(drop=True),
            f"{_last(p.period)} actions: whether each measure has moved since",
            sheet=FOLLOW_UP_SHEET,
        )
    return section
