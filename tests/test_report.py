"""End to end: `audit run` writes a complete pack for its audience — the board's (every
aggregate figure, marked, with the analyst notebooks) or the public's (small counts hidden,
attack-checked, no notebooks) — or nothing at all."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from audit.disclosure import BOARD_MARKING, Policy
from audit.disclosure.figures import check_pack
from audit.errors import ParameterError, ReportError
from audit.intake.sample import generate_extract
from audit.run.notebooks import notebooks_dir
from audit.run.report import default_output_dir, run_audit
from audit.sections import NOTEBOOKS, SECTIONS
from packs import MARKING

ROOT = Path(__file__).resolve().parents[1]
K = 5


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict] = []
        self.ids: set[str] = set()
        self.classes: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        self.classes.update((attrs.get("class") or "").split())


@pytest.fixture(scope="module")
def small_extract(shared_extract) -> Path:
    """The session's small two-partnership extract, with planted case ids (tests/packs.py)."""
    return shared_extract


@pytest.fixture(scope="module")
def in_scope(small_extract) -> pd.DataFrame:
    frame = pd.read_csv(small_extract, dtype=str)
    return frame[frame["child_age_months"].astype(int) < 12]


@pytest.fixture(scope="module")
def history(board_pack) -> Path:
    """The board pack's own history store (it ran with --each-quarter)."""
    return board_pack.history


@pytest.fixture(scope="module")
def pack(board_pack) -> Path:
    assert board_pack.stdout.strip().endswith(str(board_pack.folder.resolve() / "board-pack.html"))
    return board_pack.folder


@pytest.fixture(scope="module")
def public(public_pack) -> Path:
    return public_pack.folder


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


# --------------------------------------------------------------------------- what each pack holds


def test_board_pack_has_every_output(pack):
    for name in ("board-pack.html", "board-pack.xlsx", "board-pack.pptx", "metrics.csv",
                 "manifest.json"):
        assert (pack / name).is_file(), name
    assert sorted(p.stem for p in (pack / "notebooks").glob("*.ipynb")) == sorted(NOTEBOOKS)
    assert len(list((pack / "charts").glob("*.png"))) >= 5
    assert not (pack / "figures.csv").exists()      # the board pack is not for publication
    assert not (pack / "sections").exists()         # working files do not ship
    files = _files(pack)
    assert not [f for f in files if f.endswith((".parquet", ".pickle", ".sqlite"))]
    assert not [f for f in files if "public-pack" in f]


def test_public_pack_holds_only_publishable_files(public):
    for name in ("public-pack.html", "public-pack.xlsx", "public-pack.pptx", "metrics.csv",
                 "figures.csv", "manifest.json"):
        assert (public / name).is_file(), name
    assert not (public / "notebooks").exists()     # analyst copies are unsuppressed
    files = _files(public)
    assert not [f for f in files if "board-pack" in f]
    assert not [f for f in files if f.endswith((".ipynb", ".parquet", ".pickle", ".sqlite"))]
    assert {f.split("/")[0] for f in files} <= {"public-pack.html", "public-pack.xlsx",
                                                "public-pack.pptx", "public-pack.pdf",
                                                "metrics.csv", "figures.csv", "manifest.json",
                                                "charts"}


@pytest.mark.parametrize("which", ["pack", "public"])
def test_html_has_every_section_no_code_and_alt_text(which, pack, public):
    folder = {"pack": pack, "public": public}[which]
    name = "board-pack.html" if which == "pack" else "public-pack.html"
    html = (folder / name).read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    audience = "board" if which == "pack" else "public"
    keys = {s.key for s in SECTIONS if audience in s.audiences}
    assert keys <= page.ids
    # the draft actions are the board's working paper only
    assert ("actions" in page.ids) is (audience == "board")
    assert page.images and all(img.get("alt", "").strip() for img in page.images)
    assert all(img["src"].startswith("data:image/png;base64,") for img in page.images)
    # no code cells or prompts from a notebook conversion
    assert not {"jp-CodeCell", "input_area", "jp-InputArea"} & page.classes
    assert "import audit" not in html and "open_audit(" not in html
    assert not re.search(r"<(script|link)\b", html)  # nothing to fetch, nothing to run


