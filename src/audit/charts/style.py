"""The charts' style and layout: the Analysis Function look, the :class:`Chart`, shared helpers.

Every chart of the audit (:mod:`audit.charts.snapshot`, :mod:`audit.charts.over_time`)
takes an aggregated, protected table (never case-level data) and returns a :class:`Chart`:
the matplotlib figure, an *active* title that states the finding, alt text carrying the same
finding and the key numbers in words (WCAG 2.2 success criterion 1.1.1), and a caption with
the measure, source, population, geography and period.

Accessibility choices, kept here so sections only call the chart functions:

- colours: the Analysis Function categorical palette in order (``afcharts``), at most two
  series a chart; the sequential palette for the heatmap;
- colour is never the only carrier of meaning: every bar has a direct value label, the
  national figure is a marker shape (a black diamond) as well as a legend entry, the national
  series of a grouped bar chart is hatched, heatmap cells are annotated with their counts;
- contrast: text is near-black on white (>= 4.5:1); axis lines, ticks and grid lines are
  darkened from the afcharts greys (which fail 3:1) to colours that pass 3:1; annotations on
  coloured cells use whichever of black or white contrasts more;
- small numbers: a hidden figure (``c`` in the protected table) is drawn as no bar, point,
  band or limit, with a ``c`` label, and is "suppressed (small number)" in the alt text;
  nothing derived from it appears in the title, labels or alt text. Tables reach a chart
  only through :func:`audit.disclosure.protect`.

Figures are built on the non-interactive Agg canvas without pyplot, so they never join
pyplot's figure list (nothing leaks in a loop); :meth:`Chart.save` writes deterministic PNG
bytes (no software or date metadata, fixed DejaVu Sans fonts).
"""

from __future__ import annotations

import base64
import html
import io
import math
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import afcharts
import matplotlib as mpl
import matplotlib.style
import matplotlib.ticker
import pandas as pd
from afcharts.af_colours import get_af_colours
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from audit.contract import (
    metric_label,
)
from audit.formatting import SUPPRESSED, format_percent, is_suppressed
from audit.measures.compare import review_base

if TYPE_CHECKING:
    from matplotlib.typing import ColorType, LineStyleType, RcKeyType

__all__ = [
    "point_handle",
    "line_handle",
    "drawn",
    "Frame",
    "framed",
    "Chart",
    "Item",
    "AF_CATEGORICAL",
    "AF_SEQUENTIAL",
    "AF_STYLE_PATH",
    "NATIONAL_SOURCE",
    "TEXT_COLOUR",
    "AXIS_COLOUR",
    "GRID_COLOUR",
    "NULL_COLOUR",
    "DPI",
    "WIDTH",
    "SUPPRESSED_NOTE",
    "SPECIAL_COLOUR",
    "REFERENCE_COLOUR",
    "c_marker",
    "percent_limit",
    "SUPPRESSED_WORDS",
    "af_style",
    "contrast_ratio",
    "best_text_colour",
    "number",
    "pct",
    "pct0",
    "lower_first",
    "wrap",
    "require_frame",
    "require_text",
    "item_of",
    "rows_by_metric",
    "new_figure",
    "title_block",
    "caption_block",
    "legend_and_caption",
    "caption_height",
    "caption_text",
    "percent_axis",
    "halo",
    "sentence",
]

#: The Analysis Function categorical palette, in the order charts use it.
AF_CATEGORICAL: tuple[str, ...] = tuple(get_af_colours("categorical"))
#: The Analysis Function sequential palette, dark to light.
AF_SEQUENTIAL: tuple[str, ...] = tuple(get_af_colours("sequential", number_of_colours=5))
#: The afcharts matplotlib style file.
AF_STYLE_PATH: Path = Path(afcharts.__file__).parent / "afcharts.mplstyle"

#: How captions cite the national reference.
NATIONAL_SOURCE = (
    "Child Safeguarding Practice Review Panel (2021), The Myth of Invisible Men, "
    "92 serious incident notifications"
)

