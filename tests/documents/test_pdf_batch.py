"""Many documents to PDF with one LibreOffice start and a kept profile; one that fails or hangs
is named and does not cost the others."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import time
from datetime import date

import pytest

from grantflow.documents import render as render_module
from grantflow.documents.render import pdf_each, soffice, to_pdf, to_pdf_many
from grantflow.documents.service import add_pdfs, produce
from grantflow.errors import UserError
from grantflow.register import open_register

from ..conftest import CONFIG, ctrl_c_reaches_child

TODAY = date(2026, 11, 24)
AS_OF = {"haugaland-velferdsteknologi": date(2016, 11, 15), "kongsbergregionen-erp": date(2014, 6, 30),
         "smart-velferdsregion-nord-gudbrandsdal": date(2020, 6, 30)}   # a day in each project's period
PROJECTS = ["haugaland-velferdsteknologi", "kongsbergregionen-erp", "smart-velferdsregion-nord-gudbrandsdal"]
needs_lo = pytest.mark.skipif(soffice() is None or shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None,
                              reason="LibreOffice/poppler not installed")


def _text(pdf):
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _pages(pdf) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))


@needs_lo
def test_same_file_names_in_many_folders_each_get_their_pdf(tmp_path):
    register = open_register(CONFIG)
    # the usage report for one year, per council: the same file name in each council's folder
    made = [produce(register, "usage", council_id=cid, period="2016", out=tmp_path / str(i), today=TODAY).docx
            for i, cid in enumerate(["haugaland-vekst", "kongsbergregionen"])]
    assert made[0].name == made[1].name == "usage-2016.docx"
    pdfs = to_pdf_many(made)
    assert pdfs == [d.with_suffix(".pdf") for d in made]
    texts = [_text(p) for p in pdfs]
    assert "Haugaland" in texts[0] and "Kongsberg" not in texts[0]
    assert "Kongsberg" in texts[1]


@needs_lo
def test_status_reports_in_one_call_are_whole_reports_and_a_broken_one_is_named(tmp_path):
    register = open_register(CONFIG)
    made = [produce(register, "status", pid, as_of=AS_OF[pid], out=tmp_path / pid, today=TODAY) for pid in PROJECTS]
    broken = tmp_path / "broken" / "status-2016.docx"   # a zip header and nothing else
    broken.parent.mkdir()
    broken.write_bytes(b"PK\x03\x04 not a document")
    docs = [made[0].docx, broken, made[1].docx, made[2].docx]
    calls = []
    real = render_module._convert
    render_module_convert = lambda *a: calls.append(len(a[1])) or real(*a)   # noqa: E731
    try:
        render_module._convert = render_module_convert
        outcomes = pdf_each(docs)
    finally:
        render_module._convert = real
    assert calls == [4]                                   # one LibreOffice start for all four
    assert isinstance(outcomes[1], UserError) and "broken/status-2016.docx" in str(outcomes[1])
    assert "made no PDF" in str(outcomes[1]) and not broken.with_suffix(".pdf").exists()
    for produced, pdf in zip(made, [outcomes[0], outcomes[2], outcomes[3]]):
        assert pdf == produced.docx.with_suffix(".pdf")
        assert pdf.read_bytes().startswith(b"%PDF")
        # a whole report: the same pages as the document converted alone, and its own text
        text = _text(pdf)
        project = register.projects[produced.project]
        assert project.name.split()[0] in text and "Statusrapport" in text
        assert "Milepæler: plan og faktisk" in text and "Budsjett og regnskap per kategori" in text
        assert _pages(pdf) >= 2
    alone = tmp_path / "alone" / made[0].docx.name
    alone.parent.mkdir()
    shutil.copy(made[0].docx, alone)
    assert _pages(to_pdf(alone)) == _pages(outcomes[0])


@needs_lo
def test_add_pdfs_records_each_pdf(tmp_path):
    import json

    register = open_register(CONFIG)
    made = [produce(register, "costsplit", pid, period=str(AS_OF[pid].year), out=tmp_path / pid, today=TODAY)
            for pid in PROJECTS[:2]]
    assert all(json.loads(p.record.read_text(encoding="utf-8"))["pdf"] is None for p in made)
    assert add_pdfs(made) == [None, None]
    for produced in made:
        assert produced.pdf.read_bytes().startswith(b"%PDF")
        assert json.loads(produced.record.read_text(encoding="utf-8"))["pdf"] == produced.pdf.name


# A stand-in for soffice: converts every argument to a minimal PDF, but hangs (recording
# its pid) on a document in a folder HANG-*, and skips one in a folder FAIL-*.
FAKE = r"""#!/bin/sh
outdir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --outdir) outdir="$2"; shift 2 ;;
    -*) shift ;;
    *) mkdir -p "$outdir"; base=$(basename "$1" .docx)
       case "$(readlink -f "$1")" in
         */docs/HANG-*) echo $$ > "{pids}/soffice.pid"; sleep 600 & echo $! > "{pids}/child.pid"; wait; exit 1 ;;
         */docs/FAIL-*) ;;
         *) printf '%s\n' '%PDF-1.4' '%%EOF' > "$outdir/$base.pdf" ;;
       esac; shift ;;
  esac
