"""audit.intake.stray_dates: a case dated apart from the rest of its return stops the run unless
accepted (issue 21, case 2: a 2025-Q3 return with one case typed 20/08/2024)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd
import pytest

from audit.errors import ValidationError
from audit.intake.pooling import load_returns
from audit.intake.stray_dates import stray_dates
from cli_process import in_process

#: The required columns only: these returns record no measure (each test says --allow-missing).
HEADER = "case_id,notification_date,child_age_months,harmed_by,known_to,partnership"


def cases(dates: list[str]) -> pd.DataFrame:
    """A cases frame as validation types it: index = spreadsheet row (2 onwards)."""
    frame = pd.DataFrame({"notification_date": pd.to_datetime(dates, dayfirst=True)})
    frame.index = pd.RangeIndex(2, 2 + len(dates), name="row")
    return frame


def q3(n: int) -> list[str]:
    """``n`` dates in 2025-Q3 (July to September)."""
    return [f"{1 + i % 28:02d}/{7 + i % 3:02d}/2025" for i in range(n)]


def test_a_year_early_case_in_a_quarters_return_is_found_with_its_row():
    found = stray_dates(cases(q3(4) + ["20/08/2024"] + q3(30)), "carol.xlsx")
    assert [(s.row, s.file) for s in found] == [(6, "carol.xlsx")]
    assert str(found[0]) == (
        "carol.xlsx, row 6, column 'notification_date': 20/08/2024 (2024-Q3) is a year "
        "before the period the rest of this return covers (2025-Q3)"
    )
    assert "--accept-stray-dates" in found[0].problem().message


def test_a_mistyped_month_two_quarters_away_and_a_case_after_are_found():
    found = stray_dates(cases(q3(20) + ["10/03/2025", "02/02/2026"]))
    assert [s.row for s in found] == [22, 23]
    assert "(2025-Q1) is 2 quarters before" in str(found[0])
    assert "(2026-Q1) is 2 quarters after" in str(found[1])


@pytest.mark.parametrize("dates", [
    # ten quarters without a gap (a whole extract, as the bundled sample)
    [f"15/{m:02d}/{y}" for y in (2023, 2024, 2025) for m in range(1, 13)],
    # a neighbouring quarter is not apart (30 June beside a July return)
    q3(20) + ["30/06/2025"],
    # a second period of real size: 6 of 26 cases (more than 10 %) is not a typing slip
    q3(20) + ["15/01/2025"] * 6,
    # one quarter only
    q3(12),
    # a long extract of a small partnership, spread over periods apart: nothing stands out
    ["15/02/2019", "15/03/2019", "15/11/2020", "15/12/2020", "15/08/2022", "15/08/2025"],
])
def test_dates_that_are_not_apart_are_left_alone(dates):
    assert stray_dates(cases(dates)) == []


def test_the_larger_period_is_the_return_and_the_later_wins_a_tie():
    # 10 cases in 2024-Q1, 1 in 2025-Q3: the lone later case is the stray one
    found = stray_dates(cases(["15/02/2024"] * 10 + ["15/08/2025"]))
    assert [s.row for s in found] == [12]
    assert "is 6 quarters after" in str(found[0])
    # a tie between two single cases a year apart: the earlier one is named
    found = stray_dates(cases(["15/08/2024", "15/08/2025"]))
    assert [s.row for s in found] == [2]


def write_return(folder: Path, name: str, dates: list[str]) -> Path:
    rows = [f"{name[:1].upper()}{i:03d},{d},3,birth_father,universal,Northbridge"
            for i, d in enumerate(dates)]
    path = folder / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_pooled_returns_name_the_file_and_stop_unless_accepted(tmp_path: Path):
    write_return(tmp_path, "alice.csv", q3(12))
    write_return(tmp_path, "carol.csv", q3(4) + ["20/08/2024"] + q3(8))
    with pytest.raises(ValidationError, match="1 case dated apart") as info:
        load_returns([tmp_path], allow_missing="all")
    assert [(p.file, p.row, p.column) for p in info.value.problems] == [
        ("carol.csv", 6, "notification_date")]
    accepted = load_returns([tmp_path], allow_missing="all", accept_stray_dates=True)
    assert len(accepted.cases) == 25
    assert [(s.file, s.row) for s in accepted.stray_dates] == [("carol.csv", 6)]


def audit(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The command in this process (tests/cli_process.py)."""
    return in_process(list(args), cwd=cwd)


