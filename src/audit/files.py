"""Writing files so that a reader never sees half of one.

Every output the suite writes outside a staging folder goes through here: the data are
written to a temporary file in the destination folder and renamed over the target, which
is atomic on the same file system. An error leaves the old file (or no file) in place.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "sha256_of",
    "open_permissions",
    "move_into_place",
]


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file and a rename."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` as UTF-8 (line endings as given) via a temporary file and a rename."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def sha256_of(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def open_permissions(folder: Path) -> None:
    """Give a staged folder the permissions a normally written one has (umask applies).

    The staging folder and files written via temporary files are created private (0700 /
    0600); the finished pack should be as readable as any other file the analyst writes.
    """
    umask = os.umask(0)
    os.umask(umask)
    for path in [folder, *folder.rglob("*")]:
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def move_into_place(staging: Path, destination: Path) -> None:
    """Replace ``destination`` with ``staging`` so readers never see a partial folder."""
    from audit.errors import ReportError
    from audit.paths import backup_name

    open_permissions(staging)
    backup = None
    if destination.exists():
        backup = destination.with_name(backup_name(destination))
        try:
            os.replace(destination, backup)
        except PermissionError as exc:  # Windows: a file of the old pack is open
            raise ReportError(
                f"cannot replace {destination}: a file in it is open in another program "
                f"(the pack's workbook in Excel?) or the folder is read-only "
                f"({exc.strerror}). Close it and run again, or choose another folder with "
                "--out"
            ) from None
    try:
        os.replace(staging, destination)
    except BaseException:
        if backup is not None:
            os.replace(backup, destination)
        raise
    if backup is not None:
        import shutil

        shutil.rmtree(backup, ignore_errors=True)
