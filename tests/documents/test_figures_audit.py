"""Figures an independent audit found wrong, each recomputed from the data files with plain
Python (csv, Decimal, the YAML as written) and read back from the rendered .docx."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from grantflow.cli import main
from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import CONFIG, replace_in
from ..docx_text import all_text, find_table, paragraphs, with_ore
from .test_figures import ERP, HAUG, NB, NG, TODAY, kroner, ledger_rows, money, num, raw_project, whole


@pytest.fixture(scope="module")
def register():
    return open_register(CONFIG)


def day(text: str) -> date:
    return datetime.strptime(text, "%d.%m.%Y").date()


def _rows_named(plan: dict) -> dict[str, set]:
    """The final report's funder rows as named (a linked funder by its entry's name, a line without one
    by its source) -> what a ledger row's Finansieringskilde may say to count for it."""
    names = {f["id"]: f["name"] for f in plan["funders"]}
    return {names.get(line.get("funder"), line["source"]): {line["source"], line.get("funder")}
            for line in plan["budget"]["financing"]}


def test_final_report_funders_count_the_ledger_to_the_report_date_only(register, tmp_path):
    """A final report made --as-of an earlier day (a project closed early) counted every ledger
    row in the funders' "Brukt" column but only the rows to that day in the accounts: the two
    tables of one document disagreed by the rows booked after the report date."""
    as_of = date(2016, 6, 30)
    path = produce(register, "final", HAUG, as_of=as_of, out=tmp_path, today=TODAY).docx
    rows = [r for r in ledger_rows(HAUG) if day(r["Dato"]) <= as_of]
    sources = _rows_named(raw_project(HAUG))
    table = find_table(path, "Kilde")
    # the funders' use to the øre (the ledger's 48 320,50 kr), the accounts in whole kroner
    for source, names in sources.items():
        used = sum((kroner(r["Beløp"]) for r in rows if r["Finansieringskilde"] in names), Decimal(0))
        row = next(r for r in table if r[0] == source)
        assert row[4] == with_ore(used), (source, row)
    exact = sum(kroner(r["Beløp"]) for r in rows)
    assert (exact, whole(exact)) == (Decimal("896260.50"), 896_261)
    assert table[-1][4] == with_ore(exact)
    assert find_table(path, "Kategori")[-1][2] == with_ore(exact)      # to the øre, as the funder table


def _note(path) -> str:
    return next(p for p in paragraphs(path) if p.startswith("Kommunenes andel"))


def test_cost_split_for_one_year_states_that_years_municipal_share(register, tmp_path):
    """`render costsplit P --period 2016` printed "Kommunenes andel er 1 535 000 kr" (the whole
    period's) above a table for 2016 that sums to 1 123 000 kr."""
    plan = raw_project(HAUG)
    line = next(l for l in plan["budget"]["financing"] if l["kind"] == "kommunene")
    year_amount, whole_period = line["amounts"][2016], sum(line["amounts"].values())
    assert (year_amount, whole_period) == (1_123_000, 1_535_000)
    path = produce(register, "costsplit", HAUG, period="2016", out=tmp_path, today=TODAY).docx
    assert find_table(path, "Kommune")[-1][1:] == [num(year_amount), num(year_amount)]
    note = _note(path)
    assert f"for 2016 er {money(year_amount)}" in note, note
    assert f"er {money(whole_period)}" not in note, note
    # The whole plan's document keeps the whole period's amount.
    path = produce(register, "costsplit", HAUG, out=tmp_path, today=TODAY).docx
    assert f"Kommunenes andel er {money(whole_period)}" in _note(path)


def test_cost_split_for_one_year_of_a_rest_financed_plan_states_that_year(register, tmp_path):
    """Kongsbergregionen's plan has a municipal line without amounts: the municipalities pay
    costs minus external financing, spread over the years by cost. For 2014 alone the text gave
    only the period's 5 450 000 kr above a table of 1 400 000 kr."""
    costs = raw_project(ERP)["budget"]["costs"]
    by_year = {y: sum(c["amounts"].get(y, 0) for c in costs) for y in (2013, 2014)}
    assert by_year == {2013: 4_050_000, 2014: 1_400_000}      # no external financing: the rest is the costs
    path = produce(register, "costsplit", ERP, period="2014", out=tmp_path, today=TODAY).docx
    assert find_table(path, "Kommune")[-1][1:] == [num(by_year[2014]), num(by_year[2014])]
    assert f"for 2014: {money(by_year[2014])}" in _note(path), _note(path)


