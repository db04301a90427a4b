import glob, statistics, sys, time
from pathlib import Path
import pandas as pd
from grantflow import data
keys = ["Prosjekt", "År", "Kategori"]
shared = Path(str(Path(__file__).resolve().parents[1] / ".data/set") + "/shared-ledger.csv")
files = sorted(glob.glob(str(Path(__file__).resolve().parents[1] / ".data/set") + "/config/data/*/*ledger*.csv")
               or glob.glob(str(Path(__file__).resolve().parents[1] / ".data/set") + "/config/data/*/regnskap*.csv"))[:500]
quick_min, quick_distinct = data.ARROW_MIN_BYTES, data._read_distinct
def mode(before):
    data.ARROW_MIN_BYTES = 1 << 62 if before else quick_min
    data._read_distinct = (lambda *a: None) if before else quick_distinct
def ours(before, which):
    mode(before)
    if which == "shared":
        return data.read_ledger(shared).frame.groupby(keys)["Beløp"].sum()
    return pd.concat([data.read_ledger(Path(f)).frame.groupby(keys[1:])["Beløp"].sum() for f in files])
def bare(which):
    if which == "shared":
        return pd.read_csv(shared, sep=";", decimal=",").groupby(keys)["Beløp"].sum()
    return pd.concat([pd.read_csv(f, sep=";", decimal=",").groupby(keys[1:])["Beløp"].sum() for f in files])
for which, rounds in (("shared", int(sys.argv[1])), ("files", int(sys.argv[2]))):
    funcs = {"bare": lambda: bare(which), "before": lambda: ours(True, which), "after": lambda: ours(False, which)}
    ref = {k: f() for k, f in funcs.items()}
    same = all(abs(float(v.sum()) - float(ref["bare"].sum())) < 1 for v in ref.values())
    runs = {k: [] for k in funcs}
    for _ in range(rounds):
        for k, f in funcs.items():
            t = time.perf_counter(); f(); runs[k].append(time.perf_counter() - t)
    m = {k: statistics.median(v) for k, v in runs.items()}
    print(which, len(files) if which == "files" else 1, {k: round(v, 3) for k, v in m.items()},
          "before/bare", round(m["before"] / m["bare"], 2), "after/bare", round(m["after"] / m["bare"], 2),
          "same sums", same, "load", open("/proc/loadavg").read().split()[:3], flush=True)
