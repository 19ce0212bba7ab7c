"""Local preview: serve the output folder, watch the inputs, rebuild on change, and reload open pages.

The published files never hold the live-reload script: the server adds a same-origin
`<script src=".../__livereload.js" defer>` to HTML responses as it sends them, and the script
listens to Server-Sent Events from `.../__livereload`. No inline script, so a strict CSP still works.
A build that fails leaves the last good site in place (the writer swaps the output atomically),
so the server keeps serving it; open pages are not reloaded but show the errors over the page
(file, line, message and the lines around it), drawn by the same script with a same-origin style
sheet, until a good build reloads them.
"""

from __future__ import annotations

import json
import queue
import re
import select
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import watchfiles

from .diagnostics import Diagnostic
from .urls import base_path

WATCHED = (Path("seeds"), Path("site_src"), Path("templates"), Path("static"))
"""The inputs a site owner edits; the CLI puts its --seeds and --site-src in place of the first two."""

RELOAD_SCRIPT = "__livereload.js"
RELOAD_EVENTS = "__livereload"
ERROR_STYLE = "__livereload.css"

LIVE_RELOAD_JS = b"""\
// Live reload for `python build.py serve`; added by the preview server, never published.
(() => {
  const script = document.currentScript;
  const events = new EventSource(new URL("__livereload", script.src));
  let seen = null;
  let overlay = null;
  // The first build id this page saw; a different one (after a rebuild, or a restarted
  // server while we were disconnected) means the page is stale.
  events.addEventListener("build", (event) => {
    if (seen === null) seen = event.data;
    else if (event.data !== seen) location.reload();
  });
  events.addEventListener("failed", (event) => {
    const failure = JSON.parse(event.data);
    console.error("preview: rebuild failed, still showing the last good site:\\n" + failure.text);
    show(failure);
  });

  // Elements and text nodes only: no markup is parsed, so a message can never inject any.
  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function show(failure) {
    if (!document.getElementById("preview-error-style")) {
      const style = element("link");
      style.id = "preview-error-style";
      style.rel = "stylesheet";
      style.href = new URL("__livereload.css", script.src).href;
      document.head.append(style);
    }
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
/* The preview's error overlay; served by the preview server only, never published. */
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
"""

FAILED_PAGE = (b'<!doctype html><html lang="en"><head><meta charset="utf-8">'
               b"<title>Build failed</title></head><body><h1>The build failed</h1>"
               b"<p>No good build yet: fix the errors printed in the terminal.</p></body></html>\n")
"""What any page is before the first good build; the reload script shows the errors over it."""

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


def content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower(), DEFAULT_TYPE)


def inject_reload_script(html: bytes, mount: str) -> bytes:
    """The page with the live-reload script tag before its last </body> (or at the end)."""
    tag = f'<script src="{mount}{RELOAD_SCRIPT}" defer></script>'.encode()
    ends = list(_BODY_END.finditer(html))
    if not ends:
        return html + tag
    at = ends[-1].start()
    return html[:at] + tag + html[at:]


