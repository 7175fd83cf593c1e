"""The joint attack (issue 22): the four recipes an outsider used on a year of public packs.

Each recipe is a small hand-made set of packs' figures in which every pack alone keeps its
hidden count at least 5 values wide, and the set read together recovers it; the expected
ranges are worked out by hand in each test's docstring. A last set is safe together too.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.optimize import linprog

from audit.disclosure.figures import write_figures
from audit.disclosure.joint import (
    JointModel,
    PackFigures,
    check_packs,
    find_packs,
    joint_attack,
    joint_targets,
    read_packs,
)
from audit.disclosure.model import CASES, Count, Publication, Rate, Term, term
from audit.errors import DisclosureError

FLAG = "domestic_abuse"
K = 5


def pack(name: str, partnerships: list[str], quarters: list[str], *figures) -> PackFigures:
    """A pack printing ``figures`` (counts and rates) about one flag, threshold 5."""
    publication = Publication(
        pack_partnerships=frozenset(partnerships),
        pack_quarters=frozenset(quarters),
        categories={CASES: ("all",), FLAG: ("yes", "no", "unknown")},
    )
    for f in figures:
        (publication.rates if isinstance(f, Rate) else publication.counts).append(f)
    return PackFigures(name, publication, K)


def count(table: str, row: str, column: str, cats, ps, qs, value: int | None) -> Count:
    """A count of ``FLAG`` (or the cases, ``cats="all"``) over ``ps`` x ``qs``; ``None``
    is hidden."""
    family = CASES if cats == "all" else FLAG
    return Count(table, row, column, (term(family, cats, ps, qs),), value, value is None)


def rate(table: str, row: str, ps, qs, low: float, high: float) -> Rate:
    """The printed rate yes / (yes + no) over ``ps`` x ``qs``, known to [low, high]."""
    return Rate(
        table, row, "rate", (term(FLAG, "yes", ps, qs),), (term(FLAG, ("yes", "no"), ps, qs),),
        low, high,
    )


def bounds_of(report, terms: tuple[Term, ...]):
    key = sorted(terms)
    (found,) = [b for b in report.bounds if sorted(b.target.terms) == key]
    return found.low, found.high


UNKNOWN_X = (term(FLAG, "unknown", ["X"], ["2025-Q1"]),)


def pool_and_partnerships() -> list[PackFigures]:
    """Pool X+Y prints 10 unknown; Y's pack 7; X's pack hides its unknown (true 3).

    X alone: 16 cases, 7 "no", yes and unknown hidden (each >= 1): unknown in 1..8.
    Together: unknown(X) = 10 - 7 = 3 exactly.
    """
    q = ["2025-Q1"]
    return [
        pack("pool", ["X", "Y"], q,
             count("cases", "pack", "cases", "all", ["X", "Y"], q, 30),
             count("metrics", FLAG, "unknown", "unknown", ["X", "Y"], q, 10)),
        pack("Y", ["Y"], q,
             count("cases", "pack", "cases", "all", ["Y"], q, 14),
             count("metrics", FLAG, "unknown", "unknown", ["Y"], q, 7)),
        pack("X", ["X"], q,
             count("cases", "pack", "cases", "all", ["X"], q, 16),
             count("metrics", FLAG, "numerator", "yes", ["X"], q, None),
             count("metrics", FLAG, "no", "no", ["X"], q, 7),
             count("metrics", FLAG, "unknown", "unknown", ["X"], q, None)),
    ]


def test_pool_minus_partnerships_recovers_the_hidden_count():
    packs = pool_and_partnerships()
    alone = joint_attack([packs[2]])
    assert bounds_of(alone, UNKNOWN_X) == (1, 8)
    assert not alone.exposed
    together = joint_attack(packs)
    assert bounds_of(together, UNKNOWN_X) == (3, 3)
    exposed = {b.target.hidden_in for b in together.exposed}
    assert ("X: metrics: domestic_abuse, unknown",) in exposed


def year_minus_quarters_packs() -> list[PackFigures]:
    """The year prints 9 unknown over Q1+Q2, Q1's pack 6; Q2's pack hides its unknown.

    Q2 alone: 20 cases, 10 yes, "no" and unknown hidden: unknown in 1..9.
    Together: unknown(Q2) = 9 - 6 = 3.
    """
    year = ["2025-Q1", "2025-Q2"]
    return [
        pack("year", ["X"], year, count("metrics", FLAG, "unknown", "unknown", ["X"], year, 9)),
        pack("Q1", ["X"], ["2025-Q1"],
             count("metrics", FLAG, "unknown", "unknown", ["X"], ["2025-Q1"], 6)),
        pack("Q2", ["X"], ["2025-Q2"],
             count("cases", "pack", "cases", "all", ["X"], ["2025-Q2"], 20),
             count("metrics", FLAG, "numerator", "yes", ["X"], ["2025-Q2"], 10),
             count("metrics", FLAG, "no", "no", ["X"], ["2025-Q2"], None),
             count("metrics", FLAG, "unknown", "unknown", ["X"], ["2025-Q2"], None)),
    ]


def test_year_minus_quarters_recovers_the_hidden_quarter():
    packs = year_minus_quarters_packs()
    q2_unknown = (term(FLAG, "unknown", ["X"], ["2025-Q2"]),)
    assert bounds_of(joint_attack([packs[2]]), q2_unknown) == (1, 9)
    assert bounds_of(joint_attack(packs), q2_unknown) == (3, 3)


def rounded_average_pack(partnership: str = "X") -> PackFigures:
    """Issue 22's first recipe, in one pack: Q2 has 19 cases; Q1 showed 10 yes of 17 known;
    the run chart's average over Q1+Q2 prints 65.7% (0.6565..0.6575); Q2's yes, known and
    unknown are hidden (each >= 1).

    With n = known(Q2) = 19 - u and y = yes(Q2), 1 <= y <= n: (10 + y) / (17 + n) must lie
    in [0.6565, 0.6575]. Over n = 1..18 the only whole solution is n = 18, y = 13
    (23/35 = 0.65714), so u = 1. The linear relaxation lets y be fractional: with y <= n,
    (10 + n) / (17 + n) >= 0.6565 needs n >= 1.1605 / 0.3435 = 3.38, so u reaches
    19 - 3.38 = 15.62, rounded inwards 15.
    """
    q1, q2, both = ["2025-Q1"], ["2025-Q2"], ["2025-Q1", "2025-Q2"]
    return pack(
        "Q2" if partnership == "X" else f"Q2 {partnership}", [partnership], q2,
        count("cases", "pack", "cases", "all", [partnership], q2, 19),
        count("quarterly", f"2025-Q1|{FLAG}", "numerator", "yes", [partnership], q1, 10),
        count("quarterly", f"2025-Q1|{FLAG}", "denominator", ("yes", "no"), [partnership], q1, 17),
        count("metrics", FLAG, "numerator", "yes", [partnership], q2, None),
        count("metrics", FLAG, "denominator", ("yes", "no"), [partnership], q2, None),
        count("metrics", FLAG, "unknown", "unknown", [partnership], q2, None),
        rate("spc", FLAG, [partnership], both, 0.6565, 0.6575),
    )


def test_a_rounded_average_pins_a_hidden_count_by_whole_numbers():
    single = rounded_average_pack()
    unknown = (term(FLAG, "unknown", ["X"], ["2025-Q2"]),)
    linear = joint_attack([single], integer=False)
    low, high = bounds_of(linear, unknown)
    assert (low, high) == (1, 15)  # the relaxation misses it
    exact = joint_attack([single])
    assert bounds_of(exact, unknown) == (1, 1)
    assert bounds_of(exact, (term(FLAG, "yes", ["X"], ["2025-Q2"]),)) == (13, 13)
    assert any(b.target.terms == unknown for b in exact.exposed)


def next_quarter_packs() -> list[PackFigures]:
    """Q3's run chart averages 37.8% over Q1..Q3; Q4 prints the latest four quarters, 22
    yes of 57 known, and 12 known in Q4 with its yes hidden.

    Q4 alone: yes(Q4) in 1..12 (12 known, "no" not printed). Together: known(Q1..Q3) =
    57 - 12 = 45 and yes(Q1..Q3) / 45 in [0.3775, 0.3785] gives 17 (16.99..17.03), so
    yes(Q4) = 22 - 17 = 5.
    """
    q13 = ["2025-Q1", "2025-Q2", "2025-Q3"]
    q14 = [*q13, "2025-Q4"]
    q4 = ["2025-Q4"]
    return [
        pack("Q3", ["X"], ["2025-Q3"], rate("spc", FLAG, ["X"], q13, 0.3775, 0.3785)),
        pack("Q4", ["X"], q4,
             count("cases", "pack", "cases", "all", ["X"], q4, 20),
             count("rolling", FLAG, "numerator", "yes", ["X"], q14, 22),
             count("rolling", FLAG, "denominator", ("yes", "no"), ["X"], q14, 57),
             count("metrics", FLAG, "numerator", "yes", ["X"], q4, None),
             count("metrics", FLAG, "denominator", ("yes", "no"), ["X"], q4, 12),
             count("metrics", FLAG, "unknown", "unknown", ["X"], q4, 8)),
    ]


def test_next_quarters_rolling_total_and_the_last_average_fix_a_hidden_yes():
    packs = next_quarter_packs()
    yes_q4 = (term(FLAG, "yes", ["X"], ["2025-Q4"]),)
    assert bounds_of(joint_attack([packs[1]]), yes_q4) == (1, 12)
    assert bounds_of(joint_attack(packs), yes_q4) == (5, 5)


def test_a_series_that_stays_safe_together():
    """Without Y's pack, the pool's 10 unknown split between X (1..8 alone) and Y (hidden,
    14 cases, nothing else printed): unknown(X) = 10 - unknown(Y) with unknown(Y) >= 1 and
    <= 14 gives 1..9 together with X's own 1..8: still 1..8, nothing exposed."""
    packs = pool_and_partnerships()
    packs[1] = pack("Y", ["Y"], ["2025-Q1"],
                    count("cases", "pack", "cases", "all", ["Y"], ["2025-Q1"], 14),
                    count("metrics", FLAG, "unknown", "unknown", ["Y"], ["2025-Q1"], None))
    report = joint_attack(packs)
    assert report.exposed == []
    assert bounds_of(report, UNKNOWN_X) == (1, 8)


