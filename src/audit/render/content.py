"""What every renderer of a pack takes (:class:`PackContent`, :class:`RenderOptions`) and
the one small interface they share (:class:`Renderer`).

A renderer draws finished content: the sections :mod:`audit.sections` built from the
protected tables, the protected metrics table and the pack's words (title, marking,
provenance). It computes no figure and reads nothing upstream. A new format is one module
with one class that has a ``write`` method, listed in :data:`audit.render.formats.RENDERERS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

import pandas as pd

from audit.render.archive import FIXED_TIMESTAMP
from audit.render.section import Section

__all__ = ["PackContent", "RenderOptions", "Renderer"]


@dataclass(frozen=True)
class PackContent:
    """The pack as every format shows it.

    ``name`` is the stem of every file (``board-pack``); ``subtitle`` the line under the
    title (the page adds the place and period to it); ``place`` and ``period`` name the
    partnership(s) and the period covered; ``source`` and ``sha256`` the extract;
    ``provenance`` (item, detail) pairs for "About these figures"; ``about`` the closing
    slide's short points; ``conventions`` how to read the numbers; ``metrics`` the
    protected metrics table (the workbook's first sheet); ``public`` for a public pack.
    """

    name: str
    title: str
    subtitle: str
    place: str
    period: str
    marking: str
    sections: Sequence[Section]
    source: str = ""
    sha256: str = ""
    provenance: Sequence[tuple[str, str]] = ()
    about: Sequence[str] = ()
    conventions: str = ""
    metrics: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: A public pack (its headline slide is not "what the board needs to know").
    public: bool = False

    @property
    def page_subtitle(self) -> str:
        """The page's subtitle: the subtitle, the place and the period."""
        return f"{self.subtitle} · {self.place} · {self.period}"


@dataclass(frozen=True)
class RenderOptions:
    """How to render: ``pdf`` asks for the PDF too (printed from the page); ``timestamp`` is
    every Office document's created and modified time (fixed, so the bytes are too)."""

    pdf: bool = False
    timestamp: datetime = FIXED_TIMESTAMP


class Renderer(Protocol):
    """One output format of a pack."""

    #: What the format is, for messages (``"slides"``).
    label: str

    def write(self, content: PackContent, folder: Path, options: RenderOptions) -> Path | None:
        """Write the format's file into ``folder`` and return it (``None``: not asked for)."""
        ...
