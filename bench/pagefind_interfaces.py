"""Pagefind's CLI or its Python API over the same paper pages: the measurement behind the build's choice.

    python bench/pagefind_interfaces.py SEEDS [--runs 3] [--work /tmp/pagefind-interfaces]

The catalogue is read, given its topics and related papers once (through a cache in the work
folder), then each run times four ways, alternating, each into a fresh folder:
  cli, alone         - Pagefind's CLI over the paper pages already written (as the build runs it);
  api, alone         - the Python API over the same pages: one add_directory, then write_files;
  cli, in the build  - from the start of rendering the paper pages to a searchable site, as
                       build() does it: the CLI starts once every paper page is written, and
                       indexes while the other pages are rendered and written;
  api, in the build  - the same, with the API given each batch of paper pages (add_directory with
                       a brace glob of its ids) as soon as it is written, while the workers render
                       the next batches; write_files once every page and the other files are in.
Prints a Markdown table of the median seconds, every run's, and for the API the median ratio to
the CLI of the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from paper_catalogue import pipeline, render, workers  # noqa: E402
from paper_catalogue.cache import Cache  # noqa: E402
from paper_catalogue.search import (  # noqa: E402
    BUNDLE_DIR, EXCLUDED_FROM_INDEX, PAPER_PAGES, PagefindRun, pagefind_command)
from paper_catalogue.writer import StagedSite  # noqa: E402

WAYS = {"cli, alone": "cli-alone", "api, alone": "api-alone", "cli, in the build": "cli-build",
        "api, in the build": "api-build"}
"""Each way, and its output folders' name in the work folder."""
SPANS = 16
"""Batches of paper pages: each is given to the API as soon as it is written."""


class Site:
    """The catalogue ready to render (topics and related papers done), and how to render it."""

    def __init__(self, seeds: Path, cache: Path) -> None:
        self.options = pipeline.BuildOptions(seeds=seeds, cache=cache)
        store = Cache(cache)
        inputs = pipeline.read_inputs(self.options, store)
        catalogue, _, _ = pipeline.topics_stage(inputs, store)
        self.catalogue = pipeline.related_stage(catalogue, inputs.catalogue_key, store)
        self.config = inputs.config

    def start(self, out: Path):
        """A renderer, its site_src pages, and an empty staging folder at `out`."""
        renderer = render.Renderer(render.make_environment(self.options.templates), self.config)
        pages = renderer.start_site(self.catalogue, self.options.site_src)
        out.mkdir(parents=True)
        return renderer, pages, StagedSite(out)

    def spans(self) -> list[slice]:
        count = len(self.catalogue.papers)
        step = -(-count // SPANS)
        return [slice(start, min(start + step, count)) for start in range(0, count, step)]


def cli_alone(site: Path, out: Path) -> None:
    subprocess.run(pagefind_command(str(site), str(out)), check=True, stdout=subprocess.DEVNULL)


def api_alone(site: Path, out: Path) -> None:
    async def run() -> None:
        async with _index(out) as index:  # leaving the block writes the files
            await index.add_directory(str(site), glob=PAPER_PAGES)
    asyncio.run(run())


def cli_in_build(site: Site, out: Path) -> None:
    renderer, site_pages, staged = site.start(out)
    order = render.date_order(site.catalogue, renderer.config.search_pages_per_index)
    pages = renderer.paper_pages(site.catalogue, order=order)
    staged.write(pages)
    with PagefindRun(out, pages, len(site.catalogue.papers)) as pagefind:
        pagefind.start()
        staged.write(pipeline.other_files(renderer, site.catalogue, site_pages, site.options, pages,
                                          order.cite_keys))
        pagefind.finish()


_RENDER = None
"""The forked workers' render call: inherited by fork, as in paper_catalogue.workers."""


def _render_span(span: slice):
    return _RENDER(span)


def api_in_build(site: Site, out: Path) -> None:
    global _RENDER
    renderer, site_pages, staged = site.start(out)
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    call = lambda coroutine: asyncio.run_coroutine_threadsafe(coroutine, loop)  # noqa: E731
    index = call(_index(out / BUNDLE_DIR).__aenter__()).result()
    order = render.date_order(site.catalogue, renderer.config.search_pages_per_index)
    _RENDER = lambda span: renderer.paper_pages(site.catalogue, span, order)  # noqa: E731
    pages, added = {}, []
    try:
        with multiprocessing.get_context("fork").Pool(workers.cores(), initializer=workers.quiet_worker) as pool:
            for batch in pool.imap(_render_span, site.spans()):
                staged.write(batch)
                pages.update(batch)
                ids = ",".join(path.parts[1] for path in batch)
                added.append(call(index.add_directory(str(out), glob=f"papers/{{{ids}}}/index.html")))
    finally:
        _RENDER = None
    staged.write(pipeline.other_files(renderer, site.catalogue, site_pages, site.options, pages,
                                      order.cite_keys))
    indexed = sum(future.result()["page_count"] for future in added)
    if indexed != len(site.catalogue.papers):
        raise SystemExit(f"the API indexed {indexed} of {len(site.catalogue.papers)} paper pages")
    call(index.__aexit__(None, None, None)).result()  # write_files, then stop the service
    loop.call_soon_threadsafe(loop.stop)


def _index(out: Path):
    from pagefind.index import IndexConfig, PagefindIndex
    return PagefindIndex(config=IndexConfig(exclude_selectors=list(EXCLUDED_FROM_INDEX), output_path=str(out)))


def timed(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("seeds", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/pagefind-interfaces"))
    args = parser.parse_args(argv)
    work = args.work.absolute()
    shutil.rmtree(work, ignore_errors=True)
    site = Site(args.seeds.absolute(), work / "cache")
    times: dict[str, list[float]] = {way: [] for way in WAYS}
    for run in range(args.runs):
        out = {way: work / f"{name}-{run}" for way, name in WAYS.items()}
        times["cli, in the build"].append(timed(lambda: cli_in_build(site, out["cli, in the build"])))
        times["api, in the build"].append(timed(lambda: api_in_build(site, out["api, in the build"])))
        times["cli, alone"].append(timed(lambda: cli_alone(out["cli, in the build"], out["cli, alone"])))
        times["api, alone"].append(timed(lambda: api_alone(out["cli, in the build"], out["api, alone"])))
        for way, folder in out.items():
            fragments = len(list((folder / BUNDLE_DIR if "build" in way else folder).joinpath("fragment").iterdir()))
            if fragments != len(site.catalogue.papers):
                raise SystemExit(f"{way}: {fragments} fragments for {len(site.catalogue.papers)} papers")
    print(f"| {len(site.catalogue.papers)} paper pages | median | runs | API / CLI, median of the pairs |")
    print("|---|---|---|---|")
    for way in WAYS:
        cli = times[way.replace("api", "cli")]
        ratio = statistics.median(a / c for a, c in zip(times[way], cli)) if way.startswith("api") else 1.0
        runs = ", ".join(f"{seconds:.1f}" for seconds in times[way])
        print(f"| {way} | {statistics.median(times[way]):.2f} s | {runs} | {ratio:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
