"""How far two auditors agree, question by question: Cohen's kappa and Gwet's AC1.

Moderation (:mod:`audit.intake.pooling`) gives, for each case audited twice, the two auditors'
answers to each question. For one question the answers form a ``q × q`` table (first
auditor's answer by row, second's by column, over the question's ``q`` answers on the
form: Yes, No and Not known for a measure; the codes for a coded field). From that table:

* **percent agreement** ``pa``: the share of cases the two answered the same way;
* **Cohen's kappa** (Cohen 1960): ``(pa - pe) / (1 - pe)`` with ``pe`` the agreement the
  two auditors' own answer rates would give by chance (``Σ p_k+ p_+k``). It is not
  defined when both auditors gave one same answer to every case (``pe = 1``), and it
  misleads when nearly every answer is the same: two auditors who agree on 9 cases out
  of 10 can have a kappa near zero (the "kappa paradox", Feinstein & Cicchetti 1990);
* **Gwet's AC1** (Gwet 2008): the same form with ``pe = Σ π_k (1 - π_k) / (q - 1)``,
  ``π_k`` the two auditors' mean share answering ``k``; it stays close to ``pa`` when
  answers are lopsided, which is why the weak-agreement flag reads it.

Standard errors are the linearised variances of Gwet (2014, *Handbook of Inter-Rater
Reliability*, 4th ed., ch. 5) for two raters, as R's ``irrCAC`` computes them
(``kappa2.table``, ``gwet.ac1.table``); for kappa it is Fleiss, Cohen & Everitt's (1969)
large-sample variance. Intervals are, as ``irrCAC``'s, coefficient ± t(n - 1) × SE, the
upper end at most 1 (and the lower at least -1). ``tests/reference`` checks every value
against ``irrCAC``'s published output for its ``cont3x3abstractors`` example.

**Weak agreement** (:data:`WEAK_BELOW`): AC1 below 0.61, that is "moderate" or lower on
Landis & Koch's (1977) scale (0.41-0.60 moderate, 0.61-0.80 substantial, 0.81-1 almost
perfect), applied to AC1 as Gwet (2014, ch. 6) benchmarks any coefficient on it. With
10 moderated cases the intervals are wide: the flag says where to look, not a verdict.

Everything here is for analysts and the board: counts of cases, never a case's answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from audit.errors import ParameterError

__all__ = [
    "AGREEMENT_COLUMNS",
    "Coefficient",
    "LANDIS_KOCH",
    "PAIR_COLUMNS",
    "WEAK_BELOW",
    "agreement_table",
    "cohen_kappa",
    "contingency",
    "gwet_ac1",
    "percent_agreement",
    "strength",
]

#: AC1 below this is flagged as weak agreement (module doc: Landis & Koch's "substantial").
WEAK_BELOW = 0.61
#: Landis & Koch's (1977) bands: (lowest value, name), highest first.
LANDIS_KOCH: tuple[tuple[float, str], ...] = (
    (0.81, "almost perfect"),
    (0.61, "substantial"),
    (0.41, "moderate"),
    (0.21, "fair"),
    (0.0, "slight"),
    (-np.inf, "poor"),
)
#: The long table of moderated answers :func:`agreement_table` reads: a row a case and
#: question.
PAIR_COLUMNS: tuple[str, ...] = ("case_id", "question", "first", "second")
#: The columns of :func:`agreement_table`.
AGREEMENT_COLUMNS: tuple[str, ...] = (
    "question",
    "pairs",
    "agreed",
    "agreement",
    "kappa",
    "kappa_low",
    "kappa_high",
    "ac1",
    "ac1_low",
    "ac1_high",
    "strength",
    "weak",
)


@dataclass(frozen=True)
class Coefficient:
    """An agreement coefficient with its standard error and interval (``nan`` where not
    defined: kappa with ``pe = 1``, an interval from fewer than 2 cases)."""

    value: float
    se: float
    low: float
    high: float


def contingency(
    first: Sequence[object], second: Sequence[object], categories: Sequence[object]
) -> np.ndarray:
    """The ``q × q`` table of two auditors' answers (first by row, second by column).

    Raises :class:`~audit.errors.ParameterError` if the two differ in length or an answer
    is not one of ``categories``.
    """
    if len(first) != len(second):
        raise ParameterError("the two auditors' answers must be as many")
    index = {c: i for i, c in enumerate(categories)}
    table = np.zeros((len(categories), len(categories)), dtype=np.int64)
    for a, b in zip(first, second):
        if a not in index or b not in index:
            raise ParameterError("an answer is not one of the question's answers")
        table[index[a], index[b]] += 1
    return table


def _checked(table: np.ndarray | pd.DataFrame) -> np.ndarray:
    counts = np.asarray(table, dtype=float)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] < 2:
        raise ParameterError("an agreement table is square, with at least two answers")
    if (counts < 0).any() or counts.sum() <= 0:
        raise ParameterError("an agreement table holds counts, at least one of them above 0")
    return counts


def _interval(value: float, variance: float, n: float, level: float) -> Coefficient:
    from scipy import stats

    if not 0 < level < 1:
        raise ParameterError("the level must be between 0 and 1, e.g. 0.95")
    se = float(np.sqrt(max(variance, 0.0)))
    if n < 2 or np.isnan(value):
        return Coefficient(value, se, np.nan, np.nan)
    t = float(stats.t.ppf(1 - (1 - level) / 2, n - 1))
    return Coefficient(value, se, max(-1.0, value - t * se), min(1.0, value + t * se))


def percent_agreement(table: np.ndarray | pd.DataFrame, level: float = 0.95) -> Coefficient:
    """The share of cases answered the same way, with ``irrCAC``'s ``pa2.table`` interval."""
    p = _checked(table)
    n = p.sum()
    p = p / n
    pa = float(np.trace(p))
    return _interval(pa, (pa - pa**2) / n, n, level)


