"""The publication ledger (issue 22): a public pack is attacked together with the public
packs the same history store already produced about its partnerships.

The packs are the hand-made figure sets of tests/test_joint_attack.py (ranges worked out by
hand there): the year prints 9 "not known" over Q1+Q2, Q1's pack prints 6, and Q2's pack
hides its own (true 3), which alone lies in 1..9 but read with the two others is 9 - 6 = 3.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.contract import metric_label
from audit.disclosure.attack import AttackReport, attack
from audit.disclosure.figures import write_figures
from audit.disclosure.ledger import (
    check_release,
    earlier_releases,
    forget_release,
    keep_ranges,
    kept_ranges,
    new_exposures,
    record_release,
)
from audit.disclosure.model import Count, Publication, Term, term
from audit.disclosure.protect import _together
from audit.disclosure.publication import metric_terms
from audit.errors import DisclosureError
from audit.history import open_history
from test_joint_attack import FLAG, K, count, pack

YEAR = ["2025-Q1", "2025-Q2"]


def _series():
    year = pack("year", ["X"], YEAR, count("metrics", FLAG, "unknown", "unknown", ["X"], YEAR, 9))
    q1 = pack("Q1", ["X"], ["2025-Q1"],
              count("metrics", FLAG, "unknown", "unknown", ["X"], ["2025-Q1"], 6))
    q2 = pack("Q2", ["X"], ["2025-Q2"],
              count("cases", "pack", "cases", "all", ["X"], ["2025-Q2"], 20),
              count("metrics", FLAG, "numerator", "yes", ["X"], ["2025-Q2"], 10),
              count("metrics", FLAG, "no", "no", ["X"], ["2025-Q2"], None),
              count("metrics", FLAG, "unknown", "unknown", ["X"], ["2025-Q2"], None))
    return year, q1, q2


def _folder(tmp_path: Path, figures) -> Path:
    folder = tmp_path / figures.name
    folder.mkdir()
    write_figures(folder / "figures.csv", figures.publication, figures.threshold)
    return folder


def test_a_pack_that_gives_away_a_count_with_earlier_releases_is_refused(tmp_path):
    year, q1, q2 = _series()
    with open_history(tmp_path / "history.sqlite") as store:
        db = store.connection
        for figures, period in ((year, "2025"), (q1, "2025-Q1")):
            assert record_release(db, _folder(tmp_path, figures), name=figures.name,
                                  period=period, recorded_at="2026-01-01T00:00:00+00:00")
        assert [p.name.split(" ")[0] for p in earlier_releases(db, ["x"])] == ["year", "Q1"]
        assert earlier_releases(db, ["Y"]) == []          # another partnership shares nothing
        with pytest.raises(DisclosureError, match=r"(?s)2 public pack\(s\).*narrow 1 hidden "
                                                  r"count\(s\) to 5 values or fewer.*"
                                                  r"Q2: metrics: domestic_abuse, unknown.*"
                                                  r"lies in 3\.\.3.*Nothing was written"):
            check_release(db, _folder(tmp_path, q2), name="Q2")


def test_alone_or_beside_other_partnerships_the_same_pack_passes(tmp_path):
    year, q1, q2 = _series()
    with open_history(tmp_path / "history.sqlite") as store:
        db = store.connection
        assert check_release(db, _folder(tmp_path, q2), name="Q2") == 0
        other = pack("Y year", ["Y"], YEAR,
                     count("metrics", FLAG, "unknown", "unknown", ["Y"], YEAR, 9))
        record_release(db, _folder(tmp_path, other), name="Y", period="2025",
                       recorded_at="2026-01-01T00:00:00+00:00")
        assert check_release(db, tmp_path / "Q2", name="Q2") == 0


def test_the_same_figures_are_one_release(tmp_path):
    year, _, _ = _series()
    folder = _folder(tmp_path, year)
    with open_history(tmp_path / "history.sqlite") as store:
        first = record_release(store.connection, folder, name="year", period="2025",
                               recorded_at="2026-01-01T00:00:00+00:00")
        again = record_release(store.connection, folder, name="year", period="2025",
                               recorded_at="2026-04-01T00:00:00+00:00")
        assert (first, again) == (True, False)
        assert len(earlier_releases(store.connection, ["X"])) == 1


def test_an_earlier_packs_own_ranges_are_worked_out_once_and_kept_with_it(tmp_path):
    """The single-pack ranges a check works out for the earlier releases (the joint
    attack's ``memo``) are kept in the ledger (keep_ranges) and read back by the next run
    (kept_ranges) for those figures only: each is what a fresh attack on that pack alone
    gives, the next check with them finds what it found without, and forgetting a release
    drops its ranges."""
    year, q1, q2 = _series()
    with open_history(tmp_path / "history.sqlite") as store:
        db = store.connection
        for figures, period in ((year, "2025"), (q1, "2025-Q1")):
            record_release(db, _folder(tmp_path, figures), name=figures.name, period=period,
                           recorded_at="2026-01-01T00:00:00+00:00")
        earlier = earlier_releases(db, ["X"])
        assert [len(p.digest) for p in earlier] == [64, 64]
        memo = kept_ranges(db, earlier)
        assert memo == {p.name: {} for p in earlier}  # none worked out yet
        found = new_exposures(q2, earlier, memo=memo)
        with db:
            assert keep_ranges(db, earlier, memo) == sum(len(memo[p.name]) for p in earlier) > 0
            assert keep_ranges(db, earlier, memo) == 0  # kept once
        kept = kept_ranges(db, earlier_releases(db, ["X"]))
        assert kept == {p.name: memo[p.name] for p in earlier}
        for p in earlier:
            for key, (low, high) in kept[p.name].items():
                terms = tuple(Term(f, c, frozenset(ps), frozenset(qs)) for f, c, ps, qs in key)
                fresh = attack(p.publication, K, targets=[("count", terms)]).bounds[0]
                assert (low, high) == (fresh.low, fresh.high)
        assert [b.target.terms for b in new_exposures(q2, earlier, memo=kept)] == \
            [b.target.terms for b in found] == [(term(FLAG, "unknown", ["X"], ["2025-Q2"]),)]
        # another pack's figures read none of them; a forgotten release takes its own away
        assert kept_ranges(db, [pack("other", ["X"], YEAR)]) == {}
        with db:
            forget_release(db, earlier[0].digest[:12])
        assert db.execute("SELECT DISTINCT figures_sha256 FROM release_ranges").fetchall() \
            == [(earlier[1].digest,)]


def test_ranges_kept_by_other_code_are_not_read(tmp_path, monkeypatch):
    """A change to the attack's code changes :func:`ranges_model`, and the ranges the old
    code kept are then not read (they might not be what the new code gives)."""
    from audit.disclosure import ledger

    year, _, q2 = _series()
    with open_history(tmp_path / "history.sqlite") as store:
        db = store.connection
        record_release(db, _folder(tmp_path, year), name="year", period="2025",
                       recorded_at="2026-01-01T00:00:00+00:00")
        earlier = earlier_releases(db, ["X"])
        memo = kept_ranges(db, earlier)
        new_exposures(q2, earlier, memo=memo)
        with db:
            keep_ranges(db, earlier, memo)
        assert kept_ranges(db, earlier)[earlier[0].name]
        monkeypatch.setattr(ledger, "ranges_model", lambda: "other code")
        assert kept_ranges(db, earlier) == {earlier[0].name: {}}


def test_an_exposure_the_earlier_releases_already_made_is_not_the_new_packs():
    """Q1 and the year already published; Q2 hides its count. Read with a pack about the
    same quarters that adds nothing (the year again under another name), Q2's count is
    exposed already by the earlier three, so the fourth adds no new exposure."""
    year, q1, q2 = _series()
    again = pack("year again", ["X"], YEAR,
                 count("metrics", FLAG, "unknown", "unknown", ["X"], YEAR, 9))
    assert [b.target.terms for b in new_exposures(q2, [year, q1])] == \
        [(term(FLAG, "unknown", ["X"], ["2025-Q2"]),)]
    assert new_exposures(again, [year, q1, q2]) == []
    assert K == 5


def test_a_pack_is_clean_only_once_an_attack_has_decided_every_count(monkeypatch):
    """new_exposures asks the joint attack for *some* exposures first
    (``first_exposures=True``): an exposure of this pack's doing is the answer at once; when
    it shows only exposures the earlier packs made while counts were left undecided
    (``deferred``), or none, a second attack decides every count before the pack is called
    clean. Stand-in attacks: "mine" is Q2's count, "theirs" Q1's, which the earlier packs
    alone expose."""
    from audit.disclosure import ledger
    from audit.disclosure.joint import JointBounds, JointReport, Target, term_key

    year, q1, q2 = _series()
    mine = Target("mine", (term(FLAG, "unknown", ["X"], ["2025-Q2"]),), ())
    theirs = Target("theirs", (term(FLAG, "unknown", ["X"], ["2025-Q1"]),), ())

    def report(*ranges, deferred=0):
        bounds = [JointBounds(t, low, high, True, K) for t, low, high in ranges]
        return JointReport(["p"], K, bounds=bounds, deferred=deferred)

    def run(script):
        answers, asked = iter(script), []

        def attack(packs, **options):
            asked.append(options["first_exposures"])
            return next(answers)

        monkeypatch.setattr(ledger, "joint_attack", attack)
        monkeypatch.setattr(ledger, "exposed_keys", lambda earlier, **options: {
            key for key in options["among"] if key == term_key(theirs.terms)})
        found = ledger.new_exposures(q2, [year, q1])
        return [b.target.label for b in found], asked

    assert run([report((mine, 3, 3), deferred=4)]) == (["mine"], [True])
    assert run([report((theirs, 2, 2), deferred=4),
                report((theirs, 2, 2), (mine, 1, 3))]) == (["mine"], [True, False])
    assert run([report((mine, 0, 9), deferred=4), report((mine, 0, 9))]) == ([], [True, False])
    assert run([report((theirs, 2, 2), (mine, 0, 9))]) == ([], [True])


def test_a_count_known_to_be_2k_or_more_is_not_attacked():
    """Protection knows the cases: a count of 10 or more (2k) cannot be exposed (a range
    narrower than 5 holding it never reaches 1..5), so ``new_exposures(at_least=)`` leaves
    it out of the joint attack. Q2's not known, pinned at 3 by the year minus Q1, is found
    with a floor of 0 and not with a (here made-up) floor of 10."""
    year, q1, q2 = _series()
    unknown_q2 = (term(FLAG, "unknown", ["X"], ["2025-Q2"]),)
    assert [b.target.terms for b in new_exposures(q2, [year, q1], at_least=lambda t: 0)] == \
        [unknown_q2]
    asked: list = []

    def floor(terms):
        asked.append(terms)
        return 10 if terms == unknown_q2 else 0

    assert new_exposures(q2, [year, q1], at_least=floor) == []
    assert unknown_q2 in asked


@pytest.mark.usefixtures("charts_not_drawn")  # words, files and codes: not pictures
@pytest.mark.slow  # four whole public runs and two protections
def test_audit_run_protects_a_quarter_with_the_ones_before_or_refuses_it(tmp_path, monkeypatch):
    """Through the command line, one history store (a partnership's quarters published as
    they come): the first quarter is published and recorded in the ledger. The next
    quarter's trend table repeats the first quarter's counts; read together, the two give
    away a count no figure of the new pack can hide. Had the pack no measure it could leave
    out, it would be refused with exit 2, nothing written or recorded; as it is, the measure
    is left out of the pack as a whole (no row, no `c`: a `c` is at least 1, an absent figure
    anything), the pack says so, and it is published and recorded. The quarter after is
    protected together with both, and published and recorded."""
    import importlib
    import sqlite3

    from audit.intake.sample import generate_extract
    from cli_process import in_process

    protect_module = importlib.import_module("audit.disclosure.protect")
    extract = tmp_path / "nb.csv"
    generate_extract(90, seed=7, partnerships=("Northbridge",), quarters=4).to_csv(
        extract, index=False)
    store = tmp_path / "history.sqlite"

    def run(period: str):
        # in this process (tests/cli_process.py): what the command says and writes
        return in_process(["run", extract, "--audience", "public", "--history", store,
                           "--period", period, "--out", tmp_path / period, "--jobs", "1"])

    first = run("2023-Q2")
    assert first.returncode == 0, first.stderr
    assert "publication ledger: checked with 0 earlier public pack(s)" in first.stderr
    with monkeypatch.context() as nothing_to_leave_out:
        nothing_to_leave_out.setattr(protect_module, "measure_groups", lambda full, f: set())
        refused = run("2023-Q3")
    assert refused.returncode == 2, refused.stderr
    assert "this pack cannot hide" in refused.stderr
    assert "read with the public packs already produced about these partnerships" in \
        refused.stderr
    assert "Traceback" not in refused.stderr and not (tmp_path / "2023-Q3").exists()
    second = run("2023-Q3")
    assert second.returncode == 0, second.stderr
    said = re.search(r"… left out of this pack as a whole: (.+?), in every table"
                     r"(?: \(and with [^)]*\))?: read together with the public packs already "
                     r"published about these cases", second.stderr)
    assert said, second.stderr
    labels = re.findall(r"'([^']+)'", said.group(1))
    ids = [line.split(",")[0] for line in
           (tmp_path / "2023-Q2" / "metrics.csv").read_text(encoding="utf-8").splitlines()[1:]]
    left_out = [m for m in ids if metric_label(m) in labels]
    assert labels and len(left_out) == len(labels), said.group(1)
    written = tmp_path / "2023-Q3"
    shown = [line.split(",")[0] for line in
             (written / "metrics.csv").read_text(encoding="utf-8").splitlines()[1:]]
    assert shown == [m for m in ids if m not in left_out]
    figures = (written / "figures.csv").read_text(encoding="utf-8").splitlines()
    page = (written / "public-pack.html").read_text(encoding="utf-8")
    for metric in left_out:
        family = metric_terms(metric)[0]  # no figure of it, only the measure's categories
        assert [line for line in figures if family in line] == \
            [f'family,,{family},,,,,"[""yes"", ""no"", ""unknown""]",']
    said = re.search(r"Left out of this public pack: (.+?), in every table(?: \(and with [^)]*\))?"
                     r": read together with the public packs already published about these "
                     r"cases", page)
    assert said and re.findall(r"&#x27;([^&]+)&#x27;", said.group(1)) == labels
    third = run("2023-Q4")
    assert third.returncode == 0, third.stderr
    assert "together with 2 public pack(s) already produced" in third.stderr
    assert "publication ledger: checked with 2 earlier public pack(s)" in third.stderr
    # the three packs as written, read by an outsider in whole numbers without the tool's
    # attack (tests/series_attacker.py): nothing small narrowed to 5 values or fewer
    from series_attacker import attack_series, exposed

    ranges = attack_series([tmp_path / q for q in ("2023-Q2", "2023-Q3", "2023-Q4")])
    assert ranges and exposed(ranges) == []
    with sqlite3.connect(store) as db:
        assert [r[0] for r in db.execute("SELECT period FROM releases ORDER BY rowid")] == \
            ["2023-Q2", "2023-Q3", "2023-Q4"]
        # one partnership's extract, run without --partnership: its packs, not "pooled"
        assert [r[0] for r in db.execute("SELECT name FROM releases ORDER BY rowid")] == \
            ["Northbridge 2023-Q2", "Northbridge 2023-Q3", "Northbridge 2023-Q4"]
        assert [r[0] for r in db.execute("SELECT period FROM runs ORDER BY period")] == \
            ["2023-Q2", "2023-Q3", "2023-Q4"]
    # The joint step at work, in-process on the same quarter and history: protected with
    # the first quarter, the pack hides every count the first one hid that it prints (one
    # suppression state for a common cell), and read with it gives away nothing.
    from audit.disclosure import protect
    from audit.disclosure.joint import PackFigures, term_key
    from audit.workspace import open_audit, read_history

    data = open_audit(extract, period="2023-Q4")
    data.history = read_history(store, data.extract, data.partnership, data.quarters[-1])
    with open_history(store) as opened:
        q2 = [p for p in earlier_releases(opened.connection, ["Northbridge"])
              if "2023-Q2" in p.name]
    joint = protect(data, "public", earlier=q2)
    assert new_exposures(PackFigures("Q4", joint.publication, 5), q2) == []
    hid_before = {term_key(c.terms) for c in q2[0].publication.counts if c.hidden}
    common = [c for c in joint.publication.counts if term_key(c.terms) in hid_before]
    assert common and all(c.hidden for c in common if c.value)
    # the attack it records is the one with the true counts, as alone (counts of 2k or more,
    # whose range cannot reach 1 to k, are not attacked)
    from audit.disclosure.publication import true_counts

    truth = true_counts(data)
    assert joint.report.bounds and all(truth(b.terms) < 2 * 5 for b in joint.report.bounds)


@pytest.mark.slow  # several public packs protected per example
@settings(max_examples=2, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), order=st.permutations(range(6)), keep=st.integers(3, 4))
def test_random_series_published_in_turn_expose_nothing_together(tmp_path, seed, order, keep):
    """Issue 22: a random series of public packs (each quarter and the year, pooled and for
    each partnership), published in a random order, each protected with the ones published
    before it (as the ledger does): read all together, in whole numbers, nothing is
    exposed. A pack protection refuses is not published, as audit run would not write it."""
    from audit.disclosure import protect
    from audit.disclosure.joint import PackFigures, joint_attack
    from audit.intake.sample import generate_extract
    from audit.workspace import open_audit

    path = tmp_path / f"year-{seed}.csv"
    generate_extract(70, seed=seed, partnerships=("Northbridge", "Eastmere"),
                     quarters=2).to_csv(path, index=False)
    quarters = sorted(open_audit(path).quarters)
    year = quarters[0][:4] if quarters[0][:4] == quarters[-1][:4] else None
    packs = [(q, None) for q in quarters] + [(q, "Northbridge") for q in quarters]
    packs += [(year, None), (year, "Eastmere")] if year else [(quarters[0], "Eastmere")] * 2
    published: list[PackFigures] = []
    for i in order[:keep]:
        period, partnership = packs[i]
        data = open_audit(path, period=period, partnership=partnership)
        try:
            view = protect(data, "public", earlier=published)
        except DisclosureError:
            continue
        published.append(PackFigures(f"{period} {partnership or 'pooled'}", view.publication, K))
    assert published, "at least one pack of 70 cases is publishable"
    together = joint_attack(published, budget=120)
    assert [b.describe() for b in together.exposed] == []
    # and read by the outsider of tests/series_attacker.py, from the files alone
    import tempfile

    from series_attacker import attack_series, exposed

    here = Path(tempfile.mkdtemp(dir=tmp_path))  # one folder an example (tmp_path is shared)
    folders = [_folder(here, figures) for figures in published]
    assert exposed(attack_series(folders)) == []


def test_packs_linked_through_a_pooled_pack_are_read_together(tmp_path):
    """Pool X+Y, then X: Y's pack shares no partnership with X's, but pool minus X gives Y
    away, so a pack about Y is read with both (the linked releases, not only those naming Y)."""
    q = ["2025-Q1"]
    pool = pack("pool", ["X", "Y"], q, count("metrics", FLAG, "unknown", "unknown", ["X", "Y"], q, 10))
    x = pack("X", ["X"], q, count("metrics", FLAG, "unknown", "unknown", ["X"], q, 7))
    z = pack("Z", ["Z"], q, count("metrics", FLAG, "unknown", "unknown", ["Z"], q, 9))
    with open_history(tmp_path / "history.sqlite") as store:
        for figures in (pool, x, z):
            record_release(store.connection, _folder(tmp_path, figures), name=figures.name,
                           period="2025-Q1", recorded_at="2026-01-01T00:00:00+00:00")
        names = [p.name.split(" ")[0] for p in earlier_releases(store.connection, ["Y"])]
    assert names == ["pool", "X"]          # X through the pool; Z linked by nothing


# ------------------------------------------------- protect._together, with stand-ins


def _this_pack() -> Publication:
    """A new pack over X for the year: the cases, the year's yes (14), and 2025-Q1's yes (6),
    no (2, hidden: 1 to 5) and not known (7)."""
    def here(column, cats, qs, value, hidden=False, table="quarterly", row=f"2025-Q1|{FLAG}"):
        figure = count(table, row, column, cats, ["X"], qs, value)
        figure.hidden = hidden
        return figure

    return pack("new", ["X"], YEAR,
                here("cases", "all", YEAR, 40, table="cases", row="pack"),
                here("numerator", "yes", YEAR, 14, table="metrics", row=FLAG),
                here("numerator", "yes", Q1, 6),
                here("no", "no", Q1, 2, hidden=True),
                here("unknown", "unknown", Q1, 7)).publication


Q1 = ["2025-Q1"]


def _stand_ins(monkeypatch, publication, earlier, found, caches=(), old=lambda found: []):
    """Run protect._together on ``publication`` (given ``caches``, what the earlier packs
    alone expose, the solutions and the single-pack ranges, should protection pass them)
    with stand-ins for the hide-less rates, the settling and the joint attack, which finds
    ``found(round)`` (each a list of the terms it narrows) and checks it is given this
    pack, the earlier packs and, from the second round on, what the first round learnt;
    returns the calls in order and the report. ``old(found)``: which of the counts
    protection asks about (those nothing left to hide widens) the earlier packs alone give
    away, a stand-in for ledger.theirs, which records the terms asked."""
    import importlib

    protect_module = importlib.import_module("audit.disclosure.protect")
    ledger = importlib.import_module("audit.disclosure.ledger")
    full, truth, given = Publication(counts=list(publication.counts)), object(), object()
    calls: list[str] = []
    learnt: list = []

    def rates_for(pub, given_full):
        assert pub is publication and given_full is full
        calls.append("rates")

    def settle(pub, given_full, k, given_truth):
        assert pub is publication and given_full is full and k == K and given_truth is truth
        calls.append(f"settle {len(calls)}")
        return calls[-1]

    def new_exposures(new, packs, *, already=None, seeds=None, memo=None, at_least=None,
                      ask_earlier=True):
        assert ask_earlier is False  # protection asks only of a count it cannot hide
        assert new.publication is publication and new.threshold == K and packs is earlier
        assert isinstance(already, dict) and isinstance(seeds, list) and isinstance(memo, dict)
        if learnt:  # what the earlier packs alone expose, the solutions, the ranges: kept
            assert (already, seeds, memo) == ({"asked": True}, ["solution"], {"asked": True})
            assert already is learnt[0] and seeds is learnt[1] and memo is learnt[2]
        already["asked"] = memo["asked"] = True
        seeds[:] = ["solution"]
        learnt[:] = [already, seeds, memo]
        calls.append("joint")
        return [SimpleNamespace(target=SimpleNamespace(terms=t))
                for t in found(calls.count("joint"))]

    monkeypatch.setattr(protect_module, "rates_for", rates_for)
    monkeypatch.setattr(protect_module, "_settle", settle)
    def theirs(packs, asked, *, already=None, seeds=None, memo=None):
        assert packs is earlier and isinstance(already, dict) and isinstance(memo, dict)
        calls.append(("theirs", [b.target.terms for b in asked]))
        return [b for b in asked if b.target.terms in old([b.target.terms for b in asked])]

    monkeypatch.setattr(ledger, "new_exposures", new_exposures)
    monkeypatch.setattr(ledger, "theirs", theirs)
    report = _together(publication, full, K, truth, given, earlier, *caches)
    return calls, (given if report is given else report)


def _hidden_now(publication: Publication) -> set[str]:
    assert all(c.hidden is True or c.hidden is False for c in publication.counts)
    return {f"{c.row}, {c.column}" for c in publication.counts if c.hidden}


NO_Q1 = (term(FLAG, "no", ["X"], Q1),)


def test_a_count_an_earlier_pack_hid_is_hidden_and_the_pack_settled_again(monkeypatch):
    """protect._together by hand: Q1's pack hid its not known (7 here) and its no (hidden
    here too); the new pack hides its not known, lists its rates again and is settled. The
    joint attack then narrows Q1's no once: the cheapest shown figure meeting it is hidden
    (Q1's yes, 6: a quarter before the year's 14), the pack settled again, and with nothing
    more found that last report is the pack's. A count both packs print stays printed."""
    earlier = [pack("Q1", ["X"], Q1, count("metrics", FLAG, "unknown", "unknown", ["X"], Q1, None),
                    count("metrics", FLAG, "no", "no", ["X"], Q1, None),
                    count("metrics", FLAG, "numerator", "yes", ["X"], Q1, 6))]
    publication = _this_pack()
    calls, report = _stand_ins(monkeypatch, publication, earlier,
                               lambda n: [NO_Q1] if n == 1 else [])
    assert calls == ["rates", "settle 1", "joint", "rates", "settle 4", "joint"]
    assert report == "settle 4"
    assert _hidden_now(publication) == {f"2025-Q1|{FLAG}, {c}" for c in ("no", "unknown",
                                                                          "numerator")}


