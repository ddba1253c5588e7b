"""Worker processes: this process and N - 1 forked ones share a round, and none is left when it
ends, whether it ends well, in an exception or with a worker killed."""

from __future__ import annotations

import os
import signal
import textwrap
import time
from pathlib import Path

import pytest

from prunelint import api
from prunelint.engine import workers

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")


def _children() -> set[int]:
    """This process's child processes, zombies included."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                text = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(text[text.rindex(")") + 2 :].split()[1]) == os.getpid():
                found.add(int(entry))
    return found


class _Meeting:
    """Each call waits until two processes have called: so that neither can take both items.
    A bound on a hang only: it returns as soon as the other process arrives."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __call__(self) -> None:
        (self.folder / str(os.getpid())).touch()
        deadline = time.monotonic() + 600
        while len(os.listdir(self.folder)) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)


def test_items_come_back_in_order() -> None:
    before = _children()
    assert workers.map_in_processes(lambda x: x * x, range(500), 2) == [x * x for x in range(500)]
    assert _children() == before


def test_this_process_and_a_forked_one_share_the_items(tmp_path: Path) -> None:
    meet = _Meeting(tmp_path)

    def pid(_item: int) -> int:
        meet()
        return os.getpid()

    before = _children()
    pids = workers.map_in_processes(pid, range(2), 2)
    assert os.getpid() in pids and len(set(pids)) == 2
    assert _children() == before


def _raise(item: int) -> None:
    raise ValueError(f"bad item {item}")


def _die(item: int) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.parametrize(
    ("fail", "expected", "message"),
    [(_raise, ValueError, "bad item"), (_die, workers.WorkerDied, "signal 9")],
    ids=["an exception in a worker is raised here", "a worker that dies is reported"],
)
def test_a_failing_worker_leaves_no_worker(tmp_path: Path, fail, expected, message) -> None:
    meet, parent = _Meeting(tmp_path), os.getpid()

    def fail_in_the_child(item: int) -> int:
        meet()
        if os.getpid() != parent:
            fail(item)
        return item

    before = _children()
    with pytest.raises(expected, match=message):
        workers.map_in_processes(fail_in_the_child, range(2), 2)
    assert _children() == before


def test_an_exception_here_kills_the_workers(tmp_path: Path) -> None:
    meet, parent = _Meeting(tmp_path), os.getpid()

    def fail_here(item: int) -> int:
        meet()
        if os.getpid() == parent:
            raise KeyError("here")
        time.sleep(600)  # the child would run on; it must be killed, not waited for
        return item

    before = _children()
    with pytest.raises(KeyError):
        workers.map_in_processes(fail_here, range(2), 2)
    assert _children() == before


def test_more_items_than_a_pipe_holds() -> None:
    count = 40_000  # 160 kB of indices: the pipe (64 kB) is refilled while the workers take
    assert workers.map_in_processes(int, range(count), 2) == list(range(count))


def test_a_run_of_two_rounds_leaves_no_worker(tmp_path: Path, monkeypatch) -> None:
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
    forked: list[int] = []
    real = workers.map_in_processes

    def counted(work, items, jobs):
        forked.append(jobs)
        return real(work, items, jobs)

    monkeypatch.setattr(workers, "map_in_processes", counted)
    before = _children()
    options = api.find_options(tmp_path, jobs=2)
    rows = sorted((Path(d.filename).name, d.code) for d in api.check_paths([str(tmp_path)], options).diagnostics)
    assert [row for row in rows if row[1] == "PRL001"] == [(f"train{i}.py", "PRL001") for i in range(4)]
    assert forked == [2, 2]
    assert _children() == before
