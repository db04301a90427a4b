"""A version that has gone out, asked for again with another date only, and a re-send (an outside
tester as the county governor's case officer, session 23): the final report of a project sent
with --as-of 15.07.2021 and then sent again without --as-of (the project end, 30.06.2021) went out
as "Sluttrapport … (versjon 2, erstatter versjon 1)", dated before the version it replaced, with
only the date and the "Levert" date of the milestone delivered with the report changed; a
correction's --comment never reached the mail; and a --resend was a byte-identical "(versjon 3,
erstatter versjon 2)" with a new Message-ID, nothing saying it was a copy sent before."""

from __future__ import annotations

import pytest

from grantflow.cli import main

from ..conftest import replace_in
from ..docx_text import all_text
from ..smtp_server import SmtpServer, free_port, use_smtp

NG = "smart-velferdsregion-nord-gudbrandsdal"
NBSP = "\u00a0"


@pytest.fixture
def sending(clean, tmp_path, monkeypatch):
    port = free_port()
    use_smtp(clean, port)
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    with SmtpServer(port=port) as server:
        def send(*extra: str) -> int:
            return main(["--config", str(clean), "send", "final", NG, "--transport", "smtp", "--yes", *extra])
        send.server = server
        send.config = clean
        send.outputs = tmp_path / "outputs"
        yield send


def _body(mail) -> str:
    return mail.get_body(("plain",)).get_content().replace(NBSP, " ").replace("\r\n", "\n")


def _subjects(mails) -> list[str]:
    return [str(m["Subject"]) for m in mails]


