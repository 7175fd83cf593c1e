"""The published tables: one entry each, and the one list every output goes through.

A board or public pack prints nothing but the tables of :data:`TABLES`. Each entry
(:class:`PublishedTable`) says, in one place:

* its **name** (the ``table`` of its figures' addresses) and the key it has in the
  protected view (:class:`~audit.disclosure.Protected`);
* how it is **computed** (the analyst's table, from :class:`~audit.workspace.AuditData`);
* its **cells**: every count and rate it prints, addressed by (table, row, column) as
  :class:`~audit.disclosure.model.Count` and :class:`~audit.disclosure.model.Rate` —
  :func:`build_publication` is the loop over these, and what the attack checks;
* how **hiding a cell blanks what is built on it** in the table a public pack prints (a
  rate, an interval, a limit of a hidden count), given a :class:`Hiding`; ``None`` for a
  table only the board sees;
* its **drop priority** (which table to hide a complementary figure in first) and, for a
  table a public pack may leave out as a whole, its drop groups and the words saying so.

:func:`audit.disclosure.protect` builds the view by looping over :data:`TABLES`, and the
view refuses any table not listed here (:meth:`~audit.disclosure.Protected.table`), so a
figure cannot reach a page, workbook or slide without its cells being attacked.
A new table is one entry here plus one section function (CONTRIBUTING.md).

Tables and their addresses (rows of ``table``):

==================  ==========================  =========================================
table               row                         columns
==================  ==========================  =========================================
``cases``           ``pack``                    cases
``metrics``         metric id                   numerator, denominator, unknown; rates:
                                                rate, review_rate (yes / cases)
``risk_bands``      ``0``, ``1``, ``2``, ``3+`` cases
``cooccurrence``    ``flag|flag``               cases
``quarterly``       ``quarter|metric``          numerator, denominator; rate
``spc``             metric id                   centre (rate: the p-chart's line)
``rolling``         metric id                   numerator, denominator; rate
``partnerships``    ``partnership|metric``      numerator, denominator; rate, target (line)
==================  ==========================  =========================================
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from audit.contract import RISK_FLAGS, flag_metric_id, metric_label
from audit.disclosure.model import CASES, PATTERN, Count, Publication, Term, patterns_of
from audit.disclosure.publication import (
    family_categories,
    metric_counts,
    metric_rate,
    pack_partnerships,
    quarters_between,
)
from audit.formatting import SUPPRESSED
from audit.measures.compare import COMPARED_OUT_OF_EVERY_CASE
from audit.workspace import TREND_METRICS, AuditData

__all__ = [
    "OUT_OF_EVERY_CASE",
    "PublishedTable",
    "Hiding",
    "TABLES",
    "BY_NAME",
    "entry",
    "entry_of_address",
    "build_publication",
    "counts_table",
    "check_tables",
    "hide",
    "row_key",
]

#: Measures whose yes is also published out of every case (``review_rate``, yes / cases): the
#: risk factors, as the review counted them, and the practice questions ("of all cases":
#: recorded as done, out of every case). Both counts are printed beside it, so it adds no
#: fact; it keeps a figure for the reader where a small "not known" hides the rate of known
#: answers (issue 22).
OUT_OF_EVERY_CASE = ("risk.", "engagement.", "sharing.")

#: A figure's address: (table, row, column).
Address = tuple[str, str, str]


def row_key(*parts: object) -> str:
    """The row of an address made of several parts (``"2025-Q1|engagement.seen"``): the one
    spelling of ``part|part`` every entry's cells and its hiding share."""
    return "|".join(str(p) for p in parts)


@dataclass(frozen=True)
class Hiding:
    """What a public pack hides, as an entry's ``public`` function reads it."""

    #: Addresses of the counts hidden (``c``).
    hidden: frozenset[Address]
    #: Groups of figures left out as a whole: (table, group).
    dropped: frozenset[tuple[str, str]]
    #: The public tables made so far, by view key (entries earlier in :data:`TABLES`).
    shown: Mapping[str, Any] = field(default_factory=dict)

    def masks(self, table: str, rows: Iterable[str], columns: Iterable[str]) -> dict[str, Any]:
        """For each column, which of ``rows`` has that count of ``table`` hidden."""
        rows = list(rows)
        return {
            col: np.array([(table, r, col) in self.hidden for r in rows], dtype=bool)
            for col in columns
        }

    def left_out(self, table: str) -> set[str]:
        """The groups of ``table`` left out of the pack."""
        return {g for t, g in self.dropped if t == table}


