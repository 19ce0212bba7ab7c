"""Downloading Hugging Face Daily Papers: each day's API listing, every page, into <seeds>/hf-daily/DAY.json, politely."""

from __future__ import annotations

import email.utils
import http.client
import json
import os
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from importlib import metadata
from pathlib import Path
from typing import Callable

DEFAULT_ENDPOINT = "https://huggingface.co"
FOLDER = "hf-daily"
DEFAULT_DAYS = 7
PAGE_LIMIT = 100
"""Items asked for per page. The server may send fewer, so a day ends at an empty page, never a short one."""
MAX_PAGES = 100
"""A day with more pages than this is a server that never sends an empty page: the day fails."""
REFETCHED_DAYS = 2
"""The last days of a range are fetched even when their file exists: a day's list grows while it lasts."""


def _user_agent() -> str:
    try:
        version = metadata.version("paper-catalogue")
    except metadata.PackageNotFoundError:
        version = "dev"
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    return f"paper-catalogue/{version} (build.py fetch; Python-urllib/{python})"


USER_AGENT = _user_agent()


@dataclass(frozen=True)
class FetchSettings:
    """Where to ask and how politely. `from_environment` reads HF_ENDPOINT and HF_TOKEN, as
    huggingface_hub does, so the same command runs against a mirror or a local test server."""

    endpoint: str = DEFAULT_ENDPOINT
    token: str | None = field(default=None, repr=False)  # never shown, not even in a repr
    pause: float = 1.0
    """Seconds between two requests; the n-th retry of a request waits pause x 2**n."""
    timeout: float = 30.0
    """Seconds to wait for a connection, and then for each read, before trying again."""
    tries: int = 5
    """Tries of one request before its day fails (429, 5xx, resets, timeouts are retried)."""
    max_wait: float = 60.0
    """The longest wait before a retry, whatever the server's Retry-After asks."""

    @classmethod
    def from_environment(cls, environ=os.environ, **options) -> FetchSettings:
        endpoint = (environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
        parts = urllib.parse.urlsplit(endpoint)
        try:
            parts.port  # a port that is not a number raises here, not at the first request
        except ValueError:
            parts = parts._replace(netloc="")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"HF_ENDPOINT={endpoint!r} is not an http:// or https:// address")
        return cls(endpoint=endpoint, token=environ.get("HF_TOKEN") or None, **options)


class DayFailed(Exception):
    """One day could not be fetched; its text says why, and the next day is still tried."""


class Unreachable(Exception):
    """No connection at all on any try (the name does not resolve, nothing listens): nothing more
    can be fetched, so the run stops."""


