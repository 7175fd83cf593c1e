"""The broken-extract corpus (tests/corpus/, issue 6): every hostile file, through the CLI.

Each case runs ``audit validate FILE`` in a fresh, empty working folder (and a
representative subset also ``audit metrics FILE -o OUT`` and ``audit run FILE --out DIR``)
and checks what an analyst would see:

* the exit code: 2 for a file the suite refuses, 0 for one it accepts (and then the numbers);
* a message that names the file and, where they apply, the row and the column;
* no Python traceback, no "internal error" and no warning on stderr, and no flood of output
  (a 10 MB cell is quoted in at most 40 characters);
* no identifier value echoed anywhere;
* nothing left behind: no output file or folder, no ``.partial-`` staging folder, nothing
  in the working folder or in the temporary folder (``TMPDIR``) of the run.

The single list :data:`CASES` drives every test; ``tests/corpus/README.md`` is its table for
people, and a test keeps the two in step. Files over 100 KB are made at test time by the
``make`` function of their case; ``tests/corpus/make_corpus.py`` regenerates the others.

``validate`` and ``metrics`` run in-process (``audit.cli.main`` with the working folder,
temporary folder and output streams a process would have, warnings printed to stderr):
what they test is the messages, codes and files, not the process. ``run`` runs as a real
process, in parallel threads started when the module's fixture is first used.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cli_process import in_process

CORPUS = Path(__file__).resolve().parent / "corpus"
TIMEOUT = 300
WORKERS = max(2, min(8, os.cpu_count() or 2))

_spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
make_corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_corpus)
HEADER, ROWS = make_corpus.HEADER, make_corpus.ROWS

# ------------------------------------------------------------- files made at test time


def make_huge_cell(path: Path) -> None:
    """A 10 MB value in one harmed_by cell (row 4)."""
    rows = [list(r) for r in ROWS]
    rows[2][3] = "birth_father " + "x" * (10 * 2**20)
    path.write_text(make_corpus.csv_text(HEADER, rows), encoding="utf-8")


def make_huge_header(path: Path) -> None:
    """A valid extract with one extra column whose header is 1 MB long."""
    long = "Free text notes " * (2**20 // 16)
    path.write_text(make_corpus.csv_text([*HEADER, long], [[*r, ""] for r in ROWS]),
                    encoding="utf-8")


def make_folder(path: Path) -> None:
    """A folder named like an extract, with the extract inside it."""
    path.mkdir()
    (path / "extract.csv").write_text(make_corpus.csv_text(HEADER, ROWS), encoding="utf-8")


def make_zip_bomb(path: Path) -> None:
    """A valid workbook whose sheet XML is padded with 100 MB of spaces (about 100 KB zipped)."""
    base = make_corpus.xlsx_bytes({"Cases": [HEADER, *ROWS]})
    with zipfile.ZipFile(io.BytesIO(base)) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            member = zipfile.ZipInfo(info.filename, make_corpus.FIXED)
            member.compress_type = zipfile.ZIP_DEFLATED
            if not info.filename.endswith("sheet1.xml"):
                dst.writestr(member, data)
                continue
            head, tail = data.split(b"</sheetData>")
            with dst.open(member, "w", force_zip64=True) as out:
                out.write(head)
                block = b" " * 2**20
                for _ in range(100):
                    out.write(block)
                out.write(b"</sheetData>" + tail)


# ---------------------------------------------------------------------------- the cases


@dataclass(frozen=True)
class Case:
    """One corpus file and what the suite must do with it."""

    name: str                                  # file name in tests/corpus/ (or made at test time)
    breaks: str                                # what it breaks (the README's second column)
    code: int                                  # exit code: 2 refused, 0 accepted
    says: tuple[str, ...] = ()                 # fragments of the message (stderr; stdout if accepted)
    where: tuple[str, ...] = ()                # located problems: "row 3, column 'harmed_by'"
    absent: tuple[str, ...] = ()               # must not appear in any output
    secret: tuple[str, ...] = ()               # identifier values: never printed, even spaced out
    args: tuple[str, ...] = ()                 # extra CLI arguments
    full: bool = False                         # also `audit metrics -o` (and `audit run` if refused)
    metrics: dict[str, tuple[int, int, int] | None] = field(default_factory=dict)
    make: Callable[[Path], None] | None = None  # made at test time (too big, or not a file)
    # The corpus's extract records 2 of the 22 measures (domestic_abuse, father_seen): each
    # command says the other 20 are meant to be absent (--allow-missing all), unless the
    # case is about missing measures itself.
    partial: bool = True

    def __str__(self) -> str:
        return self.name


# Counted by hand from make_corpus.ROWS. Service levels are shares of the cases known to a
# service (contract v1.1): 6 known, 1 of them "none", so 2 of 5 for universal.
NATIVE = {"harmed_by.birth_father": (3, 6, 0), "risk.domestic_abuse": (3, 5, 1),
          "engagement.seen": (3, 5, 1), "known_to.universal": (2, 5, 0)}

CASES: list[Case] = [
    # ------------------------------------------------------------ empty and near-empty
    Case("empty.csv", "0 bytes", 2, ("the file is empty (0 bytes)",), full=True),
    Case("header_only.csv", "the header row and nothing else", 2,
         ("the extract has a header but no data rows",)),
    Case("blank_lines_only.csv", "only blank lines (CRLF, spaces, a row of commas)", 2,
         ("the file holds only blank lines",)),
    Case("no_in_scope_rows.csv", "every baby is 12 months or older", 2,
         ("no in-scope rows", "12 months or older"), ("column 'child_age_months'",)),
    # ------------------------------------------------------------ separators and headers
    Case("semicolon_delimited.csv", "separated by semicolons, as European-locale Excel saves",
         2, ("row 1 is split by semicolons (;), not commas", "CSV UTF-8 (Comma delimited)"),
         full=True),
    Case("bom_semicolons.csv", "UTF-8 byte-order mark, semicolons and CRLF", 2,
         ("row 1 is split by semicolons",)),
    Case("tab_delimited.csv", "tab-separated text with a .csv name", 2,
         ("row 1 is split by tabs, not commas",)),
    Case("title_row.csv", "a title and an 'Exported' line above the header row", 2,
         ("row 1 does not hold the column names, but row 3 does",
          "delete the rows above row 3")),
    Case("title_row.xlsx", "a workbook title in A1, a blank row, the header in row 3", 2,
         ("row 1 does not hold the column names, but row 3 does",)),
    Case("merged_headers.xlsx", "merged group labels (A1:E1, F1:G1) above the real header", 2,
         ("row 1 does not hold the column names, but row 2 does",)),
    Case("headerless.csv", "no header row: row 1 is the first case", 2,
         ("row 1 looks like data, not column names", "the header row is missing"),
         absent=("CX-0001", "required column is missing"), full=True),
    Case("duplicated_headers.csv", "'father_seen' and 'Father Seen' both present", 2,
         ("'father_seen' (column 7) and 'Father Seen' (column 9)", "keep one")),
    Case("repeated_header_row.csv", "the header row pasted again at row 5 (two exports joined)",
         2, ("row 5: repeats the header row",), absent=("'notification_date' is not a date",)),
    Case("long_header_names.csv", "an ignored column whose header is 5,000 characters", 0,
         ("usable", "Notes about the case Notes about the case"),
         absent=("Notes about the case " * 3,)),
    Case("huge_header.csv", "an ignored column whose header is 1 MB (made at test time)", 0,
         ("usable", "Free text notes"), absent=("Free text notes " * 4,),
         make=make_huge_header),
    Case("unrecognised_flag_headers.csv", "every flag column under a name the contract does "
         "not know ('DA?', 'Dad seen (Y/N)')", 2,
         ("22 measures of the contract are missing, so this stops here rather than leave them "
          "out of every figure", "the file's column 'DA?' looks like it: rename that header to "
          "'domestic_abuse'", "the file's column 'Dad seen (Y/N)' looks like it: rename that "
          "header to 'father_seen'", "--allow-missing all"),
         ("column 'domestic_abuse'", "column 'father_seen'"), full=True, partial=False),
    Case("identifier_among_40_columns.csv", "a 'Mother's surname' column hidden at column 22 "
         "of 41", 2, ("column 'Mother's surname'", "looks like a direct identifier"),
         secret=("Exampleson", "Sampleton")),
    # ------------------------------------------------------------------------ values
    Case("mixed_date_formats.csv", "dates as 2024/03/20, '5 Mar 2024', an Excel serial, "
         "03-04-24 and American 12/25/2024 (and two accepted forms)", 2,
         ("5 problems", "'45292' looks like an Excel date serial number",
          "'12/25/2024' is not a real date"),
         tuple(f"row {r}, column 'notification_date'" for r in (4, 5, 6, 7, 9)),
         absent=("row 3, column", "row 8, column")),
    Case("future_dates.csv", "notification dates in 2099 and 2031", 2, ("is in the future",),
         ("row 3, column 'notification_date'", "row 5, column 'notification_date'")),
    Case("pre_panel_dates.csv", "dates before 29 June 2018 (2017, the day before, 1905)", 2,
         ("is before 29 June 2018", "check the year"),
         tuple(f"row {r}, column 'notification_date'" for r in (3, 5, 7)),
         # the first day is not before the Panel (it is listed as a stray date: 2018 in a
         # 2024 return, with the other problems, not in a later round)
         absent=("'29/06/2018' is before",)),
    Case("ages_as_text.csv", "ages 'three', '6 months', 'eleven', '1y' and blank", 2,
         ("is not a whole number of months", "child_age_months is blank"),
         tuple(f"row {r}, column 'child_age_months'" for r in (2, 3, 5, 6, 7)),
         absent=("row 4, column",)),
    Case("huge_cell.csv", "a 10 MB harmed_by cell (made at test time)", 2,
         ("xxxx…' is not a valid harmed_by code",), ("row 4, column 'harmed_by'",),
         absent=("x" * 100,), full=True, make=make_huge_cell),
    Case("padded_codes.csv", "codes, flags, ages and dates padded with spaces, tabs, "
         "non-breaking and zero-width spaces", 0, ("usable",), full=True,
         metrics={"harmed_by.birth_father": (1, 3, 0), "known_to.universal": (1, 3, 0),
                  "risk.domestic_abuse": (1, 2, 1), "engagement.seen": (2, 3, 0)}),
    Case("all_flags_unknown.csv", "every flag value 'unknown' or blank", 0,
         ("usable", "100.0%"), full=True,
         metrics={"harmed_by.birth_father": (3, 6, 0), "risk.domestic_abuse": (0, 0, 6),
                  "engagement.seen": (0, 0, 6)}),
    Case("duplicated_case_ids.csv", "one case_id on all 300 rows", 2,
         ("300 problems", "… and 280 more rows with a repeated case_id"),
         ("row 2, column 'case_id'", "row 21, column 'case_id'"), absent=("row 22, column",)),
    Case("nhs_number_in_case_id.csv", "a valid NHS number as a case_id (row 3)", 2,
         ("looks like an NHS number", "the value is not shown here"),
         ("row 3, column 'case_id'",), secret=("401 023 2137",), full=True),
    Case("postcode_in_partnership.csv", "a full postcode as the partnership (row 5)", 2,
         ("looks like a full UK postcode",), ("row 5, column 'partnership'",),
         secret=("B33 8TH",)),
    Case("control_chars_in_codes.csv", "control characters, an ANSI escape and a "
         "right-to-left override inside codes", 2, ("\ufffd",),
         ("row 3, column 'harmed_by'", "row 4, column 'known_to'"),
         absent=("\x01", "\x1b", "\u202e")),
    Case("garbage_bytes_in_codes.csv", "bytes that are neither UTF-8 nor Windows-1252 on line 4",
         2, ("neither UTF-8 nor Windows-1252", "line 4")),
    Case("unbalanced_quotes.csv", "an opening double quote that is never closed (line 3)", 2,
         ("a quoted value starting on line 3 is never closed",)),
    # ---------------------------------------------------------------------- encodings
    Case("utf16.csv", "UTF-16 with a byte-order mark (Excel's 'Unicode Text')", 2,
         ("UTF-16 text", "CSV UTF-8 (Comma delimited)")),
    Case("utf16_no_bom.csv", "UTF-16 without a byte-order mark", 2, ("UTF-16 text",)),
    Case("excel_csv_utf8_crlf.csv", "Excel 'CSV UTF-8': BOM, CRLF, title-case headers, UK "
         "dates", 0, ("usable",), full=True, metrics=NATIVE),
    Case("cr_only_line_endings.csv", "old Mac line endings (CR only)", 0, ("usable",)),
    # ------------------------------------------------------------ not a table at all
    Case("random_bytes.csv", "2 KB of random bytes", 2, ("looks binary, not CSV text",)),
    Case("png_renamed.csv", "a PNG image renamed .csv", 2, ("this is a PNG image, not CSV",)),
    Case("web_page.csv", "an HTML sign-in page saved instead of the download", 2,
         ("this is a web page (HTML",)),
    Case("extract.txt", "a good CSV extract with a .txt name", 2,
         ("cannot read '.txt' files", "rename it to .csv")),
    Case("extract.json", "JSON", 2, ("cannot read '.json' files",)),
    Case("folder.csv", "a folder named like an extract, with an extract inside (made at test "
         "time): a folder is read as a folder of returns, so it is accepted", 0,
         ("usable",), make=make_folder),
    Case("empty_folder", "a folder with no extract inside (made at test time)", 2,
         ("the folder holds no extract files",), make=lambda p: p.mkdir()),
    # ---------------------------------------------------------------------- workbooks
    Case("truncated.xlsx", "the first 1,500 bytes of a workbook", 2,
         ("the workbook is damaged or incomplete",)),
    Case("password_protected.xlsx", "a workbook encrypted with a password", 2,
         ("password-protected (encrypted)", "remove the password"), full=True),
    Case("csv_named.xlsx", "CSV text with an .xlsx name", 2,
         ("this is plain text (perhaps CSV), not an Excel workbook", "rename it to .csv")),
    Case("wrong_sheet_name.xlsx", "a sheet asked for that is not there: the only sheet is "
         "'Rapid reviews'", 2,
         ("no sheet named 'Cases'", "its sheets are 'Rapid reviews'"), args=("--sheet", "Cases")),
    Case("empty_first_sheet.xlsx", "the first sheet is empty, the data are on 'Cases'", 0,
         ("usable (sheet 'Cases')",)),
    Case("formula_cells.xlsx", "formulas written by openpyxl, with no saved results, in "
         "three contract columns and one ignored column", 2,
         ("3 formula cells with no saved result", "open the workbook in Excel and save it"),
         ("row 5, column 'notification_date'", "row 3, column 'child_age_months'",
          "row 4, column 'domestic_abuse'"), absent=("Check",), full=True),
    Case("excel_error_cells.xlsx", "#N/A and #REF! error values in contract columns", 2,
         ("holds an Excel error (#REF!)", "holds an Excel error (#N/A)"),
         ("row 6, column 'child_age_months'", "row 3, column 'domestic_abuse'")),
    Case("far_cell.xlsx", "six cases and one '.' at XFD1048576: 17 billion cells if read "
         "naively (the library aborts the process)", 2,
         ("stretches over 1,048,576 rows by 16,384 columns", "column XFD"), full=True),
    Case("dimension_lie.xlsx", "a sheet that claims A1:XFD1048576 but holds six cases", 0,
         ("usable",), full=True, metrics=NATIVE),
    Case("zip_bomb.xlsx", "a workbook padded with 100 MB of spaces, 100 KB zipped (made at "
         "test time)", 2, ("would expand to 100 MB", "compressed more than 200 to 1"),
         make=make_zip_bomb),
    # ------------------------------------------------------------------------ Parquet
    Case("parquet_wrong_types.parquet", "ints as case_id and dates, dates as ages, bools as "
         "harmed_by, floats as known_to (bools and 1/0 as flags are fine)", 2,
         ("'20240105' is not a date", "'2024-01-01' is not a whole number of months",
          "'true' is not a valid harmed_by code", "'1.5' is not a valid known_to code"),
         tuple(f"row 2, column '{c}'" for c in ("notification_date", "child_age_months",
                                                "harmed_by", "known_to")),
         absent=("column 'case_id'", "column 'domestic_abuse'", "column 'father_seen'"),
         full=True),
    Case("parquet_nested_column.parquet", "known_to holds lists", 2,
         ("column 'known_to' holds lists or records",)),
    Case("parquet_bad_utf8.parquet", "bytes that are not UTF-8 inside a Parquet text column "
         "(Parquet does not check)", 2, ("column 'harmed_by' holds text that is not valid "
                                         "UTF-8",)),
]

COMMANDS = ("validate", "metrics", "run")


# --------------------------------------------------------------------------- the runner


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str
    target: Path
    left: list[str]      # everything in the working folder afterwards
    temp: list[str]      # everything in TMPDIR afterwards
    table: dict[str, dict[str, str]] | None  # metrics.csv rows by metric id, when written


#: Commands checked in-process (their messages, exit codes and files are what is tested):
#: about forty times faster than a Python process each. ``run`` (it starts kernels and
#: stages a pack) is checked as a real process, as an analyst starts it.
IN_PROCESS = ("validate", "metrics")


def _in_process(argv: list[str], cwd: Path, temp: Path) -> tuple[int, str, str]:
    """``audit.cli.main(argv)`` as a process would see it (tests/cli_process.py): the working
    folder ``cwd``, the temporary folder ``temp``, its own stdout and stderr."""
    done = in_process(argv, cwd=cwd, temp=temp)
    return done.returncode, done.stdout, done.stderr


class Runner:
    """Runs each CLI command once: ``validate`` and ``metrics`` in-process, when first asked
    for; ``run`` in subprocesses, in parallel threads, started as soon as they are known."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.pool = ThreadPoolExecutor(max_workers=WORKERS)
        self.futures: dict[tuple[str, str], Future[Outcome]] = {}
        self.done: dict[tuple[str, str], Outcome] = {}

    def submit(self, case: Case, command: str) -> None:
        key = (case.name, command)
        if command not in IN_PROCESS and key not in self.futures:
            self.futures[key] = self.pool.submit(self._run, case, command)

    def result(self, case: Case, command: str) -> Outcome:
        key = (case.name, command)
        if command in IN_PROCESS:
            if key not in self.done:
                self.done[key] = self._run(case, command)
            return self.done[key]
        self.submit(case, command)
        return self.futures[key].result()

    def outcomes(self) -> list[Outcome]:
        """Every outcome so far, waiting for the processes still running."""
        return [*self.done.values(), *(f.result() for f in list(self.futures.values()))]

    def _run(self, case: Case, command: str) -> Outcome:
        work = self.base / f"{case.name}-{command}"
        cwd, temp, inputs = work / "cwd", work / "tmp", work / "input"
        for folder in (cwd, temp, inputs):
            folder.mkdir(parents=True)
        if case.make:
            target = inputs / case.name
            case.make(target)
        else:
            target = CORPUS / case.name
        argv = [command, str(target), *case.args]
        if case.partial:
            argv += ["--allow-missing", "all"]
        if command == "metrics":
            argv += ["-o", str(cwd / "metrics.csv")]
        elif command == "run":
            argv += ["--out", str(cwd / "reports" / "pack")]
        if command in IN_PROCESS:
            code, out, err = _in_process(argv, cwd, temp)
        else:
            env = {**os.environ, "TMPDIR": str(temp), "TEMP": str(temp), "TMP": str(temp)}
            done = subprocess.run([sys.executable, "-m", "audit.cli", *argv], capture_output=True,
                                  cwd=cwd, env=env, timeout=TIMEOUT)
            code = done.returncode
            out = done.stdout.decode("utf-8", "replace")
            err = done.stderr.decode("utf-8", "replace")
        table = None
        if (cwd / "metrics.csv").is_file():
            with (cwd / "metrics.csv").open(newline="", encoding="utf-8") as handle:
                table = {row["metric"]: row for row in csv.DictReader(handle)}
        return Outcome(code, out, err, target, _listing(cwd), _listing(temp), table)


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture(scope="module")
def runner(request, tmp_path_factory):
    run = Runner(tmp_path_factory.mktemp("corpus"))
    # Start every selected `run` test's process now, so the subprocesses overlap.
    for item in request.session.items:
        if getattr(item, "module", None) is sys.modules[__name__] and hasattr(item, "callspec"):
            case = item.callspec.params.get("case")
            command = item.originalname.removeprefix("test_")
            if isinstance(case, Case) and command in COMMANDS:
                run.submit(case, command)
    yield run
    run.pool.shutdown(wait=True, cancel_futures=True)


