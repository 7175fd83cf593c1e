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
