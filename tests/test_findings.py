"""audit.claims.findings: pack sentences quote only what the protected tables show.

The protected tables are written by hand (a ``c`` where a public pack hides a figure), so
these tests check the wording and the rule "a hidden figure is never quoted" without going
through the disclosure machinery; expected sentences are written out in full.
"""

from __future__ import annotations

import pandas as pd
import pytest
from scipy.stats import fisher_exact

from audit.claims.findings import (
    MAX_HEADLINE_BULLETS,
    caveats,
    describe_metric,
    detectable_sentences,
    headline_findings,
    metric_sentences,
    steps_sentence,
    verdict_words,
)
from audit.contract import METRICS_COLUMNS
from audit.disclosure import Policy, Protected
from audit.measures.compare import VERDICT_NO_DIFFERENCE, VERDICT_NO_NATIONAL, VERDICT_TOO_FEW

# Fisher's exact test, computed here with scipy on the like-for-like tables:
# domestic abuse 80 of 100 cases against 59 of 92 nationally; young parent 30 of 100 against
# 30 of 92. p_holm is set by hand to the raw p (a family of one test each, for clarity).
P_DA = fisher_exact([[80, 20], [59, 33]]).pvalue
P_YP = fisher_exact([[30, 70], [30, 62]]).pvalue


def _row(metric, num, den, unk, rate, lo, hi, nat=None, p=None):
    return {"metric": metric, "numerator": num, "denominator": den, "unknown": unk,
            "rate": rate, "ci_low": lo, "ci_high": hi, "national_numerator": nat,
            "national_denominator": 92 if nat is not None else None,
            "national_rate": nat / 92 if nat is not None else None, "p_value": p,
            "p_holm": p}


def _metrics(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(METRICS_COLUMNS))


BOARD_METRICS = _metrics(
    _row("risk.domestic_abuse", 80, 100, 0, 0.80, 0.711, 0.867, 59, P_DA),
    _row("risk.young_parent", 30, 100, 0, 0.30, 0.219, 0.395, 30, P_YP),
    _row("risk.care_leaver", 3, 100, 0, 0.03, 0.010, 0.085, 5, 0.48),
    _row("engagement.identified", 90, 100, 0, 0.90, 0.826, 0.945),
    _row("engagement.contacted", 40, 100, 0, 0.40, 0.309, 0.498),
    _row("engagement.seen", 30, 100, 0, 0.30, 0.219, 0.395),
)
# The public view of the same audit: care leaver's 3 is a small count, hidden with
# everything derived from it.
PUBLIC_METRICS = BOARD_METRICS.astype(object).copy()
PUBLIC_METRICS.loc[2, ["numerator", "rate", "ci_low", "ci_high", "p_value", "p_holm"]] = "c"


def protected(metrics: pd.DataFrame = BOARD_METRICS, *, audience: str = "board",
              nested: bool = True, synthetic: bool = False, cases: int | str = 100,
              dropped: tuple[str, ...] = ()) -> Protected:
    empty = pd.DataFrame()
    return Protected(
        policy=Policy.make(audience), place="Eastmere", period="2025-Q1",
        period_label="2025-Q1", source="extract.csv (case extract)", partnership="Eastmere",
        synthetic=synthetic,
        tables=dict(cases=cases, metrics=metrics, quarterly=empty, spc={}, rolling=empty,
                    funnels={}, risk_counts=None, cooccurrence=None, completeness=empty,
                    steps=None, agreement=None),
        nested_steps=nested, extract={}, dropped=list(dropped))


def test_the_fisher_p_values_behind_the_fixture() -> None:
    # Sanity of the fixture itself: one clear difference, one not.
    assert P_DA < 0.05 < P_YP


def test_verdicts_follow_holm_p_values_and_hidden_rows() -> None:
    words = verdict_words(protected(PUBLIC_METRICS, audience="public"))
    assert words["risk.domestic_abuse"] == "higher than nationally"   # 80% vs 64.1%, p < 0.05
    assert words["risk.young_parent"] == VERDICT_NO_DIFFERENCE
    # a row hidden by disclosure control says so; "too few cases" is for statistical power
    assert words["risk.care_leaver"] == "hidden to protect privacy"
    assert VERDICT_TOO_FEW not in words.values()
    assert words["engagement.seen"] == VERDICT_NO_NATIONAL
    # the board sees the row, and the test's verdict on it: 3 of 100 vs 5 of 92, p = 0.48
    assert verdict_words(protected())["risk.care_leaver"] == VERDICT_NO_DIFFERENCE


