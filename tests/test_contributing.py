"""Adding a measure is one edit, as CONTRIBUTING.md says: this test makes it.

It copies the package, adds a made-up engagement measure (``father_invited_to_conference``)
exactly as CONTRIBUTING.md's "Adding a measure" describes — one ``Measure`` record in
``MEASURES`` (src/audit/measure_catalogue.py) holding its column, family, label, the audit
form's header and question, and its practice message — and checks, in a fresh interpreter
on the copy, that the new measure reaches the metrics table, the engagement section of the
board pack, the public pack's disclosure model, the audit form and the draft actions'
practice messages, with no other edit anywhere.
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


#: The one edit: CONTRIBUTING.md's "Adding a measure" shows this record.
NEW_MEASURE = """    Measure(
        "father_invited_to_conference",
        "engagement",
        label="Father invited to conference",
        header="Invited to conference",
        question="Was he invited to the child protection conference?",
        messages=("include_in_assessment_and_plan",),
    ),
"""


@pytest.mark.e2e
def test_a_new_measure_takes_one_record_in_the_catalogue(tmp_path):
    package = tmp_path / "src" / "audit"
    shutil.copytree(ROOT / "src" / "audit", package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    catalogue = package / "measure_catalogue.py"
    text = catalogue.read_text(encoding="utf-8")
    # The one edit: a record after the last engagement measure (not a funnel step, so no
    # ``step=True``). Nothing else in the package changes.
    text = _edit(text, '"ICON advice to dad", "Crying advice"),\n    ),\n', NEW_MEASURE)
    catalogue.write_text(text, encoding="utf-8")
    # CONTRIBUTING.md shows the very record this test adds.
    guide = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert textwrap.dedent(NEW_MEASURE).strip() in guide

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
        form = build_form()
        print("form", "Invited to conference" in [c.value for c in form["Cases"][1]])
        print("question", any(dv.prompt == "Was he invited to the child protection conference?"
                              for dv in form["Cases"].data_validations.dataValidation))
        from audit.actions import messages_for
        print("actions", [m.id for m in messages_for("engagement.invited_to_conference")])
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
    assert lines["question"] == "True"
    assert lines["actions"] == "['include_in_assessment_and_plan']"
