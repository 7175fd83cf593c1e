"""The attacker's check: how narrowly can each hidden count be pinned down?

As R's sdcTable ``attack()`` and τ-ARGUS's audit do for secondary suppression, every
published figure becomes a linear constraint on the underlying non-negative counts
(:class:`~audit.disclosure.model.LinearModel`), and for each count the attacker cares about
a linear-programming solver finds the lowest and the highest value consistent with
everything published. The solver is HiGHS, through its own Python interface ``highspy``
(scipy's ``linprog`` wraps the same solver but rebuilds the model for every call: measured
on a one-quarter partnership pack, 5.9 ms a bound against 0.66 ms when one model is kept
and only the objective changes, so the solver restarts from the last basis).

The counts attacked (:func:`attack_targets`) are every hidden figure and every atomic count
of a published scope that is not itself printed: a flag's ``no`` (a numerator and
denominator shown give it), an ``unknown`` or a number of cases not printed for a quarter,
a single service level. Bounds are rounded inwards to whole numbers (counts are whole).

A count is **exposed** when its range is narrower than ``k`` and reaches into 1..k
(``high - low < k`` and ``high >= 1`` and ``low <= k``): the attacker can then tell a small
count from 0 or from more than ``k``. A range at least ``k`` wide, or one lying wholly above
``k`` or at exactly 0, is protected. Since a true value lies in its own range, a count of
``2k`` or more can never be exposed, so the producer attacks only counts below ``2k``
(:func:`attack` with ``truth``); a reviewer who lacks the true values attacks them all.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from audit.disclosure.model import CASES, PATTERN, LinearModel, Publication, Term, term_key
from audit.errors import DisclosureError

__all__ = [
    "Bounds",
    "AttackReport",
    "attack_targets",
    "attack",
    "exposed",
    "pinned",
    "highs_model",
    "PROVEN_GAP",
]

_TOLERANCE = 1e-6

#: The integer solves' absolute gap that proves a minimum: objectives are sums of whole
#: numbers, so a gap below 1 leaves no better whole value.
PROVEN_GAP = 1 - 1e-6


@dataclass(frozen=True)
class Bounds:
    """The attacker's range for one count and the published figures that pin it."""

    label: str
    terms: tuple[Term, ...]
    low: float
    high: float
    exposed: bool
    binding: tuple[tuple[str, str, str], ...] = ()

    @property
    def width(self) -> float:
        return self.high - self.low


@dataclass
class AttackReport:
    """The result of an attack over one publication."""

    bounds: list[Bounds] = field(default_factory=list)
    hidden: int = 0

    @property
    def exposed(self) -> list[Bounds]:
        return [b for b in self.bounds if b.exposed]

    @property
    def attacked(self) -> int:
        return len(self.bounds)

    def narrowest(self, k: int) -> float | None:
        """The narrowest range among attacked counts that could be from 1 to ``k``
        (``None`` when there is none: every attacked count is exactly 0 or above ``k``)."""
        widths = [b.width for b in self.bounds if b.high >= 1 and b.low <= k]
        return min(widths) if widths else None

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "count": b.label,
                    "low": b.low,
                    "high": b.high,
                    "width": b.width,
                    "exposed": b.exposed,
                }
                for b in self.bounds
            ]
        )


def exposed(low: float, high: float, k: int) -> bool:
    """True when a range ``[low, high]`` tells a count of 1..k from 0 and from more than k."""
    return high - low < k and high >= 1 and low <= k


def _label(terms: tuple[Term, ...]) -> str:
    parts = []
    for t in terms:
        where = "/".join(sorted(t.partnerships)) or "all"
        quarters = sorted(t.quarters)
        when = quarters[0] if len(quarters) == 1 else f"{quarters[0]}..{quarters[-1]}"
        parts.append(f"{t.family}={'+'.join(t.categories)} [{where}; {when}]")
    return " + ".join(parts)


