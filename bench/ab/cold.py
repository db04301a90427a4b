"""A/B of `grantflow render status P` cold in a new process: a git revision (default main) against
this checkout, interleaved (A B A B ...), medians of wall and CPU time.

    python bench/ab/cold.py ROUNDS [REVISION] [FOLDER]

FOLDER (default this checkout) is the "after": another checkout to compare, e.g. an experiment.

On the 1 000-project data set bench/run.py makes (bench/.data/set). The revision is exported with
`git archive` to a temporary folder; both run through the venv's `grantflow` script with
PYTHONPATH pointing at their checkout. Each is measured two ways, as `bench/run.py --parts cold`
does: "source" (PYTHONDONTWRITEBYTECODE=1, this machine's setting: whatever bytecode the
checkout holds is read, none is written) and "bytecode" (a PYTHONPYCACHEPREFIX of its own,
written once before the rounds, as on a machine that writes bytecode at the first start). CPU
time (user + system of the child) is printed beside wall time: on a shared machine it moves less
with the load than wall time does. The documents both write are compared part by part
(docProps/core.xml, which holds the time of writing, left out)."""
import io, os, resource, shutil, statistics, subprocess, sys, tempfile, time, zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "bench/.data/set/config"
GRANTFLOW = Path(sys.executable).parent / "grantflow"
rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
revision = sys.argv[2] if len(sys.argv) > 2 else "main"
pid = sorted(p.stem for p in (CONFIG / "projects").iterdir())[0]
work = Path(tempfile.mkdtemp(prefix="cold-ab-"))
before = work / "before"
before.mkdir()
subprocess.run(f"git -C {ROOT} archive {revision} | tar -x -C {before}", shell=True, check=True)
after = Path(sys.argv[3]).resolve() if len(sys.argv) > 3 else ROOT
checkouts = {"before": before, "after": after}
stray = [p for p in (after / "grantflow").rglob("__pycache__")]
if stray:
    print(f"note: this checkout holds bytecode ({len(stray)} __pycache__ folders): 'after source' reads it")


def env(name: str, mode: str) -> dict:
    e = dict(os.environ, PYTHONPATH=str(checkouts[name]), PYTHONDONTWRITEBYTECODE="1",
             GRANTFLOW_LEDGER_URL=f"sqlite:///{work / 'sent.db'}")
    if mode == "bytecode":
        e.pop("PYTHONDONTWRITEBYTECODE")
        e["PYTHONPYCACHEPREFIX"] = str(work / f"pyc-{name}")
    return e


def render(name: str, mode: str, out: Path) -> tuple[float, float]:
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([str(GRANTFLOW), "--config", str(CONFIG), "render", "status", pid, "--as-of", "2025-03-31",
                    "--out", str(out)], check=True, capture_output=True, env=env(name, mode))
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)


def parts(docx) -> dict:
    """A package's parts, embedded workbooks opened too, without docProps/core.xml (time of writing)."""
    with zipfile.ZipFile(docx) as z:
        return {n: parts(io.BytesIO(z.read(n))) if n.endswith(".xlsx") else z.read(n)
                for n in z.namelist() if n != "docProps/core.xml"}


variants = [(n, m) for m in ("source", "bytecode") for n in checkouts]
first = {}
for name, mode in variants:                 # writes the bytecode of the "bytecode" variants once
    render(name, mode, work / f"first-{name}-{mode}")
    [docx] = (work / f"first-{name}-{mode}").rglob("*.docx")
    first[name] = parts(docx)
print("same document from both:", first["before"] == first["after"],
      [n for n in set(first["before"]) | set(first["after"]) if first["before"].get(n) != first["after"].get(n)])
load = [open("/proc/loadavg").read().split()[:3]]
times = {v: [] for v in variants}
for r in range(rounds):
    for v in variants:
        times[v].append(render(*v, work / f"run-{r}-{v[0]}-{v[1]}"))
    load.append(open("/proc/loadavg").read().split()[:3])
print(f"project {pid}, {rounds} interleaved rounds, load average (1/5/15 min) at the start {load[0]}, "
      f"at the end {load[-1]}, highest 1-min {max(float(x[0]) for x in load)}")
for v in variants:
    wall = statistics.median(t[0] for t in times[v])
    cpu = statistics.median(t[1] for t in times[v])
    print(f"  {v[0]:6s} {v[1]:8s} wall {wall:.3f} s  cpu {cpu:.3f} s   walls {[round(t[0], 2) for t in times[v]]}")
shutil.rmtree(work)                          # ~55 MB: two checkouts, their bytecode, 4 x ROUNDS documents
