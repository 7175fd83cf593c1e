"""`audit select` (audit.intake.selection) and `audit run --selection`: a reproducible random
selection of the quarter's cases, its record, and returns checked against it."""

from __future__ import annotations

import hashlib
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.errors import ParameterError
from audit.intake.selection import (
    allocate,
    check_returns,
    load_selection,
    references_digest,
    select_cases,
)
from cli_process import in_process

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "pooled_extract.csv"


def audit(*args, cwd=None):
    """``audit ARGS`` from ``cwd``, run in-process (tests/cli_process.py)."""
    return in_process(list(args), cwd=cwd)


def write_list(path: Path, refs, teams=None, header="Case reference"):
    frame = pd.DataFrame({header: refs})
    if teams is not None:
        frame["Team"] = teams
    frame.to_csv(path, index=False)
    return path


def reference_selection(refs, n, seed):
    """The rule written out with numpy's PCG64 bit generator alone (no audit code): sort the
    references, one raw 64-bit key each in that order, the n smallest keys."""
    ordered = sorted(refs)
    keys = np.random.PCG64(seed).random_raw(len(ordered))
    ranked = sorted(range(len(ordered)), key=lambda i: (int(keys[i]), ordered[i]))
    return sorted(ordered[i] for i in ranked[:n])


def hamilton(n, sizes):
    """Largest-remainder (Hamilton) apportionment with exact fractions, ties by name."""
    total = sum(sizes.values())
    quotas = {k: Fraction(n * v, total) for k, v in sizes.items()}
    shares = {k: int(q) for k, q in quotas.items()}
    left = n - sum(shares.values())
    for k in sorted(quotas, key=lambda k: (-(quotas[k] - int(quotas[k])), k))[:left]:
        shares[k] += 1
    return shares


# --------------------------------------------------------------------------- the rule

def test_selection_equals_the_rule_written_out_with_pcg64():
    refs = [f"NB-{i:04d}" for i in range(1, 61)]
    got = [r for r, _ in select_cases(refs[::-1], 12, seed=2026)]
    assert got == reference_selection(refs, 12, 2026)
    # the seed's first raw output, as numpy's PCG64 gives it (a fixed value: if numpy ever
    # changed its bit generator's stream, this says so before a board's selection moves)
    assert int(np.random.PCG64(2026).random_raw()) == int(
        np.random.Generator(np.random.PCG64(2026)).bit_generator.random_raw())


@settings(max_examples=40, deadline=None)
@given(refs=st.lists(st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
                             min_size=1, max_size=8).map(str.strip).filter(bool),
                     min_size=1, max_size=40, unique=True),
       data=st.data(), seed=st.integers(0, 2**63 - 1))
def test_selection_does_not_depend_on_row_order(refs, data, seed):
    n = data.draw(st.integers(1, len(refs)))
    teams = data.draw(st.lists(st.sampled_from(["A", "B", "C"]), min_size=len(refs),
                               max_size=len(refs)))
    order = data.draw(st.permutations(range(len(refs))))
    once = select_cases(refs, n, seed=seed, strata=teams)
    again = select_cases([refs[i] for i in order], n, seed=seed,
                         strata=[teams[i] for i in order])
    assert once == again
    assert len(once) == n and len({r for r, _ in once}) == n
    assert [r for r, _ in select_cases(refs, n, seed=seed)] == reference_selection(refs, n, seed)


@settings(max_examples=60, deadline=None)
@given(sizes=st.dictionaries(st.sampled_from(list("ABCDEFG")), st.integers(1, 30),
                             min_size=1), data=st.data())
def test_allocation_is_proportional_with_largest_remainders(sizes, data):
    n = data.draw(st.integers(1, sum(sizes.values())))
    shares = allocate(n, sizes)
    assert shares == hamilton(n, sizes)
    assert sum(shares.values()) == n
    assert all(0 <= shares[k] <= sizes[k] for k in sizes)


