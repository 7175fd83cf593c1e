"""What a p-chart can and cannot show (:mod:`audit.measures.spc_readiness`): the edges a
mutation run found untested (benchmarks/mutation.md, "spc_readiness.py"). Expected values
are worked by hand from the product form ``n·p̄ > sigma²·(1 − p̄)`` beside each case; the
broader behaviour is in test_spc.py."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from audit.errors import ParameterError
from audit.measures.spc_readiness import (
    TrendReadiness,
    fall_can_show,
    min_cases_for_fall,
    trend_readiness,
)

Q = [f"2025-Q{i}" for i in range(1, 5)]


def chart(denominators: list[int], centre: float, labels: list[str] | None = None):
    """The three columns trend_readiness reads, as a p-chart frame has them."""
    labels = labels or Q[:len(denominators)]
    return pd.DataFrame({"label": labels, "denominator": denominators,
                         "centre": [centre] * len(denominators)})


# --------------------------------------------------------------------------- fall_can_show


def test_fall_can_show_at_the_edges_of_the_centre():
    # p-bar = 1: n·1 > 9·0 for every n above 0, so a single case can fall
    assert fall_can_show([0, 1, 3], 1.0).tolist() == [False, True, True]
    # a centre above 1 is not a rate: nothing can show (the product form alone would say yes)
    assert fall_can_show([1, 50], 1.5).tolist() == [False, False]
    out = fall_can_show([1, 50], 1.5)
    assert out.dtype == np.bool_
    # sigma 0.5: 0.25·0.5 = 0.125 < n·0.5 from n = 1
    assert fall_can_show([1], 0.5, sigma=0.5).tolist() == [True]


@pytest.mark.parametrize("sigma", [0, -1.0])
def test_fall_can_show_refuses_a_sigma_not_above_zero(sigma):
    with pytest.raises(ParameterError, match=rf"^sigma must be positive; got {sigma!r}$"):
        fall_can_show([10], 0.5, sigma=sigma)


def test_fall_can_show_names_the_denominators_it_refuses():
    with pytest.raises(ParameterError, match="^denominators must be non-negative whole numbers$"):
        fall_can_show([-1], 0.5)


# ----------------------------------------------------------------------- min_cases_for_fall


def test_min_cases_for_fall_by_hand():
    # 9·0.5 / 0.5 = 9, strictly more: 10; sigma 2: 4·0.5 / 0.5 = 4, so 5
    assert min_cases_for_fall(0.5) == 10
    assert min_cases_for_fall(0.5, sigma=2) == 5
    # sigma 0.5 at p-bar 0.5: 0.25 < n·0.5 from n = 1
    assert min_cases_for_fall(0.5, sigma=0.5) == 1
    # p-bar = 1: n·1 > 9·0 from n = 1
    assert min_cases_for_fall(1.0) == 1


def test_min_cases_for_fall_agrees_with_fall_can_show_where_the_floor_is_off_by_one():
    # p-bar = 0.1: 9·0.9 / 0.1 = 81 exactly, but in floating point the quotient lands a hair
    # below 81 (floor + 1 = 81); n must exceed 81, so 82
    assert math.floor(9 * (1 - 0.1) / 0.1) + 1 == 81
    assert min_cases_for_fall(0.1) == 82
    assert fall_can_show([81, 82], 0.1).tolist() == [False, True]
    # p-bar = 9/52: the quotient rounds up to 43 (floor + 1 = 44), while the product form,
    # which fall_can_show uses, already holds at 43: the number the pack says ("fewer than
    # N cases") must be the one the periods it names are judged by
    p = 9 / 52
    assert math.floor(9 * (1 - p) / p) + 1 == 44
    assert min_cases_for_fall(p) == 43
    assert fall_can_show([42, 43], p).tolist() == [False, True]
    # and at 1 sigma, p-bar = 1/11: the quotient 10 gives 11 to start from, and the product
    # form holds at 10 already (the first loop steps down, with sigma squared, not doubled)
    assert min_cases_for_fall(1 / 11, sigma=1) == 10
    assert fall_can_show([9, 10], 1 / 11, sigma=1).tolist() == [False, True]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"centre": 0.5, "sigma": 0}, "sigma must be positive; got 0"),
    ({"centre": 1.5}, "centre must be a rate between 0 and 1; got 1.5"),
    ({"centre": -0.1}, "centre must be a rate between 0 and 1; got -0.1"),
])
def test_min_cases_for_fall_refuses_with_the_whole_message(kwargs, message):
    with pytest.raises(ParameterError, match=f"^{message}$"):
        min_cases_for_fall(**kwargs)


# -------------------------------------------------------------------------- trend_readiness


def test_no_periods_is_a_run_chart_with_nothing_else_to_say():
    empty = chart([], math.nan)
    assert trend_readiness(empty) == TrendReadiness(
        points=0, min_points=12, spc_ready=False, more_needed=12, min_cases_for_fall=None,
        fall_hidden=(), sentences=("Only 0 quarters with data: shown as a run chart without "
                                   "a verdict; an SPC chart needs 12 (that is 12 more).",))


def test_one_period_with_one_case_and_one_with_none():
    # p-bar 0.5: 0.5 > 4.5 is false, so the 1-case quarter cannot show a fall; the empty
    # quarter is not a point and not named
    ready = trend_readiness(chart([1, 0], 0.5))
    assert ready == TrendReadiness(
        points=1, min_points=12, spc_ready=False, more_needed=11, min_cases_for_fall=10,
        fall_hidden=(Q[0],),
        sentences=("Only 1 quarter with data: shown as a run chart without a verdict; an SPC "
                   "chart needs 12 (that is 11 more).",
                   "In every quarter the lower limit is 0 (fewer than 10 cases), so a fall "
                   "cannot show as outside the limits there; the rolling four-quarter figures "
                   "show a fall more surely."))


def test_some_periods_too_small_are_counted_and_sigma_is_used():
    # p-bar 0.5, 3 sigma: 10 cases needed, so the 4- and 9-case quarters are named
    ready = trend_readiness(chart([4, 9, 10, 30], 0.5), min_points=1)
    assert ready.spc_ready and ready.more_needed == 0 and ready.min_points == 1
    assert ready.fall_hidden == (Q[0], Q[1]) and ready.min_cases_for_fall == 10
    assert ready.sentences == (
        "In 2 of the quarters the lower limit is 0 (fewer than 10 cases), so a fall cannot "
        "show as outside the limits there; the rolling four-quarter figures show a fall more "
        "surely.",)
    # 2 sigma: 4·0.5 / 0.5 = 4, so 5 cases; only the 4-case quarter is named
    two = trend_readiness(chart([4, 9, 10, 30], 0.5), min_points=1, sigma=2)
    assert two.fall_hidden == (Q[0],) and two.min_cases_for_fall == 5
    assert two.sentences[0].startswith("In 1 of the quarters the lower limit is 0 (fewer "
                                       "than 5 cases)")


def test_the_unit_is_named_in_the_sentences():
    ready = trend_readiness(chart([4], 0.5, ["2025-06"]), unit="months")
    assert ready.sentences[0].startswith("Only 1 month with data")
    assert "the rolling four-month figures" in ready.sentences[1]


@pytest.mark.parametrize("min_points", [0, -3, 1.5, True, "12"])
def test_min_points_must_be_a_positive_whole_number(min_points):
    with pytest.raises(ParameterError, match=rf"^min_points must be a positive whole number; "
                                             rf"got {min_points!r}$"):
        trend_readiness(chart([10], 0.5), min_points=min_points)


def test_a_frame_without_its_columns_names_them():
    with pytest.raises(ParameterError, match=r"^the p-chart frame lacks column\(s\): "
                                             r"denominator, centre$"):
        trend_readiness(pd.DataFrame({"label": Q[:1]}))


def test_negative_denominators_are_named():
    with pytest.raises(ParameterError, match="^denominators must be non-negative whole numbers$"):
        trend_readiness(chart([-2], 0.5))
