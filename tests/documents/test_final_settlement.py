"""The final report says what each municipality gets back (or pays): it said "902 000 kr avregnes
med kommunene etter fordelingsnøkkelen" (Haugaland, final-2017) and "670 500 kr" (Kongsbergregionen,
final-2014) and no more, so the secretariat split it by hand and no municipality could check its part
(found by the county governor's case officer).

The expected parts are computed here from the data files by the README's rule (exact share = equal
part + weighted part, floored, the leftover kroner to the largest remainders, ties to the larger
population, then the project's list order), never by calling grantflow's cost split."""

from __future__ import annotations

import csv
import math
import re
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import CONFIG
from ..docx_text import find_table, paragraphs

NB = "\u00a0"
HAUG, ERP = "haugaland-velferdsteknologi", "kongsbergregionen-erp"


def by_hand(total: int, people: dict[str, int], equal_percent: int) -> dict[str, int]:
    """``total`` kroner split as the README says, written out here."""
    names, pops = list(people), list(people.values())
    equal = Fraction(equal_percent, 100)
    exact = [total * (equal / len(names) + (1 - equal) * Fraction(p, sum(pops))) for p in pops]
    parts = [math.floor(x) for x in exact]
    order = sorted(range(len(names)), key=lambda i: (-(exact[i] - parts[i]), -pops[i], i))
    for i in order[:total - sum(parts)]:
        parts[i] += 1
    return dict(zip(names, parts))


def _plan(config, project: str) -> dict:
    return yaml.safe_load((config / "projects" / f"{project}.yaml").read_text(encoding="utf-8"))


def _people(config, plan: dict) -> dict[str, int]:
    council = yaml.safe_load((config / "councils" / f"{'haugaland-vekst' if plan['id'] == HAUG else 'kongsbergregionen'}"
                              ".yaml").read_text(encoding="utf-8"))
    pop = {m["name"]: m["population"][plan["split"]["weight_year"]] for m in council["municipalities"]}
    return {name: pop[name] for name in plan["municipalities"]}


def _haugaland_ledger(config, plan: dict) -> Decimal:
    """What the municipalities' row used: the ledger rows booked to it, to the project's end."""
    used = Decimal(0)
    with open(config / "data" / HAUG / "regnskap.csv", encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh, delimiter=";"):
            day = date(*reversed([int(x) for x in r["Dato"].split(".")]))
            if r["Finansieringskilde"] == "Kommunene (kostnadsfordeling)" and day <= plan["period"]["end"]:
                used += Decimal(r["Beløp"].replace(" ", "").replace(",", "."))
    return used


def _table(docx) -> dict[str, str]:
    table = find_table(docx, "Kommune")
    return {row[0]: row[2].replace(NB, " ") for row in table[1:]}, table[0]


def _kr(text: str) -> int:
    """A whole-krone amount as the table prints it: rounded to whole kroner, shown so ('222 696',
    not '222 696,00' beside "avrundet til hele kroner", found by a county governor's case officer)."""
    return int(text.replace(" ", "").replace(NB, ""))


def test_haugaland_final_report_gives_each_municipalitys_refund(tmp_path):
    plan = _plan(CONFIG, HAUG)
    (line,) = [f for f in plan["budget"]["financing"] if f["kind"] == "kommunene"]
    unused = sum(line["amounts"].values()) - _haugaland_ledger(CONFIG, plan)
    assert unused == 902000
    expected = by_hand(int(unused), _people(CONFIG, plan), plan["split"]["equal_percent"])
    assert sum(expected.values()) == 902000 and len(expected) == 10
    made = produce(open_register(CONFIG), "final", HAUG, out=tmp_path)
    shown, header = _table(made.docx)
    assert header == ["Kommune", "Andel", "Får tilbake"]
    total = shown.pop("Sum")
    assert {name: _kr(v) for name, v in shown.items()} == expected
    assert _kr(total) == 902000
    text = "\n".join(paragraphs(made.docx)).replace(NB, " ")
    assert "Det ubrukte beløpet, 902 000 kr, avregnes med kommunene" in text


