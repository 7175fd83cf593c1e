"""Which cases to audit: a reproducible random selection from the list of eligible cases,
with a record the board can check, and the check of returns against it.

Auditors who pick the cases they know bias every rate. ``audit select`` draws the quarter's
cases at random from a list of eligible **pseudonymised case references** (a CSV or
``.xlsx`` with a case reference column, read as extracts are read, :mod:`audit.intake.read`), and
refuses a list carrying direct identifiers exactly as the identifier guard refuses an
extract (:func:`audit.intake.guard.check_identifiers`: identifying column names, NHS numbers,
postcodes; values never quoted).

The rule
========

* The references are sorted by Unicode code point first, so the selection depends on the
  list's contents, never its row order.
* Every reference, in that order, gets one 64-bit key from the raw output of numpy's
  ``Generator(PCG64(seed))`` bit generator (``bit_generator.random_raw``). Why PCG64: it is
  numpy's default generator, statistically sound, seeded by one recorded integer; and its
  raw output for a seed is fixed by the algorithm, whereas numpy's compatibility policy
  (NEP 19) lets ``Generator`` methods such as ``choice`` change their algorithm between
  releases. Using only the raw keys, a later numpy draws the same cases from the same seed.
* **Simple**: the ``n`` references with the smallest keys (ties, vanishingly rare, by
  reference): every set of ``n`` equally likely.
* **Stratified** (``by``): each stratum (a value of the column, e.g. a team or partnership)
  gets its share by **proportional allocation with largest-remainder rounding** (Hamilton's
  method): ``n * N_h / N`` cases, rounded down, and the cases left over go one each to the
  strata with the largest remainders (ties by stratum name), computed in whole numbers; then
  its share of smallest keys.

The record
==========

:func:`selection_record` says what was done: seed, rule, method, eligible and selected
counts (per stratum too), the SHA-256 of the sorted references (:func:`references_digest`:
each reference and a newline, UTF-8, so ``LC_ALL=C sort -u refs.txt | sha256sum`` gives it
for a list of one reference a line), the same of the selection, the package and numpy
versions, and the selection file's name. It holds no case reference, so ``audit run
--selection`` can carry it into the manifest and the pack's "About these figures".

Checking the returns
====================

:func:`check_returns` compares the audited cases with the selection: the selected cases
returned, those not yet returned, and every return row holding a case that was not selected
(named by file and row, never by its reference).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audit.errors import ParameterError, Problem, ValidationError

__all__ = [
    "MAX_LISTED",
    "Eligible",
    "read_eligible",
    "references_digest",
    "allocate",
    "select_cases",
    "selection_record",
    "selection_csv",
    "write_selection",
    "load_selection",
    "check_returns",
    "new_seed",
]

#: Rows listed (problems, or returns outside the selection) before "and N more".
MAX_LISTED = 20
_RECORD_KEYS = (
    "tool",
    "seed",
    "rule",
    "eligible",
    "selected",
    "eligible_sha256",
    "selected_sha256",
    "selection_file",
)


@dataclass(frozen=True)
class Eligible:
    """The eligible cases: ``references`` (as read, trimmed), ``strata`` (the ``by`` column's
    values, or ``None``), the stratum column's header, and the list's file."""

    references: tuple[str, ...]
    strata: tuple[str, ...] | None
    by: str | None
    path: Path


def _listed(problems: list[Problem], more: int) -> list[Problem]:
    if more > 0:
        problems.append(Problem(None, None, f"… and {more:,} more"))
    return problems


def read_eligible(path: str | Path, *, sheet: str | None = None, by: str | None = None) -> Eligible:
    """Read the list of eligible cases (CSV, ``.xlsx``): the case reference column (headed
    as the form heads it, "Case ID", or "Case reference", "case_id", ...) and, with ``by``,
    the column to stratify by. Refuses direct identifiers (the guard), a list without a
    reference column, blank or repeated references and blank strata, naming rows only."""
    from audit.contract import match_header, normalise_column_name
    from audit.intake.guard import check_identifiers
    from audit.intake.read import read_extract

    raw = read_extract(path, sheet=sheet)
    check_identifiers(raw)
    frame = raw.frame
    columns = [c for c in frame.columns if match_header(raw.headers.get(c, c)) == "case_id"]
    if not columns:
        shown = ", ".join(raw.label(c) for c in list(frame.columns)[:10])
        raise ValidationError(
            "the list has no case reference column: head it 'Case ID' (as the audit form "
            f"does) or 'Case reference'; its columns: {shown or 'none'}",
            path=raw.path,
        )
    if len(columns) > 1:
        raise ValidationError(
            "the list has more than one case reference column: "
            + ", ".join(raw.label(c) for c in columns),
            path=raw.path,
        )
    ref_column = columns[0]
    references = [str(v).strip() for v in frame[ref_column].astype(str)]
    rows = [int(r) for r in frame.index]
    problems: list[Problem] = []
    blank = [r for r, v in zip(rows, references) if not v]
    problems += [Problem(r, "case_id", "no case reference") for r in blank[:MAX_LISTED]]
    _listed(problems, len(blank) - MAX_LISTED)
    first: dict[str, int] = {}
    repeats = 0
    for row, ref in zip(rows, references):
        if not ref:
            continue
        if ref in first:
            repeats += 1
            if repeats <= MAX_LISTED:
                problems.append(
                    Problem(row, "case_id", f"the same case reference as row {first[ref]}")
                )
        else:
            first[ref] = row
    _listed(problems, repeats - MAX_LISTED)
    strata = None
    header = None
    if by is not None:
        key = normalise_column_name(by)
        matches = [
            c
            for c in frame.columns
            if c == key or normalise_column_name(raw.headers.get(c, c)) == key
        ]
        if not matches or matches[0] == ref_column:
            shown = ", ".join(raw.label(c) for c in list(frame.columns)[:10] if c != ref_column)
            raise ParameterError(
                f"--by {str(by)[:60]!r}: the list has no such column to stratify by; its "
                f"other columns: {shown or 'none'}"
            )
        header = raw.headers.get(matches[0], matches[0])
        strata = tuple(str(v).strip() for v in frame[matches[0]].astype(str))
        empty = [r for r, v in zip(rows, strata) if not v]
        problems += [
            Problem(r, raw.label(matches[0]), "no value to stratify by") for r in empty[:MAX_LISTED]
        ]
        _listed(problems, len(empty) - MAX_LISTED)
    if problems:
        raise ValidationError(
            "the list of eligible cases cannot be used as it is", path=raw.path, problems=problems
        )
    if not references:
        raise ValidationError("the list of eligible cases is empty", path=raw.path)
    return Eligible(tuple(references), strata, header, raw.path)


def references_digest(references: Iterable[str]) -> str:
    """SHA-256 of the references sorted by code point, each followed by a newline (UTF-8)."""
    text = "".join(f"{r}\n" for r in sorted(references))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def allocate(n: int, sizes: dict[str, int]) -> dict[str, int]:
    """Proportional allocation of ``n`` over strata of ``sizes``, largest-remainder rounding
    (module doc), in whole-number arithmetic. Each share is at most its stratum's size."""
    total = sum(sizes.values())
    shares = {k: (n * size) // total for k, size in sizes.items()}
    left = n - sum(shares.values())
    order = sorted(sizes, key=lambda k: (-((n * sizes[k]) % total), k))
    for k in order[:left]:
        shares[k] += 1
    return shares


def _check_n(n: int, total: int) -> int:
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ParameterError(f"--n must be a whole number of at least 1; got {n!r}")
    if n > total:
        raise ParameterError(f"--n {n} is more than the {total:,} eligible cases in the list")
    return int(n)


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool) or int(seed) != seed or not (0 <= seed < 2**63):
        raise ParameterError(f"--seed must be a whole number from 0 to 2**63 - 1; got {seed!r}")
    return int(seed)


