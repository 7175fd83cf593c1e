#!/usr/bin/env python
"""Rates each public pack of a year prints: its metrics.csv rows whose rate is not ``c``.

    python benchmarks/rates_printed.py /tmp/year

One line a pack in publishing order (``benchmarks/year.py``): rates of known answers printed
(of the 29 measures; a measure withheld from the pack has no row), the measures with any
printed rate (adding the rate out of every case, ``review_rate`` in ``figures.csv``), the
measures withheld from the pack as a whole, and the counts hidden in ``figures.csv``; or
"refused" for a pack not written.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from year import pack_names  # noqa: E402

from audit.disclosure.figures import read_figures  # noqa: E402

#: The measures of a pack of an extract recording every flag (the benchmark year's).
MEASURES = 29


def main(argv: list[str] | None = None) -> int:
    year = Path((argv or sys.argv[1:])[0])
    print("| pack | rates of known answers printed | measures with a printed rate | "
          "measures withheld | counts hidden |")
    print("|---|---|---|---|---|")
    for name in pack_names():
        folder = year / "packs" / name
        if not (folder / "metrics.csv").is_file():
            print(f"| {name} | refused | | | |")
            continue
        with open(folder / "metrics.csv", newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        printed = {r["metric"] for r in rows if r["rate"] not in ("c", "")}
        publication, _ = read_figures(folder / "figures.csv")
        hidden = len(publication.hidden())
        over_all = {r.row for r in publication.rates
                    if r.table == "metrics" and r.column == "review_rate"}
        print(f"| {name} | {len(printed)}/{MEASURES} | {len(printed | over_all)}/{MEASURES} | "
              f"{MEASURES - len(rows)} | {hidden} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
