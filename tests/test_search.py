"""Search facets and the Pagefind index: what each paper page gives Pagefind, and what its JavaScript API then finds."""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import multiprocessing
import os
import re
from collections import Counter
from dataclasses import replace
from html import unescape as html_unescape
from pathlib import Path, PurePosixPath

import pytest

from conftest import REAL_SEEDS, REAL_SITE_SRC, ROOT
from pagefind_api import PagefindIndex, chromium, pagefind_index
from site_build import index_site, write_site
from paper_catalogue.config import load_site_config
from paper_catalogue.diagnostics import BuildError
from paper_catalogue.models import Catalogue, Organization, Paper, SiteConfig, Source, Topic
from paper_catalogue.cli import make_parser, options_from
from paper_catalogue.pipeline import BESIDE_INDEX_NICENESS, BuildOptions, build, read_catalogue, render_files
from paper_catalogue.render import Renderer, make_environment
from paper_catalogue.search import day_ranks, index_parts, search_facets, upvote_bucket
from paper_catalogue.views import is_code_link, most_upvoted, newest_first

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


def build_topic_site(out: Path, base_url: str = "http://127.0.0.1:8000/", pages_per_index: int | None = None
                     ) -> Catalogue:
    """Build the seeds into `out` through the real stages, with test topics, and index it (in
    parts of `pages_per_index` papers when given)."""
    options = BuildOptions(seeds=REAL_SEEDS, out=out, site_src=REAL_SITE_SRC,
                           templates=ROOT / "templates", static=ROOT / "static", base_url=base_url)
    config = load_site_config(options.site_src / "site.toml", base_url)
    if pages_per_index:
        config = config.model_copy(update={"search_pages_per_index": pages_per_index})
    catalogue, _ = read_catalogue(options.seeds, config)
    catalogue = with_test_topics(catalogue)
    files = render_files(catalogue, config, options)
    parts = index_parts((paper.id for paper in catalogue.papers), config.search_pages_per_index)
    write_site(files, out, finish=lambda staging: index_site(staging, files, len(catalogue.papers), parts))
    return catalogue


@pytest.fixture(scope="module")
def topic_site(tmp_path_factory):
    out = tmp_path_factory.mktemp("search") / "_site"
    return out, build_topic_site(out)


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def topic_index(topic_site, browser) -> PagefindIndex:
    """The topic site's index, opened once for the module through Pagefind's JavaScript API."""
    with pagefind_index(browser, topic_site[0]) as index:
        yield index


@pytest.fixture(scope="module")
def indexed_pages(topic_index) -> dict[str, dict]:
    """Every page the index holds (each one's data()), by URL: every paper page has a year."""
    return {page["url"]: page for page in topic_index.every_page("year")}


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
    ranks = day_ranks(papers)
    facets = {p.id: search_facets(p, ranks[p.id]) for p in papers}
    by_date = sorted(papers, key=lambda p: facets[p.id].date_sort, reverse=True)
    assert [p.id for p in by_date] == [p.id for p in newest_first(papers)]
    by_upvotes = sorted(papers, key=lambda p: facets[p.id].upvotes_sort, reverse=True)
    assert [p.id for p in by_upvotes] == ["undated", "many", "b-same-day", "a-same-day", "older", "newer",
                                          "c-same-day"]
    assert len({f.upvotes_sort for f in facets.values()}) == len({f.date_sort for f in facets.values()}) == 7
    # The home and topic pages' "most upvoted" lists follow the same order.
    assert [p.id for p in most_upvoted(papers, 4)] == ["undated", "many", "b-same-day", "a-same-day"]


def test_day_ranks_follow_the_ids_of_each_day_in_one_width():
    day = dt.date(2024, 5, 1)
    papers = [paper(id=f"p{n:02d}", published=day) for n in range(11)]
    papers += [paper(id="z-alone", published=dt.date(2023, 1, 1)), paper(id="undated")]
    ranks = day_ranks(reversed(papers))
    assert [ranks[f"p{n:02d}"] for n in range(11)] == [f"{n:02d}" for n in range(11)]
    assert ranks["z-alone"] == ranks["undated"] == "00"
    # The tie-break is the rank, not the id: a paper page writes it twice.
    assert search_facets(papers[3], ranks["p03"]).date_sort == "2024-05-01 03"


