"""The steering-group leader, who gets the application and the final report in copy, is the member
whose role says so, in bokmål or nynorsk. A council in Nordfjord wrote 'leiar': it was not taken,
the first member got the copies, and the county governor read "Kopi til: <the first member>"
(found by an outside tester). A steering group with no leader's role is said by validate."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from grantflow.cli import main
from grantflow.validate import validate

from ..conftest import replace_in

HAUG = "haugaland-velferdsteknologi"
FIRST = "{name: Rådmannen i Haugesund, role: leder,"
SECOND = "{name: Rådmannen i Karmøy, role: medlem,"
GOVERNOR = "fmropost@fylkesmannen.example.no"


def _mails(tmp_path) -> list[tuple[str, str, str]]:
    """(document kind, addressee, body) of each mail in the outbox: one mail per recipient."""
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default)
             for p in (tmp_path / "outputs" / "outbox").glob("*.eml")]
    return sorted((m["X-Grantflow-Document"].split()[0].rsplit("/", 1)[1].split("-")[0],
                   m["To"].addresses[0].addr_spec, m.get_body(("plain",)).get_content()) for m in mails)


@pytest.mark.parametrize("role", ["leiar", "Styringsgruppeleiar"])
def test_a_leader_written_in_nynorsk_gets_the_copies(scratch_config, tmp_path, monkeypatch, capsys, role):
    project = scratch_config / "projects" / f"{HAUG}.yaml"
    replace_in(project, FIRST, "{name: Rådmannen i Haugesund, role: medlem,")
    replace_in(project, SECOND, "{name: Rådmannen i Karmøy, role: " + role + ",")
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    for kind in ("application", "final"):
        assert main(["--config", str(scratch_config), "send", kind, HAUG, "--yes",
                     "--override-reason", "test"]) == 0, capsys.readouterr().err
    mails = _mails(tmp_path)
    assert [(kind, to) for kind, to, _ in mails] == [
        ("application", GOVERNOR), ("application", "radmann@karmoy.example.no"),
        ("final", GOVERNOR), ("final", "radmann@karmoy.example.no")]
    for kind, to, body in mails:
        if to == GOVERNOR:
            assert "Kopi til: Rådmannen i Karmøy (leder av styringsgruppen, Karmøy kommune)." in body \
                and "Haugesund" not in body, body
    findings = validate(scratch_config)[1]
    assert not [f for f in findings if f.field == "steering_group"]


def test_a_steering_group_without_a_leader_is_warned_of(scratch_config):
    project = scratch_config / "projects" / f"{HAUG}.yaml"
    replace_in(project, FIRST, "{name: Rådmannen i Haugesund, role: styreleder,")
    (warning,) = [f for f in validate(scratch_config)[1] if f.field == "steering_group"]
    assert warning.severity == "warning" and warning.file.endswith(f"projects/{HAUG}.yaml")
    assert project.read_text(encoding="utf-8").splitlines()[warning.line - 1].startswith("steering_group:")
    assert warning.message == (
        "no member of the steering group has a leader's role, so Rådmannen i Haugesund (the first member) gets "
        "the copies meant for the steering-group leader (steering_group_leader: by default the application "
        "and the final report); give the leader the role leder, styringsgruppeleder, leiar or styringsgruppeleiar")


def test_two_leaders_are_warned_of(clean, capsys):
    """Two members whose role says leader: the first silently got the copies (found by an outside
    tester). validate names both and says who gets them; a warning, so the exit stays 0."""
    project = clean / "projects" / f"{HAUG}.yaml"
    replace_in(project, SECOND, "{name: Rådmannen i Karmøy, role: Leiar,")
    assert main(["validate", "--config", str(clean)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "steering_group" in line]
    line_no = next(n for n, text in enumerate(project.read_text(encoding="utf-8").splitlines(), 1)
                   if "Rådmannen i Karmøy" in text)
    assert lines == [
        f"WARNING {project}:{line_no} steering_group[1].role: more than one member of the steering group has "
        "a leader's role (Rådmannen i Haugesund and Rådmannen i Karmøy), so Rådmannen i Haugesund (the first) "
        "gets the copies meant for the steering-group leader (steering_group_leader: by default the "
        "application and the final report); give the leader's role to one member only"]
