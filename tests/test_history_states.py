"""The history store in every state an analyst's first run can meet it (issue 21).

A property test drives the reading API (``quarters_for``, ``metrics``, ``runs``,
``periods``) over generated store contents against a plain-Python model of what was
recorded; the named states (a new file, other partnerships only, the same partnership
spelled differently, legacy rows, years only, a quarter recorded by another extract) are
then driven through ``audit run`` as an analyst types it. Where the store lives when
``--history`` is not given: :func:`audit.paths.history_location`.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.errors import HistoryError
from audit.history import LEGACY_KEY, MIGRATIONS, open_history, quarters_for
from audit.measures.metrics import metrics_from_counts
from audit.paths import HISTORY_ENV, LEGACY_HISTORY, history_location
from cli_process import in_process

ROOT = Path(__file__).resolve().parents[1]
NORTHBRIDGE = ROOT / "data" / "sample" / "northbridge_extract.xlsx"
SHA = "a" * 64
OTHER_SHA = "b" * 64

#: Keys a store may hold: spellings of one partnership, others, a pooled set, the legacy key.
KEYS = ["Northbridge", "NORTH bridge", "northbridge", "North-Bridge", "Eastmere", "Westvale",
        "Eastmere + Northbridge", "Northbridge + EASTMERE", LEGACY_KEY]
PERIODS = [f"{y}-Q{q}" for y in (2024, 2025) for q in (1, 2, 3, 4)] + ["2024", "2025"]
COLUMNS = ["period", "metric", "numerator", "denominator", "unknown", "rate", "ci_low",
           "ci_high"]


def table(numerator: int) -> pd.DataFrame:
    counts = pd.DataFrame([("engagement.seen", numerator, 20, 1),
                           ("risk.domestic_abuse", 3, 21, 0)],
                          columns=["metric", "numerator", "denominator", "unknown"])
    return metrics_from_counts(counts)


def _model_key(key: str) -> str:
    """The partnership(s) a key names, worked out here, not by the store: members split on
    ' + ', each without case, spaces or punctuation (the keys here are ASCII)."""
    members = {"".join(ch for ch in m.casefold() if ch.isalnum()) for m in key.split(" + ")}
    return "|".join(sorted(members))


def _period_order(period: str) -> tuple[int, int]:
    return int(period[:4]), int(period[-1]) if "-Q" in period else 5


# --------------------------------------------------------------------------- the reading API

records = st.lists(
    st.tuples(st.sampled_from(KEYS), st.sampled_from(PERIODS), st.integers(0, 20)),
    max_size=12,
)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=records, query=st.sampled_from(KEYS + ["Harbourside"]),
       until=st.sampled_from([None, *PERIODS]))
def test_reads_of_any_store_state_return_typed_tables(tmp_path_factory, records, query, until):
    """Whatever the store holds, every read returns the table its columns promise, empty
    for a key it does not hold, and exactly the quarters recorded under the key's
    spellings up to ``until`` (the model: a dict of what was recorded last)."""
    path = tmp_path_factory.mktemp("store") / "history.sqlite"
    model: dict[tuple[str, str], int] = {}
    with open_history(path) as store:
        for key, period, numerator in records:
            store.record(table(numerator), partnership=key, period=period,
                         provenance={"input_sha256": SHA, "input_file": "x.csv"})
            model[(_model_key(key), period)] = numerator
        got = quarters_for(store, query, until=until)
        assert list(got.columns) == COLUMNS
        for column in ("numerator", "denominator", "unknown"):
            assert got[column].dtype == np.int64
        for column in ("rate", "ci_low", "ci_high"):
            assert got[column].dtype == np.float64
        last = None if until is None else _period_order(until if "-Q" in until
                                                        else f"{until}-Q4")
        expected = sorted(
            (period, numerator) for (key, period), numerator in model.items()
            if key == _model_key(query) and "-Q" in period
            and (last is None or _period_order(period) <= last)
        )
        seen = got[got["metric"] == "engagement.seen"]
        assert sorted(zip(seen["period"], seen["numerator"].tolist())) == expected
        # the other reads of a key the store may not hold
        assert len(store.runs(partnership=query)) == len(
            [1 for key, _period in model if key == _model_key(query)])
        assert store.periods(partnership=query) == sorted(
            {p for key, p in model if key == _model_key(query)}, key=_period_order)
        assert list(store.metrics(partnership=query).columns)[:3] == [
            "partnership", "period", "metric"]


def test_a_store_without_the_key_gives_an_empty_typed_table(tmp_path: Path):
    """The crash of issue 21: filtering an empty table with a list dropped its columns."""
    with open_history(tmp_path / "h.sqlite") as store:
        store.record(table(4), partnership="Eastmere", period="2025-Q2",
                     provenance={"input_sha256": SHA, "input_file": "x.csv"})
        for until in (None, "2025-Q3", "2025"):
            got = quarters_for(store, "Northbridge", until=until)
            assert got.empty and list(got.columns) == COLUMNS
            assert got["numerator"].dtype == np.int64


# --------------------------------------------------------------------------- audit run


def audit(*args: object, cwd: Path | None = None, env: dict | None = None):
    """The command as typed, run in this process (what it says and writes, not the process:
    tests/cli_process.py)."""
    return in_process(list(args), cwd=cwd, env=env)


def _legacy(path: Path) -> None:
    """A store written by schema version 1, whose whole-extract runs used the key 'all'."""
    with open_history(path, migrations=MIGRATIONS[:1]) as old:
        old._db.execute("INSERT INTO runs VALUES ('all', '2025-Q2', "
                        f"'2025-07-05T00:00:00+00:00', '{SHA}', 'old.csv', '0.0.9')")
        old._db.execute("INSERT INTO metrics VALUES ('all', '2025-Q2', 'engagement.seen', "
                        "5, 20, 1, 0.25, 0.1, 0.47)")


def _record(path: Path, key: str, periods: list[str], sha: str = SHA) -> None:
    with open_history(path) as store:
        for period in periods:
            store.record(table(7), partnership=key, period=period,
                         provenance={"input_sha256": sha, "input_file": "earlier.csv"})


#: state -> (set-up, exit code, what the run says about the history)
STATES = {
    "new file": (lambda p: None, 0, "this run creates it"),
    "other partnerships only": (
        lambda p: _record(p, "Eastmere", ["2025-Q1", "2025-Q2"]), 0,
        "no earlier quarters for Northbridge"),
    "same partnership spelled differently": (
        lambda p: _record(p, "NORTH-bridge", ["2025-Q1", "2025-Q2"]), 0,
        "2 earlier quarters for Northbridge (2025-Q1 to 2025-Q2)"),
    "legacy rows": (_legacy, 0, "no earlier quarters for Northbridge"),
    "years only": (lambda p: _record(p, "Northbridge", ["2023", "2024"]), 0,
                   "no earlier quarters for Northbridge"),
    "a quarter recorded by another extract": (
        lambda p: _record(p, "Northbridge", ["2025-Q3"], sha=OTHER_SHA), 2,
        "run again with --replace"),
}


@pytest.mark.usefixtures("charts_not_drawn")  # words, files and codes: not pictures
@pytest.mark.e2e
@pytest.mark.parametrize("state", list(STATES))
def test_audit_run_over_every_store_state(state: str, tmp_path: Path):
    set_up, code, said = STATES[state]
    store = tmp_path / "history.sqlite"
    set_up(store)
    result = audit("run", NORTHBRIDGE, "--period", "2025-Q3", "--history", store,
                   "--out", tmp_path / "pack", "--no-notebooks")
    assert result.returncode == code, result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert said in result.stderr
    assert "replace=True" not in result.stderr  # CLI messages name flags, never keywords
    with open_history(store) as opened:
        runs = opened.runs(partnership="Northbridge")
    if code == 0:
        assert (tmp_path / "pack" / "board-pack.html").is_file()
        assert "2025-Q3" in runs["period"].tolist()
        if state == "same partnership spelled differently":  # one partnership, one spelling
            assert set(runs["partnership"]) == {"NORTH-bridge"}
    else:
        assert not (tmp_path / "pack").exists()
        assert runs["input_sha256"].tolist() == [OTHER_SHA]  # nothing recorded


# --------------------------------------------------------------------------- where it lives


@pytest.fixture()
def account(tmp_path: Path, monkeypatch) -> Path:
    """No AUDIT_HISTORY; the account's data folder in tmp_path (platformdirs follows
    XDG_DATA_HOME on Linux, and is patched in-process elsewhere)."""
    data = tmp_path / "account-data"
    monkeypatch.delenv(HISTORY_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.setattr("audit.paths.default_history_path",
                        lambda: data / "audit" / "history.sqlite")
    return data / "audit" / "history.sqlite"


def test_the_default_store_is_the_same_from_any_folder(account: Path, tmp_path: Path):
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir(), two.mkdir()
    first, second = history_location(None, cwd=one), history_location(None, cwd=two)
    assert first.path == second.path == account
    assert first.source == "default" and "default store" in first.describe()


def test_history_and_the_setting_take_precedence(account: Path, tmp_path: Path, monkeypatch):
    given_path = history_location("mine.sqlite", cwd=tmp_path)
    assert given_path.path == tmp_path / "mine.sqlite" and given_path.source == "--history"
    monkeypatch.setenv(HISTORY_ENV, str(tmp_path / "team.sqlite"))
    assert history_location(None, cwd=tmp_path).path == tmp_path / "team.sqlite"
    assert "named by AUDIT_HISTORY" in history_location(None, cwd=tmp_path).describe()


def test_an_old_store_in_this_folder_is_never_passed_over_silently(account: Path,
                                                                  tmp_path: Path):
    old = tmp_path / LEGACY_HISTORY
    _record(old, "Northbridge", ["2025-Q2"])
    with pytest.raises(HistoryError, match="--history") as info:
        history_location(None, cwd=tmp_path)
    assert str(old) in str(info.value) and str(account) in str(info.value)
    # once the default store exists, the old one is named as not used
    _record(account, "Northbridge", ["2025-Q1"])
    place = history_location(None, cwd=tmp_path)
    assert place.path == account and place.unused == old


@pytest.mark.usefixtures("charts_not_drawn")  # words, files and codes: not pictures
@pytest.mark.e2e
@pytest.mark.skipif(sys.platform != "linux", reason="XDG_DATA_HOME is the Linux data folder")
def test_two_quarters_from_two_folders_share_one_store(tmp_path: Path):
    """Issue 21, case 5: the second run, from another folder, finds the first run's quarter."""
    import os

    env = {k: v for k, v in os.environ.items() if k != HISTORY_ENV}
    env["XDG_DATA_HOME"] = str(tmp_path / "account-data")
    extract = tmp_path / "northbridge.csv"
    pd.read_excel(NORTHBRIDGE, sheet_name=0, engine="calamine").to_csv(extract, index=False)
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    first = audit("run", extract, "--period", "2025-Q2", "--out", "pack", "--no-notebooks",
                  cwd=tmp_path / "a", env=env)
    assert first.returncode == 0, first.stderr
    assert "this run creates it" in first.stderr
    second = audit("run", extract, "--period", "2025-Q3", "--out", "pack", "--no-notebooks",
                   cwd=tmp_path / "b", env=env)
    assert second.returncode == 0, second.stderr
    store = tmp_path / "account-data" / "audit" / "history.sqlite"
    assert f"history: {store} (this account's default store): 1 earlier quarter for " \
           "Northbridge (2025-Q2)" in second.stderr
    with sqlite3.connect(store) as db:
        periods = sorted(r[0] for r in db.execute("SELECT period FROM runs"))
    assert periods == ["2025-Q2", "2025-Q3"]


