"""Auditors' returns pooled: several forms, or a folder of them, as one extract."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from audit.cli import main
from audit.errors import ReadError, ValidationError
from audit.intake.form import write_form
from audit.intake.pooling import load_returns, pooled_digest
from audit.measures.metrics import metrics_table
from test_form import _fill, _independent_counts


@pytest.fixture(scope="module")
def returns(tmp_path_factory) -> tuple[Path, list[dict[str, object]]]:
    """Three auditors' forms, each filled from its own drop-downs, in one folder."""
    folder = tmp_path_factory.mktemp("returns")
    rows: list[dict[str, object]] = []
    for seed in (1, 2, 3):
        path = write_form(folder / f"return-{seed}.xlsx", partnership="Harbourside")
        rows += _fill(path, 25, seed=seed)
    return folder, rows


def test_three_forms_in_a_folder_pool_into_one_extract(returns, capsys):
    folder, rows = returns
    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "3 returns pooled: usable" in out
    extract = load_returns([folder])
    assert len(extract.cases) == 75 and len(extract.sources) == 3
    assert set(extract.cases["source"]) == {"return-1.xlsx", "return-2.xlsx", "return-3.xlsx"}
    table = metrics_table(extract.cases).set_index("metric")
    for metric, (num, den, unk) in _independent_counts(rows).items():
        assert (table.at[metric, "numerator"], table.at[metric, "denominator"],
                table.at[metric, "unknown"]) == (num, den, unk), metric


def test_the_pooled_digest_does_not_depend_on_order(returns):
    folder, _ = returns
    files = sorted(folder.glob("*.xlsx"))
    forward = load_returns(files)
    backward = load_returns(list(reversed(files)))
    assert forward.sha256 == backward.sha256 == pooled_digest(forward.sources)
    assert {s["file"] for s in forward.sources} == {f.name for f in files}


def test_a_case_id_in_two_returns_is_refused_naming_both_files(returns, tmp_path):
    folder, _ = returns
    files = sorted(folder.glob("*.xlsx"))
    from openpyxl import load_workbook

    copy = tmp_path / "late-return.xlsx"
    shutil.copy(files[1], copy)
    book = load_workbook(copy)
    book["Cases"]["A2"] = load_workbook(files[0])["Cases"]["A3"].value  # another's case
    book.save(copy)
    with pytest.raises(ValidationError) as caught:
        load_returns([files[0], copy])
    text = str(caught.value)
    assert "late-return.xlsx, row 2, column 'case_id'" in text
    assert "return-1.xlsx row 3" in text


def test_every_file_is_named_in_its_problems(returns, tmp_path):
    folder, _ = returns
    bad = tmp_path / "bad.csv"
    bad.write_text("case_id,notification_date,child_age_months,harmed_by,known_to\n"
                   "X1,2025-13-01,3,birth_father,universal\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        load_returns([sorted(folder.glob("*.xlsx"))[0], bad])
    assert any(p.file == "bad.csv" and p.row == 2 for p in caught.value.problems)


def test_the_same_file_twice_and_an_empty_folder_are_refused(returns, tmp_path):
    folder, _ = returns
    first = sorted(folder.glob("*.xlsx"))[0]
    with pytest.raises(ReadError, match="given twice"):
        load_returns([first, first])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ReadError, match="no extract files"):
        load_returns([tmp_path / "empty"])


