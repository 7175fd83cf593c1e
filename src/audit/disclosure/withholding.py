"""Measures withheld from a public pack as a whole (issue 22), and the groups a figure is
left out with.

A public pack is protected together with the public packs already published about the same
partnerships (:func:`audit.disclosure.protect._together`). Sometimes no figure of the new
pack left to hide widens a count those packs hid: the new pack's own ``c`` for the same
measure says "at least 1" (a true zero is always printed), and a pooled count minus the
partnerships' ``c`` can pin the one left. Hiding cannot undo that; leaving the measure out
can. A withheld measure has no row, no ``c`` and no figure in any table — its headline row,
its trend and funnel, the latest four quarters it is part of, and for a risk factor the
tables of risk factors together — so its counts could be anything from 0. Leaving figures
out only removes facts, so every count the pack protected stays protected.

:class:`CannotHide` is raised where protection is stuck; :func:`binding_families` says
which measures bind the stuck count, :func:`measure_groups` which groups of the pack print
one, :func:`leave_out` takes them out, and :func:`withheld_words` says so in the pack.
"""

from __future__ import annotations

from collections.abc import Sequence

from audit.contract import metric_label
from audit.disclosure.model import PATTERN, Count, Publication, Term
from audit.disclosure.tables import entry_of_address
from audit.errors import DisclosureError

__all__ = [
    "CannotHide",
    "group_of",
    "binding_families",
    "measure_groups",
    "leave_out",
    "withheld_words",
]


def group_of(count_or_address: Count | tuple[str, str, str]) -> tuple[str, str] | None:
    """The group a figure is left out with, (table, group); ``None`` when its table is
    never left out of a pack (:attr:`~audit.disclosure.tables.PublishedTable.group`)."""
    table, row, _ = (
        count_or_address.address if isinstance(count_or_address, Count) else count_or_address
    )
    owner = entry_of_address(table)
    if owner is None or owner.group is None:
        return None
    return owner.name, owner.group(row)


class CannotHide(DisclosureError):
    """No figure of the pack left to hide widens the counts of ``targets`` (each a count's
    terms), found by the joint check: protection withholds a measure binding each from the
    pack (:func:`binding_families`), or refuses with ``message`` (about the first)."""

    def __init__(self, targets: list[tuple[Term, ...]], message: str) -> None:
        super().__init__(message)
        self.targets = targets
        self.message = message


def binding_families(terms: tuple[Term, ...], flags: tuple[str, ...]) -> tuple[str, ...]:
    """The measures whose figures bind a count of ``terms``: its own family; for a
    risk-factor pattern (a pair, a band) the pattern tables, then the risk factors every
    pattern of it has (a pair's two), then any factor one of them has — a factor's yes is
    the sum of the patterns that contain it."""
    own = tuple(dict.fromkeys(t.family for t in terms))
    if PATTERN not in own or not flags:
        return own
    patterns = [p for t in terms if t.family == PATTERN for p in t.categories]
    every = [f for i, f in enumerate(flags) if all(p[i] == "1" for p in patterns)]
    some = [f for i, f in enumerate(flags) if any(p[i] == "1" for p in patterns)]
    return tuple(dict.fromkeys([*own, *every, *some]))


def leave_out(publication: Publication, groups: set[tuple[str, str]]) -> None:
    """Take every figure of ``groups`` out of ``publication``, in place (hidden or not)."""
    publication.counts[:] = [c for c in publication.counts if group_of(c) not in groups]
    publication.rates[:] = [r for r in publication.rates if group_of(r.address) not in groups]
    if not any(t.family == PATTERN for c in publication.counts for t in c.terms):
        publication.pattern_flags = ()


def measure_groups(full: Publication, family: str) -> set[tuple[str, str]]:
    """Every group of the pack that prints a figure of ``family``: the measure's rows of the
    headline table, its trend and funnel, and for a risk factor the tables of risk factors
    together (their patterns count it too)."""
    groups = set()
    for count in full.counts:
        families = {t.family for t in count.terms}
        if family in families or (PATTERN in families and family in full.pattern_flags):
            groups.add(group_of(count))
    groups.discard(None)
    return groups  # type: ignore[return-value]


def withheld_words(
    withheld: set[tuple[str, str]], order: Sequence[str], k: int, *, together: bool = True
) -> list[str]:
    """Why the measures withheld from the pack are not in it, in one sentence (the measures
    in ``order``, the metrics table's), with the whole tables that went with them (a risk
    factor takes the tables of risk factors together, a trend measure the latest four
    quarters); none when nothing was withheld. ``together``: stuck with the packs already
    published (otherwise on the pack's own figures, in whole numbers)."""
    metrics = {g for t, g in withheld if t == "metrics"}
    labels = [f"'{metric_label(m)}'" for m in order if m in metrics]
    if not labels:
        return []
    tables = sorted(
        {
            owner.called
            for table, group in withheld
            if group == "" and (owner := entry_of_address(table)) and owner.called
        }
    )
    one = len(labels) == 1
    names = labels[0] if one else f"{', '.join(labels[:-1])} and {labels[-1]}"
    also = f" (and with {'it' if one else 'them'}: {'; '.join(tables)})" if tables else ""
    its = "its" if one else "their"
    why = (
        f"read together with the public packs already published about these cases, {its} "
        f"figures would give away a count of {k} or fewer that those packs hide."
        if together
        else f"read in whole numbers with the rest of this pack, {its} figures would give "
        f"away a hidden count of {k} or fewer."
    )
    return [f"{names}, in every table{also}: {why}"]
