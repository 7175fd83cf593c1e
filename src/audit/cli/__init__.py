"""The ``audit`` command: argument parsing, exit codes and progress; no logic of its own.

Exit codes: 0 success; 2 the input (or a report step) cannot be used, with every problem on
stderr; 1 an unexpected internal fault, one line unless ``--debug``; 130 interrupted (Ctrl-C)
and 143 terminated (SIGTERM), each after removing what the run had started to write.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from audit.cli.design import add_design_commands, add_moderation_options, add_selection_option
from audit.cli.history import add_history_command
from audit.errors import ParameterError
from audit.paths import HISTORY_ENV, history_location

__all__ = [
    "main",
    "build_parser",
    "EXIT_OK",
    "EXIT_FAULT",
    "EXIT_INPUT",
    "EXIT_INTERRUPTED",
    "EXIT_TERMINATED",
    "SHEET_HELP",
]

EXIT_OK = 0
EXIT_FAULT = 1
EXIT_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C
EXIT_TERMINATED = 143  # 128 + SIGTERM

_DESCRIPTION = """\
Quarterly audit of how services see the fathers and male carers of babies, measured
against the national review 'The Myth of Invisible Men' (Child Safeguarding Practice
Review Panel, 2021). Input is an anonymised case extract (CSV, .xlsx or Parquet) as
described in docs/data-contract.md.
"""

_EPILOG = """\
exit codes: 0 success; 2 the extract (or a report step) cannot be used, every problem
listed on stderr; 1 unexpected internal fault (run again with --debug for the traceback);
130 interrupted (Ctrl-C); 143 terminated (SIGTERM).

examples:
  audit validate data/sample/pooled_extract.csv
  audit metrics data/sample/pooled_extract.csv --period 2025-Q1 -o metrics.csv
  audit run data/sample/pooled_extract.csv --period 2025-Q3 --partnership Northbridge
  audit run data/sample/pooled_extract.csv --period 2025-Q3 --audience public
  audit check-disclosure reports/2025-Q3-public
  audit history --partnership Northbridge
  audit history --forget Harbourside --period 2025-Q3 --yes
  audit sample --out data/sample
  audit form -o audit-form.xlsx --partnership Northbridge
  audit plan --shortfall 0.2 --cases 30
  audit select eligible.csv --n 30 --by team --seed 2026 -o selection.csv
