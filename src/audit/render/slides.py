"""The pack as slides for the board meeting (``board-pack.pptx``), written with python-pptx.

The slides are built from the **same** :class:`~audit.render.section.Section` objects as
the HTML page, so a public pack's slides show exactly what its page shows and nothing else.
Nothing here computes a figure.

What the deck holds, in order:

* a **title slide**: the pack's title, the partnership and period, the protective marking;
* **"What the board needs to know"** (a public pack: "What these figures show"): the
  summary's headline bullets (at most
  :data:`MAX_HEADLINE`; every one in the notes); then a slide for each difference from the
  national figures that survives the adjustment (:data:`FINDING_PREFIXES`);
* **one slide a chart** (every :class:`~audit.render.section.Figure` of every section, in
  reading order; a chart drawn the same in two sections gets one slide): the chart's
  active title (the finding in about ten words) as the slide
  title, the chart with its alt text as the picture's description (what a screen reader
  reads), the chart's caption (measure, population, period, source) small beneath; the
  speaker notes hold what a presenter must say aloud: the alt text (every number and its
  interval), then the section's prose and table rows that go with the chart (the blocks
  after it, up to the next chart; for a section's first chart also those before it);
* a slide (or more, when the rows do not fit) for each table meant for the room: the draft
  actions (``sheet="Actions"``) and last period's actions followed up (``"Follow-up"``),
  with the columns of :data:`SLIDE_COLUMNS`; the other columns go in the notes;
* a closing **"About these figures"** slide: how to read the numbers and the source
  extract with the first 16 characters of its SHA-256 (provenance belongs here, not on the
  title slide); its notes carry the provenance and any section with no chart.

Legible from the back of a room: 16:9, Arial, nothing under 14 pt except the notes and the
captions and source lines (:data:`SOURCE_SIZE`, shapes named ``Source …``); the Government
Analysis Function palette (dark blue ``#12436D`` titles, dark grey ``#3D3D3D`` text, table
headers white on dark blue; contrast 10:1 or more). Every slide carries the protective
marking in a footer text box (named ``Marking``), and the slide number.

The bytes are deterministic (fixed document dates and zip entry dates:
:mod:`audit.render.archive`, as the workbook), so the manifest's checksums are reproducible.
"""

from __future__ import annotations

import io
import math
import os
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from audit.errors import ReportError
from audit.render.archive import FIXED_TIMESTAMP, fixed_zip
from audit.render.content import PackContent, RenderOptions
from audit.render.section import Figure, Heading, Section, Table, Text, summary_bullets

__all__ = [
    "DARK_BLUE",
    "DARK_GREY",
    "TURQUOISE",
    "MIN_SIZE",
    "SOURCE_SIZE",
    "SLIDE_COLUMNS",
    "MARKING_SHAPE",
    "BOARD_SLIDE",
    "PUBLIC_SLIDE",
    "MAX_HEADLINE",
    "FINDING_PREFIXES",
    "SOURCE_PREFIX",
    "FIXED_TIMESTAMP",
    "SlideDeck",
    "write_slides",
    "slides_bytes",
]

#: Analysis Function palette: dark blue (titles, table headers), dark grey (text),
#: turquoise (accent).
DARK_BLUE = "12436D"
DARK_GREY = "3D3D3D"
TURQUOISE = "28A197"
#: The smallest text on a slide, in points (captions and sources excepted).
MIN_SIZE = 14
#: Captions and source lines: small, as a chart's source note is.
SOURCE_SIZE = 11
#: Shapes whose name starts with this are captions or sources (allowed under 14 pt).
SOURCE_PREFIX = "Source"
#: The name of the footer text box that carries the protective marking on every slide.
MARKING_SHAPE = "Marking"
#: The title of the slide after the title slide: the summary's headline bullets.
BOARD_SLIDE = "What the board needs to know"
#: The same slide in a public pack, whose readers are not the board.
PUBLIC_SLIDE = "What these figures show"
#: At most this many headline bullets on that slide (the rest are in its notes).
MAX_HEADLINE = 5
#: Headline bullets that state a difference surviving the adjustment: a slide each.
FINDING_PREFIXES = ("Lower than nationally:", "Higher than nationally:")
#: The tables shown on slides, by workbook sheet name, and the columns the room sees.
SLIDE_COLUMNS: dict[str, tuple[str, ...]] = {
    "Actions": ("Finding", "Suggested action", "Owner", "By when"),
    "Follow-up": ("Measure to watch", "Since", "Movement", "Beyond chance"),
}

