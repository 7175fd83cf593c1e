"""Validate a raw extract against the contract and type it: the cases frame.

:func:`validate_extract` runs the identifier guard first (:class:`~audit.errors.IdentifierError`),
then checks every row against the schema declared by :func:`case_schema` in one pass (pandera,
``lazy=True``) and raises one :class:`~audit.errors.ValidationError` listing every problem, or
returns a :class:`CaseExtract`.

The typed cases frame (``CaseExtract.cases``), index = spreadsheet row number named ``row``,
columns in this order: required, then the flag columns present (contract order), then the
optional columns present.

==========================  ==============================================================
column                      dtype and meaning
==========================  ==============================================================
``case_id``                 ``str``: trimmed, non-empty, unique
``notification_date``       ``datetime64[ns]``: a date (midnight), never in the future
``child_age_months``        ``int64``: 0-11 (12 or more is excluded, see ``excluded``)
``harmed_by``               ``category`` of :data:`~audit.contract.HARMED_BY_CODES`
``known_to``                ``category`` of :data:`~audit.contract.KNOWN_TO_CODES`
each flag present           ``category`` of :data:`~audit.contract.FLAG_LEVELS`
``partnership``             ``str``: trimmed; a blank cell becomes ``"unknown"``
``father_age_at_birth``     ``Int64``: 12-80, ``<NA>`` where blank
``incident_type``           ``category`` of :data:`~audit.contract.INCIDENT_TYPE_CODES`
==========================  ==============================================================

Decisions:

* Codes are matched leniently: trimmed (non-breaking spaces too), lower-cased, ignoring
  spaces, hyphens, underscores and apostrophes ("Mother's partner" -> ``mothers_partner``,
  "Step-father" -> ``stepfather``). Blank and "not known" mean ``unknown``.
* Codes, flags and every other text are trimmed of spaces, non-breaking spaces and
  zero-width characters (``\u200b``, ``\ufeff`` ...) before they are read, so padding pasted
  from a web page or another system is accepted.
* Dates: ``YYYY-MM-DD`` (also ``YYYY-M-D``) or UK ``DD/MM/YYYY`` (also ``D/M/YYYY``), with an
  optional midnight time (``00:00`` or ``00:00:00``) as some systems export. A date that does
  not exist (31/02/2024), is before 1900 or is after today is a problem.
* A notification date before :data:`EARLIEST_NOTIFICATION_DATE` (29 June 2018, when serious
  incident notifications to the Child Safeguarding Practice Review Panel began) is a
  **problem, not a warning**: every case the audit covers was notified to the Panel, so an
  earlier date is a typing error in the year (2017 for 2027 cannot happen: that is in the
  future; 2015 for 2025 can). A warning would let the case drop silently out of every
  quarter's figures. A number such as ``45292`` is reported as an Excel date serial number.
* The header row: when no column of the file is a contract column, the one problem says
  why, rather than listing five missing columns: the column names are further down
  (a title row, notes or merged group labels above them), or row 1 is data (the header row
  is missing), or the headers are simply not the contract's.
* A data row that repeats the header row (two exports pasted together) is one problem for
  the row, not one for each of its cells.
* Ages: whole numbers, ``"3"`` or ``"3.0"``; 12 or more is reported in ``excluded`` with
  its reason, not an error. Every row is checked, out of scope or not: an extract that
  breaks the contract is fixed at source.
* Wholly blank rows were dropped by :func:`audit.read.read_extract`; ``rows_read`` counts
  the others.
* An extract with no data rows, or with no in-scope rows (every case 12 months or older),
  is a :class:`~audit.errors.ValidationError`: there is nothing to audit.
* Each column lists at most :data:`MAX_PROBLEMS_PER_COLUMN` problems, then one summary line
  a kind of problem ("and 999,980 more rows with a bad date"). Cell values are quoted in
  messages, cut to :data:`MAX_VALUE_ECHO` characters.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import zip_longest
from pathlib import Path

import numpy as np
import pandas as pd

from audit.contract import (
    FATHER_AGE_RANGE,
    FLAG_COLUMNS,
    FLAG_LEVELS,
    FLAG_NO,
    FLAG_SPELLINGS,
    FLAG_UNKNOWN,
    FLAG_YES,
    HARMED_BY_CODES,
    INCIDENT_TYPE_CODES,
    KNOWN_COLUMNS,
    KNOWN_TO_CODES,
    MAX_IN_SCOPE_AGE_MONTHS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    UNKNOWN_SHARE_THRESHOLD,
)
from audit.contract import CODE_KEY_STRIP, code_lookup, match_header, normalise_column_name
from audit.errors import Problem, ValidationError
from audit.guard import check_identifiers
from audit.read import RawExtract, _shown, as_categorical, distinct, read_extract

__all__ = [
    "EARLIEST_NOTIFICATION_DATE",
    "MAX_PROBLEMS_PER_COLUMN",
    "MAX_VALUE_ECHO",
    "CaseExtract",
    "case_schema",
    "prepare",
    "validate_extract",
    "load_extract",
]

#: Problems listed per column before a summary line.
MAX_PROBLEMS_PER_COLUMN = 20
#: Longest cell value quoted in a message (longer ones are cut, with an ellipsis).
MAX_VALUE_ECHO = 40
#: The earliest notification date accepted: serious incident notifications to the Child
#: Safeguarding Practice Review Panel began on 29 June 2018.
EARLIEST_NOTIFICATION_DATE = dt.date(2018, 6, 29)

_TEXT = "str"
_CODES: dict[str, tuple[str, ...]] = {
    "harmed_by": HARMED_BY_CODES,
    "known_to": KNOWN_TO_CODES,
    "incident_type": INCIDENT_TYPE_CODES,
}
_ISO_DATE = r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$"
_UK_DATE = r"^(?P<d>[0-9]{1,2})/(?P<m>[0-9]{1,2})/(?P<y>[0-9]{4})(?: 00:00(?::00)?)?$"
_WHOLE = r"[0-9]+(?:\.0*)?"
_EARLIEST_YEAR = 1900


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True, eq=False)
class CaseExtract:
    """A validated extract: the in-scope cases, typed, and what was left out and why."""

    cases: pd.DataFrame
    excluded: pd.DataFrame
    rows_read: int
    ignored_columns: tuple[str, ...]
    missing_flags: tuple[str, ...]
    path: Path
    sha256: str
    sheet: str | None

    def unknown_shares(self) -> pd.Series:
        """Share of in-scope cases recorded as unknown, for each coded or flag column present."""
        fields = [c for c in self.cases.columns if c in _CODES or c in FLAG_COLUMNS]
        shares = {c: float((self.cases[c] == FLAG_UNKNOWN).mean()) if len(self.cases) else 0.0
                  for c in fields}
        return pd.Series(shares, dtype="float64", name="unknown_share").rename_axis("column")

    def high_unknown_fields(self) -> list[str]:
        """Columns more than :data:`~audit.contract.UNKNOWN_SHARE_THRESHOLD` unknown."""
        shares = self.unknown_shares()
        return shares.index[shares > UNKNOWN_SHARE_THRESHOLD].tolist()


# ------------------------------------------------------------------ normalising the text


def _per_distinct(column: pd.Series, fn: Callable[[pd.Series], pd.Series], *,
                  text: bool = True) -> pd.Series:
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
    return pd.Series(pd.Categorical.from_codes(codes2[codes], dtype=dtype, validate=False),
                     index=column.index)


def _text(column: pd.Series) -> pd.Series:
    """A prepared (categorical) column as plain ``str``."""
    if not isinstance(column.dtype, pd.CategoricalDtype) and len(column) >= 10_000:
        return pd.Series(column.fillna(""), index=column.index, dtype=_TEXT)
    codes, uniques = distinct(column)
    return pd.Series(uniques.take(codes), index=column.index, dtype=_TEXT)


_ZERO_WIDTH = "[\u200b-\u200d\u2060\ufeff]"


def _clean(values: pd.Series) -> pd.Series:
    values = values.str.replace(_ZERO_WIDTH, "", regex=True)
    return values.str.replace("\u00a0", " ", regex=False).str.strip()


def _code_prep(column: str) -> Callable[[pd.Series], pd.Series]:
    lookup = code_lookup(column)  # codes and the audit form's readable labels

    def prep(values: pd.Series) -> pd.Series:
        cleaned = _clean(values)
        key = cleaned.str.lower().str.replace(CODE_KEY_STRIP, "", regex=True)
        mapped = key.map(lookup)
        return mapped.where(mapped.notna(), cleaned).astype(_TEXT)

    return prep


def _flag_prep(values: pd.Series) -> pd.Series:
    cleaned = _clean(values)
    mapped = cleaned.str.lower().str.replace(r"\s+", " ", regex=True).map(FLAG_SPELLINGS)
    return mapped.where(mapped.notna(), cleaned).astype(_TEXT)


def _partnership_prep(values: pd.Series) -> pd.Series:
    cleaned = _clean(values)
    return cleaned.where(cleaned != "", "unknown")


def _preparer(column: str) -> Callable[[pd.Series], pd.Series]:
    if column in _CODES:
        return _code_prep(column)
    if column in FLAG_COLUMNS:
        return _flag_prep
    if column == "partnership":
        return _partnership_prep
    return _clean


def prepare(raw: RawExtract) -> pd.DataFrame:
    """The contract columns of ``raw``, trimmed and with codes and flags normalised.

    Values that cannot be normalised are kept as written (trimmed), so the schema's checks
    fail on them and the messages can quote them.
    """
    columns = [c for c in KNOWN_COLUMNS if c in raw.frame.columns]
    prepared = {c: _per_distinct(raw.frame[c], _preparer(c)) for c in columns}
    return pd.DataFrame(prepared, index=raw.frame.index, columns=columns)


def _dates(values: pd.Series) -> pd.Series:
    """Parse prepared date text; NaT where it is not a real date in an accepted format."""

    def parse(unique: pd.Series) -> pd.Series:
        parts = unique.str.extract(_ISO_DATE).combine_first(unique.str.extract(_UK_DATE))
        numbers = pd.DataFrame({
            "year": pd.to_numeric(parts["y"], errors="coerce"),
            "month": pd.to_numeric(parts["m"], errors="coerce"),
            "day": pd.to_numeric(parts["d"], errors="coerce"),
        })
        numbers.loc[numbers["year"] < _EARLIEST_YEAR, "year"] = np.nan
        return pd.to_datetime(numbers, errors="coerce").astype("datetime64[ns]")

    return _per_distinct(values, parse, text=False)


def _whole_numbers(values: pd.Series) -> pd.Series:
    """Float values of whole-number text (``"3"``, ``"3.0"``); NaN for anything else."""

    def parse(unique: pd.Series) -> pd.Series:
        whole = unique.str.fullmatch(_WHOLE).fillna(False).astype(bool)
        text = unique.str.replace(r"\.0*$", "", regex=True).where(whole, None)
        return pd.to_numeric(text, errors="coerce").astype("float64")

    return _per_distinct(values, parse, text=False)


# -------------------------------------------------------------------------- the schema

# Each check's error string is its kind; messages are written from kind + failing value.
_SUMMARY = {
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
        age = _whole_numbers(s)
        return (s == "") | ((age >= low) & (age <= high))

    columns: dict[str, pa.Column] = {
        "case_id": pa.Column(None, required=True, checks=[
            _check("case_id_blank", lambda s: s != ""),
            _check("case_id_repeated", lambda s: ~(s.duplicated(keep=False) & (s != ""))),
        ]),
        "notification_date": pa.Column(None, required=True, checks=[
            _check("bad_date", lambda s: _dates(s).notna()),
            _check("future_date", lambda s: ~(_dates(s) > limit)),
            _check("before_panel", lambda s: ~(_dates(s) < earliest)),
        ]),
        "child_age_months": pa.Column(None, required=True, checks=[
            _check("bad_age", lambda s: _whole_numbers(s).notna()),
        ]),
    }
    for name, codes in _CODES.items():
        columns[name] = pa.Column(None, required=name in REQUIRED_COLUMNS, checks=[
            _check("bad_code", lambda s, codes=codes: s.isin(codes)),
        ])
    for flag in FLAG_COLUMNS:
        columns[flag] = pa.Column(None, required=False, checks=[
            _check("bad_flag", lambda s: s.isin(FLAG_LEVELS)),
        ])
    columns["partnership"] = pa.Column(None, required=False)
    columns["father_age_at_birth"] = pa.Column(None, required=False, checks=[
        _check("bad_father_age", father_age_ok),
    ])
    ordered = {c: columns[c] for c in KNOWN_COLUMNS}
    return pa.DataFrameSchema(ordered, name="case extract (contract v1)", ordered=False)


# ---------------------------------------------------------------------------- messages


def _quote(value: object) -> str:
    """A cell value as a message may quote it: cut, without control or bidi characters."""
    return f"'{_shown(value, MAX_VALUE_ECHO)}'"


def _flag_alternatives() -> str:
    """The other accepted flag spellings, yes/no pairs first: 'y, n, true, false, 1, 0, ...'."""
    def others(level: str) -> list[str]:
        return [s for s, v in FLAG_SPELLINGS.items() if v == level and s != level]

    paired = [s for pair in zip_longest(others(FLAG_YES), others(FLAG_NO)) for s in pair if s is not None]
    spellings = paired + others(FLAG_UNKNOWN)
    return ", ".join("blank" if s == "" else s for s in spellings)


_FLAG_ALSO = _flag_alternatives()


def _message(kind: str, column: str, value: str, today: dt.date, repeats: str = "") -> str:
    q = _quote(value)
    if kind == "case_id_blank":
        return "case_id is blank; every row needs its pseudonymous case reference"
    if kind == "case_id_repeated":
        return f"case_id {q} duplicates {repeats}; each case must appear once"
    if kind == "bad_date":
        if value == "":
            return f"{column} is blank; give the date as YYYY-MM-DD or DD/MM/YYYY"
        if re.match(_ISO_DATE, value) or re.match(_UK_DATE, value):
            return f"{q} is not a real date (or is before {_EARLIEST_YEAR}); check it"
        if re.fullmatch(r"[0-9]{5}(?:\.0*)?", value) and 20_000 <= float(value) <= 80_000:
            return (f"{q} looks like an Excel date serial number, not a date; format the "
                    "column as a date (YYYY-MM-DD or DD/MM/YYYY) before exporting")
        return f"{q} is not a date; use YYYY-MM-DD or DD/MM/YYYY (e.g. 2024-03-31 or 31/03/2024)"
    if kind == "future_date":
        return f"{q} is in the future (today is {today:%Y-%m-%d}); check the date"
    if kind == "before_panel":
        return (f"{q} is before 29 June 2018, when serious incident notifications to the Child "
                "Safeguarding Practice Review Panel began; check the year")
    if kind == "bad_age":
        if value == "":
            return f"{column} is blank; give the baby's age in whole months"
        return (f"{q} is not a whole number of months; use 0, 1, 2 ... "
                f"(0-{MAX_IN_SCOPE_AGE_MONTHS} are in scope)")
    if kind == "bad_code":
        allowed = ", ".join(_CODES[column])
        return f"{q} is not a valid {column} code; use one of {allowed} (blank means unknown)"
    if kind == "bad_flag":
        return f"{q} is not a flag value; use yes/no/unknown (also {_FLAG_ALSO})"
    if kind == "bad_father_age":
        low, high = FATHER_AGE_RANGE
        if re.fullmatch(_WHOLE, value):
            return f"{q} is outside {low}-{high}; check his age at the birth or leave it blank"
        return f"{q} is not a whole number of years; give his age at the birth ({low}-{high}) or leave it blank"
    return f"{q} fails the check '{kind}'"


def _rows_text(rows: list[int], limit: int = 5) -> str:
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"


def _problems_from(failures: pd.DataFrame, prepared: pd.DataFrame, today: dt.date
                   ) -> tuple[list[Problem], int]:
    """Turn pandera's failure cases into capped, ordered Problems; also the total count."""
    problems: list[Problem] = []
    missing = failures[failures["check"].astype(str) == "column_in_dataframe"]
    for column in REQUIRED_COLUMNS:
        if column in set(missing["failure_case"].astype(str)):
            problems.append(Problem(None, column, "required column is missing (a header "
                                    f"'{column}'; case and spaces don't matter)"))
    total = len(problems)

    cells = failures[failures["check"].astype(str).isin(list(_SUMMARY))
                     & failures["column"].isin(list(prepared.columns))]
    cells = cells.assign(row=pd.to_numeric(cells["index"]).astype("int64"),
                         check=cells["check"].astype(str))
    total += len(cells)
    order = {c: i for i, c in enumerate(prepared.columns)}
    cells = cells.assign(order=cells["column"].map(order)).sort_values(["order", "row"],
                                                                      kind="stable")
    for column, group in cells.groupby("order", sort=True):
        name = prepared.columns[int(column)]
        shown = group.head(MAX_PROBLEMS_PER_COLUMN)
        repeats = _repeats(prepared[name], shown) if name == "case_id" else {}
        for row, kind in zip(shown["row"].tolist(), shown["check"].tolist(), strict=True):
            value = str(prepared.at[row, name])
            problems.append(Problem(row, name, _message(kind, name, value, today,
                                                        repeats.get(row, ""))))
        rest = group.iloc[MAX_PROBLEMS_PER_COLUMN:]
        for kind, count in rest["check"].value_counts(sort=False).items():
            problems.append(Problem(None, name, f"… and {count:,} more row{'s' if count > 1 else ''} "
                                    f"with {_SUMMARY[kind]} in column '{name}'"))
    return problems, total


