"""The project leader's answer in the status cycle's form cannot be written to the data files (the
project's data folder cannot be written to): one line, the run Failed, the secretariat told with
the answer, no traceback (the cycle with a real server is in tests/integration/test_status_cycle.py)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from datetime import date
from email import message_from_bytes, policy

import pytest

HAUG = "haugaland-velferdsteknologi"
SECRETARIAT = "post@haugalandvekst.example.no"


@contextlib.contextmanager
def unwritable(folder):
    """``folder`` as a read-only share is: nothing in it can be created, replaced or removed (for
    root, which file modes do not stop, the immutable attribute)."""
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
            pytest.skip("chattr +i is not available here")
        undo = ["chattr", "-i", str(folder)]
    else:
        folder.chmod(0o555)
        undo = None
    try:
        yield
    finally:
        if undo:
            subprocess.run(undo, check=True)
        else:
            folder.chmod(0o755)


def test_an_answer_that_cannot_be_written_is_one_line_and_told(isolated, scratch_config, monkeypatch, capfd):
    # Kari Leder answers the status form; the project's data folder has become read-only (a share
    # mounted read-only, a permission changed). write-status-input failed with Prefect's traceback
    # in the log ("Task run 'write-status-input' ... PermissionError ... Traceback"), the run Failed
    # with it, and nobody heard that the answer was not taken in.
    import flows.documents as documents
    import flows.status_cycle as cycle
    from flows.options import DeliveryOptions

    monkeypatch.setattr(cycle, "can_suspend", lambda: True)
    monkeypatch.setattr(documents, "can_suspend", lambda: False)     # no approval is waited for here
    data = scratch_config / "data" / HAUG
    stack = contextlib.ExitStack()

    def suspend(wait_for_input, key, timeout=None):
        stack.enter_context(unwritable(data))
        return wait_for_input(summary="Alt går etter planen, men leveransen fra leverandøren er forsinket.",
                              reported_by="Kari Leder")

    monkeypatch.setattr(cycle, "suspend_flow_run", suspend)
    before = (data / "notater.yaml").read_bytes()
    with stack:
        state = cycle.status_cycle(project=HAUG, as_of=date(2016, 10, 7),
                                   options=DeliveryOptions(config=str(scratch_config)), return_state=True)
    err = capfd.readouterr().err
    assert "Traceback" not in err, err[-3000:]
    assert state.is_failed(), state
    message = state.message or ""
    assert "\n" not in message and "Traceback" not in message, message
    assert "not written" in message and f"data/{HAUG}" in message and "Kari Leder" in message, message
    assert (data / "notater.yaml").read_bytes() == before
    # the secretariat is told, with the answer as given (nothing of it lost)
    outbox = isolated / "outputs" / "outbox"
    told = [m for m in (message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(outbox.rglob("*.eml")))
            if SECRETARIAT in [a.addr_spec for a in m["To"].addresses]]
    assert len(told) == 1, [str(m["Subject"]) for m in told]
    body = told[0].get_body(("plain",)).get_content()
    assert "Kari Leder" in body and "leveransen fra leverandøren er forsinket" in body, body
    assert f"data/{HAUG}" in body, body
