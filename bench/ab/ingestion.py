"""A/B of the ledger reader: bare pandas, grantflow's reader as on a git revision (default main)
and as in this checkout, interleaved (bare, before, after, bare, ...), medians of wall time and of
CPU time (every thread's: the figure to read on a busy machine).

    python bench/ab/ingestion.py ROUNDS_SHARED ROUNDS_FILES [REVISION]

On the data set bench/run.py makes (bench/.data/set): the 1 M-row shared export to per-project/
category/year sums (as written, and with every field quoted: ROUNDS_SHARED rounds each), and 500
per-project files to per-category/year sums."""
import glob, importlib.util, statistics, subprocess, sys, tempfile, time
from pathlib import Path
import pandas as pd
from grantflow import data
ROOT = Path(__file__).resolve().parents[2]
SET = ROOT / "bench/.data/set"
keys = ["Prosjekt", "År", "Kategori"]
shared = SET / "shared-ledger.csv"
quoted = SET / "shared-ledger-quoted.csv"          # bench/run.py --parts ingestion writes it
files = sorted(glob.glob(str(SET / "config/data/*/regnskap*.csv")))[:500]
revision = sys.argv[3] if len(sys.argv) > 3 else "main"
source = subprocess.run(["git", "-C", str(ROOT), "show", f"{revision}:grantflow/data.py"], capture_output=True,
                        text=True, check=True).stdout
with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
    fh.write(source)
spec = importlib.util.spec_from_file_location("grantflow._data_before", fh.name)
before = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = before
spec.loader.exec_module(before)


def ours(module, which):
    if which in ("shared", "quoted"):
        return module.read_ledger(shared if which == "shared" else quoted).frame.groupby(keys)["Beløp"].sum()
    return pd.concat([module.read_ledger(Path(f)).frame.groupby(keys[1:])["Beløp"].sum() for f in files])


def bare(which):
    if which in ("shared", "quoted"):
        return pd.read_csv(shared if which == "shared" else quoted, sep=";", decimal=",").groupby(keys)["Beløp"].sum()
    return pd.concat([pd.read_csv(f, sep=";", decimal=",").groupby(keys[1:])["Beløp"].sum() for f in files])


for which, rounds in (("shared", int(sys.argv[1])), ("quoted", int(sys.argv[1])), ("files", int(sys.argv[2]))):
    if not rounds:
        continue
    funcs = {"bare": lambda: bare(which), "before": lambda: ours(before, which), "after": lambda: ours(data, which)}
    ref = {k: f() for k, f in funcs.items()}
    same = all(abs(float(v.sum()) - float(ref["bare"].sum())) < 1 for v in ref.values())
    runs, cpu = {k: [] for k in funcs}, {k: [] for k in funcs}
    for _ in range(rounds):
        for k, f in funcs.items():
            t, c = time.perf_counter(), time.process_time()
            f()
            runs[k].append(time.perf_counter() - t)
            cpu[k].append(time.process_time() - c)      # every thread's: the figure on a busy machine
    m = {k: statistics.median(v) for k, v in runs.items()}
    print(which, len(files) if which == "files" else 1, "rounds", rounds, {k: round(v, 3) for k, v in m.items()},
          "before/bare", round(m["before"] / m["bare"], 2), "after/bare", round(m["after"] / m["bare"], 2),
          "same sums", same, "load", open("/proc/loadavg").read().split()[:3], flush=True)
    c = {k: statistics.median(v) for k, v in cpu.items()}
    print("  CPU time", {k: round(v, 3) for k, v in c.items()}, "before/bare", round(c["before"] / c["bare"], 2),
          "after/bare", round(c["after"] / c["bare"], 2), flush=True)
