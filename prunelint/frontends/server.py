"""`prunelint server`: a Language Server over stdio, on pygls 2 (`pip install "prunelint[server]"`).

- Diagnostics on open, change and save, from the editor's unsaved text. Every open document is
  linted together with the other open documents of its configuration, as one tree: an open
  buffer stands in for the file on disk, so editing a helper module re-publishes the findings
  of the open files that call it. Modules that are not open are read from disk for context, as
  for files named on the command line.
- Code actions: apply a finding's fix (an unsafe one says so in its title), add
  `# noqa: CODE` to the line, open the rule's documentation.
- Settings: `[tool.prunelint]` of the nearest pyproject.toml above each file's folder, read again
  on every run, as the CLI finds them. A bad configuration is shown with `window/showMessage` and
  as a diagnostic on the documents it governs; the server lives on. Files the configuration
  excludes get no diagnostics (as in `ruff server`).
- Ordering: changes only mark the open documents dirty; one worker lints a snapshot (after a
  short pause that gathers a burst of edits) in a thread, and publishes its results only if no
  document opened, changed or closed meanwhile. Otherwise it lints again, so the last results
  published are always those of the documents' last versions, each carrying its version.

The lint itself (`lint_buffers`) is a plain function of the buffers: no LSP in it.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import re
import sys
import tokenize
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from prunelint import __version__, api
from prunelint.diagnostics import Diagnostic, Position
from prunelint.io.discovery import Excluder
from prunelint.io.source import FILE_ERROR_CODE, Source
from prunelint.plugins.registry import PluginError, RuleSet, load_rules
from prunelint.settings.config import ConfigError, Settings, find_settings
from prunelint.settings.selection import SelectionError

logger = logging.getLogger("prunelint.server")

SOURCE = "prunelint"
OPEN_DOCS_COMMAND = "prunelint.openRuleDocs"
# Seconds a burst of edits is given to settle before a run starts. Not a verdict on anything:
# results are only ever published for the latest versions, whatever the timing.
DEBOUNCE_S = 0.05
LINTED_SUFFIXES = (".py", ".pyi")
DEPRECATED_CODES = ("PRL901", "PRL902")
WATCHED_GLOBS = ("**/pyproject.toml", "**/.gitignore", "**/*.py", "**/*.pyi")
BAD_CONFIG = (ConfigError, SelectionError, PluginError)


# -- the lint, without LSP ------------------------------------------------------------------------


@dataclass(frozen=True)
class Buffer:
    """An open document, as the editor holds it."""

    uri: str
    path: str  # absolute
    version: int | None
    text: str


@dataclass
class Outcome:
    findings: dict[str, list[Diagnostic]] = field(default_factory=dict)  # uri -> findings
    config_errors: dict[str, str] = field(default_factory=dict)  # uri -> why it was not linted


def lint_buffers(buffers: Sequence[Buffer], folders: Sequence[str], rules: RuleSet) -> Outcome:
    """Lint the buffers: grouped by their configuration (and workspace folder), each group as
    one tree whose roots are that folder."""
    outcome = Outcome()
    groups: dict[tuple[str, str], tuple[Settings, list[Buffer]]] = {}
    for buffer in buffers:
        folder = os.path.dirname(buffer.path)
        try:
            settings = find_settings(folder)
        except ConfigError as exc:
            outcome.config_errors[buffer.uri] = str(exc)
            continue
        if Excluder(settings).force_excluded(Path(buffer.path), False):
            outcome.findings[buffer.uri] = []
            continue
        root = _workspace_root(buffer.path, folders) or (settings.root if settings.config_file else folder)
        key = (settings.config_file or settings.root, root)
        groups.setdefault(key, (settings, []))[1].append(buffer)
    for (_, root), (settings, members) in groups.items():
        try:
            options = api.configure(
                settings, rules=rules, roots=(root,), named_files=[b.path for b in members]
            )
        except BAD_CONFIG as exc:
            for buffer in members:
                outcome.config_errors[buffer.uri] = str(exc)
            continue
        report = api.check_sources([Source(b.path, b.path, b.text) for b in members], options)
        by_name = {b.path: b.uri for b in members}
        for buffer in members:
            outcome.findings[buffer.uri] = []
        for diagnostic in report.diagnostics:
            uri = by_name.get(diagnostic.filename)
            if uri is not None:
                outcome.findings[uri].append(diagnostic)
    return outcome


def _workspace_root(path: str, folders: Sequence[str]) -> str | None:
    best = None
    for folder in folders:
        if path == folder or path.startswith(folder.rstrip(os.sep) + os.sep):
            if best is None or len(folder) > len(best):
                best = folder
    return best


# -- positions ------------------------------------------------------------------------------------


class Rows:
    """A text's rows as Python (and LSP) count them, and column conversions to the client's
    position encoding. prunelint's columns are 1-based code points."""

    def __init__(self, text: str, encoding: str) -> None:
        self.rows = api.split_rows(text) or [""]
        self.encoding = encoding

    def _units(self, chars: str) -> int:
        if self.encoding == lsp.PositionEncodingKind.Utf8:
            return len(chars.encode("utf-8", errors="surrogatepass"))
        if self.encoding == lsp.PositionEncodingKind.Utf32:
            return len(chars)
        return len(chars.encode("utf-16-le", errors="surrogatepass")) // 2

    def position(self, position: Position) -> lsp.Position:
        row = position.row - 1
        if row >= len(self.rows):
            return lsp.Position(line=len(self.rows), character=0)
        line = self.rows[max(row, 0)]
        return lsp.Position(line=max(row, 0), character=self._units(line[: max(position.column - 1, 0)]))

    def range(self, start: Position, end: Position) -> lsp.Range:
        first, last = self.position(start), self.position(end)
        if (first.line, first.character) == (last.line, last.character) and first.line < len(self.rows):
            # A point (a syntax error): one character wide, so that every editor shows it.
            line = self.rows[first.line]
            column = start.column - 1
            if column < len(line):
                last = lsp.Position(line=first.line, character=self._units(line[: column + 1]))
        return lsp.Range(start=first, end=last)


