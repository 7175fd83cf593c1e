"""Run: one quarter's audit from extract to pack (``audit run``).

The orchestrator (:mod:`~audit.run.report`), the notebooks and the kernels that run them,
the pack's files (:mod:`~audit.run.pack`) and its ``manifest.json``.
"""

from importlib import import_module
from pkgutil import iter_modules
from typing import Any

__all__: list[str] = []

#: the stage's modules, reachable as attributes (``audit.run.report``), found on disk.
_SUBMODULES = frozenset(
    info.name for info in iter_modules(__path__) if not info.name.startswith("_")
)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
