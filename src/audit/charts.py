"""Every chart of the audit, in the Government Analysis Function style, with its alt text.

Each function takes an aggregated table (never case-level data) and returns a :class:`Chart`:
the matplotlib figure, an *active* title that states the finding, alt text carrying the same
finding and the key numbers in words (WCAG 2.2 success criterion 1.1.1), and a caption with
the measure, source, population, geography and period.

Accessibility choices, kept here so notebooks only call these functions:

- colours: the Analysis Function categorical palette in order (``afcharts``), at most two
  series a chart; the sequential palette for the heatmap;
- colour is never the only carrier of meaning: every bar has a direct value label, the
  national figure is a marker shape (a black diamond) as well as a legend entry, the national
  series of a grouped bar chart is hatched, heatmap cells are annotated with their counts;
- contrast: text is near-black on white (>= 4.5:1); axis lines, ticks and grid lines are
  darkened from the afcharts greys (which fail 3:1) to colours that pass 3:1; annotations on
  coloured cells use whichever of black or white contrasts more;
- small numbers: a suppressed figure (``c`` in the table, a NaN rate, or a metric id in
  ``suppressed``) is drawn as no bar with a ``c`` label and is "suppressed (small number)" in
  the alt text; its value never appears in the title, labels or alt text. Tables for a board
  go through :mod:`audit.suppress` first.

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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import afcharts
import matplotlib as mpl
import matplotlib.style
import matplotlib.ticker
import numpy as np
import pandas as pd
from afcharts.af_colours import get_af_colours
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap, Normalize, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.transforms import blended_transform_factory

from audit.contract import (
    ENGAGEMENT_FUNNEL,
    KNOWN_TO_CODES,
    flag_metric_id,
    metric_label,
)
from audit.suppress import SUPPRESSED, format_percent, is_suppressed

__all__ = [
    "Chart",
    "AF_CATEGORICAL",
    "AF_SEQUENTIAL",
    "AF_STYLE_PATH",
    "NATIONAL_SOURCE",
    "af_style",
    "contrast_ratio",
    "local_vs_national",
    "engagement_funnel_chart",
    "service_contact_chart",
    "cooccurrence_heatmap",
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

_TEXT = "#0B0C0C"          # near-black text (GOV.UK), 19:1 on white
_AXIS = "#3D3D3D"          # AF dark grey for axis lines and ticks, 11:1 on white
_GRID = "#8A8A8A"          # lightest grey passing 3:1 on white (3.5:1)
_NULL = "#F2F2F2"          # AF grey for suppressed heatmap cells
_DPI = 150
_WIDTH = 10.0              # inches

_SUPPRESSED_NOTE = "c = suppressed to protect small numbers."
_SUPPRESSED_WORDS = "suppressed (small number)"

_OVERRIDES = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 13,
    "svg.hashsalt": "audit-charts",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
    "text.color": _TEXT,
    "axes.labelcolor": _TEXT,
    "axes.edgecolor": _AXIS,
    "axes.titlecolor": _TEXT,
    "xtick.color": _AXIS,
    "ytick.color": _AXIS,
    "xtick.labelcolor": _TEXT,
    "ytick.labelcolor": _TEXT,
    "grid.color": _GRID,
    "grid.linewidth": 0.6,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.dpi": _DPI,
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
            self.figure.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None},
                                bbox_inches="tight", pad_inches=0.2, facecolor="white")
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


def _luminance(colour: object) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in to_rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: object, background: object = "white") -> float:
    """WCAG 2 contrast ratio between two matplotlib colours (1 to 21)."""
    a, b = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def _best_text_colour(background: object) -> str:
    """Black or white, whichever contrasts more (pure black: >= 4.58:1 on any colour)."""
    return "black" if contrast_ratio("black", background) >= contrast_ratio("white", background) \
        else "white"


def _number(value: object) -> float | None:
    """A finite float, or None for ``c``, NaN, blanks and anything not numeric."""
    if value is None or isinstance(value, (bool, str)):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def _pct(rate: float) -> str:
    return format_percent(rate)


def _pct0(rate: float) -> str:
    return format_percent(rate, decimals=0)


def _lower_first(label: str) -> str:
    words = label.split(" ")
    first = words[0]
    if first[:1].isupper() and not first[1:2].isupper():
        words[0] = first[:1].lower() + first[1:]
    return " ".join(words)


def _wrap(text: str, width: int) -> str:
    return textwrap.fill(text, width=width, break_long_words=False, break_on_hyphens=False)


def _require_frame(frame: object, columns: Sequence[str], what: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, not {type(frame).__name__}")
    if frame.empty:
        raise ValueError(f"{what} is empty: there is nothing to chart")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} is missing column(s): {', '.join(missing)}")
    return frame


def _require_text(**values: str) -> None:
    for name, value in values.items():
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{name} must be a non-empty string")


@dataclass(frozen=True)
class _Item:
    """One bar: a metric's local figure, its interval and the national figure."""

    metric: str
    label: str
    rate: float | None           # None: suppressed or not available
    status: str                  # "shown", "suppressed" or "unavailable"
    ci_low: float | None = None
    ci_high: float | None = None
    national: float | None = None
    p_value: float | None = None

    @property
    def shown(self) -> bool:
        return self.status == "shown"

    def local_words(self, *, interval: bool = True) -> str:
        if self.status == "suppressed":
            return f"local figure {_SUPPRESSED_WORDS}"
        if self.status == "unavailable":
            return "local figure not available (no cases recorded)"
        text = f"{_pct(self.rate)} locally"
        if interval and self.ci_low is not None and self.ci_high is not None:
            text += f" (95% confidence interval {_pct(self.ci_low)} to {_pct(self.ci_high)})"
        return text

    def national_words(self) -> str:
        if self.national is None:
            return "no national figure published"
        return f"{_pct(self.national)} nationally"

    def label_text(self) -> str:
        if self.status == "suppressed":
            return SUPPRESSED
        if self.status == "unavailable":
            return ":"
        return _pct(self.rate)


def _item(row: pd.Series, metric: str, suppressed: set[str], label: str | None = None) -> _Item:
    rate_value = row.get("rate")
    rate = _number(rate_value)
    if metric in suppressed or is_suppressed(rate_value):
        status = "suppressed"
    elif rate is None:
        denominator = _number(row.get("denominator"))
        status = "unavailable" if denominator == 0 else "suppressed"
    else:
        status = "shown"
    shown = status == "shown"
    return _Item(
        metric=metric,
        label=label or metric_label(metric),
        rate=rate if shown else None,
        status=status,
        ci_low=_number(row.get("ci_low")) if shown else None,
        ci_high=_number(row.get("ci_high")) if shown else None,
        national=_number(row.get("national_rate")),
        p_value=_number(row.get("p_value")) if shown else None,
    )


def _rows_by_metric(table: pd.DataFrame) -> dict[str, pd.Series]:
    rows: dict[str, pd.Series] = {}
    for _, row in table.iterrows():
        rows.setdefault(str(row["metric"]), row)
    return rows


def _finding_vs_national(items: Sequence[_Item], what: str = "figures") -> str:
    """The active title for local-against-national bars."""
    shown = [i for i in items if i.shown]
    if not shown:
        return f"Local {what} suppressed to protect small numbers"
    compared = [i for i in shown if i.national is not None]
    significant = [i for i in compared if i.p_value is not None and i.p_value < 0.05]
    if significant:
        best = max(significant, key=lambda i: (abs(i.rate - i.national), -items.index(i)))
        direction = "higher" if best.rate > best.national else "lower"
        return (f"{best.label} {direction} than nationally: {_pct0(best.rate)} of cases "
                f"against {_pct0(best.national)}")
    if compared and all(i.p_value is None for i in compared):
        best = max(compared, key=lambda i: (abs(i.rate - i.national), -items.index(i)))
        return (f"{best.label} in {_pct0(best.rate)} of cases against "
                f"{_pct0(best.national)} nationally")
    top = max(shown, key=lambda i: (i.rate, -items.index(i)))
    if top.national is not None and _pct0(top.rate) == _pct0(top.national):
        return f"{top.label} in {_pct0(top.rate)} of cases, as nationally"
    if top.national is not None:
        return (f"{top.label} in {_pct0(top.rate)} of cases, not clearly different from "
                f"{_pct0(top.national)} nationally")
    return f"{top.label} was the most common, in {_pct0(top.rate)} of cases"


