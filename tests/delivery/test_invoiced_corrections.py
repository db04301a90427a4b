"""A cost split's correction is against what the municipalities were last invoiced for the year,
once (a member municipality's finance officer, session 24): a correction back to an amount
invoiced earlier announced no debit, and the all-years split repeated a correction the year's own
split had made. Vestfjell (Åsen, Berg, Dal) from test_municipal_refund, sent over a real SMTP
server; every share is computed by hand here (largest remainder, README)."""

from __future__ import annotations

import json
from datetime import date

from grantflow import fmt
from grantflow.cli import main

from ..conftest import replace_in
from ..documents.test_municipal_refund import (LEDGER, MUN, NBSP, _money, _send, _split_by_hand, _text,
                                               _write_project, vestfjell)  # noqa: F401 (fixture)
from ..smtp_server import SmtpServer, free_port, use_smtp

POPULATION_2021 = {"Åsen": 5000, "Berg": 12000, "Dal": 800}
PLAN = ", amounts: {2021: 700000, 2022: 900000, 2023: 800000}"


def _body(mail) -> str:
    return " ".join(mail.get_body(("plain",)).get_content().replace(NBSP, " ").split())


def _there_and_back(vestfjell, server):
    """2021 sent on 700 000 kr, corrected to 600 000 kr, then back to 700 000 kr: the mails of the
    third."""
    project = vestfjell / "projects/fjell-digi.yaml"
    _send(vestfjell, "costsplit", "fjell-digi", "--year", "2021", "--as-of", "2021-02-23")
    # the plan's municipal line and its equipment budget for 2021, 100 000 kr less (balanced)
    replace_in(project, "{2021: 700000, 2022: 900000", "{2021: 600000, 2022: 900000")
    replace_in(project, "{2021: 400000, 2022: 500000, 2023: 300000}", "{2021: 300000, 2022: 500000, 2023: 300000}")
    _send(vestfjell, "costsplit", "fjell-digi", "--year", "2021", "--as-of", "2021-04-15")
    replace_in(project, "{2021: 600000, 2022: 900000", "{2021: 700000, 2022: 900000")
    replace_in(project, "{2021: 300000, 2022: 500000, 2023: 300000}", "{2021: 400000, 2022: 500000, 2023: 300000}")
    first = len(server.recorder.messages())
    _send(vestfjell, "costsplit", "fjell-digi", "--year", "2021", "--as-of", "2021-05-20")
    return server.recorder.messages()[first:]


def test_a_correction_back_to_an_earlier_amount_adds_what_the_last_one_credited(vestfjell, tmp_path):
    _write_project(vestfjell, "fjell-digi", PLAN)
    port = free_port()
    use_smtp(vestfjell, port)
    with SmtpServer(port=port) as server:
        mails = _there_and_back(vestfjell, server)
    high, low = _split_by_hand(700_000, POPULATION_2021), _split_by_hand(600_000, POPULATION_2021)
    assert high == {"Åsen": 207_640, "Berg": 400_337, "Dal": 92_023}
    assert low == {"Åsen": 177_978, "Berg": 343_146, "Dal": 78_876}
    text = _text(tmp_path / "outputs/vestfjell/fjell-digi/costsplit-2021.docx")
    assert "versjon 3" in text.casefold()
    # before: no correction paragraph at all (v3 equals v1, so "nothing to correct")
    assert (f"2021 er allerede fakturert: kostnadsfordelingen 2021 (versjon 2, datert 15. april 2021) ble sendt "
            f"{fmt.long_date(date.today())}, og fakturadagen for 2021 er 1. mars 2021. Denne versjonen endrer "
            "andelene for 2021; det som er fakturert, rettes slik:").replace(NBSP, " ") in text, text
    for name in high:
        assert (f"{name}: fakturert {_money(low[name])}, ny andel {_money(high[name])}, faktureres "
                f"{_money(high[name] - low[name])} i tillegg.") in text, text
    assert mails
    for mail in mails:
        body = _body(mail)
        # before: "- Rettes 2021, Åsen: krediteres 29 662 kr (207 640 kr → 177 978 kr) → (ikke med)"
        for name in high:
            assert (f"Rettes 2021, {name}: faktureres {_money(high[name] - low[name])} i tillegg "
                    f"({_money(low[name])} → {_money(high[name])})") in body, body


