"""Listing dumps -> entries: line reading, the two layouts, page furniture, dates and warnings."""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import os
import re
import stat
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import Diagnostic, SeedError
from .models import Entry, Organization, Paper, Source

# Lines Hugging Face's listing, search and paper pages carry around the papers; never a paper.
FURNITURE = frozenset(
    {
        "new",
        "Subscribe",
        "Daily Papers",
        "byAK and the research community",
        "Get trending papers in your email inbox!",
        "Get trending papers in your email inbox once a day!",
        # buttons and links beside each paper, and the paper page's headings
        "View arXiv page", "View PDF", "Add to collection", "Upvote", "Paper page", "Abstract",
        "AI-generated summary", "Authors:", "Community", "Comment", "Comments", "Collections",
        "Models citing this paper", "Datasets citing this paper", "Spaces citing this paper",
        "Collections including this paper", "Sign up or log in to comment",
        "Get this paper in your agent:", "Join the discussion on this paper page", "Copy link",
        "Share", "Project page", "GitHub", "arXiv", "Follow", "Load more", "Show more",
        # the page's own navigation
        "Previous", "Next", "Daily", "Weekly", "Monthly", "Trending Papers", "Search", "Papers",
        "Hugging Face", "Models", "Datasets", "Spaces", "Posts", "Docs", "Enterprise", "Pricing",
        "Log In", "Sign Up",
    }
)
FURNITURE_PATTERNS = (
    re.compile(r"^Submitted by\s+\S.{0,80}$"),                 # "Submitted by akhaliq"
    re.compile(r"^\d{1,9}$"),                                   # an upvote count on its own
    re.compile(r"^Upvote\s*\d{1,9}$"),                          # "Upvote 12"
    re.compile(r"^\+\d{1,4}$"),                                 # "+3": more authors than avatars
    re.compile(r"^Published on [A-Z][a-z]{2} \d{1,2}(?:, \d{4})?$"),
    re.compile(r"^(?:Cite\s+)?(?:arXiv:\s*|arxiv\.org/abs/)\S{1,40}$", re.IGNORECASE),
    re.compile(r"^\d{4}\.\d{4,5}(?:v\d{1,3})?$"),                # a bare arXiv id
)
# "Submitted by" alone: the submitter's name is the next line.
SUBMITTED_BY = "Submitted by"
MAX_SUBMITTER = 80
# The date a page shows in its header, weekday first: "Thursday, Oct 24, 2024". Its year is the
# page's capture year.
HEADER_DATE = re.compile(
    r"^(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, (?P<month>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r" (?P<day>\d{1,2})(?:, (?P<year>\d{4}))?$"
)
# Copying the page glues the subscribe button onto the first title: "SubscribeCritique-out-Loud".
GLUED_SUBSCRIBE = re.compile(r"^Subscribe(?=[A-Z0-9])")
MONTHS = {name: number for number, name in enumerate(calendar.month_abbr) if name}
# Counts are capped in length: int() refuses more than 4300 digits, and no listing shows a billion.
DATE_LINE = re.compile(
    r"^(?P<month>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (?P<day>\d{1,2})"
    r"(?:, (?P<year>\d{4}))?(?: (?P<upvotes>\d{1,9}))?$"
)
AUTHORS_LINE = re.compile(r"^•\s*(?P<count>\d{1,9}) authors?$")
# An organisation: its hub handle, then its display name (any words, any script); a listing that
# shows the handle alone gives it as the name too.
ORGANIZATION_LINE = re.compile(r"^(?P<handle>[^\W_][\w.-]*)(?:\s+(?P<name>\S.*))?$")
# A line this long is an abstract, never a title (the longest of 2,212 real 2024 titles has 155
# characters, the shortest abstract 165, and nearly all abstracts are longer than 350).
ABSTRACT_LENGTH = 250
# A warning given this many times in one file is shown once, with its count and first lines.
REPEATS_SHOWN = 3
SEPARATOR = "·"
MAX_META_LINE = 160
# Characters a copy from a browser brings in that mean plain spaces (with the C0/C1 spacing
# controls: vertical tab, form feed, next line).
SPACE_LIKE = re.compile(r"[\u00a0\u2007\u202f\t\x0b\x0c\x85]")
# Code points that are not text: other C0/C1 controls (NUL included) and Unicode noncharacters.
# XML 1.0 cannot hold most of them (a feed would not parse) and HTML calls them parse errors.
_NOT_TEXT_BMP = "\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ufdd0-\ufdef\ufffe\uffff"
_NOT_TEXT_ASTRAL = "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(1, 17))
NOT_TEXT = re.compile(f"[{_NOT_TEXT_BMP}{_NOT_TEXT_ASTRAL}]")
# The same set in two parts: a class of 32 astral singletons is slow to match on every character,
# and only lines holding astral characters (rare) need it.
_NOT_TEXT_BMP_RE = re.compile(f"[{_NOT_TEXT_BMP}]")
_NOT_TEXT_ASTRAL_RE = re.compile(f"[{_NOT_TEXT_ASTRAL}]")
# Bytes read at a time: lines are split from fixed-size blocks, so a file without line feeds
# (CR-only endings, or one huge line) never arrives as one giant readline().
READ_BLOCK = 1 << 20
LINE_BREAK = re.compile(rb"\r\n?|\n")


