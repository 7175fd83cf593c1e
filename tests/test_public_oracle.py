"""Public packs read as a reader reads them, judged by an oracle that knows nothing of
:mod:`audit.disclosure` (tests/public_oracle.py), on extracts made at the edges of the
rules: exactly k cases, a "0 of 3" quarter and partnership, a hidden quarter beyond its
limits, a funnel point on a clipped limit (issue 24; the mutants each of these kills are in
benchmarks/mutation.md).

Each pack is built through the command line (``audit run --audience public``), in process.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import pytest

from audit import cli
from public_oracle import (
    HIDDEN,
    as_count,
    as_rate,
    check_beside_hidden,
    check_holm,
    check_limits,
    check_listed,
    check_rows,
    check_small_counts,
    problems,
    read_pack,
)

K = 5
_DATES = {"Q1": "02-10", "Q2": "05-10", "Q3": "08-10", "Q4": "11-10"}


def _write(path: Path, rows: list[dict]) -> Path:
    """A contract extract: the required columns filled, the rows' own flags as given."""
    base = {"harmed_by": "birth_father", "known_to": "universal", "child_age_months": 3}
    records = [{"case_id": f"SYN-O-{i:05d}", **base, **row} for i, row in enumerate(rows, 1)]
    columns = list(dict.fromkeys(c for r in records for c in r))
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, restval="unknown")
        writer.writeheader()
        writer.writerows(records)
    return path


def _cases(n: int, quarter: str, **flags: str) -> list[dict]:
    """``n`` cases notified in ``quarter`` (``"2024-Q3"``) with ``flags``."""
    year, q = quarter.split("-")
    return [{"notification_date": f"{year}-{_DATES[q]}", **flags} for _ in range(n)]


def _run(extract: Path, out: Path, capsys) -> tuple[int, str]:
    code = cli.main(["run", str(extract), "--audience", "public", "--suppress-max", str(K),
                     "--allow-missing", "all", "--no-history", "--alone", "--out", str(out)])
    return code, capsys.readouterr().err


def _pack_scope(fixture_name: str, config: pytest.Config) -> str:
    """Each pack is built once a session; under mutmut (which sets ``MUTANT_UNDER_TEST``,
    to ``stats`` while it maps each test to the functions it reaches) once a test, so that
    every test reading a pack reaches the protect functions that built it and mutmut runs
    their mutants against it (benchmarks/mutation.md: otherwise only the first test to ask
    for a pack is mapped)."""
    return "function" if os.environ.get("MUTANT_UNDER_TEST") else "session"


def _build(tmp_path_factory, name: str, rows: list[dict]) -> Path:
    folder = tmp_path_factory.mktemp(name)
    out = folder / "pack"
    code = cli.main(["run", str(_write(folder / "extract.csv", rows)), "--audience", "public",
                     "--suppress-max", str(K), "--allow-missing", "all", "--no-history",
                     "--alone", "--out", str(out)])
    assert code == 0
    return out


def _table(pack, where: str, caption_start: str):
    found = [t for t in pack.tables if t.where == where and t.caption.startswith(caption_start)]
    assert len(found) == 1, [t.caption for t in pack.tables if t.where == where]
    return found[0]


def _row(table, *first: str) -> dict:
    rows = [r for r in table.rows if [str(v) for v in r[:len(first)]] == list(first)]
    assert len(rows) == 1, (first, table.rows)
    return dict(zip(table.header, rows[0]))


# ------------------------------------------------------------------ packs at the edges


@pytest.fixture(scope=_pack_scope)
def zero_of_three_pack(tmp_path_factory) -> Path:
    """Partnerships A, B, D and E in the seven quarters 2023-Q1 to 2024-Q4 but 2024-Q3, 18
    to 32 cases each (father seen in 6 to 14); partnership C has 3 cases, all in 2024-Q3,
    father not seen: 2024-Q3 and C are both "0 of 3"."""
    rows: list[dict] = []
    quarters = [f"{y}-Q{q}" for y in (2023, 2024) for q in (1, 2, 3, 4) if (y, q) != (2024, 3)]
    for pi, partnership in enumerate(("A", "B", "D", "E")):
        for qi, quarter in enumerate(quarters):
            seen, not_seen = 6 + (pi * 5 + qi * 3) % 9, 12 + (pi * 7 + qi * 5) % 11
            rows += _cases(seen, quarter, partnership=partnership, father_seen="yes")
            rows += _cases(not_seen, quarter, partnership=partnership, father_seen="no")
    rows += _cases(3, "2024-Q3", partnership="C", father_seen="no")
    return _build(tmp_path_factory, "zero-of-three", rows)


