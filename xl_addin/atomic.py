"""Writing a file whole or not at all (``write_atomic``), and clearing what a killed write left.

Below every writer of the package: it imports only the message catalogue and ``ui.yaml``."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from .errors import CchcError
from .ui import ui

STALE_TEMP_SECONDS = 600  # a temporary file older than this was left by a write that was killed


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename: never a partial file.

    A target open in Excel on Windows (a permission refused on the file) is ``output_locked``; a
    folder that cannot be written otherwise (read-only disk, full disk, missing folder) is
    ``output_unwritable``, naming the file and the folder: a clear message, not a crash.
    Temporary files (``.~cchc-<pid>-….tmp``) left in that folder by a write that was killed are
    removed first (see ``remove_stale_temp``)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temp(path.parent)
        fd, tmp = tempfile.mkstemp(prefix=f".~cchc-{os.getpid()}-", suffix=".tmp", dir=path.parent)
    except PermissionError:
        raise CchcError("output_locked", file=path) from None
    except OSError as exc:
        raise CchcError("output_unwritable", file=path.name, folder=path.parent, detail=_os_detail(exc)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, (PermissionError, IsADirectoryError)):  # the target cannot be replaced
            raise CchcError("output_locked", file=path) from None
        if isinstance(exc, OSError):
            raise CchcError("output_unwritable", file=path.name, folder=path.parent, detail=_os_detail(exc)) from None
        raise


def _os_detail(exc: OSError) -> str:
    import errno

    known = ui("os_errors")  # by errno name: ENOSPC, EACCES…
    return known.get(errno.errorcode.get(exc.errno or 0, ""), exc.strerror or type(exc).__name__)


def remove_stale_temp(folder: Path) -> list[Path]:
    """Remove the tool's temporary files (``.~cchc-<pid>-….tmp``) left in ``folder`` by a write
    that was killed: its process is gone, or it is older than ``STALE_TEMP_SECONDS``."""
    import time

    removed = []
    now = time.time()
    try:
        candidates = list(Path(folder).glob(".~cchc-*.tmp"))
    except OSError:
        return removed
    for tmp in candidates:
        try:
            if not tmp.is_file() or tmp.is_symlink():
                continue
            if now - tmp.stat().st_mtime > STALE_TEMP_SECONDS or not _writer_alive(tmp.name):
                tmp.unlink()
                removed.append(tmp)
        except OSError:
            continue
    return removed


def _writer_alive(name: str) -> bool:
    """Whether the process that named a temporary file ``.~cchc-<pid>-….tmp`` still runs (unknown:
    assumed alive, so only age removes it)."""
    m = re.match(r"^\.~cchc-(\d+)-", name)
    if not m:
        return True
    pid = int(m.group(1))
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, OverflowError):
        return True
    return True
