"""audit.charts: findings, alt text, hidden figures, palette, contrast and deterministic PNGs.

Charts take protected tables (:func:`audit.disclosure.protect`): a figure a public pack hides
is ``c`` in the table, and the chart draws nothing derived from it. The protected tables
here are written by hand. Every expected title and number below is worked out by hand.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from scipy import stats

from audit import charts
from audit.charts import (
    Chart,
    af_style,
    contrast_ratio,
    cooccurrence_heatmap,
    engagement_funnel_chart,
    local_vs_national,
    service_contact_chart,
)
from audit.contract import ENGAGEMENT_FUNNEL, METRICS_COLUMNS, flag_metric_id, metric_label
from audit.formatting import SUPPRESSED

# The Analysis Function palettes, written out as the guidance gives them.
AF_CATEGORICAL = ["#12436d", "#28a197", "#801650", "#f46a25", "#3d3d3d", "#a285d1"]
AF_SEQUENTIAL = ["#092135", "#12436d", "#2073bc", "#6bace6", "#add1f1"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CONTEXT = {"period": "April 2024 to March 2025", "source": "Eastmere case audit extract",
           "place": "Eastmere"}
NA = np.nan
c = SUPPRESSED


def metrics_table(*rows: tuple) -> pd.DataFrame:
    """A metrics table from rows of the contract's columns up to ``p_value``; ``p_holm`` is
    set equal to ``p_value`` (each a family of one) unless a row gives it."""
    full = [row if len(row) == len(METRICS_COLUMNS) else (*row, row[-1]) for row in rows]
    return pd.DataFrame(full, columns=list(METRICS_COLUMNS))


def hide(table: pd.DataFrame, metric: str,
         columns=("numerator", "rate", "ci_low", "ci_high", "p_value", "p_holm")) -> pd.DataFrame:
    """``table`` as a public pack protects it: ``metric``'s count and what derives from it
    shown as ``c``."""
    out = table.astype(object).copy()
    out.loc[out["metric"] == metric, list(columns)] = c
    return out


@pytest.fixture()
def risk_table() -> pd.DataFrame:
    return metrics_table(
        # metric, num, den, unk, rate, ci_low, ci_high, nat_num, nat_den, nat_rate, p
        ("risk.domestic_abuse", 25, 39, 6, 25 / 39, 0.484, 0.772, 59, 92, 59 / 92, 1.0),
        ("risk.father_mental_ill_health", 10, 40, 0, 0.25, 0.142, 0.401, 32, 92, 32 / 92, 0.03),
        ("risk.young_parent", 14, 40, 0, 0.35, 0.221, 0.505, 30, 92, 30 / 92, 0.84),
        ("risk.care_leaver", 3, 40, 0, 0.075, 0.026, 0.199, 5, 92, 5 / 92, 0.70),
        ("risk.substance_misuse", 18, 36, 4, 0.5, 0.343, 0.657, NA, NA, NA, NA),
        ("risk.impulsivity", 12, 40, 0, 0.3, 0.181, 0.454, NA, NA, NA, NA),
    )


@pytest.fixture()
def service_table() -> pd.DataFrame:
    return metrics_table(
        ("known_to.none", 2, 40, 0, 0.05, 0.014, 0.165, NA, NA, NA, NA),
        ("known_to.universal", 10, 40, 0, 0.25, 0.142, 0.401, 45, 92, 45 / 92, 0.004),
        ("known_to.early_help", 14, 40, 0, 0.35, 0.221, 0.505, 24, 92, 24 / 92, 0.27),
        ("known_to.child_in_need", 8, 40, 0, 0.2, 0.105, 0.348, 12, 92, 12 / 92, 0.30),
        ("known_to.child_protection_plan", 6, 40, 0, 0.15, 0.071, 0.291, 11, 92, 11 / 92, 0.78),
    )


@pytest.fixture()
def funnel() -> pd.DataFrame:
    rates = [0.9, 0.4, 0.35, 0.3, NA, 0.25, 0.2]
    step_rates = [NA, 0.44, 0.8, 0.75, 0.7, 0.6, 0.8]
    frame = pd.DataFrame({
        "step": range(1, 8),
        "flag": list(ENGAGEMENT_FUNNEL),
        "metric": [flag_metric_id(f) for f in ENGAGEMENT_FUNNEL],
        "yes": [36, 16, 14, 12, 2, 10, 8],
        "known": [40] * 7,
        "rate": rates,
        "step_rate": step_rates,
    })
    return frame.iloc[[3, 0, 6, 1, 5, 2, 4]].reset_index(drop=True)  # not in practice order


def hide_step(funnel: pd.DataFrame, flag: str) -> pd.DataFrame:
    """The steps table as a public pack protects it: ``flag``'s figures shown as ``c``."""
    out = funnel.astype(object).copy()
    out.loc[out["flag"] == flag, ["yes", "rate", "step_rate"]] = c
    return out


