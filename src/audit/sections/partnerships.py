"""Partnerships compared: each partnership against funnel limits around the pooled rate."""

from __future__ import annotations

from audit.charts import funnel_plot
from audit.claims import claims_for
from audit.disclosure import Protected
from audit.render.section import Section
from audit.sections.tables import partnerships_display

__all__ = ["partnerships"]


def partnerships(p: Protected) -> Section:
    """Each partnership's rate against its number of cases, inside 95% and 99.8% limits."""
    section = Section("partnerships", "Partnerships compared")
    if len(p.partnerships) < 2:
        return section.text(
            "This audit covers one partnership; funnel plots need a pooled extract of several."
        )
    claims = claims_for(p)
    for metric, table in p.funnels.items():
        section.chart(
            funnel_plot(
                table,
                source=p.source,
                place=p.place,
                period=p.period_label,
                title=claims.funnels[metric].text if metric in claims.funnels else None,
            )
        )
    if p.funnels:
        section.table(
            partnerships_display(p.funnels),
            "Partnerships against the funnel limits around the pooled rate",
            counts=["Cases (yes)", "Of cases known"],
            percents=["Percentage", "Pooled rate (centre line)"],
            sheet="Partnerships",
        )
    return section
