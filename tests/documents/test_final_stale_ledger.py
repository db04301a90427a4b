"""A final report from an out-of-date ledger export says so where its figures are. The demo's three
final reports stated amounts to repay ("Ubrukt beløp, 79 739,50 kr, tilbakebetales") and to settle
with the municipalities (670 500 kr) from ledgers ending 184 to 456 days before the project's end,
with the warning only in the .json findings; `grantflow validate` said nothing, and the mail to the
county governor neither (found by the county governor's case officer). Each date and day count here
is read from the data files, not from grantflow."""

from __future__ import annotations

import csv
from datetime import date, datetime
from email import message_from_bytes, policy

import yaml
from openpyxl import load_workbook

from grantflow.cli import main
from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import CONFIG
from ..docx_text import paragraphs

NB = "\u00a0"
HAUG = "haugaland-velferdsteknologi"
ERP = "kongsbergregionen-erp"
MONTHS = ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
          "november", "desember"]


def _long(day: date) -> str:
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


def _end(project: str, config=CONFIG) -> date:
    plan = yaml.safe_load((config / "projects" / f"{project}.yaml").read_text(encoding="utf-8"))
    return plan["period"]["end"]


def _haug_rows(config=CONFIG) -> list[tuple[int, date]]:
    """(line in the file, date) of each ledger row."""
    with open(config / "data" / HAUG / "regnskap.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    return [(n, datetime.strptime(r["Dato"], "%d.%m.%Y").date()) for n, r in enumerate(rows, start=2)]


def _erp_last() -> date:
    sheet = load_workbook(CONFIG / "data" / ERP / "regnskap.xlsx", read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    at = [str(h).strip() for h in rows[0]].index("Dato")
    days = [r[at] for r in rows[1:] if r[at] is not None]
    return max(d.date() if isinstance(d, datetime) else datetime.strptime(str(d), "%d.%m.%Y").date() for d in days)


def _sections(docx) -> tuple[list[str], list[str]]:
    """The paragraphs of "Tilskudd og ubrukte midler" (section 1) and of section 6 (the accounts)."""
    text = [p.replace(NB, " ") for p in paragraphs(docx)]   # dates and amounts keep together by no-break spaces
    first = text[text.index("Tilskudd og ubrukte midler") + 1:text.index("2. Mål og målrealisering")]
    sixth = text[text.index("6. Regnskap og finansiering") + 1:text.index("7. Resultater")]
    return first, sixth


def _sentence(last: date, end: date, unused: bool = True) -> str:
    days = (end - last).days
    return (f"Regnskapet har siste postering {_long(last)}, {days} dager før prosjektslutt {_long(end)}: "
            "er eksporten gammel, mangler sluttregnskapet kostnadene etter denne datoen"
            + (", og de ubrukte beløpene er for høye." if unused else "."))


def test_the_final_report_says_beside_the_amounts_to_repay_that_the_ledger_ends_long_before_the_end(tmp_path):
    end, last = _end(HAUG), max(day for _, day in _haug_rows())
    assert (last, (end - last).days) == (date(2016, 10, 31), 324)
    made = produce(open_register(CONFIG), "final", HAUG, out=tmp_path)
    first, sixth = _sections(made.docx)
    said = _sentence(last, end)
    # right after the amounts it makes too high, and at the head of the accounts
    assert "Ubrukt beløp, 79 739,50 kr, tilbakebetales" in " ".join(first)
    assert first[-1] == said
    assert said in sixth and sixth.index(said) < sixth.index("Regnskap mot budsjett (i kr)")


def test_the_erp_final_report_says_it_beside_the_municipalities_settlement(tmp_path):
    end, last = _end(ERP), _erp_last()
    assert (end - last).days == 184
    made = produce(open_register(CONFIG), "final", ERP, out=tmp_path)
    first, sixth = _sections(made.docx)
    assert "avregnes med kommunene" in first[-2]
    assert first[-1] == _sentence(last, end) and _sentence(last, end) in sixth


def test_a_ledger_exported_after_the_end_makes_no_such_sentence(scratch_config, tmp_path):
    """Quiet last months with a row after the end (the export was made later): no old export."""
    ledger = scratch_config / "data" / HAUG / "regnskap.csv"
    with open(ledger, "a", encoding="utf-8") as fh:
        fh.write("15.10.2017;2017;Prosjektkostnader;Sluttseminar;1 000,00;hv-fond;\n")
    made = produce(open_register(scratch_config), "final", HAUG, out=tmp_path)
    first, sixth = _sections(made.docx)
    assert not [p for p in first + sixth if "siste postering" in p]
    assert not [f for f in made.findings if "last row is dated" in str(f)]


def test_the_mail_to_the_county_governor_says_it_among_the_key_figures(tmp_path, monkeypatch):
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    assert main(["--config", str(CONFIG), "send", "final", HAUG, "--yes", "--out", str(tmp_path / "o")]) == 0
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default)
             for p in (tmp_path / "outputs" / "outbox").glob("*.eml")]
    (governor,) = [m for m in mails if m["To"].addresses[0].addr_spec == "fmropost@fylkesmannen.example.no"]
    body = governor.get_body(("plain",)).get_content().replace(NB, " ")
    end, last = _end(HAUG), max(day for _, day in _haug_rows())
    assert (f"- Regnskapets siste postering: {_long(last)}, {(end - last).days} dager før prosjektslutt: er "
            "eksporten gammel, mangler kostnadene etter denne datoen, og de ubrukte beløpene er for høye") in body


