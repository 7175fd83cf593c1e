"""audit.workspace: the validated copy handed to notebooks, and period/partnership selection."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from audit.validate import load_extract
from audit.workspace import is_prepared, load_prepared, open_audit, save_prepared

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
    extract = load_extract(extract_csv)
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
    data = open_audit(extract_csv, period="2025-Q1")
    assert sorted(data.cases["case_id"]) == ["A1", "A2"]
    assert data.period == "2025-Q1" and data.period_label == "2025-Q1"
    south = open_audit(extract_csv, partnership="South")
    assert sorted(south.cases["case_id"]) == ["A4", "A5"]  # A3 is out of scope
    assert south.place == "South"


def test_open_audit_all_periods_labels_the_span(extract_csv):
    data = open_audit(extract_csv)
    assert data.period == "all"
    assert data.period_label == "2024-Q4 to 2025-Q2"
    assert data.place == "2 partnerships pooled (North, South)"
    assert data.in_scope == 4


def test_open_audit_rejects_a_malformed_period(extract_csv):
    with pytest.raises(ValueError):
        open_audit(extract_csv, period="Q3 2025")


def test_board_metrics_hide_small_counts_but_analyst_metrics_do_not(extract_csv):
    data = open_audit(extract_csv)
    raw = data.metrics.set_index("metric")
    # domestic abuse: yes A1, A5; no A2; unknown A4 -> 2 of 3
    assert (raw.at["risk.domestic_abuse", "numerator"], raw.at["risk.domestic_abuse", "denominator"]) == (2, 3)
    board = data.board_metrics(5).set_index("metric")
    assert board.at["risk.domestic_abuse", "numerator"] == "c"
    assert "risk.domestic_abuse" in data.suppressed_metrics(5)
    assert data.board_metrics(0).set_index("metric").at["risk.domestic_abuse", "numerator"] == 2
