"""No leaks: planted identifiers never reach a board-pack file, the logs or the notebooks.

The extract carries unique case ids and, in a free-text column the contract ignores,
NHS-number-like and postcode-like values that the guard lets through (wrong check digit,
part of a postcode). None of them may appear in any file of the pack (HTML, PNG, CSV,
XLSX, PDF, manifest), in anything `audit run` prints, or as a row-level table in the
executed working notebooks.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from audit.guard import is_uk_postcode, is_valid_nhs_number
from audit.sample import generate_extract

NHS_LIKE = ["943 476 5918", "401 023 2138", "9434765918"]   # check digits wrong (see test below)
POSTCODE_LIKE = ["SW1A 1A", "B33 8T", "EC1A 1B"]                 # not full postcodes


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    frame = generate_extract(70, seed=23, partnerships=("Northbridge",), quarters=3)
    frame["case_id"] = [f"LEAK{i:04d}QZ" for i in range(len(frame))]
    notes = NHS_LIKE + POSTCODE_LIKE
    frame["notes"] = [notes[i % len(notes)] for i in range(len(frame))]
    folder = tmp_path_factory.mktemp("leak")
    path = folder / "planted.csv"
    frame.to_csv(path, index=False)
    out = folder / "pack"
    result = subprocess.run(
        [sys.executable, "-m", "audit.cli", "run", str(path), "--out", str(out),
         "--no-history", "--pdf", "--jobs", "2"],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return frame, out, result.stdout + result.stderr


def _secrets(frame) -> list[str]:
    values = list(frame["case_id"]) + NHS_LIKE + POSTCODE_LIKE
    return values + [v.replace(" ", "") for v in values if " " in v]


def _texts(path: Path) -> list[bytes]:
    """Every byte stream a reader could see in a file: raw, unzipped parts, PDF text."""
    data = path.read_bytes()
    texts = [data]
    if path.suffix in (".xlsx", ".pptx"):
        with zipfile.ZipFile(path) as archive:
            texts += [archive.read(name) for name in archive.namelist()]
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        texts += [(page.extract_text() or "").encode() for page in reader.pages]
        texts.append(json.dumps({k: str(v) for k, v in (reader.metadata or {}).items()}).encode())
    return texts


def test_planted_values_pass_the_guard():
    assert not any(is_valid_nhs_number(v) for v in NHS_LIKE)
    assert not any(is_uk_postcode(v) for v in POSTCODE_LIKE)


def test_no_planted_value_in_any_board_file(planted):
    frame, out, _ = planted
    board_files = [p for p in out.rglob("*") if p.is_file() and "notebooks" not in p.parts]
    assert {p.suffix for p in board_files} >= {".html", ".png", ".csv", ".xlsx", ".pptx", ".pdf", ".json"}
    for path in board_files:
        for text in _texts(path):
            found = [s for s in _secrets(frame) if s.encode() in text]
            assert not found, f"{path.relative_to(out)} contains {found[:3]}"


def test_no_planted_value_in_the_log(planted):
    frame, _, log = planted
    assert not [s for s in _secrets(frame) if s in log]


def test_working_notebooks_show_no_case_ids(planted):
    frame, out, _ = planted
    notebooks = list((out / "notebooks").glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        text = path.read_text(encoding="utf-8")
        assert not [c for c in frame["case_id"] if c in text], path.name
