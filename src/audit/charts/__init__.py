"""Every chart of the audit, in the Government Analysis Function style, with its alt text.

* :mod:`audit.charts.style` — the palette and style, the :class:`Chart` and the layout
  helpers every chart shares;
* :mod:`audit.charts.snapshot` — one period's figures: local against national, the
  engagement steps, service contact;
* :mod:`audit.charts.heatmap` — which risk factors occur together;
* :mod:`audit.charts.funnel_plot` — partnerships against funnel limits;
* :mod:`audit.charts.over_time` — a measure quarter by quarter, and its p-chart or run chart.

Charts take protected tables (:func:`audit.disclosure.protect`) and draw nothing for a
figure that is ``c`` there.
"""

from audit.charts.funnel_plot import funnel_plot
from audit.charts.heatmap import cooccurrence_heatmap
from audit.charts.over_time import period_span, spc_chart, trend_chart
from audit.charts.snapshot import (
    engagement_funnel_chart,
    local_vs_national,
    service_contact_chart,
)
from audit.charts.style import (
    AF_CATEGORICAL,
    AF_SEQUENTIAL,
    AF_STYLE_PATH,
    NATIONAL_SOURCE,
    Chart,
    af_style,
    contrast_ratio,
)

__all__ = [
    "Chart",
    "AF_CATEGORICAL",
    "AF_SEQUENTIAL",
    "AF_STYLE_PATH",
    "NATIONAL_SOURCE",
    "af_style",
    "contrast_ratio",
    "local_vs_national",
    "engagement_funnel_chart",
    "service_contact_chart",
    "cooccurrence_heatmap",
    "funnel_plot",
    "trend_chart",
    "spc_chart",
    "period_span",
]
