"""audit.history: the SQLite store of quarterly metrics.

Replace semantics, atomicity under an injected fault, two processes writing at once, schema
versions and migrations, damaged files, and byte-identical CSV export. Keys that name what
the figures are, the different-extract guard, forget and migration 3: test_history_keys.py.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audit.errors import HistoryError
from audit.history import (
    APPLICATION_ID,
    HISTORY_COLUMNS,
    LEGACY_KEY,
    MIGRATIONS,
    RUN_COLUMNS,
    SCHEMA_VERSION,
    HistoryStore,
    open_history,
)
from audit.measures.metrics import metrics_from_counts

SHA_A = "a" * 64
SHA_B = "0123456789abcdef" * 4


def table(*rows: tuple[str, int, int, int]) -> pd.DataFrame:
    """A metrics table from (metric, numerator, denominator, unknown) rows."""
    counts = pd.DataFrame(rows, columns=["metric", "numerator", "denominator", "unknown"])
    return metrics_from_counts(counts)


def provenance(sha: str = SHA_A, **extra) -> dict:
    return {"input_sha256": sha, "input_file": "extract.csv",
            "recorded_at": "2025-07-01T09:30:00+00:00", **extra}


Q1 = table(("engagement.seen", 12, 40, 2), ("risk.domestic_abuse", 25, 39, 3),
           ("known_to.universal", 0, 41, 1))
Q2 = table(("engagement.seen", 20, 44, 0), ("risk.domestic_abuse", 30, 44, 0))


@pytest.fixture()
def store(tmp_path: Path):
    with open_history(tmp_path / "deep" / "folder" / "history.sqlite") as opened:
        yield opened


# --------------------------------------------------------------------------- opening


def test_open_creates_file_and_folder_in_wal_mode(tmp_path: Path):
    path = tmp_path / "a" / "b" / "history.sqlite"
    with open_history(path) as store:
        assert path.is_file()
        assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
        assert store.journal_mode == "wal"
        assert store._db.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000
        assert store._db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    # reopening an up-to-date file changes nothing
    with open_history(path) as again:
        assert again.schema_version == SCHEMA_VERSION == 6


def test_record_and_read_back(store: HistoryStore):
    assert store.record(Q1, partnership="Eastmere", period="2025-Q1",
                        provenance=provenance()) == 3
    rows = store.metrics()
    assert list(rows.columns) == list(HISTORY_COLUMNS)
    # contract order of metric ids: harmed_by, known_to, risk, engagement
    assert rows["metric"].tolist() == ["known_to.universal", "risk.domestic_abuse",
                                       "engagement.seen"]
    seen = rows.loc[rows["metric"] == "engagement.seen"].iloc[0]
    assert (seen["numerator"], seen["denominator"], seen["unknown"]) == (12, 40, 2)
    assert seen["rate"] == pytest.approx(0.3)
    expected = Q1.set_index("metric").loc["engagement.seen"]
    assert seen["ci_low"] == pytest.approx(expected["ci_low"])
    assert seen["ci_high"] == pytest.approx(expected["ci_high"])
    assert seen["partnership"] == "Eastmere" and seen["period"] == "2025-Q1"
    assert seen["input_sha256"] == SHA_A and seen["input_file"] == "extract.csv"
    assert seen["recorded_at"] == "2025-07-01T09:30:00+00:00"
    assert rows["numerator"].dtype == np.int64 and rows["rate"].dtype == np.float64


def test_recording_twice_replaces_and_never_duplicates(store: HistoryStore):
    store.record(Q1, partnership="Eastmere", period="2025-Q1", provenance=provenance())
    first = store.metrics()
    store.record(Q1, partnership="Eastmere", period="2025-Q1", provenance=provenance())
    pd.testing.assert_frame_equal(store.metrics(), first)
    assert len(store.runs()) == 1
    # a corrected extract (another SHA-256) replaces the quarter only when told to
    with pytest.raises(HistoryError, match="another extract"):
        store.record(Q2, partnership="Eastmere", period="2025-Q1",
                     provenance=provenance(SHA_B, recorded_at="2025-07-02T10:00:00Z"))
    pd.testing.assert_frame_equal(store.metrics(), first)
    store.record(Q2, partnership="Eastmere", period="2025-Q1", replace=True,
                 provenance=provenance(SHA_B, recorded_at="2025-07-02T10:00:00Z"))
    rows = store.metrics()
    # the metric the corrected extract no longer has is gone
    assert rows["metric"].tolist() == ["risk.domestic_abuse", "engagement.seen"]
    assert rows["numerator"].tolist() == [30, 20]
    assert set(rows["input_sha256"]) == {SHA_B}
    runs = store.runs()
    assert runs["recorded_at"].tolist() == ["2025-07-02T10:00:00+00:00"]


def test_keys_filter_case_and_space_insensitively(store: HistoryStore):
    store.record(Q1, partnership="Eastmere + Westvale", period="2025-Q1",
                 provenance=provenance())
    store.record(Q2, partnership="Eastmere", period="2025-Q2", provenance=provenance())
    store.record(Q2, partnership=" Westvale ", period=" 2025-q2 ", provenance=provenance())
    assert store.partnerships() == ["Eastmere", "Eastmere + Westvale", "Westvale"]
    assert set(store.metrics(partnership="westvale + EASTMERE")["period"]) == {"2025-Q1"}
    assert len(store.metrics()) == 3 + 2 + 2
    only = store.metrics(partnership=["eastmere", "WEST VALE"], metric="engagement.seen")
    assert only["partnership"].tolist() == ["Eastmere", "Westvale"]
    assert only["period"].tolist() == ["2025-Q2", "2025-Q2"]
    assert store.metrics(period="2025-Q1")["partnership"].unique().tolist() == [
        "Eastmere + Westvale"]


def test_periods_in_time_order(store: HistoryStore):
    for period in ("2025-Q1", "2024-Q4", "2024", "2024-Q1"):
        store.record(Q2, partnership="Eastmere", period=period, provenance=provenance())
    store.record(Q2, partnership="Westvale", period="2023-Q3", provenance=provenance())
    # a year sorts after its quarters
    assert store.periods("Eastmere") == ["2024-Q1", "2024-Q4", "2024", "2025-Q1"]
    assert store.periods() == ["2023-Q3", "2024-Q1", "2024-Q4", "2024", "2025-Q1"]
    assert store.periods("Nowhere") == []


def test_runs_carry_provenance(store: HistoryStore):
    store.record(Q1, partnership="Eastmere", period="2025-Q1",
                 provenance={"input_sha256": SHA_A.upper(), "input_file": "/secure/share/q1.xlsx",
                             "package_version": "9.9.9", "cases": 44, "sheet": "Cases",
                             "recorded_at": "2025-07-01 10:30:00+01:00"})
    runs = store.runs()
    assert list(runs.columns) == list(RUN_COLUMNS)
    row = runs.iloc[0]
    assert row["input_sha256"] == SHA_A          # stored lower case
    assert row["input_file"] == "q1.xlsx"          # never the folder
    assert row["package_version"] == "9.9.9"
    assert row["recorded_at"] == "2025-07-01T09:30:00+00:00"  # in UTC
    assert row["cases"] == 44 and row["metrics"] == 3
    assert row["details"] == '{"sheet": "Cases"}'
    from audit import __version__

    store.record(Q2, partnership="Eastmere", period="2025-Q2",
                 provenance={"input_sha256": SHA_A, "input_file": "q2.csv"})
    latest = store.runs().iloc[1]
    assert latest["package_version"] == __version__
    assert pd.isna(latest["cases"]) and latest["details"] == ""


def test_record_refuses_board_tables_and_bad_keys(store: HistoryStore):
    # A published (public) table, where a small count and what derives from it are "c".
    board = table(("engagement.seen", 3, 40, 0)).astype(object)
    board.loc[0, ["numerator", "rate", "ci_low", "ci_high"]] = "c"
    with pytest.raises(ValueError, match="unsuppressed"):
        store.record(board, partnership="E", period="2025-Q1", provenance=provenance())
    with pytest.raises(ValueError, match="period"):
        store.record(Q1, partnership="E", period="all", provenance=provenance())
    with pytest.raises(ValueError, match="metric id"):
        store.record(pd.DataFrame({"metric": ["engagement.hugged"], "numerator": [1],
                                   "denominator": [2], "unknown": [0], "rate": [0.5],
                                   "ci_low": [0.1], "ci_high": [0.9]}),
                     partnership="E", period="2025-Q1", provenance=provenance())
    with pytest.raises(ValueError, match="SHA-256"):
        store.record(Q1, partnership="E", period="2025-Q1",
                     provenance={"input_sha256": "abc", "input_file": "x.csv"})
    with pytest.raises(ValueError, match="input_file"):
        store.record(Q1, partnership="E", period="2025-Q1", provenance={"input_sha256": SHA_A})
    with pytest.raises(ValueError, match="non-empty"):
        store.record(Q1, partnership="  ", period="2025-Q1", provenance=provenance())
    with pytest.raises(ValueError, match="non-empty"):
        store.record(Q1, partnership=None, period="2025-Q1", provenance=provenance())
    assert store.metrics().empty and store.runs().empty


def test_rate_of_an_empty_denominator_is_stored_as_missing(store: HistoryStore):
    store.record(table(("engagement.seen", 0, 0, 7)), partnership="E", period="2025-Q1",
                 provenance=provenance())
    row = store.metrics().iloc[0]
    assert (row["denominator"], row["unknown"]) == (0, 7)
    assert np.isnan(row["rate"]) and np.isnan(row["ci_low"])


# --------------------------------------------------------------------------- atomicity


def test_fault_between_delete_and_insert_keeps_previous_rows(store: HistoryStore, monkeypatch):
    store.record(Q1, partnership="Eastmere", period="2025-Q1", provenance=provenance())
    before_metrics, before_runs = store.metrics(), store.runs()
    reached = []

    def boom(self):
        # the old rows are already deleted inside the transaction at this point
        reached.append(self._db.execute(
            "SELECT COUNT(*) FROM metrics WHERE partnership = 'Eastmere'").fetchone()[0])
        raise RuntimeError("disk pulled out")

    monkeypatch.setattr(HistoryStore, "_after_delete", boom)
    with pytest.raises(RuntimeError, match="disk pulled out"):
        store.record(Q2, partnership="Eastmere", period="2025-Q1", replace=True,
                     provenance=provenance(SHA_B))
    assert reached == [0]
    pd.testing.assert_frame_equal(store.metrics(), before_metrics)
    pd.testing.assert_frame_equal(store.runs(), before_runs)
    assert not store._db.in_transaction
    # the previous rows are intact for another connection too, and the store still works
    with open_history(store.path) as other:
        pd.testing.assert_frame_equal(other.metrics(), before_metrics)
    monkeypatch.undo()
    store.record(Q2, partnership="Eastmere", period="2025-Q1", provenance=provenance(SHA_B),
                 replace=True)
    assert set(store.metrics()["input_sha256"]) == {SHA_B}


def test_an_sqlite_error_says_which_set_could_not_be_recorded(store: HistoryStore, monkeypatch):
    """A database error part-way is a HistoryError naming the set being written when it
    happened (not the first), and rolls every set back."""
    store.record(Q1, partnership="Eastmere", period="2025-Q1", provenance=provenance())
    before = store.metrics()
    calls = []

    def locked_on_second_set(self):
        calls.append(1)
        if len(calls) == 2:
            raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(HistoryStore, "_after_delete", locked_on_second_set)
    with pytest.raises(HistoryError, match=r"could not record Eastmere 2025-Q2 in the history "
                                           r"file .*: database is locked"):
        store.record_many([(Q2, "Eastmere", "2025-Q1", provenance(SHA_B)),
                           (Q2, "Eastmere", "2025-Q2", provenance(SHA_B))], replace=True)
    pd.testing.assert_frame_equal(store.metrics(), before)
    assert not store._db.in_transaction


def test_record_many_is_all_or_nothing(store: HistoryStore, monkeypatch):
    store.record(Q1, partnership="Eastmere", period="2025-Q1", provenance=provenance())
    before = store.metrics()
    calls = []

    def fail_on_second_set(self):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("killed part-way through a backfill")

    monkeypatch.setattr(HistoryStore, "_after_delete", fail_on_second_set)
    with pytest.raises(RuntimeError):
        store.record_many([(Q2, "Eastmere", "2025-Q1", provenance(SHA_B)),
                           (Q2, "Eastmere", "2025-Q2", provenance(SHA_B))], replace=True)
    pd.testing.assert_frame_equal(store.metrics(), before)  # the first set rolled back too
    monkeypatch.undo()
    stored = store.record_many([(Q2, "Eastmere", "2025-Q1", provenance(SHA_B)),
                                (Q1, "Eastmere + Westvale", "2025-Q2", provenance(SHA_B))],
                               replace=True)
    assert stored == 2 + 3
    assert store.periods("Eastmere") == ["2025-Q1"]
    assert store.periods("Westvale + Eastmere") == ["2025-Q2"]


# --------------------------------------------------------------------------- concurrency


def _writer(path: str, partnership: str, periods: list[str], start, results) -> None:
    counts = pd.DataFrame({"metric": ["engagement.seen", "risk.domestic_abuse"],
                           "numerator": [10, 20], "denominator": [30, 40], "unknown": [1, 2]})
    metrics = metrics_from_counts(counts)
    start.wait()
    try:
        for i, period in enumerate(periods):
            # each writer opens its own connection per record, as separate runs would
            with open_history(path) as store:
                metrics = metrics.assign(numerator=[10 + i % 5, 20])
                store.record(metrics, partnership=partnership, period=period,
                             provenance={"input_sha256": "c" * 64, "input_file": f"{period}.csv"})
        results.put((partnership, "ok"))
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        results.put((partnership, repr(exc)))


def test_two_processes_writing_at_once(tmp_path: Path):
    path = str(tmp_path / "shared" / "history.sqlite")
    quarters = [f"{y}-Q{q}" for y in range(2015, 2025) for q in (1, 2, 3, 4)]
    first, second = quarters[::2], quarters[1::2]
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    results = context.Queue()
    workers = [context.Process(target=_writer, args=(path, "all", first, start, results)),
               context.Process(target=_writer, args=(path, "all", second, start, results))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    outcomes = sorted(results.get(timeout=5)[1] for _ in workers)
    assert outcomes == ["ok", "ok"]
    with open_history(path) as store:
        assert store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert store.periods("all") == quarters
        rows = store.metrics()
        assert len(rows) == 2 * len(quarters)
        assert rows.groupby("period").size().eq(2).all()
        runs = store.runs()
        assert runs["input_file"].tolist() == [f"{q}.csv" for q in quarters]


# --------------------------------------------------------------------------- schema versions


def test_migrates_an_older_schema_forward(tmp_path: Path):
    path = tmp_path / "history.sqlite"
    with open_history(path, migrations=MIGRATIONS[:1]) as old:
        assert old.schema_version == 1
        old._db.execute("INSERT INTO runs VALUES ('all', '2024-Q4', '2025-01-05T00:00:00+00:00', "
                        f"'{SHA_A}', 'old.csv', '0.0.9')")
        old._db.execute("INSERT INTO metrics VALUES ('all', '2024-Q4', 'engagement.seen', "
                        "5, 20, 1, 0.25, 0.1, 0.47)")
    with open_history(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        rows = store.metrics()
        assert rows[["period", "metric", "numerator"]].values.tolist() == [
            ["2024-Q4", "engagement.seen", 5]]
        runs = store.runs()
        assert pd.isna(runs["cases"].iloc[0]) and runs["package_version"].iloc[0] == "0.0.9"
        columns = {r[1] for r in store._db.execute("PRAGMA table_info(runs)")}
        assert {"cases", "details", "name_key"} <= columns
        # version 3 retired the shared whole-extract key
        assert runs["partnership"].tolist() == [LEGACY_KEY]


def test_a_failed_migration_step_leaves_the_previous_version(tmp_path: Path):
    path = tmp_path / "history.sqlite"
    open_history(path, migrations=MIGRATIONS[:1]).close()
    broken = (*MIGRATIONS[:1], ("ALTER TABLE runs ADD COLUMN cases INTEGER",
                                "THIS IS NOT SQL"))
    with pytest.raises(HistoryError):
        open_history(path, migrations=broken)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    assert "cases" not in {r[1] for r in db.execute("PRAGMA table_info(runs)")}
    db.close()


def test_refuses_a_newer_schema_without_changing_it(tmp_path: Path):
    path = tmp_path / "history.sqlite"
    open_history(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    before = path.read_bytes()
    with pytest.raises(HistoryError, match="newer release") as caught:
        open_history(path)
    assert f"version {SCHEMA_VERSION + 1}" in str(caught.value)
    assert "Upgrade audit" in str(caught.value)
    assert path.read_bytes() == before


def test_refuses_a_file_that_is_not_a_database(tmp_path: Path):
    path = tmp_path / "history.sqlite"
    path.write_bytes(b"case_id,notification_date\n" * 200)
    before = path.read_bytes()
    with pytest.raises(HistoryError, match="cannot be read as an audit history") as caught:
        open_history(path)
    assert "restore it from a backup" in str(caught.value)
    assert path.read_bytes() == before


def test_refuses_another_applications_database_and_a_folder(tmp_path: Path):
    other = tmp_path / "other.sqlite"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE patients (id INTEGER)")
    db.commit()
    db.close()
    with pytest.raises(HistoryError, match="not an audit history"):
        open_history(other)
    foreign = tmp_path / "foreign.sqlite"
    db = sqlite3.connect(foreign)
    db.execute("PRAGMA application_id = 12345")
    db.commit()
    db.close()
    with pytest.raises(HistoryError, match="another application"):
        open_history(foreign)
    with pytest.raises(HistoryError, match="is a folder"):
        open_history(tmp_path)


# --------------------------------------------------------------------------- export


def test_export_csv_is_deterministic_and_order_independent(tmp_path: Path):
    from audit import __version__

    one, two = tmp_path / "one.sqlite", tmp_path / "two.sqlite"
    with open_history(one) as a:
        a.record(Q1, partnership="Eastmere", period="2025-Q1", provenance=provenance())
        a.record(Q2, partnership="Westvale", period="2024-Q4", provenance=provenance(SHA_B))
        a.export_csv(tmp_path / "a.csv")
        a.export_csv(tmp_path / "a_again.csv")
    with open_history(two) as b:
        b.record(Q2, partnership="Westvale", period="2024-Q4", provenance=provenance(SHA_B))
        b.record(Q1, partnership="Eastmere", period="2025-Q1", provenance=provenance())
        b.export_csv(tmp_path / "out" / "b.csv")
    text = (tmp_path / "a.csv").read_bytes()
    assert text == (tmp_path / "a_again.csv").read_bytes() == (tmp_path / "out" / "b.csv").read_bytes()
    lines = text.decode("utf-8").split("\n")
    assert lines[0] == ",".join(HISTORY_COLUMNS)
    # Eastmere before Westvale (sorted keys); metrics in contract order; rates to 6 places
    assert lines[1] == ("Eastmere,2025-Q1,known_to.universal,0,41,1,0.000000,0.000000,"
                        f"{Q1.loc[2, 'ci_high']:.6f},2025-07-01T09:30:00+00:00,{SHA_A},"
                        f"extract.csv,{__version__}")
    assert lines[3].startswith("Eastmere,2025-Q1,engagement.seen,12,40,2,0.300000,")
    assert lines[4].startswith("Westvale,2024-Q4,risk.domestic_abuse,30,44,0,0.681818,")
    assert len(lines) == 1 + 5 + 1 and lines[-1] == ""
    assert b"\r" not in text


def test_a_conflict_names_the_cli_flag_not_the_python_keyword(store: HistoryStore):
    store.record(Q1, partnership="Eastmere", period="2025-Q1", provenance=provenance())
    with pytest.raises(HistoryError) as caught:
        store.record(Q2, partnership="Eastmere", period="2025-Q1", provenance=provenance(SHA_B))
    assert "run again with --replace;" in str(caught.value)
    assert "replace=True" not in str(caught.value)
