"""A final report treats the milestone that is its own delivery as delivered with it.

Nord-Gudbrandsdal's milestone 07 «Sluttrapport levert» (30.06.2021) was shown in its own final
report as "Ikke levert" (red), listed under Avvik with "Forklaring mangler" and counted as one of
the milestones not delivered: the report said it had not delivered itself. A milestone marked
``final_report: true`` in the project's YAML is now shown as "Leveres med denne rapporten" with
the report's date, and is no deviation; the other milestones are unchanged.
"""

from __future__ import annotations

from grantflow.cli import main
from grantflow.documents.service import produce
from grantflow.register import open_register

from ..conftest import replace_in
from ..docx_text import all_text, find_table

NG = "smart-velferdsregion-nord-gudbrandsdal"
PLAN = f"projects/{NG}.yaml"


def test_the_final_reports_own_milestone_is_delivered_with_it(scratch_config, tmp_path):
    made = produce(open_register(scratch_config), "final", NG, out=tmp_path)
    table = find_table(made.docx, "Nr", "Forsinkelse (dager)")
    row = next(r for r in table if r[0] == "07")
    # the demo YAML marks milestone 7 final_report: true; the report is dated 30.06.2021 (the end)
    assert row[1:] == ["Sluttrapport levert", "30.06.2021", "30.06.2021", "",
                       "Leveres med denne rapporten"], row
    text = all_text(made.docx)
    assert "«Sluttrapport levert» er ikke levert" not in text
    assert "Sluttrapport levert" not in "\n".join(d for d in text.split("\n") if d.startswith("Milepæl "))
    # 01, 02 done (data) and 07 with this report, which the mail says (its reader sees no table)
    assert made.key_figures["Milepæler ferdig"] == "3 av 7 (medregnet sluttrapporten)"
    assert not any("milepæl 07" in f.field for f in made.findings)


def test_without_the_mark_the_milestone_is_an_ordinary_one(scratch_config, tmp_path):
    replace_in(scratch_config / PLAN, "event: Sluttrapport levert, final_report: true}", "event: Sluttrapport levert}")
    made = produce(open_register(scratch_config), "final", NG, out=tmp_path)
    row = next(r for r in find_table(made.docx, "Nr", "Forsinkelse (dager)") if r[0] == "07")
    assert row[-1] == "Ikke levert"


def test_two_final_report_milestones_are_an_error_naming_the_second(scratch_config, capsys):
    replace_in(scratch_config / PLAN, "event: Søknad om videreføring sendt}",
               "event: Søknad om videreføring sendt, final_report: true}")
    assert main(["validate", str(scratch_config)]) == 1
    out = capsys.readouterr()
    said = [l for l in (out.out + out.err).splitlines() if "].final_report" in l]
    assert len(said) == 1 and "milestones[6].final_report" in said[0] and "milestone 06" in said[0], said