def _repeats(case_ids: pd.Series, shown: pd.DataFrame) -> dict[int, str]:
    """For each listed repeated case_id row: the other rows holding the same case_id."""
    rows = shown.loc[shown["check"] == "case_id_repeated", "row"].tolist()
    if not rows:
        return {}
    values = case_ids.loc[rows]
    same = case_ids[case_ids.isin(set(values))]
    where = {v: idx.tolist() for v, idx in same.groupby(same, sort=False).groups.items()}
    return {r: _rows_text([o for o in where[values[r]] if o != r]) for r in rows}


# ----------------------------------------------------------------------- the entry points


def validate_extract(raw: RawExtract, *, today: dt.date | None = None) -> CaseExtract:
    """Check ``raw`` against the contract and return the typed, in-scope cases.

    Raises :class:`~audit.errors.IdentifierError` when the guard finds direct identifiers
    (nothing else is checked), else :class:`~audit.errors.ValidationError` listing every
    problem found in one pass. ``today`` (default: the local date) is the latest allowed
    notification date; pass it for a reproducible run.
    """
    # Factorise every column once: the guard and the checks then work per distinct value.
    raw = replace(raw, frame=as_categorical(raw.frame))
    check_identifiers(raw)
    today = today or dt.date.today()
    header = _header_problem(raw)
    if header is not None:
        raise ValidationError(f"the extract breaks the contract: row {raw.header_row} holds "
                              "none of the contract's column names", path=raw.path,
                              problems=[header])
    prepared = prepare(raw)

    repeats = _repeated_header_rows(raw.frame)
    problems = [Problem(int(row), None, "repeats the header row (two exports pasted "
                        "together?); delete this row") for row in repeats[:MAX_PROBLEMS_PER_COLUMN]]
    if len(repeats) > MAX_PROBLEMS_PER_COLUMN:
        problems.append(Problem(None, None, f"… and {len(repeats) - MAX_PROBLEMS_PER_COLUMN:,} "
                                "more rows that repeat the header row"))
    total = len(repeats)
    if len(repeats):
        prepared = prepared.drop(index=repeats)
    from pandera.errors import SchemaErrors

    try:
        case_schema(today=today).validate(prepared, lazy=True)
    except SchemaErrors as errors:
        found, count = _problems_from(errors.failure_cases, prepared, today)
        problems += found
        total += count
    if len(raw.frame) == 0:
        problems.insert(0, Problem(None, None, "the extract has a header but no data rows"))
        total += 1
    if problems:
        columns = {p.column for p in problems if p.column is not None}
        where = f" in {len(columns)} column{'s' if len(columns) != 1 else ''}" if columns else ""
        raise ValidationError(
            f"the extract breaks the contract: {total:,} problem{'s' if total != 1 else ''}"
            f"{where}; fix the extract at source and export it again",
            path=raw.path, problems=problems)

    cases, excluded = _typed(prepared)
    if cases.empty:
        raise ValidationError(
            "no in-scope rows: every case is 12 months or older", path=raw.path,
            problems=[Problem(None, "child_age_months",
                              f"all {len(excluded):,} rows are {MAX_IN_SCOPE_AGE_MONTHS + 1} "
                              "months or older; the audit covers babies under one")])
    ignored = tuple(raw.label(c) for c in raw.frame.columns if c not in KNOWN_COLUMNS)
    missing = tuple(f for f in FLAG_COLUMNS if f not in raw.frame.columns)
    return CaseExtract(cases=cases, excluded=excluded, rows_read=len(raw.frame),
                       ignored_columns=ignored, missing_flags=missing, path=raw.path,
                       sha256=raw.sha256, sheet=raw.sheet)


