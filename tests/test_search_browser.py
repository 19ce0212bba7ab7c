"""The search page in Debian's chromium: queries, filters, sorting, the URL, a subpath, and axe-core."""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import re
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from pagefind_api import PagefindIndex, chromium
from test_search import build_topic_site

from paper_catalogue.vocabulary import tail_list

pytestmark = pytest.mark.browser

# The strictest policy the site is meant to run under (another part of the site adds it as a
# <meta>); sent as a header here, so any inline script, inline style or eval shows up as an error.
CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
       "connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'")


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serves one built site under a path prefix ("/" or "/sub/"), as a static host would."""

    prefix = "/"

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", CSP)
        super().end_headers()

    def translate_path(self, path: str) -> str:
        route = urlsplit(path).path
        if not route.startswith(self.prefix):
            return str(Path(self.directory) / "__outside_the_site__")
        return super().translate_path("/" + route[len(self.prefix):])

    def log_message(self, format, *args):  # keep the test output quiet
        pass


def serve(site: Path, prefix: str):
    handler = type("Handler", (_SiteHandler,), {"prefix": prefix})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}{prefix}"


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def root_site(tmp_path_factory):
    out = tmp_path_factory.mktemp("search-root") / "_site"
    catalogue = build_topic_site(out)
    server, url = serve(out, "/")
    yield url, catalogue
    server.shutdown()


@pytest.fixture(scope="module")
def sub_site(tmp_path_factory):
    out = tmp_path_factory.mktemp("search-sub") / "_site"
    catalogue = build_topic_site(out, base_url="https://example.org/sub/")
    server, url = serve(out, "/sub/")
    yield url, catalogue
    server.shutdown()


@pytest.fixture(scope="module")
def parted_site(tmp_path_factory):
    """The same catalogue with its search index in parts of at most 100 papers (three parts)."""
    out = tmp_path_factory.mktemp("search-parts") / "_site"
    catalogue = build_topic_site(out, pages_per_index=100)
    server, url = serve(out, "/")
    yield url, catalogue, out
    server.shutdown()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    yield page
    context.close()
    assert not errors, errors  # uncaught exceptions, failed loads and CSP violations all land here


def settled(page) -> None:
    """Wait for the search under way to finish; a search shows "Searching…" from the moment it starts."""
    page.wait_for_function("() => !/Searching|Type a word/.test(document.getElementById('search-status').textContent)")


def search(page, base: str, query: str) -> None:
    """Open the search page with a query string and wait for its outcome."""
    page.goto(f"{base}search/{query}")
    settled(page)


def result_ids(page) -> list[str]:
    hrefs = page.eval_on_selector_all(".search-result h2 a", "links => links.map(a => a.getAttribute('href'))")
    return [href.rstrip("/").rsplit("/", 1)[-1] for href in hrefs]


def show_all(page) -> None:
    while page.is_visible("#search-more"):
        before = page.locator(".search-result").count()
        page.click("#search-more")
        page.wait_for_function("n => document.querySelectorAll('.search-result').length > n", arg=before)


def test_distinctive_query_finds_its_paper_first(root_site, page):
    base, catalogue = root_site
    search(page, base, "?q=SnapKV")
    first = page.locator(".search-result").first
    assert first.locator("h2").inner_text().startswith("SnapKV")
    assert first.locator(".search-excerpt mark").count() >= 1
    assert result_ids(page)[0] == "snapkv-llm-knows-what-you-are-looking-for-before-generation"


def test_query_in_the_url_runs_on_load_and_fills_the_box(root_site, page):
    base, _ = root_site
    search(page, base, "?q=speculative+decoding")
    assert page.input_value("#site-search") == "speculative decoding"
    assert page.locator(".search-result").count() > 0
    assert re.search(r"\d+ papers? match", page.inner_text("#search-status"))


def test_each_result_shows_title_date_topics_and_excerpt(root_site, page):
    base, catalogue = root_site
    by_id = {paper.id: paper for paper in catalogue.papers}
    search(page, base, "?q=memory&sort=date")
    first = page.locator(".search-result").first
    paper = by_id[result_ids(page)[0]]
    assert paper.published and paper.topics
    assert first.locator(".search-date").inner_text() == f"{paper.published.day} {paper.published:%b %Y}"
    names = {"efficiency": "Efficiency", "retrieval": "Retrieval", "vision": "Vision & images"}
    assert first.locator(".search-topics li").all_inner_texts() == [names[slug] for slug in paper.topics]
    assert "memory" in first.locator(".search-excerpt mark").first.inner_text().lower()


def test_no_match_says_so(root_site, page):
    # Pagefind also matches indexed words that begin the query ("vqzxj" finds "VQ-Logits"),
    # so the query shares no beginning with any word of the seeds.
    base, _ = root_site
    search(page, base, "?q=jjqzx")
    assert "No papers match “jjqzx”" in page.inner_text("#search-status")
    assert page.locator(".search-result").count() == 0


def test_topic_filter_narrows_the_results_and_back_undoes_it(root_site, page):
    base, catalogue = root_site
    by_id = {paper.id: paper for paper in catalogue.papers}
    search(page, base, "?q=model")
    show_all(page)
    everything = set(result_ids(page))
    assert not page.is_visible("#search-filters")  # filters load on demand: see the README
    page.click("#search-filters-box summary")
    page.check("#filter-topic-efficiency")
    page.wait_for_url(re.compile(r"topic=efficiency"))
    settled(page)
    show_all(page)
    narrowed = set(result_ids(page))
    assert narrowed < everything
    assert all("efficiency" in by_id[paper_id].topics for paper_id in narrowed)
    assert narrowed == {paper_id for paper_id in everything if "efficiency" in by_id[paper_id].topics}
    assert page.is_checked("#filter-topic-efficiency")  # the box survives the re-render
    assert page.inner_text("label[for=filter-topic-efficiency]").startswith("Efficiency (")
    page.go_back()
    page.wait_for_function("() => !document.getElementById('filter-topic-efficiency').checked")
    assert "topic=" not in page.url


def test_filters_in_the_url_are_restored_and_combine(root_site, page):
    base, catalogue = root_site
    by_id = {paper.id: paper for paper in catalogue.papers}
    search(page, base, "?q=model&topic=efficiency&topic=retrieval&year=2024")
    assert page.is_checked("#filter-topic-efficiency") and page.is_checked("#filter-topic-retrieval")
    assert page.is_checked("#filter-year-2024")
    show_all(page)
    found = [by_id[paper_id] for paper_id in result_ids(page)]
    assert found
    assert all({"efficiency", "retrieval"} & set(p.topics) and p.published.year == 2024 for p in found)


def test_sorting_by_date_orders_results_newest_first(root_site, page):
    base, catalogue = root_site
    by_id = {paper.id: paper for paper in catalogue.papers}
    search(page, base, "?q=language")
    page.select_option("#search-sort", "date")
    page.wait_for_url(re.compile(r"sort=date"))
    settled(page)
    show_all(page)
    found = [by_id[paper_id] for paper_id in result_ids(page)]
    dates = [paper.published or dt.date.min for paper in found]
    assert len(dates) > 10 and sum(1 for d in dates if d != dt.date.min) > 5
    assert len(set(dates)) < len(dates)  # papers of one day: their order is the ids', not the disk's
    keys = [(paper.published or dt.date.min, paper.id) for paper in found]
    assert keys == sorted(keys, reverse=True)
    assert parse_qs(urlsplit(page.url).query) == {"q": ["language"], "sort": ["date"]}


def test_sorting_by_upvotes(root_site, page):
    base, catalogue = root_site
    by_id = {paper.id: paper for paper in catalogue.papers}
    search(page, base, "?q=language&sort=upvotes")
    assert page.input_value("#search-sort") == "upvotes"
    show_all(page)
    found = [by_id[paper_id] for paper_id in result_ids(page)]
    upvotes = [paper.upvotes or 0 for paper in found]
    assert len(upvotes) > 10 and upvotes == sorted(upvotes, reverse=True) and upvotes[0] > 0
    assert len(set(upvotes)) < len(upvotes)  # equal counts: newest first, then by id, never by disk order
    keys = [(paper.upvotes or 0, paper.published or dt.date.min, paper.id) for paper in found]
    assert keys == sorted(keys, reverse=True)


def test_typing_in_the_header_box_searches_and_keeps_the_url(root_site, page):
    base, _ = root_site
    requested: list[str] = []
    page.on("request", lambda request: requested.append(urlsplit(request.url).path))
    page.goto(f"{base}search/")
    assert page.locator(".search-result").count() == 0
    assert not any("/pagefind/" in path for path in requested)  # no word, no index download
    page.keyboard.press("/")
    assert page.evaluate("() => document.activeElement.id") == "site-search"
    page.keyboard.type("SnapKV")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"\?q=SnapKV$"))
    settled(page)
    assert result_ids(page)[0].startswith("snapkv")


def test_search_works_under_a_subpath(sub_site, page):
    base, _ = sub_site
    requested: list[str] = []
    page.on("request", lambda request: requested.append(urlsplit(request.url).path))
    search(page, base, "?q=SnapKV&topic=efficiency")
    href = page.get_attribute(".search-result h2 a", "href")
    assert href == "/sub/papers/snapkv-llm-knows-what-you-are-looking-for-before-generation/"
    assert any(path.startswith("/sub/pagefind/") for path in requested)
    assert not any(path.startswith("/pagefind/") for path in requested)
    page.click(".search-result h2 a")
    page.wait_for_url(re.compile(r"/sub/papers/snapkv"))
    assert page.locator("h1").inner_text().startswith("SnapKV")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_search_page_with_results_has_no_axe_violations(root_site, browser, scheme):
    from axe_playwright_python.sync_playwright import Axe
    base, _ = root_site
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    try:
        search(page, base, "?q=model&topic=efficiency&sort=date")
        assert page.locator(".search-result").count() > 0 and page.is_visible("#search-filters")
        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()
    finally:
        context.close()


def test_search_finds_new_and_old_papers_after_rebuilds_with_the_cache(tmp_path, page):
    """A rebuild after a new paper indexes again; one after a template edit outside what Pagefind
    reads takes the bundle from the cache: either way the browser loads one consistent index."""
    import shutil

    from conftest import REAL_SEEDS, REAL_SITE_SRC, ROOT
    from paper_catalogue.pipeline import BuildOptions, build

    seeds, out, templates = tmp_path / "seeds", tmp_path / "_site", tmp_path / "templates"
    shutil.copytree(REAL_SEEDS, seeds)
    shutil.copytree(ROOT / "templates", templates)
    options = BuildOptions(seeds=seeds, out=out, site_src=REAL_SITE_SRC, templates=templates,
                           static=ROOT / "static", base_url="http://127.0.0.1:8000/", cache=tmp_path / "cache")
    build(options)
    (seeds / "999_new.txt").write_text("Quokkaformer: A Brand New Draft Model\n\n"
                                       "We propose quokkaformer, a draft model for faster decoding.\n", encoding="utf-8")
    build(options)
    base_html = templates / "base.html"
    base_html.write_text(base_html.read_text(encoding="utf-8").replace("</footer>", "<!-- edited --></footer>"),
                         encoding="utf-8")
    messages: list[str] = []
    build(options, progress=lambda stage, message: messages.append(message))
    assert "search index unchanged, taken from the cache" in messages, messages
    server, base = serve(out, "/")
    try:
        search(page, base, "?q=quokkaformer")
        assert result_ids(page) == ["quokkaformer-a-brand-new-draft-model"]
        search(page, base, "?q=SnapKV")
        assert result_ids(page)[0] == "snapkv-llm-knows-what-you-are-looking-for-before-generation"
    finally:
        server.shutdown()


# --- Spelling --------------------------------------------------------------------------------

def fetched(page) -> list[str]:
    """Paths of the vocabulary lists and the spelling module the page has requested so far."""
    return page.evaluate("""performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)
                            .filter(p => p.includes('/vocabulary/') || p.endsWith('/spelling.js'))""")


def spelling(page) -> str:
    return page.inner_text("#search-spelling") if page.is_visible("#search-spelling") else ""


def test_a_correct_query_never_fetches_the_vocabulary(root_site, page):
    base, _ = root_site
    for query in ("?q=speculative+decoding", "?q=SnapKV", "?q=models&sort=date", "?q=diffusion+LLMs"):
        search(page, base, query)
        assert page.locator(".search-result").count() > 0
        assert spelling(page) == ""
        assert fetched(page) == [], query


def test_a_misspelt_query_shows_the_corrected_results_and_offers_the_query_as_typed(root_site, page):
    base, _ = root_site
    search(page, base, "?q=SnapVK")  # two letters swapped: Pagefind alone finds it nowhere first
    assert result_ids(page)[0] == "snapkv-llm-knows-what-you-are-looking-for-before-generation"
    assert page.inner_text("#search-status") == "1 paper matches “snapkv”."
    assert spelling(page) == "Showing results for snapkv. Search instead for SnapVK."
    assert page.input_value("#site-search") == "SnapVK"  # the box keeps what was typed
    assert "/vocabulary/s.txt" in " ".join(fetched(page))
    links = page.locator("#search-spelling a")
    assert parse_qs(urlsplit(links.nth(0).get_attribute("href")).query) == {"q": ["snapkv"]}
    assert parse_qs(urlsplit(links.nth(1).get_attribute("href")).query) == {"q": ["SnapVK"], "verbatim": ["1"]}


def test_a_word_dropped_a_letter_in_a_longer_query_is_corrected_in_place(root_site, page):
    base, _ = root_site
    search(page, base, "?q=speculatve+decoding")
    assert spelling(page).startswith("Showing results for speculative decoding.")
    assert page.locator(".search-result").count() > 0
    titles = " ".join(page.locator(".search-result h2").all_inner_texts()).lower()
    assert "speculative" in titles


@pytest.mark.parametrize("typed, meant", [
    ("iffusion", "diffusion"),  # the first letter dropped
    ("tiffusion", "diffusion"),  # the first letter typed wrong
    ("xpeculative+decoding", "speculative decoding"),  # typed wrong, in a longer query
])
def test_a_slip_at_the_first_letter_is_corrected_from_the_tail_lists(root_site, page, typed, meant):
    base, _ = root_site
    search(page, base, f"?q={typed}")
    assert spelling(page).startswith(f"Showing results for {meant}.")
    titles = " ".join(page.locator(".search-result h2").all_inner_texts()).lower()
    assert meant.split()[0] in titles
    # The word meant is in no list of the letters typed: the page found it in the one tail list
    # that vocabulary.tail_list names for its tail, so the page and the build hash alike, and
    # did without the typed first letter's list.
    tail = meant.split()[0][1:]
    assert f"/vocabulary/tails/{tail_list(tail)}.txt" in fetched(page)
    assert f"/vocabulary/{typed[0]}.txt" not in fetched(page)


def test_the_spelling_links_keep_filters_and_sort_and_back_and_forward_work(root_site, page):
    base, _ = root_site
    search(page, base, "?q=difusion&sort=date&year=2024")
    assert spelling(page).startswith("Showing results for diffusion.")
    corrected = result_ids(page)
    assert corrected
    page.click("#search-spelling a >> nth=1")  # "Search instead for difusion"
    page.wait_for_url(re.compile(r"verbatim=1"))
    settled(page)
    assert parse_qs(urlsplit(page.url).query) == {"q": ["difusion"], "sort": ["date"], "year": ["2024"],
                                                 "verbatim": ["1"]}
    assert spelling(page) == ""  # as typed: Pagefind's own answer, uncorrected
    assert page.input_value("#search-sort") == "date" and result_ids(page) != corrected
    page.go_back()
    page.wait_for_function("() => !location.search.includes('verbatim')")
    settled(page)
    page.wait_for_function("() => document.getElementById('search-spelling').textContent.startsWith('Showing')")
    assert result_ids(page) == corrected
    page.go_forward()
    page.wait_for_url(re.compile(r"verbatim=1"))
    page.wait_for_function("() => document.getElementById('search-spelling').hidden")
    page.go_back()
    page.wait_for_function("() => document.getElementById('search-spelling').textContent.startsWith('Showing')")
    page.click("#search-spelling a >> nth=0")  # "Showing results for diffusion": search it as such
    page.wait_for_url(re.compile(r"q=diffusion"))
    settled(page)
    assert parse_qs(urlsplit(page.url).query) == {"q": ["diffusion"], "sort": ["date"], "year": ["2024"]}
    assert result_ids(page) == corrected and spelling(page) == ""


def test_no_match_even_after_correction_says_so_and_offers_the_closest_words(root_site, page):
    base, _ = root_site
    # Pagefind alone shows SnapKV here, through the "snap" the query starts with: a loose match.
    search(page, base, "?q=snapzzz")
    assert "No papers match “snapzzz”" in page.inner_text("#search-status")
    assert page.locator(".search-result").count() == 0
    # Nearest first ("snap" is SnapKV's first part, three letters away), each a search of its own.
    assert spelling(page) == "Closest words in the catalogue: snap, snapkv, snapkvs."
    page.click("#search-spelling a >> nth=1")
    page.wait_for_url(re.compile(r"\?q=snapkv$"))
    settled(page)
    assert result_ids(page)[0].startswith("snapkv")
    page.go_back()
    page.wait_for_function("() => document.getElementById('search-status').textContent.includes('snapzzz')")
    assert page.locator(".search-result").count() == 0


def test_result_rows_show_upvotes_only_where_the_listing_showed_a_count(root_site, page):
    base, catalogue = root_site
    by_id = {paper.id: paper for paper in catalogue.papers}
    search(page, base, "?q=model")
    show_all(page)
    rows = page.locator(".search-result")
    seen = {"none": 0, "count": 0}
    for index in range(rows.count()):
        row = rows.nth(index)
        paper = by_id[row.locator("h2 a").get_attribute("href").rstrip("/").rsplit("/", 1)[-1]]
        shown = row.locator(".search-upvotes").all_inner_texts()
        if paper.upvotes is None:
            assert shown == [], paper.id
            seen["none"] += 1
        else:
            assert shown == [f"{paper.upvotes} upvote{'' if paper.upvotes == 1 else 's'}"], paper.id
            seen["count"] += 1
    assert seen["none"] > 0 and seen["count"] > 0


def test_closest_words_in_a_longer_query_link_to_that_query_with_the_word_in_place(root_site, page):
    base, _ = root_site
    search(page, base, "?q=decoding+snapzzz&sort=date")
    assert "No papers match “decoding snapzzz”" in page.inner_text("#search-status")
    assert spelling(page) == "Closest words in the catalogue: snap, snapkv, snapkvs."
    href = page.get_attribute("#search-spelling a >> nth=1", "href")
    assert parse_qs(urlsplit(href).query) == {"q": ["decoding snapkv"], "sort": ["date"]}


# --- An index in parts -------------------------------------------------------------------------

def part_of(browser, base: str, site: Path) -> dict[str, int]:
    """Each paper's part of the index, from what each part's bundle holds, asked through
    Pagefind's JavaScript API."""
    bundles = ["/pagefind/", *sorted(f"/pagefind/{path.name}/" for path in (site / "pagefind").iterdir()
                                     if path.name.isdigit())]
    parts = {}
    for number, bundle in enumerate(bundles):
        index = PagefindIndex(browser, base, bundle)
        for data in index.every_page("year"):
            parts[data["url"].rstrip("/").rsplit("/", 1)[-1]] = number
        index.page.close()
    return parts


