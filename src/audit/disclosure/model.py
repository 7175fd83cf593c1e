"""What a pack publishes, as linear facts about counts an attacker can reason with.

Every count a pack shows is a sum of **atomic counts**: the cases of one *family* (a flag
column, ``known_to``, ``harmed_by``, the number of ``cases``, or a pattern of risk factors)
in one *category* (``yes``/``no``/``unknown``, a code, a pattern), over one *scope* (a set
of partnerships by a set of calendar quarters). A :class:`Term` names such a sum; a
:class:`Count` is a published (or hidden) figure made of terms; a :class:`Rate` is a
published ratio of two sums, known to the printed precision. The structure that links the
tables — categories of a family add up to the cases of the scope, a scope is the sum of its
partnerships and quarters, a risk factor's ``yes`` is the sum of the patterns that hold it —
and what the convention tells an attacker — a hidden count is at least 1, since a true zero
is always printed — are built here as linear constraints over non-negative variables
(:class:`LinearModel`),
which :mod:`audit.disclosure.attack` hands to a linear-programming solver.

Scopes are refined into *blocks*: for each family, the grid cells (partnership, quarter)
that belong to exactly the same published scopes share one variable per category, so a
family published only for the whole pack costs one variable a category however many
quarters the pack spans.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property

import numpy as np
from scipy import sparse

__all__ = [
    "CASES",
    "PATTERN",
    "FLAG_CATEGORIES",
    "Term",
    "Count",
    "Rate",
    "Publication",
    "LinearModel",
    "term",
    "TermKey",
    "term_key",
    "signature_blocks",
    "sparse_rows",
    "block_vector",
    "patterns_of",
    "rate_rows",
]

#: The family counting cases (one category, ``all``).
CASES = "cases"
#: The family of risk-factor patterns (category: a string of 0/1, one digit a risk flag).
PATTERN = "risk_pattern"
#: The categories of a yes/no/unknown flag.
FLAG_CATEGORIES: tuple[str, ...] = ("yes", "no", "unknown")

Cell = tuple[str, str]  # (partnership, quarter)
#: One key for a sum of terms, whichever pack prints it and in whatever order.
TermKey = tuple[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...]


@dataclass(frozen=True, order=True)
class Term:
    """The cases of ``family`` in ``categories`` over ``partnerships`` x ``quarters``."""

    family: str
    categories: tuple[str, ...]
    partnerships: frozenset[str]
    quarters: frozenset[str]

    # Kept on the term once worked out: models, keys and choices ask a term for its cells
    # and key hundreds of thousands of times in a year's protection (3.5 s of the benchmark
    # year's 135 s, by a py-spy profile). A frozen dataclass still has a __dict__ for them,
    # and equality and hashing read the fields only.
    @cached_property
    def cells(self) -> frozenset[Cell]:
        return frozenset((p, q) for p in self.partnerships for q in self.quarters)

    @cached_property
    def key(self) -> tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """This term's part of a :data:`TermKey`: its fields, each sorted."""
        return (
            self.family,
            tuple(sorted(self.categories)),
            tuple(sorted(self.partnerships)),
            tuple(sorted(self.quarters)),
        )

    @property
    def scope(self) -> tuple[frozenset[str], frozenset[str]]:
        return self.partnerships, self.quarters


def term(
    family: str,
    categories: str | Sequence[str],
    partnerships: Iterable[str],
    quarters: Iterable[str],
) -> Term:
    """A :class:`Term`; ``categories`` may be one category."""
    cats = (categories,) if isinstance(categories, str) else tuple(categories)
    return Term(family, cats, frozenset(partnerships), frozenset(quarters))


@dataclass
class Count:
    """One published count: where it is shown, what it sums, its value, whether hidden."""

    table: str
    row: str
    column: str
    terms: tuple[Term, ...]
    value: int | None
    hidden: bool = False

    @property
    def address(self) -> tuple[str, str, str]:
        return self.table, self.row, self.column


