"""One set of cell rules, whichever reader reads a CSV file: pyarrow (big files), a Python split
(small files) and pandas (quotes, ragged rows, blank lines) give the same rows, values and findings,
errors included."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grantflow import data

CELLS = {
    "Beløp": ["1 234,50", "350.000", "12,000", "1234", "-500", "abc", "", "1e400", "nan", "1.234.567,89",
              "2 000", "99999999999999", "0,5", "12.5", "1,234,567", " 17,5 ", "1\u00a0234,50", "kr 500",
              "1 200,-", "\u2212500", "-", "12.000,50", "1,234.50", "007", "-0", "5,", ",5", "-,5", "1,2,3",
              "99999999999999999", "1000000000000,01", "x" * 10_001, "12,5\x07"],
    "Dato": ["15.12.2024", "2024-03-01", "31.02.2024", "01.01.1899", "", "3/4/2024", "2101-01-01", "07.10.16",
             " 01.02.2024 ", "2024-02-29 10:00"],
    "Kategori": ["Prosjektledelse", " Kompetanse ", "", "Reise\x07", "Utstyr", "  ", "Z" * 10_001, "Ærlig"],
    "Kreditnota": ["", "nei", "ja", "Ja ", "x", "JA\x0b", "kanskje"],   # clean: blank or nei (amounts are positive)
    "År": ["2024", "", "2025", "20x4", "2024,5", "2024.0", "-3", "1 000"],
    # free text, kept as written; a big file's column is checked in bulk from its bytes
    "Beskrivelse": ["Faktura", "Ørsta kommune", "", "  ", "\u00a0", "\u3000\u2003", " innledende mellomrom ",
                    "tab\ti teksten", "bjelle\x07", "\x7f", "\ufffe", "slutt\uffff", "Y" * 10_001,
                    "\u00e6\u00f8\u00e5" * 3_400, "\u00a0Ærlig", "\u2002x", "\x1f", "Fakt\x0eura", "\u0085",
                    # bidi controls and marks: 'kr 1<RLM>2<RLM>0' need not read as written
                    "Merkostnad \u202e000 021\u202c kr", "kr 1\u200f2\u200f0 000", "\u061c\u0627\u0644", "\u200eok",
                    # right-to-left letters, a tag character, an overlay, stacked marks; a + ring (macOS) reads
                    "Forbruk \u05d0 1 450 000", "Alt i rute\U000e0041", "B\u0336u", "e" + "\u0301" * 6, "A\u030asen"],
}
HEADER = "Dato;År;Kategori;Beskrivelse;Beløp;Finansieringskilde;Kreditnota;Prosjekt"
READERS = ("arrow", "split", "pandas")


def ledger(rows: int, seed: int, clean: bool) -> str:
    rnd = random.Random(seed)
    pick = {k: (v[:2] if clean else v) for k, v in CELLS.items()}
    lines = [HEADER]
    for i in range(rows):
        amount = rnd.choice(pick["Beløp"]) if rnd.random() < 0.3 else f"{rnd.randint(1, 9999)},{rnd.randint(0, 99):02d}"
        lines.append(";".join([rnd.choice(pick["Dato"]), rnd.choice(pick["År"]), rnd.choice(pick["Kategori"]),
                               rnd.choice(pick["Beskrivelse"]) if rnd.random() < 0.2 else f"Faktura {i} fra AS {i % 13}",
                               amount, "sf", rnd.choice(pick["Kreditnota"]), f"p-{i % 7}"]))
    return "\n".join(lines) + "\n"


def read_all(path, monkeypatch, reader=data.read_ledger):
    out = {}
    for name in READERS:
        with monkeypatch.context() as m:
            m.setattr(data, "CSV_READER", name)
            try:
                out[name] = reader(path)
            except data.UserError as exc:
                out[name] = str(exc)
    return out


def assert_same(tables):
    first = tables["pandas"]
    for name, table in tables.items():
        if isinstance(first, str) or isinstance(table, str):
            assert table == first, name
            continue
        assert [str(f) for f in table.findings] == [str(f) for f in first.findings], name
        pd.testing.assert_frame_equal(table.frame, first.frame, obj=name)


@pytest.mark.parametrize("seed,clean", [(1, True), (2, False), (3, False)])
def test_every_reader_reads_a_big_ledger_alike(tmp_path, monkeypatch, seed, clean):
    path = tmp_path / "ledger.csv"
    path.write_text(ledger(30_000, seed, clean), encoding="utf-8")
    assert path.stat().st_size >= data.ARROW_MIN_BYTES          # the pyarrow path is taken unforced
    tables = read_all(path, monkeypatch)
    assert_same(tables)
    assert data.read_ledger(path).frame.equals(tables["arrow"].frame)
    if not clean:
        messages = "\n".join(str(f) for f in tables["arrow"].findings)
        assert "350.000" in messages and "abc" in messages and "31.02.2024" in messages
        assert "Reise" in messages and "characters long" in messages and "not a whole number" in messages
        assert "bjelle" in messages and "U+FFFE" in messages and "Fakt" in messages
        for mark in ("U+202E", "U+200F RIGHT-TO-LEFT MARK", "U+061C ARABIC LETTER MARK", "U+200E",
                     "U+05D0 HEBREW LETTER ALEF", "U+E0041", "U+0336", "5 or more combining marks"):
            assert mark in messages, mark
        notes = tables["arrow"].frame["Beskrivelse"]
        assert (notes == " innledende mellomrom ").any() and (notes == "tab\ti teksten").any()   # as written
        assert (notes == "A\u030asen").any()
        assert not notes.str.strip().eq("").ne(notes.eq("")).any()          # blank but for spaces: empty


def test_a_directional_mark_in_a_big_plain_column_is_found(tmp_path, monkeypatch):
    """An ARABIC LETTER MARK (U+061C, bytes D8 9C) in a big file's text column where no other byte
    reaches E2: the bulk check looked for bidi controls only above E1, so it read as written."""
    lines = [HEADER] + [f"01.02.2024;2024;Reise;Faktura {i};{i},00;sf;;p" for i in range(20_000)]
    lines[7_001] = "01.02.2024;2024;Reise;Faktura 1\u061c2;5,00;sf;;p"
    path = tmp_path / "ledger.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert path.stat().st_size >= data.ARROW_MIN_BYTES
    tables = read_all(path, monkeypatch)
    assert_same(tables)
    (finding,) = [f for f in tables["arrow"].findings if "U+061C" in str(f)]
    assert finding.line == 7_002 and finding.field == "Beskrivelse", finding


def test_small_ledger_with_every_hostile_cell_reads_alike(tmp_path, monkeypatch):
    lines = [HEADER]
    for i in range(max(len(v) for v in CELLS.values())):
        cell = {k: v[i % len(v)] for k, v in CELLS.items()}
        lines.append(";".join([cell["Dato"], cell["År"], cell["Kategori"], cell["Beskrivelse"], cell["Beløp"], "sf",
                               cell["Kreditnota"], "p"]))
    path = tmp_path / "ledger.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tables = read_all(path, monkeypatch)
    assert_same(tables)
    findings = "\n".join(str(f) for f in tables["split"].findings)
    for amount in ("12,000", "1,234.50", "1e400", "99999999999999"):   # refused, one finding each
        assert repr(amount) in findings


CELL = st.one_of(st.sampled_from(sum(CELLS.values(), [])),
                 st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=";\n\r\""), max_size=12))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(CELL, CELL, CELL, CELL, CELL, CELL), min_size=0, max_size=12))
def test_any_cells_read_alike_by_every_reader(tmp_path, monkeypatch, rows):
    lines = [HEADER] + [";".join([d, y, k, t, b, "sf", c, "p"]) for d, y, k, t, b, c in rows]
    path = tmp_path / "ledger.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert_same(read_all(path, monkeypatch))


@pytest.mark.parametrize("reader", [data.read_milestones, data.read_hours])
def test_milestones_and_hours_read_alike(tmp_path, monkeypatch, reader):
    path = tmp_path / "data.csv"
    if reader is data.read_milestones:
        path.write_text("Milepæl;Status;Faktisk dato;Kommentar\n1;ferdig;31.01.2024;\n2;pågår;;ok \n"
                        "2;ferdig;01.02.2024;dobbel\n3;ukjent;;\n4,5;ferdig;;\n;ferdig;;\n", encoding="utf-8")
    else:
        path.write_text("Dato;Kommune;Timer;Beskrivelse\n01.02.2024;Bø;7,5;\n02.02.2024;Bø;-1;\n"
                        "03.02.2024;;2;\n04.02.2024;Sauherad;350.000;x\n", encoding="utf-8")
    tables = read_all(path, monkeypatch, reader)
    assert_same(tables)


def test_quoted_or_ragged_big_files_take_the_careful_path(tmp_path, monkeypatch):
    text = ledger(30_000, 4, True).splitlines()
    text[5000] += ";extra"
    path = tmp_path / "ledger.csv"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    for name in READERS:
        with monkeypatch.context() as m:
            m.setattr(data, "CSV_READER", name)
            with pytest.raises(data.UserError, match="row 5001 has 9 fields"):
                data.read_ledger(path)


def test_every_unicode_space_starts_with_a_byte_the_bulk_note_check_looks_at():
    """A big file's note column sends a value to the full rules only if its first byte may start a
    space (``str.strip`` would empty it otherwise unseen): every space character must be covered."""
    spaces = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF and chr(c).isspace()]
    assert len(spaces) > 20
    for ch in spaces:
        assert not ch.strip()
        assert data._MAY_BE_SPACE[ch.encode("utf-8")[0]], f"U+{ord(ch):04X}"


def _arrow_reads(path) -> bool:
    """Whether pyarrow's reader took the file (rather than handing it to the careful reader)."""
    head = path.read_bytes()[:data.HEADER_SEARCH_ROWS * data.MAX_LINE]
    plain = [c.kind in ("number", "note") for c in data.LEDGER_COLUMNS]
    return data._arrow_cells(path, head, ";", 0, plain) is not None


