"""audit.sections: one function per pack section, built from the protected tables.

The sections are built from the bundled sample (``data/sample/pooled_extract.csv``) through
``open_audit``, as a notebook's board cell builds them. Expected figures are counted here
straight from the CSV with pandas (yes = "yes"/"y" in any case, no = "no"/"n", anything
else not known; in scope = under 12 months), never taken from the code under test.
"""

from __future__ import annotations

import numbers
from pathlib import Path

import pandas as pd
import pytest

from audit.contract import column_label, flag_metric_id, metric_label
from audit.disclosure import Policy, protect
from audit.errors import ReportError
from audit.formatting import NOT_AVAILABLE, SUPPRESSED
from audit.sections import (
    NOTEBOOKS,
    SECTIONS,
    Figure,
    Heading,
    Section,
    Table,
    Text,
    actions,
    build_sections,
    data_quality,
    engagement,
    partnerships,
    risk_factors,
    services,
    summary,
    trends,
)
from audit.workspace import TREND_METRICS, open_audit

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "pooled_extract.csv"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
K = 5


# --------------------------------------------------------------------------- the sample, by hand


def _raw() -> pd.DataFrame:
    frame = pd.read_csv(SAMPLE, dtype=str)
    return frame[frame["child_age_months"].astype(int) < 12]


def _answer(series: pd.Series) -> pd.Series:
    text = series.fillna("").str.strip().str.lower()
    return text.map(lambda v: "yes" if v in ("yes", "y") else "no" if v in ("no", "n")
                    else "unknown")


def _quarter(dates: pd.Series) -> pd.Series:
    d = pd.to_datetime(dates, format="%Y-%m-%d")
    return d.dt.year.astype(str) + "-Q" + d.dt.quarter.astype(str)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def pooled():
    return open_audit(SAMPLE)


@pytest.fixture(scope="module")
def board(pooled) -> dict[str, Section]:
    return {s.key: s for s in build_sections(protect(pooled, "board"), pooled.history)}


@pytest.fixture(scope="module")
def quarter():
    """One partnership's quarter: small numbers everywhere."""
    return open_audit(SAMPLE, period="2025-Q3", partnership="Northbridge")


@pytest.fixture(scope="module")
def quarter_board(quarter) -> list[Section]:
    return build_sections(protect(quarter, "board"), quarter.history)


@pytest.fixture(scope="module")
def quarter_public(quarter) -> list[Section]:
    return build_sections(protect(quarter, Policy.make("public")), quarter.history)


def _tables(sections) -> list[Table]:
    return [t for s in (sections.values() if isinstance(sections, dict) else sections)
            for t in s.tables]


def _cells(table: Table, kinds: tuple[str, ...]) -> list[object]:
    return [v for column, kind in table.formats.items() if kind in kinds
            for v in table.frame[column]]


# --------------------------------------------------------------------------- the registry


