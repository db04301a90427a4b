"""One Prefect test harness for the whole session; these tests run real flows."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def prefect_harness():
    from prefect.settings import (PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
                                  PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED, temporary_settings)
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None,
                                 PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED: False}):
            yield


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """Outputs, outbox and ledger in a temp dir."""
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    return tmp_path
