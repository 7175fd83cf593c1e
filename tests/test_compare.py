"""Tests for audit.compare: Fisher exact p-values (checked against scipy directly), the
national columns, verdicts, and the 92-case reconstruction of the national cohort."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import fisher_exact

from audit import compare as C
from audit.contract import FLAG_LEVELS, HARMED_BY_CODES, KNOWN_TO_CODES, METRICS_COLUMNS
from audit.metrics import metrics_table


def make_cases(**columns: list) -> pd.DataFrame:
    """A frame shaped like audit.validate's output (flags as Categorical yes/no/unknown)."""
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
    assert table.loc["known_to.none", "numerator"] == 0
    assert pd.isna(table.loc["known_to.none", "p_value"])
    assert list(table.reset_index().columns) == list(METRICS_COLUMNS)
    assert set(C.verdicts(table.reset_index())) <= {C.VERDICT_NO_DIFFERENCE, C.VERDICT_NO_NATIONAL}


@pytest.mark.parametrize(
    ("a", "n", "c", "m"),
    [(0, 10, 59, 92), (10, 10, 59, 92), (1, 1, 81, 92), (0, 1, 5, 92), (3, 7, 32, 92),
     (40, 50, 11, 92), (0, 5, 0, 92), (5, 5, 92, 92)],
)
def test_fisher_matches_scipy(a: int, n: int, c: int, m: int) -> None:
    expected = fisher_exact([[a, n - a], [c, m - c]], alternative="two-sided").pvalue
    got = C.fisher_p_values([a], [n], [c], [m])
    assert got[0] == pytest.approx(min(expected, 1.0), rel=1e-12)


def test_fisher_vectorised_missing_and_zero() -> None:
    got = C.fisher_p_values([3, 0, 2, 3, 1], [7, 0, 4, 7, 2], [32, 59, np.nan, 32, 0], [92, 92, np.nan, 92, 0])
    assert got[0] == pytest.approx(fisher_exact([[3, 4], [32, 60]]).pvalue)
    assert got[3] == got[0]
    assert math.isnan(got[1]) and math.isnan(got[2]) and math.isnan(got[4])
    with pytest.raises(ValueError):
        C.fisher_p_values([5], [4], [1], [92])
    with pytest.raises(ValueError):
        C.fisher_p_values([1, 2], [4], [1], [92])
    with pytest.raises(ValueError):
        C.fisher_p_values([1.5], [4], [1], [92])


def test_add_national() -> None:
    table = pd.DataFrame({
        "metric": ["risk.domestic_abuse", "known_to.none", "risk.care_leaver", "engagement.seen"],
        "numerator": [12, 3, 0, 4],
        "denominator": [15, 20, 0, 9],
    })
    out = C.add_national(table)
    assert list(out["national_numerator"].astype("Float64").fillna(-1)) == [59, -1, 5, -1]
    assert out["national_numerator"].dtype == "Int64"
    assert out.loc[0, "national_rate"] == pytest.approx(59 / 92)
    assert out.loc[0, "p_value"] == pytest.approx(fisher_exact([[12, 3], [59, 33]]).pvalue)
    assert out.loc[[1, 2, 3], "p_value"].isna().all()
    assert out.loc[2, "national_rate"] == pytest.approx(5 / 92)  # published, though no local cases
    assert "national_rate" not in table.columns  # input untouched
    custom = C.add_national(table, {"known_to.none": (10, 50)})
    assert custom.loc[1, "p_value"] == pytest.approx(fisher_exact([[3, 17], [10, 40]]).pvalue)
    with pytest.raises(ValueError, match="denominator"):
        C.add_national(table.drop(columns="denominator"))


def row(den: float, rate: float, nat: float, p: float) -> dict[str, float]:
    return {"denominator": den, "rate": rate, "national_rate": nat, "p_value": p}


