"""Each document flow end to end under prefect_test_harness, with the outbox and with aiosmtpd."""

import asyncio
from datetime import date
from email import message_from_bytes, policy

import pytest

from flows.documents import (DeliveryOptions, application, cost_split, final_report, grant_usage_report,
                             status_report)
from grantflow.delivery.ledger import SentLedger

from ..conftest import CONFIG, replace_in
from ..docx_text import all_text
from ..smtp_server import SmtpServer, free_port, use_smtp


def outbox(tmp_path):
    return sorted((tmp_path / "outputs" / "outbox").glob("*.eml"))


def artifact(key):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async def read():
        async with get_client() as client:
            return await client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    return asyncio.run(read())


def test_status_report_flow_outbox(isolated):
    opts = DeliveryOptions(config=str(CONFIG))
    result = status_report(project="haugaland-velferdsteknologi", as_of=date(2016, 10, 7), options=opts)
    assert result["docx"].endswith("haugaland-vekst/haugaland-velferdsteknologi/status-2016-10-07.docx")
    assert len(result["sent"]) == 7 and not result["failed"]
    files = outbox(isolated)
    assert len(files) == 7
    msg = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert msg["Subject"].startswith("Statusrapport: Velferdsteknologi Haugaland")
    assert "Statusrapport" in all_text(result["docx"])
    again = status_report(project="haugaland-velferdsteknologi", as_of=date(2016, 10, 7), options=opts)
    assert again["sent"] == [] and len(again["skipped"]) == 7 and again["reused"]
    assert len(outbox(isolated)) == 7
    summaries = [a.data for a in artifact("status-haugaland-velferdsteknologi")]
    assert any("v1 via outbox: 7 sent" in d for d in summaries)
    assert any("7 already had version 1" in d for d in summaries)
    assert artifact("status-haugaland-velferdsteknologi-milestones")


@pytest.mark.parametrize("flow,kwargs,expected", [
    (application, {"project": "smart-velferdsregion-nord-gudbrandsdal"}, "application-2019.docx"),
    (final_report, {"project": "kongsbergregionen-erp"}, "final-2014.docx"),
    (cost_split, {"project": "haugaland-velferdsteknologi", "year": 2015}, "costsplit-2015.docx"),
    (grant_usage_report, {"council": "nord-gudbrandsdal", "year": 2019}, "usage-2019.docx"),
])
def test_each_document_flow_to_outbox(isolated, flow, kwargs, expected):
    result = flow(**kwargs, options=DeliveryOptions(config=str(CONFIG)))
    assert result["docx"].endswith(expected) and result["sent"] and not result["failed"]
    assert len(outbox(isolated)) == len(result["sent"])
    rows = SentLedger(f"sqlite:///{isolated / 'sent.db'}").rows()
    assert {r.recipient for r in rows} == set(result["sent"]) and {r.status for r in rows} == {"sent"}


def test_status_report_flow_over_smtp(isolated, scratch_config):
    port = free_port()
    use_smtp(scratch_config, port)
    # an error in the data (risk factor 11 where S x K = 2 x 5): external sending waits for an override
    replace_in(scratch_config / "projects/smart-velferdsregion-nord-gudbrandsdal.yaml",
               "probability: 2, consequence: 5, rf: 10", "probability: 2, consequence: 5, rf: 11")
    with SmtpServer(port=port) as server:
        blocked = status_report(project="smart-velferdsregion-nord-gudbrandsdal", as_of=date(2020, 4, 16),
                                options=DeliveryOptions(config=str(scratch_config)))
        assert blocked["sent"] == [] and blocked["note"].startswith("Ikke sendt") and not server.recorder.arrived
        approved = DeliveryOptions(config=str(scratch_config), approved=True)
        still = status_report(project="smart-velferdsregion-nord-gudbrandsdal", as_of=date(2020, 4, 16),
                              options=approved)
        assert still["sent"] == [] and "begrunnelse" in still["note"]
        result = status_report(project="smart-velferdsregion-nord-gudbrandsdal", as_of=date(2020, 4, 16),
                               options=approved.model_copy(update={"override_reason": "RF rettes i neste rapport"}))
        assert len(result["sent"]) == 7
        assert result["note"] == "Sendt tross feil i dataene: RF rettes i neste rapport"
        arrived = server.recorder.messages()
        assert sorted(m["To"].addresses[0].addr_spec for m in arrived) == sorted(result["sent"])
        docx = open(result["docx"], "rb").read()
        assert all(next(m.iter_attachments()).get_content() == docx for m in arrived)
        again = status_report(project="smart-velferdsregion-nord-gudbrandsdal", as_of=date(2020, 4, 16),
                              options=DeliveryOptions(config=str(scratch_config)))
        assert again["sent"] == [] and len(server.recorder.arrived) == 7


