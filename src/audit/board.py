"""The board pack: sections the notebooks write, and the one HTML file built from them.

This is the boundary between analyst and board outputs. A notebook adds text, charts and
tables to a :class:`BoardSection`; every table passes through :mod:`audit.suppress` here,
and case-level columns are refused, so nothing a notebook does can put a small count or a
case id into the pack. :func:`render_board_pack` then joins the saved sections, in a fixed
order, into one self-contained, accessible HTML page (WCAG 2.2 AA: language set, headings
in order, tables with captions and header cells, alt text on every image).

HTML is rendered with a Jinja2 template rather than by converting the notebooks with
nbconvert: the notebooks are analyst copies with unsuppressed numbers, so converting them
would put the boundary in cell tags, and nbconvert's templates do not give the control
over headings, landmarks and contrast that the accessibility duty needs.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from audit.contract import metric_label
from audit.errors import ReportError

__all__ = [
    "SECTION_ORDER",
    "BoardSection",
    "load_sections",
    "section_tables",
    "render_board_pack",
    "metrics_display_table",
    "funnel_display_table",
    "rolling_display_table",
]

#: Sections of the pack, in reading order; a section not listed goes after these.
SECTION_ORDER: tuple[str, ...] = (
    "summary",
    "risk-factors",
    "engagement",
    "services",
    "trends",
    "partnerships",
    "data-quality",
)

# Columns that would carry row-level data; a board table may never have one.
_ROW_LEVEL_COLUMNS = {"case_id", "row", "notification_date", "child_age_months",
                      "father_age_at_birth"}


def metrics_display_table(board_metrics: pd.DataFrame, metric_ids: Sequence[str],
                          verdict_text: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The published view of (already suppressed) metric rows: labels, counts, percentages."""
    from audit.suppress import format_count, format_percent

    rows = board_metrics.set_index("metric")
    out = []
    for metric in metric_ids:
        if metric not in rows.index:
            continue
        r = rows.loc[metric]
        ci = ("c" if "c" in (r["ci_low"], r["ci_high"]) else
              f"{format_percent(r['ci_low'])} to {format_percent(r['ci_high'])}"
              if pd.notna(r["ci_low"]) else ":")
        record = {
            "Measure": metric_label(metric),
            "Cases (yes)": format_count(r["numerator"]),
            "Of cases known": format_count(r["denominator"]),
            "Not known": format_count(r["unknown"]),
            "Percentage": format_percent(r["rate"]),
            "95% confidence interval": ci,
            "National (92 cases)": format_percent(r["national_rate"]),
        }
        if verdict_text is not None:
            record["Compared with national"] = verdict_text.get(metric, ":")
        out.append(record)
    return pd.DataFrame(out)


def funnel_display_table(board_funnels: pd.DataFrame) -> pd.DataFrame:
    """The published view of (already suppressed) funnel tables: one row a partnership and metric."""
    from audit.suppress import format_count, format_percent

    rows = []
    for _, r in board_funnels.iterrows():
        rows.append({
            "Partnership": str(r["partnership"]),
            "Measure": metric_label(str(r["metric"])),
            "Cases (yes)": format_count(r["numerator"]),
            "Of cases known": format_count(r["denominator"]),
            "Percentage": format_percent(r["rate"]),
            f"Target ({r['target_basis']})": format_percent(r["target"]),
            "Against the funnel limits": str(r["position"]),
        })
    return pd.DataFrame(rows)


