"""Pagefind's documented JavaScript API, run in chromium over a served site: what the index holds, asked as a browser asks."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from site_build import CHROMIUM, CHROMIUM_ARGS, need, need_chromium, serve

# One function in the page for every question: a search (a term, or null for "every page the
# filters allow") with its options, answered with each result's data() in Pagefind's order.
SEARCH = """async ([term, options]) => {
  const search = await window.pagefind.search(term, options);
  const pages = await Promise.all(search.results.map((result) => result.data()));
  return {pages, unfiltered: search.unfilteredResultCount, filters: search.filters};
}"""


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """Debian's chromium through Playwright; skips (fails in CI) when either is missing."""
    need_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need("playwright", False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class PagefindIndex:
    """The Pagefind bundle of one served site, loaded in a page of its own as a script on the site would."""

    def __init__(self, browser, root_url: str, bundle: str = "/pagefind/") -> None:
        self.page = browser.new_page()
        self.page.set_default_timeout(30_000)
        self.page.goto(root_url)
        # baseUrl "/", as the search page passes its own base: result URLs are site paths.
        self.page.evaluate("""async (bundle) => {
          window.pagefind = await import(bundle + 'pagefind.js');
          await window.pagefind.options({baseUrl: '/'});
          await window.pagefind.init();
        }""", bundle)

    def search(self, term: str | None, filters: dict | None = None, sort: dict | None = None) -> list[dict]:
        """Each result's data() (url, meta, filters, content, excerpt, word_count...), in rank or sort order."""
        return self.search_details(term, filters, sort)["pages"]

    def search_details(self, term: str | None, filters: dict | None = None, sort: dict | None = None) -> dict:
        """The results' data() as `pages`, with the search's unfilteredResultCount and filter counts."""
        options = {key: value for key, value in (("filters", filters), ("sort", sort)) if value is not None}
        return self.page.evaluate(SEARCH, [term, options])

    def filters(self) -> dict[str, dict[str, int]]:
        """Every filter key, with each value's page count, as pagefind.filters() gives it."""
        return self.page.evaluate("() => window.pagefind.filters()")

    def every_page(self, key: str) -> list[dict]:
        """Every indexed page, found through a filter `key` that every page carries: one filter-only
        search per value. Sorted by URL; a page with several values of `key` comes once."""
        pages = {}
        for value in sorted(self.filters().get(key, {})):
            for data in self.search(None, filters={key: value}):
                pages[data["url"]] = data
        return [pages[url] for url in sorted(pages)]


@contextlib.contextmanager
def pagefind_index(browser, site: Path) -> Iterator[PagefindIndex]:
    """Serve a built site and open its Pagefind index in chromium, for the duration."""
    with serve(site) as url:
        index = PagefindIndex(browser, url)
        try:
            yield index
        finally:
            index.page.close()
