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

__all__ = ["board_verdicts", "describe_metric", "metric_sentences", "funnel_sentence"]


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