"""


#: The help of every --sheet that reads an extract (the rule of
#: :func:`audit.intake.read.from_xlsx.read_workbook`).
SHEET_HELP = (
    "worksheet to read from an .xlsx workbook (default: the visible sheet named 'Cases', "
    "as on the audit form, wherever it stands; else the first visible sheet)"
)


def _add_extract_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "extract",
        type=Path,
        nargs="+",
        metavar="EXTRACT",
        help="case extract: .csv (UTF-8 or Windows-1252), .xlsx or .parquet; "
        "several files, or a folder of them, are pooled (auditors' returns)",
    )
    parser.add_argument(
        "--sheet",
        metavar="NAME",
        help=SHEET_HELP,
    )
    parser.add_argument(
        "--allow-missing",
        action="append",
        default=[],
        metavar="NAME",
        help="a measure (flag column) meant to be absent from the extract; several as "
        "NAME,NAME or by repeating the option, 'all' for every measure it lacks. Without "
        "it, a missing measure stops the command, naming the headers that look like it",
    )
    parser.add_argument(
        "--accept-stray-dates",
        action="store_true",
        help="accept cases dated apart from the quarters the rest of their return covers "
        "(without this, such a date, often a mistyped year, stops the command)",
    )
    add_moderation_options(parser)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (also used to test that ``--help`` is complete).

    Long on purpose (over 80 lines): one declaration an option, in the order ``--help``
    lists them, so it reads top to bottom as the command's reference; splitting it would
    scatter the options of one command over several functions."""
    parser = argparse.ArgumentParser(
        prog="audit",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback of an unexpected fault"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "validate",
        help="check an extract against the contract and summarise it",
        description="Check an extract against the case-extract contract. Prints rows read, "
        "cases in scope, cases excluded (12 months or older) and fields more than 10% unknown. "
        "Exit 0 when the extract is usable; exit 2 with every problem (row and column) on stderr "
        "when it is not. Direct identifiers (names, dates of birth, NHS numbers, postcodes, "
        "addresses, phone numbers, emails) are refused without echoing the value.",
    )
    _add_extract_args(p)
    p.set_defaults(handler=_cmd_validate)

    p = sub.add_parser(
        "metrics",
        help="compute the contract's metrics table (metrics.csv)",
        description="Compute every metric of the contract (rates, 95% Wilson intervals, the "
        "national figures and Fisher exact p-values) and write metrics.csv. Unsuppressed: for "
        "analysts. Invalid input is reported as by 'audit validate' and nothing is written.",
    )
    _add_extract_args(p)
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="write the table here (default: standard output)",
    )
    p.add_argument(
        "--period",
        metavar="LABEL",
        help="restrict to a quarter (2025-Q3) or a year (2025); default: all",
    )
    p.add_argument(
        "--partnership", metavar="NAME", help="restrict to one partnership of a pooled extract"
    )
    p.add_argument(
        "--level",
        type=float,
        default=0.95,
        metavar="P",
        help="confidence level of the Wilson intervals (default 0.95; e.g. 0.998)",
    )
    p.set_defaults(handler=_cmd_metrics)

    p = sub.add_parser(
        "run",
        help="run the quarterly audit and write the board (or public) pack",
        description="Validate the extract once, compute the audit once and write to DIR the "
        "pack for an audience. --audience board (the default): the partnership board's own "
        "papers, every aggregate figure shown, marked OFFICIAL-SENSITIVE on every page, "
        "sheet and slide: board-pack.html, board-pack.xlsx, board-pack.pptx (slides), "
        "board-pack.pdf with --pdf, metrics.csv, "
        "charts/*.png, notebooks/*.ipynb (the executed analyst notebooks: every figure, keep "
        "them with analysts) and manifest.json. --audience public: for anything published: "
        "counts of 1 to --suppress-max hidden as c, with complementary suppression proven "
        "by an attack on everything published (figures.csv; re-check with 'audit "
        "check-disclosure DIR'); public-pack.html, .xlsx, .pptx (.pdf with --pdf); "
        "no notebooks. The run's metrics are recorded in the "
        "history store (--history), which the trend section reads. Nothing is written "
        "anywhere unless every step succeeds.",
    )
    _add_extract_args(p)
    p.add_argument(
        "--period",
        metavar="LABEL",
        help="a quarter (2025-Q3) or a year (2025); default: every case",
    )
    p.add_argument(
        "--partnership", metavar="NAME", help="audit one partnership of a pooled extract"
    )
    p.add_argument(
        "--out", type=Path, metavar="DIR", help="output folder (default: reports/<period or all>/)"
    )
    p.add_argument(
        "--audience",
        choices=("board", "public"),
        default="board",
        help="who the pack is for: board (default; every aggregate figure, "
        "protectively marked) or public (small counts suppressed, attack-checked)",
    )
    p.add_argument(
        "--suppress-max",
        type=int,
        default=None,
        metavar="N",
        help="public packs hide counts 1..N as 'c' (default 5, the Department "
        "for Education convention)",
    )
    p.add_argument(
        "--marking",
        metavar="TEXT",
        help="protective marking on every page, sheet and slide (default for the "
        "board: 'OFFICIAL-SENSITIVE — for the partnership board, not for "
        "publication')",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="notebooks run at once (default: the number of CPU cores)",
    )
    p.add_argument(
        "--kernel",
        default="audit",
        metavar="NAME",
        help="Jupyter kernel to run the notebooks on (default: audit, "
        "registered by 'python -m audit.dev setup', which 'make venv' runs)",
    )
    p.add_argument(
        "--notebooks",
        type=Path,
        metavar="DIR",
        help="folder of the notebooks (default: the project's notebooks/)",
    )
    p.add_argument(
        "--no-notebooks",
        action="store_true",
        help="board pack without the executed analyst notebooks: every other file is the "
        "same, written sooner (the notebooks are for analysts, not the board)",
    )
    p.add_argument(
        "--history",
        type=Path,
        metavar="PATH",
        help="history store: earlier quarters for the trend section; this run's metrics "
        f"are recorded there (default: ${HISTORY_ENV} if set, else one store for your user "
        "account, the same from any folder: 'audit history' shows where)",
    )
    p.add_argument(
        "--no-history", action="store_true", help="neither read nor write the history store"
    )
    p.add_argument(
        "--alone",
        action="store_true",
        help="with --no-history and --audience public: this pack will be the only one "
        "published about its cases, so it is checked alone (a public pack is otherwise "
        "protected with every earlier one in the history store's ledger)",
    )
    p.add_argument(
        "--pdf",
        action="store_true",
        help="also print board-pack.pdf (A4, page numbers; needs WeasyPrint: "
        "pip install 'audit[pdf]')",
    )
    p.add_argument(
        "--targets",
        type=Path,
        metavar="FILE",
        help="the targets the board set (CSV or Excel: measure, target, agreed_by, "
        "agreed_on): the only standard the pack holds a figure against",
    )
    p.add_argument(
        "--each-quarter",
        action="store_true",
        help="also record every quarter of the extract in the history (a backfill, "
        "pooled and per partnership)",
    )
    p.add_argument(
        "--replace",
        action="store_true",
        help="let this extract replace periods that a different extract recorded "
        "in the history (e.g. a corrected extract); without it such a run stops "
        "before any work",
    )
    add_selection_option(p)
    p.set_defaults(handler=_cmd_run)

    p = sub.add_parser(
        "notebooks",
        help="copy the notebooks to a working folder, ready for JupyterLab",
        description="Copy the analyst notebooks into DIR with their parameters filled in "
        "(your extract, sheet, period, partnership), ready to open in JupyterLab with the "
        "'audit (Python 3)' kernel. Work there, never in the project's notebooks/ folder: "
        "the copies can hold your extract's path and, once run, every figure.",
    )
    p.add_argument("folder", type=Path, metavar="DIR", help="working folder for the copies")
    p.add_argument(
        "--extract",
        type=Path,
        metavar="PATH",
        help="your extract (default: the bundled synthetic sample)",
    )
    p.add_argument("--sheet", metavar="NAME", help=SHEET_HELP)
    p.add_argument("--period", metavar="LABEL", help="a quarter (2025-Q3) or a year (2025)")
    p.add_argument("--partnership", metavar="NAME", help="one partnership of a pooled extract")
    p.add_argument(
        "--history",
        type=Path,
        metavar="PATH",
        help="history store for earlier quarters (audit history prints where yours is)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace notebooks already in DIR")
    p.set_defaults(handler=_cmd_notebooks)

    p = sub.add_parser(
        "check-disclosure",
        help="re-run the attack on a written public pack",
        description="Rebuild, from a public pack's published files alone (figures.csv and "
        "metrics.csv), every constraint an attacker could use, and find the lowest and "
        "highest value of every hidden count. Exit 0 when every hidden count stays at least "
        "the threshold wide; exit 2 naming the table and measure (never a value) otherwise. "
        "Several packs, or a folder of packs, are each checked and then attacked together "
        "in whole numbers (the same count in several packs is one count; a year is the sum "
        "of its quarters, a pool of its partnerships); exit 2 names the pack, the cell and "
        "the range an outsider finds for each count narrowed too far.",
    )
    p.add_argument(
        "pack",
        type=Path,
        nargs="+",
        metavar="PACK_DIR",
        help="folder of a public pack; several packs, or a folder of packs, are also "
        "attacked together (a year's series: quarters, year, pool, partnerships)",
    )
    p.add_argument(
        "--seconds",
        type=float,
        default=60.0,
        metavar="N",
        help="time for whole-number solving when several packs are checked together "
        "(default 60); counts it does not reach keep their linear range",
    )
    p.set_defaults(handler=_cmd_check_disclosure)

    add_history_command(sub)

    p = sub.add_parser(
        "form",
        help="write the blank case-audit form (an Excel workbook) for auditors",
        description="Write the blank case-audit workbook that starts the quarter: a 'Cases' "
        "sheet with the contract's columns as readable headers, each asking its practice "
        "question, with drop-downs of readable answers and date and age checks, and a "
        "'Guidance' sheet (who fills it in, what each answer means, and that no names, "
        "dates of birth, NHS numbers or addresses go in it). A completed form passes 'audit "
        "validate' as it stands; several returned forms pool in one 'audit run'.",
    )
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="FILE.xlsx",
        help="where to write the form (an .xlsx file name)",
    )
    p.add_argument(
        "--partnership",
        metavar="NAME",
        help="offer only this partnership in the Partnership column's drop-down",
    )
    p.add_argument(
        "--rows",
        type=int,
        default=None,
        metavar="N",
        help="number of case rows offered (default 200)",
    )
    p.set_defaults(handler=_cmd_form)

    p = sub.add_parser(
        "sample",
        help="write the synthetic sample extracts",
        description="Write the bundled SYNTHETIC sample extracts (a pooled extract of three "
        "fictional partnerships, the 92-case reconstruction of the national review's published "
        "figures, and an Excel copy). Deterministic for a given seed.",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("data/sample"),
        metavar="DIR",
        help="folder to write to (default: data/sample)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=2021,
        metavar="N",
        help="random seed (default 2021, the seed of the bundled files)",
    )
    p.set_defaults(handler=_cmd_sample)

    add_design_commands(sub)
    return parser


