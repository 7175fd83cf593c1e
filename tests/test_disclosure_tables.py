"""The registry of published tables: every figure a pack prints belongs to one entry, the
protected view holds exactly the registry's tables, and an entry that would print figures
in a public pack without cells for the attack is refused."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import audit
from audit.disclosure import protect
from audit.disclosure.model import CASES, PATTERN, Count, Publication, Term
from audit.disclosure.tables import (
    TABLES,
    Hiding,
    PublishedTable,
    _adjust_shown,
    _bands_public,
    _cases_public,
    _completeness_public,
    _funnel_public,
    _metrics_public,
    _pairs_public,
    _public_p_chart,
    _quarterly_public,
    _rolling_public,
    _spc_public,
    build_publication,
    check_tables,
    counts_table,
    entry_of_address,
    hide,
    row_key,
)
from audit.errors import ReportError
from audit.workspace import AuditData, open_audit

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "pooled_extract.csv"


@pytest.fixture(scope="module")
def pooled() -> AuditData:
    return open_audit(SAMPLE, period="2025-Q3").compute()


def test_every_published_figure_belongs_to_a_registry_entry(pooled):
    publication = build_publication(pooled)
    tables = {c.table for c in publication.counts} | {r.table for r in publication.rates}
    # the sample pools three partnerships over ten quarters: every kind of table is printed
    assert tables == {"cases", "metrics", "risk_bands", "cooccurrence", "quarterly", "spc",
                      "rolling", "partnerships"}
    assert all(entry_of_address(t) is not None for t in tables)
    # rows of several parts are spelt one way, by the entry that owns them
    quarter = next(c for c in publication.counts if c.table == "quarterly")
    period, metric = quarter.row.split("|")
    assert quarter.row == row_key(period, metric)


def test_the_view_holds_the_registry_tables_and_nothing_else(pooled):
    keys = [t.key for t in TABLES]
    board, public = protect(pooled, "board"), protect(pooled, "public")
    assert list(board.tables) == keys and list(public.tables) == keys
    # the board's own tables are the analyst's figures; the public never sees the steps'
    # conditional counts or the auditors' agreement
    assert board.metrics.equals(pooled.metrics) and board.cases == pooled.in_scope
    assert board.steps is not None and public.steps is None and public.agreement is None
    with pytest.raises(ReportError, match="no published table 'by_partnership'"):
        board.table("by_partnership")


def test_protect_writes_nothing_back_into_the_audit(pooled):
    before = {name: id(value) for name, value in vars(pooled).items()}
    first, second = protect(pooled, "board"), protect(pooled, "board")
    assert first is not second                           # a new view each call, not a cache
    assert {name: id(value) for name, value in vars(pooled).items()} == before


def test_an_entry_printing_for_the_public_without_cells_is_refused():
    unattacked = PublishedTable("extra", "extra", lambda d: pd.DataFrame(),
                                public=lambda table, hiding: table)
    with pytest.raises(TypeError, match=re.escape(
            "published table 'extra' prints figures in a public pack but lists no cells (give "
            "it cells, or the table it is built_on)")):
        check_tables((*TABLES, unattacked))
    check_tables((*TABLES, PublishedTable("board_only", "board_only", lambda d: None)))
    with pytest.raises(TypeError, match="share the key 'metrics'"):
        check_tables((*TABLES, PublishedTable("metrics_again", "metrics", lambda d: None)))
    with pytest.raises(TypeError, match="share the address table 'spc'"):
        check_tables((*TABLES, PublishedTable("spc", "charts", lambda d: None,
                                              cells=lambda d, p: None)))


def test_a_chart_line_belongs_to_the_table_it_is_drawn_over():
    # the p-chart's average is listed with the quarters (address table "spc"): withheld as
    # a line when it pins a count, and left out with its metric's quarters
    owner = entry_of_address("spc")
    assert owner is not None and owner.name == "quarterly" and "centre" in owner.lines
    assert owner.group is not None and owner.group("engagement.seen") == "engagement.seen"
    assert entry_of_address("partnerships").lines == ("target",)
    # the number of cases is never hidden to protect another count
    assert [t.name for t in TABLES if not t.complementary] == ["cases"]


def test_every_module_of_the_package_is_an_attribute():
    # audit.measures.engagement was once left out of a hand-kept list and raised AttributeError
    assert audit.measures.engagement.engagement_funnel is audit.engagement_funnel
    assert {"measures", "workspace", "disclosure", "sections"} <= audit._SUBMODULES
    assert "engagement" in audit.measures._SUBMODULES


def test_leaving_out_a_chart_leaves_out_its_line_and_a_withheld_line_its_chart(pooled):
    from audit.disclosure.protect import _crowded_groups, _without

    full = build_publication(pooled)
    kept = _without(full, {("quarterly", "engagement.seen"), ("partnerships", "engagement.seen")})
    lines = {(r.table, r.row) for r in kept.rates if r.column in ("centre", "target")}
    assert ("spc", "engagement.seen") not in lines and ("spc", "engagement.contacted") in lines
    assert ("partnerships", "engagement.seen") not in lines
    assert ("partnerships", "engagement.contacted") in lines
    assert not [c for c in kept.counts if c.row.endswith("|engagement.seen")
                and c.table in ("quarterly", "partnerships")]
    assert _crowded_groups(kept) == set()
    kept.withheld |= {("spc", "engagement.contacted", "centre"),
                      ("partnerships", "engagement.identified", "target")}
    assert _crowded_groups(kept) == {("quarterly", "engagement.contacted"),
                                     ("partnerships", "engagement.identified")}


# ------------------------------------------------------------------ the public hiding
# Each table's public view on small frames made by hand, with a Hiding written out: what is
# printed ``c``, what is left as it was, what is left out (issue 24: the mutants of
# disclosure/tables.py, benchmarks/mutation.md). Expected values worked out by hand.

C = "c"


def _hiding(*hidden, dropped=(), shown=None) -> Hiding:
    return Hiding(frozenset(hidden), frozenset(dropped), shown or {})


def test_hide_blanks_each_count_where_it_is_hidden_and_what_is_built_on_either():
    frame = pd.DataFrame({"n": [1, 2, 3], "d": [4, 5, 6], "r": [0.25, 0.4, 0.5],
                          "x": [7, 8, 9]}, index=[10, 11, 12])
    masks = {"n": np.array([True, False, False]), "d": np.array([False, True, False])}
    out = hide(frame, masks, ["not_a_column", "r"])          # a column it lacks is skipped
    assert out["n"].tolist() == [C, 2, 3] and out["d"].tolist() == [4, C, 6]
    assert out["r"].tolist() == [C, C, 0.5]       # built on either count of its row
    assert out["x"].tolist() == [7, 8, 9] and out["x"].dtype == "int64"
    assert out["n"].dtype == object and out.index.tolist() == [10, 11, 12]
    assert frame["n"].tolist() == [1, 2, 3] and frame["r"].tolist() == [0.25, 0.4, 0.5]
    # nothing hidden: the frame's columns keep their types
    none = hide(frame, {"n": np.zeros(3, dtype=bool)}, ["r"])
    assert none.dtypes.tolist() == frame.dtypes.tolist() and none.equals(frame)


def test_a_public_p_chart_makes_a_hidden_quarter_a_gap_that_breaks_a_run():
    labels = [f"{y}-Q{q}" for y in (2022, 2023, 2024) for q in (1, 2, 3, 4)]
    chart = pd.DataFrame({
        "label": labels, "numerator": range(10, 22), "denominator": [30] * 12,
        "rate": [0.5] * 12, "centre": [0.4] * 12, "sigma": [0.09] * 12,
        "lower": [0.13] * 12, "upper": [0.67] * 12, "side": [1] * 12,
        "run_length": [12] * 12, "outside": [False] * 7 + [True, False, False, True, False],
        "run": [True] * 12, "special_cause": [True] * 12,
    })
    out = _public_p_chart(chart, {"2023-Q4"})            # the 8th quarter of 12 above
    # twelve above the average was one run; the gap leaves 7 (a run) and 4 (not)
    assert out["side"].tolist() == [1] * 7 + [0] + [1] * 4
    assert out["run_length"].tolist() == [7] * 7 + [0] + [4] * 4
    assert out["run"].tolist() == [True] * 7 + [False] * 5
    # the hidden quarter is not outside; the shown one beyond its limits still is
    assert out["outside"].tolist() == [False] * 10 + [True, False]
    assert out["special_cause"].tolist() == [True] * 7 + [False] * 3 + [True, False]
    gap = out.iloc[7]
    for column in ("numerator", "denominator", "rate", "sigma", "lower", "upper"):
        assert gap[column] == C, column
        assert out[column].tolist()[:7] == chart[column].tolist()[:7], column
    assert gap["centre"] == 0.4 and gap["label"] == "2023-Q4"
    assert chart["side"].tolist() == [1] * 12 and chart["outside"].iloc[7]   # not changed
    # nothing hidden: the chart as it was, its runs worked out again
    same = _public_p_chart(chart, set())
    assert same["run_length"].tolist() == [12] * 12 and same["run"].all()
    assert same["rate"].tolist() == [0.5] * 12


def test_public_holm_is_over_the_shown_p_values_only():
    metrics = pd.DataFrame({
        "metric": ["t.a", "t.b", "t.c", "t.d", "t.e"],
        "p_value": [0.01, C, 0.04, np.nan, 0.03],
        "p_holm": [0.5, C, 0.5, 0.5, 0.5],
    }, index=[5, 6, 7, 8, 9])
    out = _adjust_shown(metrics)
    # Holm over 0.01, 0.03, 0.04 (three tests): 3 x 0.01 = 0.03; max(0.03, 2 x 0.03) = 0.06;
    # max(0.06, 1 x 0.04) = 0.06. No p-value, no adjusted one.
    assert out.loc[5, "p_holm"] == pytest.approx(0.03)
    assert out.loc[9, "p_holm"] == pytest.approx(0.06)
    assert out.loc[7, "p_holm"] == pytest.approx(0.06)
    assert out.loc[6, "p_holm"] == C and math.isnan(out.loc[8, "p_holm"])
    assert out.loc[6, "p_value"] == C and metrics.loc[5, "p_holm"] == 0.5
    no_tests = pd.DataFrame({"metric": ["t.a"], "rate": [0.5]})
    assert _adjust_shown(no_tests) is no_tests


def test_the_public_metrics_table_hides_a_rate_with_its_counts_not_with_its_unknown():
    metrics = pd.DataFrame({
        "metric": ["t.a", "t.b", "t.c", "t.d"],
        "numerator": [20, 9, 3, 12], "denominator": [40, 4, 30, 30], "unknown": [2, 0, 1, 6],
        "rate": [0.5, 0.9, 0.1, 0.4], "ci_low": [0.3] * 4, "ci_high": [0.7] * 4,
        "national_rate": [0.45] * 4, "p_value": [0.02, 0.3, 0.01, 0.04], "p_holm": [1.0] * 4,
    })
    hiding = _hiding(("metrics", "t.a", "unknown"), ("metrics", "t.b", "denominator"),
                     ("metrics", "t.c", "numerator"))
    out = _metrics_public(metrics, hiding).set_index("metric")
    assert out.loc["t.a", "unknown"] == C and out.loc["t.a", "rate"] == 0.5
    assert out.loc["t.b", "numerator"] == 9 and out.loc["t.b", "denominator"] == C
    assert out.loc["t.c", "numerator"] == C and out.loc["t.c", "denominator"] == 30
    for metric in ("t.b", "t.c"):
        for column in ("rate", "ci_low", "ci_high", "p_value", "p_holm"):
            assert out.loc[metric, column] == C, (metric, column)
        assert out.loc[metric, "national_rate"] == 0.45   # the national review's own
        assert out.loc[metric, "unknown"] != C
    assert out.loc["t.d"].tolist() == [12, 30, 6, 0.4, 0.3, 0.7, 0.45, 0.04, pytest.approx(0.04)]
    # Holm over t.a's 0.02 and t.d's 0.04: 2 x 0.02 = 0.04, max(0.04, 0.04) = 0.04
    assert out.loc["t.a", "p_holm"] == pytest.approx(0.04)


def test_a_risk_factor_keeps_its_test_beside_a_hidden_known_but_not_beside_a_hidden_yes():
    """A risk factor is compared with the review out of every case (yes / cases, both
    printed), so its p-values stay printed when only its "known" is hidden; its rate and
    interval, which are of the cases known, do not. Holm over the one printed: itself."""
    metrics = pd.DataFrame({
        "metric": ["risk.care_leaver", "risk.young_parent", "t.b"],
        "numerator": [8, 3, 9], "denominator": [14, 12, 4], "unknown": [5, 7, 0],
        "rate": [0.57, 0.25, 0.9], "ci_low": [0.3] * 3, "ci_high": [0.8] * 3,
        "national_rate": [0.054, 0.326, 0.45], "p_value": [0.01, 0.5, 0.3], "p_holm": [1.0] * 3,
    })
    hiding = _hiding(("metrics", "risk.care_leaver", "denominator"),
                     ("metrics", "risk.young_parent", "numerator"),
                     ("metrics", "t.b", "denominator"))
    out = _metrics_public(metrics, hiding).set_index("metric")
    assert [out.loc["risk.care_leaver", c] for c in ("rate", "ci_low", "ci_high")] == [C] * 3
    assert out.loc["risk.care_leaver", "p_value"] == 0.01
    assert out.loc["risk.care_leaver", "p_holm"] == pytest.approx(0.01)  # the one printed
    for metric in ("risk.young_parent", "t.b"):
        assert [out.loc[metric, c] for c in ("p_value", "p_holm")] == [C, C], metric


SEEN, CONTACTED = "engagement.seen", "engagement.contacted"     # trend metrics


def test_the_public_quarter_table_keeps_trend_metrics_shown_and_hides_on_either_count():
    rows = [("2024-Q1", SEEN, 12, 30), ("2024-Q2", SEEN, 0, 3), ("2024-Q1", CONTACTED, 9, 20),
            ("2024-Q1", "known_to.none", 2, 40), ("2024-Q1", "risk.domestic_abuse", 4, 30)]
    quarterly = pd.DataFrame({
        "period": [r[0] for r in rows], "cases": [40] * 5, "metric": [r[1] for r in rows],
        "numerator": [r[2] for r in rows], "denominator": [r[3] for r in rows],
        "unknown": [1] * 5, "rate": [0.4, 0.0, 0.45, 0.05, 0.13], "ci_low": [0.2] * 5,
        "ci_high": [0.6] * 5, "national_numerator": [50] * 5, "national_denominator": [90] * 5,
        "national_rate": [0.55] * 5, "p_value": [0.2] * 5, "p_holm": [0.4] * 5,
    })
    hiding = _hiding(("quarterly", "2024-Q2|engagement.seen", "denominator"),
                     ("quarterly", "2024-Q1|risk.domestic_abuse", "numerator"),
                     dropped={("quarterly", CONTACTED)})
    out = _quarterly_public(quarterly, hiding)
    # a measure not drawn over time, and one whose charts are left out, are not printed
    assert list(zip(out["period"], out["metric"])) == [
        ("2024-Q1", SEEN), ("2024-Q2", SEEN), ("2024-Q1", "risk.domestic_abuse")]
    assert "cases" not in out.columns and "unknown" not in out.columns
    shown, zero_of_three, risk = (out.iloc[i] for i in range(3))
    assert shown.tolist() == ["2024-Q1", SEEN, 12, 30, 0.4, 0.2, 0.6, 50, 90, 0.55, 0.2, 0.4]
    assert zero_of_three["numerator"] == 0 and zero_of_three["denominator"] == C
    assert risk["numerator"] == C and risk["denominator"] == 30
    for column in ("rate", "ci_low", "ci_high", "national_numerator", "national_denominator",
                   "national_rate", "p_value", "p_holm"):
        assert zero_of_three[column] == C and risk[column] == C, column


def _chart(labels: list[str]) -> pd.DataFrame:
    n = len(labels)
    return pd.DataFrame({
        "label": labels, "numerator": [12] * n, "denominator": [30] * n, "rate": [0.4] * n,
        "centre": [0.4] * n, "sigma": [0.09] * n, "lower": [0.13] * n, "upper": [0.67] * n,
        "side": [0] * n, "run_length": [0] * n, "outside": [False] * n, "run": [False] * n,
        "special_cause": [False] * n,
    })


def test_the_public_p_charts_hide_a_quarter_on_either_count_and_leave_out_a_dropped_one():
    labels = ["2024-Q1", "2024-Q2", "2024-Q3"]
    charts = {SEEN: _chart(labels), CONTACTED: _chart(labels),
              "risk.domestic_abuse": _chart(labels)}
    hiding = _hiding(("quarterly", "2024-Q2|engagement.seen", "denominator"),
                     ("quarterly", "2024-Q3|engagement.seen", "numerator"),
                     ("quarterly", "2024-Q1|risk.domestic_abuse", "numerator"),
                     ("partnerships", "2024-Q1|engagement.seen", "numerator"),
                     dropped={("quarterly", CONTACTED), ("partnerships", SEEN)})
    out = _spc_public(charts, hiding)
    assert list(out) == [SEEN, "risk.domestic_abuse"]
    assert out[SEEN]["rate"].tolist() == [0.4, C, C]
    assert out[SEEN]["denominator"].tolist() == [30, C, C]
    assert out["risk.domestic_abuse"]["upper"].tolist() == [C, 0.67, 0.67]


def test_the_public_four_quarters_hide_on_either_count_or_are_left_out_whole():
    rolling = pd.DataFrame({
        "window": ["latest"] * 4, "window_start": ["2024-Q1"] * 4,
        "window_end": ["2024-Q4"] * 4,
        "metric": [SEEN, CONTACTED, "known_to.none", "risk.domestic_abuse"],
        "numerator": [40, 3, 50, 30], "denominator": [100, 90, 120, 4], "unknown": [4, 0, 0, 2],
        "rate": [0.4, 0.03, 0.42, 0.3], "ci_low": [0.3] * 4, "ci_high": [0.5] * 4,
        "national_numerator": [50] * 4, "national_denominator": [90] * 4,
        "national_rate": [0.55] * 4, "p_value": [0.2] * 4, "p_holm": [0.4] * 4,
    })
    hiding = _hiding(("rolling", CONTACTED, "numerator"),
                     ("rolling", "risk.domestic_abuse", "denominator"))
    out = _rolling_public(rolling, hiding)
    # only the measures drawn over time; the unknown is not printed
    assert out["metric"].tolist() == [SEEN, CONTACTED, "risk.domestic_abuse"]
    assert "unknown" not in out.columns
    window = ["latest", "2024-Q1", "2024-Q4"]
    assert out.iloc[0].tolist() == [*window, SEEN, 40, 100, 0.4, 0.3, 0.5, 50, 90, 0.55, 0.2,
                                    0.4]
    assert out.iloc[1].tolist() == [*window, CONTACTED, C, 90, C, C, C, C, C, C, C, C]
    assert out.iloc[2].tolist() == [*window, "risk.domestic_abuse", 30, C, C, C, C, C, C, C,
                                    C, C]
    left_out = _rolling_public(rolling, _hiding(dropped={("rolling", "")}))
    assert left_out.empty and list(left_out.columns) == [
        c for c in rolling.columns if c != "unknown"]


def _funnel(metric: str, partnerships: list[str]) -> pd.DataFrame:
    n = len(partnerships)
    return pd.DataFrame({
        "partnership": partnerships, "metric": [metric] * n, "numerator": [0, 12, 20][:n],
        "denominator": [3, 30, 40][:n], "unknown": [1] * n, "rate": [0.0, 0.4, 0.5][:n],
        "target": [0.43] * n, "target_basis": ["pooled"] * n, "lower_95": [0.1] * n,
        "upper_95": [0.8] * n, "lower_99_8": [0.05] * n, "upper_99_8": [0.9] * n,
        "outside_95": [False] * n, "outside_99_8": [False] * n,
        "position": ["within the limits"] * n,
    })


def test_the_public_funnel_tables_hide_on_either_count_and_leave_out_a_dropped_one():
    funnels = {CONTACTED: _funnel(CONTACTED, ["A", "B"]), SEEN: _funnel(SEEN, ["A", "B", "C"])}
    hiding = _hiding(("partnerships", "A|engagement.seen", "denominator"),
                     ("partnerships", "C|engagement.seen", "numerator"),
                     ("quarterly", "B|engagement.seen", "numerator"),
                     dropped={("partnerships", CONTACTED), ("quarterly", SEEN)})
    out = _funnel_public(funnels, hiding)
    assert list(out) == [SEEN] and "unknown" not in out[SEEN].columns
    a, b, c = (out[SEEN].iloc[i] for i in range(3))
    assert a.tolist() == ["A", SEEN, 0, C, C, 0.43, "pooled", C, C, C, C, C, C, C]
    assert c.tolist() == ["C", SEEN, C, 40, C, 0.43, "pooled", C, C, C, C, C, C, C]
    assert b.tolist() == ["B", SEEN, 12, 30, 0.4, 0.43, "pooled", 0.1, 0.8, 0.05, 0.9, False,
                          False, "within the limits"]


def test_the_public_risk_bands_and_pairs_hide_their_counts_or_are_left_out():
    bands = pd.DataFrame({"risk_factors": ["0", "1", "2", "3+"], "cases": [0, 2, 8, 37],
                          "share": [0.0, 0.04, 0.17, 0.79], "with_unknown": [0, 1, 3, 9]})
    out = _bands_public(bands, _hiding(("risk_bands", "1", "cases"), ("risk_bands", "2", "x")))
    assert out.columns.tolist() == ["risk_factors", "cases", "share"]
    assert out["cases"].tolist() == [0, C, 8, 37] and out["share"].tolist() == [0.0, C, 0.17,
                                                                               0.79]
    assert _bands_public(bands, _hiding(dropped={("risk_bands", "")})) is None
    assert _bands_public(bands.iloc[0:0], _hiding()) is None
    flags = ["domestic_abuse", "care_leaver", "young_parent"]
    pairs = pd.DataFrame([[25, 2, 10], [2, 9, 3], [10, 3, 14]], index=flags, columns=flags)
    hiding = _hiding(("cooccurrence", "care_leaver|domestic_abuse", "cases"),
                     ("cooccurrence", "young_parent|care_leaver", "cases"),
                     ("metrics", "risk.care_leaver", "numerator"),
                     ("metrics", "risk.young_parent", "denominator"))
    out = _pairs_public(pairs, hiding)
    # a pair hidden by either spelling of its row, both ways round; a factor's own cell
    # when its yes is hidden
    assert out.values.tolist() == [[25, C, 10], [C, C, C], [10, C, 14]]
    assert _pairs_public(pairs, _hiding(dropped={("cooccurrence", "")})) is None
    assert _pairs_public(pairs.iloc[0:0, 0:0], _hiding()) is None
    assert pairs.loc["care_leaver", "care_leaver"] == 9


def test_the_public_number_of_cases():
    assert _cases_public(47, _hiding(("cases", "pack", "cases"))) == C
    assert _cases_public(47, _hiding(("metrics", "pack", "cases"))) == 47


def test_a_counts_table_entry_lists_its_counts_and_hides_what_is_built_on_them():
    frame = pd.DataFrame({"kind": ["x", "y", "z"], "n": [30, 4, 0], "share": [0.88, 0.12, 0.0]})
    data = {"by_kind": frame}                     # what compute is given: the audit's data
    table = counts_table("by_kind", lambda d: d["by_kind"], "kinds", row="kind", count="n",
                         priority=3)
    assert (table.name, table.key, table.priority) == ("by_kind", "by_kind", 3)
    assert table.compute(data) is frame
    publication = Publication(pack_partnerships=frozenset({"A", "B"}),
                              pack_quarters=frozenset({"2024-Q1"}))
    table.cells(data, publication)
    scope = (frozenset({"A", "B"}), frozenset({"2024-Q1"}))
    assert publication.counts == [
        Count("by_kind", k, "n", (Term("kinds", (k,), *scope),), n)
        for k, n in (("x", 30), ("y", 4), ("z", 0))]
    out = table.public(frame, _hiding(("by_kind", "y", "n"), ("by_kind", "x", "share")))
    assert out.values.tolist() == [["x", 30, 0.88], ["y", C, C], ["z", 0, 0.0]]
    # by default a row is a "category" and its count "cases"
    plain = pd.DataFrame({"category": ["x", "y"], "cases": [30, 4], "share": [0.88, 0.12]})
    default = counts_table("by_category", lambda d: d, "kinds")
    assert default.priority == 7
    publication = Publication(pack_partnerships=frozenset({"A"}),
                              pack_quarters=frozenset({"2024-Q1"}))
    default.cells(plain, publication)
    assert [(c.row, c.column, c.value) for c in publication.counts] == [
        ("x", "cases", 30), ("y", "cases", 4)]
    out = default.public(plain, _hiding(("by_category", "y", "cases")))
    assert out.values.tolist() == [["x", 30, 0.88], ["y", C, C]]


def test_public_completeness_is_worked_out_from_the_public_metrics_and_cases():
    metrics = pd.DataFrame({"metric": ["harmed_by.birth_father", "harmed_by.another_male_carer",
                                       "engagement.seen", "engagement.contacted"],
                            "unknown": [2, 2, 5, C]})
    out = _completeness_public(pd.DataFrame(), _hiding(shown={"metrics": metrics, "cases": 40}))
    # one row for the "harmed by" field, one for each measure; 2/40 = 5%, 5/40 = 12.5%
    assert out["Cases"].tolist() == [40, 40, 40]
    assert out["Not known"].tolist() == [2, 5, C]
    assert out["Share not known"].tolist() == [0.05, 0.125, C]
    assert out["Over 10% not known"].tolist() == ["no", "yes", C]


# ------------------------------------------------------------------ the cells listed

FLAGS = ("domestic_abuse", "father_mental_ill_health", "young_parent", "care_leaver",
         "substance_misuse", "childhood_adversity", "impulsivity", "external_pressures",
         "relationship_problems", "trigger_infant_behaviour")


def test_every_row_with_cases_known_lists_its_rate_over_its_own_counts(pooled):
    publication = build_publication(pooled)
    counts = {c.address: c for c in publication.counts}
    rates = {r.address: r for r in publication.rates}
    rows = {(t, r) for t, r, column in counts if column == "denominator"}
    assert {t for t, _ in rows} == {"metrics", "quarterly", "rolling", "partnerships"}
    for table, row in sorted(rows):
        num, den = counts[(table, row, "numerator")], counts[(table, row, "denominator")]
        rate = rates.get((table, row, "rate"))
        if den.value == 0:
            assert rate is None, (table, row)
            continue
        assert rate is not None, (table, row)
        # the printed rate's range holds numerator / denominator, over the same cases
        assert rate.low <= num.value / den.value <= rate.high, (table, row)
        assert (rate.numerator, rate.denominator) == (num.terms, den.terms), (table, row)


def test_the_number_of_cases_is_one_count_over_the_whole_pack(pooled):
    publication = build_publication(pooled)
    cases = [c for c in publication.counts if c.table == "cases"]
    assert [(c.address, c.value) for c in cases] == [(("cases", "pack", "cases"),
                                                       pooled.in_scope)]
    whole = Term(CASES, ("all",), publication.pack_partnerships, publication.pack_quarters)
    assert cases[0].terms == (whole,) and len(publication.pack_partnerships) == 3


def test_a_row_of_quarters_or_partnerships_is_left_out_with_its_measure():
    quarterly, funnels = entry_of_address("quarterly"), entry_of_address("partnerships")
    assert quarterly.group(row_key("2024-Q1", "engagement.seen")) == "engagement.seen"
    assert funnels.group(row_key("Eastmere", "engagement.contacted")) == "engagement.contacted"
    assert quarterly.dropped_words("engagement.seen") == (
        "The quarter-by-quarter charts of 'father seen': most quarters rest on small "
        "numbers.")


def test_the_metrics_table_lists_its_rates_to_four_places_and_yes_out_of_every_case(pooled):
    """Every row's rate to four places; the risk factors (as the review counted) and the
    practice questions, engagement and sharing (issue 22), also yes out of every case, to
    one place; who harmed the baby and the service levels not (their base is their own)."""
    every_case = ("risk.", "engagement.", "sharing.")
    publication = build_publication(pooled)
    counts = {c.address: c for c in publication.counts}
    rates = {r.address: r for r in publication.rates}
    whole = (Term(CASES, ("all",), publication.pack_partnerships, publication.pack_quarters),)
    metrics = [str(m) for m in pooled.metrics["metric"]]
    for prefix in (*every_case, "harmed_by.", "known_to."):
        assert any(m.startswith(prefix) for m in metrics), prefix
    for metric in metrics:
        # metrics.csv prints a rate to four places of a percentage: 38.6364% is 0.3863635
        # to 0.3863645, a range 1e-6 wide (a quarter's, to one place, is 1e-3 wide)
        rate = rates[("metrics", metric, "rate")]
        assert rate.high - rate.low == pytest.approx(1e-6), metric
        review = rates.get(("metrics", metric, "review_rate"))
        if not metric.startswith(every_case):
            assert review is None, metric
            continue
        yes = counts[("metrics", metric, "numerator")]
        assert review is not None, metric
        assert review.low <= yes.value / pooled.in_scope <= review.high, metric
        assert (review.numerator, review.denominator) == (yes.terms, whole), metric
        assert review.high - review.low == pytest.approx(1e-3), metric
    quarter = next(r for r in publication.rates if r.table == "quarterly")
    assert quarter.high - quarter.low == pytest.approx(1e-3)


def test_risk_patterns_are_listed_over_the_flags_of_the_extract(pooled):
    publication = build_publication(pooled)
    assert publication.pattern_flags == FLAGS


def test_risk_bands_sum_the_patterns_with_that_many_factors(pooled):
    publication = build_publication(pooled)
    scope = (publication.pack_partnerships, publication.pack_quarters)
    bands = {c.row: c for c in publication.counts if c.table == "risk_bands"}
    assert [c.address for c in bands.values()] == [
        ("risk_bands", b, "cases") for b in ("0", "1", "2", "3+")]
    assert [c.value for c in bands.values()] == pooled.risk_counts["cases"].tolist()
    # ten flags: 1 pattern with none, 10 with one, 45 with two, 1024 - 56 = 968 with 3+;
    # a pattern's digit i is flag i, the patterns in the order of their binary value with
    # the first flag the lowest digit
    patterns = {b: c.terms[0].categories for b, c in bands.items()}
    assert [len(patterns[b]) for b in ("0", "1", "2", "3+")] == [1, 10, 45, 968]
    assert patterns["0"] == ("0" * 10,)
    assert patterns["1"] == tuple("0" * i + "1" + "0" * (9 - i) for i in range(10))
    assert patterns["2"][:3] == ("1100000000", "1010000000", "0110000000")
    assert all(p.count("1") >= 3 for p in patterns["3+"])
    assert all(c.terms == (Term(PATTERN, patterns[b], *scope),) for b, c in bands.items())


def test_each_pair_of_risk_factors_is_listed_once_over_the_patterns_with_both(pooled):
    publication = build_publication(pooled)
    scope = (publication.pack_partnerships, publication.pack_quarters)
    pairs = [c for c in publication.counts if c.table == "cooccurrence"]
    expected = [(a, b) for i, a in enumerate(FLAGS) for b in FLAGS[i + 1:]]
    assert len(expected) == 45
    assert [c.address for c in pairs] == [
        ("cooccurrence", f"{a}|{b}", "cases") for a, b in expected]
    assert [c.value for c in pairs] == [int(pooled.cooccurrence.loc[a, b]) for a, b in expected]
    for c, (a, b) in zip(pairs, expected):
        i, j = FLAGS.index(a), FLAGS.index(b)
        (term,) = c.terms
        assert (term.family, term.partnerships, term.quarters) == (PATTERN, *scope)
        # 2^8 patterns have both digits set, whatever the other eight flags are
        assert len(term.categories) == 256 and len(set(term.categories)) == 256
        assert all(p[i] == p[j] == "1" and len(p) == 10 for p in term.categories)


TREND = ("engagement.seen", "engagement.contacted", "risk.domestic_abuse")


def test_quarters_four_quarters_and_partnerships_are_listed_over_their_own_cases(pooled):
    publication = build_publication(pooled)
    everywhere = publication.pack_partnerships
    assert everywhere == {"Eastmere", "Northbridge", "Westvale"}
    counts = {c.address: c for c in publication.counts}
    rates = {r.address: r for r in publication.rates}
    # the four quarters together: the three measures drawn over time, 2024-Q4 to 2025-Q3
    rolling = {c.row for c in publication.counts if c.table == "rolling"}
    assert rolling == set(TREND)
    window = {"2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3"}
    for metric in TREND:
        (term,) = counts[("rolling", metric, "denominator")].terms
        assert (term.partnerships, term.quarters) == (everywhere, window)
    # a quarter of a measure drawn over time: that quarter, every partnership
    quarterly = [c for c in publication.counts if c.table == "quarterly"]
    assert {c.row.split("|")[1] for c in quarterly} == set(TREND)
    for c in quarterly:
        period = c.row.split("|")[0]
        assert all((t.partnerships, t.quarters) == (everywhere, {period}) for t in c.terms)
    # a partnership of a funnel: that partnership, the pack's quarter; the target over all
    funnel = [c for c in publication.counts if c.table == "partnerships"]
    assert {c.row for c in funnel} == {f"{p}|{m}" for p in everywhere for m in (
        "engagement.seen", "engagement.contacted", "engagement.identified")}
    for c in funnel:
        partnership = c.row.split("|")[0]
        assert all((t.partnerships, t.quarters) == ({partnership}, {"2025-Q3"})
                   for t in c.terms)
    for metric, table in pooled.funnels.items():
        target = rates[("partnerships", metric, "target")]
        assert target.low <= float(table["target"].iloc[0]) <= target.high
        assert all((t.partnerships, t.quarters) == (everywhere, {"2025-Q3"})
                   for t in target.numerator)


def test_quarters_are_listed_from_two_quarters_and_a_chart_line_only_where_there_is_one(
        tmp_path):
    # two quarters of 20 cases, father contacted in 8 of each; domestic abuse never known
    # (its p-chart has no average); no father-seen column (no such measure)
    rows = [{"case_id": f"S-{m}-{i}", "notification_date": f"2024-{m}-10",
             "harmed_by": "birth_father", "known_to": "universal", "child_age_months": 3,
             "father_contacted": "yes" if i < 8 else "no", "domestic_abuse": "unknown"}
            for m in ("02", "05") for i in range(20)]
    path = tmp_path / "two_quarters.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    data = open_audit(path, allow_missing="all").compute()
    publication = build_publication(data)
    quarters = ("2024-Q1", "2024-Q2")
    counts = {c.address: c.value for c in publication.counts if c.table == "quarterly"}
    assert counts == {
        **{("quarterly", f"{q}|engagement.contacted", col): v for q in quarters
           for col, v in (("numerator", 8), ("denominator", 20))},
        **{("quarterly", f"{q}|risk.domestic_abuse", col): 0 for q in quarters
           for col in ("numerator", "denominator")},
    }
    quarter_rates = [r.address for r in publication.rates if r.table == "quarterly"]
    assert quarter_rates == [("quarterly", f"{q}|engagement.contacted", "rate")
                             for q in quarters]
    # the p-chart's average, 16 of 40, over both quarters; none for domestic abuse
    (centre,) = [r for r in publication.rates if r.table == "spc"]
    assert centre.address == ("spc", "engagement.contacted", "centre")
    assert centre.low <= 0.4 <= centre.high
    assert [t.quarters for t in centre.numerator + centre.denominator] == [set(quarters)] * 2


def test_the_publication_knows_every_category_of_each_family(pooled):
    # a family's categories add up to its cases, "unknown" included: what lets the attack
    # take a hidden category as the cases less the others
    publication = build_publication(pooled)
    assert publication.pack_quarters == {"2025-Q3"}
    categories = publication.categories
    assert categories[CASES] == ("all",)
    assert categories["harmed_by"] == ("birth_father", "another_male_carer", "unknown")
    assert categories["known_to"] == ("none", "universal", "early_help", "child_in_need",
                                      "child_protection_plan", "unknown")
    assert categories["father_seen"] == categories["domestic_abuse"] == ("yes", "no", "unknown")
