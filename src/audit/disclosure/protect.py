"""The protected tables a pack is rendered from: every figure for the board, the safe ones
for the public.

:func:`protect` is the one door from an audit's (analyst) tables to any board or public
output. For the **board** it returns every aggregate table as it is. For the **public** it:

1. lists everything the pack would print: the cells of every published table
   (:func:`~audit.disclosure.tables.build_publication`);
2. hides every count from 1 to ``k`` (primary suppression);
3. attacks what is left (:func:`~audit.disclosure.attack.attack`) and, while any count is
   exposed, hides one more published figure among those that pin it (the constraints with
   a non-zero dual value in the solver's answer: hiding one of them loosens the bound),
   preferring the table of lowest drop priority (a quarter, a rolling window or a
   partnership before the headline table: each entry's ``priority``), and the
   smallest count (complementary suppression, in the manner of τ-ARGUS's hypercube and
   modular methods, audited after every step);
4. drops a figure whose table would be mostly ``c`` (a trend chart of a partnership with
   very few cases a quarter, a heatmap of small pairs) rather than publish a table of
   ``c``, and starts again without it;
5. prints again every complementary figure the shown ones give exactly (it adds no fact),
   then attacks everything once more: that report is the audit the manifest records;
6. protects the pack together with the public packs already published about the same
   partnerships (:func:`_together`); where a count they hid is given away and no figure of
   this pack left to hide widens it (a ``c`` is at least 1: a true zero is always printed),
   the measure is **withheld** from the pack as a whole — no row, no ``c``, no figure of it
   in any table, so its counts could be anything from 0 (:mod:`audit.disclosure.withholding`):
   its figures are taken out of the protected pack (that only removes facts), the pack's own
   attack runs again, the rows only complementary hiding took are tried again, and the joint
   check goes on;
7. applies the result to the tables, each by its entry's ``public``: a hidden count is
   ``c`` and so is every figure of its row built on it (rate, interval, p-value, limits,
   position; a hidden ``unknown`` is not part of a rate); a chart with a hidden line (the
   p-chart's average, the funnel's target) is dropped; a withheld measure has no row.

The board's view and the public's are both one loop over
:data:`~audit.disclosure.tables.TABLES`, and neither is kept in the audit: each call makes
a new :class:`Protected`.

If a count stays exposed whatever is hidden or withheld, nothing is published: a
:class:`~audit.errors.DisclosureError` names the table and measure (never the value).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, Generic, TypeVar

import pandas as pd

from audit.disclosure.attack import AttackReport, attack
from audit.disclosure.choice import binds, candidates
from audit.disclosure.hide_less import rates_again, rates_for, release
from audit.disclosure.joint_model import PackFigures
from audit.disclosure.model import PATTERN, Count, Publication, Term
from audit.disclosure.policy import Policy
from audit.disclosure.publication import at_least, true_cells, true_counts
from audit.disclosure.tables import TABLES, Hiding, build_publication, entry_of_address
from audit.disclosure.withholding import (
    CannotHide,
    binding_families,
    group_of,
    leave_out,
    measure_groups,
    withheld_words,
)
from audit.errors import DisclosureError, ReportError
from audit.workspace import AuditData

__all__ = ["Protected", "protect", "DROP_SHARE"]

#: A table with more than this share of its counts hidden is left out of a public pack.
DROP_SHARE = 0.5

_MAX_ROUNDS = 500
#: Rounds of the joint attack (each up to two integer attacks) before the measures of the
#: counts still given away are left out of the pack (or, with nothing to leave out, it is
#: refused).
_JOINT_ROUNDS = 25


T = TypeVar("T")


class _Table(Generic[T]):
    """A table of the view read as an attribute (``p.metrics`` is ``p.table("metrics")``)."""

    key = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.key = name

    def __get__(self, view: Protected | None, owner: type | None = None) -> T:
        if view is None:  # read on the class: the descriptor itself
            return self  # type: ignore[return-value]
        return view.table(self.key)


@dataclass(frozen=True)
class Protected:
    """What a pack may show, table by table (``c`` where a figure is hidden): the protected
    view every section, chart and file is rendered from.

    It carries no row-level data and no unprotected table: :attr:`tables` holds one table
    for each entry of :data:`audit.disclosure.tables.TABLES` (``None`` where the audience
    may not see it), read with :meth:`table` or the named properties. ``dropped`` says, in
    words, which figures a public pack leaves out and why; ``report`` is the attack's
    result.
    """

    policy: Policy
    place: str
    period: str
    period_label: str
    source: str
    partnership: str | None
    synthetic: bool
    #: The published tables, by the key of their entry (:mod:`audit.disclosure.tables`).
    tables: dict[str, Any]
    nested_steps: bool
    #: What the extract held, as the audience may see it (counts, flags not recorded ...).
    extract: dict[str, Any]
    #: The partnerships the audit's cases come from (empty without a partnership column).
    partnerships: tuple[str, ...] = ()
    #: The extract's file name and SHA-256, as the pack's provenance cites them.
    extract_file: str = ""
    extract_sha256: str = ""
    #: The confidence level of the intervals.
    level: float = 0.95
    #: Targets the board set (:func:`audit.measures.targets.read_targets`), by metric id.
    targets: dict[str, Any] = field(default_factory=dict)
    #: The case selection's record (:attr:`audit.workspace.AuditData.selection`).
    selection: dict[str, Any] | None = None
    #: The quarters the trend charts cover, from the extract and the history store, before
    #: a public pack leaves any out (:attr:`audit.workspace.AuditData.trend_quarters`), and
    #: those of them read from the history store: what the trend section and its captions
    #: say of where the quarters came from.
    trend_quarters: tuple[str, ...] = ()
    history_quarters: tuple[str, ...] = ()
    dropped: list[str] = field(default_factory=list)
    #: Metric ids withheld from a public pack as a whole (read with the packs already
    #: published, their figures would give a hidden count away), in the metrics table's
    #: order: they have no row.
    withheld: tuple[str, ...] = ()
    publication: Publication | None = None
    #: The day the pack was made (``audit run`` sets it): a period not yet ended on it is
    #: said to be (:func:`audit.intake.periods.unfinished_words`). ``None``: not said.
    made_on: date | None = None
    report: AttackReport | None = None

    def table(self, key: str) -> Any:
        """The published table ``key`` (``None`` where this audience may not see it).

        Raises :class:`~audit.errors.ReportError` for a table with no entry in
        :data:`audit.disclosure.tables.TABLES`: nothing is rendered that protection and
        the attack have not seen.
        """
        if key not in self.tables:
            raise ReportError(
                f"no published table {key!r}: a table reaches a pack only through an entry "
                "in audit.disclosure.tables.TABLES (its cells, how hiding blanks it, its "
                "drop priority); add one there"
            )
        return self.tables[key]

    cases: ClassVar[_Table[int | str]] = _Table()
    metrics: ClassVar[_Table[pd.DataFrame]] = _Table()
    quarterly: ClassVar[_Table[pd.DataFrame]] = _Table()
    spc: ClassVar[_Table[dict[str, pd.DataFrame]]] = _Table()
    rolling: ClassVar[_Table[pd.DataFrame]] = _Table()
    funnels: ClassVar[_Table[dict[str, pd.DataFrame]]] = _Table()
    risk_counts: ClassVar[_Table[pd.DataFrame | None]] = _Table()
    cooccurrence: ClassVar[_Table[pd.DataFrame | None]] = _Table()
    completeness: ClassVar[_Table[pd.DataFrame]] = _Table()
    #: The engagement steps with their conditional counts (board only).
    steps: ClassVar[_Table[pd.DataFrame | None]] = _Table()
    #: How far the auditors agree (board only; ``None`` when no case was moderated).
    agreement: ClassVar[_Table[pd.DataFrame | None]] = _Table()

    @property
    def chart_context(self) -> dict[str, str]:
        return {"period": self.period_label, "source": self.source, "place": self.place}

    @property
    def public(self) -> bool:
        return self.policy.public

    def summary(self) -> dict[str, Any]:
        """What the manifest records of the disclosure control."""
        out: dict[str, Any] = {
            "audience": self.policy.audience.value,
            "marking": self.policy.marking,
        }
        if self.public:
            narrowest = self.report.narrowest(self.policy.max_count) if self.report else None
            out.update(
                {
                    "suppress_max": self.policy.max_count,
                    "cells_hidden": len(self.publication.hidden()) if self.publication else 0,
                    "cells_attacked": self.report.attacked if self.report else 0,
                    "narrowest_range": None
                    if narrowest is None or math.isinf(narrowest)
                    else narrowest,
                    "figures_dropped": list(self.dropped),
                }
            )
        return out


def protect(
    data: AuditData,
    policy: Policy | str = "board",
    *,
    earlier: Sequence[PackFigures] = (),
    ranges: dict | None = None,
) -> Protected:
    """The tables ``policy``'s audience may see for ``data``: a new view at each call,
    nothing written back into ``data``.

    ``policy`` may be an audience name (``"board"``, ``"public"``) for the defaults.
    ``earlier`` (public only) are the public packs already produced about the same
    partnerships (the publication ledger, :mod:`audit.disclosure.ledger`): the new pack is
    protected together with them (:func:`_together`). ``ranges`` holds their single-pack
    ranges by pack name (:func:`audit.disclosure.ledger.kept_ranges`); those worked out here
    are added to it, for the caller to keep.
    """
    if not isinstance(policy, Policy):
        policy = Policy.make(policy)
    return _public(data, policy, earlier, ranges) if policy.public else _board(data, policy)


#: How a public pack cites a single extract: by its digest, never its file name (issue 22:
#: an analyst's file name can say whose cases they are; the public manifest names none).
PUBLIC_SOURCE = "case extract"
PUBLIC_EXTRACT_FILE = "not named in a public pack"


def _context(data: AuditData, *, public: bool = False) -> dict[str, Any]:
    """What every view says of the audit besides its tables; a public view names no file."""
    single = not data.extract.sources  # pooled returns are cited by their number only
    return {
        "place": data.place,
        "period": data.period,
        "period_label": data.period_label,
        "source": PUBLIC_SOURCE if public and single else data.source,
        "partnership": data.partnership,
        "synthetic": data.synthetic,
        "nested_steps": _nested(data),
        "partnerships": tuple(data.partnerships),
        "extract_file": PUBLIC_EXTRACT_FILE if public else data.extract.path.name,
        "extract_sha256": data.extract.sha256,
        "level": data.level,
        "targets": dict(data.targets),
        "selection": None if data.selection is None else dict(data.selection),
        "trend_quarters": data.trend_quarters,
        "history_quarters": data.history_quarters,
    }


def _nested(data: AuditData) -> bool:
    """True when every ``yes`` at an engagement step is a ``yes`` at the step before
    (:func:`audit.measures.engagement.engagement_nesting`)."""
    from audit.measures.engagement import engagement_nesting

    return engagement_nesting(data.cases).nested


def _extract_counts(data: AuditData) -> dict[str, Any]:
    extract = data.extract
    return {
        "rows_read": int(extract.rows_read),
        "in_scope": int(len(extract.cases)),
        "excluded": int(len(extract.excluded)),
        "other_partnerships": int(data.other_partnerships),
        "outside_period": int(len(data.outside_period)),
        "missing_flags": list(extract.missing_flags),
        "ignored_columns": list(extract.ignored_columns),
        "moderated": extract.moderated is not None,
    }


def _board(data: AuditData, policy: Policy) -> Protected:
    """Every published table as the analyst's, copied: the board sees every aggregate."""
    return Protected(
        policy=policy,
        tables={t.key: _copy(t.compute(data)) for t in TABLES},
        extract=_extract_counts(data),
        **_context(data),
    )