def _version() -> str:
    from audit._version import __version__

    return __version__


def _reading(args: argparse.Namespace) -> dict:
    """How the extract is read and pooled, as ``validate``, ``metrics`` and ``run`` pass it
    on (the options of :func:`_add_extract_args` and the moderation options): one place to
    add the next one."""
    return {
        "sheet": args.sheet,
        "allow_missing": args.allow_missing,
        "accept_stray_dates": args.accept_stray_dates,
        "moderation": args.moderation,
        "agreed": args.agreed,
    }


def _load(args: argparse.Namespace):
    from audit.intake.pooling import load_returns

    return load_returns(args.extract, **_reading(args))


def _cmd_validate(args: argparse.Namespace) -> int:
    from audit.measures.quality import validation_summary

    extract = _load(args)
    print(validation_summary(extract))
    return EXIT_OK


def _import_meanwhile(module: str) -> None:
    """Import ``module`` on a second thread while this one reads and validates the extract.

    ``audit metrics`` and ``audit run`` always need scipy.stats (the Fisher test of every
    metric), and its import is about a second of pure start-up (a public run's highspy a
    fifth of one; a public run paid both inside protection: benchmarks/joint_attack.md);
    reading runs in pyarrow and hashlib threads and much of validation in Arrow and numpy,
    which let go of the interpreter's lock, so the two overlap on a second core. The thread
    is not a daemon: the process waits for the import to finish before it exits, so no
    library is left half-loaded at shutdown. A failure is left for the import where the
    module is used to report.
    """
    import importlib
    import threading

    def load() -> None:
        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001 - the import where it is used says what went wrong
            pass

    threading.Thread(target=load, name=f"import {module}").start()