def test_facets_of_a_full_paper():
    facets = search_facets(paper(published=dt.date(2024, 4, 22), upvotes=12, topics=("efficiency", "retrieval"),
                                 organization=Organization(handle="kyutai", name="Kyutai")), has_code=True)
    assert facets.date == "2024-04-22" and facets.upvotes == 12
    assert facets.filters == (("topic", "efficiency"), ("topic", "retrieval"), ("year", "2024"),
                              ("upvotes", "10+"), ("organisation", "Kyutai"), ("code", "yes"))


def test_no_code_filter_without_a_code_link():
    assert not any(key == "code" for key, _ in search_facets(paper()).filters)


@pytest.mark.browser
def test_index_holds_exactly_the_paper_pages(topic_site, topic_index, indexed_pages):
    _, catalogue = topic_site
    papers = sorted(f"/papers/{p.id}/" for p in catalogue.papers)
    assert sorted(indexed_pages) == papers
    # A search with no term and no filter lists every page the index holds, year or not: no
    # listing, topic or search page is among them. The year counts add up to the same pages.
    assert sorted(page["url"] for page in topic_index.search(None)) == papers
    assert sum(topic_index.filters()["year"].values()) == len(papers)


@pytest.mark.browser
def test_records_carry_metadata_filters_and_only_the_papers_own_text(topic_site, indexed_pages):
    _, catalogue = topic_site
    for paper_ in catalogue.papers:
        record = indexed_pages[f"/papers/{paper_.id}/"]
        assert record["meta"]["title"] == paper_.title
        # An upvote count only where the listing gave one: none is not zero.
        assert record["meta"].get("upvotes") == (None if paper_.upvotes is None else str(paper_.upvotes))
        assert ("date" in record["meta"]) == (paper_.published is not None)
        assert record["filters"].get("topic", []) == list(paper_.topics)
        assert record["filters"]["year"] == [str(paper_.published.year) if paper_.published else "undated"]
        assert record["filters"]["upvotes"] == [upvote_bucket(paper_.upvotes)]
        # Navigation, "Find this paper", sources and filter values are not the paper's text.
        for furniture in ("Find this paper", "Semantic Scholar", "Listed in", "undated", "Upvotes"):
            assert furniture not in record["content"]
        # The title, then the abstract: the facts line and topic chips are metadata, not text.
        assert record["content"].startswith(paper_.title)
        assert record["content"][len(paper_.title):].lstrip(". ").startswith(paper_.abstract[:20].rstrip("."))
        assert record["word_count"] == len(record["content"].split())


@pytest.mark.browser
def test_filter_counts_match_the_catalogue(topic_site, topic_index):
    _, catalogue = topic_site
    counts = topic_index.filters()
    for slug, _, _ in TEST_TOPICS:
        assert counts["topic"][slug] == sum(slug in p.topics for p in catalogue.papers)
    by_year = Counter(str(p.published.year) if p.published else "undated" for p in catalogue.papers)
    assert counts["year"] == dict(by_year)
    # A filter narrows a search to exactly the papers holding that value.
    found = {page["url"] for page in topic_index.search("model", filters={"topic": "efficiency"})}
    everything = {page["url"] for page in topic_index.search("model")}
    assert found and found < everything
    assert found == {url for url in everything if url in set(paper_urls(p for p in catalogue.papers
                                                                        if "efficiency" in p.topics))}


@pytest.mark.browser
def test_sorting_through_pagefind_gives_a_total_order(topic_site, topic_index):
    """Sorted by each key, every page comes back in the order the site's lists use
    (views.newest_first, views.most_upvoted), undated papers included: never in the disk's order."""
    _, catalogue = topic_site
    papers = list(catalogue.papers)
    assert sum(1 for p in papers if not p.published) > 1  # undated papers, ordered by their ids
    by_date = urls(topic_index.search(None, sort={"date": "desc"}))
    assert by_date == paper_urls(newest_first(papers))
    # Ascending is the exact reverse: every key is distinct, so no tie is left to Pagefind.
    assert urls(topic_index.search(None, sort={"date": "asc"})) == by_date[::-1]
    upvoted = most_upvoted(papers, len(papers))
    assert len(upvoted) > 1 and len({p.upvotes for p in upvoted}) < len(upvoted)  # ties to break
    by_upvotes = urls(topic_index.search(None, sort={"upvotes": "desc"}))
    assert by_upvotes[:len(upvoted)] == paper_urls(upvoted)
    assert by_upvotes[len(upvoted):] == [url for url in by_date if url not in set(by_upvotes[:len(upvoted)])]
    # A sorted search keeps that order among the pages that match.
    matching = urls(topic_index.search("language", sort={"date": "desc"}))
    assert len(matching) > 10 and matching == [url for url in by_date if url in set(matching)]