done
"""


def _stand_in(tmp_path, monkeypatch, script_text: str):
    """``script_text`` as the soffice on PATH; returns the test's folder."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "soffice"
    script.write_text(script_text)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return tmp_path


@pytest.fixture
def fake_soffice(tmp_path, monkeypatch):
    return _stand_in(tmp_path, monkeypatch, FAKE.replace("{pids}", str(tmp_path)))


def _docs(folder, names):
    out = []
    for name in names:
        doc = folder / "docs" / name / "status-2016.docx"
        doc.parent.mkdir(parents=True)
        doc.write_bytes(b"PK\x03\x04")
        out.append(doc)
    return out


def test_a_hanging_document_is_killed_named_and_the_rest_converted(fake_soffice):
    docs = _docs(fake_soffice, ["a", "HANG-b", "c", "d"])
    start = time.monotonic()
    outcomes = pdf_each(docs, timeout=1.5)
    assert time.monotonic() - start < 60                 # the stall did not hold the batch
    assert isinstance(outcomes[1], UserError)
    assert "HANG-b/status-2016.docx" in str(outcomes[1]) and "stalled" in str(outcomes[1])
    assert [o for i, o in enumerate(outcomes) if i != 1] == [docs[i].with_suffix(".pdf") for i in (0, 2, 3)]
    assert all(docs[i].with_suffix(".pdf").read_bytes().startswith(b"%PDF") for i in (0, 2, 3))
    for pid_file in ("soffice.pid", "child.pid"):        # the launcher and its child are gone
        assert _gone(int((fake_soffice / pid_file).read_text()))


