"""``audit run``: one quarter's audit, from an extract to a finished pack, in one direction.

1. Read and validate the extract once; read earlier quarters from the history store.
2. Compute the audit once (:meth:`audit.workspace.AuditData.compute`) and save it beside a
   prepared copy of the cases in a private temporary folder (it holds case ids, so it never
   enters the output folder).
3. Board pack: start the analyst notebooks (papermill, in parallel worker processes) on
   that saved audit; they keep executed copies for analysts. Public pack: no notebooks.
4. Build the sections from the protected tables (:mod:`audit.sections`) and write the pack
   (:mod:`audit.run.pack`); a public pack is attacked first and not written if anything could
   be worked out.
5. Write the manifest; record the audit in the history store (one transaction); move the
   staged folder into place. A failure at any step leaves nothing behind.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit.disclosure import Policy, Protected
from audit.errors import ParameterError
from audit.formatting import plural
from audit.history import record_history
from audit.intake.extract import shown
from audit.intake.periods import unfinished_words
from audit.paths import (
    HistoryLocation,
    portable_name,
    remove_leftovers,
    staging_prefix,
    temp_prefix,
)
from audit.run.kernels import DEFAULT_KERNEL

if TYPE_CHECKING:
    from audit.workspace import AuditData

__all__ = [
    "RunConfig",
    "RunResult",
    "run_audit",
    "default_output_dir",
    "record_history",
    "DEFAULT_KERNEL",
]


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


@dataclass(frozen=True)
class RunConfig:
    """Everything ``audit run`` is told: the extract(s) and the options (module doc).

    ``history`` (a SQLite file, or the :class:`~audit.paths.HistoryLocation` the CLI
    chose; the run says which store it uses, how many earlier quarters it found there, and
    when it creates a new one) supplies earlier quarters to the trend section and, once the
    pack is in place, receives this run's metrics, keyed by the partnership(s) the extract
    holds (:func:`audit.history.record_history`); a period recorded from another extract is
    replaced only with ``replace``. ``each_quarter`` records every quarter of the extract
    too (a backfill). ``run_notebooks=False`` writes a board pack without the executed
    analyst notebooks (the pack's other files are the same; quicker where no analyst needs
    them). ``targets`` is the board's targets file (:mod:`audit.measures.targets`), read
    before any work. ``selection`` is the record ``audit select`` wrote: the returns are
    checked against it (:func:`_check_selection`) and it goes into the manifest and "About
    these figures". ``moderation`` and ``agreed`` are second audits and settled answers
    (:mod:`audit.intake.moderation`): pooled as such, recorded as inputs in the manifest.
    ``progress`` receives each line the run says (``None``: silent).
    """

    extract: str | Path | Sequence[str | Path]
    output_dir: str | Path | None = None
    period: str | None = None
    partnership: str | None = None
    audience: str = "board"
    suppress_max: int | None = None
    marking: str | None = None
    jobs: int | None = None
    sheet: str | None = None
    allow_missing: Sequence[str] = ()
    accept_stray_dates: bool = False
    kernel: str = DEFAULT_KERNEL
    notebooks: str | Path | None = None
    run_notebooks: bool = True
    history: str | Path | HistoryLocation | None = None
    each_quarter: bool = False
    pdf: bool = False
    progress: Callable[[str], None] | None = field(default=_progress, compare=False)
    replace: bool = False
    targets: str | Path | None = None
    selection: str | Path | None = None
    moderation: Sequence[str | Path] = ()
    agreed: Sequence[str | Path] = ()

    @property
    def inputs(self) -> list[Path]:
        """The extract file(s), as paths."""
        if isinstance(self.extract, (str, Path)):
            return [Path(self.extract)]
        return [Path(e) for e in self.extract]

    def say(self, message: str) -> None:
        """Pass one line of progress on (or drop it when ``progress`` is ``None``)."""
        if self.progress is not None:
            self.progress(message)

    def settings(self, data: AuditData, policy: Policy, place: HistoryLocation | None) -> dict:
        """The run's parameters as the manifest records them (and its rerun command reads)."""
        return dict(
            sheet=self.sheet,
            period=data.period,
            partnership=data.partnership,
            audience=policy.audience.value,
            suppress_max=policy.max_count,
            marking=policy.marking,
            marking_given=self.marking is not None,
            history=str(place.path) if place is not None else None,
            each_quarter=bool(self.each_quarter),
            targets=Path(self.targets).name if self.targets else None,
            pdf=bool(self.pdf),
            notebooks=bool(self.run_notebooks) if not policy.public else None,
            selection=str(self.selection) if self.selection is not None else None,
            moderation=[str(m) for m in self.moderation] or None,
            agreed=[str(a) for a in self.agreed] or None,
        )


