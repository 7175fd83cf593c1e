"""Who a pack is for, and the thresholds and marking that follow from it.

Three audiences read the suite's figures (``docs/methodology.md``, "Disclosure control"):

* the **analyst** — working notebooks, ``audit validate``/``metrics``/``history`` and the
  history store: every figure, small counts and row numbers included (no policy applies);
* the **board** (``audit run``'s default) — the partnership board's own papers: every
  aggregate figure, never row-level data, with a protective marking on every page, sheet
  and slide;
* the **public** — anything published: counts from 1 to ``max_count`` hidden as ``c`` with
  complementary suppression proven by an attack (:mod:`audit.disclosure.attack`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from audit.errors import ParameterError

__all__ = [
    "Audience",
    "Policy",
    "DEFAULT_MAX_COUNT",
    "BOARD_MARKING",
    "PUBLIC_MARKING",
]

#: Counts from 1 to this, inclusive, are hidden in a public pack: the Department for
#: Education's convention in its children in need statistics.
DEFAULT_MAX_COUNT = 5
#: The board pack's default protective marking (``--marking`` changes it).
BOARD_MARKING = "OFFICIAL-SENSITIVE — for the partnership board, not for publication"
#: The public pack's default marking: published information is OFFICIAL.
PUBLIC_MARKING = "OFFICIAL — published with small numbers suppressed"


class Audience(StrEnum):
    """Who a pack is written for."""

    BOARD = "board"
    PUBLIC = "public"

    @classmethod
    def parse(cls, value: object) -> Audience:
        """``"board"``/``"public"`` (any case) or an ``Audience``; else a ParameterError."""
        if isinstance(value, Audience):
            return value
        text = str(value).strip().lower()
        for audience in cls:
            if audience.value == text:
                return audience
        raise ParameterError(f"audience must be 'board' or 'public', not '{str(value)[:40]}'")


@dataclass(frozen=True)
class Policy:
    """The disclosure settings of one pack: audience, threshold and protective marking."""

    audience: Audience = Audience.BOARD
    max_count: int = DEFAULT_MAX_COUNT
    marking: str = BOARD_MARKING

    @classmethod
    def make(
        cls, audience: object = Audience.BOARD, max_count: object = None, marking: str | None = None
    ) -> Policy:
        """A checked policy; defaults follow the audience (threshold 5; its marking)."""
        aud = Audience.parse(audience)
        k = DEFAULT_MAX_COUNT if max_count is None else max_count
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ParameterError(
                f"the small-number threshold must be a whole number of 1 or "
                f"more, not '{str(k)[:20]}'"
            )
        if marking is None:
            marking = BOARD_MARKING if aud is Audience.BOARD else PUBLIC_MARKING
        marking = " ".join(str(marking).split())
        if not marking or len(marking) > 120:
            raise ParameterError("the protective marking must be 1 to 120 characters")
        return cls(audience=aud, max_count=int(k), marking=marking)

    @property
    def public(self) -> bool:
        """True when small counts must be hidden."""
        return self.audience is Audience.PUBLIC
