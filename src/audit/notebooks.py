"""The analyst's notebooks: where they are, and running them for ``audit run``.

Each section of the pack has a notebook (:data:`audit.sections.SECTIONS`): a parameters
cell, calls into ``audit``, the section's one board call, and cells an analyst is free to
change. ``audit run`` executes them with papermill on the run's computed audit (so nothing is
computed twice) and keeps the executed copies with the board pack for analysts. Notebooks
run in parallel worker processes (papermill changes the working directory, which is not
thread-safe), each reusing one kernel (:mod:`audit.kernels`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from audit.errors import ReportError
from audit.sections import NOTEBOOKS

__all__ = ["notebooks_dir", "check_notebooks", "start_notebooks", "wait_for_notebooks"]


def notebooks_dir() -> Path:
    """The project's ``notebooks/`` folder (next to ``src/`` in a checkout)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "notebooks"
        if (candidate / f"{NOTEBOOKS[0]}.ipynb").is_file():
            return candidate
    raise ReportError("cannot find the notebooks/ folder: run audit from a checkout of the "
                      "project, or pass --notebooks DIR")


def check_notebooks(folder: Path) -> None:
    """Every notebook of the registry is in ``folder``."""
    missing = [n for n in NOTEBOOKS if not (folder / f"{n}.ipynb").is_file()]
    if missing:
        raise ReportError(f"notebooks missing from {folder}: {', '.join(missing)}")


def _execute(notebook: Path, output: Path, parameters: dict, kernel: str) -> tuple[str, float]:
    """Run one notebook (in a worker process) on the worker's kernel. Returns name, seconds."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from audit.kernels import reset_kernel, worker_kernel

    start = time.perf_counter()
    km = worker_kernel(kernel, str(notebook.parent))
    try:
        papermill.execute_notebook(
            str(notebook), str(output), parameters=parameters, kernel_name=kernel,
            progress_bar=False, log_output=False, request_save_on_cell_execute=False, km=km)
    except PapermillExecutionError as exc:
        evalue = str(exc.evalue).strip().splitlines()
        detail = " ".join((evalue[-1] if evalue else "").split())[:160]
        raise ReportError(f"notebook {notebook.name} failed at cell {exc.exec_count}: "
                          f"{exc.ename}: {detail}") from None
    finally:
        reset_kernel(km)
    return notebook.stem, time.perf_counter() - start


def start_notebooks(pool: ProcessPoolExecutor, folder: Path, output: Path,
                    parameters: Mapping[str, object], kernel: str) -> dict[Future, str]:
    """Submit every notebook to ``pool``; the executed copies go to ``output``."""
    output.mkdir(parents=True, exist_ok=True)
    return {pool.submit(_execute, folder / f"{name}.ipynb", output / f"{name}.ipynb",
                        dict(parameters), kernel): name for name in NOTEBOOKS}


def wait_for_notebooks(futures: dict[Future, str], say: Callable[[str], None]) -> None:
    """Wait for every notebook, saying each one's time; the first failure is raised."""
    from concurrent.futures import as_completed

    total = len(futures)
    try:
        for done, future in enumerate(as_completed(futures), start=1):
            name, seconds = future.result()
            say(f"  [{done}/{total}] notebook {name} done in {seconds:.1f} s")
    except BaseException:
        for future in futures:
            future.cancel()
        raise