def test_validate_names_the_ledgers_last_row_of_an_ended_project(capsys):
    main(["--config", str(CONFIG), "validate"])         # exit 1: the demo's data have errors of their own
    out = capsys.readouterr().out.splitlines()
    rows = _haug_rows()
    last = max(day for _, day in rows)
    line = max(n for n, day in rows if day == last)
    end = _end(HAUG)
    expected = (f"WARNING config/data/{HAUG}/regnskap.csv:{line} Dato: the ledger's last row is dated "
                f"{last:%d.%m.%Y}, {(end - last).days} days before the project's end {end:%d.%m.%Y}: if the export "
                "is old, the final report's accounts lack the last months' costs and its unused money to repay or "
                "settle is too high (the report says so); export the ledger again before making and sending the "
                "final report")
    assert expected in out
    # and the ERP's xlsx ledger, 184 days short
    assert [l for l in out if l.startswith(f"WARNING config/data/{ERP}/regnskap.xlsx:")
            and f"{(_end(ERP) - _erp_last()).days} days before the project's end" in l]


SIGNED = "Regnskapet for prosjektet er kontrollert og stemmer med kommunens/virksomhetens regnskap."


def _signature(docx) -> list[str]:
    """The paragraphs of section 10, where the finance officer and the owner sign."""
    text = [p.replace(NB, " ") for p in paragraphs(docx)]
    return text[text.index("10. Bekreftelse og underskrift") + 1:]


def test_the_signature_confirms_the_accounts_only_as_far_as_the_ledger_goes(tmp_path):
    """Haugaland's final report said "Regnskapet for prosjektet er kontrollert og stemmer med
    kommunens/virksomhetens regnskap." above the finance officer's signature, while section 1 and 6
    said the ledger ends 324 days before the project's end and may lack those costs: the signature
    confirmed accounts the same report doubts (found by the county governor's case officer)."""
    last = max(day for _, day in _haug_rows())
    made = produce(open_register(CONFIG), "final", HAUG, out=tmp_path)
    signed = _signature(made.docx)
    assert SIGNED not in signed
    assert signed[0] == ("Regnskapet i rapporten er kontrollert og stemmer med kommunens/virksomhetens regnskap "
                         f"til og med siste postering {_long(last)}; kostnader ført etter denne datoen er ikke med.")
    assert [p for p in signed if p][1].startswith("Sted og dato:")     # the finance officer signs under it


def test_a_fresh_ledger_is_signed_as_checked_and_correct(scratch_config, tmp_path):
    ledger = scratch_config / "data" / HAUG / "regnskap.csv"
    with open(ledger, "a", encoding="utf-8") as fh:
        fh.write("15.10.2017;2017;Prosjektkostnader;Sluttseminar;1 000,00;hv-fond;\n")
    made = produce(open_register(scratch_config), "final", HAUG, out=tmp_path)
    assert _signature(made.docx)[0] == SIGNED
