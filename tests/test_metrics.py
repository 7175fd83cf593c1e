"""Tests for audit.measures.metrics. Expected figures are hand-counted or come from statsmodels/scipy
called directly here, never from the code under test."""

from __future__ import annotations

import io
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import fisher_exact
from statsmodels.stats.proportion import proportion_confint

from audit.contract import (
    FLAG_LEVELS,
    HARMED_BY_CODES,
    INCIDENT_TYPE_CODES,
    KNOWN_TO_CODES,
    METRIC_IDS,
    METRICS_COLUMNS,
    RISK_FLAGS,
)
from audit.measures import metrics as M

# --------------------------------------------------------------------------------------
# A validated cases frame, built by hand
# --------------------------------------------------------------------------------------


def make_cases(n: int | None = None, **columns: list) -> pd.DataFrame:
    """A frame shaped like audit.intake.validate's output. Columns given as lists; the required
    ones default to plausible values; flags become Categorical(yes/no/unknown)."""
    if n is None:
        n = len(next(iter(columns.values()))) if columns else 0
    data: dict[str, object] = {
        "case_id": [f"C{i:04d}" for i in range(n)],
        "notification_date": pd.to_datetime(columns.pop("notification_date", ["2025-01-15"] * n)),
        "child_age_months": np.asarray(columns.pop("child_age_months", [3] * n), dtype=np.int64),
        "harmed_by": pd.Categorical(columns.pop("harmed_by", ["birth_father"] * n),
                                    categories=list(HARMED_BY_CODES)),
        "known_to": pd.Categorical(columns.pop("known_to", ["universal"] * n),
                                   categories=list(KNOWN_TO_CODES)),
    }
    for name, values in columns.items():
        if name == "partnership":
            data[name] = pd.Series(values, dtype="str").to_numpy()
        elif name == "incident_type":
            data[name] = pd.Categorical(values, categories=list(INCIDENT_TYPE_CODES))
        else:
            data[name] = pd.Categorical(values, categories=list(FLAG_LEVELS))
    return pd.DataFrame(data, index=pd.RangeIndex(2, n + 2, name="row"))


def small_cases() -> pd.DataFrame:
    """Ten cases, counted by hand below."""
    return make_cases(
        harmed_by=["birth_father"] * 5 + ["stepfather", "mothers_partner", "other_male_carer"]
        + ["unknown"] * 2,
        known_to=["none", "universal", "universal", "universal", "early_help", "early_help",
                  "child_in_need", "child_protection_plan", "unknown", "unknown"],
        domestic_abuse=["yes"] * 4 + ["no"] * 3 + ["unknown"] * 3,
        father_seen=["no"] * 6 + ["unknown"] * 4,
        father_identified=["unknown"] * 10,
    )


# metric: (numerator, denominator, unknown), counted by hand from small_cases()
SMALL_EXPECTED = {
    "harmed_by.birth_father": (5, 8, 2),
    "harmed_by.another_male_carer": (3, 8, 2),
    "known_to.none": (1, 8, 2),
    # service levels: of the cases whose level is known and is not "none" (contract v1.1)
    "known_to.universal": (3, 7, 2),
    "known_to.early_help": (2, 7, 2),
    "known_to.child_in_need": (1, 7, 2),
    "known_to.child_protection_plan": (1, 7, 2),
    "risk.domestic_abuse": (4, 7, 3),
    "engagement.identified": (0, 0, 10),
    "engagement.seen": (0, 6, 4),
}


# --------------------------------------------------------------------------------------
# Wilson intervals
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "nobs"),
    [(0, 10), (10, 10), (1, 1), (0, 1), (3, 7), (59, 92), (1, 1000)],
)
@pytest.mark.parametrize("level", [0.95, 0.998, 0.90])
def test_wilson_matches_statsmodels(count: int, nobs: int, level: float) -> None:
    low, high = M.wilson_interval(count, nobs, level)
    exp_low, exp_high = proportion_confint(count, nobs, alpha=1 - level, method="wilson")
    assert isinstance(low, float) and isinstance(high, float)
    assert low == pytest.approx(max(exp_low, 0.0), abs=1e-12)
    assert high == pytest.approx(min(exp_high, 1.0), abs=1e-12)


