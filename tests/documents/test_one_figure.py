"""One figure, one value, everywhere in a document (found by a county governor's case officer).

* The application's financing plan rounded a municipal line written with øre in its year's
  column: 115 500,50 / 285 250,50 / 175 000 showed "115 501 | 285 251 | 175 000 | 575 752" and
  "Sum … 875 752" beside "kostnader og finansiering er begge 875 751 kr" and section 10's bills
  115 501 / 285 250 / 175 000; "2025: finansieringen er −1 kr" stood under two columns that both
  showed 485 251; validate said "2026: financing 160 000 kr vs costs 160 000 kr (difference −1 kr)".
* An .xlsx ledger took amounts with fractions of an øre (90 000,333; 100 000,335) that a CSV
  ledger refuses.
* The cost split's "Andel" gave three municipalities paying 53 333 kr each "33,4 %", "33,3 %",
  "33,3 %".
* The final report said "1 post … (12 000 kr)" of a ledger row of 12 000,40 kr.

Expected figures are worked out by hand in each test from the data it writes.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from grantflow.cli import main
from grantflow.documents.service import produce
from grantflow.register import open_register

from ..docx_text import all_text, find_table, tables

NB = "\u00a0"
MINUS = "\u2212"

COUNCIL = """\
id: testrad
name: Testrådet
org_number: "999 999 999 (eksempel)"
county: Vestland
invoicing: {issuer: Testrådet, when: i mars, each_year: "01.03", due_days: 30, contact: "post@testrad.example.no"}
secretariat: {name: Sekretariatet i Testrådet, role: daglig leder, organisation: Testrådet, email: post@testrad.example.no}
county_governor: {name: Statsforvalteren i Vestland, role: tilskuddsforvalter, email: sfvl@statsforvalteren.example.no}
population_source: "test"
municipalities:
  - {name: Alfa, population: {2024: 1000}}
  - {name: Beta, population: {2024: 1000}}
  - {name: Gamma, population: {2024: 1000}}
"""

PROJECT = """\
id: {id}
name: Testprosjekt
council: testrad
owner: Testrådet
responsible: Testrådet
owner_contact: {{name: Styreleder, role: styreleder, organisation: Testrådet, email: leder@testrad.example.no}}
leader: {{name: Pia Prosjektleder, role: prosjektleder, organisation: Testrådet, email: pl@testrad.example.no}}
steering_group:
  - {{name: Rådmann Alfa, role: leder, organisation: Alfa kommune, email: r@alfa.example.no}}
municipalities: [Alfa, Beta, Gamma]
split: {{equal_percent: 0, weight: innbyggere, weight_year: 2024, decision: "test"}}
period: {{start: 2024-09-01, end: {end}}}
summary: Test.
milestones:
  - {{number: 1, date: 2024-12-31, event: Start}}
risks: []
budget:
  unit: 1
  costs:
{costs}
  financing:
{financing}
funders:
  - id: sf-vestland
    name: Statsforvalteren i Vestland (skjønnsmidler)
    email: sfvl@statsforvalteren.example.no
    grants:
      - {{year: 2024, amount: 100000, reference: "2024/1", decided: 2024-06-01}}
      - {{year: 2025, amount: 200000, reference: "2025/2", decided: 2025-03-01}}
data:
  milestones: data/{id}/milepaeler.csv
  ledger: data/{id}/{ledger}
