"""audit.contract: the vocabulary every other module shares."""

from __future__ import annotations

import pytest

from audit.contract import (
    FLAG_COLUMNS,
    IDENTIFIER_COLUMN_PATTERNS,
    KNOWN_COLUMNS,
    METRIC_IDS,
    METRICS_COLUMNS,
    flag_metric_id,
    metric_label,
    normalise_column_name,
)


def _refused(header: str) -> bool:
    name = normalise_column_name(header)
    return any(p.search(name) for p in IDENTIFIER_COLUMN_PATTERNS)


@pytest.mark.parametrize("header", [
    "Name", "names", "Child Name", "Surname", "Forename", "First name", "Father first name",
    "Mother's first name", "Mother's maiden name", "Father's full name", "Name (father)",
    "Worker name", "DOB", "Date of Birth", "birthdate", "NHS No", "NHS Number", "nhs",
    "Postcode", "Post code", "Address", "Home address", "Phone", "Mobile number", "Email",
    "Emails", "e-mail address",
])
def test_identifier_headers_are_refused(header):
    assert _refused(header)


@pytest.mark.parametrize("header", [
    "Partnership name", "Team name", "NHS trust", "NHS Trust name", "Local authority name",
    "renamed", "namespace", "notes", *KNOWN_COLUMNS,
])
def test_harmless_headers_pass(header):
    assert not _refused(header)


def test_column_names_are_matched_case_insensitively_after_trimming():
    assert normalise_column_name(" Case ID ") == "case_id"
    assert normalise_column_name("Case\u00a0ID") == "case_id"
    assert normalise_column_name("CHILD-AGE (months)") == "child_age_months"


def test_metric_ids_follow_the_contract():
    assert METRIC_IDS[:2] == ("harmed_by.birth_father", "harmed_by.another_male_carer")
    assert "known_to.unknown" not in METRIC_IDS
    assert flag_metric_id("father_seen") == "engagement.seen"
    assert flag_metric_id("domestic_abuse") == "risk.domestic_abuse"
    assert flag_metric_id("adult_services_linked") == "sharing.adult_services_linked"
    assert len(METRIC_IDS) == 2 + 5 + len(FLAG_COLUMNS)
    assert METRICS_COLUMNS == ("metric", "numerator", "denominator", "unknown", "rate",
                               "ci_low", "ci_high", "national_numerator",
                               "national_denominator", "national_rate", "p_value", "p_holm")


def test_every_metric_has_a_label_and_unknown_ids_are_errors():
    assert all(metric_label(m) for m in METRIC_IDS)
    with pytest.raises(ValueError, match="unknown metric id 'risk.nonsense'"):
        metric_label("risk.nonsense")
    with pytest.raises(ValueError, match="'case_id' is not a flag column of the contract"):
        flag_metric_id("case_id")


# ---------------------------------------------------------------- readable labels (issue 12, 13)

from audit.contract import (  # noqa: E402
    CODE_LABELS,
    CODED_COLUMNS,
    COLUMN_LABELS,
    COLUMN_QUESTIONS,
    FLAG_SPELLINGS,
    code_from_label,
    code_labels,
    code_lookup,
    column_label,
    match_header,
    suggest_header,
)
from audit.errors import ParameterError  # noqa: E402


def test_every_column_has_a_label_and_a_question_excel_can_show():
    assert list(COLUMN_LABELS) == list(KNOWN_COLUMNS)
    assert list(COLUMN_QUESTIONS) == list(KNOWN_COLUMNS)
    # Excel's limits: an input message holds 255 characters; headers are short.
    assert all(len(q) <= 255 and q.endswith(("?", ".")) for q in COLUMN_QUESTIONS.values())
    assert all(len(label) <= 32 for label in COLUMN_LABELS.values())  # a prompt title
    assert len(set(COLUMN_LABELS.values())) == len(COLUMN_LABELS)
    assert column_label("father_mental_ill_health") == "Father's mental ill health"
    assert COLUMN_QUESTIONS["father_enquiry_beyond_mother"] == (
        "Were enquiries about the father made with anyone other than the mother?")
    with pytest.raises(ParameterError):
        column_label("notes")


