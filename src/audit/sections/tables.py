"""The tables sections publish, built from protected tables (values as published).

Each function returns a frame of published values — counts and fractions as numbers, ``c``
and ``:`` as text — ready for :meth:`audit.render.section.Section.table`, with the lists
of count and percentage columns to pass with it; :func:`practice_table` adds the table of
practice questions (no national figure) to a section.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from audit.contract import metric_label
from audit.disclosure.tables import OUT_OF_EVERY_CASE
from audit.formatting import NOT_AVAILABLE, SUPPRESSED, as_number, is_suppressed

if TYPE_CHECKING:
    from audit.disclosure import Protected
    from audit.render.section import Section

__all__ = [
    "METRIC_COUNTS",
    "METRIC_PERCENTS",
    "OF_ALL_CASES",
    "metrics_display",
    "practice_table",
    "review_counted",
    "partnerships_display",
    "rolling_display",
    "bands_display",
    "chart_data",
]

METRIC_COUNTS = ["Cases (yes)", "Of cases known", "Not known"]
METRIC_PERCENTS = ["Percentage", "95% CI lower", "95% CI upper"]
#: The heading of a practice question's cases recorded as done out of every case (tables
#: without a national figure; a risk factor's is "As the review counted"). Not a rate with
#: "not known" counted as no (methodology section 1): what the records show was done.
OF_ALL_CASES = "Of all cases"


def _value(value: object) -> object:
    """A published cell: the number, ``c``, or ``:`` for not available."""
    if is_suppressed(value):
        return SUPPRESSED
    number = as_number(value)
    return NOT_AVAILABLE if number is None else number


#: Headings of a published count and rate, and the columns of a protected row they show.
_COUNTS_AND_RATE = {
    "Cases (yes)": "numerator",
    "Of cases known": "denominator",
    "Percentage": "rate",
}
_INTERVAL = {"95% CI lower": "ci_low", "95% CI upper": "ci_high"}


def _published(row: pd.Series, headed: Mapping[str, str]) -> dict[str, object]:
    """``row``'s published cells under their headings (heading -> column of ``row``)."""
    return {heading: _value(row[column]) for heading, column in headed.items()}


def review_counted(metric: str, row: pd.Series, cases: object) -> tuple[object, object]:
    """The local figure counted as the review counted it: (count, fraction of the base).

    The review counted each risk factor out of all its cases (a factor not recorded counted
    as not featuring), so ``risk.*`` is ``yes / all cases``, and so is a practice question
    out of every case (:data:`~audit.disclosure.tables.OUT_OF_EVERY_CASE`); for who harmed
    the baby and the service levels the base is the row's own denominator (contract v1.1).
    """
    base = cases if metric.startswith(OUT_OF_EVERY_CASE) else row["denominator"]
    yes = row["numerator"]
    if is_suppressed(yes) or is_suppressed(base):
        return SUPPRESSED, SUPPRESSED
    y, b = as_number(yes), as_number(base)
    if y is None or not b:
        return NOT_AVAILABLE, NOT_AVAILABLE
    return y, y / b


def metrics_display(
    metrics: pd.DataFrame,
    metric_ids: Sequence[str],
    *,
    verdicts: Mapping[str, str] | None = None,
    cases: object = None,
    national: bool = True,
) -> pd.DataFrame:
    """The published view of protected metric rows: label, counts, percentage and interval,
    and (``national``) the national figure, the local figure counted as the review counted
    it (``cases`` is the audit's number of cases) and the verdict; without a national
    figure, given ``cases``, a practice question's yes out of every case
    (:data:`OF_ALL_CASES`). Every measure of ``metric_ids`` in ``metrics`` has a row, even
    one whose counts are all hidden."""
    rows = metrics.set_index("metric")
    out = []
    for metric in metric_ids:
        if metric not in rows.index:
            continue
        # A measure whose every count is hidden keeps its row, all ``c`` (the headline
        # measures stay with their ``c``s, as metrics.csv and figures.csv list them); only a
        # measure withheld from a public pack has no row (it is not in ``metrics``).
        r = rows.loc[metric]
        record = {
            "Measure": metric_label(metric),
            "Cases (yes)": _value(r["numerator"]),
            "Of cases known": _value(r["denominator"]),
            "Not known": _value(r["unknown"]),
            "Percentage": _value(r["rate"]),
            "95% CI lower": _value(r["ci_low"]),
            "95% CI upper": _value(r["ci_high"]),
        }
        if not national and cases is not None and metric.startswith(OUT_OF_EVERY_CASE):
            record[OF_ALL_CASES] = review_counted(metric, r, cases)[1]
        if national:
            record["As the review counted"] = review_counted(metric, r, cases)[1]
            record["National (92 cases)"] = _value(r["national_rate"])
            if verdicts is not None:
                record["Compared with national"] = verdicts.get(metric, NOT_AVAILABLE)
        out.append(record)
    return pd.DataFrame(out)


