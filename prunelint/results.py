"""What the analysis of one file returns, picklable so that jobs can send it back."""

from __future__ import annotations

from dataclasses import dataclass

from prunelint.analysis.facts import ModuleFacts
from prunelint.diagnostics import Diagnostic
from prunelint.source import Source


@dataclass
class FileResult:
    source: Source
    facts: ModuleFacts | None
    diagnostics: list[Diagnostic]
    # Read only to follow calls out of the linted files: its own findings are not reported.
    context_only: bool = False
