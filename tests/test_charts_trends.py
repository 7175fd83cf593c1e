"""audit.charts trend_chart, spc_chart and funnel_plot: findings, alt text, hidden figures,
shapes as well as colours, deterministic PNGs. Expected titles are worked out by hand.

Charts take protected tables: where a public pack hides a quarter or a partnership its
figures are ``c`` (written by hand here, as :func:`audit.disclosure.protect` writes them),
and the chart draws nothing for it; the board's tables show every figure."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from audit.charts import AF_CATEGORICAL, Chart, funnel_plot, spc_chart, trend_chart
from audit.charts.style import SUPPRESSED_NOTE
from audit.formatting import SUPPRESSED
from audit.measures.metrics import metrics_from_counts
from audit.measures.spc import funnel_table, p_chart

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CONTEXT = {"source": "audit history (history.sqlite)", "place": "Eastmere"}
QUARTERS = ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2"]


def history(rows) -> pd.DataFrame:
    """History rows from (period, metric, numerator, denominator, unknown)."""
    counts = pd.DataFrame(rows, columns=["period", "metric", "numerator", "denominator",
                                         "unknown"])
    table = metrics_from_counts(counts[["metric", "numerator", "denominator", "unknown"]])
    table.insert(0, "period", counts["period"])
    table.insert(0, "partnership", "Eastmere")
    return table


def hide_rows(table: pd.DataFrame, mask, columns) -> pd.DataFrame:
    """``table`` with ``columns`` of the rows in ``mask`` shown as ``c``."""
    out = table.astype(object).copy()
    for column in columns:
        out.loc[mask, column] = SUPPRESSED
    return out


QUARTER_HIDDEN = ("numerator", "denominator", "rate", "ci_low", "ci_high", "p_value", "p_holm")


@pytest.fixture()
def board_seen() -> pd.DataFrame:
    # 12/40 = 30%, 15/40 = 37.5%, 3/40 = 7.5%, 18/40 = 45%, 20/40 = 50%, 22/40 = 55%
    nums = [12, 15, 3, 18, 20, 22]
    return history([(q, "engagement.seen", n, 40, 0) for q, n in zip(QUARTERS, nums)])


@pytest.fixture()
def seen(board_seen) -> pd.DataFrame:
    """The public table: 2024-Q3's 3 is a small count, hidden with its row."""
    return hide_rows(board_seen, board_seen["period"] == "2024-Q3", QUARTER_HIDDEN)


def texts(chart: Chart) -> list[str]:
    figure = chart.figure
    found = [t.get_text() for t in figure.texts]
    for ax in figure.axes:
        found += [t.get_text() for t in ax.texts]
        found += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    for legend in figure.legends:
        found += [t.get_text() for t in legend.get_texts()]
    return found


# --------------------------------------------------------------------------- trend


def test_trend_title_alt_text_and_caption(seen):
    chart = trend_chart(seen.iloc[::-1], "engagement.seen", 0.5, **CONTEXT)  # any row order
    # without a claim (audit.claims) the chart states no change: it only says what it shows
    assert chart.title == "Father seen, quarter by quarter, 2024-Q1 to 2025-Q2"
    assert chart.name == "trend_engagement_seen"
    assert chart.alt_text.startswith(chart.title + ". Line chart")
    for phrase in ("2024-Q1: 30.0%", "2024-Q2: 37.5%", "2024-Q4: 45.0%", "2025-Q2: 55.0%",
                   "2024-Q3: suppressed (small number)", "national figure from the 2021 "
                   "review, 50.0%", "6 quarters from 2024-Q1 to 2025-Q2"):
        assert phrase in chart.alt_text
    assert not re.search(r"(?<![0-9])7\.5%", chart.alt_text)   # 3/40, hidden
    assert "Period: 2024-Q1 to 2025-Q2" in chart.caption
    assert SUPPRESSED_NOTE in chart.caption and "c = hidden to protect small numbers" in chart.caption
    assert "The Myth of Invisible Men" in chart.caption
    ax = chart.figure.axes[0]
    rate_line = next(line for line in ax.lines if line.get_marker() == "o")
    y = np.asarray(rate_line.get_ydata(), dtype=float)
    assert np.isnan(y[2])                         # the hidden quarter is not plotted
    assert y[[0, 1, 3, 4, 5]] == pytest.approx([30, 37.5, 45, 50, 55])
    national = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert len(national) == 1 and list(national[0].get_ydata()) == [50, 50]
    all_text = texts(chart)
    assert "c" in all_text and not any(re.search(r"(?<![0-9])7\.5", t) for t in all_text)
    assert any("National (2021" in t and "50.0%" in t for t in all_text)


