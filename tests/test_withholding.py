"""A measure withheld from a public pack as a whole (issue 22).

When the packs already published, read with a new pack, give away a hidden count that no
figure of the new pack can widen by being hidden (a ``c`` is at least 1, since a true zero is
always printed), protection leaves that measure out of the new pack entirely: no row, no
``c``, no figure of it in any table, so its counts could be anything from 0. The pack says
so, ranks nothing over a set with a member left out, and every section and file is still
written. Only when the pack prints no figure of the measure left to leave out is it refused.

The joint attack is stood in for (``_together`` raises as it would), so each measure can be
withheld in turn; tests/test_ledger.py has the real case through the command line.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from audit.contract import metric_label
from audit.disclosure import protect
from audit.disclosure.model import PATTERN, Term
from audit.disclosure.publication import metric_terms
from audit.disclosure.withholding import (
    CannotHide,
    binding_families,
    group_of,
    leave_out,
    measure_groups,
    withheld_words,
)
from audit.errors import DisclosureError
from audit.run.pack import write_pack
from audit.sections import build_sections
from audit.workspace import TREND_METRICS, AuditData, open_audit

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "pooled_extract.csv"
PROTECT = importlib.import_module("audit.disclosure.protect")
TREND = set(TREND_METRICS)


@pytest.fixture(scope="module")
def pooled() -> AuditData:
    return open_audit(SAMPLE).compute()


def _stuck_on(monkeypatch, family: str) -> list[set[str]]:
    """``_together`` as if the joint attack narrowed a count of ``family`` that nothing left
    to hide widens, while the pack prints a figure of it; the families printed at each call
    are returned."""
    real = PROTECT._together
    seen: list[set[str]] = []

    def together(publication, full, k, truth, report, earlier, *memo):
        printed = {t.family for c in publication.counts for t in c.terms}
        seen.append(printed)
        if family in printed:
            raise CannotHide([(Term(family, ("yes",), frozenset(), frozenset()),)],
                                      f"cannot hide {family}")
        return real(publication, full, k, truth, report, earlier, *memo)

    monkeypatch.setattr(PROTECT, "_together", together)
    return seen


def _ids(data: AuditData, family: str) -> list[str]:
    return [m for m in data.metrics["metric"] if metric_terms(m)[0] == family]


@pytest.mark.parametrize("family", ["harmed_by", "known_to", "domestic_abuse",
                                    "father_seen", "info_shared_health"])
def test_a_measure_is_left_out_of_every_table_and_the_pack_is_still_written(
        pooled, monkeypatch, charts_not_drawn, tmp_path, family):
    seen = _stuck_on(monkeypatch, family)
    p = protect(pooled, "public")
    ids = _ids(pooled, family)
    assert ids and p.withheld == tuple(ids)
    assert len(seen) == 2 and family in seen[0] and family not in seen[1]
    # no figure of it anywhere: not in the attack's list, not a row of any table
    assert not [c for c in p.publication.counts if any(t.family == family for t in c.terms)]
    assert not [r for r in p.publication.rates if r.row in ids or r.row.endswith(tuple(ids))]
    assert not set(ids) & set(p.metrics["metric"])
    assert not set(ids) & set(p.quarterly.get("metric", []))
    assert not set(ids) & set(p.funnels)
    if p.rolling is not None and "metric" in p.rolling:
        assert not set(ids) & set(p.rolling["metric"])
    risk = family == "domestic_abuse"  # the tables of risk factors together count it too
    assert (p.cooccurrence is None and p.risk_counts is None) if risk else True
    assert not risk or not [c for c in p.publication.counts
                            if any(t.family == PATTERN for t in c.terms)]
    labels = [f"'{metric_label(m)}'" for m in ids]  # in the metrics table's order
    names = labels[0] if len(ids) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"
    with_it = sorted({*(["cases by the number of risk factors",
                         "which risk factors occur together"] if risk else []),
                      *(["the latest four quarters together"] if set(ids) & TREND else [])})
    also = f" (and with {'it' if len(ids) == 1 else 'them'}: {'; '.join(with_it)})" \
        if with_it else ""
    # no earlier pack here: stuck on the pack's own figures, in whole numbers
    assert [d for d in p.dropped if d.startswith(names)] == [
        f"{names}, in every table{also}: read in whole numbers with the rest of this pack, "
        f"{'its' if len(ids) == 1 else 'their'} figures would give away a hidden count of 5 or "
        "fewer."]
    # every section and every file, as audit run writes them
    sections = build_sections(p, pooled.history)
    files = write_pack(tmp_path, p, sections)
    assert {f.name for f in files} >= {"public-pack.html", "public-pack.xlsx",
                                       "public-pack.pptx", "metrics.csv", "figures.csv"}
    page = (tmp_path / "public-pack.html").read_text(encoding="utf-8")
    sentence = p.dropped[0].replace("'", "&#x27;")
    assert f"Left out of this public pack: {sentence}" in page
    csv_rows = (tmp_path / "metrics.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert [r.split(",")[0] for r in csv_rows] == \
        [m for m in pooled.metrics["metric"] if m not in ids]
    # the workbook's Notes carry the same sentence (it travels without the page), and the
    # slides, headed for a public reader, say how many measures are left out
    from openpyxl import load_workbook
    from pptx import Presentation

    notes = load_workbook(tmp_path / "public-pack.xlsx")["Notes"]
    said = [(row[0], row[1]) for row in notes.iter_rows(values_only=True)]
    assert ("Read these figures with", f"Left out of this public pack: {p.dropped[0]}") in said
    slides = Presentation(str(tmp_path / "public-pack.pptx")).slides
    titles = [s.shapes.title.text for s in slides if s.shapes.title is not None]
    assert "What these figures show" in titles and "What the board needs to know" not in titles
    n = len(ids)
    closing = " ".join(shape.text_frame.text for shape in slides[len(slides) - 1].shapes
                       if shape.has_text_frame)
    assert (f"{n} measure{'s are' if n > 1 else ' is'} left out of this public pack: "
            f"{'their' if n > 1 else 'its'} figures would give away a small count (the page "
            "and workbook name them and say why).") in closing


def test_no_rank_is_claimed_over_a_set_with_a_member_left_out(pooled, monkeypatch):
    """The pooled sample's public pack ranks the engagement steps when all are shown; with
    one step left out, the lowest of the rest could be above it, so no rank is claimed."""
    from audit.claims import claims_for

    assert claims_for(protect(pooled, "public")).lowest_step is not None
    _stuck_on(monkeypatch, "father_seen")
    p = protect(pooled, "public")
    assert p.withheld == ("engagement.seen",)
    assert claims_for(p).lowest_step is None


def test_a_pack_with_nothing_left_to_leave_out_is_refused(pooled, monkeypatch):
    """Stuck on a count of a measure the pack no longer prints (or never did): refused with
    the joint check's words, nothing to withhold."""
    seen = _stuck_on(monkeypatch, "father_seen")
    monkeypatch.setattr(PROTECT, "measure_groups", lambda full, family: set())
    with pytest.raises(DisclosureError, match=r"^cannot hide father_seen$"):
        protect(pooled, "public")
    assert len(seen) == 1