@pytest.fixture()
def cooc() -> pd.DataFrame:
    flags = ["domestic_abuse", "father_mental_ill_health", "young_parent", "care_leaver"]
    return pd.DataFrame(
        [[30, 8, 11, "c"],
         [8, 15, 6, 0],
         [11, 6, 20, "c"],
         ["c", 0, "c", "c"]],
        index=pd.Index(flags, name="factor"), columns=flags, dtype=object)


def figure_texts(chart: Chart) -> list[Text]:
    chart.figure.canvas.draw()
    return [t for t in chart.figure.findobj(Text) if t.get_visible() and t.get_text().strip()]


def all_text(chart: Chart) -> str:
    return "\n".join(t.get_text() for t in figure_texts(chart))


def contains_figure(text: str, figure: str) -> bool:
    """``figure`` appears as a whole number in ``text`` ("2.6%" is not in "32.6%")."""
    return re.search(rf"(?<![\d.]){re.escape(figure)}", text) is not None


def assert_contrast(chart: Chart) -> None:
    """Text >= 4.5:1 on white (annotations on coloured cells are checked on their cell);
    axis lines, ticks and grid lines that are drawn >= 3:1 on white."""
    for text in figure_texts(chart):
        if to_hex(text.get_color()) == "#ffffff":
            continue  # only heatmap annotations are white: checked on their cell below
        assert contrast_ratio(text.get_color()) >= 4.5, text.get_text()
    for ax in chart.figure.axes:
        for spine in ax.spines.values():
            if spine.get_visible():
                assert contrast_ratio(spine.get_edgecolor()) >= 3.0
        for line in [*ax.xaxis.get_ticklines(), *ax.yaxis.get_ticklines()]:
            if line.get_visible() and line.get_markersize() > 0:
                assert contrast_ratio(line.get_color()) >= 3.0
        for line in [*ax.get_xgridlines(), *ax.get_ygridlines()]:
            if line.get_visible():
                assert contrast_ratio(line.get_color()) >= 3.0


def assert_png(chart: Chart, tmp_path: Path, rebuild) -> None:
    first = chart.save(tmp_path / "a.png")
    second = chart.save(tmp_path / "b.png")
    data = first.read_bytes()
    assert data.startswith(PNG_MAGIC)
    assert data == second.read_bytes()
    assert b"Software" not in data and b"Matplotlib" not in data
    again = rebuild()
    assert again.png_bytes() == data
    again.close()


# --------------------------------------------------------------------------- style


def test_af_style_applies_and_restores() -> None:
    before = dict(matplotlib.rcParams)
    with af_style():
        assert matplotlib.rcParams["font.sans-serif"][0] == "DejaVu Sans"
        assert matplotlib.rcParams["svg.hashsalt"]
        assert matplotlib.rcParams["axes.spines.top"] is False  # from afcharts
        for key in ("xtick.color", "ytick.color", "axes.edgecolor", "grid.color"):
            assert contrast_ratio(matplotlib.rcParams[key]) >= 3.0, key
        cycle = [to_hex(c["color"]) for c in matplotlib.rcParams["axes.prop_cycle"]]
        assert cycle == AF_CATEGORICAL
    assert dict(matplotlib.rcParams) == before


