"""audit.measures.targets: the board's targets, the only standard a pack holds a figure against
(issue 20: no "expected level" nobody set)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from audit.disclosure import protect
from audit.errors import ValidationError
from audit.measures.targets import Target, read_targets
from audit.render.section import Text
from audit.sections.action_plan import ACTIONS_SHEET, actions
from audit.workspace import open_audit

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "pooled_extract.csv"
HEADER = "Measure,Target,Agreed by,Agreed on\n"


def test_a_targets_file_names_measures_three_ways_and_shares_three_ways(tmp_path: Path):
    path = tmp_path / "targets.csv"
    path.write_text(HEADER + "Father seen,60%,Partnership board,12/09/2025\n"
                    "father_contacted,0.75,Partnership board,2025-09-12\n"
                    "sharing.info_shared_health,80,Health sub-group,01/10/2025\n",
                    encoding="utf-8")
    targets = read_targets(path)
    assert targets == {
        "engagement.seen": Target("engagement.seen", 0.6, "Partnership board",
                                  dt.date(2025, 9, 12)),
        "engagement.contacted": Target("engagement.contacted", 0.75, "Partnership board",
                                       dt.date(2025, 9, 12)),
        "sharing.info_shared_health": Target("sharing.info_shared_health", 0.8,
                                             "Health sub-group", dt.date(2025, 10, 1)),
    }
    assert targets["engagement.seen"].words() == (
        "the target of 60% agreed by Partnership board on 12/09/2025")


def test_every_problem_of_a_targets_file_is_listed_with_row_and_column(tmp_path: Path):
    path = tmp_path / "targets.csv"
    path.write_text(HEADER + "Father seen,60%,,12/09/2025\n"
                    "Domestic abuse,50%,Board,12/09/2025\n"
                    "Father sean,60%,Board,12/09/2025\n"
                    "Father seen,140%,Board,next year\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="the targets file has 6 problems") as info:
        read_targets(path)
    assert [(p.row, p.column) for p in info.value.problems] == [
        (2, "agreed_by"), (3, "measure"), (4, "measure"), (5, "measure"), (5, "target"),
        (5, "agreed_on")]
    assert "is a risk factor, not a practice measure" in info.value.problems[1].message


def test_the_plan_holds_a_figure_against_the_boards_target_and_says_who_set_it():
    data = open_audit(SAMPLE, period="2025-Q3", partnership="Northbridge")
    seen = data.metrics.set_index("metric").loc["engagement.seen"]
    rate = seen["numerator"] / seen["denominator"]
    data.targets = {"engagement.seen": Target("engagement.seen", 0.9, "Partnership board",
                                              dt.date(2025, 9, 12))}
    section = actions(protect(data, "board"))
    plan = next(t for t in section.tables if t.sheet == ACTIONS_SHEET).frame
    finding = plan.set_index("Measure to watch").at["Father seen", "Finding"]
    half_up = Decimal(repr(float(rate) * 100)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    assert finding.startswith(f"Father seen: {half_up}%, ")
    assert "below the target the board set (90.0%)" in finding
    targets = next(t for t in section.tables if t.sheet == "Targets").frame
    assert targets.to_dict("records") == [{"Measure": "Father seen", "Target": "90.0%",
                                           "Agreed by": "Partnership board",
                                           "Agreed on": "12/09/2025"}]
    # without targets: no figure is held against any line
    data.targets = {}
    plain = actions(protect(data, "board"))
    words = " ".join(b.text for b in plain.blocks if isinstance(b, Text))
    findings = " ".join(next(t for t in plain.tables if t.sheet == ACTIONS_SHEET)
                        .frame["Finding"])
    assert "No target is set" in words
    for text in (words, findings):
        assert "below the target" not in text and "expected level" not in text
    assert not [t for t in plain.tables if t.sheet == "Targets"]


def test_a_bad_targets_file_stops_the_run_before_any_work(tmp_path: Path):
    path = tmp_path / "targets.csv"
    path.write_text(HEADER + "Domestic abuse,50%,Board,12/09/2025\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "audit", "run", str(SAMPLE), "--period",
                           "2025-Q3", "--targets", str(path), "--out", str(tmp_path / "pack")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert "targets.csv" in done.stderr and "row 2" in done.stderr
    assert "Domestic abuse is a risk factor" in done.stderr
    assert not (tmp_path / "pack").exists()
