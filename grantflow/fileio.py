"""The one atomic file writer: write to a temp file beside the target, then rename.

A temp file is named ``.<target name>.<pid>.<random>.tmp``. One left behind by an interrupted
write (a killed process, a full disk) is removed by the next write of the same file and by the
next ``grantflow`` command's sweep of the outputs folder: when its process is gone, or in any case
after ``STALE_AFTER`` seconds (no write takes that long).
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import time
from pathlib import Path

STALE_AFTER = 3600
_TEMP = re.compile(r"^\..+\.(\d+)\.[^.]+\.tmp$")


def atomic_write(path: str | os.PathLike, data: bytes | str, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` so readers see either the old file or the whole new one."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(target.parent, pattern=f".{glob_escape(target.name)}.*.tmp", recursive=False)
    payload = data.encode(encoding) if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent)
    try:
        # mkstemp makes the file 0600: the target keeps its own mode, a new file gets the umask's
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except OSError:
            mode = 0o666 & ~current_umask()
        with os.fdopen(fd, "wb") as handle:
            try:
                os.fchmod(handle.fileno(), mode)
            except OSError:               # a share that keeps its own modes: write all the same
                pass
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return target


def current_umask() -> int:
    """The process's umask, read without setting it (os.umask sets it: a thread writing a file at
    that moment would make it world-writable)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` on this host may still run: False only when it is known gone (no
    such process, or killed and not yet reaped: a zombie), True otherwise (also when it runs as
    another user or cannot be asked)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError, ValueError):
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def remove_stale_temp_files(folder: str | os.PathLike, pattern: str = ".*.tmp", recursive: bool = True) -> list[Path]:
    """Remove temp files of interrupted atomic writes under ``folder``; returns what was removed."""
    root = Path(folder)
    if not root.is_dir():
        return []
    removed = []
    now = time.time()
    for path in (root.rglob(pattern) if recursive else root.glob(pattern)):
        match = _TEMP.match(path.name)
        if not match:
            continue
        try:
            age = now - path.stat().st_mtime
        except OSError:
            continue
        if age < STALE_AFTER and process_alive(int(match.group(1))):
            continue                        # a write in progress in a living process
        try:
            path.unlink()
            removed.append(path)
        except OSError:
            pass
    return removed


def display_path_of(name) -> str:
    """A file name from an OSError as one line to show (relative to the working folder where it can be)."""
    from .register import display_path
    from .text import printable_name

    try:
        return printable_name(display_path(Path(os.fsdecode(name))))
    except (TypeError, ValueError):
        return repr(name)


def system_problem(exc: BaseException) -> str | None:
    """The one line to say for a failure that is the machine's state, not a bug nor the user's
    data, or None: no room on the disk (or quota, or a file size limit; an outside operator filled
    the disk under the outputs folder and the sent ledger), or a folder or file that cannot be used
    (read-only, no permission: --out, outputs:, outbox:, --ics …). The command line and a run on
    a server (`grantflow run` through serve said "OSError: [Errno 28] No space left on device")
    say the same."""
    import errno

    from .settings import outputs_root

    def shown(name) -> str:
        # a temp file that could not be made or filled is named by its folder (the reader never saw it)
        name = os.fsdecode(name)
        return display_path_of((os.path.dirname(name) or ".") if _TEMP.match(os.path.basename(name)) else name)

    seen: set[int] = set()
    first = exc
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            where = f"writing {shown(exc.filename)}" if exc.filename else \
                f"writing under the outputs folder {display_path_of(outputs_root())} or the sent ledger"
            return (f"no room on the disk ({exc.strerror or 'no space left'}) {where}: free space there (or raise "
                    "the limit) and run the command again")
        if "database or disk is full" in str(exc):
            return ("no room on the disk for the sent ledger's database (database or disk is full): free space "
                    "there and run the command again")
        exc = exc.__cause__ or exc.__context__
    if isinstance(first, OSError) and first.filename is not None:
        # an atomic write's rename names its temp file first and the path given second
        return f"cannot use {shown(first.filename2 or first.filename)}: {first.strerror or type(first).__name__}"
    return None