def test_an_export_that_quotes_every_field_is_read_by_pyarrow_alike(tmp_path, monkeypatch):
    import csv
    import io

    rows = list(csv.reader(io.StringIO(ledger(30_000, 5, False)), delimiter=";"))
    out = io.StringIO()
    csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    path = tmp_path / "quoted.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    assert path.read_bytes().startswith(b'"Dato";"')
    assert _arrow_reads(path)
    tables = read_all(path, monkeypatch)
    assert_same(tables)
    assert "350.000" in "\n".join(str(f) for f in tables["arrow"].findings)


@pytest.mark.parametrize("cell,arrow", [
    ('"Faktura; del 2"', True),              # the separator inside quotes, deep in the file
    ('"Faktura ""Vår ref"" 12"', False),     # a doubled quote stays in the value: the careful reader
    ('Faktura "Vår ref"', False),            # a stray quote inside a cell, kept as written
    ('"Faktura\nandre linje"', False),       # a quoted cell over two lines
    ('"uavsluttet', False),                  # an unterminated quote: one error, the same one
])
def test_a_quote_deep_in_a_big_file_reads_alike(tmp_path, monkeypatch, cell, arrow):
    lines = ledger(30_000, 6, True).splitlines()
    parts = lines[25_000].split(";")
    parts[3] = cell
    lines[25_000] = ";".join(parts)
    path = tmp_path / "ledger.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert path.stat().st_size > data.HEADER_SEARCH_ROWS * data.MAX_LINE       # beyond the head read first
    assert _arrow_reads(path) is arrow
    tables = read_all(path, monkeypatch)
    assert_same(tables)
    if arrow:
        assert (tables["arrow"].frame["Beskrivelse"] == "Faktura; del 2").sum() == 1


