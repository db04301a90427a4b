"""A run writing to another folder inside outputs/ (``options.out``: a served run's own folder, the
form's field, `grantflow run --out`) numbers and compares a document as the installation's records
say. The status report of kongsbergregionen-erp for 29 August 2014 had gone out as version 1 from
outputs/; a deployment run with ``out = outputs/alt`` found no record there, made it again compared
with nothing (period "1. januar 2013 – …", Gul) and mailed it to all five as "(versjon 2, erstatter
versjon 1)"; its file and record were only in outputs/alt (an outside tester). The records and the
sent ledger are the installation's; the ``out`` folder is where the files go."""

from __future__ import annotations

from datetime import date

from flows.documents import DeliveryOptions, status_report

from ..docx_text import all_text, find_table
from ..smtp_server import SmtpServer, free_port, use_smtp

ERP = "kongsbergregionen-erp"
PARAMS = {"project": ERP, "as_of": date(2014, 8, 29)}


def send(config, port, as_of: str) -> list:
    from grantflow.cli import main

    with SmtpServer(port=port) as server:
        assert main(["--config", str(config), "send", "status", ERP, "--as-of", as_of, "--yes",
                     "--transport", "smtp"]) == 0
        return server.recorder.messages()


def test_a_run_into_a_folder_inside_outputs_sends_nothing_new_and_writes_what_went_out(
        isolated, scratch_config, monkeypatch):
    port = free_port()
    use_smtp(scratch_config, port)
    monkeypatch.setenv("GRANTFLOW_CONFIG", str(scratch_config))
    outputs = isolated / "outputs"
    # the report of 2 May, then the one of 29 August: each to the steering group (4) and the leader
    first = send(scratch_config, port, "2014-05-02")
    delivered = send(scratch_config, port, "2014-08-29")
    assert len(first) == len(delivered) == 5, [m["To"] for m in delivered]
    main_docx = outputs / "kongsbergregionen" / ERP / "status-2014-08-29.docx"
    v1 = all_text(main_docx)
    # version 1 as its readers have it: counted from the report of 2 May, all green
    assert "3. mai 2014 – 29. august 2014" in v1.replace("\u00a0", " "), v1[:600]
    assert "1. januar 2013" not in v1.replace("\u00a0", " ")
    assert find_table(main_docx, "Samlet vurdering")[1][0] == "Grønn"

    # a run started from a deployment (the form, a served run), its own folder inside outputs/,
    # approved in advance by `grantflow run --yes` (signed)
    monkeypatch.setenv("PREFECT__RUNTIME__DEPLOYMENT__ID", "00000000-0000-0000-0000-00000000d3f1")
    alt = outputs / "alt"
    options = DeliveryOptions(transport="smtp", out=str(alt), approved=True,
                              approved_by="Kari Nordmann").signed("status_report", PARAMS)
    with SmtpServer(port=port) as server:
        state = status_report(**PARAMS, options=options, return_state=True)
        again = server.recorder.messages()
    assert state.is_completed(), state.message
    # everyone has version 1: nothing is mailed again, no "versjon 2"
    assert again == [], [str(m["Subject"]) for m in again]
    result = state.result()
    assert result["version"] == 1 and result["sent"] == [], result
    assert sorted(result["skipped"]) == sorted(a.addr_spec for m in delivered for a in m["To"].addresses)
    # the file goes to the run's folder, and is version 1 as it went out (period and status)
    (copy,) = [p for p in alt.rglob("*.docx") if ".versjoner" not in p.parts]
    assert copy == alt / "kongsbergregionen" / ERP / "status-2014-08-29.docx"
    text = all_text(copy)
    assert "Rapportperiode\n3. mai 2014 – 29. august 2014" in text.replace("\u00a0", " "), text[:1500]
    assert find_table(copy, "Samlet vurdering")[1][0] == "Grønn"
    assert text == v1
    assert copy.read_bytes() == main_docx.read_bytes()
    # the installation's record is the one that counts: still version 1, nothing new issued
    import json

    record = json.loads(main_docx.with_suffix(".json").read_text(encoding="utf-8"))
    assert record["version"] == 1 and [v["version"] for v in record["versions"]] == [1], record["versions"]


def test_send_with_out_inside_outputs_sends_nothing_new_and_writes_what_went_out(isolated, scratch_config,
                                                                                monkeypatch, capsys):
    """`grantflow send --out outputs/alt` read the records of that folder too: the same "versjon 2"."""
    from grantflow.cli import main

    port = free_port()
    use_smtp(scratch_config, port)
    outputs = isolated / "outputs"
    send(scratch_config, port, "2014-05-02")
    assert len(send(scratch_config, port, "2014-08-29")) == 5
    main_docx = outputs / "kongsbergregionen" / ERP / "status-2014-08-29.docx"
    v1 = all_text(main_docx)
    capsys.readouterr()
    alt = outputs / "alt"
    with SmtpServer(port=port) as server:
        code = main(["--config", str(scratch_config), "send", "status", ERP, "--as-of", "2014-08-29", "--yes",
                     "--transport", "smtp", "--out", str(alt)])
        again = server.recorder.messages()
    said = capsys.readouterr()
    assert code == 0, said.err
    assert again == [], [str(m["Subject"]) for m in again]
    assert "Traceback" not in said.err
    copy = alt / "kongsbergregionen" / ERP / "status-2014-08-29.docx"
    assert all_text(copy) == v1 and "3. mai 2014 – 29. august 2014" in v1.replace("\u00a0", " ")
    assert find_table(copy, "Samlet vurdering")[1][0] == "Grønn"
    assert not list(alt.rglob("*.json"))
    # `render --out` says where the file went
    assert main(["--config", str(scratch_config), "render", "status", ERP, "--as-of", "2014-08-29",
                 "--out", str(alt)]) == 0
    out = capsys.readouterr().out
    assert out.strip().endswith("status-2014-08-29.docx  (version 1, unchanged)") and "alt" in out, out


def test_a_batch_into_a_folder_inside_outputs_numbers_by_the_outputs_folders_records(isolated, scratch_config):
    """The batch flow read the records of its ``out`` folder too."""
    from flows.batch import make_batch
    from grantflow.cli import main

    outputs, outbox = isolated / "outputs", isolated / "outputs" / "outbox"
    for day in ("2014-05-02", "2014-08-29"):
        assert main(["--config", str(scratch_config), "send", "status", ERP, "--as-of", day, "--yes",
                     "--transport", "outbox"]) == 0
    mails = len(list(outbox.glob("*.eml")))
    assert mails == 10
    v1 = all_text(outputs / "kongsbergregionen" / ERP / "status-2014-08-29.docx")
    alt = outputs / "alt"
    options = DeliveryOptions(config=str(scratch_config), send=True, transport="outbox", out=str(alt))
    result = make_batch(1, "threads")(kind="status", projects=[ERP], as_of=date(2014, 8, 29), options=options)
    (made,) = result["results"]
    assert made["version"] == 1 and made["sent"] == [], made
    assert len(list(outbox.glob("*.eml"))) == mails          # nobody mailed again
    copy = alt / "kongsbergregionen" / ERP / "status-2014-08-29.docx"
    assert made["docx"] == str(copy) and all_text(copy) == v1
    assert "3. mai 2014 – 29. august 2014" in v1.replace("\u00a0", " ")
