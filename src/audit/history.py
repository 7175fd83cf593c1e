"""The audit history: every quarter's (unsuppressed) metrics in one embedded SQLite file.

Trends, SPC charts and funnel plots need the figures of past quarters. ``audit run`` records
each audit's metrics table here, keyed by **partnership, period and metric id** (metric ids
are stable across releases: ``contract.METRIC_IDS``), with the provenance of the run: the
input extract's SHA-256 and file name, the package version and when it was recorded.

The file holds analyst figures (small counts included) but never case-level data: one row a
metric, as in ``metrics.csv``. Board outputs drawn from it go through :mod:`audit.suppress`
(the trend and SPC charts apply the rule to each point they draw).

Keys
====

* ``partnership`` — the partnership audited, as given (trimmed). An audit of a whole
  extract (``partnership=None``, e.g. a pooled extract of several partnerships, or a
  single partnership's extract run without ``--partnership``) is stored under the fixed
  label :data:`ALL_PARTNERSHIPS` (``"all"``). A partnership literally named "all" would
  share that key; none exists in England.
* ``period`` — a calendar quarter ``"2025-Q3"`` or a calendar year ``"2025"`` (as
  ``audit run --period`` takes it). ``"all"`` is refused: a run over every case has no place
  on a time axis.
* ``metric`` — a contract metric id.

Recording a (partnership, period) again **replaces** its rows: one transaction
(``BEGIN IMMEDIATE``) deletes the old run and its metrics and inserts the new ones, so a
re-run after a corrected extract never duplicates a quarter, and a failure part-way
(a crash, a full disk, an exception) leaves the previous rows as they were.

Concurrency and durability
==========================

The database runs in WAL mode with a 10-second ``busy_timeout``: readers never block the
writer, and two processes recording at once (two partnerships' runs on one analysis server)
queue for the write lock rather than fail or corrupt the file. WAL needs shared memory, so
keep the file on a local disk: SQLite documents that WAL does not work over a network file
system (a mapped drive or NFS share). Where the file system cannot run WAL, SQLite keeps its
rollback journal, which is still safe for one host.

Schema versions
===============

The schema version is SQLite's ``PRAGMA user_version``; ``PRAGMA application_id`` marks the
file as an audit history (:data:`APPLICATION_ID`), so another program's SQLite file is
refused rather than altered. :data:`MIGRATIONS` is an ordered list of forward-only steps,
each a list of SQL statements; step ``i`` takes the schema from version ``i`` to ``i + 1``.
Opening a file applies the missing steps, each in its own ``BEGIN IMMEDIATE`` transaction
that also sets ``user_version``, so a failed migration leaves the file at the previous
version. A file from a *newer* schema (written by a later release of audit) is refused with
:class:`~audit.errors.HistoryError`: this release cannot know what the newer columns mean.
Never edit a released step; append a new one.

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

import csv
import io
import json
import math
import os
import re
import sqlite3
import tempfile
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audit.contract import METRIC_IDS
from audit.errors import HistoryError

__all__ = [
    "ALL_PARTNERSHIPS",
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "MIGRATIONS",
    "BUSY_TIMEOUT_MS",
    "HISTORY_COLUMNS",
    "RUN_COLUMNS",
    "HistoryStore",
    "open_history",
    "read_quarters",
]

#: The partnership key of an audit of the whole extract (``partnership=None``).
ALL_PARTNERSHIPS = "all"
#: ``PRAGMA application_id`` of an audit history file ("AUDH").
APPLICATION_ID = 0x41554448
#: How long a writer waits for another process's write lock before giving up.
BUSY_TIMEOUT_MS = 10_000

#: Forward-only schema migrations. Step ``i`` (0-based) takes version ``i`` to ``i + 1``.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: runs (one per partnership and period, with provenance) and their metrics.
    (
        """
        CREATE TABLE runs (
            partnership     TEXT NOT NULL,
            period          TEXT NOT NULL,
            recorded_at     TEXT NOT NULL,
            input_sha256    TEXT NOT NULL,
            input_file      TEXT NOT NULL,
            package_version TEXT NOT NULL,
            PRIMARY KEY (partnership, period)
        )
        """,
        """
        CREATE TABLE metrics (
            partnership TEXT NOT NULL,
            period      TEXT NOT NULL,
            metric      TEXT NOT NULL,
            numerator   INTEGER NOT NULL CHECK (numerator >= 0),
            denominator INTEGER NOT NULL CHECK (denominator >= numerator),
            unknown     INTEGER NOT NULL CHECK (unknown >= 0),
            rate        REAL,
            ci_low      REAL,
            ci_high     REAL,
            PRIMARY KEY (partnership, period, metric),
            FOREIGN KEY (partnership, period) REFERENCES runs (partnership, period)
                ON DELETE CASCADE
        )
        """,
    ),
    # 2: the audit's case count and free-form provenance; an index for per-metric trends.
    (
        "ALTER TABLE runs ADD COLUMN cases INTEGER",
        "ALTER TABLE runs ADD COLUMN details TEXT",
        "CREATE INDEX metrics_by_metric ON metrics (metric, partnership, period)",
    ),
)
#: The schema version this release writes.
SCHEMA_VERSION = len(MIGRATIONS)

#: Columns of :meth:`HistoryStore.metrics`, in order.
HISTORY_COLUMNS: tuple[str, ...] = (
    "partnership", "period", "metric", "numerator", "denominator", "unknown", "rate",
    "ci_low", "ci_high", "recorded_at", "input_sha256", "input_file", "package_version",
)
#: Columns of :meth:`HistoryStore.runs`, in order.
RUN_COLUMNS: tuple[str, ...] = (
    "partnership", "period", "recorded_at", "input_sha256", "input_file", "package_version",
    "cases", "metrics", "details",
)

_PERIOD_RE = re.compile(r"^\d{4}(-Q[1-4])?$")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_METRIC_ORDER = {m: i for i, m in enumerate(METRIC_IDS)}
_RATE_COLUMNS = ("rate", "ci_low", "ci_high")
_COUNT_COLUMNS = ("numerator", "denominator", "unknown")


def _damaged(path: Path, exc: BaseException) -> HistoryError:
    return HistoryError(
        f"the history file {path} cannot be read as an audit history database ({exc}). "
        "If it is damaged, restore it from a backup, or move it aside and the next run will "
        "start a new history; if it is another file, choose another --history path.")


def _period_key(period: str) -> tuple[int, int]:
    """Chronological order: a year sorts after its four quarters."""
    year = int(period[:4])
    quarter = int(period[-1]) if "-Q" in period else 5
    return year, quarter


class HistoryStore:
    """An open audit history (use :func:`open_history`). A context manager; not thread-safe
    (one store per thread or process)."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._db = connection

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Close the connection (the WAL is checkpointed by SQLite on the last close)."""
        self._db.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HistoryStore({str(self.path)!r})"

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    @property
    def journal_mode(self) -> str:
        return str(self._db.execute("PRAGMA journal_mode").fetchone()[0]).lower()

    # ------------------------------------------------------------------ writing

    def _after_delete(self) -> None:
        """Called between the delete and the insert of :meth:`record` (a seam for tests that
        inject a fault there; does nothing)."""

    def record(self, metrics_table: pd.DataFrame, *, partnership: str | None, period: str,
               provenance: Mapping[str, Any]) -> int:
        """Store an audit's metrics, replacing any earlier record of the same partnership and
        period, in one transaction. Returns the number of metric rows stored.

        ``metrics_table`` is the analyst (unsuppressed) table: ``metric``, ``numerator``,
        ``denominator``, ``unknown``, ``rate``, ``ci_low``, ``ci_high`` (other columns are
        ignored). ``partnership=None`` is stored as :data:`ALL_PARTNERSHIPS`. Provenance
        keys: module docstring. ``ValueError`` for a suppressed (``c``) or malformed table,
        an unknown metric id, a malformed period or missing provenance; ``HistoryError`` if
        the database cannot be written.
        """
        return self.record_many([(metrics_table, partnership, period, provenance)])

    def record_many(self, sets: Sequence[tuple[pd.DataFrame, str | None, str,
                                                Mapping[str, Any]]]) -> int:
        """Record several (metrics_table, partnership, period, provenance) sets in ONE
        transaction: either every set replaces its earlier record, or nothing changes.
        Returns the number of metric rows stored. Checks as :meth:`record`.
        """
        prepared = []
        for metrics_table, partnership, period, provenance in sets:
            prepared.append((self._partnership_key(partnership), self._check_period(period),
                             self._rows(metrics_table), self._provenance(provenance)))
        if not prepared:
            return 0
        db = self._db
        key = period = ""
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                for key, period, rows, run in prepared:
                    db.execute("DELETE FROM metrics WHERE partnership = ? AND period = ?",
                               (key, period))
                    db.execute("DELETE FROM runs WHERE partnership = ? AND period = ?",
                               (key, period))
                    self._after_delete()
                    db.execute(
                        "INSERT INTO runs (partnership, period, recorded_at, input_sha256, "
                        "input_file, package_version, cases, details) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (key, period, run["recorded_at"], run["input_sha256"],
                         run["input_file"], run["package_version"], run["cases"],
                         run["details"]))
                    db.executemany(
                        "INSERT INTO metrics (partnership, period, metric, numerator, "
                        "denominator, unknown, rate, ci_low, ci_high) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [(key, period, *row) for row in rows])
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise HistoryError(f"could not record {key} {period} in the history file "
                               f"{self.path}: {exc}") from exc
        return sum(len(rows) for _, _, rows, _ in prepared)

    @staticmethod
    def _partnership_key(partnership: str | None) -> str:
        if partnership is None:
            return ALL_PARTNERSHIPS
        if not isinstance(partnership, str) or not partnership.strip():
            raise ValueError("partnership must be a non-empty name, or None for the whole "
                             "extract")
        return partnership.strip()

    @staticmethod
    def _check_period(period: str) -> str:
        if not isinstance(period, str):
            raise ValueError(f"period must be text like '2025-Q3'; got {period!r}")
        text = period.strip().upper()
        if not _PERIOD_RE.match(text):
            raise ValueError(f"period {period!r} cannot be recorded in the history: use a "
                             "calendar quarter like '2025-Q3' or a year like '2025'")
        return text

    @staticmethod
    def _rows(table: pd.DataFrame) -> list[tuple]:
        if not isinstance(table, pd.DataFrame):
            raise TypeError(f"the metrics table must be a pandas DataFrame, not "
                            f"{type(table).__name__}")
        needed = ("metric", *_COUNT_COLUMNS, *_RATE_COLUMNS)
        missing = [c for c in needed if c not in table.columns]
        if missing:
            raise ValueError(f"the metrics table lacks column(s): {', '.join(missing)}")
        if table.empty:
            raise ValueError("the metrics table is empty: nothing to record")
        metrics = [str(m) for m in table["metric"]]
        unknown_ids = sorted({m for m in metrics if m not in _METRIC_ORDER})
        if unknown_ids:
            raise ValueError(f"not metric id(s) of the contract: {', '.join(unknown_ids)}")
        if len(set(metrics)) != len(metrics):
            raise ValueError("a metric appears twice in the metrics table")
        values: dict[str, list] = {}
        for column in (*_COUNT_COLUMNS, *_RATE_COLUMNS):
            cells = table[column].astype(object).tolist()
            if any(isinstance(v, str) for v in cells):
                raise ValueError(
                    f"column {column!r} holds text (a suppressed 'c'?): the history stores the "
                    "analyst's unsuppressed metrics table, not the board version")
            numbers = pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce") \
                .to_numpy(dtype="float64", na_value=np.nan)
            if column in _COUNT_COLUMNS:
                if np.isnan(numbers).any() or (numbers < 0).any() \
                        or (numbers != np.round(numbers)).any():
                    raise ValueError(f"column {column!r} must hold non-negative whole numbers")
                values[column] = [int(v) for v in numbers]
            else:
                values[column] = [None if math.isnan(v) else float(v) for v in numbers]
        if any(n > d for n, d in zip(values["numerator"], values["denominator"])):
            raise ValueError("a numerator exceeds its denominator")
        return [
            (metrics[i], *(values[c][i] for c in (*_COUNT_COLUMNS, *_RATE_COLUMNS)))
            for i in range(len(metrics))
        ]

    @staticmethod
    def _provenance(provenance: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(provenance, Mapping):
            raise ValueError("provenance must be a mapping with input_sha256 and input_file")
        extra = dict(provenance)
        sha = str(extra.pop("input_sha256", "") or "").strip().lower()
        if not _SHA_RE.match(sha):
            raise ValueError("provenance['input_sha256'] must be the extract's SHA-256 "
                             "(64 hexadecimal digits)")
        name = str(extra.pop("input_file", "") or "").strip()
        if not name:
            raise ValueError("provenance['input_file'] must name the extract file")
        name = Path(name.replace("\\", "/")).name  # never store a folder path
        version = extra.pop("package_version", None)
        if version is None:
            from audit import __version__ as version
        when = extra.pop("recorded_at", None)
        if when is None:
            stamp = datetime.now(timezone.utc)
        else:
            try:
                stamp = pd.Timestamp(when).to_pydatetime()
            except (TypeError, ValueError):
                raise ValueError(f"provenance['recorded_at'] is not a date and time: "
                                 f"{when!r}") from None
            stamp = stamp.replace(tzinfo=timezone.utc) if stamp.tzinfo is None \
                else stamp.astimezone(timezone.utc)
        cases = extra.pop("cases", None)
        if cases is not None:
            if isinstance(cases, bool) or not float(cases).is_integer() or int(cases) < 0:
                raise ValueError("provenance['cases'] must be a whole number of cases")
            cases = int(cases)
        details = json.dumps(extra, sort_keys=True, default=str) if extra else None
        return {"input_sha256": sha, "input_file": name, "package_version": str(version),
                "recorded_at": stamp.replace(microsecond=0).isoformat(), "cases": cases,
                "details": details}

    # ------------------------------------------------------------------ reading

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        try:
            return self._db.execute(sql, tuple(params)).fetchall()
        except sqlite3.Error as exc:
            raise HistoryError(f"could not read the history file {self.path}: {exc}") from exc

    def metrics(self, partnership: str | None = None,
                metric: str | Sequence[str] | None = None,
                period: str | Sequence[str] | None = None) -> pd.DataFrame:
        """The stored metrics, tidy: one row a (partnership, period, metric).

        Columns :data:`HISTORY_COLUMNS`. Filters: ``partnership`` (``None`` = every
        partnership; pass :data:`ALL_PARTNERSHIPS` for the whole-extract audits), ``metric``
        and ``period`` (one or several). Sorted by partnership, period (chronologically) and
        metric (contract order). Counts int64; rates float (NaN where not available).
        """
        clauses, params = [], []
        for column, value in (("m.partnership", partnership), ("m.metric", metric),
                              ("m.period", period)):
            if value is None:
                continue
            values = [value] if isinstance(value, str) else list(value)
            if column == "m.partnership":
                values = [v.strip() for v in values]
            if column == "m.period":
                values = [str(v).strip().upper() for v in values]
            clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._query(
            "SELECT m.partnership, m.period, m.metric, m.numerator, m.denominator, m.unknown, "
            "m.rate, m.ci_low, m.ci_high, r.recorded_at, r.input_sha256, r.input_file, "
            "r.package_version FROM metrics m JOIN runs r "
            f"ON r.partnership = m.partnership AND r.period = m.period {where}", params)
        rows.sort(key=lambda r: (r[0], _period_key(r[1]), _METRIC_ORDER.get(r[2], 10**6), r[2]))
        frame = pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))
        for column in ("partnership", "period", "metric", "recorded_at", "input_sha256",
                       "input_file", "package_version"):
            frame[column] = frame[column].astype("str")
        for column in _COUNT_COLUMNS:
            frame[column] = frame[column].astype(np.int64)
        for column in _RATE_COLUMNS:
            frame[column] = pd.to_numeric(frame[column]).astype("float64")
        return frame

    def runs(self) -> pd.DataFrame:
        """One row a recorded (partnership, period) with its provenance and metric count.

        Columns :data:`RUN_COLUMNS`; ``cases`` is nullable (``Int64``), ``details`` the extra
        provenance as JSON text (empty if none). Sorted by partnership then period.
        """
        rows = self._query(
            "SELECT r.partnership, r.period, r.recorded_at, r.input_sha256, r.input_file, "
            "r.package_version, r.cases, (SELECT COUNT(*) FROM metrics m WHERE "
            "m.partnership = r.partnership AND m.period = r.period), r.details FROM runs r")
        rows.sort(key=lambda r: (r[0], _period_key(r[1])))
        frame = pd.DataFrame(rows, columns=list(RUN_COLUMNS))
        frame["cases"] = pd.array(frame["cases"].tolist(), dtype="Int64")
        frame["metrics"] = frame["metrics"].astype(np.int64)
        frame["details"] = frame["details"].fillna("").astype("str")
        return frame

    def periods(self, partnership: str | None = None) -> list[str]:
        """The periods recorded, in time order, for ``partnership`` (``None`` = any)."""
        if partnership is None:
            rows = self._query("SELECT DISTINCT period FROM runs")
        else:
            rows = self._query("SELECT period FROM runs WHERE partnership = ?",
                               (partnership.strip(),))
        return sorted((r[0] for r in rows), key=_period_key)

    def partnerships(self) -> list[str]:
        """The partnership keys recorded (``"all"`` for whole-extract audits), sorted."""
        return sorted(r[0] for r in self._query("SELECT DISTINCT partnership FROM runs"))

    def export_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write every stored metric with its provenance as CSV: byte-identical for the same
        contents, whatever order they were recorded in.

        Columns :data:`HISTORY_COLUMNS`; rows as :meth:`metrics` sorts them; rates to 6
        decimal places, missing cells empty; UTF-8 without byte-order mark, ``\\n`` line
        endings. Written to a temporary file and renamed, so never half-written.
        """
        frame = self.metrics()
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(HISTORY_COLUMNS)
        for row in frame.itertuples(index=False):
            cells = []
            for column, value in zip(HISTORY_COLUMNS, row):
                if column in _RATE_COLUMNS:
                    cells.append("" if math.isnan(value) else f"{value + 0.0:.6f}")
                else:
                    cells.append(str(value))
            writer.writerow(cells)
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(buffer.getvalue())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target


