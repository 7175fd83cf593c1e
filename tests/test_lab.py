"""The analyst's real entry point: a notebook opened in JupyterLab, run in a real browser.

JupyterLab is started headless on a working copy of the notebooks (``audit notebooks DIR``,
as the README tells analysts); Debian's Chromium opens a notebook and runs every cell with
JupyterLab's own "Run All" command on the "audit" kernel; the test then reads the notebook
model in the page and finds no error output, and a chart among the outputs.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON
messages ending in NUL on file descriptors 3 and 4), so no browser download and no driver
package are needed and nothing listens on a port but JupyterLab, on 127.0.0.1.

Needs JupyterLab (the ``test`` extra installs it), the "audit" kernel (``python -m
audit.dev setup``) and Chromium (``AUDIT_CHROMIUM`` or ``/usr/bin/chromium``). When one is
missing the test FAILS where the CI environment variable is set, and is skipped otherwise.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.e2e]  # a real browser, end to end

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "father_engagement.ipynb"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-default-browser-check", "--mute-audio", "--remote-debugging-pipe"]


def _need(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(why)
    pytest.skip(why)


def _chromium() -> str:
    for candidate in (os.environ.get("AUDIT_CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    _need("Chromium not found: apt-get install -y chromium, or set AUDIT_CHROMIUM")
    raise AssertionError("unreachable")


class _Browser:
    """Chromium on a DevTools pipe: send a command, wait for its answer."""

    def __init__(self, binary: str, profile: str) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        # The pipe ends Chromium expects: commands on 3, answers on 4 (kept open in the
        # child: subprocess closes other descriptors after preexec_fn has run).
        def fds() -> None:
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self.process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(3, 4, to_browser_r, from_browser_w), preexec_fn=fds,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next = 0

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 60) -> dict:
        self._next += 1
        message = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                answer = json.loads(raw)
                if answer.get("id") == self._next:
                    if "error" in answer:
                        raise AssertionError(f"{method}: {answer['error']}")
                    return answer["result"]
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise AssertionError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        raise AssertionError(f"{method}: no answer in {timeout} s")

    def evaluate(self, session: str, expression: str) -> object:
        result = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                "returnByValue": True}, session)
        if "exceptionDetails" in result:
            raise AssertionError(f"page error: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)
        os.close(self._to_browser)
        os.close(self._from_browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(browser: _Browser, session: str, condition: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if browser.evaluate(session, condition):
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout} s waiting for: {condition}")


@pytest.mark.browser
def test_a_notebook_runs_in_jupyterlab_in_a_real_browser(tmp_path):
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        _need("JupyterLab is not installed: pip install -e '.[test]'")
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec("audit")
    except NoSuchKernel:
        _need("the 'audit' kernel is not registered: python -m audit.dev setup")
    binary = _chromium()

    work = tmp_path / "work"
    from audit.run.notebooks import copy_notebooks

    copy_notebooks(work, period="2025-Q3", partnership="Northbridge")
    port, token = _free_port(), secrets.token_hex(16)
    home = tmp_path / "home"  # a clean JupyterLab settings folder: no workspace restored
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces")}
    lab = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--ServerApp.port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={work}", "--LabApp.expose_app_in_browser=True",
         "--ServerApp.port_retries=0", "--ServerApp.allow_root=True"],
        cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    browser, profile = None, None
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or lab.poll() is not None:
                    raise AssertionError("JupyterLab did not start") from None
                time.sleep(0.5)
        profile = tempfile.mkdtemp(prefix="audit-lab-profile-")  # removed below
        browser = _Browser(binary, profile)
        target = browser.send("Target.createTarget",
                              {"url": f"{base}/lab/tree/{NOTEBOOK}?token={token}"})
        session = browser.send("Target.attachToTarget", {"targetId": target["targetId"],
                                                         "flatten": True})["sessionId"]
        panel = "window.jupyterapp && jupyterapp.shell.currentWidget"
        ready = (f"!!({panel} && {panel}.sessionContext && "
                 f"{panel}.sessionContext.session && "
                 f"{panel}.sessionContext.session.kernel && "
                 f"{panel}.sessionContext.session.kernel.status === 'idle')")
        _wait_for(browser, session, ready, 150)
        kernel = browser.evaluate(session, f"{panel}.sessionContext.session.kernel.name")
        assert kernel == "audit"
        browser.evaluate(session, "jupyterapp.commands.execute('notebook:run-all-cells')"
                                  ".then(() => true)")
        cells = f"Array.from({panel}.content.widgets)"
        done = (f"{cells}.every(c => c.model.type !== 'code' || c.model.executionCount) && "
                f"{panel}.sessionContext.session.kernel.status === 'idle'")
        _wait_for(browser, session, done, 240)
        outputs = browser.evaluate(session, (
            f"JSON.stringify({cells}.filter(c => c.model.type === 'code')"
            ".map(c => c.model.outputs.toJSON()))"))
        outputs = json.loads(outputs)
        errors = [o for cell in outputs for o in cell if o.get("output_type") == "error"]
        assert errors == [], [f"{e.get('ename')}: {e.get('evalue')}" for e in errors]
        html = [o for cell in outputs for o in cell
                if "text/html" in o.get("data", {})]
        assert any("data:image/png;base64," in "".join(o["data"]["text/html"]) for o in html)
        assert any("Father engagement" in "".join(o["data"]["text/html"]) for o in html)
    finally:
        if browser is not None:
            browser.close()
        if profile is not None:  # the browser's profile: nothing left behind in the temp folder
            shutil.rmtree(profile, ignore_errors=True)
        lab.terminate()
        try:
            lab.wait(timeout=30)
        except subprocess.TimeoutExpired:
            lab.kill()
