"""Rendering contexts into .docx with docxtpl, and .docx into PDF with LibreOffice.

Rendering goes through a sandboxed, autoescaping Jinja environment with StrictUndefined, so
user text cannot execute and a template that names an unknown variable fails loudly. One
DocxTemplate instance per render (instances are not thread-safe), but what does not depend on
the context is prepared once per process: the template bytes, docxtpl's patched XML and the
compiled Jinja templates. Charts become Word-native chart parts (``ChartRun``).

The same content with the same document date is the same bytes, whenever and wherever it is made
(``stable_package``): a version made again has the sha256 its record and the sent ledger hold.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import hashlib
import itertools
import io
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import zipfile
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path

from xml.sax.saxutils import quoteattr

from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.part import Part
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from ..errors import UserError
from ..fileio import atomic_write
from ..register import display_path
from .charts import WORKBOOK_RID, NativeChart, native_chart, render_png
from .common import Context, clean
from .layout import fit_figures

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def templates_dir() -> Path:
    """$GRANTFLOW_TEMPLATES or the project's templates/ folder."""
    return Path(os.environ.get("GRANTFLOW_TEMPLATES") or TEMPLATES)


def jinja_env() -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)


class _CompilingOnceEnvironment(SandboxedEnvironment):
    """The renderer's environment: a template source compiled once per process (docxtpl calls
    ``from_string`` on every render with the same XML). Compiled templates are immutable and
    safe to share between threads."""

    MAX = 32

    def __init__(self):
        super().__init__(autoescape=True, undefined=StrictUndefined)
        self._compiled: dict[str, object] = {}

    def from_string(self, source, globals=None, template_class=None):
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        compiled = self._compiled.get(source)
        if compiled is None:
            compiled = super().from_string(source)
            if len(self._compiled) >= self.MAX:
                self._compiled.clear()
            self._compiled[source] = compiled
        return compiled


_RENDER_ENV = _CompilingOnceEnvironment()
_PATCHED: dict[str, str] = {}


class PreparedTemplate(DocxTemplate):
    """docxtpl's template with its XML patching (a few dozen regexes over the body) done once per
    distinct template."""

    def patch_xml(self, src_xml):
        patched = _PATCHED.get(src_xml)
        if patched is None:
            if len(_PATCHED) >= _CompilingOnceEnvironment.MAX:
                _PATCHED.clear()
            patched = _PATCHED[src_xml] = super().patch_xml(src_xml)
        return patched


class ChartRun:
    """A Word-native chart in a docxtpl placeholder, like docxtpl's ``InlineImage``: when the
    placeholder is rendered, the chart part (``word/charts/chartN.xml``) and its embedded workbook
    (``word/embeddings/Microsoft_Excel_WorksheetN.xlsx``) are added to the package and related as
    Word relates them, and the run becomes an inline drawing that points at the chart."""

    def __init__(self, tpl: DocxTemplate, chart: NativeChart):
        self.tpl, self.chart = tpl, chart

    def __html__(self) -> str:
        part = self.tpl.current_rendering_part
        package = part.package
        chart_part = Part(package.next_partname("/word/charts/chart%d.xml"), CT.DML_CHART,
                          self.chart.xml, package)
        rid = part.relate_to(chart_part, RT.CHART)
        workbook = Part(package.next_partname("/word/embeddings/Microsoft_Excel_Worksheet%d.xlsx"),
                        CT.SML_SHEET, self.chart.workbook, package)
        if chart_part.relate_to(workbook, RT.PACKAGE) != WORKBOOK_RID:
            raise RuntimeError("chart part: embedded workbook not at " + WORKBOOK_RID)
        return (
            '</w:t></w:r><w:r><w:drawing>'
            '<wp:inline distT="0" distB="0" distL="0" distR="0" '
            'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing">'
            f'<wp:extent cx="{self.chart.width}" cy="{self.chart.height}"/>'
            '<wp:effectExtent l="0" t="0" r="0" b="0"/>'
            f'<wp:docPr id="1" name="Diagram" descr={quoteattr(self.chart.title)}/>'
            '<wp:cNvGraphicFramePr/>'
            '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
            '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
            '<c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
            f'r:id="{rid}"/>'
            '</a:graphicData></a:graphic></wp:inline></w:drawing></w:r><w:r><w:t xml:space="preserve">'
        )

    __str__ = __html__


