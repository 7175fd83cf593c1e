"""audit.findings: board sentences quote only what the board table shows."""

from __future__ import annotations

import pandas as pd

from audit.compare import VERDICT_NO_NATIONAL, VERDICT_TOO_FEW
from audit.findings import board_verdicts, caveats, describe_metric, funnel_sentence, is_synthetic


def _row(metric, num, den, unk, rate, lo, hi, nat=None, p=None):
    return {"metric": metric, "numerator": num, "denominator": den, "unknown": unk, "rate": rate,
            "ci_low": lo, "ci_high": hi, "national_numerator": nat,
            "national_denominator": 92 if nat is not None else None,
            "national_rate": nat / 92 if nat is not None else None, "p_value": p}


RAW = pd.DataFrame([
    _row("risk.domestic_abuse", 80, 100, 0, 0.80, 0.711, 0.867, 59, 0.0421),
    _row("risk.care_leaver", 3, 100, 0, 0.03, 0.010, 0.085, 5, 0.48),
    _row("engagement.seen", 30, 100, 0, 0.30, 0.219, 0.395),
])
BOARD = RAW.astype(object).copy()
BOARD.loc[1, ["numerator", "rate", "ci_low", "ci_high", "p_value"]] = "c"


def test_verdicts_follow_the_fisher_p_value_and_suppression():
    words = board_verdicts(RAW, BOARD)
    assert words["risk.domestic_abuse"] == "higher than nationally"     # p = 0.0421 < 0.05
    assert words["risk.care_leaver"].startswith(VERDICT_TOO_FEW)       # suppressed row
    assert words["engagement.seen"] == VERDICT_NO_NATIONAL


def test_sentence_quotes_rate_interval_and_national_figure():
    text = describe_metric("risk.domestic_abuse", RAW, BOARD)
    assert text == ("Domestic abuse: 80.0% (95% CI 71.1% to 86.7%); nationally 64.1% (59 of 92)"
                    " — higher than nationally.")


def test_sentence_for_a_suppressed_metric_gives_no_local_number():
    text = describe_metric("risk.care_leaver", RAW, BOARD)
    assert "suppressed" in text
    assert "3.0%" not in text and " 3 " not in text


def test_funnel_sentence_names_the_biggest_drop():
    funnel = pd.DataFrame({
        "label": ["Father identified", "Father contacted", "Father seen"],
        "previous_flag": [None, "father_identified", "father_contacted"],
        "step_rate": [float("nan"), 0.5, 0.8],
        "drop": [float("nan"), 0.5, 0.2],
    })
    text = funnel_sentence(funnel)
    assert "'Father contacted'" in text and "50.0% were lost" in text


def test_synthetic_data_is_flagged_in_the_caveats():
    class _Data:
        cases = pd.DataFrame({"case_id": ["SYN-A-1", "SYN-A-2"]})

    assert is_synthetic(_Data.cases)
    assert "synthetic" in caveats(_Data(), 5).lower()
    assert not is_synthetic(pd.DataFrame({"case_id": ["SYN-1", "REAL-2"]}))
