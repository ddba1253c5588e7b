"""`prunelint server` driven by a real LSP client over stdio: pygls' own `LanguageClient`
launching `python -m prunelint server` in a temporary workspace.

Nothing here is timed: the tests wait for the messages they expect, and the one timeout
(HANG_GUARD) only stops a test that would otherwise hang; it never decides a verdict.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable, TypeVar, Union

import pytest

pytest.importorskip("pygls")

from lsprotocol import types as lsp  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402
from pygls.uris import from_fs_path  # noqa: E402

from prunelint.diagnostics import Position  # noqa: E402
from prunelint.frontends.server import Rows, noqa_edit  # noqa: E402

HANG_GUARD = 120.0  # seconds: a hang guard only, far above anything a loaded machine needs
T = TypeVar("T")

PRUNE_AFTER_EVAL = textwrap.dedent(
    """\
    import torch
    import torch_pruning as tp


    def main(model, example_inputs):
        with torch.no_grad():
            pruner = tp.pruner.BasePruner(model, example_inputs, importance=tp.importance.GroupMagnitudeImportance(p=2), pruning_ratio=0.5, ignored_layers=[model.fc])
        pruner.step()
    """
)
PRL001_ROW = 7  # 1-based

DEPRECATED = textwrap.dedent(
    """\
    import torch_pruning as tp


    def prune(model, example_inputs, imp):
        pruner = tp.pruner.BasePruner(model, example_inputs, importance=imp, ch_sparsity=0.5, ignored_layers=[model.fc])
        pruner.step()
    """
)

HELPER = textwrap.dedent(
    """\
    import torch_pruning as tp


    def build_pruner(model, example_inputs):
        imp = tp.importance.GroupMagnitudeImportance(p=2)
        return tp.pruner.BasePruner(model, example_inputs, importance=imp, pruning_ratio=0.5, ignored_layers=[model.fc])
    """
)
HELPER_WITHOUT_PRUNER = textwrap.dedent(
    """\
    def build_pruner(model, example_inputs):
        return None
    """
)
CALLER = textwrap.dedent(
    """\
    import torch

    from helper import build_pruner


    def evaluate(model, example_inputs):
        with torch.no_grad():
            pruner = build_pruner(model, example_inputs)
        return pruner
    """
)


class Editor:
    """What an editor does over LSP, and everything the server sent back."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.client = LanguageClient("prunelint-tests", "1")
        self.published: list[lsp.PublishDiagnosticsParams] = []
        self.messages: list[lsp.ShowMessageParams] = []
        self.shown_documents: list[str] = []
        self.registrations: list[lsp.Registration] = []
        self.stderr = bytearray()
        self.versions: dict[str, int] = {}
        self.texts: dict[str, str] = {}
        self._event: asyncio.Event | None = None
        self._drain: asyncio.Task | None = None
        self.capabilities: lsp.ServerCapabilities | None = None
        # lsprotocol's client side takes every item with a `command` key for a Command, also a
        # CodeAction whose `command` is a Command object (as editors do not): tell them apart.
        converter = self.client.protocol._converter

        def command_or_action(item: Any, _: type) -> lsp.Command | lsp.CodeAction:
            kind = lsp.Command if isinstance(item.get("command"), str) else lsp.CodeAction
            return converter.structure(item, kind)

        converter.register_structure_hook(Union[lsp.Command, lsp.CodeAction], command_or_action)

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
            self.published.append(params)
            self._notify()

        @self.client.feature(lsp.WINDOW_SHOW_MESSAGE)
        def on_message(params: lsp.ShowMessageParams) -> None:
            self.messages.append(params)
            self._notify()

        @self.client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
        def on_register(params: lsp.RegistrationParams) -> None:
            self.registrations.extend(params.registrations)
            self._notify()

        @self.client.feature(lsp.WINDOW_SHOW_DOCUMENT)
        def on_show_document(params: lsp.ShowDocumentParams) -> lsp.ShowDocumentResult:
            self.shown_documents.append(params.uri)
            self._notify()
            return lsp.ShowDocumentResult(success=True)

    def _notify(self) -> None:
        if self._event is not None:
            self._event.set()

    # -- the session ------------------------------------------------------------------------------

    async def start(self) -> lsp.InitializeResult:
        self._event = asyncio.Event()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        await self.client.start_io(sys.executable, "-m", "prunelint", "server", cwd=str(self.root), env=env)
        process = self.client._server
        assert process is not None and process.stderr is not None
        self._drain = asyncio.create_task(self._read_stderr(process.stderr))
        result = await asyncio.wait_for(
            self.client.initialize_async(
                lsp.InitializeParams(
                    process_id=os.getpid(),
                    root_uri=from_fs_path(str(self.root)),
                    workspace_folders=[lsp.WorkspaceFolder(uri=from_fs_path(str(self.root)), name="root")],
                    capabilities=lsp.ClientCapabilities(
                        workspace=lsp.WorkspaceClientCapabilities(
                            did_change_watched_files=lsp.DidChangeWatchedFilesClientCapabilities(
                                dynamic_registration=True
                            )
                        ),
                        window=lsp.WindowClientCapabilities(
                            show_document=lsp.ShowDocumentClientCapabilities(support=True)
                        ),
                        text_document=lsp.TextDocumentClientCapabilities(
                            publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(version_support=True),
                            code_action=lsp.CodeActionClientCapabilities(
                                code_action_literal_support=lsp.ClientCodeActionLiteralOptions(
                                    code_action_kind=lsp.ClientCodeActionKindOptions(
                                        value_set=[lsp.CodeActionKind.QuickFix]
                                    )
                                )
                            ),
                        ),
                    ),
                )
            ),
            HANG_GUARD,
        )
        self.client.initialized(lsp.InitializedParams())
        self.capabilities = result.capabilities
        return result

    async def _read_stderr(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            self.stderr.extend(chunk)

    async def stop(self) -> int:
        """shutdown, exit, and the server's exit code."""
        await asyncio.wait_for(self.client.shutdown_async(None), HANG_GUARD)
        self.client.exit(None)
        await asyncio.wait_for(self.client.stop(), HANG_GUARD)
        if self._drain is not None:
            await asyncio.wait_for(self._drain, HANG_GUARD)
        process = self.client._server
        assert process is not None
        return process.returncode

    # -- documents --------------------------------------------------------------------------------

    def uri(self, name: str) -> str:
        return from_fs_path(str(self.root / name))

    def open(self, name: str, text: str) -> str:
        uri = self.uri(name)
        self.versions[uri] = 1
        self.texts[uri] = text
        self.client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                text_document=lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
            )
        )
        return uri

    def change(self, uri: str, text: str) -> int:
        self.versions[uri] += 1
        self.texts[uri] = text
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
                content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        return self.versions[uri]

    def apply(self, action: lsp.CodeAction) -> int:
        """Apply a code action's edit to the document, as the editor would, and send it."""
        assert action.edit is not None and action.edit.document_changes
        (change,) = action.edit.document_changes
        assert isinstance(change, lsp.TextDocumentEdit)
        uri = change.text_document.uri
        assert change.text_document.version == self.versions[uri]
        return self.change(uri, apply_edits(self.texts[uri], change.edits))

    # -- waiting ----------------------------------------------------------------------------------

    async def wait_for(self, found: Callable[[], T | None], what: str) -> T:
        assert self._event is not None

        async def poll() -> T:
            while True:
                value = found()
                if value:
                    return value
                self._event.clear()
                await self._event.wait()

        try:
            return await asyncio.wait_for(poll(), HANG_GUARD)
        except asyncio.TimeoutError:
            raise AssertionError(
                f"hang guard: no {what} after {HANG_GUARD:.0f} s; server stderr:\n{self.stderr.decode(errors='replace')}"
            ) from None

    def latest(self, uri: str) -> lsp.PublishDiagnosticsParams | None:
        for params in reversed(self.published):
            if params.uri == uri:
                return params
        return None

    async def diagnostics(self, uri: str, version: int | None = None) -> list[lsp.Diagnostic]:
        """The diagnostics published for this version of the document (its latest by default)."""
        wanted = self.versions[uri] if version is None else version

        def found():
            params = self.latest(uri)
            return params if params is not None and params.version == wanted else None

        params = await self.wait_for(found, f"publishDiagnostics for {uri} version {wanted}")
        return list(params.diagnostics)

    async def code_actions(self, uri: str, diagnostic: lsp.Diagnostic) -> list[lsp.CodeAction]:
        result = await asyncio.wait_for(
            self.client.text_document_code_action_async(
                lsp.CodeActionParams(
                    text_document=lsp.TextDocumentIdentifier(uri=uri),
                    range=diagnostic.range,
                    context=lsp.CodeActionContext(diagnostics=[diagnostic]),
                )
            ),
            HANG_GUARD,
        )
        return [a for a in result or [] if isinstance(a, lsp.CodeAction)]


