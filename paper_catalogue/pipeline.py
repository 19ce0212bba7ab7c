"""build(): the ordered stages that turn seeds into a site.

The stages, in order, and why:
1. read    - every seed file -> entries -> merged papers, and the site owner's settings,
             taxonomy and topic overrides (validated here, once);
2. topics  - assign each paper its topics (needs every paper);
3. related - similar papers, by tf-idf over titles and abstracts (needs every paper);
4. render  - the paper pages as bytes, in memory (in a process pool when there are many);
5. write   - the paper pages into a staging folder beside the output;
6. index   - Pagefind's CLI over the paper pages there, as its docs say: after they exist. It
             runs while the other pages, feeds and data are rendered (4) and written (5);
7. swap    - the staging folder replaces the output in one step.
Like MkDocs, nothing reaches the output folder until everything has been read, validated,
rendered and indexed; a failure anywhere leaves the previous output as it was.

The cache (cache.py) holds data, never output files: parsed seed files, the merged catalogue,
topic assignments, related links and the finished search bundle, each keyed by a digest of
exactly its inputs. A build whose inputs are those the current output was built from says so
and stops once its warnings are known.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .cache import Cache, code_version, digest, file_digest, folder_digest
from .catalogue import author_macro_note, merge_entries
from .citations import bib_files
from .config import load_site_config
from .diagnostics import BuildError, Diagnostic
from .export import export_files
from .models import Catalogue, Entry, SiteConfig
from .render import MarkdownPage, Renderer, make_environment, static_files
from .search import BUNDLE_DIR, PagefindRun, index_parts, search_key
from .api_records import is_api_seed, read_api_file
from .seeds import FileResult, read_seed_file, seed_digest, seed_files, seed_name
from .topics import Taxonomy, TopicOverrides, TopicReport, assign_topics, load_taxonomy, load_topic_overrides
from .views import DateOrder, date_order
from .vocabulary import vocabulary_files
from .writer import check_output_folder, remove_leftovers, staged_site

Files = dict[PurePosixPath, bytes]


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
    """Where earlier builds' data is kept for reuse (None: compute everything)."""
    own_process: bool = False
    """The build is all its process does (the command line): once Pagefind runs, the process
    lowers its own priority (BESIDE_INDEX_NICENESS) for the rest of the build, so that Pagefind,
    which the build ends by waiting for, gets the cores first. A caller that goes on after the
    build (a test, a notebook) keeps its priority, since a process cannot raise it again."""


BESIDE_INDEX_NICENESS = 10
"""How much lower than Pagefind's the rest of the build's priority is while Pagefind runs (Unix
niceness). Pagefind parses the pages on every core, and the build's other pages, export and
vocabulary would take a share of them; made at a lower priority, they mostly fill the time
Pagefind leaves a core idle (it writes its bundle on one core). 10,000 papers: 19.1 s against
20.1 s (BENCHMARKS.md)."""


@dataclass
class BuildResult:
    """What a build made and what it had to work around."""

    catalogue: Catalogue
    config: SiteConfig
    warnings: list[Diagnostic] = field(default_factory=list)
    files: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    """Wall seconds per stage, in pipeline order."""
    cpu: dict[str, float] = field(default_factory=dict)
    """CPU seconds per stage (user and system) of this process and the children it waited for in
    the stage: the render pool's workers in render, Pagefind in the stage it ends in (index, where it
    is waited for; a part of an index in parts may end while the other pages are made)."""
    topic_report: TopicReport | None = None
    """Papers per topic; None when site_src has no topics.toml."""
    up_to_date: bool = False
    """Nothing the site depends on changed since the output was built: nothing was written."""
    index_start: tuple[float, float] | None = None
    """Wall and CPU seconds (as in `cpu`) from the build's start to the search index's start: the
    work Pagefind waits for, since it reads the paper pages once they are written (with the bundle
    from the cache, the point where it would have started). None without a search index."""


class StrictFailure(BuildError):
    """--strict was given and the build had warnings; they travel with the error to be shown."""

    def __init__(self, warnings: list[Diagnostic]) -> None:
        super().__init__(f"{len(warnings)} warning(s), and --strict makes warnings fatal")
        self.warnings = warnings