@pytest.fixture(scope=_pack_scope)
def hidden_outlier_pack(tmp_path_factory) -> Path:
    """Twelve quarters (2022-Q1 to 2024-Q4, enough for control limits) of 30 cases, father
    seen in 12 of 30, except 2023-Q3: 2 of 30; then 2025-Q1, 0 of 8. The average is
    134/368 = 0.364; its lower 3-sigma limit at n = 30 is 0.364 - 3 sqrt(0.364 x 0.636 /
    30) = 0.100, so 2023-Q3 (0.067) is beyond it — and hidden, its numerator being 2. At
    n = 8 the lower limit, 0.364 - 3 sqrt(0.364 x 0.636 / 8) < 0, is clipped to 0: 2025-Q1
    (0%, printed) is on it, not below it."""
    rows: list[dict] = []
    for year in ("2022", "2023", "2024"):
        for q in ("Q1", "Q2", "Q3", "Q4"):
            seen = 2 if (year, q) == ("2023", "Q3") else 12
            rows += _cases(seen, f"{year}-{q}", father_seen="yes")
            rows += _cases(30 - seen, f"{year}-{q}", father_seen="no")
    rows += _cases(8, "2025-Q1", father_seen="no")
    return _build(tmp_path_factory, "hidden-outlier", rows)


@pytest.fixture(scope=_pack_scope)
def clipped_limit_pack(tmp_path_factory) -> Path:
    """Father seen in 10 of 10 cases in A and 80 of 90 in B: the pooled target is 90/100 =
    90%, and A's upper funnel limits at n = 10 are clipped to 100% (a 90% target's exact
    binomial 95% upper limit, (r + 1 - alpha)/n with r = 10, is above 1) — A is on them,
    not above."""
    rows = (_cases(10, "2024-Q1", partnership="A", father_seen="yes")
            + _cases(80, "2024-Q1", partnership="B", father_seen="yes")
            + _cases(10, "2024-Q1", partnership="B", father_seen="no"))
    return _build(tmp_path_factory, "clipped-limit", rows)


@pytest.fixture(scope=_pack_scope)
def small_public_pack(tmp_path_factory) -> Path:
    """A small generated extract (120 cases, seed 5, two partnerships, four quarters)
    published: measures hidden whole, measures whose unknown alone is hidden, p-values
    printed and hidden."""
    from audit.intake.sample import generate_extract

    folder = tmp_path_factory.mktemp("oracle-small")
    path = folder / "small.csv"
    generate_extract(120, seed=5, partnerships=("Northbridge", "Eastmere"),
                     quarters=4).to_csv(path, index=False)
    out = folder / "pack"
    assert cli.main(["run", str(path), "--audience", "public", "--suppress-max", str(K),
                     "--no-history", "--alone", "--out", str(out)]) == 0
    return out


# ------------------------------------------------------------------ exactly k cases


@pytest.mark.parametrize("cases", [K, K - 1])
def test_k_or_fewer_cases_are_refused_not_published(tmp_path, capsys, cases):
    extract = _write(tmp_path / "x.csv", _cases(cases, "2024-Q1", father_seen="yes"))
    code, err = _run(extract, tmp_path / "pack", capsys)
    assert code == 2
    assert "too few to publish" in err
    assert not (tmp_path / "pack").exists()


# ------------------------------------------------------------------ "0 of 3"


def test_zero_of_three_pack_passes_the_oracle(zero_of_three_pack):
    assert problems(zero_of_three_pack) == []


def test_a_zero_of_three_quarter_prints_neither_its_3_nor_a_rate(zero_of_three_pack):
    pack = read_pack(zero_of_three_pack)
    for where in ("page", "workbook:Trend Father seen"):
        table = _table(pack, where, "Father seen: the figures behind the charts")
        q3 = _row(table, "2024-Q3")
        assert as_count(q3["Cases (yes)"]) == 0          # a true zero is printed
        assert q3["Of cases known"] == HIDDEN
        for column in ("Percentage", "95% CI lower", "95% CI upper"):
            assert q3[column] == HIDDEN, (where, column)
    assert pack.counts[("quarterly", "2024-Q3|engagement.seen", "denominator")] == HIDDEN
    assert ("quarterly", "2024-Q3|engagement.seen", "rate") not in pack.rates
    # nor do the charts' words: the trend chart and the p-chart (page and slides) say it is
    # suppressed (the p-chart hides a quarter on either count, not only its numerator)
    said = [text for _, text in pack.texts if "2024-Q3" in text]
    assert any("around an average" in text and "2024-Q3: suppressed" in text for text in said)
    assert not [text for text in said if re.search(r"2024-Q3: \d", text)]


