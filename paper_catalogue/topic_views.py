"""View models for the topic index and each topic's page: counts, years, neighbours, top papers."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markupsafe import Markup

from .charts import year_chart
from .models import Catalogue, Topic
from .urls import topic_feed_url, topic_page_url, topic_url
from .views import (LIST_PAGE_SIZE, Link, ListPage, PaperRow, SiteView, list_pages, most_upvoted, paper_row,
                    papers_per_year)

# Topic descriptions are short markdown written by the site owner; raw HTML in them stays text.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "typographer": True})


@dataclass(frozen=True)
class TopicSummary:
    """A topic as the topic index lists it."""

    slug: str
    name: str
    href: str
    count: int
    description: Markup


@dataclass(frozen=True)
class TopicView:
    """Everything a topic's own page shows."""

    slug: str
    name: str
    href: str
    feed: str
    count: int
    summary: str
    """What the topic's list is, for the meta description (ListPage.description)."""
    description: Markup
    pages: tuple[ListPage, ...]
    """The topic's papers, newest first, a page at a time; page 1 is the topic's own page."""
    chart: Markup
    most_upvoted: tuple[PaperRow, ...]
    neighbours: tuple[tuple[Link, int], ...]


def _description(topic: Topic) -> Markup:
    return Markup(_MARKDOWN.render(topic.description)) if topic.description else Markup("")


def topic_summaries(catalogue: Catalogue, site: SiteView) -> tuple[TopicSummary, ...]:
    members = catalogue.topic_members()
    return tuple(
        TopicSummary(topic.slug, topic.name, site.link(topic_url(topic.slug)), len(members[topic.slug]),
                     _description(topic))
        for topic in catalogue.topics
    )


def topic_views(catalogue: Catalogue, site: SiteView, listed: int = 5, neighbours: int = 4,
                page_size: int = LIST_PAGE_SIZE) -> list[TopicView]:
    members = catalogue.topic_members()
    names = {topic.slug: topic.name for topic in catalogue.topics}
    shared: dict[str, Counter] = {slug: Counter() for slug in members}
    for paper in catalogue.papers:
        for slug in paper.topics:
            shared[slug].update(other for other in paper.topics if other != slug)
    views = []
    for topic in catalogue.topics:
        papers = members[topic.slug]
        upvoted = most_upvoted(papers, listed)
        nearest = sorted(shared[topic.slug].items(), key=lambda item: (-item[1], item[0]))[:neighbours]
        views.append(TopicView(
            slug=topic.slug, name=topic.name, href=site.link(topic_url(topic.slug)),
            feed=site.link(topic_feed_url(topic.slug)), count=len(papers),
            summary=f"{len(papers)} papers on {topic.name} in {site.title}",
            description=_description(topic),
            pages=tuple(list_pages(papers, site, lambda number, slug=topic.slug: topic_page_url(slug, number),
                                   page_size)),
            chart=year_chart(papers_per_year(papers), f"{topic.name} papers per year"),
            most_upvoted=tuple(paper_row(p, site) for p in upvoted),
            neighbours=tuple((Link(names.get(slug, slug), site.link(topic_url(slug))), count)
                             for slug, count in nearest),
        ))
    return views