def _cmd_metrics(args: argparse.Namespace) -> int:
    from audit.intake.pooling import load_returns  # noqa: F401 - this thread's imports come first
    from audit.intake.validate import load_extract  # noqa: F401
    from audit.measures.metrics import format_metrics_csv
    from audit.workspace import open_audit

    if not 0 < args.level < 1:
        raise ParameterError("--level must be between 0 and 1, e.g. 0.95 or 0.998")
    _import_meanwhile("scipy.stats")
    data = open_audit(
        args.extract,
        period=args.period,
        partnership=args.partnership,
        level=args.level,
        **_reading(args),
    )
    for warning in data.extract.warnings:  # a hidden sheet read, rows hidden in Excel
        print(f"warning: {warning}", file=sys.stderr)
    if left_out := data.left_out_words():  # every in-scope case these metrics leave out
        print(
            f"{len(data.extract.cases):,} cases in scope{left_out}; the metrics cover "
            f"{data.in_scope:,}",
            file=sys.stderr,
        )
    text = format_metrics_csv(data.metrics)
    if args.output is None:
        sys.stdout.write(text)
    else:
        from audit.files import atomic_write_text

        atomic_write_text(args.output, text)
        print(
            f"wrote {len(data.metrics)} metrics for {data.in_scope} cases to {args.output}",
            file=sys.stderr,
        )
    return EXIT_OK


def _cmd_run(args: argparse.Namespace) -> int:
    from audit.run.report import RunConfig, run_audit

    if args.jobs is not None and args.jobs < 1:
        raise ParameterError("--jobs must be 1 or more")
    if args.no_notebooks and args.notebooks is not None:
        raise ParameterError(
            "--notebooks names the notebooks to run; --no-notebooks runs "
            "none: give one or the other"
        )
    if args.audience == "public" and args.no_history and not args.alone:
        raise ParameterError(
            "a public pack made with --no-history is checked alone, not with the packs "
            "already published about the same cases, and read beside them it could give "
            "hidden counts away. Name the history store you publish from (--history PATH), "
            "or add --alone if this pack will be the only one published about these cases"
        )
    if args.alone and not (args.audience == "public" and args.no_history):
        raise ParameterError(
            "--alone is for a public pack made with --no-history (--audience public "
            "--no-history --alone)"
        )
    if args.suppress_max is not None and args.audience != "public":
        raise ParameterError(
            "--suppress-max applies to public packs only (--audience "
            "public): the board pack shows every aggregate figure"
        )
    if args.audience == "public":  # no notebook workers: a board run forks them at once,
        # and a process forked during an import would hold a half-imported module
        _import_meanwhile("scipy.stats")  # the metrics' Fisher tests
        _import_meanwhile("highspy")  # the disclosure check's solver
    config = RunConfig(
        args.extract,
        output_dir=args.out,
        period=args.period,
        partnership=args.partnership,
        audience=args.audience,
        suppress_max=args.suppress_max,
        marking=args.marking,
        jobs=args.jobs,
        kernel=args.kernel,
        notebooks=args.notebooks,
        run_notebooks=not args.no_notebooks,
        history=None if args.no_history else history_location(args.history),
        each_quarter=args.each_quarter,
        pdf=args.pdf,
        replace=args.replace,
        targets=args.targets,
        selection=args.selection,
        **_reading(args),
    )
    result = run_audit(config)
    print(f"{args.audience} pack: {result.pack}")
    return EXIT_OK