def test_with_nothing_to_hide_the_pack_keeps_the_report_it_was_given(monkeypatch):
    """Q1's pack hid only the no, which the new pack hides too, and the joint attack finds
    nothing: nothing is hidden, listed or settled again, and the report is the one given."""
    earlier = [pack("Q1", ["X"], Q1, count("metrics", FLAG, "no", "no", ["X"], Q1, None))]
    publication = _this_pack()
    calls, report = _stand_ins(monkeypatch, publication, earlier, lambda n: [])
    assert calls == ["joint"]
    assert report is not None and not isinstance(report, str)
    assert _hidden_now(publication) == {f"2025-Q1|{FLAG}, no"}


def test_a_round_hides_one_figure_a_measure_and_asks_again(monkeypatch):
    """Two counts of the same measure and quarter narrowed in one round (Q1's no, and its
    no and not known together): the first has Q1's yes (6, the cheapest) hidden; the
    second's choices include that yes, so the round hides nothing more for it (before,
    each count found hid a figure of its own: here Q1's not known, 7, too). The joint
    attack is asked again and finds nothing: Q1's not known stays printed."""
    earlier = [pack("Q1", ["X"], Q1, count("metrics", FLAG, "no", "no", ["X"], Q1, None))]
    publication = _this_pack()
    not_yes = (term(FLAG, ("no", "unknown"), ["X"], Q1),)
    calls, report = _stand_ins(monkeypatch, publication, earlier,
                               lambda n: [NO_Q1, not_yes] if n == 1 else [])
    assert calls == ["joint", "rates", "settle 2", "joint"]
    assert report == "settle 2"
    assert _hidden_now(publication) == {f"2025-Q1|{FLAG}, {c}" for c in ("no", "numerator")}


