"""The sections of a pack: one function each, and the registry that orders them.

Each section function takes the protected view (:class:`~audit.disclosure.Protected`, made by
:func:`audit.disclosure.protect`), which holds no row-level data and no unprotected table,
and returns a :class:`~audit.render.section.Section`; the action plan also takes the earlier
periods of the history store as an input. A notebook's board cell is one call::

    audit.sections.risk_factors(audit.protect(data, audience))

:data:`SECTIONS` is the one registry: key, title, reading order and the notebook that shows
the section. ``audit run`` builds the pack from it (:func:`build_sections`) and runs its
notebooks; nothing else lists sections. Adding a section is a function here and a row in
:data:`SECTIONS`; a section with a new table also needs that table's entry in
:data:`audit.disclosure.tables.TABLES` (CONTRIBUTING.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from audit.disclosure import Protected
from audit.render.section import Figure, Heading, Section, Table, Text
from audit.sections.action_plan import actions
from audit.sections.data_quality import data_quality
from audit.sections.engagement import engagement
from audit.sections.partnerships import partnerships
from audit.sections.risk_factors import risk_factors
from audit.sections.services import services
from audit.sections.summary import summary
from audit.sections.trends import trends

__all__ = [
    "SectionSpec",
    "SECTIONS",
    "NOTEBOOKS",
    "build_sections",
    "Section",
    "Text",
    "Heading",
    "Figure",
    "Table",
    "summary",
    "risk_factors",
    "engagement",
    "services",
    "trends",
    "partnerships",
    "data_quality",
    "actions",
]


@dataclass(frozen=True)
class SectionSpec:
    """One section of the pack: its key, title, notebook, the function that builds it from
    the protected view, the audiences whose packs hold it, and whether it also takes the
    history store's earlier periods."""

    key: str
    title: str
    notebook: str
    build: Callable[..., Section]
    audiences: tuple[str, ...] = ("board", "public")
    history: bool = False


#: Every section, in reading order.
SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("summary", "Summary for the board", "board_summary", summary),
    SectionSpec("risk-factors", "Risk factors", "risk_factors", risk_factors),
    SectionSpec("engagement", "Father engagement", "father_engagement", engagement),
    SectionSpec(
        "services", "Service contact and information sharing", "services_and_sharing", services
    ),
    SectionSpec("trends", "Quarter by quarter", "trends", trends),
    SectionSpec("partnerships", "Partnerships compared", "partnerships", partnerships),
    SectionSpec("data-quality", "Data quality", "data_quality", data_quality),
    # Last: the plan follows from every finding above; a board paper closes on its actions.
    # The board's working paper only (audit.sections.actions).
    SectionSpec(
        "actions",
        "Draft actions for the board",
        "actions",
        actions,
        audiences=("board",),
        history=True,
    ),
)

#: The notebooks ``audit run`` executes, one a section, in reading order.
NOTEBOOKS: tuple[str, ...] = tuple(spec.notebook for spec in SECTIONS)


def build_sections(view: Protected, history: pd.DataFrame | None = None) -> list[Section]:
    """Every section of the pack for the view's audience, in reading order; ``history``
    (earlier periods of the history store) goes to the sections that take it."""
    audience = view.policy.audience.value
    return [
        spec.build(view, history) if spec.history else spec.build(view)
        for spec in SECTIONS
        if audience in spec.audiences
    ]