def _copy(table: Any) -> Any:
    """The board's own copy of an analyst table."""
    if isinstance(table, pd.DataFrame):
        return table.copy()
    if isinstance(table, dict):
        return dict(table)
    return table


# ------------------------------------------------------------------------------- public


def _without(publication: Publication, dropped: set[tuple[str, str]]) -> Publication:
    keep_count = [c for c in publication.counts if group_of(c) not in dropped]
    keep_rate = [r for r in publication.rates if group_of(r.address) not in dropped]
    return Publication(
        counts=[Count(c.table, c.row, c.column, c.terms, c.value) for c in keep_count],
        rates=list(keep_rate),
        pattern_flags=publication.pattern_flags
        if any(t.family == PATTERN for c in keep_count for t in c.terms)
        else (),
        pack_partnerships=publication.pack_partnerships,
        pack_quarters=publication.pack_quarters,
        categories=dict(publication.categories),
    )


def _public(
    data: AuditData,
    policy: Policy,
    earlier: Sequence[PackFigures] = (),
    ranges: dict | None = None,
) -> Protected:
    k = policy.max_count
    if data.in_scope <= k:
        raise DisclosureError(
            f"this audit holds {k} cases or fewer, too few to publish: "
            "choose a longer period or the whole partnership, or use the "
            "board audience for the board's own papers"
        )
    full = build_publication(data)
    truth = true_counts(data)
    floor = at_least(data, truth)
    publication, dropped, report = _alone(full, k, truth)
    withheld: set[tuple[str, str]] = set()
    already: dict = {}  # what the earlier packs alone expose, whole-number solutions and
    # the earlier packs' own ranges: leaving figures out only loosens the model, so all
    # three stay true. The first solutions: the cases themselves (they fit every figure
    # published from them, and the first round's solves start there).
    seeds: list = [true_cells(data)]
    memo: dict = {} if ranges is None else ranges  # the earlier packs' own ranges
    trimmed = _without(full, dropped)  # the figures the pack lists, before hiding
    while True:
        try:
            report = _together(
                publication,
                trimmed,
                k,
                truth,
                report,
                earlier,
                already,
                seeds,
                memo,
                floor,
            )
        except CannotHide as stuck:
            more: set[tuple[str, str]] = set()
            for terms in stuck.targets:
                families = binding_families(terms, full.pattern_flags)
                more |= next(
                    (g for f in families if (g := measure_groups(full, f) - dropped - more)),
                    set(),
                )
            if not more:
                raise DisclosureError(stuck.message) from None
            # Leaving figures out only removes facts: every count the pack protected stays
            # protected, so the pack is not protected again from the start, only audited.
            withheld |= more
            dropped |= more
            leave_out(publication, more)
            trimmed = _without(full, dropped)
            rates_for(publication, trimmed)  # figures hidden this round
            report = _settle(publication, trimmed, k, truth)
            # Rows whose rate only complementary hiding took (for the measures now left out,
            # often) are printed again where the pack's own attack allows; the joint check
            # that follows hides again whatever it must (on the benchmark year's pooled year,
            # 0 rates of 14 became 4).
            report = rates_again(publication, trimmed, k, truth, report)
            continue
        return _apply(data, policy, publication, report, dropped, withheld, bool(earlier))


