import json
import subprocess
import sys

from grantflow.cli import main

from ..conftest import ROOT, replace_in


def test_validate_demo_exits_1_on_seed_errors(config_dir, capsys):
    assert main(["validate", str(config_dir)]) == 1
    out = capsys.readouterr().out
    assert "ERROR" in out and "risks[6].rf" in out


def test_validate_strict_fails_on_warnings_only(scratch_config, capsys):
    replace_in(scratch_config / "projects/smart-velferdsregion-nord-gudbrandsdal.yaml", "rf: 12", "rf: 15")
    replace_in(scratch_config / "projects/haugaland-velferdsteknologi.yaml",
               "{2015: 412000, 2016: 1123000}", "{2015: 412000, 2016: 1122415}")
    assert main(["validate", str(scratch_config)]) == 0
    assert main(["validate", str(scratch_config), "--strict"]) == 1
    capsys.readouterr()


def test_allocate_json(config_dir, capsys):
    assert main(["--config", str(config_dir), "allocate", "haugaland-velferdsteknologi",
                 "--year", "2015", "--amount", "412000", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["project"] == "haugaland-velferdsteknologi" and data["total"] == 412000
    assert [s["equal"] for s in data["shares"]] == [12360] * 10
    assert sum(s["total"] for s in data["shares"]) == 412000


def test_user_error_is_one_line_without_traceback(scratch_config):
    (scratch_config / "projects/kongsbergregionen-erp.yaml").write_text("id: [x\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "grantflow.cli", "--config", str(scratch_config),
                           "allocate", "kongsbergregionen-erp", "--year", "2014"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ") and "kongsbergregionen-erp.yaml:2" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_negative_amount_rejected(config_dir, capsys):
    with pytest.raises(SystemExit) as stopped:      # a usage mistake, as any other bad --amount: exit 2
        main(["--config", str(config_dir), "allocate", "kongsbergregionen-erp", "--year", "2014", "--amount=-5"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "argument --amount: '-5' is negative: the amount to split is 0 or more kroner" in err, err


def test_render_prints_path_and_reuses(config_dir, tmp_path, capsys):
    args = ["--config", str(config_dir), "render", "costsplit", "kongsbergregionen-erp", "--period", "2014",
            "--out", str(tmp_path)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "kongsbergregionen/kongsbergregionen-erp/costsplit-2014.docx" in out and "written" in out
    assert main(args) == 0
    assert "unchanged" in capsys.readouterr().out


def test_render_mistakes_are_one_line(config_dir, tmp_path, capsys):
    base = ["--config", str(config_dir), "render"]
    assert main(base + ["letter", "kongsbergregionen-erp"]) == 1
    assert "unknown document kind 'letter'" in capsys.readouterr().err
    assert main(base + ["status", "kongsbergregionen-erp", "--as-of", "2014-13-01"]) == 1
    assert "cannot read date '2014-13-01'" in capsys.readouterr().err
    assert main(base + ["usage", "--year", "2014"]) == 1
    assert "--council" in capsys.readouterr().err
    assert main(base + ["usage", "--council", "atlantis", "--year", "2014", "--out", str(tmp_path)]) == 1
    assert "unknown council 'atlantis'" in capsys.readouterr().err


def test_broken_ledger_stops_render_with_row(scratch_config, tmp_path, capsys):
    with (scratch_config / "data/haugaland-velferdsteknologi/regnskap.csv").open("a", encoding="utf-8") as out:
        out.write("01.03.2016;2016;Prosjektkostnader;Feil;-500;hv-fond;\n")
    assert main(["--config", str(scratch_config), "render", "status", "haugaland-velferdsteknologi",
                 "--as-of", "2016-10-01", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "regnskap.csv:20: Beløp: negative amount" in err
    assert not list(tmp_path.rglob("*.docx"))


def test_a_whole_column_written_wrong_is_a_screen_not_thousands_of_lines(scratch_config, capsys):
    """An export with the English number format in every row: validate shows the first ten rows
    and one line for the rest (how many, which rows), counts every error, and --all lists each."""
    ledger = scratch_config / "data/haugaland-velferdsteknologi/regnskap.csv"
    header, first = ledger.read_text(encoding="utf-8").splitlines()[:2]
    cells = first.split(";")
    amount = header.split(";").index("Beløp")
    rows = []
    for i in range(3000):
        cells[amount] = f"{i % 90 + 1},{i % 900 + 100}.50"
        rows.append(";".join(cells))
    ledger.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")

    assert main(["validate", str(scratch_config)]) == 1
    captured = capsys.readouterr()
    # (the ledger's last row, dated long before the project's end, has its own line: not counted here)
    ours = [line for line in captured.out.splitlines() if "regnskap.csv" in line and "ledger's last row" not in line]
    assert len(ours) == 11
    assert [line.split("regnskap.csv:")[1].split()[0] for line in ours] == [str(r) for r in range(2, 13)]
    assert all("ambiguous number" in line for line in ours[:10])
    # rows 12 .. 3001 (header = row 1): 2 990 of them
    assert ours[10].endswith("Beløp: 2 990 more errors in this field between rows 12 and 3 001, not listed one by one")
    assert "risks[6].rf" in captured.out                      # other files' findings are all there
    assert "--all lists every one" in captured.err

    assert main(["validate", str(scratch_config), "--all"]) == 1
    listed = capsys.readouterr()
    every = [line for line in listed.out.splitlines() if "regnskap.csv" in line and "ledger's last row" not in line]
    assert len(every) == 3000 and all("ambiguous number" in line for line in every)
    errors = sum(line.startswith("ERROR") for line in listed.out.splitlines())
    assert f"{errors} error(s)" in captured.err and f"{errors} error(s)" in listed.err   # every one counted


import pytest  # noqa: E402


@pytest.mark.parametrize("args, message", [
    (["render", "status", "haugaland-velferdsteknologi", "--as-of", "2014-01-01"],
     "--as-of: 2014-01-01 is before the project starts (2015-09-21)"),
    (["render", "status", "haugaland-velferdsteknologi", "--period", "2013-Q1"],
     "--period: 2013-Q1 lies outside the project period 2015-09-21 – 2017-09-20"),
    (["render", "final", "haugaland-velferdsteknologi", "--period", "2013"],
     "--period: the final report covers the whole project (2015-09-21 – 2017-09-20); --period 2013 does not hold"),
    (["render", "final", "haugaland-velferdsteknologi", "--as-of", "2015-01-01"],
     "--as-of: 2015-01-01 is before the project starts (2015-09-21)"),
    (["render", "application", "haugaland-velferdsteknologi", "--year", "2030"],
     "2030 is not a year of the project (2015–2017)"),
    (["render", "costsplit", "kongsbergregionen-erp", "--period", "2016"],
     "--period: 2016 is not a year of the project (2013–2014)"),
    (["render", "usage", "--council", "haugaland-vekst", "--year", "2999"], "--year: 2999 has not begun"),
    (["allocate", "haugaland-velferdsteknologi", "--year", "2030"], "--year: 2030 is not a year of the project"),
])
def test_a_date_or_year_outside_the_project_is_one_line_and_no_document(config_dir, tmp_path, args, message):
    """A typo in a date (2014 for 2016) made a report on days the project never had: a status
    report whose period ended before it began, a 0 kr cost split. Now one line, exit 1, nothing written."""
    out = ["--out", str(tmp_path)] if args[0] == "render" else []
    proc = subprocess.run([sys.executable, "-m", "grantflow.cli", "--config", str(config_dir), *args, *out],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and message in proc.stderr
    assert "Traceback" not in proc.stderr and not list(tmp_path.rglob("*.docx"))


@pytest.mark.parametrize("args, message", [
    (["final", "haugaland-velferdsteknologi", "--period", "2016"], "--period: 'run final' does not take --period"),
    (["status", "haugaland-velferdsteknologi", "--year", "2016"], "--year: 'run status' does not take --year"),
    (["usage", "haugaland-velferdsteknologi", "--council", "haugaland-vekst", "--year", "2015"],
     "PROJECT: 'run usage' does not take PROJECT"),
])
def test_run_refuses_what_the_kind_does_not_take(args, message, monkeypatch, capsys):
    """`run final P --period 2016` dropped the period and started the whole project's final report
    (suspended for approval, then sent); now one line before any server is asked (none answers here)."""
    from ..smtp_server import free_port

    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{free_port()}/api")
    assert main(["run", *args]) == 1
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {message}"), err


def test_an_ics_path_that_is_a_folder_names_the_folder(config_dir, tmp_path, capsys):
    """`deadlines --ics FOLDER` said 'cannot use ../.FOLDER.1234.tmp: Is a directory' (the atomic
    write's temp file), not the path the user gave."""
    assert main(["--config", str(config_dir), "deadlines", "--ics", str(tmp_path)]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"error: {tmp_path}: --ics: ") and ".tmp" not in line, line
    assert ".tmp" not in line


def test_allocate_csv_keeps_a_name_with_a_comma_in_one_column(scratch_config, capsys):
    """'Nes, Akershus' was printed unquoted: the invoicing spreadsheet got seven columns in its
    row and every figure after the name one column to the right."""
    import csv
    import io

    from tests.conftest import replace_in

    replace_in(scratch_config / "councils/haugaland-vekst.yaml", "{name: Bokn,", '{name: "Bokn, Nord-Rogaland",')
    replace_in(scratch_config / "projects/haugaland-velferdsteknologi.yaml", "Karmøy, Bokn,",
               'Karmøy, "Bokn, Nord-Rogaland",')
    assert main(["--config", str(scratch_config), "allocate", "haugaland-velferdsteknologi", "--year", "2015",
                 "--amount", "412000", "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out.lstrip("\ufeff")), delimiter=";"))
    assert {len(row) for row in rows} == {6}
    bokn = next(row for row in rows if row[0].startswith("Bokn"))
    assert bokn[:2] == ["Bokn, Nord-Rogaland", "ja"] and bokn[3] == "12360"
    assert sum(int(row[5]) for row in rows[1:-1]) == 412000 == int(rows[-1][5])


def test_a_missing_project_is_said_before_the_register_is_read(scratch_config, tmp_path, capsys):
    # a register of 1 000 projects took ~9 s to read before 'render status' said it needs a PROJECT;
    # a broken project file shows whether the register was read at all
    (scratch_config / "projects/kongsbergregionen-erp.yaml").write_text("id: [x\n", encoding="utf-8")
    assert main(["--config", str(scratch_config), "render", "status", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "needs a PROJECT" in err and "kongsbergregionen-erp.yaml" not in err
    assert main(["--config", str(scratch_config), "render", "usage", "--council", "kongsbergregionen",
                 "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "give --year" in err and "kongsbergregionen-erp.yaml" not in err


def test_a_council_given_as_the_project_says_to_use_council(config_dir, capsys):
    """`send usage haugaland-vekst --year 2015` said "unknown project 'haugaland-vekst'" (found by a
    tester): the usage report is the council's, made with --council."""
    assert main(["--config", str(config_dir), "render", "usage", "haugaland-vekst", "--year", "2015"]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.endswith("'haugaland-vekst' is a council, not a project: a council's usage report is made with "
                         "--council haugaland-vekst --year YEAR; a document of one of its projects names the project "
                         "(haugaland-velferdsteknologi)"), line


@pytest.mark.parametrize("command", ["run", "render"])
def test_a_cost_split_dated_after_today_is_one_line_and_nothing_made(command, config_dir, tmp_path, monkeypatch,
                                                                     capsys):
    """`render costsplit P --as-of 01.01.2030` wrote a cost split dated "1. januar 2030" (exit 0), and
    `run costsplit` took no --as-of at all. Both take the day it is made now, today at the latest, as
    the usage report does: one line, exit 1, no document, no server asked."""
    from datetime import date, timedelta

    from ..smtp_server import free_port

    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{free_port()}/api")   # nobody answers there
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    today = date.today()
    tomorrow = today + timedelta(days=1)
    assert main(["--config", str(config_dir), command, "costsplit", "kongsbergregionen-erp",
                 "--as-of", tomorrow.isoformat()]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        f"error: --as-of: --as-of {tomorrow:%d.%m.%Y} is after today ({today:%d.%m.%Y}): the cost split is dated "
        "the day it is made, today at the latest"], err
    assert not list(tmp_path.rglob("*.docx"))


def test_a_full_disk_is_one_line_and_no_bug_report(config_dir, tmp_path):
    """An outside operator filled the disk under the outputs folder: 'internal error (OSError: [Errno
    28] No space left on device); this is a bug in grantflow'. A write that finds no room (here a
    file size limit, as a full disk or a quota gives) is one line that says so, exit 1, and no
    half-written document."""
    import os
    import resource
    import signal

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)          # the write fails instead of the process
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    outputs = tmp_path / "outputs"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRANTFLOW_", "PREFECT_"))}
    env.update(GRANTFLOW_CONFIG=str(config_dir), GRANTFLOW_OUTPUTS=str(outputs))
    proc = subprocess.run([sys.executable, "-m", "grantflow.cli", "render", "status", "haugaland-velferdsteknologi",
                           "--as-of", "2016-10-07"], capture_output=True, text=True, env=env, cwd=tmp_path,
                          preexec_fn=small_files)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: no room on the disk (File too large)"), proc.stderr
    assert "bug in grantflow" not in proc.stderr and "Traceback" not in proc.stderr
    assert not [p for p in outputs.rglob("*") if p.is_file()]


def test_a_document_asked_for_another_day_is_dated_as_its_file_says(config_dir, tmp_path, capsys, monkeypatch):
    """Rendered again with another --as-of, a cost split said "unchanged" and its record took the
    new day while the .docx kept the old one. A version that never left is made again, dated the
    new day; one that went out stays as it went, its record with it, and the message says so."""
    import json

    from ..docx_text import all_text

    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    base = ["--config", str(config_dir)]
    where = ["kongsbergregionen-erp", "--out", str(tmp_path / "out")]
    docx = tmp_path / "out/kongsbergregionen/kongsbergregionen-erp/costsplit-2013-2014.docx"

    def dated() -> tuple[str, str]:
        text = " ".join(all_text(docx).split()).replace("\u00a0", " ")
        return text, json.loads(docx.with_suffix(".json").read_text(encoding="utf-8"))["as_of"]

    assert main([*base, "render", "costsplit", *where, "--as-of", "2014-02-21"]) == 0
    assert main([*base, "render", "costsplit", *where, "--as-of", "2014-03-10"]) == 0      # never sent: made again
    text, as_of = dated()
    assert "10. mars 2014" in text and "21. februar 2014" not in text and as_of == "2014-03-10"
    assert main([*base, "send", "costsplit", *where, "--as-of", "2014-03-10", "--transport", "outbox", "--yes"]) == 0
    capsys.readouterr()
    assert main([*base, "render", "costsplit", *where, "--as-of", "2014-03-12"]) == 0      # went out: kept
    out = capsys.readouterr().out
    text, as_of = dated()
    assert "10. mars 2014" in text and "12. mars 2014" not in text and as_of == "2014-03-10", (as_of, out)
    assert "unchanged, dated 10.03.2014 as it was made" in out, out