def _cmd_notebooks(args: argparse.Namespace) -> int:
    from audit.run.notebooks import copy_notebooks

    written = copy_notebooks(
        args.folder,
        extract=args.extract,
        sheet=args.sheet,
        period=args.period,
        partnership=args.partnership,
        history=args.history,
        overwrite=args.overwrite,
    )
    print(
        f"copied {len(written)} notebooks to {args.folder}; open them with: "
        f"jupyter lab {args.folder}"
    )
    return EXIT_OK


def _cmd_check_disclosure(args: argparse.Namespace) -> int:
    from audit.disclosure.figures import FIGURES_FILE, check_pack

    if len(args.pack) > 1 or not (args.pack[0] / FIGURES_FILE).is_file():
        from audit.disclosure.joint import check_packs

        joint = check_packs(args.pack, budget=args.seconds)
        print(
            f"{len(joint.packs)} packs: each passed the disclosure check, and together "
            f"(threshold {joint.threshold}) {joint.attacked} counts attacked, "
            f"{joint.summary()}; none narrowed to {joint.threshold} values or fewer"
        )
        return EXIT_OK
    args.pack = args.pack[0]
    result = check_pack(args.pack)
    print(
        f"{args.pack}: disclosure check passed (threshold {result.threshold}): "
        f"{result.hidden} cells hidden, {result.attacked} counts attacked, the narrowest "
        f"range holds {result.narrowest_words}"
    )
    return EXIT_OK


def _cmd_form(args: argparse.Namespace) -> int:
    from audit.intake.form import DEFAULT_ROWS, write_form

    rows = DEFAULT_ROWS if args.rows is None else args.rows
    path = write_form(args.output, partnership=args.partnership, rows=rows)
    print(f"wrote the blank case-audit form ({rows:,} case rows) to {path}", file=sys.stderr)
    return EXIT_OK


def _cmd_sample(args: argparse.Namespace) -> int:
    from audit.intake.sample import write_samples

    for path in write_samples(args.out, seed=args.seed):
        print(f"wrote {path}")
    return EXIT_OK


def _raise_on_sigterm() -> None:
    """Turn SIGTERM (a scheduler's time limit, a shutdown) into :class:`Terminated`, so a
    stopped run cleans up exactly as after Ctrl-C. Only the first SIGTERM raises: clean-up
    is never cut short by a second one. A no-op where signals cannot be set (a non-main
    thread) or SIGTERM does not exist."""
    from audit.errors import Terminated

    def handler(_signum: int, _frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Terminated()

    try:
        signal.signal(signal.SIGTERM, handler)
    except (ValueError, AttributeError, OSError):
        pass


def _stopped_by(exc: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C or SIGTERM behind ``exc``, if it is one's wrapping: a signal that lands
    while Python builds a class (an import) comes out as ``RuntimeError: Error calling
    __set_name__`` caused by it (seen in CI: a SIGTERM during the pack's writing exited 1,
    "internal error", not 143)."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``audit`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from audit.errors import AuditError, Terminated

    previous = signal.getsignal(signal.SIGTERM) if hasattr(signal, "SIGTERM") else None
    _raise_on_sigterm()
    try:
        try:
            return args.handler(args)
        except Exception as exc:
            stop = _stopped_by(exc)
            if stop is None:
                raise
            raise type(stop)() from exc
    except AuditError as exc:
        # The project's own errors: messages written for the analyst, never quoting a cell.
        print(f"audit {args.command}: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except Terminated:
        print("audit: terminated (SIGTERM); nothing was written", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("audit: interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. `audit metrics x.csv | head`): not a fault.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the one place internal faults are caught
        if args.debug:
            raise
        # Capped and on one line: an unexpected message could quote a cell of the extract.
        detail = " ".join(str(exc).split())[:120]
        print(
            f"audit {args.command}: internal error: {type(exc).__name__}: {detail} "
            "(run again with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_FAULT
    finally:
        if previous is not None:
            try:
                signal.signal(signal.SIGTERM, previous)
            except (ValueError, OSError):
                pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