@dataclass(frozen=True)
class _Checked:
    """What :func:`_check_config` found before any work: the policy, the worker count, the
    notebooks folder (board packs), the board's targets and the selection record."""

    policy: Policy
    jobs: int
    nb_dir: Path | None
    targets: dict
    chosen: tuple | None


def _check_config(config: RunConfig) -> _Checked:
    """Every check that can fail before any work: the audience and its options, ``jobs``,
    the notebooks and their kernel (board), the targets file, the selection record and the
    PDF engine."""
    from audit.measures.targets import read_targets
    from audit.run.notebooks import check_notebooks, notebooks_dir

    policy = Policy.make(config.audience, config.suppress_max, config.marking)
    jobs = int(config.jobs or os.cpu_count() or 1)
    if jobs < 1:
        raise ParameterError("--jobs must be 1 or more")
    nb_dir = None
    if not policy.public and config.run_notebooks:
        from audit.run.kernels import check_kernel

        nb_dir = Path(config.notebooks) if config.notebooks else notebooks_dir()
        check_notebooks(nb_dir)
        check_kernel(config.kernel)
    board_targets = read_targets(config.targets) if config.targets else {}
    chosen = None
    if config.selection is not None:  # a bad record stops the run before any work
        from audit.intake.selection import load_selection

        chosen = load_selection(config.selection)
    if config.pdf:  # fail before any work if the PDF engine is missing
        from audit.render.pdf import require_pdf_engine

        require_pdf_engine()
    return _Checked(policy, jobs, nb_dir, board_targets, chosen)


def run_audit(
    extract: RunConfig | str | Path | Sequence[str | Path], /, **options: Any
) -> RunResult:
    """Run the quarterly audit and write the pack (module doc).

    Takes a :class:`RunConfig`, or the extract(s) and :class:`RunConfig`'s fields as keyword
    arguments (``run_audit(path, audience="public")``).
    """
    if isinstance(extract, RunConfig):
        if options:
            raise ParameterError("run_audit takes a RunConfig or options, not both")
        config = extract
    else:
        config = RunConfig(extract, **options)
    started = datetime.now(UTC)
    clock = time.perf_counter()
    checked = _check_config(config)
    from audit.run.notebooks import notebook_pool
    from audit.sections import NOTEBOOKS

    # Board packs run the analyst notebooks: their worker processes start now, and each
    # starts its kernel while this process reads, validates and computes the audit.
    pool = None
    if checked.nb_dir is not None:
        workers = min(checked.jobs, len(NOTEBOOKS))
        pool = notebook_pool(workers, config.kernel, checked.nb_dir)
    try:
        with tempfile.TemporaryDirectory(prefix=temp_prefix("run")) as private:
            data, prepared, place = _compute(config, checked, Path(private))
            destination = _destination(config, data, checked.policy)
            _stage_and_move(config, checked, data, prepared, place, pool, destination, started)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    from audit.run.pack import pack_name

    seconds = time.perf_counter() - clock
    page = destination / f"{pack_name(checked.policy)}.html"
    config.say(f"{checked.policy.audience.value} pack written to {page} in {seconds:.1f} s")
    return RunResult(destination, page, seconds, data.in_scope)


def _compute(
    config: RunConfig, checked: _Checked, private: Path
) -> tuple[AuditData, Path, HistoryLocation | None]:
    """Read and validate the extract once, save the prepared cases in ``private``, compute
    the audit with its history, targets and selection, and check the history would take
    this run's figures (a conflict costs seconds, not a whole run)."""
    from audit.intake.pooling import load_returns
    from audit.workspace import audit_of, read_history, save_prepared

    say = config.say
    inputs = config.inputs
    say(f"reading and validating {', '.join(p.name for p in inputs)} …")
    validated = load_returns(
        inputs,
        sheet=config.sheet,
        allow_missing=config.allow_missing,
        accept_stray_dates=config.accept_stray_dates,
        moderation=config.moderation,
        agreed=config.agreed,
    )
    for stray in validated.stray_dates:  # accepted: still said, never silent
        say(f"accepted with --accept-stray-dates: {stray}")
    for warning in validated.warnings:
        say(f"warning: {warning}")
    place = _history_place(config.history)
    history_path = place.path.resolve() if place is not None else None
    prepared = save_prepared(validated, private / "cases.parquet")
    data = audit_of(validated, period=config.period, partnership=config.partnership)
    data.targets = dict(checked.targets)
    data.history = read_history(
        history_path, validated, data.partnership, data.quarters[-1] if data.quarters else None
    )
    if place is not None:
        _say_history(say, place, data)
    if checked.chosen is not None:
        data.selection = _check_selection(say, data, validated, *checked.chosen)
    if history_path is not None:
        record_history(
            history_path,
            data,
            validated,
            each_quarter=config.each_quarter,
            replace=config.replace,
            check_only=True,
        )
    sheet = f" from sheet '{shown(validated.sheet, 40)}'" if validated.sheet else ""
    say(
        f"{validated.rows_read:,} rows read{sheet}, {len(validated.cases):,} in scope"
        f"{data.left_out_words()}; auditing "
        f"{data.in_scope:,} cases ({data.period_label}, {data.place}) for the "
        f"{checked.policy.audience.value}"
    )
    if unfinished := unfinished_words(data.period, datetime.now(UTC).date()):
        say(f"note: {unfinished}")
    return data, prepared, place


