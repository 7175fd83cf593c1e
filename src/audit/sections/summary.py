"""The board summary: headline findings, the key charts and the caveats."""

from __future__ import annotations

from audit.charts import engagement_funnel_chart
from audit.claims import claims_for
from audit.claims.findings import caveats, further_findings, headline_findings, shown_metrics
from audit.disclosure import Protected
from audit.measures.national import NATIONAL_REFERENCE
from audit.render.section import Section
from audit.sections.against_review import risk_chart
from audit.sections.engagement import steps_table

__all__ = ["summary"]


def summary(p: Protected) -> Section:
    """Headline findings in plain English, the risk factors against the national review,
    the engagement steps, and what to read the figures with."""
    claims = claims_for(p)
    section = Section("summary", "Summary" if p.public else "Summary for the board")
    section.text(headline_findings(p))
    national = [m for m in p.metrics["metric"] if m in NATIONAL_REFERENCE and m.startswith("risk.")]
    risk_chart(section, p, national, claims, name="summary_risk_factors")
    steps = steps_table(p)
    if shown_metrics(p, list(steps.get("metric", []))):
        section.chart(
            engagement_funnel_chart(
                steps,
                name="summary_engagement",
                nested=p.nested_steps,
                rank=claims.rank_title("lowest_step", list(steps["metric"])),
                **p.chart_context,
            )
        )
    more = further_findings(p)
    if more:
        section.text(more)
    section.heading("Read these figures with")
    section.text(caveats(p))
    return section