Progress = Callable[[str, str], None]
"""Called with (stage, message) as stages finish; the CLI shows it, tests and benchmarks may ignore it."""

Ticker = Callable[[str, str], None]
"""Called during a long stage with what it is doing; a terminal shows it on one line, which the
stage's own progress line then replaces."""


def _quiet(stage: str, message: str) -> None:
    pass


@dataclass(frozen=True)
class Inputs:
    """Everything the read stage validated, and the digests that key what is computed from it."""

    config: SiteConfig
    catalogue: Catalogue
    warnings: tuple[Diagnostic, ...]
    taxonomy: Taxonomy | None
    overrides: TopicOverrides
    catalogue_key: str
    """The seed files' bytes (and how they were read): keys related papers."""
    topics_key: str
    """The catalogue and the taxonomy files: keys the topic assignment."""
    site_key: str
    """Everything the output depends on: equal keys, byte-identical output."""


def build(options: BuildOptions, progress: Progress = _quiet, ticker: Ticker = _quiet) -> BuildResult:
    """Run every stage in order; raises BuildError (or StrictFailure) without touching the output."""
    try:
        return _build(options, progress, ticker)
    finally:
        gc.unfreeze()  # what the stages froze is the collector's again once the build is over


def _build(options: BuildOptions, progress: Progress, ticker: Ticker) -> BuildResult:
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}
    began, cpu_began = time.perf_counter(), _cpu_seconds()

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        started, cpu_started = time.perf_counter(), _cpu_seconds()
        yield
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - started
        cpu[name] = cpu.get(name, 0.0) + _cpu_seconds() - cpu_started
        if name in ("read", "topics", "related"):
            # What these stages made (the catalogue, its topics and links) lives until the end of
            # the build: frozen, the collector stops scanning it again and again (1.6 cpu-s of
            # collections at 10,000 papers, 0.7 frozen), and forked workers leave its pages shared.
            gc.freeze()

    # Refuse a dangerous output folder before any work, not after minutes of it.
    check_output_folder(options.out, [options.seeds, options.site_src, options.templates, options.static])
    remove_leftovers(options.out.absolute())  # a build killed outright leaves its staging folder
    cache = Cache(options.cache)

    with stage("read"):
        inputs = read_inputs(options, cache)
    progress("read", f"{len(inputs.catalogue.papers)} papers, {len(inputs.warnings)} warnings")
    result = BuildResult(inputs.catalogue, inputs.config, list(inputs.warnings), timings=timings, cpu=cpu)

    with stage("topics"):
        catalogue, result.topic_report, topic_warnings = topics_stage(inputs, cache)
    result.warnings += topic_warnings
    progress("topics", f"{len(catalogue.topics)} topics")
    if options.strict and any(warning.severity == "warning" for warning in result.warnings):
        raise StrictFailure(result.warnings)
    if cache.output_is(options.out, inputs.site_key):
        result.catalogue, result.up_to_date = catalogue, True
        progress("topics", f"nothing changed: {options.out} is up to date")
        return result

    with stage("related"):
        ticker("related", f"comparing {len(catalogue.papers):,} papers")
        catalogue = related_stage(catalogue, inputs.catalogue_key, cache)
    result.catalogue = catalogue
    progress("related", f"{sum(len(p.related) for p in catalogue.papers)} links")

    with stage("render"):
        ticker("render", f"rendering {len(catalogue.papers):,} paper pages")
        renderer, site_pages, order, paper_pages = render_paper_pages(catalogue, inputs.config, options)

    with staged_site(options.out) as site:
        with stage("write"):
            site.write(paper_pages)
        indexing = index_stage(paper_pages, site.folder, catalogue, inputs.config, cache) if options.search_index \
            else nullcontext(None)
        # Written, and read by Pagefind from the disk: from here on only their paths are needed.
        paper_paths = list(paper_pages)
        del paper_pages
        with indexing as indexed:
            # Pagefind reads the paper pages while the rest of the site is made and written.
            if indexed is not None:
                result.index_start = (time.perf_counter() - began, _cpu_seconds() - cpu_began)
                if options.own_process and hasattr(os, "nice"):
                    os.nice(BESIDE_INDEX_NICENESS)
            with stage("render"):
                files = other_files(renderer, catalogue, site_pages, options, paper_paths, order.cite_keys)
            progress("render", f"{len(paper_paths)} paper pages, {len(files)} other files")
            with stage("write"):
                site.write(files)
            progress("write", f"{len(paper_paths) + len(files)} files")
            if indexed is not None:
                with stage("index"):
                    ticker("index", f"Pagefind is indexing {len(catalogue.papers):,} paper pages")
                    reused = indexed()
                progress("index", "search index unchanged, taken from the cache" if reused
                         else f"{len(catalogue.papers)} pages in the search index")
        started, cpu_started = time.perf_counter(), _cpu_seconds()
    timings["write"] += time.perf_counter() - started  # the swap
    cpu["write"] += _cpu_seconds() - cpu_started
    if cache.folder is not None:  # the record is a scan of every file written: none without a cache
        cache.record_output(options.out, inputs.site_key)
    result.files = len(paper_paths) + len(files)
    return result


