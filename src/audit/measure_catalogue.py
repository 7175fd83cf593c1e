"""The measures of the contract, one record each: adding a measure is one :class:`Measure`.

A measure is a yes / no / unknown column of the case extract. Its record holds everything
the suite says about it — the column, its family (risk factor, engagement step, information
sharing), the label charts and tables show, the audit form's header and question, the
practice message(s) a shortfall points to, and whether it is a step of the engagement
funnel — so nothing about one measure is kept in two places. :mod:`audit.contract` derives
its flag tuples, labels and questions from :data:`MEASURES`; :mod:`audit.claims.actions` derives
``MEASURE_MESSAGES``; the form, validation, metrics, sections and claims read those.

This module imports nothing of the package, so every other module can read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Family",
    "FAMILIES",
    "Measure",
    "MEASURES",
    "FLAG_ANSWERS",
    "MAX_HEADER",
    "MAX_QUESTION",
]

#: The groups a measure belongs to, in the order the metrics table lists them.
Family = Literal["risk", "engagement", "sharing"]
FAMILIES: tuple[Family, ...] = ("risk", "engagement", "sharing")

#: A measure's answers (flag level -> readable label), in the order of the form's drop-down.
FLAG_ANSWERS: dict[str, str] = {"yes": "Yes", "no": "No", "unknown": "Not known"}


@dataclass(frozen=True)
class Measure:
    """One yes / no / unknown measure of the contract.

    ``label`` is the metric's label (charts, tables, the form accepts it as a header);
    ``header`` the audit form's short column header (at most 32 characters, a prompt
    title); ``question`` the form's input message (at most 255 characters); ``messages``
    the ids of :data:`audit.claims.actions.PRACTICE_MESSAGES` a shortfall points to; ``step``
    whether it is a step of the engagement funnel (steps are listed in practice order);
    ``aliases`` other headers accepted as they stand; ``shorthand`` local abbreviations
    tried for a "did you mean" suggestion only.
    """

    column: str
    family: Family
    label: str
    header: str
    question: str
    messages: tuple[str, ...] = ()
    step: bool = False
    aliases: tuple[str, ...] = ()
    shorthand: tuple[str, ...] = ()

    @property
    def metric(self) -> str:
        """The stable metric id (``father_seen`` -> ``engagement.seen``): add, never rename."""
        if self.family == "engagement":
            return "engagement." + self.column.removeprefix("father_")
        return f"{self.family}.{self.column}"

    @property
    def answers(self) -> dict[str, str]:
        """The answers the form offers and validation accepts: :data:`FLAG_ANSWERS`."""
        return dict(FLAG_ANSWERS)


#: Every measure, by family (risk factors from the national review's findings, the
#: briefing's father-engagement questions, information sharing); within a family in the
#: order tables list them. Engagement steps (``step=True``) are in practice order.
MEASURES: tuple[Measure, ...] = (
    Measure(
        "domestic_abuse",
        "risk",
        label="Domestic abuse",
        header="Domestic abuse",
        question="Did domestic abuse feature in the case?",
        messages=("know_history", "link_adult_services"),
        shorthand=("DA", "DV", "DVA", "Domestic abuse or violence", "DA in household"),
    ),
    Measure(
        "father_mental_ill_health",
        "risk",
        label="Father's mental ill health",
        header="Father's mental ill health",
        question=(
            "Did the father or male carer have mental ill health, including low self-esteem "
            "or other emotional-health difficulties?"
        ),
        messages=("know_history", "link_adult_services"),
        shorthand=("Dad MH", "Male carer MH", "Paternal mental health"),
    ),
    Measure(
        "young_parent",
        "risk",
        label="Young parent",
        header="Young parent",
        question=(
            "Did he become a parent young (as your partnership defines it, including young "
            "care leavers)?"
        ),
        messages=("know_history",),
        shorthand=("Young dad", "Young father", "Teenage dad", "Teen father"),
    ),
    Measure(
        "care_leaver",
        "risk",
        label="Care leaver",
        header="Care leaver",
        question="Is he a care leaver?",
        messages=("know_history",),
        shorthand=("Care experienced", "Dad care experienced", "Looked after as a child"),
    ),
    Measure(
        "substance_misuse",
        "risk",
        label="Substance misuse",
        header="Substance misuse",
        question="Did he misuse drugs or alcohol?",
        messages=("know_history", "link_adult_services"),
        aliases=("Substance abuse", "Drug or alcohol misuse"),
        shorthand=("Drugs", "Alcohol", "Drugs or alcohol", "Substance use"),
    ),
    Measure(
        "childhood_adversity",
        "risk",
        label="Adverse childhood of his own",
        header="Adverse childhood",
        question=("Were his own parents abusive, neglectful or inconsistent when he was a child?"),
        messages=("know_history",),
        shorthand=("ACEs", "Dad ACEs", "Adverse childhood experiences"),
    ),
    Measure(
        "impulsivity",
        "risk",
        label="Impulsivity",
        header="Impulsivity",
        question=("Is there a history of impulsive behaviour or a low frustration threshold?"),
        shorthand=("Low frustration tolerance", "Poor impulse control"),
    ),
    Measure(
        "external_pressures",
        "risk",
        label="External pressures (poverty, debt)",
        header="External pressures",
        question=(
            "Was the family under outside pressures such as poverty, debt, deprivation, "
            "worklessness or racism?"
        ),
        shorthand=("Money worries", "Debt", "Poverty", "Financial pressures"),
    ),
    Measure(
        "relationship_problems",
        "risk",
        label="Relationship problems",
        header="Relationship problems",
        question=("Were there significant problems in his relationship with the baby's mother?"),
        shorthand=("Relationship difficulties", "Parental conflict"),
    ),
    Measure(
        "trigger_infant_behaviour",
        "risk",
        label="Triggered by normal infant behaviour",
        header="Triggered by infant behaviour",
        question=(
            "Was the injury triggered by normal infant behaviour, such as crying or being sick?"
        ),
        shorthand=("Crying trigger", "Triggered by crying", "Crying as trigger"),
    ),
    Measure(
        "father_identified",
        "engagement",
        label="Father identified",
        header="Father identified",
        question="Is the father or male carer named in the records?",
        messages=("active_enquiries",),
        step=True,
    ),
    Measure(
        "father_enquiry_beyond_mother",
        "engagement",
        label="Enquiries beyond the mother",
        header="Enquiries beyond the mother",
        question=("Were enquiries about the father made with anyone other than the mother?"),
        messages=("active_enquiries",),
        step=True,
        shorthand=("Enquiries beyond mum", "Asked beyond mum"),
    ),
    Measure(
        "father_contacted",
        "engagement",
        label="Father contacted",
        header="Father contacted",
        question=("Did a practitioner make direct contact with him, not only through the mother?"),
        messages=("direct_contact",),
        step=True,
    ),
    Measure(
        "father_seen",
        "engagement",
        label="Father seen",
        header="Father seen",
        question="Did a practitioner see him?",
        messages=("see_him",),
        step=True,
    ),
    Measure(
        "father_history_checked",
        "engagement",
        label="Father's history checked",
        header="Father's history checked",
        question=(
            "Was his history checked: substance use, domestic abuse, mental health and his "
            "own childhood?"
        ),
        messages=("know_history",),
        step=True,
    ),
    Measure(
        "father_views_recorded",
        "engagement",
        label="Father's views recorded",
        header="Father's views recorded",
        question="Were his own views asked for and recorded?",
        messages=("record_his_views",),
        shorthand=("Voice of dad", "Voice of father", "Dad's voice"),
    ),
    Measure(
        "father_in_assessment",
        "engagement",
        label="Father in assessment",
        header="Father in assessment",
        question="Was he included in the assessment?",
        messages=("include_in_assessment_and_plan",),
        step=True,
    ),
    Measure(
        "father_in_plan",
        "engagement",
        label="Father in plan",
        header="Father in plan",
        question="Was he included in the plan?",
        messages=("include_in_assessment_and_plan",),
        step=True,
    ),
    Measure(
        "father_antenatal_contact",
        "engagement",
        label="Father in antenatal contacts",
        header="Father in antenatal contacts",
        question=("Was he involved in antenatal contacts (pregnancy as a 'reachable moment')?"),
        messages=("reachable_moment_antenatal",),
        shorthand=("Dad antenatal", "Antenatal dad", "Father antenatal"),
    ),
    Measure(
        "father_crying_advice",
        "engagement",
        label="Father given crying advice",
        header="Father given crying advice",
        question=(
            "Was he given advice on coping with a crying baby (for example the ICON programme)?"
        ),
        messages=("crying_advice",),
        shorthand=("ICON", "ICON advice", "ICON advice to dad", "Crying advice"),
    ),
    Measure(
        "info_shared_health",
        "sharing",
        label="Health shared information",
        header="Health information shared",
        question=(
            "Did the midwife, health visitor and GP share what they knew about him with each other?"
        ),
        messages=("share_health_information",),
        shorthand=("Health info shared", "Midwife HV GP shared"),
    ),
    Measure(
        "adult_services_linked",
        "sharing",
        label="Adult services linked",
        header="Adult services linked",
        question="Did children's and adult services exchange information about him?",
        messages=("link_adult_services",),
        shorthand=("Adult services", "Adult social care linked"),
    ),
)


#: The audit form's limits: a header is an Excel input message's title (32 characters), a
#: question its text (255).
MAX_HEADER, MAX_QUESTION = 32, 255


def _check(measures: tuple[Measure, ...]) -> None:
    """Refuse, at import time, a catalogue the rest of the suite could not use: a column
    listed twice, an unknown family, a funnel step outside the engagement family, or a
    header or question the audit form cannot hold."""
    columns = [m.column for m in measures]
    if len(set(columns)) != len(columns):
        raise ValueError("a measure is listed twice in MEASURES")
    for m in measures:
        if m.family not in FAMILIES:
            raise ValueError(f"measure {m.column!r} has an unknown family {m.family!r}")
        if m.step and m.family != "engagement":
            raise ValueError(f"measure {m.column!r}: only engagement measures are funnel steps")
        if not 0 < len(m.header) <= MAX_HEADER:
            raise ValueError(f"measure {m.column!r}: a header of 1 to {MAX_HEADER} characters")
        if not (len(m.question) <= MAX_QUESTION and m.question.endswith(("?", "."))):
            raise ValueError(
                f"measure {m.column!r}: a question of at most {MAX_QUESTION} characters, "
                "ending in '?' or '.'"
            )


_check(MEASURES)