def test_a_count_printed_by_one_pack_and_hidden_by_another_is_recovered():
    q = ["2025-Q1"]
    packs = [
        pack("a", ["X"], q, count("cases", "pack", "cases", "all", ["X"], q, 10),
             count("metrics", FLAG, "unknown", "unknown", ["X"], q, None)),
        pack("b", ["X"], q, count("cases", "pack", "cases", "all", ["X"], q, 10),
             count("metrics", FLAG, "unknown", "unknown", ["X"], q, 4)),
    ]
    (target,) = [t for t in joint_targets(packs) if t.hidden_in]
    assert target.printed == 4
    assert bounds_of(joint_attack(packs), UNKNOWN_X) == (4, 4)


def test_two_packs_that_print_one_count_differently_are_refused():
    q = ["2025-Q1"]
    packs = [
        pack("a", ["X"], q, count("metrics", FLAG, "unknown", "unknown", ["X"], q, 9)),
        pack("b", ["X"], q, count("metrics", FLAG, "unknown", "unknown", ["X"], q, 8)),
    ]
    with pytest.raises(DisclosureError, match="different value"):
        joint_attack(packs)


def write_packs(tmp_path: Path, packs: list[PackFigures]) -> Path:
    folder = tmp_path / "series"
    for p in packs:
        (folder / p.name).mkdir(parents=True)
        write_figures(folder / p.name / "figures.csv", p.publication, p.threshold)
    return folder