def test_no_label_looks_like_an_identifier():
    assert not any(_refused(label) for label in COLUMN_LABELS.values())


def test_every_coded_and_flag_column_has_code_labels_in_contract_order():
    from audit.contract import HARMED_BY_CODES, INCIDENT_TYPE_CODES, KNOWN_TO_CODES

    assert set(CODE_LABELS) == set(CODED_COLUMNS) | set(FLAG_COLUMNS)
    assert tuple(code_labels("harmed_by")) == HARMED_BY_CODES
    assert tuple(code_labels("known_to")) == KNOWN_TO_CODES
    assert tuple(code_labels("incident_type")) == INCIDENT_TYPE_CODES
    assert list(code_labels("harmed_by").values()) == [
        "Birth father", "Stepfather", "Mother's partner", "Other male carer", "Not known"]
    assert list(code_labels("known_to").values()) == [
        "None", "Universal services only", "Early Help", "Child in need",
        "Child protection plan", "Not known"]
    assert list(code_labels("father_seen").values()) == ["Yes", "No", "Not known"]
    # No list item holds a comma: Excel's inline drop-down lists split on commas.
    assert not any("," in label for labels in CODE_LABELS.values() for label in labels.values())
    with pytest.raises(ParameterError):
        code_labels("case_id")


@pytest.mark.parametrize("column", [*CODED_COLUMNS, *FLAG_COLUMNS])
def test_every_label_and_code_maps_back(column):
    for code, label in code_labels(column).items():
        assert code_from_label(column, label) == code
        assert code_from_label(column, code) == code
        assert code_from_label(column, f"  {label.upper()}\u00a0") == code


def test_code_labels_ignore_case_spacing_and_apostrophes():
    assert code_from_label("harmed_by", "Mother\u2019s partner") == "mothers_partner"
    assert code_from_label("harmed_by", "MOTHERS-PARTNER") == "mothers_partner"
    assert code_from_label("harmed_by", "step father") == "stepfather"
    assert code_from_label("known_to", "universal services only") == "universal"
    assert code_from_label("known_to", "Early\u200bHelp") == "early_help"  # zero-width space
    assert code_from_label("known_to", "") == "unknown"
    assert code_from_label("known_to", None) == "unknown"
    assert code_from_label("incident_type", "Serious harm") == "serious_harm"
    # Flags: the labels and the contract's spellings, nothing else.
    assert code_from_label("father_seen", "Not  known") == "unknown"
    assert code_from_label("father_seen", "Y") == "yes"
    assert code_from_label("father_seen", "0") == "no"
    assert all(code_from_label("domestic_abuse", s) == v for s, v in FLAG_SPELLINGS.items())
    # Not codes: left for validation to report.
    assert code_from_label("harmed_by", "uncle") is None
    assert code_from_label("known_to", "cpp") is None
    assert code_from_label("father_seen", "maybe") is None
    with pytest.raises(ParameterError):
        code_from_label("partnership", "Harbourside")
    with pytest.raises(ParameterError):
        code_lookup("father_seen")  # a flag, not a coded column


@pytest.mark.parametrize("header, column", [
    ("Father's mental ill health", "father_mental_ill_health"),
    ("Father\u2019s mental ill health", "father_mental_ill_health"),
    ("FATHERS MENTAL ILL-HEALTH", "father_mental_ill_health"),
    ("father_mental_ill_health", "father_mental_ill_health"),
    ("Case ID", "case_id"),
    (" case-id ", "case_id"),
    ("CaseID", "case_id"),
    ("Child age (months)", "child_age_months"),
    ("ChildAgeMonths", "child_age_months"),
    ("Known to services", "known_to"),
    ("Enquiries beyond the mother", "father_enquiry_beyond_mother"),
    ("Adverse childhood", "childhood_adversity"),
    ("Adverse childhood of his own", "childhood_adversity"),  # the metric's label
    ("Health information shared", "info_shared_health"),
    ("Father given crying advice", "father_crying_advice"),
    ("Father\u00a0seen", "father_seen"),
    ("Cas\u00e9 ID", "case_id"),  # an accent is dropped, not a separator
])
def test_headers_are_recognised(header, column):
    assert match_header(header) == column


