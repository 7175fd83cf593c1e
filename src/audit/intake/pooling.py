"""Pooling auditors' returns: several extract files (or a folder of them) as one extract.

Each auditor returns a filled-in audit form. :func:`load_returns` reads and validates every
file as :func:`audit.intake.validate.load_extract` does, and then:

* lists every file's problems together, each naming its file, so returns are not fixed one
  at a time (a file with direct identifiers refuses the whole pool, naming the file, never
  the value);
* refuses a case id that appears in two files (naming both files and rows), the same file
  given twice, a return that names no partnership beside returns that do (its cases would
  be counted under no partnership), and files that record different measures (a measure
  present in some returns and absent from others would silently count as unknown);
* pools the cases, with each case's file in a ``source`` column, and records every input's
  SHA-256 (:attr:`~audit.intake.extract.CaseExtract.sources`).

Second audits of cases already audited (moderation) are given apart, as ``moderation``
(and their settled answers as ``agreed``): :mod:`audit.intake.moderation` says how they are
marked, checked and counted. Only then may a case id be in two files.

A folder expands to the extract files directly inside it (``.csv``, ``.xlsx``, ``.xlsm``,
``.parquet``), sorted, skipping hidden files and Excel's lock files (``~$name.xlsx``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd

from audit.errors import (
    ExtractError,
    IdentifierError,
    ParameterError,
    Problem,
    ReadError,
    ValidationError,
)
from audit.intake.extract import ACCEPT_FLAG, CaseExtract, StrayDate, shown
from audit.intake.names import spelling_problems

__all__ = ["expand_inputs", "load_returns", "pooled_digest"]

_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".parquet")
#: Repeated case ids listed per file before a summary line.
_MAX_LISTED = 20


def problems_files(problems: list[Problem]) -> list[Path]:
    """The files already refused as copies of another (their case ids need no listing)."""
    return [Path(p.file) for p in problems if p.file and p.message.startswith("is a copy")]


def expand_inputs(paths: Sequence[str | Path]) -> list[Path]:
    """The extract files named by ``paths``: files as given, folders expanded (module doc)."""
    files: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            inside = sorted(
                p
                for p in path.iterdir()
                if p.is_file()
                and p.suffix.lower() in _SUFFIXES
                and not p.name.startswith((".", "~$"))
            )
            if not inside:
                raise ReadError(
                    "the folder holds no extract files (.csv, .xlsx or .parquet)", path=path
                )
            files += inside
        else:
            files.append(path)
    seen: dict[Path, Path] = {}
    for path in files:
        key = path.resolve()
        if key in seen:
            raise ReadError(f"the same file is given twice ({shown(seen[key].name)})", path=path)
        seen[key] = path
    return files


def pooled_digest(sources: Iterable[Mapping[str, object]]) -> str:
    """One SHA-256 for a set of inputs, the same whatever order they come in."""
    lines = sorted(f"{s['sha256']}  {s['file']}" for s in sources)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def load_returns(
    paths: Sequence[str | Path],
    *,
    sheet: str | None = None,
    allow_missing: Iterable[str] | str = (),
    today: dt.date | None = None,
    accept_stray_dates: bool = False,
    moderation: Sequence[str | Path] = (),
    agreed: Sequence[str | Path] = (),
) -> CaseExtract:
    """Read, validate and pool one or more extract files (module doc).

    ``moderation`` names second audits of cases in the other files, ``agreed`` the answers
    two auditors settled (:mod:`audit.intake.moderation`); a file among them is taken out of
    ``paths`` (a folder of returns may hold it).

    One file is :func:`audit.intake.validate.load_extract`, then the check for cases dated apart
    from the rest of their return (:func:`audit.intake.stray_dates.stray_dates`), which raises
    :class:`~audit.errors.ValidationError` unless ``accept_stray_dates`` (the accepted
    cases are then kept in :attr:`~audit.intake.extract.CaseExtract.stray_dates`). Raises the
    project's errors, each problem naming its file.
    """
    from audit.intake.validate import load_extract

    files, second, settled = _marked(paths, moderation, agreed)
    if len(files) == 1 and not second:
        extract = load_extract(
            files[0],
            sheet=sheet,
            allow_missing=allow_missing,
            today=today,
            check_stray_dates=not accept_stray_dates,  # listed with any other problems
        )
        return _checked_dates([files[0]], [extract], extract, accept_stray_dates)
    every = [*files, *second, *settled]
    allow = (allow_missing,) if isinstance(allow_missing, str) else tuple(allow_missing)
    extracts, usable, problems, identifiers = _load_each(
        every, files, sheet=sheet, allow=allow, today=today, strays=not accept_stray_dates
    )
    if problems and not identifiers and not accept_stray_dates:
        # every problem at once: the returns that did validate have their dates checked too
        # (a second audit's or agreed cases are the first returns' own: dated there)
        firsts = [(p, e) for p, e in zip(usable, extracts) if p in files]
        problems += [s.problem() for s in _strays([p for p, _ in firsts], [e for _, e in firsts])]
    if problems:
        kind = IdentifierError if identifiers else ValidationError
        raise kind(
            f"{len(every)} returns pooled: {len(problems):,} problem"
            f"{'s' if len(problems) != 1 else ''}; fix each file and pool them again",
            path=Path(paths[0]) if len(paths) == 1 and not second else None,
            problems=problems,
        )
    try:
        pooled = _pool(files, extracts[: len(files)])
    except ValidationError as exc:  # the stray dates are listed with the pool's problems
        strays = [] if accept_stray_dates else [s.problem() for s in _strays(files, extracts)]
        if not strays:
            raise
        raise ValidationError(
            f"{len(every)} returns pooled: {len(exc.problems) + len(strays):,} problems across "
            "the files",
            problems=[*exc.problems, *strays],
        ) from None
    if second:
        from audit.intake.moderation import moderate

        n = len(files)
        pooled = moderate(
            pooled,
            list(zip(second, extracts[n : n + len(second)])),
            list(zip(settled, extracts[n + len(second) :])),
        )
        pooled = replace(pooled, sha256=pooled_digest(pooled.sources))
    return _checked_dates(files, extracts[: len(files)], pooled, accept_stray_dates)


def _load_each(
    every: Sequence[Path],
    files: Sequence[Path],
    *,
    sheet: str | None,
    allow: tuple[str, ...],
    today: dt.date | None,
    strays: bool,
) -> tuple[list[CaseExtract], list[Path], list[Problem], bool]:
    """Each return read and validated alone: the extracts of those that validate, their
    paths, every other file's problems (each naming its file) and whether any was refused
    for direct identifiers. ``strays``: check the first returns' dates too."""
    from audit.intake.validate import load_extract

    extracts: list[CaseExtract] = []
    problems: list[Problem] = []
    identifiers = False
    usable: list[Path] = []
    for path in every:
        try:
            extracts.append(
                load_extract(
                    path,
                    sheet=sheet,
                    allow_missing=allow,
                    today=today,
                    check_stray_dates=strays and path in files,
                )
            )
            usable.append(path)
        except ExtractError as exc:
            identifiers |= isinstance(exc, IdentifierError)
            problems += _named(exc, path)
    return extracts, usable, problems, identifiers


