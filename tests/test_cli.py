"""The `audit` command: help, exit codes, what reaches stdout/stderr, nothing half-written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from audit import cli
from audit.contract import column_label
from cli_process import in_process
from packs import MARKING

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
BROKEN = SAMPLE / "broken"


def audit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "audit.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.mark.parametrize(("command", "options"), [
    (None, ["validate", "metrics", "run", "check-disclosure", "sample", "--debug",
            "exit codes"]),
    ("validate", ["EXTRACT", "--sheet"]),
    ("metrics", ["--output", "--period", "--partnership", "--level", "--sheet"]),
    ("run", ["--period", "--partnership", "--out", "--audience", "--marking",
             "--suppress-max", "--jobs", "--kernel", "--no-notebooks"]),
    ("check-disclosure", ["PACK_DIR"]),
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
    # the national review's reconstruction records only the measures it published
    partial = ("--allow-missing", "all") if name == "national_review_2021.csv" else ()
    result = audit("validate", SAMPLE / name, *partial)
    assert result.returncode == 0, result.stderr
    assert "rows read" in result.stdout and "in scope" in result.stdout


@pytest.mark.parametrize("name", ["missing_column.csv", "bad_codes.csv", "identifier_column.csv",
                                  "nhs_number_value.csv", "postcode_value.csv",
                                  "duplicate_headers.csv", "ragged_rows.csv"])
def test_validate_refuses_each_broken_extract_with_exit_2(name):
    result = in_process(["validate", BROKEN / name])  # the process itself: tests below
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
    result = in_process(["validate", BROKEN / name])
    assert result.returncode == 2
    assert "row 3" in result.stderr
    compact = secret.replace(" ", "")
    for stream in (result.stdout, result.stderr):
        assert secret not in stream and compact not in stream.replace(" ", "")


def test_out_of_scope_rows_are_reported_not_fatal():
    # the file records two of the 22 measures: the others are meant to be absent
    result = audit("validate", BROKEN / "out_of_scope.csv", "--allow-missing", "all")
    assert result.returncode == 0
    assert "excluded (12 m +):   2" in result.stdout


def test_metrics_reproduce_the_national_review(tmp_path):
    out = tmp_path / "metrics.csv"
    result = audit("metrics", SAMPLE / "national_review_2021.csv", "-o", out,
                   "--allow-missing", "all")  # it records only the published measures
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


# --------------------------------------------------------------------------- audiences


@pytest.fixture(scope="module")
def small_extract(shared_extract) -> Path:
    return shared_extract


def test_run_public_writes_a_marked_pack_that_check_disclosure_passes(public_pack):
    folder = public_pack.folder
    assert public_pack.stdout.strip() == f"public pack: {folder.resolve() / 'public-pack.html'}"
    assert (folder / "figures.csv").is_file() and not (folder / "notebooks").exists()
    page = (folder / "public-pack.html").read_text(encoding="utf-8")
    assert MARKING in page
    result = audit("check-disclosure", folder)
    assert result.returncode == 0, result.stderr
    assert "disclosure check passed (threshold 5)" in result.stdout
    # the narrowest range in values a reader counts, never fewer than the threshold allows
    held = re.search(r"the narrowest range holds (\d+) possible values", result.stdout)
    assert held and int(held.group(1)) > 5, result.stdout


def test_check_disclosure_refuses_an_altered_pack(public_pack, tmp_path):
    altered = tmp_path / "altered"
    import shutil

    shutil.copytree(public_pack.folder, altered)
    metrics = (altered / "metrics.csv").read_text(encoding="utf-8").splitlines()
    header = metrics[0].split(",")
    column = header.index("numerator")
    for i, line in enumerate(metrics[1:], start=1):
        cells = line.split(",")
        if cells[column] == "c":
            cells[column] = "3"          # a hidden count printed after all
            metrics[i] = ",".join(cells)
            break
    else:
        pytest.fail("the public pack hides no numerator")
    (altered / "metrics.csv").write_text("\n".join(metrics) + "\n", encoding="utf-8")
    result = audit("check-disclosure", altered)
    assert result.returncode == 2
    assert "altered" in result.stderr and "Traceback" not in result.stderr


def test_check_disclosure_on_a_folder_that_is_not_a_public_pack(tmp_path):
    result = audit("check-disclosure", tmp_path)
    assert result.returncode == 2
    assert "figures.csv" in result.stderr and "public pack" in result.stderr


def test_suppress_max_is_for_public_packs_only(small_extract, tmp_path):
    out = tmp_path / "board"
    result = audit("run", small_extract, "--suppress-max", "3", "--no-history", "--out", out)
    assert result.returncode == 2
    assert "--suppress-max applies to public packs only" in result.stderr
    assert not out.exists()


def test_no_notebooks_and_a_notebooks_folder_are_refused_together(small_extract, tmp_path,
                                                                    capsys):
    out = tmp_path / "board"
    assert cli.main(["run", str(small_extract), "--no-notebooks", "--notebooks",
                     str(tmp_path), "--no-history", "--out", str(out)]) == cli.EXIT_INPUT
    assert "give one or the other" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("args", [("--audience", "press"), ("--suppress-max", "many")])
def test_bad_run_options_are_usage_errors(small_extract, tmp_path, args):
    result = audit("run", small_extract, *args, "--no-history", "--out", tmp_path / "o")
    assert result.returncode == 2 and "usage:" in result.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.usefixtures("charts_not_drawn")  # words, files and codes: not pictures
def test_a_bad_threshold_or_marking_is_exit_2_and_writes_nothing(small_extract, tmp_path):
    for args in (("--audience", "public", "--suppress-max", "0"), ("--marking", " ")):
        alone = ("--alone",) if "public" in args else ()
        result = audit("run", small_extract, *args, "--no-history", *alone, "--out",
                       tmp_path / "o")
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr
        assert not (tmp_path / "o").exists()


@pytest.mark.usefixtures("charts_not_drawn")  # words, files and codes: not pictures
def test_an_audit_too_small_to_publish_is_exit_2(tmp_path):
    path = tmp_path / "tiny.csv"
    path.write_text("case_id,notification_date,child_age_months,harmed_by,known_to\n"
                    + "".join(f"T{i},2025-01-0{i + 1},3,birth_father,universal\n"
                              for i in range(4)))
    result = audit("run", path, "--audience", "public", "--no-history", "--alone", "--out",
                   tmp_path / "o",
                   "--allow-missing", "all")  # no measures at all: deliberately, and said so
    assert result.returncode == 2
    assert "too few to publish" in result.stderr
    assert not (tmp_path / "o").exists()


# ------------------------------------- issue 21: no measure missing without consent

MESSY_HEADER = (
    "case_id,notification_date,child_age_months,harmed_by,known_to,partnership,"
    "DA,Young dad,Enquiries beyond mum,ICON advice to dad,Money worries,"
    "Crying trigger"
)


def _messy(tmp_path: Path, *, with_the_rest: bool = True) -> Path:
    """A case-management export: six measures under local names; the other 16 as the
    contract names them (or not at all)."""
    from audit.contract import FLAG_COLUMNS

    renamed = {
        "domestic_abuse",
        "young_parent",
        "father_enquiry_beyond_mother",
        "father_crying_advice",
        "external_pressures",
        "trigger_infant_behaviour",
    }
    rest = [f for f in FLAG_COLUMNS if f not in renamed] if with_the_rest else []
    header = ",".join([MESSY_HEADER, *rest])
    rows = [
        f"M{i},2025-0{7 + i % 3}-1{i},{i % 12},birth_father,universal,Harbourside,"
        + ",".join(["yes" if (i + j) % 2 else "no" for j in range(6 + len(rest))])
        for i in range(8)
    ]
    path = tmp_path / "messy.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["validate", "metrics", "run"])
def test_measures_under_local_names_stop_every_command_with_the_renames(tmp_path, capsys, command):
    path = _messy(tmp_path)
    out = tmp_path / "out"
    extra = {
        "validate": [],
        "metrics": ["-o", str(tmp_path / "m.csv")],
        "run": ["--out", str(out), "--no-history"],
    }[command]
    assert cli.main([command, str(path), *extra]) == cli.EXIT_INPUT
    err = capsys.readouterr().err
    assert (
        f"\naudit {command}: messy.csv: 6 measures of the contract are missing, so this "
        "stops here rather than leave them out of every figure"
    ) in f"\n{err}"
    for header, column in [
        ("DA", "domestic_abuse"),
        ("Young dad", "young_parent"),
        ("Enquiries beyond mum", "father_enquiry_beyond_mother"),
        ("ICON advice to dad", "father_crying_advice"),
        ("Money worries", "external_pressures"),
        ("Crying trigger", "trigger_infant_behaviour"),
    ]:
        assert (
            f"column '{column}': measure missing ({column_label(column)}): the file's "
            f"column '{header}' looks like it: rename that header to '{column}'"
        ) in err
    assert "--allow-missing domestic_abuse,young_parent," in err
    assert not (tmp_path / "m.csv").exists() and not out.exists()


def test_every_missing_measure_is_listed_even_with_no_look_alike(tmp_path, capsys):
    path = _messy(tmp_path, with_the_rest=False)
    assert cli.main(["validate", str(path)]) == cli.EXIT_INPUT
    err = capsys.readouterr().err
    assert "22 measures of the contract are missing" in err
    assert err.count("measure missing (") == 22
    assert (
        "column 'care_leaver': measure missing (Care leaver): no column of this file looks like it"
    ) in err


def test_allow_missing_takes_several_names_and_validate_says_which_are_absent(tmp_path, capsys):
    path = _messy(tmp_path)
    names = (
        "domestic_abuse,young_parent,father_enquiry_beyond_mother,father_crying_advice,"
        "external_pressures"
    )
    assert (
        cli.main(
            [
                "validate",
                str(path),
                "--allow-missing",
                names,
                "--allow-missing",
                "trigger_infant_behaviour",
            ]
        )
        == cli.EXIT_OK
    )
    out = capsys.readouterr().out
    assert out.splitlines()[1] == (
        "  measures absent:     6 of 22, allowed with --allow-missing: domestic_abuse, "
        "young_parent, external_pressures, trigger_infant_behaviour, "
        "father_enquiry_beyond_mother, father_crying_advice")
    assert cli.main(["validate", str(path), "--allow-missing", "all"]) == cli.EXIT_OK
    # one left out of the list is still a problem
    assert cli.main(["validate", str(path), "--allow-missing", names]) == cli.EXIT_INPUT
    err = capsys.readouterr().err
    assert "1 measure of the contract is missing" in err
    assert "run again with --allow-missing trigger_infant_behaviour" in err


def test_a_public_pack_without_the_history_store_needs_alone(small_extract, tmp_path):
    """Issue 22: a public pack made with --no-history is checked alone, not with the packs
    already published about its cases (the ledger), so beside them it could give hidden
    counts away: refused (exit 2, nothing written) unless --alone says it will be the only
    one published; --alone is refused anywhere else."""
    out = tmp_path / "o"
    refused = audit("run", small_extract, "--audience", "public", "--no-history", "--out", out)
    assert refused.returncode == 2 and not out.exists()
    assert "a public pack made with --no-history is checked alone" in refused.stderr
    assert "(--history PATH), or add --alone if this pack will be the only one published" \
        in refused.stderr
    for args in (("--alone", "--no-history"), ("--audience", "public", "--alone")):
        wrong = audit("run", small_extract, *args, "--out", out)
        assert wrong.returncode == 2 and not out.exists(), args
        assert "--alone is for a public pack made with --no-history" in wrong.stderr


def test_every_sheet_option_that_reads_an_extract_says_the_cases_sheet_is_the_default():
    """Analyst 2, A6: the help said "default: the first sheet" while the sheet named Cases
    is read wherever it stands: one declaration, naming that sheet."""
    from audit.cli import SHEET_HELP, build_parser
    from audit.intake.read.from_xlsx import CASES_SHEET

    assert f"named '{CASES_SHEET}'" in SHEET_HELP and "default: the first sheet" not in SHEET_HELP
    commands = build_parser()._subparsers._group_actions[0].choices
    helps = {name: next(a.help for a in parser._actions if "--sheet" in a.option_strings)
             for name, parser in commands.items()
             if any("--sheet" in a.option_strings for a in parser._actions)}
    for name in ("validate", "metrics", "run", "notebooks"):
        assert helps[name] == SHEET_HELP, name


@pytest.mark.parametrize(
    ("stop", "code", "words"),
    [
        ("Terminated", 143, "audit: terminated (SIGTERM); nothing was written"),
        ("KeyboardInterrupt", 130, "audit: interrupted; nothing was written"),
    ],
)
def test_a_signal_wrapped_by_python_still_stops_the_run_with_its_own_code(
    stop, code, words, monkeypatch, tmp_path, capsys
):
    """A SIGTERM or Ctrl-C that lands while Python builds a class (an import mid-run)
    surfaces as ``RuntimeError: Error calling __set_name__`` caused by it; CI saw one exit 1
    as an "internal error". It is still the signal: 143 or 130, with its own words."""
    import audit.errors
    import audit.intake.sample

    signal_type = getattr(audit.errors, stop, None) or KeyboardInterrupt

    def wrapped(*_args, **_kwargs):
        try:
            raise signal_type()
        except KeyboardInterrupt as exc:
            raise RuntimeError(
                "Error calling __set_name__ on 'Field' instance 'formats' in 'Sheet'"
            ) from exc

    monkeypatch.setattr(audit.intake.sample, "write_samples", wrapped)
    assert cli.main(["sample", "--out", str(tmp_path)]) == code
    err = capsys.readouterr().err
    assert err.strip() == words
    assert "internal error" not in err
