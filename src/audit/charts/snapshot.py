"""Snapshot charts: one period's figures — against the national review, by engagement step,
by service level, risk factors together, and partnerships against funnel limits.

Each takes a protected table (:func:`audit.disclosure.protect`): a figure that is ``c``
there is drawn as no bar or point, with a ``c`` label, and is "suppressed (small number)"
in the alt text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.transforms import blended_transform_factory

from audit.charts.style import (
    AF_CATEGORICAL,
    TEXT_COLOUR,
    WIDTH,
    Chart,
    Item,
    caption_block,
    caption_text,
    drawn,
    framed,
    halo,
    item_of,
    line_handle,
    lower_first,
    number,
    pct,
    pct0,
    percent_axis,
    point_handle,
    require_frame,
    require_text,
    rows_by_metric,
    sentence,
    wrap,
)
from audit.contract import (
    ENGAGEMENT_FUNNEL,
    KNOWN_TO_CODES,
    flag_metric_id,
    metric_label,
    rate_base_words,
)
from audit.formatting import format_percent

__all__ = [
    "local_vs_national",
    "engagement_funnel_chart",
    "service_contact_chart",
]


# --------------------------------------------------------------------------- local vs national


def _finding_vs_national(
    items: Sequence[Item], what: str = "figures", rank: str | None = None
) -> str:
    """The active title for local-against-national bars: a difference that survives the
    adjustment, else ``rank`` (a rank claim of :mod:`audit.claims`, true over the whole
    set), else the figures without a verdict. A local figure beside the national one is the
    one the test compares: a risk factor's as the review counted it (out of every case)."""
    shown = [i for i in items if i.shown]
    if not shown:
        return f"Local {what} suppressed to protect small numbers"
    compared = [i for i in shown if i.national is not None]
    significant = [i for i in compared if i.p_value is not None and i.p_value < 0.05]
    if significant:
        best = max(significant, key=lambda i: (abs(_tested(i) - i.national_rate), -items.index(i)))
        direction = "higher" if _tested(best) > best.national_rate else "lower"
        return (
            f"{best.label} {direction} than nationally: {_against(best)} {pct0(best.national_rate)}"
        )
    if compared and all(i.p_value is None for i in compared):
        best = max(compared, key=lambda i: (abs(_tested(i) - i.national_rate), -items.index(i)))
        return f"{best.label} in {_against(best)} {pct0(best.national_rate)} nationally"
    if rank is not None:
        return rank
    if len(compared) == 1:
        one = compared[0]
        return (
            f"{one.label} in {_against(one)} {pct0(one.national_rate)} nationally: "
            "no clear difference"
        )
    if compared:
        return (
            f"Local {what} against the national review: no clear difference in any of the "
            f"{len(compared)} comparisons, once adjusted for their number"
        )
    hidden = sum(1 for i in items if i.status == "suppressed")
    if hidden:  # the few left shown are not the finding: say how many the reader cannot see
        return f"Local {what}: {len(shown)} shown, {hidden} hidden to protect privacy"
    if len(shown) <= 3:  # the figures as charted, in chart order: no rank, no verdict
        return "; ".join(
            f"{i.label if n == 0 else lower_first(i.label)} in {pct0(i.local_rate)}"
            + (f" {rate_base_words(i.metric)}" if n == 0 else "")
            for n, i in enumerate(shown)
        )
    return f"Local {what}: no national figure to compare with"


def _tested(item: Item) -> float:
    """The local figure the national comparison tests (:attr:`Item.review_rate`)."""
    return item.review_rate if item.review_rate is not None else item.local_rate


def _against(item: Item) -> str:
    """The tested local figure and what it is a share of, before "against"."""
    if item.review_rate is not None:
        return f"{pct0(item.review_rate)} of all cases (as the review counted) against"
    return f"{pct0(item.local_rate)} {rate_base_words(item.metric)} against"


