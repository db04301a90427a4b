"""Generated documents opened with python-docx: texts, table rows and amounts."""

import json
import shutil
import subprocess
import sys
from datetime import date

import pytest
import yaml

from grantflow.errors import UserError
from grantflow.documents.lint import check_templates
from grantflow.documents.render import soffice
from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import CONFIG, ROOT, replace_in
from ..docx_text import all_text, find_table, paragraphs

NB = "\u00a0"
TODAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
def register():
    return open_register(CONFIG)


def n(text: str) -> str:
    """Norwegian number text as Babel writes it (non-breaking group separator)."""
    return text.replace(" ", NB)


def test_haugaland_cost_split_table(register, tmp_path):
    made = produce(register, "costsplit", "haugaland-velferdsteknologi", period="2015", out=tmp_path, today=TODAY)
    assert made.docx == tmp_path / "haugaland-vekst/haugaland-velferdsteknologi/costsplit-2015.docx"
    table = find_table(made.docx, "Kommune", contains="Innbyggere 1.1.2014")
    assert table[0] == ["Kommune", "Innbyggere 1.1.2014", "Lik andel", "Etter vekt", "Sum", "Andel"]
    rows = {r[0]: r[1:] for r in table[1:]}
    assert rows["Haugesund"][:4] == [n("36 099"), n("12 360"), n("89 359"), n("101 719")]
    assert rows["Utsira"][:4] == [n("211"), n("12 360"), n("522"), n("12 882")]
    assert rows["Sum"] == [n("116 507"), n("123 600"), n("288 400"), n("412 000"), "100,0" + NB + "%"]
    text = all_text(made.docx)
    assert "30 % fordeles likt".replace(" %", NB + "%") in text
    assert f"2015: 412{NB}000{NB}kr" in text


def test_nord_gudbrandsdal_application_budget(register, tmp_path):
    made = produce(register, "application", "smart-velferdsregion-nord-gudbrandsdal", out=tmp_path, today=TODAY)
    heads = paragraphs(made.docx)
    assert "8. Kostnadsbudsjett (i 1000 kr)" in heads and "9. Finansieringsplan (i 1000 kr)" in heads
    costs = find_table(made.docx, "Kategori")
    assert costs[0] == ["Kategori", "2019", "2020", "Sum"]
    assert costs[1] == ["Prosjektleder og prosessadministrasjon", "800", "800", n("1 600")]
    assert costs[-1] == ["Sum", "900", "900", n("1 800")]
    financing = find_table(made.docx, "Kilde")
    # named by its funder entry, as the final report names it (office as on the day: TODAY)
    assert financing[1] == ["Statsforvalteren i Innlandet (skjønnsmidler)", n("1 400"), "–", n("1 400")]
    assert financing[-1] == ["Sum", n("1 800"), "0", n("1 800")]
    risks = find_table(made.docx, "Risiko")
    assert ["Tid i kommunene", "3", "5", "15"] == risks[[r[0] for r in risks].index("Tid i kommunene")][:4]
    text = all_text(made.docx)
    assert f"Omsøkt beløp: 1{NB}400{NB}000{NB}kr" in text
    assert "Søknad om skjønnsmidler – Smart velferdsregion Nord-Gudbrandsdal" in text   # page header


def test_status_report(register, tmp_path):
    made = produce(register, "status", "haugaland-velferdsteknologi", as_of=date(2016, 11, 15), out=tmp_path,
                   today=TODAY)
    assert made.docx.name == "status-2016-11-15.docx"
    milestones = find_table(made.docx, "Nr")
    by_nr = {r[0]: r for r in milestones[1:]}
    assert by_nr["01"][2:5] == ["oktober\u00a02015", "Ferdig", "15.10.2015"]
    assert by_nr["05"][3] == f"15{NB}dager forsinket"
    assert by_nr["07"][3] == "Ikke startet"
    dims = {r[0]: r[1] for r in find_table(made.docx, "Område")[1:]}
    assert dims == {"Fremdrift": "Gul", "Økonomi": "Gul", "Kvalitet": "Grønn", "Risiko": "Ikke vurdert",
                    "Gevinster": "Gul"}
    economy = find_table(made.docx, "År")
    # 2015 is over by the report date, so the plan to date is the whole year's budget
    assert economy[1] == ["2015", "Prosjektkostnader", n("1 211 321"), n("1 211 321"), n("317 261"),
                          "\u2212" + n("894 060"), "\u221273,8" + NB + "%"]
    text = all_text(made.docx)
    assert f"Milepæl 05 «Vurdere om prosjektet er i rute» er 15{NB}dager forsinket." in text
    assert "Felles anskaffelse av responssenter for alle ti kommuner" in text
    assert "Styringsgruppen anbefaler at responssenteret anskaffes felles" in text   # forslag til vedtak
    assert "Ingen tidligere statusrapport å sammenligne med." in text
    record = json.loads(made.record.read_text(encoding="utf-8"))
    assert record["version"] == 1 and record["snapshot"]["milestones"]["05"] == "Forsinket"


