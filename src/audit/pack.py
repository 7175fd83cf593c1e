"""A pack's files, written from its sections: the page, the workbook, the slides, the charts,
the CSVs.

Everything here renders what :mod:`audit.sections` built from the protected tables; no
figure is computed. Files are named for the audience (``board-pack.html``,
``public-pack.html``) so a public file is never mistaken for the board's.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from audit.disclosure import Policy, Protected
from audit.national import NATIONAL_DENOMINATOR, SOURCE_SHORT
from audit.render.workbook import Sheet, write_workbook
from audit.section import Section, summary_bullets

__all__ = ["pack_name", "write_pack", "TITLE"]

#: The pack's title, on its first page, slide and sheet.
TITLE = "Are services seeing the men around babies?"


def pack_name(policy: Policy) -> str:
    """``board-pack`` or ``public-pack``: the stem of every file of the pack."""
    return f"{policy.audience.value}-pack"


def _conventions(policy: Policy) -> str:
    if policy.public:
        return (
            f"Counts from 1 to {policy.max_count} are shown as c, and so is any figure "
            "from which one could be worked out; 0 is a true zero; : means not "
            "available. Percentages are rounded to one decimal place."
        )
    return (
        "Every aggregate figure is shown, small numbers included: not for publication. "
        "0 is a true zero; : means not available. Percentages are rounded to one decimal "
        "place."
    )


def _provenance(p: Protected) -> list[tuple[str, str]]:
    from audit.manifest import package_versions

    cases = str(p.cases)
    rows = (
        f"{p.extract['rows_read']:,} rows read; {p.extract['in_scope']:,} babies under one in "
        f"scope; {cases} in this audit"
        if not p.public
        else f"{cases} cases in this audit"
    )
    rule = (
        f"counts from 1 to {p.policy.max_count} shown as c (Department for Education "
        "convention), with complementary suppression checked by an attack on every "
        "figure published"
        if p.public
        else "none: the board's own papers show every aggregate figure; never row-level data"
    )
    return [
        ("Protective marking", p.policy.marking),
        ("Audience", p.policy.audience.value),
        ("Source extract", f"{p.extract_file} (SHA-256 {p.extract_sha256[:16]}…)"),
        ("Cases", rows),
        ("Period", p.period_label),
        ("Geography", p.place),
        (
            "National comparison",
            f"{SOURCE_SHORT}: {NATIONAL_DENOMINATOR} serious incident "
            "notifications; local figures counted as the review counted",
        ),
        ("Small numbers", rule),
        (
            "Intervals and tests",
            "95% Wilson score intervals; two-sided Fisher exact test "
            "against the national counts, Holm-adjusted over the "
            "comparisons in this pack",
        ),
        *_selection(p.selection, p.public),
        ("Produced by", f"audit {package_versions()['audit']}"),
    ]


def _selection(record: dict | None, public: bool) -> list[tuple[str, str]]:
    """The "Case selection" line of "About these figures": the rule, seed and list digest
    of ``audit select``'s record and, for the board, how far the returns cover it."""
    if not record:
        return []
    text = (
        f"{record['rule'][0].upper()}{record['rule'][1:]}, drawn by 'audit select' with seed "
        f"{record['seed']} (list of eligible cases SHA-256 {record['eligible_sha256'][:16]}…)"
    )
    if not public:
        outside = record["not_in_selection"]
        text += (
            f"; {record['returned']} of the {record['selected']} selected cases are in the "
            f"returns, and {outside} audited case{'' if outside == 1 else 's'} "
            f"{'was' if outside == 1 else 'were'} not selected"
        )
    return [("Case selection", text)]


def _about(policy: Policy) -> list[str]:
    """The slides' closing "About these figures" points."""
    points = [
        _conventions(policy),
        "Percentages are of the cases where each measure was recorded, with 95% Wilson "
        "score intervals; 'not known' is counted and reported, never folded in.",
        f"National figures: {SOURCE_SHORT}, {NATIONAL_DENOMINATOR} serious incident "
        "notifications, compared like for like (Fisher's exact test, Holm-adjusted).",
        "Every figure, caveat and table is in the pack's web page and workbook.",
    ]
    if policy.public:
        points.append(
            "The board's draft action plan is its working paper, not part of a public pack."
        )
    return points


