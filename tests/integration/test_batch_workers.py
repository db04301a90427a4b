"""The batch flow on Prefect's embedded server with two worker processes: the workers talk to the
parent's server, so exactly one Prefect server process runs for the whole batch (seen from the
process table while it runs), the two workers are already started when the flow reads the register
(their start, ~1.5 s of imports, overlaps that reading), and every document is made."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ..conftest import CONFIG, ROOT

pytestmark = pytest.mark.integration

SCRIPT = textwrap.dedent("""
    import json, sys

    def workers():
        # this process's pool workers (spawned children) running now
        import os
        from pathlib import Path
        found = 0
        for entry in Path("/proc").iterdir():
            try:
                ppid = [l for l in (entry / "status").read_text().splitlines() if l.startswith("PPid:")]
                command = (entry / "cmdline").read_bytes()
            except (OSError, NotADirectoryError):
                continue
            found += bool(ppid) and int(ppid[0].split()[1]) == os.getpid() and b"spawn_main" in command
        return found

    def main():
        from flows.runtime import one_shot, quiet_environment
        quiet_environment()
        import flows.batch
        from flows.batch import make_batch
        from flows.documents import DeliveryOptions
        seen = []
        select = flows.batch.select_projects
        def select_projects(*args):   # when the flow reads the register: are the workers up?
            seen.append(workers())
            return select(*args)
        flows.batch.select_projects = select_projects
        with one_shot():
            result = make_batch(2, "processes")(
                kind="status", chunk=1,
                options=DeliveryOptions(config=sys.argv[1], out=sys.argv[2], send=False))
        print("RESULT " + json.dumps({"documents": result["documents"], "workers_at_select": seen,
                                      "errors": [e["error"] for e in result["errors"]]}))

    if __name__ == "__main__":
        main()
""")


def descendants(root: int) -> dict[int, str]:
    """pid -> command line of every process below ``root``."""
    parents, commands = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            commands[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        parents[int(entry.name)] = int(next(line.split()[1] for line in status.splitlines()
                                            if line.startswith("PPid:")))
    out = {}
    for pid in parents:
        up = pid
        while up in parents and up not in (0, 1):
            up = parents[up]
            if up == root:
                out[pid] = commands[pid]
                break
    return out


@pytest.mark.skipif(not Path("/proc").exists(), reason="needs /proc")
def test_workers_share_the_parents_embedded_server(tmp_path):
    script = tmp_path / "run_batch.py"
    script.write_text(SCRIPT, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="180", PYTHONPATH=str(ROOT),
               GRANTFLOW_LEDGER_URL=f"sqlite:///{tmp_path / 'sent.db'}")
    proc = subprocess.Popen([sys.executable, str(script), str(CONFIG), str(tmp_path / "out")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    servers, workers = set(), set()
    deadline = time.monotonic() + 400
    while proc.poll() is None and time.monotonic() < deadline:
        for pid, command in descendants(proc.pid).items():
            if "prefect.server.api.server:create_app" in command:
                servers.add(pid)
            elif "multiprocessing" in command and "spawn_main" in command:
                workers.add(pid)
        time.sleep(0.2)
    if proc.poll() is None:
        proc.kill()
    output = proc.communicate()[0]
    assert proc.returncode == 0, output[-3000:]
    result = [line for line in output.splitlines() if line.startswith("RESULT ")]
    assert result and '"documents": 3' in result[0] and '"errors": []' in result[0], output[-3000:]
    assert len(workers) >= 2, (workers, output[-2000:])      # the pool really had two processes
    assert len(servers) == 1, servers                         # ... and they used the parent's server
    # the workers were started before the flow read the register, so their imports overlap it
    assert '"workers_at_select": [2]' in result[0], result[0]
    made = sorted(p.name for p in (tmp_path / "out").rglob("*.docx"))
    assert len(made) == 3, made
