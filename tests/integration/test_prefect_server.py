"""A real `prefect server start` on 127.0.0.1, `prefect deploy --all`, a process worker, and
triggered deployments that produce documents. Stops everything it started."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ..conftest import ROOT
from ..smtp_server import free_port

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("prefect-home")
    work = tmp_path_factory.mktemp("work")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_API_URL=api,
               GRANTFLOW_OUTPUTS=str(work / "outputs"), GRANTFLOW_LEDGER_URL=f"sqlite:///{work / 'sent.db'}",
               PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
    log = open(work / "server.log", "wb")
    proc = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=work)
    started = []
    try:
        deadline = time.monotonic() + 180
        while not healthy(api):
            assert proc.poll() is None, (work / "server.log").read_text()
            assert time.monotonic() < deadline, "prefect server did not start"
            time.sleep(0.5)
        yield {"env": env, "work": work, "api": api, "started": started}
    finally:
        for p in started:
            p.terminate()
        proc.terminate()
        for p in [*started, proc]:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        log.close()


def prefect(server, *args, timeout=300):
    return subprocess.run([str(BIN / "prefect"), "--no-prompt", *args], env=server["env"], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def test_deploy_all_worker_runs_deployments(server):
    created = prefect(server, "work-pool", "create", "grantflow", "--type", "process")
    assert created.returncode == 0, created.stdout + created.stderr
    deployed = prefect(server, "deploy", "--all")
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    for name in ("deadline_watch/deadline-watch", "status_report/status-report", "cost_split/cost-split",
                 "grant_usage_report/grant-usage-report", "application/application", "final_report/final-report",
                 "batch/batch"):
        assert f"'{name}'" in deployed.stdout
    watch = prefect(server, "deployment", "inspect", "deadline_watch/deadline-watch")
    assert "0 7 * * 1-5" in watch.stdout and "Europe/Oslo" in watch.stdout

    worker_log = open(server["work"] / "worker.log", "wb")
    worker = subprocess.Popen([str(BIN / "prefect"), "worker", "start", "--pool", "grantflow"],
                              env=server["env"], cwd=server["work"], stdout=worker_log, stderr=subprocess.STDOUT)
    server["started"].append(worker)

    run = prefect(server, "deployment", "run", "cost_split/cost-split", "--watch", "--watch-timeout", "240")
    assert run.returncode == 0 and "Completed" in run.stdout, run.stdout + run.stderr
    outputs = server["work"] / "outputs"
    assert (outputs / "haugaland-vekst/haugaland-velferdsteknologi/costsplit-2015-2016.docx").exists()

    run = prefect(server, "deployment", "run", "deadline_watch/deadline-watch", "--param", "as_of=2016-10-07",
                  "--watch", "--watch-timeout", "240")
    assert run.returncode == 0 and "Completed" in run.stdout, run.stdout + run.stderr
    assert (outputs / "haugaland-vekst/haugaland-velferdsteknologi/status-2016-10-07.docx").exists()
    assert len(list((outputs / "outbox").glob("*.eml"))) == 7 + 7       # cost split + status report

    # `grantflow run` goes through the server when PREFECT_API_URL is set
    cli = subprocess.run([str(BIN / "grantflow"), "run", "costsplit", "kongsbergregionen-erp", "--year", "2014"],
                         env=server["env"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert cli.returncode == 0 and "Completed" in cli.stdout, cli.stdout + cli.stderr
    assert (outputs / "kongsbergregionen/kongsbergregionen-erp/costsplit-2014.docx").exists()
