"""What the final report settles with the municipalities is what they were invoiced, and a cost
split for a year already invoiced says so (a member municipality's finance officer, session 22,
findings 2, 3 and 6). A council and projects of our own (Vestfjell: Åsen, Berg, Dal), sent over a
real SMTP server; every figure below is computed by hand in the test from the data written here."""

from __future__ import annotations

import math
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest

from grantflow.cli import main

from ..conftest import replace_in
from ..docx_text import all_text
from ..smtp_server import SmtpServer, free_port, use_smtp

NBSP = "\u00a0"

COUNCIL = """\
id: vestfjell
name: Vestfjell regionråd
org_number: "999 999 999 (test)"
county: Vestland
invoicing:
  issuer: Vestfjell regionråd
  when: i mars for hele året
  each_year: "01.03"
  due_days: 30
  marking: "Prosjekt 77"
  contact: "post@vestfjell.example.no"
secretariat:
  name: Sekretariatet i Vestfjell
  role: daglig leder
  organisation: Vestfjell regionråd
  email: post@vestfjell.example.no
county_governor:
  name: Statsforvalteren i Vestland
  role: tilskuddsforvalter
  email: sfvlpost@statsforvalteren.example.no
population_source: "SSB 07459, testtall"
municipalities:
  - {name: Åsen, population: {2021: 5000, 2022: 5200, 2023: 5300}}
  - {name: Berg, population: {2021: 12000, 2022: 11800, 2023: 11700}}
  - {name: Dal, population: {2021: 800, 2022: 820, 2023: 830}}
"""

PROJECT = """\
id: {id}
name: Digital hjemmeoppfølging Vestfjell
council: vestfjell
owner: Vestfjell regionråd
responsible: Rådmannsutvalget i Vestfjell
leader: {{name: Pia Prosjektleder, role: prosjektleder, organisation: Vestfjell regionråd, email: pl@vestfjell.example.no}}
steering_group:
  - {{name: Rådmann Åsen, role: leder, organisation: Åsen kommune, email: radmann@asen.example.no}}
  - {{name: Rådmann Berg, role: medlem, organisation: Berg kommune, email: radmann@berg.example.no}}
  - {{name: Rådmann Dal, role: medlem, organisation: Dal kommune, email: radmann@dal.example.no}}
municipalities: [Åsen, Berg, Dal]
split: {{equal_percent: 30, weight: innbyggere, decision: "Regionrådet 10.12.2020, sak 12/20"}}
period: {{start: 2021-01-01, end: 2023-12-31}}
summary: Test av kostnadsfordeling.
background: Bakgrunn.
challenge: Utfordring.
anchoring: Vedtak i regionrådet 10.12.2020.
goals:
  main: [Hovedmål.]
  result: [Resultatmål.]
activities:
  - {{number: 1, title: Innføring, responsible: Prosjektleder}}
milestones:
  - {{number: 1, date: 2021-06-30, event: Oppstart}}
  - {{number: 2, date: 2022-06-30, event: Pilot}}
  - {{number: 3, date: 2023-12-31, event: Sluttrapport levert, final_report: true}}
risks:
  - {{risk: Forsinkelse, probability: 2, consequence: 3, mitigation: Oppfølging}}
budget:
  unit: 1
  costs:
    - {{category: Prosjektledelse, amounts: {{2021: 600000, 2022: 700000, 2023: 500000}}}}
    - {{category: Utstyr, amounts: {{2021: 400000, 2022: 500000, 2023: 300000}}}}
  financing:
    - {{source: Statsforvalterens skjønnsmidler, kind: skjønnsmidler, funder: sf-vestland, applied_for: true, amounts: {{2021: 300000, 2022: 300000}}}}
    - {{source: Kommunene (kostnadsfordeling), kind: kommunene{municipal}}}
funders:
  - id: sf-vestland
    name: Statsforvalteren i Vestland (skjønnsmidler)
    email: sfvlpost@statsforvalteren.example.no
    grants:
      - {{year: 2021, amount: 300000, reference: "2021/11", decided: 2021-04-01}}
      - {{year: 2022, amount: 300000, reference: "2022/22", decided: 2022-04-01}}
    deadlines:
      - {{kind: final, date: 2024-02-01, description: Sluttrapport}}
meetings:
  dates: [2021-03-01, 2021-10-01, 2022-03-01, 2022-10-01, 2023-03-01, 2023-10-01]
  lead_days: 7
data:
  milestones: data/{id}/milepaeler.csv
  ledger: data/{id}/regnskap.csv
  notes: data/{id}/notater.yaml
"""