@pytest.mark.parametrize("which", ["pack", "public"])
def test_no_case_id_reaches_any_pack_file(which, pack, public, small_extract):
    folder = {"pack": pack, "public": public}[which]
    ids = pd.read_csv(small_extract, dtype=str)["case_id"].tolist()
    checked = 0
    for path in folder.rglob("*"):
        if not path.is_file() or path.parent.name == "notebooks":
            continue   # the analyst notebooks are checked by tests/test_leaks.py
        data = path.read_bytes()
        leaked = [i for i in ids if i.encode() in data]
        assert not leaked, f"{path.name} contains case ids {leaked[:3]}"
        checked += 1
    assert checked >= 6


def test_nothing_is_written_beside_the_extract(pack, public, small_extract):
    # Both packs ran on it (the board pack with the notebooks and a history): the extract's
    # folder holds the extract alone and the file is unchanged (its digest is in the manifest).
    assert [p.name for p in small_extract.parent.iterdir()] == [small_extract.name]
    manifest = json.loads((pack / "manifest.json").read_text())
    assert manifest["input"]["sha256"] == hashlib.sha256(small_extract.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- the figures


def test_board_metrics_show_every_count(pack, in_scope):
    table = pd.read_csv(pack / "metrics.csv", dtype=str, keep_default_na=False)
    assert list(table.columns)[:3] == ["metric", "numerator", "denominator"]
    assert not (table == "c").any().any()              # nothing hidden from the board
    row = table.set_index("metric").loc["risk.domestic_abuse"]
    answers = in_scope["domestic_abuse"].fillna("").str.strip().str.lower()
    yes = int(answers.isin(["yes", "y"]).sum())
    no = int(answers.isin(["no", "n"]).sum())
    assert (int(row["numerator"]), int(row["denominator"]), int(row["unknown"])) == \
        (yes, yes + no, len(in_scope) - yes - no)
    counts = pd.to_numeric(table["numerator"], errors="coerce")
    assert counts.between(1, K).any()                  # 55 cases: some counts are small


def test_public_metrics_hide_every_small_count(public):
    table = pd.read_csv(public / "metrics.csv", dtype=str, keep_default_na=False)
    for column in ("numerator", "denominator", "unknown"):
        counts = pd.to_numeric(table[column], errors="coerce")
        assert not counts.between(1, K).any(), column   # no small count is published
    assert (table["numerator"] == "c").any()            # 55 cases: some must be small
    hidden = table[table["numerator"] == "c"]
    assert (hidden[["rate", "ci_low", "ci_high"]] == "c").all().all()


def test_the_public_pack_passes_the_reviewers_check(public):
    result = check_pack(public)
    assert result.threshold == K
    assert result.hidden >= 1
    assert result.narrowest is None or result.narrowest >= K


@pytest.mark.parametrize("which", ["pack", "public"])
def test_workbook_numbers_equal_the_published_csv(which, pack, public):
    from openpyxl import load_workbook

    folder = {"pack": pack, "public": public}[which]
    name = "board-pack.xlsx" if which == "pack" else "public-pack.xlsx"
    marking = BOARD_MARKING if which == "pack" else MARKING
    csv = pd.read_csv(folder / "metrics.csv", dtype=str, keep_default_na=False)
    workbook = load_workbook(folder / name, read_only=True)
    for sheet in workbook.worksheets:                       # the marking on every sheet
        assert next(sheet.iter_rows(max_row=1, values_only=True))[0] == marking
    rows = list(workbook["Metrics"].iter_rows(values_only=True))
    assert list(rows[2]) == list(csv.columns)               # marking, title, header
    assert len(rows) - 3 == len(csv)
    for got, want in zip(rows[3:], csv.itertuples(index=False)):
        for value, text in zip(got, want):
            if text == "":
                assert value is None
            elif text == "c" or not text[0].isdigit():
                assert value == text
            else:
                assert float(value) == pytest.approx(float(text), abs=5e-7)


def test_the_marking_is_on_the_page(pack, public):
    board = (pack / "board-pack.html").read_text(encoding="utf-8")
    assert board.count(BOARD_MARKING) >= 2
    page = (public / "public-pack.html").read_text(encoding="utf-8")
    assert page.count(MARKING) >= 2 and BOARD_MARKING not in page


# --------------------------------------------------------------------------- the manifest


def test_board_manifest_records_provenance(pack, small_extract, in_scope):
    manifest = json.loads((pack / "manifest.json").read_text())
    assert manifest["marking"] == BOARD_MARKING
    assert manifest["disclosure"] == {"audience": "board", "marking": BOARD_MARKING}
    assert manifest["input"]["file"] == small_extract.name
    assert manifest["input"]["sha256"] == hashlib.sha256(small_extract.read_bytes()).hexdigest()
    # the board's own papers: every count of the extract, small ones included
    assert manifest["input"]["rows_read"] == 60
    assert manifest["input"]["excluded_out_of_scope"] == 60 - len(in_scope)
    assert manifest["audit"]["cases"] == len(in_scope)
    assert manifest["parameters"]["audience"] == "board"
    # the extract is named as given (folder included), so the command works from where it ran
    assert manifest["rerun"].startswith(f"audit run {small_extract} --audience board --history ")
    assert "--suppress-max" not in manifest["rerun"] and "--marking" not in manifest["rerun"]
    assert "--each-quarter" in manifest["rerun"].split()
    assert manifest["versions"]["pandas"] == pd.__version__
    outputs = manifest["outputs_sha256"]
    assert outputs["metrics.csv"] == hashlib.sha256(
        (pack / "metrics.csv").read_bytes()).hexdigest()
    assert any(name.startswith("notebooks/") for name in outputs)


def test_public_manifest_records_the_disclosure_check(public, small_extract):
    manifest = json.loads((public / "manifest.json").read_text())
    assert manifest["marking"] == MARKING
    disclosure = manifest["disclosure"]
    assert disclosure["audience"] == "public" and disclosure["marking"] == MARKING
    assert disclosure["suppress_max"] == K
    assert disclosure["cells_hidden"] >= 1 and disclosure["cells_attacked"] >= 1
    assert disclosure["narrowest_range"] is None or disclosure["narrowest_range"] >= K
    assert isinstance(disclosure["figures_dropped"], list)
    assert all(isinstance(d, str) and d for d in disclosure["figures_dropped"])
    # no extract counts a public reader could combine with the pack's figures
    assert "rows_read" not in manifest["input"] and "ignored_columns" not in manifest["input"]
    # a public pack names no file and no folder of the analyst's (issue 22)
    assert manifest["rerun"].removesuffix(" --pdf") == (
        f"audit run EXTRACT --audience public --suppress-max 5 "
        f"--marking '{MARKING}' --no-history --alone")
    text = json.dumps(manifest)
    assert small_extract.name not in text and str(small_extract.parent.parent) not in text
    assert "file" not in manifest["input"] and manifest["parameters"]["history"] is False
    assert set(manifest["outputs_sha256"]) == _files(public) - {"manifest.json"}


# --------------------------------------------------------------------------- failures


@pytest.mark.usefixtures("charts_not_drawn")  # words, files and codes: not pictures
def test_a_failing_notebook_leaves_nothing_behind(small_extract, tmp_path):
    broken = tmp_path / "notebooks"
    shutil.copytree(notebooks_dir(), broken)
    # the fault in the first notebook to start: the ones still waiting are cancelled, so
    # the run stops as soon as it fails
    first = next(iter(NOTEBOOKS))
    nb = json.loads((broken / f"{first}.ipynb").read_text())
    nb["cells"].insert(1, {"cell_type": "code", "id": "boom", "metadata": {}, "outputs": [],
                           "execution_count": None,
                           "source": "raise RuntimeError('planted fault')"})
    (broken / f"{first}.ipynb").write_text(json.dumps(nb))
    out = tmp_path / "reports" / "q"
    with pytest.raises(ReportError, match=rf"{first}.*RuntimeError: planted fault"):
        run_audit(small_extract, output_dir=out, notebooks=broken, jobs=2, progress=None)
    assert not out.exists()
    assert list((tmp_path / "reports").iterdir()) == []  # no staging folder left either


def test_an_unknown_kernel_is_a_clear_error(small_extract, tmp_path):
    with pytest.raises(ReportError, match="kernel 'no-such-kernel' is not registered"):
        run_audit(small_extract, output_dir=tmp_path / "o", kernel="no-such-kernel", progress=None)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("kwargs", [{"audience": "press"}, {"audience": "public",
                                                             "suppress_max": 0},
                                    {"marking": "   "}, {"jobs": -1}])
def test_bad_settings_are_parameter_errors_before_any_work(small_extract, tmp_path, kwargs):
    with pytest.raises(ParameterError):
        run_audit(small_extract, output_dir=tmp_path / "o", progress=None, **kwargs)
    assert not (tmp_path / "o").exists()


def test_a_run_configuration_is_one_object_and_not_mixed_with_options(small_extract, tmp_path):
    """``run_audit`` takes a RunConfig (what the CLI builds) or the same fields as keywords."""
    from audit.run.report import RunConfig

    config = RunConfig(small_extract, output_dir=tmp_path / "o", jobs=0, progress=None)
    assert config.inputs == [Path(small_extract)]
    with pytest.raises(ParameterError, match="not both"):
        run_audit(config, audience="public")
    with pytest.raises(TypeError):
        run_audit(small_extract, no_such_option=True)
    with pytest.raises(ParameterError, match="--jobs"):  # its checks come before any work
        run_audit(RunConfig(small_extract, output_dir=tmp_path / "o", jobs=-1, progress=None))
    assert not (tmp_path / "o").exists()


def test_a_missing_notebook_is_refused_before_any_work(small_extract, tmp_path):
    empty = tmp_path / "notebooks"
    empty.mkdir()
    with pytest.raises(ReportError, match="notebooks missing"):
        run_audit(small_extract, output_dir=tmp_path / "o", notebooks=empty, progress=None)
    assert not (tmp_path / "o").exists()


def test_default_output_dir():
    assert default_output_dir(None, None) == Path("reports/all")
    assert default_output_dir("2025-Q3", None) == Path("reports/2025-Q3")
    assert default_output_dir("2025-Q3", "North Bridge") == Path("reports/2025-Q3-north-bridge")
    assert default_output_dir("2025-Q3", "North Bridge", Policy.make("public")) == \
        Path("reports/2025-Q3-north-bridge-public")
    assert default_output_dir("2025", None, Policy.make("board")) == Path("reports/2025")


def test_packs_of_two_partnerships_for_one_quarter_go_to_two_folders(tmp_path, monkeypatch):
    """Without --out or --partnership, a pack of an extract of one partnership is named
    after it: a new analyst serving two partnerships ran Harbourside's quarter, then
    Eastmere's, and the second replaced the first in reports/2026-Q2. A pooled extract's
    pack keeps the quarter's own name."""
    from types import SimpleNamespace

    from audit.run.report import _destination
    from audit.workspace import open_audit

    monkeypatch.chdir(tmp_path)
    frame = generate_extract(60, seed=5, partnerships=["Harbourside", "Eastmere"],
                             start="2026-04-01", quarters=1)
    config = SimpleNamespace(output_dir=None, say=lambda message: None)
    folders = []
    for name, cases in [*frame.groupby("partnership"), ("pooled", frame)]:
        path = tmp_path / f"{name}.csv"
        cases.to_csv(path, index=False)
        data = open_audit(path, period="2026-Q2")
        folders.append(_destination(config, data, Policy.make("board")).relative_to(tmp_path))
        public = _destination(config, data, Policy.make("public")).relative_to(tmp_path)
        assert public == Path(f"{folders[-1]}-public")
    assert folders == [Path("reports/2026-Q2-eastmere"), Path("reports/2026-Q2-harbourside"),
                       Path("reports/2026-Q2")]


# --------------------------------------------------------------------------- history


def test_history_holds_every_quarter_pooled_and_per_partnership(pack, history, in_scope):
    from audit.history import open_history
    from audit.measures.metrics import quarter_label

    quarters = set(quarter_label(pd.to_datetime(in_scope["notification_date"])))
    store = open_history(history)
    try:
        runs = store.runs()
    finally:
        store.close()
    pooled_key = "Eastmere + Northbridge"  # the set of partnerships, never a shared "all"
    assert set(runs.loc[runs.partnership == pooled_key, "period"]) == quarters
    assert set(runs["partnership"]) == {pooled_key, "Northbridge", "Eastmere"}
    pooled = runs[runs.partnership == pooled_key].set_index("period")["cases"]
    assert pooled.sum() == len(in_scope)


def test_running_twice_leaves_the_same_history_rows(pack, history, small_extract, tmp_path):
    from audit.history import open_history

    history = Path(shutil.copy(history, tmp_path / "history.sqlite"))  # the shared one stays

    def rows():
        store = open_history(history)
        try:
            return store.metrics().drop(columns=["recorded_at"])
        finally:
            store.close()

    before = rows()
    again = tmp_path / "again"
    run_audit(small_extract, output_dir=again, jobs=2, progress=None,
              history=history, each_quarter=True, run_notebooks=False)
    after = rows()
    pd.testing.assert_frame_equal(before, after)
    # Without its notebooks (--no-notebooks) the pack holds every other file, and says so.
    assert _files(again) == {f for f in _files(pack)
                             if not f.startswith("notebooks/") and f != "board-pack.pdf"}
    assert json.loads((again / "manifest.json").read_text())["rerun"].endswith("--no-notebooks")
    # Reproducible: the same extract and parameters give the same bytes, notebooks run or not.
    assert (again / "metrics.csv").read_bytes() == (pack / "metrics.csv").read_bytes()
    assert (again / "board-pack.xlsx").read_bytes() == (pack / "board-pack.xlsx").read_bytes()
    charts = sorted(p.name for p in (pack / "charts").glob("*.png"))
    assert charts == sorted(p.name for p in (again / "charts").glob("*.png"))
    for name in charts:
        assert (again / "charts" / name).read_bytes() == (pack / "charts" / name).read_bytes(), name


# --------------------------------------------------------------------------- other extracts


@pytest.mark.usefixtures("charts_not_drawn")  # words, files and codes: not pictures
def test_national_reconstruction_board_shows_the_five_care_leavers_public_hides_them(tmp_path):
    """An extract with only the published columns (no engagement or sharing flags)."""
    sample = ROOT / "data" / "sample" / "national_review_2021.csv"
    board = tmp_path / "national"
    run_audit(sample, output_dir=board, jobs=2, progress=None, allow_missing="all",
              run_notebooks=False)
    table = pd.read_csv(board / "metrics.csv", dtype=str, keep_default_na=False).set_index("metric")
    assert (table.at["harmed_by.birth_father", "numerator"],
            table.at["harmed_by.birth_father", "denominator"]) == ("81", "92")
    assert table.at["risk.care_leaver", "numerator"] == "5"      # the review's 5 of 92
    assert not any(m.startswith("engagement.") for m in table.index)
    html = (board / "board-pack.html").read_text(encoding="utf-8")
    assert "No father-engagement steps are recorded in this extract." in html

    public = tmp_path / "national-public"
    run_audit(sample, output_dir=public, audience="public", jobs=2, progress=None,
              allow_missing="all")
    table = pd.read_csv(public / "metrics.csv", dtype=str,
                        keep_default_na=False).set_index("metric")
    assert table.at["risk.care_leaver", "numerator"] == "c"      # 5 is a small number
    check_pack(public)


@pytest.mark.usefixtures("charts_not_drawn")  # words, files and codes: not pictures
def test_excel_extract_with_a_named_sheet_runs(tmp_path):
    sample = ROOT / "data" / "sample" / "northbridge_extract.xlsx"
    out = tmp_path / "northbridge"
    run_audit(sample, output_dir=out, jobs=2, progress=None, sheet="Cases",
              partnership="Northbridge", period="2025", run_notebooks=False)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["input"]["sheet"] == "Cases"
    assert manifest["audit"]["period"] == "2025"
    assert "--sheet Cases --period 2025 --partnership Northbridge" in manifest["rerun"]


def test_measures_allowed_missing_open_the_board_summary(tmp_path, capsys):
    """Issue 21: a case-management export with six measures under local names. Without
    consent the run stops; with --allow-missing the summary's first line names them."""
    from audit import cli

    renamed = {"domestic_abuse": "DA", "young_parent": "Young dad",
               "father_enquiry_beyond_mother": "Enquiries beyond mum",
               "father_crying_advice": "ICON advice to dad",
               "external_pressures": "Money worries", "trigger_infant_behaviour": "Crying trigger"}
    path = tmp_path / "export.csv"
    generate_extract(60, seed=21, partnerships=("Harbourside",), quarters=2).rename(
        columns=renamed).to_csv(path, index=False)
    out = tmp_path / "pack"
    argv = ["run", str(path), "--no-history", "--no-notebooks", "--out", str(out)]
    assert cli.main(argv) == cli.EXIT_INPUT
    assert "6 measures of the contract are missing" in capsys.readouterr().err
    assert not out.exists()
    assert cli.main([*argv, "--allow-missing", ",".join(renamed)]) == cli.EXIT_OK
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (out / "board-pack.html").read_text(
        encoding="utf-8")))
    summary = text[text.index("Summary for the board", text.index("About these figures")):]
    assert summary.startswith(
        "Summary for the board Not recorded in this extract, so left out of every figure: "
        "Domestic abuse, Young parent, External pressures, Triggered by infant behaviour, "
        "Enquiries beyond the mother, Father given crying advice (6 measures of 22). This "
        "audit covers")
    table = pd.read_csv(out / "metrics.csv").set_index("metric")
    assert "risk.domestic_abuse" not in table.index and "engagement.seen" in table.index


