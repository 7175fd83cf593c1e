"""Moderation: a second auditor re-audits cases already audited, on purpose.

How a return is marked (the one design, chosen so an analyst cannot get it wrong by
accident): the second auditor fills in an ordinary blank form (``audit form``) for the
cases being moderated, with the **same Case IDs** as the first audit, and the analyst gives
that file with ``--moderation FILE`` (``audit validate``, ``metrics``, ``run``; the
``moderation=`` argument of :func:`audit.intake.pooling.load_returns` and
:func:`audit.workspace.open_audit`). Nothing in the file itself marks it, so a form cannot
be mislabelled by a renamed file or a stray sheet; and a file given *without* the option is
an ordinary return, whose repeated case ids are refused as duplicates exactly as before.
A file given with ``--moderation`` is taken out of the ordinary returns, so it may sit in
the same folder as them.

Where the two auditors then met and settled their differences, the analyst may give the
settled answers with ``--agreed FILE``: a third form holding, for some or all of the
moderated cases, the answers they agreed (every column, as on any form).

**Which answer counts** (:data:`RULE`): the figures use the first auditor's answers; for
a case in an ``--agreed`` file, its agreed answers instead. The second auditor's answers
are used only to measure agreement (:mod:`audit.intake.agreement`), so a moderated pool's figures
are a plain count of the first auditors' (or agreed) answers.

Checks, every problem naming its file and row (:class:`~audit.errors.ValidationError`):
a moderated case must be in one of the ordinary returns (a second audit of a case nobody
audited first is an error); a case is moderated once; an agreed case must be a moderated
one; and the moderation returns record the same measures as the others.

:func:`moderate` returns the pooled extract with :attr:`~audit.intake.extract.CaseExtract.
moderated` set: a long table, a row a moderated case and question (:func:`questions`),
holding the first and second auditors' answers and any agreed answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd

from audit.contract import FLAG_COLUMNS, FLAG_LEVELS
from audit.errors import Problem, ValidationError
from audit.intake.extract import CODED_VALUES, CaseExtract, shown

__all__ = [
    "AGREED_OPTION",
    "MODERATED_COLUMNS",
    "MODERATION_OPTION",
    "RULE",
    "moderate",
    "questions",
]

MODERATION_OPTION = "--moderation"
AGREED_OPTION = "--agreed"
#: The rule for which answer counts, as the pack states it.
RULE = (
    "The figures use the first auditor's answers; where the two auditors recorded an agreed "
    "answer for a moderated case, the agreed answer. The second auditor's answers are used "
    "only to measure agreement."
)
#: The columns of :attr:`~audit.intake.extract.CaseExtract.moderated`.
MODERATED_COLUMNS: tuple[str, ...] = (
    "case_id",
    "question",
    "first",
    "second",
    "agreed",
    "source",
)
#: Most problems listed a file before a summary line.
_MAX_LISTED = 20


def questions(cases: pd.DataFrame, missing: Sequence[str] = ()) -> dict[str, tuple[str, ...]]:
    """The questions agreement is measured on, with their answers on the form: the coded
    fields and the measures the returns record, in contract order."""
    out: dict[str, tuple[str, ...]] = {}
    for column, codes in CODED_VALUES.items():
        if column in cases.columns:
            out[column] = tuple(codes)
    for flag in FLAG_COLUMNS:
        if flag in cases.columns and flag not in missing:
            out[flag] = tuple(FLAG_LEVELS)
    return out


def _listed(problems: list[Problem], file: str, found: list[Problem], what: str) -> None:
    problems += found[:_MAX_LISTED]
    if len(found) > _MAX_LISTED:
        problems.append(
            Problem(None, "case_id", f"… and {len(found) - _MAX_LISTED:,} more {what}", file)
        )


def moderate(
    pooled: CaseExtract,
    second: Sequence[tuple[Path, CaseExtract]],
    agreed: Sequence[tuple[Path, CaseExtract]] = (),
) -> CaseExtract:
    """``pooled`` (the first audits) with the second audits and agreed answers (module doc).

    Raises :class:`~audit.errors.ValidationError` listing every problem, each naming its
    file and row.
    """
    settled = _checked(pooled, second, agreed)
    cases = pooled.cases
    table = _answers(cases, questions(cases, pooled.missing_flags), second, settled)
    if settled:
        cases = _with_agreed(cases, settled)
    sources = tuple(
        [*pooled.sources]
        + [_source(p, e, "second audit") for p, e in second]
        + [_source(p, e, "agreed") for p, e in agreed]
    )
    return replace(pooled, cases=cases, moderated=table, sources=sources)


def _checked(
    pooled: CaseExtract,
    second: Sequence[tuple[Path, CaseExtract]],
    agreed: Sequence[tuple[Path, CaseExtract]],
) -> dict[str, pd.Series]:
    """The agreed answers by case id, once every return is checked against the first
    audits: the same measures, second audits of cases audited first and once, agreed
    answers for moderated cases and once; else :class:`~audit.errors.ValidationError`."""
    cases = pooled.cases
    first_rows = {case: i for i, case in enumerate(cases["case_id"].astype(str))}
    problems: list[Problem] = []
    moderated: dict[str, tuple[str, int]] = {}
    for path, extract in [*second, *agreed]:
        lacking = sorted(set(extract.missing_flags) ^ set(pooled.missing_flags))
        if lacking:
            problems.append(
                Problem(
                    None,
                    None,
                    f"records measures the first returns do not, or lacks some they record "
                    f"({', '.join(lacking)}): every return must record the same measures",
                    shown(path.name),
                )
            )
    for path, extract in second:
        name = shown(path.name)
        unknown: list[Problem] = []
        repeated: list[Problem] = []
        for row, case in zip(extract.cases.index, extract.cases["case_id"].astype(str)):
            if case not in first_rows:
                unknown.append(
                    Problem(
                        int(row),
                        "case_id",
                        "this case id is in none of the first auditors' returns: a "
                        f"{MODERATION_OPTION} return re-audits cases already audited",
                        name,
                    )
                )
            elif case in moderated:
                other, other_row = moderated[case]
                repeated.append(
                    Problem(
                        int(row),
                        "case_id",
                        f"this case is already moderated in {shown(other)} row {other_row}: "
                        "each case is audited a second time once",
                        name,
                    )
                )
            else:
                moderated[case] = (path.name, int(row))
        _listed(problems, name, unknown, "case ids nobody audited first")
        _listed(problems, name, repeated, "case ids moderated twice")
    settled = _settled(agreed, moderated, problems)
    if problems:
        raise ValidationError(
            f"the moderation returns: {len(problems):,} problem{'s' if len(problems) != 1 else ''}",
            problems=problems,
        )
    return settled


def _settled(
    agreed: Sequence[tuple[Path, CaseExtract]],
    moderated: dict[str, tuple[str, int]],
    problems: list[Problem],
) -> dict[str, pd.Series]:
    """The agreed answers by case id, each for a ``moderated`` case and once; a row that
    is neither is added to ``problems``."""
    settled: dict[str, pd.Series] = {}
    for path, extract in agreed:
        name = shown(path.name)
        stray: list[Problem] = []
        for (row, record), case in zip(
            extract.cases.iterrows(), extract.cases["case_id"].astype(str)
        ):
            if case not in moderated:
                stray.append(
                    Problem(
                        int(row),
                        "case_id",
                        f"this case id is not in a {MODERATION_OPTION} return: an agreed "
                        "answer settles a case two auditors audited",
                        name,
                    )
                )
            elif case in settled:
                stray.append(
                    Problem(int(row), "case_id", "this case already has agreed answers", name)
                )
            else:
                settled[case] = record
        _listed(problems, name, stray, "agreed case ids")
    return settled


def _answers(
    cases: pd.DataFrame,
    asked: Iterable[str],
    second: Sequence[tuple[Path, CaseExtract]],
    settled: dict[str, pd.Series],
) -> pd.DataFrame:
    """One row a moderated case and question: the first and second answers, the agreed
    one (if any) and the second audit's file (:data:`MODERATED_COLUMNS`)."""
    seconds = pd.concat(
        [e.cases.assign(source=p.name) for p, e in second], ignore_index=True
    ).drop_duplicates("case_id")
    seconds = seconds.set_index(seconds["case_id"].astype(str))
    firsts = cases.set_index(cases["case_id"].astype(str))
    rows = []
    for case in seconds.index:
        for question in asked:
            agreed_answer = settled[case][question] if case in settled else None
            rows.append(
                (
                    case,
                    question,
                    str(firsts.at[case, question]),
                    str(seconds.at[case, question]),
                    None if agreed_answer is None else str(agreed_answer),
                    str(seconds.at[case, "source"]),
                )
            )
    return pd.DataFrame(rows, columns=list(MODERATED_COLUMNS))


def _source(path: Path, extract: CaseExtract, role: str) -> dict[str, object]:
    return {
        "file": path.name,
        "sha256": extract.sha256,
        "sheet": extract.sheet,
        "rows_read": int(extract.rows_read),
        "in_scope": int(len(extract.cases)),
        "role": role,
    }


def _with_agreed(cases: pd.DataFrame, settled: dict[str, pd.Series]) -> pd.DataFrame:
    """The first audits with each settled case's contract columns replaced by its agreed
    answers (the row keeps its return and row number)."""
    out = cases.copy()
    ids = out["case_id"].astype(str)
    for column in [c for c in out.columns if c != "source"]:
        values = [record[column] for record in settled.values() if column in record.index]
        if not values:
            continue
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            new = [v for v in dict.fromkeys(values) if v not in out[column].cat.categories]
            if new:
                out[column] = out[column].cat.add_categories(new)
        for case, record in settled.items():
            if column in record.index:
                out.loc[ids == case, column] = record[column]
    return out
