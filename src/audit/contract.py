"""The case-extract contract (v1): the single source of column names, codes and metric ids.

Every other module imports its vocabulary from here, so a change to the contract is a
change to one file. The analyst-facing explanation is ``docs/data-contract.md``.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from functools import cache

from audit.measure_catalogue import MEASURES, Measure

__all__ = [
    "CONTRACT_VERSION",
    "Measure",
    "MEASURES",
    "measure",
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
    "LOCAL_COLUMNS",
    "METRIC_IDS",
    "IDENTIFIER_COLUMN_PATTERNS",
    "normalise_column_name",
    "flag_metric_id",
    "metric_label",
    "rate_base_words",
    "CODED_COLUMNS",
    "COLUMN_LABELS",
    "COLUMN_QUESTIONS",
    "CODE_LABELS",
    "CODE_KEY_STRIP",
    "column_label",
    "code_labels",
    "code_lookup",
    "code_from_label",
    "match_header",
    "suggest_header",
    "LOCAL_HEADERS",
]

#: The version of the data contract (docs/data-contract.md) this code follows (v1.1:
#: like-for-like national comparison, service levels without ``none``, ``p_holm``, small
#: numbers by audience).
CONTRACT_VERSION = "1.1"

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
#: The codes pooled into ``harmed_by.another_male_carer`` (the review's "other male carer",
#: 11 of 92).
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


def _family(family: str) -> tuple[str, ...]:
    return tuple(m.column for m in MEASURES if m.family == family)


#: Risk factors from the national review's findings (derived from :data:`MEASURES`).
RISK_FLAGS: tuple[str, ...] = _family("risk")

#: Father-engagement flags (the briefing's practice questions).
ENGAGEMENT_FLAGS: tuple[str, ...] = _family("engagement")

#: The engagement steps in practice order, for the funnel (the measures with ``step=True``).
ENGAGEMENT_FUNNEL: tuple[str, ...] = tuple(m.column for m in MEASURES if m.step)

#: Information-sharing flags.
SHARING_FLAGS: tuple[str, ...] = _family("sharing")

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
    c for c in KNOWN_TO_CODES if c not in ("none", "unknown")
)

#: A metric's local figures, its counts then its rate and 95% interval: the columns every
#: table of rates shares (``metrics.csv``, the quarterly table).
LOCAL_COLUMNS: tuple[str, ...] = (
    "numerator",
    "denominator",
    "unknown",
    "rate",
    "ci_low",
    "ci_high",
)

#: Column order of ``metrics.csv`` (v1.1 adds ``p_holm``).
METRICS_COLUMNS: tuple[str, ...] = (
    "metric",
    *LOCAL_COLUMNS,
    "national_numerator",
    "national_denominator",
    "national_rate",
    "p_value",
    "p_holm",
)


_BY_COLUMN: dict[str, Measure] = {m.column: m for m in MEASURES}


def measure(column: str) -> Measure:
    """The :class:`~audit.measure_catalogue.Measure` record of a flag column."""
    try:
        return _BY_COLUMN[column]
    except KeyError:
        raise ValueError(f"{column!r} is not a flag column of the contract") from None


def flag_metric_id(flag: str) -> str:
    """Return the stable metric id for a flag column (``father_seen`` -> ``engagement.seen``)."""
    return measure(flag).metric


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
    **{measure(flag).metric: measure(flag).label for flag in FLAG_COLUMNS},
}


def metric_label(metric: str) -> str:
    """Plain-English label for a metric id, as charts and tables show it."""
    try:
        return _LABELS[metric]
    except KeyError:
        raise ValueError(f"unknown metric id {metric!r}") from None


def rate_base_words(metric: str) -> str:
    """What a metric's rate is a share of, as a sentence says it after the percentage: a
    service level is a share of the cases known to a service (contract v1.1), every other
    rate a share of the cases where the answer was recorded (never "of cases": a new
    analyst's trial found "in 52% of cases" for 14 of 27 recorded, 45% of every case)."""
    metric_label(metric)  # an unknown id is refused here, not turned into words
    if metric.startswith("known_to.") and metric != "known_to.none":
        return "of the cases known to a service"
    return "of the cases where it was recorded"


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


# ------------------------------------------------------------------- readable labels
#
# The audit form (audit.intake.form) heads its columns with these labels and offers the code
# labels in its drop-downs; reading and validation accept them as they stand, so a
# completed form needs no reformatting. The contract's own names stay the stable keys.

#: Columns holding one code a cell from a fixed list (flags aside).
CODED_COLUMNS: tuple[str, ...] = ("harmed_by", "known_to", "incident_type")

#: A short, readable header for every contract column, as the audit form shows it.
COLUMN_LABELS: dict[str, str] = {
    "case_id": "Case ID",
    "notification_date": "Notification date",
    "child_age_months": "Child age (months)",
    "harmed_by": "Harmed by",
    "known_to": "Known to services",
    **{flag: measure(flag).header for flag in FLAG_COLUMNS},
    "partnership": "Partnership",
    "father_age_at_birth": "Father's age at birth",
    "incident_type": "Incident type",
}

#: The practice question each column answers, in plain words: the audit form's input
#: message for the column (Excel allows 255 characters).
COLUMN_QUESTIONS: dict[str, str] = {
    "case_id": "Your pseudonymous reference for this case, used once in this form. Never a "
    "name, date of birth, NHS number or address.",
    "notification_date": "On what date was the serious incident notified to the Child "
    "Safeguarding Practice Review Panel? A date on or after 29/06/2018.",
    "child_age_months": "How old was the baby at the incident, in whole months (0 to 11)? "
    "Babies of 12 months or more are outside this audit.",
    "harmed_by": "Who was the man in a caring role who harmed the baby?",
    "known_to": "What was the highest level of service involvement with the family when the "
    "baby was harmed?",
    **{flag: measure(flag).question for flag in FLAG_COLUMNS},
    "partnership": "Which safeguarding partnership is this case from?",
    "father_age_at_birth": "How old was he when the baby was born, in years (12 to 80)? "
    "Leave blank if not known.",
    "incident_type": "What was the outcome of the incident: did the baby die or suffer "
    "serious harm?",
}

#: The readable label of every code, for each coded column and each flag column, in the
#: contract's order (the order of the form's drop-downs).
CODE_LABELS: dict[str, dict[str, str]] = {
    "harmed_by": {
        "birth_father": "Birth father",
        "stepfather": "Stepfather",
        "mothers_partner": "Mother's partner",
        "other_male_carer": "Other male carer",
        "unknown": "Not known",
    },
    "known_to": {
        "none": "None",
        "universal": "Universal services only",
        "early_help": "Early Help",
        "child_in_need": "Child in need",
        "child_protection_plan": "Child protection plan",
        "unknown": "Not known",
    },
    "incident_type": {
        "death": "Death",
        "serious_harm": "Serious harm",
        "unknown": "Not known",
    },
    **{flag: measure(flag).answers for flag in FLAG_COLUMNS},
}

#: Characters ignored when a code is matched: spaces, underscores, hyphens, apostrophes
#: (straight and curly) and backticks. "Mother's partner" -> ``mothers_partner``.
CODE_KEY_STRIP = "[\\s_\\-'\u2018\u2019`]+"
_ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060\ufeff]")


