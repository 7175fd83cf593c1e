"""The national reference: figures from "The Myth of Invisible Men" (2021), with their bases.

Every figure here is quoted from one publication (``SOURCE``). Two kinds are kept apart
because they have different bases and must never be mixed on one chart or in one sentence:

* ``NATIONAL_REFERENCE`` - the figures a local rate is compared with. Each is a count out of
  the 92 serious incident notifications the review analysed (``NATIONAL_DENOMINATOR``).
  The four service figures (45 / 24 / 12 / 11) are the *highest* level of service
  involvement, one per case, so they add up to 92.
* ``CONTEXT_FIGURES`` - background figures with other bases (all notifications in 2020, the
  rapid reviews since July 2018, the 23 cases studied in depth, the eight men interviewed).
  They are for the narrative only; no local rate is tested against them.

Metrics the review published no figure for (``known_to.none``, the engagement and
information-sharing flags, most risk factors) have no entry, and the national columns of
the metrics table stay empty for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from audit.contract import METRIC_IDS, metric_label

__all__ = [
    "SOURCE",
    "SOURCE_SHORT",
    "SOURCE_URL",
    "PUBLISHED",
    "NATIONAL_DENOMINATOR",
    "NATIONAL_BASIS",
    "NATIONAL_REFERENCE",
    "ContextFigure",
    "CONTEXT_FIGURES",
    "national_reference",
    "national_table",
    "context_table",
]

#: Full citation of the publication every figure in this module comes from.
SOURCE = (
    'Child Safeguarding Practice Review Panel (2021). "The Myth of Invisible Men": '
    "Safeguarding children under 1 from non-accidental injury caused by male carers. "
    "London: Department for Education, published 16 September 2021."
)
#: The citation as a chart caption shows it.
SOURCE_SHORT = (
    'Child Safeguarding Practice Review Panel, "The Myth of Invisible Men" (September 2021)'
)
SOURCE_URL = (
    "https://www.gov.uk/government/publications/"
    "safeguarding-children-under-1-year-old-from-non-accidental-injury-caused-by-male-carers"
)
PUBLISHED = "2021-09-16"

#: Every comparison figure is a count out of the 92 serious incident notifications reviewed.
NATIONAL_DENOMINATOR = 92

#: What each family of comparison figures counts (the basis a caption must state).
NATIONAL_BASIS: Mapping[str, str] = MappingProxyType(
    {
        "harmed_by": (
            "the male carer who harmed the baby, of the "
            f"{NATIONAL_DENOMINATOR} serious incident notifications "
            "about babies under one harmed by a male carer that the review analysed"
        ),
        "known_to": (
            "highest level of service involvement at the time of the abuse, one per case, "
            f"of the {NATIONAL_DENOMINATOR} notifications the review analysed (45 known only "
            "to universal services; 47 to Early Help or children's social care)"
        ),
        "risk": (
            "cases in which the factor featured (a factor not recorded counted as not "
            f"featuring), of the {NATIONAL_DENOMINATOR} notifications the review analysed"
        ),
    }
)

#: metric id -> (national numerator, national denominator), as published. Read-only.
NATIONAL_REFERENCE: Mapping[str, tuple[int, int]] = MappingProxyType(
    {
        "harmed_by.birth_father": (81, NATIONAL_DENOMINATOR),
        "harmed_by.another_male_carer": (11, NATIONAL_DENOMINATOR),
        "known_to.universal": (45, NATIONAL_DENOMINATOR),
        "known_to.early_help": (24, NATIONAL_DENOMINATOR),
        "known_to.child_in_need": (12, NATIONAL_DENOMINATOR),
        "known_to.child_protection_plan": (11, NATIONAL_DENOMINATOR),
        "risk.domestic_abuse": (59, NATIONAL_DENOMINATOR),
        "risk.father_mental_ill_health": (32, NATIONAL_DENOMINATOR),
        "risk.young_parent": (30, NATIONAL_DENOMINATOR),
        "risk.care_leaver": (5, NATIONAL_DENOMINATOR),
    }
)


@dataclass(frozen=True)
class ContextFigure:
    """One background figure from the review, with the words that must go with it.

    ``value`` is the number as published (a count, or a share as a fraction for
    ``unit == "share"``); ``label`` is the sentence a report may print; ``basis`` says what
    the figure counts and over what period, so it is never set beside a figure of another
    basis.
    """

    key: str
    value: float
    unit: str
    label: str
    basis: str


#: Background figures. Different bases: never compare a local rate with these.
CONTEXT_FIGURES: tuple[ContextFigure, ...] = (
    ContextFigure(
        key="notifications_2020",
        value=482,
        unit="notifications",
        label="In 2020 the Panel received 482 serious incident notifications",
        basis="all serious incident notifications to the Panel in calendar year 2020, "
        "children of every age",
    ),
    ContextFigure(
        key="children_2020",
        value=514,
        unit="children",
        label="The 482 notifications received in 2020 were about 514 children",
        basis="children covered by the serious incident notifications of calendar year 2020, "
        "every age",
    ),
    ContextFigure(
        key="share_under_one_2020",
        value=0.35,
        unit="share",
        label="35% of the 2020 notifications concerned babies under one",
        basis=(
            "share of the serious incident notifications received in 2020 (482 notifications "
            "about 514 children) that concerned babies under one, as the review states it; "
            "the review gives no count"
        ),
    ),
    ContextFigure(
        key="rapid_reviews_since_july_2018",
        value=257,
        unit="rapid reviews",
        label=(
            "Since July 2018 the Panel had considered 257 rapid reviews of babies under one "
            "seriously harmed or killed through non-accidental injury"
        ),
        basis=(
            "rapid reviews considered by the Panel from its establishment in July 2018 to the "
            "review (2021), babies under one, non-accidental injury, any perpetrator"
        ),
    ),
    ContextFigure(
        key="notifications_analysed",
        value=NATIONAL_DENOMINATOR,
        unit="notifications",
        label=f"The review analysed {NATIONAL_DENOMINATOR} serious incident notifications",
        basis=(
            "notifications about babies under one harmed by a male carer; the denominator of "
            "every national comparison figure"
        ),
    ),
    ContextFigure(
        key="cases_in_depth",
        value=23,
        unit="cases",
        label="23 cases from 19 local areas were studied in depth",
        basis="the review's qualitative fieldwork sample, not a statistical sample",
    ),
    ContextFigure(
        key="local_areas_in_depth",
        value=19,
        unit="local areas",
        label="The 23 cases studied in depth came from 19 local areas",
        basis="local areas of the fieldwork sample",
    ),
    ContextFigure(
        key="perpetrators_interviewed",
        value=8,
        unit="men",
        label="Eight male perpetrators serving prison sentences were interviewed",
        basis="men in prison for killing or seriously harming a baby; interviews, not a sample",
    ),
    ContextFigure(
        key="known_only_universal",
        value=45,
        unit="notifications",
        label=f"45 of the {NATIONAL_DENOMINATOR} babies were known only to universal services",
        basis=(
            "highest level of service involvement, one per case, of the "
            f"{NATIONAL_DENOMINATOR} notifications analysed"
        ),
    ),
    ContextFigure(
        key="known_early_help_or_social_care",
        value=47,
        unit="notifications",
        label=(
            f"47 of the {NATIONAL_DENOMINATOR} babies were known to Early Help or "
            "children's social care"
        ),
        basis=(
            "highest level of service involvement, one per case, of the "
            f"{NATIONAL_DENOMINATOR} notifications "
            "analysed: 24 Early Help + 12 child in need + 11 child protection plan"
        ),
    ),
)


def national_reference(metric: str) -> tuple[int, int] | None:
    """The published (numerator, denominator) for a metric id, or ``None`` if none was published.

    Raises ``ValueError`` for a string that is not a contract metric id.
    """
    if metric not in METRIC_IDS:
        raise ValueError(f"{metric!r} is not a metric id of the contract")
    return NATIONAL_REFERENCE.get(metric)


def _basis(metric: str) -> str:
    family = metric.split(".", 1)[0]
    return NATIONAL_BASIS.get(family, "") if metric in NATIONAL_REFERENCE else ""


def national_table(*, published_only: bool = False) -> pd.DataFrame:
    """The national reference as a table, in ``METRIC_IDS`` order.

    Columns: ``metric``, ``label``, ``national_numerator``, ``national_denominator`` (nullable
    ``Int64``), ``national_rate`` (fraction 0-1), ``basis``. Metrics without a published figure
    (e.g. ``known_to.none``) have empty national columns unless ``published_only`` drops them.
    Source: ``SOURCE``.
    """
    metrics = [m for m in METRIC_IDS if not published_only or m in NATIONAL_REFERENCE]
    num = pd.array(
        [NATIONAL_REFERENCE[m][0] if m in NATIONAL_REFERENCE else pd.NA for m in metrics],
        dtype="Int64",
    )
    den = pd.array(
        [NATIONAL_REFERENCE[m][1] if m in NATIONAL_REFERENCE else pd.NA for m in metrics],
        dtype="Int64",
    )
    rate = num.to_numpy(dtype="float64", na_value=np.nan) / den.to_numpy(
        dtype="float64", na_value=np.nan
    )
    return pd.DataFrame(
        {
            "metric": metrics,
            "label": [metric_label(m) for m in metrics],
            "national_numerator": num,
            "national_denominator": den,
            "national_rate": rate,
            "basis": [_basis(m) for m in metrics],
        }
    )


def context_table() -> pd.DataFrame:
    """``CONTEXT_FIGURES`` as a table (key, value, unit, label, basis), for a report's notes."""
    return pd.DataFrame(
        {
            "key": [f.key for f in CONTEXT_FIGURES],
            "value": [float(f.value) for f in CONTEXT_FIGURES],
            "unit": [f.unit for f in CONTEXT_FIGURES],
            "label": [f.label for f in CONTEXT_FIGURES],
            "basis": [f.basis for f in CONTEXT_FIGURES],
        }
    )
