"""Intake: reading and checking a quarter's case extract, before anything is computed.

Which cases to audit (:mod:`~audit.intake.selection`), the blank form auditors fill in
(:mod:`~audit.intake.form`), reading a file of any format (:mod:`~audit.intake.read`),
the identifier guard, the schema and the validation that make a :class:`CaseExtract`
(:mod:`~audit.intake.validate`), pooling several auditors' returns and moderation
(:mod:`~audit.intake.pooling`, :mod:`~audit.intake.moderation`), and the seeded
synthetic extracts (:mod:`~audit.intake.sample`).
"""

from importlib import import_module
from pkgutil import iter_modules
from typing import Any

__all__: list[str] = []

#: the stage's modules, reachable as attributes (``audit.intake.validate``), found on disk.
_SUBMODULES = frozenset(
    info.name for info in iter_modules(__path__) if not info.name.startswith("_")
)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
