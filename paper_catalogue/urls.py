"""The one home of naming: title keys, paper ids, site URLs, output paths and the base URL."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from pathlib import PurePosixPath

from .text import id_text

MAX_SLUG = 80
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_NOT_WORD = re.compile(r"[\W_]+")
_APOSTROPHE = re.compile(r"(?<=[A-Za-z0-9])['\u2019](?=[A-Za-z])")


def title_key(title: str) -> str:
    """The normalised title two entries share when they are the same paper.

    Case, accents' composition, punctuation and spacing are ignored: `Deep-Learning` and
    `deep learning` are one paper; LaTeX is read as a reader sees it, so `$\\tau$-bench` and
    `τ-bench` are one paper too.
    """
    return _key(id_text(title))


def _key(text: str) -> str:
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by hyphens; may be empty."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    ascii_text = _APOSTROPHE.sub("", ascii_text)  # "OpenAI's" -> "openais", not "openai-s"
    return _NOT_ALNUM.sub("-", ascii_text.lower()).strip("-")


def paper_id(title: str) -> str:
    """A paper's permanent id, from its own title alone, so other papers never change it.

    A title holding LaTeX gives its id from its plain text (`text.id_text`): no command name
    and no `$` ever reaches a URL, and titles without LaTeX keep the ids they always had.

    Titles with the same `title_key` are merged, and an untruncated ASCII slug determines
    that key, so such slugs never collide. A slug that lost something (truncation, or
    characters with no ASCII form) gets a short hash of the key to stay unique.
    """
    title = id_text(title)
    key = _key(title)
    slug = slugify(title)
    lossless = slug.replace("-", "") == key and len(slug) <= MAX_SLUG
    if lossless and slug:
        return slug
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]
    stem = slug[:MAX_SLUG].rsplit("-", 1)[0] if len(slug) > MAX_SLUG else slug
    stem = stem.strip("-") or "paper"
    return f"{stem}-{digest}"


def paper_url(paper_id_: str) -> str:
    """A paper page's URL relative to the site root (pretty URL: a folder with index.html)."""
    return f"papers/{paper_id_}/"


def paper_cite_url(paper_id_: str) -> str:
    """The paper's BibTeX file, beside its page."""
    return f"papers/{paper_id_}/cite.bib"


def topic_bib_url(slug: str) -> str:
    """A topic's papers as BibTeX, beside its page."""
    return f"{topic_url(slug)}papers.bib"


def topic_url(slug: str) -> str:
    """A topic page's URL relative to the site root."""
    return f"topics/{slug}/"


def list_page_url(first_page_url: str, number: int) -> str:
    """Page `number` (from 1) of a list split over several pages.

    Page 1 keeps the list's own URL, so links made before the list was split still work; later
    pages are `<list>page/<number>/`. Under papers/ that folder cannot clash with a paper: a paper
    whose id is `page` is papers/page/index.html, and page 2 is papers/page/2/index.html.
    """
    if number < 1:
        raise ValueError(f"list pages are numbered from 1, not {number}")
    return first_page_url if number == 1 else f"{first_page_url}page/{number}/"


def papers_page_url(number: int) -> str:
    """Page `number` of the list of all papers (papers/ for page 1)."""
    return list_page_url(PAPERS_URL, number)


def topic_page_url(slug: str, number: int) -> str:
    """Page `number` of a topic's list of papers (the topic's own page for page 1)."""
    return list_page_url(topic_url(slug), number)


def topic_feed_url(slug: str) -> str:
    """A topic's Atom feed, beside its page."""
    return f"{topic_url(slug)}feed.xml"


def output_path(url: str) -> PurePosixPath:
    """Where a page with this site-relative URL is written inside the output folder."""
    if url == "" or url.endswith("/"):
        return PurePosixPath(url) / "index.html"
    return PurePosixPath(url)


def page_url_of(path: PurePosixPath) -> str | None:
    """The site-relative URL of a page written at `path` (the inverse of `output_path`), or None.

    Only pretty-URL pages (`x/index.html`) are pages; other files (404.html, feeds) give None.
    """
    if path.name != "index.html":
        return None
    folder = path.parent.as_posix()
    return "" if folder == "." else folder + "/"


def absolute_url(base_url: str, url: str) -> str:
    """A site-relative URL made absolute under the base URL (which may be a subpath)."""
    return base_url.rstrip("/") + "/" + url.lstrip("/")


@lru_cache(maxsize=8)  # asked for every link of every page, with the same base URL
def base_path(base_url: str) -> str:
    """The path part of the base URL, `/` or `/repo/`, that root-relative links start with."""
    without_scheme = base_url.split("://", 1)[-1]
    path = "/" + without_scheme.split("/", 1)[1] if "/" in without_scheme else "/"
    return path if path.endswith("/") else path + "/"


def site_link(base_url: str, url: str) -> str:
    """A root-relative link to a site-relative URL, under the base URL's subpath.

    Pages link with paths (`/repo/papers/x/`), not absolute URLs, so the same build works on
    any host; canonical URLs and feeds use `absolute_url` instead.
    """
    return base_path(base_url) + url.lstrip("/")


HOME_URL = ""
PAPERS_URL = "papers/"
TOPICS_URL = "topics/"
SEARCH_URL = "search/"
FEED_URL = "feed.xml"
SITEMAP_URL = "sitemap.xml"
ROBOTS_URL = "robots.txt"
EXPORT_URL = "papers.json"
BIB_URL = "papers.bib"
"""Every paper of the catalogue as BibTeX."""
"""The export's index: the topics and the list of its parts (see `export_part_url`)."""
EXPORT_PARTS_URL = "data/"
NOT_FOUND_URL = "404.html"
STATIC_URL = "static/"
STYLESHEET_URL = STATIC_URL + "style.css"
SCRIPT_URL = STATIC_URL + "site.js"
FAVICON_URL = STATIC_URL + "favicon.svg"
NOT_IN_SITEMAP = (SEARCH_URL,)
"""Pages a search engine should not list: the search page shows nothing of its own."""


def export_part_url(year: int | None) -> str:
    """The export part holding one publication year's papers; `None` is the papers without a date."""
    return f"{EXPORT_PARTS_URL}papers-{'undated' if year is None else year}.json.gz"


def page_url(name: str) -> str:
    """The URL of a site_src/pages/<name>.md page."""
    return f"{name}/"
