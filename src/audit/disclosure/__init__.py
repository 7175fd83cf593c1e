"""Disclosure control: who sees which figures, and the proof that hidden counts stay hidden.

This package is the one place that decides what a board or public output may show:

* :mod:`~audit.disclosure.policy` — the audiences (board, public), the small-number
  threshold and the protective marking;
* :mod:`~audit.disclosure.tables` — the one registry of published tables: for each, how
  it is computed, its cells (every count and rate it prints, addressed by table, row and
  column), how hiding a cell blanks what is built on it, its drop priority;
* :mod:`~audit.disclosure.publication` — the building blocks of those cells, and the true
  value of any sum of counts;
* :mod:`~audit.disclosure.model` — those figures as linear facts about non-negative counts;
* :mod:`~audit.disclosure.attack` — the attacker's check: the lowest and highest value
  each hidden count can take given everything published (linear programming, HiGHS);
* :mod:`~audit.disclosure.protect` — primary and complementary suppression, audited by the
  attack, and the protected tables every section is rendered from;
* :mod:`~audit.disclosure.figures` — the public pack's ``figures.csv`` and
  ``audit check-disclosure``, which re-runs the attack from a written pack alone;
* :mod:`~audit.disclosure.joint` (with :mod:`~audit.disclosure.joint_model`, the model,
  and :mod:`~audit.disclosure.joint_search`, the whole-number search) — several packs'
  ``figures.csv`` read together and every hidden count bounded in whole numbers
  (``audit check-disclosure`` given several packs or a folder of them).

Board and public outputs are rendered only from :func:`protect`'s view, which holds the
registry's tables and nothing else, never from the analyst's, so protecting the tables
protects the pack.
"""

from audit.disclosure.attack import AttackReport, Bounds, attack, exposed
from audit.disclosure.policy import (
    BOARD_MARKING,
    DEFAULT_MAX_COUNT,
    PUBLIC_MARKING,
    Audience,
    Policy,
)
from audit.disclosure.protect import Protected, protect

__all__ = [
    "Audience",
    "Policy",
    "DEFAULT_MAX_COUNT",
    "BOARD_MARKING",
    "PUBLIC_MARKING",
    "Protected",
    "protect",
    "AttackReport",
    "Bounds",
    "attack",
    "exposed",
]