def test_a_split_from_before_that_said_no_correction_leaves_the_invoice_as_it_was(vestfjell, tmp_path):
    """The tester's records: version 3 went out (made by the code before this fix) with no word of a
    correction; her municipalities were invoiced 600 000 kr for 2021, and that is what the final
    report settles and what a new split corrects."""
    _write_project(vestfjell, "fjell-digi", PLAN)
    port = free_port()
    use_smtp(vestfjell, port)
    folder = tmp_path / "outputs/vestfjell/fjell-digi"
    with SmtpServer(port=port) as server:
        _there_and_back(vestfjell, server)
        # version 3 as the code before wrote it: no correction figures, no "invoiced" in its snapshot
        path = next(p for p in folder.rglob("*.json") if "costsplit-2021" in p.name)
        record = json.loads(path.read_text(encoding="utf-8"))
        for version in record["versions"]:
            if version["version"] == 3:
                version["key_figures"] = {k: v for k, v in version["key_figures"].items()
                                          if not k.startswith(("Rettes", "Fakturert før"))}
                version["snapshot"].pop("invoiced", None)
        path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        main(["--config", str(vestfjell), "render", "final", "fjell-digi"])
        final = _text(folder / "final-2023.docx")
        # before: "… sendt for 2021 (700 000 kr) …", 100 000 kr settled that was never invoiced
        assert ("etter kostnadsfordelingene som er sendt for 2021 (600 000 kr) og etter finansieringsplanen for "
                "2022 (900 000 kr), 2023 (800 000 kr)") in final, final
        used = sum(a for *_, a, s in LEDGER if s == MUN)
        assert f"Det ubrukte beløpet, {_money(600_000 + 900_000 + 800_000 - used)}, avregnes" in final, final
    # the next split corrects 2021 against version 2, as invoiced: it adds what was credited
    assert main(["--config", str(vestfjell), "render", "costsplit", "fjell-digi", "--as-of", "2023-04-20"]) == 0
    text = _text(folder / "costsplit-2021-2023.docx")
    high, low = _split_by_hand(700_000, POPULATION_2021), _split_by_hand(600_000, POPULATION_2021)
    assert "2021 er allerede fakturert: kostnadsfordelingen 2021 (versjon 2, datert 15. april 2021)" in text, text
    for name in high:
        assert (f"{name}: fakturert {_money(low[name])}, ny andel {_money(high[name])}, faktureres "
                f"{_money(high[name] - low[name])} i tillegg.") in text, text


