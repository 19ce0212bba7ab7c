"""Site-wide files for machines: the Atom feed of the newest papers, the sitemap and robots.txt."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath
from xml.sax.saxutils import escape, quoteattr

from .citations import author_names, paper_links
from .export import gzip_fixed
from .models import Catalogue, Paper, SiteConfig
from .text import title_text
from .urls import (FEED_URL, HOME_URL, NOT_IN_SITEMAP, ROBOTS_URL, SITEMAP_URL, absolute_url,
                   page_url_of, paper_url, topic_feed_url, topic_url)

ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
FEED_SIZE = 30
"""How many of the newest papers the feed carries."""
NO_DATE = "1970-01-01T00:00:00Z"
"""The feed's `updated` when no paper has a date: fixed, since the build never reads the clock."""

# XML 1.0 forbids most control characters; seed text might carry them, and one would break the feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    """Text escaped for an XML element, without the characters XML cannot hold."""
    return escape(_NOT_XML.sub("", text))


def xml_attr(text: str) -> str:
    """A quoted, escaped XML attribute value."""
    return quoteattr(_NOT_XML.sub("", text))


def atom_time(paper: Paper) -> str:
    """Midnight UTC of the paper's date: the listings give days, not times."""
    assert paper.published is not None
    return f"{paper.published.isoformat()}T00:00:00Z"


def newest_dated(papers: Iterable[Paper], limit: int) -> list[Paper]:
    """The newest papers that have a date (an undated one has no place in a feed), ties by id."""
    dated = [paper for paper in papers if paper.published]
    return sorted(dated, key=lambda paper: (paper.published, paper.id), reverse=True)[:limit]


def paper_source_links(paper: Paper) -> list[str]:
    """An entry's links to the paper itself, arXiv's abstract page and its PDF, when the arXiv id
    is known: `related`, since the entry's `alternate` is the catalogue's own page."""
    if paper.identity is None:
        return []
    links = paper_links(paper.identity.arxiv_id)
    # Not `enclosure` for the PDF: RFC 4287 wants an enclosure's length, which the build does
    # not know, and feed readers download enclosures as media.
    return [f'<link rel="related" type="text/html" href={xml_attr(links.abstract)} title="arXiv"/>',
            f'<link rel="related" type="application/pdf" href={xml_attr(links.pdf)} title="PDF"/>']


def atom_feed(papers: Iterable[Paper], config: SiteConfig, summarize: Callable[[str], str],
              limit: int = FEED_SIZE, *, title: str | None = None, subtitle: str | None = None,
              feed_url: str = FEED_URL, page_url: str = HOME_URL) -> bytes:
    """An Atom feed of the newest of `papers` (the whole site's by default, or one topic's);
    `summarize` turns an abstract into the plain-text summary (text policy)."""
    home = absolute_url(config.base_url, HOME_URL)
    page = absolute_url(config.base_url, page_url)
    papers = newest_dated(papers, limit)
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="{ATOM_NS}" xml:lang={xml_attr(config.language)}>',
        f"<title>{xml_text(title or config.title)}</title>",
        f"<subtitle>{xml_text(subtitle or config.description)}</subtitle>",
        f'<link rel="self" type="application/atom+xml" href={xml_attr(absolute_url(config.base_url, feed_url))}/>',
        f'<link rel="alternate" type="text/html" href={xml_attr(page)}/>',
        f"<id>{xml_text(page)}</id>",
        f"<updated>{atom_time(papers[0]) if papers else NO_DATE}</updated>",
        # Atom needs an author: the feed's is the catalogue. An entry names its paper's authors only
        # when an API record gave their names, never invented ones; without, it has the feed's.
        f"<author><name>{xml_text(config.title)}</name><uri>{xml_text(home)}</uri></author>",
    ]
    for paper in papers:
        url = absolute_url(config.base_url, paper_url(paper.id))
        lines += [
            "<entry>",
            f"<title>{xml_text(title_text(paper.title))}</title>",
            f'<link rel="alternate" type="text/html" href={xml_attr(url)}/>',
            *paper_source_links(paper),
            f"<id>{xml_text(url)}</id>",
            f"<published>{atom_time(paper)}</published>",
            f"<updated>{atom_time(paper)}</updated>",
            *(f"<author><name>{xml_text(name)}</name></author>" for name in author_names(paper)),
            f"<summary>{xml_text(summarize(paper.abstract))}</summary>",
            "</entry>",
        ]
    lines.append("</feed>")
    return ("\n".join(lines) + "\n").encode("utf-8")


