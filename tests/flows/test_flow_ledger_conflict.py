"""A document flow whose document the ledger has, same version, with other content: the run
fails with that one line and sends nothing (a copy numbered by a render that did not see the
ledger: another send recorded between the render and this one's plan)."""

from datetime import date

import pytest

from flows.documents import DeliveryOptions, status_report
from grantflow.errors import UserError

from ..conftest import replace_in


def test_status_flow_refuses_other_content_under_a_sent_version(isolated, scratch_config, monkeypatch):
    from grantflow.documents import service

    project = "haugaland-velferdsteknologi"
    first = status_report(project=project, as_of=date(2016, 10, 7),
                          options=DeliveryOptions(config=str(scratch_config), out=str(isolated / "o1")))
    assert len(first["sent"]) == 7
    monkeypatch.setattr(service, "_ledger_versions", lambda root, key: {})
    replace_in(scratch_config / f"projects/{project}.yaml", "name: Sturle J. Monstad", "name: Sturle J. Monstadt")
    with pytest.raises(UserError, match="the ledger has version 1 of .* with other content"):
        status_report(project=project, as_of=date(2016, 10, 7),
                      options=DeliveryOptions(config=str(scratch_config), out=str(isolated / "o2")))
    assert len(list((isolated / "outputs" / "outbox").glob("*.eml"))) == 7