def select_cases(
    references: Sequence[str],
    n: int,
    *,
    seed: int,
    strata: Sequence[str] | None = None,
) -> list[tuple[str, str | None]]:
    """The selection (module doc): ``(reference, stratum)`` pairs sorted by reference. The
    same references, ``n``, ``seed`` and strata give the same selection in any order."""
    n = _check_n(n, len(references))
    seed = _check_seed(seed)
    pairs = sorted(zip(references, strata if strata is not None else [None] * len(references)))
    keys = np.random.Generator(np.random.PCG64(seed)).bit_generator.random_raw(len(pairs))
    ranked = sorted(range(len(pairs)), key=lambda i: (int(keys[i]), pairs[i][0]))
    if strata is None:
        chosen = ranked[:n]
    else:
        sizes: dict[str, int] = {}
        for _, stratum in pairs:
            sizes[str(stratum)] = sizes.get(str(stratum), 0) + 1
        shares = allocate(n, sizes)
        chosen = []
        for i in ranked:
            stratum = str(pairs[i][1])
            if shares[stratum] > 0:
                shares[stratum] -= 1
                chosen.append(i)
    return sorted(pairs[i] for i in chosen)


def selection_record(
    eligible: Eligible,
    selected: Sequence[tuple[str, str | None]],
    *,
    seed: int,
    selection_file: str,
) -> dict[str, Any]:
    """The record of a selection (module doc); no case reference in it."""
    from audit._version import __version__

    n = len(selected)
    if eligible.by is None:
        rule = f"simple random sample of {n} of the {len(eligible.references)} eligible cases"
        strata = None
    else:
        rule = (
            f"stratified random sample of {n} of the {len(eligible.references)} eligible "
            f"cases by '{eligible.by}': proportional allocation, largest-remainder rounding"
        )
        counts: dict[str, list[int]] = {}
        for s in eligible.strata or ():
            counts.setdefault(s, [0, 0])[0] += 1
        for _, chosen in selected:
            counts[str(chosen)][1] += 1
        strata = [
            {"stratum": k, "eligible": v[0], "selected": v[1]} for k, v in sorted(counts.items())
        ]
    return {
        "tool": "audit select",
        "seed": seed,
        "rule": rule,
        "method": (
            "references sorted by code point; one 64-bit key each, in that order, from "
            "numpy Generator(PCG64(seed)).bit_generator.random_raw; the smallest keys "
            "taken (in each stratum, its share)"
        ),
        "by": eligible.by,
        "eligible": len(eligible.references),
        "selected": n,
        "strata": strata,
        "eligible_sha256": references_digest(eligible.references),
        "selected_sha256": references_digest(r for r, _ in selected),
        "eligible_file": eligible.path.name,
        "selection_file": selection_file,
        "audit_version": __version__,
        "numpy_version": np.__version__,
    }


