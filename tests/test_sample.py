"""Tests of the synthetic-data generator (audit.intake.sample) and the bundled samples in data/sample.

Expected values are typed out here from the contract (docs: /work/shared/contract.md), not
imported from the code under test.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from audit.intake.sample import (
    generate_extract,
    generate_national_reconstruction,
    main,
    write_samples,
)

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "data" / "sample"
POOLED = SAMPLE_DIR / "pooled_extract.csv"
NATIONAL = SAMPLE_DIR / "national_review_2021.csv"
WORKBOOK = SAMPLE_DIR / "northbridge_extract.xlsx"
CSV_FILES = ("pooled_extract.csv", "national_review_2021.csv")
ALL_FILES = (*CSV_FILES, "northbridge_extract.xlsx")

REQUIRED = ["case_id", "notification_date", "child_age_months", "harmed_by", "known_to"]
RISK = [
    "domestic_abuse", "father_mental_ill_health", "young_parent", "care_leaver",
    "substance_misuse", "childhood_adversity", "impulsivity", "external_pressures",
    "relationship_problems", "trigger_infant_behaviour",
]
ENGAGEMENT = [
    "father_identified", "father_enquiry_beyond_mother", "father_contacted", "father_seen",
    "father_history_checked", "father_views_recorded", "father_in_assessment",
    "father_in_plan", "father_antenatal_contact", "father_crying_advice",
]
SHARING = ["info_shared_health", "adult_services_linked"]
FLAGS = RISK + ENGAGEMENT + SHARING
OPTIONAL = ["partnership", "father_age_at_birth", "incident_type"]

HARMED_BY = {"birth_father", "stepfather", "mothers_partner", "other_male_carer", "unknown"}
KNOWN_TO = {"none", "universal", "early_help", "child_in_need", "child_protection_plan",
            "unknown"}
INCIDENT = {"death", "serious_harm", "unknown"}
YES = {"y", "yes", "true", "1"}
NO = {"n", "no", "false", "0"}
UNKNOWN = {"", "unknown", "not known"}
PARTNERSHIPS = {"Northbridge", "Eastmere", "Westvale"}


def read_text_csv(path: Path) -> pd.DataFrame:
    """Read a CSV the way an analyst's file arrives: every value as text, blanks as ''."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def level(series: pd.Series) -> pd.Series:
    """yes / no / unknown from any accepted spelling (KeyError-free: others become None)."""
    table = {**dict.fromkeys(YES, "yes"), **dict.fromkeys(NO, "no"),
             **dict.fromkeys(UNKNOWN, "unknown")}
    return series.str.strip().str.lower().map(table)


def rate(series: pd.Series) -> float:
    lv = level(series)
    yes, no = int((lv == "yes").sum()), int((lv == "no").sum())
    return yes / (yes + no)


def unknown_share(series: pd.Series) -> float:
    return float((level(series) == "unknown").mean())


@pytest.fixture(scope="module")
def pooled() -> pd.DataFrame:
    return read_text_csv(POOLED)


@pytest.fixture(scope="module")
def in_scope(pooled: pd.DataFrame) -> pd.DataFrame:
    return pooled[pooled["child_age_months"].astype(int) <= 11]


# --- determinism --------------------------------------------------------------------------