def test_trend_board_version_and_steady_title(board_seen):
    chart = trend_chart(board_seen, "engagement.seen", **CONTEXT)
    assert "2024-Q3: 7.5%" in chart.alt_text and "suppressed" not in chart.alt_text
    steady = history([("2024-Q1", "risk.domestic_abuse", 20, 40, 0),
                      ("2024-Q2", "risk.domestic_abuse", 21, 41, 0)])
    chart = trend_chart(steady, "risk.domestic_abuse", **CONTEXT)
    # 20 of 40 then 21 of 41: never "rose" (issue 20); a claim passed in is the title
    assert "rose" not in chart.title and chart.title.startswith("Domestic abuse, quarter by")
    chart = trend_chart(steady, "risk.domestic_abuse", title="A claim", **CONTEXT)
    assert chart.title == "A claim" and chart.alt_text.startswith("A claim. Line chart")


def test_quarters_without_cases_are_gaps_on_a_real_time_axis():
    """2024-Q3 and 2025-Q2 are a year apart: the chart keeps the three quarters between as
    not-available points, not side by side (issue 20)."""
    apart = history([("2024-Q3", "engagement.contacted", 1, 1, 0),
                     ("2025-Q2", "engagement.contacted", 9, 16, 0)])
    chart = trend_chart(apart, "engagement.contacted", few_cases=("2024-Q3",), **CONTEXT)
    labels = [t.get_text() for t in chart.figure.axes[0].get_xticklabels()]
    assert labels == ["2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2"]
    assert "for each of 4 quarters" in chart.alt_text
    assert "2024-Q4: not available (no cases recorded)" in chart.alt_text
    assert "Hollow points (2024-Q3): fewer than 5 cases recorded" in chart.caption
    hollow = [line for line in chart.figure.axes[0].lines
              if line.get_marker() == "o" and line.get_markerfacecolor() == "white"]
    assert len(hollow) == 1 and list(hollow[0].get_xdata()) == [0.0]


def test_trend_refuses_a_repeated_quarter_and_unknown_metric(seen):
    mixed = pd.concat([seen, seen.assign(partnership="Westvale")])
    with pytest.raises(ValueError, match="appears twice"):
        trend_chart(mixed, "engagement.seen", **CONTEXT)
    with pytest.raises(ValueError, match="not in the quarterly table"):
        trend_chart(seen, "engagement.contacted", **CONTEXT)
    with pytest.raises(ValueError, match="missing column"):
        trend_chart(seen[["period", "metric"]], "engagement.seen", **CONTEXT)
    with pytest.raises(ValueError, match="national_rate"):
        trend_chart(seen, "engagement.seen", 1.5, **CONTEXT)


def test_trend_png_is_deterministic(seen):
    a = trend_chart(seen, "engagement.seen", 0.5, **CONTEXT).png_bytes()
    b = trend_chart(seen, "engagement.seen", 0.5, **CONTEXT).png_bytes()
    assert a.startswith(PNG_MAGIC) and a == b


# --------------------------------------------------------------------------- SPC


def _markers(chart: Chart) -> dict[str, list]:
    ax = chart.figure.axes[0]
    found: dict[str, list] = {}
    for line in ax.lines:
        if line.get_linestyle() in ("None", "none", "") and len(line.get_xdata()):
            found.setdefault(line.get_marker(), []).append(line)
    return found


def test_spc_chart_shift_reading_markers_and_limits():
    frame = p_chart([60] * 7 + [40] * 7, [100] * 14,
                    [f"{y}-Q{q}" for y in (2022, 2023, 2024, 2025) for q in (1, 2, 3, 4)][:14])
    chart = spc_chart(frame, metric="engagement.seen", **CONTEXT)
    assert chart.title == "Father seen: shift below the average since 2023-Q4"
    assert ("Reading: a shift from 2022-Q1 to 2023-Q3 (7 quarters in a row above the average) "
            "and a shift since 2023-Q4 (7 quarters in a row below the average).") in chart.alt_text
    assert "The average is 50.0%" in chart.alt_text
    assert "2022-Q1: 60.0% (special cause)" in chart.alt_text
    markers = _markers(chart)
    assert set(markers) == {"D"}                  # every point is a special cause here
    assert to_hex(markers["D"][0].get_color()) == AF_CATEGORICAL[2]
    ax = chart.figure.axes[0]
    stepped = [line for line in ax.lines if line.get_drawstyle() == "steps-mid"]
    assert len(stepped) == 2 and all(line.get_linestyle() == "--" for line in stepped)
    assert list(stepped[0].get_ydata()) == pytest.approx([65.0] * 14)   # 50 + 3 * 5
    assert "Making Data Count" in chart.caption


