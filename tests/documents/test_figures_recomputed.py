"""Figures in the rendered documents against a recomputation that shares nothing with grantflow.

Each test writes valid but unkind data into a scratch copy of the demo config, recomputes the
expected figures here from the files (csv module, Decimal, the YAML as written, the rules in
DOMAIN.md), renders the real .docx and reads its tables, text and the charts' embedded values back.
"""

from __future__ import annotations

import csv
import re
import zipfile
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from lxml import etree

from grantflow.documents.service import produce
from grantflow.register import open_register

from ..docx_text import all_text, find_table

NB, MINUS = "\u00a0", "\u2212"
TODAY = date(2026, 11, 24)
HAUG, NG = "haugaland-velferdsteknologi", "smart-velferdsregion-nord-gudbrandsdal"
HEADER = "Dato;År;Kategori;Beskrivelse;Beløp;Finansieringskilde;Kreditnota\n"
CHART = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"


# ------------------------------------------------------------ independent helpers

def kroner(text: str) -> Decimal:
    """A ledger amount as this module writes them: '1 234,50', '-2 400,00', '350.000' (thousands)."""
    text = text.replace("kr", "").replace(" ", "").replace(NB, "").strip()
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"-?\d{1,3}(\.\d{3})+", text):
        text = text.replace(".", "")
    return Decimal(text)


def whole(value) -> int:
    """Whole kroner, half up (DOMAIN.md: amounts are whole kroner)."""
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def num(value: int) -> str:
    """How a document prints a whole number: non-breaking groups, U+2212 minus."""
    text = f"{abs(value):,}".replace(",", NB)
    return (MINUS + text) if value < 0 else text


def ledger(config: Path, pid: str) -> list[dict]:
    with open(config / "data" / pid / "regnskap.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def write_ledger(config: Path, pid: str, rows: list[str]) -> None:
    (config / "data" / pid / "regnskap.csv").write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")


def day(text: str) -> date:
    return datetime.strptime(text, "%d.%m.%Y").date()


def plan(config: Path, pid: str) -> dict:
    return yaml.safe_load((config / "projects" / f"{pid}.yaml").read_text(encoding="utf-8"))


def chart_series(path: Path) -> list[dict[str, list[tuple[str, Decimal]]]]:
    """Each chart part's series: name -> [(category, value as embedded in the chart XML)]."""
    out = []
    with zipfile.ZipFile(path) as z:
        for name in sorted(n for n in z.namelist() if re.fullmatch(r"word/charts/chart\d+\.xml", n)):
            root = etree.fromstring(z.read(name))
            series = {}
            for ser in root.iter(f"{CHART}ser"):
                title = "".join(v.text or "" for v in ser.iterfind(f"{CHART}tx//{CHART}v"))
                cats = [pt.findtext(f"{CHART}v") for pt in ser.find(f"{CHART}cat").iter(f"{CHART}pt")]
                vals = [Decimal(pt.findtext(f"{CHART}v")) for pt in ser.find(f"{CHART}val").iter(f"{CHART}pt")]
                series[title] = list(zip(cats, vals))
            out.append(series)
    return out


def chart_label(value: Decimal) -> str:
    """What a data label with the charts' number format '#,##0' shows (Word rounds half away from 0)."""
    return num(int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP)))


@pytest.fixture
def config(scratch_config) -> Path:
    return scratch_config


def render(config: Path, kind: str, out: Path, **kw):
    return produce(open_register(config), kind, kw.pop("pid", None), out=out, today=TODAY, **kw)


# ------------------------------------------------------------ sums of øre amounts

