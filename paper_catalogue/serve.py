"""Local preview: keep the site in memory, render each file when the browser asks, watch the inputs, reload open pages.

The preview serves what `python build.py` would write, rendered on request by the build's own
functions (preview_site.py): an edit re-reads only the input it touched, and a page is rendered
again only when something it is made of changed. Nothing is written but the search index, which
a background process brings up to date (render every paper page into a temporary folder, run
Pagefind over them as the build does) a moment after the last edit; until it is ready the
search page says so.

The published files never hold the live-reload script: the server adds a same-origin
`<script src=".../__livereload.js" data-version="..." defer>` to HTML responses as it sends them,
and the script listens to Server-Sent Events from `.../__livereload?page=<its path>`. After each
change the server works out that page's bytes again, and the page reloads when they differ from
the ones it shows (`data-version`; a page's version also covers the static files, which any page
may load). No inline script, so a strict CSP still works. An edit that fails (a bad seed file, a
template error) leaves the last good version served; open pages are not reloaded but show the
errors over the page (file, line, message and the lines around it), drawn by the same script with
a same-origin style sheet, until a good edit takes them away.
"""

from __future__ import annotations

import json
import os
import queue
import re
import select
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qs, unquote, urlsplit

import watchfiles

from .cache import Cache, digest
from .diagnostics import BuildError, Diagnostic, InputError, error_at, os_error_problem
from .pipeline import BuildOptions, StrictFailure, index_stage
from .preview_site import EVERYTHING, MemoryCache, PreviewSite, Version, change_kinds
from .search import BUNDLE_DIR
from .urls import NOT_FOUND_URL, SEARCH_URL, base_path, output_path
from .writer import StagedSite

WATCHED = (Path("seeds"), Path("site_src"), Path("templates"), Path("static"))
"""The inputs a site owner edits; the CLI puts its --seeds and --site-src in place of the first two."""

RELOAD_SCRIPT = "__livereload.js"
RELOAD_EVENTS = "__livereload"
ERROR_STYLE = "__livereload.css"

LIVE_RELOAD_JS = b"""\
// Live reload for `python build.py serve`; added by the preview server, never published.
(() => {
  const script = document.currentScript;
  const stream = new URL("__livereload", script.src);
  stream.searchParams.set("page", location.pathname);
  const events = new EventSource(stream);
  // The version of the page as it was served; the server sends the page's version now and after
  // every change, and a different one means the page would now come out differently.
  const shown = script.dataset.version;
  let overlay = null;
  events.addEventListener("build", (event) => {
    if (event.data !== shown) location.reload();
    else if (overlay) {  // fixed, and this page's bytes are what they were
      overlay.remove();
      overlay = null;
    }
  });
  events.addEventListener("failed", (event) => {
    const failure = JSON.parse(event.data);
    console.error("preview: the edit failed, still showing the last good site:\\n" + failure.text);
    show(failure);
  });
  if (script.dataset.search === "pending") notice();

  // Elements and text nodes only: no markup is parsed, so a message can never inject any.
  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function styled() {
    if (document.getElementById("preview-error-style")) return;
    const style = element("link");
    style.id = "preview-error-style";
    style.rel = "stylesheet";
    style.href = new URL("__livereload.css", script.src).href;
    document.head.append(style);
  }

  // The search page while the preview's search index is being made: it reloads when it is ready.
  function notice() {
    styled();
    const box = element("p", "preview-search-notice",
                        "The search index is being brought up to date; this page reloads when it is ready.");
    box.id = "preview-search-notice";
    box.setAttribute("role", "status");
    document.body.prepend(box);
  }

  function show(failure) {
    styled();
    const box = element("aside", "preview-error");
    box.id = "preview-error";
    box.setAttribute("role", "alert");
    box.append(element("h2", "", "The build failed; this is the last good site"));
    for (const problem of failure.problems) {
      const item = element("section");
      const where = problem.file + (problem.line ? ":" + problem.line : "");
      item.append(element("p", "preview-error-where", where || "error"));
      item.append(element("p", "preview-error-message", problem.message));
      if (problem.context.length) {
        const code = element("pre");
        for (const line of problem.context) {
          code.append(element("span", line.at ? "preview-error-at" : "",
                              String(line.number).padStart(5) + "  " + line.text + "\\n"));
        }
        item.append(code);
      }
      box.append(item);
    }
    box.append(element("p", "preview-error-hint",
                       "Fix the file and save: this goes away with the next good build."));
    if (overlay) overlay.replaceWith(box);
    else document.body.append(box);
    overlay = box;
  }
})();
"""

