"""The forked helper process: its answer, its errors, and a child that dies."""

from __future__ import annotations

import os
import signal
import time

import pytest

from paper_catalogue.diagnostics import BuildError
from paper_catalogue.forked import Forked


def add(a, b):
    return a + b


def fail():
    raise ValueError("bad input in the child")


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def sleep_long():
    time.sleep(60)


def test_the_childs_answer_comes_back():
    with Forked(add, 2, [3][0]) as job:
        assert job.result() == 5


def test_the_childs_error_is_raised_in_the_parent():
    with Forked(fail) as job, pytest.raises(ValueError, match="bad input in the child"):
        job.result()


def test_a_child_that_dies_is_a_build_error_not_a_hang():
    with Forked(die) as job, pytest.raises(BuildError, match="worker process died"):
        job.result()


def test_leaving_early_stops_the_child():
    started = time.monotonic()
    with Forked(sleep_long) as job:
        process = job._process
    assert not process.is_alive()
    assert time.monotonic() - started < 10
