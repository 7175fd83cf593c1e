"""Shared fixtures: writing small hand-made extracts into a temporary folder."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# nbval, loaded here rather than by its entry point (pyproject's addopts has -p no:nbval), so
# that this line comes first: nbval imports nbformat, whose jsonschema imports the optional
# rfc3987_syntax (a full second building a grammar, in every worker) only to check "iri"
# strings, which no notebook schema asks for. Blocked, jsonschema leaves that check out.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
pytest_plugins = ["timing", "pytester", "nbval.plugin"]

#: Hypothesis: "ci" is fixed (derandomized, no example database, no deadline) so CI runs the
#: same examples every time and a failure there reproduces here with HYPOTHESIS_PROFILE=ci
#: (``make test`` and ``make test-fast`` set it, so their time is the same every run);
#: "dev" (pytest run directly, and ``make explore``) draws new examples each run.
settings.register_profile("ci", derandomize=True, database=None, deadline=None,
                          print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

#: The folder of deliberately broken sample extracts (see its README.md).
BROKEN = Path(__file__).resolve().parents[1] / "data" / "sample" / "broken"

#: A fixed "today" for validation, so future-date checks don't depend on the clock.
TODAY = dt.date(2025, 6, 30)

#: The required columns, as an analyst's header row.
REQUIRED_HEADER = "case_id,notification_date,child_age_months,harmed_by,known_to"


@pytest.fixture(autouse=True)
def _own_history_store(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    """Every test gets a default history store of its own (``AUDIT_HISTORY``, inherited by
    the commands it starts): a run without --history never reads or writes the real user's
    store, on any platform. Tests of the default place itself unset it (test_history_place)."""
    store = tmp_path_factory.mktemp("default-history") / "history.sqlite"
    monkeypatch.setenv("AUDIT_HISTORY", str(store))


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write ``text`` to ``tmp_path / name`` in ``encoding`` (``utf-8-sig`` adds a BOM)."""

    def _write(text: str, name: str = "extract.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return _write


@pytest.fixture(scope="session")
def shared_extract(tmp_path_factory) -> Path:
    """The small two-partnership extract both shared packs are built from (tests/packs.py)."""
    from packs import shared_extract as extract

    return extract(tmp_path_factory)


@pytest.fixture(scope="session")
def board_pack(tmp_path_factory):
    """The session's board pack, built once through the command line (tests/packs.py)."""
    from packs import build

    return build(tmp_path_factory, "board")


@pytest.fixture(scope="session")
def public_pack(tmp_path_factory):
    """The session's public pack, built once through the command line (tests/packs.py)."""
    from packs import build

    return build(tmp_path_factory, "public")


@pytest.fixture
def charts_not_drawn(monkeypatch) -> None:
    """For tests of words, numbers, files and exit codes, not of pictures: each chart is
    built (title, alt text, caption and the figure) but its PNG is a 1 x 1 white image instead
    of drawn, which costs about 0.3 s a chart (two draws for ``bbox_inches="tight"``; 14
    charts in a board pack). Only in-process: a command a test starts draws as usual. The
    shared packs and every test of charts, pages, PDF, slides and accessibility draw them."""
    import io

    from PIL import Image

    from audit.charts.style import Chart

    buffer = io.BytesIO()
    Image.new("RGB", (1, 1), "white").save(buffer, format="PNG")
    blank = buffer.getvalue()
    monkeypatch.setattr(Chart, "png_bytes", lambda self: blank)


class Clock:
    """A wall clock a test moves by hand (:func:`clock`)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """A frozen clock the test moves on instead of sleeping: ``time.time``,
    ``time.localtime`` and ``time.gmtime`` (the dates of zip entries) and openpyxl's ``datetime.now`` (a workbook's created and modified
    properties) read it, so writing a file twice with ``clock.advance(...)`` between
    shows whether a timestamp leaks into it."""
    import time
    import types

    import openpyxl.packaging.core
    import openpyxl.writer.excel

    frozen = Clock(time.time())
    localtime, gmtime = time.localtime, time.gmtime
    monkeypatch.setattr(time, "time", lambda: frozen.now)
    monkeypatch.setattr(time, "localtime",
                        lambda secs=None: localtime(frozen.now if secs is None else secs))
    monkeypatch.setattr(time, "gmtime",
                        lambda secs=None: gmtime(frozen.now if secs is None else secs))

    class _Now(dt.datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return dt.datetime.fromtimestamp(frozen.now, tz)

    fake = types.SimpleNamespace(datetime=_Now, timezone=dt.timezone)
    for module in (openpyxl.packaging.core, openpyxl.writer.excel):
        monkeypatch.setattr(module, "datetime", fake)
    return frozen


def pytest_collection_modifyitems(config, items):
    """Notebooks (nbval) are end-to-end; slow tests are marked from measured durations
    (``tests/timing.py``); browser tests mark themselves (``pytestmark``)."""
    for item in items:
        if Path(str(item.fspath)).suffix == ".ipynb":
            item.add_marker(pytest.mark.e2e)


def pytest_sessionfinish(session, exitstatus):
    """Under CI a skipped test fails the run: CI must run everything, never pass silently
    on a machine that lacks a tool (``packs.need`` fails such tests too)."""
    if not os.environ.get("CI") or hasattr(session.config, "workerinput"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and session.exitstatus == 0:
        reporter.write_sep("!", f"CI: {len(skipped)} test(s) skipped; CI runs everything")
        session.exitstatus = 1
