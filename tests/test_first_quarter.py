"""A new analyst's first two quarters, as a test (issue 21, "Done when").

Blank form -> three auditors' returns (one with a partnership typed another way, one with a
wrong-year date) -> every problem reported with its file, row and the fix -> the returns
corrected -> the 2025-Q3 board pack, run from one folder -> a messy 2025-Q4 export from a
case-management system (local abbreviations as headers, Windows-1252, Y/N answers) -> the
missing measures named with their best-guess headers -> the headers fixed -> the 2025-Q4
board pack, run from another folder, into the same (default) history store, whose trend
holds both quarters. Every expected figure is counted here with plain Python from the
answers the test wrote, not by the suite.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from audit.contract import CODE_LABELS, FLAG_COLUMNS, flag_metric_id, match_header
from cli_process import in_process

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(sys.platform != "linux", reason="the default store follows XDG_DATA_HOME"),
]

PARTNERSHIP = "Harbourside"
#: Headers a case-management system exports for six measures (issue 21, case 3).
LOCAL = {"domestic_abuse": "DA", "young_parent": "Young dad",
         "father_enquiry_beyond_mother": "Enquiries beyond mum",
         "father_crying_advice": "ICON advice to dad", "external_pressures": "Money worries",
         "trigger_infant_behaviour": "Crying trigger"}
YES, NO, NOT_KNOWN = "Yes", "No", "Not known"


def answer(case: int, flag_number: int) -> str:
    """A fixed, varied answer for every case and flag (no randomness to reproduce)."""
    value = (case * 7 + flag_number * 3) % 10
    return YES if value < 5 else NO if value < 9 else NOT_KNOWN


def case_rows(first: int, n: int, month: int, year: int = 2025) -> list[dict[str, object]]:
    """``n`` cases by contract column, dated in ``month``."""
    harmed = ["Birth father", "Stepfather", "Mother's partner", "Birth father", NOT_KNOWN]
    known = list(CODE_LABELS["known_to"].values())
    rows = []
    for case in range(first, first + n):
        row: dict[str, object] = {
            "case_id": f"HS-{case:04d}",
            "notification_date": dt.date(year, month, 1 + case % 27),
            "child_age_months": case % 12,
            "harmed_by": harmed[case % len(harmed)],
            "known_to": known[case % len(known)],
            "partnership": PARTNERSHIP,
        }
        row.update({flag: answer(case, i) for i, flag in enumerate(FLAG_COLUMNS)})
        rows.append(row)
    return rows


def expected_counts(rows: list[dict[str, object]]) -> dict[str, tuple[int, int, int]]:
    """flag metric -> (yes, yes + no, not known), by plain counting."""
    out = {}
    for flag in FLAG_COLUMNS:
        answers = [row[flag] for row in rows]
        yes, no = answers.count(YES), answers.count(NO)
        out[flag_metric_id(flag)] = (yes, yes + no, answers.count(NOT_KNOWN))
    return out


def fill(form: Path, target: Path, rows: list[dict[str, object]]) -> None:
    """An auditor's return: the blank form with ``rows`` typed under its readable headers."""
    book = load_workbook(form)
    sheet = book["Cases"]
    letters = {match_header(cell.value): cell.column_letter for cell in sheet[1]}
    for i, row in enumerate(rows, start=2):
        for column, value in row.items():
            sheet[f"{letters[column]}{i}"] = value
    book.save(target)


def set_cell(path: Path, row: int, column: str, value: object) -> None:
    book = load_workbook(path)
    sheet = book["Cases"]
    letter = {match_header(c.value): c.column_letter for c in sheet[1]}[column]
    sheet[f"{letter}{row}"] = value
    book.save(path)


@pytest.fixture()
def analyst(tmp_path: Path) -> dict[str, object]:
    """The analyst's machine: no AUDIT_HISTORY, an account data folder of its own."""
    env = {k: v for k, v in os.environ.items() if k != "AUDIT_HISTORY"}
    env["XDG_DATA_HOME"] = str(tmp_path / "account")
    return {"env": env, "store": tmp_path / "account" / "audit" / "history.sqlite"}


