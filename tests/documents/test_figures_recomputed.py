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

from ..docx_text import all_text, find_table, tables, with_ore

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


def grant_cell(value: Decimal, ore: bool) -> str:
    """A grant table's amount: to the øre when the table has øre anywhere, else whole kroner."""
    return with_ore(value) if ore else num(int(value))


def amount_of(cell: str) -> Decimal:
    """A printed amount read back: '1 349 999,50', '−2 400' -> Decimal."""
    return Decimal(cell.replace(NB, "").replace(MINUS, "-").replace(",", "."))


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
    spent = sum(kroner(r["Beløp"]) for r in ledger(config, HAUG) if r["Finansieringskilde"] == "fm-rogaland")
    granted = sum(g["amount"] for f in plan(config, HAUG)["funders"] if f["id"] == "fm-rogaland" for g in f["grants"])
    assert (spent, whole(spent), granted) == (Decimal("892769.50"), 892_770, 400_000)
    # the grant tables to the øre, and the final report's accounts too (892 770 beside the funder
    # table's 892 769,50 on one page: a county governor's case officer asked which was right)
    usage = render(config, "usage", tmp_path, council_id="haugaland-vekst", period="2015").docx
    row = find_table(usage, "Prosjekt")[1]
    assert row[2:5] == [with_ore(granted), with_ore(spent), "0,00"], row
    assert f"Merforbruk {with_ore(spent - granted)}" in row[5], row
    final = render(config, "final", tmp_path, pid=HAUG).docx
    assert find_table(final, "Kategori")[-1][2] == with_ore(spent)
    funders = find_table(final, "Kilde")
    assert next(r for r in funders if r[0] == "Fylkesmannen i Rogaland (skjønnsmidler)")[4] == with_ore(spent)
    assert funders[-1][4] == with_ore(spent)


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
    spent = "Regnskap hele perioden" if kind == "final" else "Regnskap til nå"
    bars = next(s for s in chart_series(made.docx) if spent in s)
    labels = {cat.replace("\n", " "): chart_label(v) for cat, v in bars[spent]}
    budgets = {cat.replace("\n", " "): chart_label(v) for cat, v in bars["Budsjett hele perioden"]}
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


def spent_by_year_end(config: Path, pid: str, funder: str, year: int) -> Decimal:
    """The funder's ledger rows whose accounting year (År, else the date's year) is ``year`` or
    before, exactly (to the øre)."""
    return sum((kroner(r["Beløp"]) for r in ledger(config, pid) if r["Finansieringskilde"] == funder
                and int(r["År"] or day(r["Dato"]).year) <= year), Decimal(0))


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
        expected[name] = [with_ore(granted), with_ore(spent), with_ore(max(granted - spent, 0))]
        assert rows[name][2:5] == expected[name], rows[name]
    assert expected["Prosjekt midt-i-aaret"] == [with_ore(250_000), with_ore(Decimal("351234.49")), "0,00"]
    assert table[-1][2:5] == [with_ore(sum(amount_of(e[i]) for e in expected.values())) for i in range(3)]
    # The project that ended in 2015 is in the report per 31.12.2015, with what it left unused.
    usage = render(config, "usage", tmp_path, council_id="haugaland-vekst", period="2015").docx
    row = next(r for r in find_table(usage, "Prosjekt") if r[0] == "Prosjekt ferdig-i-fjor")
    # (with øre: the demo project's row in the same table has them)
    assert row[2:5] == [with_ore(90_000), with_ore(80_000), with_ore(10_000)] and "Tilbakebetales" in row[5]


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
    exact = sum(kroner(r["Beløp"]) for r in rows)
    accounts = whole(exact)
    assert (accounts, exact) == (1_088_261, Decimal("1088260.50"))
    final = render(config, "final", tmp_path, pid=HAUG).docx
    # the final report's accounts to the øre, as its funder table prints them
    assert find_table(final, "Kategori")[1:] == [
        ["Prosjektkostnader", with_ore(2_334_415), with_ore(exact), with_ore(exact - 2_334_415), "−53,4\u00a0%"],
        ["Sum", with_ore(2_334_415), with_ore(exact), with_ore(exact - 2_334_415), "−53,4\u00a0%"]]
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


# ------------------------------------------------------------ any valid ledger, recomputed

from hypothesis import example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FUNDERS = ("fm-rogaland", "hv-fond", "Kommunene (kostnadsfordeling)")
CATEGORIES = ("Prosjektkostnader", "prosjektkostnader", "Reise")


def written(ore: int, style: int) -> str:
    """An amount in øre as a secretariat writes it: '1 234,50', '1234,50', '350.000', '12 000'."""
    sign, ore = ("-" if ore < 0 else ""), abs(ore)
    whole_kr, rest = divmod(ore, 100)
    spaced = f"{whole_kr:,}".replace(",", " ")
    if style == 2 and rest == 0 and whole_kr >= 1000:
        return sign + f"{whole_kr:,}".replace(",", ".")
    if style == 3 and rest == 0:
        return sign + spaced
    return sign + (spaced if style == 0 else str(whole_kr)) + f",{rest:02d}"


def booked(row: dict) -> date:
    """The day a row counts from (DOMAIN: År is the accounting year; the date moves into it)."""
    when, year = day(row["Dato"]), int(row["År"] or day(row["Dato"]).year)
    return when if when.year == year else date(year, 12, 31) if year < when.year else date(year, 1, 1)