def _marked(
    paths: Sequence[str | Path],
    moderation: Sequence[str | Path],
    agreed: Sequence[str | Path],
) -> tuple[list[Path], list[Path], list[Path]]:
    """The first audits, the second audits and the agreed answers, each file in one list
    (a marked file is taken out of the returns: :mod:`audit.intake.moderation`)."""
    second = expand_inputs(moderation) if moderation else []
    settled = expand_inputs(agreed) if agreed else []
    if settled and not second:
        raise ParameterError(
            "agreed answers settle moderated cases: give the second audits with --moderation"
        )
    marked = {p.resolve(): p for p in second}
    for path in settled:
        if path.resolve() in marked:
            raise ReadError("is given both as a second audit and as agreed answers", path=path)
        marked[path.resolve()] = path
    files = [p for p in expand_inputs(paths) if p.resolve() not in marked]
    if second and not files:
        raise ParameterError(
            "a second audit (--moderation) re-audits cases in the first auditors' returns: "
            "give those returns too"
        )
    return files, second, settled


def _strays(files: list[Path], extracts: list[CaseExtract]) -> list[StrayDate]:
    """Every return's cases dated apart from the rest of it (:mod:`audit.intake.stray_dates`)."""
    from audit.intake.stray_dates import stray_dates

    return [
        replace(s, named=e.columns.get("notification_date"))
        for path, e in zip(files, extracts)
        for s in stray_dates(e.cases, shown(path.name))
    ]


def _checked_dates(
    files: list[Path], extracts: list[CaseExtract], result: CaseExtract, accept: bool
) -> CaseExtract:
    """``result`` with its returns' stray dates (:mod:`audit.intake.stray_dates`) accepted, or a
    :class:`~audit.errors.ValidationError` listing every one, each naming its file."""
    strays = _strays(files, extracts)
    if not strays:
        return result
    if accept:
        return replace(result, stray_dates=tuple(strays))
    one = len(strays) == 1
    raise ValidationError(
        f"{len(strays)} case{'' if one else 's'} dated apart from the quarters the rest of "
        f"{'its' if one else 'their'} return covers: a quarter of the trend would rest on "
        f"{'it' if one else 'them'}. Correct each date, or pass {ACCEPT_FLAG} if "
        f"{'it is' if one else 'they are'} right",
        path=files[0] if len(files) == 1 else None,
        problems=[s.problem() for s in strays],
    )