_WIDTH_IN, _HEIGHT_IN = 13.333, 7.5
_MARGIN = 0.5
_TITLE_TOP, _TITLE_HEIGHT = 0.3, 1.05
_BODY_TOP = 1.45
_CAPTION_HEIGHT = 0.62
_FOOTER_TOP, _FOOTER_HEIGHT = 6.98, 0.4
_BODY_BOTTOM = _FOOTER_TOP - 0.08
_TABLE_WIDTHS = {  # inches, by column, for the slide tables
    "Finding": 3.7,
    "Suggested action": 6.1,
    "Owner": 1.25,
    "By when": 1.25,
    "Measure to watch": 4.3,
    "Since": 2.6,
    "Movement": 3.6,
    "Beyond chance": 1.8,
}
_MAX_NOTE_ROWS = 25
# Chart images: text lines of one block are at most this many pixels apart (a title of two
# lines is 14 apart: at 12 it was taken for two blocks and the chart kept whole); the title and
# the caption are set apart by at least _BLOCK_GAP; _PAD pixels of white are kept.
_LINE_GAP, _BLOCK_GAP, _PAD = 20, 30, 12


def _plain(text: str) -> str:
    """Prose without the ``**bold**`` markup and the list dashes."""
    lines = [re.sub(r"\*\*(.+?)\*\*", r"\1", ln.strip()) for ln in text.splitlines()]
    return "\n".join(ln[2:] if ln.startswith("- ") else ln for ln in lines).strip()


def _table_lines(table: Table) -> list[str]:
    """A table for the notes: its caption, then one line a row, ``column: value; …``."""
    names = [str(c) for c in table.frame.columns]
    rows = table.rows_text()
    lines = [table.caption + ":"]
    for row in rows[:_MAX_NOTE_ROWS]:
        cells = dict(zip(names, row, strict=True))
        lines.append("- " + "; ".join(f"{c}: {cells[c]}" for c in names if cells[c].strip()))
    if len(rows) > _MAX_NOTE_ROWS:
        lines.append(f"- … {len(rows) - _MAX_NOTE_ROWS} more rows in the pack's workbook")
    return lines


def _block_lines(block: object) -> list[str]:
    """A block as paragraphs of the notes (a table is one paragraph, a line a row)."""
    if isinstance(block, Text):
        return [_plain(block.text)]
    if isinstance(block, Heading):
        return [block.text + ":"]
    if isinstance(block, Table):
        return ["\n".join(_table_lines(block))]
    return []


def _figure_notes(section: Section) -> list[tuple[Figure, str]]:
    """Each chart of a section with its speaker notes (module docstring)."""
    found = [(i, b) for i, b in enumerate(section.blocks) if isinstance(b, Figure)]
    indexes = [i for i, _ in found]
    out = []
    for n, (i, figure) in enumerate(found):
        start = 0 if n == 0 else i + 1
        end = indexes[n + 1] if n + 1 < len(indexes) else len(section.blocks)
        near = [
            line for b in section.blocks[start:end] if b is not figure for line in _block_lines(b)
        ]
        notes = [f"{section.title}.", figure.alt, *near, f"Caption: {figure.caption}"]
        out.append((figure, "\n\n".join(x for x in notes if x.strip())))
    return out


# ---------------------------------------------------------------------------- drawing


