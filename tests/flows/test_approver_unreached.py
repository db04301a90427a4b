"""A document run the deadline watch started on a server waits (Suspended) for its approver, and the
approval request never reached the approver (the mail server refused the address). Found by the IT
operator (ops23 finding 1): the run waited in silence, the next watches sent nothing ("Påminnelser
sendt: 0": the reminder waits its working days), and after the meeting the secretariat read only
"ventet fortsatt på godkjenning". The batch's mark of an approver not reached now holds for these
runs too: the secretariat is told that day (once), the next watch asks the approver again without
waiting, and the final "Ikke sendt" says the approver was never reached.

Real parts: the status-report deployment on the harness's server, its run started as a process
worker starts it, a real SMTP server (aiosmtpd) that refuses the approver's address for a while."""

from __future__ import annotations

from collections import Counter
from datetime import date

from flows.deadline_watch import deadline_watch
from flows.documents import DeliveryOptions

from ..conftest import replace_in
from ..smtp_server import SmtpServer
from .test_watch_triggered_runs import KEY, SECRETARIAT, on_server, run_state, start_run, triggered  # noqa: F401

APPROVER = "godkjenner@regionen.example.no"


def _watch(config, day):
    # no approval in advance: the demo data's errors make the status report wait for the approver
    return deadline_watch(as_of=day, options=DeliveryOptions(config=str(config), transport="smtp"))


def _started_and_paused(config, isolated) -> str:
    """The watch of Friday 7.10.2016 starts the status report, whose run (started as a worker
    starts it) asks for approval and waits: its id."""
    first = _watch(config, date(2016, 10, 7))
    assert first["ran"] == [KEY], first
    run_id = triggered(isolated)[KEY]["detail"]
    with (isolated / "run.err").open("w") as err:
        assert start_run(run_id, err).wait(300) == 0, (isolated / "run.err").read_text()[-3000:]
    assert run_state(run_id).type.value == "PAUSED", run_state(run_id)
    return run_id


def _asked_and_waiting(config, isolated, server, refused=(APPROVER,)) -> str:
    """An approver of its own (not the secretariat), refused by the server (with the ``refused``);
    the watch of Friday 7.10.2016 starts the status report, whose run asks the approver and waits:
    its id."""
    replace_in(config / "grantflow.yaml", "  retry: {", f"  approver_email: {APPROVER}\n  retry: {{")
    server.recorder.refuse = set(refused)
    return _started_and_paused(config, isolated)


def _mails(server) -> Counter:
    """(to, subject start) of what arrived, counted."""
    return Counter((a.addr_spec, m["Subject"].split(":")[0]) for m in server.recorder.messages()
                   for a in m["To"].addresses)


def test_an_approver_a_waiting_run_did_not_reach_is_asked_the_next_morning_and_the_secretariat_told_once(
        on_server, isolated):
    config, port = on_server
    with SmtpServer(port=port) as server:
        run_id = _asked_and_waiting(config, isolated, server)
        # the same day: the approver got nothing; the secretariat one mail naming the approver and why
        assert _mails(server) == Counter({(SECRETARIAT, "Godkjenneren ble ikke varslet"): 1}), _mails(server)
        (told,) = server.recorder.messages()
        body = told.get_body(("plain",)).get_content()
        assert APPROVER in body and "550" in body and "Fristvakten spør godkjenneren igjen" in body, body
        assert run_id in body, body                                    # the run's link, where to answer
        server.recorder.refuse = set()                                 # the address works again
        monday = _watch(config, date(2016, 10, 10))
        assert monday["waiting"] == [KEY] and len(monday["reminders"]) == 1, monday
        assert _mails(server) == Counter({(SECRETARIAT, "Godkjenneren ble ikke varslet"): 1,
                                          (APPROVER, "Påminnelse"): 1}), _mails(server)
        reminder = server.recorder.messages()[-1].get_body(("plain",)).get_content()
        assert "nådde deg ikke da" in reminder and "550" in reminder and run_id in reminder, reminder
        tuesday = _watch(config, date(2016, 10, 11))
        assert tuesday["reminders"] == [], tuesday                    # asked once: the usual days again
        assert len(server.recorder.messages()) == 2


def test_an_approver_never_reached_before_the_meeting_is_said_so_in_the_final_notice(on_server, isolated):
    config, port = on_server
    with SmtpServer(port=port) as server:
        # the first day the secretariat's address is refused too: it cannot be told that day
        run_id = _asked_and_waiting(config, isolated, server, refused=(APPROVER, SECRETARIAT))
        assert server.recorder.messages() == []
        server.recorder.refuse = {APPROVER}
        for day in (10, 11, 12, 13, 14):                              # refused all week, up to the meeting
            _watch(config, date(2016, 10, day))
        # the secretariat was told once (the first morning it could be), not every morning; the
        # approver never got anything
        assert _mails(server) == Counter({(SECRETARIAT, "Godkjenneren ble ikke varslet"): 1}), _mails(server)
        after = _watch(config, date(2016, 10, 17))
        assert after["missed"] == [KEY], after
        assert run_state(run_id).type.value == "CANCELLED"
        (notice,) = [m for m in server.recorder.messages() if m["Subject"].startswith("Ikke sendt")]
        assert [a.addr_spec for a in notice["To"].addresses] == [SECRETARIAT]
        body = notice.get_body(("plain",)).get_content()
        assert "Godkjenneren ble aldri nådd" in body and APPROVER in body and "550" in body, body


def test_with_the_mail_server_down_when_the_run_asked_the_approver_is_asked_when_it_is_back(on_server, isolated):
    """The operator's case: no approver configured (the secretariat approves) and the mail server
    down when the run asked. The following watches sent nothing until the meeting had passed. Now
    the first watch with the server back reminds the approver once; the next sends nothing."""
    config, port = on_server
    replace_in(config / "grantflow.yaml", "  retry: {attempts: 4,", "  retry: {attempts: 1,")  # nothing listens
    run_id = _started_and_paused(config, isolated)
    with SmtpServer(port=port) as server:                          # the server is back
        _watch(config, date(2016, 10, 10))
        assert _mails(server) == Counter({(SECRETARIAT, "Påminnelse"): 1}), _mails(server)
        reminder = server.recorder.messages()[0].get_body(("plain",)).get_content()
        assert "nådde deg ikke da" in reminder and run_id in reminder, reminder
        _watch(config, date(2016, 10, 11))
        assert len(server.recorder.messages()) == 1
