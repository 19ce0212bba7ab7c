"""forked_map: results in order, from forked processes, with the task inherited rather than pickled."""

from __future__ import annotations

import multiprocessing
import os
import threading

import pytest

from paper_catalogue import workers


def test_results_come_in_order_from_other_processes():
    lock = threading.Lock()  # cannot be pickled: the task reaches the workers by fork alone
    results = workers.forked_map(lambda n: (n * n, os.getpid(), lock.locked()), list(range(20)), workers=2)
    assert [square for square, _, _ in results] == [n * n for n in range(20)]
    assert os.getpid() not in {pid for _, pid, _ in results}
    assert workers._TASK is None  # nothing of the task is left behind for the next pool


def test_without_fork_the_same_results_come_from_this_process(monkeypatch):
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    results = workers.forked_map(lambda n: (n + 1, os.getpid()), [1, 2, 3], workers=2)
    assert results == [(2, os.getpid()), (3, os.getpid()), (4, os.getpid())]


def test_a_task_that_fails_in_a_worker_fails_the_call():
    def task(n: int) -> int:
        if n == 3:
            raise ValueError("paper 3 cannot be rendered")
        return n

    with pytest.raises(ValueError, match="paper 3"):
        workers.forked_map(task, [1, 2, 3, 4], workers=2)
    assert workers._TASK is None


def test_cores_counts_at_least_one_and_at_most_the_cap():
    assert 1 <= workers.cores() <= workers.MAX_WORKERS
