"""Fuzz the CLI at scale: N hypothesmith-generated programs, each with a Torch-Pruning import and a
pruner construction spliced in (tests/lint/pysplice.py), linted in batches of many programs per
`prunelint` process; a share of the batches is also run through `--fix` twice.

    python bench/fuzz.py --examples 10000            # the long run
    python bench/fuzz.py --examples 40 --batch 20    # the small size tests/lint/test_fuzz.py runs

What it counts, per example:
  compiled  CPython compiles the program (else it must come out as a PRL000 parse finding)
  analysed  no PRL000 for the file: parsed by libcst and seen by every rule (the import of
            torch_pruning lets every program through the prefilter)
  crashes   a batch whose exit code is not 0/1, that writes to stderr, or prints a traceback or an
            "internal error" (its programs are kept under --keep for a replay)
  hangs     a batch still running after --hang-guard seconds (generous: a guard against a
            process that never ends, not a time limit; 0 turns it off)
  fix: broke  a file that compiled before `--fix` and does not after
  fix: unstable  the second `--fix` changed a file again, or left a different report

The report is one JSON object on stdout (and in --report FILE). Exit 1 if anything failed.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "lint"))

# Always spliced at the end (column 0, after the last statement): every program constructs a
# pruner, so it is not only let through the prefilter but reaches the construction rules.
CONSTRUCTION = "fuzz_pruner = tp.pruner.MetaPruner(model, example_inputs, pruning_ratio=0.5)\n"


def compiles(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "<fuzz>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False
    return True


def draw(count: int, seed: int) -> list[str]:
    """`count` generated programs (hypothesis decides their shape; one seed per batch)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as with_seed
    from hypothesis import strategies as st

    import hypothesmith
    from pysplice import spliced_modules

    base = st.one_of(hypothesmith.from_grammar(auto_target=False), hypothesmith.from_node(auto_target=False))
    programs: list[str] = []

    @with_seed(seed)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(spliced_modules(base=base))
    def collect(text: str) -> None:
        if len(programs) < count:
            programs.append(text + ("" if text.endswith(("\n", "\r")) else "\n") + CONSTRUCTION)

    collect()
    return programs


def write_tree(root: Path, programs: list[str]) -> list[str]:
    names = []
    for index, text in enumerate(programs):
        name = f"pkg{index % 4}/m{index}.py"
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        names.append(name)
    return names


def cli(root: Path, *argv: str) -> list[str]:
    return [sys.executable, "-m", "prunelint", "--isolated", "--no-cache", "--select", "ALL", *argv]