@pytest.mark.parametrize("level", [0.95, 0.998])
def test_wilson_closed_formula_agrees_with_statsmodels_for_every_count_up_to_500(
    level: float,
) -> None:
    """statsmodels is the oracle of the closed formula: every x/n with 1 <= n <= 500."""
    nobs = np.repeat(np.arange(1, 501), np.arange(2, 502))
    counts = np.concatenate([np.arange(n + 1) for n in range(1, 501)])
    assert len(counts) == len(nobs) == sum(n + 1 for n in range(1, 501))
    low, high = M.wilson_interval(counts, nobs, level)
    exp_low, exp_high = proportion_confint(counts, nobs, alpha=1 - level, method="wilson")
    np.testing.assert_allclose(low, np.clip(exp_low, 0.0, 1.0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(high, np.clip(exp_high, 0.0, 1.0), rtol=0, atol=1e-12)


def test_wilson_edge_values() -> None:
    low, high = M.wilson_interval(0, 20)
    assert low == 0.0 and 0.0 < high < 0.2
    low, high = M.wilson_interval(20, 20)
    assert high == 1.0 and 0.8 < low < 1.0
    low, high = M.wilson_interval(1, 1)
    assert high == 1.0 and low == pytest.approx(0.206549314, abs=1e-8)  # 1/(1+1.959964^2)
    # 99.8% is wider than 95%
    l95, h95 = M.wilson_interval(5, 20, 0.95)
    l998, h998 = M.wilson_interval(5, 20, 0.998)
    assert l998 < l95 < 0.25 < h95 < h998


def test_wilson_vectorised_and_zero_denominator() -> None:
    counts = np.array([0, 3, 1, 0, 7])
    nobs = np.array([5, 3, 1, 0, 20])
    low, high = M.wilson_interval(counts, nobs, 0.998)
    exp_low, exp_high = proportion_confint(counts[[0, 1, 2, 4]], nobs[[0, 1, 2, 4]],
                                           alpha=0.002, method="wilson")
    np.testing.assert_allclose(low[[0, 1, 2, 4]], np.clip(exp_low, 0, 1), atol=1e-12)
    np.testing.assert_allclose(high[[0, 1, 2, 4]], np.clip(exp_high, 0, 1), atol=1e-12)
    assert math.isnan(low[3]) and math.isnan(high[3])
    assert M.wilson_interval(0, 0) == pytest.approx((math.nan, math.nan), nan_ok=True)


@pytest.mark.parametrize(
    ("count", "nobs", "level", "message"),
    [(5, 4, 0.95, "count must not exceed nobs"),
     (-1, 4, 0.95, "count and nobs must be non-negative whole numbers"),
     (1.5, 4, 0.95, "count and nobs must be non-negative whole numbers"),
     (1, 4, 0.0, r"level must be strictly between 0 and 1 .*; got 0\.0"),
     (1, 4, 1.0, r"level must be strictly between 0 and 1 .*; got 1\.0"),
     (1, 4, 95, "level must be strictly between 0 and 1 .*; got 95"),
     (1, 4, "high", "level must be a number between 0 and 1, e.g. 0.95; got 'high'"),
     ([1, 2], [3, 4, 5], 0.95, "count and nobs must have the same shape")],
)
def test_wilson_rejects_bad_arguments(count, nobs, level, message) -> None:
    with pytest.raises(ValueError, match=message):
        M.wilson_interval(count, nobs, level)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
       st.sampled_from([0.8, 0.95, 0.998]))
def test_wilson_contains_rate(pair: tuple[int, int], level: float) -> None:
    count, nobs = pair
    low, high = M.wilson_interval(count, nobs, level)
    if nobs == 0:
        assert math.isnan(low) and math.isnan(high)
    else:
        assert 0.0 <= low <= count / nobs <= high <= 1.0


# --------------------------------------------------------------------------------------
# The metrics table
# --------------------------------------------------------------------------------------


def test_metrics_table_hand_counts() -> None:
    table = M.metrics_table(small_cases())
    assert list(table.columns) == list(METRICS_COLUMNS)
    assert list(table["metric"]) == [m for m in METRIC_IDS if m in SMALL_EXPECTED]
    for column in ("numerator", "denominator", "unknown"):
        assert table[column].dtype == np.int64
    got = {r.metric: (r.numerator, r.denominator, r.unknown) for r in table.itertuples()}
    assert got == SMALL_EXPECTED
    rates = dict(zip(table["metric"], table["rate"]))
    assert rates["harmed_by.birth_father"] == 5 / 8
    assert rates["risk.domestic_abuse"] == 4 / 7
    assert rates["engagement.seen"] == 0.0
    assert math.isnan(rates["engagement.identified"])


def test_metrics_table_intervals_and_p_values() -> None:
    table = M.metrics_table(small_cases()).set_index("metric")
    for level, alpha in ((0.95, 0.05), (0.998, 0.002)):
        t = M.metrics_table(small_cases(), level=level).set_index("metric")
        lo, hi = proportion_confint(4, 7, alpha=alpha, method="wilson")
        assert t.loc["risk.domestic_abuse", "ci_low"] == pytest.approx(lo, abs=1e-12)
        assert t.loc["risk.domestic_abuse", "ci_high"] == pytest.approx(hi, abs=1e-12)
    row = table.loc["harmed_by.birth_father"]
    assert row["national_numerator"] == 81 and row["national_denominator"] == 92
    assert row["national_rate"] == pytest.approx(81 / 92)
    assert row["p_value"] == pytest.approx(fisher_exact([[5, 3], [81, 11]]).pvalue, rel=1e-12)
    row = table.loc["risk.domestic_abuse"]
    # like for like: 4 yes of all 10 in-scope cases (3 unknown count as not featuring)
    assert row["p_value"] == pytest.approx(fisher_exact([[4, 6], [59, 33]]).pvalue, rel=1e-12)
    row = table.loc["known_to.universal"]
    assert row["p_value"] == pytest.approx(fisher_exact([[3, 4], [45, 47]]).pvalue, rel=1e-12)
    # Holm, worked here by hand over the six tests (harmed_by's two rows are one test)
    tests = {"harmed_by": fisher_exact([[5, 3], [81, 11]]).pvalue,
             "universal": fisher_exact([[3, 4], [45, 47]]).pvalue,
             "early_help": fisher_exact([[2, 5], [24, 68]]).pvalue,
             "child_in_need": fisher_exact([[1, 6], [12, 80]]).pvalue,
             "child_protection_plan": fisher_exact([[1, 6], [11, 81]]).pvalue,
             "domestic_abuse": fisher_exact([[4, 6], [59, 33]]).pvalue}
    order = sorted(tests, key=tests.get)
    holm, running = {}, 0.0
    for i, name in enumerate(order):
        running = max(running, min(1.0, (len(order) - i) * tests[name]))
        holm[name] = running
    for metric, name in (("harmed_by.birth_father", "harmed_by"),
                         ("harmed_by.another_male_carer", "harmed_by"),
                         ("known_to.universal", "universal"),
                         ("known_to.child_in_need", "child_in_need"),
                         ("risk.domestic_abuse", "domestic_abuse")):
        assert table.loc[metric, "p_holm"] == pytest.approx(holm[name], rel=1e-12), metric
    assert table.loc["harmed_by.birth_father", "p_value"] == \
        table.loc["harmed_by.another_male_carer", "p_value"]
    assert math.isnan(table.loc["known_to.none", "p_holm"])
    # no national figure: empty national columns and p-value
    for metric in ("known_to.none", "engagement.seen"):
        assert pd.isna(table.loc[metric, "national_numerator"])
        assert math.isnan(table.loc[metric, "national_rate"])
        assert math.isnan(table.loc[metric, "p_value"])
    # denominator 0: empty rate, CI and p-value, no error
    row = table.loc["engagement.identified"]
    assert pd.isna(row["rate"]) and pd.isna(row["ci_low"]) and pd.isna(row["ci_high"])
    assert pd.isna(row["p_value"])


def test_absent_flags_yield_no_row_and_empty_frame_is_fine() -> None:
    table = M.metrics_table(make_cases(harmed_by=["birth_father"]))
    assert list(table["metric"]) == list(METRIC_IDS[:7])
    empty = M.metrics_table(make_cases(0, domestic_abuse=[]))
    assert list(empty["metric"]) == list(METRIC_IDS[:7]) + ["risk.domestic_abuse"]
    assert (empty["denominator"] == 0).all() and empty["rate"].isna().all()
    assert empty["p_value"].isna().all()


def test_missing_cells_count_as_unknown() -> None:
    cases = make_cases(domestic_abuse=["yes", "no", "yes"])
    cases.loc[cases.index[0], "domestic_abuse"] = np.nan
    row = M.metrics_table(cases).set_index("metric").loc["risk.domestic_abuse"]
    assert (row["numerator"], row["denominator"], row["unknown"]) == (1, 2, 1)


def test_plain_string_columns_are_accepted() -> None:
    cases = make_cases(domestic_abuse=["yes", "no", "unknown"])
    cases["domestic_abuse"] = cases["domestic_abuse"].astype(str)
    cases["harmed_by"] = ["stepfather", "unknown", "birth_father"]
    table = M.metrics_table(cases).set_index("metric")
    assert tuple(table.loc["harmed_by.another_male_carer", ["numerator", "denominator", "unknown"]]) == (1, 2, 1)
    assert tuple(table.loc["risk.domestic_abuse", ["numerator", "denominator", "unknown"]]) == (1, 2, 1)


def test_metrics_table_argument_errors() -> None:
    with pytest.raises(ValueError, match="known_to"):
        M.metrics_table(small_cases().drop(columns="known_to"))
    bad = small_cases()
    bad["domestic_abuse"] = ["perhaps"] + ["yes"] * 9
    with pytest.raises(ValueError, match="domestic_abuse"):
        M.metrics_table(bad)
    with pytest.raises(ValueError, match="level"):
        M.metrics_table(small_cases(), level=1.5)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(FLAG_LEVELS), min_size=0, max_size=60))
