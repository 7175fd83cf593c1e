"""The joint attack: several public packs read together, every hidden count solved in integers.

A partnership publishes a *series* of packs — each quarter, the year, the pool and each
partnership — and an outsider reads them all (issue 22). This module rebuilds, from the
packs' ``figures.csv`` alone, one model of everything they publish and bounds every hidden
count in whole numbers.

**Common cells.** Every figure of every pack is a sum of atomic counts addressed by family,
category, partnership and quarter (:class:`~audit.disclosure.model.Term`), and the same
names mean the same cases in every pack. So, as rtauargus's ``tab_multi_manager`` merges a
set of linked tables into one table in which a cell belongs to several tables, and as
``GaussSuppression`` calls *global protection* of linked tables, the packs are merged into
one system: the grid of (partnership, quarter) cells is refined, family by family, into the
blocks that belong to exactly the same published scopes, and one variable stands for one
category of one block whatever pack prints it. A quarter pack, the year (the sum of its
quarters), the pool (the sum of its partnerships), the trend charts of later quarters
(history) and a re-run all become equations on the same variables. sdcTable's
``protectLinkedTables`` requires that a common cell has the same suppression state in every
table; here a count hidden in one pack and printed in another is simply printed (recovered
exactly), and so reported.

**Integers.** τ-ARGUS audits a suppression pattern by computing each hidden cell's
feasibility interval with linear programming, as :mod:`audit.disclosure.attack` does. Counts
are whole numbers, and printed rates and averages are intervals on ratios of them
(``lo * n <= y <= hi * n``), so whole-number reasoning can pin a count the linear
relaxation leaves wide (issue 22's first recipe). The joint attack therefore bounds each
target with the linear relaxation first (HiGHS simplex, one model kept and re-solved) and
then solves the integer programme (HiGHS branch and bound, all variables integer) for the
targets the bar concerns: the range's integer minimum and maximum. A mixed-integer solve
that hits its time limit keeps HiGHS's proven dual bound, so a range is never reported
narrower than it is; such a range is marked not exact.

A count is **exposed** (:func:`audit.disclosure.attack.exposed`) when its range is
narrower than the threshold ``k`` and reaches into 1..k: the same bar as the single-pack
check. Issue 22's table also counts ranges of fewer than ``k`` values (``high - low <= k -
2``) and exact recoveries (``high == low``).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from audit.disclosure.attack import attack, attack_targets, exposed
from audit.disclosure.figures import FIGURES_FILE, read_figures
from audit.disclosure.model import CASES, PATTERN, Publication, Term, term
from audit.errors import DisclosureError

__all__ = [
    "PackFigures",
    "Target",
    "JointBounds",
    "JointReport",
    "JointModel",
    "find_packs",
    "read_packs",
    "joint_targets",
    "joint_attack",
    "term_key",
]

Cell = tuple[str, str]  # (partnership, quarter)
Block = frozenset[Cell]
TermKey = tuple[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...]
_TOLERANCE = 1e-6


def term_key(terms: Iterable[Term]) -> TermKey:
    """One key for a sum of terms, whichever pack prints it and in whatever order."""
    return tuple(
        sorted(
            (
                t.family,
                tuple(sorted(t.categories)),
                tuple(sorted(t.partnerships)),
                tuple(sorted(t.quarters)),
            )
            for t in terms
        )
    )


@dataclass(frozen=True)
class PackFigures:
    """One public pack as an outsider reads it: its name, figures and threshold."""

    name: str
    publication: Publication
    threshold: int


def find_packs(paths: Iterable[str | Path]) -> list[Path]:
    """The public packs named: each path a pack (a folder holding ``figures.csv``) or a
    folder of packs (its sub-folders that hold one). Raises
    :class:`~audit.errors.DisclosureError` when a path holds no pack."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if (path / FIGURES_FILE).is_file():
            found.append(path)
            continue
        inner = (
            sorted(p for p in path.iterdir() if (p / FIGURES_FILE).is_file())
            if path.is_dir()
            else []
        )
        if not inner:
            raise DisclosureError(
                f"{path} holds no {FIGURES_FILE} nor any folder with one: only public packs "
                "(audit run --audience public) can be checked"
            )
        found += inner
    return list(dict.fromkeys(found))


def read_packs(paths: Iterable[str | Path]) -> list[PackFigures]:
    """Read every pack :func:`find_packs` names (their ``figures.csv``)."""
    packs = []
    for folder in find_packs(paths):
        publication, k = read_figures(folder / FIGURES_FILE)
        packs.append(PackFigures(folder.name, publication, k))
    return packs