def test_another_date_alone_sends_nothing_new_and_says_the_version_stays_as_it_went(sending, capsys):
    assert sending("--as-of", "2021-07-15") == 0
    first = sending.server.recorder.messages()
    assert first and all("versjon" not in s for s in _subjects(first)), _subjects(first)
    capsys.readouterr()
    # no --as-of: the project end, 30.06.2021; the data are unchanged: only the date (and milestone
    # 07's "Levert", delivered with the report and dated by it) would differ
    assert sending() == 0
    out, err = capsys.readouterr()
    assert len(sending.server.recorder.messages()) == len(first), \
        _subjects(sending.server.recorder.messages()[len(first):])
    lines = [line for line in (out + err).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "version 1" in lines[0] and "15.07.2021" in lines[0] and "--resend" in lines[0], lines
    assert "Traceback" not in err
    # the document is the version that went out, dated as it was made
    docx = sending.outputs / "nord-gudbrandsdal" / NG / "final-2021.docx"
    assert "Regionrådet i Nord-Gudbrandsdal · 15. juli 2021 · versjon 1" in all_text(docx).replace(NBSP, " ")
    # and the other way round: a later date alone
    assert sending("--as-of", "2021-08-02") == 0
    assert len(sending.server.recorder.messages()) == len(first)
    assert "15.07.2021" in capsys.readouterr().out


def test_a_version_dated_the_project_end_asked_for_a_later_day_stays_as_it_went(sending, capsys):
    """The project end (30.06.2021) is both the report's date and the end of the period it names:
    the later day stands where the report's date stood, the period still ends 30.06.2021."""
    assert sending() == 0
    count = len(sending.server.recorder.messages())
    capsys.readouterr()
    assert sending("--as-of", "2021-07-15") == 0
    assert len(sending.server.recorder.messages()) == count, _subjects(sending.server.recorder.messages()[count:])
    out = capsys.readouterr().out
    assert "version 1, dated 30.06.2021 as it went out" in out, out


def test_a_changed_report_dated_before_the_version_it_replaces_is_said(sending, capsys):
    assert sending("--as-of", "2021-07-15") == 0
    count = len(sending.server.recorder.messages())
    capsys.readouterr()
    notes = sending.config / "data" / NG / "notater.yaml"
    # a genuine change: a lesson learned is written more fully
    replace_in(notes, "Smittevernstiltak i 2020 krevde digitale kurs",
               "Smittevernstiltak i 2020 krevde digitale kurs og nye verktøy")
    assert sending("--as-of", "2021-07-01") == 0
    out, err = capsys.readouterr()
    new = sending.server.recorder.messages()[count:]
    assert new and all("(versjon 2, erstatter versjon 1)" in s for s in _subjects(new)), _subjects(new)
    (warning,) = [line for line in err.splitlines() if "before" in line]
    assert "01.07.2021" in warning and "15.07.2021" in warning and "version 1" in warning, warning
    for mail in new:
        assert ("Merk: versjon 2 er datert 1. juli 2021, før versjon 1 (datert 15. juli 2021), som den erstatter."
                in _body(mail)), _body(mail)


def test_the_mail_of_a_text_correction_carries_the_secretariats_comment(sending, capsys):
    assert sending("--as-of", "2021-07-15") == 0
    count = len(sending.server.recorder.messages())
    replace_in(sending.config / "data" / NG / "notater.yaml", "Smittevernstiltak i 2020 krevde digitale kurs",
               "Smittevernstiltak i 2020 krevde digitale kurs og nye verktøy")
    # user text, kept as text in both parts of the mail
    comment = "Erfaring <b>2</b> er utdypet i avsnitt 6 & 7."
    assert sending("--as-of", "2021-07-15", "--comment", comment) == 0
    new = sending.server.recorder.messages()[count:]
    assert len(new) == count and all("(versjon 2, erstatter versjon 1)" in s for s in _subjects(new)), _subjects(new)
    for mail in new:
        body = _body(mail)
        assert ("Bruk versjon 2 og se bort fra den forrige.\n\n"
                "Sekretariatets kommentar til den nye versjonen: Erfaring <b>2</b> er utdypet i avsnitt 6 & 7.\n"
                in body), body
        html_part = mail.get_body(("html",)).get_content()
        assert "Erfaring &lt;b&gt;2&lt;/b&gt; er utdypet i avsnitt 6 &amp; 7." in html_part, html_part
        assert "<b>2</b>" not in html_part


def test_a_resend_says_it_is_a_copy_of_a_version_sent_before(sending, capsys):
    from datetime import date

    from grantflow import fmt

    assert sending("--as-of", "2021-07-15") == 0
    replace_in(sending.config / "data" / NG / "notater.yaml", "Smittevernstiltak i 2020 krevde digitale kurs",
               "Smittevernstiltak i 2020 krevde digitale kurs og nye verktøy")
    assert sending("--as-of", "2021-07-15") == 0
    before = sending.server.recorder.messages()
    (governor,) = {a for _, rcpts, _ in sending.server.recorder.arrived for a in rcpts if "fylkesmannen" in a}
    assert sending("--as-of", "2021-07-15", "--resend", "--recipient", governor) == 0
    (mail,) = sending.server.recorder.messages()[len(before):]
    today = fmt.long_date(date.today()).replace(NBSP, " ")      # both versions went out today
    subject = str(mail["Subject"])
    assert subject == (f"Sluttrapport: Smart velferdsregion Nord-Gudbrandsdal – 2021 "
                       f"(ny utsending av versjon 2, sendt første gang {today}) – Deres ref. 2019/1234 (eksempel)"), \
        subject     # the governor's own case number last (tests/delivery/test_case_reference.py)
    assert "erstatter" not in subject
    body = _body(mail)
    assert (f"Dette er en ny utsending av versjon 2, som ble sendt deg første gang {today}; "
            "det er ikke en ny versjon.") in body, body
    assert "Bruk versjon 2 og se bort fra den forrige" not in body
    # the archive can tie it to the copy it has: the first mail of version 2 to the governor
    (first,) = [m for m in before if governor in str(m["To"]) and "versjon 2" in str(m["Subject"])]
    assert first["Message-ID"] in str(mail["References"]), (mail["References"], first["Message-ID"])
    assert mail["Message-ID"] != first["Message-ID"]
