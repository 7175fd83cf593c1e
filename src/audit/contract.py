"""The case-extract contract (v1): the single source of column names, codes and metric ids.

Every other module imports its vocabulary from here, so a change to the contract is a
change to one file. The analyst-facing explanation is ``docs/data-contract.md``.
"""

from __future__ import annotations

import re

__all__ = [
    "CONTRACT_VERSION",
    "REQUIRED_COLUMNS",
    "HARMED_BY_CODES",
    "ANOTHER_MALE_CARER_CODES",
    "KNOWN_TO_CODES",
    "SERVICE_LEVEL_CODES",
    "INCIDENT_TYPE_CODES",
    "RISK_FLAGS",
    "ENGAGEMENT_FLAGS",
    "ENGAGEMENT_FUNNEL",
    "SHARING_FLAGS",
    "FLAG_COLUMNS",
    "OPTIONAL_COLUMNS",
    "KNOWN_COLUMNS",
    "FLAG_YES",
    "FLAG_NO",
    "FLAG_UNKNOWN",
    "FLAG_LEVELS",
    "FLAG_SPELLINGS",
    "MIN_AGE_MONTHS",
    "MAX_IN_SCOPE_AGE_MONTHS",
    "FATHER_AGE_RANGE",
    "UNKNOWN_SHARE_THRESHOLD",
    "METRICS_COLUMNS",
    "METRIC_IDS",
    "IDENTIFIER_COLUMN_PATTERNS",
    "normalise_column_name",
    "flag_metric_id",
    "metric_label",
    "field_label",
]

CONTRACT_VERSION = "1"

#: Columns every extract must carry.
REQUIRED_COLUMNS: tuple[str, ...] = (
    "case_id",
    "notification_date",
    "child_age_months",
    "harmed_by",
    "known_to",
)

HARMED_BY_CODES: tuple[str, ...] = (
    "birth_father",
    "stepfather",
    "mothers_partner",
    "other_male_carer",
    "unknown",
)
#: The codes pooled into ``harmed_by.another_male_carer`` (the review's "other male carer", 11 of 92).
ANOTHER_MALE_CARER_CODES: tuple[str, ...] = ("stepfather", "mothers_partner", "other_male_carer")

#: Highest level of service involvement, lowest to highest, then ``unknown``.
KNOWN_TO_CODES: tuple[str, ...] = (
    "none",
    "universal",
    "early_help",
    "child_in_need",
    "child_protection_plan",
    "unknown",
)

INCIDENT_TYPE_CODES: tuple[str, ...] = ("death", "serious_harm", "unknown")

#: Risk factors from the national review's findings.
RISK_FLAGS: tuple[str, ...] = (
    "domestic_abuse",
    "father_mental_ill_health",
    "young_parent",
    "care_leaver",
    "substance_misuse",
    "childhood_adversity",
    "impulsivity",
    "external_pressures",
    "relationship_problems",
    "trigger_infant_behaviour",
)

#: Father-engagement flags (the briefing's practice questions).
ENGAGEMENT_FLAGS: tuple[str, ...] = (
    "father_identified",
    "father_enquiry_beyond_mother",
    "father_contacted",
    "father_seen",
    "father_history_checked",
    "father_views_recorded",
    "father_in_assessment",
    "father_in_plan",
    "father_antenatal_contact",
    "father_crying_advice",
)

#: The engagement steps in practice order, for the funnel.
ENGAGEMENT_FUNNEL: tuple[str, ...] = (
    "father_identified",
    "father_enquiry_beyond_mother",
    "father_contacted",
    "father_seen",
    "father_history_checked",
    "father_in_assessment",
    "father_in_plan",
)

SHARING_FLAGS: tuple[str, ...] = ("info_shared_health", "adult_services_linked")

FLAG_COLUMNS: tuple[str, ...] = RISK_FLAGS + ENGAGEMENT_FLAGS + SHARING_FLAGS

OPTIONAL_COLUMNS: tuple[str, ...] = ("partnership", "father_age_at_birth", "incident_type")

KNOWN_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + FLAG_COLUMNS + OPTIONAL_COLUMNS

FLAG_YES = "yes"
FLAG_NO = "no"
FLAG_UNKNOWN = "unknown"
#: Normalised flag levels, in the order tables show them.
FLAG_LEVELS: tuple[str, ...] = (FLAG_YES, FLAG_NO, FLAG_UNKNOWN)

#: Accepted spellings (after trimming and lower-casing) and what they mean. Blank is unknown.
FLAG_SPELLINGS: dict[str, str] = {
    "y": FLAG_YES,
    "yes": FLAG_YES,
    "true": FLAG_YES,
    "1": FLAG_YES,
    "n": FLAG_NO,
    "no": FLAG_NO,
    "false": FLAG_NO,
    "0": FLAG_NO,
    "": FLAG_UNKNOWN,
    "unknown": FLAG_UNKNOWN,
    "not known": FLAG_UNKNOWN,
}

MIN_AGE_MONTHS = 0
#: Babies under one: 0-11 months are in scope; 12 or more is reported and excluded.
MAX_IN_SCOPE_AGE_MONTHS = 11
FATHER_AGE_RANGE: tuple[int, int] = (12, 80)

#: A field more than this share unknown is flagged in the data-quality section.
UNKNOWN_SHARE_THRESHOLD = 0.10

#: The service levels of ``known_to`` (every code but ``none`` and ``unknown``). Their rates
#: are shares of the cases whose level is known and is not ``none`` (contract v1.1), so they
#: add up to 100% as the review's 45 + 24 + 12 + 11 do.
SERVICE_LEVEL_CODES: tuple[str, ...] = tuple(
    c for c in KNOWN_TO_CODES if c not in ("none", "unknown"))