def test_sentence_quotes_rate_counts_interval_and_national_figure() -> None:
    text = describe_metric("risk.domestic_abuse", protected())
    assert text == ("Domestic abuse: 80.0%, 80 of 100 cases (95% CI 71.1% to 86.7%); "
                    "nationally 64.1% (59 of 92) — higher than nationally.")
    text = describe_metric("engagement.seen", protected())
    assert text == ("Father seen: 30.0%, 30 of 100 cases (95% CI 21.9% to 39.5%) — "
                    "no national figure to compare with.")


def test_sentence_for_a_hidden_metric_gives_no_local_number() -> None:
    text = describe_metric("risk.care_leaver", protected(PUBLIC_METRICS, audience="public"))
    assert text == ("Care leaver: figure hidden to protect privacy "
                    "(shown as c); nationally 5.4% (5 of 92).")
    assert "3.0%" not in text and " 3 " not in text and "1.0%" not in text
    # the board sees it
    board = describe_metric("risk.care_leaver", protected())
    assert board.startswith("Care leaver: 3.0%, 3 of 100 cases (95% CI 1.0% to 8.5%)")


def test_sentence_for_a_measure_not_recorded_or_with_no_answers() -> None:
    assert describe_metric("risk.impulsivity", protected()) == \
        "Impulsivity: not recorded in this extract."
    none = _metrics(_row("risk.impulsivity", 0, 0, 100, float("nan"), float("nan"),
                         float("nan")))
    assert describe_metric("risk.impulsivity", protected(none)) == \
        "Impulsivity: no case has this recorded as yes or no."


def test_metric_sentences_are_a_list_of_the_ids_present() -> None:
    text = metric_sentences(["risk.young_parent", "risk.impulsivity", "risk.domestic_abuse"],
                            protected())
    lines = text.split("\n")
    assert len(lines) == 2 and all(line.startswith("- ") for line in lines)
    assert lines[0].startswith("- Young parent: 30.0%")
    assert lines[1].startswith("- Domestic abuse: 80.0%")


def test_steps_sentence_names_the_lowest_step() -> None:
    # identified 90%, contacted 40%, seen 30%: the lowest is 'father seen'.
    nested = steps_sentence(protected(nested=True))
    assert nested == ("The lowest of the 3 engagement steps is 'father seen', in 30.0% of the "
                      "cases where it was recorded.")
    loose = steps_sentence(protected(nested=False))
    assert loose.startswith(nested)
    assert "not nested" in loose and "lost between one step and the next" in loose


def test_steps_sentence_when_every_step_is_hidden_or_none_recorded() -> None:
    hidden = BOARD_METRICS.astype(object).copy()
    steps = hidden["metric"].str.startswith("engagement.")
    hidden.loc[steps, ["numerator", "rate", "ci_low", "ci_high"]] = "c"
    assert steps_sentence(protected(hidden, audience="public")) == (
        "The father-engagement figures are hidden to protect privacy.")
    # one step hidden: no step is named the lowest, since the hidden one could be (issue 20)
    one = BOARD_METRICS.astype(object).copy()
    one.loc[one["metric"] == "engagement.contacted", ["numerator", "rate", "ci_low",
                                                      "ci_high"]] = "c"
    text = steps_sentence(protected(one, audience="public"))
    assert text.startswith("Some engagement steps are hidden to protect privacy, so none is "
                           "named the lowest")
    assert "'father seen'" not in text
    risks = BOARD_METRICS[BOARD_METRICS["metric"].str.startswith("risk.")]
    assert steps_sentence(protected(risks)) == \
        "No father-engagement steps are recorded in this extract."


