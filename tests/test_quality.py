"""audit.measures.quality and the data-quality section's text: completeness per field, and the
summaries analysts and boards read."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from audit.contract import column_label
from audit.disclosure import Policy, Protected, protect
from audit.measures.quality import completeness_from_metrics, completeness_table, validation_summary
from audit.sections.data_quality import data_quality_text
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
    return open_audit(path, allow_missing="all")


def test_completeness_counts_unknowns_per_field(data):
    table = completeness_table(data.cases).set_index("Field")
    assert list(table.columns) == ["Cases", "Not known", "Share not known",
                                   "Over 10% not known"]
    abuse, level, harmed = (column_label(c) for c in ("domestic_abuse", "known_to",
                                                      "harmed_by"))
    assert table.at[abuse, "Not known"] == 2
    assert table.at[abuse, "Share not known"] == pytest.approx(0.2)   # 2 of 10
    assert table.at[abuse, "Over 10% not known"] == "yes"
    assert table.at[level, "Not known"] == 1
    assert table.at[level, "Over 10% not known"] == "no"  # exactly 10% is not *more than*
    assert table.at[harmed, "Cases"] == 10
    assert table.at[harmed, "Not known"] == 0
    assert "colour" not in " ".join(table.index).lower()   # not a contract field


def test_completeness_of_no_cases_has_no_share():
    empty = pd.DataFrame({"harmed_by": pd.Series([], dtype="string")})
    table = completeness_table(empty)
    assert table["Cases"].tolist() == [0] and math.isnan(table["Share not known"].iloc[0])


def test_completeness_from_metrics_publishes_only_the_metrics_tables_counts():
    metrics = pd.DataFrame({
        "metric": ["harmed_by.birth_father", "harmed_by.another_male_carer",
                   "risk.domestic_abuse", "risk.care_leaver"],
        "unknown": [0, 0, 8, "c"],
    })
    table = completeness_from_metrics(metrics, 40)
    # one row for the harmed_by group (its rows share one unknown count), one a risk factor
    assert table["Field"].tolist() == [column_label("harmed_by"), column_label("domestic_abuse"),
                                       column_label("care_leaver")]
    assert table["Not known"].tolist() == [0, 8, "c"]
    assert table["Share not known"].tolist()[:2] == [0.0, pytest.approx(0.2)]   # 8 of 40
    assert table["Share not known"].tolist()[2] == "c"
    assert table["Over 10% not known"].tolist() == ["no", "yes", "c"]
    hidden_total = completeness_from_metrics(metrics, "c")
    assert hidden_total["Share not known"].tolist() == ["c", "c", "c"]


def test_board_text_shows_every_count_and_names_fields_and_columns(data):
    text = data_quality_text(protect(data, "board"))
    # the board's own papers show small numbers: 11 read, 1 excluded
    assert ("- The extract held 11 cases; 1 was excluded because the baby was 12 months "
            "or older.") in text
    assert "- This audit covers 10 cases (2025-Q1)." in text
    assert f"More than 10% not known: {column_label('domestic_abuse')}." in text
    assert ("- 1 column of the extract is not part of the data contract, so it was not read: "
            "colour.") in text


def _public(cases: int | str, completeness: pd.DataFrame) -> Protected:
    empty = pd.DataFrame()
    return Protected(
        policy=Policy.make("public"), place="Eastmere", period="all", period_label="2025-Q1",
        source="q.csv (case extract)", partnership=None, synthetic=False,
        tables=dict(cases=cases, metrics=empty, quarterly=empty, spc={}, rolling=empty,
                    funnels={}, risk_counts=None, cooccurrence=None, completeness=completeness,
                    steps=None, agreement=None),
        nested_steps=False,
        extract={"missing_flags": ["father_seen"], "ignored_columns": ["colour", "shoe"]})


def test_public_text_leaves_out_extract_counts_and_column_names():
    completeness = pd.DataFrame({"Field": ["Domestic abuse"], "Over 10% not known": ["no"]})
    text = data_quality_text(_public("c", completeness))
    assert "extract held" not in text and "excluded" not in text
    assert "- This audit covers c cases (2025-Q1)." in text
    assert "- No field shown is more than 10% not known." in text
    assert "**Not recorded in this extract**, so absent from every section: Father seen." in text
    # ignored column names come from the extract's header: the public pack counts them,
    # in words ("Columns ignored (not part of the contract): 2." read as a numbered list)
    assert ("- 2 columns of the extract are not part of the data contract, so they were not "
            "read.") in text
    assert "colour" not in text and "shoe" not in text


def test_validation_summary_lists_counts_and_rows(data):
    summary = validation_summary(data.extract)
    assert "rows read:           11" in summary
    assert "in scope (0-11 m):   10" in summary
    assert "excluded (12 m +):   1" in summary
    # one quarter is named once, never "2025-Q1 to 2025-Q1"
    assert "  quarters covered:    2025-Q1 (1 with cases)" in summary.splitlines()
    assert "rows: 12" in summary          # C10 is on spreadsheet row 12
    assert "domestic_abuse" in summary and "20.0%" in summary
    # a column it does not read (colour) is named, with why free text is left out (a new
    # analyst's notes column was listed without a word)
    assert summary.splitlines()[-2:] == [
        "  columns ignored:     colour",
        "  (not read, but still in the file: a free-text column can name people, so leave "
        "such columns out of the extract: docs/data-contract.md)"]


# ------------------------------------- every case left out accounted for (analyst 2, A2)

#: 14 rows: 10 in scope in 2025-Q1 (the fixture's), 1 of 13 months, and 3 more in scope:
#: row 13 dated in 2025-Q2 (a mistyped month), rows 14 and 15 of another partnership.
PLACES = (
    [f"{row},Eastmere" for row in ROWS]
    + ["C11,2025-04-02,3,birth_father,universal,yes,blue,Eastmere",
       "C12,2025-01-25,3,birth_father,universal,yes,blue,Westvale",
       "C13,2025-02-25,3,birth_father,universal,no,blue,Westvale"]
)


@pytest.fixture
def places(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("\n".join([HEADER + ",partnership", *PLACES]) + "\n")
    return path


def test_a_case_outside_the_period_is_counted_for_the_board_and_named_for_the_analyst(places):
    """--period 2025-Q1: 14 read, 1 excluded (13 months), 1 dated in 2025-Q2 (row 13):
    14 - 1 - 1 = 12 audited, and the board's sentence adds up without a row number."""
    data = open_audit(places, period="2025-Q1", allow_missing="all")
    assert data.in_scope == 12
    assert data.left_out_words() == ", of which 1 dated outside 2025-Q1 (row 13: 02/04/2025) " \
        "is left out"
    text = data_quality_text(protect(data, "board"))
    assert ("- The extract held 14 cases; 1 was excluded because the baby was 12 months or "
            "older, and 1 is dated outside 2025-Q1, so not counted in it.") in text
    assert "- This audit covers 12 cases (2025-Q1)." in text
    assert "row 13" not in text