"""
SKJONN = ("    - {source: Skjønnsmidler, kind: skjønnsmidler, funder: sf-vestland, applied_for: true, "
          "amounts: {2024: 100000, 2025: 200000}}")
LEDGER_HEADER = "Dato;År;Kategori;Beskrivelse;Beløp;Finansieringskilde;Kreditnota\n"


def _project(config: Path, pid: str, costs: str, financing: str, *, end: str = "2026-06-30",
             ledger_rows: list[str] = (), ledger: str = "regnskap.csv") -> None:
    (config / "councils" / "testrad.yaml").write_text(COUNCIL, encoding="utf-8")
    (config / "projects" / f"{pid}.yaml").write_text(
        PROJECT.format(id=pid, end=end, costs=costs, financing=financing, ledger=ledger), encoding="utf-8")
    data = config / "data" / pid
    data.mkdir(parents=True, exist_ok=True)
    (data / "milepaeler.csv").write_text("Milepæl;Status;Faktisk dato;Kommentar\n1;ferdig;31.12.2024;ok\n",
                                         encoding="utf-8")
    if ledger.endswith(".csv"):
        (data / ledger).write_text(LEDGER_HEADER + "".join(r + "\n" for r in ledger_rows), encoding="utf-8")


def _plain(text: str) -> str:
    return text.replace(NB, " ")


# 2. The municipal line with øre: one value everywhere ------------------------------------------

FOUR_COSTS = ("    - {category: Lønn, amounts: {2024: 205500, 2025: 465251, 2026: 165000}}\n"
              "    - {category: Kurs, amounts: {2024: 10000, 2025: 20000, 2026: 10000}}")
FOUR_FINANCING = (SKJONN + "\n    - {source: Kommunene (kostnadsfordeling), kind: kommunene, "
                  "amounts: {2024: 115500.50, 2025: 285250.50, 2026: 175000}}")


def test_the_application_shows_the_municipal_line_as_billed_in_every_table_and_sentence(scratch_config, tmp_path):
    _project(scratch_config, "testprosjekt4", FOUR_COSTS, FOUR_FINANCING)
    # By hand, the README's running sum: 115 500,50 → 115 501; 115 500,50 + 285 250,50 = 400 751,
    # less 115 501 = 285 250; + 175 000 = 575 751, less 400 751 = 175 000. Period: 575 751. Costs 215 500 / 485 251 / 175 000 =
    # 875 751; financing 100 000 + 115 501 = 215 501 (+1), 200 000 + 285 250 = 485 250 (−1),
    # 175 000 (0); period 300 000 + 575 751 = 875 751.
    made = produce(open_register(scratch_config), "application", "testprosjekt4", period="2024", out=tmp_path,
                   as_of=date(2024, 5, 1))
    fin = [[_plain(c) for c in row] for row in find_table(made.docx, "Kilde", "Kommunene (kostnadsfordeling)")]
    rows = {r[0]: r[1:] for r in fin}
    assert rows["Kommunene (kostnadsfordeling)"] == ["115 501", "285 250", "175 000", "575 751"], fin
    assert rows["Sum"] == ["215 501", "485 250", "175 000", "875 751"], fin
    costs = [[_plain(c) for c in row] for row in find_table(made.docx, "Kategori", "Lønn")]
    assert costs[-1] == ["Sum", "215 500", "485 251", "175 000", "875 751"], costs
    split = [[_plain(c) for c in row] for row in find_table(made.docx, "Kommune", "Alfa")]
    assert split[-1] == ["Sum", "115 501", "285 250", "175 000", "575 751"], split
    text = _plain(all_text(made.docx))
    assert "kostnader og finansiering er begge 875 751 kr." in text, text
    assert "2024: finansieringen er +1 kr mot kostnadene." in text, text
    assert f"2025: finansieringen er {MINUS}1 kr mot kostnadene." in text, text
    assert "2026: finansieringen er" not in text, text
    assert "575 752" not in text and "875 752" not in text and "285 251" not in text, text


def test_validate_compares_each_year_in_the_whole_kroner_it_prints(scratch_config, capsys):
    costs = "    - {category: Lønn, amounts: {2024: 110000, 2025: 370000, 2026: 160000}}"
    financing = (SKJONN + "\n    - {source: Kommunene (kostnadsfordeling), kind: kommunene, "
                 "amounts: {2024: 10000.50, 2025: 170000, 2026: 159999.50}}")
    _project(scratch_config, "testprosjekt7", costs, financing)
    main(["--config", str(scratch_config), "validate", str(scratch_config / "projects" / "testprosjekt7.yaml")])
    out = capsys.readouterr()
    lines = [_plain(l) for l in (out.out + out.err).splitlines() if "budget.financing" in l and "financing " in l]
    # By hand: municipal 10 000,50 → 10 001; 180 000,50 → 180 001, less 10 001 = 170 000;
    # 340 000,00 → 340 000, less 180 001 = 159 999. Financing 110 001 / 370 000 / 159 999 against
    # costs 110 000 / 370 000 / 160 000: +1 in 2024, −1 in 2026, the period exact (640 000).
    assert [l.split("budget.financing: ", 1)[1] for l in lines] == [
        "2024: financing 110 001 kr vs costs 110 000 kr (difference +1 kr)",
        f"2026: financing 159 999 kr vs costs 160 000 kr (difference {MINUS}1 kr)"], lines


# 3. An .xlsx ledger below the øre is refused as a CSV one is; float noise is not -----------------

SIX_COSTS = "    - {category: Lønn, amounts: {2024: 100000, 2025: 200000}}"


def _xlsx_ledger(config: Path, pid: str, amounts: list) -> Path:
    path = config / "data" / pid / "regnskap.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Regnskap"
    ws.append(["Dato", "År", "Kategori", "Beskrivelse", "Beløp", "Finansieringskilde", "Kreditnota"])
    for n, amount in enumerate(amounts):
        ws.append([datetime(2025, 1 + n, 28), None, "Lønn", f"Post {n + 1}", amount, "sf-vestland", None])
    wb.save(path)
    return path


def test_an_xlsx_amount_with_a_fraction_of_an_ore_is_refused_naming_file_row_and_field(scratch_config, tmp_path, capsys):
    _project(scratch_config, "testprosjekt6", SIX_COSTS, SKJONN, end="2025-06-30", ledger="regnskap.xlsx")
    _xlsx_ledger(scratch_config, "testprosjekt6", [90000.333, 0.1 + 0.2, 100000.335])
    code = main(["--config", str(scratch_config), "render", "final", "testprosjekt6", "--out", str(tmp_path / "out")])
    out = capsys.readouterr()
    text = out.out + out.err
    assert code == 1 and "Traceback" not in text, text
    assert text.count("\n") == 1 and text.startswith("error: "), text       # one line, the first bad cell
    assert "regnskap.xlsx:2: Beløp: 90000.333 has 3 decimals; kroner have at most 2 (øre)" in text, text
    assert not list((tmp_path / "out").rglob("*.docx"))
    # validate names every such cell (row 3, 0.1 + 0.2, is float noise and read as 0,30)
    code = main(["--config", str(scratch_config), "validate"])
    out = capsys.readouterr()
    errors = [l for l in (out.out + out.err).splitlines() if "regnskap.xlsx" in l and l.startswith("ERROR")]
    assert code == 1 and len(errors) == 2, out
    assert "regnskap.xlsx:2 Beløp: 90000.333 has 3 decimals; kroner have at most 2 (øre)" in errors[0], errors
    assert "regnskap.xlsx:4 Beløp: 100000.335 has 3 decimals; kroner have at most 2 (øre)" in errors[1], errors


def test_excel_float_noise_is_read_as_the_whole_ore_it_is(scratch_config, tmp_path):
    _project(scratch_config, "testprosjekt6", SIX_COSTS, SKJONN, end="2025-06-30", ledger="regnskap.xlsx")
    # =0,1+0,2 is 0.30000000000000004 as Excel stores it, =1,1*3 is 3.3000000000000003
    noisy = [0.1 + 0.2, 1.1 * 3, 239996.40]
    assert noisy[0] != 0.3 and noisy[1] != 3.3
    _xlsx_ledger(scratch_config, "testprosjekt6", noisy)
    made = produce(open_register(scratch_config), "final", "testprosjekt6", out=tmp_path)
    # By hand: used 0,30 + 3,30 + 239 996,40 = 240 000,00 of 300 000: unused 60 000, no øre.
    table = [[_plain(c) for c in r] for r in find_table(made.docx, "Kilde", "Saksnr.")]
    row = {r[0]: r for r in table}["Statsforvalteren i Vestland (skjønnsmidler)"]
    assert row[3:6] == ["300 000", "240 000", "60 000"], table


# 4. Equal payers read equal percentages ----------------------------------------------------

def test_equal_amounts_show_equal_shares_in_the_cost_split(scratch_config, tmp_path):
    costs = "    - {category: Lønn, amounts: {2025: 259999}}"
    financing = ("    - {source: Skjønnsmidler, kind: skjønnsmidler, funder: sf-vestland, applied_for: true, "
                 "amounts: {2025: 100000}}\n"
                 "    - {source: Kommunene (kostnadsfordeling), kind: kommunene, amounts: {2025: 159999}}")
    _project(scratch_config, "testprosjekt8", costs, financing, end="2025-12-31")
    made = produce(open_register(scratch_config), "costsplit", "testprosjekt8", period="2025", out=tmp_path,
                   as_of=date(2025, 2, 1))
    (table,) = [[[_plain(c) for c in r] for r in t] for t in tables(made.docx) if t[0][-1] == "Andel"]
    # By hand: 159 999 kr by three equal populations is 53 333 each; 53 333 / 159 999 = 33,33 %.
    shares = {r[0]: (r[-2], r[-1]) for r in table[1:]}
    assert shares["Alfa"] == shares["Beta"] == shares["Gamma"] == ("53 333", "33,3 %"), table
    assert table[-1][0] == "Sum" and table[-1][-1] == "100,0 %", table
    # 3 × 33,3 = 99,9 as printed under the whole, 100,0 %: said above the table
    assert ("Andel er kommunens sum i prosent av årets beløp, avrundet hver for seg, så like beløp har lik "
            "andel; de avrundede andelene summerer til 99,9 %.") in _plain(all_text(made.docx))


# 7. The final report's ledger rows left out are said to the øre ------------------------------

def test_the_final_report_says_rows_after_the_end_to_the_ore(scratch_config, tmp_path):
    _project(scratch_config, "testprosjekt9", SIX_COSTS, SKJONN, end="2025-06-30", ledger_rows=[
        "31.12.2024;;Lønn;Lønn 2024;90 000;sf-vestland;",
        "30.06.2025;;Lønn;Lønn 2025;150 000;sf-vestland;",
        "15.07.2025;;Lønn;Sluttfaktura;12 000,40;sf-vestland;"])
    made = produce(open_register(scratch_config), "final", "testprosjekt9", out=tmp_path)
    text = _plain(all_text(made.docx))
    # By hand: one row after 30.06.2025, of 12 000,40 kr; used to the end 90 000 + 150 000 = 240 000
    # of 300 000, unused 60 000 (no øre among the rows counted).
    assert "1 post datert etter denne datoen (12 000,40 kr) er ikke med." in text, text
    assert "Ubrukt beløp, 60 000 kr, tilbakebetales." in text, text