def test_a_zero_of_three_partnership_prints_neither_its_3_nor_a_position(zero_of_three_pack):
    pack = read_pack(zero_of_three_pack)
    for where in ("page", "workbook:Partnerships"):
        table = _table(pack, where, "Partnerships against the funnel limits")
        c = _row(table, "C", "Father seen")
        assert as_count(c["Cases (yes)"]) == 0
        for column in ("Of cases known", "Percentage", "Against the funnel limits"):
            assert c[column] == HIDDEN, (where, column)
    assert pack.counts[("partnerships", "C|engagement.seen", "denominator")] == HIDDEN


def test_public_holm_is_over_the_printed_p_values_only(small_public_pack):
    pack = read_pack(small_public_pack)
    metrics = _table(pack, "workbook:Metrics", "Every measure")
    p_at, holm_at = metrics.header.index("p_value"), metrics.header.index("p_holm")
    hidden = [r for r in metrics.rows if r[p_at] == HIDDEN]
    shown = {str(r[0]): (float(r[p_at]), r[holm_at]) for r in metrics.rows
             if isinstance(r[p_at], (int, float))}
    assert len(hidden) >= 2 and len(shown) >= 5
    # Holm by hand over the printed p-values (harmed_by's two rows are one test): the
    # i-th smallest of m tests is multiplied by m - i + 1, then made non-decreasing
    test_of = {metric: "harmed_by" if metric.startswith("harmed_by.") else metric
               for metric in shown}
    raw: dict[str, float] = {}
    for metric, (p, _) in shown.items():
        raw[test_of[metric]] = max(p, raw.get(test_of[metric], 0.0))
    m, running, expected = len(raw), 0.0, {}
    for i, test in enumerate(sorted(raw, key=raw.__getitem__)):
        running = max(running, min(1.0, (m - i) * raw[test]))
        expected[test] = running
    for metric, (_, adjusted) in shown.items():
        assert adjusted == pytest.approx(expected[test_of[metric]], rel=1e-9), metric
    assert check_holm(pack) == []


# ------------------------------------------------------------------ a hidden outlier


def test_hidden_outlier_pack_passes_the_oracle(hidden_outlier_pack):
    assert problems(hidden_outlier_pack) == []


def test_a_hidden_quarter_beyond_its_limits_is_not_said_to_be_outside(hidden_outlier_pack):
    pack = read_pack(hidden_outlier_pack)
    table = _table(pack, "page", "Father seen: the figures behind the charts")
    assert len(table.rows) == 13
    q = _row(table, "2023-Q3")
    assert q["Cases (yes)"] == HIDDEN and q["Percentage"] == HIDDEN
    said = [text for _, text in pack.texts if "2023-Q3" in text]
    assert any("2023-Q3: suppressed" in text for text in said)   # the chart's alt text
    for text in said:
        assert "outside the limits in 2023-Q3" not in text
        assert "below the lower limit" not in text


def test_a_quarter_on_a_clipped_lower_limit_is_not_below_it(hidden_outlier_pack):
    pack = read_pack(hidden_outlier_pack)
    table = _table(pack, "page", "Father seen: the figures behind the charts")
    q = _row(table, "2025-Q1")
    assert as_count(q["Cases (yes)"]) == 0 and as_count(q["Of cases known"]) == 8
    assert as_rate(q["Percentage"]) == 0.0
    spc = [text for where, text in pack.texts if where == "page alt text" and "p-chart" in text]
    assert spc, [text[:80] for where, text in pack.texts if where == "page alt text"]
    for text in spc:
        assert "2025-Q1 (below" not in text
        assert "outside the limits in 2025-Q1" not in text


# ------------------------------------------------------------------ a mostly hidden table