rows_strategy = st.lists(st.tuples(
    st.one_of(st.dates(date(2015, 9, 21), date(2017, 12, 31)),
              st.sampled_from([date(2015, 12, 31), date(2016, 1, 1), date(2016, 12, 31), date(2017, 1, 2),
                               date(2017, 9, 20), date(2017, 9, 21)])),
    st.sampled_from(["same", "blank", "previous"]),
    st.sampled_from(CATEGORIES),
    st.one_of(st.integers(-500_000, 50_000_000), st.integers(-10 ** 11, 10 ** 11), st.sampled_from([-1, 50, 35_000_000])),
    st.integers(0, 3),
    st.sampled_from(FUNDERS)), min_size=1, max_size=8)


@settings(max_examples=10)
@given(rows=rows_strategy)
@example(rows=[(date(2016, 3, d), "same", "Prosjektkostnader", ore, 0, "fm-rogaland")
               for d, ore in ((1, 11_847_264), (2, 12_128_354), (3, 49_654_024), (4, 15_647_308))])
def test_any_valid_ledger_gives_the_recomputed_accounts_and_grant_usage(rows):
    """Credit notes, øre, '350.000', 10^9 kr, rows on 31.12 and 1.1, a row booked to the year
    before, a category in other case and one not in the budget: the final report's accounts per
    category and per funder, and the usage report per 31.12.2016, against a recomputation."""
    import shutil
    import tempfile

    from grantflow.errors import UserError

    from ..conftest import CONFIG

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config"
        shutil.copytree(CONFIG, config)
        lines = []
        for when, year, category, ore, style, funder in rows:
            year = {"same": str(when.year), "blank": "",
                    "previous": str(when.year - 1) if when.month == 1 and when.day <= 10 else str(when.year)}[year]
            lines.append(f"{when:%d.%m.%Y};{year};{category};x;{written(ore, style)};{funder};"
                         f"{'ja' if ore < 0 else ''}")
        write_ledger(config, HAUG, lines)
        data = ledger(config, HAUG)
        assert [kroner(r["Beløp"]) * 100 for r in data] == [r[3] for r in rows]     # written as meant
        end = date(2017, 9, 20)
        counted = [r for r in data if booked(r) <= end]
        # A granted funder whose rows add up to less than nothing would be reported with more
        # unused than granted: the reports stop with one line instead (credit notes beyond costs).
        def below_zero(funder: str, until: date) -> bool:
            return sum((kroner(r["Beløp"]) for r in data if r["Finansieringskilde"] == funder
                        and booked(r) <= until), Decimal(0)) < 0

        if any(below_zero(f, end) for f in FUNDERS[:2]):
            with pytest.raises(UserError, match="credit notes beyond the costs"):
                render(config, "final", Path(tmp), pid=HAUG)
        else:
            final = render(config, "final", Path(tmp), pid=HAUG).docx
            exact = {c.casefold(): sum((kroner(r["Beløp"]) for r in counted if r["Kategori"].casefold() == c.casefold()),
                                       Decimal(0)) for c in CATEGORIES}
            total = whole(sum(exact.values()))
            table = find_table(final, "Kategori")
            printed = {r[0].casefold(): Decimal(r[2].replace(NB, "").replace(MINUS, "-").replace(",", "."))
                       for r in table[1:-1]}
            ore = any(v % 1 for v in exact.values())        # then every figure of the table to the øre
            assert table[-1][2] == (with_ore(sum(exact.values())) if ore else num(total))
            assert sum(printed.values()) == (sum(exact.values()) if ore else total)
            for category, value in exact.items():
                if value or category == "prosjektkostnader":
                    assert printed[category] == value if ore else abs(printed[category] - value) < 1, \
                        (category, printed, exact)
            funders = find_table(final, "Kilde")
            # the funders' use to the øre when the table has øre: exactly the ledger's sum
            used = {f: sum((kroner(r["Beløp"]) for r in counted if r["Finansieringskilde"] == f), Decimal(0))
                    for f in FUNDERS}
            ore = any(v % 1 for v in used.values())
            assert funders[-1][4] == grant_cell(sum(exact.values()), ore)
            # each row by its funder entry's name
            for funder, source in zip(FUNDERS, ("Fylkesmannen i Rogaland (skjønnsmidler)", "Haugaland Vekst Regionråds fond",
                                                FUNDERS[2])):
                cell = next(r for r in funders if r[0] == source)[4]
                assert cell == grant_cell(used[funder], ore), (source, cell, used)
        if below_zero("fm-rogaland", date(2016, 12, 31)):
            with pytest.raises(UserError, match="credit notes beyond the costs"):
                render(config, "usage", Path(tmp), council_id="haugaland-vekst", period="2016")
        else:
            usage = render(config, "usage", Path(tmp), council_id="haugaland-vekst", period="2016").docx
            spent = sum((kroner(r["Beløp"]) for r in data if r["Finansieringskilde"] == "fm-rogaland"
                         and booked(r) <= date(2016, 12, 31)), Decimal(0))
            row = find_table(usage, "Prosjekt")[1]
            ore = bool(spent % 1)
            assert row[2:5] == [grant_cell(Decimal(400_000), ore), grant_cell(spent, ore),
                                grant_cell(max(400_000 - spent, Decimal(0)), ore)], row


# ------------------------------------------------------------ the cost split

def largest_remainder(total: int, weights: list[int]) -> list[int]:
    """Whole parts of ``total`` by ``weights`` summing exactly to it: floors, then the leftover
    kroner to the largest remainders (ties: larger weight, then list order)."""
    quotas = [Fraction(total * w, sum(weights)) for w in weights]
    parts = [q.numerator // q.denominator for q in quotas]
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - parts[i]), -weights[i], i))
    for i in order[:total - sum(parts)]:
        parts[i] += 1
    return parts


