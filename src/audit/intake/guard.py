"""The identifier guard: refuse an extract that carries direct identifiers.

Runs on the raw text frame, before validation. Two kinds of problem:

* a column whose name looks like a direct identifier (name, forename, surname, date of
  birth / dob, NHS number, postcode, address, phone, email), matched with
  :data:`audit.contract.IDENTIFIER_COLUMN_PATTERNS` on the normalised name; the contract's
  own columns are never flagged;
* a cell, in any column, holding a valid NHS number or a full UK postcode.

A cell is an NHS number when it is 10 digits with a valid modulus-11 check digit, either
on its own (spaces or hyphens anywhere, e.g. ``943 476 5919``) or as a 3-3-4 group of digits
inside longer text (``NHS no 943-476-5919``) that is not part of a longer run of digits.
A cell is a postcode when, trimmed, it is a full UK postcode in any case (``sw1a 1aa``,
``SW1A1AA``), or when it contains one written in capitals inside longer text. A 10-digit
case_id with a valid check digit is refused too: the contract says any text column.

Problems name the column and the row, never the value; a header quoted in a message is
cut to :data:`audit.intake.read.MAX_HEADER_ECHO` characters. Each column lists at most
:data:`MAX_ROWS_LISTED` rows, then says how many more there are. Everything is vectorised:
the checks run once per distinct value of a column (pyarrow regular expressions) and the
check digit is computed with numpy.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from audit.contract import IDENTIFIER_COLUMN_PATTERNS, KNOWN_COLUMNS, normalise_column_name
from audit.errors import IdentifierError, Problem
from audit.intake.extract import RawExtract, arrow_text, distinct, shown

__all__ = [
    "MAX_ROWS_LISTED",
    "find_identifiers",
    "check_identifiers",
    "is_valid_nhs_number",
    "is_uk_postcode",
]

#: Rows listed per column and kind of identifier before "and N more rows".
MAX_ROWS_LISTED = 20

_OUTWARD = (
    r"(?:[A-PR-UWYZ][0-9]{1,2}|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
)
_POSTCODE = rf"(?:{_OUTWARD} ?[0-9][ABD-HJLNP-UW-Z]{{2}}|GIR ?0AA)"
_POSTCODE_WHOLE = rf"(?i)^\s*{_POSTCODE}\s*$"
_POSTCODE_INSIDE = rf"(?:^|[^A-Za-z0-9]){_POSTCODE}(?:[^A-Za-z0-9]|$)"
_NHS_GROUPS = r"([0-9]{3})[ \-]?([0-9]{3})[ \-]?([0-9]{4})"
_NHS_WEIGHTS = np.arange(10, 1, -1, dtype=np.int64)

_NHS_MESSAGE = (
    "holds what looks like an NHS number (10 digits with a valid check digit); "
    "remove it from the extract (the value is not shown here)"
)
_POSTCODE_MESSAGE = (
    "holds what looks like a full UK postcode; remove it from the extract "
    "(the value is not shown here)"
)
_COLUMN_MESSAGE = (
    "column name looks like a direct identifier ({what}); remove the column from the extract"
)


def is_valid_nhs_number(text: str) -> bool:
    """True when ``text`` is 10 digits (spaces or hyphens allowed) with a valid check digit.

    The check digit is the modulus-11 one: weights 10..2 on the first nine digits,
    ``check = 11 - (sum % 11)``, 11 becomes 0 and 10 means the number is invalid.
    """
    if not isinstance(text, str):
        return False
    compact = re.sub(r"[\s\-]", "", text)
    if not re.fullmatch(r"[0-9]{10}", compact):
        return False
    return bool(_mod11_valid(pa.array([compact]))[0])


def is_uk_postcode(text: str) -> bool:
    """True when ``text`` (trimmed, any case, space optional) is a full UK postcode."""
    if not isinstance(text, str):
        return False
    return bool(re.fullmatch(_POSTCODE, text.strip().upper()))


def find_identifiers(raw: RawExtract) -> list[Problem]:
    """Every identifier problem in ``raw``; empty when the extract is safe to process."""
    problems: list[Problem] = []
    labels: dict[str, str] = {}
    named: set[str] = set()
    for position, key in enumerate(raw.frame.columns, start=1):
        written = raw.headers.get(key, key)
        if header_looks_like_value_identifier(written):
            # A header that is itself an NHS number or postcode (a file saved without its
            # header row): say which column, never what it says.
            labels[key] = f"column {position}"
            problems.append(
                Problem(
                    1,
                    None,
                    f"the header of column {position} looks like an "
                    "NHS number or postcode; row 1 must hold column names",
                )
            )
            continue
        labels[key] = raw.label(key)
        what = _identifier_kind(key)
        if what:
            problems.append(Problem(None, shown(written), _COLUMN_MESSAGE.format(what=what)))
            named.add(key)

    for key in raw.frame.columns:
        if key in named:
            continue  # refused as a whole already; listing its values adds nothing
        nhs, postcode = _value_masks(raw.frame[key])
        postcode &= ~nhs
        label = labels[key]
        for mask, message, kind in (
            (nhs, _NHS_MESSAGE, "NHS numbers"),
            (postcode, _POSTCODE_MESSAGE, "postcodes"),
        ):
            if not mask.any():
                continue
            rows = raw.frame.index.to_numpy()[mask]
            problems.extend(Problem(int(r), label, message) for r in rows[:MAX_ROWS_LISTED])
            if len(rows) > MAX_ROWS_LISTED:
                problems.append(
                    Problem(
                        None,
                        label,
                        f"and {len(rows) - MAX_ROWS_LISTED:,} more rows that look like {kind}",
                    )
                )
    return problems


def check_identifiers(raw: RawExtract) -> None:
    """Raise :class:`~audit.errors.IdentifierError` listing every identifier problem in ``raw``."""
    problems = find_identifiers(raw)
    if problems:
        raise IdentifierError(
            "the extract carries direct identifiers and was not processed; remove them at "
            "source and export again",
            path=raw.path,
            problems=problems,
        )


# ----------------------------------------------------------------- helpers used by read


def name_identifier_problems(headers: list[str]) -> list[Problem]:
    """Problems for headers (as written) whose names look like direct identifiers."""
    problems = []
    for written in headers:
        what = _identifier_kind(normalise_column_name(written))
        if what and not header_looks_like_value_identifier(written):
            problems.append(Problem(None, shown(written), _COLUMN_MESSAGE.format(what=what)))
    return problems


def header_looks_like_value_identifier(text: str) -> bool:
    """True when a header is itself an NHS number or a postcode (so it must not be quoted)."""
    nhs, postcode = _value_masks(pd.Series([text], dtype="str"))
    return bool(nhs[0] or postcode[0])


# ------------------------------------------------------------------------------ internals

#: Words that say what kind of identifier a refused column name is, for the message;
#: checked in order once a pattern of IDENTIFIER_COLUMN_PATTERNS has matched.
_KIND_WORDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), what)
    for p, what in (
        (r"nhs", "NHS number"),
        (r"mail", "email address"),
        (r"post_?code", "postcode"),
        (r"address", "address"),
        (r"phone|tel|mobile", "phone number"),
        (r"birth|(^|_)d_?o_?b($|_)", "date of birth"),
        (r"name", "name"),
    )
)


def _identifier_kind(key: str) -> str | None:
    """What a column name looks like ('name', 'NHS number', ...), or None when it is safe."""
    if not key or key in KNOWN_COLUMNS:
        return None
    if not any(pattern.search(key) for pattern in IDENTIFIER_COLUMN_PATTERNS):
        return None
    for words, what in _KIND_WORDS:
        if words.search(key):
            return what
    return "direct identifier"


#: One pass over every distinct value finds the few that can hold an identifier: an NHS
#: number needs ten digits, a postcode a letter followed by a digit.
_MAYBE_IDENTIFIER = r"(?:[0-9][^0-9]*){10}|[A-Za-z][0-9]"


def _value_masks(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Boolean arrays (one a row): NHS number, postcode. Work is done once a distinct value.

    One regular-expression pass over the distinct values (:data:`_MAYBE_IDENTIFIER`) sieves
    out the values that cannot hold either; only the few left are looked at closely. The
    sieve does not care about non-breaking spaces, which are read as spaces from then on.
    """
    if isinstance(column.dtype, pd.CategoricalDtype) or len(column) < 10_000:
        codes, uniques = distinct(column)
    else:  # an id column left as text (see as_categorical): every value is its own
        codes, uniques = None, pd.Index(column.fillna(""), dtype="str")
    nhs_u = np.zeros(len(uniques), dtype=bool)
    post_u = np.zeros(len(uniques), dtype=bool)
    if len(uniques):
        values = arrow_text(uniques)
        maybe = pc.match_substring_regex(values, _MAYBE_IDENTIFIER)
        if pc.any(maybe).as_py():
            where = np.flatnonzero(maybe.to_numpy(zero_copy_only=False))
            subset = pc.replace_substring(values.take(pa.array(where)), "\u00a0", " ")
            ten_digits = pc.match_substring_regex(subset, r"(?:[0-9][^0-9]*){10}")
            ten_digits = ten_digits.to_numpy(zero_copy_only=False)
            if ten_digits.any():
                nhs_u[where[ten_digits]] = _nhs_mask(subset.filter(pa.array(ten_digits)))
            # A postcode starts with a letter followed by a digit: a cheap first sieve.
            letter_digit = pc.match_substring_regex(subset, r"[A-Za-z][0-9]")
            letter_digit = letter_digit.to_numpy(zero_copy_only=False)
            if letter_digit.any():
                candidates = subset.filter(pa.array(letter_digit))
                post_u[where[letter_digit]] = pc.match_substring_regex(
                    candidates, _POSTCODE_WHOLE
                ).to_numpy(zero_copy_only=False) | pc.match_substring_regex(
                    candidates, _POSTCODE_INSIDE
                ).to_numpy(zero_copy_only=False)
    if codes is None:
        return nhs_u, post_u
    if not (nhs_u.any() or post_u.any()):  # the usual answer: no row to look at
        return np.zeros(len(codes), dtype=bool), np.zeros(len(codes), dtype=bool)
    return nhs_u[codes], post_u[codes]


