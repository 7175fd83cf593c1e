"""Data quality of an extract: completeness per field, exclusions, what was not recorded.

Board readers need to know how far to trust a rate before they read it: a field that is
often unknown gives a rate over fewer cases than the audit holds.
"""

from __future__ import annotations

import pandas as pd

from audit.contract import FLAG_COLUMNS, UNKNOWN_SHARE_THRESHOLD

__all__ = ["completeness_table", "data_quality_text", "validation_summary",
           "published_extract_counts"]

_CODED = ("harmed_by", "known_to") + FLAG_COLUMNS + ("incident_type",)


def completeness_table(data) -> pd.DataFrame:
    """Per coded field present: cases, cases not known, share not known, and a flag.

    ``data`` is an :class:`audit.workspace.AuditData`; the counts are over its cases.
    """
    cases = data.cases
    rows = []
    for column in _CODED:
        if column not in cases.columns:
            continue
        unknown = int((cases[column].astype("string").fillna("unknown") == "unknown").sum())
        share = unknown / len(cases) if len(cases) else float("nan")
        rows.append({
            "Field": column,
            "Cases": len(cases),
            "Not known": unknown,
            "Share not known": share,
            "Over 10% not known": "yes" if share > UNKNOWN_SHARE_THRESHOLD else "no",
        })
    frame = pd.DataFrame(rows, columns=["Field", "Cases", "Not known", "Share not known",
                                        "Over 10% not known"])
    frame["Share not known"] = frame["Share not known"].map(
        lambda v: v if isinstance(v, str) else f"{v * 100:.1f}%")
    return frame


def published_extract_counts(extract, suppress_max: int = 5) -> dict[str, int | str]:
    """Rows read, in scope and excluded as a board output may show them.

    ``rows_read = in_scope + excluded``, so hiding one small count is not enough: when only
    one of the three would be ``c``, another is hidden too (secondary suppression) so no
    hidden count comes back by subtraction. The total goes first: the in-scope count is the
    audit's own number of cases, shown throughout the pack.
    """
    from audit.suppress import SUPPRESSED

    values = {"rows_read": int(extract.rows_read), "in_scope": int(len(extract.cases)),
              "excluded": int(len(extract.excluded))}
    hidden = {k for k, v in values.items() if 1 <= v <= suppress_max}
    if len(hidden) == 1:
        if "rows_read" not in hidden:
            hidden.add("rows_read")
        elif values["excluded"] > 0:
            hidden.add("excluded")
    return {k: (SUPPRESSED if k in hidden else v) for k, v in values.items()}


def data_quality_text(data, suppress_max: int = 5) -> str:
    """Plain-English summary of the extract's quality for the board (no row-level detail)."""
    from audit.suppress import format_count

    extract = data.extract
    table = completeness_table(data)
    high = table.loc[table["Over 10% not known"] == "yes", "Field"].tolist()

    def count(n: int) -> str:
        return "c" if 1 <= n <= suppress_max else format_count(n)

    shown = published_extract_counts(extract, suppress_max)
    lines = [
        f"- The extract held {shown['rows_read']} cases; {shown['excluded']} were excluded "
        "because the baby was 12 months or older.",
        f"- This audit covers {count(data.in_scope)} cases ({data.period_label}).",
    ]
    if high:
        lines.append(f"- More than 10% not known: {', '.join(high)}. Rates for these fields "
                     "rest on fewer cases and may not represent every case.")
    else:
        lines.append("- No field is more than 10% not known.")
    if extract.missing_flags:
        lines.append(f"- Not recorded in this extract: {', '.join(extract.missing_flags)}.")
    if extract.ignored_columns:
        lines.append(f"- Columns ignored (not part of the contract): "
                     f"{', '.join(extract.ignored_columns)}.")
    return "\n".join(lines)


def validation_summary(extract) -> str:
    """The short summary ``audit validate`` prints for a usable extract (analyst output)."""
    shares = extract.unknown_shares()
    high = shares[shares > UNKNOWN_SHARE_THRESHOLD].sort_values(ascending=False)
    lines = [
        f"{extract.path.name}: usable"
        + (f" (sheet '{extract.sheet}')" if extract.sheet else ""),
        f"  rows read:           {extract.rows_read:,}",
        f"  in scope (0-11 m):   {len(extract.cases):,}",
        f"  excluded (12 m +):   {len(extract.excluded):,}",
    ]
    if len(extract.excluded):
        rows = extract.excluded["row"].astype(int).tolist()
        shown = ", ".join(str(r) for r in rows[:10]) + (" …" if len(rows) > 10 else "")
        lines.append(f"    rows: {shown}")
    if len(high):
        lines.append(f"  fields more than {UNKNOWN_SHARE_THRESHOLD:.0%} unknown:")
        lines += [f"    {name:<30} {share:6.1%}" for name, share in high.items()]
    else:
        lines.append(f"  fields more than {UNKNOWN_SHARE_THRESHOLD:.0%} unknown: none")
    lines.append("  flags not recorded:  " + (", ".join(extract.missing_flags) or "none"))
    lines.append("  columns ignored:     " + (", ".join(extract.ignored_columns) or "none"))
    return "\n".join(lines)
