"""Write the board-pack notebooks in notebooks/ (clean, no outputs).

The notebooks are the source of truth once written; this script documents their common
shape and recreates them: `python tools/make_notebooks.py`.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]

PARAMETERS = '''\
# Parameters: papermill replaces this cell's values (paths and periods are strings).
extract_path = "../data/sample/pooled_extract.csv"  # an extract or a validated copy
period = "all"          # a quarter like 2025-Q3, a year like 2025, or all
partnership = ""        # one partnership of a pooled extract; empty for all
suppress_max = 5        # board outputs show counts 1 to suppress_max as c
output_dir = ""         # folder for board sections; empty means preview only
history_path = "../reports/history.sqlite"  # earlier quarters, if recorded'''

OPEN = '''\
import audit

data = audit.open_audit(extract_path, period=period, partnership=partnership)
board = data.board_metrics(suppress_max)  # what the board may see: small counts as "c"
print(f"{data.in_scope} cases in scope · {data.period_label} · {data.place}")'''


def notebook(title: str, intro: str, cells: list) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": {"name": "audit", "display_name": "audit (Python 3)", "language": "python"},
        "language_info": {"name": "python"},
    }
    params = new_code_cell(PARAMETERS)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [new_markdown_cell(f"# {title}\n\n{intro}"), params, new_code_cell(OPEN), *cells]
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"
    return nb


def md(text: str):
    return new_markdown_cell(text)


def code(text: str):
    return new_code_cell(text)


NOTEBOOKS = {
    "board_summary": notebook(
        "Board summary",
        "One page for the partnership board: headline findings in plain English, the key "
        "figures against the national review, and the caveats to read them with.",
        [
            code('''\
section = audit.BoardSection("summary", "Summary for the board", output_dir, suppress_max)
section.text(audit.headline_findings(data, suppress_max))
NATIONAL = [m for m in board.metric if m in audit.NATIONAL_REFERENCE and m.startswith("risk.")]
section.chart(audit.charts.local_vs_national(board, NATIONAL, name="summary_risk_factors",
                                             **data.chart_context))
if not data.funnel.empty:
    section.chart(audit.charts.engagement_funnel_chart(data.board_funnel(suppress_max),
                                                       name="summary_engagement",
                                                       **data.chart_context))
section.heading("Read these figures with")
section.text(audit.caveats(data, suppress_max))
section.save()
section'''),
            md("The summary quotes only figures the board table shows; the sections that follow "
               "give every measure with its confidence interval."),
        ]),
    "risk_factors": notebook(
        "Risk factors",
        "How often the risk factors the national review found were present, locally and "
        "nationally, with 95% Wilson intervals, and which factors occur together.",
        [
            md("## Analyst view (unsuppressed)"),
            code('''\
RISK = [m for m in board.metric if m.startswith("risk.")]
data.metrics.set_index("metric").loc[RISK]'''),
            md("## Board section"),
            code('''\
section = audit.BoardSection("risk-factors", "Risk factors", output_dir, suppress_max)
chart = audit.charts.local_vs_national(board, RISK, name="risk_factors", **data.chart_context)
section.chart(chart)
section.text(audit.metric_sentences(RISK, data.metrics, board))
section.table(audit.metrics_display_table(board, RISK, audit.board_verdicts(data.metrics, board)),
              "Risk factors: local figures with 95% confidence intervals and the national "
              "figures (92 notifications)", suppressed=True)
cooc = audit.charts.cooccurrence_heatmap(data.board_cooccurrence(suppress_max),
                                         **data.chart_context)
section.chart(cooc)
counts = data.risk_counts[["risk_factors", "cases"]].rename(
    columns={"risk_factors": "Risk factors recorded", "cases": "Cases"})
section.table(counts, "Cases by the number of risk factors recorded as yes",
              count_columns=["Cases"])
section.save()
section'''),
            md("Each bar is the local percentage among cases where the factor was recorded; "
               "the diamond is the national figure."),
        ]),
    "father_engagement": notebook(
        "Father engagement",
        "The briefing's practice questions as an audit trail: was he identified, were "
        "enquiries made beyond the mother, was he contacted, seen, his history checked, "
        "included in the assessment and the plan?",
        [
            md("## Analyst view (unsuppressed)"),
            code('''\
data.funnel.set_index("label")[["yes", "known", "unknown", "rate", "reached", "kept", "step_rate", "drop"]]'''),
            md("## Board section"),
            code('''\
ENGAGEMENT = [m for m in board.metric if m.startswith("engagement.")]
board_funnel = data.board_funnel(suppress_max)
section = audit.BoardSection("engagement", "Father engagement", output_dir, suppress_max)
if not board_funnel.empty:
    section.chart(audit.charts.engagement_funnel_chart(board_funnel, **data.chart_context))
section.text(audit.funnel_sentence(board_funnel))
if ENGAGEMENT:
    section.table(audit.metrics_display_table(board, ENGAGEMENT),
                  "Father engagement: each practice question as a percentage of cases where it "
                  "was recorded (no national figure was published)", suppressed=True)
section.save()
section'''),
            md("The funnel shows each step as a share of cases where it was recorded; the "
               "sentence above names the step where most fathers were lost."),
        ]),
    "services_and_sharing": notebook(
        "Service contact and information sharing",
        "The highest level of service involvement at the time of the abuse, against the "
        "national 45 / 24 / 12 / 11 of 92, and whether health and adult services shared "
        "what they knew about him.",
        [
            md("## Analyst view (unsuppressed)"),
            code('''\
SERVICES = [m for m in board.metric if m.startswith("known_to.") or m.startswith("harmed_by.")]
SHARING = [m for m in board.metric if m.startswith("sharing.")]
data.metrics.set_index("metric").loc[SERVICES + SHARING]'''),
            md("## Board section"),
            code('''\
section = audit.BoardSection("services", "Service contact and information sharing",
                             output_dir, suppress_max)
section.chart(audit.charts.service_contact_chart(board, **data.chart_context))
section.text(audit.metric_sentences(SERVICES, data.metrics, board))
section.table(audit.metrics_display_table(board, SERVICES, audit.board_verdicts(data.metrics, board)),
              "Who harmed the baby and the highest level of service involvement, with the "
              "national figures (92 notifications)", suppressed=True)
if SHARING:
    section.chart(audit.charts.local_vs_national(board, SHARING, name="information_sharing",
                                                 **data.chart_context))
    section.table(audit.metrics_display_table(board, SHARING),
                  "Information sharing about the father (no national figure was published)",
                  suppressed=True)
section.save()
section'''),
            md("Nationally 45 of the 92 babies were known only to universal services and 47 "
               "to Early Help or children's social care."),
        ]),
    "trends": notebook(
        "Quarter by quarter",
        "Is it getting better? Each key measure quarter by quarter with its 95% Wilson band "
        "and the national figure, and a statistical process control chart (a p-chart, as "
        "NHS England's Making Data Count draws them) that separates real change from noise.",
        [
            md("## Analyst view (unsuppressed)"),
            code('''\
quarterly = data.quarterly(history_path)
quarterly[quarterly.metric.isin(audit.TREND_METRICS)].pivot(index="period", columns="metric", values="rate")'''),
            md("## Board section"),
            code('''\
section = audit.BoardSection("trends", "Quarter by quarter", output_dir, suppress_max)
if quarterly["period"].nunique() < 2:
    section.text("Trends appear once two or more quarters are recorded.")
for metric in [m for m in audit.TREND_METRICS if m in set(quarterly.metric)]:
    if quarterly["period"].nunique() < 2:
        break
    series = quarterly[quarterly.metric == metric]
    reference = audit.national_reference(metric)
    section.chart(audit.charts.trend_chart(
        quarterly, metric, reference[0] / reference[1] if reference else None,
        source=data.source, place=data.place, suppress_max=suppress_max))
    section.chart(audit.charts.spc_chart(
        audit.spc.p_chart(series.numerator, series.denominator, series.period),
        metric=metric, source=data.source, place=data.place, suppress_max=suppress_max,
        hidden=audit.spc.suppressed_periods(quarterly, metric, max_count=suppress_max)))
if quarterly["period"].nunique() >= 4:
    section.table(audit.rolling_display_table(data.rolling(), audit.TREND_METRICS, suppress_max,
                                              quarterly=quarterly,
                                              end=quarterly["period"].max()),
                  "The latest four quarters together (steadier than single quarters when "
                  "numbers are small)", suppressed=True)
section.save()
section'''),
            md("Points outside the control limits, or seven or more quarters in a row on one "
               "side of the average, are special-cause variation: something changed."),
        ]),
    "partnerships": notebook(
        "Partnerships compared",
        "For a pooled extract: each partnership's rate against its number of cases, inside "
        "95% and 99.8% funnel limits around the pooled rate, as public-health funnel plots "
        "are drawn. Points outside the limits differ by more than chance would explain.",
        [
            md("## Analyst view (unsuppressed)"),
            code('''\
funnels = {m: audit.spc.funnel_table(data.by_partnership, m)
           for m in audit.FUNNEL_METRICS if len(data.partnerships) > 1}
funnels'''),
            md("## Board section"),
            code('''\
import pandas as pd

section = audit.BoardSection("partnerships", "Partnerships compared", output_dir, suppress_max)
if len(data.partnerships) < 2:
    section.text("This audit covers one partnership; funnel plots need a pooled extract.")
for metric, table in funnels.items():
    section.chart(audit.charts.funnel_plot(table, source=data.source, place=data.place,
                                           period=data.period_label, suppress_max=suppress_max))
if funnels:
    board_funnels = pd.concat([audit.spc.suppress_funnel_table(t, max_count=suppress_max)
                               for t in funnels.values()])
    section.table(audit.funnel_display_table(board_funnels),
                  "Partnerships against the funnel limits around the pooled rate", suppressed=True)
section.save()
section'''),
        ]),
    "data_quality": notebook(
        "Data quality",
        "How complete the extract is: rows read and excluded, fields often unknown, flags "
        "not recorded and columns ignored. Read this before the findings.",
        [
            md("## Analyst view (unsuppressed, with row numbers)"),
            code('''\
print(audit.quality.validation_summary(data.extract))
data.extract.excluded'''),
            md("## Board section"),
            code('''\
section = audit.BoardSection("data-quality", "Data quality", output_dir, suppress_max)
section.text(audit.data_quality_text(data, suppress_max))
section.table(audit.completeness_table(data), "Completeness: cases where each field is "
              "not known (fields over 10% unknown are flagged)", count_columns=["Not known"],
              derived={"Not known": ["Share not known"]},
              complements={"Not known": "Cases"})
section.save()
section'''),
        ]),
}


def main() -> None:
    out = ROOT / "notebooks"
    out.mkdir(exist_ok=True)
    for name, nb in NOTEBOOKS.items():
        nbformat.validate(nb)
        nbformat.write(nb, out / f"{name}.ipynb")
        print(f"wrote notebooks/{name}.ipynb")


if __name__ == "__main__":
    main()