def test_spc_chart_common_cause_and_distinct_shapes():
    frame = p_chart([50] * 5 + [90], [100] * 6, QUARTERS)
    chart = spc_chart(frame, metric="engagement.seen", **CONTEXT)
    assert chart.title == "Father seen: a point outside the limits in 2025-Q2"
    markers = _markers(chart)
    assert set(markers) == {"o", "D"}             # shape differs ...
    assert to_hex(markers["o"][0].get_color()) != to_hex(markers["D"][0].get_color())  # ... and colour
    assert list(markers["D"][0].get_xdata()) == [5]
    calm = spc_chart(p_chart([50, 52, 48, 51], [100] * 4, QUARTERS[:4]),
                     metric="engagement.seen", **CONTEXT)
    assert calm.title == "Father seen: common-cause variation only, around an average of 50%"
    assert "too few to detect a shift" in calm.alt_text


def test_spc_chart_draws_nothing_for_a_hidden_quarter():
    # 2024-Q3 is 2/100: far below the limits. A public pack hides its count, and with it
    # its point, its limits and its outside flag (as audit.disclosure.protect does).
    frame = p_chart([50, 52, 2, 51, 49, 50], [100] * 6, QUARTERS)
    assert bool(frame.loc[2, "outside"])
    public = hide_rows(frame, frame["label"] == "2024-Q3",
                       ("numerator", "denominator", "rate", "sigma", "lower", "upper"))
    public["outside"] = [bool(v) and i != 2 for i, v in enumerate(frame["outside"])]
    public["run"] = False
    chart = spc_chart(public, metric="engagement.seen", **CONTEXT)
    assert "2024-Q3: suppressed (small number)" in chart.alt_text
    assert "outside" not in chart.title and ": 2.0%" not in chart.alt_text
    assert "c" in texts(chart)
    ax = chart.figure.axes[0]
    rate_line = [line for line in ax.lines if line.get_marker() == "None"
                 and line.get_drawstyle() == "default" and len(line.get_xdata()) == 6]
    assert any(np.isnan(np.asarray(line.get_ydata(), dtype=float)[2]) for line in rate_line)
    stepped = [line for line in ax.lines if line.get_drawstyle() == "steps-mid"]
    assert len(stepped) == 2
    for limit in stepped:       # no control limit drawn for the hidden quarter
        y = np.asarray(limit.get_ydata(), dtype=float)
        assert np.isnan(y[2]) and not np.isnan(y[[0, 1, 3, 4, 5]]).any()
    # the board's table shows the quarter, and the chart calls it what it is
    board = spc_chart(frame, metric="engagement.seen", **CONTEXT)
    assert "outside the limits in 2024-Q3" in board.title


def test_a_two_quarter_run_chart_names_no_cause_in_its_legend():
    """2 quarters, 40 and 60 of 100 (a new analyst's Q4 pack): a run chart, "too few for
    control limits", whose legend said "Common cause" beside it. Its legend names each
    quarter's percentage and the average (50%), no cause of either kind; the control chart
    keeps both causes and its limits."""
    frame = p_chart([40, 60], [100, 100], QUARTERS[:2])
    chart = spc_chart(frame, metric="engagement.seen", min_points=12, **CONTEXT)
    assert chart.title == ("Father seen around an average of 50%: 2 quarters so far, too few "
                           "for control limits")
    legend = [t.get_text() for legend in chart.figure.legends for t in legend.get_texts()]
    assert legend == ["Percentage each quarter", "Average"]
    control = spc_chart(frame, metric="engagement.seen", min_points=2, **CONTEXT)
    legend = [t.get_text() for legend in control.figure.legends for t in legend.get_texts()]
    assert legend == ["Common cause", "Special cause", "Average", "Control limits (3 sigma)"]


def test_spc_chart_below_min_points_is_a_run_chart_without_a_verdict():
    # 6 quarters: 50, 50, 50, 50, 50, 90 of 100. As a p-chart 2025-Q2 is outside the limits;
    # with min_points=12 there are no limits yet, so no verdict.
    frame = p_chart([50] * 5 + [90], [100] * 6, QUARTERS)
    chart = spc_chart(frame, metric="engagement.seen", min_points=12, **CONTEXT)
    # average (250 + 90) / 600 = 56.7%
    assert chart.title == ("Father seen around an average of 57%: 6 quarters so far, too few "
                           "for control limits")
    assert chart.name == "run_engagement_seen"
    assert "outside" not in chart.title and "special cause" not in chart.alt_text
    assert "Reading:" not in chart.alt_text
    assert "No control limits are drawn until 12 quarters are recorded (6 more)." \
        in chart.alt_text
    assert chart.alt_text.startswith(chart.title + ". Run chart of")
    assert "Run chart" in chart.caption and "6 more to go" in chart.caption
    ax = chart.figure.axes[0]
    assert not [line for line in ax.lines if line.get_drawstyle() == "steps-mid"]
    assert set(_markers(chart)) == {"o"}          # no special-cause diamonds
    legend = [t.get_text() for legend in chart.figure.legends for t in legend.get_texts()]
    assert legend == ["Percentage each quarter", "Average"]  # no cause without limits
    # at 6 points, min_points=6 gives the control chart
    control = spc_chart(frame, metric="engagement.seen", min_points=6, **CONTEXT)
    assert control.name == "spc_engagement_seen"
    assert control.title == "Father seen: a point outside the limits in 2025-Q2"