ERROR_CSS = b"""\
/* The preview's error overlay and search notice; served by the preview server only, never published. */
.preview-error { position: fixed; inset: 1rem 1rem auto 1rem; z-index: 2147483647;
  max-height: calc(100vh - 2rem); overflow: auto; box-sizing: border-box; padding: 1rem 1.25rem;
  background: #fff8f7; color: #1f1f1f; border: 2px solid #b3261e; border-radius: 6px;
  box-shadow: 0 8px 32px rgb(0 0 0 / 35%); font: 15px/1.45 system-ui, sans-serif; }
.preview-error h2 { margin: 0 0 0.75rem; font-size: 1.1rem; color: #b3261e; }
.preview-error section { margin: 0 0 1rem; }
.preview-error p { margin: 0.2rem 0; }
.preview-error-where { font-family: ui-monospace, monospace; font-weight: 600; }
.preview-error pre { margin: 0.4rem 0 0; padding: 0.5rem; overflow-x: auto; background: #f3eded;
  font: 13px/1.4 ui-monospace, monospace; }
.preview-error pre span { display: block; white-space: pre; }
.preview-error .preview-error-at { background: #f9d6d3; font-weight: 600; }
.preview-error-hint { color: #5c5c5c; font-size: 0.9rem; }
.preview-search-notice { margin: 0; padding: 0.6rem 1rem; background: #fff4d6; color: #1f1f1f;
  border-bottom: 1px solid #c9a227; font: 15px/1.45 system-ui, sans-serif; }
"""

FAILED_PAGE = (b'<!doctype html><html lang="en"><head><meta charset="utf-8">'
               b"<title>Build failed</title></head><body><h1>The build failed</h1>"
               b"<p>No good build yet: fix the errors printed in the terminal.</p></body></html>\n")
"""What any page is before the first good build; the reload script shows the errors over it."""

UNRENDERED_PAGE = (b'<!doctype html><html lang="en"><head><meta charset="utf-8">'
                   b"<title>Page not rendered</title></head><body><h1>This page could not be rendered</h1>"
                   b"<p>Fix the error printed in the terminal and save.</p></body></html>\n")
"""What a page is when its template fails on it; the reload script shows the error over it."""

CONTEXT_LINES = 2
"""Lines shown before and after the line an error is on."""

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".gz": "application/gzip",
    ".xml": "application/xml",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
    ".bib": "text/plain; charset=utf-8",  # BibTeX: shown in the browser, as a text file is
    ".ico": "image/vnd.microsoft.icon",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".webp": "image/webp",
    ".woff2": "font/woff2",
    ".wasm": "application/wasm",
    # Pagefind's own bundle: binary index chunks, served as Pagefind's own server serves them.
    ".pagefind": "application/octet-stream",
    ".pf_meta": "application/octet-stream",
    ".pf_index": "application/octet-stream",
    ".pf_fragment": "application/octet-stream",
}
DEFAULT_TYPE = "application/octet-stream"

_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)


def failure_event(text: str, problems: Sequence[Diagnostic]) -> str:
    """A failed build as the JSON the reload script shows: each problem with the lines around it."""
    shown = [{"file": problem.file, "line": problem.line, "message": problem.message,
              "context": source_context(problem.file, problem.line)} for problem in problems]
    if not shown:
        shown = [{"file": "", "line": 0, "message": text, "context": []}]
    return json.dumps({"text": text, "problems": shown}, ensure_ascii=False)


def source_context(file: str, line: int) -> list[dict]:
    """The lines around `line` of a file, as the overlay shows them ([] when there is no line)."""
    if not file or line < 1:
        return []
    try:
        with open(file, encoding="utf-8", errors="replace") as handle:
            lines = handle.read(1 << 20).splitlines()
    except OSError:
        return []
    first, last = max(1, line - CONTEXT_LINES), min(len(lines), line + CONTEXT_LINES)
    return [{"number": number, "text": lines[number - 1][:240], "at": number == line}
            for number in range(first, last + 1)]


def content_type(path: PurePosixPath | Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower(), DEFAULT_TYPE)


