"""The figures a pack publishes, as the attacker's model sees them: the building blocks.

Each published table (:mod:`audit.disclosure.tables`) lists its figures with these helpers:
:func:`metric_counts` and :func:`metric_rate` make the
:class:`~audit.disclosure.model.Count` and :class:`~audit.disclosure.model.Rate` of one
metric's row, :func:`metric_terms` says what a metric adds up, :func:`family_categories`
every category of each family. :func:`true_counts` gives the true value of any sum of
atomic counts, for choosing what to hide and for the producer's attack.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from decimal import Decimal

import numpy as np
import pandas as pd

from audit.contract import (
    ANOTHER_MALE_CARER_CODES,
    FLAG_COLUMNS,
    KNOWN_TO_CODES,
    RISK_FLAGS,
    flag_metric_id,
)
from audit.disclosure.joint_model import BAND, PAIR, CellCounts, band_of, pair_of
from audit.disclosure.model import CASES, PATTERN, Count, Rate, Term
from audit.formatting import format_percent, quarter_number
from audit.workspace import AuditData

__all__ = [
    "family_categories",
    "NO_PARTNERSHIP",
    "HARMED_BY_CATEGORIES",
    "metric_terms",
    "quarters_between",
    "metric_counts",
    "metric_rate",
    "pack_partnerships",
    "true_counts",
    "at_least",
    "printed_range",
]

#: The partnership name of the grid when an extract has no partnership column.
NO_PARTNERSHIP = "(one partnership)"
#: ``harmed_by`` as published: the three sub-codes of another male carer are never apart.
HARMED_BY_CATEGORIES: tuple[str, ...] = ("birth_father", "another_male_carer", "unknown")
_KNOWN_TO_LEVELS = tuple(c for c in KNOWN_TO_CODES if c not in ("none", "unknown"))
_KNOWN = tuple(c for c in KNOWN_TO_CODES if c != "unknown")
_FLAG_OF_METRIC = {flag_metric_id(f): f for f in FLAG_COLUMNS}


def metric_terms(metric: str) -> tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(family, numerator, denominator, unknown categories) of a metric id (contract v1.1)."""
    if metric in _FLAG_OF_METRIC:
        return _FLAG_OF_METRIC[metric], ("yes",), ("yes", "no"), ("unknown",)
    if metric == "harmed_by.birth_father":
        return "harmed_by", ("birth_father",), HARMED_BY_CATEGORIES[:2], ("unknown",)
    if metric == "harmed_by.another_male_carer":
        return "harmed_by", ("another_male_carer",), HARMED_BY_CATEGORIES[:2], ("unknown",)
    if metric == "known_to.none":
        return "known_to", ("none",), _KNOWN, ("unknown",)
    if metric.startswith("known_to."):
        level = metric.removeprefix("known_to.")
        return "known_to", (level,), _KNOWN_TO_LEVELS, ("unknown",)
    raise ValueError(f"not a metric id of the contract: {metric!r}")


def quarters_between(first: str, last: str) -> list[str]:
    """Every calendar quarter from ``first`` to ``last`` inclusive (``"2024-Q4"`` ...)."""
    span = range(quarter_number(first), quarter_number(last) + 1)
    return [f"{i // 4:04d}-Q{i % 4 + 1}" for i in span]


def printed_range(rate: float, *, decimals: int = 1) -> tuple[float, float]:
    """The true fractions a percentage printed to ``decimals`` places could stand for."""
    text = format_percent(rate, decimals=decimals).rstrip("%")
    value = Decimal(text) / 100
    half = Decimal(5).scaleb(-(decimals + 3))
    return float(value - half), float(value + half)


def metric_counts(
    table: str,
    row: str,
    metric: str,
    where: tuple[frozenset, frozenset],
    values: pd.Series,
    columns: Sequence[str],
) -> list[Count]:
    """The counts ``columns`` of one metric's row at (``table``, ``row``) over ``where``."""
    family, num, den, unk = metric_terms(metric)
    cats = {"numerator": num, "denominator": den, "unknown": unk}
    return [
        Count(table, row, column, (Term(family, cats[column], *where),), int(values[column]))
        for column in columns
    ]


