"""audit.render.pdf: the pack printed to an A4, numbered, tagged PDF with the same content.

Needs WeasyPrint (``pip install 'audit[pdf]'``; it uses Debian's libpango-1.0-0 and
libpangoft2-1.0-0) and pypdf to read the result. When either is missing the tests that
need it FAIL if the CI environment variable is set, and are skipped otherwise.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from audit.errors import ReportError
from audit.render.pdf import require_pdf_engine, write_pdf
from packs import need

A4 = (595.28, 841.89)  # points


class _Pack(HTMLParser):
    """Headings (with level and class), table captions, image alt texts and the title."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[int, str, str]] = []
        self.captions: list[str] = []
        self.alts: list[str] = []
        self.title = ""
        self._open: tuple[str, str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.alts.append(attrs.get("alt") or "")
        if re.fullmatch(r"h[1-6]|caption|title", tag):
            self._open, self._text = (tag, attrs.get("class") or ""), []

    def handle_data(self, data):
        if self._open:
            self._text.append(data)

    def handle_endtag(self, tag):
        if self._open and tag == self._open[0]:
            text = " ".join("".join(self._text).split())
            if tag == "caption":
                self.captions.append(text)
            elif tag == "title":
                self.title = text
            else:
                self.headings.append((int(tag[1]), self._open[1], text))
            self._open = None


def _squash(text: str) -> str:
    """Text without whitespace: lines wrap differently in a PDF."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def pypdf():
    try:
        import pypdf
    except ImportError:
        need("pypdf is not installed: pip install pypdf (it reads the PDF in these tests)")
    return pypdf


@pytest.fixture(scope="module")
def engine():
    try:
        return require_pdf_engine()
    except ReportError as exc:
        need(str(exc))


@pytest.fixture(scope="module")
def pack_html(board_pack) -> Path:
    return board_pack.folder / "board-pack.html"


def _pack_pdf(pack, audience: str) -> Path:
    """The PDF ``audit run --pdf`` wrote into the shared pack (tests/packs.py)."""
    path = pack.folder / f"{audience}-pack.pdf"
    if not path.is_file():
        need(f"the shared {audience} pack has no PDF: 'python -m audit.dev check-pdf' says why")
    return path


@pytest.fixture(scope="module")
def expected(pack_html) -> _Pack:
    parsed = _Pack()
    parsed.feed(pack_html.read_text(encoding="utf-8"))
    return parsed


@pytest.fixture(scope="module")
def pdf(board_pack, engine, pypdf):
    return pypdf.PdfReader(_pack_pdf(board_pack, "board"))


@pytest.fixture(scope="module")
def page_texts(pdf) -> list[str]:
    return [page.extract_text() for page in pdf.pages]


def _outline(pdf) -> list[tuple[str, int]]:
    """Bookmarks (one per heading) as (title, 1-based page number), in order."""
    found: list[tuple[str, int]] = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                found.append((" ".join(str(item.title).split()),
                              pdf.get_destination_page_number(item) + 1))

    walk(pdf.outline)
    return found


def test_every_page_is_a4(pdf):
    assert len(pdf.pages) >= 5
    for number, page in enumerate(pdf.pages, start=1):
        size = (float(page.mediabox.width), float(page.mediabox.height))
        assert size == pytest.approx(A4, abs=1), f"page {number} is {size} pt, not A4"


def test_every_page_is_numbered(page_texts):
    total = len(page_texts)
    for number, text in enumerate(page_texts, start=1):
        assert f"Page {number} of {total}" in text, f"page {number} has no page number"


def test_every_page_carries_the_protective_marking(page_texts):
    from audit.disclosure import BOARD_MARKING

    for number, text in enumerate(page_texts, start=1):
        assert _squash(BOARD_MARKING) in _squash(text), f"page {number} has no marking"


def test_every_heading_caption_and_title_is_in_the_pdf(pdf, page_texts, expected):
    text = _squash("".join(page_texts))
    sections = [t for level, _, t in expected.headings if level == 2 and t != "Contents"]
    assert len(sections) >= 6
    for _, _, heading in expected.headings:
        if heading != "Contents":  # the contents list is screen navigation and page 1
            assert _squash(heading) in text, f"heading missing from the PDF: {heading!r}"
    for caption in expected.captions:
        assert _squash(caption) in text, f"table caption missing from the PDF: {caption!r}"
    assert pdf.metadata.title == expected.title


def test_sections_start_a_page_and_the_contents_gives_their_pages(pdf, page_texts, expected):
    sections = [t for level, _, t in expected.headings if level == 2 and t != "Contents"]
    starts = {title: page for title, page in _outline(pdf) if title in sections}
    assert set(starts) == set(sections)
    for title, page in starts.items():
        assert _squash(page_texts[page - 1]).startswith(_squash(title)), (
            f"section {title!r} does not start page {page}")
    listed = dict(re.findall(r"^(.+?)\s*\.{3,}\s*(\d+)\s*$", page_texts[0], flags=re.M))
    assert {k.strip(): int(v) for k, v in listed.items()} == starts


def _images_drawn(pdf, page) -> int:
    """Image XObjects a page's content stream paints (shared resources are not counted)."""
    from pypdf.generic import ContentStream

    def count(operations, xobjects) -> int:
        n = 0
        for operands, operator in operations:
            if operator != b"Do":
                continue
            xobject = xobjects[operands[0]].get_object()
            if xobject["/Subtype"] == "/Image":
                n += 1
            elif xobject["/Subtype"] == "/Form":
                inner = xobject.get("/Resources", {}).get("/XObject", xobjects)
                n += count(ContentStream(xobject, pdf).operations, inner.get_object())
        return n

    xobjects = page["/Resources"].get("/XObject")
    if xobjects is None:
        return 0
    return count(ContentStream(page.get_contents(), pdf).operations, xobjects.get_object())


def test_every_chart_is_drawn_on_the_page_of_its_heading(pdf, expected):
    titles = [t for _, cls, t in expected.headings if "chart-title" in cls]
    assert len(titles) == len(expected.alts) >= 5
    bookmarks = _outline(pdf)
    titled: dict[int, int] = {}
    for title in titles:  # the same title can head two charts: take each bookmark once
        page = next(p for t, p in bookmarks if t == title)
        bookmarks.remove((title, page))
        titled[page] = titled.get(page, 0) + 1
    drawn = {n: _images_drawn(pdf, page) for n, page in enumerate(pdf.pages, start=1)}
    assert sum(drawn.values()) == len(expected.alts), "a chart is missing or drawn twice"
    for page, charts in titled.items():
        assert drawn[page] >= charts, (f"page {page} has {charts} chart heading(s) but "
                                       f"{drawn[page]} chart(s): a heading split from its chart")


def test_pdf_is_tagged_with_language_and_chart_alt_text(pdf, expected):
    root = pdf.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert bool(root["/MarkInfo"]["/Marked"])
    alts: list[str] = []

    def walk(node):
        node = node.get_object()
        if isinstance(node, dict):
            if node.get("/S") == "/Figure" and "/Alt" in node:
                alts.append(str(node["/Alt"]))
            kids = node.get("/K")
            if kids is not None:
                for kid in kids if isinstance(kids, list) else [kids]:
                    if hasattr(kid, "get_object") or isinstance(kid, dict):
                        walk(kid)

    walk(root["/StructTreeRoot"])
    assert sorted(alts) == sorted(expected.alts)


class _Text(HTMLParser):
    """The text a reader of the HTML pack sees (style sheet left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._style = False

    def handle_starttag(self, tag, attrs):
        self._style = tag == "style"

    def handle_endtag(self, tag):
        self._style = False

    def handle_data(self, data):
        if not self._style:
            self.parts.append(data)


def _figures(text: str) -> set[str]:
    return {m.rstrip(".,") for m in re.findall(r"\d[\d,.]*%?", text)}


def _only_the_html_figures(page_texts: list[str], html: Path) -> None:
    reader = _Text()
    reader.feed(html.read_text(encoding="utf-8"))
    shown = _figures(" ".join(reader.parts))
    pages = {str(n) for n in range(1, len(page_texts) + 1)}
    printed = _figures("\n".join(page_texts)) - pages
    assert printed and printed <= shown, f"figures only in the PDF: {sorted(printed - shown)}"


def test_the_pdf_shows_no_figure_the_html_does_not(page_texts, pack_html):
    # Printed from the HTML, the PDF can add page numbers and nothing else: every count or
    # percentage in it is one the board pack already shows. The board hides nothing.
    _only_the_html_figures(page_texts, pack_html)
    assert "c" not in " ".join(page_texts).split()


def test_the_public_pdf_shows_no_figure_its_html_does_not(engine, pypdf, public_pack):
    html = public_pack.folder / "public-pack.html"
    path = _pack_pdf(public_pack, "public")
    texts = [page.extract_text() for page in pypdf.PdfReader(path).pages]
    _only_the_html_figures(texts, html)
    words = " ".join(texts).split()
    assert "c" in words                       # hidden cells print as c
    total = len(texts)                        # and the marking is on every page
    for number, text in enumerate(texts, start=1):
        assert "OFFICIAL" in text, f"page {number} of {total} carries no marking"


def test_default_pdf_path_is_beside_the_html(tmp_path, engine):
    page = tmp_path / "pack.html"
    page.write_text('<!DOCTYPE html><html lang="en-GB"><head><title>t</title></head>'
                    "<body><h1>Pack</h1></body></html>", encoding="utf-8")
    assert write_pdf(page) == tmp_path / "pack.pdf"
    assert (tmp_path / "pack.pdf").read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize("src", ["https://example.invalid/chart.png", "chart.png"])
def test_a_reference_outside_the_pack_is_refused(tmp_path, engine, src):
    (tmp_path / "chart.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    page = tmp_path / "pack.html"
    page.write_text(f'<!DOCTYPE html><html lang="en-GB"><head><title>t</title></head><body>'
                    f'<h1>Pack</h1><img src="{src}" alt="a chart"></body></html>',
                    encoding="utf-8")
    with pytest.raises(ReportError, match="self-contained"):
        write_pdf(page, tmp_path / "out.pdf")
    assert not (tmp_path / "out.pdf").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.pdf")]


def test_missing_html_is_a_report_error(tmp_path):
    with pytest.raises(ReportError, match="does not exist"):
        write_pdf(tmp_path / "nope.html", tmp_path / "nope.pdf")


def test_missing_engine_says_what_to_install(tmp_path, monkeypatch):
    page = tmp_path / "pack.html"
    page.write_text("<html lang='en'><title>t</title><h1>x</h1></html>", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint -> ImportError
    with pytest.raises(ReportError, match=r"pip install 'audit\[pdf\]'"):
        require_pdf_engine()
    with pytest.raises(ReportError, match="WeasyPrint"):
        write_pdf(page, tmp_path / "out.pdf")
    assert not (tmp_path / "out.pdf").exists()
