"""The audit history: every quarter's (unsuppressed) metrics in one embedded SQLite file.

Trends, SPC charts and funnel plots need the figures of past quarters. ``audit run`` records
each audit's metrics table here, keyed by **partnership, period and metric id** (metric ids
are stable across releases: ``contract.METRIC_IDS``), with the provenance of the run: the
input extract's SHA-256 and file name, the package version and when it was recorded.

The file holds analyst figures (small counts included) but never case-level data: one row a
metric, as in ``metrics.csv``. Board and public outputs drawn from it go through
:mod:`audit.disclosure`
(the trend and SPC charts apply the rule to each point they draw).

Keys: what the figures are
==========================

* ``partnership`` — the partnership(s) whose cases the figures count, as the extract names
  them (:func:`history_key`: one partnership's name, or the set of a pooled extract's;
  an extract that names no partnership is not recorded). Names match ignoring case,
  spaces and punctuation: :mod:`audit.history.schema` says how and why.
* ``period`` — a calendar quarter ``"2025-Q3"`` or a calendar year ``"2025"``; ``"all"``
  is refused.
* ``metric`` — a contract metric id.

Recording again: same extract or a different one
================================================

Each recorded set keeps the SHA-256 of the extract it came from. Recording a key and period
again **from the same extract** replaces its rows silently (a re-run never duplicates a
quarter). Recording it **from a different extract** (another SHA-256) raises
:class:`~audit.errors.HistoryError` naming the extract that recorded it and when, unless
``replace=True`` (``audit run --replace``): a corrected extract is a deliberate choice, an
unrelated file that happens to cover the same quarter is a mistake. Either way one
transaction (``BEGIN IMMEDIATE``) deletes the old run and its metrics and inserts the new
ones, so a failure part-way (a crash, a full disk, an exception) leaves the previous rows
as they were. :meth:`HistoryStore.forget` removes a key's rows (``audit history --forget``).

Concurrency, network drives and schema versions
===============================================

WAL journal, a 10-second busy timeout, one computer per file (never a network drive), and
forward-only migrations: see :mod:`audit.history.schema`.

Provenance
==========

``record(..., provenance=...)`` takes a mapping with the extract's ``input_sha256`` and
``input_file`` (required) and optionally ``package_version``, ``recorded_at`` and ``cases``;
anything else is kept as JSON text: :func:`audit.history.rows.run_provenance` says how.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from audit.errors import HistoryError
from audit.files import atomic_write_text
from audit.formatting import csv_text
from audit.history.rows import (
    COUNT_COLUMNS,
    METRIC_ORDER,
    RATE_COLUMNS,
    check_period,
    metric_rows,
    period_key,
    run_provenance,
)
from audit.history.schema import (
    APPLICATION_ID,
    BUSY_TIMEOUT_MS,
    LEGACY_KEY,
    MIGRATIONS,
    SCHEMA_VERSION,
    SET_SEPARATOR,
    MigrationStep,
    connect,
    history_key,
    key_members,
    match_key,
    name_key,
    partnerships_in,
)
from audit.intake.extract import CaseExtract

__all__ = [
    "LEGACY_KEY",
    "SET_SEPARATOR",
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "MIGRATIONS",
    "BUSY_TIMEOUT_MS",
    "HISTORY_COLUMNS",
    "RUN_COLUMNS",
    "HistoryStore",
    "open_history",
    "history_key",
    "partnerships_in",
    "name_key",
    "quarters_for",
    "AuditFigures",
    "RecordedSet",
    "audit_sets",
    "record_history",
]


#: Columns of :meth:`HistoryStore.metrics`, in order.
HISTORY_COLUMNS: tuple[str, ...] = (
    "partnership",
    "period",
    "metric",
    *COUNT_COLUMNS,
    *RATE_COLUMNS,
    "recorded_at",
    "input_sha256",
    "input_file",
    "package_version",
)
#: Columns of :meth:`HistoryStore.runs`, in order.
RUN_COLUMNS: tuple[str, ...] = (
    "partnership",
    "period",
    "recorded_at",
    "input_sha256",
    "input_file",
    "package_version",
    "cases",
    "metrics",
    "details",
)

# One set ready to write: (key, match key, period, metric rows, provenance).
_Prepared = tuple[str, str, str, list[tuple], dict[str, Any]]


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

    @property
    def connection(self) -> sqlite3.Connection:
        """The open connection, for the publication ledger (:mod:`audit.disclosure.ledger`)."""
        return self._db

    # ------------------------------------------------------------------ writing

    @contextmanager
    def _transaction(self, doing: Callable[[], str]) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction, committed whole or rolled back on any
        exception; an SQLite error becomes a ``HistoryError`` saying what could not be done
        (``doing()``, read when it fails: "record Eastmere 2025-Q3 in")."""
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise HistoryError(f"could not {doing()} the history file {self.path}: {exc}") from exc

    def _after_delete(self) -> None:
        """Called between the delete and the insert of :meth:`record` (a seam for tests that
        inject a fault there; does nothing)."""

    def record(
        self,
        metrics_table: pd.DataFrame,
        *,
        partnership: str,
        period: str,
        provenance: Mapping[str, Any],
        replace: bool = False,
    ) -> int:
        """Store an audit's metrics under ``partnership`` (a key from :func:`history_key`)
        and ``period``, in one transaction. Returns the number of metric rows stored.

        ``metrics_table`` is the analyst (unsuppressed) table: ``metric``, ``numerator``,
        ``denominator``, ``unknown``, ``rate``, ``ci_low``, ``ci_high`` (other columns are
        ignored). Provenance keys: module docstring. The same extract (SHA-256) recorded
        again replaces its rows; a different extract raises ``HistoryError`` unless
        ``replace``. ``ValueError`` for a suppressed (``c``) or malformed table, an unknown
        metric id, a malformed period or missing provenance; ``HistoryError`` if the
        database cannot be written.
        """
        return self.record_many([(metrics_table, partnership, period, provenance)], replace=replace)

    def record_many(
        self,
        sets: Sequence[tuple[pd.DataFrame, str, str, Mapping[str, Any]]],
        *,
        replace: bool = False,
    ) -> int:
        """Record several (metrics_table, key, period, provenance) sets in ONE transaction:
        either every set replaces its earlier record, or nothing changes. Returns the
        number of metric rows stored. Checks as :meth:`record`; every conflict with an
        earlier extract is listed in one ``HistoryError``.
        """
        prepared = self._prepare(sets)
        if not prepared:
            return 0
        db = self._db
        key = period = ""
        with self._transaction(lambda: f"record {key} {period} in"):
            prepared = self._resolve(prepared, replace=replace)
            for key, match, period, rows, run in prepared:
                db.execute(
                    "DELETE FROM metrics WHERE (partnership, period) IN (SELECT "
                    "partnership, period FROM runs WHERE name_key = ? AND "
                    "period = ?)",
                    (match, period),
                )
                db.execute("DELETE FROM runs WHERE name_key = ? AND period = ?", (match, period))
                self._after_delete()
                db.execute(
                    "INSERT INTO runs (partnership, period, recorded_at, input_sha256, "
                    "input_file, package_version, cases, details, name_key) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        key,
                        period,
                        run["recorded_at"],
                        run["input_sha256"],
                        run["input_file"],
                        run["package_version"],
                        run["cases"],
                        run["details"],
                        match,
                    ),
                )
                db.executemany(
                    "INSERT INTO metrics (partnership, period, metric, numerator, "
                    "denominator, unknown, rate, ci_low, ci_high) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(key, period, *row) for row in rows],
                )
        return sum(len(rows) for _, _, _, rows, _ in prepared)

    def check_many(self, sets: Sequence[tuple[str, str, str]], *, replace: bool = False) -> None:
        """Raise the ``HistoryError`` that :meth:`record_many` would raise for these
        (key, period, input_sha256) sets, writing nothing: ``audit run`` calls it before
        the notebooks, so a conflict costs seconds, not a whole run."""
        prepared: list[_Prepared] = []
        for key, period, sha in sets:
            key = self._partnership_key(key)
            prepared.append(
                (
                    key,
                    match_key(key_members(key)),
                    check_period(period),
                    [],
                    {"input_sha256": str(sha).strip().lower()},
                )
            )
        self._resolve(prepared, replace=replace)

    def _prepare(
        self, sets: Sequence[tuple[pd.DataFrame, str, str, Mapping[str, Any]]]
    ) -> list[_Prepared]:
        prepared: list[_Prepared] = []
        for metrics_table, partnership, period, provenance in sets:
            key = self._partnership_key(partnership)
            prepared.append(
                (
                    key,
                    match_key(key_members(key)),
                    check_period(period),
                    metric_rows(metrics_table),
                    run_provenance(provenance),
                )
            )
        return prepared

    def _resolve(self, prepared: list, *, replace: bool) -> list:
        """Spell each key as the store already does and refuse another extract's periods.

        Called inside the write transaction (or on its own, by :meth:`check_many`), so the
        spellings and the earlier runs it reads cannot change before the rows are written.
        """
        spelling = self._spellings()
        earlier = {
            (match, period): (when, sha, name)
            for match, period, when, sha, name in self._query(
                "SELECT name_key, period, recorded_at, input_sha256, input_file FROM runs"
            )
        }
        resolved, conflicts = [], []
        for key, match, period, rows, run in prepared:
            members = [spelling.setdefault(name_key(m), m) for m in key_members(key)]
            key = (
                SET_SEPARATOR.join(sorted(members, key=name_key))
                if len(members) > 1
                else members[0]
            )
            before = earlier.get((match, period))
            if before is not None and before[1] != run["input_sha256"] and not replace:
                when, sha, name = before
                conflicts.append(
                    f"{key} {period} was recorded from {name} (SHA-256 {sha[:12]}…) at {when}"
                )
            resolved.append((key, match, period, rows, run))
        if conflicts:
            shown = "; ".join(conflicts[:5]) + (
                f"; and {len(conflicts) - 5} more" if len(conflicts) > 5 else ""
            )
            raise HistoryError(
                f"the history file {self.path} already holds these figures from another "
                f"extract: {shown}. This run's extract is a different file. If it corrects "
                "that one, run again with --replace; if not, check that "
                "you chose the right extract and partnership, or record into another "
                "--history file. Nothing was recorded."
            )
        return resolved

    def _spellings(self) -> dict[str, str]:
        """Match key of every partnership name in the store -> its stored spelling (the
        first recorded)."""
        spelling: dict[str, str] = {}
        for (key,) in self._query("SELECT partnership FROM runs ORDER BY recorded_at, rowid"):
            for member in key_members(key):
                spelling.setdefault(name_key(member), member)
        return spelling

    def forget(self, partnership: str, period: str | None = None) -> int:
        """Remove the recorded sets of ``partnership`` (a key as :meth:`runs` lists it,
        matched ignoring case, spaces and punctuation; a pooled set's members in any order), for
        every period or only ``period``. Returns the number of partnership-period sets
        removed (0 if none matched). One transaction."""
        key = self._partnership_key(partnership)
        matches = self._matches(key)
        where = f"name_key IN ({', '.join('?' * len(matches))})"
        params: list[Any] = sorted(matches)
        if period is not None:
            where += " AND period = ?"
            params.append(check_period(period))
        db = self._db
        with self._transaction(lambda: f"remove {key} from"):
            db.execute(
                "DELETE FROM metrics WHERE (partnership, period) IN (SELECT "
                f"partnership, period FROM runs WHERE {where})",
                params,
            )
            removed = db.execute(f"DELETE FROM runs WHERE {where}", params).rowcount
        return int(removed)

    @staticmethod
    def _matches(key: str) -> set[str]:
        """The stored match keys a key typed by an analyst can mean: one name, a pooled
        set in any order, and ``all`` for :data:`LEGACY_KEY`."""
        matches = {
            match_key(key_members(key)),
            match_key([key]),
            match_key(re.split(r"\s*\+\s*", key)),
        }  # "a+b" typed for "A + B"
        if name_key(key) == "all":
            matches.add(match_key([LEGACY_KEY]))
        return matches

    @staticmethod
    def _partnership_key(partnership: str) -> str:
        if not isinstance(partnership, str) or not partnership.strip():
            raise ValueError(
                "partnership must be the non-empty key of the partnership(s) "
                "whose figures these are (see audit.history.history_key)"
            )
        return " ".join(partnership.split())

    # ------------------------------------------------------------------ reading

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        try:
            return self._db.execute(sql, tuple(params)).fetchall()
        except sqlite3.Error as exc:
            raise HistoryError(f"could not read the history file {self.path}: {exc}") from exc

    def metrics(
        self,
        partnership: str | None = None,
        metric: str | Sequence[str] | None = None,
        period: str | Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """The stored metrics, tidy: one row a (partnership, period, metric).

        Columns :data:`HISTORY_COLUMNS`. Filters: ``partnership`` (``None`` = every key;
        keys match ignoring case, spaces and punctuation, a pooled set's members in any order),
        ``metric`` and ``period`` (one or several). Sorted by partnership, period
        (chronologically) and
        metric (contract order). Counts int64; rates float (NaN where not available).
        """
        clauses, params = [], []
        for column, value in (
            ("r.name_key", partnership),
            ("m.metric", metric),
            ("m.period", period),
        ):
            if value is None:
                continue
            values = [value] if isinstance(value, str) else list(value)
            if column == "r.name_key":
                values = sorted(
                    {m for v in values for m in self._matches(self._partnership_key(v))}
                )
            if column == "m.period":
                values = [str(v).strip().upper() for v in values]
            clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._query(
            "SELECT m.partnership, m.period, m.metric, m.numerator, m.denominator, m.unknown, "
            "m.rate, m.ci_low, m.ci_high, r.recorded_at, r.input_sha256, r.input_file, "
            "r.package_version FROM metrics m JOIN runs r "
            f"ON r.partnership = m.partnership AND r.period = m.period {where}",
            params,
        )
        rows.sort(key=lambda r: (r[0], period_key(r[1]), METRIC_ORDER.get(r[2], 10**6), r[2]))
        frame = pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))
        for column in HISTORY_COLUMNS:  # counts whole, rates float, the rest text
            if column in COUNT_COLUMNS:
                frame[column] = frame[column].astype(np.int64)
            elif column in RATE_COLUMNS:
                frame[column] = pd.to_numeric(frame[column]).astype("float64")
            else:
                frame[column] = frame[column].astype("str")
        return frame

    def runs(self, partnership: str | None = None) -> pd.DataFrame:
        """One row a recorded (partnership, period) with its provenance and metric count.

        Columns :data:`RUN_COLUMNS`; ``cases`` is nullable (``Int64``), ``details`` the extra
        provenance as JSON text (empty if none). Sorted by partnership then period.
        ``partnership`` keeps one key's rows (matched as :meth:`metrics` does).
        """
        where, params = "", []
        if partnership is not None:
            matches = sorted(self._matches(self._partnership_key(partnership)))
            where = f"WHERE r.name_key IN ({', '.join('?' * len(matches))})"
            params = matches
        rows = self._query(
            "SELECT r.partnership, r.period, r.recorded_at, r.input_sha256, r.input_file, "
            "r.package_version, r.cases, (SELECT COUNT(*) FROM metrics m WHERE "
            f"m.partnership = r.partnership AND m.period = r.period), r.details FROM runs r "
            f"{where}",
            params,
        )
        rows.sort(key=lambda r: (r[0], period_key(r[1])))
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
            matches = sorted(self._matches(self._partnership_key(partnership)))
            rows = self._query(
                "SELECT DISTINCT period FROM runs WHERE name_key IN "
                f"({', '.join('?' * len(matches))})",
                matches,
            )
        return sorted((r[0] for r in rows), key=period_key)

    def partnerships(self) -> list[str]:
        """The keys recorded (one partnership, or a pooled set), sorted."""
        return sorted(r[0] for r in self._query("SELECT DISTINCT partnership FROM runs"))

    def export_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write every stored metric with its provenance as CSV: byte-identical for the same
        contents, whatever order they were recorded in.

        Columns :data:`HISTORY_COLUMNS`; rows as :meth:`metrics` sorts them; rates to 6
        decimal places, missing cells empty; text that begins like a formula (``=``, ``+``,
        ``-``, ``@``) gets a leading apostrophe (:func:`audit.formatting.csv_text`); UTF-8
        without byte-order mark, ``\\n`` line endings. Written to a temporary file and
        renamed, so never half-written.
        """
        frame = self.metrics()
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(HISTORY_COLUMNS)
        for row in frame.itertuples(index=False):
            cells = []
            for column, value in zip(HISTORY_COLUMNS, row):
                if column in RATE_COLUMNS:
                    cells.append("" if math.isnan(value) else f"{value + 0.0:.6f}")
                elif isinstance(value, str):
                    cells.append(csv_text(value))  # a name from an extract is never a formula
                else:
                    cells.append(str(value))
            writer.writerow(cells)
        return atomic_write_text(path, buffer.getvalue())


# --------------------------------------------------------------------------- opening


def open_history(
    path: str | os.PathLike[str], *, migrations: Sequence[MigrationStep] = MIGRATIONS
) -> HistoryStore:
    """Open (or create) the history file at ``path``, migrating it to the current schema.

    Creates the parent folder and the file when missing. WAL journal, 10 s busy timeout,
    foreign keys on. ``HistoryError`` (with what to do) for a path that is a folder, a file
    that is not an SQLite database or is damaged, another application's database, or a
    schema newer than this release's. ``migrations`` is for tests; leave the default.
    """
    path = Path(path)
    return HistoryStore(path, connect(path, migrations))


# --------------------------------------------------------------------------- keys and reading


def quarters_for(store: HistoryStore, key: str, until: str | None = None) -> pd.DataFrame:
    """The quarterly metrics recorded under ``key``, up to and including ``until``.

    ``key`` as :func:`history_key` gives it (matched ignoring case, spaces and punctuation);
    ``until`` a quarter (``"2025-Q3"``), a year (``"2025"``: its four quarters) or ``None``
    for every quarter. Years recorded as periods are left out (they are not points on a
    quarterly axis). Columns ``period, metric, numerator, denominator, unknown, rate,
    ci_low, ci_high``, sorted by period then metric in contract order.
    """
    rows = store.metrics(partnership=key)
    keep = rows["period"].str.contains("-Q", regex=False).to_numpy(dtype=bool, copy=True)
    if until is not None:
        end = check_period(until)
        last = period_key(end if "-Q" in end else f"{end}-Q4")
        # A boolean array, never a list: an empty list would select columns, not rows
        # (a store without this key's quarters crashed every first run, issue 21).
        keep &= np.fromiter(
            (period_key(p) <= last for p in rows["period"]), dtype=bool, count=len(rows)
        )
    columns = ["period", "metric", *COUNT_COLUMNS, *RATE_COLUMNS]
    return rows.loc[keep, columns].reset_index(drop=True)


# --------------------------------------------------------------------------- recording an audit


class AuditFigures(Protocol):
    """What :func:`record_history` reads of an audit (:class:`audit.workspace.AuditData`)."""

    @property
    def period(self) -> str: ...

    @property
    def partnership(self) -> str | None: ...

    @property
    def level(self) -> float: ...

    @property
    def metrics(self) -> pd.DataFrame: ...

    @property
    def in_scope(self) -> int: ...


#: One set an audit records: (key, period, metrics table, cases in scope).
RecordedSet = tuple[str, str, pd.DataFrame, int]


def audit_sets(
    data: AuditFigures, validated: CaseExtract, *, each_quarter: bool = False
) -> list[RecordedSet]:
    """The (key, period, metrics, cases) sets an audit records (:func:`record_history`).

    The audit's own period unless it is "all"; with ``each_quarter`` every quarter of the
    extract as well, computed here from the cases (a backfill), under the same key and, for
    a pooled extract, under each partnership's own key.
    """
    from audit.measures.metrics import metrics_by, quarter_label, select_partnership

    if data.period == "all" and not each_quarter:
        return []  # a run over every case has no place on a time axis: nothing to record
    cases = validated.cases
    if data.partnership:
        cases = select_partnership(cases, data.partnership)
    members = partnerships_in(cases)
    key = history_key(members)
    sets: list[RecordedSet] = []
    if data.period != "all":
        sets.append((key, data.period, data.metrics, data.in_scope))
    if not each_quarter:
        return sets
    scopes = [(key, cases)]
    if len(members) > 1:
        scopes += [(history_key([name]), select_partnership(cases, name)) for name in members]
    for scope, scope_cases in scopes:
        quarterly = metrics_by(scope_cases, by="quarter", level=data.level)
        sizes = quarter_label(scope_cases["notification_date"]).value_counts()
        for quarter, table in quarterly.groupby("quarter", sort=True):
            if scope == key and quarter == data.period:
                continue  # already in the list
            sets.append(
                (scope, str(quarter), table.drop(columns="quarter"), int(sizes.get(quarter, 0)))
            )
    return sets


def record_history(
    history: str | Path,
    data: AuditFigures,
    validated: CaseExtract,
    *,
    each_quarter: bool = False,
    recorded_at: str | None = None,
    replace: bool = False,
    check_only: bool = False,
) -> int:
    """Record an audit's unsuppressed metrics (the sets of :func:`audit_sets`) in the history
    store, in one transaction; returns the number of sets. An extract naming no partnership,
    or a period recorded from a different extract (unless ``replace``), raises
    ``HistoryError``. ``check_only`` checks without writing (``audit run``, before the
    notebooks)."""
    sets = audit_sets(data, validated, each_quarter=each_quarter)
    if check_only:
        if sets and Path(history).is_file():  # a new store has nothing to conflict with
            with open_history(history) as store:
                store.check_many(
                    [(scope, period, validated.sha256) for scope, period, _table, _n in sets],
                    replace=replace,
                )
        return len(sets)
    if not sets:
        return 0
    provenance: dict[str, Any] = {
        "input_sha256": validated.sha256,
        "input_file": validated.input_name(),
    }
    if recorded_at:
        provenance["recorded_at"] = recorded_at
    with open_history(history) as store:
        # One transaction: a failure part-way leaves the history as it was.
        store.record_many(
            [
                (table, scope, period, {**provenance, "cases": n})
                for scope, period, table, n in sets
            ],
            replace=replace,
        )
    return len(sets)
