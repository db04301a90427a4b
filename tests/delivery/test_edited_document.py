"""A document changed after grantflow made it (opened and saved in Word, replaced by hand) went
out under the record of what grantflow had made: `render` said "(version 1, unchanged)", the
next send attached the edited file to the recipients still missing, and the ledger and the
approval showed one hash for two different files (found by an outside tester in session 13, seen
failing on the old code). Now neither render nor send takes it: one line, exit 1, nothing sent,
the changed file untouched."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from grantflow.cli import main

from .test_delivery import register, status_doc  # noqa: F401 - fixtures
from .test_ledger_integrity import PROJECT, env, outbox, send_args  # noqa: F401 - fixture


def _edit_in_word(path: Path) -> None:
    """One word changed, the package written again (as a hand edit saved from Word)."""
    tmp = path.with_name(path.name + ".new")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"Haugaland", b"HAUGALAND", 1)
            zout.writestr(item, data)
    shutil.move(tmp, path)


def _render_args(config: Path, out: Path) -> list[str]:
    return ["--config", str(config), "render", "status", PROJECT, "--as-of", "2016-10-07", "--out", str(out)]


def test_an_edited_document_is_neither_taken_as_made_nor_sent(scratch_config, env, capsys):
    out = env / "o1"
    assert main(_render_args(scratch_config, out)) == 0
    (docx,) = [p for p in out.rglob("status-*.docx") if ".versjoner" not in p.parts]   # not the kept copies
    _edit_in_word(docx)
    edited = docx.read_bytes()
    capsys.readouterr()

    assert main(_render_args(scratch_config, out)) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert f"{docx.name} was changed after grantflow made it (version 1" in line and "nothing made" in line, line

    assert main(send_args(scratch_config, out)) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert f"{docx.name} was changed after grantflow made it" in line, line
    assert outbox(env) == [] and docx.read_bytes() == edited

    kept = docx.with_name("endret.docx")
    docx.rename(kept)                                   # the secretariat moves its copy away
    assert main(send_args(scratch_config, out)) == 0    # made again from the data, and sent
    assert len(outbox(env)) == 7
    from email import policy
    from email.parser import BytesParser

    mail = BytesParser(policy=policy.default).parsebytes(outbox(env)[0].read_bytes())
    (attached,) = [part.get_content() for part in mail.iter_attachments() if part.get_filename().endswith(".docx")]
    assert attached == docx.read_bytes() != edited and kept.read_bytes() == edited


def test_a_document_edited_while_it_waited_for_approval_is_not_sent(register, status_doc, tmp_path):
    """Rendered, then waiting (an approval answered days later, a batch holding it): the file is
    edited meanwhile. The send that follows (no new render) refuses it."""
    import pytest

    from grantflow.delivery.service import ContentConflict

    from ..smtp_server import free_port
    from .test_delivery import send, smtp_settings

    _edit_in_word(status_doc.docx)
    with pytest.raises(ContentConflict, match="was changed after grantflow made it.*nothing sent"):
        send(register, status_doc, smtp_settings(tmp_path, free_port()))


def test_an_emptied_ledger_does_not_send_everyone_the_document_again(scratch_config, env, capsys):
    """`: > sent.db` (or a new ledger_url) after a delivery: the next send mailed all seven again,
    "7 sent", exit 0, while the document's record said it had gone out (found by the same tester)."""
    from ..smtp_server import Recorder, free_port
    from .test_send_twice_across_runs import _smtp
    from .test_smtp_faults import serve

    port = free_port()
    args = send_args(scratch_config, env / "o1", *_smtp(scratch_config, port))
    with serve(Recorder(), port) as server:
        assert main(args) == 0
        (env / "sent.db").write_bytes(b"")
        capsys.readouterr()
        assert main(args) == 1
        assert len(server.recorder.recipients()) == 7
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "the sent ledger has no delivery of" in line and "was the ledger emptied or replaced" in line, line
    with serve(Recorder(), port) as server:
        assert main([*args, "--resend"]) == 0
        assert len(server.recorder.recipients()) == 7


