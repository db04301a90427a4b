"""Files are written atomically (brief, non-negotiable 3): a reader -- the mailer attaching a
document, LibreOffice converting it, a second process reading the sent ledger's neighbour
record -- sees the old file or the whole new one, never a half-written one.

No test looked at this: the writer could write the target in place and every test stayed green.
"""

from __future__ import annotations

import threading

from grantflow.fileio import atomic_write


def test_a_reader_never_sees_a_half_written_file(tmp_path):
    target = tmp_path / "statusrapport.docx"
    old, new = b"A" * 4_000_000, b"B" * 3_000_000 + b"end"
    atomic_write(target, old)
    seen: list[bytes] = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                data = target.read_bytes()
            except FileNotFoundError:
                data = b"<missing>"
            if data not in (old, new):
                seen.append(data[:20] + f"... {len(data)} bytes".encode())

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(40):
            atomic_write(target, new if i % 2 == 0 else old)
    finally:
        stop.set()
        thread.join()
    assert seen == [], f"{len(seen)} reads saw a partial or missing file, e.g. {seen[0]!r}"
    assert target.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["statusrapport.docx"]     # no temp file left