class ChartRuns:
    """Several charts in one placeholder, each on a line of its own (a chart in parts)."""

    def __init__(self, runs: list[ChartRun]):
        self.runs = runs

    def __html__(self) -> str:
        line = '</w:t></w:r><w:r><w:br/></w:r><w:r><w:t xml:space="preserve">'
        return line.join(run.__html__() for run in self.runs)

    __str__ = __html__


def chart_value(tpl: DocxTemplate, chart, stamp: datetime | None = None):
    """A chart spec as a template value: Word-native where the kind has a native form, else a PNG.
    ``stamp``: the creation time its embedded workbook carries (see ``package_time``)."""
    native = native_chart(chart, stamp)
    if isinstance(native, list):
        return ChartRuns([ChartRun(tpl, part) for part in native])
    if native is not None:
        return ChartRun(tpl, native)
    return InlineImage(tpl, io.BytesIO(render_png(chart)), width=Mm(165))


@lru_cache(maxsize=64)
def _template_bytes(path: str, mtime: float) -> bytes:
    return Path(path).read_bytes()


def template_bytes(path: Path) -> bytes:
    """The template file, read once per process (and again when it changes)."""
    if not path.exists():
        raise UserError("template not found", file=display_path(path))
    return _template_bytes(str(path), path.stat().st_mtime)


UNDATED = date(1980, 1, 1)    # a document rendered without a date (lint data): the earliest zip date


def package_time(dated: date | None) -> datetime:
    """The one time a document dated ``dated`` carries inside (core properties, zip entries, the
    charts' workbooks): noon UTC of that day, which is that day in Word's File > Info in every time
    zone from UTC-11 to UTC+11. Never the clock: a version made again is the same bytes."""
    day = max(dated or UNDATED, UNDATED)
    return datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc)


def stable_package(data: bytes, stamp: datetime) -> bytes:
    """The .docx ``data`` with every zip entry dated ``stamp`` (python-docx writes the clock time)
    and written the same way on every platform, in the order written."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, stamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system, info.external_attr = 3, 0o600 << 16
            target.writestr(info, source.read(entry), compresslevel=6)
    return out.getvalue()


def render_docx(template: Path, context: Context, dated: date | None = None) -> bytes:
    """Render ``context`` into the template; returns the .docx bytes, the same bytes for the same
    content and date. ``dated``: the document's date (its Dato), also its created and modified
    date in Word's properties."""
    stamp = package_time(dated)
    tpl = PreparedTemplate(io.BytesIO(template_bytes(template)))
    values = clean(context.values)
    for key, chart in context.charts.items():
        values[key] = chart_value(tpl, chart, stamp) if chart is not None else ""
    shown = display_path(template)
    try:
        tpl.render(values, _RENDER_ENV, autoescape=True)
    except UndefinedError as exc:
        raise UserError(f"template uses an undefined variable: {exc.message}", file=shown) from None
    except TemplateSyntaxError as exc:
        raise UserError(f"template syntax error: {exc.message}", file=shown, field="jinja") from None
    except TemplateError as exc:
        raise UserError(f"template error: {exc}", file=shown) from None
    spread_year_columns(tpl.docx)
    fit_figures(tpl.docx)
    properties = tpl.docx.core_properties     # the template's (python-docx's 2013 default) otherwise
    properties.created = properties.modified = stamp
    buf = io.BytesIO()
    tpl.save(buf)
    return stable_package(buf.getvalue(), stamp)


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


def write_docx(template: Path, context: Context, target: Path, dated: date | None = None) -> Path:
    return atomic_write(target, render_docx(template, context, dated))


_CREATED = re.compile(rb"<dcterms:created[^>]*>(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z</dcterms:created>")
_PDF_DATE = re.compile(rb"/CreationDate\((D:[0-9Z+\-']+)\)")
_PDF_IDS = re.compile(rb"/ID \[ ?<([0-9A-F]{32})>\s*<([0-9A-F]{32})> ?\]|/DocChecksum /([0-9A-F]{32})")


