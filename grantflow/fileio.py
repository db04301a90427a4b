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
