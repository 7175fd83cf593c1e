"""The pack as one self-contained, accessible HTML page (and the sections notebooks show).

The page is rendered with a Jinja2 template rather than by converting the notebooks with
nbconvert: the notebooks are analyst copies with every figure, and nbconvert's templates do
not give the control over headings, landmarks and contrast that the accessibility duty
needs (WCAG 2.2 AA: language set, headings in order, tables with captions and header cells,
alt text on every image, a protective marking on every page). Every piece of text is
escaped: text from an extract (a partnership's name) is data, never markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from audit.errors import ReportError
from audit.render.content import PackContent, RenderOptions
from audit.render.section import render_section, section_view

__all__ = ["HtmlPage", "render_pack", "render_section", "css_string"]


def css_string(text: str) -> str:
    """``text`` escaped for a CSS string: every character but ASCII letters and digits as a
    six-digit hex escape, so a marking can hold quotes, backslashes or ``</style>`` safely.
    Spaces are escaped too: CSS takes a space after a hex escape as its end, so "— for"
    written as an escape and a space would lose the space."""
    return "".join(ch if ch.isascii() and ch.isalnum() else f"\\{ord(ch):06x}" for ch in text)


def render_pack(
    sections: Sequence[Any],
    *,
    title: str,
    subtitle: str,
    marking: str,
    provenance: Sequence[tuple[str, str]],
    conventions: str,
) -> str:
    """One self-contained HTML page: marking, contents, sections, provenance; images inline.
    Each section is drawn by ``templates/section.html.j2``, which the page includes."""
    from markupsafe import Markup

    from audit.render.templating import environment

    if not sections:
        raise ReportError("no pack sections were produced")
    return (
        environment()
        .get_template("board-pack.html.j2")
        .render(
            title=title,
            subtitle=subtitle,
            marking=marking,
            marking_css=Markup(css_string(marking)),
            contents=[(s.key, s.title) for s in sections],
            sections=[section_view(s) for s in sections],
            provenance=provenance,
            conventions=conventions,
        )
    )


class HtmlPage:
    """The pack's page, ``<name>.html`` (:func:`render_pack`)."""

    label = "page"

    def write(self, content: PackContent, folder: Path, options: RenderOptions) -> Path:
        """Write the page into ``folder`` and return its path."""
        page = render_pack(
            content.sections,
            title=content.title,
            subtitle=content.page_subtitle,
            marking=content.marking,
            provenance=content.provenance,
            conventions=content.conventions,
        )
        path = folder / f"{content.name}.html"
        path.write_text(page, encoding="utf-8", newline="")
        return path
