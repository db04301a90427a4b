"""grantflow benchmarks: each figure against a baseline measured in the same run.

    python bench/run.py                 # full: 1 000 status reports (and 100), ~30-40 min on 2 cores
    python bench/run.py --n 300         # 300 and 30 status reports
    python bench/run.py --quick         # 100 and 10 status reports (a few minutes)

Synthetic data (1 000 projects in 50 councils, each with 20 milestones and 2 000 ledger rows, plus
one shared 1 M-row ledger export) is written once to bench/.data/. Every measurement runs in its
own process so peak memory (max RSS, worker processes included) belongs to that measurement alone.
Where a figure is a comparison, A and B are interleaved (A B A B ...) and medians are printed.
- render: one document, grantflow's renderer (Word-native charts) against the raw floor (a bare
  docxtpl render + save of the same template with an already-built context, no charts), and the
  matplotlib PNG charts the renderer used before;
- floor: a bare loop with grantflow's builders and renderer (no Prefect, no records);
- pipeline: the batch flow on the embedded Prefect server with 1 worker process, and with 2 (the
  server's start before the first flow timed apart);
- growth: peak memory at N vs N/10 documents;
- ingestion: ledger CSV rows to per-project/category/year sums, grantflow's reader (with its
  parsing and validation) against bare pandas read_csv + groupby, pandas on pyarrow's parser, and
  pyarrow's own reader and group_by;
- interactive: `grantflow render status P` cold in a new process; PDF one LibreOffice start per
  document against one start for many with the profile kept; a 20-row milestone file and the
  milestone-status lookups against bare reads.
No assertion fails the run: targets are printed beside the figures.
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
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

    stamp = folder / f"size-{councils}x{per_council}x{milestones}x{rows}-v2"   # v2: distinct descriptions
    config = folder / "config"
    if stamp.exists():
        return config
    shutil.rmtree(folder, ignore_errors=True)
    (config / "councils").mkdir(parents=True)
    (config / "projects").mkdir(parents=True)
    rng = np.random.default_rng(seed)
    cats = ["Prosjektledelse", "Innkjøp og lisenser", "Kompetanse og samlinger"]
    suppliers = ["Vest Rådgivning AS", "Haugaland Kraft", "Kommunenes Hus", "Øvre Data AS", "Reisebyrå Nord",
                 "Kurs og Konferanse AS", "Lisens Norge", "Ålgård Trykk"]
    invoice = iter(range(100_000, 10_000_000))
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
                "Kategori": np.array(cats)[rng.integers(0, len(cats), rows)],
                # as in an accounting export: nearly every line's text differs
                "Beskrivelse": [f"Faktura {next(invoice)} {suppliers[k]}" for k in rng.integers(0, len(suppliers), rows)],
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
    import flows.batch as batch_module
    from flows.batch import make_batch, select_projects
    from flows.documents import DeliveryOptions

    from prefect import flow

    @flow
    def warm_up():
        return 1

    os.environ["GRANTFLOW_OUTPUTS"] = str(out)
    with one_shot():
        ids = select_projects(str(config), None, None, None)[:n]
        batch_module._REGISTERS.clear()   # the flow reads the register itself, as the bare loop does
        # The embedded server starts with the first flow of the process: timed apart, so the batch's
        # own cost is what a served or scheduled batch pays on a running server; both are reported.
        start = time.perf_counter()
        warm_up()
        server = time.perf_counter() - start
        start = time.perf_counter()
        result = make_batch(workers, "processes")(
            kind="status", projects=ids, as_of=date.fromisoformat(AS_OF),
            options=DeliveryOptions(config=str(config), out=str(out), send=False))
        wall = time.perf_counter() - start
    return {"docs": result["documents"], "errors": len(result["errors"]), "wall": wall, "server": server,
            "cold": server + wall, "peak_mb": peak_rss_mb()}


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


def measure_ingestion(config: Path, n: int, rounds: int = 5) -> dict:
    """Ledger rows to per-project/category/year sums: grantflow's reader (parsing and validation)
    against bare pandas, pandas on pyarrow's parser and pyarrow alone; on one shared 1 M-row
    export and on per-project files. Interleaved, medians."""
    import pandas as pd
    import pyarrow.csv as pacsv

    from grantflow.data import read_ledger
    from grantflow.register import open_register

    keys = ["Prosjekt", "År", "Kategori"]
    load_start = " ".join(f"{x:.2f}" for x in os.getloadavg())
    shared = config.parent / "shared-ledger.csv"
    quoted = quoted_copy(shared)
    register = open_register(config)
    files = [register.data_path(register.projects[p].data.ledger) for p in sorted(register.projects)[:n]]
    out = {}

    def arrow(path, by):
        table = pacsv.read_csv(path, parse_options=pacsv.ParseOptions(delimiter=";"),
                               convert_options=pacsv.ConvertOptions(decimal_point=","))
        return table.group_by(by).aggregate([("Beløp", "sum")])

    for label in ("shared", "quoted", "files"):
        if label != "files":
            export = shared if label == "shared" else quoted
            funcs = {
                "bare": lambda: pd.read_csv(export, sep=";", decimal=",").groupby(keys)["Beløp"].sum(),
                "pandas_arrow": lambda: pd.read_csv(export, sep=";", decimal=",", engine="pyarrow")
                .groupby(keys)["Beløp"].sum(),
                "arrow": lambda: arrow(export, keys),
                "ours": lambda: read_ledger(export).frame.groupby(keys)["Beløp"].sum()}
        else:
            funcs = {
                "bare": lambda: pd.concat([pd.read_csv(f, sep=";", decimal=",").groupby(keys[1:])["Beløp"].sum()
                                           for f in files]),
                "pandas_arrow": lambda: pd.concat([pd.read_csv(f, sep=";", decimal=",", engine="pyarrow")
                                                   .groupby(keys[1:])["Beløp"].sum() for f in files]),
                "arrow": lambda: [arrow(f, keys[1:]) for f in files],
                "ours": lambda: pd.concat([read_ledger(f).frame.groupby(keys[1:])["Beløp"].sum() for f in files])}
        bare, ours = funcs["bare"](), funcs["ours"]()
        medians = interleaved(funcs, rounds if label == "shared" else max(rounds // 2, 1))
        rows = sum(1 for _ in open(export, encoding="utf-8")) - 1 if label != "files" else \
            sum(sum(1 for _ in open(f, encoding="utf-8")) - 1 for f in files)
        out[label] = {"rows": rows, "files": 1 if label != "files" else len(files), "groups": len(bare),
                      **medians, "same_sums": bool(abs(float(ours.sum()) - float(bare.sum())) < 1.0)}
    # What the product does with the shared export: read once (read_ledger_cached), then each
    # project's rows (project_ledger) and its sums by year and category (reporting.ledger_sums),
    # for every project in it; against pandas reading it and grouping by project.
    from grantflow.data import project_ledger
    from grantflow.reporting import ledger_sums
    from grantflow.data import ProjectData

    codes = sorted(pd.read_csv(shared, sep=";", usecols=["Prosjekt"], dtype=str)["Prosjekt"].unique())

    def ours_split():
        table = read_ledger(shared)
        return [ledger_sums(ProjectData(ledger=project_ledger(table, code))) for code in codes]

    def bare_split():
        frame = pd.read_csv(shared, sep=";", decimal=",")
        return [group.groupby(["År", "Kategori"], as_index=False)["Beløp"].sum()
                for _, group in frame.groupby("Prosjekt")]

    funcs = {"bare": bare_split, "ours": ours_split}
    same = abs(sum(float(f["Beløp"].sum()) for f in ours_split()) -
               sum(float(f["Beløp"].sum()) for f in bare_split())) < 1.0
    out["split"] = {"rows": out["shared"]["rows"], "projects": len(codes),
                    **interleaved(funcs, max(rounds // 2, 1)), "same_sums": bool(same)}
    out["load"] = f"{load_start} at the start, " + " ".join(f"{x:.2f}" for x in os.getloadavg()) + " at the end"
    return out


def quoted_copy(shared: Path) -> Path:
    """The shared export as some accounting systems write it: every field in quotes, CRLF."""
    import csv

    quoted = shared.with_name("shared-ledger-quoted.csv")
    if not quoted.exists() or quoted.stat().st_mtime < shared.stat().st_mtime:
        with open(shared, encoding="utf-8", newline="") as src, \
                open(quoted.with_suffix(".tmp"), "w", encoding="utf-8", newline="") as dst:
            csv.writer(dst, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(
                csv.reader(src, delimiter=";"))
        quoted.with_suffix(".tmp").replace(quoted)
    return quoted


def interleaved(funcs: dict, rounds: int) -> dict:
    """Run each function once per round, in turn (A B C A B C ...); the median seconds of each."""
    times = {name: [] for name in funcs}
    for _ in range(rounds):
        for name, fn in funcs.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def _contexts(config: Path, n: int):
    from datetime import date

    from grantflow.data import collect
    from grantflow.documents import KINDS
    from grantflow.documents.common import DocumentRequest
    from grantflow.documents.render import templates_dir
    from grantflow.register import open_register
    from grantflow.reporting import ReportPeriod

    register = open_register(config)
    kind = KINDS["status"]
    as_of = date.fromisoformat(AS_OF)
    out = []
    for pid in sorted(register.projects)[:n]:
        project = register.projects[pid]
        council = register.councils[project.council]
        request = DocumentRequest("status", council, project, ReportPeriod(AS_OF, project.period.start, as_of),
                                  as_of, as_of, data=collect(register, project))
        out.append((request, kind.build(request)))
    return register, templates_dir() / kind.template, out


def measure_render(config: Path, n: int, rounds: int = 5) -> dict:
    """Per document: grantflow's renderer against the raw floor (bare docxtpl render + save of the
    same template, context already built, no charts); also the PNG (matplotlib) charts."""
    from docxtpl import DocxTemplate
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    from grantflow.documents import render as render_module
    from grantflow.documents.charts import native_chart
    from grantflow.documents.common import clean

    _, template, built = _contexts(config, n)
    contexts = [ctx for _, ctx in built]
    raw_values = [dict(clean(ctx.values), **{key: "" for key in ctx.charts}) for ctx in contexts]
    template_bytes = template.read_bytes()

    def ours():
        for ctx in contexts:
            render_module.render_docx(template, ctx)

    def raw():
        for values in raw_values:
            tpl = DocxTemplate(io.BytesIO(template_bytes))
            tpl.render(values, SandboxedEnvironment(autoescape=True, undefined=StrictUndefined), autoescape=True)
            tpl.save(io.BytesIO())

    def png():
        real = render_module.native_chart
        render_module.native_chart = lambda chart: None
        try:
            for ctx in contexts:
                render_module.render_docx(template, ctx)
        finally:
            render_module.native_chart = real

    def charts():
        for ctx in contexts:
            for chart in ctx.charts.values():
                native_chart(chart)

    def builders():
        from grantflow.documents import KINDS

        for request, _ in built:
            KINDS["status"].build(request)

    funcs = {"ours": ours, "raw": raw, "png": png, "charts": charts, "build": builders}
    for fn in funcs.values():   # warm up: imports, caches
        fn()
    medians = interleaved(funcs, rounds)
    size_ours = len(render_module.render_docx(template, contexts[0]))
    return {"docs": len(contexts), "rounds": rounds, "size_ours": size_ours,
            **{k: v / len(contexts) for k, v in medians.items()}}


def measure_small(config: Path, rounds: int = 41) -> dict:
    """A 20-row milestone file and the milestone-status lookups for one document, against bare reads."""
    import csv
    from datetime import date

    import pandas as pd

    from grantflow.data import collect, read_milestones
    from grantflow.register import open_register
    from grantflow.reporting import milestone_statuses

    register = open_register(config)
    project = register.projects[sorted(register.projects)[0]]
    path = register.data_path(project.data.milestones)
    data = collect(register, project)
    as_of = date.fromisoformat(AS_OF)

    def bare_csv():
        with open(path, encoding="utf-8", newline="") as fh:
            list(csv.reader(fh, delimiter=";"))

    funcs = {"ours": lambda: read_milestones(path),
             "pandas": lambda: pd.read_csv(path, sep=";", dtype=str, keep_default_na=False),
             "csv": bare_csv,
             "statuses": lambda: milestone_statuses(project, data, as_of)}
    for fn in funcs.values():
        fn()
    rows = sum(1 for _ in open(path, encoding="utf-8")) - 1
    return {"rows": rows, "milestones": len(project.milestones), **interleaved(funcs, rounds)}


def measure_pdf(config: Path, out: Path, n: int, rounds: int = 3) -> dict:
    """PDF per document, interleaved (A B C A B C ...): the old way, one LibreOffice start per
    document with a fresh profile (over the first few documents), against the batch path
    with one converter (``pdf_each(converters=1)``: one start for a chunk, the process's profile
    kept) over 1 and over ``n`` documents; the batch path with one worker (``pdf_each``: the chunk
    shared by one converter per core, running at once); and two processes converting half each
    with one converter (the batch flow's two workers).
    Start-up and per-document cost are separated from the two batch sizes:
    per document = (T(n) - T(1)) / (n - 1), start-up = T(1) - per document; also in CPU seconds
    of LibreOffice (less sensitive to other load on the machine than wall time)."""
    import concurrent.futures
    import multiprocessing

    from grantflow.documents import render as render_module

    if render_module.soffice() is None:
        return {"skipped": "LibreOffice not installed"}
    _, template, built = _contexts(config, n)
    docs = []
    for i, (_, ctx) in enumerate(built):
        target = out / f"doc-{i:03d}" / f"status-{AS_OF}.docx"   # same name in every folder
        target.parent.mkdir(parents=True)
        target.write_bytes(render_module.render_docx(template, ctx))
        docs.append(target)
    few = docs[:min(len(docs), 4)]
    cpu = {"fresh": [], "one": [], "batch": []}

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def timed_cpu(name, fn):
        def run():
            before = children_cpu()
            fn()
            cpu[name].append(children_cpu() - before)
        return run

    def fresh_each():
        for doc in few:
            with tempfile.TemporaryDirectory() as tmp:
                profile = Path(tmp) / "profile"
                subprocess.run([render_module.soffice(), f"-env:UserInstallation={profile.as_uri()}", "--headless",
                                "--norestore", "--convert-to", "pdf", "--outdir", tmp, str(doc)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)

    def check(outcomes):
        bad = [str(o) for o in outcomes if not isinstance(o, Path)]
        if bad:
            raise RuntimeError("PDF conversion failed: " + "; ".join(bad))

    # two processes converting at once, one converter each: the batch flow's two worker processes
    halves = [docs[:len(docs) // 2], docs[len(docs) // 2:]]
    pool = concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork"))
    one_each = functools.partial(render_module.pdf_each, converters=1)

    def two():
        for outcomes in pool.map(one_each, halves):
            check(outcomes)

    cores = render_module.cores()
    render_module.pdf_each(docs[:1])   # the kept profile is made once per process (per converter)
    render_module.pdf_each(docs[:render_module.MIN_PER_CONVERTER * cores])
    two()
    with pool:
        medians = interleaved({"fresh": timed_cpu("fresh", fresh_each),
                               "one": timed_cpu("one", lambda: check(render_module.pdf_each(docs[:1], converters=1))),
                               "batch": timed_cpu("batch", lambda: check(render_module.pdf_each(docs, converters=1))),
                               "spread": lambda: check(render_module.pdf_each(docs)),
                               "two": two}, rounds)
    cpu_med = {k: statistics.median(v) for k, v in cpu.items()}
    ok = all(d.with_suffix(".pdf").read_bytes().startswith(b"%PDF") for d in docs)
    k = len(docs)
    per_doc = (medians["batch"] - medians["one"]) / max(k - 1, 1)
    per_doc_cpu = (cpu_med["batch"] - cpu_med["one"]) / max(k - 1, 1)
    return {"docs": k, "fresh_docs": len(few), "rounds": rounds, "pdf_ok": ok, "load": os.getloadavg()[0],
            "fresh": medians["fresh"] / len(few), "batch": medians["batch"] / k, "two": medians["two"] / k,
            "spread": medians["spread"] / k, "cores": cores,
            "per_doc": per_doc, "startup": medians["one"] - per_doc,
            "fresh_cpu": cpu_med["fresh"] / len(few), "batch_cpu": cpu_med["batch"] / k,
            "per_doc_cpu": per_doc_cpu, "startup_cpu": cpu_med["one"] - per_doc_cpu}


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
    elif args.measure == "render":
        result = measure_render(config, args.n)
    elif args.measure == "small":
        result = measure_small(config)
    elif args.measure == "pdf":
        result = measure_pdf(config, out, args.n)
    else:
        result = measure_ingestion(config, args.n)
    print("RESULT " + json.dumps(result))


def run_child(measure: str, config: Path, n: int, workers: int = 1) -> dict:
    out = HERE / ".data" / f"out-{measure}-{n}-{workers}"
    env = dict(os.environ, PREFECT_HOME=str(HERE / ".data" / "prefect-home"),
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="300",
               GRANTFLOW_LEDGER_URL=f"sqlite:///{HERE / '.data' / 'sent.db'}")
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


def measure_cold_render(config: Path, runs: int = 5, pid: str | None = None, as_of: str = AS_OF) -> dict:
    """`grantflow render status P` end to end in a new process (a new output folder each time, so
    every run really renders), against a new Python process that only starts."""
    from grantflow.register import open_register

    pid = pid or sorted(open_register(config).projects)[0]
    exe = Path(sys.executable).parent / "grantflow"
    env = dict(os.environ, GRANTFLOW_LEDGER_URL=f"sqlite:///{HERE / '.data' / 'cold-sent.db'}")

    # This machine sets PYTHONDONTWRITEBYTECODE=1, and an editable install (`pip install -e .`)
    # ships no bytecode for grantflow's own ~40 modules: without the README's `compileall` step each
    # start compiles them from source. A user's machine writes the bytecode at the first start (as a
    # wheel install, or the README's install, does at install time); measured here with the cache
    # in a folder of its own (PYTHONPYCACHEPREFIX), so the checkout stays clean. Both, interleaved;
    # when this checkout holds bytecode already (compileall was run in it), "cold" reads it too.
    cached = dict(env, PYTHONPYCACHEPREFIX=str(HERE / ".data" / "pycache"))
    cached.pop("PYTHONDONTWRITEBYTECODE", None)

    # CPU time (user + system) of each render beside its wall time: on a shared machine the wall
    # time is mostly waiting for a core (2.5-3 s at load 5-9 for ~1.1 s of CPU), the CPU time
    # moves far less with the load. The target is the wall time on an idle machine.
    cpu: dict[str, list[float]] = {"cold": [], "bytecode": []}

    def render(environment, name=None):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([str(exe), "--config", str(config), "render", "status", pid, "--as-of", as_of,
                            "--out", tmp], check=True, capture_output=True, env=environment)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if name:
            cpu[name].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)

    def python():
        subprocess.run([sys.executable, "-c", "pass"], check=True)

    render(env)
    render(cached)                 # writes the bytecode once
    medians = interleaved({"cold": lambda: render(env, "cold"), "bytecode": lambda: render(cached, "bytecode"),
                           "python": python}, runs)
    return dict(medians, **{f"{name}_cpu": statistics.median(times) for name, times in cpu.items()})


def _stopped_with_parent():
    """preexec_fn: the child gets SIGTERM when the bench dies (also on SIGKILL), so no server outlives it."""
    import ctypes
    import signal

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)      # PR_SET_PDEATHSIG
    except OSError:
        pass


def measure_run_latency(config: Path, runs: int = 5, pid: str | None = None, as_of: str = AS_OF) -> dict:
    """`grantflow run status P` end to end in a new process against a real `prefect server start`
    (127.0.0.1, its own PREFECT_HOME) and `grantflow serve`, to a finished flow run; interleaved with
    `grantflow render status P` cold (the same document without Prefect). The breakdown comes from
    the run's state times: CLI start to the run created, created to picked up by the runner
    (Pending), Pending to Running (a new process imports the flow), the flow itself, and Completed
    to the CLI's exit (finish detection)."""
    import signal
    import urllib.request
    from datetime import datetime

    from grantflow.register import open_register

    pid = pid or sorted(open_register(config).projects)[0]
    bin_dir = Path(sys.executable).parent
    tmp = Path(tempfile.mkdtemp(prefix="bench-run-"))
    with __import__("socket").socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GRANTFLOW_"))}
    env.update(PREFECT_HOME=str(tmp / "prefect-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               GRANTFLOW_CONFIG=str(config), GRANTFLOW_OUTPUTS=str(tmp / "outputs"),
               GRANTFLOW_LEDGER_URL=f"sqlite:///{tmp / 'sent.db'}", PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}")
    client_env = dict(env, PREFECT_API_URL=api)

    def get(path: str):
        with urllib.request.urlopen(api + path, timeout=30) as response:
            return json.loads(response.read())

    procs: list[subprocess.Popen] = []

    def start(cmd, name, run_env):
        log = open(tmp / f"{name}.log", "wb")
        proc = subprocess.Popen(cmd, env=run_env, cwd=tmp, stdout=log, stderr=subprocess.STDOUT,
                                preexec_fn=_stopped_with_parent)
        procs.append(proc)
        return proc

    def wait_for(what, proc, name, seconds=240):
        deadline = time.monotonic() + seconds
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} stopped:\n{(tmp / f'{name}.log').read_text()[-3000:]}")
            try:
                return what()
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} not ready after {seconds} s")
                time.sleep(0.5)

    def stamp(text: str) -> float:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()

    def watch_ended() -> bool:
        started = re.search(r"started now \(flow run ([0-9a-f-]{36})\)", (tmp / "serve.log").read_text(errors="replace"))
        if started is None:
            if time.monotonic() - serve_started < 20:
                raise OSError("not yet")       # the catch-up is started right after the deployments
            return True
        if get(f"/flow_runs/{started.group(1)}")["state"]["type"] not in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            raise OSError("the watch is still running")
        return True

    def run():
        out = tmp / "outputs" / f"out-{time.monotonic_ns()}"   # a deployment's run writes inside the outputs folder
        start_wall = time.time()
        proc = subprocess.run([str(bin_dir / "grantflow"), "run", "status", pid, "--as-of", as_of, "--out", str(out)],
                              capture_output=True, text=True, env=client_env, cwd=tmp)
        end_wall = time.time()
        line = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
        if proc.returncode != 0 or "Completed" not in line:
            raise RuntimeError(f"grantflow run failed ({proc.returncode}): {proc.stdout[-2000:]}{proc.stderr[-2000:]}\n"
                               f"grantflow serve:\n{(tmp / 'serve.log').read_text()[-4000:]}")
        run_id = line.rsplit("(", 1)[1].split(")")[0]
        states = sorted(get(f"/flow_run_states/?flow_run_id={run_id}"), key=lambda s: s["timestamp"])
        first = {}
        for state in states:
            first.setdefault(state["type"], stamp(state["timestamp"]))
        created = stamp(get(f"/flow_runs/{run_id}")["created"])
        parts["cli_start"].append(created - start_wall)
        parts["pickup"].append(first["PENDING"] - created)
        parts["process_start"].append(first["RUNNING"] - first["PENDING"])
        parts["flow"].append(first["COMPLETED"] - first["RUNNING"])
        parts["detect"].append(end_wall - first["COMPLETED"])
        if not list(out.rglob("*.docx")):
            raise RuntimeError("the flow run completed but wrote no document")

    def cold():
        with tempfile.TemporaryDirectory() as out:
            subprocess.run([str(bin_dir / "grantflow"), "render", "status", pid, "--as-of", as_of, "--out", out],
                           check=True, capture_output=True, env=env, cwd=tmp)

    previous = signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        server = start([str(bin_dir / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                       "server", env)
        wait_for(lambda: get("/health"), server, "server")
        serve = start([str(bin_dir / "grantflow"), "serve"], "serve", client_env)
        serve_started = time.monotonic()
        wait_for(lambda: get("/deployments/name/status_report/status-report"), serve, "serve")
        # a new server has never run the deadline watch, so serve starts it once now: measured after it
        wait_for(lambda: watch_ended(), serve, "serve", seconds=900)
        parts: dict[str, list[float]] = {k: [] for k in ("cli_start", "pickup", "process_start", "flow", "detect")}
        run()                                     # the first run pays for the server's own warm-up
        parts = {k: [] for k in parts}
        medians = interleaved({"run": run, "cold": cold}, runs)
    finally:
        signal.signal(signal.SIGTERM, previous)
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return {"runs": runs, "project": pid, **medians,
            "parts": {k: statistics.median(v) for k, v in parts.items()}, "load": os.getloadavg()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 documents instead of 1 000")
    parser.add_argument("--n", type=int, help="status reports in the big batch (default 1 000)")
    parser.add_argument("--rounds", type=int, default=0,
                        help="interleaved rounds of the batch measurements (default 3)")
    parser.add_argument("--parts", default="render,small,cold,run,pdf,batch,ingestion",
                        help="comma-separated parts to run (default: all)")
    parser.add_argument("--child")
    parser.add_argument("--config")
    parser.add_argument("--out")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if args.child:
        args.measure = args.child
        child(args)
        return
    total = args.n or (100 if args.quick else 1000)
    small = max(total // 10, 1)
    print(f"machine: {machine()}")
    start = time.perf_counter()
    config = make_data(HERE / ".data" / "set", 50, 20, 20, 2000)
    print(f"data: 1 000 projects in 50 councils, 20 milestones and 2 000 ledger rows each, a shared 1 M-row "
          f"ledger ({time.perf_counter() - start:.1f} s to make or reuse)")
    figures = {"machine": machine(), "n": total}

    parts = set(args.parts.split(","))
    if "render" in parts:
        r = figures["render"] = run_child("render", config, 6)
        print(f"\none status report, per document (median of {r['rounds']} interleaved rounds over {r['docs']} documents):")
        print(f"  grantflow renderer (Word-native charts): {r['ours'] * 1000:6.1f} ms   ({r['size_ours'] / 1024:.0f} KB)")
        print(f"  raw floor (bare docxtpl render + save):  {r['raw'] * 1000:6.1f} ms")
        print(f"  renderer with PNG charts (matplotlib):   {r['png'] * 1000:6.1f} ms")
        print(f"  the two native charts alone:             {r['charts'] * 1000:6.1f} ms")
        print(f"  building the context (not in either):    {r['build'] * 1000:6.1f} ms")
        print(f"  ratio renderer / raw floor: {r['ours'] / r['raw']:.2f}  (target <= 1.5); "
              f"PNG charts / native: {r['png'] / r['ours']:.2f}")

    if "small" in parts:
        sm = figures["small"] = run_child("small", config, 0)
        print(f"\nsmall data: a {sm['rows']}-row milestone file: grantflow {sm['ours'] * 1000:.2f} ms, bare pandas "
          f"{sm['pandas'] * 1000:.2f} ms, csv module {sm['csv'] * 1000:.2f} ms (ratio to pandas "
          f"{sm['ours'] / sm['pandas']:.1f}); milestone-status lookups for {sm['milestones']} milestones: "
          f"{sm['statuses'] * 1000:.2f} ms per document")

    if "cold" in parts:
        cold = figures["cold"] = measure_cold_render(config)
        compiled = any((ROOT / "grantflow").glob("__pycache__/*.pyc"))
        cold["load"] = os.getloadavg()
        print(f"\n`grantflow render status P` cold in a new process: {cold['bytecode']:.2f} s with bytecode "
          f"written as on a user's machine or by the README's install (target <= 1 s); {cold['cold']:.2f} s "
          + ("reading the bytecode this checkout holds (compileall was run in it)" if compiled else
             "compiling grantflow's modules at every start (PYTHONDONTWRITEBYTECODE=1, an editable install "
             "without the README's compileall step)")
          + f"; a new Python process alone {cold['python']:.2f} s; load average {cold['load'][0]:.2f}; "
          f"CPU time {cold['bytecode_cpu']:.2f} s with bytecode, {cold['cold_cpu']:.2f} s the other way")

    if "run" in parts:
        lat = figures["run"] = measure_run_latency(ROOT / "config", pid="haugaland-velferdsteknologi",
                                                   as_of="2016-10-07", runs=args.rounds or 5)
        b = lat["parts"]
        print(f"\n`grantflow run status P` against a running server (prefect server + grantflow serve), new "
              f"process to a finished flow run, median of {lat['runs']} interleaved rounds: {lat['run']:.2f} s "
              f"(target <= 3 s); the same document by `grantflow render` cold {lat['cold']:.2f} s; ratio "
              f"{lat['run'] / lat['cold']:.1f}x; load average {lat['load'][0]:.2f}")
        print(f"  CLI start to run created {b['cli_start']:.2f} s · created to picked up by the runner "
              f"{b['pickup']:.2f} s · picked up to running (new process) {b['process_start']:.2f} s · "
              f"flow {b['flow']:.2f} s · completed to CLI exit {b['detect']:.2f} s")

    pdf = figures["pdf"] = run_child("pdf", config, 20) if "pdf" in parts else {"skipped": "not asked for"}
    if "skipped" in pdf:
        print(f"\nPDF: skipped ({pdf['skipped']})")
    else:
        print(f"\nPDF of status reports (median of {pdf['rounds']} interleaved rounds; load average "
              f"{pdf['load']:.1f}; wall s, LibreOffice CPU s in brackets):")
        print(f"  old way, one start per document, fresh profile ({pdf['fresh_docs']} documents): "
              f"{pdf['fresh']:.2f} s ({pdf['fresh_cpu']:.2f}) per document")
        print(f"  one converter, one start for a chunk of {pdf['docs']}, profile kept: {pdf['batch']:.2f} s "
              f"({pdf['batch_cpu']:.2f}) per document; ratio {pdf['fresh'] / pdf['batch']:.1f}x")
        print(f"  of which LibreOffice start-up (kept profile) {pdf['startup']:.2f} s ({pdf['startup_cpu']:.2f}) "
              f"once per chunk, and each document {pdf['per_doc']:.2f} s ({pdf['per_doc_cpu']:.2f}); "
              f"PDFs valid: {pdf['pdf_ok']}")
        print(f"  the batch path with one worker: the chunk shared by {pdf['cores']} converters at once (one per "
              f"core): {pdf['spread']:.2f} s per document (target <= 0.3 s); ratio {pdf['fresh'] / pdf['spread']:.1f}x")
        print(f"  the batch path with two workers: two processes, one converter and a chunk of {pdf['docs'] // 2} each: "
              f"{pdf['two']:.2f} s per document of the batch (target <= 0.3 s)")

    if "batch" in parts:
        prefect = figures["prefect"] = run_child("prefect", config, 0)
        print(f"\nprefect embedded server: first flow after {prefect['first_flow']:.1f} s, then an empty flow "
              f"{prefect['empty_flow'] * 1000:.0f} ms")
        results = {}
        for n in (small, total):
            rounds = args.rounds or 3
            runs = {"floor": [], "one": [], "two": []}
            for _ in range(rounds):   # interleaved: floor, 1 worker, 2 workers, floor, ...
                runs["floor"].append(run_child("floor", config, n))
                runs["one"].append(run_child("pipeline", config, n, 1))
                runs["two"].append(run_child("pipeline", config, n, 2))
            med = {k: {"wall": statistics.median(x["wall"] for x in v), "peak_mb": statistics.median(x["peak_mb"] for x in v),
                       "cold": statistics.median(x.get("cold", x["wall"]) for x in v),
                       "server": statistics.median(x.get("server", 0.0) for x in v),
                       "docs": v[0]["docs"], "errors": max(x.get("errors", 0) for x in v)} for k, v in runs.items()}
            results[n] = med
            floor, one, two = med["floor"], med["one"], med["two"]
            print(f"\n{n} status reports (median of {rounds} interleaved round(s))")
            print(f"  bare loop (builders + renderer, no Prefect): {floor['wall']:.1f} s, "
                  f"{floor['docs'] / floor['wall']:.2f} docs/s, peak {floor['peak_mb']:.0f} MB")
            print(f"  batch flow, 1 worker:  {one['wall']:.1f} s, {one['docs'] / one['wall']:.2f} docs/s, "
                  f"peak {one['peak_mb']:.0f} MB, errors {one['errors']}")
            print(f"  batch flow, 2 workers: {two['wall']:.1f} s, {two['docs'] / two['wall']:.2f} docs/s, "
                  f"peak {two['peak_mb']:.0f} MB, errors {two['errors']}")
            print(f"  (the server already running, as for a served or scheduled batch; the embedded server's own "
                  f"start before the first flow, {one['server']:.1f} / {two['server']:.1f} s, is apart)")
            print(f"  ratio batch(1) / bare loop: {one['wall'] / floor['wall']:.2f}  (target <= 1.3); "
                  f"with the embedded server's start {one['cold'] / floor['wall']:.2f}")
            print(f"  speedup 2 workers vs 1:     {one['wall'] / two['wall']:.2f}  (target >= 1.7); "
                  f"with the embedded server's start {one['cold'] / two['cold']:.2f}")
        figures["batch"] = {str(k): v for k, v in results.items()}
        one_small, one_big = results[small]["one"], results[total]["one"]
        f_small, f_big = results[small]["floor"], results[total]["floor"]
        print(f"\npeak memory {small} -> {total} docs: batch(1) {one_big['peak_mb'] / one_small['peak_mb']:.2f}x, "
              f"bare loop {f_big['peak_mb'] / f_small['peak_mb']:.2f}x  (target <= 1.5)")

    ingest = figures["ingestion"] = run_child("ingestion", config, 500) if "ingestion" in parts else {}
    for label, text in (("shared", "one shared export"), ("quoted", "the same export, every field quoted"),
                        ("files", "per-project files")) if ingest else ():
        r = ingest[label]
        print(f"\ningestion, {text}: {r['rows']:,} ledger rows in {r['files']} file(s) -> {r['groups']} sums "
              f"(medians): bare pandas {r['bare']:.2f} s, pandas+pyarrow parser {r['pandas_arrow']:.2f} s, "
              f"pyarrow read_csv+group_by {r['arrow']:.2f} s, grantflow {r['ours']:.2f} s; "
              f"ratio grantflow / bare pandas {r['ours'] / r['bare']:.2f} (target <= 1.2); same sums: {r['same_sums']}")
    if ingest.get("split"):
        r = ingest["split"]
        print(f"\ningestion as the product uses the shared export: read once, then each of its {r['projects']} projects' "
              f"rows and sums by year and category (medians): bare pandas (read_csv, groupby Prosjekt, then År and "
              f"Kategori) {r['bare']:.2f} s, grantflow (read_ledger, project_ledger, ledger_sums) {r['ours']:.2f} s; "
              f"ratio {r['ours'] / r['bare']:.2f}; same sums: {r['same_sums']}")
    if ingest:
        print(f"  load average (1, 5, 15 min): {ingest.get('load', '?')}")
    print(f"\ntotal bench time {time.perf_counter() - start:.0f} s")
    results_dir = HERE / "results"
    results_dir.mkdir(exist_ok=True)
    (results_dir / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