def _new_figure(height: float, *, left: float, right: float, top: float, bottom: float,
                width: float = _WIDTH):
    """A pyplot-free figure on the Agg canvas with one axes placed in inches."""
    figure = Figure(figsize=(width, height), dpi=_DPI, facecolor="white")
    FigureCanvasAgg(figure)
    ax = figure.add_axes((left / width, bottom / height, (width - left - right) / width,
                          (height - top - bottom) / height))
    return figure, ax


def _title_block(figure: Figure, title: str, *, height: float, width: float = _WIDTH) -> float:
    """Draw the wrapped title at the top left; return the inches it takes."""
    wrapped = _wrap(title, int(width * 6.6))
    lines = wrapped.count("\n") + 1
    figure.text(0.15 / width, 1 - 0.15 / height, wrapped, ha="left", va="top",
                fontsize=16, fontweight="bold", color=_TEXT)
    return 0.15 + lines * 0.3


def _caption_block(figure: Figure, caption: str, *, height: float,
                   width: float = _WIDTH) -> None:
    figure.text(0.15 / width, 0.12 / height, _wrap(caption, int(width * 11.5)), ha="left",
                va="bottom", fontsize=10.5, color=_TEXT, linespacing=1.3)


def _legend_and_caption(figure: Figure, handles: list, caption: str, *, title_lines: int,
                        height: float, ncols: int, **style: float) -> None:
    """The legend under the title, left-aligned, then the caption at the foot."""
    figure.legend(handles=handles, loc="upper left", ncols=ncols, frameon=False,
                  bbox_to_anchor=(0.15 / _WIDTH, 1 - (0.3 + title_lines * 0.3) / height),
                  borderaxespad=0, **style)
    _caption_block(figure, caption, height=height)


def _caption_height(caption: str, width: float = _WIDTH) -> float:
    return 0.2 + (_wrap(caption, int(width * 11.5)).count("\n") + 1) * 0.2


def _caption(measure: str, *, place: str, period: str, source: str, national: bool,
             suppressed: bool, extra: str = "") -> str:
    parts = [f"Measure: {measure}", f"Population: in-scope cases (babies under one), {place}",
             f"Period: {period}", f"Source: {source}"]
    if national:
        parts.append(f"National: {NATIONAL_SOURCE}")
    text = ". ".join(p.rstrip(".") for p in parts) + "."
    if extra:
        text += " " + extra
    if suppressed:
        text += " " + _SUPPRESSED_NOTE
    return text


def _percent_axis(ax, axis: str, limit: float) -> None:
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


def _halo(width: float = 3.0) -> list:
    return [patheffects.withStroke(linewidth=width, foreground="white")]


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


# --------------------------------------------------------------------------- local vs national


def local_vs_national(
    table: pd.DataFrame,
    metrics: Sequence[str],
    *,
    title: str | None = None,
    period: str,
    source: str,
    place: str,
    suppressed: set[str] | None = None,
    name: str = "local_vs_national",
) -> Chart:
    """Horizontal bars of the local rate with 95% Wilson intervals, the national rate marked.

    ``table`` is a metrics table (``contract.METRICS_COLUMNS``), raw or suppressed;
    ``metrics`` the metric ids to show, top to bottom. A metric in ``suppressed``, or whose
    rate is ``c`` or NaN, is drawn as ``c`` with no bar (a NaN rate over a zero denominator
    is ``:``, not available). The title, unless given, states the finding: the largest clear
    (p < 0.05) difference from the national figure, else the most common factor.
    """
    _require_frame(table, ("metric", "rate", "ci_low", "ci_high", "national_rate"),
                   "the metrics table")
    _require_text(period=period, source=source, place=place)
    metrics = list(metrics)
    if not metrics:
        raise ValueError("no metrics to chart: pass at least one metric id")
    if len(set(metrics)) != len(metrics):
        raise ValueError("a metric id is listed twice")
    rows = _rows_by_metric(table)
    hidden = set(suppressed or ())
    items = []
    for metric in metrics:
        label = metric_label(metric)  # ValueError for an id outside the contract
        if metric not in rows:
            raise ValueError(f"metric {metric!r} is not in the metrics table")
        items.append(_item(rows[metric], metric, hidden, label))

    title = title or _finding_vs_national(items)
    any_national = any(i.national is not None for i in items)
    any_hidden = any(i.status == "suppressed" for i in items)
    caption = _caption(
        "percentage of cases with each factor, of those where it was recorded (unknowns "
        "excluded); lines show 95% Wilson confidence intervals",
        place=place, period=period, source=source, national=any_national,
        suppressed=any_hidden,
        extra="':' = not available or not published." if any(
            i.status == "unavailable" or i.national is None for i in items) else "",
    )
    details = "; ".join(f"{i.label}: {i.local_words()}, {i.national_words()}" for i in items)
    alt_text = (
        f"{_sentence(title)} Horizontal bar chart of {len(items)} measures for {place}, "
        f"{period}: the percentage of cases locally, with its 95% confidence interval, and "
        f"the national figure from the review where one was published. {_sentence(details)}"
    )

    with af_style():
        figure = _draw_local_vs_national(items, title, caption, place, any_national)
    return Chart(name=name, figure=figure, title=title, alt_text=alt_text, caption=caption)


def _draw_local_vs_national(items: list[_Item], title: str, caption: str, place: str,
                            any_national: bool) -> Figure:
    n = len(items)
    title_lines = _wrap(title, int(_WIDTH * 6.6)).count("\n") + 1
    top = 0.3 + title_lines * 0.3 + 0.55
    bottom = 0.75 + _caption_height(caption)
    plot = max(1.2, 0.55 * n)
    height = top + plot + bottom
    left, right = 3.3, 1.9 if any_national else 1.0
    figure, ax = _new_figure(height, left=left, right=right, top=top, bottom=bottom)
    _title_block(figure, title, height=height)

    colour = AF_CATEGORICAL[0]
    ys = np.arange(n)[::-1]
    for item, y in zip(items, ys, strict=True):
        if item.shown:
            ax.barh(y, item.rate * 100, height=0.6, color=colour, zorder=2)
            if item.ci_low is not None and item.ci_high is not None:
                bars = ax.errorbar(
                    item.rate * 100, y,
                    xerr=[[max(0.0, (item.rate - item.ci_low) * 100)],
                          [max(0.0, (item.ci_high - item.rate) * 100)]],
                    fmt="none", ecolor=_TEXT, elinewidth=1.6, capsize=5, capthick=1.6,
                    zorder=3)
                for artist in (*bars.lines[1], *bars.lines[2]):
                    artist.set_path_effects([*_halo(4.0), patheffects.Normal()])
        else:
            ax.text(1, y, item.label_text(), ha="left", va="center", fontsize=13,
                    fontweight="bold", color=_TEXT)
        if item.national is not None:
            ax.plot([item.national * 100], [y], linestyle="none", marker="D", markersize=9,
                    color="black", markeredgecolor="white", markeredgewidth=1.5, zorder=4)

    ax.set_yticks(ys)
    ax.set_yticklabels([_wrap(i.label, 30) for i in items])
    ax.set_ylim(-0.6, n - 0.4)
    ax.tick_params(axis="y", length=0)
    _percent_axis(ax, "x", 100)

    # Direct labels: a column of local values, and one of national values.
    axis_width = _WIDTH - left - right
    blend = blended_transform_factory(ax.transAxes, ax.transData)
    columns = [("Local", 1 + 0.2 / axis_width, [i.label_text() for i in items])]
    if any_national:
        columns.append(("National", 1 + 1.05 / axis_width,
                        [_pct(i.national) if i.national is not None else ":" for i in items]))
    for header, x, values in columns:
        ax.text(x, n - 0.45, header, transform=blend, ha="left", va="bottom",
                fontsize=12, fontweight="bold", color=_TEXT)
        for value, y in zip(values, ys, strict=True):
            ax.text(x, y, value, transform=blend, ha="left", va="center", fontsize=12,
                    color=_TEXT)

    handles = [Patch(facecolor=colour, label=f"Local ({place})"),
               Line2D([0], [0], color=_TEXT, marker="|", markersize=10, linewidth=1.6,
                      label="95% confidence interval")]
    if any_national:
        handles.append(Line2D([0], [0], linestyle="none", marker="D", markersize=9,
                              color="black", markeredgecolor="white",
                              label="National (2021 review)"))
    _legend_and_caption(figure, handles, caption, title_lines=title_lines, height=height,
                        ncols=len(handles), handlelength=1.6, columnspacing=1.4)
    return figure