def test_flag_counts_property(values: list[str]) -> None:
    row = M.metrics_table(make_cases(domestic_abuse=values) if values else make_cases(0, domestic_abuse=[]))
    row = row.set_index("metric").loc["risk.domestic_abuse"]
    assert row["numerator"] == values.count("yes")
    assert row["denominator"] == values.count("yes") + values.count("no")
    assert row["unknown"] == values.count("unknown")
    if row["denominator"]:
        assert row["ci_low"] <= row["rate"] <= row["ci_high"]


# --------------------------------------------------------------------------------------
# metrics.csv
# --------------------------------------------------------------------------------------


def test_csv_is_deterministic_and_in_contract_order(tmp_path: Path) -> None:
    table = M.metrics_table(small_cases())
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    M.write_metrics_csv(table, first)
    M.write_metrics_csv(M.metrics_table(small_cases()), second)
    data = first.read_bytes()
    assert data == second.read_bytes()
    assert b"\r" not in data and not data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8").split("\n")
    assert lines[0] == ",".join(METRICS_COLUMNS)
    assert lines[-1] == ""  # ends with a newline
    rows = {line.split(",")[0]: line.split(",") for line in lines[1:-1]}
    expected_p = f"{fisher_exact([[5, 3], [81, 11]]).pvalue:.6g}"
    holm = M.metrics_table(small_cases()).set_index("metric").loc["harmed_by.birth_father",
                                                                   "p_holm"]
    assert rows["harmed_by.birth_father"][1:5] == ["5", "8", "2", "0.625000"]
    assert rows["harmed_by.birth_father"][7:] == ["81", "92", "0.880435", expected_p,
                                                  f"{holm:.6g}"]
    assert rows["known_to.none"][7:] == ["", "", "", "", ""]
    assert rows["engagement.identified"][1:] == ["0", "0", "10"] + [""] * 8
    assert rows["engagement.seen"][4:7] == ["0.000000", "0.000000", rows["engagement.seen"][6]]
    assert not any(cell.startswith("-") for line in lines[1:] for cell in line.split(","))


