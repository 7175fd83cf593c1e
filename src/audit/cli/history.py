"""``audit history``: list, export or remove the figures earlier runs recorded, and list
or remove the public packs of the publication ledger. Arguments and output only; the store
is :mod:`audit.history`, its place :func:`audit.paths.history_location`. :mod:`audit.cli`
adds this subcommand and stays the one place where errors become exit codes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from audit.errors import ParameterError
from audit.paths import HISTORY_ENV, history_location

__all__ = ["add_history_command", "text_table"]

_EXIT_OK = 0


def add_history_command(sub: argparse._SubParsersAction) -> None:
    """Add ``history`` to the ``audit`` command's subparsers."""
    p = sub.add_parser(
        "history",
        help="list, export or remove the metrics recorded by earlier runs",
        description="List the partnership-periods recorded in the history store by 'audit "
        "run' (unsuppressed: for analysts), export every recorded metric to CSV, or remove a "
        "partnership's rows. Keys name the partnership, or the set of a pooled extract's "
        "partnerships ('Eastmere + Northbridge'); they match whatever the capitalisation, "
        "spacing and punctuation.",
    )
    p.add_argument(
        "--history",
        type=Path,
        metavar="PATH",
        help=f"history store (default: ${HISTORY_ENV} if set, else your user account's store)",
    )
    p.add_argument("--partnership", metavar="NAME", help="only this partnership (or pooled set)")
    p.add_argument(
        "--period",
        metavar="LABEL",
        help="only this period (2025-Q3 or 2025); with --forget, remove only it",
    )
    p.add_argument(
        "--export",
        type=Path,
        metavar="FILE.csv",
        help="write every recorded metric to this CSV file",
    )
    p.add_argument(
        "--forget",
        metavar="PARTNERSHIP",
        help="remove this partnership's (or pooled set's) recorded periods; asks "
        "first unless --yes",
    )
    p.add_argument(
        "--releases",
        action="store_true",
        help="list the publication ledger: every public pack 'audit run' has recorded, "
        "which the next public pack is protected with",
    )
    p.add_argument(
        "--forget-release",
        metavar="ID",
        help="remove one release (an id --releases lists) that was never published, e.g. a "
        "trial run; asks first unless --yes",
    )
    p.add_argument(
        "--yes",
        action="store_true",
        help="confirm --forget or --forget-release without asking (for scripts)",
    )
    p.set_defaults(handler=_cmd_history)


def _cmd_history(args: argparse.Namespace) -> int:
    from audit.errors import HistoryError
    from audit.history import LEGACY_KEY, open_history

    asked = [
        name
        for name, given in (
            ("--forget", args.forget is not None),
            ("--export", args.export is not None),
            ("--releases", args.releases),
            ("--forget-release", args.forget_release is not None),
        )
        if given
    ]
    if len(asked) > 1:
        raise ParameterError(f"{' and '.join(asked)} cannot be combined")
    place = history_location(args.history)
    args.history = place.path
    print(f"history store: {place.describe()}", file=sys.stderr)
    if not place.exists:
        raise HistoryError(f"no history store at {place.path}: 'audit run' creates it")
    store = open_history(place.path)
    try:
        if args.export:
            path = store.export_csv(args.export)
            print(f"wrote {path}", file=sys.stderr)
            return _EXIT_OK
        if args.forget is not None:
            return _forget(store, args)
        if args.releases:
            return _releases(store)
        if args.forget_release is not None:
            return _forget_release(store, args)
        runs = store.runs(partnership=args.partnership)
    finally:
        store.close()
    if args.period:
        runs = runs[runs["period"] == args.period.strip().upper()]
    if runs.empty:
        print(
            "nothing recorded"
            + (f" for {args.partnership}" if args.partnership else "")
            + (f" in {args.period}" if args.period else "")
        )
        return _EXIT_OK
    print(
        text_table(runs, ["partnership", "period", "cases", "metrics", "input_file", "recorded_at"])
    )
    if (runs["partnership"] == LEGACY_KEY).any():
        print(
            f"\nnote: '{LEGACY_KEY}' rows were recorded by an earlier release under one "
            "key shared by every whole-extract run, so their source cannot be told; no "
            "trend reads them. Check them, then remove them with: audit history --forget "
            "all --yes"
        )
    return _EXIT_OK


