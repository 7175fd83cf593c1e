#!/usr/bin/env python
"""Protect one pack of the synthetic year in process, with the releases published before it.

    python benchmarks/protect_one.py /tmp/year pooled-2025 [--profile OUT.prof]

Reads the folder ``benchmarks/year.py`` wrote (its extracts and its final history store),
takes the earlier releases of the ledger that were recorded before the named pack (in
the folder's publishing order, :func:`benchmarks.year.pack_names`) and linked to its
partnerships, and times :func:`audit.disclosure.protect.protect` as ``audit run --audience
public`` calls it, with the single-pack ranges the store keeps for those releases (a
store written to the end keeps those of later runs too: a little more than the run had).
Prints the seconds, the metrics rates printed (of 29) and the counts hidden; nothing is
written. For profiling and measuring protection without writing packs.
"""

from __future__ import annotations

import argparse
import cProfile
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from year import ORDERS, YEAR, pack_names  # noqa: E402

from audit.disclosure import protect  # noqa: E402
from audit.disclosure.ledger import earlier_releases, kept_ranges  # noqa: E402
from audit.formatting import SUPPRESSED  # noqa: E402
from audit.history import open_history  # noqa: E402
from audit.intake.pooling import load_returns  # noqa: E402
from audit.workspace import audit_of, read_history  # noqa: E402


def prepare(year: Path, name: str):
    scope, _, period = name.partition("-")
    source = year / "extracts" / ("year.csv" if period == YEAR else f"{period}.csv")
    validated = load_returns([source])
    data = audit_of(validated, period=period, partnership=None if scope == "pooled" else scope)
    history = year / "history"
    data.history = read_history(
        history, validated, data.partnership, data.quarters[-1] if data.quarters else None
    )
    order_file = year / "order.txt"  # written by benchmarks/year.py; absent in older folders
    order = pack_names(order=order_file.read_text().strip() if order_file.exists() else ORDERS[0])
    before = {f"{n.partition('-')[0]} {n.partition('-')[2]}" for n in order[: order.index(name)]}
    with open_history(history) as store:
        linked = earlier_releases(store.connection, data.partnerships)
        earlier = [p for p in linked if p.name.split(" (")[0] in before]
        ranges = kept_ranges(store.connection, earlier)
    return data, earlier, ranges


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("year", type=Path)
    parser.add_argument("names", nargs="+")
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--alone", action="store_true", help="with no earlier release")
    args = parser.parse_args(argv)
    for name in args.names:
        data, earlier, ranges = prepare(args.year, name)
        earlier = [] if args.alone else earlier
        started = time.perf_counter()
        profiler = cProfile.Profile() if args.profile else None
        try:
            if profiler:
                profiler.enable()
            view = protect(data, "public", earlier=earlier, ranges=ranges)
            outcome = ""
        except Exception as exc:  # a refusal is a result
            view, outcome = None, f"refused: {exc}"
        finally:
            if profiler:
                profiler.disable()
                profiler.dump_stats(args.profile)
        seconds = time.perf_counter() - started
        if view is None:
            print(f"{name}: {len(earlier)} earlier, {seconds:.1f} s, {outcome}")
            continue
        rates = view.metrics["rate"]
        printed = sum(1 for v in rates if v != SUPPRESSED and v == v)
        hidden = len(view.publication.hidden())
        print(
            f"{name}: {len(earlier)} earlier, {seconds:.1f} s, rates {printed}/{len(rates)}, "
            f"hidden {hidden}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