MUN = "Kommunene (kostnadsfordeling)"
# (date, category, description, amount, source): the county governor's rows 600 000 kr, the
# municipalities' rows 1 870 000 kr; 2 470 000 kr in all
LEDGER = [
    ("31.03.2021", "Prosjektledelse", "Lønn PL Q1", 150_000, "sf-vestland"),
    ("30.06.2021", "Prosjektledelse", "Lønn PL Q2", 150_000, "sf-vestland"),
    ("30.09.2021", "Prosjektledelse", "Lønn PL Q3", 150_000, MUN),
    ("31.12.2021", "Prosjektledelse", "Lønn PL Q4", 150_000, MUN),
    ("15.10.2021", "Utstyr", "Sensorer", 350_000, MUN),
    ("31.03.2022", "Prosjektledelse", "Lønn PL Q1", 175_000, "sf-vestland"),
    ("30.06.2022", "Prosjektledelse", "Lønn PL Q2", 125_000, "sf-vestland"),
    ("30.09.2022", "Prosjektledelse", "Lønn PL Q3", 175_000, MUN),
    ("31.12.2022", "Prosjektledelse", "Lønn PL Q4", 175_000, MUN),
    ("15.10.2022", "Utstyr", "Nettbrett", 420_000, MUN),
    ("31.03.2023", "Prosjektledelse", "Lønn PL Q1", 125_000, MUN),
    ("30.06.2023", "Prosjektledelse", "Lønn PL Q2", 125_000, MUN),
    ("30.09.2023", "Utstyr", "Lisenser", 200_000, MUN),
]


def _money(value: int) -> str:
    return f"{value:,}".replace(",", " ") + " kr"


def _write_project(config: Path, project_id: str, municipal: str = "", blank_municipal_source: bool = False) -> None:
    (config / "projects" / f"{project_id}.yaml").write_text(
        PROJECT.format(id=project_id, municipal=municipal), encoding="utf-8")
    data = config / "data" / project_id
    data.mkdir(parents=True, exist_ok=True)
    (data / "milepaeler.csv").write_text("Milepæl;Status;Faktisk dato;Kommentar\n1;ferdig;30.06.2021;\n"
                                         "2;ferdig;30.06.2022;\n3;pågår;;\n", encoding="utf-8")
    rows = ["Dato;År;Kategori;Beskrivelse;Beløp;Finansieringskilde;Kreditnota"]
    for day, category, text, amount, source in LEDGER:
        source = "" if blank_municipal_source and source == MUN else source
        rows.append(f"{day};{day[-4:]};{category};{text};{amount:,};{source};".replace(",", " "))
    (data / "regnskap.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (data / "notater.yaml").write_text("status:\n  - as_of: 2022-02-01\n    summary: Prosjektet går etter plan.\n"
                                       "    quality: {rag: green, comment: OK.}\n    benefits: {rag: green, comment: OK.}\n"
                                       "evaluation:\n  summary: Gjennomført.\n  conclusion: Bra.\n", encoding="utf-8")


@pytest.fixture
def vestfjell(scratch_config, tmp_path, monkeypatch):
    (scratch_config / "councils" / "vestfjell.yaml").write_text(COUNCIL, encoding="utf-8")
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    return scratch_config


def _text(path: Path) -> str:
    return " ".join(all_text(path).replace(NBSP, " ").split())


def _split_by_hand(total: int, population: dict[str, int], equal_percent: int = 30) -> dict[str, int]:
    """The README's rule: each one's exact share (equal part + part by population), rounded once by
    largest remainder (ties to the larger population)."""
    names = list(population)
    weight_sum = sum(population.values())
    exact = {n: Fraction(total * equal_percent, 100 * len(names))
             + Fraction(total * (100 - equal_percent), 100) * Fraction(population[n], weight_sum) for n in names}
    out = {n: math.floor(x) for n, x in exact.items()}
    for n in sorted(names, key=lambda n: (-(exact[n] - out[n]), -population[n]))[:total - sum(out.values())]:
        out[n] += 1
    return out


# --- finding 3a: a blank Finansieringskilde on the municipalities' rows ---------------------------

