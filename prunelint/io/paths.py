"""How paths are shown to the user: relative to the working folder where possible, with `/`."""

from __future__ import annotations

import os
from pathlib import Path


def display_path(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return Path(path).as_posix()
    return Path(path).as_posix() if rel.startswith("..") else Path(rel).as_posix()
