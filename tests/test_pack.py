"""A pack's files, written from its sections: marking everywhere, numbers as numbers."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from audit.disclosure import BOARD_MARKING
from packs import MARKING


@pytest.fixture(scope="module")
def packs(board_pack, public_pack):
    """The session's board and public packs (tests/packs.py: made once, shared)."""
    return {"board": board_pack.folder, "public": public_pack.folder}


@pytest.mark.parametrize("audience,marking", [("board", BOARD_MARKING),
                                              ("public", MARKING)])
def test_every_sheet_carries_the_marking_and_a_name_of_its_own(packs, audience, marking):
    book = load_workbook(packs[audience] / f"{audience}-pack.xlsx")
    for ws in book.worksheets:
        assert ws["A1"].value == marking, ws.title
        assert ws.oddHeader.center.text == marking, ws.title
        assert "(2)" not in ws.title and len(ws.title) <= 31
    names = [ws.title for ws in book.worksheets]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("audience,marking", [("board", BOARD_MARKING),
                                              ("public", MARKING)])
def test_the_page_carries_the_marking_on_screen_and_on_every_printed_page(packs, audience,
                                                                           marking):
    page = (packs[audience] / f"{audience}-pack.html").read_text(encoding="utf-8")
    assert page.count(marking) >= 2  # header and footer
    assert "@top-center" in page  # every printed page's running header


def test_counts_and_percentages_are_numbers_in_the_workbook(packs):
    ws = load_workbook(packs["board"] / "board-pack.xlsx")["Risk factors"]
    header = [c.value for c in ws[3]]
    counts = header.index("Cases (yes)") + 1
    share = header.index("Percentage") + 1
    for row in range(4, ws.max_row + 1):
        assert isinstance(ws.cell(row, counts).value, int | float)
        assert ws.cell(row, counts).number_format == "#,##0"
        # a number, not text ("12.5%"): a rate of exactly 0 is stored by the XML as 0
        assert isinstance(ws.cell(row, share).value, int | float)
        assert 0 <= ws.cell(row, share).value <= 1
        assert ws.cell(row, share).number_format == "0.0%"


def test_public_pack_writes_no_notebooks_and_a_figures_file(packs):
    names = {p.name for p in packs["public"].iterdir()}
    assert "figures.csv" in names and "notebooks" not in names
    assert "figures.csv" not in {p.name for p in packs["board"].iterdir()}


@pytest.mark.parametrize("audience", ["board", "public"])
def test_the_same_headline_in_the_page_the_slides_and_the_workbook(packs, audience):
    """Issue 20: the same fact worded the same wherever it appears."""
    import html
    import re

    from pptx import Presentation

    folder = packs[audience]
    page = (folder / f"{audience}-pack.html").read_text(encoding="utf-8")
    summary = page[page.index('id="summary"'):]
    first_list = summary[summary.index("<ul>"):summary.index("</ul>")]
    on_page = [html.unescape(re.sub(r"<[^>]+>", "", item)).strip()
               for item in re.findall(r"<li>(.*?)</li>", first_list, flags=re.S)]
    notes = load_workbook(folder / f"{audience}-pack.xlsx")["Notes"]
    in_workbook = [row[1] for row in notes.iter_rows(values_only=True) if row[0] == "Summary"]
    deck = Presentation(str(folder / f"{audience}-pack.pptx"))
    slide = deck.slides[1]
    on_slide = slide.notes_slide.notes_text_frame.text.split("\n\n")
    assert on_page and on_page == in_workbook == on_slide


@pytest.mark.slow  # reads the sample and writes a whole pack: about 4 s
def test_a_new_format_is_one_class_in_the_list_of_renderers(tmp_path, monkeypatch):
    """A renderer is any object with ``label`` and ``write(content, folder, options)``:
    listed in RENDERERS, it gets the same content as the page, workbook and slides."""
    from pathlib import Path

    from audit.disclosure import protect
    from audit.render import formats
    from audit.render.section import Section
    from audit.run.pack import write_pack
    from audit.workspace import open_audit

    class Outline:
        label = "outline"

        def write(self, content, folder, options):
            path = folder / f"{content.name}.txt"
            lines = [content.marking, content.title, *(s.title for s in content.sections)]
            path.write_text("\n".join(lines), encoding="utf-8")
            return path

    monkeypatch.setattr(formats, "RENDERERS", (*formats.RENDERERS, Outline()))
    sample = Path(__file__).resolve().parents[1] / "data" / "sample" / "pooled_extract.csv"
    data = open_audit(sample, period="2025")
    sections = [Section("one", "First section").text("Some prose."),
                Section("two", "Second section").text("More prose.")]
    written = write_pack(tmp_path, protect(data, "board"), sections)
    outline = tmp_path / "board-pack.txt"
    assert outline in written
    assert outline.read_text(encoding="utf-8").splitlines() == [
        BOARD_MARKING, "Are services seeing the men around babies?",
        "First section", "Second section"]
    assert {p.suffix for p in written} >= {".html", ".xlsx", ".pptx", ".txt"}