def inject_reload_script(html: bytes, mount: str, version: str = "", search_pending: bool = False) -> bytes:
    """The page with the live-reload script tag before its last </body> (or at the end); the tag
    carries the page's version, and whether its search index is still being made."""
    pending = ' data-search="pending"' if search_pending else ""
    tag = f'<script src="{mount}{RELOAD_SCRIPT}" data-version="{version}"{pending} defer></script>'.encode()
    ends = list(_BODY_END.finditer(html))
    if not ends:
        return html + tag
    at = ends[-1].start()
    return html[:at] + tag + html[at:]


def failure_of(error: BaseException, options: BuildOptions) -> tuple[str, list[Diagnostic]]:
    """What stopped an update, as `python build.py` reports what stops a build: a summary, and
    the located problems."""
    if isinstance(error, StrictFailure):
        return str(error), list(error.warnings)
    if isinstance(error, InputError):
        return f"{len(error.problems)} error(s) in the input; fix them and save", list(error.problems)
    if isinstance(error, BuildError):
        return str(error), [error_at("", None, str(error))]
    if isinstance(error, OSError):
        inputs = [options.seeds, options.site_src, options.templates, options.static]
        return "an input could not be read", [os_error_problem(error, inputs)]
    return f"the preview failed unexpectedly: {type(error).__name__}: {error}", []


@dataclass(frozen=True)
class Response:
    """What the server sends for a path: status, type and bytes (HTML before the reload script
    is added), or a redirect."""

    status: HTTPStatus
    kind: str = "text/plain; charset=utf-8"
    body: bytes = b""
    location: str | None = None
    search_pending: bool = False
    """The search page, while its index is being made."""
    static_key: str = ""

    @property
    def html(self) -> bool:
        return self.kind.startswith("text/html")

    @property
    def version(self) -> str:
        """What the page shows: its bytes, and for HTML the static files it may load and the
        search notice; live reload compares it."""
        extra = (self.static_key, str(self.search_pending)) if self.html else ()
        return digest(str(int(self.status)), self.location or "", self.body, *extra)[:16]


NOT_FOUND = Response(HTTPStatus.NOT_FOUND, body=b"404 not found\n")


class PreviewState:
    """What the server threads share with the update loop: the current version, the last
    failure, and who listens for changes."""

    def __init__(self, mount: str = "/", search: bool = True) -> None:
        self.mount = mount
        self.search = search
        """Whether a search index is being made (the search page says so until it is ready)."""
        self.site: Version | None = None
        self.failure = ""
        """The last failure as the "failed" event's JSON; empty after a good update."""
        self.closing = False
        self._changes = 0
        self._changed = threading.Condition()
        self._open: Counter[str] = Counter()
        """Pages with an event stream open, by URL path: they are rendered before an update is
        published, and re-checked after it."""

    @property
    def listeners(self) -> int:
        with self._changed:
            return sum(self._open.values())

    def publish(self, version: Version) -> None:
        """A good update: its version answers requests from now on."""
        with self._changed:
            self.site, self.failure = version, ""
            self._bump()

    def fail(self, text: str, problems: Sequence[Diagnostic] = ()) -> None:
        """A failed update (or a page its template fails on): open pages show why."""
        with self._changed:
            self.failure = failure_event(text or "the build failed", problems)
            self._bump()

    def search_ready(self, version: Version, bundle: Path) -> None:
        with self._changed:
            version.search_bundle = bundle
            self._bump()

    def _bump(self) -> None:
        self._changes += 1
        self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self.closing = True
            self._changed.notify_all()

    def wait_for_change(self, changes: int, timeout: float) -> int:
        """Block until something changed after `changes` (or timeout/close); return the count."""
        with self._changed:
            self._changed.wait_for(lambda: self._changes != changes or self.closing, timeout)
            return self._changes

    def current(self) -> tuple[int, Version | None]:
        """The change count and the version, read together so a listener never skips a change."""
        with self._changed:
            return self._changes, self.site

    def failure_at(self) -> tuple[int, str]:
        """The change count and the last failure, read together: a page opened while an edit is
        failing is told once, whether the failure came before it opened or after."""
        with self._changed:
            return self._changes, self.failure

    def listening(self, page: str, change: int) -> None:
        with self._changed:
            self._open[page] += change
            if self._open[page] <= 0:
                del self._open[page]

    def open_pages(self) -> list[str]:
        with self._changed:
            return sorted(self._open)


