"""Long lists split into pages: papers/ and each topic page, their URLs, pagers, rel links and sitemap."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import pytest
from site_build import parse_html

from conftest import REAL_SEEDS, REAL_SITE_SRC, ROOT
from paper_catalogue.models import Catalogue, SiteConfig, Topic
from paper_catalogue.pipeline import read_catalogue
from paper_catalogue.render import Renderer, make_environment
from paper_catalogue.urls import list_page_url, papers_page_url, topic_page_url
from paper_catalogue.views import LIST_PAGE_SIZE, newest_first, pager_numbers

BASE = "https://example.org/sub/"
SIZE = 40
"""A page size small enough that the seeds' 254 papers make many pages."""


def test_page_urls_keep_page_one_at_the_list_itself():
    assert papers_page_url(1) == "papers/" and papers_page_url(2) == "papers/page/2/"
    assert topic_page_url("kv-cache", 1) == "topics/kv-cache/"
    assert topic_page_url("kv-cache", 12) == "topics/kv-cache/page/12/"
    assert list_page_url("x/", 3) == "x/page/3/"
    with pytest.raises(ValueError):
        list_page_url("papers/", 0)


def test_a_reading_list_the_size_of_the_seeds_stays_on_one_page():
    """papers/ shows every paper of the sample catalogue; pagination is for catalogues far larger."""
    from conftest import REAL_SEEDS
    from paper_catalogue.models import SiteConfig
    from paper_catalogue.pipeline import read_catalogue
    catalogue, _ = read_catalogue(REAL_SEEDS, SiteConfig())
    assert len(catalogue.papers) <= LIST_PAGE_SIZE <= 1000


@pytest.mark.parametrize("number, count, shown", [
    (1, 1, [1]),
    (1, 3, [1, 2, 3]),
    (1, 10, [1, 2, 3, None, 10]),
    (4, 10, [1, 2, 3, 4, 5, 6, None, 10]),  # a gap of one page shows that page instead
    (5, 10, [1, 2, 3, 4, 5, 6, 7, None, 10]),
    (6, 20, [1, None, 4, 5, 6, 7, 8, None, 20]),
    (20, 20, [1, None, 18, 19, 20]),
])
def test_pager_shows_the_ends_and_the_neighbourhood(number, count, shown):
    assert pager_numbers(number, count) == shown


@pytest.fixture(scope="module")
def site():
    """The real seeds rendered with SIZE papers a page; every second paper is in topic `half`."""
    catalogue, _ = read_catalogue(REAL_SEEDS, SiteConfig())
    papers = tuple(paper.model_copy(update={"topics": ("half",) if index % 2 else ("rest",)})
                   for index, paper in enumerate(catalogue.papers))
    catalogue = Catalogue(papers=papers, topics=(Topic(slug="half", name="Half"), Topic(slug="rest", name="Rest")))
    renderer = Renderer(make_environment(ROOT / "templates"), SiteConfig(base_url=BASE), list_page_size=SIZE)
    files = renderer.render(catalogue, REAL_SITE_SRC)
    files.update(renderer.machine_files(files, catalogue))
    return catalogue, {str(path): data.decode("utf-8") for path, data in files.items()}


def pages_of(files: dict[str, str], first: str) -> list[str]:
    """The URLs of a list's pages, in order, as far as they were rendered."""
    urls = [first]
    while f"{first}page/{len(urls) + 1}/index.html" in files:
        urls.append(f"{first}page/{len(urls) + 1}/")
    return urls


def listed(html: str) -> list[str]:
    """The papers in a list page's year sections, in order."""
    main = html.split("<main", 1)[1]
    sections = main.split('<section aria-labelledby="y-', 1)
    return re.findall(r'href="/sub/papers/([a-z0-9-]+)/"', sections[1]) if len(sections) > 1 else []