def _nhs_mask(values: pa.Array) -> np.ndarray:
    """For each value: does it hold a valid NHS number (whole cell, or a 3-3-4 group inside)?"""
    found = np.zeros(len(values), dtype=bool)
    # Whole cell: only digits, whitespace and hyphens, exactly ten digits.
    compact = pc.replace_substring_regex(values, r"[\s\-]", "")
    whole = pc.and_(
        pc.match_substring_regex(values, r"^[0-9\s\-]+$"), pc.equal(pc.utf8_length(compact), 10)
    ).to_numpy(zero_copy_only=False)
    if whole.any():
        idx = np.flatnonzero(whole)
        found[idx] = _mod11_valid(compact.take(pa.array(idx)))
    # Inside text: join 3-3-4 groups, split on non-digits, keep runs of exactly ten digits
    # (a group glued to more digits becomes a longer run and is not an NHS number).
    joined = pc.replace_substring_regex(values, _NHS_GROUPS, r"\1\2\3")
    parts = pc.split_pattern_regex(joined, r"[^0-9]+")
    runs = pc.list_flatten(parts)
    owners = pc.list_parent_indices(parts)
    ten = pc.equal(pc.utf8_length(runs), 10)
    runs, owners = runs.filter(ten), owners.filter(ten)
    if len(runs):
        valid = _mod11_valid(runs)
        found[np.asarray(owners.to_numpy(zero_copy_only=False))[valid]] = True
    return found


def _mod11_valid(digits10: pa.Array) -> np.ndarray:
    """Vectorised NHS check digit test for an array of 10-character ASCII digit strings."""
    raw = np.asarray(digits10.to_numpy(zero_copy_only=False), dtype="S10")
    digits = raw.view(np.uint8).reshape(-1, 10).astype(np.int64) - 48
    check = 11 - (digits[:, :9] @ _NHS_WEIGHTS) % 11
    check[check == 11] = 0
    return (check != 10) & (check == digits[:, 9])
