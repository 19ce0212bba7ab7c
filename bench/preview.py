"""The preview's time from a file's save to the reloaded page showing the change, measured in Chromium.

    python bench/preview.py [--papers 10000] [--runs 3] [--api]

Makes a synthetic catalogue (bench/synth.py; with --api, as days of API records) and a work folder holding copies of the sample's
site_src (tests/fixtures/sample, whose About page it edits) and the project's templates and static,
starts `python build.py serve` there with an empty cache folder, and drives Debian's Chromium
(/usr/bin/chromium) through Playwright:

- first page: from starting the command to the home page loaded in the browser (the cache is
  empty, as for a cold build; `python build.py --no-cache` over the same seeds is timed after
  it, for comparison);
- template edit: a paper page open, templates/paper.html saved with a new element in the paper's
  article; until the element shows in the reloaded page;
- layout edit: the home page open, templates/base.html saved with a new element in the footer;
- About edit: the About page open, site_src/pages/about.md saved with a new paragraph;
- 20 new papers: the address of one of them open (the site's 404 page), a seed file of 20 new
  papers saved into the seeds (with --api, a file of API records with arXiv ids no other paper
  has); until that paper's page shows its title.

Each edit is undone after it is timed, and the next one waits until the preview has taken the
undo in. The search index is made in the background after each edit, as in everyday use. Figures
are medians of --runs edits; every run is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import queue
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from bench.synth import api_items, load_material, synthetic_entries, write_catalogue  # noqa: E402
from paper_catalogue.seeds import format_spaced  # noqa: E402
from paper_catalogue.urls import paper_id  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NEW_PAPERS = 20
TIMEOUT_MS = 180_000


class Serve:
    """`python build.py serve --port 0` in the work folder, its output read line by line."""

    def __init__(self, work: Path) -> None:
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "build.py"), "serve", "--port", "0", "--quiet", "--cache", str(work / "cache")],
            cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.url = self.wait_for("serving at ").split(" at ", 1)[1].split()[0]

    def _pump(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 600) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.process.poll() is not None:
                    raise RuntimeError(f"serve ended with {self.process.returncode}") from None
                continue
            if text in line:
                return line
            if "error" in line:
                print(f"  serve: {line.rstrip()}", file=sys.stderr)
        raise RuntimeError(f"serve never printed {text!r}")

    def drain(self) -> None:
        while not self.lines.empty():
            self.lines.get_nowait()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


def timed_edit(page, serve: Serve, path: Path, edited: str, shown: str) -> float:
    """Save `edited` into `path` and time until the open page shows `shown` (a Playwright
    selector); then put the file back and wait until the page and the preview have taken it in."""
    original = path.read_text(encoding="utf-8")
    serve.drain()
    started = time.perf_counter()
    path.write_text(edited, encoding="utf-8")
    page.wait_for_selector(shown, timeout=TIMEOUT_MS)
    seconds = time.perf_counter() - started
    serve.wait_for("updated ")
    path.write_text(original, encoding="utf-8")
    serve.wait_for("updated ")
    page.wait_for_selector(shown, state="detached", timeout=TIMEOUT_MS)
    return seconds


def new_papers_file(count: int, run: int, api: bool = False) -> tuple[str, str]:
    """A seed file of `count` papers no catalogue has (titles marked with the run), and the title
    of the one whose page is watched. `api`: as one file of API records, whose arXiv ids (serials
    from 90000 on) no synthetic catalogue uses."""
    entries = [entry.model_copy(update={"title": f"Preview bench {run} paper {number}: {entry.title}"})
               for number, entry in enumerate(synthetic_entries(count, load_material(ROOT / "seeds")))]
    if not api:
        return format_spaced(entries), entries[0].title
    items = [item for day in api_items(entries, random.Random(run)).values() for item in day]
    for number, item in enumerate(items):
        month = item["paper"]["id"].split(".")[0]
        item["paper"]["id"] = f"{month}.{90000 + run * count + number}"
    return json.dumps(items, ensure_ascii=False, indent=1) + "\n", entries[0].title


def timed_new_papers(page, serve: Serve, seeds: Path, run: int, api: bool = False) -> float:
    text, title = new_papers_file(NEW_PAPERS, run, api)
    page.goto(f"{serve.url}papers/{paper_id(title)}/")
    assert "Page not found" in page.title(), page.title()
    target = seeds / f"zz_preview_bench_{run}.{'json' if api else 'txt'}"
    serve.drain()
    started = time.perf_counter()
    target.write_text(text, encoding="utf-8")
    shown = f"h1:has-text({title[:40]!r})"
    page.wait_for_selector(shown, timeout=TIMEOUT_MS)
    seconds = time.perf_counter() - started
    serve.wait_for("updated ")
    target.unlink()
    serve.wait_for("updated ")
    page.wait_for_selector(shown, state="detached", timeout=TIMEOUT_MS)  # back to the 404 page
    return seconds


def cold_build(work: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "build.py"), "--quiet", "--no-cache", "--out", str(work / "_site")],
                   cwd=work, check=True)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the preview from a save to the reloaded page, in Chromium.")
    parser.add_argument("--papers", type=int, default=10_000, help="synthetic catalogue size (default 10000)")
    parser.add_argument("--runs", type=int, default=3, help="edits of each kind (default 3)")
    parser.add_argument("--no-cold-build", action="store_true", help="skip timing a cold build for comparison")
    parser.add_argument("--api", action="store_true",
                        help="the catalogue and the new papers as API records (bench/synth.py --format api)")
    parser.add_argument("--catalogues", type=Path, default=HERE / "out",
                        help="where synthetic catalogues are kept for reuse (default bench/out)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    seeds_cache = args.catalogues / f"{'api' if args.api else 'catalogue'}-{args.papers}" / "seeds"
    write_catalogue(args.papers, seeds_cache, api=args.api)
    with tempfile.TemporaryDirectory(prefix="preview-bench-") as folder:
        work = Path(folder)
        shutil.copytree(seeds_cache, work / "seeds", ignore=shutil.ignore_patterns(".fingerprint"))
        # The sample's site_src, not the site's own, which may have no About page to edit.
        shutil.copytree(ROOT / "tests" / "fixtures" / "sample" / "site_src", work / "site_src")
        for name in ("templates", "static"):
            shutil.copytree(ROOT / name, work / name)
        times: dict[str, list[float]] = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            serve = Serve(work)
            try:
                home = page.goto(serve.url)
                times["first page after start"] = [time.perf_counter() - serve.started]
                assert home is not None and home.ok
                first_paper = page.locator("main a[href*='/papers/'][href$='/']").first.get_attribute("href")
                print(f"first page after start: {times['first page after start'][0]:.2f} s", flush=True)
                paper_html, base_html = work / "templates" / "paper.html", work / "templates" / "base.html"
                about = work / "site_src" / "pages" / "about.md"
                for run in range(args.runs):
                    page.goto(serve.url.rstrip("/") + first_paper)
                    text = paper_html.read_text(encoding="utf-8")
                    edited = text.replace("</article>", f'<p id="bench-{run}">template edit {run}</p></article>', 1)
                    times.setdefault("template edit (paper.html, a paper page open)", []).append(
                        timed_edit(page, serve, paper_html, edited, f"#bench-{run}"))
                    page.goto(serve.url)
                    text = base_html.read_text(encoding="utf-8")
                    edited = re.sub(r"(<footer[^>]*>)", rf'\1<p id="bench-base-{run}">layout edit</p>', text, count=1)
                    times.setdefault("template edit (base.html, the home page open)", []).append(
                        timed_edit(page, serve, base_html, edited, f"#bench-base-{run}"))
                    page.goto(serve.url + "about/")
                    edited = about.read_text(encoding="utf-8") + f"\nAbout edit number {run}.\n"
                    times.setdefault("About edit (site_src/pages/about.md, the About page open)", []).append(
                        timed_edit(page, serve, about, edited, f"text=About edit number {run}."))
                    times.setdefault(f"{NEW_PAPERS} new papers (a new paper's page open)", []).append(
                        timed_new_papers(page, serve, work / "seeds", run, args.api))
                    print("  run", run + 1, {name: f"{values[-1]:.2f}" for name, values in times.items()}, flush=True)
            finally:
                serve.stop()
                browser.close()
        if not args.no_cold_build:
            times["cold build (python build.py --no-cache), for comparison"] = [cold_build(work)]
    print(f"\n{args.papers:,} papers, medians of {args.runs} runs (seconds):")
    for name, values in times.items():
        print(f"  {name}: {statistics.median(values):.2f}  ({', '.join(f'{value:.2f}' for value in values)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
