"""The registry of published tables: every figure a pack prints belongs to one entry, the
protected view holds exactly the registry's tables, and an entry that would print figures
in a public pack without cells for the attack is refused."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import audit
from audit.disclosure import protect
from audit.disclosure.tables import (
    TABLES,
    PublishedTable,
    build_publication,
    check_tables,
    entry_of_address,
    row_key,
)
from audit.errors import ReportError
from audit.workspace import AuditData, open_audit

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "pooled_extract.csv"


@pytest.fixture(scope="module")
def pooled() -> AuditData:
    return open_audit(SAMPLE, period="2025-Q3").compute()


def test_every_published_figure_belongs_to_a_registry_entry(pooled):
    publication = build_publication(pooled)
    tables = {c.table for c in publication.counts} | {r.table for r in publication.rates}
    # the sample pools three partnerships over ten quarters: every kind of table is printed
    assert tables == {"cases", "metrics", "risk_bands", "cooccurrence", "quarterly", "spc",
                      "rolling", "partnerships"}
    assert all(entry_of_address(t) is not None for t in tables)
    # rows of several parts are spelt one way, by the entry that owns them
    quarter = next(c for c in publication.counts if c.table == "quarterly")
    period, metric = quarter.row.split("|")
    assert quarter.row == row_key(period, metric)


def test_the_view_holds_the_registry_tables_and_nothing_else(pooled):
    keys = [t.key for t in TABLES]
    board, public = protect(pooled, "board"), protect(pooled, "public")
    assert list(board.tables) == keys and list(public.tables) == keys
    # the board's own tables are the analyst's figures; the public never sees the steps'
    # conditional counts or the auditors' agreement
    assert board.metrics.equals(pooled.metrics) and board.cases == pooled.in_scope
    assert board.steps is not None and public.steps is None and public.agreement is None
    with pytest.raises(ReportError, match="no published table 'by_partnership'"):
        board.table("by_partnership")


def test_protect_writes_nothing_back_into_the_audit(pooled):
    before = {name: id(value) for name, value in vars(pooled).items()}
    first, second = protect(pooled, "board"), protect(pooled, "board")
    assert first is not second                           # a new view each call, not a cache
    assert {name: id(value) for name, value in vars(pooled).items()} == before


def test_an_entry_printing_for_the_public_without_cells_is_refused():
    unattacked = PublishedTable("extra", "extra", lambda d: pd.DataFrame(),
                                public=lambda table, hiding: table)
    with pytest.raises(TypeError, match="'extra' prints figures in a public pack"):
        check_tables((*TABLES, unattacked))
    check_tables((*TABLES, PublishedTable("board_only", "board_only", lambda d: None)))
    with pytest.raises(TypeError, match="share the key 'metrics'"):
        check_tables((*TABLES, PublishedTable("metrics_again", "metrics", lambda d: None)))
    with pytest.raises(TypeError, match="share the address table 'spc'"):
        check_tables((*TABLES, PublishedTable("spc", "charts", lambda d: None,
                                              cells=lambda d, p: None)))


def test_a_chart_line_belongs_to_the_table_it_is_drawn_over():
    # the p-chart's average is listed with the quarters (address table "spc"): withheld as
    # a line when it pins a count, and left out with its metric's quarters
    owner = entry_of_address("spc")
    assert owner is not None and owner.name == "quarterly" and "centre" in owner.lines
    assert owner.group is not None and owner.group("engagement.seen") == "engagement.seen"
    assert entry_of_address("partnerships").lines == ("target",)
    # the number of cases is never hidden to protect another count
    assert [t.name for t in TABLES if not t.complementary] == ["cases"]


def test_every_module_of_the_package_is_an_attribute():
    # audit.measures.engagement was once left out of a hand-kept list and raised AttributeError
    assert audit.measures.engagement.engagement_funnel is audit.engagement_funnel
    assert {"measures", "workspace", "disclosure", "sections"} <= audit._SUBMODULES
    assert "engagement" in audit.measures._SUBMODULES


def test_leaving_out_a_chart_leaves_out_its_line_and_a_withheld_line_its_chart(pooled):
    from audit.disclosure.protect import _crowded_groups, _without

    full = build_publication(pooled)
    kept = _without(full, {("quarterly", "engagement.seen"), ("partnerships", "engagement.seen")})
    lines = {(r.table, r.row) for r in kept.rates if r.column in ("centre", "target")}
    assert ("spc", "engagement.seen") not in lines and ("spc", "engagement.contacted") in lines
    assert ("partnerships", "engagement.seen") not in lines
    assert ("partnerships", "engagement.contacted") in lines
    assert not [c for c in kept.counts if c.row.endswith("|engagement.seen")
                and c.table in ("quarterly", "partnerships")]
    assert _crowded_groups(kept) == set()
    kept.withheld |= {("spc", "engagement.contacted", "centre"),
                      ("partnerships", "engagement.identified", "target")}
    assert _crowded_groups(kept) == {("quarterly", "engagement.contacted"),
                                     ("partnerships", "engagement.identified")}