def test_kongsberg_final_report_gives_each_participants_refund_and_none_to_the_others(tmp_path):
    from openpyxl import load_workbook

    plan = _plan(CONFIG, ERP)
    costs = sum(a for c in plan["budget"]["costs"] for a in c["amounts"].values())
    assert [f["kind"] for f in plan["budget"]["financing"]] == ["kommunene"]      # they pay it all
    rows = list(load_workbook(CONFIG / "data" / ERP / "regnskap.xlsx", read_only=True).active.iter_rows(values_only=True))
    at = {h: i for i, h in enumerate(rows[0])}
    used = sum(r[at["Beløp"]] for r in rows[1:] if r[at["Dato"]] <= datetime(2014, 12, 31)
               and r[at["Finansieringskilde"]] == "Kommunene (kostnadsfordeling)")
    unused = costs - used
    assert unused == 670500
    expected = by_hand(unused, _people(CONFIG, plan), plan["split"]["equal_percent"])
    made = produce(open_register(CONFIG), "final", ERP, out=tmp_path)
    shown, _ = _table(made.docx)
    total = shown.pop("Sum")
    assert {name: _kr(v) for name, v in shown.items()} == expected       # the 3 non-participants: no row
    assert sorted(expected) == ["Hjartdal", "Kongsberg", "Notodden", "Tinn"]
    assert _kr(total) == sum(expected.values()) == 670500


def test_an_overspend_is_invoiced_to_the_municipalities_by_the_same_key(scratch_config, tmp_path):
    """The municipalities spent 96 000 kr more than the cost split billed them: each one's part
    of it, headed "Betaler"."""
    path = scratch_config / "projects" / f"{HAUG}.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("amounts: {2015: 412000, 2016: 1123000}", "amounts: {2015: 137000, 2016: 400000}"),
                    encoding="utf-8")
    plan = _plan(scratch_config, HAUG)
    over = _haugaland_ledger(scratch_config, plan) - 537000
    assert over == 96000
    expected = by_hand(int(over), _people(scratch_config, plan), 30)
    made = produce(open_register(scratch_config), "final", HAUG, out=tmp_path)
    shown, header = _table(made.docx)
    assert header == ["Kommune", "Andel", "Betaler"]
    assert _kr(shown.pop("Sum")) == 96000
    assert {name: _kr(v) for name, v in shown.items()} == expected
    page = "\n".join(paragraphs(made.docx)).replace(NB, " ")
    assert "Merforbruket, 96 000 kr, fordeles på kommunene etter fordelingsnøkkelen" in page


def _set_used(config, amount: str) -> None:
    """The Haugaland ledger with the municipalities' rows replaced by one row of ``amount``."""
    path = config / "data" / HAUG / "regnskap.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    kept = [l for l in lines if ";Kommunene (kostnadsfordeling);" not in l]
    kept.append(f"31.10.2016;2016;Prosjektkostnader;Lønn prosjektleder;{amount};Kommunene (kostnadsfordeling);")
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")


def test_one_krone_goes_to_one_municipality(scratch_config, tmp_path):
    _set_used(scratch_config, "1 534 999,00")
    plan = _plan(scratch_config, HAUG)
    expected = by_hand(1, _people(scratch_config, plan), 30)
    assert sorted(expected.values()) == [0] * 9 + [1]
    made = produce(open_register(scratch_config), "final", HAUG, out=tmp_path)
    shown, _ = _table(made.docx)
    assert _kr(shown.pop("Sum")) == 1
    assert {name: _kr(v) for name, v in shown.items()} == expected


