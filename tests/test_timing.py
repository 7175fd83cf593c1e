"""tests/timing.py: slow tests are marked from measured durations, and a stale entry stops
collection (issue 24: a renamed slow test must not slip silently into the fast loop).

Each test runs pytest on a small suite of its own (pytester) with a copy of the plugin,
whose durations file is the one beside the copy.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

PLUGIN = Path(__file__).resolve().parent / "timing.py"

SUITE = '''
import pytest

@pytest.fixture(scope="module")
def expensive():
    return 1

def test_quick():
    pass

def test_measured_slow():
    pass

def test_uses_the_expensive_fixture(expensive):
    pass
'''


@pytest.fixture
def suite(pytester: pytest.Pytester):
    # a copy under another name: the suite's own ``timing`` is already imported
    shutil.copy(PLUGIN, pytester.path / "timing_under_test.py")
    pytester.makeconftest('pytest_plugins = ["timing_under_test"]\n')
    pytester.makeini('[pytest]\nmarkers =\n    slow: slow\n')
    pytester.makepyfile(test_suite=SUITE)
    return pytester


def _durations(pytester: pytest.Pytester, tests: dict, fixtures: dict) -> None:
    (pytester.path / "durations.json").write_text(
        json.dumps({"tests": tests, "fixtures": fixtures}), encoding="utf-8")


def test_listed_tests_and_users_of_listed_fixtures_are_slow(suite):
    _durations(suite, {"test_suite.py::test_measured_slow": 3.0},
               {"test_suite.py::expensive": 20.0})
    result = suite.runpytest("-m", "not slow", "-v")
    result.assert_outcomes(passed=1, deselected=2)
    result.stdout.fnmatch_lines(["*test_quick PASSED*"])


def test_a_renamed_test_left_in_the_file_stops_collection(suite):
    _durations(suite, {"test_suite.py::test_renamed_away": 3.0}, {})
    result = suite.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*durations.json names tests or fixtures that no longer "
                                 "exist: test_suite.py::test_renamed_away*make durations*"])


def test_a_stale_fixture_stops_collection_too(suite):
    _durations(suite, {}, {"test_suite.py::was_expensive": 9.0})
    assert suite.runpytest().ret == pytest.ExitCode.USAGE_ERROR


def test_choosing_one_test_skips_the_stale_check(suite):
    _durations(suite, {"test_suite.py::test_renamed_away": 3.0}, {})
    suite.runpytest("-k", "quick").assert_outcomes(passed=1, deselected=2)


def test_record_durations_writes_the_slow_ones(suite):
    suite.makepyfile(test_sleepy='''
import time
import pytest

@pytest.fixture
def slow_setup():
    time.sleep(0.6)

def test_sleeps():
    time.sleep(0.6)

def test_after_slow_setup(slow_setup):
    pass
''')
    suite.runpytest("--record-durations").assert_outcomes(passed=5)
    record = json.loads((suite.path / "durations.json").read_text(encoding="utf-8"))
    assert set(record["tests"]) == {"test_sleepy.py::test_sleeps"}
    assert set(record["fixtures"]) == {"test_sleepy.py::slow_setup"}
    assert record["threshold_seconds"] == 0.5 and record["measured"]["tests_measured"] == 5


def test_files_go_longest_first_under_loadfile(suite):
    """``--dist loadfile`` hands the workers files in collection order: the measured longest
    first, a file's measured fixtures counted in it, each file's tests in their own order;
    without it the order is pytest's."""
    suite.makepyfile(test_zlong='def test_one():\n    pass\n\ndef test_two():\n    pass\n',
                     test_alpha='def test_alpha():\n    pass\n')
    _durations(suite, {"test_zlong.py::test_two": 12.0, "test_suite.py::test_measured_slow": 3.0},
               {"test_suite.py::expensive": 20.0})
    # test_suite: 3 + 20 (its own fixture) + 2 quick; test_zlong: 12 + 1 quick; test_alpha: 1
    ordered = suite.runpytest("--collect-only", "-q", "--dist", "loadfile", "-n", "1",
                              "--no-loadscope-reorder", "-p", "no:randomly")
    plain = suite.runpytest("--collect-only", "-q", "-p", "no:randomly")
    ids = [line for line in ordered.stdout.lines if "::" in line]
    assert ids == ["test_suite.py::test_quick", "test_suite.py::test_measured_slow",
                   "test_suite.py::test_uses_the_expensive_fixture", "test_zlong.py::test_one",
                   "test_zlong.py::test_two", "test_alpha.py::test_alpha"]
    assert [line for line in plain.stdout.lines if "::" in line][0] == \
        "test_alpha.py::test_alpha"
