"""`grantflow demo` as a terminal user sees it: 80 columns, and a re-run that sends nothing says so
in its first line."""

import re

from grantflow.cli import main


def test_demo_fits_80_columns_and_rerun_says_nothing_sent(isolated, scratch_config, capsys):
    settings = scratch_config / "grantflow.yaml"
    text = settings.read_text(encoding="utf-8")
    demo = text.index("demo:")
    settings.write_text(text[:demo] + "demo:\n"
                        "  - {kind: status, project: smart-velferdsregion-nord-gudbrandsdal, as_of: 2020-04-16}\n"
                        "  - {kind: usage, council: haugaland-vekst, period: \"2015\"}\n", encoding="utf-8")
    assert main(["--config", str(scratch_config), "demo"]) == 0
    first = capsys.readouterr().out.splitlines()
    assert first[0] == "2 dokumenter (2 nye eller endret); 9 e-poster lagt i utboksen."
    assert max(len(line) for line in first) <= 80, max(first, key=len)
    assert any(re.match(r"status\s+smart-velferdsregion-nord-gudbrandsdal\s+2020-04-16\s+1\s+7\s+0$", line)
               for line in first), first
    assert main(["--config", str(scratch_config), "demo"]) == 0
    again = capsys.readouterr().out.splitlines()
    assert again[0].startswith("Ingenting nytt sendt: alle 2 dokumenter er uendret")
    assert max(len(line) for line in again) <= 80


def test_demo_names_an_outputs_folder_with_brackets_as_it_is(scratch_config, tmp_path, monkeypatch, capsys):
    """An outputs folder named 'grantflow [test]' was shown as 'grantflow /…': rich took '[test]'
    for markup and dropped it."""
    out = tmp_path / "grantflow [test]"
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(out))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    settings = scratch_config / "grantflow.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text[:text.index("demo:")] + "demo:\n"
                        "  - {kind: usage, council: haugaland-vekst, period: \"2015\"}\n", encoding="utf-8")
    assert main(["--config", str(scratch_config), "demo"]) == 0
    shown = capsys.readouterr().out.replace("\n", "")
    assert shown.count("[test]") == 2, shown            # the documents folder and the outbox


def test_the_demos_applications_are_dated_to_their_round_and_name_the_office_of_that_day(scratch_config, capsys):
    """Made today (2026), the demo's 2015 and 2019 applications were addressed to "Statsforvalteren
    i Rogaland/Innlandet", beside the same projects' final and usage reports to "Fylkesmannen" (an
    outside reader). The demo's config dates them to their rounds (as_of); the office was renamed
    on 1.1.2021 (DOMAIN.md)."""
    from grantflow.settings import load_settings

    from ..docx_text import all_text

    settings = scratch_config / "grantflow.yaml"
    text = settings.read_text(encoding="utf-8")
    demo = text.index("demo:")
    lines = [line for line in text[demo:].splitlines() if "kind: application" in line]
    assert len(lines) == 2 and all("as_of: 20" in line for line in lines), lines
    settings.write_text(text[:demo] + "demo:\n" + "\n".join(lines) + "\n", encoding="utf-8")
    assert main(["--config", str(scratch_config), "demo"]) == 0
    capsys.readouterr()
    out = load_settings(str(scratch_config)).outputs_dir()
    made = sorted(p for p in out.rglob("application-*.docx") if ".versjoner" not in p.parts)
    assert [p.name for p in made] == ["application-2015.docx", "application-2019.docx"], made
    for path, office in zip(made, ("Fylkesmannen i Rogaland", "Fylkesmannen i Innlandet")):
        text = all_text(path)
        assert office in text and "Statsforvalteren" not in text, (path, text[:400])


def test_the_demos_usage_reports_are_dated_in_the_january_after_their_year(scratch_config, capsys):
    """Since the usage report is dated the day it is made (not 31.12), the demo's 2015 report read
    "Dato 28. november 2026" beside "Til Fylkesmannen i Rogaland", an office that no longer existed
    that day. The demo's config dates each before its deadline of 15 January (as_of), and `run
    usage` takes --as-of as the flow does."""
    from ..docx_text import all_text

    out = _demo_of(scratch_config, capsys, "usage", 2)
    made = sorted((p for p in out.rglob("usage-*.docx") if ".versjoner" not in p.parts), key=lambda p: p.name)
    assert [p.name for p in made] == ["usage-2015.docx", "usage-2019.docx"], made
    for path, office, day in zip(made, ("Fylkesmannen i Rogaland", "Fylkesmannen i Innlandet"),
                                 ("12. januar 2016", "10. januar 2020")):
        text = all_text(path).replace("\xa0", " ")
        assert office in text and f"Dato\n{day}" in text, (path, text[-600:])


def test_the_demos_cost_splits_are_dated_before_their_last_years_invoicing(scratch_config, capsys):
    """The demo's three cost splits (2013–2014, 2015–2016, 2019–2020) read "Dato 29. november 2026",
    the day the demo ran, beside the same projects' applications and status reports dated in their
    own time: the cost split flow took no date. The demo's config dates each 7 days before the
    March invoicing of its project's last budget year, as the deadline watch makes it (01.03.2016 a
    Tuesday: 23.02; 01.03.2014 and 01.03.2020 on a weekend, moved back to Friday the 28th: 21.02)."""
    from ..docx_text import all_text

    out = _demo_of(scratch_config, capsys, "costsplit", 3)
    made = {p.name: p for p in out.rglob("costsplit-*.docx") if ".versjoner" not in p.parts}
    expected = {"costsplit-2015-2016.docx": "23. februar 2016", "costsplit-2019-2020.docx": "21. februar 2020",
                "costsplit-2013-2014.docx": "21. februar 2014"}
    assert sorted(made) == sorted(expected), made
    for name, day in expected.items():
        shown = all_text(made[name]).replace("\xa0", " ")
        assert f"Dato\n{day}\n" in shown, (name, shown[:600])


def _demo_of(scratch_config, capsys, kind: str, count: int):
    """`grantflow demo` with only the demo list's ``count`` runs of ``kind``; the outputs folder."""
    from grantflow.settings import load_settings

    settings = scratch_config / "grantflow.yaml"
    text = settings.read_text(encoding="utf-8")
    demo = text.index("demo:")
    lines = [line for line in text[demo:].splitlines() if f"kind: {kind}" in line]
    assert len(lines) == count, lines
    settings.write_text(text[:demo] + "demo:\n" + "\n".join(lines) + "\n", encoding="utf-8")
    assert main(["--config", str(scratch_config), "demo"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    return load_settings(str(scratch_config)).outputs_dir()
