"""Own effort (egeninnsats) never turns into kroner anyone is invoiced for.

A plan shows own effort as hours, or on both sides of the budget ("Egeninnsats kommunene" as a
cost marked in_kind and as a financing line of kind egeninnsats). Expected figures are recomputed
here from the YAML and the CSV as written (yaml, csv, Decimal, Fraction), the real documents are
rendered and read back. The rule is grantflow/owneffort.py's docstring.
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal

import pytest
import yaml

from grantflow.errors import UserError

from ..conftest import replace_in
from ..docx_text import all_text, find_table, tables
from .test_figures_recomputed import (HAUG, NB, expected_split, largest_remainder, num, plan, render,
                                      split_table)

IN_KIND = {2015: 300_000, 2016: 700_000}
MUNICIPAL_LINE = "    - {source: Kommunene (kostnadsfordeling), kind: kommunene, amounts: {2015: 412000, 2016: 1123000}}\n"


@pytest.fixture
def config(scratch_config):
    return scratch_config


def in_kind_plan(config, marked: str | None = "true", financing: dict | None = IN_KIND, cost: dict | None = IN_KIND):
    """The Haugaland plan with own effort on both sides, the municipalities covering the rest."""
    project = config / "projects" / f"{HAUG}.yaml"
    flow = lambda amounts: "{" + ", ".join(f"{y}: {a}" for y, a in amounts.items()) + "}"  # noqa: E731
    if cost:
        replace_in(project, "      amounts: {2015: 1211321, 2016: 1123094}\n",
                   "      amounts: {2015: 1211321, 2016: 1123094}\n    - category: Egeninnsats kommunene\n"
                   + (f"      in_kind: {marked}\n" if marked else "") + f"      amounts: {flow(cost)}\n")
    replace_in(project, MUNICIPAL_LINE, "    - {source: Kommunene (kostnadsfordeling), kind: kommunene}\n"
               + (f"    - {{source: Egeninnsats kommunene, kind: egeninnsats, amounts: {flow(financing)}}}\n"
                  if financing else ""))


def cash_rest(config) -> dict[int, int]:
    """DOMAIN.md: the municipalities cover the cash costs minus external financing, spread over
    the years by cost; own effort is work, not cash, and is on neither side."""
    budget = plan(config, HAUG)["budget"]
    cash = {}
    for line in budget["costs"]:
        if line.get("in_kind") is not True:
            for year, amount in line["amounts"].items():
                cash[year] = cash.get(year, 0) + amount
    external = sum(a for line in budget["financing"] if line["kind"] not in ("kommunene", "egeninnsats")
                   for a in line.get("amounts", {}).values())
    years = sorted(cash)
    return dict(zip(years, largest_remainder(sum(cash.values()) - external, [cash[y] for y in years])))


def population(config) -> dict[str, int]:
    council = yaml.safe_load((config / "councils" / "haugaland-vekst.yaml").read_text(encoding="utf-8"))
    return {m["name"]: m["population"][2014] for m in council["municipalities"]}


def cells(row):
    return [c.replace(NB, " ") for c in row]


# ------------------------------------------------------------ (c) own effort on both sides

def test_own_effort_on_both_sides_is_never_invoiced_in_cash(config, tmp_path):
    """'Egeninnsats kommunene' 1 000 000 kr as a cost and as financing, the municipalities
    covering the rest: the cost split billed them 2 534 415 kr in cash, their own work included;
    the finance officer of Utsira got an invoice for 79 244 kr instead of 47 977."""
    in_kind_plan(config)
    rest = cash_rest(config)
    assert sum(rest.values()) == 1_211_321 + 1_123_094 - 800_000 == 1_534_415
    people = population(config)
    made = render(config, "costsplit", tmp_path, pid=HAUG)
    for year, total in rest.items():
        rows = split_table(made.docx, year)
        for name, (equal, weighted) in expected_split(total, 30, people).items():
            assert rows[name][2:5] == [num(equal), num(weighted), num(equal + weighted)], (year, name)
        assert rows["Sum"][4] == num(total)
    text = all_text(made.docx).replace(NB, " ")
    assert "Egeninnsats på 1 000 000 kr (kommunenes eget arbeid, ført både som kostnad og som finansiering) " \
           "er ikke med og faktureres ikke." in text

    application = render(config, "application", tmp_path, pid=HAUG, period="2015").docx
    costs = find_table(application, "Kategori")
    financing = find_table(application, "Kilde")
    whole_plan = sum(a for line in plan(config, HAUG)["budget"]["costs"] for a in line["amounts"].values())
    assert costs[-1][-1] == financing[-1][-1] == num(whole_plan)          # both sides add up to 3 334 415
    by_source = {r[0]: r[1:] for r in financing}
    assert by_source["Kommunene (kostnadsfordeling)"] == [num(rest[2015]), num(rest[2016]), num(sum(rest.values()))]
    assert by_source["Egeninnsats kommunene"] == [num(IN_KIND[2015]), num(IN_KIND[2016]), num(sum(IN_KIND.values()))]
    split = {r[0]: r[1:] for r in find_table(application, "Kommune")}
    assert split["Sum"] == [num(rest[2015]), num(rest[2016]), num(sum(rest.values()))]
    text = all_text(application).replace(NB, " ")
    assert "Kommunene dekker resten i kontanter: 1 534 415 kr over perioden" in text
    assert "Egeninnsats: 1 000 000 kr, ført både som kostnad og som finansiering (2 073 timer)." in text


@pytest.mark.parametrize("kind,kw", [("status", {"as_of": date(2016, 10, 7)}), ("final", {})])
def test_own_effort_is_not_a_budget_the_accounts_fall_short_of(config, tmp_path, kind, kw):
    """The final report listed 'Egeninnsats kommunene: 1 000 000 kr ubrukt (100,0 %)' as a
    deviation to explain to the county governor, and the status report measured the cash
    accounts against a budget with the own effort in it. The economy tables hold cash only."""
    def rows(path):       # the funders' table ("Kilde") shows the municipal line as planned: changed here,
        # and with it their unused part split per municipality (the settlement table, "Kommune")
        return {tuple(r) for t in tables(path) if t[0][0] not in ("Kilde", "Kommune") for r in t}
    before = rows(render(config, kind, tmp_path / "a", pid=HAUG, **kw).docx)
    in_kind_plan(config)
    made = render(config, kind, tmp_path / "b", pid=HAUG, **kw).docx
    after = rows(made)
    assert not any("Egeninnsats kommunene" in c for r in after for c in r)
    # every figure as before but the own-effort line, which now says the value (and the version)
    assert before - after <= {r for r in before if r[0] in ("Egeninnsats", "Versjon")}
    text = all_text(made).replace(NB, " ")
    assert "Egeninnsats kommunene:" not in text and "verdsatt til 1 000 000 kr" in text


# ------------------------------------------------------------ ambiguous plans are refused

@pytest.mark.parametrize("case,field,says", [
    ("unmarked", "budget.costs[1].in_kind",
     "cost line 'Egeninnsats kommunene' reads as own effort (egeninnsats), but does not say whether it is "
     "paid in cash: write in_kind: true"),
    ("financing only", "budget.financing[3].amounts[2015]",
     "2015: the financing plan counts 300 000 kr own effort (egeninnsats) but no cost line is own effort"),
    ("cost only", "budget.costs[1].amounts[2015]",
     "2015: 300 000 kr of the costs are own effort (in_kind: true) but the financing plan has no egeninnsats line"),
    ("differ", "budget.financing[3].amounts[2016]",
     "2016: own effort among the costs (in_kind: true) is 700 000 kr but the egeninnsats financing is 600 000 kr"),
])
@pytest.mark.parametrize("kind", ["costsplit", "application", "status", "final"])
def test_a_plan_whose_own_effort_cannot_be_told_from_cash_is_refused(config, tmp_path, case, field, says, kind):
    """Unmarked, the old code took 'Egeninnsats kommunene' for cash and invoiced it; an
    egeninnsats line without a cost, or a cost without its line, was silently left out."""
    if case == "unmarked":
        in_kind_plan(config, marked=None)
    elif case == "financing only":
        in_kind_plan(config, cost=None)
    elif case == "cost only":
        in_kind_plan(config, financing=None)
    else:
        in_kind_plan(config, financing={2015: 300_000, 2016: 600_000})
    kw = {"period": "2015"} if kind == "application" else {}
    with pytest.raises(UserError) as caught:
        render(config, kind, tmp_path, pid=HAUG, **kw)
    error = caught.value
    assert error.file.endswith(f"projects/{HAUG}.yaml") and error.line and error.field == field, str(error)
    assert says.replace(" kr", "\u00a0kr").replace("300 000", "300\u00a0000").replace("700 000", "700\u00a0000") \
        .replace("600 000", "600\u00a0000") in error.message, error.message
    assert not list(tmp_path.rglob("*.docx"))


def test_validate_and_allocate_name_the_ambiguous_line(config, capsys):
    from grantflow.cli import main
    in_kind_plan(config, marked=None)
    assert main(["validate", str(config)]) == 1
    out = capsys.readouterr().out
    assert f"projects/{HAUG}.yaml:" in out and "budget.costs[1].in_kind: cost line 'Egeninnsats kommunene'" in out
    assert main(["--config", str(config), "allocate", HAUG, "--year", "2015"]) != 0
    err = capsys.readouterr().err
    assert "budget.costs[1].in_kind" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_marking_a_line_as_cash_is_heard(config, tmp_path):
    """in_kind: false says the line is paid in cash: then it is invoiced, and the egeninnsats
    line must go (else: financing without an own-effort cost, refused above)."""
    in_kind_plan(config, marked="false", financing=None)
    rest = cash_rest(config)
    assert sum(rest.values()) == 2_534_415
    made = render(config, "costsplit", tmp_path, pid=HAUG).docx
    assert split_table(made, 2016)["Sum"][4] == num(rest[2016])


# ------------------------------------------------------------ (a) hours only, (d) hours file

def test_own_effort_in_hours_is_said_not_to_be_invoiced(config, tmp_path):
    text = all_text(render(config, "application", tmp_path, pid=HAUG, period="2015").docx).replace(NB, " ")
    assert "Egeninnsats: 2 073 timer à 500 kr = 1 036 500 kr (regionrådets standard timesats). Egeninnsatsen er " \
           "kommunenes eget arbeid: den faktureres ikke og er ikke med i kostnadsfordelingen." in text
    assert "Kommunenes andel er 1 535 000 kr etter finansieringsplanens linje for kommunene." in text


def test_hours_beyond_the_plan_are_said_in_the_status_report(config, tmp_path):
    """2 100 hours registered against 2 073 planned for the whole period: the status report said
    only 'registrert til nå mot … planlagt til nå'."""
    path = config / "data" / HAUG / "timer.csv"
    path.write_text("Dato;Kommune;Timer\n01.10.2015;Haugesund;1 500,5\n01.03.2016;Utsira;599,5\n"
                    "01.03.2016;Karmøy;0\n", encoding="utf-8")
    with open(path, encoding="utf-8") as fh:
        registered = sum(Decimal(r["Timer"].replace(" ", "").replace(",", ".")) for r in csv.DictReader(fh, delimiter=";"))
    planned = Decimal(str(plan(config, HAUG)["budget"]["own_effort_hours"]))
    assert registered - planned == 27
    text = all_text(render(config, "status", tmp_path, pid=HAUG, as_of=date(2016, 10, 7)).docx).replace(NB, " ")
    assert "2 100 timer registrert til nå" in text and "Det er 27 timer mer enn planlagt for hele perioden." in text


def test_hours_outside_the_project_stop_the_report_with_one_line(config, tmp_path):
    """A row dated 2051 for 2015 was counted in the status report's hours without a word."""
    path = config / "data" / HAUG / "timer.csv"
    path.write_text("Dato;Kommune;Timer\n01.10.2015;Haugesund;5\n01.10.2051;Haugesund;7\n", encoding="utf-8")
    with pytest.raises(UserError) as caught:
        render(config, "status", tmp_path, pid=HAUG, as_of=date(2016, 10, 7))
    assert (caught.value.line, caught.value.field) == (3, "Dato")
    assert caught.value.file.endswith(f"data/{HAUG}/timer.csv")
    assert "01.10.2051 is outside the project period 21.09.2015 – 20.09.2017" in caught.value.message