class _Deck:
    """A python-pptx presentation with the pack's layout helpers."""

    def __init__(self, marking: str) -> None:
        from pptx import Presentation
        from pptx.util import Inches

        self.prs = Presentation()
        self.prs.slide_width = Inches(_WIDTH_IN)
        self.prs.slide_height = Inches(_HEIGHT_IN)
        self.marking = marking
        self.slides: list = []

    # -- text ---------------------------------------------------------------------------
    @staticmethod
    def _style(run, size: float, *, bold: bool = False, colour: str = DARK_GREY) -> None:
        from pptx.dml.color import RGBColor
        from pptx.enum.lang import MSO_LANGUAGE_ID
        from pptx.util import Pt

        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.name = "Arial"
        run.font.color.rgb = RGBColor.from_string(colour)
        run.font.language_id = MSO_LANGUAGE_ID.ENGLISH_UK

    def _fill(
        self,
        frame,
        paragraphs: Sequence[str],
        size: float,
        *,
        bold: bool = False,
        colour: str = DARK_GREY,
        align=None,
        space: float = 0,
    ) -> None:
        from pptx.enum.text import MSO_AUTO_SIZE
        from pptx.util import Pt

        frame.word_wrap = True
        frame.auto_size = MSO_AUTO_SIZE.NONE
        for k, text in enumerate(paragraphs):
            para = frame.paragraphs[0] if k == 0 else frame.add_paragraph()
            if align is not None:
                para.alignment = align
            if space and k:
                para.space_before = Pt(space)
            run = para.add_run()
            run.text = text
            self._style(run, size, bold=bold, colour=colour)

    def text(
        self,
        slide,
        box: tuple[float, float, float, float],
        paragraphs: Sequence[str],
        size: float,
        *,
        name: str,
        bold: bool = False,
        colour: str = DARK_GREY,
        align=None,
        space: float = 0,
    ):
        from pptx.util import Inches

        left, top, width, height = box
        shape = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
        shape.name = name
        self._fill(
            shape.text_frame, paragraphs, size, bold=bold, colour=colour, align=align, space=space
        )
        return shape

    # -- slides -------------------------------------------------------------------------
    def new_slide(
        self,
        title: str,
        *,
        notes: str,
        layout: int = 5,
        size: float = 28,
        colour: str = DARK_BLUE,
        box=None,
    ):
        """A slide with its title in the title placeholder (read first by screen readers)."""
        from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
        from pptx.util import Inches

        slide = self.prs.slides.add_slide(self.prs.slide_layouts[layout])
        left, top, width, height = box or (
            _MARGIN,
            _TITLE_TOP,
            _WIDTH_IN - 2 * _MARGIN,
            _TITLE_HEIGHT,
        )
        holder = slide.shapes.title
        holder.left, holder.top = Inches(left), Inches(top)
        holder.width, holder.height = Inches(width), Inches(height)
        holder.text_frame.vertical_anchor = MSO_ANCHOR.TOP if layout else MSO_ANCHOR.BOTTOM
        self._fill(
            holder.text_frame,
            [title],
            _title_size(title, size),
            bold=True,
            colour=colour,
            align=PP_ALIGN.LEFT,
        )
        slide.notes_slide.notes_text_frame.text = notes
        self.slides.append(slide)
        return slide

    def footers(self, *, dark_first: bool) -> None:
        """The marking (left) and the slide number (right) on every slide."""
        from pptx.enum.text import PP_ALIGN

        total = len(self.slides)
        for n, slide in enumerate(self.slides, start=1):
            colour = "FFFFFF" if dark_first and n == 1 else DARK_GREY
            self.text(
                slide,
                (_MARGIN, _FOOTER_TOP, 10.6, _FOOTER_HEIGHT),
                [self.marking],
                MIN_SIZE,
                name=MARKING_SHAPE,
                bold=True,
                colour=colour,
            )
            self.text(
                slide,
                (_WIDTH_IN - _MARGIN - 1.6, _FOOTER_TOP, 1.6, _FOOTER_HEIGHT),
                [f"{n} / {total}"],
                MIN_SIZE,
                name="Slide number",
                colour=colour,
                align=PP_ALIGN.RIGHT,
            )

    def picture(self, slide, figure: Figure, *, top: float, bottom: float) -> None:
        """The chart, as large as fits between ``top`` and ``bottom``, centred; its alt
        text is the picture's description."""
        from PIL import Image
        from pptx.util import Inches

        png = _plot_only(figure.png)
        with Image.open(io.BytesIO(png)) as image:
            width_px, height_px = image.size
        room_w, room_h = _WIDTH_IN - 2 * _MARGIN, bottom - top
        scale = min(room_w / width_px, room_h / height_px)
        width, height = width_px * scale, height_px * scale
        left = (_WIDTH_IN - width) / 2
        top += (room_h - height) / 2
        shape = slide.shapes.add_picture(
            io.BytesIO(png), Inches(left), Inches(top), Inches(width), Inches(height)
        )
        shape.name = f"Chart {figure.name}"
        c_nv_pr = shape._element.nvPicPr.cNvPr
        c_nv_pr.set("descr", figure.alt)
        c_nv_pr.set("title", figure.title)

    def table(
        self, slide, table: Table, columns: Sequence[str], rows: Sequence[int], *, top: float
    ) -> None:
        """Rows ``rows`` of ``table`` in ``columns``: header white on dark blue, 14 pt."""
        from pptx.dml.color import RGBColor
        from pptx.util import Inches

        widths = [_TABLE_WIDTHS.get(c, 2.0) for c in columns]
        text = table.rows_text()
        names = [str(c) for c in table.frame.columns]
        shape = slide.shapes.add_table(
            len(rows) + 1,
            len(columns),
            Inches(_MARGIN),
            Inches(top),
            Inches(sum(widths)),
            Inches(_row_height(columns, widths)),
        )
        shape.name = f"Table {table.sheet or 'table'}"
        grid = shape.table
        grid.first_row, grid.horz_banding = True, False
        for j, width in enumerate(widths):
            grid.columns[j].width = Inches(width)
        body = [[text[i][names.index(c)] for c in columns] for i in rows]
        for i, values in enumerate([list(columns), *body]):
            grid.rows[i].height = Inches(_row_height(values, widths))
            for j, value in enumerate(values):
                cell = grid.cell(i, j)
                cell.fill.solid()
                cell.fill.fore_color.rgb = RGBColor.from_string(DARK_BLUE if i == 0 else "FFFFFF")
                cell.text_frame.text = ""
                if value.strip():
                    self._fill(
                        cell.text_frame,
                        value.split("\n"),
                        MIN_SIZE,
                        bold=i == 0,
                        colour="FFFFFF" if i == 0 else DARK_GREY,
                        space=4,
                    )

    def save(self, core_title: str, timestamp: datetime) -> bytes:
        props = self.prs.core_properties
        props.title = core_title
        props.author = "audit"
        props.last_modified_by = "audit"
        props.revision = 1
        props.created = props.modified = timestamp
        props.last_printed = timestamp
        props.language = "en-GB"
        props.category = self.marking
        props.subject = self.marking
        props.comments = ""
        props.keywords = ""
        buffer = io.BytesIO()
        self.prs.save(buffer)
        return fixed_zip(buffer.getvalue())


