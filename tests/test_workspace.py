"""audit.workspace: the validated copy handed to notebooks, period/partnership selection, the
tables computed once, the earlier quarters passed in, and the cache shared with notebooks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from audit.disclosure import protect
from audit.errors import DisclosureError, ParameterError
from audit.intake.validate import load_extract
from audit.workspace import (
    AuditData,
    audit_of,
    cache_path,
    is_prepared,
    load_prepared,
    open_audit,
    save_prepared,
)

HEADER = "case_id,notification_date,child_age_months,harmed_by,known_to,partnership,domestic_abuse"
ROWS = [
    "A1,2025-01-10,2,birth_father,universal,North,yes",
    "A2,15/02/2025,5,stepfather,early_help,North,no",
    "A3,2025-04-01,14,birth_father,universal,South,yes",   # out of scope (row 4)
    "A4,2025-05-20,0,unknown,child_in_need,South,",
    "A5,2024-11-30,11,birth_father,none,South,y",
]


@pytest.fixture
def extract_csv(tmp_path):
    path = tmp_path / "extract.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    return path


def test_prepared_copy_round_trips_cases_and_provenance(extract_csv, tmp_path):
    extract = load_extract(extract_csv, allow_missing="all")
    path = save_prepared(extract, tmp_path / "cases.parquet")
    assert is_prepared(path)
    again = load_prepared(path)
    pd.testing.assert_frame_equal(again.cases, extract.cases)
    assert again.excluded["row"].tolist() == [4]
    assert (again.rows_read, again.sha256, again.path.name) == (5, extract.sha256, "extract.csv")
    assert again.missing_flags == extract.missing_flags


def test_a_plain_parquet_extract_is_not_mistaken_for_a_prepared_copy(tmp_path):
    path = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"case_id": ["x"]}), path)
    assert not is_prepared(path)
    assert not is_prepared(tmp_path / "missing.parquet")


def test_open_audit_selects_quarter_and_partnership(extract_csv):
    data = open_audit(extract_csv, period="2025-Q1", allow_missing="all")
    assert sorted(data.cases["case_id"]) == ["A1", "A2"]
    assert data.period == "2025-Q1" and data.period_label == "2025-Q1"
    south = open_audit(extract_csv, partnership="South", allow_missing="all")
    assert sorted(south.cases["case_id"]) == ["A4", "A5"]  # A3 is out of scope
    assert south.place == "South" and south.partnership == "South"
    # a case-insensitive match takes the extract's own spelling
    assert open_audit(extract_csv, partnership="south", allow_missing="all").partnership == "South"
    assert open_audit(extract_csv, period="2025-q1", allow_missing="all").period == "2025-Q1"


def test_open_audit_all_periods_labels_the_span(extract_csv):
    data = open_audit(extract_csv, allow_missing="all")
    assert data.period == "all"
    assert data.period_label == "2024-Q4 to 2025-Q2"
    assert data.quarters == ["2024-Q4", "2025-Q1", "2025-Q2"]
    assert data.place == "2 partnerships pooled (North, South)"
    assert data.partnerships == ["North", "South"]
    assert data.in_scope == 4
    assert data.chart_context == {"period": "2024-Q4 to 2025-Q2",
                                  "source": "extract.csv (case extract)",
                                  "place": "2 partnerships pooled (North, South)"}
    assert not data.synthetic


def test_open_audit_rejects_a_malformed_period_with_a_parameter_error(extract_csv):
    with pytest.raises(ParameterError, match="not understood"):
        open_audit(extract_csv, period="Q3 2025", allow_missing="all")


def test_a_period_with_no_cases_names_the_quarters_the_extract_covers(extract_csv):
    with pytest.raises(ParameterError) as caught:
        open_audit(extract_csv, period="2019-Q1", allow_missing="all")
    assert "2024-Q4 to 2025-Q2" in str(caught.value)
    with pytest.raises(ParameterError) as caught:
        open_audit(extract_csv, period="2025-Q2", partnership="North", allow_missing="all")
    assert "'North'" in str(caught.value) and "2024-Q4 to 2025-Q2" in str(caught.value)


def test_an_unknown_partnership_is_a_parameter_error_listing_those_held(extract_csv):
    with pytest.raises(ParameterError) as caught:
        open_audit(extract_csv, partnership="Eastmere", allow_missing="all")
    assert "'North'" in str(caught.value) and "'South'" in str(caught.value)


def test_analyst_and_board_tables_show_small_counts_the_public_cannot_have(extract_csv):
    data = open_audit(extract_csv, allow_missing="all")
    raw = data.metrics.set_index("metric")
    # domestic abuse: yes A1, A5; no A2; unknown A4 -> 2 of 3
    assert (raw.at["risk.domestic_abuse", "numerator"],
            raw.at["risk.domestic_abuse", "denominator"],
            raw.at["risk.domestic_abuse", "unknown"]) == (2, 3, 1)
    board = protect(data, "board").metrics.set_index("metric")
    assert (board.at["risk.domestic_abuse", "numerator"],
            board.at["risk.domestic_abuse", "denominator"]) == (2, 3)
    # four cases are too few to publish at all (k = 5)
    with pytest.raises(DisclosureError, match="too few to publish"):
        protect(data, "public")


def test_tables_are_computed_once_from_the_cases(extract_csv):
    data = open_audit(extract_csv, allow_missing="all")
    assert data.metrics is data.metrics          # cached, not recomputed
    data.compute()
    assert "steps" in AuditData.table_names() and "funnel" not in AuditData.table_names()
    for name in AuditData.table_names():
        assert name in data.__dict__, name
    # pooled audit: one metrics row a partnership and measure
    seen = data.by_partnership[data.by_partnership["metric"] == "risk.domestic_abuse"]
    assert dict(zip(seen["partnership"], seen["numerator"])) == {"North": 1, "South": 1}
    # quarter by quarter: 2024-Q4 (A5), 2025-Q1 (A1, A2), 2025-Q2 (A4)
    quarterly = data.quarterly
    assert sorted(set(quarterly["period"])) == ["2024-Q4", "2025-Q1", "2025-Q2"]
    sizes = quarterly.drop_duplicates("period").set_index("period")["cases"]
    assert sizes.to_dict() == {"2024-Q4": 1, "2025-Q1": 2, "2025-Q2": 1}
    completeness = data.completeness.set_index("Field")
    from audit.contract import column_label

    assert completeness.at[column_label("domestic_abuse"), "Not known"] == 1      # A4


def test_a_single_partnership_audit_has_no_funnels(extract_csv):
    south = open_audit(extract_csv, partnership="South", allow_missing="all")
    assert south.by_partnership.empty and south.funnels == {}
    assert south.scope_cases["case_id"].tolist() == ["A4", "A5"]


def test_history_fills_earlier_quarters_the_extract_does_not_hold(extract_csv):
    history = pd.DataFrame({
        "period": ["2024-Q2", "2024-Q3", "2025-Q1", "2025-Q3", "2024"],
        "metric": ["risk.domestic_abuse"] * 5,
        "numerator": [3, 4, 99, 7, 50],
        "denominator": [10, 8, 99, 9, 60],
        "unknown": [0, 0, 0, 0, 0],
        "cases": [10, 8, 99, 9, 60],
    })
    data = open_audit(extract_csv, period="2025-Q1", history=history, allow_missing="all")
    rows = data.quarterly[data.quarterly["metric"] == "risk.domestic_abuse"]
    by_period = rows.set_index("period")
    # 2024-Q2 and 2024-Q3 come from history; 2024-Q4 and 2025-Q1 from the extract (its own
    # 2025-Q1, not history's 99); 2025-Q3 is after the audit; "2024" is not a quarter.
    assert list(by_period.index) == ["2024-Q2", "2024-Q3", "2024-Q4", "2025-Q1"]
    assert by_period.loc["2024-Q2", ["numerator", "denominator"]].tolist() == [3, 10]
    assert by_period.loc["2024-Q3", "rate"] == pytest.approx(0.5)      # 4 of 8
    assert by_period.loc["2025-Q1", ["numerator", "denominator"]].tolist() == [1, 2]
    assert by_period.loc["2024-Q2", "cases"] == 10
    # the history's intervals are computed as the extract's are: 3 of 10, Wilson 95%
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(3, 10, alpha=0.05, method="wilson")
    assert by_period.loc["2024-Q2", "ci_low"] == pytest.approx(low)
    assert by_period.loc["2024-Q2", "ci_high"] == pytest.approx(high)
    # the history gives the trend enough quarters for a p-chart
    assert "risk.domestic_abuse" in data.spc
    assert data.spc["risk.domestic_abuse"]["label"].tolist() == list(by_period.index)


def test_history_without_its_columns_is_a_parameter_error(extract_csv):
    data = open_audit(extract_csv, history=pd.DataFrame({"period": ["2024-Q1"]}), allow_missing="all")
    with pytest.raises(ParameterError, match="numerator"):
        _ = data.quarterly


def test_saved_tables_are_taken_by_the_same_audit_only(extract_csv, tmp_path):
    extract = load_extract(extract_csv, allow_missing="all")
    history = pd.DataFrame({"period": ["2024-Q3"], "metric": ["risk.domestic_abuse"],
                            "numerator": [4], "denominator": [8], "unknown": [0]})
    first = audit_of(extract, period="all", history=history)
    path = first.save(tmp_path / "tables.pickle")
    again = audit_of(extract, period="all")
    assert again.load(path)
    pd.testing.assert_frame_equal(again.__dict__["metrics"], first.metrics)
    pd.testing.assert_frame_equal(again.__dict__["quarterly"], first.quarterly)
    pd.testing.assert_frame_equal(again.history, history)          # the history it used
    # another period, a missing file or a damaged one: not taken
    assert not audit_of(extract, period="2025-Q1").load(path)
    assert not audit_of(extract).load(tmp_path / "nothing.pickle")
    (tmp_path / "bad.pickle").write_bytes(b"not a pickle")
    assert not audit_of(extract).load(tmp_path / "bad.pickle")


def test_open_audit_of_a_prepared_extract_takes_the_saved_tables(extract_csv, tmp_path):
    extract = load_extract(extract_csv, allow_missing="all")
    prepared = save_prepared(extract, tmp_path / "cases.parquet")
    data = audit_of(extract, partnership="South")
    data.save(cache_path(prepared))
    assert cache_path(prepared) == tmp_path / "cases.tables.pickle"
    opened = open_audit(prepared, partnership="South", allow_missing="all")
    assert "metrics" in opened.__dict__          # loaded, not computed on first use
    pd.testing.assert_frame_equal(opened.metrics, data.metrics)
    other = open_audit(prepared, partnership="North", allow_missing="all")
    assert "metrics" not in other.__dict__       # another audit: computed when needed


def test_a_year_with_cases_in_fewer_than_four_quarters_says_which():
    """Issue 20: a pack "for 2025" holding 2025-Q1 to Q3 must not read as a whole year."""
    sample = Path(__file__).resolve().parents[1] / "data" / "sample" / "pooled_extract.csv"
    assert open_audit(sample, period="2025").period_label == (
        "2025 (cases in 2025-Q1, 2025-Q2 and 2025-Q3 only)")
    assert open_audit(sample, period="2024").period_label == "2024"  # all four quarters