def expected_split(total: int, equal_percent: int, weights: dict[str, int]) -> dict[str, tuple[int, int]]:
    """DOMAIN.md: X % in equal shares, the rest by weight. Each municipality pays its exact share
    rounded to a neighbouring krone (largest remainder, ties to the larger weight); the equal part
    is the same whole kroner for all (leftovers to the larger weights), the weighted part the rest."""
    names = list(weights)
    everyone = sum(weights.values())
    exact = {n: Fraction(total * equal_percent, 100 * len(names))
             + Fraction(total * (100 - equal_percent), 100) * Fraction(weights[n], everyone) for n in names}
    pays = {n: exact[n].numerator // exact[n].denominator for n in names}
    for n in sorted(names, key=lambda n: (-(exact[n] - pays[n]), -weights[n], names.index(n)))[:total - sum(pays.values())]:
        pays[n] += 1
    equal_total = whole(Decimal(total) * equal_percent / 100)
    base, extra = divmod(equal_total, len(names))
    equal = {n: base for n in names}
    for n in sorted(names, key=lambda n: (-weights[n], names.index(n)))[:extra]:
        equal[n] += 1
    return {n: (equal[n], pays[n] - equal[n]) for n in names}


def split_table(path: Path, year: int) -> dict[str, list[str]]:
    """The year's table of shares (the tables follow the year titles '2015: 412 000 kr' in order)."""
    # by its columns: the key's heading has 1.1. for population only ("Avtale 2015", test_split_key_heading)
    per_year = [t for t in tables(path) if t[0][0] == "Kommune" and t[0][2:4] == ["Lik andel", "Etter vekt"]]
    titles = re.findall(r"^(\d{4}): [\d\u00a0]+\u00a0kr$", all_text(path), re.M)
    return {r[0]: r for r in per_year[titles.index(str(year))][1:]}


def test_cost_split_document_gives_seed_000s_known_answer(config, tmp_path):
    """Seed 000, 1.6: 2015 412 000 kr = 123 600 in equal parts (12 360 each) + 288 400 by
    population 1.1.2014; 2016 1 123 000 kr = 33 690 each + 786 100 by population."""
    council = yaml.safe_load((config / "councils" / "haugaland-vekst.yaml").read_text(encoding="utf-8"))
    population = {m["name"]: m["population"][2014] for m in council["municipalities"]}
    path = render(config, "costsplit", tmp_path, pid=HAUG).docx
    for year, total, each, by_population in ((2015, 412_000, 12_360, 288_400), (2016, 1_123_000, 33_690, 786_100)):
        rows = split_table(path, year)
        expected = expected_split(total, 30, population)
        assert {e for e, _ in expected.values()} == {each}
        for name, (equal, weighted) in expected.items():
            assert rows[name][1:5] == [num(population[name]), num(equal), num(weighted), num(equal + weighted)]
        assert rows["Sum"][2:5] == [num(each * 10), num(by_population), num(total)]


def test_cost_split_with_a_key_per_year_and_municipalities_not_joining(config, tmp_path):
    """Population on 1 January of each year split (no weight_year), two of ten municipalities
    not joining ("Ikke med"), 25 % in equal parts of an amount that does not divide evenly."""
    from ..conftest import replace_in
    path_council = config / "councils" / "haugaland-vekst.yaml"
    council = yaml.safe_load(path_council.read_text(encoding="utf-8"))
    for index, member in enumerate(council["municipalities"]):
        base = member["population"][2014]
        member["population"] = {2015: base + index, 2016: base + 7 * index + 1}
    path_council.write_text(yaml.safe_dump(council, allow_unicode=True), encoding="utf-8")
    project = config / "projects" / f"{HAUG}.yaml"
    replace_in(project, "municipalities: [Haugesund, Karmøy, Bokn, Utsira, Sveio, Tysvær, Vindafjord, Etne, Sauda, Suldal]",
               "municipalities: [Haugesund, Karmøy, Bokn, Sveio, Tysvær, Vindafjord, Etne, Suldal]")
    replace_in(project, "  equal_percent: 30", "  equal_percent: 25")
    replace_in(project, "  weight_year: 2014", "")
    replace_in(project, "amounts: {2015: 412000, 2016: 1123000}", "amounts: {2015: 412003, 2016: 1123007}")
    joining = plan(config, HAUG)["municipalities"]
    path = render(config, "costsplit", tmp_path, pid=HAUG).docx
    for year, total in ((2015, 412_003), (2016, 1_123_007)):
        weights = {m["name"]: m["population"][year] for m in council["municipalities"] if m["name"] in joining}
        expected = expected_split(total, 25, weights)
        rows = split_table(path, year)
        for name, (equal, weighted) in expected.items():
            assert rows[name][1:5] == [num(weights[name]), num(equal), num(weighted), num(equal + weighted)], name
        for name in ("Utsira", "Sauda"):
            assert rows[name][4] == "Deltar ikke"
        assert rows["Sum"][4] == num(total) == num(sum(e + w for e, w in expected.values()))
    overview = {r[0]: r for r in find_table(path, "Kommune")[1:]}
    assert overview["Sum"][1:] == [num(412_003), num(1_123_007), num(412_003 + 1_123_007)]


# ------------------------------------------------------------ the status report's period rules

@pytest.mark.parametrize("period, as_of", [("2016-Q3", date(2016, 9, 30)), ("2016-T2", date(2016, 8, 31)),
                                           ("2016-H1", date(2016, 6, 30)), ("2016-10", date(2016, 10, 31)),
                                           ("2016-10-14", date(2016, 10, 14))])
def test_status_report_for_a_period_counts_to_its_last_day(config, tmp_path, period, as_of):
    """Budget, plan to date (the year's budget pro rata to the days elapsed) and accounts to the
    period's last day; the totals and the economy text say the same figures."""
    rows = ledger(config, HAUG)
    raw = plan(config, HAUG)
    budget = {y: sum(c["amounts"].get(y, 0) for c in raw["budget"]["costs"]) for y in (2015, 2016)}
    start = raw["period"]["start"]
    elapsed = {2015: Fraction(1), 2016: Fraction((as_of - date(2016, 1, 1)).days + 1, 366)}
    assert start.year == 2015                                    # the whole of 2015's part has passed
    planned = {y: whole(Decimal(budget[y] * elapsed[y].numerator) / elapsed[y].denominator) for y in budget}
    spent = {y: whole(sum((kroner(r["Beløp"]) for r in rows if int(r["År"]) == y and day(r["Dato"]) <= as_of),
                          Decimal(0))) for y in budget}
    path = render(config, "status", tmp_path, pid=HAUG, period=period).docx
    table = find_table(path, "År", contains="Plan til nå")
    assert [(r[0], r[2], r[3], r[4]) for r in table[1:-1]] == [
        (str(y), num(budget[y]), num(planned[y]), num(spent[y])) for y in (2015, 2016)]
    assert table[-1][2:5] == [num(sum(budget.values())), num(sum(planned.values())), num(sum(spent.values()))]
    figures = dict(r for r in find_table(path, "Budsjett hele perioden"))
    assert figures["Regnskap til nå"] == f"{num(sum(spent.values()))}{NB}kr"
    assert figures["Planlagt forbruk til nå"] == f"{num(sum(planned.values()))}{NB}kr"
    # Forecast: the past year as booked, this year's accounts scaled up to the whole year, worked
    # out exactly and rounded once (the sum of the years' rounded figures can be a krone off).
    assert elapsed[2016] >= Fraction(1, 4)
    booked = {y: sum((Fraction(kroner(r["Beløp"])) for r in rows if int(r["År"]) == y and day(r["Dato"]) <= as_of),
                     Fraction(0)) for y in budget}
    forecast = whole(Decimal((booked[2015] + max(booked[2016], booked[2016] / elapsed[2016])).numerator)
                     / (booked[2015] + max(booked[2016], booked[2016] / elapsed[2016])).denominator)
    assert figures["Prognose hele perioden"] == f"{num(forecast)}{NB}kr"
    header = dict(r for r in tables(path)[0])
    assert header["Status per"].replace(NB, " ") == f"{as_of.day}. {MONTHS[as_of.month - 1]} {as_of.year}"


MONTHS = ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
          "november", "desember"]


