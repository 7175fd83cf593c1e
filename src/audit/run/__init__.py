"""Run: one quarter's audit from extract to pack (``audit run``).

The orchestrator (:mod:`~audit.run.report`), the notebooks and the kernels that run them,
the pack's files (:mod:`~audit.run.pack`) and its ``manifest.json``.
"""

from audit._lazy import lazy_getattr, submodules

__all__: list[str] = []

#: the stage's modules, reachable as attributes (``audit.run.report``), found on disk.
_SUBMODULES = submodules(__path__)
__getattr__ = lazy_getattr(__name__, _SUBMODULES)
