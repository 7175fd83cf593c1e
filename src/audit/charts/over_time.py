"""Charts over time: a measure quarter by quarter, and its statistical process control chart.

Both take a protected table (:func:`audit.disclosure.protect`): a quarter whose figures are
``c`` there is drawn as a gap with a ``c`` label — no point, no band, no control limit — and
is "suppressed (small number)" in the alt text. Nothing is suppressed here: the board's
tables show every quarter, the public's hide what the attack requires.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.transforms import blended_transform_factory

from audit.charts.style import (
    AF_CATEGORICAL,
    REFERENCE_COLOUR,
    SPECIAL_COLOUR,
    SUPPRESSED_WORDS,
    TEXT_COLOUR,
    Chart,
    Frame,
    Item,
    c_marker,
    caption_text,
    drawn,
    framed,
    halo,
    item_of,
    line_handle,
    lower_first,
    number,
    pct,
    percent_axis,
    percent_limit,
    point_handle,
    require_frame,
    require_text,
    sentence,
)
from audit.contract import metric_label
from audit.formatting import p_chart_points

__all__ = ["trend_chart", "spc_chart", "period_span"]

_PERIOD_COLUMNS = ("period", "quarter", "label")


def _period_sort_key(label: str) -> tuple:
    text = str(label)
    if len(text) >= 4 and text[:4].isdigit():
        quarter = int(text[-1]) if "-Q" in text and text[-1].isdigit() else 5
        return (0, int(text[:4]), quarter, text)
    return (1, 0, 0, text)


def _period_column(frame: pd.DataFrame) -> str:
    for column in _PERIOD_COLUMNS:
        if column in frame.columns:
            return column
    raise ValueError(
        "the table needs a 'period' (or 'quarter' / 'label') column naming each quarter"
    )


def period_span(labels: Sequence[str]) -> str:
    """``2023-Q2 to 2025-Q3`` (or the one label)."""
    if not labels:
        return "no periods"
    return labels[0] if len(labels) == 1 else f"{labels[0]} to {labels[-1]}"


def _unit(labels: Sequence[str]) -> str:
    return "quarters" if all("-Q" in str(label) for label in labels) else "periods"


def _with_gaps(rows: pd.DataFrame, column: str) -> pd.DataFrame:
    """``rows`` with a not-available row for every quarter between the first and the last
    that has none: a time axis keeps its spacing (two quarters a year apart are not drawn
    side by side)."""
    labels = [str(q) for q in rows[column]]
    if len(labels) < 2 or not all(re.fullmatch(r"\d{4}-Q[1-4]", q) for q in labels):
        return rows
    numbers = {int(q[:4]) * 4 + int(q[-1]) - 1 for q in labels}
    missing = [n for n in range(min(numbers), max(numbers) + 1) if n not in numbers]
    if not missing:
        return rows
    blank = {c: np.nan for c in rows.columns}
    extra = pd.DataFrame(
        [
            {**blank, column: f"{n // 4}-Q{n % 4 + 1}", "numerator": 0, "denominator": 0}
            for n in missing
        ]
    )
    if "metric" in rows.columns:
        extra["metric"] = rows["metric"].iloc[0]
    return pd.concat([rows.astype(object), extra.astype(object)], ignore_index=True)


def _time_frame(
    title: str, caption: str, labels: Sequence[str], *, legend: float, right: float
) -> Frame:
    """The layout of a chart over time: a plot 3.8 inches high, with room under it for the
    period labels (slanted when there are more than eight: :func:`_period_axis`)."""
    axis = 1.35 if len(labels) > 8 else 0.95
    return framed(title, caption, legend=legend, plot=3.8, axis=axis, left=1.2, right=right)


def _period_axis(ax, labels: Sequence[str]) -> None:
    xs = np.arange(len(labels))
    ax.set_xticks(xs)
    rotate = len(labels) > 8
    ax.set_xticklabels(
        labels,
        rotation=45 if rotate else 0,
        ha="right" if rotate else "center",
        rotation_mode="anchor" if rotate else "default",
    )
    ax.set_xlim(-0.5, len(labels) - 0.5)
    ax.set_xlabel("Quarter" if _unit(labels) == "quarters" else "Period")


def trend_chart(
    history: pd.DataFrame,
    metric: str,
    national_rate: float | None = None,
    *,
    source: str,
    place: str,
    period: str | None = None,
    title: str | None = None,
    name: str | None = None,
    few_cases: Sequence[str] = (),
) -> Chart:
    """A metric's rate quarter by quarter, with its 95% Wilson band and the national figure.

    ``history`` holds protected quarterly rows (``period``, ``metric``, ``numerator``,
    ``denominator``, ``rate``, ``ci_low``, ``ci_high``), all metrics or just ``metric``'s; a
    series without a ``metric`` column is taken as ``metric``'s. Periods are sorted in time
    order. ``national_rate`` (0-1), when given, is a dashed reference line labelled with its
    value (the review's figure is one number for 2021, not a trend). A quarter whose rate is
    ``c`` has no point, no band and a ``c`` label. Quarters are placed on a real time axis:
    a quarter between two recorded ones with no row is drawn as ``:`` (not available), not
    closed up. ``few_cases`` names quarters resting on too few cases to carry a claim: they
    are drawn hollow and named in the caption. The title is ``title`` (the change claim of
    :mod:`audit.claims`, earned by a test for trend); without one it states no verdict.

    Long on purpose (over 80 lines): the checks of the table, then the title, the caption
    and the alt text in the order a reader meets them, so that what the picture says and
    what the alt text says are written side by side and read against each other.
    """
    require_frame(history, ("rate",), "the quarterly table")
    require_text(source=source, place=place)
    label = metric_label(metric)
    column = _period_column(history)
    rows = history
    if "metric" in rows.columns:
        rows = rows.loc[rows["metric"].astype(str) == metric]
        if rows.empty:
            raise ValueError(f"metric {metric!r} is not in the quarterly table")
    if rows[column].astype(str).duplicated().any():
        raise ValueError(f"a period appears twice for {metric!r}")
    national = None
    if national_rate is not None:
        national = number(national_rate)
        if national is None or not 0 <= national <= 1:
            raise ValueError(f"national_rate must be a rate between 0 and 1; got {national_rate!r}")

    rows = _with_gaps(rows, column)
    ordered = sorted(range(len(rows)), key=lambda i: _period_sort_key(str(rows.iloc[i][column])))
    labels = [str(rows.iloc[i][column]) for i in ordered]
    points = [
        item_of(rows.iloc[i].drop(labels=["national_rate"], errors="ignore"), metric, set(), label)
        for i in ordered
    ]
    few = [i for i, q in enumerate(labels) if q in set(few_cases) and points[i].shown]
    period_text = period or period_span(labels)
    unit = _unit(labels)

    if title is None:  # no verdict without a claim that earns it
        title = f"{label}, {unit[:-1]} by {unit[:-1]}, {period_span(labels)}"

    any_hidden = any(p.status == "suppressed" for p in points)
    caption = caption_text(
        f"percentage of cases with '{lower_first(label)}' each {unit[:-1]}, of those where it "
        "was recorded (unknowns excluded); shaded band: 95% Wilson confidence interval",
        place=place,
        period=period_text,
        source=source,
        national=national is not None,
        suppressed=any_hidden,
        extra=" ".join(
            text
            for text in (
                "':' = not available (no cases recorded)."
                if any(p.status == "unavailable" for p in points)
                else "",
                f"Hollow points ({', '.join(labels[i] for i in few)}): fewer than 5 cases "
                "recorded, too few to carry a statement about change."
                if few
                else "",
            )
            if text
        ),
    )
    values = "; ".join(
        f"{labels[i]}: {p.local_words().replace(' locally', '').replace('local figure ', '')}"
        for i, p in enumerate(points)
    )
    alt_text = (
        f"{sentence(title)} Line chart of the percentage of cases with "
        f"'{lower_first(label)}' in {place}, for each of {len(points)} {unit} from "
        f"{period_span(labels)}, with a shaded 95% confidence interval. {sentence(values)}"
    )
    if national is not None:
        alt_text += (
            f" A dashed line marks the national figure from the 2021 review, {pct(national)}."
        )

    return drawn(
        name or f"trend_{metric.replace('.', '_')}",
        _draw_trend,
        points,
        labels,
        national,
        title=title,
        caption=caption,
        alt_text=alt_text,
        place=place,
        few=few,
    )


def _draw_trend(
    points: list[Item],
    labels: list[str],
    national: float | None,
    title: str,
    caption: str,
    place: str,
    few: Sequence[int] = (),
) -> Figure:
    """The rate as a line with its 95% band, hollow and ``c`` points, and the national line.

    Long on purpose (over 80 lines): a drawing recipe, layer by layer in the order the
    layers stack, that reads top to bottom as the picture is built; split, every piece
    would need the same axes, positions and colours handed to it."""
    frame = _time_frame(
        title, caption, labels, legend=0.55, right=2.3 if national is not None else 1.0
    )
    ax = frame.ax

    colour = AF_CATEGORICAL[0]
    xs = np.arange(len(points), dtype=float)
    rate = np.array([p.local_rate * 100 if p.shown else np.nan for p in points])
    low = np.array([p.ci_low * 100 if p.shown and p.ci_low is not None else np.nan for p in points])
    high = np.array(
        [p.ci_high * 100 if p.shown and p.ci_high is not None else np.nan for p in points]
    )
    highest = max(
        [v for v in (*high, *rate) if not np.isnan(v)]
        + ([national * 100] if national is not None else [0.0]),
        default=0.0,
    )
    limit = percent_limit(highest / 100)
    ax.fill_between(xs, low, high, color=colour, alpha=0.18, linewidth=0, zorder=1)
    for i in range(len(points)):  # a point with no shown neighbour gets its own band
        if not np.isnan(low[i]) and all(
            j < 0 or j >= len(points) or np.isnan(low[j]) for j in (i - 1, i + 1)
        ):
            ax.fill_between(
                [xs[i] - 0.14, xs[i] + 0.14],
                [low[i]] * 2,
                [high[i]] * 2,
                color=colour,
                alpha=0.18,
                linewidth=0,
                zorder=1,
            )
    ax.plot(
        xs,
        rate,
        color=colour,
        linewidth=2.2,
        marker="o",
        markersize=7,
        markeredgecolor="white",
        markeredgewidth=1.2,
        zorder=3,
    )
    for i in few:  # hollow: too few cases to carry a claim
        ax.plot(
            xs[i],
            rate[i],
            marker="o",
            markersize=7,
            markerfacecolor="white",
            markeredgecolor=colour,
            markeredgewidth=1.8,
            linestyle="none",
            zorder=4,
        )
    for x, point in zip(xs, points, strict=True):
        if point.status == "suppressed":
            c_marker(ax, x, limit)
        elif point.status == "unavailable":
            ax.text(
                x,
                limit * 0.03,
                ":",
                ha="center",
                va="bottom",
                fontsize=13,
                fontweight="bold",
                color=TEXT_COLOUR,
            )
    shown = [i for i, p in enumerate(points) if p.shown]
    if shown:
        last = shown[-1]
        ax.text(
            xs[last] + 0.12,
            rate[last] + 2.5,
            pct(points[last].local_rate),
            ha="left",
            va="bottom",
            fontsize=12,
            color=TEXT_COLOUR,
            path_effects=halo(),
            zorder=6,
        )
    if national is not None:
        ax.axhline(national * 100, color=REFERENCE_COLOUR, linestyle="--", linewidth=1.8, zorder=2)
        blend = blended_transform_factory(ax.transAxes, ax.transData)
        ax.text(
            1.02,
            national * 100,
            f"National (2021\nreview): {pct(national)}",
            transform=blend,
            ha="left",
            va="center",
            fontsize=11,
            color=TEXT_COLOUR,
            clip_on=False,
        )
    _period_axis(ax, labels)
    percent_axis(ax, "y", limit)
    ax.grid(axis="y", visible=True)
    handles = [
        line_handle(
            colour,
            f"Local ({place})",
            linewidth=2.2,
            marker="o",
            markersize=7,
            markeredgecolor="white",
        ),
        Patch(facecolor=colour, alpha=0.18, label="95% confidence interval"),
    ]
    if national is not None:
        handles.append(
            line_handle(REFERENCE_COLOUR, "National (2021 review)", linestyle="--", linewidth=1.8)
        )
    frame.legend(handles, caption, ncols=len(handles), handlelength=2.2, columnspacing=1.4)
    return frame.figure


# --------------------------------------------------------------------------- SPC (p-chart)


def spc_chart(
    chart: pd.DataFrame,
    *,
    metric: str,
    source: str,
    place: str,
    period: str | None = None,
    title: str | None = None,
    min_points: int = 1,
    name: str | None = None,
) -> Chart:
    """A p-chart (:func:`audit.measures.spc.p_chart`) in the Making Data Count manner, with its
    reading.

    Points joined by a line; the centre line (average) solid; the 3-sigma control limits as
    dashed stepped lines (they vary with each quarter's cases). Special-cause points
    (outside the limits or in a run of 7 or more on one side) are dark pink diamonds,
    common-cause points blue circles: shape and colour, and the legend says which. The alt
    text and title state :func:`audit.measures.spc.spc_reading`.

    ``chart`` is protected: a quarter whose figures are ``c`` is a gap with a ``c`` label and
    no limits. With fewer than ``min_points`` quarters of data the limits are not yet to be
    trusted (NHS England, Making Data Count): the chart is drawn as a **run chart** — points
    and the average only, no limits, no verdict in the title nor a cause in the legend — and
    says how many more quarters the control chart needs.

    Long on purpose (over 80 lines): the checks of the table, then the title, the caption
    and the alt text in the order a reader meets them, so that what the picture says and
    what the alt text says are written side by side and read against each other.
    """
    from audit.measures.spc import spc_reading

    require_frame(
        chart,
        (
            "label",
            "numerator",
            "denominator",
            "rate",
            "centre",
            "lower",
            "upper",
            "side",
            "run_length",
            "outside",
            "run",
        ),
        "the p-chart",
    )
    require_text(source=source, place=place)
    label = metric_label(metric)
    labels = [str(v) for v in chart["label"]]
    hide, rate, points = p_chart_points(chart)
    run_chart = points < int(min_points)
    reading = spc_reading(chart, unit=_unit(labels))
    special = (
        (np.asarray(chart["outside"], dtype=bool) | np.asarray(chart["run"], dtype=bool))
        & ~hide
        & ~np.isnan(rate)
    )
    if run_chart:
        special = np.zeros(len(labels), dtype=bool)
    centre = number(chart["centre"].iloc[0])
    period_text = period or period_span(labels)
    unit = _unit(labels)
    more = int(min_points) - points

    if title is None:  # the claim of audit.claims, which sections pass in (built once)
        from audit.claims import spc_claim

        title = spc_claim(chart, metric, min_points=min_points).text
    if run_chart:
        kind = (
            f"Run chart: the line is the average over all {unit}. A control chart needs "
            f"at least {min_points} {unit} (NHS England, Making Data Count); "
            f"{more} more to go"
        )
    else:
        kind = (
            "Statistical process control p-chart: centre line = average over all "
            f"{unit}; control limits = average ± 3 standard errors for each "
            f"{unit[:-1]}'s cases. Special cause (NHS England, Making Data Count): a point "
            "outside the limits, or 7 or more in a row on one side of the average"
        )
    caption = caption_text(
        f"percentage of cases with '{lower_first(label)}' each {unit[:-1]}, unknowns excluded. "
        + kind,
        place=place,
        period=period_text,
        source=source,
        national=False,
        suppressed=bool(hide.any()),
    )

    def words(i: int) -> str:
        if hide[i]:
            return f"{labels[i]}: {SUPPRESSED_WORDS}"
        if np.isnan(rate[i]):
            return f"{labels[i]}: not available (no cases recorded)"
        note = " (special cause)" if special[i] else ""
        return f"{labels[i]}: {pct(rate[i])}{note}"

    what = "Run chart" if run_chart else "Statistical process control chart (p-chart)"
    alt_text = (
        f"{sentence(title)} {what} of the percentage of cases with "
        f"'{lower_first(label)}' in {place}, for {len(labels)} {unit} from "
        f"{period_span(labels)}."
    )
    if centre is not None:
        alt_text += f" The average is {pct(centre)}."
        if run_chart:
            alt_text += (
                f" No control limits are drawn until {min_points} {unit} are "
                f"recorded ({more} more)."
            )
        else:
            alt_text += (
                f" The control limits are three standard errors either side. Reading: {reading}."
            )
    alt_text += " " + sentence("; ".join(words(i) for i in range(len(labels))))

    nan = np.full(len(labels), np.nan)
    lower = (
        nan
        if run_chart
        else pd.to_numeric(chart["lower"].where(~hide), errors="coerce").to_numpy(dtype=float)
    )
    upper = (
        nan
        if run_chart
        else pd.to_numeric(chart["upper"].where(~hide), errors="coerce").to_numpy(dtype=float)
    )
    prefix = "run" if run_chart else "spc"
    return drawn(
        name or f"{prefix}_{metric.replace('.', '_')}",
        _draw_spc,
        labels,
        rate,
        lower,
        upper,
        centre,
        special,
        hide,
        title=title,
        caption=caption,
        alt_text=alt_text,
        limits=not run_chart,
    )


def _draw_spc(
    labels: list[str],
    rate: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    centre: float | None,
    special: np.ndarray,
    hidden: np.ndarray,
    title: str,
    caption: str,
    *,
    limits: bool = True,
) -> Figure:
    frame = _time_frame(title, caption, labels, legend=0.85, right=1.0)
    ax = frame.ax
    xs = np.arange(len(labels), dtype=float)
    highest = np.nanmax(np.concatenate([rate, upper if limits else rate, [0.0]]))
    limit = percent_limit(float(highest))

    if centre is not None:
        ax.axhline(centre * 100, color=REFERENCE_COLOUR, linewidth=1.8, zorder=2)
    if limits:
        for bound in (upper, lower):
            ax.plot(
                xs,
                bound * 100,
                drawstyle="steps-mid",
                color=REFERENCE_COLOUR,
                linestyle="--",
                linewidth=1.4,
                zorder=2,
            )
    ax.plot(xs, rate * 100, color=AF_CATEGORICAL[0], linewidth=1.4, zorder=3)
    common = ~special & ~np.isnan(rate)
    causes = (  # common-cause points, then special-cause ones drawn over them
        (common, "o", 8, AF_CATEGORICAL[0], "Common cause"),
        (special, "D", 10, SPECIAL_COLOUR, "Special cause"),
    )
    for zorder, (points, marker, size, colour, _) in enumerate(causes, start=4):
        ax.plot(
            xs[points],
            rate[points] * 100,
            linestyle="none",
            marker=marker,
            markersize=size,
            color=colour,
            markeredgecolor="white",
            markeredgewidth=1.2,
            zorder=zorder,
        )
    for x in xs[hidden]:
        c_marker(ax, x, limit)
    _period_axis(ax, labels)
    percent_axis(ax, "y", limit)
    if limits:
        handles = [
            point_handle(marker, colour, label, size=size)
            for _, marker, size, colour, label in causes
        ]
        handles.append(line_handle(REFERENCE_COLOUR, "Average", linewidth=1.8))
        handles.append(
            line_handle(REFERENCE_COLOUR, "Control limits (3 sigma)", linestyle="--", linewidth=1.4)
        )
    else:  # no limits, so no verdict: the points are each period's figure, not a cause
        _, marker, size, colour, _ = causes[0]
        each = f"Percentage each {_unit(labels)[:-1]}"
        handles = [
            point_handle(marker, colour, each, size=size),
            line_handle(REFERENCE_COLOUR, "Average", linewidth=1.8),
        ]
    frame.legend(handles, caption, ncols=2, handlelength=2.2, columnspacing=1.4)
    return frame.figure
