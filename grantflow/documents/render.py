"""Rendering contexts into .docx with docxtpl, and .docx into PDF with LibreOffice.

Rendering goes through a sandboxed, autoescaping Jinja environment with StrictUndefined, so
user text cannot execute and a template that names an unknown variable fails loudly. One
DocxTemplate instance per render (instances are not thread-safe).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from ..errors import UserError
from ..fileio import atomic_write
from ..register import display_path
from .charts import render_png
from .common import Context, clean

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def templates_dir() -> Path:
    """$GRANTFLOW_TEMPLATES or the project's templates/ folder."""
    return Path(os.environ.get("GRANTFLOW_TEMPLATES") or TEMPLATES)


def jinja_env() -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)


@lru_cache(maxsize=64)
def _template_bytes(path: str, mtime: float) -> bytes:
    return Path(path).read_bytes()


def template_bytes(path: Path) -> bytes:
    """The template file, read once per process (and again when it changes)."""
    if not path.exists():
        raise UserError("template not found", file=display_path(path))
    return _template_bytes(str(path), path.stat().st_mtime)


def render_docx(template: Path, context: Context) -> bytes:
    """Render ``context`` into the template; returns the .docx bytes."""
    tpl = DocxTemplate(io.BytesIO(template_bytes(template)))
    values = clean(context.values)
    for key, chart in context.charts.items():
        values[key] = InlineImage(tpl, io.BytesIO(render_png(chart)), width=Mm(165))
    shown = display_path(template)
    try:
        tpl.render(values, jinja_env(), autoescape=True)
    except UndefinedError as exc:
        raise UserError(f"template uses an undefined variable: {exc.message}", file=shown) from None
    except TemplateSyntaxError as exc:
        raise UserError(f"template syntax error: {exc.message}", file=shown, field="jinja") from None
    except TemplateError as exc:
        raise UserError(f"template error: {exc}", file=shown) from None
    spread_year_columns(tpl.docx)
    buf = io.BytesIO()
    tpl.save(buf)
    return buf.getvalue()


YEAR_TABLE = "grantflow:year-columns"


def spread_year_columns(document, first_share: float = 0.36) -> None:
    """Give year tables (whose column count is known only after rendering) even columns.

    The first column keeps ``first_share`` of the table width; the year columns and the sum
    column share the rest.
    """
    for table in document.tables:
        tbl_pr = table._tbl.tblPr
        caption = tbl_pr.find(qn("w:tblCaption"))
        if caption is None or caption.get(qn("w:val")) != YEAR_TABLE:
            continue
        grid = table._tbl.tblGrid
        cols = grid.findall(qn("w:gridCol"))
        total = sum(int(float(c.get(qn("w:w")) or 0)) for c in cols)
        count = max(len(row._tr.findall(qn("w:tc"))) for row in table.rows)
        if count < 2 or total <= 0:
            continue
        first = int(total * first_share)
        rest = (total - first) // (count - 1)
        widths = [first] + [rest] * (count - 1)
        for col in cols:
            grid.remove(col)
        for width in widths:
            col = OxmlElement("w:gridCol")
            col.set(qn("w:w"), str(width))
            grid.append(col)
        for row in table.rows:
            for tc, width in zip(row._tr.findall(qn("w:tc")), widths):
                tc_pr = tc.get_or_add_tcPr()
                tc_w = tc_pr.find(qn("w:tcW"))
                if tc_w is None:
                    tc_w = OxmlElement("w:tcW")
                    tc_pr.insert(0, tc_w)
                tc_w.set(qn("w:w"), str(width))
                tc_w.set(qn("w:type"), "dxa")


def write_docx(template: Path, context: Context, target: Path) -> Path:
    return atomic_write(target, render_docx(template, context))


class PdfUnavailable(Exception):
    """LibreOffice is not installed; the .docx is still there."""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(docx: Path, timeout: float = 180) -> Path:
    """Convert ``docx`` to PDF beside it (own LibreOffice profile per conversion, timeout)."""
    exe = soffice()
    if exe is None:
        raise PdfUnavailable("PDF not made: LibreOffice (soffice) is not installed "
                             "(apt-get install libreoffice-writer-nogui); the .docx was written")
    target = docx.with_suffix(".pdf")
    with tempfile.TemporaryDirectory(prefix="grantflow-pdf-") as tmp:
        profile = Path(tmp) / "profile"
        outdir = Path(tmp) / "out"
        cmd = [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
               "--convert-to", "pdf", "--outdir", str(outdir), str(docx)]
        try:
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise UserError(f"PDF conversion timed out after {timeout:.0f} s", file=display_path(docx)) from None
        made = outdir / (docx.stem + ".pdf")
        if not made.exists() or made.stat().st_size == 0:
            raise UserError("LibreOffice made no PDF", file=display_path(docx))
        atomic_write(target, made.read_bytes())
    return target