@dataclass(frozen=True, slots=True)
class Line:
    number: int
    text: str
    removed: int = 0
    """How many NOT_TEXT code points were taken out of this line."""


@dataclass(slots=True)
class RawDate:
    """A listing date before its year is known: the page's capture year decides it."""

    month: int
    day: int
    year: int | None
    line: int


@dataclass(slots=True)
class RawEntry:
    title: Line
    abstract: str = ""
    authors: int | None = None
    organization: Organization | None = None
    date: RawDate | None = None
    upvotes: int | None = None


@dataclass
class FileResult:
    """What one seed file gave: its entries in order, and what could not be read."""

    entries: list[Entry] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)


def seed_files(folder: Path) -> list[Path]:
    """The seed files of a folder, sorted by name so builds never depend on directory order."""
    if not folder.exists():
        raise SeedError(str(folder), "seeds folder does not exist")
    if not folder.is_dir():
        raise SeedError(str(folder), "seeds path is not a folder")
    dumps = folder.glob("*.txt")
    records = (path for suffix in ("json", "jsonl") for path in folder.rglob(f"*.{suffix}"))
    files = sorted((*dumps, *records), key=lambda path: seed_name(path, folder))
    if not files:
        raise SeedError(str(folder), "seeds folder holds no listing dumps (*.txt) or API records (*.json, *.jsonl)")
    return files


def seed_name(path: Path, folder: Path) -> str:
    """How sources name a seed file: its path under the seeds folder (a dump's name alone)."""
    return path.relative_to(folder).as_posix()


def read_lines(path: Path, label: str) -> Iterator[Line]:
    """Stream a file's lines, decoded and normalised, one at a time (never the whole file)."""
    with _open_seed(path, label) as handle:
        offset = 0
        number = 0
        for content, consumed in _physical_lines(handle):
            number += 1
            try:
                text = content.decode("utf-8")
            except UnicodeDecodeError as error:
                raise SeedError(
                    label, f"not UTF-8: invalid byte at offset {offset + error.start} (line {number})"
                ) from None
            del content  # the bytes go before the text is cleaned: one copy of a long line at a time
            offset += consumed
            if number == 1 and text.startswith("\ufeff"):
                text = text[1:]
            text, removed = remove_not_text(text)
            yield Line(number, _tidy(text), removed)