def metric_rate(
    table: str,
    row: str,
    column: str,
    metric: str,
    where: tuple[frozenset, frozenset],
    value: float,
    decimals: int = 1,
    denominator: tuple[Term, ...] | None = None,
) -> Rate:
    """The rate of one metric's row as printed to ``decimals`` places (of a percentage)."""
    family, num, den, _ = metric_terms(metric)
    low, high = printed_range(value, decimals=decimals)
    return Rate(
        table,
        row,
        column,
        (Term(family, num, *where),),
        denominator or (Term(family, den, *where),),
        low,
        high,
    )


def family_categories(data: AuditData) -> dict[str, tuple[str, ...]]:
    """Every category of each family in ``data``: a family's categories add up to its cases."""
    out: dict[str, tuple[str, ...]] = {
        CASES: ("all",),
        "known_to": KNOWN_TO_CODES,
        "harmed_by": HARMED_BY_CATEGORIES,
    }
    for flag in FLAG_COLUMNS:
        if flag in data.cases.columns:
            out[flag] = ("yes", "no", "unknown")
    return out


def pack_partnerships(data: AuditData) -> list[str]:
    """The partnerships of the pack's grid (one unnamed partnership without the column)."""
    cases = data.scope_cases
    if "partnership" not in cases.columns:
        return [NO_PARTNERSHIP]
    return sorted(str(p) for p in cases["partnership"].dropna().unique()) or [NO_PARTNERSHIP]


def true_counts(data: AuditData) -> Callable[[tuple[Term, ...]], int]:
    """A function giving the true value of any sum of terms over ``data``'s grid.

    Quarters held in the extract are counted from its cases; earlier quarters (from the
    history store) are known only for the whole of the audit's partnerships.
    """
    tallies = _tallies(data.scope_cases)
    history = _history_atoms(data)
    extract_quarters = {q for (family, _, q, _) in tallies if family == CASES}

    memo: dict[tuple[Term, ...], int] = {}

    def value(terms: tuple[Term, ...]) -> int:
        if terms in memo:
            return memo[terms]
        total = 0
        for t in terms:
            in_history = [q for q in t.quarters if q not in extract_quarters]
            for q in in_history:
                for c in t.categories:
                    total += history.get((t.family, c, q), 0)
            quarters = [q for q in t.quarters if q in extract_quarters]
            total += sum(
                tallies.get((t.family, p, q, c), 0)
                for p in t.partnerships
                for q in quarters
                for c in t.categories
            )
        memo[terms] = total
        return total

    return value


def _tallies(cases: pd.DataFrame) -> dict[tuple[str, str, str, str], int]:
    """(family, partnership, quarter, category) -> cases: every family a pack can print
    (the cases, each flag, known to, harmed by, and the pattern of risk factors a case)."""
    from audit.measures.metrics import quarter_label

    quarter = quarter_label(cases["notification_date"]).astype(str).to_numpy()
    partnership = (
        cases["partnership"].astype(str).to_numpy()
        if "partnership" in cases.columns
        else np.full(len(cases), NO_PARTNERSHIP, dtype=object)
    )
    families: dict[str, pd.Series] = {CASES: pd.Series("all", index=cases.index)}
    for flag in FLAG_COLUMNS:
        if flag in cases.columns:
            families[flag] = cases[flag].astype(str)
    families["known_to"] = cases["known_to"].astype(str)
    harmed = cases["harmed_by"].astype(str)
    families["harmed_by"] = harmed.where(
        ~harmed.isin(ANOTHER_MALE_CARER_CODES), "another_male_carer"
    )
    flags = [f for f in RISK_FLAGS if f in cases.columns]
    if flags:
        yes = np.column_stack([(cases[f].astype(str) == "yes").to_numpy() for f in flags])
        families[PATTERN] = pd.Series(
            ["".join("1" if v else "0" for v in r) for r in yes], index=cases.index
        )
    # (family, partnership, quarter, category) -> cases, read by dictionary: a pandas
    # filter a call was 13 s of the benchmark year's protection (62,000 calls). Counted by
    # Counter, not a groupby a family: an extract is hundreds of cases, and the groupbys
    # were 5 s of the benchmark year's 135 s (py-spy); sorted as a groupby sorts.
    cells = list(zip(partnership.tolist(), quarter.tolist(), strict=True))
    tallies: dict[tuple[str, str, str, str], int] = {}
    for name, values in families.items():
        sizes = Counter(zip(cells, values.to_numpy().tolist(), strict=True))
        for ((p, q), c), n in sorted(sizes.items(), key=lambda item: (*item[0][0], item[0][1])):
            tallies[(name, str(p), str(q), str(c))] = n
    return tallies