def _sheets(metrics: pd.DataFrame, sections: Sequence[Section]) -> list[Sheet]:
    from audit.contract import METRICS_COLUMNS

    columns = [c for c in METRICS_COLUMNS if c in metrics.columns]
    formats = {
        c: "count"
        for c in (
            "numerator",
            "denominator",
            "unknown",
            "national_numerator",
            "national_denominator",
        )
    }
    formats.update({c: "percent" for c in ("rate", "ci_low", "ci_high", "national_rate")})
    sheets = [
        Sheet(
            "Metrics",
            "Every measure (the published metrics.csv): rates as "
            "percentages, with 95% Wilson intervals",
            metrics[columns],
            formats,
        )
    ]
    for section in sections:
        tables = section.tables
        for i, table in enumerate(tables, start=1):
            name = table.sheet or (section.title if len(tables) == 1 else f"{section.title} {i}")
            sheets.append(Sheet(name, table.caption, table.frame, dict(table.formats)))
    return sheets


def write_pack(
    staging: Path,
    p: Protected,
    sections: Sequence[Section],
    *,
    pdf: bool = False,
) -> list[Path]:
    """Write the pack of the protected view ``p`` into ``staging``; returns the files.
    ``metrics.csv`` is the protected metrics table; a public pack also gets ``figures.csv``
    (every published figure, for ``audit check-disclosure``)."""
    from audit.metrics import write_metrics_csv
    from audit.render.html import render_pack

    policy = p.policy
    name = pack_name(policy)
    written: list[Path] = []
    buffer = io.StringIO()
    write_metrics_csv(p.metrics, buffer)
    (staging / "metrics.csv").write_text(buffer.getvalue(), encoding="utf-8", newline="")
    written.append(staging / "metrics.csv")

    charts = staging / "charts"
    charts.mkdir(exist_ok=True)
    for section in sections:
        for figure in section.figures:
            (charts / f"{figure.name}.png").write_bytes(figure.png)

    subtitle = (
        f"Quarterly audit against the national review 'The Myth of Invisible Men' · "
        f"{p.place} · {p.period_label}"
    )
    page = render_pack(
        sections,
        title=TITLE,
        subtitle=subtitle,
        marking=policy.marking,
        provenance=_provenance(p),
        conventions=_conventions(policy),
    )
    html_path = staging / f"{name}.html"
    html_path.write_text(page, encoding="utf-8", newline="")
    written.append(html_path)

    notes = [
        ("Title", f"{TITLE} Quarterly audit {name.replace('-', ' ')}"),
        *(("Summary", bullet) for bullet in summary_bullets(sections)),
        *_provenance(p),
        ("Conventions", _conventions(policy)),
        (
            "Metrics sheet",
            "The published metrics.csv: rates are fractions shown as "
            "percentages, with 95% Wilson score intervals; p_value is the "
            "two-sided Fisher exact test against the national counts, "
            "p_holm the same adjusted for the comparisons in this pack",
        ),
    ]
    written.append(
        write_workbook(
            staging / f"{name}.xlsx", _sheets(p.metrics, sections), notes, marking=policy.marking
        )
    )
    from audit.render.slides import write_slides

    written.append(
        write_slides(
            staging / f"{name}.pptx",
            sections,
            title=TITLE,
            subtitle="Quarterly audit against the national review 'The Myth of Invisible Men'",
            place=p.place,
            period=p.period_label,
            marking=policy.marking,
            source=p.extract_file,
            sha256=p.extract_sha256,
            about=_about(policy),
            provenance=_provenance(p),
        )
    )
    if p.public and p.publication is not None:
        from audit.disclosure.figures import FIGURES_FILE, figures_text
        from audit.files import atomic_write_text

        text = figures_text(p.publication, policy.max_count)
        written.append(atomic_write_text(staging / FIGURES_FILE, text))
    if pdf:
        from audit.render.pdf import write_pdf

        written.append(write_pdf(html_path, staging / f"{name}.pdf"))
    return written
