"""`grantflow run application P --as-of D`: `send application --as-of` and `render` dated the
application, and `run --help` said --as-of gives "the date on the others", but `run` refused it:
"'run application' does not take --as-of" (found by a tester). The flow takes it since the demo's
applications were dated to their rounds."""

from __future__ import annotations

from grantflow.cli import main

from ..docx_text import all_text

HAUG = "haugaland-velferdsteknologi"      # its data have errors: sending needs a reason


def test_run_application_takes_as_of_and_dates_the_application(isolated, scratch_config, capsys):
    argv = ["--config", str(scratch_config), "run", "application", HAUG, "--as-of", "2015-01-12", "--yes",
            "--override-reason", "Eksempeldata"]
    assert main(argv) == 0, capsys.readouterr()
    (docx,) = (isolated / "outputs").rglob("application-2015.docx")
    text = all_text(docx).replace("\xa0", " ")
    # dated the day given, and addressed as on that day (Statsforvalteren only from 2021)
    assert "12. januar 2015" in text and "Fylkesmannen i Rogaland" in text and "Statsforvalteren" not in text, text[:800]
