"""An independent oracle on what a public pack publishes (issue 24).

It reads a written public pack as a reader would — every table of the HTML page, every
sheet of the workbook at the precision its cells store, ``metrics.csv``, the slides' text,
tables and notes, the alt text of every chart, ``figures.csv`` and ``manifest.json`` — and
checks, **without importing** :mod:`audit.disclosure`:

1. no count from 1 to ``k`` is printed (``k`` from the manifest), in a table or in words;
2. nothing built on a hidden count is printed beside it: no rate, interval, share, p-value,
   adjusted p, position against limits or comparison with the national figure in a row
   whose count is ``c``; no hidden quarter is said to be outside the limits, above or below;
3. every count printed in a table is the figure ``figures.csv`` records at that address
   (``c`` where it is hidden), every rate printed lies in the range ``figures.csv`` records
   for it, and ``figures.csv`` lists nothing that the pack does not print;
4. the pack's own rules on what it prints, worked out here from the printed figures: a
   rate of 100% is never above an upper limit nor 0% below a lower one (limits are
   clipped to [0, 1]; a funnel table's position, a p-chart's alt text); a table of detail (a quarter-by-quarter table, the four quarters
   together, a funnel table, the risk-factor bands) is never mostly ``c``; the public
   Holm-adjusted p-values are those of the printed p-values alone;
5. the files agree on which measures they show: every measure ``metrics.csv`` lists has its
   row in the page's and the workbook's tables of measures, its hidden figures as ``c``.

The only project imports are the contract's metric labels (to find a table row's metric)
and the contract's groups of metrics tested once, both plain data. What it cannot read:
the counts drawn in a chart's picture (the risk-factor heatmap's cell labels are in the
PNG only), so the co-occurrence counts of ``figures.csv`` are checked for small values
only, not matched to what is drawn.
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["PublicPack", "Table", "read_pack", "problems"]

HIDDEN = "c"
#: Column headers of local counts (page, workbook and metrics.csv spellings).
_NUMERATOR = ("Cases (yes)", "numerator")
_DENOMINATOR = ("Of cases known", "denominator")
_UNKNOWN = ("Not known", "unknown")
_CASES = ("Cases",)
COUNT_HEADERS = frozenset(_NUMERATOR + _DENOMINATOR + _UNKNOWN + _CASES)
#: Columns naming the row, never a figure.
LABEL_HEADERS = frozenset({
    "Measure", "metric", "Quarter", "Four quarters", "Partnership", "Field",
    "Risk factors recorded as yes", "Item",
})
#: Figures that are not this pack's own (the national review's; the funnel's pooled rate,
#: a line of the whole table, listed in figures.csv as a rate of its own).
_OTHER_PREFIXES = ("national", "National", "Pooled rate")
#: Which counts a derived column is built on; a column not listed here (and not a label,
#: count or national figure) is taken to be built on every count of its row.
DEPENDS: dict[str, tuple[str, ...]] = {
    "As the review counted": _NUMERATOR,     # yes out of every case
    "Of all cases": _NUMERATOR,              # a practice question's yes out of every case
    "Share of cases": _CASES,
    "Share not known": _UNKNOWN,
    "Over 10% not known": _UNKNOWN,
    "Of which with a factor not known": _CASES,
}
_ROW_COUNTS = _NUMERATOR + _DENOMINATOR + _CASES  # what a rate / interval / p is built on
#: A risk factor is compared with the national review as the review counted it, its yes out
#: of every case: its test and verdict rest on its yes (and the pack's cases), not on its
#: known or not known.
RISK_TEST = ("p_value", "p_holm", "Compared with national")
#: Words that place a figure against limits or a comparison.
_VERDICT = re.compile(r"\b(above|below|within|outside|higher|lower|difference|limit)", re.I)
_DIGIT = re.compile(r"\d")


@dataclass
class Table:
    """One printed table: where (``page``, ``workbook:<sheet>``, ``metrics.csv``,
    ``slide <n>``), its caption, its header and its rows (raw cell values)."""

    where: str
    caption: str
    header: list[str]
    rows: list[list[object]]

    def column(self, names: tuple[str, ...]) -> int | None:
        return next((i for i, h in enumerate(self.header) if h in names), None)


@dataclass
class PublicPack:
    folder: Path
    k: int
    manifest: dict
    tables: list[Table] = field(default_factory=list)
    #: Prose a reader sees: alt text, captions and paragraphs of the page, slide text and
    #: notes, the workbook's notes (each a separate string).
    texts: list[tuple[str, str]] = field(default_factory=list)
    #: figures.csv: (table, row, column) -> int value or "c"
    counts: dict[tuple[str, str, str], object] = field(default_factory=dict)
    #: figures.csv: (table, row, column) -> (low, high)
    rates: dict[tuple[str, str, str], tuple[float, float]] = field(default_factory=dict)


# ------------------------------------------------------------------------------ reading


def _cell_text(cell) -> str:
    return " ".join(cell.get_text(" ", strip=True).split())


def _read_html(path: Path, pack: PublicPack) -> None:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")
    for table in soup.find_all("table"):
        caption = table.find("caption")
        rows = [[_cell_text(c) for c in tr.find_all(["th", "td"])] for tr in table.find_all("tr")]
        if not rows:
            continue
        pack.tables.append(Table("page", _cell_text(caption) if caption else "", rows[0],
                                 [list(r) for r in rows[1:]]))
    for img in soup.find_all("img"):
        pack.texts.append(("page alt text", img.get("alt", "")))
    for tag in soup.find_all(["p", "li", "figcaption", "h1", "h2", "h3", "dd", "dt"]):
        if tag.find_parent("table") is None:
            pack.texts.append(("page", _cell_text(tag)))


def _read_workbook(path: Path, pack: PublicPack) -> None:
    from openpyxl import load_workbook

    book = load_workbook(path)      # cells as stored (full precision, not as formatted)
    for sheet in book.worksheets:
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        rows = [r for r in rows if any(v is not None for v in r)]
        # marking, caption, then the header: the first row of two or more strings
        start = next((i for i, r in enumerate(rows)
                      if sum(isinstance(v, str) for v in r) >= 2
                      and all(isinstance(v, str) or v is None for v in r)), None)
        for r in rows[: start if start is not None else len(rows)]:
            pack.texts.extend((f"workbook:{sheet.title}", v) for v in r if isinstance(v, str))
        if start is None:
            continue
        header = [str(v) if v is not None else "" for v in rows[start]]
        body = [r for r in rows[start + 1:]]
        caption = rows[start - 1][0] if start > 0 and isinstance(rows[start - 1][0], str) else ""
        pack.tables.append(Table(f"workbook:{sheet.title}", caption, header, body))
        if sheet.title == "Notes":
            pack.texts.extend((f"workbook:{sheet.title}", str(v)) for r in body for v in r
                              if isinstance(v, str))


def _read_slides(path: Path, pack: PublicPack) -> None:
    from pptx import Presentation

    for number, slide in enumerate(Presentation(str(path)).slides, start=1):
        where = f"slide {number}"
        for shape in slide.shapes:
            if shape.has_text_frame:
                pack.texts.append((where, shape.text_frame.text))
            if getattr(shape, "has_table", False) and shape.has_table:
                rows = [[c.text for c in r.cells] for r in shape.table.rows]
                pack.tables.append(Table(where, "", rows[0], [list(r) for r in rows[1:]]))
            for descr in shape._element.xpath(".//p:cNvPr/@descr"):
                pack.texts.append((f"{where} alt text", str(descr)))
        if slide.has_notes_slide:
            pack.texts.append((f"{where} notes", slide.notes_slide.notes_text_frame.text))


def _read_csv_table(path: Path, pack: PublicPack) -> None:
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    pack.tables.append(Table(path.name, "", rows[0], [list(r) for r in rows[1:]]))


def _read_figures(path: Path, pack: PublicPack) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    match = re.match(r"# audit figures: threshold (\d+);", lines[0])
    assert match, "figures.csv has no threshold line"
    for row in csv.DictReader(lines[1:]):
        address = (row["table"], _uncsv(row["row"]), row["column"])
        if row["kind"] == "count":
            pack.counts[address] = HIDDEN if row["value"] == HIDDEN else int(row["value"])
        elif row["kind"] == "rate":
            pack.rates[address] = (float(row["low"]), float(row["high"]))
    return int(match.group(1))


def _uncsv(text: str) -> str:
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@") else text


def read_pack(folder: str | Path) -> PublicPack:
    """Everything a reader of the public pack in ``folder`` can see."""
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["disclosure"]["audience"] == "public", "not a public pack"
    pack = PublicPack(folder, int(manifest["disclosure"]["suppress_max"]), manifest)
    k = _read_figures(folder / "figures.csv", pack)
    assert k == pack.k, "figures.csv and the manifest disagree on the threshold"
    pages = sorted(folder.glob("*.html"))
    assert pages, "a public pack has a page"
    for page in pages:
        _read_html(page, pack)
    for book in sorted(folder.glob("*.xlsx")):
        _read_workbook(book, pack)
    for deck in sorted(folder.glob("*.pptx")):
        _read_slides(deck, pack)
    _read_csv_table(folder / "metrics.csv", pack)
    return pack


# ------------------------------------------------------------------------------ values


def as_count(value: object) -> int | str | None:
    """A printed count: an int, ``"c"``, or None when the cell is no count (``:``, blank)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value).strip()
    if text == HIDDEN:
        return HIDDEN
    if re.fullmatch(r"\d[\d,]*", text):
        return int(text.replace(",", ""))
    return None


