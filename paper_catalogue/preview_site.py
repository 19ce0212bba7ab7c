"""The preview's site in memory: the build's stages kept, and each output file rendered when a request asks for it.

A build renders every file and writes it; the preview keeps what the read, topics and related
stages made, the Jinja environment and the renderer, and renders a file only when the browser
asks for it, through the build's own functions (`Renderer.paper_pages` for one paper's files,
`Renderer.other_pages`, `pipeline.other_files` for the rest). So it serves the bytes a build
would write, and a new kind of output file needs nothing here.

Each change of the inputs makes a new `Version`; requests read the current one. An edit re-reads
only what it touched:
- a template: the Jinja environment is compiled again, and every rendered file is dropped (the
  view models of the pages but the papers' are kept: they depend on no template);
- a static file: the static files only;
- a page's Markdown: site_src's pages, and the pages other than the papers' (a paper page is kept
  unless the site's navigation changed);
- a seed file, site.toml, topics.toml or topic_overrides.toml: the read stage (a seed file parsed
  before comes from the cache), topics (only for the papers whose title or abstract is new, when
  the taxonomy and overrides are unchanged) and related papers; a rendered paper page is kept
  when its paper and its view model are unchanged.

Related papers are worked out for the papers a request shows (`LazyRelated`): a paper's related
papers are one row of the build's similarity search, the same row the build computes, and at
10,000 papers the search over every pair is most of a seed edit (3 s). The whole search runs
when a file needs every paper's (the data export) and for the search index.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

import jinja2

from .cache import Cache, digest
from .diagnostics import Diagnostic
from .models import Catalogue, Links, Paper, RelatedLink
from .pipeline import BuildOptions, Files, Inputs, StrictFailure, other_files, read_inputs, related_stage, topics_stage
from .render import MarkdownPage, Renderer, make_environment, static_files
from .topics import TopicReport, assign_topics
from .urls import PAPERS_URL, STATIC_URL, output_path, paper_url
from .views import DateOrder, PageMeta, date_order

DATA, PAGES, TEMPLATES, STATIC = "data", "pages", "templates", "static"
EVERYTHING = frozenset((DATA, PAGES, TEMPLATES, STATIC))
"""What an edit can touch: the catalogue and settings, site_src's pages, the templates, static/."""


def change_kinds(paths: Iterable[Path], options: BuildOptions) -> set[str]:
    """What the changed files touch; a file in none of the inputs counts as data (everything is read)."""
    folders = [(TEMPLATES, options.templates), (STATIC, options.static), (PAGES, options.site_src / "pages"),
               (DATA, options.site_src), (DATA, options.seeds)]
    kinds: set[str] = set()
    for path in paths:
        where = Path(path).absolute()
        kinds.add(next((kind for kind, folder in folders
                        if where == folder.absolute() or folder.absolute() in where.parents), DATA))
    return kinds


class MemoryCache(Cache):
    """The build's cache with its latest entries also held in memory: a seed file parsed once is
    not read from disk again, and with no cache folder the preview still reuses what it made.
    Only what is slow to make again is written to disk as well."""

    KEPT = {"seed": 100_000}
    """Entries kept in memory per kind; other kinds keep their last two (the current one and the
    one before, which an undo brings back)."""
    WRITTEN = frozenset({"seed", "related"})
    """Kinds also written to the cache folder. The merged catalogue and the topic assignment are
    not: at 10,000 papers writing them took 0.7 s of a seed edit, more than making them again
    from the parsed seed files does."""

    def __init__(self, folder: Path | None) -> None:
        super().__init__(folder)
        self._memory: dict[str, OrderedDict[str, Any]] = {}
        self._lock = threading.Lock()

    def get(self, kind: str, key: str) -> Any:
        with self._lock:
            entries = self._memory.get(kind)
            if entries is not None and key in entries:
                entries.move_to_end(key)
                return entries[key]
        value = super().get(kind, key)
        if value is not None:
            self._remember(kind, key, value)
        return value

    def put(self, kind: str, key: str, value: Any) -> None:
        self._remember(kind, key, value)
        if kind in self.WRITTEN:
            super().put(kind, key, value)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Its lock held, for a fork: the child must not inherit it taken by another thread."""
        with self._lock:
            yield

    def _remember(self, kind: str, key: str, value: Any) -> None:
        with self._lock:
            entries = self._memory.setdefault(kind, OrderedDict())
            entries[key] = value
            entries.move_to_end(key)
            while len(entries) > self.KEPT.get(kind, 2):
                entries.popitem(last=False)


@dataclass(frozen=True)
class SiteData:
    """What the read, topics and related stages made of the inputs."""

    inputs: Inputs
    catalogue: Catalogue
    """With each paper's topics; its related papers come from `related`."""
    warnings: tuple[Diagnostic, ...]
    report: TopicReport | None
    related: LazyRelated


