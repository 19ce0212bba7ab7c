"""Validated records of the catalogue and the site config: the data every stage passes along."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Record(BaseModel):
    """Immutable, strict base: records are validated once, where data enters."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(Record):
    """Where an entry was read: a seed file name and a 1-based line number."""

    file: str
    line: int = Field(ge=1)


class Organization(Record):
    """The organisation a listing shows: its hub handle and display name."""

    handle: str = Field(min_length=1)
    name: str = Field(min_length=1)


ARXIV_ID = r"^(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})$"
"""An arXiv identifier without its version: `2405.12345`, or the old scheme's `cs/0101001`."""


class Identity(Record):
    """What an API record knows of a paper beyond a listing: its arXiv id, its authors by name,
    its code and project page, and Hugging Face's keywords. A listing dump has none of it."""

    arxiv_id: str = Field(pattern=ARXIV_ID)
    author_names: tuple[str, ...] = ()
    code_url: str | None = None
    code_stars: int | None = Field(default=None, ge=0)
    project_url: str | None = None
    keywords: tuple[str, ...] = ()


class Entry(Record):
    """One paper as one listing shows it, before merging across files."""

    title: str = Field(min_length=1)
    abstract: str = ""
    published: dt.date | None = None
    upvotes: int | None = Field(default=None, ge=0)
    authors: int | None = Field(default=None, ge=1)
    organization: Organization | None = None
    identity: Identity | None = None
    """Set for an API record; None for a listing dump's entry."""
    source: Source

    @field_validator("title", "abstract")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        return value.strip()


class RelatedLink(NamedTuple):
    """A similar paper, and the distinctive terms the two share (most telling first). A plain
    tuple: a catalogue holds five per paper, all made from validated papers."""

    id: str
    terms: tuple[str, ...] = ()


Links = dict[str, tuple[tuple[str, tuple[str, ...]], ...]]
"""Paper id -> its related papers as (id, shared terms), most similar first: what related.py
computes and the cache keeps, as plain tuples."""


class Paper(Record):
    """One distinct paper: the merged metadata of every entry that showed it."""

    id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=96)
    title: str = Field(min_length=1)
    abstract: str
    published: dt.date | None = None
    upvotes: int | None = Field(default=None, ge=0)
    authors: int | None = Field(default=None, ge=1)
    organization: Organization | None = None
    identity: Identity | None = None
    """The arXiv id, authors' names and code links, when an API record showed the paper."""
    topics: tuple[str, ...] = ()
    related: tuple[RelatedLink, ...] = ()
    """Most similar first; papers.json gives only the ids, pages can show the shared terms."""
    links: tuple[str, ...] = ()
    sources: tuple[Source, ...] = Field(min_length=1)


class Topic(Record):
    """A topic of the taxonomy, as the site owner defined it in site_src/topics.toml."""

    slug: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    name: str = Field(min_length=1)
    description: str = ""
    """Markdown, shown on the topic's page."""
    catch_all: bool = False
    """The topic a paper gets only when no other topic fits."""


class Catalogue(Record):
    """Every paper and topic of the site, papers sorted by id."""

    papers: tuple[Paper, ...]
    topics: tuple[Topic, ...] = ()

    def topic_members(self) -> dict[str, list[Paper]]:
        """Each topic's papers (any rank, not only primary), in catalogue order: one pass over the papers."""
        members: dict[str, list[Paper]] = {topic.slug: [] for topic in self.topics}
        for paper in self.papers:
            for slug in paper.topics:
                members.setdefault(slug, []).append(paper)
        return members

    def with_related(self, links: Links) -> Catalogue:
        """The catalogue with each paper's related papers attached."""
        if not links:
            return self
        papers = tuple(paper.model_copy(update={"related": tuple(map(RelatedLink._make, links.get(paper.id, ())))})
                       for paper in self.papers)
        return self.model_copy(update={"papers": papers})


class SiteConfig(Record):
    """The site owner's settings, from site_src/site.toml."""

    title: str = "Paper catalogue"
    """Shown in the header, the page titles and the feeds."""
    description: str = "A browsable catalogue of research papers."
    """One sentence for the home page and meta descriptions."""
    base_url: str = "http://127.0.0.1:8000/"
    """Absolute URL the site is served from; overridden by --base-url."""
    capture_year: int | None = Field(default=None, ge=1900, le=2200)
    """Year the listings were captured; inferred per file when absent."""
    language: str = "en"
    """The BCP 47 language of the pages."""
    cname: str | None = None
    """Custom domain for GitHub Pages, written to CNAME when set."""
    papers_per_page: int = Field(default=500, ge=10, le=5000)
    """Papers per page of papers/ and of each topic's page. 500 compact rows make a page of about
    160 KB (25 KB gzipped), where one page of every paper was 3 MB at 10,000 papers and 30 MB at
    100,000; a reading list of a few hundred papers, like the seeds, stays on one page."""
    search_pages_per_index: int = Field(default=50_000, ge=10)
    """Papers per part of the search index. Pagefind holds about 100 KB a page while it indexes,
    so a larger catalogue is indexed in parts, one after the other (about 5.5 GB each at 50,000),
    and the search page searches them all; lower it for a machine with less memory."""

    @field_validator("base_url")
    @classmethod
    def _ends_with_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"