# --------------------------------------------------------------------------- funnel


@dataclass(frozen=True)
class _Drop:
    """The biggest fall in the funnel, into ``after`` from the step before it."""

    before: _Item
    after: _Item
    size: float          # fraction lost (conditional) or fall in rate (points)
    conditional: bool    # True: 1 - step_rate; False: fall in percentage points

    def short(self) -> str:
        return f"{_pct0(self.size)} lost" if self.conditional else _points(self.size)


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
            raise ValueError("the engagement funnel needs a 'flag', 'step' or 'metric' column "
                             "naming each step")
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
    suppressed: set[str] | None = None,
    name: str = "engagement_funnel",
) -> Chart:
    """The father-engagement steps in practice order, each as a percentage of cases.

    ``funnel`` names each step by flag (a ``flag`` or ``step`` column holding
    ``contract.ENGAGEMENT_FUNNEL`` names, else ``metric`` ids) and has ``rate`` (fraction of
    cases where the step was done, unknowns excluded). The biggest drop is the step with the
    lowest ``step_rate`` (share of cases with the step before that also had this one; ties
    to the earlier step), as :func:`audit.metrics.biggest_drop` defines it; without
    ``step_rate`` it is the largest fall in ``rate`` between consecutive steps. It is
    bracketed on the chart and stated in the title. ``suppressed`` takes flags or metric ids.
    """
    _require_frame(funnel, ("rate",), "the engagement funnel")
    _require_text(period=period, source=source, place=place)
    flags = _funnel_flags(funnel)
    order = {step: i for i, step in enumerate(ENGAGEMENT_FUNNEL)}
    hidden = set(suppressed or ())
    positions = sorted(range(len(flags)), key=lambda i: order[flags[i]])
    items: list[_Item] = []
    step_rates: list[float | None] = []
    for position in positions:
        row = funnel.iloc[position]
        metric = flag_metric_id(flags[position])
        hide = hidden | ({metric} if flags[position] in hidden else set())
        data = row.drop(labels=["denominator"], errors="ignore").rename({"known": "denominator"})
        items.append(_item(data, metric, hide))
        step_rate = row.get("step_rate")
        step_rates.append(None if metric in hide else _number(step_rate))

    drop: _Drop | None = None
    if any(r is not None for r in step_rates[1:]):
        for i in range(1, len(items)):
            rate = step_rates[i]
            if rate is not None and (drop is None or 1 - rate > drop.size + 1e-12):
                drop = _Drop(items[i - 1], items[i], 1 - rate, conditional=True)
    else:
        for before, after in zip(items, items[1:]):
            if before.shown and after.shown and before.rate - after.rate > 0 and (
                    drop is None or before.rate - after.rate > drop.size + 1e-12):
                drop = _Drop(before, after, before.rate - after.rate, conditional=False)

    shown = [i for i in items if i.shown]
    if title is None:
        if drop is not None and drop.conditional:
            title = (f"Biggest drop at '{_lower_first(drop.after.label)}': "
                     f"{_pct0(drop.size)} of cases lost from the step before")
        elif drop is not None:
            title = (f"Biggest drop at '{_lower_first(drop.after.label)}': "
                     f"{_pct0(drop.before.rate)} to {_pct0(drop.after.rate)} of cases")
        elif len(shown) >= 2:
            title = (f"{shown[0].label} in {_pct0(shown[0].rate)} of cases; "
                     f"{_lower_first(shown[-1].label)} in {_pct0(shown[-1].rate)}")
        elif shown:
            title = f"{shown[0].label} in {_pct0(shown[0].rate)} of cases"
        else:
            title = "Father-engagement figures suppressed to protect small numbers"

    any_hidden = any(i.status == "suppressed" for i in items)
    caption = _caption(
        "percentage of cases where each step was recorded as done, unknowns excluded; "
        "steps in the order practice takes them",
        place=place, period=period, source=source, national=False, suppressed=any_hidden,
        extra="':' = not available." if any(i.status == "unavailable" for i in items) else "",
    )
    listing = "; ".join(
        f"{i.label}: {_pct(i.rate) if i.shown else i.local_words().replace('local figure ', '')}"
        for i in items)
    alt_text = (f"{_sentence(title)} Horizontal bar chart of {len(items)} father-engagement "
                f"steps in practice order for {place}, {period}, each as a percentage of "
                f"cases. {_sentence(listing)}")
    if drop is not None and drop.conditional:
        alt_text += (f" The biggest drop was at '{drop.after.label}': of the cases with "
                     f"'{_lower_first(drop.before.label)}', {_pct(1 - drop.size)} also had "
                     f"'{_lower_first(drop.after.label)}', so {_pct(drop.size)} were lost.")
    elif drop is not None:
        alt_text += (f" The biggest drop, {_points(drop.size)}, was from '{drop.before.label}' "
                     f"({_pct(drop.before.rate)}) to '{drop.after.label}' "
                     f"({_pct(drop.after.rate)}).")

    with af_style():
        figure = _draw_funnel(items, drop, title, caption)
    return Chart(name=name, figure=figure, title=title, alt_text=alt_text, caption=caption)


def _points(size: float) -> str:
    value = float(format_percent(size).rstrip("%"))
    return f"{value:g} percentage point{'s' if value != 1 else ''}"


def _draw_funnel(items: list[_Item], drop, title: str, caption: str) -> Figure:
    n = len(items)
    title_lines = _wrap(title, int(_WIDTH * 6.6)).count("\n") + 1
    top = 0.3 + title_lines * 0.3 + 0.2
    bottom = 0.75 + _caption_height(caption)
    height = top + max(1.2, 0.55 * n) + bottom
    figure, ax = _new_figure(height, left=3.3, right=2.0, top=top, bottom=bottom)
    _title_block(figure, title, height=height)

    colour = AF_CATEGORICAL[0]
    ys = np.arange(n)[::-1]
    for item, y in zip(items, ys, strict=True):
        if item.shown:
            ax.barh(y, item.rate * 100, height=0.6, color=colour, zorder=2)
            ax.text(item.rate * 100 + 1.5, y, item.label_text(), ha="left", va="center",
                    fontsize=12, color=_TEXT, clip_on=False)
        else:
            ax.text(1.2, y, item.label_text(), ha="left", va="center", fontsize=12,
                    fontweight="bold", color=_TEXT)
    if drop is not None:
        y0, y1 = ys[items.index(drop.before)], ys[items.index(drop.after)]
        ends = [i.rate for i in (drop.before, drop.after) if i.shown]
        x = max(ends, default=0.0) * 100 + 17
        ax.plot([x, x + 1.5, x + 1.5, x], [y0, y0, y1, y1], color=_TEXT, linewidth=1.4,
                clip_on=False, zorder=3)
        ax.text(x + 3, (y0 + y1) / 2, f"Biggest drop:\n{drop.short()}", ha="left",
                va="center", fontsize=11, color=_TEXT, clip_on=False)
    ax.set_yticks(ys)
    ax.set_yticklabels([_wrap(i.label, 30) for i in items])
    ax.set_ylim(-0.6, n - 0.4)
    ax.tick_params(axis="y", length=0)
    _percent_axis(ax, "x", 100)  # labels and the bracket may run into the right margin
    _caption_block(figure, caption, height=height)
    return figure


