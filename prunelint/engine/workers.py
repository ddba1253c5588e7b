"""Worker processes for `-j N`: this process and N - 1 forked ones analyse a round together,
and what Ctrl-C does to them.

Items are handed out one at a time, in the caller's order (largest file first), through one
pipe that every process reads: a 4-byte index is read whole, so no process waits while another
still has a queue. A child pickles each result as it is made, and sends them back once, when
the pipe is empty, then exits.
multiprocessing's pool was used before: importing and starting it (about 28 ms on 2 cores)
cost more than its second process saved on a small tree, and this process sat idle meanwhile.

A terminal sends SIGINT to the whole process group. Children ignore it, so that only this
process raises KeyboardInterrupt (one short message instead of a traceback per worker); it then
kills the children and waits for them before it goes on, so none is left behind.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import threading
from typing import Callable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_INDEX = struct.Struct("<I")
# Writes of at most PIPE_BUF bytes are atomic, so the pipe only ever holds whole indices.
_INDICES_PER_WRITE = 4096 // _INDEX.size


class WorkerDied(RuntimeError):
    pass


def map_in_processes(work: Callable[[T], R], items: Sequence[T], jobs: int) -> list[R]:
    """`[work(item) for item in items]`, in order, in `jobs` processes (this one among them).
    An exception raised by `work` in any process is raised here, after every child is gone."""
    jobs = min(jobs, len(items))
    if jobs <= 1:
        return [work(item) for item in items]
    tasks_read, tasks_write = os.pipe()
    children: list[tuple[int, int]] = []  # (pid, the read end of its results)
    done: dict[int, R] = {}
    handing_out = False
    try:
        for _ in range(jobs - 1):
            results_read, results_write = os.pipe()
            pid = os.fork()
            if pid == 0:
                # Only the hand-out thread may hold the write end, or the pipe never ends.
                os.close(tasks_write)
                _child(work, items, tasks_read, results_write)  # never returns
            os.close(results_write)
            children.append((pid, results_read))
        # Started after the forks: a child must not inherit a thread.
        threading.Thread(target=_hand_out, args=(tasks_write, len(items)), daemon=True).start()
        handing_out = True  # the thread closes the write end
        while (index := _claim(tasks_read)) is not None:
            done[index] = work(items[index])
        failure: BaseException | None = None
        while children:
            pid, results_read = children.pop(0)
            try:
                status, payload = _receive(pid, results_read)
            except BaseException:
                _kill(pid)
                raise
            if status == "ok":
                done.update(pickle.loads(blob) for blob in payload)
            elif failure is None:
                failure = payload
        if failure is not None:
            raise failure
    except BaseException:
        previous = _hold_sigint()  # a second Ctrl-C (users press it twice) must not cut this short
        try:
            for pid, results_read in children:
                _kill(pid)
                os.close(results_read)
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        raise
    finally:
        if not handing_out:
            os.close(tasks_write)
        os.close(tasks_read)  # the hand-out thread, if still writing, stops (BrokenPipeError)
    return [done[index] for index in range(len(items))]


def _hand_out(tasks_write: int, count: int) -> None:
    try:
        for start in range(0, count, _INDICES_PER_WRITE):
            stop = min(count, start + _INDICES_PER_WRITE)
            os.write(tasks_write, b"".join(_INDEX.pack(i) for i in range(start, stop)))
    except OSError:
        pass  # the run was stopped: nobody reads any more
    finally:
        os.close(tasks_write)


def _claim(tasks_read: int) -> int | None:
    data = os.read(tasks_read, _INDEX.size)
    if not data:
        return None
    return _INDEX.unpack(data)[0]


def _child(work: Callable, items: Sequence, tasks_read: int, results_write: int) -> None:
    """A forked worker: analyse what it claims, send it all back, exit without running this
    process's exit handlers or flushing its buffers (they are the parent's)."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        # Each result is pickled as soon as it is made: while the other processes still work,
        # not after the last item, when every process would wait for it (about 6 ms of a
        # round on Torch-Pruning's repository).
        out = []
        while (index := _claim(tasks_read)) is not None:
            out.append(pickle.dumps((index, work(items[index])), protocol=pickle.HIGHEST_PROTOCOL))
        payload = pickle.dumps(("ok", out), protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException as exc:  # sent to the parent, which raises it
        payload = _error_payload(exc)
    try:
        view = memoryview(payload)
        while view:
            view = view[os.write(results_write, view) :]
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _error_payload(exc: BaseException) -> bytes:
    try:
        return pickle.dumps(("error", exc), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # an exception that does not pickle
        return pickle.dumps(("error", RuntimeError(f"{type(exc).__name__}: {exc}")), protocol=pickle.HIGHEST_PROTOCOL)


def _receive(pid: int, results_read: int) -> tuple[str, object]:
    chunks = []
    try:
        while chunk := os.read(results_read, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(results_read)
    _, status = os.waitpid(pid, 0)
    if not chunks:
        return "error", WorkerDied(f"a worker process ended without its results ({_how(status)})")
    return pickle.loads(b"".join(chunks))


def _how(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _hold_sigint():
    if threading.current_thread() is not threading.main_thread():
        return None  # only the main thread may set handlers
    return signal.signal(signal.SIGINT, signal.SIG_IGN)