def test_a_store_of_version_3_merges_names_that_differ_by_punctuation(tmp_path: Path):
    """Schema 4 (issue 21): 'Harbour-side' one quarter and 'Harbourside' the next were two
    keys, two trend lines; they are one partnership, in the store as in validation."""
    path = tmp_path / "history.sqlite"
    with open_history(path, migrations=MIGRATIONS[:3]) as old:  # as version 3 wrote them
        for key, old_key, period, when in (
                ("Harbour-side", "harbour-side", "2025-Q2", "2025-07-01T00:00:00+00:00"),
                ("Harbourside", "harbourside", "2025-Q3", "2025-10-01T00:00:00+00:00"),
                ("Harbourside", "harbourside", "2025-Q2", "2025-10-02T00:00:00+00:00")):
            old._db.execute(
                "INSERT INTO runs (partnership, period, recorded_at, input_sha256, input_file, "
                "package_version, name_key) VALUES (?, ?, ?, ?, 'x.csv', '0.1', ?)",
                (key, period, when, SHA, old_key))
            old._db.execute("INSERT INTO metrics VALUES (?, ?, 'engagement.seen', 7, 20, 1, "
                            "0.35, 0.18, 0.57)", (key, period))
        assert sorted(old.partnerships()) == ["Harbour-side", "Harbourside"]
    with open_history(path) as store:
        assert store.schema_version == 6  # merged at 4; the ledger at 5, its ranges at 6
        runs = store.runs()
        # one key, the first spelling recorded; the later recording of 2025-Q2 kept
        assert runs[["partnership", "period"]].values.tolist() == [
            ["Harbour-side", "2025-Q2"], ["Harbour-side", "2025-Q3"]]
        assert runs["recorded_at"].tolist()[0] == "2025-10-02T00:00:00+00:00"
        assert quarters_for(store, "HARBOURSIDE")["period"].unique().tolist() == [
            "2025-Q2", "2025-Q3"]
        # and a new recording under a third spelling joins the same key
        store.record(table(3), partnership="Harbour Side", period="2025-Q4",
                     provenance={"input_sha256": SHA, "input_file": "x.csv"})
        assert store.partnerships() == ["Harbour-side"]
