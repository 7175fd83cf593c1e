"""audit.suppress: every expected board table is written out by hand, cell by cell."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from audit.contract import METRICS_COLUMNS
from audit.suppress import (
    NOT_AVAILABLE,
    SUPPRESSED,
    format_count,
    format_percent,
    is_suppressed,
    suppress_cooccurrence,
    suppress_counts,
    suppress_funnel,
    suppress_metrics,
)

c = SUPPRESSED
NA = np.nan


def table(*rows: tuple) -> pd.DataFrame:
    """A metrics table from (metric, numerator, denominator, unknown, rate, ci_low, ci_high,
    national_numerator, national_denominator, national_rate, p_value) tuples."""
    frame = pd.DataFrame(list(rows), columns=list(METRICS_COLUMNS))
    for column in ("numerator", "denominator", "unknown"):
        frame[column] = frame[column].astype("int64")
    return frame


def cells(frame: pd.DataFrame) -> list[list[object]]:
    """Rows as plain Python values, NaN as None, so == compares cell by cell."""
    out = []
    for record in frame.itertuples(index=False):
        row = []
        for value in record:
            if isinstance(value, float) and math.isnan(value):
                row.append(None)
            elif isinstance(value, (np.integer,)):
                row.append(int(value))
            elif isinstance(value, np.floating):
                row.append(float(value))
            else:
                row.append(value)
        out.append(row)
    return out


def expect(result: pd.DataFrame, *rows: tuple) -> None:
    expected = cells(pd.DataFrame(list(rows), columns=list(METRICS_COLUMNS)))
    assert cells(result) == expected


# --------------------------------------------------------------------------- rows on their own


def test_small_yes_hides_numerator_rate_interval_and_p_value() -> None:
    t = table(("risk.care_leaver", 3, 40, 0, 0.075, 0.026, 0.199, 5, 92, 0.054, 0.69))
    expect(suppress_metrics(t),
           ("risk.care_leaver", c, 40, 0, c, c, c, 5, 92, 0.054, c))


def test_small_no_hides_the_numerator_it_could_be_recovered_from() -> None:
    # yes 37, no 3: 40 - 37 would give the 3.
    t = table(("risk.domestic_abuse", 37, 40, 0, 0.925, 0.801, 0.974, 59, 92, 0.641, 0.001))
    expect(suppress_metrics(t),
           ("risk.domestic_abuse", c, 40, 0, c, c, c, 59, 92, 0.641, c))


def test_small_unknown_hides_unknown_denominator_and_rate() -> None:
    # unknown 2 of N = 40: N - 38 would give it; numerator / rate would give 38.
    t = table(("risk.young_parent", 20, 38, 2, 0.526, 0.372, 0.676, 30, 92, 0.326, 0.04))
    expect(suppress_metrics(t),
           ("risk.young_parent", 20, c, c, c, c, c, 30, 92, 0.326, c))


def test_small_denominator_hides_it_and_the_unknown_even_when_zero() -> None:
    # yes 0, no 4, unknown 36: the 4 is small (numerator hidden by the complement rule), the
    # denominator 4 is a small count, and N - unknown would give it back.
    t = table(("risk.impulsivity", 0, 4, 36, 0.0, 0.0, 0.490, NA, NA, NA, NA),
              ("engagement.seen", 3, 3, 0, 1.0, 0.439, 1.0, NA, NA, NA, NA))
    expect(suppress_metrics(t),
           ("risk.impulsivity", c, c, c, c, c, c, NA, NA, NA, NA),
           ("engagement.seen", c, c, c, c, c, c, NA, NA, NA, NA))


def test_true_zero_stays_zero() -> None:
    t = table(("risk.care_leaver", 0, 40, 0, 0.0, 0.0, 0.088, 5, 92, 0.054, 0.32),
              ("risk.impulsivity", 0, 0, 40, NA, NA, NA, NA, NA, NA, NA))
    result = suppress_metrics(t)
    expect(result,
           ("risk.care_leaver", 0, 40, 0, 0.0, 0.0, 0.088, 5, 92, 0.054, 0.32),
           ("risk.impulsivity", 0, 0, 40, NA, NA, NA, NA, NA, NA, NA))
    assert not (result.map(is_suppressed)).any().any()


def test_large_counts_pass_through_with_their_dtypes() -> None:
    t = table(("risk.domestic_abuse", 25, 39, 6, 0.641, 0.484, 0.772, 59, 92, 0.641, 1.0))
    result = suppress_metrics(t)
    expect(result, ("risk.domestic_abuse", 25, 39, 6, 0.641, 0.484, 0.772, 59, 92, 0.641, 1.0))
    assert (result.dtypes == t.dtypes).all()


# --------------------------------------------------------------------------- partitions


def test_known_to_one_small_category_takes_the_next_smallest_with_it() -> None:
    # 10 + 20 + 3 + 8 + 9 = 50 known, none unknown. The 3 alone could be recovered as
    # 50 - (10 + 20 + 8 + 9), so the next smallest non-zero (8) goes too.
    t = table(
        ("known_to.none", 10, 50, 0, 0.20, 0.11, 0.33, NA, NA, NA, NA),
        ("known_to.universal", 20, 50, 0, 0.40, 0.28, 0.54, 45, 92, 0.489, 0.38),
        ("known_to.early_help", 3, 50, 0, 0.06, 0.02, 0.16, 24, 92, 0.261, 0.004),
        ("known_to.child_in_need", 8, 50, 0, 0.16, 0.08, 0.29, 12, 92, 0.130, 0.80),
        ("known_to.child_protection_plan", 9, 50, 0, 0.18, 0.10, 0.31, 11, 92, 0.120, 0.45),
    )
    expect(
        suppress_metrics(t),
        ("known_to.none", 10, 50, 0, 0.20, 0.11, 0.33, NA, NA, NA, NA),
        ("known_to.universal", 20, 50, 0, 0.40, 0.28, 0.54, 45, 92, 0.489, 0.38),
        ("known_to.early_help", c, 50, 0, c, c, c, 24, 92, 0.261, c),
        ("known_to.child_in_need", c, 50, 0, c, c, c, 12, 92, 0.130, c),
        ("known_to.child_protection_plan", 9, 50, 0, 0.18, 0.10, 0.31, 11, 92, 0.120, 0.45),
    )


def test_known_to_secondary_skips_zeros() -> None:
    # 0 + 20 + 3 + 0 + 17 = 40: the secondary is 17, never a true zero.
    t = table(
        ("known_to.none", 0, 40, 0, 0.0, 0.0, 0.09, NA, NA, NA, NA),
        ("known_to.universal", 20, 40, 0, 0.5, 0.35, 0.65, 45, 92, 0.489, 1.0),
        ("known_to.early_help", 3, 40, 0, 0.075, 0.03, 0.2, 24, 92, 0.261, 0.02),
        ("known_to.child_in_need", 0, 40, 0, 0.0, 0.0, 0.09, 12, 92, 0.130, 0.02),
        ("known_to.child_protection_plan", 17, 40, 0, 0.425, 0.29, 0.58, 11, 92, 0.120, 0.0001),
    )
    expect(
        suppress_metrics(t),
        ("known_to.none", 0, 40, 0, 0.0, 0.0, 0.09, NA, NA, NA, NA),
        ("known_to.universal", 20, 40, 0, 0.5, 0.35, 0.65, 45, 92, 0.489, 1.0),
        ("known_to.early_help", c, 40, 0, c, c, c, 24, 92, 0.261, c),
        ("known_to.child_in_need", 0, 40, 0, 0.0, 0.0, 0.09, 12, 92, 0.130, 0.02),
        ("known_to.child_protection_plan", c, 40, 0, c, c, c, 11, 92, 0.120, c),
    )


def test_known_to_small_shared_unknown_hides_every_denominator_and_a_numerator() -> None:
    # unknown 2 is shared by the group: every denominator goes; the five shown numerators
    # would add up to it (48), so the smallest non-zero (6) is hidden as well.
    t = table(
        ("known_to.none", 6, 48, 2, 0.125, 0.06, 0.25, NA, NA, NA, NA),
        ("known_to.universal", 20, 48, 2, 0.417, 0.29, 0.56, 45, 92, 0.489, 0.48),
        ("known_to.early_help", 10, 48, 2, 0.208, 0.12, 0.34, 24, 92, 0.261, 0.53),
        ("known_to.child_in_need", 6, 48, 2, 0.125, 0.06, 0.25, 12, 92, 0.130, 1.0),
        ("known_to.child_protection_plan", 6, 48, 2, 0.125, 0.06, 0.25, 11, 92, 0.120, 1.0),
    )
    expect(
        suppress_metrics(t),
        ("known_to.none", c, c, c, c, c, c, NA, NA, NA, NA),
        ("known_to.universal", 20, c, c, c, c, c, 45, 92, 0.489, c),
        ("known_to.early_help", 10, c, c, c, c, c, 24, 92, 0.261, c),
        ("known_to.child_in_need", 6, c, c, c, c, c, 12, 92, 0.130, c),
        ("known_to.child_protection_plan", 6, c, c, c, c, c, 11, 92, 0.120, c),
    )


def test_harmed_by_small_unknown_hides_the_smaller_partner() -> None:
    # 30 + 8 = 38 known, 2 unknown: denominators hidden, but 30 + 8 would give 38 back, so
    # the smaller of the pair (8) is hidden too. 30 stays: 30 + c + c = N.
    t = table(
        ("harmed_by.birth_father", 30, 38, 2, 0.789, 0.64, 0.89, 81, 92, 0.880, 0.18),
        ("harmed_by.another_male_carer", 8, 38, 2, 0.211, 0.11, 0.36, 11, 92, 0.120, 0.18),
    )
    expect(
        suppress_metrics(t),
        ("harmed_by.birth_father", 30, c, c, c, c, c, 81, 92, 0.880, c),
        ("harmed_by.another_male_carer", c, c, c, c, c, c, 11, 92, 0.120, c),
    )


def test_harmed_by_small_partner_hides_both() -> None:
    # 35 + 3 = 38: the 3 is primary; 38 - 35 would give it, so 35 goes as well.
    t = table(
        ("harmed_by.birth_father", 35, 38, 0, 0.921, 0.79, 0.97, 81, 92, 0.880, 0.57),
        ("harmed_by.another_male_carer", 3, 38, 0, 0.079, 0.03, 0.21, 11, 92, 0.120, 0.57),
    )
    expect(
        suppress_metrics(t),
        ("harmed_by.birth_father", c, 38, 0, c, c, c, 81, 92, 0.880, c),
        ("harmed_by.another_male_carer", c, 38, 0, c, c, c, 11, 92, 0.120, c),
    )


def test_groups_do_not_reach_other_metrics() -> None:
    t = table(
        ("known_to.universal", 3, 40, 0, 0.075, 0.03, 0.2, 45, 92, 0.489, 0.0),
        ("known_to.early_help", 37, 40, 0, 0.925, 0.8, 0.97, 24, 92, 0.261, 0.0),
        ("risk.domestic_abuse", 6, 40, 0, 0.15, 0.07, 0.29, 59, 92, 0.641, 0.0),
    )
    expect(
        suppress_metrics(t),
        ("known_to.universal", c, 40, 0, c, c, c, 45, 92, 0.489, c),
        ("known_to.early_help", c, 40, 0, c, c, c, 24, 92, 0.261, c),
        ("risk.domestic_abuse", 6, 40, 0, 0.15, 0.07, 0.29, 59, 92, 0.641, 0.0),
    )


# --------------------------------------------------------------------------- the parameter


def test_max_count_is_a_parameter() -> None:
    t = table(("risk.domestic_abuse", 8, 40, 0, 0.2, 0.1, 0.35, 59, 92, 0.641, 0.0),
              ("risk.young_parent", 12, 40, 0, 0.3, 0.18, 0.45, 30, 92, 0.326, 0.84))
    expect(suppress_metrics(t),
           ("risk.domestic_abuse", 8, 40, 0, 0.2, 0.1, 0.35, 59, 92, 0.641, 0.0),
           ("risk.young_parent", 12, 40, 0, 0.3, 0.18, 0.45, 30, 92, 0.326, 0.84))
    expect(suppress_metrics(t, max_count=10),
           ("risk.domestic_abuse", c, 40, 0, c, c, c, 59, 92, 0.641, c),
           ("risk.young_parent", 12, 40, 0, 0.3, 0.18, 0.45, 30, 92, 0.326, 0.84))


def test_max_count_zero_suppresses_nothing() -> None:
    t = table(("risk.care_leaver", 1, 2, 1, 0.5, 0.09, 0.91, 5, 92, 0.054, 0.1))
    result = suppress_metrics(t, max_count=0)
    pd.testing.assert_frame_equal(result, t)


@pytest.mark.parametrize("bad", [-1, 2.5, True, "5", None])
def test_bad_max_count_is_refused(bad: object) -> None:
    t = table(("risk.care_leaver", 1, 2, 1, 0.5, 0.09, 0.91, 5, 92, 0.054, 0.1))
    with pytest.raises(ValueError, match="max_count"):
        suppress_metrics(t, max_count=bad)  # type: ignore[arg-type]


def test_missing_column_is_refused() -> None:
    t = table(("risk.care_leaver", 1, 2, 1, 0.5, 0.09, 0.91, 5, 92, 0.054, 0.1))
    with pytest.raises(ValueError, match="p_value"):
        suppress_metrics(t.drop(columns="p_value"))


# --------------------------------------------------------------------------- properties


def test_input_is_not_mutated_and_shape_is_kept() -> None:
    t = table(("risk.care_leaver", 3, 40, 2, 0.075, 0.026, 0.199, 5, 92, 0.054, 0.69),
              ("risk.domestic_abuse", 25, 39, 1, 0.641, 0.484, 0.772, 59, 92, 0.641, 1.0))
    t.index = pd.Index([10, 20])
    before = t.copy(deep=True)
    result = suppress_metrics(t)
    pd.testing.assert_frame_equal(t, before)
    assert list(result.columns) == list(METRICS_COLUMNS)
    assert list(result.index) == [10, 20]
    assert result["numerator"].dtype == object
    assert result["national_rate"].dtype == t["national_rate"].dtype


def test_idempotent_on_a_board_table() -> None:
    t = table(
        ("harmed_by.birth_father", 30, 38, 2, 0.789, 0.64, 0.89, 81, 92, 0.880, 0.18),
        ("harmed_by.another_male_carer", 8, 38, 2, 0.211, 0.11, 0.36, 11, 92, 0.120, 0.18),
        ("risk.care_leaver", 3, 40, 0, 0.075, 0.026, 0.199, 5, 92, 0.054, 0.69),
    )
    once = suppress_metrics(t)
    pd.testing.assert_frame_equal(suppress_metrics(once), once)


# --------------------------------------------------------------------------- other tables


def test_suppress_counts_primary_complement_and_derived() -> None:
    frame = pd.DataFrame({
        "partnership": ["Eastmere", "Northbridge", "Westvale"],
        "yes": [3, 30, 0],
        "known": [20, 32, 25],
        "rate": [0.15, 0.9375, 0.0],
    })
    result = suppress_counts(frame, ["yes", "known"], derived=["rate"],
                             complements={"yes": "known"})
    assert cells(result) == [
        ["Eastmere", c, 20, c],
        ["Northbridge", c, 32, c],  # 32 - 30 = 2
        ["Westvale", 0, 25, 0.0],
    ]
    assert cells(frame)[0] == ["Eastmere", 3, 20, 0.15]


def test_suppress_counts_mapping_derived_and_errors() -> None:
    frame = pd.DataFrame({"a": [2, 9], "a_share": [0.1, 0.4], "b": [9, 4], "b_share": [0.4, 0.2]})
    result = suppress_counts(frame, ["a", "b"], derived={"a": ["a_share"], "b": ["b_share"]})
    assert cells(result) == [[c, c, 9, 0.4], [9, 0.4, c, c]]
    with pytest.raises(ValueError, match="missing"):
        suppress_counts(frame, ["zzz"])
    with pytest.raises(ValueError, match="max_count"):
        suppress_counts(frame, ["a"], max_count=-2)


def test_suppress_funnel_follows_the_metrics_table() -> None:
    funnel = pd.DataFrame({
        "step": [1, 2, 3],
        "flag": ["father_identified", "father_enquiry_beyond_mother", "father_contacted"],
        "metric": ["engagement.identified", "engagement.enquiry_beyond_mother",
                   "engagement.contacted"],
        "yes": [36, 20, 3],
        "known": [38, 40, 40],
        "unknown": [2, 0, 0],
        "rate": [0.947, 0.5, 0.075],
        "ci_low": [0.82, 0.35, 0.03],
        "ci_high": [0.99, 0.65, 0.2],
        "reached": [pd.NA, 36, 20],
        "kept": [pd.NA, 18, 3],
        "step_rate": [NA, 0.5, 0.15],
        "step_ci_low": [NA, 0.34, 0.05],
        "step_ci_high": [NA, 0.66, 0.36],
        "drop": [NA, 0.5, 0.85],
    })
    result = suppress_funnel(funnel)
    assert cells(result.drop(columns=["step", "flag", "metric"])) == [
        # yes 36 and no 2: yes hidden; unknown 2: known hidden; the rate with them
        [c, c, c, c, c, c, pd.NA, pd.NA, None, None, None, None],
        [20, 40, 0, 0.5, 0.35, 0.65, 36, 18, 0.5, 0.34, 0.66, 0.5],
        [c, 40, 0, c, c, c, 20, c, c, c, c, c],
    ]
    metrics = table(
        ("engagement.identified", 36, 38, 2, 0.947, 0.82, 0.99, NA, NA, NA, NA),
        ("engagement.enquiry_beyond_mother", 20, 40, 0, 0.5, 0.35, 0.65, NA, NA, NA, NA),
        ("engagement.contacted", 3, 40, 0, 0.075, 0.03, 0.2, NA, NA, NA, NA),
    )
    aligned = suppress_funnel(funnel, metrics=metrics)
    board = suppress_metrics(metrics)
    for row, (_, metric_row) in zip(aligned.itertuples(), board.iterrows(), strict=True):
        assert is_suppressed(row.yes) == is_suppressed(metric_row["numerator"])
        assert is_suppressed(row.known) == is_suppressed(metric_row["denominator"])
        assert is_suppressed(row.rate) == is_suppressed(metric_row["rate"])


def test_suppress_cooccurrence() -> None:
    flags = ["domestic_abuse", "young_parent", "care_leaver"]
    cooc = pd.DataFrame([[30, 28, 4], [28, 40, 0], [4, 0, 9]], index=flags, columns=flags)
    result = suppress_cooccurrence(cooc)
    assert cells(result) == [
        [30, c, c],   # 30 - 28 = 2 with domestic abuse but not young parent: hidden
        [c, 40, 0],
        [c, 0, 9],
    ]
    metrics = table(
        ("risk.domestic_abuse", 30, 31, 0, 0.97, 0.84, 0.99, 59, 92, 0.641, 0.0),
        ("risk.young_parent", 40, 50, 0, 0.8, 0.67, 0.89, 30, 92, 0.326, 0.0),
    )
    aligned = suppress_cooccurrence(cooc, metrics=metrics)
    assert cells(aligned)[0][0] == c  # 31 - 30 = 1 hides the numerator in the metrics table
    assert cells(aligned)[1][1] == 40
    with pytest.raises(ValueError, match="same"):
        suppress_cooccurrence(cooc.iloc[:, ::-1])


# --------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.6413, "64.1%"),
        (0.6405, "64.1%"),   # half up, not to even
        (0.6404, "64.0%"),
        (1, "100.0%"),
        (0.0, "0.0%"),
        (-0.0, "0.0%"),
        (0.00049, "0.0%"),
        (np.float64(0.125), "12.5%"),
        ("c", "c"),
        (NA, ":"),
        (None, ":"),
        (pd.NA, ":"),
        ("not a number", ":"),
        (":", ":"),
    ],
)
def test_format_percent(value: object, text: str) -> None:
    assert format_percent(value) == text


def test_format_percent_decimals_and_format_count() -> None:
    assert format_percent(0.645, decimals=0) == "65%"
    assert format_count(1234) == "1,234"
    assert format_count(np.int64(0)) == "0"
    assert format_count(12.0) == "12"
    assert format_count("c") == c
    assert format_count(NA) == NOT_AVAILABLE
