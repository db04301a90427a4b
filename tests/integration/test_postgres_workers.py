"""Scale-out path: PostgreSQL on 127.0.0.1, the Prefect server on it, two process workers, the
batch flow for 100 projects, the sent ledger on PostgreSQL. Stops everything it started."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from ..conftest import ROOT
from ..smtp_server import free_port
from .test_prefect_server import BIN, healthy

pytestmark = pytest.mark.integration


def pg_bin() -> Path | None:
    for candidate in [shutil.which("initdb"), *sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))]:
        if candidate:
            return Path(candidate).resolve().parent
    return None


def ensure_postgres() -> Path:
    """PostgreSQL's binaries, installed from Debian's packages when missing."""
    found = pg_bin()
    if found is None and shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "update", "-q"], capture_output=True, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-q", "postgresql"], capture_output=True, timeout=900,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        found = pg_bin()
    if found is None:
        pytest.skip("PostgreSQL is not installed and could not be installed here")
    return found


def as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its binaries as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="module")
def postgres(tmp_path_factory):
    bin_dir = ensure_postgres()
    # Not under pytest's tmp dir: that is private to root, and the server runs as postgres.
    base = Path(tempfile.mkdtemp(prefix="grantflow-pg-"))
    data = base / "data"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(data, "postgres")
    port = free_port()
    subprocess.run(as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-U", "grantflow", "--auth=trust",
                                "-E", "UTF8"]), check=True, capture_output=True, timeout=120)
    server = subprocess.Popen(as_postgres([str(bin_dir / "postgres"), "-D", str(data), "-h", "127.0.0.1",
                                           "-p", str(port), "-k", str(base), "-c", "max_connections=200"]),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(120):
            ready = subprocess.run([str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                                   capture_output=True)
            if ready.returncode == 0:
                break
            time.sleep(0.5)
        for db in ("prefect", "ledger"):
            subprocess.run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "grantflow", db],
                           check=True, capture_output=True, timeout=60)
        yield {"port": port}
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(base, ignore_errors=True)


def test_batch_on_prefect_with_postgres_and_two_workers(postgres, tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    from run import make_data

    config = make_data(tmp_path / "set", councils=5, per_council=20, milestones=6, rows=200)
    outputs = tmp_path / "outputs"
    port = postgres["port"]
    api_port = free_port()
    api = f"http://127.0.0.1:{api_port}/api"
    ledger_url = f"postgresql+psycopg://grantflow@127.0.0.1:{port}/ledger"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_API_URL=api,
               PREFECT_API_DATABASE_CONNECTION_URL=f"postgresql+asyncpg://grantflow@127.0.0.1:{port}/prefect",
               GRANTFLOW_OUTPUTS=str(outputs), GRANTFLOW_LEDGER_URL=ledger_url, GRANTFLOW_CONFIG=str(config),
               PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
    started = []
    logs = []

    def start(args, name):
        log = open(tmp_path / f"{name}.log", "wb")
        logs.append(log)
        proc = subprocess.Popen([str(BIN / "prefect"), *args], env=env, cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT)
        started.append(proc)
        return proc

    def prefect(*args, timeout=600):
        return subprocess.run([str(BIN / "prefect"), "--no-prompt", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout)

    try:
        server = start(["server", "start", "--host", "127.0.0.1", "--port", str(api_port)], "server")
        deadline = time.monotonic() + 240
        while not healthy(api):
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            assert time.monotonic() < deadline
            time.sleep(0.5)
        assert prefect("work-pool", "create", "grantflow", "--type", "process").returncode == 0
        deployed = prefect("deploy", "--name", "batch")
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        start(["worker", "start", "--pool", "grantflow", "--name", "worker-1"], "worker-1")
        start(["worker", "start", "--pool", "grantflow", "--name", "worker-2"], "worker-2")
        options = json.dumps({"send": True, "transport": "outbox", "config": str(config)})
        runs = []
        for council in ("rad-000", "rad-001", "rad-002", "rad-003", "rad-004"):
            runs.append(prefect("deployment", "run", "batch/batch", "--param", "kind=status",
                                "--param", f"council={council}", "--param", "as_of=2025-03-31",
                                "--param", f"options={options}"))
        assert all(r.returncode == 0 for r in runs), [r.stdout + r.stderr for r in runs]
        docs: list[Path] = []
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            docs = sorted(outputs.glob("*/*/status-*.docx"))
            listing = prefect("flow-run", "ls", "--state", "COMPLETED", "--limit", "20")
            if len(docs) >= 100 and listing.stdout.count("batch-rad") >= 5:
                break
            failed = prefect("flow-run", "ls", "--state", "FAILED", "--state", "CRASHED", "--limit", "5")
            assert "batch-rad" not in failed.stdout, (
                failed.stdout + (tmp_path / "worker-1.log").read_text()[-4000:]
                + (tmp_path / "worker-2.log").read_text()[-4000:])
            time.sleep(5)
        assert len(docs) == 100, (tmp_path / "worker-1.log").read_text()[-3000:]
        for doc in docs:
            record = json.loads(doc.with_suffix(".json").read_text(encoding="utf-8"))
            assert [v["version"] for v in record["versions"]] == [1], doc     # produced exactly once
        worker_logs = (tmp_path / "worker-1.log").read_text() + (tmp_path / "worker-2.log").read_text()
        assert "worker-1" in worker_logs and "worker-2" in worker_logs
    finally:
        for proc in reversed(started):
            proc.terminate()
        for proc in started:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in logs:
            log.close()

    from sqlalchemy import create_engine, text

    engine = create_engine(ledger_url)
    with engine.connect() as conn:
        rows = conn.execute(text("select document, recipient, status from deliveries")).all()
    engine.dispose()
    assert len(rows) == 100 * 6                                  # 5 steering-group members + the leader
    assert len({(r[0], r[1]) for r in rows}) == len(rows)        # one row per delivery
    assert {r[2] for r in rows} == {"sent"}
    assert len(list((outputs / "outbox").glob("*.eml"))) == 600


def test_two_senders_on_postgres_send_each_recipient_once(postgres, scratch_config, tmp_path):
    """The ledger claim on PostgreSQL: two `grantflow send` at once, each recipient once."""
    from sqlalchemy import create_engine, text

    from ..delivery.test_concurrent_send import race

    admin = create_engine(f"postgresql+psycopg://grantflow@127.0.0.1:{postgres['port']}/postgres",
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE race"))
    admin.dispose()
    arrived = race(scratch_config, tmp_path, f"postgresql+psycopg://grantflow@127.0.0.1:{postgres['port']}/race")
    assert len(arrived) == 7 and set(arrived.values()) == {1}, arrived
