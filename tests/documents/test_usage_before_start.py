"""The usage report's Status says why a project is red when the reason is milestones the plan
dates before the project start (outside tester, session 21): Haugaland's row for 2015, sent to the
county governor, read "Alvorlig avvik: Milepælene 02 (275 dager) og 03 (122 dager) er forsinket"
for a project begun 101 days before 31.12.2015, without a word that the plan dates 02 and 03 in
March and August 2015, before the start on 21 September 2015."""

from __future__ import annotations

from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import CONFIG
from ..docx_text import find_table

NB = "\u00a0"


def _status(tmp_path, council: str, year: int) -> str:
    made = produce(open_register(CONFIG), "usage", council_id=council, period=str(year), out=tmp_path)
    (row,) = [r for r in find_table(made.docx, "Prosjekt")[1:] if r[0] != "Sum"]
    return row[6].replace(NB, " ")


def test_red_for_milestones_planned_before_the_start_says_so(tmp_path):
    # config/projects/haugaland-velferdsteknologi.yaml: period start 2015-09-21; milestone 2
    # "2015-03", milestone 3 "2015-08" (months only); both not reached by 31.12.2015 (milepaeler.csv)
    text = _status(tmp_path, "haugaland-vekst", 2015)
    assert text.startswith("Alvorlig avvik: Milepælene 02 (275 dager) og 03 (122 dager) er forsinket"), text
    assert ("er forsinket; de er planlagt før prosjektstart 21. september 2015 (mars 2015 og august 2015); "
            "prognosen er") in text, text


def test_late_milestones_planned_within_the_period_get_no_such_words(tmp_path):
    # Nord-Gudbrandsdal per 31.12.2020: 03, 04 and 05 late, all planned after its start
    text = _status(tmp_path, "nord-gudbrandsdal", 2020)
    assert "er forsinket" in text and "prosjektstart" not in text, text


def test_only_the_milestones_planned_before_the_start_are_named(scratch_config, tmp_path):
    # milestone 01 ("2015-10", within the period) not reached either: late 61 days at 31.12.2015
    progress = scratch_config / "data" / "haugaland-velferdsteknologi" / "milepaeler.csv"
    text = progress.read_text(encoding="utf-8")
    assert "1;ferdig;15.10.2015;Oppstartsmøte med alle ti kommuner\n" in text
    progress.write_text(text.replace("1;ferdig;15.10.2015;Oppstartsmøte med alle ti kommuner\n", "1;pågår;;\n"),
                        encoding="utf-8")
    made = produce(open_register(scratch_config), "usage", council_id="haugaland-vekst", period="2015", out=tmp_path)
    (row,) = [r for r in find_table(made.docx, "Prosjekt")[1:] if r[0] != "Sum"]
    text = row[6].replace(NB, " ")
    assert ("Milepælene 01 (61 dager), 02 (275 dager) og 03 (122 dager) er forsinket; milepælene 02 og 03 er "
            "planlagt før prosjektstart 21. september 2015 (mars 2015 og august 2015);") in text, text
