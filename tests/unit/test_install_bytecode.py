"""The README's install writes grantflow's bytecode, so a start never compiles grantflow's modules
(issue #13: `grantflow render status P` within 1 s in a new process; compiling ~40 modules at
every start cost ~0.1 s where Python writes no bytecode itself: PYTHONDONTWRITEBYTECODE=1, or a
checkout the service's user cannot write to)."""
import os
import re
import shutil
import subprocess
import sys

from ..conftest import ROOT

CHECK = """
import importlib.machinery, sys
compiled = []
original = importlib.machinery.SourceFileLoader.source_to_code
def source_to_code(self, data, path, *a, **k):
    compiled.append(path)
    return original(self, data, path, *a, **k)
importlib.machinery.SourceFileLoader.source_to_code = source_to_code
import grantflow.cli, grantflow.documents, grantflow.documents.service, grantflow.data, flows.documents
print([p for p in compiled if '/grantflow/' in p or '/flows/' in p])
"""


def test_the_readme_install_compiles_grantflow_so_no_start_compiles_it(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    install = next(line.strip() for line in readme.splitlines() if "pip install -q -e . &&" in line)
    step = re.search(r"\.venv/bin/python (-m compileall [^&]+?) &&", install)
    assert step, install
    for package in ("grantflow", "flows"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(tmp_path))
    env.pop("PYTHONPYCACHEPREFIX", None)
    before = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert before.returncode == 0, before.stderr
    assert "grantflow/cli.py" in before.stdout          # the check sees compiling when there is some
    subprocess.run([sys.executable, *step.group(1).split()], check=True, cwd=tmp_path, env=env)
    after = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert after.returncode == 0, after.stderr
    assert after.stdout.strip() == "[]"
    # and the checkout stays clean: git ignores the bytecode
    for pyc in ("grantflow/__pycache__/cli.cpython-311.pyc", "flows/__pycache__/documents.cpython-311.pyc"):
        assert subprocess.run(["git", "check-ignore", "-q", pyc], cwd=ROOT).returncode == 0, pyc
