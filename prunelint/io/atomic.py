"""Write a file so that readers see the old bytes or the new ones, never a part: a temporary
file in the same folder, then a rename. Shared by `--fix` and the cache."""

from __future__ import annotations

import os
import re
import time

# An older release named its temporaries without the writer's pid; those are stale once no
# writer could still be at work on them.
_OLD_TEMPORARY_AGE = 3600


def write_atomic(path: str, data: bytes, *, mode: int | None = None, durable: bool = False, suffix: str = "") -> None:
    """`mode` None: the umask's default (mkstemp's 0600 would hide the file from the group).
    `durable`: fsync before the rename, for the user's own files. The temporary's name holds
    the writer's pid, so that a later run can tell one left by a killed run (see
    `remove_stale_temporaries`)."""
    import tempfile  # with shutil, bz2 and lzma: 5 ms of a start-up that writes nothing

    folder, name = os.path.split(os.fspath(path))
    fd, temporary = tempfile.mkstemp(dir=folder or ".", prefix=f".{name}.{os.getpid()}-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def remove_stale_temporaries(folder: str, suffix: str) -> list[str]:
    """Remove the temporaries that `write_atomic(..., suffix=suffix)` left in `folder` when its
    process was killed (kill -9, power loss): those whose writer is gone. Returns their paths;
    one that cannot be removed is left for the next run."""
    pattern = re.compile(r"\..+\.(?:(\d+)-)?[a-z0-9_]{8}" + re.escape(suffix) + r"\Z")
    removed = []
    try:
        names = os.listdir(folder or ".")
    except OSError:
        return removed
    for name in names:
        match = pattern.match(name)
        if match is None:
            continue
        path = os.path.join(folder, name)
        try:
            if match.group(1) is not None:
                if _running(int(match.group(1))):
                    continue
            elif time.time() - os.lstat(path).st_mtime < _OLD_TEMPORARY_AGE:
                continue
            os.unlink(path)
        except (OSError, ValueError, OverflowError):
            continue
        removed.append(path)
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process, or a pid this system cannot have: leave it
        return True
    return True
