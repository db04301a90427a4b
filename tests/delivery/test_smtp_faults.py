"""Delivery attacked the way a real mail server, a real crash and a real secretariat would:
custom aiosmtpd handlers on 127.0.0.1, the `grantflow send` CLI's one line and exit code, the
mails as the server received them and the ledger's rows."""

from __future__ import annotations

import pytest

from grantflow.cli import main

from ..conftest import replace_in
from .test_ledger_integrity import env, ledger_rows, outbox, send_args  # noqa: F401 - fixture

PROJECT = "haugaland-velferdsteknologi"


def recipients_rule(config, body: str) -> None:
    replace_in(config / "grantflow.yaml", "  approval:", f"  recipients:\n    status: {body}\n  approval:")


@pytest.mark.parametrize("entry, why", [
    ("Ola Nordmann <ola@kommune.example.no>", "not an e-mail address"),     # a display name, as in a mail client
    ("ola@@kommune", "not an e-mail address"),
    ("styringsgruppa", "unknown recipient 'styringsgruppa'"),
])
def test_a_recipient_entry_that_is_no_plain_address_is_one_line_naming_file_and_field(scratch_config, env, capsys,
                                                                                       entry, why):
    recipients_rule(scratch_config, f'{{to: ["{entry}"]}}')
    assert main(send_args(scratch_config, env / "o1")) == 1
    err = capsys.readouterr().err
    (line,) = err.strip().splitlines()
    assert "grantflow.yaml:" in line and "delivery.recipients.status.to[0]" in line and why in line, line
    assert "internal error" not in err and outbox(env) == [] and ledger_rows(env) == []
