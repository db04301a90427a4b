"""Trigger a served deployment and wait for its flow run, over Prefect's REST API, without importing Prefect.

``grantflow run KIND P`` against a running server used ``prefect.deployments.run_deployment``:
importing Prefect costs 1.5-3 s before the run is even created, and its fixed 5 s poll added on
average another 2.5 s before the finished run was noticed. This module speaks the same REST calls
(read the deployment by name, create a flow run from it, read the run) with httpx, which Prefect
itself uses, and polls briefly at first (most document runs finish within seconds), then every few
seconds (a run waiting days for an approver).

Like Prefect's own client it sends ``PREFECT_API_KEY`` (bearer) or ``PREFECT_API_AUTH_STRING``
(basic), honours ``PREFECT_API_TLS_INSECURE_SKIP_VERIFY`` and ``PREFECT_API_SSL_CERT_FILE``, and
retries answers 429/502/503 (a busy server's database).
"""

from __future__ import annotations

import base64
import os
import time
from dataclasses import dataclass

from grantflow.errors import UserError

FINAL = ("COMPLETED", "FAILED", "CANCELLED", "CRASHED")
RETRY_STATUS = (429, 502, 503)


@dataclass(frozen=True)
class RunState:
    id: str
    name: str
    state_type: str | None          # SCHEDULED, PENDING, RUNNING, PAUSED, COMPLETED, ...
    state_name: str | None          # "Suspended", "Completed", ...

    @property
    def final(self) -> bool:
        return self.state_type in FINAL

    @property
    def completed(self) -> bool:
        return self.state_type == "COMPLETED"


def _client(api: str):
    import httpx

    headers = {}
    if os.environ.get("PREFECT_API_KEY"):
        headers["Authorization"] = f"Bearer {os.environ['PREFECT_API_KEY']}"
    elif os.environ.get("PREFECT_API_AUTH_STRING"):
        token = base64.b64encode(os.environ["PREFECT_API_AUTH_STRING"].encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    verify: bool | str = True
    if os.environ.get("PREFECT_API_TLS_INSECURE_SKIP_VERIFY", "").lower() in ("1", "true", "yes"):
        verify = False
    elif os.environ.get("PREFECT_API_SSL_CERT_FILE"):
        verify = os.environ["PREFECT_API_SSL_CERT_FILE"]
    return httpx.Client(base_url=api.rstrip("/") + "/", headers=headers, verify=verify, timeout=30)


def _call(client, method: str, path: str, api: str, **kwargs):
    import httpx

    for attempt in range(6):
        try:
            response = client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise UserError(f"no Prefect server answers at {api} ({type(exc).__name__}); is `grantflow serve` "
                            "running?", field="PREFECT_API_URL") from None
        if response.status_code not in RETRY_STATUS or attempt == 5:
            return response
        time.sleep(min(0.5 * 2 ** attempt, 8))
    raise AssertionError("unreachable")


def _detail(response) -> str:
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    return str(detail)[:300]


def _state(body: dict) -> RunState:
    state = body.get("state") or {}
    return RunState(str(body["id"]), body.get("name") or "", state.get("type"), state.get("name"))


def trigger(api: str, flow_name: str, deployment: str, parameters: dict, wait: bool = True,
            max_poll: float = 5.0) -> RunState:
    """Create a flow run of ``flow_name/deployment``; with ``wait`` return once it is final."""
    with _client(api) as client:
        response = _call(client, "GET", f"deployments/name/{flow_name}/{deployment}", api)
        if response.status_code == 404:
            raise UserError(f"the server at {api} has no deployment {flow_name}/{deployment}; start "
                            "`grantflow serve` (or `prefect deploy --all`) first", field="PREFECT_API_URL")
        if response.status_code >= 400:
            raise UserError(f"the Prefect server refused to read deployment {flow_name}/{deployment}: "
                            f"{response.status_code} {_detail(response)}", field="PREFECT_API_URL")
        deployment_id = response.json()["id"]
        response = _call(client, "POST", f"deployments/{deployment_id}/create_flow_run", api,
                         json={"parameters": parameters})
        if response.status_code >= 400:
            raise UserError(f"the Prefect server refused the run of {flow_name}/{deployment}: "
                            f"{response.status_code} {_detail(response)}", field="PARAMETERS")
        run = _state(response.json())
        delay, started = 0.1, time.monotonic()
        while wait and not run.final:
            time.sleep(delay)
            # brief polls while a document run would finish, then every few seconds (an approval waits days)
            delay = min(delay * 1.5, 1.0 if time.monotonic() - started < 60 else max_poll)
            response = _call(client, "GET", f"flow_runs/{run.id}", api)
            if response.status_code >= 400:
                raise UserError(f"the Prefect server did not return flow run {run.id}: {response.status_code} "
                                f"{_detail(response)}", field="PREFECT_API_URL")
            run = _state(response.json())
        return run