def test_spc_png_is_deterministic():
    frame = p_chart([50] * 5 + [90], [100] * 6, QUARTERS)
    a = spc_chart(frame, metric="engagement.seen", **CONTEXT).png_bytes()
    assert a == spc_chart(frame, metric="engagement.seen", **CONTEXT).png_bytes()


# --------------------------------------------------------------------------- funnel plot


def _partnerships(rows) -> pd.DataFrame:
    return metrics_from_counts(pd.DataFrame(rows, columns=["partnership", "metric", "numerator",
                                                           "denominator", "unknown"]))


@pytest.fixture()
def funnel() -> pd.DataFrame:
    table = _partnerships([("Northbridge", "engagement.seen", 10, 40, 0),
                           ("Eastmere", "engagement.seen", 30, 50, 0),
                           ("Westvale", "engagement.seen", 4, 30, 12),
                           ("Southport", "engagement.seen", 60, 90, 0),
                           ("Kingsmoor", "engagement.seen", 20, 44, 9)])
    return funnel_table(table, "engagement.seen")


def _hide_partnerships(funnel: pd.DataFrame, names) -> pd.DataFrame:
    limits = [c for c in funnel.columns if c.startswith(("lower_", "upper_", "outside_"))]
    return hide_rows(funnel, funnel["partnership"].isin(names),
                     ("numerator", "denominator", "rate", "position", *limits))


def test_funnel_plot_title_labels_and_hidden_partnerships(funnel):
    context = {"source": "pooled extract", "place": "five partnerships", "period": "2025-Q1"}
    # Westvale (4) is a small count; a public pack hides it and, so it cannot be recovered
    # from the pooled total, another partnership (here Northbridge, 10).
    public = _hide_partnerships(funnel, ["Westvale", "Northbridge"])
    chart = funnel_plot(public, **context)
    # Southport 60/90 = 66.7% is above the 99.8% limit around the pooled 124/254 = 48.8%.
    assert chart.title == "Southport above the 99.8% limit for father seen, at 67%"
    assert "pooled rate of all the partnerships of 48.8%" in chart.alt_text
    for phrase in ("Eastmere: 60.0% of 50 cases, within the limits",
                   "Southport: 66.7% of 90 cases, above the upper 99.8% limit",
                   "Kingsmoor: 45.5% of 44 cases, within the limits",
                   "Northbridge, Westvale: suppressed (small number), not plotted"):
        assert phrase in chart.alt_text
    assert "13.3%" not in chart.alt_text and "25.0%" not in chart.alt_text
    assert "Not shown, to protect small numbers: Northbridge, Westvale." in chart.caption
    ax = chart.figure.axes[0]
    labels = sorted(t.get_text() for t in ax.texts)
    assert labels == ["Eastmere", "Kingsmoor", "Southport"]
    styles = {line.get_linestyle() for line in ax.lines if len(line.get_xdata()) > 2}
    assert {"--", ":"} <= styles                  # 95% dashed, 99.8% dotted
    markers = _markers(chart)
    assert set(markers) == {"o", "D"}
    assert [line.get_xdata()[0] for line in markers["D"]] == [90]
    assert to_hex(markers["D"][0].get_color()) != to_hex(markers["o"][0].get_color())
    assert chart.png_bytes() == funnel_plot(public, **context).png_bytes()


def test_funnel_plot_board_and_all_within(funnel):
    context = {"source": "pooled extract", "place": "five partnerships", "period": "2025-Q1"}
    analyst = funnel_plot(funnel, **context)
    assert analyst.title == "2 partnerships outside the 99.8% limits for father seen"
    markers = _markers(analyst)
    assert set(markers) == {"o", "D", "^"}        # Northbridge only outside the 95% limits
    calm = funnel_table(_partnerships([("A", "engagement.seen", 20, 40, 0),
                                       ("B", "engagement.seen", 26, 50, 0)]), "engagement.seen",
                        target=0.5)
    chart = funnel_plot(calm, **context)
    assert chart.title == "Both partnerships shown within the limits for father seen"
    three = funnel_table(_partnerships([("A", "engagement.seen", 20, 40, 0),
                                        ("B", "engagement.seen", 26, 50, 0),
                                        ("C", "engagement.seen", 22, 45, 0)]),
                         "engagement.seen", target=0.5)
    assert funnel_plot(three, **context).title == \
        "All 3 partnerships shown within the limits for father seen"
    assert "centre line of 50.0%" in chart.alt_text
