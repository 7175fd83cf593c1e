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

from audit.errors import ReportError
from audit.files import atomic_write_text

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
    """``reports/<period or all>/``, with the partnership appended when one is chosen."""
    name = (period or "all").strip() or "all"
    if partnership:
        name += "-" + re.sub(r"[^a-z0-9]+", "-", partnership.lower()).strip("-")
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


def _check_kernel(kernel: str) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(kernel)
    except NoSuchKernel:
        raise ReportError(
            f"the Jupyter kernel '{kernel}' is not registered. Run 'make venv' (or "
            f"'{sys.executable} -m ipykernel install --sys-prefix --name {kernel}') "
            "and try again, or pass --kernel NAME") from None


def _ipc_kernel_manager(socket_dir: str):
    """A kernel manager whose kernels listen on Unix sockets (IPC) instead of TCP ports.

    On a shared analysis server any local user can connect to a TCP kernel port; Unix
    sockets in a private (0700) temporary folder are not reachable that way. Each kernel
    gets its own folder, so kernels running in parallel never share a socket path.
    """
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", os.path.join(socket_dir, "kernel"))
            super().__init__(**kwargs)

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            # The kernel's own log (e.g. "KeyboardInterrupt caught" at shut-down) is noise
            # for an analyst; cell errors reach us through the messaging protocol instead.
            with open(os.path.join(socket_dir, "kernel.log"), "ab") as log:
                kw.setdefault("stdout", log)
                kw.setdefault("stderr", log)
                await super()._async_launch_kernel(kernel_cmd, **kw)

    return IPCKernelManager


_WORKER_KERNEL: dict = {}


def _worker_kernel(kernel: str, cwd: str):
    """One kernel per worker process, started on first use and reused for its notebooks."""
    if kernel in _WORKER_KERNEL:
        return _WORKER_KERNEL[kernel]
    from multiprocessing.util import Finalize

    from jupyter_core.utils import run_sync

    sockets = tempfile.mkdtemp(prefix="audit-kernel-")
    km = _ipc_kernel_manager(sockets)(kernel_name=kernel)
    run_sync(km.start_kernel)(cwd=cwd)

    def stop() -> None:
        try:
            run_sync(km.shutdown_kernel)(now=True)
        finally:
            shutil.rmtree(sockets, ignore_errors=True)

    Finalize(km, stop, exitpriority=10)
    _WORKER_KERNEL[kernel] = km
    return km


def _reset_kernel(km) -> None:
    """Forget the previous notebook's variables and figures (imports stay loaded)."""
    kc = km.blocking_client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        kc.execute_interactive("get_ipython().run_line_magic('reset', '-f')\n"
                               "import matplotlib.pyplot as _plt; _plt.close('all'); del _plt\n"
                               "get_ipython().execution_count = 1",
                               store_history=False, timeout=60, output_hook=lambda _m: None)
    finally:
        kc.stop_channels()