def seed_digest(path: Path) -> str:
    """A digest of a seed file's bytes, opened with the same checks as reading it (the build
    cache keys parsed files by it), so an odd path gets the same clear error either way."""
    hasher = hashlib.sha256()
    with _open_seed(path, str(path)) as handle:
        while block := handle.read(1 << 20):
            hasher.update(block)
    return hasher.hexdigest()


def _open_seed(path: Path, label: str):
    """Open a seed file for reading, refusing anything that is not a regular file.

    O_NONBLOCK keeps a FIFO from hanging the build waiting for a writer; fstat on the open
    descriptor then tells what was really opened.
    """
    if path.is_symlink():
        try:
            path.stat()
        except FileNotFoundError:
            raise SeedError(label, "broken symbolic link") from None
        except OSError as error:  # a loop, or a target we may not look at
            raise SeedError(label, f"cannot be read ({error.strerror or error})") from None
    if path.is_dir():
        raise SeedError(label, "is a folder, not a listing dump")
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise SeedError(label, f"cannot be read ({error.strerror or error})") from None
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise SeedError(label, f"is not a regular file ({_file_kind(mode)}), not a listing dump")
        if sys.platform != "win32":
            os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb", buffering=0)
    except BaseException:
        os.close(descriptor)
        raise


def _file_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return kind
    return "a special file"


def _physical_lines(handle) -> Iterator[tuple[bytes, int]]:
    """Split a binary stream on CRLF, CR or LF: (content, bytes consumed) for each line.

    Reads fixed-size blocks; a line longer than a block is gathered in one bytearray, and its
    bytes leave the buffer before the line is handed on, so the longest line is held once as
    bytes, whatever the line endings. (Deleting from a bytearray's front is cheap in CPython.)
    """
    pending = bytearray()
    at_end = False
    while not at_end:
        block = handle.read(READ_BLOCK)
        at_end = not block
        pending += block
        del block
        while pending:
            found = LINE_BREAK.search(pending)
            # No complete line yet, or a CR ending the block that may be the first half of a CRLF.
            if not at_end and (found is None or found.end() == len(pending) and found[0] == b"\r"):
                break
            start, end = (found.start(), found.end()) if found else (len(pending), len(pending))
            with memoryview(pending) as view:
                content = bytes(view[:start])
            del pending[:end]
            yield content, end
            del content


def normalise_line(text: str) -> str:
    """One line as clean text: browser spaces become spaces, code points that are not text and
    surrounding whitespace go."""
    return _tidy(remove_not_text(text)[0])


def remove_not_text(text: str) -> tuple[str, int]:
    """The text without NOT_TEXT code points, and how many there were."""
    text, removed = _NOT_TEXT_BMP_RE.subn("", text)
    if not text.isascii() and max(text) > "\uffff":
        text, astral = _NOT_TEXT_ASTRAL_RE.subn("", text)
        removed += astral
    return text, removed


def _tidy(text: str) -> str:
    return SPACE_LIKE.sub(" ", text).strip()


