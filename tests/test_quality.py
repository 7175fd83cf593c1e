"""audit.quality: completeness per field and the summaries analysts and boards read."""

from __future__ import annotations

import pytest

from audit.quality import completeness_table, data_quality_text, validation_summary
from audit.workspace import open_audit

HEADER = "case_id,notification_date,child_age_months,harmed_by,known_to,domestic_abuse,colour"
# 10 in-scope cases; domestic_abuse unknown in 2 (20%), known_to unknown in 1 (10%: not over).
ROWS = [f"C{i},2025-01-{i + 1:02d},3,birth_father,universal,yes,blue" for i in range(7)] + [
    "C7,2025-01-20,3,birth_father,unknown,no,blue",
    "C8,2025-01-21,3,birth_father,universal,,blue",
    "C9,2025-01-22,3,birth_father,universal,not known,blue",
    "C10,2025-01-23,13,birth_father,universal,yes,blue",  # out of scope
]


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n")
    return open_audit(path)


def test_completeness_counts_unknowns_per_field(data):
    table = completeness_table(data).set_index("Field")
    assert table.at["domestic_abuse", "Not known"] == 2
    assert table.at["domestic_abuse", "Share not known"] == "20.0%"
    assert table.at["domestic_abuse", "Over 10% not known"] == "yes"
    assert table.at["known_to", "Not known"] == 1
    assert table.at["known_to", "Over 10% not known"] == "no"  # exactly 10% is not *more than*
    assert table.at["harmed_by", "Cases"] == 10


def test_board_text_names_high_unknown_fields_and_hides_small_counts(data):
    text = data_quality_text(data, suppress_max=5)
    # 1 excluded is small, and 11 read - 10 in scope would give it back: both hidden
    assert "held c cases; c were excluded" in text
    assert "More than 10% not known: domestic_abuse" in text
    assert "colour" in text              # ignored column listed


def test_validation_summary_lists_counts_and_rows(data):
    summary = validation_summary(data.extract)
    assert "rows read:           11" in summary
    assert "in scope (0-11 m):   10" in summary
    assert "excluded (12 m +):   1" in summary
    assert "rows: 12" in summary          # C10 is on spreadsheet row 12
    assert "domestic_abuse" in summary and "20.0%" in summary


def test_published_extract_counts_never_leave_one_hidden_count_recoverable():
    from types import SimpleNamespace

    import pandas as pd

    from audit.quality import published_extract_counts

    def extract(read, excluded):
        return SimpleNamespace(rows_read=read, cases=pd.DataFrame(index=range(read - excluded)),
                               excluded=pd.DataFrame(index=range(excluded)))

    assert published_extract_counts(extract(400, 12), 5) == {
        "rows_read": 400, "in_scope": 388, "excluded": 12}
    # excluded small: hidden, and the total too (else 400 - 397 = 3)
    assert published_extract_counts(extract(400, 3), 5) == {
        "rows_read": "c", "in_scope": 397, "excluded": "c"}
    # nothing excluded: a true zero stays
    assert published_extract_counts(extract(400, 0), 5) == {
        "rows_read": 400, "in_scope": 400, "excluded": 0}
    # in scope small and excluded large: in scope and the total hidden
    assert published_extract_counts(extract(40, 37), 5) == {
        "rows_read": "c", "in_scope": "c", "excluded": 37}
    # only the total small (read 5, excluded 0 -> in scope 5 too): all small ones hidden
    assert published_extract_counts(extract(5, 0), 5) == {
        "rows_read": "c", "in_scope": "c", "excluded": 0}
    assert published_extract_counts(extract(40, 3), 0) == {
        "rows_read": 40, "in_scope": 37, "excluded": 3}
