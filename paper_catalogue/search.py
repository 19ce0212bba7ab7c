"""Search: the facets each paper page gives Pagefind (metadata, filters, sort keys)."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Paper


@dataclass(frozen=True)
class SearchFacets:
    """What a paper page tells Pagefind beyond its text."""

    date: str
    year: str
    upvotes: int


def search_facets(paper: Paper) -> SearchFacets:
    """Every page carries every sort key, so no page drops out of sorted results."""
    return SearchFacets(
        date=paper.published.isoformat() if paper.published else "0000-00-00",
        year=str(paper.published.year) if paper.published else "undated",
        upvotes=paper.upvotes or 0,
    )
