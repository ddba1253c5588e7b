"""Worker processes: forked once per run and kept between its rounds, and gone when it ends."""

from __future__ import annotations

import multiprocessing
import os
import textwrap
from pathlib import Path

from prunelint import api
from prunelint.engine import workers


def _pid(_item: int) -> int:
    return os.getpid()


def test_workers_are_kept_between_maps_and_closed_at_the_end() -> None:
    pool = workers.Workers(2)
    try:
        first = set(pool.map(_pid, range(40), chunksize=1))
        children = {p.pid for p in multiprocessing.active_children()}
        second = set(pool.map(_pid, range(40), chunksize=1))
        assert {p.pid for p in multiprocessing.active_children()} == children  # no new fork
    finally:
        pool.close()
    assert len(children) == 2
    assert os.getpid() not in first | second
    assert first | second <= children
    assert not multiprocessing.active_children()


def test_a_run_of_two_rounds_forks_once_and_leaves_no_worker(tmp_path: Path, monkeypatch) -> None:
    # Round one: the files that use torch_pruning; round two: those naming its builder.
    for i in range(4):
        (tmp_path / f"build{i}.py").write_text(textwrap.dedent(f"""
            import torch_pruning as tp

            def build_{i}(model, x):
                return tp.pruner.MagnitudePruner(model, x, importance=None)
            """), "utf-8")
        (tmp_path / f"train{i}.py").write_text(textwrap.dedent(f"""
            import torch
            from build{i} import build_{i}

            def main(model, x):
                with torch.no_grad():
                    return build_{i}(model, x)
            """), "utf-8")
    started: list[int] = []
    init = workers.Workers.__init__

    def counted(self, jobs: int) -> None:
        started.append(jobs)
        init(self, jobs)

    monkeypatch.setattr(workers.Workers, "__init__", counted)
    options = api.find_options(tmp_path, jobs=2, min_files_per_job=1)
    rows = sorted((Path(d.filename).name, d.code) for d in api.check_paths([str(tmp_path)], options).diagnostics)
    assert [row for row in rows if row[1] == "PRL001"] == [(f"train{i}.py", "PRL001") for i in range(4)]
    assert started == [2]
    assert not multiprocessing.active_children()