def urls(pages: list[dict]) -> list[str]:
    return [page["url"] for page in pages]


def paper_urls(papers) -> list[str]:
    return [f"/papers/{p.id}/" for p in papers]


@pytest.mark.browser
@pytest.mark.parametrize("word", ["retrieval", "sparse", "memory", "image", "speculative"])
def test_a_word_in_the_title_outranks_it_in_the_abstract(topic_index, word):
    """The title's h1 weighs ten times the abstract: papers with the word in their title come
    first, even after an abstract that holds it more often than a title paper does."""
    pages = topic_index.search(word)
    in_title = [word in page["meta"]["title"].lower() for page in pages]
    assert in_title == sorted(in_title, reverse=True) and any(in_title) and not all(in_title)
    matches = [len(page["weighted_locations"]) for page in pages]
    assert max(n for n, title in zip(matches, in_title) if not title) > min(n for n, title in zip(matches, in_title) if title)
    # Pagefind reports each match's weight: the title's 10 (Pagefind's own h1 default is 7) or the
    # text's 1, divided among the parts of a hyphenated word ("KV-cache" gives 5 to "cache").
    for page in pages:
        title_words = len(page["meta"]["title"].split())
        for match in page["weighted_locations"]:
            parts = (10 if match["location"] < title_words else 1) / match["weight"]
            assert parts == pytest.approx(round(parts)) and round(parts) >= 1, (page["url"], match)
    # Pagefind reports the weight of each matched word: 10 (halved for a part of a hyphenated
    # word) inside the title, at most 1 in the abstract.
    for page in pages:
        title_words = len(page["meta"]["title"].split())
        for location in page["weighted_locations"]:
            assert (location["weight"] > 1) == (location["location"] < title_words), (page["url"], location)


