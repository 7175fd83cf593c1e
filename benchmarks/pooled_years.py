#!/usr/bin/env python
"""Rates a pooled year prints, over many synthetic years: with and without the hide-less pass.

    python benchmarks/pooled_years.py [--years 12] [--start 2000]

Draws years as ``benchmarks/year.py`` does (:func:`year.year_extract`'s shape: three
partnerships, 9 to 19 cases in every partnership-quarter, about 166 cases), seeds from
``--start`` on, and protects each pooled year alone (no earlier release) in process, once as
``audit run --audience public`` does and once with the pass that prints rows again
(``hide_less.rates_again``) switched off. One line a year: cases, the metrics rows with 1 to 5
"not known" (a row's rate beside a printed number of cases gives its "not known" away, so
most of those rows cannot print a rate), the rates printed of 29 without and with the pass,
and the seconds. Nothing is written but a temporary extract.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from year import _CELL_RANGE, _ROWS, YEAR, _quarter  # noqa: E402

from audit.contract import MAX_IN_SCOPE_AGE_MONTHS  # noqa: E402
from audit.formatting import is_suppressed  # noqa: E402
from audit.intake.sample import generate_extract  # noqa: E402
from audit.workspace import open_audit  # noqa: E402

protect_module = importlib.import_module("audit.disclosure.protect")


def _fits(frame) -> bool:
    in_scope = frame[frame["child_age_months"] <= MAX_IN_SCOPE_AGE_MONTHS]
    cells = in_scope.groupby([in_scope["partnership"], _quarter(in_scope)]).size()
    return len(cells) == 12 and _CELL_RANGE[0] <= cells.min() and cells.max() <= _CELL_RANGE[1]


def _printed(data) -> tuple[int, float]:
    started = time.perf_counter()
    view = protect_module.protect(data, "public")
    return sum(not is_suppressed(r) for r in view.metrics["rate"]), time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--years", type=int, default=12)
    parser.add_argument("--start", type=int, default=2000)
    args = parser.parse_args(argv)
    print("| seed | cases | rows with 1-5 not known | rates printed without the pass | "
          "with it | seconds with it |")
    print("|---|---|---|---|---|---|")
    folder = Path(tempfile.mkdtemp())
    seed, done, totals = args.start, 0, [0, 0]
    while done < args.years:
        frame = generate_extract(_ROWS, seed=seed, start=f"{YEAR}-01-01", quarters=4)
        seed += 1
        if not _fits(frame):
            continue
        done += 1
        path = folder / "year.csv"
        frame.to_csv(path, index=False)
        data = open_audit(path, period=YEAR)
        small = int(((data.metrics["unknown"] >= 1) & (data.metrics["unknown"] <= 5)).sum())
        with_pass, seconds = _printed(data)
        kept = protect_module.rates_again
        protect_module.rates_again = lambda publication, full, k, truth, report: report
        try:
            without, _ = _printed(data)
        finally:
            protect_module.rates_again = kept
        totals[0] += without
        totals[1] += with_pass
        print(f"| {seed - 1} | {data.in_scope} | {small} | {without} | {with_pass} | "
              f"{seconds:.1f} |", flush=True)
    print(f"| mean of {done} | | | {totals[0] / done:.1f} | {totals[1] / done:.1f} | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