def test_the_groups_of_a_measure_are_its_rows_in_every_table(pooled):
    """What leaving a measure out takes: its headline row, its trend and funnel (a trend
    measure: and the latest four quarters, one table for every trend measure), and for a
    risk factor the tables of risk factors together."""
    from audit.disclosure.tables import build_publication

    full = build_publication(pooled)
    risk = measure_groups(full, "domestic_abuse")
    assert ("metrics", "risk.domestic_abuse") in risk
    assert {("risk_bands", ""), ("cooccurrence", "")} <= risk
    assert {t for t, _ in risk} >= {"metrics", "risk_bands", "cooccurrence"}
    seen = measure_groups(full, "father_seen")
    assert ("metrics", "engagement.seen") in seen
    assert not {t for t, _ in seen} & {"risk_bands", "cooccurrence"}
    assert seen == {("metrics", "engagement.seen"), ("quarterly", "engagement.seen"),
                    ("partnerships", "engagement.seen"), ("rolling", "")}
    assert measure_groups(full, "not_a_measure") == set()


def test_the_measures_binding_a_pattern_count_are_its_tables_then_its_factors():
    """For a count of the risk-factor patterns (three factors a, b, c; a pattern says which
    it has, "101" = a and c): the pattern tables, then the factors every pattern of it has,
    then any factor one of them has; any other count is bound by its own measure."""
    def t(family, *categories):
        return Term(family, categories, frozenset({"X"}), frozenset({"2025-Q1"}))

    flags = ("a", "b", "c")
    assert binding_families((t(PATTERN, "101", "111"),), flags) == (PATTERN, "a", "c", "b")
    assert binding_families((t(PATTERN, "100", "010"),), flags) == (PATTERN, "a", "b")
    assert binding_families((t(PATTERN, "101", "111"),), ()) == (PATTERN,)
    assert binding_families((t("known_to", "none"),), flags) == ("known_to",)