def true_cells(data: AuditData) -> CellCounts:
    """Every count of the extract's cases, all its partnerships, cell by cell (partnership,
    quarter), as the joint model's variables name them: the truth a protection run knows.
    The joint attack's whole-number solves start from it (:class:`CellCounts`): a point
    that fits every figure published from these cases, found without a search."""
    cells = CellCounts()
    flags = [f for f in RISK_FLAGS if f in data.extract.cases.columns]
    for (family, p, q, category), n in _tallies(data.extract.cases).items():
        block = frozenset({(p, q)})
        if family != PATTERN:
            cells[(family, category, block)] = n
            continue
        on = [flag for flag, bit in zip(flags, category, strict=True) if bit == "1"]
        parts = [(BAND, band_of(len(on)))]
        parts += [(PAIR, pair_of(a, b)) for i, a in enumerate(on) for b in on[i + 1 :]]
        for part in parts:
            cells[(*part, block)] = cells.get((*part, block), 0) + n
    return cells


def at_least(
    data: AuditData, truth: Callable[[tuple[Term, ...]], int]
) -> Callable[[tuple[Term, ...]], int]:
    """A whole number each sum of terms is known to reach from ``data``'s own cases
    (``truth`` is :func:`true_counts` of ``data``): its value where every quarter it covers
    is in the extract — a cell of a partnership outside ``data`` adds nothing, so that is a
    lower bound — and 0 where a quarter is only in the history store (held there for the
    audit's partnerships together, not a lower bound for fewer). Protection skips, in the
    joint check, counts that are ``2k`` or more: no range narrower than ``k`` holding such a
    count reaches 1..k."""
    held: list[set[str]] = []  # the extract's quarters, read at the first call

    def floor(terms: tuple[Term, ...]) -> int:
        if not held:
            from audit.measures.metrics import quarter_label

            dates = data.scope_cases["notification_date"]
            held.append(set(quarter_label(dates).dropna().astype(str)))
        return truth(terms) if all(q in held[0] for t in terms for q in t.quarters) else 0

    return floor


def _history_atoms(data: AuditData) -> dict[tuple[str, str, str], int]:
    """(family, category, quarter) -> count for the quarters only the history holds."""
    table = data.quarterly
    if table.empty:
        return {}
    extract_quarters = set()
    if not data.scope_cases.empty:
        from audit.measures.metrics import quarter_label

        extract_quarters = set(quarter_label(data.scope_cases["notification_date"]).dropna())
    atoms: dict[tuple[str, str, str], int] = {}
    for _, row in table[~table["period"].isin(extract_quarters)].iterrows():
        metric = str(row["metric"])
        if metric not in _FLAG_OF_METRIC:
            continue
        family = _FLAG_OF_METRIC[metric]
        q = str(row["period"])
        num, den, unk = int(row["numerator"]), int(row["denominator"]), int(row["unknown"])
        atoms[(family, "yes", q)] = num
        atoms[(family, "no", q)] = den - num
        atoms[(family, "unknown", q)] = unk
        if "cases" in row and pd.notna(row["cases"]):
            atoms[(CASES, "all", q)] = int(row["cases"])
    return atoms
