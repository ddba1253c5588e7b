"""Which files to lint: folders walked with excludes and .gitignore, as ruff does."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pathspec

from prunelint.config import Settings
from prunelint.paths import display_path

# Notebooks are linted too: their code cells, as one virtual source (see notebook.py).
PYTHON_SUFFIXES = (".py", ".pyi", ".ipynb")


@dataclass(frozen=True)
class Discovered:
    files: list[str]  # paths as they will be displayed, relative where possible
    missing: list[str]  # paths given on the command line that do not exist


def _spec(patterns: tuple[str, ...]) -> pathspec.PathSpec:
    return pathspec.GitIgnoreSpec.from_lines(patterns)


class Excluder:
    def __init__(self, settings: Settings) -> None:
        self.root = Path(settings.root).resolve()
        patterns = settings.exclude + settings.extend_exclude
        self.spec = _spec(patterns)
        # Patterns with no `/` but a trailing one match a name at any depth, wherever it is;
        # `/gen` or `pkg/gen` only match relative to the config's folder.
        self.name_spec = _spec(tuple(p for p in patterns if "/" not in p.rstrip("/")))

    def excluded(self, path: Path, is_dir: bool) -> bool:
        """A pattern matches the path relative to the config's folder, or (outside it) the name."""
        resolved = path.resolve() if not path.is_absolute() else path
        try:
            rel = resolved.relative_to(self.root).as_posix()
        except ValueError:
            rel = None
        suffix = "/" if is_dir else ""
        if rel is not None and rel != ".":
            return self.spec.match_file(rel + suffix)
        return self.name_excluded(path, is_dir)

    def force_excluded(self, path: Path, is_dir: bool) -> bool:
        """--force-exclude: the path, or a folder it is in (below the config's folder), is excluded."""
        absolute = path.absolute()
        return self.excluded(absolute, is_dir) or any(
            self.excluded(parent, True) for parent in absolute.parents if _under(parent, self.root)
        )

    def name_excluded(self, path: Path, is_dir: bool) -> bool:
        return self.name_spec.match_file(path.name + ("/" if is_dir else ""))


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
        """As git decides: the nearest .gitignore with a matching pattern wins, and in it the
        last matching pattern, so a nested `!keep.py` re-includes what a parent ignores."""
        suffix = "/" if is_dir else ""
        for folder in (path.parent, *path.parent.parents):
            spec = self._load(folder)
            if spec is not None:
                result = spec.check_file(path.relative_to(folder).as_posix() + suffix)
                if result.include is not None:
                    return bool(result.include)
            if folder == boundary:
                break
        return False


def _boundary(top: Path) -> Path:
    """.gitignore files apply up to the repository's root, or to the walked folder outside git."""
    for folder in (top, *top.parents):
        if (folder / ".git").exists():
            return folder
    return top


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
            files.append(display_path(str(path)))

    for given in paths:
        path = Path(given)
        if not os.path.lexists(path):
            missing.append(given)
            continue
        absolute = path.absolute()
        if settings.force_exclude and excluder.force_excluded(absolute, path.is_dir()):
            continue
        if not path.is_dir():
            add(path)  # an explicitly named file is linted whatever its name
            continue
        boundary = _boundary(absolute)
        # A folder named on the command line is walked even if it is excluded (as in ruff, unless
        # --force-exclude). Below it, a relative pattern would match every entry through that
        # folder, so only the names of the entries themselves are checked.
        top_excluded = excluder.force_excluded(absolute, True)
        is_excluded = excluder.name_excluded if top_excluded else excluder.excluded
        for folder, dirnames, filenames in os.walk(absolute, followlinks=False):
            here = Path(folder)
            kept = []
            for name in sorted(dirnames):
                child = here / name
                if is_excluded(child, True):
                    continue
                if settings.respect_gitignore and gitignores.ignored(child, True, boundary):
                    continue
                kept.append(name)
            dirnames[:] = kept
            for name in sorted(filenames):
                if not name.endswith(PYTHON_SUFFIXES):
                    continue
                child = here / name
                if is_excluded(child, False):
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
