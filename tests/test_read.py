"""audit.intake.read: formats, encodings, row numbers, and errors an analyst can act on."""

from __future__ import annotations

import datetime as dt
import hashlib

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from audit.errors import ReadError, ValidationError
from audit.intake.extract import RawExtract
from audit.intake.read import read_extract
from conftest import BROKEN


def cells(raw: RawExtract) -> list[list[str]]:
    return raw.frame.to_numpy(dtype=object).tolist()


# ------------------------------------------------------------------------------- CSV


def test_csv_reads_every_cell_as_text_with_spreadsheet_row_numbers(write):
    path = write("Case ID,Child Age (months),domestic_abuse\nC-0001,003,yes\nC-0002,3.0,\n")
    raw = read_extract(path)

    assert list(raw.frame.columns) == ["case_id", "child_age_months", "domestic_abuse"]
    assert raw.headers == {"case_id": "Case ID", "child_age_months": "Child Age (months)",
                           "domestic_abuse": "domestic_abuse"}
    assert cells(raw) == [["C-0001", "003", "yes"], ["C-0002", "3.0", ""]]
    assert raw.frame.index.tolist() == [2, 3]
    assert raw.frame.index.name == "row"
    assert all(pd.api.types.is_string_dtype(t) for t in raw.frame.dtypes)
    assert raw.sheet is None
    assert raw.path == path
    assert raw.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_values_are_not_trimmed_or_interpreted(write):
    raw = read_extract(write("a,b,c\n  yes ,NA,null\n"))
    assert cells(raw) == [["  yes ", "NA", "null"]]


def test_utf8_with_byte_order_mark(write):
    raw = read_extract(write("case_id,partnership\nC-1,Ynys Môn\n", encoding="utf-8-sig"))
    assert list(raw.frame.columns) == ["case_id", "partnership"]
    assert raw.headers["case_id"] == "case_id"
    assert cells(raw) == [["C-1", "Ynys Môn"]]


def test_windows_1252_as_excel_saves_it(write):
    # 0x92 is a right single quote in Windows-1252, 0xA3 a pound sign: neither is valid UTF-8.
    path = write("case_id,harmed_by,note\nC-1,Mother’s partner,£20\n", encoding="cp1252")
    assert b"\x92" in path.read_bytes()
    raw = read_extract(path)
    assert cells(raw) == [["C-1", "Mother’s partner", "£20"]]


def test_quoted_commas_and_newlines(write):
    raw = read_extract(write('case_id,note\nC-1,"seen, then\nseen again"\nC-2,x\n'))
    assert cells(raw) == [["C-1", "seen, then\nseen again"], ["C-2", "x"]]
    assert raw.frame.index.tolist() == [2, 3]


def test_blank_rows_are_dropped_but_keep_their_row_numbers(write):
    raw = read_extract(write("case_id,flag\nC-1,yes\n\nC-3,no\n,\nC-5,\n\n"))
    assert cells(raw) == [["C-1", "yes"], ["C-3", "no"], ["C-5", ""]]
    assert raw.frame.index.tolist() == [2, 4, 6]


def test_short_rows_are_padded_with_empty_cells(write):
    raw = read_extract(write("case_id,a,b\nC-1,x\nC-2,y,z\n"))
    assert cells(raw) == [["C-1", "x", ""], ["C-2", "y", "z"]]


def test_blank_header_over_an_empty_column_is_dropped(write):
    raw = read_extract(write("case_id,flag,\nC-1,yes,\nC-2,no,\n"))
    assert list(raw.frame.columns) == ["case_id", "flag"]


def test_blank_header_over_values_is_kept_positionally(write):
    raw = read_extract(write("case_id,,flag\nC-1,x,yes\n"))
    assert list(raw.frame.columns) == ["case_id", "_column_2", "flag"]
    assert raw.label("_column_2") == "(column 2, no header)"


def test_header_only_gives_an_empty_frame(write):
    raw = read_extract(write("case_id,notification_date\n"))
    assert raw.frame.shape == (0, 2)