def attack_targets(publication: Publication) -> list[tuple[str, tuple[Term, ...]]]:
    """The counts an attacker is scored on: hidden figures and unprinted atomic counts."""
    shown = {term_key(c.terms) for c in publication.counts if not c.hidden}
    targets: dict[tuple, tuple[str, tuple[Term, ...]]] = {}
    for count in publication.counts:
        if count.hidden:
            key = term_key(count.terms)
            targets.setdefault(key, (f"{count.table}: {count.row}, {count.column}", count.terms))
    scopes: dict[str, set[tuple[frozenset[str], frozenset[str]]]] = {}
    categories: dict[str, set[str]] = {}
    for count in publication.counts:
        for t in count.terms:
            if t.family == PATTERN:
                continue
            scopes.setdefault(t.family, set()).add(t.scope)
            categories.setdefault(t.family, set()).update(t.categories)
    for family, family_scopes in sorted(scopes.items()):
        for partnerships, quarters in sorted(
            family_scopes, key=lambda s: (sorted(s[0]), sorted(s[1]))
        ):
            for category in sorted(categories[family]):
                atom = (Term(family, (category,), partnerships, quarters),)
                key = term_key(atom)
                if key not in shown:
                    targets.setdefault(key, (_label(atom), atom))
            if family != CASES:
                cases = (Term(CASES, ("all",), partnerships, quarters),)
                if term_key(cases) not in shown:
                    targets.setdefault(term_key(cases), (_label(cases), cases))
    return list(targets.values())


class _Solver:
    """One HiGHS model of a publication, re-solved for objective after objective."""

    def __init__(self, model: LinearModel) -> None:
        import highspy

        self.model = model
        self.highs = highs_model(model)
        self.columns = np.arange(model.size, dtype=np.int32)
        # Each row's owner (None for the structure), equations then inequalities, as HiGHS
        # orders the duals: read by a mask, not a loop (1.5 s of the benchmark year).
        owners = [*model.eq_owner, *model.ub_owner]
        self.owners = np.empty(len(owners), dtype=object)
        for i, owner in enumerate(owners):  # one by one: numpy would unpack the tuples
            self.owners[i] = owner
        self.status = highspy.HighsModelStatus
        self._first = True

    def minimum(self, objective: np.ndarray) -> tuple[float, list[tuple[str, str, str]]]:
        """The minimum of ``objective · x`` (``-inf`` when unbounded) and the figures that
        bind it (non-zero dual values)."""
        self.highs.changeColsCost(self.model.size, self.columns, objective)
        if self._first:
            self._first = False
            status = first_solve_then_primal(self.highs)
        else:
            self.highs.run()
            status = self.highs.getModelStatus()
        if status in (self.status.kUnbounded, self.status.kUnboundedOrInfeasible):
            return -math.inf, []
        if status == self.status.kInfeasible:
            raise DisclosureError(
                "the published figures contradict each other (no set of "
                "counts fits them all): the pack has been altered or is "
                "damaged"
            )
        if status != self.status.kOptimal:  # pragma: no cover - limits on tiny models
            raise DisclosureError(
                f"the disclosure check could not finish ({self.highs.modelStatusToString(status)})"
            )
        duals = np.asarray(self.highs.getSolution().row_dual)
        owners = [o for o in self.owners[np.abs(duals) > 1e-9] if o is not None]
        return float(self.highs.getInfo().objective_function_value), owners


def highs_model(model: Any, *, integer: bool = False) -> Any:
    """A quiet ``highspy.Highs`` holding ``model``'s constraints (``size`` counts, each 0 or
    more; ``A_eq x = b_eq``; ``A_ub x <= b_ub`` when there are any), every count whole when
    ``integer``: the one place both attacks build their solver."""
    import highspy

    highs = _quiet_highs(highspy)
    highs.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    blocks = [model.A_eq] + ([model.A_ub] if model.A_ub is not None else [])
    matrix = sparse.vstack(blocks).tocsc() if model.size else sparse.csc_matrix((0, 0))
    n_ub = model.A_ub.shape[0] if model.A_ub is not None else 0
    lp = highspy.HighsLp()
    lp.num_col_ = model.size
    lp.num_row_ = matrix.shape[0]
    lp.col_cost_ = np.zeros(model.size)
    lp.col_lower_ = np.zeros(model.size)
    lp.col_upper_ = np.full(model.size, inf)
    lp.row_lower_ = np.concatenate([model.b_eq, np.full(n_ub, -inf)])
    lp.row_upper_ = np.concatenate([model.b_eq, model.b_ub if n_ub else np.zeros(0)])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * model.size
        highs.setOptionValue("mip_abs_gap", PROVEN_GAP)
        highs.setOptionValue("mip_rel_gap", 0.0)
    highs.passModel(lp)
    return highs


