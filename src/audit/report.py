"""``audit run``: one quarter's audit, from an extract to a finished pack, in one direction.

1. Read and validate the extract once; read earlier quarters from the history store.
2. Compute the audit once (:meth:`audit.workspace.AuditData.compute`) and save it beside a
   prepared copy of the cases in a private temporary folder (it holds case ids, so it never
   enters the output folder).
3. Board pack: start the analyst notebooks (papermill, in parallel worker processes) on
   that saved audit; they keep executed copies for analysts. Public pack: no notebooks.
4. Build the sections from the protected tables (:mod:`audit.sections`) and write the pack
   (:mod:`audit.pack`); a public pack is attacked first and not written if anything could
   be worked out.
5. Write the manifest; record the audit in the history store (one transaction); move the
   staged folder into place. A failure at any step leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from audit.disclosure import Policy, Protected
from audit.errors import ParameterError
from audit.kernels import DEFAULT_KERNEL
from audit.paths import (
    HistoryLocation,
    portable_name,
    remove_leftovers,
    staging_prefix,
    temp_prefix,
)

__all__ = ["RunResult", "run_audit", "default_output_dir", "record_history", "DEFAULT_KERNEL"]


@dataclass(frozen=True)
class RunResult:
    """Where ``audit run`` wrote the pack and what it took."""

    output_dir: Path
    pack: Path
    seconds: float
    cases: int


def default_output_dir(
    period: str | None, partnership: str | None, policy: Policy | None = None
) -> Path:
    """``reports/<period or all>[-<partnership>][-public]/``.

    The folder name is valid on Windows as well as POSIX whatever the partnership's name
    (:func:`audit.paths.portable_name`: lower-case ASCII words and hyphens, never a device
    name such as ``CON`` or a trailing dot)."""
    label = (period or "").strip().upper()
    name = (
        label
        if re.fullmatch(r"\d{4}(-Q[1-4])?", label)
        else portable_name(period or "all", fallback="all")
    )
    if partnership:
        name += "-" + portable_name(partnership)
    if policy is not None and policy.public:
        name += "-public"
    return Path("reports") / name


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_audit(
    extract: str | Path | Sequence[str | Path],
    *,
    output_dir: str | Path | None = None,
    period: str | None = None,
    partnership: str | None = None,
    audience: str = "board",
    suppress_max: int | None = None,
    marking: str | None = None,
    jobs: int | None = None,
    sheet: str | None = None,
    allow_missing: Sequence[str] = (),
    accept_stray_dates: bool = False,
    kernel: str = DEFAULT_KERNEL,
    notebooks: str | Path | None = None,
    history: str | Path | HistoryLocation | None = None,
    each_quarter: bool = False,
    pdf: bool = False,
    progress: Callable[[str], None] | None = _progress,
    replace: bool = False,
    targets: str | Path | None = None,
    selection: str | Path | None = None,
    moderation: Sequence[str | Path] = (),
    agreed: Sequence[str | Path] = (),
) -> RunResult:
    """Run the quarterly audit and write the pack for ``audience`` (module doc).

    ``history`` (a SQLite file, or the :class:`~audit.paths.HistoryLocation` the CLI
    chose; the run says which store it uses, how many earlier quarters it found there, and
    when it creates a new one) supplies earlier quarters to the trend section and, once the
    pack is in place, receives this run's metrics, keyed by the partnership(s) the extract
    holds (:func:`record_history`); a period recorded from another extract is replaced only
    with ``replace``. ``each_quarter`` records every quarter of the extract too (a backfill).
    ``targets`` is the board's targets file (:mod:`audit.targets`), read before any work.
    ``selection`` is the record ``audit select`` wrote: the returns are checked against it
    (:func:`_check_selection`) and it goes into the manifest and "About these figures".
    ``moderation`` and ``agreed`` are second audits and settled answers
    (:mod:`audit.moderation`): pooled as such, recorded as inputs in the manifest.
    """
    from audit.notebooks import check_notebooks, notebook_pool, notebooks_dir
    from audit.pooling import load_returns
    from audit.sections import NOTEBOOKS
    from audit.workspace import audit_of, cache_path, read_history, save_prepared

    started = datetime.now(UTC)
    clock = time.perf_counter()
    say = progress or (lambda _message: None)
    policy = Policy.make(audience, suppress_max, marking)
    jobs = int(jobs or os.cpu_count() or 1)
    if jobs < 1:
        raise ParameterError("--jobs must be 1 or more")
    nb_dir = None
    if not policy.public:
        from audit.kernels import check_kernel

        nb_dir = Path(notebooks) if notebooks else notebooks_dir()
        check_notebooks(nb_dir)
        check_kernel(kernel)
    from audit.targets import read_targets

    board_targets = read_targets(targets) if targets else {}
    chosen = None
    if selection is not None:  # a bad record stops the run before any work
        from audit.selection import load_selection

        chosen = load_selection(selection)
    if pdf:  # fail before any work if the PDF engine is missing
        from audit.render.pdf import require_pdf_engine

        require_pdf_engine()

    # Board packs run the analyst notebooks: their worker processes start now, and each
    # starts its kernel while this process reads, validates and computes the audit.
    pool = notebook_pool(min(jobs, len(NOTEBOOKS)), kernel, nb_dir) if nb_dir else None
    try:
        inputs = [Path(extract)] if isinstance(extract, (str, Path)) else [Path(e) for e in extract]
        say(f"reading and validating {', '.join(p.name for p in inputs)} …")
        validated = load_returns(
            inputs,
            sheet=sheet,
            allow_missing=allow_missing,
            accept_stray_dates=accept_stray_dates,
            moderation=moderation,
            agreed=agreed,
        )
        for stray in validated.stray_dates:  # accepted: still said, never silent
            say(f"accepted with --accept-stray-dates: {stray}")
        place = _history_place(history)
        history_path = place.path.resolve() if place is not None else None

        with tempfile.TemporaryDirectory(prefix=temp_prefix("run")) as private:
            prepared = save_prepared(validated, Path(private) / "cases.parquet")
            data = audit_of(validated, period=period, partnership=partnership)
            data.targets = dict(board_targets)
            data.history = read_history(
                history_path,
                validated,
                data.partnership,
                data.quarters[-1] if data.quarters else None,
            )
            if place is not None:
                _say_history(say, place, data)
            if chosen is not None:
                data.selection = _check_selection(say, data, validated, *chosen)
            if history_path is not None:  # a history conflict costs seconds, not a whole run
                record_history(
                    history_path,
                    data,
                    validated,
                    each_quarter=each_quarter,
                    replace=replace,
                    check_only=True,
                )
            say(
                f"{validated.rows_read:,} rows read, {len(validated.cases):,} in scope; auditing "
                f"{data.in_scope:,} cases ({data.period_label}, {data.place}) for the "
                f"{policy.audience.value}"
            )
            destination = (
                Path(output_dir)
                if output_dir
                else default_output_dir(data.period, data.partnership, policy)
            )
            destination = destination.resolve()
            destination.parent.mkdir(parents=True, exist_ok=True)
            removed = remove_leftovers(destination)  # of runs killed before they could clean up
            if removed:
                say(
                    f"removed {len(removed)} folder(s) left by an earlier run that was stopped: "
                    + ", ".join(p.name for p in removed)
                )
            staging = Path(
                tempfile.mkdtemp(prefix=staging_prefix(destination), dir=destination.parent)
            )
            try:
                view, result = _build(
                    data,
                    policy,
                    staging,
                    prepared,
                    pool,
                    nb_dir,
                    kernel,
                    pdf,
                    say,
                    cache_path(prepared),
                )
                seconds = time.perf_counter() - clock
                _write_manifest(
                    staging,
                    data,
                    view,
                    started,
                    seconds,
                    inputs,
                    settings=dict(
                        sheet=sheet,
                        period=data.period,
                        partnership=data.partnership,
                        audience=policy.audience.value,
                        suppress_max=policy.max_count,
                        marking=policy.marking,
                        marking_given=marking is not None,
                        history=str(place.path) if place is not None else None,
                        each_quarter=bool(each_quarter),
                        targets=Path(targets).name if targets else None,
                        pdf=bool(pdf),
                        selection=str(selection) if selection is not None else None,
                        moderation=[str(m) for m in moderation] or None,
                        agreed=[str(a) for a in agreed] or None,
                    ),
                    disclosure=result,
                )
                if history_path is not None:
                    # Last step before the move: one transaction, so the store is either
                    # updated whole or left as it was.
                    recorded = record_history(
                        history_path,
                        data,
                        validated,
                        each_quarter=each_quarter,
                        replace=replace,
                        recorded_at=started.isoformat(timespec="seconds"),
                    )
                    say(
                        f"history: {_sets_recorded(recorded)} recorded in {history_path}"
                        if recorded
                        else "history: nothing recorded (a run over every case has no period; "
                        "--period or --each-quarter records quarters)"
                    )
                from audit.files import move_into_place

                move_into_place(staging, destination)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    from audit.pack import pack_name

    seconds = time.perf_counter() - clock
    page = destination / f"{pack_name(policy)}.html"
    say(f"{policy.audience.value} pack written to {page} in {seconds:.1f} s")
    return RunResult(destination, page, seconds, data.in_scope)


def _build(
    data,
    policy: Policy,
    staging: Path,
    prepared: Path,
    pool,
    nb_dir: Path | None,
    kernel: str,
    pdf: bool,
    say: Callable[[str], None],
    cache: Path,
) -> tuple[Protected, dict]:
    """The protected view and its sections, drawn once; then the analyst notebooks (board)
    while this process writes the pack's files from that view. Returns the view and the
    disclosure summary for the manifest."""
    from audit.disclosure import protect
    from audit.notebooks import start_notebooks, wait_for_notebooks
    from audit.pack import write_pack
    from audit.sections import build_sections

    if policy.public:
        say("protecting the public pack: hiding small counts and attacking the rest …")
    protected = protect(data, policy)
    say("drawing the sections …")
    sections = build_sections(protected, data.history)
    if pool is not None and nb_dir is not None:
        data.save(cache)  # the tables and the history, for the notebooks
        parameters = {
            "extract_path": str(prepared),
            "period": data.period,
            "partnership": data.partnership or "",
            "audience": "board",
            "history_path": "",
        }  # the saved audit carries the history it used
        futures = start_notebooks(pool, nb_dir, staging / "notebooks", parameters, kernel)
        say(f"running {len(futures)} analyst notebooks alongside")
    else:
        futures = None
    say("writing the pack …")
    write_pack(staging, protected, sections, pdf=pdf)
    if futures is not None:
        wait_for_notebooks(futures, say, pool)
    if protected.public:
        from audit.disclosure.figures import check_pack

        check = check_pack(staging)
        say(
            f"disclosure check passed: {check.hidden} cells hidden, {check.attacked} counts "
            f"attacked, narrowest range {check.narrowest}"
        )
        # The manifest records the reviewer's check from the written files: the same figures
        # `audit check-disclosure` prints for this pack.
        return protected, {
            **protected.summary(),
            "cells_hidden": check.hidden,
            "cells_attacked": check.attacked,
            "narrowest_range": None if check.narrowest in (None, float("inf")) else check.narrowest,
        }
    return protected, protected.summary()


def _history_place(history: str | Path | HistoryLocation | None) -> HistoryLocation | None:
    if history is None or isinstance(history, HistoryLocation):
        return history
    return HistoryLocation(Path(history), "--history")


def _say_history(say: Callable[[str], None], place: HistoryLocation, data) -> None:
    """Which store the run reads and records into, and what it found there: a trend never
    loses its earlier quarters without a word (issue 21)."""
    if place.unused is not None:
        say(
            f"note: {place.unused} in this folder is an older history store; this run "
            f"does not read it (it uses {place.path}). Pass --history {place.unused} to "
            "use it, or remove it once its quarters are in the default store"
        )
    if not place.exists:
        say(
            f"history: no store at {place.describe()} yet: this run creates it, so the "
            "trend shows no earlier quarters. If you expected earlier quarters, stop and "
            "name your store with --history PATH"
        )
        return
    if data.history is None:
        say(f"history: {place.describe()}; the extract names no partnership, so none is read")
        return
    current = data.period if data.period not in (None, "all") else None
    earlier = sorted(
        {str(p) for p in data.history["period"] if current is None or str(p) < current}
    )
    found = (
        f"{len(earlier)} earlier quarter{'s' if len(earlier) != 1 else ''} for "
        f"{data.place} ({earlier[0]}{f' to {earlier[-1]}' if len(earlier) > 1 else ''})"
        if earlier
        else f"no earlier quarters for {data.place}"
    )
    say(f"history: {place.describe()}: {found}")


def _check_selection(say: Callable[[str], None], data, validated, record, selected) -> dict:
    """Check the audited cases against the selection (:func:`audit.selection.check_returns`),
    say what was found (each return row outside the selection by file and row), and return
    the record with those counts, for the manifest and the pack."""
    from audit.selection import check_returns

    counts, warnings = check_returns(data.cases, selected, validated.path.name)
    for warning in warnings:
        say(warning)
    outside = counts["not_in_selection"]
    say(
        f"selection: {counts['returned']} of the {record['selected']} selected cases are in "
        f"the returns ({counts['not_returned']} not); {outside} audited "
        f"case{' is' if outside == 1 else 's are'} not in the selection"
    )
    return {**record, **counts}


def _input_name(validated) -> str:
    """The input as provenance names it: the file, or the pooled returns (at most 200
    characters)."""
    if not validated.sources:
        return str(validated.path.name)
    names = ", ".join(str(s["file"]) for s in validated.sources)
    text = f"{len(validated.sources)} returns: {names}"
    return text if len(text) <= 200 else text[:199] + "…"


#: The parts of a selection record a public pack's manifest carries.
_PUBLIC_SELECTION = frozenset(
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


def _write_manifest(
    staging: Path,
    data,
    p: Protected,
    started: datetime,
    seconds: float,
    extract: list[Path],
    *,
    settings: dict,
    disclosure: dict,
) -> None:
    from audit.manifest import build_manifest

    policy = p.policy
    validated = data.extract
    input_ = {
        "file": _input_name(validated),
        "sha256": validated.sha256,
        "files": [dict(s) for s in validated.sources] or None,
        "sheet": validated.sheet,
        "flags_not_recorded": list(validated.missing_flags),
    }
    if not policy.public:
        input_.update(
            {
                "rows_read": int(validated.rows_read),
                "in_scope": int(len(validated.cases)),
                "excluded_out_of_scope": int(len(validated.excluded)),
                "ignored_columns": list(validated.ignored_columns),
                "stray_dates_accepted": [str(s) for s in validated.stray_dates],
            }
        )
    audit = {
        "period": data.period,
        "period_covered": data.period_label,
        "partnership": data.partnership,
        "cases": p.cases,
    }
    selection = data.selection
    if selection is not None and policy.public:  # what was done, not who was where
        selection = {k: v for k, v in selection.items() if k in _PUBLIC_SELECTION}
    manifest = build_manifest(
        selection=selection,
        input_=input_,
        audit=audit,
        disclosure=disclosure,
        settings=settings,
        extract=extract,
        started=started,
        seconds=seconds,
        staging=staging,
    )
    (staging / "manifest.json").write_text(
        json.dumps(manifest, indent=2) + "\n", encoding="utf-8", newline=""
    )


def record_history(
    history: str | Path,
    data,
    validated,
    *,
    each_quarter: bool = False,
    recorded_at: str | None = None,
    replace: bool = False,
    check_only: bool = False,
) -> int:
    """Record an audit's unsuppressed metrics in the history store; returns the sets written.

    Keys name what the figures are (:func:`audit.history.history_key`): the partnership
    the extract (after any ``--partnership`` selection) holds, or the set of a pooled
    extract's partnerships; an extract that names no partnership raises ``HistoryError``.
    The audit's own period is recorded unless it is "all"; with ``each_quarter`` every
    quarter of the extract is recorded as well, under the same key and (for a pooled
    extract) under each partnership. One transaction. A period already recorded from a
    different extract raises ``HistoryError`` unless ``replace``. ``check_only`` makes
    those checks without writing (``audit run`` calls it before the notebooks).
    """
    from audit.history import history_key, open_history, partnerships_in
    from audit.metrics import metrics_by, quarter_label, select_partnership

    if data.period == "all" and not each_quarter:
        return 0  # a run over every case has no place on a time axis: nothing to record
    cases = validated.cases
    if data.partnership:
        cases = select_partnership(cases, data.partnership)
    members = partnerships_in(cases)
    key = history_key(members)
    sets: list[tuple[str, str, object, int]] = []
    if data.period != "all":
        sets.append((key, data.period, data.metrics, data.in_scope))
    if each_quarter:
        scopes = [(key, cases)]
        if len(members) > 1:
            scopes += [(history_key([name]), select_partnership(cases, name)) for name in members]
        for scope, scope_cases in scopes:
            quarterly = metrics_by(scope_cases, by="quarter", level=data.level)
            sizes = quarter_label(scope_cases["notification_date"]).value_counts()
            for quarter, table in quarterly.groupby("quarter", sort=True):
                if scope == key and quarter == data.period:
                    continue  # already in the list
                sets.append(
                    (scope, str(quarter), table.drop(columns="quarter"), int(sizes.get(quarter, 0)))
                )
    if check_only:
        if sets and Path(history).is_file():  # a new store has nothing to conflict with
            store = open_history(history)
            try:
                store.check_many(
                    [(scope, period, validated.sha256) for scope, period, _table, _cases in sets],
                    replace=replace,
                )
            finally:
                store.close()
        return len(sets)
    provenance = {"input_sha256": validated.sha256, "input_file": _input_name(validated)}
    if recorded_at:
        provenance["recorded_at"] = recorded_at
    store = open_history(history)
    try:
        # One transaction: a failure part-way leaves the history as it was.
        store.record_many(
            [
                (table, scope, period, {**provenance, "cases": n})
                for scope, period, table, n in sets
            ],
            replace=replace,
        )
    finally:
        store.close()
    return len(sets)


def _sets_recorded(count: int) -> str:
    """``"1 partnership-period set"`` / ``"3 partnership-period sets"``."""
    return f"{count} partnership-period set{'' if count == 1 else 's'}"