@pytest.mark.parametrize(("content", "fragment"), [
    (b"", "empty"),
    (b"\n\n", "no header row"),
    (b",,\nC-1,x,y\n", "row 1 is blank"),
    (b"PK\x03\x04rest of a zip", "rename it to .xlsx"),
    (b"\xff\xfec\x00a\x00", "UTF-16"),
    (b"case\x00id\nx\n", "binary"),
    (b"case_id\nC-\x81\n", "neither UTF-8 nor Windows-1252"),
    (b"\xef\xbb\xbfcase_id\nC-\xff\n", "says it is UTF-8"),
    (b"a,b\n1,2\n3,4,5\n", "line 3 has 3 values but the header has 2"),
    (b'a,b\n1,"open\n', "never closed"),
])
def test_unreadable_csv_raises_read_error_naming_the_file(write, content, fragment):
    path = write("x", name="extract.csv")
    path.write_bytes(content)
    with pytest.raises(ReadError) as caught:
        read_extract(path)
    assert str(caught.value).startswith("extract.csv: ")
    assert fragment in str(caught.value)


def test_parser_errors_never_quote_the_offending_line(write):
    path = write("a,b\nC-1,ok\nsecret-ish value,x,extra\n")
    with pytest.raises(ReadError) as caught:
        read_extract(path)
    assert "secret-ish" not in str(caught.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ReadError, match="file not found"):
        read_extract(tmp_path / "nope.csv")
    with pytest.raises(ReadError, match="is a folder"):
        read_extract(tmp_path)


@pytest.mark.parametrize("name", ["extract.xls", "extract.json", "extract"])
def test_unknown_extension(write, name):
    with pytest.raises(ReadError, match=r"save the extract as CSV \(\.csv\)"):
        read_extract(write("case_id\nC-1\n", name=name))


def test_sheet_is_only_for_workbooks(write):
    with pytest.raises(ReadError, match="only be chosen in a workbook"):
        read_extract(write("case_id\nC-1\n"), sheet="Cases")


def test_duplicate_headers_name_both_as_written(write):
    with pytest.raises(ValidationError) as caught:
        read_extract(write("Case ID,case_id,x\nC-1,C-1,y\n"))
    [problem] = caught.value.problems
    assert problem.column == "case_id"
    assert "'Case ID' (column 1)" in problem.message
    assert "'case_id' (column 2)" in problem.message


def test_duplicate_headers_sample():
    with pytest.raises(ValidationError, match="'Case ID'"):
        read_extract(BROKEN / "duplicate_headers.csv")


def test_ragged_rows_sample():
    with pytest.raises(ReadError, match="line 3 has 6 values but the header has 5"):
        read_extract(BROKEN / "ragged_rows.csv")


def test_a_large_file_reads_quickly_enough_to_be_vectorised(write):
    # 200,000 rows: a per-row Python loop would take far longer than the limit here.
    row = "C-{},2024-01-05,3,birth_father,universal,yes,no\n"
    body = "".join(row.format(i) for i in range(200_000))
    path = write("case_id,notification_date,child_age_months,harmed_by,known_to,a,b\n" + body)
    import time

    started = time.perf_counter()
    raw = read_extract(path)
    assert time.perf_counter() - started < 10
    assert raw.frame.shape == (200_000, 7)
    assert raw.frame.index[-1] == 200_001


# -------------------------------------------------------------------------- workbooks


def _workbook(path, rows, *, title="Cases", start_row=1, extra_sheet=None):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for r, values in enumerate(rows, start=start_row):
        for c, value in enumerate(values, start=1):
            sheet.cell(row=r, column=c, value=value)
    if extra_sheet:
        other = book.create_sheet(extra_sheet)
        other["A1"] = "case_id"
        other["A2"] = "OTHER-1"
    book.save(path)
    return path


