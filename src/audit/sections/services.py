"""Service contact and information sharing: who knew the family, and who shared what."""

from __future__ import annotations

from audit.charts import local_vs_national, service_contact_chart
from audit.claims.findings import shown_metrics
from audit.disclosure import Protected
from audit.render.section import Section
from audit.sections.against_review import against_national
from audit.sections.tables import practice_table

__all__ = ["services"]


def services(p: Protected) -> Section:
    """The highest level of service involvement against the review's 45 / 24 / 12 / 11 of
    92, who harmed the baby, and whether health and adult services shared what they knew."""
    section = Section("services", "Service contact and information sharing")
    ids = [m for m in p.metrics["metric"] if m.startswith(("harmed_by.", "known_to."))]
    levels = [m for m in ids if m.startswith("known_to.")]  # what the chart draws
    sharing = [m for m in p.metrics["metric"] if m.startswith("sharing.")]
    if shown_metrics(p, levels):
        section.chart(service_contact_chart(p.metrics, **p.chart_context))
    else:
        section.text(_NOT_SHOWN.format(what="the highest level of service involvement"))
    against_national(
        section,
        p,
        ids,
        "Who harmed the baby and the highest level of service involvement, with the "
        "national figures (92 notifications). Service levels are shares of the "
        "cases known to a service, as the review's 45 + 24 + 12 + 11 = 92 are; "
        "'not known to services' is a share of every case whose level is known",
        sheet="Services and harm",
    )
    section.text(
        "Nationally 45 of the 92 babies were known only to universal services and "
        "47 to Early Help or children's social care."
    )
    if shown_metrics(p, sharing):
        section.chart(
            local_vs_national(
                p.metrics,
                sharing,
                name="information_sharing",
                what="information-sharing figures",
                **p.chart_context,
            )
        )
    elif sharing:
        section.text(_NOT_SHOWN.format(what="information sharing"))
    if sharing:  # its rows stay, with their c's, when no rate can be charted
        practice_table(
            section,
            p,
            sharing,
            "Information sharing about the father,",
            sheet="Information sharing",
        )
    return section


#: Said where a chart would stand but none of its rates can be printed, so a reader is
#: never left to wonder whether it was forgotten.
_NOT_SHOWN = (
    "No chart of {what}: none of the rates it would draw can be shown here, because each "
    "rests on small numbers or was not recorded."
)
