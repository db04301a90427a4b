"""A deadline that passes unmet is told the day it passes, to the right people (found by an
outside tester running the watch for a year with ``as_of`` and a real ``grantflow serve``)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from flows.deadline_watch import deadline_watch
from flows.documents import DeliveryOptions
from grantflow.delivery.ledger import SentLedger

from ..conftest import replace_in
from ..delivery.test_concurrent_send import smtp_config
from ..smtp_server import SmtpServer, free_port

SECRETARIAT = "post@nord-gudbrandsdal.example.no"
APPROVER = "godkjenner@nord-gudbrandsdal.example.no"
KEY, DOCUMENT = "usage:nord-gudbrandsdal:2020-01-15", "nord-gudbrandsdal/-/usage-2019"


@pytest.fixture
def on_server(isolated, scratch_config, monkeypatch):
    """The demo config on our SMTP server, without status cycles, with an approver of its own
    named in the config; the watch counts as a deployment run (Prefect's mock of
    prefect.runtime.deployment)."""
    port = free_port()
    smtp_config(scratch_config, port)
    replace_in(scratch_config / "grantflow.yaml", "start_days: 5", "start_days: 0")
    replace_in(scratch_config / "grantflow.yaml", "  approval: {application: true,",
               f"  approver_email: {APPROVER}\n  approver_name: Kari Godkjenner\n  approval: {{application: true,")
    monkeypatch.setenv("GRANTFLOW_CONFIG", str(scratch_config))
    monkeypatch.setenv("PREFECT__RUNTIME__DEPLOYMENT__ID", "00000000-0000-0000-0000-00000000d3f2")
    return scratch_config, port


def watch(config, day):
    options = DeliveryOptions(config=str(config), transport="smtp", approved=True, override_reason="test")
    return deadline_watch(as_of=day, options=options.signed("deadline_watch", {"as_of": day}))


def waiting_usage_report(isolated, monkeypatch) -> str:
    """Nord-Gudbrandsdal's usage report to the county governor (deadline 15.1.2020), triggered by the
    watch on 2.1.2020 and waiting for the approver since (a Suspended run, its request in the ledger)."""
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.states import Suspended

    import grantflow.delivery.ledger as ledger_module

    @flow(name="grant_usage_report")
    def waiting():  # pragma: no cover - never run: stands for the triggered run waiting for the approver
        pass

    with get_client(sync_client=True) as client:
        run = client.create_flow_run(waiting, state=Suspended(timeout_seconds=86400))
    with monkeypatch.context() as asked:
        asked.setattr(ledger_module, "_now", lambda: datetime(2020, 1, 2, 8, 0, tzinfo=timezone.utc))
        ledger = SentLedger(f"sqlite:///{isolated / 'sent.db'}")
        try:
            ledger.watch_record(KEY, "triggered", str(run.id))
            ledger.approval_requested(DOCUMENT, 1, str(run.id), APPROVER, "abc")
        finally:
            ledger.close()
    return str(run.id)


def to(mails, address, start):
    return [m for m in mails if m["Subject"].startswith(start) and address in {a.addr_spec for a in m["To"].addresses}]


def test_a_document_waiting_for_approval_on_its_deadline_is_told_that_day_once(isolated, on_server, monkeypatch):
    """The usage report waits for the approver from 2.1.2020; nobody answers. The secretariat heard
    nothing until the morning after the watch's catch-up for it ended (30.1), two weeks after the
    deadline. Now on the deadline (15.1) the secretariat is told it has not gone and why (waiting
    for approval by whom since when), and the approver that the deadline is today; once each."""
    config, port = on_server
    waiting_usage_report(isolated, monkeypatch)
    with SmtpServer(port=port) as server:
        before = watch(config, date(2020, 1, 14))
        assert to(server.recorder.messages(), SECRETARIAT, "Fristen er") == [], before
        on_the_day = watch(config, date(2020, 1, 15))
        watch(config, date(2020, 1, 16))
        watch(config, date(2020, 1, 20))
        mails = server.recorder.messages()
    assert on_the_day["overdue"] == [KEY], on_the_day
    (notice,) = to(mails, SECRETARIAT, "Fristen er")
    assert notice["Subject"] == ("Fristen er i dag, ikke sendt: Rapportering om bruk av skjønnsmidler per "
                                 "31.12.2019 (Fylkesmannen i Innlandet (skjønnsmidler))")
    body = " ".join(notice.get_body(("plain",)).get_content().split())
    assert ("Rapportering om bruk av skjønnsmidler: Regionrådet i Nord-Gudbrandsdal (2019) er ikke sendt, og "
            "fristen til Fylkesmannen i Innlandet (skjønnsmidler) er 15. januar 2020 (i dag).") in body, body
    assert ("Den skulle sendes 2. januar 2020, men har ventet på godkjenning fra Kari Godkjenner "
            f"({APPROVER}) siden 2. januar 2020.") in body, body
    (told,) = to(mails, APPROVER, "Fristen er")
    assert told["Subject"] == ("Fristen er i dag: Rapportering om bruk av skjønnsmidler: Regionrådet i "
                               "Nord-Gudbrandsdal (2019) venter på din godkjenning")
    text = " ".join(told.get_body(("plain",)).get_content().split())
    assert text.startswith("Hei Kari Godkjenner,"), text
    assert "fristen til Fylkesmannen i Innlandet (skjønnsmidler) er 15. januar 2020 (i dag). Den er ikke sendt." \
        in text, text
    assert "fminpost@fylkesmannen.example.no" not in {a.addr_spec for m in mails for a in m["To"].addresses}


def test_the_approvers_reminder_names_the_document_its_deadline_and_the_approver(isolated, on_server, monkeypatch):
    """The reminder read "Hei godkjenner@…, nord-gudbrandsdal/-/usage-2019 versjon 1 har ventet på
    godkjenning siden …": an internal key, no funder, no deadline, the address as a name."""
    config, port = on_server
    waiting_usage_report(isolated, monkeypatch)
    with SmtpServer(port=port) as server:
        watch(config, date(2020, 1, 7))             # 3 working days after the request of 2.1.2020
        mails = server.recorder.messages()
    (reminder,) = to(mails, APPROVER, "Påminnelse: venter på godkjenning")
    assert reminder["Subject"] == ("Påminnelse: venter på godkjenning – Rapportering om bruk av skjønnsmidler: "
                                   "Regionrådet i Nord-Gudbrandsdal (2019)")
    text = " ".join(reminder.get_body(("plain",)).get_content().split())
    assert text.startswith("Hei Kari Godkjenner,"), text
    assert ("Rapportering om bruk av skjønnsmidler: Regionrådet i Nord-Gudbrandsdal (2019) (versjon 1) har ventet "
            "på din godkjenning siden 02.01.2020.") in text, text
    assert "fristen til Fylkesmannen i Innlandet (skjønnsmidler) er 15. januar 2020" in text, text
    assert DOCUMENT not in text, text