def _gone(pid: int, wait: float = 10) -> bool:
    """The process has ended (a zombie waiting for its new parent to reap it counts as ended)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            state = open(f"/proc/{pid}/stat", encoding="ascii").read().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def test_documents_without_pdf_are_named_and_the_others_kept(fake_soffice):
    docs = _docs(fake_soffice, ["FAIL-a", "b", "FAIL-c", "d"])
    outcomes = pdf_each(docs)
    assert [isinstance(o, UserError) for o in outcomes] == [True, False, True, False]
    assert "FAIL-a/status-2016.docx: LibreOffice made no PDF" in str(outcomes[0])
    assert "FAIL-c/status-2016.docx" in str(outcomes[2])
    with pytest.raises(UserError, match="FAIL-a/status-2016.docx"):
        to_pdf_many(docs)
    assert docs[3].with_suffix(".pdf").exists()


def test_a_broken_libreoffice_fails_every_document_after_two_starts(fake_soffice, monkeypatch):
    calls = []
    real = render_module._convert
    monkeypatch.setattr(render_module, "_convert", lambda *a: calls.append(1) or real(*a))
    docs = _docs(fake_soffice, [f"FAIL-{i}" for i in range(5)])
    outcomes = pdf_each(docs)
    assert all(isinstance(o, UserError) for o in outcomes) and len(calls) == 2


def _profile_path(_):
    return str(render_module._profile())


def test_a_pool_workers_libreoffice_profile_is_removed_when_it_ends():
    import concurrent.futures
    import multiprocessing

    # forked pool workers end with os._exit, which skips atexit
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        paths = set(pool.map(_profile_path, range(4)))
    assert paths and not any(os.path.exists(p) for p in paths)


def test_an_empty_or_plain_text_docx_is_named_not_made_into_a_pdf(fake_soffice):
    # real LibreOffice reads such a file as a text document and makes a blank or garbage PDF of it
    docs = _docs(fake_soffice, ["a", "empty", "text", "d"])
    docs[1].write_bytes(b"")
    docs[2].write_text("not a document\n", encoding="utf-8")
    outcomes = pdf_each(docs)
    assert [isinstance(o, UserError) for o in outcomes] == [False, True, True, False]
    for i in (1, 2):
        assert f"{docs[i].parent.name}/status-2016.docx" in str(outcomes[i]) and "not a Word document" in str(outcomes[i])
        assert not docs[i].with_suffix(".pdf").exists()
    assert [outcomes[0], outcomes[3]] == [docs[0].with_suffix(".pdf"), docs[3].with_suffix(".pdf")]


@needs_lo
def test_the_pdf_sent_is_made_from_the_version_sent(scratch_config, tmp_path, monkeypatch, capsys):
    """Rendered with --pdf, the data changed, rendered again without --pdf (version 2), then sent
    with --pdf: version 2's .docx went out with version 1's PDF, the old project name in it; a PDF
    overwritten by hand went out too (found by an outside tester). A PDF is kept only when it was
    made from this very .docx file and is as it was made."""
    from email import policy
    from email.parser import BytesParser

    from grantflow.cli import main

    from ..conftest import replace_in

    monkeypatch.setenv("GRANTFLOW_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("GRANTFLOW_LEDGER_URL", f"sqlite:///{tmp_path / 'sent.db'}")
    out = tmp_path / "o"
    base = ["--config", str(scratch_config)]
    # the final report: the ERP project (no skjønnsmidler) sends it to its steering group's leader
    what = ["final", "kongsbergregionen-erp", "--out", str(out)]
    assert main([*base, "render", *what, "--pdf"]) == 0
    (pdf,) = out.rglob("*.pdf")
    assert "ERP-prosjektet" in _text(pdf)
    replace_in(scratch_config / "projects/kongsbergregionen-erp.yaml", "name: ERP-prosjektet", "name: Nytt ERP-navn")
    assert main([*base, "render", *what]) == 0
    assert main([*base, "send", *what, "--pdf", "--yes"]) == 0
    mails = sorted((tmp_path / "outputs" / "outbox").glob("*.eml"))
    assert mails
    for mail in mails:
        parsed = BytesParser(policy=policy.default).parsebytes(mail.read_bytes())
        (attached,) = [p.get_content() for p in parsed.iter_attachments() if p.get_filename().endswith(".pdf")]
        sent = tmp_path / "sent.pdf"
        sent.write_bytes(attached)
        assert "Nytt ERP-navn" in _text(sent) and "ERP-prosjektet for" not in _text(sent)

    pdf.write_bytes(b"%PDF-1.4 EDITED BY HAND")
    capsys.readouterr()
    assert main([*base, "send", *what, "--pdf", "--yes", "--resend"]) == 0
    assert pdf.read_bytes() != b"%PDF-1.4 EDITED BY HAND" and "Nytt ERP-navn" in _text(pdf)


# A stand-in for soffice that takes a second per call and records, per call, its profile, its
# documents and how many calls were running at once.
SLOW = r"""#!/bin/sh
log="{dir}/calls"; running="{dir}/running"; mkdir -p "$running"
touch "$running/$$"; sleep 1
profile=""; outdir=""; names=""
while [ $# -gt 0 ]; do
  case "$1" in
    -env:UserInstallation=*) profile="${1#-env:UserInstallation=}"; shift ;;
    --outdir) outdir="$2"; shift 2 ;;
    --convert-to) shift 2 ;;
    -*) shift ;;
    *) mkdir -p "$outdir"; base=$(basename "$1" .docx); names="$names $(basename "$(dirname "$(readlink -f "$1")")")"
       case "$(readlink -f "$1")" in
         */docs/HANG-*) echo $$ >> "{dir}/hanging"; sleep 600 ;;
         *) printf '%s\n' '%PDF-1.4' '%%EOF' > "$outdir/$base.pdf" ;;
       esac; shift ;;
  esac