def local_vs_national(
    table: pd.DataFrame,
    metrics: Sequence[str],
    *,
    title: str | None = None,
    rank: str | None = None,
    period: str,
    source: str,
    place: str,
    name: str = "local_vs_national",
    what: str = "figures",
) -> Chart:
    """Horizontal bars of the local rate with 95% Wilson intervals, the national rate marked.

    ``table`` is a metrics table (``contract.METRICS_COLUMNS``), raw or suppressed;
    ``metrics`` the metric ids to show, top to bottom. A metric in ``suppressed``, or whose
    rate is ``c`` or NaN, is drawn as ``c`` with no bar (a NaN rate over a zero denominator
    is ``:``, not available). The title, unless given, states the finding: the largest clear
    (adjusted p < 0.05) difference from the national figure, else ``rank`` (a claim from
    :mod:`audit.claims`: the chart ranks nothing itself), else no verdict; ``what`` names the
    figures where the title has no measure to name ("Local risk-factor figures: 1 shown, 9
    hidden to protect privacy").
    """
    require_frame(
        table, ("metric", "rate", "ci_low", "ci_high", "national_rate"), "the metrics table"
    )
    require_text(period=period, source=source, place=place)
    metrics = list(metrics)
    if not metrics:
        raise ValueError("no metrics to chart: pass at least one metric id")
    if len(set(metrics)) != len(metrics):
        raise ValueError("a metric id is listed twice")
    rows = rows_by_metric(table)
    hidden: set[str] = set()
    items = []
    for metric in metrics:
        label = metric_label(metric)  # ValueError for an id outside the contract
        if metric not in rows:
            raise ValueError(f"metric {metric!r} is not in the metrics table")
        items.append(item_of(rows[metric], metric, hidden, label))

    title = title or _finding_vs_national(items, what, rank=rank)
    any_national = any(i.national is not None for i in items)
    any_hidden = any(i.status == "suppressed" for i in items)
    caption = caption_text(
        "percentage of cases with each factor, of those where it was recorded (unknowns "
        "excluded); lines show 95% Wilson confidence intervals",
        place=place,
        period=period,
        source=source,
        national=any_national,
        suppressed=any_hidden,
        extra="':' = not available or not published."
        if any(i.status == "unavailable" or i.national is None for i in items)
        else "",
    )
    details = "; ".join(f"{i.label}: {i.local_words()}, {i.national_words()}" for i in items)
    alt_text = (
        f"{sentence(title)} Horizontal bar chart of {len(items)} measures for {place}, "
        f"{period}: the percentage of cases locally, with its 95% confidence interval, and "
        f"the national figure from the review where one was published. {sentence(details)}"
    )

    return drawn(
        name,
        _draw_local_vs_national,
        items,
        title=title,
        caption=caption,
        alt_text=alt_text,
        place=place,
        any_national=any_national,
    )


def _draw_local_vs_national(
    items: list[Item], title: str, caption: str, place: str, any_national: bool
) -> Figure:
    """Local bars with their intervals, national diamonds, and columns of direct labels.

    Long on purpose (over 80 lines): a drawing recipe, layer by layer in the order the
    layers stack, that reads top to bottom as the picture is built; split, every piece
    would need the same axes, positions and colours handed to it."""
    n = len(items)
    left, right = 3.3, 1.9 if any_national else 1.0
    frame = framed(
        title, caption, legend=0.55, plot=max(1.2, 0.55 * n), axis=0.75, left=left, right=right
    )
    ax = frame.ax

    colour = AF_CATEGORICAL[0]
    ys = np.arange(n)[::-1]
    for item, y in zip(items, ys, strict=True):
        if item.shown:
            ax.barh(y, item.local_rate * 100, height=0.6, color=colour, zorder=2)
            if item.ci_low is not None and item.ci_high is not None:
                bars = ax.errorbar(
                    item.local_rate * 100,
                    y,
                    xerr=[
                        [max(0.0, (item.local_rate - item.ci_low) * 100)],
                        [max(0.0, (item.ci_high - item.local_rate) * 100)],
                    ],
                    fmt="none",
                    ecolor=TEXT_COLOUR,
                    elinewidth=1.6,
                    capsize=5,
                    capthick=1.6,
                    zorder=3,
                )
                for artist in (*bars.lines[1], *bars.lines[2]):
                    artist.set_path_effects([*halo(4.0), patheffects.Normal()])
        else:
            ax.text(
                1,
                y,
                item.label_text(),
                ha="left",
                va="center",
                fontsize=13,
                fontweight="bold",
                color=TEXT_COLOUR,
            )
        if item.national is not None:
            ax.plot(
                [item.national * 100],
                [y],
                linestyle="none",
                marker="D",
                markersize=9,
                color="black",
                markeredgecolor="white",
                markeredgewidth=1.5,
                zorder=4,
            )

    ax.set_yticks(ys)
    ax.set_yticklabels([wrap(i.label, 30) for i in items])
    ax.set_ylim(-0.6, n - 0.4)
    ax.tick_params(axis="y", length=0)
    percent_axis(ax, "x", 100)

    # Direct labels: a column of local values, and one of national values.
    axis_width = WIDTH - left - right
    blend = blended_transform_factory(ax.transAxes, ax.transData)
    columns = [("Local", 1 + 0.2 / axis_width, [i.label_text() for i in items])]
    if any_national:
        columns.append(
            (
                "National",
                1 + 1.05 / axis_width,
                [pct(i.national) if i.national is not None else ":" for i in items],
            )
        )
    for header, x, values in columns:
        ax.text(
            x,
            n - 0.45,
            header,
            transform=blend,
            ha="left",
            va="bottom",
            fontsize=12,
            fontweight="bold",
            color=TEXT_COLOUR,
        )
        for value, y in zip(values, ys, strict=True):
            ax.text(
                x, y, value, transform=blend, ha="left", va="center", fontsize=12, color=TEXT_COLOUR
            )

    handles = [
        Patch(facecolor=colour, label=f"Local ({place})"),
        line_handle(
            TEXT_COLOUR, "95% confidence interval", linewidth=1.6, marker="|", markersize=10
        ),
    ]
    if any_national:
        handles.append(point_handle("D", "black", "National (2021 review)", size=9))
    frame.legend(handles, caption, ncols=len(handles), handlelength=1.6, columnspacing=1.4)
    return frame.figure


