"""audit: quarterly audits of how services see the fathers and male carers of babies.

The public API is listed once, in :data:`_API` (name -> module); ``__all__`` and attribute
access both come from it, and names are imported on first use (PEP 562), so ``import audit``
and ``audit validate`` start without loading scipy, statsmodels or matplotlib. Submodules
(``audit.charts``, ``audit.sections``, ``audit.disclosure`` ...) are reachable as attributes.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from audit._lazy import submodules
from audit._version import __version__
from audit.errors import (
    AuditError,
    DisclosureError,
    ExtractError,
    HistoryError,
    IdentifierError,
    ParameterError,
    Problem,
    ReadError,
    ReportError,
    ValidationError,
)

#: public name -> the module that holds it: the one list of the public API.
_API: dict[str, str] = {
    "METRIC_IDS": "audit.contract",
    "METRICS_COLUMNS": "audit.contract",
    "RawExtract": "audit.intake.extract",
    "read_extract": "audit.intake.read",
    "find_identifiers": "audit.intake.guard",
    "check_identifiers": "audit.intake.guard",
    "CaseExtract": "audit.intake.extract",
    "load_extract": "audit.intake.validate",
    "validate_extract": "audit.intake.validate",
    "metrics_table": "audit.measures.metrics",
    "write_metrics_csv": "audit.measures.metrics",
    "wilson_interval": "audit.measures.metrics",
    "engagement_funnel": "audit.measures.engagement",
    "metrics_by": "audit.measures.metrics",
    "rolling_metrics": "audit.measures.metrics",
    "risk_cooccurrence": "audit.measures.metrics",
    "risk_count_distribution": "audit.measures.metrics",
    "quarter_label": "audit.measures.metrics",
    "select_period": "audit.measures.metrics",
    "select_partnership": "audit.measures.metrics",
    "NATIONAL_REFERENCE": "audit.measures.national",
    "national_reference": "audit.measures.national",
    "national_table": "audit.measures.national",
    "context_table": "audit.measures.national",
    "add_national": "audit.measures.compare",
    "verdict": "audit.measures.compare",
    "verdicts": "audit.measures.compare",
    "p_chart": "audit.measures.spc",
    "spc_reading": "audit.measures.spc",
    "funnel_limits": "audit.measures.spc",
    "funnel_table": "audit.measures.spc",
    "open_history": "audit.history",
    "HistoryStore": "audit.history",
    "AuditData": "audit.workspace",
    "open_audit": "audit.workspace",
    "TREND_METRICS": "audit.workspace",
    "FUNNEL_METRICS": "audit.workspace",
    "Audience": "audit.disclosure",
    "Policy": "audit.disclosure",
    "protect": "audit.disclosure",
    "Section": "audit.sections",
    "SECTIONS": "audit.sections",
    "build_sections": "audit.sections",
    "format_percent": "audit.formatting",
    "format_count": "audit.formatting",
    "run_audit": "audit.run.report",
    "generate_extract": "audit.intake.sample",
}

__all__ = [
    "__version__",
    "AuditError",
    "DisclosureError",
    "ExtractError",
    "HistoryError",
    "IdentifierError",
    "ParameterError",
    "Problem",
    "ReadError",
    "ReportError",
    "ValidationError",
    *_API,
]


#: submodules reachable as attributes (``audit.charts.local_vs_national``).
_SUBMODULES = submodules(__path__)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return import_module(f"audit.{name}")
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'audit' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