def _header_problem(raw: RawExtract) -> Problem | None:
    """Why no column of ``raw`` is a contract column, or ``None`` when some are."""
    if set(raw.frame.columns) & set(KNOWN_COLUMNS):
        return None
    required = set(REQUIRED_COLUMNS)
    head = raw.frame.head(20)
    for row, values in zip(head.index, head.itertuples(index=False, name=None), strict=True):
        names = {match_header(v) or normalise_column_name(v)
                 for v in values if isinstance(v, str) and v}
        if len(names & required) >= 2:
            return Problem(None, None, f"row {raw.header_row} does not hold the column names, "
                           f"but row {row} does: delete the rows above row {row} (a title, "
                           "notes or merged group labels) so that the column names come first")
    needed = ", ".join(REQUIRED_COLUMNS)
    if any(_looks_like_data(h) for h in raw.headers.values()):
        return Problem(None, None, f"row {raw.header_row} looks like data, not column names "
                       "(it holds dates, numbers or codes, and no column of the contract): the "
                       f"header row is missing. Add a first row naming the columns ({needed} "
                       "and any flags)")
    return Problem(None, None, f"none of the {len(raw.headers):,} headers in row "
                   f"{raw.header_row} is a column of the contract; the extract needs at least "
                   f"{needed} (see docs/data-contract.md)")


