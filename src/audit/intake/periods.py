"""Calendar quarters and the selection of a period or a partnership from a cases frame.

Quarters are calendar quarters of ``notification_date`` (Q1 = January to March), labelled
``"2025-Q3"``. Moved out of :mod:`audit.measures.metrics` (which re-exports the public names) to
keep that module to a readable size.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "quarter_index",
    "distinct_quarters",
    "quarter_labels",
    "quarter_label",
    "add_quarter",
    "in_period",
    "select_period",
    "period_end",
    "unfinished_words",
    "select_partnership",
]


def quarter_index(dates: pd.Series) -> npt.NDArray[np.float64]:
    """year * 4 + quarter - 1 (float, NaN for a missing date).

    Plain (time-zone-free) datetimes are counted in months since 1970 with numpy, without
    building pandas' date fields for every row.
    """
    d = pd.to_datetime(dates)
    if isinstance(d, pd.Series) and d.dtype.kind == "M" and getattr(d.dtype, "tz", None) is None:
        stamps = d.to_numpy()
        months = stamps.astype("datetime64[M]").astype(np.int64)
        index = ((months // 12 + 1970) * 4 + (months % 12) // 3).astype("float64")
        index[np.isnat(stamps)] = np.nan
        return index
    year = d.dt.year.to_numpy(dtype="float64", na_value=np.nan)
    quarter = d.dt.quarter.to_numpy(dtype="float64", na_value=np.nan)
    return year * 4 + quarter - 1


def distinct_quarters(
    index: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.intp]]:
    """``np.unique(index, return_inverse=True)`` for quarter indices, by counting.

    Quarters span a few dozen values, so a ``bincount`` over the span finds them in one
    pass instead of sorting a million rows.
    """
    q = np.asarray(index, dtype=np.int64).ravel()
    if not len(q):
        return np.array([], dtype=np.int64), np.array([], dtype=np.intp)
    first = int(q.min())
    span = int(q.max()) - first + 1
    if span > 4 * len(q) + 1_000:  # far-apart quarters: sorting is cheaper
        uniques, inverse = np.unique(q, return_inverse=True)
        return uniques, np.asarray(inverse).ravel()
    present = np.bincount(q - first, minlength=span) > 0
    rank = np.cumsum(present) - 1
    return np.flatnonzero(present) + first, rank[q - first]


def _labels(uniques: npt.NDArray[np.int64]) -> list[str]:
    return [f"{y:04d}-Q{n}" for y, n in zip((uniques // 4).tolist(), (uniques % 4 + 1).tolist())]


def quarter_labels(index: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """Labels for quarter indices; formats each distinct quarter once (no per-row loop)."""
    q = np.asarray(index, dtype=np.int64).ravel()
    uniques, inverse = distinct_quarters(q)
    text = np.array(_labels(uniques), dtype=object)
    return text[inverse] if len(q) else np.array([], dtype=object)


def quarter_label(dates: Any) -> Any:
    """Calendar-quarter label ``"YYYY-Qn"`` (2025-03-31 -> ``"2025-Q1"``,
    2025-04-01 -> ``"2025-Q2"``).

    A scalar date gives a ``str``; a Series, Index, array or list gives a ``Series`` of labels
    (named ``quarter``, on the Series' index), a missing date giving a missing label.
    """
    if isinstance(dates, (pd.Series, pd.Index, np.ndarray, list, tuple)):
        series = (
            dates if isinstance(dates, pd.Series) else pd.Series(np.asarray(dates, dtype=object))
        )
        q = quarter_index(series)
        ok = ~np.isnan(q)
        uniques, inverse = distinct_quarters(q[ok].astype(np.int64))
        codes = np.full(len(q), -1, dtype=np.intp)
        codes[ok] = inverse
        categories = pd.Index(_labels(uniques), dtype="str")
        labels = pd.Categorical.from_codes(codes, categories=categories)
        return pd.Series(labels, index=series.index, name="quarter").astype("str")
    if pd.api.types.is_scalar(dates) and pd.isna(dates):
        raise ValueError("quarter_label needs a date; got a missing value")
    stamp = pd.Timestamp(dates)
    return f"{stamp.year:04d}-Q{stamp.quarter}"


def add_quarter(cases: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``cases`` with a ``quarter`` column (``"2025-Q3"``) from ``notification_date``."""
    if "notification_date" not in cases.columns:
        raise ValueError("the cases frame has no notification_date column")
    out = cases.copy()
    out["quarter"] = quarter_label(out["notification_date"])
    return out


_QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR_RE = re.compile(r"^(\d{4})$")


def in_period(cases: pd.DataFrame, label: str | None) -> npt.NDArray[np.bool_]:
    """True for each case notified in a period: ``"2025-Q3"`` (calendar quarter), ``"2025"``
    (calendar year), or ``"all"``/``None`` (every case). ``ValueError`` for a malformed
    label."""
    if label is None or (isinstance(label, str) and label.strip().lower() == "all"):
        return np.ones(len(cases), dtype=bool)
    if not isinstance(label, str):
        raise ValueError(f"period must be text like '2025-Q3', '2025' or 'all'; got {label!r}")
    text = label.strip().upper()
    if "notification_date" not in cases.columns:
        raise ValueError("the cases frame has no notification_date column")
    q = quarter_index(cases["notification_date"])
    if m := _QUARTER_RE.match(text):
        return np.asarray(q == int(m.group(1)) * 4 + int(m.group(2)) - 1, dtype=bool)
    if m := _YEAR_RE.match(text):
        return np.asarray(np.floor(q / 4) == int(m.group(1)), dtype=bool)
    raise ValueError(
        f"period {label!r} is not understood: use a calendar quarter like '2025-Q3', "
        "a calendar year like '2025', or 'all'"
    )


def period_end(label: str | None) -> date | None:
    """The last day of a period label: ``"2026-Q4"`` ends on 31 December 2026, ``"2025"``
    on 31 December 2025; ``None`` for ``"all"``, ``None`` or a label :func:`in_period` does
    not understand (it refuses those itself)."""
    text = label.strip().upper() if isinstance(label, str) else ""
    if m := _QUARTER_RE.match(text):
        year, quarter = int(m.group(1)), int(m.group(2))
        following = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
        return following - timedelta(days=1)
    if m := _YEAR_RE.match(text):
        return date(int(m.group(1)), 12, 31)
    return None


def unfinished_words(label: str | None, today: date) -> str:
    """A sentence when the period had not ended on ``today`` ("" otherwise): its figures
    will change as cases later in it are audited (a new analyst recorded 2026-Q4 on
    7 December 2026 with no word of it)."""
    end = period_end(label)
    if end is None or today > end:
        return ""
    return (
        f"{str(label).strip().upper()} had not ended when this was made ({_day(today)}; it "
        f"ends {_day(end)}): cases notified or audited later in it will change its figures."
    )


def _day(when: date) -> str:
    return f"{when.day} {when:%B %Y}"


def select_period(cases: pd.DataFrame, label: str | None) -> pd.DataFrame:
    """Cases notified in a period (:func:`in_period`). The result may be empty (a period
    with no notifications is a true zero). ``ValueError`` for a malformed label."""
    if label is None or (isinstance(label, str) and label.strip().lower() == "all"):
        return cases
    return cases.loc[in_period(cases, label)]


def select_partnership(cases: pd.DataFrame, name: str) -> pd.DataFrame:
    """Cases of one partnership (exact name, else the one spelt the same but for case,
    spaces and punctuation: :func:`audit.intake.names.partnership_key`).

    ``ValueError`` if the frame has no ``partnership`` column or the name is not in it
    (the message lists the partnerships available).
    """
    if "partnership" not in cases.columns:
        raise ValueError(
            "this extract has no partnership column, so cannot be split by partnership"
        )
    if not isinstance(name, str) or not name.strip():
        raise ValueError("partnership name must be non-empty text")
    column = cases["partnership"]
    available = sorted({str(v) for v in column.dropna().unique()})
    if name in available:
        return cases.loc[(column == name).to_numpy()]
    from audit.intake.names import partnership_key

    folded = [p for p in available if partnership_key(p) == partnership_key(name)]
    if len(folded) == 1:
        return cases.loc[(column == folded[0]).to_numpy()]
    listing = ", ".join(repr(p) for p in available) or "none"
    raise ValueError(f"no partnership named {name!r} in this extract; available: {listing}")
