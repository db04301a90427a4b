"""A copy of each version that goes out is kept: the document holds only its latest version."""

import pytest

from grantflow.cli import main
from grantflow.documents.render import soffice

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


@pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) not installed")
def test_a_pdf_made_after_the_version_went_out_is_kept_with_it(scratch_config, tmp_path, monkeypatch, capsys):
    """Version 1 went to the steering group as a .docx; the secretariat then made its PDF
    (`render … --pdf`, the same content: still version 1) for the archive. The PDF beside the
    document was not copied to '.versjoner': the record named no PDF of version 1, and once version
    2 was made nothing showed what version 1's PDF said. It is copied when made for a version that
    already went out, named in the record and by `grantflow sent`; the copy is the PDF as made."""
    import json

    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    folder = tmp_path / "outputs" / "kongsbergregionen" / "kongsbergregionen-erp"
    base = ["--config", str(scratch_config)]
    assert main([*base, *STATUS]) == 0                                   # version 1 goes out, no PDF
    assert main([*base, "render", *STATUS[1:], "--pdf"]) == 0            # its PDF, made afterwards
    assert "(version 1, unchanged)" in capsys.readouterr().out
    pdf = folder / "status-2014-08-29.pdf"
    copy = folder / ".versjoner" / "status-2014-08-29-versjon-1.pdf"
    assert copy.read_bytes() == pdf.read_bytes() and copy.read_bytes().startswith(b"%PDF")
    record = json.loads((folder / "status-2014-08-29.json").read_text(encoding="utf-8"))
    assert [v.get("pdf_copy") for v in record["versions"]] == [".versjoner/status-2014-08-29-versjon-1.pdf"]
    monkeypatch.setenv("COLUMNS", "200")
    assert main([*base, "sent", "kongsbergregionen-erp"]) == 0
    out = capsys.readouterr().out
    assert "status-2014-08-29 v1: " in out and ".versjoner/status-2014-08-29-versjon-1.pdf" in out, out
    # version 2 (new figures) does not write over version 1's PDF
    replace_in(scratch_config / "data/kongsbergregionen-erp/milepaeler.csv",
               "3;pågår;;Lønn i drift i tre av fire kommuner", "3;ferdig;25.08.2014;Lønn i drift i alle")
    kept = copy.read_bytes()
    assert main([*base, *STATUS, "--pdf"]) == 0
    assert copy.read_bytes() == kept != pdf.read_bytes()
    assert (folder / ".versjoner" / "status-2014-08-29-versjon-2.pdf").read_bytes() == pdf.read_bytes()
