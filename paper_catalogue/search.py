"""Search: the facets each paper page gives Pagefind, and the Pagefind index built over the written site."""

from __future__ import annotations

import subprocess
import tempfile
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path, PurePosixPath

from .diagnostics import BuildError
from .models import Paper
from .cache import digest
from .urls import PAPERS_URL

BUNDLE_DIR = "pagefind"
"""The bundle's folder inside the site; the search page is given `site.link('pagefind/')`."""

# Parts of a paper page's body that are not the paper's own text: Pagefind skips them, so
# a related paper's title never makes a page match, and excerpts start with
# the abstract rather than "Published 30 May 2024 Upvotes 0". Dates, upvotes, topics and the
# organisation reach the index as metadata and filters instead.
EXCLUDED_FROM_INDEX = (
    ".facts",
    ".chips",
    ".abstract > h2",
    ".links > h2",
    ".related",
    ".sources",
)

PAPER_PAGES = f"{PAPERS_URL}*/index.html"
"""What Pagefind reads: the paper pages only (no other page has data-pagefind-body), so it can
start as soon as they are written, while the lists, topic pages and feeds are still being made."""


def in_parts(papers: int, pages_per_part: int) -> bool:
    """Whether a catalogue of `papers` papers is indexed in more than one part (`index_parts`)."""
    return papers > pages_per_part


