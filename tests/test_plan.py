"""`audit plan` (audit.measures.plan): exact power of the pack's own comparison, checked against
scipy's Fisher test written out case by case, published power values (PASS, Mathews),
statsmodels where it applies, the pack's own verdicts on simulated quarters, and the CLI."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.stats import beta, binom, fisher_exact

from audit.history import open_history
from audit.measures import compare
from audit.measures.plan import (
    MAX_CASES,
    PACK_COMPARISONS,
    Reference,
    cases_needed,
    detectable_shortfall,
    history_references,
    national_references,
    plan_table,
    power,
    power_of_region,
    rejection_region,
)
from cli_process import in_process


def audit(*args, env=None):
    """``audit ARGS``, run in-process (tests/cli_process.py)."""
    return in_process(list(args), env=env)


def brute_power(n, count, total, rate, level):
    """The power written out: every count x of n, scipy's two-sided Fisher test of
    [[x, n - x], [count, total - count]], binomial probabilities from math.comb."""
    if n < compare.MIN_DENOMINATOR:
        return 0.0
    out = 0.0
    for x in range(n + 1):
        p = fisher_exact([[x, n - x], [count, total - count]], alternative="two-sided").pvalue
        if p < level and x * total < count * n:
            out += math.comb(n, x) * rate**x * (1 - rate) ** (n - x)
    return out


# --------------------------------------------------------------------------- the test itself

@pytest.mark.parametrize(("n", "count", "total"), [(10, 59, 92), (23, 5, 92), (40, 12, 20),
                                                   (31, 81, 92)])
def test_p_values_at_every_count_equal_scipy_fisher_exact(n, count, total):
    got = compare.fisher_p_values_by_count(n, count, total)
    want = [fisher_exact([[x, n - x], [count, total - count]]).pvalue for x in range(n + 1)]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("n", "count", "rate", "comparisons"), [
    (10, 59, 0.44, 1), (25, 32, 0.148, 1), (33, 24, 0.061, 1), (41, 81, 0.68, 9),
    (60, 30, 0.126, 9), (9, 59, 0.1, 1),
])
def test_power_equals_the_sum_written_out_with_scipy(n, count, rate, comparisons):
    ref = Reference("risk.x", count, 92, "national")
    got = power(n, ref, rate, comparisons=comparisons)
    assert got == pytest.approx(brute_power(n, count, 92, rate, 0.05 / comparisons), abs=1e-12)


def test_the_region_is_the_packs_verdict_lower():
    """Every count in the region gets the pack's own verdict 'lower than nationally' from
    compare.verdicts; every other count does not."""
    n, ref = 30, Reference("known_to.early_help", 24, 92, "national")
    x = np.arange(n + 1)
    rows = pd.DataFrame({"metric": ref.metric, "numerator": x, "denominator": n, "unknown": 0,
                         "national_rate": ref.rate,
                         "p_value": compare.fisher_p_values(x, [n] * len(x), [24] * len(x),
                                                            [92] * len(x))})
    verdicts = compare.verdicts(rows, 0.05, p_column="p_value")
    region = rejection_region(n, ref)
    assert list(region) == list(verdicts == compare.VERDICT_LOWER)


# --------------------------------------------------------------------------- published values

def test_enumeration_reproduces_pass_exact_binomial_power():
    """PASS manual, "Equivalence Tests for One Proportion" (exact binomial test, power by
    enumeration), as quoted in statsmodels' tests (statsmodels/stats/tests/
    test_proportion.py::test_power_binom_tost): bounds 0.5 and 0.7, N = 500, alpha 0.05,
    rejection region 269..332, and the power at p = 0.60, 0.61, ..., 0.69. Our region is built
    here from the two one-sided exact tests; the power is audit.measures.plan's enumeration."""
    n, alpha = 500, 0.05
    x = np.arange(n + 1)
    region = (binom.sf(x - 1, n, 0.5) <= alpha) & (binom.cdf(x, n, 0.7) <= alpha)
    inside = np.flatnonzero(region)
    assert (inside[0], inside[-1]) == (269, 332)
    published = [0.9965, 0.9940, 0.9815, 0.9482, 0.8783, 0.7583, 0.5914, 0.4041, 0.2352,
                 0.1139]
    for p, want in zip(0.6 + np.linspace(0, 0.09, 10), published):
        assert power_of_region(n, p, region) == pytest.approx(want, abs=5e-5)
    # statsmodels' own implementation (kept beside the published values) agrees
    from statsmodels.stats.proportion import power_binom_tost

    for p in (0.6, 0.63, 0.66, 0.69):
        assert power_of_region(500, p, region) == pytest.approx(
            power_binom_tost(0.5, 0.7, 500, p_alt=p, alpha=alpha), abs=1e-12)
    # the second PASS case quoted there: bounds 0.4 and 0.6, p = 0.5, N = 20, 40, ..., 200
    published = [0.0, 0.0, 0.0, 0.0889, 0.2356, 0.3517, 0.4457, 0.6154, 0.6674, 0.7708]
    for n, want in zip(range(20, 201, 20), published):
        x = np.arange(n + 1)
        region = (binom.sf(x - 1, n, 0.4) <= alpha) & (binom.cdf(x, n, 0.6) <= alpha)
        assert power_of_region(n, 0.5, region) == pytest.approx(want, abs=5e-5)