SITEMAP_LIMIT = 50_000
"""The most URLs one sitemap file may hold (sitemaps.org); a larger site gets a sitemap index."""


def sitemap(page_urls: Iterable[str], base_url: str) -> bytes:
    """A sitemap: the absolute URL of every page given, in URL order (the home page first)."""
    lines = ['<?xml version="1.0" encoding="utf-8"?>', f'<urlset xmlns="{SITEMAP_NS}">']
    lines += [f"<url><loc>{xml_text(absolute_url(base_url, url))}</loc></url>" for url in sorted(page_urls)]
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def sitemap_files(page_urls: Iterable[str], base_url: str, limit: int = SITEMAP_LIMIT) -> dict[PurePosixPath, bytes]:
    """sitemap.xml listing every page; past `limit` pages it is an index of sitemap-1.xml.gz,
    sitemap-2.xml.gz and so on, each of `limit` pages at most, so robots.txt names one file either way.

    The parts are gzipped, as sitemaps.org allows: at 100,000 pages they would be 12 MB as text
    and are 1 MB gzipped, which counts against GitHub Pages' 1 GB."""
    urls = sorted(page_urls)
    if len(urls) <= limit:
        return {PurePosixPath(SITEMAP_URL): sitemap(urls, base_url)}
    files: dict[PurePosixPath, bytes] = {}
    lines = ['<?xml version="1.0" encoding="utf-8"?>', f'<sitemapindex xmlns="{SITEMAP_NS}">']
    for number, start in enumerate(range(0, len(urls), limit), start=1):
        part = f"sitemap-{number}.xml.gz"
        files[PurePosixPath(part)] = gzip_fixed(sitemap(urls[start:start + limit], base_url))
        lines.append(f"<sitemap><loc>{xml_text(absolute_url(base_url, part))}</loc></sitemap>")
    lines.append("</sitemapindex>")
    files[PurePosixPath(SITEMAP_URL)] = ("\n".join(lines) + "\n").encode("utf-8")
    return files


def robots_txt(base_url: str) -> bytes:
    """robots.txt: everything may be crawled, and here is the sitemap.

    Crawlers read robots.txt only at a host's root, so under a subpath this file is a courtesy;
    the sitemap URL inside it is absolute and right either way.
    """
    return f"User-agent: *\nAllow: /\n\nSitemap: {absolute_url(base_url, SITEMAP_URL)}\n".encode("utf-8")


def listed_pages(paths: Iterable[PurePosixPath]) -> list[str]:
    """The site-relative URLs of the pages among the output paths that belong in the sitemap."""
    urls = (page_url_of(path) for path in paths)
    return [url for url in urls if url is not None and url not in NOT_IN_SITEMAP]


def machine_files(paths: Iterable[PurePosixPath], catalogue: Catalogue, config: SiteConfig,
                  summarize: Callable[[str], str]) -> dict[PurePosixPath, bytes]:
    """feed.xml, the sitemap and robots.txt, given the paths of every page already rendered."""
    files = {
        PurePosixPath(FEED_URL): atom_feed(catalogue.papers, config, summarize),
        **sitemap_files(listed_pages(paths), config.base_url),
        PurePosixPath(ROBOTS_URL): robots_txt(config.base_url),
    }
    members = catalogue.topic_members()
    for topic in catalogue.topics:
        files[PurePosixPath(topic_feed_url(topic.slug))] = atom_feed(
            members[topic.slug], config, summarize, title=f"{topic.name} · {config.title}",
            subtitle=f"Newest papers on {topic.name}.", feed_url=topic_feed_url(topic.slug),
            page_url=topic_url(topic.slug))
    return files
