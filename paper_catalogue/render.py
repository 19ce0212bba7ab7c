"""Pages as bytes: the Jinja environment, the page list, and rendering each page from its view model."""

from __future__ import annotations

import re

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup

from . import feeds, workers
from .charts import year_chart
from .diagnostics import input_error
from .models import Catalogue, SiteConfig
from .search import index_parts, part_folder
from .site_files import read_site_file
from .template_errors import check_templates, template_error
from .text import EXTERNAL_REL, abstract_html, plain_text, shorten
from .topic_views import topic_summaries, topic_views
from .urls import (HOME_URL, NOT_FOUND_URL, SEARCH_URL, TOPICS_URL, output_path, page_url, paper_cite_url,
                   papers_page_url, paper_url)
from .views import (DateOrder, Link, PageMeta, PaperView, SiteView, date_order, home_view, list_pages,
                    page_meta, paper_views, site_view)

Files = dict[PurePosixPath, bytes]
PARALLEL_FROM = 2000
"""Catalogues from this many papers render paper pages in worker processes; smaller ones would
spend more on starting the workers than they save."""

ABOUT_PAGE = "about"
"""The site_src page the home page links to as the longer story of the catalogue."""


def make_environment(templates: Path) -> jinja2.Environment:
    """One environment per build: autoescaping everywhere, and undefined names are errors.

    Every template is compiled here, so a syntax error stops the build before any page is made.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # One environment per build, and templates never change during one: without this, every
        # page's template and each include it pulls in is checked against its file (a stat call).
        auto_reload=False,
    )
    env.globals["external_rel"] = EXTERNAL_REL
    check_templates(env)
    return env


@dataclass(frozen=True)
class MarkdownPage:
    """A site_src/pages/<name>.md page: its name, its title (first heading) and its HTML."""

    name: str
    title: str
    html: Markup
    summary: str
    """The first paragraph as plain text, for the meta description."""

    @property
    def nav_label(self) -> str:
        return self.name.replace("-", " ").capitalize()


def markdown_pages(folder: Path) -> list[MarkdownPage]:
    """site_src/pages/*.md in name order; the title is the first `# ` heading, else the name."""
    if not folder.is_dir():
        return []
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": True}).enable(
        ["linkify", "replacements", "smartquotes", "table"])
    md.add_render_rule("link_open", _link_open)
    pages = []
    for path in sorted(folder.glob("*.md")):
        text = read_site_file(path)
        title = next((line.lstrip("#").strip() for line in text.splitlines() if line.startswith("# ")),
                     path.stem.replace("-", " ").capitalize())
        try:
            tokens = md.parse(text)
            html = md.renderer.render(tokens, md.options, {})
        except Exception as error:  # noqa: BLE001 - markdown-it on text the site owner wrote
            raise input_error(path, None, f"cannot be converted from Markdown "
                                          f"({type(error).__name__}: {error})") from None
        pages.append(MarkdownPage(path.stem, title, Markup(html), first_paragraph(tokens)))
    return pages


def _link_open(self, tokens, index, options, env) -> str:
    """A link to another site gets the rel every external link of the site has."""
    token = tokens[index]
    if urlsplit(str(token.attrGet("href") or "")).netloc:
        token.attrSet("rel", EXTERNAL_REL)
    return self.renderToken(tokens, index, options, env)


def first_paragraph(tokens) -> str:
    """The plain text of the first paragraph among markdown-it tokens ("" when there is none)."""
    for before, token in zip(tokens, tokens[1:]):
        if before.type == "paragraph_open" and token.type == "inline":
            words = "".join(" " if child.type in ("softbreak", "hardbreak") else child.content
                            for child in token.children or ()
                            if child.type in ("text", "code_inline", "softbreak", "hardbreak"))
            return shorten(words)
    return ""


class Renderer:
    """Renders every page of a site; templates are compiled once and reused for every page."""

    def __init__(self, env: jinja2.Environment, config: SiteConfig, list_page_size: int | None = None) -> None:
        self.env = env
        self.config = config
        self.site: SiteView = site_view(config)
        self.list_page_size = list_page_size or config.papers_per_page
        """Papers per page of papers/ and of each topic; tests make it small to see many pages."""

    def with_environment(self, env: jinja2.Environment) -> Renderer:
        """The same site rendered with other templates: the preview's answer to a template edit,
        which changes nothing else a page is made from."""
        renderer = Renderer(env, self.config, self.list_page_size)
        renderer.site = self.site
        return renderer

    def page(self, template: str, url: str, meta: PageMeta | None = None,
             **context) -> tuple[PurePosixPath, bytes]:
        """One page at a site-relative URL; without `meta` the head says the site's title and
        description (a template may still override the `title` and `description` blocks)."""
        meta = meta or self.meta(self.site.title, url)
        try:
            html = self.env.get_template(template).render(site=self.site, url=url, meta=meta, **context)
        except Exception as error:  # a site owner's template: any error it raises is located
            located = template_error(error, self.env, ["site", "url", "meta", *context])
            if located is None:
                raise
            raise located from None
        return output_path(url), html.encode("utf-8")

    def meta(self, title: str, url: str | None, description: str | None = None,
             indexable: bool = True) -> PageMeta:
        return page_meta(self.site, title, url, description, indexable=indexable)

    def render(self, catalogue: Catalogue, site_src: Path) -> Files:
        """Every page of the site: the paper pages, then every other page."""
        pages = self.start_site(catalogue, site_src)
        return {**self.paper_pages(catalogue), **self.other_pages(catalogue, pages)}

    def start_site(self, catalogue: Catalogue, site_src: Path) -> list[MarkdownPage]:
        """site_src's pages, and the site view every page shares (its navigation names them)."""
        pages = markdown_pages(site_src / "pages")
        self.site = site_view(self.config, has_topics=bool(catalogue.topics),
                              pages=tuple((page.nav_label, page_url(page.name)) for page in pages))
        return pages

    def other_pages(self, catalogue: Catalogue, pages: list[MarkdownPage]) -> Files:
        """Every page but the papers': home, the lists, site_src's pages, topics, search, 404."""
        return {**self.home_page(catalogue, pages), **self.paper_lists(catalogue), **self.site_src_pages(pages),
                **self.topic_and_search_pages(catalogue)}

    def front_pages(self, catalogue: Catalogue, pages: list[MarkdownPage]) -> Files:
        """The pages site_src's pages make or change: theirs, and home (which links the About page)."""
        return {**self.home_page(catalogue, pages), **self.site_src_pages(pages)}

    def home_page(self, catalogue: Catalogue, pages: list[MarkdownPage]) -> Files:
        about = next((Link(f"{page.title} →", self.site.link(page_url(page.name)))
                      for page in pages if page.name == ABOUT_PAGE), None)
        return dict([self.page("home.html", HOME_URL, self.meta(self.site.title, HOME_URL),
                               home=home_view(catalogue, self.site, year_chart, about))])

    def paper_lists(self, catalogue: Catalogue) -> Files:
        return dict(self.page("papers.html", listing.url,
                              self.meta(listing.title("All papers"), listing.url,
                                        listing.description(f"All {listing.total} papers of {self.site.title}")),
                              listing=listing)
                    for listing in list_pages(catalogue.papers, self.site, papers_page_url, self.list_page_size))

    def site_src_pages(self, pages: list[MarkdownPage]) -> Files:
        return dict(self.page("page.html", page_url(page.name),
                              self.meta(page.title, page_url(page.name), page.summary or None),
                              title=page.title, content=page.html)
                    for page in pages)

    def topic_and_search_pages(self, catalogue: Catalogue) -> Files:
        """The topic pages, search and 404."""
        files: Files = {}
        add = lambda item: files.__setitem__(*item)  # noqa: E731
        if catalogue.topics:
            add(self.page("topics.html", TOPICS_URL,
                          self.meta("Topics", TOPICS_URL, f"The {len(catalogue.topics)} topics of {self.site.title}."),
                          topics=topic_summaries(catalogue, self.site)))
            for topic in topic_views(catalogue, self.site, page_size=self.list_page_size):
                for listing in topic.pages:
                    add(self.page("topic.html", listing.url,
                                  self.meta(listing.title(topic.name), listing.url,
                                            listing.description(topic.summary)),
                                  topic=topic, listing=listing))
        parts = index_parts((paper.id for paper in catalogue.papers), self.config.search_pages_per_index)
        add(self.page("search.html", SEARCH_URL, self.meta("Search", SEARCH_URL, indexable=False),
                      search_topics={topic.slug: topic.name for topic in catalogue.topics},
                      search_bundles=[self.site.link(part_folder(part) + "/") for part in range(len(parts))]))
        files[PurePosixPath(NOT_FOUND_URL)] = self.page(
            "404.html", NOT_FOUND_URL, self.meta("Page not found", None))[1]
        return files

    def paper_pages(self, catalogue: Catalogue, span: slice | None = None, order: DateOrder | None = None) -> Files:
        """The pages of the papers in `span` of the date order (all of them by default); a large
        catalogue is shared among worker processes, one per core."""
        # Made once here rather than once per span (0.5 cpu-s at 10,000 papers).
        order = order or date_order(catalogue, self.config.search_pages_per_index)
        if span is not None:
            views = paper_views(catalogue, self.site, shorten, abstract_html, plain_text, span, order)
            files: Files = {}
            for view in views:
                files[output_path(paper_url(view.id))] = self.page("paper.html", paper_url(view.id), view.meta,
                                                                    paper=view)[1]
                files[output_path(paper_cite_url(view.id))] = view.cite.bibtex.encode("utf-8")
            return files
        count = len(catalogue.papers)
        if count < PARALLEL_FROM:
            return self.paper_pages(catalogue, slice(0, count), order)
        cores = workers.cores()
        step = -(-count // (cores * 4))
        spans = [slice(start, min(start + step, count)) for start in range(0, count, step)]
        return merged(workers.forked_map(lambda span: self.paper_pages(catalogue, span, order), spans, cores))

    def paper_page_views(self, catalogue: Catalogue, span: slice, order: DateOrder) -> list[PaperView]:
        """The view models paper_pages renders for the papers in `span` of the date order: the
        preview compares a paper's before and after an edit to keep the page it rendered."""
        return paper_views(catalogue, self.site, shorten, abstract_html, plain_text, span, order)

    def machine_files(self, pages: Files, catalogue: Catalogue) -> Files:
        """feed.xml, sitemap.xml and robots.txt; call once every page is in `pages`."""
        return feeds.machine_files(pages, catalogue, self.config, plain_text)


def merged(batches: Iterable[Files]) -> Files:
    """Batches of files as one mapping, for callers that want every file at once."""
    files: Files = {}
    for batch in batches:
        files.update(batch)
    return files


_COMMENT_LINE = re.compile(rb"^[ \t]*//[^\n]*\n", re.MULTILINE)


def shipped_script(source: bytes) -> bytes:
    """A script as the site serves it: without the lines that hold only a // comment. The comments
    are for whoever reads static/; a visitor downloads every byte (search.js is a quarter smaller
    in gzip, spelling.js two fifths). A line that merely ends in a comment is kept whole, and the
    scripts hold no multi-line template literal that a comment-like line could sit in."""
    return _COMMENT_LINE.sub(b"", source)


def static_files(folder: Path) -> Files:
    """Every file under static/, copied to static/ in the site, scripts without their comment-only
    lines (shipped_script); one that cannot be read (a link to nothing, no permission) is an
    InputError naming it."""
    if not folder.is_dir():
        return {}
    files: Files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_dir():
            continue
        try:
            data = path.read_bytes()
            files[PurePosixPath("static") / path.relative_to(folder).as_posix()] = \
                shipped_script(data) if path.suffix == ".js" else data
        except OSError as error:
            raise input_error(path, None, f"cannot be read ({error.strerror or error}); "
                                          "make it a readable file, or remove it") from None
    return files