def test_one_registry_in_reading_order_with_a_notebook_each():
    assert [s.key for s in SECTIONS] == ["summary", "risk-factors", "engagement", "services",
                                         "trends", "partnerships", "data-quality", "actions"]
    assert [s.build for s in SECTIONS] == [summary, risk_factors, engagement, services,
                                           trends, partnerships, data_quality, actions]
    assert NOTEBOOKS == tuple(s.notebook for s in SECTIONS)
    on_disk = {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert set(NOTEBOOKS) == on_disk      # every notebook is a section, and every section has one
    assert len({s.title for s in SECTIONS}) == len(SECTIONS)


def test_build_sections_follows_the_registry(board):
    assert list(board) == [s.key for s in SECTIONS]
    for spec in SECTIONS:
        assert board[spec.key].title == spec.title


def test_a_section_takes_the_protected_view_and_writes_nothing_back(quarter):
    quarter.compute()
    held = {name: id(value) for name, value in vars(quarter).items()}
    view = protect(quarter, "board")
    section = data_quality(view)
    assert isinstance(section, Section) and section.key == "data-quality"
    again = data_quality(view)                                # a function of the view alone
    assert [b.text for b in again.blocks if isinstance(b, Text)] == \
        [b.text for b in section.blocks if isinstance(b, Text)]
    # nothing downstream is kept in the audit: no view, no section written back into it
    assert {name: id(value) for name, value in vars(quarter).items()} == held
    # the view holds no row-level data: no case ids, no dates, no ages in any table
    assert not hasattr(view, "cases_table") and not hasattr(view, "history")
    for table in view.tables.values():
        for frame in (table.values() if isinstance(table, dict) else [table]):
            if isinstance(frame, pd.DataFrame):
                assert not {"case_id", "notification_date", "child_age_months"} & set(
                    map(str, frame.columns))


# --------------------------------------------------------------------------- the Section


@pytest.mark.parametrize("column", ["case_id", "Case_ID", "Case ID", "notification_date", "row",
                                    "child_age_months", "father_age_at_birth"])
def test_row_level_columns_are_refused(column):
    frame = pd.DataFrame({column: ["x"], "Cases": [10]})
    with pytest.raises(ReportError, match="row-level"):
        Section("summary", "S").table(frame, "t", counts=["Cases"])


def test_a_row_level_index_is_refused_too():
    frame = pd.DataFrame({"Cases": [10]}, index=pd.Index(["A1"], name="case_id"))
    with pytest.raises(ReportError, match="row-level"):
        Section("summary", "S").table(frame, "t", counts=["Cases"])


def test_formats_must_name_columns_of_the_table():
    frame = pd.DataFrame({"Group": ["a"], "Cases": [10]})
    with pytest.raises(ReportError, match="Percent"):
        Section("summary", "S").table(frame, "t", counts=["Cases"], percents=["Percent"])
    table = Section("summary", "S").table(frame, "t", counts=["Cases"]).tables[0]
    assert dict(table.formats) == {"Group": "text", "Cases": "count"}


@pytest.mark.parametrize("key", ["Not OK", "summary!", "", "Summary"])
def test_a_bad_section_key_is_refused(key):
    with pytest.raises(ReportError):
        Section(key, "t")


def test_blocks_keep_their_order_and_blank_text_is_dropped():
    section = (Section("summary", "Summary").text("  ").text("One.").heading("Then")
               .text("Two."))
    assert section.blocks == [Text("One."), Heading("Then"), Text("Two.")]


def test_table_cells_print_as_published():
    frame = pd.DataFrame({"Group": ["a", "b", "c"], "Cases": [1234, "c", float("nan")],
                          "Share": [0.6405, "c", ":"]})
    table = Section("summary", "S").table(frame, "t", counts=["Cases"],
                                          percents=["Share"]).tables[0]
    assert table.rows_text() == [["a", "1,234", "64.1%"], ["b", "c", "c"], ["c", ":", ":"]]


# --------------------------------------------------------------------------- board on the sample


def test_board_tables_hold_numbers_not_strings_and_no_c(board):
    tables = _tables(board)
    assert len(tables) >= 10
    for table in tables:
        for value in _cells(table, ("count", "percent")):
            # numbers as numbers (formatting is the renderer's job); ':' where not available
            assert isinstance(value, numbers.Number) or value == NOT_AVAILABLE, \
                (table.caption, value)
            assert value != SUPPRESSED
        for column in table.frame.columns:
            assert not (table.frame[column].astype(str) == SUPPRESSED).any(), table.caption


def test_board_risk_factors_table_counts_match_the_extract(board):
    raw = _raw()
    table = next(t for t in board["risk-factors"].tables if t.caption.startswith("Risk factors"))
    row = table.frame.set_index("Measure").loc[metric_label("risk.domestic_abuse")]
    answers = _answer(raw["domestic_abuse"])
    yes, no, unknown = ((answers == v).sum() for v in ("yes", "no", "unknown"))
    assert (row["Cases (yes)"], row["Of cases known"], row["Not known"]) == \
        (yes, yes + no, unknown)
    assert row["Percentage"] == pytest.approx(yes / (yes + no))
    # the review counted a factor out of every case (not recorded = not featuring)
    assert row["As the review counted"] == pytest.approx(yes / len(raw))
    assert row["National (92 cases)"] == pytest.approx(59 / 92)
    assert row["95% CI lower"] < row["Percentage"] < row["95% CI upper"]


@pytest.mark.parametrize(("section", "caption", "flags"), [
    ("engagement", "Father engagement", ["father_identified", "father_seen"]),
    ("services", "Information sharing", ["info_shared_health", "adult_services_linked"]),
])
def test_board_practice_questions_also_show_yes_out_of_every_case(board, section, caption,
                                                                   flags):
    """Issue 22: beside each practice question's rate of known answers, the cases where it
    was recorded as done out of every case, counted here from the raw sample."""
    raw = _raw()
    table = next(t for t in board[section].tables if t.caption.startswith(caption))
    assert "Of all cases" in table.frame.columns
    assert table.formats["Of all cases"] == "percent"
    rows = table.frame.set_index("Measure")
    for flag in flags:
        answers = _answer(raw[flag])
        yes, no = (answers == "yes").sum(), (answers == "no").sum()
        row = rows.loc[metric_label(flag_metric_id(flag))]
        assert row["Percentage"] == pytest.approx(yes / (yes + no)), flag
        assert row["Of all cases"] == pytest.approx(yes / len(raw)), flag
        assert row["Of all cases"] < row["Percentage"], flag  # some answers not recorded


def test_board_risk_bands_add_up_to_the_cases(board, pooled):
    table = next(t for t in board["risk-factors"].tables if t.caption.startswith("Cases by"))
    assert table.frame["Risk factors recorded as yes"].tolist() == ["0", "1", "2", "3+"]
    assert int(sum(table.frame["Cases"])) == pooled.in_scope == len(_raw())
    assert sum(table.frame["Share of cases"]) == pytest.approx(1.0)


def test_board_services_section_shows_the_service_contact_profile(board):
    raw = _raw()
    section = board["services"]
    assert [f.name for f in section.figures][0] == "service_contact"
    table = section.tables[0].frame.set_index("Measure")
    level = raw["known_to"]
    known = level[~level.isin(["none", "unknown"])]
    universal = table.loc[metric_label("known_to.universal")]
    assert universal["Cases (yes)"] == (known == "universal").sum()
    assert universal["National (92 cases)"] == pytest.approx(45 / 92)
    assert "45 of the 92" in " ".join(b.text for b in section.blocks if isinstance(b, Text))


def test_board_trends_show_every_quarter_as_a_run_chart_until_twelve(board):
    raw = _raw()
    section = board["trends"]
    names = [f.name for f in section.figures]
    for metric in TREND_METRICS:
        stem = metric.replace(".", "_")
        assert f"trend_{stem}" in names
        assert f"run_{stem}" in names            # 10 quarters < 12: no control limits yet
    seen = next(t for t in section.tables if t.sheet == f"Trend {metric_label('engagement.seen')}").frame
    quarters = _quarter(raw["notification_date"])
    answers = _answer(raw["father_seen"])
    expected = sorted(quarters.unique())
    assert seen["Quarter"].tolist() == expected and len(expected) == 10
    for _, row in seen.iterrows():
        in_q = answers[quarters == row["Quarter"]]
        assert row["Cases (yes)"] == (in_q == "yes").sum()
        assert row["Of cases known"] == (in_q != "unknown").sum()
    text = " ".join(b.text for b in section.blocks if isinstance(b, Text))
    # 10 quarters of 12 needed for control limits: the section says so, and how many more
    label = metric_label("engagement.seen")
    said = text[text.index(f"{label}:"):]
    assert "10 quarters" in said[:80] and "12" in said[:160] and "2 more" in said[:200]


def test_board_partnerships_section_shows_every_partnership(board, pooled):
    section = board["partnerships"]
    assert [f.name for f in section.figures] == [
        "funnel_engagement_seen", "funnel_engagement_contacted", "funnel_engagement_identified"]
    table = section.tables[0].frame
    for measure, rows in table.groupby("Measure"):
        assert sorted(rows["Partnership"]) == pooled.partnerships == \
            ["Eastmere", "Northbridge", "Westvale"]


def test_board_data_quality_names_rows_read_and_excluded(board):
    raw_all = pd.read_csv(SAMPLE, dtype=str)
    excluded = (raw_all["child_age_months"].astype(int) >= 12).sum()
    text = " ".join(b.text for b in board["data-quality"].blocks if isinstance(b, Text))
    assert f"The extract held {len(raw_all)} cases; {excluded} were excluded" in text
    table = board["data-quality"].tables[0].frame.set_index("Field")
    assert table.at[column_label("domestic_abuse"), "Not known"] == (_answer(_raw()["domestic_abuse"])
                                                       == "unknown").sum()


def test_every_figure_is_a_png_with_a_title_and_alt_text(board):
    figures = [f for s in board.values() for f in s.figures]
    assert len(figures) >= 15
    for figure in figures:
        assert isinstance(figure, Figure) and figure.png.startswith(PNG_MAGIC)
        assert figure.title and figure.alt.startswith(figure.title.rstrip("."))
        assert figure.caption


def test_summary_states_the_headline_and_the_caveats(board):
    blocks = board["summary"].blocks
    assert isinstance(blocks[0], Text)
    assert blocks[0].text.startswith(f"- This audit covers **{len(_raw())}** babies under one")
    assert Heading("Read these figures with") in blocks
    assert "synthetic data" in blocks[-1].text       # every sample case id is SYN-...


def test_a_notebook_displays_a_section_as_html(board):
    html = board["engagement"]._repr_html_()
    assert html.startswith('<section id="engagement"') and "<h2" in html


# --------------------------------------------------------------------------- audiences


def test_the_board_sees_small_counts_the_public_does_not(quarter_board, quarter_public):
    board_counts = [v for t in _tables(quarter_board) for v in _cells(t, ("count",))]
    assert any(isinstance(v, numbers.Number) and 1 <= v <= K for v in board_counts)
    assert SUPPRESSED not in board_counts
    public_counts = [v for t in _tables(quarter_public) for v in _cells(t, ("count",))]
    assert SUPPRESSED in public_counts
    small = [v for v in public_counts if isinstance(v, numbers.Number) and 1 <= v <= K]
    assert not small, "a public table shows a count from 1 to 5"


def test_public_tables_hold_numbers_or_symbols(quarter_public):
    for table in _tables(quarter_public):
        for value in _cells(table, ("count", "percent")):
            assert isinstance(value, numbers.Number) or value in (SUPPRESSED, NOT_AVAILABLE), \
                (table.caption, value)


def test_public_data_quality_leaves_out_the_extract_counts(quarter_public):
    section = next(s for s in quarter_public if s.key == "data-quality")
    text = " ".join(b.text for b in section.blocks if isinstance(b, Text))
    assert "The extract held" not in text and "excluded" not in text


def test_public_summary_says_small_numbers_are_hidden(quarter_public):
    summary_section = quarter_public[0]
    caveat = summary_section.blocks[-1].text
    assert "counts from 1 to 5 are shown as c" in caveat


# --------------------------------------------------------------------------- edge cases


def test_one_partnership_has_no_funnel_plots(quarter_board):
    section = next(s for s in quarter_board if s.key == "partnerships")
    assert not section.figures and not section.tables
    assert "one partnership" in section.blocks[0].text


def test_trends_need_two_quarters(tmp_path):
    path = tmp_path / "one_quarter.csv"
    raw = pd.read_csv(SAMPLE, dtype=str)
    raw[_quarter(raw["notification_date"]) == "2025-Q3"].to_csv(path, index=False)
    section = trends(protect(open_audit(path), "board"))
    assert not section.figures
    assert section.blocks[0].text.startswith("Trends appear once two or more quarters are "
                                             "recorded")


def test_no_risk_columns_says_so(tmp_path):
    path = tmp_path / "bare.csv"
    path.write_text("case_id,notification_date,child_age_months,harmed_by,known_to\n"
                    + "".join(f"C{i},2025-01-{i + 1:02d},3,birth_father,universal\n"
                              for i in range(12)))
    section = risk_factors(protect(open_audit(path, allow_missing="all"), "board"))
    assert section.blocks == [Text("No risk-factor column is recorded in this extract.")]


def test_a_chart_left_out_for_small_numbers_is_said_so(quarter, monkeypatch):
    # As if every service and sharing rate were hidden: the section says where the chart
    # would stand instead of leaving the reader to wonder (the public pack of a small
    # audit; found when a public pack dropped two charts without a word).
    import importlib

    services_module = importlib.import_module("audit.sections.services")

    monkeypatch.setattr(services_module, "shown_metrics", lambda p, ids=None: [])
    section = services_module.services(protect(quarter, "public"))
    texts = [b.text for b in section.blocks if type(b).__name__ == "Text"]
    assert not section.figures
    assert any(t.startswith("No chart of the highest level of service involvement") for t in texts)
    assert any(t.startswith("No chart of information sharing") for t in texts)


@pytest.mark.usefixtures("charts_not_drawn")  # words and numbers: not pictures
def test_a_public_pack_prints_yes_out_of_every_case_where_a_small_not_known_hides_the_rate(
        tmp_path):
    """30 cases in one quarter, father identified in 20, not in 7, not known in 3 (generated
    otherwise, out-of-scope rows left out). The 3 is hidden, and so is the 27 known that,
    with the 30 cases printed, would give it away; so the rate of known answers is hidden.
    The 20 yes and the 30 cases are printed, and so is 20 / 30 = 66.7% of all cases: it
    adds nothing a reader could not work out, and gives the board a figure."""
    from audit.intake.sample import generate_extract

    frame = generate_extract(30, seed=11, partnerships=("Northbridge",), quarters=1,
                             out_of_scope_share=0.0)
    assert len(frame) == 30
    frame["father_identified"] = ["Yes"] * 20 + ["No"] * 7 + [""] * 3
    path = tmp_path / "quarter.csv"
    frame.to_csv(path, index=False)
    data = open_audit(path)
    assert data.in_scope == 30
    sections = {s.key: s for s in build_sections(protect(data, "public"), data.history)}
    table = next(t for t in sections["engagement"].tables
                 if t.caption.startswith("Father engagement"))
    row = table.frame.set_index("Measure").loc["Father identified"]
    assert (row["Cases (yes)"], row["Of cases known"], row["Not known"], row["Percentage"]) \
        == (20, "c", "c", "c")
    assert row["Of all cases"] == pytest.approx(20 / 30)
    # and never beside a hidden yes
    for _, other in table.frame.iterrows():
        if other["Cases (yes)"] == "c":
            assert other["Of all cases"] == "c", other["Measure"]


def test_a_public_pack_whose_quarters_were_all_left_out_says_so(quarter):
    """No quarter charted: the board is told to run the audit again next quarter; a public
    pack covering one quarter is told only that trends need two (no command-line advice);
    a public pack covering four whose quarterly charts were all left out says they were
    (found on a public year's page, which told readers to run the audit again)."""
    from dataclasses import replace

    import pandas as pd

    def nothing_quarterly(p):  # as if the extract held this quarter alone
        return replace(p, tables={**p.tables, "quarterly": pd.DataFrame(), "spc": {}},
                       trend_quarters=("2025-Q3",))

    board = trends(nothing_quarterly(protect(quarter, "board")))
    assert board.blocks[0].text.endswith("or record earlier quarters with --each-quarter.")
    public = nothing_quarterly(protect(quarter, "public"))
    assert trends(public).blocks[0].text == \
        "Trends appear once two or more quarters are recorded."
    year = replace(public, publication=replace(
        public.publication, pack_quarters=frozenset({"2025-Q1", "2025-Q2", "2025-Q3",
                                                     "2025-Q4"})))
    assert trends(year).blocks[0].text == (
        "4 quarters are recorded, but their quarter-by-quarter charts are left out of this "
        "public pack to protect small numbers; the summary says why.")


def _seen_quarter(path: Path, quarter_date: str, seen: int, cases: int) -> Path:
    """``cases`` cases notified on ``quarter_date``, father seen in ``seen`` (no otherwise);
    the contract's other flags not recorded."""
    path.write_text("case_id,notification_date,child_age_months,harmed_by,known_to,"
                    "father_seen\n"
                    + "".join(f"SYN-T-{i:03d},{quarter_date},3,birth_father,universal,"
                              f"{'yes' if i < seen else 'no'}\n" for i in range(cases)))
    return path


@pytest.mark.usefixtures("charts_not_drawn")
def test_a_public_quarter_whose_trend_from_the_history_was_left_out_says_so(tmp_path):
    """2026-Q4: 30 cases, father seen in 3; 2026-Q3, read from the history store: 4 cases
    known, father seen in 3. The quarter-by-quarter table would print 3 (c), 30; 3 (c), 4 (c):
    3 of its 4 counts hidden, so the charts of father seen are left out, and they are the
    only trend measure recorded. Two quarters are recorded: the section must not say that
    trends need two (a new analyst's Q4 public pack said so), but that they were left out
    and why. Without the history, one quarter: the sentence stays."""
    from audit.workspace import EARLIER_QUARTER_COLUMNS

    path = _seen_quarter(tmp_path / "q4.csv", "2026-11-10", seen=3, cases=30)
    history = pd.DataFrame([["2026-Q3", "engagement.seen", 3, 4, 0]],
                           columns=list(EARLIER_QUARTER_COLUMNS))
    data = open_audit(path, period="2026-Q4", allow_missing="all", history=history)
    assert data.trend_quarters == ("2026-Q3", "2026-Q4")
    assert data.history_quarters == ("2026-Q3",)
    p = protect(data, "public")
    assert "The quarter-by-quarter charts of 'father seen': most quarters rest on small " \
        "numbers." in p.dropped
    section = trends(p)
    assert not section.figures and not section.tables
    assert section.blocks[0].text == (
        "2 quarters are recorded, but their quarter-by-quarter charts are left out of this "
        "public pack to protect small numbers; the summary says why.")
    assert "Left out of this public pack: The quarter-by-quarter charts of 'father seen'" in \
        summary(p).blocks[-1].text

    alone = protect(open_audit(path, period="2026-Q4", allow_missing="all"), "public")
    assert alone.trend_quarters == ("2026-Q4",) and alone.history_quarters == ()
    assert trends(alone).blocks[0].text == "Trends appear once two or more quarters are recorded."