def apply_edits(text: str, edits) -> str:
    """LSP text edits (UTF-16 positions, the default encoding) applied to a text."""
    rows = text.splitlines(keepends=True)
    starts = [0]
    for row in rows:
        starts.append(starts[-1] + len(row))

    def offset(position: lsp.Position) -> int:
        if position.line >= len(rows):
            return len(text)
        row = rows[position.line]
        units, index = 0, 0
        while index < len(row) and units < position.character:
            units += 2 if ord(row[index]) > 0xFFFF else 1
            index += 1
        return starts[position.line] + index

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


def session(root: Path, scenario) -> None:
    """Run one editor session against a fresh server, ending with shutdown and exit."""

    async def main() -> None:
        editor = Editor(root)
        await editor.start()
        try:
            await scenario(editor)
        except BaseException:
            editor.client.exit(None)  # leave no server behind
            raise
        code = await editor.stop()
        assert code == 0, editor.stderr.decode(errors="replace")
        assert b"Traceback" not in editor.stderr, editor.stderr.decode(errors="replace")

    asyncio.run(main())


def codes(diagnostics: list[lsp.Diagnostic]) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


# -- the protocol, end to end ---------------------------------------------------------------------


def test_initialize_open_diagnostics_code_actions_change_shutdown_exit(tmp_path):
    (tmp_path / "prune.py").write_text("# on disk: not what the editor holds\n")

    async def scenario(editor: Editor) -> None:
        caps = editor.capabilities
        assert caps.code_action_provider
        assert caps.execute_command_provider and "prunelint.openRuleDocs" in caps.execute_command_provider.commands

        uri = editor.open("prune.py", PRUNE_AFTER_EVAL)
        (finding,) = await editor.diagnostics(uri, 1)
        assert finding.code == "PRL001" and finding.source == "prunelint"
        assert finding.severity == lsp.DiagnosticSeverity.Warning
        assert finding.range.start.line == PRL001_ROW - 1
        assert finding.range.start.character == PRUNE_AFTER_EVAL.splitlines()[PRL001_ROW - 1].index("tp.pruner")
        assert finding.code_description is not None and finding.code_description.href.endswith("docs/rules/PRL001.md")

        actions = await editor.code_actions(uri, finding)
        titles = [a.title for a in actions]
        fix = next(a for a in actions if a.edit is not None and "noqa" not in a.title)
        assert fix.title.endswith("(unsafe fix)") and not fix.is_preferred, titles
        noqa = next(a for a in actions if "noqa" in a.title)
        docs = next(a for a in actions if a.command is not None)
        assert all(a.kind == lsp.CodeActionKind.QuickFix for a in actions)

        # Open the docs: the server asks the editor to show the rule's page.
        await asyncio.wait_for(
            editor.client.workspace_execute_command_async(
                lsp.ExecuteCommandParams(command=docs.command.command, arguments=docs.command.arguments)
            ),
            HANG_GUARD,
        )
        assert editor.shown_documents == [finding.code_description.href]

        # Apply the noqa action: the finding is gone from the next version.
        version = editor.apply(noqa)
        assert editor.texts[uri].splitlines()[PRL001_ROW - 1].endswith("  # noqa: PRL001")
        assert await editor.diagnostics(uri, version) == []

        # Back to the finding, then apply the (unsafe) fix: with grad on, no finding.
        version = editor.change(uri, PRUNE_AFTER_EVAL)
        (finding,) = await editor.diagnostics(uri, version)
        fix = next(a for a in await editor.code_actions(uri, finding) if "unsafe" in a.title)
        version = editor.apply(fix)
        assert "torch.enable_grad()" in editor.texts[uri]
        assert await editor.diagnostics(uri, version) == []

        # Save: linted again (what closed files see on disk may have changed).
        count = len(editor.published)
        editor.client.text_document_did_save(lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri)))
        params = await editor.wait_for(
            lambda: next((p for p in editor.published[count:] if p.uri == uri), None), "publishDiagnostics after didSave"
        )
        assert params.version == version and not params.diagnostics

    session(tmp_path, scenario)