# --------------------------------------------------------------------------- opening


def _migrate(db: sqlite3.Connection, path: Path,
             migrations: Sequence[Sequence[str]]) -> None:
    """Bring the schema up to ``len(migrations)``, one transaction a step."""
    target = len(migrations)
    while True:
        db.execute("BEGIN IMMEDIATE")
        try:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            app_id = int(db.execute("PRAGMA application_id").fetchone()[0])
            if app_id not in (0, APPLICATION_ID):
                raise HistoryError(f"{path} is an SQLite database of another application, not "
                                   "an audit history: choose another --history path")
            if version == 0 and app_id == 0:
                tables = db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
                if tables:
                    raise HistoryError(f"{path} is an SQLite database that is not an audit "
                                       "history (it already holds other tables): choose "
                                       "another --history path")
            if version > target:
                raise HistoryError(
                    f"the history file {path} has schema version {version}, written by a newer "
                    f"release of audit; this release understands up to version {target}. "
                    "Upgrade audit (pip install -U audit) to use it; the file was not changed.")
            if version == target:
                db.execute("COMMIT")
                return
            for statement in migrations[version]:
                db.execute(statement)
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {version + 1}")
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise


def _use_wal(db: sqlite3.Connection) -> None:
    """Switch the file to WAL (a no-op once it is WAL: the mode is stored in the file).

    Switching needs an exclusive lock and SQLite answers ``SQLITE_BUSY`` at once, without its
    busy handler, when another process holds the file - as when two runs create a new
    history at the same moment - so the switch is retried until ``BUSY_TIMEOUT_MS``.
    A file system that cannot run WAL keeps the rollback journal.
    """
    if str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL").fetchone()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def open_history(path: str | os.PathLike[str], *,
                 migrations: Sequence[Sequence[str]] = MIGRATIONS) -> HistoryStore:
    """Open (or create) the history file at ``path``, migrating it to the current schema.

    Creates the parent folder and the file when missing. WAL journal, 10 s busy timeout,
    foreign keys on. ``HistoryError`` (with what to do) for a path that is a folder, a file
    that is not an SQLite database or is damaged, another application's database, or a
    schema newer than this release's. ``migrations`` is for tests; leave the default.
    """
    path = Path(path)
    if path.is_dir():
        raise HistoryError(f"the history path {path} is a folder: give a file name such as "
                           f"{path / 'history.sqlite'}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HistoryError(f"cannot create the folder for the history file {path}: "
                           f"{exc.strerror or exc}") from exc
    try:
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    except sqlite3.Error as exc:
        raise HistoryError(f"cannot open the history file {path}: {exc}") from exc
    try:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # reads the header
        _use_wal(db)
        db.execute("PRAGMA synchronous = FULL")
        _migrate(db, path, migrations)
        return HistoryStore(path, db)
    except HistoryError:
        db.close()
        raise
    except sqlite3.OperationalError as exc:
        db.close()
        if "locked" in str(exc) or "busy" in str(exc):
            raise HistoryError(
                f"the history file {path} stayed locked by another audit run for "
                f"{BUSY_TIMEOUT_MS // 1000} s: try again when it has finished") from exc
        raise HistoryError(f"cannot open the history file {path}: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        db.close()
        raise _damaged(path, exc) from exc
    except BaseException:
        db.close()
        raise


def read_quarters(path: str | Path | None, partnership: str | None) -> pd.DataFrame | None:
    """Earlier quarters recorded for ``partnership`` (``None``: the whole extract), as the
    trend charts take them; ``None`` when there is no store at ``path``."""
    if not path or not Path(path).is_file():
        return None
    store = open_history(path)
    try:
        return store.metrics(partnership=partnership or ALL_PARTNERSHIPS)
    finally:
        store.close()