def test_csv_to_stream_matches_file(tmp_path: Path) -> None:
    table = M.metrics_table(small_cases())
    stream = io.StringIO()
    M.write_metrics_csv(table, stream)
    path = tmp_path / "m.csv"
    M.write_metrics_csv(table, str(path))
    assert stream.getvalue().encode("utf-8") == path.read_bytes()
    assert M.format_metrics_csv(table) == stream.getvalue()


def test_csv_keeps_suppressed_cells() -> None:
    table = M.metrics_table(small_cases()).astype(object)
    table.loc[table["metric"] == "known_to.none", ["numerator", "rate", "ci_low", "ci_high"]] = "c"
    text = M.format_metrics_csv(table)
    line = next(row for row in text.split("\n") if row.startswith("known_to.none,"))
    assert line.split(",")[:7] == ["known_to.none", "c", "8", "2", "c", "c", "c"]
    assert M.format_metrics_csv(table) == text


def test_csv_p_value_keeps_small_values_and_rejects_bad_tables() -> None:
    table = M.metrics_table(small_cases())
    table.loc[0, "p_value"] = 3.5e-8
    table.loc[1, "p_value"] = 1.0
    table.loc[0, "p_holm"] = 1.23456789e-7
    lines = M.format_metrics_csv(table).split("\n")
    assert lines[1].endswith(",3.5e-08,1.23457e-07") and lines[2].split(",")[-2] == "1"
    with pytest.raises(ValueError, match="p_value"):
        M.format_metrics_csv(table.drop(columns="p_value"))
    with pytest.raises(ValueError, match="p_holm"):
        M.format_metrics_csv(table.drop(columns="p_holm"))
    table = table.astype({"numerator": float})
    table.loc[0, "numerator"] = 2.5
    with pytest.raises(ValueError, match="whole"):
        M.format_metrics_csv(table)


def test_csv_leading_group_column() -> None:
    by = M.metrics_by(make_cases(partnership=["B", "A"], domestic_abuse=["yes", "no"]))
    text = M.format_metrics_csv(by, leading=["partnership"])
    assert text.split("\n")[0] == "partnership," + ",".join(METRICS_COLUMNS)
    assert text.split("\n")[1].startswith("A,harmed_by.birth_father,1,1,0,1.000000,")


# --------------------------------------------------------------------------------------
# Quarters, periods, partnerships, breakdowns
# --------------------------------------------------------------------------------------


def test_quarter_labels() -> None:
    dates = pd.Series(pd.to_datetime(["2025-03-31", "2025-04-01", "2024-12-31", "2025-01-01",
                                      "2025-09-30", None]), index=[10, 11, 12, 13, 14, 15])
    labels = M.quarter_label(dates)
    assert list(labels.index) == [10, 11, 12, 13, 14, 15]
    assert list(labels[:5]) == ["2025-Q1", "2025-Q2", "2024-Q4", "2025-Q1", "2025-Q3"]
    assert pd.isna(labels.iloc[5])
    assert M.quarter_label(pd.Timestamp("2025-07-01")) == "2025-Q3"
    assert M.quarter_label("2025-06-30") == "2025-Q2"
    assert list(M.quarter_label(["2025-10-01"])) == ["2025-Q4"]
    cases = M.add_quarter(make_cases(notification_date=["2025-03-31", "2025-04-01"]))
    assert list(cases["quarter"]) == ["2025-Q1", "2025-Q2"]


