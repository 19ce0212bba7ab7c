"""View models: what each page shows, computed once in Python so templates hold no logic."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import quote_plus, urlsplit

from markupsafe import Markup, escape

from . import citations
from .models import Catalogue, Paper, SiteConfig, Source
from .search import SearchFacets, day_ranks, in_parts, search_facets
from .text import spoken, title_html, title_text
from .urls import (BIB_URL, EXPORT_URL, FAVICON_URL, FEED_URL, HOME_URL, PAPERS_URL, SCRIPT_URL, SEARCH_URL,
                   STYLESHEET_URL, TOPICS_URL, absolute_url, paper_cite_url, paper_url, site_link, topic_url)

# Hosts whose links are code, listed first on a paper page.
CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "huggingface.co", "codeberg.org",
              "paperswithcode.com")


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def human_date(date: dt.date) -> str:
    """`30 Aug 2025`: unambiguous in every locale (and not `strftime`, which follows the locale)."""
    return f"{date.day} {MONTHS[date.month - 1]} {date.year}"


@dataclass(frozen=True)
class Link:
    label: str
    href: str


@dataclass(frozen=True)
class PageMeta:
    """A page's head: title, description, canonical URL and how social cards present it."""

    title: str
    """The page's own title, for social cards."""
    document_title: str
    """The <title>: the page's title then the site's, or the site's alone on the home page."""
    description: str
    canonical: str | None
    """Absolute URL, or None for pages that live at no one address (the 404 page)."""
    indexable: bool = True


@dataclass(frozen=True)
class SiteView:
    """What every page's layout needs: names, links to the fixed pages, the base URL."""

    title: str
    description: str
    language: str
    base_url: str
    home: str
    papers: str
    search: str
    feed: str
    export: str
    bib: str
    stylesheet: str
    script: str
    favicon: str
    nav: tuple[Link, ...]
    """The masthead's links: all papers, topics once they exist, then every site_src page."""

    def link(self, url: str) -> str:
        return site_link(self.base_url, url)

    def absolute(self, url: str) -> str:
        return absolute_url(self.base_url, url)


def site_view(config: SiteConfig, has_topics: bool = False,
              pages: tuple[tuple[str, str], ...] = ()) -> SiteView:
    """The layout's view; `pages` are (nav label, site-relative URL) of the site_src pages."""
    link = lambda url: site_link(config.base_url, url)  # noqa: E731 - a local shorthand
    nav = [Link("Papers", link(PAPERS_URL))]
    if has_topics:  # never link a page that is not built
        nav.append(Link("Topics", link(TOPICS_URL)))
    nav.extend(Link(label, link(url)) for label, url in pages)
    return SiteView(
        title=config.title, description=config.description, language=config.language,
        base_url=config.base_url, home=link(HOME_URL), papers=link(PAPERS_URL),
        search=link(SEARCH_URL), feed=link(FEED_URL), export=link(EXPORT_URL), bib=link(BIB_URL),
        stylesheet=link(STYLESHEET_URL), script=link(SCRIPT_URL), favicon=link(FAVICON_URL),
        nav=tuple(nav),
    )


def page_meta(site: SiteView, title: str, url: str | None, description: str | None = None,
              indexable: bool = True) -> PageMeta:
    """A page's head; url None means the page has no one address (no canonical, not indexed)."""
    return PageMeta(
        title=title, document_title=title if title == site.title else f"{title} · {site.title}",
        description=description or site.description,
        canonical=site.absolute(url) if url is not None else None,
        indexable=indexable and url is not None,
    )


@dataclass(frozen=True)
class PaperRow:
    """A paper in a list: enough for one compact line."""

    title: Markup
    """Inline HTML (text.title_html): maths as MathML, text commands resolved."""
    href: str
    date_iso: str | None
    date_human: str | None
    upvotes: int | None
    shared: tuple[str, ...] = ()
    """For a related paper: the distinctive terms the two papers share."""
    byline: str | None = None
    """`First Author et al.`, when the authors are named."""