@dataclass
class Rate:
    """A published ratio ``numerator / denominator`` known to lie in ``[low, high]``.

    ``low``/``high`` are the printed value minus and plus half its last printed digit
    (``"38.2%"`` gives 0.3815 to 0.3825). ``owner`` is the address of the figure that
    prints it, so hiding that figure removes the fact.
    """

    table: str
    row: str
    column: str
    numerator: tuple[Term, ...]
    denominator: tuple[Term, ...]
    low: float
    high: float

    @property
    def address(self) -> tuple[str, str, str]:
        return self.table, self.row, self.column


@dataclass
class Publication:
    """Everything a pack publishes, as counts and rates, and how risk patterns link up."""

    counts: list[Count] = field(default_factory=list)
    rates: list[Rate] = field(default_factory=list)
    #: Risk flags in the order of a pattern's digits (empty: no pattern family).
    pattern_flags: tuple[str, ...] = ()
    #: The pack's own scope (where patterns live).
    pack_partnerships: frozenset[str] = frozenset()
    pack_quarters: frozenset[str] = frozenset()
    #: Addresses of rates (a chart's line) withheld to protect a count.
    withheld: set[tuple[str, str, str]] = field(default_factory=set)
    #: Every category of each family (its categories add up to the cases); a family not
    #: listed is taken to have the categories its terms name.
    categories: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def family_categories(self, family: str) -> tuple[str, ...] | None:
        """Every category of ``family`` (all patterns of the risk flags for the pattern
        family), or ``None`` when not declared."""
        if family == PATTERN and self.pattern_flags:
            return patterns_of(len(self.pattern_flags))
        return self.categories.get(family)

    def shown(self) -> list[Count]:
        return [c for c in self.counts if not c.hidden]

    def hidden(self) -> list[Count]:
        return [c for c in self.counts if c.hidden]


@cache
def patterns_of(flags: int) -> tuple[str, ...]:
    """Every pattern of ``flags`` risk flags, a string of 0/1 with the first flag first
    (2**flags of them: worked out once a size)."""
    return tuple(format(i, f"0{flags}b")[::-1] for i in range(2**flags))


def term_key(terms: Iterable[Term]) -> TermKey:
    """One key for a sum of terms, whichever pack prints it and in whatever order."""
    return tuple(sorted(t.key for t in terms))


def sparse_rows(rows: list[dict[int, float]], size: int) -> sparse.csr_matrix:
    """The constraint rows ``{variable: coefficient}`` as a sparse matrix of ``size``
    columns (zeros left out)."""
    # Laid out unsorted and put in order by scipy (a sort a row in Python was 3 s of the
    # benchmark year's protection); each dict names a variable once, so nothing is summed.
    cols: list[int] = []
    data: list[float] = []
    indptr = [0]
    for row in rows:
        cols += row.keys()
        data += row.values()
        indptr.append(len(cols))
    matrix = sparse.csr_matrix(
        (np.asarray(data, dtype=float), np.asarray(cols, dtype=np.int32), indptr),
        shape=(len(rows), size),
    )
    matrix.sort_indices()
    matrix.eliminate_zeros()
    return matrix


def block_vector(
    blocks: dict[str, list[frozenset[Cell]]],
    index: dict[tuple[str, str, frozenset[Cell]], int],
    terms: Iterable[Term],
    memo: dict[Term, list[int]] | None = None,
) -> dict[int, float]:
    """The sum of ``terms`` over the model's variables: one per family, category and block
    (every term's scope is a union of its family's blocks). ``memo`` keeps each term's
    variables for a model that asks again (a model's rows and objectives name the same
    terms many times: 3.7 s of the benchmark year's protection without it)."""
    out: dict[int, float] = defaultdict(float)
    for t in terms:
        at = memo.get(t) if memo is not None else None
        if at is None:
            at = []
            cells = t.cells
            for block in blocks[t.family]:
                if block <= cells:
                    at += [index[(t.family, category, block)] for category in t.categories]
                elif block & cells:  # pragma: no cover - blocks refine every scope
                    raise AssertionError(f"block of {t.family} straddles a scope")
            if memo is not None:
                memo[t] = at
        for i in at:
            out[i] += 1.0
    return dict(out)


