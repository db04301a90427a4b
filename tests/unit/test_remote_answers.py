"""`grantflow run` against something at PREFECT_API_URL that is not a Prefect server (a proxy's
login page, a web server on the wrong port, a mistyped address): one line, exit 1, no internal
error. A real HTTP server on 127.0.0.1 answers."""

from __future__ import annotations

import http.server
import threading

import pytest

from flows.remote import trigger
from grantflow.cli import main
from grantflow.errors import UserError


def _server(status: int, body: bytes, content_type: str):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize("status,body,content_type", [
    (200, b"<html><body>Log in to the proxy</body></html>", "text/html"),
    (200, b'{"detail": "ok"}', "application/json"),
    (200, b"[1, 2]", "application/json"),
    (200, b"", "text/plain"),
])
def test_an_answer_that_is_not_prefects_is_one_line(status, body, content_type):
    server = _server(status, body, content_type)
    try:
        api = f"http://127.0.0.1:{server.server_address[1]}/api"
        with pytest.raises(UserError) as info:
            trigger(api, "status_report", "status-report", {"project": "p"}, wait=False)
        assert "did not answer as a Prefect API" in str(info.value) and info.value.field == "PREFECT_API_URL"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("api", ["http://bad host/api", "http://[::1/api"])
def test_a_mistyped_server_address_is_one_line(api, monkeypatch, capsys):
    monkeypatch.setenv("PREFECT_API_URL", api)
    assert main(["run", "status", "haugaland-velferdsteknologi"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: PREFECT_API_URL: not a usable server address") and "internal error" not in err


@pytest.mark.parametrize("server", [True, False])
def test_run_with_an_unknown_kind_is_one_line(server, monkeypatch, capsys):
    if server:
        monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    else:
        monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert main(["run", "statsu", "haugaland-velferdsteknologi"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: KIND: unknown document kind 'statsu'") and "internal error" not in err


def test_run_against_a_server_does_not_import_the_document_stack():
    """`grantflow run` only asks the server: its start must not pay for pandas, numpy or the
    templates' libraries (0.45 s -> 1.13 s to the run created when it did; bench part `run`)."""
    import subprocess
    import sys

    code = ("import os, sys\n"
            "os.environ['PREFECT_API_URL'] = 'http://127.0.0.1:9/api'\n"
            "from grantflow.cli import main\n"
            "code = main(['run', 'status', 'haugaland-velferdsteknologi', '--no-wait'])\n"
            "heavy = sorted(m for m in ('pandas', 'numpy', 'docxtpl', 'pptx', 'prefect') if m in sys.modules)\n"
            "print(code, heavy)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "1 []", (out.stdout, out.stderr[-2000:])
    assert "error: " in out.stderr and "internal error" not in out.stderr


def test_a_server_lost_after_the_run_began_says_the_run_may_have_finished():
    """An outside operator killed the Prefect server while `grantflow run status …` was sending: the
    command said "no Prefect server answers at … is `grantflow serve` running?", exit 1, as if
    nothing had happened, while all five mails had gone out and the run was Completed once the
    server was back. A real HTTP server answers as Prefect's until the run is made, then drops the
    connection."""
    import json

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _json(self, body):
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if "/deployments/name/" in self.path:
                return self._json({"id": "d-1", "status": "READY", "last_polled": "2026-11-29T12:00:00Z"})
            self.close_connection = True        # the server killed: no answer at all
            self.connection.close()

        def do_POST(self):
            return self._json({"id": "r-1", "name": "status_report-kongsbergregionen-erp-2014-07-31",
                               "state": {"type": "RUNNING", "name": "Running"}})

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        api = f"http://127.0.0.1:{server.server_address[1]}/api"
        with pytest.raises(UserError) as info:
            trigger(api, "status_report", "status-report", {"project": "p"})
        said = str(info.value)
        assert said.startswith(f"PREFECT_API_URL: lost the Prefect server at {api} while flow run "
                               "status_report-kongsbergregionen-erp-2014-07-31 was running: the run may have "
                               "finished and its documents may have gone out"), said
        assert "is `grantflow serve` running" not in said
    finally:
        server.shutdown()
        server.server_close()
