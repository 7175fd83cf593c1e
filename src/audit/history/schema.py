"""The audit history's SQLite file: connection settings, schema versions and migrations.

:mod:`audit.history` is the store's interface; this module opens the file and keeps its
schema. Everything here is re-exported there (``from audit.history import MIGRATIONS``).

Keys: what the figures are
==========================

* ``partnership`` — the partnership(s) whose cases the figures count, **as the extract
  names them** (:func:`history_key`), never a label another source could share:

  - an extract (or the ``--partnership`` selection of one) holding one partnership records
    under that partnership's name, whether or not ``--partnership`` was given;
  - a pooled extract records under the *set* of its partnerships, sorted and joined with
    ``" + "`` (``"Eastmere + Northbridge + Westvale"``), so two pools of different
    partnerships never share a key;
  - an extract that names no partnership (no ``partnership`` column, or every cell blank)
    is **not recorded**: :class:`~audit.errors.HistoryError` asks for a partnership column.
    A key made up from the file name would change with every quarter's file, and a fixed
    one would be shared by every such extract, which is how sample figures reached a real
    trend chart (issue 12).

  Names match **ignoring case, spaces and punctuation** (``"harbourside"``, ``"Harbour
  side"``, ``"Harbour-side"`` and ``"HARBOURSIDE"`` are one partnership; schema version 4)
  and are stored in one spelling: the first one the store saw. Releases before schema
  version 3 stored whole-extract runs under ``"all"``; migration renames those rows
  :data:`LEGACY_KEY` so that no new run can add to them (``audit history`` points them
  out; ``audit history --forget`` removes them).
* ``period`` — a calendar quarter ``"2025-Q3"`` or a calendar year ``"2025"`` (as
  ``audit run --period`` takes it). ``"all"`` is refused: a run over every case has no place
  on a time axis.
* ``metric`` — a contract metric id.

Concurrency and durability
==========================

The database runs in WAL mode with a 10-second ``busy_timeout``: readers never block the
writer, and two processes recording at once (two partnerships' runs on one analysis server)
queue for the write lock rather than fail or corrupt the file. WAL keeps its index in shared
memory (the ``-shm`` file, mapped into every process that opens the database), so every
process must be on **one computer**: SQLite documents that WAL does not work over a network
file system, and that the byte-range locks of network file systems (a Windows mapped drive
or UNC path, SMB, NFS) are unreliable, so two computers writing one file can corrupt it.
Keep the file on a local disk of the machine that runs the audit (docs/assumptions-and-
caveats.md, C21). Where the file system cannot run WAL, SQLite keeps its rollback journal,
which is still safe for one host.

Schema versions
===============

The schema version is SQLite's ``PRAGMA user_version``; ``PRAGMA application_id`` marks the
file as an audit history (:data:`APPLICATION_ID`), so another program's SQLite file is
refused rather than altered. :data:`MIGRATIONS` is an ordered list of forward-only steps,
each a list of statements; step ``i`` takes the schema from version ``i`` to ``i + 1``.
Opening a file applies the missing steps, each in its own ``BEGIN IMMEDIATE`` transaction
that also sets ``user_version``, so a failed migration leaves the file at the previous
version. An item of a step is an SQL statement, or a function of the connection for a
change SQL alone cannot make (Unicode case folding, step 3). A file from a *newer* schema
(written by a later release of audit) is refused with
:class:`~audit.errors.HistoryError`: this release cannot know what the newer columns mean.
Never edit a released step; append a new one.

Versions: 1 runs and metrics; 2 case count, free-form provenance and a per-metric index;
3 keys that name the partnership(s) (a match key per run, unique per period, the shared
``"all"`` key retired to :data:`LEGACY_KEY`, spellings merged).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from audit.errors import HistoryError

__all__ = [
    "history_key",
    "partnerships_in",
    "LEGACY_KEY",
    "SET_SEPARATOR",
    "APPLICATION_ID",
    "BUSY_TIMEOUT_MS",
    "MigrationStep",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "name_key",
    "key_members",
    "match_key",
    "connect",
    "migrate",
    "use_wal",
]

#: Where schema version 3 moves the rows that earlier releases stored under the shared
#: whole-extract key ``"all"``: no run records there any more.
LEGACY_KEY = "all (legacy)"
#: Joins the partnerships of a pooled extract in its key.
SET_SEPARATOR = " + "
#: ``PRAGMA application_id`` of an audit history file ("AUDH").
APPLICATION_ID = 0x41554448
#: How long a writer waits for another process's write lock before giving up.
BUSY_TIMEOUT_MS = 10_000


#: Partnership cells that name no partnership (:data:`audit.intake.names.UNNAMED`; validation
#: refuses them among named rows and drops a column of nothing else).
_UNNAMED = {"", "unknown"}


def name_key(name: str) -> str:
    """The match key of one partnership name: :func:`audit.intake.names.partnership_key`
    (Unicode-normalised, case-folded, without spaces or punctuation), so spellings that
    differ only in case, spacing or punctuation ("Harbour-side", "Harbourside") are one
    name, in the store as in validation and ``--partnership``."""
    from audit.intake.names import partnership_key

    return partnership_key(name)


def key_members(key: str) -> list[str]:
    """The partnership names of a stored key (one, or a pooled set's members)."""
    return [m.strip() for m in key.split(SET_SEPARATOR)] if SET_SEPARATOR in key else [key]


def match_key(members: Sequence[str]) -> str:
    """The match key of a key's members: order-, case-, space- and punctuation-insensitive."""
    return SET_SEPARATOR.join(sorted({name_key(m) for m in members}))


def _merge_spellings(db: sqlite3.Connection) -> None:
    """Migration 3: fill ``name_key``, retire the shared ``"all"`` key and merge spellings.

    Keys whose names differ only in case or spacing become the spelling of the earliest
    recorded run; where two spellings recorded the same period, the later recording is
    kept (it replaced the other in the analyst's intent) and the earlier one removed.
    """
    db.execute("PRAGMA defer_foreign_keys = ON")  # keys change in runs and metrics together
    db.execute("UPDATE metrics SET partnership = ? WHERE partnership = 'all'", (LEGACY_KEY,))
    db.execute("UPDATE runs SET partnership = ? WHERE partnership = 'all'", (LEGACY_KEY,))
    rows = db.execute(
        "SELECT rowid, partnership, period, recorded_at FROM runs ORDER BY recorded_at, rowid"
    ).fetchall()
    spelling: dict[str, str] = {}
    latest: dict[tuple[str, str], tuple[int, str]] = {}
    for rowid, key, period, _when in rows:
        match = match_key(key_members(key))
        spelling.setdefault(match, key)
        previous = latest.get((match, period))
        if previous is not None:  # an earlier recording under another spelling
            db.execute(
                "DELETE FROM metrics WHERE partnership = ? AND period = ?", (previous[1], period)
            )
            db.execute("DELETE FROM runs WHERE rowid = ?", (previous[0],))
        latest[(match, period)] = (rowid, key)
    for (match, period), (rowid, key) in latest.items():
        canonical = spelling[match]
        db.execute(
            "UPDATE metrics SET partnership = ? WHERE partnership = ? AND period = ?",
            (canonical, key, period),
        )
        db.execute(
            "UPDATE runs SET partnership = ?, name_key = ? WHERE rowid = ?",
            (canonical, match, rowid),
        )


#: One step of :data:`MIGRATIONS`: SQL statements, or functions of the connection.
MigrationStep = Sequence[str | Callable[[sqlite3.Connection], None]]

#: Forward-only schema migrations. Step ``i`` (0-based) takes version ``i`` to ``i + 1``.
MIGRATIONS: tuple[MigrationStep, ...] = (
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
    # 3: keys name what the figures are (issue 12): a match key per run, unique per period,
    #    so two spellings of one partnership can never hold the same quarter; the old
    #    shared "all" key retired to LEGACY_KEY; spellings merged (_merge_spellings).
    (
        "ALTER TABLE runs ADD COLUMN name_key TEXT",
        _merge_spellings,
        "CREATE UNIQUE INDEX runs_by_name_key ON runs (name_key, period)",
    ),
    # 4: names match ignoring punctuation too, as validation and --partnership do (issue
    #    21): match keys recomputed and spellings merged again (_merge_spellings).
    (_merge_spellings,),
    # 5: the publication ledger (issue 22): every public pack's figures.csv, so the next
    #    public pack is attacked together with what was already published
    #    (audit.disclosure.ledger).
    (
        """
        CREATE TABLE releases (
            figures_sha256 TEXT PRIMARY KEY,
            name           TEXT NOT NULL,
            partnerships   TEXT NOT NULL,
            period         TEXT NOT NULL,
            threshold      INTEGER NOT NULL,
            recorded_at    TEXT NOT NULL,
            figures        TEXT NOT NULL
        )
        """,
    ),
    # 6: each release's single-pack ranges, worked out once (audit.disclosure.ledger
    #    kept_ranges): every later public pack's check reads the earlier packs' ranges, and
    #    recomputing them was a sixth of protecting a year. ``model`` names the code that
    #    computed them; ranges of other code are not read.
    (
        """
        CREATE TABLE release_ranges (
            figures_sha256 TEXT NOT NULL
                REFERENCES releases (figures_sha256) ON DELETE CASCADE,
            model          TEXT NOT NULL,
            count          TEXT NOT NULL,
            low            REAL NOT NULL,
            high           REAL,
            PRIMARY KEY (figures_sha256, model, count)
        )
        """,
    ),
)
#: The schema version this release writes.
SCHEMA_VERSION = len(MIGRATIONS)


def _damaged(path: Path, exc: BaseException) -> HistoryError:
    return HistoryError(
        f"the history file {path} cannot be read as an audit history database ({exc}). "
        "If it is damaged, restore it from a backup, or move it aside and the next run will "
        "start a new history; if it is another file, choose another --history path."
    )


def migrate(db: sqlite3.Connection, path: Path, migrations: Sequence[MigrationStep]) -> None:
    """Bring the schema up to ``len(migrations)``, one transaction a step."""
    target = len(migrations)
    while True:
        db.execute("BEGIN IMMEDIATE")
        try:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            app_id = int(db.execute("PRAGMA application_id").fetchone()[0])
            if app_id not in (0, APPLICATION_ID):
                raise HistoryError(
                    f"{path} is an SQLite database of another application, not "
                    "an audit history: choose another --history path"
                )
            if version == 0 and app_id == 0:
                tables = db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
                if tables:
                    raise HistoryError(
                        f"{path} is an SQLite database that is not an audit "
                        "history (it already holds other tables): choose "
                        "another --history path"
                    )
            if version > target:
                raise HistoryError(
                    f"the history file {path} has schema version {version}, written by a newer "
                    f"release of audit; this release understands up to version {target}. "
                    "Upgrade audit (pip install -U audit) to use it; the file was not changed."
                )
            if version == target:
                db.execute("COMMIT")
                return
            for statement in migrations[version]:
                if callable(statement):
                    statement(db)
                else:
                    db.execute(statement)
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {version + 1}")
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise


def use_wal(db: sqlite3.Connection) -> None:
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


def connect(path: Path, migrations: Sequence[MigrationStep] = MIGRATIONS) -> sqlite3.Connection:
    """Open (or create) the history file at ``path``, migrating it to the current schema.

    Creates the parent folder and the file when missing. WAL journal, 10 s busy timeout,
    foreign keys on. ``HistoryError`` (with what to do) for a path that is a folder, a file
    that is not an SQLite database or is damaged, another application's database, or a
    schema newer than this release's. ``migrations`` is for tests; leave the default.
    """
    if path.is_dir():
        raise HistoryError(
            f"the history path {path} is a folder: give a file name such as "
            f"{path / 'history.sqlite'}"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HistoryError(
            f"cannot create the folder for the history file {path}: {exc.strerror or exc}"
        ) from exc
    try:
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    except sqlite3.Error as exc:
        raise HistoryError(f"cannot open the history file {path}: {exc}") from exc
    try:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # reads the header
        use_wal(db)
        db.execute("PRAGMA synchronous = FULL")
        migrate(db, path, migrations)
        return db
    except HistoryError:
        db.close()
        raise
    except sqlite3.OperationalError as exc:
        db.close()
        if "locked" in str(exc) or "busy" in str(exc):
            raise HistoryError(
                f"the history file {path} stayed locked by another audit run for "
                f"{BUSY_TIMEOUT_MS // 1000} s: try again when it has finished"
            ) from exc
        raise HistoryError(f"cannot open the history file {path}: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        db.close()
        raise _damaged(path, exc) from exc
    except BaseException:
        db.close()
        raise


def partnerships_in(cases: pd.DataFrame) -> list[str]:
    """The partnerships a cases frame names, one spelling each (the first in sorted order
    of names that match ignoring case, spaces and punctuation); ``[]`` without a ``partnership``
    column. Blank or "unknown" cells name no partnership and are left out.
    """
    if "partnership" not in cases.columns:
        return []
    names: dict[str, str] = {}
    for value in sorted(str(v).strip() for v in cases["partnership"].dropna().unique()):
        if value.casefold() not in _UNNAMED:
            names.setdefault(name_key(value), value)
    return sorted(names.values(), key=name_key)


def history_key(cases_partnerships: Sequence[str]) -> str:
    """The history key of figures counted over cases of these partnerships.

    One partnership: its name (spaces tidied). Several: the set, sorted case-insensitively
    and joined with :data:`SET_SEPARATOR` (``"Eastmere + Northbridge + Westvale"``). Pass
    the partnerships of the cases the figures count — for an audit, the whole extract
    after any ``--partnership`` selection (:func:`partnerships_in`), not only the audit
    period's, so every quarter of one source shares one key. The store spells the result
    as it first saw each name (:meth:`HistoryStore.record_many`).

    :class:`~audit.errors.HistoryError` when no partnership is named: such figures cannot
    be told apart from any other unnamed extract's.
    """
    names: dict[str, str] = {}
    for value in cases_partnerships:
        text = " ".join(str(value).split())
        if text.casefold() not in _UNNAMED:
            names.setdefault(name_key(text), text)
    if not names:
        raise HistoryError(
            "this extract names no partnership (it has no 'partnership' column, or every "
            "cell of it is blank), so the history cannot record whose figures these are "
            "without mixing them with another source's. Add a 'partnership' column with "
            "your partnership's name on every row, or run with --no-history."
        )
    return SET_SEPARATOR.join(sorted(names.values(), key=name_key))