def _title_size(title: str, size: float) -> float:
    """A long slide title steps down (never under 20 pt) so it stays within two lines."""
    if size != 28:
        return size
    return 28 if len(title) <= 80 else 24 if len(title) <= 110 else 20


def _lines(text: str, width_in: float, size: float = MIN_SIZE) -> int:
    """Lines ``text`` takes in a column ``width_in`` wide (Arial, about 0.5 em a character,
    less the cell's 0.2 in of margins)."""
    per_line = max(8, int((width_in - 0.2) * 72 / (size * 0.52)))
    return sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))


def _row_height(values: Sequence[str], widths: Sequence[float]) -> float:
    """A table row's height in inches: its tallest cell at 14 pt, with the cell margins."""
    lines = max(_lines(v, w) for v, w in zip(values, widths, strict=True))
    return lines * MIN_SIZE * 1.2 / 72 + 0.12 + 0.06 * (max(v.count("\n") for v in values))


def _pages(table: Table, columns: Sequence[str], room: float) -> list[list[int]]:
    """Row numbers of the table, split into slides so each fits in ``room`` inches."""
    widths = [_TABLE_WIDTHS.get(c, 2.0) for c in columns]
    names = [str(c) for c in table.frame.columns]
    text = table.rows_text()
    room -= _row_height(list(columns), widths)
    heights = [_row_height([row[names.index(c)] for c in columns], widths) for row in text]

    def fill(limit: float) -> list[list[int]]:
        pages: list[list[int]] = [[]]
        used = 0.0
        for i, height in enumerate(heights):
            if pages[-1] and used + height > limit:
                pages.append([])
                used = 0.0
            pages[-1].append(i)
            used += height
        return [p for p in pages if p]

    greedy = fill(room)
    # The same number of slides, rows spread evenly (no slide of one row at the end).
    even = fill(min(room, sum(heights) / len(greedy) + max(heights, default=0) / 2))
    return even if len(even) == len(greedy) else greedy