def test_same_seed_same_frame_different_seed_different_frame():
    a = generate_extract(600, seed=7)
    b = generate_extract(600, seed=7)
    c = generate_extract(600, seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    pd.testing.assert_frame_equal(generate_national_reconstruction(3),
                                  generate_national_reconstruction(3))
    assert not generate_national_reconstruction(3).equals(generate_national_reconstruction(4))


def test_write_samples_is_byte_reproducible(tmp_path: Path, clock):
    first = write_samples(tmp_path / "a", seed=11)
    clock.advance(400 * 86400)  # a timestamp leaking into the xlsx would now differ
    second = write_samples(tmp_path / "b", seed=11)
    other = write_samples(tmp_path / "c", seed=12)
    assert [p.name for p in first] == list(ALL_FILES)
    for x, y in zip(first, second):
        assert x.read_bytes() == y.read_bytes(), x.name
    for x, z in zip(first, other):
        assert x.read_bytes() != z.read_bytes(), x.name


def test_committed_samples_equal_what_write_samples_produces(tmp_path: Path):
    written = {p.name: p for p in write_samples(tmp_path)}
    assert set(written) == set(ALL_FILES)
    for name in CSV_FILES:
        assert (SAMPLE_DIR / name).read_bytes() == written[name].read_bytes(), (
            f"data/sample/{name} has drifted: run `python -m audit.intake.sample data/sample`")
    committed = openpyxl.load_workbook(WORKBOOK)
    fresh = openpyxl.load_workbook(written["northbridge_extract.xlsx"])
    assert committed.sheetnames == fresh.sheetnames
    old = [[c.value for c in row] for row in committed.worksheets[0].iter_rows()]
    new = [[c.value for c in row] for row in fresh.worksheets[0].iter_rows()]
    assert old == new


def test_samples_are_small_utf8_with_unix_newlines():
    for name in ALL_FILES:
        path = SAMPLE_DIR / name
        assert path.stat().st_size < 1_000_000, name
    for name in CSV_FILES:
        raw = (SAMPLE_DIR / name).read_bytes()
        raw.decode("utf-8")
        assert b"\r" not in raw
        assert not raw.startswith(b"\xef\xbb\xbf")
        assert raw.endswith(b"\n")


def test_readme_says_synthetic():
    text = (SAMPLE_DIR / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in text
    assert "python -m audit.intake.sample data/sample" in text
    for name in ALL_FILES:
        assert name in text


# --- the national reconstruction ----------------------------------------------------------

@pytest.mark.parametrize("source", ["generated", "committed"])
def test_national_reconstruction_marginals_equal_the_review(source: str):
    frame = (generate_national_reconstruction() if source == "generated"
             else read_text_csv(NATIONAL))
    assert len(frame) == 92
    assert list(frame.columns) == REQUIRED + [
        "domestic_abuse", "father_mental_ill_health", "young_parent", "care_leaver"]
    harmed = frame["harmed_by"].value_counts()
    assert harmed.get("birth_father") == 81
    assert harmed.reindex(["stepfather", "mothers_partner", "other_male_carer"],
                          fill_value=0).sum() == 11
    assert harmed.get("unknown", 0) == 0
    known = frame["known_to"].value_counts().to_dict()
    assert known == {"universal": 45, "early_help": 24, "child_in_need": 12,
                     "child_protection_plan": 11}
    for flag, yes in [("domestic_abuse", 59), ("father_mental_ill_health", 32),
                      ("young_parent", 30), ("care_leaver", 5)]:
        assert frame[flag].value_counts().to_dict() == {"yes": yes, "no": 92 - yes}, flag


def test_national_reconstruction_is_plausible():
    frame = generate_national_reconstruction()
    assert frame["case_id"].is_unique
    dates = pd.to_datetime(frame["notification_date"], format="%Y-%m-%d")
    assert dates.min() >= pd.Timestamp("2018-07-01")
    assert dates.max() <= pd.Timestamp("2020-12-31")
    ages = frame["child_age_months"].astype(int)
    assert ages.between(0, 11).all()
    care_young = ((frame["care_leaver"] == "yes") & (frame["young_parent"] == "yes")).sum()
    assert care_young >= 3  # care leavers are mostly young parents
    assert "partnership" not in frame.columns


# --- the pooled extract -------------------------------------------------------------------

def test_pooled_extract_shape_and_columns(pooled: pd.DataFrame):
    assert 360 <= len(pooled) <= 450
    assert set(pooled.columns) == set(REQUIRED + FLAGS + OPTIONAL)
    assert set(pooled["partnership"]) == PARTNERSHIPS
    assert pooled["case_id"].is_unique
    assert pooled["case_id"].str.fullmatch(r"SYN-(NBR|EMR|WVL)-\d{4}").all()


def test_pooled_extract_dates_cover_at_least_eight_quarters(pooled: pd.DataFrame):
    assert pooled["notification_date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    dates = pd.to_datetime(pooled["notification_date"], format="%Y-%m-%d")
    assert dates.dt.to_period("Q").nunique() >= 8
    for _, group in pooled.groupby("partnership"):
        assert pd.to_datetime(group["notification_date"]).dt.to_period("Q").nunique() >= 8


def test_pooled_extract_values_are_allowed(pooled: pd.DataFrame):
    assert set(pooled["harmed_by"]) <= HARMED_BY
    assert set(pooled["known_to"]) <= KNOWN_TO
    assert set(pooled["incident_type"]) <= INCIDENT
    for flag in FLAGS:
        spellings = set(pooled[flag].str.strip().str.lower())
        assert spellings <= YES | NO | UNKNOWN, (flag, spellings - (YES | NO | UNKNOWN))
    ages = pooled["child_age_months"]
    assert ages.str.fullmatch(r"\d+").all()
    assert ages.astype(int).between(0, 16).all()
    father = pooled["father_age_at_birth"]
    given = father[father != ""]
    assert given.str.fullmatch(r"\d+").all()
    assert given.astype(int).between(12, 80).all()
    assert given.astype(int).between(17, 45).mean() > 0.85
    assert 0.03 < (father == "").mean() < 0.3


def test_pooled_extract_spellings_are_a_realistic_mixture(pooled: pd.DataFrame):
    values = pd.concat([pooled[f] for f in FLAGS])
    assert {"Yes", "Y", "yes"} <= set(values)
    assert {"No", "N", "no"} <= set(values)
    assert {"", "Not known", "unknown"} <= set(values)


def test_pooled_extract_has_out_of_scope_rows_and_unknowns(pooled: pd.DataFrame):
    ages = pooled["child_age_months"].astype(int)
    out = ages >= 12
    assert 1 <= out.sum() <= 30
    assert ages[out].between(12, 16).all()
    assert (pooled["harmed_by"] == "unknown").any()
    assert (pooled["known_to"] == "unknown").any()
    for flag in FLAGS:
        assert unknown_share(pooled[flag]) > 0, flag
    assert unknown_share(pooled["childhood_adversity"]) > 0.10
    assert unknown_share(pooled["father_views_recorded"]) > 0.10
    assert unknown_share(pooled["father_identified"]) < 0.10


def test_pooled_extract_rates_are_plausible(in_scope: pd.DataFrame):
    harmed = in_scope.loc[in_scope["harmed_by"] != "unknown", "harmed_by"]
    assert 0.80 <= (harmed == "birth_father").mean() <= 0.95
    known = in_scope.loc[in_scope["known_to"] != "unknown", "known_to"]
    shares = known.value_counts(normalize=True)
    assert 0.40 <= shares["universal"] <= 0.58
    assert 0.18 <= shares["early_help"] <= 0.34
    assert 0.07 <= shares["child_in_need"] <= 0.20
    assert 0.07 <= shares["child_protection_plan"] <= 0.20
    assert 0.005 <= shares["none"] <= 0.08
    bands = {
        "domestic_abuse": (0.52, 0.78),
        "father_mental_ill_health": (0.25, 0.48),
        "young_parent": (0.22, 0.45),
        "care_leaver": (0.01, 0.12),
        "father_identified": (0.75, 0.94),
        "father_contacted": (0.35, 0.58),
        "father_seen": (0.25, 0.46),
        "father_history_checked": (0.15, 0.35),
        "father_in_assessment": (0.20, 0.42),
        "father_in_plan": (0.10, 0.30),
        "father_antenatal_contact": (0.20, 0.40),
        "father_crying_advice": (0.15, 0.35),
        "info_shared_health": (0.25, 0.45),
        "adult_services_linked": (0.20, 0.45),
    }
    for flag, (lo, hi) in bands.items():
        assert lo <= rate(in_scope[flag]) <= hi, (flag, rate(in_scope[flag]))


def test_engagement_follows_the_funnel_logic(pooled: pd.DataFrame):
    identified = level(pooled["father_identified"])
    contacted = level(pooled["father_contacted"])
    seen = level(pooled["father_seen"])
    assert not ((identified == "no") & (contacted == "yes")).any()
    not_contacted = contacted == "no"
    assert (seen[not_contacted] == "yes").mean() < 0.10
    assert (seen[contacted == "yes"] == "yes").mean() > 0.5


def test_partnerships_differ_for_the_funnel_and_spc_charts(in_scope: pd.DataFrame):
    contact = {p: rate(g["father_contacted"]) for p, g in in_scope.groupby("partnership")}
    assert contact["Westvale"] >= max(contact["Northbridge"], contact["Eastmere"]) + 0.10
    nb = in_scope[in_scope["partnership"] == "Northbridge"]
    quarter = pd.to_datetime(nb["notification_date"]).dt.to_period("Q")
    periods = sorted(quarter.unique())
    early = nb[quarter.isin(periods[: len(periods) // 2])]
    late = nb[quarter.isin(periods[len(periods) // 2:])]
    assert rate(late["father_seen"]) >= rate(early["father_seen"]) + 0.10
    worst = max(PARTNERSHIPS, key=lambda p: np.mean(
        [unknown_share(in_scope.loc[in_scope["partnership"] == p, f]) for f in FLAGS]))
    assert worst == "Eastmere"


def test_nothing_looks_like_an_identifier(pooled: pd.DataFrame):
    name_like = re.compile(r"name|birth_?date|date_of_birth|dob|nhs|post_?code|address|"
                           r"phone|mobile|e_?mail")
    national = read_text_csv(NATIONAL)
    for frame in (pooled, national):
        assert not [c for c in frame.columns if name_like.search(c)]
        cells = pd.concat([frame[c] for c in frame.columns])
        assert not cells.str.contains(r"\d{3}\s?\d{3}\s?\d{4}").any()  # NHS-number shape
        assert not cells.str.contains(r"[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}").any()  # postcode


# --- the workbook -------------------------------------------------------------------------

def test_workbook_is_an_analysts_spreadsheet(pooled: pd.DataFrame):
    wb = openpyxl.load_workbook(WORKBOOK)
    assert wb.sheetnames[0] == "Cases"
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    headers = list(rows[0])
    assert headers[0] == "Case ID"
    assert "Notification Date" in headers
    normalised = [re.sub(r"[^0-9a-z]+", "_", h.strip().lower()).strip("_") for h in headers]
    assert normalised == list(pooled.columns)
    assert all(h != n for h, n in zip(headers, normalised))  # none is already snake_case
    assert wb.properties.created == wb.properties.modified

    nb = pooled[pooled["partnership"] == "Northbridge"].reset_index(drop=True)
    assert len(rows) - 1 == len(nb)
    date_at = normalised.index("notification_date")
    for i, row in enumerate(rows[1:]):
        assert isinstance(row[date_at], dt.datetime)
        assert row[date_at].strftime("%Y-%m-%d") == nb.loc[i, "notification_date"]
        for j, column in enumerate(normalised):
            if column == "notification_date":
                continue
            value = "" if row[j] is None else str(row[j])
            assert value == nb.loc[i, column], (i, column)


# --- the generator's options and speed ----------------------------------------------------

def test_fifty_thousand_rows_quickly():
    started = time.perf_counter()
    frame = generate_extract(50_000, seed=5)
    elapsed = time.perf_counter() - started
    assert len(frame) == 50_000
    assert frame["case_id"].is_unique
    assert elapsed < 10, f"generate_extract(50_000) took {elapsed:.1f}s: not vectorised?"
    assert 0.35 <= rate(frame["father_contacted"]) <= 0.58


def test_options_missingness_scope_partnerships_and_period():
    frame = generate_extract(2_000, seed=3, missingness=False, out_of_scope_share=0.0,
                             partnerships=("Alpha Vale", "Beta Moor"), start="2024-01-01",
                             quarters=8)
    assert set(frame["partnership"]) == {"Alpha Vale", "Beta Moor"}
    assert (frame["child_age_months"].astype(int) <= 11).all()
    for flag in FLAGS:
        assert unknown_share(frame[flag]) == 0, flag
    assert frame["father_age_at_birth"].notna().all()
    assert not (frame[["harmed_by", "known_to", "incident_type"]] == "unknown").any().any()
    dates = pd.to_datetime(frame["notification_date"], format="%Y-%m-%d")
    assert dates.min() >= pd.Timestamp("2024-01-01")
    assert dates.max() <= pd.Timestamp("2025-12-31")
    assert dates.dt.to_period("Q").nunique() == 8
    assert frame["case_id"].is_unique


@pytest.mark.parametrize(("arguments", "message"), [
    ({"start": "2023-05-17"}, "start must be the first day of a month, got '2023-05-17'"),
    ({"partnerships": ("Same", "Same")}, "partnerships must be non-empty, distinct names"),
    ({"n_cases": -1}, "n_cases must not be negative"),
])
def test_bad_arguments_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        generate_extract(**{"n_cases": 10, **arguments})


def test_no_cases_is_an_empty_extract():
    assert len(generate_extract(0)) == 0


def test_module_entry_point_writes_the_files(tmp_path: Path, capsys):
    assert main([str(tmp_path / "out"), "--seed", "2021"]) == 0
    printed = capsys.readouterr().out.split()
    assert [Path(p).name for p in printed] == list(ALL_FILES)
    assert (tmp_path / "out" / "pooled_extract.csv").read_bytes() == POOLED.read_bytes()