def column_label(column: str) -> str:
    """The readable header of a contract column (``father_seen`` -> "Father seen")."""
    try:
        return COLUMN_LABELS[column]
    except KeyError:
        raise _parameter_error(f"'{column}' is not a column of the contract") from None


def code_labels(column: str) -> dict[str, str]:
    """``{code: readable label}`` for a coded or flag column, in the contract's order."""
    try:
        return dict(CODE_LABELS[column])
    except KeyError:
        raise _parameter_error(
            f"'{column}' is not a coded or flag column of the contract"
        ) from None


def _cleaned(value: object) -> str:
    """A cell's text as validation reads it: zero-width characters dropped, NBSP a space."""
    if value is None or (isinstance(value, float) and value != value):  # None or NaN
        return ""
    return _ZERO_WIDTH.sub("", str(value)).replace("\u00a0", " ").strip()


def _code_key(text: str) -> str:
    return re.sub(CODE_KEY_STRIP, "", text.lower())


@cache
def _code_lookup(column: str) -> tuple[tuple[str, str], ...]:
    labels = code_labels(column)  # raises for a column that is not coded
    pairs = {_code_key(code): code for code in labels}
    pairs.update({_code_key(label): code for code, label in labels.items()})
    pairs.update({"": "unknown", "notknown": "unknown"})
    return tuple(pairs.items())


def code_lookup(column: str) -> dict[str, str]:
    """For a coded column: ``{key: code}`` where key is a code or label lower-cased with
    :data:`CODE_KEY_STRIP` removed (blank and "not known" mean ``unknown``).

    Validation matches a cell by the same key, so it accepts exactly what
    :func:`code_from_label` accepts.
    """
    if column not in CODED_COLUMNS:
        raise _parameter_error(f"'{column}' is not a coded column of the contract")
    return dict(_code_lookup(column))