@pytest.fixture(scope=_pack_scope)
def mostly_hidden_pack(tmp_path_factory) -> Path:
    """Two quarters of 40 cases (father seen 17 and 23), then four of 5 cases (3 seen):
    the four small quarters' 8 counts are hidden, 8 of the table's 12 — a table mostly of
    ``c``, left out of the pack rather than printed."""
    rows: list[dict] = []
    for quarter, seen in (("2023-Q1", 17), ("2023-Q2", 23)):
        rows += _cases(seen, quarter, father_seen="yes") + _cases(40 - seen, quarter,
                                                                   father_seen="no")
    for quarter in ("2023-Q3", "2023-Q4", "2024-Q1", "2024-Q2"):
        rows += _cases(3, quarter, father_seen="yes") + _cases(2, quarter, father_seen="no")
    return _build(tmp_path_factory, "mostly-hidden", rows)


def test_a_table_mostly_hidden_is_left_out_and_said_so(mostly_hidden_pack):
    assert problems(mostly_hidden_pack) == []
    pack = read_pack(mostly_hidden_pack)
    assert not [t for t in pack.tables if t.caption.startswith("Father seen: the figures")]
    dropped = pack.manifest["disclosure"]["figures_dropped"]
    assert any("quarter-by-quarter charts of 'father seen'" in d for d in dropped)
    assert not any(k[0] == "quarterly" for k in pack.counts)


# ------------------------------------------------------------------ a measure hidden whole


@pytest.fixture(scope=_pack_scope)
def hidden_whole_pack(tmp_path_factory) -> Path:
    """30 cases in 2024-Q1, father seen in 15; care leaver yes in 3, no in 24, not known in
    3; father in plan yes in 2, no in 25, not known in 3; health shared information yes in
    3, no in 24, not known in 3 (each of the two sharing questions so). The 3 (or 2) yes and
    the 3 not known are hidden, and so is each 27 known: with the 30 cases printed it would
    give the 3 not known away. Each of those measures is hidden whole: nothing of it but
    ``c``."""
    rows = [
        {
            "notification_date": "2024-02-10",
            "father_seen": "yes" if i < 15 else "no",
            "care_leaver": "yes" if i < 3 else "no" if i < 27 else "unknown",
            "father_in_plan": "yes" if i < 2 else "no" if i < 27 else "unknown",
            "info_shared_health": "yes" if i < 3 else "no" if i < 27 else "unknown",
            "adult_services_linked": "yes" if i < 3 else "no" if i < 27 else "unknown",
        }
        for i in range(30)
    ]
    return _build(tmp_path_factory, "hidden-whole", rows)


_HIDDEN_WHOLE = {  # label: (workbook sheet, the table's caption starts)
    "Care leaver": ("Risk factors", "Risk factors: local figures"),
    "Father in plan": ("Father engagement", "Father engagement: each practice question"),
    "Health shared information": ("Information sharing", "Information sharing about"),
}


def test_a_measure_hidden_whole_is_a_row_of_c_in_every_file(hidden_whole_pack):
    """Shown as c, as the text says, in the page, the workbook, the slides' notes and
    metrics.csv alike, and listed in figures.csv as c (found on a new analyst's public pack
    whose page and workbook left out the rows metrics.csv printed)."""
    assert problems(hidden_whole_pack) == []
    pack = read_pack(hidden_whole_pack)
    metrics = {r[0]: dict(zip(_table(pack, "metrics.csv", "").header, r))
               for r in _table(pack, "metrics.csv", "").rows}
    for metric in ("risk.care_leaver", "engagement.in_plan", "sharing.info_shared_health"):
        assert [metrics[metric][c] for c in ("numerator", "denominator", "unknown", "rate")] \
            == [HIDDEN] * 4, metric
        for column in ("numerator", "denominator", "unknown"):
            assert pack.counts[("metrics", metric, column)] == HIDDEN
    for label, (sheet, caption) in _HIDDEN_WHOLE.items():
        for where in ("page", f"workbook:{sheet}"):
            row = _row(_table(pack, where, caption), label)
            assert [row[c] for c in ("Cases (yes)", "Of cases known", "Not known",
                                     "Percentage", "95% CI lower", "95% CI upper")] \
                == [HIDDEN] * 6, (where, row)
        notes = "\n".join(text for where, text in pack.texts if where.endswith("notes"))
        assert f"Measure: {label}; Cases (yes): c; Of cases known: c; Not known: c; " \
            "Percentage: c" in notes, label
    page = " ".join(text for where, text in pack.texts if where == "page")
    assert "care leaver" in page.split("Hidden to protect privacy (shown as c):")[1]