def test_xlsx_cells_become_text(tmp_path):
    path = _workbook(tmp_path / "extract.xlsx", [
        ["Case ID", "age", "date", "flag", "score", "note"],
        ["C-1", 3, dt.datetime(2024, 1, 5), True, 2.5, None],
        [1234, 3.0, dt.date(2024, 2, 1), "no", 0, "text"],
    ])
    raw = read_extract(path)
    assert raw.sheet == "Cases"
    assert list(raw.frame.columns) == ["case_id", "age", "date", "flag", "score", "note"]
    assert cells(raw) == [
        ["C-1", "3", "2024-01-05", "True", "2.5", ""],
        ["1234", "3", "2024-02-01", "no", "0", "text"],
    ]
    assert raw.frame.index.tolist() == [2, 3]
    assert raw.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_xlsx_header_below_blank_rows_keeps_sheet_row_numbers(tmp_path):
    path = _workbook(tmp_path / "extract.xlsx", [["case_id", "x"], ["C-1", "a"], [None, None],
                                                 ["C-3", "b"]], start_row=3)
    raw = read_extract(path)
    assert cells(raw) == [["C-1", "a"], ["C-3", "b"]]
    assert raw.frame.index.tolist() == [4, 6]


def test_xlsx_named_sheet_and_missing_sheet(tmp_path):
    path = _workbook(tmp_path / "extract.xlsx", [["case_id"], ["C-1"]], extra_sheet="Q2")
    assert cells(read_extract(path, sheet="Q2")) == [["OTHER-1"]]
    with pytest.raises(ReadError) as caught:
        read_extract(path, sheet="Q3")
    assert "no sheet named 'Q3'" in str(caught.value)
    assert "'Cases', 'Q2'" in str(caught.value)


def test_xlsm_suffix_is_read_as_a_workbook(tmp_path):
    path = _workbook(tmp_path / "book.xlsx", [["case_id"], ["C-1"]])
    renamed = path.rename(tmp_path / "book.xlsm")
    assert cells(read_extract(renamed)) == [["C-1"]]


def test_corrupt_and_empty_workbooks(tmp_path):
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"\x01\x02\x03 not a zip file at all \xff\xfe")
    with pytest.raises(ReadError, match="broken.xlsx: cannot be opened as an Excel workbook"):
        read_extract(bad)
    text = tmp_path / "text.xlsx"
    text.write_bytes(b"case_id,notification_date\nC-1,2024-01-05\n")
    with pytest.raises(ReadError, match="text.xlsx: this is plain text .* rename it to .csv"):
        read_extract(text)
    empty = _workbook(tmp_path / "empty.xlsx", [])
    with pytest.raises(ReadError, match="sheet 'Cases' is empty"):
        read_extract(empty)


# ------------------------------------------- which sheet, without --sheet (issue 21, "Also")


def _sheets(path, sheets: dict[str, list[list[object]]]):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for values in rows:
            sheet.append(values)
    book.save(path)
    return path


GUIDANCE = [["How to fill in this form", "Who", "What"], ["one row a case", "auditor", "-"]]


def test_the_cases_sheet_is_found_by_name_wherever_it_stands(tmp_path):
    path = _sheets(tmp_path / "form.xlsx", {"Guidance": GUIDANCE,
                                            "cases ": [["case_id"], ["C-1"]]})
    raw = read_extract(path)
    assert raw.sheet == "cases " and cells(raw) == [["C-1"]]
    assert raw.sheets == ("Guidance", "cases ")


def test_the_one_sheet_whose_header_names_contract_columns_is_read(tmp_path):
    path = _sheets(tmp_path / "return.xlsx", {"Guidance": GUIDANCE,
                                              "Return": [["Case ID", "Known to services"],
                                                         ["C-1", "None"]],
                                              "Notes": [["Notes"], ["none"]]})
    raw = read_extract(path)
    assert raw.sheet == "Return" and cells(raw) == [["C-1", "None"]]
    # two such sheets: no guess, the first sheet is read (and validation says which)
    two = _sheets(tmp_path / "two.xlsx", {"Guidance": GUIDANCE, "Q2": [["case_id"], ["C-1"]],
                                          "Q3": [["case_id"], ["C-2"]]})
    assert read_extract(two).sheet == "Guidance"
    assert read_extract(two, sheet="Q3").sheet == "Q3"  # --sheet always wins


