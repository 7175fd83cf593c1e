"""Seeded synthetic case extracts: the bundled samples, test fixtures and benchmark input.

Everything this module produces is **synthetic**. No row describes a real child, family or
case: case ids are ``SYN-...`` references, the partnerships (Northbridge, Eastmere,
Westvale) are fictional, and every value is drawn from a seeded random generator.

Three entry points:

``generate_extract(n_cases, seed=...)``
    A pooled extract as partnership analysts would export it (text values as in a CSV,
    a realistic mixture of flag spellings, blanks and "Not known"), with rates near the
    national review's and the patterns later charts need: one partnership noticeably better
    at contacting fathers (funnel plot), one improving at seeing them (SPC chart), one with
    poorer recording (data quality), and a few out-of-scope rows (babies aged 12-16 months).
    Vectorised with numpy: a million rows take a few seconds.

``generate_national_reconstruction(seed=...)``
    92 synthetic cases whose marginal counts equal every figure "The Myth of Invisible Men"
    (Child Safeguarding Practice Review Panel, 2021) published. Only the marginals are real;
    the joint distribution (which case had which combination) is invented.

``write_samples(out_dir, seed=...)``
    Writes the bundled files of ``data/sample/``; byte-identical for the same seed.

Regenerate the bundled samples with ``python -m audit.intake.sample data/sample`` (or
``audit sample --out data/sample``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from audit.contract import (
    ANOTHER_MALE_CARER_CODES,
    FLAG_COLUMNS,
    FLAG_SPELLINGS,
    HARMED_BY_CODES,
    INCIDENT_TYPE_CODES,
    KNOWN_COLUMNS,
    KNOWN_TO_CODES,
    MAX_IN_SCOPE_AGE_MONTHS,
    REQUIRED_COLUMNS,
    RISK_FLAGS,
    normalise_column_name,
)

__all__ = [
    "DEFAULT_PARTNERSHIPS",
    "DEFAULT_SEED",
    "POOLED_SAMPLE_CASES",
    "NATIONAL_CASES",
    "SAMPLE_FILES",
    "generate_extract",
    "generate_national_reconstruction",
    "write_samples",
    "main",
]

DEFAULT_SEED = 2021
#: Fictional partnerships (none is the name of an English local authority or partnership).
DEFAULT_PARTNERSHIPS: tuple[str, ...] = ("Northbridge", "Eastmere", "Westvale")
#: Cases in the bundled pooled extract.
POOLED_SAMPLE_CASES = 420
#: Serious incident notifications the national review analysed.
NATIONAL_CASES = 92
#: File names ``write_samples`` writes, in the order it returns them.
SAMPLE_FILES: tuple[str, ...] = (
    "pooled_extract.csv",
    "national_review_2021.csv",
    "northbridge_extract.xlsx",
)

_ID_PREFIX = "SYN"
_KNOWN_PARTNERSHIP_CODES = {"Northbridge": "NBR", "Eastmere": "EMR", "Westvale": "WVL"}

#: Column order of a generated extract, as an analyst's export might lay it out.
_EXTRACT_COLUMNS: tuple[str, ...] = (
    "case_id",
    "partnership",
    "notification_date",
    "child_age_months",
    "incident_type",
    "harmed_by",
    "father_age_at_birth",
    "known_to",
    *FLAG_COLUMNS,
)

# --- flag spellings ------------------------------------------------------------------------
# Each partnership's case-management system exports flags its own way. A style gives, for
# yes / no / unknown, up to three spellings and their probabilities.
_YES, _NO, _UNK = 0, 1, 2
_FLAG_STYLES: tuple[tuple[tuple[tuple[str, float], ...], ...], ...] = (
    # spreadsheet kept by hand: mostly Yes/No, a few Y/N, blanks and "Not known"
    (
        (("Yes", 0.96), ("Y", 0.03), ("yes", 0.01)),
        (("No", 0.96), ("N", 0.03), ("no", 0.01)),
        (("", 0.55), ("Not known", 0.45)),
    ),
    # system export: Y / N / blank
    ((("Y", 1.0),), (("N", 1.0),), (("", 0.9), ("Not known", 0.1))),
    # rapid-review log: lower case words
    ((("yes", 0.97), ("Yes", 0.03)), (("no", 0.97), ("No", 0.03)), (("unknown", 0.7), ("", 0.3))),
)

# --- the synthetic world: rates and dependencies ---------------------------------------------
# harmed_by, in HARMED_BY_CODES order (birth_father ~88% of known; national 81/92).
_HARMED_BY_P = (0.872, 0.04, 0.058, 0.02, 0.01)
# known_to, in KNOWN_TO_CODES order (national 45/24/12/11 of 92, plus a few "none").
_KNOWN_TO_P = (0.03, 0.467, 0.25, 0.125, 0.113, 0.015)
# incident_type, in INCIDENT_TYPE_CODES order.
_INCIDENT_P = (0.22, 0.76, 0.02)

#: Base share recorded as unknown, by column (multiplied by the partnership's recording factor).
_UNKNOWN_SHARE: dict[str, float] = {
    "domestic_abuse": 0.04,
    "father_mental_ill_health": 0.09,
    "young_parent": 0.05,
    "care_leaver": 0.07,
    "substance_misuse": 0.08,
    "childhood_adversity": 0.22,
    "impulsivity": 0.13,
    "external_pressures": 0.10,
    "relationship_problems": 0.06,
    "trigger_infant_behaviour": 0.16,
    "father_identified": 0.02,
    "father_enquiry_beyond_mother": 0.07,
    "father_contacted": 0.03,
    "father_seen": 0.04,
    "father_history_checked": 0.08,
    "father_views_recorded": 0.14,
    "father_in_assessment": 0.05,
    "father_in_plan": 0.07,
    "father_antenatal_contact": 0.09,
    "father_crying_advice": 0.12,
    "info_shared_health": 0.06,
    "adult_services_linked": 0.11,
    "father_age_at_birth": 0.10,
}

# Partnership roles (by position in ``partnerships``): the first improves at seeing fathers
# over the period, the second records less well, the third is better at contacting fathers.
_SIZE_WEIGHTS = (0.38, 0.34, 0.28)
#: P(contacted | identified) by partnership position; the third is the better one.
_CONTACT_GIVEN_IDENTIFIED = (0.55, 0.45, 0.72)
_CONTACT_GIVEN_IDENTIFIED_OTHER = 0.47
_SEEN_GIVEN_CONTACTED = 0.72
_SEEN_TREND = (0.25, 1.0)  # first partnership: P(seen | contacted), first -> last quarter
_POOR_RECORDING_FACTOR = 1.6

# Ages: non-accidental injuries concentrate in the first months of life.
_AGE_DECAY_MONTHS = 4.0
_OUT_OF_SCOPE_AGES = (12, 16)

# National reconstruction: the review's published counts (contract.md), denominator 92.
_NATIONAL_HARMED_BY = {
    "birth_father": 81,
    "stepfather": 3,
    "mothers_partner": 6,
    "other_male_carer": 2,
}
_NATIONAL_KNOWN_TO = {
    "universal": 45,
    "early_help": 24,
    "child_in_need": 12,
    "child_protection_plan": 11,
}
_NATIONAL_FLAGS = {
    "domestic_abuse": 59,
    "father_mental_ill_health": 32,
    "young_parent": 30,
    "care_leaver": 5,
}
_NATIONAL_CARE_LEAVERS_YOUNG = 4  # of the 5 care leavers, how many were young parents
_NATIONAL_PERIOD = ("2018-07-01", "2020-12-31")

# Fixed metadata so the workbook is byte-reproducible.
_WORKBOOK_TIMESTAMP = dt.datetime(2021, 9, 16, 0, 0, 0)
_ZIP_DATE_TIME = (2021, 9, 16, 0, 0, 0)


# --- helpers --------------------------------------------------------------------------------


def _check_vocabulary() -> None:
    """Fail at import if a name or spelling here strays from the contract."""
    assert set(_EXTRACT_COLUMNS) == set(KNOWN_COLUMNS)
    assert set(_UNKNOWN_SHARE) == set(FLAG_COLUMNS) | {"father_age_at_birth"}
    assert set(_NATIONAL_HARMED_BY) == {"birth_father", *ANOTHER_MALE_CARER_CODES}
    assert set(_NATIONAL_KNOWN_TO) <= set(KNOWN_TO_CODES)
    assert set(_NATIONAL_FLAGS) <= set(RISK_FLAGS)
    assert len(_HARMED_BY_P) == len(HARMED_BY_CODES) and HARMED_BY_CODES[-1] == "unknown"
    assert len(_KNOWN_TO_P) == len(KNOWN_TO_CODES) and KNOWN_TO_CODES[-1] == "unknown"
    assert len(_INCIDENT_P) == len(INCIDENT_TYPE_CODES) and INCIDENT_TYPE_CODES[-1] == "unknown"
    for style in _FLAG_STYLES:
        for level, options in zip((_YES, _NO, _UNK), style):
            expected = ("yes", "no", "unknown")[level]
            for spelling, _ in options:
                if FLAG_SPELLINGS.get(spelling.strip().lower()) != expected:
                    raise AssertionError(f"flag spelling {spelling!r} does not mean {expected}")


_check_vocabulary()


def _partnership_codes(names: Sequence[str]) -> list[str]:
    """Three-letter case-id codes: NBR for Northbridge, else the first letters, kept unique."""
    codes: list[str] = []
    for i, name in enumerate(names):
        code = _KNOWN_PARTNERSHIP_CODES.get(name)
        if code is None:
            letters = "".join(ch for ch in name.upper() if ch.isascii() and ch.isalpha())
            code = letters[:3]
        if len(code) < 3 or code in codes:
            code = f"P{i + 1:02d}"
        codes.append(code)
    return codes


def _text(values: Sequence[str] | np.ndarray, index: np.ndarray) -> pd.Series:
    """A text column from a small vocabulary and an index array, fast for a million rows.

    Arrow's ``take`` does the lookup in C++: a million rows in milliseconds, where
    converting Python strings would take a tenth of a second a column.
    """
    vocab = pa.array([str(v) for v in values], type=pa.large_string())
    taken = pc.take(vocab, pa.array(np.asarray(index, dtype=np.int32)))
    return pd.Series(pd.array(taken, dtype="str"))


def _levels(yes: np.ndarray) -> np.ndarray:
    """yes/no levels (0/1) from a boolean array."""
    return np.where(yes, _YES, _NO).astype(np.int8)


def _spell(rng: np.random.Generator, levels: np.ndarray, style: np.ndarray) -> pd.Series:
    """Turn yes/no/unknown levels into each row's partnership's spellings."""
    vocab: list[str] = []
    table = np.zeros((len(_FLAG_STYLES), 3, 3), dtype=np.int16)  # style, level, variant
    cum = np.ones((len(_FLAG_STYLES), 3, 2))  # cumulative probability of variants 0 and 1
    for s, style_spec in enumerate(_FLAG_STYLES):
        for lvl, options in enumerate(style_spec):
            padded = list(options) + [(options[-1][0], 0.0)] * (3 - len(options))
            for v, (spelling, _) in enumerate(padded):
                if spelling not in vocab:
                    vocab.append(spelling)
                table[s, lvl, v] = vocab.index(spelling)
            cum[s, lvl] = np.minimum(np.cumsum([p for _, p in padded])[:2], 1.0)
            if len(options) <= 2:
                cum[s, lvl, len(options) - 1] = 1.0
    u = rng.random(levels.shape[0])
    combo = style * 3 + levels
    variant = (u >= cum[..., 0].ravel()[combo]).astype(np.int8) + (
        u >= cum[..., 1].ravel()[combo]
    ).astype(np.int8)
    return _text(vocab, table.reshape(-1, 3)[combo, variant])


def _month_start(text: str) -> np.datetime64:
    day = np.datetime64(text, "D")
    if day != np.datetime64(text, "M").astype("datetime64[D]"):
        raise ValueError(f"start must be the first day of a month, got {text!r}")
    month = int(text[5:7])
    if (month - 1) % 3:
        raise ValueError(
            f"start must open a calendar quarter (1 Jan, Apr, Jul or Oct), got {text!r}"
        )
    return np.datetime64(text, "M")


def _age_months(rng: np.random.Generator, n: int, out_of_scope_share: float) -> np.ndarray:
    months = np.arange(MAX_IN_SCOPE_AGE_MONTHS + 1)
    weights = np.exp(-months / _AGE_DECAY_MONTHS)
    ages = rng.choice(months, size=n, p=weights / weights.sum())
    out = rng.random(n) < out_of_scope_share
    lo, hi = _OUT_OF_SCOPE_AGES
    ages[out] = rng.integers(lo, hi + 1, size=int(out.sum()))
    return ages.astype(np.int64)


# --- the pooled extract ---------------------------------------------------------------------


def generate_extract(
    n_cases: int,
    *,
    seed: int = DEFAULT_SEED,
    partnerships: Sequence[str] = DEFAULT_PARTNERSHIPS,
    start: str = "2023-04-01",
    quarters: int = 10,
    missingness: bool = True,
    out_of_scope_share: float = 0.03,
) -> pd.DataFrame:
    """Generate a synthetic pooled case extract, one row a case, as an analyst exports it.

    Parameters
    ----------
    n_cases:
        Number of rows (cases), shared between the partnerships unevenly (38/34/28% for
        three; the shares repeat for more).
    seed:
        Seed for :func:`numpy.random.default_rng`; the same arguments give the same frame.
    partnerships:
        Fictional partnership names. Roles by position: the first improves at *seeing*
        fathers over the period, the second records less well (more unknowns), the third is
        better at *contacting* fathers.
    start:
        First day of the first calendar quarter (``YYYY-MM-01`` with month 1, 4, 7 or 10).
    quarters:
        Number of consecutive calendar quarters notifications are spread over.
    missingness:
        If true, flags, father's age and codes are sometimes blank / unknown, as in real
        extracts; if false, every value is recorded.
    out_of_scope_share:
        Share of rows about babies aged 12-16 months (out of scope; the audit excludes them).

    Returns
    -------
    pandas.DataFrame
        Columns: ``case_id``, ``partnership``, ``notification_date`` (``YYYY-MM-DD`` text),
        ``child_age_months`` (int64), ``incident_type``, ``harmed_by``,
        ``father_age_at_birth`` (nullable Int64), ``known_to`` and every flag column of the
        contract as text in the partnership's own spelling (``Yes``/``Y``/``yes``, blank,
        ``Not known``...). Rows are ordered by partnership, then notification date; case ids
        (``SYN-NBR-0001``...) number each partnership's cases in date order.

    Long on purpose (over 80 lines): one seeded random stream, drawn in a fixed order
    (who and when, the baby, the risk factors, the father, engagement, sharing); split, that
    order would be spread over functions, and any change to it changes every sample.
    """
    n = int(n_cases)
    if n < 0:
        raise ValueError("n_cases must not be negative")
    names = [str(p) for p in partnerships]
    if not names or len(set(names)) != len(names) or any(not p.strip() for p in names):
        raise ValueError("partnerships must be non-empty, distinct names")
    if quarters < 1:
        raise ValueError("quarters must be at least 1")
    if not 0.0 <= out_of_scope_share < 1.0:
        raise ValueError("out_of_scope_share must be in [0, 1)")
    first_month = _month_start(start)

    rng = np.random.default_rng(seed)
    k = len(names)
    miss = 1.0 if missingness else 0.0

    # Who and when. Sort first so every later draw is already in output order.
    size_w = np.array([_SIZE_WEIGHTS[i % len(_SIZE_WEIGHTS)] for i in range(k)])
    part = rng.choice(k, size=n, p=size_w / size_w.sum())
    quarter = rng.integers(0, quarters, size=n)
    bounds = (first_month + 3 * np.arange(quarters + 1)).astype("datetime64[D]")
    q_len = np.diff(bounds).astype(np.int64)
    day = (bounds[:-1] - bounds[0]).astype(np.int64)[quarter]
    day += np.floor(rng.random(n) * q_len[quarter]).astype(np.int64)
    order = np.lexsort((rng.random(n), day, part))
    part, quarter, day = part[order], quarter[order], day[order]
    trend = quarter / (quarters - 1) if quarters > 1 else np.zeros(n)

    starts = np.searchsorted(part, np.arange(k))
    counts = np.bincount(part, minlength=k)
    number = np.arange(n) - starts[part] + 1
    width = max(4, len(str(int(counts.max())))) if n else 4
    codes = [f"{_ID_PREFIX}-{c}-" for c in _partnership_codes(names)]
    case_id = _text(codes, part) + pd.Series(number, dtype="int64").astype("str").str.zfill(width)

    all_days = np.datetime_as_string(np.arange(bounds[0], bounds[-1]), unit="D")
    notification_date = _text(all_days, day)

    # Partnership characteristics.
    style = (np.arange(k) % len(_FLAG_STYLES))[part]
    recording = np.ones(k)
    if k >= 2:
        recording[1] = _POOR_RECORDING_FACTOR
    contact_p = np.array(
        [
            _CONTACT_GIVEN_IDENTIFIED[i]
            if i < len(_CONTACT_GIVEN_IDENTIFIED)
            else _CONTACT_GIVEN_IDENTIFIED_OTHER
            for i in range(k)
        ]
    )
    rec = recording[part]

    def unknown_mask(column: str) -> np.ndarray:
        return rng.random(n) < _UNKNOWN_SHARE[column] * rec * miss

    def bern(p: float | np.ndarray) -> np.ndarray:
        return rng.random(n) < p

    # The baby and the incident.
    age = _age_months(rng, n, out_of_scope_share)
    inc_p = np.array(_INCIDENT_P)
    if not missingness:
        inc_p[-1] = 0.0
    incident = rng.choice(len(INCIDENT_TYPE_CODES), size=n, p=inc_p / inc_p.sum())
    hb_p = np.array(_HARMED_BY_P)
    kt_p = np.array(_KNOWN_TO_P)
    if not missingness:
        hb_p[-1] = kt_p[-1] = 0.0
    harmed_by = rng.choice(len(HARMED_BY_CODES), size=n, p=hb_p / hb_p.sum())
    known_to = rng.choice(len(KNOWN_TO_CODES), size=n, p=kt_p / kt_p.sum())

    # Risk factors (true values), with plausible dependencies.
    da_p = np.array([0.45, 0.55, 0.70, 0.78, 0.82, 0.64])  # by known_to code
    da = bern(da_p[known_to])
    mh = bern(0.35)
    young = bern(0.33)
    care = bern(np.where(young, 0.11, 0.022))
    substance = bern(np.where(da, 0.45, 0.26))
    adversity = bern(np.where(care, 0.9, 0.48))
    impulsive = bern(np.where(da, 0.52, 0.33))
    external = bern(0.55)
    relationship = bern(np.where(da, 0.75, 0.40))
    trigger = bern(0.42)

    # Father's age at the birth: young parents 16-21, others around 31, a few older.
    older = rng.normal(31.0, 6.5, size=n)
    older = np.where(bern(0.01), rng.integers(46, 61, size=n), older)
    father_age = np.where(
        young, rng.integers(16, 22, size=n), np.clip(np.rint(older), 22, 64)
    ).astype(np.int64)
    age_blank = unknown_mask("father_age_at_birth")

    # Father engagement: the review's funnel, each step depending on the one before.
    identified = bern(0.85)
    enquiry = identified & bern(0.35)
    contacted = identified & bern(contact_p[part])
    seen_p = np.full(n, _SEEN_GIVEN_CONTACTED)
    first = part == 0
    lo, hi = _SEEN_TREND
    seen_p[first] = lo + (hi - lo) * trend[first]
    seen = np.where(contacted, bern(seen_p), bern(0.03))
    history = identified & bern(np.where(seen, 0.5, np.where(contacted, 0.25, 0.13)))
    views = bern(np.where(seen, 0.55, np.where(contacted, 0.10, 0.0)))
    assessment = identified & bern(np.where(seen, 0.6, np.where(contacted, 0.3, 0.15)))
    plan = bern(np.where(assessment, 0.55, np.where(identified, 0.05, 0.0)))
    antenatal = identified & bern(np.where(contacted, 0.45, 0.22))
    crying = bern(np.where(antenatal, 0.55, np.where(identified, 0.12, 0.05)))

    # Information sharing: low, better where services were more involved.
    health_p = np.array([0.15, 0.28, 0.38, 0.45, 0.55, 0.30])
    shared_health = bern(health_p[known_to])
    adult_linked = bern(np.where(mh | substance, 0.40, 0.22))

    truth: dict[str, np.ndarray] = {
        "domestic_abuse": da,
        "father_mental_ill_health": mh,
        "young_parent": young,
        "care_leaver": care,
        "substance_misuse": substance,
        "childhood_adversity": adversity,
        "impulsivity": impulsive,
        "external_pressures": external,
        "relationship_problems": relationship,
        "trigger_infant_behaviour": trigger,
        "father_identified": identified,
        "father_enquiry_beyond_mother": enquiry,
        "father_contacted": contacted,
        "father_seen": seen,
        "father_history_checked": history,
        "father_views_recorded": views,
        "father_in_assessment": assessment,
        "father_in_plan": plan,
        "father_antenatal_contact": antenatal,
        "father_crying_advice": crying,
        "info_shared_health": shared_health,
        "adult_services_linked": adult_linked,
    }
    assert set(truth) == set(FLAG_COLUMNS)

    columns: dict[str, pd.Series] = {
        "case_id": case_id,
        "partnership": _text(names, part),
        "notification_date": notification_date,
        "child_age_months": pd.Series(age, dtype="int64"),
        "incident_type": _text(INCIDENT_TYPE_CODES, incident),
        "harmed_by": _text(HARMED_BY_CODES, harmed_by),
        "father_age_at_birth": pd.Series(pd.array(father_age, dtype="Int64")).mask(age_blank),
        "known_to": _text(KNOWN_TO_CODES, known_to),
    }
    for flag in FLAG_COLUMNS:
        levels = _levels(truth[flag])
        levels[unknown_mask(flag)] = _UNK
        columns[flag] = _spell(rng, levels, style)

    frame = pd.DataFrame({name: columns[name].reset_index(drop=True) for name in _EXTRACT_COLUMNS})
    return frame


# --- the national reconstruction ------------------------------------------------------------


def generate_national_reconstruction(seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """92 synthetic cases whose marginal counts equal the national review's published figures.

    harmed_by: 81 birth fathers, 11 other male carers (3 stepfathers, 6 mothers' partners,
    2 other male carers); known_to: 45 universal, 24 Early Help, 12 child in need, 11 child
    protection plan; domestic abuse 59, father's mental ill health 32, young parent 30, care
    leaver 5 (four of them young parents). Only these columns are included, so no invented
    "national" rate exists for anything the review did not publish. Which case has which
    combination is invented; only the marginals are the review's.
    """
    rng = np.random.default_rng(seed)
    n = NATIONAL_CASES

    lo, hi = (np.datetime64(d, "D") for d in _NATIONAL_PERIOD)
    days = np.sort(rng.integers(0, int((hi - lo).astype(np.int64)) + 1, size=n))
    dates = np.datetime_as_string(lo + days, unit="D")
    ages = _age_months(rng, n, 0.0)

    def repeated(counts: dict[str, int]) -> np.ndarray:
        values = np.repeat(np.array(list(counts), dtype=object), list(counts.values()))
        assert len(values) == n
        return rng.permutation(values)

    harmed_by = repeated(_NATIONAL_HARMED_BY)
    known_to = repeated(_NATIONAL_KNOWN_TO)

    def pick(
        count: int, weights: np.ndarray | None = None, among: np.ndarray | None = None
    ) -> np.ndarray:
        pool = np.arange(n) if among is None else np.flatnonzero(among)
        p = None if weights is None else weights[pool] / weights[pool].sum()
        chosen = rng.choice(pool, size=count, replace=False, p=p)
        flag = np.zeros(n, dtype=bool)
        flag[chosen] = True
        return flag

    da_weight = (
        pd.Series(known_to)
        .map(
            {
                "universal": 1.0,
                "early_help": 1.3,
                "child_in_need": 1.6,
                "child_protection_plan": 1.6,
            }
        )
        .to_numpy(dtype=float)
    )
    da = pick(_NATIONAL_FLAGS["domestic_abuse"], da_weight)
    mh = pick(_NATIONAL_FLAGS["father_mental_ill_health"])
    young = pick(_NATIONAL_FLAGS["young_parent"])
    care = pick(_NATIONAL_CARE_LEAVERS_YOUNG, among=young) | pick(
        _NATIONAL_FLAGS["care_leaver"] - _NATIONAL_CARE_LEAVERS_YOUNG, among=~young
    )

    yes_no = np.array(["no", "yes"], dtype=object)
    frame = pd.DataFrame(
        {
            "case_id": pd.Series(
                [f"{_ID_PREFIX}-NAT-{i:04d}" for i in range(1, n + 1)], dtype="str"
            ),
            "notification_date": pd.Series(dates.astype(object), dtype="str"),
            "child_age_months": pd.Series(ages, dtype="int64"),
            "harmed_by": pd.Series(harmed_by, dtype="str"),
            "known_to": pd.Series(known_to, dtype="str"),
            "domestic_abuse": _text(yes_no, da.astype(int)),
            "father_mental_ill_health": _text(yes_no, mh.astype(int)),
            "young_parent": _text(yes_no, young.astype(int)),
            "care_leaver": _text(yes_no, care.astype(int)),
        }
    )
    assert tuple(frame.columns[: len(REQUIRED_COLUMNS)]) == REQUIRED_COLUMNS
    return frame


# --- writing the bundled samples ------------------------------------------------------------


def _title_header(column: str) -> str:
    """An analyst's spreadsheet header: ``case_id`` -> ``Case ID``."""
    special = {"case_id": "Case ID", "child_age_months": "Child Age (Months)"}
    header = special.get(column) or " ".join(w.capitalize() for w in column.split("_"))
    assert normalise_column_name(header) == column, (header, column)
    return header


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    text = frame.to_csv(index=False, lineterminator="\n")
    path.write_bytes(text.encode("utf-8"))