def test_stratified_selection_takes_each_strata_share():
    refs = [f"C{i:03d}" for i in range(60)]
    teams = ["North"] * 23 + ["South"] * 20 + ["East"] * 17
    chosen = select_cases(refs, 12, seed=7, strata=teams)
    counts = pd.Series([t for _, t in chosen]).value_counts().to_dict()
    assert counts == {"North": 5, "South": 4, "East": 3}  # 4.6, 4.0, 3.4 -> 5, 4, 3


def test_every_case_is_equally_likely():
    """Over 3,000 seeds, each of 10 references is chosen in about 3 of 10 draws (within
    4.5 standard errors)."""
    refs = [f"R{i}" for i in range(10)]
    hits = pd.Series(0, index=refs)
    for seed in range(3000):
        for ref, _ in select_cases(refs, 3, seed=seed):
            hits[ref] += 1
    share = hits / 3000
    assert (abs(share - 0.3) <= 4.5 * np.sqrt(0.3 * 0.7 / 3000)).all()


def test_digest_is_the_sorted_references_a_line_each():
    refs = ["b-2", "Á-1", "a-3", "A-4"]
    lines = sorted(r.encode("utf-8") for r in refs)  # byte order = code point order (LC_ALL=C)
    want = hashlib.sha256(b"".join(line + b"\n" for line in lines)).hexdigest()
    assert references_digest(refs) == want
    assert references_digest(refs[::-1]) == want
    assert references_digest([*refs, "c-5"]) != want


@pytest.mark.parametrize(("n", "message"), [(0, "at least 1"), (5, "more than the 4")])
def test_bad_n_is_a_parameter_error(n, message):
    with pytest.raises(ParameterError, match=message):
        select_cases(["a", "b", "c", "d"], n, seed=1)


# --------------------------------------------------------------------------- the command

