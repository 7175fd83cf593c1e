"""Names and places of what a run writes: valid on every platform, and never left behind.

File names
==========

Output folders are named from a period and a partnership, and a partnership's name comes
from the extract, so it can hold anything. :func:`portable_name` turns such text into a
name that Windows, macOS and Linux all accept, and :func:`is_valid_windows_name` is the
rule, from Microsoft's "Naming Files, Paths, and Namespaces": none of ``< > : " / \\ | ? *``
or control characters, no trailing dot or space, not a reserved device name (``CON``,
``PRN``, ``AUX``, ``NUL``, ``COM0``-``COM9``, ``LPT0``-``LPT9``, also with superscript
digits, and also with an extension: ``NUL.txt``), at most 255 characters.

Leftovers of a stopped run
==========================

``audit run`` writes into a staging folder ``.NAME.partial-HOST.PID-XXXX`` beside the
destination and keeps private working folders ``audit-run-PID-XXXX`` and
``audit-kernel-PID-XXXX`` in the temporary directory. A run that is stopped (Ctrl-C,
SIGTERM) removes them itself; one that is killed outright (SIGKILL, a power cut) cannot.
:func:`remove_leftovers`, called at the start of every run, removes those whose process
is no longer running, so the next run into the same place clears them. A folder that a
*running* process owns is never touched, so two runs at once do not disturb each other;
one written from another computer (a shared drive) is removed only when a day old.

The history store's place
=========================

Trends need the quarters recorded by earlier runs, so the store must be the same file
whichever folder a command is run from. :func:`history_location` chooses it: ``--history
PATH`` when given, else the file named by the environment variable ``AUDIT_HISTORY`` (a
setting for a team's shared location), else one store per user account in the platform's
data folder (:func:`default_history_path`, from ``platformdirs``: the documented place on
Windows, macOS and Linux, so no folder layout is invented here). Earlier versions kept
it at ``reports/history.sqlite`` *relative to the current folder*, which quietly started a
new, empty store whenever a run began elsewhere (issue 21): such a file in the current
folder is never silently ignored nor silently used while the default store does not exist
yet -- :class:`~audit.errors.HistoryError` says how to move it or name it.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "HISTORY_ENV",
    "LEGACY_HISTORY",
    "HistoryLocation",
    "default_history_path",
    "history_location",
    "is_valid_windows_name",
    "portable_name",
    "owner_tag",
    "staging_prefix",
    "backup_name",
    "temp_prefix",
    "pid_alive",
    "remove_leftovers",
]

_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    "CONIN$",
    "CONOUT$",
    *(f"{d}{n}" for d in ("COM", "LPT") for n in "0123456789¹²³"),
}
_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
#: A folder owned by a process on another computer is left alone until it is this old.
FOREIGN_AGE_S = 24 * 3600


def is_valid_windows_name(name: str) -> bool:
    """True when ``name`` (one path component, not a path) is a valid Windows file name."""
    if not name or len(name) > 255 or name in (".", ".."):
        return False
    if _FORBIDDEN.search(name) or name[-1] in ". ":
        return False
    stem = name.split(".", 1)[0].rstrip(" ")
    return stem.upper() not in _RESERVED


def portable_name(text: str, *, fallback: str = "unnamed", max_length: int = 80) -> str:
    """Lower-case ASCII words joined by hyphens (``"Ynys Môn: North."`` ->
    ``"ynys-mon-north"``): a file name valid everywhere. ``fallback`` when nothing usable is
    left; a reserved device name (``"con"``, ``"lpt1"``) gets a trailing ``_``."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    name = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:max_length].strip("-")
    name = name or fallback
    return name if is_valid_windows_name(name) else f"{name}_"


# --------------------------------------------------------------------------- leftovers

_HOST = re.sub(r"[^A-Za-z0-9]+", "", platform.node())[:24] or "host"
_SIBLING = re.compile(
    r"^\.(?P<name>.+)\.(?P<kind>partial|old)-"
    r"(?:(?P<host>[A-Za-z0-9]+)\.(?P<pid>\d+)(?:-|$))?"
)
_TEMP = re.compile(r"^audit-(?:run|kernel)-(?:(?P<pid>\d+)-)?")


def owner_tag() -> str:
    """``HOST.PID`` of this process, as it appears in the names of its working folders."""
    return f"{_HOST}.{os.getpid()}"


def staging_prefix(destination: Path) -> str:
    """The name prefix of this process's staging folder for ``destination``."""
    return f".{destination.name}.partial-{owner_tag()}-"


def backup_name(destination: Path) -> str:
    """The name under which the previous pack waits while the new one moves into place."""
    return f".{destination.name}.old-{owner_tag()}"


