"""Content-Security-Policy: every page carries a tight policy, and nothing in Chromium breaks it."""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import REAL_SEEDS, REAL_SITE_SRC, ROOT
from site_checks import DATA_BLOCK, data_block_problems, parse_html

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PAPER_SAMPLE = 12


def policy_of(html: str) -> dict[str, list[str]]:
    """The page's CSP meta tag as {directive: sources}; fails unless there is exactly one."""
    metas = [e for e in parse_html(html).elements
             if e.tag == "meta" and (e.attrs.get("http-equiv") or "").lower() == "content-security-policy"]
    assert len(metas) == 1, f"{len(metas)} CSP meta tags"
    directives = {}
    for part in (metas[0].attrs.get("content") or "").split(";"):
        if part.strip():
            name, *sources = part.split()
            directives[name] = sources
    return directives


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The real catalogue, built at the server root, with its Pagefind index."""
    out = tmp_path_factory.mktemp("csp") / "_site"
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--seeds", str(REAL_SEEDS),
                             "--site-src", str(REAL_SITE_SRC),
                             "--out", str(out), "--base-url", "http://127.0.0.1/", "--quiet"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    if not (out / "pagefind").exists():  # until the pipeline runs Pagefind itself
        subprocess.run([sys.executable, "-m", "pagefind", "--site", str(out)], check=True,
                       capture_output=True, timeout=600)
    return out


def html_pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if not p.relative_to(site).parts[0] == "pagefind")


def test_every_page_carries_the_policy_before_anything_it_governs(site):
    pages = html_pages(site)
    assert len(pages) > 250
    for page in pages:
        html = page.read_text("utf-8")
        policy = policy_of(html)
        assert policy["script-src"] == ["'self'", "'wasm-unsafe-eval'"], page
        for fallback in ("style-src", "img-src"):  # unnamed, so default-src governs them
            assert fallback not in policy, page
        assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"], page
        assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"], page
        assert "frame-ancestors" not in policy  # ignored in a meta tag; vnu warns about it
        assert not any("unsafe-inline" in s or s == "'unsafe-eval'" or s == "*" for v in policy.values()
                       for s in v), page
        head = html.split("</head>", 1)[0]
        meta = head.index("Content-Security-Policy")
        for governed in ("<script", "<link", "<style"):
            assert governed not in head[:meta], f"{page}: {governed} comes before the policy"


def test_no_page_has_inline_handlers_styles_or_executable_inline_scripts(site):
    for page in html_pages(site):
        parsed = parse_html(page.read_text("utf-8"))
        for element in parsed.elements:
            assert not [a for a in element.attrs if a.startswith("on") or a == "style"], (page, element)
            assert element.tag != "style", page
        for element, content in parsed.scripts:
            # JSON-LD is a data block: the browser never runs it, and the policy does not apply.
            assert "src" in element.attrs or element.attrs.get("type") == DATA_BLOCK, page
            if "src" not in element.attrs:
                assert data_block_problems(content) == [], page


# --- Chromium -----------------------------------------------------------------------------------


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed")
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser test cannot run on CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def served(site, tmp_path_factory):
    """A copy of the site on a local HTTP server (the policy's 'self' needs a real origin)."""
    root = tmp_path_factory.mktemp("served") / "site"
    shutil.copytree(site, root)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


# Chromium reports each violation as a console error; the event listener catches the rest.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("CSP-VIOLATION " + event.violatedDirective + " " + event.blockedURI + " "
                + event.sourceFile + ":" + event.lineNumber);
});
"""


def visit(browser, url: str, act=None) -> list[str]:
    """Load a page (and optionally act on it); return every CSP complaint it caused."""
    page = browser.new_page()
    complaints: list[str] = []
    page.on("console", lambda message: complaints.append(message.text)
            if "CSP-VIOLATION" in message.text or "content security policy" in message.text.lower()
            else None)
    page.add_init_script(REPORT_VIOLATIONS)
    page.goto(url, wait_until="networkidle")
    if act is not None:
        act(page)
    page.wait_for_timeout(200)
    page.close()
    return complaints


@pytest.mark.browser
def test_no_page_logs_a_csp_violation_in_chromium(browser, served):
    root, origin = served
    pages = html_pages(root)
    papers = [p for p in pages if p.relative_to(root).parts[0] == "papers" and p.parent != root / "papers"]
    others = [p for p in pages if p not in papers and p.relative_to(root).parts[0] != "probe"]
    sample = papers[:: max(1, len(papers) // PAPER_SAMPLE)]
    assert others and len(sample) >= PAPER_SAMPLE
    complaints = {}
    for page in others + sample:
        url = origin + "/" + page.relative_to(root).as_posix().removesuffix("index.html")
        if found := visit(browser, url):
            complaints[url] = found
    assert complaints == {}


@pytest.mark.browser
def test_search_box_results_raise_no_violation(browser, served):
    """Typing a query runs whatever search the site ships (Pagefind, WebAssembly) under the policy."""
    root, origin = served

    def search(page):
        page.fill("#site-search", "language model")
        page.press("#site-search", "Enter")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(1500)

    assert visit(browser, origin + "/search/", search) == []


def _probe(root: Path, policy_meta: str, name: str, body: str, script: str) -> None:
    """A test-only page in the served copy, using the site's own policy and only src scripts."""
    folder = root / "probe"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.js").write_text(script, encoding="utf-8")
    (folder / f"{name}.html").write_text(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">{policy_meta}'
        f'<link rel="icon" href="/static/favicon.svg"><title>{name}</title>'
        f'<script src="/probe/{name}.js" defer></script>'
        f"</head><body>{body}</body></html>", encoding="utf-8")


