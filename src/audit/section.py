"""A section of a pack: prose, headings, charts and tables, in reading order.

A :class:`Section` is what a section function (:mod:`audit.sections`) returns and what every
renderer takes: the HTML page and its PDF, the workbook, the slides. It holds finished
content only — chart images as PNG bytes with their title, alt text and caption; tables as
published values (numbers as numbers, ``c`` and ``:`` as text) with the format of each
column — so rendering never computes a figure, and a notebook shows it by displaying it.

A section renders itself as HTML (:func:`render_section`: how a notebook displays it and
how the pack's page holds it), every piece of text escaped: text from an extract is data,
never markup.

A table with a column that only case-level data carries (``case_id``, ``row``, a date or an
age) is refused: packs hold aggregates only.
"""

from __future__ import annotations

import base64
import html
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
    "render_section",
    "summary_bullets",
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


def _paragraphs(text: str) -> str:
    parts = []
    for para in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in para.strip().splitlines() if ln.strip()]
        if not lines:
            continue
        if all(ln.startswith("- ") for ln in lines):
            parts.append("<ul>" + "".join(f"<li>{_inline(ln[2:])}</li>" for ln in lines) + "</ul>")
        else:
            parts.append(f"<p>{_inline(' '.join(lines))}</p>")
    return "\n".join(parts)


def _inline(text: str) -> str:
    # Escape first, then allow **bold** only.
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html.escape(text))


def _render_table(table: Table, table_id: str) -> str:
    """Caption, column headers, row headers; figures right-aligned. Wrapped in a focusable,
    labelled region so a keyboard user can scroll a wide table (WCAG 2.1.1, 1.4.10)."""
    columns = [str(c) for c in table.frame.columns]
    rows = table.rows_text()
    numeric = [i > 0 and table.formats.get(c, "text") != "text" for i, c in enumerate(columns)]
    num = ' class="num"'
    head = "".join(
        f'<th scope="col"{num if numeric[i] else ""}>{html.escape(c)}</th>'
        for i, c in enumerate(columns)
    )
    body = []
    for row in rows:
        cells = [f'<th scope="row">{html.escape(row[0])}</th>'] + [
            f"<td{num if numeric[i] else ''}>{html.escape(v)}</td>"
            for i, v in enumerate(row[1:], start=1)
        ]
        body.append("<tr>" + "".join(cells) + "</tr>")
    size = " short" if len(rows) <= _SHORT_TABLE_ROWS else ""
    caption = html.escape(table.caption)
    return (
        f'<div class="table-wrap{size}" tabindex="0" role="region" '
        f'aria-label="{html.escape(table.caption, quote=True)}"><table id="{table_id}">'
        f"<caption>{caption}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _render_figure(figure: Figure, level: int) -> str:
    # The title is the figure's heading, so it never prints apart from its chart. The image
    # already shows the title and caption, so their text versions are for screen readers
    # and search only (visually hidden, not display:none).
    src = "data:image/png;base64," + base64.b64encode(figure.png).decode("ascii")
    return (
        '<figure class="chart">'
        f'<h{level} class="chart-title visually-hidden">{html.escape(figure.title)}</h{level}>'
        f'<img src="{src}" alt="{html.escape(figure.alt, quote=True)}">'
        f'<figcaption class="visually-hidden">{html.escape(figure.caption)}</figcaption>'
        "</figure>"
    )


def render_section(section: Section, *, level: int = 2) -> str:
    """One section (:class:`audit.section.Section`) as an HTML ``<section>``, also
    how a notebook displays it. Blocks are told apart by their ``kind``, so this module needs
    nothing from the sections package (which calls it to display itself)."""
    key = html.escape(section.key)
    sub = level + 1
    out = [
        f'<section id="{key}" aria-labelledby="{key}-title">',
        f'<h{level} id="{key}-title">{html.escape(section.title)}</h{level}>',
    ]
    tables = 0
    for block in section.blocks:
        if isinstance(block, Text):
            out.append(_paragraphs(block.text))
        elif isinstance(block, Heading):
            out.append(f"<h{sub}>{html.escape(block.text)}</h{sub}>")
        elif isinstance(block, Figure):
            out.append(_render_figure(block, sub))
        elif isinstance(block, Table):
            tables += 1
            out.append(_render_table(block, f"{key}-table-{tables}"))
        else:  # pragma: no cover - Section only holds these blocks
            raise ReportError(f"unknown block {type(block).__name__} in section {section.key}")
    out.append("</section>")
    return "\n".join(out)


def summary_bullets(sections: Sequence[Section]) -> list[str]:
    """The headline of the pack: the ``- `` lines of the summary section's first prose
    block, without markup. The page, the slides and the workbook's Notes all show these
    same sentences (:mod:`audit.claims` composes them once)."""
    for section in sections:
        if section.key != "summary":
            continue
        for block in section.blocks:
            if isinstance(block, Text):
                return [
                    re.sub(r"\*\*(.+?)\*\*", r"\1", line[2:]).strip()
                    for line in block.text.splitlines()
                    if line.startswith("- ")
                ]
    return []
