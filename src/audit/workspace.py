"""The data of one audit run, as the notebooks see it.

``audit run`` reads and validates the extract once, saves the validated cases as a Parquet
file with the extract's provenance in its metadata (:func:`save_prepared`), and hands that
path to every notebook. A notebook opened by hand in JupyterLab passes the raw extract
instead; :func:`open_audit` accepts either, so the notebooks' defaults (the bundled sample)
work without the CLI.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from typing import TYPE_CHECKING

from audit.errors import ReadError

if TYPE_CHECKING:  # validation pulls in pandera: imported where it is used
    from audit.validate import CaseExtract

__all__ = [
    "AuditData",
    "open_audit",
    "save_prepared",
    "load_prepared",
    "is_prepared",
    "TREND_METRICS",
    "FUNNEL_METRICS",
]

#: The key metrics followed quarter by quarter (trend and SPC charts).
TREND_METRICS: tuple[str, ...] = ("engagement.seen", "engagement.contacted", "risk.domestic_abuse")
#: The metrics compared across partnerships in funnel plots.
FUNNEL_METRICS: tuple[str, ...] = ("engagement.seen", "engagement.contacted",
                                   "engagement.identified")

_META_KEY = b"audit.extract"


def save_prepared(extract: CaseExtract, path: str | Path) -> Path:
    """Save a validated extract as Parquet, with its provenance in the file's metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    meta = {
        "path": str(extract.path),
        "sha256": extract.sha256,
        "sheet": extract.sheet,
        "rows_read": int(extract.rows_read),
        "ignored_columns": list(extract.ignored_columns),
        "missing_flags": list(extract.missing_flags),
        "excluded": extract.excluded.astype({"row": "int64"}).to_dict(orient="records"),
    }
    table = pa.Table.from_pandas(extract.cases, preserve_index=True)
    schema_meta = dict(table.schema.metadata or {})
    schema_meta[_META_KEY] = json.dumps(meta).encode()
    pq.write_table(table.replace_schema_metadata(schema_meta), path)
    return path


def is_prepared(path: str | Path) -> bool:
    """True when ``path`` is a Parquet file written by :func:`save_prepared`."""
    path = Path(path)
    if path.suffix.lower() != ".parquet" or not path.is_file():
        return False
    import pyarrow.parquet as pq

    try:
        return _META_KEY in (pq.read_schema(path).metadata or {})
    except Exception:  # noqa: BLE001 - an unreadable file is simply not a prepared one
        return False


def load_prepared(path: str | Path) -> CaseExtract:
    """Load a validated extract saved by :func:`save_prepared`."""
    import pyarrow.parquet as pq

    from audit.validate import CaseExtract

    path = Path(path)
    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001
        raise ReadError(f"cannot read the prepared extract: {exc}", path=path) from None
    meta = json.loads(table.schema.metadata[_META_KEY])
    cases = table.to_pandas()
    excluded = pd.DataFrame(meta["excluded"], columns=["row", "reason"])
    return CaseExtract(
        cases=cases,
        excluded=excluded,
        rows_read=meta["rows_read"],
        ignored_columns=tuple(meta["ignored_columns"]),
        missing_flags=tuple(meta["missing_flags"]),
        path=Path(meta["path"]),
        sha256=meta["sha256"],
        sheet=meta["sheet"],
    )


