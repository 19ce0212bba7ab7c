"""Warnings and errors the build reports, each naming the file (and line) it is about."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A problem with one place in the input: a warning the build worked around, or an error.

    `line` is 1-based; 0 means the file as a whole (it is then left out of the text).
    """

    file: str
    line: int
    message: str
    severity: str = "warning"
    """"warning": input the build could not read fully (fatal with --strict); "note": worth
    knowing, nothing is wrong with the input; "error": input that stops the build."""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.severity}: {self.message}" if where else f"{self.severity}: {self.message}"


def error_at(file: str | Path, line: int | None, message: str) -> Diagnostic:
    """An error at a place in the input (line None or 0: the whole file)."""
    return Diagnostic(str(file), line or 0, message, "error")


class BuildError(Exception):
    """A problem that stops the build; its text is shown to the user as is."""


class InputError(BuildError):
    """Input a site owner edits is wrong: one or more located errors, each saying what to change."""

    def __init__(self, *problems: Diagnostic) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems

    def __reduce__(self):  # worker processes send it back pickled; rebuild it from its problems
        return (InputError, self.problems)


def input_error(file: str | Path, line: int | None, message: str) -> InputError:
    return InputError(error_at(file, line, message))


class SeedError(BuildError):
    """A seed file (or the seeds folder) that cannot be read at all."""

    def __init__(self, file: str, message: str) -> None:
        super().__init__(f"{file}: {message}")
        self.file = file


_TOML_AT = re.compile(r"\s*\(at line (\d+), column \d+\)$|\s*\(at end of document\)$")


def toml_error(file: str | Path, error: Exception, text: str = "") -> InputError:
    """A tomllib.TOMLDecodeError as a located error (its line is only in its message)."""
    message = str(error)
    match = _TOML_AT.search(message)
    line = None
    if match:
        line = int(match.group(1)) if match.group(1) else max(1, len(text.splitlines()))
        message = message[:match.start()]
    return input_error(file, line, f"not valid TOML: {message}")


def os_error_problem(error: OSError, inputs: list[Path]) -> Diagnostic:
    """A failed read or write as an error naming its file; one inside the inputs says what to do."""
    file = error.filename if isinstance(error.filename, str) else ""
    reason = error.strerror or str(error)
    inside = file and any(Path(file).absolute().is_relative_to(folder.absolute()) for folder in inputs)
    if inside:
        return error_at(file, None, f"cannot be read ({reason}); make it readable, or remove it")
    return error_at(file, None, reason)