def test_the_joint_step_hides_only_figures_of_the_measure_it_protects():
    """choice.binds: a figure of another measure cannot widen a count (measures are tied
    only by the number of cases, never hidden), except through the tables of risk factors
    together, whose patterns add up to each factor's yes. So for domestic abuse (a risk
    factor): its own figures, a pattern count and another factor's (when the pack prints
    pattern tables) bind; father seen's never does, nor a pattern count when the pack prints
    no pattern table."""
    from audit.disclosure.choice import binds
    from audit.disclosure.model import PATTERN, Count

    target = (term(FLAG, "unknown", ["X"], Q1),)
    of = {
        "own": Count("metrics", FLAG, "numerator", (term(FLAG, "yes", ["X"], YEAR),), 14),
        "seen": Count("metrics", "engagement.seen", "numerator",
                      (term("father_seen", "yes", ["X"], Q1),), 9),
        "pattern": Count("risk_bands", "2", "cases", (term(PATTERN, ("11",), ["X"], Q1),), 8),
        "other factor": Count("metrics", "risk.young_parent", "numerator",
                              (term("young_parent", "yes", ["X"], Q1),), 7),
    }
    flags = (FLAG, "young_parent")
    assert [n for n, c in of.items() if binds(c, target, flags)] == \
        ["own", "pattern", "other factor"]
    assert [n for n, c in of.items() if binds(c, target, ())] == ["own"]
    pair = (term(PATTERN, ("11",), ["X"], Q1),)  # a count of the pattern tables
    assert [n for n, c in of.items() if binds(c, pair, flags)] == \
        ["own", "pattern", "other factor"]


