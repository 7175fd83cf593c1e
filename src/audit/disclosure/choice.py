"""Which shown figure to hide next to widen an exposed count (methodology section 9,
steps 4 and 9): the figures that bind it first, then the rest of its measure, cheapest
first; never the number of cases, a zero or a hidden figure. :mod:`audit.disclosure.protect`
asks here in its single-pack search (:func:`candidates` with the solver's binding figures)
and in its joint step (:func:`candidates` filtered by :func:`binds`)."""

from __future__ import annotations

from audit.disclosure.model import PATTERN, Count, Publication, Term
from audit.disclosure.tables import entry_of_address

__all__ = ["is_line", "complementary", "priority", "candidates", "binds"]


def is_line(address: tuple[str, str, str]) -> bool:
    """True for a rate drawn as a chart's line (the p-chart's average, the funnel's
    target): withheld itself, and its chart with it, when it pins a count."""
    owner = entry_of_address(address[0])
    return owner is not None and address[2] in owner.lines


def complementary(table: str) -> bool:
    """Whether a count of ``table`` may be hidden to protect another (its entry's
    ``complementary``: the number of cases in the pack never is)."""
    owner = entry_of_address(table)
    return owner is None or owner.complementary


def priority(table: str) -> int:
    """The order tables give up figures in (its entry's ``priority``: lower first; a table
    outside the registry last)."""
    owner = entry_of_address(table)
    return 7 if owner is None else owner.priority


def candidates(
    publication: Publication, owners: tuple[tuple[str, str, str], ...], terms: tuple[Term, ...]
) -> list[Count | tuple[str, str, str]]:
    """Shown figures that could be hidden to widen an exposed count, best first.

    First the figures that bind the attacker's bound (a rate binds through the counts of
    its row; a chart's line — the p-chart's average, the funnel's target — is withheld
    itself), then, should the solver's duals name none, the shown counts of the same
    family whose scope meets the exposed count's, then any shown count whose scope meets it.
    The number of cases in the pack is never hidden.
    """
    # A true zero is always printed (so an attacker knows every "c" is at least 1): a zero
    # is never hidden, and the number of cases in the pack never is.
    shown = {
        c.address: c
        for c in publication.counts
        if not c.hidden and complementary(c.table) and c.value != 0
    }
    by_row: dict[tuple[str, str], list[Count]] = {}
    for c in shown.values():
        by_row.setdefault((c.table, c.row), []).append(c)
    bound: list[Count] = []
    lines: list[tuple[str, str, str]] = []
    for owner in owners:
        if owner in shown:
            bound.append(shown[owner])
        elif is_line(owner):
            lines.append(owner)
        else:
            bound += by_row.get((owner[0], owner[1]), [])

    def rank(c: Count) -> tuple:
        value = c.value if c.value is not None else 0
        return (priority(c.table), value, c.address)

    families = {t.family for t in terms}
    cells = set().union(*(t.cells for t in terms))
    wanted = {t.family: set(t.categories) for t in terms}

    def fit(c: Count) -> int:
        """0: a sum of the exposed count's categories; 1: of the rest of its family's (with
        the cases printed, hiding either widens it); 2: of other categories (hiding a yes
        beside a printed denominator leaves "not known" pinned)."""
        best = 2
        for t in c.terms:
            if t.family in wanted:
                every = publication.family_categories(t.family) or ()
                if set(t.categories) == wanted[t.family]:
                    return 0
                if set(t.categories) == set(every) - wanted[t.family]:
                    best = 1
        return best

    same = [
        c for c in shown.values() if any(t.family in families and t.cells & cells for t in c.terms)
    ]
    near = [c for c in shown.values() if any(t.cells & cells for t in c.terms)]
    ordered: list[Count | tuple[str, str, str]] = [
        *sorted(bound, key=rank),
        *lines,
        *sorted(same, key=lambda c: (fit(c), *rank(c))),
        *sorted(near, key=rank),
    ]
    seen: set[int] = set()
    out: list[Count | tuple[str, str, str]] = []
    for choice in ordered:
        key = id(choice)
        if key not in seen:
            seen.add(key)
            out.append(choice)
    return out


def binds(count: Count, terms: tuple[Term, ...], flags: tuple[str, ...]) -> bool:
    """Whether hiding ``count`` can widen a count of ``terms``: only a figure of the same
    measure can, or, for a risk factor or a count of the tables of risk factors together,
    a figure of those tables or of a risk factor (the patterns add up to each factor's yes,
    so all are tied); measures are otherwise tied only by the number of cases,
    which is never hidden. (Hiding figures of other measures, as the single-pack search may
    when the solver names no binding figure, took 19 rounds on the benchmark year's
    Northbridge 2025-Q3 for a count only leaving its measure out could free.)"""
    families = {t.family for t in terms}
    own = {t.family for t in count.terms}
    tied = set(flags) | {PATTERN}  # a risk factor's yes is the sum of its patterns
    return bool(families & own) or (bool(families & tied) and bool(own & tied))
