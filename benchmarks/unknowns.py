#!/usr/bin/env python
"""How much hiding small "not known" counts drive: rates printed today and without them.

    python benchmarks/unknowns.py /tmp/year        # the folder benchmarks/year.py wrote

For the year's pooled pack, each partnership's year and each partnership-quarter (the
extract's own quarters, no history), protects the audit for the public twice, in process:

* **today** — :func:`audit.disclosure.protect.protect` as it is;
* **unknowns not sensitive** — the same, with every ``unknown`` count left out of what is
  published and attacked (monkeypatched here, for measurement only: nothing is written).
  It stands for printing "not known" as a data-quality figure that is never suppressed,
  or not printing it at all. Where the number of cases and a measure's denominator are
  both printed, "not known" is their difference, so printing it then adds no fact; where
  either is hidden it would, and a real implementation must attack it: so this column is
  an upper bound on what the option can gain.

and counts the metrics table's rates printed (of 29) and the counts hidden. Each run is
timed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import importlib  # noqa: E402

from audit.disclosure.attack import attack_targets  # noqa: E402
from audit.disclosure.publication import build_publication  # noqa: E402
from audit.formatting import SUPPRESSED  # noqa: E402
from audit.intake.sample import DEFAULT_PARTNERSHIPS  # noqa: E402
from audit.workspace import open_audit  # noqa: E402

# the package exports protect() under the module's name: fetch the module itself
protect_module = importlib.import_module("audit.disclosure.protect")
hide_less_module = importlib.import_module("audit.disclosure.hide_less")
_original_attack = protect_module.attack


def _no_unknowns(data: Any) -> Any:
    publication = build_publication(data)
    publication.counts = [c for c in publication.counts if c.column != "unknown"]
    return publication


def _attack_without_unknowns(publication: Any, k: int, **kwargs: Any) -> Any:
    targets = kwargs.pop("targets", None)
    if targets is None:
        targets = attack_targets(publication)
    targets = [
        (label, terms)
        for label, terms in targets
        if not all(t.categories == ("unknown",) for t in terms)
    ]
    return _original_attack(publication, k, targets=targets, **kwargs)


def measure(path: Path, period: str, partnership: str | None, option: str) -> dict[str, Any]:
    data = open_audit(path, period=period, partnership=partnership).compute()
    patches: dict[str, Callable[..., Any]] = {}
    if option == "unknowns not sensitive":
        patches = {"build_publication": _no_unknowns, "attack": _attack_without_unknowns}
    modules = (protect_module, hide_less_module)  # both attack: protect, then hide less
    saved = [(m, n, getattr(m, n)) for m in modules for n in patches if hasattr(m, n)]
    started = time.perf_counter()
    try:
        for module, name, _ in saved:
            setattr(module, name, patches[name])
        protected = protect_module.protect(data, "public")
    finally:
        for module, name, value in saved:
            setattr(module, name, value)
    rates = protected.metrics["rate"]
    printed = sum(1 for v in rates if v != SUPPRESSED and v == v)
    hidden = len(protected.publication.hidden()) if protected.publication else 0
    return {
        "rates": printed,
        "of": len(rates),
        "hidden": hidden,
        "cases": data.in_scope,
        "seconds": time.perf_counter() - started,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("year", type=Path)
    parser.add_argument("--quarters", action="store_true", help="also each partnership-quarter")
    args = parser.parse_args(argv)
    extract = args.year / "extracts" / "year.csv"
    scopes: list[tuple[str, str, str | None]] = [("pooled 2025", "2025", None)]
    scopes += [(f"{p} 2025", "2025", p) for p in DEFAULT_PARTNERSHIPS]
    if args.quarters:
        scopes += [
            (f"{p} 2025-Q{q}", f"2025-Q{q}", p) for p in DEFAULT_PARTNERSHIPS for q in range(1, 5)
        ]
    options = ("today", "unknowns not sensitive")
    print("| pack | cases | " + " | ".join(f"{o}: rates printed / hidden" for o in options) + " |")
    print("|---|---|" + "---|" * len(options))
    for label, period, partnership in scopes:
        results = [measure(extract, period, partnership, o) for o in options]
        cells = " | ".join(
            f"{r['rates']} of {r['of']} / {r['hidden']} ({r['seconds']:.1f} s)" for r in results
        )
        print(f"| {label} | {results[0]['cases']} | {cells} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
