"""The project's exception types.

Every error an analyst can act on is an ``AuditError``; anything else escaping to the CLI
is an internal fault (exit 1). The hierarchy::

    AuditError                      base of every error the suite raises on purpose
    ├── ExtractError                the input extract cannot be used (CLI exit 2)
    │   ├── ReadError               the file cannot be read: missing, format, encoding, sheet
    │   └── ValidationError         the contents break the contract; carries every Problem
    │       └── IdentifierError     direct identifiers found (column names or values)
    ├── ParameterError              an argument or option cannot be used (CLI exit 2)
    ├── ReportError                 a notebook or board-pack step failed (CLI exit 2)
    ├── DisclosureError             a public pack would reveal a hidden count (CLI exit 2)
    └── HistoryError                the history store cannot be read or written (CLI exit 2)

    Terminated (a KeyboardInterrupt) the process was sent SIGTERM: stopped as Ctrl-C stops it

Foreign exceptions (pandas, pyarrow, openpyxl, jupyter) are mapped to these where the
suite calls those libraries, and the CLI (:mod:`audit.cli`) is the one boundary that turns
an ``AuditError`` into exit 2 and anything else into exit 1 (an internal fault).

Messages never quote a cell value that could identify someone: identifier problems name
the column and row only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "AuditError",
    "ExtractError",
    "ReadError",
    "ValidationError",
    "IdentifierError",
    "ParameterError",
    "ReportError",
    "DisclosureError",
    "HistoryError",
    "Terminated",
    "Problem",
]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an extract, located as the analyst sees the file.

    ``row`` is the spreadsheet row number (the header is row 1, the first data row is row 2);
    ``None`` for a problem with the whole column or file. ``column`` is the contract's column
    name where one applies, else the header as written. ``file`` names the file when several
    are pooled (an auditor's return each). ``header`` and ``letter`` are how the file itself
    names the column (the header as written; a workbook's column letters), filled in by
    :meth:`audit.intake.extract.RawExtract.locate`: a message shows them rather than the
    contract's name ("row 9, column W 'Father in plan'"). They take no part in comparisons.
    """

    row: int | None
    column: str | None
    message: str
    file: str | None = None
    header: str | None = field(default=None, compare=False)
    letter: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        where = [self.file] if self.file else []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            name = self.header if self.header is not None else self.column
            where.append(f"column {self.letter} '{name}'" if self.letter else f"column '{name}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class AuditError(Exception):
    """Base class of every error the suite raises on purpose."""


class ExtractError(AuditError):
    """The input extract cannot be used as it is."""

    def __init__(
        self, message: str, *, path: str | Path | None = None, problems: list[Problem] | None = None
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.problems: list[Problem] = list(problems or [])
        super().__init__(message)

    def __str__(self) -> str:
        head = super().__str__()
        if self.path is not None:
            head = f"{self.path.name}: {head}"
        if not self.problems:
            return head
        lines = [head] + [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class ReadError(ExtractError):
    """The file cannot be read: missing, unreadable, wrong format or encoding, no such sheet."""


class ValidationError(ExtractError):
    """The extract breaks the contract. ``problems`` lists every failure found in one pass."""


class IdentifierError(ValidationError):
    """The extract carries direct identifiers. Values are never quoted."""


class ParameterError(AuditError, ValueError):
    """A function was given an argument it cannot use (a level outside (0, 1), a count
    above its total, an unknown method). Also a ``ValueError``, so callers that caught the
    bare ``ValueError`` these functions used to raise keep working."""


class DisclosureError(AuditError):
    """A public pack would let a hidden count be worked out; nothing is written.

    The message names the table and measure, never the value.
    """


class ReportError(AuditError):
    """A notebook or board-pack step failed; the message names the notebook and the cell."""


class HistoryError(AuditError):
    """The history store cannot be opened, migrated or written."""


class Terminated(KeyboardInterrupt):
    """The process was asked to stop (SIGTERM: a scheduler's time limit, a shutdown).

    A ``KeyboardInterrupt`` so that every clean-up written for Ctrl-C runs for it too;
    the CLI exits 143 (128 + 15) instead of 130.
    """