@dataclass(frozen=True)
class PublishedTable:
    """One published table (module docstring)."""

    #: The ``table`` of its figures' addresses, and its name in errors and drop groups.
    name: str
    #: Its key in the protected view (:meth:`audit.disclosure.Protected.table`).
    key: str
    #: The analyst's table, unprotected (the board's pack prints it as it is).
    compute: Callable[[AuditData], Any]
    #: Adds every count and rate it prints to the publication (its cell addresses).
    cells: Callable[[AuditData, Publication], None] | None = None
    #: The table as a public pack prints it (hidden cells and what is built on them ``c``);
    #: ``None``: the board's only.
    public: Callable[[Any, Hiding], Any] | None = None
    #: Which table a complementary figure is hidden in first: lowest first.
    priority: int = 7
    #: Address tables its cells use besides ``name`` (a chart's line drawn over it).
    also: tuple[str, ...] = ()
    #: Rate columns drawn as a chart's line: withheld themselves when they pin a count.
    lines: tuple[str, ...] = ()
    #: A table the public pack may leave out: the group (``""``: the whole table) of a row.
    group: Callable[[str], str] | None = None
    #: Words saying why a group was left out of a public pack.
    dropped_words: Callable[[str], str] | None = None
    #: What the pack calls the table, for one left out as a whole with a measure withheld.
    called: str | None = None
    #: The entry whose cells carry this table's figures (a table derived from another).
    built_on: str | None = None
    #: False for a figure never hidden to protect another (the number of cases in the pack).
    complementary: bool = True
    #: False for a table never left out for being mostly hidden (the headline measures stay
    #: with their ``c``): its groups go only with a measure withheld from the whole pack.
    drop_when_crowded: bool = True

    @property
    def addresses(self) -> tuple[str, ...]:
        """The address tables of the figures it lists (none for a table whose figures are
        listed by the table it is built on)."""
        return () if self.cells is None else (self.name, *self.also)


# ------------------------------------------------------------------------------ helpers


def _hide(frame: pd.DataFrame, mask: np.ndarray, columns: Iterable[str]) -> pd.DataFrame:
    """``frame`` with ``columns`` printed ``c`` on the rows of ``mask``."""
    out = frame.copy()
    for column in columns:
        if column not in out.columns or not mask.any():
            continue
        values = out[column].astype(object).to_numpy(copy=True)
        values[mask] = SUPPRESSED
        out[column] = pd.Series(values, index=out.index, dtype=object)
    return out


def hide(frame: pd.DataFrame, masks: Mapping[str, np.ndarray], built_on: Iterable[str]) -> Any:
    """Each count column of ``masks`` hidden where that count is (a printed count stays
    printed beside a hidden one), and ``built_on`` hidden on every row where a count is."""
    for column, mask in masks.items():
        frame = _hide(frame, mask, [column])
    rows = np.zeros(len(frame), dtype=bool)
    for mask in masks.values():
        rows = rows | mask
    return _hide(frame, rows, built_on)


_RATE_COLUMNS = ("rate", "ci_low", "ci_high", "p_value", "p_holm")
_TEST_COLUMNS = ("p_value", "p_holm")

_NATIONAL = ("national_numerator", "national_denominator", "national_rate")


def _row_cells(
    publication: Publication,
    table: str,
    row: str,
    metric: str,
    where: tuple[frozenset[str], frozenset[str]],
    values: pd.Series,
) -> None:
    """One metric's row over ``where``: its numerator and denominator, and its rate when
    there is one (a trend quarter, the four quarters together, a partnership)."""
    publication.counts += metric_counts(
        table, row, metric, where, values, ("numerator", "denominator")
    )
    if pd.notna(values["rate"]):
        publication.rates.append(
            metric_rate(table, row, "rate", metric, where, float(values["rate"]))
        )


def _metric_group(row: str) -> str:
    return row.split("|")[-1]


def _whole(row: str) -> str:
    return ""


# ----------------------------------------------------------------------------- cases


def _cases_cells(data: AuditData, publication: Publication) -> None:
    pack = (publication.pack_partnerships, publication.pack_quarters)
    publication.counts.append(
        Count("cases", "pack", "cases", (Term(CASES, ("all",), *pack),), data.in_scope)
    )


def _cases_public(cases: int, hiding: Hiding) -> int | str:
    return SUPPRESSED if ("cases", "pack", "cases") in hiding.hidden else cases


