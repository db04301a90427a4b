"""The batch flow: documents in chunks, and a failure that still names its document."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import flows.batch as batch_module
from flows.batch import MIN_CHUNK, ROUNDS, chunk_sizes, make_batch
from flows.documents import DeliveryOptions
from grantflow.documents import service
from grantflow.errors import UserError

from ..conftest import CONFIG

PROJECTS = ["haugaland-velferdsteknologi", "kongsbergregionen-erp", "smart-velferdsregion-nord-gudbrandsdal"]


@given(st.integers(0, 5000), st.integers(1, 16))
def test_chunks_cover_every_document_and_stay_big_enough(count, workers):
    sizes = chunk_sizes(count, workers)
    assert sum(sizes) == count and all(s > 0 for s in sizes)
    if sizes:
        assert max(sizes) - min(sizes) <= 1
        assert len(sizes) <= max(workers * ROUNDS, 1) or count < workers
        if count >= workers * MIN_CHUNK:
            assert min(sizes) >= MIN_CHUNK          # per-task overhead spread over >= 20 documents
        else:
            assert len(sizes) == min(count, workers)   # few documents: one chunk per worker


def test_chunk_sizes_examples():
    assert chunk_sizes(1000, 2) == [125] * 8
    assert chunk_sizes(100, 2) == [25] * 4
    assert chunk_sizes(3, 2) == [2, 1]
    assert chunk_sizes(7, 1, chunk=3) == [3, 2, 2]


def test_a_chunks_register_is_the_same_after_thawing_and_frozen_leaves_nothing_behind(monkeypatch):
    """A worker unpickles its chunk's register with the collector paused and freezes it (the
    collector's walks of ~10^5 objects cost ~4-8 % of a worker's CPU). That is safe only while the
    register holds no reference cycles: frozen cycles would never be freed, one register per chunk.
    After the register is dropped and the freeze undone, the collector finds (almost) nothing."""
    import gc
    import pickle

    from grantflow.register import open_register

    register = open_register(CONFIG)
    part = batch_module.register_for(register, [(p, None) for p in PROJECTS])
    blob = pickle.dumps(part)
    gc.collect()
    try:
        import multiprocessing

        # as in a pool's worker (this test's process is no pool worker: it would not be frozen)
        monkeypatch.setattr(multiprocessing, "parent_process", lambda: object())
        thawed = batch_module.thaw_register(blob)
        assert gc.get_freeze_count() > 1000          # it is out of the collector's walks
        assert thawed.projects == part.projects and thawed.councils == part.councils
        assert {k: v.data for k, v in thawed.sources.items()} == {k: v.data for k, v in part.sources.items()}
        objects = len(gc.get_objects()) + gc.get_freeze_count()
        del thawed
        gc.unfreeze()
        cyclic = gc.collect()
        assert cyclic < 50, f"{cyclic} objects in reference cycles were left by a register of ~{objects}"
    finally:
        gc.unfreeze()


def test_a_register_thawed_outside_a_pool_worker_is_not_frozen():
    """A batch on threads runs in the calling process, which may be a long-lived `serve`: nothing
    of it is frozen there (frozen garbage in reference cycles would never be freed)."""
    import gc
    import pickle

    from grantflow.register import open_register

    part = batch_module.register_for(open_register(CONFIG), [(PROJECTS[0], None)])
    gc.unfreeze()
    batch_module.thaw_register(pickle.dumps(part))
    assert gc.get_freeze_count() == 0


def test_user_error_names_its_document_and_the_rest_is_made(isolated, monkeypatch):
    real = service.prepare

    def prepare(register, kind, project, *args, **kwargs):
        if project == "kongsbergregionen-erp":
            raise UserError("milestone file unreadable", file="data/erp/milepaeler.csv", line=3)
        return real(register, kind, project, *args, **kwargs)

    monkeypatch.setattr(service, "prepare", prepare)
    result = make_batch(2, "threads")(kind="costsplit", options=DeliveryOptions(config=str(CONFIG), send=False),
                                      chunk=2)
    assert result["documents"] == 2
    (error,) = result["errors"]
    assert error["project"] == "kongsbergregionen-erp" and "milepaeler.csv:3" in error["error"]
    made = sorted(p.parent.name for p in (isolated / "outputs").rglob("costsplit-*.docx"))
    assert made == ["haugaland-velferdsteknologi", "smart-velferdsregion-nord-gudbrandsdal"]


def test_crash_fails_the_run_naming_the_document_after_the_rest_is_made(isolated, monkeypatch):
    real = batch_module.produce_document

    def produce(kind, project, *args, **kwargs):
        if project == "haugaland-velferdsteknologi":
            raise ZeroDivisionError("division by zero")
        return real(kind, project, *args, **kwargs)

    monkeypatch.setattr(batch_module, "produce_document", produce)
    with pytest.raises(RuntimeError, match="costsplit for haugaland-velferdsteknologi: ZeroDivisionError"):
        make_batch(1, "threads")(kind="costsplit", options=DeliveryOptions(config=str(CONFIG), send=False),
                                 chunk=3)
    made = sorted(p.parent.name for p in (isolated / "outputs").rglob("costsplit-*.docx"))
    assert made == ["kongsbergregionen-erp", "smart-velferdsregion-nord-gudbrandsdal"]


def _smtp_config(scratch_config, port, **delivery):
    from ..smtp_server import use_smtp

    use_smtp(scratch_config, port, **delivery)


CLEAN, BROKEN = "smart-velferdsregion-nord-gudbrandsdal", "kongsbergregionen-erp"


def _one_clean_one_broken(scratch_config):
    from ..conftest import replace_in

    # the seed's own slip (RF 12 where S x K = 3 x 5) corrected: this project's data are clean
    replace_in(scratch_config / f"projects/{CLEAN}.yaml", "consequence: 5, rf: 12,", "consequence: 5, rf: 15,")
    # an injected error (risk factor 10 where S x K = 3 x 3)
    replace_in(scratch_config / f"projects/{BROKEN}.yaml", "probability: 3, consequence: 3,",
               "probability: 3, consequence: 3, rf: 10,")


def _clean_and_broken(scratch_config, **delivery) -> tuple[int, DeliveryOptions]:
    """CLEAN's data clean and BROKEN's with one error, sent by SMTP to a free local port (start a
    SmtpServer there): the port, and the options of a batch that sends. ``delivery``: other
    delivery settings."""
    from ..smtp_server import free_port

    port = free_port()
    _smtp_config(scratch_config, port, **delivery)
    _one_clean_one_broken(scratch_config)
    return port, DeliveryOptions(config=str(scratch_config), send=True)


@pytest.fixture
def clean_and_broken_by_smtp(isolated, scratch_config) -> tuple[int, DeliveryOptions]:
    """See ``_clean_and_broken``."""
    return _clean_and_broken(scratch_config)


def _ledger(isolated):
    from grantflow.delivery.ledger import SentLedger

    return SentLedger(f"sqlite:///{isolated / 'sent.db'}")


def test_batch_over_smtp_holds_a_document_with_data_errors_and_sends_the_rest_once(isolated,
                                                                                   clean_and_broken_by_smtp):
    from datetime import date

    from ..smtp_server import SmtpServer

    port, options = clean_and_broken_by_smtp
    with SmtpServer(port=port) as server:
        result = make_batch(2, "threads")(kind="costsplit", projects=[CLEAN, BROKEN], options=options, chunk=1)
        assert result["documents"] == 2 and not result["errors"]
        (held,) = result["held"]
        assert held["project"] == BROKEN and held["sent"] == [] and held["docx"].endswith(".docx")
        assert held["held"].startswith("venter på godkjenning") and "kjør dokumentflyten" in held["held"]
        rendered = {p.parent.name for p in (isolated / "outputs").rglob("costsplit-*.docx") if ".versjoner" not in p.parts}
        assert rendered == {CLEAN, BROKEN}                  # rendered and recorded all the same
        (clean,) = [r for r in result["results"] if r["project"] == CLEAN]
        assert clean["sent"] and "held" not in clean
        # every recipient of the clean document got it exactly once; the held one reached nobody but
        # its approver, who is asked at once
        arrived = server.recorder.messages()
        documents = [m for m in arrived if not m["Subject"].startswith("Til godkjenning")]
        assert sorted(m["To"].addresses[0].addr_spec for m in documents) == sorted(clean["sent"])
        assert documents and all("ERP" not in m["Subject"] for m in documents)
        (asked,) = [m for m in arrived if m["Subject"].startswith("Til godkjenning")]
        assert asked["To"].addresses[0].addr_spec == "post@kongsbergregionen.example.no"
        # dated today, as the batch made it: typed on a later day, the command sends that one
        assert f"grantflow send costsplit {BROKEN} --as-of {date.today().isoformat()} --transport smtp " \
               "--override-reason" in \
            asked.get_body(("plain",)).get_content()
        again = make_batch(2, "threads")(kind="costsplit", projects=[CLEAN, BROKEN], options=options, chunk=1)
        assert len(server.recorder.arrived) == len(arrived)        # nothing twice, the approver asked once
        assert [r["project"] for r in again["held"]] == [BROKEN]
        # approval given in advance does not cover data errors: still nothing for BROKEN
        make_batch(1, "threads")(kind="costsplit", projects=[BROKEN],
                                 options=options.model_copy(update={"approved": True}))
        assert len(server.recorder.arrived) == len(arrived)
    waiting = _ledger(isolated).approvals(status="requested")
    assert [a["document"].split("/")[1] for a in waiting] == [BROKEN]


def test_batch_to_the_outbox_sends_everything_as_before(isolated, scratch_config):
    _one_clean_one_broken(scratch_config)
    options = DeliveryOptions(config=str(scratch_config), send=True, transport="outbox")
    result = make_batch(2, "threads")(kind="costsplit", projects=[CLEAN, BROKEN], options=options, chunk=1)
    assert result["documents"] == 2 and not result["held"]
    assert all(r["sent"] for r in result["results"])
    sent = [e for r in result["results"] for e in r["sent"]]
    assert len(list((isolated / "outputs" / "outbox").glob("*.eml"))) == len(sent)


@pytest.mark.skipif(__import__("grantflow.documents.render", fromlist=["soffice"]).soffice() is None
                    or __import__("shutil").which("pdftotext") is None, reason="LibreOffice/poppler not installed")
def test_a_chunk_gets_its_pdfs_from_one_libreoffice_start(isolated, monkeypatch):
    import json
    import subprocess

    from grantflow.documents import render as render_module
    from grantflow.register import open_register

    starts = []
    real = render_module._convert
    monkeypatch.setattr(render_module, "_convert", lambda exe, docs, *a: starts.append(len(docs)) or real(exe, docs, *a))
    options = DeliveryOptions(config=str(CONFIG), send=False, pdf=True)
    result = make_batch(1, "threads")(kind="costsplit", projects=PROJECTS, options=options, chunk=3)
    assert result["documents"] == 3 and not result["errors"] and starts == [3]
    for r in result["results"]:
        pdf = r["docx"].replace(".docx", ".pdf")
        assert r["pdf"] == pdf
        text = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True, check=True).stdout
        assert open_register(CONFIG).projects[r["project"]].name.split()[0] in text   # its own document
        record = json.loads(open(r["docx"].replace(".docx", ".json"), encoding="utf-8").read())
        assert record["pdf"] and pdf.endswith(record["pdf"])


def test_a_wrong_smtp_password_is_tried_once_per_batch_not_once_per_document(isolated, scratch_config,
                                                                             monkeypatch):
    """Two clean documents, a wrong password: one login session, both documents name the error;
    a login per document would count toward the server locking the account."""
    import yaml

    from ..smtp_server import SmtpServer, free_port

    port = free_port()
    _smtp_config(scratch_config, port)
    from ..conftest import replace_in

    replace_in(scratch_config / f"projects/{CLEAN}.yaml", "consequence: 5, rf: 12,", "consequence: 5, rf: 15,")
    path = scratch_config / "grantflow.yaml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    settings["delivery"]["smtp"]["username"] = "sekretariat"
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("GRANTFLOW_SMTP_PASSWORD", "feil")
    server = SmtpServer(port=port, auth=("sekretariat", "riktig"))
    with server:
        result = make_batch(1, "threads")(kind="costsplit", projects=[CLEAN, "kongsbergregionen-erp"],
                                          options=DeliveryOptions(config=str(scratch_config), send=True), chunk=2)
    assert server.authenticator.sessions() == 1 and server.recorder.arrived == []
    errors = sorted(e["error"] for e in result["errors"])
    assert len(errors) == 2 and all("SMTP login failed for 'sekretariat'" in e for e in errors), errors
    assert "feil" not in " ".join(errors)


def test_a_batch_leaves_a_waiting_run_its_request_and_each_held_document_is_reminded(isolated, scratch_config,
                                                                                      monkeypatch):
    """A batch holding a document recorded its request over the one a document flow was waiting
    on: the approver's reminder then linked to the finished batch run (no form there), and of two
    documents one batch held only one was ever reminded -- with that same useless link."""
    from datetime import date, timedelta

    from grantflow.register import open_register
    from grantflow.settings import load_settings

    from flows.approval import remind_pending

    from ..smtp_server import SmtpServer, free_port

    port = free_port()
    _smtp_config(scratch_config, port)
    monkeypatch.setenv("PREFECT_UI_URL", "http://ui.example.no")
    options = DeliveryOptions(config=str(scratch_config), send=True)
    ledger = _ledger(isolated)
    with SmtpServer(port=port):      # the batch asks each approver at once
        held = make_batch(1, "threads")(kind="final", projects=[CLEAN, BROKEN], options=options)["held"]
    assert sorted(r["project"] for r in held) == sorted([CLEAN, BROKEN])
    # a document flow asks the approver for the CLEAN one (the same content) and waits
    (request,) = [a for a in ledger.approvals() if f"/{CLEAN}/" in a["document"]]
    waiting = "0b8c61d2-6c8e-4bb4-a0a6-5a4c1e0c1e55"
    ledger.approval_requested(request["document"], request["version"], waiting, "sekretariat@example.no",
                              request["document_hash"])
    with SmtpServer(port=port) as server:
        make_batch(1, "threads")(kind="final", projects=[CLEAN, BROKEN], options=options)   # the nightly batch again
        assert not server.recorder.arrived          # asked already: the reminders take it from here
    settings, register = load_settings(str(scratch_config)), open_register(str(scratch_config))
    with SmtpServer(port=port) as server:
        sent = remind_pending(date.today() + timedelta(days=14), settings, register, "smtp")
        reminders = {m["Subject"]: m.get_body(("plain",)).get_content() for m in server.recorder.messages()}
    assert len(sent) == 2 and len(reminders) == 2, sent
    # the reminder names the document as its request does (h24-late), not by its key
    (clean,) = [body for subject, body in reminders.items() if "Smart velferdsregion Nord-Gudbrandsdal" in subject]
    assert f"http://ui.example.no/runs/flow-run/{waiting}" in clean, clean
    (broken,) = [body for subject, body in reminders.items() if "ERP-prosjektet for 4 kommuner" in subject]
    assert "/runs/flow-run/" not in broken and f"grantflow send final {BROKEN} --as-of 2014-12-31 --transport smtp" in broken, \
        broken


def test_a_batch_approved_in_advance_does_not_send_what_an_approver_rejected(isolated, clean_and_broken_by_smtp):
    """A nightly batch run with approval given in advance sent the final report the approver had
    rejected the day before, and wrote 'approved by batch' over the rejection."""
    from ..smtp_server import SmtpServer

    port, options = clean_and_broken_by_smtp
    ledger = _ledger(isolated)
    with SmtpServer(port=port):
        make_batch(1, "threads")(kind="final", projects=[CLEAN], options=options)     # held: final needs approval
    (request,) = ledger.approvals()
    ledger.approval_decided(request["document"], request["version"], False, "Per Hansen", "Tallene må sjekkes", "",
                            request["document_hash"])
    with SmtpServer(port=port) as server:
        result = make_batch(1, "threads")(kind="final", projects=[CLEAN],
                                          options=options.model_copy(update={"approved": True}))
        assert not server.recorder.arrived
    (held,) = result["held"]
    assert held["held"].startswith("avvist av Per Hansen") and "Tallene må sjekkes" in held["held"]
    (decision,) = ledger.approvals()
    assert decision["status"] == "rejected" and decision["decided_by"] == "Per Hansen"


def test_a_batch_asks_the_approver_when_it_first_holds_a_document_and_not_on_every_run(isolated,
                                                                                       clean_and_broken_by_smtp):
    """A batch held what needs approval and told nobody: the approver heard of it only from the
    reminder, working days later. Now each approver gets one mail when the batch first holds a
    document, listing each with the command that previews and sends it; later runs send none."""
    from ..smtp_server import SmtpServer

    port, options = clean_and_broken_by_smtp
    with SmtpServer(port=port) as server:
        first = make_batch(2, "threads")(kind="final", projects=[CLEAN, BROKEN], options=options, chunk=1)
        assert sorted(r["project"] for r in first["held"]) == sorted([CLEAN, BROKEN])   # final needs approval
        mails = {m["To"].addresses[0].addr_spec: m for m in server.recorder.messages()}
        assert sorted(mails) == ["post@kongsbergregionen.example.no", "post@nord-gudbrandsdal.example.no"]
        assert all(m["Subject"] == "Til godkjenning: 1 dokument(er) holdt tilbake av bunkekjøringen"
                   for m in mails.values())
        clean = mails["post@nord-gudbrandsdal.example.no"].get_body(("plain",)).get_content()
        broken = mails["post@kongsbergregionen.example.no"].get_body(("plain",)).get_content()
        assert f"nord-gudbrandsdal/{CLEAN}/final-" in clean and "trenger godkjenning" in clean, clean
        # each dated as made: at its project's end (30.6.2021, 31.12.2014)
        assert f"grantflow send final {CLEAN} --as-of 2021-06-30 --transport smtp" in \
            [x.strip() for x in clean.splitlines()], clean
        assert f"grantflow send final {BROKEN} --as-of 2014-12-31 --transport smtp --override-reason" in broken, broken
        assert "Ingenting av dette er sendt" in broken and "dataene har 1 feil" in broken, broken
        assert len(first["told"]) == 2 and all(t.startswith("varslet ") for t in first["told"]), first["told"]
        for _ in range(2):                                        # the nightly batch again, twice
            again = make_batch(1, "threads")(kind="final", projects=[CLEAN, BROKEN], options=options)
            assert len(again["held"]) == 2 and again["told"] == []
        assert len(server.recorder.arrived) == 2                  # asked once, not on every run
    # of two processes recording the same held request, one is told it is new
    ledger = _ledger(isolated)
    (row, _) = ledger.approvals()
    assert ledger.approval_requested(row["document"], 9, None, None, row["document_hash"], keep_open=True)
    assert not ledger.approval_requested(row["document"], 9, None, None, row["document_hash"], keep_open=True)


def test_a_held_document_an_approver_said_yes_to_is_sent_by_the_next_batch_once(isolated, clean_and_broken_by_smtp):
    """An approver approved a document the batch held (in a document flow's form, or `grantflow send`
    whose delivery failed part-way): the batch went on holding it, 'venter på godkjenning', and its
    recipients got nothing until someone typed `send`. Approved means "send it": the next batch
    sends it, once (also with two batches at once: each recipient is claimed in the ledger), and
    keeps the approver's decision. An approval with errors in the data needs its override reason."""
    import threading

    from ..smtp_server import SmtpServer

    port, options = clean_and_broken_by_smtp
    ledger = _ledger(isolated)
    with SmtpServer(port=port) as server:
        first = make_batch(1, "threads")(kind="final", projects=[CLEAN, BROKEN], options=options)
        assert len(first["held"]) == 2
        asked = len(server.recorder.arrived)                       # the approvers' requests
        requests = {a["document"].split("/")[1]: a for a in ledger.approvals()}
        for project in (CLEAN, BROKEN):                            # yes, but no reason given for BROKEN's errors
            row = requests[project]
            ledger.approval_decided(row["document"], row["version"], True, "Kari Nordmann", "Ser bra ut", "",
                                    row["document_hash"])
        results = []
        runs = [threading.Thread(target=lambda: results.append(make_batch(1, "threads")(
            kind="final", projects=[CLEAN, BROKEN], options=options))) for _ in range(2)]
        for run in runs:
            run.start()
        for run in runs:
            run.join()
        assert len(results) == 2
        sent = [e for result in results for r in result["results"] if r["project"] == CLEAN for e in r["sent"]]
        documents = [m for m in server.recorder.messages()[asked:]]
        recipients = [m["To"].addresses[0].addr_spec for m in documents]
        assert recipients and sorted(recipients) == sorted(sent) and len(set(recipients)) == len(recipients)
        assert all("ERP" not in m["Subject"] for m in documents)   # BROKEN: approved without a reason
        assert all([r["project"] for r in result["held"]] == [BROKEN] for result in results)
        again = make_batch(1, "threads")(kind="final", projects=[CLEAN, BROKEN], options=options)
        assert len(server.recorder.arrived) == asked + len(recipients)   # nothing twice, nobody asked again
        assert [r["project"] for r in again["held"]] == [BROKEN] and again["told"] == []
    (decision,) = [a for a in ledger.approvals() if f"/{CLEAN}/" in a["document"]]
    assert (decision["status"], decision["decided_by"]) == ("approved", "Kari Nordmann")


