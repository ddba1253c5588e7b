"""What the analysis of one file returns (picklable, so that jobs can send it back), and the
per-file step that returns it, as a run's loop sees it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Protocol

from prunelint.analysis.facts import ModuleFacts
from prunelint.diagnostics import Diagnostic
from prunelint.io.source import Source

if TYPE_CHECKING:
    from prunelint.io.notebook import Notebook


@dataclass
class FileResult:
    source: Source
    facts: ModuleFacts | None
    diagnostics: list[Diagnostic]
    # Read only to follow calls out of the linted files: its own findings are not reported.
    context_only: bool = False


class Step(Protocol):
    """The per-file step, as the loop of a run uses it."""

    def read(self, filename: str) -> "Source | Notebook | Diagnostic": ...

    def mentions(self, words: Iterable[str]) -> Callable[[Source], bool]: ...

    def analyse(self, sources: list[Source]) -> list[FileResult]: ...

    def finish(self) -> None: ...