def _alone(
    full: Publication, k: int, truth
) -> tuple[Publication, set[tuple[str, str]], AttackReport]:
    """Steps 2 to 5 (module doc): the pack protected on its own."""
    dropped: set[tuple[str, str]] = set()
    while True:
        publication = _without(full, dropped)
        for count in publication.counts:
            count.hidden = count.value is not None and 1 <= count.value <= k
        rates_for(publication, _without(full, dropped))
        crowded = _crowded_groups(publication)  # mostly hidden already: no need to attack
        if crowded:
            dropped |= crowded
            continue
        report = _settle(publication, _without(full, dropped), k, truth)
        crowded = _crowded_groups(publication)
        if not crowded:
            break
        dropped |= crowded
    report = release(publication, _without(full, dropped), k, truth, report)
    report = rates_again(publication, _without(full, dropped), k, truth, report)
    return publication, dropped, report


def _together(
    publication: Publication,
    full: Publication,
    k: int,
    truth,
    report: AttackReport,
    earlier: Sequence[PackFigures],
    already: dict | None = None,
    seeds: list | None = None,
    memo: dict | None = None,
    floor: Callable[[tuple[Term, ...]], int] | None = None,
) -> AttackReport:
    """Protect the new pack together with the public packs already produced (issue 22),
    and in whole numbers: with no earlier pack, against the integer attack on it alone.

    As sdcTable's linked tables require, a count an earlier pack hid is hidden here too
    (a common cell has one suppression state). Then, while the joint integer attack over
    the earlier packs and this one (:func:`audit.disclosure.ledger.new_exposures`) narrows
    a count, one more figure of this pack whose scope meets
    that count is hidden (:func:`~audit.disclosure.choice.candidates`, only those
    :func:`~audit.disclosure.choice.binds` allows: of its measure first, the figure summing
    the count's categories or the rest of them before others, cheapest first) — none where
    a figure of its measure was hidden this round for another count, which often widens it
    too — and the pack is settled again on its own (:func:`_settle`). (Hiding one figure for
    every count found at once hid 104 figures of the benchmark year's pooled year in one
    round where 37 over three rounds did.) Earlier packs are published: only this one can
    change. A count no figure of this pack can widen is first asked whether the earlier
    packs alone give it away (:func:`~audit.disclosure.ledger.theirs`): then it is not this
    pack's doing and not held against it (asked only then: releases protected together
    give nothing away alone, so the answer is nearly always no). Otherwise it is stuck:
    every stuck count of the round raises one
    :class:`~audit.disclosure.withholding.CannotHide`, and :func:`_public` withholds a
    measure binding each, or refuses the pack (nothing is written).
    """
    from audit.disclosure.joint import term_key
    from audit.disclosure.ledger import new_exposures, theirs

    hidden_before = {
        term_key(c.terms) for pack in earlier for c in pack.publication.counts if c.hidden
    }
    changed = False
    for count in publication.counts:
        if not count.hidden and count.value and term_key(count.terms) in hidden_before:
            count.hidden = changed = True
    if changed:
        rates_for(publication, full)
        report = _settle(publication, full, k, truth)
    already = {} if already is None else already  # what the earlier packs alone expose
    seeds = [] if seeds is None else seeds  # whole-number solutions: they still fit
    memo = {} if memo is None else memo  # the earlier packs' single-pack ranges

    def exposures() -> list:
        """The counts the joint attack finds on the pack as it stands."""
        return new_exposures(
            PackFigures("this pack", publication, k),
            earlier,
            already=already,
            seeds=seeds,
            memo=memo,
            at_least=floor,  # a count known to be 2k or more is not attacked
            ask_earlier=False,  # only of a count nothing left to hide widens: below
        )

    for _ in range(_JOINT_ROUNDS):
        found = exposures()
        # Each count's choices as the round starts: one the round hid for another count
        # may widen this one too, so only a count with no choice at all is stuck.
        choices = [
            [
                c
                for c in candidates(publication, (), b.target.terms)
                if isinstance(c, Count) and binds(c, b.target.terms, publication.pattern_flags)
            ]
            for b in found
        ]
        # A count nothing left to hide widens may be one the earlier packs alone give away:
        # not this pack's doing, so not held against it (asked only now: it is rare).
        if earlier and not all(choices):
            old = theirs(
                earlier,
                [b for b, options in zip(found, choices, strict=True) if not options],
                already=already,
                seeds=seeds,
                memo=memo,
            )
            if old:
                gone = {id(b) for b in old}
                kept = [(b, o) for b, o in zip(found, choices, strict=True) if id(b) not in gone]
                found, choices = [b for b, _ in kept], [o for _, o in kept]
                if not found:  # asked again: ``already`` leaves them out, and a pack is
                    continue  # clean only by an attack that decided every count
        if not found:
            return report
        stuck: list[tuple[Term, ...]] = []  # counts nothing left to hide widens
        message = ""
        hid: set[int] = set()  # this round's
        for bounds, options in zip(found, choices, strict=True):
            if not options:
                table, measure = _describe(bounds.target.terms)
                how = (
                    "read with the public packs already produced about these partnerships, "
                    "the figures published together give it away"
                    if earlier
                    else "its own figures give it away in whole numbers"
                )
                stuck.append(bounds.target.terms)
                message = message or (
                    f"this pack cannot hide {measure} in {table}: whatever else it hides or "
                    f"leaves out, {how}. Nothing was written; publish a longer period or a "
                    "larger area, or leave this pack unpublished"
                )
                continue
            families = {t.family for t in bounds.target.terms}
            if any(id(c) in hid for c in options if families & {t.family for t in c.terms}):
                continue  # a figure of its measure hidden this round: the next round sees
            choice = next((c for c in options if not c.hidden), None)
            if choice is not None:
                choice.hidden = True
                hid.add(id(choice))
        if stuck:  # all of this round's at once: one more round, not one a count
            raise CannotHide(stuck, message)
        rates_for(publication, full)
        report = _settle(publication, full, k, truth)
    # Hiding one more figure a round has not settled it: what is still given away is treated
    # as stuck, so its measures are left out rather than the pack refused — unless the
    # earlier packs alone give it away (not this pack's doing).
    if earlier and theirs(earlier, found, already=already, seeds=seeds, memo=memo):
        found = exposures()  # the rest, decided: ``already`` now leaves theirs out
        if not found:
            return report
    how = "with the public packs already produced" if earlier else "in whole numbers"
    raise CannotHide(
        [b.target.terms for b in found],
        f"the disclosure check of this pack {how} did not settle in {_JOINT_ROUNDS} rounds: "
        "each round hid more and a hidden count could still be worked out, and no measure "
        "is left to leave out. Nothing was written; publish a longer period or a larger area",
    )