def read_data(options: BuildOptions, cache: Cache, previous: SiteData | None = None) -> SiteData:
    """The build's first three stages; with `previous`, topics are worked out only for the papers
    whose title or abstract changed (see `topics_since`). Raises as the build does."""
    inputs = read_inputs(options, cache)
    catalogue, report, topic_warnings = topics_since(inputs, cache, previous)
    warnings = (*inputs.warnings, *topic_warnings)
    if options.strict and any(warning.severity == "warning" for warning in warnings):
        raise StrictFailure(list(warnings))
    if previous is not None and previous.catalogue is catalogue:  # same papers, same topics (site.toml edited)
        related = previous.related
    else:
        related = LazyRelated(catalogue, inputs.catalogue_key, cache)
    return SiteData(inputs, catalogue, warnings, report, related)


class LazyRelated:
    """The related stage for the papers asked for: all of them from the cache when it holds them,
    else each paper's from the build's own search (related.RelatedSearch), which gives a paper the
    links related_links gives it; the whole stage when every paper's are needed."""

    def __init__(self, catalogue: Catalogue, key: str, cache: Cache) -> None:
        self.catalogue, self.key, self.cache = catalogue, key, cache
        self._links: Links | None = cache.get("related", key)
        self._search: Any = None
        self._index = {paper.id: index for index, paper in enumerate(catalogue.papers)}
        self._lock = threading.Lock()

    def of(self, paper_id: str) -> tuple[RelatedLink, ...]:
        with self._lock:
            if self._links is not None:
                links = self._links.get(paper_id, ())
            else:
                if self._search is None:
                    from .related import RelatedSearch  # numpy and scipy: loaded only when needed

                    self._search = RelatedSearch(self.catalogue)
                links = self._search.links_of(self._index[paper_id])
        return tuple(map(RelatedLink._make, links))

    @contextmanager
    def held(self) -> Iterator[None]:
        """Its lock held, for a fork: the child must not inherit it taken by another thread."""
        with self._lock:
            yield

    def whole(self) -> Catalogue:
        """The catalogue with every paper's related papers: the build's related stage."""
        with self._lock:
            catalogue = related_stage(self.catalogue, self.key, self.cache)
            self._links = {paper.id: paper.related for paper in catalogue.papers}
            return catalogue


def topics_since(inputs: Inputs, cache: Cache, previous: SiteData | None
                 ) -> tuple[Catalogue, TopicReport | None, list[Diagnostic]]:
    """topics_stage, but when only papers changed (same taxonomy, same overrides) the papers whose
    title and abstract are unchanged keep their topics: a paper's topics depend on those, the
    taxonomy and the overrides alone, so the result equals a full assignment. Then there is no
    topic report (the build prints it; no page shows it)."""
    unchanged_rules = previous is not None and inputs.taxonomy is not None and (
        (inputs.taxonomy, inputs.overrides) == (previous.inputs.taxonomy, previous.inputs.overrides))
    if not unchanged_rules or cache.get("topics", inputs.topics_key) is not None:
        return topics_stage(inputs, cache)
    before = {paper.id: paper for paper in previous.catalogue.papers}
    changed = tuple(paper for paper in inputs.catalogue.papers if not _same_text(before.get(paper.id), paper))
    fresh = assign_topics(Catalogue(papers=changed), inputs.taxonomy, inputs.overrides)
    topics = {paper.id: paper.topics for paper in fresh.catalogue.papers}
    papers = tuple(paper.model_copy(update={"topics": topics[paper.id] if paper.id in topics
                                            else before[paper.id].topics})
                   for paper in inputs.catalogue.papers)
    return Catalogue(papers=papers, topics=fresh.catalogue.topics), None, list(fresh.warnings)


def _same_text(before: Paper | None, after: Paper) -> bool:
    return before is not None and before.title == after.title and before.abstract == after.abstract