def test_the_oracle_finds_a_row_one_file_leaves_out(hidden_whole_pack, tmp_path):
    """The page without its care leaver row: the oracle names it (metrics.csv lists it)."""
    import shutil

    from bs4 import BeautifulSoup

    folder = tmp_path / "pack"
    shutil.copytree(hidden_whole_pack, folder)
    page = folder / "public-pack.html"
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")
    for tr in soup.find_all("tr"):
        cells = tr.find_all(["th", "td"])
        if cells and cells[0].get_text(strip=True) == "Care leaver" and len(cells) > 5:
            tr.decompose()
    page.write_text(str(soup), encoding="utf-8")
    assert check_rows(read_pack(folder)) == [
        "page: no row for risk.care_leaver ('Care leaver'), which metrics.csv lists"
    ]


# ------------------------------------------------------------------ a clipped limit


def test_clipped_limit_pack_passes_the_oracle(clipped_limit_pack):
    assert problems(clipped_limit_pack) == []


def test_a_rate_on_a_clipped_funnel_limit_is_within_it(clipped_limit_pack):
    pack = read_pack(clipped_limit_pack)
    for where in ("page", "workbook:Partnerships"):
        table = _table(pack, where, "Partnerships against the funnel limits")
        a = _row(table, "A", "Father seen")
        assert as_count(a["Cases (yes)"]) == 10 and as_count(a["Of cases known"]) == 10
        assert as_rate(a["Percentage"]) == 1.0
        assert as_rate(a["Pooled rate (centre line)"]) == pytest.approx(0.9)
        assert a["Against the funnel limits"] == "within the limits", where
    alts = [text for where, text in pack.texts if where == "page alt text" and "Funnel" in text]
    assert alts and not any("above" in text for text in alts)


# ------------------------------------------------------------------ the shared small pack


def test_small_public_pack_passes_the_oracle(small_public_pack):
    pack = read_pack(small_public_pack)
    # the oracle has something to judge: hidden and shown figures in every kind of place
    assert {t.where for t in pack.tables} >= {"page", "metrics.csv", "workbook:Metrics"}
    assert any(v == HIDDEN for v in pack.counts.values())
    assert check_small_counts(pack) == []
    assert check_beside_hidden(pack) == []
    assert check_listed(pack) == []
    assert check_limits(pack) == []
    assert check_holm(pack) == []


def test_a_hidden_unknown_alone_leaves_its_rate_printed_and_listed(small_public_pack):
    pack = read_pack(small_public_pack)
    metrics = _table(pack, "metrics.csv", "")
    only_unknown = [dict(zip(metrics.header, r)) for r in metrics.rows
                    if r[3] == HIDDEN and r[1] != HIDDEN and r[2] != HIDDEN]
    assert only_unknown, "the shared pack has a measure whose unknown alone is hidden"
    for row in only_unknown:
        assert as_rate(row["rate"]) not in (None, HIDDEN)
        assert ("metrics", row["metric"], "rate") in pack.rates


# ------------------------------------------------------------------ the oracle itself


def test_the_oracle_sees_what_a_careless_pack_would_print(clipped_limit_pack, tmp_path):
    """Alter a good pack the ways the mutants of protect would, by hand: the oracle names
    each."""
    import shutil

    pack = read_pack(clipped_limit_pack)
    table = _table(pack, "page", "Partnerships against the funnel limits")
    row = table.rows[0]
    row[table.header.index("Of cases known")] = "3"           # a small count printed
    assert any("count 3" in p for p in check_small_counts(pack))
    row[table.header.index("Of cases known")] = HIDDEN        # ... hidden, rate kept
    assert any("beside hidden" in p for p in check_beside_hidden(pack))
    row[table.header.index("Against the funnel limits")] = "above the upper 95% limit"
    row[table.header.index("Percentage")] = "100.0%"
    assert any("is 'above" in p for p in check_limits(pack))
    pack = read_pack(clipped_limit_pack)
    del pack.rates[("partnerships", "A|engagement.seen", "rate")]
    assert any("not in figures.csv" in p for p in check_listed(pack))
    copy = tmp_path / "copy"
    shutil.copytree(clipped_limit_pack, copy)
    assert problems(copy) == []