def respond(state: PreviewState, path: str, query: str = "") -> Response:
    """The response for a URL path (unquoted), from the current version. A template that fails on
    the page is reported to the open pages and answered with a page that shows the error."""
    version = state.site
    try:
        return site_response(version, path, state.mount, query, state.search)
    except Exception as error:  # noqa: BLE001 - a site owner's template, or a bug: the server goes on
        summary, problems = failure_of(error, version.options if version else BuildOptions())
        if not problems:
            traceback.print_exc()
        print("\n".join(map(str, problems)) or f"error: {summary}", file=sys.stderr, flush=True)
        state.fail(summary if not problems else "\n".join(map(str, problems)), problems)
        return Response(HTTPStatus.INTERNAL_SERVER_ERROR, CONTENT_TYPES[".html"], UNRENDERED_PAGE)


def site_response(version: Version | None, path: str, mount: str, query: str = "", search: bool = True) -> Response:
    """The response for a URL path from one version; raises what rendering raises."""
    if not path.startswith(mount):
        if path in ("/", "/index.html"):
            return Response(HTTPStatus.FOUND, location=mount)
        return NOT_FOUND
    if version is None:  # no good update yet: every page is the failure page, which shows the errors
        return Response(HTTPStatus.SERVICE_UNAVAILABLE, CONTENT_TYPES[".html"], FAILED_PAGE)
    inside = path[len(mount):]
    parts = [part for part in inside.split("/") if part]
    if any(part in (".", "..") or "\\" in part or "\0" in part for part in parts):
        return not_found(version)
    file = PurePosixPath(*parts) if parts else PurePosixPath()
    if inside == "" or inside.endswith("/"):
        file = file / "index.html"
    if parts[:1] == [BUNDLE_DIR]:
        return bundle_response(version, parts[1:]) or not_found(version)
    body = version.file(file)
    if body is None and parts and not inside.endswith("/") and version.file(file / "index.html") is not None:
        return Response(HTTPStatus.MOVED_PERMANENTLY, location=path + "/" + (f"?{query}" if query else ""))
    if body is None:
        return not_found(version)
    pending = search and file == output_path(SEARCH_URL) and version.search_bundle is None
    return Response(HTTPStatus.OK, content_type(file), body, search_pending=pending, static_key=version.static_key)


def not_found(version: Version) -> Response:
    page = version.file(PurePosixPath(NOT_FOUND_URL))
    if page is None:
        return NOT_FOUND
    return Response(HTTPStatus.NOT_FOUND, CONTENT_TYPES[".html"], page, static_key=version.static_key)


def bundle_response(version: Version, parts: list[str]) -> Response | None:
    """A file of Pagefind's bundle for this version, once the search indexer has made it."""
    if version.search_bundle is None or not parts:
        return None
    try:
        body = version.search_bundle.joinpath(*parts).read_bytes()
    except OSError:
        return None
    return Response(HTTPStatus.OK, content_type(PurePosixPath(parts[-1])), body)


