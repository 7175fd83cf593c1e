"""audit.intake.names: one partnership, one name (issue 21, item 4)."""

from __future__ import annotations

import pandas as pd
import pytest

from audit.intake.names import partnership_key, spelling_problems


@pytest.mark.parametrize("spelling", ["Harbourside", "Harbour side", "HARBOUR-SIDE",
                                      " harbour  side ", "Harbour_side.", "Harbour\u00a0Side"])
def test_spellings_that_differ_only_in_case_spaces_or_punctuation_share_a_key(spelling):
    assert partnership_key(spelling) == "harbourside"


def test_names_that_differ_in_letters_keep_their_own_keys():
    assert len({partnership_key(n) for n in ("Harbourside", "Harbourview", "Eastmere",
                                              "East Mere Two")}) == 4
    assert partnership_key("Saint-Étienne") == "saintétienne"  # letters of any script kept


def test_one_problem_per_partnership_spelt_two_ways_with_files_and_rows():
    alice = pd.Series(["Harbourside"] * 5 + ["Eastmere"], index=range(2, 8))
    carol = pd.Series(["Harbour side", "unknown", "Harbour side", "Eastmere"], index=[2, 3, 6, 9])
    problems = spelling_problems([("alice.csv", alice), ("carol.csv", carol)])
    assert len(problems) == 1
    (problem,) = problems
    assert (problem.row, problem.column, problem.file) == (None, "partnership", None)
    assert problem.message.startswith(
        "'Harbourside' (alice.csv rows 2, 3, 4 and 2 more) and 'Harbour side' (carol.csv "
        "rows 2, 6) differ only in case, spaces or punctuation, so they would be counted as "
        "2 partnerships. If they are one partnership, correct those cells to one spelling "
        "(e.g. 'Harbourside', used in 5 rows)")
    assert spelling_problems([("alice.csv", alice)]) == []
    assert spelling_problems([(None, pd.Series(["", "unknown", "Unknown"]))]) == []