def rolling_display_table(rolling: pd.DataFrame, metric_ids: Sequence[str],
                          suppress_max: int, *, quarterly: pd.DataFrame | None = None,
                          end: str | None = None) -> pd.DataFrame:
    """The latest four-quarter window for ``metric_ids``, as the board may see it.

    Only the window ending at ``end`` (default: the latest) is shown: two overlapping
    windows differ by one quarter at each end, so showing several would give away the
    quarters the trend charts hide. For the same reason, given the ``quarterly`` rows the
    trend charts use, a metric's window is hidden when the quarters hidden there add up to a
    count of 1 to ``suppress_max`` (the window minus the shown quarters would reveal it).
    """
    from audit.spc import suppressed_periods
    from audit.suppress import format_count, format_percent, suppress_metrics

    if rolling.empty:
        return pd.DataFrame()
    end = end or str(rolling["window_end"].max())
    window = rolling[rolling["window_end"] == end]
    if window.empty:
        return pd.DataFrame()
    keep = [c for c in window.columns if c in ("metric", "numerator", "denominator", "unknown",
                                                 "rate", "ci_low", "ci_high", "national_numerator",
                                                 "national_denominator", "national_rate",
                                                 "p_value")]
    board = suppress_metrics(window[keep], max_count=suppress_max).set_index("metric")
    label = str(window["window"].iloc[0])
    quarters = set()
    if quarterly is not None and not quarterly.empty:
        start = str(window["window_start"].iloc[0])
        quarters = {p for p in quarterly["period"] if start <= p <= end}
    rows = []
    for metric in metric_ids:
        if metric not in board.index:
            continue
        r = board.loc[metric]
        if quarters and 0 < suppress_max:
            series = quarterly[(quarterly["metric"] == metric) & quarterly["period"].isin(quarters)]
            hidden = suppressed_periods(quarterly[quarterly["period"].isin(quarters)], metric,
                                        max_count=suppress_max)
            rest = series[series["period"].isin(hidden)]
            # What "window minus shown quarters" gives: the hidden quarters' yes, no and
            # known counts (unknowns are not shown here, so they cannot be differenced).
            residual = (int(rest["numerator"].sum()),
                        int((rest["denominator"] - rest["numerator"]).sum()),
                        int(rest["denominator"].sum()))
            if any(1 <= v <= suppress_max for v in residual):
                r = r.copy()
                r[["numerator", "denominator", "rate"]] = "c"
        rows.append({"Four quarters": label, "Measure": metric_label(metric),
                     "Cases (yes)": format_count(r["numerator"]),
                     "Of cases known": format_count(r["denominator"]),
                     "Percentage": format_percent(r["rate"])})
    return pd.DataFrame(rows)


