"""audit.render.workbook: the pack as a spreadsheet — marking, title and header on every
sheet, numbers stored as numbers, text always stored as text (never a formula)."""

from __future__ import annotations

import re
import zipfile
from datetime import datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from audit.errors import ReportError
from audit.measures.metrics import metrics_from_counts
from audit.render.workbook import FIXED_TIMESTAMP, Sheet, sheet_name, write_workbook

MARKING = "OFFICIAL-SENSITIVE — for the partnership board, not for publication"
NOTES = [("Source", "Eastmere case extract (SHA-256 0123abcd…)"),
         ("Small numbers", "Counts from 1 to 5 are shown as c (Department for Education "
                           "convention), with complementary suppression"),
         ("National comparison", "The Myth of Invisible Men (2021): 92 notifications")]
COUNT_COLUMNS = ("numerator", "denominator", "unknown", "national_numerator",
                 "national_denominator")
PERCENT_COLUMNS = ("rate", "ci_low", "ci_high", "national_rate")
FORMATS = {**{c: "count" for c in COUNT_COLUMNS}, **{c: "percent" for c in PERCENT_COLUMNS}}


@pytest.fixture()
def metrics() -> pd.DataFrame:
    """A protected metrics table: care leaver's 3 is hidden as a public pack hides it."""
    counts = pd.DataFrame({"metric": ["engagement.seen", "risk.domestic_abuse",
                                      "risk.care_leaver"],
                           "numerator": [12, 25, 3], "denominator": [40, 39, 40],
                           "unknown": [0, 6, 0]})
    table = metrics_from_counts(counts).astype(object)
    table.loc[2, ["numerator", "rate", "ci_low", "ci_high", "p_value", "p_holm"]] = "c"
    return table


def _sheet(frame: pd.DataFrame, name: str = "Metrics", title: str = "Every measure",
           formats: dict | None = None) -> Sheet:
    return Sheet(name, title, frame, FORMATS if formats is None else formats)


def _values(ws) -> list[tuple]:
    return [tuple(row) for row in ws.iter_rows(values_only=True)]


def _expected(frame: pd.DataFrame) -> list[tuple]:
    """The table as rows of cell values; floats compared to 15 significant digits, as Excel
    stores them (openpyxl writes 16 and may drop the 17th of a repr)."""
    def cell(v):
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, (np.integer,)):
            return int(v)
        if isinstance(v, (float, np.floating)):
            return pytest.approx(float(v), rel=1e-15)
        return v
    return [tuple(str(c) for c in frame.columns)] + [
        tuple(cell(v) for v in row) for row in frame.astype(object).itertuples(index=False)]


def test_every_sheet_has_marking_title_header_then_the_cells(tmp_path: Path, metrics):
    display = pd.DataFrame({"Measure": ["Father seen", "Care leaver"],
                            "Cases (yes)": [12, "c"], "Percentage": [0.3, "c"]})
    path = write_workbook(tmp_path / "board-pack.xlsx",
                          [_sheet(metrics), Sheet("Summary table", "The summary", display,
                                                  {"Cases (yes)": "count",
                                                   "Percentage": "percent"})],
                          NOTES, marking=MARKING)
    assert path == tmp_path / "board-pack.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Notes", "Metrics", "Summary table"]
    assert _values(wb["Notes"]) == [(MARKING, None), ("About this workbook", None),
                                    ("Item", "Detail"), *NOTES]
    rows = _values(wb["Metrics"])
    assert rows[0][0] == MARKING and rows[1][0] == "Every measure"
    assert all(v is None for v in rows[0][1:] + rows[1][1:])
    assert rows[2:] == _expected(metrics)
    assert _values(wb["Summary table"])[2:] == _expected(display)
    for ws in wb.worksheets:
        assert ws["A1"].value == MARKING and ws["A1"].font.bold
        assert ws.oddHeader.center.text == MARKING           # and on every printed page
        assert all(cell.font.bold for cell in ws[3] if cell.value is not None)
    assert wb.properties.category == MARKING


def test_numbers_are_numbers_formatted_by_column_kind_and_c_is_text(tmp_path: Path, metrics):
    path = write_workbook(tmp_path / "b.xlsx", [_sheet(metrics)], NOTES, marking=MARKING)
    ws = openpyxl.load_workbook(path)["Metrics"]
    header = [c.value for c in ws[3]]
    seen = dict(zip(header, ws[4]))
    care = dict(zip(header, ws[6]))
    assert seen["numerator"].data_type == "n" and seen["numerator"].value == 12
    assert seen["numerator"].number_format == "#,##0"
    assert seen["rate"].data_type == "n" and seen["rate"].value == pytest.approx(0.3)
    assert seen["rate"].number_format == "0.0%"
    assert seen["ci_low"].number_format == "0.0%"
    assert care["numerator"].data_type == "s" and care["numerator"].value == "c"
    assert care["rate"].value == "c" and care["denominator"].value == 40
    assert seen["national_rate"].value is None            # no national figure: blank
    assert seen["metric"].data_type == "s"
    # p-values were given no format: stored as numbers in the General format
    assert seen["p_value"].value is None or seen["p_value"].number_format == "General"
    domestic = dict(zip(header, ws[5]))
    assert domestic["p_value"].data_type == "n" and domestic["p_value"].number_format == "General"