TEXT_COLOUR = "#0B0C0C"  # near-black text (GOV.UK), 19:1 on white
AXIS_COLOUR = "#3D3D3D"  # AF dark grey for axis lines and ticks, 11:1 on white
GRID_COLOUR = "#8A8A8A"  # lightest grey passing 3:1 on white (3.5:1)
NULL_COLOUR = "#F2F2F2"  # AF grey for suppressed heatmap cells
DPI = 150
WIDTH = 10.0  # inches

SPECIAL_COLOUR = AF_CATEGORICAL[2]  # dark pink, 9.8:1 on white: special cause / outside limits
REFERENCE_COLOUR = "#3D3D3D"  # AF dark grey: centre, target and national lines

#: Said under every chart with a hidden figure: some are hidden for being small, others
#: (complementary suppression) so that a small one cannot be worked out from the rest.
SUPPRESSED_NOTE = (
    "c = hidden to protect small numbers: a small count, or one hidden so that a small "
    "count cannot be worked out from the others."
)
SUPPRESSED_WORDS = "suppressed (small number)"

_OVERRIDES: dict[RcKeyType, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 13,
    "svg.hashsalt": "audit-charts",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
    "text.color": TEXT_COLOUR,
    "axes.labelcolor": TEXT_COLOUR,
    "axes.edgecolor": AXIS_COLOUR,
    "axes.titlecolor": TEXT_COLOUR,
    "xtick.color": AXIS_COLOUR,
    "ytick.color": AXIS_COLOUR,
    "xtick.labelcolor": TEXT_COLOUR,
    "ytick.labelcolor": TEXT_COLOUR,
    "grid.color": GRID_COLOUR,
    "grid.linewidth": 0.6,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.dpi": DPI,
    "legend.fontsize": 12,
    "hatch.linewidth": 1.5,
}


@contextmanager
def af_style() -> Iterator[None]:
    """Apply the afcharts style plus this project's accessibility and determinism overrides.

    Restores the previous rcParams on exit. Overrides: DejaVu Sans (shipped with matplotlib,
    so output is the same on every machine), a fixed ``svg.hashsalt``, near-black text, and
    axis, tick and grid colours that reach 3:1 contrast on white.
    """
    with mpl.rc_context():
        matplotlib.style.use(str(AF_STYLE_PATH))
        mpl.rcParams.update(_OVERRIDES)
        yield


# --------------------------------------------------------------------------- the Chart


@dataclass(frozen=True)
class Chart:
    """A finished chart: figure, active title, alt text and caption."""

    name: str
    figure: Figure
    title: str
    alt_text: str
    caption: str

    def png_bytes(self) -> bytes:
        """The chart as PNG bytes: identical for identical input."""
        buffer = io.BytesIO()
        with af_style():
            self.figure.savefig(
                buffer,
                format="png",
                dpi=DPI,
                metadata={"Software": None},
                bbox_inches="tight",
                pad_inches=0.2,
                facecolor="white",
            )
        return buffer.getvalue()

    def save(self, path: str | Path) -> Path:
        """Write the PNG; a directory (or a path without suffix) gets ``<name>.png`` inside."""
        target = Path(path)
        if target.is_dir() or not target.suffix:
            target = target / f"{self.name}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(self.png_bytes())
        return target

    def to_html(self) -> str:
        """An HTML ``<figure>`` with the PNG inline, its alt text and the caption."""
        data = base64.b64encode(self.png_bytes()).decode("ascii")
        return (
            f'<figure class="chart" id="chart-{html.escape(self.name)}">'
            f'<img src="data:image/png;base64,{data}" alt="{html.escape(self.alt_text)}">'
            f"<figcaption>{html.escape(self.caption)}</figcaption></figure>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def close(self) -> None:
        """Release the figure's artists (pyplot never held it, so there is nothing to close
        there; a figure a caller handed to pyplot is closed too)."""
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:
            pyplot.close(self.figure)
        self.figure.clear()


# --------------------------------------------------------------------------- helpers


def _luminance(colour: ColorType) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in to_rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: ColorType, background: ColorType = "white") -> float:
    """WCAG 2 contrast ratio between two matplotlib colours (1 to 21)."""
    a, b = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def best_text_colour(background: ColorType) -> str:
    """Black or white, whichever contrasts more (pure black: >= 4.58:1 on any colour)."""
    return (
        "black"
        if contrast_ratio("black", background) >= contrast_ratio("white", background)
        else "white"
    )


