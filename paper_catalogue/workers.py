"""The build's one way of using every core: a task mapped over items in forked worker processes."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

MAX_WORKERS = 8
_TASK: Callable | None = None
"""The task of the pool running now. Workers inherit it by fork, with all it refers to (a
catalogue, a matrix): only each item and each result cross between processes, pickled."""


def cores() -> int:
    """The cores this process may run on (its affinity, which containers and taskset narrow)."""
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else range(os.cpu_count() or 1)
    return min(len(usable), MAX_WORKERS)


def forked_map(task: Callable[[Item], Result], items: Sequence[Item], workers: int | None = None) -> list[Result]:
    """[task(item) for item in items], in that order, computed by `workers` forked processes
    (default: one per core). Where processes cannot fork (Windows), or there is one worker or
    one item, the items are done here, one after another: same results, no pool."""
    workers = workers or cores()
    if workers < 2 or len(items) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [task(item) for item in items]
    global _TASK
    _TASK = task
    try:
        with multiprocessing.get_context("fork").Pool(workers, initializer=quiet_worker) as pool:
            return pool.map(_run_task, items, chunksize=1)
    finally:
        _TASK = None


def _run_task(item):
    return _TASK(item)


def quiet_worker() -> None:
    """Initializer of the worker processes: signals are the parent's business.

    Forked workers inherit the CLI's handlers; without this, Ctrl-C or a pool's own SIGTERM at
    shutdown would raise in every worker and print its traceback next to the parent's message.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
