#!/usr/bin/env python
"""Benchmarks of the ``audit`` command line, end to end, against "floor" processes (issue 15).

    python benchmarks/run.py [--quick] [--sizes 10000,100000,1000000] [--repeats N] [--tests]

Every figure is a whole child process, timed from spawn to exit, on the same machine in
the same run:

* ``audit metrics FILE -o OUT`` on synthetic extracts of each size (CSV), beside two floor
  processes reading the same file: the Arrow parse alone,
  ``import pandas, pyarrow.csv as c; c.read_csv(path)`` (the target's floor: everything
  after it is the audit's own work), and the pandas read,
  ``pd.read_csv(path, engine="pyarrow")`` (which also builds pandas objects); the same for
  Parquet at the largest size (``pq.read_table`` and ``pd.read_parquet``);
* ``audit validate`` on a tiny extract (start-up / import cost), beside
  ``python -c "import pandas"``;
* ``audit run`` on the bundled sample, without and with ``--pdf``, beside one bare
  papermill run of a one-cell notebook (pandas + matplotlib + seaborn, one chart) on the
  same kernel ("audit");
* with ``--tests``: ``make test-fast`` and ``make test`` (minutes; no floor, a time limit).

Wall time is the median of N repeats (3 by default, 1 with ``--quick``) for the small
cases and of ``--large-repeats`` (default 1) for the 1,000,000-row and ``audit run`` cases;
each repeat runs the floors and the command back to back so that load from other processes
hits them all. Each child is spawned by a tiny wrapper interpreter that reports, from
``os.wait4``, its wall time, CPU time (user + system, its waited-for descendants included)
and peak RSS (``ru_maxrss``; Linux carries a parent's peak into a forked child, so the
wrapper keeps this script's own memory out of the figure). For ``audit run`` and the
papermill floor, which spawn kernels, the peak of the summed RSS of the whole process tree
is also sampled (every 0.1 s) with psutil when it is installed.

Children inherit the environment: ``PYTHONPATH=/elsewhere/src python benchmarks/run.py``
measures another copy of the package with the same venv (an A/B of a change).

Inputs are generated with the package's own ``audit.intake.sample.generate_extract`` into a
temporary folder (deleted afterwards unless ``--keep``). Results go to
``benchmarks/results/``: ``benchmarks.csv`` (one row per case), ``targets.csv``,
``benchmarks.png`` and ``run.json`` (machine and options).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
SAMPLE = ROOT / "data" / "sample" / "pooled_extract.csv"
KERNEL = "audit"

# Targets of issue 15 (scaling: issue 7).
TARGET_METRICS_VS_FLOOR = 3.0      # audit metrics on 1M CSV rows <= 3x the Arrow-parse floor
TARGET_PEAK_RSS_GB = 1.0           # peak RSS of audit metrics (GB = 1e9 bytes)
TARGET_STARTUP_VS_PANDAS = 2.0     # audit validate tiny.csv <= 2x python -c "import pandas"
TARGET_SCALING = 11.0              # 10x the rows <= 11x the time
TARGET_RUN_VS_PAPERMILL = 2.0      # audit run (no --pdf) <= 2x one bare papermill run
TARGET_TEST_S = 300.0              # make test, wall seconds, quiet 2-core machine (issue 24)
TARGET_TEST_FAST_S = 30.0          # make test-fast, wall seconds (issue 24)

LARGE_ROWS = 1_000_000


def _venv_bin() -> Path:
    """The folder of the project's executables: the running interpreter's, else .venv/bin."""
    here = Path(sys.executable).parent
    if (here / "audit").exists():
        return here
    return ROOT / ".venv" / "bin"


def _ensure_venv() -> None:
    """Re-run under the project's venv when started with an interpreter lacking ``audit``."""
    try:
        import audit  # noqa: F401
    except ImportError:
        venv_python = ROOT / ".venv" / "bin" / "python"
        if venv_python.exists() and Path(sys.executable) != venv_python:
            os.execv(str(venv_python), [str(venv_python), *sys.argv])
        raise SystemExit("cannot import audit: run with the project's venv "
                         "(.venv/bin/python benchmarks/run.py)") from None


# ------------------------------------------------------------------------ measuring


@dataclass
class Sample:
    """One child process: wall and CPU seconds, peak RSS (MiB), exit code."""

    wall: float
    cpu: float
    max_rss_mib: float
    tree_peak_mib: float | None
    returncode: int