def number(value: object) -> float | None:
    """A finite float, or None for ``c``, NaN, blanks and anything not numeric."""
    if value is None or isinstance(value, (bool, str)):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def pct(rate: float) -> str:
    return format_percent(rate)


def pct0(rate: float) -> str:
    return format_percent(rate, decimals=0)


def lower_first(label: str) -> str:
    words = label.split(" ")
    first = words[0]
    if first[:1].isupper() and not first[1:2].isupper():
        words[0] = first[:1].lower() + first[1:]
    return " ".join(words)


def wrap(text: str, width: int) -> str:
    return textwrap.fill(text, width=width, break_long_words=False, break_on_hyphens=False)


def require_frame(frame: object, columns: Sequence[str], what: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, not {type(frame).__name__}")
    if frame.empty:
        raise ValueError(f"{what} is empty: there is nothing to chart")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} is missing column(s): {', '.join(missing)}")
    return frame


def require_text(**values: str) -> None:
    for name, value in values.items():
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{name} must be a non-empty string")


@dataclass(frozen=True)
class Item:
    """One bar: a metric's local figure, its interval and the national figure."""

    metric: str
    label: str
    rate: float | None  # None: suppressed or not available
    status: str  # "shown", "suppressed" or "unavailable"
    ci_low: float | None = None
    ci_high: float | None = None
    national: float | None = None
    #: The p-value a verdict rests on: Holm-adjusted over the pack (``p_holm``) where the
    #: table has it, else the single test's ``p_value``.
    p_value: float | None = None
    #: The local figure as the review counted it, which the test compares (``yes / base``,
    #: :func:`audit.measures.compare.review_base`): a risk factor's base is every case. ``None``
    #: where it is the rate itself or its counts are not in the table.
    review_rate: float | None = None

    @property
    def shown(self) -> bool:
        return self.status == "shown"

    @property
    def local_rate(self) -> float:
        """The local figure of a shown item (a hidden or unavailable one has none)."""
        if self.rate is None:
            raise ValueError(f"{self.metric} has no local figure to draw ({self.status})")
        return self.rate

    @property
    def national_rate(self) -> float:
        """The national figure of an item compared with one (check ``national`` first)."""
        if self.national is None:
            raise ValueError(f"{self.metric} has no national figure")
        return self.national

    def local_words(self, *, interval: bool = True) -> str:
        if self.status == "suppressed":
            return f"local figure {SUPPRESSED_WORDS}"
        if self.status == "unavailable":
            return "local figure not available (no cases recorded)"
        text = f"{pct(self.local_rate)} locally"
        if interval and self.ci_low is not None and self.ci_high is not None:
            text += f" (95% confidence interval {pct(self.ci_low)} to {pct(self.ci_high)})"
        return text

    def national_words(self) -> str:
        if self.national is None:
            return "no national figure published"
        return f"{pct(self.national)} nationally"

    def label_text(self) -> str:
        if self.status == "suppressed":
            return SUPPRESSED
        if self.status == "unavailable":
            return ":"
        return pct(self.local_rate)


