"""Each version's record says what it was made from: the data files as read, and its findings."""

import hashlib
import json
from datetime import datetime, timezone

from grantflow.cli import main

from ..conftest import replace_in

STATUS = ["status", "kongsbergregionen-erp", "--as-of", "2014-08-29"]
NOTES = "data/kongsbergregionen-erp/notater.yaml"


def _state(path):
    """What the record should say of a file now, computed here from the file itself."""
    data = path.read_bytes()
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "modified": datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).isoformat(timespec="seconds")}


def _named(entry, path):
    found = [s for s in entry.get("sources") or [] if s.get("path") == path]
    assert len(found) == 1, (path, entry.get("sources"))
    return {k: found[0][k] for k in ("size", "sha256", "modified")}


def test_each_version_names_the_data_it_was_made_from(scratch_config, tmp_path, monkeypatch):
    """Version 1 went out; the notes file changed and version 2 was made. The record (.json)
    named no data file, hash or date, and kept the findings of the latest version only: what
    version 1 was made from, and what it was sent with, could not be told (found by an outside
    auditor). Each version's entry now names every data file read, with its size, sha256 and
    modification time as it was read, and the findings it was made with; version 1's stay."""
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    record_path = tmp_path / "outputs/kongsbergregionen/kongsbergregionen-erp/status-2014-08-29.json"
    notes = scratch_config / NOTES
    base = ["--config", str(scratch_config)]
    assert main([*base, "send", *STATUS]) == 0                      # version 1 goes out (the outbox)
    before = _state(notes)
    ledger_before = _state(scratch_config / "data/kongsbergregionen-erp/regnskap.xlsx")
    first_findings = json.loads(record_path.read_text(encoding="utf-8"))["findings"]

    # the status note now dated before the report's day: version 1's warning about it is gone in version 2
    replace_in(notes, "as_of: 2014-09-01", "as_of: 2014-08-28")
    assert main([*base, "render", *STATUS]) == 0
    after = _state(notes)
    assert after["sha256"] != before["sha256"]

    record = json.loads(record_path.read_text(encoding="utf-8"))
    v1, v2 = record["versions"]
    assert (v1["version"], v2["version"]) == (1, 2)
    assert _named(v1, NOTES) == before
    assert _named(v2, NOTES) == after
    assert _named(v1, "data/kongsbergregionen-erp/regnskap.xlsx") == ledger_before
    assert _named(v2, "projects/kongsbergregionen-erp.yaml")["sha256"] == hashlib.sha256(
        (scratch_config / "projects/kongsbergregionen-erp.yaml").read_bytes()).hexdigest()
    # the findings each version was made with: version 1's stay when version 2 comes
    assert any("no status note dated on or before 2014-08-29" in f for f in first_findings), first_findings
    assert v1.get("findings") == first_findings
    assert v2.get("findings") == record["findings"] != first_findings
    assert not any("no status note" in f for f in v2["findings"])
