"""Risk factors: how often the review's factors were present, and which occur together."""

from __future__ import annotations

from audit.charts import cooccurrence_heatmap
from audit.claims import claims_for
from audit.disclosure import Protected
from audit.render.section import Section
from audit.sections.against_review import against_national, risk_chart
from audit.sections.tables import bands_display

__all__ = ["risk_factors"]


def risk_factors(p: Protected) -> Section:
    """Each risk factor locally, with its interval, against the national figure counted the
    same way; the factors that occur together; cases by the number of factors."""
    section = Section("risk-factors", "Risk factors")
    ids = [m for m in p.metrics["metric"] if m.startswith("risk.")]
    if not ids:
        return section.text("No risk-factor column is recorded in this extract.")
    risk_chart(section, p, ids, claims_for(p), name="risk_factors")
    against_national(
        section,
        p,
        ids,
        "Risk factors: local figures with 95% confidence intervals; the local "
        "figure counted as the review counted it (out of every case, a factor not "
        "recorded counting as not featuring) beside the national figure (92 "
        "notifications)",
        sheet="Risk factors",
    )
    if p.cooccurrence is not None and len(p.cooccurrence) >= 2:
        section.chart(cooccurrence_heatmap(p.cooccurrence, **p.chart_context))
    if p.risk_counts is not None and not p.risk_counts.empty:
        table = bands_display(p.risk_counts)
        counts = [c for c in table.columns if c.startswith(("Cases", "Of which"))]
        section.table(
            table,
            "Cases by the number of risk factors recorded as yes",
            counts=counts,
            percents=["Share of cases"],
            sheet="Risk factor counts",
        )
    return section
