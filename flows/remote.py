"""Trigger a served deployment and wait for its flow run, over Prefect's REST API, without importing Prefect.

``grantflow run KIND P`` against a running server used ``prefect.deployments.run_deployment``:
importing Prefect costs 1.5-3 s before the run is even created, and its fixed 5 s poll added on
average another 2.5 s before the finished run was noticed. This module speaks the same REST calls
(read the deployment by name, create a flow run from it, read the run) with the standard library,
and polls briefly at first (most document runs finish within seconds), then every few
seconds (a run waiting days for an approver).

Like Prefect's own client it sends ``PREFECT_API_KEY`` (bearer) or ``PREFECT_API_AUTH_STRING``
(basic), honours ``PREFECT_API_TLS_INSECURE_SKIP_VERIFY`` and ``PREFECT_API_SSL_CERT_FILE``, and
retries answers 429/502/503 (a busy server's database).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import time
from dataclasses import dataclass

from grantflow.errors import UserError

FINAL = ("COMPLETED", "FAILED", "CANCELLED", "CRASHED")
RETRY_STATUS = (429, 502, 503)


_FAILED = "Flow run encountered an exception: "
# Prefect names the exception's class in the message; UserError and its subclasses (this module
# does not import them: tests/unit/test_remote_state.py keeps the list complete)
USER_ERROR_CLASSES = ("UserError", "ContentConflict")


def user_mistake(message: str, kinds: tuple[str, ...] = USER_ERROR_CLASSES) -> str | None:
    """The flow's one-line ``UserError`` in a failed run's state message (Prefect writes
    'Flow run encountered an exception: UserError: --period: ...'), or None for anything else
    (a bug, a crash). ``kinds``: the UserError classes to take (the deadline watch leaves out a
    content conflict, which is not the project leader's data)."""
    text = " ".join(message.split()).removeprefix(_FAILED)
    for name in kinds:
        if text.startswith(f"{name}: "):
            return text.removeprefix(f"{name}: ")
    return None


def failed_message(exc: Exception) -> str:
    """The state message of a run ended Failed by ``exc``, as Prefect writes it for an exception the
    flow raised ('Flow run encountered an exception: UserError: …'); ``user_mistake`` reads it back."""
    return f"{_FAILED}{type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class RunState:
    id: str
    name: str
    state_type: str | None          # SCHEDULED, PENDING, RUNNING, PAUSED, COMPLETED, ...
    state_name: str | None          # "Suspended", "Completed", ...
    message: str = ""               # the state's message: why a run failed or was cancelled

    @property
    def final(self) -> bool:
        return self.state_type in FINAL

    @property
    def completed(self) -> bool:
        return self.state_type == "COMPLETED"

    @property
    def reason(self) -> str:
        """Why the run did not complete, as one line: the user mistake the flow refused
        (``user_mistake``), or the state's message."""
        text = " ".join(self.message.split()).removeprefix(_FAILED)
        return user_mistake(self.message) or text or f"the run ended {self.state_name or self.state_type}"

    @property
    def waiting_for_person(self) -> bool:
        """Suspended (or paused) for an approval or an answer: that takes hours or days, not seconds."""
        return self.state_type == "PAUSED"


class _Response:
    def __init__(self, status_code: int, body: bytes):
        self.status_code, self.body = status_code, body

    def json(self):
        return json.loads(self.body or b"null")


class _Client:
    """The few REST calls below, with urllib (httpx alone would add ~0.2-0.3 s of imports)."""

    def __init__(self, api: str):
        import ssl

        self.base = api.rstrip("/") + "/"
        self.headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if os.environ.get("PREFECT_API_KEY"):
            self.headers["Authorization"] = f"Bearer {os.environ['PREFECT_API_KEY']}"
        elif os.environ.get("PREFECT_API_AUTH_STRING"):
            token = base64.b64encode(os.environ["PREFECT_API_AUTH_STRING"].encode()).decode()
            self.headers["Authorization"] = f"Basic {token}"
        self.context = None
        if self.base.startswith("https:"):
            if os.environ.get("PREFECT_API_TLS_INSECURE_SKIP_VERIFY", "").lower() in ("1", "true", "yes"):
                self.context = ssl._create_unverified_context()
            else:
                self.context = ssl.create_default_context(cafile=os.environ.get("PREFECT_API_SSL_CERT_FILE") or None)

    def request(self, method: str, path: str, json_body=None) -> _Response:
        import urllib.error
        import urllib.request

        data = None if json_body is None else json.dumps(json_body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=self.headers)
        try:
            with urllib.request.urlopen(request, timeout=30, context=self.context) as response:
                return _Response(response.status, response.read())
        except urllib.error.HTTPError as exc:
            return _Response(exc.code, exc.read())


def _call(client: _Client, method: str, path: str, api: str, json_body=None) -> _Response:
    for attempt in range(6):
        try:
            response = client.request(method, path, json_body)
        except (ValueError, http.client.InvalidURL) as exc:      # a space in the host, a bad IPv6 address
            raise UserError(f"not a usable server address {api!r} ({exc}); write it like "
                            "http://127.0.0.1:4200/api", field="PREFECT_API_URL") from None
        except (OSError, http.client.HTTPException) as exc:   # refused, unreachable, timed out, TLS, not HTTP
            raise UserError(f"no Prefect server answers at {api} ({type(exc).__name__}); is `grantflow serve` "
                            "running?", field="PREFECT_API_URL") from None
        if response.status_code not in RETRY_STATUS or attempt == 5:
            return response
        time.sleep(min(0.5 * 2 ** attempt, 8))
    raise AssertionError("unreachable")


def _detail(response: _Response) -> str:
    try:
        detail = response.json().get("detail", response.body.decode(errors="replace"))
    except (ValueError, AttributeError):
        detail = response.body.decode(errors="replace")
    return str(detail)[:300]


def _object(response: _Response, api: str) -> dict:
    """The answer's JSON object with an ``id``, or one line saying the server is not Prefect's
    (a proxy's login page, a web server on the wrong port)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or "id" not in body:
        seen = response.body[:80].decode(errors="replace").replace("\n", " ").strip() or "an empty answer"
        raise UserError(f"the server at {api} did not answer as a Prefect API (HTTP {response.status_code}: "
                        f"{seen!r}); check PREFECT_API_URL", field="PREFECT_API_URL")
    return body


def _state(body: dict) -> RunState:
    state = body.get("state") if isinstance(body.get("state"), dict) else {}
    return RunState(str(body["id"]), body.get("name") or "", state.get("type"), state.get("name"),
                    state.get("message") or "")


def trigger(api: str, flow_name: str, deployment: str, parameters: dict, wait: bool = True,
            max_poll: float = 5.0) -> RunState:
    """Create a flow run of ``flow_name/deployment``; with ``wait`` return once it is final or
    waits for a person (approval): the run goes on by itself when the form is answered."""
    client = _Client(api)
    response = _call(client, "GET", f"deployments/name/{flow_name}/{deployment}", api)
    if response.status_code == 404:
        raise UserError(f"the server at {api} has no deployment {flow_name}/{deployment}; start "
                        "`grantflow serve` (or `prefect deploy --all`) first", field="PREFECT_API_URL")
    if response.status_code >= 400:
        raise UserError(f"the Prefect server refused to read deployment {flow_name}/{deployment}: "
                        f"{response.status_code} {_detail(response)}", field="PREFECT_API_URL")
    found = _object(response, api)
    deployment_id = found["id"]
    if _not_served(found):
        raise UserError(_not_served_text(api, flow_name, deployment), field="PREFECT_API_URL")
    response = _call(client, "POST", f"deployments/{deployment_id}/create_flow_run", api,
                     {"parameters": parameters})
    if response.status_code >= 400:
        raise UserError(f"the Prefect server refused the run of {flow_name}/{deployment}: "
                        f"{response.status_code} {_detail(response)}", field="PARAMETERS")
    run = _state(_object(response, api))
    delay, started = 0.1, time.monotonic()
    while wait and not run.final and not run.waiting_for_person:
        time.sleep(delay)
        # brief polls while a document run would finish, then every few seconds (an approval waits days)
        delay = min(delay * 1.5, 0.5 if time.monotonic() - started < 60 else max_poll)
        try:
            response = _call(client, "GET", f"flow_runs/{run.id}", api)
        except UserError:
            # the server went away after the run began (killed, restarted): the run's own process may
            # go on and send; "no server answers, is serve running?" made an operator think nothing
            # had gone out when every mail had (found by an outside operator)
            raise UserError(f"lost the Prefect server at {api} while flow run {run.name or run.id} was "
                            f"{(run.state_name or run.state_type or 'starting').lower()}: the run may have finished "
                            "and its documents may have gone out; once the server is back, see the run's state "
                            "and `grantflow sent` before running it again", field="PREFECT_API_URL") from None
        if response.status_code >= 400:
            raise UserError(f"the Prefect server did not return flow run {run.id}: {response.status_code} "
                            f"{_detail(response)}", field="PREFECT_API_URL")
        run = _state(_object(response, api))
        if wait and run.state_type == "SCHEDULED" and time.monotonic() - started > NOT_PICKED_UP_SECONDS:
            # still not picked up: is anybody serving it (a crashed `grantflow serve` leaves it unpaused)?
            found = _object(_call(client, "GET", f"deployments/{deployment_id}", api), api)
            if _not_served(found, polled_once=False):
                # withdrawn: it would otherwise start (and send) whenever the deployment is next served
                _call(client, "DELETE", f"flow_runs/{run.id}", api)
                raise UserError(_not_served_text(api, flow_name, deployment) + f" (flow run {run.id} withdrawn)",
                                field="PREFECT_API_URL")
    return run


NOT_PICKED_UP_SECONDS = 30


def _not_served(found: dict, polled_once: bool = True) -> bool:
    """Nobody takes runs of this deployment: Prefect's NOT_READY (no `grantflow serve` or worker has
    asked for its runs in the last minute; with ``polled_once`` only if one ever did). Paused is not
    enough: a running serve still runs what is created by hand."""
    return found.get("status") == "NOT_READY" and bool(found.get("last_polled") or not polled_once)


def _not_served_text(api: str, flow_name: str, deployment: str) -> str:
    return (f"nobody serves {flow_name}/{deployment} at {api} (no process has asked for its runs in the last "
            "minute): start `grantflow serve` (or a worker for its pool) and run again")