def test_a_sheet_without_the_contract_columns_names_itself_and_the_others(tmp_path):
    path = _sheets(tmp_path / "book.xlsx", {"Guidance": GUIDANCE, "Q2": [["case_id"], ["C-1"]],
                                           "Q3": [["case_id"], ["C-2"]]})
    with pytest.raises(ValidationError) as caught:
        from audit.intake.validate import load_extract

        load_extract(path)
    text = str(caught.value)
    assert text.startswith("book.xlsx: the extract breaks the contract: row 1 of sheet "
                           "'Guidance' holds none of the contract's column names")
    assert text.endswith("; this was the workbook's sheet 'Guidance', and its other sheets "
                         "are 'Q2', 'Q3': choose the sheet that holds the cases with --sheet "
                         "NAME")


# ---------------------------------------------------------------------------- Parquet


def test_parquet_columns_become_text(tmp_path):
    table = pa.table({
        "Case ID": pa.array(["C-1", "C-2", None]),
        "age": pa.array([3, 11, None], pa.int64()),
        "ratio": pa.array([3.0, 2.5, None]),
        "date": pa.array([dt.date(2024, 1, 5), dt.date(2024, 2, 1), None]),
        "when": pa.array([dt.datetime(2024, 1, 5), dt.datetime(2024, 1, 5, 13, 30), None]),
        "flag": pa.array([True, False, None]),
        "code": pa.array(["yes", "no", "yes"]).dictionary_encode(),
    })
    path = tmp_path / "extract.parquet"
    pq.write_table(table, path)
    raw = read_extract(path)
    assert list(raw.frame.columns) == ["case_id", "age", "ratio", "date", "when", "flag", "code"]
    assert cells(raw) == [
        ["C-1", "3", "3", "2024-01-05", "2024-01-05", "true", "yes"],
        ["C-2", "11", "2.5", "2024-02-01", "2024-01-05 13:30:00.000000", "false", "no"],
        ["", "", "", "", "", "", "yes"],
    ]
    assert raw.frame.index.tolist() == [2, 3, 4]


def test_parquet_written_by_pandas_drops_its_index(tmp_path):
    frame = pd.DataFrame({"case_id": ["C-1", "C-2"]}, index=[10, 20])
    path = tmp_path / "extract.parquet"
    frame.to_parquet(path)
    raw = read_extract(path)
    assert list(raw.frame.columns) == ["case_id"]


def test_corrupt_parquet(tmp_path):
    path = tmp_path / "extract.parquet"
    path.write_bytes(b"PAR1 not really")
    with pytest.raises(ReadError, match="cannot be read as Parquet"):
        read_extract(path)


# ------------------------------------------------------------ hostile and broken files
# (tests/corpus/ and tests/test_corpus.py run the same cases through the command line)

import importlib.util  # noqa: E402
import io  # noqa: E402
import zipfile  # noqa: E402
from pathlib import Path  # noqa: E402

from audit.intake import read as read_module  # noqa: E402
from audit.intake.read import from_xlsx  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "make_corpus", Path(__file__).resolve().parent / "corpus" / "make_corpus.py")
make_corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_corpus)
HEADER, ROWS = make_corpus.HEADER, make_corpus.ROWS


def _ole(encrypted: bool) -> bytes:
    """The start of an OLE2 compound file, with the stream name of an encrypted package."""
    name = "EncryptedPackage" if encrypted else "Workbook"
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500) + name.encode("utf-16-le") + bytes(100)


@pytest.mark.parametrize(("name", "content", "fragment"), [
    ("x.csv", b"\x89PNG\r\n\x1a\nrest", "this is a PNG image, not CSV text"),
    ("x.csv", b"%PDF-1.7\n...", "this is a PDF document"),
    ("x.csv", b"  <!DOCTYPE html><html>sign in</html>", "this is a web page (HTML"),
    ("x.csv", "case_id,x\nC-1,y\n".encode("utf-16-le"), "UTF-16 text"),
    ("x.csv", _ole(True), "password-protected"),
    ("x.parquet", b"PK\x03\x04zip", "this is a zip file (perhaps an Excel workbook), not Parquet"),
    ("x.xlsx", _ole(True), "the workbook is password-protected (encrypted)"),
    ("x.xlsx", _ole(False), "an old-style Excel 97-2003 workbook (.xls)"),
    ("x.xlsx", b"case_id,notification_date\nC-1,2024-01-05\n", "this is plain text"),
    ("x.xlsx", b"\x89PNG\r\n\x1a\nrest", "this is a PNG image, not an Excel workbook"),
    ("x.xlsx", b"PK\x03\x04 cut short", "damaged or incomplete"),
])
def test_content_is_sniffed_whatever_the_extension_says(tmp_path, name, content, fragment):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ReadError) as caught:
        read_extract(path)
    assert str(caught.value).startswith(f"{name}: ")
    assert fragment in str(caught.value)