def test_other_deadlines_that_passed_while_the_watch_was_down_are_told_once(isolated, scratch_config):
    """Three of the county governor's ``other`` deadlines (reminded only, no document): 20.11.2019,
    24.12.2019 and 31.12.2019. The watch runs on 19.11.2019 (the 20.11 reminder goes), then not until
    6.1.2020: the two December deadlines passed with no reminder and nobody was told. Now the
    secretariat hears of each once (not of 20.11, which was reminded); the next morning nothing new."""
    port = free_port()
    smtp_config(scratch_config, port)
    replace_in(scratch_config / "projects/smart-velferdsregion-nord-gudbrandsdal.yaml",
               '      - {kind: final, date: 2022-02-01, description: Sluttrapport}\n',
               '      - {kind: final, date: 2022-02-01, description: Sluttrapport}\n'
               '      - {kind: other, date: 2019-11-20, description: Innspill til budsjett}\n'
               '      - {kind: other, date: 2019-12-24, description: Frist på julaften}\n'
               '      - {kind: other, date: 2019-12-31, description: Frist på nyttårsaften}\n')
    options = DeliveryOptions(config=str(scratch_config), transport="smtp")
    with SmtpServer(port=port) as server:
        deadline_watch(as_of=date(2019, 11, 19), options=options)
        reminded = [m["Subject"] for m in server.recorder.messages() if "Innspill til budsjett" in m["Subject"]]
        assert reminded == ["Frist om 1 virkedag: Innspill til budsjett – Smart velferdsregion Nord-Gudbrandsdal"]
        back = deadline_watch(as_of=date(2020, 1, 6), options=options)
        deadline_watch(as_of=date(2020, 1, 7), options=options)
        mails = server.recorder.messages()
    told = to(mails, SECRETARIAT, "Frist passert uten påminnelse")
    assert sorted(m["Subject"] for m in told) == [
        "Frist passert uten påminnelse: Frist på julaften – Smart velferdsregion Nord-Gudbrandsdal "
        "(Fylkesmannen i Innlandet (skjønnsmidler))",
        "Frist passert uten påminnelse: Frist på nyttårsaften – Smart velferdsregion Nord-Gudbrandsdal "
        "(Fylkesmannen i Innlandet (skjønnsmidler))"], [m["Subject"] for m in mails]
    # julaften and nyttårsaften are closed days (closed_days): each deadline moved to the day before
    assert back["passed"] == ["other:smart-velferdsregion-nord-gudbrandsdal:2019-12-23",
                              "other:smart-velferdsregion-nord-gudbrandsdal:2019-12-30"], back
    body = " ".join(sorted(told, key=lambda m: m["Subject"])[0].get_body(("plain",)).get_content().split())
    assert ("Fristen «Frist på julaften» for Smart velferdsregion Nord-Gudbrandsdal passerte mens fristvakten ikke "
            "kjørte (fristen til Fylkesmannen i Innlandet (skjønnsmidler) var 23. desember 2019), og ingen fikk "
            "påminnelse om den") in body, body
    assert "Fristen 24. desember 2019 er julaften; den er flyttet til 23. desember 2019." in body, body
    assert "Fristvakten kjørte sist 19. november 2019 og nå igjen 6. januar 2020." in body, body


