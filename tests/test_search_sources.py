"""The lean copies Pagefind reads: what a copy keeps, that the real Pagefind gives the same records
from them as from the whole pages, and that their scratch folder never outlives a build."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest

from conftest import REAL_SEEDS, REAL_SITE_SRC, ROOT
from paper_catalogue.diagnostics import BuildError
from paper_catalogue.pipeline import BuildOptions, build
from paper_catalogue.search import PagefindRun
from paper_catalogue.search_sources import SCRATCH_PREFIX, SearchSources, search_source

PAGE = (b'<!doctype html>\n<html lang="fr">\n<head><title>T</title><meta name="citation_abstract" content="x">'
        b'</head>\n<body><header><nav>Papers</nav></header><main>\n'
        b'<article class="paper" data-pagefind-body>\n<h1 data-pagefind-weight="10">Title</h1>'
        b'<section><p>Abstract \xc3\xa9</p></section>\n</article>\n<aside>Related</aside></main></body>\n</html>\n')


def test_a_lean_copy_keeps_the_language_and_the_indexed_element_only():
    lean = search_source(PAGE)
    assert b'<html lang="fr">' in lean
    assert (b'<article class="paper" data-pagefind-body>\n<h1 data-pagefind-weight="10">Title</h1>'
            b'<section><p>Abstract \xc3\xa9</p></section>\n</article>') in lean
    for left_out in (b"<title>", b"citation_abstract", b"<nav>", b"Related"):
        assert left_out not in lean
    assert lean.startswith(b"<!doctype html>") and lean.endswith(b"</html>\n")


@pytest.mark.parametrize("page", [
    b"<html><body><p>no marker</p></body></html>",
    b'<html><body><article data-pagefind-body><p>never closed</p></body></html>',
    b'<article data-pagefind-body>no html element</article>',
    b' data-pagefind-body before any tag <html></html>',
    b'<html>< data-pagefind-body></html>',
    b'<article data-pagefind-body>an html start tag never closed</article><html',
])
def test_a_page_that_cannot_be_cut_is_copied_whole(page):
    """Pagefind then reads it as before, and the page-count check names a template without its marker."""
    assert search_source(page) == page


def test_only_paper_pages_are_copied_and_the_folder_goes_with_the_build(tmp_path):
    with SearchSources(root=tmp_path) as sources:
        sources.add({PurePosixPath("papers/a/index.html"): PAGE, PurePosixPath("papers/index.html"): PAGE,
                     PurePosixPath("topics/x/index.html"): PAGE, PurePosixPath("papers.json"): b"{}"})
        copied = sorted(path.relative_to(sources.folder).as_posix()
                        for path in sources.folder.rglob("*") if path.is_file())
        assert copied == ["papers/a/index.html"]
        assert sources.pages == 1
        assert sources.folder.name.startswith(f"{SCRATCH_PREFIX}{os.getpid()}-")
    assert list(tmp_path.iterdir()) == []


def test_a_folder_left_by_a_killed_build_is_removed_and_a_running_builds_is_not(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    living = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        left = tmp_path / f"{SCRATCH_PREFIX}{dead.pid}-abc"
        running = tmp_path / f"{SCRATCH_PREFIX}{living.pid}-def"
        for folder in (left, running):
            (folder / "papers" / "a").mkdir(parents=True)
        with SearchSources(root=tmp_path) as sources:
            assert not left.exists()
            assert running.is_dir()
            assert sources.folder.is_dir()
    finally:
        living.kill()
        living.wait()


def test_pagefind_gives_the_same_records_from_lean_copies_as_from_the_whole_pages(tmp_path):
    """The real Pagefind over the seeds' 254 paper pages: every fragment (named by a hash of its
    content: the page's text, title, metadata, filters, sort keys and anchors) is the same file."""
    site = tmp_path / "site"
    build(BuildOptions(seeds=REAL_SEEDS, out=site, site_src=REAL_SITE_SRC, templates=ROOT / "templates",
                       static=ROOT / "static", search_index=False))
    whole, lean = tmp_path / "whole", tmp_path / "lean"
    shutil.copytree(site, whole)
    shutil.copytree(site, lean)
    pages = sorted(site.glob("papers/*/index.html"))
    with SearchSources(root=tmp_path) as sources:
        sources.add({PurePosixPath(path.relative_to(site).as_posix()): path.read_bytes() for path in pages})
        assert sources.pages == len(pages) == 254
        with PagefindRun(lean, sources=sources.folder) as run:
            assert run.finish(expected_pages=254) == 254
    with PagefindRun(whole) as run:
        assert run.finish(expected_pages=254) == 254

    def fragment_names(folder: Path) -> list[str]:
        return sorted(path.name for path in (folder / "pagefind" / "fragment").iterdir())

    assert len(fragment_names(lean)) == 254
    assert fragment_names(lean) == fragment_names(whole)
    for part in ("index", "filter"):  # numbered by the order Pagefind found the files in, so not compared by name
        assert len(list((lean / "pagefind" / part).iterdir())) == len(list((whole / "pagefind" / part).iterdir()))


def _scratch_folders() -> set[Path]:
    from paper_catalogue.search_sources import scratch_root
    return set(scratch_root().glob(f"{SCRATCH_PREFIX}{os.getpid()}-*"))


def test_a_build_indexes_lean_copies_and_removes_them_whether_it_succeeds_or_fails(tmp_path, seeds, monkeypatch):
    import paper_catalogue.pipeline as pipeline

    before = _scratch_folders()
    read: list[tuple[Path, list[str]]] = []
    original = pipeline.PagefindRun.__init__

    def spy(run, site: Path, carry_from: Path | None = None, sources: Path | None = None) -> None:
        read.append((sources, sorted(path.read_text(encoding="utf-8")[:15] for path in sources.glob("papers/*/index.html"))))
        assert sources != site
        original(run, site, carry_from, sources)

    monkeypatch.setattr(pipeline.PagefindRun, "__init__", spy)
    out = tmp_path / "_site"
    result = build(BuildOptions(seeds=seeds, out=out, site_src=REAL_SITE_SRC, templates=ROOT / "templates",
                                static=ROOT / "static"))
    (sources, heads), = read
    assert heads == ["<!doctype html>"] * len(result.catalogue.papers)
    assert not sources.exists()
    assert _scratch_folders() == before
    assert (out / "pagefind" / "pagefind-entry.json").is_file()

    def failing(run, expected_pages, timeout=1800):
        raise BuildError("search index: Pagefind failed (exit 1): as a test")

    monkeypatch.setattr(pipeline.PagefindRun, "finish", failing)
    with pytest.raises(BuildError):
        build(BuildOptions(seeds=seeds, out=tmp_path / "other", site_src=REAL_SITE_SRC,
                           templates=ROOT / "templates", static=ROOT / "static"))
    assert _scratch_folders() == before


def test_a_copy_that_cannot_be_written_is_a_clear_build_error(tmp_path):
    with SearchSources(root=tmp_path) as sources:
        (sources.folder / "papers").write_text("a file where the folder of papers should be")
        with pytest.raises(BuildError, match=r"search index: cannot copy papers/a/index.html for Pagefind"):
            sources.add({PurePosixPath("papers/a/index.html"): PAGE})
