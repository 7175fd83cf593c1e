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


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write ``text`` to ``tmp_path / name`` in ``encoding`` (``utf-8-sig`` adds a BOM)."""

    def _write(text: str, name: str = "extract.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return _write


#: Test files that run whole commands or packs end to end (``make test-fast`` skips them).
E2E_FILES = frozenset({
    "test_report.py", "test_pdf.py", "test_accessibility.py", "test_leaks.py",
    "test_kernels.py", "test_lab.py", "test_platform.py", "test_corpus.py",
    "test_history_keys.py", "test_render_slides.py",
})
#: Test files that drive a real browser.
BROWSER_FILES = frozenset({"test_accessibility.py", "test_lab.py"})


def pytest_collection_modifyitems(config, items):
    """Mark end-to-end and browser tests by file, so ``-m "not e2e"`` is the fast loop."""
    for item in items:
        name = Path(str(item.fspath)).name
        if name in E2E_FILES or name.endswith(".ipynb"):
            item.add_marker(pytest.mark.e2e)
        if name in BROWSER_FILES:
            item.add_marker(pytest.mark.browser)