def as_rate(value: object) -> float | str | None:
    """A printed proportion: ``0.425`` stored, ``"42.5%"`` printed; ``"c"``; None."""
    rate = _rate_and_unit(value)
    return rate[0] if isinstance(rate, tuple) else rate


def _rate_and_unit(value: object) -> tuple[float, float] | str | None:
    """A printed proportion and half its last printed digit (0 for a stored float)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value), 0.0
    text = str(value).strip()
    if text == HIDDEN:
        return HIDDEN
    m = re.fullmatch(r"(-?\d+)(?:\.(\d+))?%", text)
    if m:
        decimals = len(m.group(2) or "")
        return float(text[:-1]) / 100, 0.5 * 10.0 ** -(decimals + 2)
    m = re.fullmatch(r"-?\d+(?:\.(\d+))?(?:e(-?\d+))?", text)
    if m:
        decimals = len(m.group(1) or "") - int(m.group(2) or 0)
        return float(text), 0.5 * 10.0 ** -decimals
    return None


def _printed(value: object) -> bool:
    """True when a cell prints something other than ``c``, blank or ``:``."""
    if value is None:
        return False
    text = str(value).strip()
    return text not in ("", HIDDEN, ":")


def _is_other(header: str) -> bool:
    return header.startswith(_OTHER_PREFIXES)


def _depends(header: str) -> tuple[str, ...]:
    return DEPENDS.get(header, _ROW_COUNTS)


# ------------------------------------------------------------------------------ checks


def _small(value: object, k: int) -> bool:
    count = as_count(value)
    return isinstance(count, int) and 1 <= count <= k


def check_small_counts(pack: PublicPack) -> list[str]:
    """No count from 1 to k in any table, in figures.csv as shown, or in words."""
    out = []
    for t in pack.tables:
        for i, h in enumerate(t.header):
            if h not in COUNT_HEADERS:
                continue
            for row in t.rows:
                if i < len(row) and _small(row[i], pack.k):
                    out.append(f"{t.where} '{t.caption[:40]}': count {row[i]} in '{h}' "
                               f"(row {row[:2]})")
    for address, value in pack.counts.items():
        if isinstance(value, int) and 1 <= value <= pack.k:
            out.append(f"figures.csv prints {address} = {value}")
    words = re.compile(r"\b(\d+) (?:of (\d+) )?cases?\b|\b(\d+) of (\d+)\b")
    for where, text in pack.texts:
        for m in words.finditer(text):
            numbers = [int(g) for g in m.groups() if g is not None]
            if "national" in text[max(0, m.start() - 30):m.start()]:
                continue    # the national review's own published figures
            if any(1 <= n <= pack.k for n in numbers):
                out.append(f"{where}: '{m.group(0)}' in {text[:80]!r}")
    return out


def check_beside_hidden(pack: PublicPack) -> list[str]:
    """Nothing built on a hidden count is printed in its row."""
    out = []
    labels = _label_to_metric(pack)
    for t in pack.tables:
        counts = {h: i for i, h in enumerate(t.header) if h in COUNT_HEADERS}
        if not counts:
            continue
        for row in t.rows:
            hidden = {h for h, i in counts.items() if i < len(row) and as_count(row[i]) == HIDDEN}
            if not hidden:
                continue
            risk = labels.get(str(row[0]), "").startswith("risk.")
            for i, h in enumerate(t.header):
                if h in COUNT_HEADERS or h in LABEL_HEADERS or _is_other(h) or i >= len(row):
                    continue
                # the review counted a risk factor out of every case, the rest out of the
                # row's own denominator
                depends = _depends(h) if risk or h != "As the review counted" else _ROW_COUNTS
                if risk and h in RISK_TEST:
                    depends = _NUMERATOR
                if not hidden & set(depends):
                    continue
                value = row[i]
                text = "" if value is None else str(value)
                verdict = isinstance(value, str) and not _DIGIT.search(text) and \
                    not _VERDICT.search(text) and text.lower() not in ("yes", "no")
                if _printed(value) and not verdict:
                    out.append(f"{t.where} '{t.caption[:40]}': '{h}' = {value!r} beside hidden "
                               f"{sorted(hidden)} (row {row[:2]})")
    return out


def _label_to_metric(pack: PublicPack) -> dict[str, str]:
    from audit.contract import metric_label

    ids = [row[0] for t in pack.tables if t.where == "metrics.csv" for row in t.rows]
    return {metric_label(m): m for m in ids} | {m: m for m in ids}


def _trend_metric(caption: str, labels: dict[str, str]) -> str | None:
    head = caption.split(":")[0].strip()
    return labels.get(head)


def _addresses(t: Table, row: list[object], labels: dict[str, str]):
    """(figures.csv table, row key) of a printed table row, or None if it is not a table
    figures.csv covers."""
    h = t.header
    first = str(row[0]) if row else ""
    if h[:1] == ["metric"] or (h[:1] == ["Measure"] and "Not known" in h):
        metric = labels.get(first)
        return ("metrics", metric) if metric else None
    if h[:1] == ["Quarter"]:
        metric = _trend_metric(t.caption, labels) or _trend_metric(t.where.split(":", 1)[-1]
                                                                   .removeprefix("Trend "), labels)
        return ("quarterly", f"{first}|{metric}") if metric else None
    if h[:2] == ["Four quarters", "Measure"]:
        metric = labels.get(str(row[1]))
        return ("rolling", metric) if metric else None
    if h[:2] == ["Partnership", "Measure"]:
        metric = labels.get(str(row[1]))
        return ("partnerships", f"{first}|{metric}") if metric else None
    if h[:1] == ["Risk factors recorded as yes"]:
        return ("risk_bands", first)
    return None


_COLUMN_OF = {**{n: "numerator" for n in _NUMERATOR}, **{n: "denominator" for n in _DENOMINATOR},
              **{n: "unknown" for n in _UNKNOWN}, "Cases": "cases"}
_RATE_OF = {"Percentage": "rate", "rate": "rate", "As the review counted": "review_rate",
            "Of all cases": "review_rate"}


def check_listed(pack: PublicPack) -> list[str]:
    """Every printed count and rate is the one figures.csv records; nothing more listed."""
    out = []
    labels = _label_to_metric(pack)
    printed_counts: set[tuple[str, str, str]] = set()
    printed_rates: set[tuple[str, str, str]] = set()
    for t in pack.tables:
        for row in t.rows:
            where = _addresses(t, row, labels)
            if where is None:
                continue
            table, key = where
            for i, h in enumerate(t.header):
                if i >= len(row):
                    continue
                if h in _COLUMN_OF:
                    count = as_count(row[i])
                    if count is None:
                        continue
                    address = (table, key, _COLUMN_OF[h])
                    printed_counts.add(address)
                    if address not in pack.counts:
                        out.append(f"{t.where}: {address} = {count} printed, not in figures.csv")
                    elif pack.counts[address] != count:
                        out.append(f"{t.where}: {address} printed {count}, figures.csv says "
                                   f"{pack.counts[address]}")
                elif h in _RATE_OF:
                    rate_unit = _rate_and_unit(row[i])
                    rate = rate_unit[0] if isinstance(rate_unit, tuple) else rate_unit
                    half = rate_unit[1] if isinstance(rate_unit, tuple) else 0.0
                    column = _RATE_OF[h]
                    if h == "As the review counted" and not key.startswith("risk."):
                        column = "rate"     # out of its own denominator: the rate itself
                    address = (table, key, column)
                    if rate is None or rate == HIDDEN:
                        if address in pack.rates:
                            out.append(f"{t.where}: {address} hidden, yet figures.csv lists it")
                        continue
                    printed_rates.add(address)
                    if address not in pack.rates:
                        out.append(f"{t.where}: {address} = {rate} printed, not in figures.csv")
                    else:
                        low, high = pack.rates[address]
                        if not low - half - 1e-12 <= rate <= high + half + 1e-12:
                            out.append(f"{t.where}: {address} printed {rate}, figures.csv "
                                       f"gives {low}..{high}")
                elif h == "Pooled rate (centre line)" and _printed(row[i]):
                    metric = key.split("|")[-1]
                    printed_rates.add(("partnerships", metric, "target"))
                    if ("partnerships", metric, "target") not in pack.rates:
                        out.append(f"{t.where}: the pooled rate of {metric} printed, not in "
                                   "figures.csv")
    cases = pack.manifest.get("audit", {}).get("cases")
    if ("cases", "pack", "cases") in pack.counts:
        listed = pack.counts[("cases", "pack", "cases")]
        printed_counts.add(("cases", "pack", "cases"))
        if listed != cases and not (listed == HIDDEN and cases in (None, HIDDEN)):
            out.append(f"the manifest prints {cases} cases, figures.csv {listed}")
    # nothing more: every shown count and rate figures.csv lists is printed somewhere
    # (co-occurrence counts are drawn in the heatmap's picture only; the p-chart's
    # average in its picture and alt text)
    for address, value in pack.counts.items():
        if address[0] in ("cooccurrence",) or address in printed_counts:
            continue
        out.append(f"figures.csv lists {address} = {value}, printed nowhere in a table")
    for address in pack.rates:
        if address[0] == "spc" or address in printed_rates:
            continue
        out.append(f"figures.csv lists the rate {address}, printed nowhere in a table")
    return out


_EXTREME = re.compile(r"\b(above|below)\b", re.I)


def check_limits(pack: PublicPack) -> list[str]:
    """A rate of 100% is never above an upper limit nor 0% below a lower one; a hidden
    quarter is never placed against the limits; no detail table is mostly ``c``."""
    out = []
    for t in pack.tables:
        rate_at = t.column(("Percentage",))
        place_at = t.column(("Against the funnel limits",))
        if rate_at is not None and place_at is not None:
            for row in t.rows:
                rate, place = as_rate(row[rate_at]), str(row[place_at])
                if rate == 1.0 and re.search(r"\babove\b", place) or (
                        rate == 0.0 and re.search(r"\bbelow\b", place)):
                    out.append(f"{t.where}: {row[:2]} at {rate:.0%} is '{place}'")
    # hidden quarters of each trend metric, from the page's trend tables; quarters at 0%
    # or 100%, which no clipped limit can have beyond it
    hidden_quarters: set[str] = set()
    extremes: dict[str, str] = {}
    for t in pack.tables:
        if t.header[:1] == ["Quarter"]:
            rate_at = t.column(("Percentage",))
            for row in t.rows:
                if any(as_count(v) == HIDDEN for v in row[1:3]):
                    hidden_quarters.add(str(row[0]))
                rate = as_rate(row[rate_at]) if rate_at is not None else None
                if rate in (0.0, 1.0):
                    extremes[str(row[0])] = "below" if rate == 0.0 else "above"
    for where, text in pack.texts:
        for quarter, side in extremes.items():
            if re.search(re.escape(quarter) + r" \(" + side, text):
                out.append(f"{where}: {quarter} at 0% or 100% said to be {side} a limit")
    # (strict: a quarter hidden for one measure is not placed against limits anywhere)
    for where, text in pack.texts:
        for sentence in re.split(r"(?<=[.;])\s+", text):
            for quarter in hidden_quarters:
                at = sentence.find(quarter)
                if at >= 0 and _VERDICT.search(sentence[max(0, at - 60):at + len(quarter) + 40]):
                    out.append(f"{where}: hidden quarter {quarter} placed: {sentence[:120]!r}")
    # a detail table of mostly c is left out instead (issue 10; the pack's rule)
    for t in pack.tables:
        if t.where != "page":
            continue
        groups: dict[str, list[object]] = {}
        if t.header[:1] == ["Quarter"] or t.header[:1] == ["Four quarters"] or \
                t.header[:1] == ["Risk factors recorded as yes"]:
            groups[t.caption] = [row[i] for row in t.rows for i, h in enumerate(t.header)
                                 if h in COUNT_HEADERS]
        elif t.header[:2] == ["Partnership", "Measure"]:
            for row in t.rows:
                groups.setdefault(str(row[1]), []).extend(
                    row[i] for i, h in enumerate(t.header) if h in COUNT_HEADERS)
        for name, values in groups.items():
            hidden = sum(as_count(v) == HIDDEN for v in values)
            if values and hidden > 0.5 * len(values):
                out.append(f"page '{name[:50]}': {hidden} of {len(values)} counts hidden")
    return out


def _measure_tables(pack: PublicPack, where: str) -> list[Table]:
    """The tables of measures (a row a metric, with its counts) printed at ``where``
    (``page``, ``workbook``)."""
    return [t for t in pack.tables if t.where.split(":")[0] == where
            and t.header[:1] == ["Measure"] and "Not known" in t.header]


def check_rows(pack: PublicPack) -> list[str]:
    """Every measure metrics.csv lists has its row in the page's and the workbook's tables
    of measures, ``c``s and all: a hidden measure is shown as ``c``, never left out of one
    file and printed in another (only a measure withheld from the whole pack has no row,
    in metrics.csv too)."""
    from audit.contract import metric_label

    out = []
    ids = [str(row[0]) for t in pack.tables if t.where == "metrics.csv" for row in t.rows]
    for where in ("page", "workbook"):
        shown = {str(row[0]) for t in _measure_tables(pack, where) for row in t.rows if row}
        out += [f"{where}: no row for {m} ('{metric_label(m)}'), which metrics.csv lists"
                for m in ids if metric_label(m) not in shown]
    return out


def check_holm(pack: PublicPack) -> list[str]:
    """Public p_holm is Holm's adjustment of the printed p-values alone (the metrics of one
    of the contract's one-test groups counting once, at their largest p)."""
    from audit.measures.compare import ONE_TEST_GROUPS

    out = []
    for t in pack.tables:
        if t.header[:1] != ["metric"] or "p_holm" not in t.header:
            continue
        m_at, p_at, h_at = 0, t.header.index("p_value"), t.header.index("p_holm")
        shown = {}
        for row in t.rows:
            p = as_rate(row[p_at])
            if isinstance(p, float) and not math.isnan(p):
                shown[str(row[m_at])] = (p, as_rate(row[h_at]))
            elif _printed(row[h_at]):
                out.append(f"{t.where}: p_holm printed without its p-value for {row[m_at]}")
        group_of = {m: g for g, members in enumerate(ONE_TEST_GROUPS) for m in members}
        tests: dict[object, list[str]] = {}
        for metric in shown:
            tests.setdefault(("g", group_of[metric]) if metric in group_of else metric,
                             []).append(metric)
        raw = {key: max(shown[m][0] for m in members) for key, members in tests.items()}
        order = sorted(raw, key=lambda key: raw[key])
        n, running = len(order), 0.0
        expected = {}
        for rank, key in enumerate(order):
            running = max(running, min(1.0, (n - rank) * raw[key]))
            expected[key] = running
        for key, members in tests.items():
            for metric in members:
                printed = shown[metric][1]
                if not isinstance(printed, float) or not math.isclose(
                        printed, expected[key], rel_tol=1e-4, abs_tol=1e-12):
                    out.append(f"{t.where}: p_holm of {metric} is {printed}, Holm over the "
                               f"printed p-values gives {expected[key]}")
    return out


def problems(folder: str | Path) -> list[str]:
    """Every way the public pack in ``folder`` prints what it should not (empty: none)."""
    pack = read_pack(folder)
    return (check_small_counts(pack) + check_beside_hidden(pack) + check_listed(pack)
            + check_limits(pack) + check_holm(pack) + check_rows(pack))