def test_an_amount_with_ore_is_split_to_the_ore_and_adds_up(scratch_config, tmp_path):
    """The report states the unused amount to the øre (901 999,55 kr): the parts add up to it."""
    _set_used(scratch_config, "633 000,45")
    plan = _plan(scratch_config, HAUG)
    expected = by_hand(90199955, _people(scratch_config, plan), 30)       # in øre
    made = produce(open_register(scratch_config), "final", HAUG, out=tmp_path)
    shown, _ = _table(made.docx)
    assert shown.pop("Sum") == "901 999,55"
    assert {name: v for name, v in shown.items()} == {
        name: f"{o // 100:,}".replace(",", " ") + f",{o % 100:02d}" for name, o in expected.items()}
    page = "\n".join(paragraphs(made.docx)).replace(NB, " ")
    assert "Det ubrukte beløpet, 901 999,55 kr, avregnes med kommunene" in page


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(unused=st.one_of(st.integers(1, 50), st.integers(10**12, 10**15)))
def test_any_amount_is_split_by_the_key_and_adds_up(unused):
    """From 1 kr to a thousand billion: the parts are the README's split of it and sum to it."""
    from grantflow.costsplit import settle

    reg = open_register(CONFIG)
    project, council = reg.project(HAUG), reg.council_of(reg.project(HAUG))
    expected = by_hand(unused, _people(CONFIG, _plan(CONFIG, HAUG)), 30)
    for sign in (1, -1):
        got = settle(council, project, Decimal(sign * unused))
        assert {name: part for name, _, part in got.rows} == {n: Decimal(sign * v) for n, v in expected.items()}
        assert sum(part for _, _, part in got.rows) == sign * unused


def test_a_key_that_changes_by_year_settles_in_proportion_to_what_each_was_billed(scratch_config, tmp_path):
    """Population on 1 January of each year (no weight_year): the 2015 and 2016 cost splits use
    different keys, so the refund follows what each municipality was billed over the period."""
    plan_path = scratch_config / "projects" / f"{HAUG}.yaml"
    text = plan_path.read_text(encoding="utf-8")
    plan_path.write_text(text.replace("  weight_year: 2014 ", "  # no weight_year "), encoding="utf-8")
    council_path = scratch_config / "councils" / "haugaland-vekst.yaml"
    council = council_path.read_text(encoding="utf-8")
    grown = {}
    for line in council.splitlines():
        found = re.match(r"  - \{name: (.+), population: \{2014: (\d+)\}\}", line)
        if found:
            name, pop = found.group(1), int(found.group(2))
            grown[name] = {2015: pop + 100, 2016: pop + 5000 if name == "Utsira" else pop}
            council = council.replace(line, f"  - {{name: {name}, population: {{2015: {pop + 100}, "
                                            f"2016: {grown[name][2016]}}}}}")
    council_path.write_text(council, encoding="utf-8")
    plan = _plan(scratch_config, HAUG)
    (line,) = [f for f in plan["budget"]["financing"] if f["kind"] == "kommunene"]
    billed = {n: 0 for n in plan["municipalities"]}
    for year, amount in line["amounts"].items():
        for name, part in by_hand(amount, {n: grown[n][year] for n in plan["municipalities"]}, 30).items():
            billed[name] += part
    assert sum(billed.values()) == 1535000
    unused = 902000
    # the refund in proportion to what each paid, by largest remainder (ties: more paid, list order)
    names = plan["municipalities"]
    exact = [Fraction(unused * billed[n], 1535000) for n in names]
    parts = [math.floor(x) for x in exact]
    for i in sorted(range(len(names)), key=lambda i: (-(exact[i] - parts[i]), -billed[names[i]], i))[
            :unused - sum(parts)]:
        parts[i] += 1
    expected = dict(zip(names, parts))
    made = produce(open_register(scratch_config), "final", HAUG, out=tmp_path)
    shown, _ = _table(made.docx)
    assert _kr(shown.pop("Sum")) == unused
    assert {name: _kr(v) for name, v in shown.items()} == expected
    page = "\n".join(paragraphs(made.docx)).replace(NB, " ")
    assert "fordeles i forhold til det hver kommune ble fakturert etter kostnadsfordelingene 2015–2016" in page