@dataclass(frozen=True)
class Target:
    """A count the attacker is scored on, and where the packs print it (or hide it)."""

    label: str
    terms: tuple[Term, ...]
    #: ``pack: table, row, column`` of every place it is hidden (empty: never printed).
    hidden_in: tuple[str, ...]
    #: The value printed for it somewhere, when one pack prints what another hides.
    printed: int | None = None
    #: The packs whose figures name it (printed, hidden or an unprinted atomic count).
    packs: tuple[str, ...] = ()


@dataclass(frozen=True)
class JointBounds:
    """The attacker's integer range for one target."""

    target: Target
    low: float
    high: float
    #: ``False`` when a solve hit its time limit: the range is then HiGHS's proven bound,
    #: at least as wide as the true one.
    exact: bool
    k: int

    @property
    def values(self) -> float:
        """How many whole numbers the range holds."""
        return self.high - self.low + 1

    @property
    def exposed(self) -> bool:
        return exposed(self.low, self.high, self.k)

    def describe(self) -> str:
        high = "unbounded" if math.isinf(self.high) else f"{self.high:g}"
        where = "; ".join(self.target.hidden_in) or self.target.label
        return f"{where}: {self.target.label} lies in {self.low:g}..{high}"


@dataclass
class JointReport:
    """The result of a joint attack over several packs."""

    packs: list[str]
    k: int
    bounds: list[JointBounds] = field(default_factory=list)
    seconds: float = 0.0
    mip_solves: int = 0

    @property
    def exposed(self) -> list[JointBounds]:
        return [b for b in self.bounds if b.exposed]


# ----------------------------------------------------------------------------- the model


def _signature_blocks(cells: Iterable[Cell], scopes: Sequence[frozenset[Cell]]) -> list[Block]:
    """Group ``cells`` by which of ``scopes`` they belong to (cells in none are dropped)."""
    groups: dict[tuple[bool, ...], set[Cell]] = defaultdict(set)
    for cell in cells:
        signature = tuple(cell in s for s in scopes)
        if any(signature):
            groups[signature].add(cell)
    return sorted((frozenset(g) for g in groups.values()), key=lambda b: sorted(b))


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


class _Patterns:
    """Sums over risk-factor patterns as the bands and pairs the packs print them as."""

    def __init__(self, flags: tuple[str, ...]) -> None:
        self.flags = flags
        n = len(flags)
        patterns = [format(i, f"0{n}b")[::-1] for i in range(2**n)]
        self.names: dict[frozenset[str], tuple[str, str]] = {}
        for band in _BANDS:
            size = {"3+": None}.get(band, band)
            chosen = [
                p
                for p in patterns
                if (p.count("1") >= 3 if size is None else p.count("1") == int(band))
            ]
            self.names[frozenset(chosen)] = (BAND, band)
        for i, a in enumerate(flags):
            for j in range(i + 1, n):
                both = [p for p in patterns if p[i] == "1" and p[j] == "1"]
                self.names[frozenset(both)] = (PAIR, f"{a}|{flags[j]}")

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
                f"{a}|{b}" for i, a in enumerate(self.flags) for b in self.flags[i + 1 :]
            }
        self.categories[CASES] = {"all"}
        grid: set[Cell] = set().union(*(s for ss in scopes.values() for s in ss))
        ordered = {f: sorted(s, key=lambda c: sorted(c)) for f, s in scopes.items()}
        every = sorted({s for ss in scopes.values() for s in ss}, key=lambda c: sorted(c))
        self.blocks: dict[str, list[Block]] = {
            f: _signature_blocks(grid, ordered[f]) for f in scopes if f != CASES
        }
        self.blocks[CASES] = _signature_blocks(grid, every)
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
                pair = v(PAIR, f"{a}|{b}")
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
            for rate in pack.publication.rates:
                num, den = self._vector(rate.numerator), self._vector(rate.denominator)
                upper = dict(num)
                for i, x in den.items():
                    upper[i] = upper.get(i, 0.0) - rate.high * x
                lower = {i: rate.low * x for i, x in den.items()}
                for i, x in num.items():
                    lower[i] = lower.get(i, 0.0) - x
                self._add_ub(upper, 0.0)
                self._add_ub(lower, 0.0)
        self.printed = printed
        for key in sorted(hidden - set(printed)):
            self._add_ub({i: -x for i, x in self._vector(self._hidden_terms[key]).items()}, -1.0)

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
        data: list[float] = []
        cols: list[int] = []
        indptr = [0]
        for row in rows:
            for i, v in sorted(row.items()):
                if v != 0.0:
                    cols.append(i)
                    data.append(v)
            indptr.append(len(cols))
        return sparse.csr_matrix((data, cols, indptr), shape=(len(rows), self.size))

    def _vector(self, terms: Iterable[Term]) -> dict[int, float]:
        out: dict[int, float] = defaultdict(float)
        for t in terms:
            cells = t.cells
            for block in self.blocks[t.family]:
                if block <= cells:
                    for category in t.categories:
                        out[self.index[(t.family, category, block)]] += 1.0
                elif block & cells:  # pragma: no cover - blocks refine every scope
                    raise AssertionError(f"block of {t.family} straddles a scope")
        return dict(out)

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


