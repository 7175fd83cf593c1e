"""The draft actions section: which measures are listed, in what order, the follow-up of last
quarter's actions, and where the plan goes (HTML, workbook sheet "Actions", slides; never a
public pack).

Every expectation is computed here from the audit's own (analyst) tables — ``data.metrics``,
``data.spc``, ``data.funnels`` — with scipy's Fisher test and statsmodels' Holm adjustment,
not by the code under test.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from scipy.stats import fisher_exact
from statsmodels.stats.multitest import multipletests

from audit.claims.actions import (
    ACTION_COLUMNS,
    FOLLOW_UP_COLUMNS,
    MEASURE_MESSAGES,
    PRACTICE_MESSAGES,
)
from audit.contract import ENGAGEMENT_FUNNEL, METRIC_IDS, flag_metric_id, metric_label
from audit.disclosure import Policy, protect
from audit.intake.sample import generate_extract
from audit.render.section import Text
from audit.sections import NOTEBOOKS, SECTIONS, build_sections
from audit.sections.action_plan import (
    ACTIONS_SHEET,
    FOLLOW_UP_SHEET,
    NOT_PUBLIC,
    actions,
)
from audit.workspace import open_audit

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "pooled_extract.csv"
NATIONAL_CASES = 92  # the review's 92 notifications (contract.md)
PRACTICE = ("engagement.", "sharing.")
LABEL_TO_METRIC = {metric_label(m): m for m in METRIC_IDS}


# ----------------------------------------------------------------- independent expectation


def _national_shortfalls(metrics: pd.DataFrame) -> dict[str, float]:
    """Measures whose like-for-like comparison is "lower than nationally": two-sided Fisher
    (scipy), Holm over the pack's comparisons with the two harmed_by rows one test
    (statsmodels), base at least 10; shortfall = national rate - local rate as counted."""
    m = metrics.set_index("metric")
    rows = [r for r in m.index if pd.notna(m.at[r, "national_rate"])]
    yes = {r: int(m.at[r, "numerator"]) for r in rows}
    base = {r: int(m.at[r, "denominator"]) + (int(m.at[r, "unknown"]) if r.startswith("risk.")
                                              else 0) for r in rows}
    nat = {r: int(m.at[r, "national_numerator"]) for r in rows}
    p = {r: fisher_exact([[yes[r], base[r] - yes[r]], [nat[r], NATIONAL_CASES - nat[r]]])[1]
         for r in rows}
    family = [r for r in rows if r != "harmed_by.another_male_carer"]
    adjusted = dict(zip(family, multipletests([p[r] for r in family], method="holm")[1]))
    if "harmed_by.another_male_carer" in rows:
        adjusted["harmed_by.another_male_carer"] = adjusted["harmed_by.birth_father"]
    out = {}
    for r in rows:
        local, national = yes[r] / base[r], nat[r] / NATIONAL_CASES
        if base[r] >= 10 and adjusted[r] < 0.05 and local < national:
            out[r] = national - local
    return out


def _lowest_step_shortfalls(metrics: pd.DataFrame) -> dict[str, float]:
    """The lowest of the engagement steps of the funnel (every one recorded, none hidden:
    the board's tables), its shortfall the next lowest step's rate minus its own. No 50%
    line: nobody set one (issue 20)."""
    steps = {flag_metric_id(f) for f in ENGAGEMENT_FUNNEL}
    rates = {str(r["metric"]): r["numerator"] / r["denominator"] for _, r in metrics.iterrows()
             if str(r["metric"]) in steps and r["denominator"] > 0}
    if len(rates) < 2:
        return {}
    low = min(rates.values())
    lowest = [m for m, r in rates.items() if r == low]
    others = [r for m, r in rates.items() if m not in lowest]
    return {m: (min(others) if others else low) - low for m in lowest}


def _funnel_shortfalls(funnels: dict[str, pd.DataFrame]) -> dict[str, float]:
    """A partnership below the lower 95% limit (the 99.8% limit is lower still)."""
    out: dict[str, float] = {}
    for metric, table in funnels.items():
        for _, row in table.iterrows():
            rate = row["numerator"] / row["denominator"] if row["denominator"] else math.nan
            if rate < row["lower_95"]:
                out[metric] = max(out.get(metric, 0.0), row["lower_95"] - rate)
    return out


def _falling_shortfalls(spc: dict[str, pd.DataFrame]) -> dict[str, float]:
    """Latest quarter below its 3-sigma lower limit, or the last of 7 or more in a row
    strictly below the average, once 12 quarters are charted (Making Data Count)."""
    out = {}
    for metric, chart in spc.items():
        if not metric.startswith(PRACTICE) or len(chart) < 12:
            continue
        num, den = chart["numerator"].astype(float), chart["denominator"].astype(float)
        centre = num.sum() / den[den > 0].sum()
        rates = (num / den).tolist()
        last, n = rates[-1], den.iloc[-1]
        lower = max(0.0, centre - 3 * math.sqrt(centre * (1 - centre) / n))
        run = len(rates) >= 7 and all(r < centre for r in rates[-7:])
        if last < lower or run:
            out[metric] = centre - last
    return out


def expected_plan(data, *, history_rules_only: bool = False,
                  metrics: pd.DataFrame | None = None) -> list[tuple[str, float]]:
    """(metric, shortfall) of every measure meeting the documented rules, furthest short
    first, ties in the contract's order; only measures with a practice message."""
    metrics = data.metrics if metrics is None else metrics
    found: dict[str, float] = defaultdict(float)
    parts = [_national_shortfalls(metrics), _lowest_step_shortfalls(metrics)]
    if not history_rules_only:
        parts += [_funnel_shortfalls(data.funnels), _falling_shortfalls(data.spc)]
    for part in parts:
        for metric, shortfall in part.items():
            found[metric] = max(found[metric], shortfall)
    listed = [(m, s) for m, s in found.items() if m in MEASURE_MESSAGES]
    return sorted(listed, key=lambda ms: (-round(ms[1], 12), METRIC_IDS.index(ms[0])))


def _percent(rate: float) -> str:
    return f"{Decimal(repr(float(rate) * 100)).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def _table(section, sheet):
    found = [t for t in section.tables if t.sheet == sheet]
    return found[0] if found else None


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def pooled():
    data = open_audit(SAMPLE)
    return data, actions(protect(data, "board"), data.history)


@pytest.fixture(scope="module")
def crafted(tmp_path_factory):
    """14 quarters of one partnership where 'father seen' drops to none in the latest
    quarter (a special cause below the average) and domestic abuse is recorded far less
    often than nationally (verdict 'lower than nationally')."""
    frame = generate_extract(560, seed=5, partnerships=("Northbridge",), quarters=14,
                             start="2021-04-01")
    dates = pd.to_datetime(frame["notification_date"])
    latest = dates >= pd.Timestamp("2024-07-01")
    assert latest.sum() > 20
    frame.loc[latest, "father_seen"] = "No"
    frame.loc[frame.index % 5 != 0, "domestic_abuse"] = "No"
    path = tmp_path_factory.mktemp("crafted") / "crafted.csv"
    frame.to_csv(path, index=False)
    data = open_audit(path, period="2024-Q3")
    return data, actions(protect(data, "board"), data.history)


# ------------------------------------------------------------------------------ the plan


def test_the_plan_is_a_table_on_the_actions_sheet_with_blank_owner_and_date(pooled):
    _, section = pooled
    assert (section.key, section.title) == ("actions", "Draft actions for the board")
    table = _table(section, ACTIONS_SHEET)
    assert list(table.frame.columns) == list(ACTION_COLUMNS)
    assert (table.frame["Owner"] == "").all() and (table.frame["By when"] == "").all()
    assert table.formats["Current value"] == "percent"


@pytest.mark.parametrize("fixture", ["pooled", "crafted"])
def test_listed_measures_and_order_follow_the_documented_rules(fixture, request):
    data, section = request.getfixturevalue(fixture)
    table = _table(section, ACTIONS_SHEET)
    listed = [LABEL_TO_METRIC[label] for label in table.frame["Measure to watch"]]
    assert listed == [m for m, _ in expected_plan(data)]


def test_the_pooled_sample_lists_the_lowest_step_and_names_the_partnership_below_the_funnel(
        pooled):
    data, section = pooled
    frame = _table(section, ACTIONS_SHEET).frame.set_index("Measure to watch")
    low = _lowest_step_shortfalls(data.metrics)
    funnel = _funnel_shortfalls(data.funnels)
    assert len(low) == 1 and set(low) <= {LABEL_TO_METRIC[x] for x in frame.index}
    lowest = frame.at[metric_label(next(iter(low))), "Finding"]
    assert "the lowest engagement step, a rank not a test (next lowest" in lowest
    assert not any("expected" in f or "50.0%" in f for f in frame["Finding"])
    assert set(funnel) == {"engagement.seen", "engagement.contacted"}  # Eastmere, both
    for metric in funnel:
        finding = frame.at[metric_label(metric), "Finding"]
        assert re.search(r"^[^:]+: [\d.]+% across the partnerships, .*Eastmere \([\d.]+%; "
                         r"lower [\d.]+% limit [\d.]+%\) below the lower funnel limit", finding)
    for label, row in frame.iterrows():
        metric = LABEL_TO_METRIC[label]
        m = data.metrics.set_index("metric").loc[metric]
        assert row["Current value"] == pytest.approx(m["numerator"] / m["denominator"])
        assert row["Practice message"] == "\n".join(
            PRACTICE_MESSAGES[i].message for i in MEASURE_MESSAGES[metric])


@pytest.mark.parametrize("fixture", ["pooled", "crafted"])
def test_the_intro_names_only_the_reasons_found(fixture, request):
    """The plan's first sentence says why its measures are there, and no other reason."""
    from audit.claims.actions import REASONS
    from audit.sections.action_plan import _INTRO_REASONS

    _, section = request.getfixturevalue(fixture)
    intro = next(b.text for b in section.blocks if isinstance(b, Text))
    findings = " ".join(_table(section, ACTIONS_SHEET).frame["Finding"])
    assert set(_INTRO_REASONS) == set(REASONS)
    for reason, words in _INTRO_REASONS.items():
        found = any(w.split("(")[0].strip() in findings for w in REASONS[reason])
        assert (words in intro) == found, (reason, intro)


def test_national_shortfall_and_fall_are_found_and_said(crafted):
    data, section = crafted
    frame = _table(section, ACTIONS_SHEET).frame.set_index("Measure to watch")
    assert set(_national_shortfalls(data.metrics)) == {"risk.domestic_abuse"}
    assert set(_falling_shortfalls(data.spc)) == {"engagement.seen"}
    da = data.metrics.set_index("metric").loc["risk.domestic_abuse"]
    as_counted = da["numerator"] / (da["denominator"] + da["unknown"])
    row = frame.loc["Domestic abuse"]
    assert row["Current value"] == pytest.approx(as_counted)
    assert row["Finding"] == (f"Domestic abuse: {_percent(as_counted)}, short of the "
                              "national figure (64.1%)")
    chart = data.spc["engagement.seen"]
    centre = chart["numerator"].sum() / chart["denominator"].sum()
    assert f"falling (from {_percent(centre)})" in frame.loc["Father seen", "Finding"]


def test_falling_and_low_never_list_a_risk_factor(crafted):
    data, section = crafted
    listed = {LABEL_TO_METRIC[x] for x in _table(section, ACTIONS_SHEET).frame["Measure to watch"]}
    risks = {m for m in listed if m.startswith("risk.")}
    assert risks == set(_national_shortfalls(data.metrics)) & set(MEASURE_MESSAGES)


def test_the_section_reads_the_protected_tables(tmp_path):
    """Swap the board's protected metrics for a copy where 'father identified' is low: the
    plan follows the protected table, not ``data.metrics``."""
    data = open_audit(SAMPLE, period="2025")
    policy = Policy.make("board")
    p = protect(data, policy)
    metrics = p.metrics.copy()
    row = metrics["metric"] == "engagement.identified"
    metrics.loc[row, "rate"] = 0.10
    view = dataclasses.replace(p, tables={**p.tables, "metrics": metrics})
    listed = list(_table(actions(view, data.history), ACTIONS_SHEET).frame["Measure to watch"])
    assert "Father identified" in listed
    assert "engagement.identified" not in dict(expected_plan(data))


# ----------------------------------------------------------------------------- follow-up


@pytest.fixture(scope="module")
def followed():
    q2 = open_audit(SAMPLE, period="2025-Q2", partnership="Northbridge")
    history = q2.metrics[["metric", "numerator", "denominator", "unknown"]].assign(
        period="2025-Q2", partnership="Northbridge")
    data = open_audit(SAMPLE, period="2025-Q3", partnership="Northbridge", history=history)
    return q2, data, actions(protect(data, "board"), data.history)


def test_follow_up_lists_last_quarters_actions_and_whether_they_moved(followed):
    q2, data, section = followed
    table = _table(section, FOLLOW_UP_SHEET)
    assert table is not None and list(table.frame.columns) == list(FOLLOW_UP_COLUMNS)
    previous = [m for m, _ in expected_plan(q2, history_rules_only=True)]
    assert previous  # the sample's 2025-Q2 has low steps
    assert [LABEL_TO_METRIC[x] for x in table.frame["Measure to watch"]] == previous
    then = q2.metrics.set_index("metric")
    now = data.metrics.set_index("metric")
    for _, row in table.frame.iterrows():
        metric = LABEL_TO_METRIC[row["Measure to watch"]]
        n0, d0 = int(then.at[metric, "numerator"]), int(then.at[metric, "denominator"])
        n1, d1 = int(now.at[metric, "numerator"]), int(now.at[metric, "denominator"])
        a, b = _percent(n0 / d0), _percent(n1 / d1)
        words = (f"no change ({b})" if a == b else
                 f"up from {a} to {b}" if n1 / d1 > n0 / d0 else f"down from {a} to {b}")
        assert row["Movement"] == words
        p = fisher_exact([[n0, d0 - n0], [n1, d1 - n1]])[1]
        assert row["Beyond chance"] == ("Yes" if p < 0.05 else "No")
        assert row["Since"] == "2025-Q2 to 2025-Q3"
    # a measure chosen for being low comes back up by chance alone: the board is told so,
    # beside "Beyond chance" (a new analyst's Q4 credited a rise to the action)
    texts = [b.text for b in section.blocks if isinstance(b, Text)]
    assert any("regression to the mean" in t and "moved by more than chance" in t
               for t in texts), texts


def test_no_history_no_follow_up(pooled):
    data, section = pooled
    assert _table(section, FOLLOW_UP_SHEET) is None
    assert any("history" in b.text for b in section.blocks if hasattr(b, "text"))


def test_history_without_an_earlier_quarter_gives_no_follow_up(followed):
    q2, _, _ = followed
    history = q2.metrics[["metric", "numerator", "denominator", "unknown"]].assign(
        period="2025-Q3")  # the same quarter only: nothing earlier
    data = open_audit(SAMPLE, period="2025-Q3", partnership="Northbridge", history=history)
    assert _table(actions(protect(data, "board"), data.history), FOLLOW_UP_SHEET) is None


# ---------------------------------------------------------------- audiences and the pack


def test_public_packs_leave_the_plan_out(pooled):
    _, board = pooled
    # one partnership's quarter: a public view protected in 1 s, not the pooled sample's 9 s
    data = open_audit(SAMPLE, period="2025-Q3", partnership="Northbridge")
    section = actions(protect(data, "public"), data.history)
    assert [b.text for b in section.blocks] == [NOT_PUBLIC]
    assert not section.tables
    public_keys = [spec.key for spec in SECTIONS if "public" in spec.audiences]
    assert "actions" not in public_keys
    # the board pack ends with the plan, which the same data gives it as a table
    board_keys = [spec.key for spec in SECTIONS if "board" in spec.audiences]
    assert board_keys[-1] == "actions" and board.tables


def test_registry_runs_the_actions_notebook(tmp_path):
    from audit.run.notebooks import check_notebooks, notebooks_dir

    assert SECTIONS[-1].key == "actions" and "actions" in NOTEBOOKS
    folder = notebooks_dir()
    check_notebooks(folder)
    notebook = json.loads((folder / "actions.ipynb").read_text(encoding="utf-8"))
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)
    assert "parameters" in code[0]["metadata"].get("tags", [])
    sources = ["".join(c["source"]) for c in code]
    assert sources[-1].strip() == "audit.sections.actions(audit.protect(data, audience), data.history)"