def temp_prefix(kind: str) -> str:
    """``audit-KIND-PID-``: the prefix of this process's private temporary folders."""
    return f"audit-{kind}-{os.getpid()}-"


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` is running on this computer (``True`` when unsure)."""
    if pid == os.getpid():
        return True
    if pid <= 0:
        return False
    if sys.platform == "win32":  # pragma: no cover - Windows only; os.kill(pid, 0) would kill it
        import ctypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.get_last_error() != 87  # ERROR_INVALID_PARAMETER: no such process
        try:
            code = ctypes.c_ulong()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return True
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


def _stale(path: Path, host: str, pid: int, *, now: float) -> bool:
    """A folder of process ``pid`` on computer ``host``: stale when that process has gone
    (this computer) or, for another computer's, when a day old."""
    if host != _HOST:
        try:
            return now - path.stat().st_mtime > FOREIGN_AGE_S
        except OSError:
            return False
    return not pid_alive(pid)


def remove_leftovers(
    destination: Path, temp_dir: str | os.PathLike[str] | None = None
) -> list[Path]:
    """Remove staging and backup folders of ``destination`` and ``audit-*`` temporary
    folders whose owning process has gone. Returns the folders removed.

    Staging folders named by a release before owners were recorded (``.NAME.partial-XXXX``)
    are removed too: they can only be left by a stopped run. Temporary folders without an
    owner are removed only when a day old (the temporary directory is shared).
    """
    now = time.time()
    removed: list[Path] = []
    candidates: list[Path] = []
    try:
        candidates += [
            p for p in destination.parent.iterdir() if p.name.startswith(f".{destination.name}.")
        ]
    except OSError:
        pass
    for path in candidates:
        match = _SIBLING.match(path.name)
        if not match or match["name"] != destination.name:
            continue
        if match["pid"] is not None:
            stale = _stale(path, match["host"], int(match["pid"]), now=now)
        elif match["kind"] == "partial":
            stale = True  # an older release's staging folder: only a stopped run leaves one
        else:  # an older release's backup, ".NAME.old-PID"
            digits = path.name.rsplit("-", 1)[-1]
            stale = digits.isdigit() and not pid_alive(int(digits))
        if stale and _remove(path):
            removed.append(path)
    temp = Path(temp_dir) if temp_dir is not None else Path(tempfile.gettempdir())
    try:
        entries = [p for p in temp.iterdir() if p.name.startswith("audit-")]
    except OSError:
        entries = []
    for path in entries:
        match = _TEMP.match(path.name)
        if not match:
            continue
        if match["pid"] is None:
            try:
                stale = now - path.stat().st_mtime > FOREIGN_AGE_S
            except OSError:
                stale = False
        else:
            stale = not pid_alive(int(match["pid"]))
        if stale and _remove(path):
            removed.append(path)
    return removed


def _remove(path: Path) -> bool:
    try:
        if not path.is_dir() or path.is_symlink():
            return False
        shutil.rmtree(path)
    except OSError:
        return False  # another user's folder, or already gone: not ours to report
    return True


# --------------------------------------------------------------------------- the history store

#: The environment variable that names the history store when ``--history`` is not given.
HISTORY_ENV = "AUDIT_HISTORY"
#: Where earlier versions kept the store, relative to the folder a command ran from.
LEGACY_HISTORY = Path("reports") / "history.sqlite"


def default_history_path() -> Path:
    """This user account's history store: ``history.sqlite`` in the platform's user data
    folder for ``audit`` (``~/.local/share/audit`` on Linux, ``~/Library/Application
    Support/audit`` on macOS, ``%LOCALAPPDATA%\\audit`` on Windows), via ``platformdirs``."""
    from platformdirs import user_data_path

    return user_data_path("audit", appauthor=False) / "history.sqlite"


@dataclass(frozen=True)
class HistoryLocation:
    """The history store a command uses, and why: ``source`` is ``"--history"``,
    ``"AUDIT_HISTORY"`` or ``"default"``; ``unused`` an old store left in the current
    folder that this command does not read (said to the analyst)."""

    path: Path
    source: str
    unused: Path | None = None

    @property
    def exists(self) -> bool:
        return self.path.is_file()

    def describe(self) -> str:
        """``"/home/a/.local/share/audit/history.sqlite (the default store)"``."""
        why = {
            "--history": "named by --history",
            HISTORY_ENV: f"named by {HISTORY_ENV}",
            "default": "this account's default store",
        }[self.source]
        return f"{self.path} ({why})"


def history_location(
    given: str | os.PathLike[str] | None, *, cwd: Path | None = None
) -> HistoryLocation:
    """The store to use (module doc, "The history store's place"): ``given`` (``--history``),
    else ``$AUDIT_HISTORY``, else :func:`default_history_path`. Raises
    :class:`~audit.errors.HistoryError` when an old ``reports/history.sqlite`` in the current
    folder would otherwise be passed over for a default store that does not exist yet."""
    here = Path.cwd() if cwd is None else cwd
    if given is not None and str(given).strip():
        return HistoryLocation(_absolute(Path(given), here), "--history")
    env = os.environ.get(HISTORY_ENV, "").strip()
    if env:
        return HistoryLocation(_absolute(Path(env).expanduser(), here), HISTORY_ENV)
    default = default_history_path()
    old = here / LEGACY_HISTORY
    if old.is_file() and old.resolve() != default.resolve():
        if not default.is_file():
            from audit.errors import HistoryError

            raise HistoryError(
                f"found a history store at {old}, where earlier versions kept it (relative "
                "to the folder a command runs from), but the default store is now "
                f"{default}, the same from any folder, and it does not exist yet. Move "
                f"the file there to keep your earlier quarters (create the folder "
                f"{default.parent} first), or name it on each run with --history {old}, "
                f"or set {HISTORY_ENV}={old}. Nothing was read or written."
            )
        return HistoryLocation(default, "default", unused=old)
    return HistoryLocation(default, "default")


def _absolute(path: Path, here: Path) -> Path:
    path = path.expanduser()
    return path if path.is_absolute() else (here / path)
