"""Every format a pack is written in, in the order they are written (the PDF is printed
from the page, so it comes after it). A new format is one module and one entry here."""

from __future__ import annotations

from audit.render.content import Renderer
from audit.render.html import HtmlPage
from audit.render.pdf import PdfFile
from audit.render.slides import SlideDeck
from audit.render.workbook import WorkbookFile

__all__ = ["RENDERERS"]

RENDERERS: tuple[Renderer, ...] = (HtmlPage(), WorkbookFile(), SlideDeck(), PdfFile())