def test_palettes_are_the_analysis_function_ones() -> None:
    assert [c.lower() for c in charts.AF_CATEGORICAL] == AF_CATEGORICAL
    assert [c.lower() for c in charts.AF_SEQUENTIAL] == AF_SEQUENTIAL
    assert charts.AF_STYLE_PATH.name == "afcharts.mplstyle" and charts.AF_STYLE_PATH.is_file()


def test_contrast_ratio_matches_wcag() -> None:
    assert contrast_ratio("black", "white") == pytest.approx(21.0)
    assert contrast_ratio((0.8, 0.8, 0.8)) < 3.0  # the afcharts tick grey fails
    assert contrast_ratio("#12436D") > 4.5


# --------------------------------------------------------------------------- local vs national


def test_local_vs_national_states_the_figure_the_test_compared() -> None:
    """A risk factor is compared with the review as the review counted it, out of every
    case (audit.measures.compare.review_base); the title states that figure and its
    direction, not the rate of known answers. Domestic abuse: 20 yes, 2 no, 38 not known:
    20 of 22 known is 90.9%, but 20 of the 60 cases is 33.3%, against 59 of 92 (64.1%)
    nationally: lower, not higher."""
    p_value = stats.fisher_exact([[20, 40], [59, 33]]).pvalue  # 20 of 60 against 59 of 92
    assert p_value < 0.001
    table = pd.DataFrame({
        "metric": ["risk.domestic_abuse"], "numerator": [20], "denominator": [22],
        "unknown": [38], "rate": [20 / 22], "ci_low": [0.72], "ci_high": [0.97],
        "national_rate": [59 / 92], "p_value": [p_value], "p_holm": [p_value]})
    chart = local_vs_national(table, ["risk.domestic_abuse"], **CONTEXT)
    assert chart.title == ("Domestic abuse lower than nationally: 33% of all cases (as the "
                           "review counted) against 64%")
    chart.close()
    # no test result: the figures without a verdict, each with what it is a share of
    chart = local_vs_national(table.assign(p_value=None, p_holm=None),
                              ["risk.domestic_abuse"], **CONTEXT)
    assert chart.title == ("Domestic abuse in 33% of all cases (as the review counted) "
                           "against 64% nationally")
    chart.close()


def test_local_vs_national_with_figures_hidden_and_no_verdict_names_none_as_the_finding(
        risk_table) -> None:
    """A new analyst's public pack: of 10 risk factors only 'adverse childhood of his own'
    was shown, and the chart's title ("Adverse childhood of his own in 26% of cases") made
    it the section's finding. With figures hidden and no verdict or rank to state, the
    title says how many are shown and hidden."""
    public = hide(hide(risk_table, "risk.care_leaver"), "risk.young_parent")
    metrics = ["risk.care_leaver", "risk.young_parent", "risk.impulsivity"]
    chart = local_vs_national(public, metrics, **CONTEXT)
    # young parent and care leaver have national figures but are hidden: none compared
    assert chart.title == "Local figures: 1 shown, 2 hidden to protect privacy"
    chart.close()
    # the section names what the figures are (a public slide said only "Local figures")
    chart = local_vs_national(public, metrics, what="risk-factor figures", **CONTEXT)
    assert chart.title == "Local risk-factor figures: 1 shown, 2 hidden to protect privacy"
    chart.close()