# ---------------------------------------------------------------------------- metrics


def _metrics_cells(data: AuditData, publication: Publication) -> None:
    pack = (publication.pack_partnerships, publication.pack_quarters)
    for _, row in data.metrics.iterrows():
        metric = str(row["metric"])
        publication.counts += metric_counts(
            "metrics", metric, metric, pack, row, ("numerator", "denominator", "unknown")
        )
        if pd.notna(row["rate"]):
            publication.rates.append(
                metric_rate("metrics", metric, "rate", metric, pack, float(row["rate"]), 4)
            )
        if metric.startswith(OUT_OF_EVERY_CASE) and data.in_scope:
            publication.rates.append(
                metric_rate(
                    "metrics",
                    metric,
                    "review_rate",
                    metric,
                    pack,
                    int(row["numerator"]) / data.in_scope,
                    denominator=(Term(CASES, ("all",), *pack),),
                )
            )


def _metrics_public(metrics: pd.DataFrame, hiding: Hiding) -> pd.DataFrame:
    """Hidden counts ``c``; a row's rate, interval and p-values ``c`` when its numerator or
    denominator is (a rate is not made of the unknown); Holm's adjustment over the rows
    shown. A risk factor's p-values are ``c`` only with its yes: it is compared with the
    review as the review counted it, yes out of every case (:func:`~audit.measures.compare.
    review_base`), and both are printed, so the test says nothing they do not. A measure
    withheld from the pack has no row (as a flag missing from the extract has none)."""
    left_out = hiding.left_out("metrics")  # a measure withheld from the whole pack
    metrics = metrics[~metrics["metric"].isin(left_out)].reset_index(drop=True)
    rows = [str(m) for m in metrics["metric"]]
    out = hide(metrics, hiding.masks("metrics", rows, ["unknown"]), ())
    counts = hiding.masks("metrics", rows, ["numerator", "denominator"])
    out = hide(out, counts, _RATE_COLUMNS)
    every_case = [r.startswith(COMPARED_OUT_OF_EVERY_CASE) for r in rows]
    tested = np.array(every_case, dtype=bool) & ~counts["numerator"]
    for column in _TEST_COLUMNS:
        out.loc[tested, column] = metrics.loc[tested, column]
    return _adjust_shown(out)


def _adjust_shown(metrics: pd.DataFrame) -> pd.DataFrame:
    """Holm-adjust the p-values of the rows a public pack shows, over those rows only.

    Holm's adjustment of one p-value depends on the others of its family; over a family that
    includes a hidden row it would carry that row's p-value (and so its counts). The public
    pack adjusts over the comparisons it publishes, and says so.
    """
    if "p_holm" not in metrics.columns:
        return metrics
    from audit.measures.compare import holm_p_values

    shown = metrics[[not isinstance(v, str) for v in metrics["p_value"]]]
    adjusted = holm_p_values(shown.assign(p_value=shown["p_value"].astype("float64")))
    out = metrics.copy()
    out.loc[shown.index, "p_holm"] = adjusted
    return out


# ---------------------------------------------------------------- risk factors together


def _patterns(data: AuditData, publication: Publication) -> tuple[list[str], list[str]]:
    """The risk flags of the extract and every pattern of them (empty: none published)."""
    flags = [f for f in RISK_FLAGS if f in data.cases.columns]
    if not flags or data.risk_counts.empty:
        return [], []
    publication.pattern_flags = tuple(flags)
    return flags, list(patterns_of(len(flags)))


def _bands_cells(data: AuditData, publication: Publication) -> None:
    flags, patterns = _patterns(data, publication)
    if not flags:
        return
    pack = (publication.pack_partnerships, publication.pack_quarters)
    by_band: dict[str, list[str]] = {"0": [], "1": [], "2": [], "3+": []}
    for p in patterns:
        n = p.count("1")
        by_band["3+" if n >= 3 else str(n)].append(p)
    for _, row in data.risk_counts.iterrows():
        band = str(row["risk_factors"])
        term = Term(PATTERN, tuple(by_band[band]), *pack)
        publication.counts.append(Count("risk_bands", band, "cases", (term,), int(row["cases"])))


def _bands_public(bands: pd.DataFrame, hiding: Hiding) -> pd.DataFrame | None:
    if hiding.left_out("risk_bands") or bands.empty:
        return None
    rows = [str(b) for b in bands["risk_factors"]]
    mask = hiding.masks("risk_bands", rows, ["cases"])["cases"]
    return _hide(bands.drop(columns=["with_unknown"]), mask, ["cases", "share"])


