"""Cold `grantflow render status P` in a new process: whole register (before) vs the project's part (after)."""
import os, statistics, subprocess, sys, tempfile, time
from pathlib import Path
CONFIG = str(Path(__file__).resolve().parents[1] / ".data/set/config")
PY = sys.executable
pid = sorted(os.listdir(CONFIG + "/projects"))[0].rsplit(".", 1)[0]
CODE = """
import sys
import grantflow.register as r
if sys.argv[1] == 'before':
    r.open_project_register = lambda path, pid: r.open_register(path)
from grantflow.cli import main
sys.exit(main(sys.argv[2:]))
"""
env = dict(os.environ, GRANTFLOW_LEDGER_URL="sqlite:///" + CONFIG + "/../cold-sent.db")
def run(mode):
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        subprocess.run([PY, "-c", CODE, mode, "--config", CONFIG, "render", "status", pid, "--as-of", "2025-03-31",
                        "--out", tmp], check=True, capture_output=True, env=env)
        return time.perf_counter() - t
def bare():
    t = time.perf_counter(); subprocess.run([PY, "-c", "pass"], check=True); return time.perf_counter() - t
runs = {"before": [], "after": [], "python": []}
run("after")
for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 5):
    for k in runs:
        runs[k].append(run(k) if k != "python" else bare())
print({k: round(statistics.median(v), 3) for k, v in runs.items()}, {k: [round(x, 2) for x in v] for k, v in runs.items()})
print("load", open("/proc/loadavg").read().strip())