def _settle(publication: Publication, full: Publication, k: int, truth) -> AttackReport:
    """Hide complementary figures until the attack finds nothing exposed.

    Hiding a figure only removes constraints, so a count once protected stays protected:
    each round attacks only the counts exposed last time and the figures just hidden. But a
    hidden figure can also make a new count worth attacking (hide a partnership's numerator
    and denominator and its "no", printed before as their difference, becomes a target), so
    a clean targeted round is confirmed by an attack over every target, and only a clean
    full attack ends the search. That last attack is the audit the manifest records.
    """
    pending: list[tuple[str, tuple[Term, ...]]] | None = None
    for _ in range(_MAX_ROUNDS):
        report = attack(publication, k, truth=truth, targets=pending)
        if not report.exposed:
            if pending is None:
                return report
            pending = None  # confirm with a full attack
            continue
        newly: list[Count] = []
        for bounds in report.exposed:
            for choice in candidates(publication, bounds.binding, bounds.terms):
                if isinstance(choice, Count):
                    if not choice.hidden:
                        choice.hidden = True
                        newly.append(choice)
                        break
                elif choice not in publication.withheld:
                    publication.withheld.add(choice)
                    break
            else:
                table, measure = _describe(bounds.terms)
                raise DisclosureError(
                    f"the public pack cannot hide {measure} in {table}: whatever else is "
                    "hidden it could be worked out from the published figures. Nothing was "
                    "written; publish a longer period or a larger area"
                )
        rates_for(publication, full)
        pending = [(b.label, b.terms) for b in report.exposed] + [
            (f"{c.table}: {c.row}, {c.column}", c.terms) for c in newly
        ]
    raise DisclosureError("the disclosure check did not settle; nothing was written")


