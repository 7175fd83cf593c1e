"""audit.measures.spc: p-chart limits and flags, the plain-English reading, funnel limits and tables.

Expected values are worked out by hand (the arithmetic is written out beside each) or
computed here directly from scipy.stats / math.comb, never by calling the code under test.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from audit.errors import ParameterError
from audit.measures.metrics import metrics_from_counts
from audit.measures.spc import (
    MIN_SPC_POINTS,
    as_counts,
    funnel_limits,
    funnel_table,
    level_suffix,
    p_chart,
    shifts,
    spc_reading,
)
from audit.measures.spc_readiness import fall_can_show, min_cases_for_fall, trend_readiness

Q = [f"{y}-Q{q}" for y in (2022, 2023, 2024, 2025, 2026) for q in (1, 2, 3, 4)]


# --------------------------------------------------------------------------- p-chart limits


def test_p_chart_limits_by_hand():
    # 2/10, 5/20, 3/10, 10/40: p-bar = 20/80 = 0.25; sqrt(0.25 * 0.75) = sqrt(0.1875) = 0.4330127
    # n=10: se = 0.4330127/sqrt(10) = 0.1369306; 3se = 0.4107919 -> lower 0 (clipped), upper 0.6607919
    # n=20: se = 0.0968246; 3se = 0.2904738 -> lower 0 (clipped from -0.0404738), upper 0.5404738
    # n=40: se = 0.0684653; 3se = 0.2053960 -> lower 0.0446040, upper 0.4553960
    chart = p_chart([2, 5, 3, 10], [10, 20, 10, 40], Q[:4])
    assert list(chart.columns) == ["label", "numerator", "denominator", "rate", "centre", "sigma",
                                   "lower", "upper", "side", "run_length", "outside", "run",
                                   "special_cause"]
    assert chart["centre"].tolist() == pytest.approx([0.25] * 4)
    assert chart["rate"].tolist() == pytest.approx([0.2, 0.25, 0.3, 0.25])
    assert chart["sigma"].tolist() == pytest.approx([0.1369306, 0.0968246, 0.1369306, 0.0684653],
                                                    abs=1e-7)
    assert chart["lower"].tolist() == pytest.approx([0.0, 0.0, 0.0, 0.0446040], abs=1e-7)
    assert chart["upper"].tolist() == pytest.approx([0.6607919, 0.5404738, 0.6607919, 0.4553960],
                                                    abs=1e-7)
    # 5/20 and 10/40 are exactly on the centre line: side 0, in no run
    assert chart["side"].tolist() == [-1, 0, 1, 0]
    assert chart["run_length"].tolist() == [1, 0, 1, 0]
    assert not chart["special_cause"].any()
    assert chart["numerator"].dtype == np.int64


def test_point_outside_the_upper_limit():
    # five quarters of 50/100 and one of 90/100: p-bar = 340/600 = 0.5666667
    # se = sqrt(0.5666667 * 0.4333333 / 100) = 0.0495536; 3se = 0.1486607
    # limits 0.4180060 to 0.7153274: 0.9 is above, 0.5 is inside
    chart = p_chart([50] * 5 + [90], [100] * 6, Q[:6])
    assert chart["upper"].iloc[0] == pytest.approx(0.7153274, abs=1e-7)
    assert chart["lower"].iloc[0] == pytest.approx(0.4180060, abs=1e-7)
    assert chart["outside"].tolist() == [False] * 5 + [True]
    assert chart["run"].tolist() == [False] * 6
    assert chart["special_cause"].tolist() == [False] * 5 + [True]
    assert spc_reading(chart) == "a point outside the limits in 2023-Q2 (above the upper limit)"


def test_points_below_the_lower_limit_and_a_clipped_limit_is_not_crossed():
    # 0/10 against a lower limit clipped to 0 is not outside; 0/100 is far below 0.418
    chart = p_chart([0, 60, 60, 0], [10, 100, 100, 100], Q[:4])
    # p-bar = 120/310 = 0.3870968; n=10: 3se = 3*sqrt(0.3870968*0.6129032/10) = 0.4620... -> 0
    assert chart["lower"].iloc[0] == 0.0
    assert chart["outside"].tolist() == [False, True, True, True]
    assert spc_reading(chart) == (
        "points outside the limits in 2022-Q2 (above the upper limit), 2022-Q3 (above the upper "
        "limit) and 2022-Q4 (below the lower limit)")


# --------------------------------------------------------------------------- runs


def test_run_of_seven_on_each_side():
    # 7 quarters of 60/100 then 7 of 40/100: p-bar = 0.5; 3se = 3*sqrt(0.25/100) = 0.15,
    # limits 0.35 to 0.65, so no point is outside: only the two runs are special causes
    chart = p_chart([60] * 7 + [40] * 7, [100] * 14, Q[:14])
    assert chart["lower"].iloc[0] == pytest.approx(0.35)
    assert chart["upper"].iloc[0] == pytest.approx(0.65)
    assert not chart["outside"].any()
    assert chart["run"].all()
    assert chart["run_length"].tolist() == [7] * 14
    assert chart["special_cause"].all()
    assert spc_reading(chart) == (
        "a shift from 2022-Q1 to 2023-Q3 (7 quarters in a row above the average) and a shift "
        "since 2023-Q4 (7 quarters in a row below the average)")


def test_run_of_six_is_not_a_shift():
    chart = p_chart([60] * 6 + [40] * 6, [100] * 12, Q[:12])
    assert not chart["run"].any()
    assert spc_reading(chart) == "common-cause variation only"


def test_point_on_the_centre_line_breaks_a_run():
    # above x3, on the line, above x4, below x7, on the line:
    # total 60*7 + 50 + 40*7 + 50 = 800 of 1600 -> p-bar = 0.5 exactly
    nums = [60, 60, 60, 50, 60, 60, 60, 60, 40, 40, 40, 40, 40, 40, 40, 50]
    chart = p_chart(nums, [100] * 16, Q[:16])
    assert chart["centre"].iloc[0] == 0.5
    assert chart["side"].tolist() == [1, 1, 1, 0, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1, 0]
    # 3 + 4 points above would be 7 if the point on the line were skipped: it is not a run
    assert chart["run"].tolist() == [False] * 8 + [True] * 7 + [False]
    assert spc_reading(chart) == (
        "a shift from 2024-Q1 to 2025-Q3 (7 quarters in a row below the average)")


def test_quarter_without_cases_breaks_a_run_and_has_no_limits():
    nums = [60, 60, 60, 0, 60, 60, 60, 60, 40, 40, 40, 40, 40, 40, 40]
    dens = [100, 100, 100, 0] + [100] * 11
    chart = p_chart(nums, dens, Q[:15])
    # p-bar = (60*7 + 40*7) / 1400 = 0.5
    assert chart["centre"].iloc[0] == 0.5
    assert np.isnan(chart.loc[3, "rate"]) and np.isnan(chart.loc[3, "upper"])
    assert chart.loc[3, "side"] == 0 and not chart.loc[3, "outside"]
    assert chart["run"].tolist() == [False] * 8 + [True] * 7
    assert spc_reading(chart).startswith("a shift since 2024-Q1 (7 quarters in a row below")


def test_run_and_outside_together_and_short_series_caveat():
    chart = p_chart([8, 9, 10, 11], [20] * 4, Q[:4])
    assert spc_reading(chart) == ("common-cause variation only; only 4 quarters with data, too "
                                  "few to detect a shift")
    assert spc_reading(p_chart([0], [0], ["2025-Q1"])) == "no data to read"


@pytest.mark.parametrize(("arguments", "keywords", "message"), [
    (([1, 2], [3], ["a", "b"]), {},
     "numerators (2), denominators (1) and labels (2) must have the same length"),
    (([5], [4], ["a"]), {}, "a numerator exceeds its denominator"),
    (([1, 1], [2, 2], ["a", "a"]), {}, "period labels must be unique"),
    ((["c", 1], [2, 2], ["a", "b"]), {},
     "numerators holds a suppressed value ('c'): SPC and funnel limits need the "
     "unsuppressed (analyst) counts; suppress the result instead"),
    (([1, 1], ["c", 2], ["a", "b"]), {},
     "denominators holds a suppressed value ('c'): SPC and funnel limits need the "
     "unsuppressed (analyst) counts; suppress the result instead"),
    (([1.5], [2], ["a"]), {}, "numerators must be non-negative whole numbers"),
    (([-1], [2], ["a"]), {}, "numerators must be non-negative whole numbers"),
    (([1], [2.5], ["a"]), {}, "denominators must be non-negative whole numbers"),
    (([1], [2], ["a"]), {"run_length": 1}, "run_length must be a whole number of 2 or more; got 1"),
    (([1], [2], ["a"]), {"run_length": True},
     "run_length must be a whole number of 2 or more; got True"),
    (([1], [2], ["a"]), {"sigma": 0}, "sigma must be positive; got 0"),
])
def test_p_chart_rejects_bad_input(arguments, keywords, message):
    # the whole message, once per case: what the analyst reads is part of the behaviour
    with pytest.raises(ParameterError, match=f"^{re.escape(message)}$"):
        p_chart(*arguments, **keywords)


# --------------------------------------------------------------------------- funnel limits


def _spiegelhalter(n: int, theta: float, p: float) -> float:
    """Independent reference, transcribed from Spiegelhalter's ``qbinom.interp`` (R package
    ``funnel``, github.com/gmp26/funnel, R/funnel4.R): ``p`` is the tail probability; a
    cumulative ``p`` above one half is the upper tail, ``(r + 1 - alpha)/n``. The CDF is
    searched term by term here instead of calling ``binom.ppf``."""
    upper = p > 0.5
    cdf = [stats.binom.cdf(r, n, theta) for r in range(n + 1)]
    r_p = next(r for r in range(n + 1) if cdf[r] >= p)
    alpha = (cdf[r_p] - p) / stats.binom.pmf(r_p, n, theta)
    return min(1.0, max(0.0, (r_p + (1 if upper else 0) - alpha) / n))


def test_funnel_limits_hand_worked_example():
    # Binomial(10, 0.5): P(R<=1) = 11/1024, P(R<=2) = 56/1024, P(R<=7) = 968/1024,
    # P(R<=8) = 1013/1024.
    # upper 95% (p = 0.975): r_p = 8; alpha = (1013 - 998.4) / 45 = 0.3244444;
    #   limit = (8 + 1 - 0.3244444) / 10 = 0.8675556 (Spiegelhalter's upper tail)
    # lower 95% (p = 0.025): r_p = 2; alpha = (56 - 25.6) / 45 = 0.6755556;
    #   limit = (2 - 0.6755556) / 10 = 0.1324444
    limits = funnel_limits([10], 0.5, levels=(0.95,))
    assert list(limits.columns) == ["denominator", "target", "lower_95", "upper_95"]
    assert limits["upper_95"].iloc[0] == pytest.approx(0.8675556, abs=1e-7)
    assert limits["lower_95"].iloc[0] == pytest.approx(0.1324444, abs=1e-7)
    # a symmetric binomial gives symmetric limits: 0.1324444 + 0.8675556 = 1
    # the combinatorics behind the hand figures
    assert sum(math.comb(10, r) for r in range(3)) == 56
    assert sum(math.comb(10, r) for r in range(9)) == 1013


@pytest.mark.parametrize("theta", [0.08, 0.35, 0.5, 0.88])
def test_funnel_limits_match_an_independent_scipy_computation(theta):
    ns = [1, 3, 7, 12, 25, 40, 92, 250]
    limits = funnel_limits(ns, theta)
    assert list(limits.columns) == ["denominator", "target", "lower_95", "upper_95",
                                    "lower_99_8", "upper_99_8"]
    for i, n in enumerate(ns):
        assert limits.loc[i, "lower_95"] == pytest.approx(_spiegelhalter(n, theta, 0.025), abs=1e-9)
        assert limits.loc[i, "upper_95"] == pytest.approx(_spiegelhalter(n, theta, 0.975), abs=1e-9)
        assert limits.loc[i, "lower_99_8"] == pytest.approx(_spiegelhalter(n, theta, 0.001),
                                                            abs=1e-9)
        assert limits.loc[i, "upper_99_8"] == pytest.approx(_spiegelhalter(n, theta, 0.999),
                                                            abs=1e-9)
    # the funnel narrows and the 99.8% limits lie outside the 95% ones
    assert (limits["upper_99_8"] >= limits["upper_95"]).all()
    assert (limits["lower_99_8"] <= limits["lower_95"]).all()
    assert limits["upper_95"].iloc[-1] < limits["upper_95"].iloc[2]


def test_funnel_limits_normal_method_and_edges():
    # normal: 0.4 +- 1.959964 * sqrt(0.24/50) = 0.4 +- 0.1357896
    normal = funnel_limits([50, 0], 0.4, levels=(0.95,), method="normal")
    assert normal.loc[0, "lower_95"] == pytest.approx(0.4 - 1.959964 * math.sqrt(0.24 / 50),
                                                      abs=1e-6)
    assert normal.loc[0, "upper_95"] == pytest.approx(0.5357896, abs=1e-6)
    assert np.isnan(normal.loc[1, "lower_95"])  # no cases, no limits
    edge = funnel_limits([20], 0.0)
    assert edge.loc[0, "lower_95"] == 0.0 and edge.loc[0, "upper_99_8"] == 0.0
    assert level_suffix(0.998) == "99_8" and level_suffix(0.9) == "90"
    with pytest.raises(ValueError, match="method"):
        funnel_limits([10], 0.5, method="poisson")
    with pytest.raises(ValueError, match="target"):
        funnel_limits([10], 1.5)


# --------------------------------------------------------------------------- funnel table


def _by_partnership(rows) -> pd.DataFrame:
    counts = pd.DataFrame(rows, columns=["partnership", "metric", "numerator", "denominator",
                                         "unknown"])
    return metrics_from_counts(counts)


def test_funnel_table_pooled_target_and_flags():
    table = _by_partnership([
        ("Northbridge", "engagement.seen", 10, 40, 0),
        ("Eastmere", "engagement.seen", 30, 50, 0),
        ("Westvale", "engagement.seen", 4, 30, 12),
        ("Southport", "engagement.seen", 60, 90, 0),
        ("Kingsmoor", "engagement.seen", 20, 44, 9),
        ("Kingsmoor", "risk.domestic_abuse", 20, 44, 9),
    ])
    funnel = funnel_table(table, "engagement.seen")
    assert funnel["partnership"].tolist() == ["Northbridge", "Eastmere", "Westvale", "Southport",
                                              "Kingsmoor"]
    pooled = (10 + 30 + 4 + 60 + 20) / (40 + 50 + 30 + 90 + 44)  # 124 / 254
    assert funnel["target"].tolist() == pytest.approx([pooled] * 5)
    assert set(funnel["target_basis"]) == {"pooled"}
    for i, (num, den) in enumerate([(10, 40), (30, 50), (4, 30), (60, 90), (20, 44)]):
        low95, high95 = _spiegelhalter(den, pooled, 0.025), _spiegelhalter(den, pooled, 0.975)
        low998, high998 = _spiegelhalter(den, pooled, 0.001), _spiegelhalter(den, pooled, 0.999)
        rate = num / den
        assert funnel.loc[i, "upper_99_8"] == pytest.approx(high998, abs=1e-9)
        assert bool(funnel.loc[i, "outside_95"]) == (rate < low95 or rate > high95)
        assert bool(funnel.loc[i, "outside_99_8"]) == (rate < low998 or rate > high998)
    assert funnel["position"].tolist() == [
        "below the lower 95% limit", "within the limits", "below the lower 99.8% limit",
        "above the upper 99.8% limit", "within the limits"]


def test_funnel_table_national_and_given_targets():
    table = _by_partnership([("A", "risk.domestic_abuse", 20, 40, 0),
                             ("B", "risk.domestic_abuse", 0, 0, 3)])
    national = funnel_table(table, "risk.domestic_abuse", target="national")
    assert national["target"].iloc[0] == pytest.approx(59 / 92)
    assert national["target_basis"].iloc[0] == "national"
    assert national.loc[1, "position"] == "no cases recorded"
    assert not national.loc[1, "outside_95"]
    given = funnel_table(table, "risk.domestic_abuse", target=0.5)
    assert given["target_basis"].iloc[0] == "given" and given.loc[0, "position"] == \
        "within the limits"
    with pytest.raises(ValueError, match="no figure"):
        funnel_table(_by_partnership([("A", "engagement.seen", 1, 2, 0)]), "engagement.seen",
                     target="national")
    with pytest.raises(ValueError, match="not in the metrics table"):
        funnel_table(table, "engagement.seen")


# --------------------------------------------------------------------------- funnel coverage


def test_exact_limits_are_symmetric_at_a_fifty_percent_target_for_every_n():
    ns = np.arange(1, 201)
    limits = funnel_limits(ns, 0.5)
    for level in ("95", "99_8"):
        lower, upper = limits[f"lower_{level}"].to_numpy(), limits[f"upper_{level}"].to_numpy()
        np.testing.assert_allclose(lower + upper, 1.0, rtol=0, atol=1e-12)


@pytest.mark.parametrize("theta", [0.054, 0.1, 0.2, 0.346, 0.481, 0.5, 0.641, 0.88, 0.95])
def test_false_alarm_rate_of_the_exact_limits_is_at_most_nominal_on_each_side(theta):
    # Exact binomial sums, computed here with scipy: P(rate > upper) and P(rate < lower) for a
    # partnership whose true rate is the target, at every n up to 200.
    ns = np.arange(1, 201)
    limits = funnel_limits(ns, theta)
    for level, tail in (("95", 0.025), ("99_8", 0.001)):
        for n, low, high in zip(ns, limits[f"lower_{level}"], limits[f"upper_{level}"]):
            x = np.arange(n + 1)
            pmf = stats.binom.pmf(x, n, theta)
            above = pmf[x / n > high].sum()
            below = pmf[x / n < low].sum()
            assert above <= tail + 1e-12, (level, n, above)
            assert below <= tail + 1e-12, (level, n, below)


def test_the_old_upper_limit_would_have_failed_that_check():
    # Issue 11: with (r - alpha)/n for the upper tail, target 0.346 and n = 8 flagged 10.2%
    # "above". The same sum under the corrected limit: at most 2.5%.
    n, theta = 8, 0.346
    high = funnel_limits([n], theta, levels=(0.95,))["upper_95"].iloc[0]
    x = np.arange(n + 1)
    assert stats.binom.pmf(x, n, theta)[x / n > high].sum() <= 0.025
    r = int(stats.binom.ppf(0.975, n, theta))
    old = (r - (stats.binom.cdf(r, n, theta) - 0.975) / stats.binom.pmf(r, n, theta)) / n
    assert stats.binom.pmf(x, n, theta)[x / n > old].sum() == pytest.approx(0.102, abs=5e-4)


def test_wilson_method_is_the_score_test_boundary():
    # theta +- z sqrt(theta(1 - theta)/n), z from the normal quantile (computed here)
    n = np.array([1, 10, 44, 300])
    limits = funnel_limits(n, 0.481, method="wilson")
    for level, p in (("95", 0.975), ("99_8", 0.999)):
        z = stats.norm.ppf(p)
        half = z * np.sqrt(0.481 * 0.519 / n)
        np.testing.assert_allclose(limits[f"lower_{level}"], np.clip(0.481 - half, 0, 1),
                                   rtol=0, atol=1e-15)
        np.testing.assert_allclose(limits[f"upper_{level}"], np.clip(0.481 + half, 0, 1),
                                   rtol=0, atol=1e-15)
    # the score test: at the limit q, (q - theta)^2 = z^2 theta (1 - theta) / n
    q = limits["upper_95"].iloc[1]
    assert (q - 0.481) ** 2 == pytest.approx(stats.norm.ppf(0.975) ** 2 * 0.481 * 0.519 / 10)
    # "normal" is the same formula under its textbook name
    pd.testing.assert_frame_equal(limits, funnel_limits(n, 0.481, method="normal"))
    # and at a 48.1% target and 10 cases the exact and Wilson limits differ by points
    exact = funnel_limits([10], 0.481, levels=(0.95,))
    assert exact["upper_95"].iloc[0] - limits["upper_95"].iloc[1] > 0.05


def test_funnel_table_can_use_the_wilson_method():
    # target 0.2, n = 10: Wilson upper 0.2 + 1.959964 * 0.126491 = 0.447923; the exact
    # binomial upper is (5 + 1 - alpha)/10 with P(R <= 5) = 0.9936306176, P(R = 5) = 0.0264241152,
    # alpha = 0.0186306176/0.0264241152 = 0.7050606, so 0.5294939: 5 of 10 is "above" one only
    table = _by_partnership([("A", "engagement.seen", 0, 10, 0),
                             ("B", "engagement.seen", 5, 10, 0)])
    wilson = funnel_table(table, "engagement.seen", target=0.2, method="wilson")
    half = stats.norm.ppf(0.975) * math.sqrt(0.2 * 0.8 / 10)
    assert wilson.loc[1, "upper_95"] == pytest.approx(0.2 + half)
    assert wilson["position"].tolist() == ["within the limits", "above the upper 95% limit"]
    exact = funnel_table(table, "engagement.seen", target=0.2)
    assert exact.loc[1, "upper_95"] == pytest.approx(0.5294939, abs=1e-7)
    assert exact["position"].tolist() == ["within the limits", "within the limits"]


# --------------------------------------------------------------------------- what a chart can show


def test_shifts_mark_every_point_of_a_run_and_break_on_the_line():
    assert shifts([6, 6, 6, 6, 6, 6, 6, 5], 5).tolist() == [1] * 7 + [0]
    assert shifts([4] * 6 + [5], 5).tolist() == [0] * 7
    assert shifts([6, 6, np.nan, 6, 6], 5, run_length=3).tolist() == [0] * 5
    assert shifts([6, 7, 8], [5, 6, 9], run_length=2).tolist() == [1, 1, 0]
    with pytest.raises(ParameterError, match="run_length"):
        shifts([1, 2], 1, run_length=0)


def test_fall_can_show_only_when_the_lower_limit_leaves_zero():
    # p-bar = 0.25: 9 (1 - 0.25) / 0.25 = 27, so n must exceed 27
    assert fall_can_show([0, 10, 27, 28, 100], 0.25).tolist() == [False, False, False, True,
                                                                    True]
    assert min_cases_for_fall(0.25) == 28
    # father seen in the sample, p-bar = 133/384: 9 * 251 / 133 = 16.98..., so 17 cases
    assert min_cases_for_fall(133 / 384) == 17
    assert min_cases_for_fall(0.0) is None
    # checked against the p-chart itself: at n = 28 the lower limit is above 0, at 27 it is 0
    # (7 + 9) / (27 + 37) = 0.25; at n = 27 the limit is 0.25 - 3 * 0.25/3 = 0 (up to rounding)
    chart = p_chart([7, 9], [27, 37], Q[:2])
    assert chart["centre"].iloc[0] == 0.25
    assert chart["lower"].iloc[0] < 1e-12 and chart["lower"].iloc[1] > 0.03
    assert not fall_can_show([5], 0.0).any()


def test_trend_readiness_says_run_chart_and_where_a_fall_cannot_show():
    chart = p_chart([3, 4], [10, 12], Q[:2])
    ready = trend_readiness(chart)
    assert ready.points == 2 and not ready.spc_ready and ready.more_needed == MIN_SPC_POINTS - 2
    assert ready.fall_hidden == (Q[0], Q[1])
    assert ready.min_cases_for_fall == min_cases_for_fall(7 / 22)
    assert ready.sentences[0] == ("Only 2 quarters with data: shown as a run chart without a "
                                  "verdict; an SPC chart needs 12 (that is 10 more).")
    assert ready.sentences[1].startswith("In every quarter the lower limit is 0 (fewer than")
    big = p_chart([40] * 12 + [0], [100] * 12 + [0], Q[:13])
    ready = trend_readiness(big)
    assert ready.spc_ready and ready.more_needed == 0 and ready.fall_hidden == ()
    assert ready.sentences == ()
    assert MIN_SPC_POINTS == 12


# --------------------------------------------------------------------------- clipped limits


def test_a_rate_on_a_clipped_upper_funnel_limit_is_not_outside():
    # A 10/10, B 80/90: pooled target 90/100 = 0.9. At n = 10 the 97.5% and 99.9% binomial
    # quantiles are r = 10 (P(R <= 9) = 1 - 0.9^10 = 0.651), so both upper limits
    # (r + 1 - alpha)/n are above 1 and clipped to 1: A, at 100%, is on them (issue 24).
    funnel = funnel_table(_by_partnership([("A", "engagement.seen", 10, 10, 0),
                                           ("B", "engagement.seen", 80, 90, 0)]),
                          "engagement.seen")
    a = funnel.iloc[0]
    assert a["target"] == pytest.approx(0.9)
    assert a["upper_95"] == 1.0 and a["upper_99_8"] == 1.0 and a["rate"] == 1.0
    assert not a["outside_95"] and not a["outside_99_8"]
    assert a["position"] == "within the limits"


def test_a_rate_on_a_clipped_lower_funnel_limit_is_not_outside():
    # a given target of 0.1 at n = 10: P(R = 0) = 0.9^10 = 0.349 >= 0.025, so r = 0 and the
    # lower limits (r - alpha)/n are below 0, clipped to 0: 0 of 10 is on them
    funnel = funnel_table(_by_partnership([("C", "engagement.seen", 0, 10, 0)]),
                          "engagement.seen", 0.1)
    c = funnel.iloc[0]
    assert c["lower_95"] == 0.0 and c["lower_99_8"] == 0.0 and c["rate"] == 0.0
    assert not c["outside_95"] and not c["outside_99_8"]
    assert c["position"] == "within the limits"


def test_a_rate_on_a_clipped_upper_p_chart_limit_is_not_outside():
    # 9/10 in five quarters and 10/10 in one: p-bar = 55/60 = 0.9167; n = 10:
    # 3 sqrt(0.9167 x 0.0833 / 10) = 0.262, so the upper limit is clipped to 1: 10/10 is on it
    chart = p_chart([9] * 5 + [10], [10] * 6, Q[:6])
    assert chart["upper"].iloc[-1] == 1.0 and chart["rate"].iloc[-1] == 1.0
    assert not chart["outside"].any()


# --------------------------------------------------------------------------- mutation survivors
# Each test below kills mutmut survivors of `make mutate` on spc.py (benchmarks/mutation.md
# names them). Expected values are worked by hand beside each; refusals match the whole message.

COUNTS_REFUSED = "holds a suppressed value ('c'): SPC and funnel limits need the unsuppressed " \
    "(analyst) counts; suppress the result instead"


def test_as_counts_gives_floats():
    counts = as_counts([1, 2, 0], "counts")
    assert counts.dtype == np.float64 and counts.tolist() == [1.0, 2.0, 0.0]


@pytest.mark.parametrize(("values", "message"), [
    (["x"], "counts must be whole numbers"),
    ([[1, 2], [3]], "counts must be whole numbers"),  # a ragged list is not counts either
    ([1, float("nan")], "counts must not be missing"),
])
def test_as_counts_refusals(values, message):
    with pytest.raises(ParameterError, match=f"^{re.escape(message)}$"):
        as_counts(values, "counts")


@pytest.mark.parametrize(("levels", "message"), [
    ((0,), "a funnel level must be strictly between 0 and 1 (e.g. 0.95 or 0.998); got 0"),
    ((1,), "a funnel level must be strictly between 0 and 1 (e.g. 0.95 or 0.998); got 1"),
    ((1.5,), "a funnel level must be strictly between 0 and 1 (e.g. 0.95 or 0.998); got 1.5"),
    ((), "give at least one funnel level, e.g. (0.95, 0.998)"),
    ((0.95, 0.95), "a funnel level is listed twice"),
])
def test_funnel_levels_refused_one_at_a_time(levels, message):
    with pytest.raises(ParameterError, match=f"^{re.escape(message)}$"):
        funnel_limits([10], 0.5, levels=levels)


@pytest.mark.parametrize(("arguments", "message"), [
    (([10], "abc"), "target must be a rate between 0 and 1; got 'abc'"),
    (([10], 1.5), "target must be a rate between 0 and 1; got 1.5"),
    ((["c"], 0.5), "denominators " + COUNTS_REFUSED),
    (([10], 0.5, (0.95,), "poisson"), "method must be one of exact, wilson, normal; got 'poisson'"),
])
def test_funnel_limits_refusals(arguments, message):
    with pytest.raises(ParameterError, match=f"^{re.escape(message)}$"):
        funnel_limits(*arguments[:3], **({"method": arguments[3]} if len(arguments) > 3 else {}))


def test_funnel_limits_at_a_target_of_one_and_the_target_column():
    # a target of exactly 1: no variation is possible, every limit is 1 (module docstring)
    limits = funnel_limits([20, 5], 1.0)
    for column in ("lower_95", "upper_95", "lower_99_8", "upper_99_8"):
        assert limits[column].tolist() == [1.0, 1.0]
    assert funnel_limits([20, 5], 0.3)["target"].tolist() == [0.3, 0.3]
    assert limits["denominator"].dtype == np.int64 and limits["target"].dtype == np.float64


def test_shifts_arguments_and_the_centre_line_tolerance():
    for bad in (True, 2.5):
        with pytest.raises(ParameterError, match=re.escape(
                f"run_length must be a whole number of 1 or more; got {bad!r}") + "$"):
            shifts([6, 6], 5, run_length=bad)
    with pytest.raises(ParameterError,
                       match="^values and centre must be numbers of matching length$"):
        shifts([1, 2, 3], [1, 2])
    # a run of 1: every point off the line is its own shift
    assert shifts([6, 4, 6], 5, run_length=1).tolist() == [1, -1, 1]
    # a missing value (None) in the values or in the centre is a point on neither side
    assert shifts([6, None, 6], 5, run_length=1).tolist() == [1, 0, 1]
    assert shifts([6, 6, 6], [5, None, 5], run_length=1).tolist() == [1, 0, 1]
    # within 1e-12 of the centre is on the line: 0.1 + 0.2 is 0.30000000000000004
    assert shifts([0.1 + 0.2] * 7, 0.3).tolist() == [0] * 7
    # exactly 1e-12 away is still on the line; 2e-12 is not
    assert shifts([1e-12] * 7, 0.0).tolist() == [0] * 7
    assert shifts([2e-12] * 7, 0.0).tolist() == [1] * 7


@pytest.mark.parametrize(("keywords", "message"), [
    ({"run_length": 2.5}, "run_length must be a whole number of 2 or more; got 2.5"),
])
def test_p_chart_refuses_a_fractional_run_length(keywords, message):
    with pytest.raises(ParameterError, match=f"^{re.escape(message)}$"):
        p_chart([1], [2], ["a"], **keywords)


def test_p_chart_run_length_two_and_one_sigma_limits():
    # 6/10, 6/10, 4/10: p-bar = 16/30; sides +1, +1, -1: a run of 2 is a shift at run_length 2
    chart = p_chart([6, 6, 4], [10, 10, 10], Q[:3], run_length=2)
    assert chart["run"].tolist() == [True, True, False]
    assert chart["run_length"].tolist() == [2, 2, 1]
    # 2/10 and 8/10: p-bar 0.5, se = sqrt(0.25/10) = 0.1581139; 1-sigma limits
    # 0.3418861 to 0.6581139, both points outside; at 3 sigma (0.0256584 to 0.9743416) neither
    one = p_chart([2, 8], [10, 10], Q[:2], sigma=1)
    assert one["lower"].tolist() == pytest.approx([0.3418861] * 2, abs=1e-7)
    assert one["upper"].tolist() == pytest.approx([0.6581139] * 2, abs=1e-7)
    assert one["outside"].tolist() == [True, True]
    assert not p_chart([2, 8], [10, 10], Q[:2])["outside"].any()


def test_p_chart_with_quarters_of_one_case():
    # 1/1, 0/0, 3/9: p-bar = 4/10 = 0.4; the one-case quarter has data (rate 1.0), its
    # se sqrt(0.24/1) = 0.4898979, upper 0.4 + 1.4696938 clipped to 1: on the limit, not outside
    chart = p_chart([1, 0, 3], [1, 0, 9], Q[:3])
    assert chart["centre"].iloc[0] == pytest.approx(0.4)
    assert chart["rate"].iloc[0] == 1.0 and np.isnan(chart["rate"].iloc[1])
    assert chart["sigma"].iloc[0] == pytest.approx(0.4898979, abs=1e-7)
    assert chart["upper"].iloc[0] == 1.0 and not chart["outside"].any()
    assert chart["side"].tolist() == [1, 0, -1]
    # one quarter of one case: p-bar = 1/1; the reading says "1 quarter", singular
    single = p_chart([1], [1], ["2025-Q1"])
    assert single["centre"].tolist() == [1.0]
    assert spc_reading(single) == ("common-cause variation only; only 1 quarter with data, too "
                                   "few to detect a shift")


def test_an_empty_chart_is_read_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        chart = p_chart([0, 0], [0, 0], Q[:2])
        assert np.isnan(chart["centre"]).all()
        assert spc_reading(chart) == "no data to read"


P_CHART_DTYPES = {"label": "str", "numerator": "int64", "denominator": "int64",
                  "rate": "float64", "centre": "float64", "sigma": "float64",
                  "lower": "float64", "upper": "float64", "side": "int64",
                  "run_length": "int64", "outside": "bool", "run": "bool",
                  "special_cause": "bool"}


@pytest.mark.parametrize("counts", [([2, 5, 3], [10, 20, 10]), ([], [])])
def test_p_chart_column_types(counts):
    chart = p_chart(*counts, Q[:len(counts[0])])
    assert {c: str(t) for c, t in chart.dtypes.items()} == P_CHART_DTYPES


def test_spc_reading_names_the_missing_columns():
    chart = p_chart([2, 5], [10, 20], Q[:2])
    with pytest.raises(ParameterError,
                       match="^" + re.escape("the p-chart frame lacks column(s): lower, upper")
                       + "$"):
        spc_reading(chart.drop(columns=["upper", "lower"]))


def test_spc_reading_finds_a_run_that_starts_at_the_second_quarter():
    # 50, then 60 x7, then 40 x7 (of 100): p-bar 750/1500 = 0.5; the first point is on the
    # line, so the runs are quarters 2-8 (above) and 9-15 (below)
    chart = p_chart([50] + [60] * 7 + [40] * 7, [100] * 15, Q[:15])
    assert spc_reading(chart) == (
        "a shift from 2022-Q2 to 2023-Q4 (7 quarters in a row above the average) and a shift "
        "since 2024-Q1 (7 quarters in a row below the average)")


def test_seven_quarters_of_common_cause_have_no_short_series_caveat():
    # 8, 12, 8, 12, 8, 12, 10 of 20: p-bar 70/140 = 0.5, limits 0.5 -+ 3 x 0.1118 = 0.165 to
    # 0.835: nothing outside, no run; 7 quarters is enough to see a run of 7
    chart = p_chart([8, 12, 8, 12, 8, 12, 10], [20] * 7, Q[:7])
    assert spc_reading(chart) == "common-cause variation only"


def test_spc_reading_of_a_protected_chart_with_a_hidden_quarter():
    # the public chart prints a hidden quarter's rate and limits as "c" (audit.disclosure);
    # the reading treats it as a quarter it cannot read, and reads the others
    chart = p_chart([50] * 5 + [90], [100] * 6, Q[:6])
    public = chart.astype({"rate": object, "lower": object, "upper": object})
    public.loc[0, ["rate", "lower", "upper"]] = "c"
    assert spc_reading(public) == "a point outside the limits in 2023-Q2 (above the upper limit)"


def _counts_frame(rows, columns=("partnership", "metric", "numerator", "denominator")):
    return pd.DataFrame(rows, columns=list(columns))


def test_funnel_table_targets_pooled_by_name_and_refuses_bad_ones():
    table = _by_partnership([("A", "engagement.seen", 3, 10, 0),
                             ("B", "engagement.seen", 7, 30, 0)])
    pooled = funnel_table(table, "engagement.seen", "pooled")
    assert pooled["target"].tolist() == [0.25, 0.25]  # (3 + 7) / (10 + 30)
    assert set(pooled["target_basis"]) == {"pooled"}


@pytest.mark.parametrize(("table", "target", "message"), [
    ([("A", "engagement.seen", 0, 0), ("B", "engagement.seen", 0, 0)], None,
     "no partnership has cases recorded for 'engagement.seen': no pooled rate"),
    ([("A", "engagement.seen", 1, 2)], "foo",
     "target must be None, 'pooled', 'national' or a rate; got 'foo'"),
    ([("A", "engagement.seen", 1, 2)], "national",
     "the national review published no figure for 'engagement.seen'; use the pooled rate "
     "(target=None) or give a rate"),
    ([("A", "engagement.seen", 1, 2), ("A", "engagement.seen", 1, 3)], None,
     "a partnership appears twice for 'engagement.seen': pass one period's breakdown"),
    ([("A", "engagement.seen", "c", 2)], None, "numerators " + COUNTS_REFUSED),
    ([("A", "engagement.seen", 1, "c")], None, "denominators " + COUNTS_REFUSED),
    ([("A", "engagement.seen", 3, 2)], None, "a numerator exceeds its denominator"),
])
def test_funnel_table_refusals(table, target, message):
    with pytest.raises(ParameterError, match=f"^{re.escape(message)}$"):
        funnel_table(_counts_frame(table), "engagement.seen", target)


def test_funnel_table_names_the_missing_columns():
    table = _counts_frame([("A", "engagement.seen", 1, 2)]).drop(
        columns=["numerator", "denominator"])
    message = ("the metrics table lacks column(s): numerator, denominator "
               "(pass audit.measures.metrics.metrics_by(cases, 'partnership'))")
    with pytest.raises(ParameterError, match=f"^{re.escape(message)}$"):
        funnel_table(table, "engagement.seen")


def test_funnel_table_refuses_a_suppressed_unknown():
    table = _counts_frame([("A", "engagement.seen", 1, 2, "c")],
                          ("partnership", "metric", "numerator", "denominator", "unknown"))
    with pytest.raises(ParameterError, match=f"^{re.escape('unknown counts ' + COUNTS_REFUSED)}$"):
        funnel_table(table, "engagement.seen")


FUNNEL_COLUMNS = ["partnership", "metric", "numerator", "denominator", "rate", "target",
                  "target_basis", "lower_95", "upper_95", "lower_99_8", "upper_99_8",
                  "outside_95", "outside_99_8", "position"]


def test_funnel_table_columns_and_types_with_and_without_unknown():
    plain = funnel_table(_counts_frame([("A", "engagement.seen", 1, 2),
                                        ("B", "engagement.seen", 3, 4)]), "engagement.seen")
    assert list(plain.columns) == FUNNEL_COLUMNS
    assert list(plain.index) == [0, 1]
    assert plain["metric"].tolist() == ["engagement.seen"] * 2
    assert plain["numerator"].tolist() == [1, 3] and plain["denominator"].tolist() == [2, 4]
    assert plain["numerator"].dtype == np.int64 and plain["denominator"].dtype == np.int64
    with_unknown = funnel_table(_counts_frame(
        [("A", "engagement.seen", 1, 2, 5), ("B", "engagement.seen", 3, 4, 0)],
        ("partnership", "metric", "numerator", "denominator", "unknown")), "engagement.seen")
    assert list(with_unknown.columns) == FUNNEL_COLUMNS[:4] + ["unknown"] + FUNNEL_COLUMNS[4:]
    assert with_unknown["unknown"].tolist() == [5, 0]
    assert with_unknown["unknown"].dtype == np.int64


def test_funnel_table_at_a_level_of_its_own():
    # a single 90% funnel: its limits are Spiegelhalter's at tail 0.05 (reference above)
    funnel = funnel_table(_counts_frame([("A", "engagement.seen", 3, 10),
                                         ("B", "engagement.seen", 7, 30)]),
                          "engagement.seen", levels=(0.9,))
    assert [c for c in funnel.columns if c.startswith(("lower", "upper", "outside"))] == \
        ["lower_90", "upper_90", "outside_90"]
    assert funnel["lower_90"].tolist() == pytest.approx(
        [_spiegelhalter(10, 0.25, 0.05), _spiegelhalter(30, 0.25, 0.05)], abs=1e-9)
    assert funnel["upper_90"].tolist() == pytest.approx(
        [_spiegelhalter(10, 0.25, 0.95), _spiegelhalter(30, 0.25, 0.95)], abs=1e-9)


def test_a_partnership_of_one_case_is_placed_on_the_funnel():
    # 1 of 1 against a given target of 1%: P(R = 0) = 0.99.
    # 95%: p = 0.975, r = 0, alpha = (0.99 - 0.975)/0.99 = 0.0151515, upper (0 + 1 - alpha)/1
    #   = 0.9848485: 100% is above it.
    # 99.8%: p = 0.999 > 0.99, so r = 1, alpha = (1 - 0.999)/0.01 = 0.1, upper 1.9, clipped to 1.
    funnel = funnel_table(_counts_frame([("A", "engagement.seen", 1, 1)]), "engagement.seen",
                          0.01)
    a = funnel.iloc[0]
    assert a["rate"] == 1.0
    assert a["upper_95"] == pytest.approx(0.9848485, abs=1e-7) and a["upper_99_8"] == 1.0
    assert bool(a["outside_95"]) and not bool(a["outside_99_8"])
    assert a["position"] == "above the upper 95% limit"
