"""Crawler: a site built for a subpath has every internal link, stylesheet, script and image resolve.

It crawls the site's own content (seeds/ and site_src/), whatever they hold: a fork's site is checked too."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from site_build import html_pages, parse_html, site_src_copy

from conftest import ROOT, SITE_SEEDS, SITE_SRC

BASE = "https://example.org/sub/"
# Attributes that load or link to something, per element.
URL_ATTRIBUTES = {"a": "href", "link": "href", "script": "src", "img": "src", "form": "action",
                  "source": "src", "iframe": "src"}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site's own seeds and site_src, built by the command line with --base-url, as a user would."""
    folder = tmp_path_factory.mktemp("crawl")
    out = folder / "_site"
    # 10 papers a page, so the lists are split into pages the crawler must follow.
    site_src = site_src_copy(SITE_SRC, folder, papers_per_page=10)
    result = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "--seeds", str(SITE_SEEDS), "--out", str(out),
         "--site-src", str(site_src), "--base-url", BASE, "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return out


def page_url(site: Path, path: Path) -> str:
    """The absolute URL a built file is served at."""
    relative = path.relative_to(site).as_posix()
    return BASE + (relative.removesuffix("index.html"))


def target_file(site: Path, url: str) -> Path | None:
    """The file an absolute URL under BASE is served from, or None when it is outside the site."""
    if not url.startswith(BASE):
        return None
    path = urlsplit(url).path[len(urlsplit(BASE).path):]
    return site / path / "index.html" if path == "" or path.endswith("/") else site / path


class Problems(list):
    def check(self, site: Path, source: str, url: str) -> None:
        """Record a problem when an internal URL does not resolve to a file (and its fragment)."""
        split = urlsplit(url)
        if split.scheme not in ("http", "https"):
            return
        if split.netloc == urlsplit(BASE).netloc and not url.startswith(BASE):
            self.append(f"{source}: {url} escapes the base path {BASE}")
            return
        target = target_file(site, url.split("#", 1)[0])
        if target is None:
            return  # another site
        if not target.is_file():
            self.append(f"{source}: {url} -> no file {target.relative_to(site)}")
        elif split.fragment and f'id="{split.fragment}"' not in target.read_text(encoding="utf-8"):
            self.append(f"{source}: {url} -> no element with id {split.fragment}")


def test_every_internal_link_and_asset_resolves(site):
    problems = Problems()
    checked = 0
    for path in html_pages(site):
        here = page_url(site, path)
        for element in parse_html(path.read_text(encoding="utf-8")).iter():
            attribute = URL_ATTRIBUTES.get(element.tag)
            value = element.attrs.get(attribute) if attribute else None
            if value is None:
                continue
            checked += 1
            problems.check(site, str(path.relative_to(site)), urljoin(here, value))
    assert not problems, "\n".join(problems[:20])
    assert checked > 10 * len(html_pages(site))  # every page was crawled, with its masthead, assets and lists


def test_pages_load_their_stylesheet_script_and_icon_from_the_subpath(site):
    page = parse_html((site / "papers" / "index.html").read_text(encoding="utf-8"))
    assert page.find("link", rel="stylesheet").attrs["href"] == "/sub/static/style.css"
    assert page.find("script").attrs["src"] == "/sub/static/site.js"
    assert page.find("link", rel="icon").attrs["href"] == "/sub/static/favicon.svg"


def test_canonical_urls_are_absolute_under_the_base_url(site):
    for path in html_pages(site):
        canonicals = parse_html(path.read_text(encoding="utf-8")).find_all("link", rel="canonical")
        if path.name == "404.html":
            assert not canonicals
            continue
        assert [c.attrs["href"] for c in canonicals] == [page_url(site, path)]


def test_sitemap_and_feed_urls_resolve(site):
    problems = Problems()
    sitemap = ET.parse(site / "sitemap.xml").getroot()
    locs = [loc.text for loc in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    pages = {page_url(site, path) for path in site.rglob("index.html")} - {BASE + "search/"}
    assert sorted(locs) == sorted(pages)
    for loc in locs:
        problems.check(site, "sitemap.xml", loc)
    feed = ET.parse(site / "feed.xml").getroot()
    for link in feed.iter("{http://www.w3.org/2005/Atom}link"):
        problems.check(site, "feed.xml", link.get("href"))
    robots = (site / "robots.txt").read_text()
    problems.check(site, "robots.txt", robots.split("Sitemap: ", 1)[1].strip())
    assert not problems, "\n".join(problems)


def test_every_page_is_reachable_by_links_from_the_home_page(site):
    """A crawler that starts at the home page and follows only links (and the search form) finds
    every page, paper pages included: splitting long lists into pages must not strand a paper."""
    seen, queue = {BASE}, [BASE]
    while queue:
        url = queue.pop()
        target = target_file(site, url)
        if target is None or not target.is_file() or target.suffix != ".html":
            continue
        page = parse_html(target.read_text(encoding="utf-8"))
        for element in page.find_all("a") + page.find_all("form"):
            link = urljoin(url, element.attrs.get("href") or element.attrs.get("action") or "").split("#", 1)[0]
            if link.startswith(BASE) and link not in seen:
                seen.add(link)
                queue.append(link)
    pages = {page_url(site, path) for path in site.rglob("index.html")}
    papers = json.loads((site / "papers.json").read_text(encoding="utf-8"))["count"]
    assert any("/page/" in url for url in pages) == (papers > 10), "10 papers a page of papers/"
    assert not sorted(pages - seen)
