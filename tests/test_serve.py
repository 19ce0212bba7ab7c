"""The local preview: content types, live-reload injection, versions and events, edits, broken input, search, Ctrl-C."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pytest

from conftest import FIXTURE_SEEDS, FIXTURE_SITE_SRC, REAL_SEEDS, ROOT
from serve_process import ServeProcess
from paper_catalogue.diagnostics import Diagnostic
from paper_catalogue.pipeline import BuildOptions
from paper_catalogue.preview_site import PAGES, STATIC, TEMPLATES, MemoryCache, PreviewSite
from paper_catalogue.serve import PreviewState, content_type, inject_reload_script, start_server, stop_server

TAG = re.compile(rb'<script src="(/[^"]*)__livereload\.js" data-version="([0-9a-f]{16})"( data-search="pending")? '
                 rb"defer></script>")


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body, without raising on 4xx."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def version_of(body: bytes) -> str:
    """The version the server wrote into a page's reload script tag."""
    found = TAG.findall(body)
    assert len(found) == 1, body[-300:]
    return found[0][1].decode()


def copy_inputs(folder: Path) -> BuildOptions:
    """Copies of the fixture seeds and site_src and of the project's templates and static files."""
    for source, name in ((FIXTURE_SEEDS, "seeds"), (FIXTURE_SITE_SRC, "site_src"), (ROOT / "templates", "templates"),
                         (ROOT / "static", "static")):
        shutil.copytree(source, folder / name)
    return BuildOptions(seeds=folder / "seeds", site_src=folder / "site_src", templates=folder / "templates",
                        static=folder / "static", search_index=False)


class Served:
    """A preview of copied inputs, served in a thread on a free port (the CLI's loop left out, so
    a test makes each update itself)."""

    def __init__(self, options: BuildOptions, mount: str = "/") -> None:
        self.options = options
        self.state = PreviewState(mount=mount, search=False)
        self.site = PreviewSite(replace(options, base_url=f"http://127.0.0.1:8123{mount}"), MemoryCache(None))
        self.state.publish(self.site.update())
        self.server, self.thread = start_server(self.state, "127.0.0.1", 0)
        self.root = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = self.root + mount

    def update(self, *kinds: str) -> None:
        self.state.publish(self.site.update(set(kinds)))

    def paper_url(self) -> str:
        return f"{self.url}papers/{self.site.current.order.papers[0].id}/"

    def stop(self) -> None:
        stop_server(self.server, self.thread)
        assert not self.thread.is_alive()


@pytest.fixture
def served(tmp_path):
    running = Served(copy_inputs(tmp_path))
    yield running
    running.stop()


def test_every_kind_of_file_is_served_with_its_content_type(served):
    paper = served.site.current.order.papers[0].id
    kinds = {"": "text/html; charset=utf-8", "feed.xml": "application/xml", "papers.json": "application/json",
             "static/style.css": "text/css; charset=utf-8", "static/site.js": "text/javascript; charset=utf-8",
             "static/favicon.svg": "image/svg+xml", "robots.txt": "text/plain; charset=utf-8",
             f"papers/{paper}/cite.bib": "text/plain; charset=utf-8"}
    parts = json.loads(get(served.url + "papers.json")[2])["parts"]
    kinds[parts[0]["url"]] = "application/gzip"
    for path, kind in kinds.items():
        status, headers, body = get(served.url + path)
        assert (status, headers["Content-Type"]) == (200, kind), path
        assert headers["Cache-Control"] == "no-store"
    assert json.loads(gzip.decompress(get(served.url + parts[0]["url"])[2]))
    # Pagefind's bundle, as Pagefind's own server serves it.
    for name, kind in (("pagefind/pagefind.js", "text/javascript; charset=utf-8"),
                       ("pagefind/wasm.en.pagefind", "application/octet-stream"),
                       ("pagefind/index/en_3c4d.pf_index", "application/octet-stream"),
                       ("pagefind/wasm.unknown.wasm", "application/wasm")):
        assert content_type(PurePosixPath(name)) == kind