class Version:
    """One state of the site: its data, renderer and static files, and the files rendered from
    them so far (each on the first request that needed it, kept until the next change)."""

    def __init__(self, number: int, data: SiteData, env: jinja2.Environment, renderer: Renderer,
                 site_pages: list[MarkdownPage], static: Files, options: BuildOptions,
                 previous: Version | None = None) -> None:
        self.number = number
        self.data = data
        self.catalogue = data.catalogue
        self.env = env
        self.renderer = renderer
        self.site_pages = site_pages
        self.static = static
        self.options = options
        self.static_key = digest(*(part for path in sorted(static) for part in (str(path), static[path])))
        """Every static file: a page may load any of them, so it reloads when one changes."""
        if previous is not None and previous.catalogue is data.catalogue:  # made from the catalogue alone
            self.order, self.position = previous.order, previous.position
        else:
            self.order = date_order(data.catalogue, renderer.config.search_pages_per_index)
            self.position = {paper.id: index for index, paper in enumerate(self.order.papers)}
        self.search_bundle: Path | None = None
        """Pagefind's bundle for these paper pages, once the search indexer has made it."""
        self._papers: dict[str, Files] = {}
        self._calls: dict[PurePosixPath, PageCall] | None = None
        self._pages: Files = {}
        self._rest: Files | None = None
        self._lock = threading.RLock()
        if previous is not None:
            self._keep_from(previous)

    def _keep_from(self, previous: Version) -> None:
        """Keep what `previous` rendered that these inputs would render the same way."""
        with previous._lock:  # requests may be adding to it
            papers, calls, pages, rest = dict(previous._papers), previous._calls, dict(previous._pages), previous._rest
        if previous.renderer is self.renderer and previous.data is self.data:  # static/ alone changed
            self._papers, self._calls, self._pages, self._rest = papers, calls, pages, rest
            self.search_bundle = previous.search_bundle
            return
        same_site = (previous.renderer.site == self.renderer.site and previous.renderer.config == self.renderer.config)
        if same_site and previous.catalogue is self.catalogue and previous.site_pages is self.site_pages:
            self._calls = calls  # the templates alone changed: the same view models
        elif same_site and previous.catalogue is self.catalogue and calls is not None:
            # site_src's pages alone changed, and not the navigation (so not which pages there are):
            # the lists' view models stand, and only home and those pages are worked out again.
            self._calls = {**calls, **deferring(self.renderer).front_pages(self.catalogue, self.site_pages)}
        if not same_site or previous.env is not self.env:
            return
        for paper_id, files in papers.items():
            if paper_id in self.position and previous.paper_data(paper_id) == self.paper_data(paper_id):
                self._papers[paper_id] = files

    def paper_data(self, paper_id: str) -> tuple[Paper, Any]:
        """What a paper's files are made of: its record and its view model."""
        index = self.position[paper_id]
        order = self._order_with_related(index)
        return order.papers[index], self.renderer.paper_page_views(self.catalogue, slice(index, index + 1), order)[0]

    def _order_with_related(self, index: int) -> DateOrder:
        """The date order, the paper at `index` in it with its related papers."""
        paper = self.order.papers[index]
        papers = list(self.order.papers)
        papers[index] = paper.model_copy(update={"related": self.data.related.of(paper.id)})
        return replace(self.order, papers=papers)

    def file(self, path: PurePosixPath) -> bytes | None:
        """The bytes the build writes at `path`, or None when it writes nothing there."""
        if path.parts[:1] == (STATIC_URL.strip("/"),):
            return self.static.get(path)
        paper_id = _paper_of(path)
        if paper_id in self.position:
            found = self.paper_files(paper_id).get(path)
            if found is not None:
                return found
        page = self.other_page(path)
        if page is not None or path.parts[:1] == (PAPERS_URL.strip("/"),):
            return page  # papers/ holds the papers' files and the pages of the list of papers alone
        return self.rest().get(path)

    def paper_files(self, paper_id: str) -> Files:
        """One paper's files (its page, and whatever else the build writes beside it)."""
        with self._lock:
            files = self._papers.get(paper_id)
            if files is None:
                index = self.position[paper_id]
                files = self.renderer.paper_pages(self.catalogue, slice(index, index + 1),
                                                  self._order_with_related(index))
                self._papers[paper_id] = files
            return files

    def other_page(self, path: PurePosixPath) -> bytes | None:
        """A page but the papers' (home, lists, topics, site_src's pages, search, 404), or None."""
        with self._lock:
            if self._calls is None:
                self._calls = deferring(self.renderer).other_pages(self.catalogue, self.site_pages)
            page = self._pages.get(path)
            if page is None and path in self._calls:
                page = self._pages[path] = self._calls[path].render(self.renderer)
            return page

    def rest(self) -> Files:
        """Every other file the build writes (feeds, sitemap, export, vocabulary...), from the
        build's own `other_files`; the paper pages are rendered only if it reads their bytes, and
        the other pages are not rendered here (other_page renders them)."""
        with self._lock:
            if self._rest is None:
                self._rest = other_files(deferring(self.renderer), self.data.related.whole(), self.site_pages,
                                         self.options, PaperFiles(self), self.order.cite_keys)
            return self._rest

    def all_paper_files(self) -> Files:
        """Every paper's files at once, as the build renders them (for the search index), with an
        environment of their own, so no template cache is shared with the threads serving requests."""
        renderer = self.renderer.with_environment(make_environment(self.options.templates))
        return renderer.paper_pages(self.data.related.whole())


