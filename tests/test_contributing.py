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
        from audit.disclosure.tables import build_publication
        data = audit.open_audit({str(extract)!r}, allow_missing="all").compute()
        row = data.metrics.set_index("metric").loc["engagement.invited_to_conference"]
        print("metric", int(row.numerator), int(row.denominator), int(row.unknown))
        section = audit.sections.engagement(audit.protect(data, "board"))
        table = section.tables[0].frame
        print("section", "Father invited to conference" in set(table["Measure"]))
        families = {{t.family for c in build_publication(data).counts for t in c.terms}}
        print("public", "father_invited_to_conference" in families)
        from audit.intake.form import build_form
        form = build_form()
        print("form", "Invited to conference" in [c.value for c in form["Cases"][1]])
        print("question", any(dv.prompt == "Was he invited to the child protection conference?"
                              for dv in form["Cases"].data_validations.dataValidation))
        from audit.claims.actions import messages_for
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


# --------------------------------------------------------------------- a new published table

#: The registry entry CONTRIBUTING.md's "Adding a table or chart" describes: cases by the
#: highest level of service involvement, one row a code of ``known_to``.
_ENTRY = '''\
    counts_table(
        "service_levels",
        lambda d: d.cases["known_to"].astype(str).value_counts(sort=False).sort_index()
        .rename_axis("category").reset_index(name="cases"),
        "known_to",
    ),
'''
#: The section function that prints it, and its row in SECTIONS.
_SECTION = '''\
"""Service levels: cases by the highest level of service involvement."""

from audit.disclosure import Protected
from audit.render.section import Section

__all__ = ["service_levels"]


def service_levels(p: Protected) -> Section:
    """Cases by the highest level of service involvement, as a table."""
    section = Section("service-levels", "Service levels")
    table = p.table("service_levels").rename(columns={"category": "Level", "cases": "Cases"})
    return section.table(table, "Cases by the highest level of service involvement",
                         counts=["Cases"], sheet="Service levels")
'''
_SPEC = ('    SectionSpec("service-levels", "Service levels", "service_levels", '
         'service_levels),\n')
_ANCHOR_TABLES = '    PublishedTable("agreement", "agreement", lambda d: d.agreement),\n'
_ANCHOR_SPECS = '    SectionSpec("data-quality", "Data quality", "data_quality", data_quality),\n'
_ANCHOR_IMPORT = "from audit.sections.trends import trends\n"

_PACK = textwrap.dedent("""
    import sys, zipfile
    from pathlib import Path
    from openpyxl import load_workbook
    import audit
    from audit.errors import ReportError
    from audit.run.pack import write_pack
    from audit.sections import build_sections
    out = Path(sys.argv[1])
    data = audit.open_audit(sys.argv[2], period="2025-Q3", partnership="Northbridge")
    for audience in ("board", "public"):
        view = audit.protect(data, audience)
        try:
            sections = build_sections(view, data.history)
        except ReportError as exc:
            print("refused", audience, str(exc).replace(chr(10), " "))
            continue
        folder = out / audience
        folder.mkdir()
        write_pack(folder, view, sections)
        caption = "Cases by the highest level of service involvement"
        page = (folder / f"{audience}-pack.html").read_text(encoding="utf-8")
        sheets = load_workbook(folder / f"{audience}-pack.xlsx").sheetnames
        with zipfile.ZipFile(folder / f"{audience}-pack.pptx") as deck:
            slides = any(caption in deck.read(n).decode("utf-8")
                         for n in deck.namelist() if n.endswith(".xml"))
        table = view.table("service_levels")
        print(audience, caption in page, "Service levels" in sheets, slides,
              ";".join(f"{c}={n}" for c, n in zip(table["category"], table["cases"])))
        if view.publication is not None:
            mine = [c for c in view.publication.counts if c.table == "service_levels"]
            figures = (folder / "figures.csv").read_text(encoding="utf-8")
            from audit.disclosure.figures import check_pack
            check_pack(folder)
            print("attack", len(mine), sum(c.hidden for c in mine),
                  figures.count(",service_levels,"), view.report.attacked)
""")


def _copy_with_section(tmp_path: Path, *, entry: bool) -> Path:
    """A copy of the package with the service-levels section, and (``entry``) its table's
    registry entry: the edits CONTRIBUTING.md's "Adding a table or chart" lists."""
    package = tmp_path / "src" / "audit"
    shutil.copytree(ROOT / "src" / "audit", package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    if entry:
        tables = package / "disclosure" / "tables.py"
        tables.write_text(_edit(tables.read_text(encoding="utf-8"), _ANCHOR_TABLES, _ENTRY),
                          encoding="utf-8")
    (package / "sections" / "service_levels.py").write_text(_SECTION, encoding="utf-8")
    registry = package / "sections" / "__init__.py"
    text = _edit(registry.read_text(encoding="utf-8"), _ANCHOR_IMPORT,
                 "from audit.sections.service_levels import service_levels\n")
    registry.write_text(_edit(text, _ANCHOR_SPECS, _SPEC), encoding="utf-8")
    return tmp_path / "src"


def _run_pack(src: Path, out: Path) -> list[str]:
    out.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", _PACK, str(out), str(ROOT / "data" / "sample" / "pooled_extract.csv")],
        capture_output=True, text=True, timeout=600,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"})
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()


def _service_levels(extract: Path) -> dict[str, int]:
    """The table counted independently of the package: Northbridge, 2025-Q3."""
    import csv

    with open(extract, encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle)
                if r["partnership"] == "Northbridge" and r["notification_date"][:7]
                in ("2025-07", "2025-08", "2025-09") and int(r["child_age_months"]) < 12]
    counts: dict[str, int] = {}
    for r in rows:
        level = r["known_to"].strip() or "unknown"
        counts[level] = counts.get(level, 0) + 1
    return counts


@pytest.mark.e2e
def test_a_new_table_is_one_registry_entry_and_one_section_function(tmp_path):
    lines = _run_pack(_copy_with_section(tmp_path / "with", entry=True), tmp_path / "out")
    by_audience = {line.split(" ", 1)[0]: line.split(" ")[1:] for line in lines}
    # the board pack prints it in the page, the workbook and the slides' notes
    page, sheet, slides, cells = by_audience["board"]
    assert (page, sheet, slides) == ("True", "True", "True")
    board = dict(cell.split("=") for cell in cells.split(";"))
    expected = _service_levels(ROOT / "data" / "sample" / "pooled_extract.csv")
    assert {k: int(v) for k, v in board.items()} == expected
    # the public pack too, its small counts hidden: the attack saw every one of its cells
    page, sheet, slides, cells = by_audience["public"]
    assert (page, sheet, slides) == ("True", "True", "True")
    public = dict(cell.split("=") for cell in cells.split(";"))
    assert set(public) == set(expected)
    for level, n in expected.items():
        if 1 <= n <= 5:
            assert public[level] == "c", level
    listed, hidden, in_figures, attacked = map(int, by_audience["attack"])
    assert listed == len(expected) == in_figures       # each cell in figures.csv
    assert hidden >= sum(1 <= n <= 5 for n in expected.values())
    assert attacked > 0


@pytest.mark.e2e
def test_a_table_without_its_registry_entry_cannot_be_rendered(tmp_path):
    lines = _run_pack(_copy_with_section(tmp_path / "without", entry=False), tmp_path / "out")
    assert [line.split(" ", 2)[:2] for line in lines] == [["refused", "board"],
                                                           ["refused", "public"]]
    assert all("no published table 'service_levels'" in line
               and "audit.disclosure.tables.TABLES" in line for line in lines)