def to_lsp(diagnostic: Diagnostic, rows: Rows, url: str | None) -> lsp.Diagnostic:
    error = diagnostic.code == FILE_ERROR_CODE
    return lsp.Diagnostic(
        range=rows.range(diagnostic.location, diagnostic.end_location),
        message=diagnostic.message,
        severity=lsp.DiagnosticSeverity.Error if error else lsp.DiagnosticSeverity.Warning,
        code=diagnostic.code,
        code_description=lsp.CodeDescription(href=url) if url else None,
        source=SOURCE,
        tags=[lsp.DiagnosticTag.Deprecated] if diagnostic.code in DEPRECATED_CODES else None,
    )


def config_diagnostic(message: str) -> lsp.Diagnostic:
    return lsp.Diagnostic(
        range=lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=0)),
        message=f"prunelint is not linting this file: bad configuration: {message}",
        severity=lsp.DiagnosticSeverity.Error,
        source=SOURCE,
    )


# -- `# noqa` -------------------------------------------------------------------------------------

_NOQA_CODES = re.compile(r"#\s*noqa:\s*[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*", re.IGNORECASE)
_BARE_NOQA = re.compile(r"#\s*noqa(?!:)", re.IGNORECASE)


def noqa_edit(text: str, row: int, code: str) -> tuple[Position, Position, str] | None:
    """The edit that silences `code` on `row` (1-based): the code added to the row's
    `# noqa: ...` comment, or a new comment at the end of the row. None where a comment cannot
    go (the row ends inside a string or with a backslash, or the text does not tokenize)."""
    rows = api.split_rows(text)
    if not 1 <= row <= len(rows):
        return None
    line = rows[row - 1]
    comment = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.start[0] <= row < token.end[0]:
                return None  # a string or an f-string goes on past this row
            if token.type == tokenize.COMMENT and token.start[0] == row:
                comment = token
            if token.start[0] > row:
                break
    except (tokenize.TokenError, SyntaxError):
        return None
    if comment is not None:
        if _BARE_NOQA.search(comment.string):
            return None  # silenced already
        match = _NOQA_CODES.search(comment.string)
        if match is not None:
            end = comment.start[1] + match.end()
            at = Position(row, end + 1)
            return at, at, f", {code}"
    stripped = line.rstrip()
    if comment is None and stripped.endswith("\\"):
        return None
    return Position(row, len(stripped) + 1), Position(row, len(line) + 1), f"  # noqa: {code}"


# -- the server -----------------------------------------------------------------------------------


@dataclass
class Published:
    version: int | None
    text: str
    encoding: str
    # (the finding, its range in the client's units)
    findings: list[tuple[Diagnostic, lsp.Range]]