def _execute(notebook: Path, output: Path, parameters: dict, kernel: str) -> tuple[str, float]:
    """Run one notebook (in a worker process) on the worker's kernel. Returns name, seconds."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    start = time.perf_counter()
    km = _worker_kernel(kernel, str(notebook.parent))
    try:
        papermill.execute_notebook(
            str(notebook), str(output), parameters=parameters, kernel_name=kernel,
            progress_bar=False, log_output=False, request_save_on_cell_execute=False, km=km)
    except PapermillExecutionError as exc:
        evalue = str(exc.evalue).strip().splitlines()
        detail = evalue[-1] if evalue else ""
        raise ReportError(f"notebook {notebook.name} failed at cell {exc.exec_count}: "
                          f"{exc.ename}: {detail}") from None
    finally:
        _reset_kernel(km)
    return notebook.stem, time.perf_counter() - start


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_audit(extract: str | Path, *, output_dir: str | Path | None = None,
              period: str | None = None, partnership: str | None = None,
              suppress_max: int = 5, jobs: int | None = None, sheet: str | None = None,
              kernel: str = DEFAULT_KERNEL, notebooks: str | Path | None = None,
              history: str | Path | None = None, each_quarter: bool = False,
              pdf: bool = False, progress: Callable[[str], None] | None = _progress) -> RunResult:
    """Run the quarterly audit: validate once, execute the notebooks, write the board pack.

    Writes ``board-pack.html``, ``board-pack.xlsx``, the suppressed ``metrics.csv``,
    ``charts/*.png``, the executed analyst notebooks under ``notebooks/`` and
    ``manifest.json`` (and ``board-pack.pdf`` with ``pdf``). With ``history`` (a SQLite file), the trend section reads earlier
    quarters from it and, once the pack is in place, the run's unsuppressed metrics are
    recorded there (replacing any earlier run of the same partnership and period); with
    ``each_quarter`` every quarter of the extract is recorded too (a backfill).
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

    with tempfile.TemporaryDirectory(prefix="audit-run-") as private:
        prepared = save_prepared(validated, Path(private) / "cases.parquet")
        data = open_audit(prepared, period=period, partnership=partnership)
        if data.cases.empty:
            raise ReportError(f"no in-scope cases for period '{data.period}'"
                              + (f" and partnership '{partnership}'" if partnership else ""))
        say(f"{validated.rows_read} rows read, {len(validated.cases)} in scope; "
            f"auditing {data.in_scope} cases ({data.period_label}, {data.place})")

        staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.partial-",
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
                                                   encoding="utf-8")
            if history:
                # Last step before the move: if it fails nothing is written anywhere; it is
                # one transaction, so the store is either updated whole or left as it was.
                recorded = record_history(history, data, validated, each_quarter=each_quarter,
                                          recorded_at=started.isoformat(timespec="seconds"))
                say(f"history: {recorded} partnership-period sets recorded in {history}")
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
    with ProcessPoolExecutor(max_workers=min(jobs, total)) as pool:
        futures = {
            pool.submit(_execute, nb_dir / f"{name}.ipynb",
                        staging / "notebooks" / f"{name}.ipynb", parameters, kernel): name
            for name in NOTEBOOKS
        }
        say(f"running {total} notebooks, {min(jobs, total)} at a time: {', '.join(NOTEBOOKS)}")
        try:
            for future in as_completed(futures):
                name, seconds = future.result()
                done += 1
                say(f"  [{done}/{total}] {name} done in {seconds:.1f} s")
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def record_history(history: str | Path, data, validated, *, each_quarter: bool = False,
                   recorded_at: str | None = None) -> int:
    """Record an audit's unsuppressed metrics in the history store; returns the sets written.

    The audit's own period is recorded unless it is "all"; with ``each_quarter`` every
    quarter of the extract is recorded as well, pooled and (for a pooled extract with no
    partnership chosen) for each partnership. Each set replaces any earlier one of the same
    partnership and period in one transaction.
    """
    from audit.history import open_history
    from audit.metrics import metrics_by, quarter_label, select_partnership

    provenance = {"input_sha256": validated.sha256, "input_file": validated.path.name}
    if recorded_at:
        provenance["recorded_at"] = recorded_at
    sets: list[tuple[str | None, str, object, int]] = []
    if data.period != "all":
        sets.append((data.partnership, data.period, data.metrics, data.in_scope))
    if each_quarter:
        scopes: list[str | None] = [data.partnership]
        if not data.partnership and len(data.partnerships) > 1:
            scopes += data.partnerships
        for scope in scopes:
            cases = validated.cases if scope is None else select_partnership(validated.cases, scope)
            quarterly = metrics_by(cases, by="quarter", level=data.level)
            sizes = quarter_label(cases["notification_date"]).value_counts()
            for quarter, table in quarterly.groupby("quarter", sort=True):
                if scope == data.partnership and quarter == data.period:
                    continue  # already in the list
                sets.append((scope, str(quarter), table.drop(columns="quarter"),
                             int(sizes.get(quarter, 0))))
    store = open_history(history)
    try:
        # One transaction: a failure part-way leaves the history as it was.
        store.record_many([(table, scope, period, {**provenance, "cases": cases})
                           for scope, period, table, cases in sets])
    finally:
        store.close()
    return len(sets)


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
    path.write_text(page, encoding="utf-8")
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
        backup = destination.with_name(f".{destination.name}.old-{os.getpid()}")
        os.replace(destination, backup)
    try:
        os.replace(staging, destination)
    except BaseException:
        if backup is not None:
            os.replace(backup, destination)
        raise
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
