"""The publication ledger: every public pack a history store's runs produced, read together
with the next one before it is written (issue 22).

A partnership publishes a *series* — each quarter, the year, the pool and each partnership —
and an outsider reads them all. Each public pack's ``figures.csv`` (everything it prints,
hidden counts marked) is kept in the history store's ``releases`` table
(:func:`record_release`), beside the metrics the trend charts read. Before a new public
pack is written, :func:`new_exposures` attacks it together with every earlier release
linked to its partnerships (:func:`earlier_releases`: naming one of them, or linked through
a pooled pack; packs linked to it by nothing share no cases with it) by the joint integer
attack (:mod:`audit.disclosure.joint`), and returns
the counts the new pack would newly let a reader narrow to ``k`` values or fewer: those
the earlier releases alone do not already give away. ``audit run --audience public``
protects the new pack with them (:func:`audit.disclosure.protect.protect`, ``earlier``)
and records it, just before the history; :func:`check_release` checks a written pack
against a ledger the same way.

What is adopted from τ-ARGUS and sdcTable (see :mod:`audit.disclosure.joint`): linked
tables are checked in one model over their shared cells, and a cell one release hid is a
target in every later one. Protection hides more in the new pack, or leaves a measure out,
to keep it publishable (:mod:`audit.disclosure.protect`).

Each earlier pack's own (single-pack) ranges depend only on its figures, so they are kept
beside it once worked out (``release_ranges``: :func:`kept_ranges`, :func:`keep_ranges`),
named by the code that worked them out (:func:`ranges_model`).

Every produced public pack is recorded, whether or not it was then published: the ledger
cannot know, and assuming it was is the safe side. The same figures produced twice are one
release (keyed by the SHA-256 of ``figures.csv``).
"""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path

from audit.disclosure.figures import FIGURES_FILE, parse_figures, read_figures
from audit.disclosure.joint import (
    JointBounds,
    PackFigures,
    joint_attack,
    joint_targets,
    term_key,
)
from audit.disclosure.model import Term
from audit.errors import DisclosureError, ParameterError
from audit.files import sha256_of
from audit.intake.names import partnership_key

__all__ = [
    "RELEASES_TABLE",
    "record_release",
    "list_releases",
    "find_release",
    "forget_release",
    "earlier_releases",
    "ranges_model",
    "kept_ranges",
    "keep_ranges",
    "exposed_keys",
    "theirs",
    "new_exposures",
    "check_release",
]

#: The history store's table of releases (schema version 5, :mod:`audit.history.schema`).
RELEASES_TABLE = "releases"
#: Each release's single-pack ranges, once worked out (schema version 6).
RANGES_TABLE = "release_ranges"

#: Seconds the integer step of each joint attack may take at run time: a guard, not a
#: setting. A year's pack of ``benchmarks/year.py`` takes 1 to 24 s in all; a pack whose
#: attack leaves a count undecided in this time is refused (:func:`new_exposures`).
RUN_BUDGET = 120.0


def _members(partnerships: Iterable[str]) -> str:
    """The partnerships of a release as stored: their match keys, sorted, one per line."""
    return "\n".join(sorted({partnership_key(p) for p in partnerships}))


def record_release(
    db: sqlite3.Connection, folder: Path, *, name: str, period: str, recorded_at: str
) -> bool:
    """Add the public pack in ``folder`` (its ``figures.csv``) to the ledger, inside the
    caller's transaction. Returns False when the same figures are already recorded."""
    figures = folder / FIGURES_FILE
    publication, k = read_figures(figures)
    before = db.total_changes
    db.execute(
        f"INSERT OR IGNORE INTO {RELEASES_TABLE} "
        "(figures_sha256, name, partnerships, period, threshold, recorded_at, figures) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            sha256_of(figures),
            name,
            _members(publication.pack_partnerships),
            period,
            k,
            recorded_at,
            figures.read_text(encoding="utf-8"),
        ),
    )
    return db.total_changes > before


