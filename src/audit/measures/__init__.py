"""Measures: what is computed from a validated extract, before anything is protected.

The metrics and their intervals (:mod:`~audit.measures.metrics`), the engagement funnel,
comparisons with the national reference (:mod:`~audit.measures.compare`,
:mod:`~audit.measures.national`), statistical process control, data quality, the board's
targets and the planning of a quarter's sample (:mod:`~audit.measures.plan`).
"""

from audit._lazy import lazy_getattr, submodules

__all__: list[str] = []

#: the stage's modules, reachable as attributes (``audit.measures.metrics``), found on disk.
_SUBMODULES = submodules(__path__)
__getattr__ = lazy_getattr(__name__, _SUBMODULES)
