"""The outsider of tests/series_attacker.py, who reads only the published ``figures.csv``
files and works in whole numbers without the tool's attack (issue 22).

First it must find what it should: issue 22's four recipes (the hand-made packs of
tests/test_joint_attack.py, written as a pack writes them), with the ranges worked out by
hand in that file's docstrings — wide for each pack alone, the hidden count recovered
together. Then, on packs the tool protects, it must find nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.disclosure.figures import write_figures
from series_attacker import attack_series, exposed
from test_joint_attack import (
    next_quarter_packs,
    pool_and_partnerships,
    rounded_average_pack,
    year_minus_quarters_packs,
)


def _written(parent: Path, packs) -> list[Path]:
    """Each pack's ``figures.csv``, as a pack writes it, in ``parent / <its name>``."""
    folders = []
    for figures in packs:
        folder = parent / figures.name
        folder.mkdir(parents=True, exist_ok=True)
        write_figures(folder / "figures.csv", figures.publication, figures.threshold)
        folders.append(folder)
    return folders


def _range(ranges, pack: str, table: str, row: str, column: str) -> tuple[int, int | None]:
    (found,) = [(r.low, r.high) for r in ranges
                if (r.pack, r.table, r.row, r.column) == (pack, table, row, column)]
    return found


def test_pool_minus_partnerships(tmp_path):
    """X alone: unknown in 1..8; with the pool (10) and Y (7): 3."""
    folders = _written(tmp_path, pool_and_partnerships())
    alone = attack_series(folders[2:], exact=True)
    assert _range(alone, "X", "metrics", "domestic_abuse", "unknown") == (1, 8)
    assert exposed(alone) == []
    together = attack_series(folders, exact=True)
    assert _range(together, "X", "metrics", "domestic_abuse", "unknown") == (3, 3)
    assert exposed(together) == ["X: metrics domestic_abuse unknown: 3..3"]
    # and so its "yes" is 16 - 7 - 3 = 6: pinned, but not a small count
    assert _range(together, "X", "metrics", "domestic_abuse", "numerator") == (6, 6)


def test_year_minus_quarters(tmp_path):
    """Q2 alone: unknown in 1..9; with the year (9) and Q1 (6): 3."""
    folders = _written(tmp_path, year_minus_quarters_packs())
    assert _range(attack_series(folders[2:], exact=True), "Q2", "metrics", "domestic_abuse",
                  "unknown") == (1, 9)
    assert _range(attack_series(folders, exact=True), "Q2", "metrics", "domestic_abuse",
                  "unknown") == (3, 3)


def test_a_rounded_average_in_whole_numbers(tmp_path):
    """One pack: 65.7% over Q1+Q2 leaves one whole solution, unknown 1 and yes 13 (the
    linear relaxation would allow unknown up to 15)."""
    ranges = attack_series(_written(tmp_path, [rounded_average_pack()]), exact=True)
    assert _range(ranges, "Q2", "metrics", "domestic_abuse", "unknown") == (1, 1)
    assert _range(ranges, "Q2", "metrics", "domestic_abuse", "numerator") == (13, 13)
    assert _range(ranges, "Q2", "metrics", "domestic_abuse", "denominator") == (18, 18)


def test_next_quarters_rolling_total_and_the_last_average(tmp_path):
    """Q4 alone: yes in 1..12; with Q3's average (37.8% of 45 known is 17): 22 - 17 = 5."""
    folders = _written(tmp_path, next_quarter_packs())
    assert _range(attack_series(folders[1:], exact=True), "Q4", "metrics", "domestic_abuse",
                  "numerator") == (1, 12)
    assert _range(attack_series(folders, exact=True), "Q4", "metrics", "domestic_abuse",
                  "numerator") == (5, 5)