def test_a_count_only_other_measures_meet_is_stuck_not_hidden_around(monkeypatch):
    """The joint attack narrows Q1's no; the pack's only figures meeting it that are left
    to hide are of father seen: nothing of the measure is left, so the count is stuck (its
    measure for protection to leave out) and father seen's figure stays printed."""
    from audit.disclosure.model import Count

    publication = _this_pack()
    for c in publication.counts:
        if c.terms[0].family == FLAG:
            c.hidden = True
    seen = Count("quarterly", "2025-Q1|engagement.seen", "numerator",
                 (term("father_seen", "yes", ["X"], Q1),), 9)
    publication.counts.append(seen)
    with pytest.raises(DisclosureError) as info:
        _stand_ins(monkeypatch, publication, [], lambda n: [NO_Q1])
    assert info.value.targets == [NO_Q1] and not seen.hidden


def test_the_joint_attack_is_asked_with_what_protection_carries_between_its_calls(
        monkeypatch):
    """protect._public passes _together what the earlier packs alone expose, the
    whole-number solutions and the earlier packs' single-pack ranges, and keeps them
    across its calls (leaving a measure out only loosens the model, so all three stay
    true): each round's joint attack is asked with those very objects, and what it learns
    is in them afterwards. Two rounds, as in the first test above."""
    already, seeds, memo = {}, [], {}
    calls, _ = _stand_ins(monkeypatch, _this_pack(), [], lambda n: [NO_Q1] if n == 1 else [],
                          caches=(already, seeds, memo))
    assert calls == ["joint", "rates", "settle 2", "joint"]
    assert (already, seeds, memo) == ({"asked": True}, ["solution"], {"asked": True})


