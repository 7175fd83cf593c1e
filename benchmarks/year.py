#!/usr/bin/env python
"""A synthetic year of public releases: 20 public packs written as a partnership would (issue 22).

    python benchmarks/year.py OUT_DIR [--seed 2032]

Draws a seeded extract with the package's own generator
(:func:`audit.intake.sample.generate_extract`: three fictional partnerships, calendar 2025, about
166 cases in scope, 9 to 19 cases in every partnership-quarter — the seed is checked, and
the next seed tried until the year fits), then writes with the ``audit`` command line, as
whole processes, the 20 public packs of the year::

    OUT_DIR/packs/pooled-2025-Q1 ... pooled-2025-Q4, pooled-2025
    OUT_DIR/packs/<partnership>-2025-Q1 ... -2025-Q4, <partnership>-2025   (x 3)

**History.** A partnership publishes each quarter as it comes, with the trend of the
quarters before it: so the packs are written in publishing order (quarter 1's four packs,
then quarter 2's, ... then the year's) into **one shared history store**
(``OUT_DIR/history``), as one analyst's account keeps one store (``audit history``) and the
pooled analysis and each partnership's are recorded in it under their own names. Each
quarter's run reads only that quarter's returns (``OUT_DIR/extracts/2025-Qn.csv``); the
year's reads the whole year (``year.csv``). A fresh store per pack would publish no trend
and no rolling year, which no partnership does after its first quarter, and would hide the
links an outsider uses between a quarter and the ones before it.

**Time.** Each run is timed whole and, from its own progress lines as they arrive, its
protection ("protecting the public pack" to "drawing the sections", or to the end when it
refuses the pack); then ``audit check-disclosure`` checks the published packs together. The
last line sums them: issue 22's "protecting and checking the 20-pack year" is protection
within the 20 runs plus that check.

The extract and true counts are kept (``OUT_DIR/extracts``) for the attack's scoring
(``benchmarks/joint_attack.py``); only ``packs/`` is what was published.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from audit.contract import MAX_IN_SCOPE_AGE_MONTHS  # noqa: E402
from audit.intake.sample import DEFAULT_PARTNERSHIPS, generate_extract  # noqa: E402

__all__ = ["YEAR", "QUARTERS", "DEFAULT_SEED", "ORDERS", "year_extract", "pack_names", "write_year"]

YEAR = "2025"
QUARTERS = tuple(f"{YEAR}-Q{i}" for i in range(1, 5))
#: The first seed tried: 166 cases in scope, 10 to 18 a partnership-quarter.
DEFAULT_SEED = 2032
_ROWS = 172  # rows drawn: about 3% are out of scope (babies of 12-16 months)
_CELL_RANGE = (9, 19)


def _quarter(frame: pd.DataFrame) -> pd.Series:
    dates = pd.to_datetime(frame["notification_date"])
    return dates.dt.year.astype(str) + "-Q" + dates.dt.quarter.astype(str)


def year_extract(seed: int = DEFAULT_SEED) -> tuple[pd.DataFrame, int]:
    """A year's pooled extract (and the seed used): the first seed from ``seed`` whose
    partnership-quarters all hold 9 to 19 cases in scope."""
    for attempt in range(seed, seed + 1000):
        frame = generate_extract(_ROWS, seed=attempt, start=f"{YEAR}-01-01", quarters=4)
        in_scope = frame[frame["child_age_months"] <= MAX_IN_SCOPE_AGE_MONTHS]
        cells = in_scope.groupby([in_scope["partnership"], _quarter(in_scope)]).size()
        if len(cells) == 12 and _CELL_RANGE[0] <= cells.min() and cells.max() <= _CELL_RANGE[1]:
            return frame, attempt
    raise SystemExit(f"no seed from {seed} gives a year of the right shape")


#: The publishing orders measured: each quarter's four packs, then the year's four
#: (``quarters-first``), or the year's four at the year's end before quarter 4's
#: (``year-before-q4``: both wait for quarter 4's returns, so either can go first).
ORDERS = ("quarters-first", "year-before-q4")


def pack_names(
    partnerships: tuple[str, ...] = DEFAULT_PARTNERSHIPS, order: str = ORDERS[0]
) -> list[str]:
    """The 20 packs, in publishing ``order`` (:data:`ORDERS`)."""
    scopes = ("pooled", *partnerships)
    quarters = [[f"{s}-{q}" for s in scopes] for q in QUARTERS]
    year = [f"{s}-{YEAR}" for s in scopes]
    if order == "year-before-q4":
        return [n for q in quarters[:-1] for n in q] + year + quarters[-1]
    return [n for q in quarters for n in q] + year


def write_year(
    out: Path,
    seed: int = DEFAULT_SEED,
    *,
    quarters_yes_only: bool = False,
    order: str = ORDERS[0],
) -> tuple[list[Path], list[tuple[str, float, float]]]:
    """Write the extracts and the 20 public packs under ``out`` (module doc). Returns the
    packs written and, for each run, (pack, seconds in all, seconds protecting).
    ``quarters_yes_only``: run each pack through ``benchmarks/quarters_yes_only.py`` (a
    measurement of a publishing policy; its quarter packs are not publishable); ``order``:
    the publishing order (:data:`ORDERS`), kept in ``OUT_DIR/order.txt``."""
    frame, used = year_extract(seed)
    extracts = out / "extracts"
    extracts.mkdir(parents=True, exist_ok=True)
    frame.to_csv(extracts / "year.csv", index=False)
    quarter = _quarter(frame)
    for q in QUARTERS:
        frame[quarter == q].to_csv(extracts / f"{q}.csv", index=False)
    (out / "seed.txt").write_text(f"{used}\n", encoding="utf-8")
    (out / "order.txt").write_text(f"{order}\n", encoding="utf-8")
    history = out / "history"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    written = []
    timings: list[tuple[str, float, float]] = []
    for name in pack_names(order=order):
        scope, _, period = name.partition("-")
        source = extracts / ("year.csv" if period == YEAR else f"{period}.csv")
        target = out / "packs" / name
        runner = [str(ROOT / "benchmarks" / "quarters_yes_only.py")] if quarters_yes_only else [
            "-m", "audit"]
        command = [sys.executable, *runner, "run", str(source), "--audience", "public"]
        command += ["--period", period, "--history", str(history), "--out", str(target)]
        if scope != "pooled":
            command += ["--partnership", scope]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        code, stderr, seconds, protecting = _timed_run(command, env)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        timings.append((name, seconds, protecting))
        times = f"{seconds:.1f} s, cpu {cpu:.1f} s, protecting {protecting:.1f} s"
        if code == 2 and any(why in stderr for why in _REFUSALS):
            # refused by protection (alone or with the packs before it): not published
            why = next(why for why in _REFUSALS if why in stderr)
            print(f"{name}: refused, {why} ({times})", file=sys.stderr)
            continue
        if code != 0:
            raise SystemExit(f"{name}: audit run failed ({code}):\n{stderr}")
        print(f"{name}: {times}", file=sys.stderr)
        written.append(target)
    return written, timings


#: What protection says when it refuses a pack (exit 2): a count it cannot hide, or a
#: whole-number check that could not decide a count in its time (a busy machine).
_REFUSALS = ("this pack cannot hide", "could not decide")


def _timed_run(command: list[str], env: dict[str, str]) -> tuple[int, str, float, float]:
    """Run ``audit run``, timing it whole and its protection from its own progress lines
    (stderr, read as they come): from "protecting the public pack" to the next step
    ("drawing the sections"), or to the end when protection refuses the pack."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    lines, begun, ended = [], None, None
    for line in process.stderr:
        now = time.perf_counter()
        lines.append(line)
        if begun is None and line.startswith("protecting the public pack"):
            begun = now
        elif begun is not None and ended is None and line.startswith("drawing the sections"):
            ended = now
    code = process.wait()
    finished = time.perf_counter()
    protecting = (ended or finished) - begun if begun is not None else 0.0
    return code, "".join(lines), finished - started, protecting


