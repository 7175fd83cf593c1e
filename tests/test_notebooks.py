"""The notebooks are the source: committed clean, one per section, each board cell one call."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from audit.sections import SECTIONS

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_notebooks_are_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name}: a cell has outputs"
            assert cell.get("execution_count") is None, f"{path.name}: execution counts"
    assert nb["metadata"]["kernelspec"]["name"] == "audit"


def test_every_section_has_its_notebook_and_nothing_else():
    names = {p.stem for p in NOTEBOOKS.glob("*.ipynb")}
    assert names == {spec.notebook for spec in SECTIONS}


@pytest.mark.parametrize("spec", SECTIONS, ids=lambda s: s.notebook)
def test_each_board_cell_is_one_call_to_its_section(spec):
    nb = json.loads((NOTEBOOKS / f"{spec.notebook}.ipynb").read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    parameters = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(parameters) == 1
    calls = [s for s in sources if re.search(r"audit\.sections\.\w+\(", s)]
    history = ", data.history" if spec.history else ""
    assert calls == [f"audit.sections.{spec.build.__name__}(audit.protect(data, audience){history})"]
