"""Project and council ids typed on the command line are ids, never paths: a very long id or one
with ../ is one line saying which ids exist, and no file outside the register is read."""

from __future__ import annotations

import pytest

from grantflow.cli import main


@pytest.mark.parametrize("command", [
    ["render", "status", "{id}", "--as-of", "2016-10-07"],
    ["send", "status", "{id}", "--as-of", "2016-10-07"],
    ["render", "usage", "--council", "{id}", "--year", "2015"],
])
@pytest.mark.parametrize("given", ["a" * 5000, "../councils/haugaland-vekst", "../../../../../../{probe}"])
def test_an_id_that_is_no_id_is_one_short_line_naming_the_known_ones(scratch_config, tmp_path, monkeypatch, capsys,
                                                                     command, given):
    """5 000 letters gave 'cannot use config/projects/aaaa…aaa.yaml: File name too long', a line
    of 5 060 characters; an id with ../ was looked up as a file outside the register."""
    probe = tmp_path / "probe.yaml"
    probe.write_text("id: [unclosed\n", encoding="utf-8")
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "out"))
    import grantflow.register as register

    opened = []
    real_load = register.load_yaml

    def load_yaml(path, *args, **kwargs):
        opened.append(path)
        return real_load(path, *args, **kwargs)

    monkeypatch.setattr(register, "load_yaml", load_yaml)
    given = given.replace("{probe}", str(probe.with_suffix("")).lstrip("/"))
    argv = ["--config", str(scratch_config)] + [given if part == "{id}" else part for part in command]
    assert main(argv) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    what = "council" if "--council" in command else "project"
    assert line.startswith("error: ") and f"config/{what}s: unknown {what} " in line and "(known: " in line, line
    assert len(line.replace(str(tmp_path), "")) < 300, len(line)
    assert probe not in [p.resolve() for p in opened]
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("*.docx"))


def test_a_very_long_funder_id_is_one_short_line(scratch_config, tmp_path, monkeypatch, capsys):
    """`send … --funder <5 000 letters>` echoed the whole id in its 'unknown funder' line."""
    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "out"))
    argv = ["--config", str(scratch_config), "send", "final", "haugaland-velferdsteknologi", "--funder", "f" * 5000]
    assert main(argv) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: ") and "unknown funder 'fff" in line and "(known: " in line, line
    assert len(line.replace(str(tmp_path), "")) < 300, len(line)
