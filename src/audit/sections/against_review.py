"""The measures held against the national review, as the sections print them.

Risk factors and service contact both read alike: a sentence a measure, the table of local
figures beside the review's, and what their numbers of cases could have shown. One function
writes that block, so the two sections cannot drift apart in how they say it.
"""

from __future__ import annotations

from collections.abc import Sequence

from audit.charts import local_vs_national
from audit.claims import Claims
from audit.claims.findings import (
    detectable_sentences,
    metric_sentences,
    shown_metrics,
    tests_in_pack,
    verdict_words,
)
from audit.disclosure import Protected
from audit.formatting import plural
from audit.render.section import Section
from audit.sections.tables import METRIC_COUNTS, METRIC_PERCENTS, metrics_display

__all__ = ["against_national", "risk_chart"]


def against_national(
    section: Section, p: Protected, ids: Sequence[str], caption: str, *, sheet: str
) -> None:
    """Add to ``section`` the sentences, the table (``caption``, workbook ``sheet``) and the
    detectable differences of the measures ``ids`` against the national review."""
    section.text(metric_sentences(ids, p))
    section.table(
        metrics_display(p.metrics, ids, verdicts=verdict_words(p), cases=p.cases),
        caption,
        counts=METRIC_COUNTS,
        percents=[*METRIC_PERCENTS, "As the review counted", "National (92 cases)"],
        sheet=sheet,
    )
    detectable = detectable_sentences(ids, p)
    if detectable:
        section.heading("What these numbers of cases could show")
        n = tests_in_pack(p)
        section.text(
            "No evidence of a difference is not evidence of no difference. With "
            "this many cases, the test could only have found a difference this "
            f"large, allowing for the {plural(n, 'comparison')} in this pack "
            f"(each at 5% ÷ {n}, the strictest step of Holm's method, so a figure "
            "beyond it would be called different):\n\n" + detectable
        )


def risk_chart(
    section: Section, p: Protected, ids: Sequence[str], claims: Claims, *, name: str
) -> None:
    """Chart the risk factors ``ids`` against the national review (the summary's chart and
    the risk-factor section's), titled by the most common factor, unless no rate is shown."""
    if shown_metrics(p, ids):
        section.chart(
            local_vs_national(
                p.metrics,
                ids,
                name=name,
                what="risk-factor figures",
                rank=claims.rank_title("most_common_risk", ids),
                **p.chart_context,
            )
        )
