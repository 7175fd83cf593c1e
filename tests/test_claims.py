"""audit.claims: change only with a test for change, ranks only over the whole set shown,
reasons that are true (issue 20). Expected p-values are computed here from the formula of
R's prop.trend.test (checked against R's own output in tests/reference)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from audit.claims import ALPHA, FEW_CASES, change_claims, lowest_step, most_common_risk
from audit.contract import ENGAGEMENT_FUNNEL, RISK_FLAGS, flag_metric_id


def quarterly(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    """(period, metric, numerator, denominator) -> a protected quarterly table."""
    frame = pd.DataFrame(rows, columns=["period", "metric", "numerator", "denominator"])
    frame["rate"] = frame["numerator"] / frame["denominator"]
    return frame


def trend_p(x: list[int], n: list[int], score: list[int]) -> float:
    """Cochran-Armitage by its textbook formula (Armitage 1955), independently of the suite."""
    x_, n_, s_ = map(np.asarray, (x, n, score))
    p = x_.sum() / n_.sum()
    a = (x_ * s_).sum() - x_.sum() * (n_ * s_).sum() / n_.sum()
    b = p * (1 - p) * ((n_ * s_**2).sum() - (n_ * s_).sum() ** 2 / n_.sum())
    return float(stats.chi2.sf(a * a / b, 1))


def test_a_one_point_rise_over_two_quarters_is_not_called_a_rise():
    """Issue 20: 'Father contacted rose from 56% in 2025-Q2 to 57% in 2025-Q3' from 40 and
    35 cases, intervals overlapping almost entirely."""
    table = quarterly([("2025-Q2", "engagement.contacted", 22, 39),
                       ("2025-Q3", "engagement.contacted", 19, 33)])
    claims, _ = change_claims(table, ["engagement.contacted"])
    claim = claims["engagement.contacted"]
    assert claim.kind == "no_change" and "rose" not in claim.text
    expected = trend_p([22, 19], [39, 33], [0, 1])
    assert claim.p_value == pytest.approx(expected) and expected > ALPHA
    assert claim.text == (
        "Father contacted: 56% of the cases where it was recorded in 2025-Q2, 58% in 2025-Q3; "
        "these 2 quarters show no "
        f"clear change (test for trend, p = {expected:.2f})")


def test_a_quarter_of_one_case_carries_no_claim():
    """Issue 20: one case dated a year early made 'fell from 100% in 2024-Q3 to 56%'."""
    table = quarterly([("2024-Q3", "engagement.contacted", 1, 1),
                       ("2025-Q3", "engagement.contacted", 19, 34)])
    claims, few = change_claims(table, ["engagement.contacted"])
    assert few["engagement.contacted"] == ("2024-Q3",)
    claim = claims["engagement.contacted"]
    assert claim.kind == "figure" and "fell" not in claim.text and "100%" not in claim.text
    assert claim.text == ("Father contacted in 56% of the cases where it was recorded in 2025-Q3; "
                          "one quarter is not a "
                          "trend")


def test_a_real_change_is_called_with_its_adjusted_test():
    rising = [("2024-Q1", 4, 40), ("2024-Q2", 8, 40), ("2024-Q3", 14, 40), ("2024-Q4", 20, 40),
              ("2025-Q1", 24, 40)]
    flat = [(q, 20, 40) for q, _, _ in rising]
    table = quarterly([(q, "engagement.seen", x, n) for q, x, n in rising]
                      + [(q, "risk.domestic_abuse", x, n) for q, x, n in flat])
    claims, _ = change_claims(table, ["engagement.seen", "risk.domestic_abuse"])
    seen = claims["engagement.seen"]
    raw = trend_p([4, 8, 14, 20, 24], [40] * 5, [0, 1, 2, 3, 4])
    assert seen.kind == "change" and seen.p_value == pytest.approx(raw)
    # Holm over the two measures charted together: the smaller p is doubled
    assert seen.p_adjusted == pytest.approx(min(1.0, 2 * raw))
    assert seen.text == ("Father seen rose over 5 quarters, from 10% in 2024-Q1 to 60% in "
                         "2025-Q1 (test for trend, adjusted p < 0.001)")
    assert claims["risk.domestic_abuse"].kind == "no_change"


def test_quarters_are_scored_on_a_real_time_axis():
    """A gap of a year counts as a year: the test's scores are quarter numbers."""
    table = quarterly([("2024-Q1", "engagement.seen", 10, 40), ("2024-Q2", "engagement.seen", 12,
                       40), ("2025-Q2", "engagement.seen", 25, 40)])
    claim = change_claims(table, ["engagement.seen"])[0]["engagement.seen"]
    assert claim.p_value == pytest.approx(trend_p([10, 12, 25], [40] * 3, [0, 1, 5]))
    assert claim.p_value != pytest.approx(trend_p([10, 12, 25], [40] * 3, [0, 1, 2]))


