"""``manifest.json``: what a pack was made from, how, by what, and the files it holds."""

from __future__ import annotations

import json
import platform
import shlex
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from audit.files import sha256_of
from audit.intake.extract import CaseExtract

__all__ = [
    "PUBLIC_SELECTION",
    "PATH_SETTINGS",
    "PLACEHOLDERS",
    "public_settings",
    "package_versions",
    "rerun_command",
    "input_record",
    "build_manifest",
    "write_manifest",
]

#: Settings that name a file on the analyst's computer: a public manifest says only whether
#: each was given (``True``/``False``), never its name or where it is.
PATH_SETTINGS = ("history", "targets", "selection", "moderation", "agreed")
#: What a public manifest's rerun command puts in place of each file it must not name.
PLACEHOLDERS = {
    "extract": "EXTRACT",
    "history": "HISTORY",
    "selection": "SELECTION",
    "moderation": "MODERATION",
    "agreed": "AGREED",
}

#: The parts of a selection record a public pack's manifest carries: what was done, not who
#: was where.
PUBLIC_SELECTION = frozenset(
    {
        "tool",
        "seed",
        "rule",
        "method",
        "eligible",
        "selected",
        "eligible_sha256",
        "selected_sha256",
        "audit_version",
        "numpy_version",
    }
)

_VERSIONED = (
    "pandas",
    "numpy",
    "pyarrow",
    "scipy",
    "statsmodels",
    "matplotlib",
    "seaborn",
    "afcharts",
    "pandera",
    "papermill",
    "nbformat",
    "jinja2",
    "openpyxl",
    "highspy",
    "weasyprint",
    "python-pptx",
)


def package_versions() -> dict[str, str]:
    """Versions of Python, audit and the packages that shape the numbers and charts."""
    from importlib.metadata import PackageNotFoundError, version

    from audit._version import __version__

    found = {"python": platform.python_version(), "audit": __version__}
    for name in _VERSIONED:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def rerun_command(extract: Path | Sequence[Path], settings: dict[str, Any]) -> str:
    """The ``audit run`` command line that reproduces this pack from the same extract(s).

    The extract is named as given on the command line (folder included), so the command
    works from the folder the run was started in. A public pack names no file and no
    folder (issue 22): each is a placeholder (:data:`PLACEHOLDERS`), so nothing it
    publishes says what the analyst's files are called or where they are kept.
    """
    public = settings.get("audience") == "public"

    def named(option: str, given: Any) -> str:
        return PLACEHOLDERS[option] if public else str(given)

    paths = [extract] if isinstance(extract, Path) else list(extract)
    parts = ["audit", "run", *(named("extract", p) for p in paths)]
    if settings.get("sheet"):
        parts += ["--sheet", settings["sheet"]]
    if settings.get("period") and settings["period"] != "all":
        parts += ["--period", settings["period"]]
    if settings.get("partnership"):
        parts += ["--partnership", settings["partnership"]]
    parts += ["--audience", settings["audience"]]
    if settings["audience"] == "public":
        parts += ["--suppress-max", str(settings["suppress_max"])]
    if settings.get("marking_given"):
        parts += ["--marking", settings["marking"]]
    if settings.get("history"):
        parts += ["--history", named("history", settings["history"])]
    else:
        parts.append("--no-history")
        if settings["audience"] == "public":
            parts.append("--alone")
    if settings.get("each_quarter"):
        parts.append("--each-quarter")
    if settings.get("pdf"):
        parts.append("--pdf")
    if settings.get("notebooks") is False:  # a board pack written without its notebooks
        parts.append("--no-notebooks")
    if settings.get("selection"):
        parts += ["--selection", named("selection", settings["selection"])]
    for option in ("moderation", "agreed"):  # second audits (audit.intake.moderation)
        for given in settings.get(option) or ():
            parts += [f"--{option}", named(option, given)]
    return shlex.join(parts)


def public_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The run's settings as a public manifest states them: every file-naming setting
    (:data:`PATH_SETTINGS`) as whether it was given."""
    return {k: (bool(v) if k in PATH_SETTINGS else v) for k, v in settings.items()}


def build_manifest(
    *,
    input_: dict[str, Any],
    audit: dict[str, Any],
    disclosure: dict[str, Any],
    settings: dict[str, Any],
    extract: Path | Sequence[Path],
    started: datetime,
    seconds: float,
    staging: Path,
    selection: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest: input, audit, the case selection (the record ``audit select`` wrote,
    with how many of its cases the returns hold; ``None`` without one), disclosure,
    parameters, rerun command, versions, outputs."""
    outputs = {
        str(p.relative_to(staging).as_posix()): sha256_of(p)
        for p in sorted(staging.rglob("*"))
        if p.is_file()
    }
    return {
        "tool": "audit run",
        "marking": disclosure.get("marking"),
        "input": input_,
        "audit": audit,
        "selection": selection,
        "disclosure": disclosure,
        "parameters": {
            k: v
            for k, v in (
                public_settings(settings) if settings.get("audience") == "public" else settings
            ).items()
            if k != "marking_given"
        },
        "rerun": rerun_command(extract, settings),
        "versions": package_versions(),
        "run": {"started_utc": started.isoformat(timespec="seconds"), "seconds": round(seconds, 2)},
        "outputs_sha256": outputs,
    }


def input_record(validated: CaseExtract, *, public: bool) -> dict[str, Any]:
    """The manifest's ``input``: the file(s) and their digest; a board pack adds the file
    names, row counts, ignored columns and accepted stray dates. A public pack names no
    file (issue 22) and says nothing of rows: the digests identify the extract to whoever
    holds it."""
    sources = [dict(s) for s in validated.sources]
    if public:
        return {
            "sha256": validated.sha256,
            "files": [{k: s[k] for k in ("sha256", "role") if k in s} for s in sources] or None,
            "sheet": validated.sheet,
            "flags_not_recorded": list(validated.missing_flags),
        }
    record: dict[str, Any] = {
        "file": validated.input_name(),
        "sha256": validated.sha256,
        "files": sources or None,
        "sheet": validated.sheet,
        "flags_not_recorded": list(validated.missing_flags),
    }
    if not public:
        record.update(
            {
                "rows_read": int(validated.rows_read),
                "in_scope": int(len(validated.cases)),
                "excluded_out_of_scope": int(len(validated.excluded)),
                "ignored_columns": list(validated.ignored_columns),
                "stray_dates_accepted": [str(s) for s in validated.stray_dates],
            }
        )
    return record


def write_manifest(
    staging: Path,
    validated: CaseExtract,
    *,
    public: bool,
    audit: dict[str, Any],
    selection: dict[str, Any] | None,
    disclosure: dict[str, Any],
    settings: dict[str, Any],
    extract: Path | Sequence[Path],
    started: datetime,
    seconds: float,
) -> Path:
    """Write ``manifest.json`` into the staged pack (:func:`build_manifest`, over the files
    already there) and return its path. A public pack's selection keeps only
    :data:`PUBLIC_SELECTION`."""
    if selection is not None and public:
        selection = {k: v for k, v in selection.items() if k in PUBLIC_SELECTION}
    manifest = build_manifest(
        selection=selection,
        input_=input_record(validated, public=public),
        audit=audit,
        disclosure=disclosure,
        settings=settings,
        extract=extract,
        started=started,
        seconds=seconds,
        staging=staging,
    )
    path = staging / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8", newline="")
    return path