FATHER = "father_seen"


def _with_father_q1(publication: Publication) -> Publication:
    """``publication`` with a second measure: 2025-Q1's father seen (8), printed."""
    publication.counts.append(
        Count("quarterly", f"2025-Q1|{FATHER}", "numerator", (term(FATHER, "yes", ["X"], Q1),), 8))
    return publication


def test_a_round_skips_a_count_only_for_a_figure_of_its_own_measure(monkeypatch):
    """Three counts narrowed in one round: Q1's no, Q1's no and not known together, and
    Q1's father seen (another measure). The first has Q1's yes (6) hidden; the second is
    skipped (a figure of its measure, that yes, is hidden this round); the third is not
    (the yes is among its choices, as a figure meeting it, but of another measure) and
    has its own measure's figure hidden, Q1's father seen (8: its own category, before
    the 6, 7 and 14 of the other measure)."""
    earlier = [pack("Q1", ["X"], Q1, count("metrics", FLAG, "no", "no", ["X"], Q1, None))]
    publication = _with_father_q1(_this_pack())
    not_yes = (term(FLAG, ("no", "unknown"), ["X"], Q1),)
    father = (term(FATHER, "yes", ["X"], Q1),)
    calls, report = _stand_ins(monkeypatch, publication, earlier,
                               lambda n: [NO_Q1, not_yes, father] if n == 1 else [])
    assert calls == ["joint", "rates", "settle 2", "joint"]
    assert report == "settle 2"
    assert _hidden_now(publication) == {f"2025-Q1|{FLAG}, no", f"2025-Q1|{FLAG}, numerator",
                                        f"2025-Q1|{FATHER}, numerator"}