def test_hours_at_the_projects_own_rate_must_match_the_kroner_lines(config, tmp_path):
    """2 073 hours at the project's 400 kr are 829 200 kr, the lines say 1 000 000 kr: the
    application would print both figures for the same effort."""
    in_kind_plan(config)
    replace_in(config / "projects" / f"{HAUG}.yaml", "  own_effort_hours: 2073\n",
               "  own_effort_hours: 2073\n  own_effort_rate: 400\n")
    raw = plan(config, HAUG)["budget"]
    assert raw["own_effort_hours"] * raw["own_effort_rate"] == 829_200 != sum(IN_KIND.values())
    with pytest.raises(UserError) as caught:
        render(config, "application", tmp_path, pid=HAUG, period="2015")
    assert caught.value.field == "budget.own_effort_rate" and caught.value.line
    assert "= 829\u00a0200\u00a0kr, but the egeninnsats financing lines total 1\u00a0000\u00a0000\u00a0kr" \
        in caught.value.message


def test_own_effort_booked_in_the_accounts_is_named(config, capsys):
    """A ledger row naming the egeninnsats line as its source, or an own-effort category: valued
    hours booked as if paid. The final report counted them as cash spent, 'uten
    finansieringskilde', and validate said nothing."""
    from grantflow.cli import main
    in_kind_plan(config)
    (config / "data" / HAUG / "regnskap.csv").write_text(
        "Dato;År;Kategori;Beskrivelse;Beløp;Finansieringskilde\n"
        "01.10.2015;2015;Prosjektkostnader;lønn;10 000;fm-rogaland\n"
        "02.10.2015;2015;Prosjektkostnader;timer;50 000;Egeninnsats kommunene\n"
        "03.10.2015;2015;Egeninnsats kommunene;timer;20 000;hv-fond\n", encoding="utf-8")
    main(["validate", str(config)])
    out = [line for line in capsys.readouterr().out.splitlines() if "regnskap.csv" in line]
    assert any(":3 Finansieringskilde: 'Egeninnsats kommunene' is own effort (egeninnsats)" in line for line in out), out
    assert any(":4 Kategori: 'Egeninnsats kommunene' is own effort in the plan" in line for line in out), out