@pytest.mark.parametrize(("separator", "named"), [(";", "semicolons"), ("\t", "tabs"),
                                                  ("|", "vertical bars")])
def test_other_separators_are_refused_not_guessed(write, separator, named):
    text = make_corpus.csv_text(HEADER, ROWS, sep=separator)
    with pytest.raises(ReadError, match=f"row 1 is split by {named}"):
        read_extract(write("\ufeff" + text))


def test_a_file_of_blank_lines_says_so(write):
    with pytest.raises(ReadError, match="only blank lines"):
        read_extract(write("\r\n  \r\n,,,\r\n\t\r\n"))


def test_undecodable_bytes_are_located_by_line(write):
    path = write("x")
    path.write_bytes(b"case_id,harmed_by\nC-1,birth_father\nC-2,step\x81father\n")
    with pytest.raises(ReadError, match="line 3 holds bytes that cannot be decoded"):
        read_extract(path)


def test_a_folder_and_a_device_are_not_extracts(tmp_path):
    folder = tmp_path / "extract.csv"
    folder.mkdir()
    with pytest.raises(ReadError, match="extract.csv: this is a folder"):
        read_extract(folder)


def test_a_file_over_the_size_limit_is_refused_unread(write, monkeypatch):
    monkeypatch.setattr(read_module, "MAX_FILE_BYTES", 10)
    with pytest.raises(ReadError, match="more than the 0 MB the suite reads"):
        read_extract(write("case_id\nC-1\nC-2\n"))


def test_a_sheet_stretched_to_a_far_cell_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "far.xlsx"
    path.write_bytes(make_corpus.xlsx_bytes({"Cases": [HEADER, *ROWS]}, far_cells={"Cases": [
        '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>.</t></is></c></row>']}))
    with pytest.raises(ReadError) as caught:
        read_extract(path)
    assert "stretches over 1,048,576 rows by 16,384 columns" in str(caught.value)
    assert "column XFD" in str(caught.value)


def test_a_dimension_that_lies_is_not_trusted(tmp_path):
    path = tmp_path / "lie.xlsx"
    path.write_bytes(make_corpus.xlsx_bytes({"Cases": [HEADER, *ROWS]}, dimension="A1:XFD1048576"))
    assert read_extract(path).frame.shape == (6, 8)


def test_a_workbook_that_would_unzip_too_big_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(from_xlsx, "MAX_UNZIPPED_BYTES", 1000)
    path = tmp_path / "big.xlsx"
    path.write_bytes(make_corpus.xlsx_bytes({"Cases": [HEADER, *ROWS]}))
    with pytest.raises(ReadError, match="would expand to .* far more than a case extract needs"):
        read_extract(path)