class Batch:
    """One process over one tree of programs; started, then waited for (the next batch is drawn
    meanwhile)."""

    def __init__(self, root: Path, programs: list[str], hang_guard: float) -> None:
        self.root, self.programs, self.hang_guard = root, programs, hang_guard
        self.names = write_tree(root, programs)
        self.proc = subprocess.Popen(
            cli(root, "--output-format", "json", "-j", "1", "."),
            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def wait(self) -> tuple[str, int, str, str]:
        try:
            out, err = self.proc.communicate(timeout=self.hang_guard or None)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            return "hang", -9, "", ""
        return "done", self.proc.returncode, out, err


def crashed(code: int, err: str) -> bool:
    return code not in (0, 1) or err.strip() != "" or "Traceback" in err or "internal error" in err


def fix_twice(root: Path, names: list[str], hang_guard: float) -> dict[str, object]:
    """`--fix` twice on a copy: every file that compiled still compiles, and the second run
    changes nothing and reports what the first left."""
    before = {n: (root / n).read_text("utf-8", "surrogatepass") for n in names}
    runs = []
    for _ in range(2):
        try:
            proc = subprocess.run(
                cli(root, "--fix", "--unsafe-fixes", "--output-format", "json", "-j", "1", "."),
                cwd=root, capture_output=True, text=True, timeout=hang_guard or None,
            )
        except subprocess.TimeoutExpired:
            return {"hang": True}
        runs.append((proc, {n: (root / n).read_text("utf-8", "surrogatepass") for n in names}))
    (first, after1), (second, after2) = runs
    broke = [n for n in names if compiles(before[n]) and not compiles(after1[n])]
    changed = [n for n in names if after1[n] != before[n]]
    unstable = [n for n in names if after2[n] != after1[n]]
    if first.stdout != second.stdout:
        # The first run's report is of the fixed text: the second, with nothing to fix, agrees.
        unstable.append("<report>")
    return {
        "crash": crashed(first.returncode, first.stderr) or crashed(second.returncode, second.stderr),
        "stderr": (first.stderr + second.stderr)[-2000:],
        "changed": changed,
        "broke": broke,
        "unstable": unstable,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=200, help="programs per prunelint process")
    parser.add_argument("--fix-every", type=int, default=5, help="run --fix twice on every Kth batch (0: never)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hang-guard", type=float, default=1800.0, help="seconds before a batch counts as hung (0: never)")
    parser.add_argument("--keep", type=Path, default=None, help="keep failing batches' programs here")
    parser.add_argument("--report", type=Path, default=None)
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args(argv)

    counts = {
        "examples": 0, "compiled": 0, "analysed": 0, "prl000": 0, "findings": 0, "batches": 0,
        "crashes": 0, "hangs": 0, "fix_examples": 0, "fix_changed": 0, "fix_broke": 0,
        "fix_unstable": 0, "fix_crashes": 0, "fix_hangs": 0, "compiled_not_analysed": 0,
    }
    failures: list[dict[str, object]] = []
    work = Path(tempfile.mkdtemp(prefix="prunelint-fuzz-"))
    rng = random.Random(args.seed)
    started = time.monotonic()

    def keep(kind: str, batch: int, root: Path) -> None:
        if args.keep is not None:
            target = args.keep / f"{kind}-{batch}"
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(root, target)

    def finish(number: int, batch: Batch) -> None:
        state, code, out, err = batch.wait()
        counts["batches"] += 1
        counts["examples"] += len(batch.programs)
        compiled = {n for n, p in zip(batch.names, batch.programs) if compiles(p)}
        counts["compiled"] += len(compiled)
        if state == "hang":
            counts["hangs"] += 1
            failures.append({"batch": number, "hang": True})
            keep("hang", number, batch.root)
            return
        if crashed(code, err):
            counts["crashes"] += 1
            failures.append({"batch": number, "exit": code, "stderr": err[-2000:]})
            keep("crash", number, batch.root)
            return
        found = json.loads(out) if out.strip() else []
        counts["findings"] += len(found)
        refused = {d["filename"] for d in found if d["code"] == "PRL000"}
        counts["prl000"] += len(refused)
        counts["analysed"] += sum(1 for n in batch.names if n not in refused)
        odd = sorted(compiled & refused)
        counts["compiled_not_analysed"] += len(odd)
        if odd:
            # CPython compiles it and libcst refuses it, or it is too deep: listed, not a failure.
            messages = {d["filename"]: d["message"] for d in found if d["code"] == "PRL000"}
            failures.append({"batch": number, "compiled_not_analysed": {n: messages[n] for n in odd[:5]}})
        if args.fix_every and number % args.fix_every == 0:
            counts["fix_examples"] += len(batch.names)
            result = fix_twice(batch.root, batch.names, args.hang_guard)
            if result.get("hang"):
                counts["fix_hangs"] += 1
                keep("fix-hang", number, batch.root)
            else:
                counts["fix_changed"] += len(result["changed"])
                counts["fix_broke"] += len(result["broke"])
                counts["fix_unstable"] += len(result["unstable"])
                counts["fix_crashes"] += bool(result["crash"])
                if result["broke"] or result["unstable"] or result["crash"]:
                    failures.append({"batch": number, "fix": {k: result[k] for k in ("broke", "unstable", "stderr")}})
                    keep("fix", number, batch.root)
        shutil.rmtree(batch.root, ignore_errors=True)

    pending: tuple[int, Batch] | None = None
    number = 0
    remaining = args.examples
    try:
        while remaining > 0:
            size = min(args.batch, remaining)
            programs = draw(size, rng.randrange(2**32))  # drawn while the previous batch lints
            remaining -= len(programs)
            if pending is not None:
                finish(*pending)
            root = work / f"batch{number}"
            root.mkdir()
            pending = (number, Batch(root, programs, args.hang_guard))
            number += 1
            if args.progress:
                elapsed = time.monotonic() - started
                print(f"[{elapsed:7.0f}s] {args.examples - remaining}/{args.examples} drawn, {counts}", file=sys.stderr, flush=True)
        if pending is not None:
            finish(*pending)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    counts["seconds"] = round(time.monotonic() - started)
    report = {"counts": counts, "failures": failures[:50]}
    text = json.dumps(report, indent=2)
    print(text)
    if args.report is not None:
        args.report.write_text(text + "\n")
    bad = counts["crashes"] + counts["hangs"] + counts["fix_broke"] + counts["fix_unstable"] + counts["fix_crashes"] + counts["fix_hangs"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
