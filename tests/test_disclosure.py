"""Disclosure by audience: the board sees every figure, the public sees only what is safe.

The regression tests rebuild each recovery found on the earlier packs (issue 10) and check
it is now impossible; the property test runs random small extracts through the public
protection and attacks the result again from its figures alone.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from audit.contract import FLAG_COLUMNS
from audit.disclosure import Policy, protect
from audit.disclosure.attack import AttackReport, Bounds, attack, pinned
from audit.disclosure.figures import read_figures, write_figures
from audit.disclosure.model import PATTERN, Count, Publication, Rate, term
from audit.disclosure.protect import Protected, _apply, _describe, _rates_for
from audit.disclosure.publication import true_counts
from audit.disclosure.tables import build_publication
from audit.errors import DisclosureError, ParameterError
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
        "numbers. The latest four quarters together are shown instead where they can be."
    ]


def _view(policy: Policy, publication=None, report=None, dropped=()) -> Protected:
    """A protected view holding no tables: what its summary says of its protection."""
    return Protected(policy=policy, place="Testshire", period="2025-Q3",
                     period_label="July to September 2025", source="case extract",
                     partnership=None, synthetic=True, tables={}, nested_steps=True,
                     extract={}, dropped=list(dropped), publication=publication, report=report)


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
    """Which rates figures.csv lists (protect._rates_for), by hand: a rate while every count
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
        _rates_for(publication, Publication(counts=counts, rates=rates))
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
    p = protect(northbridge_quarter, "public")
    hidden_rows = p.metrics[[is_suppressed(n) or is_suppressed(d) for n, d in
                             zip(p.metrics["numerator"], p.metrics["denominator"])]]
    assert len(hidden_rows)
    for column in ("rate", "ci_low", "ci_high", "p_value"):
        assert all(is_suppressed(v) for v in hidden_rows[column]), column


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
    # released again (audit.disclosure.protect._release).
    p = protect(pooled, "public")
    complementary = [c for c in p.publication.counts if c.hidden and not 1 <= c.value <= K]
    assert complementary, "the sample's public pack hides complementary figures"
    assert not any(pinned(p.publication, [c.terms for c in complementary]))
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
