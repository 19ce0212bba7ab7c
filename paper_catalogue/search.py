"""Search: the facets each paper page gives Pagefind, and the Pagefind index built over the written site."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import BuildError
from .models import Paper

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


def index_site(site: Path, expected_pages: int) -> int:
    """Index every HTML file under `site` from disk into `site/pagefind/`; returns the pages indexed.

    Pages without `data-pagefind-body` (home, lists, about) are left out by Pagefind itself, so
    the records are the paper pages; a count other than `expected_pages` means a template lost
    its marker, and the build fails rather than ship a search that misses papers.
    """
    # The packaged CLI rather than the Python API's service: the service is stopped as soon as it
    # answers "written", which can cut off files still being written (an empty
    # pagefind-entry.json, seen with 1.5.2); the CLI exits only when every file is on disk.
    command = [_pagefind_binary(), "--site", ".", "--output-subdir", BUNDLE_DIR, "--silent"]
    for selector in EXCLUDED_FROM_INDEX:
        command += ["--exclude-selectors", selector]
    try:
        # Run inside the site, so no pagefind.yml from the working folder changes the index.
        ran = subprocess.run(command, cwd=site, capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BuildError(f"search index: could not run Pagefind: {error}") from error
    if ran.returncode != 0:
        detail = (ran.stderr or ran.stdout).strip().splitlines()[-5:]
        raise BuildError(f"search index: Pagefind failed (exit {ran.returncode}): {' / '.join(detail)}")
    entry = site / BUNDLE_DIR / "pagefind-entry.json"
    try:
        languages = json.loads(entry.read_text(encoding="utf-8"))["languages"]
        pages = sum(language["page_count"] for language in languages.values())
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BuildError(f"search index: Pagefind wrote no readable {entry.name}: {error}") from error
    if pages != expected_pages:
        raise BuildError(f"search index: Pagefind indexed {pages} pages, expected {expected_pages} "
                         "paper pages (is data-pagefind-body missing from a template?)")
    return pages
