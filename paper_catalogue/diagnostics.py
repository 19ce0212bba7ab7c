"""Warnings and errors the build reports, each naming the file (and line) it is about."""

from __future__ import annotations

import signal
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A problem with one place in the input that the build worked around."""

    file: str
    line: int
    message: str
    level: str = "warning"
    """"warning": input the build could not read fully (fatal with --strict); "note": worth
    knowing, but nothing is wrong with the input."""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.level}: {self.message}"


class BuildError(Exception):
    """A problem that stops the build; its text is shown to the user as is."""


class SeedError(BuildError):
    """A seed file (or the seeds folder) that cannot be read at all."""

    def __init__(self, file: str, message: str) -> None:
        super().__init__(f"{file}: {message}")
        self.file = file


def quiet_worker() -> None:
    """Initializer of the build's worker processes: signals are the parent's business.

    Forked workers inherit the CLI's handlers; without this, Ctrl-C or a pool's own SIGTERM at
    shutdown would raise in every worker and print its traceback next to the parent's message.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
