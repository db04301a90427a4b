"""The figures in the documents, each against a recomputation from the seed or the data files.

Nothing here asks the builders what they meant: amounts are recomputed from the project YAML and
the CSV files with plain Python (csv, Decimal), and the rendered .docx is read back.
"""

from __future__ import annotations

import csv
import re
import zipfile
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
import yaml

from grantflow.cli import main
from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import CONFIG, replace_in
from ..docx_text import all_text, find_table, tables, with_ore

NB = "\u00a0"
MINUS = "\u2212"
TODAY = date(2026, 11, 24)
HAUG, NG, ERP = "haugaland-velferdsteknologi", "smart-velferdsregion-nord-gudbrandsdal", "kongsbergregionen-erp"


@pytest.fixture(scope="module")
def register():
    return open_register(CONFIG)


@pytest.fixture(scope="module")
def documents(register, tmp_path_factory):
    """Every kind for every demo project (and the usage report for every council and year)."""
    out = tmp_path_factory.mktemp("docs")
    made = {}
    for pid in (HAUG, NG, ERP):
        plan = raw_project(pid)
        for year in sorted({y for line in plan["budget"]["costs"] for y in line["amounts"]}):
            made[("application", pid, year)] = produce(register, "application", pid, period=str(year), out=out,
                                                       today=TODAY).docx
        made[("final", pid)] = produce(register, "final", pid, out=out, today=TODAY).docx
        made[("costsplit", pid)] = produce(register, "costsplit", pid, out=out, today=TODAY).docx
    for pid, when in ((HAUG, date(2016, 10, 7)), (HAUG, date(2017, 2, 3)), (NG, date(2020, 4, 16)),
                      (NG, date(2019, 11, 20)), (ERP, date(2014, 8, 29))):
        made[("status", pid, when)] = produce(register, "status", pid, as_of=when, out=out, today=TODAY).docx
    for council, year in (("haugaland-vekst", "2015"), ("haugaland-vekst", "2016"), ("nord-gudbrandsdal", "2019"),
                          ("kongsbergregionen", "2014")):
        made[("usage", council, year)] = produce(register, "usage", council_id=council, period=year, out=out,
                                                 today=TODAY).docx
    return made


def raw_project(pid: str) -> dict:
    return yaml.safe_load((CONFIG / "projects" / f"{pid}.yaml").read_text(encoding="utf-8"))


