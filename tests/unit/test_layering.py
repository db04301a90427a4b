import subprocess
import sys

import pytest

from ..conftest import ROOT

CHECK = """
import pkgutil, importlib, sys, grantflow
for mod in pkgutil.walk_packages(grantflow.__path__, 'grantflow.'):
    importlib.import_module(mod.name)
from grantflow.cli import build_parser
build_parser()
bad = sorted(m for m in sys.modules if m == 'prefect' or m.startswith('prefect.'))
print(len(bad))
"""


def test_domain_package_never_imports_prefect():
    proc = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "0"


RENDER_PATH = """
import sys
import grantflow.documents, grantflow.documents.service, grantflow.data, grantflow.reporting
print(sorted(m for m in ('openpyxl', 'prefect', 'matplotlib') if m in sys.modules))
"""


def test_rendering_from_csv_files_imports_no_workbook_reader():
    # `grantflow render` reads CSV files; openpyxl (~0.1 s of a ~1.7 s cold render) is imported only
    # where a worksheet is read
    proc = subprocess.run([sys.executable, "-c", RENDER_PATH], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


RENDER_IN_A_NEW_PROCESS = """
import sys
from grantflow.cli import main
code = main(sys.argv[1:])
print(code, sorted(m for m in ('pptx', 'xlsxwriter', 'prefect', 'matplotlib') if m in sys.modules))
"""


@pytest.mark.parametrize("kind, project, extra, imported", [
    # the status report has Word-native charts: python-pptx and XlsxWriter, and nothing more
    ("status", "haugaland-velferdsteknologi", ["--as-of", "2016-06-30"], ["pptx", "xlsxwriter"]),
    # an application has no chart: the chart writers are not imported at all
    ("application", "kongsbergregionen-erp", [], []),
])
def test_rendering_imports_the_chart_writers_only_for_a_chart(tmp_path, kind, project, extra, imported):
    # issue #13: `grantflow render status P` in a new process within 1 s; python-pptx and
    # XlsxWriter (~0.1 s) are imported where a chart is written.
    proc = subprocess.run([sys.executable, "-c", RENDER_IN_A_NEW_PROCESS, "--config", str(ROOT / "config"), "render",
                           kind, project, *extra, "--out", str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == f"0 {imported}"
    assert list(tmp_path.rglob(f"{kind}-*.docx"))
