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


# ------------------------------------------------------------ the usage report per council and year

def add_project(config: Path, pid: str, start: str, end: str, grants: list[tuple[int, int]], rows: list[str]) -> dict:
    """A copy of the Haugaland project under ``pid``: its own period, county-governor grants and ledger."""
    raw = plan(config, HAUG)
    raw.update(id=pid, name=f"Prosjekt {pid}", period={"start": start, "end": end})
    raw["milestones"] = [{"number": 1, "date": end, "event": "Avslutte prosjektet"}]
    for funder in raw["funders"]:
        if funder["id"] == "fm-rogaland":
            funder["grants"] = [{"year": y, "amount": a, "reference": f"{y}/{pid}"} for y, a in grants]
            funder.pop("deadlines", None)
    raw["meetings"] = {"dates": [], "lead_days": 7}
    folder = config / "data" / pid
    folder.mkdir()
    raw["data"] = {"ledger": f"data/{pid}/regnskap.csv"}
    write_ledger(config, pid, rows)
    (config / "projects" / f"{pid}.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return raw


def spent_by_year_end(config: Path, pid: str, funder: str, year: int) -> int:
    """The funder's ledger rows whose accounting year (År, else the date's year) is ``year`` or before."""
    return whole(sum((kroner(r["Beløp"]) for r in ledger(config, pid) if r["Finansieringskilde"] == funder
                      and int(r["År"] or day(r["Dato"]).year) <= year), Decimal(0)))


def test_usage_report_has_one_row_per_funded_project_running_in_the_year(config, tmp_path):
    """Three projects of one council: one started mid-year with a grant per year, one ended the
    year before, and the demo project. Per 31.12.2016: granted to date, spent by 31.12 (a row
    dated 2 January booked to 2016 counts, one dated 31 December booked to 2017 does not),
    unused, and the sum row the sum of the rows as printed."""
    add_project(config, "midt-i-aaret", "2016-07-01", "2017-06-30", [(2016, 250_000), (2017, 100_000)],
                ["01.07.2016;2016;Prosjektkostnader;start;350.000;fm-rogaland;",
                 "15.08.2016;2016;Prosjektkostnader;kreditnota;-0,01;fm-rogaland;ja",
                 "31.12.2016;2017;Prosjektkostnader;bokført neste år;10 000;fm-rogaland;",
                 "02.01.2017;2016;Prosjektkostnader;desember;1 234,50;fm-rogaland;"])
    add_project(config, "ferdig-i-fjor", "2014-01-01", "2015-12-31", [(2015, 90_000)],
                ["01.06.2015;2015;Prosjektkostnader;alt;80 000;fm-rogaland;"])
    register = open_register(config)
    usage = render(config, "usage", tmp_path, council_id="haugaland-vekst", period="2016").docx
    table = find_table(usage, "Prosjekt")
    rows = {r[0]: r for r in table[1:-1]}
    assert set(rows) == {register.project(HAUG).name, "Prosjekt midt-i-aaret"}
    expected = {}
    for pid, name in ((HAUG, register.project(HAUG).name), ("midt-i-aaret", "Prosjekt midt-i-aaret")):
        grants = [g for f in plan(config, pid)["funders"] if f["id"] == "fm-rogaland" for g in f["grants"]]
        granted = sum(g["amount"] for g in grants if g["year"] <= 2016)
        spent = spent_by_year_end(config, pid, "fm-rogaland", 2016)
        expected[name] = [num(granted), num(spent), num(max(granted - spent, 0))]
        assert rows[name][2:5] == expected[name], rows[name]
    assert expected["Prosjekt midt-i-aaret"] == [num(250_000), num(351_234), "0"]
    assert table[-1][2:5] == [num(sum(int(e[i].replace(NB, "")) for e in expected.values())) for i in range(3)]
    # The project that ended in 2015 is in the report per 31.12.2015, with what it left unused.
    usage = render(config, "usage", tmp_path, council_id="haugaland-vekst", period="2015").docx
    row = next(r for r in find_table(usage, "Prosjekt") if r[0] == "Prosjekt ferdig-i-fjor")
    assert row[2:5] == [num(90_000), num(80_000), num(10_000)] and "Tilbakebetales" in row[5]


# ------------------------------------------------------------ budget vs accounts

def test_a_category_written_on_one_budget_line_per_year_is_one_category(config, tmp_path):
    """A budget with "Prosjektkostnader" on one line per year (validation calls it an error, the
    documents were made anyway): the final report printed accounts of 2 176 521 kr, the ledger's
    1 088 261 kr twice, against a budget of the first line counted twice; the status report a
    row per line, each with the whole year's accounts."""
    from ..conftest import replace_in
    replace_in(config / "projects" / f"{HAUG}.yaml", "      amounts: {2015: 1211321, 2016: 1123094}",
               "      amounts: {2015: 1211321}\n    - category: Prosjektkostnader\n      amounts: {2016: 1123094}")
    costs = plan(config, HAUG)["budget"]["costs"]
    budget: dict[int, int] = {}
    for line in costs:
        for year, amount in line["amounts"].items():
            budget[year] = budget.get(year, 0) + amount
    assert [c["category"] for c in costs] == ["Prosjektkostnader"] * 2 and sum(budget.values()) == 2_334_415
    rows = ledger(config, HAUG)
    accounts = whole(sum(kroner(r["Beløp"]) for r in rows))
    assert accounts == 1_088_261
    final = render(config, "final", tmp_path, pid=HAUG).docx
    assert find_table(final, "Kategori")[1:] == [
        ["Prosjektkostnader", num(2_334_415), num(accounts), num(accounts - 2_334_415), "−53,4\u00a0%"],
        ["Sum", num(2_334_415), num(accounts), num(accounts - 2_334_415), "−53,4\u00a0%"]]
    as_of = date(2016, 10, 7)
    status = render(config, "status", tmp_path, pid=HAUG, as_of=as_of).docx
    table = find_table(status, "År", contains="Plan til nå")
    by_year = {y: whole(sum((kroner(r["Beløp"]) for r in rows if int(r["År"]) == y and day(r["Dato"]) <= as_of),
                            Decimal(0))) for y in budget}
    assert [(r[0], r[1], r[2], r[4]) for r in table[1:-1]] == [
        (str(y), "Prosjektkostnader", num(budget[y]), num(by_year[y])) for y in sorted(budget)]
    assert table[-1][2] == num(2_334_415) and table[-1][4] == num(sum(by_year.values()))


ERP = "kongsbergregionen-erp"


def test_the_applications_financing_plan_shows_the_municipal_rest_per_year(config, tmp_path):
    """Kongsbergregionen's municipal line has no amounts: the municipalities cover costs minus
    external financing. The application's financing plan (per year and source) left that line out
    and printed "Sum 0 0 0" under a cost budget of 5 450 000 kr."""
    budget = plan(config, ERP)["budget"]
    years = sorted({y for c in budget["costs"] for y in c["amounts"]})
    costs = {y: sum(c["amounts"].get(y, 0) for c in budget["costs"]) * budget.get("unit", 1) for y in years}
    external = {y: sum((l.get("amounts") or {}).get(y, 0) for l in budget["financing"]
                       if l["kind"] not in ("kommunene", "egeninnsats")) * budget.get("unit", 1) for y in years}
    municipal = next(l for l in budget["financing"] if l["kind"] == "kommunene")
    assert not municipal.get("amounts") and sum(external.values()) == 0   # the rest is the costs, year by year
    path = render(config, "application", tmp_path, pid=ERP, period=str(years[0])).docx
    table = find_table(path, "Kilde")
    assert table[0] == ["Kilde"] + [str(y) for y in years] + ["Sum"]
    row = next(r for r in table if r[0] == municipal["source"])
    assert row[1:] == [num(costs[y]) for y in years] + [num(sum(costs.values()))]
    assert table[-1][1:] == find_table(path, "Kategori")[-1][1:] == row[1:]