def test_a_catch_up_status_report_that_goes_late_is_told_to_the_secretariat_with_the_days(isolated, scratch_config):
    """Haugaland's status report is to go on Friday 7.10.2016 (meeting 14.10). The watch runs on
    16.9.2016 and then not until Tuesday 11.10.2016: the steering group got the report on 11.10 and
    nothing told the secretariat it went late (nor that the leader's reminders never went). Now the
    secretariat is told once: two working days late (Monday 10 and Tuesday 11), before the meeting,
    no reminder; the next morning nothing more."""
    port = free_port()
    smtp_config(scratch_config, port)
    options = DeliveryOptions(config=str(scratch_config), transport="smtp", approved=True, override_reason="test")
    with SmtpServer(port=port) as server:
        deadline_watch(as_of=date(2016, 9, 16), options=options)
        late = deadline_watch(as_of=date(2016, 10, 11), options=options)
        deadline_watch(as_of=date(2016, 10, 12), options=options)
        mails = server.recorder.messages()
    assert late["ran"] == ["status:haugaland-velferdsteknologi:2016-10-07"], late
    reports = [m for m in mails if m["Subject"].startswith("Statusrapport")]
    assert len(reports) == 7, [m["Subject"] for m in mails]       # its 7 readers have it, once
    (told,) = [m for m in mails if "sendt for sent" in m["Subject"]]
    assert told["Subject"] == "Fristvakten 11.10.2016: 1 dokument sendt for sent – Haugaland Vekst"
    assert [a.addr_spec for a in told["To"].addresses] == ["post@haugalandvekst.example.no"]
    body = " ".join(told.get_body(("plain",)).get_content().split())
    assert ("Fristvakten kjørte sist 16. september 2016. I dag laget og sendte den dette for sent:") in body, body
    assert ("- Statusrapport før styringsgruppemøtet 14.10.2016 – Velferdsteknologi Haugaland: skulle sendes "
            "7. oktober 2016 (møtet er 14. oktober 2016), sendt 11. oktober 2016, 2 virkedager for sent; ingen fikk "
            "påminnelse om den før sendedatoen.") in body, body
