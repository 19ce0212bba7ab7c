"""One function run in a forked child process while the parent goes on with other work."""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable
from typing import Any

from .diagnostics import BuildError, quiet_worker


class Forked:
    """Starts `function(*args)` in a child at once; result() waits for its value or re-raises its error.

    The child inherits the arguments through fork, so nothing is pickled on the way in; only the
    result travels back. Used as a context manager, a child whose result is never asked for
    (the parent failed, or was interrupted) is stopped on the way out.
    """

    def __init__(self, function: Callable[..., Any], *args: Any) -> None:
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        # Not a daemon: the child may start its own worker processes.
        self._process = context.Process(target=_run, args=(send, function, args), daemon=False)
        self._process.start()
        send.close()  # the parent's copy: EOF reaches result() if the child dies without answering

    def result(self) -> Any:
        try:
            ok, value = self._receive.recv()
        except EOFError:
            self._process.join()
            raise BuildError(f"a worker process died (exit code {self._process.exitcode}) "
                             "before it finished; out of memory?") from None
        finally:
            self._receive.close()
        self._process.join()
        if not ok:
            raise value
        return value

    def __enter__(self) -> Forked:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()


def _run(send, function: Callable[..., Any], args: tuple) -> None:
    quiet_worker()
    try:
        answer = (True, function(*args))
    except BaseException as error:  # noqa: BLE001 - every failure goes back to the parent to be raised there
        error.add_note("".join(traceback.format_exception(error)).rstrip())
        answer = (False, error)
    try:
        send.send(answer)
    except Exception as error:  # the error itself would not pickle: send what it said
        send.send((False, BuildError(f"{type(answer[1]).__name__}: {answer[1]}") if not answer[0]
                   else BuildError(f"a worker's result could not be sent back: {error}")))
    finally:
        send.close()