@dataclass(frozen=True)
class PageCall:
    """A page `other_pages` asked for: the arguments of its `Renderer.page` call, view model
    included, kept to render the page when a request asks for it."""

    template: str
    url: str
    meta: PageMeta | None
    context: dict[str, Any]

    def render(self, renderer: Renderer) -> bytes:
        return renderer.page(self.template, self.url, self.meta, **self.context)[1]


class DeferringRenderer(Renderer):
    """A renderer whose `page` returns the PageCall in place of the page's bytes: `other_pages`
    works out every page's view model as the build does, and only the page a request asks for is
    rendered. Its view models (lists of 20,000 rows at 10,000 papers) take most of its time and
    depend on no template, so a template edit renders the page asked for with them as they were."""

    def page(self, template: str, url: str, meta: PageMeta | None = None, **context) -> tuple[PurePosixPath, Any]:
        return output_path(url), PageCall(template, url, meta, context)


def deferring(renderer: Renderer) -> DeferringRenderer:
    """The same renderer (templates, settings, site), deferring each page's rendering."""
    deferred = DeferringRenderer(renderer.env, renderer.config, renderer.list_page_size)
    deferred.site = renderer.site
    return deferred


def _paper_of(path: PurePosixPath) -> str | None:
    """The paper id whose folder holds `path` (papers/<id>/...), or None."""
    parts = path.parts
    return parts[1] if len(parts) >= 3 and parts[0] == PAPERS_URL.strip("/") else None


class PaperFiles(Mapping):
    """Every paper's files, each rendered when it is read: what `other_files` is given in place of
    the build's rendered paper pages (the sitemap reads only their paths). Which files a paper has
    is learnt from the first paper's."""

    def __init__(self, version: Version) -> None:
        self._version = version
        papers = version.order.papers
        names: list[PurePosixPath] = []
        if papers:
            folder = output_path(paper_url(papers[0].id)).parent
            names = [path.relative_to(folder) for path in version.paper_files(papers[0].id)]
        self._paths = {output_path(paper_url(paper.id)).parent / name: paper.id
                       for paper in papers for name in names}

    def __getitem__(self, path: PurePosixPath) -> bytes:
        return self._version.paper_files(self._paths[path])[path]

    def __iter__(self) -> Iterator[PurePosixPath]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


@dataclass
class PreviewSite:
    """The preview's inputs and its current version; `update` makes the next version."""

    options: BuildOptions
    cache: Cache
    current: Version | None = None
    """The last good version: what requests are answered from."""
    _pending: set[str] = field(default_factory=lambda: set(EVERYTHING))
    """What changed since the last good version: a failed update is retried with all of it."""
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def update(self, kinds: Iterable[str] = EVERYTHING, probe: Callable[[Version], object] | None = None) -> Version:
        """Re-read what `kinds` touched and make the next version. Before it becomes current, one
        paper page is rendered and `probe` is called with it (the preview renders the pages open in
        a browser), so a template that fails on them fails the update. Raises BuildError
        (StrictFailure, InputError) or OSError as a build does; then `current` stays the last
        good version."""
        self._pending |= set(kinds)
        previous, pending = self.current, set(self._pending) if self.current else set(EVERYTHING)
        data = read_data(self.options, self.cache, previous.data if previous else None) \
            if DATA in pending else previous.data
        env = make_environment(self.options.templates) if TEMPLATES in pending else previous.env
        if pending & {DATA, PAGES}:
            renderer = Renderer(env, data.inputs.config)
            site_pages = renderer.start_site(data.catalogue, self.options.site_src)
        elif TEMPLATES in pending:
            renderer, site_pages = previous.renderer.with_environment(env), previous.site_pages
        else:
            renderer, site_pages = previous.renderer, previous.site_pages
        static = static_files(self.options.static) if STATIC in pending else previous.static
        version = Version(next(self._numbers), data, env, renderer, site_pages, static, self.options, previous)
        if version.order.papers:
            version.paper_files(version.order.papers[0].id)
        if probe is not None:
            probe(version)
        self.current, self._pending = version, set()
        return version
