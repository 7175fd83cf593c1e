"""audit.workbook: the board pack as board-pack.xlsx."""

from __future__ import annotations

import time
import zipfile
from datetime import datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from audit.board import metrics_display_table
from audit.metrics import metrics_from_counts
from audit.suppress import suppress_metrics
from audit.workbook import FIXED_TIMESTAMP, sheet_name, write_board_workbook

NOTES = [("Source", "Eastmere case extract (SHA-256 0123abcd…)"),
         ("Small numbers", "Counts from 1 to 5 are shown as c (Department for Education "
                           "convention), with secondary suppression"),
         ("National comparison", "The Myth of Invisible Men (2021): 92 notifications")]


@pytest.fixture()
def board() -> pd.DataFrame:
    counts = pd.DataFrame({"metric": ["engagement.seen", "risk.domestic_abuse", "risk.care_leaver"],
                           "numerator": [12, 25, 3], "denominator": [40, 39, 40],
                           "unknown": [0, 6, 0]})
    return suppress_metrics(metrics_from_counts(counts))


def _sheet_values(ws) -> list[tuple]:
    return [tuple(row) for row in ws.iter_rows(values_only=True)]


def _expected(frame: pd.DataFrame) -> list[tuple]:
    """The table as rows of cell values; floats compared to 15 significant digits, as Excel
    stores them (openpyxl writes 16 and may drop the 17th of a repr)."""
    def cell(v):
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, float):
            return pytest.approx(v, rel=1e-15)
        if isinstance(v, (np.integer,)):
            return int(v)
        if isinstance(v, (np.floating,)):
            return pytest.approx(float(v), rel=1e-15)
        return v
    return [tuple(str(c) for c in frame.columns)] + [
        tuple(cell(v) for v in row) for row in frame.astype(object).itertuples(index=False)]


def test_cells_equal_the_input_tables(tmp_path: Path, board: pd.DataFrame):
    display = metrics_display_table(board, list(board["metric"]))
    path = write_board_workbook(tmp_path / "board-pack.xlsx",
                                {"Metrics": board, "Summary table": display}, NOTES)
    assert path == tmp_path / "board-pack.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Notes", "Metrics", "Summary table"]
    assert _sheet_values(wb["Notes"]) == [("Item", "Detail"), *NOTES]
    assert _sheet_values(wb["Metrics"]) == _expected(board)
    assert _sheet_values(wb["Summary table"]) == _expected(display)


def test_numbers_are_numbers_and_c_is_text(tmp_path: Path, board: pd.DataFrame):
    path = write_board_workbook(tmp_path / "b.xlsx", {"Metrics": board}, NOTES)
    ws = openpyxl.load_workbook(path)["Metrics"]
    header = [c.value for c in ws[1]]
    row_seen = {h: c for h, c in zip(header, ws[2])}
    row_care = {h: c for h, c in zip(header, ws[4])}
    assert row_seen["numerator"].data_type == "n" and row_seen["numerator"].value == 12
    assert row_seen["numerator"].number_format == "#,##0"
    assert row_seen["rate"].data_type == "n" and row_seen["rate"].value == pytest.approx(0.3)
    assert row_seen["rate"].number_format == "0.0%"
    assert row_care["numerator"].data_type == "s" and row_care["numerator"].value == "c"
    assert row_care["rate"].value == "c"
    assert row_seen["national_rate"].value is None          # no national figure: blank
    assert row_seen["metric"].data_type == "s"


def test_layout_bold_header_frozen_panes_widths(tmp_path: Path, board: pd.DataFrame):
    wide = pd.DataFrame({"Measure": ["Father seen", "x" * 200], "Cases": [12, "c"]})
    path = write_board_workbook(tmp_path / "b.xlsx", {"Metrics": board, "Wide": wide}, NOTES)
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        assert all(cell.font.bold for cell in ws[1])
        assert ws.freeze_panes in ("A2", "B2")
    assert wb["Metrics"].freeze_panes == "B2"   # header row and the metric column
    widths = wb["Wide"].column_dimensions
    assert widths["A"].width == 60               # capped
    assert 10 <= widths["B"].width < 20
    assert wb["Notes"].column_dimensions["B"].width == 100
    assert wb["Metrics"].tables                   # marked up as an Excel table


