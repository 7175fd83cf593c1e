"""Partnership names: one partnership, one name, however an auditor typed it.

:func:`partnership_key` is the one rule for when two spellings name the same partnership:
they differ only in case, spaces or punctuation ("Harbour side", "Harbourside",
"HARBOUR-SIDE"). ``--partnership`` selects by it (:func:`audit.intake.periods.select_partnership`),
and :func:`spelling_problems` stops validation (one file, :mod:`audit.intake.validate`) and pooling
(several returns, :mod:`audit.intake.pooling`) when one pool holds two such spellings: counted as
they stand, they would be two partnerships ("2 partnerships pooled"), each with part of the
cases. The analyst corrects the cells to one spelling; the message names both spellings,
where each is (file and first rows) and the spelling most used.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import pandas as pd

from audit.errors import Problem
from audit.intake.extract import shown

__all__ = ["partnership_key", "spelling_problems", "names_no_partnership", "ROWS_LISTED", "UNNAMED"]

#: Rows listed for each spelling in each file before "and N more".
ROWS_LISTED = 3
#: Partnership cells that name no partnership, as validation reads them (trimmed, any case):
#: a blank cell, or "unknown". Among rows that name one, such a cell is a problem
#: (:func:`audit.intake.schema.schema_checks`); when no row names one the column is dropped.
UNNAMED = frozenset({"", "unknown"})
_UNNAMED = UNNAMED


def partnership_key(name: object) -> str:
    """The match key of a partnership name: Unicode-normalised (NFKC), case-folded, with
    every space and punctuation character removed ("Harbour-side" -> ``harbourside``)."""
    text = unicodedata.normalize("NFKC", str(name)).casefold()
    return "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch)[0] == "P"))


def names_no_partnership(values: pd.Series) -> pd.Series:
    """True for each cell of trimmed partnership text that names no partnership
    (:data:`UNNAMED`, any case; a missing cell too)."""
    text = values.astype("string").fillna("").str.strip().str.casefold()
    return pd.Series(text.isin(UNNAMED).to_numpy(dtype=bool), index=values.index)


def _rows(rows: list[int]) -> str:
    listed = ", ".join(str(r) for r in rows[:ROWS_LISTED])
    more = f" and {len(rows) - ROWS_LISTED:,} more" if len(rows) > ROWS_LISTED else ""
    return f"row{'s' if len(rows) > 1 else ''} {listed}{more}"


def spelling_problems(columns: Sequence[tuple[str | None, pd.Series]]) -> list[Problem]:
    """One problem for each partnership spelt two or more ways in one pool.

    ``columns`` holds, for each file of the pool, its name (``None`` for a lone file) and
    its partnership cells as text, indexed by spreadsheet row. Blank cells name no
    partnership and are left out. Spellings are listed most used first.
    """
    # The distinct spellings first (a few, however many rows): rows only for a clash.
    spelt: dict[str, set[str]] = {}
    for _, column in columns:
        for value in column.dropna().unique():
            spelling = str(value).strip()
            if spelling.casefold() not in _UNNAMED:
                spelt.setdefault(partnership_key(spelling), set()).add(spelling)
    clashing = {s for spellings in spelt.values() if len(spellings) > 1 for s in spellings}
    if not clashing:
        return []
    where: dict[str, dict[str, dict[str | None, list[int]]]] = {}
    for file, column in columns:
        text = column.astype("string").fillna("").str.strip()
        text = text[text.isin(clashing)]
        for value, rows in text.groupby(text, sort=True).groups.items():
            spelling = str(value)
            files = where.setdefault(partnership_key(spelling), {}).setdefault(spelling, {})
            files.setdefault(file, []).extend(int(r) for r in rows)
    problems: list[Problem] = []
    for spellings in where.values():
        if len(spellings) < 2:
            continue
        used = {s: sum(len(r) for r in files.values()) for s, files in spellings.items()}
        order = sorted(spellings, key=lambda s: (-used[s], s))
        parts = []
        for spelling in order:
            places = "; ".join(
                (f"{shown(file)} " if file is not None else "") + _rows(sorted(rows))
                for file, rows in spellings[spelling].items()
            )
            parts.append(f"'{shown(spelling, 60)}' ({places})")
        listed = ", ".join(parts[:-1]) + f" and {parts[-1]}"
        best = order[0]
        problems.append(
            Problem(
                None,
                "partnership",
                f"{listed} differ only in case, spaces or punctuation, so they would be "
                f"counted as {len(order)} partnerships. If they are one partnership, correct "
                f"those cells to one spelling (e.g. '{shown(best, 60)}', used in "
                f"{used[best]:,} row{'s' if used[best] != 1 else ''}) and run again; if "
                "they are different partnerships, give them names that differ by more",
            )
        )
    return problems