def read_seed_file(path: Path, capture_year: int | None = None) -> FileResult:
    """Parse one listing dump into entries, with a warning for everything it had to work around.

    Page furniture is skipped as the lines are read. What is left is content lines and metadata
    blocks (`• N authors` or an organisation, `·`, a date); the content lines between two
    metadata blocks are resolved into entries together (`_block_entries`), and the metadata
    belongs to the last of them. Warnings and errors name the path as given; sources name the
    file alone, as the public export does.
    """
    label = str(path)
    result = FileResult()
    warnings = _Warnings(label)
    warn = warnings.add
    page = _Page()

    def text_lines() -> Iterator[Line]:
        for line in read_lines(path, label):
            if line.removed:
                warn(line.number, f"removed {line.removed} control or non-character code point(s)")
            if line.text:
                yield line

    tokens = _Tokens(_without_furniture(text_lines(), page))
    raw_entries: deque[RawEntry] = deque()
    block: list[Line] = []
    while (token := tokens.next()) is not None:
        if page_date := _page_date(token):  # a page's own date, never a paper (metadata dates follow '·')
            if not raw_entries and not block and page.capture is None:
                page.capture = page_date
                page.year = page.year or page_date.year
            continue
        if _starts_metadata(tokens, token):
            tokens.push_back(token)
            metadata = RawEntry(title=token)
            _read_metadata(tokens, metadata, warn)
            entries = _block_entries(block, warn, before_metadata=True)
            block = []
            if not entries:
                warn(token.number, "metadata block with no entry before it; ignored")
                continue
            last = entries[-1]
            last.authors, last.organization = metadata.authors, metadata.organization
            last.date, last.upvotes = metadata.date, metadata.upvotes
            raw_entries.extend(entries)
            continue
        block.append(token)
    raw_entries.extend(_block_entries(block, warn, before_metadata=False))

    if not raw_entries:
        raise SeedError(label, "holds no paper entry")
    year = capture_year or page.year or _inferred_capture_year(raw_entries)
    while raw_entries:  # each raw entry goes as its Entry comes, so both never coexist in full
        raw = raw_entries.popleft()
        result.entries.append(_to_entry(raw, path.name, year, page.capture, warn))
    result.warnings = warnings.report()
    return result


@dataclass(slots=True)
class _Page:
    """What the page around the listing tells: the day it shows, and its year when it gives one."""

    capture: RawDate | None = None
    year: int | None = None


def is_furniture(text: str) -> bool:
    """Whether a line is one of the known lines Hugging Face's pages show around the papers."""
    return text in FURNITURE or any(pattern.match(text) for pattern in FURNITURE_PATTERNS)


def _without_furniture(lines: Iterator[Line], page: _Page) -> Iterator[Line]:
    """The lines that are not page furniture; a header date with a year sets the capture year."""
    submitter_next = False
    for line in lines:
        text = line.text
        if submitter_next:
            submitter_next = False
            # "Submitted by" then the name: the name is furniture too, if it can be one.
            if len(text) <= MAX_SUBMITTER and text != SEPARATOR and not _is_structure(text):
                continue
        if text == SUBMITTED_BY:
            submitter_next = True
            continue
        if header := HEADER_DATE.match(text):
            if page.capture is None:
                year = int(header["year"]) if header["year"] else None
                page.capture = RawDate(MONTHS[header["month"]], int(header["day"]), year, line.number)
                page.year = page.year or year
            continue
        if is_furniture(text):
            continue
        yield line


def _is_structure(text: str) -> bool:
    return bool(AUTHORS_LINE.match(text) or DATE_LINE.match(text) or is_furniture(text))


def _block_entries(lines: list[Line], warn, before_metadata: bool) -> list[RawEntry]:
    """The entries a run of content lines holds (the lines between two metadata blocks).

    Each entry is a title line then an abstract line. When no line is as long as an abstract
    (ABSTRACT_LENGTH), the lines pair up in order, as they always did. Otherwise every such line
    is an abstract and the line just before it its title, and only the lines between those pairs
    are paired in order: a line left over there (or before a metadata block) is unrecognised and
    ignored with a warning, so it never becomes a title, and never shifts the papers after it.
    """
    if not any(len(line.text) >= ABSTRACT_LENGTH for line in lines):
        return _pairs(lines, warn, odd_first=False)
    entries: list[RawEntry] = []
    run: list[Line] = []
    for line in lines:
        if len(line.text) < ABSTRACT_LENGTH:
            run.append(line)
            continue
        if not run:
            warn(line.number, f"abstract-like line {_quote(line.text)} has no title before it; ignored",
                 kind="abstract-like line with no title before it; ignored")
            continue
        *between, title = run
        entries.extend(_pairs(between, warn, odd_first=True))
        entries.append(_entry(title, line.text, warn))
        run = []
    entries.extend(_pairs(run, warn, odd_first=True, closing=before_metadata))
    return entries