def stable_pdf(pdf: bytes, docx: Path) -> bytes:
    """LibreOffice's PDF of ``docx`` without the clock: its CreationDate is the document's time
    (the .docx's created date, see ``package_time``), its file identifiers (/ID, and
    LibreOffice's /DocChecksum, which hash the clock too) a digest of the rest. Each is written
    over in place at the same length, so every offset in the file stays right; a PDF not laid out
    as expected is kept as LibreOffice made it."""
    try:
        with zipfile.ZipFile(docx) as package:
            created = _CREATED.search(package.read("docProps/core.xml"))
    except (OSError, KeyError, zipfile.BadZipFile):
        return pdf
    dates, ids = list(_PDF_DATE.finditer(pdf)), list(_PDF_IDS.finditer(pdf))
    if created is None or len(dates) != 1 or len(ids) not in (1, 2):
        return pdf
    ours = b"D:" + b"".join(created.groups()) + b"Z"
    found = dates[0]
    if len(ours) > len(found.group(1)):
        return pdf
    # a shorter date is padded after the string: white space between a dictionary's tokens
    out = bytearray(pdf)
    out[found.start(1):found.end(1) + 1] = ours + b")" + b" " * (len(found.group(1)) - len(ours))
    spans = [m.span(g) for m in ids for g in (1, 2, 3) if m.group(g)]
    for start, end in spans:
        out[start:end] = b"0" * (end - start)
    digest = hashlib.md5(bytes(out), usedforsecurity=False).hexdigest().upper().encode()
    for start, end in spans:
        out[start:end] = digest
    return bytes(out)


class PdfUnavailable(Exception):
    """LibreOffice is not installed; the .docx is still there."""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


_SLOTS_LOCK = threading.Lock()
_BUSY_SLOTS: set[int] = set()


@contextlib.contextmanager
def _profile_slot():
    """The lowest converter slot no thread of this process is using, held until the block ends:
    each running LibreOffice has a profile of its own (it refuses one another instance is using)."""
    with _SLOTS_LOCK:
        slot = next(i for i in itertools.count() if i not in _BUSY_SLOTS)
        _BUSY_SLOTS.add(slot)
    try:
        yield slot
    finally:
        with _SLOTS_LOCK:
            _BUSY_SLOTS.discard(slot)


def _profile(slot: int = 0) -> Path:
    """This process's LibreOffice profile for converter ``slot``, kept between conversions (a
    fresh profile costs ~1 s per start) and removed when the process ends."""
    path = Path(tempfile.gettempdir()) / (f"grantflow-lo-profile-{os.getpid()}" + (f"-{slot}" if slot else ""))
    if not path.exists():
        path.mkdir(mode=0o700)
        atexit.register(shutil.rmtree, path, True)
        # a process-pool worker (the batch's) ends with os._exit, skipping atexit but not this
        from multiprocessing.util import Finalize

        Finalize(None, shutil.rmtree, args=(path, True), exitpriority=0)
    return path