def test_blank_source_on_municipal_rows_settles_no_figure_as_fact(vestfjell, tmp_path, capsys):
    _write_project(vestfjell, "fjell-digi", ", amounts: {2021: 700000, 2022: 900000, 2023: 800000}",
                   blank_municipal_source=True)
    planned = 700_000 + 900_000 + 800_000                 # 2 400 000, the plan's municipal line
    loose = sum(a for *_, a, s in LEDGER if s == MUN)     # 1 870 000 kr booked with no source
    spent = sum(a for *_, a, _ in LEDGER)                 # 2 470 000 kr in the accounts
    assert (planned, loose, spent) == (2_400_000, 1_870_000, 2_470_000)

    assert main(["validate", "--config", str(vestfjell)]) == 1
    err = capsys.readouterr().out
    line = next(l for l in err.splitlines() if "Finansieringskilde" in l and "fjell-digi" in l)
    assert line.startswith("ERROR") and "regnskap.csv:4" in line and "9 ledger rows (1 870 000 kr)" in line.replace(NBSP, " ")
    assert "settled with the municipalities cannot be computed" in line

    port = free_port()
    use_smtp(vestfjell, port)
    with SmtpServer(port=port) as server:
        # the report has an error finding: it goes out only with a reason
        assert main(["--config", str(vestfjell), "send", "final", "fjell-digi", "--yes", "--transport", "smtp"]) == 1
        assert not server.recorder.messages()
        assert main(["--config", str(vestfjell), "send", "final", "fjell-digi", "--yes", "--transport", "smtp",
                     "--override-reason", "radene føres etter revisjon"]) == 0
        mails = server.recorder.messages()
    assert mails
    for mail in mails:
        body = " ".join(mail.get_body(("plain",)).get_content().replace(NBSP, " ").split())
        # before: "Ubrukte midler: 0 kr" and nothing of the municipalities
        assert "Ubrukte midler: 0 kr" not in body, body
        assert ("Avregning med kommunene: ikke fastslått, 9 rader uten finansieringskilde (1 870 000 kr); etter "
                f"regnskapet mellom {_money(planned - loose)} og {_money(planned)} tilbake til kommunene") in body, body
    text = _text(tmp_path / "outputs/vestfjell/fjell-digi/final-2023.docx")
    # before: "brukt 0 kr. Det ubrukte beløpet, 2 400 000 kr, avregnes med kommunene"
    assert f"{_money(planned)} avregnes" not in text and "Det ubrukte beløpet, 2 400 000 kr" not in text
    assert "Avregnes med kommunene" not in text
    assert ("9 rader i regnskapet (1 870 000 kr) har ingen finansieringskilde, så det er ikke fastslått hva som "
            "avregnes med kommunene: etter regnskapet er det mellom "
            f"{_money(planned - loose)} og {_money(planned)} tilbake til kommunene.") in text, text
    assert "Ikke fastslått" in text
    # the range's low end is the accounts' own unused money: 3 000 000 − 2 470 000
    assert planned - loose == 3_000_000 - spent == 530_000


# --- finding 2: a municipal line with no amounts, a budget change after years invoiced ----------

def _send(config: Path, *args: str) -> None:
    assert main(["--config", str(config), "send", *args, "--yes", "--transport", "smtp"]) == 0


def test_years_invoiced_stay_as_invoiced_and_the_final_report_settles_what_was_invoiced(vestfjell, tmp_path):
    _write_project(vestfjell, "fjell-rest")
    port = free_port()
    use_smtp(vestfjell, port)
    project = vestfjell / "projects/fjell-rest.yaml"
    out = tmp_path / "outputs/vestfjell/fjell-rest"
    with SmtpServer(port=port):
        _send(vestfjell, "costsplit", "fjell-rest", "--year", "2021", "--as-of", "2021-02-23")
        # costs 1 000 000 / 1 200 000 / 800 000, external 600 000: the rest, 2 400 000, by cost
        first = 2_400_000 * 1_000_000 // 3_000_000
        assert f"2021: {_money(first)}" in _text(out / "costsplit-2021.docx")
        replace_in(project, "{category: Utstyr, amounts: {2021: 400000, 2022: 500000, 2023: 300000}}",
                   "{category: Utstyr, amounts: {2021: 400000, 2022: 500000, 2023: 900000}}")
        # now costs 3 600 000, the rest 3 000 000: 2021 stays 800 000, the 2 200 000 left goes
        # to 2022 and 2023 by their costs 1 200 000 : 1 400 000 (largest remainder)
        left = 3_000_000 - first
        exact_2022 = Fraction(left * 1_200_000, 2_600_000)
        second = math.floor(exact_2022) + (exact_2022 - math.floor(exact_2022) > Fraction(1, 2))
        third = left - second
        assert (second, third) == (1_015_385, 1_184_615)
        _send(vestfjell, "costsplit", "fjell-rest", "--year", "2022", "--as-of", "2022-02-21")
        _send(vestfjell, "costsplit", "fjell-rest", "--year", "2023", "--as-of", "2023-02-20")
    text = _text(out / "costsplit-2023.docx")
    # before: "… 3 000 000 kr, fordelt på årene etter kostnadene; for 2023: 1 166 667 kr" (33 333 never invoiced)
    assert f"2023: {_money(third)}" in text, text
    assert ("2021 og 2022 er allerede fakturert etter kostnadsfordelingene som er sendt, med "
            f"{_money(first)} og {_money(second)}; resten, {_money(third)}, fordeles på 2023 etter kostnadene. "
            f"For 2023: {_money(third)}.") in text, text
    # the invoices add up to the municipalities' part
    assert first + second + third == 3_000_000

    main(["--config", str(vestfjell), "render", "final", "fjell-rest"])
    final = _text(out / "final-2023.docx")
    used = sum(a for *_, a, s in LEDGER if s == MUN)
    assert ("Kommunenes andel etter kostnadsfordelingene som er sendt "
            f"(2021: {_money(first)}, 2022: {_money(second)}, 2023: {_money(third)}): 3 000 000 kr, brukt "
            f"{_money(used)}. Det ubrukte beløpet, {_money(3_000_000 - used)}, avregnes") in final, final