def test_enumeration_reproduces_mathews_fisher_power_of_two_samples():
    """Two quarters compared by Fisher's exact test: P. Mathews, "Sample Size Calculations:
    Practical Methods for Engineers and Scientists" (2010), section 4.3.2.1 p. 97, macro
    %fisherspower 0.01 0.05 80 80 -> power = 0.211135 (one-sided Fisher, alpha 0.05).
    The unconditional power is the plan's power with the other quarter's count held fixed
    (as 'audit plan --against last-quarter' holds it), averaged over that count's binomial
    distribution."""
    n1 = n2 = 80
    total = 0.0
    for x2 in range(n2 + 1):
        region = [fisher_exact([[x1, n1 - x1], [x2, n2 - x2]], alternative="less").pvalue
                  <= 0.05 for x1 in range(n1 + 1)]
        total += binom.pmf(x2, n2, 0.05) * power_of_region(n1, 0.01, region)
    assert total == pytest.approx(0.211135, abs=5e-7)


@pytest.mark.parametrize(("p0", "p1", "n"), [(0.3, 0.2, 119), (0.64, 0.44, 40), (0.5, 0.3, 25)])
def test_one_sided_exact_binomial_power_agrees_with_statsmodels(p0, p1, n):
    """Where a kept implementation applies (a national proportion taken as known, one-sided
    exact binomial test): statsmodels' rejection interval and scipy's binomial CDF give the
    power the enumeration gives over the same region."""
    from statsmodels.stats.proportion import binom_test_reject_interval

    low, _ = binom_test_reject_interval(p0, n, alpha=0.05, alternative="smaller")
    x = np.arange(n + 1)
    mine = binom.cdf(x, n, p0) <= 0.05  # the region, built independently
    assert np.flatnonzero(mine)[-1] == low
    assert power_of_region(n, p1, mine) == pytest.approx(binom.cdf(low, n, p1), abs=1e-12)


# --------------------------------------------------------------------------- sizes and reach

@pytest.mark.parametrize(("count", "shortfall", "comparisons"), [(30, 0.2, 1), (24, 0.2, 9),
                                                                 (81, 0.25, 9)])
def test_cases_needed_is_the_smallest_size_reaching_the_power(count, shortfall, comparisons):
    ref = Reference("risk.x", count, 92, "national")
    rate = ref.rate - shortfall
    n, reached = cases_needed(ref, rate, 0.8, comparisons=comparisons)
    assert n is not None and reached >= 0.8
    assert reached == pytest.approx(brute_power(n, count, 92, rate, 0.05 / comparisons))
    below = [power(m, ref, rate, comparisons=comparisons) for m in range(1, n)]
    assert max(below) < 0.8


def test_cases_needed_says_none_beyond_the_search():
    ref = Reference("risk.x", 59, 92, "national")
    n, best = cases_needed(ref, ref.rate - 0.05, 0.8, max_cases=40)
    assert n is None and best < 0.8


