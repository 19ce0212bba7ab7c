"""Topic index and topic pages: each lists exactly its papers, newest first, with neighbours."""

from __future__ import annotations

import re

import pytest

from paper_catalogue.models import Catalogue, SiteConfig, Topic
from paper_catalogue.pipeline import read_catalogue
from paper_catalogue.render import Renderer, make_environment

from conftest import REAL_SEEDS, REAL_SITE_SRC, ROOT

SIZE = 50
"""Papers per list page here: small enough that the seeds' topics fill several pages."""
TOPICS = (Topic(slug="alpha", name="Alpha", description="Papers about *alpha*."),
          Topic(slug="beta", name="Beta & Co", description=""),
          Topic(slug="empty", name="Empty", description="Nothing here."))


@pytest.fixture(scope="module")
def site():
    catalogue, _ = read_catalogue(REAL_SEEDS, SiteConfig())
    papers = []
    for index, paper in enumerate(catalogue.papers):
        topics = ("alpha",) if index % 3 == 0 else ("beta", "alpha") if index % 3 == 1 else ("beta",)
        papers.append(paper.model_copy(update={"topics": topics}))
    catalogue = Catalogue(papers=tuple(papers), topics=TOPICS)
    config = SiteConfig(base_url="https://example.org/sub/", papers_per_page=SIZE)
    files = Renderer(make_environment(ROOT / "templates"), config).render(catalogue, REAL_SITE_SRC)
    return catalogue, {str(path): data.decode("utf-8") for path, data in files.items()}


def linked_papers(html: str) -> list[str]:
    return re.findall(r'href="/sub/papers/([a-z0-9-]+)/"', html)


def list_pages(files: dict[str, str], slug: str) -> list[str]:
    """A topic's page, then each further page of its list (topics/<slug>/page/<n>/), in order."""
    pages = [files[f"topics/{slug}/index.html"]]
    while f"topics/{slug}/page/{len(pages) + 1}/index.html" in files:
        pages.append(files[f"topics/{slug}/page/{len(pages) + 1}/index.html"])
    return pages


def listed_papers(files: dict[str, str], slug: str) -> list[str]:
    """The papers a topic's list pages link, in order (the year sections, not the highlights)."""
    return [paper for html in list_pages(files, slug) if 'id="y-' in html
            for paper in linked_papers(html.split('id="y-', 1)[1])]


def test_topic_pages_list_exactly_their_papers(site):
    catalogue, files = site
    for topic in TOPICS:
        listed = listed_papers(files, topic.slug)
        expected = [p.id for p in catalogue.papers if topic.slug in p.topics]
        assert sorted(set(listed)) == sorted(expected)
        assert len(listed) == len(expected)  # the per-year sections list each paper once


def test_a_long_topic_list_is_split_into_pages_of_the_list_size(site):
    catalogue, files = site
    count = sum("alpha" in p.topics for p in catalogue.papers)
    pages = list_pages(files, "alpha")
    assert count > SIZE and len(pages) == -(-count // SIZE)
    assert [len(linked_papers(html.split('id="y-', 1)[1])) for html in pages] == (
        [SIZE] * (len(pages) - 1) + [count - SIZE * (len(pages) - 1)])
    assert len(list_pages(files, "empty")) == 1


def test_later_topic_pages_carry_the_list_but_not_the_highlights(site):
    _, files = site
    first, second = list_pages(files, "alpha")[:2]
    assert "<em>alpha</em>" in first and '<svg class="chart"' in first and "Most upvoted" in first
    assert "<em>alpha</em>" not in second and "<svg" not in second and "Most upvoted" not in second
    assert "<title>Alpha, page 2 of" in second and 'href="/sub/topics/alpha/feed.xml"' in second
    assert '<link rel="prev" href="/sub/topics/alpha/">' in second


def test_topic_page_is_newest_first_in_year_sections(site):
    catalogue, files = site
    html = "".join(list_pages(files, "alpha"))
    years = re.findall(r'<h2 id="y-(\d{4}|undated)"', html)
    dated = [y for y in years if y != "undated"]
    assert dated == sorted(dated, reverse=True) and years[-1] == "undated"
    dates = {p.id: p.published for p in catalogue.papers}
    listed = [dates[pid] for pid in listed_papers(files, "alpha") if dates[pid]]
    assert listed == sorted(listed, reverse=True)


def test_topic_page_shows_description_chart_neighbours_and_feed(site):
    _, files = site
    html = files["topics/alpha/index.html"]
    assert "<em>alpha</em>" in html
    assert '<svg class="chart"' in html
    assert 'href="/sub/topics/beta/"' in html and "shared" in html
    assert 'href="/sub/topics/alpha/feed.xml"' in html


def test_topic_index_lists_every_topic_with_its_count(site):
    catalogue, files = site
    html = files["topics/index.html"]
    for topic in TOPICS:
        count = sum(topic.slug in p.topics for p in catalogue.papers)
        assert re.search(rf'href="/sub/topics/{topic.slug}/">{re.escape(topic.name.replace("&", "&amp;"))}</a> '
                         rf'<span class="count">\({count}\)</span>', html)
