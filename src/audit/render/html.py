"""The pack as one self-contained, accessible HTML page (and the sections notebooks show).

The page is rendered with a Jinja2 template rather than by converting the notebooks with
nbconvert: the notebooks are analyst copies with every figure, and nbconvert's templates do
not give the control over headings, landmarks and contrast that the accessibility duty
needs (WCAG 2.2 AA: language set, headings in order, tables with captions and header cells,
alt text on every image, a protective marking on every page). Every piece of text is
escaped: text from an extract (a partnership's name) is data, never markup.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from typing import Any

from audit.errors import ReportError

__all__ = ["render_section", "render_pack", "css_string"]

#: Tables with at most this many body rows are kept on one printed page.
_SHORT_TABLE_ROWS = 15


def css_string(text: str) -> str:
    """``text`` escaped for a CSS string: every character but ASCII letters and digits as a
    six-digit hex escape, so a marking can hold quotes, backslashes or ``</style>`` safely.
    Spaces are escaped too: CSS takes a space after a hex escape as its end, so "— for"
    written as an escape and a space would lose the space."""
    return "".join(ch if ch.isascii() and ch.isalnum() else f"\\{ord(ch):06x}" for ch in text)


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


def _render_table(table: Any, table_id: str) -> str:
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


def _render_figure(figure: Any, level: int) -> str:
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


def render_section(section: Any, *, level: int = 2) -> str:
    """One section (:class:`audit.sections.section.Section`) as an HTML ``<section>``, also
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
        if block.kind == "text":
            out.append(_paragraphs(block.text))
        elif block.kind == "heading":
            out.append(f"<h{sub}>{html.escape(block.text)}</h{sub}>")
        elif block.kind == "figure":
            out.append(_render_figure(block, sub))
        elif block.kind == "table":
            tables += 1
            out.append(_render_table(block, f"{key}-table-{tables}"))
        else:  # pragma: no cover - Section only holds these blocks
            raise ReportError(f"unknown block {type(block).__name__} in section {section.key}")
    out.append("</section>")
    return "\n".join(out)


def render_pack(
    sections: Sequence[Any],
    *,
    title: str,
    subtitle: str,
    marking: str,
    provenance: Sequence[tuple[str, str]],
    conventions: str,
) -> str:
    """One self-contained HTML page: marking, contents, sections, provenance; images inline."""
    from jinja2 import Environment, PackageLoader, select_autoescape
    from markupsafe import Markup

    if not sections:
        raise ReportError("no pack sections were produced")
    env = Environment(
        loader=PackageLoader("audit", "templates"), autoescape=select_autoescape(["html", "j2"])
    )
    return env.get_template("board-pack.html.j2").render(
        title=title,
        subtitle=subtitle,
        marking=marking,
        marking_css=Markup(css_string(marking)),
        contents=[(s.key, s.title) for s in sections],
        sections=[Markup(render_section(s)) for s in sections],
        provenance=provenance,
        conventions=conventions,
    )