# --------------------------------------------------------------------------- service contact


def service_contact_chart(
    table: pd.DataFrame,
    *,
    period: str,
    source: str,
    place: str,
    title: str | None = None,
    suppressed: set[str] | None = None,
    name: str = "service_contact",
) -> Chart:
    """Highest level of service involvement, local against national, as grouped bars.

    Uses the ``known_to.*`` rows of the metrics table in contract order (nationally 45, 24,
    12 and 11 of 92 for universal, Early Help, child in need and child protection plan). The
    national series is hatched so it is told apart without colour; every bar is labelled.
    """
    _require_frame(table, ("metric", "rate", "national_rate"), "the metrics table")
    _require_text(period=period, source=source, place=place)
    rows = _rows_by_metric(table)
    metrics = [f"known_to.{c}" for c in KNOWN_TO_CODES if c != "unknown"]
    metrics = [m for m in metrics if m in rows]
    if not metrics:
        raise ValueError("the metrics table has no known_to.* rows to chart")
    hidden = set(suppressed or ())
    items = [_item(rows[m], m, hidden) for m in metrics]

    title = title or _finding_vs_national(items, "service figures")
    any_national = any(i.national is not None for i in items)
    any_hidden = any(i.status == "suppressed" for i in items)
    caption = _caption(
        "percentage of cases by the highest level of service involvement at the time of the "
        "abuse, of cases where it is known; one level per case",
        place=place, period=period, source=source, national=any_national,
        suppressed=any_hidden,
        extra="':' = no figure (not available or not published).",
    )
    details = "; ".join(
        f"{i.label}: {i.local_words(interval=False)}, {i.national_words()}" for i in items)
    alt_text = (f"{_sentence(title)} Grouped bar chart of the highest level of service "
                f"involvement for {place}, {period}, against the national review. "
                f"{_sentence(details)}")

    with af_style():
        figure = _draw_service_contact(items, title, caption, place)
    return Chart(name=name, figure=figure, title=title, alt_text=alt_text, caption=caption)


