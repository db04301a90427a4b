"""Approval in advance reaches a server's run only from ``grantflow run --yes`` on the machine.

An outside tester with access to the Prefect API created a status-report run with
``approved``, ``approved_by: kari.nordmann``, ``approved_by_login`` and an override reason: it
sent a report with a data error to everyone, recorded as approved by "kari.nordmann (navn fra
innloggingen)". Now parameters that claim approval without the command's signature are ignored:
the run asks the approver as if not approved, and says so.

The runs are real deployment runs on the test harness's server, started as a process worker starts
them (``python -m prefect.engine`` with the flow run's id)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date

import pytest

from flows.documents import DeliveryOptions, status_report

from ..conftest import ROOT
from ..delivery.test_concurrent_send import GRANTFLOW, smtp_config
from ..delivery.test_smtp_faults import serve
from ..smtp_server import Recorder, free_port

PROJECT = "haugaland-velferdsteknologi"
MEMBERS = {"radmann@haugesund.example.no", "radmann@karmoy.example.no", "radmann@tysvar.example.no",
           "kontakt@hsh.example.no", "kontakt@helse-fonna.example.no"}


@pytest.fixture
def deployed(isolated, scratch_config, monkeypatch):
    """The demo config on an SMTP server of ours (its port), the status-report deployment registered."""
    port = free_port()
    smtp_config(scratch_config, port)
    monkeypatch.setenv("GRANTFLOW_CONFIG", str(scratch_config))
    status_report.to_deployment(name="status-report").apply()
    return scratch_config, port


def start(run_id: str, isolated) -> None:
    """Run the flow run to its end (or its suspension) in its own process, as a worker does."""
    from prefect.settings import PREFECT_API_URL

    env = dict(os.environ, PREFECT__FLOW_RUN_ID=str(run_id), PREFECT_API_URL=PREFECT_API_URL.value(),
               PYTHONPATH=str(ROOT))
    with (isolated / "run.err").open("a") as err:
        subprocess.run([sys.executable, "-m", "prefect.engine"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                       stderr=err, timeout=600, check=False)


def state(run_id):
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(run_id).state


def test_forged_approval_from_the_api_sends_nothing_and_asks_the_approver(deployed, isolated):
    from prefect.client.orchestration import get_client

    _, port = deployed
    options = {"transport": "smtp", "approved": True, "approved_by": "kari.nordmann", "approved_by_login": True,
               "approval_comment": "Sjekket mot regnskapet", "override_reason": "RF rettes senere"}
    with serve(Recorder(), port) as server:
        with get_client(sync_client=True) as client:
            deployment = client.read_deployment_by_name("status_report/status-report")
            run = client.create_flow_run_from_deployment(
                deployment.id, parameters={"project": PROJECT, "as_of": "2016-10-07", "options": options})
        start(run.id, isolated)
        got = server.recorder
    assert not MEMBERS & set(got.recipients()), got.recipients()
    after = state(run.id)
    assert after.type.value == "PAUSED", (after, (isolated / "run.err").read_text()[-3000:])
    (asked,) = got.messages()
    body = asked.get_body(("plain",)).get_content()
    assert asked["Subject"].startswith("Til godkjenning"), asked["Subject"]
    assert "Forhåndsgodkjenning i kjøringens parametre er ignorert: ikke gitt med «grantflow run --yes» på " \
           "maskinen (ingen signatur)" in " ".join(body.split()), body


def test_approval_signed_by_grantflow_run_yes_still_sends(deployed, isolated):
    from prefect.settings import PREFECT_API_URL

    config, port = deployed
    env = dict(os.environ, PREFECT_API_URL=PREFECT_API_URL.value())
    with serve(Recorder(), port) as server:
        done = subprocess.run([str(GRANTFLOW), "--config", str(config), "run", "status",
                               PROJECT, "--as-of", "2016-10-07", "--transport", "smtp", "--yes",
                               "--approved-by", "Kari Nordmann", "--override-reason", "RF rettes senere",
                               "--no-wait"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        run_id = re.search(r"\(([0-9a-f-]{36})\)", done.stdout)[1]
        start(run_id, isolated)
        got = server.recorder.recipients()
    assert state(run_id).type.value == "COMPLETED", (isolated / "run.err").read_text()[-3000:]
    assert MEMBERS <= set(got) and len(got) == len(set(got)), got


def test_a_signed_approval_changed_on_the_way_is_ignored(deployed, isolated):
    """The approver's name changed after signing: not the approval the operator gave."""
    from prefect.client.orchestration import get_client

    _, port = deployed
    params = {"project": PROJECT, "as_of": "2016-10-07"}
    options = DeliveryOptions(transport="smtp", approved=True, approved_by="Ola Nordmann",
                              override_reason="RF rettes senere").signed("status_report", params)
    forged = options.model_dump(mode="json") | {"approved_by": "kari.nordmann"}
    with serve(Recorder(), port) as server:
        with get_client(sync_client=True) as client:
            deployment = client.read_deployment_by_name("status_report/status-report")
            run = client.create_flow_run_from_deployment(deployment.id, parameters=params | {"options": forged})
        start(run.id, isolated)
        got = server.recorder.recipients()
    assert not MEMBERS & set(got), got
    assert state(run.id).type.value == "PAUSED"


