"""No answer from the project leader by the send date: the status report goes out with the parts the
leader reports marked "ikke rapportert", and the secretariat is told once (the server side, where the
deadline watch resumes the suspended run, is in tests/integration/test_status_cycle.py)."""

from datetime import date
from email import policy
from email.parser import BytesParser

import yaml
from prefect import flow

from flows.documents import DeliveryOptions, document_flow
from flows.status_cycle import no_answer
from grantflow.register import open_register

from ..docx_text import all_text

HAUG = "haugaland-velferdsteknologi"
AS_OF = date(2016, 10, 7)


def _outbox(isolated, subject_part):
    mails = [BytesParser(policy=policy.default).parsebytes(p.read_bytes())
             for p in (isolated / "outputs").rglob("*.eml")]
    return [m for m in mails if subject_part in str(m["Subject"])]


def test_no_answer_sends_ikke_rapportert_and_tells_the_secretariat_once(isolated, scratch_config):
    options = DeliveryOptions(config=str(scratch_config))
    notes_file = scratch_config / "data" / HAUG / "notater.yaml"
    earlier = yaml.safe_load(notes_file.read_text(encoding="utf-8"))["status"][-1]["summary"]

    @flow
    def cycle_resumed_without_answer():
        no_answer(HAUG, AS_OF, options)
        no_answer(HAUG, AS_OF, options)          # a resumed run goes through it again: still once
        return document_flow("status", project=HAUG, as_of=AS_OF, options=options)

    result = cycle_resumed_without_answer()
    text = all_text(result["docx"])
    assert text.count("Ikke rapportert: prosjektleder svarte ikke innen fristen.") == 3   # summary, quality, benefits
    assert "Prosjektleders avvik og forklaringer: ikke rapportert." in text
    assert "Prosjektleders plan for neste periode: ikke rapportert." in text
    assert earlier[:40] not in text                  # last period's words are not passed off as this period's
    assert result["sent"] and not result["failed"]

    secretariat = open_register(scratch_config).council("haugaland-vekst").secretariat.email
    (notice,) = _outbox(isolated, "Statusrapport uten prosjektleders rapportering")
    assert notice["To"].addresses[0].addr_spec == secretariat
    assert "ikke rapportert" in notice.get_body(("plain",)).get_content()
    # no reminder went out for this period: the secretariat is not told of one
    assert "svarte ikke på statusrapporteringen for" in notice.get_body(("plain",)).get_content()
    assert "påminnelse" not in notice.get_body(("plain",)).get_content()
    note = yaml.safe_load(notes_file.read_text(encoding="utf-8"))["status"][-1]
    assert note["not_reported"] is True and str(note["as_of"]) == AS_OF.isoformat()
