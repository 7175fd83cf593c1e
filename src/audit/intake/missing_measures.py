"""No measure missing without consent: the check of an extract's measures (flag columns).

A measure of the contract (:data:`~audit.contract.FLAG_COLUMNS`) that an extract lacks
would drop out of every figure of the pack without a word, so validation stops on it
unless the analyst says it is meant to be absent (``--allow-missing NAME``, or
``allow_missing=`` in Python). The problems list every missing measure at once, each
with the file's headers that look like it (the form's readable labels, the contract's
aliases and the table of local shorthand :data:`~audit.contract.LOCAL_HEADERS`: "DA",
"Young dad", "ICON advice to dad", ...) or "no column of this file looks like it", and
the fix: rename the header, or allow the measure to be absent.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from audit.contract import (
    FLAG_COLUMNS,
    FLAG_SPELLINGS,
    KNOWN_COLUMNS,
    column_label,
    match_header,
    suggest_header,
)
from audit.errors import ParameterError, Problem
from audit.intake.extract import RawExtract, distinct, shown

__all__ = ["ALL_MEASURES", "allowed_measures", "missing_measure_problems", "MISSING_MEASURE"]

#: The word that allows every measure an extract lacks (``--allow-missing all``).
ALL_MEASURES = "all"
#: How every missing-measure problem's message starts (so a caller can tell them apart).
MISSING_MEASURE = "measure missing"


def allowed_measures(names: Iterable[str] | str) -> tuple[frozenset[str], list[str]]:
    """The measures ``names`` allow to be absent, and the names that are not measures.

    A name is a flag column (``domestic_abuse``) or its readable header ("Domestic
    abuse"), any case; several may be given in one string separated by commas
    (``"domestic_abuse,young_parent"``); ``all`` allows every measure.
    """
    given = [names] if isinstance(names, str) else list(names)
    allowed: set[str] = set()
    unknown: list[str] = []
    for text in given:
        for name in str(text).split(","):
            name = name.strip()
            if not name:
                continue
            if name.casefold() == ALL_MEASURES:
                allowed.update(FLAG_COLUMNS)
                continue
            column = match_header(name)
            if column in FLAG_COLUMNS:
                allowed.add(column)
            elif name not in unknown:
                unknown.append(name)
    return frozenset(allowed), unknown


def missing_measure_problems(raw: RawExtract, allow_missing: Iterable[str] | str) -> list[Problem]:
    """One problem for every measure ``raw`` lacks that ``allow_missing`` does not allow,
    with the file's headers that look like it, and a last line saying how to go on without
    them (module doc). :class:`~audit.errors.ParameterError` when ``allow_missing`` names
    something that is not a measure."""
    allowed, unknown = allowed_measures(allow_missing)
    if unknown:
        names = ", ".join(f"'{shown(name, 40)}'" for name in unknown[:5])
        raise ParameterError(
            f"--allow-missing names {names}, which {'is' if len(unknown) == 1 else 'are'} "
            "not a measure of the contract; the measures are "
            f"{', '.join(FLAG_COLUMNS)} (or all)"
        )
    problems: list[Problem] = []
    present = frozenset(c for c in raw.frame.columns if c in KNOWN_COLUMNS)
    guesses: dict[str, list[str]] = {}
    columns: dict[str, list[str]] = {}
    for key in raw.frame.columns:
        if key in KNOWN_COLUMNS:
            continue
        guess = suggest_header(raw.headers.get(key, key), exclude=present)
        if guess in FLAG_COLUMNS:
            guesses.setdefault(guess, []).append(raw.label(key))
            columns.setdefault(guess, []).append(key)
    missing = [f for f in FLAG_COLUMNS if f not in present and f not in allowed]
    for flag in missing:
        label = column_label(flag)
        found = guesses.get(flag, [])
        if len(found) == 1:
            where = (
                f"the file's column '{found[0]}' looks like it: rename that header to "
                f"'{flag}' (or '{label}')" + _not_flag_values(raw, columns[flag][0])
            )
        elif found:
            listed = ", ".join(f"'{h}'" for h in found)
            where = (
                f"the file's columns {listed} look like it: rename the one that holds it "
                f"to '{flag}' (or '{label}')"
            )
        else:
            where = "no column of this file looks like it"
        problems.append(Problem(None, flag, f"{MISSING_MEASURE} ({label}): {where}"))
    if missing:
        names = ",".join(missing)
        problems.append(
            Problem(
                None,
                None,
                f"if {'these measures are' if len(missing) > 1 else 'this measure is'} meant "
                "to be absent (left out of every figure, and named in the pack's summary), "
                f"run again with --allow-missing {names}"
                + (" (or --allow-missing all)" if len(missing) > 1 else ""),
            )
        )
    return problems


def _not_flag_values(raw: RawExtract, key: str) -> str:
    """What the column that looks like a missing measure holds that is not a flag value
    (``"; it also holds 'N/A' (row 7), not a flag value: use yes, no or unknown"``), so the
    values are fixed in the same round as the header (validation has not checked them)."""
    column = raw.frame[key]
    codes, uniques = distinct(column)
    from audit.intake.schema import clean_text  # as validation reads a flag

    keys = clean_text(pd.Series(uniques, dtype="str")).str.lower()
    keys = keys.str.replace(r"\s+", " ", regex=True)
    bad = [i for i, key in enumerate(keys) if key not in FLAG_SPELLINGS]
    if not bad:
        return ""
    rows = raw.frame.index.to_numpy()
    listed = []
    for i in bad[:3]:
        where = rows[codes == i]
        first = f"row {int(where[0])}" + (f" and {len(where) - 1:,} more" if len(where) > 1 else "")
        listed.append(f"'{shown(uniques[i], 40)}' ({first})")
    more = f" and {len(bad) - 3:,} other values" if len(bad) > 3 else ""
    return (
        f"; it also holds {', '.join(listed)}{more}, not "
        f"{'a flag value' if len(bad) == 1 else 'flag values'}: use yes, no or unknown "
        "(blank means unknown)"
    )
