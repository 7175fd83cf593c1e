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
    assert "11 cases" in text           # rows read
    assert "c were excluded" in text     # 1 excluded is a small number
    assert "More than 10% not known: domestic_abuse" in text
    assert "colour" in text              # ignored column listed


def test_validation_summary_lists_counts_and_rows(data):
    summary = validation_summary(data.extract)
    assert "rows read:           11" in summary
    assert "in scope (0-11 m):   10" in summary
    assert "excluded (12 m +):   1" in summary
    assert "rows: 12" in summary          # C10 is on spreadsheet row 12
    assert "domestic_abuse" in summary and "20.0%" in summary