def test_a_verdict_quotes_the_figure_the_test_compared() -> None:
    """A new analyst's trial (7 Dec 2026): a risk factor's verdict is tested as the review
    counted (yes out of every case), so the sentence quotes that figure, not the rate of
    known answers. Domestic abuse 72 yes, 18 no, 10 not known: 72 of 90 known is 80.0%,
    72 of the 100 cases is 72.0%."""
    board = BOARD_METRICS.copy()
    board.loc[0, ["numerator", "denominator", "unknown", "rate"]] = [72, 90, 10, 0.80]
    line = headline_findings(protected(board)).split("\n")[1]
    assert line == ("- **Higher than nationally:** domestic abuse (72.0% of all cases, as the "
                    f"review counted, against 64.1%; adjusted p = {P_DA:.3f}).")
    assert "80.0%" not in headline_findings(protected(board))  # nowhere the known-answer rate


def test_headline_findings_quote_cases_and_directions_only_from_shown_figures() -> None:
    text = headline_findings(protected(PUBLIC_METRICS, audience="public"))
    lines = text.split("\n")
    assert lines[0] == ("- This audit covers **100** babies under one harmed by a father or "
                        "male carer (Eastmere, 2025-Q1).")
    # the difference that survives the adjustment leads, with its adjusted p (issue 20)
    # as the review counted, out of every case (the figure the test compared)
    assert lines[1] == ("- **Higher than nationally:** domestic abuse (80.0% of all cases, as "
                        f"the review counted, against 64.1%; adjusted p = {P_DA:.3f}).")
    assert not any("Lower than nationally" in line for line in lines)
    assert lines[2] == ("- The lowest of the 3 engagement steps is 'father seen', in 30.0% of "
                        "the cases where it was recorded.")
    # one of the review's measures is hidden here, so never "all" (a new analyst's trial)
    assert lines[3].startswith("- On the one other national measure this pack can show (of "
                               "those the national review published), there is no evidence of "
                               "a difference")
    assert len(lines) <= MAX_HEADLINE_BULLETS
    assert "3.0%" not in text and "3 of 100" not in text
    hidden_cases = headline_findings(protected(PUBLIC_METRICS, audience="public", cases="c"))
    assert hidden_cases.startswith("- This audit covers **c** babies")


def test_with_every_compared_figure_hidden_the_headline_says_whose_figures_are_hidden():
    """A public pack that hides every local figure the review's measures are compared on
    says that *its own* figures are hidden: the national figures are printed beside them
    (a partnership's year pack read as a quality lead would)."""
    hidden = PUBLIC_METRICS.copy()
    for i in (0, 1):
        hidden.loc[i, ["numerator", "rate", "ci_low", "ci_high", "p_value", "p_holm"]] = "c"
    text = headline_findings(protected(hidden, audience="public"))
    assert ("- The figures this pack would compare with the national review's are "
            "hidden to protect privacy (shown as c), so none is compared with the national "
            "figures here.") in text.split("\n")
    assert "The figures the national review published are hidden" not in text


def test_a_risk_factor_is_compared_out_of_every_case_beside_a_hidden_known():
    """A public pack that hides a risk factor's "known" (and so its rate of known answers)
    while printing its yes still compares it with the review as the review counted it, yes
    out of every case: a new analyst's pack printed 8 of 19 (42.1%) beside the national 5.4%
    and said "hidden to protect privacy". Expected: Fisher's test on [[8, 11], [5, 87]] by
    scipy, p_holm its own (one test). A measure with no national figure has none to compare
    with, hidden or not."""
    p_cl = fisher_exact([[8, 11], [5, 87]]).pvalue
    assert p_cl < 0.05
    metrics = _metrics(
        _row("risk.care_leaver", 8, "c", "c", "c", "c", "c", 5, p_cl),
        _row("risk.impulsivity", "c", "c", "c", "c", "c", "c"),
        _row("engagement.identified", 15, "c", "c", "c", "c", "c"),
    ).astype(object)
    view = protected(metrics, audience="public", cases=19)
    words = verdict_words(view)
    assert words == {"risk.care_leaver": "higher than nationally",
                     "risk.impulsivity": VERDICT_NO_NATIONAL,
                     "engagement.identified": VERDICT_NO_NATIONAL}
    text = headline_findings(view)
    assert p_cl < 0.001
    assert ("- **Higher than nationally:** care leaver (42.1% of all cases, as the review "
            "counted, against 5.4%; adjusted p < 0.001).") in text.split("\n")
    assert describe_metric("risk.care_leaver", view) == (
        "Care leaver: 42.1% of all cases, as the review counted; nationally 5.4% (5 of 92) — "
        "higher than nationally; its rate of the cases known is hidden to protect privacy "
        "(shown as c).")
    assert metric_sentences(["risk.care_leaver", "risk.impulsivity"], view) == (
        f"- {describe_metric('risk.care_leaver', view)}\n"
        "- Hidden to protect privacy (shown as c): impulsivity.")
    # its yes hidden too: no comparison
    metrics.loc[0, ["numerator", "p_value", "p_holm"]] = "c"
    assert verdict_words(protected(metrics, audience="public", cases=19))[
        "risk.care_leaver"] == "hidden to protect privacy"


