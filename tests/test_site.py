"""The built site's pages: what each page shows, its head metadata, feeds, sitemap and base URL."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import xml.etree.ElementTree as ET
from pathlib import Path, PurePosixPath

import pytest
from site_build import FIXTURE_SITE_SRC, build_real_site, build_site, parse_html, read_page

from paper_catalogue.charts import year_chart
from paper_catalogue.feeds import atom_feed, listed_pages, sitemap, sitemap_files, xml_text
from paper_catalogue.models import Catalogue, Organization, Paper, RelatedLink, SiteConfig, Source, Topic
from paper_catalogue.render import Renderer, make_environment
from paper_catalogue.urls import output_path, page_url_of
from paper_catalogue.views import human_date, ordered_links

from conftest import ROOT

BASE = "https://example.org/catalogue/"  # tests/fixtures/site_src/site.toml
SNAPKV = "papers/snapkv-llm-knows-what-you-are-looking-for-before-generation/"
HITCHHIKER = "papers/the-hitchhikers-guide-to-human-alignment-with-po/"
MOE = "papers/mixture-of-experts-routing-at-scale/"
NASTY_TITLE = 'Closing </script><script>alert("x")</script> & <!-- title'
NASTY_SEED = (
    f"{NASTY_TITLE}\n"
    "An abstract with </script> and <!-- and ]]> and a project page https://example.com/paper "
    "and code at https://github.com/org/repo plus more.\n"
    "Plain Second Paper\n"
    "Another abstract that says nothing at all.\n"
)
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return build_site(tmp_path_factory.mktemp("fixture") / "_site")


@pytest.fixture(scope="module")
def nasty_site(tmp_path_factory) -> Path:
    """Seed text that tries to break out of every context it lands in."""
    folder = tmp_path_factory.mktemp("nasty")
    (folder / "seeds").mkdir()
    (folder / "seeds" / "000.txt").write_text(NASTY_SEED, encoding="utf-8")
    return build_site(folder / "_site", seeds=folder / "seeds")


def meta(page, name: str) -> str | None:
    for element in page.find_all("meta"):
        if element.attrs.get("name") == name or element.attrs.get("property") == name:
            return element.attrs.get("content")
    return None


def nasty_page(nasty_site: Path):
    (folder,) = [p for p in (nasty_site / "papers").iterdir() if p.name.startswith("closing")]
    return parse_html((folder / "index.html").read_text(encoding="utf-8")), folder


# --- a paper's page -------------------------------------------------------------------------------

def test_paper_page_shows_title_date_upvotes_authors_and_sources(site):
    page = read_page(site, SNAPKV)
    assert page.find("h1").text() == "SnapKV: LLM Knows What You are Looking for Before Generation"
    time = page.find("main").find("time")
    assert time.attrs["datetime"] == "2024-04-22" and time.text() == "22 Apr 2024"
    facts = {dt_.text(): dd.text() for dt_, dd in zip(page.find_all("dt"), page.find_all("dd"))}
    assert facts["Upvotes"] == "12" and facts["Authors"] == "7"
    assert "001_spaced.txt" in page.find("section", **{"class": "sources"}).text()
    assert "line 13" in page.find("section", **{"class": "sources"}).text()


def test_organisation_is_shown_and_links_to_its_hub_page(site):
    page = read_page(site, HITCHHIKER)
    organisation = [a for a in page.find("dl").find_all("a")]
    assert [(a.text(), a.attrs["href"]) for a in organisation] == [("Kyutai", "https://huggingface.co/kyutai")]


def test_titles_and_abstracts_are_escaped(site):
    html = (site / HITCHHIKER / "index.html").read_text(encoding="utf-8")
    assert "with *PO</h1>" in html
    moe = (site / MOE / "index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in moe and "&lt;script&gt;alert(1)&lt;/script&gt;" in moe
    assert "<b>more</b>" not in moe


def test_links_in_the_abstract_put_code_first():
    links = ordered_links(("https://example.com/paper", "https://github.com/org/repo",
                           "https://docs.example.com/", "https://huggingface.co/org/model"))
    assert [link.href for link in links] == [
        "https://github.com/org/repo", "https://huggingface.co/org/model",
        "https://example.com/paper", "https://docs.example.com/"]


def test_paper_page_lists_the_abstract_links_code_first(nasty_site):
    page, _ = nasty_page(nasty_site)
    links = page.find("section", **{"class": "links"}).find_all("a")
    assert [a.attrs["href"] for a in links] == ["https://github.com/org/repo", "https://example.com/paper"]


def test_previous_and_next_follow_the_date_order(site):
    # Oldest first: SnapKV (22 Apr 2024), Speculative (27 Nov 2024), Hitchhiker (20 Jul 2025), then
    # the undated paper.
    speculative = read_page(site, "papers/speculative-decoding-with-a-draft-model/")
    nav = speculative.find("nav", **{"class": "prev-next"})
    assert nav.find("a", rel="prev").attrs["href"] == "/catalogue/" + SNAPKV
    assert nav.find("a", rel="next").attrs["href"] == "/catalogue/" + HITCHHIKER
    first = read_page(site, SNAPKV).find("nav", **{"class": "prev-next"})
    assert not first.find_all("a", rel="prev")
    last = read_page(site, MOE).find("nav", **{"class": "prev-next"})
    assert not last.find_all("a", rel="next")


def test_only_the_papers_own_content_is_indexed_by_pagefind(site):
    page = read_page(site, HITCHHIKER)
    (body,) = [e for e in page.iter() if "data-pagefind-body" in e.attrs]

    def indexed(element) -> str:
        if "data-pagefind-ignore" in element.attrs:
            return ""
        return "".join(c if isinstance(c, str) else indexed(c) for c in element.children)

    text = indexed(body)
    assert "Hitchhiker" in text and "human preferences" in text
    for furniture in ("Find this paper", "Semantic Scholar", "Where it came from", "001_spaced.txt",
                      "Previous", "Speculative Decoding"):
        assert furniture not in text


# --- head metadata --------------------------------------------------------------------------------

def test_paper_head_has_title_description_canonical_and_social_cards(site):
    page = read_page(site, SNAPKV)
    assert page.find("title").text() == "SnapKV: LLM Knows What You are Looking for Before Generation · Fixture catalogue"
    description = meta(page, "description")
    assert description.startswith("Large Language Models (LLMs) have made remarkable progress")
    assert len(description) <= 161
    canonical = page.find("link", rel="canonical").attrs["href"]
    assert canonical == BASE + SNAPKV
    assert meta(page, "og:title") == page.find("h1").text()
    # A link shared in a chat draws its card from the og: tags alone.
    assert meta(page, "og:description") == description
    assert meta(page, "og:url") == canonical
    assert meta(page, "og:type") == "article"


def test_paper_head_has_no_citation_tags_and_never_invents_authors(site):
    """Google Scholar requires a citation_author with its citation_title and date, and a listing
    dump gives only an author count: without names there are no citation_* tags, and no
    JSON-LD author."""
    html = (site / SNAPKV / "index.html").read_text(encoding="utf-8")
    assert "citation_" not in html
    assert '"author"' not in html


def test_paper_page_holds_its_abstract_once(site):
    """The body holds the abstract; no metadata format repeats it whole (page weight), and the
    descriptions hold only its first words."""
    html = (site / SNAPKV / "index.html").read_text(encoding="utf-8")
    assert html.count("We introduce SnapKV, a fine-tuning-free approach") == 1
    page = read_page(site, SNAPKV)
    assert meta(page, "citation_abstract") is None
    assert "We introduce SnapKV" in page.find("section", **{"class": "abstract"}).text()


def test_undated_paper_has_no_publication_date(site):
    page = read_page(site, MOE)
    assert "Published" not in page.find("dl", **{"class": "facts"}).text()
    assert not page.find_all("time")
    assert "Published" in read_page(site, SNAPKV).find("dl", **{"class": "facts"}).text()


def test_paper_page_describes_itself_as_a_scholarly_article(site):
    page = read_page(site, SNAPKV)
    [script] = [node for node in page.find_all("script") if node.attrs.get("type") == "application/ld+json"]
    data = json.loads(script.text())
    assert data["@type"] == "ScholarlyArticle"
    assert data["headline"] == page.find("h1").text()
    assert data["url"] == BASE + SNAPKV
    assert data["datePublished"] == "2024-04-22"


def test_home_and_404_heads(site):
    home = read_page(site, "")
    assert home.find("title").text() == "Fixture catalogue"
    assert home.find("link", rel="canonical").attrs["href"] == BASE
    not_found = read_page(site, "404.html")
    assert not not_found.find_all("link", rel="canonical")
    assert meta(not_found, "robots") == "noindex"


# --- the other pages ------------------------------------------------------------------------------

def test_home_says_what_the_catalogue_is_with_counts_lists_and_a_chart(site):
    home = read_page(site, "")
    text = home.find("main").text()
    assert "A tiny catalogue built from the fixture seeds" in text  # from site_src/site.toml
    stats = home.find("ul", **{"class": "stats"}).text()
    assert "4" in stats and "papers" in stats and "2024–2025" in stats
    newest = home.find("section", aria_labelledby="newest-heading").find_all("a")
    assert newest[0].text().startswith("The Hitchhiker")
    upvoted = home.find("section", aria_labelledby="upvoted-heading").find_all("a")
    assert upvoted[0].text().startswith("SnapKV")
    chart = home.find("svg")
    assert chart.attrs["role"] == "img" and "2024: 2, 2025: 1" in chart.attrs["aria-label"]
    assert home.find("a", href="/catalogue/about/")


def test_papers_page_groups_by_year_newest_first(site):
    page = read_page(site, "papers/")
    headings = [h.text().split()[0] for h in page.find("main").find_all("h2")]
    assert headings == ["2025", "2024", "Undated"]
    rows = page.find("section", aria_labelledby="y-2024").find_all("li")
    dates = [row.find("time").attrs["datetime"] for row in rows]
    assert dates == ["2024-11-27", "2024-04-22"]


def test_every_markdown_page_becomes_a_page_in_the_nav(site):
    for name, heading in (("about", "About the fixture"), ("colophon", "Colophon")):
        page = read_page(site, f"{name}/")
        assert page.find("h1").text() == heading
        assert page.find("nav", aria_label="Site").find("a", href=f"/catalogue/{name}/")
    about = (site / "about" / "index.html").read_text(encoding="utf-8")
    assert "<code>tests/fixtures/seeds</code>" in about
    assert meta(read_page(site, "about/"), "description").startswith(
        "This catalogue is built from tests/fixtures/seeds by the golden test. Its papers carry the awkward")


def test_404_page_has_a_search_box_and_works_from_any_path(site):
    page = read_page(site, "404.html")
    form = page.find("form", **{"class": "search-box big"})
    assert form.attrs["action"] == "/catalogue/search/"
    assert form.find("input", type="search").attrs["name"] == "q"
    links = [a.attrs["href"] for a in page.find_all("a")]
    assert all(href.startswith(("/catalogue/", "#", "https://")) for href in links)


def test_no_topics_means_no_topics_link_or_pages():
    paper = Paper(id="a-paper", title="A paper", abstract="Words.", sources=(Source(file="x.txt", line=1),))
    renderer = Renderer(make_environment(ROOT / "templates"), SiteConfig(base_url=BASE))
    files = renderer.render(Catalogue(papers=(paper,)), FIXTURE_SITE_SRC)
    assert "/catalogue/topics/" not in files[output_path("")].decode()
    assert not any(str(path).startswith("topics/") for path in files)


def test_fixture_topics_give_chips_pages_and_feeds(site):
    html = (site / "papers" / "speculative-decoding-with-a-draft-model" / "index.html").read_text(encoding="utf-8")
    assert 'href="/catalogue/topics/inference/"' in html
    assert (site / "topics" / "inference" / "index.html").exists()
    assert (site / "topics" / "inference" / "feed.xml").exists()


def test_topics_and_related_papers_light_up_once_the_catalogue_has_them(tmp_path):
    paper = Paper(id="a-paper", title="A paper", abstract="Words.", published=dt.date(2024, 1, 2),
                  topics=("agents", "rl"), related=(RelatedLink(id="b-paper", terms=("policy",)),), sources=(Source(file="x.txt", line=1),),
                  organization=Organization(handle="org", name="Org"))
    other = Paper(id="b-paper", title="B paper", abstract="More words.", sources=(Source(file="x.txt", line=3),))
    catalogue = Catalogue(papers=(paper, other), topics=(Topic(slug="agents", name="Agents"),
                                                         Topic(slug="rl", name="Reinforcement learning")))
    renderer = Renderer(make_environment(ROOT / "templates"), SiteConfig(base_url=BASE))
    files = renderer.render(catalogue, FIXTURE_SITE_SRC)
    page = parse_html(files[output_path("papers/a-paper/")].decode())
    chips = page.find("ul", aria_label="Topics").find_all("a")
    assert [(a.text(), a.attrs["href"]) for a in chips] == [
        ("Agents", "/catalogue/topics/agents/"), ("Reinforcement learning", "/catalogue/topics/rl/")]
    home = parse_html(files[output_path("")].decode())
    topic_chips = home.find("section", aria_labelledby="topics-heading").find_all("a")
    assert [" ".join(a.text().split()) for a in topic_chips] == ["Agents 1", "Reinforcement learning 1"]
    assert home.find("nav", aria_label="Site").find("a", href="/catalogue/topics/")
    related = page.find("section", **{"class": "related"})
    assert [a.attrs["href"] for a in related.find_all("a")] == ["/catalogue/papers/b-paper/"]
    assert related.find("li").find("span").text() == "policy"  # "shared:" comes from the stylesheet
    assert related.parent.tag == "aside"  # outside data-pagefind-body: not indexed as this paper's text


# --- feeds, sitemap, robots -----------------------------------------------------------------------

def test_atom_feed_lists_the_newest_dated_papers_with_absolute_links(site):
    feed = ET.parse(site / "feed.xml").getroot()
    assert feed.tag == ATOM + "feed"
    assert feed.find(ATOM + "updated").text == "2025-07-20T00:00:00Z"
    entries = feed.findall(ATOM + "entry")
    titles = [entry.find(ATOM + "title").text for entry in entries]
    assert titles == ["The Hitchhiker's Guide to Human Alignment with *PO",  # undated left out
                      "Speculative Decoding with a Draft Model",
                      "SnapKV: LLM Knows What You are Looking for Before Generation"]
    for entry in entries:
        assert entry.find(ATOM + "id").text.startswith(BASE + "papers/")
        assert entry.find(ATOM + "link").get("href") == entry.find(ATOM + "id").text
        assert entry.find(ATOM + "summary").text
    self_link = [link for link in feed.findall(ATOM + "link") if link.get("rel") == "self"][0]
    assert self_link.get("href") == BASE + "feed.xml"


def test_feed_is_capped_and_escapes_what_xml_cannot_hold():
    papers = tuple(
        Paper(id=f"p{i}", title=f"P{i} <&> \x01", abstract="a\x0bb", published=dt.date(2020, 1, 1) + dt.timedelta(i),
              sources=(Source(file="x.txt", line=1),)) for i in range(40))
    feed = ET.fromstring(atom_feed(papers, SiteConfig(base_url=BASE), str, limit=30))
    titles = [e.find(ATOM + "title").text for e in feed.findall(ATOM + "entry")]
    assert len(titles) == 30 and titles[0] == "P39 <&> \ufffd" and titles[-1] == "P10 <&> \ufffd"
    assert xml_text("a\x00b<") == "ab&lt;"


def test_empty_catalogue_gives_a_valid_feed():
    feed = ET.fromstring(atom_feed((), SiteConfig(), str))
    assert feed.find(ATOM + "updated").text == "1970-01-01T00:00:00Z" and not feed.findall(ATOM + "entry")


def test_sitemap_lists_every_page_absolutely_but_not_search_or_404(site):
    locs = [loc.text for loc in ET.parse(site / "sitemap.xml").getroot().iter(SITEMAP + "loc")]
    pages = {BASE + (p.parent.relative_to(site).as_posix() + "/").removeprefix("./")
             for p in site.rglob("index.html")}
    assert set(locs) == pages - {BASE + "search/"}
    assert locs[0] == BASE and len(locs) == len(set(locs))
    assert BASE + SNAPKV in locs


def test_sitemap_helpers():
    paths = [PurePosixPath(p) for p in ("index.html", "papers/x/index.html", "search/index.html",
                                        "404.html", "feed.xml")]
    assert listed_pages(paths) == ["", "papers/x/"]
    assert [page_url_of(output_path(url)) for url in ("", "papers/", "papers/x/")] == ["", "papers/", "papers/x/"]
    assert b"<loc>https://h.example/sub/a/</loc>" in sitemap(["a/"], "https://h.example/sub/")


def test_a_sitemap_past_the_limit_becomes_an_index_of_parts():
    urls = ["", "a/", "b/", "c/", "d/"]
    assert list(sitemap_files(urls, "https://h.example/", limit=5)) == [PurePosixPath("sitemap.xml")]
    files = sitemap_files(urls, "https://h.example/", limit=2)
    assert sorted(map(str, files)) == ["sitemap-1.xml.gz", "sitemap-2.xml.gz", "sitemap-3.xml.gz", "sitemap.xml"]
    index = ET.fromstring(files[PurePosixPath("sitemap.xml")])
    assert index.tag == SITEMAP + "sitemapindex"
    assert [loc.text for loc in index.iter(SITEMAP + "loc")] == [
        f"https://h.example/sitemap-{n}.xml.gz" for n in (1, 2, 3)]
    parts = [[loc.text for loc in ET.fromstring(gzip.decompress(files[PurePosixPath(f"sitemap-{n}.xml.gz")]))
              .iter(SITEMAP + "loc")] for n in (1, 2, 3)]
    assert parts == [["https://h.example/", "https://h.example/a/"], ["https://h.example/b/", "https://h.example/c/"],
                     ["https://h.example/d/"]]


def test_robots_txt_points_at_the_sitemap(site):
    assert (site / "robots.txt").read_text() == (
        f"User-agent: *\nAllow: /\n\nSitemap: {BASE}sitemap.xml\n")


# --- pieces ---------------------------------------------------------------------------------------

def test_year_chart_shows_gaps_as_zero_and_nothing_without_dates():
    chart = str(year_chart({2019: 2, 2022: 5}))
    for year in ("2019", "2020", "2021", "2022"):
        assert f">{year}</text>" in chart
    assert "2020: 0 papers" in chart and "2022: 5 papers" in chart
    assert year_chart({}) == ""


def test_human_dates_do_not_follow_the_locale():
    assert human_date(dt.date(2025, 8, 30)) == "30 Aug 2025"
    assert human_date(dt.date(2024, 12, 1)) == "1 Dec 2024"


def test_largest_paper_page_with_its_css_is_under_20_kb_compressed(tmp_path):
    real = build_real_site(tmp_path / "_site")
    largest = max((real / "papers").glob("*/index.html"), key=lambda p: len(p.read_bytes()))
    html = gzip.compress(largest.read_bytes(), 9)
    css = gzip.compress((real / "static" / "style.css").read_bytes(), 9)
    assert len(html) + len(css) < 20 * 1024, (largest, len(html), len(css))


def test_scripts_are_shipped_without_their_comment_lines_and_nothing_else_changes(site):
    import re

    from paper_catalogue.render import shipped_script

    for name in ("search.js", "spelling.js", "site.js"):
        source = (ROOT / "static" / name).read_text(encoding="utf-8")
        shipped = (site / "static" / name).read_text(encoding="utf-8")
        assert re.search(r"^\s*//", source, re.MULTILINE)  # the source keeps its comments ...
        assert not re.search(r"^\s*//", shipped, re.MULTILINE)  # ... the site does not
        kept = [line for line in source.splitlines() if not line.lstrip().startswith("//")]
        assert shipped.splitlines() == kept
    assert shipped_script(b'const url = "https://x"; // keep\n  // drop\nf();\n') == \
        b'const url = "https://x"; // keep\nf();\n'