def audit(analyst, *args: object, cwd: Path) -> subprocess.CompletedProcess:
    """The command as the analyst types it, run in this process in their folder and
    environment (tests/cli_process.py; the process itself is test_cli's and test_platform's)."""
    return in_process(list(args), cwd=cwd, env=analyst["env"])


def read_metrics(path: Path) -> dict[str, tuple[int, int, int]]:
    with path.open(encoding="utf-8") as f:
        return {r["metric"]: (int(r["numerator"]), int(r["denominator"]), int(r["unknown"]))
                for r in csv.DictReader(f)}


@pytest.mark.usefixtures("charts_not_drawn")  # words, files and codes: not pictures
def test_a_new_analysts_first_two_quarters(tmp_path: Path, analyst):
    office, home = tmp_path / "office", tmp_path / "home"
    returns = office / "returns"
    returns.mkdir(parents=True), home.mkdir()

    # 1. the blank form
    made = audit(analyst, "form", "-o", "form.xlsx", "--partnership", PARTNERSHIP, cwd=office)
    assert made.returncode == 0, made.stderr
    form = office / "form.xlsx"

    # 2. three returns for 2025-Q3: bob types the partnership another way throughout, carol's
    #    row 6 is dated a year early
    alice, bob, carol = case_rows(1, 12, 7), case_rows(101, 11, 8), case_rows(201, 12, 9)
    for row in bob:
        row["partnership"] = "Harbour side"
    carol[4]["notification_date"] = dt.date(2024, 8, 20)
    for name, rows in (("alice", alice), ("bob", bob), ("carol", carol)):
        fill(form, returns / f"{name}.xlsx", rows)

    # 3. validation names both problems at once, each with its file, row and the fix
    checked = audit(analyst, "validate", "returns", cwd=office)
    assert checked.returncode == 2, checked.stdout
    assert "3 returns pooled: 2 problems across the files" in checked.stderr
    assert ("column 'partnership': 'Harbourside' (alice.xlsx rows 2, 3, 4 and 9 more; carol.xlsx "
            "rows 2, 3, 4 and 9 more) and 'Harbour side' (bob.xlsx rows 2, 3, 4 and 8 more) "
            "differ only in case, spaces or punctuation") in checked.stderr
    assert "correct those cells to one spelling (e.g. 'Harbourside'" in checked.stderr
    assert ("carol.xlsx, row 6, column B 'Notification date': 20/08/2024 (2024-Q3) is a year "
            "before the period the rest of this return covers (2025-Q3)") in checked.stderr
    assert "--accept-stray-dates" in checked.stderr
    for extra in ([], ["--replace"]):  # no --replace ever makes one partnership two
        run = audit(analyst, "run", "returns", "--period", "2025-Q3", *extra, cwd=office)
        assert run.returncode == 2 and "carol.xlsx, row 6" in run.stderr
        assert "'Harbour side' (bob.xlsx rows 2, 3, 4 and 8 more)" in run.stderr
        assert "replace=True" not in run.stderr
    assert not analyst["store"].exists()  # nothing recorded from a refused run

    # 4. corrected at source: the board pack for 2025-Q3, run from the office folder
    for i, row in enumerate(bob, start=2):
        set_cell(returns / "bob.xlsx", i, "partnership", PARTNERSHIP)
        row["partnership"] = PARTNERSHIP
    set_cell(returns / "carol.xlsx", 6, "notification_date", dt.date(2025, 8, 20))
    carol[4]["notification_date"] = dt.date(2025, 8, 20)
    q3 = audit(analyst, "run", "returns", "--period", "2025-Q3", "--out", "q3", cwd=office)
    assert q3.returncode == 0, q3.stderr
    assert f"history: no store at {analyst['store']} (this account's default store) yet: " \
           "this run creates it" in q3.stderr
    assert "35 in scope; auditing 35 cases" in q3.stderr
    q3_rows = alice + bob + carol
    got = read_metrics(office / "q3" / "metrics.csv")
    for metric, counts in expected_counts(q3_rows).items():
        assert got[metric] == counts, metric

    # 5. next quarter: a case-management export with local shorthand for six measures, run
    #    from another folder: stopped with every missing measure and its look-alike header
    q4_rows = case_rows(301, 14, 11)
    export = home / "harbourside-q4.csv"
    headers = {c: c for c in ("case_id", "notification_date", "child_age_months",
                              "harmed_by", "known_to", "partnership", *FLAG_COLUMNS)}
    headers.update({"case_id": "CASE REF", "notification_date": "Date notified",
                    "child_age_months": "Age (months)", "harmed_by": "Who harmed the baby",
                    "known_to": "Service involvement",
                    "partnership": "Safeguarding partnership"})
    headers.update(LOCAL)

    def write_export() -> None:
        short = {YES: "Y", NO: "N", NOT_KNOWN: ""}
        with export.open("w", encoding="cp1252", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(headers.values())
            for row in q4_rows:
                writer.writerow([
                    row[c].strftime("%d/%m/%Y") if c == "notification_date"
                    else short.get(row[c], row[c]) if c in FLAG_COLUMNS
                    else str(row[c]).replace("'", "\u2019") for c in headers])

    write_export()
    refused = audit(analyst, "run", export, "--period", "2025-Q4", "--out", "q4",
                    "--no-notebooks", cwd=home)
    assert refused.returncode == 2
    assert "6 measures of the contract are missing" in refused.stderr
    for column, header in LOCAL.items():
        assert (f"column '{column}': measure missing") in refused.stderr
        assert f"the file's column '{header}' looks like it: rename that header to " \
               f"'{column}'" in refused.stderr
    # the analyst renames the six headers as told
    headers.update({column: column for column in LOCAL})
    write_export()
    q4 = audit(analyst, "run", export, "--period", "2025-Q4", "--out", "q4", "--no-notebooks",
               cwd=home)
    assert q4.returncode == 0, q4.stderr
    assert f"history: {analyst['store']} (this account's default store): 1 earlier quarter " \
           f"for {PARTNERSHIP} (2025-Q3)" in q4.stderr
    got = read_metrics(home / "q4" / "metrics.csv")
    for metric, counts in expected_counts(q4_rows).items():
        assert got[metric] == counts, metric
    page = (home / "q4" / "board-pack.html").read_text(encoding="utf-8")
    assert "babies under one harmed by a father or male carer (Harbourside, 2025-Q4)" in page
    assert "Not recorded in this extract" not in page  # no measure silently left out

    # 6. the trend holds both quarters, from the one store
    listed = audit(analyst, "history", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    lines = [line.split() for line in listed.stdout.splitlines()[1:] if line.strip()]
    assert [(line[0], line[1], line[2]) for line in lines] == [
        (PARTNERSHIP, "2025-Q3", "35"), (PARTNERSHIP, "2025-Q4", "14")]
    page = (home / "q4" / "board-pack.html").read_text(encoding="utf-8")
    assert "2025-Q3" in page and "2025-Q4" in page
    # the Q4 pack's trend: 2025-Q3 from the store (written from the office), 2025-Q4 from
    # the export, each as counted here
    sheet = load_workbook(home / "q4" / "board-pack.xlsx")["Trend Father seen"]
    header = next(i for i, row in enumerate(sheet.iter_rows(values_only=True), 1)
                  if row[0] == "Quarter")
    trend = {row[0]: (row[1], row[2]) for row in sheet.iter_rows(min_row=header + 1,
                                                                  values_only=True) if row[0]}
    seen = flag_metric_id("father_seen")
    assert trend == {"2025-Q3": expected_counts(q3_rows)[seen][:2],
                     "2025-Q4": expected_counts(q4_rows)[seen][:2]}
