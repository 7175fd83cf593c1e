"""The statistics against other people's published values (fixtures and sources: README.md).

Each test reads a fixture copied, value for value, from someone else's test data or saved
output, and compares the library with it at the precision the source printed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from audit.measures.compare import fisher_p_values, holm_adjust
from audit.measures.metrics import wilson_interval
from audit.measures.spc import funnel_limits, p_chart, shifts

HERE = Path(__file__).parent


def _json(name: str) -> dict:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- PHEindicatormethods


def test_wilson_funnel_limits_equal_pheindicatormethods_phe_funnels() -> None:
    inputs = pd.read_csv(HERE / "pheindicatormethods_funnel_prop_inputs.csv")
    outputs = pd.read_csv(HERE / "pheindicatormethods_funnel_prop_outputs.csv")
    average = inputs["numerator"].sum() / inputs["denominator"].sum()
    # the published baseline, to its 6 decimals, is this pooled average
    assert outputs["Baseline"].iloc[0] == round(average * 100, 6)
    limits = funnel_limits(outputs["Population"], average, method="wilson")
    for ours, theirs in (("lower_95", "Lower2s0025limit"), ("upper_95", "Upper2s0025limit"),
                         ("lower_99_8", "Lower3s0001limit"), ("upper_99_8", "Upper3s0001limit")):
        # published to 6 decimals of a percentage: agreement to half a unit of the last digit
        np.testing.assert_allclose(limits[ours] * 100, outputs[theirs], rtol=0, atol=5e-7,
                                   err_msg=ours)


def test_wilson_funnel_flags_equal_pheindicatormethods_phe_funnel_significance() -> None:
    inputs = pd.read_csv(HERE / "pheindicatormethods_funnel_prop_inputs.csv")
    average = inputs["numerator"].sum() / inputs["denominator"].sum()
    limits = funnel_limits(inputs["denominator"], average, method="wilson")
    rate = inputs["numerator"] / inputs["denominator"]
    ours = np.select(
        [rate < limits["lower_99_8"], rate < limits["lower_95"],
         rate > limits["upper_99_8"], rate > limits["upper_95"]],
        ["Low (0.001)", "Low (0.025)", "High (0.001)", "High (0.025)"],
        default="Not significant")
    assert len(inputs) == 303
    assert list(ours) == list(inputs["significance"])


def test_wilson_intervals_equal_phstatsmethods() -> None:
    for row in pd.read_csv(HERE / "phstatsmethods_wilson.csv").itertuples():
        low, high = wilson_interval(row.numerator, row.denominator, row.confidence)
        value = low if row.side == "lower" else high
        assert value == pytest.approx(row.expected, rel=3e-15, abs=0), row


# --------------------------------------------------------------------------- R


def test_fisher_two_sided_equals_r_fisher_test() -> None:
    data = _json("r_fisher_test.json")
    for case in data["two_sided"]:
        (a, b), (c, d) = case["table"]
        p = fisher_p_values([a], [a + b], [c], [c + d])[0]
        assert float(f"{p:.4g}") == case["p_value"], case["name"]


def test_tea_tasting_two_sided_is_twice_rs_one_sided_value() -> None:
    # R prints P = 0.2429 for alternative = "greater" (17/70). The table is symmetric, so the
    # two-sided p is both tails: 34/70 = 0.4857 (R's two-sided print of the same example).
    greater = next(c for c in _json("r_fisher_test.json")["one_sided"]
                   if c["name"].startswith("TeaTasting"))
    assert round(17 / 70, 4) == greater["p_value"]
    p = fisher_p_values([3], [4], [1], [4])[0]
    assert p == pytest.approx(34 / 70, rel=1e-12)
    assert round(p, 4) == 0.4857


def test_holm_equals_r_p_adjust() -> None:
    table = pd.read_csv(HERE / "r_p_adjust_holm.csv")
    ours = holm_adjust(table["none"].to_numpy())
    # R printed the raw p-values to 3 significant figures, so the Holm products computed here
    # from them carry up to about 0.5% of rounding; every printed value agrees within 1%,
    # and the 29 values R printed as exactly 1 are exactly 1 here
    np.testing.assert_allclose(ours, table["holm"], rtol=1e-2, atol=0)
    ones = table["holm"] == 1.0
    assert ones.sum() == 29 and (ours[ones.to_numpy()] == 1.0).all()


# --------------------------------------------------------------------------- SPC


def test_p_chart_limits_equal_qicharts2() -> None:
    data = _json("qicharts2_p_chart.json")
    inputs, expected = data["inputs"], data["expected"]
    for sigma, upper, lower in ((3.0, "ul99", "ll99"), (2.0, "ul95", "ll95"),
                                (1.0, "ul68", "ll68")):
        chart = p_chart(inputs["numerators"], inputs["denominators"], inputs["keys"],
                        sigma=sigma)
        # qicharts2's values are rounded to 4 decimals
        np.testing.assert_allclose(chart["upper"], expected[upper], rtol=0, atol=5e-5 + 1e-12)
        np.testing.assert_allclose(chart["lower"], expected[lower], rtol=0, atol=5e-5 + 1e-12)
        np.testing.assert_allclose(chart["centre"], expected["targets"], rtol=0, atol=5e-5)
        np.testing.assert_allclose(chart["rate"], expected["values"], rtol=0, atol=5e-5)


def test_shift_rule_equals_powerbi_spc() -> None:
    sign = {"upper": 1, "lower": -1, "none": 0}
    for case in _json("powerbi_spc_shift.json")["cases"]:
        got = shifts(case["val"], case["targets"], run_length=case["n"])
        assert got.tolist() == [sign[e] for e in case["expected"]], case


def test_seven_point_rule_equals_nhsrplotthedots() -> None:
    # NHSRplotthedots flags the 7th and later points of a run; our shift marks the whole run.
    # So a point is in our shift exactly when its run (maximal same-side streak) holds a
    # point NHSRplotthedots flags, and the flagged points are the 7th onwards of that run.
    for case in _json("nhsrplotthedots_seven_point.json")["cases"]:
        side = case["relative_to_mean"]
        got = shifts(side, 0.0, run_length=7)
        flagged = [i for i, e in enumerate(case["expected"]) if e]
        assert all(got[i] == side[i] for i in flagged), case
        for i in np.flatnonzero(got):
            start = i
            while start > 0 and side[start - 1] == side[i]:
                start -= 1
            end = i
            while end + 1 < len(side) and side[end + 1] == side[i]:
                end += 1
            assert [j for j in flagged if start <= j <= end] == list(range(start + 6, end + 1))
        assert not any(got[i] for i in range(len(side))
                       if not any(f for f in flagged if side[f] == side[i]))


# --------------------------------------------------------------------------- Spiegelhalter


def _qbinom_interp(p: float, denom: int, target: float, tail: str) -> float:
    """Spiegelhalter's ``qbinom.interp`` (R package ``funnel``, R/funnel4.R), line for line,
    with R's qbinom / pbinom / dbinom written with scipy's cdf and pmf and a plain search."""
    cdf = stats.binom.cdf(np.arange(denom + 1), denom, target)

    def qbinom(q: float) -> int:
        return int(np.flatnonzero(cdf >= q)[0])

    if tail == "lower":
        rp = qbinom(p)
        alpha = (stats.binom.cdf(rp, denom, target) - p) / stats.binom.pmf(rp, denom, target)
        return max((rp - alpha) / denom, 0.00001)
    rp = qbinom(1 - p)
    alpha = (stats.binom.cdf(rp, denom, target) - (1 - p)) / stats.binom.pmf(rp, denom, target)
    return min((rp + 1 - alpha) / denom, 0.99999)


def test_exact_funnel_equals_spiegelhalters_funnel_package_on_his_example() -> None:
    # His example data: New York CABG 2003, survival (Cases - Deaths) / Cases, target the
    # pooled survival rate, tails 0.001 and 0.025 (his defaults)
    data = pd.read_csv(HERE / "spiegelhalter_nycabg_2003.csv")
    n = data["Cases"].to_numpy()
    target = (n - data["Deaths"]).sum() / n.sum()
    ours = funnel_limits(n, target)
    for tail, level in ((0.001, "99_8"), (0.025, "95")):
        for i, denom in enumerate(n):
            low = _qbinom_interp(tail, int(denom), target, "lower")
            high = _qbinom_interp(tail, int(denom), target, "upper")
            # his clip is [0.00001, 0.99999], ours [0, 1]: equal inside, both at the edge outside
            if 0.00001 < low:
                assert ours.loc[i, f"lower_{level}"] == pytest.approx(low, abs=1e-12)
            if high < 0.99999:
                assert ours.loc[i, f"upper_{level}"] == pytest.approx(high, abs=1e-12)
            else:
                assert ours.loc[i, f"upper_{level}"] >= 0.99999
    assert (ours["upper_99_8"] == 1.0).sum() >= 1  # the smallest hospitals reach 100%
    assert n.sum() == 47795 and data["Deaths"].sum() == 973  # the fixture's totals
    assert math.isclose(target, 1 - 973 / 47795)


# --------------------------------------------------------------------------- R prop.trend.test


def test_trend_test_equals_r_prop_trend_test() -> None:
    from audit.measures.trend_test import prop_trend_test

    ref = _json("r_prop_trend_test.json")
    got = prop_trend_test(ref["x"], ref["n"], ref["score"])
    # printed to 5 significant figures (statistic) and 4 (p-value)
    assert round(got.statistic, 4) == ref["statistic"]
    assert float(f"{got.p_value:.4g}") == ref["p_value"]
    assert got.direction == -1  # 96.5%, 96.8%, 94.9%, 85.4%: falling


# --------------------------------------------------------------------------- irrCAC (Gwet)


@pytest.mark.parametrize(
    ("function", "name"),
    [("cohen_kappa", "kappa2.table"), ("gwet_ac1", "gwet.ac1.table"),
     ("percent_agreement", "pa2.table")],
)
def test_agreement_equals_irrcac_on_cont3x3abstractors(function: str, name: str) -> None:
    import audit.intake.agreement as agreement

    ref = _json("irrcac_cont3x3abstractors.json")
    got = getattr(agreement, function)(np.array(ref["table"]), 0.95)
    printed = ref[name]
    # irrCAC prints the coefficient and its SE to 7 significant figures, the interval to 3
    # decimals (R's round)
    assert got.value == pytest.approx(printed["coeff.val"], abs=5e-8)
    assert got.se == pytest.approx(printed["coeff.se"], abs=5e-9)
    assert [round(got.low, 3), round(got.high, 3)] == printed["coeff.ci"]