def test_changes_since_previous_status_and_versions(register, tmp_path):
    first = produce(register, "status", "haugaland-velferdsteknologi", as_of=date(2016, 6, 1), out=tmp_path,
                    today=TODAY)
    second = produce(register, "status", "haugaland-velferdsteknologi", as_of=date(2016, 11, 15), out=tmp_path,
                     today=TODAY)
    text = all_text(second.docx)
    assert "Milepæl 03: i rute → ferdig." in text or "Milepæl 05: i rute → forsinket." in text
    assert "Regnskapsført siden forrige rapport (1.\u00a0juni\u00a02016)" in text
    again = produce(register, "status", "haugaland-velferdsteknologi", as_of=date(2016, 11, 15), out=tmp_path,
                    today=TODAY)
    assert again.reused and again.version == 1 and again.docx.stat().st_mtime == second.docx.stat().st_mtime
    assert first.version == 1


def test_new_version_when_data_changes(scratch_config, tmp_path):
    """New content after a version left grantflow (sent, or put before an approver) is a new
    version; drafts rendered in between, never sent, keep the number: the county governor's first
    copy said "versjon 3" after two drafts (found by an outside tester). Every draft stays in the
    record as made and replaced."""
    from grantflow.documents.service import mark_issued

    register = open_register(scratch_config)
    one = produce(register, "final", "kongsbergregionen-erp", out=tmp_path, today=TODAY)
    milestones = scratch_config / "data/kongsbergregionen-erp/milepaeler.csv"
    replace_in(milestones, "4;ikke startet;;", "4;ferdig;31.12.2014;Ferdigstilt")
    draft = produce(open_register(scratch_config), "final", "kongsbergregionen-erp", out=tmp_path, today=TODAY)
    assert (one.version, draft.version) == (1, 1) and draft.content_hash != one.content_hash
    assert "versjon 2" not in all_text(draft.docx)
    assert mark_issued(draft.docx, 1, draft.content_hash) is None        # sent (or asked about)
    replace_in(milestones, "4;ferdig;31.12.2014;Ferdigstilt", "4;ferdig;30.12.2014;Ferdigstilt")
    two = produce(open_register(scratch_config), "final", "kongsbergregionen-erp", out=tmp_path, today=TODAY)
    replace_in(milestones, "4;ferdig;30.12.2014;Ferdigstilt", "4;ferdig;29.12.2014;Ferdigstilt")
    again = produce(open_register(scratch_config), "final", "kongsbergregionen-erp", out=tmp_path, today=TODAY)
    assert (two.version, again.version) == (2, 2) and not again.reused
    assert "versjon 2" in all_text(again.docx)
    record = json.loads(again.record.read_text(encoding="utf-8"))
    assert [(v["version"], "replaced_at" in v) for v in record["versions"]] == [
        (1, True), (1, False), (2, True), (2, False)]
    assert record["issued"] == [1]
    # back to what version 1 holds: version 1 again (its readers have it), not a new number
    replace_in(milestones, "4;ferdig;29.12.2014;Ferdigstilt", "4;ferdig;31.12.2014;Ferdigstilt")
    back = produce(open_register(scratch_config), "final", "kongsbergregionen-erp", out=tmp_path, today=TODAY)
    assert (back.version, back.content_hash) == (1, draft.content_hash)


