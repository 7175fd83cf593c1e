"""Adding a measure is three edits, as CONTRIBUTING.md says: this test makes them.

It copies the package, adds a made-up engagement measure (``father_invited_to_conference``)
to the contract exactly as CONTRIBUTING.md's "Adding a measure" describes — the column in
``ENGAGEMENT_FLAGS``, its metric's label, the audit form's header and question — and
checks, in a fresh interpreter on the copy, that the new measure reaches the metrics table,
the engagement section of the board pack, and the public pack's disclosure model, with no
other edit anywhere.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _edit(text: str, anchor: str, addition: str) -> str:
    assert anchor in text, f"CONTRIBUTING's anchor is gone: {anchor!r}"
    return text.replace(anchor, anchor + addition, 1)


@pytest.mark.e2e
def test_a_new_measure_takes_three_edits_in_the_contract(tmp_path):
    package = tmp_path / "src" / "audit"
    shutil.copytree(ROOT / "src" / "audit", package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    contract = package / "contract.py"
    text = contract.read_text(encoding="utf-8")
    # 1. The column, in its group (not a funnel step, so ENGAGEMENT_FUNNEL is left alone).
    text = _edit(text, '    "father_crying_advice",\n)', "")
    text = text.replace('    "father_crying_advice",\n)',
                        '    "father_crying_advice",\n    "father_invited_to_conference",\n)', 1)
    # 2. Its metric's label.
    text = _edit(text, '    "engagement.crying_advice": "Father given crying advice",\n',
                 '    "engagement.invited_to_conference": "Father invited to conference",\n')
    # 3. The audit form's header and question.
    text = _edit(text, '    "father_crying_advice": "Father given crying advice",\n',
                 '    "father_invited_to_conference": "Invited to conference",\n')
    text = _edit(text, '    "father_crying_advice": "Was he given advice',
                 "")
    text = text.replace(
        '    "father_crying_advice": "Was he given advice',
        '    "father_invited_to_conference": "Was he invited to the child protection '
        'conference?",\n    "father_crying_advice": "Was he given advice', 1)
    contract.write_text(text, encoding="utf-8")

    rows = ["case_id,notification_date,child_age_months,harmed_by,known_to,partnership,"
            "father_seen,father_invited_to_conference"]
    answers = ["yes"] * 9 + ["no"] * 14 + [""] * 3
    for i, answer in enumerate(answers):
        rows.append(f"SYN-C-{i:03d},2025-0{1 + i % 6}-15,3,birth_father,universal,"
                    f"{'A' if i % 2 else 'B'},{'yes' if i % 3 else 'no'},{answer}")
    extract = tmp_path / "extract.csv"
    extract.write_text("\n".join(rows) + "\n", encoding="utf-8")
    script = textwrap.dedent(f"""
        import audit
        from audit.disclosure.publication import build_publication
        data = audit.open_audit({str(extract)!r}, allow_missing="all").compute()
        row = data.metrics.set_index("metric").loc["engagement.invited_to_conference"]
        print("metric", int(row.numerator), int(row.denominator), int(row.unknown))
        section = audit.sections.engagement(data, "board")
        table = section.tables[0].frame
        print("section", "Father invited to conference" in set(table["Measure"]))
        families = {{t.family for c in build_publication(data).counts for t in c.terms}}
        print("public", "father_invited_to_conference" in families)
        from audit.form import build_form
        print("form", "Invited to conference" in [c.value for c in build_form()["Cases"][1]])
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env={"PYTHONPATH": str(tmp_path / "src"), "PATH": "/usr/bin:/bin"},
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = dict(line.split(" ", 1) for line in result.stdout.strip().splitlines())
    # Counted by hand from the rows above: 9 yes, 14 no, 3 blank (unknown).
    assert lines["metric"] == "9 23 3"
    assert lines["section"] == "True"
    assert lines["public"] == "True"
    assert lines["form"] == "True"
