"""The `audit` command: help, exit codes, what reaches stdout/stderr, nothing half-written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from audit import cli

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
BROKEN = SAMPLE / "broken"


def audit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "audit.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.mark.parametrize(("command", "options"), [
    (None, ["validate", "metrics", "run", "sample", "--debug", "exit codes"]),
    ("validate", ["EXTRACT", "--sheet"]),
    ("metrics", ["--output", "--period", "--partnership", "--level", "--sheet"]),
    ("run", ["--period", "--partnership", "--out", "--suppress-max", "--jobs", "--kernel"]),
    ("sample", ["--out", "--seed"]),
])
def test_help_is_complete(command, options, capsys):
    argv = [command, "--help"] if command else ["--help"]
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in options:
        assert option in text


@pytest.mark.parametrize("name", ["pooled_extract.csv", "national_review_2021.csv",
                                  "northbridge_extract.xlsx"])
def test_validate_accepts_every_bundled_sample(name):
    result = audit("validate", SAMPLE / name)
    assert result.returncode == 0, result.stderr
    assert "rows read" in result.stdout and "in scope" in result.stdout


@pytest.mark.parametrize("name", ["missing_column.csv", "bad_codes.csv", "identifier_column.csv",
                                  "nhs_number_value.csv", "postcode_value.csv",
                                  "duplicate_headers.csv", "ragged_rows.csv"])
def test_validate_refuses_each_broken_extract_with_exit_2(name):
    result = audit("validate", BROKEN / name)
    assert result.returncode == 2
    assert name in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_bad_codes_lists_every_problem_with_row_and_column():
    result = audit("validate", BROKEN / "bad_codes.csv")
    err = result.stderr
    # a few of the 14 problems, each located (see data/sample/broken/README.md)
    for where in ["row 3, column 'notification_date'", "row 4, column 'child_age_months'",
                  "row 4, column 'harmed_by'", "row 5, column 'known_to'",
                  "row 7, column 'case_id'"]:
        assert where in err, where


@pytest.mark.parametrize(("name", "secret"), [("nhs_number_value.csv", "401 023 2137"),
                                              ("postcode_value.csv", "B33 8TH")])
def test_identifier_values_are_never_echoed(name, secret):
    result = audit("validate", BROKEN / name)
    assert result.returncode == 2
    assert "row 3" in result.stderr
    compact = secret.replace(" ", "")
    for stream in (result.stdout, result.stderr):
        assert secret not in stream and compact not in stream.replace(" ", "")


def test_out_of_scope_rows_are_reported_not_fatal():
    result = audit("validate", BROKEN / "out_of_scope.csv")
    assert result.returncode == 0
    assert "excluded (12 m +):   2" in result.stdout


def test_metrics_reproduce_the_national_review(tmp_path):
    out = tmp_path / "metrics.csv"
    result = audit("metrics", SAMPLE / "national_review_2021.csv", "-o", out)
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out).set_index("metric")
    published = {  # contract.md, "The national reference", typed out by hand
        "harmed_by.birth_father": 81, "harmed_by.another_male_carer": 11,
        "known_to.universal": 45, "known_to.early_help": 24, "known_to.child_in_need": 12,
        "known_to.child_protection_plan": 11, "risk.domestic_abuse": 59,
        "risk.father_mental_ill_health": 32, "risk.young_parent": 30, "risk.care_leaver": 5,
    }
    for metric, count in published.items():
        row = table.loc[metric]
        assert (row["numerator"], row["denominator"]) == (count, 92), metric
        assert (row["national_numerator"], row["national_denominator"]) == (count, 92)
        assert row["p_value"] == 1.0
        assert row["p_holm"] == 1.0
    assert list(table.reset_index().columns)[-2:] == ["p_value", "p_holm"]


def test_metrics_output_is_byte_identical_across_runs(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    assert audit("metrics", SAMPLE / "pooled_extract.csv", "-o", first).returncode == 0
    assert audit("metrics", SAMPLE / "pooled_extract.csv", "-o", second).returncode == 0
    assert first.read_bytes() == second.read_bytes()


def test_metrics_on_bad_input_writes_nothing(tmp_path):
    out = tmp_path / "metrics.csv"
    result = audit("metrics", BROKEN / "bad_codes.csv", "-o", out)
    assert result.returncode == 2
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_metrics_bad_period_is_an_input_error(tmp_path):
    result = audit("metrics", SAMPLE / "pooled_extract.csv", "--period", "last quarter")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_missing_file_is_exit_2_with_the_name():
    result = audit("validate", "no/such/extract.csv")
    assert result.returncode == 2
    assert "extract.csv" in result.stderr


def test_internal_fault_is_exit_1_in_one_line_and_traceback_with_debug(monkeypatch, capsys):
    def boom(args):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(cli, "_cmd_validate", boom)
    assert cli.main(["validate", "x.csv"]) == cli.EXIT_FAULT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error" in err and "--debug" in err
    with pytest.raises(RuntimeError):
        cli.main(["--debug", "validate", "x.csv"])


def test_sample_command_writes_the_bundled_files(tmp_path):
    result = audit("sample", "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "pooled_extract.csv").read_bytes() == (SAMPLE / "pooled_extract.csv").read_bytes()
