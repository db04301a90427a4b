"""Stopping `grantflow serve` (Ctrl-C, or SIGTERM as systemd stops a service) while a run is
mailing its document: the operator sees one plain line saying what happens, never a traceback; serve
exits 0 once the run under way has finished, and the run has delivered to everyone.

Before, SIGTERM printed asyncio's traceback (Prefect's runner raised SystemExit from inside the
event loop: "Exception in callback StreamReaderProtocol..." ... CancelledError) and Ctrl-C said
nothing while serve waited for the run."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import threading
import time

import pytest

from ..conftest import CONFIG, ROOT
from ..delivery.test_concurrent_send import smtp_config
from ..delivery.test_smtp_faults import serve as smtp_serve
from ..smtp_server import Recorder, free_port
from .conftest import BIN, api_get, stop

pytestmark = pytest.mark.integration


class HoldsFirstRecipient(Recorder):
    """Holds the first RCPT until released, then takes every message (a slow mail server)."""

    def __init__(self):
        super().__init__()
        self.asked, self.release = threading.Event(), threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.asked.set()
        while not self.release.is_set():
            await asyncio.sleep(0.05)
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_serve_stopped_while_a_run_mails_says_one_line_and_lets_the_run_finish(server, tmp_path, how):
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    port = free_port()
    smtp_config(config, port)
    env = dict(server["env"], GRANTFLOW_CONFIG=str(config), GRANTFLOW_OUTPUTS=str(tmp_path / "outputs"),
               GRANTFLOW_LEDGER_URL=f"sqlite:///{tmp_path / 'sent.db'}")
    log = tmp_path / "serve.log"
    handler = HoldsFirstRecipient()
    with smtp_serve(handler, port), open(log, "wb") as out:
        proc = subprocess.Popen([str(BIN / "grantflow"), "serve"], env=env, cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 240
            while True:      # until this serve has registered and polls
                assert proc.poll() is None, log.read_text()[-3000:]
                run = subprocess.run([str(BIN / "grantflow"), "run", "status", "haugaland-velferdsteknologi",
                                      "--as-of", "2016-10-07", "--transport", "smtp", "--yes", "--override-reason",
                                      "test", "--no-wait"], env=env, cwd=ROOT, capture_output=True, text=True,
                                     timeout=300)
                if ("nobody serves" not in run.stderr and "has no deployment" not in run.stderr) or \
                        time.monotonic() > deadline:
                    break
                time.sleep(2)
            assert run.returncode == 0, run.stderr
            run_id = run.stdout.split("(", 1)[1].split(")", 1)[0]
            assert handler.asked.wait(240), log.read_text()[-3000:]     # the run is mailing
            before = log.stat().st_size
            proc.send_signal(how)
            deadline = time.monotonic() + 120
            while b"stopping" not in log.read_bytes()[before:] and proc.poll() is None:
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.2)
            handler.release.set()
            code = proc.wait(timeout=300)
        finally:
            handler.release.set()
            stop(proc)
        after = log.read_bytes()[before:].decode()
    assert code == 0, after
    assert "Traceback" not in after and "Exception in callback" not in after, after
    (line,) = [line for line in after.splitlines() if "stopping" in line]
    name = signal.Signals(how).name
    assert line == (f"grantflow serve stopping ({name}): no new runs start; a run under way finishes first, "
                    "or ends as Crashed if the signal stopped it too"), after
    state = api_get(server["api"], f"/flow_runs/{run_id}")["state"]
    assert state["type"] == "COMPLETED", json.dumps(state)
    reports = [m for m in handler.messages() if m["Subject"].startswith("Statusrapport")]
    assert len({a.addr_spec.casefold() for m in reports for a in m["To"].addresses}) == 7
