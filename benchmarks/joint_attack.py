#!/usr/bin/env python
"""Issue 22's table: how many hidden counts a year of public packs gives away, read together.

    python benchmarks/year.py /tmp/year                 # the 20 packs (about 3 minutes)
    python benchmarks/joint_attack.py /tmp/year         # the table (at most 2 minutes)

Reads the packs ``benchmarks/year.py`` wrote (``/tmp/year/packs``) and, for the scoring
only, the true counts of its extract (``/tmp/year/extracts/year.csv``). For each
combination of packs an outsider could read together it runs
:func:`audit.disclosure.joint.joint_attack` on every count hidden in them (``c``) whose
true value is 1 to 5 — once each, however many packs hide it — and counts those whose range
holds one value (recovered exactly), at most 4 values (issue 22's bar: "pins no hidden
count of 1-5 to fewer than 5 values") and fewer than 5 wide (``exposed``: the bar of
``audit check-disclosure``, 5 values or fewer). Every range is checked to hold the true
value (the attack is sound). The whole-number solves share ``--integer-seconds`` in
proportion to the counts attacked; counts they do not reach keep their linear range, which
can only be wider, so the table is then a lower bound on what is given away.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from audit.disclosure.joint import PackFigures, joint_attack, joint_targets, read_packs  # noqa: E402
from audit.disclosure.publication import true_counts  # noqa: E402
from audit.intake.sample import DEFAULT_PARTNERSHIPS  # noqa: E402
from audit.workspace import open_audit  # noqa: E402

QUARTERS = tuple(f"2025-Q{i}" for i in range(1, 5))


def combinations(packs: dict[str, PackFigures]) -> list[tuple[str, list[list[PackFigures]]]]:
    """Issue 22's rows: each a list of pack sets attacked one set at a time. A pack that
    protection refused (so was never published) is left out of every set."""
    ps = DEFAULT_PARTNERSHIPS

    def have(*names: str) -> list[PackFigures]:
        return [packs[n] for n in names if n in packs]

    rows = [
        ("each pack alone", [[p] for p in packs.values()]),
        (
            "one partnership: 4 quarters + year (x3)",
            [have(*(f"{p}-{q}" for q in (*QUARTERS, "2025"))) for p in ps],
        ),
        (
            "pooled year + the 3 partnership years",
            [have("pooled-2025", *(f"{p}-2025" for p in ps))],
        ),
        (
            "pooled 4 quarters + pooled year",
            [have(*(f"pooled-{q}" for q in (*QUARTERS, "2025")))],
        ),
        (f"all {len(packs)} published", [list(packs.values())]),
    ]
    return [(name, [s for s in sets if s]) for name, sets in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("year", type=Path, help="the folder benchmarks/year.py wrote")
    parser.add_argument("--integer-seconds", type=float, default=60.0)
    parser.add_argument("--rows", default="", help="comma-separated row numbers (1-5)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    packs = {p.name: p for p in read_packs([args.year / "packs"])}
    truth = true_counts(open_audit(args.year / "extracts" / "year.csv").compute())
    rows = combinations(packs)
    if args.rows:
        rows = [rows[int(i) - 1] for i in args.rows.split(",")]
    work = []
    for name, sets in rows:
        for chosen in sets:
            targets = [t for t in joint_targets(chosen) if t.hidden_in and 1 <= truth(t.terms) <= 5]
            work.append((name, chosen, targets))
    total = sum(len(t) for _, _, t in work) or 1
    table: dict[str, list[float]] = {name: [0, 0, 0, 0, 0, 0, 0, 0.0] for name, _ in rows}
    unsound = 0
    for name, chosen, targets in work:
        share = args.integer_seconds * len(targets) / total
        report = joint_attack(chosen, targets=targets, budget=share)
        cells = table[name]
        for b in report.bounds:
            unsound += not b.low <= truth(b.target.terms) <= b.high
            cells[0] += 1
            cells[1] += b.high == b.low
            cells[2] += b.high - b.low <= 3
            cells[3] += b.exposed
            cells[4] += b.exact
        cells[5] += report.certified
        cells[6] += report.unreached
        cells[7] += report.seconds
    print(
        "| packs combined | hidden counts (true 1-5) attacked | recovered exactly "
        "| pinned to <= 4 values | exposed (< 5 wide) | solved in whole numbers "
        "| settled by whole-number solutions | not reached | seconds |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, (n, exact, four, exposed, solved, settled, unreached, seconds) in table.items():
        print(
            f"| {name} | {n:.0f} | {exact:.0f} | {four:.0f} | {exposed:.0f} | {solved:.0f} "
            f"| {settled:.0f} | {unreached:.0f} | {seconds:.1f} |"
        )
    print(f"\nranges missing the true value: {unsound}")
    print(f"total {time.perf_counter() - started:.1f} s")
    return 1 if unsound else 0


if __name__ == "__main__":
    raise SystemExit(main())
