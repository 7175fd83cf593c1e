"""Tests for audit.measures.national: the published figures, their bases and the source."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from audit.contract import METRIC_IDS
from audit.measures import national as N

# Typed out from the contract (the review's Table of 92 notifications), not from the module.
PUBLISHED = {
    "harmed_by.birth_father": 81,
    "harmed_by.another_male_carer": 11,
    "known_to.universal": 45,
    "known_to.early_help": 24,
    "known_to.child_in_need": 12,
    "known_to.child_protection_plan": 11,
    "risk.domestic_abuse": 59,
    "risk.father_mental_ill_health": 32,
    "risk.young_parent": 30,
    "risk.care_leaver": 5,
}


def test_reference_figures() -> None:
    assert dict(N.NATIONAL_REFERENCE) == {m: (n, 92) for m, n in PUBLISHED.items()}
    assert N.NATIONAL_DENOMINATOR == 92
    assert set(N.NATIONAL_REFERENCE) <= set(METRIC_IDS)
    assert "known_to.none" not in N.NATIONAL_REFERENCE


def test_bases_add_up() -> None:
    ref = N.NATIONAL_REFERENCE
    assert ref["harmed_by.birth_father"][0] + ref["harmed_by.another_male_carer"][0] == 92
    services = [ref[f"known_to.{c}"][0] for c in ("universal", "early_help", "child_in_need",
                                                  "child_protection_plan")]
    assert sum(services) == 92  # highest level of involvement, one per case
    assert sum(services[1:]) == 47


def test_reference_is_read_only() -> None:
    with pytest.raises(TypeError):
        N.NATIONAL_REFERENCE["risk.impulsivity"] = (1, 92)  # type: ignore[index]


def test_national_reference_lookup() -> None:
    assert N.national_reference("risk.care_leaver") == (5, 92)
    assert N.national_reference("known_to.none") is None
    assert N.national_reference("engagement.seen") is None
    with pytest.raises(ValueError, match="metric id"):
        N.national_reference("risk.nonsense")


def test_national_table() -> None:
    table = N.national_table()
    assert list(table["metric"]) == list(METRIC_IDS)
    assert list(table.columns) == ["metric", "label", "national_numerator", "national_denominator",
                                   "national_rate", "basis"]
    row = table.set_index("metric").loc["harmed_by.birth_father"]
    assert row["national_numerator"] == 81 and row["national_denominator"] == 92
    assert row["national_rate"] == pytest.approx(81 / 92)
    none = table.set_index("metric").loc["known_to.none"]
    assert pd.isna(none["national_numerator"]) and math.isnan(none["national_rate"])
    assert none["basis"] == ""
    assert "one per case" in table.set_index("metric").loc["known_to.universal", "basis"]
    published = N.national_table(published_only=True)
    assert list(published["metric"]) == [m for m in METRIC_IDS if m in PUBLISHED]
    assert list(published["national_numerator"]) == [PUBLISHED[m] for m in published["metric"]]


def test_context_figures_and_bases() -> None:
    figures = {f.key: f for f in N.CONTEXT_FIGURES}
    assert len(figures) == len(N.CONTEXT_FIGURES)
    expected = {
        "notifications_2020": 482,
        "children_2020": 514,
        "share_under_one_2020": 0.35,
        "rapid_reviews_since_july_2018": 257,
        "notifications_analysed": 92,
        "cases_in_depth": 23,
        "local_areas_in_depth": 19,
        "perpetrators_interviewed": 8,
        "known_only_universal": 45,
        "known_early_help_or_social_care": 47,
    }
    assert {k: f.value for k, f in figures.items()} == expected
    assert "2020" in figures["notifications_2020"].basis
    assert "482" in figures["share_under_one_2020"].basis and figures["share_under_one_2020"].unit == "share"
    assert "July 2018" in figures["rapid_reviews_since_july_2018"].basis
    assert "19 local areas" in figures["cases_in_depth"].label
    assert "prison" in figures["perpetrators_interviewed"].label
    assert "one per case" in figures["known_only_universal"].basis
    for figure in N.CONTEXT_FIGURES:
        assert figure.label and figure.basis
    table = N.context_table()
    assert list(table.columns) == ["key", "value", "unit", "label", "basis"]
    assert len(table) == len(N.CONTEXT_FIGURES)


def test_source_is_cited() -> None:
    assert "Myth of Invisible Men" in N.SOURCE and "2021" in N.SOURCE
    assert "Child Safeguarding Practice Review Panel" in N.SOURCE
    assert N.SOURCE_URL.startswith("https://www.gov.uk/")
    for name in N.__all__:
        assert hasattr(N, name), name