def test_cases_of_other_partnerships_and_outside_the_period_add_up(places):
    """--partnership Eastmere --period 2025-Q1: 14 read, 1 excluded, 2 of Westvale, 1 of
    Eastmere in 2025-Q2: 14 - 1 - 2 - 1 = 10."""
    data = open_audit(places, period="2025-Q1", partnership="Eastmere", allow_missing="all")
    assert data.in_scope == 10
    assert data.left_out_words() == (
        ", of which 2 of other partnerships and 1 dated outside 2025-Q1 (row 13: 02/04/2025) "
        "are left out")
    text = data_quality_text(protect(data, "board"))
    assert ("- The extract held 14 cases; 1 was excluded because the baby was 12 months or "
            "older, 2 belong to other partnerships, and 1 is dated outside 2025-Q1, so not "
            "counted in it.") in text
    assert "- This audit covers 10 cases (2025-Q1)." in text


def test_nothing_left_out_says_nothing_more(data):
    assert data.left_out_words() == ""
    whole = open_audit(data.extract.path, period="all", allow_missing="all")
    assert whole.left_out_words() == "" and len(whole.outside_period) == 0


def test_audit_metrics_names_what_its_period_leaves_out(places, capsys):
    """`audit metrics --period` says it too (the run already did): 13 in scope, 1 dated
    in 2025-Q2, the metrics cover 12."""
    from audit import cli

    assert cli.main(["metrics", str(places), "--period", "2025-Q1",
                     "--allow-missing", "all"]) == 0
    err = capsys.readouterr().err
    assert ("13 cases in scope, of which 1 dated outside 2025-Q1 (row 13: 02/04/2025) is "
            "left out; the metrics cover 12") in err


def test_a_list_of_fields_often_unknown_says_how_many_are_hidden():
    """A new analyst's public pack named 2 fields more than 10% not known while 22 fields'
    flags were c (the board's named 11): the list is read as complete unless it says."""
    completeness = pd.DataFrame({
        "Field": ["Young parent", "Domestic abuse", "Care leaver", "Impulsivity"],
        "Over 10% not known": ["yes", "no", "c", "c"]})
    text = data_quality_text(_public(40, completeness))
    assert ("- More than 10% not known: Young parent. Rates for these fields rest on fewer "
            "cases and may not represent every case. The share not known of 2 other fields "
            "is hidden to protect privacy, so more may be.") in text
    none = completeness.assign(**{"Over 10% not known": ["no", "no", "c", "no"]})
    assert ("- No field shown is more than 10% not known. The share not known of 1 other "
            "field is hidden to protect privacy, so more may be.") in data_quality_text(
                _public(40, none))