def _looks_like_data(header: str) -> bool:
    text = _clean(pd.Series([header], dtype=_TEXT))[0]
    if not text:
        return False
    if re.match(_ISO_DATE, text) or re.match(_UK_DATE, text) or re.fullmatch(_WHOLE, text):
        return True
    key = re.sub(r"[\s_\-'’`]+", "", text.lower())
    codes = {c.replace("_", "") for c in (*HARMED_BY_CODES, *KNOWN_TO_CODES)} - {"unknown"}
    return key in codes or text.lower() in (set(FLAG_SPELLINGS) - {"", "unknown", "not known"})


def _repeated_header_rows(frame: pd.DataFrame) -> np.ndarray:
    """Row numbers of data rows that repeat the header (3 or more cells naming their column)."""
    columns = [c for c in KNOWN_COLUMNS if c in frame.columns]
    if len(frame) == 0 or len(columns) < 3:
        return np.array([], dtype=np.int64)
    hits = np.zeros(len(frame), dtype=np.int64)
    for name in columns:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype) or len(column) < 10_000:
            codes, uniques = distinct(column)
        else:  # an id column left as text (see as_categorical): every row its own value
            codes, uniques = np.arange(len(column)), pd.Index(column.fillna(""), dtype=_TEXT)
        same = np.zeros(len(uniques), dtype=bool)
        # Only values that could name the column are normalised (case_id has a million).
        maybe = _could_name(uniques, name) if len(uniques) > 1_000 else slice(None)
        candidates = pd.Series(uniques[maybe], dtype=_TEXT)
        if len(candidates):
            names = (candidates.str.lower()
                     .str.replace(r"[^0-9a-z]+", "_", regex=True).str.strip("_"))
            same[maybe] = (names == name).to_numpy(dtype=bool, na_value=False)
        if same.any():
            hits += np.where(codes >= 0, same[codes], False)
    return frame.index.to_numpy(dtype=np.int64)[hits >= 3]


