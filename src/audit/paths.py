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
from pathlib import Path

__all__ = [
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