@dataclass(frozen=True)
class SearchTags:
    """A paper's Pagefind sort keys, metadata and filters, all on one hidden element.

    Each of Pagefind's three attributes takes a comma-separated list (documented for 1.x under
    "Specifying multiple filters on a single element"): every item but the last is a
    `key[attribute]` capture, whose value Pagefind reads from that attribute of the same element,
    and the last item may be inline, `key:value`, captured to the end of the attribute. So no
    value ever needs escaping, whatever commas, colons or brackets an organisation name holds;
    one element replaces the eight or so hidden spans a page needed with one key per element.
    """

    sort: str
    meta: str
    """Empty when there is none; the upvote count is read from the page's own "Upvotes" line."""
    filter: str
    values: tuple[tuple[str, str], ...]
    """(data attribute, value) pairs the captures read, in order."""


def search_tags(facets: SearchFacets, date_human: str | None, title: str | None = None,
                byline: str | None = None, sort_meta: bool = False) -> SearchTags:
    """SearchTags for a paper's facets: the same keys and values as one span per key would give.
    `title` is the plain title a result shows (Pagefind would otherwise take the <h1>'s text,
    which reads MathML as its bare characters). With `sort_meta` (an index in parts) it also
    carries its sort key as `order` metadata: the search page merges the parts' sorted results by it."""
    sort = [("upvotes", facets.upvotes_sort), ("date", facets.date_sort)]
    # No `topics` metadata: the search page shows a result's topics from its topic filter values
    # and the topic names it is given once (data-topic-names).
    # No `upvotes` metadata here either: the page's "Upvotes" line gives it, so a paper the
    # listing gave no count for has none, rather than a zero nobody counted.
    meta = [("order", facets.upvotes_sort)] if sort_meta else []  # holds the date key too, after the count
    if title:
        meta.append(("title", title))
    if byline:
        meta.append(("authors", byline))
    if date_human:
        meta.append(("date", date_human))
    values: dict[str, str] = {}  # value -> attribute, so a value two lists share is written once

    def captures(pairs: list[tuple[str, str]]) -> str:
        if not pairs:
            return ""
        items = []
        for key, value in pairs[:-1]:
            attribute = values.setdefault(value, f"data-p{len(values)}")
            items.append(f"{key}[{attribute}]")
        key, value = pairs[-1]
        return ",".join([*items, f"{key}:{value}"])

    tags = (captures(sort), captures(meta), captures(list(facets.filters)))
    return SearchTags(*tags, values=tuple((attribute, value) for value, attribute in values.items()))


FIND_THIS_PAPER = (
    ("arXiv", "https://arxiv.org/search/?searchtype=title&query="),
    ("Hugging Face", "https://huggingface.co/papers?q="),
    ("Semantic Scholar", "https://www.semanticscholar.org/search?q="),
    ("Google Scholar", "https://scholar.google.com/scholar?q="),
)
"""Each service's title search, for a paper whose arXiv id no record gave."""


def title_searches(title: str) -> tuple[Link, ...]:
    query = quote_plus(title)
    return tuple(Link(name, search + query) for name, search in FIND_THIS_PAPER)


@dataclass(frozen=True)
class Authors:
    """A paper's authors by name, in order: the first ones shown, the rest behind "and N more"."""

    shown: tuple[str, ...]
    more: tuple[str, ...]


def authors_view(names: tuple[str, ...]) -> Authors | None:
    if not names:
        return None
    # Never hide a single name behind "and 1 more".
    cut = len(names) if len(names) <= citations.AUTHORS_SHOWN + 1 else citations.AUTHORS_SHOWN
    return Authors(names[:cut], names[cut:])


@dataclass(frozen=True)
class ReadingLinks:
    """Where to read the paper: arXiv, its PDF, Hugging Face, code and project page; or, with no
    arXiv id, each service's search for the title."""

    direct: tuple[Link, ...]
    code: Link | None
    code_stars: int | None
    project: Link | None
    searches: tuple[Link, ...]


def reading_links(paper: Paper, title: str) -> ReadingLinks:
    identity = paper.identity
    if identity is None:
        return ReadingLinks((), None, None, None, title_searches(title))
    links = citations.paper_links(identity.arxiv_id)
    direct = (Link(f"arXiv:{identity.arxiv_id}", links.abstract), Link("PDF", links.pdf),
              Link("Hugging Face", links.hugging_face))
    code = external_link(identity.code_url) if identity.code_url else None
    project = external_link(identity.project_url) if identity.project_url else None
    return ReadingLinks(direct, code, identity.code_stars if code else None, project, ())