def _plot_only(png: bytes) -> bytes:
    """The chart without the title and caption drawn into its image, when they can be told
    apart: the slide states both as text (title above, caption beneath), so the plot gets
    the room. A chart draws its title as the first block of text rows and its caption as
    the last, each set apart by a wide white gap (:mod:`audit.charts.style`); an image that
    does not look like that is left whole."""
    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        image.load()
        grey = np.asarray(image.convert("L"))
        ink: list[bool] = np.asarray((grey < 245).any(axis=1), dtype=bool).tolist()
        blocks: list[list[int]] = []  # [first row, end row) of text set apart by wide gaps
        row = 0
        while row < len(ink):
            if not ink[row]:
                row += 1
                continue
            end = row
            while end < len(ink) and ink[end]:
                end += 1
            if blocks and row - blocks[-1][1] <= _LINE_GAP:
                blocks[-1][1] = end
            else:
                blocks.append([row, end])
            row = end
        height = len(ink)
        if len(blocks) < 3:
            return png
        title, caption = blocks[0], blocks[-1]
        if (
            blocks[1][0] - title[1] < _BLOCK_GAP
            or caption[0] - blocks[-2][1] < _BLOCK_GAP
            or title[1] - title[0] > 0.2 * height
            or caption[1] - caption[0] > 0.35 * height
        ):
            return png
        top = max(0, blocks[1][0] - _PAD)
        bottom = min(height, blocks[-2][1] + _PAD)
        out = io.BytesIO()
        # Fast compression: the slide is the only reader, and level 6 took 0.1 s a chart.
        image.crop((0, top, image.width, bottom)).save(out, format="PNG", compress_level=1)
    return out.getvalue()


# ------------------------------------------------------------------------------ the deck


def slides_bytes(content: PackContent, timestamp: datetime = FIXED_TIMESTAMP) -> bytes:
    """The deck as the bytes of a ``.pptx`` file (see :func:`write_slides`)."""
    if not content.sections:
        raise ReportError("no pack sections were produced")
    deck = _Deck(content.marking)
    _title_slide(deck, content)
    _headline_slides(
        deck, summary_bullets(content.sections), PUBLIC_SLIDE if content.public else BOARD_SLIDE
    )
    background = _section_slides(deck, content.sections)
    _closing_slide(deck, content, background)
    deck.footers(dark_first=True)
    return deck.save(f"{content.title} ({content.place}, {content.period})", timestamp)