def test_plan_to_date_and_forecast_are_exact_fractions_of_the_year(config, tmp_path):
    """1 March 2016 is day 61 of 366: a 2016 budget of 100 005 kr is 16 667,50 kr to date, printed
    16 668. The elapsed share was a float (0.1666…6), and the plan printed 16 667; the forecast,
    the accounts over the same share, printed 91 for 25 kr at day 100 (91,50 kr)."""
    from ..conftest import replace_in
    replace_in(config / "projects" / f"{HAUG}.yaml", "amounts: {2015: 1211321, 2016: 1123094}",
               "amounts: {2015: 1211321, 2016: 100005}")
    write_ledger(config, HAUG, ["15.01.2016;2016;Prosjektkostnader;a;12,50;hv-fond;",
                                "16.01.2016;2016;Prosjektkostnader;b;12,50;hv-fond;"])
    as_of = date(2016, 3, 1)
    share = Fraction((as_of - date(2016, 1, 1)).days + 1, 366)
    assert share == Fraction(1, 6)
    planned = whole(Decimal(100_005) / 6)
    spent = whole(sum(kroner(r["Beløp"]) for r in ledger(config, HAUG)))
    path = render(config, "status", tmp_path, pid=HAUG, as_of=as_of).docx
    row = next(r for r in find_table(path, "År", contains="Plan til nå") if r[0] == "2016")
    assert (planned, row[3]) == (16_668, num(16_668))
    # The forecast: 2015 as booked (nothing), 2016's accounts over the share; below 25 % the budget.
    assert share < Fraction(1, 4)
    figures = dict(r for r in find_table(path, "Budsjett hele perioden"))
    assert figures["Prognose hele perioden"] == f"{num(max(spent, 100_005))}{NB}kr"
    as_of = date(2016, 4, 9)                                     # day 100 of 366: 25 kr make 91,50 kr
    share = Fraction((as_of - date(2016, 1, 1)).days + 1, 366)
    assert share >= Fraction(1, 4) and spent / share == Fraction(183, 2)
    path = render(config, "status", tmp_path, pid=HAUG, as_of=as_of).docx
    figures = dict(r for r in find_table(path, "Budsjett hele perioden"))
    forecast = whole(Decimal(spent * share.denominator) / share.numerator)
    assert figures["Prognose hele perioden"] == f"{num(forecast)}{NB}kr"


def test_own_effort_planned_to_date_is_an_exact_share_of_the_period(config, tmp_path):
    """Egeninnsats: 1 825 hours over a project of 730 days is 2,5 hours on its first day, printed
    3; the share of the period was a float and the report said 2."""
    from ..conftest import replace_in
    project = config / "projects" / f"{HAUG}.yaml"
    replace_in(project, "period: {start: 2015-09-21, end: 2017-09-20}", "period: {start: 2015-09-21, end: 2017-09-19}")
    replace_in(project, "own_effort_hours: 2073", "own_effort_hours: 1825")
    raw = plan(config, HAUG)
    days = (raw["period"]["end"] - raw["period"]["start"]).days + 1
    as_of = raw["period"]["start"]
    planned = whole(Decimal(raw["budget"]["own_effort_hours"] * 1) / days)
    assert (days, planned) == (730, 3)
    text = all_text(render(config, "status", tmp_path, pid=HAUG, as_of=as_of).docx).replace(NB, " ")
    assert f"mot {planned} timer planlagt til nå (1 825 timer for hele perioden)" in text, text