def test_an_approver_the_mail_server_refuses_is_told_to_the_secretariat_the_same_day_once(isolated, scratch_config):
    """The approver's address (delivery.approver_email) is refused by the mail server (550). The batch
    held the final reports, logged one line and told nobody: the secretariat heard of it only from
    the watch's reminder, working days later, which went to the same refused address. Now the
    secretariat gets one mail in the same run naming the documents, the reason and the command that
    sends each; the documents stay held (nothing sent), and later runs send it again to no one."""
    from ..smtp_server import SmtpServer

    port, options = _clean_and_broken(scratch_config, approver_email="godkjenner@regionen.example.no")
    with SmtpServer(port=port, refuse=("godkjenner@regionen.example.no",)) as server:
        first = make_batch(1, "threads")(kind="final", projects=[CLEAN, BROKEN], options=options)
        assert sorted(r["project"] for r in first["held"]) == sorted([CLEAN, BROKEN])
        mails = server.recorder.messages()
        assert sorted(m["To"].addresses[0].addr_spec for m in mails) == [
            "post@kongsbergregionen.example.no", "post@nord-gudbrandsdal.example.no"]
        for m in mails:
            assert m["Subject"] == "Godkjenneren ble ikke varslet: 1 dokument(er) venter på godkjenning"
            body = m.get_body(("plain",)).get_content()
            assert "godkjenner@regionen.example.no" in body and "550" in body, body
            assert "Ingenting av dette er sendt" in body and "grantflow send final " in body, body
        assert not [m for m in mails if "Sluttrapport" in m["Subject"]]        # nothing sent
        again = make_batch(1, "threads")(kind="final", projects=[CLEAN, BROKEN], options=options)
        assert len(again["held"]) == 2
        assert len(server.recorder.messages()) == 2                            # the secretariat told once