# ---------------------------------------------------------------------------- the attack


def joint_targets(packs: Sequence[PackFigures]) -> list[Target]:
    """Every count an attacker of ``packs`` is scored on, once each: every hidden figure and
    every unprinted atomic count of a published scope (:func:`attack_targets`), with where
    each is hidden and, when another pack prints it, the printed value."""
    printed = _printed(packs)
    found: dict[TermKey, tuple[str, tuple[Term, ...], list[str], list[str]]] = {}
    for pack in packs:
        hidden = {
            term_key(c.terms): f"{pack.name}: {c.table}: {c.row}, {c.column}"
            for c in pack.publication.counts
            if c.hidden
        }
        for label, terms in attack_targets(pack.publication):
            key = term_key(terms)
            entry = found.setdefault(key, (label, terms, [], []))
            entry[3].append(pack.name)
            if key in hidden:
                entry[2].append(hidden[key])
    return [
        Target(label, terms, tuple(where), printed.get(key), tuple(names))
        for key, (label, terms, where, names) in found.items()
    ]


def _printed(packs: Sequence[PackFigures]) -> dict[TermKey, int]:
    return {
        term_key(c.terms): c.value
        for p in packs
        for c in p.publication.counts
        if not c.hidden and c.value is not None
    }


class _Highs:
    """One HiGHS model of the joint system, re-solved objective after objective: as a linear
    programme, or (``integer``) with every variable a whole number."""

    def __init__(self, model: JointModel, *, integer: bool) -> None:
        import highspy

        from audit.disclosure.attack import _quiet_highs

        self.size = model.size
        self.highs = _quiet_highs(highspy)
        self.highs.setOptionValue("output_flag", False)
        inf = highspy.kHighsInf
        matrix = sparse.vstack([model.A_eq, model.A_ub]).tocsc()
        n_ub = model.A_ub.shape[0]
        lp = highspy.HighsLp()
        lp.num_col_ = model.size
        lp.num_row_ = matrix.shape[0]
        lp.col_cost_ = np.zeros(model.size)
        lp.col_lower_ = np.zeros(model.size)
        lp.col_upper_ = np.full(model.size, inf)
        lp.row_lower_ = np.concatenate([model.b_eq, np.full(n_ub, -inf)])
        lp.row_upper_ = np.concatenate([model.b_eq, model.b_ub])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr
        lp.a_matrix_.index_ = matrix.indices
        lp.a_matrix_.value_ = matrix.data
        if integer:
            lp.integrality_ = [highspy.HighsVarType.kInteger] * model.size
            # Objectives are sums of whole numbers: a gap below 1 proves the optimum.
            self.highs.setOptionValue("mip_abs_gap", 1 - 1e-6)
            self.highs.setOptionValue("mip_rel_gap", 0.0)
        self.highs.passModel(lp)
        if not integer:
            # The first solve presolves; later ones change only the objective, so the
            # primal simplex restarts from a basis that is still feasible (measured on the
            # 20 packs of benchmarks/year.py: 0.06 s a bound, against 1.2 s with the dual).
            self.highs.run()
            self.highs.setOptionValue("presolve", "off")
            self.highs.setOptionValue("simplex_strategy", 4)
        self.columns = np.arange(model.size, dtype=np.int32)
        self.status = highspy.HighsModelStatus
        self.integer = integer

    def minimum(self, objective: np.ndarray, seconds: float = math.inf) -> tuple[float, bool]:
        """A lower bound on ``objective · x`` and whether it is the minimum itself
        (``-inf`` when unbounded). Raises when the figures contradict each other."""
        self.highs.changeColsCost(self.size, self.columns, objective)
        if self.integer:
            self.highs.setOptionValue("time_limit", float(max(seconds, 0.01)))
        self.highs.run()
        status = self.highs.getModelStatus()
        if status in (self.status.kUnbounded, self.status.kUnboundedOrInfeasible):
            return -math.inf, True
        if status == self.status.kInfeasible:
            raise DisclosureError(
                "the packs' figures contradict each other (no set of counts fits them all): "
                "a pack has been altered, or they are not one series of the same data"
            )
        info = self.highs.getInfo()
        if status == self.status.kOptimal:
            if self.integer:
                return max(info.objective_function_value, info.mip_dual_bound), True
            return info.objective_function_value, True
        if self.integer and status == self.status.kTimeLimit:
            return info.mip_dual_bound, False
        raise DisclosureError(  # pragma: no cover - other limits are not set
            f"the joint check could not finish ({self.highs.modelStatusToString(status)})"
        )


