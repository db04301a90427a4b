"""A cost split bills exactly the key the council agreed (after an outside tester, session 22:
a member municipality's finance officer, council "Vestfjell" with Åsen, Berg and Dal).

Every expected amount is worked out by hand in the test from the figures written here, never by
calling grantflow's split."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml

from grantflow.cli import main

from ..conftest import CONFIG
from ..docx_text import all_text, tables

PROJECT = "fjell-key"
COUNCIL = "vestfjell"
Y = date.today().year               # population is known up to 1 January of this year at most


def write(root: Path, *, split: str, population: dict[str, dict[int, int]] | None = None,
          percent: dict[str, int] | None = None, years: tuple[int, int, int] = (2024, 2025, 2026),
          municipal: tuple[int, int, int] = (700_000, 900_000, 800_000)) -> Path:
    """A council of three (Åsen, Berg, Dal) and one project over ``years``; ``split`` is the
    project file's split block as written (YAML text, block style). Returns the config folder."""
    config = root / "config"
    (config / "projects").mkdir(parents=True)
    (config / "councils").mkdir()
    settings = yaml.safe_load((CONFIG / "grantflow.yaml").read_text(encoding="utf-8"))
    settings.pop("demo", None)
    (config / "grantflow.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    population = population or {n: {years[0]: p} for n, p in (("Åsen", 5000), ("Berg", 12000), ("Dal", 800))}
    members = []
    for name in ("Åsen", "Berg", "Dal"):
        member = {"name": name, "population": population[name]}
        if percent:
            member["weights"] = {"prosentandel": {years[0]: percent[name]}}
        members.append(member)
    council = {
        "id": COUNCIL, "name": "Vestfjell regionråd", "org_number": "999 999 999", "county": "Vestland",
        "invoicing": {"issuer": "Vestfjell regionråd", "when": "i mars for hele året", "due_days": 30},
        "secretariat": {"name": "Sekretariatet", "role": "daglig leder", "organisation": "Vestfjell regionråd",
                        "email": "post@vestfjell.example.no"},
        "county_governor": {"name": "Statsforvalteren i Vestland", "role": "tilskuddsforvalter",
                            "email": "sfvlpost@statsforvalteren.example.no"},
        "population_source": "testtall", "municipalities": members}
    (config / "councils" / f"{COUNCIL}.yaml").write_text(yaml.safe_dump(council, allow_unicode=True, sort_keys=False),
                                                         encoding="utf-8")
    y0, y1, y2 = years
    head = {
        "id": PROJECT, "name": "Digital hjemmeoppfølging Vestfjell", "council": COUNCIL,
        "owner": "Vestfjell regionråd", "responsible": "Rådmannsutvalget i Vestfjell",
        "leader": {"name": "Pia Prosjektleder", "role": "prosjektleder", "organisation": "Vestfjell regionråd",
                   "email": "pl@vestfjell.example.no"},
        "steering_group": [{"name": "Rådmann Åsen", "role": "leder", "organisation": "Åsen kommune",
                            "email": "radmann@asen.example.no"}],
        "municipalities": ["Åsen", "Berg", "Dal"]}
    tail = {
        "period": {"start": date(y0, 1, 1), "end": date(y2, 12, 31)},
        "summary": "Test av kostnadsfordeling.", "background": "Bakgrunn.", "challenge": "Utfordring.",
        "anchoring": "Vedtak i regionrådet.",
        "goals": {"main": ["Hovedmål."], "result": ["Resultatmål."]},
        "milestones": [{"number": 1, "date": date(y0, 6, 30), "event": "Oppstart"},
                       {"number": 2, "date": date(y2, 12, 31), "event": "Sluttrapport levert", "final_report": True}],
        "risks": [{"risk": "Forsinkelse", "probability": 2, "consequence": 3, "mitigation": "Oppfølging"}],
        "budget": {"costs": [{"category": "Prosjektledelse",
                              "amounts": {y0: municipal[0] + 300_000, y1: municipal[1] + 300_000, y2: municipal[2]}}],
                   "financing": [
                       {"source": "Statsforvalterens skjønnsmidler", "kind": "skjønnsmidler", "funder": "sf",
                        "applied_for": True, "amounts": {y0: 300_000, y1: 300_000}},
                       {"source": "Kommunene (kostnadsfordeling)", "kind": "kommunene",
                        "amounts": dict(zip(years, municipal))}]},
        "funders": [{"id": "sf", "name": "Statsforvalteren i Vestland (skjønnsmidler)",
                     "email": "sfvlpost@statsforvalteren.example.no"}],
    }
    text = (yaml.safe_dump(head, allow_unicode=True, sort_keys=False) + split.strip("\n") + "\n"
            + yaml.safe_dump(tail, allow_unicode=True, sort_keys=False))
    (config / "projects" / f"{PROJECT}.yaml").write_text(text, encoding="utf-8")
    return config


def run(capsys, config: Path, *args) -> tuple[int, str, list[str]]:
    code = main(["--config", str(config), *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err and "internal error" not in captured.err
    return code, captured.out, [line for line in captured.err.splitlines() if line.strip()]


def _line_of(config: Path, text: str) -> int:
    lines = (config / "projects" / f"{PROJECT}.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def _kr(amount: int) -> str:
    return f"{amount:,}".replace(",", "\u00a0")


def _table_of(path: Path) -> list[list[str]]:
    """The document's table with a row per municipality (first column 'Kommune', a row 'Åsen')."""
    return next(t for t in tables(path) if t and t[0] and t[0][0] == "Kommune" and any(r[0] == "Åsen" for r in t))


def _split_rows(path: Path) -> dict[str, str]:
    """Each municipality's 'Sum' cell in a one-year cost split."""
    table = _table_of(path)
    column = table[0].index("Sum")
    return {row[0]: row[column] for row in table[1:]}


PERCENT_KEY = """split:
  weight: prosentandel
  weight_year: 2024
  decision: "Avtale: Åsen 50 %, Berg 30 %, Dal 20 %"
"""


def test_an_agreed_percentage_key_bills_exactly_the_agreed_percentages(tmp_path, capsys):
    """50/30/20 of 700 000 kr was billed 315 000 / 217 000 / 168 000 (30 % shared equally, the
    rest by the percentages: equal_percent defaulted to 30 without a word)."""
    config = write(tmp_path, split=PERCENT_KEY, percent={"Åsen": 50, "Berg": 30, "Dal": 20})
    expected = {"Åsen": 700_000 * 50 // 100, "Berg": 700_000 * 30 // 100, "Dal": 700_000 * 20 // 100}
    assert expected == {"Åsen": 350_000, "Berg": 210_000, "Dal": 140_000}
    code, out, err = run(capsys, config, "validate")
    assert code == 0, err
    code, out, err = run(capsys, config, "allocate", PROJECT, "--year", "2024", "--format", "json")
    assert code == 0, err
    billed = {s["municipality"]: s["total"] for s in json.loads(out)["shares"]}
    assert billed == expected
    code, out, err = run(capsys, config, "render", "costsplit", PROJECT, "--year", "2024", "--as-of", "2024-02-23",
                         "--out", str(tmp_path / "out"))
    assert code == 0, err
    docx = tmp_path / "out" / COUNCIL / PROJECT / "costsplit-2024.docx"
    sums = _split_rows(docx)
    assert {name: sums[name] for name in expected} == {name: _kr(v) for name, v in expected.items()}
    text = all_text(docx)
    assert "fordeles likt" not in text, text          # no equal share beside the agreed key


BOTH = """split:
  weight: prosentandel
  equal_percent: 30
  weight_year: 2024
  decision: "Avtale: Åsen 50 %, Berg 30 %, Dal 20 %"
"""


@pytest.mark.parametrize("given", ["30", "100"])
def test_an_agreed_percentage_key_with_an_equal_share_is_one_error(tmp_path, capsys, given):
    """Both an agreed percentage key and an equal share: which one the council agreed cannot be
    told, so nothing is billed (an error naming the file, line and field), never a guess."""
    config = write(tmp_path, split=BOTH.replace("equal_percent: 30", f"equal_percent: {given}"),
                   percent={"Åsen": 50, "Berg": 30, "Dal": 20})
    line = _line_of(config, "equal_percent:")
    code, out, err = run(capsys, config, "validate")
    assert code == 1
    errors = [e for e in out.splitlines() + err if e.startswith("ERROR")]
    assert len(errors) == 1, out
    assert f"projects/{PROJECT}.yaml:{line} split.equal_percent: {given} % shared equally" in errors[0], errors[0]
    assert "prosentandel" in errors[0]
    code, out, err = run(capsys, config, "allocate", PROJECT, "--year", "2024")
    assert code == 1 and out == "" and len(err) == 1
    assert f"{PROJECT}.yaml:{line}" in err[0] and "split.equal_percent" in err[0]


def test_an_explicit_zero_equal_share_with_an_agreed_key_is_accepted(tmp_path, capsys):
    config = write(tmp_path, split=BOTH.replace("equal_percent: 30", "equal_percent: 0"),
                   percent={"Åsen": 50, "Berg": 30, "Dal": 20})
    code, out, err = run(capsys, config, "allocate", PROJECT, "--year", "2025", "--format", "json")
    assert code == 0, err
    assert {s["municipality"]: s["total"] for s in json.loads(out)["shares"]} == \
        {"Åsen": 450_000, "Berg": 270_000, "Dal": 180_000}


def test_a_population_key_still_shares_30_percent_equally_by_default(tmp_path, capsys):
    """Left out for a population key, equal_percent stays 30 (seed 000): 700 000 kr, 210 000 equal
    (70 000 each), 490 000 by population 5 000 / 12 000 / 800 (17 800)."""
    config = write(tmp_path, split="split:\n  weight: innbyggere\n  weight_year: 2024\n  decision: Vedtak\n")
    code, out, err = run(capsys, config, "allocate", PROJECT, "--year", "2024", "--format", "json")
    assert code == 0, err
    billed = {s["municipality"]: s["total"] for s in json.loads(out)["shares"]}
    # exact: 70 000 + 490 000 × p / 17 800 → Åsen 207 640,45, Berg 400 337,08, Dal 92 022,47
    assert billed == {"Åsen": 207_640, "Berg": 400_337, "Dal": 92_023}


# --- population on 1 January of each year ------------------------------------------------------

EACH_YEAR = "split:\n  equal_percent: 30\n  weight: innbyggere\n  decision: Vedtak i regionrådet\n"


def _each_year(tmp_path, known: tuple[int, ...]) -> Path:
    """A project over Y-1, Y, Y+1 split by population on 1 January of each year, with figures for
    the years ``known`` only (Åsen 5 000 / Berg 12 000 / Dal 800, the same each year given)."""
    population = {n: {y: p for y in known} for n, p in (("Åsen", 5000), ("Berg", 12000), ("Dal", 800))}
    return write(tmp_path, split=EACH_YEAR, population=population, years=(Y - 1, Y, Y + 1))


def test_an_application_shows_future_years_by_the_latest_figures_and_says_so(tmp_path, capsys):
    """An application for the year Y made in autumn Y-1 was refused: "no innbyggere figure for Åsen
    on 1 January Y" (and Y+1), figures that cannot exist yet. The plan now splits those years by
    the latest figures known (1.1.Y-1) and says so on the page."""
    config = _each_year(tmp_path, known=(Y - 1,))
    code, out, err = run(capsys, config, "validate")
    assert code == 0, out + "\n".join(err)
    code, out, err = run(capsys, config, "render", "application", PROJECT, "--year", str(Y - 1),
                         "--as-of", f"{Y - 1}-10-15", "--out", str(tmp_path / "out"))
    assert code == 0, err
    docx = tmp_path / "out" / COUNCIL / PROJECT / f"application-{Y - 1}.docx"
    text = all_text(docx)
    assert (f"Innbyggertall per 1.1.{Y} og 1.1.{Y + 1} er ikke kjent ennå: fordelingen for {Y} og {Y + 1} er "
            f"beregnet med innbyggertall per 1.1.{Y - 1}, de siste kjente.") in text, text
    # by hand: year Y, 900 000 kr, 30 % = 270 000 equal (90 000 each), 630 000 by 5 000 / 12 000 / 800
    # of 17 800: Åsen 90 000 + 176 966,29 = 266 966,29; Berg 90 000 + 424 719,10 = 514 719,10;
    # Dal 90 000 + 28 314,61 = 118 314,61 → 266 966 / 514 719 / 118 315 (largest remainder)
    assert sum((266_966, 514_719, 118_315)) == 900_000
    table = _table_of(docx)
    column = table[0].index(str(Y))
    cells = {row[0]: row[column] for row in table[1:]}
    assert (cells["Åsen"], cells["Berg"], cells["Dal"]) == (_kr(266_966), _kr(514_719), _kr(118_315))


def test_an_invoice_never_uses_a_figure_that_does_not_exist(tmp_path, capsys):
    """The cost split (the invoice basis) for Y+1 needs the population on 1 January Y+1: refused
    with what to add; dated before 1 January of its year it is refused too, figures or not (a
    split for Y+1 dated 20.02 of Y-1 was made without a remark)."""
    config = _each_year(tmp_path, known=(Y - 1,))
    code, out, err = run(capsys, config, "render", "costsplit", PROJECT, "--year", str(Y),
                         "--out", str(tmp_path / "out"))
    assert code == 1 and len(err) == 1, err
    assert f"no innbyggere figure for Åsen on 1 January {Y}" in err[0]
    assert f"add them to {config}/councils/{COUNCIL}.yaml (Åsen, population: {Y})" in err[0], err[0]
    code, out, err = run(capsys, config, "render", "costsplit", PROJECT, "--year", str(Y + 1),
                         "--out", str(tmp_path / "out"))
    assert code == 1 and len(err) == 1, err
    assert err[0].startswith("error: --year: ") and f"innbyggere on 1 January {Y + 1}" in err[0], err[0]
    assert not (tmp_path / "out").exists()
    config2 = _each_year(tmp_path / "b", known=(Y - 1, Y, Y + 1))
    code, out, err = run(capsys, config2, "render", "costsplit", PROJECT, "--year", str(Y),
                         "--as-of", f"{Y - 1}-02-20", "--out", str(tmp_path / "out2"))
    assert code == 1 and len(err) == 1, err
    assert err[0].startswith("error: --as-of: ") and f"1 January {Y}" in err[0], err[0]
    assert not (tmp_path / "out2").exists()


def test_period_with_as_of_works_as_year_with_as_of(tmp_path, capsys):
    """README: --year 2016 is the same as --period 2016; --period with --as-of was refused."""
    config = write(tmp_path, split=PERCENT_KEY.replace("weight: prosentandel", "weight: innbyggere"))
    code, out, err = run(capsys, config, "render", "costsplit", PROJECT, "--period", "2024", "--as-of", "2024-02-23",
                         "--out", str(tmp_path / "a"))
    assert code == 0, err
    code, out, err = run(capsys, config, "render", "costsplit", PROJECT, "--year", "2024", "--as-of", "2024-02-23",
                         "--out", str(tmp_path / "b"))
    assert code == 0, err
    one, two = (tmp_path / d / COUNCIL / PROJECT / "costsplit-2024.docx" for d in "ab")
    assert one.read_bytes() == two.read_bytes()


@pytest.mark.parametrize("option", ["--year", "--period"])
def test_a_status_report_with_a_year_and_as_of_is_refused_either_way(tmp_path, capsys, option):
    """--year 2016 --as-of 2016-10-07 made the status report per 31.12.2016 without a word (--as-of
    dropped), while --period 2016 --as-of was refused: both are now the one line."""
    code, out, err = run(capsys, CONFIG, "render", "status", "haugaland-velferdsteknologi", option, "2016",
                         "--as-of", "2016-10-07", "--out", str(tmp_path / "out"))
    assert (code, out, err) == (1, "", [f"error: {option}: give either {option} or --as-of, not both"])
    assert not (tmp_path / "out").exists()


def test_a_cost_split_dated_before_the_project_starts_says_so(tmp_path, capsys):
    """A split by a key of a year before the start (1.1.2023), dated 1.12.2023 for a project from
    1.1.2024: made, and the page and the command say it was made before the project started."""
    population = {n: {2023: p} for n, p in (("Åsen", 5000), ("Berg", 12000), ("Dal", 800))}
    config = write(tmp_path, split="split:\n  weight: innbyggere\n  weight_year: 2023\n  decision: Vedtak\n",
                   population=population)
    code, out, err = run(capsys, config, "render", "costsplit", PROJECT, "--year", "2024", "--as-of", "2023-12-01",
                         "--out", str(tmp_path / "out"))
    assert code == 0, err
    assert any("before the project starts (01.01.2024)" in line for line in err), err
    text = all_text(tmp_path / "out" / COUNCIL / PROJECT / "costsplit-2024.docx")
    assert "Kostnadsfordelingen er datert 1. desember 2023, før prosjektet starter 1. januar 2024." in \
        text.replace("\u00a0", " "), text
