"""Plain-English findings for a pack, built from its protected tables.

Every sentence quotes a figure only as the protected table shows it (``c`` stays ``c``),
so prose can never reveal more than the tables. The direction of a difference from the
national figure comes from :func:`audit.measures.compare.verdicts` on the protected table: a hidden
row gets no verdict, and no difference is ever called at p >= 0.05.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from audit.claims import HIDDEN_REASON, claims_for, p_text
from audit.contract import FLAG_COLUMNS, UNKNOWN_SHARE_THRESHOLD, column_label, metric_label
from audit.disclosure import Protected
from audit.formatting import (
    SUPPRESSED,
    as_number,
    format_count,
    format_percent,
    is_suppressed,
    plural,
)
from audit.intake.periods import unfinished_words
from audit.measures.compare import COMPARED_OUT_OF_EVERY_CASE as _RISK
from audit.measures.compare import (
    VERDICT_NO_DIFFERENCE,
    VERDICT_NO_NATIONAL,
    detectable_difference,
    detectable_difference_text,
    verdicts,
)
from audit.measures.national import NATIONAL_REFERENCE

__all__ = [
    "verdict_words",
    "describe_metric",
    "metric_sentences",
    "shown_metrics",
    "steps_sentence",
    "detectable_sentences",
    "tests_in_pack",
    "detection_alpha",
    "headline_findings",
    "further_findings",
    "MAX_HEADLINE_BULLETS",
    "absent_sentence",
    "caveats",
]


def verdict_words(p: Protected) -> dict[str, str]:
    """metric id -> verdict wording; a comparison hidden by disclosure control is "hidden
    to protect privacy" ("too few cases to tell" is said only of statistical power). A
    measure with no national figure has none to compare with, hidden or not; a risk factor
    is compared out of every case (:func:`_base`), so its verdict stands beside a hidden
    "known" (a new analyst read "hidden" beside 42.1% against 5.4%, both printed)."""
    table = p.metrics.copy()
    bases = [_base(p, str(row["metric"]), row) for _, row in table.iterrows()]
    risk = table["metric"].astype(str).str.startswith(_RISK).to_numpy()
    table["denominator"] = table["denominator"].astype(object).where(~risk, bases)
    table["unknown"] = table["unknown"].astype(object).where(~risk, 0)
    raw = verdicts(table)
    out: dict[str, str] = {}
    for (_, row), wording in zip(p.metrics.iterrows(), raw, strict=True):
        hidden = wording != VERDICT_NO_NATIONAL and is_suppressed(row["p_holm"])
        out[str(row["metric"])] = HIDDEN_REASON if hidden else str(wording)
    return out


def _is_compared(verdict: str) -> bool:
    """Whether a verdict of :func:`verdict_words` is a comparison the pack prints."""
    return verdict not in (HIDDEN_REASON, VERDICT_NO_NATIONAL)


def _base(p: Protected, metric: str, row: pd.Series) -> object:
    """The base a row's national comparison is of, as the pack prints it: every case for
    a risk factor (:func:`~audit.measures.compare.review_base`), else its denominator."""
    if not metric.startswith(_RISK):
        return row["denominator"]
    if not is_suppressed(row["denominator"]) and not is_suppressed(row["unknown"]):
        return row["denominator"] + row["unknown"]
    return p.cases


def _row(p: Protected, metric: str) -> pd.Series | None:
    rows = p.metrics[p.metrics["metric"] == metric]
    return None if rows.empty else rows.iloc[0]


def describe_metric(metric: str, p: Protected) -> str:
    """One sentence: the local figure (or that it is hidden), the national figure, verdict."""
    row = _row(p, metric)
    label = metric_label(metric)
    if row is None:
        return f"{label}: not recorded in this extract."
    verdict = verdict_words(p)[metric]
    national = ""
    if pd.notna(row["national_rate"]):
        national = (
            f"; nationally {format_percent(row['national_rate'])} "
            f"({int(row['national_numerator'])} of {int(row['national_denominator'])})"
        )
    if is_suppressed(row["rate"]) and _is_compared(verdict):
        return (
            f"{label}: {_local(p, metric)}{national} — {verdict}; its rate of the cases "
            f"known is {HIDDEN_REASON} (shown as {SUPPRESSED})."
        )
    if is_suppressed(row["rate"]):
        return f"{label}: figure {HIDDEN_REASON} (shown as {SUPPRESSED}){national}."
    if pd.isna(row["rate"]):
        return f"{label}: no case has this recorded as yes or no{national}."
    counts = f"{format_count(row['numerator'])} of {format_count(row['denominator'])} cases"
    numbers = (
        f"{format_percent(row['rate'])}, {counts} "
        f"(95% CI {format_percent(row['ci_low'])} to {format_percent(row['ci_high'])})"
    )
    return f"{label}: {numbers}{national} — {verdict}."


def shown_metrics(p: Protected, metric_ids: Sequence[str] | None = None) -> list[str]:
    """The metric ids (of ``metric_ids``, default all) whose rate the pack shows."""
    ids = list(p.metrics["metric"]) if metric_ids is None else list(metric_ids)
    rows = p.metrics.set_index("metric")
    return [m for m in ids if m in rows.index and not is_suppressed(rows.at[m, "rate"])]


def metric_sentences(metric_ids: Sequence[str], p: Protected) -> str:
    """A bulleted list (``- `` lines) of :func:`describe_metric` for each id shown, and one
    line naming those hidden to protect small numbers."""
    present = [m for m in metric_ids if m in set(p.metrics["metric"])]
    words = verdict_words(p)  # a risk factor compared out of every case is described too
    compared = {m for m in present if _is_compared(words[m])}
    shown = set(shown_metrics(p, present)) | compared
    lines = [f"- {describe_metric(m, p)}" for m in present if m in shown]
    hidden = [metric_label(m).lower() for m in present if m not in shown]
    if hidden:
        lines.append(
            f"- {HIDDEN_REASON.capitalize()} (shown as {SUPPRESSED}): {', '.join(hidden)}."
        )
    return "\n".join(lines)


def tests_in_pack(p: Protected) -> int:
    """How many comparisons the pack's p-values are adjusted over (Holm's family: the rows
    it prints a p-value for, the two mirrored ``harmed_by`` rows once)."""
    tested = [
        str(m)
        for m, v in zip(p.metrics["metric"], p.metrics["p_value"], strict=True)
        if not is_suppressed(v) and pd.notna(v)
    ]
    return len(_one_test_each(tested))


def detection_alpha(p: Protected) -> float:
    """The level a detectable difference is worked out at: 5% over the pack's comparisons
    (Bonferroni, the strictest step of Holm's method), so a local figure beyond it would be
    called different whatever the others show and one inside it never contradicts its own
    "no evidence" (at 5% alone, a new analyst's pack said 61.5% "would differ" beside a
    local 61.5% with no evidence of a difference)."""
    return 0.05 / max(tests_in_pack(p), 1)


def detectable_sentences(metric_ids: Sequence[str], p: Protected) -> str:
    """For each shown comparison with no evidence of a difference, the smallest difference
    this many cases could have detected ("with 20 cases, only 90% or more, or 35% or less,
    would differ from the national 64%") at :func:`detection_alpha`, so "no evidence" is
    never read as "the same"."""
    words = verdict_words(p)
    rows = p.metrics.set_index("metric")
    lines = []
    for metric in shown_metrics(p, metric_ids):
        if metric == "harmed_by.another_male_carer" or not words.get(metric, "").startswith(
            VERDICT_NO_DIFFERENCE
        ):
            continue
        row = rows.loc[metric]
        base = as_number(_base(p, metric, row))
        national = as_number(row["national_numerator"])
        if base is None or national is None:
            continue
        text = detectable_difference_text(int(base), int(national), alpha=detection_alpha(p))
        lines.append(f"- {metric_label(metric)}: {text}")
    return "\n".join(lines)


def steps_sentence(p: Protected) -> str:
    """What the engagement steps show: the lowest-step claim of :mod:`audit.claims` (true
    over every step; none when a step is hidden), and that the steps are not nested where
    they are not (a father can be contacted without an earlier step being recorded)."""
    rows = p.metrics[p.metrics["metric"].str.startswith("engagement.")]
    shown = rows[[not is_suppressed(r) and pd.notna(r) for r in rows["rate"]]]
    if shown.empty:
        return (
            f"The father-engagement figures are {HIDDEN_REASON}."
            if len(rows)
            else "No father-engagement steps are recorded in this extract."
        )
    claim = claims_for(p).lowest_step
    if claim is not None:
        sentence = claim.sentence
    elif any(is_suppressed(r) for r in rows["rate"]):
        sentence = (
            f"Some engagement steps are {HIDDEN_REASON}, so none is named the lowest: "
            "it could be one of those."
        )
    else:
        sentence = "Too few engagement steps are recorded to say which is the lowest."
    if not p.nested_steps:
        sentence += (
            " Each step is a share of the cases where it was recorded; the steps are "
            "not nested in these cases, so they do not say how many fathers were "
            "lost between one step and the next."
        )
    return sentence


def absent_sentence(p: Protected) -> str:
    """The measures the extract does not record (allowed missing by the analyst), as a
    ``- `` bullet line for the top of the summary; ``""`` when every measure is recorded."""
    missing = list(p.extract.get("missing_flags") or [])
    if not missing:
        return ""
    names = ", ".join(column_label(m) for m in missing)
    return (
        f"- **Not recorded in this extract, so left out of every figure:** {names} "
        f"({plural(len(missing), 'measure')} of {len(FLAG_COLUMNS)})."
    )


#: Bullets of the summary before its first chart: a board member gets the point in 30 s.
MAX_HEADLINE_BULLETS = 5


def headline_findings(p: Protected) -> str:
    """The summary's headline, as ``- `` bullet lines, at most :data:`MAX_HEADLINE_BULLETS`
    (only figures shown), in the order the evidence earns: measures not recorded (if any),
    what the audit covers, the differences from the national figures that survive the Holm
    adjustment, the lowest engagement step, changes over time that pass the test for trend,
    then the measures with no evidence of a difference in one sentence with what these
    numbers could have shown. The rest is in :func:`further_findings`."""
    return "\n".join(_findings(p)[:MAX_HEADLINE_BULLETS])


def further_findings(p: Protected) -> str:
    """The headline's bullets beyond :data:`MAX_HEADLINE_BULLETS` (after the charts)."""
    return "\n".join(_findings(p)[MAX_HEADLINE_BULLETS:])


def _findings(p: Protected) -> list[str]:
    cases = p.cases if isinstance(p.cases, str) else format_count(p.cases)
    lines = [absent_sentence(p)] if absent_sentence(p) else []
    lines.append(
        f"- This audit covers **{cases}** babies under one harmed by a father or male "
        f"carer ({p.place}, {p.period_label})."
    )
    words = verdict_words(p)
    compared = _one_test_each(
        [m for m in p.metrics["metric"] if m in NATIONAL_REFERENCE and _is_compared(words[m])]
    )
    if not compared:
        lines.append(
            f"- The figures this pack would compare with the national review's are "
            f"{HIDDEN_REASON} (shown as {SUPPRESSED}), so none is compared with the "
            "national figures here."
        )
    for direction in ("lower", "higher"):
        found = [m for m in compared if words[m].startswith(direction)]
        if found:
            quoted = "; ".join(_quoted(p, m) for m in found)
            lines.append(f"- **{direction.capitalize()} than nationally:** {quoted}.")
    claims = claims_for(p)
    if claims.lowest_step is not None:
        lines.append(f"- {claims.lowest_step.sentence}")
    lines += [f"- {c.sentence}" for c in claims.trends.values() if c.kind == "change"]
    others = [m for m in compared if not words[m].startswith(("higher", "lower"))]
    if others:
        # the review's measures this audit records (shown, hidden or left out of the pack)
        recorded = _one_test_each(
            [m for m in [*p.metrics["metric"], *p.withheld] if m in NATIONAL_REFERENCE]
        )
        partial = len(compared) < len(recorded)
        lines.append(f"- {_no_evidence(p, others, len(others) < len(compared), partial)}")
    return lines


def _one_test_each(metrics: list[str]) -> list[str]:
    """``metrics`` with the two ``harmed_by`` rows counted once (one test: they mirror)."""
    if "harmed_by.birth_father" in metrics and "harmed_by.another_male_carer" in metrics:
        metrics.remove("harmed_by.another_male_carer")
    return metrics


def _no_evidence(p: Protected, metrics: Sequence[str], rest: bool, partial: bool = False) -> str:
    """One sentence for the measures with no evidence of a difference, with the smallest
    and largest gap from the national figure these numbers of cases could have shown.
    ``partial``: the pack shows only some of the review's measures it records (the others
    hidden or left out), so the sentence says "this pack can show", never "all"."""
    rows = p.metrics.set_index("metric")
    gaps = []
    for metric in metrics:
        row = rows.loc[metric]
        base = as_number(_base(p, metric, row))
        national = as_number(row["national_numerator"])
        if base is None or national is None or not base:
            continue
        low, high = detectable_difference(int(base), int(national), alpha=detection_alpha(p))
        rate = float(row["national_rate"])
        sides = [rate - low, high - rate]
        sides = [g for g in sides if g == g]  # a side no result could reach is NaN
        if sides:
            gaps.append(min(sides))
    n = len(metrics)
    if rest:
        which = "the one other" if n == 1 else f"the other {n}"
    else:
        which = "the one" if n == 1 else (f"the {n}" if partial else f"all {n}")
    noun = "measure" if n == 1 else "measures"
    shown = (
        f"national {noun} this pack can show (of those the national review published)"
        if partial
        else f"{noun} the national review published"
    )
    sentence = f"On {which} {shown}, there is no evidence of a difference from the national figures"
    if gaps:
        low, high = round(min(gaps) * 100), round(max(gaps) * 100)
        span = f"{low}" if low == high else f"{low} to {high}"
        sentence += (
            f": with these numbers of cases only a difference of about {span} percentage "
            "points or more could have shown"
        )
    return sentence + ". That is not evidence that they are the same."


def _quoted(p: Protected, metric: str) -> str:
    row = _row(p, metric)
    assert row is not None
    adjusted = row.get("p_holm")
    test = (
        f"; adjusted {p_text(float(adjusted), decimals=3)}"
        if adjusted is not None and not is_suppressed(adjusted) and pd.notna(adjusted)
        else ""
    )
    local = _local(p, metric)
    if metric.startswith(_RISK):
        local += ","
    return (
        f"{metric_label(metric).lower()} ({local} against "
        f"{format_percent(row['national_rate'])}{test}{_often_unknown(row)})"
    )


def _often_unknown(row: pd.Series) -> str:
    """The words "; not known in 8 of 20 cases" when more than the contract's share of a
    claim's cases (:data:`~audit.contract.UNKNOWN_SHARE_THRESHOLD`) were not recorded, so a
    difference is never quoted without it (a new analyst's summary put "lower than
    nationally" on a figure not known in 8 of 20 cases, the caveat only in the data-quality
    section). Nothing when the count is hidden."""
    unknown, known = as_number(row["unknown"]), as_number(row["denominator"])
    if unknown is None or known is None or not unknown + known:
        return ""
    if unknown / (unknown + known) <= UNKNOWN_SHARE_THRESHOLD:
        return ""
    return f"; not known in {format_count(unknown)} of {format_count(unknown + known)} cases"


def _local(p: Protected, metric: str) -> str:
    """The local figure a national comparison tests: a risk factor's as the review counted
    it, out of every case (:func:`_base`), not the rate of known answers."""
    row = _row(p, metric)
    assert row is not None
    base = as_number(_base(p, metric, row))
    if metric.startswith(_RISK) and base:
        return (
            f"{format_percent(float(row['numerator']) / base)} of all cases, as the review counted"
        )
    return format_percent(row["rate"])


def caveats(p: Protected) -> str:
    """The caveats a board must read with the figures, as ``- `` bullet lines."""
    k = p.policy.max_count
    lines = []
    if p.synthetic:
        lines.append(
            "- **These are synthetic data**, generated for demonstration: they describe "
            "no real child, family or partnership."
        )
    if p.made_on is not None and (unfinished := unfinished_words(p.period, p.made_on)):
        lines.append(f"- **{unfinished}**")
    if p.public:
        lines.append(
            f"- Small numbers: counts from 1 to {k} are shown as c, and so is any "
            "figure from which one could be worked out (checked by an attack on "
            "everything this pack publishes)."
        )
        lines += [f"- Left out of this public pack: {d}" for d in p.dropped]
    else:
        lines.append(
            "- Every figure is shown, small numbers included: these are the board's "
            f"own papers ({p.policy.marking}). Use the public audience for anything "
            "published. Quarterly figures for one partnership rest on few cases; "
            "read the 95% confidence intervals, not the point estimates alone."
        )
    lines += [
        "- The national figures are counts of the 92 serious incident notifications about "
        "babies under one harmed by a male carer that the national review analysed "
        "(notified 2018 to 2020), not of all babies or all families known to services.",
        "- Context, on different bases: in 2020 the Panel received 482 serious incident "
        "notifications about 514 children, 35% of them about babies under one; since July "
        "2018 it had considered 257 rapid reviews of babies under one seriously harmed or "
        "killed through non-accidental injury.",
        "- Rates leave out cases where the answer was not recorded; where a field is often "
        "unknown (see Data quality) the rate may not represent every case.",
        "- With many measures compared, some could differ from the national figure by chance "
        "alone: the comparisons are adjusted for that (Holm's method) before any is called a "
        "difference.",
    ]
    return "\n".join(lines)
