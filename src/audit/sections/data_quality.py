"""Data quality: how far to trust each rate before reading it, and how consistent the
auditors were (moderated cases, board only: :mod:`audit.intake.moderation`)."""

from __future__ import annotations

import math

import pandas as pd

from audit.contract import UNKNOWN_SHARE_THRESHOLD, column_label
from audit.disclosure import Protected
from audit.formatting import format_count, is_suppressed, plural
from audit.intake.agreement import WEAK_BELOW
from audit.render.section import Section

__all__ = ["CONSISTENCY_HEADING", "consistency_text", "data_quality", "data_quality_text"]

CONSISTENCY_HEADING = "How consistent were the auditors"


def data_quality_text(p: Protected) -> str:
    """Rows read and excluded (board), fields often unknown, measures not recorded."""
    lines = []
    if "rows_read" in p.extract:
        lines.append(
            f"- The extract held {format_count(p.extract['rows_read'])} cases; {_left_out(p)}."
        )
    cases = p.cases if is_suppressed(p.cases) else format_count(p.cases)
    lines.append(f"- This audit covers {cases} cases ({p.period_label}).")
    table = p.completeness
    high = table.loc[table["Over 10% not known"] == "yes", "Field"].tolist()
    # a list a reader takes as complete: say how many fields' shares are hidden (a new
    # analyst's public pack named 2 fields while 22 were c and the board's named 11)
    hidden = int(table["Over 10% not known"].map(is_suppressed).sum())
    unsure = (
        f" The share not known of {plural(hidden, 'other field')} is hidden to protect "
        "privacy, so more may be."
        if hidden
        else ""
    )
    if high:
        lines.append(
            f"- More than {UNKNOWN_SHARE_THRESHOLD:.0%} not known: {', '.join(high)}. "
            "Rates for these fields rest on fewer cases and may not represent every "
            f"case.{unsure}"
        )
    else:
        lines.append(
            f"- No field shown is more than {UNKNOWN_SHARE_THRESHOLD:.0%} not known.{unsure}"
        )
    missing = p.extract.get("missing_flags") or []
    if missing:
        names = ", ".join(column_label(m) for m in missing)
        lines.append(f"- **Not recorded in this extract**, so absent from every section: {names}.")
    ignored = p.extract.get("ignored_columns") or []
    if ignored:
        one = len(ignored) == 1
        what = (
            f"- {plural(len(ignored), 'column')} of the extract {'is' if one else 'are'} not "
            f"part of the data contract, so {'it was' if one else 'they were'} not read"
        )
        # a public pack does not name them: a header can say whose cases they are
        lines.append(f"{what}." if p.public else f"{what}: {', '.join(ignored)}.")
    return "\n".join(lines)


def _left_out(p: Protected) -> str:
    """Every case of the extract this audit does not count, by reason, as counts (the board
    sees no row numbers): "1 was excluded because the baby was 12 months or older, and 1
    is dated outside 2026-Q3, so not counted in it": held less these is what it covers."""
    excluded = p.extract["excluded"]
    parts = [
        f"{format_count(excluded)} {'was' if excluded == 1 else 'were'} excluded because the "
        "baby was 12 months or older"
    ]
    if other := p.extract.get("other_partnerships", 0):
        parts.append(
            f"{format_count(other)} {'belongs' if other == 1 else 'belong'} to other partnerships"
        )
    if outside := p.extract.get("outside_period", 0):
        parts.append(
            f"{format_count(outside)} {'is' if outside == 1 else 'are'} dated outside "
            f"{p.period}, so not counted in it"
        )
    return ", ".join(parts[:-1]) + f", and {parts[-1]}" if len(parts) > 1 else parts[0]


def data_quality(p: Protected) -> Section:
    """What the extract held, what was excluded, and how complete each field is."""
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
    if p.extract.get("moderated") or p.agreement is not None:
        section.heading(CONSISTENCY_HEADING)
        section.text(consistency_text(p))
        if p.agreement is not None:
            section.table(
                _consistency_table(p.agreement),
                "Agreement between first and second auditors, question by question "
                "(95% intervals; AC1 below "
                f"{WEAK_BELOW:.2f} is flagged)",
                counts=["Cases compared"],
                percents=["Answered alike"],
                sheet="Auditor agreement",
            )
    return section


def consistency_text(p: Protected) -> str:
    """What the moderation shows, and which answers the figures use (module doc).

    A public pack says only that moderation took place and which answers count: the
    agreement figures are the board's (:attr:`~audit.disclosure.Protected.agreement`).
    """
    from audit.intake.moderation import RULE

    if p.public:
        return (
            "- Some cases were audited a second time, by another auditor, to check that the "
            f"questions were read alike. {RULE} How consistent the auditors were is "
            "reported to the board, not in this public pack."
        )
    table = p.agreement
    if table is None:
        return f"- No case of {p.period_label} was audited a second time (moderated). {RULE}"
    pairs = int(table["pairs"].max())
    lines = [
        f"- {format_count(pairs)} case{'s were' if pairs != 1 else ' was'} audited a second "
        "time by another auditor (moderation), and the two auditors' answers compared "
        f"question by question. {RULE}",
    ]
    weak = [column_label(q) for q in table.loc[table["weak"], "question"]]
    if weak:
        lines.append(
            f"- **Questions the auditors read differently** (Gwet's AC1 below {WEAK_BELOW:.2f}: "
            f"moderate agreement or less on Landis and Koch's scale): {', '.join(weak)}. "
            "Rates for these questions depend on who audited the case; agree how to read "
            "them before the next quarter."
        )
    else:
        lines.append(
            f"- No question fell below Gwet's AC1 of {WEAK_BELOW:.2f} (moderate agreement or "
            "less on Landis and Koch's scale)."
        )
    lines.append(
        "- Cohen's kappa can be low even when the auditors nearly always agree, if nearly "
        "every answer is the same (it is not defined when every answer is the same), so "
        f"the flag reads Gwet's AC1. With {format_count(pairs)} cases compared, the "
        "intervals are wide: the flag says where to look, not a verdict. Where the two "
        "answered every case alike the method gives no interval."
    )
    return "\n".join(lines)


def _coefficient(value: float, low: float, high: float, alike: bool) -> str:
    if value is None or math.isnan(value):
        return "not defined"
    if alike:  # every case answered alike: the method's standard error is 0
        return f"{value:.2f} (every case alike: no interval)"
    if math.isnan(low) or math.isnan(high):
        return f"{value:.2f}"
    return f"{value:.2f} ({low:.2f} to {high:.2f})"


def _consistency_table(agreement: pd.DataFrame) -> pd.DataFrame:
    """The board's table of :func:`audit.intake.agreement.agreement_table`, in words."""
    rows = [
        {
            "Question": column_label(r.question),
            "Cases compared": int(r.pairs),
            "Answered alike": float(r.agreement),
            "Cohen's kappa": _coefficient(r.kappa, r.kappa_low, r.kappa_high, r.agreed == r.pairs),
            "Gwet's AC1": _coefficient(r.ac1, r.ac1_low, r.ac1_high, r.agreed == r.pairs),
            "Agreement (AC1, Landis and Koch)": str(r.strength),
            "Read differently": "yes" if r.weak else "",
        }
        for r in agreement.itertuples(index=False)
    ]
    return pd.DataFrame(rows)
