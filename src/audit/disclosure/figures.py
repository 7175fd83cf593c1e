"""``figures.csv``: every figure a public pack publishes, and the reviewer's re-check.

A public pack lists, one row a figure, every count and rate it publishes — where it is
printed (table, row, column), what it adds up (as :class:`~audit.disclosure.model.Term`
sums, in JSON) and its value, or ``c`` when hidden. Everything in it is already in the
pack; it only says how the figures relate, so that :func:`check_pack` (``audit
check-disclosure PACK_DIR``) can rebuild the attacker's model from the published files
alone and attack every hidden count and every unprinted atomic count again. It also checks
that ``metrics.csv`` says what ``figures.csv`` says, so the list cannot leave a printed
figure out unnoticed.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from audit.disclosure.attack import AttackReport, attack
from audit.disclosure.model import Count, Publication, Rate, Term
from audit.errors import DisclosureError
from audit.files import atomic_write_text
from audit.formatting import SUPPRESSED, csv_text

__all__ = [
    "FIGURES_FILE",
    "figures_text",
    "write_figures",
    "read_figures",
    "parse_figures",
    "check_pack",
    "CheckResult",
]

FIGURES_FILE = "figures.csv"
_COLUMNS = ["kind", "table", "row", "column", "value", "low", "high", "terms", "denominator_terms"]


def _terms_json(terms: tuple[Term, ...]) -> str:
    return json.dumps(
        [[t.family, list(t.categories), sorted(t.partnerships), sorted(t.quarters)] for t in terms],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _terms(text: str) -> tuple[Term, ...]:
    return tuple(Term(f, tuple(c), frozenset(p), frozenset(q)) for f, c, p, q in json.loads(text))


def _uncsv(text: str) -> str:
    """Undo :func:`audit.formatting.csv_text` for a cell this module wrote."""
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@", "\t", "\r") else text


def write_figures(path: Path, publication: Publication, k: int) -> Path:
    """Write ``figures.csv`` for a protected publication (threshold ``k`` in the header)."""
    return atomic_write_text(path, figures_text(publication, k))


def figures_text(publication: Publication, k: int) -> str:
    """The text of ``figures.csv`` for a protected publication (threshold ``k`` in the
    header): what a pack writes beside its other files."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [f"# audit figures: threshold {k}; pattern flags " + "|".join(publication.pattern_flags)]
    )
    writer.writerow(_COLUMNS)
    pack = json.dumps(
        [sorted(publication.pack_partnerships), sorted(publication.pack_quarters)],
        ensure_ascii=False,
    )
    writer.writerow(["pack", "", "", "", "", "", "", csv_text(pack), ""])
    for family, categories in sorted(publication.categories.items()):
        writer.writerow(
            [
                "family",
                "",
                csv_text(family),
                "",
                "",
                "",
                "",
                csv_text(json.dumps(list(categories))),
                "",
            ]
        )
    for c in publication.counts:
        writer.writerow(
            [
                "count",
                c.table,
                csv_text(c.row),
                c.column,
                SUPPRESSED if c.hidden else c.value,
                "",
                "",
                csv_text(_terms_json(c.terms)),
                "",
            ]
        )
    for r in publication.rates:
        writer.writerow(
            [
                "rate",
                r.table,
                csv_text(r.row),
                r.column,
                "",
                repr(r.low),
                repr(r.high),
                csv_text(_terms_json(r.numerator)),
                csv_text(_terms_json(r.denominator)),
            ]
        )
    return out.getvalue()