@pytest.mark.usefixtures("charts_not_drawn")  # words, files and codes: not pictures
@pytest.mark.e2e
def test_a_run_over_pooled_returns_records_every_input(returns, tmp_path):
    folder, _ = returns
    out = tmp_path / "pack"
    assert main(["run", str(folder), "--out", str(out), "--no-history", "--no-notebooks"]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    files = manifest["input"]["files"]
    assert [f["file"] for f in files] == ["return-1.xlsx", "return-2.xlsx", "return-3.xlsx"]
    assert all(len(f["sha256"]) == 64 for f in files)
    assert manifest["input"]["sha256"] == pooled_digest(files)


def test_each_return_reports_its_missing_measures_once(tmp_path, capsys):
    from audit.contract import FLAG_COLUMNS

    rest = [f for f in FLAG_COLUMNS if f != "domestic_abuse"]
    header = ",".join(["case_id,notification_date,child_age_months,harmed_by,known_to", *rest])
    for name, first in (("alice.csv", "A"), ("bob.csv", "B")):
        extra = ",DA" if name == "alice.csv" else ""
        rows = [
            f"{first}{i},2025-07-0{i + 1},3,birth_father,universal,"
            + ",".join(["no"] * len(rest))
            + (",yes" if extra else "")
            for i in range(3)
        ]
        (tmp_path / name).write_text("\n".join([header + extra, *rows]) + "\n")
    assert main(["validate", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("column 'domestic_abuse': measure missing") == 2
    assert (
        "alice.csv, column 'domestic_abuse': measure missing (Domestic abuse): the file's "
        "column 'DA' looks like it"
    ) in err
    assert (
        "bob.csv, column 'domestic_abuse': measure missing (Domestic abuse): no column of "
        "this file looks like it"
    ) in err
    assert err.count("run again with --allow-missing domestic_abuse") == 2
    assert main(["validate", str(tmp_path), "--allow-missing", "domestic_abuse"]) == 0


def _harbourside_returns(folder: Path) -> dict[str, int]:
    """Three full returns; carol typed 'Harbour side'. Returns cases per spelling."""
    from audit.contract import FLAG_COLUMNS

    folder.mkdir()
    header = ",".join(["case_id,notification_date,child_age_months,harmed_by,known_to,"
                       "partnership", *FLAG_COLUMNS])
    for name, spelling in (("alice.csv", "Harbourside"), ("bob.csv", "Harbourside"),
                           ("carol.csv", "Harbour side")):
        rows = [f"{name[0]}{i},2025-07-1{i},{i},birth_father,universal,{spelling},"
                + ",".join(["yes"] * len(FLAG_COLUMNS)) for i in range(5)]
        (folder / name).write_text("\n".join([header, *rows]) + "\n")
    return {"Harbourside": 10, "Harbour side": 5}


@pytest.mark.parametrize("command", ["validate", "run"])
def test_one_partnership_spelt_two_ways_across_returns_stops_even_with_replace(
        tmp_path, capsys, command):
    _harbourside_returns(tmp_path / "returns")
    out = tmp_path / "pack"
    extra = ["--replace", "--no-history", "--out", str(out)] if command == "run" else []
    assert main([command, str(tmp_path / "returns"), *extra]) == 2
    err = capsys.readouterr().err
    assert ("column 'partnership': 'Harbourside' (alice.csv rows 2, 3, 4 and 2 more; bob.csv "
            "rows 2, 3, 4 and 2 more) and 'Harbour side' (carol.csv rows 2, 3, 4 and 2 more) "
            "differ only in case, spaces or punctuation, so they would be counted as 2 "
            "partnerships. If they are one partnership, correct those cells to one spelling "
            "(e.g. 'Harbourside', used in 10 rows) and run again") in err
    assert "replace=True" not in err and not out.exists()


def test_partnership_is_selected_ignoring_case_spaces_and_punctuation(tmp_path, capsys):
    import pandas as pd

    folder = tmp_path / "returns"
    _harbourside_returns(folder)
    (folder / "carol.csv").write_text((folder / "carol.csv").read_text().replace(
        "Harbour side", "Eastmere"))
    for asked in ("Harbour side", "HARBOUR-SIDE", "harbourside"):
        target = tmp_path / f"{asked}.csv"
        assert main(["metrics", str(folder), "--partnership", asked, "-o", str(target)]) == 0
        table = pd.read_csv(target).set_index("metric")
        assert table.at["harmed_by.birth_father", "denominator"] == 10  # alice's 5 and bob's 5
    assert main(["metrics", str(folder), "--partnership", "Harbour view"]) == 2
    assert "no partnership named 'Harbour view'" in capsys.readouterr().err


def test_a_return_naming_no_partnership_beside_named_returns_is_refused(tmp_path, capsys):
    """carol left the partnership blank on every row, bob has no partnership column: pooled
    beside alice's Harbourside, their cases would count under no partnership (analyst 2,
    A1). Each is a problem naming its file; alone, carol's return is usable."""
    folder = tmp_path / "returns"
    _harbourside_returns(folder)
    carol = folder / "carol.csv"
    carol.write_text(carol.read_text().replace("Harbour side", ""))
    bob = folder / "bob.csv"
    lines = bob.read_text().splitlines()
    bob.write_text("\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != 5)
                             for line in lines) + "\n")
    assert main(["validate", str(folder)]) == 2
    err = capsys.readouterr().err
    for name in ("bob.csv", "carol.csv"):
        assert (f"{name}, column 'partnership': names no partnership (its partnership column "
                "is blank or absent) while other returns name theirs: fill in the "
                "partnership on every row") in err
    assert "alice.csv, column 'partnership'" not in err
    assert main(["validate", str(carol)]) == 0
    assert "partnerships:" not in capsys.readouterr().out