def test_local_vs_national_states_the_clear_difference(risk_table, tmp_path) -> None:
    metrics = ["risk.domestic_abuse", "risk.father_mental_ill_health", "risk.young_parent",
               "risk.care_leaver", "risk.substance_misuse"]
    public = hide(risk_table, "risk.care_leaver")
    chart = local_vs_national(public, metrics, **CONTEXT)
    # Only father's mental ill health has p < 0.05: 10/40 = 25% against 32/92 = 34.8%.
    # 10 yes of 40 cases, none unknown: 25% as the review counted too (every case)
    assert chart.title == ("Father's mental ill health lower than nationally: 25% of all cases "
                           "(as the review counted) against 35%")
    assert chart.alt_text.startswith(chart.title)
    alt = chart.alt_text
    assert ("Father's mental ill health: 25.0% locally (95% confidence interval 14.2% to "
            "40.1%), 34.8% nationally") in alt
    assert "Domestic abuse: 64.1% locally (95% confidence interval 48.4% to 77.2%), " \
           "64.1% nationally" in alt
    assert "Young parent: 35.0% locally" in alt and "32.6% nationally" in alt
    assert "Care leaver: local figure suppressed (small number), 5.4% nationally" in alt
    assert "Substance misuse: 50.0% locally" in alt and "no national figure published" in alt
    for leaked in ("7.5%", "2.6%", "19.9%"):  # care leaver's rate and interval
        assert not contains_figure(alt, leaked)
        assert not contains_figure(all_text(chart), leaked)
    assert "Eastmere" in alt and "April 2024 to March 2025" in alt
    assert "Source: Eastmere case audit extract" in chart.caption
    assert "Period: April 2024 to March 2025" in chart.caption
    assert "Eastmere" in chart.caption and "The Myth of Invisible Men" in chart.caption
    assert "c = hidden to protect small numbers" in chart.caption
    assert chart.name == "local_vs_national"

    ax = chart.figure.axes[0]
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == 4  # care leaver has no bar
    assert {to_hex(b.get_facecolor()) for b in bars} == {AF_CATEGORICAL[0]}
    widths = sorted(round(b.get_width(), 1) for b in bars)
    assert widths == [25.0, 35.0, 50.0, 64.1]
    diamonds = [line for line in ax.get_lines() if line.get_marker() == "D"]
    assert len(diamonds) == 4  # every metric with a national figure, suppressed or not
    assert all(to_hex(d.get_color()) == "#000000" for d in diamonds)
    texts = [t.get_text() for t in figure_texts(chart)]
    assert "c" in texts and "64.1%" in texts and "34.8%" in texts
    assert ax.get_xlabel() == "Percentage of cases (%)"
    assert_contrast(chart)
    before = plt.get_fignums()
    assert_png(chart, tmp_path, lambda: local_vs_national(public, metrics, **CONTEXT))
    chart.close()
    assert plt.get_fignums() == before


def test_local_vs_national_in_line_title_and_the_hidden_row(risk_table) -> None:
    public = hide(risk_table, "risk.care_leaver")
    chart = local_vs_national(public, ["risk.domestic_abuse", "risk.young_parent",
                                       "risk.care_leaver"], **CONTEXT)
    # No adjusted p < 0.05, and one row hidden: no verdict and no rank (issue 20)
    assert chart.title == ("Local figures against the national review: no clear difference in "
                           "any of the 2 comparisons, once adjusted for their number")
    assert "most common" not in chart.title + chart.alt_text
    # Care leaver 3/40 is a small number: the public table hides it, the chart follows.
    assert "Care leaver: local figure suppressed (small number)" in chart.alt_text
    assert not contains_figure(chart.alt_text + all_text(chart), "7.5%")
    chart.close()
    # The board's table shows it, and so does the chart.
    board = local_vs_national(risk_table, ["risk.care_leaver"], **CONTEXT)
    assert "Care leaver: 7.5% locally (95% confidence interval 2.6% to 19.9%)" in board.alt_text
    assert "suppressed" not in board.alt_text and "c = hidden" not in board.caption
    board.close()


