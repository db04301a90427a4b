"""A council that writes its county governor in nynorsk ("Statsforvaltaren i Vestland", the
office's own spelling) is addressed so in the document and in the mail alike.

An outside tester (a new council's secretary, Nordfjordrådet) got documents saying "Til:
Statsforvalteren i Vestland" while the mail's To name and greeting said "Statsforvaltaren i
Vestland". The configured name is the council's choice: both now say it. A document dated before
2021 names the office as it was then, Fylkesmannen, in both.
"""

from __future__ import annotations

from email.utils import parseaddr

import pytest


from ..conftest import replace_in
from ..docx_text import all_text
from ..smtp_server import smtp_sender

NBSP = "\u00a0"
NYNORSK = "Statsforvaltaren i Innlandet"
GOVERNOR = "fm-innlandet"


@pytest.fixture
def send(scratch_config, tmp_path, monkeypatch):
    replace_in(scratch_config / "councils/nord-gudbrandsdal.yaml", "  name: Fylkesmannen i Innlandet",
               f"  name: {NYNORSK}")
    return smtp_sender(scratch_config, tmp_path, monkeypatch, "--override-reason", "kjent differanse")


def _governor_mail(mails, scratch_config):
    council = (scratch_config / "councils/nord-gudbrandsdal.yaml").read_text(encoding="utf-8")
    address = council.split("county_governor:", 1)[1].split("email:", 1)[1].split()[0].strip("\"'")
    (mail,) = [m for m in mails if parseaddr(str(m["To"]))[1] == address]
    return mail, mail.get_body(("plain",)).get_content().replace(NBSP, " ").replace("\r\n", "\n")


def test_the_nynorsk_name_is_in_the_document_and_the_mail(scratch_config, tmp_path, send):
    mails = send("usage", "--council", "nord-gudbrandsdal", "--year", "2021", "--as-of", "2022-01-25")
    mail, body = _governor_mail(mails, scratch_config)
    assert parseaddr(str(mail["To"]))[0] == NYNORSK
    assert body.startswith(f"Til {NYNORSK}\n"), body
    (docx,) = (tmp_path / "outputs").rglob("usage-2021.docx")
    text = all_text(docx).replace(NBSP, " ")
    assert NYNORSK in text and "Statsforvalteren" not in text, text


def test_before_2021_both_say_fylkesmannen(scratch_config, tmp_path, send):
    # the usage report per 31.12.2019 is addressed 1 January 2020, before the office was renamed
    mails = send("usage", "--council", "nord-gudbrandsdal", "--year", "2019", "--as-of", "2020-01-25")
    mail, body = _governor_mail(mails, scratch_config)
    assert parseaddr(str(mail["To"]))[0] == "Fylkesmannen i Innlandet"
    assert body.startswith("Til Fylkesmannen i Innlandet\n"), body
    (docx,) = (tmp_path / "outputs").rglob("usage-2019.docx")
    text = all_text(docx)
    assert "Fylkesmannen i Innlandet" in text and "Statsforval" not in text, text
