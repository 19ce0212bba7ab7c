"""The local preview: content types, live-reload injection, events, rebuilds, broken input, Ctrl-C."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urljoin

import pytest

from conftest import FIXTURE_SEEDS, FIXTURE_SITE_SRC, ROOT
from paper_catalogue.diagnostics import Diagnostic
from paper_catalogue.serve import PreviewState, start_server, stop_server

TYPES = {
    "pagefind/pagefind-entry.json": "application/json",
    "pagefind/pagefind.js": "text/javascript; charset=utf-8",
    "pagefind/pagefind-ui.css": "text/css; charset=utf-8",
    "pagefind/wasm.en.pagefind": "application/octet-stream",
    "pagefind/pagefind.en_1a2b.pf_meta": "application/octet-stream",
    "pagefind/index/en_3c4d.pf_index": "application/octet-stream",
    "pagefind/fragment/en_5e6f.pf_fragment": "application/octet-stream",
    "pagefind/wasm.unknown.wasm": "application/wasm",
    "feed.xml": "application/xml",
    "icon.svg": "image/svg+xml",
    "papers.json": "application/json",
    "data/papers-2024.json.gz": "application/gzip",
}
PAGE = b"<!doctype html><html><head><title>t</title></head><body><p>hello</p></body></html>\n"
TAG = b'<script src="/__livereload.js" defer></script>'


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body, without raising on 4xx."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def make_site(root: Path) -> Path:
    for name in TYPES:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(bytes(range(256)) + name.encode())
    (root / "index.html").write_bytes(PAGE)
    (root / "papers" / "a-paper").mkdir(parents=True)
    (root / "papers" / "a-paper" / "index.html").write_bytes(PAGE.replace(b"hello", b"paper"))
    (root / "404.html").write_bytes(PAGE.replace(b"hello", b"nothing here"))
    (root / "bare.html").write_bytes(b"<p>no body element</p>")
    return root


@pytest.fixture
def site(tmp_path):
    """A temp site served in a thread on a free port; stopped (and checked stopped) afterwards."""
    root = make_site(tmp_path / "site")
    state = PreviewState(root)
    server, thread = start_server(state, "127.0.0.1", 0)
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}", state, root
    stop_server(server, thread)
    assert not thread.is_alive()


def test_every_file_type_is_served_with_its_content_type(site):
    url, _, root = site
    for name, kind in TYPES.items():
        status, headers, body = get(f"{url}/{name}")
        assert status == 200, name
        assert headers["Content-Type"] == kind, name
        assert body == (root / name).read_bytes(), name


def test_html_responses_get_the_reload_script_but_the_files_do_not(site):
    url, _, root = site
    for path, text in (("/", b"hello"), ("/papers/a-paper/", b"paper"), ("/index.html", b"hello")):
        status, headers, body = get(url + path)
        assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
        assert text in body
        assert body.count(TAG) == 1 and body.index(TAG) < body.index(b"</body>")
        assert int(headers["Content-Length"]) == len(body)
    assert get(url + "/bare.html")[2] == b"<p>no body element</p>" + TAG
    for file in root.rglob("*"):
        assert not file.is_file() or b"__livereload" not in file.read_bytes()


def test_the_reload_script_is_external_and_uses_no_inline_code(site):
    url, _, _ = site
    status, headers, body = get(url + "/__livereload.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert b"EventSource" in body and b"location.reload" in body
    assert b"eval(" not in body and b"onload" not in body


def test_missing_pages_get_the_site_404_page(site):
    url, _, _ = site
    status, headers, body = get(url + "/no/such/page/")
    assert status == 404 and b"nothing here" in body and TAG in body


def test_a_folder_without_slash_redirects_and_nothing_outside_the_site_is_served(site, tmp_path):
    url, _, _ = site
    (tmp_path / "secret.txt").write_text("secret")
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request("GET", "/papers/a-paper")
    response = connection.getresponse()
    assert response.status == 301 and response.getheader("Location") == "/papers/a-paper/"
    response.read()
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/papers/..%2f..%2fsecret.txt"):
        connection.request("GET", path)
        response = connection.getresponse()
        assert response.status == 404 and b"secret" not in response.read(), path
    connection.close()


def read_event(response) -> tuple[str, str]:
    """The next Server-Sent Event (name, data), skipping heartbeat comments."""
    name, data = "message", []
    while True:
        line = response.fp.readline().decode().rstrip("\n")
        if line.startswith(":"):
            continue
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data.append(line.removeprefix("data: "))
        elif line == "" and data:
            return name, "\n".join(data)


def open_events(url: str):
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request("GET", "/__livereload")
    response = connection.getresponse()
    assert response.status == 200 and response.getheader("Content-Type") == "text/event-stream"
    return connection, response


def test_events_announce_good_builds_and_failed_ones(site, tmp_path):
    url, state, _ = site
    connection, response = open_events(url)
    name, first = read_event(response)
    assert name == "build"
    state.rebuilt(ok=True)
    name, second = read_event(response)
    assert name == "build" and second != first
    template = tmp_path / "paper.html"
    template.write_text("".join(f"line {n}\n" for n in range(1, 11)), encoding="utf-8")
    problem = Diagnostic(str(template), 6, "'papr' is undefined", "error")
    state.rebuilt(ok=False, failure=str(problem), problems=[problem])
    name, data = read_event(response)
    failure = json.loads(data)
    assert name == "failed" and failure["text"] == f"{template}:6: error: 'papr' is undefined"
    assert failure["problems"] == [{
        "file": str(template), "line": 6, "message": "'papr' is undefined",
        "context": [{"number": n, "text": f"line {n}", "at": n == 6} for n in range(4, 9)]}]
    assert state.listeners == 1
    # A page opened while the build is failing hears of the failure at once.
    late_connection, late = open_events(url)
    assert read_event(late) == ("build", second)
    assert read_event(late)[0] == "failed"
    for stream in (response, late):
        stream.close()
    for each in (connection, late_connection):
        each.close()
    # The server notices a page that went away and frees its thread without waiting to write.
    wait_until(lambda: state.listeners == 0)


def test_before_a_good_build_every_page_is_the_failure_page(tmp_path):
    state = PreviewState(tmp_path / "never-built")
    server, thread = start_server(state, "127.0.0.1", 0)
    try:
        url = "http://127.0.0.1:%d" % server.server_address[1]
        state.rebuilt(ok=False, failure="x", problems=[Diagnostic("site_src/site.toml", 2, "bad", "error")])
        status, headers, body = get(url + "/papers/a/")
        assert status == 503 and headers["Content-Type"].startswith("text/html")
        assert TAG in body and b"<style" not in body and b"style=" not in body
        status, headers, body = get(url + "/__livereload.css")
        assert status == 200 and headers["Content-Type"] == "text/css; charset=utf-8"
        assert b".preview-error" in body
    finally:
        stop_server(server, thread)


def test_a_base_url_subpath_is_honoured(tmp_path):
    root = make_site(tmp_path / "site")
    server, thread = start_server(PreviewState(root, mount="/repo/"), "127.0.0.1", 0)
    try:
        url = "http://127.0.0.1:%d" % server.server_address[1]
        status, _, body = get(url + "/repo/papers/a-paper/")
        assert status == 200 and b"paper" in body
        assert b'<script src="/repo/__livereload.js" defer></script>' in body
        assert get(url + "/repo/__livereload.js")[0] == 200
        assert get(url + "/repo/pagefind/wasm.unknown.wasm")[1]["Content-Type"] == "application/wasm"
        status, _, body = get(url + "/")  # follows the redirect to the subpath
        assert status == 200 and b"hello" in body
        assert get(url + "/papers/a-paper/")[0] == 404
    finally:
        stop_server(server, thread)


# --- the whole command, in a subprocess ------------------------------------------------------

NEW_PAPER = ("Zebra Finches Teach Transformers to Sing\n\n"
             "We train a transformer on zebra finch songs and it learns their syntax.\n")
BAD_DATE = "Impossible Dates in Listings\n\nAn abstract long enough to read.\n\n  • 2 authors\n·\nFeb 30, 2024\n"


class Preview:
    """`python build.py serve --port 0` on a temp copy of the fixture seeds; stopped with Ctrl-C.

    With `out=False` no --out is given: the preview picks its own folder (in the --cache folder).
    """

    def __init__(self, tmp_path: Path, *extra: str, out: bool = True) -> None:
        self.seeds = tmp_path / "seeds"
        if not self.seeds.exists():
            shutil.copytree(FIXTURE_SEEDS, self.seeds)
        self.out = tmp_path / "_site" if out else tmp_path / "cache" / "preview-site"
        where = ["--out", str(self.out)] if out else ["--cache", str(tmp_path / "cache")]
        if "--site-src" not in extra:
            extra = ("--site-src", str(FIXTURE_SITE_SRC), *extra)
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "build.py"), "serve", "--port", "0", "--seeds", str(self.seeds),
             *where, *extra],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.stdout: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        self.out_lines: list[str] = []
        threading.Thread(target=self._pump, args=(self.process.stdout, self.stdout.put),
                         daemon=True).start()
        threading.Thread(target=self._pump, args=(self.process.stderr, self.stderr.append),
                         daemon=True).start()
        line = self.wait_for_line("serving ")
        self.url = line.split(" at ", 1)[1].split()[0]

    @staticmethod
    def _pump(stream, put) -> None:
        for line in stream:
            put(line)

    def wait_for_line(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.stdout.get(timeout=0.2)
            except queue.Empty:
                assert self.process.poll() is None, "".join(self.stderr)
                continue
            self.out_lines.append(line)
            if text in line:
                return line
        raise AssertionError(f"no {text!r} in {self.out_lines} / {self.stderr}")

    def wait_for_stderr(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            joined = "".join(self.stderr)
            if text in joined:
                return joined
            time.sleep(0.1)
        raise AssertionError(f"no {text!r} in stderr: {self.stderr}")

    def papers(self) -> list[dict]:
        """Every paper record the preview serves: papers.json, then each part it lists."""
        index = self.get_json("papers.json")
        return [record for part in index["parts"] for record in self.get_json(part["url"])]

    def get_json(self, url: str):
        """JSON as the preview serves it: the index as JSON, an export part as a gzip file."""
        status, headers, body = get(self.url + url)
        if url.endswith(".gz"):
            assert status == 200 and headers["Content-Type"] == "application/gzip"
            return json.loads(gzip.decompress(body))
        assert status == 200 and headers["Content-Type"] == "application/json"
        return json.loads(body)

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=30)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


@pytest.fixture
def preview(tmp_path):
    started: list[Preview] = []

    def start(*extra: str, out: bool = True) -> Preview:
        started.append(Preview(tmp_path, *extra, out=out))
        return started[-1]

    yield start
    for running in started:
        running.kill()


def titles(papers: list[dict]) -> set[str]:
    return {paper["title"] for paper in papers}


def test_serve_prints_its_url_serves_the_site_and_stops_cleanly_on_ctrl_c(preview):
    running = preview()
    assert running.url.startswith("http://127.0.0.1:") and running.url.endswith("/")
    assert len(running.papers()) > 0
    assert get(running.url + ".nojekyll")[0] == 200
    for file in running.out.rglob("*"):
        assert not file.is_file() or b"__livereload" not in file.read_bytes()
    assert running.interrupt() == 0
    assert "Traceback" not in "".join(running.stderr)
    with pytest.raises(OSError):
        urllib.request.urlopen(running.url, timeout=5)


def test_a_second_ctrl_c_during_shutdown_still_stops_cleanly(preview):
    running = preview()
    assert len(running.papers()) > 0
    running.process.send_signal(signal.SIGINT)
    running.process.send_signal(signal.SIGINT)  # as a terminal signalling the process group does
    assert running.process.wait(timeout=30) == 0
    assert "Traceback" not in "".join(running.stderr)


def test_a_changed_seed_is_rebuilt_and_the_new_paper_served(preview):
    running = preview()
    before = titles(running.papers())
    (running.seeds / "new.txt").write_text(NEW_PAPER, encoding="utf-8")
    running.wait_for_line("rebuilding")
    running.wait_for_line("built ")
    after = titles(running.papers())
    assert after == before | {"Zebra Finches Teach Transformers to Sing"}
    assert running.interrupt() == 0


def test_a_broken_seed_is_reported_and_the_last_good_site_stays(preview):
    running = preview()
    good = running.papers()
    (running.seeds / "broken.txt").write_bytes(b"A title\n\nAn abstract \xff\xfe broken.\n")
    errors = running.wait_for_stderr("left unchanged")
    assert "broken.txt" in errors and "error:" in errors and "Traceback" not in errors
    assert running.papers() == good
    # Fixed: the next build goes through, and its warnings name file and line.
    (running.seeds / "broken.txt").write_text(BAD_DATE, encoding="utf-8")
    warnings = running.wait_for_stderr("broken.txt:7: warning")
    assert "impossible date" in warnings
    running.wait_for_line("built ")
    assert "Impossible Dates in Listings" in titles(running.papers())
    assert running.interrupt() == 0
    assert "Traceback" not in "".join(running.stderr)


def test_a_broken_site_toml_is_reported_with_its_line_and_the_site_stays(preview, tmp_path):
    site_src = tmp_path / "site_src"
    shutil.copytree(FIXTURE_SITE_SRC, site_src)
    running = preview("--site-src", str(site_src))
    good = running.papers()
    (site_src / "site.toml").write_text('title = "Papers"\ntitle = = broken\n', encoding="utf-8")
    errors = running.wait_for_stderr("left unchanged")
    assert "site.toml:2: error: not valid TOML" in errors and "Traceback" not in errors
    assert running.papers() == good
    assert running.interrupt() == 0


def test_build_options_work_before_or_after_serve():
    from paper_catalogue.cli import make_parser

    parse = make_parser().parse_args
    plain = parse([])
    # No --out: a build writes _site, and the preview a folder of its own.
    assert plain.command is None and plain.seeds == Path("seeds") and plain.out is None
    before = parse(["--seeds", "a", "--strict", "serve", "--port", "0"])
    assert (before.command, before.seeds, before.strict, before.port) == ("serve", Path("a"), True, 0)
    after = parse(["serve", "--seeds", "b", "--host", "::1", "--base-url", "http://x/"])
    assert (after.seeds, after.host, after.base_url, after.port) == (Path("b"), "::1", "http://x/", 8000)
    assert after.out is None and after.quiet is False


def test_help_explains_build_and_serve():
    top = subprocess.run([sys.executable, str(ROOT / "build.py"), "--help"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    serve = subprocess.run([sys.executable, str(ROOT / "build.py"), "serve", "--help"], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert top.returncode == serve.returncode == 0
    assert "serve" in top.stdout and "--strict" in top.stdout and "exit codes" in top.stdout
    for word in ("--port", "--host", "--seeds", "--base-url", "127.0.0.1", "Ctrl-C"):
        assert word in serve.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_with_a_subpath_base_url_serves_under_it(preview):
    port = free_port()
    running = preview("--port", str(port), "--base-url", f"http://127.0.0.1:{port}/repo/")
    assert running.url == f"http://127.0.0.1:{port}/repo/"
    assert len(running.papers()) > 0
    assert get(f"http://127.0.0.1:{port}/papers.json")[0] == 404
    assert running.interrupt() == 0


def test_a_taken_port_is_a_clear_error(preview, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, str(ROOT / "build.py"), "serve", "--port", str(port),
             "--seeds", str(FIXTURE_SEEDS), "--out", str(tmp_path / "out")],
            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"cannot serve on 127.0.0.1:{port}" in result.stderr and "Traceback" not in result.stderr


def test_the_preview_builds_into_its_own_folder_so_build_py_beside_it_changes_nothing(preview, tmp_path):
    running = preview(out=False)
    assert running.out.is_dir() and (running.out / "index.html").is_file()
    page = get(running.url)[2].decode()
    sheets = [urljoin(running.url, href) for href in re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)]
    assert sheets and all(get(sheet)[0] == 200 for sheet in sheets), sheets
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--seeds", str(running.seeds),
                             "--site-src", str(FIXTURE_SITE_SRC), "--out", str(tmp_path / "_site"),
                             "--cache", str(tmp_path / "cache"), "--base-url", "https://example.org/x/",
                             "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert get(running.url)[2].decode() == page
    assert all(get(sheet)[0] == 200 for sheet in sheets)
    assert running.interrupt() == 0


def test_a_seeds_folder_removed_and_made_again_is_still_watched(preview):
    running = preview()
    shutil.rmtree(running.seeds)
    running.wait_for_line("rebuilding")
    running.wait_for_stderr("left unchanged")  # no seeds folder: an error, the site stays
    running.seeds.mkdir()
    shutil.copy(FIXTURE_SEEDS / "000_compact.txt", running.seeds)
    running.wait_for_line("built ")
    (running.seeds / "new.txt").write_text(NEW_PAPER, encoding="utf-8")
    running.wait_for_line("built ")
    assert "Zebra Finches Teach Transformers to Sing" in titles(running.papers())
    assert running.interrupt() == 0
    assert "Traceback" not in "".join(running.stderr)


# --- two builds for different base URLs -----------------------------------------------------

def build_for(base_url: str, out: Path) -> dict[str, bytes]:
    result = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "--seeds", str(FIXTURE_SEEDS), "--out", str(out),
         "--base-url", base_url, "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    # Pagefind's bundle is excepted from byte-identical output (its names hash its content).
    return {str(path.relative_to(out)): path.read_bytes() for path in sorted(out.rglob("*"))
            if path.is_file() and path.relative_to(out).parts[0] != "pagefind"}


def test_builds_for_two_base_urls_differ_only_in_their_urls(tmp_path):
    first, second = "https://user.github.io/paper-site/", "http://127.0.0.1:8123/preview/"
    a = build_for(first, tmp_path / "a")
    b = build_for(second, tmp_path / "b")
    assert set(a) == set(b) and "papers.json" in a
    for name in a:
        moved = a[name].replace(first.encode(), second.encode())
        moved = moved.replace(b"/paper-site/", b"/preview/")
        assert moved == b[name], name


# --- live reload in a real browser ----------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CSP_PAGE = (b'<!doctype html><html><head><meta charset="utf-8">'
            b"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'\">"
            b"<title>csp</title></head><body><p id=text>version one</p></body></html>\n")


@pytest.fixture(scope="module")
def chromium():
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Debian's chromium is missing at /usr/bin/chromium, and CI=true")
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def wait_until(predicate, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.browser
@pytest.mark.parametrize("mount", ["/", "/repo/"])
def test_open_pages_show_a_failure_and_reload_after_a_good_build_under_a_strict_csp(chromium, tmp_path, mount):
    from playwright.sync_api import expect

    root = make_site(tmp_path / "site")
    (root / "papers" / "a-paper" / "index.html").write_bytes(CSP_PAGE)
    state = PreviewState(root, mount=mount)
    server, thread = start_server(state, "127.0.0.1", 0)
    page = chromium.new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    loads: list[str] = []  # main-frame navigations: committed before the new text can show
    page.on("framenavigated", lambda frame: frame == page.main_frame and loads.append(frame.url))
    try:
        page.goto(f"http://127.0.0.1:{server.server_address[1]}{mount}papers/a-paper/")
        assert page.text_content("#text") == "version one"
        wait_until(lambda: state.listeners == 1)
        # A failed build: the page stays, and says why in the console.
        with page.expect_console_message(lambda message: "rebuild failed" in message.text,
                                         timeout=30_000) as failed:
            state.rebuilt(ok=False, failure="seeds/x.txt: not UTF-8")
        assert "seeds/x.txt: not UTF-8" in failed.value.text
        assert page.text_content("#text") == "version one"
        # ...and over the page, drawn by the external script with its same-origin style sheet.
        expect(page.locator("#preview-error")).to_contain_text("seeds/x.txt: not UTF-8", timeout=30_000)
        expect(page.locator("#preview-error")).to_have_css("position", "fixed")  # once its sheet loads
        # A located error: its file and line, the message as text (never markup), the lines around it.
        template = tmp_path / "paper.html"
        template.write_text("".join(f"<p>line {n}</p>\n" for n in range(1, 9)), encoding="utf-8")
        problem = Diagnostic(str(template), 5, "'papr' is <b>undefined</b>", "error")
        state.rebuilt(ok=False, failure=str(problem), problems=[problem])
        overlay = page.locator("#preview-error")
        expect(overlay).to_contain_text(f"{template}:5", timeout=30_000)
        expect(overlay).to_contain_text("'papr' is <b>undefined</b>")
        assert overlay.locator("b").count() == 0
        expect(overlay.locator(".preview-error-at")).to_have_text("    5  <p>line 5</p>")
        assert overlay.locator("pre span").count() == 5  # lines 3 to 7
        # A good build: the page reloads and shows the new file.
        (root / "papers" / "a-paper" / "index.html").write_bytes(
            CSP_PAGE.replace(b"version one", b"version two"))
        state.rebuilt(ok=True)
        # A locator, not wait_for_function: the page's CSP forbids evaluating strings.
        expect(page.locator("#text")).to_have_text("version two", timeout=30_000)
        expect(page.locator("#preview-error")).to_have_count(0)
        assert len(loads) == 2  # the first load and one reload: none for the failed build
        assert not [text for text in messages if "Content Security Policy" in text], messages
    finally:
        page.close()
        stop_server(server, thread)