def test_text_is_never_a_formula(tmp_path: Path):
    hostile = ['=HYPERLINK("http://example.com","click")', "=1+1", "+SUM(A1:A2)", "@cmd",
               "-2+3"]
    frame = pd.DataFrame({"Partnership": hostile, "Cases": [10, 11, 12, 13, 14]})
    path = write_workbook(tmp_path / "b.xlsx",
                          [Sheet("Partnerships", "=TITLE()", frame, {"Cases": "count"})],
                          [("=NOTE()", "=DETAIL()")], marking="=MARKING()")
    wb = openpyxl.load_workbook(path)
    ws = wb["Partnerships"]
    cells = [ws.cell(row=r, column=1) for r in range(4, 9)]
    assert [c.value for c in cells] == hostile
    assert all(c.data_type == "s" for c in cells)
    assert ws["A1"].data_type == "s" and ws["A2"].data_type == "s"
    notes = wb["Notes"]
    assert notes["A4"].value == "=NOTE()" and notes["A4"].data_type == "s"
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                xml = archive.read(name).decode("utf-8")
                assert not re.search(r"<f[\s>]", xml), name     # no formula element at all


def test_layout_frozen_panes_widths_and_excel_tables(tmp_path: Path, metrics):
    wide = pd.DataFrame({"Measure": ["Father seen", "x" * 200], "Cases": [12, "c"]})
    numbers = pd.DataFrame({"Cases": [1, 2], "Share": [0.5, 0.5]})
    path = write_workbook(tmp_path / "b.xlsx",
                          [_sheet(metrics), _sheet(wide, "Wide", formats={"Cases": "count"}),
                           _sheet(numbers, "Numbers", formats={})], NOTES, marking=MARKING)
    wb = openpyxl.load_workbook(path)
    assert wb["Metrics"].freeze_panes == "B4"   # below the header, right of the labels
    assert wb["Wide"].freeze_panes == "B4"
    assert wb["Numbers"].freeze_panes == "A4"   # no label column: only below the header
    widths = wb["Wide"].column_dimensions
    assert widths["A"].width == 60               # capped
    assert 10 <= widths["B"].width < 20
    assert wb["Notes"].column_dimensions["B"].width == 100
    for name in ("Metrics", "Wide", "Numbers", "Notes"):
        tables = wb[name].tables
        assert len(tables) == 1                  # marked up as an Excel table ...
        assert next(iter(tables.values())).ref.startswith("A3:")   # ... from the header row


def test_the_moved_clock_would_show_a_leaking_timestamp(tmp_path: Path, clock):
    # what test_bytes_are_deterministic guards against: a plain openpyxl workbook saved
    # after the clock moves on differs (its properties and zip entry dates follow the clock)
    first, second = openpyxl.Workbook(), None
    first.save(tmp_path / "a.xlsx")
    clock.advance(400 * 86400)
    second = openpyxl.Workbook()
    second.save(tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() != (tmp_path / "b.xlsx").read_bytes()
    created = openpyxl.load_workbook(tmp_path / "b.xlsx").properties.created
    assert created.year == datetime.fromtimestamp(clock.now).year
    with zipfile.ZipFile(tmp_path / "b.xlsx") as archive:   # entries written from memory;
        stamped = {info.date_time[:3] for info in archive.infolist()}  # a sheet's temporary
    assert datetime.fromtimestamp(clock.now).timetuple()[:3] in stamped  # file has its mtime


def test_bytes_are_deterministic(tmp_path: Path, metrics, clock):
    a = write_workbook(tmp_path / "a.xlsx", [_sheet(metrics)], NOTES, marking=MARKING)
    clock.advance(400 * 86400)  # openpyxl would stamp a different save time and zip dates
    b = write_workbook(tmp_path / "b.xlsx", [_sheet(metrics)], NOTES, marking=MARKING)
    assert a.read_bytes() == b.read_bytes()
    wb = openpyxl.load_workbook(a)
    assert wb.properties.created == FIXED_TIMESTAMP == wb.properties.modified
    with zipfile.ZipFile(a) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    c = write_workbook(tmp_path / "c.xlsx", [_sheet(metrics)], NOTES, marking=MARKING,
                       timestamp=datetime(2025, 10, 1, 9, 0))
    assert openpyxl.load_workbook(c).properties.modified == datetime(2025, 10, 1, 9, 0)


def test_refuses_case_level_tables_and_writes_nothing(tmp_path: Path):
    target = tmp_path / "b.xlsx"
    cases = pd.DataFrame({"Case ID": ["A1"], "father_seen": ["yes"]})
    with pytest.raises(ReportError, match="case_id"):
        write_workbook(target, [_sheet(cases, "Cases", formats={})], NOTES, marking=MARKING)
    indexed = pd.DataFrame({"x": [1]}, index=pd.Index(["A1"], name="case_id"))
    with pytest.raises(ReportError, match="case-level"):
        write_workbook(target, [_sheet(indexed, "Cases", formats={})], NOTES, marking=MARKING)
    dates = pd.DataFrame({"notification_date": ["2025-01-01"]})
    with pytest.raises(ReportError, match="case-level"):
        write_workbook(target, [_sheet(dates, "Dates", formats={})], NOTES, marking=MARKING)
    assert not target.exists()
    with pytest.raises(ReportError, match="expected a table"):
        write_workbook(target, [Sheet("Bad", "t", [1, 2])], NOTES,  # type: ignore[arg-type]
                       marking=MARKING)
    with pytest.raises(ReportError, match="at least one"):
        write_workbook(target, [], NOTES, marking=MARKING)
    assert not target.exists()


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
    path = write_workbook(tmp_path / "b.xlsx",
                          [_sheet(table, "Notes", formats={}), _sheet(table, long, formats={}),
                           _sheet(table, long + " again", formats={})], NOTES, marking=MARKING)
    names = openpyxl.load_workbook(path).sheetnames
    assert names[0] == "Notes" and names[1] == "Notes (2)"
    assert all(len(n) <= 31 for n in names) and len(set(n.lower() for n in names)) == 4