#: Characters of a release's figures digest that name it (``audit history --releases``).
RELEASE_ID_LENGTH = 12


def list_releases(db: sqlite3.Connection) -> list[dict[str, str]]:
    """The ledger, oldest first: each release's id (the first characters of its
    ``figures.csv`` digest), name, period, partnerships and when it was recorded."""
    rows = db.execute(
        f"SELECT figures_sha256, name, period, partnerships, recorded_at FROM {RELEASES_TABLE} "
        "ORDER BY recorded_at, rowid"
    ).fetchall()
    return [
        {
            "id": sha[:RELEASE_ID_LENGTH],
            "name": name,
            "period": period,
            "partnerships": members.replace("\n", ", "),
            "recorded_at": recorded_at,
        }
        for sha, name, period, members, recorded_at in rows
    ]


def forget_release(db: sqlite3.Connection, release_id: str) -> dict[str, str]:
    """Remove the one release :func:`find_release` finds, inside the caller's transaction;
    returns it. For a pack that was recorded but never published (a trial run): later packs
    are no longer protected with it, so forgetting a published pack can let them give its
    counts away."""
    found = find_release(db, release_id)
    db.execute(
        f"DELETE FROM {RELEASES_TABLE} WHERE substr(figures_sha256, 1, ?) = ?",
        (RELEASE_ID_LENGTH, found["id"]),
    )
    return found


def find_release(db: sqlite3.Connection, release_id: str) -> dict[str, str]:
    """The one release whose id starts with ``release_id`` (at least 6 characters), as
    :func:`list_releases` lists it; a :class:`~audit.errors.ParameterError` for none or
    several."""
    wanted = release_id.strip().lower()
    if len(wanted) < 6 or any(c not in "0123456789abcdef" for c in wanted):
        raise ParameterError(
            f"release id {release_id!r}: give at least the first 6 characters of an id "
            "'audit history --releases' lists"
        )
    found = [r for r in list_releases(db) if r["id"].startswith(wanted)]
    if len(found) != 1:
        raise ParameterError(
            f"release id {release_id!r} matches "
            f"{'no release' if not found else f'{len(found)} releases'} in the ledger: "
            "'audit history --releases' lists them"
        )
    return found[0]


def earlier_releases(db: sqlite3.Connection, partnerships: Iterable[str]) -> list[PackFigures]:
    """Every recorded release linked to ``partnerships``, oldest first: naming any of them,
    or linked to them through another release (a pooled pack links its partnerships, so a
    partnership's pack is read with the other partnerships' packs too: pool minus the
    others gives it away)."""
    rows = db.execute(
        "SELECT name, period, recorded_at, partnerships, figures, figures_sha256 "
        f"FROM {RELEASES_TABLE} ORDER BY recorded_at, rowid"
    ).fetchall()
    wanted = {partnership_key(p) for p in partnerships}
    linked: set[int] = set()
    grew = True
    while grew:  # the releases connected to ``wanted`` through shared partnerships
        grew = False
        for i, (_, _, _, members, _, _) in enumerate(rows):
            names = set(members.split("\n"))
            if i not in linked and wanted & names:
                linked.add(i)
                wanted |= names
                grew = True
    found = []
    for i, (name, period, recorded_at, _, text, digest) in enumerate(rows):
        if i in linked:
            publication, k = parse_figures(text, f"the ledger's {name} ({period})")
            found.append(
                PackFigures(f"{name} ({period}, {recorded_at}, #{i + 1})", publication, k, digest)
            )
    return found


@cache
def ranges_model() -> str:
    """What names the code that works out a pack's single-pack ranges: a digest of the
    modules that read its figures and attack them. Ranges kept by other code are not read,
    so a change to the attack never meets ranges it would not give."""
    import importlib

    digest = hashlib.sha256()
    for name in ("attack", "figures", "model"):
        module = importlib.import_module(f"audit.disclosure.{name}")
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()[:16]