def test_html_responses_get_the_reload_script_and_head_requests_no_body(served):
    for url in (served.url, served.paper_url(), served.url + "index.html", served.url + "search/"):
        status, headers, body = get(url)
        assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
        tag = TAG.search(body)
        assert tag and tag.group(1) == b"/" and body.index(tag.group(0)) < body.rindex(b"</body>")
        assert int(headers["Content-Length"]) == len(body)
    assert inject_reload_script(b"<p>no body element</p>", "/", "v") == \
        b'<p>no body element</p><script src="/__livereload.js" data-version="v" defer></script>'
    host, port = served.root.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request("HEAD", "/")
    response = connection.getresponse()
    assert response.status == 200 and int(response.getheader("Content-Length")) > 0 and response.read() == b""
    connection.close()


def test_the_reload_script_is_external_and_uses_no_inline_code(served):
    status, headers, body = get(served.url + "__livereload.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert b"EventSource" in body and b"location.reload" in body and b"dataset.version" in body
    assert b"eval(" not in body and b"onload" not in body and b"innerHTML" not in body


def test_missing_pages_get_the_site_404_page(served):
    status, headers, body = get(served.url + "no/such/page/")
    assert status == 404 and b"<title>Page not found" in body and TAG.search(body)
    assert get(served.url + "pagefind/pagefind.js")[0] == 404  # no search index in this preview


def test_a_folder_without_slash_redirects_and_nothing_outside_the_site_is_served(served, tmp_path):
    (tmp_path / "secret.txt").write_text("secret")
    paper = served.site.current.order.papers[0].id
    host, port = served.root.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request("GET", f"/papers/{paper}?q=1")
    response = connection.getresponse()
    assert response.status == 301 and response.getheader("Location") == f"/papers/{paper}/?q=1"
    response.read()
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/papers/..%2f..%2fsecret.txt", "/static/../../secret.txt"):
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


def open_events(root: str, page: str):
    host, port = root.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request("GET", f"/__livereload?page={page}")
    response = connection.getresponse()
    assert response.status == 200 and response.getheader("Content-Type") == "text/event-stream"
    return connection, response


def wait_until(predicate, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_each_page_hears_its_own_version_and_a_change_only_when_its_bytes_change(served):
    paper_path = served.paper_url().removeprefix(served.root)
    streams = {path: open_events(served.root, path) for path in ("/", paper_path)}
    for path, (_, response) in streams.items():
        assert read_event(response) == ("build", version_of(get(served.root + path)[2]))
    wait_until(lambda: served.state.listeners == 2)
    home, paper = version_of(get(served.url)[2]), version_of(get(served.paper_url())[2])
    # The paper template changes the paper page, not the home page.
    template = served.options.templates / "paper.html"
    template.write_text(template.read_text(encoding="utf-8").replace("</article>", "<p>edited</p></article>", 1),
                        encoding="utf-8")
    served.update(TEMPLATES)
    assert read_event(streams["/"][1]) == ("build", home)
    name, data = read_event(streams[paper_path][1])
    assert name == "build" and data != paper and data == version_of(get(served.paper_url())[2])
    # A static file may be loaded by any page: every page's version changes.
    (served.options.static / "style.css").write_text("body { color: #123456; }\n", encoding="utf-8")
    served.update(STATIC)
    assert read_event(streams["/"][1])[1] != home
    for connection, response in streams.values():
        response.close()
        connection.close()
    # The server notices a page that went away and frees its thread without waiting to write.
    wait_until(lambda: served.state.listeners == 0)


def test_a_failure_is_announced_with_its_lines_and_a_good_edit_clears_it(served, tmp_path):
    connection, response = open_events(served.root, "/")
    name, home = read_event(response)
    template = tmp_path / "paper.html"
    template.write_text("".join(f"line {n}\n" for n in range(1, 11)), encoding="utf-8")
    problem = Diagnostic(str(template), 6, "'papr' is undefined", "error")
    served.state.fail(str(problem), [problem])
    name, data = read_event(response)
    failure = json.loads(data)
    assert name == "failed" and failure["text"] == f"{template}:6: error: 'papr' is undefined"
    assert failure["problems"] == [{
        "file": str(template), "line": 6, "message": "'papr' is undefined",
        "context": [{"number": n, "text": f"line {n}", "at": n == 6} for n in range(4, 9)]}]
    # A page opened while the edit is failing hears of the failure at once.
    late_connection, late = open_events(served.root, "/")
    assert read_event(late) == ("build", home)
    assert read_event(late)[0] == "failed"
    # A good edit that leaves the page as it was: the same version, which takes the errors away.
    served.update(PAGES)
    assert read_event(response) == ("build", home)
    for stream, each in ((response, connection), (late, late_connection)):
        stream.close()
        each.close()


def test_a_failure_that_comes_while_a_page_opens_its_events_is_told_once(served, monkeypatch):
    """A failure published between the moment a page's event stream starts and its first event is
    one "failed" event, not two: the stream reads the change count and the failure together."""
    import paper_catalogue.serve as serve

    problem = Diagnostic("site_src/site.toml", 2, "bad", "error")
    answer = serve.respond

    def failing_meanwhile(state, path, query=""):
        if path == "/" and not state.failure:
            state.fail(str(problem), [problem])
        return answer(state, path, query)

    monkeypatch.setattr(serve, "respond", failing_meanwhile)
    connection, response = open_events(served.root, "/")
    name, home = read_event(response)
    assert name == "build" and read_event(response)[0] == "failed"
    monkeypatch.setattr(serve, "respond", answer)
    served.update(PAGES)
    assert read_event(response) == ("build", home)
    response.close()
    connection.close()


def test_a_template_error_fails_the_update_at_its_line_and_the_last_good_site_stays(served):
    good = get(served.paper_url())[2]
    template = served.options.templates / "paper.html"
    text = template.read_text(encoding="utf-8")
    template.write_text(text.replace("</article>", "{{ paper.no_such_field }}</article>", 1), encoding="utf-8")
    with pytest.raises(Exception) as failure:
        served.site.update({TEMPLATES})
    line = text[:text.index("</article>")].count("\n") + 1
    assert f"paper.html:{line}" in str(failure.value)
    assert get(served.paper_url())[2] == good
    template.write_text(text, encoding="utf-8")
    served.update(TEMPLATES)
    assert get(served.paper_url())[2] == good


def test_before_a_good_update_every_page_is_the_failure_page(tmp_path):
    state = PreviewState()
    server, thread = start_server(state, "127.0.0.1", 0)
    try:
        url = "http://127.0.0.1:%d" % server.server_address[1]
        state.fail("x", [Diagnostic("site_src/site.toml", 2, "bad", "error")])
        status, headers, body = get(url + "/papers/a/")
        assert status == 503 and headers["Content-Type"].startswith("text/html")
        assert TAG.search(body) and b"<style" not in body and b"style=" not in body
        status, headers, body = get(url + "/__livereload.css")
        assert status == 200 and headers["Content-Type"] == "text/css; charset=utf-8"
        assert b".preview-error" in body and b".preview-search-notice" in body
    finally:
        stop_server(server, thread)


def test_a_base_url_subpath_is_honoured(tmp_path):
    served = Served(copy_inputs(tmp_path), mount="/repo/")
    try:
        status, _, body = get(served.paper_url())
        assert status == 200 and TAG.search(body).group(1) == b"/repo/"
        assert get(served.url + "__livereload.js")[0] == 200
        assert get(served.url + "static/style.css")[0] == 200
        status, _, body = get(served.root + "/")  # follows the redirect to the subpath
        assert status == 200 and b'href="/repo/papers/"' in body
        assert get(served.root + "/papers.json")[0] == 404
    finally:
        served.stop()


# --- the whole command, in a subprocess ------------------------------------------------------

NEW_PAPER = ("Zebra Finches Teach Transformers to Sing\n\n"
             "We train a transformer on zebra finch songs and it learns their syntax.\n")
BAD_DATE = "Impossible Dates in Listings\n\nAn abstract long enough to read.\n\n  • 2 authors\n·\nFeb 30, 2024\n"
STILL_SERVED = "the preview shows the last good site"


class Preview(ServeProcess):
    """The preview in a temp folder holding copies of the fixture seeds and site_src and of the
    project's templates and static files, which a test may edit, with a cache folder of its own."""

    def __init__(self, tmp_path: Path, *extra: str) -> None:
        self.folder = tmp_path
        if not (tmp_path / "seeds").exists():
            copy_inputs(tmp_path)
        self.seeds, self.site_src, self.templates = tmp_path / "seeds", tmp_path / "site_src", tmp_path / "templates"
        super().__init__(tmp_path, "--cache", str(tmp_path / "cache"), *extra)
        self.cursor = self.find("out", "serving ") + 1
        """Where in `seen` the next wait_for_line starts: after the last line it found."""

    def wait_for_line(self, text: str, timeout: float = 60) -> str:
        """The next line on stdout holding `text`, after those earlier waits found."""
        at = self.find("out", text, since=self.cursor, timeout=timeout)
        self.cursor = at + 1
        return self.seen[at][1]

    def wait_for_stderr(self, text: str, timeout: float = 60) -> str:
        """All of stderr so far, once a line of it holds `text`."""
        self.find("err", text, timeout=timeout)
        return self.printed("err")

    def stdout_after_exit(self) -> list[str]:
        """What the stopped command printed on stdout that no wait has found yet, up to "stopped"."""
        at = self.find("out", "stopped", since=self.cursor, timeout=10)
        return [line for name, line in self.seen[self.cursor:at + 1] if name == "out"]

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

@pytest.fixture
def preview(tmp_path):
    started: list[Preview] = []

    def start(*extra: str) -> Preview:
        started.append(Preview(tmp_path, *extra))
        return started[-1]

    yield start
    for running in started:
        running.kill()


def titles(papers: list[dict]) -> set[str]:
    return {paper["title"] for paper in papers}


def test_serve_prints_its_url_serves_the_site_writes_no_site_and_stops_cleanly_on_ctrl_c(preview, tmp_path):
    running = preview()
    assert running.url.startswith("http://127.0.0.1:") and running.url.endswith("/")
    assert len(running.papers()) > 0
    assert get(running.url + ".nojekyll")[0] == 200
    assert not (tmp_path / "_site").exists()
    assert not [path for path in tmp_path.rglob("*.html") if "templates" not in path.parts]
    assert running.interrupt() == 0
    assert "Traceback" not in running.printed("err")
    assert running.stdout_after_exit()[-1] == "stopped\n"
    with pytest.raises(OSError):
        urllib.request.urlopen(running.url, timeout=5)


def test_a_second_ctrl_c_during_shutdown_still_stops_cleanly(preview):
    running = preview()
    assert len(running.papers()) > 0
    running.process.send_signal(signal.SIGINT)
    running.process.send_signal(signal.SIGINT)  # as a terminal signalling the process group does
    assert running.process.wait(timeout=30) == 0
    assert "Traceback" not in running.printed("err")


def test_a_new_seed_file_is_read_and_the_new_paper_served(preview):
    running = preview()
    before = titles(running.papers())
    (running.seeds / "new.txt").write_text(NEW_PAPER, encoding="utf-8")
    running.wait_for_line("changed: ")
    running.wait_for_line("updated (data)")
    after = titles(running.papers())
    assert after == before | {"Zebra Finches Teach Transformers to Sing"}
    assert running.interrupt() == 0


def test_a_broken_seed_is_reported_and_the_last_good_site_stays(preview):
    running = preview()
    good = running.papers()
    (running.seeds / "broken.txt").write_bytes(b"A title\n\nAn abstract \xff\xfe broken.\n")
    errors = running.wait_for_stderr(STILL_SERVED)
    assert "broken.txt" in errors and "error:" in errors and "Traceback" not in errors
    assert running.papers() == good
    # Fixed: the next update goes through, and its warnings name file and line.
    (running.seeds / "broken.txt").write_text(BAD_DATE, encoding="utf-8")
    warnings = running.wait_for_stderr("broken.txt:7: warning")
    assert "impossible date" in warnings
    running.wait_for_line("updated ")
    assert "Impossible Dates in Listings" in titles(running.papers())
    assert running.interrupt() == 0
    assert "Traceback" not in running.printed("err")


def test_a_broken_site_toml_is_reported_with_its_line_and_the_site_stays(preview):
    running = preview()
    good = running.papers()
    (running.site_src / "site.toml").write_text('title = "Papers"\ntitle = = broken\n', encoding="utf-8")
    errors = running.wait_for_stderr(STILL_SERVED)
    assert "site.toml:2: error: not valid TOML" in errors and "Traceback" not in errors
    assert running.papers() == good
    assert running.interrupt() == 0


def test_build_options_work_before_or_after_serve():
    from paper_catalogue.cli import make_parser

    parse = make_parser().parse_args
    plain = parse([])
    assert plain.command is None and plain.seeds == Path("seeds") and plain.out is None
    before = parse(["--seeds", "a", "--strict", "serve", "--port", "0"])
    assert (before.command, before.seeds, before.strict, before.port) == ("serve", Path("a"), True, 0)
    after = parse(["serve", "--seeds", "b", "--host", "::1", "--base-url", "http://x/"])
    assert (after.seeds, after.host, after.base_url, after.port) == (Path("b"), "::1", "http://x/", 8000)
    assert after.out is None and after.quiet is False


def test_serve_refuses_out_since_it_writes_no_site(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "serve", "--port", "0", "--out",
                             str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "serve writes no site" in result.stderr
    assert not (tmp_path / "out").exists()


def test_help_explains_build_and_serve():
    top = subprocess.run([sys.executable, str(ROOT / "build.py"), "--help"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    serve = subprocess.run([sys.executable, str(ROOT / "build.py"), "serve", "--help"], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert top.returncode == serve.returncode == 0
    assert "serve" in top.stdout and "--strict" in top.stdout and "exit codes" in top.stdout
    for word in ("--port", "--host", "--seeds", "--base-url", "127.0.0.1", "Ctrl-C", "search index"):
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


def test_a_taken_port_is_a_clear_error(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, str(ROOT / "build.py"), "serve", "--port", str(port), "--seeds", str(FIXTURE_SEEDS)],
            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"cannot serve on 127.0.0.1:{port}" in result.stderr and "Traceback" not in result.stderr


def test_a_build_beside_the_preview_changes_nothing_it_serves(preview, tmp_path):
    running = preview()
    page = get(running.url)[2]
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--out", str(tmp_path / "_site"),
                             "--cache", str(tmp_path / "cache"), "--base-url", "https://example.org/x/",
                             "--quiet"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert get(running.url)[2] == page
    assert running.interrupt() == 0


def test_a_seeds_folder_removed_and_made_again_is_still_watched(preview):
    running = preview()
    shutil.rmtree(running.seeds)
    running.wait_for_line("changed: ")
    running.wait_for_stderr(STILL_SERVED)  # no seeds folder: an error, the site stays
    running.seeds.mkdir()
    shutil.copy(FIXTURE_SEEDS / "000_compact.txt", running.seeds)
    running.wait_for_line("updated ")
    (running.seeds / "new.txt").write_text(NEW_PAPER, encoding="utf-8")
    running.wait_for_line("updated ")
    assert "Zebra Finches Teach Transformers to Sing" in titles(running.papers())
    assert running.interrupt() == 0
    assert "Traceback" not in running.printed("err")


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


def navigations(page) -> list[str]:
    """Main-frame navigations of a page, as they happen: a reload adds one."""
    loads: list[str] = []
    page.on("framenavigated", lambda frame: frame == page.main_frame and loads.append(frame.url))
    return loads


@pytest.mark.browser
@pytest.mark.parametrize("mount", ["/", "/repo/"])
def test_open_pages_show_a_failure_and_reload_after_a_good_edit_under_the_site_csp(chromium, tmp_path, mount):
    from playwright.sync_api import expect

    served = Served(copy_inputs(tmp_path), mount=mount)
    page = chromium.new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    loads = navigations(page)
    try:
        page.goto(served.paper_url())
        wait_until(lambda: served.state.listeners == 1)
        title = page.text_content("h1")
        # A failed edit: the page stays, and says why in the console.
        with page.expect_console_message(lambda message: "the edit failed" in message.text,
                                         timeout=30_000) as failed:
            served.state.fail("seeds/x.txt: not UTF-8")
        assert "seeds/x.txt: not UTF-8" in failed.value.text
        assert page.text_content("h1") == title
        # ...and over the page, drawn by the external script with its same-origin style sheet.
        expect(page.locator("#preview-error")).to_contain_text("seeds/x.txt: not UTF-8", timeout=30_000)
        expect(page.locator("#preview-error")).to_have_css("position", "fixed")  # once its sheet loads
        # A located error: its file and line, the message as text (never markup), the lines around it.
        template = tmp_path / "bad.html"
        template.write_text("".join(f"<p>line {n}</p>\n" for n in range(1, 9)), encoding="utf-8")
        problem = Diagnostic(str(template), 5, "'papr' is <b>undefined</b>", "error")
        served.state.fail(str(problem), [problem])
        overlay = page.locator("#preview-error")
        expect(overlay).to_contain_text(f"{template}:5", timeout=30_000)
        expect(overlay).to_contain_text("'papr' is <b>undefined</b>")
        assert overlay.locator("b").count() == 0
        expect(overlay.locator(".preview-error-at")).to_have_text("    5  <p>line 5</p>")
        assert overlay.locator("pre span").count() == 5  # lines 3 to 7
        # A good edit: the page reloads and shows the new template.
        paper_html = served.options.templates / "paper.html"
        paper_html.write_text(paper_html.read_text(encoding="utf-8").replace(
            "</article>", '<p id="edited">version two</p></article>', 1), encoding="utf-8")
        served.update(TEMPLATES)
        # A locator, not wait_for_function: the page's CSP forbids evaluating strings.
        expect(page.locator("#edited")).to_have_text("version two", timeout=30_000)
        expect(page.locator("#preview-error")).to_have_count(0)
        assert len(loads) == 2  # the first load and one reload: none for the failed edits
        assert not [text for text in messages if "Content Security Policy" in text], messages
    finally:
        page.close()
        served.stop()


@pytest.mark.browser
def test_a_template_edited_under_serve_shows_in_the_open_page_and_other_pages_stay(chromium, preview):
    from playwright.sync_api import expect

    running = preview("--quiet")
    paper, home = chromium.new_page(), chromium.new_page()
    paper_loads, home_loads = navigations(paper), navigations(home)
    try:
        home.goto(running.url)
        home.click("main a[href^='/papers/'][href$='/']")  # a paper page, as a reader gets there
        paper.goto(home.url)
        home.goto(running.url)
        template = running.templates / "paper.html"
        template.write_text(template.read_text(encoding="utf-8").replace(
            "</article>", '<p id="edited">a template edit</p></article>', 1), encoding="utf-8")
        expect(paper.locator("#edited")).to_have_text("a template edit", timeout=30_000)
        running.wait_for_line("updated (templates)")
        time.sleep(1.5)  # time enough for a reload the home page must not get
        assert len(paper_loads) == 2 and len(home_loads) == 3  # home: twice by hand, no reload
    finally:
        paper.close()
        home.close()
    assert running.interrupt() == 0


@pytest.mark.browser
def test_the_search_page_says_its_index_is_being_made_and_reloads_when_it_is_ready(chromium, preview):
    from playwright.sync_api import expect

    running = preview("--quiet")
    page = chromium.new_page()
    try:
        status, _, body = get(running.url + "search/")
        assert status == 200 and TAG.search(body).group(3)  # pending, straight after the start
        loads = navigations(page)
        page.goto(running.url + "search/")
        if page.locator("#preview-search-notice").count():  # still being made when the page loaded
            expect(page.locator("#preview-search-notice")).to_contain_text("being brought up to date")
            expect(page.locator("#preview-search-notice")).to_have_count(0, timeout=60_000)
            assert len(loads) == 2  # reloaded once, when the index was ready
        running.wait_for_line("search index ready")
        assert get(running.url + "pagefind/pagefind.js")[0] == 200
        page.fill("#site-search", "speculative decoding")
        page.keyboard.press("Enter")
        expect(page.locator("#search-results")).to_contain_text("Speculative Decoding with a Draft Model",
                                                                timeout=30_000)
    finally:
        page.close()
    assert running.interrupt() == 0


def test_a_catalogue_indexed_in_parts_is_previewed_with_every_part(tmp_path, preview):
    copy_inputs(tmp_path)
    shutil.rmtree(tmp_path / "seeds")
    shutil.copytree(REAL_SEEDS, tmp_path / "seeds")
    with (tmp_path / "site_src" / "site.toml").open("a", encoding="utf-8") as settings:
        settings.write("\nsearch_pages_per_index = 100\n")
    running = preview("--quiet")
    running.wait_for_line("search index ready")
    _, _, search_page = get(running.url + "search/")
    mount = urlsplit(running.url).path
    assert f'data-bundles="{mount}pagefind/ {mount}pagefind/2/ {mount}pagefind/3/"'.encode() in search_page
    for bundle in ("pagefind/", "pagefind/2/", "pagefind/3/"):
        status, _, body = get(running.url + bundle + "pagefind-entry.json")
        assert status == 200 and b'"languages"' in body
    assert running.interrupt() == 0