def test_amounts_with_ore_add_up_exactly_in_the_usage_report_and_the_final_accounts(config, tmp_path):
    """Four ledger rows of 892 769,50 kr in all were added as binary floats to 892 769,4999…: the
    usage report to the county governor said "Brukt 892 769", and the final report's funder
    table said 892 769 beside accounts of 892 770 in the same document."""
    write_ledger(config, HAUG, ["01.10.2015;2015;Prosjektkostnader;a;118 472,64;fm-rogaland;",
                                "02.10.2015;2015;Prosjektkostnader;b;121 283,54;fm-rogaland;",
                                "03.10.2015;2015;Prosjektkostnader;c;496 540,24;fm-rogaland;",
                                "04.10.2015;2015;Prosjektkostnader;d;156 473,08;fm-rogaland;"])
    spent = whole(sum(kroner(r["Beløp"]) for r in ledger(config, HAUG) if r["Finansieringskilde"] == "fm-rogaland"))
    granted = sum(g["amount"] for f in plan(config, HAUG)["funders"] if f["id"] == "fm-rogaland" for g in f["grants"])
    assert (spent, granted) == (892_770, 400_000)
    usage = render(config, "usage", tmp_path, council_id="haugaland-vekst", period="2015").docx
    row = find_table(usage, "Prosjekt")[1]
    assert row[2:5] == [num(granted), num(spent), "0"], row
    assert f"Merforbruk {spent - granted:,}".replace(",", NB) in row[5], row
    final = render(config, "final", tmp_path, pid=HAUG).docx
    assert find_table(final, "Kategori")[-1][2] == num(spent)
    funders = find_table(final, "Kilde")
    assert next(r for r in funders if r[0] == "Fylkesmannens skjønnsmidler")[4] == num(spent)
    assert funders[-1][4] == num(spent)


# ------------------------------------------------------------ charts say what the tables say

CAT1, CAT2 = "Prosjektleder og prosessadministrasjon", "Felles prosjekttiltak – digital kompetanse og kunnskapsdeling"


@pytest.mark.parametrize("kind", ["final", "status"])
def test_the_budget_charts_labels_are_the_tables_figures(config, tmp_path, kind):
    """Nord-Gudbrandsdal reports in 1000 kr. Accounts of 100 500 and 200 500 kr: the table,
    rounded once so it adds up to 301, printed 100 and 201; the chart beside it embedded 100.5
    and 200.5, and Word labelled the bars 101 and 201 (each label rounds on its own)."""
    write_ledger(config, NG, [f"31.10.2019;2019;{CAT1};a;100 500;fm-innlandet;",
                              f"30.11.2019;2019;{CAT2};b;200 500;fm-innlandet;"])
    unit = plan(config, NG)["budget"]["unit"]
    rows = ledger(config, NG)
    exact = {c: sum(kroner(r["Beløp"]) for r in rows if r["Kategori"] == c) / unit for c in (CAT1, CAT2)}
    assert exact == {CAT1: Decimal("100.5"), CAT2: Decimal("200.5")}
    made = render(config, kind, tmp_path, pid=NG, **({"as_of": date(2019, 12, 31)} if kind == "status" else {}))
    bars = next(s for s in chart_series(made.docx) if "Regnskap" in s)
    labels = {cat.replace("\n", " "): chart_label(v) for cat, v in bars["Regnskap"]}
    budgets = {cat.replace("\n", " "): chart_label(v) for cat, v in bars["Budsjett"]}
    if kind == "final":
        table = {r[0]: r for r in find_table(made.docx, "Kategori")[1:-1]}
        assert {c: labels[c] for c in table} == {c: r[2] for c, r in table.items()}
        assert {c: budgets[c] for c in table} == {c: r[1] for c, r in table.items()}
    else:
        table: dict[str, int] = {}      # the status table is per year: the chart per category, all years
        for r in find_table(made.docx, "År", contains="Plan til nå")[1:-1]:
            table[r[1]] = table.get(r[1], 0) + int(r[4].replace(NB, "") or 0)
        assert {c: labels[c] for c in table} == {c: num(v) for c, v in table.items()}
    # ... and those figures add up to the rounded total, as printed in the sum row.
    total = whole(sum(exact.values()))
    assert sum(int(v.replace(NB, "")) for v in labels.values()) == total == 301
