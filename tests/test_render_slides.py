"""The slides (``board-pack.pptx``): read back with python-pptx, and opened by LibreOffice.

Expected values come from the sections the deck is built from (the same objects the HTML
page renders), never from the slide writer itself.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from pptx import Presentation
from pptx.util import Pt

from audit.disclosure import BOARD_MARKING, PUBLIC_MARKING, protect
from audit.errors import ReportError
from audit.render.content import PackContent
from audit.render.section import Section, Text
from audit.render.slides import (
    BOARD_SLIDE,
    FIXED_TIMESTAMP,
    MARKING_SHAPE,
    MAX_HEADLINE,
    MIN_SIZE,
    SLIDE_COLUMNS,
    SOURCE_PREFIX,
    slides_bytes,
    write_slides,
)
from audit.sections import build_sections
from audit.workspace import open_audit

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "pooled_extract.csv"
LIBREOFFICE = shutil.which("libreoffice") or shutil.which("soffice")


def _deck(data, sections, marking: str, **changes) -> PackContent:
    fields = dict(name="board-pack", title="Are services seeing the men around babies?",
                  subtitle="Quarterly audit against the national review", place=data.place,
                  period=data.period_label, marking=marking, sections=sections,
                  source=data.extract.path.name, sha256=data.extract.sha256,
                  about=["Point one.", "Point two."],
                  provenance=[("Source extract", data.extract.path.name)])
    return PackContent(**{**fields, **changes})


def _bare(sections) -> PackContent:
    return PackContent(name="x", title="t", subtitle="s", place="p", period="q", marking="m",
                       sections=sections, source="f", sha256="0" * 64)


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    data = open_audit(SAMPLE)
    sections = build_sections(protect(data, "board"), data.history)
    path = write_slides(tmp_path_factory.mktemp("slides") / "board-pack.pptx",
                        _deck(data, sections, BOARD_MARKING))
    return data, sections, path, Presentation(str(path))


@pytest.fixture(scope="module")
def public(tmp_path_factory):
    data = open_audit(SAMPLE, period="2025")
    sections = build_sections(protect(data, "public"), data.history)
    path = write_slides(tmp_path_factory.mktemp("slides") / "public-pack.pptx",
                        _deck(data, sections, PUBLIC_MARKING))
    return data, sections, path, Presentation(str(path))


def _figures(sections):
    """The charts of the sections in reading order, each drawn once (the summary repeats
    the engagement steps' chart; the deck shows it once, issue 20)."""
    out, seen = [], set()
    for figure in (f for s in sections for f in s.figures):
        if figure.png not in seen:
            seen.add(figure.png)
            out.append(figure)
    return out


def _action_table(sections):
    tables = [t for s in sections for t in s.tables if t.sheet == "Actions"]
    assert len(tables) == 1
    return tables[0]


def _title(slide) -> str:
    return slide.shapes.title.text_frame.text


def _pictures(slide):
    return [s for s in slide.shapes if s.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE


def _runs(slide):
    """(shape name, run) for every run of text on the slide, tables included."""
    for shape in slide.shapes:
        frames = []
        if shape.has_text_frame:
            frames.append(shape.text_frame)
        if getattr(shape, "has_table", False) and shape.has_table:
            frames += [cell.text_frame for cell in shape.table.iter_cells()]
        for frame in frames:
            for paragraph in frame.paragraphs:
                for run in paragraph.runs:
                    yield shape.name, run


def test_deck_is_16_by_9(board):
    prs = board[3]
    assert prs.slide_width * 9 == pytest.approx(prs.slide_height * 16, rel=1e-3)


def test_one_slide_a_chart_titled_with_the_chart_title_in_reading_order(board):
    _, sections, _, prs = board
    figures = _figures(sections)
    slides = list(prs.slides)
    chart_slides = [s for s in slides if _pictures(s)]
    assert [_title(s) for s in chart_slides] == [f.title for f in figures]
    # Title slide, what the board needs to know, the charts, the actions, the closing slide.
    assert _title(slides[1]) == BOARD_SLIDE
    assert slides[2:2 + len(figures)] == chart_slides
    actions = [s for s in slides if _title(s).startswith("Draft actions for the board")]
    assert actions and slides[2 + len(figures):2 + len(figures) + len(actions)] == actions
    assert _title(slides[-1]) == "About these figures"
    assert len(slides) == 2 + len(figures) + len(actions) + 1
    # no chart twice (issue 20: slide 2 was the same chart as slide 4)
    pictures = [p.image.blob for s in chart_slides for p in _pictures(s)]
    assert len(pictures) == len(set(pictures))
    assert len(figures) < len([f for s in sections for f in s.figures])


def test_the_board_slide_leads_with_the_summarys_headline(board):
    _, sections, _, prs = board
    summary = next(s for s in sections if s.key == "summary")
    first = next(b for b in summary.blocks if isinstance(b, Text))
    bullets = [line[2:].replace("**", "") for line in first.text.splitlines()
               if line.startswith("- ")]
    slide = prs.slides[1]
    shown = [s for s in slide.shapes if s.name == "Headline"][0].text_frame.text.splitlines()
    assert shown == [f"• {b}" for b in bullets[:MAX_HEADLINE]]
    assert slide.notes_slide.notes_text_frame.text == "\n\n".join(bullets)


def test_every_picture_is_described_by_its_chart_alt_text(board):
    _, sections, _, prs = board
    figures = _figures(sections)
    pictures = [p for s in prs.slides for p in _pictures(s)]
    assert len(pictures) == len(figures)
    for picture, figure in zip(pictures, figures, strict=True):
        descr = picture._element.nvPicPr.cNvPr.get("descr")
        assert descr and descr.strip()
        assert descr == figure.alt


def test_every_slide_has_speaker_notes_and_chart_notes_carry_the_numbers(board):
    _, sections, _, prs = board
    figures = _figures(sections)
    for slide in prs.slides:
        assert slide.has_notes_slide
        assert slide.notes_slide.notes_text_frame.text.strip(), _title(slide)
    chart_slides = [s for s in prs.slides if _pictures(s)]
    for slide, figure in zip(chart_slides, figures, strict=True):
        notes = slide.notes_slide.notes_text_frame.text
        assert figure.alt in notes  # every number and interval the chart shows
        assert figure.caption in notes


def test_marking_on_every_slide(board):
    prs = board[3]
    for slide in prs.slides:
        markings = [s for s in slide.shapes if s.name == MARKING_SHAPE]
        assert len(markings) == 1, _title(slide)
        assert markings[0].text_frame.text == BOARD_MARKING


def test_no_text_under_14_pt_except_sources(board):
    prs = board[3]
    seen_source = False
    for slide in prs.slides:
        for name, run in _runs(slide):
            if not run.text.strip():
                continue
            assert run.font.size is not None, (name, run.text[:40])
            if name.startswith(SOURCE_PREFIX):
                seen_source = True
                continue
            assert run.font.size >= Pt(MIN_SIZE), (_title(slide), name, run.text[:40])
    assert seen_source  # the captions are there, small


def test_title_slide_names_the_audit_and_the_closing_slide_its_source(board):
    data, _, _, prs = board
    text = "\n".join(run.text for _, run in _runs(prs.slides[0]))
    for expected in (data.place, data.period_label, BOARD_MARKING):
        assert expected in text
    # provenance belongs on "About these figures", not the title slide (issue 20)
    assert data.extract.sha256[:16] not in text and "SHA-256" not in text
    closing = "\n".join(run.text for _, run in _runs(prs.slides[-1]))
    for expected in (data.extract.path.name, data.extract.sha256[:16]):
        assert expected in closing


def test_action_slides_hold_every_action_in_order_with_blank_owner_and_date(board):
    _, sections, _, prs = board
    table = _action_table(sections)
    expected = [row[list(table.frame.columns).index("Finding")]
                for row in table.rows_text()]
    found = []
    for slide in prs.slides:
        if not _title(slide).startswith("Draft actions for the board"):
            continue
        grids = [s.table for s in slide.shapes if getattr(s, "has_table", False)
                 and s.has_table]
        assert len(grids) == 1
        grid = grids[0]
        header = [grid.cell(0, j).text_frame.text for j in range(len(grid.columns))]
        assert header == list(SLIDE_COLUMNS["Actions"])
        for i in range(1, len(grid.rows)):
            found.append(grid.cell(i, 0).text_frame.text)
            assert grid.cell(i, header.index("Owner")).text_frame.text == ""
            assert grid.cell(i, header.index("By when")).text_frame.text == ""
        # The practice message (not on the slide) is in the notes.
        assert "Practice message:" in slide.notes_slide.notes_text_frame.text
    assert found == expected


def test_slides_fit_on_the_slide(board):
    prs = board[3]
    for slide in prs.slides:
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.top >= 0, (_title(slide), shape.name)
            assert shape.left + shape.width <= prs.slide_width, (_title(slide), shape.name)
            assert shape.top + shape.height <= prs.slide_height, (_title(slide), shape.name)


def test_public_deck_shows_only_the_public_sections(public):
    _, sections, _, prs = public
    assert not [t for s in sections for t in s.tables if t.sheet == "Actions"]
    titles = [_title(s) for s in prs.slides]
    assert not [t for t in titles if t.startswith("Draft actions")]
    descriptions = [p._element.nvPicPr.cNvPr.get("descr") for s in prs.slides
                    for p in _pictures(s)]
    assert descriptions == [f.alt for f in _figures(sections)]
    for slide in prs.slides:
        assert [s.text_frame.text for s in slide.shapes if s.name == MARKING_SHAPE] == \
            [PUBLIC_MARKING]


def test_bytes_are_deterministic(board):
    data, sections, path, prs = board
    again = slides_bytes(_deck(data, sections, BOARD_MARKING))
    assert again == path.read_bytes()
    assert prs.core_properties.created == FIXED_TIMESTAMP
    assert prs.core_properties.modified == FIXED_TIMESTAMP
    with zipfile.ZipFile(io.BytesIO(again)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_text_from_an_extract_stays_text(board, tmp_path):
    data, sections, _, _ = board
    deck = _deck(data, sections[:1], "OFFICIAL <b>&\"quoted\"</b> =SUM(A1)",
                 place="=HYPERLINK(\"x\") & <Partnership>")
    path = write_slides(tmp_path / "odd.pptx", deck)
    prs = Presentation(str(path))
    text = "\n".join(run.text for _, run in _runs(prs.slides[0]))
    assert deck.place in text and deck.marking in text


def test_no_sections_is_a_report_error(tmp_path):
    with pytest.raises(ReportError):
        write_slides(tmp_path / "x.pptx", _bare([]))
    assert not (tmp_path / "x.pptx").exists()


def test_libreoffice_opens_the_deck_and_prints_a_page_a_slide(board, tmp_path):
    if LIBREOFFICE is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is not installed on CI: .ci/run installs "
                        "libreoffice-impress")
        pytest.skip("LibreOffice is not installed here (CI installs libreoffice-impress)")
    from pypdf import PdfReader

    _, _, path, prs = board
    profile = tmp_path / "lo-profile"
    result = subprocess.run(
        [LIBREOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        capture_output=True, text=True, timeout=300)
    pdf = tmp_path / "board-pack.pdf"
    assert result.returncode == 0 and pdf.is_file(), result.stderr
    assert len(PdfReader(str(pdf)).pages) == len(prs.slides)


def test_a_difference_that_survives_the_adjustment_has_a_slide_of_its_own(tmp_path):
    """Issue 20: 'harmed by the birth father, 62.9% against 88% nationally (adjusted p =
    0.02)' was one line of the summary and on no slide."""
    bullet = ("**Lower than nationally:** harmed by birth father (62.9% against 88.0%; "
              "adjusted p = 0.020).")
    summary = Section("summary", "Summary for the board")
    summary.text(f"- This audit covers **35** babies.\n- {bullet}\n- Something else.")
    path = write_slides(tmp_path / "d.pptx", _bare([summary]))
    titles = [_title(s) for s in Presentation(str(path)).slides]
    plain = bullet.replace("**", "")
    assert titles[:3] == ["t", BOARD_SLIDE, plain]
    assert titles.count(plain) == 1


def test_a_section_that_asks_for_a_slide_gets_one_without_a_chart_or_table(tmp_path):
    """The slides take no section key as special: a section says ``always_slide`` (the draft
    actions do), and its prose gets a slide even when there is nothing to tabulate."""
    asked = Section("anything", "Draft actions", always_slide=True)
    asked.text("No measure was found short this quarter, so there is no draft action.")
    plain = Section("other", "Background")
    plain.text("Only background.")
    prs = Presentation(str(write_slides(tmp_path / "a.pptx", _bare([asked, plain]))))
    titles = [_title(s) for s in prs.slides]
    assert "Draft actions" in titles and "Background" not in titles
    notes = prs.slides[titles.index("Draft actions")].notes_slide.notes_text_frame.text
    assert notes.startswith("No measure was found short this quarter")


@pytest.mark.parametrize("title", [
    "Adverse childhood of his own in 26%",
    # two lines, as "of the cases where it was recorded" made a public pack's risk title:
    # its lines were taken for two blocks and the whole image, title and caption, was kept
    "Adverse childhood of his own in 26% of the cases where it was recorded, in a title "
    "long enough to wrap onto a second line of the chart",
])
def test_a_slide_crops_the_title_and_caption_out_of_a_chart(title) -> None:
    """The slide states the chart's title and caption as text, so the image keeps only the
    plot (`_plot_only`): the title's rows and the caption's are cut away, whatever the
    title's length."""
    import numpy as np
    from PIL import Image

    from audit.charts import local_vs_national
    from audit.render.slides import _plot_only

    table = pd.DataFrame({
        "metric": ["risk.domestic_abuse", "risk.childhood_adversity"], "numerator": [20, 6],
        "denominator": [30, 23], "unknown": [1, 8], "rate": [20 / 30, 6 / 23],
        "ci_low": [0.49, 0.12], "ci_high": [0.81, 0.46], "national_rate": [59 / 92, None],
        "p_value": [None, None], "p_holm": [None, None]})
    chart = local_vs_national(table, list(table["metric"]), title=title, period="2026-Q3",
                              source="case extract", place="Kestrel Vale")
    png = chart.png_bytes()
    chart.close()
    whole = Image.open(io.BytesIO(png))
    plot = Image.open(io.BytesIO(_plot_only(png)))
    assert plot.width == whole.width and plot.height < 0.85 * whole.height
    # the title's ink is gone: the first rows of the crop are white down to the legend
    grey = np.asarray(plot.convert("L"))
    first_ink = int(np.argmax((grey < 245).any(axis=1)))
    full = np.asarray(whole.convert("L"))
    title_rows = int(np.argmax((full < 245).any(axis=1)))
    assert first_ink >= 0 and plot.height - first_ink < whole.height - title_rows - 40