def _pairs_cells(data: AuditData, publication: Publication) -> None:
    flags, patterns = _patterns(data, publication)
    pack = (publication.pack_partnerships, publication.pack_quarters)
    for i, a in enumerate(flags):
        for j in range(i + 1, len(flags)):
            b = flags[j]
            both = tuple(p for p in patterns if p[i] == "1" and p[j] == "1")
            publication.counts.append(
                Count(
                    "cooccurrence",
                    row_key(a, b),
                    "cases",
                    (Term(PATTERN, both, *pack),),
                    int(data.cooccurrence.loc[a, b]),
                )
            )


def _pairs_public(pairs: pd.DataFrame, hiding: Hiding) -> pd.DataFrame | None:
    """A pair is ``c`` when its count is; a factor's own cell when its yes is."""
    if hiding.left_out("cooccurrence") or pairs.empty:
        return None
    out = pairs.astype(object).copy()
    for flag in out.columns:
        if ("metrics", flag_metric_id(flag), "numerator") in hiding.hidden:
            out.loc[flag, flag] = SUPPRESSED
    for a in out.index:
        for b in out.columns:
            pair = {row_key(a, b), row_key(b, a)}
            if any(("cooccurrence", row, "cases") in hiding.hidden for row in pair):
                out.loc[a, b] = SUPPRESSED
    return out


# -------------------------------------------------------------------- quarter by quarter


def _quarterly_cells(data: AuditData, publication: Publication) -> None:
    """Each quarter of each trend metric (two quarters or more), and its p-chart's line."""
    partnerships = publication.pack_partnerships
    quarterly = data.quarterly
    for metric in TREND_METRICS:
        series = quarterly[quarterly["metric"] == metric]
        if series["period"].nunique() < 2:
            continue
        for _, row in series.iterrows():
            where = (partnerships, frozenset([str(row["period"])]))
            _row_cells(publication, "quarterly", row_key(row["period"], metric), metric, where, row)
        chart = data.spc.get(metric)
        if chart is not None and pd.notna(chart["centre"].iloc[0]):
            where = (partnerships, frozenset(str(p) for p in series["period"]))
            centre = float(chart["centre"].iloc[0])
            publication.rates.append(metric_rate("spc", metric, "centre", metric, where, centre))


def _quarterly_public(quarterly: pd.DataFrame, hiding: Hiding) -> pd.DataFrame:
    left_out = hiding.left_out("quarterly")
    quarterly = quarterly[
        quarterly["metric"].isin(TREND_METRICS) & ~quarterly["metric"].isin(left_out)
    ]
    rows = [row_key(p, m) for p, m in zip(quarterly["period"], quarterly["metric"])]
    masks = hiding.masks("quarterly", rows, ["numerator", "denominator"])
    dropped = [c for c in ("cases", "unknown") if c in quarterly.columns]
    built_on = ["rate", "ci_low", "ci_high", *_NATIONAL, "p_value", "p_holm"]
    return hide(quarterly.drop(columns=dropped), masks, built_on)


def _spc_public(charts: dict[str, pd.DataFrame], hiding: Hiding) -> dict[str, pd.DataFrame]:
    out = {}
    for metric, chart in charts.items():
        if metric in hiding.left_out("quarterly"):
            continue
        hidden = {
            str(period)
            for period in chart["label"]
            if ("quarterly", row_key(period, metric), "numerator") in hiding.hidden
            or ("quarterly", row_key(period, metric), "denominator") in hiding.hidden
        }
        out[metric] = _public_p_chart(chart, hidden)
    return out


def _public_p_chart(chart: pd.DataFrame, hidden: set[str]) -> pd.DataFrame:
    """A p-chart as a public pack draws it: hidden quarters are gaps with no limits.

    The average still uses every quarter (it is published as a rate the attack checks);
    a hidden quarter is a gap that breaks a run, so its side of the average is not told.
    """
    from audit.measures.spc import RUN_LENGTH, run_lengths

    out = chart.copy()
    mask = out["label"].astype(str).isin(hidden).to_numpy()
    side = np.where(mask, 0, out["side"].to_numpy())
    lengths = run_lengths(side)
    out["side"] = side
    out["run_length"] = lengths
    out["run"] = lengths >= RUN_LENGTH
    out["outside"] = out["outside"].to_numpy(dtype=bool) & ~mask
    out["special_cause"] = out["outside"] | out["run"]
    return _hide(out, mask, ["numerator", "denominator", "rate", "sigma", "lower", "upper"])


