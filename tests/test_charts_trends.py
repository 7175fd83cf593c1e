"""audit.charts trend_chart, spc_chart and funnel_plot: findings, alt text, small numbers,
shapes as well as colours, deterministic PNGs. Expected titles are worked out by hand."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from audit.charts import AF_CATEGORICAL, Chart, funnel_plot, spc_chart, trend_chart
from audit.metrics import metrics_from_counts
from audit.spc import funnel_table, p_chart

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


@pytest.fixture()
def seen() -> pd.DataFrame:
    # 12/40 = 30%, 15/40 = 37.5%, 3/40 (small: suppressed), 18/40 = 45%, 20/40 = 50%,
    # 22/40 = 55%
    nums = [12, 15, 3, 18, 20, 22]
    return history([(q, "engagement.seen", n, 40, 0) for q, n in zip(QUARTERS, nums)])


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
    assert chart.title == "Father seen rose from 30% in 2024-Q1 to 55% in 2025-Q2"
    assert chart.name == "trend_engagement_seen"
    assert chart.alt_text.startswith(chart.title + ". Line chart")
    for phrase in ("2024-Q1: 30.0%", "2024-Q2: 37.5%", "2024-Q4: 45.0%", "2025-Q2: 55.0%",
                   "2024-Q3: suppressed (small number)", "national figure from the 2021 "
                   "review, 50.0%", "6 quarters from 2024-Q1 to 2025-Q2"):
        assert phrase in chart.alt_text
    assert not re.search(r"(?<![0-9])7\.5%", chart.alt_text)   # 3/40, hidden
    assert "Period: 2024-Q1 to 2025-Q2" in chart.caption
    assert "c = suppressed to protect small numbers." in chart.caption
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


def test_trend_analyst_version_and_steady_title(seen):
    chart = trend_chart(seen, "engagement.seen", suppress_max=0, **CONTEXT)
    assert "2024-Q3: 7.5%" in chart.alt_text and "suppressed" not in chart.alt_text
    steady = history([("2024-Q1", "risk.domestic_abuse", 20, 40, 0),
                      ("2024-Q2", "risk.domestic_abuse", 21, 41, 0)])
    chart = trend_chart(steady, "risk.domestic_abuse", **CONTEXT)
    # 50% and 51.2% both round to 50% and 51%? 21/41 = 0.5122 -> 51%: not steady
    assert chart.title == "Domestic abuse rose from 50% in 2024-Q1 to 51% in 2024-Q2"
    same = history([("2024-Q1", "risk.domestic_abuse", 20, 40, 0),
                    ("2024-Q2", "risk.domestic_abuse", 30, 60, 0)])
    assert trend_chart(same, "risk.domestic_abuse", **CONTEXT).title == (
        "Domestic abuse steady at 50% of cases from 2024-Q1 to 2024-Q2")


def test_trend_hides_a_quarter_its_board_pack_hid_by_secondary_suppression():
    # 2024-Q2: known_to.universal 3 (primary c); with the denominator shown, the smallest other
    # non-zero known_to numerator (early_help, 8) is hidden too (rule 7), though 8 > 5
    rows = []
    for q, (universal, early) in zip(QUARTERS[:3], [(20, 10), (3, 8), (22, 9)]):
        rows += [(q, "known_to.none", 10, 50, 0), (q, "known_to.universal", universal, 50, 0),
                 (q, "known_to.early_help", early, 50, 0),
                 (q, "known_to.child_in_need", 50 - 10 - universal - early, 50, 0)]
    chart = trend_chart(history(rows), "known_to.early_help", **CONTEXT)
    assert "2024-Q2: suppressed (small number)" in chart.alt_text
    assert "16.0%" not in chart.alt_text          # 8/50 is not revealed
    assert "2024-Q1: 20.0%" in chart.alt_text and "2024-Q3: 18.0%" in chart.alt_text


def test_trend_refuses_mixed_partnerships_and_unknown_metric(seen):
    mixed = pd.concat([seen, seen.assign(partnership="Westvale")])
    with pytest.raises(ValueError, match="several partnerships"):
        trend_chart(mixed, "engagement.seen", **CONTEXT)
    with pytest.raises(ValueError, match="not in the history"):
        trend_chart(seen, "engagement.contacted", **CONTEXT)
    with pytest.raises(ValueError, match="small-numbers rule"):
        trend_chart(seen[["period", "metric", "rate"]], "engagement.seen", **CONTEXT)


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


def test_spc_chart_hides_small_counts_and_their_outside_flag():
    # 2024-Q3 is 2/100: far below the limits, but its count is small -> not plotted, and the
    # board's reading does not say it was outside
    frame = p_chart([50, 52, 2, 51, 49, 50], [100] * 6, QUARTERS)
    assert bool(frame.loc[2, "outside"])
    chart = spc_chart(frame, metric="engagement.seen", **CONTEXT)
    assert "2024-Q3: suppressed (small number)" in chart.alt_text
    assert "outside" not in chart.title and ": 2.0%" not in chart.alt_text
    assert "c" in texts(chart)
    rate_line = [line for line in chart.figure.axes[0].lines if line.get_marker() == "None"
                 and line.get_drawstyle() == "default" and len(line.get_xdata()) == 6]
    assert any(np.isnan(np.asarray(line.get_ydata(), dtype=float)[2]) for line in rate_line)
    # a period a caller names as hidden (its board pack hid it) is hidden too
    hidden = spc_chart(p_chart([50] * 6, [100] * 6, QUARTERS), metric="engagement.seen",
                       hidden={"2025-Q1"}, **CONTEXT)
    assert "2025-Q1: suppressed (small number)" in hidden.alt_text
    analyst = spc_chart(frame, metric="engagement.seen", suppress_max=0, **CONTEXT)
    assert "outside the limits in 2024-Q3" in analyst.title


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


def test_funnel_plot_title_labels_and_suppression(funnel):
    context = {"source": "pooled extract", "place": "five partnerships", "period": "2025-Q1"}
    chart = funnel_plot(funnel, **context)
    # Westvale (4) is hidden; one hidden numerator could be recovered from the pooled total,
    # so the smallest other, Northbridge (10), is hidden too. Southport 60/90 = 66.7% is above
    # the 99.8% limit around the pooled 124/254 = 48.8%.
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
    assert chart.png_bytes() == funnel_plot(funnel, **context).png_bytes()


def test_funnel_plot_analyst_and_all_within(funnel):
    context = {"source": "pooled extract", "place": "five partnerships", "period": "2025-Q1"}
    analyst = funnel_plot(funnel, suppress_max=0, **context)
    assert analyst.title == "2 partnerships outside the 99.8% limits for father seen"
    markers = _markers(analyst)
    assert set(markers) == {"o", "D", "^"}        # Northbridge only outside the 95% limits
    calm = funnel_table(_partnerships([("A", "engagement.seen", 20, 40, 0),
                                       ("B", "engagement.seen", 26, 50, 0)]), "engagement.seen",
                        target=0.5)
    chart = funnel_plot(calm, **context)
    assert chart.title == "All 2 partnerships shown within the limits for father seen"
    assert "target of 50.0%" in chart.alt_text
