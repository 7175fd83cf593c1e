"""Agreement between two auditors: kappa, AC1, the weak flag (reference values are in
tests/reference, from irrCAC)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from audit.errors import ParameterError
from audit.intake.agreement import (
    AGREEMENT_COLUMNS,
    WEAK_BELOW,
    agreement_table,
    cohen_kappa,
    contingency,
    gwet_ac1,
    strength,
)

YNU = ("yes", "no", "unknown")


def test_kappa_paradox_high_agreement_low_kappa_but_ac1_high() -> None:
    # 10 cases, 9 both "yes", 1 yes/no: 90% agreement
    table = contingency(["yes"] * 10, ["yes"] * 9 + ["no"], YNU)
    assert table.tolist() == [[9, 1, 0], [0, 0, 0], [0, 0, 0]]
    kappa, ac1 = cohen_kappa(table), gwet_ac1(table)
    assert kappa.value == pytest.approx(0.0)  # chance agreement is the whole 90%
    assert ac1.value > 0.85
    assert strength(ac1.value) == "almost perfect"


def test_perfect_agreement_on_one_answer_has_no_kappa_and_ac1_of_one() -> None:
    table = contingency(["no"] * 10, ["no"] * 10, YNU)
    assert math.isnan(cohen_kappa(table).value)
    ac1 = gwet_ac1(table)
    assert ac1.value == 1 and ac1.high == 1 and ac1.low == 1
    assert strength(float("nan")) == "not defined"


def test_intervals_are_within_minus_one_and_one() -> None:
    table = np.array([[1, 4], [4, 1]])
    for coefficient in (cohen_kappa(table), gwet_ac1(table)):
        assert -1 <= coefficient.low <= coefficient.value <= coefficient.high <= 1


def test_bad_tables_and_answers_are_parameter_errors() -> None:
    with pytest.raises(ParameterError):
        cohen_kappa(np.array([[1, 2, 3]]))
    with pytest.raises(ParameterError):
        contingency(["yes"], ["maybe"], YNU)
    with pytest.raises(ParameterError):
        contingency(["yes"], [], YNU)
    with pytest.raises(ParameterError):
        gwet_ac1(np.array([[1, 1], [1, 1]]), level=1.5)


def test_agreement_table_flags_weak_questions_by_ac1() -> None:
    ids = [f"C{i}" for i in range(10)]
    rows = []
    for case in ids:  # the auditors agree on every "seen" answer ...
        rows.append((case, "seen", "yes", "yes"))
    for i, case in enumerate(ids):  # ... and read "contacted" differently half the time
        rows.append((case, "contacted", "yes" if i % 2 else "no", "no" if i % 4 else "yes"))
    pairs = pd.DataFrame(rows, columns=["case_id", "question", "first", "second"])
    table = agreement_table(pairs, {"seen": YNU, "contacted": YNU, "other": YNU})
    assert list(table.columns) == list(AGREEMENT_COLUMNS)
    assert table["question"].tolist() == ["seen", "contacted"]  # "other" was not moderated
    seen, contacted = table.iloc[0], table.iloc[1]
    assert (seen["pairs"], seen["agreed"], seen["agreement"]) == (10, 10, 1.0)
    assert not seen["weak"] and math.isnan(seen["kappa"])
    assert contacted["ac1"] < WEAK_BELOW and contacted["weak"]
    assert contacted["agreed"] == sum(
        (("yes" if i % 2 else "no") == ("no" if i % 4 else "yes")) for i in range(10)
    )


def test_agreement_table_needs_its_columns() -> None:
    with pytest.raises(ParameterError, match="lack"):
        agreement_table(pd.DataFrame({"case_id": []}), {"seen": YNU})
