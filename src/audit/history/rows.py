"""What the history store accepts: a period, a metrics table's rows and a run's provenance,
each checked before anything is written (:mod:`audit.history` writes them).

Kept apart from the store so each file stays readable: these are pure functions of their
argument, with no database in sight.

Provenance
==========


``record(..., provenance=...)`` takes a mapping:

========================  =============================================================
``input_sha256``          required: SHA-256 of the extract file (64 hex digits)
``input_file``            required: the extract's file name (no folder is stored)
``package_version``       optional: defaults to ``audit.__version__``
``recorded_at``           optional: when the run happened (datetime or ISO 8601 text);
                          defaults to now. Stored as UTC ISO 8601, to the second
``cases``                 optional: in-scope cases in the audit
anything else             kept as JSON text in the ``details`` column
========================  =============================================================
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audit.contract import METRIC_IDS

__all__ = [
    "COUNT_COLUMNS",
    "METRIC_ORDER",
    "RATE_COLUMNS",
    "period_key",
    "check_period",
    "metric_rows",
    "run_provenance",
]

_PERIOD_RE = re.compile(r"^\d{4}(-Q[1-4])?$")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
#: A metric id's place in contract order (the order the store lists metrics in).
METRIC_ORDER = {m: i for i, m in enumerate(METRIC_IDS)}
RATE_COLUMNS = ("rate", "ci_low", "ci_high")
COUNT_COLUMNS = ("numerator", "denominator", "unknown")


def period_key(period: str) -> tuple[int, int]:
    """Chronological order: a year sorts after its four quarters."""
    year = int(period[:4])
    quarter = int(period[-1]) if "-Q" in period else 5
    return year, quarter


def check_period(period: str) -> str:
    """A period as the store keys it (``"2025-Q3"`` or ``"2025"``, upper case); ``ValueError``
    for anything else (``"all"`` included: it has no place on a time axis)."""
    if not isinstance(period, str):
        raise ValueError(f"period must be text like '2025-Q3'; got {period!r}")
    text = period.strip().upper()
    if not _PERIOD_RE.match(text):
        raise ValueError(
            f"period {period!r} cannot be recorded in the history: use a "
            "calendar quarter like '2025-Q3' or a year like '2025'"
        )
    return text


def metric_rows(table: pd.DataFrame) -> list[tuple]:
    """A metrics table's rows as the store writes them (metric, counts, rates), checked:
    ``ValueError`` for a suppressed (``c``) or malformed table or an unknown metric id."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"the metrics table must be a pandas DataFrame, not {type(table).__name__}")
    needed = ("metric", *COUNT_COLUMNS, *RATE_COLUMNS)
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise ValueError(f"the metrics table lacks column(s): {', '.join(missing)}")
    if table.empty:
        raise ValueError("the metrics table is empty: nothing to record")
    metrics = [str(m) for m in table["metric"]]
    unknown_ids = sorted({m for m in metrics if m not in METRIC_ORDER})
    if unknown_ids:
        raise ValueError(f"not metric id(s) of the contract: {', '.join(unknown_ids)}")
    if len(set(metrics)) != len(metrics):
        raise ValueError("a metric appears twice in the metrics table")
    values: dict[str, list] = {}
    for column in (*COUNT_COLUMNS, *RATE_COLUMNS):
        cells = table[column].astype(object).tolist()
        if any(isinstance(v, str) for v in cells):
            raise ValueError(
                f"column {column!r} holds text (a suppressed 'c'?): the history stores the "
                "analyst's unsuppressed metrics table, not the board version"
            )
        numbers = pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
        if column in COUNT_COLUMNS:
            if (
                np.isnan(numbers).any()
                or (numbers < 0).any()
                or (numbers != np.round(numbers)).any()
            ):
                raise ValueError(f"column {column!r} must hold non-negative whole numbers")
            values[column] = [int(v) for v in numbers]
        else:
            values[column] = [None if math.isnan(v) else float(v) for v in numbers]
    if any(n > d for n, d in zip(values["numerator"], values["denominator"])):
        raise ValueError("a numerator exceeds its denominator")
    return [
        (metrics[i], *(values[c][i] for c in (*COUNT_COLUMNS, *RATE_COLUMNS)))
        for i in range(len(metrics))
    ]


def run_provenance(provenance: Mapping[str, Any]) -> dict[str, Any]:
    """A run's provenance as the store writes it (keys: :mod:`audit.history`), checked:
    ``ValueError`` for a missing or malformed SHA-256, file name, time or case count.
    """
    if not isinstance(provenance, Mapping):
        raise ValueError("provenance must be a mapping with input_sha256 and input_file")
    extra = dict(provenance)
    sha = str(extra.pop("input_sha256", "") or "").strip().lower()
    if not _SHA_RE.match(sha):
        raise ValueError(
            "provenance['input_sha256'] must be the extract's SHA-256 (64 hexadecimal digits)"
        )
    name = str(extra.pop("input_file", "") or "").strip()
    if not name:
        raise ValueError("provenance['input_file'] must name the extract file")
    name = Path(name.replace("\\", "/")).name  # never store a folder path
    version = extra.pop("package_version", None)
    if version is None:
        from audit import __version__ as version
    when = extra.pop("recorded_at", None)
    if when is None:
        stamp = datetime.now(UTC)
    else:
        try:
            stamp = pd.Timestamp(when).to_pydatetime()
        except (TypeError, ValueError):
            raise ValueError(
                f"provenance['recorded_at'] is not a date and time: {when!r}"
            ) from None
        stamp = stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
    cases = extra.pop("cases", None)
    if cases is not None:
        if isinstance(cases, bool) or not float(cases).is_integer() or int(cases) < 0:
            raise ValueError("provenance['cases'] must be a whole number of cases")
        cases = int(cases)
    details = json.dumps(extra, sort_keys=True, default=str) if extra else None
    return {
        "input_sha256": sha,
        "input_file": name,
        "package_version": str(version),
        "recorded_at": stamp.replace(microsecond=0).isoformat(),
        "cases": cases,
        "details": details,
    }