def test_a_safe_fix_is_preferred_and_applies(tmp_path):
    async def scenario(editor: Editor) -> None:
        uri = editor.open("deprecated.py", DEPRECATED)
        (finding,) = await editor.diagnostics(uri, 1)
        assert finding.code == "PRL901"
        assert list(finding.tags or ()) == [lsp.DiagnosticTag.Deprecated]
        actions = await editor.code_actions(uri, finding)
        fix = actions[0]
        assert fix.is_preferred and "unsafe" not in fix.title
        version = editor.apply(fix)
        assert "pruning_ratio=0.5" in editor.texts[uri]
        assert await editor.diagnostics(uri, version) == []

    session(tmp_path, scenario)


# -- cross-module ---------------------------------------------------------------------------------


def test_editing_a_helper_module_updates_the_open_files_that_call_it(tmp_path):
    (tmp_path / "helper.py").write_text(HELPER)
    (tmp_path / "caller.py").write_text(CALLER)

    async def scenario(editor: Editor) -> None:
        caller = editor.open("caller.py", CALLER)
        # The helper is not open yet: it is read from disk, as the CLI would.
        (finding,) = await editor.diagnostics(caller, 1)
        assert finding.code == "PRL001" and "helper.py" in finding.message
        published = len(editor.published)

        helper = editor.open("helper.py", HELPER)
        assert await editor.diagnostics(helper, 1) == []
        # Unsaved: the disk still has the pruner, the editor's buffer does not.
        version = editor.change(helper, HELPER_WITHOUT_PRUNER)
        assert await editor.diagnostics(helper, version) == []

        def caller_republished():
            later = [p for p in editor.published[published:] if p.uri == caller]
            return later and not later[-1].diagnostics and later[-1]

        def caller_republished_after(count: int):
            def found():
                later = [p for p in editor.published[count:] if p.uri == caller]
                return later and not later[-1].diagnostics and later[-1]

            return found

        params = await editor.wait_for(caller_republished, "caller.py re-published without PRL001")
        assert params.version == 1  # the caller itself never changed

        editor.change(helper, HELPER)
        count = len(editor.published)

        def caller_again():
            later = [p for p in editor.published[count:] if p.uri == caller]
            return later and later[-1].diagnostics and later[-1]

        params = await editor.wait_for(caller_again, "caller.py re-published with PRL001")
        assert codes(params.diagnostics) == ["PRL001"]

        # Unsaved again without the pruner, then closed without saving: the caller sees the
        # file on disk again, which still builds one.
        version = editor.change(helper, HELPER_WITHOUT_PRUNER)
        await editor.wait_for(caller_republished_after(count), "caller.py re-published without PRL001")
        count = len(editor.published)
        editor.client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=helper)))

        def caller_from_disk():
            later = [p for p in editor.published[count:] if p.uri == caller]
            return later and later[-1].diagnostics and later[-1]

        params = await editor.wait_for(caller_from_disk, "caller.py re-published from the helper on disk")
        assert codes(params.diagnostics) == ["PRL001"]
        closed = [p for p in editor.published[count:] if p.uri == helper]
        assert closed and not closed[-1].diagnostics  # a closed file's diagnostics are cleared

    session(tmp_path, scenario)


