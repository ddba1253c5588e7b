"""Which files to lint: folders walked with excludes and .gitignore, as ruff does."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pathspec

from prunelint.config import Settings

PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass(frozen=True)
class Discovered:
    files: list[str]  # paths as they will be displayed, relative where possible
    missing: list[str]  # paths given on the command line that do not exist


def _spec(patterns: tuple[str, ...]) -> pathspec.PathSpec:
    return pathspec.PathSpec.from_lines("gitwildmatch", patterns)


class Excluder:
    def __init__(self, settings: Settings) -> None:
        self.root = Path(settings.root).resolve()
        self.spec = _spec(settings.exclude + settings.extend_exclude)

    def excluded(self, path: Path, is_dir: bool) -> bool:
        """A pattern matches the path relative to the config's folder, or just its name."""
        resolved = path.resolve() if not path.is_absolute() else path
        try:
            rel = resolved.relative_to(self.root).as_posix()
        except ValueError:
            rel = None
        suffix = "/" if is_dir else ""
        if rel is not None and rel != "." and self.spec.match_file(rel + suffix):
            return True
        return self.spec.match_file(path.name + suffix)


class _GitIgnores:
    """The .gitignore files seen on the way down, each applying below its own folder."""

    def __init__(self) -> None:
        self._cache: dict[Path, pathspec.PathSpec | None] = {}

    def _load(self, folder: Path) -> pathspec.PathSpec | None:
        if folder not in self._cache:
            spec = None
            ignore = folder / ".gitignore"
            try:
                if ignore.is_file():
                    spec = _spec(tuple(ignore.read_text("utf-8", errors="replace").splitlines()))
            except OSError:
                spec = None
            self._cache[folder] = spec
        return self._cache[folder]

    def ignored(self, path: Path, is_dir: bool, boundary: Path) -> bool:
        suffix = "/" if is_dir else ""
        for folder in (path.parent, *path.parent.parents):
            spec = self._load(folder)
            if spec is not None and spec.match_file(path.relative_to(folder).as_posix() + suffix):
                return True
            if folder == boundary:
                break
        return False


def _boundary(top: Path) -> Path:
    """.gitignore files apply up to the repository's root, or to the walked folder outside git."""
    for folder in (top, *top.parents):
        if (folder / ".git").exists():
            return folder
    return top


def _display(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path.as_posix()
    return Path(rel).as_posix() if not rel.startswith("..") else path.as_posix()


def discover(paths: list[str], settings: Settings) -> Discovered:
    excluder = Excluder(settings)
    gitignores = _GitIgnores()
    files: list[str] = []
    missing: list[str] = []
    seen: set[Path] = set()

    def add(path: Path) -> None:
        key = Path(os.path.realpath(path))  # never raises, even on a symlink loop
        if key not in seen:
            seen.add(key)
            files.append(_display(path))

    for given in paths:
        path = Path(given)
        if not os.path.lexists(path):
            missing.append(given)
            continue
        absolute = path.absolute()
        if settings.force_exclude and (
            excluder.excluded(absolute, path.is_dir())
            or any(excluder.excluded(parent, True) for parent in absolute.parents if _under(parent, excluder.root))
        ):
            continue
        if not path.is_dir():
            add(path)  # an explicitly named file is linted whatever its name
            continue
        boundary = _boundary(absolute)
        for folder, dirnames, filenames in os.walk(absolute, followlinks=False):
            here = Path(folder)
            kept = []
            for name in sorted(dirnames):
                child = here / name
                if excluder.excluded(child, True):
                    continue
                if settings.respect_gitignore and gitignores.ignored(child, True, boundary):
                    continue
                kept.append(name)
            dirnames[:] = kept
            for name in sorted(filenames):
                if not name.endswith(PYTHON_SUFFIXES):
                    continue
                child = here / name
                if excluder.excluded(child, False):
                    continue
                if settings.respect_gitignore and gitignores.ignored(child, False, boundary):
                    continue
                add(Path(os.path.relpath(child)) if not path.is_absolute() else child)
    return Discovered(sorted(files), missing)


def _under(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return path != root