def test_hidden_quarters_are_never_quoted():
    table = quarterly([("2025-Q1", "engagement.seen", 12, 40), ("2025-Q2", "engagement.seen", 3,
                       30), ("2025-Q3", "engagement.seen", 15, 41)]).astype(object)
    table.loc[1, ["numerator", "rate"]] = "c"
    claim = change_claims(table, ["engagement.seen"])[0]["engagement.seen"]
    assert claim.figures == ("2025-Q1", "2025-Q3") and "10%" not in claim.text
    every = table.copy()
    every["rate"] = "c"
    claim = change_claims(every, ["engagement.seen"])[0]["engagement.seen"]
    assert claim.kind == "none" and claim.text == (
        "Father seen: quarterly figures hidden to protect privacy")


def steps(rates: dict[str, float | str]) -> pd.DataFrame:
    rows = []
    for flag in ENGAGEMENT_FUNNEL:
        metric = flag_metric_id(flag)
        rows.append({"metric": metric, "rate": rates.get(metric, 0.5)})
    return pd.DataFrame(rows)


def test_the_lowest_step_names_the_engagement_questions_that_are_not_steps():
    """A new analyst's trial (7 Dec 2026): 'the lowest of the 7 engagement steps is father in
    plan (36.0%)' beside a table where father's views recorded is 34.8%. Views recorded,
    antenatal contacts and crying advice are engagement questions but not steps, so the
    claim says so where the pack shows them."""
    metrics = steps({"engagement.in_plan": 0.36})
    others = pd.DataFrame({"metric": ["engagement.views_recorded", "engagement.crying_advice"],
                           "rate": [0.348, 0.115]})
    claim = lowest_step(pd.concat([metrics, others], ignore_index=True))
    assert claim is not None and claim.figures == ("engagement.in_plan",)
    assert claim.text == (
        "The lowest of the 7 engagement steps is 'father in plan', in 36.0% of the cases where "
        "it was recorded ('father's views recorded' and 'father given crying advice' are not "
        "steps)")
    one = pd.concat([metrics, others.iloc[:1]], ignore_index=True)
    assert lowest_step(one).text.endswith("('father's views recorded' is not a step)")
    # a hidden non-step does not stop the rank: it is not in the set ranked
    hidden = pd.concat([metrics, others.assign(rate=["c", 0.115])], ignore_index=True)
    assert lowest_step(hidden).figures == ("engagement.in_plan",)


def test_the_lowest_step_is_over_every_step_and_never_over_a_hidden_one():
    metrics = steps({"engagement.seen": 0.38, "engagement.in_plan": 0.18})
    claim = lowest_step(metrics)
    assert claim is not None and claim.figures == ("engagement.in_plan",)
    assert claim.text == ("The lowest of the 7 engagement steps is 'father in plan', in 18.0% "
                          "of the cases where it was recorded")
    # issue 20: 'Lowest step: father seen (43%)' while 'in plan' (18%) was hidden
    hidden = steps({"engagement.seen": 0.43, "engagement.in_plan": "c"})
    assert lowest_step(hidden) is None
    # the same set for the bullet and the chart: the title needs what the claim rests on
    assert claim.title_for(list(metrics["metric"])) == claim.text
    assert claim.title_for(["engagement.seen"]) is None