# --------------------------------------------------------------------------- funnel


@dataclass(frozen=True)
class _Drop:
    """The biggest fall in the funnel, into ``after`` from the step before it."""

    before: Item
    after: Item
    size: float  # fraction lost (conditional) or fall in rate (points)
    conditional: bool  # True: 1 - step_rate; False: fall in percentage points

    def short(self) -> str:
        return f"{pct0(self.size)} lost" if self.conditional else _points(self.size)


def _funnel_flags(funnel: pd.DataFrame) -> list[str]:
    """The flag of each funnel row, from ``flag``, ``step`` or ``metric``."""
    known = set(ENGAGEMENT_FUNNEL)
    for column in ("flag", "step"):
        if column in funnel.columns:
            values = [str(v) for v in funnel[column]]
            if all(v in known for v in values) or column == "flag":
                flags = values
                break
    else:
        if "metric" not in funnel.columns:
            raise ValueError(
                "the engagement funnel needs a 'flag', 'step' or 'metric' column naming each step"
            )
        by_metric = {flag_metric_id(f): f for f in ENGAGEMENT_FUNNEL}
        flags = [by_metric.get(str(m), str(m)) for m in funnel["metric"]]
    unknown = [f for f in flags if f not in known]
    if unknown:
        raise ValueError(f"not a step of the engagement funnel: {', '.join(unknown)}")
    if len(set(flags)) != len(flags):
        raise ValueError("a funnel step is listed twice")
    return flags