def read_figures(path: Path) -> tuple[Publication, int]:
    """The publication and threshold recorded in a pack's ``figures.csv``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DisclosureError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    return parse_figures(text, path.name)


def _placed(row: dict[str, str]) -> tuple[str, str, str, tuple[Term, ...]]:
    """A count's or rate's row of ``figures.csv``: its table, row and column, and the terms
    it sums (a rate's numerator)."""
    return row["table"], _uncsv(row["row"]), row["column"], _terms(_uncsv(row["terms"]))


def parse_figures(text: str, name: str = FIGURES_FILE) -> tuple[Publication, int]:
    """The publication and threshold of a ``figures.csv``'s text (``name`` in messages):
    a pack's file, or a release kept in the history store's ledger."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("# audit figures: threshold "):
        raise DisclosureError(f"{name} is not an audit figures file")
    head = lines[0].removeprefix("# audit figures: threshold ")
    k_text, _, flags = head.partition("; pattern flags ")
    publication = Publication(pattern_flags=tuple(f for f in flags.split("|") if f))
    reader = csv.DictReader(io.StringIO("\n".join(lines[1:])))
    try:
        for row in reader:
            kind = row["kind"]
            if kind == "pack":
                partnerships, quarters = json.loads(_uncsv(row["terms"]))
                publication.pack_partnerships = frozenset(partnerships)
                publication.pack_quarters = frozenset(quarters)
            elif kind == "family":
                publication.categories[_uncsv(row["row"])] = tuple(json.loads(_uncsv(row["terms"])))
            elif kind == "count":
                hidden = row["value"] == SUPPRESSED
                value = None if hidden else int(row["value"])
                publication.counts.append(Count(*_placed(row), value, hidden))
            elif kind == "rate":
                publication.rates.append(
                    Rate(
                        *_placed(row),
                        _terms(_uncsv(row["denominator_terms"])),
                        float(row["low"]),
                        float(row["high"]),
                    )
                )
    except (KeyError, ValueError, TypeError) as exc:
        raise DisclosureError(
            f"{name} is damaged ({type(exc).__name__} on line {reader.line_num + 1})"
        ) from None
    return publication, int(k_text)


@dataclass(frozen=True)
class CheckResult:
    """What ``audit check-disclosure`` found."""

    threshold: int
    hidden: int
    attacked: int
    narrowest: float | None
    report: AttackReport

    @property
    def narrowest_words(self) -> str:
        """The narrowest range of a count that could be small, as the values a reader can
        count: a range of width 5 (0..5) holds 6 values, which the threshold's "5 values or
        fewer" does not reach (a new analyst read "narrowest range 5" as a failure)."""
        if self.narrowest is None:
            return "none could be small"
        if self.narrowest == float("inf"):
            return "unbounded"
        return f"{self.narrowest + 1:g} possible values"


def _check_metrics_csv(folder: Path, publication: Publication) -> None:
    """Every count in ``metrics.csv`` is the figure ``figures.csv`` records for it."""
    path = folder / "metrics.csv"
    if not path.is_file():
        return
    recorded = {
        (c.row, c.column): (SUPPRESSED if c.hidden else str(c.value))
        for c in publication.counts
        if c.table == "metrics"
    }
    with open(path, encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            for column in ("numerator", "denominator", "unknown"):
                key = (row.get("metric", ""), column)
                if key in recorded and row.get(column, "") != recorded[key]:
                    raise DisclosureError(
                        f"metrics.csv line {line}, column '{column}' does not match "
                        "figures.csv: the pack has been altered"
                    )


def check_pack(folder: str | Path) -> CheckResult:
    """Re-run the attack on a written public pack from its published files alone.

    Raises :class:`~audit.errors.DisclosureError` when a count is exposed (naming where,
    never a value), when the files disagree, or when the folder is not a public pack.
    """
    folder = Path(folder)
    path = folder / FIGURES_FILE
    if not path.is_file():
        raise DisclosureError(
            f"{folder} holds no {FIGURES_FILE}: only a public pack "
            "(audit run --audience public) can be checked"
        )
    publication, k = read_figures(path)
    _check_metrics_csv(folder, publication)
    report = attack(publication, k)
    if report.exposed:
        worst = report.exposed[0]
        raise DisclosureError(
            f"a hidden count can be narrowed to {k} values or fewer: "
            f"{worst.label}; {len(report.exposed)} count(s) in all"
        )
    return CheckResult(k, report.hidden, report.attacked, report.narrowest(k), report)