def _title_slide(deck: _Deck, content: PackContent) -> None:
    """White on dark blue: the title, the subtitle, the place and period, the marking."""
    from pptx.dml.color import RGBColor
    from pptx.enum.text import MSO_ANCHOR, PP_ALIGN

    c = content
    wide = _WIDTH_IN - 2 * _MARGIN - 0.2
    first = deck.new_slide(
        c.title,
        layout=0,
        size=40,
        colour="FFFFFF",
        box=(_MARGIN + 0.1, 0.6, wide, 1.7),
        notes=f"{c.title} {c.subtitle}. {c.place}, {c.period}. {c.marking}. Source: "
        f"{c.source}, SHA-256 {c.sha256}.",
    )
    first.background.fill.solid()
    first.background.fill.fore_color.rgb = RGBColor.from_string(DARK_BLUE)
    subtitle_box = first.placeholders[1]
    subtitle_box.left, subtitle_box.top = _emu(_MARGIN + 0.1), _emu(2.4)
    subtitle_box.width, subtitle_box.height = _emu(wide), _emu(0.9)
    subtitle_box.text_frame.vertical_anchor = MSO_ANCHOR.TOP
    deck._fill(subtitle_box.text_frame, [c.subtitle], 20, colour="FFFFFF", align=PP_ALIGN.LEFT)
    deck.text(
        first,
        (_MARGIN + 0.1, 3.45, wide, 1.3),
        [c.place, c.period],
        24,
        name="Place and period",
        bold=True,
        colour="FFFFFF",
        space=4,
    )
    deck.text(
        first,
        (_MARGIN + 0.1, 4.95, wide, 0.6),
        [c.marking],
        20,
        name="Protective marking",
        bold=True,
        colour="FFFFFF",
    )


def _headline_slides(deck: _Deck, headline: list[str], title: str) -> None:
    """ "What the board needs to know" (a public pack: "What these figures show"; the
    summary's bullets), then a slide for each difference from the national figures that
    survives the adjustment."""
    if headline:
        slide = deck.new_slide(title, notes="\n\n".join(headline))
        deck.text(
            slide,
            (_MARGIN, _BODY_TOP, _WIDTH_IN - 2 * _MARGIN, _BODY_BOTTOM - _BODY_TOP),
            [f"• {line}" for line in headline[:MAX_HEADLINE]],
            20,
            name="Headline",
            space=10,
        )
    for finding in (line for line in headline if line.startswith(FINDING_PREFIXES)):
        slide = deck.new_slide(finding, notes=finding)
        deck.text(
            slide,
            (_MARGIN, _BODY_TOP, _WIDTH_IN - 2 * _MARGIN, 2.0),
            [
                "Compared like for like with the 92 cases of the national review (two-sided "
                "Fisher exact test), adjusted for the number of comparisons in this pack "
                "(Holm's method): a difference unlikely to be chance alone.",
                "The pack's risk-factor and services sections show the figure with its 95% "
                "confidence interval beside the national figure.",
            ],
            20,
            name="Finding",
            space=10,
        )


def _section_slides(deck: _Deck, sections: Sequence[Section]) -> list[str]:
    """A slide a chart (a chart shown in two sections gets one) and the slides of the tables
    meant for the room; returns the note lines of the sections with neither."""
    background: list[str] = []
    drawn: set[bytes] = set()
    for section in sections:
        figures = [(f, n) for f, n in _figure_notes(section) if f.png not in drawn]
        for figure, notes in figures:
            drawn.add(figure.png)
            slide = deck.new_slide(figure.title, notes=notes)
            bottom = _BODY_BOTTOM - _CAPTION_HEIGHT - 0.05
            deck.picture(slide, figure, top=_BODY_TOP, bottom=bottom)
            deck.text(
                slide,
                (_MARGIN, bottom + 0.05, _WIDTH_IN - 2 * _MARGIN, _CAPTION_HEIGHT),
                [figure.caption],
                SOURCE_SIZE,
                name=f"{SOURCE_PREFIX} caption",
            )
        shown = _table_slides(deck, section)
        if not figures and not shown:
            background += [f"{section.title}:"] + [
                line for b in section.blocks for line in _block_lines(b)
            ]
    return background