def test_a_version_that_left_is_never_given_to_other_content(scratch_config, tmp_path):
    """Once a version is marked as leaving, it keeps its content; marking a version whose file was
    rendered again meanwhile records nothing and says what the file holds now."""
    from grantflow.documents.service import mark_issued

    one = produce(open_register(scratch_config), "final", "kongsbergregionen-erp", out=tmp_path, today=TODAY)
    replace_in(scratch_config / "data/kongsbergregionen-erp/milepaeler.csv", "4;ikke startet;;",
               "4;ferdig;31.12.2014;Ferdigstilt")
    draft = produce(open_register(scratch_config), "final", "kongsbergregionen-erp", out=tmp_path, today=TODAY)
    assert mark_issued(one.docx, 1, one.content_hash) == (1, draft.content_hash)
    assert json.loads(draft.record.read_text(encoding="utf-8"))["issued"] == []
    # a record written before "issued" was kept counts every version it lists as gone out
    record = json.loads(draft.record.read_text(encoding="utf-8"))
    del record["issued"]
    draft.record.write_text(json.dumps(record), encoding="utf-8")
    replace_in(scratch_config / "data/kongsbergregionen-erp/milepaeler.csv", "4;ferdig;31.12.2014;Ferdigstilt",
               "4;ferdig;30.12.2014;Ferdigstilt")
    assert produce(open_register(scratch_config), "final", "kongsbergregionen-erp", out=tmp_path,
                   today=TODAY).version == 2


def test_final_report(register, tmp_path):
    made = produce(register, "final", "smart-velferdsregion-nord-gudbrandsdal", out=tmp_path, today=TODAY)
    goals = find_table(made.docx, "Mål")
    assert goals[1][0].startswith("Innbyggerne skal motta")
    fin = find_table(made.docx, "Kilde")
    # the funder entry's name (its line's source is "Skjønnsmidler"), as the sentences name it
    assert fin[1] == ["Statsforvalteren i Innlandet (skjønnsmidler)", "2019/1234 (eksempel)", n("1 400 000"), n("1 400 000"), n("400 500"),
                      n("999 500"), "Tilbakebetales"]
    text = all_text(made.docx)
    assert "Søknad om videreføring sendes Statsforvalteren i Innlandet." in text
    assert "Regnskap mot budsjett (i 1000 kr)" in text


def test_usage_report(register, tmp_path):
    made = produce(register, "usage", council_id="nord-gudbrandsdal", period="2019", out=tmp_path, today=TODAY)
    assert made.docx == tmp_path / "nord-gudbrandsdal/usage-2019.docx"
    table = find_table(made.docx, "Prosjekt")
    row = table[1]
    assert row[0] == "Smart velferdsregion Nord-Gudbrandsdal"
    assert row[2:6] == [n("1 400 000"), n("198 000"), n("1 202 000"), "Søkes overført"]
    assert table[-1][:5] == ["Sum", "", n("1 400 000"), n("198 000"), n("1 202 000")]


def test_every_kind_for_every_demo_project(register, tmp_path):
    for project in register.projects:
        for kind in ("application", "status", "final", "costsplit"):
            made = produce(register, kind, project, out=tmp_path, today=TODAY)
            assert made.docx.exists() and made.docx.stat().st_size > 10_000
    for council in register.councils:
        assert produce(register, "usage", council_id=council, period="2019", out=tmp_path, today=TODAY).docx.exists()


def test_user_text_is_literal_and_safe(scratch_config, tmp_path):
    tricky = 'Kommune & co <b>fet</b> {{ project.name }} {% for x in y %}\tslutt'
    path = scratch_config / "projects/kongsbergregionen-erp.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["summary"] = tricky
    data["steering_group"][0]["name"] = "Rådmann & Co {{ x }}"     # '<' in a name: refused since session 22
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    register = open_register(scratch_config)
    made = produce(register, "application", "kongsbergregionen-erp", out=tmp_path, today=TODAY)
    text = all_text(made.docx)
    assert "Kommune & co <b>fet</b> {{ project.name }} {% for x in y %} slutt" in text
    assert "Rådmann & Co {{ x }}" in text
    # a control character no document can hold is refused where it is written, by line
    data["summary"] = tricky + "\x01"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(UserError, match=r"kongsbergregionen-erp.yaml:\d+: summary: contains the control character U\+0001"):
        open_register(scratch_config)


