"""Which files to lint: folders walked with excludes and .gitignore, as ruff does."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, NamedTuple
from pathlib import Path

from prunelint.settings.config import Settings
from prunelint.settings.patterns import match_plain_names, plain_names
from prunelint.io.paths import display_path

if TYPE_CHECKING:
    import pathspec

# Notebooks are linted too: their code cells, as one virtual source (see notebook.py).
PYTHON_SUFFIXES = (".py", ".pyi", ".ipynb")


class Discovered(NamedTuple):
    files: list[str]  # paths as they will be displayed, relative where possible
    missing: list[str]  # paths given on the command line that do not exist
    # (path as displayed, why): folders that could not be listed and paths that could not be
    # looked at, in the tree or on the command line.
    unreadable: list[tuple[str, str]]


def _spec(patterns: tuple[str, ...]) -> "pathspec.PathSpec":
    # Imported here: a run whose excludes are all plain names (the defaults) and whose tree has
    # no .gitignore (a named file, a source distribution) never needs it, and its import is
    # about 16 ms of a run.
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(patterns)


class _Excludes:
    """A GitIgnoreSpec's `match_file`: a test of each part's name when every pattern is a
    plain name, else one regex search when no pattern negates (`!`).

    Then a path matches iff some pattern does, and one alternation of all the patterns is
    several times faster than pathspec's loop over them (most of the time spent walking a
    large tree). With a negation, order matters and pathspec decides. Building the spec and
    the alternation of the defaults costs about 5 ms; a plain name needs neither.
    """

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.plain = plain_names(patterns)
        if self.plain is not None:
            return
        self.spec = _spec(patterns)
        self.regex: re.Pattern[str] | None = None
        active = [p for p in self.spec.patterns if p.include is not None]
        regexes = [getattr(p, "regex", None) for p in active]
        if all(p.include for p in active) and all(isinstance(r, re.Pattern) and r.flags == re.UNICODE for r in regexes):
            # Every pattern names its directory-suffix group the same; groups are not read here.
            alternatives = [r.pattern.replace("(?P<ps_d>", "(?:") for r in regexes]  # type: ignore[union-attr]
            try:
                self.regex = re.compile("|".join(f"(?:{a})" for a in alternatives) or r"(?!)")
            except re.error:
                self.regex = None

    def match_file(self, path: str) -> bool:
        if self.plain is not None:
            return match_plain_names(path, *self.plain)
        if self.regex is not None:
            return self.regex.match(path) is not None
        return self.spec.match_file(path)


class Excluder:
    def __init__(self, settings: Settings) -> None:
        self.root = Path(settings.root).resolve()
        patterns = settings.exclude + settings.extend_exclude
        self.spec = _Excludes(patterns)
        # Patterns with no `/` but a trailing one match a name at any depth, wherever it is;
        # `/gen` or `pkg/gen` only match relative to the config's folder.
        self.name_spec = _Excludes(tuple(p for p in patterns if "/" not in p.rstrip("/")))

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

    def file_excluded(self, folder_rel: str | None, name: str, names_only: bool) -> bool:
        """`excluded(folder / name, ...)` for an entry of a walked folder (a folder's name ends
        with `/`), given the folder's path relative to the config's folder (None outside it):
        no Path per entry."""
        if names_only or folder_rel is None:
            return self.name_spec.match_file(name)
        return self.spec.match_file(name if folder_rel == "." else f"{folder_rel}/{name}")

    def relative(self, folder: Path) -> str | None:
        try:
            return folder.relative_to(self.root).as_posix()
        except ValueError:
            return None

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
        self._cache: dict[Path, "pathspec.PathSpec | None"] = {}
        self._chains: dict[tuple[str, str], list[tuple[Path, "pathspec.PathSpec"]]] = {}

    def _load(self, folder: Path) -> "pathspec.PathSpec | None":
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
        for folder, spec in self._chain(path.parent, boundary):
            result = spec.check_file(path.relative_to(folder).as_posix() + suffix)
            if result.include is not None:
                return bool(result.include)
        return False

    def _chain(self, start: Path, boundary: Path) -> list[tuple[Path, "pathspec.PathSpec"]]:
        """The .gitignore files that apply in `start`, nearest first; once per folder, since
        a folder's files all share it (most trees have none below the root)."""
        key = (str(start), str(boundary))
        if key not in self._chains:
            spec = self._load(start)
            own = [(start, spec)] if spec is not None else []
            parent = start.parent
            above = [] if start == boundary or parent == start else self._chain(parent, boundary)
            self._chains[key] = own + above
        return self._chains[key]