def test_every_label_column_name_and_metric_label_is_recognised():
    from audit.contract import flag_metric_id

    for column in KNOWN_COLUMNS:
        assert match_header(column) == column
        assert match_header(COLUMN_LABELS[column]) == column
        assert match_header(normalise_column_name(COLUMN_LABELS[column])) == column
    for flag in FLAG_COLUMNS:
        assert match_header(metric_label(flag_metric_id(flag))) == flag


@pytest.mark.parametrize("header", ["Notes", "Team", "Fathers mental health", "Father",
                                    "Child name", "", "   ", "Date"])
def test_headers_that_are_not_contract_columns(header):
    assert match_header(header) is None


@pytest.mark.parametrize("header, column", [
    ("Fathers mental health", "father_mental_ill_health"),
    ("Father\u2019s mental health", "father_mental_ill_health"),
    ("father_mental_health", "father_mental_ill_health"),
    ("Notification dat", "notification_date"),
    ("Child age", "child_age_months"),
    ("Fther seen", "father_seen"),
    ("Was the father seen?", "father_seen"),
    ("Dad seen", "father_seen"),
    ("Father in assesment", "father_in_assessment"),
    ("Father in the plan", "father_in_plan"),
    ("Father contacted directly", "father_contacted"),
    ("Fathers views", "father_views_recorded"),
    ("Subtance misuse", "substance_misuse"),
    ("Domestic violence", "domestic_abuse"),
    ("Care leaver (father)", "care_leaver"),
    ("Info shared with health", "info_shared_health"),
    ("Adult services link", "adult_services_linked"),
    ("Harmed by whom", "harmed_by"),
    ("Case reference number", "case_id"),
])
def test_near_misses_get_a_suggestion(header, column):
    assert match_header(header) is None
    assert suggest_header(header) == column


@pytest.mark.parametrize("header", [
    "Notes", "Team", "Comments", "Auditor", "Agency", "Reviewer", "Social worker",
    "Date of audit", "Quarter", "Local authority",
    "Father",          # as near to every father_* column as to each other
    "Mother seen",     # about the other parent, however alike it looks
    "Mothers mental health", "Father present",
    "Father name", "Child name", "Date of birth",  # identifiers are refused, never suggested
])
def test_unrelated_headers_get_no_suggestion(header):
    assert suggest_header(header) is None


def test_suggestions_skip_columns_the_extract_already_has():
    assert suggest_header("Fther seen", exclude=("father_seen",)) is None
    assert suggest_header("Father seen", exclude=("father_seen",)) is None
    assert suggest_header("Father seen") == "father_seen"  # recognised: its own column


def test_a_hostile_header_is_neither_slow_nor_suggested():
    import time

    start = time.perf_counter()
    assert suggest_header("father seen " * 20_000) is None
    assert match_header("father seen " * 20_000) is None
    assert time.perf_counter() - start < 2


# ------------------------------------------------- local shorthand (issue 21, item 3)


@pytest.mark.parametrize(
    ("header", "column"),
    [
        # the six headers of issue 21 that got no suggestion
        ("DA", "domestic_abuse"),
        ("Young dad", "young_parent"),
        ("Enquiries beyond mum", "father_enquiry_beyond_mother"),
        ("ICON advice to dad", "father_crying_advice"),
        ("Money worries", "external_pressures"),
        ("Crying trigger", "trigger_infant_behaviour"),
        # more of the table, and the word swaps beside it
        ("DV", "domestic_abuse"),
        ("DA?", "domestic_abuse"),
        ("Debt", "external_pressures"),
        ("Dad MH", "father_mental_ill_health"),
        ("ICON", "father_crying_advice"),
        ("Dad given ICON", "father_crying_advice"),
        ("Dad seen (Y/N)", "father_seen"),
        ("Dad in CP plan", "father_in_plan"),
        ("CIN/CP", "known_to"),
        ("ACEs", "childhood_adversity"),
    ],
)
def test_local_shorthand_gets_a_suggestion_never_a_match(header, column):
    assert match_header(header) is None  # shorthand is never taken as it stands
    assert suggest_header(header) == column


