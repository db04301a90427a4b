"""Two `grantflow send` processes for the same document at the same moment, against a real SMTP
server (aiosmtpd on 127.0.0.1): every recipient gets the document exactly once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections import Counter
from pathlib import Path

from grantflow.delivery.ledger import SentLedger

from ..conftest import replace_in
from ..smtp_server import Recorder, SmtpServer, free_port

GRANTFLOW = Path(sys.executable).parent / "grantflow"


class SlowRecorder(Recorder):
    """Takes a moment per message so that the two senders really overlap."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.15)
        return await super().handle_DATA(server, session, envelope)


def smtp_config(scratch_config: Path, port: int) -> None:
    path = scratch_config / "grantflow.yaml"
    replace_in(path, "host: smtp.example.no", "host: 127.0.0.1")
    replace_in(path, "port: 587", f"port: {port}")
    replace_in(path, "security: starttls ", "security: none\n    allow_insecure_localhost: true ")
    replace_in(path, "username: grantflow@regionrad.example.no", "username: null")
    replace_in(path, "backoff_seconds: [2, 5, 15]", "backoff_seconds: [0.2, 0.2, 0.2]")


def test_two_processes_send_each_recipient_once(scratch_config, tmp_path):
    port = free_port()
    smtp_config(scratch_config, port)
    env = {"GRANTFLOW_OUTPUTS": str(tmp_path / "outputs"), "PATH": str(GRANTFLOW.parent)}
    import os
    env = dict(os.environ, **env)
    command = [str(GRANTFLOW), "--config", str(scratch_config), "send", "status", "haugaland-velferdsteknologi",
               "--as-of", "2016-10-07", "--transport", "smtp"]
    # the document exists before the race: both senders deliver the same version
    made = subprocess.run([str(GRANTFLOW), "--config", str(scratch_config), "render", "status",
                           "haugaland-velferdsteknologi", "--as-of", "2016-10-07"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    server = SmtpServer(port=port)
    server.recorder = SlowRecorder()
    server.controller.handler = server.recorder
    with server:
        procs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        outs = [p.communicate(timeout=180) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, out + err
    arrived = Counter(r.casefold() for r in server.recorder.recipients())
    assert len(arrived) == 7, arrived
    assert set(arrived.values()) == {1}, arrived            # nobody twice
    # both worked: the second skipped who the first had claimed (or all of them)
    assert sum(int(o.split(": ", 1)[1].split(" sent")[0]) for o, _ in outs) == 7, outs
    ledger = SentLedger(f"sqlite:///{tmp_path / 'outputs' / 'sent.db'}")
    try:
        rows = ledger.rows()
    finally:
        ledger.close()
    assert sorted(r.status for r in rows) == ["sent"] * 7
