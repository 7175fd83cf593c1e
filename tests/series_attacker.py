"""An outsider who reads a published series in whole numbers, written apart from the tool
(issue 22).

It reads only the ``figures.csv`` of each published pack — every figure the pack prints,
with the sums of cases each adds up — and, **without importing** :mod:`audit`, builds its
own integer model of the cases behind them all and bounds every hidden count:

* one unknown a cell: cases of one category of one measure ("family") in one partnership
  and one quarter, a whole number from 0;
* for each measure, its categories add up to the number of cases of that partnership and
  quarter (every case has exactly one answer);
* a printed count is its sum of cells exactly; a hidden one (``c``) is at least 1, since a
  true zero is always printed;
* a printed rate lies between the ``low`` and ``high`` that ``figures.csv`` records (the
  range its printed digits allow), with a denominator of at least 1.

Each hidden count gets its least and greatest whole value (two integer solves). It is
*exposed* by the tool's own bar (``audit.disclosure.attack.exposed``, restated here): its
range is narrower than ``k`` (``high - low < k``, so 1..5 is exposed at ``k = 5``) and
reaches into 1..``k``. That is stricter than issue 22's "fewer than 5 values", and the
outsider asks it of every hidden count, not knowing which are truly 1 to ``k``.

What it leaves out, said so: the tables over patterns of risk factors (the risk-factor
pairs and bands, family ``risk_pattern``), whose 2^10 patterns a partnership-quarter are
too many for a model of plain cells; their hidden counts are not attacked here and their
figures do not constrain the others. The tool's own check models them (by blocks).

The solver is scipy's :func:`scipy.optimize.milp` (HiGHS compiled into SciPy), a different
interface and model from the tool's ``highspy`` one.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix

__all__ = ["HiddenRange", "attack_series", "exposed"]

#: The family whose categories are risk-factor patterns: not modelled (module docstring).
PATTERNS = "risk_pattern"
#: Seconds a single solve may take: one that runs out fails the test, never passes it.
TIME_LIMIT = 60.0

#: A count this large is no count of cases in an audit: the figures set no upper end.
_CAP = 1_000_000

Cell = tuple[str, str, str, str]  # family, category, partnership, quarter


@dataclass(frozen=True)
class HiddenRange:
    """One hidden count of one pack: where it is printed and the whole numbers it can be."""

    pack: str
    table: str
    row: str
    column: str
    low: int
    #: ``None`` when the figures set no upper end
    high: int | None
    #: ``False``: the least and greatest values seen in solutions found for other counts,
    #: already ``k`` or more apart (the true range is at least as wide)
    exact: bool = True

    @property
    def where(self) -> str:
        return f"{self.pack}: {self.table} {self.row} {self.column}"


def _cells(terms: list) -> list[Cell]:
    """Every cell a sum of terms adds up (JSON ``[[family, [categories], [partnerships],
    [quarters]], ...]``)."""
    out: list[Cell] = []
    for family, categories, partnerships, quarters in terms:
        out += [(family, c, p, q) for c in categories for p in partnerships for q in quarters]
    return out


def _rows(folder: Path) -> list[dict[str, str]]:
    text = (folder / "figures.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines))


def attack_series(folders: Iterable[str | Path], k: int = 5, *,
                  exact: bool = False) -> list[HiddenRange]:
    """Every hidden count (outside the risk-factor pattern tables) of the packs in
    ``folders``, bounded in whole numbers over all of their figures together.

    Every solve's solution fits every figure, so a count two earlier solutions already put
    ``k`` or more apart is not narrowed and is not solved for (its range is then the values
    seen, ``exact=False``); ``exact=True`` solves every count's least and greatest value."""
    packs = [(Path(f).name, _rows(Path(f))) for f in folders]
    families: dict[str, list[str]] = {}
    scopes: set[tuple[str, str]] = set()
    for _, rows in packs:
        for row in rows:
            if row["kind"] == "family" and row["row"] != PATTERNS:
                families[row["row"]] = json.loads(row["terms"])
            elif row["kind"] == "pack":
                partnerships, quarters = json.loads(row["terms"])
                scopes |= set(itertools.product(partnerships, quarters))
            for column in ("terms", "denominator_terms"):  # a trend reaches other quarters
                if row["kind"] in ("count", "rate") and row[column]:
                    for _, _, partnerships, quarters in json.loads(row[column]):
                        scopes |= set(itertools.product(partnerships, quarters))
    index: dict[Cell, int] = {}
    for family, categories in families.items():
        for category, (p, q) in itertools.product(categories, sorted(scopes)):
            index[(family, category, p, q)] = len(index)

    def vector(terms_json: str) -> dict[int, float] | None:
        terms = json.loads(terms_json)
        if any(t[0] == PATTERNS for t in terms):
            return None
        out: dict[int, float] = {}
        for cell in _cells(terms):
            out[index[cell]] = out.get(index[cell], 0.0) + 1.0
        return out

    rows_a: list[dict[int, float]] = []
    lower: list[float] = []
    upper: list[float] = []

    def add(coefficients: dict[int, float], lo: float, hi: float) -> None:
        rows_a.append(coefficients)
        lower.append(lo)
        upper.append(hi)

    # every case has exactly one answer to each measure
    for p, q in sorted(scopes):
        total = index[("cases", "all", p, q)]
        for family, categories in families.items():
            if family != "cases":
                coefficients = {index[(family, c, p, q)]: 1.0 for c in categories}
                coefficients[total] = -1.0
                add(coefficients, 0.0, 0.0)
    targets: list[tuple[str, dict[str, str], dict[int, float]]] = []
    for name, rows in packs:
        for row in rows:
            if row["kind"] == "count":
                sums = vector(row["terms"])
                if sums is None:
                    continue
                if row["value"] == "":
                    continue  # not printed
                if row["value"] == "c":
                    add(sums, 1.0, np.inf)
                    targets.append((name, row, sums))
                else:
                    value = float(row["value"])
                    add(sums, value, value)
            elif row["kind"] == "rate":
                top, bottom = vector(row["terms"]), vector(row["denominator_terms"])
                if top is None or bottom is None:
                    continue
                low, high = float(row["low"]), float(row["high"])
                # top - high * bottom <= 0 and top - low * bottom >= 0, bottom >= 1
                for rate, (lo, hi) in ((high, (-np.inf, 0.0)), (low, (0.0, np.inf))):
                    coefficients = dict(top)
                    for i, v in bottom.items():
                        coefficients[i] = coefficients.get(i, 0.0) - rate * v
                    add(coefficients, lo, hi)
                add(bottom, 1.0, np.inf)
    matrix = lil_matrix((len(rows_a), len(index)))
    for r, coefficients in enumerate(rows_a):
        for i, v in coefficients.items():
            matrix[r, i] = v
    base = LinearConstraint(matrix.tocsr(), np.array(lower), np.array(upper))
    n = len(index)
    integral, bounds = np.ones(n), Bounds(np.zeros(n), np.full(n, np.inf))
    options = {"time_limit": TIME_LIMIT, "presolve": True}

    out: list[HiddenRange] = []
    found: list[np.ndarray] = []  # whole-number solutions: each fits every figure
    for name, row, sums in targets:
        objective = np.zeros(n)
        for i, v in sums.items():
            objective[i] = v
        if found and not exact:
            values = np.stack(found) @ objective
            low, high = round(values.min()), round(values.max())
            if high - low >= k:  # two solutions k apart: not narrowed
                out.append(HiddenRange(name, row["table"], row["row"], row["column"], low,
                                       high, exact=False))
                continue
        # the greatest value is sought below a cap: a count the figures leave without an
        # upper end reaches the cap (HiGHS reports unbounded and infeasible alike otherwise)
        capped = LinearConstraint(objective, -np.inf, _CAP)
        ends = []
        for sign in (1.0, -1.0):  # the least value, then the greatest
            solved = milp(sign * objective, constraints=[base, capped], integrality=integral,
                          bounds=bounds, options=options)
            if solved.status != 0:
                raise AssertionError(f"{name}: {row['table']} {row['row']} {row['column']}: "
                                     f"not solved ({solved.message})")
            found.append(np.round(solved.x))
            value = round(sign * solved.fun)
            ends.append(None if value >= _CAP else value)
        out.append(HiddenRange(name, row["table"], row["row"], row["column"], *ends))
    return out


def exposed(ranges: Sequence[HiddenRange], k: int = 5) -> list[str]:
    """The hidden counts whose range is narrower than ``k`` and reaches into 1..``k``
    (named, for an assertion message)."""
    return [f"{r.where}: {r.low}..{r.high}" for r in ranges
            if r.exact and r.high is not None and r.high - r.low < k and r.high >= 1
            and r.low <= k]
