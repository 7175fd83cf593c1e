"""audit.board: board sections suppress every table and assemble into accessible HTML."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from audit.board import BoardSection, load_sections, metrics_display_table, render_board_pack
from audit.errors import ReportError


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def test_table_suppresses_small_counts_and_what_derives_from_them(tmp_path):
    frame = pd.DataFrame({"Group": ["a", "b", "c"], "Cases": [3, 0, 40], "Share": [0.1, 0.0, 0.9]})
    section = BoardSection("risk-factors", "Risk", tmp_path, suppress_max=5)
    section.table(frame, "Counts", count_columns=["Cases"], derived={"Cases": ["Share"]})
    rows = section.blocks[0]["rows"]
    # 3 is 1..5 -> c, and its share with it; 0 is a true zero; 40 is shown.
    assert rows[0][1:] == ["c", "c"]
    assert rows[1][1] == "0"
    assert rows[2][1] == "40"


def test_suppress_max_zero_shows_everything(tmp_path):
    frame = pd.DataFrame({"Group": ["a"], "Cases": [3]})
    section = BoardSection("risk-factors", "Risk", tmp_path, suppress_max=0)
    section.table(frame, "Counts", count_columns=["Cases"])
    assert section.blocks[0]["rows"] == [["a", "3"]]


@pytest.mark.parametrize("column", ["case_id", "Case_ID", "notification_date", "row"])
def test_row_level_columns_are_refused(tmp_path, column):
    frame = pd.DataFrame({column: ["x"], "Cases": [10]})
    with pytest.raises(ReportError, match="row-level"):
        BoardSection("summary", "S", tmp_path).table(frame, "t", count_columns=["Cases"])


def test_bad_section_key_and_suppress_max_are_value_errors():
    with pytest.raises(ValueError):
        BoardSection("Not OK", "t")
    with pytest.raises(ValueError):
        BoardSection("ok", "t", suppress_max=-1)


def test_preview_mode_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    section = BoardSection("summary", "Summary", "")
    section.text("Hello")
    assert section.save() is None
    assert list(tmp_path.iterdir()) == []
    assert "<h2" in section._repr_html_()


def test_sections_load_in_reading_order(tmp_path):
    for key in ("data-quality", "summary", "zzz-extra", "risk-factors"):
        BoardSection(key, key.title(), tmp_path).text("x").save()
    keys = [s["key"] for s in load_sections(tmp_path)]
    assert keys == ["summary", "risk-factors", "data-quality", "zzz-extra"]


def test_text_is_escaped_and_bullets_become_a_list(tmp_path):
    section = BoardSection("summary", "Summary", tmp_path)
    section.text("- one <script>\n- **two**")
    html = section._repr_html_()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<ul><li>one &lt;script&gt;</li><li><strong>two</strong></li></ul>" in html


def _metric_row(metric, num, den, unk, rate, lo, hi, nat_num=None, nat_rate=None):
    return {"metric": metric, "numerator": num, "denominator": den, "unknown": unk,
            "rate": rate, "ci_low": lo, "ci_high": hi, "national_numerator": nat_num,
            "national_denominator": 92 if nat_num is not None else None,
            "national_rate": nat_rate, "p_value": None}


def test_metrics_display_table_formats_percentages_and_passes_c_through():
    board = pd.DataFrame([
        _metric_row("risk.domestic_abuse", 66, 100, 8, 0.66, 0.5625, 0.7456, 59, 59 / 92),
        _metric_row("risk.care_leaver", "c", 100, 8, "c", "c", "c", 5, 5 / 92),
    ])
    table = metrics_display_table(board, ["risk.domestic_abuse", "risk.care_leaver",
                                          "risk.impulsivity"])
    assert table["Measure"].tolist() == ["Domestic abuse", "Care leaver"]
    first = table.iloc[0]
    assert (first["Cases (yes)"], first["Of cases known"], first["Percentage"]) == ("66", "100", "66.0%")
    assert first["95% confidence interval"] == "56.3% to 74.6%"
    assert first["National (92 cases)"] == "64.1%"  # 59/92 = 0.6413
    second = table.iloc[1]
    assert (second["Cases (yes)"], second["Percentage"], second["95% confidence interval"]) == ("c", "c", "c")


class _FakeChart:
    name = "demo"
    title = "Demo chart title"
    alt_text = "Alt text that states the finding"
    caption = "Source: demo"

    def save(self, path):
        path.write_bytes(b"\x89PNG\r\n\x1a\nfake")
        return path


def test_rendered_pack_is_self_contained_and_accessible(tmp_path):
    section = BoardSection("summary", "Summary", tmp_path)
    section.text("Finding.").chart(_FakeChart())
    section.table(pd.DataFrame({"Group": ["a"], "Cases": [10]}), "A table", count_columns=["Cases"])
    section.save()
    page = render_board_pack(load_sections(tmp_path), title="Pack", subtitle="Sub",
                             provenance=[("Source", "x.csv")], image_root=tmp_path)
    tags = _tags(page)
    assert ("html", {"lang": "en-GB"}) in tags
    images = [attrs for tag, attrs in tags if tag == "img"]
    assert images and all(a["src"].startswith("data:image/png;base64,") for a in images)
    assert all(a.get("alt") for a in images)
    headings = [int(tag[1]) for tag, _ in tags if re.fullmatch(r"h[1-6]", tag)]
    assert headings[0] == 1
    assert all(b - a <= 1 for a, b in zip(headings, headings[1:]))  # never skips a level
    assert "<caption>A table</caption>" in page
    assert '<th scope="col">Group</th>' in page
    assert "http://" not in page and "https://" not in page  # nothing fetched to view it


def test_render_without_sections_is_an_error(tmp_path):
    with pytest.raises(ReportError):
        render_board_pack([], title="t", subtitle="s", provenance=[], image_root=tmp_path)


def test_saved_section_is_json(tmp_path):
    path = BoardSection("summary", "Summary", tmp_path).text("x").save()
    assert json.loads(path.read_text())["key"] == "summary"


def _quarter_rows(counts):
    from audit.metrics import metrics_from_counts

    frames = []
    for period, (num, den) in counts.items():
        table = metrics_from_counts(pd.DataFrame(
            [("engagement.seen", num, den, 0)],
            columns=["metric", "numerator", "denominator", "unknown"]))
        table.insert(0, "period", period)
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


def _window(quarterly):
    total = quarterly[["numerator", "denominator", "unknown"]].sum()
    return pd.DataFrame([{"window": "2025-Q1 to 2025-Q4", "window_start": "2025-Q1",
                          "window_end": "2025-Q4", "metric": "engagement.seen",
                          "numerator": int(total["numerator"]),
                          "denominator": int(total["denominator"]), "unknown": 0,
                          "rate": total["numerator"] / total["denominator"],
                          "ci_low": 0.1, "ci_high": 0.9, "national_numerator": None,
                          "national_denominator": None, "national_rate": None,
                          "p_value": None}])


def test_rolling_window_hidden_when_it_would_reveal_a_hidden_quarter():
    from audit.board import rolling_display_table

    # 2025-Q1 (2 of 20) is hidden on the trend chart; the window minus the three shown
    # quarters would give back its 2: the window must be hidden too.
    quarterly = _quarter_rows({"2025-Q1": (2, 20), "2025-Q2": (10, 20), "2025-Q3": (10, 20),
                               "2025-Q4": (10, 20)})
    table = rolling_display_table(_window(quarterly), ["engagement.seen"], 5, quarterly=quarterly)
    assert table.iloc[0][["Cases (yes)", "Of cases known", "Percentage"]].tolist() == ["c", "c", "c"]


def test_rolling_window_shown_when_hidden_quarters_add_up_to_more_than_the_threshold():
    from audit.board import rolling_display_table

    # Q1 (2 of 20) and Q2 (4 of 20) are both hidden; together 6 yes, 34 no, 40 known.
    quarterly = _quarter_rows({"2025-Q1": (2, 20), "2025-Q2": (4, 20), "2025-Q3": (10, 20),
                               "2025-Q4": (10, 20)})
    table = rolling_display_table(_window(quarterly), ["engagement.seen"], 5, quarterly=quarterly)
    row = table.iloc[0]
    assert (row["Cases (yes)"], row["Of cases known"], row["Percentage"]) == ("26", "80", "32.5%")
    assert row["Four quarters"] == "2025-Q1 to 2025-Q4"
