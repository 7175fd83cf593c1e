#!/usr/bin/env python
"""``audit`` with a quarter's public pack recording only its yes counts: for measurement only.

    python benchmarks/year.py /tmp/yearQ --quarters-yes-only   # runs every pack through this

Issue 22 asks what would stop small "not known" counts in the quarters from driving what a
year hides. This stands for a policy under which a quarter's public pack publishes, for each
measure, only the cases recorded as yes out of every case: its ``figures.csv`` (and so the
publication ledger that later packs are protected against) lists no "known" denominator,
no "not known" and no rate of known answers for a quarter. Only the record changes: the
quarter's page still prints them, so a pack written this way is **not** publishable; the
year's packs, run through here too, are protected as they are today. See
``benchmarks/joint_attack.md`` for what it measured.
"""

from __future__ import annotations

import importlib
import sys

_protect = importlib.import_module("audit.disclosure.protect")  # the module, not protect()
_build = _protect.build_publication
_period = sys.argv[sys.argv.index("--period") + 1] if "--period" in sys.argv else ""


def _yes_only(data):  # type: ignore[no-untyped-def]
    publication = _build(data)
    if "-Q" in _period:
        publication.counts = [
            c for c in publication.counts
            if c.table == "cases" or c.column not in ("denominator", "unknown")
        ]
        publication.rates = [r for r in publication.rates if r.column == "review_rate"]
    return publication


_protect.build_publication = _yes_only

if __name__ == "__main__":
    from audit.cli import main

    sys.exit(main())
