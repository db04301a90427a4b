"""Which year's application a send without --year makes, and what a decided round's says.

Found by an outside tester (a new council): an application sent and decided in 2025 (award on
record), then a budget line changed; a year later ``grantflow send application P --yes`` sent
"Søknad … – 2025 (versjon 2, erstatter versjon 1)" to the county governor, because the default was
always the budget's first year.
"""

from __future__ import annotations

from email import message_from_bytes, policy

from grantflow.cli import main

from ..conftest import replace_in

HAUG = "haugaland-velferdsteknologi"


def _outbox(outputs):
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted((outputs / "outbox").glob("*.eml"))]


def test_without_a_year_the_open_round_is_sent_and_a_decided_one_is_said(scratch_config, tmp_path, capsys, monkeypatch):
    outputs = tmp_path / "outputs"
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(outputs))
    project = scratch_config / "projects" / f"{HAUG}.yaml"
    # the plan applies for skjønnsmidler in 2015 (decided: award 2015/4711 on record) and in 2016 (no award yet)
    replace_in(project, "applied_for: true, amounts: {2015: 400000}", "applied_for: true, amounts: {2015: 400000, 2016: 300000}")
    assert main(["--config", str(scratch_config), "send", "application", HAUG, "--yes"]) == 0
    out = capsys.readouterr()
    subjects = {m["Subject"] for m in _outbox(outputs)}
    assert subjects and all(s.endswith("– 2016") for s in subjects), subjects
    assert "round is decided" not in out.out + out.err
    # the decided round, asked for by year, is made as asked, with a line saying it is decided
    assert main(["--config", str(scratch_config), "render", "application", HAUG, "--year", "2015",
                 "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr()
    assert (f"{HAUG}.yaml funders.grants: the 2015 round is decided: the award from "
            "Fylkesmannen i Rogaland (skjønnsmidler) (2015/4711 (eksempel), of 20.05.2015) is on record; sent, this "
            "application reaches the county governor after the decision; the next round without an award is 2016 "
            "(--year 2016)") in out.out + out.err, out


def test_when_every_round_is_decided_the_first_is_made_as_before(scratch_config, tmp_path, capsys):
    """The demo's applications are history (2015, award on record): still made, with the line."""
    assert main(["--config", str(scratch_config), "render", "application", HAUG, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr()
    assert (tmp_path / "haugaland-vekst" / HAUG / "application-2015.docx").exists()
    assert "the 2015 round is decided" in out.out + out.err and "next round" not in out.out + out.err
