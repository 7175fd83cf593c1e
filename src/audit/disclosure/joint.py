"""The joint attack: several public packs read together, every hidden count solved in integers.

A partnership publishes a *series* of packs — each quarter, the year, the pool and each
partnership — and an outsider reads them all (issue 22). This module rebuilds, from the
packs' ``figures.csv`` alone, one model of everything they publish and bounds every hidden
count in whole numbers.

**Common cells** (:mod:`audit.disclosure.joint_model`). Every figure of every pack is a sum
of atomic counts addressed by family, category, partnership and quarter, and the same
address means the same cases in every pack, so the packs are merged into one system, as
rtauargus's ``tab_multi_manager`` merges linked tables into one table and ``GaussSuppression``
protects them *globally*: a quarter pack, the year (the sum of its quarters), the pool (the
sum of its partnerships), the trend charts of later quarters (history) and a re-run all
become equations on shared variables. sdcTable's ``protectLinkedTables`` requires a common
cell to have the same suppression state in every table; a count hidden in one pack and
printed in another is here recovered exactly, and reported so. What is adopted from them is
the merged model and that requirement; their protection algorithms (HITAS, modular,
back-tracking over the tables) are for the protection step, which this module only checks.

**Integers.** τ-ARGUS audits a suppression pattern by each hidden cell's feasibility
interval from linear programming, as :mod:`audit.disclosure.attack` does. Counts are whole
numbers and printed rates and averages are intervals on ratios of them (``lo * n <= y <= hi
* n``), so whole-number reasoning can pin a count the linear relaxation leaves wide (issue
22's first recipe). :func:`joint_attack` bounds each target by the linear relaxation of the
joint model intersected with the single-pack attack of each pack naming it (which reads the
risk-factor patterns whole), then narrows the ranges by the integer programme (HiGHS branch
and bound, every count whole), narrowest first, within a time budget, where the linear
optimum is not already reached at whole numbers (then it is the integer optimum too). A
solve that hits its time limit keeps HiGHS's proven dual bound, so no range is reported
narrower than it is; a range the integer step did not finish is marked not exact.

A count is **exposed** (:func:`audit.disclosure.attack.exposed`) when its range is
narrower than the threshold ``k`` and reaches into 1..k: the same bar as the single-pack
check. Issue 22's table also counts ranges of fewer than ``k`` values (``high - low <= k -
2``) and exact recoveries (``high == low``).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audit.disclosure.attack import attack, attack_targets, exposed
from audit.disclosure.figures import FIGURES_FILE, read_figures
from audit.disclosure.joint_model import JointModel, PackFigures, TermKey, term_key
from audit.disclosure.joint_search import STALLED_PUSHES, Highs, SolutionPool, push_apart
from audit.disclosure.model import Term
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
    "JointCheck",
    "check_packs",
]

_TOLERANCE = 1e-6


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
        where = "; ".join(self.target.hidden_in) or (
            f"not printed in {', '.join(self.target.packs)}"
        )
        return f"{where} ({_describe(self.target.terms)}) lies in {self.low:g}..{high}"


def _describe(terms: tuple[Term, ...]) -> str:
    """``family=category [partnerships; first..last quarter]`` for each term."""
    parts = []
    for t in terms:
        quarters = sorted(t.quarters)
        when = quarters[0] if len(quarters) == 1 else f"{quarters[0]}..{quarters[-1]}"
        cats = "+".join(t.categories) if len(t.categories) < 4 else "a pattern sum"
        parts.append(f"{t.family}={cats} [{'/'.join(sorted(t.partnerships))}; {when}]")
    return " + ".join(parts)


@dataclass
class JointReport:
    """The result of a joint attack over several packs."""

    packs: list[str]
    k: int
    bounds: list[JointBounds] = field(default_factory=list)
    seconds: float = 0.0
    mip_solves: int = 0
    #: Targets left unsolved because whole-number solutions of other solves already put
    #: them ``k`` or more apart (:class:`SolutionPool`): not exposed, range kept linear.
    certified: int = 0
    #: Targets the integer step did not reach within its budget: they keep their linear
    #: range (at least as wide as the whole-number one).
    unreached: int = 0
    #: Targets whose own solves hit their time limit before proving their range, which is
    #: then HiGHS's proven bound: at least as wide as the true one, so not exposed by it but
    #: possibly exposed in truth.
    cut_short: int = 0
    #: Targets left undecided, with their linear range, because others' ranges already
    #: showed exposures before any per-target solve (``joint_attack(first_exposures=True)``:
    #: protection hides for those first and attacks again).
    deferred: int = 0
    #: Every whole-number solution seen, by variable (:meth:`JointModel.keyed`): seeds for
    #: a later attack on the same cases (``joint_attack(seeds=...)``).
    solutions: list[dict] = field(default_factory=list)

    @property
    def exposed(self) -> list[JointBounds]:
        return [b for b in self.bounds if b.exposed]

    @property
    def undecided(self) -> int:
        """Targets this attack could not decide in its time: not reached, or cut short
        (their outer range is not exposed, the true one might be)."""
        return self.unreached + self.cut_short


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
    seeds: Sequence[dict] = (),
    memo: dict | None = None,
    unchanged: Collection[str] = (),
    exact_exposures: bool = True,
    first_exposures: bool = False,
) -> JointReport:
    """Bound every target in whole numbers from everything ``packs`` publish (module doc).

    ``exact_exposures=False`` asks only *which* targets may be exposed, erring towards
    yes: a target whose outer range is already exposed keeps it instead of two
    whole-number solves narrowing it. Its whole-number range lies inside, so it is as
    narrow, but it might not reach 1..k (an outer 0..3 whose whole-number range is 0..0):
    protection then hides a figure, or leaves a measure out, that it need not — never
    less. (Used for "already exposed by the earlier packs alone", it is still right for
    every count truly exposed together: their whole-number range there holds the joint
    one, so it reaches 1..k too.) Protection asks that way: on the benchmark year's
    Eastmere year, 110 such solves were 85 s of its 109 s.

    ``first_exposures=True`` asks for *some* exposed targets, when there are any: if the
    outer ranges (after the pushes) already show one, the per-target solves are skipped and
    the targets they would have decided are counted in ``report.deferred``. Protection
    hides for what it is shown and attacks again, and only an attack that decides every
    target ends it: on the benchmark year's Eastmere year, the first round's 30 per-target
    solves took 38 s, and after that round's hiding the same kind of solves took 0.1 s each.

    ``memo`` keeps the single-pack ranges of the packs named in ``unchanged`` (published
    packs, whose figures do not change) across calls: protection attacks the same earlier
    packs with each round's new pack, and their own attacks were a quarter of its time on
    the year of ``benchmarks/year.py``.

    ``seeds``: whole-number solutions of an earlier attack on the same cases
    (``report.solutions``): each that fits every figure of these packs exactly joins the
    solutions seen before any solve. Protection passes on those of its previous round,
    which still fit after it hides more (hiding only removes facts), so a round settles
    most targets without solving.

    (``integer``) First, whole-number solves that push every target up or down together
    (:func:`push_apart`) collect sets of counts that fit every figure
    (:class:`SolutionPool`): a target they put ``k`` or more apart cannot be exposed and
    is settled there (``report.certified``), keeping the single-pack range as its outer
    bound. For each target left, two outer bounds of its range are intersected: the linear
    relaxation of the joint model (:class:`JointModel`) and, for each pack that names the
    target, the single-pack attack (linear, risk-factor patterns read whole:
    :func:`audit.disclosure.attack.attack`). A range lying wholly above ``k`` or unbounded
    is left there (it cannot be exposed). Then the integer programme narrows the others,
    narrowest first — where whole numbers most often decide exposure — each solve given at
    most ``mip_seconds`` and all of them what is left of ``budget`` seconds; a target the
    budget does not reach keeps its linear range and is marked not exact
    (``report.unreached``).
    """
    started = time.perf_counter()
    if not packs:
        raise DisclosureError("no public pack to check")
    k = _threshold(packs)
    if targets is None:
        targets = joint_targets(packs)
    model = JointModel(packs, extra_terms=[t for tg in targets for t in tg.terms])
    report = JointReport([p.name for p in packs], k)
    single = _single_pack_bounds(packs, targets, k, memo, unchanged)
    lp = Highs(model, integer=False)  # raises when the figures contradict each other
    rows = [model.vector(t.terms) if model.holds(t.terms) else None for t in targets]
    pool = SolutionPool(rows, model.size)
    for seed in seeds:
        x = model.point(seed)
        if x is not None and model.fits(x):
            pool.add(x)
    # Pushed: every target in the model, not printed, that the single-pack attack does not
    # already put wholly above k (those cannot be exposed, and only slow the pushes down).
    open_ = [
        i
        for i, (t, r) in enumerate(zip(targets, rows))
        if r is not None
        and term_key(t.terms) not in model.printed
        and single.get(term_key(t.terms), (0.0, math.inf))[0] <= k
    ]
    mip = Highs(model, integer=True) if integer and open_ else None
    if mip is not None:
        # What the pushes of the last attack on the same packs left (memo): when only those
        # are left again, one push with new signs, not STALLED_PUSHES (:func:`push_apart`).
        key = ("pushes left", tuple(p.name for p in packs))
        stuck, calls = memo.get(key, (None, 0)) if memo is not None else (None, 0)
        keys = {i: term_key(targets[i].terms) for i in open_}
        again = stuck is not None and {keys[i] for i in open_ if pool.width(i) < k} <= stuck
        solves, left = push_apart(
            mip,
            rows,
            open_,
            pool,
            k,
            deadline=started + budget,
            seconds=mip_seconds,
            stalls=1 if again else STALLED_PUSHES,
            seed=calls,
        )
        report.mip_solves += solves
        if memo is not None:
            memo[key] = (frozenset(keys[i] for i in left), calls + 1)
    ranges = [
        _linear_range(i, target, rows[i], model, single, lp, pool, k)
        for i, target in enumerate(targets)
    ]
    report.certified = sum(r[3] == _SETTLED for r in ranges)
    if first_exposures and any(exposed(r[1], r[2], k) for r in ranges):
        report.deferred = sum(
            r[3] is False and math.isfinite(r[2]) and not exposed(r[1], r[2], k) for r in ranges
        )
    elif mip is not None:
        _narrow(
            mip,
            rows,
            ranges,
            pool,
            report,
            deadline=started + budget,
            seconds=mip_seconds,
            exact_exposures=exact_exposures,
        )
    report.bounds = [JointBounds(t, low, high, exact is True, k) for t, low, high, exact in ranges]
    report.solutions = [model.keyed(x) for x in pool.points]
    report.seconds = time.perf_counter() - started
    return report


#: A range's mark when whole-number solutions put its target ``k`` or more apart.
_SETTLED = "settled"
_Range = tuple[Target, float, float, "bool | str"]


def _linear_range(
    i: int,
    target: Target,
    objective: np.ndarray | None,
    model: JointModel,
    single: dict[TermKey, tuple[float, float]],
    lp: Highs,
    pool: SolutionPool,
    k: int,
) -> _Range:
    """One target's outer range before the per-target integer step, and whether it is exact
    (``True``), settled by the solutions seen (:data:`_SETTLED`) or left to narrow."""
    key = term_key(target.terms)
    if key in model.printed:
        value = float(model.printed[key])
        return (target, value, value, True)
    low, high = single.get(key, (0.0, math.inf))
    if objective is None:
        return (target, low, high, high == low or low > k)
    if pool.width(i) >= k:
        return (target, low, high, _SETTLED)
    found, whole = lp.minimum(objective)
    if whole:
        pool.add(lp.whole_solution())
    low = max(low, math.ceil(found - _TOLERANCE))
    if low <= k:
        neg, whole_high = lp.minimum(-objective)
        if whole_high:
            pool.add(lp.whole_solution())
        whole = whole and whole_high
        if neg != -math.inf:
            high = min(high, math.floor(-neg + _TOLERANCE))
    else:
        high = math.inf
    return (target, low, high, whole or high == low or low > k)


def _narrow(
    mip: Highs,
    rows: list[np.ndarray | None],
    ranges: list[_Range],
    pool: SolutionPool,
    report: JointReport,
    *,
    deadline: float,
    seconds: float,
    exact_exposures: bool = True,
) -> None:
    """The per-target integer step: narrow each range left open, narrowest first, by its
    own whole-number solves (each also feeding ``pool``), until ``deadline``; with
    ``exact_exposures=False`` not a range already exposed (its whole-number one is as
    narrow; it is reported exposed: :func:`joint_attack`)."""
    k = report.k
    # A range unbounded above cannot be exposed, and neither can its whole-number one: a
    # rational polyhedron unbounded in a direction holding one whole point holds whole
    # points arbitrarily far along it (Meyer 1974).
    order = sorted(
        (
            i
            for i, r in enumerate(ranges)
            if r[3] is False and rows[i] is not None and math.isfinite(r[2])
        ),
        key=lambda i: ranges[i][2] - ranges[i][1],
    )

    def settled(i: int, low: float, high: float) -> bool:
        """Whether whole-number solutions already give target ``i`` k + 1 values (then
        marked so and counted)."""
        if pool.width(i) < k:
            return False
        report.certified += 1
        ranges[i] = (ranges[i][0], low, high, _SETTLED)
        return True

    def narrow(i: int, seconds: float) -> bool:
        """Target ``i``'s two whole-number solves, each given at most ``seconds`` of what
        is left; whether it was cut short (not decided: see :func:`joint_attack`)."""
        target, low, high, _ = ranges[i]
        objective = rows[i]
        assert objective is not None  # the order holds only targets in the model
        left = deadline - time.perf_counter()
        found, exact_low = mip.minimum(objective, min(seconds, left), start=pool.best(objective))
        pool.add(mip.whole_solution())
        report.mip_solves += 1
        if math.isfinite(found):  # a solve cut short before any bound keeps none
            low = max(low, math.ceil(found - _TOLERANCE))
        if settled(i, low, high):
            return False
        left = deadline - time.perf_counter()
        neg, exact_high = mip.minimum(
            -objective, min(seconds, max(left, 0.0)), start=pool.best(-objective)
        )
        pool.add(mip.whole_solution())
        report.mip_solves += 1
        if math.isfinite(neg):
            high = min(high, math.floor(-neg + _TOLERANCE))
        exact = (exact_low and exact_high) or high == low
        ranges[i] = (target, low, high, exact)
        return not exact and not exposed(low, high, k) and pool.width(i) < k

    cut: list[int] = []
    for j, i in enumerate(order):
        _, low, high, _ = ranges[i]
        if settled(i, low, high) or (not exact_exposures and exposed(low, high, k)):
            continue
        if deadline - time.perf_counter() <= 0:
            report.unreached = sum(pool.width(ii) < k for ii in order[j:])
            report.cut_short += len(cut)
            return
        if narrow(i, seconds):
            cut.append(i)
    # Each target cut short is solved again, given up to _RETRY_TIMES as long a side, or
    # its share of the time left if less: a solve that does not finish in ``seconds`` on
    # a slow or busy machine would otherwise leave the pack refused with budget to spare
    # (the second synthetic year's Westvale quarter 4, published after its year: refused
    # after 35 s of a 120 s budget on a machine half as fast as the day before).
    for n, i in enumerate(cut):
        _, low, high, _ = ranges[i]
        if settled(i, low, high):
            continue
        left = deadline - time.perf_counter()
        if left <= 0 or narrow(i, min(seconds * _RETRY_TIMES, left / (len(cut) - n))):
            report.cut_short += 1


#: How much longer a side a target cut short is given on its second try (:func:`_narrow`).
_RETRY_TIMES = 10


def _single_pack_bounds(
    packs: Sequence[PackFigures],
    targets: Sequence[Target],
    k: int,
    memo: dict | None = None,
    unchanged: Collection[str] = (),
) -> dict[TermKey, tuple[float, float]]:
    """Each target's range from the single-pack attack of every pack that names it,
    intersected (risk-factor patterns read whole). A pack of ``unchanged`` keeps its ranges
    in ``memo`` (by pack name, then count): each count's range is its own two solves, the
    same whichever others are asked, so only counts not asked before are attacked."""
    by_pack: dict[str, list[Target]] = defaultdict(list)
    for target in targets:
        for name in target.packs:
            by_pack[name].append(target)
    out: dict[TermKey, tuple[float, float]] = {}
    for pack in packs:
        chosen = by_pack.get(pack.name)
        if not chosen:
            continue
        kept = pack.name in unchanged and memo is not None
        known = memo.setdefault(pack.name, {}) if kept else {}  # type: ignore[union-attr]
        asked = [t for t in chosen if term_key(t.terms) not in known]
        if asked:
            result = attack(pack.publication, k, targets=[(t.label, t.terms) for t in asked])
            for bounds in result.bounds:
                known[term_key(bounds.terms)] = (bounds.low, bounds.high)
        for key in {term_key(t.terms) for t in chosen} & known.keys():
            low, high = out.get(key, (0.0, math.inf))
            b_low, b_high = known[key]
            out[key] = (max(low, b_low), min(high, b_high))
    return out


@dataclass(frozen=True)
class JointCheck:
    """What ``audit check-disclosure`` found over several packs."""

    packs: list[str]
    threshold: int
    attacked: int
    integer_solved: int
    report: JointReport

    def summary(self) -> str:
        """What the whole-number step settled, in the words ``audit check-disclosure``
        prints: solved exactly, shown wide by whole-number solutions, or not reached."""
        r = self.report
        text = (
            f"{self.integer_solved} solved in whole numbers, {r.certified} shown by "
            f"whole-number solutions to take more than {self.threshold} values"
        )
        if r.unreached:
            text += (
                f", {r.unreached} not reached in the time given (their linear range "
                "kept; give more --seconds)"
            )
        if r.cut_short:
            text += (
                f", {r.cut_short} whose solves stopped at their time limit (a range at "
                "least as wide as the true one kept)"
            )
        return text


def check_packs(paths: Iterable[str | Path], *, budget: float = 60.0) -> JointCheck:
    """Check each pack alone (:func:`~audit.disclosure.figures.check_pack`), then all of
    them together (:func:`joint_attack`).

    Raises :class:`~audit.errors.DisclosureError` naming, for each exposed count, the packs
    that hide it, the cell and the range an outsider can narrow it to.
    """
    from audit.disclosure.figures import check_pack

    folders = find_packs(paths)
    alone: dict[str, dict] = {}  # each pack's own ranges, by pack name: the joint attack's
    for folder in folders:
        try:
            result = check_pack(folder)
        except DisclosureError as exc:
            raise DisclosureError(f"{folder.name}: {exc}") from None
        alone[folder.name] = {term_key(b.terms): (b.low, b.high) for b in result.report.bounds}
    packs = read_packs(folders)
    # The single-pack attack of each pack is the one just run (2 s of the benchmark year's
    # 11 s check when run twice), unless two packs share a name.
    unique = len(alone) == len(packs)
    report = joint_attack(
        packs,
        budget=budget,
        memo=alone if unique else None,
        unchanged=alone.keys() if unique else (),
    )
    if report.exposed:
        shown = "\n".join(f"  {b.describe()}" for b in report.exposed[:20])
        more = len(report.exposed) - 20
        raise DisclosureError(
            f"read together, {len(packs)} packs narrow {len(report.exposed)} count(s) to "
            f"{report.k} values or fewer:\n{shown}"
            + (f"\n  ... and {more} more" if more > 0 else "")
        )
    solved = sum(b.exact for b in report.bounds)
    return JointCheck(report.packs, report.k, len(report.bounds), solved, report)