def test_leaving_groups_out_keeps_what_the_rest_hides(pooled):
    """Leaving a measure out takes its counts and rates, hidden or not, and the pattern
    flags with the last pattern table; every other figure keeps its hiding."""
    p = protect(pooled, "public")
    publication = p.publication
    before = {c.address: c.hidden for c in publication.counts}
    groups = measure_groups(publication, "domestic_abuse") | {("risk_bands", ""),
                                                                      ("cooccurrence", "")}
    leave_out(publication, groups)
    after = {c.address: c.hidden for c in publication.counts}
    assert after == {a: h for a, h in before.items() if group_of(a) not in groups}
    assert len(after) < len(before)
    assert not [r for r in publication.rates if group_of(r.address) in groups]
    assert publication.pattern_flags == ()


#: What a pack with the service levels and father seen left out says (on its own figures).
SERVICES_AND_SEEN_LEFT_OUT = (
    "'Not known to services', 'Known to universal services only', 'Known to Early Help', "
    "'Child in need', 'Child protection plan' and 'Father seen', in every table (and with "
    "them: the latest four quarters together): read in whole numbers with the rest of this "
    "pack, their figures would give away a hidden count of 5 or fewer.")


def test_every_count_stuck_in_one_round_has_its_measure_withheld_at_once(pooled, monkeypatch):
    """Two counts stuck in the same round (a service level, a practice step): both measures
    are left out before the joint check runs again, so it runs twice, not three times."""
    real = PROTECT._together
    calls: list[set[str]] = []

    def together(publication, full, k, truth, report, earlier, *memo):
        printed = {t.family for c in publication.counts for t in c.terms}
        calls.append(printed)
        stuck = [(Term(f, ("yes",), frozenset(), frozenset()),)
                 for f in ("known_to", "father_seen") if f in printed]
        if stuck:
            raise CannotHide(stuck, "stuck")
        return real(publication, full, k, truth, report, earlier, *memo)

    monkeypatch.setattr(PROTECT, "_together", together)
    p = protect(pooled, "public")
    assert len(calls) == 2 and {"known_to", "father_seen"} <= calls[0]
    assert p.withheld == (*_ids(pooled, "known_to"), "engagement.seen")
    said = [d for d in p.dropped if "in every table" in d]
    assert said == [SERVICES_AND_SEEN_LEFT_OUT]