def engagement_funnel_chart(
    funnel: pd.DataFrame,
    *,
    period: str,
    source: str,
    place: str,
    title: str | None = None,
    rank: str | None = None,
    nested: bool = False,
    name: str = "engagement_funnel",
) -> Chart:
    """The father-engagement steps in practice order, each as a percentage of the cases where
    it was recorded, with its 95% interval.

    ``funnel`` names each step by flag (a ``flag`` or ``step`` column holding
    ``contract.ENGAGEMENT_FUNNEL`` names, else ``metric`` ids) and has ``rate``, ``ci_low``,
    ``ci_high``. Only when the steps are ``nested`` in the data (every yes at a step is a yes
    at the step before) does the chart speak of cases "lost from the step before": then the
    biggest drop is the lowest ``step_rate`` (as
    :func:`audit.measures.engagement.biggest_drop` defines it), bracketed and stated in the
    title. Otherwise a father can be, say, contacted
    without enquiries beyond the mother, so the steps are not a funnel: the title is
    ``rank``, the lowest-step claim of :mod:`audit.claims` (true over every step), when
    given; the chart ranks nothing itself.

    Long on purpose (over 80 lines): the checks of the table, then the title, the caption
    and the alt text in the order a reader meets them, so that what the picture says and
    what the alt text says are written side by side and read against each other.
    """
    require_frame(funnel, ("rate",), "the engagement funnel")
    require_text(period=period, source=source, place=place)
    flags = _funnel_flags(funnel)
    order = {step: i for i, step in enumerate(ENGAGEMENT_FUNNEL)}
    hidden: set[str] = set()
    positions = sorted(range(len(flags)), key=lambda i: order[flags[i]])
    items: list[Item] = []
    step_rates: list[float | None] = []
    for position in positions:
        row = funnel.iloc[position]
        metric = flag_metric_id(flags[position])
        hide = hidden | ({metric} if flags[position] in hidden else set())
        data = row.drop(labels=["denominator"], errors="ignore").rename({"known": "denominator"})
        items.append(item_of(data, metric, hide))
        step_rate = row.get("step_rate")
        step_rates.append(None if metric in hide else number(step_rate))

    drop: _Drop | None = None
    if nested:
        for i in range(1, len(items)):
            rate = step_rates[i]
            if rate is not None and (drop is None or 1 - rate > drop.size + 1e-12):
                drop = _Drop(items[i - 1], items[i], 1 - rate, conditional=True)

    shown = [i for i in items if i.shown]
    if title is None:
        if drop is not None:
            title = (
                f"Biggest drop at '{lower_first(drop.after.label)}': "
                f"{pct0(drop.size)} of cases lost from the step before"
            )
        elif rank is not None:
            title = rank
        elif any(i.status == "suppressed" for i in items):
            n_hidden = sum(1 for i in items if i.status == "suppressed")
            title = (
                f"Father-engagement steps: {len(shown)} shown, {n_hidden} hidden to protect privacy"
            )
        elif len(shown) >= 2:
            title = (
                f"{shown[0].label} in {pct0(shown[0].local_rate)} "
                f"{rate_base_words(shown[0].metric)}; "
                f"{lower_first(shown[-1].label)} in {pct0(shown[-1].local_rate)}"
            )
        elif shown:
            title = (
                f"{shown[0].label} in {pct0(shown[0].local_rate)} "
                f"{rate_base_words(shown[0].metric)}"
            )
        else:
            title = "Father-engagement figures suppressed to protect small numbers"

    any_hidden = any(i.status == "suppressed" for i in items)
    caption = caption_text(
        "percentage of cases where each step was recorded as done, unknowns excluded; "
        "steps in the order practice takes them",
        place=place,
        period=period,
        source=source,
        national=False,
        suppressed=any_hidden,
        extra="':' = not available." if any(i.status == "unavailable" for i in items) else "",
    )
    listing = "; ".join(
        f"{i.label}: "
        f"{pct(i.local_rate) if i.shown else i.local_words().replace('local figure ', '')}"
        for i in items
    )
    alt_text = (
        f"{sentence(title)} Horizontal bar chart of {len(items)} father-engagement "
        f"steps in practice order for {place}, {period}, each as a percentage of "
        f"cases. {sentence(listing)}"
    )
    if drop is not None:
        alt_text += (
            f" The biggest drop was at '{drop.after.label}': of the cases with "
            f"'{lower_first(drop.before.label)}', {pct(1 - drop.size)} also had "
            f"'{lower_first(drop.after.label)}', so {pct(drop.size)} were lost."
        )
    elif len(shown) >= 2:
        alt_text += (
            " The steps are not nested in these cases (a father can be contacted "
            "without an earlier step being recorded), so each is a share of the "
            "cases where it was recorded, not of those that passed the step before."
        )

    return drawn(name, _draw_funnel, items, drop, title=title, caption=caption, alt_text=alt_text)


def _points(size: float) -> str:
    value = float(format_percent(size).rstrip("%"))
    return f"{value:g} percentage point{'s' if value != 1 else ''}"


def _draw_funnel(items: list[Item], drop, title: str, caption: str) -> Figure:
    n = len(items)
    frame = framed(
        title, caption, legend=0.2, plot=max(1.2, 0.55 * n), axis=0.75, left=3.3, right=2.0
    )
    ax = frame.ax

    colour = AF_CATEGORICAL[0]
    ys = np.arange(n)[::-1]
    for item, y in zip(items, ys, strict=True):
        if item.shown:
            ax.barh(y, item.local_rate * 100, height=0.6, color=colour, zorder=2)
            ax.text(
                item.local_rate * 100 + 1.5,
                y,
                item.label_text(),
                ha="left",
                va="center",
                fontsize=12,
                color=TEXT_COLOUR,
                clip_on=False,
            )
        else:
            ax.text(
                1.2,
                y,
                item.label_text(),
                ha="left",
                va="center",
                fontsize=12,
                fontweight="bold",
                color=TEXT_COLOUR,
            )
    if drop is not None:
        y0, y1 = ys[items.index(drop.before)], ys[items.index(drop.after)]
        ends = [i.local_rate for i in (drop.before, drop.after) if i.shown]
        x = max(ends, default=0.0) * 100 + 17
        ax.plot(
            [x, x + 1.5, x + 1.5, x],
            [y0, y0, y1, y1],
            color=TEXT_COLOUR,
            linewidth=1.4,
            clip_on=False,
            zorder=3,
        )
        ax.text(
            x + 3,
            (y0 + y1) / 2,
            f"Biggest drop:\n{drop.short()}",
            ha="left",
            va="center",
            fontsize=11,
            color=TEXT_COLOUR,
            clip_on=False,
        )
    ax.set_yticks(ys)
    ax.set_yticklabels([wrap(i.label, 30) for i in items])
    ax.set_ylim(-0.6, n - 0.4)
    ax.tick_params(axis="y", length=0)
    percent_axis(ax, "x", 100)  # labels and the bracket may run into the right margin
    caption_block(frame.figure, caption, height=frame.height)
    return frame.figure


