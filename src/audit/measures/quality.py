"""Data quality of an extract: completeness per field, exclusions, what was not recorded.

Board readers need to know how far to trust a rate before they read it: a field that is
often unknown gives a rate over fewer cases than the audit holds.
"""

from __future__ import annotations

import pandas as pd

from audit.contract import FLAG_COLUMNS, UNKNOWN_SHARE_THRESHOLD, column_label, metric_label
from audit.intake.extract import shown as _shown

__all__ = ["completeness_table", "completeness_from_metrics", "validation_summary"]

_COMPLETENESS_COLUMNS = ["Field", "Cases", "Not known", "Share not known", "Over 10% not known"]

_CODED = ("harmed_by", "known_to") + FLAG_COLUMNS + ("incident_type",)


def completeness_table(cases: pd.DataFrame) -> pd.DataFrame:
    """Per coded field present: cases, cases not known, share not known, and a flag.

    Counts are over ``cases`` (an audit's in-scope cases). Columns: ``Field`` (the
    measure's readable name), ``Cases``, ``Not known``, ``Share not known`` (a fraction),
    ``Over 10% not known`` ("yes"/"no").
    """
    rows = []
    for column in _CODED:
        if column not in cases.columns:
            continue
        unknown = int((cases[column].astype("string").fillna("unknown") == "unknown").sum())
        share = unknown / len(cases) if len(cases) else float("nan")
        rows.append(
            {
                "Field": column_label(column),
                "Cases": len(cases),
                "Not known": unknown,
                "Share not known": share,
                "Over 10% not known": "yes" if share > UNKNOWN_SHARE_THRESHOLD else "no",
            }
        )
    return pd.DataFrame(rows, columns=_COMPLETENESS_COLUMNS)


def completeness_from_metrics(metrics: pd.DataFrame, cases: int | str) -> pd.DataFrame:
    """Completeness as a protected metrics table shows it (one row a measure).

    The ``unknown`` counts are the metrics table's own (``c`` where it hides them), so this
    table publishes nothing the metrics table does not.
    """
    from audit.formatting import as_number, is_suppressed

    rows = []
    seen = set()
    for _, row in metrics.iterrows():
        metric = str(row["metric"])
        column = metric.split(".")[0] if metric.startswith(("harmed_by.", "known_to.")) else None
        if column in seen:
            continue
        if column:
            seen.add(column)
        field = column_label(column) if column else metric_label(metric)
        unknown = row["unknown"]
        total = as_number(cases)
        number = as_number(unknown)
        share: float | str = (
            number / total
            if number is not None and total
            else ("c" if is_suppressed(unknown) or is_suppressed(cases) else float("nan"))
        )
        over = (
            "c" if isinstance(share, str) else ("yes" if share > UNKNOWN_SHARE_THRESHOLD else "no")
        )
        rows.append(
            {
                "Field": field,
                "Cases": cases,
                "Not known": unknown,
                "Share not known": share,
                "Over 10% not known": over,
            }
        )
    return pd.DataFrame(rows, columns=_COMPLETENESS_COLUMNS)


def validation_summary(extract) -> str:
    """The short summary ``audit validate`` prints for a usable extract (analyst output)."""
    shares = extract.unknown_shares()
    high = shares[shares > UNKNOWN_SHARE_THRESHOLD].sort_values(ascending=False)
    name = f"{len(extract.sources)} returns pooled" if extract.sources else extract.path.name
    lines = [
        f"{name}: usable" + (f" (sheet '{extract.sheet}')" if extract.sheet else ""),
        f"  rows read:           {extract.rows_read:,}"
        + (f" (sheet '{_shown(extract.sheet, 40)}')" if extract.sheet else ""),
        f"  in scope (0-11 m):   {len(extract.cases):,}",
        f"  excluded (12 m +):   {len(extract.excluded):,}",
    ]
    if extract.missing_flags:
        lines.insert(
            1,
            f"  measures absent:     {len(extract.missing_flags)} of {len(FLAG_COLUMNS)}, "
            f"allowed with --allow-missing: {', '.join(extract.missing_flags)}",
        )
    for source in extract.sources:
        role = f" ({source['role']})" if source.get("role") else ""
        lines.append(
            f"    {source['file']}{role}: {source['rows_read']:,} rows, "
            f"{source['in_scope']:,} in scope (SHA-256 {str(source['sha256'])[:12]}…)"
        )
    if extract.moderated is not None:
        moderated = extract.moderated["case_id"].nunique()
        lines.append(
            f"  moderated cases:     {moderated:,} audited twice; the figures use the first "
            "auditor's answers (or the agreed ones)"
        )
    if len(extract.excluded) and "source" in extract.excluded.columns:
        where = [
            f"{s} row {int(r)}" for s, r in zip(extract.excluded["source"], extract.excluded["row"])
        ]
        lines.append(f"    excluded: {', '.join(where[:10])}" + (" …" if len(where) > 10 else ""))
    elif len(extract.excluded):
        rows = extract.excluded["row"].astype(int).tolist()
        shown = ", ".join(str(r) for r in rows[:10]) + (" …" if len(rows) > 10 else "")
        lines.append(f"    rows: {shown}")
    if len(high):
        lines.append(f"  fields more than {UNKNOWN_SHARE_THRESHOLD:.0%} unknown:")
        lines += [f"    {name:<30} {share:6.1%}" for name, share in high.items()]
    else:
        lines.append(f"  fields more than {UNKNOWN_SHARE_THRESHOLD:.0%} unknown: none")
    from audit.formatting import quarters_text
    from audit.intake.periods import quarter_label

    quarters = sorted(set(quarter_label(extract.cases["notification_date"]).dropna()))
    if quarters:
        lines.append(
            f"  quarters covered:    {quarters_text(quarters)} ({len(quarters)} with cases)"
        )
    if "partnership" in extract.cases.columns:
        names = sorted(str(p) for p in extract.cases["partnership"].dropna().unique())
        lines.append(f"  partnerships:        {', '.join(names)}")
    if extract.stray_dates:
        lines.append(
            f"  dates accepted apart from their return ({len(extract.stray_dates)}, "
            "--accept-stray-dates):"
        )
        lines += [f"    {stray}" for stray in extract.stray_dates]
    lines += [f"  warning: {warning}" for warning in extract.warnings]
    lines.append("  flags not recorded:  " + (", ".join(extract.missing_flags) or "none"))
    lines.append("  columns ignored:     " + (", ".join(extract.ignored_columns) or "none"))
    if extract.ignored_columns:  # the identifier check cannot see a name in free text
        lines.append(
            "  (not read, but still in the file: a free-text column can name people, so "
            "leave such columns out of the extract: docs/data-contract.md)"
        )
    return "\n".join(lines)