def test_an_approver_not_reached_while_the_mail_server_was_down_is_asked_by_the_next_run(isolated, scratch_config):
    """The mail server was down when the batch first held the final report: the approver's mail
    failed and no later run asked again (the request was no longer new), so the approver heard of it
    only from the reminder days later. Now the next run asks the approver (once), and the one after
    sends nothing more; the document is held throughout, never sent without approval."""
    from ..smtp_server import SmtpServer

    port, options = _clean_and_broken(scratch_config, retry={"attempts": 1, "backoff_seconds": []})  # once
    down = make_batch(1, "threads")(kind="final", projects=[CLEAN], options=options)   # nothing listens
    assert [r["project"] for r in down["held"]] == [CLEAN]
    assert down["told"] and down["told"][0].startswith("ikke varslet post@nord-gudbrandsdal.example.no"), down["told"]
    with SmtpServer(port=port) as server:
        later = make_batch(1, "threads")(kind="final", projects=[CLEAN], options=options)
        (mail,) = server.recorder.messages()
        assert mail["To"].addresses[0].addr_spec == "post@nord-gudbrandsdal.example.no"
        assert mail["Subject"] == "Til godkjenning: 1 dokument(er) holdt tilbake av bunkekjøringen"
        assert [r["project"] for r in later["held"]] == [CLEAN]
        make_batch(1, "threads")(kind="final", projects=[CLEAN], options=options)
        assert len(server.recorder.messages()) == 1                            # asked once