def item_of(row: pd.Series, metric: str, suppressed: set[str], label: str | None = None) -> Item:
    rate_value = row.get("rate")
    rate = number(rate_value)
    if metric in suppressed or is_suppressed(rate_value):
        status = "suppressed"
    elif rate is None:
        denominator = number(row.get("denominator"))
        status = "unavailable" if denominator == 0 else "suppressed"
    else:
        status = "shown"
    shown = status == "shown"
    return Item(
        metric=metric,
        label=label or metric_label(metric),
        rate=rate if shown else None,
        status=status,
        ci_low=number(row.get("ci_low")) if shown else None,
        ci_high=number(row.get("ci_high")) if shown else None,
        national=number(row.get("national_rate")),
        p_value=number(row.get("p_holm", row.get("p_value"))) if shown else None,
        review_rate=_review_rate(row, metric) if shown else None,
    )


def _review_rate(row: pd.Series, metric: str) -> float | None:
    """``yes / base`` where the base is not the rate's own (a risk factor), from the row's
    counts; ``None`` otherwise or where a count is missing or hidden."""
    yes, known, unknown = (number(row.get(c)) for c in ("numerator", "denominator", "unknown"))
    if not metric.startswith("risk.") or yes is None or known is None or unknown is None:
        return None
    (base,) = review_base([metric], [known], [unknown])
    return yes / float(base) if base > 0 else None


def rows_by_metric(table: pd.DataFrame) -> dict[str, pd.Series]:
    rows: dict[str, pd.Series] = {}
    for _, row in table.iterrows():
        rows.setdefault(str(row["metric"]), row)
    return rows


def point_handle(marker: str, colour: ColorType, label: str, *, size: float = 8) -> Any:
    """A legend entry that is one marker (white edge, no line), as the charts' points are
    drawn."""
    return Line2D(
        [0],
        [0],
        linestyle="none",
        marker=marker,
        markersize=size,
        color=colour,
        markeredgecolor="white",
        label=label,
    )


def drawn(
    name: str,
    draw: Callable[..., Figure],
    *args: Any,
    title: str,
    caption: str,
    alt_text: str,
    **kwargs: Any,
) -> Chart:
    """The chart ``name`` with its words: its figure drawn in the house style by ``draw``,
    given ``args``, ``kwargs``, the title and the caption (every chart ends so)."""
    with af_style():
        figure = draw(*args, title=title, caption=caption, **kwargs)
    return Chart(name=name, figure=figure, title=title, alt_text=alt_text, caption=caption)


def line_handle(
    colour: ColorType,
    label: str,
    *,
    linewidth: float,
    linestyle: LineStyleType | None = None,
    **marker: Any,
) -> Any:
    """A legend entry that is a line (with ``marker`` keywords, a line through a point), as
    the charts' reference lines, limits and series are drawn."""
    return Line2D(
        [0], [0], color=colour, linestyle=linestyle, linewidth=linewidth, label=label, **marker
    )


@dataclass(frozen=True)
class Frame:
    """A chart's figure laid out by :func:`framed`: the axes, and what its legend needs to
    stand under the title."""

    figure: Figure
    ax: Any
    title_lines: int
    height: float
    bottom: float

    def legend(self, handles: list, caption: str, *, ncols: int, **style: float) -> None:
        """The legend under the title and the caption at the foot
        (:func:`legend_and_caption`)."""
        legend_and_caption(
            self.figure,
            handles,
            caption,
            title_lines=self.title_lines,
            height=self.height,
            ncols=ncols,
            **style,
        )


def framed(
    title: str,
    caption: str,
    *,
    legend: float,
    plot: float,
    axis: float,
    left: float,
    right: float,
) -> Frame:
    """A chart's figure from the top down, in inches: the title, then ``legend`` for the
    legend, the ``plot``, ``axis`` for the axis labels, then the caption; the title drawn.
    Every chart is laid out so, and the figure is as tall as its words need."""
    title_lines = wrap(title, int(WIDTH * 6.6)).count("\n") + 1
    top = 0.3 + title_lines * 0.3 + legend
    bottom = axis + caption_height(caption)
    height = top + plot + bottom
    figure, ax = new_figure(height, left=left, right=right, top=top, bottom=bottom)
    title_block(figure, title, height=height)
    return Frame(figure, ax, title_lines, height, bottom)