@dataclass(frozen=True)
class Citation:
    """The Cite section and the head's citation metadata."""

    bibtex: str
    file: str
    """The site link of the paper's cite.bib."""
    scholar: tuple[tuple[str, str], ...]
    json_ld: Markup


@dataclass(frozen=True)
class PaperView:
    """Everything a paper's own page shows."""

    id: str
    title_html: Markup
    """Inline HTML (text.title_html), for the page's <h1>."""
    title_spoken: str | None
    """The title's other spelling (`tau-bench` for `τ-bench`), given to Pagefind to index; None
    when it is the plain title."""
    abstract_html: Markup
    date_iso: str | None
    date_human: str | None
    upvotes: int | None
    authors: int | None
    author_names: Authors | None
    organization: Link | None
    topics: tuple[Link, ...]
    read: ReadingLinks
    links: tuple[Link, ...]
    sources: tuple[Source, ...]
    previous: PaperRow | None
    next: PaperRow | None
    search: SearchTags
    meta: PageMeta
    cite: Citation
    related: tuple[PaperRow, ...] = field(default=())


def paper_row(paper: Paper, site: SiteView, shared: tuple[str, ...] = ()) -> PaperRow:
    return PaperRow(
        title=title_html(paper.title), href=site.link(paper_url(paper.id)),
        date_iso=paper.published.isoformat() if paper.published else None,
        date_human=human_date(paper.published) if paper.published else None,
        upvotes=paper.upvotes, shared=shared, byline=citations.byline(paper),
    )


