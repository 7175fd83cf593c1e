"""The sections of a pack: one function each, and the registry that orders them.

Each section function takes the audit (:class:`~audit.workspace.AuditData`) and a
disclosure policy (:class:`~audit.disclosure.Policy`, or just ``"board"``/``"public"``),
renders only from :func:`audit.disclosure.protect`'s tables, and returns a
:class:`~audit.section.Section`. A notebook's board cell is one call::

    audit.sections.risk_factors(data, "board")

:data:`SECTIONS` is the one registry: key, title, reading order and the notebook that shows
the section. ``audit run`` builds the pack from it (:func:`build_sections`) and runs its
notebooks; nothing else lists sections. Adding a section is a function here and a row in
:data:`SECTIONS` (CONTRIBUTING.md).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from audit.disclosure import Policy
from audit.section import Figure, Heading, Section, Table, Text
from audit.sections import actions as _actions
from audit.sections import data_quality as _data_quality
from audit.sections import engagement as _engagement
from audit.sections import partnerships as _partnerships
from audit.sections import risk_factors as _risk_factors
from audit.sections import services as _services
from audit.sections import summary as _summary
from audit.sections import trends as _trends
from audit.workspace import AuditData

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


SectionBuilder = Callable[[AuditData, "Policy | str"], Section]


def drawn_once(build: SectionBuilder) -> SectionBuilder:
    """The section ``build`` makes, made once per audit and policy and then reused.

    ``audit run`` builds every section (drawing each chart once), saves them with the audit
    it computed, and its notebooks' board cells then show those same objects instead of
    drawing the charts again (:meth:`audit.workspace.AuditData.save`).
    """

    @functools.wraps(build)
    def section(data: AuditData, policy: Policy | str = "board") -> Section:
        policy = policy if isinstance(policy, Policy) else Policy.make(policy)
        key = (build.__name__, policy.audience.value, policy.max_count, policy.marking)
        made = data._sections.get(key)
        if made is None:
            made = data._sections[key] = build(data, policy)
        return made

    return section


summary = drawn_once(_summary.summary)
risk_factors = drawn_once(_risk_factors.risk_factors)
engagement = drawn_once(_engagement.engagement)
services = drawn_once(_services.services)
trends = drawn_once(_trends.trends)
partnerships = drawn_once(_partnerships.partnerships)
data_quality = drawn_once(_data_quality.data_quality)
actions = drawn_once(_actions.actions)


@dataclass(frozen=True)
class SectionSpec:
    """One section of the pack: its key, title, notebook, the function that builds it and
    the audiences whose packs hold it."""

    key: str
    title: str
    notebook: str
    build: Callable[[AuditData, Policy], Section]
    audiences: tuple[str, ...] = ("board", "public")


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
    SectionSpec("actions", "Draft actions for the board", "actions", actions, audiences=("board",)),
)

#: The notebooks ``audit run`` executes, one a section, in reading order.
NOTEBOOKS: tuple[str, ...] = tuple(spec.notebook for spec in SECTIONS)


def build_sections(data: AuditData, policy: Policy | str = "board") -> list[Section]:
    """Every section of the pack for ``policy``'s audience, in reading order."""
    policy = policy if isinstance(policy, Policy) else Policy.make(policy)
    return [
        spec.build(data, policy) for spec in SECTIONS if policy.audience.value in spec.audiences
    ]