def test_papers_list_has_one_page_per_size_papers_and_each_paper_once(site):
    catalogue, files = site
    urls = pages_of(files, "papers/")
    assert len(urls) == -(-len(catalogue.papers) // SIZE) == 7
    assert "papers/page/1/index.html" not in files and "papers/page/8/index.html" not in files
    rows = [listed(files[url + "index.html"]) for url in urls]
    assert [len(r) for r in rows] == [SIZE] * 6 + [len(catalogue.papers) - 6 * SIZE]
    assert [pid for r in rows for pid in r] == [p.id for p in newest_first(catalogue.papers)]


def test_each_topic_list_is_paginated_the_same_way(site):
    catalogue, files = site
    half = [p.id for p in newest_first(catalogue.papers) if "half" in p.topics]
    urls = pages_of(files, "topics/half/")
    assert len(urls) == -(-len(half) // SIZE)
    assert [pid for url in urls for pid in listed(files[url + "index.html"])] == half


def head_links(html: str) -> dict[str, str]:
    head = parse_html(html.split("</head>", 1)[0])
    return {link.attrs["rel"]: link.attrs["href"] for link in head.find_all("link")
            if link.attrs.get("rel") in ("prev", "next", "canonical")}


def test_rel_prev_and_next_chain_the_pages_and_each_page_is_its_own_canonical(site):
    _, files = site
    urls = pages_of(files, "papers/")
    for index, url in enumerate(urls):
        links = head_links(files[url + "index.html"])
        assert links["canonical"] == BASE + url
        assert links.get("prev") == ("/sub/" + urls[index - 1] if index else None)
        assert links.get("next") == ("/sub/" + urls[index + 1] if index + 1 < len(urls) else None)


def test_the_pager_is_an_accessible_nav_marking_the_current_page(site):
    _, files = site
    page = parse_html(files["papers/page/4/index.html"])
    (nav,) = page.find_all("nav", aria_label="Pages")
    links = {a.text(): a.attrs for a in nav.find_all("a")}
    assert links["Page 4"].get("aria-current") == "page"
    assert links["← Previous"] == {"rel": "prev", "href": "/sub/papers/page/3/"}
    assert links["Next →"] == {"rel": "next", "href": "/sub/papers/page/5/"}
    assert links["Page 1"]["href"] == "/sub/papers/" and links["Page 7"]["href"] == "/sub/papers/page/7/"
    assert [a.attrs.get("aria-current") for a in nav.find_all("a")].count("page") == 1


def test_the_last_page_has_no_next_and_the_first_no_previous(site):
    _, files = site
    last = parse_html(files["papers/page/7/index.html"]).find("nav", aria_label="Pages")
    first = parse_html(files["papers/index.html"]).find("nav", aria_label="Pages")
    assert not last.find_all("a", rel="next") and last.find_all("a", rel="prev")
    assert not first.find_all("a", rel="prev") and first.find_all("a", rel="next")
    assert "Page 7 of 7: papers 241–254." in files["papers/page/7/index.html"]


def test_a_list_that_fits_on_one_page_has_no_pager():
    catalogue, _ = read_catalogue(REAL_SEEDS, SiteConfig())
    files = Renderer(make_environment(ROOT / "templates"), SiteConfig(base_url=BASE)).render(
        Catalogue(papers=catalogue.papers[:LIST_PAGE_SIZE]), REAL_SITE_SRC)
    html = files[PurePosixPath("papers/index.html")].decode()
    assert 'aria-label="Pages"' not in html and 'rel="next"' not in html
    assert not any(path.as_posix().startswith("papers/page/") for path in files)


def test_every_page_has_its_own_title_and_description(site):
    _, files = site
    heads = [files[url + "index.html"].split("</head>", 1)[0]
             for url in pages_of(files, "papers/") + pages_of(files, "topics/half/")]
    titles = [re.search(r"<title>(.*?)</title>", head).group(1) for head in heads]
    descriptions = [re.search(r'<meta name="description" content="(.*?)">', head).group(1) for head in heads]
    assert len(set(titles)) == len(set(descriptions)) == len(heads)
    assert titles[1] == "All papers, page 2 of 7 · Paper catalogue"


def test_year_links_go_to_the_page_where_the_year_begins(site):
    _, files = site
    years = parse_html(files["papers/page/3/index.html"]).find("nav", aria_label="Years").find_all("a")
    assert years
    for link in years:
        path, anchor = link.attrs["href"].removeprefix("/sub/").split("#")
        assert f'<h2 id="{anchor}">' in files[path + "index.html"]
        number = 1 if path == "papers/" else int(path.split("/")[-2])
        if number > 1:  # the page before ends with an earlier (newer) year
            assert f'<h2 id="{anchor}">' not in files[pages_of(files, "papers/")[number - 2] + "index.html"]


def test_sitemap_lists_every_page_of_every_list(site):
    _, files = site
    locs = re.findall(r"<loc>(.*?)</loc>", files["sitemap.xml"])
    for url in pages_of(files, "papers/") + pages_of(files, "topics/half/") + pages_of(files, "topics/rest/"):
        assert BASE + url in locs
    assert BASE + "papers/page/7/" in locs and BASE + "papers/page/8/" not in locs


def test_a_paper_called_page_and_the_second_page_of_papers_live_side_by_side():
    """papers/page/ is a paper's folder when a paper's id is `page`; the list's page 2 is then
    papers/page/2/ inside it, and neither file replaces the other."""
    catalogue, _ = read_catalogue(REAL_SEEDS, SiteConfig())
    papers = (catalogue.papers[0].model_copy(update={"id": "page", "title": "Page"}), *catalogue.papers[1:])
    files = Renderer(make_environment(ROOT / "templates"), SiteConfig(base_url=BASE), list_page_size=SIZE).render(
        Catalogue(papers=papers), REAL_SITE_SRC)
    assert "<h1 data-pagefind-weight=\"10\">Page</h1>" in files[PurePosixPath("papers/page/index.html")].decode()
    assert "<h1>All papers</h1>" in files[PurePosixPath("papers/page/2/index.html")].decode()