# Characters other than ASCII letters whose str.lower() holds an ASCII letter or digit.
_LOWERS_TO_ASCII = {"i": "\u0130", "k": "\u212a"}


def _could_name(uniques: pd.Index, name: str) -> np.ndarray:
    """A mask over ``uniques``, True for every value that may normalise to ``name``.

    A value normalises to ``name`` only if its lower-cased text holds each part of ``name``
    (between underscores); this tests the first part in one Arrow regex pass, allowing for
    upper case and for the few non-ASCII characters that lower-case to ASCII.
    """
    import pyarrow.compute as pc

    from audit.guard import _arrow_text

    part = name.split("_")[0]
    pattern = "".join(
        f"[{ch}{ch.upper()}{_LOWERS_TO_ASCII.get(ch, '')}]" if ch.isalpha() else re.escape(ch)
        for ch in part)
    found = pc.match_substring_regex(_arrow_text(uniques), pattern)
    return found.to_numpy(zero_copy_only=False)


def load_extract(path: str | Path, *, sheet: str | None = None,
                 today: dt.date | None = None) -> CaseExtract:
    """Read and validate an extract: :func:`~audit.read.read_extract` then :func:`validate_extract`."""
    return validate_extract(read_extract(path, sheet=sheet), today=today)


def _typed(prepared: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The typed in-scope cases and the excluded rows, from a prepared frame that passed."""
    ages = _whole_numbers(prepared["child_age_months"])
    in_scope = (ages <= MAX_IN_SCOPE_AGE_MONTHS).to_numpy()

    out_rows = prepared.index[~in_scope]
    age_text = _text(prepared.loc[~in_scope, "child_age_months"]).str.replace(r"\.0*$", "",
                                                                               regex=True)
    excluded = pd.DataFrame({
        "row": np.asarray(out_rows, dtype=np.int64),
        "reason": ("child_age_months is " + age_text
                   + f": {MAX_IN_SCOPE_AGE_MONTHS + 1} or more is out of scope").to_numpy(),
    })
    excluded["reason"] = excluded["reason"].astype(_TEXT)

    kept = prepared.loc[in_scope]
    cases = pd.DataFrame(index=kept.index)
    cases["case_id"] = _text(kept["case_id"])
    cases["notification_date"] = _dates(kept["notification_date"])
    cases["child_age_months"] = ages[in_scope].astype("int64")
    for name in ("harmed_by", "known_to"):
        cases[name] = _recode(kept[name], _CODES[name])
    for flag in FLAG_COLUMNS:
        if flag in kept.columns:
            cases[flag] = _recode(kept[flag], FLAG_LEVELS)
    for name in OPTIONAL_COLUMNS:
        if name not in kept.columns:
            continue
        if name == "partnership":
            cases[name] = _text(kept[name])
        elif name == "father_age_at_birth":
            cases[name] = _whole_numbers(kept[name]).astype("Int64")
        else:
            cases[name] = _recode(kept[name], _CODES[name])
    cases.index = pd.Index(kept.index.to_numpy(dtype=np.int64), name="row")
    return cases, excluded


def _recode(column: pd.Series, categories: tuple[str, ...]) -> pd.Series:
    """A validated prepared column as a Categorical with exactly ``categories``, in order."""
    dtype = pd.CategoricalDtype(pd.Index(list(categories), dtype=_TEXT))
    return column.astype("category").cat.set_categories(dtype.categories).astype(dtype)
