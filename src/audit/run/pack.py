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

from audit.disclosure import Policy, Protected
from audit.formatting import quarters_text
from audit.measures.national import NATIONAL_DENOMINATOR, SOURCE_SHORT
from audit.render.content import PackContent, RenderOptions
from audit.render.section import Section

__all__ = ["pack_name", "write_pack", "TITLE", "SUBTITLE"]

#: The pack's title, on its first page, slide and sheet.
TITLE = "Are services seeing the men around babies?"
#: The line under it (the page adds the place and period).
SUBTITLE = "Quarterly audit against the national review 'The Myth of Invisible Men'"


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


def _left_out(p: Protected) -> str:
    """The board's count of in-scope cases the audit leaves out, by reason (no rows)."""
    parts = []
    if other := p.extract.get("other_partnerships", 0):
        parts.append(f"{other:,} of other partnerships")
    if outside := p.extract.get("outside_period", 0):
        parts.append(f"{outside:,} dated outside {p.period}")
    return f" ({' and '.join(parts)} left out)" if parts else ""


def _provenance(p: Protected) -> list[tuple[str, str]]:
    from audit.run.manifest import package_versions

    cases = str(p.cases)
    rows = (
        f"{p.extract['rows_read']:,} rows read; {p.extract['in_scope']:,} babies under one in "
        f"scope; {cases} in this audit{_left_out(p)}"
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
        *_earlier(p),
        *_selection(p.selection, p.public),
        ("Produced by", f"audit {package_versions()['audit']}"),
    ]


def _earlier(p: Protected) -> list[tuple[str, str]]:
    """The "Earlier quarters" line of "About these figures": the quarters the trend charts
    show that were read from the history store, not from the source extract."""
    quarterly = p.quarterly
    shown = set() if quarterly.empty else {str(q) for q in quarterly["period"]}
    earlier = [q for q in p.history_quarters if q in shown]
    if not earlier:
        return []
    return [
        (
            "Earlier quarters",
            f"{quarters_text(earlier)}: in the quarter-by-quarter charts, read from the "
            "history store (the figures earlier runs recorded), not from the source extract",
        )
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


def _about(policy: Policy, withheld: int = 0) -> list[str]:
    """The slides' closing "About these figures" points; ``withheld``: how many measures
    a public pack leaves out (the page and workbook name them and say why)."""
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
    if policy.public and withheld:
        points.append(
            f"{withheld} measure{'s are' if withheld > 1 else ' is'} left out of this public "
            f"pack: {'their' if withheld > 1 else 'its'} figures would give away a small "
            "count (the page and workbook name them and say why)."
        )
    return points


def write_pack(
    staging: Path,
    p: Protected,
    sections: Sequence[Section],
    *,
    pdf: bool = False,
) -> list[Path]:
    """Write the pack of the protected view ``p`` into ``staging``; returns the files.
    ``metrics.csv`` is the protected metrics table; a public pack also gets ``figures.csv``
    (every published figure, for ``audit check-disclosure``); then every format of
    :data:`audit.render.formats.RENDERERS` renders the same :class:`PackContent`."""
    from audit.measures.metrics import write_metrics_csv
    from audit.render.formats import RENDERERS

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

    content = PackContent(
        name=name,
        title=TITLE,
        subtitle=SUBTITLE,
        place=p.place,
        period=p.period_label,
        marking=policy.marking,
        sections=tuple(sections),
        source=p.extract_file,
        sha256=p.extract_sha256,
        provenance=tuple(_provenance(p)),
        about=tuple(_about(policy, len(p.withheld))),
        conventions=_conventions(policy),
        metrics=p.metrics,
        public=p.public,
    )
    if p.public and p.publication is not None:
        from audit.disclosure.figures import FIGURES_FILE, figures_text
        from audit.files import atomic_write_text

        text = figures_text(p.publication, policy.max_count)
        written.append(atomic_write_text(staging / FIGURES_FILE, text))
    options = RenderOptions(pdf=pdf)
    for renderer in RENDERERS:  # the page, workbook, slides and (when asked) the PDF
        path = renderer.write(content, staging, options)
        if path is not None:
            written.append(path)
    return written
