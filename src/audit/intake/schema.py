"""The contract as a schema, declared apart from validation (as pandera's models are).

:func:`prepare` normalises the text of a raw extract (trimmed, lower-cased codes, readable
labels and flag spellings mapped to the contract's codes), and :func:`case_schema` declares
every column's checks over that text; :mod:`audit.intake.validate` runs the schema lazily, so
every failure is found in one pass, and turns the failures into messages. The parsers the
checks use (:func:`parse_dates`, :func:`parse_whole_numbers`) work once a distinct value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from audit.contract import (
    CODE_KEY_STRIP,
    FATHER_AGE_RANGE,
    FLAG_COLUMNS,
    FLAG_LEVELS,
    FLAG_SPELLINGS,
    KNOWN_COLUMNS,
    MAX_IN_SCOPE_AGE_MONTHS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    code_lookup,
)
from audit.intake.extract import CODED_VALUES, TEXT_DTYPE, RawExtract, arrow_text, distinct
from audit.intake.names import names_no_partnership

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
    "Check",
    "schema_checks",
    "passes",
    "case_schema",
    "typed",
    "recode",
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
    column: pd.Series,
    fn: Callable[[pd.Series], pd.Series],
    *,
    text: bool = True,
    leading: Sequence[str] = (),
) -> pd.Series:
    """Apply a vectorised ``fn`` once per distinct value of ``column`` and spread it back.

    Text results come back as a Categorical (cheap to compare, count and re-code); other
    results (dates, numbers) as a plain column. ``leading`` (a coded column's codes) come
    first among the categories, in that order, so that a column holding only those values
    is already the typed column's Categorical (:func:`typed` re-codes
    nothing).
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
    if leading:
        found = pd.Index(pd.unique(result.to_numpy(dtype=object)), dtype=_TEXT)
        categories = pd.Index(list(leading), dtype=_TEXT).append(
            found.difference(leading, sort=False)
        )
        codes2 = categories.get_indexer(result)
    else:
        codes2, categories = pd.factorize(result)
    dtype = pd.CategoricalDtype(pd.Index(categories, dtype=_TEXT))
    if np.array_equal(codes2, np.arange(len(uniques))) and (codes.min(initial=0) >= 0):
        new_codes = codes  # one value in, one out, in the same order: the codes stand
    else:
        if len(categories) < 127:  # re-code a row in one byte, as pandas stores the codes
            codes2 = codes2.astype(np.int8)
        new_codes = codes2[codes]
    return pd.Series(
        pd.Categorical.from_codes(new_codes, dtype=dtype, validate=False), index=column.index
    )


def as_text(column: pd.Series) -> pd.Series:
    """A prepared (categorical) column as plain ``str``."""
    if not isinstance(column.dtype, pd.CategoricalDtype) and len(column) >= 10_000:
        return pd.Series(column.fillna(""), index=column.index, dtype=_TEXT)
    codes, uniques = distinct(column)
    return pd.Series(uniques.take(codes), index=column.index, dtype=_TEXT)


_ZERO_WIDTH = "[\u200b-\u200d\u2060\ufeff]"
#: Text that :func:`clean_text` may change: a zero-width character or a non-breaking space
#: anywhere, or a first or last character that is not printable ASCII (so any whitespace,
#: however defined, at either end). Every other value is already clean.
_MAY_NEED_CLEANING = "^[^!-~]|[^!-~]$|[\u00a0\u200b-\u200d\u2060\ufeff]"
#: From this many values on, :func:`clean_text` first looks for the ones it may change.
_SIEVE_FROM = 1_000


def _clean(values: pd.Series) -> pd.Series:
    values = values.str.replace(_ZERO_WIDTH, "", regex=True)
    return values.str.replace("\u00a0", " ", regex=False).str.strip()


def clean_text(values: pd.Series) -> pd.Series:
    """Text trimmed of spaces, non-breaking spaces and zero-width characters.

    On a long column (an id column, a million values) one regular-expression pass finds the
    few values that may change and only those are cleaned; the others are already clean.
    """
    if len(values) < _SIEVE_FROM:
        return _clean(values)
    text = values.astype(_TEXT)
    array = arrow_text(pd.Index(text))
    maybe = pc.match_substring_regex(array, _MAY_NEED_CLEANING)
    if not pc.any(maybe).as_py():
        return text
    where = np.flatnonzero(maybe.to_numpy(zero_copy_only=False))
    cleaned = arrow_text(pd.Index(_clean(text.iloc[where])))
    out = pc.replace_with_mask(array, maybe, cleaned)
    return pd.Series(
        out.to_pandas(types_mapper=lambda _t: pd.StringDtype("pyarrow", na_value=np.nan)).array,
        index=values.index,
        name=values.name,
    )


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