def test_a_zip_without_a_workbook_inside(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    path = tmp_path / "letter.xlsx"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(ReadError, match="not an Excel workbook"):
        read_extract(path)


def test_formula_cells_without_results_and_error_cells_are_located(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Case ID", "Child age (months)", "domestic_abuse", "Check"])
    sheet.append(["C-1", "=1+2", "yes", "=LEN(A2)"])   # formula in a contract column: refused
    sheet.append(["C-2", 4, '=IF(TRUE,"yes","no")', "=1"])
    sheet.append(["C-3", "#REF!", "#N/A", "#DIV/0!"])  # errors (the last in an ignored column)
    for ref in ("B4", "C4", "D4"):
        sheet[ref].data_type = "e"
    book.save(tmp_path / "f.xlsx")
    with pytest.raises(ReadError) as caught:
        read_extract(tmp_path / "f.xlsx")
    located = {(p.row, p.column): p.message for p in caught.value.problems}
    assert set(located) == {(2, "child_age_months"), (4, "child_age_months"),
                            (3, "domestic_abuse"), (4, "domestic_abuse")}
    assert "formula with no saved result" in located[(2, "child_age_months")]
    assert "Excel error (#REF!)" in located[(4, "child_age_months")]
    assert "Excel error (#N/A)" in located[(4, "domestic_abuse")]
    assert "2 formula cells with no saved result" in str(caught.value)


def test_formula_cells_with_saved_results_are_read(tmp_path):
    row = ('<row r="2"><c r="A2" t="inlineStr"><is><t>C-1</t></is></c>'
           '<c r="B2"><f>1+2</f><v>3</v></c><c r="C2" t="str"><f>""</f><v></v></c></row>')
    path = tmp_path / "saved.xlsx"
    path.write_bytes(make_corpus.xlsx_bytes({"Cases": [["case_id", "child_age_months",
                                                         "domestic_abuse"]]},
                                            far_cells={"Cases": [row]}))
    assert cells(read_extract(path)) == [["C-1", "3", ""]]


def test_an_empty_first_sheet_names_the_others(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.create_sheet("Summary")["A1"] = "Quarter"  # no sheet named Cases, none with its columns
    book.save(tmp_path / "two.xlsx")
    with pytest.raises(ReadError, match="sheet 'Notes' is empty; the workbook's other sheets "
                                        "are 'Summary': choose one with --sheet NAME"):
        read_extract(tmp_path / "two.xlsx")
    # a sheet named Cases (the form's), or the one sheet whose header names contract
    # columns, is read instead of an empty first sheet (issue 21)
    book.create_sheet("Cases")["A1"] = "case_id"
    book.save(tmp_path / "three.xlsx")
    assert read_extract(tmp_path / "three.xlsx").sheet == "Cases"


def test_a_near_miss_sheet_name_is_suggested(tmp_path):
    path = _workbook(tmp_path / "extract.xlsx", [["case_id"], ["C-1"]], title="Rapid reviews")
    with pytest.raises(ReadError, match="no sheet named 'rapid reviews ' \\(did you mean "
                                        "'Rapid reviews'\\?\\)"):
        read_extract(path, sheet="rapid reviews ")


def test_the_header_row_of_a_workbook_is_recorded(tmp_path):
    path = _workbook(tmp_path / "extract.xlsx", [["case_id"], ["C-1"]], start_row=3)
    raw = read_extract(path)
    assert raw.header_row == 3
    assert raw.frame.index.tolist() == [4]


def test_long_and_garbled_headers_are_cut_in_labels(write):
    long = "Notes " * 1000
    raw = read_extract(write(f"case_id,{long},bad\x1b[31mname\u202e\nC-1,x,y\n"))
    label = raw.label(raw.frame.columns[1])
    assert len(label) == read_module.MAX_HEADER_ECHO and label.endswith("…")
    assert raw.label(raw.frame.columns[2]) == "bad\ufffd[31mname\ufffd"


def test_duplicate_headers_when_row_1_is_data_hint_at_a_missing_header(write):
    with pytest.raises(ValidationError, match="is row 1 data rather than the column names"):
        read_extract(write("C-1,2024-01-05,yes,yes\nC-2,2024-01-06,no,no\n"))


def test_parquet_timestamps_with_a_time_zone_keep_their_local_date(tmp_path):
    when = pa.array([dt.datetime(2024, 5, 31, 23, 0)], pa.timestamp("us", tz="UTC")).cast(
        pa.timestamp("us", tz="Europe/London"))  # midnight on 1 June in London (BST)
    pq.write_table(pa.table({"case_id": ["C-1"], "notification_date": when}),
                   tmp_path / "tz.parquet")
    assert cells(read_extract(tmp_path / "tz.parquet")) == [["C-1", "2024-06-01"]]


def test_parquet_text_that_is_not_utf8_is_refused(tmp_path):
    buffer = io.BytesIO()
    pq.write_table(pa.table({"case_id": ["C-1", "C-2"], "harmed_by": ["stepfather", "x"]}),
                   buffer, compression="none", use_dictionary=False, write_statistics=False)
    path = tmp_path / "damaged.parquet"
    path.write_bytes(buffer.getvalue().replace(b"stepfather", b"step\xffather"))
    with pytest.raises(ReadError, match="column 'harmed_by' holds text that is not valid UTF-8"):
        read_extract(path)