def _draw_service_contact(items: list[_Item], title: str, caption: str, place: str) -> Figure:
    title_lines = _wrap(title, int(_WIDTH * 6.6)).count("\n") + 1
    top = 0.3 + title_lines * 0.3 + 0.55
    bottom = 1.3 + _caption_height(caption)
    height = top + 3.6 + bottom
    figure, ax = _new_figure(height, left=1.2, right=0.4, top=top, bottom=bottom)
    _title_block(figure, title, height=height)

    local_colour, national_colour = AF_CATEGORICAL[0], AF_CATEGORICAL[1]
    xs = np.arange(len(items))
    width = 0.38
    highest = 0.0
    for item, x in zip(items, xs, strict=True):
        if item.shown:
            ax.bar(x - width / 2, item.rate * 100, width=width, color=local_colour, zorder=2)
            highest = max(highest, item.rate * 100)
        local_y = item.rate * 100 if item.shown else 0
        ax.text(x - width / 2, local_y + 1.2, item.label_text(), ha="center", va="bottom",
                fontsize=11.5, color=_TEXT, fontweight="normal" if item.shown else "bold")
        if item.national is not None:
            ax.bar(x + width / 2, item.national * 100, width=width, color=national_colour,
                   hatch="//", edgecolor="white", linewidth=0.8, zorder=2)
            highest = max(highest, item.national * 100)
            ax.text(x + width / 2, item.national * 100 + 1.2, _pct(item.national),
                    ha="center", va="bottom", fontsize=11.5, color=_TEXT)
        else:
            ax.text(x + width / 2, 1.2, ":", ha="center", va="bottom", fontsize=11.5,
                    fontweight="bold", color=_TEXT)
    ax.set_xticks(xs)
    ax.set_xticklabels([_wrap(i.label, 14) for i in items])
    ax.tick_params(axis="x", length=0)
    limit = min(110.0, max(20.0, highest + 8))
    _percent_axis(ax, "y", limit)
    ax.spines["left"].set_visible(False)
    handles = [Patch(facecolor=local_colour, label=f"Local ({place})"),
               Patch(facecolor=national_colour, hatch="//", edgecolor="white",
                     label="National (2021 review)")]
    _legend_and_caption(figure, handles, caption, title_lines=title_lines, height=height,
                        ncols=2, handlelength=2.2, handleheight=1.2)
    return figure


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
    """
    import seaborn as sns

    _require_frame(cooc, (), "the co-occurrence matrix")
    _require_text(period=period, source=source, place=place)
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
            value = cooc.iat[i, j]
            number = _number(value)
            if number is None:
                hidden[i, j] = True
            else:
                counts[i, j] = number
    hidden |= hidden.T
    pairs = [(i, j) for i in range(1, n) for j in range(i)]
    shown_pairs = [(i, j) for i, j in pairs if not hidden[i, j]]
    hidden_pairs = [(i, j) for i, j in pairs if hidden[i, j]]

    def pair_words(i: int, j: int) -> str:
        return f"{labels[j]} with {_lower_first(labels[i])}"

    ranked = sorted(shown_pairs, key=lambda p: (-counts[p], p[0], p[1]))
    if title is None:
        if ranked and counts[ranked[0]] > 0:
            i, j = ranked[0]
            count = int(counts[i, j])
            cases = f"{count} case{'s' if count != 1 else ''}"
            ties = sum(1 for p in ranked if counts[p] == counts[i, j])
            if ties > 1:
                title = f"{ties} pairs of risk factors tied as most common, each in {cases}"
            else:
                title = (f"{labels[j]} and {_lower_first(labels[i])} together most often, "
                         f"in {cases}")
        elif ranked and not hidden_pairs:
            title = "No case had two of these risk factors recorded together"
        else:
            title = "Risk factor pairs suppressed to protect small numbers"

    caption = _caption(
        "number of cases with both risk factors recorded as yes; each cell is labelled "
        "with its count",
        place=place, period=period, source=source, national=False,
        suppressed=bool(hidden_pairs))
    top_pairs = [p for p in ranked if counts[p] > 0][:5]
    alt_text = (f"{_sentence(title)} Heatmap of the number of cases in {place}, {period}, "
                f"with each pair of {n} risk factors recorded together; darker cells mean more "
                f"cases and every cell is labelled with its count.")
    if top_pairs:
        alt_text += " Most common pairs: " + "; ".join(
            f"{pair_words(*p)}, {int(counts[p])} case{'s' if counts[p] != 1 else ''}"
            for p in top_pairs) + "."
    zero = [p for p in shown_pairs if counts[p] == 0]
    if zero:
        alt_text += f" {len(zero)} pair{'s' if len(zero) != 1 else ''} never occurred together."
    if hidden_pairs:
        alt_text += (f" {len(hidden_pairs)} pair{'s are' if len(hidden_pairs) != 1 else ' is'} "
                     f"{_SUPPRESSED_WORDS}, shown as c.")

    with af_style():
        figure = _draw_heatmap(sns, counts, hidden, labels, title, caption)
    return Chart(name=name, figure=figure, title=title, alt_text=alt_text, caption=caption)


def _sequential_cmap() -> LinearSegmentedColormap:
    return LinearSegmentedColormap.from_list("af_sequential", list(AF_SEQUENTIAL[::-1]))


def _draw_heatmap(sns, counts: np.ndarray, hidden: np.ndarray, labels: list[str], title: str,
                  caption: str) -> Figure:
    n = len(labels)
    rows, cols = list(range(1, n)), list(range(n - 1))
    grid = counts[np.ix_(rows, cols)]
    grid_hidden = hidden[np.ix_(rows, cols)]
    upper = np.triu(np.ones_like(grid, dtype=bool), k=1)
    title_lines = _wrap(title, int(_WIDTH * 6.6)).count("\n") + 1
    top = 0.3 + title_lines * 0.3 + 0.2
    longest = max(len(labels[c]) for c in range(n - 1))
    bottom = 0.45 + longest * 0.065 + _caption_height(caption)
    cell = min(0.75, 6.0 / max(1, n - 1))
    height = top + cell * (n - 1) + bottom
    left = 3.1
    right = _WIDTH - left - cell * (n - 1) - 0.3
    figure, ax = _new_figure(height, left=left, right=right, top=top, bottom=bottom)
    _title_block(figure, title, height=height)
    colourbar_ax = figure.add_axes(((_WIDTH - right + 0.45) / _WIDTH, bottom / height,
                                    0.22 / _WIDTH, (cell * (n - 1)) / height))

    cmap = _sequential_cmap()
    visible = grid[~upper & ~grid_hidden]
    vmax = max(1.0, float(np.nanmax(visible))) if visible.size and \
        not np.all(np.isnan(visible)) else 1.0
    norm = Normalize(vmin=0, vmax=vmax)
    sns.heatmap(
        pd.DataFrame(np.where(grid_hidden, np.nan, grid)), mask=upper | grid_hidden, ax=ax,
        cmap=cmap, norm=norm, annot=False, linewidths=1.5, linecolor="white",
        cbar_ax=colourbar_ax, cbar_kws={"label": "Number of cases"}, square=False,
        xticklabels=[labels[c] for c in cols],
        yticklabels=[_wrap(labels[r], 30) for r in rows],
    )
    for r in range(n - 1):
        for c in range(n - 1):
            if upper[r, c]:
                continue
            if grid_hidden[r, c]:
                ax.add_patch(Rectangle((c, r), 1, 1, facecolor=_NULL, edgecolor="white",
                                       linewidth=1.5, zorder=2))
                text, colour = SUPPRESSED, _TEXT
            else:
                text = f"{int(grid[r, c]):d}"
                colour = _best_text_colour(cmap(norm(grid[r, c])))
            ax.text(c + 0.5, r + 0.5, text, ha="center", va="center", fontsize=12,
                    color=colour, zorder=3)
    ax.tick_params(axis="both", length=0)
    ax.set_xticklabels(ax.get_xticklabels(), rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticklabels(ax.get_yticklabels(), rotation=0)
    ax.grid(False)
    colourbar_ax.tick_params(colors=_AXIS, labelcolor=_TEXT)
    colourbar_ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True, nbins=5))
    for spine in colourbar_ax.spines.values():
        spine.set_edgecolor(_AXIS)
    _caption_block(figure, caption, height=height)
    return figure


# --------------------------------------------------------------------------- trends over quarters
#
# The three charts below draw the history of quarterly audits (:mod:`audit.history`), the
# p-chart (:func:`audit.spc.p_chart`) and the partnership funnel (:func:`audit.spc.funnel_table`).
# They take *unsuppressed* tables and apply the board's small-numbers rule to the points they
# draw (``suppress_max``, default 5; ``0`` for an analyst's chart): a point whose count or the
# figures built on it would be ``c`` in the board tables is not plotted, carries no value
# label, is shown as ``c`` and is "suppressed (small number)" in the alt text. A table that
# already holds ``c`` is honoured too.

__all__ += ["trend_chart", "spc_chart", "funnel_plot"]

_PERIOD_COLUMNS = ("period", "quarter", "label")
_SPECIAL = AF_CATEGORICAL[2]   # dark pink, 9.8:1 on white: special cause / outside limits
_REFERENCE = "#3D3D3D"         # AF dark grey: centre, target and national reference lines


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
    raise ValueError("the table needs a 'period' (or 'quarter' / 'label') column naming each "
                     "quarter")


def _span(labels: Sequence[str]) -> str:
    if not labels:
        return "no periods"
    return labels[0] if len(labels) == 1 else f"{labels[0]} to {labels[-1]}"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _unit(labels: Sequence[str]) -> str:
    return "quarters" if all("-Q" in str(label) for label in labels) else "periods"


def _c_marker(ax, x: float, limit: float) -> None:
    ax.text(x, limit * 0.03, SUPPRESSED, ha="center", va="bottom", fontsize=13,
            fontweight="bold", color=_TEXT, zorder=5)


def _percent_limit(highest: float) -> float:
    return float(min(105.0, max(20.0, math.ceil((highest * 100 + 8) / 10) * 10)))


def _period_axis(ax, labels: Sequence[str]) -> None:
    xs = np.arange(len(labels))
    ax.set_xticks(xs)
    rotate = len(labels) > 8
    ax.set_xticklabels(labels, rotation=45 if rotate else 0, ha="right" if rotate else "center",
                       rotation_mode="anchor" if rotate else "default")
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
    suppress_max: int = 5,
    name: str | None = None,
) -> Chart:
    """A metric's rate quarter by quarter, with its 95% Wilson band and the national figure.

    ``history`` is one partnership's rows of :meth:`audit.history.HistoryStore.metrics`
    (``period``, ``metric``, ``numerator``, ``denominator``, ``unknown``, ``rate``,
    ``ci_low``, ``ci_high``), all metrics or just ``metric``'s; a series without a
    ``metric`` column is taken as ``metric``'s. Periods are sorted in time order.
    ``national_rate`` (0-1), when given, is drawn as a dashed reference line labelled with its
    value (pass ``audit.national.national_reference(metric)`` as a rate; the review's
    figure is one number for 2021, not a trend).

    Small numbers: each period is suppressed as its board pack was
    (:func:`audit.spc.suppressed_periods`, ``suppress_max``); a hidden quarter has no point,
    no band and a ``c`` label. ``suppress_max=0`` draws every point (analyst use). The
    title states the change between the first and the latest shown quarter.
    """
    from audit.spc import suppressed_periods

    _require_frame(history, ("rate",), "the history table")
    _require_text(source=source, place=place)
    label = metric_label(metric)
    column = _period_column(history)
    rows = history
    if "metric" in rows.columns:
        rows = rows.loc[rows["metric"].astype(str) == metric]
        if rows.empty:
            raise ValueError(f"metric {metric!r} is not in the history table")
    if "partnership" in history.columns and history["partnership"].nunique() > 1:
        raise ValueError("the history table holds several partnerships: chart one at a time")
    if rows[column].astype(str).duplicated().any():
        raise ValueError(f"a period appears twice for {metric!r}")
    if national_rate is not None:
        national = _number(national_rate)
        if national is None or not 0 <= national <= 1:
            raise ValueError(f"national_rate must be a rate between 0 and 1; got {national_rate!r}")
    else:
        national = None

    hidden: set[str] = set()
    if suppress_max:
        counts = ("numerator", "denominator", "unknown")
        if all(c in history.columns for c in counts):
            source_rows = history if "metric" in history.columns else \
                history.assign(metric=metric)
            hidden = suppressed_periods(source_rows.rename(columns={column: "period"}),
                                        metric, max_count=int(suppress_max))
        elif not any(is_suppressed(v) for v in rows["rate"]):
            raise ValueError("the history table has no numerator, denominator and unknown "
                             "columns to apply the small-numbers rule: pass them, a "
                             "suppressed table, or suppress_max=0 for an analyst's chart")

    ordered = sorted(range(len(rows)), key=lambda i: _period_sort_key(str(rows.iloc[i][column])))
    labels: list[str] = []
    points: list[_Item] = []
    for i in ordered:
        row = rows.iloc[i]
        period_label = str(row[column])
        hide = {metric} if period_label in hidden else set()
        labels.append(period_label)
        points.append(_item(row.drop(labels=["national_rate"], errors="ignore"), metric, hide,
                            label))
    shown = [(p, i) for i, p in enumerate(points) if p.shown]
    period_text = period or _span(labels)
    unit = _unit(labels)

    if title is None:
        if len(shown) >= 2:
            (first, a), (last, b) = shown[0], shown[-1]
            if _pct0(first.rate) == _pct0(last.rate):
                title = (f"{label} steady at {_pct0(last.rate)} of cases from {labels[a]} to "
                         f"{labels[b]}")
            else:
                verb = "rose" if last.rate > first.rate else "fell"
                title = (f"{label} {verb} from {_pct0(first.rate)} in {labels[a]} to "
                         f"{_pct0(last.rate)} in {labels[b]}")
        elif shown:
            title = f"{label} in {_pct0(shown[0][0].rate)} of cases in {labels[shown[0][1]]}"
        else:
            title = f"{label}: quarterly figures suppressed to protect small numbers"

    any_hidden = any(p.status == "suppressed" for p in points)
    caption = _caption(
        f"percentage of cases with '{_lower_first(label)}' each {unit[:-1]}, of those where it "
        "was recorded (unknowns excluded); shaded band: 95% Wilson confidence interval",
        place=place, period=period_text, source=source, national=national is not None,
        suppressed=any_hidden,
        extra="':' = not available (no cases recorded)." if any(
            p.status == "unavailable" for p in points) else "")
    values = "; ".join(
        f"{labels[i]}: {p.local_words().replace(' locally', '').replace('local figure ', '')}"
        for i, p in enumerate(points))
    alt_text = (f"{_sentence(title)} Line chart of the percentage of cases with "
                f"'{_lower_first(label)}' in {place}, for each of {len(points)} {unit} from "
                f"{_span(labels)}, with a shaded 95% confidence interval. {_sentence(values)}")
    if national is not None:
        alt_text += (f" A dashed line marks the national figure from the 2021 review, "
                     f"{_pct(national)}.")

    with af_style():
        figure = _draw_trend(points, labels, national, title, caption, place)
    return Chart(name=name or f"trend_{metric.replace('.', '_')}", figure=figure, title=title,
                 alt_text=alt_text, caption=caption)


def _draw_trend(points: list[_Item], labels: list[str], national: float | None, title: str,
                caption: str, place: str) -> Figure:
    title_lines = _wrap(title, int(_WIDTH * 6.6)).count("\n") + 1
    top = 0.3 + title_lines * 0.3 + 0.55
    bottom = (1.35 if len(labels) > 8 else 0.95) + _caption_height(caption)
    height = top + 3.8 + bottom
    right = 2.3 if national is not None else 1.0
    figure, ax = _new_figure(height, left=1.2, right=right, top=top, bottom=bottom)
    _title_block(figure, title, height=height)

    colour = AF_CATEGORICAL[0]
    xs = np.arange(len(points), dtype=float)
    rate = np.array([p.rate * 100 if p.shown else np.nan for p in points])
    low = np.array([p.ci_low * 100 if p.shown and p.ci_low is not None else np.nan
                    for p in points])
    high = np.array([p.ci_high * 100 if p.shown and p.ci_high is not None else np.nan
                     for p in points])
    highest = max([v for v in (*high, *rate) if not np.isnan(v)] +
                  ([national * 100] if national is not None else [0.0]), default=0.0)
    limit = _percent_limit(highest / 100)
    ax.fill_between(xs, low, high, color=colour, alpha=0.18, linewidth=0, zorder=1)
    for i in range(len(points)):  # a point with no shown neighbour gets its own band
        if not np.isnan(low[i]) and all(j < 0 or j >= len(points) or np.isnan(low[j])
                                        for j in (i - 1, i + 1)):
            ax.fill_between([xs[i] - 0.14, xs[i] + 0.14], [low[i]] * 2, [high[i]] * 2,
                            color=colour, alpha=0.18, linewidth=0, zorder=1)
    ax.plot(xs, rate, color=colour, linewidth=2.2, marker="o", markersize=7,
            markeredgecolor="white", markeredgewidth=1.2, zorder=3)
    for x, point in zip(xs, points, strict=True):
        if point.status == "suppressed":
            _c_marker(ax, x, limit)
        elif point.status == "unavailable":
            ax.text(x, limit * 0.03, ":", ha="center", va="bottom", fontsize=13,
                    fontweight="bold", color=_TEXT)
    shown = [i for i, p in enumerate(points) if p.shown]
    if shown:
        last = shown[-1]
        ax.text(xs[last] + 0.12, rate[last] + 2.5, _pct(points[last].rate), ha="left",
                va="bottom", fontsize=12, color=_TEXT, path_effects=_halo(), zorder=6)
    if national is not None:
        ax.axhline(national * 100, color=_REFERENCE, linestyle="--", linewidth=1.8,
                   zorder=2)
        blend = blended_transform_factory(ax.transAxes, ax.transData)
        ax.text(1.02, national * 100, f"National (2021\nreview): {_pct(national)}",
                transform=blend, ha="left", va="center", fontsize=11, color=_TEXT,
                clip_on=False)
    _period_axis(ax, labels)
    _percent_axis(ax, "y", limit)
    ax.grid(axis="y", visible=True)
    handles = [Line2D([0], [0], color=colour, linewidth=2.2, marker="o", markersize=7,
                      markeredgecolor="white", label=f"Local ({place})"),
               Patch(facecolor=colour, alpha=0.18, label="95% confidence interval")]
    if national is not None:
        handles.append(Line2D([0], [0], color=_REFERENCE, linestyle="--",
                              linewidth=1.8, label="National (2021 review)"))
    _legend_and_caption(figure, handles, caption, title_lines=title_lines, height=height,
                        ncols=len(handles), handlelength=2.2, columnspacing=1.4)
    return figure


# --------------------------------------------------------------------------- SPC (p-chart)


def _small_count_rows(num: np.ndarray, den: np.ndarray, k: int) -> np.ndarray:
    """Rows a board would hide by the row rules: numerator, no or denominator in 1..k."""
    def small(v: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return (v >= 1) & (v <= k)
    return small(num) | small(den - num) | small(den)


def spc_chart(
    chart: pd.DataFrame,
    *,
    metric: str,
    source: str,
    place: str,
    period: str | None = None,
    title: str | None = None,
    suppress_max: int = 5,
    hidden: Sequence[str] | set[str] | None = None,
    name: str | None = None,
) -> Chart:
    """A p-chart (:func:`audit.spc.p_chart`) in the Making Data Count manner, with its reading.

    Points joined by a line; the centre line (average) solid; the 3-sigma control limits as
    dashed stepped lines (they vary with each quarter's cases). Special-cause points
    (outside the limits or in a run of 7 or more on one side) are dark pink diamonds,
    common-cause points blue circles: shape and colour, and the legend says which. The alt
    text and title state :func:`audit.spc.spc_reading`.

    Small numbers: a quarter whose numerator, ``denominator − numerator`` or denominator is
    1..``suppress_max``, whose figures hold ``c``, or that is in ``hidden`` (give
    :func:`audit.spc.suppressed_periods` of the history rows so the chart hides exactly what
    each quarter's board pack hid) is not plotted and shows ``c``. The average and the limits
    still use every quarter's counts. A hidden quarter's own "outside the limits" flag is not
    reported (with its case count known it could narrow the hidden figure); its place in a
    run is, since a run says only which side of the average it lies.
    """
    from audit.spc import spc_reading

    _require_frame(chart, ("label", "numerator", "denominator", "rate", "centre", "lower",
                           "upper", "side", "run_length", "outside", "run"), "the p-chart")
    _require_text(source=source, place=place)
    label = metric_label(metric)
    labels = [str(v) for v in chart["label"]]
    num = pd.to_numeric(chart["numerator"], errors="coerce").to_numpy(dtype=float)
    den = pd.to_numeric(chart["denominator"], errors="coerce").to_numpy(dtype=float)
    marked = np.array([any(is_suppressed(chart[c].iloc[i]) for c in
                           ("numerator", "denominator", "rate")) for i in range(len(chart))],
                      dtype=bool)
    hide = marked | np.isin(labels, list(hidden or ()))
    if suppress_max:
        hide |= _small_count_rows(num, den, int(suppress_max))
    rate = pd.to_numeric(chart["rate"], errors="coerce").to_numpy(dtype=float, copy=True)
    rate[hide] = np.nan
    # The reading a board may see: a hidden quarter's own "outside" flag is dropped.
    board = chart.copy()
    board["outside"] = np.asarray(chart["outside"], dtype=bool) & ~hide
    reading = spc_reading(board, unit=_unit(labels))
    special = (np.asarray(board["outside"], dtype=bool) | np.asarray(chart["run"], dtype=bool)) \
        & ~hide & ~np.isnan(rate)
    centre = _number(chart["centre"].iloc[0])
    period_text = period or _span(labels)
    unit = _unit(labels)

    if title is None:
        if centre is None:
            title = f"{label}: no cases recorded in these {unit}"
        elif reading.startswith("common-cause"):
            title = (f"{label}: common-cause variation only, around an average of "
                     f"{_pct0(centre)}")
        else:
            title = f"{label}: {_spc_headline(board, labels)}"
    caption = _caption(
        f"percentage of cases with '{_lower_first(label)}' each {unit[:-1]}, unknowns excluded. "
        "Statistical process control p-chart: centre line = average over all "
        f"{unit}; control limits = average ± 3 standard errors for each {unit[:-1]}'s cases. "
        "Special cause (NHS England, Making Data Count): a point outside the limits, or 7 or "
        "more in a row on one side of the average",
        place=place, period=period_text, source=source, national=False,
        suppressed=bool(hide.any()))

    def words(i: int) -> str:
        if hide[i] and not (np.isnan(den[i]) or den[i] == 0):
            return f"{labels[i]}: {_SUPPRESSED_WORDS}"
        if np.isnan(rate[i]):
            return f"{labels[i]}: not available (no cases recorded)"
        note = " (special cause)" if special[i] else ""
        return f"{labels[i]}: {_pct(rate[i])}{note}"

    alt_text = (f"{_sentence(title)} Statistical process control chart (p-chart) of the "
                f"percentage of cases with '{_lower_first(label)}' in {place}, for "
                f"{len(labels)} {unit} from {_span(labels)}.")
    if centre is not None:
        alt_text += (f" The average is {_pct(centre)}; the control limits are three standard "
                     f"errors either side. Reading: {reading}.")
    alt_text += " " + _sentence("; ".join(words(i) for i in range(len(labels))))

    lower = pd.to_numeric(chart["lower"], errors="coerce").to_numpy(dtype=float)
    upper = pd.to_numeric(chart["upper"], errors="coerce").to_numpy(dtype=float)
    with af_style():
        figure = _draw_spc(labels, rate, lower, upper, centre, special, hide & ~(
            np.isnan(den) | (den == 0)), title, caption)
    return Chart(name=name or f"spc_{metric.replace('.', '_')}", figure=figure, title=title,
                 alt_text=alt_text, caption=caption)


def _spc_headline(board: pd.DataFrame, labels: list[str]) -> str:
    """A short title for a chart with special causes: the latest shift, then the outliers."""
    parts = []
    side = np.asarray(board["side"], dtype=np.int64)
    runs = np.asarray(board["run"], dtype=bool)
    lengths = np.asarray(board["run_length"], dtype=np.int64)
    rate = pd.to_numeric(board["rate"], errors="coerce").to_numpy(dtype=float)
    with_data = np.flatnonzero(~np.isnan(rate))
    if runs.any():
        end = int(np.flatnonzero(runs)[-1])
        start = end - int(lengths[end]) + 1
        where = "above" if side[end] > 0 else "below"
        if with_data.size and end == int(with_data[-1]):
            parts.append(f"shift {where} the average since {labels[start]}")
        else:
            parts.append(f"shift {where} the average from {labels[start]} to {labels[end]}")
    outside = np.flatnonzero(np.asarray(board["outside"], dtype=bool))
    if len(outside) == 1:
        parts.append(f"a point outside the limits in {labels[int(outside[0])]}")
    elif len(outside) > 1:
        parts.append(f"{len(outside)} points outside the limits")
    return " and ".join(parts)


def _draw_spc(labels: list[str], rate: np.ndarray, lower: np.ndarray, upper: np.ndarray,
              centre: float | None, special: np.ndarray, hidden: np.ndarray, title: str,
              caption: str) -> Figure:
    title_lines = _wrap(title, int(_WIDTH * 6.6)).count("\n") + 1
    top = 0.3 + title_lines * 0.3 + 0.85
    bottom = (1.35 if len(labels) > 8 else 0.95) + _caption_height(caption)
    height = top + 3.8 + bottom
    figure, ax = _new_figure(height, left=1.2, right=1.0, top=top, bottom=bottom)
    _title_block(figure, title, height=height)
    xs = np.arange(len(labels), dtype=float)
    highest = np.nanmax(np.concatenate([rate, upper, [0.0]]))
    limit = _percent_limit(float(highest))

    if centre is not None:
        ax.axhline(centre * 100, color=_REFERENCE, linewidth=1.8, zorder=2)
    for bound in (upper, lower):
        ax.plot(xs, bound * 100, drawstyle="steps-mid", color=_REFERENCE,
                linestyle="--", linewidth=1.4, zorder=2)
    ax.plot(xs, rate * 100, color=AF_CATEGORICAL[0], linewidth=1.4, zorder=3)
    common = ~special & ~np.isnan(rate)
    ax.plot(xs[common], rate[common] * 100, linestyle="none", marker="o", markersize=8,
            color=AF_CATEGORICAL[0], markeredgecolor="white", markeredgewidth=1.2, zorder=4)
    ax.plot(xs[special], rate[special] * 100, linestyle="none", marker="D", markersize=10,
            color=_SPECIAL, markeredgecolor="white", markeredgewidth=1.2, zorder=5)
    for x in xs[hidden]:
        _c_marker(ax, x, limit)
    _period_axis(ax, labels)
    _percent_axis(ax, "y", limit)
    handles = [
        Line2D([0], [0], linestyle="none", marker="o", markersize=8, color=AF_CATEGORICAL[0],
               markeredgecolor="white", label="Common cause"),
        Line2D([0], [0], linestyle="none", marker="D", markersize=10, color=_SPECIAL,
               markeredgecolor="white", label="Special cause"),
        Line2D([0], [0], color=_REFERENCE, linewidth=1.8, label="Average"),
        Line2D([0], [0], color=_REFERENCE, linestyle="--", linewidth=1.4,
               label="Control limits (3 sigma)"),
    ]
    _legend_and_caption(figure, handles, caption, title_lines=title_lines, height=height,
                        ncols=2, handlelength=2.2, columnspacing=1.4)
    return figure


# --------------------------------------------------------------------------- funnel plot


def funnel_plot(
    table: pd.DataFrame,
    *,
    source: str,
    place: str,
    period: str,
    title: str | None = None,
    suppress_max: int = 5,
    by: str = "partnership",
    method: str = "exact",
    name: str | None = None,
) -> Chart:
    """Partnerships' rates against their numbers of cases, inside 95% and 99.8% funnel limits.

    ``table`` is :func:`audit.spc.funnel_table` output for one metric (raw, or already
    passed through :func:`audit.spc.suppress_funnel_table`); ``place`` names the whole
    geography (e.g. "three partnerships pooled"). The target is a solid line labelled with
    its basis and value; the 95% limits are dashed, the 99.8% limits dotted (line style, not
    colour, tells them apart), drawn as smooth curves with ``method``. Each point is labelled
    with its partnership's name; a point outside the 95% limits is a dark pink triangle,
    outside the 99.8% limits a dark pink diamond, inside a blue circle.

    Small numbers: the table goes through :func:`audit.spc.suppress_funnel_table`
    (``suppress_max``; ``0`` for an analyst's chart). A partnership whose numerator or
    denominator is ``c`` is not plotted: it is named in the caption and alt text as
    suppressed, with no value.
    """
    from audit.spc import funnel_limits, suppress_funnel_table

    _require_frame(table, (by, "metric", "numerator", "denominator", "rate", "target"),
                   "the funnel table")
    _require_text(source=source, place=place, period=period)
    metrics = table["metric"].astype(str).unique()
    if len(metrics) != 1:
        raise ValueError("the funnel table must hold one metric")
    metric = str(metrics[0])
    label = metric_label(metric)
    levels = sorted({c.removeprefix("lower_") for c in table.columns if c.startswith("lower_")},
                    key=lambda s: float(s.replace("_", ".")))
    if not levels:
        raise ValueError("the funnel table has no limit columns (lower_95, ...)")
    board = suppress_funnel_table(table, max_count=int(suppress_max), by=by) \
        if suppress_max else table
    target = _number(table["target"].iloc[0])
    if target is None:
        raise ValueError("the funnel table has no target rate")
    basis = str(table["target_basis"].iloc[0]) if "target_basis" in table.columns else "given"
    basis_words = {"pooled": "pooled rate of all the partnerships",
                   "national": "national figure (2021 review)"}.get(basis, "target")

    names = [str(v) for v in board[by]]
    shown, suppressed, empty = [], [], []
    widest, strictest = levels[0], levels[-1]
    for i, partnership in enumerate(names):
        row = board.iloc[i]
        rate = _number(row["rate"])
        den = _number(row["denominator"])
        if any(is_suppressed(row[c]) for c in ("numerator", "denominator", "rate")):
            suppressed.append(partnership)
        elif rate is None or not den:
            empty.append(partnership)
        else:
            outside = {lv: bool(row.get(f"outside_{lv}", False)) for lv in levels}
            state = ("strict" if outside[strictest] else
                     "wide" if outside[widest] else "within")
            above = rate > target
            shown.append({"name": partnership, "rate": rate, "n": int(den), "state": state,
                          "above": above, "position": str(row.get("position", ""))})

    def level_words(suffix: str) -> str:
        return suffix.replace("_", ".") + "%"

    if title is None:
        strict = [p for p in shown if p["state"] == "strict"]
        wide = [p for p in shown if p["state"] == "wide"]
        if len(strict) == 1 or (not strict and len(wide) == 1):
            p = (strict or wide)[0]
            where = "above" if p["above"] else "below"
            title = (f"{p['name']} {where} the {level_words(strictest if strict else widest)} "
                     f"limit for {_lower_first(label)}, at {_pct0(p['rate'])}")
        elif strict:
            title = (f"{len(strict)} partnerships outside the {level_words(strictest)} limits "
                     f"for {_lower_first(label)}")
        elif wide:
            title = (f"{len(wide)} partnerships outside the {level_words(widest)} limits "
                     f"for {_lower_first(label)}")
        elif len(shown) == 1:
            title = (f"{shown[0]['name']} within the funnel limits for "
                     f"{_lower_first(label)}, at {_pct0(shown[0]['rate'])}")
        elif shown:
            title = (f"All {len(shown)} partnerships shown within the limits for "
                     f"{_lower_first(label)}")
        else:
            title = f"{label}: partnership figures suppressed to protect small numbers"

    extra = []
    if suppressed:
        extra.append(f"Not shown, to protect small numbers: {', '.join(suppressed)}.")
    if empty:
        extra.append(f"No cases recorded: {', '.join(empty)}.")
    caption = _caption(
        f"percentage of cases with '{_lower_first(label)}', unknowns excluded, against the "
        f"number of cases where it was recorded. Target: {basis_words}, {_pct(target)}. "
        f"Funnel limits: {' and '.join(level_words(lv) for lv in levels)}, exact binomial "
        "(Spiegelhalter 2005)",
        place=place, period=period, source=source, national=basis == "national",
        suppressed=bool(suppressed), extra=" ".join(extra))
    details = "; ".join(
        f"{p['name']}: {_pct(p['rate'])} of {p['n']} cases, "
        f"{p['position'] or ('outside the limits' if p['state'] != 'within' else 'within the limits')}"
        for p in shown)
    alt_text = (f"{_sentence(title)} Funnel plot of the percentage of cases with "
                f"'{_lower_first(label)}' for {len(names)} partnerships ({place}), {period}, "
                f"each against its number of cases, with {' and '.join(level_words(lv) for lv in levels)} control "
                f"limits around the {basis_words} of {_pct(target)}.")
    if details:
        alt_text += " " + _sentence(details)
    if suppressed:
        alt_text += (f" {', '.join(suppressed)}: {_SUPPRESSED_WORDS}, not plotted.")
    if empty:
        alt_text += f" {', '.join(empty)}: no cases recorded."

    max_n = max((p["n"] for p in shown), default=10)
    grid = np.unique(np.round(np.geomspace(1, max(2, max_n * 1.15), 400)).astype(int))
    curves = funnel_limits(grid, target, [float(lv.replace("_", ".")) / 100 for lv in levels],
                           method=method)
    with af_style():
        figure = _draw_funnel_plot(shown, curves, levels, target, title, caption)
    return Chart(name=name or f"funnel_{metric.replace('.', '_')}", figure=figure, title=title,
                 alt_text=alt_text, caption=caption)


def _draw_funnel_plot(shown: list[dict], curves: pd.DataFrame, levels: list[str],
                      target: float, title: str, caption: str) -> Figure:
    title_lines = _wrap(title, int(_WIDTH * 6.6)).count("\n") + 1
    top = 0.3 + title_lines * 0.3 + 0.85
    bottom = 0.95 + _caption_height(caption)
    height = top + 4.2 + bottom
    figure, ax = _new_figure(height, left=1.2, right=1.0, top=top, bottom=bottom)
    _title_block(figure, title, height=height)
    styles = ["--", ":", "-."]
    n = curves["denominator"].to_numpy(dtype=float)
    ax.axhline(target * 100, color=_REFERENCE, linewidth=1.8, zorder=2)
    handles = [Line2D([0], [0], color=_REFERENCE, linewidth=1.8,
                      label=f"Target: {_pct(target)}")]
    for i, suffix in enumerate(levels):
        style = styles[i % len(styles)]
        for side in ("lower", "upper"):
            ax.plot(n, curves[f"{side}_{suffix}"].to_numpy() * 100, color=_REFERENCE,
                    linestyle=style, linewidth=1.5, zorder=2)
        handles.append(Line2D([0], [0], color=_REFERENCE, linestyle=style, linewidth=1.5,
                              label=f"{suffix.replace('_', '.')}% limits"))
    markers = {"within": ("o", AF_CATEGORICAL[0], 8), "wide": ("^", _SPECIAL, 10),
               "strict": ("D", _SPECIAL, 10)}
    for p in shown:
        marker, colour, size = markers[p["state"]]
        ax.plot([p["n"]], [p["rate"] * 100], linestyle="none", marker=marker, color=colour,
                markersize=size, markeredgecolor="white", markeredgewidth=1.2, zorder=5)
        ax.annotate(p["name"], (p["n"], p["rate"] * 100), xytext=(8, 6),
                    textcoords="offset points", fontsize=11.5, color=_TEXT, zorder=6,
                    path_effects=_halo())
    handles += [
        Line2D([0], [0], linestyle="none", marker="o", markersize=8, color=AF_CATEGORICAL[0],
               markeredgecolor="white", label="Within the limits"),
        Line2D([0], [0], linestyle="none", marker="^", markersize=10, color=_SPECIAL,
               markeredgecolor="white", label=f"Outside {levels[0].replace('_', '.')}%"),
    ]
    if len(levels) > 1:
        handles.append(Line2D([0], [0], linestyle="none", marker="D", markersize=10,
                              color=_SPECIAL, markeredgecolor="white",
                              label=f"Outside {levels[-1].replace('_', '.')}%"))
    ax.set_xlim(0, float(n.max()) * 1.02)
    ax.set_xlabel("Number of cases where it was recorded")
    _percent_axis(ax, "y", 100)
    ax.grid(axis="x", visible=False)
    _legend_and_caption(figure, handles, caption, title_lines=title_lines, height=height,
                        ncols=3, handlelength=2.4, columnspacing=1.2)
    return figure