def practice_table(
    section: Section, p: Protected, ids: Sequence[str], lead: str, *, sheet: str
) -> None:
    """Add to ``section`` the table of the practice questions ``ids`` (engagement or
    information sharing; no national figure was published): each as a percentage of the
    cases where it was recorded, and :data:`OF_ALL_CASES`. ``lead`` opens the caption."""
    section.table(
        metrics_display(p.metrics, ids, national=False, cases=p.cases),
        f"{lead} as a percentage of the cases where it was recorded; 'of all cases' is the "
        "cases where it was recorded as done out of every case, at least what was done (no "
        "national figure was published)",
        counts=METRIC_COUNTS,
        percents=[*METRIC_PERCENTS, OF_ALL_CASES],
        sheet=sheet,
    )


def partnerships_display(funnels: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row a partnership and metric: counts, rate, target and position."""
    rows = []
    for metric, table in funnels.items():
        for _, r in table.iterrows():
            rows.append(
                {
                    "Partnership": str(r["partnership"]),
                    "Measure": metric_label(metric),
                    **_published(r, _COUNTS_AND_RATE),
                    "Pooled rate (centre line)": _value(r["target"]),
                    "Against the funnel limits": str(r["position"]),
                }
            )
    return pd.DataFrame(rows)


def rolling_display(rolling: pd.DataFrame, metric_ids: Sequence[str]) -> pd.DataFrame:
    """The latest four-quarter window for ``metric_ids``."""
    rows = []
    for _, r in rolling.iterrows():
        if str(r["metric"]) not in metric_ids:
            continue
        rows.append(
            {
                "Four quarters": str(r["window"]),
                "Measure": metric_label(str(r["metric"])),
                **_published(r, {**_COUNTS_AND_RATE, **_INTERVAL}),
            }
        )
    return pd.DataFrame(rows)


def bands_display(risk_counts: pd.DataFrame) -> pd.DataFrame:
    """Cases by the number of risk factors recorded yes."""
    frame = pd.DataFrame(
        {
            "Risk factors recorded as yes": risk_counts["risk_factors"].astype(str),
            "Cases": [_value(v) for v in risk_counts["cases"]],
            "Share of cases": [_value(v) for v in risk_counts["share"]],
        }
    )
    if "with_unknown" in risk_counts.columns:
        frame["Of which with a factor not known"] = [_value(v) for v in risk_counts["with_unknown"]]
    return frame


def chart_data(quarterly: pd.DataFrame, metric: str) -> pd.DataFrame:
    """A trend chart's figures as a table (the chart's data, for the workbook)."""
    rows = quarterly[quarterly["metric"] == metric]
    return pd.DataFrame(
        {
            "Quarter": rows["period"].astype(str).to_numpy(),
            "Cases (yes)": [_value(v) for v in rows["numerator"]],
            "Of cases known": [_value(v) for v in rows["denominator"]],
            "Percentage": [_value(v) for v in rows["rate"]],
            "95% CI lower": [_value(v) for v in rows["ci_low"]],
            "95% CI upper": [_value(v) for v in rows["ci_high"]],
        }
    )