@pytest.mark.browser
def test_code_and_organisation_filters_follow_the_papers(topic_site, indexed_pages):
    _, catalogue = topic_site
    with_code = {f"/papers/{p.id}/" for p in catalogue.papers if any(is_code_link(url) for url in p.links)}
    assert any("github.com" in url for p in catalogue.papers for url in p.links), "the seeds link to code"
    assert {url for url, page in indexed_pages.items() if page["filters"].get("code") == ["yes"]} == with_code
    organised = [p for p in catalogue.papers if p.organization]
    assert organised and all(indexed_pages[f"/papers/{p.id}/"]["filters"]["organisation"] == [p.organization.name]
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
    priority = os.nice(0)
    result = build(BuildOptions(seeds=REAL_SEEDS, out=out, site_src=REAL_SITE_SRC,
                                templates=ROOT / "templates", static=ROOT / "static"))
    assert (out / "pagefind" / "pagefind.js").is_file()
    assert list(result.timings) == ["read", "topics", "related", "render", "write", "index"]
    assert all(seconds >= 0 for seconds in result.timings.values())
    # Pagefind starts once the paper pages are written: after read, topics, related papers and
    # their pages, before the rest of the site is made.
    wall, cpu = result.index_start
    before_pages = sum(result.timings[name] for name in ("read", "topics", "related"))
    assert before_pages < wall < sum(result.timings.values())
    assert 0 < cpu < sum(result.cpu.values())
    assert os.nice(0) == priority  # a caller that goes on after the build keeps its priority


def test_the_command_lines_build_yields_the_cores_to_pagefind_once_it_runs(tmp_path):
    """The command line's build is all its process does: once Pagefind runs, the process lowers its
    own priority, so the rest of the site is made in the time Pagefind leaves."""
    options = options_from(make_parser().parse_args(["--out", str(tmp_path / "_site")]))
    assert options.own_process
    options = replace(options, seeds=REAL_SEEDS, site_src=REAL_SITE_SRC, templates=ROOT / "templates",
                      static=ROOT / "static")
    context = multiprocessing.get_context("fork")
    answer = context.SimpleQueue()

    def build_alone() -> None:
        before = os.nice(0)
        build(options)
        answer.put((before, os.nice(0)))

    process = context.Process(target=build_alone)
    process.start()
    process.join(timeout=300)
    assert process.exitcode == 0
    before, after = answer.get()
    if before == 19:
        pytest.skip("the tests run at the lowest priority already: no build can lower it")
    assert after == min(before + BESIDE_INDEX_NICENESS, 19)
    assert (tmp_path / "_site" / "pagefind" / "pagefind.js").is_file()


def test_search_index_can_be_skipped(tmp_path):
    out = tmp_path / "_site"
    result = build(BuildOptions(seeds=REAL_SEEDS, out=out, site_src=REAL_SITE_SRC,
                                templates=ROOT / "templates", static=ROOT / "static", search_index=False))
    assert not (out / "pagefind").exists() and "index" not in result.timings
    assert result.index_start is None


def search_page(**context) -> str:
    renderer = Renderer(make_environment(ROOT / "templates"), SiteConfig(base_url="https://example.org/sub/"))
    return renderer.page("search.html", "search/", **{"search_bundles": ["/sub/pagefind/"], **context})[1].decode("utf-8")


def test_search_page_gives_its_script_the_bundle_paths_and_base():
    html = search_page()
    assert 'data-bundles="/sub/pagefind/"' in html and 'data-base="/sub/"' in html
    parted = search_page(search_bundles=["/sub/pagefind/", "/sub/pagefind/2/"])
    assert 'data-bundles="/sub/pagefind/ /sub/pagefind/2/"' in parted
    assert '<script type="module" src="/sub/static/search.js"></script>' in html
    assert '<link rel="stylesheet" href="/sub/static/search.css">' in html
    assert "<script>" not in html and not re.search(r"<[^>]+\son[a-z]+=", html)  # no inline code (CSP)


def test_search_page_can_carry_topic_names_safely():
    html = search_page(search_topics={"vision": 'Vision & "images"'})
    attribute = html.split('data-topic-names="')[1].split('"')[0]
    assert json.loads(html_unescape(attribute)) == {"vision": 'Vision & "images"'}


@pytest.mark.browser
def test_one_hidden_element_gives_pagefind_every_value_even_with_commas_and_colons(tmp_path, browser):
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
    with pagefind_index(browser, tmp_path / "_site") as index:
        records = {record["url"]: record for record in index.every_page("year")}
        assert index.filters()["organisation"] == {"Org, Inc: [Labs]": 1, "Org, Inc: Labs": 1}
        assert urls(index.search(None, filters={"organisation": "Org, Inc: [Labs]"})) == ["/papers/full/"]
    assert sorted(records) == ["/papers/bare/", "/papers/coded/", "/papers/full/"]
    assert records["/papers/coded/"]["filters"]["organisation"] == ["Org, Inc: Labs"]
    assert records["/papers/coded/"]["filters"]["code"] == ["yes"]
    full, bare = records["/papers/full/"], records["/papers/bare/"]
    assert (full["meta"]["date"], full["meta"]["upvotes"]) == ("22 Apr 2024", "12")
    assert "topics" not in full["meta"]  # the search page names topics from the filter values
    assert full["filters"] == {"topic": ["tricky", "plain"], "year": ["2024"], "upvotes": ["10+"],
                               "organisation": ["Org, Inc: [Labs]"]}
    assert "upvotes" not in bare["meta"] and "date" not in bare["meta"] and "topics" not in bare["meta"]
    assert bare["filters"] == {"year": ["undated"], "upvotes": ["0"]}


def _matched(glob: str, paper_id: str) -> bool:
    """Whether a part's glob (papers/{a*,b}/index.html) takes the page of `paper_id`."""
    inner = glob.removeprefix("papers/{").removesuffix("}/index.html")
    return any(fnmatch.fnmatchcase(paper_id, pattern) for pattern in inner.split(","))


def test_a_catalogue_up_to_the_part_size_is_indexed_in_one_part():
    assert index_parts([f"paper-{i}" for i in range(100)], 100) == ("papers/*/index.html",)


@pytest.mark.parametrize("count, per_part", [(101, 100), (1000, 300), (5000, 10)])
def test_a_larger_catalogue_is_indexed_in_parts_that_hold_every_page_once(count, per_part):
    # Real ids share prefixes unevenly; short ids are whole ids that other ids begin with.
    ids = [f"{word}-{i}" for i in range(count - 2) for word in ["a", "attention", "b", "zeta", "9"][i % 5:i % 5 + 1]]
    ids += ["a", "at"]
    parts = index_parts(ids, per_part)
    assert len(parts) >= 2 and len(set(parts)) == len(parts)
    sizes = [sum(_matched(glob, paper_id) for paper_id in ids) for glob in parts]
    assert max(sizes) <= per_part and sum(sizes) == count
    assert all(sum(_matched(glob, paper_id) for glob in parts) == 1 for paper_id in ids)
    assert len(parts) <= 2 * -(-count // per_part)  # about as many parts as the size needs
