"""prefect.yaml and flows/deployments.py (what `grantflow serve` runs) declare the same deployments."""

import yaml

from flows.deployments import DEPLOYMENTS, KIND_DEPLOYMENT, TIMEZONE, WATCH_CRON

from ..conftest import ROOT


def test_prefect_yaml_matches_served_deployments():
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    declared = {d["name"]: d for d in spec["deployments"]}
    assert set(declared) == set(DEPLOYMENTS)
    for name, (entrypoint, _flow) in DEPLOYMENTS.items():
        assert declared[name]["entrypoint"] == entrypoint
        path, func = entrypoint.split(":")
        assert f"def {func}(" in (ROOT / path).read_text(encoding="utf-8")
        assert declared[name]["work_pool"]["name"] == "grantflow"
    (schedule,) = declared["deadline-watch"]["schedules"]
    assert (schedule["cron"], schedule["timezone"]) == (WATCH_CRON, TIMEZONE)
    assert declared["deadline-watch"]["concurrency_limit"] == 1
    assert set(KIND_DEPLOYMENT.values()) <= set(DEPLOYMENTS)


def test_every_document_kind_has_a_deployment_and_no_other():
    """`grantflow run KIND` checks KIND against KIND_DEPLOYMENT without importing the documents."""
    from grantflow.documents import KINDS

    assert list(KIND_DEPLOYMENT) == list(KINDS)