def test_a_final_report_says_what_the_plan_wants_and_was_never_invoiced(vestfjell, tmp_path, capsys):
    """The tester's own sequence, with 2023 sent before the budget change: what was invoiced is
    settled, and the part of the plan never invoiced is said."""
    _write_project(vestfjell, "fjell-rest")
    port = free_port()
    use_smtp(vestfjell, port)
    out = tmp_path / "outputs/vestfjell/fjell-rest"
    with SmtpServer(port=port):
        for year, day in (("2021", "2021-02-23"), ("2022", "2022-02-21"), ("2023", "2023-02-20")):
            _send(vestfjell, "costsplit", "fjell-rest", "--year", year, "--as-of", day)
    # invoiced by costs 1 000 000 / 1 200 000 / 800 000 of the rest 2 400 000
    invoiced = [800_000, 960_000, 640_000]
    replace_in(vestfjell / "projects/fjell-rest.yaml", "{2021: 400000, 2022: 500000, 2023: 300000}",
               "{2021: 400000, 2022: 500000, 2023: 900000}")
    # validate says it before the final report does
    assert main(["validate", "--config", str(vestfjell)]) in (0, 1)
    said = " ".join(capsys.readouterr().out.replace(NBSP, " ").split())
    assert ("the cost splits sent for every year add up to 2 400 000 kr, the plan's municipal part is 3 000 000 kr: "
            "600 000 kr is never invoiced") in said, said
    main(["--config", str(vestfjell), "render", "final", "fjell-rest"])
    final = _text(out / "final-2023.docx")
    used = sum(a for *_, a, s in LEDGER if s == MUN)
    total = sum(invoiced)
    # before: "Kommunenes andel etter kostnadsfordelingen: 3 000 000 kr … 1 130 000 kr avregnes"
    assert (f"): {_money(total)}, brukt {_money(used)}. Finansieringsplanen setter kommunenes andel til "
            f"3 000 000 kr; {_money(3_000_000 - total)} av den er ikke fakturert og er ikke med i avregningen. "
            f"Det ubrukte beløpet, {_money(total - used)}, avregnes") in final, final


def test_a_plan_line_changed_after_its_year_was_invoiced_is_said_and_settled_as_invoiced(vestfjell, tmp_path,
                                                                                         capsys):
    _write_project(vestfjell, "fjell-digi", ", amounts: {2021: 700000, 2022: 900000, 2023: 800000}")
    port = free_port()
    use_smtp(vestfjell, port)
    with SmtpServer(port=port):
        _send(vestfjell, "costsplit", "fjell-digi", "--year", "2021", "--as-of", "2021-02-23")
    replace_in(vestfjell / "projects/fjell-digi.yaml", "{2021: 700000, 2022: 900000", "{2021: 750000, 2022: 900000")
    capsys.readouterr()
    main(["validate", "--config", str(vestfjell)])
    said = " ".join(capsys.readouterr().out.replace(NBSP, " ").split())
    assert (f"2021 was invoiced 700 000 kr (cost split 2021 version 1, sent {date.today():%d.%m.%Y}); the plan's "
            "municipal line now gives 750 000 kr") in said, said
    main(["--config", str(vestfjell), "render", "final", "fjell-digi"])
    final = _text(tmp_path / "outputs/vestfjell/fjell-digi/final-2023.docx")
    used = sum(a for *_, a, s in LEDGER if s == MUN)
    billed = 700_000 + 900_000 + 800_000
    # before: "Kommunenes andel etter kostnadsfordelingen: 2 450 000 kr … 580 000 kr avregnes"
    assert ("Kommunenes andel: 2 400 000 kr, etter kostnadsfordelingene som er sendt for 2021 (700 000 kr) og etter "
            "finansieringsplanen for 2022 (900 000 kr), 2023 (800 000 kr), der ingen kostnadsfordeling er registrert "
            f"sendt, brukt {_money(used)}. Finansieringsplanen setter kommunenes andel til 2 450 000 kr; 50 000 kr av "
            f"den er ikke fakturert og er ikke med i avregningen. Det ubrukte beløpet, {_money(billed - used)}, "
            "avregnes") in final, final