def test_a_public_manifest_names_no_file_and_no_folder():
    """Issue 22: the rerun command and the parameters of a public manifest carry
    placeholders and yes/no in place of every file the run was given."""
    from audit.run.manifest import public_settings, rerun_command

    settings = {"audience": "public", "suppress_max": 5, "history": "/home/ann/h.sqlite",
                "selection": "C:\\audits\\q3.record.json", "moderation": ["/srv/second.csv"],
                "agreed": ["/srv/agreed.csv"], "targets": "/srv/targets.csv", "period": "2025-Q3"}
    rerun = rerun_command([Path("/srv/q3/northbridge.csv"), Path("/srv/q3/eastmere.xlsx")],
                          settings)
    assert rerun == ("audit run EXTRACT EXTRACT --period 2025-Q3 --audience public "
                     "--suppress-max 5 --history HISTORY --selection SELECTION "
                     "--moderation MODERATION --agreed AGREED")
    shown = public_settings(settings)
    assert {k: shown[k] for k in ("history", "selection", "moderation", "agreed", "targets")} \
        == dict.fromkeys(("history", "selection", "moderation", "agreed", "targets"), True)
    assert shown["period"] == "2025-Q3" and shown["suppress_max"] == 5
    board = rerun_command(Path("/srv/q3/northbridge.csv"), {**settings, "audience": "board"})
    assert board.startswith("audit run /srv/q3/northbridge.csv ") and "/home/ann/h.sqlite" in board


