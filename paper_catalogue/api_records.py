"""Hugging Face Daily Papers API records -> entries: a day's JSON response or JSON lines, item by item.

A `*.json` seed is what `GET /api/daily_papers` returns (and what `python build.py fetch` saves):
a JSON list of items `{paper: {id, title, summary, authors, publishedAt, upvotes, ...},
organization?, ...}`. A `*.jsonl` seed holds one such item a line. An object without `paper` is
read as the paper itself, so an archive of paper records reads too.

Each item is validated by the models below, at the edge; fields they do not name are ignored, so
fields the API adds later change nothing. An item that is not an object, or lacks a title or a
summary, is a warning naming the file, the item and its line, and every other item is still read.
A file whose JSON breaks off keeps the items before the break.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from .diagnostics import SeedError
from .models import ARXIV_ID, Entry, Identity, Organization, Source
from .seeds import FileResult, _open_seed, _Warnings, _quote

API_SUFFIXES = (".json", ".jsonl")


class _Lenient(BaseModel):
    """The API's own shapes: unknown fields ignored, values coerced as JSON gives them."""

    model_config = ConfigDict(extra="ignore")


class ApiAuthor(_Lenient):
    name: str = ""
    hidden: bool = False


class ApiOrganization(_Lenient):
    name: str
    fullname: str | None = None


class ApiPaper(_Lenient):
    id: str | None = None
    title: str | None = None
    summary: str | None = None
    authors: list[ApiAuthor] = []
    publishedAt: dt.datetime | None = None
    upvotes: int | None = None
    githubRepo: str | None = None
    githubStars: int | None = None
    projectPage: str | None = None
    ai_keywords: list[str] = []

    @field_validator("authors", "ai_keywords", mode="before")
    @classmethod
    def _none_is_empty(cls, value):
        return [] if value is None else value


class ApiItem(_Lenient):
    paper: ApiPaper
    title: str | None = None
    summary: str | None = None
    organization: ApiOrganization | None = None


def is_api_seed(path: Path) -> bool:
    return path.suffix in API_SUFFIXES


def read_api_file(path: Path, label: str, name: str) -> FileResult:
    """Every item of one API seed file as an entry; `label` names the file in warnings, `name`
    in the entries' sources (its path under the seeds folder)."""
    with _open_seed(path, label) as handle:
        data = handle.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SeedError(label, f"not UTF-8: invalid byte at offset {error.start}") from None
    warnings = _Warnings(label)
    items = _jsonl_items(text, warnings) if path.suffix == ".jsonl" else _json_items(text, warnings)
    result = FileResult()
    for index, line, value in items:
        entry = _entry(value, Source(file=name, line=line), f"item {index}", warnings.add)
        if entry is not None:
            result.entries.append(entry)
    result.warnings = warnings.report()
    return result


def _json_items(text: str, warnings: _Warnings):
    """(index, line, value) of each element of the file's top-level list, read one at a time so
    an error names its item, and the items before it are kept."""
    decoder = json.JSONDecoder()
    position = _skip_space(text, 0)
    if position == len(text):
        warnings.add(1, "empty file: no API records")
        return
    if text[position] != "[":
        warnings.add(_line_at(text, position), "not a daily-papers response: expected a JSON list of items")
        return
    position = _skip_space(text, position + 1)
    index = 0
    while position < len(text) and text[position] != "]":
        line = _line_at(text, position)
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            warnings.add(error.lineno, f"item {index}: not valid JSON ({error.msg}, column {error.colno}); "
                                       "the rest of the file is skipped")
            return
        yield index, line, value
        index += 1
        position = _skip_space(text, position)
        if position < len(text) and text[position] == ",":
            position = _skip_space(text, position + 1)
        elif position < len(text) and text[position] != "]":
            warnings.add(_line_at(text, position), f"after item {index - 1}: expected ',' or ']'; "
                                                   "the rest of the file is skipped")
            return
    if position >= len(text):
        warnings.add(_line_at(text, len(text) - 1), "the list is never closed: the file may be cut short")


def _jsonl_items(text: str, warnings: _Warnings):
    index = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            warnings.add(number, f"item {index}: not valid JSON ({error.msg}, column {error.colno}); skipped",
                         kind="line(s) that are not valid JSON; skipped")
        else:
            yield index, number, value
        index += 1


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _line_at(text: str, position: int) -> int:
    return text.count("\n", 0, max(position, 0)) + 1


def _entry(value: object, source: Source, item: str, warn) -> Entry | None:
    """One item as an entry, or None with a warning saying why it was skipped."""
    if not isinstance(value, dict):
        kind = type(value).__name__ if value is not None else "null"
        warn(source.line, f"{item}: not an object but a JSON {_json_kind(kind)}; skipped",
             kind=f"items that are not objects but JSON {_json_kind(kind)}s; skipped")
        return None
    try:
        record = ApiItem.model_validate(value if "paper" in value else {"paper": value})
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        warn(source.line, f"{item}: {where}: {problem['msg']}; skipped")
        return None
    paper = record.paper
    title = _one_line(paper.title or record.title or "")
    abstract = _one_line(paper.summary or record.summary or "")
    missing = [name for name, text in (("title", title), ("summary", abstract)) if not text]
    if missing:
        warn(source.line, f"{item}: no {' or '.join(missing)}; skipped")
        return None
    return Entry(
        title=title, abstract=abstract,
        published=paper.publishedAt.date() if paper.publishedAt else None,
        upvotes=paper.upvotes if paper.upvotes is None or paper.upvotes >= 0 else None,
        authors=len(names) if (names := _author_names(paper)) else None,
        organization=_organization(record.organization),
        identity=_identity(paper, names, source, item, warn),
        source=source,
    )


def _json_kind(python_kind: str) -> str:
    return {"str": "string", "list": "list", "int": "number", "float": "number", "bool": "boolean"}.get(
        python_kind, python_kind)


def _one_line(text: str) -> str:
    """The API keeps arXiv's hard line breaks; a page shows the text as one paragraph."""
    return " ".join(text.split())


def _author_names(paper: ApiPaper) -> tuple[str, ...]:
    """The authors a paper's page shows, in order: `hidden` ones are left out, as Hugging Face does."""
    return tuple(name for author in paper.authors if not author.hidden and (name := _one_line(author.name)))


def _organization(organization: ApiOrganization | None) -> Organization | None:
    if organization is None or not organization.name.strip():
        return None
    return Organization(handle=organization.name.strip(),
                        name=_one_line(organization.fullname or "") or organization.name.strip())


def _identity(paper: ApiPaper, names: tuple[str, ...], source: Source, item: str, warn) -> Identity | None:
    arxiv_id = (paper.id or "").strip()
    if not re.match(ARXIV_ID, arxiv_id):
        warn(source.line, f"{item}: paper.id {_quote(arxiv_id)} is not an arXiv id; the paper is kept without it")
        return None
    return Identity(
        arxiv_id=arxiv_id, author_names=names,
        code_url=_web_url(paper.githubRepo), code_stars=paper.githubStars if (paper.githubStars or 0) >= 0 else None,
        project_url=_web_url(paper.projectPage),
        keywords=tuple(dict.fromkeys(k for keyword in paper.ai_keywords if (k := _one_line(keyword)))),
    )


def _web_url(url: str | None) -> str | None:
    """An http(s) address, or None: a link on the page must never be `javascript:` or relative."""
    url = (url or "").strip()
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None
