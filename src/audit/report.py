"""``audit run``: execute the notebooks with papermill and assemble the board pack.

The extract is read and validated once, saved as a prepared Parquet copy in a private
temporary folder (it holds case ids, so it never enters the output folder), and every
notebook gets its path. Notebooks run in parallel processes (papermill changes the working
directory, which is not thread-safe) on a named Jupyter kernel. Everything is written to a
staging folder beside the destination and moved into place only when every step has
succeeded, so a failure leaves no half-written report.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from audit.errors import ReportError, Terminated
from audit.files import atomic_write_text
from audit.kernels import check_kernel as _check_kernel
from audit.kernels import forward_sigterm, notebook_guard, worker_init
from audit.kernels import reset_kernel as _reset_kernel
from audit.kernels import worker_kernel as _worker_kernel
from audit.paths import backup_name, portable_name, remove_leftovers, staging_prefix, temp_prefix

__all__ = [
    "NOTEBOOKS",
    "DEFAULT_KERNEL",
    "RunResult",
    "run_audit",
    "default_output_dir",
    "notebooks_dir",
    "atomic_write_text",
    "record_history",
    "package_versions",
]

#: The notebooks of the board pack, run in this order of submission.
NOTEBOOKS: tuple[str, ...] = (
    "board_summary",
    "trends",
    "risk_factors",
    "father_engagement",
    "services_and_sharing",
    "partnerships",
    "data_quality",
)

#: The board-pack section each notebook writes.
_SECTIONS = ("summary", "trends", "risk-factors", "engagement", "services", "partnerships",
             "data-quality")

#: The Jupyter kernel the set-up registers (``python -m ipykernel install --sys-prefix --name audit``).
DEFAULT_KERNEL = "audit"

_VERSIONED = ("pandas", "numpy", "pyarrow", "scipy", "statsmodels", "matplotlib", "seaborn",
              "afcharts", "pandera", "papermill", "nbformat", "jinja2", "openpyxl", "weasyprint")


@dataclass(frozen=True)
class RunResult:
    """Where ``audit run`` wrote the pack and what it took."""

    output_dir: Path
    board_pack: Path
    seconds: float
    cases: int


def notebooks_dir() -> Path:
    """The project's ``notebooks/`` folder (next to ``src/`` in a checkout)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "notebooks"
        if (candidate / f"{NOTEBOOKS[0]}.ipynb").is_file():
            return candidate
    raise ReportError("cannot find the notebooks/ folder: run audit from a checkout of the "
                      "project, or pass --notebooks DIR")


def default_output_dir(period: str | None, partnership: str | None) -> Path:
    """``reports/<period or all>/``, with the partnership appended when one is chosen.

    The folder name is valid on Windows as well as POSIX whatever the partnership's name
    (:func:`audit.paths.portable_name`: lower-case ASCII words and hyphens, never a device
    name such as ``CON`` or a trailing dot)."""
    label = (period or "").strip().upper()
    name = label if re.fullmatch(r"\d{4}(-Q[1-4])?", label) else \
        portable_name(period or "all", fallback="all")
    if partnership:
        name += "-" + portable_name(partnership)
    return Path("reports") / name