# --------------------------------------------------------------------------- service contact


def service_contact_chart(
    table: pd.DataFrame,
    *,
    period: str,
    source: str,
    place: str,
    title: str | None = None,
    name: str = "service_contact",
) -> Chart:
    """Highest level of service involvement, local against national, as grouped bars.

    Uses the ``known_to.*`` rows of the metrics table in contract order (nationally 45, 24,
    12 and 11 of 92 for universal, Early Help, child in need and child protection plan). The
    national series is hatched so it is told apart without colour; every bar is labelled.
    """
    require_frame(table, ("metric", "rate", "national_rate"), "the metrics table")
    require_text(period=period, source=source, place=place)
    rows = rows_by_metric(table)
    metrics = [f"known_to.{c}" for c in KNOWN_TO_CODES if c != "unknown"]
    metrics = [m for m in metrics if m in rows]
    if not metrics:
        raise ValueError("the metrics table has no known_to.* rows to chart")
    hidden: set[str] = set()
    items = [item_of(rows[m], m, hidden) for m in metrics]

    title = title or _finding_vs_national(items, "service figures")
    any_national = any(i.national is not None for i in items)
    any_hidden = any(i.status == "suppressed" for i in items)
    caption = caption_text(
        "percentage of cases by the highest level of service involvement at the time of the "
        "abuse, of cases where it is known; one level per case",
        place=place,
        period=period,
        source=source,
        national=any_national,
        suppressed=any_hidden,
        extra="':' = no figure (not available or not published).",
    )
    details = "; ".join(
        f"{i.label}: {i.local_words(interval=False)}, {i.national_words()}" for i in items
    )
    alt_text = (
        f"{sentence(title)} Grouped bar chart of the highest level of service "
        f"involvement for {place}, {period}, against the national review. "
        f"{sentence(details)}"
    )

    return drawn(
        name,
        _draw_service_contact,
        items,
        title=title,
        caption=caption,
        alt_text=alt_text,
        place=place,
    )


def _draw_service_contact(items: list[Item], title: str, caption: str, place: str) -> Figure:
    frame = framed(title, caption, legend=0.55, plot=3.6, axis=1.3, left=1.2, right=0.4)
    ax = frame.ax

    local_colour, national_colour = AF_CATEGORICAL[0], AF_CATEGORICAL[1]
    xs = np.arange(len(items))
    width = 0.38
    highest = 0.0
    for item, x in zip(items, xs, strict=True):
        if item.shown:
            ax.bar(x - width / 2, item.local_rate * 100, width=width, color=local_colour, zorder=2)
            highest = max(highest, item.local_rate * 100)
        local_y = item.local_rate * 100 if item.shown else 0
        ax.text(
            x - width / 2,
            local_y + 1.2,
            item.label_text(),
            ha="center",
            va="bottom",
            fontsize=11.5,
            color=TEXT_COLOUR,
            fontweight="normal" if item.shown else "bold",
        )
        if item.national is not None:
            ax.bar(
                x + width / 2,
                item.national * 100,
                width=width,
                color=national_colour,
                hatch="//",
                edgecolor="white",
                linewidth=0.8,
                zorder=2,
            )
            highest = max(highest, item.national * 100)
            ax.text(
                x + width / 2,
                item.national * 100 + 1.2,
                pct(item.national),
                ha="center",
                va="bottom",
                fontsize=11.5,
                color=TEXT_COLOUR,
            )
        else:
            ax.text(
                x + width / 2,
                1.2,
                ":",
                ha="center",
                va="bottom",
                fontsize=11.5,
                fontweight="bold",
                color=TEXT_COLOUR,
            )
    ax.set_xticks(xs)
    ax.set_xticklabels([wrap(i.label, 14) for i in items])
    ax.tick_params(axis="x", length=0)
    limit = min(110.0, max(20.0, highest + 8))
    percent_axis(ax, "y", limit)
    ax.spines["left"].set_visible(False)
    handles = [
        Patch(facecolor=local_colour, label=f"Local ({place})"),
        Patch(
            facecolor=national_colour, hatch="//", edgecolor="white", label="National (2021 review)"
        ),
    ]
    frame.legend(handles, caption, ncols=2, handlelength=2.2, handleheight=1.2)
    return frame.figure