def test_local_vs_national_calls_a_difference_only_on_the_holm_adjusted_p(risk_table) -> None:
    # Father's mental ill health: raw Fisher p = 0.03, but Holm-adjusted over the pack's
    # comparisons p_holm = 0.27. The tables and findings (audit.measures.compare.verdicts) then say
    # "no evidence of a difference"; the chart's title must not call it "lower".
    adjusted = risk_table.copy()
    adjusted["p_holm"] = [1.0, 0.27, 1.0, 1.0, NA, NA]
    chart = local_vs_national(adjusted, ["risk.domestic_abuse", "risk.father_mental_ill_health"],
                              **CONTEXT)
    assert "lower than nationally" not in chart.title
    assert chart.title == ("Local figures against the national review: no clear difference in "
                           "any of the 2 comparisons, once adjusted for their number")
    chart.close()


def test_local_vs_national_without_national_figures(risk_table) -> None:
    chart = local_vs_national(risk_table, ["risk.impulsivity", "risk.substance_misuse"],
                              **CONTEXT)
    # the chart ranks nothing itself: a rank is a claim (audit.claims), passed in
    # the figures as charted, in chart order: no "most common"
    assert chart.title == ("Impulsivity in 30% of the cases where it was recorded; substance misuse "
                           "in 50%")
    chart.close()
    claim = "Of the 2 risk factors, substance misuse was the most common, in 50.0% of cases"
    chart = local_vs_national(risk_table, ["risk.impulsivity", "risk.substance_misuse"],
                              rank=claim, **CONTEXT)
    assert chart.title == claim and chart.alt_text.startswith(claim)
    assert "Impulsivity: 30.0% locally (95% confidence interval 18.1% to 45.4%), no " \
           "national figure published" in chart.alt_text
    assert not [line for line in chart.figure.axes[0].get_lines() if line.get_marker() == "D"]
    chart.close()


def test_local_vs_national_given_title_and_all_suppressed(risk_table) -> None:
    chart = local_vs_national(risk_table, ["risk.young_parent"], title="Young parents",
                              **CONTEXT)
    assert chart.title == "Young parents" and chart.alt_text.startswith("Young parents.")
    chart.close()
    hidden = risk_table.assign(rate=NA)
    chart = local_vs_national(hidden, ["risk.young_parent", "risk.care_leaver"], **CONTEXT)
    assert chart.title == "Local figures suppressed to protect small numbers"
    assert chart.alt_text.count("suppressed (small number)") == 2
    assert not [p for p in chart.figure.axes[0].patches if isinstance(p, Rectangle)]
    chart.close()


def test_local_vs_national_refuses_bad_input(risk_table) -> None:
    with pytest.raises(ValueError, match="empty"):
        local_vs_national(pd.DataFrame(columns=list(METRICS_COLUMNS)), ["risk.young_parent"],
                          **CONTEXT)
    with pytest.raises(ValueError, match="unknown metric id"):
        local_vs_national(risk_table, ["risk.shoe_size"], **CONTEXT)
    with pytest.raises(ValueError, match="not in the metrics table"):
        local_vs_national(risk_table, ["engagement.seen"], **CONTEXT)
    with pytest.raises(ValueError, match="at least one"):
        local_vs_national(risk_table, [], **CONTEXT)
    with pytest.raises(ValueError, match="twice"):
        local_vs_national(risk_table, ["risk.young_parent"] * 2, **CONTEXT)
    with pytest.raises(ValueError, match="missing column"):
        local_vs_national(risk_table.drop(columns="national_rate"), ["risk.young_parent"],
                          **CONTEXT)
    with pytest.raises(ValueError, match="period"):
        local_vs_national(risk_table, ["risk.young_parent"], period="", source="s", place="p")


# --------------------------------------------------------------------------- funnel