def test_the_hint_for_an_edited_file_does_not_mail_everyone_a_version_2(scratch_config, env, capsys):
    """Following 'move the changed file away' made an identical 'versjon 2, erstatter versjon 1' for
    everyone (render numbered a new version whenever the file was missing; found by a second
    tester). Unchanged content is made again as the version it is: nothing to send."""
    out = env / "o1"
    assert main(send_args(scratch_config, out)) == 0
    (docx,) = [p for p in out.rglob("status-*.docx") if ".versjoner" not in p.parts]   # not the kept copies
    _edit_in_word(docx)
    docx.rename(docx.with_name("endret.docx"))
    capsys.readouterr()
    assert main(send_args(scratch_config, out)) == 0
    assert "nothing to send: all 7 recipient(s) already have" in capsys.readouterr().out
    assert len(outbox(env)) == 7
    import json

    record = json.loads(docx.with_suffix(".json").read_text(encoding="utf-8"))
    assert [v["version"] for v in record["versions"]] == [1] and record["version"] == 1


def test_a_damaged_record_is_one_line(scratch_config, env, capsys):
    out = env / "o1"
    assert main(_render_args(scratch_config, out)) == 0
    (record,) = out.rglob("status-*.json")
    record.write_text('{"version": 1, "versions": [5]}', encoding="utf-8")
    capsys.readouterr()
    assert main(_render_args(scratch_config, out)) == 1
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert "internal error" not in captured.err and record.name in line and "record is damaged" in line, line


def test_a_claim_written_before_an_upgrade_by_a_process_now_gone_is_taken_over_at_once():
    """Claims now name the process-id namespace; one written by the previous grantflow on this host
    names the host alone and was waited on for 30 minutes ('still running, or on another host')."""
    import socket
    import subprocess
    import sys

    from grantflow.delivery.ledger import claim_alive

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    assert claim_alive(f"{socket.gethostname()}:{gone}:abcdef123456") is False
    assert claim_alive(f"{socket.gethostname()}#1:{gone}:abcdef123456") is None   # another namespace: unknown


def test_a_send_while_another_process_renders_waits_for_it_instead_of_calling_the_file_edited(
        scratch_config, env, capsys):
    """Two renders of one document at once, or a send during a render with --pdf (the conversion
    takes seconds), saw the new .docx before its record: 'changed after grantflow made it (saved in
    Word?)', nothing sent; and one render's version was lost from the record (found by a third
    tester). A render now holds the document's lock from reading the record to writing it, a check
    holds it shared. Here the test is the other render: it holds the lock with the new file
    written and its record not yet."""
    import json
    import subprocess
    import sys
    import time

    from grantflow.documents.service import _file_sha256, document_lock

    from ..conftest import ROOT

    out = env / "o1"
    assert main(_render_args(scratch_config, out)) == 0
    (docx,) = [p for p in out.rglob("status-*.docx") if ".versjoner" not in p.parts]   # not the kept copies
    record_path = docx.with_suffix(".json")
    record = json.loads(record_path.read_text(encoding="utf-8"))
    import os

    sender = None
    with document_lock(docx):
        _edit_in_word(docx)                                  # the other render's new file ...
        sender = subprocess.Popen([sys.executable, "-m", "grantflow.cli", *send_args(scratch_config, out)],
                                  cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=dict(os.environ))
        time.sleep(3)
        assert sender.poll() is None, sender.communicate()  # waiting, not refusing
        record["versions"][-1]["file_sha256"] = _file_sha256(docx)      # ... and its record
        record_path.write_text(json.dumps(record), encoding="utf-8")
    stdout, stderr = sender.communicate(timeout=120)
    assert sender.returncode == 0, stdout + stderr
    assert "changed after grantflow made it" not in stderr and len(outbox(env)) == 7