@dataclass
class Measured:
    """Repeats of one command; medians are what the tables show."""

    label: str
    cmd: list[str]
    samples: list[Sample] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)

    @property
    def max_rss_mib(self) -> float:
        return max(s.max_rss_mib for s in self.samples)

    @property
    def tree_peak_mib(self) -> float | None:
        peaks = [s.tree_peak_mib for s in self.samples if s.tree_peak_mib is not None]
        return max(peaks) if peaks else None


def _rss_to_mib(ru_maxrss: int) -> float:
    # Linux reports kibibytes, macOS bytes.
    return ru_maxrss / (1024 * 1024) if sys.platform == "darwin" else ru_maxrss / 1024


def _poll_tree(pid: int, stop: threading.Event, peak: list[float]) -> None:
    """Sample the summed RSS of ``pid`` and its descendants until ``stop`` is set."""
    import psutil

    try:
        root = psutil.Process(pid)
    except psutil.Error:
        return
    while not stop.is_set():
        total = 0
        try:
            procs = root.children(recursive=True)  # not the wrapper itself
        except psutil.Error:
            break
        for proc in procs:
            try:
                total += proc.memory_info().rss
            except psutil.Error:
                pass
        peak[0] = max(peak[0], total / 2**20)
        stop.wait(0.1)


# A tiny wrapper between this script and each measured command. Linux carries a process's
# peak RSS across fork and exec, so a child spawned straight from this (larger) process
# would report at least this process's size; spawned from a bare interpreter (about 10 MB)
# it reports its own. The wrapper times the child and writes its rusage as JSON.
_WRAPPER = """\
import json, os, sys, time
out, argv = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.posix_spawn(argv[0], argv, os.environ)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(out, "w") as handle:
    json.dump({"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "maxrss": ru.ru_maxrss,
               "rc": os.waitstatus_to_exitcode(status)}, handle)
"""


def run_once(cmd: list[str], *, cwd: Path, log: Path, tree: bool = False,
             check: bool = True) -> Sample:
    """Run ``cmd`` to completion through the wrapper; wall, CPU and peak RSS of that child.

    A command that exits non-zero raises, unless ``check`` is False (``make test``: the time
    is still a figure, and the exit code goes in the table)."""
    try:
        import psutil  # noqa: F401
    except ImportError:
        tree = False
    fd, report = tempfile.mkstemp(prefix="bench-", suffix=".json")
    os.close(fd)
    try:
        with open(log, "ab") as out:
            out.write(f"\n$ {' '.join(cmd)}\n".encode())
            out.flush()
            proc = subprocess.Popen([sys.executable, "-S", "-c", _WRAPPER, report, *cmd],
                                    cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
            stop, peak, poller = threading.Event(), [0.0], None
            if tree:
                poller = threading.Thread(target=_poll_tree, args=(proc.pid, stop, peak),
                                          daemon=True)
                poller.start()
            proc.wait()
            stop.set()
            if poller is not None:
                poller.join()
        if proc.returncode != 0:
            raise RuntimeError(f"benchmark wrapper failed (exit {proc.returncode}) for "
                               f"{' '.join(cmd)} (see {log})")
        result = json.loads(Path(report).read_text())
    finally:
        Path(report).unlink(missing_ok=True)
    if result["rc"] != 0 and check:
        raise RuntimeError(f"exit {result['rc']}: {' '.join(cmd)} (see {log})")
    return Sample(wall=result["wall"], cpu=result["cpu"],
                  max_rss_mib=_rss_to_mib(result["maxrss"]),
                  tree_peak_mib=peak[0] if tree else None, returncode=result["rc"])


def measure_pair(command: Measured, floor: Measured, repeats: int, *, cwd: Path, log: Path,
                 tree: bool = False, say=print, others: tuple[Measured, ...] = ()) -> None:
    """Run the floor(s) and the command back to back ``repeats`` times (interleaved)."""
    for i in range(repeats):
        for m in (floor, *others, command):
            s = run_once(m.cmd, cwd=cwd, log=log, tree=tree)
            m.samples.append(s)
            say(f"    {m.label:<36} run {i + 1}/{repeats}: {s.wall:7.2f} s wall "
                f"{s.cpu:7.2f} s cpu {s.max_rss_mib:7.0f} MiB")


# ------------------------------------------------------------------------- inputs


def input_paths(folder: Path, sizes: list[int], parquet_rows: int) -> dict:
    paths: dict = {"tiny": folder / "tiny.csv"}
    for n in sizes:
        paths[("csv", n)] = folder / f"extract_{n}.csv"
    paths[("parquet", parquet_rows)] = folder / f"extract_{parquet_rows}.parquet"
    return paths


def make_inputs(folder: Path, sizes: list[int], parquet_rows: int, say=print) -> dict:
    """Synthetic extracts by the package's own generator: CSV for each size, one Parquet.

    Runs in its own process (``run.py --generate-into DIR``), so that this process stays
    small and the data frames are gone before anything is measured.
    """
    from audit.intake.sample import generate_extract

    paths = input_paths(folder, sizes, parquet_rows)
    generate_extract(50).to_csv(paths["tiny"], index=False, lineterminator="\n")
    for n in sorted(set(sizes) | {parquet_rows}):
        t = time.perf_counter()
        frame = generate_extract(n)
        if n in sizes:
            # As audit.intake.sample writes its CSV samples: UTF-8, "\n" line endings, no index.
            frame.to_csv(paths[("csv", n)], index=False, lineterminator="\n")
        if n == parquet_rows:
            frame.to_parquet(paths[("parquet", n)], index=False)
        del frame
        say(f"  generated {n:>9,} rows in {time.perf_counter() - t:5.1f} s", flush=True)
    return paths


_FLOOR_NOTEBOOK = """\
import pandas as pd
import matplotlib.pyplot as plt
import seaborn as sns

frame = pd.DataFrame({"partnership": ["Northbridge", "Eastmere", "Westvale"],
                      "rate": [0.42, 0.55, 0.38]})
ax = sns.barplot(data=frame, x="partnership", y="rate")
ax.figure.savefig("floor_chart.png", dpi=100)
plt.show()
"""


def make_floor_notebook(folder: Path) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(_FLOOR_NOTEBOOK)]
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": KERNEL, "language": "python"}
    path = folder / "floor.ipynb"
    nbformat.write(nb, path)
    return path