def period_cases() -> pd.DataFrame:
    return make_cases(
        notification_date=["2024-02-01", "2024-03-31", "2024-08-15", "2025-01-01", "2025-06-30"],
        harmed_by=["birth_father", "stepfather", "birth_father", "birth_father", "unknown"],
        partnership=["Luton", "Bedford Borough", "Luton", "Central Bedfordshire", "Luton"],
    )


def test_select_period() -> None:
    cases = period_cases()
    assert list(M.select_period(cases, "2024-Q1").index) == [2, 3]
    assert list(M.select_period(cases, " 2025-q2 ").index) == [6]
    assert list(M.select_period(cases, "2024").index) == [2, 3, 4]
    assert len(M.select_period(cases, "2023")) == 0
    assert len(M.select_period(cases, "all")) == 5 and len(M.select_period(cases, None)) == 5
    for bad in ("2025-Q5", "25", "Q3 2025", "2025-13", "2025Q1", "", "last quarter"):
        with pytest.raises(ValueError, match="2025-Q3"):
            M.select_period(cases, bad)
    with pytest.raises(ValueError, match="period must be text like '2025-Q3'.*; got 2025"):
        M.select_period(cases, 2025)  # type: ignore[arg-type]


def test_select_partnership() -> None:
    cases = period_cases()
    assert list(M.select_partnership(cases, "Luton").index) == [2, 4, 6]
    assert list(M.select_partnership(cases, "bedford borough").index) == [3]
    with pytest.raises(ValueError) as err:
        M.select_partnership(cases, "Bedford")
    assert "'Bedford Borough', 'Central Bedfordshire', 'Luton'" in str(err.value)
    with pytest.raises(ValueError, match="no partnership column"):
        M.select_partnership(small_cases(), "Luton")


def test_metrics_by_partnership_and_quarter() -> None:
    cases = period_cases()
    by = M.metrics_by(cases, "partnership")
    assert list(by.columns) == ["partnership", *METRICS_COLUMNS]
    assert list(by["partnership"].unique()) == ["Bedford Borough", "Central Bedfordshire", "Luton"]
    luton = by[(by["partnership"] == "Luton") & (by["metric"] == "harmed_by.birth_father")].iloc[0]
    assert (luton["numerator"], luton["denominator"], luton["unknown"]) == (2, 2, 1)
    assert by["numerator"].dtype == np.int64
    q = M.metrics_by(cases, "quarter")
    assert list(q["quarter"].unique()) == ["2024-Q1", "2024-Q3", "2025-Q1", "2025-Q2"]
    q1 = q[(q["quarter"] == "2024-Q1") & (q["metric"] == "harmed_by.another_male_carer")].iloc[0]
    assert (q1["numerator"], q1["denominator"]) == (1, 2)
    lo, hi = proportion_confint(1, 2, alpha=0.05, method="wilson")
    assert q1["ci_low"] == pytest.approx(lo) and q1["ci_high"] == pytest.approx(hi)
    assert q1["p_value"] == pytest.approx(fisher_exact([[1, 1], [11, 81]]).pvalue)
    with pytest.raises(ValueError, match="region"):
        M.metrics_by(cases, "region")
    gap = cases.copy()
    gap["partnership"] = ["Luton", None, "Luton", "Luton", "Luton"]
    with pytest.raises(ValueError, match="partnership"):
        M.metrics_by(gap, "partnership")


def test_rolling_metrics() -> None:
    cases = period_cases()  # quarters 2024-Q1 x2, 2024-Q3, 2025-Q1, 2025-Q2
    rolled = M.rolling_metrics(cases, window=4)
    assert list(rolled.columns[:3]) == ["window", "window_start", "window_end"]
    assert list(rolled.columns[3:]) == list(METRICS_COLUMNS)
    assert list(rolled["window"].unique()) == [
        "2024-Q1 to 2024-Q4", "2024-Q2 to 2025-Q1", "2024-Q3 to 2025-Q2"]
    assert list(rolled["window_end"].unique()) == ["2024-Q4", "2025-Q1", "2025-Q2"]
    bf = rolled[rolled["metric"] == "harmed_by.birth_father"]
    # cases per window: {1,2,3}, {3,4}, {3,4,5}; harmed_by known in all but case 5
    assert list(bf["numerator"]) == [2, 2, 2]
    assert list(bf["denominator"]) == [3, 2, 2]
    assert list(bf["unknown"]) == [0, 0, 1]
    partial = M.rolling_metrics(cases, window=4, complete_only=False)
    assert list(partial["window"].unique())[:2] == ["2024-Q1 to 2024-Q1", "2024-Q1 to 2024-Q2"]
    assert partial["window"].nunique() == 6
    assert M.rolling_metrics(cases, window=8).empty
    assert list(M.rolling_metrics(cases, window=1)["window"].unique())[1] == "2024-Q2 to 2024-Q2"
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="window"):
            M.rolling_metrics(cases, window=bad)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# Risk factors together