def test_the_morning_reminder_reaches_an_approver_the_batch_could_not_at_once(isolated, scratch_config):
    """As above, the server was down when the batch held the report. The morning watch's approver
    reminders waited their working days (2) before mentioning it; the approver who never heard of it
    now gets it the next morning, and the next batch does not ask a second time."""
    from datetime import date, timedelta

    from grantflow.deadlines import shift_to_working_day
    from grantflow.register import open_register
    from grantflow.settings import load_settings

    from flows.approval import remind_pending

    from ..smtp_server import SmtpServer

    port, options = _clean_and_broken(scratch_config, retry={"attempts": 1, "backoff_seconds": []})  # once
    make_batch(1, "threads")(kind="final", projects=[CLEAN], options=options)          # nothing listens
    settings, register = load_settings(str(scratch_config)), open_register(str(scratch_config))
    with SmtpServer(port=port) as server:
        sent = remind_pending(shift_to_working_day(date.today() + timedelta(days=1), "after"), settings, register,
                              "smtp")
        assert len(sent) == 1 and len(server.recorder.messages()) == 1, sent
        assert server.recorder.messages()[0]["Subject"].startswith("Påminnelse: venter på godkjenning")
        make_batch(1, "threads")(kind="final", projects=[CLEAN], options=options)
        assert len(server.recorder.messages()) == 1                            # not asked a second time