@pytest.mark.parametrize("edit", ["no award letter", "no funder"])
def test_skjonnsmidler_without_an_award_letter_are_not_left_out_silently(config, tmp_path, edit):
    """A project whose financing plan has 400 000 kr of skjønnsmidler for 2015, with the award
    letter not entered (or the line naming no funder), vanished from the usage report per
    31.12.2015 without a word: "Ingen prosjekter med skjønnsmidler dette året" went for approval."""
    from ..conftest import replace_in
    project = config / "projects" / f"{HAUG}.yaml"
    if edit == "no award letter":
        replace_in(project, '      - {year: 2015, amount: 400000, reference: "2015/4711 (eksempel)", decided: 2015-05-20}\n', "")
        replace_in(project, "    grants:\n    deadlines:", "    grants: []\n    deadlines:")
    else:
        replace_in(project, "kind: skjønnsmidler, funder: fm-rogaland,", "kind: skjønnsmidler,")
    line = next(l for l in plan(config, HAUG)["budget"]["financing"] if l["kind"] == "skjønnsmidler")
    assert line["amounts"] == {2015: 400_000}
    made = render(config, "usage", tmp_path, council_id="haugaland-vekst", period="2015")
    text = all_text(made.docx)
    # it said "Ingen prosjekter med skjønnsmidler dette året." as if there were none; now it says which and why
    assert "Ingen prosjekter med tildelte skjønnsmidler dette året." in text
    # the award is on record where only the link is missing: said so (session 24), not "ikke registrert"
    assert ("Velferdsteknologi Haugaland: finansieringsplanen har skjønnsmidler (Fylkesmannens skjønnsmidler) til "
            "og med 2015, men tilsagnet er ikke registrert; prosjektet er derfor ikke med i tabellen." if
            edit == "no award letter" else
            "Velferdsteknologi Haugaland: tilsagn fra Fylkesmannen i Rogaland (skjønnsmidler) er registrert, men "
            "finansieringsplanens linje «Fylkesmannens skjønnsmidler» er ikke knyttet til det; prosjektet er "
            "derfor ikke med i tabellen.") in text, text
    (found,) = [f for f in made.findings if "is not in the usage report" in f.message]
    assert found.file.endswith(f"projects/{HAUG}.yaml") and found.field == "budget.financing[1].funder"
    assert "Velferdsteknologi Haugaland" in found.message and "Fylkesmannens skjønnsmidler" in found.message
    assert found.severity == "error"                     # blocks sending until fixed, or overridden with a reason
    # the final report said "Prosjektet har ikke fått tilsagn om tilskudd; det er ingen ubrukte midler."
    final = render(config, "final", tmp_path / "final", pid=HAUG)
    text = all_text(final.docx)
    # named as its row is: by the funder entry while the line names one
    named = "Fylkesmannens skjønnsmidler" if edit == "no funder" else "Fylkesmannen i Rogaland (skjønnsmidler)"
    assert f"{named}: tilsagnet er ikke registrert; ubrukt beløp er ikke beregnet." in text
    assert "det er ingen ubrukte midler" not in text
    (found,) = [f for f in final.findings if "the final report cannot say" in f.message]
    assert found.severity == "error" and found.field == "budget.financing[1].funder"
    (early,) = [f for f in final.findings if "the usage and final reports cannot report it" in f.message]
    assert early.severity == "warning" and early.line          # validate says it, with the line, before


def test_final_report_funders_add_up_to_the_accounts_with_rows_naming_no_source(config, tmp_path):
    """Finansieringskilde is optional: a row without one was in the accounts (1 093 261 kr) and in
    no funder's "Brukt", whose sum said 1 088 261 kr in the same document."""
    with open(config / "data" / HAUG / "regnskap.csv", "a", encoding="utf-8") as fh:
        fh.write("01.11.2016;2016;Prosjektkostnader;uten kilde;5 000,50;;\n")
    rows = [r for r in ledger(config, HAUG) if day(r["Dato"]) <= date(2017, 9, 20)]
    accounts = whole(sum(kroner(r["Beløp"]) for r in rows))
    loose = sum(kroner(r["Beløp"]) for r in rows if not r["Finansieringskilde"])
    assert (accounts, loose) == (1_093_261, Decimal("5000.50"))
    made = render(config, "final", tmp_path, pid=HAUG)
    assert find_table(made.docx, "Kategori")[-1][2] == num(accounts)
    table = find_table(made.docx, "Kilde")
    exact = sum(kroner(r["Beløp"]) for r in rows)          # to the øre: 1 093 261,00
    assert table[-1][4] == with_ore(exact)
    assert sum(amount_of(r[4]) for r in table[1:-1]) == exact == accounts
    row = next(r for r in table if r[0] == "Uten finansieringskilde i regnskapet")
    assert row[4] == with_ore(loose) and row[2:4] == ["–", "–"]
    assert any("name no financing source" in f.message and f.field == "Finansieringskilde" for f in made.findings)