@pytest.mark.parametrize("seconds", [0, -100, 15])
def test_a_short_approval_timeout_is_refused_before_anything_is_mailed(isolated, scratch_config, monkeypatch,
                                                                        seconds):
    """The run ended Failed ("paused and never resumed") after the approver had "Til godkjenning"."""
    port = free_port()
    smtp_config(scratch_config, port)
    monkeypatch.setenv("GRANTFLOW_CONFIG", str(scratch_config))
    monkeypatch.setenv("PREFECT__RUNTIME__DEPLOYMENT__ID", "00000000-0000-0000-0000-00000000d3f1")
    with serve(Recorder(), port) as server:
        ended = status_report(project=PROJECT, as_of=date(2016, 10, 7), return_state=True,
                              options=DeliveryOptions(transport="smtp", approval_timeout_seconds=seconds))
        got = server.recorder.recipients()
    assert ended.is_failed(), ended
    assert ended.message.endswith(f"options.approval_timeout_seconds: is {seconds}; give at least 3600 (seconds: the "
                             "approver is mailed a link and needs time to answer), or leave it empty to wait "
                             "until answered"), ended.message
    assert "\n" not in ended.message
    assert got == []


def test_a_request_whose_run_ended_without_an_answer_is_withdrawn_not_reminded(isolated, scratch_config):
    """A run whose approval timeout passed ends Failed ("paused and never resumed"); `grantflow sent`
    kept its request "forespurt" and the approver was reminded of it."""
    from datetime import timedelta

    from prefect import flow

    from flows.approval import remind_pending
    from grantflow.delivery.ledger import SentLedger
    from grantflow.register import open_register
    from grantflow.settings import load_settings

    @flow
    def timed_out():
        raise RuntimeError("The flow was paused and never resumed.")

    run_id = str(timed_out(return_state=True).state_details.flow_run_id)
    document = f"haugaland-vekst/{PROJECT}/status-2016-10-07"
    ledger = SentLedger(f"sqlite:///{isolated / 'sent.db'}")
    ledger.approval_requested(document, 1, run_id, "post@haugalandvekst.example.no", "abc")
    settings, register = load_settings(str(scratch_config)), open_register(str(scratch_config))
    assert remind_pending(date.today() + timedelta(days=30), settings, register, "outbox") == []
    row = ledger.approval(document, 1)
    assert row["status"] == "withdrawn", row
    assert row["comment"].startswith("kjøringen endte (Failed) uten svar"), row
    ledger.close()