def _boundary(top: Path) -> Path:
    """.gitignore files apply up to the repository's root, or to the walked folder outside git."""
    for folder in (top, *top.parents):
        if os.path.exists(folder / ".git"):  # False, not an error, where it may not be looked at
            return folder
    return top


def discover(paths: list[str], settings: Settings) -> Discovered:
    excluder = Excluder(settings)
    gitignores = _GitIgnores()
    files: list[str] = []
    missing: list[str] = []
    seen: set[str] = set()
    unreadable: list[tuple[str, str]] = []

    def add(path: Path) -> None:
        key = os.path.realpath(path)  # never raises, even on a symlink loop
        if key not in seen:
            seen.add(key)
            files.append(display_path(str(path)))

    for given in paths:
        path = Path(given)
        try:
            os.lstat(path)
        except FileNotFoundError:
            missing.append(given)
            continue
        except OSError as exc:
            # A file in a folder that may not be searched: it may well exist.
            unreadable.append((display_path(given), _reason(exc)))
            continue
        absolute = path.absolute()
        is_dir = os.path.isdir(path)
        if settings.force_exclude and excluder.force_excluded(absolute, is_dir):
            continue
        if not is_dir:
            add(path)  # an explicitly named file is linted whatever its name
            continue
        boundary = _boundary(absolute)
        # A folder named on the command line is walked even if it is excluded (as in ruff, unless
        # --force-exclude). Below it, a relative pattern would match every entry through that
        # folder, so only the names of the entries themselves are checked.
        top_excluded = excluder.force_excluded(absolute, True)
        # Path arithmetic per entry was most of a no-finding run's time on a large tree, so a
        # folder's displayed and real paths are its parent's plus its name (os.walk does not
        # enter linked folders), and excludes match strings.
        shows = {str(absolute): display_path(os.path.relpath(absolute) if not path.is_absolute() else str(absolute))}
        reals = {str(absolute): os.path.realpath(absolute)}

        def cannot_list(exc: OSError, shows: dict[str, str] = shows, reals: dict[str, str] = reals) -> None:
            name = os.fspath(exc.filename) if exc.filename is not None else str(absolute)
            unreadable.append((shows.pop(name, display_path(name)), _reason(exc)))
            reals.pop(name, None)

        for folder, dirnames, filenames in os.walk(absolute, onerror=cannot_list, followlinks=False):
            here = Path(folder)
            shown, real = shows.pop(folder), reals.pop(folder)
            folder_rel = excluder.relative(here)
            ignores = settings.respect_gitignore and gitignores._chain(here, boundary)
            kept = []
            for name in sorted(dirnames):
                if excluder.file_excluded(folder_rel, name + "/", names_only=top_excluded):
                    continue
                if ignores and gitignores.ignored(here / name, True, boundary):
                    continue
                kept.append(name)
                child = os.path.join(folder, name)
                shows[child] = name if shown == "." else f"{shown}/{name}"
                reals[child] = os.path.join(real, name)
            dirnames[:] = kept
            for name in sorted(filenames):
                if not name.endswith(PYTHON_SUFFIXES):
                    continue
                if excluder.file_excluded(folder_rel, name, names_only=top_excluded):
                    continue
                child = os.path.join(folder, name)
                if ignores and gitignores.ignored(Path(child), False, boundary):
                    continue
                # The same file through two paths (a symlink, overlapping arguments) is linted once.
                key = os.path.realpath(child) if os.path.islink(child) else os.path.join(real, name)
                if key not in seen:
                    seen.add(key)
                    files.append(name if shown == "." else f"{shown}/{name}")
    return Discovered(sorted(files), missing, sorted(set(unreadable)))


def _reason(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()


def _under(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return path != root
