"""Which tests are slow, from measured durations, not from a list of names (a pytest plugin).

``tests/durations.json`` holds what one run measured: every test whose call took at least
:data:`THRESHOLD` seconds and every fixture whose set-up did, with the machine and its load.
At collection a test is marked ``slow`` when it is listed, or when it uses a listed fixture
(a shared pack costs its set-up to whichever test happens to need it first, so every user is
slow; name such a fixture as an argument, since one fetched with
``request.getfixturevalue`` is not seen at collection). ``make test-fast`` (``-m "not e2e and not slow"``) leaves them out; ``make test``
runs them all.

The file is checked at collection: when the whole suite is collected, an entry naming a test
or fixture that no longer exists is an error (a renamed slow test must not slip silently
into the fast loop), and a full run reports tests slower than the threshold that are not
marked. Re-measure with ``make durations``, which runs the whole suite as ``make test``
does (two workers: times are a little longer than alone, which errs towards slow)::

    python -m pytest -n 2 --dist loadfile --record-durations

Why our own few hooks and not pytest-split's ``--store-durations``: that plugin records
every test's total time (set-up included) and has no notion of a fixture's own cost, which is
what marks the users of a shared pack.
"""

from __future__ import annotations

import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

__all__ = ["THRESHOLD", "DURATIONS"]

#: Seconds from which a test (its call) or a fixture (its set-up) counts as slow.
THRESHOLD = 0.5
#: The measured durations (see the module docstring).
DURATIONS = Path(__file__).resolve().parent / "durations.json"

_TESTS_DIR = Path(__file__).resolve().parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--record-durations", action="store_true",
                     help="measure every test's call and every fixture's set-up and write "
                          "the slow ones to tests/durations.json (run with -p no:xdist)")


def _fixture_key(fixturedef) -> str:
    """``tests/test_cli.py::public_pack``, ``tests::board_pack`` (conftest): where and what."""
    return f"{fixturedef.baseid or '.'}::{fixturedef.argname}"


