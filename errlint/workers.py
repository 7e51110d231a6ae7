"""Lint files in worker processes that may die: one file can never take the run down.

libcst's native parser can overflow the C stack on valid code (an `and` chain of ~8,000 operands,
an f-string with ~1,500 nested parentheses): the process gets SIGSEGV, which no `except` catches.
So every file of a run is parsed and linted in a worker process, also with `-j 1`:

- each worker lints one file at a time, in a thread with a large stack (`STACK_SIZE`), which lets
  the parser finish most such files instead of crashing;
- a worker that dies anyway (a signal, the memory ceiling) is replaced; its file becomes an XH000
  "errlint could not analyse this file: ..." plus an engine crash (exit code 2), and every other
  file is linted and reported as usual;
- a worker's address space is capped (`errlint.limits`, `RLIMIT_AS` where the platform has it),
  so a runaway file ends as an XH000, not as an out-of-memory kill of the machine's processes.

Interface: `lint_isolated(files, settings, jobs)` yields `(index, FileResult)` as files finish
(`index` into `files`); `errlint.engine.lint_files` calls it.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import sys
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Optional, Sequence

from errlint.limits import Limits, memory_exhausted, start_file

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from errlint.config import Config
    from errlint.engine import FileResult
    from errlint.rule import LintRule

STACK_SIZE = 256 * 1024 * 1024  # virtual; only the pages a deep parse touches are ever used


@dataclass(frozen=True)
class LintSettings:
    """What every worker needs: picklable (rules travel by code when processes are spawned)."""

    config: Config
    rules: tuple[type[LintRule], ...]
    keep_source: bool = False
    prefilter: bool = True
    cache_keys: bool = False  # workers compute each result's cache key; the parent stores results
    limits: Limits = Limits()


def _context() -> Any:
    """fork where it is safe and cheap (Linux); spawn elsewhere (the default on macOS/Windows)."""
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


# --- in the worker ------------------------------------------------------------------------


def _serve(conn: Connection, settings: LintSettings, codes: Optional[tuple[str, ...]]) -> None:
    """Worker main: take `(index, path, display)` until `None`; answer `(index, FileResult)`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    from errlint import engine
    from errlint.rule import all_rules

    rules = list(settings.rules) if codes is None else [r for r in all_rules() if r.CODE in codes]
    state = engine._WorkerState(
        settings.config, rules, engine.rule_options(settings.config, rules), settings.keep_source,
        settings.cache_keys, settings.prefilter, settings.limits,
    )  # fmt: skip
    engine._set_worker(state)
    import gc

    gc.freeze()  # what is loaded now lives as long as the worker: never traverse it again
    threading.stack_size(STACK_SIZE)
    thread = threading.Thread(target=_loop, args=(conn, engine.lint_file, settings.limits), name="errlint-worker")
    thread.start()
    thread.join()


RECURSION_LIMIT = 60_000  # Python frames a worker thread may nest: its big stack holds them


def _loop(conn: Connection, lint_file: Any, limits: Limits) -> None:
    limits.apply_memory_ceiling()  # here: the thread's stack is mapped already
    # libcst's code generation and visitors recurse once per nesting level (an `and` chain of
    # 8,000 operands is ~25,000 frames); this thread's stack has room for them. A file deeper
    # still overflows the stack and costs only its own XH000, never the run.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if task is None:
            return
        index, path, display = task
        start_file()
        result = lint_file(path, display)
        retire = _ran_out_of_memory(result)  # say why, and let a fresh worker go on
        if retire:
            result = _failed(display, MEMORY_REASON)
        try:
            conn.send((index, result, retire))
        except (EOFError, OSError):
            return  # the parent is gone
        except Exception as err:  # noqa: XH102 - a result that cannot be sent is still this file's result
            failed = _failed(display, f"its result could not be sent back ({type(err).__name__}: {err})", crash=True)
            conn.send((index, failed, False))
        if retire:
            return


def _ran_out_of_memory(result: FileResult) -> bool:
    failed = any(f.code == "XH000" and "memory" in f.message.lower() for f in result.findings) or any(
        "MemoryError" in c.error for c in result.crashes
    )
    return failed and memory_exhausted()


# --- in the parent ------------------------------------------------------------------------


