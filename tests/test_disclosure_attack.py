"""The attacker's check on small hand-made tables whose bounds are worked out by hand.

Each case is a classic of statistical disclosure control (Hundepool et al., *Statistical
Disclosure Control*, Wiley 2012, ch. 4: linked tables and the feasibility interval of a
suppressed cell); the expected ranges are derived in the comments, not by the code.
"""

from __future__ import annotations

import math

import pytest

from audit.disclosure.attack import attack, exposed, pinned
from audit.disclosure.model import CASES, Count, Publication, Rate, term
from audit.errors import DisclosureError

P = ("A", "B")
Q = ("2025-Q1", "2025-Q2")


def _flag(category, partnerships=P, quarters=Q):
    return (term("f", category, partnerships, quarters),)


def _count(table, row, column, terms, value, hidden=False):
    return Count(table, row, column, terms, value, hidden)


def _bounds(report, label_start):
    found = [b for b in report.bounds if b.label.startswith(label_start)]
    assert found, f"no target {label_start!r} in {[b.label for b in report.bounds]}"
    return found[0]


def test_exposed_rule_by_hand():
    # k = 5: a range narrower than 5 that reaches 1..5 is exposed.
    assert exposed(2, 2, 5)          # an exact 2
    assert exposed(0, 3, 5)          # "at most 3"
    assert not exposed(0, 5, 5)      # 0..5: 1-5 cannot be told from 0 or from 5
    assert not exposed(0, 0, 5)      # a true zero, known exactly, reveals no one
    assert not exposed(38, 40, 5)    # large counts known to within 2: not a small count
    assert not exposed(3, math.inf, 5)


def test_a_hidden_cell_beside_its_total_is_recovered_exactly():
    # One flag over one scope: yes 3 (hidden), no 40, unknown 4; cases 47 printed.
    # yes = 47 - 40 - 4 = 3 exactly.
    pub = Publication(counts=[
        _count("m", "f", "yes", _flag("yes"), 3, hidden=True),
        _count("m", "f", "no", _flag("no"), 40),
        _count("m", "f", "unknown", _flag("unknown"), 4),
        _count("m", "all", "cases", (term(CASES, "all", P, Q),), 47),
    ], pack_partnerships=frozenset(P), pack_quarters=frozenset(Q))
    report = attack(pub, 5)
    b = _bounds(report, "m: f, yes")
    assert (b.low, b.high) == (3, 3)
    assert b.exposed
    # The published figures that pin it: the two other categories and the total.
    assert {("m", "f", "no"), ("m", "f", "unknown"), ("m", "all", "cases")} <= set(b.binding)


def test_an_attack_asked_until_exposed_stops_at_the_first_exposed_count():
    # Two flags over one scope. f's yes 3 is hidden beside its no 40, unknown 4 and the
    # 47 cases: exactly 3, exposed. g's yes 20 and no 23 are hidden, unknown 4 printed:
    # yes + no = 43, each at least 1, so g's yes lies in 1..42 (not exposed).
    pub = Publication(counts=[
        _count("m", "f", "yes", _flag("yes"), 3, hidden=True),
        _count("m", "f", "no", _flag("no"), 40),
        _count("m", "f", "unknown", _flag("unknown"), 4),
        _count("m", "g", "yes", (term("g", "yes", P, Q),), 20, hidden=True),
        _count("m", "g", "no", (term("g", "no", P, Q),), 23, hidden=True),
        _count("m", "g", "unknown", (term("g", "unknown", P, Q),), 4),
        _count("m", "all", "cases", (term(CASES, "all", P, Q),), 47),
    ], pack_partnerships=frozenset(P), pack_quarters=frozenset(Q))
    whole = attack(pub, 5)
    labels = [b.label for b in whole.bounds]
    assert [b.label for b in whole.exposed] == ["m: f, yes"]
    assert labels.index("m: f, yes") < len(labels) - 1  # counts after it are attacked too
    first = attack(pub, 5, until_exposed=True)
    assert [b.label for b in first.bounds] == labels[: labels.index("m: f, yes") + 1]
    assert first.bounds == whole.bounds[: len(first.bounds)]
    # with nothing exposed it is the whole attack
    pub.counts[0].hidden = False
    assert attack(pub, 5, until_exposed=True).bounds == attack(pub, 5).bounds


def test_two_hidden_cells_in_one_row_share_the_remainder():
    # yes 3 and unknown 4 hidden, no 40 and cases 47 printed: yes + unknown = 7, and each
    # "c" is at least 1 (a true zero is always printed), so yes ranges over 1..6 (width 5):
    # protected, just.
    pub = Publication(counts=[
        _count("m", "f", "yes", _flag("yes"), 3, hidden=True),
        _count("m", "f", "no", _flag("no"), 40),
        _count("m", "f", "unknown", _flag("unknown"), 4, hidden=True),
        _count("m", "all", "cases", (term(CASES, "all", P, Q),), 47),
    ], pack_partnerships=frozenset(P), pack_quarters=frozenset(Q))
    b = _bounds(attack(pub, 5), "m: f, yes")
    assert (b.low, b.high) == (1, 6)
    assert not b.exposed


