"""``python -m audit.cli …``: the same command as ``python -m audit …`` (:mod:`audit.__main__`)."""

from __future__ import annotations

import sys

from audit.cli import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())