def milestone_rows(pid: str) -> dict[int, dict]:
    import csv
    with open(CONFIG / "data" / pid / "milepaeler.csv", encoding="utf-8") as fh:
        return {int(r["Milepæl"]): r for r in csv.DictReader(fh, delimiter=";")}


@pytest.mark.parametrize("kind", ["status", "final"])
def test_milestones_done_after_the_report_date_show_no_actual_date(register, tmp_path, kind):
    """A report dated 31.12.2015 printed milestone 02 as "Forsinket 275 dager" beside the actual
    date 11.04.2016 and the comment written then, and milestone 04 "Ikke startet" beside
    12.02.2016: what happened after the report date is not in a report dated before it."""
    as_of = date(2015, 12, 31)
    path = produce(register, kind, HAUG, as_of=as_of, out=tmp_path, today=TODAY).docx
    table = find_table(path, "Nr", contains="Vurdere om prosjektet er i rute")
    header = table[0]
    col = header.index("Faktisk") if "Faktisk" in header else header.index("Levert")
    progress = milestone_rows(HAUG)
    later = {n for n, r in progress.items() if r["Faktisk dato"] and day(r["Faktisk dato"]) > as_of}
    assert later == {2, 3, 4}                   # done 11.04.2016, 10.06.2016, 12.02.2016
    for row in table[1:]:
        number = int(row[0])
        record = progress.get(number)
        if number in later:
            assert row[col] == "", row
            if "Kommentar" in header:
                assert record["Kommentar"] not in row[header.index("Kommentar")], row
        elif record and record["Faktisk dato"]:
            assert row[col] == record["Faktisk dato"], row


def test_final_report_financing_plan_counts_the_municipal_rest(register, tmp_path):
    """Kongsbergregionen's municipal line has no amounts ("the rest"): the final report printed
    "resten" and a planned sum of 0 kr for a plan of 5 450 000 kr."""
    plan = raw_project(ERP)["budget"]
    costs = sum(a for c in plan["costs"] for a in c["amounts"].values())
    external = sum(a for l in plan["financing"] if l["kind"] != "kommunene" for a in (l.get("amounts") or {}).values())
    assert (costs, external) == (5_450_000, 0)
    path = produce(register, "final", ERP, out=tmp_path, today=TODAY).docx
    table = find_table(path, "Kilde")
    row = next(r for r in table if r[0] == "Kommunene (kostnadsfordeling)")
    assert row[2] == num(costs - external), row
    assert table[-1][2] == num(costs), table[-1]


@pytest.mark.parametrize("year", [2017, 2018, 2019])
def test_usage_report_lists_a_project_until_the_year_it_ended(register, tmp_path, year):
    """Velferdsteknologi Haugaland ended 20.09.2017 and the 2017 report says its unused 79 739 kr
    is repaid; the 2018 report (and every later one) listed it again, 79 739 kr to repay once
    more, summed into the year's total."""
    plan = raw_project(HAUG)
    end = plan["period"]["end"]
    granted = sum(g["amount"] for f in plan["funders"] if f["id"] == "fm-rogaland" for g in f["grants"])
    used = sum(kroner(r["Beløp"]) for r in ledger_rows(HAUG) if r["Finansieringskilde"] == "fm-rogaland")
    path = produce(register, "usage", council_id="haugaland-vekst", period=str(year), out=tmp_path,
                   today=TODAY).docx
    text = all_text(path)
    if end.year >= year:
        row = next(r for r in find_table(path, "Prosjekt", contains="Saksnr.") if r[0] == plan["name"])
        assert row[2:5] == [with_ore(granted), with_ore(used), with_ore(granted - used)]
    else:
        assert plan["name"] not in text
        assert "Ingen prosjekter med tildelte skjønnsmidler dette året." in text


