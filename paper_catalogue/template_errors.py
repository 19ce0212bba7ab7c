"""A failing Jinja template -> an InputError naming the template file, its line, and what to change."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

import jinja2

from .diagnostics import InputError, error_at

_QUALIFIED = re.compile(r"'(?:\w+\.)+(\w+) object'")


def check_templates(env: jinja2.Environment) -> None:
    """Compile every template now, so a syntax error or an unknown filter stops the build before
    any work, each reported at its file and line."""
    problems = []
    folder = _folder(env)
    for name in env.list_templates(extensions=["html", "xml", "txt"]):
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as error:
            problems.extend(template_error(error, env).problems)
        except UnicodeDecodeError as error:
            line = (folder / name).read_bytes()[:error.start].count(b"\n") + 1
            problems.append(error_at(_shown(str(folder / name)), line,
                                     f"not UTF-8 (invalid byte at offset {error.start}); save it as UTF-8"))
        except (jinja2.TemplateNotFound, OSError) as error:  # a link to nothing, no permission
            reason = getattr(error, "strerror", None) or "it cannot be opened"
            problems.append(error_at(_shown(str(folder / name)), None,
                                     f"cannot be read ({reason}); make it a readable file, or remove it"))
    if problems:
        raise InputError(*problems)


def template_error(error: BaseException, env: jinja2.Environment,
                   names: Iterable[str] = ()) -> InputError | None:
    """The error as a located InputError when a template caused it, else None (a bug of ours).

    `names` are the variables the page's template was given, to suggest the right spelling.
    """
    folder = _folder(env)
    if isinstance(error, jinja2.TemplateSyntaxError):
        file = error.filename or (str(folder / error.name) if error.name else str(folder))
        message = error.message or "syntax error"
        if "No filter named" in message:
            message += " Use one of Jinja's built-in filters, or remove it."
        return InputError(error_at(_shown(file), error.lineno, message))
    file, line = _template_frame(error.__traceback__, folder)
    if isinstance(error, jinja2.TemplateNotFound):
        message = f"template {error.name!r} not found in {_shown(str(folder))}"
        return InputError(error_at(_shown(file or str(folder)), line, message))
    if file is None:
        return None
    if isinstance(error, jinja2.UndefinedError):
        given = ", ".join(sorted(set(names)))
        hint = f"; check the spelling (this page is given: {given})" if given else "; check the spelling"
        # "'paper_catalogue.views.PaperView object' has no attribute" -> "'PaperView' has no attribute"
        message = _QUALIFIED.sub(r"'\1'", error.message or "undefined")
        return InputError(error_at(_shown(file), line, f"{message}{hint}"))
    return InputError(error_at(_shown(file), line, f"{type(error).__name__}: {error}"))


def _folder(env: jinja2.Environment) -> Path:
    loader = env.loader
    paths = getattr(loader, "searchpath", None) or ["templates"]
    return Path(paths[0])


def _template_frame(tb: TracebackType | None, folder: Path) -> tuple[str | None, int | None]:
    """The innermost frame in a template file: Jinja rewrites each template frame's traceback
    entry to the template's file name and line."""
    root = os.path.abspath(folder)
    found: tuple[str | None, int | None] = (None, None)
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if os.path.abspath(name).startswith(root + os.sep):
            found = (name, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _shown(path: str) -> str:
    """A path relative to the working folder when it is inside it, as the user typed it."""
    try:
        return str(Path(path).absolute().relative_to(Path.cwd()))
    except ValueError:
        return path
