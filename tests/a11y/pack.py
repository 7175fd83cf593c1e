"""Shared by tests/test_accessibility.py and tests/test_pdf.py (imported as ``a11y.pack``).

One board pack and one public pack, each made once per pytest session by an end-to-end
``run_audit`` on the same small generated extract, and the rule for a tool the tests need
but the machine lacks: under CI (the CI environment variable set, as .ci/run is run) that
is a failure, never a skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_PACKS: dict[str, Path] = {}


def need(message: str) -> None:
    """Fail under CI, skip elsewhere: a missing tool must never pass CI silently."""
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(message)


def _extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An 80-case generated extract (made once)."""
    if "extract" not in _PACKS:
        from audit.sample import generate_extract

        root = tmp_path_factory.mktemp("a11y-extract")
        extract = root / "extract.csv"
        generate_extract(80, seed=20240601).to_csv(extract, index=False)
        _PACKS["extract"] = extract
    return _PACKS["extract"]


def pack(tmp_path_factory: pytest.TempPathFactory, audience: str = "board") -> Path:
    """The output folder of ``audit run --audience AUDIENCE`` on the extract (made once)."""
    if audience not in _PACKS:
        from audit.report import run_audit

        root = tmp_path_factory.mktemp(f"{audience}-pack")
        result = run_audit(_extract(tmp_path_factory), output_dir=root / "pack",
                           audience=audience, jobs=2, progress=None)
        _PACKS[audience] = result.output_dir
    return _PACKS[audience]


def board_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The board pack's folder (``board-pack.html`` inside)."""
    return pack(tmp_path_factory, "board")


def public_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The public pack's folder (``public-pack.html`` inside)."""
    return pack(tmp_path_factory, "public")
