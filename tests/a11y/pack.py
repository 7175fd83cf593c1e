"""Shared by tests/test_accessibility.py and tests/test_pdf.py (imported as ``a11y.pack``).

One board pack, made once per pytest session by an end-to-end ``run_audit`` on a small
generated extract, and the rule for a tool the tests need but the machine lacks: under CI
(the CI environment variable set, as .ci/run is run) that is a failure, never a skip.
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


def board_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder of ``audit run`` on an 80-case generated extract (made once)."""
    if "pack" not in _PACKS:
        from audit.report import run_audit
        from audit.sample import generate_extract

        root = tmp_path_factory.mktemp("board-pack")
        extract = root / "extract.csv"
        generate_extract(80, seed=20240601).to_csv(extract, index=False)
        result = run_audit(extract, output_dir=root / "pack", jobs=2, progress=None)
        _PACKS["pack"] = result.output_dir
    return _PACKS["pack"]
