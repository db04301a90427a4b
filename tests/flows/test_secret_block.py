"""The SMTP password from a Prefect Secret block (smtp.password_block): a misspelt block name
and a wrong password in it are one line that says where to look, and the password is nowhere."""

from datetime import date

import pytest

from flows.documents import DeliveryOptions, status_report
from grantflow.errors import UserError

from ..conftest import replace_in
from ..delivery.test_secrets import written
from ..delivery.test_smtp_faults import tls_config
from ..smtp_server import SmtpServer, free_port, self_signed


def block_config(config, name: str) -> None:
    replace_in(config / "grantflow.yaml", "password_env: GRANTFLOW_SMTP_PASSWORD",
               f"password_env: GRANTFLOW_SMTP_PASSWORD\n    password_block: {name}")


def run(config):
    return status_report(project="haugaland-velferdsteknologi", as_of=date(2016, 10, 7),
                         options=DeliveryOptions(config=str(config), transport="smtp", approved=True,
                                                 override_reason="test"))


def test_a_misspelt_secret_block_is_one_line_naming_the_setting(isolated, scratch_config, monkeypatch):
    """It failed with Prefect's 'ValueError: Unable to find block document named …' (no field,
    `grantflow run` showed 'error: ValueError: …'), and the step was retried."""
    monkeypatch.delenv("GRANTFLOW_SMTP_PASSWORD", raising=False)
    block_config(scratch_config, "smtp-passord-finnes-ikke")
    with pytest.raises(UserError) as info:
        run(scratch_config)
    assert info.value.field == "delivery.smtp.password_block"
    assert "no Prefect Secret block named 'smtp-passord-finnes-ikke'" in str(info.value)


def test_a_wrong_password_in_the_secret_block_names_the_block_and_never_shows_it(isolated, scratch_config,
                                                                                  monkeypatch):
    """'wrong user name or password (check GRANTFLOW_SMTP_PASSWORD)' sent the secretariat to a
    variable nobody had set; the password came from the block."""
    from prefect.blocks.system import Secret

    secret = "BlockPass-Rr5t"
    Secret(value=secret).save("smtp-passord-test", overwrite=True)
    monkeypatch.delenv("GRANTFLOW_SMTP_PASSWORD", raising=False)
    cert, key = self_signed(isolated)
    port = free_port()
    tls_config(scratch_config, port, cert)
    block_config(scratch_config, "smtp-passord-test")
    with SmtpServer(port=port, auth=("sekretariat", "riktig-passord"), tls=(cert, key)) as server:
        with pytest.raises(UserError) as info:
            run(scratch_config)
    assert server.authenticator.sessions() == 1 and server.recorder.arrived == []
    assert "check the Prefect Secret block 'smtp-passord-test'" in str(info.value)
    assert secret not in str(info.value) and secret.encode() not in written(isolated)
    # nor in the Prefect server's database (the run's state, logs, parameters, artifacts; the block
    # itself is stored encrypted there)
    database = prefect_database()
    assert b"SMTP login failed for 'sekretariat'" in database       # the run's failure is there, readable
    assert secret.encode() not in database


def prefect_database() -> bytes:
    from pathlib import Path

    from prefect.settings import PREFECT_API_DATABASE_CONNECTION_URL

    db = Path(PREFECT_API_DATABASE_CONNECTION_URL.value().split(":///", 1)[1])
    files = [p for p in db.parent.glob(db.name + "*") if p.is_file()]
    assert files, db
    return b"".join(p.read_bytes() for p in files)
