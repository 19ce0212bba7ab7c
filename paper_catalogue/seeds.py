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

# Lines the Daily Papers pages carry around the listing; never a paper.
FURNITURE = frozenset(
    {
        "new",
        "Subscribe",
        "Daily Papers",
        "byAK and the research community",
        "Get trending papers in your email inbox!",
        "Get trending papers in your email inbox once a day!",
    }
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
ORGANIZATION_LINE = re.compile(r"^(?P<handle>[A-Za-z0-9][A-Za-z0-9._-]*) (?P<name>\S.*)$")
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
    files = sorted(folder.glob("*.txt"), key=lambda path: path.name)
    if not files:
        raise SeedError(str(folder), "seeds folder holds no *.txt listing dumps")
    return files


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

    Warnings and errors name the path as given; sources name the file alone, as the public export does.
    """
    label = str(path)
    result = FileResult()
    raw_entries: deque[RawEntry] = deque()
    capture: RawDate | None = None

    def warn(line: int, message: str) -> None:
        result.warnings.append(Diagnostic(label, line, message))

    def text_lines() -> Iterator[Line]:
        for line in read_lines(path, label):
            if line.removed:
                warn(line.number, f"removed {line.removed} control or non-character code point(s)")
            if line.text:
                yield line

    tokens = _Tokens(text_lines())

    while (token := tokens.next()) is not None:
        text = token.text
        if text in FURNITURE:
            continue
        if not raw_entries and capture is None and (page_date := _page_date(token)):
            capture = page_date
            continue
        if _starts_metadata(tokens, token):
            tokens.push_back(token)
            _read_metadata(tokens, RawEntry(title=token), warn)
            warn(token.number, "metadata block with no entry before it; ignored")
            continue
        title = Line(token.number, GLUED_SUBSCRIBE.sub("", text))
        entry = RawEntry(title=title)
        following = tokens.peek()
        if following is None or _starts_metadata(tokens, following):
            warn(title.number, f"title {_quote(title.text)} has no abstract")
        else:
            entry.abstract = tokens.next().text
            if len(title.text) > 400:
                warn(title.number, "title is unusually long; is an abstract missing its title?")
        following = tokens.peek()
        if following is not None and _starts_metadata(tokens, following):
            _read_metadata(tokens, entry, warn)
        raw_entries.append(entry)

    if not raw_entries:
        raise SeedError(label, "holds no paper entry")
    year = capture_year or _inferred_capture_year(raw_entries)
    while raw_entries:  # each raw entry goes as its Entry comes, so both never coexist in full
        raw = raw_entries.popleft()
        result.entries.append(_to_entry(raw, path.name, year, capture, warn))
    return result


def _quote(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _page_date(token: Line) -> RawDate | None:
    match = DATE_LINE.match(token.text)
    if match is None or match["year"] or match["upvotes"]:
        return None
    return RawDate(MONTHS[match["month"]], int(match["day"]), None, token.number)


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
            entry.organization = Organization(handle=match["handle"], name=match["name"])
        else:
            warn(first.number, f"unrecognised metadata line {_quote(first.text)}; ignored")
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
