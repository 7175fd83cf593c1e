"""Tests for audit.measures.compare: Fisher exact p-values (checked against an exact enumeration of
the hypergeometric distribution in whole numbers, written here, not against scipy, which
audit.measures.compare calls), the national columns, verdicts, and the 92-case reconstruction of
the national cohort."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from audit.contract import FLAG_LEVELS, HARMED_BY_CODES, KNOWN_TO_CODES, METRICS_COLUMNS
from audit.errors import ParameterError
from audit.measures import compare as C
from audit.measures.metrics import metrics_by, metrics_table


def fisher_by_hand(a: int, b: int, c: int, d: int) -> float:
    """Fisher's two-sided exact p-value of ``[[a, b], [c, d]]``, by enumeration.

    With the margins fixed, the first cell ``x`` of a table is hypergeometric:
    ``P(x) = C(a + b, x) C(c + d, a + c - x) / C(N, a + c)``. The two-sided p-value sums
    ``P(x)`` over every table no more probable than the observed one (the rule of R's
    ``fisher.test`` and of scipy). Everything is a whole number until the one division, so
    no tolerance is needed to find the tables that tie with the observed one.
    """
    row, column, total = a + b, a + c, a + b + c + d
    weight = {x: math.comb(row, x) * math.comb(total - row, column - x)
              for x in range(max(0, column - (total - row)), min(row, column) + 1)}
    observed = weight[a]
    return sum(w for w in weight.values() if w <= observed) / math.comb(total, column)


def test_the_enumeration_gives_the_tea_tasting_p_value() -> None:
    # Fisher's lady tasting tea (Agresti 1990; the example of R's ?fisher.test): 3 of 4
    # cups right, [[3, 1], [1, 3]]. By hand: the first cell x = 0..4 has weights
    # C(4, x) C(4, 4 - x) = 1, 16, 36, 16, 1 out of C(8, 4) = 70. R's example (one-sided,
    # "greater") prints p-value = 0.2429, that is (16 + 1)/70; the two-sided p is
    # (1 + 16 + 16 + 1)/70 = 34/70.
    assert round(17 / 70, 4) == 0.2429
    assert fisher_by_hand(3, 1, 1, 3) == pytest.approx(34 / 70, rel=1e-15)
    assert fisher_by_hand(4, 0, 0, 4) == pytest.approx(2 / 70, rel=1e-15)
    assert fisher_by_hand(2, 2, 2, 2) == 1.0
    assert C.fisher_p_values([3], [4], [1], [4])[0] == pytest.approx(34 / 70, rel=1e-12)


def make_cases(**columns: list) -> pd.DataFrame:
    """A frame shaped like audit.intake.validate's output (flags as Categorical yes/no/unknown)."""
    n = len(columns["harmed_by"])
    data: dict[str, object] = {
        "case_id": [f"C{i:03d}" for i in range(n)],
        "notification_date": pd.to_datetime(["2025-02-01"] * n),
        "child_age_months": np.full(n, 4, dtype=np.int64),
        "harmed_by": pd.Categorical(columns.pop("harmed_by"), categories=list(HARMED_BY_CODES)),
        "known_to": pd.Categorical(columns.pop("known_to"), categories=list(KNOWN_TO_CODES)),
    }
    for name, values in columns.items():
        data[name] = pd.Categorical(values, categories=list(FLAG_LEVELS))
    return pd.DataFrame(data, index=pd.RangeIndex(2, n + 2, name="row"))


def national_cohort() -> pd.DataFrame:
    """92 cases with exactly the review's marginals."""
    harmed = ["birth_father"] * 81 + ["stepfather"] * 5 + ["mothers_partner"] * 4 + ["other_male_carer"] * 2
    known = ["universal"] * 45 + ["early_help"] * 24 + ["child_in_need"] * 12 + ["child_protection_plan"] * 11

    def flag(yes: int) -> list[str]:
        return ["yes"] * yes + ["no"] * (92 - yes)

    return make_cases(
        harmed_by=harmed,
        known_to=known,
        domestic_abuse=flag(59),
        father_mental_ill_health=flag(32),
        young_parent=flag(30),
        care_leaver=flag(5),
    )


