"""Tests for audit.measures.engagement. Expected figures are counted by hand (the case-by-case working
is in the comments) or come from statsmodels' Wilson interval called directly here."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from audit.contract import ENGAGEMENT_FUNNEL
from audit.measures import engagement as E
from test_metrics import make_cases

# --------------------------------------------------------------------------------------
# The father-engagement funnel
# --------------------------------------------------------------------------------------


def funnel_cases() -> pd.DataFrame:
    # identified, contacted, seen for eight cases (father_enquiry_beyond_mother absent)
    rows = [
        ("yes", "yes", "yes"),
        ("yes", "yes", "no"),
        ("yes", "no", "no"),
        ("yes", "unknown", "no"),
        ("yes", "yes", "unknown"),
        ("no", "no", "no"),
        ("unknown", "yes", "yes"),
        ("yes", "yes", "yes"),
    ]
    identified, contacted, seen = (list(x) for x in zip(*rows))
    return make_cases(father_identified=identified, father_contacted=contacted, father_seen=seen)


def test_funnel_rates_and_conditional_rates() -> None:
    funnel = E.engagement_funnel(funnel_cases())
    assert list(funnel["flag"]) == ["father_identified", "father_contacted", "father_seen"]
    assert list(funnel["step"]) == [1, 2, 3]
    assert list(funnel["yes"]) == [6, 5, 3]
    assert list(funnel["known"]) == [7, 7, 7]
    assert list(funnel["unknown"]) == [1, 1, 1]
    np.testing.assert_allclose(funnel["rate"], [6 / 7, 5 / 7, 3 / 7])
    # contacted | identified: identified yes = cases 1,2,3,4,5,8; contacted known among them
    # = 1,2,3,5,8 (5); contacted yes = 1,2,5,8 (4).  seen | contacted: contacted yes = 1,2,5,7,8;
    # seen known = 1,2,7,8 (4); seen yes = 1,7,8 (3).
    assert pd.isna(funnel.loc[0, "reached"]) and math.isnan(funnel.loc[0, "step_rate"])
    assert list(funnel["reached"][1:]) == [5, 4]
    assert list(funnel["kept"][1:]) == [4, 3]
    np.testing.assert_allclose(funnel["step_rate"][1:], [0.8, 0.75])
    np.testing.assert_allclose(funnel["drop"][1:], [0.2, 0.25])
    assert list(funnel["previous_flag"][1:]) == ["father_identified", "father_contacted"]
    lo, hi = proportion_confint(3, 4, alpha=0.05, method="wilson")
    assert funnel.loc[2, "step_ci_low"] == pytest.approx(lo) and funnel.loc[2, "step_ci_high"] == pytest.approx(hi)
    lo, hi = proportion_confint(6, 7, alpha=0.05, method="wilson")
    assert funnel.loc[0, "ci_low"] == pytest.approx(lo) and funnel.loc[0, "ci_high"] == pytest.approx(hi)


def test_biggest_drop() -> None:
    drop = E.biggest_drop(E.engagement_funnel(funnel_cases()))
    assert drop is not None
    assert drop["flag"] == "father_seen" and drop["previous_flag"] == "father_contacted"
    assert (drop["reached"], drop["kept"], drop["lost"]) == (4, 3, 1)
    assert drop["drop"] == pytest.approx(0.25)
    assert drop["label"] == "Father seen" and drop["previous_label"] == "Father contacted"


def test_biggest_drop_ties_and_nothing_to_drop() -> None:
    tie = make_cases(father_identified=["yes", "yes"], father_contacted=["yes", "no"],
                     father_seen=["yes", "no"])
    # contacted|identified = 1/2, seen|contacted = 1/1: the drop is at contacted
    assert E.biggest_drop(E.engagement_funnel(tie))["flag"] == "father_contacted"
    even = make_cases(father_identified=["yes", "yes"], father_contacted=["yes", "no"],
                      father_seen=["no", "no"])
    # contacted: 1/2 lost half; seen: 0/1 lost all
    assert E.biggest_drop(E.engagement_funnel(even))["flag"] == "father_seen"
    assert E.biggest_drop(E.engagement_funnel(make_cases(father_seen=["yes"]))) is None
    assert E.engagement_funnel(make_cases(domestic_abuse=["yes"])).empty
    assert E.biggest_drop(E.engagement_funnel(make_cases(domestic_abuse=["yes"]))) is None
    nobody = make_cases(father_identified=["no", "no"], father_contacted=["no", "no"])
    assert E.biggest_drop(E.engagement_funnel(nobody)) is None


def test_nesting_of_the_engagement_steps() -> None:
    # funnel_cases(): case 7 is contacted (and seen) while identification is "unknown", a
    # later step recorded without the one before; every "seen" case was contacted
    nesting = E.engagement_nesting(funnel_cases())
    assert not nesting.nested
    assert nesting.breaks == {"father_contacted": 1, "father_seen": 0}
    # rates 6/7, 5/7, 3/7: the lowest step is "seen"
    assert (nesting.lowest_flag, nesting.lowest_label) == ("father_seen", "Father seen")
    assert nesting.lowest_rate == pytest.approx(3 / 7)
    funnel = E.engagement_funnel(funnel_cases())
    assert E.engagement_headline(funnel, nesting) == (
        "The lowest step is 'Father seen', done in 42.9% of the cases where it was recorded. "
        "The steps are not nested in these records (a later step is often recorded without "
        "the one before), so no step is said to lose cases from the one before.")
    nested = make_cases(father_identified=["yes", "yes", "yes", "no"],
                        father_contacted=["yes", "yes", "no", "no"],
                        father_seen=["yes", "no", "no", "unknown"])
    nesting = E.engagement_nesting(nested)
    assert nesting.nested and nesting.breaks == {"father_contacted": 0, "father_seen": 0}
    funnel = E.engagement_funnel(nested)
    # contacted | identified = 2/3 (lost 1/3), seen | contacted = 1/2 (lost 1/2): drop at seen
    assert E.engagement_headline(funnel, nesting) == (
        "The biggest drop is at 'Father seen' (50.0% of the cases at the step before were "
        "lost); the steps are nested in these records, so each is a share of the cases that "
        "reached the one before.")
    board = funnel.astype(object)
    board.loc[2, "drop"] = "c"
    board_text = E.engagement_headline(funnel, nesting, shown=board)
    assert board_text.startswith("The biggest drop is at 'Father seen' (the figure rests on small")
    one = E.engagement_nesting(make_cases(father_seen=["yes"]))
    assert not one.nested and one.breaks == {} and one.lowest_flag == "father_seen"
    none = E.engagement_nesting(make_cases(domestic_abuse=["yes"]))
    assert none.lowest_flag is None
    assert E.engagement_headline(E.engagement_funnel(make_cases(domestic_abuse=["yes"])),
                                 none) == "No father-engagement step has a recorded answer."


def test_funnel_follows_contract_order() -> None:
    columns = {flag: ["yes"] for flag in reversed(ENGAGEMENT_FUNNEL)}
    funnel = E.engagement_funnel(make_cases(**columns))
    assert list(funnel["flag"]) == list(ENGAGEMENT_FUNNEL)



def test_public_api_is_declared() -> None:
    for name in E.__all__:
        assert hasattr(E, name), name