def page_url(endpoint: str, day: date, page: int, limit: int = PAGE_LIMIT) -> str:
    query = urllib.parse.urlencode({"date": day.isoformat(), "p": page, "limit": limit})
    return f"{endpoint}/api/daily_papers?{query}"


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for: a number of seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class Client:
    """GET JSON with a pause between requests and retries with exponential backoff."""

    def __init__(self, settings: FetchSettings, on_retry: Callable[[str], None] = lambda message: None) -> None:
        self.settings = settings
        self.on_retry = on_retry
        self._last = float("-inf")
        self._host = urllib.parse.urlsplit(settings.endpoint).hostname or settings.endpoint

    def _request(self, url: str) -> urllib.request.Request:
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
        if self.settings.token:
            # Unredirected: urllib would send it on to wherever a redirect points, another host included.
            request.add_unredirected_header("Authorization", f"Bearer {self.settings.token}")
        return request

    def _wait_turn(self) -> None:
        time.sleep(max(0.0, self._last + self.settings.pause - time.monotonic()))

    def get_json(self, url: str) -> object:
        """The decoded JSON at url. Raises DayFailed for a 4xx other than 429, a body that is not
        JSON, or when every try failed; Unreachable when no try could even connect."""
        settings = self.settings
        unreachable = True
        problem = ""
        for attempt in range(settings.tries):
            self._wait_turn()
            wait = settings.pause * 2 ** (attempt + 1)
            try:
                with urllib.request.urlopen(self._request(url), timeout=settings.timeout) as response:
                    body = response.read()
            except urllib.error.HTTPError as error:
                unreachable = False
                with error:
                    problem = f"HTTP {error.code} {error.reason}"
                    if error.code != 429 and error.code < 500:
                        raise DayFailed(f"{problem}: {url}") from None
                    asked = retry_after(error.headers.get("Retry-After")) if error.code == 429 else None
                    wait = asked if asked is not None else wait
            except urllib.error.URLError as error:  # before any response: name lookup, connect, TLS
                reason = error.reason
                unreachable = unreachable and isinstance(reason, (socket.gaierror, ConnectionRefusedError))
                problem = self._describe(reason)
            except (OSError, http.client.HTTPException) as error:  # after connecting: reset, read timeout, cut-off body
                unreachable = False
                problem = self._describe(error)
            else:
                try:
                    return json.loads(body)
                except (ValueError, RecursionError) as error:  # not UTF-8 (UnicodeDecodeError), not JSON
                    raise DayFailed(f"not JSON ({error}): {url}") from None
            finally:
                self._last = time.monotonic()
            if attempt + 1 < settings.tries:
                wait = min(wait, settings.max_wait)
                self.on_retry(f"{problem}: {url}; try {attempt + 2} of {settings.tries} in {wait:g} s")
                time.sleep(wait)
        if unreachable:
            raise Unreachable(f"cannot reach {settings.endpoint}: {problem} ({settings.tries} tries)")
        raise DayFailed(f"{problem} ({settings.tries} tries): {url}")

    def _describe(self, error: object) -> str:
        if isinstance(error, TimeoutError):
            return f"no answer within {self.settings.timeout:g} s"
        if isinstance(error, socket.gaierror):
            return f"cannot resolve {self._host} ({error.strerror or error})"
        if isinstance(error, ConnectionRefusedError):
            return "connection refused"
        if isinstance(error, ConnectionResetError):  # http.client.RemoteDisconnected is one too
            return "connection closed without a complete response"
        if isinstance(error, http.client.IncompleteRead):
            return f"response cut off after {len(error.partial)} bytes"
        if isinstance(error, OSError) and error.strerror:
            return error.strerror
        return str(error) or type(error).__name__


def _paper_id(item: object) -> str | None:
    """An API item's paper id; a JSON-lines record may also be the paper itself."""
    if not isinstance(item, dict):
        return None
    paper = item.get("paper")
    paper_id = paper.get("id") if isinstance(paper, dict) else item.get("id")
    return paper_id if isinstance(paper_id, str) and paper_id else None


def fetch_day(client: Client, day: date) -> tuple[list[dict], int]:
    """Every item of one day, in the server's order, and the pages read: pages p=0, 1, 2 ...
    until one comes back empty. An item already seen on an earlier page (the list moved while
    it was read) is kept once."""
    items: list[dict] = []
    seen: set[str] = set()
    for page in range(MAX_PAGES):
        url = page_url(client.settings.endpoint, day, page)
        answer = client.get_json(url)
        if not isinstance(answer, list):
            raise DayFailed(f"expected a JSON list, got a JSON {type(answer).__name__}: {url}")
        if not answer:
            return items, page + 1
        fresh = 0
        for index, item in enumerate(answer):
            paper_id = _paper_id(item)
            if paper_id is None:
                raise DayFailed(f"item {index + 1} is not a paper (no paper.id): {url}")
            if paper_id not in seen:
                seen.add(paper_id)
                items.append(item)
                fresh += 1
        if not fresh:
            raise DayFailed(f"page {page} repeats the pages before it (does the server page with p?): {url}")
    raise DayFailed(f"no empty page after {MAX_PAGES} pages: {page_url(client.settings.endpoint, day, 0)}")


