"""audit.render.html: the pack as one self-contained, accessible HTML page.

Text from an extract (partnership names) is data, never markup; headings never skip a level;
tables have captions and header cells with scope; every image has alt text; the protective
marking is on the page (top and foot, and in the printed page header).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from audit.disclosure import protect
from audit.errors import ReportError
from audit.intake.sample import generate_extract
from audit.render.html import css_string, render_pack, render_section
from audit.sections import Section, data_quality, partnerships, summary
from audit.workspace import open_audit

HOSTILE = "<script>alert(1)</script>"
AMPERSAND = 'Eve & "Co" <b>'
MARKING = "OFFICIAL-SENSITIVE — for the partnership board, not for publication"
PNG = b"\x89PNG\r\n\x1a\nfake"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _parse(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(page)
    return parser


class _FakeChart:
    name = "demo"
    title = "Demo <chart> title"
    alt_text = 'Alt text that states the "finding" & more'
    caption = "Source: demo <extract>"

    def png_bytes(self):
        return PNG

    def close(self):
        pass


def _small_section(key: str = "summary") -> Section:
    section = Section(key, "Small section")
    section.text("Finding.").chart(_FakeChart()).heading("More")
    section.table(pd.DataFrame({"Group": ["a", "b"], "Cases": [10, "c"],
                                "Share": [0.25, "c"]}), "A <table>",
                  counts=["Cases"], percents=["Share"])
    return section


def _page(sections, marking: str = MARKING, subtitle: str = "Sub") -> str:
    return render_pack(sections, title="Pack", subtitle=subtitle, marking=marking,
                       provenance=[("Source", "x.csv")], conventions="c = hidden")


@pytest.fixture(scope="module")
def hostile_sections(tmp_path_factory):
    """Sections of a pooled audit whose partnership names are markup."""
    path = tmp_path_factory.mktemp("hostile") / "extract.csv"
    generate_extract(60, seed=7, partnerships=[HOSTILE, AMPERSAND]).to_csv(path, index=False)
    data = open_audit(path)
    assert data.partnerships == sorted([HOSTILE, AMPERSAND])   # the names are the extract's
    view = protect(data, "board")
    return data, [summary(view), partnerships(view), data_quality(view)]


# --------------------------------------------------------------------------- escaping


def test_partnership_names_from_an_extract_are_escaped(hostile_sections):
    data, sections = hostile_sections
    page = _page(sections, subtitle=f"Audit · {data.place}")
    parsed = _parse(page)
    assert HOSTILE not in page and "<b>" not in page
    assert not [t for t, _ in parsed.tags if t in ("script", "b")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # the names reach the reader as text: in the subtitle, the table and the alt texts
    text = "".join(parsed.text)
    assert HOSTILE in text and AMPERSAND in text
    alts = [a["alt"] for t, a in parsed.tags if t == "img"]
    assert any(HOSTILE in alt for alt in alts)
    table_section = render_section(sections[1])
    assert "<th scope=\"row\">" in table_section and HOSTILE not in table_section


def test_section_text_is_escaped_and_only_bold_and_lists_are_markup():
    section = Section("summary", "Summary <i>")
    section.text("- one <script>\n- **two**\n\nA & B <em>x</em>")
    html = render_section(section)
    assert "<script>" not in html and "<em>" not in html and "<i>" not in html
    assert "<ul><li>one &lt;script&gt;</li><li><strong>two</strong></li></ul>" in html
    assert "<p>A &amp; B &lt;em&gt;x&lt;/em&gt;</p>" in html
    assert '<h2 id="summary-title">Summary &lt;i&gt;</h2>' in html


def test_chart_text_and_table_caption_are_escaped():
    html = render_section(_small_section())
    assert "Demo &lt;chart&gt; title" in html
    assert 'alt="Alt text that states the &quot;finding&quot; &amp; more"' in html
    assert "<caption>A &lt;table&gt;</caption>" in html
    assert "Source: demo &lt;extract&gt;" in html


def test_the_marking_cannot_break_out_of_the_page_or_its_style():
    marking = 'Board only </style><script>x()</script> "quoted" \\ end'
    page = _page([_small_section()], marking=marking)
    assert "<script>x()</script>" not in page and "</style><script>" not in page
    parsed = _parse(page)
    assert not [t for t, _ in parsed.tags if t == "script"]
    assert "".join(parsed.text).count(marking) >= 2     # top and foot, as text
    # in the printed page header it is a CSS string of hex escapes
    assert css_string(marking) in page
    assert css_string('a"b') == "a\\000022b" and css_string("x y") == "x\\000020y"
    assert css_string("</style>") == "\\00003c\\00002fstyle\\00003e"


# --------------------------------------------------------------------------- structure


def test_the_page_is_self_contained_and_accessible(hostile_sections):
    _, sections = hostile_sections
    page = _page([_small_section(), *sections[1:]])
    tags = _parse(page).tags
    assert ("html", {"lang": "en-GB"}) in tags
    images = [attrs for tag, attrs in tags if tag == "img"]
    assert len(images) >= 4
    assert all(a["src"].startswith("data:image/png;base64,") for a in images)
    assert all(a.get("alt") for a in images)
    assert "http://" not in page and "https://" not in page   # nothing fetched to view it
    assert not re.search(r'src="(?!data:)', page)


def test_headings_start_at_h1_and_never_skip_a_level(hostile_sections):
    _, sections = hostile_sections
    page = _page([*sections, _small_section("engagement")])
    levels = [int(tag[1]) for tag, _ in _parse(page).tags if re.fullmatch(r"h[1-6]", tag)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:]))
    titles = re.findall(r'<h2 id="([a-z-]+)-title">', page)
    assert titles == ["contents", "summary", "partnerships", "data-quality", "engagement",
                      "provenance"]
    # every section is in the contents, in the order given
    contents = re.findall(r'<li><a href="#([a-z-]+)">', page)
    assert contents == ["summary", "partnerships", "data-quality", "engagement", "provenance"]


def test_tables_have_captions_and_scoped_header_cells():
    html = render_section(_small_section())
    assert '<th scope="col">Group</th>' in html
    assert '<th scope="col" class="num">Cases</th>' in html
    assert '<th scope="row">a</th><td class="num">10</td><td class="num">25.0%</td>' in html
    assert '<th scope="row">b</th><td class="num">c</td><td class="num">c</td>' in html
    # a wide table scrolls in a focusable, labelled region
    assert '<div class="table-wrap short" tabindex="0" role="region" aria-label="A &lt;table&gt;">' \
        in html
    assert '<table id="summary-table-1">' in html


def test_the_marking_is_at_the_top_and_foot_of_the_page():
    page = _page([_small_section()])
    assert page.count(MARKING) == 2
    body = page[page.index("<body"):]
    # first thing a reader meets (before the title), and again at the foot
    assert body.index(MARKING) < body.index("<h1>") < body.rindex(MARKING)
    assert f'<p class="marking">{MARKING}</p>' in body
    text = " ".join("".join(_parse(page).text).split())
    assert f"Protective marking: {MARKING}" in text        # named as such to a screen reader
    assert f'content: "{css_string(MARKING)}"' in page     # every printed page


def test_render_without_sections_is_an_error():
    with pytest.raises(ReportError):
        render_pack([], title="t", subtitle="s", marking=MARKING, provenance=[],
                    conventions="")