def _preparer(column: str) -> Callable[[pd.Series], pd.Series]:
    if column in CODED_VALUES:
        return _code_prep(column)
    if column in FLAG_COLUMNS:
        return _flag_prep
    return clean_text


def _once_a_spelling(fn: Callable[[pd.Series], pd.Series]) -> Callable[[pd.Series], pd.Series]:
    """``fn`` (a function of each value on its own) remembering every answer it gave, so
    the twenty-odd flag columns, which share a handful of spellings, pay for each once."""
    answers: dict[str, str] = {}

    def run(values: pd.Series) -> pd.Series:
        if len(values) > 10_000:  # an id-like column: nothing to share
            return fn(values)
        new = [v for v in pd.unique(values.to_numpy(dtype=object)) if v not in answers]
        if new:
            answers.update(zip(new, fn(pd.Series(new, dtype=_TEXT)).tolist(), strict=True))
        return pd.Series(values.map(answers).to_numpy(dtype=object), index=values.index).astype(
            _TEXT
        )

    return run


def prepare(raw: RawExtract) -> pd.DataFrame:
    """The contract columns of ``raw``, trimmed and with codes and flags normalised.

    Values that cannot be normalised are kept as written (trimmed), so the schema's checks
    fail on them and the messages can quote them. A coded or flag column's categories
    start with the contract's codes.
    """
    columns = [c for c in KNOWN_COLUMNS if c in raw.frame.columns]
    flag_prep = _once_a_spelling(_flag_prep)
    prepared = {}
    for c in columns:
        if c in FLAG_COLUMNS:
            prepared[c] = per_distinct(raw.frame[c], flag_prep, leading=FLAG_LEVELS)
        else:
            prepared[c] = per_distinct(raw.frame[c], _preparer(c), leading=CODED_VALUES.get(c, ()))
    return pd.DataFrame(prepared, index=raw.frame.index, columns=columns)


def parse_dates(values: pd.Series) -> pd.Series:
    """Parse prepared date text; NaT where it is not a real date in an accepted format.

    Dates are to the second (``datetime64[s]``), which holds every four-digit year: a
    nanosecond date ends in 2262, and a typing error such as 2999 must be reported as a date
    in the future, not break validation. The typed cases, all on or before today, are
    nanosecond dates.
    """

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
        return pd.to_datetime(numbers, errors="coerce").astype("datetime64[s]")

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
    "partnership_blank": "a blank partnership",
}


#: A check: its kind (a key of :data:`CHECK_SUMMARY`) and a function giving True for each
#: row that passes.
Check = tuple[str, Callable[[pd.Series], pd.Series]]


def _each_cell(check: Callable[[pd.Series], pd.Series]) -> Callable[[pd.Series], pd.Series]:
    """``check`` (a test of each cell on its own) run once a category of a categorical column.

    The answers are spread back to the rows through the codes; when every category passes
    there is no row to look at, and the answer is True throughout. A column with missing
    cells (code -1) is checked as it is.
    """

    def run(s: pd.Series) -> pd.Series:
        if not isinstance(s.dtype, pd.CategoricalDtype):
            return check(s)
        codes = s.cat.codes.to_numpy()
        if len(codes) and codes.min() < 0:
            return check(s)
        ok = np.asarray(check(pd.Series(s.cat.categories, dtype=_TEXT)), dtype=bool)
        if ok.all():
            return pd.Series(True, index=s.index)
        return pd.Series(ok[codes], index=s.index)

    return run


def _one_of(codes: tuple[str, ...]) -> Callable[[pd.Series], pd.Series]:
    """A check function testing each cell against ``codes``, bound now (not at loop end)."""

    def check(s: pd.Series) -> pd.Series:
        return s.isin(codes)

    return check


def _not_blank(s: pd.Series) -> pd.Series:
    return s != ""


