"""A Prefect server grantflow starts stops when the process that started it dies, however it dies.

A local `grantflow run` (no PREFECT_API_URL) runs on Prefect's embedded server, a `python -m
uvicorn` child; `grantflow serve` starts `prefect server start`. Killed with -9 or SIGTERM, the
command left that server running for good (Prefect stops it at exit only), on 127.0.0.1 with its
database open, until someone found it. Real processes here: the command is started, its server
child found once it answers, the command killed, and the server must be gone within a generous
bound (polled; no speed is asserted).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request

import pytest

from ..conftest import ROOT
from ..smtp_server import free_port
from .conftest import BIN, stop

pytestmark = pytest.mark.integration


def _children(pid: int) -> list[int]:
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return []
    found = []
    for task in tasks:
        try:
            found += [int(c) for c in open(f"/proc/{pid}/task/{task}/children").read().split()]
        except FileNotFoundError:
            pass
    return found


def _cmdline(pid: int) -> list[str]:
    try:
        return open(f"/proc/{pid}/cmdline", "rb").read().decode().split("\0")
    except (FileNotFoundError, ProcessLookupError):
        return []


def _alive(pid: int) -> bool:
    """Running (a zombie no one has reaped yet has stopped: it holds no port and no database)."""
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _server_child(proc: subprocess.Popen, marks: tuple[str, ...], log, bound: float = 240) -> tuple[int, int]:
    """(pid, port) of ``proc``'s child whose command line holds ``marks``, once it answers."""
    deadline = time.monotonic() + bound
    while True:
        assert proc.poll() is None, log.read_text()[-3000:]
        for child in _children(proc.pid):
            args = _cmdline(child)
            if all(mark in args for mark in marks) and "--port" in args:
                port = int(args[args.index("--port") + 1])
                if _answers(port):
                    return child, port
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.2)


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not _alive(pid)


def _env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "home"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               GRANTFLOW_OUTPUTS=str(tmp_path / "outputs"), GRANTFLOW_LEDGER_URL=f"sqlite:///{tmp_path / 'sent.db'}",
               GRANTFLOW_WATCH_CATCH_UP="0", PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    return env


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_a_killed_local_run_takes_its_embedded_server_with_it(tmp_path, how):
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        run = subprocess.Popen([str(BIN / "grantflow"), "run", "status", "haugaland-velferdsteknologi",
                                "--as-of", "2016-10-07"], env=_env(tmp_path), cwd=ROOT, stdout=out,
                               stderr=subprocess.STDOUT)
    server = None
    try:
        server, port = _server_child(run, ("uvicorn", "prefect.server.api.server:create_app"), log)
        run.send_signal(how)
        run.wait(timeout=60)
        assert _gone_within(server, 60), f"the embedded server (pid {server}, port {port}) outlived its run"
        assert not _answers(port)
    finally:
        stop(run)
        if server and _alive(server):
            os.kill(server, signal.SIGKILL)


def test_a_killed_serve_takes_its_prefect_server_with_it(tmp_path):
    log = tmp_path / "serve.log"
    port = free_port()
    with open(log, "wb") as out:
        serve = subprocess.Popen([str(BIN / "grantflow"), "serve", "--port", str(port)], env=_env(tmp_path),
                                 cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    server = None
    try:
        server, _ = _server_child(serve, ("server", "start"), log)
        serve.kill()
        serve.wait(timeout=60)
        assert _gone_within(server, 60), f"serve's Prefect server (pid {server}, port {port}) outlived serve"
        assert not _answers(port)
    finally:
        stop(serve)
        if server and _alive(server):
            os.kill(server, signal.SIGKILL)
