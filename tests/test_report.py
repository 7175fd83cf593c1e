"""End to end: `audit run` writes a complete, suppressed, self-contained board pack, or nothing."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from audit.errors import ReportError
from audit.report import NOTEBOOKS, default_output_dir, notebooks_dir, run_audit
from audit.sample import generate_extract

SECTIONS = ("summary", "trends", "risk-factors", "engagement", "services", "partnerships",
            "data-quality")


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
def small_extract(tmp_path_factory) -> Path:
    """A small two-partnership extract with distinctive, plantable case ids."""
    frame = generate_extract(60, seed=11, partnerships=("Northbridge", "Eastmere"), quarters=4)
    frame["case_id"] = [f"ZQX{i:05d}" for i in range(len(frame))]
    path = tmp_path_factory.mktemp("extract") / "small.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("history") / "history.sqlite"


@pytest.fixture(scope="module")
def pack(small_extract, history, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reports") / "pack"
    result = run_audit(small_extract, output_dir=out, jobs=2, progress=None,
                       history=history, each_quarter=True)
    assert result.output_dir == out.resolve()
    return out


def test_pack_has_every_output(pack):
    assert (pack / "board-pack.html").is_file()
    assert (pack / "board-pack.xlsx").is_file()
    assert (pack / "metrics.csv").is_file()
    assert (pack / "manifest.json").is_file()
    assert sorted(p.stem for p in (pack / "notebooks").glob("*.ipynb")) == sorted(NOTEBOOKS)
    assert len(list((pack / "charts").glob("*.png"))) >= 5
    assert not (pack / "sections").exists()  # working files do not ship


def test_html_has_every_section_no_code_and_alt_text(pack):
    html = (pack / "board-pack.html").read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    assert set(SECTIONS) <= page.ids
    assert page.images and all(img.get("alt", "").strip() for img in page.images)
    assert all(img["src"].startswith("data:image/png;base64,") for img in page.images)
    # no code cells or prompts from a notebook conversion
    assert not {"jp-CodeCell", "input_area", "jp-InputArea"} & page.classes
    assert "import audit" not in html and "open_audit(" not in html
    assert not re.search(r"<(script|link)\b", html)  # nothing to fetch, nothing to run


def test_no_case_id_reaches_any_board_file(pack, small_extract):
    ids = pd.read_csv(small_extract, dtype=str)["case_id"].tolist()
    board_files = [pack / "board-pack.html", pack / "metrics.csv", pack / "manifest.json",
                   *(pack / "charts").glob("*.png")]
    for path in board_files:
        data = path.read_bytes()
        leaked = [i for i in ids if i.encode() in data]
        assert not leaked, f"{path.name} contains case ids {leaked[:3]}"


def test_published_metrics_are_suppressed(pack, small_extract):
    table = pd.read_csv(pack / "metrics.csv", dtype=str, keep_default_na=False)
    assert list(table.columns)[:3] == ["metric", "numerator", "denominator"]
    numerators = pd.to_numeric(table["numerator"], errors="coerce")
    assert not numerators.between(1, 5).any()          # no small count is published
    assert (table["numerator"] == "c").any()           # 60 cases: some must be small


def test_manifest_records_provenance(pack, small_extract):
    manifest = json.loads((pack / "manifest.json").read_text())
    assert manifest["input"]["file"] == "small.csv"
    assert manifest["input"]["sha256"] == hashlib.sha256(small_extract.read_bytes()).hexdigest()
    ages = pd.read_csv(small_extract)["child_age_months"]
    excluded = int((ages >= 12).sum())
    # 60 rows read; a small excluded count hides the total too (secondary suppression)
    assert manifest["input"]["rows_read"] == ("c" if 1 <= excluded <= 5 else 60)
    assert manifest["input"]["excluded_out_of_scope"] == ("c" if 1 <= excluded <= 5 else excluded)
    assert manifest["parameters"]["suppress_max"] == 5
    assert manifest["rerun"].startswith("audit run small.csv --suppress-max 5 --history ")
    assert manifest["rerun"].endswith("--each-quarter")
    assert manifest["versions"]["pandas"] == pd.__version__
    assert manifest["outputs_sha256"]["metrics.csv"] == hashlib.sha256(
        (pack / "metrics.csv").read_bytes()).hexdigest()


def test_a_failing_notebook_leaves_nothing_behind(small_extract, tmp_path):
    broken = tmp_path / "notebooks"
    shutil.copytree(notebooks_dir(), broken)
    nb = json.loads((broken / "risk_factors.ipynb").read_text())
    nb["cells"].append({"cell_type": "code", "id": "boom", "metadata": {}, "outputs": [],
                        "execution_count": None, "source": "raise RuntimeError('planted fault')"})
    (broken / "risk_factors.ipynb").write_text(json.dumps(nb))
    out = tmp_path / "reports" / "q"
    with pytest.raises(ReportError, match=r"risk_factors.*RuntimeError: planted fault"):
        run_audit(small_extract, output_dir=out, notebooks=broken, jobs=2, progress=None)
    assert not out.exists()
    assert list((tmp_path / "reports").iterdir()) == []  # no staging folder left either


def test_an_unknown_kernel_is_a_clear_error(small_extract, tmp_path):
    with pytest.raises(ReportError, match="kernel 'no-such-kernel' is not registered"):
        run_audit(small_extract, output_dir=tmp_path / "o", kernel="no-such-kernel", progress=None)
    assert not (tmp_path / "o").exists()


def test_default_output_dir():
    assert default_output_dir(None, None) == Path("reports/all")
    assert default_output_dir("2025-Q3", None) == Path("reports/2025-Q3")
    assert default_output_dir("2025-Q3", "North Bridge") == Path("reports/2025-Q3-north-bridge")


def test_workbook_numbers_equal_the_published_csv(pack):
    from openpyxl import load_workbook

    csv = pd.read_csv(pack / "metrics.csv", dtype=str, keep_default_na=False)
    sheet = load_workbook(pack / "board-pack.xlsx", read_only=True)["Metrics"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(csv.columns)
    assert len(rows) - 1 == len(csv)
    for got, want in zip(rows[1:], csv.itertuples(index=False)):
        for value, text in zip(got, want):
            if text == "":
                assert value is None
            elif text == "c" or not text[0].isdigit():
                assert value == text
            else:
                assert float(value) == pytest.approx(float(text), abs=5e-7)


def test_history_holds_every_quarter_pooled_and_per_partnership(pack, history, small_extract):
    from audit.history import open_history
    from audit.metrics import quarter_label

    frame = pd.read_csv(small_extract, dtype=str)
    in_scope = frame[frame["child_age_months"].astype(int) < 12]
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

    def rows():
        store = open_history(history)
        try:
            return store.metrics().drop(columns=["recorded_at"])
        finally:
            store.close()

    before = rows()
    again = tmp_path / "again"
    run_audit(small_extract, output_dir=again, jobs=2, progress=None,
              history=history, each_quarter=True)
    after = rows()
    pd.testing.assert_frame_equal(before, after)
    # Reproducible: the same extract and parameters give the same bytes.
    assert (again / "metrics.csv").read_bytes() == (pack / "metrics.csv").read_bytes()
    assert (again / "board-pack.xlsx").read_bytes() == (pack / "board-pack.xlsx").read_bytes()
    charts = sorted(p.name for p in (pack / "charts").glob("*.png"))
    assert charts == sorted(p.name for p in (again / "charts").glob("*.png"))
    for name in charts:
        assert (again / "charts" / name).read_bytes() == (pack / "charts" / name).read_bytes(), name


def test_national_reconstruction_runs_and_suppresses_the_five_care_leavers(tmp_path):
    """An extract with only the published columns (no engagement or sharing flags)."""
    sample = Path(__file__).resolve().parents[1] / "data" / "sample" / "national_review_2021.csv"
    out = tmp_path / "national"
    run_audit(sample, output_dir=out, jobs=2, progress=None)
    table = pd.read_csv(out / "metrics.csv", dtype=str, keep_default_na=False).set_index("metric")
    assert (table.at["harmed_by.birth_father", "numerator"],
            table.at["harmed_by.birth_father", "denominator"]) == ("81", "92")
    assert table.at["risk.care_leaver", "numerator"] == "c"     # 5 of 92: a small number
    assert not any(m.startswith("engagement.") for m in table.index)
    html = (out / "board-pack.html").read_text(encoding="utf-8")
    assert "No father-engagement steps are recorded in this extract." in html


def test_excel_extract_with_a_named_sheet_runs(tmp_path):
    sample = Path(__file__).resolve().parents[1] / "data" / "sample" / "northbridge_extract.xlsx"
    out = tmp_path / "northbridge"
    run_audit(sample, output_dir=out, jobs=2, progress=None, sheet="Cases",
              partnership="Northbridge", period="2025")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["input"]["sheet"] == "Cases"
    assert manifest["audit"]["period"] == "2025"
    assert "--sheet Cases --period 2025 --partnership Northbridge" in manifest["rerun"]
