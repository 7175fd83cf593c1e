"""audit: quarterly audits of how services see the fathers and male carers of babies."""

from __future__ import annotations

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
]
