"""The `.prunelint_cache`: what a run learnt of each file, so that an unchanged file is neither
parsed nor (usually) even read again.

Like ruff's cache, it lives in the project's folder, is keyed by prunelint's version, the
configuration and the selected rules, and holds one entry per file, valid for that file's
content. An entry keeps the file's per-file result (facts and findings) and which prefilter
words it mentions. A file whose size and modification time are those recorded is trusted
without being read, except when its modification time is too close to the moment the entry
was written to tell two writes apart (git's "racy" files); then its content is compared.

The cache is an optimisation only: a missing, stale, corrupt or unwritable cache gives the same
findings as no cache, and never an error.

It holds data only (docs/reliability.md): one JSON file of plain values, read only up to
MAX_CACHE_BYTES, each value checked against what it must be, and the per-file results rebuilt
through `prunelint.engine.records` from the annotations of the fact and finding records. The
cache lives in the linted tree, where anyone may commit a file: a planted, truncated, foreign or
corrupt file is ignored (and replaced at the end of the run), and nothing in it can name a
class or a function to call.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional, Sequence

import prunelint
from prunelint.io.atomic import write_atomic
from prunelint.engine.prefilter import mentioned_among
from prunelint.io.source import Source

if TYPE_CHECKING:
    from prunelint.analysis.facts import ModuleFacts
    from prunelint.diagnostics import Diagnostic
    from prunelint.engine.options import LintOptions
    from prunelint.engine.results import FileResult, Step

FORMAT = 2  # bump when the layout of the file changes (2: JSON; 1 was a pickle)
SUFFIX = ".json"
# A cache file larger than this is not read (not ours, or a tree far beyond any real one).
MAX_CACHE_BYTES = 512 * 1024 * 1024
# A file modified this close to the moment its entry was made may have changed again within
# the same timestamp tick; its content is compared instead of trusting its size and time.
RACY_SECONDS = 2.0


@dataclass
class _Entry:
    filename: str  # as displayed: findings carry it
    stat: tuple[int, int]  # (mtime_ns, size)
    written: float  # time.time() when the entry was made
    digest: bytes  # of the decoded text
    tested: frozenset[str]  # prefilter words looked for in this content...
    mentioned: frozenset[str]  # ...and those found
    # Once parsed: the facts and findings as stored (JSON values), rebuilt when asked for.
    stored: Any = None
    result: tuple["ModuleFacts | None", list["Diagnostic"]] | None = None


class StoredSource(Source):
    """A file that the cache vouches for: its text is read only if something asks for it."""

    def __init__(self, filename: str, path: str) -> None:  # noqa: D107 - frozen: set directly
        object.__setattr__(self, "filename", filename)
        object.__setattr__(self, "path", path)

    @property
    def text(self) -> str:  # type: ignore[override]
        loaded = self.__dict__.get("_text")
        if loaded is None:
            source = _read(self.path, self.filename)
            # The file was vouched for a moment ago; if it has become unreadable, lint it as empty
            # rather than fail: the next run reports it.
            loaded = source.text if isinstance(source, Source) else ""
            object.__setattr__(self, "_text", loaded)
        return loaded

    def __reduce__(self):  # worker processes get a plain Source
        return (Source, (self.filename, self.path, self.text))


def _read(path: str, filename: str) -> "Source | Diagnostic":
    from prunelint.io.source import read_source

    return read_source(path, filename)


def _digest(text: str) -> bytes:
    # Not for security: the fastest stable hash in hashlib (sha1 is about twice blake2b's speed).
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest()


def _stat(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def run_key(options: "LintOptions") -> str:
    """Everything besides a file's own content that its per-file result depends on."""
    settings = options.settings
    parts: list[object] = [
        FORMAT,
        prunelint.__version__,
        sys.version,
        os.getcwd(),  # displayed names and relative paths in facts
        options.roots,
        sorted(options.codes),
        # The API data is the data file (stamped below) extended by the settings; the settings
        # are tuples and strings, whose repr is stable from run to run (a frozenset's is not).
        repr(replace(settings, output_format="concise")),
    ]
    # The code of the rules and of the analysis: a rule edited in a development install, or a
    # third-party rule upgraded, must not be answered from the old results.
    modules = {Path(prunelint.__file__).parent}
    for code in sorted(options.codes):
        rule = options.rules.rules.get(code)
        module = sys.modules.get(rule.__module__) if rule is not None else None
        if module is not None and getattr(module, "__file__", None):
            parts.append(_stamp(module.__file__))
    for folder in modules:
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            parts.extend(_stamp(os.path.join(root, f)) for f in sorted(files) if f.endswith((".py", ".toml")))
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def _stamp(path: str) -> tuple[str, int, int]:
    stat = _stat(path) or (0, 0)
    return (path, *stat)