def _write_xlsx(frame: pd.DataFrame, path: Path, *, title: str) -> None:
    """Write ``frame`` as an analyst's workbook: sheet "Cases", Title Case headers, real dates."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook()
    ws = wb.active
    ws.title = "Cases"
    headers = [_title_header(c) for c in frame.columns]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)

    date_col = list(frame.columns).index("notification_date")
    records = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
    for record in records:
        row = [None if v == "" else v for v in record]
        date_text = row[date_col]
        assert isinstance(date_text, str), "generated notification dates are ISO text"
        row[date_col] = dt.date.fromisoformat(date_text)
        ws.append(row)
    for (cell,) in ws.iter_rows(min_row=2, min_col=date_col + 1, max_col=date_col + 1):
        cell.number_format = "dd/mm/yyyy"
    for i, header in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(10, len(header) + 2)
    ws.freeze_panes = "A2"

    props = wb.properties
    props.creator = "audit.sample (synthetic data)"
    props.lastModifiedBy = "audit.sample (synthetic data)"
    props.title = title
    props.description = (
        "SYNTHETIC data generated by audit.sample; no row describes a real child, family or case."
    )
    props.created = _WORKBOOK_TIMESTAMP
    props.modified = _WORKBOOK_TIMESTAMP

    # ExcelWriter directly: openpyxl's save() stamps "modified" with the current time.
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    # Re-pack with fixed entry timestamps so the bytes depend on the content only.
    fixed = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src,
        zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    path.write_bytes(fixed.getvalue())


def write_samples(out_dir: str | Path, *, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write the bundled synthetic samples into ``out_dir`` and return their paths.

    - ``pooled_extract.csv``: :data:`POOLED_SAMPLE_CASES` cases from three fictional
      partnerships over ten quarters (UTF-8, ``\\n`` line endings).
    - ``national_review_2021.csv``: the 92-case reconstruction of the national review.
    - ``northbridge_extract.xlsx``: Northbridge's rows of the pooled extract as an analyst's
      workbook (sheet "Cases", Title Case headers such as "Case ID", real Excel dates).

    The same seed writes byte-identical files.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pooled = generate_extract(POOLED_SAMPLE_CASES, seed=seed)
    national = generate_national_reconstruction(seed=seed)
    northbridge = pooled[pooled["partnership"] == DEFAULT_PARTNERSHIPS[0]].reset_index(drop=True)

    paths = [out / name for name in SAMPLE_FILES]
    _write_csv(pooled, paths[0])
    _write_csv(national, paths[1])
    _write_xlsx(
        northbridge, paths[2], title="Synthetic case extract: Northbridge (fictional partnership)"
    )
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m audit.intake.sample OUT_DIR [--seed N]``: write the synthetic samples."""
    parser = argparse.ArgumentParser(
        prog="python -m audit.intake.sample",
        description="Write the bundled SYNTHETIC sample extracts (no real cases).",
    )
    parser.add_argument("out_dir", help="directory to write into (created if missing)")
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )
    args = parser.parse_args(argv)
    for path in write_samples(args.out_dir, seed=args.seed):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
