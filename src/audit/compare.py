"""Local rates against the national reference: Fisher exact tests and plain-English verdicts.

The test is the two-sided Fisher exact test (Fisher 1922; ``scipy.stats.fisher_exact``) on
the 2x2 table ``[[local yes, local no], [national yes, national no]]``, as the contract
specifies. It is exact at any sample size, which matters because a partnership's quarter
often holds only a handful of cases.

Verdict rule (``verdict``/``verdicts``), applied in this order:

1. no national figure published             -> "no national figure to compare with"
2. local denominator below ``min_denominator`` (default 10), or missing
                                             -> "too few cases to tell"
3. p-value below ``alpha`` (default 0.05)    -> "higher than nationally" / "lower than nationally"
4. otherwise                                 -> "no evidence of a difference from the national figure"

Why 10: with fewer than ten cases with a known answer the 95% Wilson interval of a rate is
wider than about 50 percentage points, and the Fisher test against 92 national cases has
little power, so "no evidence of a difference" would mislead a board into reading
absence of evidence as reassurance. ``alpha`` may be made stricter (e.g. 0.002 for a 99.8%
standard) but never looser than 0.05, so no difference is ever called at p >= 0.05.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import fisher_exact

from audit.national import NATIONAL_REFERENCE

__all__ = [
    "VERDICT_HIGHER",
    "VERDICT_LOWER",
    "VERDICT_NO_DIFFERENCE",
    "VERDICT_TOO_FEW",
    "VERDICT_NO_NATIONAL",
    "VERDICTS",
    "MIN_DENOMINATOR",
    "fisher_p_values",
    "add_national",
    "verdict",
    "verdicts",
]

VERDICT_HIGHER = "higher than nationally"
VERDICT_LOWER = "lower than nationally"
VERDICT_NO_DIFFERENCE = "no evidence of a difference from the national figure"
VERDICT_TOO_FEW = "too few cases to tell"
VERDICT_NO_NATIONAL = "no national figure to compare with"
VERDICTS: tuple[str, ...] = (
    VERDICT_HIGHER,
    VERDICT_LOWER,
    VERDICT_NO_DIFFERENCE,
    VERDICT_TOO_FEW,
    VERDICT_NO_NATIONAL,
)

#: Below this many cases with a known answer, no verdict is given (see module docstring).
MIN_DENOMINATOR = 10


def _as_float_array(values: Any, name: str) -> npt.NDArray[np.float64]:
    try:
        arr = pd.to_numeric(pd.Series(np.atleast_1d(np.asarray(values, dtype=object)).ravel()),
                            errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    except (TypeError, ValueError) as exc:  # pragma: no cover - to_numeric coerces
        raise ValueError(f"{name} must be numeric") from exc
    return arr


def fisher_p_values(
    numerator: npt.ArrayLike,
    denominator: npt.ArrayLike,
    national_numerator: npt.ArrayLike,
    national_denominator: npt.ArrayLike,
) -> npt.NDArray[np.float64]:
    """Two-sided Fisher exact p-values, element by element (Fisher 1922; scipy ``fisher_exact``).

    Each p-value tests ``[[num, den - num], [nat_num, nat_den - nat_num]]``. The result is NaN
    where any input is missing or either denominator is 0. Counts must be whole numbers with
    ``0 <= numerator <= denominator``, else ``ValueError``. Identical 2x2 tables are tested
    once, so a long breakdown table costs one scipy call per distinct table.
    """
    a = _as_float_array(numerator, "numerator")
    n = _as_float_array(denominator, "denominator")
    c = _as_float_array(national_numerator, "national_numerator")
    m = _as_float_array(national_denominator, "national_denominator")
    if not (a.shape == n.shape == c.shape == m.shape):
        raise ValueError("numerator, denominator and the national counts must have the same length")
    out = np.full(a.shape, np.nan)
    ok = ~(np.isnan(a) | np.isnan(n) | np.isnan(c) | np.isnan(m))
    stacked = np.stack([a, n, c, m], axis=1)[ok]
    if stacked.size:
        if (stacked != np.round(stacked)).any():
            raise ValueError("counts for the Fisher test must be whole numbers")
        if (stacked < 0).any() or (stacked[:, 0] > stacked[:, 1]).any() or (stacked[:, 2] > stacked[:, 3]).any():
            raise ValueError("counts for the Fisher test must satisfy 0 <= numerator <= denominator")
    ok &= (n > 0) & (m > 0)
    if not ok.any():
        return out
    tables = np.stack([a[ok], n[ok] - a[ok], c[ok], m[ok] - c[ok]], axis=1).astype(np.int64)
    unique, inverse = np.unique(tables, axis=0, return_inverse=True)
    p_unique = np.array(
        [fisher_exact([[t[0], t[1]], [t[2], t[3]]], alternative="two-sided").pvalue for t in unique],
        dtype="float64",
    )
    out[ok] = np.clip(p_unique[np.asarray(inverse).ravel()], 0.0, 1.0)
    return out


def add_national(
    table: pd.DataFrame,
    reference: Mapping[str, tuple[int, int]] | None = None,
) -> pd.DataFrame:
    """Return a copy of a metrics table with the national columns and Fisher p-values filled.

    Fills ``national_numerator``/``national_denominator`` (nullable ``Int64``),
    ``national_rate`` (fraction) and ``p_value`` (two-sided Fisher exact). They stay empty
    where the review published no figure for the metric or the local denominator is 0.
    ``reference`` maps metric id -> (numerator, denominator); default ``NATIONAL_REFERENCE``.
    """
    missing = [c for c in ("metric", "numerator", "denominator") if c not in table.columns]
    if missing:
        raise ValueError(f"metrics table lacks column(s): {', '.join(missing)}")
    ref = NATIONAL_REFERENCE if reference is None else reference
    out = table.copy()
    metrics = out["metric"].astype(str)
    nat_num = metrics.map(lambda m: ref[m][0] if m in ref else np.nan)
    nat_den = metrics.map(lambda m: ref[m][1] if m in ref else np.nan)
    out["national_numerator"] = pd.array(nat_num.to_numpy(dtype="float64"), dtype="Int64")
    out["national_denominator"] = pd.array(nat_den.to_numpy(dtype="float64"), dtype="Int64")
    nn = nat_num.to_numpy(dtype="float64")
    nd = nat_den.to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["national_rate"] = np.where(nd > 0, nn / nd, np.nan)
    out["p_value"] = fisher_p_values(out["numerator"], out["denominator"], nn, nd)
    return out


def _check_alpha(alpha: float) -> None:
    if not (0.0 < float(alpha) <= 0.05):
        raise ValueError(
            f"alpha must be in (0, 0.05]; got {alpha!r} (a difference is never called on "
            "evidence weaker than p < 0.05)"
        )


def _check_min_denominator(min_denominator: int) -> None:
    if int(min_denominator) != min_denominator or min_denominator < 1:
        raise ValueError(f"min_denominator must be a positive whole number; got {min_denominator!r}")


def _num(row: Mapping[str, Any] | pd.Series, key: str) -> float:
    try:
        value = row[key]
    except (KeyError, IndexError):
        raise ValueError(f"verdict needs a {key!r} value") from None
    converted = pd.to_numeric(pd.Series([value], dtype=object), errors="coerce").iloc[0]
    return float("nan") if pd.isna(converted) else float(converted)


def verdict(
    row: Mapping[str, Any] | pd.Series,
    alpha: float = 0.05,
    *,
    min_denominator: int = MIN_DENOMINATOR,
) -> str:
    """Plain-English verdict for one metric row (keys ``denominator``, ``rate``,
    ``national_rate``, ``p_value``). Rule: see the module docstring; one of ``VERDICTS``.

    Non-numeric cells (e.g. a suppressed ``"c"``) count as missing, so take verdicts from the
    unsuppressed table.
    """
    _check_alpha(alpha)
    _check_min_denominator(min_denominator)
    frame = pd.DataFrame({key: [_num(row, key)]
                          for key in ("denominator", "rate", "national_rate", "p_value")})
    return str(verdicts(frame, alpha, min_denominator=min_denominator).iloc[0])


def verdicts(
    table: pd.DataFrame,
    alpha: float = 0.05,
    *,
    min_denominator: int = MIN_DENOMINATOR,
) -> pd.Series:
    """Verdicts for every row of a metrics table (vectorised), as a ``Series`` named
    ``verdict`` on the table's index. Rule: see the module docstring."""
    _check_alpha(alpha)
    _check_min_denominator(min_denominator)
    missing = [c for c in ("denominator", "rate", "national_rate", "p_value") if c not in table.columns]
    if missing:
        raise ValueError(f"metrics table lacks column(s): {', '.join(missing)}")

    def col(name: str) -> npt.NDArray[np.float64]:
        return pd.to_numeric(table[name].astype(object), errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan)

    den, rate, nat, p = col("denominator"), col("rate"), col("national_rate"), col("p_value")
    no_national = np.isnan(nat)
    too_few = np.isnan(den) | (den < min_denominator) | np.isnan(p) | np.isnan(rate)
    significant = p < alpha
    result = np.select(
        [no_national, too_few, significant & (rate > nat), significant & (rate < nat)],
        [VERDICT_NO_NATIONAL, VERDICT_TOO_FEW, VERDICT_HIGHER, VERDICT_LOWER],
        default=VERDICT_NO_DIFFERENCE,
    )
    return pd.Series(result, index=table.index, name="verdict", dtype=object)