def test_funnel_orders_steps_and_states_the_biggest_drop_when_nested(funnel, tmp_path) -> None:
    public = hide_step(funnel, "father_in_plan")
    chart = engagement_funnel_chart(public, nested=True, **CONTEXT)
    # Lowest step_rate is 0.44 at 'enquiries beyond the mother': 56% lost.
    assert chart.title == ("Biggest drop at 'enquiries beyond the mother': 56% of cases lost "
                           "from the step before")
    alt = chart.alt_text
    assert alt.startswith(chart.title)
    assert ("Father identified: 90.0%; Enquiries beyond the mother: 40.0%; Father contacted: "
            "35.0%; Father seen: 30.0%; Father's history checked: suppressed (small number); "
            "Father in assessment: 25.0%; Father in plan: suppressed (small number).") in alt
    assert ("of the cases with 'father identified', 44.0% also had 'enquiries beyond the "
            "mother', so 56.0% were lost") in alt
    assert not contains_figure(alt + all_text(chart), "20.0%")  # father in plan, hidden

    ax = chart.figure.axes[0]
    ticks = sorted(((t.get_position()[1], t.get_text()) for t in ax.get_yticklabels()),
                   reverse=True)
    expected = [metric_label(flag_metric_id(f)) for f in ENGAGEMENT_FUNNEL]
    assert [text.replace("\n", " ") for _, text in ticks] == expected
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert sorted(round(b.get_width(), 1) for b in bars) == [25.0, 30.0, 35.0, 40.0, 90.0]
    assert {to_hex(b.get_facecolor()) for b in bars} <= set(AF_CATEGORICAL)
    texts = [t.get_text() for t in figure_texts(chart)]
    assert texts.count("c") == 2 and "90.0%" in texts
    assert any(t.startswith("Biggest drop:") and "56% lost" in t for t in texts)
    assert_contrast(chart)
    before = plt.get_fignums()
    assert_png(chart, tmp_path, lambda: engagement_funnel_chart(public, nested=True,
                                                                **CONTEXT))
    chart.close()
    assert plt.get_fignums() == before


def test_funnel_not_nested_names_the_lowest_step_and_speaks_of_no_loss(funnel) -> None:
    # Unless every yes at a step is a yes at the step before, the steps are not a funnel:
    # nothing is "lost from the step before", whatever the step rates say.
    chart = engagement_funnel_chart(funnel, nested=False, **CONTEXT)
    # the chart names no lowest step itself (a rank is a claim of audit.claims, passed in)
    # one step is hidden (c): how many are shown, nothing ranked
    assert chart.title == "Father-engagement steps: 6 shown, 1 hidden to protect privacy"
    chart.close()
    claim = "The lowest of the 7 engagement steps is 'father in plan', in 20.0% of the cases"
    chart = engagement_funnel_chart(funnel, nested=False, rank=claim, **CONTEXT)
    assert chart.title == claim
    assert "lost" not in chart.title + chart.alt_text
    assert "The steps are not nested in these cases" in chart.alt_text
    assert not any(t.startswith("Biggest drop") for t in
                   (t.get_text() for t in figure_texts(chart)))
    chart.close()
    # nested, but with no step rates (a public pack has none): no drop, and the claim
    bare = engagement_funnel_chart(funnel.drop(columns=["step_rate", "flag", "step"]),
                                   nested=True, rank=claim, **CONTEXT)
    assert bare.title == claim
    bare.close()


def test_funnel_refuses_bad_input(funnel) -> None:
    with pytest.raises(ValueError, match="empty"):
        engagement_funnel_chart(funnel.iloc[0:0], **CONTEXT)
    bad = funnel.assign(flag=["father_shoe_size"] + list(funnel["flag"][1:]))
    with pytest.raises(ValueError, match="not a step"):
        engagement_funnel_chart(bad, **CONTEXT)
    with pytest.raises(ValueError, match="twice"):
        engagement_funnel_chart(pd.concat([funnel, funnel.iloc[:1]]), **CONTEXT)


