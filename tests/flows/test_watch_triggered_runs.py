"""deadline_watch on a server, looking at the runs it triggered: a run left Running by a process
that is gone (a worker killed with -9, a reboot, out of memory) is ended and started again; a run
whose process still works is left alone; a trigger the server refuses is told in one line.

The document runs are real deployment runs: each is started the way a process worker starts it
(``python -m prefect.engine`` with the flow run's id), against the test harness's Prefect server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import date

import pytest

from flows.deadline_watch import deadline_watch
from flows.documents import DeliveryOptions
from grantflow.delivery.ledger import SentLedger

from ..conftest import ROOT, replace_in
from ..delivery.test_concurrent_send import smtp_config
from ..delivery.test_smtp_faults import BlocksOnThirdRecipient, serve
from ..smtp_server import Recorder, free_port

KEY = "status:haugaland-velferdsteknologi:2016-10-07"
SECRETARIAT = "post@haugalandvekst.example.no"


@pytest.fixture
def on_server(isolated, scratch_config, monkeypatch):
    """The demo config on an SMTP server of ours (port in the result), without status cycles; the
    status-report deployment registered on the harness's server; the watch counts as a deployment
    run (Prefect's documented mock of prefect.runtime.deployment)."""
    from flows.documents import status_report

    port = free_port()
    smtp_config(scratch_config, port)
    replace_in(scratch_config / "grantflow.yaml", "start_days: 5", "start_days: 0")
    monkeypatch.setenv("GRANTFLOW_CONFIG", str(scratch_config))
    status_report.to_deployment(name="status-report").apply()
    monkeypatch.setenv("PREFECT__RUNTIME__DEPLOYMENT__ID", "00000000-0000-0000-0000-00000000d3f1")
    return scratch_config, port


def any_time_running_counts(config) -> None:
    """``watch.dead_run_minutes: 0``. The server sets a state's time itself: a run cannot be made to
    look Running since this morning (the default asks for 30 minutes)."""
    with (config / "grantflow.yaml").open("a", encoding="utf-8") as settings:
        settings.write("watch:\n  dead_run_minutes: 0\n")


def watch(config, day):
    # the demo data have two seed errors: sent with a reason, as the secretariat would
    # signed as `grantflow run --yes` signs: a deployment run counts no other approval in advance
    options = DeliveryOptions(config=str(config), transport="smtp", approved=True, override_reason="test")
    return deadline_watch(as_of=day, options=options.signed("deadline_watch", {"as_of": day}))


def start_run(run_id: str, err) -> subprocess.Popen:
    """Start the flow run as a process worker does, in its own process group (killed together)."""
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if k != "PREFECT__RUNTIME__DEPLOYMENT__ID"}
    env.update(PREFECT__FLOW_RUN_ID=run_id, PREFECT_API_URL=PREFECT_API_URL.value(), PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "prefect.engine"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=err, start_new_session=True)


def reaches_third(handler, process, run_id, isolated) -> None:
    """Wait until the run holds the third recipient; its state and errors if it ended before."""
    while not handler.third.wait(0.5):
        if process.poll() is not None:
            raise AssertionError(f"{run_state(run_id)}\n{(isolated / 'run.err').read_text()[-3000:]}")


def run_state(run_id: str):
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(run_id).state


def triggered(isolated) -> dict:
    ledger = SentLedger(f"sqlite:///{isolated / 'sent.db'}")
    try:
        return {r["key"]: r for r in ledger.watch_rows()}
    finally:
        ledger.close()