# ---------------------------------------------------------------------------- checks


def check(case: Case, outcome: Outcome, command: str) -> None:
    where = f"{command} {case.name}:\nstdout: {outcome.out[:3000]}\nstderr: {outcome.err[:3000]}"
    assert outcome.code == case.code, where
    for stream in (outcome.out, outcome.err):
        assert "Traceback" not in stream, where
        assert "internal error" not in stream, where
        assert not re.search(r"\b\w*(Warning|Error):", stream), where
        assert len(stream) < 20_000, f"{command} {case.name}: {len(stream):,} characters of output"
        for text in case.absent:
            assert text not in stream, f"{text!r} printed\n{where}"
        for secret in case.secret:
            assert secret not in stream, where
            assert secret.replace(" ", "") not in stream.replace(" ", ""), where
    if case.code or command == "validate":  # accepted: only `validate` prints a summary
        shown = outcome.err if case.code else outcome.out
        for fragment in (*case.says, *case.where):
            assert fragment in shown, f"missing {fragment!r}\n{where}"
    if case.code:
        assert outcome.err.startswith(f"audit {command}: {case.name}: ") or (
            command == "run" and f"audit run: {case.name}: " in outcome.err), where
        assert outcome.out == "", where
        assert outcome.left == [], f"left behind: {outcome.left}"
        assert outcome.temp == [], f"left in TMPDIR: {outcome.temp}"
    else:
        expected = ["metrics.csv"] if command == "metrics" else []
        assert outcome.left == expected, f"left behind: {outcome.left}"