def _forget(store, args: argparse.Namespace) -> int:
    """``audit history --forget``: count, confirm (a terminal) or require --yes, remove."""
    runs = store.runs(partnership=args.forget)
    if args.period:
        runs = runs[runs["period"] == args.period.strip().upper()]
    what = f"{args.forget}" + (f" in {args.period}" if args.period else "")
    if runs.empty:
        print(f"nothing recorded for {what}; removed 0 partnership-period sets")
        return _EXIT_OK
    sets = f"{len(runs)} partnership-period set{'' if len(runs) == 1 else 's'}"
    what = ", ".join(sorted(set(runs["partnership"]))) + (
        f" in {args.period.strip().upper()}" if args.period else ""
    )
    if not _confirmed(args, "--forget", f"{sets} of {what}"):
        return _EXIT_OK
    removed = store.forget(args.forget, args.period)
    print(
        f"removed {removed} partnership-period set{'' if removed == 1 else 's'} of {what} "
        f"from {args.history}"
    )
    return _EXIT_OK


def _releases(store) -> int:
    """``audit history --releases``: the publication ledger, oldest first."""
    import pandas as pd

    from audit.disclosure.ledger import list_releases

    releases = list_releases(store.connection)
    if not releases:
        print("no public pack recorded: the publication ledger is empty")
        return _EXIT_OK
    columns = ["id", "name", "period", "partnerships", "recorded_at"]
    print(text_table(pd.DataFrame(releases), columns))
    print(
        f"\n{len(releases)} public pack{'' if len(releases) == 1 else 's'} recorded: each "
        "public run about any of the same partnerships is protected with them. Remove only "
        "a pack that was never published: audit history --forget-release ID"
    )
    return _EXIT_OK


def _forget_release(store, args: argparse.Namespace) -> int:
    """``audit history --forget-release``: find it, confirm (a terminal) or require --yes,
    remove it in one transaction."""
    from audit.disclosure.ledger import find_release, forget_release

    found = find_release(store.connection, args.forget_release)  # refused before asking
    what = f"the release {found['id']} ({found['name']}, recorded {found['recorded_at']})"
    warning = (
        "Only a pack that was never published: later public packs are no longer protected "
        "with it, so if it was published they can give its hidden counts away."
    )
    if not _confirmed(args, "--forget-release", what, warning):
        return _EXIT_OK
    with store.connection:
        gone = forget_release(store.connection, args.forget_release)
    print(f"removed the release {gone['id']} ({gone['name']}) from {args.history}")
    return _EXIT_OK


def _confirmed(args: argparse.Namespace, option: str, what: str, warning: str = "") -> bool:
    """Whether to remove ``what``: --yes, or "y" at a terminal (after ``warning``); refused
    when not asked at a terminal; False (and said) when the answer is no."""
    if args.yes:
        return True
    if not sys.stdin.isatty():
        raise ParameterError(
            f"{option} would remove {what} from {args.history}"
            f"{'. ' + warning if warning else ''}; pass --yes to confirm (not asked: input "
            "is not a terminal)"
        )
    answer = input(
        f"{warning + chr(10) if warning else ''}remove {what} from {args.history}? [y/N] "
    )
    if answer.strip().lower() in ("y", "yes"):
        return True
    print("nothing removed")
    return False


def text_table(frame, columns: list[str]) -> str:
    """A plain-text table whose headers line up with their columns: text left-aligned,
    numbers right-aligned, two spaces between columns, missing cells blank."""
    import pandas as pd

    numeric = {c for c in columns if pd.api.types.is_numeric_dtype(frame[c])}
    cells = [["" if pd.isna(v) else str(v) for v in frame[c]] for c in columns]
    widths = [max([len(c), *map(len, col)]) for c, col in zip(columns, cells)]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if c in numeric else v.ljust(w) for c, v, w in zip(columns, values, widths)
        ).rstrip()

    rows = [line(list(columns))]
    rows += [line([col[i] for col in cells]) for i in range(len(frame))]
    return "\n".join(rows)