#: Column order of ``metrics.csv`` (v1.1 adds ``p_holm``).
METRICS_COLUMNS: tuple[str, ...] = (
    "metric",
    "numerator",
    "denominator",
    "unknown",
    "rate",
    "ci_low",
    "ci_high",
    "national_numerator",
    "national_denominator",
    "national_rate",
    "p_value",
    "p_holm",
)


def flag_metric_id(flag: str) -> str:
    """Return the stable metric id for a flag column (``father_seen`` -> ``engagement.seen``)."""
    if flag in RISK_FLAGS:
        return f"risk.{flag}"
    if flag in ENGAGEMENT_FLAGS:
        return "engagement." + flag.removeprefix("father_")
    if flag in SHARING_FLAGS:
        return f"sharing.{flag}"
    raise ValueError(f"{flag!r} is not a flag column of the contract")


#: Every metric id, in the order ``metrics.csv`` lists them. Stable across releases.
METRIC_IDS: tuple[str, ...] = (
    "harmed_by.birth_father",
    "harmed_by.another_male_carer",
    *(f"known_to.{code}" for code in KNOWN_TO_CODES if code != "unknown"),
    *(flag_metric_id(flag) for flag in FLAG_COLUMNS),
)

_LABELS: dict[str, str] = {
    "harmed_by.birth_father": "Harmed by birth father",
    "harmed_by.another_male_carer": "Harmed by another male carer",
    "known_to.none": "Not known to services",
    "known_to.universal": "Known to universal services only",
    "known_to.early_help": "Known to Early Help",
    "known_to.child_in_need": "Child in need",
    "known_to.child_protection_plan": "Child protection plan",
    "risk.domestic_abuse": "Domestic abuse",
    "risk.father_mental_ill_health": "Father's mental ill health",
    "risk.young_parent": "Young parent",
    "risk.care_leaver": "Care leaver",
    "risk.substance_misuse": "Substance misuse",
    "risk.childhood_adversity": "Adverse childhood of his own",
    "risk.impulsivity": "Impulsivity",
    "risk.external_pressures": "External pressures (poverty, debt)",
    "risk.relationship_problems": "Relationship problems",
    "risk.trigger_infant_behaviour": "Triggered by normal infant behaviour",
    "engagement.identified": "Father identified",
    "engagement.enquiry_beyond_mother": "Enquiries beyond the mother",
    "engagement.contacted": "Father contacted",
    "engagement.seen": "Father seen",
    "engagement.history_checked": "Father's history checked",
    "engagement.views_recorded": "Father's views recorded",
    "engagement.in_assessment": "Father in assessment",
    "engagement.in_plan": "Father in plan",
    "engagement.antenatal_contact": "Father in antenatal contacts",
    "engagement.crying_advice": "Father given crying advice",
    "sharing.info_shared_health": "Health shared information",
    "sharing.adult_services_linked": "Adult services linked",
}


def metric_label(metric: str) -> str:
    """Plain-English label for a metric id, as charts and tables show it."""
    try:
        return _LABELS[metric]
    except KeyError:
        raise ValueError(f"unknown metric id {metric!r}") from None


#: Column names that look like direct identifiers: an extract carrying one is refused.
#: Matched against the normalised column name (lower case, spaces and punctuation as ``_``).
IDENTIFIER_COLUMN_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        # Any column with "name" in it is refused unless what is named is an organisation or
        # a place ("partnership name", "team name", "NHS trust name"): a person's name can be
        # spelt too many ways ("father first name", "Name (father)", "mother's maiden name")
        # to list them, so the safe default is to refuse.
        r"^(?!(partnership|team|service|services|organisation|organization|org|agency|"
        r"authority|local_authority|la|council|trust|nhs_trust|school|setting|area|site|ward|"
        r"locality|region|project|programme|program|sheet|file|extract|review|metric|"
        r"measure|field|column)_names?$)(.*_)?names?(_.*)?$",
        r"(^|_)(fore|sur)names?($|_)",
        r"(^|_)date_of_birth($|_)",
        r"(^|_)d_?o_?b($|_)",
        r"(^|_)birth_?date($|_)",
        # NHS number, but not "NHS trust"
        r"^nhs$",
        r"(^|_)nhs_?(no|num|number|id)($|_)",
        r"(^|_)post_?codes?($|_)",
        r"(^|_)(home_)?address(es)?($|_)",
        r"(^|_)(tel|telephone|phone|mobile)(_no|_number)?($|_)",
        r"(^|_)e_?mails?(_address(es)?)?($|_)",
    )
)

_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalise_column_name(name: object) -> str:
    """Match the contract's rule: case-insensitive, trimmed, spaces and punctuation as ``_``.

    ``" Case ID "`` and ``case_id`` both become ``case_id``. Non-breaking spaces count as spaces.
    """
    text = str(name).replace("\u00a0", " ").strip().lower()
    return _NON_WORD.sub("_", text).strip("_")


_FIELD_LABELS: dict[str, str] = {
    "harmed_by": "Who harmed the baby",
    "known_to": "Highest level of service involvement",
    "incident_type": "Type of incident",
    "partnership": "Partnership",
}


def field_label(column: str) -> str:
    """Plain-English label for a contract column, as board tables name a field."""
    if column in _FIELD_LABELS:
        return _FIELD_LABELS[column]
    try:
        return metric_label(flag_metric_id(column))
    except ValueError:
        return column.replace("_", " ").capitalize()
