"""The forms a secretariat fills in the Prefect UI: project and council are choices from the
register, approval is a form with name, decision, comment and override reason."""

from prefect.utilities.callables import parameter_schema

from flows.approval import ApprovalForm
from flows.batch import batch
from flows.documents import application, cost_split, final_report, grant_usage_report, status_report

from ..conftest import CONFIG


def test_project_and_council_are_choices_from_the_register():
    projects = sorted(p.stem for p in (CONFIG / "projects").glob("*.yaml"))
    councils = sorted(p.stem for p in (CONFIG / "councils").glob("*.yaml"))
    for flow in (application, status_report, final_report, cost_split):
        assert parameter_schema(flow).properties["project"]["enum"] == projects
    assert parameter_schema(grant_usage_report).properties["council"]["enum"] == councils


def test_batch_kind_council_and_projects_are_choices():
    projects = sorted(p.stem for p in (CONFIG / "projects").glob("*.yaml"))
    councils = sorted(p.stem for p in (CONFIG / "councils").glob("*.yaml"))
    schema = parameter_schema(batch.fn).model_dump()["properties"]
    assert set(schema["kind"]["enum"]) == {"application", "status", "final", "usage", "costsplit"}
    assert schema["council"]["anyOf"][0]["enum"] == councils
    assert schema["projects"]["anyOf"][0]["items"]["enum"] == projects


def test_approval_form_fields():
    schema = ApprovalForm.model_json_schema()["properties"]
    assert set(schema) >= {"approver", "decision", "comment", "override_reason"}
    assert schema["decision"]["enum"] == ["godkjenn", "avvis"]