# ---------------------------------------------------------------------------- cases


def py(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


@dataclass
class Case:
    """A command, the floor its target is measured against, and a second floor to compare
    (the pandas read beside the Arrow parse); ``floor`` is None for ``make test``."""

    case: str
    fmt: str
    rows: int
    command: Measured
    floor: Measured | None
    floor2: Measured | None = None

    def row(self) -> dict:
        c, f, g = self.command, self.floor, self.floor2
        return {
            "case": self.case,
            "format": self.fmt,
            "rows": self.rows,
            "repeats": len(c.samples),
            "command": " ".join(Path(c.cmd[0]).name if i == 0 else _tidy_path(a)
                                for i, a in enumerate(c.cmd)),
            "wall_s": round(c.wall, 3),
            "wall_min_s": round(min(s.wall for s in c.samples), 3),
            "wall_max_s": round(max(s.wall for s in c.samples), 3),
            "cpu_s": round(c.cpu, 3),
            "exit": max(x.returncode for x in c.samples),
            "max_rss_mib": round(c.max_rss_mib, 1),
            "tree_peak_rss_mib": None if c.tree_peak_mib is None else round(c.tree_peak_mib, 1),
            "floor": None if f is None else f.label,
            "floor_wall_s": None if f is None else round(f.wall, 3),
            "floor_cpu_s": None if f is None else round(f.cpu, 3),
            "floor_max_rss_mib": None if f is None else round(f.max_rss_mib, 1),
            "floor_tree_peak_rss_mib": (None if f is None or f.tree_peak_mib is None
                                        else round(f.tree_peak_mib, 1)),
            "ratio_wall": None if f is None else round(c.wall / f.wall, 3),
            # the median of each repeat's ratio (floor and command back to back), and the
            # best of each side: steadier than the ratio of medians when the load changes
            "ratio_wall_paired": None if f is None else round(statistics.median(
                a.wall / b.wall for a, b in zip(c.samples, f.samples)), 3),
            "ratio_wall_best": None if f is None else round(
                min(s.wall for s in c.samples) / min(s.wall for s in f.samples), 3),
            "ratio_cpu": None if f is None else round(c.cpu / f.cpu, 3),
            "floor2": None if g is None else g.label,
            "floor2_wall_s": None if g is None else round(g.wall, 3),
            "floor2_cpu_s": None if g is None else round(g.cpu, 3),
            "floor2_max_rss_mib": None if g is None else round(g.max_rss_mib, 1),
            "ratio2_wall": None if g is None else round(c.wall / g.wall, 3),
            "ratio2_cpu": None if g is None else round(c.cpu / g.cpu, 3),
        }


def main(argv: list[str] | None = None) -> int:
    _ensure_venv()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one repeat of everything")
    parser.add_argument("--sizes", default="10000,100000,1000000",
                        help="comma-separated row counts for audit metrics on CSV "
                        "(default 10000,100000,1000000); Parquet runs at the largest")
    parser.add_argument("--repeats", type=int, default=None,
                        help="repeats of the small cases (default 3, 1 with --quick)")
    parser.add_argument("--large-repeats", type=int, default=1,
                        help=f"repeats of the {LARGE_ROWS:,}-row and 'audit run' cases (default 1)")
    parser.add_argument("--skip-run", action="store_true", help="leave out 'audit run'")
    parser.add_argument("--skip-pdf", action="store_true",
                        help="leave out 'audit run --pdf' (also left out when WeasyPrint "
                        "cannot print here)")
    parser.add_argument("--tests", action="store_true",
                        help="also time 'make test-fast' and 'make test' (several minutes)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--results", type=Path, default=RESULTS,
                        help="folder for the results (default benchmarks/results)")
    parser.add_argument("--replot", action="store_true",
                        help="only redraw benchmarks.png from an existing benchmarks.csv")
    parser.add_argument("--generate-into", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    if args.generate_into:  # the child process that writes the inputs
        make_inputs(args.generate_into, sizes, max(sizes))
        return 0
    if args.replot:
        cases = _cases_from_csv(args.results / "benchmarks.csv")
        _chart(args.results / "benchmarks.png", cases, _scaling(cases))
        print(f"redrew {args.results / 'benchmarks.png'}")
        return 0
    repeats = args.repeats or (1 if args.quick else 3)
    large_repeats = 1 if args.quick else max(1, args.large_repeats)

    def reps(rows: int) -> int:
        return large_repeats if rows >= LARGE_ROWS else repeats

    bin_dir = _venv_bin()
    audit_exe = str(bin_dir / "audit")
    clock = time.perf_counter()

    results = args.results
    results.mkdir(parents=True, exist_ok=True)
    log = results / "run.log"
    log.write_text("")
    shown = log.relative_to(ROOT) if log.is_relative_to(ROOT) else log
    print(f"audit benchmarks · {platform.node()} · {os.cpu_count()} cores · "
          f"Python {platform.python_version()} · log: {shown}")
    try:
        load = os.getloadavg()
        print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    except OSError:
        load = None

    tmp = Path(tempfile.mkdtemp(prefix="audit-bench-"))
    cases: list[Case] = []
    try:
        print("generating inputs (audit.intake.sample.generate_extract) …")
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--generate-into",
                        str(tmp), "--sizes", ",".join(map(str, sizes))], check=True)
        paths = input_paths(tmp, sizes, max(sizes))

        # Warm the page cache and .pyc files so the first measured run is not penalised.
        run_once([audit_exe, "validate", str(paths["tiny"])], cwd=tmp, log=log)
        run_once(py("import pandas"), cwd=tmp, log=log)

        print("audit validate start-up (tiny file) …")
        c = Case("validate_startup", "csv", 50,
                 Measured("audit validate tiny.csv", [audit_exe, "validate", str(paths["tiny"])]),
                 Measured("python -c 'import pandas'", py("import pandas")))
        measure_pair(c.command, c.floor, repeats, cwd=tmp, log=log)
        cases.append(c)

        for n in sizes:
            src = paths[("csv", n)]
            print(f"audit metrics, CSV, {n:,} rows …")
            c = Case("metrics", "csv", n,
                     Measured(f"audit metrics ({n:,} csv)",
                              [audit_exe, "metrics", str(src), "-o", str(tmp / f"m_{n}.csv")]),
                     Measured("floor: Arrow parse", py(f"""
                         import pandas, pyarrow.csv as c
                         c.read_csv({str(src)!r})
                     """)),
                     Measured("floor: pd.read_csv(pyarrow)", py(f"""
                         import pandas as pd
                         pd.read_csv({str(src)!r}, engine="pyarrow")
                     """)))
            measure_pair(c.command, c.floor, reps(n), cwd=tmp, log=log, others=(c.floor2,))
            cases.append(c)

        n = max(sizes)
        src = paths[("parquet", n)]
        print(f"audit metrics, Parquet, {n:,} rows …")
        c = Case("metrics", "parquet", n,
                 Measured(f"audit metrics ({n:,} parquet)",
                          [audit_exe, "metrics", str(src), "-o", str(tmp / f"m_{n}_pq.csv")]),
                 Measured("floor: Arrow read_table", py(f"""
                     import pandas, pyarrow.parquet as pq
                     pq.read_table({str(src)!r})
                 """)),
                 Measured("floor: pd.read_parquet", py(f"""
                     import pandas as pd
                     pd.read_parquet({str(src)!r})
                 """)))
        measure_pair(c.command, c.floor, reps(n), cwd=tmp, log=log, others=(c.floor2,))
        cases.append(c)

        if not args.skip_run:
            print("audit run on the bundled sample vs one bare papermill run …")
            notebook = make_floor_notebook(tmp)
            run_cmd = [audit_exe, "run", str(SAMPLE), "--out", str(tmp / "pack"),
                       "--kernel", KERNEL]
            floor = Measured("floor: papermill 1-cell notebook", py(f"""
                import papermill
                papermill.execute_notebook({str(notebook)!r},
                    {str(tmp / 'floor-out.ipynb')!r}, kernel_name={KERNEL!r},
                    cwd={str(tmp)!r}, progress_bar=False)
            """))
            c = Case("run", "csv", _count_rows(SAMPLE), Measured("audit run (sample)", run_cmd),
                     floor)
            pdf = None
            if not args.skip_pdf and _pdf_works(bin_dir):
                pdf = Case("run_pdf", "csv", _count_rows(SAMPLE),
                           Measured("audit run --pdf (sample)",
                                    [*run_cmd[:4], str(tmp / "pack-pdf"), *run_cmd[5:],
                                     "--pdf"]),
                           floor)
            elif not args.skip_pdf:
                print("  (no PDF engine here: 'audit run --pdf' left out)")
            measure_pair(c.command, floor, large_repeats, cwd=tmp, log=log, tree=True,
                         others=() if pdf is None else (pdf.command,))
            cases.append(c)
            if pdf is not None:
                cases.append(pdf)

        if args.tests:
            make = shutil.which("make")
            if make is None:
                print("  (no make here: the test suite is left out)")
            else:
                for target in ("test-fast", "test"):
                    print(f"make {target} …")
                    c = Case(target.replace("-", "_"), "", 0,
                             Measured(f"make {target}", [make, "-C", str(ROOT), target]), None)
                    s = run_once(c.command.cmd, cwd=ROOT, log=log, check=False)
                    c.command.samples.append(s)
                    print(f"    {c.command.label:<36} {s.wall:7.1f} s wall {s.cpu:7.1f} s cpu"
                          f" (exit {s.returncode})")
                    cases.append(c)
    finally:
        if args.keep:
            print(f"inputs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    rows = [c.row() for c in cases]
    scaling = _scaling(cases)
    targets = _targets(cases, scaling)
    elapsed = time.perf_counter() - clock
    _write(results, rows, scaling, targets, args, sizes, repeats, large_repeats, elapsed, load)
    _chart(results / "benchmarks.png", cases, scaling)
    _print_tables(rows, scaling, targets)
    print(f"\nwrote {results}/benchmarks.csv, targets.csv, benchmarks.png, run.json "
          f"({elapsed:.0f} s in all)")
    return 0 if all(t["status"] == "PASS" for t in targets) else 1


def _cases_from_csv(path: Path) -> list[Case]:
    """Cases rebuilt from benchmarks.csv (medians only), for --replot."""
    def num(value: str | None) -> float | None:
        return float(value) if value not in ("", None) else None

    def measured(label: str | None, wall, cpu, rss, tree=None) -> Measured | None:
        if not label:
            return None
        return Measured(label, [], [Sample(float(wall), float(cpu), float(rss or 0),
                                           num(tree), 0)])

    cases = []
    with open(path, newline="", encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            if r["case"] == "scaling":
                continue
            command = measured(r["command"], r["wall_s"], r["cpu_s"], r["max_rss_mib"],
                               r["tree_peak_rss_mib"])
            floor = measured(r["floor"], r["floor_wall_s"], r["floor_cpu_s"],
                             r["floor_max_rss_mib"], r["floor_tree_peak_rss_mib"])
            floor2 = measured(r.get("floor2"), r.get("floor2_wall_s"), r.get("floor2_cpu_s"),
                              r.get("floor2_max_rss_mib"))
            cases.append(Case(r["case"], r["format"], int(r["rows"]), command, floor, floor2))
    return cases


def _tidy_path(arg: str) -> str:
    """An argument as shown in the CSV: temporary and project paths shortened."""
    if arg.startswith(tempfile.gettempdir() + os.sep):
        return "$TMP/" + Path(arg).name
    if arg.startswith(str(ROOT) + os.sep):
        return os.path.relpath(arg, ROOT)
    return arg


def _pdf_works(bin_dir: Path) -> bool:
    """True when 'audit run --pdf' can print here (WeasyPrint and its libraries)."""
    python = bin_dir / "python"
    done = subprocess.run([str(python), "-m", "audit.dev", "check-pdf"], capture_output=True,
                          check=False)
    return done.returncode == 0


def _count_rows(path: Path) -> int:
    with open(path, "rb") as handle:
        return max(0, sum(1 for _ in handle) - 1)


# ------------------------------------------------------------------------- derived


def _scaling(cases: list[Case]) -> list[dict]:
    """time(k x rows) / time(rows) for consecutive CSV sizes: wall (the target), CPU, floor."""
    metrics = sorted((c for c in cases if c.case == "metrics" and c.fmt == "csv"),
                     key=lambda c: c.rows)
    out = []
    for small, big in zip(metrics, metrics[1:]):
        factor = big.rows / small.rows
        out.append({
            "from_rows": small.rows, "to_rows": big.rows, "rows_factor": round(factor, 2),
            "time_factor": round(big.command.wall / small.command.wall, 3),
            "cpu_factor": round(big.command.cpu / small.command.cpu, 3),
            "floor_time_factor": round(big.floor.wall / small.floor.wall, 3),
            "limit": round(TARGET_SCALING * factor / 10, 2),
        })
    return out


def _targets(cases: list[Case], scaling: list[dict]) -> list[dict]:
    targets = []

    def add(name: str, measured: float | None, limit: float, unit: str, detail: str) -> None:
        status = "n/a" if measured is None else ("PASS" if measured <= limit else "FAIL")
        value = None if measured is None else round(measured, 3)
        targets.append({"target": name, "measured": value,
                        "limit": limit, "unit": unit, "status": status, "detail": detail})

    def find(case: str, fmt: str | None = None, large: bool = False) -> Case | None:
        return next((c for c in cases if c.case == case and (fmt is None or c.fmt == fmt)
                     and (not large or c.rows >= LARGE_ROWS)), None)

    start = find("validate_startup")
    add("validate start-up <= 2x import pandas",
        None if start is None else start.command.wall / start.floor.wall,
        TARGET_STARTUP_VS_PANDAS, "x floor",
        "" if start is None else f"{start.command.wall:.2f} s vs {start.floor.wall:.2f} s "
        f"(cpu {start.command.cpu / start.floor.cpu:.2f}x)")

    big_csv = find("metrics", "csv", large=True)
    add("metrics 1M CSV <= 3x Arrow-parse floor",
        None if big_csv is None else big_csv.command.wall / big_csv.floor.wall,
        TARGET_METRICS_VS_FLOOR, "x floor",
        "" if big_csv is None else f"{big_csv.command.wall:.2f} s vs {big_csv.floor.wall:.2f} s "
        f"(cpu {big_csv.command.cpu / big_csv.floor.cpu:.2f}x; vs the pandas read "
        f"{big_csv.command.wall / big_csv.floor2.wall:.2f}x)")

    metric_cases = [c for c in cases if c.case == "metrics"]
    worst = max(metric_cases, key=lambda c: c.command.max_rss_mib, default=None)
    add("peak RSS <= 1 GB (audit metrics)",
        None if worst is None else worst.command.max_rss_mib * 2**20 / 1e9,
        TARGET_PEAK_RSS_GB, "GB",
        "" if worst is None else f"{worst.command.max_rss_mib:.0f} MiB, "
        f"{worst.rows:,} rows {worst.fmt}")

    worst_scale = max(scaling, key=lambda s: s["time_factor"] / s["rows_factor"], default=None)
    add("10x rows <= 11x time (issue 7)",
        None if worst_scale is None
        else worst_scale["time_factor"] * 10 / worst_scale["rows_factor"],
        TARGET_SCALING, "x time per 10x rows",
        "" if worst_scale is None else "; ".join(
            f"{s['from_rows']:,}->{s['to_rows']:,}: {s['time_factor']:.2f}x"
            for s in scaling))

    run = find("run")
    add("audit run <= 2x bare papermill run",
        None if run is None else run.command.wall / run.floor.wall,
        TARGET_RUN_VS_PAPERMILL, "x floor",
        "" if run is None else f"{run.command.wall:.1f} s vs {run.floor.wall:.1f} s "
        f"(cpu {run.command.cpu / run.floor.cpu:.2f}x)")

    for case, name, limit in (("test_fast", f"make test-fast <= {TARGET_TEST_FAST_S:.0f} s",
                               TARGET_TEST_FAST_S),
                              ("test", f"make test <= {TARGET_TEST_S:.0f} s", TARGET_TEST_S)):
        c = find(case)
        exit_code = None if c is None else max(s.returncode for s in c.command.samples)
        add(name, None if c is None else c.command.wall, limit, "s",
            "" if c is None else f"cpu {c.command.cpu:.0f} s; exit {exit_code}"
            + ("" if exit_code == 0 else " (tests failed)"))
    return targets


# --------------------------------------------------------------------------- output


def _write(results: Path, rows: list[dict], scaling: list[dict], targets: list[dict], args,
           sizes, repeats, large_repeats, elapsed, load) -> None:
    with open(results / "benchmarks.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        # The scaling ratios as extra rows: case "scaling", ratio_wall = time factor.
        for s in scaling:
            writer.writerow({"case": "scaling", "format": "csv", "rows": s["to_rows"],
                             "command": f"time({s['to_rows']:,}) / time({s['from_rows']:,})",
                             "ratio_wall": s["time_factor"]})
    with open(results / "targets.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(targets[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(targets)
    try:
        import audit
        version = audit.__version__
    except Exception:  # noqa: BLE001
        version = "?"
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=False).stdout.strip()
        dirty = bool(subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "src"],
                                    capture_output=True, text=True, check=False).stdout.strip())
    except OSError:
        commit, dirty = "", False
    meta = {
        "when_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": platform.node(), "cpus": os.cpu_count(), "python": platform.python_version(),
        "platform": platform.platform(), "audit": version, "commit": commit,
        "src_modified": dirty, "sizes": sizes, "repeats": repeats,
        "large_repeats": large_repeats, "quick": args.quick, "seconds": round(elapsed, 1),
        "load_average_before": load, "load_average_after": _load(),
        "scaling": scaling, "targets": targets,
    }
    (results / "run.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def _load():
    try:
        return os.getloadavg()
    except OSError:
        return None


def _print_tables(rows: list[dict], scaling: list[dict], targets: list[dict]) -> None:
    print()
    head = (f"{'case':<18}{'rows':>10}{'n':>3}{'wall s':>9}{'cpu s':>8}{'RSS MiB':>9}"
            f"{'floor s':>9}{'floor cpu':>10}{'ratio':>7}{'cpu ratio':>10}{'paired':>8}"
            f"{'best':>7}{'floor2 s':>9}{'ratio2':>8}")
    print(head)
    print("-" * len(head))
    for r in rows:
        name = {"metrics": f"metrics {r['format']}", "run_pdf": "run --pdf",
                "test_fast": "make test-fast", "test": "make test"}.get(r["case"], r["case"])
        rss = r["max_rss_mib"] if r["tree_peak_rss_mib"] is None else r["tree_peak_rss_mib"]
        line = f"{name:<18}{r['rows']:>10,}{r['repeats']:>3}{r['wall_s']:>9.2f}{r['cpu_s']:>8.2f}"
        line += f"{rss:>9.0f}" if r["case"] not in ("test", "test_fast") else f"{'':>9}"
        if r["floor"] is not None:
            line += (f"{r['floor_wall_s']:>9.2f}{r['floor_cpu_s']:>10.2f}{r['ratio_wall']:>6.2f}x"
                     f"{r['ratio_cpu']:>9.2f}x{r['ratio_wall_paired']:>7.2f}x"
                     f"{r['ratio_wall_best']:>6.2f}x")
        if r["floor2"] is not None:
            line += f"{r['floor2_wall_s']:>9.2f}{r['ratio2_wall']:>7.2f}x"
        print(line)
    print("(floor: the Arrow parse for metrics, import pandas for start-up, a bare papermill "
          "run for run; floor2: the pandas read; ratio: of the median wall times, the target's "
          "measure; paired: median of each repeat's ratio; best: fastest over fastest)")
    if any(r["tree_peak_rss_mib"] is not None for r in rows):
        print("(RSS for 'run' is the peak summed over its process tree, kernels included)")
    if scaling:
        print()
        for s in scaling:
            print(f"scaling {s['from_rows']:>9,} -> {s['to_rows']:>9,} rows: "
                  f"{s['time_factor']:.2f}x wall, {s['cpu_factor']:.2f}x cpu "
                  f"(floor {s['floor_time_factor']:.2f}x wall)")
    print()
    width = max(len(t["target"]) for t in targets)
    for t in targets:
        measured = "n/a" if t["measured"] is None else f"{t['measured']:.2f}"
        print(f"{t['status']:<5} {t['target']:<{width}}  measured {measured:>6} "
              f"(limit {t['limit']} {t['unit']})  {t['detail']}")


def _chart(path: Path, cases: list[Case], scaling: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
    timed = [c for c in cases if c.floor is not None]  # make test has no floor

    # 1. audit metrics vs the floors, time against rows (log-log).
    ax = axes[0]
    csv_cases = sorted((c for c in cases if c.case == "metrics" and c.fmt == "csv"),
                       key=lambda c: c.rows)
    if csv_cases:
        x = [c.rows for c in csv_cases]
        ax.plot(x, [c.command.wall for c in csv_cases], "o-", label="audit metrics (CSV)")
        ax.plot(x, [c.floor.wall for c in csv_cases], "s--", label="floor: Arrow parse")
        if all(c.floor2 is not None for c in csv_cases):
            ax.plot(x, [c.floor2.wall for c in csv_cases], "^:", color="C1",
                    label="pd.read_csv(pyarrow)")
        ax.plot(x, [TARGET_METRICS_VS_FLOOR * c.floor.wall for c in csv_cases], ":",
                color="grey", label=f"target: {TARGET_METRICS_VS_FLOOR:g}x Arrow parse")
    for c in cases:
        if c.case == "metrics" and c.fmt == "parquet":
            ax.plot([c.rows], [c.command.wall], "D", color="C3", label="audit metrics (Parquet)")
            ax.plot([c.rows], [c.floor.wall], "x", color="C3", label="floor: Arrow read_table")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.tick_params(axis="y", which="minor", labelsize=7)
    ax.set_xlabel("rows")
    ax.set_ylabel("wall seconds (whole process)")
    ax.set_title("audit metrics end to end")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)

    # 2. ratio to floor per case, with the targets.
    ax = axes[1]
    labels = [_short(c) for c in timed]
    ratios = [c.command.wall / c.floor.wall for c in timed]

    def limit(c: Case) -> float | None:
        if c.case == "metrics" and c.rows >= LARGE_ROWS and c.fmt == "csv":
            return TARGET_METRICS_VS_FLOOR
        return {"run": TARGET_RUN_VS_PAPERMILL,
                "validate_startup": TARGET_STARTUP_VS_PANDAS}.get(c.case)

    limits = [limit(c) for c in timed]
    colours = ["0.6" if lim is None else "C2" if r <= lim else "C3"
               for r, lim in zip(ratios, limits)]
    ax.bar(range(len(timed)), ratios, color=colours)
    for i, lim in enumerate(limits):
        if lim is not None:
            ax.hlines(lim, i - 0.4, i + 0.4, colors="black", linestyles="--")
    for i, r in enumerate(ratios):
        ax.text(i, r, f"{r:.2f}x", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(timed)), labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("wall time / floor wall time")
    ax.set_title("ratio to floor (dashed: target; grey: no target)")

    # 3. peak memory.
    ax = axes[2]
    rss = [(c.command.tree_peak_mib or c.command.max_rss_mib) / 1024 * 1.073741824
           for c in timed]
    floor_rss = [(c.floor.tree_peak_mib or c.floor.max_rss_mib) / 1024 * 1.073741824
                 for c in timed]
    xs = range(len(timed))
    ax.bar([i - 0.2 for i in xs], rss, width=0.4, label="command")
    ax.bar([i + 0.2 for i in xs], floor_rss, width=0.4, label="floor")
    ax.axhline(TARGET_PEAK_RSS_GB, color="black", linestyle="--",
               label=f"target {TARGET_PEAK_RSS_GB:g} GB (metrics)")
    ax.set_xticks(list(xs), labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("peak RSS, GB")
    ax.set_title("peak memory (run: summed over kernels)")
    ax.legend(fontsize=8)

    fig.suptitle(f"audit benchmarks, {datetime.now():%Y-%m-%d %H:%M}, "
                 f"{platform.node()}, {os.cpu_count()} cores", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _short(c: Case) -> str:
    if c.case == "metrics":
        rows = f"{c.rows // 1000:,}k" if c.rows < LARGE_ROWS else f"{c.rows / 1e6:g}M"
        return f"metrics {c.fmt} {rows}"
    return {"validate_startup": "validate (tiny)", "run": "audit run (sample)",
            "run_pdf": "audit run --pdf"}.get(c.case, c.case)


if __name__ == "__main__":
    sys.exit(main())
