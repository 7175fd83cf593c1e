"""A section of a pack: prose, headings, charts and tables, in reading order.

A :class:`Section` is what a section function (:mod:`audit.sections`) returns and what every
renderer takes: the HTML page and its PDF, the workbook, the slides. It holds finished
content only — chart images as PNG bytes with their title, alt text and caption; tables as
published values (numbers as numbers, ``c`` and ``:`` as text) with the format of each
column — so rendering never computes a figure, and a notebook shows it by displaying it.

A section renders itself as HTML (:func:`render_section`, through the template the pack's
page includes, ``templates/section.html.j2``: how a notebook displays it), every piece of
text escaped: text from an extract is data, never markup.

A table with a column that only case-level data carries (``case_id``, ``row``, a date or an
age) is refused: packs hold aggregates only.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from audit.contract import normalise_column_name
from audit.errors import ReportError

__all__ = [
    "ROW_LEVEL_COLUMNS",
    "Text",
    "Heading",
    "Figure",
    "Table",
    "Section",
    "Block",
    "section_view",
    "render_section",
    "summary_bullets",
    "caveat_bullets",
]

#: Columns only a case-level table carries; a section table with one is refused.
ROW_LEVEL_COLUMNS: frozenset[str] = frozenset(
    {"case_id", "row", "notification_date", "child_age_months", "father_age_at_birth"}
)

Format = Literal["count", "percent", "text"]


@dataclass(frozen=True)
class Text:
    """Prose: paragraphs separated by blank lines; lines starting ``- `` make a list;
    ``**bold**`` is the only markup."""

    text: str
    kind = "text"


@dataclass(frozen=True)
class Heading:
    """A sub-heading, one level below the section's title."""

    text: str
    kind = "heading"


@dataclass(frozen=True)
class Figure:
    """A finished chart: PNG bytes, the active title, alt text and caption."""

    name: str
    png: bytes
    title: str
    alt: str
    caption: str
    kind = "figure"


@dataclass(frozen=True)
class Table:
    """A published table: values as published (numbers; ``c``, ``:`` or words as text) and
    how each column is written (``count``, ``percent`` — a fraction 0-1 — or ``text``)."""

    caption: str
    frame: pd.DataFrame
    formats: Mapping[str, Format]
    sheet: str | None = None
    kind = "table"

    def cell_text(self, column: str, value: Any) -> str:
        """A cell as the HTML page and the slides print it."""
        from audit.formatting import format_count, format_percent

        kind = self.formats.get(column, "text")
        if kind == "count":
            return format_count(value)
        if kind == "percent":
            return format_percent(value)
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return ":"
        return str(value)

    def rows_text(self) -> list[list[str]]:
        """Every row as printed text."""
        columns = [str(c) for c in self.frame.columns]
        return [
            [self.cell_text(c, v) for c, v in zip(columns, row, strict=True)]
            for row in self.frame.itertuples(index=False, name=None)
        ]


Block = Text | Heading | Figure | Table


@dataclass
class Section:
    """One section of a pack: a key (``risk-factors``), a title and its blocks in order."""

    key: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    #: The slides show this section's prose on a slide of its own even when it has no chart
    #: and no table for the room (the draft actions: its prose says why there is none).
    always_slide: bool = False

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9-]+", self.key):
            raise ReportError(
                f"section key {self.key!r} must be lower-case letters, digits and '-'"
            )

    def text(self, text: str) -> Section:
        """Add prose (paragraphs; ``- `` lines make a list)."""
        if text.strip():
            self.blocks.append(Text(text.strip()))
        return self

    def heading(self, text: str) -> Section:
        """Add a sub-heading."""
        self.blocks.append(Heading(text.strip()))
        return self

    def chart(self, chart: Any) -> Section:
        """Add a chart (:class:`audit.charts.Chart`): drawn to PNG once, then let go."""
        png = chart.png_bytes()
        self.blocks.append(Figure(chart.name, png, chart.title, chart.alt_text, chart.caption))
        chart.close()
        return self

    def table(
        self,
        frame: pd.DataFrame,
        caption: str,
        *,
        counts: Sequence[str] = (),
        percents: Sequence[str] = (),
        sheet: str | None = None,
    ) -> Section:
        """Add a table; ``counts`` and ``percents`` name the columns written as such. A table
        with no rows is left out."""
        names = {normalise_column_name(str(c)) for c in frame.columns}
        names.add(normalise_column_name(str(frame.index.name or "")))
        bad = ROW_LEVEL_COLUMNS & names
        if bad:
            raise ReportError(
                f"table '{caption}' has row-level column(s) {sorted(bad)}: "
                "packs carry aggregates only"
            )
        if frame.empty:
            return self  # nothing to show (a public pack left every row out): no table
        formats: dict[str, Format] = {str(c): "text" for c in frame.columns}
        formats.update({c: "count" for c in counts})
        formats.update({c: "percent" for c in percents})
        unknown = set(formats) - {str(c) for c in frame.columns}
        if unknown:
            raise ReportError(f"table '{caption}' has no column(s) {sorted(unknown)}")
        self.blocks.append(Table(caption, frame.reset_index(drop=True), formats, sheet))
        return self

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    @property
    def figures(self) -> list[Figure]:
        return [b for b in self.blocks if isinstance(b, Figure)]

    def _repr_html_(self) -> str:
        return render_section(self, level=2)