def is_code_link(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return any(host == code or host.endswith("." + code) for code in CODE_HOSTS)


def has_code(paper: Paper) -> bool:
    """Whether a paper links its code: a repository its record names, or a code host in its abstract."""
    return bool(paper.identity and paper.identity.code_url) or any(is_code_link(url) for url in paper.links)


def ordered_links(urls: tuple[str, ...]) -> tuple[Link, ...]:
    """Links found in the abstract, code first, otherwise in order of appearance."""
    ordered = sorted(urls, key=lambda url: not is_code_link(url))
    return tuple(map(external_link, ordered))


def external_link(url: str) -> Link:
    """A link to another site, labelled by its address without the scheme or a final slash."""
    return Link(label=url.split("://", 1)[-1].rstrip("/"), href=url)


def by_date(papers: tuple[Paper, ...]) -> list[Paper]:
    """Oldest first; undated papers after every dated one, by id, so the order is total."""
    return sorted(papers, key=lambda p: (p.published is None, p.published or dt.date.min, p.id))


def newest_first(papers) -> list[Paper]:
    """Newest first, papers of one day by id descending, undated papers last (by id descending
    too, as if of one day): the order of the search page's "newest first" sort."""
    dated = sorted((p for p in papers if p.published), key=lambda p: (p.published, p.id), reverse=True)
    return dated + sorted((p for p in papers if not p.published), key=lambda p: p.id, reverse=True)


def most_upvoted(papers, listed: int) -> list[Paper]:
    """The `listed` papers with the most upvotes (none without), ties newest first: the order of
    the search page's "most upvoted" sort."""
    return sorted(newest_first([p for p in papers if p.upvotes]), key=lambda p: -p.upvotes)[:listed]


@dataclass(frozen=True)
class DateOrder:
    """What each paper page takes from the whole catalogue: the date order that previous and next
    follow, the papers by id (for related rows), and each paper's rank in its day (sort keys)."""

    papers: list[Paper]
    by_id: dict[str, Paper]
    ranks: dict[str, str]
    cite_keys: dict[str, str]
    in_parts: bool = False
    """Whether the search index is in parts (`search.index_parts`), so results carry their sort keys."""


def date_order(catalogue: Catalogue, pages_per_index: int) -> DateOrder:
    """The catalogue's DateOrder; `pages_per_index` is the site's search_pages_per_index."""
    papers = catalogue.papers
    return DateOrder(by_date(papers), {paper.id: paper for paper in papers}, day_ranks(papers),
                     citations.cite_keys(papers), in_parts(len(papers), pages_per_index))


def paper_views(catalogue: Catalogue, site: SiteView, describe, render_abstract,
                plain_text, span: slice, order: DateOrder) -> list[PaperView]:
    """One view per paper, with previous/next by date; text policy comes in as functions
    (`describe` shortens the plain text that `plain_text` made of the abstract). `span` picks a
    part of the date order, so workers can share the catalogue and its `order`, made once."""
    ordered, by_id, ranks, keys = order.papers, order.by_id, order.ranks, order.cite_keys
    topic_names = {topic.slug: topic.name for topic in catalogue.topics}
    views = []
    for index in range(*span.indices(len(ordered))):
        paper = ordered[index]
        previous = ordered[index - 1] if index > 0 else None
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        abstract_text = plain_text(paper.abstract)
        description = describe(abstract_text)
        title = title_text(paper.title)
        heading = title_html(paper.title)
        # Pagefind takes a result's title from the <h1>'s text, which is right unless the heading
        # holds markup (MathML reads as bare characters); then it is given the plain title.
        result_title = title if heading != escape(title) else None
        title_spoken = spoken(title)
        views.append(PaperView(
            id=paper.id, title_html=heading,
            title_spoken=title_spoken if title_spoken != title else None,
            abstract_html=render_abstract(paper.abstract),
            date_iso=paper.published.isoformat() if paper.published else None,
            date_human=human_date(paper.published) if paper.published else None,
            upvotes=paper.upvotes, authors=paper.authors,
            author_names=authors_view(citations.author_names(paper)),
            organization=Link(paper.organization.name, f"https://huggingface.co/{paper.organization.handle}")
            if paper.organization else None,
            topics=tuple(Link(topic_names.get(slug, slug), site.link(topic_url(slug))) for slug in paper.topics),
            read=reading_links(paper, title),
            links=ordered_links(paper.links),
            sources=paper.sources,
            previous=paper_row(previous, site) if previous else None,
            next=paper_row(following, site) if following else None,
            search=search_tags(search_facets(paper, ranks[paper.id], has_code(paper)),
                               human_date(paper.published) if paper.published else None, result_title,
                               citations.byline(paper), order.in_parts),
            meta=page_meta(site, title, paper_url(paper.id), description),
            cite=Citation(citations.bibtex(paper, keys[paper.id]), site.link(paper_cite_url(paper.id)),
                          citations.scholar_tags(paper),
                          citations.json_ld(paper, site.absolute(paper_url(paper.id)), description)),
            related=tuple(paper_row(by_id[link.id], site, link.terms) for link in paper.related if link.id in by_id),
        ))
    return views


LIST_PAGE_SIZE = SiteConfig.model_fields["papers_per_page"].default
"""Papers per page of a long list when the site owner sets none (see SiteConfig.papers_per_page)."""
PAGER_REACH = 2
"""The pager links this many pages either side of the current one, besides the first and last."""


@dataclass(frozen=True)
class YearGroup:
    label: str
    anchor: str
    papers: tuple[PaperRow, ...]
    count: int
    """The year's papers in the whole list, of which a page may show only some."""


@dataclass(frozen=True)
class PagerLink:
    """One entry of a pager: a page number, or a gap (`href` None) standing for skipped pages."""

    label: str
    href: str | None
    current: bool = False


@dataclass(frozen=True)
class Pager:
    """Links between the pages of a list: previous, next, and a window of page numbers."""

    previous: str | None
    next: str | None
    links: tuple[PagerLink, ...]


@dataclass(frozen=True)
class ListPage:
    """One page of a list of papers, newest first, grouped by year."""

    url: str
    """Site-relative, as urls.list_page_url gives it."""
    number: int
    count: int
    """How many pages the list has."""
    first: int
    last: int
    """The positions (from 1) of this page's first and last paper in the whole list."""
    total: int
    groups: tuple[YearGroup, ...]
    years: tuple[Link, ...]
    """Each year of the whole list, linked to the page and heading where it begins."""
    pager: Pager | None
    """None when the whole list fits on one page."""

    def title(self, title: str) -> str:
        """The list's title, with the page number after page 1, so every page has its own title."""
        return title if self.number == 1 else f"{title}, page {self.number} of {self.count}"

    def description(self, whole: str) -> str:
        """A meta description from what the list is (`whole`); later pages add their number, so
        no two pages share one."""
        more = f": page {self.number} of {self.count}" if self.number > 1 else ""
        return f"{whole}, newest first{more}."


def _year_label(paper: Paper) -> str:
    return str(paper.published.year) if paper.published else "Undated"


def pager_numbers(number: int, count: int, reach: int = PAGER_REACH) -> list[int | None]:
    """The page numbers a pager shows: the first, the last, and `reach` either side of `number`;
    None marks a gap. Where a gap would hide a single page, that page is shown instead."""
    shown = sorted({1, count, *range(max(1, number - reach), min(count, number + reach) + 1)})
    numbers: list[int | None] = []
    for before, page in zip([0, *shown], shown):
        if page - before == 2 and before:
            numbers.append(page - 1)
        elif page - before > 2 and before:
            numbers.append(None)
        numbers.append(page)
    return numbers


def pager(number: int, count: int, link_of) -> Pager | None:
    """The pager of page `number` of `count`; `link_of(n)` is page n's link. None for one page."""
    if count < 2:
        return None
    return Pager(
        previous=link_of(number - 1) if number > 1 else None,
        next=link_of(number + 1) if number < count else None,
        links=tuple(PagerLink("…", None) if page is None else PagerLink(str(page), link_of(page), page == number)
                    for page in pager_numbers(number, count)),
    )


def list_pages(papers, site: SiteView, url_of, page_size: int = LIST_PAGE_SIZE) -> list[ListPage]:
    """A list of papers split into pages of `page_size`, newest first; `url_of(n)` is page n's
    site-relative URL (urls.papers_page_url, or a topic's). A list with no papers is one empty page."""
    ordered = newest_first(papers)
    count = max(1, -(-len(ordered) // page_size))
    totals = Counter(_year_label(paper) for paper in ordered)
    starts: dict[str, int] = {}
    for position, paper in enumerate(ordered):
        starts.setdefault(_year_label(paper), position // page_size + 1)
    years = tuple(Link(label, f"{site.link(url_of(page))}#y-{label.lower()}") for label, page in starts.items())
    pages = []
    for number in range(1, count + 1):
        chunk = ordered[(number - 1) * page_size:number * page_size]
        groups: dict[str, list[PaperRow]] = {}
        for paper in chunk:
            groups.setdefault(_year_label(paper), []).append(paper_row(paper, site))
        pages.append(ListPage(
            url=url_of(number), number=number, count=count,
            first=(number - 1) * page_size + 1 if chunk else 0, last=(number - 1) * page_size + len(chunk),
            total=len(ordered),
            groups=tuple(YearGroup(label, f"y-{label.lower()}", tuple(rows), totals[label])
                         for label, rows in groups.items()),
            years=years, pager=pager(number, count, lambda n: site.link(url_of(n))),
        ))
    return pages


def papers_per_year(papers) -> dict[int, int]:
    return dict(sorted(Counter(p.published.year for p in papers if p.published).items()))


@dataclass(frozen=True)
class HomeView:
    paper_count: int
    dated_count: int
    topic_count: int
    first_year: int | None
    last_year: int | None
    newest: tuple[PaperRow, ...]
    most_upvoted: tuple[PaperRow, ...]
    topics: tuple[tuple[Link, int], ...]
    chart: Markup
    about: Link | None
    """The site owner's page that says more about the catalogue, when there is one."""


def home_view(catalogue: Catalogue, site: SiteView, chart, about: Link | None = None,
              listed: int = 8) -> HomeView:
    papers = catalogue.papers
    years = papers_per_year(papers)
    counts = Counter(slug for p in papers for slug in p.topics)
    return HomeView(
        paper_count=len(papers), dated_count=sum(1 for p in papers if p.published),
        topic_count=len(catalogue.topics),
        first_year=min(years) if years else None, last_year=max(years) if years else None,
        newest=tuple(paper_row(p, site) for p in newest_first(papers)[:listed]),
        most_upvoted=tuple(paper_row(p, site) for p in most_upvoted(papers, listed)),
        topics=tuple((Link(t.name, site.link(topic_url(t.slug))), counts[t.slug]) for t in catalogue.topics),
        chart=chart(years), about=about,
    )