# --------------------------------------------------------------------------------------


def risk_cases() -> pd.DataFrame:
    rows = [  # domestic_abuse, father_mental_ill_health, young_parent, care_leaver
        ("yes", "yes", "yes", "no"),          # 3
        ("yes", "no", "yes", "yes"),          # 3
        ("yes", "unknown", "no", "no"),       # 1, with an unknown
        ("no", "no", "no", "no"),             # 0
        ("unknown", "unknown", "no", "no"),   # 0, with unknowns
        ("yes", "yes", "yes", "yes"),         # 4 -> 3+
    ]
    cols = [list(x) for x in zip(*rows)]
    return make_cases(domestic_abuse=cols[0], father_mental_ill_health=cols[1],
                      young_parent=cols[2], care_leaver=cols[3], father_seen=["yes"] * 6)


def test_risk_cooccurrence() -> None:
    matrix = M.risk_cooccurrence(risk_cases())
    flags = ["domestic_abuse", "father_mental_ill_health", "young_parent", "care_leaver"]
    assert list(matrix.index) == flags and list(matrix.columns) == flags
    expected = np.array([
        [4, 2, 3, 2],
        [2, 2, 2, 1],
        [3, 2, 3, 2],
        [2, 1, 2, 2],
    ])
    np.testing.assert_array_equal(matrix.to_numpy(), expected)
    assert matrix.to_numpy().dtype == np.int64
    assert M.risk_cooccurrence(make_cases(father_seen=["yes"])).shape == (0, 0)


def test_risk_count_distribution() -> None:
    dist = M.risk_count_distribution(risk_cases())
    assert list(dist["risk_factors"]) == ["0", "1", "2", "3+"]
    assert list(dist["cases"]) == [2, 1, 0, 3]
    assert list(dist["with_unknown"]) == [1, 1, 0, 0]
    np.testing.assert_allclose(dist["share"], [2 / 6, 1 / 6, 0, 3 / 6])
    assert dist["cases"].dtype == np.int64
    assert M.risk_count_distribution(make_cases(father_seen=["yes"])).empty
    assert set(RISK_FLAGS) >= set(M.risk_cooccurrence(risk_cases()).index)


def test_public_api_is_declared() -> None:
    for name in M.__all__:
        assert hasattr(M, name), name


# --------------------------------------------------------------------------------------
# Mutation survivors (benchmarks/mutation.md): each test kills survivors of `make mutate`
# on metrics.py. Refusals match the whole message; expected figures by hand or statsmodels.
# --------------------------------------------------------------------------------------


def _whole(message: str):
    return pytest.raises(ValueError, match=f"^{re.escape(message)}$")


@pytest.mark.parametrize(("count", "nobs", "message"), [
    ([1, None], [2, 2], "count and nobs must not be missing"),
    ([1, 1], [2, None], "count and nobs must not be missing"),
    ([1, 2], [3, 4, 5], "count and nobs must have the same shape"),
    (-1, 4, "count and nobs must be non-negative whole numbers"),
    (5, 4, "count must not exceed nobs"),
])
def test_wilson_refusals_in_full(count, nobs, message) -> None:
    with _whole(message):
        M.wilson_interval(count, nobs)


def test_wilson_scalar_only_when_both_are_scalars() -> None:
    # one number against two: two intervals (statsmodels' Wilson, called here)
    for count, nobs in ((1, [2, 4]), ([1, 2], 4)):
        low, high = M.wilson_interval(count, nobs)
        assert isinstance(low, np.ndarray) and low.shape == (2,)
        expected = proportion_confint(np.broadcast_to(count, 2), np.broadcast_to(nobs, 2),
                                      alpha=0.05, method="wilson")
        np.testing.assert_allclose(low, expected[0], rtol=1e-12)
        np.testing.assert_allclose(high, expected[1], rtol=1e-12)


def test_cases_frame_missing_both_required_columns() -> None:
    with _whole("the cases frame lacks required column(s): harmed_by, known_to"):
        M.metrics_table(small_cases().drop(columns=["harmed_by", "known_to"]))


def test_metric_counts_are_int64() -> None:
    counts = M.metric_counts(small_cases())
    assert {c: str(t) for c, t in counts.dtypes.items() if c != "metric"} == {
        "numerator": "int64", "denominator": "int64", "unknown": "int64"}