class PrunelintServer(LanguageServer):
    def __init__(self) -> None:
        # Full sync: pygls splits lines for incremental changes as str.splitlines does (at \f,
        # \x1c, \u2028...), where LSP and Python split only at \r\n, \r and \n.
        super().__init__("prunelint", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Full)
        self.generation = 0
        self.published: dict[str, Published] = {}
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prunelint-lint")
        self.rules: RuleSet | None = None
        self.shown_errors: set[str] = set()
        self._wake: asyncio.Event | None = None
        self._worker: asyncio.Task | None = None
        self.shut_down = False  # `shutdown` came before `exit`: the exit code is 0

    # -- scheduling -------------------------------------------------------------------------------

    def changed(self) -> None:
        """Something the findings depend on changed: lint again (on the event loop's thread)."""
        self.generation += 1
        if self._wake is None:
            self._wake = asyncio.Event()
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._work())
        self._wake.set()

    async def _work(self) -> None:
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            await asyncio.sleep(DEBOUNCE_S)
            self._wake.clear()
            generation = self.generation
            buffers = self.snapshot()
            folders = self.folders()
            try:
                outcome = await loop.run_in_executor(self.executor, self._lint, buffers, folders)
            except Exception as exc:  # never let one bad run end the server
                logger.exception("lint failed")
                self.show_once(f"prunelint: internal error: {type(exc).__name__}: {exc}", lsp.MessageType.Error)
                continue
            if generation != self.generation:
                continue  # a newer state is waiting: its run publishes
            self.publish(buffers, outcome)

    def _lint(self, buffers: Sequence[Buffer], folders: Sequence[str]) -> Outcome:
        if self.rules is None:
            try:
                self.rules = load_rules()
            except PluginError as exc:
                return Outcome(config_errors={b.uri: str(exc) for b in buffers})
        return lint_buffers(buffers, folders, self.rules)

    def snapshot(self) -> list[Buffer]:
        buffers = []
        for uri, document in self.workspace.text_documents.items():
            path = to_fs_path(uri) if uri.startswith("file:") else None
            if path is None or not path.endswith(LINTED_SUFFIXES):
                continue
            buffers.append(Buffer(uri, os.path.abspath(path), document.version, document.source))
        return buffers

    def folders(self) -> list[str]:
        found = []
        for folder in self.workspace.folders.values():
            path = to_fs_path(folder.uri)
            if path:
                found.append(os.path.abspath(path))
        if not found and self.workspace.root_path:
            found.append(os.path.abspath(self.workspace.root_path))
        return found

    # -- publishing -------------------------------------------------------------------------------

    def publish(self, buffers: Iterable[Buffer], outcome: Outcome) -> None:
        encoding = self.workspace.position_encoding or lsp.PositionEncodingKind.Utf16
        infos = self.rules.infos() if self.rules is not None else {}
        errors = sorted(set(outcome.config_errors.values()))
        for message in errors:
            self.show_once(f"prunelint: {message}", lsp.MessageType.Error)
        self.shown_errors &= {f"prunelint: {m}" for m in errors}  # a fixed config, broken again, is shown again
        for buffer in buffers:
            rows = Rows(buffer.text, encoding)
            if buffer.uri in outcome.config_errors:
                findings: list[tuple[Diagnostic, lsp.Range]] = []
                shown = [config_diagnostic(outcome.config_errors[buffer.uri])]
            else:
                shown, findings = [], []
                for diagnostic in outcome.findings.get(buffer.uri, []):
                    info = infos.get(diagnostic.code)
                    url = diagnostic.url or (info.url if info is not None else None)
                    converted = to_lsp(diagnostic, rows, url)
                    shown.append(converted)
                    findings.append((diagnostic, converted.range))
            self.published[buffer.uri] = Published(buffer.version, buffer.text, encoding, findings)
            self.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(uri=buffer.uri, diagnostics=shown, version=buffer.version)
            )

    def show_once(self, message: str, kind: lsp.MessageType) -> None:
        if message in self.shown_errors:
            return
        self.shown_errors.add(message)
        self.window_show_message(lsp.ShowMessageParams(type=kind, message=message))

    # -- code actions -----------------------------------------------------------------------------

    def code_actions(self, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        uri = params.text_document.uri
        published = self.published.get(uri)
        document = self.workspace.text_documents.get(uri)
        if published is None or document is None or document.version != published.version:
            return []  # the findings are of an older text: their positions may be wrong
        wanted = params.context.only
        quickfix = not wanted or any(lsp.CodeActionKind.QuickFix.value.startswith(k) or k == "" for k in wanted)
        if not quickfix:
            return []
        rows = Rows(published.text, published.encoding)
        identifier = lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=published.version)
        infos = self.rules.infos() if self.rules is not None else {}
        fixes: list[lsp.CodeAction] = []
        silencers: list[lsp.CodeAction] = []
        docs: dict[str, lsp.CodeAction] = {}
        for diagnostic, shown in published.findings:
            if not _overlaps(shown, params.range):
                continue
            lsp_diagnostic = to_lsp(diagnostic, rows, None)
            fix = diagnostic.fix
            if fix is not None and fix.edits:
                unsafe = fix.applicability == "unsafe"
                fixes.append(
                    lsp.CodeAction(
                        title=f"{diagnostic.code}: {fix.message}{' (unsafe fix)' if unsafe else ''}",
                        kind=lsp.CodeActionKind.QuickFix,
                        diagnostics=[lsp_diagnostic],
                        is_preferred=not unsafe,
                        edit=_workspace_edit(
                            identifier,
                            [(rows.position(e.location), rows.position(e.end_location), e.content) for e in fix.edits],
                        ),
                    )
                )
            if diagnostic.code != FILE_ERROR_CODE:  # PRL000 cannot be silenced with noqa
                edit = noqa_edit(published.text, diagnostic.location.row, diagnostic.code)
                if edit is not None:
                    start, end, content = edit
                    silencers.append(
                        lsp.CodeAction(
                            title=f"{diagnostic.code}: add `# noqa: {diagnostic.code}` to this line",
                            kind=lsp.CodeActionKind.QuickFix,
                            diagnostics=[lsp_diagnostic],
                            edit=_workspace_edit(identifier, [(rows.position(start), rows.position(end), content)]),
                        )
                    )
            info = infos.get(diagnostic.code)
            url = diagnostic.url or (info.url if info is not None else "")
            if url and diagnostic.code not in docs:
                docs[diagnostic.code] = lsp.CodeAction(
                    title=f"{diagnostic.code}: open the rule's documentation",
                    kind=lsp.CodeActionKind.QuickFix,
                    diagnostics=[lsp_diagnostic],
                    command=lsp.Command(
                        title=f"Open the documentation of {diagnostic.code}",
                        command=OPEN_DOCS_COMMAND,
                        arguments=[url],
                    ),
                )
        return fixes + silencers + list(docs.values())


