"""Shared fixtures: writing small hand-made extracts into a temporary folder."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

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


#: Test files that run whole commands or packs end to end (``make test-fast`` skips them).
E2E_FILES = frozenset({
    "test_report.py", "test_pdf.py", "test_accessibility.py", "test_leaks.py",
    "test_kernels.py", "test_lab.py", "test_platform.py", "test_corpus.py",
    "test_history_keys.py", "test_render_slides.py", "test_pack.py",
})
#: Tests of a few seconds or more each outside those files: property tests over many
#: generated extracts, whole packs built in-process, loops over every bundled file. Measured
#: with ``pytest --junitxml`` on 2 cores (1.5 s or more, all parameters together, 30 Nov
#: 2026); ``make test-fast`` skips them, ``make test`` runs them.
SLOW_TESTS = frozenset({
    "test_cli.py::test_a_bad_threshold_or_marking_is_exit_2_and_writes_nothing",
    "test_cli.py::test_an_audit_too_small_to_publish_is_exit_2",
    "test_cli.py::test_bad_codes_lists_every_problem_with_row_and_column",
    "test_cli.py::test_metrics_on_bad_input_writes_nothing",
    "test_cli.py::test_metrics_output_is_byte_identical_across_runs",
    "test_cli.py::test_metrics_reproduce_the_national_review",
    "test_cli.py::test_run_public_writes_a_marked_pack_that_check_disclosure_passes",
    "test_cli.py::test_validate_accepts_every_bundled_sample",
    "test_cli.py::test_validate_refuses_each_broken_extract_with_exit_2",
    "test_moderation.py::test_agreed_answers_replace_the_first_auditors_and_need_a_moderated_case",
    "test_moderation.py::test_cli_metrics_and_validate_take_moderation",
    "test_moderation.py::test_a_moderated_pool_counts_the_first_auditors_and_names_weak_questions",
    "test_plan.py::test_cli_plan_prints_the_table_with_independent_figures",
    "test_plan.py::test_cli_plan_default_is_holm_over_the_packs_comparisons",
    "test_plan.py::test_cli_plan_against_last_quarter_reads_the_history_store",
    "test_plan.py::test_plan_table_rows_and_a_shortfall_beyond_the_figure",
    "test_plan.py::test_simulated_quarters_of_the_planned_size_detect_the_shortfall",
    "test_select.py::test_run_carries_the_selection_and_flags_cases_outside_it",
    "test_select.py::test_run_refuses_a_changed_selection_file_before_any_work",
    "test_select.py::test_selection_does_not_depend_on_row_order",
    "test_select.py::test_cli_select_is_byte_identical_for_any_row_order",
    "test_compare.py::test_holm_adjust_matches_statsmodels",
    "test_disclosure.py::test_alt_text_states_no_more_than_the_tables",
    "test_disclosure.py::test_no_figure_is_hidden_that_the_shown_ones_give_exactly",
    "test_disclosure.py::test_public_pack_hides_every_count_from_one_to_k",
    "test_disclosure.py::test_random_public_packs_reveal_nothing",
    "test_fast_paths.py::test_first_pass_agrees_with_pandera_and_with_the_plain_checks",
    "test_form.py::test_a_form_filled_from_its_own_drop_downs_validates_unchanged",
    "test_history.py::test_two_processes_writing_at_once",
    "test_pack.py::test_every_sheet_carries_the_marking_and_a_name_of_its_own",
    "test_properties.py::test_damaged_files_read_or_raise_an_audit_error",
    "test_properties.py::test_generated_tables_read_or_raise_an_audit_error",
    "test_render_html.py::test_partnership_names_from_an_extract_are_escaped",
    "test_sections.py::test_build_sections_follows_the_registry",
    "test_sections.py::test_the_board_sees_small_counts_the_public_does_not",
    "test_sections_actions.py::test_public_packs_leave_the_plan_out",
    "test_sections_actions.py::test_the_pack_carries_the_plan_in_its_workbook_and_slides",
    "test_validate.py::test_arbitrary_rows_under_a_good_header_load_or_raise_an_audit_error",
})
#: Module fixtures that build a whole pack or its sections (seconds): a test using one is
#: slow too, whichever test happens to pay for the fixture first.
SLOW_FIXTURES = {
    "test_cli.py": frozenset({"public_pack"}),
    "test_sections.py": frozenset({"board", "quarter_board", "quarter_public"}),
    "test_public_oracle.py": frozenset({"zero_of_three_pack", "hidden_outlier_pack",
                                        "clipped_limit_pack", "small_public_pack",
                                        "mostly_hidden_pack"}),
}
#: Test files that drive a real browser.
BROWSER_FILES = frozenset({"test_accessibility.py", "test_lab.py"})


def pytest_collection_modifyitems(config, items):
    """Mark end-to-end, slow and browser tests, so ``-m "not e2e and not slow"`` is the fast
    loop (``make test-fast``)."""
    for item in items:
        name = Path(str(item.fspath)).name
        if name in E2E_FILES or name.endswith(".ipynb"):
            item.add_marker(pytest.mark.e2e)
        if f"{name}::{getattr(item, 'originalname', item.name)}" in SLOW_TESTS or (
            SLOW_FIXTURES.get(name, frozenset()) & set(getattr(item, "fixturenames", ()))
        ):
            item.add_marker(pytest.mark.slow)
        if name in BROWSER_FILES:
            item.add_marker(pytest.mark.browser)
