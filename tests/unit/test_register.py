from decimal import Decimal

import pytest

from grantflow.errors import UserError
from grantflow.register import load_register, open_register
from grantflow.yamlfile import load_yaml

from ..conftest import replace_in


def test_demo_register_loads(config_dir):
    register, findings = load_register(config_dir)
    assert not findings
    assert set(register.projects) == {
        "haugaland-velferdsteknologi", "smart-velferdsregion-nord-gudbrandsdal", "kongsbergregionen-erp"}
    haug = register.project("haugaland-velferdsteknologi")
    assert len(register.council_of(haug).municipalities) == 10
    assert haug.budget.cost_kr(2015) == Decimal(1211321)
    assert haug.budget.own_effort_hours == 2073
    assert [a.number for a in haug.activities] == list(range(1, 11))
    assert haug.milestones[0].month_only and haug.milestones[0].date.isoformat() == "2015-10-31"
    ng = register.project("smart-velferdsregion-nord-gudbrandsdal")
    assert ng.budget.unit == 1000 and ng.budget.cost_kr(2019) == Decimal(900_000)
    assert ng.budget.financing_kr(2019) == Decimal(1_800_000)
    erp = register.project("kongsbergregionen-erp")
    assert len(erp.municipalities) == 4 and len(register.council_of(erp).municipalities) == 7


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nname: [unclosed\nother: 1\n", encoding="utf-8")
    with pytest.raises(UserError) as info:
        load_yaml(bad, "bad.yaml")
    assert info.value.file == "bad.yaml" and info.value.line == 3
    assert "invalid YAML" in str(info.value)


def test_unknown_key_is_reported_with_its_line(scratch_config):
    project = scratch_config / "projects" / "kongsbergregionen-erp.yaml"
    replace_in(project, "owner: Kongsbergregionen", "owner: Kongsbergregionen\nowenr: typo")
    register, findings = load_register(scratch_config)
    assert "kongsbergregionen-erp" not in register.projects
    (finding,) = findings
    assert finding.file.endswith("kongsbergregionen-erp.yaml") and finding.field == "owenr"
    lines = project.read_text(encoding="utf-8").splitlines()
    assert lines[finding.line - 1].startswith("owenr:")
    with pytest.raises(UserError, match="unknown key"):
        open_register(scratch_config)


def test_bad_email_and_range_are_reported(scratch_config):
    project = scratch_config / "projects" / "smart-velferdsregion-nord-gudbrandsdal.yaml"
    replace_in(project, "probability: 3, consequence: 5, rf: 12", "probability: 7, consequence: 5, rf: 12")
    replace_in(project, "radmann@lom.example.no", "radmann-at-lom")
    _, findings = load_register(scratch_config)
    fields = {f.field for f in findings}
    assert "risks[6].probability" in fields
    assert "steering_group[2].email" in fields


def test_duplicate_project_id(scratch_config):
    src = scratch_config / "projects" / "kongsbergregionen-erp.yaml"
    (scratch_config / "projects" / "copy.yaml").write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    _, findings = load_register(scratch_config)
    assert any("duplicate project id" in f.message for f in findings)
