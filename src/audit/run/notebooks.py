"""The analyst's notebooks: where they are, and running them for ``audit run``.

Each section of the pack has a notebook (:data:`audit.sections.SECTIONS`): a parameters
cell, calls into ``audit``, the section's one board call, and cells an analyst is free to
change. ``audit run`` executes them with papermill on the run's computed audit (so nothing is
computed twice) and keeps the executed copies with the board pack for analysts. Notebooks
run in parallel worker processes (papermill changes the working directory, which is not
thread-safe), each reusing one kernel (:mod:`audit.run.kernels`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from audit.errors import ReportError
from audit.sections import NOTEBOOKS

__all__ = [
    "notebooks_dir",
    "check_notebooks",
    "notebook_pool",
    "start_notebooks",
    "wait_for_notebooks",
    "copy_notebooks",
]


def notebooks_dir() -> Path:
    """The project's ``notebooks/`` folder (next to ``src/`` in a checkout)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "notebooks"
        if (candidate / f"{NOTEBOOKS[0]}.ipynb").is_file():
            return candidate
    raise ReportError(
        "cannot find the notebooks/ folder: run audit from a checkout of the "
        "project, or pass --notebooks DIR"
    )


def check_notebooks(folder: Path) -> None:
    """Every notebook of the registry is in ``folder``."""
    missing = [n for n in NOTEBOOKS if not (folder / f"{n}.ipynb").is_file()]
    if missing:
        raise ReportError(f"notebooks missing from {folder}: {', '.join(missing)}")