def test_the_demo_final_report_states_the_basis_of_its_settlement(config_dir, tmp_path, monkeypatch):
    """Nothing records a cost split sent: the report says its figure is the plan's, assumed invoiced
    (Haugaland: 412 000 + 1 123 000 kr), instead of "etter kostnadsfordelingen" as fact."""
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    main(["--config", str(config_dir), "render", "final", "haugaland-velferdsteknologi"])
    text = _text(tmp_path / "outputs/haugaland-vekst/haugaland-velferdsteknologi/final-2017.docx")
    assert ("Kommunenes andel etter finansieringsplanen: 1 535 000 kr (ingen kostnadsfordeling er registrert "
            "sendt, så det er lagt til grunn at planens beløp er fakturert), brukt") in text, text


# --- finding 6: a corrected cost split for a year already invoiced -------------------------------

def test_a_correction_of_an_invoiced_year_says_what_to_credit_or_add(vestfjell, tmp_path):
    _write_project(vestfjell, "fjell-digi", ", amounts: {2021: 700000, 2022: 900000, 2023: 800000}")
    port = free_port()
    use_smtp(vestfjell, port)
    send = ("costsplit", "fjell-digi", "--year", "2021", "--as-of", "2021-02-23")
    with SmtpServer(port=port) as server:
        _send(vestfjell, *send)
        first = len(server.recorder.messages())
        replace_in(vestfjell / "councils/vestfjell.yaml", "Berg, population: {2021: 12000",
                   "Berg, population: {2021: 12100")
        _send(vestfjell, *send)
        mails = server.recorder.messages()[first:]
    before = _split_by_hand(700_000, {"Åsen": 5000, "Berg": 12000, "Dal": 800})
    after = _split_by_hand(700_000, {"Åsen": 5000, "Berg": 12100, "Dal": 800})
    assert before == {"Åsen": 207_640, "Berg": 400_337, "Dal": 92_023}
    assert after == {"Åsen": 206_872, "Berg": 401_229, "Dal": 91_899}
    sent_day = date.today()
    from grantflow import fmt
    text = _text(tmp_path / "outputs/vestfjell/fjell-digi/costsplit-2021.docx")
    assert "versjon 2" in text.casefold()
    assert (f"2021 er allerede fakturert: kostnadsfordelingen 2021 (versjon 1, datert 23. februar 2021) ble sendt "
            f"{fmt.long_date(sent_day)}, og fakturadagen for 2021 er 1. mars 2021. Denne versjonen endrer andelene "
            "for 2021; det som er fakturert, rettes slik:").replace(NBSP, " ") in text, text
    for name in before:
        diff = after[name] - before[name]
        todo = f"krediteres {_money(-diff)}" if diff < 0 else f"faktureres {_money(diff)} i tillegg"
        assert f"{name}: fakturert {_money(before[name])}, ny andel {_money(after[name])}, {todo}." in text
    assert mails
    for mail in mails:
        body = " ".join(mail.get_body(("plain",)).get_content().replace(NBSP, " ").split())
        assert "Fakturert før (2021): versjon 1 av kostnadsfordelingen 2021" in body, body
        assert "Rettes 2021, Åsen: krediteres 768 kr (207 640 kr → 206 872 kr)" in body, body
        assert "Rettes 2021, Berg: faktureres 892 kr i tillegg (400 337 kr → 401 229 kr)" in body, body
        assert "Rettes 2021, Dal: krediteres 124 kr (92 023 kr → 91 899 kr)" in body, body
    # made again, version 2 is version 2 (its text compares with version 1, as it went out)
    assert main(["--config", str(vestfjell), "render", "costsplit", "fjell-digi", "--year", "2021",
                 "--as-of", "2021-02-23"]) == 0
    assert _text(tmp_path / "outputs/vestfjell/fjell-digi/costsplit-2021.docx") == text
