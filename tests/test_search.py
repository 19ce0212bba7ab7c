"""Search facets and the Pagefind index: what each paper page gives Pagefind, and what Pagefind writes."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from html import unescape as html_unescape
from pathlib import Path, PurePosixPath

import pytest

from conftest import REAL_SEEDS, REAL_SITE_SRC, ROOT
from paper_catalogue.config import load_site_config
from paper_catalogue.diagnostics import BuildError
from paper_catalogue.models import Catalogue, Organization, Paper, SiteConfig, Source, Topic
from paper_catalogue.pipeline import BuildOptions, build, read_catalogue, render_files
from paper_catalogue.render import Renderer, make_environment
from paper_catalogue.search import index_site, search_facets, upvote_bucket
from paper_catalogue.views import most_upvoted, newest_first
from paper_catalogue.writer import write_site

# Topics for the test sites, until topic assignment exists: (slug, name, words that assign it).
TEST_TOPICS = (
    ("efficiency", "Efficiency", ("efficien", "latency", "memory", "cache")),
    ("retrieval", "Retrieval", ("retriev",)),
    ("vision", "Vision & images", ("image", "visual", "video")),
)


def with_test_topics(catalogue: Catalogue) -> Catalogue:
    """The real catalogue with topics set on its papers by keyword, as topic assignment would."""
    papers = []
    for paper in catalogue.papers:
        text = f"{paper.title} {paper.abstract}".lower()
        slugs = tuple(slug for slug, _, words in TEST_TOPICS if any(word in text for word in words))
        papers.append(paper.model_copy(update={"topics": slugs}))
    topics = tuple(Topic(slug=slug, name=name) for slug, name, _ in TEST_TOPICS)
    return catalogue.model_copy(update={"papers": tuple(papers), "topics": topics})


def build_topic_site(out: Path, base_url: str = "http://127.0.0.1:8000/") -> Catalogue:
    """Build the seeds into `out` through the real stages, with test topics, and index it."""
    options = BuildOptions(seeds=REAL_SEEDS, out=out, site_src=REAL_SITE_SRC,
                           templates=ROOT / "templates", static=ROOT / "static", base_url=base_url)
    config = load_site_config(options.site_src / "site.toml", base_url)
    catalogue, _ = read_catalogue(options.seeds, config)
    catalogue = with_test_topics(catalogue)
    files = render_files(catalogue, config, options)
    write_site(files, out, finish=lambda staging: index_site(staging, files, expected_pages=len(catalogue.papers)))
    return catalogue


def fragments(site: Path) -> list[dict]:
    """Pagefind's per-page records: gzip'd JSON after a signature, holding the indexed text."""
    records = []
    for path in sorted((site / "pagefind" / "fragment").iterdir()):
        raw = gzip.decompress(path.read_bytes())
        records.append(json.loads(raw[raw.index(b"{"):]))
    return records


@pytest.fixture(scope="module")
def topic_site(tmp_path_factory):
    out = tmp_path_factory.mktemp("search") / "_site"
    return out, build_topic_site(out)


def paper(**changes) -> Paper:
    fields = dict(id="a-paper", title="A paper", abstract="Text.", sources=(Source(file="x.txt", line=1),))
    return Paper(**(fields | changes))


@pytest.mark.parametrize("upvotes, bucket", [(None, "0"), (0, "0"), (1, "1-9"), (9, "1-9"), (10, "10+"), (4000, "10+")])
def test_upvote_buckets(upvotes, bucket):
    assert upvote_bucket(upvotes) == bucket


def test_undated_paper_still_has_every_sort_key():
    facets = search_facets(paper())
    assert facets.date == "0000-00-00" and facets.upvotes == 0
    assert ("year", "undated") in facets.filters and ("upvotes", "0") in facets.filters


def test_sort_keys_give_a_total_order_newest_first_as_papers_lists_them():
    """Equal dates or upvotes never leave the order to Pagefind (which would fall back on the
    file system's directory order): descending keys give papers/'s order, and upvotes then it."""
    day = dt.date(2024, 5, 1)
    papers = [paper(id="b-same-day", published=day, upvotes=3), paper(id="a-same-day", published=day, upvotes=3),
              paper(id="c-same-day", published=day), paper(id="older", published=dt.date(2023, 1, 9), upvotes=3),
              paper(id="newer", published=dt.date(2024, 12, 31)), paper(id="undated", upvotes=1200),
              paper(id="many", published=dt.date(2020, 1, 1), upvotes=12)]
    facets = {p.id: search_facets(p) for p in papers}
    by_date = sorted(papers, key=lambda p: facets[p.id].date_sort, reverse=True)
    assert [p.id for p in by_date] == [p.id for p in newest_first(papers)]
    by_upvotes = sorted(papers, key=lambda p: facets[p.id].upvotes_sort, reverse=True)
    assert [p.id for p in by_upvotes] == ["undated", "many", "b-same-day", "a-same-day", "older", "newer",
                                          "c-same-day"]
    assert len({f.upvotes_sort for f in facets.values()}) == len({f.date_sort for f in facets.values()}) == 7
    # The home and topic pages' "most upvoted" lists follow the same order.
    assert [p.id for p in most_upvoted(papers, 4)] == ["undated", "many", "b-same-day", "a-same-day"]


def test_facets_of_a_full_paper():
    facets = search_facets(paper(published=dt.date(2024, 4, 22), upvotes=12, topics=("efficiency", "retrieval"),
                                 organization=Organization(handle="kyutai", name="Kyutai")), has_code=True)
    assert facets.date == "2024-04-22" and facets.upvotes == 12
    assert facets.filters == (("topic", "efficiency"), ("topic", "retrieval"), ("year", "2024"),
                              ("upvotes", "10+"), ("organisation", "Kyutai"), ("code", "yes"))


def test_no_code_filter_without_a_code_link():
    assert not any(key == "code" for key, _ in search_facets(paper()).filters)


def test_index_holds_exactly_the_paper_pages(topic_site):
    site, catalogue = topic_site
    entry = json.loads((site / "pagefind" / "pagefind-entry.json").read_text())
    assert sum(language["page_count"] for language in entry["languages"].values()) == len(catalogue.papers)
    urls = {record["url"] for record in fragments(site)}
    assert urls == {f"/papers/{p.id}/" for p in catalogue.papers}


def test_records_carry_metadata_filters_and_only_the_papers_own_text(topic_site):
    site, catalogue = topic_site
    records = {record["url"]: record for record in fragments(site)}
    for paper_ in catalogue.papers:
        record = records[f"/papers/{paper_.id}/"]
        assert record["meta"]["title"] == paper_.title
        assert record["meta"]["upvotes"] == str(paper_.upvotes or 0)
        assert ("date" in record["meta"]) == (paper_.published is not None)
        assert record["filters"].get("topic", []) == list(paper_.topics)
        assert record["filters"]["year"] == [str(paper_.published.year) if paper_.published else "undated"]
        # Navigation, "Find this paper", sources and filter values are not the paper's text.
        for furniture in ("Find this paper", "Semantic Scholar", "Listed in", "undated", "Upvotes"):
            assert furniture not in record["content"]
        # The title, then the abstract: the facts line and topic chips are metadata, not text.
        assert record["content"].startswith(paper_.title)
        assert record["content"][len(paper_.title):].lstrip(". ").startswith(paper_.abstract[:20].rstrip("."))


def test_code_and_organisation_filters_follow_the_papers(topic_site):
    site, catalogue = topic_site
    records = {record["url"]: record for record in fragments(site)}
    with_code = {f"/papers/{p.id}/" for p in catalogue.papers if any("github.com" in url for url in p.links)}
    assert with_code, "the seeds have papers with a GitHub link"
    assert all(records[url]["filters"].get("code") == ["yes"] for url in with_code)
    organised = [p for p in catalogue.papers if p.organization]
    assert organised and all(records[f"/papers/{p.id}/"]["filters"]["organisation"] == [p.organization.name]
                             for p in organised)


def test_a_paper_page_without_the_index_marker_fails_and_keeps_the_previous_site(tmp_path):
    out = tmp_path / "_site"
    out.mkdir()
    (out / "index.html").write_text("previous site")
    files = {PurePosixPath("papers/x/index.html"): b"<html><body><main data-pagefind-body>x</main></body></html>",
             PurePosixPath("papers/y/index.html"): b"<html><body><main>y</main></body></html>"}
    with pytest.raises(BuildError, match="papers/y/index.html"):
        write_site(files, out, finish=lambda staging: index_site(staging, files, expected_pages=2))
    assert (out / "index.html").read_text() == "previous site"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site"]


def test_build_indexes_last_and_times_the_index_stage(tmp_path):
    out = tmp_path / "_site"
    result = build(BuildOptions(seeds=REAL_SEEDS, out=out, site_src=REAL_SITE_SRC,
                                templates=ROOT / "templates", static=ROOT / "static"))
    assert (out / "pagefind" / "pagefind.js").is_file()
    assert list(result.timings) == ["read", "topics", "related", "render", "write", "index"]
    assert all(seconds >= 0 for seconds in result.timings.values())


def test_search_index_can_be_skipped(tmp_path):
    out = tmp_path / "_site"
    result = build(BuildOptions(seeds=REAL_SEEDS, out=out, site_src=REAL_SITE_SRC,
                                templates=ROOT / "templates", static=ROOT / "static", search_index=False))
    assert not (out / "pagefind").exists() and "index" not in result.timings


def search_page(**context) -> str:
    renderer = Renderer(make_environment(ROOT / "templates"), SiteConfig(base_url="https://example.org/sub/"))
    return renderer.page("search.html", "search/", **context)[1].decode("utf-8")


def test_search_page_gives_its_script_the_bundle_path_and_base():
    html = search_page()
    assert 'data-bundle="/sub/pagefind/"' in html and 'data-base="/sub/"' in html
    assert '<script type="module" src="/sub/static/search.js"></script>' in html
    assert '<link rel="stylesheet" href="/sub/static/search.css">' in html
    assert "<script>" not in html and not re.search(r"<[^>]+\son[a-z]+=", html)  # no inline code (CSP)


def test_search_page_can_carry_topic_names_safely():
    html = search_page(search_topics={"vision": 'Vision & "images"'})
    attribute = html.split('data-topic-names="')[1].split('"')[0]
    assert json.loads(html_unescape(attribute)) == {"vision": 'Vision & "images"'}


def test_one_hidden_element_gives_pagefind_every_value_even_with_commas_and_colons(tmp_path):
    """The real Pagefind reads the combined captures (views.SearchTags) back exactly: an
    organisation name holding commas, colons or brackets is one value, not several."""
    tricky = Topic(slug="tricky", name="Commas, colons: [brackets] & more")
    papers = (
        paper(id="full", title="Full paper", published=dt.date(2024, 4, 22), upvotes=12,
              topics=("tricky", "plain"), organization=Organization(handle="o", name="Org, Inc: [Labs]")),
        paper(id="bare", title="Bare paper"),
        # With a code link, the organisation is no longer the inline last filter but a capture.
        paper(id="coded", title="Coded paper", organization=Organization(handle="o", name="Org, Inc: Labs"),
              links=("https://github.com/o/r",)),
    )
    catalogue = Catalogue(papers=papers, topics=(tricky, Topic(slug="plain", name="Plain")))
    renderer = Renderer(make_environment(ROOT / "templates"), SiteConfig(base_url="https://example.org/"))
    files = renderer.paper_pages(catalogue)
    write_site(files, tmp_path / "_site", finish=lambda staging: index_site(staging, files, expected_pages=3))
    records = {record["url"]: record for record in fragments(tmp_path / "_site")}
    assert records["/papers/coded/"]["filters"]["organisation"] == ["Org, Inc: Labs"]
    assert records["/papers/coded/"]["filters"]["code"] == ["yes"]
    full, bare = records["/papers/full/"], records["/papers/bare/"]
    assert (full["meta"]["date"], full["meta"]["upvotes"]) == ("22 Apr 2024", "12")
    assert "topics" not in full["meta"]  # the search page names topics from the filter values
    assert full["filters"] == {"topic": ["tricky", "plain"], "year": ["2024"], "upvotes": ["10+"],
                               "organisation": ["Org, Inc: [Labs]"]}
    assert bare["meta"]["upvotes"] == "0" and "date" not in bare["meta"] and "topics" not in bare["meta"]
    assert bare["filters"] == {"year": ["undated"], "upvotes": ["0"]}
