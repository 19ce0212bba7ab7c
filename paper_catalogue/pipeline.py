"""build(): the ordered stages that turn seeds into a site.

The order, and why:
1. read     - every seed file -> entries -> merged papers, and the site owner's settings,
              taxonomy and topic overrides (validated here, once);
2. topics   - assign each paper its topics (needs every paper);
3. related  - similar papers, by tf-idf (needs the whole catalogue, not the topics: on a large
              catalogue it runs in a child process while topics are assigned);
4. render   - every output file as bytes, paper pages in batches;
5. write    - the only stage that touches the output: each batch goes into a staging folder as
              soon as it is rendered, so the disk works while the CPU renders the next;
6. index    - Pagefind, over lean copies of the paper pages as soon as they are all written,
              reusing the previous bundle's unchanged files; then the atomic swap.
Like MkDocs, nothing reaches the output folder until everything has been read, validated,
rendered and indexed."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from itertools import chain
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .cache import Cache, code_version, digest, file_digest, folder_digest
from .catalogue import merge_entries
from .config import load_site_config
from .diagnostics import BuildError, Diagnostic
from .export import papers_json
from .vocabulary import vocabulary_files
from .forked import Forked
from .heap import fewer_collections, freeze_heap
from .models import Catalogue, Entry, SiteConfig
from .render import Renderer, make_environment, merged, static_files
from .reuse import PreviousOutput, content_hashes
from .search import PagefindRun, is_paper_page
from .search_sources import SearchSources
from .seeds import read_seed_file, seed_digest, seed_files
from .topics import TopicReport, assign_topics, load_taxonomy, load_topic_overrides
from .urls import EXPORT_URL, output_path, paper_url
from .writer import check_output_folder, remove_leftovers, staged_site


@dataclass(frozen=True)
class BuildOptions:
    """What the command line chose; paths relative to the working folder."""

    seeds: Path = Path("seeds")
    out: Path = Path("_site")
    site_src: Path = Path("site_src")
    templates: Path = Path("templates")
    static: Path = Path("static")
    base_url: str | None = None
    strict: bool = False
    search_index: bool = True
    """Build the Pagefind index; tests of other stages may skip it to save a second per build."""
    cache: Path | None = None
    """Where earlier builds' results are kept for reuse (None: build everything from scratch)."""


@dataclass
class BuildResult:
    """What a build made and what it had to work around."""

    catalogue: Catalogue
    config: SiteConfig
    warnings: list[Diagnostic] = field(default_factory=list)
    files: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    """Wall seconds per stage, in pipeline order."""
    topic_report: TopicReport | None = None
    """Papers per topic; None when site_src has no topics.toml."""


class StrictFailure(BuildError):
    """--strict was given and the build had warnings; they travel with the error to be shown."""

    def __init__(self, warnings: list[Diagnostic]) -> None:
        super().__init__(f"{len(warnings)} warning(s), and --strict makes warnings fatal")
        self.warnings = warnings


def read_catalogue(seeds: Path, config: SiteConfig, cache: Cache | None = None
                   ) -> tuple[Catalogue, list[Diagnostic]]:
    """Stage 1: every seed file, in name order, into one merged, validated catalogue."""
    catalogue, warnings, _ = read_catalogue_keyed(seeds, config, cache or Cache(None))
    return catalogue, warnings


def read_catalogue_keyed(seeds: Path, config: SiteConfig, cache: Cache
                         ) -> tuple[Catalogue, list[Diagnostic], str]:
    """read_catalogue, reusing parsed files and the merged catalogue when their bytes are unchanged;
    also returns the key that names this exact input."""
    paths = seed_files(seeds)
    file_keys = [digest(code_version(), str(path), str(config.capture_year), seed_digest(path))
                 for path in paths]
    key = digest(*file_keys)
    cached = cache.get("catalogue", key)
    if cached is not None:
        return cached[0], list(cached[1]), key
    entries: list[Entry] = []
    warnings: list[Diagnostic] = []
    for path, file_key in zip(paths, file_keys):
        result = cache.get("seed", file_key)
        if result is None:
            result = read_seed_file(path, capture_year=config.capture_year)
            cache.put("seed", file_key, result)
        entries.extend(result.entries)
        warnings.extend(result.warnings)
    catalogue = Catalogue(papers=merge_entries(entries))
    cache.put("catalogue", key, (catalogue, warnings))
    return catalogue, warnings, key


def render_files(catalogue: Catalogue, config: SiteConfig, options: BuildOptions) -> dict[PurePosixPath, bytes]:
    """Stage 4: every output file, as bytes keyed by its path in the site."""
    return merged(render_batches(catalogue, config, options))


def render_batches(catalogue: Catalogue, config: SiteConfig, options: BuildOptions,
                   renderer: Renderer | None = None) -> Iterator[dict[PurePosixPath, bytes]]:
    """Stage 4 in batches: paper pages as the workers finish them, then every other file."""
    renderer = renderer or Renderer(make_environment(options.templates), config)
    paths: list[PurePosixPath] = []
    for batch in renderer.render_batches(catalogue, options.site_src):
        paths.extend(batch)
        yield batch
    files = renderer.machine_files(paths, catalogue)  # the sitemap lists every page above
    files.update(static_files(options.static))
    files[PurePosixPath(EXPORT_URL)] = papers_json(catalogue)
    files.update(vocabulary_files(catalogue))
    yield files


