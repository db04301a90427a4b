"""A status report's old-export warning follows the usage and final reports' rule: a ledger row
dated after the report's day shows the export was made after it, so quiet months before that day
are no old export. A status report per 07.10.2016 on a ledger quiet from July to September but
running on to 31.10.2016 said "Regnskapet har siste postering 30. juni 2016, 99 dager før
rapportdatoen: er eksporten gammel …" and "Regnskapet er ført til 30. juni 2016" in its Økonomi
row. The dates and day counts are read from the data file here, not from grantflow."""

from __future__ import annotations

import csv
from datetime import date, datetime

from grantflow.cli import main
from grantflow.documents.service import produce
from grantflow.register import open_register

from ..docx_text import all_text, tables

NB = "\u00a0"
HAUG = "haugaland-velferdsteknologi"
AS_OF = date(2016, 10, 7)
MONTHS = ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
          "november", "desember"]


def _quiet_summer(config, keep_after: bool = True) -> tuple[date, list[date]]:
    """Drop the ledger's rows of July to September 2016 (and, without ``keep_after``, every row
    after the report's day): (the last row's day on or before AS_OF, the days after it)."""
    path = config / "data" / HAUG / "regnskap.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)

    def day(line: str) -> date:
        return datetime.strptime(line.split(";", 1)[0], "%d.%m.%Y").date()

    kept = [l for l in lines[1:] if not date(2016, 7, 1) <= day(l) <= date(2016, 9, 30)]
    if not keep_after:
        kept = [l for l in kept if day(l) <= AS_OF]
    path.write_text(lines[0] + "".join(kept), encoding="utf-8")
    with open(path, encoding="utf-8") as fh:
        days = [datetime.strptime(r["Dato"], "%d.%m.%Y").date() for r in csv.DictReader(fh, delimiter=";")]
    return max(d for d in days if d <= AS_OF), [d for d in days if d > AS_OF]


def _economy_row(docx) -> str:
    (row,) = [r for t in tables(docx) for r in t if r and r[0] == "Økonomi"]
    return row[-1]


def test_quiet_months_before_the_report_day_are_no_old_export_when_the_ledger_runs_on(scratch_config, tmp_path):
    last, after = _quiet_summer(scratch_config)
    assert last == date(2016, 6, 30) and (AS_OF - last).days == 99 and after == [date(2016, 10, 31)]
    made = produce(open_register(scratch_config), "status", HAUG, as_of=AS_OF, out=tmp_path)
    text = all_text(made.docx)
    assert "siste postering" not in text, text
    assert "Regnskapet er ført til" not in _economy_row(made.docx)
    assert not [f for f in made.findings if "last row is dated" in f.message]


def test_the_same_quiet_months_with_no_row_after_the_report_day_are_still_said(scratch_config, tmp_path):
    last, after = _quiet_summer(scratch_config, keep_after=False)
    assert last == date(2016, 6, 30) and after == []
    made = produce(open_register(scratch_config), "status", HAUG, as_of=AS_OF, out=tmp_path)
    said = f"{last.day}.{NB}{MONTHS[last.month - 1]}{NB}{last.year}"
    assert f"Regnskapet har siste postering {said}, 99{NB}dager før rapportdatoen" in all_text(made.docx)
    assert f"Regnskapet er ført til {said}" in _economy_row(made.docx)


def test_render_status_prints_no_old_export_warning_when_the_ledger_runs_on(scratch_config, tmp_path, capsys):
    _quiet_summer(scratch_config)
    main(["--config", str(scratch_config), "render", "status", HAUG, "--as-of", AS_OF.isoformat(),
          "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert "last row is dated" not in captured.out + captured.err, captured


def test_a_row_after_the_projects_end_is_no_old_export_in_the_usage_report_as_in_the_final_report(
        scratch_config, tmp_path, capsys):
    """The ledger ends 31.10.2016, the project 20.09.2017; a late invoice booked 15.10.2017 shows
    the export was made after the end. The final report and validate said nothing of an old export;
    the usage report for 2017 said "regnskapet har siste postering 31. oktober 2016, 324 dager før
    20. september 2017: er eksporten gammel …" (it counted the late row against 31.12, 77 days)."""
    ledger = scratch_config / "data" / HAUG / "regnskap.csv"
    with open(ledger, "a", encoding="utf-8") as fh:
        fh.write("15.10.2017;2017;Prosjektkostnader;Sluttseminar;1 000,00;hv-fond;\n")
    end = date(2017, 9, 20)
    assert f"end: {end.isoformat()}" in (scratch_config / "projects" / f"{HAUG}.yaml").read_text(encoding="utf-8")
    assert main(["--config", str(scratch_config), "render", "usage", "--council", "haugaland-vekst", "--year", "2017",
                 "--as-of", "2018-01-15", "--out", str(tmp_path)]) == 0
    usage_err = capsys.readouterr().err
    final = produce(open_register(scratch_config), "final", HAUG, out=tmp_path)
    main(["--config", str(scratch_config), "validate"])
    validate_out = capsys.readouterr().out
    text = all_text(next(tmp_path.rglob("usage-2017.docx")))
    assert "siste postering" not in text and "ledger's last row" not in usage_err, (text, usage_err)
    assert "siste postering" not in all_text(final.docx)
    assert not [l for l in validate_out.splitlines() if HAUG in l and "ledger's last row" in l], validate_out
