"""Search: the facets each paper page gives Pagefind, and the Pagefind index built over the written site."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .diagnostics import BuildError
from .models import Paper
from .search_bundle import ENTRY, carry_over, prune
from .urls import PAPERS_URL

BUNDLE_DIR = "pagefind"
"""The bundle's folder inside the site; the search page is given `site.link('pagefind/')`."""

# Parts of a paper page's body that are not the paper's own text: Pagefind skips them, so
# "Find this paper" or a related paper's title never makes a page match, and excerpts start with
# the abstract rather than "Published 30 May 2024 Upvotes 0". Dates, upvotes, topics and the
# organisation reach the index as metadata and filters instead.
EXCLUDED_FROM_INDEX = (
    ".facts",
    ".chips",
    ".abstract > h2",
    "section[aria-labelledby='links-heading'] > h2",
    "section[aria-labelledby='find-heading']",
    "section[aria-labelledby='related-heading']",
    ".sources",
)

PAPER_PAGES = f"{PAPERS_URL}*/index.html"
"""What Pagefind reads: the paper pages only (no other page has data-pagefind-body), so it can
start as soon as they are written, while the lists, topic pages and feeds are still being made."""


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
    id: str
    """The paper's id: breaks ties in both sort orders."""

    # Pagefind orders pages with equal sort values by the order it found their files in, which is
    # the file system's directory order: it differs from disk to disk. So every sort key ends with
    # the paper's id, and "newest first" gives exactly the order of papers/ (same day: by id,
    # descending); "most upvoted" breaks ties by that same order. Text keys throughout: Pagefind
    # sorts a key numerically only when every value is a number.
    @property
    def date_sort(self) -> str:
        return f"{self.date} {self.id}"

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


def search_facets(paper: Paper, has_code: bool = False) -> SearchFacets:
    """Every page carries every sort key, so no page drops out of sorted results."""
    return SearchFacets(
        date=paper.published.isoformat() if paper.published else UNDATED_SORT_KEY,
        year=str(paper.published.year) if paper.published else "undated",
        upvotes=paper.upvotes or 0,
        upvote_bucket=upvote_bucket(paper.upvotes),
        organisation=paper.organization.name if paper.organization else None,
        has_code=has_code,
        topics=paper.topics,
        id=paper.id,
    )


def _pagefind_binary() -> str:
    # The binary the `pagefind[bin]` package ships; imported here so that rendering never needs it.
    from pagefind.service import get_executable

    binary = get_executable()
    if binary is None or not binary.exists():
        raise BuildError("search index: the Pagefind binary is missing; install it with pip install 'pagefind[bin]'")
    return str(binary)


class PagefindRun:
    """Pagefind indexing a site's paper pages into `site/pagefind/`, in a child process that runs
    while the build goes on; finish() waits for it and checks what it wrote. Used as a context
    manager, a run that is never finished (the build failed) is stopped on the way out."""

    def __init__(self, site: Path, carry_from: Path | None = None, sources: Path | None = None) -> None:
        self.site = site
        self.sources = sources or site
        """Where Pagefind reads the paper pages: the site itself, or lean copies of its paper pages
        at the same paths (search_sources.py), which give the same records and take less time."""
        self._carried = carry_over(carry_from, site / BUNDLE_DIR) if carry_from is not None else frozenset()
        self.carried = len(self._carried)
        """Content-named files linked from the previous bundle, which Pagefind then does not write."""
        self.pruned = 0
        """Of those, the ones the new index no longer names, removed once Pagefind is done."""
        # A file, not a pipe, for what it prints: a pipe nobody reads until the end could fill up.
        self._log = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")
        try:
            self._start()
        except BaseException:
            self._log.close()
            raise

    def _start(self) -> None:
        # The packaged CLI rather than the Python API's service: the service reads one answer per
        # 0.1 s (10,000 pages: over 16 minutes) and is stopped as soon as it answers "written",
        # which can cut off files still being written (an empty pagefind-entry.json, seen with
        # 1.5.2); the CLI exits only when every file is on disk.
        # Paths relative to the site, where it runs: an output folder's name need not be UTF-8,
        # and Pagefind refuses arguments that are not. The sources' folder is one we named.
        sources = "." if self.sources == self.site else str(self.sources.absolute())
        command = [_pagefind_binary(), "--site", sources, "--glob", PAPER_PAGES, "--output-path", BUNDLE_DIR,
                   "--silent"]
        for selector in EXCLUDED_FROM_INDEX:
            command += ["--exclude-selectors", selector]
        try:
            # Run inside the site, so no pagefind.yml from the working folder changes the index.
            self._process = subprocess.Popen(command, cwd=self.site, stdin=subprocess.DEVNULL, stdout=self._log,
                                             stderr=subprocess.STDOUT)
        except OSError as error:
            raise BuildError(f"search index: could not run Pagefind: {error}") from error

    def finish(self, expected_pages: int, timeout: float = 1800) -> int:
        """Wait for Pagefind; returns the pages indexed.

        Pages without `data-pagefind-body` are left out by Pagefind itself, so the records are
        the paper pages; a count other than `expected_pages` means a template lost its marker,
        and the build fails rather than ship a search that misses papers. Files carried over from
        the previous bundle that the new index does not name are removed; should the bundle not
        read as expected, Pagefind indexes again into an empty bundle.
        """
        pages = self._wait(expected_pages, timeout)
        if self.carried:
            pruned = prune(self.site / BUNDLE_DIR, self._carried)
            if pruned is None:
                shutil.rmtree(self.site / BUNDLE_DIR)
                self._carried, self.carried = frozenset(), 0
                self._start()
                pages = self._wait(expected_pages, timeout)
            else:
                self.pruned = pruned
        return pages

    def _wait(self, expected_pages: int, timeout: float) -> int:
        try:
            returncode = self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired as error:
            raise BuildError(f"search index: Pagefind took longer than {timeout:.0f} s") from error
        if returncode != 0:
            self._log.seek(0)
            detail = self._log.read().strip().splitlines()[-5:]
            raise BuildError(f"search index: Pagefind failed (exit {returncode}): {' / '.join(detail)}")
        entry = self.site / BUNDLE_DIR / ENTRY
        try:
            languages = json.loads(entry.read_text(encoding="utf-8"))["languages"]
            pages = sum(language["page_count"] for language in languages.values())
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise BuildError(f"search index: Pagefind wrote no readable {entry.name}: {error}") from error
        if pages != expected_pages:
            raise BuildError(f"search index: Pagefind indexed {pages} pages, expected {expected_pages} "
                             "paper pages (is data-pagefind-body missing from a template?)")
        return pages

    def __enter__(self) -> PagefindRun:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        self._log.close()


def index_site(site: Path, expected_pages: int) -> int:
    """Index the paper pages under `site` into `site/pagefind/` and wait; returns the pages indexed."""
    with PagefindRun(site) as run:
        return run.finish(expected_pages)
