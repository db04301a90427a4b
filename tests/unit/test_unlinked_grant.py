"""An award letter on record that no line of the financing plan is linked to: the usage report told
the county governor "Tildelt: 0 kr … Ingen prosjekter med tildelte skjønnsmidler dette året" and
`validate` said nothing (found by an outside tester running the deadline watch for a year)."""

from __future__ import annotations

from grantflow.cli import main

from ..conftest import replace_in
from ..docx_text import all_text

FUNDER = """funders:
  - id: fm-buskerud
    name: Fylkesmannen i Buskerud
    email: fmbupost@fylkesmannen.example.no
    grants:
      - {year: 2014, amount: 300000, reference: "2014/1", decided: 2014-01-20}
"""


def _granted_unlinked(config):
    replace_in(config / "projects/kongsbergregionen-erp.yaml", "funders: []\n", FUNDER)


def test_validate_names_the_award_no_plan_line_is_linked_to(scratch_config, capsys):
    _granted_unlinked(scratch_config)
    code = main(["validate", str(scratch_config / "projects/kongsbergregionen-erp.yaml")])
    lines = [l.replace("\u00a0", " ") for l in capsys.readouterr().out.splitlines() if "fm-buskerud" in l]
    assert code == 1 and len(lines) == 1, lines
    assert lines[0].startswith("ERROR") and "kongsbergregionen-erp.yaml:70 funders[0].grants" in lines[0], lines
    assert "300 000 kr" in lines[0] and "funder: fm-buskerud" in lines[0], lines


def test_the_usage_report_says_the_grant_is_missing_not_that_nothing_was_granted(scratch_config, tmp_path, capsys):
    _granted_unlinked(scratch_config)
    out = tmp_path / "out"
    main(["--config", str(scratch_config), "render", "usage", "--council", "kongsbergregionen", "--year", "2014",
          "--as-of", "2015-01-10", "--out", str(out)])
    said = capsys.readouterr()
    assert "ERROR" in said.out + said.err and "funders[0].grants" in said.out + said.err, said
    text = all_text(out / "kongsbergregionen/usage-2014.docx").replace("\u00a0", " ")
    assert "tilsagn fra Fylkesmannen i Buskerud er registrert, men finansieringsplanen har ingen linje" in text, text