def test_national_cohort_reproduces_the_review() -> None:
    table = metrics_table(national_cohort()).set_index("metric")
    published = table.dropna(subset=["p_value"])
    assert len(published) == 10
    assert (published["numerator"] == published["national_numerator"]).all()
    assert (published["denominator"] == published["national_denominator"]).all()
    assert (published["denominator"] == 92).all()
    np.testing.assert_allclose(published["p_value"].to_numpy(dtype=float), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(published["p_holm"].to_numpy(dtype=float), 1.0, rtol=0, atol=1e-12)
    assert table.loc["known_to.none", "numerator"] == 0
    assert pd.isna(table.loc["known_to.none", "p_value"])
    assert list(table.reset_index().columns) == list(METRICS_COLUMNS)
    assert set(C.verdicts(table.reset_index())) <= {C.VERDICT_NO_DIFFERENCE, C.VERDICT_NO_NATIONAL}


@pytest.mark.parametrize(
    ("a", "n", "c", "m"),
    [(0, 10, 59, 92), (10, 10, 59, 92), (1, 1, 81, 92), (0, 1, 5, 92), (3, 7, 32, 92),
     (40, 50, 11, 92), (0, 5, 0, 92), (5, 5, 92, 92)],
)
def test_fisher_matches_the_exact_enumeration(a: int, n: int, c: int, m: int) -> None:
    expected = fisher_by_hand(a, n - a, c, m - c)
    got = C.fisher_p_values([a], [n], [c], [m])
    assert got[0] == pytest.approx(min(expected, 1.0), rel=1e-9)


def test_fisher_vectorised_missing_and_zero() -> None:
    got = C.fisher_p_values([3, 0, 2, 3, 1], [7, 0, 4, 7, 2], [32, 59, np.nan, 32, 0], [92, 92, np.nan, 92, 0])
    assert got[0] == pytest.approx(fisher_by_hand(3, 4, 32, 60), rel=1e-9)
    assert got[3] == got[0]
    assert math.isnan(got[1]) and math.isnan(got[2]) and math.isnan(got[4])


@pytest.mark.parametrize(("arguments", "message"), [
    (([5], [4], [1], [92]),
     "counts for the Fisher test must satisfy 0 <= numerator <= denominator"),
    (([1], [4], [93], [92]),
     "counts for the Fisher test must satisfy 0 <= numerator <= denominator"),
    (([-1], [4], [1], [92]),
     "counts for the Fisher test must satisfy 0 <= numerator <= denominator"),
    (([1, 2], [4], [1], [92]),
     "numerator, denominator and the national counts must have the same length"),
    (([1.5], [4], [1], [92]), "counts for the Fisher test must be whole numbers"),
])
def test_fisher_refuses_bad_counts(arguments, message) -> None:
    # the whole message, one case at a time
    with pytest.raises(ParameterError, match=f"^{re.escape(message)}$"):
        C.fisher_p_values(*arguments)


def test_fisher_is_missing_where_any_one_count_is_missing() -> None:
    nan = np.nan
    got = C.fisher_p_values([nan, 3, 3, 3, 3], [7, nan, 7, 7, 7], [32, 32, nan, 32, 32],
                            [92, 92, 92, nan, 92])
    assert [math.isnan(v) for v in got] == [True, True, True, True, False]
    assert got[4] == pytest.approx(fisher_by_hand(3, 4, 32, 60), rel=1e-9)


def test_fisher_tests_a_national_base_of_one_case() -> None:
    # [[1, 3], [1, 0]]: the margins allow x = 1 or 2 (weights C(4,1) C(1,1) = 4 and
    # C(4,2) C(1,0) = 6 of C(5,2) = 10): P(observed) = 0.4 is the smaller, p = 0.4
    assert fisher_by_hand(1, 3, 1, 0) == pytest.approx(0.4, rel=1e-15)
    assert C.fisher_p_values([1], [4], [1], [1])[0] == pytest.approx(0.4, rel=1e-12)


def counts(rows: list[tuple[str, int, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["metric", "numerator", "denominator", "unknown"])


def test_review_base_counts_as_the_review_counted() -> None:
    base = C.review_base(["risk.domestic_abuse", "harmed_by.birth_father", "known_to.universal",
                          "engagement.seen"], [30, 40, 50, 60], [5, 6, 7, 8])
    assert base.tolist() == [35, 40, 50, 60]
    assert math.isnan(C.review_base(["risk.care_leaver"], ["c"], [3])[0])


def test_add_national_is_like_for_like() -> None:
    # the issue's example: 146 of 370 known, 38 unknown; the review counted out of all cases
    table = counts([("risk.father_mental_ill_health", 146, 370, 38), ("known_to.none", 3, 20, 0),
                    ("risk.care_leaver", 0, 0, 4), ("engagement.seen", 4, 9, 0)])
    out = C.add_national(table)
    assert list(out["national_numerator"].astype("Float64").fillna(-1)) == [32, -1, 5, -1]
    assert out["national_numerator"].dtype == "Int64"
    assert out.loc[0, "national_rate"] == pytest.approx(32 / 92)
    assert out.loc[0, "p_value"] == pytest.approx(fisher_by_hand(146, 262, 32, 60),
                                                  rel=1e-9)
    # no known answer, but 4 in-scope cases: the review would count 0 of 4
    assert out.loc[2, "p_value"] == pytest.approx(fisher_by_hand(0, 4, 5, 87), rel=1e-9)
    assert out.loc[[1, 3], "p_value"].isna().all() and out.loc[[1, 3], "p_holm"].isna().all()
    assert "national_rate" not in table.columns  # input untouched
    custom = C.add_national(table, {"known_to.none": (10, 50)})
    assert custom.loc[1, "p_value"] == pytest.approx(fisher_by_hand(3, 17, 10, 40), rel=1e-9)
    with pytest.raises(ParameterError, match="unknown"):
        C.add_national(table.drop(columns="unknown"))


def test_holm_matches_statsmodels_and_counts_harmed_by_once() -> None:
    table = counts([("harmed_by.birth_father", 20, 30, 0), ("harmed_by.another_male_carer", 10, 30, 0),
                    ("known_to.universal", 10, 30, 1), ("risk.domestic_abuse", 25, 30, 2),
                    ("risk.care_leaver", 6, 30, 2), ("engagement.seen", 3, 30, 0)])
    out = C.add_national(table)
    p = out["p_value"].to_numpy()
    assert p[0] == p[1]  # mirror-image tables, one test
    family = [p[0], p[2], p[3], p[4]]  # harmed_by once; engagement has no national figure
    expected = multipletests(family, method="holm")[1]
    np.testing.assert_allclose(out["p_holm"].iloc[[0, 2, 3, 4]], expected, rtol=1e-12)
    assert out.loc[1, "p_holm"] == out.loc[0, "p_holm"]
    assert math.isnan(out.loc[5, "p_holm"])
    # Holm by hand: the smallest p is multiplied by 4, and adjusted values never decrease
    order = np.argsort(family)
    assert expected[order[0]] == pytest.approx(min(1, 4 * family[order[0]]))
    assert (np.diff(expected[order]) >= 0).all()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=12))
def test_holm_adjust_matches_statsmodels(p: list[float]) -> None:
    np.testing.assert_allclose(C.holm_adjust(p), multipletests(p, method="holm")[1],
                               rtol=1e-12, atol=0)


def test_holm_families_are_per_pack_in_a_breakdown() -> None:
    cases = national_cohort()
    cases["partnership"] = ["A"] * 46 + ["B"] * 46
    table = metrics_by(cases, "partnership")
    for name, rows in table.groupby("partnership"):
        alone = C.add_national(rows.drop(columns=["partnership"]).reset_index(drop=True)[
            ["metric", "numerator", "denominator", "unknown"]])
        np.testing.assert_allclose(rows["p_holm"].to_numpy(dtype=float),
                                   alone["p_holm"].to_numpy(dtype=float), rtol=1e-12)


def row(metric: str, yes: float, den: float, unk: float, nat: float, p: float) -> dict:
    return {"metric": metric, "numerator": yes, "denominator": den, "unknown": unk,
            "national_rate": nat, "p_holm": p}


def test_verdict_wording_uses_p_holm_and_the_review_rate() -> None:
    p_high = fisher_by_hand(30, 0, 59, 33)
    assert C.verdict(row("risk.domestic_abuse", 30, 30, 0, 59 / 92, p_high)) == C.VERDICT_HIGHER
    p_low = fisher_by_hand(2, 38, 59, 33)
    assert C.verdict(row("risk.domestic_abuse", 2, 40, 0, 59 / 92, p_low)) == C.VERDICT_LOWER
    assert C.verdict(row("risk.domestic_abuse", 13, 20, 0, 59 / 92, 0.9)) == \
        C.VERDICT_NO_DIFFERENCE
    # direction from yes / base: 40% of the known, but 20 of 100 in-scope cases
    assert C.verdict(row("risk.father_mental_ill_health", 20, 50, 50, 32 / 92, 0.01)) == \
        C.VERDICT_LOWER
    # too few: the base, not the known count, decides (9 cases; 5 known + 4 unknown = 9)
    assert C.verdict(row("risk.domestic_abuse", 0, 5, 4, 59 / 92, 1e-6)) == C.VERDICT_TOO_FEW
    assert C.verdict(row("harmed_by.birth_father", 0, 9, 3, 81 / 92, 1e-6)) == C.VERDICT_TOO_FEW
    assert C.verdict(row("engagement.seen", 5, 50, 0, math.nan, math.nan)) == \
        C.VERDICT_NO_NATIONAL
    assert C.verdict(row("risk.domestic_abuse", 30, 30, 0, 59 / 92, 0.01), alpha=0.002) == \
        C.VERDICT_NO_DIFFERENCE
    assert C.verdict(row("harmed_by.birth_father", 0, 9, 0, 81 / 92, 1e-6),
                     min_denominator=5) == C.VERDICT_LOWER
    assert C.verdict({**row("risk.domestic_abuse", 30, 30, 0, 59 / 92, 1e-6),
                      "denominator": "c"}) == C.VERDICT_TOO_FEW
    # the raw p-value may be asked for, but the default is the adjusted one
    raw = {**row("risk.domestic_abuse", 30, 30, 0, 59 / 92, 0.2), "p_value": 0.01}
    assert C.verdict(raw) == C.VERDICT_NO_DIFFERENCE
    assert C.verdict(raw, p_column="p_value") == C.VERDICT_HIGHER


def test_verdict_argument_checks() -> None:
    good = row("risk.domestic_abuse", 30, 30, 0, 0.6, 0.01)
    with pytest.raises(ParameterError, match="alpha"):
        C.verdict(good, alpha=0.1)
    with pytest.raises(ParameterError, match="alpha"):
        C.verdict(good, alpha=0)
    with pytest.raises(ParameterError, match="p_holm"):
        C.verdict({k: v for k, v in good.items() if k != "p_holm"})
    with pytest.raises(ParameterError, match="min_denominator"):
        C.verdict(good, min_denominator=0)
    with pytest.raises(ParameterError, match="unknown"):
        C.verdicts(pd.DataFrame([good]).drop(columns="unknown"))


def test_verdicts_table_matches_verdict() -> None:
    table = pd.DataFrame([
        row("risk.domestic_abuse", 30, 30, 0, 59 / 92, 1e-9),
        row("risk.domestic_abuse", 2, 40, 0, 59 / 92, 1e-12),
        row("risk.domestic_abuse", 13, 20, 0, 59 / 92, 1.0),
        row("harmed_by.birth_father", 0, 9, 0, 81 / 92, 1e-5),
        row("engagement.seen", 10, 50, 0, math.nan, math.nan),
        row("known_to.universal", 9, 10, 0, 0.5, 0.05),  # p exactly 0.05 is not a difference
    ], index=list("abcdef"))
    result = C.verdicts(table)
    assert result.name == "verdict" and list(result.index) == list("abcdef")
    assert list(result) == [C.verdict(r) for _, r in table.iterrows()]
    assert list(result) == [C.VERDICT_HIGHER, C.VERDICT_LOWER, C.VERDICT_NO_DIFFERENCE,
                            C.VERDICT_TOO_FEW, C.VERDICT_NO_NATIONAL, C.VERDICT_NO_DIFFERENCE]


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, 60).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n),
                                                   st.integers(0, 10))),
    st.sampled_from(["risk.domestic_abuse", "harmed_by.birth_father", "risk.care_leaver"]),
)
def test_verdict_never_calls_a_difference_at_p_over_005(triple: tuple[int, int, int],
                                                         metric: str) -> None:
    a, n, unknown = triple
    table = C.add_national(counts([(metric, a, n, unknown)]))
    v = C.verdicts(table).iloc[0]
    assert v in C.VERDICTS
    p = table["p_holm"].iloc[0]
    base = n + unknown if metric.startswith("risk.") else n
    if v in (C.VERDICT_HIGHER, C.VERDICT_LOWER):
        assert p < 0.05 and base >= C.MIN_DENOMINATOR
        assert (v == C.VERDICT_HIGHER) == (a / base > table["national_rate"].iloc[0])