def read_inputs(options: BuildOptions, cache: Cache) -> Inputs:
    """Stage 1: the settings, every seed file (parsed files come from the cache when their bytes
    are unchanged), the taxonomy and the topic overrides."""
    config = load_site_config(options.site_src / "site.toml", options.base_url)
    catalogue, warnings, catalogue_key = read_catalogue_keyed(options.seeds, config, cache)
    topics_toml = options.site_src / "topics.toml"
    overrides_toml = options.site_src / "topic_overrides.toml"
    taxonomy = load_taxonomy(topics_toml)
    overrides = load_topic_overrides(overrides_toml)
    topics_key = digest(catalogue_key, _file_or_absent(topics_toml), _file_or_absent(overrides_toml))
    site_key = digest(topics_key, config.model_dump_json(), folder_digest(options.templates),
                      folder_digest(options.static), folder_digest(options.site_src / "pages"),
                      str(options.search_index))
    return Inputs(config, catalogue, tuple(warnings), taxonomy, overrides, catalogue_key, topics_key, site_key)


def read_catalogue(seeds: Path, config: SiteConfig, cache: Cache | None = None
                   ) -> tuple[Catalogue, list[Diagnostic]]:
    """Every seed file, in name order, into one merged, validated catalogue."""
    catalogue, warnings, _ = read_catalogue_keyed(seeds, config, cache or Cache(None))
    return catalogue, warnings


def read_catalogue_keyed(seeds: Path, config: SiteConfig, cache: Cache
                         ) -> tuple[Catalogue, list[Diagnostic], str]:
    """read_catalogue, and the key that names this exact input."""
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
        parsed = cache.get("seed", file_key)
        if parsed is None:
            parsed = read_seed(path, seeds, config.capture_year)
            cache.put("seed", file_key, parsed)
        entries.extend(parsed.entries)
        warnings.extend(parsed.warnings)
    catalogue = Catalogue(papers=merge_entries(entries))
    warnings.extend(author_macro_note(catalogue.papers))
    cache.put("catalogue", key, (catalogue, warnings))
    return catalogue, warnings, key


def read_seed(path: Path, seeds: Path, capture_year: int | None) -> FileResult:
    """One seed file: an API record file (*.json, *.jsonl) or a listing dump (*.txt)."""
    if is_api_seed(path):
        return read_api_file(path, str(path), seed_name(path, seeds))
    return read_seed_file(path, capture_year=capture_year)


def topics_stage(inputs: Inputs, cache: Cache) -> tuple[Catalogue, TopicReport | None, list[Diagnostic]]:
    """Stage 2: every paper's topics, from the cache when catalogue and taxonomy are unchanged."""
    if inputs.taxonomy is None:
        return inputs.catalogue, None, []
    assigned = cache.get("topics", inputs.topics_key)
    if assigned is None:
        assigned = assign_topics(inputs.catalogue, inputs.taxonomy, inputs.overrides)
        cache.put("topics", inputs.topics_key, assigned)
    return assigned.catalogue, assigned.report, list(assigned.warnings)


