"""The board pack and the public pack pass axe-core in a real browser: WCAG 2.0, 2.1 and 2.2
A and AA, and axe's best-practice rules, with zero violations, at desktop width and at 320
CSS pixels (the reflow width of WCAG 1.4.10).

How it runs: ``tests/a11y/run-axe.mjs`` (Node, no dependency but axe-core) starts headless
Chromium with a fresh profile, drives it over the DevTools protocol on a pipe, loads the
pack from disk, injects axe-core and prints the results as JSON. axe-core is pinned in
``tests/a11y/package.json`` / ``package-lock.json`` and installed into
``tests/a11y/node_modules`` (git-ignored) by ``npm ci``: .ci/run does that, and this test
does it itself on first use if npm is there.

Needs: ``node`` and ``npm`` on PATH, and Chromium at ``/usr/bin/chromium`` (Debian's
``chromium`` package; ``AUDIT_CHROMIUM=/path/to/chrome`` to use another). When one is
missing the tests FAIL if the CI environment variable is set (as in .ci/run) and are
skipped otherwise, saying what to install.

Charts are images: their colours and contrast are checked by tests/test_charts.py, not here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from packs import need

pytestmark = [pytest.mark.browser, pytest.mark.e2e]  # a real browser, end to end

A11Y = Path(__file__).resolve().parent / "a11y"
RUNNER = A11Y / "run-axe.mjs"
AXE = A11Y / "node_modules" / "axe-core" / "axe.min.js"

#: WCAG 2.0, 2.1 and 2.2, levels A and AA, plus axe's best practice rules.
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice")
#: Desktop, and the 320 CSS px width at which content must reflow (WCAG 1.4.10).
VIEWPORTS = ("1280x900", "320x640")
#: Both audiences' packs, and the page each writes.
AUDIENCES = ("board", "public")


def _chromium() -> str:
    candidates = [os.environ.get("AUDIT_CHROMIUM"), "/usr/bin/chromium",
                  shutil.which("chromium"), shutil.which("chromium-browser")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    need("Chromium not found: install Debian's package (apt-get install -y chromium) "
         "or set AUDIT_CHROMIUM to a Chrome or Chromium binary")
    raise AssertionError("unreachable")


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        need("Node.js not found: the axe-core runner needs node (and npm to install axe-core)")
    return node


@pytest.fixture(scope="module")
def axe_installed() -> Path:
    """axe-core in tests/a11y/node_modules, installed from the lock file if it is not."""
    if not AXE.is_file():
        npm = shutil.which("npm")
        if npm is None:
            need("npm not found: run 'npm ci' in tests/a11y to install axe-core")
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=A11Y,
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0 or not AXE.is_file():
            need(f"'npm ci' in tests/a11y failed (exit {done.returncode}):\n"
                 f"{done.stderr[-2000:]}")
    return AXE


def run_axe(page: Path, *, tags=TAGS, viewports=VIEWPORTS) -> dict:
    """axe-core's results for ``page``: the runner's JSON (see tests/a11y/run-axe.mjs)."""
    command = [_node(), str(RUNNER), str(page), "--chromium", _chromium(),
               "--tags", ",".join(tags)]
    for viewport in viewports:
        command += ["--viewport", viewport]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"axe runner failed (exit {done.returncode}):\n{done.stderr}"
    return json.loads(done.stdout)


def describe(results: list[dict]) -> str:
    """Each rule's id, impact and help, and the nodes that broke it: what a fix needs."""
    lines = []
    for rule in results:
        lines.append(f"- {rule['id']} ({rule['impact']}): {rule['help']}  <{rule['helpUrl']}>")
        for node in rule["nodes"][:10]:
            lines.append(f"    at {' '.join(map(str, node['target']))}: {node['html'][:160]}")
            if node.get("summary"):
                lines.extend(f"       {s}" for s in node["summary"].splitlines())
        if len(rule["nodes"]) > 10:
            lines.append(f"    … and {len(rule['nodes']) - 10} more")
    return "\n".join(lines)


@pytest.fixture(scope="module", params=AUDIENCES)
def axe_results(request, axe_installed, board_pack, public_pack) -> dict:
    _node(), _chromium()  # before spending time on the pack
    audience = request.param
    folder = {"board": board_pack, "public": public_pack}[audience].folder
    page = folder / f"{audience}-pack.html"
    assert page.is_file()
    return run_axe(page)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_pack_has_no_axe_violations(axe_results, viewport):
    run = next(r for r in axe_results["runs"] if r["viewport"] == viewport)
    assert run["passes"] > 20, "axe checked almost nothing: is the page empty?"
    assert not run["violations"], (
        f"axe-core {axe_results['axe']} in {axe_results['browser']} at {viewport} found "
        f"{len(run['violations'])} violation(s) of {', '.join(axe_results['tags'])}:\n"
        + describe(run["violations"]))


def test_text_contrast_is_decided_not_left_for_review(axe_results):
    # At desktop width nothing sits over an image or is clipped, so axe must be able to
    # measure every text colour; "incomplete" there would mean contrast went unchecked.
    # (At 320 px a wide table scrolls in its region, so cells outside it are reported as
    # "partially obscured": plain text on white all the same.)
    desktop = next(r for r in axe_results["runs"] if r["viewport"] == VIEWPORTS[0])
    unsure = [r for r in desktop["incomplete"] if r["id"] == "color-contrast"]
    assert not unsure, "axe could not decide the contrast of:\n" + describe(unsure)


def test_axe_is_the_pinned_version_and_ran_every_tag(axe_results):
    lock = json.loads((A11Y / "package-lock.json").read_text())
    assert axe_results["axe"] == lock["packages"]["node_modules/axe-core"]["version"]
    assert tuple(axe_results["tags"]) == TAGS
    assert [r["viewport"] for r in axe_results["runs"]] == list(VIEWPORTS)


def test_the_check_catches_real_failures(tmp_path, axe_installed):
    """A control: a page with known faults must fail, so zero above means zero."""
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>Broken</title></head><body><main>"
        "<h1>Broken</h1><h3>Skipped a level</h3>"
        '<p style="color:#999;background:#fff">Pale grey text on white</p>'
        '<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==">'
        '<div style="overflow:auto;height:3em"><p>a</p><p>b</p><p>c</p><p>d</p></div>'
        "<table><tr><td>no headers</td></tr></table>"
        "</main></body></html>", encoding="utf-8")
    found = {r["id"] for r in run_axe(page, viewports=("1280x900",))["runs"][0]["violations"]}
    assert {"html-has-lang", "image-alt", "color-contrast", "heading-order",
            "scrollable-region-focusable"} <= found, found