done
echo "$(ls "$running" | wc -l) $profile$names" >> "$log"; rm -f "$running/$$"
"""


@pytest.fixture
def slow_soffice(tmp_path, monkeypatch):
    return _stand_in(tmp_path, monkeypatch, SLOW.replace("{dir}", str(tmp_path)))


def _calls(folder):
    return [line.split() for line in (folder / "calls").read_text().splitlines()]


def test_many_documents_are_shared_between_converters_running_at_once(slow_soffice):
    """Eight documents on two converters: two LibreOffice processes at the same time, each with
    a profile of its own (LibreOffice refuses a profile in use), four documents each in order,
    and every document its PDF. LibreOffice converts on one core, so one converter per core
    halves a chunk's PDF time."""
    names = list("abcdefgh")
    docs = _docs(slow_soffice, names)
    outcomes = pdf_each(docs, converters=2)
    assert outcomes == [d.with_suffix(".pdf") for d in docs]
    calls = _calls(slow_soffice)
    assert len(calls) == 2
    assert max(int(c[0]) for c in calls) == 2                       # both ran at once
    assert len({c[1] for c in calls}) == 2                          # each its own profile
    assert sorted(c[2:] for c in calls) == [names[:4], names[4:]]


def test_two_threads_converting_at_once_each_get_a_profile_of_their_own(slow_soffice):
    """The batch on a thread runner: two chunks' PDFs at once in one process, one converter each.
    Both run at once (they waited for each other's profile before), on different profiles."""
    import concurrent.futures

    docs = _docs(slow_soffice, list("abcd"))
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda part: pdf_each(part, converters=1), [docs[:2], docs[2:]]))
    assert outcomes == [[d.with_suffix(".pdf") for d in docs[:2]], [d.with_suffix(".pdf") for d in docs[2:]]]
    calls = _calls(slow_soffice)
    assert len(calls) == 2 and max(int(c[0]) for c in calls) == 2 and len({c[1] for c in calls}) == 2


def test_one_converter_when_asked_or_too_few_documents(slow_soffice):
    docs = _docs(slow_soffice, list("abcdefg"))
    pdf_each(docs[:7], converters=1)
    pdf_each(docs[:7])                            # 7 documents: a second start would not pay off
    assert [len(c) - 2 for c in _calls(slow_soffice)] == [7, 7]


def test_a_hanging_document_stops_only_its_converters_share(slow_soffice):
    docs = _docs(slow_soffice, ["a", "b", "c", "d", "e", "HANG-f", "g", "h"])
    outcomes = pdf_each(docs, timeout=3, converters=2)
    assert isinstance(outcomes[5], UserError) and "HANG-f/status-2016.docx" in str(outcomes[5])
    assert "stalled" in str(outcomes[5])
    assert [o for i, o in enumerate(outcomes) if i != 5] == [d.with_suffix(".pdf") for i, d in enumerate(docs) if i != 5]


def test_ctrl_c_stops_every_converter(slow_soffice):
    import signal
    import sys

    docs = _docs(slow_soffice, ["a", "HANG-b", "c", "d", "e", "HANG-f", "g", "h"])
    code = ("import sys; from pathlib import Path; from grantflow.documents.render import pdf_each; "
            "pdf_each([Path(p) for p in sys.argv[1:]], converters=2)")
    proc = subprocess.Popen([sys.executable, "-c", code, *map(str, docs)], env=os.environ.copy(),
                            preexec_fn=ctrl_c_reaches_child,
                            start_new_session=True)
    hanging, pids = slow_soffice / "hanging", []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (hanging.exists() and len(hanging.read_text().split()) == 2):
            time.sleep(0.1)
        pids = [int(p) for p in hanging.read_text().split()]
        assert len(pids) == 2                                # both converters are stuck
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) != 0
        assert all(_gone(pid) for pid in pids)               # neither is left running
    finally:                                                 # nothing left behind if it failed
        for pid in [proc.pid, *pids]:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        proc.wait()


@needs_lo
def test_documents_converted_by_two_libreoffices_are_each_their_own(tmp_path):
    register = open_register(CONFIG)
    made = [produce(register, "costsplit", pid, period=str(AS_OF[pid].year), out=tmp_path / f"{i}-{pid}", today=TODAY)
            for i, pid in enumerate(PROJECTS * 3)][:8]
    calls = []
    real = render_module._convert
    try:
        render_module._convert = lambda exe, docs, *a: calls.append(len(docs)) or real(exe, docs, *a)
        outcomes = pdf_each([p.docx for p in made], converters=2)
    finally:
        render_module._convert = real
    assert calls == [4, 4]
    for produced, pdf in zip(made, outcomes):
        assert pdf == produced.docx.with_suffix(".pdf")
        assert register.projects[produced.project].name.split()[0] in _text(pdf)
