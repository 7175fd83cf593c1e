"""``python -m audit …`` runs the ``audit`` command: the same CLI as the console script.

It works wherever the package is importable, so nothing depends on a script folder being
on ``PATH`` (``.venv\\Scripts`` on Windows, ``.venv/bin`` elsewhere): with a virtual
environment, ``.venv\\Scripts\\python -m audit run …`` or ``.venv/bin/python -m audit run …``.
"""

from __future__ import annotations

import sys

from audit.cli import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())