@pytest.mark.parametrize(("n", "count", "comparisons"), [(30, 59, 9), (20, 32, 1), (40, 45, 9)])
def test_detectable_shortfall_is_where_the_exact_power_reaches_the_target(n, count, comparisons):
    ref = Reference("risk.x", count, 92, "national")
    drop = detectable_shortfall(n, ref, 0.8, comparisons=comparisons)
    assert power(n, ref, ref.rate - drop, comparisons=comparisons) == pytest.approx(0.8, abs=1e-6)
    # closed form for a region {x <= k}: P(X <= k) = 0.8 at p = Beta quantile (k+1, n-k)
    k = int(np.flatnonzero(rejection_region(n, ref, comparisons=comparisons))[-1])
    assert ref.rate - drop == pytest.approx(beta.ppf(0.2, k + 1, n - k), abs=1e-9)


def test_detectable_shortfall_is_nan_when_nothing_could_be_called_lower():
    care_leaver = Reference("risk.care_leaver", 5, 92, "national")
    assert math.isnan(detectable_shortfall(20, care_leaver, 0.8))


@settings(max_examples=12, deadline=None)
@given(count=st.integers(20, 80), shortfall=st.sampled_from([0.2, 0.25, 0.3]),
       target=st.sampled_from([0.7, 0.8, 0.9]), seed=st.integers(0, 2**32 - 1))
def test_simulated_quarters_of_the_planned_size_detect_the_shortfall(count, shortfall, target,
                                                                     seed):
    """Draw 4,000 quarters of the planned size at the shortfall's rate; the pack's own
    comparison (compare.fisher_p_values, compare.verdicts) calls 'lower than nationally'
    in the planned share of them, within simulation error (4.5 standard errors)."""
    ref = Reference("known_to.early_help", count, 92, "national")
    rate = ref.rate - shortfall
    assume(rate > 0)
    n, exact = cases_needed(ref, rate, target, max_cases=120)
    if n is None:
        return
    rng = np.random.default_rng(seed)
    draws = 4000
    x = rng.binomial(n, rate, size=draws)
    rows = pd.DataFrame({"metric": ref.metric, "numerator": x, "denominator": n, "unknown": 0,
                         "national_rate": ref.rate,
                         "p_value": compare.fisher_p_values(x, [n] * draws, [count] * draws,
                                                            [92] * draws)})
    detected = (compare.verdicts(rows, 0.05, p_column="p_value") == compare.VERDICT_LOWER).mean()
    error = math.sqrt(exact * (1 - exact) / draws)
    assert abs(detected - exact) <= 4.5 * error
    assert detected >= target - 4.5 * error


# --------------------------------------------------------------------------- the table

def test_plan_table_rows_and_a_shortfall_beyond_the_figure():
    table = plan_table(national_references(), shortfall=0.2, target=0.8, cases=30,
                       comparisons=PACK_COMPARISONS)
    assert len(table) == 10
    care = table.set_index("metric").loc["risk.care_leaver"]
    assert pd.isna(care["cases_needed"]) and math.isnan(care["planned_rate"])
    young = table.set_index("metric").loc["risk.young_parent"]
    assert young["cases_needed"] == 106
    assert young["power_at_cases"] == pytest.approx(
        brute_power(30, 30, 92, 30 / 92 - 0.2, 0.05 / 9))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"shortfall": 20}, "0.2 means 20 percentage points"),
    ({"shortfall": 0}, "between 0 and 1"),
    ({"target": 80}, "--power"),
    ({"cases": 5}, "at least 10"),
    ({"comparisons": 0}, "comparisons"),
    ({"alpha": 0.1}, "alpha"),
])
def test_plan_table_refuses_bad_parameters(kwargs, message):
    from audit.errors import ParameterError

    with pytest.raises(ParameterError, match=message):
        plan_table(national_references(), **kwargs)


def test_history_references_take_the_latest_quarter_or_the_one_asked_for():
    rows = pd.DataFrame({"period": ["2025-Q2", "2025-Q3", "2025-Q3"],
                         "metric": ["risk.domestic_abuse"] * 2 + ["risk.care_leaver"],
                         "numerator": [5, 9, 0], "denominator": [10, 12, 0]})
    latest = history_references(rows)
    assert [(r.metric, r.count, r.total, r.source) for r in latest] == [
        ("risk.domestic_abuse", 9, 12, "2025-Q3")]  # no cases recorded: left out
    assert history_references(rows, "2025-q2")[0].count == 5
    from audit.errors import ParameterError

    with pytest.raises(ParameterError, match="2025-Q1"):
        history_references(rows, "2025-Q1")