def test_templates_check_passes_and_catches_problems(tmp_path):
    assert check_templates() == []
    broken = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", broken)
    from docx import Document
    doc = Document(str(broken / "statusrapport.docx"))
    doc.add_paragraph("{{ ukjent_variabel }}")
    p = doc.add_paragraph("x")
    p._p.get_or_add_pPr().get_or_add_pStyle().set(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val", "FinnesIkke")
    doc.save(str(broken / "statusrapport.docx"))
    problems = check_templates(broken)
    assert any("undeclared variable 'ukjent_variabel'" in p for p in problems)
    assert any("style 'FinnesIkke'" in p for p in problems)
    assert all("statusrapport.docx" in p for p in problems)


def test_templates_in_sync_with_build_script():
    proc = subprocess.run([sys.executable, str(ROOT / "templates/build_templates.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) not installed")
def test_pdf_is_written(register, tmp_path):
    made = produce(register, "costsplit", "kongsbergregionen-erp", out=tmp_path, pdf=True, today=TODAY)
    assert made.pdf is not None and made.pdf.read_bytes().startswith(b"%PDF")


def test_pdf_without_libreoffice_keeps_docx(register, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    made = produce(register, "costsplit", "kongsbergregionen-erp", out=tmp_path, pdf=True, today=TODAY)
    assert made.pdf is None and "LibreOffice" in made.pdf_message and made.docx.exists()


def test_the_risk_tables_caption_says_what_the_table_shows(register, tmp_path):
    """Kongsberg's two risks (RF 9 and 6) stood under "Alle risikoer med risikofaktor 10 eller
    høyere." (found by an outside auditor)."""
    from types import SimpleNamespace

    from grantflow.documents.status_report import risk_rule

    produced = produce(register, "status", "kongsbergregionen-erp", as_of=date(2014, 8, 29), out=tmp_path)
    text = all_text(produced.docx)
    assert "Alle prosjektets to risikoer; ingen av dem har risikofaktor 10 eller høyere." in text
    assert "Alle risikoer med risikofaktor 10 eller høyere" not in text

    def rule(*factors):
        from grantflow.documents.common import top_risks

        project = SimpleNamespace(risks=[SimpleNamespace(factor=f) for f in factors])
        return risk_rule(project, top_risks(project, 10), 10)

    assert rule(16, 12, 10, 9) == "Alle risikoer med risikofaktor 10 eller høyere."
    assert rule(12) == "Alle risikoer med risikofaktor 10 eller høyere."
    assert rule(16, 4) == "Alle prosjektets to risikoer; bare én har risikofaktor 10 eller høyere."
    assert rule(16, 9, 6, 3) == "De tre høyeste risikoene; bare én har risikofaktor 10 eller høyere."
    assert rule(9, 6, 3, 2) == "De tre høyeste risikoene; ingen av dem har risikofaktor 10 eller høyere."
    assert rule(5) == "Prosjektets eneste risiko; den har lavere risikofaktor enn 10."


def test_an_equal_share_with_a_decimal_is_printed_as_given(scratch_config, tmp_path):
    """equal_percent 30,5 was printed "31 % fordeles likt …, 70 % etter innbyggertall" (101 %); the
    amounts were computed with 30,5 (found by an outside tester)."""

    replace_in(scratch_config / "projects/haugaland-velferdsteknologi.yaml", "  equal_percent: 30\n",
               "  equal_percent: 30.5\n")
    register = open_register(scratch_config)
    made = produce(register, "costsplit", "haugaland-velferdsteknologi", period="2016", out=tmp_path)
    text = n(all_text(made.docx))
    assert n("30,5 % fordeles likt mellom de deltakende kommunene, 69,5 % etter innbyggertall") in text, text
    assert "31 %" not in text and "70 %" not in text


def test_one_milestone_is_counted_in_the_singular(scratch_config, tmp_path):
    """"0 av 1 milepæler ferdig" (found by an outside tester)."""
    path = scratch_config / "projects/kongsbergregionen-erp.yaml"
    for line in ("  - {number: 2, date: 2014-03-31, event: Økonomimodul i drift i alle fire kommuner}\n",
                 "  - {number: 3, date: 2014-09-30, event: Lønn/personal i drift i alle fire kommuner}\n",
                 "  - {number: 4, date: 2014-12-31, event: Implementering ferdigstilt; innspill om videre samarbeid}\n"):
        replace_in(path, line, "")
    data = scratch_config / "data/kongsbergregionen-erp/milepaeler.csv"
    data.write_text("Milepæl;Status;Faktisk dato;Kommentar\n1;ferdig;28.06.2013;Alle moduler anskaffet\n",
                    encoding="utf-8")
    made = produce(open_register(scratch_config), "status", "kongsbergregionen-erp", as_of=date(2014, 8, 29),
                   out=tmp_path)
    text = all_text(made.docx)
    assert "1 av 1 milepæl ferdig; 0 forsinket." in text and "1 av 1 milepæl er ferdig, 0 er forsinket." in text
    assert "milepæler ferdig" not in text and "milepæler er ferdige" not in text