def selection_csv(selected: Sequence[tuple[str, str | None]], by: str | None) -> str:
    """The selection as CSV text: ``case_id`` (and the stratum column), one row a case,
    sorted by reference; formula-neutralised (:func:`audit.formatting.csv_text`), ``\\n``."""
    from audit.formatting import csv_text

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["case_id"] + ([csv_text(by)] if by is not None else []))
    for ref, stratum in selected:
        writer.writerow([csv_text(ref)] + ([csv_text(str(stratum))] if by is not None else []))
    return buffer.getvalue()


def write_selection(
    output: str | Path,
    selected: Sequence[tuple[str, str | None]],
    record: dict[str, Any],
    by: str | None,
) -> tuple[Path, Path]:
    """Write the selection CSV to ``output`` and its record beside it
    (``<name>.record.json``); returns both paths. Each file is written whole or not at all.
    A file already there is replaced only by the same bytes (the same list, seed and rule
    run again): a different selection is never written over one already drawn, so a sample
    cannot quietly be drawn again until it suits (``ParameterError``)."""
    from audit.files import atomic_write_text

    output = Path(output)
    record_path = output.with_name(output.stem + ".record.json")
    texts = {
        output: selection_csv(selected, by),
        record_path: json.dumps(record, indent=2, ensure_ascii=False) + "\n",
    }
    for path, text in texts.items():
        if path.exists() and path.read_bytes() != text.encode("utf-8"):
            raise ParameterError(
                f"{path.name} already holds a different selection: a drawn sample is not "
                "replaced. Write this one under another name (-o), or remove the old files "
                "deliberately if they were never used"
            )
    for path, text in texts.items():
        atomic_write_text(path, text)
    return output, record_path


def _unneutral(text: str) -> str:
    from audit.formatting import csv_text

    if text.startswith("'") and csv_text(text[1:]) == text:
        return text[1:]
    return text


def load_selection(record_path: str | Path) -> tuple[dict[str, Any], frozenset[str]]:
    """A selection record and the references of its selection file (beside it), checked
    against each other: ``ParameterError`` for a file that is not such a record, a missing
    selection file, or one whose references do not give the record's digest."""
    path = Path(record_path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ParameterError(
            f"--selection {path.name}: cannot read it as a selection record ({type(exc).__name__})"
        ) from exc
    if (
        not isinstance(record, dict)
        or record.get("tool") != "audit select"
        or any(k not in record for k in _RECORD_KEYS)
    ):
        raise ParameterError(
            f"--selection {path.name}: not a record written by 'audit select' (it names the "
            "seed, rule, counts, digests and selection file)"
        )
    csv_path = path.parent / Path(str(record["selection_file"])).name
    try:
        with open(csv_path, encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
    except OSError as exc:
        raise ParameterError(
            f"--selection {path.name}: its selection file {csv_path.name} cannot be read "
            "(keep the two files together)"
        ) from exc
    references = [_unneutral(r[0]) for r in rows[1:] if r]
    if references_digest(references) != record["selected_sha256"]:
        raise ParameterError(
            f"--selection {path.name}: {csv_path.name} does not hold the selection the record "
            "describes (its SHA-256 differs): it was changed after 'audit select' wrote it"
        )
    return record, frozenset(references)


def check_returns(
    cases: pd.DataFrame, selected: frozenset[str], default_file: str
) -> tuple[dict[str, int], list[str]]:
    """Compare the audited cases with the selection. Returns counts (``returned``: selected
    cases in the returns, ``not_returned``, ``not_in_selection``) and one warning a return
    row holding a case not selected (file and row, never the reference; at most
    :data:`MAX_LISTED`, then a count)."""
    ids = cases["case_id"].astype(str).str.strip()
    files = cases["source"].astype(str) if "source" in cases.columns else None
    outside = [
        (default_file if files is None else files.iloc[i], int(row))
        for i, (row, ref) in enumerate(zip(cases.index, ids))
        if ref not in selected
    ]
    returned = len(set(ids) & selected)
    warnings = [
        f"warning: {file} row {row}: a case that is not in the selection"
        for file, row in outside[:MAX_LISTED]
    ]
    if len(outside) > MAX_LISTED:
        warnings.append(
            f"warning: … and {len(outside) - MAX_LISTED:,} more cases not in the selection"
        )
    counts = {
        "returned": returned,
        "not_returned": len(selected) - returned,
        "not_in_selection": len(outside),
    }
    return counts, warnings


def new_seed() -> int:
    """A seed drawn from the operating system, for a selection run without ``--seed`` (it is
    recorded, so the selection can still be repeated)."""
    return secrets.randbelow(2**63)