def test_a_document_whose_request_the_deadline_watch_withdrew_is_held_by_the_batch_without_asking_again(
        isolated, clean_and_broken_by_smtp):
    """A run waited for approval of a final report; its last day passed, so the deadline watch
    cancelled it, withdrew its request and told the secretariat ('Ikke sendt', with the command).
    The batch holding the same content again must not ask the approver anew: an approval then would
    let the next batch send it to the funder after its last day, without the secretariat deciding.
    It stays held ('trukket tilbake'), no mail goes, the row stays withdrawn. (Before the watch's
    rule covered batch-held requests, the batch asked anew here; see test_deadline_watch.py.)"""
    from ..smtp_server import SmtpServer

    from grantflow.delivery.ledger import deliveries

    port, options = clean_and_broken_by_smtp
    with SmtpServer(port=port) as server:
        first = make_batch(1, "threads")(kind="final", projects=[CLEAN], options=options)
        assert len(first["held"]) == 1 and len(first["told"]) == 1
        ledger = _ledger(isolated)
        try:
            (row,) = ledger.approvals()
            # instead the approver was asked by a run that waited for this content (in its form),
            # and the deadline watch cancelled it: no batch mail about it on record
            with ledger.engine.begin() as conn:
                conn.execute(deliveries.delete().where(deliveries.c.document.like("approval-batch/%")))
            ledger.approval_requested(row["document"], row["version"], "waiting-run", "post@example.no",
                                      row["document_hash"], replace=True)
            assert ledger.approval_withdrawn("waiting-run", "fristen gikk ut") == \
                [f"{row['document']} v{row['version']}"]
        finally:
            ledger.close()
        again = make_batch(1, "threads")(kind="final", projects=[CLEAN], options=options)
        (held,) = again["held"]
        assert "trukket tilbake" in held["held"] and "fristen gikk ut" in held["held"], held
        assert again["told"] == [] and len(server.recorder.arrived) == 1, again["told"]   # nobody asked anew
        ledger = _ledger(isolated)
        try:
            assert ledger.approval(row["document"], row["version"])["status"] == "withdrawn"
        finally:
            ledger.close()