PAGEFIND_PROBE = """
window.addEventListener("DOMContentLoaded", async () => {
  const pagefind = await import("/pagefind/pagefind.js");
  const search = await pagefind.search("language");
  document.getElementById("api").textContent = "results:" + search.results.length;
});
"""


@pytest.mark.browser
def test_pagefind_runs_under_the_policy(browser, served):
    """Pagefind's engine, through the JS API the search page uses, works under the site's exact policy.

    Pagefind runs its WebAssembly in a worker, which a meta-tag policy does not reach; when the
    worker cannot start it falls back to the page itself, and that is what 'wasm-unsafe-eval'
    is for: with the worker forbidden, search still works, and without the keyword it breaks.
    """
    root, origin = served
    meta = re.search(r'<meta http-equiv="Content-Security-Policy"[^>]*>', (root / "index.html").read_text()).group(0)
    no_worker = meta.replace('">', '; worker-src \'none\'">')
    body = '<p id="api"></p>'
    _probe(root, meta, "pagefind", body, PAGEFIND_PROBE)
    _probe(root, no_worker, "mainthread", body, PAGEFIND_PROBE)
    _probe(root, no_worker.replace(" 'wasm-unsafe-eval'", ""), "nowasm", body, PAGEFIND_PROBE)
    shown = {}

    def query(page):
        page.locator("#api", has_text="results:").wait_for(timeout=20000)
        shown["api"] = int(page.text_content("#api").split(":")[1])

    assert visit(browser, origin + "/probe/pagefind.html", query) == []
    assert shown["api"] > 0
    shown.clear()
    complaints = visit(browser, origin + "/probe/mainthread.html", query)
    assert complaints and all("worker-src" in complaint for complaint in complaints), complaints
    assert shown["api"] > 0
    blocked = visit(browser, origin + "/probe/nowasm.html", lambda page: page.wait_for_timeout(3000))
    assert any("WebAssembly" in complaint for complaint in blocked), blocked


@pytest.mark.browser
def test_an_inline_script_is_reported(browser, served):
    """The violation listener works: an inline script under the site's policy is caught."""
    root, origin = served
    meta = re.search(r'<meta http-equiv="Content-Security-Policy"[^>]*>', (root / "index.html").read_text()).group(0)
    (root / "probe").mkdir(exist_ok=True)
    (root / "probe" / "inline.html").write_text(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">{meta}<title>i</title></head>'
        f'<body><p onclick="x()">x</p><script>document.title = "ran"</script></body></html>')
    assert visit(browser, origin + "/probe/inline.html")


def test_vnu_objects_to_nothing_in_the_policy(site, tmp_path):
    """The W3C validator checks the meta tag's syntax, CSP level 3 keywords included
    ('wasm-unsafe-eval', which Pagefind's WebAssembly needs)."""
    from site_build import vnu_jar

    jar = vnu_jar()
    pages = [site / "index.html", site / "search" / "index.html"]
    result = subprocess.run([shutil.which("java"), "-jar", str(jar), "--errors-only", "--format", "json",
                             *map(str, pages)], capture_output=True, text=True, timeout=600)
    messages = json.loads(result.stderr or result.stdout)["messages"]
    assert messages == []
    assert "'wasm-unsafe-eval'" in (site / "search" / "index.html").read_text(encoding="utf-8")