def _pairs(lines: list[Line], warn, odd_first: bool, closing: bool = True) -> list[RawEntry]:
    """Lines paired as title, abstract. With `odd_first`, an odd line out is the first one, and
    is ignored with a warning; otherwise (no abstract-like line to go by) the last title simply
    has no abstract. At the end of a file (`closing` False) a lone last line is a title too."""
    if odd_first and len(lines) % 2 and (closing or len(lines) > 1):
        first, lines = lines[0], lines[1:]
        warn(first.number, f"unrecognised line {_quote(first.text)}; ignored", kind="unrecognised line; ignored")
    entries = []
    for index in range(0, len(lines), 2):
        title = lines[index]
        if index + 1 < len(lines):
            entries.append(_entry(title, lines[index + 1].text, warn))
        else:
            warn(title.number, f"title {_quote(title.text)} has no abstract", kind="title with no abstract")
            entries.append(RawEntry(title=Line(title.number, GLUED_SUBSCRIBE.sub("", title.text))))
    return entries


def _entry(title: Line, abstract: str, warn) -> RawEntry:
    if len(title.text) > 400:
        warn(title.number, "title is unusually long; is an abstract missing its title?")
    return RawEntry(title=Line(title.number, GLUED_SUBSCRIBE.sub("", title.text)), abstract=abstract)


