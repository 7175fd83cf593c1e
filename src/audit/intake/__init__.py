"""Intake: reading and checking a quarter's case extract, before anything is computed.

Which cases to audit (:mod:`~audit.intake.selection`), the blank form auditors fill in
(:mod:`~audit.intake.form`), reading a file of any format (:mod:`~audit.intake.read`),
the identifier guard, the schema and the validation that make a :class:`CaseExtract`
(:mod:`~audit.intake.validate`), pooling several auditors' returns and moderation
(:mod:`~audit.intake.pooling`, :mod:`~audit.intake.moderation`), and the seeded
synthetic extracts (:mod:`~audit.intake.sample`).
"""

from audit._lazy import lazy_getattr, submodules

__all__: list[str] = []

#: the stage's modules, reachable as attributes (``audit.intake.validate``), found on disk.
_SUBMODULES = submodules(__path__)
__getattr__ = lazy_getattr(__name__, _SUBMODULES)