def hosting_files(config: SiteConfig) -> dict[PurePosixPath, bytes]:
    """GitHub Pages' files: `.nojekyll` always (serve the files as they are, no Jekyll pass),
    and `CNAME` when the site owner set a custom domain."""
    files = {PurePosixPath(".nojekyll"): b""}
    if config.cname:
        files[PurePosixPath("CNAME")] = f"{config.cname.strip()}\n".encode("utf-8")
    return files


BACKGROUND_RELATED_FROM = 2000
"""From this many papers on, related papers are searched in a child process while topics are
assigned; below, both take well under a second and forking would cost more than it saves."""

class RelatedSearch:
    """The related-paper links of a build: the cache's, when the catalogue's titles and abstracts
    are unchanged; else searched in a child process started at once (from BACKGROUND_RELATED_FROM
    papers), or in this process when links() is first called. Related papers read only titles and
    abstracts, so the catalogue before topic assignment gives the same links as after."""

    def __init__(self, catalogue: Catalogue, cache: Cache, key: str, running: ExitStack) -> None:
        self._catalogue, self._cache, self._key = catalogue, cache, key
        self._links = cache.get("related", key)
        self._child: Forked | None = None
        if self._links is None and len(catalogue.papers) >= BACKGROUND_RELATED_FROM:
            from .related import related_links
            self._child = running.enter_context(Forked(related_links, catalogue))

    @property
    def cached(self) -> bool:
        return self._links is not None

    def links(self) -> dict:
        if self._links is None:
            if self._child is not None:
                self._links = self._child.result()
            else:
                from .related import related_links
                self._links = related_links(self._catalogue)
            self._cache.put("related", self._key, self._links)
        return self._links


Progress = Callable[[str, str], None]
"""Called with (stage, message) as stages finish; the CLI shows it, tests and benchmarks may ignore it."""


Ticker = Callable[[str, str], None]
"""Called during a long stage with how far it has got; a terminal shows it on one line, which the
stage's own progress line then replaces."""


def _quiet(stage: str, message: str) -> None:
    pass


def build(options: BuildOptions, progress: Progress = _quiet, ticker: Ticker = _quiet) -> BuildResult:
    """Run every stage in order; raises BuildError (or StrictFailure) without touching the output."""
    with fewer_collections():
        return _build(options, progress, ticker)


def _build(options: BuildOptions, progress: Progress, ticker: Ticker) -> BuildResult:
    timings: dict[str, float] = {}

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        timings[name] = time.perf_counter() - started

    # Refuse a dangerous output folder before any work, not after minutes of it.
    check_output_folder(options.out, [options.seeds, options.site_src, options.templates, options.static])
    # A build killed outright leaves its staging folder; clear it even if this one writes nothing.
    remove_leftovers(options.out.absolute())
    cache = Cache(options.cache)
    with stage("read"):
        config = load_site_config(options.site_src / "site.toml", options.base_url)
        catalogue, warnings, key = read_catalogue_keyed(options.seeds, config, cache)
        taxonomy = load_taxonomy(options.site_src / "topics.toml")
        overrides = load_topic_overrides(options.site_src / "topic_overrides.toml")
        related_key = digest(key, "related")  # related papers read only titles and abstracts
        if taxonomy is not None:
            key = digest(key, _file_or_absent(options.site_src / "topics.toml"),
                         _file_or_absent(options.site_src / "topic_overrides.toml"))
        previous = PreviousOutput(cache, options.out)
        context = digest(code_version(), config.model_dump_json(), folder_digest(options.templates),
                         folder_digest(options.static), folder_digest(options.site_src / "pages"),
                         str(options.search_index))
        render_key = digest(key, context)
        # Known before topics and related papers: when the output already is what this build
        # would write, the related-paper links (a second of loading at 10,000 papers) are not needed.
        up_to_date = previous.up_to_date(render_key)
    freeze_heap()  # the catalogue lives to the end of the build: no collection need traverse it
    progress("read", f"{len(catalogue.papers)} papers, {len(warnings)} warnings")
    with ExitStack() as running:
        # Topic assignment and the related-paper search need nothing from each other: on a large
        # catalogue the search starts in a child process now and runs while topics are assigned.
        related = None if up_to_date else RelatedSearch(catalogue, cache, related_key, running)
        topic_report = None
        with stage("topics"):
            if taxonomy is not None:
                assigned = cache.get("topics", key)
                if assigned is None:
                    assigned = assign_topics(catalogue, taxonomy, overrides)
                    cache.put("topics", key, assigned)
                catalogue, topic_report = assigned.catalogue, assigned.report
                warnings.extend(assigned.warnings)
        progress("topics", f"{len(catalogue.topics)} topics")
        if options.strict and warnings:
            raise StrictFailure(warnings)
        with stage("related"):
            if related is not None:
                from .related import with_related  # numpy and scipy: only when needed

                if not related.cached:
                    ticker("related", f"comparing {len(catalogue.papers):,} papers")
                catalogue = with_related(catalogue, related.links())
    result = BuildResult(catalogue=catalogue, config=config, warnings=warnings, timings=timings,
                         topic_report=topic_report)
    started = time.perf_counter()
    if up_to_date:
        progress("related", "unchanged, not needed")
        timings["render"] = time.perf_counter() - started
        result.files = len(previous.record.hashes)
        progress("render", f"nothing changed: {options.out} is up to date")
        return result
    progress("related", f"{sum(len(p.related) for p in catalogue.papers)} links")
    writing: dict[str, float] = {}
    renderer = Renderer(make_environment(options.templates), config,
                        context=context if options.cache is not None else None, reuse=previous.page_reuse())
    hashes = _render_and_write(catalogue, config, options, renderer, previous, writing, progress, ticker)
    previous.remember(render_key, hashes, renderer.view_digests)
    timings["render"] = time.perf_counter() - started - sum(writing.values())
    timings.update(writing)  # write, then index, in the order the stages are listed
    progress("write", f"{options.out}")
    result.files = len(hashes)
    return result


