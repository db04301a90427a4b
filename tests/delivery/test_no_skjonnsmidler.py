"""The ERP project in Kongsbergregionen is paid by the municipalities alone (no skjønnsmidler, no
funders). The county governor got three mails about it: an application "Omsøkt beløp: 0 kr", a
final report "har ikke fått tilsagn" and a usage report of 0 projects (found by an outside tester
playing the county governor). By the default rule the county governor now gets only documents
about skjønnsmidler; a rule in config that names it is kept."""

from __future__ import annotations

from email import message_from_bytes, policy

import yaml

from grantflow.cli import main

from ..conftest import CONFIG

ERP = "kongsbergregionen-erp"
GOVERNOR = "fmbupost@fylkesmannen.example.no"


def _to(tmp_path) -> list[tuple[str, str]]:
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default)
             for p in (tmp_path / "outputs" / "outbox").glob("*.eml")]
    return sorted((m["X-Grantflow-Document"].split()[0], m["To"].addresses[0].addr_spec) for m in mails)


def test_the_county_governor_gets_nothing_about_a_project_without_skjonnsmidler(tmp_path, monkeypatch, capsys):
    plan = yaml.safe_load((CONFIG / "projects" / f"{ERP}.yaml").read_text(encoding="utf-8"))
    assert [l["kind"] for l in plan["budget"]["financing"]] == ["kommunene"] and plan["funders"] == []
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    assert main(["--config", str(CONFIG), "send", "application", ERP, "--yes"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: recipients: nothing to send: ERP-prosjektet for 4 kommuner has no skjønnsmidler in its "
                   "financing plan, so the county governor gets no 'application', and no one else is named for it"]
    assert main(["--config", str(CONFIG), "send", "usage", "--council", "kongsbergregionen", "--year", "2014",
                 "--yes"]) == 1
    assert "no project of Kongsbergregionen has skjønnsmidler in 2014" in capsys.readouterr().err
    # the final report is the owner's record: its copy (the steering group's leader) is its addressee
    assert main(["--config", str(CONFIG), "send", "final", ERP, "--yes"]) == 0
    assert _to(tmp_path) == [("kongsbergregionen/kongsbergregionen-erp/final-2014", "radmann@kongsberg.example.no")]
    # a project with skjønnsmidler: the county governor as before
    assert main(["--config", str(CONFIG), "send", "application", "haugaland-velferdsteknologi", "--yes",
                 "--override-reason", "test"]) == 0
    assert ("haugaland-vekst/haugaland-velferdsteknologi/application-2015", "fmropost@fylkesmannen.example.no") \
        in _to(tmp_path)


def test_a_rule_in_config_naming_the_county_governor_is_kept(scratch_config, tmp_path, monkeypatch, capsys):
    settings = scratch_config / "grantflow.yaml"
    data = yaml.safe_load(settings.read_text(encoding="utf-8"))
    data["delivery"]["recipients"] = {"application": {"to": ["county_governor"], "cc": ["steering_group_leader"]}}
    settings.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    assert main(["--config", str(scratch_config), "send", "application", ERP, "--yes"]) == 0
    assert (f"kongsbergregionen/{ERP}/application-2013", GOVERNOR) in _to(tmp_path)


def test_a_grant_decided_before_the_year_it_is_planned_for_is_still_reported(scratch_config, tmp_path, monkeypatch,
                                                                               capsys):
    """Skjønnsmidler planned for 2016 and granted in 2015: the usage report per 31.12.2015 lists the
    project (its award letter is of 2015), but was withheld as "no project … has skjønnsmidler in
    2015", judged by the plan's amounts alone (found by a reviewer)."""
    from ..conftest import replace_in

    haug = scratch_config / "projects" / "haugaland-velferdsteknologi.yaml"
    replace_in(haug, "applied_for: true, amounts: {2015: 400000}}", "applied_for: true, amounts: {2016: 400000}}")
    replace_in(haug, '      - {kind: usage, date: 2016-01-15, description: "Rapportering om bruk av skjønnsmidler per '
                     '31.12.2015"}\n', "")                  # no funder deadline: the default rule alone
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    assert main(["--config", str(scratch_config), "send", "usage", "--council", "haugaland-vekst", "--year", "2015",
                 "--yes", "--override-reason", "test"]) == 0, capsys.readouterr().err
    assert ("haugaland-vekst/-/usage-2015", "fmropost@fylkesmannen.example.no") in _to(tmp_path)