def test_final_report_says_which_ledger_rows_lie_before_the_project_start(config, tmp_path):
    """A cost dated before the project start went into the final accounts without a word (rows
    after the report date are left out and said to be): the county governor could not see that
    the accounts hold costs from before the period granted for."""
    with open(config / "data" / HAUG / "regnskap.csv", "a", encoding="utf-8") as fh:
        fh.write("01.06.2015;2015;Prosjektkostnader;forprosjekt;1 000,40;hv-fond;\n"
                 "20.09.2015;2015;Prosjektkostnader;dagen før;2 000,40;hv-fond;\n")
    start = plan(config, HAUG)["period"]["start"]
    rows = ledger(config, HAUG)
    early = [r for r in rows if day(r["Dato"]) < start]
    accounts = whole(sum(kroner(r["Beløp"]) for r in rows if day(r["Dato"]) <= date(2017, 9, 20)))
    assert (len(early), accounts) == (2, 1_091_261)
    made = render(config, "final", tmp_path, pid=HAUG)
    exact = sum(kroner(r["Beløp"]) for r in rows if day(r["Dato"]) <= date(2017, 9, 20))
    assert find_table(made.docx, "Kategori")[-1][2] == with_ore(exact) == "1\u00a0091\u00a0261,30"
    # to the øre, as the usage report prints the grant's money (it said "3 001 kr" of 3 000,80)
    amount = sum(kroner(r["Beløp"]) for r in early)
    assert amount == Decimal("3000.80")
    text = all_text(made.docx).replace(NB, " ")
    assert "2 poster datert før prosjektstart 21. september 2015 (3 000,80 kr) er med i regnskapet." in text, text
    assert any("before the project start" in f.message and f.field == "Dato" for f in made.findings)


def test_application_year_tables_add_up_across_and_down_as_printed(config, tmp_path):
    """A budget in 1000 kr with half thousands (800,5 and 100,5 each year): the cost table printed
    "100 | 100 | 201", a row whose Sum is not the sum of its cells."""
    from ..conftest import replace_in
    project = config / "projects" / f"{NG}.yaml"
    replace_in(project, "amounts: {2019: 800, 2020: 800}}", "amounts: {2019: 800.5, 2020: 800.5}}")
    replace_in(project, "amounts: {2019: 100, 2020: 100}}", 'amounts: {2019: "100,5", 2020: "100,5"}}')
    costs = plan(config, NG)["budget"]["costs"]
    exact = {c["category"]: {y: Decimal(str(a).replace(",", ".")) for y, a in c["amounts"].items()} for c in costs}
    path = render(config, "application", tmp_path, pid=NG, period="2019").docx
    table = find_table(path, "Kategori")
    value = lambda cell: int(cell.replace(NB, "").replace("–", "0"))   # noqa: E731
    for row in table[1:]:
        assert value(row[3]) == value(row[1]) + value(row[2]), row
    for col in (1, 2, 3):
        assert value(table[-1][col]) == sum(value(r[col]) for r in table[1:-1])
    for row in table[1:-1]:
        for col, year in ((1, 2019), (2, 2020)):
            assert abs(value(row[col]) - exact[row[0]][year]) < 1, row
    assert value(table[-1][1]) == whole(sum(e[2019] for e in exact.values())) == 901
    # Here a rounding exists where every row and column sum is its exact sum rounded: it is the one printed.
    for row in table[1:-1]:
        assert value(row[3]) == whole(sum(exact[row[0]].values())), row


@settings(max_examples=70)
@given(st.lists(st.lists(st.decimals(0, 10 ** 7, places=1), min_size=3, max_size=3), min_size=1, max_size=6))
def test_every_year_table_adds_up_both_ways(table):
    """Any year table (cells in the budget's unit with decimals): every column sums to its rounded
    sum, every row's Sum is the sum of its printed cells, each cell is within a unit of its value."""
    from grantflow.documents.common import year_rows

    years = [2019, 2020, 2021]
    rows, total = year_rows([(f"r{i}", dict(zip(years, r))) for i, r in enumerate(table)], years)
    value = lambda cell: int(cell.replace(NB, "").replace("–", "0"))   # noqa: E731
    for row, exact in zip(rows, table):
        assert value(row["total"]) == sum(value(c) for c in row["cells"])
        assert all(abs(value(c) - e) < 1 for c, e in zip(row["cells"], exact))
    for j in range(3):
        assert value(total["cells"][j]) == whole(sum(r[j] for r in table)) == sum(value(r["cells"][j]) for r in rows)
    assert value(total["total"]) == sum(value(c) for c in total["cells"]) == sum(value(r["total"]) for r in rows)


def test_status_budget_chart_is_the_sum_of_the_tables_year_rows(config, tmp_path):
    """The status table is per year and category, rounded once over its rows; the chart beside
    it per category. Accounts of 100,3 + 100,3 and 0,45 + 0,45 (in 1000 kr) printed 100 + 100
    and 1 + 1 in the table, and bars labelled 201 and 1."""
    write_ledger(config, NG, [f"31.10.2019;2019;{CAT1};a;100 300;fm-innlandet;",
                              f"31.10.2019;2019;{CAT2};b;450;fm-innlandet;",
                              f"31.10.2020;2020;{CAT1};c;100 300;fm-innlandet;",
                              f"31.10.2020;2020;{CAT2};d;450;fm-innlandet;"])
    made = render(config, "status", tmp_path, pid=NG, as_of=date(2020, 12, 31))
    table: dict[str, int] = {}
    for r in find_table(made.docx, "År", contains="Plan til nå")[1:-1]:
        table[r[1]] = table.get(r[1], 0) + int(r[4].replace(NB, "") or 0)
    bars = next(s for s in chart_series(made.docx) if "Regnskap til nå" in s)
    assert {cat.replace("\n", " "): chart_label(v) for cat, v in bars["Regnskap til nå"]} == {
        c: num(v) for c, v in table.items()}
    assert sum(table.values()) == whole(sum(kroner(r["Beløp"]) for r in ledger(config, NG)) / 1000)