def day_json(items: list) -> bytes:
    """The file's bytes: the items as received, in a fixed layout, so a day fetched twice is the same file."""
    try:
        return (json.dumps(items, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (JSON "\ud800") has no UTF-8: keep it as its escape
        return (json.dumps(items, indent=1) + "\n").encode("ascii")


def write_day(path: Path, items: list) -> None:
    """Write to DAY.json.incomplete beside the target, then rename: the target is either the old
    file or the whole new one, and a failure or Ctrl-C leaves no partial file."""
    partial = path.with_name(path.name + ".incomplete")
    try:
        partial.write_bytes(day_json(items))
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def known_paper_ids(seeds: Path) -> tuple[set[str], list[str]]:
    """Paper ids in every *.json (a list of items) and *.jsonl (an item a line) under seeds, and a
    warning for each file, or line, that could not be read (its papers are not counted)."""
    ids: set[str] = set()
    warnings: list[str] = []
    if not seeds.is_dir():
        return ids, warnings
    for path in sorted(p for p in seeds.rglob("*") if p.suffix in (".json", ".jsonl") and p.is_file()):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, ValueError) as error:
            warnings.append(f"{path}: warning: cannot read ({getattr(error, 'strerror', None) or error}); "
                            "its papers are not counted as known")
            continue
        if path.suffix == ".json":
            try:
                records = json.loads(text)
            except ValueError as error:
                line = getattr(error, "lineno", 0)
                warnings.append(f"{path}:{line}: warning: not JSON ({getattr(error, 'msg', error)}); "
                                "its papers are not counted as known")
                continue
            records = records if isinstance(records, list) else [records]
        else:
            records = []
            for number, line in enumerate(text.splitlines(), 1):
                if line.strip():
                    try:
                        records.append(json.loads(line))
                    except ValueError as error:
                        warnings.append(f"{path}:{number}: warning: not JSON ({getattr(error, 'msg', error)}); "
                                        "not counted as known")
        found = [_paper_id(record) for record in records]
        ids.update(paper_id for paper_id in found if paper_id)
        if None in found:
            warnings.append(f"{path}: warning: {found.count(None)} of {len(found)} items hold no paper id; "
                            "not counted as known")
    return ids, warnings


def date_range(on: date | None, since: date | None, until: date | None, days: int | None,
               today: date) -> list[date]:
    """The days asked for, oldest first: --date, --since [--until], --days N [--until], or the
    last DEFAULT_DAYS days up to today (UTC). Raises ValueError with a message for the user."""
    if on is not None and until is not None:
        raise ValueError("--until goes with --since or --days, not --date")
    if days is not None and days < 1:
        raise ValueError("--days must be at least 1")
    last = on or until or today
    first = on or since or last - timedelta(days=(days or DEFAULT_DAYS) - 1)
    if last > today:
        raise ValueError(f"{last} is after today ({today}, UTC): its list does not exist yet")
    if first > last:
        raise ValueError(f"--since {first} is after --until {last}")
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


@dataclass
class DayOutcome:
    """What happened to one day, for the progress line."""

    day: date
    status: str  # "fetched", "skipped", "failed", or "retry" (a request of the day is tried again)
    message: str


@dataclass
class FetchSummary:
    fetched: int = 0
    skipped: int = 0
    failed: int = 0
    new: set[str] = field(default_factory=set)
    known: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"days: {self.fetched} fetched, {self.skipped} skipped, {self.failed} failed; "
                f"papers: {len(self.new)} new, {len(self.known)} known")


def fetch_days(days: list[date], seeds: Path, settings: FetchSettings,
               report: Callable[[DayOutcome], None] = lambda outcome: None) -> FetchSummary:
    """Fetch each day into seeds/hf-daily/DAY.json, oldest first, calling report after each.

    A day whose file exists is skipped, unless it is one of the last REFETCHED_DAYS of the range.
    A failed day is reported and the next one is tried; Unreachable (no connection at all) and
    KeyboardInterrupt stop the run, leaving the days written so far and no partial file.
    """
    summary = FetchSummary()
    known, summary.warnings = known_paper_ids(seeds)
    folder = seeds / FOLDER
    # `day` is read when a retry happens: the day being fetched then.
    client = Client(settings, on_retry=lambda message: report(DayOutcome(day, "retry", message)))
    refetched = set(days[-REFETCHED_DAYS:])
    for day in days:
        path = folder / f"{day.isoformat()}.json"
        if path.exists() and day not in refetched:
            summary.skipped += 1
            report(DayOutcome(day, "skipped", f"{path} exists"))
            continue
        try:
            items, pages = fetch_day(client, day)
            folder.mkdir(parents=True, exist_ok=True)
            write_day(path, items)
        except DayFailed as failure:
            summary.failed += 1
            report(DayOutcome(day, "failed", str(failure)))
            continue
        except OSError as error:
            summary.failed += 1
            report(DayOutcome(day, "failed", f"cannot write {error.filename or path}: "
                                             f"{error.strerror or error}"))
            continue
        ids = {_paper_id(item) for item in items}
        new = ids - known - summary.new
        summary.new |= new
        summary.known |= ids & known
        summary.fetched += 1
        report(DayOutcome(day, "fetched", f"{len(items)} papers ({len(new)} new), "
                                          f"{pages} {'page' if pages == 1 else 'pages'} -> {path}"))
    return summary