def test_a_count_whose_choices_this_round_hid_for_another_measure_is_asked_again(
        monkeypatch):
    """Two counts of 2025-Q2 narrowed in one round: its no, which only the year's yes (14)
    meets, so the 14 is hidden; and its young-parent yes (another risk factor, tied to
    domestic abuse by the tables of risk factors together the pack prints), which no figure
    of its own measure meets and only that 14 does. Its one choice is hidden already, for
    another measure: nothing more is hidden for it and it is not stuck (something could
    still widen it: the next round asks again), so no refusal; the joint attack, asked
    again, finds nothing."""
    earlier = [pack("Q1", ["X"], Q1, count("metrics", FLAG, "no", "no", ["X"], Q1, None))]
    publication = _this_pack()
    publication.pattern_flags = (FLAG, "young_parent")
    q2 = ["2025-Q2"]
    found = [(term(FLAG, "no", ["X"], q2),), (term("young_parent", "yes", ["X"], q2),)]
    calls, report = _stand_ins(monkeypatch, publication, earlier,
                               lambda n: found if n == 1 else [])
    assert calls == ["joint", "rates", "settle 2", "joint"]
    assert report == "settle 2"
    assert _hidden_now(publication) == {f"2025-Q1|{FLAG}, no", f"{FLAG}, numerator"}