def _seen_cases(path: Path, date: str, seen: int, cases: int = 30) -> Path:
    """``cases`` cases of Kestrel Vale notified on ``date``, father seen in ``seen``."""
    path.write_text("case_id,notification_date,child_age_months,partnership,harmed_by,"
                    "known_to,father_seen\n"
                    + "".join(f"SYN-H-{date}-{i:03d},{date},3,Kestrel Vale,birth_father,"
                              f"universal,{'yes' if i < seen else 'no'}\n"
                              for i in range(cases)))
    return path


@pytest.mark.usefixtures("charts_not_drawn")  # words and files: not pictures
def test_trend_charts_name_the_quarters_read_from_the_history(tmp_path):
    """2026-Q3 (father seen 15 of 30) recorded from q3-kestrel.csv; then 2026-Q4 (12 of 30)
    from q4-kestrel.csv, board and public. The trend charts show both quarters: their
    captions cite this quarter's file and 2026-Q3 from the history store (a new analyst's
    Q4 pack cited only its own file); "About these figures" says so; the manifest records
    which quarter came from the history and the input it was recorded from (its file name
    in the board's manifest only)."""
    import hashlib

    from audit import cli

    q3 = _seen_cases(tmp_path / "q3-kestrel.csv", "2026-08-10", seen=15)
    q4 = _seen_cases(tmp_path / "q4-kestrel.csv", "2026-11-10", seen=12)
    store = tmp_path / "history.sqlite"
    common = ["--allow-missing", "all", "--history", str(store)]
    assert cli.main(["run", str(q3), "--period", "2026-Q3", "--no-notebooks", *common,
                     "--out", str(tmp_path / "q3")]) == 0
    assert cli.main(["run", str(q4), "--period", "2026-Q4", "--no-notebooks", *common,
                     "--out", str(tmp_path / "board")]) == 0
    assert cli.main(["run", str(q4), "--period", "2026-Q4", "--audience", "public", *common,
                     "--out", str(tmp_path / "public")]) == 0
    digest = hashlib.sha256(q3.read_bytes()).hexdigest()
    for name, source in (("board", "q4-kestrel.csv (case extract)"),
                         ("public", "case extract")):
        folder = tmp_path / name
        page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (folder / f"{name}-pack.html")
                                          .read_text(encoding="utf-8")))
        cited = f"Period: 2026-Q3 to 2026-Q4. Source: {source}; 2026-Q3 from the history store."
        assert page.count(cited) == 2, name     # the trend chart and the run chart
        assert f"Source: {source}." not in page.split("Quarter by quarter")[2], name
        assert ("Earlier quarters 2026-Q3: in the quarter-by-quarter charts, read from the "
                "history store (the figures earlier runs recorded), not from the source "
                "extract") in page, name
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        (earlier,) = manifest["audit"]["history_quarters"]
        assert earlier["period"] == "2026-Q3" and earlier["input_sha256"] == digest
        if name == "board":
            assert earlier["input_file"] == "q3-kestrel.csv"
        else:
            assert "input_file" not in earlier
            text = json.dumps(manifest)
            assert "kestrel.csv" not in text and str(tmp_path) not in text
    q3_manifest = json.loads((tmp_path / "q3" / "manifest.json").read_text(encoding="utf-8"))
    assert q3_manifest["audit"]["history_quarters"] == []
