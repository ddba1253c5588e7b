"""Deep input against flat input of as many lines: is prunelint's time linear in the depth?

    python bench/deep_input.py                  # 300, 1,000, 2,000 and 2,900 terms, 3 runs each
    python bench/deep_input.py --terms 2900 --runs 1

The deep file is one pruner call under `torch.no_grad()` whose argument is a sum of N terms (a
left-leaning tree N deep: the 2,900-term case is past Python's default recursion limit). The
flat file has the same call and then N short assignments. Each is linted cold in its own process
(`--isolated --no-cache`, one thread), and the deep file must keep its PRL001 finding. Printed:
median wall time of each, the ratio deep / flat, and the time per term, so that growth faster
than the length shows as a rising last column.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAD = "import torch\nimport torch_pruning as tp\n\nwith torch.no_grad():\n"


def deep(terms: int) -> str:
    return HEAD + "    p = tp.pruner.BasePruner(m, " + "+".join(["1"] * terms) + ", importance=imp)\n"


def flat(terms: int) -> str:
    return HEAD + "    p = tp.pruner.BasePruner(m, 1, importance=imp)\n" + "".join(f"x{i} = {i}\n" for i in range(terms))


def lint(path: Path, runs: int) -> tuple[float, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    times, out = [], ""
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "prunelint", "--isolated", "--no-cache", "-j", "1", "--output-format", "concise", str(path)],
            capture_output=True, text=True, env=env,
        )
        times.append(time.perf_counter() - start)
        out = proc.stdout
    return statistics.median(times), out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--terms", type=int, action="append", help="repeatable (default 300, 1000, 2000, 2900)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sizes = args.terms or [300, 1000, 2000, 2900]
    print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs, {args.runs} runs each, one thread")
    print("| terms | deep | flat | deep / flat | deep ms per term | PRL001 kept |")
    print("|---:|---:|---:|---:|---:|:---:|")
    with tempfile.TemporaryDirectory() as work:
        for n in sizes:
            d, f = Path(work, f"deep_{n}.py"), Path(work, f"flat_{n}.py")
            d.write_text(deep(n))
            f.write_text(flat(n))
            deep_s, out = lint(d, args.runs)
            flat_s, _ = lint(f, args.runs)
            kept = "yes" if f"deep_{n}.py:5:9: PRL001" in out else "NO"
            print(f"| {n:,} | {deep_s:.2f} s | {flat_s:.2f} s | {deep_s / flat_s:.1f}x | {1000 * deep_s / n:.2f} | {kept} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