def test_bad_data_fails_the_flow_with_a_clear_error(isolated, scratch_config):
    from grantflow.errors import UserError

    with (scratch_config / "data/kongsbergregionen-erp/milepaeler.csv").open("a", encoding="utf-8") as out:
        out.write("5;halvveis;;\n")
    with pytest.raises(UserError, match="unknown status 'halvveis'"):
        status_report(project="kongsbergregionen-erp", as_of=date(2014, 8, 29),
                      options=DeliveryOptions(config=str(scratch_config)))
    assert not outbox(isolated)


def test_an_unwritable_outbox_fails_the_run_with_one_line_naming_the_folder(isolated, monkeypatch, capsys):
    """The outbox folder is a file: the run used to end in FileExistsError with Prefect's traceback,
    retried twice (70 s) for a folder that will not change; `grantflow demo` said the same fifteen times."""
    from grantflow.cli import main
    from grantflow.delivery import transports

    (isolated / "outputs").mkdir()
    (isolated / "outputs" / "outbox").write_text("not a folder", encoding="utf-8")
    tries = []
    real = transports.OutboxTransport.send
    monkeypatch.setattr(transports.OutboxTransport, "send", lambda self, msg: tries.append(1) or real(self, msg))
    state = status_report(project="haugaland-velferdsteknologi", as_of=date(2016, 10, 7),
                          options=DeliveryOptions(config=str(CONFIG)), return_state=True)
    assert state.is_failed(), state
    assert "cannot write to the outbox folder" in state.message and "outbox: it is a file" in state.message, \
        state.message
    assert len(tries) == 1                       # not retried: the folder is the same a minute later
    from flows.remote import user_mistake

    # on a server, `grantflow run` reads the run's message as a user mistake: one line
    assert (user_mistake(state.message) or "").startswith("delivery.outbox: cannot write"), state.message
    ledger = SentLedger(f"sqlite:///{isolated / 'sent.db'}")
    assert not [r for r in ledger.rows() if r.status == "sent"]
    ledger.close()
    capsys.readouterr()
    for argv in (["run", "status", "haugaland-velferdsteknologi", "--as-of", "2016-10-07"], ["demo"]):
        assert main(["--config", str(CONFIG), *argv]) == 1, argv
        err = capsys.readouterr().err
        (line,) = [x for x in err.splitlines() if x.strip()]
        assert line.startswith("error: ") and "delivery.outbox: cannot write to the outbox folder" in line, err
        assert "outbox: it is a file" in line and "Traceback" not in err


@pytest.mark.parametrize("errno_, strerror, said", [
    (28, "No space left on device", "no room on the disk (No space left on device) writing "),
    (30, "Read-only file system", "cannot use "),
])
def test_a_full_disk_or_read_only_outputs_end_a_run_with_the_command_lines_line(isolated, monkeypatch, errno_, strerror, said):
    """Through `grantflow serve` an outside operator read "error: OSError: [Errno 28] No space left on
    device" (no file named) and "OSError: [Errno 30] Read-only file system: '….status-2014-05-02.json.
    9075.fdoz3tge.tmp'" where `grantflow send` says what to do. The run ends Failed with that line;
    nothing is sent."""
    import os
    import tempfile

    from grantflow import fileio
    from flows.remote import RunState

    real = tempfile.mkstemp

    def full(*args, dir=None, **kw):
        if str(dir).startswith(str(isolated / "outputs")):
            name = os.path.join(dir, f"{kw.get('prefix', '')}x1y2z3{kw.get('suffix', '')}")
            raise OSError(errno_, strerror, name)
        return real(*args, dir=dir, **kw)

    monkeypatch.setattr(fileio.tempfile, "mkstemp", full)
    state = status_report(project="haugaland-velferdsteknologi", as_of=date(2016, 10, 7),
                          options=DeliveryOptions(config=str(CONFIG)), return_state=True)
    assert state.is_failed()
    line = RunState("id", "name", "FAILED", "Failed", state.message).reason
    assert line.startswith(said), line
    assert "OSError" not in line and ".tmp" not in line and "Errno" not in line, line
    assert line.endswith(("haugaland-velferdsteknologi: Read-only file system",
                          "haugaland-velferdsteknologi: free space there (or raise the limit) and run the command again")), line
    monkeypatch.setattr(fileio.tempfile, "mkstemp", real)
    assert not outbox(isolated)