def test_a_folder_of_packs_is_read_and_attacked_together(tmp_path):
    folder = write_packs(tmp_path, pool_and_partnerships())
    assert [p.name for p in find_packs([folder])] == ["X", "Y", "pool"]
    assert [p.name for p in read_packs([folder / "X", folder / "pool"])] == ["X", "pool"]
    with pytest.raises(DisclosureError, match=r"X: metrics: domestic_abuse, unknown .* 3\.\.3"):
        check_packs([folder])
    with pytest.raises(DisclosureError, match="holds no figures.csv"):
        find_packs([tmp_path / "nothing"])


def test_check_disclosure_command_attacks_several_packs(tmp_path):
    folder = write_packs(tmp_path, pool_and_partnerships())
    run = [sys.executable, "-m", "audit.cli", "check-disclosure"]
    alone = subprocess.run([*run, folder / "X"], capture_output=True, text=True, timeout=120)
    assert alone.returncode == 0, alone.stderr
    together = subprocess.run([*run, folder / "X", folder / "Y", folder / "pool"],
                              capture_output=True, text=True, timeout=120)
    assert together.returncode == 2
    assert "X: metrics: domestic_abuse, unknown" in together.stderr
    assert "lies in 3..3" in together.stderr
    safe = subprocess.run([*run, folder / "X", folder / "pool"],
                          capture_output=True, text=True, timeout=120)
    assert safe.returncode == 0, safe.stderr
    assert re.fullmatch(r"2 packs: each passed the disclosure check, and together \(threshold "
                        r"5\) \d+ counts attacked, \d+ solved in whole numbers, \d+ shown by "
                        r"whole-number solutions to take more than 5 values; none narrowed to "
                        r"5 values or fewer\n", safe.stdout), safe.stdout


def risk_pack(name: str, partnerships: list[str], *figures) -> PackFigures:
    """A pack printing risk-factor tables over three flags a, b, c (patterns "abc")."""
    made = pack(name, partnerships, ["2025-Q1"], *figures)
    made.publication.pattern_flags = ("a", "b", "c")
    for flag in "abc":
        made.publication.categories[flag] = ("yes", "no", "unknown")
    return made


def pair(ps, value: int | None) -> Count:
    """Cases with both a and b: patterns 110 and 111 (the cooccurrence table's a|b)."""
    return Count("cooccurrence", "a|b", "cases",
                 (Term("risk_pattern", ("110", "111"), frozenset(ps), frozenset(["2025-Q1"])),),
                 value, value is None)


def cases(ps, value: int) -> Count:
    return Count("cases", "pack", "cases", (term(CASES, "all", ps, ["2025-Q1"]),), value)


def test_pool_minus_partnerships_works_on_the_risk_factor_pairs_too():
    """The pool prints 7 cases with both a and b, Y's pack 4, X's hides its own (true 3).

    X alone: 12 cases and nothing else: the pair lies in 1..12. Together: 7 - 4 = 3.
    """
    packs = [
        risk_pack("pool", ["X", "Y"], cases(["X", "Y"], 25), pair(["X", "Y"], 7)),
        risk_pack("Y", ["Y"], cases(["Y"], 13), pair(["Y"], 4)),
        risk_pack("X", ["X"], cases(["X"], 12), pair(["X"], None)),
    ]
    both = pair(["X"], None).terms
    assert bounds_of(joint_attack([packs[2]]), both) == (1, 12)
    assert bounds_of(joint_attack(packs), both) == (3, 3)


def test_risk_factors_printed_alone_bound_their_pair_from_below():
    """12 cases, a yes 9, b yes 8, the pair hidden: at least 9 + 8 - 12 = 5 have both and
    at most 8 (b's yes), so the pair lies in 5..8 (Fréchet); no pattern is needed for it."""
    q = ["2025-Q1"]
    made = risk_pack(
        "X", ["X"], cases(["X"], 12), pair(["X"], None),
        Count("metrics", "a", "numerator", (term("a", "yes", ["X"], q),), 9),
        Count("metrics", "b", "numerator", (term("b", "yes", ["X"], q),), 8),
    )
    assert bounds_of(joint_attack([made]), pair(["X"], None).terms) == (5, 8)
    # the joint model alone (bands and pairs, no patterns) knows it too
    model = JointModel([made])
    objective = model.vector(pair(["X"], None).terms)
    ranges = [
        linprog(sign * objective, A_ub=model.A_ub, b_ub=model.b_ub, A_eq=model.A_eq,
                b_eq=model.b_eq, bounds=(0, None), method="highs").fun
        for sign in (1, -1)
    ]
    assert ranges == pytest.approx([5, -8])


def test_packs_whose_figures_cannot_all_hold_are_refused():
    """Y alone prints 12 not known, more than the 10 of the pool it is part of."""
    packs = pool_and_partnerships()
    packs[1] = pack("Y", ["Y"], ["2025-Q1"],
                    count("cases", "pack", "cases", "all", ["Y"], ["2025-Q1"], 14),
                    count("metrics", FLAG, "unknown", "unknown", ["Y"], ["2025-Q1"], 12))
    with pytest.raises(DisclosureError, match="contradict each other"):
        joint_attack(packs)


