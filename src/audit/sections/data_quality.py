"""Data quality: how far to trust each rate before reading it."""

from __future__ import annotations

from audit.contract import UNKNOWN_SHARE_THRESHOLD, column_label
from audit.disclosure import Policy, Protected, protect
from audit.formatting import format_count, is_suppressed
from audit.section import Section
from audit.workspace import AuditData

__all__ = ["data_quality", "data_quality_text"]


def data_quality_text(p: Protected) -> str:
    """Rows read and excluded (board), fields often unknown, measures not recorded."""
    lines = []
    if "rows_read" in p.extract:
        lines.append(
            f"- The extract held {format_count(p.extract['rows_read'])} cases; "
            f"{format_count(p.extract['excluded'])} were excluded because the baby "
            "was 12 months or older."
        )
    cases = p.cases if is_suppressed(p.cases) else format_count(p.cases)
    lines.append(f"- This audit covers {cases} cases ({p.period_label}).")
    table = p.completeness
    high = table.loc[table["Over 10% not known"] == "yes", "Field"].tolist()
    if high:
        lines.append(
            f"- More than {UNKNOWN_SHARE_THRESHOLD:.0%} not known: {', '.join(high)}. "
            "Rates for these fields rest on fewer cases and may not represent every "
            "case."
        )
    else:
        lines.append(f"- No field shown is more than {UNKNOWN_SHARE_THRESHOLD:.0%} not known.")
    missing = p.extract.get("missing_flags") or []
    if missing:
        names = ", ".join(column_label(m) for m in missing)
        lines.append(f"- **Not recorded in this extract**, so absent from every section: {names}.")
    ignored = p.extract.get("ignored_columns") or []
    if ignored and p.public:
        lines.append(f"- Columns ignored (not part of the contract): {len(ignored)}.")
    elif ignored:
        lines.append(f"- Columns ignored (not part of the contract): {', '.join(ignored)}.")
    return "\n".join(lines)


def data_quality(data: AuditData, policy: Policy | str = "board") -> Section:
    """What the extract held, what was excluded, and how complete each field is."""
    p = protect(data, policy)
    section = Section("data-quality", "Data quality")
    section.text(data_quality_text(p))
    section.table(
        p.completeness,
        "Completeness: cases where each field is not known "
        f"(fields over {UNKNOWN_SHARE_THRESHOLD:.0%} not known are flagged)",
        counts=["Cases", "Not known"],
        percents=["Share not known"],
        sheet="Completeness",
    )
    return section
