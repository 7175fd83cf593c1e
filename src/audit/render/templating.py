"""The one Jinja2 environment of the HTML a pack holds: the page and each section.

Both the page (``templates/board-pack.html.j2``, :func:`audit.render.html.render_pack`) and
a section on its own (``templates/section.html.j2``, :func:`audit.render.section.render_section`,
how a notebook displays it) are rendered here, so the markup of a section is written once,
in a template. Every piece of text is escaped: text from an extract is data, never markup.
The ``h`` filter escapes as :func:`html.escape` does (quotes too); ``inline`` escapes, then
allows ``**bold**`` only.
"""

from __future__ import annotations

import html
import re
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jinja2 import Environment
    from markupsafe import Markup

__all__ = ["environment", "escaped", "inline"]


def escaped(text: object) -> Markup:
    """``text`` escaped as :func:`html.escape` does (``&``, ``<``, ``>`` and both quotes)."""
    from markupsafe import Markup

    return Markup(html.escape(str(text)))


def inline(text: object) -> Markup:
    """Prose escaped first, then ``**bold**`` as ``<strong>``: the only markup prose has."""
    from markupsafe import Markup

    return Markup(re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html.escape(str(text))))


@cache
def environment() -> Environment:
    """The package's templates (``audit/templates``), autoescaped, with ``h`` and ``inline``."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("audit", "templates"), autoescape=select_autoescape(["html", "j2"])
    )
    env.filters["h"] = escaped
    env.filters["inline"] = inline
    return env
