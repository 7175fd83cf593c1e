"""Partnerships compared: each partnership's rate against its cases, inside funnel limits.

Funnel limits as Spiegelhalter (2005) draws them (:func:`audit.measures.spc.funnel_limits`);
the table is protected (:func:`audit.disclosure.protect`): a partnership whose figures are ``c`` is
named as suppressed, never plotted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from audit.charts.style import (
    AF_CATEGORICAL,
    REFERENCE_COLOUR,
    SPECIAL_COLOUR,
    SUPPRESSED_WORDS,
    TEXT_COLOUR,
    Chart,
    caption_text,
    drawn,
    framed,
    halo,
    line_handle,
    lower_first,
    number,
    pct,
    percent_axis,
    point_handle,
    require_frame,
    require_text,
    sentence,
)
from audit.contract import metric_label
from audit.formatting import is_suppressed

if TYPE_CHECKING:
    from matplotlib.typing import LineStyleType

__all__ = ["funnel_plot"]


@dataclass(frozen=True)
class _Point:
    """One plotted partnership: its rate, its number of cases and where it falls."""

    name: str
    rate: float
    n: int
    state: str  # "within", "wide" (outside the widest limits) or "strict"
    above: bool  # above the target
    position: str  # the table's own words for where it falls, if any


# --------------------------------------------------------------------------- funnel plot


def funnel_plot(
    table: pd.DataFrame,
    *,
    source: str,
    place: str,
    period: str,
    title: str | None = None,
    by: str = "partnership",
    method: str = "exact",
    name: str | None = None,
) -> Chart:
    """Partnerships' rates against their numbers of cases, inside 95% and 99.8% funnel limits.

    ``table`` is a protected :func:`audit.measures.spc.funnel_table` for one metric; ``place``
    names the whole
    geography (e.g. "three partnerships pooled"). The target is a solid line labelled with
    its basis and value; the 95% limits are dashed, the 99.8% limits dotted (line style, not
    colour, tells them apart), drawn as smooth curves with ``method``. Each point is labelled
    with its partnership's name; a point outside the 95% limits is a dark pink triangle,
    outside the 99.8% limits a dark pink diamond, inside a blue circle.

    A partnership whose numerator or denominator is ``c`` is not plotted: it is named in the
    caption and alt text as suppressed, with no value.

    Long on purpose (over 80 lines): the checks of the table, then the title, the caption
    and the alt text in the order a reader meets them, so that what the picture says and
    what the alt text says are written side by side and read against each other.
    """
    from audit.measures.spc import funnel_limits

    require_frame(
        table, (by, "metric", "numerator", "denominator", "rate", "target"), "the funnel table"
    )
    require_text(source=source, place=place, period=period)
    metrics = table["metric"].astype(str).unique()
    if len(metrics) != 1:
        raise ValueError("the funnel table must hold one metric")
    metric = str(metrics[0])
    label = metric_label(metric)
    levels = sorted(
        {c.removeprefix("lower_") for c in table.columns if c.startswith("lower_")},
        key=lambda s: float(s.replace("_", ".")),
    )
    if not levels:
        raise ValueError("the funnel table has no limit columns (lower_95, ...)")
    board = table
    target = number(table["target"].iloc[0])
    if target is None:
        raise ValueError("the funnel table has no target rate")
    basis = str(table["target_basis"].iloc[0]) if "target_basis" in table.columns else "given"
    # The centre line is never called a target: a "target" is only one the board set
    # (audit.measures.targets); this line is the pooled rate or the review's figure.
    basis_words = {
        "pooled": "pooled rate of all the partnerships",
        "national": "national figure (2021 review)",
    }.get(basis, "centre line")
    centre = {"pooled": "Pooled rate", "national": "National figure (2021 review)"}.get(
        basis, "Centre line"
    )

    names = [str(v) for v in board[by]]
    shown: list[_Point] = []
    suppressed: list[str] = []
    empty: list[str] = []
    widest, strictest = levels[0], levels[-1]
    for i, partnership in enumerate(names):
        row = board.iloc[i]
        rate = number(row["rate"])
        den = number(row["denominator"])
        if any(is_suppressed(row[c]) for c in ("numerator", "denominator", "rate")):
            suppressed.append(partnership)
        elif rate is None or not den:
            empty.append(partnership)
        else:
            outside = {lv: bool(row.get(f"outside_{lv}", False)) for lv in levels}
            state = "strict" if outside[strictest] else "wide" if outside[widest] else "within"
            above = rate > target
            shown.append(
                _Point(
                    name=partnership,
                    rate=rate,
                    n=int(den),
                    state=state,
                    above=above,
                    position=str(row.get("position", "")),
                )
            )

    def level_words(suffix: str) -> str:
        return suffix.replace("_", ".") + "%"

    if title is None:  # the claim of audit.claims, which sections pass in (built once)
        from audit.claims import funnel_claim

        title = funnel_claim(table, by=by).text

    extra = []
    if suppressed:
        extra.append(f"Not shown, to protect small numbers: {', '.join(suppressed)}.")
    if empty:
        extra.append(f"No cases recorded: {', '.join(empty)}.")
    caption = caption_text(
        f"percentage of cases with '{lower_first(label)}', unknowns excluded, against the "
        f"number of cases where it was recorded. Centre line: {basis_words}, {pct(target)}. "
        f"Funnel limits: {' and '.join(level_words(lv) for lv in levels)}, exact binomial "
        "(Spiegelhalter 2005)",
        place=place,
        period=period,
        source=source,
        national=basis == "national",
        suppressed=bool(suppressed),
        extra=" ".join(extra),
    )
    details = "; ".join(
        f"{p.name}: {pct(p.rate)} of {p.n} cases, "
        f"{p.position or ('outside the limits' if p.state != 'within' else 'within the limits')}"
        for p in shown
    )
    alt_text = (
        f"{sentence(title)} Funnel plot of the percentage of cases with "
        f"'{lower_first(label)}' for {len(names)} partnerships ({place}), {period}, "
        f"each against its number of cases, with "
        f"{' and '.join(level_words(lv) for lv in levels)} control "
        f"limits around the {basis_words} of {pct(target)}."
    )
    if details:
        alt_text += " " + sentence(details)
    if suppressed:
        alt_text += f" {', '.join(suppressed)}: {SUPPRESSED_WORDS}, not plotted."
    if empty:
        alt_text += f" {', '.join(empty)}: no cases recorded."

    max_n = max((p.n for p in shown), default=10)
    grid = np.unique(np.round(np.geomspace(1, max(2, max_n * 1.15), 400)).astype(int))
    curves = funnel_limits(
        grid, target, [float(lv.replace("_", ".")) / 100 for lv in levels], method=method
    )
    return drawn(
        name or f"funnel_{metric.replace('.', '_')}",
        _draw_funnel_plot,
        shown,
        curves,
        levels,
        target,
        f"{centre}: {pct(target)}",
        title=title,
        caption=caption,
        alt_text=alt_text,
    )


def _draw_funnel_plot(
    shown: list[_Point],
    curves: pd.DataFrame,
    levels: list[str],
    target: float,
    centre: str,
    title: str,
    caption: str,
) -> Figure:
    frame = framed(title, caption, legend=0.85, plot=4.2, axis=0.95, left=1.2, right=1.0)
    ax = frame.ax
    styles: list[LineStyleType] = ["--", ":", "-."]
    n = curves["denominator"].to_numpy(dtype=float)
    ax.axhline(target * 100, color=REFERENCE_COLOUR, linewidth=1.8, zorder=2)
    handles = [line_handle(REFERENCE_COLOUR, centre, linewidth=1.8)]
    for i, suffix in enumerate(levels):
        style = styles[i % len(styles)]
        for side in ("lower", "upper"):
            ax.plot(
                n,
                curves[f"{side}_{suffix}"].to_numpy() * 100,
                color=REFERENCE_COLOUR,
                linestyle=style,
                linewidth=1.5,
                zorder=2,
            )
        handles.append(
            line_handle(
                REFERENCE_COLOUR,
                f"{suffix.replace('_', '.')}% limits",
                linestyle=style,
                linewidth=1.5,
            )
        )
    markers = {
        "within": ("o", AF_CATEGORICAL[0], 8),
        "wide": ("^", SPECIAL_COLOUR, 10),
        "strict": ("D", SPECIAL_COLOUR, 10),
    }
    for p in shown:
        marker, colour, size = markers[p.state]
        ax.plot(
            [p.n],
            [p.rate * 100],
            linestyle="none",
            marker=marker,
            color=colour,
            markersize=size,
            markeredgecolor="white",
            markeredgewidth=1.2,
            zorder=5,
        )
        ax.annotate(
            p.name,
            (p.n, p.rate * 100),
            xytext=(8, 6),
            textcoords="offset points",
            fontsize=11.5,
            color=TEXT_COLOUR,
            zorder=6,
            path_effects=halo(),
        )
    handles += [
        point_handle("o", AF_CATEGORICAL[0], "Within the limits", size=8),
        point_handle("^", SPECIAL_COLOUR, f"Outside {levels[0].replace('_', '.')}%", size=10),
    ]
    if len(levels) > 1:
        handles.append(
            point_handle("D", SPECIAL_COLOUR, f"Outside {levels[-1].replace('_', '.')}%", size=10)
        )
    ax.set_xlim(0, float(n.max()) * 1.02)
    ax.set_xlabel("Number of cases where it was recorded")
    percent_axis(ax, "y", 100)
    ax.grid(axis="x", visible=False)
    frame.legend(handles, caption, ncols=3, handlelength=2.4, columnspacing=1.2)
    return frame.figure