@pytest.mark.parametrize("rows", [2_000, 30_000])          # the whole file in the head; beyond it
@pytest.mark.parametrize("newline,end", [("\n", "\n"), ("\r\n", "\r\n"), ("\n", "")])
def test_an_unterminated_quote_in_the_last_row_is_one_error_in_every_reader(tmp_path, monkeypatch, rows, newline, end):
    """pyarrow reads a quote left open on the last line to the end of the file (one row per line, so
    the line count agrees); pandas refuses it. Every reader must refuse it alike, not keep 'p-1\\n'."""
    lines = ledger(rows, 7, True).splitlines()
    parts = lines[-1].split(";")
    parts[-1] = '"' + parts[-1]                              # Prosjekt, the last field: no column lost
    lines[-1] = ";".join(parts)
    path = tmp_path / "ledger.csv"
    path.write_bytes((newline.join(lines) + end).encode("utf-8"))
    assert path.stat().st_size >= data.ARROW_MIN_BYTES
    tables = read_all(path, monkeypatch)
    assert_same(tables)
    assert isinstance(tables["arrow"], str) and f"ledger.csv:{len(lines)}: row {len(lines)} opens a quote" in tables["arrow"]


@pytest.mark.parametrize("text,row", [
    ('Dato;Beløp;Kategori\n01.01.2024;5;a\n01.01.2024;5;"b;c\n01.01.2024;5;c\n', 3),
    ('Tittel\nDato;Beløp;Kategori\r\n01.01.2024;5;a\r\n\r\n01.01.2024;5;"b\r\n', 5),    # a title, a blank line
    ('Dato;Beløp;Kategori\n01.01.2024;5;"a\nb"\n01.01.2024;5;"b\n', 3),          # after a cell over two lines
])
def test_an_unterminated_quote_names_its_spreadsheet_row(tmp_path, monkeypatch, text, row):
    """pandas says 'EOF inside string starting at row N' counting from 0: the message names the
    spreadsheet's row (as every other message does) and says what is wrong in the user's words."""
    path = tmp_path / "ledger.csv"
    path.write_text(text, encoding="utf-8")
    tables = read_all(path, monkeypatch)
    assert_same(tables)
    assert f"ledger.csv:{row}: row {row} opens a quote" in tables["pandas"], tables["pandas"]


