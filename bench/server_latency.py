"""Latency of `prunelint server` from a didChange to the publishDiagnostics of that version.

    pip install -e '.[server]'
    python bench/server_latency.py                                  # Torch-Pruning: reproduce/main.py
    python bench/server_latency.py --repo /path/to/Torch-Pruning --file examples/yolov8/yolov8_pruning.py --edits 30

A real client (pygls' LanguageClient) starts `python -m prunelint server` over stdio with the
repository as its workspace folder, opens the file with its text from disk, waits for the first
diagnostics, then sends --edits edits one after the other: each edit changes one line of the
buffer (a comment at the end of the file that counts up) and the time is taken from sending the
didChange of version N to receiving the publishDiagnostics of version N. Nothing is written to
the repository: the edits live in the editor's buffer only.

The time includes the server's debounce (prunelint.frontends.server.DEBOUNCE_S, which gathers
a burst of edits before a run), the JSON-RPC round trip, and a full lint of every open document
(here one) with the modules it imports read from disk for context. The machine's CPU count and
load average are printed with the numbers, since they decide them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

from prunelint.frontends.server import DEBOUNCE_S

DEFAULT_REPO = "/work/repos/Torch-Pruning"
DEFAULT_FILE = "reproduce/main.py"
HANG_GUARD = 300.0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


async def measure(repo: Path, file: Path, edits: int) -> tuple[list[float], float, list[int], int]:
    client = LanguageClient("prunelint-latency", "1")
    arrived: dict[int, float] = {}
    counts: dict[int, int] = {}
    event = asyncio.Event()

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
        if params.version is not None:
            arrived.setdefault(params.version, time.perf_counter())
            counts[params.version] = len(params.diagnostics)
        event.set()

    async def published(version: int) -> float:
        async def poll() -> float:
            while version not in arrived:
                event.clear()
                await event.wait()
            return arrived[version]

        return await asyncio.wait_for(poll(), HANG_GUARD)

    started = time.perf_counter()
    await client.start_io(sys.executable, "-m", "prunelint", "server", cwd=str(repo))
    await client.initialize_async(
        lsp.InitializeParams(
            process_id=os.getpid(),
            root_uri=from_fs_path(str(repo)),
            workspace_folders=[lsp.WorkspaceFolder(uri=from_fs_path(str(repo)), name=repo.name)],
            capabilities=lsp.ClientCapabilities(),
        )
    )
    client.initialized(lsp.InitializedParams())
    uri = from_fs_path(str(file))
    text = file.read_text("utf-8")
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
        )
    )
    first = await published(1) - started  # start-up, initialize and the first lint
    latencies = []
    for version in range(2, edits + 2):
        edited = text + f"# edit {version}\n"
        sent = time.perf_counter()
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=edited)],
            )
        )
        latencies.append(await published(version) - sent)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return latencies, first, [counts[v] for v in sorted(counts)], len(text.splitlines())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", default=DEFAULT_REPO, help="a Torch-Pruning checkout (the workspace folder)")
    parser.add_argument("--file", default=DEFAULT_FILE, help="the file to edit, relative to --repo")
    parser.add_argument("--edits", type=int, default=30)
    args = parser.parse_args()
    repo = Path(args.repo).resolve()
    file = repo / args.file
    if not file.is_file():
        sys.stderr.write(f"error: {file}: not found (give --repo, a Torch-Pruning checkout)\n")
        return 2
    load_before = os.getloadavg()
    latencies, first, counts, lines = asyncio.run(measure(repo, file, args.edits))
    load_after = os.getloadavg()
    ms = [1000 * t for t in latencies]
    print(f"file: {args.file} in {repo} ({lines} lines; {counts[-1]} findings per version)")
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after (1 min); "
        f"Python {platform.python_version()}"
    )
    print(
        "server: one process; one lint thread beside the event loop and pygls' stdin reader; "
        f"-j1 (no worker processes), no cache; debounce {1000 * DEBOUNCE_S:.0f} ms included"
    )
    print(f"start-up to the first diagnostics: {1000 * first:.0f} ms")
    print(
        f"didChange -> publishDiagnostics over {len(ms)} edits: median {statistics.median(ms):.0f} ms, "
        f"p90 {percentile(ms, 0.9):.0f} ms, min {min(ms):.0f} ms, max {max(ms):.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
