"""Plain-English findings for the board pack, built from the metrics table.

Sentences state a figure only when the board (suppressed) table shows it, so a finding can
never reveal a small number; the direction of a difference comes from the unsuppressed
table's Fisher test through :func:`audit.compare.verdicts`, which never calls a difference
at p >= 0.05 and says when numbers are too few to tell.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from audit.compare import VERDICT_TOO_FEW, verdicts
from audit.contract import metric_label
from audit.suppress import SUPPRESSED, format_percent, is_suppressed

__all__ = [
    "board_verdicts",
    "describe_metric",
    "metric_sentences",
    "funnel_sentence",
    "headline_findings",
    "caveats",
    "is_synthetic",
]


def board_verdicts(metrics: pd.DataFrame, board_metrics: pd.DataFrame) -> dict[str, str]:
    """metric id -> verdict wording; a suppressed row gets "too few cases to tell"."""
    raw = verdicts(metrics)
    board = board_metrics.set_index("metric")
    out: dict[str, str] = {}
    for metric, wording in zip(metrics["metric"], raw, strict=True):
        hidden = metric in board.index and is_suppressed(board.at[metric, "rate"])
        out[metric] = VERDICT_TOO_FEW + " (small numbers)" if hidden else str(wording)
    return out


def describe_metric(metric: str, metrics: pd.DataFrame, board_metrics: pd.DataFrame) -> str:
    """One sentence: the local figure (or that it is suppressed), national figure, verdict."""
    board = board_metrics.set_index("metric")
    if metric not in board.index:
        return f"{metric_label(metric)}: not recorded in this extract."
    row = board.loc[metric]
    label = metric_label(metric)
    verdict = board_verdicts(metrics, board_metrics)[metric]
    national = ""
    if pd.notna(row["national_rate"]) and not is_suppressed(row["national_rate"]):
        national = (f"; nationally {format_percent(row['national_rate'])} "
                    f"({int(row['national_numerator'])} of {int(row['national_denominator'])})")
    if is_suppressed(row["rate"]):
        return (f"{label}: figure suppressed because it rests on a small number "
                f"(shown as {SUPPRESSED}){national}.")
    if pd.isna(row["rate"]):
        return f"{label}: no case has this recorded as yes or no{national}."
    numbers = (f"{format_percent(row['rate'])} "
               f"(95% CI {format_percent(row['ci_low'])} to {format_percent(row['ci_high'])})")
    return f"{label}: {numbers}{national} — {verdict}."


def metric_sentences(metric_ids: Sequence[str], metrics: pd.DataFrame,
                     board_metrics: pd.DataFrame) -> str:
    """A bulleted list (``- `` lines) of :func:`describe_metric` for each id present."""
    present = set(metrics["metric"])
    lines = [f"- {describe_metric(m, metrics, board_metrics)}" for m in metric_ids if m in present]
    return "\n".join(lines)


def funnel_sentence(board_funnel: pd.DataFrame) -> str:
    """Where the engagement funnel loses most fathers, from the board (suppressed) funnel."""
    if board_funnel.empty or "drop" not in board_funnel.columns:
        return "No father-engagement steps are recorded in this extract."
    steps = board_funnel.dropna(subset=["drop"]) if "drop" in board_funnel else board_funnel
    usable = steps[[not is_suppressed(v) for v in steps.get("drop", [])]]
    usable = usable[pd.to_numeric(usable["drop"], errors="coerce").notna()]
    if usable.empty:
        return ("The step-by-step figures rest on small numbers and are suppressed, "
                "so the biggest drop cannot be shown.")
    worst = usable.loc[pd.to_numeric(usable["drop"]).idxmax()]
    previous = metric_label("engagement." + str(worst["previous_flag"]).removeprefix("father_"))
    return (f"The biggest drop is at '{worst['label']}': of the cases where the step before "
            f"({previous.lower()}) was done, {format_percent(worst['step_rate'])} went on "
            f"to this step, so {format_percent(worst['drop'])} were lost here.")


def is_synthetic(cases: pd.DataFrame) -> bool:
    """True for the bundled synthetic samples (every case id starts ``SYN-``)."""
    ids = cases["case_id"].astype(str)
    return bool(len(ids)) and bool(ids.str.startswith("SYN-").all())


def _count_words(count: int, suppress_max: int) -> str:
    from audit.suppress import format_count

    return SUPPRESSED if 1 <= count <= suppress_max else format_count(count)


def headline_findings(data, suppress_max: int = 5) -> str:
    """The board summary's headline findings, as ``- `` bullet lines.

    ``data`` is an :class:`audit.workspace.AuditData`. Only figures the board table shows
    are quoted.
    """
    from audit.national import NATIONAL_REFERENCE

    metrics, board = data.metrics, data.board_metrics(suppress_max)
    words = board_verdicts(metrics, board)
    lines = [f"- This audit covers **{_count_words(data.in_scope, suppress_max)}** babies under "
             f"one harmed by a father or male carer ({data.place}, {data.period_label})."]
    compared = [m for m in metrics["metric"] if m in NATIONAL_REFERENCE]
    higher = [metric_label(m).lower() for m in compared if words[m].startswith("higher")]
    lower = [metric_label(m).lower() for m in compared if words[m].startswith("lower")]
    if higher:
        lines.append(f"- Higher than nationally: {', '.join(higher)}.")
    if lower:
        lines.append(f"- Lower than nationally: {', '.join(lower)}.")
    if not higher and not lower and compared:
        lines.append(f"- On all {len(compared)} measures the national review published, there "
                     "is no evidence of a difference from the national figures (or too few "
                     "cases to tell).")
    for metric in ("risk.domestic_abuse", "engagement.identified", "engagement.contacted",
                   "engagement.seen", "sharing.info_shared_health",
                   "sharing.adult_services_linked"):
        if metric in set(metrics["metric"]):
            lines.append(f"- {describe_metric(metric, metrics, board)}")
    lines.append(f"- {funnel_sentence(data.board_funnel(suppress_max))}")
    return "\n".join(lines)


def caveats(data, suppress_max: int = 5) -> str:
    """The caveats a board must read with the figures, as ``- `` bullet lines."""
    lines = []
    if is_synthetic(data.cases):
        lines.append("- **These are synthetic data**, generated for demonstration: they describe "
                     "no real child, family or partnership.")
    lines += [
        f"- Small numbers: counts from 1 to {suppress_max} are shown as c, with any figure "
        "that could reveal them. Quarterly figures for one partnership rest on few cases; "
        "read the 95% confidence intervals, not the point estimates alone.",
        "- The national figures are counts of the 92 serious incident notifications about "
        "babies under one harmed by a male carer that the national review analysed "
        "(notified 2018 to 2020), not of all babies or all families known to services.",
        "- Context, on different bases: in 2020 the Panel received 482 serious incident "
        "notifications about 514 children, 35% of them about babies under one; since July "
        "2018 it had considered 257 rapid reviews of babies under one seriously harmed or "
        "killed through non-accidental injury.",
        "- Rates leave out cases where the answer was not recorded; where a field is often "
        "unknown (see Data quality) the rate may not represent every case.",
        "- With many measures compared, about one in twenty could differ from the national "
        "figure by chance alone.",
    ]
    return "\n".join(lines)