@pytest.mark.parametrize("text,row", [
    ("Tittel\nDato;Beløp;Kategori\n01.01.2024;5;a\n01.01.2024;5;b;x;y\n", 4),
    ("Tittel\n\nUndertittel\nDato;Beløp;Kategori\n01.01.2024;5;a\n\n01.01.2024;5;b;x;y\n", 7),
    ('Dato;Beløp;Kategori\n01.01.2024;5;"a\nb"\n01.01.2024;5;b;x;y\n', 3),
])
def test_a_long_row_below_title_rows_is_named_by_its_spreadsheet_row(tmp_path, monkeypatch, text, row):
    """pandas' 'Expected 3 fields in line N' counts from the top of the file (title rows included):
    N is the spreadsheet row, with nothing added for the rows above the header."""
    path = tmp_path / "ledger.csv"
    path.write_text(text, encoding="utf-8")
    tables = read_all(path, monkeypatch)
    assert_same(tables)
    assert f"ledger.csv:{row}: row {row} has 5 fields" in tables["pandas"], tables["pandas"]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])       # "\r": Excel's 'CSV (Macintosh)'
@pytest.mark.parametrize("rows", [3, 2_000])
def test_a_blank_line_counts_as_a_row_whatever_the_line_break(tmp_path, monkeypatch, newline, rows):
    lines = ledger(rows, 8, True).splitlines()
    lines.insert(2, "")                                      # a blank spreadsheet row 3
    parts = lines[-1].split(";")
    parts[4] = "abc"
    lines[-1] = ";".join(parts)
    path = tmp_path / "ledger.csv"
    path.write_bytes((newline.join(lines) + newline).encode("utf-8"))
    tables = read_all(path, monkeypatch)
    assert_same(tables)
    assert [f.line for f in tables["arrow"].findings] == [len(lines)]
    assert list(tables["arrow"].frame["_row"][:2]) == [2, 4]


QUOTED_CELL = st.one_of(st.sampled_from(sum(CELLS.values(), [])),
                        st.text(st.sampled_from('"";;\r\n a,1æ\u00a0\t'), max_size=8),
                        st.text(st.sampled_from('a;\n"\u3000'), max_size=6).map(lambda t: '"' + t.replace('"', '""') + '"'))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(*[QUOTED_CELL] * 7), min_size=0, max_size=8),
       newline=st.sampled_from(["\n", "\r\n", "\r"]), end=st.booleans())
def test_any_quotes_and_line_breaks_read_alike_by_every_reader(tmp_path, monkeypatch, rows, newline, end):
    """Quotes, separators and line breaks anywhere: pyarrow's quoted read (forced here on a small
    file), the split and the careful reader give the same rows or the same one error."""
    lines = [HEADER] + [";".join([d, y, k, t, b, "sf", c, p]) for d, y, k, t, b, c, p in rows]   # p: the last field
    path = tmp_path / "ledger.csv"
    path.write_bytes((newline.join(lines) + (newline if end else "")).encode("utf-8"))
    assert_same(read_all(path, monkeypatch))


@pytest.mark.parametrize("rows", [2_000, 30_000])          # the whole file in the head; beyond it
def test_a_mac_csv_ending_in_a_letter_of_two_bytes_is_utf8(tmp_path, monkeypatch, rows):
    """Lone CR line breaks (Excel's 'CSV (Macintosh)') leave no LF to cut the head at: the head is
    checked as UTF-8 without cutting a character in two ('før' ends in C3 B8 72)."""
    lines = ledger(rows, 9, True).splitlines()
    lines = [line.replace("Prosjektledelse", "Prosjektledelse før") for line in lines]
    parts = lines[-1].split(";")
    parts[-1] = "før"
    lines[-1] = ";".join(parts)
    raw = ("\r".join(lines) + "\r").encode("utf-8")
    head = data.HEADER_SEARCH_ROWS * data.MAX_LINE
    if len(raw) > head:                    # an ø just before the end of the head read first
        pad = head - 4 - raw.rfind(b"\xc3", 0, head - 3)
        first = lines[1].split(";")
        first[3] += "x" * pad
        lines[1] = ";".join(first)
        raw = ("\r".join(lines) + "\r").encode("utf-8")
        assert raw[head - 4:head - 2] == "ø".encode()
    path = tmp_path / "ledger.csv"
    path.write_bytes(raw)
    tables = read_all(path, monkeypatch)
    assert_same(tables)
    assert not isinstance(tables["arrow"], str), tables["arrow"]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("rows", [10, 2_000])
