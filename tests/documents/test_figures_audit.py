"""Figures an independent audit found wrong, each recomputed from the data files with plain
Python (csv, Decimal, the YAML as written) and read back from the rendered .docx."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import CONFIG
from ..docx_text import find_table
from .test_figures import HAUG, TODAY, kroner, ledger_rows, num, raw_project, whole


@pytest.fixture(scope="module")
def register():
    return open_register(CONFIG)


def day(text: str) -> date:
    return datetime.strptime(text, "%d.%m.%Y").date()


def test_final_report_funders_count_the_ledger_to_the_report_date_only(register, tmp_path):
    """A final report made --as-of an earlier day (a project closed early) counted every ledger
    row in the funders' "Brukt" column but only the rows to that day in the accounts: the two
    tables of one document disagreed by the rows booked after the report date."""
    as_of = date(2016, 6, 30)
    path = produce(register, "final", HAUG, as_of=as_of, out=tmp_path, today=TODAY).docx
    rows = [r for r in ledger_rows(HAUG) if day(r["Dato"]) <= as_of]
    sources = {line["source"]: {line["source"], line.get("funder")} for line in raw_project(HAUG)["budget"]["financing"]}
    table = find_table(path, "Kilde")
    for source, names in sources.items():
        used = whole(sum((kroner(r["Beløp"]) for r in rows if r["Finansieringskilde"] in names), Decimal(0)))
        row = next(r for r in table if r[0] == source)
        assert row[4] == num(used), (source, row)
    total = whole(sum(kroner(r["Beløp"]) for r in rows))
    assert total == 896_261
    assert table[-1][4] == num(total)
    assert find_table(path, "Kategori")[-1][2] == num(total)
