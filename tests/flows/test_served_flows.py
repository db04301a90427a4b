"""What `grantflow serve` hands Prefect's runner: every deployment of flows/deployments.py, as flow
objects the runner pickles (cloudpickle) into the run's process. A flow function is pickled by
value there, so its parameters must still validate after the round trip (with postponed
annotations they did not: "`Status_ReportModel` is not fully defined; you should define
`ProjectId`", and every served run failed)."""

from __future__ import annotations

import inspect
import pickle

import cloudpickle
import pytest

from flows.deployments import DEPLOYMENTS, served

# parameters as the server sends them (JSON), for each flow's required parameters
SAMPLE = {"project": "haugaland-velferdsteknologi", "council": "haugaland-vekst", "year": 2015, "kind": "status",
          "as_of": "2016-10-07"}


def test_serve_covers_every_deployment():
    names = {options["name"]: f.name for f, options in served()}
    assert names == {name: flow_name for name, (_, flow_name) in DEPLOYMENTS.items()}


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_served_flow_validates_parameters_after_pickling(name):
    flow = {options["name"]: f for f, options in served()}[name]
    copy = pickle.loads(cloudpickle.dumps(flow))
    signature = inspect.signature(copy.fn).parameters
    params = {k: v for k, v in SAMPLE.items() if k in signature}
    params["options"] = {"send": False, "approved": True}
    validated = copy.validate_parameters(params)
    assert type(validated["options"]).__name__ == "DeliveryOptions" and validated["options"].approved
    if "as_of" in signature:
        assert str(validated["as_of"]) == "2016-10-07" and not isinstance(validated["as_of"], str)
