"""History keys name what the figures are (issue 12, point 1).

End to end in library terms: the bundled pooled sample backfilled, then one partnership's
own extract recorded with and without ``--partnership``, in other capitalisations, next to
it; the store must hold that partnership's quarters only under its key, with figures
counted by hand from its CSV. Also: the different-extract guard and ``replace``, ``forget``,
migration 3 from a version-2 file, and the ``audit history`` command's wording and layout.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from audit import cli
from audit.errors import HistoryError
from audit.history import (
    LEGACY_KEY,
    MIGRATIONS,
    SCHEMA_VERSION,
    history_key,
    name_key,
    open_history,
    partnerships_in,
    quarters_for,
    record_history,
)
from audit.intake.sample import generate_extract
from audit.measures.metrics import metrics_from_counts
from audit.run.report import _sets_recorded
from audit.workspace import open_audit, read_history

ROOT = Path(__file__).resolve().parents[1]
POOLED = ROOT / "data" / "sample" / "pooled_extract.csv"
SAMPLE_KEY = "Eastmere + Northbridge + Westvale"


@pytest.fixture(scope="module")
def harbourside(tmp_path_factory) -> Path:
    """One partnership's own extract: 'Harbourside', six quarters from 2024-Q2 to 2025-Q3."""
    frame = generate_extract(90, seed=7, partnerships=("Harbourside",), start="2024-04-01",
                             quarters=6)
    path = tmp_path_factory.mktemp("harbourside") / "my_extract.csv"
    frame.to_csv(path, index=False)
    return path