def _quarterly_words(metric: str) -> str:
    # Not "the latest four quarters are shown instead": they are left out too, often (a new
    # analyst's trial found the words on packs with no such table).
    return (
        f"The quarter-by-quarter charts of '{metric_label(metric).lower()}': most quarters "
        "rest on small numbers."
    )


# ------------------------------------------------------------------ four quarters together


def _rolling_cells(data: AuditData, publication: Publication) -> None:
    for _, row in data.rolling.iterrows():
        metric = str(row["metric"])
        if metric not in TREND_METRICS:
            continue
        quarters = quarters_between(str(row["window_start"]), str(row["window_end"]))
        where = (publication.pack_partnerships, frozenset(quarters))
        _row_cells(publication, "rolling", metric, metric, where, row)


def _rolling_public(rolling: pd.DataFrame, hiding: Hiding) -> pd.DataFrame:
    if hiding.left_out("rolling"):
        rolling = rolling.iloc[0:0]
    else:
        rolling = rolling[rolling["metric"].isin(TREND_METRICS)]
    masks = hiding.masks(
        "rolling", [str(x) for x in rolling["metric"]], ["numerator", "denominator"]
    )
    return hide(rolling.drop(columns=["unknown"]), masks, [*_RATE_COLUMNS, *_NATIONAL])


# ------------------------------------------------------------------ partnerships compared


def _funnel_cells(data: AuditData, publication: Publication) -> None:
    pack = (publication.pack_partnerships, publication.pack_quarters)
    for metric, table in data.funnels.items():
        for _, row in table.iterrows():
            where = (frozenset([str(row["partnership"])]), publication.pack_quarters)
            key = row_key(row["partnership"], metric)
            _row_cells(publication, "partnerships", key, metric, where, row)
        target = float(table["target"].iloc[0])
        publication.rates.append(
            metric_rate("partnerships", metric, "target", metric, pack, target)
        )


def _funnel_public(funnels: dict[str, pd.DataFrame], hiding: Hiding) -> dict[str, pd.DataFrame]:
    out = {}
    for metric, table in funnels.items():
        if metric in hiding.left_out("partnerships"):
            continue
        rows = [row_key(p, metric) for p in table["partnership"]]
        masks = hiding.masks("partnerships", rows, ["numerator", "denominator"])
        limits = [c for c in table.columns if c.startswith(("lower_", "upper_", "outside_"))]
        table = table.drop(columns=[c for c in ("unknown",) if c in table.columns])
        out[metric] = hide(table, masks, ["rate", "position", *limits])
    return out


# ------------------------------------------------------- tables derived or the board's own


def _completeness_public(completeness: pd.DataFrame, hiding: Hiding) -> pd.DataFrame:
    """Completeness as a public pack shows it: from the protected metrics table."""
    from audit.measures.quality import completeness_from_metrics

    return completeness_from_metrics(hiding.shown["metrics"], hiding.shown["cases"])


def counts_table(
    name: str,
    compute: Callable[[AuditData], pd.DataFrame],
    family: str,
    *,
    row: str = "category",
    count: str = "cases",
    priority: int = 7,
) -> PublishedTable:
    """The entry of a table of counts, one row a category of ``family`` over the whole
    pack (``compute`` gives a frame with the category in ``row`` and the number of cases in
    ``count``; any other column is taken as built on the count, a share say).

    The simplest new table is one such entry; a table over quarters or partnerships, or
    with rates, writes its own ``cells`` and ``public`` as the entries below do.
    """

    def cells(data: AuditData, publication: Publication) -> None:
        pack = (publication.pack_partnerships, publication.pack_quarters)
        for _, r in compute(data).iterrows():
            category = str(r[row])
            term = Term(family, (category,), *pack)
            publication.counts.append(Count(name, category, count, (term,), int(r[count])))

    def public(frame: pd.DataFrame, hiding: Hiding) -> pd.DataFrame:
        masks = hiding.masks(name, [str(c) for c in frame[row]], [count])
        return hide(frame, masks, [c for c in frame.columns if c not in (row, count)])

    return PublishedTable(name, name, compute, cells, public, priority=priority)


