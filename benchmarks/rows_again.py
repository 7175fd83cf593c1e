#!/usr/bin/env python
"""Could a year pack print again a metrics row its quarters took? Each tried alone.

    python benchmarks/rows_again.py /tmp/year [pooled-2025]

Protects the named pack of the synthetic year (``benchmarks/year.py``) in process with the
releases published before it (``benchmarks/protect_one.py``), then, for each metrics row
whose numerator is printed but whose "known" denominator is hidden though none of its
counts is 1 to ``k`` (the rows its own counts do not keep hidden: the quarters did), prints
that row's counts and rate again, alone, and asks the joint check (the ledger's, with
exact whole-number ranges) whether the pack read with the earlier ones now narrows a
count. Prints each row with its true counts and the counts it would expose; nothing is
written. A row printed again needs no other figure hidden only if it exposes nothing.
"""

from __future__ import annotations

import copy
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from protect_one import prepare  # noqa: E402

import audit.disclosure.ledger as ledger  # noqa: E402
from audit.disclosure import protect  # noqa: E402
from audit.disclosure.hide_less import rates_for  # noqa: E402
from audit.disclosure.joint_model import PackFigures  # noqa: E402
from audit.disclosure.publication import at_least, true_counts  # noqa: E402
from audit.disclosure.tables import build_publication  # noqa: E402

_joint_attack = ledger.joint_attack


def _exact(*args, **kwargs):  # type: ignore[no-untyped-def]
    """The ledger's joint attack with exact ranges (protection asks only which are exposed,
    erring towards exposed): here a row must be refused only for a true exposure."""
    kwargs["exact_exposures"] = True
    return _joint_attack(*args, **kwargs)


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    year, name = Path(args[0]), (args[1] if len(args) > 1 else "pooled-2025")
    ledger.joint_attack = _exact
    data, earlier, _ = prepare(year, name)
    started = time.perf_counter()
    view = protect(data, "public", earlier=earlier)
    print(f"{name}: protected with {len(earlier)} earlier packs in "
          f"{time.perf_counter() - started:.1f} s")
    published = view.publication
    k = view.policy.max_count
    truth = true_counts(data)
    floor = at_least(data, truth)
    full = build_publication(data)
    present = {(c.table, c.row) for c in published.counts}  # tables the pack left out stay out
    full.rates = [r for r in full.rates if (r.table, r.row) in present]
    rows: dict[str, dict] = {}
    for count in published.counts:
        if count.table == "metrics":
            rows.setdefault(count.row, {})[count.column] = count
    tried = [
        row for row, cells in rows.items()
        if cells["denominator"].hidden and not cells["numerator"].hidden
        and all(truth(c.terms) == 0 or truth(c.terms) > k for c in cells.values())
    ]
    print(f"{len(tried)} rows taken by the joint check, not by their own counts")
    for row in tried:
        trial = copy.deepcopy(published)
        for count in trial.counts:
            if count.table == "metrics" and count.row == row:
                count.hidden = False
        rates_for(trial, full)
        started = time.perf_counter()
        found = ledger.new_exposures(PackFigures("this pack", trial, k), earlier,
                                     at_least=floor)
        counts = ", ".join(f"{c.column} {truth(c.terms)}" for c in rows[row].values())
        first = f"; e.g. {found[0].describe()}" if found else ""
        print(f"| {row} | {counts} | {len(found)} exposed{first} | "
              f"{time.perf_counter() - started:.1f} s |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