@pytest.mark.parametrize("sort", ["date", "upvotes"])
def test_an_index_in_parts_sorts_as_one_index_does(root_site, parted_site, browser, sort):
    """The parts' sorted results merge into exactly the one index's order, "more" pages included."""
    whole, catalogue = root_site
    parted, _, site = parted_site
    parts = part_of(browser, parted, site)
    assert sorted(set(parts.values())) == [0, 1, 2] and len(parts) == len(catalogue.papers)
    orders = []
    for base in (whole, parted):
        context = browser.new_context()
        page = context.new_page()
        search(page, base, f"?q=language&sort={sort}")
        show_all(page)
        orders.append(result_ids(page))
        context.close()
    assert len(orders[0]) > 30 and orders[1] == orders[0]
    assert len({parts[paper_id] for paper_id in orders[1][:10]}) > 1  # the first page draws on several parts


@pytest.mark.parametrize("sort", ["", "date"])
def test_an_index_in_parts_finds_what_one_index_finds_with_the_same_filter_counts(root_site, parted_site, browser,
                                                                                   sort):
    whole, _ = root_site
    parted, _, _ = parted_site
    found, counts = [], []
    for base in (whole, parted):
        context = browser.new_context()
        page = context.new_page()
        search(page, base, f"?q=model&sort={sort}")
        page.click("#search-filters-box summary")
        page.wait_for_selector("#filter-topic-efficiency")
        show_all(page)
        found.append(set(result_ids(page)))
        counts.append(page.eval_on_selector_all("#search-filters label", "labels => labels.map(l => l.textContent)"))
        context.close()
    assert len(found[0]) > 30 and found[1] == found[0]
    assert len(counts[0]) > 5 and counts[1] == counts[0]


def test_an_index_in_parts_corrects_a_typo_and_ranks_the_paper_first(parted_site, page):
    parted, _, _ = parted_site
    search(page, parted, "?q=SnapVK")
    assert page.inner_text("#search-spelling").startswith("Showing results for snapkv.")
    assert result_ids(page)[0] == "snapkv-llm-knows-what-you-are-looking-for-before-generation"


def test_an_index_in_parts_works_under_a_subpath(tmp_path, page):
    out = tmp_path / "_site"
    build_topic_site(out, base_url="https://example.org/sub/", pages_per_index=100)
    server, base = serve(out, "/sub/")
    try:
        for sort in ("", "upvotes"):
            search(page, base, f"?q=SnapKV&sort={sort}")
            href = page.get_attribute(".search-result h2 a", "href")
            assert href == "/sub/papers/snapkv-llm-knows-what-you-are-looking-for-before-generation/"
    finally:
        server.shutdown()
