"""Regenerate the committed files of the broken-extract corpus (``tests/corpus/``).

Run from the repository root::

    .venv/bin/python tests/corpus/make_corpus.py

Every value is synthetic: case ids are ``CX-`` references made up for the corpus, the surnames
are invented (``Exampleson``), the NHS number ``401 023 2137`` was built by hand to pass the
modulus-11 check (see ``data/sample/broken/README.md``) and ``B33 8TH`` is the standard
example of the postcode format. The files are small (each well under 100 KB); the big
hostile inputs (a 10 MB cell, a compression bomb, a folder) are made at test time by
``tests/test_corpus.py``.

``password_protected.xlsx`` is made only when it is missing (encryption is salted at random,
so its bytes would change on every run), and then needs ``msoffcrypto-tool``. The tests only
read it, so the package is not a test dependency.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import struct
import sys
import zipfile
import zlib
from pathlib import Path

from openpyxl.utils import get_column_letter

HERE = Path(__file__).resolve().parent

HEADER = ["case_id", "notification_date", "child_age_months", "harmed_by", "known_to",
          "domestic_abuse", "father_seen", "partnership"]
ROWS = [
    ["CX-0001", "2024-01-05", "3", "birth_father", "universal", "yes", "no", "Northbridge"],
    ["CX-0002", "2024-02-11", "0", "stepfather", "early_help", "no", "yes", "Northbridge"],
    ["CX-0003", "2024-03-20", "7", "mothers_partner", "child_in_need", "yes", "yes", "Eastholm"],
    ["CX-0004", "2024-05-02", "11", "birth_father", "child_protection_plan", "unknown", "no",
     "Eastholm"],
    ["CX-0005", "2024-06-30", "5", "other_male_carer", "none", "yes", "", "Westmere"],
    ["CX-0006", "2024-08-14", "2", "birth_father", "universal", "no", "yes", "Westmere"],
]
FIXED = (2025, 1, 1, 0, 0, 0)  # zip member timestamp, so regenerated files are identical


def csv_text(header, rows, sep=",", eol="\n") -> str:
    return eol.join(sep.join(r) for r in [header, *rows]) + eol


def write(name: str, data: bytes | str, encoding: str = "utf-8") -> None:
    path = HERE / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))


# ------------------------------------------------------------------------- workbooks


def _cell(ref: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value}</v></c>'
    text = (str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def xlsx_bytes(sheets: dict[str, list[list]], *, dimension: str | None = None,
               extra_xml: dict[str, str] | None = None, far_cells: dict[str, list[str]] | None = None
               ) -> bytes:
    """A minimal, deterministic .xlsx (inline strings). ``far_cells`` adds raw cells XML."""
    names = list(sheets)
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                  'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                  for i in range(1, len(names) + 1))
        + "</Types>")
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    workbook = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                "<sheets>" + "".join(f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>'
                                     for i, n in enumerate(names, start=1))
                + "</sheets></workbook>")
    wb_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
               + "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/'
                         'officeDocument/2006/relationships/worksheet" '
                         f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(names) + 1))
               + "</Relationships>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        def put(name, text):
            z.writestr(zipfile.ZipInfo(name, FIXED), text, zipfile.ZIP_DEFLATED)

        put("[Content_Types].xml", content_types)
        put("_rels/.rels", rels)
        put("xl/workbook.xml", workbook)
        put("xl/_rels/workbook.xml.rels", wb_rels)
        for i, name in enumerate(names, start=1):
            rows = []
            for r, values in enumerate(sheets[name], start=1):
                cells = "".join(_cell(f"{get_column_letter(c)}{r}", v) for c, v in enumerate(values, start=1))
                rows.append(f'<row r="{r}">{cells}</row>')
            rows += (far_cells or {}).get(name, [])
            dim = f'<dimension ref="{dimension}"/>' if dimension else ""
            put(f"xl/worksheets/sheet{i}.xml",
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                f"{dim}<sheetData>{''.join(rows)}</sheetData></worksheet>")
        for name, text in (extra_xml or {}).items():
            put(name, text)
    return buffer.getvalue()


def openpyxl_bytes(build) -> bytes:
    """A workbook written by openpyxl (as a script would), with fixed document dates."""
    import openpyxl

    book = openpyxl.Workbook()
    build(book)
    book.properties.created = dt.datetime(2025, 1, 1)
    book.properties.modified = dt.datetime(2025, 1, 1)
    buffer = io.BytesIO()
    book.save(buffer)
    # Re-zip with fixed timestamps so the bytes do not depend on the clock.
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the time of saving
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2025-01-01T00:00:00Z",
                              data)
            dst.writestr(zipfile.ZipInfo(info.filename, FIXED), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _typed_rows():
    """ROWS with numbers as numbers and dates as dates, as a workbook holds them."""
    out = []
    for r in ROWS:
        out.append([r[0], dt.datetime.strptime(r[1], "%Y-%m-%d"), int(r[2]), *r[3:]])
    return out


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b""))


# ----------------------------------------------------------------------------- files


def make() -> None:
    good = csv_text(HEADER, ROWS)

    write("empty.csv", b"")
    write("header_only.csv", ",".join(HEADER) + "\n")
    write("no_in_scope_rows.csv", csv_text(HEADER, [[*r[:2], str(12 + i), *r[3:]]
                                                     for i, r in enumerate(ROWS)]))
    write("semicolon_delimited.csv", csv_text(HEADER, ROWS, sep=";"))
    write("bom_semicolons.csv", "\ufeff" + csv_text(HEADER, ROWS, sep=";", eol="\r\n"))
    write("tab_delimited.csv", csv_text(HEADER, ROWS, sep="\t"))
    write("title_row.csv", "Rapid review log: Northbridge and partners,,,,,,,\n"
          "Exported 2025-01-06,,,,,,,\n" + good)
    write("headerless.csv", good.split("\n", 1)[1])
    write("duplicated_headers.csv", csv_text(
        [*HEADER, "Father Seen"], [[*r, r[6]] for r in ROWS]))
    write("mixed_date_formats.csv", csv_text(HEADER, [
        ["CX-0001", "2024-01-05", *ROWS[0][2:]],
        ["CX-0002", "05/02/2024", *ROWS[1][2:]],       # fine: UK order
        ["CX-0003", "2024/03/20", *ROWS[2][2:]],       # slashes the ISO way
        ["CX-0004", "5 Mar 2024", *ROWS[3][2:]],       # words
        ["CX-0005", "45292", *ROWS[4][2:]],            # an Excel date serial number
        ["CX-0006", "03-04-24", *ROWS[5][2:]],         # two-digit year
        ["CX-0007", "2024-1-9 00:00:00", *ROWS[0][2:]],  # fine: midnight time
        ["CX-0008", "12/25/2024", *ROWS[1][2:]],       # American order
    ]))
    write("future_dates.csv", csv_text(HEADER, [
        ROWS[0], ["CX-0002", "2099-01-01", *ROWS[1][2:]], ROWS[2],
        ["CX-0004", "01/06/2031", *ROWS[3][2:]]]))
    write("pre_panel_dates.csv", csv_text(HEADER, [
        ROWS[0], ["CX-0002", "2017-11-03", *ROWS[1][2:]], ROWS[2],
        ["CX-0004", "28/06/2018", *ROWS[3][2:]],       # the day before the cut-off
        ["CX-0005", "29/06/2018", *ROWS[4][2:]],       # the cut-off itself: fine
        ["CX-0006", "1905-03-01", *ROWS[5][2:]]]))
    write("ages_as_text.csv", csv_text(HEADER, [
        [*ROWS[0][:2], "three", *ROWS[0][3:]],
        [*ROWS[1][:2], "6 months", *ROWS[1][3:]],
        [*ROWS[2][:2], "7", *ROWS[2][3:]],
        [*ROWS[3][:2], "eleven", *ROWS[3][3:]],
        [*ROWS[4][:2], "1y", *ROWS[4][3:]],
        [*ROWS[5][:2], "", *ROWS[5][3:]]]))
    write("random_bytes.csv", random.Random(6).randbytes(2048))
    write("png_renamed.csv", _png())
    write("web_page.csv", "<!DOCTYPE html>\n<html><head><title>Session expired</title></head>"
          "<body><p>Please sign in again to download the report.</p></body></html>\n")
    write("utf16.csv", csv_text(HEADER, ROWS, sep="\t", eol="\r\n"), encoding="utf-16")
    write("utf16_no_bom.csv", csv_text(HEADER, ROWS), encoding="utf-16-le")
    write("blank_lines_only.csv", "\r\n\r\n   \r\n,,,\r\n\r\n")
    write("unbalanced_quotes.csv", csv_text(HEADER, [
        ROWS[0], ["CX-0002", "2024-02-11", "0", '"stepfather', *ROWS[1][4:]], *ROWS[2:]]))
    write("extract.txt", good)
    write("extract.json", '[{"case_id": "CX-0001", "notification_date": "2024-01-05"}]\n')
    write("duplicated_case_ids.csv", csv_text(HEADER, [
        ["CX-0001", *ROWS[i % 6][1:]] for i in range(300)]))
    write("nhs_number_in_case_id.csv", csv_text(HEADER, [
        ROWS[0], ["401 023 2137", *ROWS[1][1:]], *ROWS[2:]]))
    write("postcode_in_partnership.csv", csv_text(HEADER, [
        *ROWS[:3], [*ROWS[3][:7], "B33 8TH"], *ROWS[4:]]))

    filler = [f"Extra field {i:02d}" for i in range(1, 33)]
    wide_header = [*HEADER[:5], *filler[:16], "Mother's surname", *filler[16:], *HEADER[5:]]
    wide_rows = [[*r[:5], *(f"x{i}" for i in range(16)),
                  ("Exampleson" if n % 2 else "Sampleton"), *(f"y{i}" for i in range(16)), *r[5:]]
                 for n, r in enumerate(ROWS)]
    assert len(wide_header) == 41
    write("identifier_among_40_columns.csv", csv_text(wide_header, wide_rows))

    write("garbage_bytes_in_codes.csv",
          good.encode().replace(b"mothers_partner", b"mothers\x81\x8d_partner"))
    write("control_chars_in_codes.csv", csv_text(HEADER, [
        ROWS[0], [*ROWS[1][:3], "step\x01father\x1b[31m", *ROWS[1][4:]],
        [*ROWS[2][:4], "early\u202ehelp", *ROWS[2][5:]], *ROWS[3:]]))
    long_name = "Notes about the case " * 250
    write("long_header_names.csv", csv_text([*HEADER, long_name.strip()],
                                            [[*r, "see file"] for r in ROWS]))
    write("excel_csv_utf8_crlf.csv", "\ufeff" + csv_text(
        ["Case ID", "Notification Date", "Child Age (Months)", "Harmed By", "Known To",
         "Domestic Abuse", "Father Seen", "Partnership"],
        [[*r[:1], f"{r[1][8:10]}/{r[1][5:7]}/{r[1][:4]}", *r[2:]] for r in ROWS], eol="\r\n"))
    write("cr_only_line_endings.csv", csv_text(HEADER, ROWS, eol="\r"))
    padded = [
        ["  CX-0001", "2024-01-05 ", " 3 ", "\u00a0birth_father\u00a0", " Universal ",
         "yes\u00a0", "\u00a0No", " Northbridge "],
        ["CX-0002\u00a0", "\u00a011/02/2024", "0", "Step-father  ", "\u00a0early help",
         " N ", "\u200bY", "Northbridge"],
        ["\tCX-0003", "2024-03-20", "7\u00a0", "Mother\u2019s partner\u200b", "child in need ",
         "\u00a0\u00a0", "yes ", "\u00a0Eastholm"],
    ]
    write("padded_codes.csv", csv_text(HEADER, padded))
    write("all_flags_unknown.csv", csv_text(HEADER, [[*r[:5], "unknown", "", r[7]]
                                                      for r in ROWS]))
    write("unrecognised_flag_headers.csv", csv_text(
        [*HEADER[:5], "DA?", "Dad seen (Y/N)", "partnership"], ROWS))
    write("repeated_header_row.csv", csv_text(HEADER, [*ROWS[:3], HEADER, *ROWS[3:]]))

    # ---------------------------------------------------------------- workbooks
    typed = _typed_rows()
    write("truncated.xlsx", openpyxl_bytes(lambda b: _fill(b.active, "Cases", [HEADER, *typed]))
          [:1500])
    write("wrong_sheet_name.xlsx", openpyxl_bytes(lambda b: _fill(
        b.active, "Rapid reviews", [HEADER, *typed])))
    write("csv_named.xlsx", good)
    write("far_cell.xlsx", xlsx_bytes(
        {"Cases": [HEADER, *ROWS]},
        far_cells={"Cases": ['<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>.</t>'
                             "</is></c></row>"]}))
    write("dimension_lie.xlsx", xlsx_bytes({"Cases": [HEADER, *ROWS]},
                                           dimension="A1:XFD1048576"))

    def title_book(book):
        sheet = book.active
        sheet.title = "Cases"
        sheet["A1"] = "Rapid review log - Q1 2024 (OFFICIAL-SENSITIVE)"
        _fill(sheet, None, [HEADER, *typed], start=3)

    write("title_row.xlsx", openpyxl_bytes(title_book))

    def merged_book(book):
        sheet = book.active
        sheet.title = "Cases"
        sheet["A1"] = "Case details"
        sheet["F1"] = "Risk and engagement"
        sheet["H1"] = "Area"
        sheet.merge_cells("A1:E1")
        sheet.merge_cells("F1:G1")
        _fill(sheet, None, [HEADER, *typed], start=2)

    write("merged_headers.xlsx", openpyxl_bytes(merged_book))

    def formula_book(book):
        sheet = book.active
        sheet.title = "Cases"
        _fill(sheet, None, [HEADER, *typed])
        sheet["C3"] = "=1-1"                            # child_age_months, row 3
        sheet["F4"] = '=IF(TRUE,"yes","no")'            # domestic_abuse, row 4
        sheet["B5"] = "=DATE(2024,5,2)"                 # notification_date, row 5
        sheet["I1"] = "Check"                           # an ignored column of formulas
        for r in range(2, 8):
            sheet[f"I{r}"] = f"=LEN(A{r})"

    write("formula_cells.xlsx", openpyxl_bytes(formula_book))

    def error_book(book):
        sheet = book.active
        sheet.title = "Cases"
        _fill(sheet, None, [HEADER, *typed])
        for ref, err in (("F3", "#N/A"), ("C6", "#REF!")):
            sheet[ref] = err
            sheet[ref].data_type = "e"

    write("excel_error_cells.xlsx", openpyxl_bytes(error_book))

    def two_sheets(book):
        book.active.title = "Sheet1"
        _fill(book.create_sheet("Cases"), None, [HEADER, *typed])

    write("empty_first_sheet.xlsx", openpyxl_bytes(two_sheets))
    _encrypted(openpyxl_bytes(lambda b: _fill(b.active, "Cases", [HEADER, *typed])))

    # ------------------------------------------------------------------ Parquet
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = len(ROWS)
    wrong = pa.table({
        "case_id": pa.array(range(1001, 1001 + n), pa.int64()),           # ints: fine as text
        "notification_date": pa.array([20240105 + i for i in range(n)], pa.int64()),  # not dates
        "child_age_months": pa.array([dt.date(2024, 1, 1 + i) for i in range(n)]),  # dates
        "harmed_by": pa.array([True, False] * (n // 2)),                  # bools
        "known_to": pa.array([1.5] * n),                                  # floats
        "domestic_abuse": pa.array([True, False, None] * (n // 3)),       # bools: fine
        "father_seen": pa.array([1, 0] * (n // 2), pa.int8()),            # 1/0: fine
    })
    buffer = io.BytesIO()
    pq.write_table(wrong, buffer)
    write("parquet_wrong_types.parquet", buffer.getvalue())
    nested = pa.table({
        "case_id": [r[0] for r in ROWS],
        "notification_date": [r[1] for r in ROWS],
        "child_age_months": pa.array([int(r[2]) for r in ROWS]),
        "harmed_by": [r[3] for r in ROWS],
        "known_to": pa.array([[r[4], "universal"] for r in ROWS]),
    })
    buffer = io.BytesIO()
    pq.write_table(nested, buffer)
    write("parquet_nested_column.parquet", buffer.getvalue())
    # Parquet does not check that text is UTF-8: a damaged file can hold any bytes.
    buffer = io.BytesIO()
    pq.write_table(pa.table({c: [r[i] for r in ROWS] for i, c in enumerate(HEADER)}), buffer,
                   compression="none", use_dictionary=False, write_statistics=False)
    write("parquet_bad_utf8.parquet",
          buffer.getvalue().replace(b"mothers_partner", b"mothers\xffpartner"))


def _fill(sheet, title, rows, start=1):
    if title:
        sheet.title = title
    for r, values in enumerate(rows, start=start):
        for c, value in enumerate(values, start=1):
            if value != "":
                sheet.cell(row=r, column=c, value=value)


def _encrypted(plain: bytes) -> None:
    """Encrypt a workbook. Encryption salts are random, so an existing file is kept (its
    bytes would change on every run); delete it to make a new one."""
    if (HERE / "password_protected.xlsx").exists():
        return
    try:
        from msoffcrypto.format.ooxml import OOXMLFile
    except ImportError:
        print("msoffcrypto-tool is not installed: password_protected.xlsx left as it is",
              file=sys.stderr)
        return
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(plain)).encrypt("synthetic-2025", out)
    write("password_protected.xlsx", out.getvalue())


if __name__ == "__main__":
    make()
    for path in sorted(HERE.iterdir()):
        if path.is_file() and path.suffix not in (".py", ".md"):
            assert path.stat().st_size < 100_000, path
    print(f"wrote the corpus to {HERE}")