def _threshold(packs: Sequence[PackFigures]) -> int:
    thresholds = {p.threshold for p in packs}
    if len(thresholds) != 1:
        raise DisclosureError(
            "the packs were published with different small-number thresholds "
            f"({', '.join(str(k) for k in sorted(thresholds))}): check them one threshold at a time"
        )
    return thresholds.pop()


def joint_attack(
    packs: Sequence[PackFigures],
    *,
    targets: Sequence[Target] | None = None,
    integer: bool = True,
    mip_seconds: float = 2.0,
    budget: float = 60.0,
) -> JointReport:
    """Bound every target in whole numbers from everything ``packs`` publish (module doc).

    First, for every target, two outer bounds of its range are intersected: the linear
    relaxation of the joint model (:class:`JointModel`) and, for each pack that names the
    target, the single-pack attack (linear, risk-factor patterns read whole:
    :func:`audit.disclosure.attack.attack`). A range lying wholly above ``k`` is left
    there (it cannot be exposed). Then (``integer``) the integer programme narrows the
    others, narrowest first — where whole numbers most often decide exposure — each solve
    given at most ``mip_seconds`` and all of them what is left of ``budget`` seconds; a
    target the budget does not reach keeps its linear range and is marked not exact (on
    the 20 packs of ``benchmarks/year.py`` an integer solve takes about 0.3 s and narrows
    about one linear range in thirty).
    """
    started = time.perf_counter()
    if not packs:
        raise DisclosureError("no public pack to check")
    k = _threshold(packs)
    if targets is None:
        targets = joint_targets(packs)
    model = JointModel(packs, extra_terms=[t for tg in targets for t in tg.terms])
    report = JointReport([p.name for p in packs], k)
    single = _single_pack_bounds(packs, targets, k)
    lp = _Highs(model, integer=False)
    ranges: list[tuple[Target, float, float, bool]] = []
    for target in targets:
        key = term_key(target.terms)
        if key in model.printed:
            value = float(model.printed[key])
            ranges.append((target, value, value, True))
            continue
        low, high = single.get(key, (0.0, math.inf))
        if model.holds(target.terms):
            objective = model.vector(target.terms)
            low = max(low, math.ceil(lp.minimum(objective)[0] - _TOLERANCE))
            if low <= k:
                neg = lp.minimum(-objective)[0]
                if neg != -math.inf:
                    high = min(high, math.floor(-neg + _TOLERANCE))
            else:
                high = math.inf
        ranges.append((target, low, high, high == low or low > k))
    if integer:
        order = sorted(
            (i for i, r in enumerate(ranges) if not r[3] and model.holds(r[0].terms)),
            key=lambda i: ranges[i][2] - ranges[i][1],
        )
        mip: _Highs | None = None
        for i in order:
            left = budget - (time.perf_counter() - started)
            if left <= 0:
                break
            target, low, high, _ = ranges[i]
            mip = mip or _Highs(model, integer=True)
            objective = model.vector(target.terms)
            found, exact_low = mip.minimum(objective, min(mip_seconds, left))
            low = max(low, math.ceil(found - _TOLERANCE))
            left = budget - (time.perf_counter() - started)
            neg, exact_high = mip.minimum(-objective, min(mip_seconds, max(left, 0.0)))
            if neg != -math.inf:
                high = min(high, math.floor(-neg + _TOLERANCE))
            report.mip_solves += 2
            ranges[i] = (target, low, high, (exact_low and exact_high) or high == low)
    report.bounds = [JointBounds(t, low, high, exact, k) for t, low, high, exact in ranges]
    report.seconds = time.perf_counter() - started
    return report


def _single_pack_bounds(
    packs: Sequence[PackFigures], targets: Sequence[Target], k: int
) -> dict[TermKey, tuple[float, float]]:
    """Each target's range from the single-pack attack of every pack that names it,
    intersected (risk-factor patterns read whole)."""
    by_pack: dict[str, list[Target]] = defaultdict(list)
    for target in targets:
        for name in target.packs:
            by_pack[name].append(target)
    out: dict[TermKey, tuple[float, float]] = {}
    for pack in packs:
        chosen = by_pack.get(pack.name)
        if not chosen:
            continue
        result = attack(pack.publication, k, targets=[(t.label, t.terms) for t in chosen])
        for bounds in result.bounds:
            key = term_key(bounds.terms)
            low, high = out.get(key, (0.0, math.inf))
            out[key] = (max(low, bounds.low), min(high, bounds.high))
    return out