def first_solve_then_primal(highs: Any) -> Any:
    """Solve once with presolve, then set ``highs`` up for objective after objective;
    returns the first solve's model status (read before the options change).

    Later solves change only the objective, so the basis stays feasible and the primal
    simplex restarts from it, where the dual simplex starts each objective nearly afresh
    (the joint attack over the 20 packs of benchmarks/year.py: 0.06 s a bound against 1.2 s;
    the pooled sample's public year: 12.6 s against 5.4 s).
    """
    highs.run()
    status = highs.getModelStatus()
    highs.setOptionValue("presolve", "off")
    highs.setOptionValue("simplex_strategy", 4)
    return status


def _quiet_highs(highspy):
    """A ``highspy.Highs`` made without its start-up banner on standard output.

    HiGHS prints its version banner from C++ when the object is made, before any option can
    be set; standard output is the ``audit metrics`` table's channel, so the file
    descriptor is pointed at the null device for that moment.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


def attack(
    publication: Publication,
    k: int,
    *,
    truth: Callable[[tuple[Term, ...]], int] | None = None,
    targets: list[tuple[str, tuple[Term, ...]]] | None = None,
    until_exposed: bool = False,
) -> AttackReport:
    """Bound every target count from the shown figures and rates (module doc).

    ``truth`` gives a target's true value; with it, counts of ``2k`` or more are skipped
    (they cannot be exposed). The lower bound is found first: a count that cannot fall to
    ``k`` is protected without the second solve. Raises
    :class:`~audit.errors.DisclosureError` when the figures contradict each other.

    ``until_exposed`` stops at the first exposed count, for a caller that asks only whether
    there is one (hiding less tries figures again and keeps the report only of a clean
    attack): the report then holds the counts up to it.
    """
    targets = attack_targets(publication) if targets is None else targets
    report = AttackReport(hidden=len(publication.hidden()))
    if truth is not None:
        targets = [(label, terms) for label, terms in targets if truth(terms) < 2 * k]
    model = LinearModel(publication, extra_terms=[t for _, terms in targets for t in terms])
    solver = _Solver(model)
    solver.minimum(np.zeros(model.size))  # the figures must fit together at all
    for label, terms in targets:
        objective = model.vector(terms)
        low, binding = solver.minimum(objective)
        low = max(0.0, math.ceil(low - _TOLERANCE))
        if low > k:
            high = math.inf  # not solved: the range lies wholly above k
        else:
            neg_high, more = solver.minimum(-objective)
            high = math.inf if neg_high == -math.inf else math.floor(-neg_high + _TOLERANCE)
            binding = binding + more
        report.bounds.append(
            Bounds(label, terms, low, high, exposed(low, high, k), tuple(dict.fromkeys(binding)))
        )
        if until_exposed and report.bounds[-1].exposed:
            break
    return report


def pinned(publication: Publication, counts: list[tuple[Term, ...]]) -> list[bool]:
    """For each count, whether the shown figures fix it to one value (no room at all).

    Exact on the linear relaxation the attack uses: printing such a count adds a constraint
    the others already imply, so the attacker learns nothing new from it and every range
    stays as it was.
    """
    if not counts:
        return []
    model = LinearModel(publication, extra_terms=[t for terms in counts for t in terms])
    solver = _Solver(model)
    solver.minimum(np.zeros(model.size))
    out = []
    for terms in counts:
        objective = model.vector(terms)
        low, _ = solver.minimum(objective)
        neg_high, _ = solver.minimum(-objective)
        out.append(neg_high != -math.inf and (-neg_high) - low < _TOLERANCE)
    return out
