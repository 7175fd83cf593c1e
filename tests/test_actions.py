"""audit.claims.actions: practice messages as data, the draft action table and last quarter's follow-up.

Expected values are written out by hand; the Fisher exact p-values in the follow-up are
summed here from hypergeometric probabilities with math.comb, not taken from scipy.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from audit.claims.actions import (
    ACTION_COLUMNS,
    FOLLOW_UP_COLUMNS,
    MEASURE_MESSAGES,
    PRACTICE_MESSAGES,
    REASONS,
    action_table,
    follow_up,
    messages_for,
)
from audit.contract import ENGAGEMENT_FLAGS, METRIC_IDS, SHARING_FLAGS, flag_metric_id
from audit.errors import ParameterError

NAN = float("nan")


# ----------------------------------------------------------------- messages as data


def test_the_ten_practice_messages_of_the_review():
    assert list(PRACTICE_MESSAGES) == [
        "active_enquiries", "direct_contact", "see_him", "know_history",
        "include_in_assessment_and_plan", "record_his_views", "reachable_moment_antenatal",
        "crying_advice", "share_health_information", "link_adult_services"]
    for key, message in PRACTICE_MESSAGES.items():
        assert message.id == key
        assert message.title and message.message.endswith((".", "?"))
        assert message.action.endswith(".")


def test_every_engagement_and_sharing_measure_points_to_a_message():
    for flag in (*ENGAGEMENT_FLAGS, *SHARING_FLAGS):
        assert MEASURE_MESSAGES.get(flag_metric_id(flag)), flag


def test_every_message_is_used_and_every_mapping_is_valid():
    used = {i for ids in MEASURE_MESSAGES.values() for i in ids}
    assert used == set(PRACTICE_MESSAGES)
    assert set(MEASURE_MESSAGES) <= set(METRIC_IDS)
    assert all(len(set(ids)) == len(ids) for ids in MEASURE_MESSAGES.values())


def test_messages_for_a_measure():
    assert [m.id for m in messages_for("engagement.seen")] == ["see_him"]
    assert [m.id for m in messages_for("risk.domestic_abuse")] == ["know_history",
                                                                    "link_adult_services"]
    assert [m.id for m in messages_for("engagement.history_checked")] == ["know_history"]
    assert [m.id for m in messages_for("engagement.crying_advice")] == ["crying_advice"]
    assert messages_for("harmed_by.birth_father") == ()
    with pytest.raises(ParameterError):
        messages_for("engagement.nonsense")


# -------------------------------------------------------------------- action table


def _findings(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["metric", "rate", "reason", "shortfall", "comparator"])


def test_action_table_orders_by_shortfall_and_states_each_finding():
    findings = _findings(
        ("engagement.seen", 0.31, "below_national", 0.21, 0.52),
        ("engagement.seen", 0.31, "falling", 0.13, 0.44),
        ("risk.domestic_abuse", 0.40, "below_national", 0.2413, 0.6413),
        ("engagement.in_plan", 0.5, "below_funnel", 0.02, 0.52),
        ("harmed_by.birth_father", 0.5, "below_national", 0.38, 0.88),  # no message: left out
    )
    table = action_table(findings)
    assert list(table.columns) == list(ACTION_COLUMNS)
    assert table.index.name == "metric"
    # 0.2413 (domestic abuse) > 0.21 (the larger of father seen's two) > 0.02.
    assert list(table.index) == ["risk.domestic_abuse", "engagement.seen", "engagement.in_plan"]
    assert table.at["engagement.seen", "Finding"] == (
        "Father seen: 31.0%, short of the national figure (52.0%) and falling (from 44.0%)")
    assert table.at["risk.domestic_abuse", "Finding"] == (
        "Domestic abuse: 40.0%, short of the national figure (64.1%)")
    assert table.at["engagement.in_plan", "Finding"] == (
        "Father in plan: 50.0%, below the lower funnel limit (52.0%)")
    seen = PRACTICE_MESSAGES["see_him"]
    assert table.at["engagement.seen", "Practice message"] == seen.message
    assert table.at["engagement.seen", "Suggested action"] == seen.action
    history, adult = PRACTICE_MESSAGES["know_history"], PRACTICE_MESSAGES["link_adult_services"]
    assert table.at["risk.domestic_abuse", "Practice message"] == (
        history.message + "\n" + adult.message)
    assert table.at["risk.domestic_abuse", "Suggested action"] == (
        history.action + "\n" + adult.action)
    assert list(table["Measure to watch"]) == ["Domestic abuse", "Father seen", "Father in plan"]
    assert list(table["Current value"]) == [0.40, 0.31, 0.5]
    assert (table["Owner"] == "").all() and (table["By when"] == "").all()


def test_every_reason_is_worded_with_and_without_its_comparator():
    rows = [("engagement.seen", 0.25, reason, 0.1, 0.4) for reason in REASONS]
    table = action_table(_findings(*rows))
    assert table.at["engagement.seen", "Finding"] == (
        "Father seen: 25.0%, short of the national figure (40.0%), below the lower funnel "
        "limit (40.0%), falling (from 40.0%), below the target the board set (40.0%) and "
        "the lowest engagement step, a rank not a test (next lowest 40.0%)")
    assert "expected" not in table.at["engagement.seen", "Finding"]  # no invented standard
    bare = action_table(pd.DataFrame({"metric": ["engagement.contacted"], "rate": [0.2],
                                      "reason": ["below_target"], "shortfall": [0.1]}))
    assert bare.at["engagement.contacted", "Finding"] == (
        "Father contacted: 20.0%, below the board's target")


def test_a_hidden_figure_stays_hidden():
    table = action_table(_findings(("engagement.seen", "c", "below_national", 0.1, 0.52),
                                   ("engagement.contacted", 0.3, "falling", 0.05, "c")))
    assert table.at["engagement.seen", "Finding"] == (
        "Father seen: c, short of the national figure (52.0%)")
    assert table.at["engagement.seen", "Current value"] == "c"
    assert table.at["engagement.contacted", "Finding"] == (
        "Father contacted: 30.0%, falling (from c)")


def test_ties_keep_the_contract_order_of_measures():
    table = action_table(_findings(
        ("sharing.adult_services_linked", 0.2, "below_target", 0.1, NAN),
        ("engagement.crying_advice", 0.2, "below_target", 0.1, NAN),
        ("engagement.identified", 0.2, "below_target", 0.1, NAN)))
    assert list(table.index) == ["engagement.identified", "engagement.crying_advice",
                                 "sharing.adult_services_linked"]


def test_no_findings_no_actions():
    table = action_table(_findings())
    assert table.empty and list(table.columns) == list(ACTION_COLUMNS)


@pytest.mark.parametrize("findings, words", [
    (pd.DataFrame({"metric": ["engagement.seen"], "rate": [0.2], "reason": ["low"]}),
     "shortfall"),
    (_findings(("engagement.sen", 0.2, "below_target", 0.1, NAN)), "unknown metric"),
    (_findings(("engagement.seen", 0.2, "worse", 0.1, NAN)), "unknown reason"),
    (_findings(("engagement.seen", 0.2, "below_target", -0.1, NAN)), "0 or more"),
    (_findings(("engagement.seen", 0.2, "below_target", NAN, NAN)), "0 or more"),
])
def test_unusable_findings_are_parameter_errors(findings, words):
    with pytest.raises(ParameterError, match=words):
        action_table(findings)


# ------------------------------------------------------------------------- follow-up


def _fisher_two_sided(a: int, b: int, c: int, d: int) -> float:
    """Fisher's exact test by hand: the sum of the probabilities of every table with the
    same margins that is no more likely than the one observed."""
    row1, col1, n = a + b, a + c, a + b + c + d
    def prob(x: int) -> float:
        return math.comb(col1, x) * math.comb(n - col1, row1 - x) / math.comb(n, row1)
    observed = prob(a)
    low, high = max(0, row1 - (n - col1)), min(row1, col1)
    return sum(p for x in range(low, high + 1) if (p := prob(x)) <= observed * (1 + 1e-7))


def _history(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["partnership", "period", "metric", "numerator",
                                       "denominator", "rate"]).assign(
        rate=lambda f: f["numerator"] / f["denominator"])


HISTORY = _history(
    ("Harbourside", "2025-Q1", "engagement.seen", 1, 10, None),
    ("Harbourside", "2025-Q2", "engagement.seen", 13, 42, None),
    ("Harbourside", "2025-Q3", "engagement.seen", 20, 45, None),
    ("Harbourside", "2025-Q2", "engagement.contacted", 30, 40, None),
    ("Harbourside", "2025-Q3", "engagement.contacted", 2, 40, None),
    ("Harbourside", "2025-Q2", "risk.domestic_abuse", 10, 25, None),
    ("Harbourside", "2025-Q3", "risk.domestic_abuse", 10, 25, None),
    ("Harbourside", "2025-Q2", "engagement.in_plan", 5, 10, None),
    ("Harbourside", "2025-Q3", "engagement.crying_advice", 3, 9, None),
    ("Harbourside", "2024", "engagement.seen", 40, 50, None),  # a year: not a quarter's peer
)


def _previous() -> pd.DataFrame:
    return action_table(_findings(
        ("engagement.seen", 13 / 42, "below_national", 0.2, 0.52),
        ("engagement.contacted", 0.75, "below_target", 0.1, 0.85),
        ("risk.domestic_abuse", 0.4, "below_national", 0.24, 0.64),
        ("engagement.in_plan", 0.5, "below_target", 0.05, 0.55),
        ("engagement.crying_advice", 0.2, "below_target", 0.01, 0.21)))


def test_follow_up_says_whether_each_measure_moved():
    table = follow_up(_previous(), HISTORY)
    assert list(table.columns) == list(FOLLOW_UP_COLUMNS)
    assert list(table.index) == list(_previous().index)  # the plan's order
    movement = table["Movement"].to_dict()
    assert movement == {
        "engagement.seen": "up from 31.0% to 44.4%",       # 13/42 -> 20/45
        "engagement.contacted": "down from 75.0% to 5.0%",  # 30/40 -> 2/40
        "risk.domestic_abuse": "no change (40.0%)",
        "engagement.in_plan": "no figure this quarter",
        "engagement.crying_advice": "no figure last quarter",
    }
    assert set(table["Since"]) == {"2025-Q2 to 2025-Q3"}
    assert table.at["engagement.seen", "Finding"] == _previous().at["engagement.seen", "Finding"]
    assert table.at["engagement.seen", "Measure to watch"] == "Father seen"


def test_beyond_chance_is_a_two_sided_fisher_test_of_the_two_quarters():
    p_seen = _fisher_two_sided(13, 29, 20, 25)
    p_contacted = _fisher_two_sided(30, 10, 2, 38)
    assert p_seen > 0.05 and p_contacted < 0.001  # worked out above by hand
    table = follow_up(_previous(), HISTORY)
    assert table["Beyond chance"].to_dict() == {
        "engagement.seen": "No", "engagement.contacted": "Yes", "risk.domestic_abuse": "No",
        "engagement.in_plan": "", "engagement.crying_advice": ""}


def test_follow_up_of_an_earlier_quarter_and_of_years():
    table = follow_up(_previous(), HISTORY, period="2025-Q2")
    assert table.at["engagement.seen", "Movement"] == "up from 10.0% to 31.0%"  # Q1 -> Q2
    assert table.at["engagement.seen", "Since"] == "2025-Q1 to 2025-Q2"
    years = pd.concat([HISTORY, _history(("Harbourside", "2025", "engagement.seen", 30, 50,
                                          None))])
    table = follow_up(_previous(), years, period="2025")
    assert table.at["engagement.seen", "Movement"] == "down from 80.0% to 60.0%"
    assert table.at["engagement.seen", "Since"] == "2024 to 2025"


def test_follow_up_picks_one_partnership():
    pooled = pd.concat([HISTORY, _history(
        ("Northmoor", "2025-Q2", "engagement.seen", 1, 2, None),
        ("Northmoor", "2025-Q3", "engagement.seen", 2, 2, None))])
    with pytest.raises(ParameterError, match="2 partnerships"):
        follow_up(_previous(), pooled)
    table = follow_up(_previous(), pooled, partnership="  harbourSIDE ")
    assert table.at["engagement.seen", "Movement"] == "up from 31.0% to 44.4%"
    table = follow_up(_previous(), pooled, partnership="Northmoor")
    assert table.at["engagement.seen", "Movement"] == "up from 50.0% to 100.0%"
    assert table.at["engagement.contacted", "Movement"] == "no figure this quarter"
    with pytest.raises(ParameterError, match="no rows"):
        follow_up(_previous(), pooled, partnership="Elsewhere")


def test_follow_up_accepts_a_metric_column_and_refuses_bad_input():
    actions = _previous().reset_index()
    assert follow_up(actions, HISTORY).index.tolist() == _previous().index.tolist()
    with pytest.raises(ParameterError, match="denominator"):
        follow_up(actions, HISTORY.drop(columns="denominator"))
    with pytest.raises(ParameterError, match="no figures"):
        follow_up(actions, HISTORY, period="2026-Q1")
    with pytest.raises(ParameterError, match="empty"):
        follow_up(actions, HISTORY.iloc[0:0])
    with pytest.raises(ParameterError, match="neither a quarter"):
        follow_up(actions, HISTORY.assign(period="last spring"))