def kept_ranges(db: sqlite3.Connection, packs: Sequence[PackFigures]) -> dict:
    """The single-pack ranges kept for ``packs`` (releases of this ledger), by pack name
    then count: what :func:`audit.disclosure.joint.joint_attack` takes as ``memo``. A
    pack's ranges depend only on its figures, so they are worked out once, not again by
    every later pack's check (:func:`keep_ranges`)."""
    names = {p.digest: p.name for p in packs if p.digest}
    memo: dict = {name: {} for name in names.values()}
    rows = db.execute(
        f"SELECT figures_sha256, count, low, high FROM {RANGES_TABLE} WHERE model = ?",
        (ranges_model(),),
    )
    for digest, text, low, high in rows:
        if digest in names:
            memo[names[digest]][_key(text)] = (low, math.inf if high is None else high)
    return memo


def keep_ranges(db: sqlite3.Connection, packs: Sequence[PackFigures], memo: dict) -> int:
    """Add to the ledger the single-pack ranges ``memo`` holds for ``packs`` (releases of
    it), inside the caller's transaction; returns how many were new."""
    before = db.total_changes
    db.executemany(
        f"INSERT OR IGNORE INTO {RANGES_TABLE} (figures_sha256, model, count, low, high) "
        "VALUES (?, ?, ?, ?, ?)",
        [
            (p.digest, ranges_model(), json.dumps(key), low, None if math.isinf(high) else high)
            for p in packs
            if p.digest
            for key, (low, high) in memo.get(p.name, {}).items()
        ],
    )
    return db.total_changes - before


def _key(text: str) -> tuple:
    """A count's key (:func:`~audit.disclosure.joint.term_key`) from its stored JSON."""
    return tuple(
        (family, tuple(categories), tuple(partnerships), tuple(quarters))
        for family, categories, partnerships, quarters in json.loads(text)
    )


def exposed_keys(
    earlier: Sequence[PackFigures],
    *,
    budget: float = RUN_BUDGET,
    among: set | None = None,
    seeds: Sequence[dict] = (),
    memo: dict | None = None,
) -> set:
    """The counts the ``earlier`` packs alone already narrow (their cells' keys); with
    ``among``, only those of these keys (each count's exposure does not depend on which
    others are attacked, so asking about fewer gives the same answer for them, sooner)."""
    if not earlier:
        return set()
    targets = None
    if among is not None:
        targets = [t for t in joint_targets(earlier) if term_key(t.terms) in among]
        if not targets:
            return set()
    report = joint_attack(
        earlier,
        targets=targets,
        budget=budget,
        seeds=seeds,
        memo=memo,
        unchanged={p.name for p in earlier},
        exact_exposures=False,  # which are exposed, not their exact ranges
    )
    return {term_key(b.target.terms) for b in report.exposed}


def theirs(
    earlier: Sequence[PackFigures],
    found: Sequence[JointBounds],
    *,
    budget: float = RUN_BUDGET,
    already: dict | None = None,
    seeds: Sequence[dict] = (),
    memo: dict | None = None,
) -> list[JointBounds]:
    """Of the exposures ``found`` (a joint attack's, with a new pack), those the ``earlier``
    packs alone already give away: published before, so not the new pack's doing. Asked
    only of counts not already answered in ``already`` (count key -> exposed by the earlier
    packs alone), which keeps the answers."""
    known = {} if already is None else already
    asked = {term_key(b.target.terms) for b in found} - known.keys()
    if asked:
        exposed = exposed_keys(earlier, budget=budget, among=asked, seeds=seeds, memo=memo)
        known.update({key: key in exposed for key in asked})
    return [b for b in found if known[term_key(b.target.terms)]]


