"""No leaks: planted identifiers never reach a pack file, the logs or the notebooks, for
either audience; and a public pack never prints a figure it hides.

The extract carries unique case ids and, in a free-text column the contract ignores,
NHS-number-like and postcode-like values that the guard lets through (wrong check digit,
part of a postcode). None of them may appear in any file of a board or public pack (HTML,
PNG, CSV, XLSX, PDF, manifest), in anything `audit run` prints, or as a row-level table in
the executed working notebooks (board only: a public pack has none).

The board pack legitimately shows small counts, so what it must never show is row-level
data. The public pack must also never print a figure it hides as ``c``: a hidden measure's
true rate is nowhere beside its name in the page, the PDF or the workbook. (Whether a hidden
count could be worked out from the figures shown is the attack's business:
tests/test_disclosure*.py.)
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from html import unescape
from pathlib import Path

import pytest

from audit.contract import metric_label
from audit.formatting import format_percent
from audit.intake.guard import is_uk_postcode, is_valid_nhs_number
from packs import NHS_LIKE, POSTCODE_LIKE


@pytest.fixture(scope="module")
def extract(shared_extract):
    """The session's shared extract (tests/packs.py): planted case ids and notes."""
    import pandas as pd

    return pd.read_csv(shared_extract, dtype=str), shared_extract


@pytest.fixture(scope="module", params=["board", "public"])
def planted(request, extract, board_pack, public_pack):
    """(frame, pack folder, what the run printed) of the session's pack for each audience,
    built once through the command line with --pdf."""
    frame, _ = extract
    pack = {"board": board_pack, "public": public_pack}[request.param]
    return frame, pack.folder, pack.stdout + pack.stderr


def _secrets(frame) -> list[str]:
    values = list(frame["case_id"]) + NHS_LIKE + POSTCODE_LIKE
    return values + [v.replace(" ", "") for v in values if " " in v]


def _texts(path: Path) -> list[bytes]:
    """Every byte stream a reader could see in a file: raw, unzipped parts, PDF text."""
    data = path.read_bytes()
    texts = [data]
    if path.suffix in (".xlsx", ".pptx"):
        with zipfile.ZipFile(path) as archive:
            texts += [archive.read(name) for name in archive.namelist()]
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        texts += [(page.extract_text() or "").encode() for page in reader.pages]
        texts.append(json.dumps({k: str(v) for k, v in (reader.metadata or {}).items()}).encode())
    return texts


def test_planted_values_pass_the_guard():
    assert not any(is_valid_nhs_number(v) for v in NHS_LIKE)
    assert not any(is_uk_postcode(v) for v in POSTCODE_LIKE)


def test_no_planted_value_in_any_pack_file(planted):
    frame, out, _ = planted
    pack_files = [p for p in out.rglob("*") if p.is_file() and "notebooks" not in p.parts]
    assert {p.suffix for p in pack_files} >= {".html", ".png", ".csv", ".xlsx", ".pptx", ".pdf", ".json"}
    for path in pack_files:
        for text in _texts(path):
            found = [s for s in _secrets(frame) if s.encode() in text]
            assert not found, f"{path.relative_to(out)} contains {found[:3]}"


def test_a_public_pack_names_no_extract_file(extract, board_pack, public_pack):
    """Issue 22: an analyst's file name can say whose cases they are. The board's page and
    slides cite the extract by name; no file of the public pack does (its manifest, page,
    slides, workbook and PDF cite the digest only)."""
    name = extract[1].name.encode()
    assert any(name in text for text in _texts(board_pack.folder / "board-pack.html"))
    assert any(name in text for text in _texts(board_pack.folder / "board-pack.pptx"))
    for path in (p for p in public_pack.folder.rglob("*") if p.is_file()):
        assert not any(name in text for text in _texts(path)), path.name
    page = (public_pack.folder / "public-pack.html").read_text(encoding="utf-8")
    assert "not named in a public pack" in page


def test_no_planted_value_in_the_log(planted):
    frame, _, log = planted
    assert not [s for s in _secrets(frame) if s in log]


def test_working_notebooks_show_no_case_ids(planted):
    frame, out, _ = planted
    notebooks = list((out / "notebooks").glob("*.ipynb"))
    if out.name == "public":
        assert not (out / "notebooks").exists()     # unsuppressed: never in a public pack
        return
    assert notebooks
    for path in notebooks:
        text = path.read_text(encoding="utf-8")
        assert not [c for c in frame["case_id"] if c in text], path.name


def _hidden_metrics(out: Path, path: Path) -> list[tuple[str, str, str, float, float]]:
    """(id, label, true rate as printed, true rate, national rate) of every measure the
    public pack hides as ``c``."""
    import pandas as pd

    from audit.workspace import open_audit

    published = pd.read_csv(out / "metrics.csv", dtype=str, keep_default_na=False)
    hidden = published.loc[published["rate"] == "c", "metric"].tolist()
    truth = open_audit(path).metrics.set_index("metric")
    return [(m, metric_label(m), format_percent(truth.at[m, "rate"]),
             float(truth.at[m, "rate"]), float(truth.at[m, "national_rate"]))
            for m in hidden if pd.notna(truth.at[m, "rate"])]


def test_a_public_pack_never_prints_a_hidden_rate_beside_its_measure(extract, public_pack):
    _, path = extract
    out = public_pack.folder
    hidden = _hidden_metrics(out, path)
    assert hidden, "60 cases in two partnerships: some measure must be hidden"
    html = out / "public-pack.html"
    page = unescape(re.sub(r"<[^>]+>", " ", html.read_text(encoding="utf-8")))
    alts = [unescape(a) for a in re.findall(r'alt="([^"]*)"', html.read_text(encoding="utf-8"))]
    from pypdf import PdfReader

    pdf = " ".join(page.extract_text() or "" for page in PdfReader(out / "public-pack.pdf").pages)
    for _, label, rate, _, _ in hidden:
        near = re.compile(re.escape(label) + r"[^.;\n]{0,60}?(?<![\d.])" + re.escape(rate))
        for where, text in (("page", page), ("pdf", " ".join(pdf.split()))):
            assert not near.search(text), f"{label}'s hidden rate is printed in the {where}"
        for alt in alts:
            assert not near.search(alt), f"{label}'s hidden rate is in an alt text"
    from openpyxl import load_workbook

    # in the workbook: no number in a hidden measure's row (by id or label) is its rate
    # (the national rate printed beside it is not the hidden figure, even if close)
    rows = {key: (rate, national) for metric, label, _, rate, national in hidden
            for key in (metric, label)}
    seen = 0
    for sheet in load_workbook(out / "public-pack.xlsx", read_only=True).worksheets:
        for row in sheet.iter_rows(values_only=True):
            key = next((v for v in row if isinstance(v, str) and v in rows), None)
            if key is None:
                continue
            seen += 1
            rate, national = rows[key]
            numbers = [v for v in row if isinstance(v, float) and v != national]
            assert not any(abs(v - rate) < 1e-9 for v in numbers), \
                f"{key}'s hidden rate is in sheet {sheet.title}"
    assert seen >= len(hidden)      # every hidden measure has a row (Metrics sheet at least)