def test_a_batch_asked_for_pdfs_without_libreoffice_sends_nothing(isolated, scratch_config, monkeypatch):
    """Each document names why it was not sent; the outbox stays empty (it got the .docx alone)."""
    from grantflow.documents import render as render_module

    monkeypatch.setattr(render_module, "soffice", lambda: None)
    options = DeliveryOptions(config=str(scratch_config), send=True, transport="outbox", pdf=True)
    result = make_batch(1, "threads")(kind="costsplit", projects=[CLEAN, "kongsbergregionen-erp"], options=options,
                                      chunk=2)
    assert result["documents"] == 2 and len(result["errors"]) == 2
    assert all("not sent: a PDF was asked for and LibreOffice (soffice) is not installed" in e["error"]
               for e in result["errors"]), result["errors"]
    assert not list((isolated / "outputs").rglob("*.eml"))


def _approvals_in_sent(scratch_config, monkeypatch, capsys, project: str) -> list[str]:
    """The approval lines `grantflow sent PROJECT` prints (a wide terminal): those that name a decision."""
    from grantflow.cli import main

    capsys.readouterr()
    monkeypatch.setenv("COLUMNS", "250")
    assert main(["--config", str(scratch_config), "sent", project]) == 0
    return [line for line in capsys.readouterr().out.splitlines() if "godkjent" in line]