def index_parts(paper_ids: Iterable[str], pages_per_part: int) -> tuple[str, ...]:
    """The paper pages each part of the search index reads, as Pagefind globs: one part for all
    of them up to `pages_per_part` papers; beyond, parts of at most that many, each the papers
    whose ids begin with one of a run of prefixes, so no page is in two parts.

    Pagefind holds about 100 KB a paper page while it indexes (BENCHMARKS.md, "100,000 papers")
    and has no option that bounds it; parts indexed one after the other bound it, and the search
    page searches every part (static/search.js)."""
    ids = sorted(paper_ids)
    if not in_parts(len(ids), pages_per_part):
        return (PAPER_PAGES,)
    # Prefixes short enough to keep the globs short, long enough that no prefix holds more than
    # half a part, so the parts can come out of about equal size.
    length = 1
    while max((groups := Counter(paper_id[:length] for paper_id in ids)).values()) > pages_per_part // 2:
        length += 1
    prefixes = sorted(groups)
    before = list(accumulate((groups[prefix] for prefix in prefixes), initial=0))  # ids before each prefix
    # As few parts as the size allows, each cut at the prefix nearest an equal share.
    count = -(-len(ids) // pages_per_part)
    while True:
        cuts = sorted({min(range(1, len(prefixes)), key=lambda at: abs(before[at] - len(ids) * k / count))
                       for k in range(1, count)})
        bounds = [0, *cuts, len(prefixes)]
        if all(before[end] - before[start] <= pages_per_part for start, end in zip(bounds, bounds[1:])):
            break
        count += 1
    # A prefix as long as the others stands for every id that begins with it; a shorter one is a
    # whole id (ids are ASCII letters, digits and hyphens: nothing a glob reads).
    patterns = [prefix + "*" if len(prefix) == length else prefix for prefix in prefixes]
    return tuple(f"{PAPERS_URL}{{{','.join(patterns[start:end])}}}/index.html"
                 for start, end in zip(bounds, bounds[1:]))


def part_folder(part: int) -> str:
    """Where part `part` (from 0) of the search index goes, inside the site: the first in
    BUNDLE_DIR itself, so an index in one part is where it always was; the others beside its
    files, in BUNDLE_DIR/2/ and on."""
    return BUNDLE_DIR if part == 0 else f"{BUNDLE_DIR}/{part + 1}"


def is_paper_page(path: str | PurePosixPath) -> bool:
    """Whether a site-relative file path is one PAPER_PAGES matches."""
    parts = PurePosixPath(path).parts
    return len(parts) == 3 and parts[0] == PAPERS_URL.strip("/") and parts[2] == "index.html"


UNDATED_SORT_KEY = "0000-00-00"
"""Sorts after every real date when newest come first, so undated papers stay in sorted results."""
UPVOTE_DIGITS = 9
"""Upvote counts are zero-padded to this width in their sort key, so that text order is count order."""


def upvote_bucket(upvotes: int | None) -> str:
    """The upvotes filter value: `0`, `1-9` or `10+` (no upvote count shown counts as 0)."""
    count = upvotes or 0
    return "0" if count == 0 else "1-9" if count < 10 else "10+"


@dataclass(frozen=True)
class SearchFacets:
    """What a paper page tells Pagefind beyond its text: sort keys and filter values."""

    date: str
    year: str
    upvotes: int
    upvote_bucket: str
    organisation: str | None
    has_code: bool
    topics: tuple[str, ...]
    rank: str
    """The paper's place among the papers of its day (see `day_ranks`): breaks ties in both sort orders."""

    # Pagefind orders pages with equal sort values by the order it found their files in, which is
    # the file system's directory order: it differs from disk to disk. So every sort key ends with
    # the paper's rank in its day, which follows its id, and "newest first" gives exactly the
    # order of papers/ (same day: by id, descending); "most upvoted" breaks ties by that same
    # order. Text keys throughout: Pagefind sorts a key numerically only when every value is a number.
    @property
    def date_sort(self) -> str:
        return f"{self.date} {self.rank}"

    @property
    def upvotes_sort(self) -> str:
        return f"{self.upvotes:0{UPVOTE_DIGITS}d} {self.date_sort}"

    @property
    def filters(self) -> tuple[tuple[str, str], ...]:
        """(key, value) pairs, one per filter value; the keys are also the search page's URL parameters."""
        pairs = [("topic", slug) for slug in self.topics]
        pairs += [("year", self.year), ("upvotes", self.upvote_bucket)]
        if self.organisation:
            pairs.append(("organisation", self.organisation))
        if self.has_code:
            pairs.append(("code", "yes"))
        return tuple(pairs)


def _sort_date(paper: Paper) -> str:
    return paper.published.isoformat() if paper.published else UNDATED_SORT_KEY


def day_ranks(papers: Iterable[Paper]) -> dict[str, str]:
    """Each paper's place among the papers of its day (undated papers count as one day), in id
    order, zero-padded to one width for the whole catalogue. It orders ties as the id would, in
    a few digits instead of the id's 50 to 90 characters, written twice on every paper page."""
    days: dict[str, list[str]] = {}
    for paper in papers:
        days.setdefault(_sort_date(paper), []).append(paper.id)
    width = len(str(max(map(len, days.values()), default=1) - 1))
    return {paper_id: f"{rank:0{width}d}" for ids in days.values() for rank, paper_id in enumerate(sorted(ids))}


def search_facets(paper: Paper, rank: str = "0", has_code: bool = False) -> SearchFacets:
    """Every page carries every sort key, so no page drops out of sorted results; `rank` comes
    from `day_ranks` over the whole catalogue."""
    return SearchFacets(
        date=_sort_date(paper),
        year=str(paper.published.year) if paper.published else "undated",
        upvotes=paper.upvotes or 0,
        upvote_bucket=upvote_bucket(paper.upvotes),
        organisation=paper.organization.name if paper.organization else None,
        has_code=has_code,
        topics=paper.topics,
        rank=rank,
    )


def pagefind_binary() -> str:
    """The binary the `pagefind[bin]` package ships (imported here, so rendering never needs it)."""
    from pagefind.service import get_executable

    binary = get_executable()
    if binary is None or not binary.exists():
        raise BuildError("search index: the Pagefind binary is missing; install it with pip install 'pagefind[bin]'")
    return str(binary)


def pagefind_command(site: str, output: str, pages: str = PAPER_PAGES) -> list[str]:
    """Pagefind's CLI over the paper pages under `site` that the glob `pages` matches, writing its
    bundle to `output`."""
    command = [pagefind_binary(), "--site", site, "--glob", pages, "--output-path", output, "--silent"]
    for selector in EXCLUDED_FROM_INDEX:
        command += ["--exclude-selectors", selector]
    return command


BODY_MARKER = b"data-pagefind-body"


def indexed_part(page: bytes) -> bytes:
    """What Pagefind reads of a paper page: its <html> start tag (the language) and the element
    marked data-pagefind-body, which holds the text, metadata, filters and sort keys. A page
    without the marker counts whole."""
    body = page.find(BODY_MARKER)
    end = page.find(b"</article>", body)
    if body < 0 or end < 0:
        return page
    html = page.find(b"<html")
    return page[html:page.find(b">", html) + 1] + page[body:end]


def search_key(files: dict[PurePosixPath, bytes], parts: Sequence[str] = (PAPER_PAGES,)) -> str:
    """A digest of everything Pagefind is given: equal keys, an equal index. A change to a page
    outside its indexed part (the header, the related papers, a style sheet) leaves it equal."""
    from importlib.metadata import version

    pages = sorted(path for path in files if is_paper_page(path))
    return digest(version("pagefind"), *EXCLUDED_FROM_INDEX, *parts,
                  *(part for path in pages for part in (str(path), indexed_part(files[path]))))


class PagefindRun:
    """Pagefind's CLI indexing the paper pages written under `site` into `site/pagefind/`, in
    child processes: it reads only the paper pages, so the build makes and writes the rest of the
    site meanwhile. An index in several parts (`index_parts`) is made one part after the other,
    by a thread, so that only one Pagefind holds its pages at a time. As a context manager,
    leaving the block stops a run that was not finished.

    Every paper page must carry data-pagefind-body (Pagefind skips a page without it, and the
    search would silently miss that paper): a template that lost the marker fails the build.
    """

    def __init__(self, site: Path, files: dict[PurePosixPath, bytes], expected_pages: int,
                 parts: Sequence[str] = (PAPER_PAGES,)) -> None:
        pages = [path for path in files if is_paper_page(path)]
        unmarked = sorted(str(path) for path in pages if BODY_MARKER not in files[path])
        if unmarked or len(pages) != expected_pages:
            raise BuildError(f"search index: {len(unmarked) or expected_pages - len(pages)} paper page(s) would "
                             f"be missing from the index (first: {unmarked[0] if unmarked else 'none written'}); "
                             "is data-pagefind-body missing from templates/paper.html?")
        self.site = site
        self.parts = tuple(parts)
        self._thread: threading.Thread | None = None
        self._process: subprocess.Popen | None = None
        self._stopped = False
        self._failure: str | None = None
        # A file, not a pipe, for what Pagefind prints: a pipe nobody reads until the end could fill up.
        self._log = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run_parts, name="pagefind", daemon=True)
        self._thread.start()

    def _run_parts(self) -> None:
        for part, pages in enumerate(self.parts):
            if self._stopped:
                return
            # Run inside the site, with paths relative to it: an output folder's name need not be
            # UTF-8, and Pagefind refuses arguments that are not; nor can a pagefind.yml in the
            # working folder change the index.
            try:
                process = subprocess.Popen(pagefind_command(".", part_folder(part), pages), cwd=self.site,
                                           stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
            except OSError as error:
                self._failure = f"could not run Pagefind: {error}"
                return
            self._process = process
            if self._stopped:  # stopped while this part was starting
                process.kill()
            returncode = process.wait()
            if returncode != 0 or self._stopped:
                self._log.seek(0)
                detail = self._log.read().strip().splitlines()[-5:]
                self._failure = f"Pagefind failed (exit {returncode}): {' / '.join(detail)}"
                return

    def finish(self) -> None:
        """Wait for the run (starting it first if need be); a failure is a BuildError with Pagefind's words."""
        self.start()
        self._thread.join()
        if self._failure:
            raise BuildError(f"search index: {self._failure}")

    def __enter__(self) -> PagefindRun:
        return self

    def __exit__(self, *exc_info) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._stopped = True
            if self._process is not None and self._process.poll() is None:
                self._process.kill()
            self._thread.join()
        self._log.close()