def test_the_all_years_split_does_not_repeat_a_correction_and_says_what_stays_invoiced(vestfjell, tmp_path):
    _write_project(vestfjell, "fjell-digi", PLAN)
    port = free_port()
    use_smtp(vestfjell, port)
    with SmtpServer(port=port) as server:
        _send(vestfjell, "costsplit", "fjell-digi", "--year", "2021", "--as-of", "2021-02-23")
        replace_in(vestfjell / "councils/vestfjell.yaml", "Berg, population: {2021: 12000",
                   "Berg, population: {2021: 12100")
        _send(vestfjell, "costsplit", "fjell-digi", "--year", "2021", "--as-of", "2021-04-15")
        corrected = _text(tmp_path / "outputs/vestfjell/fjell-digi/costsplit-2021.docx")
        _send(vestfjell, "costsplit", "fjell-digi", "--year", "2022", "--as-of", "2022-02-23")
        _send(vestfjell, "costsplit", "fjell-digi", "--year", "2023", "--as-of", "2023-02-23")
        first = len(server.recorder.messages())
        _send(vestfjell, "costsplit", "fjell-digi", "--as-of", "2023-04-20")
        mails = server.recorder.messages()[first:]
    sent = fmt.long_date(date.today()).replace(NBSP, " ")
    text = _text(tmp_path / "outputs/vestfjell/fjell-digi/costsplit-2021-2023.docx")
    # before: "2021 er allerede fakturert: kostnadsfordelingen 2021 (versjon 1, …) … Åsen: fakturert
    # 207 640 kr, ny andel 206 872 kr, krediteres 768 kr." again, and "Vestfjell regionråd fakturerer
    # kommunene i mars for hele året" in a split dated 20 April 2023
    assert (f"2021: allerede fakturert, uendret (kostnadsfordelingen 2021, versjon 2, datert 15. april 2021, "
            f"sendt {sent}).") in text, text
    assert (f"2022: allerede fakturert, uendret (kostnadsfordelingen 2022, versjon 1, datert 23. februar 2022, "
            f"sendt {sent}).") in text, text
    assert (f"2023: allerede fakturert, uendret (kostnadsfordelingen 2023, versjon 1, datert 23. februar 2023, "
            f"sendt {sent}).") in text, text
    assert "krediteres" not in text and "i tillegg" not in text, text
    assert "fakturerer kommunene i mars" not in text, text
    assert ("Alle årene er allerede fakturert med disse beløpene; denne kostnadsfordelingen gir ingen ny faktura."
            in text), text
    after = _split_by_hand(700_000, {"Åsen": 5000, "Berg": 12100, "Dal": 800})
    assert after == {"Åsen": 206_872, "Berg": 401_229, "Dal": 91_899}
    for share in after.values():
        assert _money(share)[:-3] in text, text         # 2021's table stands, with its shares
    assert mails
    for mail in mails:
        body = _body(mail)
        assert "Rettes" not in body, body
        assert "krediteres" not in body, body
    # 2021's own split made again after the all-years one went out: version 2 as it went out
    assert main(["--config", str(vestfjell), "render", "costsplit", "fjell-digi", "--year", "2021",
                 "--as-of", "2021-04-15"]) == 0
    assert _text(tmp_path / "outputs/vestfjell/fjell-digi/costsplit-2021.docx") == corrected


def test_a_years_split_after_the_all_years_one_invoiced_it_says_it_is_invoiced(vestfjell, tmp_path):
    _write_project(vestfjell, "fjell-digi", PLAN)
    port = free_port()
    use_smtp(vestfjell, port)
    with SmtpServer(port=port):
        _send(vestfjell, "costsplit", "fjell-digi", "--as-of", "2023-02-20")
    assert main(["--config", str(vestfjell), "render", "costsplit", "fjell-digi", "--year", "2022",
                 "--as-of", "2023-03-10"]) == 0
    text = _text(tmp_path / "outputs/vestfjell/fjell-digi/costsplit-2022.docx")
    # before: "Vestfjell regionråd fakturerer kommunene i mars for hele året", as if a new invoice
    assert (f"2022: allerede fakturert, uendret (kostnadsfordelingen 2021–2023, versjon 1, datert 20. februar 2023, "
            f"sendt {fmt.long_date(date.today()).replace(NBSP, ' ')}). 2022 er allerede fakturert med disse beløpene; "
            "denne kostnadsfordelingen gir ingen ny faktura.") in text, text
    assert "fakturerer kommunene i mars" not in text, text


def test_the_all_years_split_corrects_a_changed_year_once_with_the_councils_terms_and_no_day(vestfjell, tmp_path):
    _write_project(vestfjell, "fjell-digi", PLAN)
    port = free_port()
    use_smtp(vestfjell, port)
    with SmtpServer(port=port) as server:
        for year in ("2021", "2022", "2023"):
            _send(vestfjell, "costsplit", "fjell-digi", "--year", year, "--as-of", f"{year}-02-23")
        replace_in(vestfjell / "councils/vestfjell.yaml", "Berg, population: {2021: 12000",
                   "Berg, population: {2021: 12100")
        first = len(server.recorder.messages())
        _send(vestfjell, "costsplit", "fjell-digi", "--as-of", "2023-04-20")
        mails = server.recorder.messages()[first:]
    before = _split_by_hand(700_000, POPULATION_2021)
    after = _split_by_hand(700_000, {"Åsen": 5000, "Berg": 12100, "Dal": 800})
    text = _text(tmp_path / "outputs/vestfjell/fjell-digi/costsplit-2021-2023.docx")
    for name in before:
        diff = after[name] - before[name]
        todo = f"krediteres {_money(-diff)}" if diff < 0 else f"faktureres {_money(diff)} i tillegg"
        assert f"{name}: fakturert {_money(before[name])}, ny andel {_money(after[name])}, {todo}." in text, text
    assert "2022: allerede fakturert, uendret (kostnadsfordelingen 2022, versjon 1" in text, text
    # before: "Vestfjell regionråd fakturerer kommunene i mars for hele året" in a split of 20 April 2023
    assert "fakturerer kommunene i mars" not in text, text
    assert ("Vestfjell regionråd fakturerer det som faktureres i tillegg, med betalingsfrist 30 dager fra "
            "fakturadato, og krediterer det som krediteres.") in text, text
    assert mails
    for mail in mails:
        body = _body(mail)
        assert "Rettes 2021, Berg: faktureres 892 kr i tillegg (400 337 kr → 401 229 kr)" in body, body
        assert "Rettes 2022" not in body and "Rettes 2023" not in body, body