def test_service_levels_per_partnership_leave_out_that_partnership_s_none() -> None:
    # A: universal, none, early_help; B: universal, universal. The levels are shares of the
    # cases known to a service other than none (contract v1.1): A's universal is 1 of 2,
    # B's 2 of 2; B has no "none" to leave out
    cases = make_cases(known_to=["universal", "none", "early_help", "universal", "universal"],
                       partnership=["A", "A", "A", "B", "B"])
    by = M.metrics_by(cases, "partnership").set_index(["partnership", "metric"])
    assert tuple(by.loc[("A", "known_to.universal"), ["numerator", "denominator"]]) == (1, 2)
    assert tuple(by.loc[("B", "known_to.universal"), ["numerator", "denominator"]]) == (2, 2)
    assert tuple(by.loc[("A", "known_to.none"), ["numerator", "denominator"]]) == (1, 3)


def test_plain_string_flags_without_every_level_and_with_a_missing_cell() -> None:
    # no "unknown" written anywhere, and a None cell (missing: counted as unknown)
    cases = make_cases(domestic_abuse=["yes", "no", "no"])
    cases["domestic_abuse"] = pd.Series(["yes", "no", None], index=cases.index, dtype=object)
    row = M.metrics_table(cases).set_index("metric").loc["risk.domestic_abuse"]
    assert (row["numerator"], row["denominator"], row["unknown"]) == (1, 2, 1)
    two = make_cases(domestic_abuse=["yes", "no"])
    two["domestic_abuse"] = ["yes", "no"]
    row = M.metrics_table(two).set_index("metric").loc["risk.domestic_abuse"]
    assert (row["numerator"], row["denominator"], row["unknown"]) == (1, 2, 0)
    codes = M.flag_codes(cases, "domestic_abuse")
    assert codes.dtype == np.int64 and codes.tolist() == [M.FLAG_YES_CODE, 1, M.FLAG_UNKNOWN_CODE]


FOREIGN = ("column 'domestic_abuse' holds 1 value(s) outside the contract's codes "
           "(yes, no, unknown); validate the extract first")


def _with_extra_category(values: list[str]) -> pd.DataFrame:
    cases = make_cases(domestic_abuse=["yes"] * len(values))
    cases["domestic_abuse"] = pd.Categorical(values, categories=["yes", "no", "unknown",
                                                                  "perhaps"])
    return cases


def test_a_category_outside_the_contract_is_refused_when_used_and_ignored_when_not() -> None:
    with _whole(FOREIGN):
        M.metrics_table(_with_extra_category(["yes", "perhaps", "no"]))
    with _whole(FOREIGN):
        M.risk_cooccurrence(_with_extra_category(["yes", "perhaps", "no"]))
    row = M.metrics_table(_with_extra_category(["yes", "no", "no"])).set_index("metric").loc[
        "risk.domestic_abuse"]
    assert (row["numerator"], row["denominator"], row["unknown"]) == (1, 3, 0)
    assert M.risk_cooccurrence(_with_extra_category(["yes", "no", "yes"])).iloc[0, 0] == 2


def test_metrics_from_counts_defaults_and_refusals() -> None:
    counts = pd.DataFrame({"metric": ["engagement.seen"], "numerator": [3], "denominator": [10],
                           "unknown": [0]})
    table = M.metrics_from_counts(counts)  # the default level is 95%
    low, high = proportion_confint(3, 10, alpha=0.05, method="wilson")
    assert (table.loc[0, "ci_low"], table.loc[0, "ci_high"]) == pytest.approx((low, high))
    with _whole("counts table lacks column(s): denominator, unknown"):
        M.metrics_from_counts(counts.drop(columns=["denominator", "unknown"]))
    zero = counts.assign(numerator=[0], denominator=[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(M.metrics_from_counts(zero).loc[0, "rate"])


def test_a_breakdown_is_one_holm_family_a_group() -> None:
    counts = pd.DataFrame({
        "partnership": ["A", "A", "B", "B"],
        "metric": ["risk.domestic_abuse", "risk.care_leaver"] * 2,
        "numerator": [30, 0, 10, 2], "denominator": [30, 30, 40, 40], "unknown": [0] * 4})
    table = M.metrics_from_counts(counts)
    for name in ("A", "B"):
        rows = table[table["partnership"] == name]
        # Holm over this partnership's two p-values, by hand: the smaller times 2, the
        # larger as it is but never below the smaller's adjusted value (capped at 1)
        p = rows["p_value"].to_numpy(dtype=float)
        first = min(1.0, 2 * p.min())
        expected = [first if v == p.min() else min(1.0, max(first, v)) for v in p]
        np.testing.assert_allclose(rows["p_holm"].to_numpy(dtype=float), expected, rtol=1e-12)
        assert p.min() < p.max()  # two distinct p-values, so the rule above is Holm's


def test_metrics_by_passes_its_level_on() -> None:
    by = M.metrics_by(make_cases(partnership=["A", "A", "B"], domestic_abuse=["yes", "no", "no"]),
                      "partnership", level=0.998)
    row = by.set_index(["partnership", "metric"]).loc[("A", "risk.domestic_abuse")]
    low, high = proportion_confint(1, 2, alpha=0.002, method="wilson")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))