def test_every_count_stuck_in_a_round_is_reported_at_once(monkeypatch):
    """Two counts of partnership Y, which no figure of this pack meets, narrowed in one
    round: both are stuck, in one refusal (its words for the first), so that protection
    can leave out a measure binding each at once."""
    y_yes, y_no = (term(FLAG, "yes", ["Y"], Q1),), (term(FLAG, "no", ["Y"], Q1),)
    with pytest.raises(DisclosureError) as info:
        _stand_ins(monkeypatch, _this_pack(), [], lambda n: [y_yes, y_no])
    assert info.value.targets == [y_yes, y_no]
    assert str(info.value).startswith(
        "this pack cannot hide 'domestic_abuse' (yes) in the figures for Y, 2025-Q1: ")


def test_a_count_no_figure_of_the_pack_can_widen_is_refused_in_the_whole_words(monkeypatch):
    """A count of partnership Y, which no figure of this pack meets, narrowed: refused, in
    the words for packs read together, or, with no earlier pack, for whole numbers."""
    y = (term(FLAG, "yes", ["Y"], Q1),)
    earlier = [pack("Q1", ["X"], Q1, count("metrics", FLAG, "no", "no", ["X"], Q1, None))]
    head = "this pack cannot hide 'domestic_abuse' (yes) in the figures for Y, 2025-Q1: " \
           "whatever else it hides or leaves out, "
    tail = ". Nothing was written; publish a longer period or a larger area, or leave this " \
           "pack unpublished"
    for packs, how in ((earlier, "read with the public packs already produced about these "
                                 "partnerships, the figures published together give it away"),
                       ([], "its own figures give it away in whole numbers")):
        with pytest.raises(DisclosureError) as info:
            _stand_ins(monkeypatch, _this_pack(), packs, lambda n: [y])
        assert str(info.value) == head + how + tail
        assert info.value.targets == [y]  # a measure binding it may be left out instead


def test_a_count_the_joint_attack_never_clears_is_stuck_after_its_rounds(monkeypatch):
    """With two rounds allowed and Q1's no narrowed in each, the two cheapest shown figures
    meeting it are hidden (Q1's yes, 6, then its not known, 7) and the count is stuck: its
    measure is for protection to leave out, and the words are the refusal's should nothing
    be left to leave out: "in whole numbers" with no earlier pack, "with the public packs
    already produced" with one (Q1's pack, which hid its no too)."""
    import importlib

    monkeypatch.setattr(importlib.import_module("audit.disclosure.protect"), "_JOINT_ROUNDS", 2)
    earlier = [pack("Q1", ["X"], Q1, count("metrics", FLAG, "no", "no", ["X"], Q1, None))]
    for packs, how in (([], "in whole numbers"),
                       (earlier, "with the public packs already produced")):
        publication = _this_pack()
        with pytest.raises(DisclosureError) as info:
            _stand_ins(monkeypatch, publication, packs, lambda n: [NO_Q1])
        assert str(info.value) == (
            f"the disclosure check of this pack {how} did not settle in 2 rounds: each "
            "round hid more and a hidden count could still be worked out, and no measure is "
            "left to leave out. Nothing was written; publish a longer period or a larger area")
        assert info.value.targets == [NO_Q1]
        assert _hidden_now(publication) == {f"2025-Q1|{FLAG}, {c}" for c in ("no", "numerator",
                                                                              "unknown")}


def test_a_count_the_earlier_packs_alone_give_away_is_not_held_against_the_pack(monkeypatch):
    """Protection asks whether the earlier packs alone give a count away only of a count
    nothing left to hide widens (ledger.theirs; releases protected together give nothing
    away alone, so asking every count found was 11 s of the benchmark year's 115 s). Found
    together: partnership Y's yes, which no figure of this pack meets, and Q1's no, which
    Q1's yes (6) meets. Only Y's yes is asked about; the earlier packs alone give it away,
    so it is not this pack's doing: no refusal, Q1's yes is hidden for the no, and the
    joint attack, asked again, finds nothing more."""
    y = (term(FLAG, "yes", ["Y"], Q1),)
    earlier = [pack("Q1", ["X"], Q1, count("metrics", FLAG, "no", "no", ["X"], Q1, None))]
    publication = _this_pack()
    calls, report = _stand_ins(monkeypatch, publication, earlier,
                               lambda n: [y, NO_Q1] if n == 1 else [], old=lambda asked: [y])
    assert calls == ["joint", ("theirs", [y]), "rates", "settle 3", "joint"]
    assert report == "settle 3"
    assert _hidden_now(publication) == {f"2025-Q1|{FLAG}, no", f"2025-Q1|{FLAG}, numerator"}
    # Given away by the earlier packs alone, and nothing else found: the report given.
    # (the joint attack is asked again: it may have shown only some exposures at first,
    # and a pack is clean only by one that decided every count)
    publication = _this_pack()
    calls, report = _stand_ins(monkeypatch, publication, earlier,
                               lambda n: [y] if n == 1 else [], old=lambda asked: [y])
    assert calls == ["joint", ("theirs", [y]), "joint"]
    assert report is not None and not isinstance(report, str)
    assert _hidden_now(publication) == {f"2025-Q1|{FLAG}, no"}


