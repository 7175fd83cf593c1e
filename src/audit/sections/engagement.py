"""Father engagement: the review's practice questions as an audit trail."""

from __future__ import annotations

import pandas as pd

from audit.charts import engagement_funnel_chart
from audit.claims import claims_for
from audit.claims.findings import shown_metrics, steps_sentence
from audit.contract import ENGAGEMENT_FUNNEL, flag_metric_id
from audit.disclosure import Protected
from audit.render.section import Section
from audit.sections.tables import practice_table

__all__ = ["engagement", "steps_table"]


def steps_table(p: Protected) -> pd.DataFrame:
    """The engagement steps in practice order, from the protected metrics (and, for a board
    pack whose steps are nested, the share kept from the step before)."""
    by_metric = p.metrics.set_index("metric")
    rows = []
    for flag in ENGAGEMENT_FUNNEL:
        metric = flag_metric_id(flag)
        if metric not in by_metric.index:
            continue
        r = by_metric.loc[metric]
        rows.append(
            {
                "flag": flag,
                "metric": metric,
                "rate": r["rate"],
                "ci_low": r["ci_low"],
                "ci_high": r["ci_high"],
                "known": r["denominator"],
                "numerator": r["numerator"],
            }
        )
    table = pd.DataFrame(rows)
    if p.steps is not None and not table.empty and "step_rate" in p.steps.columns:
        step = p.steps.set_index("flag")["step_rate"]
        table["step_rate"] = [step.get(f) for f in table["flag"]]
    return table


def engagement(p: Protected) -> Section:
    """Each practice step as a share of the cases where it was recorded, with its interval."""
    section = Section("engagement", "Father engagement")
    steps = steps_table(p)
    if shown_metrics(p, list(steps.get("metric", []))):
        section.chart(
            engagement_funnel_chart(
                steps,
                nested=p.nested_steps,
                rank=claims_for(p).rank_title("lowest_step", list(steps["metric"])),
                **p.chart_context,
            )
        )
    section.text(steps_sentence(p))
    ids = [m for m in p.metrics["metric"] if m.startswith("engagement.")]
    if ids:
        practice_table(
            section, p, ids, "Father engagement: each practice question", sheet="Father engagement"
        )
    return section