def check_year(out: Path) -> float:
    """Time ``audit check-disclosure`` over the published packs (every pack alone, then all
    together in whole numbers); raises if it finds anything."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "audit", "check-disclosure", str(out / "packs")],
                          env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"audit check-disclosure failed ({done.returncode}):\n{done.stderr}")
    print(done.stdout.strip() or done.stderr.strip(), file=sys.stderr)
    return seconds



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="folder for extracts/, history and packs/")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--quarters-yes-only", action="store_true",
                        help="measure a policy: quarters record only their yes counts "
                        "(benchmarks/quarters_yes_only.py)")
    parser.add_argument("--order", choices=ORDERS, default=ORDERS[0],
                        help="publishing order (default: each quarter, then the year)")
    args = parser.parse_args(argv)
    packs, timings = write_year(
        args.out, args.seed, quarters_yes_only=args.quarters_yes_only, order=args.order
    )
    print(f"{len(packs)} of {len(pack_names())} public packs written in {args.out / 'packs'} "
          "(the others refused by protection, so not published)")
    checking = check_year(args.out) if packs else 0.0
    runs = sum(t[1] for t in timings)
    protecting = sum(t[2] for t in timings)
    print(f"the 20 runs: {runs:.1f} s; protecting (within them): {protecting:.1f} s; "
          f"checking the published packs together: {checking:.1f} s; "
          f"protecting and checking: {protecting + checking:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