def test_the_most_common_risk_factor_is_true_over_the_whole_set():
    rows = [{"metric": flag_metric_id(f), "rate": 0.2 + 0.01 * i} for i, f in
            enumerate(RISK_FLAGS)]
    metrics = pd.DataFrame(rows).astype(object)
    claim = most_common_risk(metrics)
    assert claim is not None and claim.figures == (flag_metric_id(RISK_FLAGS[-1]),)
    # issue 20: "External pressures was the most common" while domestic abuse was hidden
    metrics.loc[0, "rate"] = "c"
    assert most_common_risk(metrics) is None


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_no_claim_is_false_against_the_full_figures(data):
    """Random quarterly tables (1-12 quarters, some hidden): a change is claimed only where
    the independent test passes Holm, in its direction; a rank only when nothing is hidden
    and the named member is the true extreme; no hidden quarter is quoted."""
    n_quarters = data.draw(st.integers(1, 12))
    start = data.draw(st.integers(2018 * 4, 2025 * 4))
    used = sorted(data.draw(st.sets(st.integers(0, 14), min_size=n_quarters,
                                    max_size=n_quarters)))
    metrics = ["engagement.seen", "engagement.contacted"]
    rows, hidden = [], set()
    for metric in metrics:
        for offset in used:
            q = start + offset
            n = data.draw(st.integers(0, 40))
            x = data.draw(st.integers(0, n))
            label = f"{q // 4}-Q{q % 4 + 1}"
            rows.append((label, metric, x, n))
            if n and data.draw(st.booleans()) and data.draw(st.booleans()):
                hidden.add((label, metric))
    table = quarterly(rows).astype(object)
    for i, (label, metric, _x, _n) in enumerate(rows):
        if (label, metric) in hidden:
            table.loc[i, ["numerator", "rate"]] = "c"
    claims, few = change_claims(table, metrics)
    raw = {}
    for metric in metrics:
        usable = [(lab, x, n) for lab, m, x, n in rows
                  if m == metric and (lab, m) not in hidden and n >= FEW_CASES]
        if len(usable) >= 2:
            xs, ns = [u[1] for u in usable], [u[2] for u in usable]
            score = [int(u[0][:4]) * 4 + int(u[0][-1]) for u in usable]
            pooled = sum(xs) / sum(ns)
            raw[metric] = 1.0 if pooled in (0, 1) else trend_p(xs, ns, score)
        claim = claims[metric]
        for lab, m, _x, _n in rows:
            if m == metric and (lab, m) in hidden:
                assert lab not in claim.figures
    ordered = sorted(raw, key=raw.get)
    holm, running = {}, 0.0
    for i, metric in enumerate(ordered):
        running = max(running, min(1.0, (len(ordered) - i) * raw[metric]))
        holm[metric] = running
    for metric in metrics:
        claim = claims[metric]
        changed = any(word in claim.text for word in (" rose ", " fell "))
        if metric in holm:
            assert claim.p_adjusted == pytest.approx(holm[metric], abs=1e-9)
            assert changed == (holm[metric] < ALPHA and claim.kind == "change")
        else:
            assert not changed and claim.kind in ("figure", "none")
        assert not math.isnan(claim.p_adjusted or 0.0)


def test_partnerships_outside_the_limits_are_counted_of_those_shown():
    """Issue 20: 'N partnerships outside the limits' over every figure of the set; with one
    hidden, the count is of the partnerships shown (the hidden one could be outside too)."""
    from audit.claims import funnel_claim

    rows = [("Ashby", 10, 40, True, True), ("Brook", 30, 40, True, True),
            ("Carrow", 20, 40, False, False), ("Dunmere", "c", 4, "c", "c")]
    table = pd.DataFrame(
        [{"partnership": name, "metric": "engagement.seen", "numerator": x,
          "denominator": n, "rate": x / n if x != "c" else "c", "target": 0.5,
          "lower_95": 0.35, "lower_99_8": 0.3, "outside_95": o95, "outside_99_8": o998}
         for name, x, n, o95, o998 in rows]).astype(object)
    claim = funnel_claim(table)
    assert claim.text == ("2 of the 3 shown partnerships outside the 99.8% limits for father "
                          "seen")
    assert claim.figures == ("Ashby", "Brook")
    board = table.iloc[:3]
    assert funnel_claim(board).text == "2 partnerships outside the 99.8% limits for father seen"


@pytest.mark.parametrize(("p", "printed"), [
    (0.2, "p = 0.20"),
    (0.0504, "p = 0.05"),       # not below 0.05, and printed so
    (0.0496, "p = 0.0496"),     # below 0.05: "p = 0.05" beside a "rose" would not earn it
    (0.04996, "p = 0.04996"),
    (0.049, "p = 0.049"),
    (0.0049, "p = 0.005"),
    (0.0004, "p < 0.001"),
])
def test_a_p_value_is_printed_on_its_own_side_of_alpha(p, printed):
    """Found by test_claims_packs: "rose ... (test for trend, adjusted p = 0.05)" for an
    adjusted p of 0.0496. The printed p now falls on the same side of 0.05 as the p."""
    from audit.claims import p_text

    assert ALPHA == 0.05
    assert p_text(p) == printed
