"""The public names: what `audit` exports, and every module declares its own `__all__`."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import audit

EXPECTED = {
    "__version__", "METRIC_IDS", "METRICS_COLUMNS",
    # errors
    "AuditError", "ExtractError", "ReadError", "ValidationError", "IdentifierError",
    "ReportError", "HistoryError", "Problem",
    # reading and validating
    "RawExtract", "read_extract", "find_identifiers", "check_identifiers",
    "CaseExtract", "load_extract", "validate_extract",
    # numbers
    "metrics_table", "write_metrics_csv", "wilson_interval", "engagement_funnel",
    "biggest_drop", "metrics_by", "rolling_metrics", "risk_cooccurrence",
    "risk_count_distribution", "quarter_label", "select_period", "select_partnership",
    "NATIONAL_REFERENCE", "national_table", "context_table", "add_national", "verdict",
    "verdicts",
    # board outputs
    "suppress_metrics", "suppress_counts", "format_percent", "Chart", "AuditData",
    "open_audit", "BoardSection", "metrics_display_table", "headline_findings",
    "metric_sentences", "funnel_sentence", "caveats", "board_verdicts",
    "completeness_table", "data_quality_text", "run_audit", "generate_extract",
    "funnel_display_table", "rolling_display_table", "TREND_METRICS", "FUNNEL_METRICS",
    "national_reference",
    # quarter after quarter
    "open_history", "HistoryStore", "p_chart", "spc_reading", "funnel_limits", "funnel_table",
    "write_board_workbook",
}


def test_public_names_are_exactly_the_expected_ones():
    assert set(audit.__all__) == EXPECTED


def test_every_public_name_resolves():
    for name in audit.__all__:
        assert getattr(audit, name) is not None, name


def test_every_module_declares_all_and_its_names_exist():
    for info in pkgutil.iter_modules(audit.__path__):
        module = importlib.import_module(f"audit.{info.name}")
        assert hasattr(module, "__all__"), f"audit.{info.name} has no __all__"
        for name in module.__all__:
            assert hasattr(module, name), f"audit.{info.name}.__all__ lists missing {name}"


def test_private_helpers_are_not_exported():
    for info in pkgutil.iter_modules(audit.__path__):
        module = importlib.import_module(f"audit.{info.name}")
        assert not [n for n in module.__all__ if n.startswith("_") and n != "__version__"]


def test_import_audit_is_light():
    """`import audit` (and so `audit validate`'s start-up) loads no statistics or plotting."""
    code = ("import sys, audit; heavy = [m for m in ('scipy', 'statsmodels', 'matplotlib', "
            "'seaborn', 'papermill') if m in sys.modules]; print(','.join(heavy))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_error_hierarchy():
    assert issubclass(audit.IdentifierError, audit.ValidationError)
    assert issubclass(audit.ValidationError, audit.ExtractError)
    assert issubclass(audit.ReadError, audit.ExtractError)
    for error in (audit.ExtractError, audit.ReportError, audit.HistoryError):
        assert issubclass(error, audit.AuditError)
