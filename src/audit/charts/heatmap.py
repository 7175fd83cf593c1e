"""Which risk factors occur together: a heatmap of the cases with both factors, each pair.

The matrix is protected (:func:`audit.disclosure.protect`): a pair that is ``c`` there is a
grey cell with a ``c``, and "suppressed (small number)" in the alt text.
"""

from __future__ import annotations

import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from audit.charts.style import (
    AF_SEQUENTIAL,
    AXIS_COLOUR,
    NULL_COLOUR,
    SUPPRESSED_WORDS,
    TEXT_COLOUR,
    WIDTH,
    Chart,
    best_text_colour,
    caption_block,
    caption_text,
    drawn,
    framed,
    lower_first,
    number,
    require_frame,
    require_text,
    sentence,
    wrap,
)
from audit.contract import flag_metric_id, metric_label
from audit.formatting import SUPPRESSED

__all__ = ["cooccurrence_heatmap"]


# --------------------------------------------------------------------------- co-occurrence


def cooccurrence_heatmap(
    cooc: pd.DataFrame,
    *,
    period: str,
    source: str,
    place: str,
    title: str | None = None,
    name: str = "risk_cooccurrence",
) -> Chart:
    """Lower-triangle heatmap of how often two risk factors were recorded in the same case.

    ``cooc`` is square, indexed and columned by the same flag names (counts of cases with
    both 'yes'); the diagonal (cases with each factor) is not drawn. Every cell is annotated
    with its count (``c`` when suppressed: a ``c`` or NaN cell), in the AF sequential palette.

    Long on purpose (over 80 lines): the checks of the table, then the title, the caption
    and the alt text in the order a reader meets them, so that what the picture says and
    what the alt text says are written side by side and read against each other.
    """
    import seaborn as sns

    require_frame(cooc, (), "the co-occurrence matrix")
    require_text(period=period, source=source, place=place)
    flags = [str(c) for c in cooc.columns]
    if [str(i) for i in cooc.index] != flags:
        raise ValueError("the co-occurrence matrix must have the same flags on both axes")
    if len(flags) < 2:
        raise ValueError("the co-occurrence matrix needs at least two risk factors")
    labels = [metric_label(flag_metric_id(flag)) for flag in flags]

    n = len(flags)
    counts = np.full((n, n), np.nan)
    hidden = np.zeros((n, n), dtype=bool)
    for i in range(n):
        for j in range(n):
            value = number(cooc.iat[i, j])
            if value is None:
                hidden[i, j] = True
            else:
                counts[i, j] = value
    hidden |= hidden.T
    pairs = [(i, j) for i in range(1, n) for j in range(i)]
    shown_pairs = [(i, j) for i, j in pairs if not hidden[i, j]]
    hidden_pairs = [(i, j) for i, j in pairs if hidden[i, j]]

    def pair_words(i: int, j: int) -> str:
        return f"{labels[j]} with {lower_first(labels[i])}"

    ranked = sorted(shown_pairs, key=lambda p: (-counts[p], p[0], p[1]))
    if title is None:
        if hidden_pairs and ranked:  # a rank over a set with hidden members could be false
            title = (
                f"Risk factors recorded together: {len(shown_pairs)} pairs shown, "
                f"{len(hidden_pairs)} hidden to protect privacy"
            )
        elif ranked and counts[ranked[0]] > 0:
            i, j = ranked[0]
            count = int(counts[i, j])
            cases = f"{count} case{'s' if count != 1 else ''}"
            ties = sum(1 for p in ranked if counts[p] == counts[i, j])
            if ties > 1:
                title = f"{ties} pairs of risk factors tied as most common, each in {cases}"
            else:
                title = f"{labels[j]} and {lower_first(labels[i])} together most often, in {cases}"
        elif ranked and not hidden_pairs:
            title = "No case had two of these risk factors recorded together"
        else:
            title = "Risk factor pairs hidden to protect privacy"

    caption = caption_text(
        "number of cases with both risk factors recorded as yes; each cell is labelled "
        "with its count",
        place=place,
        period=period,
        source=source,
        national=False,
        suppressed=bool(hidden_pairs),
    )
    top_pairs = [p for p in ranked if counts[p] > 0][:5]
    alt_text = (
        f"{sentence(title)} Heatmap of the number of cases in {place}, {period}, "
        f"with each pair of {n} risk factors recorded together; darker cells mean more "
        f"cases and every cell is labelled with its count."
    )
    if top_pairs:
        alt_text += (
            (" Most common pairs: " if not hidden_pairs else " Pairs shown, the most first: ")
            + "; ".join(
                f"{pair_words(*p)}, {int(counts[p])} case{'s' if counts[p] != 1 else ''}"
                for p in top_pairs
            )
            + "."
        )
    zero = [p for p in shown_pairs if counts[p] == 0]
    if zero:
        alt_text += f" {len(zero)} pair{'s' if len(zero) != 1 else ''} never occurred together."
    if hidden_pairs:
        alt_text += (
            f" {len(hidden_pairs)} pair{'s are' if len(hidden_pairs) != 1 else ' is'} "
            f"{SUPPRESSED_WORDS}, shown as c."
        )

    return drawn(
        name,
        _draw_heatmap,
        sns,
        counts,
        hidden,
        labels,
        title=title,
        caption=caption,
        alt_text=alt_text,
    )