def test_cli_select_is_byte_identical_for_any_row_order(tmp_path):
    refs = [f"NB-{i:04d}" for i in range(1, 41)]
    teams = ["North", "South"] * 20
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    write_list(one / "eligible.csv", refs, teams)
    rng = np.random.default_rng(3)
    order = rng.permutation(40)
    write_list(two / "eligible.csv", [refs[i] for i in order], [teams[i] for i in order])
    for folder in (one, two):
        result = audit("select", "eligible.csv", "--n", "10", "--by", "team", "--seed", "2026",
                       "-o", "selection.csv", cwd=folder)
        assert result.returncode == 0, result.stderr
    for name in ("selection.csv", "selection.record.json"):
        assert (one / name).read_bytes() == (two / name).read_bytes()
    record = json.loads((one / "selection.record.json").read_text(encoding="utf-8"))
    assert record["seed"] == 2026 and record["eligible"] == 40 and record["selected"] == 10
    assert record["eligible_sha256"] == references_digest(refs)
    assert "largest-remainder" in record["rule"] and record["by"] == "Team"
    assert record["strata"] == [{"stratum": "North", "eligible": 20, "selected": 5},
                                {"stratum": "South", "eligible": 20, "selected": 5}]
    lines = (one / "selection.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "case_id,Team" and len(lines) == 11
    assert [x.split(",")[0] for x in lines[1:]] == sorted(x.split(",")[0] for x in lines[1:])


def test_cli_select_without_a_seed_draws_and_records_one(tmp_path):
    write_list(tmp_path / "eligible.csv", [f"R{i}" for i in range(9)])
    result = audit("select", "eligible.csv", "--n", "3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    seed = json.loads((tmp_path / "selection.record.json").read_text(encoding="utf-8"))["seed"]
    assert f"--seed {seed} repeats this" in result.stderr
    assert "simple random sample of 3 of the 9" in result.stderr


def test_cli_select_reads_an_xlsx_list_headed_as_the_form(tmp_path):
    pd.DataFrame({"Case ID": [f"X{i}" for i in range(8)]}).to_excel(
        tmp_path / "eligible.xlsx", index=False)
    result = audit("select", "eligible.xlsx", "--n", "2", "--seed", "5", "-o", "s.csv",
                   cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    got = (tmp_path / "s.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert got == reference_selection([f"X{i}" for i in range(8)], 2, 5)


def test_cli_select_neutralises_formulas_and_the_run_reads_them_back(tmp_path):
    refs = ["=HYPERLINK(1)", "+A1", "plain", "@x"]
    write_list(tmp_path / "eligible.csv", refs)
    result = audit("select", "eligible.csv", "--n", "4", "--seed", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "selection.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK(1)" in text and "'+A1" in text and "'@x" in text
    record, selected = load_selection(tmp_path / "selection.record.json")
    assert selected == frozenset(refs) and record["selected"] == 4


@pytest.mark.parametrize(("frame", "args", "message", "secret"), [
    (pd.DataFrame({"Case ID": ["A1", "A2"], "Name": ["x", "y"]}), [],
     "looks like a direct identifier", None),
    (pd.DataFrame({"Case ID": ["A1", "A2"], "Notes": ["943 476 5919", ""]}), [],
     "NHS number", "943 476 5919"),
    (pd.DataFrame({"Reference number": ["A1", "A2"]}), [], "no case reference column", None),
    (pd.DataFrame({"Case ID": ["A1", "A1", "A3"]}), [], "row 3, column 'case_id': the same case reference as row 2",
     None),
    (pd.DataFrame({"Case ID": ["A1", "", "A3"], "Team": ["N", "S", "E"]}), [],
     "row 3, column 'case_id': no case reference", None),
    (pd.DataFrame({"Case ID": ["A1", "A2", "A3"]}), ["--by", "team"], "no such column", None),
    (pd.DataFrame({"Case ID": ["A1", "A2", "A3"], "Team": ["N", "", "S"]}), ["--by", "Team"],
     "no value to stratify by", None),
    (pd.DataFrame({"Case ID": ["A1", "A2", "A3"]}), ["--n", "4"], "more than the 3", None),
])
def test_cli_select_refuses_with_exit_2_and_writes_nothing(tmp_path, frame, args, message,
                                                           secret):
    frame.to_csv(tmp_path / "eligible.csv", index=False)
    n = [] if "--n" in args else ["--n", "1"]
    result = audit("select", "eligible.csv", *n, *args, "--seed", "1", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    if secret:
        assert secret not in result.stderr
    assert not (tmp_path / "selection.csv").exists()
    assert not (tmp_path / "selection.record.json").exists()


# --------------------------------------------------------------------------- returns and run

def test_check_returns_names_file_and_row_never_the_reference():
    cases = pd.DataFrame({"case_id": ["S1", "S2", "X9", "S3"],
                          "source": ["a.xlsx", "a.xlsx", "b.xlsx", "b.xlsx"]},
                         index=pd.Index([2, 3, 2, 3], name="row"))
    counts, warnings = check_returns(cases, frozenset({"S1", "S2", "S3", "S4"}), "x.csv")
    assert counts == {"returned": 3, "not_returned": 1, "not_in_selection": 1}
    assert warnings == ["warning: b.xlsx row 2: a case that is not in the selection"]
    assert "X9" not in warnings[0]


@pytest.fixture(scope="module")
def quarter(tmp_path_factory):
    """Northbridge's 2025-Q3 cases from the sample as one return, and an eligible list of
    those cases and 15 never returned."""
    folder = tmp_path_factory.mktemp("quarter")
    cases = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    dates = pd.to_datetime(cases["notification_date"])
    q3 = cases[(cases["partnership"] == "Northbridge") & (dates >= "2025-07-01")
               & (dates < "2025-10-01")]
    q3.to_csv(folder / "q3.csv", index=False)
    refs = [*q3["case_id"], *(f"SYN-NBR-X{i:03d}" for i in range(15))]
    write_list(folder / "eligible.csv", refs)
    return folder, list(q3["case_id"]), refs


def _run(folder, record, out):
    return audit("run", "q3.csv", "--period", "2025-Q3", "--audience", "public", "--no-history",
                 "--alone",
                 "--selection", record, "--out", out, cwd=folder)


@pytest.mark.usefixtures("charts_not_drawn")  # words, files and codes: not pictures
def test_run_carries_the_selection_and_flags_cases_outside_it(quarter):
    folder, returned, refs = quarter
    result = audit("select", "eligible.csv", "--n", "12", "--seed", "2026", "-o", "sel.csv",
                   cwd=folder)
    assert result.returncode == 0, result.stderr
    chosen = set(reference_selection(refs, 12, 2026))
    run = _run(folder, "sel.record.json", "pack")
    assert run.returncode == 0, run.stderr
    rows = [i + 2 for i, ref in enumerate(returned) if ref not in chosen]  # header is row 1
    for row in rows:
        assert f"warning: q3.csv row {row}: a case that is not in the selection" in run.stderr
    inside = len(chosen & set(returned))
    assert (f"selection: {inside} of the 12 selected cases are in the returns "
            f"({12 - inside} not); {len(rows)} audited cases are not in the selection"
            in run.stderr)
    manifest = json.loads((folder / "pack" / "manifest.json").read_text(encoding="utf-8"))
    selection = manifest["selection"]
    assert selection["eligible_sha256"] == references_digest(refs)
    assert selection["seed"] == 2026 and selection["selected"] == 12
    assert "strata" not in selection and "not_in_selection" not in selection  # public pack
    assert manifest["rerun"].endswith("--selection SELECTION")  # a public pack names no file
    assert "sel.record" not in json.dumps(manifest) and str(folder) not in json.dumps(manifest)
    page = (folder / "pack" / "public-pack.html").read_text(encoding="utf-8")
    assert ("<dt>Case selection</dt><dd>Simple random sample of 12 of the "
            f"{len(refs)} eligible") in page
    assert references_digest(refs)[:16] in page

    # a changed list changes the digest the manifest carries
    write_list(folder / "eligible2.csv", [*refs, "SYN-NBR-Y000"])
    assert audit("select", "eligible2.csv", "--n", "12", "--seed", "2026", "-o", "sel2.csv",
                 cwd=folder).returncode == 0
    assert _run(folder, "sel2.record.json", "pack2").returncode == 0
    other = json.loads((folder / "pack2" / "manifest.json").read_text(encoding="utf-8"))
    assert other["selection"]["eligible_sha256"] != selection["eligible_sha256"]


def test_run_refuses_a_changed_selection_file_before_any_work(quarter):
    folder, _, _ = quarter
    assert audit("select", "eligible.csv", "--n", "5", "--seed", "9", "-o", "bad.csv",
                 cwd=folder).returncode == 0
    with open(folder / "bad.csv", "a", encoding="utf-8") as handle:
        handle.write("SYN-NBR-0001\n")
    run = _run(folder, "bad.record.json", "never")
    assert run.returncode == 2
    assert "does not hold the selection the record describes" in run.stderr
    assert not (folder / "never").exists()
    (folder / "junk.json").write_text("{}", encoding="utf-8")
    run = _run(folder, "junk.json", "never")
    assert run.returncode == 2 and "not a record written by 'audit select'" in run.stderr


def test_cli_select_never_writes_over_a_different_selection(tmp_path):
    write_list(tmp_path / "eligible.csv", [f"R{i}" for i in range(20)])
    first = audit("select", "eligible.csv", "--n", "5", "--seed", "1", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    before = (tmp_path / "selection.csv").read_bytes()
    again = audit("select", "eligible.csv", "--n", "5", "--seed", "1", cwd=tmp_path)
    assert again.returncode == 0, again.stderr  # the same draw again: the same bytes
    other = audit("select", "eligible.csv", "--n", "5", "--seed", "2", cwd=tmp_path)
    assert other.returncode == 2
    assert "already holds a different selection" in other.stderr
    assert (tmp_path / "selection.csv").read_bytes() == before
    elsewhere = audit("select", "eligible.csv", "--n", "5", "--seed", "2", "-o",
                      "new/second.csv", cwd=tmp_path)
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert (tmp_path / "new" / "second.record.json").is_file()