def test_a_2x2_table_with_margins_bounds_every_hidden_cell_by_frechet():
    # Cells yes at A/B x Q1/Q2 all hidden; margins printed: A 10, B 12, Q1 9, Q2 13 (22).
    # With x = yes[A,Q1]: [A,Q2] = 10 - x, [B,Q1] = 9 - x, [B,Q2] = 3 + x, and every hidden
    # cell is at least 1, so x >= 1 and x <= 8 (from 9 - x >= 1): 1..8, inside the Fréchet
    # bounds 0..9 that hold without the "c >= 1" knowledge.
    def cell(p, q):
        return (term("f", "yes", [p], [q]),)

    counts = [_count("q", f"{p}|{q}", "yes", cell(p, q), v, hidden=True)
              for (p, q), v in {("A", "2025-Q1"): 4, ("A", "2025-Q2"): 6,
                                ("B", "2025-Q1"): 5, ("B", "2025-Q2"): 7}.items()]
    counts += [
        _count("rows", "A", "yes", (term("f", "yes", ["A"], Q),), 10),
        _count("rows", "B", "yes", (term("f", "yes", ["B"], Q),), 12),
        _count("cols", "Q1", "yes", (term("f", "yes", P, ["2025-Q1"]),), 9),
        _count("cols", "Q2", "yes", (term("f", "yes", P, ["2025-Q2"]),), 13),
    ]
    pub = Publication(counts=counts, pack_partnerships=frozenset(P),
                      pack_quarters=frozenset(Q))
    b = _bounds(attack(pub, 5), "q: A|2025-Q1, yes")
    assert (b.low, b.high) == (1, 8)
    # Publish one interior cell (A,Q2 = 6): the rest follow exactly (A,Q1 = 10 - 6 = 4).
    counts[1].hidden = False
    b = _bounds(attack(pub, 5), "q: A|2025-Q1, yes")
    assert (b.low, b.high) == (4, 4)
    assert b.exposed


def test_a_printed_rate_narrows_a_hidden_numerator():
    # Denominator 40 printed, numerator hidden, the rate printed as 7.5% (7.45%..7.55%):
    # numerator in [0.0745 * 40, 0.0755 * 40] = [2.98, 3.02] -> exactly 3.
    num = _flag("yes")
    den = (term("f", ["yes", "no"], P, Q),)
    pub = Publication(counts=[
        _count("m", "f", "numerator", num, 3, hidden=True),
        _count("m", "f", "denominator", den, 40),
    ], rates=[Rate("m", "f", "rate", num, den, 0.0745, 0.0755)],
        pack_partnerships=frozenset(P), pack_quarters=frozenset(Q))
    b = _bounds(attack(pub, 5), "m: f, numerator")
    assert (b.low, b.high) == (3, 3)
    assert ("m", "f", "rate") in b.binding
    pub.rates.clear()
    b = _bounds(attack(pub, 5), "m: f, numerator")
    assert (b.low, b.high) == (1, 40)  # hidden, so at least 1


def test_the_unprinted_complement_is_attacked_too():
    # Numerator 40 and denominator 43 printed: "no" = 3 exactly, though never printed.
    pub = Publication(counts=[
        _count("m", "f", "numerator", _flag("yes"), 40),
        _count("m", "f", "denominator", (term("f", ["yes", "no"], P, Q),), 43),
    ], pack_partnerships=frozenset(P), pack_quarters=frozenset(Q))
    b = _bounds(attack(pub, 5), "f=no")
    assert (b.low, b.high) == (3, 3)
    assert b.exposed


def test_contradictory_figures_are_refused():
    pub = Publication(counts=[
        _count("m", "f", "yes", _flag("yes"), 50),
        _count("m", "all", "cases", (term(CASES, "all", P, Q),), 40),
    ], pack_partnerships=frozenset(P), pack_quarters=frozenset(Q))
    with pytest.raises(DisclosureError, match="contradict"):
        attack(pub, 5)


def test_an_attacker_knows_a_hidden_count_is_not_zero():
    # care leaver c / 14 / c with 16 cases (the leak pytauargus's audit missed in our
    # evaluation): yes + unknown = 2 and each is at least 1, so both are exactly 1.
    pub = Publication(counts=[
        _count("m", "f", "yes", _flag("yes"), 1, hidden=True),
        _count("m", "f", "no", _flag("no"), 14),
        _count("m", "f", "unknown", _flag("unknown"), 1, hidden=True),
        _count("m", "all", "cases", (term(CASES, "all", P, Q),), 16),
    ], pack_partnerships=frozenset(P), pack_quarters=frozenset(Q))
    b = _bounds(attack(pub, 5), "m: f, yes")
    assert (b.low, b.high) == (1, 1)
    assert b.exposed


def test_pinned_tells_a_figure_the_others_fix_from_one_they_leave_open():
    # yes 30 (hidden), no 40, unknown 4 (hidden), cases 74: yes + unknown = 34 only, so
    # neither is fixed (yes may be 30 to 33, given unknown >= 1). Print unknown and yes
    # = 74 - 40 - 4 = 30 is fixed: printing it again would tell an attacker nothing new.
    def pub(unknown_hidden):
        return Publication(counts=[
            _count("m", "f", "yes", _flag("yes"), 30, hidden=True),
            _count("m", "f", "no", _flag("no"), 40),
            _count("m", "f", "unknown", _flag("unknown"), 4, hidden=unknown_hidden),
            _count("m", "all", "cases", (term(CASES, "all", P, Q),), 74),
        ], pack_partnerships=frozenset(P), pack_quarters=frozenset(Q))

    assert pinned(pub(True), [_flag("yes"), _flag("unknown")]) == [False, False]
    assert pinned(pub(False), [_flag("yes")]) == [True]
    assert pinned(pub(False), []) == []