def test_a_detectable_difference_never_contradicts_its_own_verdict():
    """A new analyst's board pack: harmed by birth father 8 of 13 (61.5%) against 81 of 92,
    no evidence of a difference after Holm over its 3 comparisons (raw p 0.027, adjusted
    0.080), and beside it "only 61.5% or less would differ" (the bar at 5% alone). The bar is
    now at 5% / 3: by scipy, 7 of 13 (53.8%) is the nearest count with p < 0.05 / 3, and 8
    of 13 is not."""
    p_raw = fisher_exact([[8, 5], [81, 11]]).pvalue
    assert 0.025 < p_raw < 0.05 and 3 * p_raw > 0.05
    assert fisher_exact([[7, 6], [81, 11]]).pvalue < 0.05 / 3 < p_raw
    metrics = _metrics(
        _row("harmed_by.birth_father", 8, 13, 0, 8 / 13, 0.35, 0.82, 81, p_raw),
        _row("harmed_by.another_male_carer", 5, 13, 0, 5 / 13, 0.18, 0.65, 11, p_raw),
        _row("risk.young_parent", 30, 100, 0, 0.30, 0.219, 0.395, 30, P_YP),
        _row("risk.care_leaver", 3, 100, 0, 0.03, 0.010, 0.085, 5, 0.48),
    )
    metrics["p_holm"] = [min(1.0, 3 * p_raw)] * 2 + [min(1.0, 2 * P_YP), 0.96]
    view = protected(metrics)
    assert verdict_words(view)["harmed_by.birth_father"] == VERDICT_NO_DIFFERENCE
    lines = detectable_sentences(["harmed_by.birth_father"], view).split("\n")
    assert lines == ["- Harmed by birth father: With 13 cases, only 53.8% or less would differ "
                     "from the national 88%; no higher figure could (even 13 of 13 would not)."]


def test_a_difference_on_a_field_often_not_known_says_how_often_in_the_same_sentence():
    """A new analyst's summary: "lower than nationally: harmed by birth father (41.7%
    against 88.0%; adjusted p = 0.006)" on a field not known in 8 of its 20 cases (40%, over
    the contract's 10%): the caveat was only in the data-quality section. Young parent, 0 of
    100 not known, carries none; a hidden "not known" is not quoted."""
    metrics = _metrics(
        _row("harmed_by.birth_father", 5, 12, 8, 5 / 12, 0.19, 0.68, 81, 0.006),
        _row("risk.young_parent", 10, 100, 0, 0.10, 0.055, 0.174, 30, 0.0001),
    )
    lines = headline_findings(protected(metrics, cases=100)).split("\n")
    assert ("- **Lower than nationally:** harmed by birth father (41.7% against 88.0%; "
            "adjusted p = 0.006; not known in 8 of 20 cases); young parent (10.0% of all "
            "cases, as the review counted, against 32.6%; adjusted p < 0.001).") in lines
    hidden = metrics.astype(object)
    hidden.loc[0, "unknown"] = "c"
    text = headline_findings(protected(hidden, audience="public", cases=100))
    assert "harmed by birth father (41.7% against 88.0%; adjusted p = 0.006)" in text