def _destination(config: RunConfig, data: AuditData, policy: Policy) -> Path:
    """The output folder, made ready: its parent exists, and folders left by runs that were
    stopped before they could clean up are removed (and said). Without ``--out``, a pack of
    an extract of one partnership is named after it with or without ``--partnership``: two
    partnerships' packs of one quarter would otherwise go to one folder, the second
    replacing the first (a new analyst's, serving two partnerships)."""
    destination = (
        Path(config.output_dir)
        if config.output_dir
        else default_output_dir(data.period, data.partnership or _sole_partnership(data), policy)
    ).resolve()
    destination.parent.mkdir(parents=True, exist_ok=True)
    removed = remove_leftovers(destination)
    if removed:
        config.say(
            f"removed {len(removed)} folder(s) left by an earlier run that was stopped: "
            + ", ".join(p.name for p in removed)
        )
    return destination


def _stage_and_move(
    config: RunConfig,
    checked: _Checked,
    data: AuditData,
    prepared: Path,
    place: HistoryLocation | None,
    pool: Any,
    destination: Path,
    started: datetime,
) -> None:
    """Build the pack in a staging folder beside ``destination``, write its manifest,
    record the history (last, one transaction) and move the folder into place; a failure
    at any step removes the staging folder and leaves the history as it was."""
    from audit.files import move_into_place
    from audit.run.manifest import write_manifest
    from audit.workspace import cache_path

    policy = checked.policy
    staging = Path(tempfile.mkdtemp(prefix=staging_prefix(destination), dir=destination.parent))
    history_path = place.path.resolve() if place is not None else None
    # The public packs already produced about these partnerships: read once, protected with
    # (_build) and counted when this one is added to the ledger (_ledger).
    earlier, ranges = _earlier_releases(data, history_path) if policy.public else ([], {})
    try:
        view, result = _build(
            data,
            policy,
            staging,
            prepared,
            pool,
            checked.nb_dir,
            config.kernel,
            config.pdf,
            config.say,
            cache_path(prepared),
            earlier,
            ranges,
            no_history=history_path is None,
            made_on=started.date(),
        )
        write_manifest(
            staging,
            data.extract,
            public=policy.public,
            audit=_audit_record(data, view, history_path),
            selection=data.selection,
            disclosure=result,
            settings=config.settings(data, policy, place),
            extract=config.inputs,
            started=started,
            seconds=(datetime.now(UTC) - started).total_seconds(),
        )
        if history_path is not None:
            if policy.public:
                _ledger(config, data, staging, history_path, started, earlier, ranges)
            # Last step before the move: one transaction, so the store is either updated
            # whole or left as it was.
            recorded = record_history(
                history_path,
                data,
                data.extract,
                each_quarter=config.each_quarter,
                replace=config.replace,
                recorded_at=started.isoformat(timespec="seconds"),
            )
            config.say(
                f"history: {_sets_recorded(recorded)} recorded in {history_path}"
                if recorded
                else "history: nothing recorded (a run over every case has no period; "
                "--period or --each-quarter records quarters)"
            )
        move_into_place(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _ledger(
    config: RunConfig,
    data: AuditData,
    staging: Path,
    history_path: Path,
    started: datetime,
    earlier: Sequence[Any],
    ranges: dict,
) -> None:
    """Add the staged public pack, protected with the ``earlier`` packs
    (:func:`audit.disclosure.protect.protect`), to the ledger
    (:mod:`audit.disclosure.ledger`), with the earlier packs' single-pack ranges worked out
    on the way (``ranges``). Recorded before the history, so a failure after this leaves
    the ledger holding a pack that was not written: the safe side."""
    from audit.disclosure.ledger import keep_ranges, record_release
    from audit.history import open_history

    # a one-partnership extract run without --partnership is that partnership's pack, not
    # a pool (a new analyst's --releases listed their own packs as "pooled")
    scope = data.partnership or _sole_partnership(data) or "pooled"
    with open_history(history_path) as store, store.connection:
        record_release(
            store.connection,
            staging,
            name=f"{scope} {data.period}",
            period=str(data.period),
            recorded_at=started.isoformat(timespec="seconds"),
        )
        keep_ranges(store.connection, earlier, ranges)
    config.say(
        f"publication ledger: checked with {len(earlier)} earlier public pack(s) about the same "
        f"partnerships; this one recorded in {history_path}"
    )


def _sole_partnership(data: AuditData) -> str | None:
    """The partnership of an extract that names one (``None`` for a pooled extract or one
    with no partnership column)."""
    from audit.disclosure.publication import NO_PARTNERSHIP, pack_partnerships

    members = pack_partnerships(data)
    return members[0] if len(members) == 1 and members[0] != NO_PARTNERSHIP else None


def _earlier_releases(data: AuditData, history_path: Path | None) -> tuple[list, dict]:
    """The public packs the history store has already produced about this audit's
    partnerships (:func:`audit.disclosure.ledger.earlier_releases`) and the single-pack
    ranges it keeps for them (:func:`~audit.disclosure.ledger.kept_ranges`); none without a
    store."""
    if history_path is None or not history_path.is_file():
        return [], {}
    from audit.disclosure.ledger import earlier_releases, kept_ranges
    from audit.history import open_history

    with open_history(history_path) as store:
        earlier = earlier_releases(store.connection, data.partnerships)
        return earlier, kept_ranges(store.connection, earlier)


def _audit_record(data: AuditData, view: Protected, history_path: Path | None = None) -> dict:
    """The manifest's ``audit``: period, partnership and the cases as the audience sees them,
    and the earlier quarters the trend charts read from the history store, each with the
    input it was recorded from (its SHA-256 and when; a board pack adds the file's name, a
    public pack names no file)."""
    from audit.workspace import history_runs

    earlier = history_runs(history_path, data.extract, data.partnership, data.history_quarters)
    if view.public:
        earlier = [{k: v for k, v in run.items() if k != "input_file"} for run in earlier]
    return {
        "period": data.period,
        "period_covered": data.period_label,
        "partnership": data.partnership,
        "cases": view.cases,
        "history_quarters": earlier,
    }


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
    earlier: Sequence[Any] = (),
    ranges: dict | None = None,
    *,
    no_history: bool = False,
    made_on: date | None = None,
) -> tuple[Protected, dict]:
    """The protected view and its sections, drawn once; then the analyst notebooks (board)
    while this process writes the pack's files from that view. Returns the view and the
    disclosure summary for the manifest."""
    from audit.disclosure import protect
    from audit.run.notebooks import start_notebooks, wait_for_notebooks
    from audit.run.pack import write_pack
    from audit.sections import build_sections

    if policy.public:
        say("protecting the public pack: hiding small counts and attacking the rest …")
    if policy.public and no_history:
        say(
            "note: no history store (--no-history), so this public pack is checked alone, "
            "not with the public packs published before it (README: Publishing over a year)"
        )
    if earlier:
        say(
            f"… together with {len(earlier)} public pack(s) already produced about the same "
            "partnerships (the publication ledger)"
        )
    protected = replace(protect(data, policy, earlier=earlier, ranges=ranges), made_on=made_on)
    if protected.withheld:  # the pack's own sentence (the first of what it leaves out)
        say(f"… left out of this pack as a whole: {protected.dropped[0]}")
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
            f"attacked, the narrowest range holds {check.narrowest_words}"
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
    # A run over every case has no "earlier": the store's quarters may be this extract's own.
    one, many = (
        ("earlier quarter", "earlier quarters")
        if current is not None
        else ("quarter already recorded", "quarters already recorded")
    )
    found = (
        f"{plural(len(earlier), one, many)} for "
        f"{data.place} ({earlier[0]}{f' to {earlier[-1]}' if len(earlier) > 1 else ''})"
        if earlier
        else f"no {many} for {data.place}"
    )
    say(f"history: {place.describe()}: {found}")


def _check_selection(say: Callable[[str], None], data, validated, record, selected) -> dict:
    """Check the audited cases against the selection (:func:`audit.intake.selection.check_returns`),
    say what was found (each return row outside the selection by file and row), and return
    the record with those counts, for the manifest and the pack."""
    from audit.intake.selection import check_returns

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


def _sets_recorded(count: int) -> str:
    """``"1 partnership-period set"`` / ``"3 partnership-period sets"``."""
    return f"{count} partnership-period set{'' if count == 1 else 's'}"
