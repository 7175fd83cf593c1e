"""Moderation: second audits given with --moderation are pooled as such (issue 25).

A moderated pool of three returns (one a second audit of 10 cases) gives figures equal to a
plain count of the first auditors' answers, and its data-quality section names the
questions the auditors read differently.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from audit.cli import main
from audit.contract import COLUMN_LABELS, column_label, match_header
from audit.disclosure import protect
from audit.errors import ParameterError, ValidationError
from audit.intake.form import write_form
from audit.intake.moderation import RULE
from audit.intake.pooling import load_returns
from audit.sections import data_quality
from audit.sections.data_quality import CONSISTENCY_HEADING
from audit.workspace import open_audit
from test_form import _fill, _independent_counts

#: The question the second auditor reads differently on purpose.
READ_DIFFERENTLY = "adult_services_linked"
MODERATED = 10
_OTHER = {"Yes": "No", "No": "Yes", "Not known": "Yes", None: "Yes"}


def _second_audit(first: Path, target: Path, rows: range, *, flip: str | None) -> Path:
    """A second auditor's form: the first return's cases in ``rows`` (spreadsheet rows),
    its answers the same but for ``flip``, answered differently in 6 of the cases."""
    shutil.copy(first, target)
    book = load_workbook(target)
    sheet = book["Cases"]
    letters = {match_header(c.value): c.column_letter for c in sheet[1]}
    for row in range(2, sheet.max_row + 1):
        if row not in rows:
            for cell in sheet[row]:
                cell.value = None
    if flip is not None:
        letter = letters[flip]
        for row in list(rows)[:6]:
            sheet[f"{letter}{row}"] = _OTHER[sheet[f"{letter}{row}"].value]
    book.save(target)
    return target


@pytest.fixture(scope="module")
def pool(tmp_path_factory) -> tuple[Path, Path, list[dict[str, object]]]:
    """Two auditors' returns (25 cases each) and a second audit of 10 of the first's."""
    folder = tmp_path_factory.mktemp("moderated")
    rows: list[dict[str, object]] = []
    for seed in (1, 2):
        path = write_form(folder / f"return-{seed}.xlsx", partnership="Harbourside")
        rows += _fill(path, 25, seed=seed)
    second = _second_audit(
        folder / "return-1.xlsx",
        folder / "second-audit.xlsx",
        range(2, 2 + MODERATED),
        flip=READ_DIFFERENTLY,
    )
    return folder, second, rows


def test_a_plain_duplicate_is_still_refused_with_todays_message(pool):
    folder, second, _ = pool
    with pytest.raises(ValidationError) as caught:
        load_returns([folder / "return-1.xlsx", second])
    text = str(caught.value)
    assert "second-audit.xlsx, row 2, column 'case_id': the same case id is in " in text
    assert "return-1.xlsx row 2: each case belongs to one return" in text


def test_a_marked_second_audit_is_accepted_and_not_counted(pool):
    folder, second, _ = pool
    # the folder holds the second audit too: marked, it is taken out of the returns
    extract = load_returns([folder], moderation=[second])
    assert len(extract.cases) == 50
    assert set(extract.cases["source"]) == {"return-1.xlsx", "return-2.xlsx"}
    assert [s.get("role") for s in extract.sources] == [None, None, "second audit"]
    moderated = extract.moderated
    assert moderated["case_id"].nunique() == MODERATED
    assert set(moderated["source"]) == {"second-audit.xlsx"}
    differ = moderated[moderated["first"] != moderated["second"]]
    assert set(differ["question"]) == {READ_DIFFERENTLY} and len(differ) == 6


def test_a_second_audit_of_a_case_nobody_audited_first_names_file_and_row(pool, tmp_path):
    folder, _, _ = pool
    stray = _second_audit(folder / "return-2.xlsx", tmp_path / "stray.xlsx", range(2, 5),
                          flip=None)
    with pytest.raises(ValidationError) as caught:
        load_returns([folder / "return-1.xlsx"], moderation=[stray])
    problems = caught.value.problems
    assert [(p.file, p.row, p.column) for p in problems] == [
        ("stray.xlsx", row, "case_id") for row in (2, 3, 4)
    ]
    assert "in none of the first auditors' returns" in problems[0].message


def test_agreed_answers_replace_the_first_auditors_and_need_a_moderated_case(pool, tmp_path):
    folder, second, _ = pool
    agreed = _second_audit(second, tmp_path / "agreed.xlsx", range(2, 4), flip=None)
    firsts = [folder / "return-1.xlsx", folder / "return-2.xlsx"]
    extract = load_returns(firsts, moderation=[second], agreed=[agreed])
    settled = extract.moderated.dropna(subset=["agreed"])
    assert settled["case_id"].nunique() == 2
    cases = extract.cases.set_index("case_id")
    for case, answer in settled.loc[
        settled["question"] == READ_DIFFERENTLY, ["case_id", "agreed"]
    ].itertuples(index=False):
        assert cases.at[case, READ_DIFFERENTLY] == answer  # the second (= agreed) answer
    assert extract.sources[-1]["role"] == "agreed"

    not_moderated = _second_audit(folder / "return-1.xlsx", tmp_path / "late.xlsx",
                                  range(20, 21), flip=None)
    with pytest.raises(ValidationError) as caught:
        load_returns(firsts, moderation=[second], agreed=[not_moderated])
    (problem,) = caught.value.problems
    assert (problem.file, problem.row) == ("late.xlsx", 20)
    with pytest.raises(ParameterError, match="--moderation"):
        load_returns(firsts, agreed=[agreed])
    with pytest.raises(ParameterError, match="give those returns too"):
        load_returns([second], moderation=[second])


def _plain_figures(table: pd.DataFrame, rows: list[dict[str, object]]) -> None:
    table = table.set_index("metric")
    for metric, (num, den, unk) in _independent_counts(rows).items():
        got = (table.at[metric, "numerator"], table.at[metric, "denominator"],
               table.at[metric, "unknown"])
        assert got == (num, den, unk), metric


def test_a_moderated_pool_counts_the_first_auditors_and_names_weak_questions(pool):
    folder, second, rows = pool
    data = open_audit([folder], moderation=[second])
    _plain_figures(data.metrics, rows)  # a plain count of the first auditors' answers
    agreement = data.agreement
    assert agreement["pairs"].eq(MODERATED).all()
    assert agreement.loc[agreement["weak"], "question"].tolist() == [READ_DIFFERENTLY]

    section = data_quality(protect(data, "board"))
    texts = [b.text for b in section.blocks if b.kind in ("text", "heading")]
    assert CONSISTENCY_HEADING in texts
    words = next(t for t in texts if "read differently" in t)
    assert column_label(READ_DIFFERENTLY) in words
    assert any(RULE in t for t in texts)
    (table,) = [t for t in section.tables if t.sheet == "Auditor agreement"]
    flagged = table.frame.loc[table.frame["Read differently"] == "yes", "Question"]
    assert flagged.tolist() == [column_label(READ_DIFFERENTLY)]

    public = data_quality(protect(data, "public"))
    assert not [t for t in public.tables if t.sheet == "Auditor agreement"]
    said = " ".join(b.text for b in public.blocks if b.kind == "text")
    assert "reported to the board, not in this public pack" in said
    assert column_label(READ_DIFFERENTLY) not in said.split("not known:")[0]


def test_cli_metrics_and_validate_take_moderation(pool, tmp_path, capsys):
    folder, second, rows = pool
    out = tmp_path / "metrics.csv"
    assert main(["metrics", str(folder), "--moderation", str(second), "-o", str(out)]) == 0
    _plain_figures(pd.read_csv(out), rows)
    assert main(["validate", str(folder), "--moderation", str(second)]) == 0
    said = capsys.readouterr().out
    assert "second-audit.xlsx (second audit)" in said
    assert f"moderated cases:     {MODERATED} audited twice" in said
    assert main(["validate", str(folder)]) == 2  # unmarked: a duplicate, as before
    assert "each case belongs to one return" in capsys.readouterr().err


def test_the_form_explains_moderation():
    from audit.intake.form import build_form

    guidance = build_form()["Guidance"]
    text = " ".join(str(c.value) for row in guidance.iter_rows() for c in row if c.value)
    assert "--moderation" in text and "same Case ID" in text
    assert COLUMN_LABELS["case_id"] in text


@pytest.mark.usefixtures("charts_not_drawn")  # words, files and codes: not pictures
@pytest.mark.e2e
def test_run_with_a_second_audit_board_and_public_packs(pool, tmp_path):
    import json

    folder, second, _ = pool
    board = tmp_path / "board"
    assert main(["run", str(folder), "--moderation", str(second), "--out", str(board),
                 "--no-history", "--no-notebooks"]) == 0
    page = (board / "board-pack.html").read_text(encoding="utf-8")
    assert CONSISTENCY_HEADING in page and "Questions the auditors read differently" in page
    assert "Auditor agreement" in load_workbook(board / "board-pack.xlsx").sheetnames
    manifest = json.loads((board / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["input"]["files"][-1]["role"] == "second audit"
    assert "--moderation" in manifest["rerun"]

    public = tmp_path / "public"
    assert main(["run", str(folder), "--moderation", str(second), "--out", str(public),
                 "--no-history", "--alone", "--audience", "public"]) == 0
    page = next(public.glob("*.html")).read_text(encoding="utf-8")
    assert "reported to the board, not in this public pack" in page
    assert "Gwet" not in page and "kappa" not in page


def test_the_prepared_extract_keeps_the_moderated_answers(pool, tmp_path):
    from audit.workspace import load_prepared, save_prepared

    folder, second, _ = pool
    extract = load_returns([folder], moderation=[second])
    again = load_prepared(save_prepared(extract, tmp_path / "cases.parquet"))
    pd.testing.assert_frame_equal(
        again.moderated.astype(object), extract.moderated.astype(object)
    )
    assert again.sources == extract.sources
    plain = load_prepared(save_prepared(load_returns([folder / "return-1.xlsx"]),
                                        tmp_path / "plain.parquet"))
    assert plain.moderated is None