def ledger_rows(pid: str) -> list[dict]:
    with open(CONFIG / "data" / pid / "regnskap.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def kroner(text: str) -> Decimal:
    """'62 500,00' -> Decimal('62500.00') (the demo ledger's Norwegian amounts)."""
    text = text.replace("kr", "").replace(" ", "").replace(NB, "").replace(".", "").replace(",", ".")
    return Decimal(text)


def whole(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def money(value: int) -> str:
    return f"{value:,}".replace(",", NB) + NB + "kr"


def num(value: int) -> str:
    text = f"{abs(value):,}".replace(",", NB)
    return (MINUS + text) if value < 0 else text


def parse_cell(text: str) -> Decimal | None:
    """A printed table number ('1 400', '−894 060', '–' for nothing, '12,5 %'), else None."""
    text = text.strip()
    if text in ("–", ""):
        return Decimal(0)
    match = re.fullmatch(r"(\u2212?)([\d\u00a0]+)(?:,(\d+))?(?:\u00a0%)?", text)
    if not match:
        return None
    value = Decimal(match.group(2).replace(NB, "") + ("." + match.group(3) if match.group(3) else ""))
    return -value if match.group(1) else value


# ------------------------------------------------------------ wrong figures, fixed

def test_nord_gudbrandsdal_is_not_billed_for_a_fully_financed_plan(documents, tmp_path):
    """Seed 001: costs 900 + 900, financed 1 400 + 400 (in 1000 kr): nothing for the municipalities."""
    plan = raw_project(NG)["budget"]
    costs = sum(v for line in plan["costs"] for v in line["amounts"].values()) * plan["unit"]
    external = sum(v for line in plan["financing"] if line["kind"] not in ("kommunene", "egeninnsats")
                   for v in line["amounts"].values()) * plan["unit"]
    municipal = max(costs - external, 0)
    assert municipal == 0
    split = all_text(documents[("costsplit", NG)])
    assert "fullfinansiert av eksterne kilder; kommunene faktureres ikke" in split
    assert f"kostnader {money(costs)}, ekstern finansiering {money(external)}" in split
    assert f"900{NB}000" not in split.replace(f"1{NB}900{NB}000", "")
    application = all_text(documents[("application", NG, 2019)])
    assert "kommunene faktureres ikke" in application
    assert not [t for t in tables(documents[("application", NG, 2019)]) if t[0][0] == "Kommune"]


def test_allocate_2019_does_not_fail(capsys):
    assert main(["--config", str(CONFIG), "allocate", NG, "--year", "2019", "--format", "csv"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].endswith(";0;0;0")


def test_unbalanced_plan_without_municipal_line_invents_no_invoices(scratch_config, tmp_path):
    """Costs above financing and no municipal line: the document says so, nobody is billed."""
    replace_in(scratch_config / f"projects/{NG}.yaml", "amounts: {2019: 400}", "amounts: {2019: 100}")
    made = produce(open_register(scratch_config), "costsplit", NG, out=tmp_path, today=TODAY)
    text = all_text(made.docx)
    assert f"kostnadene er 300{NB}000{NB}kr høyere enn finansieringen" in text
    assert "faktureres ikke før finansieringsplanen er avklart" in text
    assert not [t for t in tables(made.docx) if t[0][0] == "Kommune"]


def test_applied_amount_is_per_application_year(documents):
    """'Omsøkt beløp' is the applied-for line's amount for the application's year only."""
    plan = raw_project(HAUG)["budget"]
    applied = {year: sum(line["amounts"].get(year, 0) for line in plan["financing"] if line.get("applied_for"))
               * plan.get("unit", 1) for year in (2015, 2016)}
    assert applied == {2015: 400_000, 2016: 0}
    first = all_text(documents[("application", HAUG, 2015)])
    assert f"Omsøkt beløp: {money(applied[2015])} for 2015." in first
    second = all_text(documents[("application", HAUG, 2016)])
    assert "Ingen skjønnsmidler omsøkt for 2016" in second
    assert f"400{NB}000{NB}kr for 2016" not in second


def test_every_sum_row_adds_up_as_printed(documents):
    """In every table with a Sum row, each numeric column adds up to the printed sum."""
    checked = 0
    for key, path in documents.items():
        for table in tables(path):
            if len(table) < 3 or table[-1][0] != "Sum":
                continue
            header = table[0]
            for col in range(1, len(header)):
                cells = [row[col] for row in table[1:-1]]
                if any("%" in c for c in cells) and header[col] != "Andel":
                    continue                  # deviation percentages do not add
                values = [parse_cell(c) for c in cells]
                total = parse_cell(table[-1][col])
                if total is None or any(v is None for v in values) or table[-1][col] == "":
                    continue
                if header[col] == "Andel":
                    values = [v for v, c in zip(values, cells) if c]
                assert sum(values) == total, (key, header[col], cells, table[-1][col])
                checked += 1
    assert checked > 40


def test_thousands_columns_add_up_after_rounding(documents):
    """Nord-Gudbrandsdal's ledger to 16 April 2020 is 463 750 kr: 464 in 1000 kr. Rounded cell by
    cell (198 + 25 + 203 + 39) the rows made 465 under a sum of 464; rounded once they add up."""
    as_of = date(2020, 4, 16)
    rows = [r for r in ledger_rows(NG) if date(*map(int, reversed(r["Dato"].split(".")))) <= as_of]
    exact = sum(kroner(r["Beløp"]) for r in rows)
    assert exact == 463_750
    table = find_table(documents[("status", NG, as_of)], "År")
    printed = [parse_cell(r[4]) for r in table[1:-1]]
    assert sum(printed) == parse_cell(table[-1][4]) == whole(exact / 1000) == 464


def test_status_deviation_is_against_plan_to_date(documents):
    """Nord-Gudbrandsdal per 16 April 2020: 2020's budget pro rata to the report date, not the
    full year; the deviation is accounts minus that plan, with U+2212."""
    as_of = date(2020, 4, 16)
    plan = raw_project(NG)["budget"]
    days = (as_of - date(2020, 1, 1)).days + 1
    share = Decimal(days) / Decimal(366)
    category = plan["costs"][0]
    budget_2020 = Decimal(category["amounts"][2020]) * plan["unit"]
    planned = budget_2020 * share
    spent = sum(kroner(r["Beløp"]) for r in ledger_rows(NG)
                if r["År"] == "2020" and r["Kategori"] == category["category"]
                and date(*map(int, reversed(r["Dato"].split(".")))) <= as_of)
    table = find_table(documents[("status", NG, as_of)], "År")
    row = next(r for r in table if r[0] == "2020" and r[1] == category["category"])
    assert row[2] == num(whole(budget_2020 / 1000))
    assert abs(parse_cell(row[3]) - planned / 1000) <= 1
    assert abs(parse_cell(row[4]) - spent / 1000) <= 1
    assert parse_cell(row[5]) == parse_cell(row[4]) - parse_cell(row[3])
    share_printed = parse_cell(row[6])
    assert abs(share_printed - (spent - planned) / planned * 100) < Decimal("0.1")
    assert table[0][3] == "Plan til nå"


def test_no_hyphen_minus_before_a_number(documents):
    for key, path in documents.items():
        text = all_text(path)
        bad = re.findall(r"(?<![\w\d./])-\d", text)
        assert not bad, (key, bad)


def test_late_milestones_show_their_delay(documents):
    """Nord-Gudbrandsdal milestone 02: planned 31.12.2019, done 31.01.2020 (the progress CSV)."""
    plan = {m["number"]: m for m in raw_project(NG)["milestones"]}
    with open(CONFIG / "data" / NG / "milepaeler.csv", encoding="utf-8") as fh:
        done = {int(r["Milepæl"]): r for r in csv.DictReader(fh, delimiter=";")}
    actual = date(*map(int, reversed(done[2]["Faktisk dato"].split("."))))
    delay = (actual - plan[2]["date"]).days
    assert delay == 31
    status = {r[0]: r for r in find_table(documents[("status", NG, date(2020, 4, 16))], "Nr")[1:]}
    assert status["02"][3] == f"Ferdig, {delay}{NB}dager forsinket"
    final = {r[0]: r for r in find_table(documents[("final", NG)], "Nr")[1:]}
    assert final["02"][4] == str(delay) and final["02"][5] == f"Ferdig, {delay}{NB}dager forsinket"
    # the last open milestone is not "I rute" in a final report: it was not delivered; 07 is the
    # final report itself (final_report: true in the YAML), delivered with it (it said "Ikke levert")
    assert plan[6].get("final_report") is None and plan[7]["final_report"] is True
    assert final["06"][5].startswith("Ikke levert")
    assert final["07"][5] == "Leveres med denne rapporten"
    assert all(not r[5].startswith("I rute") for r in final.values())


def test_top_risks_are_every_risk_at_or_above_the_threshold(documents):
    """Default threshold RF 10 (amber and red); 'Tid i kommunene' (3 × 5 = 15) is not dropped."""
    risks = raw_project(NG)["risks"]
    expected = sorted((r["risk"] for r in risks if r["probability"] * r["consequence"] >= 10))
    table = find_table(documents[("status", NG, date(2020, 4, 16))], "Risiko")
    assert sorted(r[0] for r in table[1:]) == expected
    assert "Tid i kommunene" in expected and len(expected) == 5


def test_top_risk_threshold_is_configurable_and_shows_at_least_three(scratch_config, tmp_path):
    replace_in(scratch_config / "grantflow.yaml", "top_risk_rf: 10", "top_risk_rf: 20")
    made = produce(open_register(scratch_config), "status", NG, as_of=date(2020, 4, 16), out=tmp_path, today=TODAY)
    assert len(find_table(made.docx, "Risiko")) - 1 == 3


def test_stale_status_note_is_a_finding_and_says_so(register, tmp_path):
    made = produce(register, "status", HAUG, as_of=date(2017, 2, 3), out=tmp_path, today=TODAY)
    text = all_text(made.docx)
    assert "ikke oppdatert siden 1.\u00a0oktober\u00a02016" in text
    assert any("older than the reporting period" in str(f) for f in made.findings)
    fresh = produce(register, "status", HAUG, as_of=date(2016, 10, 7), out=tmp_path, today=TODAY)
    assert "ikke oppdatert siden" not in all_text(fresh.docx)


def test_award_letter_and_meetings_are_validated(scratch_config):
    from grantflow.validate import validate
    replace_in(scratch_config / f"projects/{NG}.yaml", "{year: 2019, amount: 400000,", "{year: 2019, amount: 350000,")
    replace_in(scratch_config / f"projects/{NG}.yaml", "dates: [2019-09-05,", "dates: [2019-05-05, 2019-09-05,")
    _, findings = validate(scratch_config)
    text = "\n".join(str(f) for f in findings)
    assert f"award letters from Helsedirektoratet total 350{NB}000{NB}kr" in text
    assert "ERROR" in next(l for l in text.splitlines() if "2019-05-05" in l)
    assert "steering-group meeting 2019-05-05 is before the project starts (2019-07-01)" in text


# ------------------------------------------------------------ what each reader needs

def test_haugaland_final_report_states_unused_skjonnsmidler_in_kroner(documents):
    """Granted 400 000 kr (award letter) minus what the ledger charged to fm-rogaland."""
    plan = raw_project(HAUG)
    granted = sum(g["amount"] for f in plan["funders"] if f["id"] == "fm-rogaland" for g in f["grants"])
    # exact, to the øre: the ledger's 48 320,50 kr leaves 79 739,50 kr to repay (rounded to kroner,
    # the report said brukt 320 261 kr and ubrukt 79 739 kr, 0,50 kr short)
    used = sum(kroner(r["Beløp"]) for r in ledger_rows(HAUG) if r["Finansieringskilde"] == "fm-rogaland")
    unused = granted - used
    assert (granted, used, unused) == (400_000, Decimal("320260.50"), Decimal("79739.50"))
    path = documents[("final", HAUG)]
    text = all_text(path)
    assert (f"Fylkesmannen i Rogaland (skjønnsmidler), saksnr. 2015/4711 (eksempel): tilsagn {money(granted)}, "
            f"brukt {with_ore(used)}{NB}kr. Ubrukt beløp, {with_ore(unused)}{NB}kr, tilbakebetales.") in text
    row = next(r for r in find_table(path, "Kilde") if r[0] == "Fylkesmannen i Rogaland (skjønnsmidler)")
    assert row[3:7] == [with_ore(granted), with_ore(used), with_ore(unused), "Tilbakebetales"]
    assert "2015/4711 (eksempel)" in text                      # case reference
    assert "Endringer siden forrige sluttrapport" not in text
    assert "Økonomiansvarlig / revisor" in text and "For prosjekteier" in text


def test_final_report_deviations_carry_explanations_or_say_they_are_missing(documents):
    text = all_text(documents[("final", ERP)])
    assert "4. Avvik og forklaringer" in text
    assert "Forklaring mangler." in text


def test_application_has_what_the_county_governor_needs(documents):
    text = all_text(documents[("application", NG, 2019)])
    assert "Til\nStatsforvalteren i Innlandet" in text        # addressee (dated 2026: Statsforvalteren)
    assert "Søknad om prosjektskjønn" in text and "17.\u00a0januar\u00a02019" in text   # the call it answers
    assert "999 999 999 (eksempel)" in text                    # organisation number (example)
    contacts = find_table(documents[("application", NG, 2019)], "Rolle")
    assert [r[0] for r in contacts[1:]] == ["Prosjekteier", "Prosjektansvarlig", "Prosjektleder"]
    assert all("@" in r[3] for r in contacts[1:])
    assert "tlf." not in text                                  # no phone numbers to the county governor
    haug = all_text(documents[("application", HAUG, 2015)])
    rate = yaml.safe_load((CONFIG / "grantflow.yaml").read_text(encoding="utf-8"))["documents"]["own_effort_hourly_rate"]
    hours = raw_project(HAUG)["budget"]["own_effort_hours"]
    assert f"{num(hours)}{NB}timer à {money(rate)} = {money(hours * rate)}" in haug
    assert "Merk: før prosjektstart" in haug                    # milestone findings visible
    assert "Finansieringsplanen er ikke i balanse" in haug


def test_status_report_proposes_decisions_and_counts_own_effort(documents):
    path = documents[("status", HAUG, date(2016, 10, 7))]
    decisions = find_table(path, "Sak")
    assert decisions[0] == ["Sak", "Forslag til vedtak"] and len(decisions) > 1
    text = all_text(path)
    assert "timer registrert til nå mot" in text


def test_usage_report_explains_red_and_missing_results(documents):
    text = all_text(documents[("usage", "nord-gudbrandsdal", "2019")])
    assert f"ubrukte midler på 1{NB}202{NB}000{NB}kr søkes overført til 2020" in text
    assert "31.12" not in text.replace("Brukt per 31.12", "")     # one date style: long dates
    haug = all_text(documents[("usage", "haugaland-vekst", "2015")])
    assert "Ikke rapportert" in haug or "Forklaring mangler" in haug or "Alvorlig avvik:" in haug


def test_cost_split_has_percent_decision_and_invoicing(documents):
    path = documents[("costsplit", HAUG)]
    text = all_text(path)
    assert "Haugaland Vekst Regionråd 12.\u00a0desember\u00a02014" in text
    assert "fakturerer kommunene" in text and f"betalingsfrist 30{NB}dager" in text
    table = find_table(path, "Kommune", contains="Innbyggere 1.1.2014")
    assert table[0][-1] == "Andel" and table[-1][-1] == "100,0" + NB + "%"


def test_documents_are_dated_by_their_report_date(documents):
    """A status report per 3 February 2017 is dated 3 February 2017, not the day it was generated."""
    text = all_text(documents[("status", HAUG, date(2017, 2, 3))])
    assert "Haugaland Vekst · 3.\u00a0februar\u00a02017 · versjon" in text and "24.\u00a0november\u00a02026" not in text.replace(" ", "\u00a0")
    final = all_text(documents[("final", HAUG)])
    assert "20.\u00a0september\u00a02017 · versjon" in final


def test_headings_without_content_say_why(documents):
    """The ERP project has no 'organisation' text: the heading says so instead of standing empty."""
    assert "organisation" not in raw_project(ERP)
    paras = all_text(documents[("final", ERP)]).split("\n")
    at = paras.index("5. Organisering")
    assert paras[at + 1] == "Ikke beskrevet i prosjektets oppsett."


def test_every_chart_in_every_kind_is_a_word_chart(documents):
    """Status and final reports carry their two charts as Word chart parts with an embedded
    workbook; no document of any kind falls back to a picture."""
    for key, docx in documents.items():
        names = zipfile.ZipFile(docx).namelist()
        charts = [n for n in names if n.startswith("word/charts/chart") and n.endswith(".xml")]
        books = [n for n in names if n.startswith("word/embeddings/") and n.endswith(".xlsx")]
        assert not [n for n in names if n.startswith("word/media/")], key
        expected = 2 if key[0] in ("status", "final") else 0
        assert (len(charts), len(books)) == (expected, expected), key