def _render_and_write(catalogue: Catalogue, config: SiteConfig, options: BuildOptions, renderer: Renderer,
                      previous: PreviousOutput, timings: dict[str, float], progress: Progress,
                      ticker: Ticker) -> dict[str, str]:
    """Stages 4 to 6: render, write and index into a staging folder, then swap it in.

    Each batch of pages is written as soon as it is rendered, while the workers render the
    next, so rendering (the CPU) and writing (mostly the disk) overlap. Pagefind reads only the
    paper pages: it starts as soon as the last one is written, while the lists, topic pages,
    feeds and papers.json are made. timings["write"] is the time spent writing and swapping,
    timings["index"] the time spent waiting for Pagefind once everything else is written; the
    caller counts the rest as rendering. Returns the hash of every file written.
    """
    hashes: dict[str, str] = {}
    unchanged: set[PurePosixPath] = set()
    timings["write"] = 0.0
    pages_left = {output_path(paper_url(paper.id)) for paper in catalogue.papers}
    search: PagefindRun | None = None
    with ExitStack() as running:
        # Entered first, left last: Pagefind is stopped (on failure) before staging is removed.
        site = running.enter_context(
            staged_site(options.out, spare=previous.spare(), keep_retired=previous.retired_to()))
        # Lean copies of the paper pages for Pagefind, made as each batch is written (search_sources.py).
        sources = running.enter_context(SearchSources()) if options.search_index else None

        def start_search() -> PagefindRun | None:
            # On the staging folder, before the swap: a Pagefind failure leaves the previous site.
            site.prune(is_paper_page)  # a paper page left from the spare must not be indexed
            if previous.search_index_reusable(hashes, frozenset(unchanged)):
                return None
            ticker("index", f"Pagefind is indexing {len(catalogue.papers):,} paper pages")
            return running.enter_context(PagefindRun(site.folder, carry_from=previous.search_bundle(),
                                                     sources=sources.folder if sources else None))

        started_search = False
        for batch in chain(render_batches(catalogue, config, options, renderer), [hosting_files(config)]):
            batch_hashes = content_hashes(batch)
            started = time.perf_counter()
            same = previous.unchanged(batch_hashes)
            site.write(batch, same, batch_hashes)
            if sources is not None:
                sources.add(batch)
            timings["write"] += time.perf_counter() - started
            hashes.update(batch_hashes)
            unchanged |= same
            pages_left.difference_update(batch)
            if options.search_index and not pages_left and not started_search:
                search, started_search = start_search(), True
            else:
                ticker("render", f"{len(hashes):,} files written")
        started = time.perf_counter()
        site.prune()
        timings["write"] += time.perf_counter() - started
        progress("render", f"{len(hashes)} files, {len(unchanged)} unchanged, "
                           f"{renderer.reused} paper pages reused unrendered"
                           + (f", {site.kept} kept from the spare site and {site.removed} removed from it"
                              if site.from_spare else ""))
        if options.search_index:
            started = time.perf_counter()
            if not started_search:  # every paper page is written above; should one not be, index all the same
                search = start_search()
            if search is None:
                previous.link_search_index(site.folder)
                progress("index", "no page changed: search index kept")
            else:
                ticker("index", f"Pagefind is indexing {len(catalogue.papers):,} paper pages")
                pages = search.finish(expected_pages=len(catalogue.papers))
                progress("index", f"{pages} pages in the search index"
                                  + (f", {search.carried - search.pruned} of its files carried over from the last"
                                     if search.carried else ""))
            timings["index"] = time.perf_counter() - started
        started = time.perf_counter()
    timings["write"] += time.perf_counter() - started  # the swap
    return hashes


def _file_or_absent(path: Path) -> str:
    return file_digest(path) if path.exists() else "absent"