def cache_folder(options: "LintOptions") -> Path:
    folder = Path(options.settings.cache_dir)
    return folder if folder.is_absolute() else Path(options.settings.root) / folder


class FileCache:
    """One run's view of the cache: look up, record, and write back once at the end."""

    def __init__(self, folder: Path, key: str) -> None:
        self.folder = folder
        self.file = folder / f"{key}{SUFFIX}"
        self.entries: dict[str, _Entry] = _load(self.file, key)
        self.key = key
        self.dirty = False
        self._interned: dict[frozenset[str], frozenset[str]] = {}
        self._current: dict[str, _Entry] = {}  # entries checked against their file in this run
        self._now = time.time()

    @classmethod
    def open(cls, options: "LintOptions") -> "FileCache":
        return cls(cache_folder(options), run_key(options))

    # Reading files --------------------------------------------------------------------------

    def source(self, filename: str, load: Callable[[str, str], object]) -> object:
        """The file as a Source, not read from disk when its entry is surely current; else
        what `load(path, filename)` gives (a Source, a notebook, a PRL000 finding)."""
        path = os.path.abspath(filename)
        entry = self.entries.get(path)
        if entry is not None and entry.filename == filename:
            stat = _stat(filename)
            if stat == entry.stat and stat[0] / 1e9 < entry.written - RACY_SECONDS:
                return StoredSource(filename, filename)
        loaded = load(filename, filename)
        if isinstance(loaded, Source):
            self._refresh(path, loaded)
        return loaded

    def _refresh(self, path: str, source: Source) -> _Entry:
        """The entry for this content: kept if the content is the same, else a fresh one."""
        current = self._current.get(path)
        if current is not None:
            return current
        if getattr(source, "cells", None) is not None:
            # A notebook: its text is made from JSON, not read as is; never vouched for by
            # its size and time. Its entry lives for this run only.
            empty = self._intern(frozenset())
            entry = _Entry(source.filename, (0, 0), self._now, _digest(source.text), empty, empty)
            self._current[path] = entry
            return entry
        entry = self.entries.get(path)
        if not (isinstance(source, StoredSource) and entry is not None):
            digest = _digest(source.text)
            stat = _stat(source.path) or (0, 0)
            if entry is not None and entry.digest == digest and entry.filename == source.filename:
                # Same content: from now on its size and time vouch for it (once not racy).
                if entry.stat != stat or stat[0] / 1e9 >= entry.written - RACY_SECONDS:
                    entry.stat, entry.written = stat, self._now
                    self.dirty = True
            else:
                empty = self._intern(frozenset())
                entry = _Entry(source.filename, stat, self._now, digest, empty, empty)
                self.entries[path] = entry
                self.dirty = True
        self._current[path] = entry
        return entry

    def _intern(self, words: frozenset[str]) -> frozenset[str]:
        # Thousands of files share a few word sets; one object each, stored once in the file.
        return self._interned.setdefault(words, words)

    # The prefilter --------------------------------------------------------------------------

    def mention_test(self, words: Iterable[str]) -> Callable[[Source], bool]:
        """Whether a file mentions one of `words` as a whole word, answered from the cache
        when the file's entry has already looked for all of them."""
        wanted = frozenset(words)

        def test(source: Source) -> bool:
            path = os.path.abspath(source.path)
            entry = self._refresh(path, source)
            if not wanted <= entry.tested:
                missing = wanted - entry.tested
                entry.mentioned = self._intern(entry.mentioned | mentioned_among(source.text, missing))
                entry.tested = self._intern(entry.tested | missing)
                self.dirty = True
            return not wanted.isdisjoint(entry.mentioned)

        return test

    # Per-file results -----------------------------------------------------------------------

    def split(self, sources: Sequence[Source]) -> tuple[dict[int, "FileResult"], list[int]]:
        """Results found in the cache by position, and the positions still to analyse."""
        from prunelint.engine.results import FileResult

        hits: dict[int, FileResult] = {}
        misses: list[int] = []
        for index, source in enumerate(sources):
            entry = self._refresh(os.path.abspath(source.path), source)
            result = _rebuilt(entry)
            if result is None:
                misses.append(index)
            else:
                facts, diagnostics = result
                hits[index] = FileResult(source, facts, list(diagnostics))
        return hits, misses

    def remember(self, result: "FileResult") -> None:
        entry = self._refresh(os.path.abspath(result.source.path), result.source)
        entry.result = (result.facts, list(result.diagnostics))
        entry.stored = None  # encoded when written
        self.dirty = True

    # Writing --------------------------------------------------------------------------------

    def save(self) -> None:
        """Write atomically (a temporary file, then a rename); failures are silent."""
        if not self.dirty:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                write_atomic(ignore, b"# Automatically created by prunelint.\n*\n")
            tag = self.folder / "CACHEDIR.TAG"
            if not tag.exists():
                write_atomic(tag, b"Signature: 8a477f597d28d172789f06886806bc55\n# prunelint cache\n")
            write_atomic(self.file, _dump(self.entries, self.key))
            self.dirty = False
            _forget_old(self.folder, keep=self.file)
        except Exception:  # a read-only tree, a full disk
            pass