def test_measures_stuck_in_successive_rounds_are_all_withheld(pooled, monkeypatch):
    """A service level stuck in the first joint check, then (with it left out) a practice
    step in the second: both are left out, the first's groups kept with the second's (each
    joint check is given the figures the pack lists: not the first measure's again), and
    the pack says so of both at once; the joint check runs three times."""
    real = PROTECT._together
    calls: list[set[str]] = []
    listed: list[bool] = []

    def together(publication, full, k, truth, report, earlier, *memo):
        printed = {t.family for c in publication.counts for t in c.terms}
        calls.append(printed)
        listed.append([c.address for c in full.counts] == [c.address for c in publication.counts])
        for family in ("known_to", "father_seen"):
            if family in printed:
                raise CannotHide([(Term(family, ("yes",), frozenset(), frozenset()),)], "stuck")
        return real(publication, full, k, truth, report, earlier, *memo)

    monkeypatch.setattr(PROTECT, "_together", together)
    p = protect(pooled, "public")
    assert len(calls) == 3 and listed == [True, True, True]
    assert "known_to" in calls[0] and "known_to" not in calls[1] and "father_seen" in calls[1]
    assert not {"known_to", "father_seen"} & calls[2]
    assert p.withheld == (*_ids(pooled, "known_to"), "engagement.seen")
    assert not [c for c in p.publication.counts
                if any(t.family in {"known_to", "father_seen"} for t in c.terms)]
    said = [d for d in p.dropped if "in every table" in d]
    assert said == [SERVICES_AND_SEEN_LEFT_OUT]


def test_the_joint_check_is_given_what_it_learnt_before_a_measure_was_left_out(
        pooled, monkeypatch):
    """What the earlier packs alone expose, the whole-number solutions and the earlier
    packs' single-pack ranges stay true when a measure is left out (that only loosens the
    model), so the joint check after it is given the same three objects as the one
    before (not new ones, which would solve again what was solved). Each call is also
    given the figures the pack lists, none hidden (what it settles against should it hide
    more): the pack's own counts, and after father seen is left out, without it; so is
    each settling and each pass printing rows again, with k (5) and the true counts
    (whose attack skips counts of 2k or more)."""
    real = PROTECT._together
    given: list[tuple] = []
    listed: list[bool] = []

    def together(publication, full, k, truth, report, earlier, *caches):
        given.append(caches)
        listed.append([c.address for c in full.counts] == [c.address for c in publication.counts]
                      and not any(c.hidden for c in full.counts) and full is not publication)
        if any(t.family == "father_seen" for c in publication.counts for t in c.terms):
            raise CannotHide([(Term("father_seen", ("yes",), frozenset(), frozenset()),)],
                             "stuck")
        return real(publication, full, k, truth, report, earlier, *caches)

    def lists(publication, full):
        return full is not None and [c.address for c in full.counts] == [
            c.address for c in publication.counts]

    checked: list[bool] = []  # the settling and the hide-less pass after it, each call
    real_settle, real_again = PROTECT._settle, PROTECT.rates_again

    def settle(publication, full, k, truth):
        checked.append(lists(publication, full) and k == 5 and truth is not None)
        return real_settle(publication, full, k, truth)

    def rates_again(publication, full, k, truth, report):
        checked.append(lists(publication, full) and k == 5 and truth is not None
                       and report is not None)
        return real_again(publication, full, k, truth, report)

    monkeypatch.setattr(PROTECT, "_together", together)
    monkeypatch.setattr(PROTECT, "_settle", settle)
    monkeypatch.setattr(PROTECT, "rates_again", rates_again)
    p = protect(pooled, "public")
    assert len(given) == 2
    assert len(checked) >= 4 and all(checked)  # each given the figures, k and the truth
    # the pack is settled again without the measure, and that attack is the pack's record
    assert p.report is not None and p.report.attacked > 0
    # the three caches, and the floor of each count the cases give (a function, the same)
    assert [type(c) for c in given[0][:3]] == [dict, list, dict] and callable(given[0][3])
    assert all(a is b for a, b in zip(given[0], given[1], strict=True))
    assert listed == [True, True]


