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
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from audit.disclosure import Policy
from audit.errors import ParameterError
from audit.kernels import DEFAULT_KERNEL

__all__ = ["RunResult", "run_audit", "default_output_dir", "record_history", "DEFAULT_KERNEL"]


@dataclass(frozen=True)
class RunResult:
    """Where ``audit run`` wrote the pack and what it took."""

    output_dir: Path
    pack: Path
    seconds: float
    cases: int


def default_output_dir(period: str | None, partnership: str | None,
                       policy: Policy | None = None) -> Path:
    """``reports/<period or all>[-<partnership>][-public]/``."""
    name = (period or "all").strip() or "all"
    if partnership:
        name += "-" + re.sub(r"[^a-z0-9]+", "-", partnership.lower()).strip("-")
    if policy is not None and policy.public:
        name += "-public"
    return Path("reports") / name


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_audit(extract: str | Path, *, output_dir: str | Path | None = None,
              period: str | None = None, partnership: str | None = None,
              audience: str = "board", suppress_max: int | None = None,
              marking: str | None = None, jobs: int | None = None, sheet: str | None = None,
              allow_missing: Sequence[str] = (),
              kernel: str = DEFAULT_KERNEL, notebooks: str | Path | None = None,
              history: str | Path | None = None, each_quarter: bool = False,
              pdf: bool = False, progress: Callable[[str], None] | None = _progress
              ) -> RunResult:
    """Run the quarterly audit and write the pack for ``audience`` (module doc).

    ``history`` (a SQLite file) supplies earlier quarters to the trend section and, once the
    pack is in place, receives this run's metrics; ``each_quarter`` records every quarter of
    the extract too (a backfill).
    """
    from audit.notebooks import check_notebooks, notebooks_dir
    from audit.validate import load_extract
    from audit.workspace import audit_of, cache_path, save_prepared

    started = datetime.now(timezone.utc)
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
    if pdf:  # fail before any work if the PDF engine is missing
        from audit.render.pdf import require_pdf_engine

        require_pdf_engine()

    extract_path = Path(extract)
    say(f"reading and validating {extract_path.name} …")
    validated = load_extract(extract_path, sheet=sheet, allow_missing=allow_missing)
    history_path = Path(history).resolve() if history else None

    with tempfile.TemporaryDirectory(prefix="audit-run-") as private:
        prepared = save_prepared(validated, Path(private) / "cases.parquet")
        data = audit_of(validated, period=period, partnership=partnership)
        from audit.history import read_quarters

        data.history = read_quarters(history_path, data.partnership)
        say(f"{validated.rows_read:,} rows read, {len(validated.cases):,} in scope; auditing "
            f"{data.in_scope:,} cases ({data.period_label}, {data.place}) for the "
            f"{policy.audience.value}")
        data.save(cache_path(prepared))
        destination = Path(output_dir) if output_dir else default_output_dir(
            data.period, data.partnership, policy)
        destination = destination.resolve()
        destination.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.partial-",
                                        dir=destination.parent))
        try:
            result = _build(data, policy, staging, prepared, nb_dir, kernel, jobs, pdf, say,
                            history_path)
            seconds = time.perf_counter() - clock
            _write_manifest(staging, data, policy, started, seconds, extract_path,
                            settings=dict(sheet=sheet, period=data.period,
                                          partnership=data.partnership,
                                          audience=policy.audience.value,
                                          suppress_max=policy.max_count,
                                          marking=policy.marking,
                                          marking_given=marking is not None,
                                          history=str(history) if history else None,
                                          each_quarter=bool(each_quarter), pdf=bool(pdf)),
                            disclosure=result)
            if history_path is not None:
                # Last step before the move: one transaction, so the store is either
                # updated whole or left as it was.
                recorded = record_history(history_path, data, validated,
                                          each_quarter=each_quarter,
                                          recorded_at=started.isoformat(timespec="seconds"))
                say(f"history: {recorded} partnership-period "
                    f"{'set' if recorded == 1 else 'sets'} recorded in {history}")
            from audit.files import move_into_place

            move_into_place(staging, destination)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    from audit.pack import pack_name

    seconds = time.perf_counter() - clock
    page = destination / f"{pack_name(policy)}.html"
    say(f"{policy.audience.value} pack written to {page} in {seconds:.1f} s")
    return RunResult(destination, page, seconds, data.in_scope)