def code_from_label(column: str, value: object) -> str | None:
    """The contract code a cell means, from a readable label or a code; ``None`` if neither.

    Case, spaces, underscores, hyphens and apostrophes (straight or curly) are ignored for
    coded columns ("Mother’s partner", "MOTHERS_PARTNER" -> ``mothers_partner``); flag
    columns accept the labels and the contract's flag spellings ("Not known", "Y", "0").
    A blank cell means ``unknown``, as validation reads it.
    """
    text = _cleaned(value)
    if column in FLAG_COLUMNS:
        return FLAG_SPELLINGS.get(" ".join(text.lower().split()))
    if column not in CODED_COLUMNS:
        raise _parameter_error(f"'{column}' is not a coded or flag column of the contract")
    return dict(_code_lookup(column)).get(_code_key(text))


# ----------------------------------------------------------------- header recognition

#: Other spellings of a column accepted as they stand (beyond its name, its label and, for
#: a flag, its metric label): names analysts' systems commonly use.
_HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "case_id": ("Case reference", "Case ref", "Case number", "Case no"),
    "notification_date": (
        "Date notified",
        "Date of notification",
        "Notified on",
        "Notification received",
    ),
    "child_age_months": (
        "Age in months",
        "Child's age in months",
        "Baby's age (months)",
        "Age (months)",
    ),
    "harmed_by": ("Who harmed the baby",),
    "known_to": (
        "Highest level of service involvement",
        "Service involvement",
        "Known to services at the time",
    ),
    "father_age_at_birth": ("Father's age at the birth", "Father age"),
    "partnership": ("Safeguarding partnership", "Partnership name"),
    "incident_type": ("Incident outcome", "Outcome of incident", "Type of incident"),
    **{m.column: m.aliases for m in MEASURES if m.aliases},
}

#: Common local abbreviations and phrasings of a column (partnerships' own shorthand), tried
#: for a suggestion only, never accepted as they stand: "DA" is not certainly domestic abuse,
#: so the analyst renames the header (or says the measure is absent). Each was checked not
#: to draw a header meant for another column (tests/test_contract.py).
LOCAL_HEADERS: dict[str, tuple[str, ...]] = {
    **{m.column: m.shorthand for m in MEASURES if m.shorthand},
    "known_to": ("CIN/CP", "CP/CIN status", "Level of involvement"),
}

#: Words that carry no meaning when headers are compared for a suggestion.
_STOP_WORDS = frozenset(
    "a an the of to in on at for with by and or any was were is are did does do has had "
    "been be his her their he him it this that who whom y n yn".split()  # y/n: "Seen (Y/N)"
)

#: Word swaps tried when a header is compared for a suggestion (never for a match).
_SYNONYMS: dict[str, str] = {
    "dad": "father",
    "dads": "father",
    "mum": "mother",
    "mums": "mother",
    "icon": "crying advice",  # the ICON programme: advice on coping with a crying baby
    "fathers": "father",
    "violence": "abuse",
    "drugs": "substance",
    "drug": "substance",
    "alcohol": "substance",
    "cpp": "child protection plan",
    "mh": "mental health",
    "impulsive": "impulsivity",
    "difficulties": "problems",
}

#: How alike a header must be to a spelling of a contract column for a suggestion: its
#: text letter by letter (difflib ratio, 0-1), or its words (F1 score of words matched).
_SUGGEST_TEXT_AT = 0.85
_SUGGEST_WORDS_AT = 0.75
#: Two columns scoring within this of each other: the header is ambiguous, no suggestion.
_AMBIGUOUS_WITHIN = 0.03
#: Two words at least this alike (difflib ratio) count as the same word ("helth", "health").
_WORD_ALIKE = 0.85
#: Longest header compared for a suggestion: every spelling of a column is far shorter, and
#: comparing text costs time in the square of its length (a hostile header is not slow).
_MAX_SUGGEST_LENGTH = 100
#: Words naming people a header may not be matched across, however alike they look:
#: "Mother seen" is not "Father seen".
_MOTHER_WORDS = frozenset({"mother", "mothers", "mum", "mums", "maternal"})
_FATHER_WORDS = frozenset({"father", "fathers", "dad", "dads", "paternal", "male", "man", "men"})


def _words(text: object) -> list[str]:
    """Lower-case ASCII words of a header: accents dropped, apostrophes removed (so
    "Father's" is "fathers"), camelCase split, every other character a separator."""
    raw = unicodedata.normalize("NFKD", str(text))
    raw = "".join(ch for ch in raw if not unicodedata.combining(ch))
    raw = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", raw)
    raw = re.sub("['\u2018\u2019`\u00b4\u02bc]", "", raw.casefold())
    return re.findall(r"[0-9a-z]+", raw)


