"""The fast paths of reading, validation and counting give the answers of the plain ones.

Issue 15 made ``audit metrics`` work on dictionary-encoded columns: the CSV reader encodes
repeating columns while pyarrow parses them, the schema's checks run alone (once a
category) before pandera is asked to list failures, and the metrics count category codes.
Each fast path is checked here against the straightforward computation it replaced,
written out in the test (pandas on plain text), over generated inputs:

* reading with ``categorical=True`` gives the same cells as without;
* :func:`audit.intake.schema.passes` is True exactly when the pandera schema raises nothing, and
  every check gives, row by row, what the plain pandas expression gives on plain text;
* :func:`audit.intake.schema.clean_text` on a long column equals the plain clean on every value;
* the identifier guard finds the same rows in a long text column as in its categorical
  form;
* the metrics' tallies and the validated re-coding equal the row-by-row versions.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandera.errors import SchemaErrors

from audit.contract import FLAG_COLUMNS, FLAG_LEVELS, HARMED_BY_CODES, REQUIRED_COLUMNS
from audit.errors import AuditError
from audit.intake import guard, schema
from audit.intake.extract import as_categorical
from audit.intake.read import read_extract
from audit.measures import metrics
from conftest import TODAY

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Cell values that exercise every check: valid and invalid codes, flags, dates and ages,
#: padding, zero-width characters, non-breaking spaces, repeats and blanks.
_CELLS = [
    "",
    " ",
    "yes",
    "No",
    " Y ",
    "unknown",
    "maybe",
    "birth_father",
    "Birth father",
    "uncle",
    "2024-01-05",
    "05/01/2024",
    "31/02/2024",
    "2017-01-01",
    "2999-01-01",
    "45292",
    "3",
    "3.0",
    "12",
    "-1",
    "three",
    "SYN-1",
    "SYN-2",
    "\u00a0SYN-3",
    "SYN-4\u200b",
    "case_id",
    "x\ty",
    "\u3000yes",
]
_COLUMNS = [
    "case_id",
    "notification_date",
    "child_age_months",
    "harmed_by",
    "known_to",
    "father_seen",
    "domestic_abuse",
    "partnership",
    "father_age_at_birth",
    "incident_type",
]


@st.composite
def raw_frames(draw) -> pd.DataFrame:
    """A raw text frame of some contract columns (required ones usually present)."""
    names = draw(st.lists(st.sampled_from(_COLUMNS), min_size=1, unique=True))
    if draw(st.booleans()):
        names = list(dict.fromkeys([*REQUIRED_COLUMNS, *names]))
    rows = draw(st.integers(0, 12))
    cells = st.sampled_from(_CELLS) | st.text(max_size=6)
    data = {n: draw(st.lists(cells, min_size=rows, max_size=rows)) for n in names}
    frame = pd.DataFrame(data, columns=names, dtype="str")
    frame.index = pd.Index(np.arange(2, rows + 2, dtype=np.int64), name="row")
    return frame


def _raw(frame: pd.DataFrame):
    from pathlib import Path

    from audit.intake.extract import RawExtract

    return RawExtract(
        frame=frame,
        path=Path("x.csv"),
        headers={c: c for c in frame.columns},
        sheet=None,
        sha256="0" * 64,
    )


def _plain(column: pd.Series) -> pd.Series:
    return column.astype("str") if isinstance(column.dtype, pd.CategoricalDtype) else column


def _reference_checks(today: dt.date) -> dict[str, list[tuple[str, object]]]:
    """The checks as first written: pandas expressions on plain text."""
    limit, earliest = pd.Timestamp(today), pd.Timestamp(schema.EARLIEST_NOTIFICATION_DATE)

    def dates(s):
        return schema.parse_dates(s)

    def father(s):
        age = schema.parse_whole_numbers(s)
        return (s == "") | ((age >= 12) & (age <= 80))

    return {
        "case_id": [
            ("case_id_blank", lambda s: s != ""),
            ("case_id_repeated", lambda s: ~(s.duplicated(keep=False) & (s != ""))),
        ],
        "notification_date": [
            ("bad_date", lambda s: dates(s).notna()),
            ("future_date", lambda s: ~(dates(s) > limit)),
            ("before_panel", lambda s: ~(dates(s) < earliest)),
        ],
        "child_age_months": [("bad_age", lambda s: schema.parse_whole_numbers(s).notna())],
        "harmed_by": [("bad_code", lambda s: s.isin(HARMED_BY_CODES))],
        "father_seen": [("bad_flag", lambda s: s.isin(FLAG_LEVELS))],
        "father_age_at_birth": [("bad_father_age", father)],
    }


@SETTINGS
@given(frame=raw_frames(), categorical=st.booleans())
def test_first_pass_agrees_with_pandera_and_with_the_plain_checks(frame, categorical):
    raw = _raw(as_categorical(frame) if categorical else frame)
    prepared = schema.prepare(raw)
    try:
        schema.case_schema(today=TODAY).validate(prepared, lazy=True)
        clean = True
    except SchemaErrors:
        clean = False
    assert schema.passes(prepared, today=TODAY) is clean
    checks = schema.schema_checks(today=TODAY)
    for column, reference in _reference_checks(TODAY).items():
        if column not in prepared.columns:
            continue
        fast = dict(checks[column])
        for kind, plain in reference:
            got = np.asarray(fast[kind](prepared[column]), dtype=bool)
            want = np.asarray(plain(_plain(prepared[column])), dtype=bool)
            assert got.tolist() == want.tolist(), (column, kind)


@SETTINGS
@given(frame=raw_frames(), blank_rows=st.lists(st.integers(0, 12), max_size=3))
def test_reading_with_categories_gives_the_same_cells(tmp_path, frame, blank_rows):
    lines = [",".join(frame.columns)]
    for i, record in enumerate(frame.itertuples(index=False, name=None)):
        if i in blank_rows:
            lines.append(",".join("" for _ in frame.columns))
        lines.append(",".join('"' + v.replace('"', '""') + '"' for v in record))
    path = tmp_path / "extract.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        plain = read_extract(path)
    except AuditError as exc:
        with pytest.raises(type(exc)):
            read_extract(path, categorical=True)
        return
    fast = read_extract(path, categorical=True)
    assert list(fast.frame.columns) == list(plain.frame.columns)
    assert fast.frame.index.tolist() == plain.frame.index.tolist()
    for column in plain.frame.columns:
        values = fast.frame[column]
        assert _plain(values).tolist() == plain.frame[column].tolist()
        if isinstance(values.dtype, pd.CategoricalDtype):  # no category without a row
            assert sorted(set(values.tolist())) == sorted(values.cat.categories)


def test_a_long_file_reads_its_id_column_as_text_and_the_rest_as_categories(tmp_path):
    rows = 30_000
    ids = [f"C-{i:06d}" for i in range(rows)]
    flags = np.array(["yes", "No", "", "unknown"])[np.arange(rows) % 4]
    path = tmp_path / "long.csv"
    path.write_text(
        "case_id,father_seen\n" + "".join(f"{i},{f}\n" for i, f in zip(ids, flags, strict=True))
    )
    raw = read_extract(path, categorical=True)
    assert raw.frame["case_id"].dtype == "str"
    assert isinstance(raw.frame["father_seen"].dtype, pd.CategoricalDtype)
    assert sorted(raw.frame["father_seen"].cat.categories) == ["", "No", "unknown", "yes"]
    assert raw.frame["case_id"].tolist() == ids
    assert raw.frame["father_seen"].astype("str").tolist() == flags.tolist()


@SETTINGS
@given(values=st.lists(st.sampled_from(_CELLS) | st.text(max_size=5), min_size=1, max_size=30))
def test_clean_text_on_a_long_column_equals_the_plain_clean(values):
    column = pd.Series((values * (1_000 // len(values) + 1))[:1_500], dtype="str")
    assert schema.clean_text(column).tolist() == schema._clean(column).tolist()


@SETTINGS
@given(
    values=st.lists(
        st.sampled_from(
            [
                "943 476 5919",
                "NHS 943-476-5919 x",
                "9434765918",
                "SW1A 1AA",
                "sw1a1aa",
                "at SW1A\u00a01AA",
                "SYN-1",
                "A1",
                "1234567890",
                "",
            ]
        )
        | st.text(max_size=8),
        min_size=1,
        max_size=20,
    )
)
def test_guard_finds_the_same_rows_in_a_long_text_column(values):
    column = pd.Series((values * (10_000 // len(values) + 1))[:10_000], dtype="str")
    as_text = guard._value_masks(column)
    as_categories = guard._value_masks(column.astype("category"))
    for long, short in zip(as_text, as_categories, strict=True):
        assert long.tolist() == short.tolist()


@SETTINGS
@given(
    codes=st.lists(st.integers(-1, 5), max_size=40),
    groups=st.integers(1, 3),
    seed=st.integers(0, 1000),
)
def test_tallies_of_category_codes_equal_row_by_row_counts(codes, groups, seed):
    categories = ["no", "yes", "unknown", "yes ", "maybe", "no"][: 1 + max(codes, default=0)]
    categories = list(dict.fromkeys(categories))
    codes = [min(c, len(categories) - 1) for c in codes]
    column = pd.Series(pd.Categorical.from_codes(codes, categories=categories), name="f")
    spec = metrics._Spec("x", "f", FLAG_LEVELS, (0,), FLAG_LEVELS.index("unknown"))
    group = np.random.default_rng(seed).integers(0, groups, len(codes))
    foreign = any(categories[c] not in FLAG_LEVELS for c in codes if c >= 0)
    if foreign:
        with pytest.raises(ValueError, match="outside the contract's codes"):
            metrics._tally(column, spec, group, groups)
        return
    got = metrics._tally(column, spec, group, groups)
    want = metrics._tally(column.astype(object), spec, group, groups)
    assert got.tolist() == want.tolist()


@SETTINGS
@given(values=st.lists(st.sampled_from([*FLAG_LEVELS, "other"]), max_size=30))
def test_recoding_through_categories_equals_set_categories(values):
    column = pd.Series(values, dtype="str").astype("category")
    want = column.cat.set_categories(list(FLAG_LEVELS))
    got = schema.recode(column, FLAG_LEVELS)
    assert list(got.cat.categories) == list(FLAG_LEVELS)
    assert got.cat.codes.tolist() == want.cat.codes.tolist()


def test_flag_columns_of_the_contract_are_checked_as_flags():
    checks = schema.schema_checks(today=TODAY)
    assert all(kind == "bad_flag" for flag in FLAG_COLUMNS for kind, _ in checks[flag])


def test_a_date_past_2262_is_a_date_in_the_future_not_an_internal_error(write):
    """Nanosecond dates end in 2262; a typing error such as 2999 is still a problem to list."""
    from audit.errors import ValidationError
    from audit.intake.validate import load_extract

    path = write(
        "case_id,notification_date,child_age_months,harmed_by,known_to\n"
        "A,2999-01-01,3,birth_father,none\nB,2024-01-05,3,birth_father,none\n"
    )
    with pytest.raises(ValidationError) as caught:
        load_extract(path, today=TODAY, allow_missing="all")
    (problem,) = caught.value.problems
    assert (problem.row, problem.column) == (2, "notification_date")
    assert "is in the future" in problem.message


@SETTINGS
@given(
    values=st.lists(st.sampled_from(["yes", "No", "", None, "unknown", "é"]), max_size=30),
    rows=st.sampled_from([3, 2_500]),
    encoded=st.booleans(),
)
def test_parquet_read_with_categories_gives_the_same_cells(tmp_path, values, rows, encoded):
    import pyarrow as pa
    import pyarrow.parquet as pq

    flags = (values * (rows // max(len(values), 1) + 1))[:rows] if values else [None] * rows
    flag = pa.array(flags, pa.string())
    table = pa.table(
        {
            "case_id": [f"C-{i}" for i in range(rows)],
            "flag": flag.dictionary_encode() if encoded else flag,
            "age": pa.array([i % 13 for i in range(rows)], pa.int64()),
        }
    )
    path = tmp_path / "extract.parquet"
    pq.write_table(table, path)
    plain, fast = read_extract(path), read_extract(path, categorical=True)
    assert fast.frame.index.tolist() == plain.frame.index.tolist()
    for column in plain.frame.columns:
        assert _plain(fast.frame[column]).tolist() == plain.frame[column].tolist()