class PreviewState:
    """What the server threads share with the rebuild loop: the folder, and which build is current."""

    def __init__(self, root: Path, mount: str = "/") -> None:
        self.root = root.absolute()
        self.mount = mount
        self.build_id = f"{time.time_ns():x}-0"
        self.failure = ""
        """The last build's errors as the "failed" event's JSON; empty after a good build."""
        self.closing = False
        self.listeners = 0
        """Open event streams: pages that will reload."""
        self._builds = 0
        self._changed = threading.Condition()
        self._idle = threading.Event()
        self._idle.set()

    def rebuilding(self) -> None:
        self._idle.clear()

    def rebuilt(self, ok: bool, failure: str = "", problems: Sequence[Diagnostic] = ()) -> None:
        """A build finished: a good one gets a new id (pages reload), a failed one its errors."""
        with self._changed:
            self._builds += 1
            if ok:
                self.build_id = f"{self.build_id.split('-')[0]}-{self._builds}"
                self.failure = ""
            else:
                self.failure = failure_event(failure or "the build failed", problems)
            self._changed.notify_all()
        self._idle.set()

    def wait_idle(self, timeout: float) -> None:
        """Between the writer's two renames the output is briefly absent: wait out a build."""
        self._idle.wait(timeout)

    def close(self) -> None:
        with self._changed:
            self.closing = True
            self._changed.notify_all()

    def wait_for_change(self, builds: int, timeout: float) -> int:
        """Block until a build after `builds` finished (or timeout/close); return the build count."""
        with self._changed:
            self._changed.wait_for(lambda: self._builds != builds or self.closing, timeout)
            return self._builds

    def current(self) -> tuple[int, str]:
        """The build count and id, read together so a stream never skips a build."""
        with self._changed:
            return self._builds, self.build_id

    def listening(self, change: int) -> None:
        with self._changed:
            self.listeners += change


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
        path = unquote(urlsplit(self.path).path)
        if not path.startswith(state.mount):
            if path in ("/", "/index.html"):
                return self._redirect(state.mount)
            return self._not_found(send_body)
        inside = path[len(state.mount):]
        if inside == RELOAD_SCRIPT:
            return self._send(HTTPStatus.OK, "text/javascript; charset=utf-8", LIVE_RELOAD_JS,
                              send_body)
        if inside == ERROR_STYLE:
            return self._send(HTTPStatus.OK, "text/css; charset=utf-8", ERROR_CSS, send_body)
        if inside == RELOAD_EVENTS:
            return self._stream_events() if send_body else self._send(
                HTTPStatus.OK, "text/event-stream", b"", False)
        file = self._resolve(inside)
        if file is None:
            state.wait_idle(timeout=30)
            file = self._resolve(inside)
        if file is None and state.failure and not (state.root / "index.html").is_file():
            # No good build yet: every page is the failure page, which shows the errors.
            body = inject_reload_script(FAILED_PAGE, state.mount)
            return self._send(HTTPStatus.SERVICE_UNAVAILABLE, "text/html; charset=utf-8", body, send_body)
        if file is None:
            return self._not_found(send_body)
        if file.is_dir():
            query = urlsplit(self.path).query
            return self._redirect(path + "/" + (f"?{query}" if query else ""))
        self._send_file(HTTPStatus.OK, file, send_body)

    def _resolve(self, inside: str) -> Path | None:
        """The file for a path inside the site, or None; never anything outside the folder."""
        parts = [part for part in inside.split("/") if part]
        if any(part in (".", "..") or "\\" in part or "\0" in part for part in parts):
            return None
        candidate = self.server.state.root.joinpath(*parts)
        if inside.endswith("/") or not parts:
            candidate = candidate / "index.html"
        try:
            if candidate.is_file():
                return candidate
            if candidate.is_dir() and (candidate / "index.html").is_file():
                return candidate
        except OSError:
            return None
        return None

    def _not_found(self, send_body: bool) -> None:
        page = self.server.state.root / "404.html"
        if page.is_file():
            return self._send_file(HTTPStatus.NOT_FOUND, page, send_body)
        self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"404 not found\n", send_body)

    def _send_file(self, status: HTTPStatus, file: Path, send_body: bool) -> None:
        try:
            body = file.read_bytes()
        except OSError:
            return self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8",
                              b"404 not found\n", send_body)
        kind = content_type(file)
        if kind.startswith("text/html"):
            body = inject_reload_script(body, self.server.state.mount)
        self._send(status, kind, body, send_body)

    def _send(self, status: HTTPStatus, kind: str, body: bytes, send_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        # A preview must never show a stale page after a rebuild.
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _stream_events(self) -> None:
        """Server-Sent Events: the current build id now, then after every build; until closed."""
        state = self.server.state
        self.close_connection = True
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        builds, build_id = state.current()
        state.listening(+1)
        try:
            self._event("build", build_id)
            if state.failure:  # a page opened while the build is failing shows why at once
                self._event("failed", state.failure)
            quiet_since = time.monotonic()
            while not state.closing and not self._peer_gone():
                now = state.wait_for_change(builds, self.POLL)
                if state.closing:
                    break
                if now == builds:
                    if time.monotonic() - quiet_since > self.HEARTBEAT:
                        self.wfile.write(b": heartbeat\n\n")
                        self.wfile.flush()
                        quiet_since = time.monotonic()
                    continue
                quiet_since = time.monotonic()
                builds = now
                if state.failure:
                    self._event("failed", state.failure)
                else:
                    self._event("build", state.build_id)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page went away
        finally:
            state.listening(-1)

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
        pass  # a preview is quiet; build output is what matters in the terminal


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


def watch_filter(out_dir: Path) -> watchfiles.DefaultFilter:
    """The default filter (editor swap files, .git, caches), plus the output and its staging folders."""
    out_dir = out_dir.absolute()

    class InputsOnly(watchfiles.DefaultFilter):
        def __call__(self, change: watchfiles.Change, path: str) -> bool:
            where = Path(path).absolute()
            if where == out_dir or out_dir in where.parents:
                return False
            if any(part.startswith(f".{out_dir.name}.") for part in where.parts):
                return False
            return super().__call__(change, path)

    return InputsOnly()


Build = Callable[[str], tuple[int, Sequence[Diagnostic]]]
"""One build for a base URL, reported on the terminal as the CLI does: its exit code, and on
failure the located errors that stopped it."""


def preview(
    host: str,
    port: int,
    out_dir: Path,
    watched: Sequence[Path],
    build: Build,
    base_url: str | None = None,
    say: Callable[[str], None] = lambda text: print(text, flush=True),
) -> int:
    """Build, serve and rebuild on change until Ctrl-C; returns the exit code, 0.

    Without `base_url` the preview builds for the local URL, so every link resolves locally.
    Builds run here, in the main thread, so Ctrl-C interrupts a build as it does `build.py`.
    """
    if threading.current_thread() is threading.main_thread():
        # `kill` (SIGTERM) stops the preview as cleanly as Ctrl-C does.
        signal.signal(signal.SIGTERM, _interrupt)
    # Bind first: with --port 0 the real port is only known now, and the build needs the URL.
    server = PreviewServer((host, port), PreviewState(out_dir))
    url = base_url or local_url(server)
    server.state.mount = base_path(url)
    thread = serving_thread(server, start=False)
    watcher = Watcher(list(watched), out_dir)
    try:
        # Watch before the first build: a file saved while it runs must not be missed.
        watcher.start()
        if _build_once(server.state, build, url) == 130:
            return 0
        thread.start()
        say(f"serving {out_dir} at {local_url(server).rstrip('/')}{server.state.mount}"
            " (Ctrl-C to stop)")
        say("watching " + (", ".join(map(str, watcher.inputs)) or "nothing"))
        while True:
            names = sorted({_shown(path) for _, path in watcher.next_changes()})
            say(f"changed: {', '.join(names[:3])}{' ...' if len(names) > 3 else ''}; rebuilding")
            if _build_once(server.state, build, url) == 130:
                break
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
        if thread.is_alive():
            server.shutdown()
            thread.join(timeout=5)
        server.server_close()
    say("stopped")
    return 0


class Watcher:
    """watchfiles in a background thread, collecting changes while a build runs.

    An input folder that is removed and made again (or made after the start) is watched again:
    the OS's watch ends with the folder it was on, so the watch is re-armed on the folders that
    exist whenever that set changes, and a folder that (re)appears counts as a change.
    """

    def __init__(self, inputs: list[Path], out_dir: Path) -> None:
        self.inputs = inputs
        self._filter = watch_filter(out_dir)
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
                # the quiet yields after it let the set of existing folders be checked.
                for changes in watchfiles.watch(*present, watch_filter=self._filter,
                                                stop_event=self._stop, debounce=1600, step=100,
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


def _build_once(state: PreviewState, build: Build, url: str) -> int:
    state.rebuilding()
    code, problems = 1, ()
    try:
        code, problems = build(url)
    except KeyboardInterrupt:
        code = 130
        raise
    except Exception as error:  # noqa: BLE001 - a bug of ours must not stop the preview
        print(f"error: the build failed unexpectedly: {type(error).__name__}: {error}",
              file=sys.stderr, flush=True)
        problems = ()
    finally:
        text = "\n".join(map(str, problems)) or "the build failed; see the terminal"
        state.rebuilt(code == 0, "" if code == 0 else text, problems)
    return code


def _shown(path: str) -> str:
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path
