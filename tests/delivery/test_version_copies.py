"""A copy of each version that goes out is kept: the document holds only its latest version."""

from grantflow.cli import main

from ..conftest import replace_in

STATUS = ["send", "status", "kongsbergregionen-erp", "--as-of", "2014-08-29"]


def test_what_an_earlier_version_said_is_kept(scratch_config, tmp_path, monkeypatch, capsys):
    """Version 1 went to the steering group; new data made version 2, written over the .docx:
    nobody could show what version 1 said (found by an outside tester). Version 1's file is kept in
    the hidden '.versjoner' folder beside it as it went out, never written over, and `grantflow
    sent` names it; a draft that never went out is not kept."""
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    folder = tmp_path / "outputs" / "kongsbergregionen" / "kongsbergregionen-erp"
    milestones = scratch_config / "data/kongsbergregionen-erp/milepaeler.csv"
    base = ["--config", str(scratch_config)]
    assert main([*base, *STATUS]) == 0
    first = (folder / "status-2014-08-29.docx").read_bytes()
    replace_in(milestones, "3;pågår;;Lønn i drift i tre av fire kommuner", "3;ferdig;25.08.2014;Lønn i drift i alle")
    assert main([*base, "render", *STATUS[1:]]) == 0              # a draft: version 2, not sent
    replace_in(milestones, "3;ferdig;25.08.2014;Lønn i drift i alle", "3;ferdig;26.08.2014;Lønn i drift i alle")
    assert main([*base, *STATUS]) == 0                             # version 2 goes out
    copies = folder / ".versjoner"
    assert sorted(p.name for p in copies.iterdir() if not p.name.startswith(".")) == [
        "status-2014-08-29-versjon-1.docx", "status-2014-08-29-versjon-2.docx"]
    assert (copies / "status-2014-08-29-versjon-1.docx").read_bytes() == first != (folder / "status-2014-08-29.docx").read_bytes()
    assert (copies / "status-2014-08-29-versjon-2.docx").read_bytes() == (folder / "status-2014-08-29.docx").read_bytes()
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        "status-2014-08-29.docx", "status-2014-08-29.json"]       # the folder the secretariat opens
    capsys.readouterr()
    monkeypatch.setenv("COLUMNS", "200")
    assert main([*base, "sent", "kongsbergregionen-erp"]) == 0
    out = capsys.readouterr().out
    assert ".versjoner/status-2014-08-29-versjon-1.docx" in out and "status-2014-08-29 v1:" in out, out