def test_a_run_killed_while_mailing_is_ended_started_again_and_told(on_server, isolated):
    """Found by a tester with `prefect worker start`: the status report's run was killed (-9, as a
    reboot or the OOM killer does) after 2 of the 7 steering-group members had it. The run stayed
    Running for good; the next watches counted it as "Venter (godkjenning eller kjører)" and started
    nothing, the meeting passed, 5 members never got the report and nobody was told. Now the next
    watch sees that the run's process is gone, ends it as Crashed, starts the report again (only the
    5 get it, once) and the secretariat is told."""
    config, port = on_server
    handler = BlocksOnThirdRecipient()
    with serve(handler, port), (isolated / "run.err").open("w") as err:
        first = watch(config, date(2016, 10, 7))
        assert first["ran"] == [KEY], first
        killed = triggered(isolated)[KEY]["detail"]
        process = start_run(killed, err)
        try:
            reaches_third(handler, process, killed, isolated)
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            handler.release.set()
        assert len(handler.recipients()) == 2
        assert run_state(killed).type.value == "RUNNING"
        # killed a moment ago: not Running for dead_run_minutes (30) yet, so left as it is
        soon = watch(config, date(2016, 10, 10))
        assert soon["waiting"] == [KEY] and soon["ran"] == [], soon
        assert run_state(killed).type.value == "RUNNING"
        done = _ended_and_started_again(config, isolated, err, killed, "process")
    body = _each_member_once_and_the_secretariat_told(handler, done)
    assert KEY in body and killed in body and "prosessen" in body and "startet på nytt" in body, body


def test_a_run_left_pending_by_a_killed_worker_is_ended_started_again_and_told(on_server, isolated):
    """A worker takes a run (moves it to Pending) and is killed before it starts the run's process:
    no process, no run lock, nothing sent. The watch counted the run as "Venter (godkjenning eller
    kjører)" every morning for good, and the meeting passed without the report. Now a run Pending for
    ``watch.dead_run_minutes`` is ended as Crashed, started again, and the secretariat told; the
    rerun sends to all 7 members, once each."""
    from prefect.client.orchestration import get_client
    from prefect.states import Pending

    config, port = on_server
    handler = Recorder()
    with serve(handler, port), (isolated / "run.err").open("w") as err:
        first = watch(config, date(2016, 10, 7))
        assert first["ran"] == [KEY], first
        stuck = triggered(isolated)[KEY]["detail"]
        with get_client(sync_client=True) as client:       # what a worker does first; then it was killed
            assert client.set_flow_run_state(stuck, Pending()).status.value == "ACCEPT"
        # Pending a moment ago: not for dead_run_minutes (30) yet, so left as it is
        soon = watch(config, date(2016, 10, 10))
        assert soon["waiting"] == [KEY] and soon["ran"] == [], soon
        assert run_state(stuck).type.value == "PENDING"
        done = _ended_and_started_again(config, isolated, err, stuck, "never started")
    body = _each_member_once_and_the_secretariat_told(handler, done)
    assert KEY in body and stuck in body and "aldri startet" in body and "startet på nytt" in body, body


def test_a_run_whose_process_still_works_is_left_alone(on_server, isolated):
    """A status report still being mailed (the mail server holds the third recipient, as a long
    retry would) when the next watch runs: its run is neither ended nor started twice."""
    config, port = on_server
    handler = BlocksOnThirdRecipient()
    with serve(handler, port), (isolated / "run.err").open("w") as err:
        watch(config, date(2016, 10, 7))
        run_id = triggered(isolated)[KEY]["detail"]
        process = start_run(run_id, err)
        try:
            reaches_third(handler, process, run_id, isolated)
            any_time_running_counts(config)
            after = watch(config, date(2016, 10, 10))
            assert after["waiting"] == [KEY] and after["ran"] == [], after
            assert run_state(run_id).type.value == "RUNNING"
            assert triggered(isolated)[KEY]["detail"] == run_id
        finally:
            handler.release.set()
        assert process.wait(300) == 0, (isolated / "run.err").read_text()[-3000:]
    assert not [m for m in handler.messages() if m["Subject"].startswith("Fristvakten")]