def cores() -> int:
    """The processor cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# LibreOffice converts one document at a time on one core (~0.3 s for a status report with its
# two charts); a start costs ~1 s. Many documents are split between converters running at
# once, each with at least this many documents so that its start pays off.
MIN_PER_CONVERTER = 4


STALL_SECONDS = 120.0   # no new PDF for this long (start-up included): the document is stuck


def to_pdf(docx: Path, timeout: float = STALL_SECONDS) -> Path:
    """Convert ``docx`` to PDF beside it; a failure raises a UserError naming the file."""
    (outcome,) = pdf_each([docx], timeout)
    if isinstance(outcome, UserError):
        raise outcome
    return outcome


def to_pdf_many(docs: list[Path], timeout: float = STALL_SECONDS) -> list[Path]:
    """Convert many .docx files to PDFs beside them with one LibreOffice start; every document
    that can be converted is, then the first failure is raised (naming its file)."""
    outcomes = pdf_each(docs, timeout)
    for outcome in outcomes:
        if isinstance(outcome, UserError):
            raise outcome
    return outcomes


def pdf_each(docs: list[Path], timeout: float = STALL_SECONDS,
             converters: int | None = None) -> list[Path | UserError]:
    """PDFs beside many .docx files: for each document its PDF path, or a UserError naming it.
    The documents are split in order between up to ``converters`` LibreOffice processes at once
    (default: one per core this process may use; at least MIN_PER_CONVERTER documents each),
    each started once for its share with a profile this process keeps. LibreOffice converts in
    order; one that makes no PDF, or makes none for ``timeout`` seconds (it is then killed), is
    failed on its own and LibreOffice starts again for the rest of its share."""
    exe = soffice()
    if exe is None:
        raise PdfUnavailable("PDF not made: LibreOffice (soffice) is not installed "
                             "(apt-get install libreoffice-writer-nogui); the .docx was written")
    outcomes: dict[int, Path | UserError] = {}
    for i, doc in enumerate(docs):
        # LibreOffice reads an empty or plain-text file as a text document and makes a PDF of it
        try:
            with open(doc, "rb") as handle:
                head = handle.read(4)
        except OSError as exc:
            outcomes[i] = UserError(f"cannot read the document: {exc.strerror or exc}", file=display_path(doc))
            continue
        if head != b"PK\x03\x04":
            outcomes[i] = UserError("not a Word document (empty or not a .docx archive); no PDF made",
                                    file=display_path(doc))
    pending = [i for i in range(len(docs)) if i not in outcomes]
    count = max(1, min(converters or cores(), len(pending) // MIN_PER_CONVERTER))
    size, extra = divmod(len(pending), count)
    shares, start = [], 0
    for slot in range(count):   # in order, sizes differing by at most one
        end = start + size + (slot < extra)
        shares.append(pending[start:end])
        start = end
    stop = threading.Event()
    if count == 1:
        outcomes.update(_convert_share(exe, docs, pending, timeout, stop))
    else:
        with concurrent.futures.ThreadPoolExecutor(count, thread_name_prefix="grantflow-pdf") as pool:
            futures = [pool.submit(_convert_share, exe, docs, share, timeout, stop) for share in shares]
            try:
                for future in futures:
                    outcomes.update(future.result())
            except BaseException:   # Ctrl-C or a defect: every converter is stopped, not left running
                stop.set()
                raise
    return [outcomes[i] for i in range(len(docs))]


def _convert_share(exe: str, docs: list[Path], pending: list[int], timeout: float,
                   stop: threading.Event) -> dict[int, Path | UserError]:
    """One converter's share of ``docs`` (their positions in ``pending``), on a profile slot of its own."""
    outcomes: dict[int, Path | UserError] = {}
    fruitless, run = 0, 0
    with _profile_slot() as slot, tempfile.TemporaryDirectory(prefix="grantflow-pdf-") as tmp:
        while pending:
            run += 1
            made, stalled = _convert(exe, [docs[i] for i in pending], Path(tmp) / f"run-{run}", timeout, slot, stop)
            if stop.is_set():
                break
            for i, pdf in zip(pending, made):
                if pdf is not None:
                    outcomes[i] = atomic_write(docs[i].with_suffix(".pdf"), stable_pdf(pdf, docs[i]))
            missing = [i for i in pending if i not in outcomes]
            fruitless = fruitless + 1 if len(missing) == len(pending) and not stalled else 0
            # the first one LibreOffice did not finish is the culprit; the rest go again, unless
            # two starts in a row made nothing at all (LibreOffice itself is broken)
            failed = missing if fruitless >= 2 else missing[:1]
            for i in failed:
                why = f"PDF conversion stalled: no PDF after {timeout:.0f} s" if stalled else "LibreOffice made no PDF"
                outcomes[i] = UserError(why, file=display_path(docs[i]))
            pending = [i for i in missing if i not in outcomes]
    return outcomes


def _convert(exe: str, docs: list[Path], work: Path, stall: float, slot: int = 0,
             stop: threading.Event | None = None) -> tuple[list[bytes | None], bool]:
    """One ``soffice --convert-to pdf`` over ``docs``: each document's PDF bytes (None where it
    made none, or only part of one) and whether it was killed for making no progress. LibreOffice
    runs in its own process group, killed whole if it stalls, ``stop`` is set or this call is
    interrupted."""
    inbox, outdir = work / "in", work / "out"
    inbox.mkdir(parents=True)
    links = []
    for index, doc in enumerate(docs):   # numbered links: many documents share a file name
        link = inbox / f"{index:05d}-{doc.name}"
        link.symlink_to(doc.resolve())
        links.append(link)
    cmd = [exe, f"-env:UserInstallation={_profile(slot).as_uri()}", "--headless", "--norestore",
           "--convert-to", "pdf", "--outdir", str(outdir), *map(str, links)]
    stalled, seen, last = False, 0, time.monotonic()
    # in UTC: the PDF's dates are then written alike on every machine (``stable_pdf``)
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, env={**os.environ, "TZ": "UTC"})
    try:
        while proc.poll() is None:
            try:
                proc.wait(0.2)
            except subprocess.TimeoutExpired:
                pass
            if stop is not None and stop.is_set():
                break
            count = len(list(outdir.glob("*.pdf"))) if outdir.exists() else 0
            if count > seen:
                seen, last = count, time.monotonic()
            elif time.monotonic() - last > stall:
                stalled = True
                break
    finally:
        if proc.poll() is None or stalled:
            _kill_group(proc)
    made = []
    for link in links:
        pdf = outdir / (link.stem + ".pdf")
        data = pdf.read_bytes() if pdf.exists() else b""
        made.append(data if data.startswith(b"%PDF") and b"%%EOF" in data[-1024:] else None)
    return made, stalled


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill LibreOffice's process group (the launcher and soffice.bin) and reap the launcher."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