def _named(exc: ExtractError, path: Path) -> list[Problem]:
    """An error of one file as problems naming that file."""
    name = shown(path.name)
    if not exc.problems:
        message = str(exc).split(": ", 1)[-1] if exc.path is not None else str(exc)
        return [Problem(None, None, message, name)]
    return [replace(p, file=name) for p in exc.problems]


def _pool(files: list[Path], extracts: list[CaseExtract]) -> CaseExtract:
    """The validated returns as one extract, each case tagged with its file; refused with
    every problem of the set (:func:`_pool_problems`)."""
    problems = _pool_problems(files, extracts)
    if problems:
        raise ValidationError(
            f"{len(files)} returns pooled: {len(problems):,} problem"
            f"{'s' if len(problems) != 1 else ''} across the files",
            problems=problems,
        )
    sources: tuple[dict[str, object], ...] = tuple(
        {
            "file": path.name,
            "sha256": e.sha256,
            "sheet": e.sheet,
            "rows_read": int(e.rows_read),
            "in_scope": int(len(e.cases)),
        }
        for path, e in zip(files, extracts)
    )
    cases = pd.concat([e.cases.assign(source=path.name) for path, e in zip(files, extracts)])
    excluded = pd.concat(
        [e.excluded.assign(source=path.name) for path, e in zip(files, extracts)], ignore_index=True
    )
    folder = files[0].parent if len({p.parent for p in files}) == 1 else Path(".")
    ignored = tuple(dict.fromkeys(c for e in extracts for c in e.ignored_columns))
    return CaseExtract(
        cases=cases,
        excluded=excluded,
        rows_read=sum(int(e.rows_read) for e in extracts),
        ignored_columns=ignored,
        missing_flags=extracts[0].missing_flags,
        path=folder,
        sha256=pooled_digest(sources),
        sheet=None,
        sources=sources,
        warnings=tuple(
            f"{shown(path.name)}: {w}" for path, e in zip(files, extracts) for w in e.warnings
        ),
    )


def _pool_problems(files: list[Path], extracts: list[CaseExtract]) -> list[Problem]:
    """What stops returns pooling: a file that copies another, measures recorded by some
    returns only, near-duplicate partnership names, a return naming no partnership beside
    returns that do, and a case id in two returns."""
    problems: list[Problem] = []
    digests: dict[str, str] = {}
    for path, extract in zip(files, extracts):
        if extract.sha256 in digests:
            problems.append(
                Problem(
                    None,
                    None,
                    f"is a copy of {shown(digests[extract.sha256])} (the same bytes)",
                    shown(path.name),
                )
            )
        digests.setdefault(extract.sha256, path.name)
    recorded = [frozenset(e.missing_flags) for e in extracts]
    if len(set(recorded)) > 1:
        for path, missing in zip(files, recorded):
            lacking = sorted(missing - frozenset.intersection(*recorded))
            if lacking:
                problems.append(
                    Problem(
                        None,
                        None,
                        "does not record "
                        f"{', '.join(lacking)}, which other returns do: "
                        "every return must record the same measures",
                        shown(path.name),
                    )
                )
    named = [(p.name, e.cases.get("partnership")) for p, e in zip(files, extracts)]
    problems += spelling_problems([(name, cells) for name, cells in named if cells is not None])
    if any(cells is not None for _, cells in named):
        problems += [
            Problem(
                None,
                "partnership",
                "names no partnership (its partnership column is blank or absent) while "
                "other returns name theirs: fill in the partnership on every row",
                shown(name),
            )
            for name, cells in named
            if cells is None
        ]
    first_seen: dict[str, tuple[str, int]] = {}
    copies = {p.name for p in problems_files(problems)}
    for path, extract in zip(files, extracts):
        repeats = 0
        for row, case in zip(extract.cases.index, extract.cases["case_id"].astype(str)):
            if case not in first_seen:
                first_seen[case] = (path.name, int(row))
                continue
            repeats += 1
            if repeats <= _MAX_LISTED and path.name not in copies:
                other, other_row = first_seen[case]
                problems.append(
                    Problem(
                        int(row),
                        "case_id",
                        "the same case id is in "
                        f"{shown(other)} row {other_row}: each case belongs "
                        "to one return",
                        shown(path.name),
                    )
                )
        if repeats > _MAX_LISTED and path.name not in copies:
            problems.append(
                Problem(
                    None,
                    "case_id",
                    f"… and {repeats - _MAX_LISTED:,} more case ids already in another return",
                    shown(path.name),
                )
            )
    return problems