def test_a_project_added_after_the_deployments_were_registered_is_told_in_one_line(isolated, scratch_config,
                                                                                   monkeypatch):
    """The tester added project kb-test3 while the deployments were registered: the server refused
    the watch's trigger (the form's list of projects is read at registration), and the secretariat's
    mail held nothing but `PrefectHTTPStatusError: Client error '409 Conflict' for url …`. Now it
    names the project and what to do."""
    from flows.documents import status_report

    source = scratch_config / "projects" / "haugaland-velferdsteknologi.yaml"
    (scratch_config / "projects" / "kb-test3.yaml").write_text(
        source.read_text(encoding="utf-8").replace("id: haugaland-velferdsteknologi", "id: kb-test3", 1),
        encoding="utf-8")
    replace_in(scratch_config / "grantflow.yaml", "start_days: 5", "start_days: 0")
    monkeypatch.setenv("GRANTFLOW_CONFIG", str(scratch_config))
    status_report.to_deployment(name="status-report").apply()
    monkeypatch.setenv("PREFECT__RUNTIME__DEPLOYMENT__ID", "00000000-0000-0000-0000-00000000d3f1")
    result = deadline_watch(as_of=date(2016, 10, 7), options=DeliveryOptions(config=str(scratch_config)))
    assert result["ran"] == [KEY], result
    ((key, why),) = result["failed"]
    assert key == "status:kb-test3:2016-10-07"
    expected = ("prosjektet «kb-test3» er ikke med i deployment-en status-report slik den ble registrert "
                "(prosjektet er lagt til etterpå): start grantflow serve på nytt, eller kjør "
                "prefect deploy --all der arbeidere (prefect worker) kjører dokumentene")
    assert why == expected, why
    mails = [p.read_text(encoding="utf-8") for p in (isolated / "outputs" / "outbox").glob("*.eml")]
    from email import message_from_string, policy

    (told,) = [m for m in (message_from_string(t, policy=policy.default) for t in mails)
               if m["Subject"].startswith("Fristvakten 07.10.2016: 1 ble ikke laget")]
    body = told.get_body(("plain",)).get_content()
    assert f"- {key}: {expected}" in body, body
    assert "409" not in body and "PrefectHTTPStatusError" not in body and "http" not in body, body


def _ended_and_started_again(config, isolated, err, run_id: str, why: str) -> dict:
    """Once any time Running counts: the watch ends ``run_id`` as Crashed (``why`` in its message)
    and starts the document again; the rerun completes; the next day's watch has nothing to do."""
    any_time_running_counts(config)
    after = watch(config, date(2016, 10, 10))
    assert after["waiting"] == [] and after["ran"] == [KEY], after
    ended = run_state(run_id)
    assert ended.type.value == "CRASHED" and why in (ended.message or ""), ended
    again = triggered(isolated)[KEY]["detail"]
    assert again != run_id
    rerun = start_run(again, err)
    assert rerun.wait(300) == 0, (isolated / "run.err").read_text()[-3000:]
    assert run_state(again).type.value == "COMPLETED"
    return watch(config, date(2016, 10, 11))


def _each_member_once_and_the_secretariat_told(handler, done: dict) -> str:
    """Each of the 7 members got the report exactly once, and the secretariat one mail: its body."""
    assert done["skipped"] == [KEY] and done["ran"] == [], done
    messages = handler.messages()
    reports = [m for m in messages if m["Subject"].startswith("Statusrapport")]
    arrived = Counter(a.addr_spec.casefold() for m in reports for a in m["To"].addresses)
    assert len(arrived) == 7 and set(arrived.values()) == {1}, arrived
    # started again this morning: not "1 ble ikke laget eller sendt" above a rerun that reached everyone
    # (an outside operator read that while every member had the report), nor "prøver igjen neste virkedag"
    (told,) = [m for m in messages if m["Subject"].startswith("Fristvakten 10.10.2016: 1 stoppet underveis og er "
                                                              "startet på nytt")]
    assert "prøver igjen neste virkedag" not in told.get_body(("plain",)).get_content()
    assert [a.addr_spec for a in told["To"].addresses] == [SECRETARIAT]
    return told.get_body(("plain",)).get_content()