def test_breakdown_refusals_in_full() -> None:
    cases = period_cases()
    with _whole("the cases frame has no notification_date column"):
        M.metrics_by(cases.drop(columns="notification_date"), "quarter")
    with _whole("the cases frame has no notification_date column"):
        M.rolling_metrics(cases.drop(columns="notification_date"))
    gap = cases.copy()
    gap.loc[gap.index[1], "notification_date"] = pd.NaT
    with _whole("1 case(s) have no notification_date"):
        M.metrics_by(gap, "quarter")
    with _whole("1 case(s) have no notification_date"):
        M.rolling_metrics(gap)
    with _whole("cannot break down by 'region': the cases frame has no such column (use "
                "'quarter' or a column such as 'partnership')"):
        M.metrics_by(cases, "region")


def test_rolling_metrics_default_window_starts_and_empty_frames() -> None:
    cases = period_cases()  # 2024-Q1 to 2025-Q2: three windows of four quarters
    rolled = M.rolling_metrics(cases)
    assert list(rolled["window_start"].unique()) == ["2024-Q1", "2024-Q2", "2024-Q3"]
    assert rolled["window"].nunique() == 3
    # no window (too short a span), or no cases at all: no rows, the columns' types kept
    for empty in (M.rolling_metrics(cases, window=8), M.rolling_metrics(make_cases(0)),
                  M.rolling_metrics(make_cases(0), window=1)):
        assert empty.empty
        assert [str(empty[c].dtype) for c in ("window", "window_start", "window_end", "metric")] \
            == ["str"] * 4


def test_csv_cells_of_every_kind() -> None:
    table = M.metrics_table(small_cases()).head(1).copy()
    table["rate"] = -0.0  # a negative zero is written as 0
    table["p_value"] = -0.0
    table["cases_total"] = 1234567  # a whole-number leading column, written whole
    table["share"] = 0.5  # a fraction leading column, 6 significant figures
    table["negative"] = -0.0
    table["when"] = pd.Timestamp("2025-01-02").date()  # anything else: as str() writes it
    text = M.format_metrics_csv(table, leading=["cases_total", "share", "negative", "when"])
    header, first = text.split("\n")[:2]
    cells = dict(zip(header.split(","), first.split(",")))
    assert (cells["cases_total"], cells["share"], cells["negative"], cells["when"]) == \
        ("1234567", "0.5", "0", "2025-01-02")
    assert cells["rate"] == "0.000000" and cells["p_value"] == "0"
    table["numerator"] = True
    with _whole("column 'numerator' holds a true/false value; expected a number"):
        M.format_metrics_csv(table)


def test_csv_refusals_and_leading_columns_written_to_a_file(tmp_path: Path) -> None:
    table = M.metrics_table(small_cases())
    with _whole("metrics table lacks column(s): rate, ci_low"):
        M.format_metrics_csv(table.drop(columns=["rate", "ci_low"]))
    with _whole("leading columns must not repeat the contract's columns"):
        M.format_metrics_csv(table, leading=["metric"])
    with _whole("dest must be a path or a text stream; got int"):
        M.write_metrics_csv(table, 42)  # type: ignore[arg-type]
    by = M.metrics_by(make_cases(partnership=["B", "A"], domestic_abuse=["yes", "no"]))
    M.write_metrics_csv(by, tmp_path / "by.csv", leading=["partnership"])
    assert (tmp_path / "by.csv").read_text(encoding="utf-8").split("\n")[0] == \
        "partnership," + ",".join(METRICS_COLUMNS)


def test_risk_tables_names_types_and_bands_with_none_above_one() -> None:
    matrix = M.risk_cooccurrence(risk_cases())
    assert matrix.index.name == "factor"
    empty = M.risk_cooccurrence(make_cases(father_seen=["yes"]))
    assert str(empty.index.dtype) == "str" and str(empty.columns.dtype) == "str"
    assert empty.index.name == "factor"
    none = M.risk_count_distribution(make_cases(father_seen=["yes"]))
    assert list(none.columns) == ["risk_factors", "cases", "share", "with_unknown"]
    assert [str(t) for t in none.dtypes] == ["str", "int64", "float64", "int64"]
    # one factor at most: the bands 2 and 3+ are there, empty
    low = M.risk_count_distribution(make_cases(domestic_abuse=["yes", "no", "unknown"]))
    assert list(low["cases"]) == [2, 1, 0, 0] and list(low["with_unknown"]) == [1, 0, 0, 0]
    assert low["with_unknown"].dtype == np.int64
    # no cases but the columns: no shares, and no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nothing = M.risk_count_distribution(make_cases(0, domestic_abuse=[]))
    assert list(nothing["cases"]) == [0, 0, 0, 0] and nothing["share"].isna().all()
