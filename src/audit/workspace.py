"""The data of one audit, computed once: the analyst's (unprotected) tables.

``audit run`` reads and validates the extract once, saves the validated cases as a Parquet
file with the extract's provenance in its metadata (:func:`save_prepared`), computes every
table of the audit once (:meth:`AuditData.compute`) and saves them beside it
(:meth:`AuditData.save`). Each notebook then opens the same audit with :func:`open_audit`,
which finds the saved tables by the extract's SHA-256 and the audit's settings instead of
computing them again. A notebook opened by hand in JupyterLab passes the raw extract; the
tables are then computed on first use.

Everything here is for analysts: small counts included. The board and public packs take
their figures from :func:`audit.disclosure.protect`, never from these tables directly.
Earlier quarters from the history store are read by the caller and passed in
(``history``): this object never opens the store.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from audit.errors import ParameterError, ReadError
from audit.intake.extract import shown

if TYPE_CHECKING:  # validation pulls in pandera: imported where it is used
    from audit.intake.validate import CaseExtract

__all__ = [
    "AuditData",
    "open_audit",
    "audit_of",
    "read_history",
    "history_runs",
    "cache_path",
    "save_prepared",
    "load_prepared",
    "is_prepared",
    "TREND_METRICS",
    "FUNNEL_METRICS",
    "EARLIER_QUARTER_COLUMNS",
]

#: The key metrics followed quarter by quarter (trend and SPC charts).
TREND_METRICS: tuple[str, ...] = ("engagement.seen", "engagement.contacted", "risk.domestic_abuse")
#: The metrics compared across partnerships in funnel plots.
FUNNEL_METRICS: tuple[str, ...] = (
    "engagement.seen",
    "engagement.contacted",
    "engagement.identified",
)
#: Columns of the earlier quarters a caller passes in (``history``): counts a quarter.
EARLIER_QUARTER_COLUMNS: tuple[str, ...] = (
    "period",
    "metric",
    "numerator",
    "denominator",
    "unknown",
)

_META_KEY = b"audit.intake.extract"
_CACHE_VERSION = 4


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
        "sources": [dict(s) for s in extract.sources],
        "moderated": None
        if extract.moderated is None
        else extract.moderated.astype(object)
        .where(extract.moderated.notna(), None)
        .to_dict(orient="records"),
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

    from audit.intake.validate import CaseExtract

    path = Path(path)
    try:
        table = pq.read_table(path)
    except Exception:  # noqa: BLE001 - pyarrow's errors become the project's
        raise ReadError(
            "cannot read the prepared extract (run 'audit run' again)", path=path
        ) from None
    meta = json.loads(table.schema.metadata[_META_KEY])
    cases = table.to_pandas()
    excluded = pd.DataFrame(meta["excluded"])
    if excluded.empty:
        excluded = pd.DataFrame(columns=["row", "reason"])
    return CaseExtract(
        cases=cases,
        excluded=excluded,
        rows_read=meta["rows_read"],
        ignored_columns=tuple(meta["ignored_columns"]),
        missing_flags=tuple(meta["missing_flags"]),
        path=Path(meta["path"]),
        sha256=meta["sha256"],
        sheet=meta["sheet"],
        sources=tuple(meta.get("sources", ())),
        moderated=_moderated(meta.get("moderated")),
    )


def _moderated(records: list[dict[str, Any]] | None) -> pd.DataFrame | None:
    """The moderated answers saved with a prepared extract (:mod:`audit.intake.moderation`)."""
    if records is None:
        return None
    from audit.intake.moderation import MODERATED_COLUMNS

    return pd.DataFrame(records, columns=list(MODERATED_COLUMNS))


@dataclass
class AuditData:
    """One audit's cases and every table computed from them, each computed once.

    ``cases`` is the extract's in-scope cases for the audit's period and partnership;
    ``history`` holds earlier quarters of the same partnership(s) from the history store
    (columns :data:`EARLIER_QUARTER_COLUMNS`), read by the caller. The tables are the analyst's,
    unprotected; :func:`audit.disclosure.protect` makes the board's and the public's.
    """

    extract: CaseExtract
    cases: pd.DataFrame
    period: str
    partnership: str | None
    level: float = 0.95
    history: pd.DataFrame | None = None
    #: Targets the board set (:func:`audit.measures.targets.read_targets`), by metric id.
    targets: dict[str, Any] = field(default_factory=dict)
    #: The case selection's record and how many of its cases were returned
    #: (:func:`audit.intake.selection.check_returns`), set by ``audit run --selection``.
    selection: dict[str, Any] | None = None

    # -- what the audit covers ------------------------------------------------------------
    @property
    def in_scope(self) -> int:
        """Cases in this audit."""
        return len(self.cases)

    @property
    def other_partnerships(self) -> int:
        """In-scope cases left out because they belong to other partnerships."""
        return len(self.extract.cases) - len(self.scope_cases)

    @property
    def outside_period(self) -> pd.DataFrame:
        """The in-scope cases of this audit's partnership left out because they are dated
        outside its period (none for ``"all"``): said by the run, counted in the pack."""
        from audit.intake.periods import in_period

        chosen = self.scope_cases
        return chosen.loc[~in_period(chosen, self.period)]

    def left_out_words(self, listed: int = 5) -> str:
        """The in-scope cases this audit leaves out, for the analyst's console ("" when
        none): ``", of which 1 dated outside 2026-Q3 is left out (row 5: 03/10/2026)"``.
        Rows are named (the first ``listed``, with the file when returns are pooled); a
        pack counts them without rows (:mod:`audit.sections.data_quality`)."""
        parts = []
        if other := self.other_partnerships:
            parts.append(f"{other:,} of other partnerships")
        outside = self.outside_period
        if len(outside):
            files = outside["source"] if "source" in outside.columns else [None] * len(outside)
            rows = [
                (f"{shown(str(f))} " if f is not None else "") + f"row {int(r)}: {d:%d/%m/%Y}"
                for f, r, d in zip(files, outside.index, outside["notification_date"])
            ]
            more = f" and {len(rows) - listed:,} more" if len(rows) > listed else ""
            parts.append(
                f"{len(outside):,} dated outside {self.period} ({'; '.join(rows[:listed])}{more})"
            )
        if not parts:
            return ""
        total = other + len(outside)
        return f", of which {' and '.join(parts)} {'is' if total == 1 else 'are'} left out"

    @property
    def partnerships(self) -> list[str]:
        """The partnerships this audit's cases come from (empty without a partnership column)."""
        if "partnership" not in self.cases.columns:
            return []
        return sorted(str(p) for p in self.cases["partnership"].dropna().unique())

    @property
    def place(self) -> str:
        """The geography of this audit, as captions state it."""
        if self.partnership:
            return self.partnership
        names = self.partnerships
        if len(names) > 1:
            return f"{len(names)} partnerships pooled ({', '.join(names)})"
        if names:
            return names[0]
        return "the audited partnership"

    @property
    def quarters(self) -> list[str]:
        """The calendar quarters this audit's cases fall in, in time order."""
        from audit.measures.metrics import quarter_label

        if self.cases.empty:
            return []
        return sorted(set(quarter_label(self.cases["notification_date"]).dropna()))

    @property
    def period_label(self) -> str:
        """The period in words for captions: a quarter, a year or the extract's span. A year
        whose cases fall in fewer than its four quarters says which ("2025 (cases in
        2025-Q2 and 2025-Q3 only)"): a reader must not take it for a whole year."""
        if len(self.period) == 4 and self.period.isdigit():
            covered = [q for q in self.quarters if q.startswith(self.period)]
            if 0 < len(covered) < 4:
                which = (
                    covered[0]
                    if len(covered) == 1
                    else ", ".join(covered[:-1]) + f" and {covered[-1]}"
                )
                return f"{self.period} (cases in {which} only)"
            return self.period
        if self.period not in ("", "all"):
            return self.period
        quarters = self.quarters
        if not quarters:
            return "all periods"
        return quarters[0] if quarters[0] == quarters[-1] else f"{quarters[0]} to {quarters[-1]}"

    @property
    def source(self) -> str:
        """The input, as captions cite it: the extract's file, or the pooled returns."""
        if self.extract.sources:
            return f"{len(self.extract.sources)} audit returns pooled (case extracts)"
        return f"{self.extract.path.name} (case extract)"

    @property
    def chart_context(self) -> dict[str, str]:
        """The caption facts every chart takes: period, source and geography."""
        return {"period": self.period_label, "source": self.source, "place": self.place}

    @property
    def synthetic(self) -> bool:
        """True for the bundled synthetic samples (every case id starts ``SYN-``)."""
        ids = self.cases["case_id"].astype(str)
        return bool(len(ids)) and bool(ids.str.startswith("SYN-").all())

    # -- the tables, computed once ----------------------------------------------------------
    @cached_property
    def metrics(self) -> pd.DataFrame:
        """The contract's metrics table (``metrics.csv``), unprotected."""
        from audit.measures.metrics import metrics_table

        return metrics_table(self.cases, level=self.level)

    @cached_property
    def steps(self) -> pd.DataFrame:
        """The father-engagement steps in practice order, with the conditional counts
        (how many reached each step and kept to the next: not the funnel plots,
        :attr:`funnels`)."""
        from audit.measures.engagement import engagement_funnel

        return engagement_funnel(self.cases, level=self.level)

    @cached_property
    def cooccurrence(self) -> pd.DataFrame:
        """Cases with both risk factors yes, for each pair (diagonal: each factor's yes)."""
        from audit.measures.metrics import risk_cooccurrence

        return risk_cooccurrence(self.cases)

    @cached_property
    def risk_counts(self) -> pd.DataFrame:
        """Cases by the number of risk factors recorded yes (0, 1, 2, 3+)."""
        from audit.measures.metrics import risk_count_distribution

        return risk_count_distribution(self.cases)

    @cached_property
    def by_partnership(self) -> pd.DataFrame:
        """The metrics for each partnership (empty unless the audit pools several)."""
        from audit.measures.metrics import metrics_by

        if len(self.partnerships) < 2:
            return pd.DataFrame()
        return metrics_by(self.cases, by="partnership", level=self.level)

    @cached_property
    def scope_cases(self) -> pd.DataFrame:
        """Every in-scope case of this audit's partnership(s), whatever its quarter."""
        from audit.measures.metrics import select_partnership

        cases = self.extract.cases
        if self.partnership:
            cases = select_partnership(cases, self.partnership)
        return cases

    @cached_property
    def quarterly(self) -> pd.DataFrame:
        """The metrics quarter by quarter, up to the end of this audit's period.

        Quarters in the extract are computed from it; earlier quarters from ``history`` fill
        in what the extract does not hold. Columns: ``period``, ``cases``, then the metrics
        columns; sorted by period and metric.
        """
        from audit.contract import LOCAL_COLUMNS
        from audit.measures.metrics import metrics_by, quarter_label

        cases = self.scope_cases
        if self.quarters and not cases.empty:
            labels = quarter_label(cases["notification_date"])
            cases = cases[(labels <= self.quarters[-1]).to_numpy()]
        frames = []
        if not cases.empty:
            table = metrics_by(cases, by="quarter", level=self.level).rename(
                columns={"quarter": "period"}
            )
            sizes = quarter_label(cases["notification_date"]).value_counts()
            table.insert(1, "cases", table["period"].map(sizes).astype("int64"))
            frames.append(table)
        if self.history is not None and not self.history.empty:
            frames.append(self._history_quarters(self.history, frames[0] if frames else None))
        frames = [f for f in frames if not f.empty]
        if not frames:
            return pd.DataFrame(columns=["period", "cases", "metric", *LOCAL_COLUMNS])
        return (
            pd.concat(frames, ignore_index=True)
            .sort_values(["period", "metric"], kind="stable")
            .reset_index(drop=True)
        )

    @property
    def trend_quarters(self) -> tuple[str, ...]:
        """The quarters the trend charts cover (of :data:`TREND_METRICS`, from the extract
        and the history store), in time order, before a public pack leaves any out."""
        quarterly = self.quarterly
        rows = quarterly[quarterly["metric"].isin(TREND_METRICS)]
        return tuple(sorted({str(p) for p in rows["period"]}))

    @property
    def history_quarters(self) -> tuple[str, ...]:
        """The quarters of :attr:`trend_quarters` read from the history store (those the
        extract does not hold), in time order."""
        from audit.measures.metrics import quarter_label

        if self.history is None or self.history.empty:
            return ()
        dates = self.scope_cases["notification_date"]
        held = set(quarter_label(dates).dropna()) if len(dates) else set()
        return tuple(q for q in self.trend_quarters if q not in held)

    def _history_quarters(
        self, stored: pd.DataFrame, from_extract: pd.DataFrame | None
    ) -> pd.DataFrame:
        """Earlier quarters from ``stored`` (the ``history`` rows) that the extract does not
        hold, with intervals."""
        from audit.measures.metrics import metrics_from_counts

        missing = [c for c in EARLIER_QUARTER_COLUMNS if c not in stored.columns]
        if missing:
            raise ParameterError(f"history rows lack column(s): {', '.join(missing)}")
        stored = stored[stored["period"].astype(str).str.contains("-Q")]
        if from_extract is not None and not from_extract.empty:
            stored = stored[~stored["period"].isin(set(from_extract["period"]))]
        if self.quarters:
            stored = stored[stored["period"] <= self.quarters[-1]]
        if stored.empty:
            return pd.DataFrame()
        counts = stored[list(EARLIER_QUARTER_COLUMNS)].reset_index(drop=True)
        table = metrics_from_counts(counts, level=self.level)
        if "cases" in stored.columns:
            table.insert(1, "cases", pd.to_numeric(stored["cases"].to_numpy(), errors="coerce"))
        return table

    @cached_property
    def rolling(self) -> pd.DataFrame:
        """The latest four-quarter window ending with this audit's last quarter."""
        from audit.measures.metrics import rolling_metrics

        table = rolling_metrics(self.scope_cases, window=4, level=self.level)
        if table.empty or not self.quarters:
            return table.iloc[0:0]
        return table[table["window_end"] == self.quarters[-1]].reset_index(drop=True)

    @cached_property
    def spc(self) -> dict[str, pd.DataFrame]:
        """A p-chart for each trend metric over :attr:`quarterly` (two quarters or more)."""
        from audit.measures.spc import p_chart

        charts: dict[str, pd.DataFrame] = {}
        table = self.quarterly
        if table["period"].nunique() < 2:
            return charts
        for metric in TREND_METRICS:
            series = table[table["metric"] == metric]
            if len(series) >= 2:
                charts[metric] = p_chart(
                    series["numerator"], series["denominator"], series["period"]
                )
        return charts

    @cached_property
    def funnels(self) -> dict[str, pd.DataFrame]:
        """Each partnership against funnel limits, for each funnel metric (pooled audits)."""
        from audit.measures.spc import funnel_table

        if self.by_partnership.empty:
            return {}
        out = {}
        for metric in FUNNEL_METRICS:
            rows = self.by_partnership[self.by_partnership["metric"] == metric]
            if not rows.empty and int(rows["denominator"].sum()) > 0:
                out[metric] = funnel_table(self.by_partnership, metric)
        return out

    @cached_property
    def completeness(self) -> pd.DataFrame:
        """Per coded field: cases, cases not known, share not known."""
        from audit.measures.quality import completeness_table

        return completeness_table(self.cases)

    @cached_property
    def agreement(self) -> pd.DataFrame | None:
        """Per question, how far the two auditors of this audit's moderated cases agree
        (:func:`audit.intake.agreement.agreement_table`); ``None`` when no case was moderated."""
        moderated = self.extract.moderated
        if moderated is None:
            return None
        from audit.intake.agreement import agreement_table
        from audit.intake.moderation import questions

        held = set(self.cases["case_id"].astype(str))
        pairs = moderated[moderated["case_id"].astype(str).isin(held)]
        if pairs.empty:
            return None
        asked = questions(self.cases, self.extract.missing_flags)
        return agreement_table(pairs, asked, level=0.95)

    # -- computing once, and sharing with the notebooks -------------------------------------
    @staticmethod
    def table_names() -> tuple[str, ...]:
        """The tables :meth:`compute` computes and :meth:`save` saves: every cached table."""
        return _tables()

    def compute(self) -> AuditData:
        """Compute every table now (each once); returns ``self``."""
        for name in _tables():
            getattr(self, name)
        return self

    def _cache_key(self) -> dict[str, Any]:
        return {
            "version": _CACHE_VERSION,
            "sha256": self.extract.sha256,
            "period": self.period,
            "partnership": self.partnership,
            "level": self.level,
        }

    def save(self, path: str | Path) -> Path:
        """Save the computed tables, and the history they used, to ``path`` (for the
        notebooks of this run)."""
        self.compute()
        tables = {name: self.__dict__[name] for name in _tables()}
        payload = {
            "key": self._cache_key(),
            "tables": tables,
            "history": self.history,
            "targets": self.targets,
        }
        path = Path(path)
        path.write_bytes(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
        return path

    def load(self, path: str | Path) -> bool:
        """Take the tables saved at ``path`` if they are this audit's; True when used."""
        try:
            payload = pickle.loads(Path(path).read_bytes())  # noqa: S301 - our own run folder
        except (OSError, pickle.UnpicklingError, EOFError):
            return False
        if payload.get("key") != self._cache_key():
            return False
        self.__dict__.update(payload["tables"])
        self.history = payload["history"]
        self.targets = payload.get("targets", {})
        return True


def _tables() -> tuple[str, ...]:
    """Every table :class:`AuditData` computes (its cached properties): found, not listed,
    so a new table is computed, saved and shared with the notebooks without another edit."""
    return tuple(
        name for name, value in vars(AuditData).items() if isinstance(value, cached_property)
    )


def cache_path(prepared: str | Path) -> Path:
    """Where :func:`open_audit` looks for the tables saved beside a prepared extract."""
    prepared = Path(prepared)
    return prepared.with_name(prepared.stem + ".tables.pickle")


def audit_of(
    extract: CaseExtract,
    *,
    period: str | None = None,
    partnership: str | None = None,
    level: float = 0.95,
    history: pd.DataFrame | None = None,
) -> AuditData:
    """The audit of a validated extract's period and partnership (see :func:`open_audit`)."""
    from audit.measures.metrics import quarter_label, select_partnership, select_period

    cases = extract.cases
    partnership = (partnership or "").strip() or None
    try:
        if partnership:
            cases = select_partnership(cases, partnership)
            partnership = str(cases["partnership"].iloc[0]) if len(cases) else partnership
        period = (period or "all").strip()
        if period.lower() != "all":
            cases = select_period(cases, period)
            period = period.upper()
        else:
            period = "all"
    except ValueError as exc:
        raise ParameterError(str(exc)) from None
    if cases.empty:
        held = sorted(set(quarter_label(extract.cases["notification_date"]).dropna()))
        span = f"{held[0]} to {held[-1]}" if held else "no quarters"
        where = f" and partnership '{partnership}'" if partnership else ""
        raise ParameterError(
            f"no in-scope cases for period '{period}'{where}; the extract covers {span}"
        )
    return AuditData(
        extract=extract,
        cases=cases,
        period=period,
        partnership=partnership,
        level=level,
        history=history,
    )


def read_history(
    history_path: str | Path | None,
    extract: CaseExtract,
    partnership: str | None,
    until: str | None,
) -> pd.DataFrame | None:
    """Earlier quarters recorded for the partnership(s) an audit counts, or ``None``.

    The key is the one the figures are recorded under (:func:`audit.history.history_key`):
    the partnership(s) of the whole extract after any ``partnership`` selection, so an
    analyst's extract never reads the sample's quarters. No store, or an extract naming no
    partnership: ``None`` (the trend charts use the extract's own quarters).
    """
    if not history_path or not Path(history_path).is_file():
        return None
    from audit.history import open_history, quarters_for

    key = _history_key(extract, partnership)
    if key is None:
        return None
    store = open_history(history_path)
    try:
        return quarters_for(store, key, until=until)
    finally:
        store.close()


def _history_key(extract: CaseExtract, partnership: str | None) -> str | None:
    """The key an audit's figures are recorded under (:func:`read_history`), or ``None``
    for an extract naming no partnership."""
    from audit.errors import HistoryError
    from audit.history import history_key, partnerships_in
    from audit.measures.metrics import select_partnership

    cases = select_partnership(extract.cases, partnership) if partnership else extract.cases
    try:
        return history_key(partnerships_in(cases))
    except HistoryError:
        return None


def history_runs(
    history_path: str | Path | None,
    extract: CaseExtract,
    partnership: str | None,
    quarters: Sequence[str],
) -> list[dict[str, Any]]:
    """How each of ``quarters`` (an audit's :attr:`AuditData.history_quarters`) was
    recorded in the history store: its period, the input's file name and SHA-256 and when,
    one record a quarter in time order (the period alone where the store has no record)."""
    if not quarters:
        return []
    key = _history_key(extract, partnership)
    found: dict[str, dict[str, Any]] = {}
    if history_path and Path(history_path).is_file() and key is not None:
        from audit.history import open_history

        store = open_history(history_path)
        try:
            runs = store.runs(partnership=key)
        finally:
            store.close()
        for _, run in runs.iterrows():
            found[str(run["period"])] = {
                "input_file": str(run["input_file"]),
                "input_sha256": str(run["input_sha256"]),
                "recorded_at": str(run["recorded_at"]),
            }
    return [{"period": q, **found.get(q, {})} for q in quarters]


def open_audit(
    extract_path: str | Path | Sequence[str | Path],
    *,
    period: str | None = None,
    partnership: str | None = None,
    sheet: str | None = None,
    level: float = 0.95,
    history: pd.DataFrame | None = None,
    history_path: str | Path | None = None,
    allow_missing: Sequence[str] = (),
    accept_stray_dates: bool = False,
    moderation: Sequence[str | Path] = (),
    agreed: Sequence[str | Path] = (),
) -> AuditData:
    """Open an extract (raw or prepared) and select the audit's period and partnership.

    ``moderation`` and ``agreed`` name second audits and settled answers
    (:mod:`audit.intake.moderation`); a prepared extract carries its own.

    ``period`` is a quarter (``2025-Q3``), a year (``2025``) or ``all``/empty for every case.
    ``history`` holds earlier quarters (:data:`EARLIER_QUARTER_COLUMNS`) for the trend charts.
    Raises :class:`~audit.errors.ParameterError` for a malformed period or an unknown
    partnership, naming the quarters and partnerships the extract does hold. For a prepared
    extract written by ``audit run``, the tables that run computed (and the history they
    used) are taken as they are. Otherwise earlier quarters come from ``history``, or are
    read from the store at ``history_path`` (:func:`read_history`).
    """
    paths = [extract_path] if isinstance(extract_path, (str, Path)) else list(extract_path)
    path = Path(paths[0])
    prepared = len(paths) == 1 and is_prepared(path)
    if prepared:
        extract = load_prepared(path)
    else:
        from audit.intake.pooling import load_returns

        extract = load_returns(
            paths,
            sheet=sheet,
            allow_missing=allow_missing,
            accept_stray_dates=accept_stray_dates,
            moderation=moderation,
            agreed=agreed,
        )
    data = audit_of(extract, period=period, partnership=partnership, level=level, history=history)
    if prepared and data.load(cache_path(path)):
        return data
    if history is None and history_path:
        data.history = read_history(
            history_path, extract, data.partnership, data.quarters[-1] if data.quarters else None
        )
    return data