def _overlaps(a: lsp.Range, b: lsp.Range) -> bool:
    def key(p: lsp.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def _workspace_edit(
    document: lsp.OptionalVersionedTextDocumentIdentifier, edits: list[tuple[lsp.Position, lsp.Position, str]]
) -> lsp.WorkspaceEdit:
    """Edits of one version of the document: the editor refuses them once the text moved on."""
    return lsp.WorkspaceEdit(
        document_changes=[
            lsp.TextDocumentEdit(
                text_document=document,
                edits=[lsp.TextEdit(range=lsp.Range(start=s, end=e), new_text=t) for s, e, t in edits],
            )
        ]
    )


def build_server() -> PrunelintServer:
    server = PrunelintServer()

    @server.feature(lsp.SHUTDOWN)
    def shutdown(ls: PrunelintServer, params: None) -> None:
        ls.shut_down = True

    @server.feature(lsp.INITIALIZED)
    def initialized(ls: PrunelintServer, params: lsp.InitializedParams) -> None:
        # Ask the editor to report changes on disk that matter: configuration files, and the
        # modules that are not open (the open ones' findings may depend on them).
        watched = getattr(getattr(ls.client_capabilities.workspace, "did_change_watched_files", None), "dynamic_registration", None)
        if not watched:
            return
        watchers = [lsp.FileSystemWatcher(glob_pattern=g) for g in WATCHED_GLOBS]
        registration = lsp.Registration(
            id="prunelint-watched-files",
            method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=lsp.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
        )
        ls.client_register_capability(lsp.RegistrationParams(registrations=[registration]))

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_workspace_folders(ls: PrunelintServer, params: lsp.DidChangeWorkspaceFoldersParams) -> None:
        ls.changed()  # the roots of the trees changed

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: PrunelintServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.changed()

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: PrunelintServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.changed()

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: PrunelintServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.changed()  # the saved file is now also what closed files see on disk

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: PrunelintServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.published.pop(uri, None)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        ls.changed()  # the others now see the file on disk

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: PrunelintServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        ls.changed()  # a pyproject.toml or a module that is not open changed on disk

    @server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(ls: PrunelintServer, params: lsp.DidChangeConfigurationParams) -> None:
        ls.changed()

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix], resolve_provider=False),
    )
    def code_action(ls: PrunelintServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        try:
            return ls.code_actions(params)
        except Exception:  # a request that fails must not take the server with it
            logger.exception("code actions failed")
            return []

    @server.command(OPEN_DOCS_COMMAND)
    async def open_docs(ls: PrunelintServer, *args) -> None:
        url = args[0] if args and isinstance(args[0], str) else None
        if not url:
            return
        try:
            await ls.window_show_document_async(lsp.ShowDocumentParams(uri=url, external=True))
        except Exception:  # an editor without window/showDocument: say where the docs are
            ls.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Info, message=url))

    return server


def serve(argv: Sequence[str]) -> int:
    """Run the server on stdin and stdout until the client says `exit`."""
    # stdout carries the protocol: anything printed by accident goes to stderr instead.
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    if not logging.getLogger().handlers:
        logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="prunelint server: %(levelname)s: %(message)s")
    server = build_server()
    server.start_io(stdin, stdout)
    return 0 if server.shut_down else 1
