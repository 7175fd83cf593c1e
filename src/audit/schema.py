"""The contract as a schema, declared apart from validation (as pandera's models are).

:func:`prepare` normalises the text of a raw extract (trimmed, lower-cased codes, readable
labels and flag spellings mapped to the contract's codes), and :func:`case_schema` declares
every column's checks over that text; :mod:`audit.validate` runs the schema lazily, so
every failure is found in one pass, and turns the failures into messages. The parsers the
checks use (:func:`parse_dates`, :func:`parse_whole_numbers`) work once a distinct value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from audit.contract import (
    CODE_KEY_STRIP,
    FATHER_AGE_RANGE,
    FLAG_COLUMNS,
    FLAG_LEVELS,
    FLAG_SPELLINGS,
    KNOWN_COLUMNS,
    REQUIRED_COLUMNS,
    code_lookup,
)
from audit.extract import CODED_VALUES, TEXT_DTYPE, RawExtract, distinct

if TYPE_CHECKING:  # pandera costs ~0.3 s to import: imported where it is used
    import pandera.pandas as pa

__all__ = [
    "EARLIEST_NOTIFICATION_DATE",
    "EARLIEST_YEAR",
    "ISO_DATE",
    "UK_DATE",
    "CHECK_SUMMARY",
    "WHOLE_NUMBER",
    "per_distinct",
    "as_text",
    "clean_text",
    "prepare",
    "parse_dates",
    "parse_whole_numbers",
    "case_schema",
]

#: The earliest notification date accepted: serious incident notifications to the Child
#: Safeguarding Practice Review Panel began on 29 June 2018.
EARLIEST_NOTIFICATION_DATE = dt.date(2018, 6, 29)

_TEXT = TEXT_DTYPE
ISO_DATE = r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$"
UK_DATE = r"^(?P<d>[0-9]{1,2})/(?P<m>[0-9]{1,2})/(?P<y>[0-9]{4})(?: 00:00(?::00)?)?$"
WHOLE_NUMBER = r"[0-9]+(?:\.0*)?"
EARLIEST_YEAR = 1900


# ------------------------------------------------------------------ normalising the text


def per_distinct(
    column: pd.Series, fn: Callable[[pd.Series], pd.Series], *, text: bool = True
) -> pd.Series:
    """Apply a vectorised ``fn`` once per distinct value of ``column`` and spread it back.

    Text results come back as a Categorical (cheap to compare, count and re-code); other
    results (dates, numbers) as a plain column.
    """
    if not isinstance(column.dtype, pd.CategoricalDtype) and len(column) >= 10_000:
        # an id column left as text (see as_categorical): every value is its own
        result = fn(column.fillna("").astype(_TEXT))
        if not text:
            return pd.Series(result.to_numpy(), index=column.index)
        return pd.Series(result, index=column.index, dtype=_TEXT)
    codes, uniques = distinct(column)
    result = fn(pd.Series(uniques, dtype=_TEXT))
    if not text:
        return pd.Series(result.to_numpy()[codes], index=column.index)
    codes2, uniques2 = pd.factorize(result)
    dtype = pd.CategoricalDtype(pd.Index(uniques2, dtype=_TEXT))
    return pd.Series(
        pd.Categorical.from_codes(codes2[codes], dtype=dtype, validate=False), index=column.index
    )


def as_text(column: pd.Series) -> pd.Series:
    """A prepared (categorical) column as plain ``str``."""
    if not isinstance(column.dtype, pd.CategoricalDtype) and len(column) >= 10_000:
        return pd.Series(column.fillna(""), index=column.index, dtype=_TEXT)
    codes, uniques = distinct(column)
    return pd.Series(uniques.take(codes), index=column.index, dtype=_TEXT)


_ZERO_WIDTH = "[\u200b-\u200d\u2060\ufeff]"


def clean_text(values: pd.Series) -> pd.Series:
    values = values.str.replace(_ZERO_WIDTH, "", regex=True)
    return values.str.replace("\u00a0", " ", regex=False).str.strip()


def _code_prep(column: str) -> Callable[[pd.Series], pd.Series]:
    lookup = code_lookup(column)  # codes and the audit form's readable labels

    def prep(values: pd.Series) -> pd.Series:
        cleaned = clean_text(values)
        key = cleaned.str.lower().str.replace(CODE_KEY_STRIP, "", regex=True)
        mapped = key.map(lookup)
        return mapped.where(mapped.notna(), cleaned).astype(_TEXT)

    return prep


def _flag_prep(values: pd.Series) -> pd.Series:
    cleaned = clean_text(values)
    mapped = cleaned.str.lower().str.replace(r"\s+", " ", regex=True).map(FLAG_SPELLINGS)
    return mapped.where(mapped.notna(), cleaned).astype(_TEXT)


def _partnership_prep(values: pd.Series) -> pd.Series:
    cleaned = clean_text(values)
    return cleaned.where(cleaned != "", "unknown")


def _preparer(column: str) -> Callable[[pd.Series], pd.Series]:
    if column in CODED_VALUES:
        return _code_prep(column)
    if column in FLAG_COLUMNS:
        return _flag_prep
    if column == "partnership":
        return _partnership_prep
    return clean_text


def prepare(raw: RawExtract) -> pd.DataFrame:
    """The contract columns of ``raw``, trimmed and with codes and flags normalised.

    Values that cannot be normalised are kept as written (trimmed), so the schema's checks
    fail on them and the messages can quote them.
    """
    columns = [c for c in KNOWN_COLUMNS if c in raw.frame.columns]
    prepared = {c: per_distinct(raw.frame[c], _preparer(c)) for c in columns}
    return pd.DataFrame(prepared, index=raw.frame.index, columns=columns)


def parse_dates(values: pd.Series) -> pd.Series:
    """Parse prepared date text; NaT where it is not a real date in an accepted format."""

    def parse(unique: pd.Series) -> pd.Series:
        parts = unique.str.extract(ISO_DATE).combine_first(unique.str.extract(UK_DATE))
        numbers = pd.DataFrame(
            {
                "year": pd.to_numeric(parts["y"], errors="coerce"),
                "month": pd.to_numeric(parts["m"], errors="coerce"),
                "day": pd.to_numeric(parts["d"], errors="coerce"),
            }
        )
        numbers.loc[numbers["year"] < EARLIEST_YEAR, "year"] = np.nan
        return pd.to_datetime(numbers, errors="coerce").astype("datetime64[ns]")

    return per_distinct(values, parse, text=False)


def parse_whole_numbers(values: pd.Series) -> pd.Series:
    """Float values of whole-number text (``"3"``, ``"3.0"``); NaN for anything else."""

    def parse(unique: pd.Series) -> pd.Series:
        whole = unique.str.fullmatch(WHOLE_NUMBER).fillna(False).astype(bool)
        text = unique.str.replace(r"\.0*$", "", regex=True).where(whole, None)
        return pd.to_numeric(text, errors="coerce").astype("float64")

    return per_distinct(values, parse, text=False)


# -------------------------------------------------------------------------- the schema

# Each check's error string is its kind; messages are written from kind + failing value.
CHECK_SUMMARY = {
    "case_id_blank": "a blank case_id",
    "case_id_repeated": "a repeated case_id",
    "bad_date": "a bad date",
    "future_date": "a date in the future",
    "before_panel": "a date before the Panel began (29 June 2018)",
    "bad_age": "an age that is not a whole number",
    "bad_code": "a value that is not one of the codes",
    "bad_flag": "a value that is not a flag",
    "bad_father_age": "an age that is not a whole number from 12 to 80",
}


def _check(kind: str, fn: Callable[[pd.Series], pd.Series]) -> pa.Check:
    import pandera.pandas as pa  # imported here: pandera costs ~0.3 s to import

    return pa.Check(fn, name=kind, error=kind)


def _one_of(codes: tuple[str, ...]) -> Callable[[pd.Series], pd.Series]:
    """A check function testing each cell against ``codes``, bound now (not at loop end)."""

    def check(s: pd.Series) -> pd.Series:
        return s.isin(codes)

    return check


def case_schema(*, today: dt.date | None = None) -> pa.DataFrameSchema:
    """The contract as a pandera schema over the :func:`prepare`-d text frame.

    Required columns must be present; flag and optional columns are checked when present.
    ``today`` (default: the local date) bounds notification dates.
    """
    import pandera.pandas as pa  # imported here: pandera costs ~0.3 s to import

    today = today or dt.date.today()
    limit = pd.Timestamp(today)
    earliest = pd.Timestamp(EARLIEST_NOTIFICATION_DATE)
    low, high = FATHER_AGE_RANGE

    def father_age_ok(s: pd.Series) -> pd.Series:
        age = parse_whole_numbers(s)
        return (s == "") | ((age >= low) & (age <= high))

    columns: dict[str, pa.Column] = {
        "case_id": pa.Column(
            None,
            required=True,
            checks=[
                _check("case_id_blank", lambda s: s != ""),
                _check("case_id_repeated", lambda s: ~(s.duplicated(keep=False) & (s != ""))),
            ],
        ),
        "notification_date": pa.Column(
            None,
            required=True,
            checks=[
                _check("bad_date", lambda s: parse_dates(s).notna()),
                _check("future_date", lambda s: ~(parse_dates(s) > limit)),
                _check("before_panel", lambda s: ~(parse_dates(s) < earliest)),
            ],
        ),
        "child_age_months": pa.Column(
            None,
            required=True,
            checks=[
                _check("bad_age", lambda s: parse_whole_numbers(s).notna()),
            ],
        ),
    }
    for name, codes in CODED_VALUES.items():
        columns[name] = pa.Column(
            None,
            required=name in REQUIRED_COLUMNS,
            checks=[
                _check("bad_code", _one_of(codes)),
            ],
        )
    for flag in FLAG_COLUMNS:
        columns[flag] = pa.Column(
            None,
            required=False,
            checks=[
                _check("bad_flag", lambda s: s.isin(FLAG_LEVELS)),
            ],
        )
    columns["partnership"] = pa.Column(None, required=False)
    columns["father_age_at_birth"] = pa.Column(
        None,
        required=False,
        checks=[
            _check("bad_father_age", father_age_ok),
        ],
    )
    ordered = {c: columns[c] for c in KNOWN_COLUMNS}
    return pa.DataFrameSchema(ordered, name="case extract (contract v1)", ordered=False)