# --------------------------------------------------------------------------- detectable difference


def test_detectable_difference_matches_the_issue_example() -> None:
    # with 20 cases against 59 of 92: only 18/20 or more, or 7/20 or fewer, would differ
    low, high = C.detectable_difference(20, 59)
    assert (low, high) == (7 / 20, 18 / 20)
    assert fisher_by_hand(18, 2, 59, 33) < 0.05 <= fisher_by_hand(17, 3, 59, 33)
    assert fisher_by_hand(7, 13, 59, 33) < 0.05 <= fisher_by_hand(8, 12, 59, 33)
    assert C.detectable_difference_text(20, 59) == (
        "With 20 cases, only 90% or more, or 35% or less, would differ from the national 64.1%.")


def test_care_leavers_lower_is_impossible_up_to_40_cases() -> None:
    for n in range(1, 41):
        low, high = C.detectable_difference(n, 5)
        assert math.isnan(low), n
        assert fisher_by_hand(0, n, 5, 87) >= 0.05  # even 0 of n does not differ
    assert C.detectable_difference_text(40, 5) == (
        "With 40 cases, only 17.5% or more would differ from the national 5.4%; no lower "
        "figure could (even 0 of 40 would not).")
    assert C.detectable_difference_text(3, 45) == (
        "With 3 cases, no result could differ from the national 48.9%: too few cases for "
        "the test to find a difference either way.")
    assert C.detectable_difference(0, 45) == (math.nan, math.nan) or \
        all(math.isnan(v) for v in C.detectable_difference(0, 45))