#: Every published table, in the order its figures are listed (``figures.csv``).
TABLES: tuple[PublishedTable, ...] = (
    PublishedTable(
        "cases",
        "cases",
        lambda d: d.in_scope,
        _cases_cells,
        _cases_public,
        priority=9,
        complementary=False,
    ),
    PublishedTable(
        "metrics",
        "metrics",
        lambda d: d.metrics,
        _metrics_cells,
        _metrics_public,
        priority=5,
        group=_metric_group,
        drop_when_crowded=False,
    ),
    PublishedTable(
        "risk_bands",
        "risk_counts",
        lambda d: d.risk_counts,
        _bands_cells,
        _bands_public,
        priority=4,
        group=_whole,
        dropped_words=lambda _: (
            "Cases by the number of risk factors: most bands rest on small numbers."
        ),
        called="cases by the number of risk factors",
    ),
    PublishedTable(
        "cooccurrence",
        "cooccurrence",
        lambda d: d.cooccurrence,
        _pairs_cells,
        _pairs_public,
        priority=3,
        group=_whole,
        dropped_words=lambda _: (
            "Which risk factors occur together: most pairs rest on small numbers."
        ),
        called="which risk factors occur together",
    ),
    PublishedTable(
        "quarterly",
        "quarterly",
        lambda d: d.quarterly,
        _quarterly_cells,
        _quarterly_public,
        priority=0,
        also=("spc",),
        lines=("centre",),
        group=_metric_group,
        dropped_words=_quarterly_words,
    ),
    PublishedTable(
        "spc", "spc", lambda d: d.spc, None, _spc_public, priority=6, built_on="quarterly"
    ),
    PublishedTable(
        "rolling",
        "rolling",
        lambda d: d.rolling,
        _rolling_cells,
        _rolling_public,
        priority=1,
        group=_whole,
        dropped_words=lambda _: (
            "The latest four quarters together: they would reveal a hidden quarter."
        ),
        called="the latest four quarters together",
    ),
    PublishedTable(
        "partnerships",
        "funnels",
        lambda d: d.funnels,
        _funnel_cells,
        _funnel_public,
        priority=2,
        lines=("target",),
        group=_metric_group,
        dropped_words=lambda metric: (
            f"The funnel plot of '{metric_label(metric).lower()}': most partnerships' "
            "figures rest on small numbers."
        ),
    ),
    PublishedTable(
        "completeness",
        "completeness",
        lambda d: d.completeness,
        None,
        _completeness_public,
        built_on="metrics",
    ),
    # The board's only: the steps with their conditional counts, and auditor agreement.
    PublishedTable("steps", "steps", lambda d: d.steps),
    PublishedTable("agreement", "agreement", lambda d: d.agreement),
)

#: Each entry by its view key.
BY_NAME: dict[str, PublishedTable] = {t.key: t for t in TABLES}
_BY_ADDRESS: dict[str, PublishedTable] = {a: t for t in TABLES for a in t.addresses}


def entry(key: str) -> PublishedTable:
    """The entry of the table ``key`` of the protected view."""
    return BY_NAME[key]


def entry_of_address(table: str) -> PublishedTable | None:
    """The entry whose cells use the address table ``table`` (``None``: no entry)."""
    return _BY_ADDRESS.get(table)


def check_tables(tables: Sequence[PublishedTable]) -> None:
    """Every table a public pack prints has cells the attack checks (its own, or those of
    the table it is built on), and no two entries share a key or an address table: a
    figure cannot be published unattacked, nor one table's cells taken for another's."""
    keys = [t.key for t in tables]
    addresses = [a for t in tables for a in t.addresses]
    for names, what in ((keys, "key"), (addresses, "address table")):
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise TypeError(f"two published tables share the {what} {twice[0]!r}")
    for t in tables:
        if t.public is not None and t.cells is None and t.built_on not in {*keys, *addresses}:
            raise TypeError(
                f"published table {t.name!r} prints figures in a public pack but lists no "
                "cells (give it cells, or the table it is built_on)"
            )


check_tables(TABLES)


def build_publication(data: AuditData) -> Publication:
    """Every count and rate the pack's sections print for ``data``: each entry's cells, in
    the order of :data:`TABLES`."""
    partnerships = frozenset(pack_partnerships(data))
    publication = Publication(
        pack_partnerships=partnerships,
        pack_quarters=frozenset(data.quarters),
        categories=family_categories(data),
    )
    for table in TABLES:
        if table.cells is not None:
            table.cells(data, publication)
    return publication
