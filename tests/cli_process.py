"""``audit.cli.main`` run in this process as a command would run it (issue 24: a tenth of a
second, not the half second of a new Python): its working folder, its environment, its own
stdout and stderr, and Python's default warnings printed to stderr. For tests of what a
command says and writes; the process itself (``python -m audit``, exit codes as a shell sees
them, signals) is tested with real processes in test_cli.py and test_platform.py."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path

__all__ = ["in_process"]


def in_process(
    argv: list[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None,
    temp: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """``audit <argv>`` in-process, as :func:`subprocess.run` with ``capture_output=True``
    and ``text=True`` reports it; ``env`` replaces the environment for the call, ``temp``
    the temporary folder."""
    from audit import cli

    out, err = io.StringIO(), io.StringIO()
    saved_cwd, saved_temp, saved_env = os.getcwd(), tempfile.tempdir, dict(os.environ)
    if cwd is not None:
        os.chdir(cwd)
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
    if temp is not None:
        tempfile.tempdir = str(temp)
        os.environ.update({"TMPDIR": str(temp), "TEMP": str(temp), "TMP": str(temp)})
    try:
        with warnings.catch_warnings(record=True) as caught, \
                contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            # Python's own defaults for a process (-W unset): each warning once; deprecation,
            # import and resource warnings not (a file an earlier test left to the garbage
            # collector would otherwise land on this command's stderr)
            warnings.simplefilter("default")
            for quiet in (DeprecationWarning, PendingDeprecationWarning, ImportWarning,
                          ResourceWarning):
                warnings.filterwarnings("ignore", category=quiet)
            try:
                code = cli.main([str(a) for a in argv])
            except SystemExit as exit_:      # argparse's usage errors
                code = exit_.code if isinstance(exit_.code, int) else 1
        for w in caught:
            err.write(warnings.formatwarning(w.message, w.category, w.filename, w.lineno))
    finally:
        os.chdir(saved_cwd)
        tempfile.tempdir = saved_temp
        os.environ.clear()
        os.environ.update(saved_env)
    return subprocess.CompletedProcess(["audit", *map(str, argv)], code, out.getvalue(),
                                       err.getvalue())