# --------------------------------------------------------------------------- service contact


def test_service_contact_grouped_bars_with_hatching(service_table, tmp_path) -> None:
    # 'none' (2) is a small number; a public pack hides it and, so that it cannot be worked
    # out from the others, one more level (here child protection plan, 6).
    board = hide(hide(service_table, "known_to.none"), "known_to.child_protection_plan")
    chart = service_contact_chart(board, **CONTEXT)
    # Universal: 10/40 = 25% against 45/92 = 48.9%, p = 0.004.
    assert chart.title == ("Known to universal services only lower than nationally: 25% of "
                           "the cases known to a service against 49%")
    alt = chart.alt_text
    assert "Known to universal services only: 25.0% locally, 48.9% nationally" in alt
    assert "Known to Early Help: 35.0% locally, 26.1% nationally" in alt
    assert "Child in need: 20.0% locally, 13.0% nationally" in alt
    assert ("Not known to services: local figure suppressed (small number), no national "
            "figure published") in alt
    assert "Child protection plan: local figure suppressed (small number), 12.0% nationally" \
        in alt
    shown = alt + all_text(chart)
    assert not contains_figure(shown, "5.0%") and not contains_figure(shown, "15.0%")

    ax = chart.figure.axes[0]
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    local = [b for b in bars if to_hex(b.get_facecolor()) == AF_CATEGORICAL[0]]
    national = [b for b in bars if to_hex(b.get_facecolor()) == AF_CATEGORICAL[1]]
    assert len(local) == 3 and len(national) == 4 and len(bars) == 7
    assert all(not b.get_hatch() for b in local)
    assert all(b.get_hatch() == "//" for b in national)  # not colour alone
    assert sorted(round(b.get_height(), 1) for b in national) == [12.0, 13.0, 26.1, 48.9]
    assert ax.get_ylabel() == "Percentage of cases (%)"
    assert_contrast(chart)
    before = plt.get_fignums()
    assert_png(chart, tmp_path, lambda: service_contact_chart(board, **CONTEXT))
    chart.close()
    assert plt.get_fignums() == before


def test_cooccurrence_heatmap_names_the_most_common_pair_only_over_the_whole_set(cooc) -> None:
    board = cooc.replace("c", 2)  # the board sees every pair: 11 is the largest of the six
    chart = cooccurrence_heatmap(board, **CONTEXT)
    assert chart.title == "Domestic abuse and young parent together most often, in 11 cases"
    assert "Most common pairs: Domestic abuse with young parent, 11 cases" in chart.alt_text
    chart.close()


def test_service_contact_needs_known_to_rows(risk_table) -> None:
    with pytest.raises(ValueError, match="known_to"):
        service_contact_chart(risk_table, **CONTEXT)


# --------------------------------------------------------------------------- co-occurrence


def test_cooccurrence_heatmap(cooc, tmp_path) -> None:
    chart = cooccurrence_heatmap(cooc, **CONTEXT)
    # two pairs are hidden: no pair is called the most common (issue 20: a rank over a set
    # with hidden members could be false)
    assert chart.title == ("Risk factors recorded together: 4 pairs shown, 2 hidden to "
                           "protect privacy")
    assert "most often" not in chart.alt_text and "Most common" not in chart.alt_text
    alt = chart.alt_text
    assert alt.startswith(chart.title)
    assert ("Pairs shown, the most first: Domestic abuse with young parent, 11 cases; Domestic abuse "
            "with father's mental ill health, 8 cases; Father's mental ill health with young "
            "parent, 6 cases.") in alt
    assert "1 pair never occurred together." in alt
    assert "2 pairs are suppressed (small number), shown as c." in alt

    ax = chart.figure.axes[0]
    mesh = ax.collections[0]
    annotations = [t for t in ax.texts if t.get_text().strip()]
    assert sorted(t.get_text() for t in annotations) == sorted(["8", "11", "6", "c", "0", "c"])
    for text in annotations:
        if text.get_text() == "c":
            background = "#F2F2F2"
        else:
            background = mesh.cmap(mesh.norm(float(text.get_text())))
        assert contrast_ratio(text.get_color(), background) >= 4.5, text.get_text()
    assert to_hex(mesh.cmap(0.0)) == AF_SEQUENTIAL[-1]
    assert to_hex(mesh.cmap(1.0)) == AF_SEQUENTIAL[0]
    for value in np.linspace(0, 1, 101):  # black or white text is readable on every shade
        shade = mesh.cmap(value)
        assert max(contrast_ratio("black", shade), contrast_ratio("white", shade)) >= 4.5
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Father's mental ill health", "Young parent", "Care leaver"]
    assert_contrast(chart)
    before = plt.get_fignums()
    assert_png(chart, tmp_path, lambda: cooccurrence_heatmap(cooc, **CONTEXT))
    chart.close()
    assert plt.get_fignums() == before