class _Warnings:
    """A file's warnings; one given REPEATS_SHOWN times or more is shown once, with its count and
    first lines, so a dump missing its years says so once, not forty times."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.given: dict[str, list[tuple[int, str]]] = {}

    def add(self, line: int, message: str, kind: str | None = None) -> None:
        self.given.setdefault(kind or message, []).append((line, message))

    def report(self) -> list[Diagnostic]:
        diagnostics = []
        for kind, given in self.given.items():
            if len(given) < REPEATS_SHOWN:
                diagnostics.extend(Diagnostic(self.label, line, message) for line, message in given)
                continue
            lines = ", ".join(str(line) for line, _ in given[:REPEATS_SHOWN])
            more = ", …" if len(given) > REPEATS_SHOWN else ""
            diagnostics.append(Diagnostic(self.label, given[0][0],
                                          f"{kind} ({len(given)} times, at lines {lines}{more})"))
        return sorted(diagnostics, key=lambda diagnostic: diagnostic.line)


def _quote(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _page_date(token: Line) -> RawDate | None:
    match = DATE_LINE.match(token.text)
    if match is None or match["upvotes"]:
        return None
    return RawDate(MONTHS[match["month"]], int(match["day"]), int(match["year"]) if match["year"] else None,
                   token.number)


def _starts_metadata(tokens: _Tokens, token: Line) -> bool:
    """A metadata block starts with an author count, or with any line the separator follows."""
    if token.text == SEPARATOR or AUTHORS_LINE.match(token.text):
        return True
    following = tokens.peek_after(token)
    # An abstract may precede a bare `·` too; only a line short enough to be a name can be metadata.
    return following is not None and following.text == SEPARATOR and len(token.text) <= MAX_META_LINE


def _read_metadata(tokens: _Tokens, entry: RawEntry, warn) -> None:
    """Consume `• N authors` or `handle Name`, then `·`, then the date line."""
    first = tokens.next()
    if first.text != SEPARATOR:
        if match := AUTHORS_LINE.match(first.text):
            count = int(match["count"])
            if count >= 1:
                entry.authors = count
            else:
                warn(first.number, "author count of 0; ignored")
        elif match := ORGANIZATION_LINE.match(first.text):
            entry.organization = Organization(handle=match["handle"], name=match["name"] or match["handle"])
        else:
            warn(first.number, f"unrecognised metadata line {_quote(first.text)}; ignored",
                 kind="unrecognised metadata line; ignored")
        separator = tokens.peek()
        if separator is None or separator.text != SEPARATOR:
            warn(first.number, "metadata line is not followed by '·'; no date read")
            return
    separator = first if first.text == SEPARATOR else tokens.next()
    date_line = tokens.peek()
    match = DATE_LINE.match(date_line.text) if date_line else None
    if match is None:
        warn(separator.number, "expected a date such as 'Oct 20' or 'Nov 27, 2024 2' after '·'")
        return
    tokens.next()
    entry.date = RawDate(
        MONTHS[match["month"]], int(match["day"]), int(match["year"]) if match["year"] else None,
        date_line.number,
    )
    entry.upvotes = int(match["upvotes"]) if match["upvotes"] else 0


def _inferred_capture_year(entries: Iterable[RawEntry]) -> int | None:
    """The listing omits the year only for the current one: the year after the latest explicit one."""
    years = [entry.date.year for entry in entries if entry.date and entry.date.year]
    return max(years) + 1 if years else None


def _to_entry(raw: RawEntry, file_name: str, capture_year: int | None, capture: RawDate | None, warn) -> Entry:
    published = None
    if raw.date is not None:
        published = _resolve_date(raw.date, capture_year, capture, warn)
    return Entry(
        title=raw.title.text,
        abstract=raw.abstract,
        published=published,
        upvotes=raw.upvotes,
        authors=raw.authors,
        organization=raw.organization,
        source=Source(file=file_name, line=raw.title.number),
    )


def _resolve_date(date: RawDate, capture_year: int | None, capture: RawDate | None, warn) -> dt.date | None:
    year = date.year
    if year is None:
        if capture_year is None:
            warn(date.line, "date has no year and the page's capture year is unknown; "
                 "set capture_year in site_src/site.toml")
            return None
        year = capture_year
        # A yearless date later in the year than the capture day was last year's.
        if capture is not None and (date.month, date.day) > (capture.month, capture.day):
            year -= 1
    try:
        return dt.date(year, date.month, date.day)
    except ValueError:
        warn(date.line, f"impossible date {calendar.month_abbr[date.month]} {date.day}, {year}; "
             "date left out")
        return None


class _Tokens:
    """The non-blank lines of a file with a two-line lookahead, so parsing stays streaming."""

    def __init__(self, lines: Iterator[Line]) -> None:
        self._lines = iter(lines)
        self._ahead: deque[Line] = deque()

    def _fill(self, count: int) -> None:
        while len(self._ahead) < count:
            line = next(self._lines, None)
            if line is None:
                return
            self._ahead.append(line)

    def next(self) -> Line | None:
        self._fill(1)
        return self._ahead.popleft() if self._ahead else None

    def peek(self) -> Line | None:
        self._fill(1)
        return self._ahead[0] if self._ahead else None

    def peek_after(self, token: Line) -> Line | None:
        """The line after `token`, which is either just taken or the next one waiting."""
        self._fill(2)
        if self._ahead and self._ahead[0] is token:
            return self._ahead[1] if len(self._ahead) > 1 else None
        return self._ahead[0] if self._ahead else None

    def push_back(self, token: Line) -> None:
        self._ahead.appendleft(token)


def format_spaced(papers: Iterable[Entry | Paper]) -> str:
    """Write entries in the spaced layout the reader takes: the inverse of read_seed_file.

    Dates are written with their year, so no capture year is needed to read them back.
    """
    blocks: list[str] = []
    for paper in papers:
        lines = [paper.title, "", paper.abstract]
        if paper.published is not None:
            if paper.organization is not None:
                meta = f"{paper.organization.handle} {paper.organization.name}"
            else:
                meta = f"  • {paper.authors} authors" if paper.authors is not None else None
            date = f"{calendar.month_abbr[paper.published.month]} {paper.published.day}, {paper.published.year}"
            if paper.upvotes:
                date += f" {paper.upvotes}"
            lines += [""] + ([meta] if meta else []) + [SEPARATOR, date]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