def package_versions() -> dict[str, str]:
    """Versions of Python, audit and the packages that shape the numbers and charts."""
    from importlib.metadata import PackageNotFoundError, version

    from audit import __version__

    found = {"python": platform.python_version(), "audit": __version__}
    for name in _VERSIONED:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _execute(notebook: Path, output: Path, parameters: dict, kernel: str) -> tuple[str, float]:
    """Run one notebook (in a worker process) on the worker's kernel. Returns name, seconds."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    start = time.perf_counter()
    with notebook_guard():  # SIGTERM forwarded to this worker stops the notebook
        km = _worker_kernel(kernel, str(notebook.parent))
        interrupted = False
        try:
            papermill.execute_notebook(
                str(notebook), str(output), parameters=parameters, kernel_name=kernel,
                progress_bar=False, log_output=False, request_save_on_cell_execute=False,
                km=km)
        except PapermillExecutionError as exc:
            evalue = str(exc.evalue).strip().splitlines()
            detail = evalue[-1] if evalue else ""
            raise ReportError(f"notebook {notebook.name} failed at cell {exc.exec_count}: "
                              f"{exc.ename}: {detail}") from None
        except KeyboardInterrupt:
            interrupted = True  # the worker is stopping: its exit shuts the kernel down
            raise
        finally:
            if not interrupted:
                _reset_kernel(km)
    return notebook.stem, time.perf_counter() - start


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_audit(extract: str | Path, *, output_dir: str | Path | None = None,
              period: str | None = None, partnership: str | None = None,
              suppress_max: int = 5, jobs: int | None = None, sheet: str | None = None,
              kernel: str = DEFAULT_KERNEL, notebooks: str | Path | None = None,
              history: str | Path | None = None, each_quarter: bool = False,
              pdf: bool = False, progress: Callable[[str], None] | None = _progress,
              replace: bool = False) -> RunResult:
    """Run the quarterly audit: validate once, execute the notebooks, write the board pack.

    Writes ``board-pack.html``, ``board-pack.xlsx``, the suppressed ``metrics.csv``,
    ``charts/*.png``, the executed analyst notebooks under ``notebooks/`` and
    ``manifest.json`` (and ``board-pack.pdf`` with ``pdf``). With ``history`` (a SQLite file), the trend section reads earlier
    quarters from it and, once the pack is in place, the run's unsuppressed metrics are
    recorded there (replacing any earlier run of the same partnership and period from the
    same extract; from another extract only with ``replace``); with ``each_quarter`` every
    quarter of the extract is recorded too (a backfill).
    """
    from audit.metrics import write_metrics_csv
    from audit.suppress import suppress_metrics
    from audit.validate import load_extract
    from audit.workspace import open_audit, save_prepared

    started = datetime.now(timezone.utc)
    clock = time.perf_counter()
    say = progress or (lambda _message: None)
    if int(suppress_max) < 0:
        raise ValueError("--suppress-max must be 0 or more")
    jobs = int(jobs or os.cpu_count() or 1)
    if jobs < 1:
        raise ValueError("--jobs must be 1 or more")
    nb_dir = Path(notebooks) if notebooks else notebooks_dir()
    missing = [n for n in NOTEBOOKS if not (nb_dir / f"{n}.ipynb").is_file()]
    if missing:
        raise ReportError(f"notebooks missing from {nb_dir}: {', '.join(missing)}")
    _check_kernel(kernel)
    if pdf:  # fail before any work if the PDF engine is missing
        from audit.pdf import require_pdf_engine

        require_pdf_engine()

    extract_path = Path(extract)
    say(f"reading and validating {extract_path.name} …")
    validated = load_extract(extract_path, sheet=sheet)
    destination = Path(output_dir) if output_dir else default_output_dir(period, partnership)
    destination = destination.resolve()
    destination.parent.mkdir(parents=True, exist_ok=True)

    removed = remove_leftovers(destination)  # of runs killed before they could clean up
    if removed:
        say(f"removed {len(removed)} folder(s) left by an earlier run that was stopped: "
            + ", ".join(p.name for p in removed))
    with tempfile.TemporaryDirectory(prefix=temp_prefix("run")) as private:
        prepared = save_prepared(validated, Path(private) / "cases.parquet")
        data = open_audit(prepared, period=period, partnership=partnership)
        if data.cases.empty:
            raise ReportError(f"no in-scope cases for period '{data.period}'"
                              + (f" and partnership '{partnership}'" if partnership else ""))
        say(f"{validated.rows_read} rows read, {len(validated.cases)} in scope; "
            f"auditing {data.in_scope} cases ({data.period_label}, {data.place})")
        if history:  # before the notebooks: a history conflict costs seconds, not a run
            record_history(history, data, validated, each_quarter=each_quarter,
                           replace=replace, check_only=True)

        staging = Path(tempfile.mkdtemp(prefix=staging_prefix(destination),
                                        dir=destination.parent))
        try:
            (staging / "notebooks").mkdir()
            parameters = {
                "extract_path": str(prepared),
                "period": data.period,
                "partnership": partnership or "",
                "suppress_max": int(suppress_max),
                "output_dir": str(staging),
                "history_path": str(Path(history).resolve()) if history else "",
            }
            _run_notebooks(nb_dir, staging, parameters, kernel, jobs, say)

            say("assembling the board pack …")
            board = suppress_metrics(data.metrics, max_count=int(suppress_max))
            buffer = io.StringIO()
            write_metrics_csv(board, buffer)
            (staging / "metrics.csv").write_text(buffer.getvalue(), encoding="utf-8",
                                                 newline="")
            sections = _write_board_pack(staging, data, validated, suppress_max)
            _write_workbook(staging, board, sections, data, validated, suppress_max)
            if pdf:
                from audit.pdf import write_pdf

                say("printing board-pack.pdf …")
                write_pdf(staging / "board-pack.html", staging / "board-pack.pdf")
            seconds = time.perf_counter() - clock
            manifest = _manifest(validated, data, parameters, started, seconds, staging,
                                 period=data.period, partnership=partnership or None,
                                 sheet=sheet, suppress_max=int(suppress_max), jobs=jobs,
                                 kernel=kernel, each_quarter=bool(each_quarter),
                                 history=str(history) if history else None, pdf=bool(pdf))
            (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n",
                                                   encoding="utf-8", newline="")
            if history:
                # Last step before the move: if it fails nothing is written anywhere; it is
                # one transaction, so the store is either updated whole or left as it was.
                recorded = record_history(history, data, validated, each_quarter=each_quarter,
                                          recorded_at=started.isoformat(timespec="seconds"),
                                          replace=replace)
                say(f"history: {_sets_recorded(recorded)} recorded in {history}" if recorded
                    else "history: nothing recorded (a run over every case has no period; "
                    "--period or --each-quarter records quarters)")
            _move_into_place(staging, destination)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    seconds = time.perf_counter() - clock
    say(f"board pack written to {destination / 'board-pack.html'} in {seconds:.1f} s")
    return RunResult(destination, destination / "board-pack.html", seconds, data.in_scope)


def _run_notebooks(nb_dir: Path, staging: Path, parameters: dict, kernel: str, jobs: int,
                   say: Callable[[str], None]) -> None:
    total = len(NOTEBOOKS)
    done = 0
    with ProcessPoolExecutor(max_workers=min(jobs, total), initializer=worker_init) as pool:
        futures: dict = {}
        try:
            for name in NOTEBOOKS:
                futures[pool.submit(_execute, nb_dir / f"{name}.ipynb",
                                    staging / "notebooks" / f"{name}.ipynb", parameters,
                                    kernel)] = name
            say(f"running {total} notebooks, {min(jobs, total)} at a time: "
                f"{', '.join(NOTEBOOKS)}")
            for future in as_completed(futures):
                name, seconds = future.result()
                done += 1
                say(f"  [{done}/{total}] {name} done in {seconds:.1f} s")
        except BaseException as exc:
            for future in futures:
                future.cancel()
            if isinstance(exc, Terminated):  # Ctrl-C reached the workers; SIGTERM did not
                forward_sigterm(pool)
            raise


def record_history(history: str | Path, data, validated, *, each_quarter: bool = False,
                   recorded_at: str | None = None, replace: bool = False,
                   check_only: bool = False) -> int:
    """Record an audit's unsuppressed metrics in the history store; returns the sets written.

    Keys name what the figures are (:func:`audit.history.history_key`): the partnership
    the extract (after any ``--partnership`` selection) holds, or the set of a pooled
    extract's partnerships; an extract that names no partnership raises ``HistoryError``.
    The audit's own period is recorded unless it is "all"; with ``each_quarter`` every
    quarter of the extract is recorded as well, under the same key and (for a pooled
    extract) under each partnership. One transaction. A period already recorded from a
    different extract raises ``HistoryError`` unless ``replace``. ``check_only`` makes
    those checks without writing (``audit run`` calls it before the notebooks).
    """
    from audit.history import history_key, open_history, partnerships_in
    from audit.metrics import metrics_by, quarter_label, select_partnership

    if data.period == "all" and not each_quarter:
        return 0  # a run over every case has no place on a time axis: nothing to record
    cases = validated.cases
    if data.partnership:
        cases = select_partnership(cases, data.partnership)
    members = partnerships_in(cases)
    key = history_key(members)
    sets: list[tuple[str, str, object, int]] = []
    if data.period != "all":
        sets.append((key, data.period, data.metrics, data.in_scope))
    if each_quarter:
        scopes = [(key, cases)]
        if len(members) > 1:
            scopes += [(history_key([name]), select_partnership(cases, name))
                       for name in members]
        for scope, scope_cases in scopes:
            quarterly = metrics_by(scope_cases, by="quarter", level=data.level)
            sizes = quarter_label(scope_cases["notification_date"]).value_counts()
            for quarter, table in quarterly.groupby("quarter", sort=True):
                if scope == key and quarter == data.period:
                    continue  # already in the list
                sets.append((scope, str(quarter), table.drop(columns="quarter"),
                             int(sizes.get(quarter, 0))))
    if check_only:
        if sets and Path(history).is_file():  # a new store has nothing to conflict with
            store = open_history(history)
            try:
                store.check_many([(scope, period, validated.sha256)
                                  for scope, period, _table, _cases in sets], replace=replace)
            finally:
                store.close()
        return len(sets)
    provenance = {"input_sha256": validated.sha256, "input_file": validated.path.name}
    if recorded_at:
        provenance["recorded_at"] = recorded_at
    store = open_history(history)
    try:
        # One transaction: a failure part-way leaves the history as it was.
        store.record_many([(table, scope, period, {**provenance, "cases": n})
                           for scope, period, table, n in sets], replace=replace)
    finally:
        store.close()
    return len(sets)


def _sets_recorded(count: int) -> str:
    """``"1 partnership-period set"`` / ``"3 partnership-period sets"``."""
    return f"{count} partnership-period set{'' if count == 1 else 's'}"


def _write_workbook(staging: Path, board_metrics, sections, data, validated,
                    suppress_max: int) -> Path:
    """``board-pack.xlsx``: the published metrics table and every section's (suppressed) table."""
    from audit.board import section_tables
    from audit.workbook import write_board_workbook

    sheets = {"Metrics": board_metrics}
    sheets.update(section_tables(sections))
    count = _published_count(suppress_max)
    notes = [
        ("Title", "Are services seeing the men around babies? Quarterly audit board pack"),
        ("Geography", data.place),
        ("Period", data.period_label),
        ("Source extract", f"{validated.path.name} (SHA-256 {validated.sha256})"),
        ("Cases in this audit", str(count(data.in_scope))),
        ("National comparison", "Child Safeguarding Practice Review Panel, 'The Myth of "
                                "Invisible Men' (September 2021): counts of 92 serious "
                                "incident notifications"),
        ("Metrics sheet", "The published metrics.csv: rates are fractions (0-1) with 95% "
                          "Wilson score intervals; p_value is the two-sided Fisher exact "
                          "test against the national counts"),
        ("Small numbers", f"Counts from 1 to {suppress_max} are shown as c, with any figure "
                          "that could reveal them; 0 is a true zero; : not available"),
        ("Produced by", f"audit {package_versions()['audit']}"),
    ]
    return write_board_workbook(staging / "board-pack.xlsx", sheets, notes)


def _write_board_pack(staging: Path, data, validated, suppress_max: int) -> list[dict]:
    from audit.board import load_sections, render_board_pack

    sections = load_sections(staging)
    expected = set(_SECTIONS)
    missing = expected - {s["key"] for s in sections}
    if missing:
        raise ReportError(f"board-pack sections not produced: {', '.join(sorted(missing))}")
    from audit.quality import published_extract_counts

    count = _published_count(suppress_max)
    shown = published_extract_counts(validated, suppress_max)
    provenance = [
        ("Source extract", f"{validated.path.name} (SHA-256 {validated.sha256[:16]}…)"),
        ("Cases", f"{shown['rows_read']} rows read; {shown['in_scope']} babies under one in "
                  f"scope; {count(data.in_scope)} in this audit"),
        ("Period", data.period_label),
        ("Geography", data.place),
        ("National comparison", "The Myth of Invisible Men, Child Safeguarding Practice Review "
                                "Panel, September 2021: 92 serious incident notifications"),
        ("Small numbers", f"counts from 1 to {suppress_max} shown as c (Department for "
                          "Education convention), with secondary suppression"),
        ("Intervals and tests", "95% Wilson score intervals; two-sided Fisher exact test "
                                "against the national counts"),
        ("Produced by", f"audit {package_versions()['audit']}"),
    ]
    title = "Are services seeing the men around babies?"
    subtitle = (f"Quarterly audit against the national review 'The Myth of Invisible Men' · "
                f"{data.place} · {data.period_label}")
    page = render_board_pack(sections, title=title, subtitle=subtitle,
                             provenance=provenance, image_root=staging)
    path = staging / "board-pack.html"
    path.write_text(page, encoding="utf-8", newline="")
    shutil.rmtree(staging / "sections")
    return sections


def _published_count(suppress_max: int) -> Callable[[int], str | int]:
    """Counts as a board output may show them: 1 to ``suppress_max`` become ``c``."""
    from audit.suppress import SUPPRESSED

    def count(n: int) -> str | int:
        return SUPPRESSED if 1 <= int(n) <= int(suppress_max) else int(n)

    return count


def _rerun_command(file_name: str, settings: dict) -> str:
    """The ``audit run`` command line that reproduces this pack from the same extract."""
    parts = ["audit", "run", file_name]
    if settings.get("sheet"):
        parts += ["--sheet", settings["sheet"]]
    if settings.get("period") and settings["period"] != "all":
        parts += ["--period", settings["period"]]
    if settings.get("partnership"):
        parts += ["--partnership", settings["partnership"]]
    parts += ["--suppress-max", str(settings["suppress_max"])]
    if settings.get("history"):
        parts += ["--history", settings["history"]]
    else:
        parts.append("--no-history")
    if settings.get("each_quarter"):
        parts.append("--each-quarter")
    if settings.get("pdf"):
        parts.append("--pdf")
    import shlex

    return shlex.join(parts)


def _manifest(validated, data, parameters: dict, started: datetime, seconds: float,
              staging: Path, **settings) -> dict:
    from audit.quality import published_extract_counts

    count = _published_count(settings["suppress_max"])
    shown = published_extract_counts(validated, settings["suppress_max"])
    outputs = {}
    for path in sorted(staging.rglob("*")):
        if path.is_file():
            outputs[str(path.relative_to(staging))] = _sha256(path)
    return {
        "tool": "audit run",
        "input": {
            "file": validated.path.name,
            "sha256": validated.sha256,
            "sheet": validated.sheet,
            "rows_read": shown["rows_read"],
            "in_scope": shown["in_scope"],
            "excluded_out_of_scope": shown["excluded"],
            "ignored_columns": list(validated.ignored_columns),
            "flags_not_recorded": list(validated.missing_flags),
        },
        "audit": {
            "period": data.period,
            "period_covered": data.period_label,
            "partnership": parameters["partnership"] or None,
            "cases": count(data.in_scope),
        },
        # Everything needed to rerun: the same file (by SHA-256) and these arguments.
        "parameters": {k: v for k, v in settings.items()},
        "rerun": _rerun_command(validated.path.name, settings),
        "versions": package_versions(),
        "run": {
            "started_utc": started.isoformat(timespec="seconds"),
            "seconds": round(seconds, 2),
        },
        "outputs_sha256": outputs,
    }


def _open_permissions(folder: Path) -> None:
    """Give the staged pack the permissions a normally written folder has (umask applies).

    The staging folder and files written via temporary files are created private (0700 /
    0600); the finished pack should be as readable as any other file the analyst writes.
    """
    umask = os.umask(0)
    os.umask(umask)
    for path in [folder, *folder.rglob("*")]:
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def _move_into_place(staging: Path, destination: Path) -> None:
    """Replace ``destination`` with ``staging`` so readers never see a partial pack."""
    _open_permissions(staging)
    backup = None
    if destination.exists():
        backup = destination.with_name(backup_name(destination))
        try:
            os.replace(destination, backup)
        except PermissionError as exc:  # Windows: a file of the old pack is open
            raise ReportError(
                f"cannot replace {destination}: a file in it is open in another program "
                f"(board-pack.xlsx in Excel?) or the folder is read-only ({exc.strerror}). "
                "Close it and run again, or choose another folder with --out") from None
    try:
        os.replace(staging, destination)
    except BaseException:
        if backup is not None:
            os.replace(backup, destination)
        raise
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