class PreviewHandler(BaseHTTPRequestHandler):
    """GET/HEAD for files under the mount path, the live-reload script and its event stream."""

    server: PreviewServer
    protocol_version = "HTTP/1.1"
    server_version = "paper-catalogue-preview"
    HEARTBEAT = 15.0
    """Seconds between comments on a quiet event stream, so proxies keep it open."""
    POLL = 1.0
    """Seconds between checks that the page on an event stream is still there."""

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def _respond(self, send_body: bool) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        path = unquote(url.path)
        inside = path[len(state.mount):] if path.startswith(state.mount) else None
        if inside == RELOAD_SCRIPT:
            return self._send(HTTPStatus.OK, "text/javascript; charset=utf-8", LIVE_RELOAD_JS, send_body)
        if inside == ERROR_STYLE:
            return self._send(HTTPStatus.OK, "text/css; charset=utf-8", ERROR_CSS, send_body)
        if inside == RELOAD_EVENTS:
            page = unquote(parse_qs(url.query).get("page", [state.mount])[0])
            return self._stream_events(page) if send_body else self._send(
                HTTPStatus.OK, "text/event-stream", b"", False)
        response = respond(state, path, url.query)
        if response.location is not None:
            return self._redirect(response.status, response.location)
        body = response.body
        if response.html:
            body = inject_reload_script(body, state.mount, response.version, response.search_pending)
        self._send(response.status, response.kind, body, send_body)

    def _send(self, status: HTTPStatus, kind: str, body: bytes, send_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        # A preview must never show a stale page after an edit.
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _redirect(self, status: HTTPStatus, location: str) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()

    def _stream_events(self, page: str) -> None:
        """Server-Sent Events for the page at `page`: its version now, then after every change,
        and the errors of a failed update; until the page goes away."""
        state = self.server.state
        self.close_connection = True
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        changes, failure = state.failure_at()
        state.listening(page, +1)
        try:
            self._event("build", respond(state, page).version)
            if failure:  # a page opened while an edit is failing shows why at once
                self._event("failed", failure)
            quiet_since = time.monotonic()
            while not state.closing and not self._peer_gone():
                now = state.wait_for_change(changes, self.POLL)
                if state.closing:
                    break
                if now == changes:
                    if time.monotonic() - quiet_since > self.HEARTBEAT:
                        self.wfile.write(b": heartbeat\n\n")
                        self.wfile.flush()
                        quiet_since = time.monotonic()
                    continue
                quiet_since = time.monotonic()
                changes = now
                if state.failure:
                    self._event("failed", state.failure)
                else:
                    self._event("build", respond(state, page).version)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page went away
        finally:
            state.listening(page, -1)

    def _peer_gone(self) -> bool:
        """The browser closed the stream (page reloaded or left): its socket reads as end of file."""
        readable, _, _ = select.select([self.connection], [], [], 0)
        if not readable:
            return False
        try:
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _event(self, name: str, data: str) -> None:
        lines = "".join(f"data: {line}\n" for line in data.splitlines() or [""])
        self.wfile.write(f"event: {name}\n{lines}\n".encode())
        self.wfile.flush()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # a preview is quiet; what changed and what failed is what matters in the terminal


class PreviewServer(ThreadingHTTPServer):
    """The standard library's threading server, with the shared preview state."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: PreviewState) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.state = state
        super().__init__(address, PreviewHandler)

    def handle_error(self, request, client_address) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, (BrokenPipeError, ConnectionResetError)):
            return  # a browser closing a connection early is no error
        super().handle_error(request, client_address)


def local_url(server: PreviewServer) -> str:
    """The URL the server answers on, with the real port (also when --port 0 picked one)."""
    host, port = server.server_address[:2]
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}/"


def start_server(state: PreviewState, host: str, port: int) -> tuple[PreviewServer, threading.Thread]:
    """Bind and serve in a background thread; the caller stops it with stop_server."""
    server = PreviewServer((host, port), state)
    return server, serving_thread(server, start=True)


def serving_thread(server: PreviewServer, start: bool) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name="preview-server", daemon=True)
    if start:
        thread.start()
    return thread


def stop_server(server: PreviewServer, thread: threading.Thread) -> None:
    server.state.close()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


class SearchIndexer:
    """Brings Pagefind's bundle up to date for the current version, in the background.

    Once the site has been quiet for QUIET seconds, a forked process renders every paper page
    (with the build's renderer, sharing the cores as the build does) into a temporary folder and
    runs the build's index stage over them (Pagefind's CLI, or the cached bundle when the pages
    give Pagefind what they gave it before). It runs at the lowest priority and in a process of its
    own, so requests and edits are served meanwhile; a version that an edit replaced before its
    bundle was ready is skipped.
    """

    QUIET = 2.0
    """Seconds without an edit before the index is made: edits come in bursts."""

    def __init__(self, state: PreviewState, cache: MemoryCache, say: Callable[[str], None]) -> None:
        self.state, self.cache, self.say = state, cache, say
        self.folder = Path(tempfile.mkdtemp(prefix="catalogue-preview-search-"))
        self._child = 0
        self._thread = threading.Thread(target=self._run, name="preview-search", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._child:
            try:
                os.killpg(self._child, signal.SIGTERM)
            except OSError:
                pass
        self._thread.join(timeout=5)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self) -> None:
        tried: Version | None = None
        while not self.state.closing:
            changes, version = self.state.current()
            if version is None or version is tried or version.search_bundle is not None:
                self.state.wait_for_change(changes, 1.0)
                continue
            if self.state.wait_for_change(changes, self.QUIET) != changes:
                continue  # edited again: wait for the edits to settle
            tried = version
            started = time.perf_counter()
            bundle, error = self._index(version)
            if self.state.closing:
                break
            if error:
                self.say(f"search index: {error}")
                continue
            self.state.search_ready(version, bundle)
            for old in self.folder.iterdir():
                if old != bundle.parent:
                    shutil.rmtree(old, ignore_errors=True)
            self.say(f"search index ready: {len(version.catalogue.papers)} paper pages "
                     f"in {time.perf_counter() - started:.1f} s")

    def _index(self, version: Version) -> tuple[Path, str]:
        """The version's bundle, made by a forked process; (bundle, "") or (_, what went wrong)."""
        target = self.folder / str(version.number)
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir()
        if not hasattr(os, "fork"):  # Windows: the same work, in this thread
            try:
                make_search_bundle(version, target, self.cache)
            except Exception as error:  # noqa: BLE001 - reported, and the preview goes on
                return target, str(error)
            return target / BUNDLE_DIR, ""
        # The locks the child takes are held across the fork, so none is copied taken by a thread
        # that is not there to release it.
        with self.cache.held(), version.data.related.held():
            pid = os.fork()
        if pid == 0:  # the child: its own process group, so stop() ends it with Pagefind and its workers
            code = 1
            try:
                os.setpgid(0, 0)
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                os.nice(19)  # the time left over by requests and edits
                make_search_bundle(version, target, self.cache)
                code = 0
            except BaseException as error:  # noqa: BLE001 - reported by the parent from this file
                (target / "error.txt").write_text(f"{error}", encoding="utf-8", errors="replace")
            finally:
                os._exit(code)
        self._child = pid
        _, status = os.waitpid(pid, 0)
        self._child = 0
        if os.waitstatus_to_exitcode(status) == 0:
            return target / BUNDLE_DIR, ""
        try:
            return target, (target / "error.txt").read_text(encoding="utf-8") or "failed"
        except OSError:
            return target, f"the indexing process ended with {os.waitstatus_to_exitcode(status)}"


def make_search_bundle(version: Version, target: Path, cache: Cache) -> None:
    """Every paper page of `version` written under `target`/site and indexed as the build indexes
    them; the bundle ends up in `target`/pagefind and the pages are removed."""
    pages = version.all_paper_files()
    site = target / "site"
    site.mkdir()
    StagedSite(site).write(pages)
    with index_stage(pages, site, version.catalogue, version.renderer.config, cache) as finish:
        finish()
    (site / BUNDLE_DIR).rename(target / BUNDLE_DIR)
    shutil.rmtree(site, ignore_errors=True)


def watch_filter() -> watchfiles.DefaultFilter:
    """The default filter: editor swap files, .git, caches."""
    return watchfiles.DefaultFilter()


def preview(
    host: str,
    port: int,
    options: BuildOptions,
    watched: Sequence[Path],
    quiet: bool = False,
    say: Callable[[str], None] = lambda text: print(text, flush=True),
) -> int:
    """Read the site, serve it and update it on change until Ctrl-C; returns the exit code, 0.

    Without `options.base_url` the preview is for the local URL, so every link resolves locally.
    Updates run here, in the main thread, so Ctrl-C interrupts one as it does `build.py`.
    """
    if threading.current_thread() is threading.main_thread():
        # `kill` (SIGTERM) stops the preview as cleanly as Ctrl-C does.
        signal.signal(signal.SIGTERM, _interrupt)
    # Bind first: with --port 0 the real port is only known now, and the pages need the URL.
    server = PreviewServer((host, port), PreviewState(search=options.search_index))
    url = options.base_url or local_url(server)
    server.state.mount = base_path(url)
    options = replace(options, base_url=url)
    site = PreviewSite(options, MemoryCache(options.cache))
    thread = serving_thread(server, start=False)
    watcher = Watcher(list(watched))
    indexer = SearchIndexer(server.state, site.cache, say) if options.search_index else None
    try:
        # Watch before the first read: a file saved while it runs must not be missed.
        watcher.start()
        started = time.perf_counter()
        if update(server.state, site, EVERYTHING, quiet):
            say(f"read {len(site.current.catalogue.papers)} papers in {time.perf_counter() - started:.2f} s")
        thread.start()
        if indexer is not None:
            indexer.start()
        say(f"serving at {local_url(server).rstrip('/')}{server.state.mount} (Ctrl-C to stop)")
        say("watching " + (", ".join(map(str, watcher.inputs)) or "nothing"))
        while True:
            paths = sorted({path for _, path in watcher.next_changes()})
            names = [_shown(path) for path in paths]
            say(f"changed: {', '.join(names[:3])}{' ...' if len(names) > 3 else ''}")
            started = time.perf_counter()
            kinds = change_kinds(map(Path, paths), options)
            if update(server.state, site, kinds, quiet):
                say(f"updated ({', '.join(sorted(kinds))}) in {time.perf_counter() - started:.2f} s")
    except KeyboardInterrupt:
        pass
    finally:
        if threading.current_thread() is threading.main_thread():
            # A second Ctrl-C (impatient hands, or a terminal signalling the whole process
            # group) must not interrupt the shutdown itself with a traceback.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        watcher.stop()
        server.state.close()
        if indexer is not None:
            indexer.stop()
        if thread.is_alive():
            server.shutdown()
            thread.join(timeout=5)
        server.server_close()
    say("stopped")
    return 0


def update(state: PreviewState, site: PreviewSite, kinds: Iterable[str], quiet: bool = False) -> bool:
    """One update of the site, reported on the terminal as a build reports itself: its warnings
    (when the data was read again), or what stopped it. Returns whether it went through."""
    before = site.current
    try:
        version = site.update(kinds, probe=lambda version: [
            site_response(version, page, state.mount) for page in state.open_pages()])
    except KeyboardInterrupt:
        raise
    except Exception as error:  # noqa: BLE001 - a bug of ours must not stop the preview either
        summary, problems = failure_of(error, site.options)
        if not problems:
            traceback.print_exc()
        if len(problems) > 1 or (problems and problems[0].file):
            for problem in problems:
                print(problem, file=sys.stderr)
        print(f"error: {summary}; the preview shows the last good site", file=sys.stderr, flush=True)
        state.fail("\n".join(map(str, problems)) or summary, problems)
        return False
    if before is None or version.data is not before.data:
        for warning in version.data.warnings:  # notes belong to the report, on stdout
            if warning.severity != "note":
                print(warning, file=sys.stderr, flush=True)
            elif not quiet:
                print(warning, flush=True)
        if not quiet and before is None and version.data.report is not None:
            print(version.data.report, flush=True)
    state.publish(version)
    return True


class Watcher:
    """watchfiles in a background thread, collecting changes while an update runs.

    An input folder that is removed and made again (or made after the start) is watched again:
    the OS's watch ends with the folder it was on, so the watch is re-armed on the folders that
    exist whenever that set changes, and a folder that (re)appears counts as a change.
    """

    def __init__(self, inputs: list[Path]) -> None:
        self.inputs = inputs
        self._filter = watch_filter()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._changes: queue.Queue[set | BaseException] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="preview-watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(timeout=10)

    def _present(self) -> list[Path]:
        return [path for path in self.inputs if path.is_dir() or path.is_file()]

    def _run(self) -> None:
        appeared: set = set()
        try:
            while not self._stop.is_set():
                present = self._present()
                if not present:
                    self._ready.set()
                    self._stop.wait(0.2)
                    appeared = {(watchfiles.Change.added, str(path)) for path in self._present()}
                    continue
                # A short rust timeout: the first (empty) yield proves the watcher is armed, and
                # the quiet yields after it let the set of existing folders be checked. Changes
                # are handed over 50 ms after the last one (step), or after 1.6 s of a burst.
                for changes in watchfiles.watch(*present, watch_filter=self._filter,
                                                stop_event=self._stop, debounce=1600, step=50,
                                                rust_timeout=200, yield_on_timeout=True,
                                                raise_interrupt=False):
                    self._ready.set()
                    if appeared:  # armed on a folder that came back: what it holds is new
                        changes, appeared = changes | appeared, set()
                    if changes:
                        self._changes.put(changes)
                    now = self._present()
                    if now != present:
                        appeared = {(watchfiles.Change.added, str(path)) for path in now if path not in present}
                        break
        except Exception as error:  # the OS ran out of watches, or refused one
            self._changes.put(error)
        finally:
            self._ready.set()

    def next_changes(self) -> set:
        """Block until something changed; everything that changed since, as one batch."""
        while True:
            try:
                batch = self._changes.get(timeout=0.5)  # short waits keep Ctrl-C responsive
                break
            except queue.Empty:
                continue
        batches = [batch]
        while not self._changes.empty():
            batches.append(self._changes.get_nowait())
        changes: set = set()
        for batch in batches:
            if isinstance(batch, BaseException):
                raise WatchError(f"watching stopped: {batch}") from None
            changes |= batch
        return changes

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)


class WatchError(RuntimeError):
    """The file watcher failed; the preview cannot notice changes any more."""


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _shown(path: str) -> str:
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path