def test_the_cases_themselves_fit_every_figure_published_from_them(public_pack,
                                                                  tmp_path_factory):
    """``true_cells``: the shared extract's counts, cell by cell, read as the joint model's
    variables (the risk-factor patterns as bands and pairs), fit every figure of the public
    pack built from it, so protection's first whole-number solves can start there. One
    case more no longer fits (the check is real), and the exposures and exact ranges are
    the same with the cases as a seed as without."""
    import json

    from audit.disclosure.joint_model import CellCounts
    from audit.disclosure.publication import true_cells
    from audit.intake.pooling import load_returns
    from audit.workspace import audit_of
    from packs import shared_extract

    packs = read_packs([public_pack.folder])
    period = json.loads((public_pack.folder / "manifest.json").read_text())["audit"]["period"]
    data = audit_of(load_returns([shared_extract(tmp_path_factory)]), period=period,
                    partnership=None)
    cells = true_cells(data)
    assert isinstance(cells, CellCounts)
    assert sum(n for (family, _, _), n in cells.items() if family == CASES) == len(
        data.extract.cases)
    model = JointModel(packs, extra_terms=[t for tg in joint_targets(packs) for t in tg.terms])
    x = model.point(cells)
    assert x is not None and model.fits(x)
    first = min((b for (f, _, b) in cells if f == CASES), key=sorted)
    more = CellCounts(cells)
    more[(CASES, "all", first)] += 1  # one case more than the pack's printed 55
    assert not model.fits(model.point(more))
    seeded = joint_attack(packs, seeds=[cells], budget=120)
    plain = joint_attack(packs, budget=120)
    assert seeded.certified > plain.certified  # the cases settle targets before any solve
    for mine, theirs in zip(seeded.bounds, plain.bounds, strict=True):
        assert mine.target == theirs.target and mine.exposed == theirs.exposed
        if mine.exact and theirs.exact:
            assert (mine.low, mine.high) == (theirs.low, theirs.high)


@pytest.mark.parametrize("recipe", ["pool", "year", "average", "rolling"])
def test_a_solve_started_from_a_solution_seen_gives_the_same_bounds(recipe):
    """``Highs.minimum(start=)`` only changes how soon: every target's whole-number minimum
    and maximum are the same started from the solution seen that is best for the objective
    (``SolutionPool.best``, checked against a search by hand) as from nothing."""
    from audit.disclosure.joint_search import Highs, SolutionPool

    packs = {"pool": pool_and_partnerships, "year": year_minus_quarters_packs,
             "average": lambda: [rounded_average_pack()], "rolling": next_quarter_packs}[recipe]()
    targets = joint_targets(packs)
    model = JointModel(packs, extra_terms=[t for tg in targets for t in tg.terms])
    rows = [model.vector(t.terms) for t in targets if model.holds(t.terms)]
    pool = SolutionPool(rows, model.size)
    for seed in joint_attack(packs).solutions:
        pool.add(model.point(seed))
    assert len(pool.points) >= 2
    plain, started = Highs(model, integer=True), Highs(model, integer=True)
    for row in rows:
        for objective in (row, -row):
            best = pool.best(objective)
            assert objective @ best == min(objective @ x for x in pool.points)
            assert started.minimum(objective, start=best) == plain.minimum(objective)


def test_whole_number_solutions_settle_targets_without_their_own_solves(public_pack,
                                                                        monkeypatch):
    """Each integer solve's whole-number counts fit every figure, so they are a point of
    every target's range: once those seen put a target k or more apart it cannot be exposed
    and is not solved for. Checked against the attack that solves every target: the same
    exposures, and every target so settled really has a whole-number range k or more wide."""
    import audit.disclosure.joint as joint

    packs = read_packs([public_pack.folder])
    settled = joint_attack(packs, budget=120)
    monkeypatch.setattr(joint.SolutionPool, "width", lambda self, j: -math.inf)
    solved = joint_attack(packs, budget=120)
    assert settled.certified > 0 and solved.certified == 0
    assert settled.mip_solves < solved.mip_solves
    assert all(b.exact for b in solved.bounds)   # the reference solved every target
    assert [b.describe() for b in settled.exposed] == [b.describe() for b in solved.exposed]
    k = settled.k
    pairs = list(zip(settled.bounds, solved.bounds))
    assert [p.target for p, _ in pairs] == [s.target for _, s in pairs]
    for mine, truth in pairs:
        if mine.exact:
            assert (mine.low, mine.high) == (truth.low, truth.high)
        else:  # settled by the solutions seen: a wider (linear) range, truly k or more wide
            assert mine.low <= truth.low and mine.high >= truth.high
            assert truth.high - truth.low >= k and not mine.exposed


def test_a_solution_is_read_by_a_model_of_coarser_blocks_and_checked_against_every_figure():
    """Whole counts by (family, category, block) carry from one model to another of the same
    cases. The three packs of ``pool_and_partnerships`` give X and Y a block each; the pool's
    pack alone has one block for X and Y together, whose counts are the sums. True counts by
    hand: X 16 cases (6 yes, 7 no, 3 unknown), Y 14 (4 yes, 3 no, 7 unknown)."""
    packs = pool_and_partnerships()
    fine, coarse = JointModel(packs), JointModel([packs[0]])
    truth = {"X": {"all": 16, "yes": 6, "no": 7, "unknown": 3},
             "Y": {"all": 14, "yes": 4, "no": 3, "unknown": 7}}
    keyed = {(f, c, b): float(truth[next(iter(b))[0]][c]) for (f, c, b) in fine.index}
    assert len(keyed) == 8  # cases and three categories, for each of X and Y
    x = fine.point(keyed)
    assert x is not None and fine.fits(x)
    both = frozenset({("X", "2025-Q1"), ("Y", "2025-Q1")})
    pooled = coarse.point(fine.keyed(x))
    assert pooled is not None and coarse.fits(pooled)
    assert {c: pooled[coarse.index[(f, c, both)]] for (f, c, _) in coarse.index} == {
        "all": 30, "yes": 10, "no": 10, "unknown": 10}
    assert fine.point(coarse.keyed(pooled)) is None  # one block cannot be split in two
    moved = dict(keyed)  # one unknown of X's moved to its yes: the pool's 10 unknown fails
    moved[(FLAG, "unknown", frozenset({("X", "2025-Q1")}))] = 2.0
    moved[(FLAG, "yes", frozenset({("X", "2025-Q1")}))] = 7.0
    assert not fine.fits(fine.point(moved))