def test_bytes_are_deterministic(tmp_path: Path, board: pd.DataFrame):
    a = write_board_workbook(tmp_path / "a.xlsx", {"Metrics": board}, NOTES)
    time.sleep(1.1)  # openpyxl would stamp a different save time and zip dates
    b = write_board_workbook(tmp_path / "b.xlsx", {"Metrics": board}, NOTES)
    assert a.read_bytes() == b.read_bytes()
    wb = openpyxl.load_workbook(a)
    assert wb.properties.created == FIXED_TIMESTAMP == wb.properties.modified
    with zipfile.ZipFile(a) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    c = write_board_workbook(tmp_path / "c.xlsx", {"Metrics": board}, NOTES,
                             timestamp=datetime(2025, 10, 1, 9, 0))
    assert openpyxl.load_workbook(c).properties.modified == datetime(2025, 10, 1, 9, 0)


def test_refuses_case_level_tables(tmp_path: Path):
    cases = pd.DataFrame({"Case ID": ["A1"], "father_seen": ["yes"]})
    with pytest.raises(ValueError, match="case_id"):
        write_board_workbook(tmp_path / "b.xlsx", {"Cases": cases}, NOTES)
    indexed = pd.DataFrame({"x": [1]}, index=pd.Index(["A1"], name="case_id"))
    with pytest.raises(ValueError, match="case-level"):
        write_board_workbook(tmp_path / "b.xlsx", {"Cases": indexed}, NOTES)
    with pytest.raises(ValueError, match="case-level"):
        write_board_workbook(tmp_path / "b.xlsx",
                             {"Dates": pd.DataFrame({"notification_date": ["2025-01-01"]})}, NOTES)
    assert not (tmp_path / "b.xlsx").exists()
    with pytest.raises(TypeError):
        write_board_workbook(tmp_path / "b.xlsx", {"Bad": [1, 2]}, NOTES)
    with pytest.raises(ValueError, match="at least one"):
        write_board_workbook(tmp_path / "b.xlsx", {}, NOTES)


def test_sheet_names_are_sanitised_and_unique(tmp_path: Path):
    taken: set[str] = set()
    assert sheet_name("Risk factors: who/what [2025-Q3]?", taken) == "Risk factors who-what 2025-Q3"
    assert sheet_name("notes", taken) == "notes"
    assert sheet_name("Notes", taken) == "Notes (2)"
    assert sheet_name("History", taken) == "History (2)"
    assert sheet_name("'quoted'", taken) == "quoted"
    long = "Father engagement funnel by partnership and quarter"
    first, second = sheet_name(long, taken), sheet_name(long, taken)
    assert len(first) <= 31 and len(second) <= 31 and first != second
    assert second.endswith("(2)")
    table = pd.DataFrame({"a": [1]})
    path = write_board_workbook(tmp_path / "b.xlsx", {"Notes": table, long: table,
                                                      long + " again": table}, NOTES)
    names = openpyxl.load_workbook(path).sheetnames
    assert names[0] == "Notes" and names[1] == "Notes (2)"
    assert all(len(n) <= 31 for n in names) and len(set(n.lower() for n in names)) == 4


def test_a_labelled_index_becomes_the_first_column(tmp_path: Path):
    cooc = pd.DataFrame([[10, "c"], ["c", 8]], columns=["domestic_abuse", "care_leaver"],
                        index=pd.Index(["domestic_abuse", "care_leaver"], name="factor"))
    path = write_board_workbook(tmp_path / "b.xlsx", {"Risk pairs": cooc}, NOTES)
    ws = openpyxl.load_workbook(path)["Risk pairs"]
    assert _sheet_values(ws) == [("factor", "domestic_abuse", "care_leaver"),
                                 ("domestic_abuse", 10, "c"), ("care_leaver", "c", 8)]
