"""Period labels' last days, and the words for a period not yet ended (audit.intake.periods)."""

from __future__ import annotations

from datetime import date

import pytest

from audit.intake.periods import period_end, unfinished_words


@pytest.mark.parametrize(("label", "end"), [
    ("2026-Q1", date(2026, 3, 31)),
    ("2024-Q1", date(2024, 3, 31)),   # a leap year changes February, not March
    ("2026-Q2", date(2026, 6, 30)),
    ("2026-Q3", date(2026, 9, 30)),
    ("2026-Q4", date(2026, 12, 31)),
    (" 2025-q4 ", date(2025, 12, 31)),  # as --period accepts it
    ("2025", date(2025, 12, 31)),
    ("all", None),
    (None, None),
    ("2025-Q5", None),  # in_period refuses it; nothing to say here
])
def test_period_end(label, end) -> None:
    assert period_end(label) == end


def test_a_period_not_yet_ended_is_said_to_be() -> None:
    """A new analyst recorded 2026-Q4 on 7 December 2026 with no word of it (7 Dec 2026)."""
    assert unfinished_words("2026-Q4", date(2026, 12, 7)) == (
        "2026-Q4 had not ended when this was made (7 December 2026; it ends 31 December "
        "2026): cases notified or audited later in it will change its figures.")
    # its last day is still inside it; the day after, nothing to say
    assert unfinished_words("2026-Q4", date(2026, 12, 31)).startswith("2026-Q4 had not ended")
    assert unfinished_words("2026-Q4", date(2027, 1, 1)) == ""
    assert unfinished_words("2026", date(2026, 6, 1)).startswith("2026 had not ended")
    assert unfinished_words("all", date(2026, 6, 1)) == ""