def _not_repeated(s: pd.Series) -> pd.Series:
    """False for each non-blank value that another row also holds.

    Counting distinct values with pyarrow (one hash pass) tells a column without repeats,
    the usual case, at a fraction of the cost of marking duplicates row by row.
    """
    blank = (s == "").to_numpy(dtype=bool)
    if isinstance(s.dtype, pd.CategoricalDtype):
        counts = np.bincount(s.cat.codes.to_numpy()[~blank].astype(np.intp) + 1)
        if counts.max(initial=0) <= 1:  # bin 0: missing cells, repeats of one another
            return pd.Series(True, index=s.index)
    else:
        values = arrow_text(pd.Index(s.astype(_TEXT)))
        if values.null_count == 0 and len(pc.unique(values)) == len(s) - max(blank.sum() - 1, 0):
            return pd.Series(True, index=s.index)
    return ~(s.duplicated(keep=False) & (s != ""))


def _unnamed_cells(s: pd.Series) -> np.ndarray:
    """True for each cell naming no partnership (:data:`audit.intake.names.UNNAMED`),
    worked out once a distinct value of a categorical column."""
    if not isinstance(s.dtype, pd.CategoricalDtype):
        return names_no_partnership(s).to_numpy(dtype=bool)
    codes = s.cat.codes.to_numpy()
    unnamed = names_no_partnership(pd.Series(s.cat.categories, dtype=_TEXT)).to_numpy(dtype=bool)
    return np.append(unnamed, True)[codes]  # code -1 (a missing cell) names none


def _partnership_named(s: pd.Series) -> pd.Series:
    """False for each cell that names no partnership (blank, "unknown") while another row
    names one; True throughout when no row names one (one partnership's extract with its
    partnership column left blank: the column is then dropped, :func:`typed`)."""
    unnamed = _unnamed_cells(s)
    if unnamed.all() or not unnamed.any():
        return pd.Series(True, index=s.index)
    return pd.Series(~unnamed, index=s.index)


def schema_checks(*, today: dt.date | None = None) -> dict[str, tuple[Check, ...]]:
    """Every column's checks over the :func:`prepare`-d text, by column name.

    The one declaration of what the contract requires of a cell: :func:`case_schema` runs
    these with pandera to list every failure, and :func:`passes` runs them alone first, so
    that a clean extract never pays for pandera's failure tables. ``today`` (default: the
    local date) bounds notification dates.
    """
    today = today or dt.date.today()
    limit = pd.Timestamp(today)
    earliest = pd.Timestamp(EARLIEST_NOTIFICATION_DATE)
    low, high = FATHER_AGE_RANGE

    def father_age_ok(s: pd.Series) -> pd.Series:
        age = parse_whole_numbers(s)
        return (s == "") | ((age >= low) & (age <= high))

    # The three date checks read the same parsed dates: parsed once for a column's values,
    # not three times (a small extract's validation spent half its time parsing dates).
    last: list[tuple[pd.Series, pd.Series]] = []

    def dates(s: pd.Series) -> pd.Series:
        if not (last and last[0][0].index.equals(s.index) and last[0][0].equals(s)):
            last[:] = [(s, parse_dates(s))]
        return last[0][1]

    checks: dict[str, tuple[Check, ...]] = {
        "case_id": (
            ("case_id_blank", _each_cell(_not_blank)),
            ("case_id_repeated", _not_repeated),
        ),
        "notification_date": (
            ("bad_date", _each_cell(lambda s: dates(s).notna())),
            ("future_date", _each_cell(lambda s: ~(dates(s) > limit))),
            ("before_panel", _each_cell(lambda s: ~(dates(s) < earliest))),
        ),
        "child_age_months": (("bad_age", _each_cell(lambda s: parse_whole_numbers(s).notna())),),
    }
    for name, codes in CODED_VALUES.items():
        checks[name] = (("bad_code", _each_cell(_one_of(codes))),)
    for flag in FLAG_COLUMNS:
        checks[flag] = (("bad_flag", _each_cell(_one_of(FLAG_LEVELS))),)
    checks["partnership"] = (("partnership_blank", _partnership_named),)
    checks["father_age_at_birth"] = (("bad_father_age", _each_cell(father_age_ok)),)
    return {c: checks[c] for c in KNOWN_COLUMNS}


def passes(prepared: pd.DataFrame, *, today: dt.date | None = None) -> bool:
    """True when ``prepared`` has every required column and every cell passes its checks.

    The cheap first pass: the same check functions as :func:`case_schema`, without pandera.
    Only when it is False does validation run the schema to list every failure. A check
    that raises is left for pandera to report, as it always did.
    """
    if any(c not in prepared.columns for c in REQUIRED_COLUMNS):
        return False
    for column, checks in schema_checks(today=today).items():
        if column not in prepared.columns:
            continue
        for _kind, fn in checks:
            try:
                ok = fn(prepared[column])
            except Exception:  # noqa: BLE001 - pandera turns it into a failure case
                return False
            if not bool(np.asarray(ok, dtype=bool).all()):
                return False
    return True


