"""The whole-number search of the joint attack (:mod:`audit.disclosure.joint`).

One HiGHS model of the joint system re-solved objective after objective (:class:`Highs`),
the whole-number solutions seen so far (:class:`SolutionPool`), and the pushes that settle
many targets at once (:func:`push_apart`). :func:`audit.disclosure.joint.joint_attack` uses
them to bound every hidden count; they know nothing of packs or reports, only of a
:class:`~audit.disclosure.joint_model.JointModel` and the targets' rows.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np

from audit.disclosure.attack import PROVEN_GAP, first_solve_then_primal, highs_model
from audit.disclosure.joint_model import JointModel
from audit.errors import DisclosureError

__all__ = ["STALLED_PUSHES", "Highs", "SolutionPool", "push_apart"]


class Highs:
    """One HiGHS model of the joint system, re-solved objective after objective: as a linear
    programme, or (``integer``) with every variable a whole number."""

    def __init__(self, model: JointModel, *, integer: bool) -> None:
        import highspy

        self.size = model.size
        self.model = model
        self.highs = highs_model(model, integer=integer)
        if not integer:
            if first_solve_then_primal(self.highs) == highspy.HighsModelStatus.kInfeasible:
                raise DisclosureError(
                    "the packs' figures contradict each other (no set of counts fits them "
                    "all): a pack has been altered, or they are not one series of the same data"
                )
        self.columns = np.arange(model.size, dtype=np.int32)
        self.status = highspy.HighsModelStatus
        self.integer = integer

    def minimum(
        self,
        objective: np.ndarray,
        seconds: float = math.inf,
        gap: float = PROVEN_GAP,
        start: np.ndarray | None = None,
    ) -> tuple[float, bool]:
        """A lower bound on ``objective · x`` and whether it is the minimum itself
        (``-inf`` when unbounded). Raises when the figures contradict each other. An
        integer solve stops once its best solution is within ``gap`` of the bound; the
        default proves the minimum (objectives are whole numbers). ``start``: whole counts
        that fit every figure, HiGHS's first incumbent (:meth:`SolutionPool.best`); the
        answer does not depend on it, only how soon it comes."""
        self.highs.changeColsCost(self.size, self.columns, objective)
        if self.integer:
            self.highs.setOptionValue("time_limit", float(max(seconds, 0.01)))
            self.highs.setOptionValue("mip_abs_gap", gap)
            if start is not None:
                import highspy

                solution = highspy.HighsSolution()
                solution.col_value = start.tolist()
                solution.value_valid = True
                self.highs.setSolution(solution)
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
            # A linear optimum reached at whole numbers is the integer optimum as well.
            x = np.asarray(self.highs.getSolution().col_value)
            return info.objective_function_value, bool(np.all(np.abs(x - np.round(x)) < 1e-6))
        if self.integer and status == self.status.kTimeLimit:
            return info.mip_dual_bound, False
        raise DisclosureError(  # pragma: no cover - other limits are not set
            f"the joint check could not finish ({self.highs.modelStatusToString(status)})"
        )

    def whole_solution(self) -> np.ndarray | None:
        """The whole-number counts of the last integer solve's best solution, or ``None``
        when it found none. HiGHS holds constraints to a tolerance, so the rounded counts are
        checked against every figure again and kept only if each holds exactly (to 1e-9)."""
        import highspy

        if self.highs.getInfo().primal_solution_status != highspy.kSolutionStatusFeasible:
            return None
        x = np.round(np.asarray(self.highs.getSolution().col_value))
        return x if self.model.fits(x) else None


#: Whole-number solves in a row that settle no target before :func:`push_apart` stops.
STALLED_PUSHES = 3


def push_apart(
    mip: Highs,
    rows: list[np.ndarray | None],
    pending: Sequence[int],
    pool: SolutionPool,
    k: int,
    *,
    deadline: float,
    seconds: float,
    stalls: int = STALLED_PUSHES,
    seed: int = 0,
) -> tuple[int, list[int]]:
    """Settle many targets at once: whole-number solves whose objective pushes every
    unsettled target up or down together (signs drawn at random from ``seed``), each
    solution added to ``pool``; stops when every target is settled or ``stalls`` solves in
    a row settle none. Returns the number of solves and the targets left.

    A push needs a set of counts that fits, not the best push: each solve stops within one
    count a target of the best (``gap``), which on the second synthetic year's pooled year
    (seed 2123) took its 150 pushes from 54 s to 38 s. Protection attacks the same packs
    round after round, hiding a little more each time, and the targets the pushes could not
    settle are mostly left again: their pushes settled none in 20 s of that pack's 44 s of
    pushes, so :func:`joint_attack` then allows one push, with new signs.

    One solve per target side costs about 0.25 s on the year of ``benchmarks/year.py``
    (the solve is at the root node: presolve and root LP dominate, whatever the
    objective), and a side pushed alone moves only its own target. A sum of ``±target``
    over all of them ends at a point where most targets sit near one end of their range,
    so a handful of such solves puts nearly all of them ``k`` apart: on a year pack with
    its 9 earlier releases, of 560 targets the linear step would leave open, 13 solves in
    5 s settled all but 3 (which then get their own solves), against 30 s for 240 solves
    one target at a time. Random signs did better there than signs chosen from the points
    seen (which pushed the same targets the same way again). Whatever the signs, a settled target is
    one whole-number solutions put ``k`` apart, so the answer does not depend on them.
    """
    rng = np.random.default_rng(seed)
    left = [i for i in pending if pool.width(i) < k]
    solves = stalled = 0
    while left and stalled < stalls:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            break
        signs = rng.choice((-1.0, 1.0), size=len(left))
        objective = np.zeros(mip.size)
        for sign, i in zip(signs, left):
            row = rows[i]
            assert row is not None  # pending holds only targets in the model
            objective += sign * row
        mip.minimum(
            objective, min(seconds, remaining), gap=float(len(left)), start=pool.best(objective)
        )
        pool.add(mip.whole_solution())
        solves += 1
        still = [i for i in left if pool.width(i) < k]
        stalled = stalled + 1 if len(still) == len(left) else 0
        left = still
    return solves, left


class SolutionPool:
    """Whole-number solutions found so far, as the values each pending target takes in them.

    Every integer solve ends at a set of whole counts that fits every figure of every pack;
    each such set is a point of every target's integer range, not only of the one solved
    for. Once the solutions seen give a target values ``k`` or more apart, its range holds
    at least ``k + 1`` whole numbers and it cannot be exposed (:func:`exposed`), so its own
    solves are skipped: the same answer to the question asked, for a fraction of the
    solves (on the year of ``benchmarks/year.py``, see ``benchmarks/joint_attack.md``).
    """

    def __init__(self, rows: list[np.ndarray | None], size: int) -> None:
        """``rows``: each target's objective row over ``size`` counts (``None``: a target
        outside the model, which a zero row keeps at width 0, never settled here), kept
        sparse: a solution is one product."""
        from scipy import sparse

        # Built from the rows' non-zeros at once: a sparse matrix a row, stacked, was 9 s of
        # the benchmark year's 156 s of protection (72,000 rows).
        kept = [(i, np.flatnonzero(r), r) for i, r in enumerate(rows) if r is not None]
        at = [np.full(len(nz), i) for i, nz, _ in kept]
        columns = [nz for _, nz, _ in kept]
        values = [r[nz] for _, nz, r in kept]
        self.matrix = sparse.csr_matrix(
            (
                np.concatenate(values) if values else np.zeros(0),
                (
                    np.concatenate(at) if at else np.zeros(0, dtype=np.int64),
                    np.concatenate(columns) if columns else np.zeros(0, dtype=np.int64),
                ),
            ),
            shape=(len(rows), size),
        )
        self.low = np.full(len(rows), math.inf)
        self.high = np.full(len(rows), -math.inf)
        self.points: list[np.ndarray] = []
        self._stacked: np.ndarray | None = None  # the points as rows, made when asked

    def add(self, solution: np.ndarray | None) -> None:
        if solution is None:
            return
        self.points.append(solution)
        self._stacked = None
        if not self.matrix.shape[0]:
            return
        values = self.matrix @ solution
        np.minimum(self.low, values, out=self.low)
        np.maximum(self.high, values, out=self.high)

    def best(self, objective: np.ndarray) -> np.ndarray | None:
        """The solution seen with the least ``objective · x`` (``None`` before any): a
        whole-number solve's start. With the pushes started there, the second synthetic
        year's Eastmere year took 46 s where it took 86 s, and the benchmark year's
        Eastmere year 21 s against 26 s, hiding the same counts."""
        if not self.points:
            return None
        if self._stacked is None:
            self._stacked = np.vstack(self.points)
        return self._stacked[int(np.argmin(self._stacked @ objective))]

    def width(self, i: int) -> float:
        """How far apart the solutions seen put target ``i`` (``-inf`` before any)."""
        return float(self.high[i] - self.low[i])
