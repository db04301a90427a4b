import json
import subprocess
import sys

from grantflow.cli import main

from ..conftest import ROOT, replace_in


def test_validate_demo_exits_1_on_seed_errors(config_dir, capsys):
    assert main(["validate", str(config_dir)]) == 1
    out = capsys.readouterr().out
    assert "ERROR" in out and "risks[6].rf" in out


def test_validate_strict_fails_on_warnings_only(scratch_config, capsys):
    replace_in(scratch_config / "projects/smart-velferdsregion-nord-gudbrandsdal.yaml", "rf: 12", "rf: 15")
    replace_in(scratch_config / "projects/haugaland-velferdsteknologi.yaml",
               "{2015: 412000, 2016: 1123000}", "{2015: 412000, 2016: 1122415}")
    assert main(["validate", str(scratch_config)]) == 0
    assert main(["validate", str(scratch_config), "--strict"]) == 1
    capsys.readouterr()


def test_allocate_json(config_dir, capsys):
    assert main(["--config", str(config_dir), "allocate", "haugaland-velferdsteknologi",
                 "--year", "2015", "--amount", "412000", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["project"] == "haugaland-velferdsteknologi" and data["total"] == 412000
    assert [s["equal"] for s in data["shares"]] == [12360] * 10
    assert sum(s["total"] for s in data["shares"]) == 412000


def test_user_error_is_one_line_without_traceback(scratch_config):
    (scratch_config / "projects/kongsbergregionen-erp.yaml").write_text("id: [x\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "grantflow.cli", "--config", str(scratch_config),
                           "allocate", "kongsbergregionen-erp", "--year", "2014"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ") and "kongsbergregionen-erp.yaml:2" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_negative_amount_rejected(config_dir, capsys):
    assert main(["--config", str(config_dir), "allocate", "kongsbergregionen-erp", "--year", "2014",
                 "--amount", "-5"]) == 1
    assert "must not be negative" in capsys.readouterr().err
