"""Quarter by quarter: is it getting better? Trend and control charts of the key measures."""

from __future__ import annotations

import pandas as pd

from audit.charts import spc_chart, trend_chart
from audit.claims import claims_for
from audit.contract import metric_label
from audit.disclosure import Protected
from audit.formatting import quarters_text
from audit.measures.national import national_reference
from audit.measures.spc import MIN_SPC_POINTS
from audit.measures.spc_readiness import trend_readiness
from audit.render.section import Section
from audit.sections.tables import METRIC_PERCENTS, chart_data, rolling_display
from audit.workspace import TREND_METRICS

__all__ = ["trends"]


def _readiness(chart: pd.DataFrame) -> tuple[str, ...]:
    """What this p-chart can and cannot show
    (:func:`audit.measures.spc_readiness.trend_readiness`): too few quarters for limits yet,
    quarters too small for a fall to show. Quarters a public pack
    hides are left out: it says nothing of their size."""
    from audit.formatting import is_suppressed

    shown = chart[[not is_suppressed(v) for v in chart["denominator"]]]
    if shown.empty:
        return ()
    return trend_readiness(shown.astype({"denominator": "int64"})).sentences


def trends(p: Protected) -> Section:
    """Each key measure quarter by quarter with its 95% band, then its p-chart (or a run
    chart until enough quarters are recorded), and the latest four quarters together."""
    claims = claims_for(p)
    section = Section("trends", "Quarter by quarter")
    quarterly = p.quarterly
    quarters = quarterly["period"].nunique() if not quarterly.empty else 0
    if quarters < 2:
        section.text(_no_trend(p))
    for metric in TREND_METRICS:
        if metric not in p.spc:
            continue
        reference = national_reference(metric)
        source = _source(p, quarterly[quarterly["metric"] == metric]["period"])
        section.chart(
            trend_chart(
                quarterly,
                metric,
                reference[0] / reference[1] if reference else None,
                source=source,
                place=p.place,
                title=claims.trends[metric].text if metric in claims.trends else None,
                few_cases=claims.few_cases.get(metric, ()),
            )
        )
        chart = p.spc[metric]
        section.chart(
            spc_chart(
                chart,
                metric=metric,
                source=source,
                place=p.place,
                min_points=MIN_SPC_POINTS,
                title=claims.spc[metric].text,
            )
        )
        section.table(
            chart_data(quarterly, metric),
            f"{metric_label(metric)}: the figures behind the charts",
            counts=["Cases (yes)", "Of cases known"],
            percents=METRIC_PERCENTS,
            sheet=f"Trend {metric_label(metric)}",
        )
        sentences = _readiness(chart)
        if sentences:
            section.text(f"{metric_label(metric)}: " + " ".join(sentences))
    if not p.rolling.empty:
        table = rolling_display(p.rolling, TREND_METRICS)
        if not table.empty:
            section.table(
                table,
                "The latest four quarters together (steadier than single "
                "quarters when numbers are small)",
                counts=["Cases (yes)", "Of cases known"],
                percents=METRIC_PERCENTS,
                sheet="Latest four quarters",
            )
    return section


def _source(p: Protected, periods: pd.Series) -> str:
    """A trend chart's source: the extract, and the quarters it shows that were read from
    the history store ("kestrel-2026-Q4.xlsx (case extract); 2026-Q3 from the history
    store"): they were recorded by earlier runs, not read from this quarter's file."""
    shown = {str(q) for q in periods}
    earlier = [q for q in p.history_quarters if q in shown]
    if not earlier:
        return p.source
    return f"{p.source}; {quarters_text(earlier)} from the history store"


def _no_trend(p: Protected) -> str:
    """Why no quarter is charted: a public pack whose charts were all left out, though two
    or more quarters are recorded (in the pack, or read from the history store), says so
    and why (not "run the audit again", nor that trends need two quarters: new analysts'
    trials found each on a public page); a public pack gives no command-line advice."""
    covers = len(p.publication.pack_quarters) if p.public and p.publication else 0
    recorded = max(covers, len(p.trend_quarters))
    if p.public and recorded >= 2:
        return (
            f"{recorded} quarters are recorded, but their quarter-by-quarter charts are left "
            "out of this public pack to protect small numbers; the summary says why."
        )
    if p.public:
        return "Trends appear once two or more quarters are recorded."
    return (
        "Trends appear once two or more quarters are recorded: run the audit "
        "again next quarter, or record earlier quarters with --each-quarter."
    )