def seen_by_hand(path: Path) -> dict[str, tuple[int, int]]:
    """engagement.seen per quarter from the CSV itself: (yes, yes + no) of father_seen over
    in-scope cases (age under 12 months), the contract's rule, without the library."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = frame[frame["child_age_months"].astype(int) < 12]
    dates = pd.to_datetime(frame["notification_date"], format="%Y-%m-%d")
    quarter = dates.dt.year.astype(str) + "-Q" + dates.dt.quarter.astype(str)
    answer = frame["father_seen"].str.strip().str.lower()
    yes = answer.isin(["y", "yes", "true", "1"])
    no = answer.isin(["n", "no", "false", "0"])
    return {q: (int(yes[quarter == q].sum()), int((yes | no)[quarter == q].sum()))
            for q in sorted(set(quarter))}


def test_keys_name_the_partnerships():
    assert history_key(["Eastmere"]) == "Eastmere"
    assert history_key([" North   Bridge "]) == "North Bridge"
    assert history_key(["Westvale", "eastmere", "Northbridge"]) == \
        "eastmere + Northbridge + Westvale"
    assert history_key(["Eastmere", "EASTMERE", "unknown"]) == "Eastmere"  # one partnership
    assert name_key("Harbour  Side") == name_key("harbourside") == "harbourside"
    for unnamed in ([], ["unknown"], ["", "  "]):
        with pytest.raises(HistoryError, match="names no partnership"):
            history_key(unnamed)
    cases = pd.DataFrame({"partnership": ["Westvale", "unknown", "westvale", "Eastmere"]})
    assert partnerships_in(cases) == ["Eastmere", "Westvale"]
    assert partnerships_in(pd.DataFrame({"case_id": ["1"]})) == []


def test_sample_and_own_extract_never_mix(tmp_path: Path, harbourside: Path):
    store_path = tmp_path / "history.sqlite"
    sample = open_audit(POOLED)
    assert record_history(store_path, sample, sample.extract, each_quarter=True) == 40

    # The analyst's quarter, --partnership left out (issue 12's trap), then given in
    # other capitalisations and spacing, then a backfill: always the same key.
    own = open_audit(harbourside, period="2025-Q3")
    assert record_history(store_path, own, own.extract) == 1
    for spelling in ("harbourside", "HARBOURSIDE"):
        again = open_audit(harbourside, period="2025-Q3", partnership=spelling)
        record_history(store_path, again, again.extract)
    backfill = open_audit(harbourside, period="2025-Q3", partnership="HARBOURSIDE")
    record_history(store_path, backfill, backfill.extract, each_quarter=True)

    expected = seen_by_hand(harbourside)
    with open_history(store_path) as store:
        assert store.partnerships() == ["Eastmere", "Eastmere + Northbridge + Westvale",
                                        "Harbourside", "Northbridge", "Westvale"]
        runs = store.runs(partnership="harbour SIDE")
        assert runs["partnership"].unique().tolist() == ["Harbourside"]
        assert runs["period"].tolist() == sorted(expected)  # each quarter once
        assert set(runs["input_file"]) == {"my_extract.csv"}
        assert set(runs["input_sha256"]) == {own.extract.sha256}
        # the sample's rows are untouched and never carry the analyst's file
        sample_runs = store.runs(partnership=SAMPLE_KEY)
        assert set(sample_runs["input_file"]) == {"pooled_extract.csv"}
        trend = quarters_for(store, "harbourside", until="2025-Q3")
    seen = trend[trend["metric"] == "engagement.seen"]
    assert {p: (n, d) for p, n, d in zip(seen["period"], seen["numerator"],
                                          seen["denominator"])} == expected
    # quarters_for stops at `until`, and a year means its four quarters
    with open_history(store_path) as store:
        assert set(quarters_for(store, "Harbourside", until="2024-Q4")["period"]) == {
            "2024-Q2", "2024-Q3", "2024-Q4"}
        assert set(quarters_for(store, "Harbourside", until="2024")["period"]) == {
            "2024-Q2", "2024-Q3", "2024-Q4"}
    # The trend section's reading (the history an audit is opened with) is Harbourside's only.
    history = read_history(store_path, own.extract, own.partnership, "2025-Q3")
    rows = history[history["metric"] == "engagement.seen"]
    assert {p: (n, d) for p, n, d in zip(rows["period"], rows["numerator"],
                                          rows["denominator"])} == expected
    reopened = open_audit(harbourside, period="2025-Q3", history_path=store_path)
    rows = reopened.quarterly[reopened.quarterly["metric"] == "engagement.seen"]
    assert set(rows["period"]) == set(expected)


def test_another_extract_for_a_recorded_period_needs_replace(tmp_path: Path, harbourside):
    store_path = tmp_path / "history.sqlite"
    first = open_audit(harbourside, period="2025-Q3")
    record_history(store_path, first, first.extract,
                   recorded_at="2025-10-03T09:00:00+00:00")
    corrected = pd.read_csv(harbourside, dtype=str, keep_default_na=False)
    last = corrected.index[-1]
    corrected.loc[last, "father_seen"] = "No" if corrected.at[last, "father_seen"] == "Yes" \
        else "Yes"
    other_path = tmp_path / "corrected.csv"
    corrected.to_csv(other_path, index=False)
    other = open_audit(other_path, period="2025-Q3")
    assert other.extract.sha256 != first.extract.sha256
    for check_only in (True, False):
        with pytest.raises(HistoryError) as caught:
            record_history(store_path, other, other.extract, check_only=check_only)
        message = str(caught.value)
        assert "Harbourside 2025-Q3 was recorded from my_extract.csv" in message
        assert "2025-10-03T09:00:00+00:00" in message and "--replace" in message
    with open_history(store_path) as store:
        assert set(store.runs()["input_file"]) == {"my_extract.csv"}
    record_history(store_path, other, other.extract, replace=True)
    with open_history(store_path) as store:
        assert store.runs()["input_file"].tolist() == ["corrected.csv"]


def test_an_extract_naming_no_partnership_is_not_recorded(tmp_path: Path):
    frame = generate_extract(40, seed=3, partnerships=("Solo",), quarters=2).drop(
        columns="partnership")
    path = tmp_path / "no_column.csv"
    frame.to_csv(path, index=False)
    data = open_audit(path, period="2023-Q2")
    store_path = tmp_path / "history.sqlite"
    for check_only in (True, False):
        with pytest.raises(HistoryError, match="names no partnership"):
            record_history(store_path, data, data.extract, check_only=check_only)
    assert not store_path.exists()
    # No key, so no stored quarters are read; the trend uses the extract's own quarters.
    assert read_history(store_path, data.extract, None, "2023-Q2") is None
    assert not open_audit(path, period="2023-Q2", history_path=store_path).quarterly.empty
    # a run over every case records nothing, so it needs no key and is not refused
    everything = open_audit(path)
    assert record_history(store_path, everything, everything.extract) == 0
    assert not store_path.exists()


def test_a_conflict_stops_the_run_before_any_notebook(tmp_path: Path, harbourside):
    from audit.run.report import run_audit

    store_path = tmp_path / "history.sqlite"
    with open_history(store_path) as store:
        store.record(metrics_from_counts(pd.DataFrame(
            {"metric": ["engagement.seen"], "numerator": [1], "denominator": [2],
             "unknown": [0]})), partnership="HARBOURSIDE", period="2025-Q3",
            provenance={"input_sha256": "e" * 64, "input_file": "someone_elses.csv"})
    said: list[str] = []
    with pytest.raises(HistoryError, match="someone_elses.csv"):
        run_audit(harbourside, output_dir=tmp_path / "pack", period="2025-Q3",
                  history=store_path, progress=said.append)
    assert not any("notebooks" in line for line in said)
    assert not (tmp_path / "pack").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".pack")] == []


def test_forget_removes_a_key_and_counts(tmp_path: Path):
    counts = pd.DataFrame({"metric": ["engagement.seen"], "numerator": [3], "denominator": [9],
                           "unknown": [0]})
    table = metrics_from_counts(counts)
    prov = {"input_sha256": "a" * 64, "input_file": "x.csv"}
    with open_history(tmp_path / "h.sqlite") as store:
        for key, period in [("Harbourside", "2025-Q2"), ("Harbourside", "2025-Q3"),
                            ("Eastmere + Westvale", "2025-Q3"), ("Westvale", "2025-Q3")]:
            store.record(table, partnership=key, period=period, provenance=prov)
        assert store.forget("HARBOUR side", period="2025-q3") == 1
        assert store.periods("Harbourside") == ["2025-Q2"]
        assert store.forget("westvale+eastmere") == 1          # the pooled set, any order
        assert store.partnerships() == ["Harbourside", "Westvale"]
        assert store.forget("Nowhere") == 0
        assert store.forget("harbourside") == 1
        assert store.partnerships() == ["Westvale"]
        assert len(store.metrics()) == 1


def _version_2_file(path: Path) -> None:
    """A history written by the release before keys named partnerships: whole-extract runs
    under 'all', and one partnership under two spellings (issue 12's second key)."""
    with open_history(path, migrations=MIGRATIONS[:2]) as old:
        assert old.schema_version == 2
        rows = [("all", "2024-Q4", "2025-01-05T00:00:00+00:00", "a" * 64, "pooled.csv"),
                ("harbourside", "2025-Q2", "2025-07-01T00:00:00+00:00", "b" * 64, "q2.csv"),
                ("Harbourside", "2025-Q2", "2025-07-09T00:00:00+00:00", "c" * 64, "q2b.csv"),
                ("Harbourside", "2025-Q3", "2025-10-01T00:00:00+00:00", "d" * 64, "q3.csv")]
        for key, period, when, sha, name in rows:
            old._db.execute("INSERT INTO runs (partnership, period, recorded_at, input_sha256, "
                            "input_file, package_version) VALUES (?, ?, ?, ?, ?, '0.1.0')",
                            (key, period, when, sha, name))
            old._db.execute("INSERT INTO metrics VALUES (?, ?, 'engagement.seen', ?, 20, 0, "
                            "NULL, NULL, NULL)", (key, period, len(name)))


def test_migrations_3_and_4_from_a_version_2_file(tmp_path: Path):
    path = tmp_path / "history.sqlite"
    _version_2_file(path)
    with open_history(path) as store:
        assert store.schema_version == SCHEMA_VERSION == 6  # through 3, 4, 5 and 6
        runs = store.runs()
        # 'all' retired; the two spellings merged into the first one seen; for 2025-Q2 the
        # later recording (q2b.csv) kept
        assert runs[["partnership", "period", "input_file"]].values.tolist() == [
            [LEGACY_KEY, "2024-Q4", "pooled.csv"],
            ["harbourside", "2025-Q2", "q2b.csv"],
            ["harbourside", "2025-Q3", "q3.csv"]]
        metrics = store.metrics()
        assert metrics["numerator"].tolist() == [len("pooled.csv"), len("q2b.csv"),
                                                 len("q3.csv")]
        assert store._db.execute("PRAGMA foreign_key_check").fetchall() == []
        # a new run of either spelling lands on the merged key, never a second one
        store.record(metrics_from_counts(pd.DataFrame(
            {"metric": ["engagement.seen"], "numerator": [4], "denominator": [9],
             "unknown": [0]})), partnership="HARBOURSIDE", period="2025-Q4",
            provenance={"input_sha256": "f" * 64, "input_file": "q4.csv"})
        assert store.periods("Harbourside") == ["2025-Q2", "2025-Q3", "2025-Q4"]
        assert store.partnerships() == [LEGACY_KEY, "harbourside"]
        # the legacy rows: no run can add to them; 'all' removes them
        assert store.forget("all") == 1
    db = sqlite3.connect(path)
    try:
        with pytest.raises(sqlite3.IntegrityError):  # one key and period, whatever spelling
            db.execute("INSERT INTO runs (partnership, period, recorded_at, input_sha256, "
                       "input_file, package_version, name_key) VALUES ('HarbourSide', "
                       "'2025-Q3', 'x', 'x', 'x', 'x', 'harbourside')")
    finally:
        db.close()


# --------------------------------------------------------------------------- the command


def test_history_command_lines_up_and_points_at_legacy_rows(tmp_path: Path, capsys):
    path = tmp_path / "history.sqlite"
    _version_2_file(path)
    assert cli.main(["history", "--history", str(path)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    header = lines[0]
    for column in ("partnership", "period", "input_file", "recorded_at"):  # left-aligned
        start = header.index(column)
        for line in lines[1:4]:
            assert (start == 0 or line[start - 1] == " ") and line[start] != " ", \
                (column, line)
    for column in ("metrics",):  # numbers right-aligned under their header's end
        end = header.index(column) + len(column)
        for line in lines[1:4]:
            assert line[end - 1] != " " and line[end] == " ", (column, line)
    assert lines[1].split()[3:5] == ["1", "pooled.csv"]  # an unknown case count is blank
    assert "--forget all --yes" in out and LEGACY_KEY in out
    assert _sets_recorded(1) == "1 partnership-period set"
    assert _sets_recorded(40) == "40 partnership-period sets"


def test_forget_command_asks_or_needs_yes(tmp_path: Path, capsys, monkeypatch):
    path = tmp_path / "history.sqlite"
    _version_2_file(path)
    # not a terminal and no --yes: exit 2, nothing removed
    done = subprocess.run([sys.executable, "-m", "audit", "history", "--history", str(path),
                           "--forget", "HARBOURSIDE"], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120)
    assert done.returncode == 2
    assert "pass --yes" in done.stderr and "2 partnership-period sets" in done.stderr
    # a terminal: asked; "n" keeps, "y" removes
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    answers = iter(["n", "y"])
    asked: list[str] = []
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or next(answers))
    assert cli.main(["history", "--history", str(path), "--forget", "harbourside",
                     "--period", "2025-Q3"]) == 0
    assert "nothing removed" in capsys.readouterr().out
    assert cli.main(["history", "--history", str(path), "--forget", "harbourside",
                     "--period", "2025-Q3"]) == 0
    assert "removed 1 partnership-period set of harbourside in 2025-Q3" in \
        capsys.readouterr().out
    assert asked[0].startswith("remove 1 partnership-period set of harbourside in 2025-Q3")
    # --yes: no question
    monkeypatch.setattr("builtins.input", lambda prompt: pytest.fail("asked"))
    assert cli.main(["history", "--history", str(path), "--forget", "all", "--yes"]) == 0
    assert f"removed 1 partnership-period set of {LEGACY_KEY}" in capsys.readouterr().out
    with open_history(path) as store:
        assert store.partnerships() == ["harbourside"]
        assert store.periods("harbourside") == ["2025-Q2"]
