"""The commands that design the quarter's audit: ``audit plan`` (how many cases), ``audit
select`` (which cases), and the options that mark a second audit (``--moderation``,
``--agreed``: :mod:`audit.intake.moderation`). Arguments and output only; the work is in
:mod:`audit.measures.plan`, :mod:`audit.intake.selection` and :mod:`audit.intake.moderation`.
:mod:`audit.cli` adds these subcommands and options and stays the one place where errors
become exit codes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from audit.errors import ParameterError
from audit.paths import HISTORY_ENV, history_location

__all__ = ["add_design_commands", "add_moderation_options", "add_selection_option"]

_EXIT_OK = 0


def add_moderation_options(parser: argparse.ArgumentParser) -> None:
    """``--moderation FILE`` and ``--agreed FILE`` (module doc), each repeatable."""
    parser.add_argument(
        "--moderation",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="a second audit (moderation): a return re-auditing cases already in the other "
        "returns, with the same case IDs. Its answers are compared with the first auditor's "
        "(agreement in the data-quality section), never counted; repeat for several. "
        "Without this option a case id in two returns is refused as a duplicate",
    )
    parser.add_argument(
        "--agreed",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="with --moderation: the answers the two auditors agreed for moderated cases "
        "(a form of its own); the figures use them in place of the first auditor's",
    )


def add_design_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``plan`` and ``select`` to the ``audit`` command's subparsers.

    Long on purpose (over 80 lines): one declaration an option, in the order ``--help``
    lists them, as :func:`audit.cli.build_parser` declares the other commands'."""
    p = sub.add_parser(
        "plan",
        help="how many cases to audit: cases needed, and what a planned number can detect",
        description="Before choosing the quarter's sample: for each measure (or one), the "
        "cases needed to detect a fall of --shortfall points from the national figure (or "
        "from last quarter's) with --power, using the pack's own test (two-sided Fisher "
        "exact; against the national figure Holm-adjusted over the pack's comparisons), "
        "power computed exactly by enumerating every possible result; with --cases N, the "
        "power of N cases and the smallest fall they detect.",
    )
    p.add_argument(
        "--measure",
        metavar="METRIC",
        help="one metric id, e.g. risk.domestic_abuse (default: every measure with a figure)",
    )
    p.add_argument(
        "--against",
        choices=("national", "last-quarter"),
        default="national",
        help="compare with the national figure (default) or last quarter's recorded figure",
    )
    p.add_argument(
        "--shortfall",
        type=float,
        default=0.2,
        metavar="POINTS",
        help="the fall to detect, in absolute points as a fraction (default 0.2: 20 "
        "percentage points, e.g. 64%% to 44%%)",
    )
    p.add_argument(
        "--power",
        type=float,
        default=0.8,
        metavar="P",
        help="the chance of detecting it (default 0.8)",
    )
    p.add_argument(
        "--cases", type=int, metavar="N", help="a planned number of cases: its power and reach"
    )
    p.add_argument(
        "--comparisons",
        type=int,
        metavar="M",
        help="tests in the Holm family (default: the pack's 9 against the national figure, "
        "1 against last quarter, as the follow-up tests it)",
    )
    p.add_argument(
        "--partnership",
        metavar="NAME",
        help="with --against last-quarter: whose quarter (needed when the store holds several)",
    )
    p.add_argument(
        "--quarter",
        metavar="LABEL",
        help="with --against last-quarter: the quarter to compare with (default: the latest)",
    )
    p.add_argument(
        "--history",
        type=Path,
        metavar="PATH",
        help=f"history store (default: ${HISTORY_ENV} if set, else your user account's store)",
    )
    p.set_defaults(handler=_cmd_plan)

    p = sub.add_parser(
        "select",
        help="a reproducible random selection of the quarter's cases from the eligible list",
        description="Draw N cases at random from ELIGIBLE, a list (CSV or .xlsx) of "
        "pseudonymised case references with a 'Case ID' (or 'Case reference') column, "
        "optionally stratified by a column with proportional allocation (largest-remainder "
        "rounding). The references are sorted first, so the same list, seed and rule give "
        "byte-identical files whatever the list's row order. Writes the selection (CSV) and "
        "a record beside it (<name>.record.json: seed, rule, counts, the list's SHA-256) for "
        "'audit run --selection'. A list with names, dates of birth, NHS numbers, postcodes "
        "or other direct identifiers is refused, as an extract is.",
    )
    p.add_argument("eligible", type=Path, metavar="ELIGIBLE", help="the list of eligible cases")
    p.add_argument("--n", type=int, required=True, metavar="N", help="cases to select")
    p.add_argument("--by", metavar="COLUMN", help="stratify by this column (e.g. team)")
    p.add_argument(
        "--seed",
        type=int,
        metavar="S",
        help="random seed (default: one drawn at random, printed and recorded)",
    )
    p.add_argument("--sheet", metavar="NAME", help="worksheet of an .xlsx list")
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("selection.csv"),
        metavar="FILE.csv",
        help="where to write the selection (default selection.csv; the record goes beside "
        "it as FILE.record.json)",
    )
    p.set_defaults(handler=_cmd_select)


