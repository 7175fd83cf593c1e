#!/usr/bin/env python
"""The outsider of ``tests/series_attacker.py`` on a year of published packs (issue 22).

    python benchmarks/year.py /tmp/year          # writes the year's packs (/tmp/year/packs)
    python benchmarks/outsider.py /tmp/year      # reads them as an outsider would

Reads only each published pack's ``figures.csv`` and bounds every hidden count outside the
risk-factor pattern tables in whole numbers, with a model and solver interface written
apart from :mod:`audit.disclosure` (scipy's ``milp``): first all the packs together, then
each pack alone. Prints, for each, the hidden counts, how many needed their own solves
(the others were already 5 apart in solutions found for other counts), the narrowest range
of a count that could be 1 to 5, what it finds exposed (the tool's bar: a range narrower
than 5 reaching into 1..5), and the time. Exits 1 when anything is exposed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from series_attacker import attack_series, exposed  # noqa: E402


def _line(label: str, folders: list[Path]) -> list[str]:
    start = time.perf_counter()
    ranges = attack_series(folders)
    seconds = time.perf_counter() - start
    small = [r.high - r.low + 1 for r in ranges if r.low <= 5 and r.high is not None]
    found = exposed(ranges)
    print(f"{label:<34} {len(ranges):>6} {sum(r.exact for r in ranges):>8} "
          f"{min(small, default=0):>10} {len(found):>8} {seconds:>7.1f}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("year", type=Path, help="the folder benchmarks/year.py wrote")
    args = parser.parse_args()
    folders = sorted(p for p in (args.year / "packs").iterdir() if (p / "figures.csv").is_file())
    if not folders:
        parser.error(f"no published packs in {args.year / 'packs'}")
    print(f"{'packs':<34} {'hidden':>6} {'solved':>8} {'narrowest':>10} {'exposed':>8} "
          f"{'seconds':>7}")
    found = _line(f"all {len(folders)} together", folders)
    for folder in folders:
        found += _line(folder.name, [folder])
    for line in found:
        print("exposed:", line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
