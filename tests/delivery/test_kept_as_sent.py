"""What was sent is kept: the copy in '.versjoner' is the bytes that went out, its hash is in the
record, and a copy altered afterwards is named as altered (found by an outside auditor)."""

from __future__ import annotations

import hashlib
import json
import shutil

from docx import Document as WordDocument

from grantflow.cli import main

from ..conftest import replace_in
from ..docx_text import all_text
from ..smtp_server import SmtpServer, free_port
from .test_prompt_record import RECIPIENTS, SEND, prompt_config, send_on_a_terminal


def _edit_in_word(path, old: str, new: str) -> None:
    """Change text in the .docx and save it, as the secretariat does in Word."""
    doc = WordDocument(str(path))
    hits = 0
    for paragraph in doc.paragraphs:
        for run in paragraph.runs:
            if old in run.text:
                run.text = run.text.replace(old, new)
                hits += 1
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    for run in paragraph.runs:
                        if old in run.text:
                            run.text = run.text.replace(old, new)
                            hits += 1
    assert hits, f"{old!r} not in {path}"
    doc.save(str(path))


def _attachments(server) -> list[bytes]:
    return [part.get_content() for message in server.recorder.messages() for part in message.iter_attachments()]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_file_edited_at_the_prompt_is_sent_as_made_and_that_is_kept(scratch_config, tmp_path, monkeypatch):
    """The report was edited in Word while the approver sat at 'Send? [j/N]'; on 'j' the bytes
    grantflow made went out, but no copy was kept in '.versjoner' (the record said copy: null),
    nothing was said about the edit, and moving the edited file away and rendering again gave the
    version's record entry the hash of bytes nobody was sent. Now the copy is the bytes the server
    received, its hash is in the record, the sender is told in one line that the file in outputs/
    is not what was sent, and a render afterwards leaves that hash alone."""
    port = free_port()
    prompt_config(scratch_config, port)
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    folder = tmp_path / "outputs" / "kongsbergregionen" / "kongsbergregionen-erp"
    docx = folder / "status-2014-08-29.docx"
    made = []

    def edit():
        made.append(docx.read_bytes())
        _edit_in_word(docx, "ERP-prosjektet for 4 kommuner", "ERP-prosjektet (endret i Word)")

    with SmtpServer(port=port) as server:
        code, shown = send_on_a_terminal(scratch_config, "j", edit)
        assert code == 0 and "5 sent" in shown, shown
        sent = _attachments(server)
    assert sorted(server.recorder.recipients()) == sorted(RECIPIENTS)
    assert len(sent) == 5 and set(sent) == {made[0]}                 # the file as made went out
    copy = folder / ".versjoner" / "status-2014-08-29-versjon-1.docx"
    assert copy.read_bytes() == made[0]
    assert "(endret i Word)" not in all_text(copy)
    entry = json.loads(docx.with_suffix(".json").read_text(encoding="utf-8"))["versions"][-1]
    assert entry["copy"] == ".versjoner/status-2014-08-29-versjon-1.docx"
    assert entry["copy_sha256"] == _sha(made[0])
    (line,) = [x for x in shown.splitlines() if "status-2014-08-29.docx" in x and "not what was sent" in x]
    assert ".versjoner/status-2014-08-29-versjon-1.docx" in line, shown
    # as the refusal of a later send advises: move the edited file away and render again
    shutil.move(docx, tmp_path / "edited.docx")
    assert main(["--config", str(scratch_config), "render", *SEND[1:5]]) == 0
    entry = json.loads(docx.with_suffix(".json").read_text(encoding="utf-8"))["versions"][-1]
    assert entry["version"] == 1 and entry["copy_sha256"] == entry["file_sha256"] == _sha(made[0])
    assert docx.read_bytes() == made[0]                               # version 1 as it went out


def test_a_copy_changed_afterwards_is_named_and_not_resent(scratch_config, tmp_path, monkeypatch, capsys):
    """Text changed afterwards in '.versjoner/…-versjon-1.docx' was still listed by `grantflow sent`
    as version 1's copy. It is listed as altered, and `send --resend` of that version refuses in one
    line naming it; nothing reaches the server."""
    port = free_port()
    prompt_config(scratch_config, port)
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    folder = tmp_path / "outputs" / "kongsbergregionen" / "kongsbergregionen-erp"
    base = ["--config", str(scratch_config)]
    copy = folder / ".versjoner" / "status-2014-08-29-versjon-1.docx"
    with SmtpServer(port=port) as server:
        assert main([*base, *SEND, "--yes"]) == 0
        assert len(server.recorder.messages()) == 5
        assert copy.read_bytes() == folder.joinpath("status-2014-08-29.docx").read_bytes()
        _edit_in_word(copy, "ERP-prosjektet for 4 kommuner", "ERP-prosjektet (endret etterpå)")
        capsys.readouterr()
        monkeypatch.setenv("COLUMNS", "250")
        assert main([*base, "sent", "kongsbergregionen-erp"]) == 0
        out = capsys.readouterr().out
        (line,) = [x for x in out.splitlines() if ".versjoner/status-2014-08-29-versjon-1.docx" in x]
        assert "v1:" in line and "versjon-1.docx – altered after it was sent" in line, out
        assert main([*base, *SEND, "--yes", "--resend"]) != 0
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1, err
        assert "versjon-1.docx) is no longer what went out: altered after it was sent" in err and "nothing sent" in err, err
        assert len(server.recorder.messages()) == 5                   # nothing more went out