@pytest.mark.parametrize("count", [5, 32, 59, 81])
def test_detectable_difference_is_the_edge_of_the_rejection_region(count: int) -> None:
    # brute force by enumeration: every x at or beyond the edge rejects, the next one in
    # does not
    national = count / 92
    for n in range(1, 41):
        low, high = C.detectable_difference(n, count)
        p = [fisher_by_hand(x, n - x, count, 92 - count) for x in range(n + 1)]
        if not math.isnan(low):
            k = round(low * n)
            assert all(p[x] < 0.05 for x in range(k + 1)) and k / n < national
            assert p[k + 1] >= 0.05 or (k + 1) / n >= national
        else:
            assert p[0] >= 0.05 or national == 0
        if not math.isnan(high):
            k = round(high * n)
            assert all(p[x] < 0.05 for x in range(k, n + 1)) and k / n > national
            assert p[k - 1] >= 0.05 or (k - 1) / n <= national
        else:
            assert p[n] >= 0.05


def test_detectable_difference_arguments() -> None:
    with pytest.raises(ParameterError, match="base"):
        C.detectable_difference(-1, 5)
    with pytest.raises(ParameterError, match="national_count"):
        C.detectable_difference(10, 93)
    with pytest.raises(ParameterError, match="alpha"):
        C.detectable_difference(10, 5, alpha=0.2)


