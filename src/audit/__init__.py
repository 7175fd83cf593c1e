"""audit: quarterly audits of how services see the fathers and male carers of babies.

The public API is re-exported here. Names are loaded on first use (PEP 562), so
``import audit`` and the ``audit validate`` command start without importing scipy,
statsmodels or matplotlib.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from audit.contract import METRIC_IDS, METRICS_COLUMNS
from audit.errors import (
    AuditError,
    ExtractError,
    HistoryError,
    IdentifierError,
    Problem,
    ReadError,
    ReportError,
    ValidationError,
)

__version__ = "0.1.0"

#: public name -> module that holds it
_LAZY: dict[str, str] = {
    "RawExtract": "audit.read",
    "read_extract": "audit.read",
    "find_identifiers": "audit.guard",
    "check_identifiers": "audit.guard",
    "CaseExtract": "audit.validate",
    "load_extract": "audit.validate",
    "validate_extract": "audit.validate",
    "metrics_table": "audit.metrics",
    "write_metrics_csv": "audit.metrics",
    "wilson_interval": "audit.metrics",
    "engagement_funnel": "audit.metrics",
    "biggest_drop": "audit.metrics",
    "metrics_by": "audit.metrics",
    "rolling_metrics": "audit.metrics",
    "risk_cooccurrence": "audit.metrics",
    "risk_count_distribution": "audit.metrics",
    "quarter_label": "audit.metrics",
    "select_period": "audit.metrics",
    "select_partnership": "audit.metrics",
    "NATIONAL_REFERENCE": "audit.national",
    "national_table": "audit.national",
    "context_table": "audit.national",
    "add_national": "audit.compare",
    "verdict": "audit.compare",
    "verdicts": "audit.compare",
    "suppress_metrics": "audit.suppress",
    "suppress_counts": "audit.suppress",
    "format_percent": "audit.suppress",
    "Chart": "audit.charts",
    "AuditData": "audit.workspace",
    "open_audit": "audit.workspace",
    "BoardSection": "audit.board",
    "metrics_display_table": "audit.board",
    "funnel_display_table": "audit.board",
    "rolling_display_table": "audit.board",
    "TREND_METRICS": "audit.workspace",
    "FUNNEL_METRICS": "audit.workspace",
    "national_reference": "audit.national",
    "open_history": "audit.history",
    "HistoryStore": "audit.history",
    "p_chart": "audit.spc",
    "spc_reading": "audit.spc",
    "funnel_limits": "audit.spc",
    "funnel_table": "audit.spc",
    "write_board_workbook": "audit.workbook",
    "headline_findings": "audit.findings",
    "metric_sentences": "audit.findings",
    "funnel_sentence": "audit.findings",
    "caveats": "audit.findings",
    "board_verdicts": "audit.findings",
    "completeness_table": "audit.quality",
    "data_quality_text": "audit.quality",
    "run_audit": "audit.report",
    "generate_extract": "audit.sample",
}

__all__ = [
    "__version__",
    "METRIC_IDS",
    "METRICS_COLUMNS",
    "AuditError",
    "ExtractError",
    "HistoryError",
    "IdentifierError",
    "Problem",
    "ReadError",
    "ReportError",
    "ValidationError",
    *_LAZY,
]


#: submodules reachable as attributes (``audit.charts.local_vs_national``) without importing
#: them at start-up.
_SUBMODULES = frozenset({"board", "charts", "compare", "contract", "errors", "findings",
                         "guard", "history", "metrics", "national", "pdf", "quality", "read",
                         "report", "sample", "spc", "suppress", "validate", "workbook",
                         "workspace"})


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return import_module(f"audit.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'audit' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from audit.board import (BoardSection, funnel_display_table, metrics_display_table,
                             rolling_display_table)
    from audit.history import HistoryStore, open_history
    from audit.spc import funnel_limits, funnel_table, p_chart, spc_reading
    from audit.workbook import write_board_workbook
    from audit.workspace import FUNNEL_METRICS, TREND_METRICS
    from audit.charts import Chart
    from audit.compare import add_national, verdict, verdicts
    from audit.findings import (board_verdicts, caveats, funnel_sentence, headline_findings,
                                metric_sentences)
    from audit.guard import check_identifiers, find_identifiers
    from audit.metrics import (biggest_drop, engagement_funnel, metrics_by, metrics_table,
                               quarter_label, risk_cooccurrence, risk_count_distribution,
                               rolling_metrics, select_partnership, select_period,
                               wilson_interval, write_metrics_csv)
    from audit.national import (NATIONAL_REFERENCE, context_table, national_reference,
                                national_table)
    from audit.quality import completeness_table, data_quality_text
    from audit.read import RawExtract, read_extract
    from audit.report import run_audit
    from audit.sample import generate_extract
    from audit.suppress import format_percent, suppress_counts, suppress_metrics
    from audit.validate import CaseExtract, load_extract, validate_extract
    from audit.workspace import AuditData, open_audit