def _closing_slide(deck: _Deck, content: PackContent, background: list[str]) -> None:
    """ "About these figures": how to read them and the source extract; the notes carry the
    provenance and the sections with no slide of their own."""
    closing = deck.new_slide(
        "About these figures",
        notes="\n\n".join([*(f"{k}: {v}" for k, v in content.provenance), *background]),
    )
    deck.text(
        closing,
        (_MARGIN, _BODY_TOP, _WIDTH_IN - 2 * _MARGIN, _BODY_BOTTOM - _BODY_TOP - 0.5),
        [f"• {line}" for line in content.about] or ["• Every figure is in the pack's workbook."],
        18,
        name="About",
        space=10,
    )
    deck.text(
        closing,
        (_MARGIN, _BODY_BOTTOM - 0.45, _WIDTH_IN - 2 * _MARGIN, 0.45),
        [f"Source: {content.source} · SHA-256 {content.sha256[:16]}…"],
        SOURCE_SIZE,
        name=f"{SOURCE_PREFIX} extract",
    )


def _emu(inches: float) -> int:
    from pptx.util import Inches

    return int(Inches(inches))


def _table_slides(deck: _Deck, section: Section) -> bool:
    """Slides for the section's tables meant for the room (:data:`SLIDE_COLUMNS`), a page
    at a time; the notes hold the prose before each table and every column, row by row.
    A section that asks for a slide (``always_slide``, as the draft actions do) gets one
    of its prose when no table is shown (its prose says why). Returns True when a slide
    was made."""
    made = False
    prose: list[str] = []
    for block in section.blocks:
        if isinstance(block, Text):
            prose.append(_plain(block.text))
            continue
        if not isinstance(block, Table) or block.sheet not in SLIDE_COLUMNS or block.frame.empty:
            prose = [] if isinstance(block, (Table, Figure)) else prose
            continue
        columns = [c for c in SLIDE_COLUMNS[str(block.sheet)] if c in block.frame.columns]
        heading = section.title if block.sheet == "Actions" else block.caption.split(":")[0]
        names = [str(c) for c in block.frame.columns]
        text = block.rows_text()
        pages = _pages(block, columns, _BODY_BOTTOM - _BODY_TOP)
        for n, rows in enumerate(pages, start=1):
            title = heading if len(pages) == 1 else f"{heading} ({n} of {len(pages)})"
            notes = [*prose, block.caption + ":"] + [
                "\n".join(
                    f"{c}: {row[names.index(c)]}" for c in names if row[names.index(c)].strip()
                )
                for row in (text[i] for i in rows)
            ]
            slide = deck.new_slide(title, notes="\n\n".join(notes))
            deck.table(slide, block, columns, rows, top=_BODY_TOP)
        made, prose = True, []
    if not made and section.always_slide and not section.figures:
        said = [_plain(b.text) for b in section.blocks if isinstance(b, Text)]
        slide = deck.new_slide(section.title, notes="\n\n".join(said))
        deck.text(
            slide, (_MARGIN, _BODY_TOP, _WIDTH_IN - 2 * _MARGIN, 3.0), said[:1], 20, name="Text"
        )
        made = True
    return made


def write_slides(
    path: str | os.PathLike[str], content: PackContent, *, timestamp: datetime = FIXED_TIMESTAMP
) -> Path:
    """Write the deck (module docstring) of ``content`` to ``path`` and return it.

    The sections are the pack's, built from the protected tables; the title slide names
    the place and period, the closing slide the source extract and its SHA-256, with
    ``about`` as its points and the provenance in its notes. Written atomically;
    :class:`~audit.errors.ReportError` when there is nothing to show.
    """
    from audit.files import atomic_write_bytes

    return atomic_write_bytes(Path(path), slides_bytes(content, timestamp))


class SlideDeck:
    """The pack's slides, ``<name>.pptx`` (:func:`write_slides`)."""

    label = "slides"

    def write(self, content: PackContent, folder: Path, options: RenderOptions) -> Path:
        """Write the deck into ``folder`` and return its path."""
        return write_slides(folder / f"{content.name}.pptx", content, timestamp=options.timestamp)