def case_schema(*, today: dt.date | None = None) -> pa.DataFrameSchema:
    """The contract as a pandera schema over the :func:`prepare`-d text frame.

    Required columns must be present; flag and optional columns are checked when present.
    ``today`` (default: the local date) bounds notification dates. The checks are
    :func:`schema_checks`.
    """
    import pandera.pandas as pa  # imported here: pandera costs ~0.3 s to import

    columns = {
        name: pa.Column(
            None,
            required=name in REQUIRED_COLUMNS,
            checks=[pa.Check(fn, name=kind, error=kind) for kind, fn in checks],
        )
        for name, checks in schema_checks(today=today).items()
    }
    return pa.DataFrameSchema(columns, name="case extract (contract v1)", ordered=False)


# ------------------------------------------------------------------- the typed cases


def typed(prepared: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The typed in-scope cases and the excluded rows (out of scope by age), from a prepared
    frame that passed the schema: the columns the schema checked, as the types it declares.
    A partnership column in which no row names a partnership (every cell blank or
    "unknown") is left out, as if the extract had none: nothing invents a partnership."""
    ages = parse_whole_numbers(prepared["child_age_months"])
    in_scope = (ages <= MAX_IN_SCOPE_AGE_MONTHS).to_numpy()

    out_rows = prepared.index[~in_scope]
    age_text = as_text(prepared.loc[~in_scope, "child_age_months"]).str.replace(
        r"\.0*$", "", regex=True
    )
    excluded = pd.DataFrame(
        {
            "row": np.asarray(out_rows, dtype=np.int64),
            "reason": (
                "child_age_months is "
                + age_text
                + f": {MAX_IN_SCOPE_AGE_MONTHS + 1} or more is out of scope"
            ).to_numpy(),
        }
    )
    excluded["reason"] = excluded["reason"].astype(_TEXT)

    kept = prepared.loc[in_scope]
    cases = pd.DataFrame(index=kept.index)
    cases["case_id"] = as_text(kept["case_id"])
    cases["notification_date"] = parse_dates(kept["notification_date"]).astype("datetime64[ns]")
    cases["child_age_months"] = ages[in_scope].astype("int64")
    for name in ("harmed_by", "known_to"):
        cases[name] = recode(kept[name], CODED_VALUES[name])
    for flag in FLAG_COLUMNS:
        if flag in kept.columns:
            cases[flag] = recode(kept[flag], FLAG_LEVELS)
    for name in OPTIONAL_COLUMNS:
        if name not in kept.columns:
            continue
        if name == "partnership" and _unnamed_cells(prepared[name]).all():
            continue  # no row names a partnership: one partnership's extract
        if name == "partnership":
            cases[name] = as_text(kept[name])
        elif name == "father_age_at_birth":
            cases[name] = parse_whole_numbers(kept[name]).astype("Int64")
        else:
            cases[name] = recode(kept[name], CODED_VALUES[name])
    cases.index = pd.Index(kept.index.to_numpy(dtype=np.int64), name="row")
    return cases, excluded


def recode(column: pd.Series, categories: tuple[str, ...]) -> pd.Series:
    """A validated prepared column as a Categorical with exactly ``categories``, in order.

    A categorical column is re-coded through its categories (one look-up a row), as
    ``set_categories`` would: a value not in ``categories`` becomes missing.
    """
    dtype = pd.CategoricalDtype(pd.Index(list(categories), dtype=_TEXT))
    if not isinstance(column.dtype, pd.CategoricalDtype):
        return column.astype("category").cat.set_categories(dtype.categories).astype(dtype)
    if column.cat.categories.equals(dtype.categories):  # prepared in the contract's order
        return pd.Series(
            pd.Categorical.from_codes(column.cat.codes.to_numpy(), dtype=dtype, validate=False),
            index=column.index,
            name=column.name,
        )
    lookup = np.append(dtype.categories.get_indexer(column.cat.categories), -1)
    codes = lookup.astype(np.int8 if len(categories) < 127 else np.int64)[
        column.cat.codes.to_numpy()
    ]
    return pd.Series(
        pd.Categorical.from_codes(codes, dtype=dtype, validate=False),
        index=column.index,
        name=column.name,
    )
