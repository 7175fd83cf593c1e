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

__all__ = ["YEAR", "QUARTERS", "DEFAULT_SEED", "year_extract", "pack_names", "write_year"]

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


def pack_names(partnerships: tuple[str, ...] = DEFAULT_PARTNERSHIPS) -> list[str]:
    """The 20 packs, in publishing order (each quarter's four, then the year's four)."""
    scopes = ("pooled", *partnerships)
    return [f"{s}-{q}" for q in QUARTERS for s in scopes] + [f"{s}-{YEAR}" for s in scopes]


def write_year(out: Path, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write the extracts and the 20 public packs under ``out`` (module doc)."""
    frame, used = year_extract(seed)
    extracts = out / "extracts"
    extracts.mkdir(parents=True, exist_ok=True)
    frame.to_csv(extracts / "year.csv", index=False)
    quarter = _quarter(frame)
    for q in QUARTERS:
        frame[quarter == q].to_csv(extracts / f"{q}.csv", index=False)
    (out / "seed.txt").write_text(f"{used}\n", encoding="utf-8")
    history = out / "history"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    written = []
    for name in pack_names():
        scope, _, period = name.partition("-")
        source = extracts / ("year.csv" if period == YEAR else f"{period}.csv")
        target = out / "packs" / name
        command = [sys.executable, "-m", "audit", "run", str(source), "--audience", "public"]
        command += ["--period", period, "--history", str(history), "--out", str(target)]
        if scope != "pooled":
            command += ["--partnership", scope]
        started = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        if done.returncode == 2 and "this pack cannot hide" in done.stderr:
            # refused by protection (alone or with the packs before it): not published
            print(f"{name}: refused ({seconds:.1f} s, cpu {cpu:.1f} s)", file=sys.stderr)
            continue
        if done.returncode != 0:
            raise SystemExit(f"{name}: audit run failed ({done.returncode}):\n{done.stderr}")
        print(f"{name}: {seconds:.1f} s (cpu {cpu:.1f} s)", file=sys.stderr)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="folder for extracts/, history and packs/")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    packs = write_year(args.out, args.seed)
    print(f"{len(packs)} of {len(pack_names())} public packs written in {args.out / 'packs'} "
          "(the others refused by protection, so not published)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
