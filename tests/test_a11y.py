"""In Debian's chromium: axe-core finds no violation, no page scrolls sideways, the header keeps one
row on wide screens, and the theme toggle, skip link, focus ring and "Find this paper" links work;
every page reads without JavaScript."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from pagefind_api import chromium
from site_build import build_real_site, serve

pytestmark = pytest.mark.browser

PAPER = "papers/arc-encoder-learning-compressed-text-representations-for-large-language-models/"
SERVICE_HOSTS = {"arxiv.org", "huggingface.co", "www.semanticscholar.org", "scholar.google.com"}
PAGES = ["", PAPER, "papers/", "papers/page/2/", "topics/preference-alignment/", "about/", "404.html"]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """The real seeds' site, served over HTTP on a loopback port (links are root-relative)."""
    site = build_real_site(tmp_path_factory.mktemp("a11y") / "_site", papers_per_page=100)
    assert (site / PAPER / "index.html").is_file()
    with serve(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:  # skips without chromium or Playwright, fails in CI
        yield browser


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def open_page(browser, url: str, scheme: str = "light", width: int = 1280, **options):
    context = browser.new_context(color_scheme=scheme, viewport={"width": width, "height": 900},
                                  bypass_csp=True, **options)
    page = context.new_page()
    response = page.goto(url)
    assert response is not None
    return context, page


def violations(axe, page) -> list[str]:
    results = axe.run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_violations(browser, axe, base, path, scheme):
    context, page = open_page(browser, base + path, scheme)
    try:
        dark = page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
        assert dark == (scheme == "dark")
        found = violations(axe, page)
        assert not found, "\n".join(found)
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280])
def test_axe_finds_no_violations_in_a_corrected_search(browser, axe, base, width, scheme):
    """The search page with its spelling line showing: "Showing results for … Search instead for …"."""
    context, page = open_page(browser, base + "search/?q=difusion", scheme, width)
    try:
        page.wait_for_selector("#search-spelling a")
        page.wait_for_selector(".search-result")
        found = violations(axe, page)
        assert not found, "\n".join(found)
    finally:
        context.close()


@pytest.mark.parametrize("width", [768, 1024, 1280])
def test_the_header_keeps_one_row_on_wide_screens(browser, base, width):
    context, page = open_page(browser, base + PAPER, width=width)
    try:
        page.wait_for_selector(".theme-toggle")
        boxes = page.evaluate("""[...document.querySelectorAll('.masthead .bar > *')].map(e => {
                                   const r = e.getBoundingClientRect(); return [e.className, r.top, r.bottom]; })""")
        assert len(boxes) == 4  # brand, links, search box, theme toggle
        lowest_top = max(top for _, top, _ in boxes)
        highest_bottom = min(bottom for _, _, bottom in boxes)
        assert lowest_top < highest_bottom, boxes  # every item overlaps every other: one row
    finally:
        context.close()


