"""A cost split's key is dated only where its figures have a date. Population is counted on 1
January ("Innbyggere 1.1.2014"); an agreed percentage (or pupil numbers) is a figure per year with
no such day. Vestfjord's cost split by `prosentandel` was headed "Prosentandel 1.1.2021" and based
on "prosentandel per 1. januar i året", in the document, the application and `allocate` (left
open by session 21). The key and its years are read from the fixture's files here."""

from __future__ import annotations

import yaml

from grantflow.cli import main
from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import CONFIG, replace_in
from ..docx_text import all_text, find_table, paragraphs
from .test_figures_vestfjord import ID, vestfjord  # noqa: F401  (the fixture)

NB = "\u00a0"
HAUG = "haugaland-velferdsteknologi"


def _key(config) -> str:
    return yaml.safe_load((config / "projects" / f"{ID}.yaml").read_text(encoding="utf-8"))["split"]["weight"]


def test_an_agreed_percentage_is_headed_by_its_year_not_a_day(vestfjord, tmp_path):  # noqa: F811
    key = _key(vestfjord)
    assert key == "prosentandel"
    made = produce(open_register(vestfjord), "costsplit", ID, period="2021", out=tmp_path)
    table = find_table(made.docx, "Kommune", contains="Prosentandel 2021")
    # an agreed key shows no equal share (session 23: it had "Lik andel" and "Etter vekt" columns)
    assert table[0] == ["Kommune", "Prosentandel 2021", "Sum"]
    text = all_text(made.docx).replace(NB, " ")
    assert "Fordelt etter avtalt prosentandel for året:" in text
    assert "prosentandel per 1" not in text and "Prosentandel 1.1." not in text


def test_the_application_says_the_agreed_percentage_without_a_day(vestfjord, tmp_path):  # noqa: F811
    made = produce(open_register(vestfjord), "application", ID, period="2021", out=tmp_path)
    said = [p for p in paragraphs(made.docx) if p.startswith("Fordelt etter")]
    assert said == ["Fordelt etter avtalt prosentandel for året: hver kommunes andel er dens avtalte prosent av beløpet."]


def test_a_given_year_of_an_agreed_percentage_is_said_as_that_year(vestfjord, tmp_path):  # noqa: F811
    replace_in(vestfjord / "projects" / f"{ID}.yaml", "  weight: prosentandel\n",
               "  weight: prosentandel\n  weight_year: 2022\n")
    made = produce(open_register(vestfjord), "costsplit", ID, period="2021", out=tmp_path)
    assert find_table(made.docx, "Kommune", contains="Prosentandel 2022")[0][1] == "Prosentandel 2022"
    assert "Fordelt etter avtalt prosentandel for 2022:" in all_text(made.docx).replace(NB, " ")


def test_allocate_heads_the_agreed_percentage_by_its_year(vestfjord, capsys):  # noqa: F811
    assert main(["--config", str(vestfjord), "allocate", ID, "--year", "2021", "--format", "csv"]) == 0
    header = capsys.readouterr().out.lstrip("\ufeff").splitlines()[0]
    assert header == "Kommune;Deltar;Prosentandel 2021;Sum"
    assert main(["--config", str(vestfjord), "allocate", ID, "--year", "2021"]) == 0
    table = " ".join(capsys.readouterr().out.split())
    assert "(avtalt prosentandel 2021)" in table and "1.1." not in table


def test_population_keeps_its_first_of_january(tmp_path, capsys):
    made = produce(open_register(CONFIG), "costsplit", HAUG, period="2016", out=tmp_path)
    assert find_table(made.docx, "Kommune", contains="Lik andel")[0][1] == "Innbyggere 1.1.2014"
    assert "etter innbyggertall per 1.1.2014." in all_text(made.docx).replace(NB, " ")
    assert main(["--config", str(CONFIG), "allocate", HAUG, "--year", "2016"]) == 0
    assert "resten etter innbyggere 1.1.2014)" in " ".join(capsys.readouterr().out.split())


def test_allocate_shows_the_agreed_percentages_as_written(vestfjord, capsys):  # noqa: F811
    """`allocate`'s table printed Nesvik's 26,8 as 27 and Lio's 15,9 as 16 (the document and the
    CSV say 26,8 and 15,9)."""
    council = yaml.safe_load((vestfjord / "councils" / "vestfjord-regionrad.yaml").read_text(encoding="utf-8"))
    written = {m["name"]: m["weights"]["prosentandel"][2021] for m in council["municipalities"]}
    assert (written["Nesvik"], written["Lio"]) == (26.8, 15.9)
    assert main(["--config", str(vestfjord), "allocate", ID, "--year", "2021"]) == 0
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip()
            for line in capsys.readouterr().out.splitlines() if line.count("│") == 4}
    assert (rows["Nesvik"], rows["Lio"], rows["Fjordby"]) == ("26,8", "15,9", "35,2"), rows