@pytest.mark.parametrize(
    "header",
    [
        "Crying",  # a crying trigger, or crying advice? neither is guessed
        "CP plan",  # the child's plan (a level of known_to), not the father in the plan
        "Mum MH",
        "Mum seen",
        "Young mum",
        "Mum DV victim",  # about the mother
    ],
)
def test_shorthand_that_could_mean_two_things_gets_no_suggestion(header):
    assert suggest_header(header) is None


def test_no_local_term_draws_a_spelling_of_another_column():
    from audit.contract import (
        _HEADER_ALIASES,
        _LABELS,
        COLUMN_LABELS,
        FLAG_COLUMNS,
        KNOWN_COLUMNS,
        LOCAL_HEADERS,
        flag_metric_id,
    )

    for column, terms in LOCAL_HEADERS.items():
        assert column in KNOWN_COLUMNS
        for term in terms:
            assert suggest_header(term) == column, term
    for column in KNOWN_COLUMNS:
        spellings = [column, COLUMN_LABELS[column], *_HEADER_ALIASES.get(column, ())]
        if column in FLAG_COLUMNS:
            spellings.append(_LABELS[flag_metric_id(column)])
        for spelling in spellings:
            assert match_header(spelling) == column, spelling


def test_one_record_per_measure_gives_every_derived_list():
    """The flag tuples, labels, questions and practice messages all come from MEASURES."""
    from audit.claims.actions import MEASURE_MESSAGES
    from audit.contract import (
        _LABELS,
        COLUMN_LABELS,
        COLUMN_QUESTIONS,
        ENGAGEMENT_FUNNEL,
        MEASURES,
        RISK_FLAGS,
        SHARING_FLAGS,
    )

    by_column = {m.column: m for m in MEASURES}
    assert set(by_column) == set(FLAG_COLUMNS) and len(MEASURES) == len(FLAG_COLUMNS)
    assert RISK_FLAGS == tuple(m.column for m in MEASURES if m.family == "risk")
    assert SHARING_FLAGS == ("info_shared_health", "adult_services_linked")
    assert ENGAGEMENT_FUNNEL[0] == "father_identified" and ENGAGEMENT_FUNNEL[-1] == "father_in_plan"
    seen = by_column["father_seen"]
    assert (seen.metric, seen.label, seen.header) == ("engagement.seen", "Father seen",
                                                      "Father seen")
    assert _LABELS["engagement.seen"] == seen.label
    assert COLUMN_LABELS["father_seen"] == seen.header
    assert COLUMN_QUESTIONS["father_seen"] == "Did a practitioner see him?" == seen.question
    assert MEASURE_MESSAGES["risk.domestic_abuse"] == ("know_history", "link_adult_services")
    assert "risk.impulsivity" not in MEASURE_MESSAGES  # no message: left out of the actions
    assert seen.answers == {"yes": "Yes", "no": "No", "unknown": "Not known"}


def test_the_measure_catalogue_refuses_what_the_suite_could_not_use():
    from dataclasses import replace

    from audit.measure_catalogue import MEASURES, _check

    seen = next(m for m in MEASURES if m.column == "father_seen")
    with pytest.raises(ValueError, match="twice"):
        _check((*MEASURES, MEASURES[0]))
    with pytest.raises(ValueError, match="only engagement measures are funnel steps"):
        _check((replace(MEASURES[0], step=True),))
    with pytest.raises(ValueError, match="header of 1 to 32"):
        _check((replace(seen, header="Was the father seen face to face by anyone"),))
    with pytest.raises(ValueError, match="ending in"):
        _check((replace(seen, question="Seen"),))
    _check(MEASURES)  # the catalogue as it stands passes
