"""Bytes a visitor downloads from pagefind/ for a first search, measured in Chromium.

    python bench/first_query.py SITE_DIR ["kv cache" "diffusion" ...]

Serves the built site twice on loopback: as files are (like the stdlib server of the preview),
and with gzip for .js/.json/.css/.html (as GitHub Pages serves them; Pagefind's chunks and
WebAssembly are gzip files already and go as they are). For each query, a fresh browser context
opens search/?q=..., waits for the first results, and sums the body bytes of every pagefind/
response (its Content-Length: the bytes on the wire, compressed when gzip was used).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote_plus

CHROMIUM = "/usr/bin/chromium"
QUERIES = ("SnapKV", "diffusion", "kv cache", "speculative decoding", "language models")
COMPRESSIBLE = (".js", ".json", ".css", ".html", ".txt", ".xml")


class _Handler(http.server.SimpleHTTPRequestHandler):
    gzip_text = False

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def do_GET(self):  # noqa: N802 - the base class's name
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if not (self.gzip_text and path.suffix in COMPRESSIBLE and path.is_file()
                and "gzip" in self.headers.get("Accept-Encoding", "")):
            return super().do_GET()
        body = gzip.compress(path.read_bytes(), 6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def served(site: Path, gzip_text: bool):
    handler = type("Handler", (_Handler,), {"gzip_text": gzip_text})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def first_query_bytes(browser, root: str, query: str) -> int:
    """pagefind/ bytes downloaded until the first results of `query` show."""
    context = browser.new_context()
    page = context.new_page()
    responses = []
    page.on("requestfinished", lambda request: responses.append(request) if "/pagefind/" in request.url else None)
    page.goto(f"{root}search/?q={quote_plus(query)}")
    page.wait_for_selector("#search-results li", timeout=60_000)
    page.wait_for_load_state("networkidle")
    total = sum(_body_bytes(request) for request in responses)
    context.close()
    return total


def _body_bytes(request) -> int:
    """The response body's bytes on the wire. Chromium reports 0 for the worker script's body,
    so the Content-Length our server sends (compressed when gzip was used) counts first."""
    response = request.response()
    length = response.headers.get("content-length") if response else None
    return int(length) if length and length.isdigit() else request.sizes()["responseBodySize"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("queries", nargs="*", default=list(QUERIES))
    args = parser.parse_args(argv)
    if not (args.site / "pagefind" / "pagefind.js").is_file():
        parser.error(f"{args.site} has no pagefind/ bundle: build it first")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        with served(args.site, False) as plain, served(args.site, True) as zipped:
            print("| query | as stored | gzip (as GitHub Pages) |\n| --- | --- | --- |")
            for query in args.queries:
                print(f"| {query} | {first_query_bytes(browser, plain, query):,} B "
                      f"| {first_query_bytes(browser, zipped, query):,} B |")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
