"""Secrets never leave the place they were given: a password in the sent ledger's URL, the SMTP
password, credentials in the Prefect server's URL. Each test makes the setting fail the way it
does in real use and then reads everything the command printed and every file it produced."""

from __future__ import annotations

from pathlib import Path

import pytest

from grantflow.cli import main

from ..conftest import replace_in
from ..smtp_server import free_port
from .test_ledger_integrity import send_args

LEDGER_PASSWORD = "LedgerPass-Pp3q"


def written(folder: Path) -> bytes:
    """Every byte of every file under ``folder`` that grantflow wrote (not the config it read)."""
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file() and "config" not in p.parts)


@pytest.mark.parametrize("where", ["environment", "settings"])
def test_a_ledger_url_with_a_password_is_never_shown(scratch_config, tmp_path, monkeypatch, capsys, where):
    """A PostgreSQL ledger that does not answer: one line naming the ledger, its password as ***
    (it was printed as given, and on a server kept in the run's state and logs)."""
    url = f"postgresql+psycopg://grantflow:{LEDGER_PASSWORD}@127.0.0.1:{free_port()}/ledger"
    if where == "environment":
        monkeypatch.setenv("GRANTFLOW_LEDGER_URL", url)
    else:
        monkeypatch.delenv("GRANTFLOW_LEDGER_URL", raising=False)
        replace_in(scratch_config / "grantflow.yaml", "  approval:", f"  ledger_url: {url}\n  approval:")
    out = tmp_path / "out"
    assert main(send_args(scratch_config, out)) == 1
    err = capsys.readouterr().err
    (line,) = err.strip().splitlines()
    assert line.startswith("error: ") and "cannot open the sent ledger at postgresql+psycopg://grantflow:***@" in line
    assert LEDGER_PASSWORD not in err and LEDGER_PASSWORD.encode() not in written(tmp_path)