def test_a_count_never_cleared_that_the_earlier_packs_give_away_ends_the_rounds(monkeypatch):
    """As the test above it, two rounds narrow Q1's no; the earlier packs alone give it
    away (Q1's own pack), so after its rounds it is asked about, the joint attack is asked
    once more for the rest (none) and the pack is not refused: the last report is the
    pack's, with the two figures the rounds hid."""
    import importlib

    monkeypatch.setattr(importlib.import_module("audit.disclosure.protect"), "_JOINT_ROUNDS", 2)
    earlier = [pack("Q1", ["X"], Q1, count("metrics", FLAG, "no", "no", ["X"], Q1, None))]
    publication = _this_pack()
    calls, report = _stand_ins(monkeypatch, publication, earlier,
                               lambda n: [NO_Q1] if n <= 2 else [], old=lambda asked: [NO_Q1])
    assert calls == ["joint", "rates", "settle 2", "joint", "rates", "settle 5",
                     ("theirs", [NO_Q1]), "joint"]
    assert report == "settle 5"  # the second round's settling
    assert _hidden_now(publication) == {f"2025-Q1|{FLAG}, {c}" for c in ("no", "numerator",
                                                                          "unknown")}


def test_a_pack_printing_a_count_otherwise_than_an_earlier_one_is_named_this_pack():
    """The joint attack (no stand-in) refuses packs that print one count as two values,
    naming the pack being protected "this pack"."""
    earlier = [pack("Q1", ["X"], Q1, count("metrics", FLAG, "unknown", "unknown", ["X"], Q1, 9))]
    this = pack("new", ["X"], Q1,
                count("metrics", FLAG, "unknown", "unknown", ["X"], Q1, 8)).publication
    with pytest.raises(DisclosureError) as info:
        _together(this, this, K, None, AttackReport(), earlier)
    assert str(info.value) == (
        "this pack prints metrics: domestic_abuse, unknown as a different value from another "
        "pack: the packs are not one series of the same data")


def test_the_ledger_is_listed_and_a_pack_never_published_can_be_forgotten(tmp_path, capsys,
                                                                          monkeypatch):
    """`audit history --releases` lists the public packs recorded, oldest first, with an id
    (the first 12 characters of their figures' digest); `--forget-release ID` removes one
    (a trial run never published), only with --yes when not asked at a terminal, and the
    next public pack is then protected without it. Bad ids are refused with exit 2."""
    from audit import cli
    from audit.disclosure.ledger import list_releases
    from audit.files import sha256_of

    year, q1, _ = _series()
    path = tmp_path / "history.sqlite"
    with open_history(path) as store:
        db = store.connection
        for figures, period, at in ((year, "2025", "2026-01-01T00:00:00+00:00"),
                                    (q1, "2025-Q1", "2026-02-01T00:00:00+00:00")):
            record_release(db, _folder(tmp_path, figures), name=figures.name, period=period,
                           recorded_at=at)
        db.commit()
    ids = [sha256_of(tmp_path / n / "figures.csv")[:12] for n in ("year", "Q1")]
    assert cli.main(["history", "--history", str(path), "--releases"]) == 0
    out = capsys.readouterr().out.splitlines()
    # each release with its partnerships (as the ledger keys them, in lower case), so two
    # partnerships' packs of a period are told apart (a new analyst's trial, 7 Dec 2026)
    assert out[0].split() == ["id", "name", "period", "partnerships", "recorded_at"]
    assert [line.split() for line in out[1:3]] == [
        [ids[0], "year", "2025", "x", "2026-01-01T00:00:00+00:00"],
        [ids[1], "Q1", "2025-Q1", "x", "2026-02-01T00:00:00+00:00"]]
    assert "2 public packs recorded" in out[4]
    for bad, said in (("abc", "give at least the first 6 characters"),
                      ("ffffffffff", "matches no release")):
        assert cli.main(["history", "--history", str(path), "--forget-release", bad]) == 2
        assert said in capsys.readouterr().err
    # not a terminal and no --yes: refused, nothing removed
    assert cli.main(["history", "--history", str(path), "--forget-release", ids[1][:8]]) == 2
    err = capsys.readouterr().err
    assert f"would remove the release {ids[1]} (Q1, recorded 2026-02-01" in err
    assert "Only a pack that was never published" in err and "; pass --yes" in err
    # at a terminal: asked, after the warning; "n" keeps it
    import sys

    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    asked: list[str] = []
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or "n")
    assert cli.main(["history", "--history", str(path), "--forget-release", ids[1][:8]]) == 0
    assert "nothing removed" in capsys.readouterr().out
    assert asked == [
        "Only a pack that was never published: later public packs are no longer protected "
        "with it, so if it was published they can give its hidden counts away.\nremove the "
        f"release {ids[1]} (Q1, recorded 2026-02-01T00:00:00+00:00) from {path}? [y/N] "]
    with open_history(path) as store:
        assert len(list_releases(store.connection)) == 2
    assert cli.main(["history", "--history", str(path), "--forget-release", ids[1][:8],
                     "--yes"]) == 0
    assert f"removed the release {ids[1]} (Q1)" in capsys.readouterr().out
    with open_history(path) as store:
        assert [r["id"] for r in list_releases(store.connection)] == [ids[0]]
        assert [p.name.split(" (")[0] for p in earlier_releases(store.connection, ["X"])] == \
            ["year"]
    assert cli.main(["history", "--history", str(path), "--releases", "--export",
                     str(tmp_path / "x.csv")]) == 2
    assert "--export and --releases cannot be combined" in capsys.readouterr().err
