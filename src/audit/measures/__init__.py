"""Measures: what is computed from a validated extract, before anything is protected.

The metrics and their intervals (:mod:`~audit.measures.metrics`), the engagement funnel,
comparisons with the national reference (:mod:`~audit.measures.compare`,
:mod:`~audit.measures.national`), statistical process control, data quality, the board's
targets and the planning of a quarter's sample (:mod:`~audit.measures.plan`).
"""

from importlib import import_module
from pkgutil import iter_modules
from typing import Any

__all__: list[str] = []

#: the stage's modules, reachable as attributes (``audit.measures.metrics``), found on disk.
_SUBMODULES = frozenset(
    info.name for info in iter_modules(__path__) if not info.name.startswith("_")
)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