def test_verdict_wording() -> None:
    # 30 of 30 with domestic abuse against 59 of 92
    p_high = fisher_exact([[30, 0], [59, 33]]).pvalue
    assert C.verdict(row(30, 1.0, 59 / 92, p_high)) == "higher than nationally"
    p_low = fisher_exact([[2, 38], [59, 33]]).pvalue
    assert C.verdict(row(40, 0.05, 59 / 92, p_low)) == "lower than nationally"
    p_same = fisher_exact([[13, 7], [59, 33]]).pvalue
    assert C.verdict(row(20, 0.65, 59 / 92, p_same)) == "no evidence of a difference from the national figure"
    # 0 of 9 against 81 of 92 is significant, but 9 cases is too few to tell
    p_few = fisher_exact([[0, 9], [81, 11]]).pvalue
    assert p_few < 0.001
    assert C.verdict(row(9, 0.0, 81 / 92, p_few)) == "too few cases to tell"
    assert C.verdict(row(0, math.nan, 81 / 92, math.nan)) == "too few cases to tell"
    assert C.verdict(row(50, 0.2, math.nan, math.nan)) == "no national figure to compare with"
    assert C.verdict(pd.Series(row(30, 1.0, 59 / 92, p_high)), alpha=0.002) == "higher than nationally"
    assert C.verdict(row(30, 0.8, 59 / 92, 0.01), alpha=0.002) == C.VERDICT_NO_DIFFERENCE
    assert C.verdict(row(9, 0.0, 81 / 92, p_few), min_denominator=5) == "lower than nationally"
    assert C.verdict({**row(30, 1.0, 59 / 92, p_high), "denominator": "c"}) == C.VERDICT_TOO_FEW


def test_verdict_argument_checks() -> None:
    with pytest.raises(ValueError, match="alpha"):
        C.verdict(row(30, 1.0, 0.6, 0.01), alpha=0.1)
    with pytest.raises(ValueError, match="alpha"):
        C.verdict(row(30, 1.0, 0.6, 0.01), alpha=0)
    with pytest.raises(ValueError, match="p_value"):
        C.verdict({"denominator": 30, "rate": 1.0, "national_rate": 0.6})
    with pytest.raises(ValueError, match="min_denominator"):
        C.verdict(row(30, 1.0, 0.6, 0.01), min_denominator=0)
    with pytest.raises(ValueError, match="p_value"):
        C.verdicts(pd.DataFrame({"denominator": [1], "rate": [1.0], "national_rate": [0.5]}))


def test_verdicts_table_matches_verdict() -> None:
    table = pd.DataFrame([
        row(30, 1.0, 59 / 92, 1e-9),
        row(40, 0.05, 59 / 92, 1e-12),
        row(20, 0.65, 59 / 92, 1.0),
        row(9, 0.0, 81 / 92, 1e-5),
        row(50, 0.2, math.nan, math.nan),
        row(10, 0.9, 0.5, 0.05),  # p exactly 0.05 is not a difference
    ], index=list("abcdef"))
    result = C.verdicts(table)
    assert result.name == "verdict" and list(result.index) == list("abcdef")
    assert list(result) == [C.verdict(r) for _, r in table.iterrows()]
    assert list(result) == [C.VERDICT_HIGHER, C.VERDICT_LOWER, C.VERDICT_NO_DIFFERENCE,
                            C.VERDICT_TOO_FEW, C.VERDICT_NO_NATIONAL, C.VERDICT_NO_DIFFERENCE]


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, 60).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.sampled_from(["risk.domestic_abuse", "harmed_by.birth_father", "risk.care_leaver"]),
)
def test_verdict_never_calls_a_difference_at_p_over_005(pair: tuple[int, int], metric: str) -> None:
    a, n = pair
    table = C.add_national(pd.DataFrame({"metric": [metric], "numerator": [a], "denominator": [n]}))
    table["rate"] = a / n if n else math.nan
    v = C.verdicts(table).iloc[0]
    assert v in C.VERDICTS
    p = table["p_value"].iloc[0]
    if v in (C.VERDICT_HIGHER, C.VERDICT_LOWER):
        assert p < 0.05 and n >= C.MIN_DENOMINATOR
        assert (v == C.VERDICT_HIGHER) == (a / n > table["national_rate"].iloc[0])


def test_public_api_is_declared() -> None:
    for name in C.__all__:
        assert hasattr(C, name), name