def test_a_batch_approved_in_advance_records_the_person_who_approved_it(isolated, clean_and_broken_by_smtp,
                                                                          scratch_config, monkeypatch, capsys):
    """A batch started with approval in advance recorded its approval as given by "batch": `grantflow
    sent` showed "godkjent | batch | godkjent på forhånd (approved)". The person named with it
    (``approved_by``, as `grantflow run --yes --approved-by` gives it) and their comment are recorded."""
    from ..smtp_server import SmtpServer

    port, options = clean_and_broken_by_smtp
    with SmtpServer(port=port) as server:
        result = make_batch(1, "threads")(kind="final", projects=[CLEAN], options=options.model_copy(update={
            "approved": True, "approved_by": "Kari Nordmann", "approval_comment": "Vedtatt i styringsgruppen"}))
        assert not result["held"] and server.recorder.arrived
    lines = _approvals_in_sent(scratch_config, monkeypatch, capsys, CLEAN)
    (line,) = lines
    assert "Kari Nordmann" in line and "Vedtatt i styringsgruppen" in line and "bunkekjøring" in line, lines
    assert "batch" not in line.split(), lines


def test_a_batch_approved_in_advance_without_a_name_is_approved_by_nobody_known(isolated, clean_and_broken_by_smtp,
                                                                                  scratch_config, monkeypatch, capsys):
    """A scheduled batch with ``approved`` ticked and nobody named behind it appeared approved by
    someone called "batch"; now it reads approved by "ukjent", without a name."""
    from ..smtp_server import SmtpServer

    port, options = clean_and_broken_by_smtp
    with SmtpServer(port=port) as server:
        make_batch(1, "threads")(kind="final", projects=[CLEAN], options=options.model_copy(update={"approved": True}))
        assert server.recorder.arrived
    lines = _approvals_in_sent(scratch_config, monkeypatch, capsys, CLEAN)
    (line,) = lines
    assert "ukjent" in line and "uten navn" in line and "batch" not in line.split(), lines
