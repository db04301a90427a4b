"""A real `prefect server start` on 127.0.0.1, one per test module (modules deploy the same names,
so they do not share one); stopped at the end of the module with everything started against it."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ..conftest import ROOT
from ..smtp_server import free_port

BIN = Path(sys.executable).parent


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _retrying(call):
    """Prefect's own client retries 429/502/503 (a server on a busy machine answers 503 while its
    database is locked); these raw REST calls do the same, for up to ~30 s."""
    for attempt in range(16):
        try:
            return call()
        except urllib.error.HTTPError as exc:
            if exc.code not in (429, 502, 503) or attempt == 15:
                raise
            time.sleep(2)


def api_post(api: str, path: str, body: dict | None = None):
    """POST to the Prefect REST API (filters are POSTs); the decoded JSON answer."""
    def call():
        request = urllib.request.Request(api + path, data=json.dumps(body or {}).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")
    return _retrying(call)


def api_get(api: str, path: str):
    """GET from the Prefect REST API. A GET is safe to repeat: one that times out (the server's
    SQLite busy on a loaded machine; seen once in 1 393 tests while other work shared the cores) is
    asked again, twice at most."""
    def call():
        for attempt in range(3):
            try:
                with urllib.request.urlopen(api + path, timeout=30) as response:
                    return json.loads(response.read())
            except TimeoutError:
                if attempt == 2:
                    raise
    return _retrying(call)


def stop(*procs) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("prefect-home")
    work = tmp_path_factory.mktemp("work")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_API_URL=api,
               PREFECT_UI_URL=f"http://127.0.0.1:{port}",
               # pick up due runs within seconds (defaults: 10-15 s)
               PREFECT_RUNNER_POLL_FREQUENCY="2", PREFECT_WORKER_QUERY_SECONDS="2",
               # no watch for today's real date when serve starts (tests run the watch for their dates)
               GRANTFLOW_WATCH_CATCH_UP="0",
               GRANTFLOW_OUTPUTS=str(work / "outputs"), GRANTFLOW_LEDGER_URL=f"sqlite:///{work / 'sent.db'}",
               PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
    procs = [start_server(env, port, work)]
    started: list[subprocess.Popen] = []

    def kill_and_restart() -> None:
        """The server killed (-9, as in a power cut: nothing kept that lives in its memory) and
        started again on the same port and database."""
        procs[0].kill()
        procs[0].wait()
        procs[0] = start_server(env, port, work)

    try:
        yield {"env": env, "work": work, "api": api, "started": started, "log": work / "server.log",
               "kill_and_restart": kill_and_restart}
    finally:
        stop(*started, procs[0])


def start_server(env: dict, port: int, work: Path) -> subprocess.Popen:
    """`prefect server start` on 127.0.0.1:port (its database in env's PREFECT_HOME), once it answers;
    its output appended to work/server.log."""
    api = f"http://127.0.0.1:{port}/api"
    with open(work / "server.log", "ab") as log:
        proc = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                                env=env, stdout=log, stderr=subprocess.STDOUT, cwd=work)
    deadline = time.monotonic() + 180
    while not healthy(api):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise AssertionError("prefect server did not start:\n" + (work / "server.log").read_text()[-3000:])
        time.sleep(0.5)
    return proc


def prefect(server, *args, timeout=300):
    return subprocess.run([str(BIN / "prefect"), "--no-prompt", *args], env=server["env"], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


@contextlib.contextmanager
def serving_over_smtp(server: dict, tmp_path_factory, name: str, ready: str, serve_env: dict | None = None):
    """SMTP on 127.0.0.1, a copy of the demo config that sends through it, and `grantflow serve` on
    the module's server, up once the deployment ``ready`` (flow/deployment) is registered.
    ``serve_env``: more environment for the serve process alone."""
    import shutil

    import yaml

    from ..conftest import CONFIG
    from ..smtp_server import SmtpServer

    config = tmp_path_factory.mktemp(name) / "config"
    shutil.copytree(CONFIG, config)
    settings = yaml.safe_load((config / "grantflow.yaml").read_text(encoding="utf-8"))
    port = free_port()
    settings["delivery"].update(transport="smtp", smtp={"host": "127.0.0.1", "port": port, "security": "none",
                                                        "allow_insecure_localhost": True},
                                retry={"attempts": 2, "backoff_seconds": [0.5]},
                                # the ERP project (no skjønnsmidler) is these tests' clean external case:
                                # the county governor named in config gets its documents as before
                                recipients={"application": {"to": ["county_governor"], "cc": ["steering_group_leader"]},
                                            "final": {"to": ["county_governor"], "cc": ["steering_group_leader"]},
                                            "usage": {"to": ["county_governor"], "cc": ["secretariat"]}})
    (config / "grantflow.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    env = dict(server["env"], GRANTFLOW_CONFIG=str(config))
    log = server["work"] / f"serve-{name}.log"
    with SmtpServer(port=port) as smtp, open(log, "wb") as out:
        # serve is given the config as an option (the commands below find it in GRANTFLOW_CONFIG):
        # the runs it starts must read the same one, not ./config
        proc = subprocess.Popen([str(BIN / "grantflow"), "--config", str(config), "serve"],
                                env=dict(server["env"], **(serve_env or {})), cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 180
            while True:
                assert proc.poll() is None, log.read_text()
                try:
                    api_get(server["api"], f"/deployments/name/{ready}")
                    break
                except OSError:
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(1)
            yield {"api": server["api"], "smtp": smtp, "env": env, "config": config, "log": log}
        finally:
            stop(proc)