@pytest.mark.parametrize("case", CASES, ids=str)
def test_validate(case, runner):
    check(case, runner.result(case, "validate"), "validate")


@pytest.mark.parametrize("case", [c for c in CASES if c.full], ids=str)
def test_metrics(case, runner):
    outcome = runner.result(case, "metrics")
    check(case, outcome, "metrics")
    if case.code:
        assert outcome.table is None
        return
    assert outcome.table is not None
    for metric, expected in case.metrics.items():
        if expected is None:
            assert metric not in outcome.table, metric
            continue
        row = outcome.table[metric]
        got = (int(row["numerator"]), int(row["denominator"]), int(row["unknown"]))
        assert got == expected, metric


@pytest.mark.slow  # a real process each, several seconds on a busy machine
@pytest.mark.parametrize("case", [c for c in CASES if c.full and c.code], ids=str)
def test_run(case, runner):
    outcome = runner.result(case, "run")
    check(case, outcome, "run")
    assert ".partial-" not in " ".join(outcome.left)


# ------------------------------------------------------------------- the corpus itself


def test_the_corpus_has_at_least_thirty_files():
    assert len(CASES) >= 30
    assert len({c.name for c in CASES}) == len(CASES)


def _corpus_state() -> dict[str, tuple[int, int]]:
    """Every file in the corpus folder, with its size and modification time."""
    return {str(p.relative_to(CORPUS)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(CORPUS.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


#: The corpus folder as collection found it, before any command ran.
_BEFORE_THE_RUNS = _corpus_state()


def test_committed_files_are_small_and_each_has_a_case():
    committed = {p.name for p in CORPUS.iterdir() if p.name not in ("README.md", "make_corpus.py")
                 and not p.name.startswith((".", "__"))}
    assert committed == {c.name for c in CASES if c.make is None}
    for name in committed:
        assert (CORPUS / name).stat().st_size < 100_000, name


def test_readme_table_lists_every_case_in_order():
    text = (CORPUS / "README.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `([^`]+)` \|", text, flags=re.MULTILINE)
    assert listed == [c.name for c in CASES]


@pytest.mark.e2e  # runs commands itself when it runs alone (the fast loop)
def test_the_corpus_folder_is_untouched_by_the_runs(runner):
    # Runs happen in their own working folders; nothing may appear next to the inputs, and
    # no input may change. Every command runs on committed files here even when this test
    # runs alone (the other tests' runs, if selected, are waited for too): validate and
    # metrics on a good file, run on a refused one (a whole pack's run on a good file is the
    # shared board pack's, whose extract folder test_report checks the same way).
    good = next(c for c in CASES if c.make is None and c.full and c.code == 0)
    refused = next(c for c in CASES if c.make is None and c.full and c.code)
    for case, command in ((good, "validate"), (good, "metrics"), (refused, "run")):
        runner.result(case, command)
    outcomes = runner.outcomes()
    assert {o.target for o in outcomes} >= {CORPUS / good.name, CORPUS / refused.name}
    assert _corpus_state() == _BEFORE_THE_RUNS