def test_solutions_of_one_attack_seed_the_next(public_pack):
    """Protection re-attacks after hiding more, and the solutions of its last round still
    fit: seeded with them, an attack finds the same exposures with fewer solves. Seeds that
    no longer fit (every count one more: no printed count holds) are left out, and the
    attack is the same as with none."""
    packs = read_packs([public_pack.folder])
    first = joint_attack(packs, budget=120)
    assert first.solutions and first.mip_solves > 0
    again = joint_attack(packs, budget=120, seeds=first.solutions)
    assert again.mip_solves < first.mip_solves
    assert [b.describe() for b in again.exposed] == [b.describe() for b in first.exposed]
    assert again.certified >= first.certified and again.unreached == first.unreached == 0
    wrong = [{key: value + 1 for key, value in s.items()} for s in first.solutions]
    unseeded = joint_attack(packs, budget=120, seeds=wrong)
    assert unseeded.mip_solves == first.mip_solves
    assert [(b.low, b.high) for b in unseeded.bounds] == [(b.low, b.high) for b in first.bounds]


def test_a_pack_its_check_cannot_decide_in_the_time_given_is_refused():
    """Issue 22's first recipe gives its hidden unknown away only in whole numbers (1..15
    linear, 1..1 whole). With no time for the whole-number step its range stays linear and
    wide, so a check bounded by time would pass it: protection refuses instead."""
    from audit.disclosure.ledger import new_exposures

    single = rounded_average_pack()
    rushed = joint_attack([single], budget=0)
    assert rushed.unreached > 0 and rushed.undecided == rushed.unreached
    assert not rushed.exposed  # the linear range alone misses it
    with pytest.raises(DisclosureError, match=r"could not decide \d+ hidden count\(s\) in 0 s"):
        new_exposures(single, [], budget=0)
    found = new_exposures(single, [])
    assert [b.target.terms for b in found if b.low == b.high == 1] == [
        (term(FLAG, "unknown", ["X"], ["2025-Q2"]),)]


def test_the_check_of_one_pack_names_the_count_it_can_narrow_in_the_bars_words(tmp_path):
    """One pack printing 20 cases, 10 "yes" and 18 known, with "no" and "not known" hidden:
    not known = 20 - 18 = 2 exactly. ``audit check-disclosure`` on that folder says a
    hidden count can be narrowed to 5 values or fewer (the bar is a range narrower than k,
    so 1..5 is exposed, not only 1..4)."""
    q = ["2025-Q1"]
    leaky = pack("leaky", ["X"], q,
                 count("cases", "pack", "cases", "all", ["X"], q, 20),
                 count("metrics", FLAG, "numerator", "yes", ["X"], q, 10),
                 count("metrics", FLAG, "denominator", ("yes", "no"), ["X"], q, 18),
                 count("metrics", FLAG, "unknown", "unknown", ["X"], q, None))
    folder = tmp_path / "leaky"
    folder.mkdir()
    write_figures(folder / "figures.csv", leaky.publication, K)
    from audit.disclosure.figures import check_pack

    with pytest.raises(DisclosureError, match=r"^a hidden count can be narrowed to 5 values "
                                              r"or fewer: .*; 1 count\(s\) in all$"):
        check_pack(folder)


def test_the_single_pack_ranges_of_published_packs_are_attacked_once(monkeypatch):
    """With a memo, a pack named unchanged (published: its figures do not change) has its
    own single-pack attack once; the next attack asks only the pack being protected, and
    every range is what it is without the memo (issue 22's year minus quarters: 3..3)."""
    import importlib

    joint = importlib.import_module("audit.disclosure.joint")
    packs = year_minus_quarters_packs()
    q2_unknown = (term(FLAG, "unknown", ["X"], ["2025-Q2"]),)
    attacked: list[int] = []
    real = joint.attack

    def counted(publication, k, **kwargs):
        attacked.append(next(i for i, p in enumerate(packs) if p.publication is publication))
        return real(publication, k, **kwargs)

    monkeypatch.setattr(joint, "attack", counted)
    plain = joint_attack(packs)
    assert sorted(attacked) == [0, 1, 2]
    memo: dict = {}
    unchanged = {"year", "Q1"}
    for expected in ([0, 1, 2], [2]):
        attacked.clear()
        report = joint_attack(packs, memo=memo, unchanged=unchanged)
        assert sorted(attacked) == expected
        assert bounds_of(report, q2_unknown) == bounds_of(plain, q2_unknown) == (3, 3)
        assert [(b.low, b.high) for b in report.bounds] == [(b.low, b.high) for b in plain.bounds]
    assert {key for key in memo if isinstance(key, str)} == unchanged