def test_like_for_like_table() -> None:
    cases = national_cohort()
    table = metrics_table(cases)
    lfl = C.like_for_like(table)
    assert list(lfl["metric"]) == list(table.dropna(subset=["national_rate"])["metric"])
    assert list(lfl.columns) == ["metric", "numerator", "base", "review_rate", "rate",
                                 "national_numerator", "national_denominator", "national_rate",
                                 "p_value", "p_holm", "detect_low", "detect_high", "detectable",
                                 "verdict"]
    assert (lfl["base"] == 92).all()
    np.testing.assert_allclose(lfl["review_rate"], lfl["national_rate"])
    row = lfl.set_index("metric").loc["risk.domestic_abuse"]
    assert (row["detect_low"], row["detect_high"]) == C.detectable_difference(92, 59)
    assert set(lfl["verdict"]) == {C.VERDICT_NO_DIFFERENCE}
    # with unknowns, the review rate and the headline rate part
    cases.loc[cases.index[:10], "father_mental_ill_health"] = "unknown"
    row = C.like_for_like(metrics_table(cases)).set_index("metric").loc[
        "risk.father_mental_ill_health"]
    assert row["base"] == 92 and row["review_rate"] == pytest.approx(22 / 92)
    assert row["rate"] == pytest.approx(22 / 82)


def test_public_api_is_declared() -> None:
    for name in C.__all__:
        assert hasattr(C, name), name


def test_vectorised_two_sided_p_values_equal_the_exact_enumeration():
    # The detectable-difference search computes every x at once; the whole-number
    # enumeration above is the oracle.
    from audit.measures.compare import _two_sided_p_values

    for base in (1, 2, 5, 10, 20, 37, 100, 250):
        for count in (0, 5, 11, 32, 45, 59, 81, 92):
            got = _two_sided_p_values(base, count, 92)
            for x in range(base + 1):
                expected = min(1.0, fisher_by_hand(x, base - x, count, 92 - count))
                assert got[x] == pytest.approx(expected, rel=1e-9, abs=1e-300), (base, count, x)


# --------------------------------------------------------------------------- mutation survivors
# Each test below kills mutmut survivors of `make mutate` on compare.py (benchmarks/mutation.md
# names them). Expected values come from the whole-number enumeration above or by hand;
# refusals match the whole message, one case each.


def _raises(message: str):
    return pytest.raises(ParameterError, match=f"^{re.escape(message)}$")


# Tables whose symmetric forms scipy's fisher_exact does not give bit-identical p-values
# (e.g. [[0, 1], [8, 1]] gives 0.2 and [[0, 8], [1, 1]] 0.19999999999999998): each one's
# canonical form is what makes every mirror image print the same p-value.
ASYMMETRIC_TABLES = [(0, 1, 5, 3), (1, 0, 1, 8), (2, 8, 1, 1), (1, 5, 3, 0), (0, 3, 2, 3)]