def new_exposures(
    new: PackFigures,
    earlier: Sequence[PackFigures],
    *,
    budget: float = RUN_BUDGET,
    already: dict | None = None,
    seeds: list | None = None,
    memo: dict | None = None,
    at_least: Callable[[tuple[Term, ...]], int] | None = None,
    ask_earlier: bool = True,
) -> list[JointBounds]:
    """The counts ``new`` read with ``earlier`` narrows to ``k`` values or fewer that
    ``earlier`` alone does not (an exposure already published is not this pack's doing).
    Whether ``earlier`` alone narrows a count is asked only of the counts found
    (:func:`theirs`), and kept in ``already`` when the caller passes one across rounds;
    likewise the whole-number solutions seen are kept in ``seeds`` and start the next
    round's attack (:func:`~audit.disclosure.joint.joint_attack`). With no earlier pack,
    what whole numbers give away in ``new`` alone (issue 22's first recipe: a rounded
    average the linear check leaves wide). ``memo`` keeps the earlier packs' single-pack
    ranges across rounds (they do not change). ``at_least`` (protection, which has the
    cases) gives a count's known lower bound: a count of ``2k`` or more cannot be exposed,
    so it is not attacked.

    ``ask_earlier=False`` does not ask: every count found is returned unless ``already``
    says the earlier packs alone give it away. Protection asks that way and asks
    :func:`theirs` only of a count it cannot hide (:func:`audit.disclosure.protect.protect`):
    releases protected together give nothing away on their own, so the answer is nearly
    always no (on the benchmark year of ``benchmarks/year.py``, no in every one of its 20
    asks), and asking was 11 s of its 115 s of protection."""
    carried = [] if seeds is None else seeds
    unchanged = {p.name for p in earlier}
    packs = [*earlier, new]
    targets = None
    if at_least is not None:
        targets = [t for t in joint_targets(packs) if at_least(t.terms) < 2 * new.threshold]
    known = {} if already is None else already
    # Some exposures first, when the pushes show any (the caller hides for them and asks
    # again); every target decided when they show none that is this pack's doing.
    for first in (True, False):
        report = joint_attack(
            packs,
            targets=targets,
            budget=budget,
            seeds=carried,
            memo=memo,
            unchanged=unchanged,
            exact_exposures=False,  # which are exposed; a range reported is an outer one
            first_exposures=first,
        )
        carried[:] = report.solutions
        if report.undecided:
            raise DisclosureError(
                f"the whole-number check of this pack with the {len(earlier)} public pack(s) "
                f"already produced about the same partnerships could not decide "
                f"{report.undecided} hidden count(s) in {budget:g} s, so it cannot say the "
                "pack is safe. Nothing was written; publish a longer period or a larger "
                "area, or run again on a less busy machine"
            )
        together = report.exposed
        if ask_earlier:
            theirs(earlier, together, budget=budget, already=known, seeds=carried, memo=memo)
        found = [b for b in together if not known.get(term_key(b.target.terms), False)]
        if found or not report.deferred:
            return found
    raise AssertionError("unreachable: an attack asked to decide every target defers none")


def check_release(
    db: sqlite3.Connection, folder: Path, *, name: str, budget: float = RUN_BUDGET
) -> int:
    """Refuse the public pack in ``folder`` if, read with the earlier releases about its
    partnerships, it newly exposes a count (:func:`new_exposures`); returns how many
    earlier releases it was checked with."""
    publication, k = read_figures(folder / FIGURES_FILE)
    earlier = earlier_releases(db, publication.pack_partnerships)
    found = new_exposures(PackFigures(name, publication, k), earlier, budget=budget)
    if found:
        shown = "\n".join(f"  {b.describe()}" for b in found[:10])
        more = f"\n  ... and {len(found) - 10} more" if len(found) > 10 else ""
        raise DisclosureError(
            f"read with the {len(earlier)} public pack(s) this history store has already "
            f"produced about the same partnerships, this pack would let a reader narrow "
            f"{len(found)} hidden count(s) to {k} values or fewer:\n{shown}{more}\n"
            "Nothing was written. Publish a pack that covers more cases (the year rather "
            "than a quarter, or the partnerships pooled), or leave this one unpublished; "
            "'audit check-disclosure FOLDER' checks a folder of published packs together."
        )
    return len(earlier)