# ------------------------------------------------------------ own effort (egeninnsats)

def test_own_effort_is_printed_with_the_hours_and_rate_it_was_valued_with(config, tmp_path):
    """2 073,5 hours of own effort at 512,50 kr: the application printed "2 074 timer à 513 kr =
    1 062 669 kr", figures a reader cannot multiply to the value printed."""
    from ..conftest import replace_in
    project = config / "projects" / f"{HAUG}.yaml"
    replace_in(project, "  own_effort_hours: 2073\n", '  own_effort_hours: "2 073,5"\n  own_effort_rate: "512,50"\n')
    raw = plan(config, HAUG)["budget"]
    hours, rate = (Decimal(raw[k].replace(" ", "").replace(",", ".")) for k in ("own_effort_hours", "own_effort_rate"))
    value = whole(hours * rate)
    assert value == 1_062_669
    text = all_text(render(config, "application", tmp_path, pid=HAUG, period="2015").docx).replace(NB, " ")
    assert f"Egeninnsats: 2 073,5 timer à 512,50 kr = 1 062 669 kr." in text, text
    text = all_text(render(config, "status", tmp_path, pid=HAUG, as_of=date(2016, 10, 7)).docx).replace(NB, " ")
    assert "(2 073,5 timer for hele perioden)" in text


def test_cost_split_prints_a_key_with_decimals_as_it_was_split_by(config, tmp_path):
    """A split key with decimals (an agreed share per municipality, 12,5 and 37,5): the table
    printed 13 and 38 beside shares computed from 12,5 and 37,5."""
    from ..conftest import replace_in
    path_council = config / "councils" / "haugaland-vekst.yaml"
    council = yaml.safe_load(path_council.read_text(encoding="utf-8"))
    keys = {"Haugesund": "12,5", "Karmøy": "37,5", "Bokn": "50"}
    for member in council["municipalities"]:
        if member["name"] in keys:
            member["weights"] = {"avtale": {2015: keys[member["name"]]}}
    path_council.write_text(yaml.safe_dump(council, allow_unicode=True), encoding="utf-8")
    project = config / "projects" / f"{HAUG}.yaml"
    replace_in(project, "municipalities: [Haugesund, Karmøy, Bokn, Utsira, Sveio, Tysvær, Vindafjord, Etne, Sauda, Suldal]",
               "municipalities: [Haugesund, Karmøy, Bokn]")
    replace_in(project, "  equal_percent: 30\n  weight: innbyggere\n  weight_year: 2014",
               "  equal_percent: 0\n  weight: avtale\n  weight_year: 2015")
    rows = split_table(render(config, "costsplit", tmp_path, pid=HAUG, period="2015").docx, 2015)
    weights = {n: Decimal(k.replace(",", ".")) for n, k in keys.items()}
    expected = dict(zip(weights, largest_remainder(412_000, [int(w * 2) for w in weights.values()])))
    for name, share in expected.items():
        assert rows[name][1:5] == [keys[name], "0", num(share), num(share)], rows[name]
    assert rows["Sum"][1] == "100" and rows["Sum"][4] == num(412_000)


def test_usage_report_names_spending_that_names_no_financing_source(config, tmp_path):
    """A ledger without the (optional) Finansieringskilde column: 1 000 kr spent by 31.12.2015
    counted for no grant, and the usage report said 0 spent, 400 000 unused, without a word."""
    (config / "data" / HAUG / "regnskap.csv").write_text("Dato;Kategori;Beløp\n01.10.2015;Prosjektkostnader;1 000,00\n"
                                                         "01.10.2016;Prosjektkostnader;7 000,00\n", encoding="utf-8")
    made = render(config, "usage", tmp_path, council_id="haugaland-vekst", period="2015")
    assert find_table(made.docx, "Prosjekt")[1][2:5] == [num(400_000), "0", num(400_000)]
    (found,) = [f for f in made.findings if f.field == "Finansieringskilde"]
    assert f"1 ledger row(s) (1{NB}000{NB}kr) until 2015-12-31 name no financing source" in found.message
    assert found.file.endswith(f"data/{HAUG}/regnskap.csv")


def test_final_report_says_what_each_funders_money_was_used_for(config, tmp_path):
    """DOMAIN.md: the final accounts show what each funder's money was used for. Per source and
    category, recomputed from the ledger; each source's parts add up to its "Brukt" as printed,
    and the whole table to the accounts."""
    write_ledger(config, HAUG, ["01.10.2015;2015;Prosjektkostnader;a;100 000,50;fm-rogaland;",
                                "02.10.2015;2015;Reise;b;2 500,25;fm-rogaland;",
                                "03.10.2015;2015;reise;c;-500,00;fm-rogaland;ja",
                                "04.10.2015;2015;Prosjektkostnader;d;50 000,25;hv-fond;",
                                "05.10.2015;2015;Reise;e;999,50;;"])
    rows = ledger(config, HAUG)
    source_names = {"Fylkesmannen i Rogaland (skjønnsmidler)": "fm-rogaland", "Haugaland Vekst Regionråds fond": "hv-fond",
                    "Uten finansieringskilde i regnskapet": ""}
    made = render(config, "final", tmp_path, pid=HAUG)
    table = find_table(made.docx, "Kilde", contains="Kategori")
    assert table[0] == ["Kilde", "Kategori", "Brukt"]
    printed: dict[tuple[str, str], Decimal] = {(r[0], r[1].casefold()): amount_of(r[2]) for r in table[1:-1]}
    funders = {r[0]: amount_of(r[4]) for r in find_table(made.docx, "Kilde", contains="Saksnr.")[1:-1]}
    for source, funder in source_names.items():
        mine = [r for r in rows if r["Finansieringskilde"] == funder]
        for category in ("prosjektkostnader", "reise"):
            exact = sum((kroner(r["Beløp"]) for r in mine if r["Kategori"].casefold() == category), Decimal(0))
            if exact:
                assert printed[(source, category)] == exact, (source, category, printed)    # to the øre
        assert sum(v for (s, _), v in printed.items() if s == source) == funders[source]
    assert amount_of(table[-1][2]) == sum(printed.values()) == sum(kroner(r["Beløp"]) for r in rows)
    assert [r[1] for r in table[1:-1] if r[0] == "Fylkesmannen i Rogaland (skjønnsmidler)"] == ["Prosjektkostnader", "Reise"]