@pytest.mark.parametrize("width", [320, 390])
def test_no_page_scrolls_sideways_on_a_phone(browser, base, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        wide = {}
        for path in [*PAGES, "search/"]:
            page.goto(base + path)
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > width:
                wide[path] = scroll_width
        assert not wide
    finally:
        context.close()


def test_theme_toggle_switches_and_is_remembered(browser, axe, base):
    context, page = open_page(browser, base + PAPER, "light")
    try:
        toggle = page.locator(".theme-toggle")
        assert toggle.inner_text().strip() == "◐ Dark theme"  # what a click gives
        light_background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        toggle.click()
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        assert toggle.inner_text().strip() == "◐ Light theme"
        dark_background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert dark_background != light_background
        found = violations(axe, page)  # the toggled dark theme is as accessible as the system one
        assert not found, "\n".join(found)
        page.goto(base + "papers/")  # remembered across pages
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == dark_background
        page.locator(".theme-toggle").click()
        page.reload()
        assert page.evaluate("document.documentElement.dataset.theme") == "light"
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == light_background
    finally:
        context.close()


def test_toggle_overrides_a_dark_system_preference(browser, base):
    context, page = open_page(browser, base, "dark")
    try:
        toggle = page.locator(".theme-toggle")
        assert toggle.inner_text().strip() == "◐ Light theme"
        assert toggle.get_attribute("aria-pressed") is None  # the name says it all
        dark_background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        toggle.click()
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") != dark_background
        assert toggle.inner_text().strip() == "◐ Dark theme"
    finally:
        context.close()


def test_skip_link_is_first_visible_on_focus_and_moves_to_the_content(browser, base):
    context, page = open_page(browser, base + PAPER)
    try:
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.className")
        assert focused == "skip"
        box = page.locator(".skip").bounding_box()
        assert box is not None and box["y"] >= 0 and box["x"] >= 0
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#content"
        assert page.evaluate("document.activeElement.id") == "content"
    finally:
        context.close()


def test_focused_links_show_a_visible_outline(browser, base):
    context, page = open_page(browser, base)
    try:
        page.keyboard.press("Tab")  # the skip link
        page.keyboard.press("Tab")  # the brand
        style = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
                                         return [document.activeElement.tagName, s.outlineStyle, s.outlineWidth]; }""")
        assert style[0] == "A" and style[1] == "solid" and float(style[2].removesuffix("px")) >= 2
    finally:
        context.close()


def test_slash_focuses_the_search_box(browser, base):
    context, page = open_page(browser, base + "papers/")
    try:
        page.keyboard.press("/")
        assert page.evaluate("document.activeElement.id") == "site-search"
    finally:
        context.close()


@pytest.mark.parametrize("path", [PAPER, "papers/codet5-open-code-large-language-models-for-code-understanding-and-generation/",
                                  "papers/the-hitchhikers-guide-to-human-alignment-with-po/"])
def test_find_this_paper_searches_each_service_for_the_plain_title(browser, base, path):
    """A paper without an arXiv id has "Find this paper" first beside it, written in the HTML: each
    service's search for its plain title, whatever '+', '*' or apostrophe it holds, opened
    without a referrer."""
    context, page = open_page(browser, base + path)
    try:
        title = page.locator('meta[property="og:title"]').get_attribute("content")
        assert title and title == page.locator("h1").inner_text()
        assert page.locator(".paper-more > section").first.get_attribute("class") == "find"
        assert page.locator(".find h2").inner_text() == "Find this paper"
        links = page.locator(".find a")
        found = {links.nth(n).inner_text(): links.nth(n) for n in range(links.count())}
        assert list(found) == ["arXiv", "Hugging Face", "Semantic Scholar", "Google Scholar"]
        for link in found.values():
            href = urlsplit(link.get_attribute("href"))
            assert href.scheme == "https" and href.hostname in SERVICE_HOSTS
            assert title in [value for values in parse_qs(href.query).values() for value in values]
            assert link.get_attribute("rel") == "noreferrer"
    finally:
        context.close()


@pytest.mark.parametrize("path", PAGES)
def test_every_page_reads_without_javascript(browser, base, path):
    context, page = open_page(browser, base + path, java_script_enabled=False)
    try:
        assert page.locator("h1").first.is_visible()
        assert page.locator("main").inner_text().strip()
        assert page.locator(".theme-toggle").count() == 0  # the script really did not run
        if path == PAPER:
            # Where to read the paper is in the HTML; only the copy button needs the script.
            assert page.locator(".find a").count() >= 1
            assert page.locator(".cite pre").is_visible()
            assert not page.locator(".cite button").is_visible()
    finally:
        context.close()


def test_labels_from_the_stylesheet_reach_screen_readers(browser, base):
    """"Previous", "Next", "shared:" and a list row's "upvotes" are written by the stylesheet, not
    the page: Chromium's accessibility tree must still read them, and not the arrows."""
    context, page = open_page(browser, base + PAPER)
    try:
        nav = page.locator(".prev-next").aria_snapshot()
        assert 'link "Previous ' in nav and 'link "Next ' in nav and "←" not in nav and "→" not in nav
        assert 'text: "shared: ' in page.locator(".related li").first.aria_snapshot()
        page.goto(base + "papers/")
        rows = [page.locator(".paper-list li").nth(n).aria_snapshot() for n in range(20)]
        assert any(line.strip().startswith("- text:") and line.strip().endswith(" upvotes")
                   for row in rows for line in row.splitlines())
        assert not any("▲" in row for row in rows)
    finally:
        context.close()


def test_print_layout_keeps_the_paper_in_black_on_white_and_drops_the_chrome(browser, base):
    context, page = open_page(browser, base + PAPER, "dark")
    try:
        page.locator(".theme-toggle").click()
        page.locator(".theme-toggle").click()  # a remembered dark theme must not print either
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        page.emulate_media(media="print")
        assert page.locator("h1").is_visible() and page.locator(".abstract").is_visible()
        assert not page.locator(".masthead").is_visible() and not page.locator(".prev-next").is_visible()
        assert page.locator("link[rel=canonical]").is_visible()  # its address, from the stylesheet
        printed = page.evaluate("getComputedStyle(document.querySelector('link[rel=canonical]'), '::before').content")
        assert printed == '"From ' + page.locator("link[rel=canonical]").get_attribute("href") + '"'
        colours = page.evaluate("""[getComputedStyle(document.body).backgroundColor,
                                    getComputedStyle(document.querySelector('.abstract')).color]""")
        assert colours == ["rgb(255, 255, 255)", "rgb(0, 0, 0)"]
    finally:
        context.close()
