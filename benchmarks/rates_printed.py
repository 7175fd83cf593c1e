#!/usr/bin/env python
"""Rates each public pack of a year prints: its metrics.csv rows whose rate is not ``c``.

    python benchmarks/rates_printed.py /tmp/year

One line a pack in publishing order (``benchmarks/year.py``): rates printed of the metrics
table's rows, counts hidden in ``figures.csv``, or "refused" for a pack not written; and how
many rates it would print if each row whose rate is hidden but whose numerator is printed
printed its rate over every case instead (numerator / cases: both printed, so the attack
learns nothing new; the risk factors' "as the review counted" rate already works so).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from year import pack_names  # noqa: E402

from audit.disclosure.figures import read_figures  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    year = Path((argv or sys.argv[1:])[0])
    print("| pack | rates printed | counts hidden | + rates over every case |")
    print("|---|---|---|---|")
    for name in pack_names():
        folder = year / "packs" / name
        if not (folder / "metrics.csv").is_file():
            print(f"| {name} | refused | |")
            continue
        with open(folder / "metrics.csv", newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        printed = sum(1 for r in rows if r["rate"] not in ("c", ""))
        publication, _ = read_figures(folder / "figures.csv")
        hidden = len(publication.hidden())
        # a rate hidden while its numerator is printed could be printed over every case
        # (numerator / cases, both printed: it adds no fact), as the risk factors' are
        over_all = sum(
            1 for r in rows if r["rate"] in ("c", "") and r["numerator"] not in ("c", "")
        )
        print(f"| {name} | {printed}/{len(rows)} | {hidden} | {printed + over_all}/{len(rows)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