def test_a_pattern_count_still_stuck_without_its_tables_has_a_risk_factor_withheld(
        pooled, monkeypatch):
    """A count of the risk-factor patterns with the first factor stuck in two joint checks:
    the first leaves out the tables of risk factors together (the pattern tables bind it
    first), the second, those tables gone, the factor every pattern of it has (the first of
    the pack's flags); the third joint check is the real one."""
    from audit.disclosure.tables import build_publication

    flags = build_publication(pooled).pattern_flags
    pattern = (Term(PATTERN, ("1" + "0" * (len(flags) - 1),), frozenset(), frozenset()),)
    real = PROTECT._together
    calls: list[int] = []

    def together(publication, full, k, truth, report, earlier, *caches):
        calls.append(len(calls))
        if len(calls) <= 2:
            raise CannotHide([pattern], "stuck")
        return real(publication, full, k, truth, report, earlier, *caches)

    monkeypatch.setattr(PROTECT, "_together", together)
    p = protect(pooled, "public")
    assert len(calls) == 3
    assert p.cooccurrence is None and p.risk_counts is None
    assert p.withheld == tuple(_ids(pooled, flags[0]))


def test_rows_hidden_for_a_measure_now_left_out_are_tried_again(pooled, monkeypatch):
    """After a measure is left out, the pass that prints again the rows only complementary
    hiding took runs again on what is left (before the joint check runs again), and is
    given the pack without the measure."""
    _stuck_on(monkeypatch, "father_seen")
    real = PROTECT.rates_again
    given: list[set[str]] = []

    def rates_again(publication, full, k, truth, report):
        given.append({t.family for c in publication.counts for t in c.terms})
        return real(publication, full, k, truth, report)

    monkeypatch.setattr(PROTECT, "rates_again", rates_again)
    protect(pooled, "public")
    assert len(given) == 2 and "father_seen" in given[0] and "father_seen" not in given[1]


def test_a_chart_left_out_before_its_measure_was_is_not_said_twice(pooled):
    """A measure's trend charts left out for small numbers, then the measure withheld: the
    pack says only that the measure is left out (the charts go with it), while another
    measure's charts left out keep their own sentence."""
    from audit.disclosure.attack import AttackReport
    from audit.disclosure.policy import Policy
    from audit.disclosure.tables import build_publication

    seen, contacted = ("quarterly", "engagement.seen"), ("quarterly", "engagement.contacted")
    withheld = {("metrics", "engagement.seen"), seen}
    p = PROTECT._apply(pooled, Policy.make("public"), build_publication(pooled), AttackReport(),
                       {seen, contacted, ("metrics", "engagement.seen")}, withheld)
    assert p.withheld == ("engagement.seen",)
    assert p.dropped == [
        "'Father seen', in every table: read together with the public packs already published "
        "about these cases, its figures would give away a count of 5 or fewer that those packs "
        "hide.",
        "The quarter-by-quarter charts of 'father contacted': most quarters rest on small "
        "numbers."]


def test_the_words_for_a_measure_withheld_are_for_packs_read_together_unless_told_otherwise():
    """withheld_words by hand: one measure with the latest four quarters, in the words for
    the packs already published by default (``together``), or for the pack's own figures in
    whole numbers; groups of no headline row say nothing."""
    withheld = {("metrics", "engagement.seen"), ("quarterly", "engagement.seen"), ("rolling", "")}
    order = ["engagement.contacted", "engagement.seen"]
    head = "'Father seen', in every table (and with it: the latest four quarters together): "
    assert withheld_words(withheld, order, 5) == [
        head + "read together with the public packs already published about these cases, its "
        "figures would give away a count of 5 or fewer that those packs hide."]
    assert withheld_words(withheld, order, 3, together=False) == [
        head + "read in whole numbers with the rest of this pack, its figures would give away a "
        "hidden count of 3 or fewer."]
    assert withheld_words({("rolling", ""), ("quarterly", "engagement.seen")}, order, 5) == []
