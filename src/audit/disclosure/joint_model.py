"""The joint model: several public packs' figures as one system of linear facts.

Issue 22: a count printed by a quarter pack, the year pack and the pooled pack is the same
count, and the year is the sum of its quarters, the pool the sum of its partnerships. As
rtauargus's ``tab_multi_manager`` merges a set of linked tables into one table in which a
cell belongs to several tables (and ``GaussSuppression`` calls this *global protection*),
:class:`JointModel` refines the (partnership, quarter) grid of every pack, family by
family, into the blocks that belong to exactly the same published scopes, and gives one
variable to one category of one block whatever pack prints it. Each pack's own model
(:class:`audit.disclosure.model.LinearModel`) does the same for one pack; this one differs
only in reading many packs at once and in how it carries the tables of risk factors
together (class doc). :mod:`audit.disclosure.joint` attacks it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from audit.disclosure.model import (
    CASES,
    PATTERN,
    Publication,
    Term,
    TermKey,
    block_vector,
    patterns_of,
    rate_rows,
    signature_blocks,
    sparse_rows,
    term,
    term_key,
)
from audit.errors import DisclosureError

__all__ = [
    "BAND",
    "PAIR",
    "band_of",
    "pair_of",
    "Cell",
    "Block",
    "CellCounts",
    "TermKey",
    "PackFigures",
    "JointModel",
    "term_key",
]

Cell = tuple[str, str]  # (partnership, quarter)
Block = frozenset[Cell]


class CellCounts(dict):
    """Counts by (family, category, block), each block one cell, every count not listed
    zero: the truth of the cases a protection run holds
    (:func:`audit.disclosure.publication.true_cells`). :meth:`JointModel.point` reads it
    for any model; whether it fits that model's figures is :meth:`JointModel.fits`'s
    question (a quarter only the history store holds, or a re-run on other data, does not)."""


@dataclass(frozen=True)
class PackFigures:
    """One public pack as an outsider reads it: its name, figures and threshold; a release
    of the ledger also its ``figures.csv`` digest, which keys the ranges kept for it
    (:func:`audit.disclosure.ledger.kept_ranges`)."""

    name: str
    publication: Publication
    threshold: int
    digest: str = ""


def _pattern_flags(packs: Sequence[PackFigures]) -> tuple[str, ...]:
    flags = {p.publication.pattern_flags for p in packs if p.publication.pattern_flags}
    if len(flags) > 1:
        raise DisclosureError(
            "the packs record different risk factors, so their risk-factor tables cannot "
            "be read together: check packs of one series"
        )
    return flags.pop() if flags else ()


#: The families standing for the tables of risk factors together in the joint model.
BAND = "risk_band"
PAIR = "risk_pair"
_BANDS = ("0", "1", "2", "3+")


def band_of(factors: int) -> str:
    """The band (category of :data:`BAND`) of a case with this many risk factors."""
    return str(factors) if factors < 3 else "3+"


def pair_of(a: str, b: str) -> str:
    """The category of :data:`PAIR` counting cases with both risk factors ``a`` and ``b``."""
    return f"{a}|{b}"


class _Patterns:
    """Sums over risk-factor patterns as the bands and pairs the packs print them as."""

    def __init__(self, flags: tuple[str, ...]) -> None:
        self.flags = flags
        n = len(flags)
        patterns = patterns_of(n)
        self.names: dict[frozenset[str], tuple[str, str]] = {}
        for band in _BANDS:
            chosen = [p for p in patterns if band_of(p.count("1")) == band]
            self.names[frozenset(chosen)] = (BAND, band)
        for i, a in enumerate(flags):
            for j in range(i + 1, n):
                both = [p for p in patterns if p[i] == "1" and p[j] == "1"]
                self.names[frozenset(both)] = (PAIR, pair_of(a, flags[j]))

    def translate(self, terms: Iterable[Term]) -> tuple[Term, ...] | None:
        """The terms with every pattern sum named as a band or a pair (``None`` when one
        is neither)."""
        out = []
        for t in terms:
            if t.family != PATTERN:
                out.append(t)
                continue
            name = self.names.get(frozenset(t.categories))
            if name is None:
                return None
            out.append(Term(name[0], (name[1],), t.partnerships, t.quarters))
        return tuple(out)


class JointModel:
    """Every pack's figures as ``A_eq x = b_eq``, ``A_ub x <= b_ub``, ``x >= 0`` over shared
    variables (module doc).

    Structure: a family's categories add up to the cases of each of its blocks. The tables
    of risk factors together are sums over 2^10 patterns of risk factors a case, too many to
    carry through an integer programme over twenty packs; they enter as what they print,
    additive over cells — a band family (0, 1, 2, 3 or more risk factors: its categories add
    up to the cases) and a pair family — held to the necessary conditions on each block: a
    pair is at most either factor's ``yes`` and the bands with two or more, and at least
    ``yes_a + yes_b - cases`` (Fréchet); the ``yes`` of all factors lies between ``b1 + 2 b2
    + 3 b3+`` and ``b1 + 2 b2 + F b3+``; the pairs between ``b2 + 3 b3+`` and
    ``b2 + F(F-1)/2 b3+``; no case without a factor has one. These are implied by the
    patterns, so the attacker is never stronger than the figures allow; the single-pack
    check reads the patterns whole, and :func:`joint_attack` intersects with it.

    Facts: one equation per printed count (a count printed by several packs once; two
    different values raise :class:`~audit.errors.DisclosureError`), two inequalities per
    printed rate, and ``>= 1`` for a count hidden everywhere (a true zero is always printed).
    """

    def __init__(self, packs: Sequence[PackFigures], extra_terms: Iterable[Term] = ()) -> None:
        self.flags = _pattern_flags(packs)
        self.patterns = _Patterns(self.flags)
        pattern_scopes = {
            (p.publication.pack_partnerships, p.publication.pack_quarters)
            for p in packs
            if p.publication.pattern_flags
        }
        all_terms: list[Term] = []
        for terms in [(t,) for t in extra_terms] + [
            c.terms for pk in packs for c in pk.publication.counts
        ]:
            all_terms += self.patterns.translate(terms) or ()
        self.categories: dict[str, set[str]] = defaultdict(set)
        for pack in packs:
            pub = pack.publication
            for rate in pub.rates:
                all_terms += [*rate.numerator, *rate.denominator]
            for family, cats in pub.categories.items():
                self.categories[family].update(cats)
        for where in sorted(pattern_scopes, key=lambda s: (sorted(s[0]), sorted(s[1]))):
            all_terms.append(term(CASES, "all", *where))
            all_terms += [term(f, "yes", *where) for f in self.flags]
            all_terms += [term(BAND, b, *where) for b in _BANDS]
            all_terms.append(term(PAIR, "-", *where))
        scopes: dict[str, set[frozenset[Cell]]] = defaultdict(set)
        for t in all_terms:
            self.categories[t.family].update(t.categories)
            scopes[t.family].add(t.cells)
        if self.flags:
            self.categories[BAND] = set(_BANDS)
            self.categories[PAIR] = {
                pair_of(a, b) for i, a in enumerate(self.flags) for b in self.flags[i + 1 :]
            }
        self.categories[CASES] = {"all"}
        grid: set[Cell] = set().union(*(s for ss in scopes.values() for s in ss))
        ordered = {f: sorted(s, key=lambda c: sorted(c)) for f, s in scopes.items()}
        every = sorted({s for ss in scopes.values() for s in ss}, key=lambda c: sorted(c))
        self.blocks: dict[str, list[Block]] = {
            f: signature_blocks(grid, ordered[f]) for f in scopes if f != CASES
        }
        self.blocks[CASES] = signature_blocks(grid, every)
        self._memo: dict[Term, list[int]] = {}  # each term's variables (block_vector)
        self.index: dict[tuple[str, str, Block], int] = {}
        for family in sorted(self.blocks):
            for category in sorted(self.categories[family]):
                for block in self.blocks[family]:
                    self.index[(family, category, block)] = len(self.index)
        self.size = len(self.index)
        self._eq: list[dict[int, float]] = []
        self._eq_rhs: list[float] = []
        self._ub: list[dict[int, float]] = []
        self._ub_rhs: list[float] = []
        self._hidden_terms: dict[TermKey, tuple[Term, ...]] = {}
        self._structure()
        self._facts(packs)
        self.A_eq = self._matrix(self._eq)
        self.b_eq = np.asarray(self._eq_rhs, dtype=float)
        self.A_ub = self._matrix(self._ub)
        self.b_ub = np.asarray(self._ub_rhs, dtype=float)

    def _structure(self) -> None:
        for family, blocks in self.blocks.items():
            if family in (CASES, PAIR):
                continue
            for block in blocks:
                row = {self.index[(family, c, block)]: 1.0 for c in self.categories[family]}
                for i, v in self._within(CASES, "all", block).items():
                    row[i] = -v
                self._add_eq(row, 0.0)
        for block in self.blocks.get(BAND, []):
            self._risk_conditions(block)

    def _risk_conditions(self, block: Block) -> None:
        """The conditions the patterns imply on one block's bands and pairs (class doc)."""

        def v(family: str, category: str, sign: float = 1.0) -> dict[int, float]:
            return {i: sign * x for i, x in self._within(family, category, block).items()}

        def le(*parts: dict[int, float]) -> None:  # sum of parts <= 0
            row: dict[int, float] = defaultdict(float)
            for part in parts:
                for i, x in part.items():
                    row[i] += x
            self._add_ub(dict(row), 0.0)

        n = len(self.flags)
        cases = v(CASES, "all")
        b1, b2, b3 = v(BAND, "1"), v(BAND, "2"), v(BAND, "3+")
        yes_all: dict[int, float] = defaultdict(float)
        for flag in self.flags:
            for i, x in v(flag, "yes").items():
                yes_all[i] += x
            # no case without a risk factor has this one; a factor's yes is within the bands
            le(v(BAND, "0"), v(flag, "yes"), _neg(cases))
            le(v(flag, "yes"), _neg(b1), _neg(b2), _neg(b3))
        pairs: dict[int, float] = defaultdict(float)
        for i, a in enumerate(self.flags):
            for b in self.flags[i + 1 :]:
                pair = v(PAIR, pair_of(a, b))
                for j, x in pair.items():
                    pairs[j] += x
                le(pair, _neg(v(a, "yes")))
                le(pair, _neg(v(b, "yes")))
                le(pair, _neg(b2), _neg(b3))
                le(v(a, "yes"), v(b, "yes"), _neg(cases), _neg(pair))
        le(_scale(b1, 1), _scale(b2, 2), _scale(b3, 3), _neg(yes_all))
        le(yes_all, _neg(b1), _scale(b2, -2), _scale(b3, -n))
        le(b2, _scale(b3, 3), _neg(pairs))
        le(pairs, _neg(b2), _scale(b3, -n * (n - 1) / 2))

    def _facts(self, packs: Sequence[PackFigures]) -> None:
        printed: dict[TermKey, int] = {}
        hidden: set[TermKey] = set()
        for pack in packs:
            for count in pack.publication.counts:
                terms = self.patterns.translate(count.terms)
                if terms is None:  # pragma: no cover - every printed pattern sum is named
                    continue
                key = term_key(count.terms)
                if count.hidden or count.value is None:
                    hidden.add(key)
                    if key not in printed:
                        self._hidden_terms.setdefault(key, terms)
                    continue
                if key in printed:
                    if printed[key] != count.value:
                        raise DisclosureError(
                            f"{pack.name} prints {count.table}: {count.row}, {count.column} "
                            "as a different value from another pack: the packs are not one "
                            "series of the same data"
                        )
                    continue
                printed[key] = count.value
                self._add_eq(self._vector(terms), float(count.value))
        # A rate whose numerator and denominator some pack prints as counts adds nothing to
        # them (both are fixed, and the rate was worked out from them), and neither does a
        # rate already listed: neither is a row. Over the 20 packs of benchmarks/year.py,
        # 544 of the model's 4,106 rows, which HiGHS presolved away again at each of some
        # 1,000 whole-number solves. (A rate that contradicts its printed counts is still
        # caught: each pack's own model keeps every rate, and check_packs checks each alone.)
        listed: set[tuple[TermKey, TermKey, float, float]] = set()
        for pack in packs:
            for rate in pack.publication.rates:
                keys = (term_key(rate.numerator), term_key(rate.denominator))
                if (keys[0] in printed and keys[1] in printed) or (
                    (*keys, rate.low, rate.high) in listed
                ):
                    continue
                listed.add((*keys, rate.low, rate.high))
                num, den = self._vector(rate.numerator), self._vector(rate.denominator)
                upper, lower = rate_rows(num, den, rate.low, rate.high)
                self._add_ub(upper, 0.0)
                self._add_ub(lower, 0.0)
        self.printed = printed
        for key in sorted(hidden - set(printed)):
            self._add_ub({i: -x for i, x in self._vector(self._hidden_terms[key]).items()}, -1.0)

    def fits(self, x: np.ndarray) -> bool:
        """Whether the whole counts ``x`` fit every figure exactly (to 1e-9): HiGHS holds
        constraints to a tolerance, so a rounded solution is checked before it is used."""
        if (x < 0).any() or not np.allclose(self.A_eq @ x, self.b_eq, rtol=0, atol=1e-9):
            return False
        return self.A_ub is None or not (self.A_ub @ x > self.b_ub + 1e-9).any()

    def keyed(self, x: np.ndarray) -> dict[tuple[str, str, Block], float]:
        """The counts ``x`` by what each variable is (family, category, block), so that
        another model of the same cases can read them (:meth:`point`)."""
        return {key: float(x[i]) for key, i in self.index.items()}

    def point(self, keyed: dict[tuple[str, str, Block], float]) -> np.ndarray | None:
        """``keyed`` counts (:meth:`keyed`, from another model of the same cases) as this
        model's variables: each block the sum of the other model's blocks that partition
        it; ``None`` when one cannot be (the other model is coarser there or lacks it).
        Whether they fit this model's figures is :meth:`fits`'s question."""
        complete = isinstance(keyed, CellCounts)  # a cell not listed is zero
        parts: dict[tuple[str, str], dict[Block, float]] = defaultdict(dict)
        for (family, category, block), value in keyed.items():
            parts[(family, category)][block] = value
        x = np.zeros(self.size)
        for (family, category, block), i in self.index.items():
            given = parts.get((family, category), {})
            same = given.get(block)
            if same is not None:  # the same block there: the others, disjoint, are not in it
                x[i] = same
                continue
            inside = [(b, v) for b, v in given.items() if b <= block]
            if not complete and sum(len(b) for b, _ in inside) != len(block):  # disjoint
                return None
            x[i] = sum(v for _, v in inside)
        return x

    def holds(self, terms: Iterable[Term]) -> bool:
        """Whether :meth:`vector` can express the sum of ``terms`` in this model."""
        named = self.patterns.translate(terms)
        return named is not None and all(
            t.family in self.blocks and any(b <= t.cells for b in self.blocks[t.family])
            for t in named
        )

    def _within(self, family: str, category: str, block: Block) -> dict[int, float]:
        """The row of one category of ``family`` over the cells of ``block``."""
        return {self.index[(family, category, b)]: 1.0 for b in self.blocks[family] if b <= block}

    def _add_ub(self, row: dict[int, float], rhs: float) -> None:
        self._ub.append(row)
        self._ub_rhs.append(rhs)

    def _add_eq(self, row: dict[int, float], rhs: float) -> None:
        self._eq.append(row)
        self._eq_rhs.append(rhs)

    def _matrix(self, rows: list[dict[int, float]]) -> sparse.csr_matrix:
        return sparse_rows(rows, self.size)

    def _vector(self, terms: Iterable[Term]) -> dict[int, float]:
        return block_vector(self.blocks, self.index, terms, self._memo)

    def vector(self, terms: Iterable[Term]) -> np.ndarray:
        """A dense objective row for the sum of ``terms`` (see :meth:`holds`)."""
        named = self.patterns.translate(terms)
        if named is None:
            raise DisclosureError("a sum over risk-factor patterns the packs do not print")
        row = np.zeros(self.size)
        for i, v in self._vector(named).items():
            row[i] = v
        return row


def _neg(row: dict[int, float]) -> dict[int, float]:
    return {i: -x for i, x in row.items()}


def _scale(row: dict[int, float], factor: float) -> dict[int, float]:
    return {i: factor * x for i, x in row.items()}