def test_a_split_of_invoiced_and_new_years_says_which_years_it_invoices(vestfjell, tmp_path):
    _write_project(vestfjell, "fjell-digi", PLAN)
    port = free_port()
    use_smtp(vestfjell, port)
    with SmtpServer(port=port):
        _send(vestfjell, "costsplit", "fjell-digi", "--year", "2021", "--as-of", "2021-02-23")
    replace_in(vestfjell / "councils/vestfjell.yaml", "Berg, population: {2021: 12000",
               "Berg, population: {2021: 12100")
    assert main(["--config", str(vestfjell), "render", "costsplit", "fjell-digi", "--as-of", "2023-02-20"]) == 0
    text = _text(tmp_path / "outputs/vestfjell/fjell-digi/costsplit-2021-2023.docx")
    before = _split_by_hand(700_000, POPULATION_2021)
    after = _split_by_hand(700_000, {"Åsen": 5000, "Berg": 12100, "Dal": 800})
    assert (f"Berg: fakturert {_money(before['Berg'])}, ny andel {_money(after['Berg'])}, faktureres "
            f"{_money(after['Berg'] - before['Berg'])} i tillegg.") in text, text
    # before: "Vestfjell regionråd fakturerer kommunene i mars for hele året", 2021 included
    assert ("Vestfjell regionråd fakturerer kommunene for 2022 og 2023 i mars for hele året, med betalingsfrist "
            "30 dager fra fakturadato. Vestfjell regionråd fakturerer det som faktureres i tillegg, med "
            "betalingsfrist 30 dager fra fakturadato, og krediterer det som krediteres. Fakturaen merkes: "
            "Prosjekt 77.") in text, text


def test_a_final_report_written_elsewhere_settles_the_splits_sent_from_the_outputs_folder(vestfjell, tmp_path):
    _write_project(vestfjell, "fjell-digi", PLAN)
    port = free_port()
    use_smtp(vestfjell, port)
    with SmtpServer(port=port):
        _send(vestfjell, "costsplit", "fjell-digi", "--year", "2021", "--as-of", "2021-02-23")
    replace_in(vestfjell / "projects/fjell-digi.yaml", "{2021: 700000, 2022: 900000", "{2021: 750000, 2022: 900000")
    replace_in(vestfjell / "projects/fjell-digi.yaml", "{2021: 400000, 2022: 500000, 2023: 300000}",
               "{2021: 450000, 2022: 500000, 2023: 300000}")
    assert main(["--config", str(vestfjell), "render", "final", "fjell-digi", "--out", str(tmp_path / "other")]) == 0
    final = _text(tmp_path / "other/vestfjell/fjell-digi/final-2023.docx")
    # before: "Kommunenes andel etter finansieringsplanen: 2 450 000 kr (ingen kostnadsfordeling er
    # registrert sendt, så det er lagt til grunn at planens beløp er fakturert)"
    assert ("Kommunenes andel: 2 400 000 kr, etter kostnadsfordelingene som er sendt for 2021 (700 000 kr) og etter "
            "finansieringsplanen for 2022 (900 000 kr), 2023 (800 000 kr)") in final, final