def rate_rows(
    num: dict[int, float], den: dict[int, float], low: float, high: float
) -> tuple[dict[int, float], dict[int, float]]:
    """A printed rate known to ``[low, high]`` as two rows ``<= 0``:
    ``num - high * den`` and ``low * den - num``."""
    upper = dict(num)
    for i, v in den.items():
        upper[i] = upper.get(i, 0.0) - high * v
    lower = {i: low * v for i, v in den.items()}
    for i, v in num.items():
        lower[i] = lower.get(i, 0.0) - v
    return upper, lower


def signature_blocks(
    cells: Iterable[Cell], scopes: Sequence[frozenset[Cell]]
) -> list[frozenset[Cell]]:
    """Group ``cells`` by which of ``scopes`` they belong to (cells in none are dropped)."""
    groups: dict[tuple[bool, ...], set[Cell]] = defaultdict(set)
    for cell in cells:
        signature = tuple(cell in s for s in scopes)
        if any(signature):
            groups[signature].add(cell)
    return sorted((frozenset(g) for g in groups.values()), key=lambda b: sorted(b))


class LinearModel:
    """The publication as ``A_eq x = b_eq``, ``A_ub x <= b_ub``, ``x >= 0``.

    Variables are (family, category, block) atomic counts. Rows: the structural equations
    (categories add up to cases; patterns add up to cases and to each risk flag's ``yes``),
    one equation per shown count, two inequalities per rate. :meth:`vector` turns any sum
    of terms into a row over the variables, for use as an objective.
    """

    def __init__(self, publication: Publication, extra_terms: Iterable[Term] = ()) -> None:
        self.publication = publication
        pack = term(CASES, "all", publication.pack_partnerships, publication.pack_quarters)
        self._place_variables(publication, extra_terms, pack)
        eq_rows, eq_rhs = self._equations(publication, pack)
        ub_rows, ub_rhs = self._inequalities(publication)
        self.A_eq = self._matrix(eq_rows)
        self.b_eq = np.asarray(eq_rhs, dtype=float)
        self.A_ub = self._matrix(ub_rows) if ub_rows else None
        self.b_ub = np.asarray(ub_rhs, dtype=float) if ub_rows else None

    def _place_variables(
        self, publication: Publication, extra_terms: Iterable[Term], pack: Term
    ) -> None:
        """The variables: each family's categories and blocks (the finest cells its sums
        tell apart), numbered in :attr:`index`."""
        all_terms: list[Term] = [t for c in publication.counts for t in c.terms]
        for rate in publication.rates:
            all_terms += [*rate.numerator, *rate.denominator]
        all_terms += list(extra_terms)
        if publication.pattern_flags:
            all_terms.append(pack)
            all_terms += [
                term(f, "yes", pack.partnerships, pack.quarters) for f in publication.pattern_flags
            ]
        self.categories: dict[str, set[str]] = defaultdict(set)
        scopes: dict[str, set[frozenset[Cell]]] = defaultdict(set)
        for t in all_terms:
            self.categories[t.family].update(t.categories)
            scopes[t.family].add(t.cells)
        for family in list(self.categories):
            declared = publication.family_categories(family)
            if declared is not None:
                self.categories[family].update(declared)
        grid = set().union(*(s for ss in scopes.values() for s in ss)) if scopes else set()
        every_scope = sorted({s for ss in scopes.values() for s in ss}, key=lambda s: sorted(s))
        self.blocks: dict[str, list[frozenset[Cell]]] = {}
        for family, family_scopes in scopes.items():
            if family == PATTERN:
                self.blocks[family] = [pack.cells]
            elif family == CASES:
                continue
            else:
                self.blocks[family] = signature_blocks(
                    grid, sorted(family_scopes, key=lambda s: sorted(s))
                )
        # Cases are refined by every scope, so each family's block is a union of them.
        self.blocks[CASES] = signature_blocks(grid, every_scope)
        self.categories[CASES].add("all")

        self._memo: dict[Term, list[int]] = {}  # each term's variables (block_vector)
        self.index: dict[tuple[str, str, frozenset[Cell]], int] = {}
        for family in sorted(self.blocks):
            for category in sorted(self.categories[family]):
                for block in self.blocks[family]:
                    self.index[(family, category, block)] = len(self.index)
        self.size = len(self.index)

    def _equations(
        self, publication: Publication, pack: Term
    ) -> tuple[list[dict[int, float]], list[float]]:
        """The rows of ``A_eq x = b_eq``: the structure (categories add up to cases, patterns
        to cases and to each flag's yes), then one a shown count; owners in :attr:`eq_owner`."""
        eq_rows: list[dict[int, float]] = []
        eq_rhs: list[float] = []
        self.eq_owner: list[tuple[str, str, str] | None] = []
        # Structure: a family's categories add up to the cases of each of its blocks.
        for family, blocks in self.blocks.items():
            if family in (CASES, PATTERN):
                continue
            for block in blocks:
                row = {self.index[(family, c, block)]: 1.0 for c in self.categories[family]}
                for cb in self.blocks[CASES]:
                    if cb <= block:
                        row[self.index[(CASES, "all", cb)]] = -1.0
                eq_rows.append(row)
                eq_rhs.append(0.0)
                self.eq_owner.append(None)
        if publication.pattern_flags:
            patterns = sorted(self.categories[PATTERN])
            block = pack.cells
            row = {self.index[(PATTERN, p, block)]: 1.0 for p in patterns}
            for i, v in self._vector([pack]).items():
                row[i] = row.get(i, 0.0) - v
            eq_rows.append(row)
            eq_rhs.append(0.0)
            self.eq_owner.append(None)
            for position, flag in enumerate(publication.pattern_flags):
                row = {self.index[(PATTERN, p, block)]: 1.0 for p in patterns if p[position] == "1"}
                for i, v in self._vector(
                    [term(flag, "yes", pack.partnerships, pack.quarters)]
                ).items():
                    row[i] = row.get(i, 0.0) - v
                eq_rows.append(row)
                eq_rhs.append(0.0)
                self.eq_owner.append(None)
        for count in publication.counts:
            if count.hidden or count.value is None:
                continue
            eq_rows.append(self._vector(count.terms))
            eq_rhs.append(float(count.value))
            self.eq_owner.append(count.address)
        return eq_rows, eq_rhs

    def _inequalities(self, publication: Publication) -> tuple[list[dict[int, float]], list[float]]:
        """The rows of ``A_ub x <= b_ub``: two a printed rate, one a hidden count (at least
        1); owners in :attr:`ub_owner`."""
        ub_rows: list[dict[int, float]] = []
        ub_rhs: list[float] = []
        self.ub_owner: list[tuple[str, str, str]] = []
        for rate in publication.rates:
            num, den = self._vector(rate.numerator), self._vector(rate.denominator)
            ub_rows += list(rate_rows(num, den, rate.low, rate.high))
            ub_rhs += [0.0, 0.0]
            self.ub_owner += [rate.address, rate.address]
        # A hidden count is never 0: a true zero is always printed (the convention says
        # so), so an attacker knows every "c" is at least 1. -expression <= -1.
        for count in publication.counts:
            if count.hidden:
                ub_rows.append({i: -v for i, v in self._vector(count.terms).items()})
                ub_rhs.append(-1.0)
                self.ub_owner.append(count.address)
        return ub_rows, ub_rhs

    def _matrix(self, rows: list[dict[int, float]]) -> sparse.csr_matrix:
        return sparse_rows(rows, self.size)

    def _vector(self, terms: Iterable[Term]) -> dict[int, float]:
        return block_vector(self.blocks, self.index, terms, self._memo)

    def vector(self, terms: Iterable[Term]) -> np.ndarray:
        """A dense objective row for the sum of ``terms``."""
        row = np.zeros(self.size)
        for i, v in self._vector(terms).items():
            row[i] = v
        return row
