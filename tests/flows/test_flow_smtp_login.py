"""A document flow sending over SMTP with a wrong password: one login, one clear failure.
Retrying the step would fail the same way and count again toward the mail server locking the
account (a scheduled run per document would lock it within a morning)."""

from datetime import date

import pytest

from flows.documents import DeliveryOptions, status_report
from grantflow.errors import UserError

from ..delivery.test_smtp_faults import tls_config
from ..smtp_server import SmtpServer, free_port, self_signed


def test_a_wrong_smtp_password_is_tried_once_and_fails_the_run_with_one_line(isolated, scratch_config, monkeypatch):
    cert, key = self_signed(isolated)
    port = free_port()
    tls_config(scratch_config, port, cert)
    monkeypatch.setenv("GRANTFLOW_SMTP_PASSWORD", "feil-passord")
    server = SmtpServer(port=port, auth=("sekretariat", "riktig-passord"), tls=(cert, key))
    with server:
        with pytest.raises(UserError, match="SMTP login failed for 'sekretariat'") as info:
            status_report(project="haugaland-velferdsteknologi", as_of=date(2016, 10, 7),
                          options=DeliveryOptions(config=str(scratch_config), transport="smtp", approved=True,
                                                  override_reason="test"))
    assert server.authenticator.sessions() == 1, server.authenticator.attempts
    assert server.recorder.arrived == [] and "feil-passord" not in str(info.value)
