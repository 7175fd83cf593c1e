"""Risk factors: how often the review's factors were present, and which occur together."""

from __future__ import annotations

from audit.charts import cooccurrence_heatmap, local_vs_national
from audit.claims import claims_for
from audit.disclosure import Protected
from audit.findings import (
    detectable_sentences,
    metric_sentences,
    shown_metrics,
    verdict_words,
)
from audit.section import Section
from audit.sections.tables import (
    METRIC_COUNTS,
    METRIC_PERCENTS,
    bands_display,
    metrics_display,
)

__all__ = ["risk_factors"]


def risk_factors(p: Protected) -> Section:
    """Each risk factor locally, with its interval, against the national figure counted the
    same way; the factors that occur together; cases by the number of factors."""
    section = Section("risk-factors", "Risk factors")
    ids = [m for m in p.metrics["metric"] if m.startswith("risk.")]
    if not ids:
        return section.text("No risk-factor column is recorded in this extract.")
    if shown_metrics(p, ids):
        section.chart(
            local_vs_national(
                p.metrics,
                ids,
                name="risk_factors",
                rank=claims_for(p).rank_title("most_common_risk", ids),
                **p.chart_context,
            )
        )
    section.text(metric_sentences(ids, p))
    section.table(
        metrics_display(p.metrics, ids, verdicts=verdict_words(p), cases=p.cases),
        "Risk factors: local figures with 95% confidence intervals; the local "
        "figure counted as the review counted it (out of every case, a factor not "
        "recorded counting as not featuring) beside the national figure (92 "
        "notifications)",
        counts=METRIC_COUNTS,
        percents=[*METRIC_PERCENTS, "As the review counted", "National (92 cases)"],
        sheet="Risk factors",
    )
    detectable = detectable_sentences(ids, p)
    if detectable:
        section.heading("What these numbers of cases could show")
        section.text(
            "No evidence of a difference is not evidence of no difference. With "
            "this many cases, the test could only have found a difference this "
            "large (one comparison at the 5% level; after adjusting for the others "
            "the bar is a little higher):\n\n" + detectable
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