def _spellings() -> tuple[tuple[str, str], ...]:
    """(column, spelling) for every accepted spelling of every contract column (local
    shorthand, :data:`LOCAL_HEADERS`, is not among them: see :data:`_SUGGESTED`)."""
    pairs: list[tuple[str, str]] = []
    for column in KNOWN_COLUMNS:
        pairs += [(column, column), (column, COLUMN_LABELS[column])]
        if column in FLAG_COLUMNS:
            pairs.append((column, _LABELS[flag_metric_id(column)]))
        pairs += [(column, alias) for alias in _HEADER_ALIASES.get(column, ())]
    return tuple(pairs)


_SPELLINGS: tuple[tuple[str, str], ...] = _spellings()
_EXACT: dict[str, str] = {"".join(_words(s)): c for c, s in _SPELLINGS}
#: Every spelling a suggestion is measured against: the accepted ones and the local shorthand.
_SUGGESTED: tuple[tuple[str, str], ...] = _SPELLINGS + tuple(
    (column, term) for column, terms in LOCAL_HEADERS.items() for term in terms
)


def match_header(text: object) -> str | None:
    """The contract column a header names, or ``None``.

    Case, spacing, punctuation, apostrophes (straight and curly), underscores and hyphens
    are ignored, and the readable labels of the audit form are accepted as they stand:
    "Father's mental ill health", "FATHER_MENTAL_ILL_HEALTH" and "Father mental ill-health"
    all name ``father_mental_ill_health``; "Case ID" names ``case_id``.
    """
    key = "".join(_words(text))
    return _EXACT.get(key) if key else None


def _fuzzy_words(words: list[str]) -> list[str]:
    out: list[str] = []
    for word in words:
        out += _SYNONYMS.get(word, word).split()
    return [w for w in out if w not in _STOP_WORDS]


def _alike(a: str, b: str) -> bool:
    return a == b or difflib.SequenceMatcher(None, a, b).ratio() >= _WORD_ALIKE


def _similarity(header: list[str], spelling: list[str]) -> float:
    """How alike two headers are, scaled so that 1 is the threshold of a suggestion: the
    better of the letter-by-letter ratio of the whole text (over :data:`_SUGGEST_TEXT_AT`)
    and the F1 score of words matched fuzzily (over :data:`_SUGGEST_WORDS_AT`)."""
    if not header or not spelling:
        return 0.0
    for one, other in ((_MOTHER_WORDS, _FATHER_WORDS), (_FATHER_WORDS, _MOTHER_WORDS)):
        if (
            one.intersection(header)
            and other.intersection(spelling)
            and not one.intersection(spelling)
        ):
            return 0.0  # the header is about one parent, the spelling about the other
    whole = difflib.SequenceMatcher(None, " ".join(header), " ".join(spelling)).ratio()
    found = sum(1 for w in header if any(_alike(w, s) for s in spelling))
    covered = sum(1 for s in spelling if any(_alike(w, s) for w in header))
    f1 = 0.0
    if found and covered:
        precision, recall = found / len(header), covered / len(spelling)
        f1 = 2 * precision * recall / (precision + recall)
    return max(whole / _SUGGEST_TEXT_AT, f1 / _SUGGEST_WORDS_AT)


def suggest_header(text: object, *, exclude: tuple[str, ...] | frozenset[str] = ()) -> str | None:
    """The contract column an unmatched header probably means ("did you mean …?"), or ``None``.

    Misspellings and near-misses are caught ("Fathers mental health" ->
    ``father_mental_ill_health``, "Notification dat" -> ``notification_date``); a header
    unlike every column ("Notes", "Team"), one as close to two columns as to each other
    ("Father"), or one that looks like a direct identifier gets no suggestion. Columns in
    ``exclude`` (those the extract already has) are never suggested. A header that
    :func:`match_header` recognises is returned as its column.
    """
    exact = match_header(text)
    if exact is not None:
        return None if exact in exclude else exact
    if len(str(text)) > _MAX_SUGGEST_LENGTH:
        return None
    key = normalise_column_name(text)
    if not key or any(p.search(key) for p in IDENTIFIER_COLUMN_PATTERNS):
        return None
    words = _fuzzy_words(_words(text))
    scores: dict[str, float] = {}
    for column, spelling in _SUGGESTED:
        if column in exclude:
            continue
        score = _similarity(words, _fuzzy_words(_words(spelling)))
        scores[column] = max(scores.get(column, 0.0), score)
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    if not ranked or ranked[0][1] < 1.0:
        return None
    if len(ranked) > 1 and ranked[1][1] > ranked[0][1] - _AMBIGUOUS_WITHIN:
        return None
    return ranked[0][0]


def _parameter_error(message: str) -> Exception:
    from audit.errors import ParameterError

    return ParameterError(message)
