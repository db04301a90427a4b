"""The usage report's date as a reviewer tried it (session 19): `render`/`send usage --as-of`
dropped the date without a word (a 2015 report read "Dato 28. november 2026" beside "Til
Fylkesmannen i Rogaland"), `run usage --as-of` in January next year while the year still ran made a
report "per 31. desember" with no UTKAST, and a ledger quiet from October to December but running
into the next year was called an old export in the document."""

from __future__ import annotations

from datetime import date

from grantflow.cli import main

from ..docx_text import all_text

LEDGER = "data/haugaland-velferdsteknologi/regnskap.csv"


def _render(config, out, *extra):
    return main(["--config", str(config), "render", "usage", "--council", "haugaland-vekst", "--year", "2015",
                 "--out", str(out), *extra])


def test_render_usage_as_of_dates_it_and_a_day_after_today_is_refused(scratch_config, tmp_path, capsys):
    assert _render(scratch_config, tmp_path, "--as-of", "2016-01-12") == 0
    text = all_text(next(tmp_path.rglob("usage-2015.docx"))).replace("\xa0", " ")
    assert "Dato\n12. januar 2016" in text and "Fylkesmannen i Rogaland" in text, text[-500:]
    capsys.readouterr()
    tomorrow = date.fromordinal(date.today().toordinal() + 1)
    assert main(["--config", str(scratch_config), "render", "usage", "--council", "haugaland-vekst", "--year",
                 str(tomorrow.year), "--as-of", tomorrow.isoformat(), "--out", str(tmp_path)]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"error: --as-of: --as-of {tomorrow:%d.%m.%Y} is after today"), line


def test_quiet_months_at_the_years_end_are_no_old_export_when_the_ledger_runs_on(scratch_config, tmp_path, capsys):
    path = scratch_config / LEDGER
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    # no posting from October to December 2015; the 2016 rows stay (the export was made in 2016)
    kept = lines[:1] + [line for line in lines[1:] if not (line[6:10] == "2015" and int(line[3:5]) >= 10)]
    last_2015 = max(date(int(l[6:10]), int(l[3:5]), int(l[:2])) for l in kept[1:] if l[6:10] == "2015")
    assert last_2015 <= date(2015, 9, 30) and any(l[6:10] == "2016" for l in kept[1:]), kept
    path.write_text("".join(kept), encoding="utf-8")
    assert _render(scratch_config, tmp_path, "--as-of", "2016-01-12") == 0
    err = capsys.readouterr().err
    text = all_text(next(tmp_path.rglob("usage-2015.docx")))
    assert "siste postering" not in text and "ledger's last row" not in err, (text, err)