@pytest.mark.usefixtures("charts_not_drawn")  # words, files and codes: not pictures
def test_the_pack_carries_the_plan_in_its_workbook_and_slides(pooled, tmp_path):
    from pptx import Presentation

    from audit.run.pack import write_pack

    data, _ = pooled
    policy = Policy.make("board")
    view = protect(data, policy)
    sections = build_sections(view, data.history)
    written = {p.name for p in write_pack(tmp_path, view, sections)}
    assert {"board-pack.html", "board-pack.xlsx", "board-pack.pptx"} <= written
    sheet = load_workbook(tmp_path / "board-pack.xlsx")[ACTIONS_SHEET]
    header = [c.value for c in sheet[3]]
    assert header == list(ACTION_COLUMNS)
    plan = expected_plan(data)
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert [r[header.index("Measure to watch")] for r in rows] == \
        [metric_label(m) for m, _ in plan]
    assert all(r[header.index("Owner")] is None and r[header.index("By when")] is None
               for r in rows)
    assert 'id="actions"' in (tmp_path / "board-pack.html").read_text(encoding="utf-8")
    titles = [s.shapes.title.text_frame.text for s in
              Presentation(str(tmp_path / "board-pack.pptx")).slides]
    assert any(t.startswith("Draft actions for the board") for t in titles)


def test_docs_list_every_measure_and_its_messages():
    """docs/actions.md's mapping table says what MEASURE_MESSAGES says, row for row."""
    text = (ROOT / "docs" / "actions.md").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[1].startswith("`"):
            rows[cells[1].strip("`")] = cells[2]
    assert rows == {m: "; ".join(PRACTICE_MESSAGES[i].title for i in ids)
                    for m, ids in MEASURE_MESSAGES.items()}
    for message in PRACTICE_MESSAGES.values():
        assert message.message in text and message.action in text