class _Worker:
    def __init__(self, ctx: Any, settings: LintSettings) -> None:
        codes = None if ctx.get_start_method() == "fork" else tuple(r.CODE for r in settings.rules)
        self.conn, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=_serve, args=(child, settings, codes), daemon=True)
        self.process.start()
        child.close()
        self.task: Optional[tuple[int, str]] = None  # (index, display) of the file it is linting

    def give(self, index: int, path: Path, display: str) -> None:
        self.task = (index, display)
        self.conn.send((index, path, display))

    def stop(self) -> None:
        if self.process.is_alive() and self.task is None:
            try:
                self.conn.send(None)
            except OSError:
                pass  # it died meanwhile; joined below
            self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


def lint_isolated(
    files: Sequence[tuple[Path, str]], settings: LintSettings, jobs: int
) -> Iterator[tuple[int, FileResult]]:
    """Lint `(path, display)` pairs in up to `jobs` worker processes; yield `(index, result)`.

    Every index is yielded exactly once, whatever happens to the workers.
    """
    if not files:
        return
    ctx = _context()
    # The largest files first: a large file started last keeps one worker busy while the others
    # have nothing left to do (pre-commit runs name a few files, often one large one).
    queue = deque(sorted(range(len(files)), key=lambda i: -_size(files[i][0])))
    workers: list[_Worker] = []
    try:
        for _ in range(max(1, min(jobs, len(files)))):
            workers.append(_Worker(ctx, settings))
        for worker in workers:
            if queue:
                index = queue.popleft()
                worker.give(index, *files[index])
        while any(w.task is not None for w in workers):
            busy = [w for w in workers if w.task is not None]
            ready = multiprocessing.connection.wait([w.conn for w in busy] + [w.process.sentinel for w in busy])
            for worker in busy:
                if worker.conn not in ready and worker.process.sentinel not in ready:
                    continue
                outcome = _receive(worker)
                if outcome is None:  # the worker died: report its file, replace it
                    assert worker.task is not None
                    index, display = worker.task
                    worker.task = None
                    worker.stop()
                    yield index, _died(display, worker.process.exitcode, settings.limits)
                    workers[workers.index(worker)] = worker = _Worker(ctx, settings)
                else:
                    worker.task = None
                    index, result, retire = outcome
                    if retire:
                        worker.stop()
                        workers[workers.index(worker)] = worker = _Worker(ctx, settings)
                    yield index, result
                if queue:
                    index = queue.popleft()
                    worker.give(index, *files[index])
    finally:
        for worker in workers:
            worker.stop()


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0  # linted in its turn, and reported then


def _receive(worker: _Worker) -> Optional[tuple[int, FileResult, bool]]:
    try:
        if worker.conn.poll():
            index, result, retire = worker.conn.recv()
            return int(index), result, bool(retire)
    except (EOFError, OSError, pickle.UnpicklingError):
        return None  # closed (or cut off mid-message): the process ended while answering
    if worker.process.is_alive():
        # The sentinel fired without data: wait for the process to finish dying.
        worker.process.join()
    return None


def _signal_name(exitcode: Optional[int]) -> str:
    if exitcode is None:
        return "it stopped responding"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (a stack overflow in the parser, most likely)" if name == "SIGSEGV" else ""
        return f"the worker process was killed by {name}{hint}"
    return f"the worker process exited with status {exitcode}"


def _died(display: str, exitcode: Optional[int], limits: Limits) -> FileResult:
    if exitcode == -signal.SIGABRT and limits.worker_memory_mb > 0 and sys.platform.startswith("linux"):
        # libcst's native code aborts when an allocation fails: under the ceiling, that is the ceiling.
        return _failed(display, MEMORY_REASON)
    return _failed(display, _signal_name(exitcode), crash=True)


MEMORY_REASON = "it needs more memory than a worker may use (`limits.worker-memory-mb`)"


def _failed(display: str, reason: str, *, crash: bool = False) -> FileResult:
    from errlint.engine import FileResult, unparsable
    from errlint.finding import RuleCrash

    finding = unparsable(display, f"errlint could not analyse this file: {reason}")
    crashes = [RuleCrash(display, "engine", reason, f"no Python traceback: {reason}\n")] if crash else []
    return FileResult(display, [finding], crashes=crashes)


def default_jobs() -> int:
    return os.cpu_count() or 1