@pytest.mark.parametrize("table", ASYMMETRIC_TABLES)
def test_every_mirror_image_of_a_table_gets_the_same_p_value(table) -> None:
    a, b, c, d = table
    forms = [(a, b, c, d), (b, a, d, c), (c, d, a, b), (d, c, b, a), (a, c, b, d), (c, a, d, b),
             (b, d, a, c), (d, b, c, a)]
    got = [C.fisher_p_values([w], [w + x], [y], [y + z])[0] for w, x, y, z in forms]
    assert len(set(got)) == 1, got
    assert got[0] == pytest.approx(fisher_by_hand(a, b, c, d), rel=1e-12)


def test_review_base_is_float_and_refuses_mismatched_lengths() -> None:
    base = C.review_base(["risk.domestic_abuse", "engagement.seen"], [30, 40], [5, 6])
    assert base.dtype == np.float64 and base.tolist() == [35.0, 40.0]
    with _raises("metric, denominator and unknown must have the same length"):
        C.review_base(["risk.domestic_abuse", "engagement.seen"], [30], [5, 6])


def test_missing_columns_are_named_in_full() -> None:
    table = counts([("risk.domestic_abuse", 3, 10, 0)])
    with _raises("the metrics table lacks column(s): unknown"):
        C.add_national(table.drop(columns="unknown"))
    with _raises("the metrics table lacks column(s): denominator, unknown"):
        C.add_national(table.drop(columns=["unknown", "denominator"]))


@pytest.mark.parametrize(("p", "message"), [
    ([0.01, math.nan], "p-values for the Holm adjustment must be numbers in [0, 1]"),
    ([0.01, None], "p-values for the Holm adjustment must be numbers in [0, 1]"),
    ([-0.1, 0.5], "p-values for the Holm adjustment must be numbers in [0, 1]"),
    ([0.5, 1.5], "p-values for the Holm adjustment must be numbers in [0, 1]"),
])
def test_holm_adjust_refuses_each_bad_p_value(p, message) -> None:
    with _raises(message):
        C.holm_adjust(p)


def test_holm_p_values_keep_the_table_index_and_name() -> None:
    # two rows with a p-value: 0.01 x 2 = 0.02, then max(0.02, 0.04 x 1) = 0.04
    table = pd.DataFrame({"metric": ["risk.domestic_abuse", "risk.care_leaver", "engagement.seen"],
                          "p_value": [0.01, 0.04, np.nan]}, index=["x", "y", "z"])
    out = C.holm_p_values(table)
    assert out.name == "p_holm" and list(out.index) == ["x", "y", "z"]
    assert out.dtype == np.float64
    assert out.iloc[:2].tolist() == pytest.approx([0.02, 0.04]) and math.isnan(out.iloc[2])