def test_final_report_says_which_ledger_rows_after_the_report_date_it_leaves_out(scratch_config, tmp_path):
    """A final invoice dated after the project end (15.10.2017 for a project that ended
    20.09.2017) was silently left out of the final accounts: the county governor read accounts
    10 000 kr short with nothing saying so."""
    ledger = scratch_config / "data" / HAUG / "regnskap.csv"
    with open(ledger, "a", encoding="utf-8") as fh:
        fh.write("15.10.2017;2017;Prosjektkostnader;Sluttfaktura;10 000,00;fm-rogaland;\n")
    end = raw_project(HAUG)["period"]["end"]
    import csv
    with open(ledger, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    after = [r for r in rows if day(r["Dato"]) > end]
    within = whole(sum(kroner(r["Beløp"]) for r in rows if day(r["Dato"]) <= end))
    assert (len(after), within) == (1, 1_088_261)
    made = produce(open_register(scratch_config), "final", HAUG, out=tmp_path, today=TODAY)
    assert find_table(made.docx, "Kategori")[-1][2] == with_ore(
        sum(kroner(r["Beløp"]) for r in rows if day(r["Dato"]) <= end))          # to the øre: 1 088 260,50
    text = all_text(made.docx)
    late = whole(sum(kroner(r["Beløp"]) for r in after))
    assert (f"Regnskapet er tatt med til 20. september 2017; 1 post datert etter denne datoen "
            f"({money(late)}) er ikke med.").replace(" ", "\u00a0") in text.replace(" ", "\u00a0"), text
    assert any("after the report date" in f.message for f in made.findings)


def test_a_category_written_in_other_case_adds_to_its_category(scratch_config, tmp_path):
    """Categories are matched without regard to case, but the sums were keyed per spelling: one
    row "prosjektkostnader" (1 000 kr) replaced the 771 000 kr booked as "Prosjektkostnader" in
    2016, and the status report printed 1 000 kr for the year. Two spellings of a category not in
    the budget ("Reise", "reise") each got both rows' sum."""
    import csv
    ledger = scratch_config / "data" / HAUG / "regnskap.csv"
    with open(ledger, "a", encoding="utf-8") as fh:
        fh.write("16.08.2016;2016;prosjektkostnader;Kopiering;1 000,00;hv-fond;\n"
                 "17.08.2016;2016;Reise;Tog;500,00;hv-fond;\n"
                 "18.08.2016;2016;reise;Buss;300,00;hv-fond;\n")
    with open(ledger, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    as_of = date(2016, 10, 31)

    def booked(year, category):
        return whole(sum((kroner(r["Beløp"]) for r in rows if day(r["Dato"]).year == year
                          and r["Kategori"].casefold() == category.casefold()), Decimal(0)))

    assert (booked(2016, "Prosjektkostnader"), booked(2016, "Reise")) == (772_000, 800)
    register = open_register(scratch_config)
    path = produce(register, "status", HAUG, as_of=as_of, out=tmp_path, today=TODAY).docx
    table = find_table(path, "År", contains="Plan til nå")
    cells = {(r[0], r[1].casefold()): r[4] for r in table[1:-1]}
    assert cells[("2016", "prosjektkostnader")] == num(booked(2016, "Prosjektkostnader"))
    assert cells[("2016", "reise")] == num(booked(2016, "Reise"))
    assert len(table) == 1 + 3 + 1                          # 2015, 2016 and Reise 2016 once, and the sum
    total = whole(sum(kroner(r["Beløp"]) for r in rows))
    assert table[-1][4] == num(total)
    path = produce(register, "final", HAUG, out=tmp_path, today=TODAY).docx
    assert find_table(path, "Kategori")[-1][2] == with_ore(sum(kroner(r["Beløp"]) for r in rows))   # to the øre
    assert find_table(path, "Kilde")[-1][4] == with_ore(sum(kroner(r["Beløp"]) for r in rows))


def test_a_funder_with_a_financing_line_per_year_is_counted_once(scratch_config, tmp_path):
    """Skjønnsmidler applied for in two rounds, written as two financing lines of one funder
    (700 for 2019, 700 for 2020): the final report gave each line the funder's whole award and
    whole use, so the county governor read granted 3 200 000 kr, used 864 250 kr and unused
    2 335 750 kr (with the 999 500 kr to repay stated twice) for 1 800 000 / 463 750 / 1 336 250."""
    import csv
    import yaml
    project = scratch_config / "projects" / f"{NG}.yaml"
    replace_in(project, "    - {source: Skjønnsmidler, kind: skjønnsmidler, funder: fm-innlandet, applied_for: true, "
                        "amounts: {2019: 1400}}\n",
               "    - {source: Skjønnsmidler år 1, kind: skjønnsmidler, funder: fm-innlandet, applied_for: true, "
               "amounts: {2019: 700}}\n"
               "    - {source: Skjønnsmidler år 2, kind: skjønnsmidler, funder: fm-innlandet, applied_for: true, "
               "amounts: {2020: 700}}\n")
    plan = yaml.safe_load(project.read_text(encoding="utf-8"))
    granted = {f["id"]: sum(g["amount"] for g in f["grants"]) for f in plan["funders"]}
    with open(scratch_config / "data" / NG / "regnskap.csv", encoding="utf-8") as fh:
        used = {}
        for r in csv.DictReader(fh, delimiter=";"):
            used[r["Finansieringskilde"]] = used.get(r["Finansieringskilde"], 0) + whole(kroner(r["Beløp"]))
    assert granted == {"fm-innlandet": 1_400_000, "helsedir": 400_000}
    assert used == {"fm-innlandet": 400_500, "helsedir": 63_250}
    made = produce(open_register(scratch_config), "final", NG, out=tmp_path, today=TODAY)
    table = find_table(made.docx, "Kilde")
    assert table[-1][3:6] == [num(sum(granted.values())), num(sum(used.values())),
                              num(sum(granted[f] - used[f] for f in granted))], table
    text = all_text(made.docx)
    unused = granted["fm-innlandet"] - used["fm-innlandet"]
    assert text.count(f"Ubrukt beløp, {money(unused)}") == 1
    assert not any("award letters" in f.message for f in made.findings)   # 700 + 700 = 1 400: no warning


def test_percentages_round_half_up_like_every_other_figure(scratch_config, tmp_path):
    """Amounts are rounded half up, but percentages went through Babel's half-even rounding: a
    deviation of exactly −68,25 % was printed −68,2 %."""
    import csv
    ledger = scratch_config / "data" / NG / "regnskap.csv"
    category = "Felles prosjekttiltak – digital kompetanse og kunnskapsdeling"
    with open(ledger, "a", encoding="utf-8") as fh:
        fh.write(f"16.03.2020;2020;{category};Kursmateriell, tillegg;250;helsedir;\n")
    with open(ledger, encoding="utf-8") as fh:
        actual = sum(Decimal(r["Beløp"].replace(" ", "")) for r in csv.DictReader(fh, delimiter=";")
                     if r["Kategori"] == category)
    budget = next(c for c in raw_project(NG)["budget"]["costs"] if c["category"] == category)
    planned = sum(budget["amounts"].values()) * 1000
    share = (actual - planned) / planned * 100                   # −68.25 exactly
    assert share == Decimal("-68.25")
    expected = "\u2212" + str(abs(share).quantize(Decimal("0.1"), rounding="ROUND_HALF_UP")).replace(".", ",") + "\u00a0%"
    path = produce(open_register(scratch_config), "final", NG, out=tmp_path, today=TODAY).docx
    row = next(r for r in find_table(path, "Kategori") if r[0] == category)
    assert row[4] == expected, row


def test_a_deviation_that_rounds_to_nothing_has_no_minus(register, tmp_path):
    """Kongsbergregionen per 31.12.2013: accounts 500 kr under a plan of 4 050 000 kr, printed
    "−0,0 %"."""
    import openpyxl
    sheet = openpyxl.load_workbook(CONFIG / "data" / ERP / "regnskap.xlsx").active
    actual = sum(row[4] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0].year == 2013)
    planned = sum(c["amounts"].get(2013, 0) for c in raw_project(ERP)["budget"]["costs"])
    assert (actual - planned, planned) == (-500, 4_050_000)
    path = produce(register, "status", ERP, as_of=date(2013, 12, 31), out=tmp_path, today=TODAY).docx
    total = find_table(path, "År", contains="Plan til nå")[-1]
    assert total[5:] == [num(actual - planned), "0,0\u00a0%"], total


def test_cost_split_for_a_project_year_without_budget_says_nothing_is_split(register, tmp_path):
    """Haugaland's period runs into 2017, which has no budget: `costsplit --period 2017` printed
    "Kommunenes andel er 1 535 000 kr" above a table of zeros."""
    line = next(l for l in raw_project(HAUG)["budget"]["financing"] if l["kind"] == "kommunene")
    assert 2017 not in line["amounts"]
    path = produce(register, "costsplit", HAUG, period="2017", out=tmp_path, today=TODAY).docx
    assert find_table(path, "Kommune")[-1][1:] == ["0", "0"]
    assert f"for 2017 er {money(0)}" in _note(path), _note(path)


@pytest.mark.parametrize("year_column", ["2015", ""])
def test_a_row_booked_to_last_year_counts_in_that_year_in_every_document(scratch_config, tmp_path, capsys,
                                                                         year_column):
    """A December salary paid 05.01.2016 and booked to 2015's accounts (År 2015): the status
    report filed it under 2015, but the usage report per 31.12.2015 (and a status report per
    31.12.2015) left it out by its date, so the county governor read 10 000 kr less used in 2015
    than the steering group. The accounting year År decides, in every document; without År the
    date's year does."""
    ledger = scratch_config / "data" / HAUG / "regnskap.csv"
    with open(ledger, "a", encoding="utf-8") as fh:
        fh.write(f"05.01.2016;{year_column};Prosjektkostnader;Lønn prosjektleder desember, etterbetalt;"
                 "10 000,00;fm-rogaland;\n")
    import csv
    with open(ledger, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    booked = [int(r["År"] or day(r["Dato"]).year) for r in rows]

    def exact(years, source=None):
        return sum((kroner(r["Beløp"]) for r, y in zip(rows, booked) if y in years
                    and source in (None, r["Finansieringskilde"])), Decimal(0))

    def accounts(years, source=None):
        return whole(exact(years, source))

    in_2015 = accounts({2015})
    assert in_2015 == (327_261 if year_column else 317_261)
    register = open_register(scratch_config)
    name = raw_project(HAUG)["name"]
    # The usage report per 31.12.2015 and per 31.12.2016 (used to date).
    for year, years in (("2015", {2015}), ("2016", {2015, 2016})):
        path = produce(register, "usage", council_id="haugaland-vekst", period=year, out=tmp_path, today=TODAY).docx
        row = next(r for r in find_table(path, "Prosjekt", contains="Saksnr.") if r[0] == name)
        assert row[3] == with_ore(exact(years, "fm-rogaland")), (year, row)
    # Status reports per 31.12.2015 and later: the 2015 lines are the 2015 accounts.
    for as_of in (date(2015, 12, 31), date(2016, 10, 7)):
        path = produce(register, "status", HAUG, as_of=as_of, out=tmp_path, today=TODAY).docx
        table = find_table(path, "År", contains="Plan til nå")
        assert sum(int(r[4].replace(NB, "")) for r in table[1:-1] if r[0] == "2015") == in_2015, (as_of, table)
    # The final report: the accounts and the funder's use.
    path = produce(register, "final", HAUG, out=tmp_path, today=TODAY).docx
    assert find_table(path, "Kategori")[-1][2] == with_ore(exact({2015, 2016, 2017}))     # to the øre
    row = next(r for r in find_table(path, "Kilde") if r[0] == "Fylkesmannen i Rogaland (skjønnsmidler)")
    assert row[4] == with_ore(exact({2015, 2016, 2017}, "fm-rogaland")), row
    # What the secretariat is told about the disagreeing row.
    main(["validate", str(scratch_config)])
    said = capsys.readouterr()
    said = said.out + said.err
    if year_column:
        assert "counted in 2015's accounts" in said, said
    else:
        assert "counted in 2015" not in said, said


def test_final_report_funders_add_up_to_the_accounts(scratch_config, tmp_path):
    """Each funder's "Brukt" and each year's accounts were rounded on their own: with 48 320,50 kr
    on the skjønnsmidler (2015) and 100,50 kr on the council's fund (2016), both rounded up, the
    status and final reports printed accounts of 1 088 362 kr for a ledger of 1 088 361 kr, and
    the funders' Sum 1 088 362 kr."""
    import csv
    ledger = scratch_config / "data" / HAUG / "regnskap.csv"
    with open(ledger, "a", encoding="utf-8") as fh:
        fh.write("16.08.2016;2016;Prosjektkostnader;Porto;100,50;hv-fond;\n")
    with open(ledger, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    exact: dict[str, Decimal] = {}
    for r in rows:
        exact[r["Finansieringskilde"]] = exact.get(r["Finansieringskilde"], Decimal(0)) + kroner(r["Beløp"])
    total = whole(sum(exact.values()))
    assert total == 1_088_361
    assert sum(whole(v) for v in exact.values()) == total + 1        # each on its own: one krone too many
    register = open_register(scratch_config)
    status = produce(register, "status", HAUG, as_of=date(2016, 12, 31), out=tmp_path, today=TODAY).docx
    assert find_table(status, "År", contains="Plan til nå")[-1][4] == num(total)
    path = produce(register, "final", HAUG, out=tmp_path, today=TODAY).docx
    assert find_table(path, "Kategori")[-1][2] == num(total)
    # the funders' use is printed to the øre: it adds up to the ledger exactly, whose sum rounded
    # is the accounts' figure above
    table = find_table(path, "Kilde")
    printed = [Decimal(r[4].replace(NB, "").replace(",", ".")) for r in table[1:-1]]
    assert table[-1][4] == with_ore(sum(exact.values())) and sum(printed) == sum(exact.values()) == total, table
    names = _rows_named(raw_project(HAUG))
    for r in table[1:-1]:
        used = sum((v for k, v in exact.items() if k in names[r[0]]), Decimal(0))
        assert r[4] == with_ore(used), (r, used)


def test_an_overspent_grant_says_so_in_the_table_and_its_sum(scratch_config, tmp_path):
    """250 000 kr more charged to the skjønnsmidler in 2015: the usage report printed Tildelt
    400 000, Brukt 442 261, Ubrukt 0 and "–" in the row and the Sum, a table whose granted − used
    is not its unused, with the overspending only in a note below; the final report's Sum row said
    neither what is to be repaid nor what was overspent."""
    import csv
    ledger = scratch_config / "data" / HAUG / "regnskap.csv"
    with open(ledger, "a", encoding="utf-8") as fh:
        fh.write("31.12.2015;2015;Prosjektkostnader;Ekstra konsulentbistand;250 000,00;fm-rogaland;\n")
    with open(ledger, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    plan = raw_project(HAUG)
    grants = {f["id"]: f["grants"] for f in plan["funders"]}

    def used(funder, year=None):
        return sum((kroner(r["Beløp"]) for r in rows if r["Finansieringskilde"] == funder
                    and (year is None or int(r["År"]) <= year)), Decimal(0))

    def exact_money(value):
        return f"{with_ore(value) if value % 1 else num(int(value))}{NB}kr"

    granted_2015 = sum(g["amount"] for g in grants["fm-rogaland"] if g["year"] <= 2015)
    over = used("fm-rogaland", 2015) - granted_2015
    assert over == Decimal("42260.50")                  # to the øre (the 48 320,50 kr row)
    register = open_register(scratch_config)
    path = produce(register, "usage", council_id="haugaland-vekst", period="2015", out=tmp_path, today=TODAY).docx
    table = find_table(path, "Prosjekt", contains="Saksnr.")
    row = next(r for r in table if r[0] == plan["name"])
    expected = [with_ore(granted_2015), with_ore(used("fm-rogaland", 2015)), "0,00", f"Merforbruk {exact_money(over)}"]
    assert row[2:6] == expected, row
    assert table[-1][2:6] == expected
    # the mail's key figures say it too (they said "Ubrukt: 0 kr" and nothing of the overspending)
    made = produce(register, "usage", council_id="haugaland-vekst", period="2015", out=tmp_path, today=TODAY)
    assert made.key_figures["Ubrukt"] == "0\u00a0kr" and made.key_figures["Merforbruk"] == exact_money(over), \
        made.key_figures

    path = produce(register, "final", HAUG, out=tmp_path, today=TODAY).docx
    table = find_table(path, "Kilde")
    repay = {f: sum(g["amount"] for g in grants[f]) - used(f) for f in grants}
    assert repay == {"hv-fond": 265_000, "fm-rogaland": Decimal("-170260.50")}
    # the municipalities' unused part is settled with them (a row of its own),
    # so the Sum says each source for itself, and the overspending
    assert table[-1][6] == f"Hver kilde for seg, se radene; merforbruk {exact_money(-repay['fm-rogaland'])}", table[-1]


def test_amounts_without_vat_say_so_where_they_are_shown(register, tmp_path):
    """Seed 003 (Kongsbergregionen): "Alle kommunens kostnader er her uten mva." The cost split,
    the basis for invoicing the municipalities, and the application printed the amounts without
    saying so, so a finance officer could not tell whether VAT was still to be added."""
    assert raw_project(ERP)["budget"]["vat"] == "uten mva"
    split = produce(register, "costsplit", ERP, out=tmp_path, today=TODAY).docx
    basis = [p for p in paragraphs(split) if p.startswith("Fordeling:") or "Lik andel totalt" in p]
    assert basis and all(p.endswith("Beløpene er uten mva.") for p in basis), basis
    application = produce(register, "application", ERP, period="2014", out=tmp_path, today=TODAY).docx
    text = paragraphs(application)
    assert "8. Kostnadsbudsjett (i kr, uten mva)" in text and "9. Finansieringsplan (i kr, uten mva)" in text
    # A budget that does not say is printed as before.
    other = produce(register, "costsplit", HAUG, out=tmp_path, today=TODAY).docx
    assert not any("mva" in p for p in paragraphs(other))
