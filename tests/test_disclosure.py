"""Disclosure by audience: the board sees every figure, the public sees only what is safe.

The regression tests rebuild each recovery found on the earlier packs (issue 10) and check
it is now impossible; the property test runs random small extracts through the public
protection and attacks the result again from its figures alone.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from audit.contract import FLAG_COLUMNS
from audit.disclosure import Policy, protect
from audit.disclosure.attack import AttackReport, Bounds, attack, pinned
from audit.disclosure.choice import candidates, complementary, is_line, priority
from audit.disclosure.figures import read_figures, write_figures
from audit.disclosure.hide_less import rates_again, rates_for
from audit.disclosure.model import PATTERN, Count, Publication, Rate, term
from audit.disclosure.protect import (
    Protected,
    _apply,
    _context,
    _crowds,
    _describe,
    _dropped_words,
    _settle,
    _without,
)
from audit.disclosure.publication import (
    NO_PARTNERSHIP,
    _history_atoms,
    at_least,
    family_categories,
    metric_counts,
    metric_rate,
    metric_terms,
    pack_partnerships,
    printed_range,
    quarters_between,
    true_counts,
)
from audit.disclosure.tables import build_publication
from audit.disclosure.withholding import group_of as _group
from audit.errors import DisclosureError, ParameterError, ReportError
from audit.formatting import is_suppressed
from audit.workspace import AuditData, open_audit

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "pooled_extract.csv"
K = 5


@pytest.fixture(scope="module")
def pooled() -> AuditData:
    return open_audit(SAMPLE).compute()


@pytest.fixture(scope="module")
def northbridge_quarter() -> AuditData:
    return open_audit(SAMPLE, period="2025-Q3", partnership="Northbridge").compute()


def _hidden(frame: pd.DataFrame) -> int:
    return int(sum(is_suppressed(v) for column in frame.columns for v in frame[column]))


def _extract(tmp_path: Path, rows: list[dict], name: str = "extract.csv") -> Path:
    """A contract extract from row dicts (required columns filled with defaults)."""
    defaults = {"harmed_by": "birth_father", "known_to": "universal", "child_age_months": 3}
    out = []
    for i, row in enumerate(rows, start=1):
        record = {"case_id": f"SYN-T-{i:04d}", "notification_date": "2025-08-01", **defaults,
                  **row}
        out.append(record)
    frame = pd.DataFrame(out)
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


# --------------------------------------------------------------------------- the board


def test_board_pack_shows_every_aggregate_figure(pooled):
    p = protect(pooled, "board")
    for name, frame in [("metrics", p.metrics), ("quarterly", p.quarterly),
                        ("rolling", p.rolling), ("risk bands", p.risk_counts),
                        ("co-occurrence", p.cooccurrence), ("completeness", p.completeness)]:
        assert _hidden(frame) == 0, name
    assert all(_hidden(t) == 0 for t in p.spc.values())
    assert all(_hidden(t) == 0 for t in p.funnels.values())
    # The service-contact profile beside the review's 45 / 24 / 12 / 11.
    levels = p.metrics.set_index("metric").loc[
        ["known_to.universal", "known_to.early_help", "known_to.child_in_need",
         "known_to.child_protection_plan"]]
    assert list(levels["national_numerator"]) == [45, 24, 12, 11]
    assert levels["rate"].map(lambda v: isinstance(v, float)).all()
    # All ten pooled quarters on every trend and SPC chart; every partnership on every funnel.
    assert all(len(t) == 10 for t in p.spc.values())
    assert set(p.spc) == {"engagement.seen", "engagement.contacted", "risk.domestic_abuse"}
    assert all(set(t["partnership"]) == {"Eastmere", "Northbridge", "Westvale"}
               for t in p.funnels.values())
    assert p.policy.marking.startswith("OFFICIAL-SENSITIVE")


def test_small_counts_are_shown_to_the_board(northbridge_quarter):
    p = protect(northbridge_quarter, "board")
    small = p.metrics[[isinstance(v, (int, np.integer)) and 1 <= v <= K
                       for v in p.metrics["numerator"]]]
    assert len(small) > 0  # "in 3 of the 12 cases": the board reads small counts as they are


def _nine_rows(tmp_path: Path) -> AuditData:
    """9 rows read: 7 babies in scope, 2 of 12 and 20 months excluded; every flag column but
    two meant to be absent, and one column the contract does not know; no moderation."""
    absent = ("young_parent", "father_seen")
    flags = {f: "no" for f in FLAG_COLUMNS if f not in absent}
    rows = [{**flags, "notes": "free text"} for _ in range(7)]
    rows += [{**flags, "notes": "free text", "child_age_months": age} for age in (12, 20)]
    return open_audit(_extract(tmp_path, rows), allow_missing=absent).compute()


def test_the_board_view_says_what_the_extract_held_and_its_marking(tmp_path):
    """The board's record of the extract (the pack's summary reads it) and of its policy, by
    their names."""
    p = protect(_nine_rows(tmp_path), Policy.make("board", marking="BOARD TEST MARKING"))
    assert p.extract == {
        "rows_read": 9,
        "in_scope": 7,
        "excluded": 2,
        "missing_flags": ["young_parent", "father_seen"],  # in the contract's order
        "ignored_columns": ["notes"],
        "moderated": False,
        # every in-scope case left out is counted for the board (analyst 2, A2): none here
        "other_partnerships": 0,
        "outside_period": 0,
    }
    assert p.summary() == {"audience": "board", "marking": "BOARD TEST MARKING"}


def test_the_public_view_names_no_file_and_records_only_what_a_reader_may_see(tmp_path):
    """The public view's record (protect._apply), here with nothing hidden and one metric's
    quarterly charts left out: the extract cited as "case extract", its file never named
    (issue 22); of the extract only the flags allowed missing, the ignored columns and
    whether any case was moderated, no row counts; the publication and attack report it was
    protected with; and why the charts were left out, in words."""
    data = _nine_rows(tmp_path)
    publication, report = build_publication(data), AttackReport()
    left_out = {("quarterly", "engagement.contacted")}
    p = _apply(data, Policy.make("public"), publication, report, left_out)
    assert p.public and p.cases == 7
    assert (p.source, p.extract_file) == ("case extract", "not named in a public pack")
    assert p.extract == {
        "missing_flags": ["young_parent", "father_seen"],
        "ignored_columns": ["notes"],
        "moderated": False,
    }
    assert p.publication is publication and p.report is report
    assert p.dropped == [
        "The quarter-by-quarter charts of 'father contacted': most quarters rest on small "
        "numbers."
    ]


def _view(policy: Policy, publication=None, report=None, dropped=()) -> Protected:
    """A protected view holding no tables: what its summary says of its protection."""
    return Protected(policy=policy, place="Testshire", period="2025-Q3",
                     period_label="July to September 2025", source="case extract",
                     partnership=None, synthetic=True, tables={}, nested_steps=True,
                     extract={}, dropped=list(dropped), publication=publication, report=report)


def test_the_check_says_the_narrowest_range_in_values_a_reader_counts():
    """A range of width 5 (0..5) holds 6 values: "narrowest range 5" read as a failure of
    the "5 values or fewer" rule to a new analyst (7 Dec 2026)."""
    from audit.disclosure.figures import CheckResult

    def words(narrowest):
        return CheckResult(5, 3, 4, narrowest, None).narrowest_words  # type: ignore[arg-type]

    assert words(5.0) == "6 possible values"
    assert words(9) == "10 possible values"
    assert words(None) == "none could be small"
    assert words(float("inf")) == "unbounded"


def test_the_public_summary_counts_hidden_cells_attacks_and_the_narrowest_range():
    """What the manifest records of a public pack's protection, by hand: 2 of 3 counts
    hidden, 4 counts attacked, the narrowest range of those that could be 1 to 5 (0..9 is 9
    wide, 2..8 is 6; 6..8 is above 5 and 0..0 is exactly 0, so neither counts). An endless
    range and no attack at all record no narrowest range. (``audit run`` replaces the three
    figures with the reviewer's check of the written files, under the same names.)"""
    policy = Policy.make("public", max_count=5, marking="PUBLIC TEST MARKING")
    seen = term("father_seen", "yes", {"A"}, {"2025-Q3"})
    publication = Publication(counts=[
        Count("metrics", "engagement.seen", "numerator", (seen,), 3, hidden=True),
        Count("metrics", "engagement.seen", "denominator", (seen,), 12),
        Count("quarterly", "2025-Q3|engagement.seen", "numerator", (seen,), 3, hidden=True),
    ])
    report = AttackReport([Bounds("a", (seen,), 0, 9, False), Bounds("b", (seen,), 2, 8, False),
                           Bounds("c", (seen,), 6, 8, False), Bounds("d", (seen,), 0, 0, False)])
    words = ["the trend chart of partnership A: most of its quarters would be hidden"]
    assert _view(policy, publication, report, words).summary() == {
        "audience": "public",
        "marking": "PUBLIC TEST MARKING",
        "suppress_max": 5,
        "cells_hidden": 2,
        "cells_attacked": 4,
        "narrowest_range": 6,
        "figures_dropped": words,
    }
    endless = AttackReport([Bounds("a", (seen,), 1, math.inf, False)])
    assert _view(policy, publication, endless).summary()["narrowest_range"] is None
    assert _view(policy).summary() == {
        "audience": "public",
        "marking": "PUBLIC TEST MARKING",
        "suppress_max": 5,
        "cells_hidden": 0,
        "cells_attacked": 0,
        "narrowest_range": None,
        "figures_dropped": [],
    }


def test_which_rates_a_public_pack_lists_beside_its_hidden_counts():
    """Which rates figures.csv lists (hide_less.rates_for), by hand: a rate while every count
    of its row but the unknown is printed (an unknown alone hidden leaves it); a risk
    factor "as the review counted" (yes out of every case) while its numerator and the
    number of cases are printed, whatever its denominator; a withheld chart line never."""
    seen = term("father_seen", "yes", {"A"}, {"2025-Q3"})  # the terms play no part here

    def count(row: str, column: str, value: int, hidden: bool = False) -> Count:
        table = "cases" if row == "pack" else "metrics"
        return Count(table, row, column, (seen,), value, hidden)

    def rate(table: str, row: str, column: str) -> Rate:
        return Rate(table, row, column, (seen,), (seen,), 0.0, 1.0)

    rows = [
        count("known_to.universal", "numerator", 12), count("known_to.universal", "denominator", 30),
        count("known_to.universal", "unknown", 3, hidden=True),
        count("risk.domestic_abuse", "numerator", 9),
        count("risk.domestic_abuse", "denominator", 4, hidden=True),
        count("risk.young_parent", "numerator", 2, hidden=True),
        count("risk.young_parent", "denominator", 20),
    ]
    rates = [rate("metrics", "known_to.universal", "rate"),
             rate("metrics", "risk.domestic_abuse", "rate"),
             rate("metrics", "risk.domestic_abuse", "review_rate"),
             rate("metrics", "risk.young_parent", "rate"),
             rate("metrics", "risk.young_parent", "review_rate"),
             rate("spc", "engagement.seen", "centre")]
    line = ("spc", "engagement.seen", "centre")
    for cases_hidden, listed in [
        (False, [("metrics", "known_to.universal", "rate"),
                 ("metrics", "risk.domestic_abuse", "review_rate")]),
        (True, [("metrics", "known_to.universal", "rate")]),
    ]:
        counts = [count("pack", "cases", 33, hidden=cases_hidden), *rows]
        publication = Publication(counts=counts, withheld={line})
        rates_for(publication, Publication(counts=counts, rates=rates))
        assert [r.address for r in publication.rates] == listed


def test_a_refusal_names_the_count_it_cannot_hide_by_its_scope_and_measure():
    """How a DisclosureError names a count (never its value): its partnerships and its
    quarter or first to last quarter, its measure and up to three categories (four or more
    are "a pattern"). Only the first term of a count is named."""
    one = term("known_to", ("universal", "early_help"), {"Westvale", "Eastmere"}, {"2025-Q3"})
    assert _describe((one,)) == (
        "the figures for Eastmere, Westvale, 2025-Q3",
        "'known_to' (universal/early_help)",
    )
    three = term("domestic_abuse", ("yes", "no", "unknown"), {"Northbridge"},
                 {"2025-Q3", "2025-Q1", "2025-Q2"})
    assert _describe((three, one)) == (
        "the figures for Northbridge, 2025-Q1 to 2025-Q3",
        "'domestic_abuse' (yes/no/unknown)",
    )
    pattern = term(PATTERN, ("110", "101", "011", "111"), {"Northbridge", "Westvale"},
                   {"2025-Q4", "2025-Q1"})
    assert _describe((pattern,)) == (
        "the figures for Northbridge, Westvale, 2025-Q1 to 2025-Q4",
        "'risk_pattern' (a pattern)",
    )


def test_what_each_view_says_of_the_audit_and_where_its_cases_came_from(tmp_path):
    """protect() with no policy is the board's view. The board's view cites the extract by
    its file (``extract.csv``); a public view by "case extract" and never the file's name,
    but pooled returns by their number in either; the selection's record is copied, or
    ``None`` without one."""
    data = _nine_rows(tmp_path)
    board = protect(data)
    assert board.policy.audience == "board" and not board.public
    assert (board.source, board.extract_file) == ("extract.csv (case extract)", "extract.csv")
    assert board.selection is None
    data.selection = {"selection": "SEL-1", "returned": 7}
    context = _context(data)
    assert (context["source"], context["extract_file"]) == ("extract.csv (case extract)",
                                                            "extract.csv")
    assert context["selection"] == {"selection": "SEL-1", "returned": 7}
    assert context["selection"] is not data.selection
    public = _context(data, public=True)
    assert (public["source"], public["extract_file"]) == ("case extract",
                                                          "not named in a public pack")
    assert public["extract_sha256"] == data.extract.sha256
    pooled = replace(data, extract=replace(data.extract, sources=({"file": "a.csv"},
                                                                   {"file": "b.csv"})))
    for view in (_context(pooled), _context(pooled, public=True)):
        assert view["source"] == "2 audit returns pooled (case extracts)"
    assert _context(pooled, public=True)["extract_file"] == "not named in a public pack"


def test_asking_a_view_for_a_table_no_entry_lists_is_refused_in_the_whole_words():
    view = _view(Policy.make("board"))
    with pytest.raises(ReportError) as info:
        view.table("service_levels")
    assert str(info.value) == (
        "no published table 'service_levels': a table reaches a pack only through an entry "
        "in audit.disclosure.tables.TABLES (its cells, how hiding blanks it, its drop "
        "priority); add one there")


def test_which_group_line_priority_and_standing_each_address_table_has():
    """By the registry of published tables, by hand: a quarter is left out with its
    metric's quarterly charts (as is the p-chart's average, drawn over them); a funnel's
    row with its metric's funnel; a risk band or a pair with its whole table; the headline
    table only with its measure withheld (tests/test_withholding.py), and the number of cases
    never. The p-chart's average and the funnel's target are
    a chart's line, a rate of a quarter is not. Hidden first: a quarter (0), the four
    quarters together (1), a partnership (2), ..., the headline table (5), the p-chart's
    average with the quarters it is listed with (0), and the number of cases (9), which is
    never hidden to protect another; a table with no entry has the default priority 7 and
    may be hidden."""
    seen = (term("father_seen", "yes", {"A"}, {"2025-Q1"}),)
    quarter = Count("quarterly", "2025-Q1|engagement.seen", "numerator", seen, 7)
    assert _group(quarter) == ("quarterly", "engagement.seen")
    assert _group(("quarterly", "2025-Q1|engagement.seen", "rate")) == (
        "quarterly", "engagement.seen")
    assert _group(("spc", "engagement.seen", "centre")) == ("quarterly", "engagement.seen")
    assert _group(("partnerships", "A|engagement.seen", "numerator")) == (
        "partnerships", "engagement.seen")
    assert _group(("risk_bands", "2", "cases")) == ("risk_bands", "")
    assert _group(("cooccurrence", "domestic_abuse|mental_health", "cases")) == (
        "cooccurrence", "")
    for address in (("cases", "pack", "cases"), ("no_such_table", "engagement.seen", "numerator")):
        assert _group(address) is None
    # the headline table's rows go only with a measure withheld, never for being mostly hidden
    assert _group(("metrics", "engagement.seen", "numerator")) == ("metrics", "engagement.seen")
    assert [_crowds(t) for t in ("metrics", "quarterly", "rolling", "partnerships", "risk_bands",
                                 "cooccurrence", "cases", "no_such_table")] == \
        [False, True, True, True, True, True, True, False]
    assert is_line(("spc", "engagement.seen", "centre"))
    assert is_line(("partnerships", "engagement.seen", "target"))
    for address in (("quarterly", "2025-Q1|engagement.seen", "rate"),
                    ("metrics", "engagement.seen", "rate"),
                    ("no_such_table", "engagement.seen", "centre")):
        assert not is_line(address)
    assert [priority(t) for t in ("quarterly", "rolling", "partnerships", "cooccurrence",
                                   "risk_bands", "metrics", "spc", "cases", "no_such_table")
            ] == [0, 1, 2, 3, 4, 5, 0, 9, 7]
    assert [complementary(t) for t in ("cases", "metrics", "quarterly", "no_such_table")
            ] == [False, True, True, True]


def test_why_each_left_out_group_is_left_out_in_words():
    """The words for the groups left out, in the order of (table, group), by hand; a group
    of a table with no words (the headline table) or no entry says nothing."""
    dropped = {("quarterly", "engagement.seen"), ("risk_bands", ""), ("metrics", "x"),
               ("no_such_table", "y"), ("partnerships", "engagement.contacted")}
    assert _dropped_words(dropped) == [
        "The funnel plot of 'father contacted': most partnerships' figures rest on small "
        "numbers.",
        "The quarter-by-quarter charts of 'father seen': most quarters rest on small "
        "numbers.",
        "Cases by the number of risk factors: most bands rest on small numbers.",
    ]


def _seen(categories, partnerships, quarters):
    return (term("father_seen", categories, partnerships, quarters),)


def test_a_publication_without_the_groups_left_out():
    """protect._without, by hand: the counts and rates of the groups left out go (a
    metric's quarters, the p-chart's average drawn over them, the risk bands), the others
    stay as new counts not yet hidden; the pack's scope and families are kept, and the
    risk-pattern flags only while a pattern count is left."""
    ab, q12 = {"A", "B"}, {"2025-Q1", "2025-Q2"}
    band = Count("risk_bands", "2", "cases", (term(PATTERN, ("110", "101", "011"), ab, q12),), 8)
    pair = Count("cooccurrence", "a|b", "cases", (term(PATTERN, ("11",), ab, q12),), 6)
    counts = [
        Count("cases", "pack", "cases", (term("cases", "all", ab, q12),), 40),
        Count("metrics", "engagement.seen", "numerator", _seen("yes", ab, q12), 21),
        Count("quarterly", "2025-Q1|engagement.seen", "numerator", _seen("yes", {"A"},
                                                                         {"2025-Q1"}), 3,
              hidden=True),
        Count("quarterly", "2025-Q1|engagement.contacted", "numerator",
              (term("father_contacted", "yes", {"A"}, {"2025-Q1"}),), 2, hidden=True),
        band, pair,
    ]

    def rate(table, row, column):
        return Rate(table, row, column, _seen("yes", ab, q12), _seen(("yes", "no"), ab, q12),
                    0.4, 0.5)

    rates = [rate("metrics", "engagement.seen", "rate"), rate("spc", "engagement.seen", "centre"),
             rate("spc", "engagement.contacted", "centre"),
             rate("partnerships", "engagement.seen", "target")]
    full = Publication(counts=counts, rates=rates, pattern_flags=("a", "b"),
                       pack_partnerships=frozenset(ab), pack_quarters=frozenset(q12),
                       categories={"father_seen": ("yes", "no", "unknown")})
    kept = _without(full, {("quarterly", "engagement.seen"), ("risk_bands", "")})
    assert [(c.address, c.terms, c.value, c.hidden) for c in kept.counts] == [
        (c.address, c.terms, c.value, False) for c in (counts[0], counts[1], counts[3], pair)]
    assert not any(k is c for k in kept.counts for c in counts)
    assert [r.address for r in kept.rates] == [
        ("metrics", "engagement.seen", "rate"), ("spc", "engagement.contacted", "centre"),
        ("partnerships", "engagement.seen", "target")]
    assert kept.pattern_flags == ("a", "b")
    assert (kept.pack_partnerships, kept.pack_quarters) == (frozenset(ab), frozenset(q12))
    assert kept.categories == {"father_seen": ("yes", "no", "unknown")}
    assert kept.categories is not full.categories
    no_patterns = _without(full, {("risk_bands", ""), ("cooccurrence", "")})
    assert [c.address for c in no_patterns.counts] == [c.address for c in counts[:4]]
    assert no_patterns.pattern_flags == ()
    assert len(no_patterns.rates) == 4


def test_the_figures_that_could_be_hidden_to_widen_an_exposed_count_best_first():
    """choice.candidates for father seen in partnership A, 2025-Q1, by hand. First the
    shown counts that bind it: the rows of the two rates named (the headline rate, the
    quarter's rate; a rolling rate with no counts printed adds none) and the quarter
    count named itself (not its row), cheapest table first, then the smallest; then the
    two chart lines named, in that order; then the other shown counts of father seen that
    meet A in 2025-Q1 (partnership A's row; with nothing named, the counts of its own
    categories first, then of the rest of the family), then any other shown count that meets it
    (a quarter of father contacted, then a risk band: a quarter is hidden before a band
    whatever their values; a tie of table and value goes by address). Never: a hidden
    count, a zero, the number of cases, or a count that does not meet A in 2025-Q1
    (partnership B; 2025-Q2's denominator)."""
    a, b, ab = {"A"}, {"B"}, {"A", "B"}
    q1, q2, q12 = {"2025-Q1"}, {"2025-Q2"}, {"2025-Q1", "2025-Q2"}
    yes, both = "yes", ("yes", "no")
    cases = Count("cases", "pack", "cases", (term("cases", "all", ab, q12),), 40)
    m_num = Count("metrics", "engagement.seen", "numerator", _seen(yes, ab, q12), 21)
    m_den = Count("metrics", "engagement.seen", "denominator", _seen(both, ab, q12), 30)
    m_unk = Count("metrics", "engagement.seen", "unknown", _seen("unknown", ab, q12), 0)
    q1_num = Count("quarterly", "2025-Q1|engagement.seen", "numerator", _seen(yes, a, q1), 7)
    q1_den = Count("quarterly", "2025-Q1|engagement.seen", "denominator", _seen(both, a, q1), 9)
    q2_num = Count("quarterly", "2025-Q2|engagement.seen", "numerator", _seen(yes, a, q2), 8)
    q2_den = Count("quarterly", "2025-Q2|engagement.seen", "denominator", _seen(both, a, q2), 10)
    pa_num = Count("partnerships", "A|engagement.seen", "numerator", _seen(yes, a, q12), 15)
    pa_den = Count("partnerships", "A|engagement.seen", "denominator", _seen(both, a, q12), 19)
    pb_num = Count("partnerships", "B|engagement.seen", "numerator", _seen(yes, b, q12), 6)
    contacted = [
        Count("quarterly", "2025-Q1|engagement.contacted", column,
              (term("father_contacted", cats, a, q1),), value, hidden)
        for column, cats, value, hidden in (("numerator", yes, 3, True),
                                             ("denominator", both, 9, False))
    ]
    band = Count("risk_bands", "2", "cases", (term(PATTERN, ("110", "101", "011"), ab, q12),), 8)
    publication = Publication(counts=[cases, m_num, m_den, m_unk, q1_num, q1_den, q2_num,
                                      q2_den, pa_num, pa_den, pb_num, *contacted, band])
    centre = ("spc", "engagement.seen", "centre")
    target = ("partnerships", "engagement.seen", "target")
    owners = (("metrics", "engagement.seen", "rate"), ("quarterly", "2025-Q1|engagement.seen",
                                                       "rate"),
              ("quarterly", "2025-Q2|engagement.seen", "numerator"), centre,
              ("rolling", "engagement.seen", "rate"), target)
    got = candidates(publication, owners, _seen(yes, a, q1))
    assert got == [q1_num, q2_num, q1_den, m_num, m_den, centre, target, pa_num, pa_den,
                   contacted[1], band]
    assert [id(c) for c in got[:5]] == [id(c) for c in (q1_num, q2_num, q1_den, m_num, m_den)]
    # Nothing binds: the same family first — the counts of its own categories (yes), then
    # the others (here no count is of "no" and "not known", the rest of the family) — then
    # the rest, each cheapest first.
    assert candidates(publication, (), _seen(yes, a, q1)) == [
        q1_num, pa_num, m_num, q1_den, pa_den, m_den, contacted[1], band]
    # A "not known" exposed: with the yes and no printed together (a denominator) and the
    # cases, hiding a yes beside them leaves it pinned, so the denominators (the rest of
    # the family: yes and no) come before the yeses. Its own count, 0, is never hidden.
    publication.categories["father_seen"] = ("yes", "no", "unknown")
    assert candidates(publication, (), _seen("unknown", a, q1)) == [
        q1_den, pa_den, m_den, q1_num, pa_num, m_num, contacted[1], band]
    # With the year's not known printed (3, not 0), that count of its own category comes
    # first, before the denominators (of the rest), though metrics is the dearest table here.
    m_unk.value = 3
    assert candidates(publication, (), _seen("unknown", a, q1)) == [
        m_unk, q1_den, pa_den, m_den, q1_num, pa_num, m_num, contacted[1], band]



def test_a_shown_count_of_no_known_value_ranks_as_the_cheapest():
    """choice.candidates ranks a count by its value; one shown with no value (``None``:
    not a figure protect itself builds, whose counts are all whole numbers) ranks as 0,
    before a 1 of the same table though its address comes after it (the 1 is a
    denominator, the ``None`` a numerator)."""
    row = "2025-Q1|engagement.seen"
    unknown = Count("quarterly", row, "numerator", _seen("yes", {"A"}, {"2025-Q1"}), None)
    one = Count("quarterly", row, "denominator", _seen(("yes", "no"), {"A"}, {"2025-Q1"}), 1)
    publication = Publication(counts=[one, unknown])
    assert candidates(publication, (one.address, unknown.address),
                      _seen("yes", {"A"}, {"2025-Q1"})) == [unknown, one]


def _settle_with(monkeypatch, exposes, keep: list | None = None):
    """protect._settle over a small publication (partnership A's 2025-Q1 of father seen: 7
    of 9 printed, its not known, 2, hidden; the year of A and B: 21 of 30; the cases, 40)
    with a stand-in attack that exposes ``exposes(round)`` (a list of Bounds); returns
    what each attack was asked to attack, how often the rates were listed again, the
    report and the publication (also put in ``keep``, for a refusal)."""
    import importlib

    protect_module = importlib.import_module("audit.disclosure.protect")
    a, ab, q1, q12 = {"A"}, {"A", "B"}, {"2025-Q1"}, {"2025-Q1", "2025-Q2"}
    row = "2025-Q1|engagement.seen"
    publication = Publication(counts=[
        Count("cases", "pack", "cases", (term("cases", "all", ab, q12),), 40),
        Count("quarterly", row, "numerator", _seen("yes", a, q1), 7),
        Count("quarterly", row, "denominator", _seen(("yes", "no"), a, q1), 9),
        Count("quarterly", row, "unknown", _seen("unknown", a, q1), 2, hidden=True),
        Count("metrics", "engagement.seen", "numerator", _seen("yes", ab, q12), 21),
        Count("metrics", "engagement.seen", "denominator", _seen(("yes", "no"), ab, q12), 30),
    ])
    full, truth = Publication(counts=list(publication.counts)), object()
    asked: list = []
    reports: list[AttackReport] = []
    listed: list[int] = []

    def stand_in_attack(pub, k, truth=None, targets=None):
        assert pub is publication and k == K and truth is given_truth
        asked.append(targets)
        reports.append(AttackReport(list(exposes(len(asked)))))
        return reports[-1]

    def stand_in_rates_for(pub, given_full):
        assert pub is publication and given_full is full
        listed.append(len(asked))

    given_truth = truth
    monkeypatch.setattr(protect_module, "attack", stand_in_attack)
    monkeypatch.setattr(protect_module, "rates_for", stand_in_rates_for)
    if keep is not None:
        keep.append(publication)
    report = _settle(publication, full, K, truth)
    assert report is reports[-1]
    return asked, listed, publication


UNKNOWN_A = "quarterly: 2025-Q1|engagement.seen, unknown"


def _exposed(binding, terms=None) -> Bounds:
    terms = terms or _seen("unknown", {"A"}, {"2025-Q1"})
    return Bounds(UNKNOWN_A, terms, 2, 2, True, binding)


def test_settling_withholds_a_chart_line_that_pins_a_count_then_confirms_with_a_full_attack(
        monkeypatch):
    """protect._settle with a stand-in attack, by hand. The first attack is over every
    target; it finds the hidden 2 pinned by the p-chart's average, which is withheld (no
    count hidden); the next attack is over that count only, and when it is clean one over
    every target confirms it, whose report is the one returned. Pinned instead by the
    quarter's rate, the cheapest count of its row is hidden (its 7) and attacked next too."""
    centre = ("spc", "engagement.seen", "centre")
    asked, listed, publication = _settle_with(
        monkeypatch, lambda n: [_exposed((centre,))] if n == 1 else [])
    unknown = _seen("unknown", {"A"}, {"2025-Q1"})
    assert asked == [None, [(UNKNOWN_A, unknown)], None]
    assert listed == [1]
    assert publication.withheld == {centre}
    assert [c.column for c in publication.counts if c.hidden] == ["unknown"]
    rate = ("quarterly", "2025-Q1|engagement.seen", "rate")
    asked, listed, publication = _settle_with(
        monkeypatch, lambda n: [_exposed((rate,))] if n == 1 else [])
    assert asked == [None, [(UNKNOWN_A, unknown),
                            ("quarterly: 2025-Q1|engagement.seen, numerator",
                             _seen("yes", {"A"}, {"2025-Q1"}))], None]
    assert publication.withheld == set()
    assert [(c.table, c.column) for c in publication.counts if c.hidden] == [
        ("quarterly", "numerator"), ("quarterly", "unknown")]


def test_a_count_settling_cannot_widen_is_refused_in_the_whole_words(monkeypatch):
    """Exposed: father seen in partnership Y, which no printed figure meets or binds."""
    y = _seen("yes", {"Y"}, {"2025-Q1"})
    with pytest.raises(DisclosureError) as info:
        _settle_with(monkeypatch, lambda n: [_exposed((), y)])
    assert str(info.value) == (
        "the public pack cannot hide 'father_seen' (yes) in the figures for Y, 2025-Q1: "
        "whatever else is hidden it could be worked out from the published figures. Nothing "
        "was written; publish a longer period or a larger area")


def test_settling_that_never_clears_is_refused_after_its_rounds(monkeypatch):
    """With two rounds allowed and the hidden 2 pinned by its quarter's rate each time, the
    quarter's 7 then its 9 are hidden, and the pack is refused."""
    import importlib

    monkeypatch.setattr(importlib.import_module("audit.disclosure.protect"), "_MAX_ROUNDS", 2)
    rate = ("quarterly", "2025-Q1|engagement.seen", "rate")
    keep: list[Publication] = []
    with pytest.raises(DisclosureError) as info:
        _settle_with(monkeypatch, lambda n: [_exposed((rate,))], keep)
    assert str(info.value) == "the disclosure check did not settle; nothing was written"
    assert [c.column for c in keep[0].counts if c.hidden] == ["numerator", "denominator",
                                                               "unknown"]


def test_a_group_mostly_hidden_before_the_attack_is_left_out_before_any_complementary_hiding(
        monkeypatch):
    """protect._public's loop with stand-ins for the listing, the settling and what follows
    it. Metric m1's quarters print 2 of 4, 3 of 30 (three of four counts 1 to 5: mostly
    hidden by their own values), m2's 10 of 20 and 12 of 25. The stand-in settling hides m2
    whenever m1 is printed beside it (complementary hiding for m1's small counts). m1 is
    left out before the pack is settled, so it is settled once, without m1, hides nothing
    of m2, and only m1 is left out."""
    import importlib

    protect_module = importlib.import_module("audit.disclosure.protect")

    def quarter(metric, period, numerator, denominator):
        where = _seen("yes", {"A"}, {period})
        return [Count("quarterly", f"{period}|{metric}", column, where, value)
                for column, value in (("numerator", numerator), ("denominator", denominator))]

    full = Publication(counts=[*quarter("m1", "2025-Q1", 2, 4), *quarter("m1", "2025-Q2", 3, 30),
                               *quarter("m2", "2025-Q1", 10, 20),
                               *quarter("m2", "2025-Q2", 12, 25)])
    settled: list[set[str]] = []

    def settle(publication, given_full, k, truth):
        metrics = {c.row.split("|")[1] for c in publication.counts}
        settled.append(metrics)
        for c in publication.counts:
            if "m1" in metrics and c.row.endswith("|m2"):
                c.hidden = True
        return "settled"

    def passed_on(publication, given_full, k, truth, report, *earlier):
        return report

    monkeypatch.setattr(protect_module, "build_publication", lambda data: full)
    monkeypatch.setattr(protect_module, "true_counts", lambda data: None)
    monkeypatch.setattr(protect_module, "true_cells", lambda data: None)
    monkeypatch.setattr(protect_module, "rates_for", lambda publication, given_full: None)
    monkeypatch.setattr(protect_module, "_settle", settle)
    for name in ("release", "rates_again", "_together"):
        monkeypatch.setattr(protect_module, name, passed_on)
    monkeypatch.setattr(protect_module, "_apply",
                        lambda data, policy, publication, report, dropped, withheld, *together: (
                            publication, report, dropped))
    publication, report, dropped = protect_module._public(
        SimpleNamespace(in_scope=40), Policy.make("public"))
    assert settled == [{"m2"}]
    assert dropped == {("quarterly", "m1")} and report == "settled"
    assert [(c.row, c.hidden) for c in publication.counts] == [
        ("2025-Q1|m2", False), ("2025-Q1|m2", False), ("2025-Q2|m2", False),
        ("2025-Q2|m2", False)]


# --------------------------------------------------------------------------- the public


def test_public_pack_hides_every_count_from_one_to_k(northbridge_quarter):
    p = protect(northbridge_quarter, "public")
    for column in ("numerator", "denominator", "unknown"):
        for v in p.metrics[column]:
            assert is_suppressed(v) or not (1 <= v <= K)
    for frame in (p.quarterly, p.rolling):
        for column in ("numerator", "denominator"):
            for v in frame[column]:
                assert is_suppressed(v) or not (1 <= v <= K)


def test_a_hidden_count_hides_every_figure_built_on_it(northbridge_quarter):
    """A rate and its interval are of the cases known; a test is of the comparison's base,
    which for a risk factor is every case (printed): its p-values go with its yes only."""
    p = protect(northbridge_quarter, "public")
    hidden_rows = p.metrics[[is_suppressed(n) or is_suppressed(d) for n, d in
                             zip(p.metrics["numerator"], p.metrics["denominator"])]]
    assert len(hidden_rows)
    for column in ("rate", "ci_low", "ci_high"):
        assert all(is_suppressed(v) for v in hidden_rows[column]), column
    risk = hidden_rows["metric"].str.startswith("risk.")
    for (_, row), is_risk in zip(hidden_rows.iterrows(), risk, strict=True):
        test_on = row["numerator"] if is_risk else "c"  # a non-risk row: hidden either way
        assert is_suppressed(row["p_value"]) == is_suppressed(test_on), row["metric"]
    assert not is_suppressed(p.cases)  # a risk factor's base, every case, is printed


def test_public_pack_withstands_a_second_attack_from_its_figures(northbridge_quarter,
                                                                tmp_path):
    p = protect(northbridge_quarter, "public")
    path = write_figures(tmp_path / "figures.csv", p.publication, K)
    publication, k = read_figures(path)
    assert k == K
    report = attack(publication, k)
    assert report.exposed == []
    assert report.hidden == len(p.publication.hidden()) > 0
    assert p.report.narrowest(K) is None or p.report.narrowest(K) >= K


def test_risk_bands_never_leave_one_band_to_subtraction(tmp_path):
    # The recovery on the earlier packs: N = 47, bands 0 / c / 8 / 37, so the hidden band is
    # 47 - 45 = 2. Rebuild that quarter and attack the public pack's bands.
    rows = ([{"domestic_abuse": "no", "substance_misuse": "no", "care_leaver": "no"}] * 0
            + [{"domestic_abuse": "yes", "substance_misuse": "no", "care_leaver": "no"}] * 2
            + [{"domestic_abuse": "yes", "substance_misuse": "yes", "care_leaver": "no"}] * 8
            + [{"domestic_abuse": "yes", "substance_misuse": "yes", "care_leaver": "yes"}] * 37)
    data = open_audit(_extract(tmp_path, rows), allow_missing="all").compute()
    assert list(data.risk_counts["cases"]) == [0, 2, 8, 37]
    p = protect(data, Policy.make("public"))
    assert p.risk_counts is not None, "the bands are published (two of four hidden)"
    bands = list(p.risk_counts["cases"])
    assert bands[0] == 0 and bands[3] == 37 and p.cases == 47      # printed
    assert is_suppressed(bands[1]) and is_suppressed(bands[2])     # 2, and 8 beside it
    assert p.report.bounds
    for bound in p.report.bounds:
        assert not bound.exposed


def test_a_hidden_quarter_has_no_control_limits(tmp_path):
    # The recovery on the earlier packs: a hidden quarter's drawn limit gives back its
    # denominator n = 9 p(1 - p) / (UCL - p)^2. The public p-chart draws no limit there.
    rng = np.random.default_rng(7)
    rows = []
    for quarter, month in enumerate(("02", "05", "08", "11", "02", "05")):
        year = "2024" if quarter < 4 else "2025"
        n = 3 if quarter == 2 else 40
        for _ in range(n):
            rows.append({"notification_date": f"{year}-{month}-10",
                         "father_seen": "yes" if rng.random() < 0.4 else "no",
                         "father_contacted": "yes" if rng.random() < 0.5 else "no"})
    data = open_audit(_extract(tmp_path, rows), allow_missing="all").compute()
    p = protect(data, "public")
    chart = p.spc["engagement.seen"]
    hidden = chart[[is_suppressed(v) for v in chart["rate"]]]
    assert "2024-Q3" in set(hidden["label"])
    for column in ("numerator", "denominator", "lower", "upper", "sigma"):
        assert all(is_suppressed(v) for v in hidden[column]), column
    assert not hidden["outside"].any() and not hidden["run"].any()
    from audit.charts import spc_chart

    drawn = spc_chart(chart, metric="engagement.seen", source="s", place="p")
    assert "2024-Q3: suppressed (small number)" in drawn.alt_text
    drawn.close()


def test_funnel_table_protects_a_partnership_when_the_others_are_zero(tmp_path):
    # The recovery on the earlier packs: A 40/43, B 0/30, C 0/25 -- the pooled 40/98 gave
    # A's hidden "no" count, 3.
    rows = ([{"partnership": "A", "father_seen": "yes"}] * 40
            + [{"partnership": "A", "father_seen": "no"}] * 3
            + [{"partnership": "B", "father_seen": "no"}] * 30
            + [{"partnership": "C", "father_seen": "no"}] * 25)
    data = open_audit(_extract(tmp_path, rows), allow_missing="all").compute()
    p = protect(data, "public")
    # The pooled 40 of 98 is printed; with B's 0 of 30 and C's 0 of 25 beside it, A's
    # denominator is 98 - 55 = 43 however A's row is hidden, and hiding B's and C's too
    # leaves a table mostly c: the funnel plot is left out, and the pack says so.
    pooled = p.metrics.set_index("metric").loc["engagement.seen"]
    assert (pooled["numerator"], pooled["denominator"]) == (40, 98)
    assert "engagement.seen" not in p.funnels
    assert "The funnel plot of 'father seen': most partnerships' figures rest on small " \
        "numbers." in p.dropped
    assert not [c for c in p.publication.counts if c.table == "partnerships"]
    assert p.report.exposed == []


def test_alt_text_states_no_more_than_the_tables(pooled):
    # The recovery on the earlier packs: a rate and interval to one decimal gave each shown
    # quarter's counts. Every rate an alt text states is a rate the table shows.
    from audit.charts import trend_chart
    from audit.formatting import format_percent

    data = open_audit(SAMPLE, partnership="Westvale").compute()
    p = protect(data, "public")
    for metric in p.spc:
        chart = trend_chart(p.quarterly, metric, source="s", place="p")
        rows = p.quarterly[p.quarterly["metric"] == metric].set_index("period")
        for quarter, stated in re.findall(r"(\d{4}-Q\d): ([\d.]+%)", chart.alt_text):
            assert stated == format_percent(rows.loc[quarter, "rate"])
        for quarter in rows.index[[is_suppressed(v) for v in rows["rate"]]]:
            assert f"{quarter}: suppressed" in chart.alt_text
        chart.close()


def test_no_figure_is_hidden_that_the_shown_ones_give_exactly(pooled):
    # Hiding an unknown beside a printed case count and denominator protects nothing and
    # cost the public 26 of 29 rates on the sample before complementary figures were
    # released again (audit.disclosure.hide_less.release).
    p = protect(pooled, "public")
    complementary = [c for c in p.publication.counts if c.hidden and not 1 <= c.value <= K]
    assert complementary, "the sample's public pack hides complementary figures"
    assert not any(pinned(p.publication, [c.terms for c in complementary]))
    assert all(c.hidden is True or c.hidden is False for c in p.publication.counts)
    # the attack recorded after figures are printed again still skips counts of 2k or more
    truth = true_counts(pooled)
    assert p.report is not None and all(truth(b.terms) < 2 * K for b in p.report.bounds)
    for _, row in p.metrics.iterrows():  # a rate is hidden only with its own counts
        if is_suppressed(row["rate"]):
            assert is_suppressed(row["numerator"]) or is_suppressed(row["denominator"])
    assert sum(is_suppressed(v) for v in p.metrics["rate"]) <= 2


def test_too_few_cases_for_a_public_pack(tmp_path):
    data = open_audit(_extract(tmp_path, [{"father_seen": "yes"}] * 4), allow_missing="all").compute()
    with pytest.raises(DisclosureError, match="too few to publish"):
        protect(data, "public")


def test_exactly_k_cases_are_refused_in_the_whole_words(tmp_path):
    """Five cases, k = 5: nothing published, and the refusal says what to do instead."""
    data = open_audit(_extract(tmp_path, [{"father_seen": "yes"}] * K), allow_missing="all")
    with pytest.raises(DisclosureError) as refused:
        protect(data.compute(), "public")
    assert str(refused.value) == (
        "this audit holds 5 cases or fewer, too few to publish: choose a longer period or the "
        "whole partnership, or use the board audience for the board's own papers"
    )


def test_a_public_pack_attacks_only_counts_that_could_be_small(tmp_path):
    """The attack the manifest records skips every count of 2k or more (its range cannot
    reach 1 to k): of 14 cases, father seen in 11, it attacks counts truly under 10 only
    (the 14 cases and the 11 are left alone)."""
    rows = [{"father_seen": "yes"}] * 11 + [{"father_seen": "no"}] * 3
    data = open_audit(_extract(tmp_path, rows), allow_missing="all").compute()
    p = protect(data, "public")
    truth = true_counts(data)
    assert p.report is not None and p.report.attacked > 0
    assert all(truth(b.terms) < 2 * K for b in p.report.bounds)


def test_at_least_is_the_true_count_or_a_lower_bound_never_more(tmp_path):
    """The floor the joint check skips counts by (2k or more cannot be exposed): 11 of
    partnership A's 14 cases in 2025-Q3 had the father seen. Over A in 2025-Q3: 11 and 3,
    the true counts. Over A and B (B not in this audit): still 11, a lower bound (B's cells
    add nothing). Over 2025-Q2 and Q3: 0, as 2025-Q2 is not in the extract (the history
    store holds earlier quarters for the partnerships together, not a bound for fewer)."""
    rows = [{"father_seen": "yes", "partnership": "A"}] * 11 + \
           [{"father_seen": "no", "partnership": "A"}] * 3
    data = open_audit(_extract(tmp_path, rows), allow_missing="all").compute()
    floor = at_least(data, true_counts(data))
    q3 = ["2025-Q3"]
    assert floor((term("father_seen", "yes", ["A"], q3),)) == 11
    assert floor((term("father_seen", "no", ["A"], q3),)) == 3
    assert floor((term("father_seen", "yes", ["A", "B"], q3),)) == 11
    assert floor((term("father_seen", "yes", ["A"], ["2025-Q2", *q3]),)) == 0
    assert floor((term("father_seen", "yes", ["A"], q3), term("father_seen", "no", ["A"],
                                                               ["2025-Q2"]))) == 0



# ------------------------------------------------- the building blocks of a publication


def test_what_each_kind_of_metric_id_adds_up():
    """publication.metric_terms, by hand from the contract (v1.1): a flag's rate is yes of
    yes and no; harmed_by's two rates are shares of the known answers (another male carer
    is one published category); known_to.none is a share of every known level, the four
    service levels shares of the levels other than none; "not known" is the unknown of
    each. Anything else is refused in the whole words."""
    flag = ("yes",), ("yes", "no"), ("unknown",)
    assert metric_terms("engagement.seen") == ("father_seen", *flag)
    assert metric_terms("risk.domestic_abuse") == ("domestic_abuse", *flag)
    assert metric_terms("sharing.adult_services_linked") == ("adult_services_linked", *flag)
    known = ("birth_father", "another_male_carer")
    assert metric_terms("harmed_by.birth_father") == (
        "harmed_by", ("birth_father",), known, ("unknown",))
    assert metric_terms("harmed_by.another_male_carer") == (
        "harmed_by", ("another_male_carer",), known, ("unknown",))
    levels = ("universal", "early_help", "child_in_need", "child_protection_plan")
    assert metric_terms("known_to.none") == ("known_to", ("none",), ("none", *levels),
                                             ("unknown",))
    assert metric_terms("known_to.early_help") == ("known_to", ("early_help",), levels,
                                                   ("unknown",))
    assert metric_terms("known_to.child_protection_plan")[1] == ("child_protection_plan",)
    for metric in ("engagement.nothing", "harmed_by.unknown", "known_to"):
        with pytest.raises(ValueError) as refused:
            metric_terms(metric)
        assert str(refused.value) == f"not a metric id of the contract: {metric!r}"


def test_the_quarters_from_one_to_another():
    """publication.quarters_between: inclusive at both ends, across a year's end; one
    quarter when both are the same; none when the first comes after the last."""
    assert quarters_between("2024-Q3", "2025-Q2") == [
        "2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2"]
    assert quarters_between("2025-Q1", "2025-Q1") == ["2025-Q1"]
    assert quarters_between("2023-Q4", "2024-Q1") == ["2023-Q4", "2024-Q1"]
    assert quarters_between("2025-Q2", "2025-Q1") == []


def test_the_true_fractions_a_printed_percentage_could_stand_for():
    """publication.printed_range: the printed value plus and minus half its last digit.
    0.382 prints "38.2%" (one place by default): 0.382 -/+ 0.0005. 0.6413 prints "64%"
    at no places (0.64 -/+ 0.005) and "64.13%" at two (0.6413 -/+ 0.00005); 0.6405 prints
    "64.1%" (half up), so the range starts at the true value itself."""
    assert printed_range(0.382) == (0.3815, 0.3825)
    assert printed_range(0.6413, decimals=0) == (0.635, 0.645)
    assert printed_range(0.6413, decimals=2) == (0.64125, 0.64135)
    assert printed_range(0.6405) == (0.6405, 0.6415)
    assert printed_range(0.0) == (-0.0005, 0.0005)


def test_a_metric_rows_counts_and_rate_as_the_attacker_reads_them():
    """publication.metric_counts and metric_rate for father seen in partnership A, 2025-Q1:
    7 seen of 9 answered, 2 not known. Each count sums the metric's own categories over the
    row's scope, in the order of the columns asked for, as a whole number; the rate 7/9 =
    0.7778 prints "77.8%" (0.7775 to 0.7785), or "78%" at no places (0.775 to 0.785); a
    denominator given (the funnel's) replaces the metric's."""
    where = (frozenset({"A"}), frozenset({"2025-Q1"}))
    values = pd.Series({"numerator": np.int64(7), "denominator": 9.0, "unknown": 2})
    seen = (term("father_seen", "yes", {"A"}, {"2025-Q1"}),)
    answered = (term("father_seen", ("yes", "no"), {"A"}, {"2025-Q1"}),)
    unknown = (term("father_seen", "unknown", {"A"}, {"2025-Q1"}),)
    row = "2025-Q1|engagement.seen"
    got = metric_counts("quarterly", row, "engagement.seen", where, values,
                        ["unknown", "numerator", "denominator"])
    assert got == [Count("quarterly", row, "unknown", unknown, 2),
                   Count("quarterly", row, "numerator", seen, 7),
                   Count("quarterly", row, "denominator", answered, 9)]
    assert [type(c.value) for c in got] == [int, int, int]
    assert metric_counts("quarterly", row, "engagement.seen", where, values, []) == []
    rate = metric_rate("quarterly", row, "rate", "engagement.seen", where, 7 / 9)
    assert rate == Rate("quarterly", row, "rate", seen, answered, 0.7775, 0.7785)
    assert metric_rate("quarterly", row, "rate", "engagement.seen", where, 7 / 9,
                       decimals=0) == Rate("quarterly", row, "rate", seen, answered, 0.775,
                                           0.785)
    cases = (term("cases", "all", {"A"}, {"2025-Q1"}),)
    assert metric_rate("partnerships", "A|engagement.seen", "rate", "engagement.seen", where,
                       7 / 9, denominator=cases) == Rate(
        "partnerships", "A|engagement.seen", "rate", seen, cases, 0.7775, 0.7785)


def test_every_category_of_each_family_an_audit_holds():
    """publication.family_categories: the cases (one category), known_to's six codes,
    harmed_by's three published categories, and yes/no/unknown for each flag column the
    cases hold (here father seen and domestic abuse; not a column outside the contract)."""
    cases = pd.DataFrame(columns=["case_id", "father_seen", "domestic_abuse", "notes"])
    assert family_categories(SimpleNamespace(cases=cases)) == {
        "cases": ("all",),
        "known_to": ("none", "universal", "early_help", "child_in_need",
                     "child_protection_plan", "unknown"),
        "harmed_by": ("birth_father", "another_male_carer", "unknown"),
        "father_seen": ("yes", "no", "unknown"),
        "domestic_abuse": ("yes", "no", "unknown"),
    }


def test_the_partnerships_of_a_packs_grid():
    """publication.pack_partnerships: the named partnerships in order, each once, as text,
    a missing name left out; one unnamed partnership when the column is absent or names
    none."""
    def grid(**columns):
        return pack_partnerships(SimpleNamespace(scope_cases=pd.DataFrame(columns)))

    assert grid(partnership=["Eastmere", "Northbridge", None, "Eastmere", 7]) == [
        "7", "Eastmere", "Northbridge"]
    assert grid(case_id=["a", "b"]) == [NO_PARTNERSHIP] == ["(one partnership)"]
    assert grid(partnership=pd.Series([None, None], dtype=object)) == [NO_PARTNERSHIP]


def test_true_counts_of_any_sum_over_the_extract_and_the_history(tmp_path):
    """publication.true_counts over five cases by hand (partnership, quarter, father seen,
    domestic abuse, young parent, known_to, harmed_by):
        1 A 2025-Q3 yes yes no  none        birth_father
        2 A 2025-Q3 yes yes yes universal   stepfather
        3 A 2025-Q4 no  no  yes early_help  mothers_partner
        4 B 2025-Q3 unk no  no  unknown     unknown
        5 B 2025-Q4 yes yes yes universal   other_male_carer
    and, from the history store, 2025-Q2 of father seen (4 of 6, 1 not known, 9 cases) and
    2025-Q1 of father seen (2 of 5; no cases recorded) and of known_to.none (not a flag: no
    atoms; read before 2025-Q2's rows, which are still read). A history row for 2025-Q3, a
    quarter the extract holds, is not used."""
    rows = [
        {"partnership": "A", "notification_date": "2025-08-01", "father_seen": "yes",
         "domestic_abuse": "yes", "young_parent": "no", "known_to": "none",
         "harmed_by": "birth_father"},
        {"partnership": "A", "notification_date": "2025-09-30", "father_seen": "yes",
         "domestic_abuse": "yes", "young_parent": "yes", "known_to": "universal",
         "harmed_by": "stepfather"},
        {"partnership": "A", "notification_date": "2025-10-01", "father_seen": "no",
         "domestic_abuse": "no", "young_parent": "yes", "known_to": "early_help",
         "harmed_by": "mothers_partner"},
        {"partnership": "B", "notification_date": "2025-07-01", "father_seen": "unknown",
         "domestic_abuse": "no", "young_parent": "no", "known_to": "unknown",
         "harmed_by": "unknown"},
        {"partnership": "B", "notification_date": "2025-12-31", "father_seen": "yes",
         "domestic_abuse": "yes", "young_parent": "yes", "known_to": "universal",
         "harmed_by": "other_male_carer"},
    ]
    history = pd.DataFrame({
        "period": ["2025-Q1", "2025-Q2", "2025-Q1", "2025-Q3"],
        "metric": ["engagement.seen", "engagement.seen", "known_to.none", "engagement.seen"],
        "numerator": [2, 4, 1, 50], "denominator": [5, 6, 3, 60], "unknown": [0, 1, 0, 0],
        "cases": [None, 9, None, 70],
    })
    data = open_audit(_extract(tmp_path, rows), allow_missing="all", history=history)
    truth = true_counts(data)
    ab, q3, q34 = ["A", "B"], ["2025-Q3"], ["2025-Q3", "2025-Q4"]

    def seen(categories, partnerships, quarters):
        return (term("father_seen", categories, partnerships, quarters),)

    assert truth(seen("yes", ["A"], q3)) == 2  # cases 1, 2
    assert truth(seen("yes", ab, q34)) == 3  # 1, 2, 5
    assert truth(seen(("yes", "no"), ["A"], q34)) == 3  # 1, 2, 3
    assert truth(seen("unknown", ["B"], q3)) == 1  # 4
    assert truth(seen("yes", ["B"], ["2025-Q4"])) == 1  # 5
    assert truth(seen("yes", ["Z"], q3)) == 0  # a partnership the extract does not hold
    assert truth(seen("yes", ["A"], q3) + seen("no", ["A"], ["2025-Q4"])) == 3  # 2 + 1
    assert truth(seen("yes", ["A"], q3)) == 2  # asked again (remembered)
    assert truth(()) == 0
    # harmed_by as published: stepfather, mother's partner and other male carer are one
    assert truth((term("harmed_by", "another_male_carer", ab, q34),)) == 3  # 2, 3, 5
    assert truth((term("harmed_by", ("birth_father", "unknown"), ab, q34),)) == 2  # 1, 4
    assert truth((term("harmed_by", "stepfather", ab, q34),)) == 0
    assert truth((term("known_to", "universal", ab, q34),)) == 2  # 2, 5
    assert truth((term("known_to", ("none", "unknown"), ab, q3),)) == 2  # 1, 4
    assert truth((term("cases", "all", ab, q34),)) == 5
    assert truth((term("cases", "all", ["B"], q3),)) == 1
    # patterns: one digit a risk factor the extract holds, in the contract's order
    # (domestic abuse, then young parent): 1 "10", 2 "11", 3 "01", 4 "00", 5 "11"
    assert truth((term(PATTERN, "11", ab, q34),)) == 2
    assert truth((term(PATTERN, ("10", "01"), ab, q34),)) == 2
    assert truth((term(PATTERN, "00", ["B"], q3),)) == 1
    # the history's quarters, for the audit's partnerships together, whichever are named
    assert truth(seen("yes", ["A"], ["2025-Q2"])) == 4
    assert truth(seen("no", ["Z"], ["2025-Q2"])) == 2  # 6 - 4
    assert truth(seen(("unknown", "yes"), ab, ["2025-Q1", "2025-Q2"])) == 1 + 2 + 4
    assert truth(seen("no", ab, ["2025-Q1"])) == 3  # 5 - 2
    assert truth((term("cases", "all", ab, ["2025-Q2"]),)) == 9
    assert truth((term("cases", "all", ab, ["2025-Q1"]),)) == 0  # no cases recorded
    assert truth((term("known_to", "none", ab, ["2025-Q1"]),)) == 0
    assert truth(seen("yes", ab, ["2025-Q2", "2025-Q3"])) == 4 + 2  # history + case 1, 2
    assert truth(seen("yes", ab, ["2024-Q4"])) == 0  # in neither



def test_the_history_atoms_are_of_the_quarters_only_the_history_holds():
    """publication._history_atoms over a quarterly table by hand: a flag's yes, no (the
    denominator less the yes) and not known a quarter, and the cases where recorded;
    known_to.none is no flag's; 2025-Q3 is a quarter of the extract (a case of 1 August),
    so it is left out, unless the audit holds no case at all. No table, no atoms."""
    quarterly = pd.DataFrame({
        "period": ["2025-Q1", "2025-Q1", "2025-Q2", "2025-Q2", "2025-Q3"],
        "cases": [None, None, 9, 9, 1],
        "metric": ["engagement.seen", "known_to.none", "engagement.seen",
                   "risk.domestic_abuse", "engagement.seen"],
        "numerator": [2, 1, 4, 3, 1], "denominator": [5, 3, 6, 8, 1],
        "unknown": [0, 0, 1, 0, 0],
    })
    one_case = pd.DataFrame({"notification_date": pd.to_datetime(["2025-08-01"])})
    earlier = {
        ("father_seen", "yes", "2025-Q1"): 2, ("father_seen", "no", "2025-Q1"): 3,
        ("father_seen", "unknown", "2025-Q1"): 0,
        ("father_seen", "yes", "2025-Q2"): 4, ("father_seen", "no", "2025-Q2"): 2,
        ("father_seen", "unknown", "2025-Q2"): 1, ("cases", "all", "2025-Q2"): 9,
        ("domestic_abuse", "yes", "2025-Q2"): 3, ("domestic_abuse", "no", "2025-Q2"): 5,
        ("domestic_abuse", "unknown", "2025-Q2"): 0,
    }
    assert _history_atoms(SimpleNamespace(quarterly=quarterly, scope_cases=one_case)) == earlier
    no_case = one_case.iloc[:0]
    assert _history_atoms(SimpleNamespace(quarterly=quarterly, scope_cases=no_case)) == {
        **earlier, ("father_seen", "yes", "2025-Q3"): 1, ("father_seen", "no", "2025-Q3"): 0,
        ("father_seen", "unknown", "2025-Q3"): 0, ("cases", "all", "2025-Q3"): 1}
    assert _history_atoms(SimpleNamespace(quarterly=quarterly.iloc[:0],
                                          scope_cases=one_case)) == {}


def test_true_counts_without_a_partnership_column(tmp_path):
    """An extract with no partnership column is one unnamed partnership: 3 cases in
    2025-Q3, father seen in 2; no risk factor, so no pattern family."""
    rows = [{"father_seen": v} for v in ("yes", "yes", "no")]
    data = open_audit(_extract(tmp_path, rows), allow_missing="all")
    truth = true_counts(data)
    one = [NO_PARTNERSHIP]
    assert truth((term("father_seen", "yes", one, ["2025-Q3"]),)) == 2
    assert truth((term("cases", "all", one, ["2025-Q3"]),)) == 3
    assert truth((term(PATTERN, "", one, ["2025-Q3"]),)) == 0


def test_policy_is_checked():
    with pytest.raises(ParameterError):
        Policy.make("everyone")
    with pytest.raises(ParameterError):
        Policy.make("public", 0)
    assert Policy.make("public").marking.startswith("OFFICIAL")
    assert Policy.make("board", marking="  OFFICIAL-SENSITIVE  ").marking == "OFFICIAL-SENSITIVE"


# --------------------------------------------------------------------------- property


_FLAGS = ("father_seen", "father_contacted", "domestic_abuse", "care_leaver")


@st.composite
def _extracts(draw):
    partnerships = draw(st.sampled_from([["A"], ["A", "B"], ["A", "B", "C"]]))
    quarters = draw(st.integers(min_value=1, max_value=4))
    rows = []
    for p_index, partnership in enumerate(partnerships):
        for q in range(quarters):
            n = draw(st.integers(min_value=0, max_value=14))
            month = 1 + 3 * q
            for _ in range(n):
                row = {"partnership": partnership,
                       "notification_date": f"2024-{month:02d}-15"}
                for flag in _FLAGS:
                    # one partnership with everything, empty categories, unknowns
                    row[flag] = draw(st.sampled_from(
                        ["yes"] if p_index == 0 and flag == "father_seen" else
                        ["yes", "no", "unknown", "no", "yes"]))
                rows.append(row)
    return rows


# Found by the property test below (hypothesis, 2026-11-30): hiding partnership B's "father
# seen" numerator and denominator made B's "no" (printed before as their difference) a new
# count to attack, which the targeted rounds of the search never looked at; the pack went
# out with it pinned to 5 or 6. One token a case: partnership, quarter of 2024, then
# father_seen, father_contacted, domestic_abuse, care_leaver as y / n / u.
_NEW_TARGET_CASES = """
A1yyyy A1yyyy A1yyyy A1yyyy A1yuyy A1ynyy A1ynuy A1yuyy A1ynyy A2yuuy A2yuuy A2ynyy
A2yyuy A2yyuy A2yuyy A2yyyy A2ynyy A2yyyy A2ynyy A2ynuy A3yuyy A3yuyy A3ynyy A3ynyy
A3yyyy A3ynyy A3yuyy B1yyny B1nyyy B1uyny B1yyny B1ynny B1yyuu B1ynnn B1ynyy B1nynn
B1yyyy B2unyn B2nyyy B2ynyu B2nnny B2unuy B2nnyn B3ynnn B3uyyn B3ynnu B3yyuu B3yyyu
B3uyyy B3nnyn
"""


def test_a_count_made_attackable_by_hiding_is_attacked_too(tmp_path):
    answer = {"y": "yes", "n": "no", "u": "unknown"}
    rows = [
        {"partnership": token[0], "notification_date": f"2024-{3 * int(token[1]) - 2:02d}-15",
         **{flag: answer[code] for flag, code in zip(_FLAGS, token[2:])}}
        for token in _NEW_TARGET_CASES.split()
    ]
    p = protect(open_audit(_extract(tmp_path, rows), allow_missing="all").compute(), "public")
    assert p.report.exposed == []
    publication, k = read_figures(write_figures(tmp_path / "figures.csv", p.publication, K))
    assert attack(publication, k).exposed == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(rows=_extracts())
def test_random_public_packs_reveal_nothing(tmp_path_factory, rows):
    assume(len(rows) > K)  # k or fewer cases are refused (test_too_few_cases_...)
    folder = tmp_path_factory.mktemp("prop")
    data = open_audit(_extract(folder, rows), allow_missing="all").compute()
    try:
        p = protect(data, "public")
    except DisclosureError as exc:
        # Refusing to publish is safe; the message names where, never a value.
        assert not re.search(r"\b\d+ of \d+\b", str(exc))
        return
    path = write_figures(folder / "figures.csv", p.publication, K)
    publication, k = read_figures(path)
    assert attack(publication, k).exposed == []


class _Found:
    """A stand-in attack report: what it found."""

    def __init__(self, exposed: list, name: str = "") -> None:
        self.exposed = exposed
        self.name = name


def _metrics_row(name: str, numerator: int, denominator: int, unknown: int,
                 hidden: str = "nd") -> list[Count]:
    """A metrics row's three counts; ``hidden`` names which are hidden (n, d, u)."""
    where = (term("x", "yes", ["P"], ["2025-Q1"]),)
    return [Count("metrics", name, column, where, value, column[0] in hidden)
            for column, value in (("numerator", numerator), ("denominator", denominator),
                                  ("unknown", unknown))]


def _stand_in_pass(monkeypatch, counts: list[Count], objects_to: str):
    """Run ``rates_again`` over ``counts`` (and a printed number of cases, 100) with a
    stand-in attack that finds something exactly when a row named in ``objects_to`` has
    its numerator printed; returns the rows each attack saw with a printed numerator, the
    report returned, and the publication."""
    import importlib

    hide_less = importlib.import_module("audit.disclosure.hide_less")
    cases = Count("cases", "pack", "cases", (term("cases", "all", ["P"], ["2025-Q1"]),), 100)
    other = Count("quarterly", "2025-Q1|x", "numerator", (term("x", "yes", ["P"], ["2025-Q1"]),),
                  50)  # a printed count of another table: not the number of cases
    publication = Publication(counts=[cases, other, *counts])
    full = Publication(counts=list(publication.counts))
    truth = object()
    asked: list[str] = []

    def stand_in_attack(pub, k, truth=None, targets=None, until_exposed=False):
        assert pub is publication and k == 5 and truth is truth_passed and targets is None
        assert until_exposed  # only whether anything is exposed: a clean attack is whole
        shown = "".join(sorted(c.row for c in pub.counts if c.table == "metrics"
                               and c.column == "numerator" and not c.hidden))
        asked.append(shown)
        return _Found([object()] if set(shown) & set(objects_to) else [], f"attack {len(asked)}")

    def stand_in_rates_for(pub, given_full):
        assert pub is publication and given_full is full

    truth_passed = truth
    monkeypatch.setattr(hide_less, "attack", stand_in_attack)
    monkeypatch.setattr(hide_less, "rates_for", stand_in_rates_for)
    start = _Found([], "before")
    report = rates_again(publication, full, 5, truth, start)
    return asked, report, publication


def test_rows_are_printed_again_together_and_a_group_that_exposes_is_halved(monkeypatch):
    """The hide-less pass (``hide_less.rates_again``) tries every row at once and halves a
    group the attack objects to. A stand-in attack finds something exactly when row C's
    numerator is printed: A, B and D come back, C stays hidden. The attacks, by the rows
    each sees printed, worked by hand: all four (found: halve), A and B (clean: kept), then
    C and D beside A and B (found: halve), C beside A and B (found: C stays hidden), D
    beside A and B (clean): five attacks, and the last clean one is the pass's report. The
    attack is given the pass's threshold and true counts; a count printed again is
    ``hidden = False``, not merely falsy."""
    rows = [c for name in "ABCD" for c in _metrics_row(name, 20, 40, 60)]
    asked, report, publication = _stand_in_pass(monkeypatch, rows, objects_to="C")
    assert asked == ["ABCD", "AB", "ABCD", "ABC", "ABD"]
    assert report.name == "attack 5"
    hidden = {c.row for c in publication.counts if c.hidden}
    assert hidden == {"C"}
    assert all(c.hidden is False for c in publication.counts if c.row in "ABD")


def test_rows_the_pass_leaves_alone(monkeypatch):
    """Rows ``rates_again`` does not try, each by hand, beside one it does (E): a row whose
    rate is printed already though its unknown (7) is hidden (F); a hidden numerator of 5
    or of 3, which cannot be printed (G, H); a row whose hidden unknown of 4 its printed
    denominator (96) and the 100 cases would give away (I: 96 + 4 = 100; K and L the same at
    the edges, unknowns of 5 and 1). A row whose
    denominator and unknown do not add up to the cases is tried (J: 90 + 4 = 94, its
    small unknown staying hidden). With every try clean the report is the last attack's;
    with none to try, the pass returns the report it was given."""
    counts = [*_metrics_row("E", 20, 40, 60), *_metrics_row("F", 20, 93, 7, hidden="u"),
              *_metrics_row("G", 5, 40, 60), *_metrics_row("H", 3, 40, 60, hidden="n"),
              *_metrics_row("I", 20, 96, 4, hidden="ndu"),
              *_metrics_row("J", 20, 90, 4, hidden="ndu"),
              *_metrics_row("K", 20, 95, 5, hidden="ndu"),
              *_metrics_row("L", 20, 99, 1, hidden="ndu")]
    asked, report, publication = _stand_in_pass(monkeypatch, counts, objects_to="")
    assert asked == ["EFJ"]  # F's numerator was printed already; E and J come back
    assert report.name == "attack 1"
    still = {(c.row, c.column) for c in publication.counts if c.hidden}
    assert still == {("F", "unknown"), ("G", "numerator"), ("G", "denominator"),
                     ("H", "numerator"), ("I", "numerator"), ("I", "denominator"),
                     ("I", "unknown"), ("J", "unknown"),
                     *((row, column) for row in "KL"
                       for column in ("numerator", "denominator", "unknown"))}
    untried = [*_metrics_row("F", 20, 93, 7, hidden="u"), *_metrics_row("H", 3, 40, 60)]
    asked, report, _ = _stand_in_pass(monkeypatch, untried, objects_to="")
    assert asked == [] and report.name == "before"


def test_when_no_row_can_come_back_the_pass_keeps_the_report_it_was_given(monkeypatch):
    """Every row objected to: the group, each half and each row alone are asked (by hand:
    ABCD, AB, A, B, CD, C, D), all stay hidden, and the report is the one passed in (the
    last clean attack), not that of a failed try."""
    rows = [c for name in "ABCD" for c in _metrics_row(name, 20, 40, 60)]
    asked, report, publication = _stand_in_pass(monkeypatch, rows, objects_to="ABCD")
    assert asked == ["ABCD", "AB", "A", "B", "CD", "C", "D"]
    assert report.name == "before"
    assert all(c.hidden for c in publication.counts if c.table == "metrics"
               and c.column != "unknown")


def test_a_pooled_year_keeps_the_rates_complementary_hiding_took(tmp_path):
    """A synthetic pooled year of 166 cases (``generate_extract`` seed 2123, 2025) whose
    complementary hiding took the numerators of most risk and engagement rows: without
    the hide-less pass it printed 4 rates of 29 (measured, 7 Dec 2026); with it at least 25,
    and the attack over every target still finds nothing (and, like every recorded attack,
    attacks only counts truly under 2k). The rows left without a rate are
    the ones whose hidden counts include a 1 to 5 or that cannot come back together."""
    from audit.intake.sample import generate_extract

    frame = generate_extract(172, seed=2123, start="2025-01-01", quarters=4)
    path = tmp_path / "year.csv"
    frame.to_csv(path, index=False)
    data = open_audit(path, period="2025")
    assert data.in_scope == 166
    view = protect(data, "public")
    printed = [r for r in view.metrics["rate"] if not is_suppressed(r)]
    assert len(printed) >= 25
    assert view.report is not None and not view.report.exposed
    k = view.policy.max_count
    truth = true_counts(data)  # the recorded attack, the hide-less pass's, skips 2k or more
    assert all(truth(b.terms) < 2 * k for b in view.report.bounds)
    for row in view.metrics.itertuples():  # a printed rate never beside a hidden count
        if not is_suppressed(row.rate):
            assert not is_suppressed(row.numerator) and not is_suppressed(row.denominator)
            assert int(row.numerator) == 0 or int(row.numerator) > k
