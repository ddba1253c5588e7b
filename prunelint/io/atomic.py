"""Write a file so that readers see the old bytes or the new ones, never a part: a temporary
file in the same folder, then a rename. Shared by `--fix` and the cache."""

from __future__ import annotations

import os
import tempfile


def write_atomic(path: str, data: bytes, *, mode: int | None = None, durable: bool = False, suffix: str = "") -> None:
    """`mode` None: the umask's default (mkstemp's 0600 would hide the file from the group).
    `durable`: fsync before the rename, for the user's own files."""
    folder, name = os.path.split(os.fspath(path))
    fd, temporary = tempfile.mkstemp(dir=folder or ".", prefix=f".{name}.", suffix=suffix)
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