def related_stage(catalogue: Catalogue, catalogue_key: str, cache: Cache) -> Catalogue:
    """Stage 3: related papers read only titles and abstracts, so the seeds' key names them."""
    links = cache.get("related", catalogue_key)
    if links is None:
        from .related import related_links  # numpy and scipy: loaded only when needed

        links = related_links(catalogue)
        cache.put("related", catalogue_key, links)
    return catalogue.with_related(links)


def render_files(catalogue: Catalogue, config: SiteConfig, options: BuildOptions) -> Files:
    """Every output file at once, from the same two parts a build renders apart."""
    renderer, site_pages, order, paper_pages = render_paper_pages(catalogue, config, options)
    return {**paper_pages, **other_files(renderer, catalogue, site_pages, options, paper_pages, order.cite_keys)}


def render_paper_pages(catalogue: Catalogue, config: SiteConfig, options: BuildOptions
                       ) -> tuple[Renderer, list[MarkdownPage], DateOrder, Files]:
    """Stage 4, first part: the paper pages, and the renderer, site_src pages and date order
    (with the cite keys) the rest needs."""
    renderer = Renderer(make_environment(options.templates), config)
    site_pages = renderer.start_site(catalogue, options.site_src)
    order = date_order(catalogue, config.search_pages_per_index)
    return renderer, site_pages, order, renderer.paper_pages(catalogue, order=order)


def other_files(renderer: Renderer, catalogue: Catalogue, site_pages: list[MarkdownPage],
                options: BuildOptions, paper_pages: Iterable[PurePosixPath], keys: dict[str, str]) -> Files:
    """Stage 4, after the paper pages: every other output file, as bytes keyed by its path.
    `paper_pages` are the paper pages' paths (or the pages, keyed by them); `keys` the papers'
    cite keys, as the paper pages' date order holds them."""
    files = renderer.other_pages(catalogue, site_pages)
    files.update(renderer.machine_files([*paper_pages, *files], catalogue))  # the sitemap lists every page
    files.update(static_files(options.static))
    files.update(export_files(catalogue, keys))
    files.update(bib_files(catalogue, keys))
    files.update(vocabulary_files(catalogue))  # the search page's spelling correction
    files.update(hosting_files(renderer.config))
    return files


def hosting_files(config: SiteConfig) -> Files:
    """GitHub Pages' files: `.nojekyll` always (serve the files as they are, no Jekyll pass),
    and `CNAME` when the site owner set a custom domain."""
    files = {PurePosixPath(".nojekyll"): b""}
    if config.cname:
        files[PurePosixPath("CNAME")] = f"{config.cname.strip()}\n".encode("utf-8")
    return files


def index_stage(pages: Files, site: Path, catalogue: Catalogue, config: SiteConfig, cache: Cache
                ) -> AbstractContextManager[Callable[[], bool]]:
    """Stage 6, over the paper pages already written under `site`: Pagefind starts at once and
    indexes them while the build makes the rest of the site; the call this yields waits for it.
    When every page gives Pagefind exactly what it was given before, that call unpacks the cached
    bundle instead. It returns whether the cache served the bundle.

    What the run needs of the pages' bytes (the cache key, the check that each is marked for
    Pagefind) is taken here, so the context manager holds none of them: at 100,000 papers they
    are about a gigabyte the rest of the build need not keep."""
    parts = index_parts((paper.id for paper in catalogue.papers), config.search_pages_per_index)
    return _indexing(search_key(pages, parts), PagefindRun(site, pages, len(catalogue.papers), parts), site, cache)


@contextmanager
def _indexing(key: str, run: PagefindRun, site: Path, cache: Cache) -> Iterator[Callable[[], bool]]:
    bundle = site / BUNDLE_DIR
    cached = cache.holds("search", key)
    with run as pagefind:
        if not cached:
            pagefind.start()

        def finish() -> bool:
            if cached and cache.restore_folder("search", key, bundle):
                return True
            pagefind.finish()
            cache.store_folder("search", key, bundle)
            return False

        yield finish


def _cpu_seconds() -> float:
    """User and system time of this process and of the children it has waited for (none on Windows)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _file_or_absent(path: Path) -> str:
    return file_digest(path) if path.exists() else "absent"