# -- the server lives on --------------------------------------------------------------------------


def test_a_syntax_error_while_typing_is_a_diagnostic_and_the_server_lives_on(tmp_path):
    async def scenario(editor: Editor) -> None:
        uri = editor.open("typing.py", PRUNE_AFTER_EVAL)
        assert codes(await editor.diagnostics(uri, 1)) == ["PRL001"]

        half_typed = PRUNE_AFTER_EVAL.replace("pruner.step()", "pruner.step(\n    for")
        version = editor.change(uri, half_typed)
        (error,) = await editor.diagnostics(uri, version)
        assert error.code == "PRL000" and error.severity == lsp.DiagnosticSeverity.Error
        assert error.range.start.line >= PRL001_ROW
        actions = await editor.code_actions(uri, error)
        assert not [a for a in actions if "noqa" in a.title]  # PRL000 cannot be silenced

        version = editor.change(uri, PRUNE_AFTER_EVAL)
        assert codes(await editor.diagnostics(uri, version)) == ["PRL001"]

    session(tmp_path, scenario)


def test_a_bad_configuration_is_shown_and_never_crashes_the_server(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[tool.prunelint]\nselect = [\n")  # invalid TOML

    async def scenario(editor: Editor) -> None:
        uri = editor.open("prune.py", PRUNE_AFTER_EVAL)
        (shown,) = await editor.diagnostics(uri, 1)
        assert "bad configuration" in shown.message and "invalid TOML" in shown.message
        assert shown.severity == lsp.DiagnosticSeverity.Error
        message = await editor.wait_for(
            lambda: next((m for m in editor.messages if "invalid TOML" in m.message), None), "showMessage"
        )
        assert message.type == lsp.MessageType.Error
        # The server asked to hear of changes to configuration files on disk.
        (registration,) = await editor.wait_for(lambda: editor.registrations, "client/registerCapability")
        assert registration.method == lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES
        globs = [w["globPattern"] for w in registration.register_options["watchers"]]
        assert "**/pyproject.toml" in globs

        def watched(text: str) -> None:
            pyproject.write_text(text)
            editor.client.workspace_did_change_watched_files(
                lsp.DidChangeWatchedFilesParams(
                    changes=[lsp.FileEvent(uri=from_fs_path(str(pyproject)), type=lsp.FileChangeType.Changed)]
                )
            )

        def latest_says(words: str):
            def found():
                params = editor.latest(uri)
                return params is not None and any(words in d.message for d in params.diagnostics) and params
            return found

        # An unknown code: a selection error, shown too.
        watched('[tool.prunelint]\nselect = ["PRL999"]\n')
        await editor.wait_for(latest_says("PRL999"), "a diagnostic about PRL999")
        await editor.wait_for(
            lambda: next((m for m in editor.messages if "PRL999" in m.message), None), "showMessage about PRL999"
        )

        # Fixed: the settings of the file's folder apply (PRL001 ignored there).
        watched('[tool.prunelint]\nignore = ["PRL001"]\n')
        await editor.wait_for(lambda: (p := editor.latest(uri)) is not None and not p.diagnostics, "no diagnostics")

        # And the server still lints.
        editor.change(uri, DEPRECATED)
        assert codes(await editor.diagnostics(uri)) == ["PRL901"]

    session(tmp_path, scenario)


def test_200_quick_edits_end_with_the_diagnostics_of_the_last(tmp_path):
    edits = 200

    def text(version: int) -> str:
        return "\n" * (version % 7) + PRUNE_AFTER_EVAL  # the finding moves down by 0..6 rows

    async def scenario(editor: Editor) -> None:
        uri = editor.open("burst.py", text(1))
        await editor.diagnostics(uri, 1)
        for _ in range(edits):
            editor.change(uri, text(editor.versions[uri] + 1))  # no waiting between edits
        last = editor.versions[uri]
        assert last == edits + 1
        (finding,) = await editor.diagnostics(uri, last)
        assert finding.range.start.line == PRL001_ROW - 1 + last % 7

    editor_published: list[lsp.PublishDiagnosticsParams] = []

    async def recorded(editor: Editor) -> None:
        await scenario(editor)
        editor_published.extend(editor.published)

    session(tmp_path, recorded)
    # After the server has exited, nothing more can come: every publish carried a version no
    # older than the one before, and described that version's text.
    versions = [p.version for p in editor_published if p.uri.endswith("burst.py")]
    assert versions == sorted(versions) and versions[-1] == edits + 1
    for params in editor_published:
        (finding,) = params.diagnostics
        assert finding.range.start.line == PRL001_ROW - 1 + params.version % 7


# -- pieces without a client ----------------------------------------------------------------------


def test_positions_go_out_in_utf16_and_utf8_units():
    text = 'x = "é𝄞"; y = 1\n'
    column = text.index("y") + 1  # 1-based code points
    assert Rows(text, lsp.PositionEncodingKind.Utf16).position(Position(1, column)).character == column - 1 + 1
    assert Rows(text, lsp.PositionEncodingKind.Utf8).position(Position(1, column)).character == column - 1 + 1 + 3
    assert Rows(text, lsp.PositionEncodingKind.Utf32).position(Position(1, column)).character == column - 1


def test_noqa_edit_adds_or_extends_the_comment():
    assert noqa_edit("f(x)\n", 1, "PRL001") == (Position(1, 5), Position(1, 5), "  # noqa: PRL001")
    assert noqa_edit("f(x)   \n", 1, "PRL001") == (Position(1, 5), Position(1, 8), "  # noqa: PRL001")
    assert noqa_edit("f(x)  # noqa: PRL002\n", 1, "PRL001") == (Position(1, 21), Position(1, 21), ", PRL001")
    assert noqa_edit("f(x)  # why\n", 1, "PRL001") == (Position(1, 12), Position(1, 12), "  # noqa: PRL001")
    assert noqa_edit('s = """a\nb""" ; f(x)\n', 1, "PRL001") is None  # the row ends inside a string
    assert noqa_edit("f(x) + \\\n  1\n", 1, "PRL001") is None


def test_without_pygls_the_server_command_says_so(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    # A `pygls` that fails to import, found before the real one.
    (blocker / "pygls").mkdir()
    (blocker / "pygls" / "__init__.py").write_text("raise ImportError('no pygls here', name='pygls')\n")
    env = dict(os.environ, PYTHONPATH=str(blocker))
    proc = subprocess.run(
        [sys.executable, "-m", "prunelint", "server"], capture_output=True, text=True, env=env, timeout=HANG_GUARD, stdin=subprocess.DEVNULL
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: `prunelint server` needs pygls"), proc.stderr
    assert "Traceback" not in proc.stderr