@dataclass
class BoardSection:
    """One section of the board pack, built by a notebook and saved for ``audit run``.

    ``output_dir`` empty means preview only (a notebook opened by hand): nothing is written.
    """

    key: str
    title: str
    output_dir: str | Path | None = None
    suppress_max: int = 5
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9-]+", self.key):
            raise ValueError(f"section key {self.key!r} must be lower-case letters, digits and '-'")
        self.suppress_max = int(self.suppress_max)
        if self.suppress_max < 0:
            raise ValueError("suppress_max must be 0 or more")
        self.output_dir = Path(self.output_dir) if self.output_dir else None

    # -- content -------------------------------------------------------------------------
    def text(self, text: str) -> BoardSection:
        """Add prose: paragraphs separated by blank lines; lines starting '- ' become a list."""
        self.blocks.append({"kind": "text", "text": text.strip()})
        return self

    def heading(self, text: str) -> BoardSection:
        """Add a sub-heading (rendered one level below the section title)."""
        self.blocks.append({"kind": "heading", "text": text.strip()})
        return self

    def chart(self, chart: Any) -> BoardSection:
        """Add a chart (:class:`audit.charts.Chart`); saved as PNG under ``charts/``."""
        png = None
        if self.output_dir is not None:
            path = self.output_dir / "charts" / f"{chart.name}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            chart.save(path)
            png = f"charts/{chart.name}.png"
        else:
            import io

            buffer = io.BytesIO()
            chart.figure.savefig(buffer, format="png", dpi=110)
            png = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
        self.blocks.append({"kind": "chart", "src": png, "title": chart.title,
                            "alt": chart.alt_text, "caption": chart.caption})
        return self

    def table(self, frame: pd.DataFrame, caption: str, *,
              count_columns: Sequence[str] = (),
              derived: Mapping[str, Sequence[str]] | Sequence[str] | None = None,
              complements: Mapping[str, str] | None = None,
              suppressed: bool = False) -> BoardSection:
        """Add a table. Counts of 1 to ``suppress_max`` (and figures derived from them) become ``c``.

        Pass ``suppressed=True`` only for a table already produced by :mod:`audit.suppress`.
        """
        from audit.suppress import suppress_counts

        bad = _ROW_LEVEL_COLUMNS & {str(c).lower() for c in frame.columns}
        bad |= _ROW_LEVEL_COLUMNS & {str(frame.index.name or "").lower()}
        if bad:
            raise ReportError(f"board table '{caption}' has row-level column(s) "
                              f"{sorted(bad)}: board outputs carry aggregates only")
        if not suppressed:
            frame = suppress_counts(frame, list(count_columns), max_count=self.suppress_max,
                                    derived=derived, complements=complements)
        columns = [str(c) for c in frame.columns]
        records = list(frame.itertuples(index=False))
        rows = [[_cell(v) for v in record] for record in records]
        # Typed values too (numbers stay numbers, "c" stays text) for the Excel workbook.
        values = [[_json_value(v) for v in record] for record in records]
        self.blocks.append({"kind": "table", "caption": caption, "columns": columns,
                            "rows": rows, "values": values})
        return self

    # -- output --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "blocks": self.blocks}

    def save(self) -> Path | None:
        """Write the section for ``audit run`` to assemble; no-op in preview mode."""
        if self.output_dir is None:
            return None
        path = self.output_dir / "sections" / f"{self.key}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n",
                        encoding="utf-8", newline="")
        return path

    def _repr_html_(self) -> str:
        return _render_section(self.to_dict(), level=2, image_root=self.output_dir)


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ":"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _json_value(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and pd.isna(value):
        return None
    if isinstance(value, (int, float, str, bool)):
        return value
    return str(value)


def section_tables(sections: Sequence[Mapping[str, Any]]) -> dict[str, pd.DataFrame]:
    """Every table of the saved sections, named for a workbook sheet ("Risk factors 2")."""
    tables: dict[str, pd.DataFrame] = {}
    for section in sections:
        blocks = [b for b in section["blocks"] if b["kind"] == "table"]
        for i, block in enumerate(blocks, start=1):
            name = section["title"] if len(blocks) == 1 else f"{section['title']} {i}"
            tables[name] = pd.DataFrame(block.get("values", block["rows"]),
                                        columns=block["columns"])
    return tables


def load_sections(output_dir: str | Path) -> list[dict[str, Any]]:
    """The sections saved under ``output_dir/sections``, in :data:`SECTION_ORDER`."""
    folder = Path(output_dir) / "sections"
    sections = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
    rank = {key: i for i, key in enumerate(SECTION_ORDER)}
    return sorted(sections, key=lambda s: (rank.get(s["key"], len(rank)), s["key"]))


# -- HTML ---------------------------------------------------------------------------------

def _paragraphs(text: str) -> str:
    parts = []
    for para in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in para.strip().splitlines() if ln.strip()]
        if not lines:
            continue
        if all(ln.startswith("- ") for ln in lines):
            items = "".join(f"<li>{_inline(ln[2:])}</li>" for ln in lines)
            parts.append(f"<ul>{items}</ul>")
        else:
            parts.append(f"<p>{_inline(' '.join(lines))}</p>")
    return "\n".join(parts)


def _inline(text: str) -> str:
    # Escape first, then allow **bold** only.
    escaped = html.escape(text)
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped)


def _image_src(src: str, image_root: Path | None) -> str:
    if src.startswith("data:") or image_root is None:
        return src
    data = (Path(image_root) / src).read_bytes()
    return "data:image/png;base64," + base64.b64encode(data).decode()


# A cell that holds a figure: a count, a percentage, a range of them, or a symbol (c, :).
_NUMERIC_CELL = re.compile(
    r"(?:c|:|-?[\d,]+(?:\.\d+)?%?(?: to -?[\d,]+(?:\.\d+)?%?)?)", re.IGNORECASE)

