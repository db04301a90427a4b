"""grantflow benchmarks: the pipeline against the raw floor, measured in one run.

    python bench/run.py                 # full: 50 councils x 20 projects, 1 000 status reports
    python bench/run.py --quick         # small: 5 x 20 projects, 100 status reports (a few minutes)

Synthetic data (each project: 20 milestones, 2 000 ledger rows) is written to bench/.data/.
Every measurement runs in its own process so peak memory (max RSS, worker processes included)
belongs to that measurement alone. Printed: each figure, and ratios against baselines measured
in the same run:
- floor: a bare loop that builds the same contexts and renders the same documents with
  docxtpl directly (grantflow's builders and renderer, no Prefect, no records);
- pipeline: the batch flow on the embedded Prefect server with 1 worker process, and with 2;
- growth: peak memory at N vs N/10 documents;
- ingestion: ledger CSV rows to per-project/category/year sums, grantflow's reader (with its
  parsing and validation) against bare pandas read_csv + groupby.
No assertion fails the run: targets are printed beside the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

AS_OF = "2025-03-31"


# ------------------------------------------------------------------ synthetic data

def make_data(folder: Path, councils: int, per_council: int, milestones: int, rows: int, seed: int = 7) -> Path:
    """Councils, projects and data files; reused when the same size already exists."""
    import numpy as np
    import pandas as pd
    import yaml

    stamp = folder / f"size-{councils}x{per_council}x{milestones}x{rows}"
    config = folder / "config"
    if stamp.exists():
        return config
    shutil.rmtree(folder, ignore_errors=True)
    (config / "councils").mkdir(parents=True)
    (config / "projects").mkdir(parents=True)
    rng = np.random.default_rng(seed)
    cats = ["Prosjektledelse", "Innkjøp og lisenser", "Kompetanse og samlinger"]
    days = pd.date_range("2024-01-01", "2025-12-31", freq="D")
    for c in range(councils):
        cid = f"rad-{c:03d}"
        members = [{"name": f"Kommune {c:03d}-{m}", "population": {2024: int(rng.integers(800, 40000)),
                                                                    2025: int(rng.integers(800, 40000))}}
                   for m in range(10)]
        council = {"id": cid, "name": f"Regionråd {c:03d}", "population_source": "syntetisk",
                   "secretariat": {"name": "Sekretariat", "email": f"post@{cid}.example.no"},
                   "county_governor": {"name": "Statsforvalteren", "email": "sf@example.no"},
                   "municipalities": members}
        (config / "councils" / f"{cid}.yaml").write_text(yaml.safe_dump(council, allow_unicode=True), "utf-8")
        for p in range(per_council):
            pid = f"{cid}-prosjekt-{p:02d}"
            data = config / "data" / pid
            data.mkdir(parents=True)
            ms = [{"number": i + 1, "date": (pd.Timestamp("2024-01-31") + pd.offsets.MonthEnd(i)).date(),
                   "event": f"Milepæl {i + 1} i prosjektet"} for i in range(milestones)]
            project = {
                "id": pid, "name": f"Prosjekt {p:02d} i regionråd {c:03d}", "council": cid,
                "owner": f"Regionråd {c:03d}", "responsible": "Rådmannsutvalget",
                "leader": {"name": "Prosjektleder", "email": f"pl@{pid}.example.no"},
                "steering_group": [{"name": f"Rådmann {m}", "role": "medlem", "email": f"r{m}@{cid}.example.no"}
                                   for m in range(5)],
                "municipalities": [m["name"] for m in members], "split": {"equal_percent": 30, "weight_year": 2024},
                "period": {"start": "2024-01-01", "end": "2025-12-31"},
                "summary": "Syntetisk prosjekt for ytelsesmåling.", "goals": {"main": ["Hovedmål"]},
                "milestones": ms,
                "risks": [{"risk": f"Risiko {k}", "probability": int(rng.integers(1, 6)),
                           "consequence": int(rng.integers(1, 6)), "mitigation": "Tiltak"} for k in range(4)],
                "budget": {"unit": 1, "costs": [{"category": cat, "amounts": {2024: 600000, 2025: 600000}}
                                                for cat in cats],
                           "financing": [{"source": "Skjønnsmidler", "kind": "skjønnsmidler", "funder": "sf",
                                          "amounts": {2024: 1000000}},
                                         {"source": "Kommunene", "kind": "kommunene"}]},
                "funders": [{"id": "sf", "name": "Statsforvalteren",
                             "grants": [{"year": 2024, "amount": 1000000, "reference": f"24/{p}"}]}],
                "meetings": {"dates": ["2025-04-07"], "lead_days": 7},
                "data": {"milestones": f"data/{pid}/milepaeler.csv", "ledger": f"data/{pid}/regnskap.csv"},
            }
            (config / "projects" / f"{pid}.yaml").write_text(
                yaml.safe_dump(project, allow_unicode=True, sort_keys=False), "utf-8")
            done = int(milestones * 0.6)
            mrows = ["Milepæl;Status;Faktisk dato;Kommentar"] + [
                f"{i + 1};{'ferdig' if i < done else 'ikke startet'};"
                f"{(ms[i]['date']).strftime('%d.%m.%Y') if i < done else ''};" for i in range(milestones)]
            (data / "milepaeler.csv").write_text("\n".join(mrows) + "\n", "utf-8")
            picked = days[rng.integers(0, len(days), rows)]
            ledger = pd.DataFrame({
                "Dato": picked.strftime("%d.%m.%Y"), "År": picked.year,
                "Kategori": np.array(cats)[rng.integers(0, len(cats), rows)], "Beskrivelse": "Faktura",
                "Beløp": np.char.replace(np.round(rng.uniform(100, 1200, rows), 2).astype(str), ".", ","),
                "Finansieringskilde": np.where(rng.random(rows) < 0.5, "sf", "Kommunene"), "Kreditnota": ""})
            ledger.to_csv(data / "regnskap.csv", sep=";", index=False)
    (config / "grantflow.yaml").write_text("outputs: outputs\n", "utf-8")
    # One shared export of 1 M rows (an accounting system's ledger with a Prosjekt column).
    parts, total = [], 0
    for path in sorted((config / "data").glob("*/regnskap.csv")):
        frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
        frame["Prosjekt"] = path.parent.name
        parts.append(frame)
        total += len(frame)
        if total >= 1_000_000:
            break
    shared = pd.concat(parts)
    while len(shared) < 1_000_000:
        shared = pd.concat([shared, shared])
    shared.iloc[:1_000_000].to_csv(folder / "shared-ledger.csv", sep=";", index=False)
    stamp.touch()
    return config


# ------------------------------------------------------------------ measurements (child processes)

def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def measure_floor(config: Path, out: Path, n: int) -> dict:
    """Bare loop: same collection, same contexts, same templates, docxtpl directly."""
    from datetime import date

    from grantflow.data import collect
    from grantflow.documents import KINDS
    from grantflow.documents.common import DocumentRequest
    from grantflow.documents.render import render_docx, templates_dir
    from grantflow.register import open_register
    from grantflow.reporting import ReportPeriod

    start = time.perf_counter()
    register = open_register(config)
    kind = KINDS["status"]
    template = templates_dir() / kind.template
    as_of = date.fromisoformat(AS_OF)
    ids = sorted(register.projects)[:n]
    for pid in ids:
        project = register.projects[pid]
        council = register.councils[project.council]
        data = collect(register, project)
        request = DocumentRequest("status", council, project, ReportPeriod(AS_OF, project.period.start, as_of),
                                  as_of, as_of, data=data)
        target = out / council.id / pid / f"status-{AS_OF}.docx"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(render_docx(template, kind.build(request)))
    wall = time.perf_counter() - start
    return {"docs": len(ids), "wall": wall, "peak_mb": peak_rss_mb()}


def measure_pipeline(config: Path, out: Path, n: int, workers: int) -> dict:
    """The batch flow on the embedded Prefect server (ephemeral), `workers` processes."""
    from datetime import date

    from flows.runtime import one_shot, quiet_environment

    quiet_environment()
    from flows.batch import make_batch, select_projects
    from flows.documents import DeliveryOptions

    os.environ["GRANTFLOW_OUTPUTS"] = str(out)
    with one_shot():
        ids = select_projects(str(config), None, None, None)[:n]
        start = time.perf_counter()
        result = make_batch(workers, "processes")(
            kind="status", projects=ids, as_of=date.fromisoformat(AS_OF),
            options=DeliveryOptions(config=str(config), out=str(out), send=False))
        wall = time.perf_counter() - start
    return {"docs": result["documents"], "errors": len(result["errors"]), "wall": wall, "peak_mb": peak_rss_mb()}


def measure_prefect_start() -> dict:
    """How long the embedded server takes before the first flow runs (paid once per process)."""
    from flows.runtime import one_shot, quiet_environment

    quiet_environment()
    from prefect import flow

    @flow
    def empty():
        return 1

    with one_shot():
        start = time.perf_counter()
        empty()
        first = time.perf_counter() - start
        start = time.perf_counter()
        empty()
        second = time.perf_counter() - start
    return {"first_flow": first, "empty_flow": second}


def measure_ingestion(config: Path, n: int) -> dict:
    """Ledger rows to per-project/category/year sums: grantflow's reader (parsing and validation)
    against bare pandas, on one shared 1 M-row export and on per-project files."""
    import pandas as pd

    from grantflow.data import read_ledger
    from grantflow.register import open_register

    keys = ["Prosjekt", "År", "Kategori"]
    shared = config.parent / "shared-ledger.csv"
    register = open_register(config)
    files = [config / register.projects[p].data.ledger for p in sorted(register.projects)[:n]]
    out = {}
    for label, runs in (("shared", 3), ("files", 3)):
        best_bare = best_ours = float("inf")
        for _ in range(runs):
            start = time.perf_counter()
            if label == "shared":
                bare = pd.read_csv(shared, sep=";", decimal=",").groupby(keys)["Beløp"].sum()
            else:
                bare = pd.concat([pd.read_csv(f, sep=";", decimal=",").groupby(keys[1:])["Beløp"].sum()
                                  for f in files])
            best_bare = min(best_bare, time.perf_counter() - start)
            start = time.perf_counter()
            if label == "shared":
                ours = read_ledger(shared).frame.groupby(keys)["Beløp"].sum()
            else:
                ours = pd.concat([read_ledger(f).frame.groupby(keys[1:])["Beløp"].sum() for f in files])
            best_ours = min(best_ours, time.perf_counter() - start)
        rows = sum(1 for _ in open(shared, encoding="utf-8")) - 1 if label == "shared" else \
            sum(sum(1 for _ in open(f, encoding="utf-8")) - 1 for f in files)
        out[label] = {"rows": rows, "files": 1 if label == "shared" else len(files), "groups": len(bare),
                      "bare": best_bare, "ours": best_ours,
                      "same_sums": bool(abs(float(ours.sum()) - float(bare.sum())) < 1.0)}
    return out


def child(args) -> None:
    config, out = Path(args.config), Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    if args.measure == "floor":
        result = measure_floor(config, out, args.n)
    elif args.measure == "pipeline":
        result = measure_pipeline(config, out, args.n, args.workers)
    elif args.measure == "prefect":
        result = measure_prefect_start()
    else:
        result = measure_ingestion(config, args.n)
    print("RESULT " + json.dumps(result))


def run_child(measure: str, config: Path, n: int, workers: int = 1) -> dict:
    out = HERE / ".data" / f"out-{measure}-{n}-{workers}"
    env = dict(os.environ, PREFECT_HOME=str(HERE / ".data" / "prefect-home"),
               PREFECT_SERVER_ANALYTICS_ENABLED="false")
    env.pop("PREFECT_API_URL", None)
    proc = subprocess.run([sys.executable, __file__, "--child", measure, "--config", str(config), "--out", str(out),
                           "--n", str(n), "--workers", str(workers)], capture_output=True, text=True, env=env)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{measure} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def machine() -> str:
    import platform

    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}, {platform.system()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 documents instead of 1 000")
    parser.add_argument("--councils", type=int)
    parser.add_argument("--per-council", type=int, default=20)
    parser.add_argument("--milestones", type=int, default=20)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--child")
    parser.add_argument("--config")
    parser.add_argument("--out")
    parser.add_argument("--n", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if args.child:
        args.measure = args.child
        child(args)
        return
    councils = args.councils or (5 if args.quick else 50)
    total = councils * args.per_council
    small = max(total // 10, 1)
    print(f"machine: {machine()}")
    start = time.perf_counter()
    config = make_data(HERE / ".data" / "set", councils, args.per_council, args.milestones, args.rows)
    print(f"data: {councils} councils x {args.per_council} projects, {args.milestones} milestones and "
          f"{args.rows} ledger rows each ({time.perf_counter() - start:.1f} s to make or reuse)")

    prefect = run_child("prefect", config, 0)
    print(f"prefect embedded server: first flow after {prefect['first_flow']:.1f} s, then an empty flow "
          f"{prefect['empty_flow'] * 1000:.0f} ms")

    results = {}
    for n in (small, total):
        floor = run_child("floor", config, n)
        one = run_child("pipeline", config, n, 1)
        two = run_child("pipeline", config, n, 2)
        results[n] = (floor, one, two)
        print(f"\n{n} status reports")
        print(f"  floor (bare loop, no Prefect): {floor['wall']:.1f} s, {floor['docs'] / floor['wall']:.2f} docs/s, "
              f"peak {floor['peak_mb']:.0f} MB")
        print(f"  pipeline, 1 worker:            {one['wall']:.1f} s, {one['docs'] / one['wall']:.2f} docs/s, "
              f"peak {one['peak_mb']:.0f} MB, errors {one['errors']}")
        print(f"  pipeline, 2 workers:           {two['wall']:.1f} s, {two['docs'] / two['wall']:.2f} docs/s, "
              f"peak {two['peak_mb']:.0f} MB, errors {two['errors']}")
        print(f"  ratio pipeline(1)/floor: {one['wall'] / floor['wall']:.2f}  (target <= 1.3)")
        print(f"  speedup 2 workers vs 1:  {one['wall'] / two['wall']:.2f}  (target >= 1.6)")
    f_small, one_small, _ = results[small]
    f_big, one_big, _ = results[total]
    print(f"\npeak memory growth {small} -> {total} docs: pipeline(1) {one_big['peak_mb'] / one_small['peak_mb']:.2f}x, "
          f"floor {f_big['peak_mb'] / f_small['peak_mb']:.2f}x  (target <= 1.5)")

    ingest = run_child("ingestion", config, min(total, 500))
    for label, text in (("shared", "one shared export"), ("files", "per-project files")):
        r = ingest[label]
        print(f"\ningestion, {text}: {r['rows']:,} ledger rows in {r['files']} file(s) -> {r['groups']} sums; "
              f"bare pandas {r['bare']:.2f} s, grantflow {r['ours']:.2f} s, ratio {r['ours'] / r['bare']:.2f}"
              f"  (target <= 1.2); same sums: {r['same_sums']}")
    print(f"\ntotal bench time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