# --------------------------------------------------------------------------- as HTML


#: Tables with at most this many body rows are kept on one printed page.
_SHORT_TABLE_ROWS = 15


def _paragraphs(text: str) -> list[dict[str, Any]]:
    """Prose as paragraphs: blank lines part them; a paragraph of ``- `` lines is a list."""
    parts: list[dict[str, Any]] = []
    for para in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in para.strip().splitlines() if ln.strip()]
        if not lines:
            continue
        if all(ln.startswith("- ") for ln in lines):
            parts.append({"list": True, "lines": [ln[2:] for ln in lines]})
        else:
            parts.append({"list": False, "text": " ".join(lines)})
    return parts


def _table_view(table: Table, table_id: str) -> dict[str, Any]:
    """Caption, column headers, row headers; figures right-aligned (``numeric``). The page
    wraps it in a focusable, labelled region so a keyboard user can scroll a wide table
    (WCAG 2.1.1, 1.4.10); a short table is kept on one printed page."""
    columns = [str(c) for c in table.frame.columns]
    rows = table.rows_text()
    return {
        "kind": "table",
        "id": table_id,
        "caption": table.caption,
        "columns": columns,
        "numeric": [
            i > 0 and table.formats.get(c, "text") != "text" for i, c in enumerate(columns)
        ],
        "rows": rows,
        "short": len(rows) <= _SHORT_TABLE_ROWS,
    }


def _figure_view(figure: Figure) -> dict[str, Any]:
    """The title is the figure's heading, so it never prints apart from its chart. The image
    already shows the title and caption, so their text versions are for screen readers and
    search only (visually hidden, not display:none)."""
    src = "data:image/png;base64," + base64.b64encode(figure.png).decode("ascii")
    return {
        "kind": "figure",
        "title": figure.title,
        "alt": figure.alt,
        "caption": figure.caption,
        "src": src,
    }


def section_view(section: Section, *, level: int = 2) -> dict[str, Any]:
    """What ``templates/section.html.j2`` draws of a section: its key, title, heading level
    and its blocks in order, each a mapping with a ``kind``."""
    blocks: list[dict[str, Any]] = []
    tables = 0
    for block in section.blocks:
        if isinstance(block, Text):
            blocks.append({"kind": "text", "paragraphs": _paragraphs(block.text)})
        elif isinstance(block, Heading):
            blocks.append({"kind": "heading", "text": block.text})
        elif isinstance(block, Figure):
            blocks.append(_figure_view(block))
        elif isinstance(block, Table):
            tables += 1
            blocks.append(_table_view(block, f"{section.key}-table-{tables}"))
        else:  # pragma: no cover - Section only holds these blocks
            raise ReportError(f"unknown block {type(block).__name__} in section {section.key}")
    return {"key": section.key, "title": section.title, "level": level, "blocks": blocks}


def render_section(section: Section, *, level: int = 2) -> str:
    """One section as an HTML ``<section>`` (``templates/section.html.j2``, the template the
    page includes for each section), also how a notebook displays it."""
    from audit.render.templating import environment

    return (
        environment().get_template("section.html.j2").render(s=section_view(section, level=level))
    )


def summary_bullets(sections: Sequence[Section]) -> list[str]:
    """The headline of the pack: the ``- `` lines of the summary section's first prose
    block, without markup. The page, the slides and the workbook's Notes all show these
    same sentences (:mod:`audit.claims` composes them once)."""
    for section in sections:
        if section.key != "summary":
            continue
        for block in section.blocks:
            if isinstance(block, Text):
                return _bullets(block)
    return []


def caveat_bullets(sections: Sequence[Section]) -> list[str]:
    """What to read the figures with: the ``- `` lines of the summary's prose after its
    last sub-heading ("Read these figures with": synthetic data, small numbers, measures
    left out of a public pack), without markup, for the workbook's Notes."""
    for section in sections:
        if section.key != "summary":
            continue
        last = max(
            (i for i, b in enumerate(section.blocks) if isinstance(b, Heading)), default=None
        )
        if last is None:
            return []
        return [
            line for b in section.blocks[last + 1 :] if isinstance(b, Text) for line in _bullets(b)
        ]
    return []


def _bullets(block: Text) -> list[str]:
    return [
        re.sub(r"\*\*(.+?)\*\*", r"\1", line[2:]).strip()
        for line in block.text.splitlines()
        if line.startswith("- ")
    ]