#: Tables with at most this many body rows are kept on one printed page.
_SHORT_TABLE_ROWS = 15


def _is_numeric(value: str) -> bool:
    return bool(_NUMERIC_CELL.fullmatch(value.strip()))


def _render_table(block: Mapping[str, Any], table_id: str) -> str:
    """A data table: caption, column headers, row headers; figures right-aligned.

    Wrapped in a focusable, labelled region so a keyboard user can scroll a wide table
    (WCAG 2.1.1, 1.4.10); a short table is kept on one printed page.
    """
    columns, rows = block["columns"], block["rows"]
    numeric = [bool(rows) and i > 0 and all(_is_numeric(r[i]) for r in rows)
               for i in range(len(columns))]
    num = ' class="num"'
    head = "".join(f'<th scope="col"{num if numeric[i] else ""}>{html.escape(c)}</th>'
                   for i, c in enumerate(columns))
    body = []
    for row in rows:
        cells = [f'<th scope="row">{html.escape(row[0])}</th>'] + [
            f'<td{num if numeric[i] or _is_numeric(v) else ""}>{html.escape(v)}</td>'
            for i, v in enumerate(row[1:], start=1)]
        body.append("<tr>" + "".join(cells) + "</tr>")
    size = " short" if len(rows) <= _SHORT_TABLE_ROWS else ""
    return (f'<div class="table-wrap{size}" tabindex="0" role="region" '
            f'aria-label="{html.escape(block["caption"], quote=True)}"><table id="{table_id}">'
            f'<caption>{html.escape(block["caption"])}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


def _render_section(section: Mapping[str, Any], *, level: int, image_root: Path | None) -> str:
    key = html.escape(section["key"])
    h, sub = f"h{level}", f"h{level + 1}"
    out = [f'<section id="{key}" aria-labelledby="{key}-title">',
           f'<{h} id="{key}-title">{html.escape(section["title"])}</{h}>']
    tables = 0
    for block in section["blocks"]:
        kind = block["kind"]
        if kind == "text":
            out.append(_paragraphs(block["text"]))
        elif kind == "heading":
            out.append(f"<{sub}>{html.escape(block['text'])}</{sub}>")
        elif kind == "chart":
            # The title is the figure's heading, so it never prints apart from its chart. The
            # chart image already shows its title and caption, so the text versions are for
            # screen readers and search only (visually hidden, not display:none).
            src = _image_src(block["src"], image_root)
            out.append(
                '<figure class="chart">'
                f'<{sub} class="chart-title visually-hidden">{html.escape(block["title"])}</{sub}>'
                f'<img src="{src}" alt="{html.escape(block["alt"], quote=True)}">'
                f'<figcaption class="visually-hidden">{html.escape(block["caption"])}</figcaption>'
                '</figure>')
        elif kind == "table":
            tables += 1
            out.append(_render_table(block, f"{key}-table-{tables}"))
        else:  # pragma: no cover - sections are written by BoardSection only
            raise ReportError(f"unknown block kind {kind!r} in section {section['key']!r}")
    out.append("</section>")
    return "\n".join(out)


def render_board_pack(sections: Sequence[Mapping[str, Any]], *, title: str, subtitle: str,
                      provenance: Sequence[tuple[str, str]], image_root: str | Path) -> str:
    """One self-contained HTML page: contents, sections, provenance; images embedded."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    if not sections:
        raise ReportError("no board-pack sections were produced")
    env = Environment(loader=PackageLoader("audit", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    body = [_render_section(s, level=2, image_root=Path(image_root)) for s in sections]
    from markupsafe import Markup

    return env.get_template("board-pack.html.j2").render(
        title=title, subtitle=subtitle,
        contents=[(s["key"], s["title"]) for s in sections],
        sections=[Markup(b) for b in body],
        provenance=provenance,
    )