def test_add_national_with_references_of_zero_and_one_cases() -> None:
    # a national figure of 1 of 1 has a rate (100%); one of 0 of 0 has none, and no warning
    table = counts([("engagement.seen", 3, 10, 0), ("risk.care_leaver", 2, 10, 0)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = C.add_national(table, {"engagement.seen": (1, 1), "risk.care_leaver": (0, 0)})
    assert out.loc[0, "national_rate"] == 1.0
    assert math.isnan(out.loc[1, "national_rate"]) and math.isnan(out.loc[1, "p_value"])
    assert out["national_denominator"].dtype == "Int64"
    assert out["national_denominator"].tolist() == [1, 0]
    # [[3, 7], [1, 0]]: by enumeration
    assert out.loc[0, "p_value"] == pytest.approx(fisher_by_hand(3, 7, 1, 0), rel=1e-9)


def test_verdict_messages_in_full() -> None:
    good = row("risk.domestic_abuse", 30, 30, 0, 0.6, 0.01)
    with _raises("alpha must be in (0, 0.05]; got 0.1 (a difference is never called on "
                 "evidence weaker than p < 0.05)"):
        C.verdict(good, alpha=0.1)
    with _raises("verdict needs 'national_rate', 'p_holm'"):
        C.verdict({k: v for k, v in good.items() if k not in ("national_rate", "p_holm")})


def test_verdict_edges() -> None:
    # a minimum of one case: 0 of 1 below a 64% national rate at p 0.01 is "lower"
    assert C.verdict(row("risk.domestic_abuse", 0, 1, 0, 59 / 92, 0.01),
                     min_denominator=1) == C.VERDICT_LOWER
    # no p-value: too few to tell, however many cases
    assert C.verdict(row("risk.domestic_abuse", 30, 30, 0, 59 / 92, math.nan)) == \
        C.VERDICT_TOO_FEW
    # a p-value below alpha but the same rate as nationally: neither higher nor lower
    assert C.verdict(row("risk.domestic_abuse", 59, 92, 0, 59 / 92, 0.01)) == \
        C.VERDICT_NO_DIFFERENCE
    # a base of 0 is too few, quietly
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = C.verdicts(pd.DataFrame([row("risk.domestic_abuse", 0, 0, 0, 59 / 92, 0.5)]))
    assert result.tolist() == [C.VERDICT_TOO_FEW]
    assert result.dtype == object


@pytest.mark.parametrize(("arguments", "message"), [
    ((-1, 5), "base must be a whole number of at least 0; got -1"),
    ((True, 5), "base must be a whole number of at least 0; got True"),
    ((2.5, 5), "base must be a whole number of at least 0; got 2.5"),
    ((10, 5, 0), "national_total must be a whole number of at least 1; got 0"),
    ((10, -1), "national_count must be a whole number of at least 0; got -1"),
    ((10, 93), "national_count must not exceed national_total"),
])
def test_detectable_difference_refusals_in_full(arguments, message) -> None:
    with _raises(message):
        C.detectable_difference(*arguments)


def test_detectable_difference_at_one_case_and_at_the_ends_of_the_national_range() -> None:
    # 1 of 1 against 0 of 92: the first cell is 0 or 1 with weights C(92,1) = 92 and
    # C(1,1) C(92,0) = 1 of C(93,1) = 93: p = 1/93 < 0.05, so 100% differs; 0 of 1 (p = 1)
    # does not
    assert fisher_by_hand(1, 0, 0, 92) == pytest.approx(1 / 93)
    assert C.detectable_difference(1, 0) == pytest.approx((math.nan, 1.0), nan_ok=True)
    # 0 of 1 against 89 of 92: weights C(92,89) = 125,580 (x = 0) and C(92,88) = 2,794,155
    # (x = 1) of C(93,89) = 2,919,735: p(0) = 4/93 < 0.05: 0% differs, 100% cannot
    assert fisher_by_hand(0, 1, 89, 3) == pytest.approx(4 / 93)
    assert C.detectable_difference(1, 89) == pytest.approx((0.0, math.nan), nan_ok=True)
    # against 92 of 92 (a national 100%): 0 of 1 has p = 1/93
    assert C.detectable_difference(1, 92) == pytest.approx((0.0, math.nan), nan_ok=True)
    # a national base of one case, 0 of 1: [[1, 0], [0, 1]] has p = 1 (both tables 1/2)
    assert fisher_by_hand(1, 0, 0, 1) == 1.0
    assert C.detectable_difference(1, 0, 1) == pytest.approx((math.nan, math.nan), nan_ok=True)


def test_a_p_value_equal_to_alpha_is_not_a_difference() -> None:
    # the rule is p < alpha: at alpha = the p-value of 1 of 1 against 0 of 92 (1/93), it is not
    alpha = C.fisher_p_values_by_count(1, 0)[1]
    assert alpha == pytest.approx(1 / 93)
    assert C.detectable_difference(1, 0, alpha=alpha) == \
        pytest.approx((math.nan, math.nan), nan_ok=True)


def test_detectable_difference_sentences_at_the_edges() -> None:
    assert C.detectable_difference_text(1, 0) == (
        "With 1 case, only 100% would differ from the national 0%; no lower figure could "
        "(even 0 of 1 would not).")
    assert C.detectable_difference_text(1, 89) == (
        "With 1 case, only 0% would differ from the national 96.7%; no higher figure could "
        "(even 1 of 1 would not).")
    assert C.detectable_difference_text(0, 59) == (
        "With no cases, no comparison with the national 64.1% is possible.")
    # a stricter alpha moves the edges: at 0.002 only 20/20, or 4/20 or fewer (by enumeration:
    # p(20) = 0.0007, p(19) = 0.0062; p(4) = 0.0004, p(5) = 0.0022)
    assert fisher_by_hand(20, 0, 59, 33) < 0.002 <= fisher_by_hand(19, 1, 59, 33)
    assert fisher_by_hand(4, 16, 59, 33) < 0.002 <= fisher_by_hand(5, 15, 59, 33)
    assert C.detectable_difference_text(20, 59, alpha=0.002) == (
        "With 20 cases, only 100%, or 20% or less, would differ from the national 64.1%.")


def test_fisher_p_values_by_count_is_the_enumeration() -> None:
    # every local result x of 3 against 59 of 92, and against 1 of 1 / 0 of 1
    got = C.fisher_p_values_by_count(3, 59)
    assert len(got) == 4
    for x in range(4):
        assert got[x] == pytest.approx(fisher_by_hand(x, 3 - x, 59, 33), rel=1e-9)
    assert C.fisher_p_values_by_count(1, 1, 1).tolist() == pytest.approx([1.0, 1.0])
    assert C.fisher_p_values_by_count(1, 0, 1).tolist() == pytest.approx([1.0, 1.0])
    assert C.fisher_p_values_by_count(1, 92)[0] == pytest.approx(1 / 93)
    # a new array each time: changing one does not change the next
    got[0] = -1.0
    assert C.fisher_p_values_by_count(3, 59)[0] == pytest.approx(fisher_by_hand(0, 3, 59, 33))


@pytest.mark.parametrize(("arguments", "message"), [
    ((0, 5), "base must be a whole number of at least 1; got 0"),
    ((3, 5, 0), "national_total must be a whole number of at least 1; got 0"),
    ((3, -1), "national_count must be a whole number of at least 0; got -1"),
    ((3, 93), "national_count must not exceed national_total"),
])
def test_fisher_p_values_by_count_refusals(arguments, message) -> None:
    with _raises(message):
        C.fisher_p_values_by_count(*arguments)


def _lfl_table(rows: list[tuple[str, float, float, float]]) -> pd.DataFrame:
    table = C.add_national(counts([r[:4] for r in rows]) if rows else counts([]))
    table["rate"] = np.where(table["denominator"] > 0,
                             table["numerator"] / table["denominator"].where(
                                 table["denominator"] > 0, 1), np.nan)
    return table


def test_like_for_like_detectable_text_base_and_alpha() -> None:
    # domestic abuse 13 of 20 in scope (64.1% nationally); care leavers 0 of 1 case
    table = _lfl_table([("risk.domestic_abuse", 13, 20, 0), ("risk.care_leaver", 0, 1, 0)])
    lfl = C.like_for_like(table)
    assert lfl["base"].dtype == "Int64" and lfl["base"].tolist() == [20, 1]
    assert lfl["review_rate"].tolist() == [0.65, 0.0]
    assert lfl.loc[0, "detectable"] == (
        "With 20 cases, only 90% or more, or 35% or less, would differ from the national 64.1%.")
    assert lfl.loc[1, "detectable"] == C.detectable_difference_text(1, 5)
    # a stricter alpha reaches the limits, the sentence and the verdict
    strict = C.like_for_like(table, alpha=0.002)
    assert (strict.loc[0, "detect_low"], strict.loc[0, "detect_high"]) == (4 / 20, 20 / 20)
    assert strict.loc[0, "detectable"].startswith("With 20 cases, only 100%, or 20% or less")
    # a verdict at alpha 0.002 and at a minimum of 1 case:
    # 0 of 12 against 59 of 92: p by enumeration below 0.002, so "lower" at either alpha
    low = _lfl_table([("risk.domestic_abuse", 0, 12, 0)])
    assert fisher_by_hand(0, 12, 59, 33) < 0.002
    assert C.like_for_like(low, alpha=0.002)["verdict"].tolist() == [C.VERDICT_LOWER]
    # 2 of 9 against 59 of 92: p = 0.027 by enumeration; too few at the default 10 cases
    # and "lower" at a minimum of 5; not a difference at alpha 0.002
    few = _lfl_table([("risk.domestic_abuse", 2, 9, 0)])
    assert 0.002 < fisher_by_hand(2, 7, 59, 33) < 0.05
    assert C.like_for_like(few)["verdict"].tolist() == [C.VERDICT_TOO_FEW]
    assert C.like_for_like(few, min_denominator=5)["verdict"].tolist() == [C.VERDICT_LOWER]
    assert C.like_for_like(few, alpha=0.002, min_denominator=5)["verdict"].tolist() == \
        [C.VERDICT_NO_DIFFERENCE]


def test_like_for_like_of_a_missing_base_and_of_no_national_rows() -> None:
    table = _lfl_table([("risk.domestic_abuse", 13, 20, 0)])
    table["denominator"] = table["denominator"].astype("float64")
    table.loc[0, "denominator"] = np.nan  # a count not known: no base
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lfl = C.like_for_like(table)
    assert lfl["base"].isna().all() and math.isnan(lfl.loc[0, "review_rate"])
    assert math.isnan(lfl.loc[0, "detect_low"]) and math.isnan(lfl.loc[0, "detect_high"])
    assert lfl.loc[0, "detectable"] == "" and lfl.loc[0, "verdict"] == C.VERDICT_TOO_FEW
    # a base of 0 (no case in scope): no rate, quietly
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        zero = C.like_for_like(_lfl_table([("risk.domestic_abuse", 0, 0, 0)]))
    assert math.isnan(zero.loc[0, "review_rate"])
    # no metric with a national figure: no rows, the same columns, base still Int64
    none = C.like_for_like(_lfl_table([("engagement.seen", 3, 10, 0)]))
    assert len(none) == 0 and none["base"].dtype == "Int64"
    assert list(none.columns) == ["metric", "numerator", "base", "review_rate", "rate",
                                  "national_numerator", "national_denominator", "national_rate",
                                  "p_value", "p_holm", "detect_low", "detect_high", "detectable",
                                  "verdict"]
