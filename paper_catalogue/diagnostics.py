"""Warnings and errors the build reports, each naming the file (and line) it is about."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A problem with one place in the input that the build worked around."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: warning: {self.message}"


class BuildError(Exception):
    """A problem that stops the build; its text is shown to the user as is."""


class SeedError(BuildError):
    """A seed file (or the seeds folder) that cannot be read at all."""

    def __init__(self, file: str, message: str) -> None:
        super().__init__(f"{file}: {message}")
        self.file = file