def test_pushes_that_settled_nothing_are_tried_once_when_only_their_targets_are_left(
    monkeypatch,
):
    """Protection attacks the same packs round after round: when the targets the last
    attack's pushes left are all that is left again, one push is tried, not three, and the
    ranges are those of an attack without the memo (year minus quarters: Q2's hidden
    "not known" is 3..3, which no push can settle)."""
    import importlib

    joint = importlib.import_module("audit.disclosure.joint")
    packs = year_minus_quarters_packs()
    q2_unknown = (term(FLAG, "unknown", ["X"], ["2025-Q2"]),)
    calls: list[tuple[int, int, int]] = []  # (stalls allowed, solves, targets left)
    real = joint.push_apart

    def watched(*args, **kwargs):
        solves, left = real(*args, **kwargs)
        calls.append((kwargs["stalls"], solves, len(left)))
        return solves, left

    monkeypatch.setattr(joint, "push_apart", watched)
    plain = joint_attack(packs)
    memo: dict = {}
    first = joint_attack(packs, memo=memo)
    again = joint_attack(packs, memo=memo)
    assert [c[0] for c in calls] == [3, 3, 1]
    assert calls[1][2] >= 1 and calls[1][1] >= 3  # the first left Q2's count, after 3 stalls
    assert calls[2][1] == 1 and calls[2][2] == calls[1][2]
    for report in (first, again):
        assert bounds_of(report, q2_unknown) == (3, 3)
        assert [(b.low, b.high) for b in report.bounds] == [(b.low, b.high) for b in plain.bounds]


def test_a_model_reads_its_own_counts_back_block_for_block():
    """Every block of a model is read from the same block of its own keyed counts (the
    common case: the same packs attacked again), value for value."""
    import numpy as np

    model = JointModel(pool_and_partnerships())
    x = np.arange(model.size, dtype=float) * 3 + 1
    assert np.array_equal(model.point(model.keyed(x)), x)



@pytest.mark.parametrize("recipe", ["pool", "year", "average", "rolling"])
def test_asking_only_which_counts_are_exposed_finds_the_same_ones(recipe):
    """Protection asks only *which* counts are exposed (``exact_exposures=False``): each of
    the four recipes gives the same exposed counts as the exact attack, each range holding
    the exact one, with no more whole-number solves. The rounded average is exposed only in
    whole numbers (1..15 linear) and is still solved."""
    packs = {
        "pool": pool_and_partnerships,
        "year": year_minus_quarters_packs,
        "average": lambda: [rounded_average_pack()],
        "rolling": next_quarter_packs,
    }[recipe]()
    exact = joint_attack(packs)
    quick = joint_attack(packs, exact_exposures=False)
    assert exact.exposed and not exact.undecided and not quick.undecided
    assert [b.target for b in quick.exposed] == [b.target for b in exact.exposed]
    for q, e in zip(quick.bounds, exact.bounds, strict=True):
        assert q.target == e.target and q.low <= e.low <= e.high <= q.high
    assert quick.mip_solves <= exact.mip_solves


@pytest.mark.parametrize("recipe", ["pool", "year", "rolling"])
def test_asking_for_some_exposures_first_skips_the_solves_of_the_rest(recipe, monkeypatch):
    """``first_exposures=True``: each recipe read beside the rounded average of another
    partnership (Z), whose counts only whole numbers pin (linear 1..15). The recipe's count
    is exposed by its outer range, so no per-target solve is made (``_narrow`` is not
    called): Z's counts are deferred, not reported exposed; the exact attack finds them."""
    from audit.disclosure import joint

    packs = {"pool": pool_and_partnerships, "year": year_minus_quarters_packs,
             "rolling": next_quarter_packs}[recipe]() + [rounded_average_pack("Z")]
    exact = joint_attack(packs)
    narrowed: list = []
    real = joint._narrow
    monkeypatch.setattr(joint, "_narrow", lambda *a, **kw: narrowed.append(1) or real(*a, **kw))
    first = joint_attack(packs, exact_exposures=False, first_exposures=True)
    assert not narrowed and not first.undecided and first.deferred > 0
    z = {b.target for b in exact.exposed if "Z" in b.target.terms[0].partnerships}
    assert z and not z & {b.target for b in first.exposed}
    assert first.deferred >= len(z)  # Z's counts are among those left for the next round
    assert {b.target for b in first.exposed} == {b.target for b in exact.exposed} - z
    assert first.mip_solves < exact.mip_solves


def test_a_range_already_exposed_is_not_narrowed_when_only_exposure_is_asked():
    """joint._narrow with a stand-in solver: of two targets left open, one's outer range
    is 1..3 (exposed: its whole-number range lies inside) and one's 1..9. Asked only which
    are exposed, only the second is solved (twice: down, then up); asked for exact ranges,
    both are, narrowest first."""
    from audit.disclosure.joint import JointReport, _narrow
    from audit.disclosure.joint_search import SolutionPool

    rows = [np.array([1.0, 0.0]), np.array([0.0, 1.0])]

    class Solver:
        def __init__(self):
            self.asked: list[list[float]] = []

        def minimum(self, objective, seconds, start=None):
            self.asked.append(list(objective))
            return (2.0 if objective.sum() > 0 else -2.0), True

        def whole_solution(self):
            return None

    for exact_exposures, solved in ((False, [[0.0, 1.0], [0.0, -1.0]]),
                                    (True, [[1.0, 0.0], [-1.0, -0.0], [0.0, 1.0],
                                            [0.0, -1.0]])):
        solver = Solver()
        ranges = [("a", 1.0, 3.0, False), ("b", 1.0, 9.0, False)]
        report = JointReport(["p"], K)
        _narrow(solver, rows, ranges, SolutionPool(rows, 2), report, deadline=math.inf,
                seconds=1.0, exact_exposures=exact_exposures)
        assert solver.asked == solved
        assert report.mip_solves == len(solved)
        assert ranges[0] == (("a", 1.0, 3.0, False) if not exact_exposures
                             else ("a", 2.0, 2.0, True))


