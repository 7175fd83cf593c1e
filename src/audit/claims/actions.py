"""From findings to a draft action plan tied to the national review's practice messages.

The review ("The Myth of Invisible Men", Child Safeguarding Practice Review Panel, 2021)
turns its findings into messages for practice. This module holds them as data, in the
project's own words (:data:`PRACTICE_MESSAGES`), and maps each measure of the metrics table
to the message(s) it bears on (:data:`MEASURE_MESSAGES`, derived from each measure's
record in :data:`audit.contract.MEASURES`, the one place that says which practice a low
figure points to).

Two pure functions build the board's tables:

* :func:`action_table` — for each measure found short (low, falling, below the funnel
  limits or short of the national figure), ordered by how far short: the finding, its
  practice message, a suggested action, the measure to watch next quarter and its current
  value, and blank "Owner" and "By when" columns for the board to fill;
* :func:`follow_up` — for last quarter's actions, whether their measure has moved since,
  from the history store's rows (no new data entry).

Decisions:

* One row a measure; a measure bearing on two messages (domestic abuse: know his history,
  and link adult and children's services) shows both, a line each.
* Measures with no practice message (who harmed the baby, the level of service involvement,
  some risk factors) are left out of the action table: they describe the cases, not the
  practice a board can change.
* A risk factor short of the national figure points to knowing his history: the review
  counted a factor not recorded as not featuring, so a factor recorded less often than
  nationally may be one that nobody asked about.
* ``Current value`` stays a number (a fraction, 0-1) for a workbook to format, or the text
  it was given (``c`` for a figure hidden in a public pack); every figure in the sentences
  is written by :func:`audit.formatting.format_percent` (one decimal place, ``c`` as ``c``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from audit.contract import MEASURES, METRIC_IDS, metric_label
from audit.errors import ParameterError
from audit.formatting import format_percent, is_suppressed

__all__ = [
    "PracticeMessage",
    "PRACTICE_MESSAGES",
    "MEASURE_MESSAGES",
    "REASONS",
    "FINDING_COLUMNS",
    "ACTION_COLUMNS",
    "FOLLOW_UP_COLUMNS",
    "FOLLOWED_UP_COLUMNS",
    "messages_for",
    "action_table",
    "follow_up",
]


@dataclass(frozen=True)
class PracticeMessage:
    """One of the review's messages for practice: a short title (for a slide), the message
    itself and a suggested action a board can adopt or adapt."""

    id: str
    title: str
    message: str
    action: str


_MESSAGES: tuple[PracticeMessage, ...] = (
    PracticeMessage(
        "active_enquiries",
        "Ask about him from every source",
        "Make active enquiries about the father and any other man in a caring role, in "
        "pregnancy and after the birth, from every source (police, GP, adult services, "
        "housing), not only from the mother.",
        "Add a prompt about the father and other men in the household to pre-birth and "
        "first-contact templates, with checks of police and GP records; audit its use next "
        "quarter.",
    ),
    PracticeMessage(
        "direct_contact",
        "Contact him directly",
        "Make direct contact with him: do not rely on the mother to pass messages on or to "
        "speak for him.",
        "Set the standard that the lead practitioner contacts the father directly at the "
        "first contact and records when and how; follow it up in supervision.",
    ),
    PracticeMessage(
        "see_him",
        "See him",
        "See him: a man named in the records but never met is still unseen. Offer contact "
        "when he can come, including outside working hours.",
        "Offer visits and appointments at times fathers can attend, including evenings, "
        "and record in every case whether he was seen.",
    ),
    PracticeMessage(
        "know_history",
        "Know his history",
        "Know the history of the men around the baby (substance misuse, domestic abuse, "
        "mental ill health, his own childhood) and check in with him as routinely as with "
        "the mother.",
        "Make checks of the father's history with police, adult mental health, substance "
        "misuse services and probation a standard step of every assessment, with the "
        "result recorded.",
    ),
    PracticeMessage(
        "include_in_assessment_and_plan",
        "Include him in assessments and plans",
        "Include him in assessments and plans, as a risk, a resource or both, and know what "
        "you would do if you had a concern about him.",
        "Add a section on the father and other male carers to assessment and plan "
        "templates, and check a sample of plans for it each quarter.",
    ),
    PracticeMessage(
        "record_his_views",
        "Ask what he thinks, and record it",
        "Ask him what he thinks and write it down: if his views are not in the record, how "
        "do you know them?",
        "Add a prompt for the father's own views to assessments, reviews and supervision, "
        "and check a sample of records for it.",
    ),
    PracticeMessage(
        "reachable_moment_antenatal",
        "Use pregnancy as a reachable moment",
        "Pregnancy is a reachable moment: draw fathers into antenatal and early-months "
        "contacts, which are mostly aimed at women and held in working hours.",
        "Invite fathers by name to antenatal appointments and the new-birth visit, offer "
        "some contacts outside working hours, and record whether he came.",
    ),
    PracticeMessage(
        "crying_advice",
        "Crying advice for both parents",
        "Give both parents, not only the mother, advice on coping with a crying baby and on "
        "handling a baby safely (the ICON messages).",
        "Make sure the ICON touchpoints reach fathers: midwives, health visitors and GPs "
        "give the messages to both parents and record that he had them.",
    ),
    PracticeMessage(
        "share_health_information",
        "Share what health services know about him",
        "Share what midwives, health visitors and GPs know about him: a baby's record that "
        "holds only the mother leaves him out. Consent and data protection law are not "
        "barriers to sharing information to protect a child.",
        "Agree how midwifery, health visiting and GP records note the father and other male "
        "carers, and brief staff on sharing information to safeguard a child.",
    ),
    PracticeMessage(
        "link_adult_services",
        "Link adult and children's services",
        "Link adult and children's services: a man known to adult services at a low level "
        "can be of the highest concern to children's services.",
        "Set up a routine exchange of information about fathers between adult services "
        "(mental health, substance misuse, probation, domestic abuse perpetrator "
        "programmes) and children's services.",
    ),
)

#: The review's practice messages by id, in the order a plan lists them.
PRACTICE_MESSAGES: dict[str, PracticeMessage] = {m.id: m for m in _MESSAGES}

#: Each measure (metric id) and the practice message(s) a shortfall in it points to, from
#: the measures' records (:data:`audit.contract.MEASURES`). A risk factor recorded less often
#: than nationally may be one nobody asked about, so some risk factors point to his history.
MEASURE_MESSAGES: dict[str, tuple[str, ...]] = {
    m.metric: m.messages for m in MEASURES if m.messages
}
_UNKNOWN_MESSAGES = {i for ids in MEASURE_MESSAGES.values() for i in ids} - set(PRACTICE_MESSAGES)
if _UNKNOWN_MESSAGES:  # a measure's record names a message this module does not hold
    raise ValueError(f"unknown practice message id(s): {', '.join(sorted(_UNKNOWN_MESSAGES))}")

#: Why a measure is in the findings, and how the finding says so (``{}`` is the comparator).
REASONS: dict[str, tuple[str, str]] = {
    # reason: (wording with a comparator, wording without one)
    "below_national": ("short of the national figure ({})", "short of the national figure"),
    "below_funnel": ("below the lower funnel limit ({})", "below the lower funnel limit"),
    "falling": ("falling (from {})", "falling"),
    # only against a target the board set (audit.measures.targets): no standard is invented
    "below_target": ("below the target the board set ({})", "below the board's target"),
    # what the figures show when no target is set: a rank over every engagement step
    # (a rank, never tested: the words say so, as no standard was missed)
    "lowest_step": (
        "the lowest engagement step, a rank not a test (next lowest {})",
        "the lowest engagement step, a rank not a test",
    ),
}

#: Columns :func:`action_table` reads; ``comparator`` is optional.
FINDING_COLUMNS: tuple[str, ...] = ("metric", "rate", "reason", "shortfall", "comparator")
ACTION_COLUMNS: tuple[str, ...] = (
    "Finding",
    "Practice message",
    "Suggested action",
    "Measure to watch",
    "Current value",
    "Owner",
    "By when",
)
FOLLOW_UP_COLUMNS: tuple[str, ...] = (
    "Finding",
    "Measure to watch",
    "Since",
    "Movement",
    "Beyond chance",
)
#: Columns :func:`follow_up` reads of the figures it follows up (a history store's rows
#: or the current metrics, with their partnership and period).
FOLLOWED_UP_COLUMNS: tuple[str, ...] = (
    "partnership",
    "period",
    "metric",
    "rate",
    "numerator",
    "denominator",
)


def messages_for(metric: str) -> tuple[PracticeMessage, ...]:
    """The practice messages a shortfall in ``metric`` points to (empty if none)."""
    if metric not in METRIC_IDS:
        raise ParameterError(f"'{metric}' is not a metric id of the contract")
    return tuple(PRACTICE_MESSAGES[i] for i in MEASURE_MESSAGES.get(metric, ()))


# ---------------------------------------------------------------------- action table


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ParameterError(
            f"{what} needs the column{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
        )


def _check_findings(findings: pd.DataFrame) -> pd.DataFrame:
    _require(findings, FINDING_COLUMNS[:4], "the findings table")
    frame = findings.copy()
    if "comparator" not in frame.columns:
        frame["comparator"] = float("nan")
    unknown = sorted(set(frame["metric"].astype(str)) - set(METRIC_IDS))
    if unknown:
        raise ParameterError(
            f"unknown metric id{'s' if len(unknown) > 1 else ''}: {', '.join(unknown[:5])}"
        )
    reasons = sorted(set(frame["reason"].astype(str)) - set(REASONS))
    if reasons:
        raise ParameterError(
            f"unknown reason {', '.join(reasons[:5])}; use one of {', '.join(REASONS)}"
        )
    shortfall = pd.to_numeric(frame["shortfall"], errors="coerce")
    if shortfall.isna().any() or (shortfall < 0).any():
        raise ParameterError(
            "every shortfall must be a number, 0 or more (how far short "
            "the measure is, as a fraction)"
        )
    frame["shortfall"] = shortfall.astype("float64")
    return frame


def action_table(findings: pd.DataFrame) -> pd.DataFrame:
    """The draft action plan: one row a measure found short, the furthest short first.

    ``findings`` has one row a (measure, reason): ``metric`` (a metric id), ``rate`` (its
    current value, a fraction, or ``c`` where a public pack hides it), ``reason`` (one of
    :data:`REASONS`: ``below_national``, ``below_funnel``, ``falling``, ``below_target``,
    ``lowest_step``),
    ``shortfall`` (how far short, as a fraction: the national rate minus the local one, the
    lower limit minus the rate, the fall since last quarter, ...) and, optionally,
    ``comparator`` (the figure it fell short of, stated in the finding). A measure listed
    for several reasons becomes one row, placed by its largest shortfall.

    Returns the columns of :data:`ACTION_COLUMNS`, indexed by metric id (``metric``):
    "Finding" (e.g. "Father seen: 31.0%, short of the national figure (52.0%) and falling
    (from 44.0%)"), "Practice message", "Suggested action" (a line each where a measure
    bears on two messages), "Measure to watch" (the measure's label), "Current value"
    (the rate as given) and empty "Owner" and "By when". Measures with no practice message
    are left out. Ties keep the contract's order of measures.
    """
    frame = _check_findings(findings)
    frame = frame[frame["metric"].isin(list(MEASURE_MESSAGES))]
    order = {m: i for i, m in enumerate(METRIC_IDS)}
    reason_order = {r: i for i, r in enumerate(REASONS)}
    rows: list[dict[str, object]] = []
    for metric, group in frame.groupby("metric", sort=False):
        group = group.assign(_r=group["reason"].map(reason_order)).sort_values("_r")
        label = metric_label(str(metric))
        rate = group["rate"].iloc[0]
        reasons = []
        for reason, comparator in zip(group["reason"], group["comparator"], strict=True):
            with_value, without = REASONS[str(reason)]
            missing = not is_suppressed(comparator) and pd.isna(comparator)
            reasons.append(without if missing else with_value.format(format_percent(comparator)))
        said = (
            reasons[0] if len(reasons) == 1 else (", ".join(reasons[:-1]) + " and " + reasons[-1])
        )
        messages = messages_for(str(metric))
        rows.append(
            {
                "metric": metric,
                "Finding": f"{label}: {format_percent(rate)}, {said}",
                "Practice message": "\n".join(m.message for m in messages),
                "Suggested action": "\n".join(m.action for m in messages),
                "Measure to watch": label,
                "Current value": rate,
                "Owner": "",
                "By when": "",
                "_shortfall": float(group["shortfall"].max()),
                "_order": order[str(metric)],
            }
        )
    table = pd.DataFrame(rows, columns=["metric", *ACTION_COLUMNS, "_shortfall", "_order"])
    table = table.sort_values(["_shortfall", "_order"], ascending=[False, True], kind="stable")
    return table.set_index("metric")[list(ACTION_COLUMNS)]


# ------------------------------------------------------------------------- follow-up


def _period_key(period: str) -> tuple[int, int]:
    """Chronological order of "2025-Q3" and "2025" (a year after its four quarters)."""
    text = str(period).strip().upper()
    try:
        year = int(text[:4])
        quarter = int(text[-1]) if "-Q" in text else 5
    except ValueError:
        raise ParameterError(
            f"period '{text[:20]}' is neither a quarter like 2025-Q3 nor a year like 2025"
        ) from None
    return year, quarter


def _same_name(a: object, b: object) -> bool:
    return " ".join(str(a).split()).casefold() == " ".join(str(b).split()).casefold()


def follow_up(
    previous_actions: pd.DataFrame,
    history_metrics: pd.DataFrame,
    *,
    partnership: str | None = None,
    period: str | None = None,
) -> pd.DataFrame:
    """Whether the measure of each of last quarter's actions has moved since.

    ``previous_actions`` is last quarter's :func:`action_table` (indexed by metric id, or
    with a ``metric`` column). ``history_metrics`` holds the history store's rows
    (:data:`FOLLOWED_UP_COLUMNS`: partnership, period, metric, rate, numerator, denominator).
    ``partnership`` picks one partnership's rows (case and spacing ignored; needed when
    the history holds several); ``period`` is this quarter (default: the latest in the
    history), compared with the latest period of the same kind (quarter or year) before it.

    Returns one row an action (indexed by metric id), columns :data:`FOLLOW_UP_COLUMNS`:
    "Movement" says "up from 31.0% to 44.0%", "down from 44.0% to 31.0%", "no change
    (31.0%)" (equal to one decimal place), "no figure this quarter" or "no figure last
    quarter"; "Beyond chance" says "Yes" when a two-sided Fisher exact test of the two
    quarters' counts gives p < 0.05, "No" otherwise, and is blank with no figure.
    """
    _require(history_metrics, FOLLOWED_UP_COLUMNS, "the history")
    actions = previous_actions
    if "metric" in actions.columns:
        actions = actions.set_index("metric")
    history = history_metrics
    if partnership is not None:
        history = history[history["partnership"].map(lambda p: _same_name(p, partnership))]
        if history.empty:
            raise ParameterError("the history holds no rows for the partnership asked for")
    names = sorted({" ".join(str(p).split()) for p in history["partnership"]})
    if len(names) > 1:
        raise ParameterError(
            f"the history holds {len(names)} partnerships; choose one (partnership=...)"
        )
    periods = sorted({str(p) for p in history["period"]}, key=_period_key)
    if period is None:
        if not periods:
            raise ParameterError("the history is empty: there is no quarter to compare")
        period = periods[-1]
    elif str(period) not in periods:
        raise ParameterError(f"the history holds no figures for {str(period)[:20]}")
    kind = _period_key(period)[1] == 5
    earlier = [
        p
        for p in periods
        if _period_key(p) < _period_key(period) and (_period_key(p)[1] == 5) == kind
    ]
    before = earlier[-1] if earlier else None

    by_period = {p: rows.set_index("metric") for p, rows in history.groupby("period")}
    now_rows = by_period.get(period)
    then_rows = by_period.get(before) if before is not None else None
    since = f"{before} to {period}" if before is not None else str(period)
    out = []
    for metric in actions.index:
        label = metric_label(str(metric)) if metric in METRIC_IDS else str(metric)
        finding = actions.at[metric, "Finding"] if "Finding" in actions.columns else label
        movement, beyond = _movement(_figure(then_rows, metric), _figure(now_rows, metric))
        out.append(
            {
                "metric": metric,
                "Finding": finding,
                "Measure to watch": label,
                "Since": since,
                "Movement": movement,
                "Beyond chance": beyond,
            }
        )
    frame = pd.DataFrame(out, columns=["metric", *FOLLOW_UP_COLUMNS])
    return frame.set_index("metric")


def _figure(rows: pd.DataFrame | None, metric: object) -> tuple[float, int, int] | None:
    """(rate, numerator, denominator) of ``metric`` in one period's rows, or None."""
    if rows is None or metric not in rows.index:
        return None
    row = rows.loc[metric]
    if isinstance(row, pd.DataFrame):  # a metric recorded twice: the last one counts
        row = row.iloc[-1]
    numerator = pd.to_numeric(pd.Series([row["numerator"]]), errors="coerce").iloc[0]
    denominator = pd.to_numeric(pd.Series([row["denominator"]]), errors="coerce").iloc[0]
    rate = pd.to_numeric(pd.Series([row["rate"]]), errors="coerce").iloc[0]
    if pd.isna(rate) or pd.isna(denominator) or denominator == 0 or pd.isna(numerator):
        return None
    return float(rate), int(numerator), int(denominator)


def _movement(
    then: tuple[float, int, int] | None, now: tuple[float, int, int] | None
) -> tuple[str, str]:
    if now is None:
        return "no figure this quarter", ""
    if then is None:
        return "no figure last quarter", ""
    from scipy.stats import fisher_exact

    (r0, n0, d0), (r1, n1, d1) = then, now
    _, p = fisher_exact([[n0, d0 - n0], [n1, d1 - n1]], alternative="two-sided")
    beyond = "Yes" if p < 0.05 else "No"
    a, b = format_percent(r0), format_percent(r1)
    if a == b:
        return f"no change ({b})", beyond
    return (f"up from {a} to {b}" if r1 > r0 else f"down from {a} to {b}"), beyond
