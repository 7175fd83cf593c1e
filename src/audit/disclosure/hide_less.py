"""Hide less: which rates a protected publication prints, and printing again what
complementary hiding need not hide (issue 22).

:func:`audit.disclosure.protect.protect` hides every count of 1 to ``k`` and then, while the
attack finds a hidden count narrowed, the cheapest figure that binds it. That search keeps a
pack safe but can hide more than it must; the passes here take back what it need not have
taken, each confirmed by the attack over every target:

* :func:`release` prints again a hidden figure the shown ones fix to one value;
* :func:`rates_again` prints again the metrics rows whose rate only complementary hiding
  took away, rows tried together and a group the attack objects to halved.

:func:`rates_for` is the row rule every step uses: a rate is listed (and printed) only
beside the counts it is made of.
"""

from __future__ import annotations

from audit.disclosure.attack import AttackReport, attack, pinned
from audit.disclosure.model import Count, Publication, Rate

__all__ = ["rates_for", "release", "rates_again"]


def rates_for(publication: Publication, full: Publication) -> None:
    """Keep only the rates whose row shows the counts a rate is made of (row rule) and whose
    owner is shown. A hidden ``unknown`` leaves its row's rate printed: the rate is
    ``yes / (yes + no)``, which the printed numerator and denominator give anyway, so hiding
    it would cost the reader a figure and protect nothing."""
    hidden_rows = {
        (c.table, c.row) for c in publication.counts if c.hidden and c.column != "unknown"
    }
    hidden = {c.address for c in publication.counts if c.hidden}

    def shown(r: Rate) -> bool:
        if r.column == "review_rate":
            # a risk factor "as the review counted" is yes out of every case: the page
            # prints it while its numerator and the number of cases are printed (issue 24)
            return (r.table, r.row, "numerator") not in hidden and (
                "cases",
                "pack",
                "cases",
            ) not in hidden
        return (r.table, r.row) not in hidden_rows

    publication.rates = [
        r for r in full.rates if shown(r) and r.address not in publication.withheld
    ]


def release(
    publication: Publication, full: Publication, k: int, truth, report: AttackReport
) -> AttackReport:
    """Print again each complementary figure that hiding protects nothing.

    The search hides the cheapest figure that binds an exposed count, and a later choice
    can make an earlier one pointless: an ``unknown`` hidden while the case count and the
    denominator beside it still give it exactly. A hidden figure that the shown figures fix
    to one value (:func:`~audit.disclosure.attack.pinned`) is printed again: it adds no
    fact. The final attack over every target confirms it; were anything exposed, the
    figures would be hidden again.
    """
    k_small = [
        c for c in publication.counts if c.hidden and c.value is not None and 1 <= c.value <= k
    ]
    extra = [c for c in publication.counts if c.hidden and c not in k_small]
    if not extra:
        return report
    released = [
        c for c, fixed in zip(extra, pinned(publication, [c.terms for c in extra])) if fixed
    ]
    if not released:
        return report
    for c in released:
        c.hidden = False
    rates_for(publication, full)
    after = attack(publication, k, truth=truth, until_exposed=True)
    if after.exposed:  # pragma: no cover - an implied figure cannot narrow any range
        for c in released:
            c.hidden = True
        rates_for(publication, full)
        return report
    return after


def rates_again(
    publication: Publication, full: Publication, k: int, truth, report: AttackReport
) -> AttackReport:
    """Print again the metrics rows whose rate only complementary hiding took away (issue
    22, "hide less"), kept where the attack over every target stays clean.

    The search hides the figures that bind an exposed count, and for a count of the tables
    of risk factors or the trend those are often a metrics row's numerator or denominator:
    the row loses its rate although another choice would have protected the count. On four
    synthetic pooled years of about 166 cases (``benchmarks/joint_attack.md``) the rates
    printed went from 2-4 to 21-27 on three of them. A row whose numerator or denominator
    is 1 to ``k`` is not tried (its rate cannot be printed); a small ``unknown`` stays
    hidden while the rest of its row is printed again. Rows are tried together and the
    group halved when the attack finds anything (:func:`_print_group`): most rows come back,
    so this takes a few attacks where one a row took 24 (0.4 s each).
    """
    rows: dict[str, dict[str, Count]] = {}
    cases = None
    for c in publication.counts:
        if c.table == "metrics":
            rows.setdefault(c.row, {})[c.column] = c
        elif c.table == "cases" and not c.hidden:
            cases = c.value
    groups = []
    for counts in rows.values():
        rate_made_of = [c for c in counts.values() if c.hidden and c.column != "unknown"]
        if not rate_made_of or any(c.value is None or c.value <= k for c in rate_made_of):
            continue
        if _gives_unknown_away(counts, cases, k):
            continue
        groups.append([c for c in counts.values() if c.hidden and (c.value or 0) > k])
    if groups:
        report = _print_group(publication, full, k, truth, report, groups)
    return report


def _gives_unknown_away(counts: dict[str, Count], cases: int | None, k: int) -> bool:
    """Whether printing this row's denominator beside the number of cases would give its
    hidden ``unknown`` of 1 to ``k`` away: a flag's yes + no + unknown are the cases, so a
    denominator and unknown adding up to them cannot both be printed and one hidden. Such
    rows are not tried (their attack would only say so, at 0.3-0.5 s each)."""
    unknown, denominator = counts.get("unknown"), counts.get("denominator")
    return (
        cases is not None
        and unknown is not None
        and denominator is not None
        and unknown.hidden
        and unknown.value is not None
        and 1 <= unknown.value <= k
        and denominator.value is not None
        and denominator.value + unknown.value == cases
    )


def _print_group(
    publication: Publication,
    full: Publication,
    k: int,
    truth,
    report: AttackReport,
    groups: list[list[Count]],
) -> AttackReport:
    """Print every group's counts again if the attack stays clean; otherwise the first half,
    then the second, each the same way (a group alone that exposes anything stays hidden)."""
    counts = [c for group in groups for c in group]
    for c in counts:
        c.hidden = False
    rates_for(publication, full)
    after = attack(publication, k, truth=truth, until_exposed=True)
    if not after.exposed:
        return after
    for c in counts:
        c.hidden = True
    rates_for(publication, full)
    if len(groups) == 1:
        return report
    half = len(groups) // 2
    report = _print_group(publication, full, k, truth, report, groups[:half])
    return _print_group(publication, full, k, truth, report, groups[half:])
