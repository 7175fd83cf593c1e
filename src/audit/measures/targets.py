"""Targets the partnership board set: the only standard a pack may hold a figure against.

Nobody publishes an "expected level" for how often services identify, contact or see a
father, so the pack invents none (issue 20: a draft action once said "below the expected
level (50.0%)", which a board reads as a national standard). A figure is called "below
target" only against a target the board agreed, given to ``audit run --targets FILE``: a
CSV or Excel sheet, one row a measure, with the columns

===============  ======================================================================
``measure``      the practice measure: its metric id (``engagement.seen``), contract
                 column (``father_seen``) or the form's label ("Father seen")
``target``       the share the board wants, as ``60%``, ``0.6`` or ``60``
``agreed_by``    who agreed it ("Partnership board")
``agreed_on``    when (``12/09/2025`` or ``2025-09-12``)
===============  ======================================================================

Targets are for practice measures (father engagement and information sharing, where more
is better); a risk factor is not a target. Every problem of the file is listed at once with
its row and column (:class:`~audit.errors.ValidationError`). The pack shows each target
beside its measure's action with who agreed it and when.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from audit.contract import FLAG_COLUMNS, flag_metric_id, match_header, metric_label
from audit.errors import Problem, ValidationError

__all__ = ["TARGET_COLUMNS", "PRACTICE_PREFIXES", "Target", "read_targets"]

TARGET_COLUMNS: tuple[str, ...] = ("measure", "target", "agreed_by", "agreed_on")
#: Measures where more is better: the only ones a target applies to.
PRACTICE_PREFIXES: tuple[str, ...] = ("engagement.", "sharing.")


@dataclass(frozen=True)
class Target:
    """A board's target for one measure: the share it wants, who agreed it and when."""

    metric: str
    rate: float
    agreed_by: str
    agreed_on: dt.date

    def words(self) -> str:
        """``"the board's target of 60% (agreed by Partnership board, 12/09/2025)"``."""
        percent = f"{self.rate * 100:.1f}".rstrip("0").rstrip(".")
        return f"the target of {percent}% agreed by {self.agreed_by} on {self.agreed_on:%d/%m/%Y}"


def _metric(text: str) -> str | None:
    """The metric id a ``measure`` cell names, or ``None``."""
    value = text.strip()
    if re.fullmatch(r"[a-z_]+\.[a-z_]+", value):
        ids = {flag_metric_id(f) for f in FLAG_COLUMNS}
        return value if value in ids else None
    column = match_header(value)
    return flag_metric_id(column) if column in FLAG_COLUMNS else None


def _rate(text: str) -> float | None:
    value = text.strip().replace(" ", "")
    percent = value.endswith("%")
    try:
        number = float(value.rstrip("%"))
    except ValueError:
        return None
    if percent or number > 1:
        number /= 100
    return number if 0 < number <= 1 else None


def _date(text: str) -> dt.date | None:
    value = text.strip().split(" ")[0]
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


def read_targets(path: str | Path, *, sheet: str | None = None) -> dict[str, Target]:
    """The targets in ``path`` (module doc), by metric id. Raises ``ValidationError``
    listing every problem with its row and column, and ``ReadError`` for a file that
    cannot be read (read as extracts are: :func:`audit.intake.read.read_extract`)."""
    from audit.intake.read import read_extract

    raw = read_extract(path, sheet=sheet)
    frame = raw.frame
    missing = [c for c in TARGET_COLUMNS if c not in frame.columns]
    if missing:
        raise ValidationError(
            f"the targets file needs the columns {', '.join(TARGET_COLUMNS)}",
            path=raw.path,
            problems=[Problem(None, c, "is missing") for c in missing],
        )
    problems: list[Problem] = []
    targets: dict[str, Target] = {}
    seen: set[str] = set()
    for number, row in zip(frame.index, frame[list(TARGET_COLUMNS)].itertuples(index=False)):
        cells = dict(zip(TARGET_COLUMNS, (str(v or "").strip() for v in row), strict=True))
        metric, rate, when = (
            _metric(cells["measure"]),
            _rate(cells["target"]),
            _date(cells["agreed_on"]),
        )
        if metric is None:
            problems.append(Problem(int(number), "measure", "is not a measure of the contract"))
        elif not metric.startswith(PRACTICE_PREFIXES):
            problems.append(
                Problem(
                    int(number),
                    "measure",
                    f"{metric_label(metric)} is a risk factor, not a practice measure: a "
                    "target is for father engagement or information sharing",
                )
            )
        elif metric in seen:
            problems.append(Problem(int(number), "measure", "has a target in an earlier row"))
        if rate is None:
            problems.append(
                Problem(int(number), "target", "is not a share above 0 and up to 100% (e.g. 60%)")
            )
        if not cells["agreed_by"]:
            problems.append(
                Problem(int(number), "agreed_by", "is blank: say who agreed the target")
            )
        if when is None:
            problems.append(
                Problem(int(number), "agreed_on", "is not a date like 12/09/2025 or 2025-09-12")
            )
        duplicate = metric in seen
        if metric is not None:
            seen.add(metric)
        if (
            metric is not None
            and metric.startswith(PRACTICE_PREFIXES)
            and not duplicate
            and rate is not None
            and when is not None
            and cells["agreed_by"]
        ):
            targets[metric] = Target(metric, rate, cells["agreed_by"], when)
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        raise ValidationError(f"the targets file has {count}", path=raw.path, problems=problems)
    return targets
