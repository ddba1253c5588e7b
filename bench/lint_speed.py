"""prunelint's speed beside TorchFix, Fixit and ruff, as whole processes on two trees.

    pip install -e '.[bench]'                  # the peers: ruff, torchfix, fixit
    python bench/lint_speed.py                 # both trees, 5 alternating runs each
    python bench/lint_speed.py --runs 1 --trees 2 --skip-peer torchfix --skip-peer fixit
    python bench/lint_speed.py --trees '' --repo ../repos/Torch-Pruning --skip-peer torchfix --skip-peer fixit

Tree 3, with `--repo PATH`, is a real repository (fetched, never committed): the issue's
target is prunelint cold at most 5x ruff's wall time on VainF/Torch-Pruning. Tree 1 is the installed torch package's own sources (no pruning at all): the prefilter and
the start-up decide the time. Tree 2 is the torch_pruning package's sources plus a tree
generated from templates by bench/pruning_tree.py (nearly every file uses torch_pruning):
parsing and analysis decide it. The generated tree goes to a temporary folder, never into
the repository.

Before any time is printed, prunelint's findings are compared with its fast paths on and
off: the prefilter (`--no-prefilter` parses every file), the cache (cold, warm) and
parallelism (-j1, -j2). Then every tool runs once to warm the disk cache, and the timed runs
alternate between the tools (A B C A B C ...), so that a change in the machine's load
affects them alike. Medians are printed, with ratios and the peak resident memory (the
largest process of the run, from the kernel's rusage). A peer whose warm-up run takes
longer than --peer-timeout is not timed on that tree; the table says so (TorchFix needs
about 15 minutes for tree 1 on two cores).

Every prunelint run but "prunelint (cached)" passes --no-cache; ruff runs with --no-cache.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import pruning_tree  # noqa: E402


@dataclass
class Tool:
    name: str
    argv: list[str]
    cwd: Path
    ok_codes: tuple[int, ...] = (0, 1)  # exit codes of a run that linted (findings or not)
    times: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    skipped: str = ""
    timed_out_after: float = 0.0  # when skipped because its warm-up took longer than this


def package_dir(name: str) -> Path:
    """Where a package is installed, found without importing it (torch takes seconds)."""
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"error: the {name} package is not installed in this environment")
    return Path(list(spec.submodule_search_locations)[0])


def _not_python(folder: str, names: list[str]) -> list[str]:
    """For `shutil.copytree`: everything but Python files and the folders holding them."""
    return [n for n in names if not n.endswith((".py", ".pyi")) and not os.path.isdir(os.path.join(folder, n))]


def find_exe(name: str, peers_bin: str | None) -> str | None:
    for folder in filter(None, (peers_bin, os.path.dirname(sys.executable))):
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which(name)


# Every tool runs as installed: with its bytecode cached. A development environment that sets
# PYTHONDONTWRITEBYTECODE would otherwise recompile an editable install's modules on every run.
ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PRUNELINT_DEBUG")}


def run_once(argv: list[str], cwd: Path, timeout: float | None = None) -> tuple[float, int, str, int]:
    """Wall time, peak RSS in KiB (the largest process of the run), stdout, exit code."""
    # A child forked from this process starts with this process's peak RSS on Linux (exec
    # keeps the old high-water mark), so every tool would show at least ours. GNU time, small
    # itself, forks the tool and reports the peak of the tool and its reaped workers.
    rss_file = tempfile.NamedTemporaryFile(prefix="rss", delete=False) if os.path.exists("/usr/bin/time") else None
    if rss_file is not None:
        rss_file.close()
        argv = ["/usr/bin/time", "-f", "%M", "-o", rss_file.name, *argv]
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        # A session of its own: a peer that runs past the timeout is killed with its workers
        # (TorchFix's and Fixit's pools), which would otherwise load the machine for the rest
        # of the bench, and the process `time` wraps it in.
        proc = subprocess.Popen(
            argv, cwd=cwd, env=ENV, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
        deadline = None if timeout is None else start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                os.wait4(proc.pid, 0)
                raise subprocess.TimeoutExpired(argv, timeout)
            time.sleep(0.002)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    peak = usage.ru_maxrss
    if rss_file is not None:
        try:
            peak = int(Path(rss_file.name).read_text().split()[-1])
        except (OSError, ValueError, IndexError):
            pass  # the tool was killed before time wrote it: keep wait4's figure
        finally:
            os.unlink(rss_file.name)
    return elapsed, peak, text, proc.returncode


def prunelint_argv(exe: list[str], tree: Path, *extra: str) -> list[str]:
    return [*exe, "check", "--isolated", "--exit-zero", *extra, str(tree)]


def findings(exe: list[str], tree: Path, cwd: Path, *extra: str) -> list[tuple]:
    _, _, text, code = run_once(prunelint_argv(exe, tree, "--output-format", "json", *extra), cwd)
    if code != 0:
        sys.exit(f"error: prunelint {' '.join(extra)} failed on {tree} (exit {code}):\n{text[-2000:]}")
    # Names are shown relative to the working folder: compare absolute ones.
    return sorted(
        (os.path.normpath(os.path.join(cwd, d["filename"])), d["location"]["row"], d["location"]["column"], d["code"], d["message"])
        for d in json.loads(text)
    )


def check_fast_paths(exe: list[str], tree: Path, work: Path, label: str, sample: int) -> int:
    """The same findings with every fast path on, and each one off; returns their number."""
    cache_cwd = work / "cache-check"
    shutil.rmtree(cache_cwd, ignore_errors=True)
    cache_cwd.mkdir()
    if sample > 1:
        # Every file parsed is slow on a large tree: compare the prefilter on a sample of files
        # (named one by one, on both sides), and the other fast paths on the whole tree.
        files = sorted(str(p) for p in tree.rglob("*") if p.suffix in (".py", ".pyi") and p.is_file())[::sample]
        off = findings(exe, Path(files[0]), work, "--no-cache", "--no-prefilter", "-j", "2", *files[1:])
        on = findings(exe, Path(files[0]), work, "--no-cache", *files[1:])
        if off != on:
            sys.exit(f"error: on {label}, the prefilter changes the findings on a sample of {len(files)} files")
        print(f"  {label}: prefilter checked on every {sample}th file ({len(files)} files, {len(on)} findings)")
        reference = findings(exe, tree, work, "--no-cache", "-j", "2")
    else:
        reference = findings(exe, tree, work, "--no-cache", "--no-prefilter", "-j", "2")
    variants = {
        "default (prefilter, auto -j)": (work, ("--no-cache",)),
        "-j 1": (work, ("--no-cache", "-j", "1")),
        "-j 2": (work, ("--no-cache", "-j", "2")),
        "cache, cold": (cache_cwd, ()),
        "cache, warm": (cache_cwd, ()),
    }
    for name, (cwd, extra) in variants.items():
        got = findings(exe, tree, cwd, *extra)
        if got != reference:
            missing = [d for d in reference if d not in got][:5]
            extra_found = [d for d in got if d not in reference][:5]
            sys.exit(
                f"error: on {label}, prunelint's findings with {name} differ from those with every file "
                f"parsed, no cache, -j 2:\n  missing: {missing}\n  extra: {extra_found}"
            )
    if not (cache_cwd / ".prunelint_cache").is_dir():
        sys.exit("error: the cached runs wrote no .prunelint_cache")
    prefilter = f"the prefilter off (on every {sample}th file)" if sample > 1 else "the prefilter off"
    print(f"  {label}: {len(reference)} findings, identical with {prefilter}, the cache cold and warm, -j1 and -j2")
    return len(reference)


def tree_stats(tree: Path) -> tuple[int, int]:
    files = lines = 0
    for path in tree.rglob("*"):
        if path.suffix in (".py", ".pyi") and path.is_file():
            files += 1
            with open(path, "rb") as handle:
                lines += handle.read().count(b"\n")
    return files, lines


def time_tools(tools: list[Tool], runs: int, peer_timeout: float) -> None:
    for tool in tools:  # warm-up: the disk cache, and which peers are too slow to time here
        try:
            elapsed, rss, text, code = run_once(tool.argv, tool.cwd, timeout=peer_timeout)
        except subprocess.TimeoutExpired:
            tool.skipped = f"> {peer_timeout:.0f} s (warm-up timed out; not timed)"
            tool.timed_out_after = peer_timeout
            print(f"  warm-up {tool.name}: over {peer_timeout:.0f} s, skipped on this tree", flush=True)
            continue
        if code not in tool.ok_codes:
            tool.skipped = f"failed (exit {code})"
            print(f"  warm-up {tool.name}: exit {code}, skipped:\n{text[-1500:]}", flush=True)
            continue
        print(f"  warm-up {tool.name}: {elapsed:.2f} s", flush=True)
    live = [t for t in tools if not t.skipped]
    for index in range(runs):
        for tool in live:
            elapsed, rss, _, _ = run_once(tool.argv, tool.cwd)
            tool.times.append(elapsed)
            tool.rss_kb.append(rss)
        print(f"  run {index + 1}/{runs}: " + ", ".join(f"{t.name} {t.times[-1]:.2f} s" for t in live), flush=True)


class Ratio(NamedTuple):
    label: str
    numerator: str
    denominator: str
    target: tuple[str, float] | None = None  # ("≤" or "≥", bound)

    def line(self, value: float) -> str:
        """Three decimals: a ratio of 0.104 must not read as a met target of 0.1."""
        if self.target is None:
            return f"- {self.label}: {value:.3f}"
        op, bound = self.target
        met = value <= bound if op == "≤" else value >= bound
        return f"- {self.label} (target {op} {bound:g}): {value:.3f}, {'met' if met else 'missed'}"


def table(title: str, tools: list[Tool], baseline: str, ratios: list[Ratio]) -> str:
    medians = {t.name: statistics.median(t.times) for t in tools if t.times}
    rows = [f"{title}", "", "| tool | median wall time | runs | peak RSS | vs prunelint |", "|---|---:|---:|---:|---:|"]
    base = medians.get(baseline)
    for tool in tools:
        if tool.skipped:
            rows.append(f"| {tool.name} | {tool.skipped} | 0 | | |")
            continue
        med = medians[tool.name]
        ratio = f"{med / base:.1f}×" if base else ""
        rows.append(f"| {tool.name} | {med:.2f} s | {len(tool.times)} | {max(tool.rss_kb) / 1024:.0f} MB | {ratio} |")
    rows.append("")
    for ratio in ratios:
        a, b = ratio.numerator, ratio.denominator
        if a in medians and b in medians:
            rows.append(ratio.line(medians[a] / medians[b]))
        else:
            slow = next((t for t in tools if t.name == b and t.timed_out_after), None)
            if slow is not None and a in medians:
                rows.append(
                    f"- {ratio.label}: below {medians[a] / slow.timed_out_after:.3f}"
                    f" ({b} took longer than {slow.timed_out_after:.0f} s)"
                )
    return "\n".join(rows)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    return f"{os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}, Python {platform.python_version()}; load average at the start {load}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per tool and tree (default 5)")
    parser.add_argument("--trees", default="1,2", help="which trees: 1, 2 or 1,2 (default)")
    parser.add_argument("--skip-peer", action="append", default=[], choices=("ruff", "torchfix", "fixit"), help="do not run this peer (repeatable)")
    parser.add_argument("--peer-timeout", type=float, default=180.0, help="a peer whose warm-up takes longer is not timed on that tree (default 180 s)")
    parser.add_argument("--peers-bin", default=None, help="folder holding the peers' executables (default: this Python's, then PATH)")
    parser.add_argument("--files", type=int, default=220, help="generated files in tree 2 (default 220)")
    parser.add_argument("--keep", metavar="DIR", help="generate tree 2 into DIR and keep it")
    parser.add_argument(
        "--repo", action="append", default=[], type=Path, metavar="PATH",
        help="also time a real repository (a fetched checkout, e.g. VainF/Torch-Pruning): tree 3; repeatable",
    )
    parser.add_argument(
        "--prefilter-sample", type=int, default=1, metavar="K",
        help="on tree 1, check the prefilter on every K-th file only (default 1: parse every file, which takes minutes)",
    )
    args = parser.parse_args()
    trees = {t.strip() for t in args.trees.split(",") if t.strip()}
    if not trees <= {"1", "2"}:
        parser.error("--trees takes 1, 2 or 1,2")

    prunelint_exe = find_exe("prunelint", None)
    exe = [prunelint_exe] if prunelint_exe else [sys.executable, "-m", "prunelint"]
    peers: dict[str, str] = {}
    for name in ("ruff", "torchfix", "fixit"):
        if name in args.skip_peer:
            continue
        found = find_exe(name, args.peers_bin)
        if found is None:
            print(f"note: {name} not found (pip install -e '.[bench]'); it is not timed", file=sys.stderr)
        else:
            peers[name] = found

    work = Path(tempfile.mkdtemp(prefix="prunelint-bench-"))
    print(f"machine: {machine()}")
    print(f"prunelint: {' '.join(exe)}; peers: " + ", ".join(f"{k} {v}" for k, v in peers.items()))
    results: list[str] = []
    try:
        chosen: list[tuple[str, Path]] = []
        if "1" in trees:
            # A copy of the Python files: linters skip what lies under site-packages or a venv
            # by default, so the installed package itself would be no tree at all.
            copy = work / "torch"
            shutil.copytree(package_dir("torch"), copy, ignore=_not_python)
            chosen.append(("tree 1: the torch package's sources (no pruning)", copy))
        if "2" in trees:
            target = Path(args.keep).resolve() if args.keep else work / "pruning-tree"
            pruning_tree.generate(target, files=args.files, torch_pruning_dir=package_dir("torch_pruning"))
            chosen.append(("tree 2: torch_pruning's sources + generated pruning scripts", target))
        for repo in args.repo:
            if not repo.is_dir():
                parser.error(f"--repo {repo}: not a folder")
            chosen.append((f"tree 3: the repository {repo.resolve().name}", repo.resolve()))

        print("\nfindings with and without the fast paths:")
        for label, tree in chosen:
            check_fast_paths(exe, tree, work, label.split(":")[0], args.prefilter_sample if label.startswith("tree 1") else 1)

        for label, tree in chosen:
            files, lines = tree_stats(tree)
            title = f"{label}: {files} files, {lines:,} lines"
            print(f"\n{title}")
            cached_cwd = work / f"cached-{len(results)}"
            cached_cwd.mkdir()
            tools = [Tool("prunelint", prunelint_argv(exe, tree, "--no-cache"), work)]
            cached = Tool("prunelint (cached)", prunelint_argv(exe, tree), cached_cwd)
            # Two runs fill the cache: the second trusts files older than the first run.
            run_once(cached.argv, cached_cwd)
            time.sleep(2.1)
            run_once(cached.argv, cached_cwd)
            tools.append(cached)
            is_tree2 = label.startswith("tree 2")
            is_repo = label.startswith("tree 3")
            if is_tree2 or is_repo:
                tools.append(Tool("prunelint -j1", prunelint_argv(exe, tree, "--no-cache", "-j", "1"), work))
                tools.append(Tool("prunelint -j2", prunelint_argv(exe, tree, "--no-cache", "-j", "2"), work))
            if "ruff" in peers:
                tools.append(Tool("ruff", [peers["ruff"], "check", "--isolated", "--no-cache", "--exit-zero", "-q", str(tree)], work))
            if "torchfix" in peers:
                tools.append(Tool("TorchFix", [peers["torchfix"], str(tree)], work))
            if "fixit" in peers:
                # Fixit's exit code is a bit set: 1 violations, 2 fixes available.
                tools.append(Tool("Fixit", [peers["fixit"], "lint", str(tree)], work, ok_codes=(0, 1, 2, 3)))
            time_tools(tools, args.runs, args.peer_timeout)
            ratios: list[Ratio] = [
                Ratio("prunelint / ruff", "prunelint", "ruff", ("≤", 5.0) if is_repo else None if is_tree2 else ("≤", 0.5)),
                Ratio("prunelint (cached) / ruff", "prunelint (cached)", "ruff"),
                Ratio("prunelint / TorchFix", "prunelint", "TorchFix", ("≤", 0.1) if is_tree2 else None),
                Ratio("prunelint / Fixit", "prunelint", "Fixit", ("≤", 0.1) if is_tree2 else None),
            ]
            if is_tree2:
                ratios.append(Ratio("-j1 / -j2 speed-up", "prunelint -j1", "prunelint -j2", ("≥", 1.6)))
            results.append(table(f"**{title}**", tools, "prunelint", ratios))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n" + f"Machine: {machine()}\n")
    print("\n\n".join(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