def cohen_kappa(table: np.ndarray | pd.DataFrame, level: float = 0.95) -> Coefficient:
    """Cohen's (1960) kappa of a two-auditor table, its SE (Fleiss, Cohen & Everitt 1969;
    Gwet 2014) and t interval (module doc); ``nan`` when ``pe = 1``."""
    counts = _checked(table)
    n = counts.sum()
    p = counts / n
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    pa = float(np.trace(p))
    pe = float(rows @ cols)
    if pe >= 1 - 1e-12:
        return Coefficient(np.nan, np.nan, np.nan, np.nan)
    kappa = (pa - pe) / (1 - pe)
    q = len(p)
    identity = np.eye(q)
    # cell (k, l): (w_kl - (1 - kappa)(p_+k + p_l+))^2, with w the identity
    spread = identity - (1 - kappa) * (cols[:, None] + rows[None, :])
    total = float((p * spread**2).sum())
    variance = (total - (pa - 2 * (1 - kappa) * pe) ** 2) / (n * (1 - pe) ** 2)
    return _interval(kappa, variance, n, level)


def gwet_ac1(table: np.ndarray | pd.DataFrame, level: float = 0.95) -> Coefficient:
    """Gwet's (2008) AC1 of a two-auditor table over its ``q`` answers, its SE (Gwet 2014)
    and t interval (module doc)."""
    counts = _checked(table)
    n = counts.sum()
    p = counts / n
    q = len(p)
    pi = (p.sum(axis=1) + p.sum(axis=0)) / 2
    pa = float(np.trace(p))
    pe = float((pi * (1 - pi)).sum() / (q - 1))
    ac1 = (pa - pe) / (1 - pe)
    identity = np.eye(q)
    spread = identity - 2 * (1 - ac1) * (1 - (pi[:, None] + pi[None, :]) / 2) / (q - 1)
    total = float((p * spread**2).sum())
    variance = (total - (pa - 2 * (1 - ac1) * pe) ** 2) / (n * (1 - pe) ** 2)
    return _interval(ac1, variance, n, level)


def strength(value: float) -> str:
    """The Landis & Koch (1977) band of a coefficient (``"not defined"`` for ``nan``)."""
    if value is None or np.isnan(value):
        return "not defined"
    return next(name for low, name in LANDIS_KOCH if value >= low)


def agreement_table(
    pairs: pd.DataFrame, categories: Mapping[str, Sequence[object]], level: float = 0.95
) -> pd.DataFrame:
    """Per question: cases compared, answered alike, percent agreement, kappa and AC1 with
    their intervals, Landis & Koch's band of AC1 and the weak flag (module doc).

    ``pairs`` has :data:`PAIR_COLUMNS` (a row a moderated case and question);
    ``categories`` gives each question's answers on the form, in the order the table
    lists the questions. A question nobody answered twice is left out.
    """
    missing = [c for c in PAIR_COLUMNS if c not in pairs.columns]
    if missing:
        raise ParameterError(f"the moderated answers lack {', '.join(missing)}")
    rows = []
    for question, answers in categories.items():
        held = pairs[pairs["question"] == question]
        if held.empty:
            continue
        table = contingency(held["first"].tolist(), held["second"].tolist(), list(answers))
        kappa, ac1 = cohen_kappa(table, level), gwet_ac1(table, level)
        rows.append(
            {
                "question": question,
                "pairs": int(table.sum()),
                "agreed": int(np.trace(table)),
                "agreement": float(np.trace(table) / table.sum()),
                "kappa": kappa.value,
                "kappa_low": kappa.low,
                "kappa_high": kappa.high,
                "ac1": ac1.value,
                "ac1_low": ac1.low,
                "ac1_high": ac1.high,
                "strength": strength(ac1.value),
                "weak": bool(ac1.value < WEAK_BELOW),
            }
        )
    return pd.DataFrame(rows, columns=list(AGREEMENT_COLUMNS))