class CachedStep:
    """The per-file step behind the cache: each file is looked up, analysed only when its entry
    has no result, and the result recorded; the entries are written back when the run ends."""

    def __init__(self, step: "Step", cache: FileCache) -> None:
        self.step = step
        self.cache = cache

    @classmethod
    def open(cls, step: "Step", options: "LintOptions") -> "CachedStep":
        return cls(step, FileCache.open(options))

    def read(self, filename: str):
        return self.cache.source(filename, lambda path, name: self.step.read(name))

    def mentions(self, words: Iterable[str]) -> Callable[[Source], bool]:
        return self.cache.mention_test(words)

    def analyse(self, sources: list[Source]) -> list["FileResult"]:
        hits, misses = self.cache.split(sources)
        fresh = self.step.analyse([sources[i] for i in misses])
        for index, result in zip(misses, fresh):
            self.cache.remember(result)
            hits[index] = result
        return [hits[i] for i in range(len(sources))]

    def finish(self) -> None:
        self.cache.save()


KEEP_FILES = 8


def _forget_old(folder: Path, keep: Path) -> None:
    """Another version, configuration or rule selection writes another file: keep the newest.
    Pickles of the first format are removed: they are never read again."""
    for old in folder.glob("*.pickle"):
        old.unlink()
    stored = sorted(folder.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in stored[KEEP_FILES:]:
        if old != keep:
            old.unlink()


# -- the file's format ----------------------------------------------------------------------------
#
# {"format": 2, "key": run key, "words": [[word, ...], ...],
#  "entries": {absolute path: [filename, mtime_ns, size, written, sha1 hex, tested, mentioned, result]}}
#
# `tested` and `mentioned` index "words"; `result` is null (not parsed) or the facts and findings
# as `records.encode` writes them for `_RESULT`.


def _result_hint() -> object:
    from prunelint.analysis.facts import ModuleFacts
    from prunelint.diagnostics import Diagnostic

    return tuple[Optional[ModuleFacts], list[Diagnostic]]


def _rebuilt(entry: _Entry) -> "tuple[ModuleFacts | None, list[Diagnostic]] | None":
    """The entry's result, rebuilt from what was stored (checked field by field) when needed;
    None when it has none or what was stored does not fit (then the file is analysed again)."""
    if entry.result is None and entry.stored is not None:
        from prunelint.engine.records import RecordError, decode

        try:
            entry.result = decode(entry.stored, _result_hint())
        except RecordError:
            entry.stored = None
    return entry.result


def _dump(entries: dict[str, _Entry], key: str) -> bytes:
    words: dict[frozenset[str], int] = {}

    def index(found: frozenset[str]) -> int:
        if found not in words:
            words[found] = len(words)
        return words[found]

    rows = {}
    for path, entry in entries.items():
        stored = entry.stored
        if stored is None and entry.result is not None:
            from prunelint.engine.records import RecordError, encode

            try:
                stored = entry.stored = encode(entry.result, _result_hint())
            except RecordError:  # a fact with no plain form (a plugin's): analysed again next time
                stored = None
        mtime, size = entry.stat
        rows[path] = [
            entry.filename, mtime, size, entry.written, entry.digest.hex(),
            index(entry.tested), index(entry.mentioned), stored,
        ]
    table = [sorted(found) for found, _ in sorted(words.items(), key=lambda item: item[1])]
    data = {"format": FORMAT, "key": key, "words": table, "entries": rows}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8", "surrogatepass")


class _Invalid(Exception):
    pass


def _load(file: Path, key: str) -> dict[str, _Entry]:
    """The stored entries, or none when the file is missing, too large, unreadable, not JSON,
    of another format or run, or when any value is not what it must be."""
    try:
        with open(file, "rb") as handle:
            raw = handle.read(MAX_CACHE_BYTES + 1)
        if len(raw) > MAX_CACHE_BYTES:
            return {}
        stored = json.loads(raw.decode("utf-8", "surrogatepass"))
        return _entries(stored, key)
    except (OSError, ValueError, RecursionError, MemoryError, _Invalid):
        return {}


def _entries(stored: object, key: str) -> dict[str, _Entry]:
    if not (
        type(stored) is dict
        and stored.get("format") == FORMAT
        and stored.get("key") == key
        and type(stored.get("words")) is list
        and type(stored.get("entries")) is dict
    ):
        raise _Invalid
    words: list[frozenset[str]] = []
    for group in stored["words"]:
        if type(group) is not list or not all(type(w) is str for w in group):
            raise _Invalid
        words.append(frozenset(group))
    entries = {}
    for path, row in stored["entries"].items():
        if not (type(row) is list and len(row) == 8):
            raise _Invalid
        filename, mtime, size, written, digest, tested, mentioned, result = row
        if not (
            type(filename) is str
            and type(mtime) is int and -2**63 <= mtime < 2**63 and _count(size)
            and type(written) is float
            and type(digest) is str and len(digest) == 40
            and type(tested) is int and 0 <= tested < len(words)
            and type(mentioned) is int and 0 <= mentioned < len(words)
            and (result is None or type(result) is list)
        ):
            raise _Invalid
        try:
            digest_bytes = bytes.fromhex(digest)
        except ValueError:
            raise _Invalid from None
        entries[path] = _Entry(filename, (mtime, size), written, digest_bytes, words[tested], words[mentioned], result)
    return entries


def _count(value: object) -> bool:
    return type(value) is int and 0 <= value < 2**63


__all__ = ["CachedStep", "FileCache", "StoredSource", "cache_folder", "run_key"]