def _describe(terms: tuple[Term, ...]) -> tuple[str, str]:
    t = terms[0]
    family = t.family
    quarters = sorted(t.quarters)
    when = quarters[0] if len(quarters) == 1 else f"{quarters[0]} to {quarters[-1]}"
    return (
        f"the figures for {', '.join(sorted(t.partnerships))}, {when}",
        f"'{family}' ({'/'.join(t.categories) if len(t.categories) < 4 else 'a pattern'})",
    )


def _crowds(table: str) -> bool:
    owner = entry_of_address(table)
    return owner is not None and owner.drop_when_crowded


def _crowded_groups(publication: Publication) -> set[tuple[str, str]]:
    groups: dict[tuple[str, str], list[Count]] = {}
    for count in publication.counts:
        group = group_of(count)
        if group is not None:
            groups.setdefault(group, []).append(count)
    crowded = {
        g
        for g, cs in groups.items()
        if _crowds(g[0]) and sum(c.hidden for c in cs) > DROP_SHARE * len(cs)
    }
    for line in publication.withheld:  # a withheld line takes its chart with it
        group = group_of(line)
        if group is not None:
            crowded.add(group)
    return crowded


# ---------------------------------------------------------------------- the tables


def _apply(
    data: AuditData,
    policy: Policy,
    publication: Publication,
    report: AttackReport,
    dropped: set[tuple[str, str]],
    withheld: set[tuple[str, str]] | None = None,
    together: bool = True,
) -> Protected:
    """The public view: each entry of :data:`~audit.disclosure.tables.TABLES` as a public
    pack prints it (a hidden count ``c``, and every figure built on it), in order; the
    groups of ``dropped`` that are in ``withheld`` went with a measure withheld."""
    withheld = withheld or set()
    shown: dict[str, Any] = {}
    hiding = Hiding(
        hidden=frozenset(c.address for c in publication.counts if c.hidden),
        dropped=frozenset(dropped),
        shown=shown,
    )
    for table in TABLES:
        shown[table.key] = (
            None if table.public is None else table.public(table.compute(data), hiding)
        )
    return Protected(
        policy=policy,
        tables=shown,
        extract={
            "missing_flags": list(data.extract.missing_flags),
            "ignored_columns": list(data.extract.ignored_columns),
            "moderated": data.extract.moderated is not None,
        },
        dropped=[
            *withheld_words(
                withheld, list(data.metrics["metric"]), policy.max_count, together=together
            ),
            *_dropped_words(
                {(t, g) for t, g in dropped - withheld if ("metrics", g) not in withheld}
            ),
        ],
        withheld=tuple(m for m in data.metrics["metric"] if ("metrics", m) in withheld),
        publication=publication,
        report=report,
        **_context(data, public=True),
    )


def _dropped_words(dropped: set[tuple[str, str]]) -> list[str]:
    """Why each group was left out, in words (its entry's ``dropped_words``)."""
    words = []
    for table, group in sorted(dropped):
        owner = entry_of_address(table)
        if owner is not None and owner.dropped_words is not None:
            words.append(owner.dropped_words(group))
    return words