def test_cooccurrence_heatmap_nan_is_suppressed_and_bad_input_refused(cooc) -> None:
    numeric = cooc.replace("c", NA).astype(float)
    chart = cooccurrence_heatmap(numeric, **CONTEXT)
    assert "2 pairs are suppressed (small number)" in chart.alt_text
    chart.close()
    with pytest.raises(ValueError, match="empty"):
        cooccurrence_heatmap(pd.DataFrame(), **CONTEXT)
    with pytest.raises(ValueError, match="same flags"):
        cooccurrence_heatmap(cooc.iloc[:, ::-1], **CONTEXT)
    odd = cooc.rename(index={"care_leaver": "shoe_size"}, columns={"care_leaver": "shoe_size"})
    with pytest.raises(ValueError, match="shoe_size"):
        cooccurrence_heatmap(odd, **CONTEXT)
    with pytest.raises(ValueError, match="two"):
        cooccurrence_heatmap(cooc.iloc[:1, :1], **CONTEXT)


# --------------------------------------------------------------------------- the Chart


def test_chart_save_to_directory_html_and_no_leaked_figures(risk_table, tmp_path) -> None:
    before = plt.get_fignums()
    for _ in range(3):
        chart = local_vs_national(risk_table, ["risk.domestic_abuse"], **CONTEXT)
        path = chart.save(tmp_path / "out")
        assert path == tmp_path / "out" / "local_vs_national.png"
        assert path.read_bytes().startswith(PNG_MAGIC)
        html = chart.to_html()
        # 25 yes of 39 known and 6 not known: 25 of the 45 cases, as the review counted
        assert ('alt="Domestic abuse in 56% of all cases (as the review counted) against 64% '
                'nationally: no clear difference.') in html
        assert "<figcaption>" in html and "data:image/png;base64," in html
        chart.close()
    assert plt.get_fignums() == before
    with pytest.raises(AttributeError):
        chart.title = "changed"  # type: ignore[misc]


def test_png_bytes_match_across_processes_without_pyplot(risk_table, tmp_path) -> None:
    """A fresh interpreter (no pyplot, no test set-up) draws the very same PNG."""
    import subprocess
    import sys

    public = hide(risk_table, "risk.care_leaver")
    public.to_pickle(tmp_path / "table.pkl")
    script = (
        "import sys, pandas as pd\n"
        "from audit.charts import local_vs_national\n"
        f"table = pd.read_pickle({str(tmp_path / 'table.pkl')!r})\n"
        "chart = local_vs_national(table, ['risk.domestic_abuse', 'risk.care_leaver'],\n"
        f"    **{CONTEXT!r})\n"
        f"chart.save({str(tmp_path / 'fresh.png')!r})\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)
    here = local_vs_national(public, ["risk.domestic_abuse", "risk.care_leaver"], **CONTEXT)
    assert (tmp_path / "fresh.png").read_bytes() == here.png_bytes()
    here.close()
