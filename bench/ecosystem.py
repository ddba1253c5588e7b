"""The ecosystem check: the findings and fixes of two prunelint revisions on real code, diffed.

ruff runs such a check over dozens of projects on every change. A refactor that should change
nothing must show 0 differences here; a change to a rule shows exactly what it adds, removes
and moves, per rule.

    python bench/ecosystem.py --base round-start --head WORKTREE fixtures examples ../repos/Torch-Pruning

A revision is one of:
  * a git ref of this repository (`main`, `HEAD~3`, a tag): exported with `git archive` into a
    temporary folder and run with this interpreter (its libraries) on `PYTHONPATH`;
  * `WORKTREE`: the files of this checkout as they are now, committed or not;
  * `python:/path/to/venv/bin/python`: whatever prunelint that interpreter has installed;
  * `saved:DIR`: the raw outputs a previous run wrote with `--save DIR`.

Each repository (a checkout passed by path: fetch them, never commit them) is linted from its
own root with `--isolated --no-cache --select ALL --output-format json`, and once more with
`--diff --unsafe-fixes` for the fixes as applied. Findings are compared as (file, code, message,
position, fix); one that only changed position is "moved". Exit code: 0 with no difference, 1
with some, 2 when a run failed.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
LINT_ARGS = ["--isolated", "--no-cache", "--select", "ALL", "--exit-zero", "-j", "1"]


@dataclass
class Outcome:
    findings: list[dict]
    diffs: dict[str, str]  # file -> its part of `--diff`
    seconds: float
    error: str = ""


class Revision:
    """One side of the comparison: how to run its prunelint."""

    def __init__(self, spec: str, scratch: Path) -> None:
        self.spec = spec
        self.saved: Path | None = None
        self.python = sys.executable
        self.pythonpath: str | None = None
        if spec.startswith("saved:"):
            self.saved = Path(spec[len("saved:"):])
        elif spec.startswith("python:"):
            self.python = spec[len("python:"):]
        elif spec == "WORKTREE":
            self.pythonpath = str(HERE)
        else:
            folder = scratch / re.sub(r"[^\w.-]", "_", spec)
            folder.mkdir(parents=True)
            archive = subprocess.run(
                ["git", "-C", str(HERE), "archive", "--format=tar", spec],
                capture_output=True, check=False,
            )
            if archive.returncode:
                raise SystemExit(f"error: cannot export {spec!r}: {archive.stderr.decode().strip()}")
            archive_path = folder.with_suffix(".tar")
            archive_path.write_bytes(archive.stdout)
            with tarfile.open(archive_path) as tar:
                tar.extractall(folder, filter="data")
            self.pythonpath = str(folder)

    def _run(self, repo: Path, extra: list[str]) -> subprocess.CompletedProcess:
        env = dict(os.environ)
        env.pop("PRUNELINT_DEBUG", None)
        if self.pythonpath is not None:
            env["PYTHONPATH"] = self.pythonpath
        return subprocess.run(
            [self.python, "-m", "prunelint", *LINT_ARGS, *extra, "."],
            cwd=repo, env=env, capture_output=True, text=True, check=False,
        )

    def lint(self, repo: Path, key: str, save: Path | None) -> Outcome:
        if self.saved is not None:
            stored = json.loads((self.saved / f"{key}.json").read_text())
            return Outcome(stored["findings"], stored["diffs"], stored["seconds"], stored.get("error", ""))
        start = time.perf_counter()
        report = self._run(repo, ["--output-format", "json"])
        seconds = time.perf_counter() - start
        error = ""
        try:
            findings = json.loads(report.stdout or "[]")
        except json.JSONDecodeError:
            findings, error = [], f"not JSON (exit {report.returncode}): {report.stderr.strip()[:500]}"
        if report.returncode not in (0, 1) and not error:
            error = f"exit {report.returncode}: {report.stderr.strip()[:500]}"
        diff = self._run(repo, ["--diff", "--unsafe-fixes"])
        outcome = Outcome([_normal(f, repo) for f in findings], _split_diff(diff.stdout), seconds, error)
        if save is not None:
            save.mkdir(parents=True, exist_ok=True)
            (save / f"{key}.json").write_text(json.dumps(outcome.__dict__, indent=1, sort_keys=True))
        return outcome


def _normal(finding: dict, repo: Path) -> dict:
    """Names relative to the repository, whether a revision prints them relative or absolute."""
    name = finding.get("filename", "")
    if os.path.isabs(name):
        try:
            name = os.path.relpath(name, repo)
        except ValueError:
            pass
    return {**finding, "filename": name.replace(os.sep, "/")}


def _split_diff(text: str) -> dict[str, str]:
    parts: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines(keepends=True):
        if line.startswith("--- "):
            current = line[4:].strip()
            parts[current] = []
        if current is not None:
            parts[current].append(line)
    return {name: "".join(lines) for name, lines in parts.items()}


def _position(f: dict) -> tuple:
    return (f.get("cell"), f["location"]["row"], f["location"]["column"], f["end_location"]["row"], f["end_location"]["column"])


# `--ignore-messages`: the message text and the rule's URL are left out of a finding's identity,
# for a change that rewords messages (or moves the docs) and must change nothing else.
IGNORE_MESSAGES = False


def _identity(f: dict) -> tuple:
    if IGNORE_MESSAGES:
        return (f["filename"], f["code"], json.dumps(f.get("fix"), sort_keys=True))
    return (f["filename"], f["code"], f["message"], json.dumps(f.get("fix"), sort_keys=True), f.get("url"))


def reworded(base: list[dict], head: list[dict]) -> int:
    """Findings at the same place with the same code whose message differs."""
    key = lambda f: (f["filename"], f["code"], _position(f))  # noqa: E731
    before = collections.Counter((key(f), f["message"]) for f in base)
    after = collections.Counter((key(f), f["message"]) for f in head)
    places = collections.Counter(key(f) for f in head) & collections.Counter(key(f) for f in base)
    same = sum((before & after).values())
    return sum(places.values()) - same


def compare(base: list[dict], head: list[dict]) -> dict[str, list[tuple[str, dict, dict | None]]]:
    """Per rule: ("added" | "removed" | "moved", finding, the other side's for a move)."""
    whole = collections.Counter((_identity(f), _position(f)) for f in base)
    whole_head = collections.Counter((_identity(f), _position(f)) for f in head)
    only_base = [f for f in base if _take(whole_head, (_identity(f), _position(f))) is False]
    only_head = [f for f in head if _take(whole, (_identity(f), _position(f))) is False]
    changes: dict[str, list] = collections.defaultdict(list)
    waiting: dict[tuple, list[dict]] = collections.defaultdict(list)
    for f in only_base:
        waiting[_identity(f)].append(f)
    for f in only_head:
        candidates = waiting.get(_identity(f))
        if candidates:
            changes[f["code"]].append(("moved", f, candidates.pop(0)))
        else:
            changes[f["code"]].append(("added", f, None))
    for rest in waiting.values():
        for f in rest:
            changes[f["code"]].append(("removed", f, None))
    return changes


def _take(counter: collections.Counter, key: tuple) -> bool:
    if counter[key] > 0:
        counter[key] -= 1
        return True
    return False


def _where(f: dict) -> str:
    cell = f"cell {f['cell']}:" if f.get("cell") is not None else ""
    return f"{f['filename']}:{cell}{f['location']['row']}:{f['location']['column']}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repos", nargs="+", type=Path, help="checkouts to lint (folders)")
    parser.add_argument("--base", required=True, help="git ref, WORKTREE, python:PATH or saved:DIR")
    parser.add_argument("--head", default="WORKTREE", help="git ref, WORKTREE, python:PATH or saved:DIR (default: WORKTREE)")
    parser.add_argument("--save-base", type=Path, help="write the base's raw outputs here (for saved:DIR)")
    parser.add_argument("--save-head", type=Path, help="write the head's raw outputs here")
    parser.add_argument("--show", type=int, default=20, help="changes listed per rule (default 20)")
    parser.add_argument("--ignore-messages", action="store_true", help="compare findings without their message text and URL (and count the reworded ones)")
    args = parser.parse_args(argv)
    global IGNORE_MESSAGES
    IGNORE_MESSAGES = args.ignore_messages
    status = 0
    totals = collections.Counter()
    with tempfile.TemporaryDirectory(prefix="prunelint-ecosystem-") as scratch:
        base = Revision(args.base, Path(scratch) / "base")
        head = Revision(args.head, Path(scratch) / "head")
        print(f"base: {args.base}    head: {args.head}")
        print(f"{'repository':<28} {'files':>6} {'base':>6} {'head':>6} {'added':>6} {'removed':>8} {'moved':>6} {'fixes':>6} {'base s':>7} {'head s':>7}")
        for repo in args.repos:
            repo = repo.resolve()
            key = re.sub(r"[^\w.-]", "_", repo.name)
            old = base.lint(repo, key, args.save_base)
            new = head.lint(repo, key, args.save_head)
            for side, outcome in (("base", old), ("head", new)):
                if outcome.error:
                    print(f"  {repo.name}: {side} failed: {outcome.error}")
                    status = 2
            changes = compare(old.findings, new.findings)
            counts = collections.Counter(kind for items in changes.values() for kind, _, _ in items)
            fix_changes = sorted(
                name for name in set(old.diffs) | set(new.diffs) if old.diffs.get(name) != new.diffs.get(name)
            )
            files = len({f["filename"] for f in old.findings + new.findings})
            print(
                f"{repo.name:<28} {files:>6} {len(old.findings):>6} {len(new.findings):>6} {counts['added']:>6} "
                f"{counts['removed']:>8} {counts['moved']:>6} {len(fix_changes):>6} {old.seconds:>7.2f} {new.seconds:>7.2f}"
            )
            for code in sorted(changes):
                items = changes[code]
                per = collections.Counter(kind for kind, _, _ in items)
                print(f"    {code}: " + ", ".join(f"{per[k]} {k}" for k in ("added", "removed", "moved") if per[k]))
                for kind, finding, other in items[: args.show]:
                    was = f" (was {_where(other)})" if other is not None else ""
                    print(f"      {kind:<8} {_where(finding)}{was}: {finding['message'][:160]}")
            for name in fix_changes[: args.show]:
                print(f"    fixes differ: {name}")
            if args.ignore_messages:
                count = reworded(old.findings, new.findings)
                print(f"    reworded: {count} findings at the same place with a new message")
                totals["reworded"] += count
            totals.update(counts)
            totals["fixes"] += len(fix_changes)
            totals["findings"] += len(new.findings)
            if counts or fix_changes:
                status = max(status, 1)
    differences = totals["added"] + totals["removed"] + totals["moved"] + totals["fixes"]
    print(
        f"total: {totals['findings']} findings in head; {differences} differences "
        f"({totals['added']} added, {totals['removed']} removed, {totals['moved']} moved, {totals['fixes']} files whose fixes differ)"
        + (f"; {totals['reworded']} reworded" if args.ignore_messages else "")
    )
    return status


if __name__ == "__main__":
    sys.exit(main())