def test_headline_says_no_evidence_is_not_evidence_of_sameness() -> None:
    calm = BOARD_METRICS.drop(index=0).reset_index(drop=True)   # no clear difference left
    text = headline_findings(protected(calm))
    # what these numbers could have shown, worked out here by scipy at every count: the
    # nearest local count to the national rate at which Fisher's p falls below 0.05 / 2
    # (the pack's 2 comparisons: the strictest step of Holm's method)
    def nearest_gap(national: int, base: int = 100) -> int:
        rate = national / 92
        found = [abs(x / base - rate) for x in range(base + 1)
                 if fisher_exact([[x, base - x], [national, 92 - national]]).pvalue < 0.025]
        return round(min(found) * 100)
    low, high = sorted((nearest_gap(30), nearest_gap(5)))
    assert ("On all 2 measures the national review published, there is no evidence of a "
            "difference from the national figures: with these numbers of cases only a "
            f"difference of about {low} to {high} percentage points or more could have shown. "
            "That is not evidence that they are the same.") in text


@pytest.mark.parametrize("synthetic", [True, False])
def test_synthetic_data_is_flagged_in_the_caveats(synthetic: bool) -> None:
    text = caveats(protected(synthetic=synthetic))
    assert ("**These are synthetic data**" in text) is synthetic


def test_a_pack_made_before_its_period_ended_says_so_first() -> None:
    """The run sets the day the pack was made (audit run: Protected.made_on); a quarter
    not ended then will change (a new analyst's 2026-Q4 pack of 7 December 2026)."""
    from dataclasses import replace
    from datetime import date

    early = caveats(replace(protected(), period="2025-Q1", made_on=date(2025, 3, 14)))
    assert early.split("\n")[0] == (
        "- **2025-Q1 had not ended when this was made (14 March 2025; it ends 31 March "
        "2025): cases notified or audited later in it will change its figures.**")
    later = caveats(replace(protected(), period="2025-Q1", made_on=date(2025, 4, 1)))
    assert "had not ended" not in later
    assert "had not ended" not in caveats(protected())  # no day given: nothing said


def test_caveats_say_what_each_audience_sees() -> None:
    board = caveats(protected())
    assert "Every figure is shown, small numbers included" in board
    assert "OFFICIAL-SENSITIVE" in board            # the board's marking is quoted
    assert "counts from 1 to" not in board
    public = caveats(protected(PUBLIC_METRICS, audience="public",
                               dropped=("The funnel plot of 'father seen': few cases.",)))
    assert "counts from 1 to 5 are shown as c" in public
    assert "- Left out of this public pack: The funnel plot of 'father seen': few cases." \
        in public
    assert "Every figure is shown" not in public
    for text in (board, public):
        assert "92 serious incident notifications" in text
        assert "Holm's method" in text


def test_measures_allowed_missing_open_the_summary() -> None:
    p = protected()
    p.extract["missing_flags"] = ["domestic_abuse", "father_crying_advice"]
    lines = headline_findings(p).split("\n")
    assert lines[0] == (
        "- **Not recorded in this extract, so left out of every figure:** "
        "Domestic abuse, Father given crying advice (2 measures of 22)."
    )
    assert lines[1].startswith("- This audit covers **100** babies")
    assert not headline_findings(protected()).startswith("- **Not recorded")


def test_no_evidence_is_said_of_the_measures_shown_never_all_when_some_are_not() -> None:
    """Of the review's measures, domestic abuse and young parent shown with no clear
    difference: "all 2" on the board; in a public pack where care leaver is hidden, or left
    out of the pack, only the ones this pack can show (a new analyst read "all" as all the
    review published)."""
    from dataclasses import replace

    calm = BOARD_METRICS.drop(index=0).reset_index(drop=True).astype(object)
    calm.loc[0, "p_holm"] = calm.loc[0, "p_value"] = 0.5  # young parent: no clear difference
    calm.loc[1, "p_holm"] = calm.loc[1, "p_value"] = 0.48
    board = headline_findings(protected(calm))
    assert "On all 2 measures the national review published, there is no evidence" in board
    hidden = calm.copy()
    hidden.loc[1, ["numerator", "rate", "ci_low", "ci_high", "p_value", "p_holm"]] = "c"
    for p in (protected(hidden, audience="public"),
              replace(protected(calm.drop(index=1).reset_index(drop=True), audience="public"),
                      withheld=("risk.care_leaver",))):
        text = headline_findings(p)
        assert "On the one national measure this pack can show (of those the national review " \
               "published), there is no evidence of a difference" in text
        assert "all" not in text.split("On the one national measure")[1].split(".")[0]