class _Recorder:
    """Collects call and set-up times during a ``--record-durations`` run."""

    def __init__(self) -> None:
        self.tests: dict[str, float] = {}
        self.fixtures: dict[str, float] = {}

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef, request):
        start = time.perf_counter()
        yield
        key = _fixture_key(fixturedef)
        self.fixtures[key] = max(self.fixtures.get(key, 0.0), time.perf_counter() - start)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            self.tests[report.nodeid] = report.duration

    def write(self, config: pytest.Config) -> None:
        def slow(times: dict[str, float]) -> dict[str, float]:
            return {k: round(v, 2) for k, v in sorted(times.items()) if v >= THRESHOLD}

        record = {
            "about": "tests/timing.py: tests whose call, and fixtures whose set-up, took "
                     f"{THRESHOLD} s or more; re-measure with make durations",
            "measured": {
                "utc": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": f"{platform.system()} {platform.machine()}, "
                           f"{os.cpu_count()} cores",
                "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()]
                if hasattr(os, "getloadavg") else None,
                "tests_measured": len(self.tests),
            },
            "threshold_seconds": THRESHOLD,
            "tests": slow(self.tests),
            "fixtures": slow(self.fixtures),
        }
        DURATIONS.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--record-durations"):
        if getattr(config, "workerinput", None) is None:  # parts an interrupted run left
            for part in DURATIONS.parent.glob(".durations-*.json"):
                part.unlink()
        config.pluginmanager.register(_Recorder(), "audit-durations-recorder")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Write the record. Under pytest-xdist each worker leaves its fixtures' set-up times in
    a file beside it, and the controller (which sees every test's report) merges them."""
    recorder = config.pluginmanager.get_plugin("audit-durations-recorder")
    if recorder is None:
        return
    worker = getattr(config, "workerinput", None)
    if worker is not None:
        part = DURATIONS.with_name(f".durations-{worker['workerid']}.json")
        part.write_text(json.dumps(recorder.fixtures), encoding="utf-8")
        return
    for part in DURATIONS.parent.glob(".durations-*.json"):
        for key, seconds in json.loads(part.read_text(encoding="utf-8")).items():
            recorder.fixtures[key] = max(recorder.fixtures.get(key, 0.0), seconds)
        part.unlink()
    recorder.write(config)


def _measured() -> tuple[dict[str, float], dict[str, float]]:
    if not DURATIONS.is_file():
        return {}, {}
    record = json.loads(DURATIONS.read_text(encoding="utf-8"))
    return record.get("tests", {}), record.get("fixtures", {})


def _whole_suite(config: pytest.Config) -> bool:
    """True when the run collects every test file: no -k, and only folders that hold tests/
    (and the notebooks) were named, as ``make test`` and ``make test-fast`` do."""
    if config.getoption("keyword") or any("::" in a for a in config.args):
        return False
    args = [Path(a).resolve() for a in config.args]
    return (any(_TESTS_DIR.is_relative_to(a) for a in args)
            and all(a.is_dir() or a.suffix == ".ipynb" for a in args))


#: A test below the threshold, as the file order counts it (the suite's fast tests average
#: about 0.04 s each).
FAST_TEST_SECONDS = 0.04


def _fixtures_of(item: pytest.Item) -> set[str]:
    """The keys (:func:`_fixture_key`) of the fixtures ``item`` uses."""
    # _fixtureinfo is pytest's record of the fixtures an item uses; no public equivalent
    defs = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
    return {_fixture_key(d[-1]) for d in defs.values() if d}


def _longest_files_first(items: list[pytest.Item], tests: dict[str, float],
                         fixtures: dict[str, float], uses: dict[str, set[str]]) -> None:
    """Order the files by their measured cost, longest first, each file's tests in their own
    order. ``--dist loadfile`` hands files to the two workers in collection order (with
    ``--no-loadscope-reorder``; xdist's own reorder counts tests, not seconds), so the
    longest go first and short ones fill in at the end: the longest-processing-time rule,
    not a 30 s file left to one worker while the other waits. A file's cost: its measured
    tests, the fast ones at :data:`FAST_TEST_SECONDS`, and the set-up of every measured
    fixture it uses, a fixture several files use (the shared packs) shared out among them:
    whichever asks first builds it, the others wait or read it. ``uses``: each item's
    fixture keys, by node id."""
    cost: dict[str, float] = {}
    used: dict[str, set[str]] = {}
    for item in items:
        path = item.nodeid.split("::")[0]
        cost[path] = cost.get(path, 0.0) + tests.get(item.nodeid, FAST_TEST_SECONDS)
        used.setdefault(path, set()).update(uses[item.nodeid] & fixtures.keys())
    users = {k: sum(k in keys for keys in used.values()) for k in fixtures}
    for path, keys in used.items():
        cost[path] += sum(fixtures[k] / users[k] for k in keys)
    first = {path: i for i, path in enumerate(cost)}
    items.sort(key=lambda item: (-cost[item.nodeid.split("::")[0]],
                                 first[item.nodeid.split("::")[0]]))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark slow tests from the measured file; refuse stale entries in a whole-suite run."""
    tests, fixtures = _measured()
    seen_tests: set[str] = set()
    seen_fixtures: set[str] = set()
    uses: dict[str, set[str]] = {}
    for item in items:
        seen_tests.add(item.nodeid)
        used = uses[item.nodeid] = _fixtures_of(item)
        seen_fixtures |= used
        if item.nodeid in tests or used & fixtures.keys():
            item.add_marker(pytest.mark.slow)
    if config.getoption("dist", "no") == "loadfile":
        _longest_files_first(items, tests, fixtures, uses)
    if _whole_suite(config):
        root = Path(str(config.rootpath))
        files = {item.nodeid.split("::")[0] for item in items}

        def stale(key: str, seen: set[str]) -> bool:
            """Gone from disk, or in a file this run collected and not found in it."""
            base = key.split("::")[0]
            if not (root / base).exists():
                return True
            collected = any(f == base or f.startswith(base + "/") for f in files)
            return collected and key not in seen

        gone = [k for k in tests if stale(k, seen_tests)] + \
            [k for k in fixtures if stale(k, seen_fixtures)]
        if gone:
            raise pytest.UsageError(
                f"{DURATIONS.name} names tests or fixtures that no longer exist: "
                + ", ".join(gone[:10]) + (" …" if len(gone) > 10 else "")
                + ". Re-measure with 'make durations' (or edit the file).")


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """After a full run: tests over the threshold that are not marked slow, to re-measure."""
    if config.getoption("--record-durations") or not _whole_suite(config):
        return
    unmarked = []
    for report in terminalreporter.stats.get("passed", []):
        if report.when == "call" and report.duration >= 2 * THRESHOLD \
                and "slow" not in report.keywords:
            unmarked.append(f"{report.nodeid} ({report.duration:.1f} s)")
    if unmarked:
        terminalreporter.write_sep("-", "slow tests not marked slow (run 'make durations')")
        for line in unmarked:
            terminalreporter.write_line(line)
