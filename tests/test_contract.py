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
                               "national_denominator", "national_rate", "p_value")


def test_every_metric_has_a_label_and_unknown_ids_are_errors():
    assert all(metric_label(m) for m in METRIC_IDS)
    with pytest.raises(ValueError):
        metric_label("risk.nonsense")
    with pytest.raises(ValueError):
        flag_metric_id("case_id")