def add_selection_option(parser: argparse.ArgumentParser) -> None:
    """``audit run --selection RECORD.json``: the record 'audit select' wrote."""
    parser.add_argument(
        "--selection",
        type=Path,
        metavar="RECORD.json",
        help="the record 'audit select' wrote (its selection CSV beside it): the run checks "
        "the returns against the selection, names any case not in it (file and row), and "
        "carries the record into the manifest and the pack's 'About these figures'",
    )


def _last_quarter(args: argparse.Namespace):
    from audit.errors import HistoryError
    from audit.history import open_history, quarters_for
    from audit.measures.plan import history_references

    place = history_location(args.history)
    print(f"history store: {place.describe()}", file=sys.stderr)
    if not place.exists:
        raise HistoryError(
            f"no history store at {place.path}: 'audit run --period' records a quarter there "
            "(or name your store with --history PATH)"
        )
    store = open_history(place.path)
    try:
        key = args.partnership
        if key is None:
            keys = store.partnerships()
            if len(keys) != 1:
                raise ParameterError(
                    f"the history store holds {len(keys)} partnerships; choose one with "
                    f"--partnership ({', '.join(keys[:10])})"
                    if keys
                    else "the history store holds no quarters yet: 'audit run --period' records one"
                )
            key = keys[0]
        rows = quarters_for(store, key)
    finally:
        store.close()
    return history_references(rows, args.quarter), key


def _cmd_plan(args: argparse.Namespace) -> int:
    from audit.measures.plan import PACK_COMPARISONS, national_references, plan_table, plan_text

    if args.against == "national":
        for option in ("partnership", "quarter", "history"):
            if getattr(args, option) is not None:
                raise ParameterError(f"--{option} applies to --against last-quarter only")
        references = national_references()
        comparisons = PACK_COMPARISONS if args.comparisons is None else args.comparisons
        partnership = None
    else:
        references, partnership = _last_quarter(args)
        comparisons = 1 if args.comparisons is None else args.comparisons
    if args.measure is not None:
        chosen = [r for r in references if r.metric == args.measure.strip()]
        if not chosen:
            known = ", ".join(r.metric for r in references)
            raise ParameterError(
                f"no {args.against} figure for the measure {args.measure.strip()[:60]!r}; "
                f"measures with one: {known}"
            )
        references = chosen
    table = plan_table(
        references,
        shortfall=args.shortfall,
        target=args.power,
        cases=args.cases,
        comparisons=comparisons,
    )
    sys.stdout.write(
        plan_text(
            table,
            target=args.power,
            comparisons=comparisons,
            against=args.against,
            partnership=partnership,
        )
    )
    return _EXIT_OK


def _cmd_select(args: argparse.Namespace) -> int:
    from audit.intake.selection import (
        new_seed,
        read_eligible,
        select_cases,
        selection_record,
        write_selection,
    )

    if args.output.suffix.lower() != ".csv":
        raise ParameterError("-o/--output names a .csv file (the record is written beside it)")
    eligible = read_eligible(args.eligible, sheet=args.sheet, by=args.by)
    seed = new_seed() if args.seed is None else args.seed
    selected = select_cases(eligible.references, args.n, seed=seed, strata=eligible.strata)
    record = selection_record(eligible, selected, seed=seed, selection_file=args.output.name)
    csv_path, record_path = write_selection(args.output, selected, record, eligible.by)
    if args.seed is None:
        print(
            f"seed {seed} drawn at random (recorded: --seed {seed} repeats this)", file=sys.stderr
        )
    print(f"{record['rule']}; seed {seed}", file=sys.stderr)
    print(f"wrote {csv_path} and {record_path}", file=sys.stderr)
    return _EXIT_OK