def test_a_hidden_count_with_no_upper_end_is_said_so(tmp_path):
    """The year prints 9 unknown over Q1+Q2 and nothing else; Q1's pack hides its own:
    at least 1, and at most 9 (the year's), while Q1's hidden "yes" (no cases printed for
    Q1) has no upper end at all."""
    from audit.disclosure.joint import PackFigures
    from audit.disclosure.model import CASES, Count, Publication, term

    both, q1 = ["2025-Q1", "2025-Q2"], ["2025-Q1"]
    categories = {CASES: ("all",), "domestic_abuse": ("yes", "no", "unknown")}
    year = Publication(pack_partnerships=frozenset(["X"]), pack_quarters=frozenset(both),
                       categories=categories)
    year.counts.append(Count("metrics", "domestic_abuse", "unknown",
                             (term("domestic_abuse", "unknown", ["X"], both),), 9, False))
    quarter = Publication(pack_partnerships=frozenset(["X"]), pack_quarters=frozenset(q1),
                          categories=categories)
    for column, category in (("unknown", "unknown"), ("numerator", "yes")):
        quarter.counts.append(Count("metrics", "domestic_abuse", column,
                                    (term("domestic_abuse", category, ["X"], q1),), None, True))
    ranges = attack_series(_written(tmp_path, [PackFigures("year", year, 5),
                                               PackFigures("Q1", quarter, 5)]), exact=True)
    assert _range(ranges, "Q1", "metrics", "domestic_abuse", "unknown") == (1, 9)
    assert _range(ranges, "Q1", "metrics", "domestic_abuse", "numerator") == (1, None)
    assert exposed(ranges) == []


@pytest.mark.parametrize("k", [5, 10])
def test_exposed_is_a_range_narrower_than_k_reaching_into_1_to_k(k):
    """The tool's bar: 1..k (k values) is exposed, 1..k+1 is not; so is a range from k, not
    one wholly above k, at 0 or without an upper end; a range seen in other counts'
    solutions (not exact) is at least k wide by construction."""
    from series_attacker import HiddenRange

    def r(low, high, exact=True):
        return HiddenRange("P", "t", "r", "c", low, high, exact)

    ranges = [r(1, k + 1), r(1, k), r(k, 2 * k - 1), r(k + 1, k + 1), r(0, 0), r(1, None),
              r(1, k, exact=False)]
    assert exposed(ranges, k) == [f"P: t r c: 1..{k}", f"P: t r c: {k}..{2 * k - 1}"]


# ------------------------------------------------------------------- packs the tool made


def test_quarters_protected_alone_give_counts_away_together_and_protected_in_turn_do_not(
        tmp_path):
    """Four quarters of one partnership (60 cases, generator seed 2). Each protected
    alone, each pack alone keeps every hidden count 5 values wide or more in whole numbers,
    but read together the trend tables repeat earlier quarters and small counts come back
    (the attacker has power on real packs). Protected in turn, each with the ones published
    before it (as the publication ledger does), the packs published give nothing away
    together."""
    from audit.disclosure import protect
    from audit.disclosure.joint import PackFigures
    from audit.errors import DisclosureError
    from audit.intake.sample import generate_extract
    from audit.workspace import open_audit

    path = tmp_path / "quarters.csv"
    generate_extract(60, seed=2, partnerships=("Northbridge",), quarters=4).to_csv(
        path, index=False)
    quarters = sorted(open_audit(path).quarters)
    assert len(quarters) == 4

    alone = _written(tmp_path / "alone", [
        PackFigures(q, protect(open_audit(path, period=q), "public").publication, 5)
        for q in quarters])
    for folder in alone:
        assert exposed(attack_series([folder])) == [], folder.name
    assert exposed(attack_series(alone))  # e.g. Q2's "father seen" unknown: 3..3

    published: list[PackFigures] = []
    for q in quarters:
        try:
            view = protect(open_audit(path, period=q), "public", earlier=published)
        except DisclosureError:
            continue  # refused: audit run would write nothing
        published.append(PackFigures(q, view.publication, 5))
    assert len(published) >= 2
    assert exposed(attack_series(_written(tmp_path / "in-turn", published))) == []
