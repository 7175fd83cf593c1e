"""Submodules found on disk and imported on first use: one mechanism for ``audit`` and its
stage packages (``audit.intake.validate`` works without importing every stage at start-up)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib import import_module
from pkgutil import iter_modules
from typing import Any

__all__ = ["submodules", "lazy_getattr"]


def submodules(path: Iterable[str]) -> frozenset[str]:
    """Every public module and subpackage under ``path`` (a package's ``__path__``), found on
    disk, not listed, so none is forgotten; private ones and ``__main__`` left out."""
    return frozenset(
        info.name
        for info in iter_modules(path)
        if not info.name.startswith("_") and info.name != "__main__"
    )


def lazy_getattr(package: str, names: frozenset[str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``package.name`` for each of ``names``."""

    def __getattr__(name: str) -> Any:
        if name in names:
            return import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