@dataclass
class AuditData:
    """One audit's cases and the tables computed from them (computed once, on first use).

    ``metrics`` and the other tables are the analyst's, unsuppressed. Board outputs go
    through :mod:`audit.board`, which applies :mod:`audit.suppress`.
    """

    extract: CaseExtract
    cases: pd.DataFrame
    period: str
    partnership: str | None
    level: float = 0.95
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def place(self) -> str:
        """The geography of this audit, as captions state it."""
        if self.partnership:
            return self.partnership
        if "partnership" in self.cases.columns:
            names = sorted(self.cases["partnership"].dropna().unique())
            if len(names) > 1:
                return f"{len(names)} partnerships pooled ({', '.join(names)})"
            if names:
                return str(names[0])
        return "the audited partnership"

    @property
    def period_label(self) -> str:
        """The period in words for captions: a quarter, a year or the extract's span."""
        if self.period not in ("", "all"):
            return self.period
        if self.cases.empty:
            return "all periods"
        from audit.metrics import quarter_label

        dates = self.cases["notification_date"]
        first, last = quarter_label(pd.Series([dates.min(), dates.max()]))
        return first if first == last else f"{first} to {last}"

    @property
    def source(self) -> str:
        return f"{self.extract.path.name} (case extract)"

    @cached_property
    def metrics(self) -> pd.DataFrame:
        from audit.metrics import metrics_table

        return metrics_table(self.cases, level=self.level)

    @cached_property
    def funnel(self) -> pd.DataFrame:
        from audit.metrics import engagement_funnel

        return engagement_funnel(self.cases)

    @cached_property
    def cooccurrence(self) -> pd.DataFrame:
        from audit.metrics import risk_cooccurrence

        return risk_cooccurrence(self.cases)

    @cached_property
    def risk_counts(self) -> pd.DataFrame:
        from audit.metrics import risk_count_distribution

        return risk_count_distribution(self.cases)

    @property
    def in_scope(self) -> int:
        return len(self.cases)

    @property
    def history_label(self) -> str | None:
        """The key this audit's rows carry in the history store: the partnership(s) the
        extract names after any selection (:func:`audit.history.history_key`), or ``None``
        when it names none (such an extract is never recorded)."""
        from audit.errors import HistoryError
        from audit.history import history_key, partnerships_in

        cases = self.extract.cases
        if self.partnership:
            from audit.metrics import select_partnership

            cases = select_partnership(cases, self.partnership)
        try:
            return history_key(partnerships_in(cases))
        except HistoryError:
            return None

    def quarterly(self, history_path: str | Path | None = None) -> pd.DataFrame:
        """The metrics quarter by quarter, up to the end of this audit's period.

        Quarters in the extract are computed from it; earlier quarters recorded in the
        history store (``history_path``, if it exists) for the same partnership fill in
        what the extract does not hold. Columns: ``period`` then the metrics columns.
        """
        from audit.metrics import metrics_by, quarter_label

        cases = self.extract.cases
        if self.partnership:
            from audit.metrics import select_partnership

            cases = select_partnership(cases, self.partnership)
        if self.period != "all" and not cases.empty:
            last = quarter_label(self.cases["notification_date"].max()) if not self.cases.empty else None
            if last is not None:
                labels = quarter_label(cases["notification_date"])
                cases = cases[labels <= last]
        from_extract = metrics_by(cases, by="quarter", level=self.level).rename(
            columns={"quarter": "period"}) if not cases.empty else pd.DataFrame()
        frames = [from_extract]
        if history_path and self.history_label and Path(history_path).is_file():
            from audit.history import open_history

            store = open_history(history_path)
            try:
                stored = store.metrics(partnership=self.history_label)
            finally:
                store.close()
            stored = stored[stored["period"].str.contains("-Q")]
            if not from_extract.empty:
                stored = stored[~stored["period"].isin(set(from_extract["period"]))]
                end = from_extract["period"].max()
                stored = stored[stored["period"] <= end]
            frames.append(stored[[c for c in stored.columns if c in
                                  ("period", "metric", "numerator", "denominator", "unknown",
                                   "rate", "ci_low", "ci_high")]])
        frames = [f for f in frames if not f.empty]
        if not frames:
            return pd.DataFrame(columns=["period", "metric", "numerator", "denominator",
                                         "unknown", "rate", "ci_low", "ci_high"])
        return pd.concat(frames, ignore_index=True).sort_values(
            ["period", "metric"], kind="stable").reset_index(drop=True)

    def rolling(self, window: int = 4) -> pd.DataFrame:
        """Rolling ``window``-quarter metrics over the extract (this audit's partnership only)."""
        from audit.metrics import rolling_metrics, select_partnership

        cases = self.extract.cases
        if self.partnership:
            cases = select_partnership(cases, self.partnership)
        return rolling_metrics(cases, window=window, level=self.level)

    @cached_property
    def by_partnership(self) -> pd.DataFrame:
        """The metrics for each partnership (pooled extracts; empty without a partnership column)."""
        from audit.metrics import metrics_by

        if "partnership" not in self.cases.columns or self.cases.empty:
            return pd.DataFrame()
        return metrics_by(self.cases, by="partnership", level=self.level)

    @property
    def partnerships(self) -> list[str]:
        if "partnership" not in self.cases.columns:
            return []
        return sorted(str(p) for p in self.cases["partnership"].dropna().unique())

    @property
    def chart_context(self) -> dict[str, str]:
        """The caption facts every chart takes: period, source and geography."""
        return {"period": self.period_label, "source": self.source, "place": self.place}

    def board_metrics(self, suppress_max: int = 5) -> pd.DataFrame:
        """The metrics table as the board sees it: small counts and what they reveal as ``c``."""
        key = ("board_metrics", int(suppress_max))
        if key not in self._cache:
            from audit.suppress import suppress_metrics

            self._cache[key] = suppress_metrics(self.metrics, max_count=int(suppress_max))
        return self._cache[key]

    def suppressed_metrics(self, suppress_max: int = 5) -> set[str]:
        """Metric ids whose rate the board cannot see."""
        from audit.suppress import is_suppressed

        board = self.board_metrics(suppress_max)
        return {m for m, r in zip(board["metric"], board["rate"]) if is_suppressed(r)}

    def board_funnel(self, suppress_max: int = 5) -> pd.DataFrame:
        """The engagement funnel as the board sees it."""
        from audit.suppress import suppress_funnel

        return suppress_funnel(self.funnel, max_count=int(suppress_max), metrics=self.metrics)

    def board_cooccurrence(self, suppress_max: int = 5) -> pd.DataFrame:
        """The risk co-occurrence matrix as the board sees it."""
        from audit.suppress import suppress_cooccurrence

        return suppress_cooccurrence(self.cooccurrence, max_count=int(suppress_max),
                                     metrics=self.metrics)


def open_audit(extract_path: str | Path, *, period: str | None = None,
               partnership: str | None = None, sheet: str | None = None,
               level: float = 0.95) -> AuditData:
    """Open an extract (raw or prepared) and select the audit's period and partnership.

    ``period`` is a quarter (``2025-Q3``), a year (``2025``) or ``all``/empty for every case.
    Raises ``ValueError`` for a malformed period or an unknown partnership.
    """
    from audit.metrics import select_partnership, select_period

    path = Path(extract_path)
    if is_prepared(path):
        extract = load_prepared(path)
    else:
        from audit.validate import load_extract

        extract = load_extract(path, sheet=sheet)
    cases = extract.cases
    partnership = partnership or None
    if partnership:
        cases = select_partnership(cases, partnership)
    period = (period or "all").strip()
    if period.lower() != "all":
        cases = select_period(cases, period)
    else:
        period = "all"
    return AuditData(extract=extract, cases=cases, period=period, partnership=partnership,
                     level=level)