def test_validate_says_so_through_the_command_line(tmp_path: Path):
    path = write_return(tmp_path, "carol.csv", q3(4) + ["20/08/2024"] + q3(30))
    refused = audit("validate", path, "--allow-missing", "all")
    assert refused.returncode == 2 and refused.stdout == ""
    assert ("row 6, column 'notification_date': 20/08/2024 (2024-Q3) is a year before the "
            "period the rest of this return covers (2025-Q3)") in refused.stderr
    assert "--accept-stray-dates" in refused.stderr
    accepted = audit("validate", path, "--allow-missing", "all", "--accept-stray-dates")
    assert accepted.returncode == 0, accepted.stderr
    assert "dates accepted apart from their return (1, --accept-stray-dates)" in accepted.stdout
    assert "row 6" in accepted.stdout


# ------------------------- a lone case beside the return's quarter (analyst 2's report, A2)


def test_a_lone_case_in_the_next_quarter_is_a_warning_naming_its_row():
    """31 cases in 2025-Q3 and 03/10/2025 at row 4: not a stop (a case notified just after
    the quarter can be real) but a warning, with its row and column."""
    from audit.intake.stray_dates import lone_dates

    frame = cases(q3(2) + ["03/10/2025"] + q3(29))
    assert stray_dates(frame) == []
    (found,) = lone_dates(frame)
    assert (found.row, found.column) == (4, "notification_date")
    assert found.message == (
        "03/10/2025 (2025-Q4) is the only case of this return outside 2025-Q3, where the "
        "other 31 fall: if it belongs with them, correct the date at source (a mistyped day "
        "or month?); a run for 2025-Q3 leaves it out")


def test_a_day_and_month_swapped_is_suggested_when_the_swap_lands_in_the_quarter():
    from audit.intake.stray_dates import lone_dates

    (found,) = lone_dates(cases(q3(20) + ["08/10/2025"]))  # 10 August, typed the US way
    assert found.row == 22
    assert "(day and month swapped? 10/08/2025 is in 2025-Q3)" in found.message


def test_a_lone_case_no_longer_widens_the_period_a_stray_is_measured_from():
    """Before: 'the period the rest of this return covers (2025-Q3 to 2025-Q4)'."""
    from audit.intake.stray_dates import lone_dates

    frame = cases(q3(30) + ["20/08/2024", "03/10/2025"])
    (stray,) = stray_dates(frame)
    assert stray.row == 32
    assert stray.finding == ("20/08/2024 (2024-Q3) is a year before the period the rest of "
                             "this return covers (2025-Q3)")
    assert [p.row for p in lone_dates(frame)] == [33]


@pytest.mark.parametrize("dates", [
    [f"15/{m:02d}/{y}" for y in (2023, 2024, 2025) for m in range(1, 13)],  # a whole extract
    q3(20) + ["15/10/2025"] * 3,   # 3 of 23 in 2025-Q4: more than 10 %, a period of its own
    q3(12),
])
def test_no_lone_case_when_the_return_spreads_over_its_quarters(dates):
    from audit.intake.stray_dates import lone_dates

    assert lone_dates(cases(dates)) == []


def test_validate_warns_of_a_lone_case_and_still_passes(tmp_path: Path):
    path = write_return(tmp_path, "carol.csv", q3(2) + ["3/10/2025"] + q3(15))
    done = in_process(["validate", str(path), "--allow-missing", "all"])
    assert done.returncode == 0, done.stderr
    assert ("warning: row 4, column 'notification_date': 03/10/2025 (2025-Q4) is the only "
            "case of this return outside 2025-Q3, where the other 17 fall") in done.stdout
