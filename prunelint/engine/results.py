"""What the analysis of one file returns (picklable, so that jobs can send it back), and the
per-file step that returns it, as a run's loop sees it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable, Protocol

from prunelint.analysis.facts import ModuleFacts
from prunelint.diagnostics import Diagnostic
from prunelint.io.source import Source

if TYPE_CHECKING:
    from prunelint.io.notebook import Notebook


class FileResult:
    """A slotted class rather than a dataclass: every run imports it, and a dataclass costs
    about a millisecond to create."""

    __slots__ = ("source", "facts", "diagnostics", "context_only")

    def __init__(
        self, source: Source, facts: ModuleFacts | None, diagnostics: list[Diagnostic], context_only: bool = False
    ) -> None:
        self.source = source
        self.facts = facts
        self.diagnostics = diagnostics
        # Read only to follow calls out of the linted files: its own findings are not reported.
        self.context_only = context_only

    def __repr__(self) -> str:
        name = None if self.source is None else self.source.filename  # None while sent back by a worker
        return f"FileResult({name!r}, {len(self.diagnostics)} findings, context_only={self.context_only})"


class Step(Protocol):
    """The per-file step, as the loop of a run uses it."""

    def read(self, filename: str) -> "Source | Notebook | Diagnostic": ...

    def mentions(self, words: Iterable[str]) -> Callable[[Source], bool]: ...

    def analyse(self, sources: list[Source]) -> list[FileResult]: ...

    def finish(self) -> None: ...