def _execute(notebook: Path, output: Path, parameters: dict, kernel: str) -> tuple[str, float]:
    """Run one notebook (in a worker process) on the worker's kernel. Returns name, seconds."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from audit.run.kernels import notebook_guard, reset_kernel, worker_kernel

    start = time.perf_counter()
    with notebook_guard():  # SIGTERM forwarded to this worker stops the notebook
        km = worker_kernel(kernel, str(notebook.parent))
        interrupted = False
        try:
            papermill.execute_notebook(
                str(notebook),
                str(output),
                parameters=parameters,
                kernel_name=kernel,
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,
                km=km,
            )
        except PapermillExecutionError as exc:
            evalue = str(exc.evalue).strip().splitlines()
            detail = " ".join((evalue[-1] if evalue else "").split())[:160]
            raise ReportError(
                f"notebook {notebook.name} failed at cell {exc.exec_count}: {exc.ename}: {detail}"
            ) from None
        except KeyboardInterrupt:
            interrupted = True  # the worker is stopping: its exit shuts the kernel down
            raise
        finally:
            if not interrupted:
                reset_kernel(km)
    return notebook.stem, time.perf_counter() - start


def start_notebooks(
    pool: ProcessPoolExecutor,
    folder: Path,
    output: Path,
    parameters: Mapping[str, object],
    kernel: str,
) -> dict[Future, str]:
    """Submit every notebook to ``pool``; the executed copies go to ``output``."""
    output.mkdir(parents=True, exist_ok=True)
    return {
        pool.submit(
            _execute, folder / f"{name}.ipynb", output / f"{name}.ipynb", dict(parameters), kernel
        ): name
        for name in NOTEBOOKS
    }


def _start_worker(kernel: str, cwd: str) -> None:
    """A notebook worker's start: SIGTERM handling, then its kernel, so the kernel boots
    while the main process is still validating and computing."""
    from audit.run.kernels import worker_init, worker_kernel

    worker_init()
    worker_kernel(kernel, cwd)


def _ready() -> None:
    """Nothing: submitted once a worker so that every worker (and its kernel) starts now."""


def notebook_pool(workers: int, kernel: str, folder: Path) -> ProcessPoolExecutor:
    """Worker processes for the notebooks, started at once, each starting its kernel
    (:func:`audit.run.kernels.worker_init` stops a worker's notebook on a forwarded SIGTERM)."""
    pool = ProcessPoolExecutor(
        max_workers=workers, initializer=_start_worker, initargs=(kernel, str(folder))
    )
    for _ in range(workers):
        pool.submit(_ready)
    return pool


def wait_for_notebooks(
    futures: dict[Future, str], say: Callable[[str], None], pool: ProcessPoolExecutor | None = None
) -> None:
    """Wait for every notebook, saying each one's time; the first failure is raised.

    On SIGTERM (:class:`audit.errors.Terminated`) the signal is passed on to the workers,
    which Ctrl-C reaches by itself, so their kernels stop too.
    """
    from concurrent.futures import as_completed
    from concurrent.futures.process import BrokenProcessPool

    from audit.errors import Terminated
    from audit.run.kernels import forward_sigterm

    total = len(futures)
    try:
        for done, future in enumerate(as_completed(futures), start=1):
            try:
                name, seconds = future.result()
            except BrokenProcessPool:
                raise ReportError(
                    "the notebooks' worker processes stopped before they could "
                    "run (the 'audit' kernel did not start? Run python -m "
                    "audit.dev setup, then try again)"
                ) from None
            say(f"  [{done}/{total}] notebook {name} done in {seconds:.1f} s")
    except BaseException as exc:
        for future in futures:
            future.cancel()
        if isinstance(exc, Terminated) and pool is not None:
            forward_sigterm(pool)
        raise


_PARAMETER_LINE = r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>.*?)(?P<comment>\s+#.*)?$"


def _set_parameters(source: str, values: Mapping[str, object]) -> str:
    """The parameters cell with each named assignment's value replaced (comments kept)."""
    import re

    lines = []
    for line in source.splitlines():
        match = re.match(_PARAMETER_LINE, line)
        if match and match.group("name") in values:
            name = match.group("name")
            assignment = f"{name} = {values[name]!r}"
            comment = (match.group("comment") or "").strip()
            line = f"{assignment:<24}{'  ' + comment if comment else ''}".rstrip()
        lines.append(line)
    return "\n".join(lines)


def copy_notebooks(
    destination: str | Path,
    *,
    extract: str | Path | None = None,
    sheet: str | None = None,
    period: str | None = None,
    partnership: str | None = None,
    audience: str = "board",
    history: str | Path | None = None,
    source: Path | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """Copy the notebooks to a working folder with their parameters filled in, for JupyterLab.

    The copies hold the analyst's extract path (made absolute, so they run from anywhere)
    and settings; saving them never touches the repository's tracked notebooks. Refuses to
    write into the project's own ``notebooks/`` folder, and to replace an existing notebook
    unless ``overwrite``. Returns the notebooks written.
    """
    import nbformat

    from audit.errors import ParameterError

    source = source or notebooks_dir()
    target = Path(destination).expanduser().resolve()
    if target == source.resolve():
        raise ParameterError(
            "choose a working folder outside the project's notebooks/ folder: "
            "the notebooks there are the tracked originals"
        )
    values: dict[str, object] = {"audience": audience}
    if extract is not None:
        path = Path(extract).expanduser().resolve()
        if not path.is_file():
            raise ParameterError(f"no extract file at {path}")
        values["extract_path"] = str(path)
    else:
        values["extract_path"] = str(
            (source / ".." / "data" / "sample" / "pooled_extract.csv").resolve()
        )
    values.update(
        {
            "sheet": sheet or "",
            "period": period or "all",
            "partnership": partnership or "",
            "history_path": str(Path(history).expanduser().resolve()) if history else "",
        }
    )
    existing = [n for n in NOTEBOOKS if (target / f"{n}.ipynb").exists()]
    if existing and not overwrite:
        raise ParameterError(
            f"{target} already holds {', '.join(existing)}: choose another "
            "folder, or pass --overwrite to replace them"
        )
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name in NOTEBOOKS:
        nb = nbformat.read(source / f"{name}.ipynb", as_version=4)
        for cell in nb.cells:
            if "parameters" in cell.get("metadata", {}).get("tags", []):
                cell.source = _set_parameters(cell.source, values)
        path = target / f"{name}.ipynb"
        nbformat.write(nb, path)
        written.append(path)
    return written