class _ScriptedSolver:
    """A stand-in for the whole-number solver of ``joint._narrow``: each target's row is a
    unit vector, so an objective names its target and its side (+1 down, -1 up); each solve
    answers from ``script`` ``(value, exact, whole solution or None, clock after)`` (a
    list of them: one a solve, in turn) and records ``(target, side, seconds)``."""

    def __init__(self, names, script, clock=None):
        self.names, self.script, self.clock = names, script, clock
        self.asked: list[tuple[str, float, float]] = []
        self.solution = None

    def minimum(self, objective, seconds=math.inf, start=None):
        (i,) = np.flatnonzero(objective)
        side = float(objective[i])
        self.asked.append((self.names[i], side, seconds))
        answer = self.script[self.names[i], side]
        value, exact, solution, after = answer.pop(0) if isinstance(answer, list) else answer
        self.solution = None if solution is None else np.array(
            [solution.get(n, 0) for n in self.names], dtype=float)
        if after is not None:
            self.clock[0] = after
        return value, exact

    def whole_solution(self):
        return self.solution


def test_narrowing_solves_the_open_finite_ranges_narrowest_first_and_keeps_what_it_learns():
    """joint._narrow with a stand-in solver, k = 5, asked (by default) for exact ranges;
    three targets already certified by the linear step. Ten targets:

    * not narrowed: D (exact already), E (settled already), F (not in the model), G
      (unbounded above);
    * the rest, narrowest first: B (3..6, width 3), C (4..8), H (0..6), A (0..8), I
      (1..10), J (0..12) — not by index, sum or low end.
    * B: down 4.0000001 (to 4: the tolerance) and up 4.9999999 (to 5), both exact: 4..5,
      exact. Its two solutions put H at 0 and 5.
    * C: 4 and 7, exact: 4..7, exact (exposed, but an exact range is what was asked).
    * H: the solutions seen put it 5 = k apart: settled without a solve (certified).
    * A: down 1 (low 1), whose solution puts A at 6 against 0 before: settled after one
      solve, 1..8, not solved up.
    * I: down cut short with no bound (low stays 1), up exact at 9: 1..9, not exact (one
      side was not), not exposed and the solutions 1 apart: cut short.
    * J: down 0, up 12, neither exact, its up solution at 5 against 0: 0..12 not exact, but
      whole solutions 5 apart show it is not exposed: not cut short.
    * L: down 0, up 14, neither exact, every solution at 0: cut short, the second.

    Eleven solves, each with the whole second (no deadline); then I and L, cut short, are
    solved again with ten seconds a side, answering the same: 15 solves; 3 + 2 certified;
    2 cut short."""
    from audit.disclosure.joint import _SETTLED, JointReport, _narrow
    from audit.disclosure.joint_search import SolutionPool

    names = "ABCDEFGHIJL"
    rows = [None if n == "F" else np.eye(len(names))[i] for i, n in enumerate(names)]
    ranges = [("A", 0.0, 8.0, False), ("B", 3.0, 6.0, False), ("C", 4.0, 8.0, False),
              ("D", 1.0, 2.0, True), ("E", 0.0, 30.0, _SETTLED), ("F", 1.0, 3.0, False),
              ("G", 0.0, math.inf, False), ("H", 0.0, 6.0, False), ("I", 1.0, 10.0, False),
              ("J", 0.0, 12.0, False), ("L", 0.0, 14.0, False)]
    first = {"A": 0, "B": 4, "C": 4, "H": 0, "I": 1, "J": 0}
    script = {
        ("B", 1.0): (4 + 1e-7, True, first, None),
        ("B", -1.0): (-(5 - 1e-7), True, {**first, "B": 5, "C": 5, "H": 5, "I": 2}, None),
        ("C", 1.0): (4.0, True, None, None),
        ("C", -1.0): (-7.0, True, None, None),
        ("A", 1.0): (1.0, True, {**first, "A": 6}, None),
        ("I", 1.0): (-math.inf, False, None, None),
        ("I", -1.0): (-9.0, True, None, None),
        ("J", 1.0): (0.0, False, None, None),
        ("J", -1.0): (-12.0, False, {**first, "J": 5}, None),
        ("L", 1.0): (0.0, False, None, None),
        ("L", -1.0): (-14.0, False, None, None),
    }
    solver = _ScriptedSolver(names, script)
    report = JointReport(["p"], K, certified=3)
    _narrow(solver, rows, ranges, SolutionPool(rows, len(names)), report,
            deadline=math.inf, seconds=1.0)
    assert solver.asked == [("B", 1.0, 1.0), ("B", -1.0, 1.0), ("C", 1.0, 1.0),
                            ("C", -1.0, 1.0), ("A", 1.0, 1.0), ("I", 1.0, 1.0),
                            ("I", -1.0, 1.0), ("J", 1.0, 1.0), ("J", -1.0, 1.0),
                            ("L", 1.0, 1.0), ("L", -1.0, 1.0), ("I", 1.0, 10.0),
                            ("I", -1.0, 10.0), ("L", 1.0, 10.0), ("L", -1.0, 10.0)]
    assert ranges == [("A", 1.0, 8.0, _SETTLED), ("B", 4, 5, True), ("C", 4, 7, True),
                      ("D", 1.0, 2.0, True), ("E", 0.0, 30.0, _SETTLED),
                      ("F", 1.0, 3.0, False), ("G", 0.0, math.inf, False),
                      ("H", 0.0, 6.0, _SETTLED), ("I", 1.0, 9, False), ("J", 0.0, 12, False),
                      ("L", 0.0, 14, False)]
    assert [type(r[3]) for r in ranges[1:3]] == [bool, bool]
    assert (report.mip_solves, report.certified, report.cut_short, report.unreached) == (
        15, 5, 2, 0)