def _build(data, policy: Policy, staging: Path, prepared: Path, nb_dir: Path | None,
           kernel: str, jobs: int, pdf: bool, say: Callable[[str], None],
           history: Path | None) -> dict:
    """Notebooks (board) alongside the sections, then the pack's files; returns the
    disclosure summary for the manifest."""
    from audit.disclosure import protect
    from audit.notebooks import start_notebooks, wait_for_notebooks
    from audit.pack import write_pack
    from audit.sections import SECTIONS, build_sections

    pool = futures = None
    if nb_dir is not None:
        parameters = {"extract_path": str(prepared), "period": data.period,
                      "partnership": data.partnership or "", "audience": "board",
                      "history_path": ""}  # the saved audit carries the history it used
        workers = min(jobs, len(SECTIONS))
        pool = ProcessPoolExecutor(max_workers=workers)
        futures = start_notebooks(pool, nb_dir, staging / "notebooks", parameters, kernel)
        say(f"running {len(futures)} analyst notebooks, {workers} at a time")
    try:
        if policy.public:
            say("protecting the public pack: hiding small counts and attacking the rest …")
        protected = protect(data, policy)
        say("drawing the sections …")
        sections = build_sections(data, policy)
        say("writing the pack …")
        write_pack(staging, data, sections, policy, pdf=pdf)
        if futures is not None:
            wait_for_notebooks(futures, say)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    if protected.public:
        from audit.disclosure.figures import check_pack

        check = check_pack(staging)
        say(f"disclosure check passed: {check.hidden} cells hidden, {check.attacked} counts "
            f"attacked, narrowest range {check.narrowest}")
    return protected.summary()


def _write_manifest(staging: Path, data, policy: Policy, started: datetime, seconds: float,
                    extract: Path, *, settings: dict, disclosure: dict) -> None:
    from audit.disclosure import protect
    from audit.manifest import build_manifest

    p = protect(data, policy)
    validated = data.extract
    input_ = {"file": validated.path.name, "sha256": validated.sha256,
              "sheet": validated.sheet,
              "flags_not_recorded": list(validated.missing_flags)}
    if not policy.public:
        input_.update({"rows_read": int(validated.rows_read),
                       "in_scope": int(len(validated.cases)),
                       "excluded_out_of_scope": int(len(validated.excluded)),
                       "ignored_columns": list(validated.ignored_columns)})
    audit = {"period": data.period, "period_covered": data.period_label,
             "partnership": data.partnership, "cases": p.cases}
    manifest = build_manifest(input_=input_, audit=audit, disclosure=disclosure,
                              settings=settings, extract=extract, started=started,
                              seconds=seconds, staging=staging)
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n",
                                           encoding="utf-8")


def record_history(history: str | Path, data, validated, *, each_quarter: bool = False,
                   recorded_at: str | None = None) -> int:
    """Record an audit's unsuppressed metrics in the history store; returns the sets written.

    The audit's own period is recorded unless it is "all"; with ``each_quarter`` every
    quarter of the extract is recorded as well, pooled and (for a pooled extract with no
    partnership chosen) for each partnership. Each set replaces any earlier one of the same
    partnership and period in one transaction.
    """
    from audit.history import open_history
    from audit.metrics import metrics_by, quarter_label, select_partnership

    provenance = {"input_sha256": validated.sha256, "input_file": validated.path.name}
    if recorded_at:
        provenance["recorded_at"] = recorded_at
    sets: list[tuple[str | None, str, object, int]] = []
    if data.period != "all":
        sets.append((data.partnership, data.period, data.metrics, data.in_scope))
    if each_quarter:
        scopes: list[str | None] = [data.partnership]
        if not data.partnership and len(data.partnerships) > 1:
            scopes += data.partnerships
        for scope in scopes:
            cases = validated.cases if scope is None else select_partnership(validated.cases, scope)
            quarterly = metrics_by(cases, by="quarter", level=data.level)
            sizes = quarter_label(cases["notification_date"]).value_counts()
            for quarter, table in quarterly.groupby("quarter", sort=True):
                if scope == data.partnership and quarter == data.period:
                    continue  # already in the list
                sets.append((scope, str(quarter), table.drop(columns="quarter"),
                             int(sizes.get(quarter, 0))))
    store = open_history(history)
    try:
        # One transaction: a failure part-way leaves the history as it was.
        store.record_many([(table, scope, period, {**provenance, "cases": cases})
                           for scope, period, table, cases in sets])
    finally:
        store.close()
    return len(sets)
