"""The protected tables a pack is rendered from: every figure for the board, the safe ones
for the public.

:func:`protect` is the one door from an audit's (analyst) tables to any board or public
output. For the **board** it returns every aggregate table as it is. For the **public** it:

1. lists everything the pack would print (:func:`~audit.disclosure.publication.build_publication`);
2. hides every count from 1 to ``k`` (primary suppression);
3. attacks what is left (:func:`~audit.disclosure.attack.attack`) and, while any count is
   exposed, hides one more published figure among those that pin it (the constraints with
   a non-zero dual value in the solver's answer: hiding one of them loosens the bound),
   preferring a quarter, a rolling window or a partnership to the headline table, and the
   smallest count (complementary suppression, in the manner of τ-ARGUS's hypercube and
   modular methods, audited after every step);
4. drops a figure whose table would be mostly ``c`` (a trend chart of a partnership with
   very few cases a quarter, a heatmap of small pairs) rather than publish a table of
   ``c``, and starts again without it;
5. prints again every complementary figure the shown ones give exactly (it adds no fact),
   then attacks everything once more: that report is the audit the manifest records;
6. applies the result to the tables: a hidden count is ``c`` and so is every figure of its
   row built on it (rate, interval, p-value, limits, position; a hidden ``unknown`` is not
   part of a rate); a chart with a hidden line (the p-chart's average, the funnel's
   target) is dropped.

If a count stays exposed whatever is hidden, nothing is published: a
:class:`~audit.errors.DisclosureError` names the table and measure (never the value).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from audit.contract import flag_metric_id, metric_label
from audit.disclosure.attack import AttackReport, attack, pinned
from audit.disclosure.model import Count, Publication, Rate, Term
from audit.disclosure.policy import Policy
from audit.disclosure.publication import build_publication, true_counts
from audit.errors import DisclosureError
from audit.formatting import SUPPRESSED
from audit.workspace import AuditData

__all__ = ["Protected", "protect", "DROP_SHARE"]

#: A table with more than this share of its counts hidden is left out of a public pack.
DROP_SHARE = 0.5

# Which table to hide a complementary figure in first: detail before headline figures.
_PRIORITY = {
    "quarterly": 0,
    "rolling": 1,
    "partnerships": 2,
    "cooccurrence": 3,
    "risk_bands": 4,
    "metrics": 5,
    "spc": 6,
    "cases": 9,
}
# Groups of figures that can be dropped from a public pack as a whole: (table, metric or "").
_DROPPABLE = ("quarterly", "rolling", "partnerships", "cooccurrence", "risk_bands")
_DERIVED_METRIC = ("rate", "ci_low", "ci_high", "p_value", "p_holm")
_MAX_ROUNDS = 500


@dataclass
class Protected:
    """What a pack may show, table by table (``c`` where a figure is hidden).

    Sections and charts are rendered from these tables only. ``dropped`` says, in words,
    which figures a public pack leaves out and why; ``report`` is the attack's result.
    """

    policy: Policy
    place: str
    period: str
    period_label: str
    source: str
    partnership: str | None
    synthetic: bool
    cases: int | str
    metrics: pd.DataFrame
    quarterly: pd.DataFrame
    spc: dict[str, pd.DataFrame]
    rolling: pd.DataFrame
    funnels: dict[str, pd.DataFrame]
    risk_counts: pd.DataFrame | None
    cooccurrence: pd.DataFrame | None
    completeness: pd.DataFrame
    nested_steps: bool
    #: The engagement steps with their conditional counts (board only; ``None`` in public).
    funnel: pd.DataFrame | None
    extract: dict[str, Any]
    dropped: list[str] = field(default_factory=list)
    publication: Publication | None = None
    report: AttackReport | None = None
    #: How far the auditors agree (:attr:`audit.workspace.AuditData.agreement`): the board's
    #: only; ``None`` in a public pack, and when no case was moderated.
    agreement: pd.DataFrame | None = None

    @property
    def chart_context(self) -> dict[str, str]:
        return {"period": self.period_label, "source": self.source, "place": self.place}

    @property
    def public(self) -> bool:
        return self.policy.public

    def summary(self) -> dict[str, Any]:
        """What the manifest records of the disclosure control."""
        out: dict[str, Any] = {
            "audience": self.policy.audience.value,
            "marking": self.policy.marking,
        }
        if self.public:
            narrowest = self.report.narrowest(self.policy.max_count) if self.report else None
            out.update(
                {
                    "suppress_max": self.policy.max_count,
                    "cells_hidden": len(self.publication.hidden()) if self.publication else 0,
                    "cells_attacked": self.report.attacked if self.report else 0,
                    "narrowest_range": None
                    if narrowest is None or math.isinf(narrowest)
                    else narrowest,
                    "figures_dropped": list(self.dropped),
                }
            )
        return out


def protect(data: AuditData, policy: Policy | str = "board") -> Protected:
    """The tables ``policy``'s audience may see for ``data`` (computed once per policy).

    ``policy`` may be an audience name (``"board"``, ``"public"``) for the defaults.
    """
    if not isinstance(policy, Policy):
        policy = Policy.make(policy)
    key = (policy.audience, policy.max_count, policy.marking)
    if key not in data._protected:
        if policy.public:
            data._protected[key] = _public(data, policy)
        else:
            data._protected[key] = _board(data, policy)
    return data._protected[key]


def _context(data: AuditData) -> dict[str, Any]:
    return {
        "place": data.place,
        "period": data.period,
        "period_label": data.period_label,
        "source": data.source,
        "partnership": data.partnership,
        "synthetic": data.synthetic,
    }


def _nested(data: AuditData) -> bool:
    """True when every ``yes`` at an engagement step is a ``yes`` at the step before
    (:func:`audit.engagement.engagement_nesting`)."""
    from audit.engagement import engagement_nesting

    return engagement_nesting(data.cases).nested


def _extract_counts(data: AuditData) -> dict[str, Any]:
    extract = data.extract
    return {
        "rows_read": int(extract.rows_read),
        "in_scope": int(len(extract.cases)),
        "excluded": int(len(extract.excluded)),
        "missing_flags": list(extract.missing_flags),
        "ignored_columns": list(extract.ignored_columns),
        "moderated": extract.moderated is not None,
    }


def _board(data: AuditData, policy: Policy) -> Protected:
    trend = data.quarterly
    return Protected(
        policy=policy,
        cases=data.in_scope,
        metrics=data.metrics.copy(),
        quarterly=trend.copy(),
        spc=dict(data.spc),
        rolling=data.rolling.copy(),
        funnels=dict(data.funnels),
        risk_counts=data.risk_counts.copy(),
        cooccurrence=data.cooccurrence.copy(),
        completeness=data.completeness.copy(),
        nested_steps=_nested(data),
        funnel=data.funnel.copy(),
        extract=_extract_counts(data),
        agreement=None if data.agreement is None else data.agreement.copy(),
        **_context(data),
    )


# ------------------------------------------------------------------------------- public


def _group(count_or_address: Count | tuple[str, str, str]) -> tuple[str, str]:
    table, row, _ = (
        count_or_address.address if isinstance(count_or_address, Count) else count_or_address
    )
    if table in ("quarterly", "partnerships"):
        return table, row.split("|")[-1]
    if table in ("rolling",):
        return table, ""
    if table in ("cooccurrence", "risk_bands"):
        return table, ""
    return table, row


def _without(publication: Publication, dropped: set[tuple[str, str]]) -> Publication:
    keep_count = [c for c in publication.counts if _group(c) not in dropped]
    keep_rate = [
        r
        for r in publication.rates
        if _group(r.address) not in dropped
        and not (r.table == "spc" and ("quarterly", r.row) in dropped)
        and not (
            r.table == "partnerships"
            and r.column == "target"
            and ("partnerships", r.row) in dropped
        )
    ]
    return Publication(
        counts=[Count(c.table, c.row, c.column, c.terms, c.value) for c in keep_count],
        rates=list(keep_rate),
        pattern_flags=publication.pattern_flags
        if any(c.table in ("risk_bands", "cooccurrence") for c in keep_count)
        else (),
        pack_partnerships=publication.pack_partnerships,
        pack_quarters=publication.pack_quarters,
        categories=dict(publication.categories),
    )


def _rates_for(publication: Publication, full: Publication) -> None:
    """Keep only the rates whose row shows the counts a rate is made of (row rule) and whose
    owner is shown. A hidden ``unknown`` leaves its row's rate printed: the rate is
    ``yes / (yes + no)``, which the printed numerator and denominator give anyway, so hiding
    it would cost the reader a figure and protect nothing."""
    hidden_rows = {
        (c.table, c.row) for c in publication.counts if c.hidden and c.column != "unknown"
    }
    hidden = {c.address for c in publication.counts if c.hidden}

    def shown(r: Rate) -> bool:
        if r.column == "review_rate":
            # a risk factor "as the review counted" is yes out of every case: the page
            # prints it while its numerator and the number of cases are printed (issue 24)
            return (r.table, r.row, "numerator") not in hidden and (
                "cases",
                "pack",
                "cases",
            ) not in hidden
        return (r.table, r.row) not in hidden_rows

    publication.rates = [
        r for r in full.rates if shown(r) and r.address not in _dropped_rates(publication)
    ]


def _dropped_rates(publication: Publication) -> set[tuple[str, str, str]]:
    return publication.withheld


def _candidates(
    publication: Publication, owners: tuple[tuple[str, str, str], ...], terms: tuple[Term, ...]
) -> list[Count | tuple[str, str, str]]:
    """Shown figures that could be hidden to widen an exposed count, best first.

    First the figures that bind the attacker's bound (a rate binds through the counts of
    its row; a chart's line — the p-chart's average, the funnel's target — is withheld
    itself), then, should the solver's duals name none, the shown counts of the same
    family whose scope meets the exposed count's, then any shown count whose scope meets it.
    The number of cases in the pack is never hidden.
    """
    # A true zero is always printed (so an attacker knows every "c" is at least 1): a zero
    # is never hidden, and the number of cases in the pack never is.
    shown = {
        c.address: c
        for c in publication.counts
        if not c.hidden and c.table != "cases" and c.value != 0
    }
    by_row: dict[tuple[str, str], list[Count]] = {}
    for c in shown.values():
        by_row.setdefault((c.table, c.row), []).append(c)
    bound: list[Count] = []
    lines: list[tuple[str, str, str]] = []
    for owner in owners:
        if owner in shown:
            bound.append(shown[owner])
        elif owner[0] == "spc" or owner[2] == "target":
            lines.append(owner)
        else:
            bound += by_row.get((owner[0], owner[1]), [])

    def rank(c: Count) -> tuple:
        value = c.value if c.value is not None else 0
        return (_PRIORITY.get(c.table, 7), value, c.address)

    families = {t.family for t in terms}
    cells = set().union(*(t.cells for t in terms))
    same = [
        c for c in shown.values() if any(t.family in families and t.cells & cells for t in c.terms)
    ]
    near = [c for c in shown.values() if any(t.cells & cells for t in c.terms)]
    ordered: list[Count | tuple[str, str, str]] = [
        *sorted(bound, key=rank),
        *lines,
        *sorted(same, key=rank),
        *sorted(near, key=rank),
    ]
    seen: set[int] = set()
    out: list[Count | tuple[str, str, str]] = []
    for choice in ordered:
        key = id(choice)
        if key not in seen:
            seen.add(key)
            out.append(choice)
    return out


def _public(data: AuditData, policy: Policy) -> Protected:
    k = policy.max_count
    if data.in_scope <= k:
        raise DisclosureError(
            f"this audit holds {k} cases or fewer, too few to publish: "
            "choose a longer period or the whole partnership, or use the "
            "board audience for the board's own papers"
        )
    full = build_publication(data)
    truth = true_counts(data)
    dropped: set[tuple[str, str]] = set()
    while True:
        publication = _without(full, dropped)
        for count in publication.counts:
            count.hidden = count.value is not None and 1 <= count.value <= k
        _rates_for(publication, _without(full, dropped))
        crowded = _crowded_groups(publication)  # mostly hidden already: no need to attack
        if crowded:
            dropped |= crowded
            continue
        report = _settle(publication, _without(full, dropped), k, truth)
        crowded = _crowded_groups(publication)
        if not crowded:
            break
        dropped |= crowded
    report = _release(publication, _without(full, dropped), k, truth, report)
    protected = _apply(data, policy, publication, report, dropped)
    return protected


def _settle(publication: Publication, full: Publication, k: int, truth) -> AttackReport:
    """Hide complementary figures until the attack finds nothing exposed.

    Hiding a figure only removes constraints, so a count once protected stays protected:
    each round attacks only the counts exposed last time and the figures just hidden. But a
    hidden figure can also make a new count worth attacking (hide a partnership's numerator
    and denominator and its "no", printed before as their difference, becomes a target), so
    a clean targeted round is confirmed by an attack over every target, and only a clean
    full attack ends the search. That last attack is the audit the manifest records.
    """
    pending: list[tuple[str, tuple[Term, ...]]] | None = None
    for _ in range(_MAX_ROUNDS):
        report = attack(publication, k, truth=truth, targets=pending)
        if not report.exposed:
            if pending is None:
                return report
            pending = None  # confirm with a full attack
            continue
        newly: list[Count] = []
        for bounds in report.exposed:
            for choice in _candidates(publication, bounds.binding, bounds.terms):
                if isinstance(choice, Count):
                    if not choice.hidden:
                        choice.hidden = True
                        newly.append(choice)
                        break
                elif choice not in publication.withheld:
                    publication.withheld.add(choice)
                    break
            else:
                table, measure = _describe(bounds.terms)
                raise DisclosureError(
                    f"the public pack cannot hide {measure} in {table}: whatever else is "
                    "hidden it could be worked out from the published figures. Nothing was "
                    "written; publish a longer period or a larger area"
                )
        _rates_for(publication, full)
        pending = [(b.label, b.terms) for b in report.exposed] + [
            (f"{c.table}: {c.row}, {c.column}", c.terms) for c in newly
        ]
    raise DisclosureError("the disclosure check did not settle; nothing was written")


def _release(
    publication: Publication, full: Publication, k: int, truth, report: AttackReport
) -> AttackReport:
    """Print again each complementary figure that hiding protects nothing.

    The search hides the cheapest figure that binds an exposed count, and a later choice
    can make an earlier one pointless: an ``unknown`` hidden while the case count and the
    denominator beside it still give it exactly. A hidden figure that the shown figures fix
    to one value (:func:`~audit.disclosure.attack.pinned`) is printed again: it adds no
    fact. The final attack over every target confirms it; were anything exposed, the
    figures would be hidden again.
    """
    k_small = [
        c for c in publication.counts if c.hidden and c.value is not None and 1 <= c.value <= k
    ]
    extra = [c for c in publication.counts if c.hidden and c not in k_small]
    if not extra:
        return report
    released = [
        c for c, fixed in zip(extra, pinned(publication, [c.terms for c in extra])) if fixed
    ]
    if not released:
        return report
    for c in released:
        c.hidden = False
    _rates_for(publication, full)
    after = attack(publication, k, truth=truth)
    if after.exposed:  # pragma: no cover - an implied figure cannot narrow any range
        for c in released:
            c.hidden = True
        _rates_for(publication, full)
        return report
    return after


def _describe(terms: tuple[Term, ...]) -> tuple[str, str]:
    t = terms[0]
    family = t.family
    quarters = sorted(t.quarters)
    when = quarters[0] if len(quarters) == 1 else f"{quarters[0]} to {quarters[-1]}"
    return (
        f"the figures for {', '.join(sorted(t.partnerships))}, {when}",
        f"'{family}' ({'/'.join(t.categories) if len(t.categories) < 4 else 'a pattern'})",
    )


def _crowded_groups(publication: Publication) -> set[tuple[str, str]]:
    groups: dict[tuple[str, str], list[Count]] = {}
    for count in publication.counts:
        if count.table in _DROPPABLE:
            groups.setdefault(_group(count), []).append(count)
    crowded = {g for g, cs in groups.items() if sum(c.hidden for c in cs) > DROP_SHARE * len(cs)}
    for rate in _dropped_rates(publication):
        if rate[0] == "spc":
            crowded.add(("quarterly", rate[1]))
        elif rate[2] == "target":
            crowded.add(("partnerships", rate[1]))
    return crowded


# ---------------------------------------------------------------------- the tables


def _hide(frame: pd.DataFrame, mask: np.ndarray, columns: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for column in columns:
        if column not in out.columns or not mask.any():
            continue
        values = out[column].astype(object).to_numpy(copy=True)
        values[mask] = SUPPRESSED
        out[column] = pd.Series(values, index=out.index, dtype=object)
    return out


def _hide_counts(frame: pd.DataFrame, masks: dict[str, np.ndarray]) -> pd.DataFrame:
    """Each count column hidden where that count is: a count the publication prints (and
    ``figures.csv`` lists as printed) stays printed beside a hidden one (issue 24)."""
    for column, mask in masks.items():
        frame = _hide(frame, mask, [column])
    return frame


def _apply(
    data: AuditData,
    policy: Policy,
    publication: Publication,
    report: AttackReport,
    dropped: set[tuple[str, str]],
) -> Protected:
    hidden = {c.address for c in publication.counts if c.hidden}

    def masks(table: str, rows: list[str], columns: list[str]) -> dict[str, np.ndarray]:
        return {
            col: np.array([(table, r, col) in hidden for r in rows], dtype=bool) for col in columns
        }

    # The metrics table.
    metrics = data.metrics
    ids = [str(m) for m in metrics["metric"]]
    m = masks("metrics", ids, ["numerator", "denominator", "unknown"])
    row_hidden = m["numerator"] | m["denominator"]  # the rate is not made of the unknown
    out = metrics
    for column, mask in m.items():
        out = _hide(out, mask, [column])
    out = _hide(out, row_hidden, list(_DERIVED_METRIC))
    metrics = _adjust_shown(out)

    # Quarter by quarter.
    quarterly = data.quarterly
    from audit.workspace import TREND_METRICS

    quarterly = quarterly[
        quarterly["metric"].isin(TREND_METRICS)
        & ~quarterly["metric"].isin({g[1] for g in dropped if g[0] == "quarterly"})
    ]
    keys = [f"{p}|{mm}" for p, mm in zip(quarterly["period"], quarterly["metric"])]
    qm = masks("quarterly", keys, ["numerator", "denominator"])
    q_hidden = qm["numerator"] | qm["denominator"]
    quarterly = _hide_counts(
        quarterly.drop(columns=[c for c in ("cases", "unknown") if c in quarterly.columns]),
        qm,
    )
    quarterly = _hide(
        quarterly,
        q_hidden,
        [
            "rate",
            "ci_low",
            "ci_high",
            "national_numerator",
            "national_denominator",
            "national_rate",
            "p_value",
            "p_holm",
        ],
    )
    hidden_quarters = {
        (p, mm) for (p, mm), h in zip(zip(quarterly["period"], quarterly["metric"]), q_hidden) if h
    }
    spc = {}
    for metric, chart in data.spc.items():
        if ("quarterly", metric) in dropped:
            continue
        spc[metric] = _public_p_chart(chart, {p for p, mm in hidden_quarters if mm == metric})

    rolling = data.rolling
    rolling = (
        rolling[rolling["metric"].isin(TREND_METRICS)]
        if ("rolling", "") not in dropped
        else rolling.iloc[0:0]
    )
    rm = masks("rolling", [str(x) for x in rolling["metric"]], ["numerator", "denominator"])
    r_hidden = rm["numerator"] | rm["denominator"]
    rolling = _hide(
        _hide_counts(rolling.drop(columns=["unknown"]), rm),
        r_hidden,
        [
            "rate",
            "ci_low",
            "ci_high",
            "p_value",
            "p_holm",
            "national_numerator",
            "national_denominator",
            "national_rate",
        ],
    )

    funnels = {}
    for metric, table in data.funnels.items():
        if ("partnerships", metric) in dropped:
            continue
        keys = [f"{p}|{metric}" for p in table["partnership"]]
        fm = masks("partnerships", keys, ["numerator", "denominator"])
        f_hidden = fm["numerator"] | fm["denominator"]
        limit_columns = [c for c in table.columns if c.startswith(("lower_", "upper_", "outside_"))]
        funnels[metric] = _hide(
            _hide_counts(table.drop(columns=[c for c in ("unknown",) if c in table.columns]), fm),
            f_hidden,
            ["rate", "position", *limit_columns],
        )

    risk_counts = cooccurrence = None
    if ("risk_bands", "") not in dropped and not data.risk_counts.empty:
        bands = [str(b) for b in data.risk_counts["risk_factors"]]
        bm = masks("risk_bands", bands, ["cases"])["cases"]
        risk_counts = _hide(data.risk_counts.drop(columns=["with_unknown"]), bm, ["cases", "share"])
    if ("cooccurrence", "") not in dropped and not data.cooccurrence.empty:
        cooc = data.cooccurrence.astype(object).copy()
        for flag in cooc.columns:
            if ("metrics", flag_metric_id(flag), "numerator") in hidden:
                cooc.loc[flag, flag] = SUPPRESSED
        for a in cooc.index:
            for b in cooc.columns:
                if ("cooccurrence", f"{a}|{b}", "cases") in hidden or (
                    "cooccurrence",
                    f"{b}|{a}",
                    "cases",
                ) in hidden:
                    cooc.loc[a, b] = SUPPRESSED
        cooccurrence = cooc

    cases_shown = SUPPRESSED if ("cases", "pack", "cases") in hidden else data.in_scope
    words = _dropped_words(dropped, data)
    return Protected(
        policy=policy,
        cases=cases_shown,
        metrics=metrics,
        quarterly=quarterly,
        spc=spc,
        rolling=rolling,
        funnels=funnels,
        risk_counts=risk_counts,
        cooccurrence=cooccurrence,
        completeness=_public_completeness(metrics, cases_shown),
        nested_steps=_nested(data),
        funnel=None,
        extract={
            "missing_flags": list(data.extract.missing_flags),
            "ignored_columns": list(data.extract.ignored_columns),
            "moderated": data.extract.moderated is not None,
        },
        dropped=words,
        publication=publication,
        report=report,
        **_context(data),
    )


def _adjust_shown(metrics: pd.DataFrame) -> pd.DataFrame:
    """Holm-adjust the p-values of the rows a public pack shows, over those rows only.

    Holm's adjustment of one p-value depends on the others of its family; over a family that
    includes a hidden row it would carry that row's p-value (and so its counts). The public
    pack adjusts over the comparisons it publishes, and says so.
    """
    if "p_holm" not in metrics.columns:
        return metrics
    from audit.compare import holm_p_values

    shown = metrics[[not isinstance(v, str) for v in metrics["p_value"]]]
    adjusted = holm_p_values(shown.assign(p_value=shown["p_value"].astype("float64")))
    out = metrics.copy()
    out.loc[shown.index, "p_holm"] = adjusted
    return out


def _public_p_chart(chart: pd.DataFrame, hidden: set[str]) -> pd.DataFrame:
    """A p-chart as a public pack draws it: hidden quarters are gaps with no limits.

    The average still uses every quarter (it is published as a rate the attack checks);
    a hidden quarter is a gap that breaks a run, so its side of the average is not told.
    """
    from audit.spc import RUN_LENGTH, run_lengths

    out = chart.copy()
    mask = out["label"].astype(str).isin(hidden).to_numpy()
    side = np.where(mask, 0, out["side"].to_numpy())
    lengths = run_lengths(side)
    out["side"] = side
    out["run_length"] = lengths
    out["run"] = lengths >= RUN_LENGTH
    out["outside"] = out["outside"].to_numpy(dtype=bool) & ~mask
    out["special_cause"] = out["outside"] | out["run"]
    return _hide(out, mask, ["numerator", "denominator", "rate", "sigma", "lower", "upper"])


def _public_completeness(metrics: pd.DataFrame, cases: int | str) -> pd.DataFrame:
    """Completeness as a public pack shows it: from the protected metrics table."""
    from audit.quality import completeness_from_metrics

    return completeness_from_metrics(metrics, cases)


def _dropped_words(dropped: set[tuple[str, str]], data: AuditData) -> list[str]:
    words = []
    for table, metric in sorted(dropped):
        if table == "quarterly":
            words.append(
                f"The quarter-by-quarter charts of "
                f"'{metric_label(metric).lower()}': most quarters rest on small "
                "numbers. The latest four quarters together are shown instead where "
                "they can be."
            )
        elif table == "partnerships":
            words.append(
                f"The funnel plot of '{metric_label(metric).lower()}': most "
                "partnerships' figures rest on small numbers."
            )
        elif table == "rolling":
            words.append("The latest four quarters together: they would reveal a hidden quarter.")
        elif table == "cooccurrence":
            words.append("Which risk factors occur together: most pairs rest on small numbers.")
        elif table == "risk_bands":
            words.append("Cases by the number of risk factors: most bands rest on small numbers.")
    return words
