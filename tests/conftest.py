"""Shared fixtures: the demo config and a scratch copy of it to break on purpose."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests: a fixed, quick set by default; `pytest --hypothesis-profile=ci` explores more.
settings.register_profile("grantflow", max_examples=70, deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("ci", max_examples=1000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("grantflow")

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config"

# Every process a test starts (the `grantflow` command, `prefect server`, workers) imports the
# grantflow of THIS checkout: the venv may have another checkout installed (an editable install of
# the integration checkout shared by several worktrees), and a test of the command would then test
# that code and stay green whatever this checkout's change broke.
os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])

# Prefect state for the whole test session lives in a temp dir (set before Prefect is imported).
# The folder is removed when the session ends (one was left behind per run before: hundreds of
# them in /tmp, a few MB each with Prefect's database); a PREFECT_HOME given from outside is kept.
if "PREFECT_HOME" not in os.environ:
    os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="grantflow-prefect-")
    atexit.register(shutil.rmtree, os.environ["PREFECT_HOME"], ignore_errors=True)
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


@pytest.fixture
def config_dir() -> Path:
    return CONFIG


@pytest.fixture
def scratch_config(tmp_path) -> Path:
    """A writable copy of config/ for tests that edit it."""
    target = tmp_path / "config"
    shutil.copytree(CONFIG, target)
    return target


@pytest.fixture
def clean(scratch_config) -> Path:
    """The demo config with its two seed errors corrected (RF 12 for S × K = 15; financing 585 kr
    over the costs), so validate exits 0 before a test's change."""
    from grantflow.cli import main

    replace_in(scratch_config / "projects/smart-velferdsregion-nord-gudbrandsdal.yaml", "rf: 12", "rf: 15")
    replace_in(scratch_config / "projects/haugaland-velferdsteknologi.yaml",
               "{2015: 412000, 2016: 1123000}", "{2015: 412000, 2016: 1122415}")
    assert main(["validate", "--config", str(scratch_config)]) == 0
    return scratch_config


def ctrl_c_reaches_child() -> None:
    """``preexec_fn`` for a child a test stops with SIGINT (Ctrl-C): SIGINT handled as at a
    terminal. A test run started in the background of a shell without job control (``cmd &``)
    inherits SIGINT ignored, its children too, and Python then never raises KeyboardInterrupt:
    the child went on and the test timed out (seen when CI was started that way)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def replace_in(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def add_project(config: Path, fixture: Path, project: str, council: str) -> Path:
    """``config`` with a tester's project, council and data files (a folder holding
    ``<project>.yaml``, ``<council>.yaml`` and the four data files) added."""
    import shutil

    shutil.copy(fixture / f"{project}.yaml", config / "projects" / f"{project}.yaml")
    shutil.copy(fixture / f"{council}.yaml", config / "councils" / f"{council}.yaml")
    data = config / "data" / project
    data.mkdir()
    for name in ("milepaeler.csv", "timer.csv", "notater.yaml", "regnskap.csv"):
        shutil.copy(fixture / name, data / name)
    return config


@pytest.fixture(autouse=True)
def _default_amount_ceiling():
    """Loading a register applies its max_amount process-wide; every test starts from the default."""
    from grantflow import numbers

    numbers.set_ceiling(None)
    yield
    numbers.set_ceiling(None)
