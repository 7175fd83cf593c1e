"""The session's two packs: one board pack and one public pack, built once through the command
line (PDF and slides included) and shared by the page, PDF, accessibility, leak, report,
pack and CLI tests (the fixtures ``shared_extract``, ``board_pack`` and ``public_pack`` in
``conftest.py``). A test that needs different input builds its own pack.

The extract is the small two-partnership year the report and CLI tests always used
(60 generated cases, seed 11), with planted case ids (``LEAK0000QZ``…) and a free-text
``notes`` column holding NHS-number-like and postcode-like strings, which the leak tests
look for in every file. The board pack is run with ``--each-quarter`` into a history store
of its own, so the trend section and the history tests have four quarters.

Built once per session across pytest-xdist workers too: the first worker to ask builds under
a file lock in the session's shared temporary root (the pattern pytest-xdist documents);
the others wait and read the same folders. Nothing may write into these folders: a test
that alters a pack copies it first.

And the rule for a tool the tests need but the machine lacks: under CI (the ``CI``
environment variable set, as ``.ci/run`` is run) that is a failure, never a skip.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["Pack", "need", "shared_extract", "build", "NHS_LIKE", "POSTCODE_LIKE", "MARKING",
           "BUILDS"]

#: Strings shaped like NHS numbers (check digits wrong) and partial postcodes, planted in
#: the extract's notes: the leak tests look for them in every file of both packs.
NHS_LIKE = ["943 476 5918", "401 023 2138", "9434765918"]
POSTCODE_LIKE = ["SW1A 1A", "B33 8T", "EC1A 1B"]
#: The public pack's marking, given with --marking (the CLI tests check it is used).
MARKING = "OFFICIAL — published (marking set by --marking)"
#: Full ``audit run`` builds of the shared packs made by this process (the closing figure of
#: issue 24 counts them).
BUILDS: list[str] = []


@dataclass(frozen=True)
class Pack:
    """A built pack: its folder, the command that built it and what it printed."""

    folder: Path
    argv: tuple[str, ...]
    stdout: str
    stderr: str

    @property
    def audience(self) -> str:
        return "public" if (self.folder / "public-pack.html").is_file() else "board"

    @property
    def history(self) -> Path | None:
        """The history store the run recorded into (the board pack's own), if any."""
        if "--history" not in self.argv:
            return None
        return Path(self.argv[self.argv.index("--history") + 1])


def need(message: str) -> None:
    """Fail under CI, skip elsewhere: a missing tool must never pass CI silently."""
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(message)


def _root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every xdist worker of this session shares (the controller's base temp)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    root = shared / "shared-packs"
    root.mkdir(exist_ok=True)
    return root


def shared_extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared extract (module docstring), written once."""
    from filelock import FileLock

    root = _root(tmp_path_factory)
    path = root / "extract" / "extract.csv"     # alone in its folder: nothing is written beside it
    with FileLock(str(root / "extract.lock")):
        if not path.is_file():
            path.parent.mkdir(exist_ok=True)
            from audit.intake.sample import generate_extract

            frame = generate_extract(60, seed=11, partnerships=("Northbridge", "Eastmere"),
                                     quarters=4)
            frame["case_id"] = [f"LEAK{i:04d}QZ" for i in range(len(frame))]
            notes = NHS_LIKE + POSTCODE_LIKE
            frame["notes"] = [notes[i % len(notes)] for i in range(len(frame))]
            frame.to_csv(root / "extract.tmp", index=False)
            (root / "extract.tmp").replace(path)
    return path


def _pdf_available() -> bool:
    done = subprocess.run([sys.executable, "-m", "audit.dev", "check-pdf"],
                          capture_output=True, text=True, timeout=120)
    return done.returncode == 0


def build(tmp_path_factory: pytest.TempPathFactory, audience: str) -> Pack:
    """``audit run`` of the shared extract for ``audience``, once per session (module doc)."""
    from filelock import FileLock

    extract = shared_extract(tmp_path_factory)
    root = _root(tmp_path_factory)
    folder, record = root / audience, root / f"{audience}.json"
    with FileLock(str(root / f"{audience}.lock")):
        if not record.is_file():
            argv = [sys.executable, "-m", "audit", "run", str(extract), "--out", str(folder),
                    "--audience", audience, "--jobs", "2"]
            if audience == "board":
                argv += ["--history", str(root / "board-history.sqlite"), "--each-quarter"]
            else:
                argv += ["--no-history", "--alone", "--marking", MARKING]
            if _pdf_available():
                argv.append("--pdf")
            done = subprocess.run(argv, capture_output=True, text=True, timeout=900)
            assert done.returncode == 0, f"{' '.join(argv)}\n{done.stderr}"
            BUILDS.append(audience)
            record.write_text(json.dumps({"argv": argv, "stdout": done.stdout,
                                          "stderr": done.stderr}), encoding="utf-8")
    built = json.loads(record.read_text(encoding="utf-8"))
    return Pack(folder, tuple(built["argv"]), built["stdout"], built["stderr"])