# --------------------------------------------------------------------------- the command

def test_cli_plan_prints_the_table_with_independent_figures():
    result = audit("plan", "--measure", "risk.young_parent", "--cases", "30",
                   "--comparisons", "1")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "two-sided Fisher exact, p < 0.05, unadjusted" in " ".join(out.split())
    line = next(x for x in out.splitlines() if x.startswith("Young parent"))
    rate = 30 / 92 - 0.2
    needed = next(n for n in range(10, 80) if brute_power(n, 30, 92, rate, 0.05) >= 0.8)
    cells = line.split()
    assert str(needed) in cells
    assert f"{brute_power(30, 30, 92, rate, 0.05):.1%}" in cells


def test_cli_plan_default_is_holm_over_the_packs_comparisons():
    result = audit("plan", "--measure", "known_to.early_help")
    assert result.returncode == 0, result.stderr
    words = " ".join(result.stdout.split())
    assert "Holm-adjusted over the pack's 9 comparisons" in words
    assert "0.05/9 = 0.0056" in words
    assert PACK_COMPARISONS == 9


@pytest.mark.parametrize(("args", "message"), [
    (["--shortfall", "20"], "0.2 means 20 percentage points"),
    (["--power", "80"], "--power must be"),
    (["--cases", "4"], "at least 10"),
    (["--measure", "risk.nothing"], "measures with one: harmed_by.birth_father"),
    (["--partnership", "Eastmere"], "--partnership applies to --against last-quarter"),
])
def test_cli_plan_bad_options_are_exit_2_with_a_clear_message(args, message):
    result = audit("plan", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def _store_with_quarter(path):
    table = pd.DataFrame({"metric": ["risk.domestic_abuse", "engagement.seen"],
                          "numerator": [12, 6], "denominator": [20, 18], "unknown": [0, 2],
                          "rate": [0.6, 6 / 18], "ci_low": [0.4, 0.1], "ci_high": [0.8, 0.5]})
    store = open_history(path)
    try:
        store.record(table, partnership="Northbridge", period="2025-Q3",
                     provenance={"input_sha256": "a" * 64, "input_file": "q3.csv"})
    finally:
        store.close()


def test_cli_plan_against_last_quarter_reads_the_history_store(tmp_path):
    store = tmp_path / "history.sqlite"
    _store_with_quarter(store)
    result = audit("plan", "--against", "last-quarter", "--history", store,
                   "--measure", "risk.domestic_abuse", "--cases", "20")
    assert result.returncode == 0, result.stderr
    words = " ".join(result.stdout.split())
    assert "last quarter's figure (2025-Q3, Northbridge)" in words
    assert "p < 0.05, unadjusted" in words
    line = next(x for x in result.stdout.splitlines() if x.startswith("Domestic abuse"))
    assert "60.0% (12/20)" in line
    assert f"{brute_power(20, 12, 20, 0.4, 0.05):.1%}" in line.split()


def test_cli_plan_against_last_quarter_without_a_store_is_exit_2(tmp_path):
    result = audit("plan", "--against", "last-quarter", "--history", tmp_path / "none.sqlite")
    assert result.returncode == 2
    assert "no history store" in result.stderr


def test_max_cases_is_a_quarter_and_more():
    assert MAX_CASES >= 100


def test_power_matches_the_methodology_table():
    """docs/methodology.md, "What a comparison of this size can detect": the power of the
    domestic-abuse comparison (59 of 92) at p < 0.05, in whole percent."""
    ref = Reference("risk.domestic_abuse", 59, 92, "national")
    table = {10: (38, 17), 20: (42, 13), 40: (69, 21), 80: (96, 46)}
    for n, (at40, at50) in table.items():
        assert round(100 * power(n, ref, 0.40)) == at40
        assert round(100 * power(n, ref, 0.50)) == at50


@pytest.mark.parametrize(("command", "options"), [
    ("plan", ["--measure", "--against", "--shortfall", "--power", "--cases", "--comparisons",
              "--partnership", "--quarter", "--history"]),
    ("select", ["ELIGIBLE", "--n", "--by", "--seed", "--output", "largest-remainder"]),
    ("run", ["--selection"]),
])
def test_help_names_every_option(command, options, capsys):
    from audit import cli

    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for option in options:
        assert option in text
