"""Pages as bytes: the Jinja environment, the page list, and rendering each page from its view model."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from .charts import year_chart
from .models import Catalogue, SiteConfig
from .topic_views import topic_summaries, topic_views
from .urls import (NOT_FOUND_URL, PAPERS_URL, SEARCH_URL, TOPICS_URL, output_path, page_url, paper_url,
                   topic_url)
from .views import SiteView, home_view, paper_views, site_view, year_groups

Files = dict[PurePosixPath, bytes]


def make_environment(templates: Path) -> jinja2.Environment:
    """One environment per build: autoescaping everywhere, and undefined names are errors."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _describe(text: str, limit: int = 160) -> str:
    words = " ".join(text.split())
    if len(words) <= limit:
        return words
    return words[:limit].rsplit(" ", 1)[0] + "…"


def _abstract_html(text: str) -> Markup:
    paragraphs = [escape(part) for part in text.split("\n") if part.strip()]
    return Markup("").join(Markup("<p>{}</p>").format(p) for p in paragraphs)


def markdown_pages(folder: Path) -> list[tuple[str, str, Markup]]:
    """site_src/pages/*.md as (name, title, html); the title is the first heading or the name."""
    if not folder.is_dir():
        return []
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": True}).enable(
        ["linkify", "replacements", "smartquotes", "table"])
    pages = []
    for path in sorted(folder.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        title = next((line.lstrip("#").strip() for line in text.splitlines() if line.startswith("# ")),
                     path.stem.replace("-", " ").title())
        pages.append((path.stem, title, Markup(md.render(text))))
    return pages


class Renderer:
    """Renders every page of a site; templates are compiled once and reused for every page."""

    def __init__(self, env: jinja2.Environment, config: SiteConfig) -> None:
        self.env = env
        self.site: SiteView = site_view(config)

    def page(self, template: str, url: str, **context) -> tuple[PurePosixPath, bytes]:
        html = self.env.get_template(template).render(site=self.site, url=url, **context)
        return output_path(url), html.encode("utf-8")

    def render(self, catalogue: Catalogue, site_src: Path) -> Files:
        files: Files = {}
        add = lambda item: files.__setitem__(*item)  # noqa: E731
        for view in paper_views(catalogue, self.site, _describe, _abstract_html):
            add(self.page("paper.html", paper_url(view.id), paper=view))
        add(self.page("home.html", "", home=home_view(catalogue, self.site, year_chart)))
        add(self.page("papers.html", PAPERS_URL, groups=year_groups(catalogue.papers, self.site),
                      count=len(catalogue.papers)))
        for name, title, html in markdown_pages(site_src / "pages"):
            add(self.page("page.html", page_url(name), title=title, content=html))
        add(self.page("topics.html", TOPICS_URL, topics=topic_summaries(catalogue, self.site)))
        for topic in topic_views(catalogue, self.site):
            add(self.page("topic.html", topic_url(topic.slug), topic=topic))
        add(self.page("search.html", SEARCH_URL))
        files[PurePosixPath(NOT_FOUND_URL)] = self.page("404.html", NOT_FOUND_URL)[1]
        return files


def static_files(folder: Path) -> Files:
    """Every file under static/, copied as is to static/ in the site."""
    if not folder.is_dir():
        return {}
    return {
        PurePosixPath("static") / path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*")) if path.is_file()
    }
