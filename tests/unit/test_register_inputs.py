"""Council and project files written as a careless user would: one mistake, one line naming
file, line and field, exit 1 — never a second line that blames another file, never a silent pick."""

from __future__ import annotations

import re

import pytest

from grantflow.cli import main

from ..conftest import CONFIG, replace_in

COUNCIL = "councils/haugaland-vekst.yaml"
PROJECT = "projects/haugaland-velferdsteknologi.yaml"
SULDAL = "  - {name: Suldal, population: {2014: 3881}}"


def error_lines(capsys, config) -> tuple[int, list[str]]:
    code = main(["validate", str(config)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, [shown(line) for line in captured.out.splitlines() if line.startswith("ERROR")]


def shown(line: str) -> str:
    """A finding with its file shown from the config folder (the scratch copy's path differs)."""
    return re.sub(r"^(ERROR +)\S*?config/", r"\1config/", line)


@pytest.fixture(scope="module")
def demo_errors():
    """The demo's own errors (seed inconsistencies), left out of each case's lines."""
    import io
    from contextlib import redirect_stdout

    with redirect_stdout(io.StringIO()) as out:
        main(["validate", str(CONFIG)])
    return {shown(line) for line in out.getvalue().splitlines() if line.startswith("ERROR")}


def after_suldal(text: str):
    return lambda config: replace_in(config / COUNCIL, SULDAL, SULDAL + "\n" + text)


@pytest.mark.parametrize("mistake, says", [
    # one of the two won silently: the cost split used a population nobody chose
    (lambda c: replace_in(c / COUNCIL, "{2014: 36099}", "{2014: 36099, '2014': 36100}"),
     f"{COUNCIL}:25 municipalities[0].population: 2014 is given twice"),
    (lambda c: replace_in(c / COUNCIL, "{2014: 36099}", "{0: 36099}"),
     f"{COUNCIL}:25 municipalities[0].population: 0 is not a year"),
    # the same municipality composed and decomposed (Å as A + U+030A): 11 equal shares for 10
    (after_suldal('  - {name: "\u00c5l", population: {2014: 4700}}\n  - {name: "A\u030al", population: {2014: 4700}}'),
     f"{COUNCIL}:36 municipalities[11].name: municipality 'A\u030al' is listed twice (also as '\u00c5l')"),
    # the duplicate named by its own entry and line, not the list's first line (found by an outside tester)
    (lambda c: replace_in(c / PROJECT, "municipalities: [Haugesund, Karmøy, Bokn,",
                          "municipalities: [Haugesund, Karmøy,\n  haugesund, Bokn,"),
     f"{PROJECT}:30 municipalities[2]: municipality 'haugesund' is listed twice (also as 'Haugesund')"),
    # an entry written as a bare name: pydantic's 'instance of Municipality' named our class
    (after_suldal("  - Ål"), f"{COUNCIL}:35 municipalities[10]: should be keys with values (key: value, e.g. "
                             "{name: …}), not the text 'Ål'"),
    (after_suldal("  -"), f"{COUNCIL}:35 municipalities[10]: should be keys with values (key: value, e.g. "
                          "{name: …}), not an empty entry"),
    (after_suldal("  - {name: '', population: {2014: 10}}"),
     f"{COUNCIL}:35 municipalities[10].name: String should have at least 1 character"),
    # a misspelt kind: the rule applied to nothing, the default recipients got the document
    (lambda c: replace_in(c / COUNCIL, "population_source:", "recipients: {aplication: {to: [secretariat]}}\n"
                                                             "population_source:"),
     f"{COUNCIL}:23 recipients: unknown document kind 'aplication'"),
    # a bad value in the council file also said "unknown council" in the project file
    (lambda c: replace_in(c / COUNCIL, "{2014: 36099}", "{2014: '36,5'}"),
     f"{COUNCIL}:25 municipalities[0].population[2014]: 36,5 is not a whole number"),
    (lambda c: replace_in(c / COUNCIL, "id: haugaland-vekst", "id: haugaland-vekstt"),
     f"{COUNCIL}:3 id: council id 'haugaland-vekstt' does not match the file name"),
    # one misspelt key or year: ten lines, one per municipality
    (lambda c: replace_in(c / PROJECT, "weight: innbyggere", "weight: elevtal"),
     f"{PROJECT}:33 split.weight: no municipality of Haugaland Vekst has figures for 'elevtal'"),
    (lambda c: replace_in(c / PROJECT, "weight_year: 2014", "weight_year: 2041"),
     f"{PROJECT}:34 split.weight_year: no innbyggere figures on 1 January 2041 in haugaland-vekst for any "
     "participant (years given: 2014)"),
    # 0 read as "no weight year": the split silently used each budget year's figures
    (lambda c: replace_in(c / PROJECT, "weight_year: 2014", "weight_year: 0"),
     f"{PROJECT}:34 split.weight_year: Input should be greater than or equal to 1900"),
])
def test_one_mistake_in_the_register_is_one_line(scratch_config, capsys, demo_errors, mistake, says):
    mistake(scratch_config)
    code, lines = error_lines(capsys, scratch_config)
    new = [line for line in lines if line not in demo_errors]
    assert code == 1
    assert len(new) == 1 and re.match(r"ERROR +config/" + re.escape(says), new[0]), new


def test_a_municipality_written_decomposed_in_the_project_is_the_councils(scratch_config, capsys):
    """'Utsira' is ASCII; 'Tysvær' has no decomposition: a member with 'å' shows it. Ål in the
    council (composed), A + U+030A + l in the project: the same municipality, billed."""
    replace_in(scratch_config / COUNCIL, SULDAL, SULDAL + '\n  - {name: "\u00c5l", population: {2014: 4700}}')
    replace_in(scratch_config / PROJECT, "Sauda, Suldal]", 'Sauda, Suldal, "A\u030al"]')
    code = main(["--config", str(scratch_config), "allocate", "haugaland-velferdsteknologi", "--year", "2016",
                 "--format", "csv"])
    out = capsys.readouterr().out
    assert code == 0
    rows = [line.split(";") for line in out.splitlines()[1:]]
    assert len(rows) == 12                         # 11 members and the sum (old code: unknown municipality, exit 1)
    (al,) = [row for row in rows if row[0] in ("\u00c5l", "A\u030al")]
    assert al[1] == "ja" and al[2] == "4700" and int(al[5]) > 0


def test_a_project_id_windows_cannot_use_is_refused(scratch_config, capsys):
    """'con' (or nul, aux, com1, lpt1) is a slug, and made outputs/<council>/con/: a folder
    Windows cannot open, on the share the secretariat reads the documents from."""
    text = (scratch_config / "projects/kongsbergregionen-erp.yaml").read_text(encoding="utf-8")
    (scratch_config / "projects/kongsbergregionen-erp.yaml").unlink()
    (scratch_config / "projects/con.yaml").write_text(text.replace("id: kongsbergregionen-erp", "id: con"),
                                                       encoding="utf-8")
    code, lines = error_lines(capsys, scratch_config)
    mine = [line for line in lines if "con.yaml" in line]
    assert code == 1 and len(mine) == 1
    assert re.match(r"ERROR +config/projects/con\.yaml:7 id: 'con' is a device name on Windows", mine[0]), mine


def test_two_explanations_for_one_deviation_are_one_line(scratch_config, capsys):
    """'milepæl 04' and 'Milepæl 04' both matched milestone 04: the final report printed the
    first one found, whichever the project leader meant."""
    notes = scratch_config / "data/haugaland-velferdsteknologi/notater.yaml"
    replace_in(notes, "    milepæl 05:", "    Milepæl  04: Ny forklaring.\n    milepæl 05:")
    code, lines = error_lines(capsys, scratch_config)
    mine = [line for line in lines if "notater.yaml" in line]
    assert code == 1 and len(mine) == 1, lines
    assert ("evaluation.explanations: explanations 'milepæl 04' and 'Milepæl  04' are for the same deviation: "
            "keep one") in mine[0]


@pytest.mark.parametrize("year, says", [
    ("20150", "funders[1].grants[0].year: Input should be less than or equal to 2100"),
    ("2051", "funders[1].grants[0].year: grant year 2051 is after the project ends (2017): no usage report of "
             "the project would count it"),
])
def test_a_grant_year_no_report_would_count_is_one_line(scratch_config, capsys, year, says):
    """The county governor's award of 400 000 kr written for year 2051 (for 2015) was taken
    without a word, and no usage report of the project counted it."""
    replace_in(scratch_config / PROJECT, "{year: 2015, amount: 400000", "{year: " + year + ", amount: 400000")
    code, lines = error_lines(capsys, scratch_config)
    mine = [line for line in lines if PROJECT in line and "grants" in line]
    assert code == 1 and len(mine) == 1 and says in mine[0], lines


NOTES = "data/haugaland-velferdsteknologi/notater.yaml"


def test_an_explanation_key_that_names_no_deviation_is_one_line(scratch_config, capsys, demo_errors):
    """'kategori Prosjektkostnad' (for Prosjektkostnader) was ignored: the final report to the
    county governor said 'Forklaring mangler' beside the explanation the project leader wrote."""
    replace_in(scratch_config / NOTES, "kategori Prosjektkostnader:", "kategori Prosjektkostnad:")
    code, lines = error_lines(capsys, scratch_config)
    new = [line for line in lines if line not in demo_errors]
    assert code == 1 and len(new) == 1, new
    assert new[0].startswith(f"ERROR   config/{NOTES}:41 evaluation.explanations.kategori Prosjektkostnad: "
                             "'kategori Prosjektkostnad' names no deviation of the final report: write 'milepæl NN'")


def test_milestone_5_is_milestone_05_in_the_final_report(scratch_config, tmp_path, capsys):
    """'milepæl 5:' matched nothing: the report printed the progress comment instead of the
    explanation written for the county governor."""
    from ..docx_text import all_text

    replace_in(scratch_config / NOTES, "milepæl 05:", "Milepæl 5:")
    assert main(["--config", str(scratch_config), "render", "final", "haugaland-velferdsteknologi",
                 "--out", str(tmp_path)]) == 0, capsys.readouterr()
    (document,) = tmp_path.rglob("final-*.docx")
    assert "Evalueringen av responssenteret tok lengre tid fordi alle ti kommuner" in all_text(document)


def test_a_project_name_of_thousands_of_characters_is_refused(scratch_config, capsys):
    """A 5 000-character name typed into a workbook's Prosjekt sheet made a 5 033-character mail
    subject (outside attacker); a name is at most 200 characters."""
    import re

    from grantflow.cli import main

    path = scratch_config / "projects" / "kongsbergregionen-erp.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"^name: .*$", "name: " + "A" * 201, text, count=1, flags=re.M), encoding="utf-8")
    assert main(["--config", str(scratch_config), "validate", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("projects/kongsbergregionen-erp.yaml:8 name: String should have at most 200 characters"), out