# ------------------------------------------------------------ the economy status colour

def _status_cell(path: Path, name: str) -> tuple[str, str, str]:
    """The status table's row ``name``: (label, the label cell's shading, comment)."""
    from docx import Document
    from docx.oxml.ns import qn

    for table in Document(str(path)).tables:
        if table.rows[0].cells[0].text == "Område":
            for row in table.rows[1:]:
                if row.cells[0].text == name:
                    shd = row.cells[1]._tc.find(f"{qn('w:tcPr')}/{qn('w:shd')}")
                    return row.cells[1].text, shd.get(qn("w:fill")).upper(), row.cells[2].text.replace(NB, " ")
    raise AssertionError(f"no status row {name!r} in {path}")


@pytest.mark.parametrize("as_of, rows, label, fill", [
    # 21 Sep – 15 Oct is day 25 of the project's 102 days in 2015: under a quarter, so 2015's forecast
    # is its budget, and 600 000 kr spent against 296 892 kr planned still makes the whole period
    # 2 334 415 kr: green, though the accounts to date are twice the plan
    (date(2015, 10, 15), ["30.09.2015;2015;Prosjektkostnader;Lønn;62 500,00;hv-fond;",
                          "10.10.2015;2015;Prosjektkostnader;Utstyr;537 500,00;hv-fond;"], "Grønn", "C6EFCE"),
    # 2015 as budgeted, 800 000 kr in 2016's first 182 of 366 days: 13,6 % over the plan to date,
    # but the year's forecast 1 608 791 kr makes the period 20,8 % over the budget: red
    (date(2016, 6, 30), ["30.12.2015;2015;Prosjektkostnader;Året;1 211 321,00;hv-fond;",
                         "15.06.2016;2016;Prosjektkostnader;Halvåret;800 000,00;hv-fond;"], "Rød", "FFC7CE"),
])
def test_the_economy_colour_says_it_follows_the_forecast_for_the_whole_period(config, tmp_path, as_of, rows,
                                                                                label, fill):
    """The economy row's colour comes from the forecast for the whole period against the budget
    (README, "Red/amber/green"), but its comment led with the accounts against the plan to date,
    so a reader took those for the reason ("Grønn" beside twice the plan spent)."""
    write_ledger(config, HAUG, rows)
    raw = plan(config, HAUG)
    budget = {y: Decimal(sum(c["amounts"].get(y, 0) for c in raw["budget"]["costs"])) for y in (2015, 2016)}
    start, end = raw["period"]["start"], raw["period"]["end"]
    spent = {y: sum((kroner(r["Beløp"]) for r in ledger(config, HAUG) if int(r["År"]) == y), Decimal(0))
             for y in budget}
    forecast = planned = Decimal(0)
    for y in budget:          # the year's part of the project period, and the share of it gone by
        first, last = max(start, date(y, 1, 1)), min(end, date(y, 12, 31))
        share = Fraction(min(max((as_of - first).days + 1, 0), (last - first).days + 1), (last - first).days + 1)
        planned += budget[y] * share.numerator / share.denominator
        forecast += spent[y] if share == 1 else (
            max(spent[y], whole(spent[y] * share.denominator / share.numerator)) if share >= Fraction(1, 4)
            else max(spent[y], budget[y]))
    total = sum(budget.values())
    ratio = forecast / total
    assert label == ("Rød" if ratio > Decimal("1.15") else "Gul" if not Decimal("0.75") <= ratio <= Decimal("1.05")
                     else "Grønn")
    path = render(config, "status", tmp_path, pid=HAUG, as_of=as_of).docx
    shown, shading, comment = _status_cell(path, "Økonomi")
    assert (shown, shading) == (label, fill)
    off = f"{abs(ratio - 1) * 100:.1f}".replace(".", ",")
    where = "lik budsjettet" if ratio == 1 else f"{off} % {'over' if ratio > 1 else 'under'} budsjettet"
    assert comment.startswith(f"Vurderingen følger prognosen for hele perioden: {num(whole(forecast))} kr mot "
                              f"budsjett {num(whole(total))} kr, {where} ({label.lower()}: ".replace(NB, " ")), comment
    assert comment.endswith(f"Regnskap {num(whole(sum(spent.values())))} kr mot planlagt {num(whole(planned))} kr "
                            f"til nå ({'+' if sum(spent.values()) > planned else MINUS}"
                            f"{num(abs(whole(sum(spent.values())) - whole(planned)))} kr).".replace(NB, " ")), comment
    if as_of.year == 2015:
        assert "Prognosen for 2015 er årets budsjett: det er for tidlig i året" in comment