def _sequential_cmap() -> LinearSegmentedColormap:
    return LinearSegmentedColormap.from_list("af_sequential", list(AF_SEQUENTIAL[::-1]))


def _draw_heatmap(
    sns, counts: np.ndarray, hidden: np.ndarray, labels: list[str], title: str, caption: str
) -> Figure:
    """The lower triangle of counts, a cell a pair, ``c`` on a hidden cell, with its colour bar.

    Long on purpose (over 80 lines): a drawing recipe, layer by layer in the order the
    layers stack, that reads top to bottom as the picture is built; split, every piece
    would need the same axes, positions and colours handed to it."""
    n = len(labels)
    rows, cols = list(range(1, n)), list(range(n - 1))
    grid = counts[np.ix_(rows, cols)]
    grid_hidden = hidden[np.ix_(rows, cols)]
    upper = np.triu(np.ones_like(grid, dtype=bool), k=1)
    longest = max(len(labels[c]) for c in range(n - 1))
    cell = min(0.75, 6.0 / max(1, n - 1))
    left = 3.1
    right = WIDTH - left - cell * (n - 1) - 0.3
    frame = framed(
        title,
        caption,
        legend=0.2,
        plot=cell * (n - 1),
        axis=0.45 + longest * 0.065,
        left=left,
        right=right,
    )
    figure, ax, height, bottom = frame.figure, frame.ax, frame.height, frame.bottom
    colourbar_ax = figure.add_axes(
        ((WIDTH - right + 0.45) / WIDTH, bottom / height, 0.22 / WIDTH, (cell * (n - 1)) / height)
    )

    cmap = _sequential_cmap()
    visible = grid[~upper & ~grid_hidden]
    vmax = (
        max(1.0, float(np.nanmax(visible)))
        if visible.size and not np.all(np.isnan(visible))
        else 1.0
    )
    norm = Normalize(vmin=0, vmax=vmax)
    sns.heatmap(
        pd.DataFrame(np.where(grid_hidden, np.nan, grid)),
        mask=upper | grid_hidden,
        ax=ax,
        cmap=cmap,
        norm=norm,
        annot=False,
        linewidths=1.5,
        linecolor="white",
        cbar_ax=colourbar_ax,
        cbar_kws={"label": "Number of cases"},
        square=False,
        xticklabels=[labels[c] for c in cols],
        yticklabels=[wrap(labels[r], 30) for r in rows],
    )
    for r in range(n - 1):
        for c in range(n - 1):
            if upper[r, c]:
                continue
            if grid_hidden[r, c]:
                ax.add_patch(
                    Rectangle(
                        (c, r),
                        1,
                        1,
                        facecolor=NULL_COLOUR,
                        edgecolor="white",
                        linewidth=1.5,
                        zorder=2,
                    )
                )
                text, colour = SUPPRESSED, TEXT_COLOUR
            else:
                text = f"{int(grid[r, c]):d}"
                colour = best_text_colour(cmap(norm(grid[r, c])))
            ax.text(
                c + 0.5,
                r + 0.5,
                text,
                ha="center",
                va="center",
                fontsize=12,
                color=colour,
                zorder=3,
            )
    ax.tick_params(axis="both", length=0)
    ax.set_xticklabels(ax.get_xticklabels(), rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticklabels(ax.get_yticklabels(), rotation=0)
    ax.grid(False)
    colourbar_ax.tick_params(colors=AXIS_COLOUR, labelcolor=TEXT_COLOUR)
    colourbar_ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True, nbins=5))
    for spine in colourbar_ax.spines.values():
        spine.set_edgecolor(AXIS_COLOUR)
    caption_block(figure, caption, height=height)
    return figure