def new_figure(
    height: float, *, left: float, right: float, top: float, bottom: float, width: float = WIDTH
):
    """A pyplot-free figure on the Agg canvas with one axes placed in inches."""
    figure = Figure(figsize=(width, height), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    ax = figure.add_axes(
        (
            left / width,
            bottom / height,
            (width - left - right) / width,
            (height - top - bottom) / height,
        )
    )
    return figure, ax


def title_block(figure: Figure, title: str, *, height: float, width: float = WIDTH) -> float:
    """Draw the wrapped title at the top left; return the inches it takes."""
    wrapped = wrap(title, int(width * 6.6))
    lines = wrapped.count("\n") + 1
    figure.text(
        0.15 / width,
        1 - 0.15 / height,
        wrapped,
        ha="left",
        va="top",
        fontsize=16,
        fontweight="bold",
        color=TEXT_COLOUR,
    )
    return 0.15 + lines * 0.3


def caption_block(figure: Figure, caption: str, *, height: float, width: float = WIDTH) -> None:
    figure.text(
        0.15 / width,
        0.12 / height,
        wrap(caption, int(width * 11.5)),
        ha="left",
        va="bottom",
        fontsize=10.5,
        color=TEXT_COLOUR,
        linespacing=1.3,
    )


def legend_and_caption(
    figure: Figure,
    handles: list,
    caption: str,
    *,
    title_lines: int,
    height: float,
    ncols: int,
    **style: float,
) -> None:
    """The legend under the title, left-aligned, then the caption at the foot."""
    figure.legend(
        handles=handles,
        loc="upper left",
        ncols=ncols,
        frameon=False,
        bbox_to_anchor=(0.15 / WIDTH, 1 - (0.3 + title_lines * 0.3) / height),
        borderaxespad=0,
        **style,
    )
    caption_block(figure, caption, height=height)


def caption_height(caption: str, width: float = WIDTH) -> float:
    return 0.2 + (wrap(caption, int(width * 11.5)).count("\n") + 1) * 0.2


def caption_text(
    measure: str,
    *,
    place: str,
    period: str,
    source: str,
    national: bool,
    suppressed: bool,
    extra: str = "",
) -> str:
    parts = [
        f"Measure: {measure}",
        f"Population: in-scope cases (babies under one), {place}",
        f"Period: {period}",
        f"Source: {source}",
    ]
    if national:
        parts.append(f"National: {NATIONAL_SOURCE}")
    text = ". ".join(p.rstrip(".") for p in parts) + "."
    if extra:
        text += " " + extra
    if suppressed:
        text += " " + SUPPRESSED_NOTE
    return text


def percent_axis(ax, axis: str, limit: float) -> None:
    ticks = [t for t in range(0, 101, 20) if t <= limit]
    if axis == "x":
        ax.set_xticks(ticks)
        ax.set_xlim(0, limit)
        ax.spines["bottom"].set_bounds(0, min(100, limit))
        ax.set_xlabel("Percentage of cases (%)")
        ax.grid(axis="x", visible=True)
        ax.grid(axis="y", visible=False)
    else:
        ax.set_yticks(ticks)
        ax.set_ylim(0, limit)
        ax.set_ylabel("Percentage of cases (%)")
        ax.grid(axis="y", visible=True)
        ax.grid(axis="x", visible=False)


def halo(width: float = 3.0) -> list:
    return [patheffects.withStroke(linewidth=width, foreground="white")]


def sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def c_marker(ax, x: float, limit: float) -> None:
    """A bold ``c`` at the foot of the plot where a hidden point would be."""
    ax.text(
        x,
        limit * 0.03,
        SUPPRESSED,
        ha="center",
        va="bottom",
        fontsize=13,
        fontweight="bold",
        color=TEXT_COLOUR,
        zorder=5,
    )


def percent_limit(highest: float) -> float:
    """The top of a percentage axis: 8 points above the highest value, in tens, 20 to 105."""
    return float(min(105.0, max(20.0, math.ceil((highest * 100 + 8) / 10) * 10)))
