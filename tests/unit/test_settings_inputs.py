"""config/grantflow.yaml attacked as a careless user would: each mistake is one line naming the
file, line and field, exit 1 — never the defaults used in its place, never a value guessed."""

from __future__ import annotations

import re

import pytest

from grantflow.cli import main

from ..conftest import replace_in
from ..docx_text import all_text

SETTINGS = "grantflow.yaml"


def validate_lines(capsys, config) -> tuple[int, list[str]]:
    code = main(["validate", str(config)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, [line for line in captured.out.splitlines() if "grantflow.y" in line]


def replace(old: str, new: str):
    return lambda config: replace_in(config / SETTINGS, old, new)


def settings_dir(config):
    (config / SETTINGS).unlink()
    (config / SETTINGS).mkdir()


def dangling_link(config):
    (config / SETTINGS).unlink()
    (config / SETTINGS).symlink_to(config / "gone.yaml")


@pytest.mark.parametrize("mistake, says", [
    # the settings file itself: the defaults (outbox, outputs/, no approvals changed) were used without a word
    (settings_dir, "grantflow.yaml is a folder, not a YAML file"),
    (dangling_link, "grantflow.yaml file not found"),
    (lambda c: (c / "grantflow.yml").write_text("outputs: elsewhere\n", encoding="utf-8"),
     "grantflow.yml two settings files: grantflow.yaml, grantflow.yml; keep one"),
    # a tag no field takes: !!binary became a sender name decoded from base64
    (replace('from_name: ""', "from_name: !!binary SGF1Z2FsYW5k"),
     "grantflow.yaml:14 invalid YAML: the tag !!binary is not used in grantflow files"),
    (replace("outputs: outputs", "outputs: !!set {a, b}"), "grantflow.yaml:4 invalid YAML: the tag !!set"),
    # a misspelt document kind switched nothing on and its real kind's default off
    (replace("approval: {application: true", "approval: {aplication: true"),
     "grantflow.yaml:22 delivery.approval: unknown document kind 'aplication'"),
    (replace("transport: outbox", "transport: outbox\n  recipients: {statsu: {to: [leader]}}"),
     "grantflow.yaml:13 delivery.recipients: unknown document kind 'statsu'"),
    # values no one means, which ended in an internal error (or a reminder 100 000 working days ahead)
    (replace("stale_note_days: 90", "stale_note_days: 99999999999"),
     "grantflow.yaml:9 documents.stale_note_days: Input should be less than or equal to 3660"),
    (replace("deadline_shift: before", "deadline_shift: before\ndeadline_reminders: [-5, 10]"),
     "grantflow.yaml:11 deadline_reminders[0]: Input should be greater than or equal to 1"),
    (replace("backoff_seconds: [2, 5, 15]", "backoff_seconds: [1e308]"),
     "grantflow.yaml:21 delivery.retry.backoff_seconds[0]: Input should be less than or equal to 3600"),
    (replace("outputs: outputs", "outputs: ''"), "grantflow.yaml:4 outputs: String should have at least 1 character"),
    (replace("outputs: outputs", 'outputs: "out\\nputs"'), "grantflow.yaml:4 outputs: must be a single line"),
    # YAML reads 1.000 as 1.0: a ceiling of one krone that refused every population figure
    (replace("outputs: outputs", "outputs: outputs\nmax_amount: 1.000"),
     "grantflow.yaml:5 max_amount: 1.000 is not a whole number of kroner written with digits only"),
    # the demo stopped after four documents with an internal error (int('2015-Q5'))
    (replace('period: "2015"', 'period: "2015-Q5"'),
     "grantflow.yaml:32 demo[4]: a usage report needs its year as period"),
    (replace("{kind: application, project: haugaland", "{kind: aplication, project: haugaland"),
     "grantflow.yaml:28 demo[0]: unknown document kind 'aplication'"),
    # YAML 1.1 integers nobody types: each read as 10 (or 90), and the status report's top risks
    # were chosen by it without a word
    (replace("top_risk_rf: 10", "top_risk_rf: 0x0a"), "grantflow.yaml:7 documents.top_risk_rf: 0x0a is not a "
     "decimal whole number: YAML would read it as 10 (hexadecimal); write whole numbers in decimal digits "
     "(10 if that is meant), or quote it ('0x0a') if it is text"),
    (replace("top_risk_rf: 10", "top_risk_rf: 012"),
     "grantflow.yaml:7 documents.top_risk_rf: 012 is not a decimal whole number: YAML would read it as 10 (octal"),
    (replace("top_risk_rf: 10", "top_risk_rf: 0b1010"),
     "grantflow.yaml:7 documents.top_risk_rf: 0b1010 is not a decimal whole number: YAML would read it as 10 (binary"),
    (replace("stale_note_days: 90", "stale_note_days: 1_000"), "grantflow.yaml:9 documents.stale_note_days: 1_000 "
     "is not a decimal whole number: YAML would read it as 1000 (with its underscores dropped)"),
    (replace("stale_note_days: 90", "stale_note_days: 1:30"),
     "grantflow.yaml:9 documents.stale_note_days: 1:30 is not a decimal whole number: YAML would read it as 90 (base 60"),
    # checked when the settings are read, not at the first send (after rendering, mid-run)
    (replace("transport: outbox", "transport: outbox\n  ledger_url: notaurl"),
     "grantflow.yaml:13 delivery.ledger_url: not a database URL SQLAlchemy can read (e.g. sqlite:////srv/"),
    (replace("transport: outbox", "transport: outbox\n  ledger_url: 'postgress://grantflow:secret@db/ledger'"),
     "grantflow.yaml:13 delivery.ledger_url: unknown database kind 'postgress' (sqlite or postgresql"),
    (replace("transport: outbox", "transport: outbox\n  ledger_url: 'sqlite://'"),
     "grantflow.yaml:13 delivery.ledger_url: an SQLite ledger needs a file: in memory it would forget every send"),
    (replace("host: smtp.example.no", 'host: "smtp.example.no\\r\\nRCPT TO:<x@example.no>"'),
     "grantflow.yaml:16 delivery.smtp.host: 'smtp.example.no\\r\\nRCPT TO:<x@example.no>' is not a host name or IP "
     "address (letters, digits, hyphens and dots, e.g. smtp.example.no or 127.0.0.1)"),
    (replace("host: smtp.example.no", "host: smtp example.no"),
     "grantflow.yaml:16 delivery.smtp.host: 'smtp example.no' is not a host name or IP address"),
    (replace("host: smtp.example.no", "host: smtp.example.no:587"),
     "grantflow.yaml:16 delivery.smtp.host: 'smtp.example.no:587': write the host name alone and the port as "
     "smtp.port: 587"),
    (replace("top_risk_rf: 10", "top_risk_rf: !!int '0xa'"),
     "grantflow.yaml:7 documents.top_risk_rf: 0xa is not a decimal whole number"),
])
def test_a_settings_mistake_is_one_line_naming_file_line_and_field(scratch_config, capsys, mistake, says):
    mistake(scratch_config)
    code, lines = validate_lines(capsys, scratch_config)
    assert code == 1
    assert len(lines) == 1 and re.match(r"ERROR +\S*" + re.escape(says), lines[0]), lines


def test_the_clean_settings_give_no_line(scratch_config, capsys):
    assert validate_lines(capsys, scratch_config)[1] == []


def test_the_default_hourly_rate_with_a_point_before_three_digits_is_refused(scratch_config, tmp_path, capsys):
    """`own_effort_hourly_rate: 1.000` was 1 000 kr an hour, as 350.000 is 350 000 kr in a budget
    (YAML alone reads 1.0); but 1,5 kr is as much a rate as 1 500 kr, so `1.500` is a guess either
    way: refused with both readings. Written as digits, the application values 2 073 hours with it."""
    replace_in(scratch_config / SETTINGS, "own_effort_hourly_rate: 500", "own_effort_hourly_rate: 1.000")
    out = tmp_path / "out"
    code = main(["--config", str(scratch_config), "render", "application", "haugaland-velferdsteknologi",
                 "--out", str(out)])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 1 and len(err) == 1 and not out.exists()
    assert "grantflow.yaml:8: documents.own_effort_hourly_rate: ambiguous number of kroner per hour '1.000': " \
           "1 000 (point as thousands separator) or 1 (decimal point); write 1000 or 1" in err[0]
    replace_in(scratch_config / SETTINGS, "own_effort_hourly_rate: 1.000", "own_effort_hourly_rate: 1000")
    code = main(["--config", str(scratch_config), "render", "application", "haugaland-velferdsteknologi",
                 "--out", str(out)])
    assert code == 0, capsys.readouterr()
    (document,) = out.rglob("application-*.docx")
    text = all_text(document).replace("\u00a0", " ")
    assert "Egeninnsats: 2 073 timer à 1 000 kr = 2 073 000 kr" in text


def test_output_read_by_a_pipe_that_closes_early_is_no_internal_error(tmp_path):
    """`grantflow allocate … --format csv | head -1` printed "internal error (BrokenPipeError)"
    and left a log file for the maintainers: the reader leaving is nothing to report."""
    import os
    import subprocess
    import sys

    from ..conftest import CONFIG

    env = dict(os.environ, GRANTFLOW_OUTPUTS=str(tmp_path / "outputs"))
    proc = subprocess.Popen([sys.executable, "-m", "grantflow.cli", "--config", str(CONFIG), "allocate",
                             "haugaland-velferdsteknologi", "--year", "2016", "--format", "csv"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    proc.stdout.close()                                     # the reader is gone before the first line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141 and err == ""
    assert not (tmp_path / "outputs" / "logs").exists()


def test_a_render_stops_at_a_non_decimal_integer_with_the_same_line(scratch_config, tmp_path, capsys):
    """`top_risk_rf: 012` (meant 12) was 10: the status report listed the RF 10-11 risks as top risks."""
    replace_in(scratch_config / SETTINGS, "top_risk_rf: 10", "top_risk_rf: 012")
    code = main(["--config", str(scratch_config), "render", "status", "haugaland-velferdsteknologi",
                 "--as-of", "2016-10-07", "--out", str(tmp_path / "out")])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 1 and len(err) == 1 and "grantflow.yaml:7: documents.top_risk_rf: 012 is not a decimal" in err[0]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "smtp.kommunå.no", "mail-1.example.no."])
def test_host_names_and_addresses_are_taken(scratch_config, capsys, host):
    replace_in(scratch_config / SETTINGS, "host: smtp.example.no", f"host: '{host}'")
    assert validate_lines(capsys, scratch_config)[1] == []


@pytest.mark.parametrize("old, new, says", [
    ("transport: outbox", "transport: outbox\n  ledger_url: notaurl",
     "grantflow.yaml:13: delivery.ledger_url: not a database URL"),
    ("host: smtp.example.no", "host: smtp example.no", "grantflow.yaml:16: delivery.smtp.host: 'smtp example.no' is"),
])
def test_send_stops_at_a_bad_ledger_url_or_host_before_rendering(scratch_config, tmp_path, capsys, monkeypatch,
                                                                  old, new, says):
    """`send` rendered the report first and then stopped on 'cannot open the sent ledger at notaurl'
    (no file, no line); a bad host failed only when connecting, after the approval and rendering."""
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.delenv("GRANTFLOW_LEDGER_URL", raising=False)
    replace_in(scratch_config / SETTINGS, old, new)
    code = main(["--config", str(scratch_config), "send", "costsplit", "kongsbergregionen-erp",
                 "--transport", "smtp", "--yes"])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 1 and len(err) == 1 and says in err[0], err
    assert not (tmp_path / "outputs").exists()


def test_a_bad_ledger_url_in_the_environment_is_one_line(scratch_config, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", "notaurl")
    assert main(["--config", str(scratch_config), "sent"]) == 1
    assert capsys.readouterr().err.strip() == ("error: $GRANTFLOW_LEDGER_URL: not a database URL SQLAlchemy can read "
                                               "(e.g. sqlite:////srv/grantflow/sent.db or "
                                               "postgresql+psycopg://grantflow@db.example.no/ledger)")


def test_a_relative_sqlite_ledger_is_the_installations_wherever_the_command_runs(scratch_config, tmp_path, capsys,
                                                                                 monkeypatch):
    """`ledger_url: sqlite:///state/sent.db` was taken from the working directory: run from two
    folders, two sent ledgers, and every document mailed twice (outputs: and outbox: were already
    taken from the folder that holds config/)."""
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.delenv("GRANTFLOW_LEDGER_URL", raising=False)
    replace_in(scratch_config / SETTINGS, "transport: outbox", "transport: outbox\n  ledger_url: sqlite:///state/sent.db")
    args = ["--config", str(scratch_config), "send", "status", "haugaland-velferdsteknologi", "--as-of", "2016-10-07"]
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        monkeypatch.chdir(tmp_path / folder)
        assert main(args) == 0
        if folder == "a":
            assert "via outbox: 7 sent" in capsys.readouterr().out
    assert "nothing to send: all 7 recipient(s) already have" in capsys.readouterr().out
    assert not list((tmp_path / "a").iterdir()) and not list((tmp_path / "b").iterdir())
    assert (scratch_config.parent / "state" / "sent.db").is_file()
