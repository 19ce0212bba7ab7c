"""Reading the files a site owner edits: their text, TOML data, and the line each key is on."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from .diagnostics import input_error, toml_error

_KEY = re.compile(r"""\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*=""")
_TABLE = re.compile(r"\s*\[\[?\s*([A-Za-z0-9_-]+)")


def read_site_file(path: Path) -> str:
    """A site_src text file; unreadable bytes or files are an InputError naming the file."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        line = path.read_bytes()[:error.start].count(b"\n") + 1
        raise input_error(path, line, f"not UTF-8 (invalid byte at offset {error.start}); "
                                      "save the file as UTF-8") from None
    except OSError as error:
        raise input_error(path, None, f"cannot be read ({error.strerror or error}); "
                                      "check that it is a readable file") from None


def load_toml(path: Path) -> tuple[dict, str]:
    """A site_src TOML file's data and text; a syntax error is an InputError at its line."""
    text = read_site_file(path)
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as error:
        raise toml_error(path, error, text) from None


def key_lines(text: str) -> dict[str, int]:
    """Keys (and table headers) at the start of a line of a TOML file -> the first line each is on."""
    found: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        match = _KEY.match(line) or _TABLE.match(line)
        if match:
            name = next(group for group in match.groups() if group is not None)
            found.setdefault(name, number)
    return found