def test_a_byte_that_is_not_utf8_is_named_by_its_row_whatever_the_line_break(tmp_path, monkeypatch, newline, rows):
    lines = ledger(rows, 10, True).splitlines()
    raw = newline.join(lines).encode("utf-8").replace(lines[5].encode(), lines[5].encode() + b"\xe6", 1) + \
        newline.encode()
    path = tmp_path / "ledger.csv"
    path.write_bytes(raw)
    tables = read_all(path, monkeypatch)
    assert_same(tables)
    assert "ledger.csv:6: not UTF-8 text (byte 0xe6 at line 6" in tables["arrow"], tables["arrow"]


@given(st.binary(max_size=300), st.integers(0, 255), st.integers(0, 300), st.integers(0, 300))
def test_a_byte_is_found_in_a_columns_bytes_wherever_it_is(blob, byte, start, stop):
    """``_has_byte`` asks the C library's memchr over the array's memory: the same answer as
    Python's ``in`` on the bytes, also for a slice that starts or ends inside the buffer."""
    from grantflow.data import _has_byte

    data = np.frombuffer(blob, dtype=np.uint8)[start:stop]
    assert _has_byte(data, byte) == (byte in blob[start:stop])


@pytest.mark.parametrize("seed,clean", [(5, False), (6, True)])
def test_a_big_ledger_read_in_threads_reads_as_in_one(tmp_path, monkeypatch, seed, clean):
    """A big file's columns (and the total-row search in its descriptions) are read at once in
    threads: the rows, values and findings, in their order, are those of one thread."""
    import threading

    text = ledger(30_000, seed, clean).rstrip("\n").split("\n")      # not splitlines(): a NEL (U+0085) in a cell is no row break
    for line in (7, 4_000, 29_000):          # total rows among the costs: refused, other findings of the row unsaid
        cells = text[line].split(";")
        cells[3] = "Sum 2024" if line != 4_000 else "\u00a0Prosjektledelse totalt"
        text[line] = ";".join(cells)
    path = tmp_path / "ledger.csv"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    threads = set()
    read_column = data._read_column

    def recorded(*args):
        threads.add(threading.current_thread().name)
        return read_column(*args)

    monkeypatch.setattr(data, "_read_column", recorded)
    tables = {}
    for name, at in (("one thread", 10 ** 9), ("threads", 1)):
        with monkeypatch.context() as m:
            m.setattr(data, "PARALLEL_ROWS", at)
            tables[name] = data.read_ledger(path)
    assert any(name.startswith("grantflow-read") for name in threads) and "MainThread" in threads
    one, many = tables["one thread"], tables["threads"]
    assert [str(f) for f in many.findings] == [str(f) for f in one.findings]
    pd.testing.assert_frame_equal(many.frame, one.frame)
    totals = [f for f in many.findings if "total or balance row" in f.message]
    assert [f.line for f in totals] == [8, 4_001, 29_001]


_FORKED_READ = """
import multiprocessing, sys, traceback
from pathlib import Path
from grantflow import data

def child(path, queue):
    try:
        queue.put(len(data.read_ledger(path).frame))
    except BaseException:                   # said to the parent: a fork child's stderr may be lost
        queue.put(traceback.format_exc())

path = Path(sys.argv[1])
data.PARALLEL_ROWS = 1
rows = len(data.read_ledger(path).frame)    # the parent's threads
context = multiprocessing.get_context("fork")
queue = context.Queue()
process = context.Process(target=child, args=(path, queue))
process.start()
process.join(60)
if process.is_alive():
    process.kill()
    print("the forked child's read did not finish", flush=True)
    sys.exit(1)
print(rows, queue.get(timeout=10), flush=True)
"""


def test_a_process_forked_after_a_threaded_read_reads_too(tmp_path):
    """The batch flow's workers and Prefect's runs are forked: a child of a process that had read a
    big file in threads inherited a pool without threads, and its own read waited for ever. (In a
    process of its own: the test runner's threads, servers and harness are no part of it.)"""
    import subprocess
    import sys

    path = tmp_path / "ledger.csv"
    path.write_text(ledger(30_000, 6, True), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", _FORKED_READ, str(path)], capture_output=True, text=True,
                          timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    parent, child = proc.stdout.split(maxsplit=1)
    assert child.strip() == parent, proc.stdout