def test_a_target_cut_short_is_solved_again_with_longer_solves_within_the_deadline(
        monkeypatch):
    """joint._narrow with a stand-in clock: deadline 10, 1 s a solve, the clock at 2, k = 5.
    P (0..9) and Q (0..12): every first solve is cut short with no bound and ends one
    second later, so both are cut short (clock 6). Second tries, each side given the
    smaller of ten seconds and the target's share of what is left: P min(10, 4 / 2) = 2 s;
    down exact at 3 and up exact at 7 (clock 6.5, 7): 3..7, exact, not cut short. Q
    min(10, 3 / 1) = 3 s; down cut short again (clock 10), up given the 0 s left: still cut
    short. Eight solves, one cut short (was two without the second tries)."""
    from audit.disclosure import joint
    from audit.disclosure.joint import JointReport, _narrow
    from audit.disclosure.joint_search import SolutionPool

    clock = [2.0]
    monkeypatch.setattr(joint, "time", SimpleNamespace(perf_counter=lambda: clock[0]))
    names = "PQ"
    rows = list(np.eye(len(names)))
    ranges = [("P", 0.0, 9.0, False), ("Q", 0.0, 12.0, False)]
    short = (-math.inf, False, None)
    script = {
        ("P", 1.0): [(*short, 3.0), (3.0, True, None, 6.5)],
        ("P", -1.0): [(*short, 4.0), (-7.0, True, None, 7.0)],
        ("Q", 1.0): [(*short, 5.0), (*short, 10.0)],
        ("Q", -1.0): [(*short, 6.0), (*short, 10.0)],
    }
    solver = _ScriptedSolver(names, script, clock)
    report = JointReport(["p"], K)
    _narrow(solver, rows, ranges, SolutionPool(rows, len(names)), report, deadline=10.0,
            seconds=1.0)
    assert solver.asked == [("P", 1.0, 1.0), ("P", -1.0, 1.0), ("Q", 1.0, 1.0),
                            ("Q", -1.0, 1.0), ("P", 1.0, 2.0), ("P", -1.0, 2.0),
                            ("Q", 1.0, 3.0), ("Q", -1.0, 0.0)]
    assert ranges == [("P", 3, 7, True), ("Q", 0.0, 12.0, False)]
    assert (report.mip_solves, report.cut_short, report.unreached) == (8, 1, 0)


def test_narrowing_gives_each_solve_the_time_left_and_counts_what_the_deadline_leaves(
        monkeypatch):
    """joint._narrow with a stand-in clock: deadline 10, 6 s a solve at most, the clock at 2.
    P (0..3) down is given 6 s (8 left) and ends at 6; up, 4 s (4 left), ending at 9.5.
    Q (0..4) down is given the 0.5 s left and ends at 10; up, none (0 s left, not less).
    R (0..9) is reached with 0 s left: not solved. Of R and S (0..12) left, R is unreached;
    S is not, as the solutions of P's solves put it 5 = k apart. Every solve was cut short
    with no bound, so P and Q keep their ranges; both are exposed, so neither is cut short."""
    from audit.disclosure import joint
    from audit.disclosure.joint import JointReport, _narrow
    from audit.disclosure.joint_search import SolutionPool

    clock = [2.0]
    monkeypatch.setattr(joint, "time", SimpleNamespace(perf_counter=lambda: clock[0]))
    names = "QPRS"
    rows = list(np.eye(len(names)))
    ranges = [("Q", 0.0, 4.0, False), ("P", 0.0, 3.0, False), ("R", 0.0, 9.0, False),
              ("S", 0.0, 12.0, False)]
    script = {
        ("P", 1.0): (-math.inf, False, {}, 6.0),
        ("P", -1.0): (-math.inf, False, {"S": 5}, 9.5),
        ("Q", 1.0): (-math.inf, False, None, 10.0),
        ("Q", -1.0): (-math.inf, False, None, None),
    }
    solver = _ScriptedSolver(names, script, clock)
    report = JointReport(["p"], K)
    _narrow(solver, rows, ranges, SolutionPool(rows, len(names)), report, deadline=10.0,
            seconds=6.0)
    assert solver.asked == [("P", 1.0, 6.0), ("P", -1.0, 4.0), ("Q", 1.0, 0.5),
                            ("Q", -1.0, 0.0)]
    assert ranges == [("Q", 0.0, 4.0, False), ("P", 0.0, 3.0, False), ("R", 0.0, 9.0, False),
                      ("S", 0.0, 12.0, False)]
    assert (report.mip_solves, report.certified, report.cut_short, report.unreached) == (
        4, 0, 0, 1)


def test_the_check_of_a_folder_attacks_each_pack_alone_once(tmp_path, monkeypatch):
    """check_packs attacks each pack on its own (check_pack) and then all of them together,
    whose outer bounds include each pack's own ranges: those of the attack just run, not a
    second one (2 s of the benchmark year's 11 s check). Two packs of one name (from two
    folders) are each attacked again, as their ranges cannot be told apart by name."""
    import importlib

    figures_module = importlib.import_module("audit.disclosure.figures")
    joint_module = importlib.import_module("audit.disclosure.joint")
    attacked: list[str] = []

    def counting(module):
        original = module.attack

        def attack(publication, k, **options):
            attacked.append(module.__name__.rsplit(".", 1)[1])
            return original(publication, k, **options)

        monkeypatch.setattr(module, "attack", attack)

    counting(figures_module)
    counting(joint_module)
    folder = write_packs(tmp_path, pool_and_partnerships())
    with pytest.raises(DisclosureError, match=r"X: metrics: domestic_abuse, unknown"):
        check_packs([folder])
    assert attacked == ["figures"] * 3
    attacked.clear()
    import shutil

    shutil.copytree(folder / "X", tmp_path / "again" / "X")
    check_packs([folder / "X", tmp_path / "again" / "X"])  # one pack twice: nothing new
    assert attacked == ["figures", "figures", "joint", "joint"]
