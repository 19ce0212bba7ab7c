"""The build cache: a rebuild reuses the data whose inputs did not change and still gives a cold build's bytes."""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from paper_catalogue import render, workers
from paper_catalogue.pipeline import BuildOptions, build
from paper_catalogue.search import PagefindRun

from conftest import ROOT
from pagefind_api import chromium, pagefind_index

FIXTURE_SITE_SRC = ROOT / "tests" / "fixtures" / "site_src"
NEW_PAPER = "\n\nA Brand New Paper on Speculative Decoding\n\nWe propose a draft model for faster decoding.\n"


def site_files(out: Path) -> dict[str, bytes]:
    """Every file but Pagefind's bundle, whose hashes vary from run to run."""
    return {path.relative_to(out).as_posix(): path.read_bytes()
            for path in sorted(out.rglob("*")) if path.is_file() and "pagefind" not in path.parts}


def options(seeds: Path, out: Path, cache: Path | None) -> BuildOptions:
    return BuildOptions(seeds=seeds, out=out, site_src=FIXTURE_SITE_SRC, templates=ROOT / "templates",
                        static=ROOT / "static", cache=cache)


def build_logged(opts: BuildOptions) -> list[str]:
    messages: list[str] = []
    build(opts, progress=lambda stage, message: messages.append(f"{stage}: {message}"))
    return messages


def test_a_cached_rebuild_is_byte_identical_to_a_cold_build(tmp_path, seeds):
    build(options(seeds, tmp_path / "cold", None))
    cached = options(seeds, tmp_path / "cached", tmp_path / "cache")
    first = build_logged(cached)
    second = build_logged(cached)
    assert not any("up to date" in line for line in first)
    assert any("nothing changed" in line for line in second)
    assert site_files(tmp_path / "cached") == site_files(tmp_path / "cold")
    assert (tmp_path / "cached" / "pagefind" / "pagefind-entry.json").stat().st_size > 0


def test_a_rebuild_after_a_change_gives_a_cold_builds_bytes(tmp_path, seeds):
    out, cache = tmp_path / "out", tmp_path / "cache"
    build(options(seeds, out, cache))
    with open(seeds / "001_spaced.txt", "a", encoding="utf-8") as handle:
        handle.write(NEW_PAPER)
    messages = build_logged(options(seeds, out, cache))
    assert not any("nothing changed" in line for line in messages)
    assert (out / "papers" / "a-brand-new-paper-on-speculative-decoding" / "index.html").exists()
    build(options(seeds, tmp_path / "cold", None))
    assert site_files(out) == site_files(tmp_path / "cold")


def test_the_cache_holds_data_and_one_search_bundle_never_pages(tmp_path, seeds):
    out, cache = tmp_path / "out", tmp_path / "cache"
    build(options(seeds, out, cache))
    with open(seeds / "001_spaced.txt", "a", encoding="utf-8") as handle:
        handle.write(NEW_PAPER)
    build(options(seeds, out, cache))
    assert sorted(path.name for path in cache.iterdir()) == ["catalogue", "output", "related", "search", "seed",
                                                             "topics"]
    assert not list(cache.rglob("*.html"))
    (bundle,) = (cache / "search").iterdir()  # the bundle a rebuild can use, not every old one
    with zipfile.ZipFile(bundle) as archive:
        assert "pagefind-entry.json" in archive.namelist()


def test_an_output_edited_by_hand_is_not_trusted(tmp_path, seeds):
    out, cache = tmp_path / "out", tmp_path / "cache"
    build(options(seeds, out, cache))
    good = (out / "index.html").read_bytes()
    (out / "index.html").write_bytes(b"edited")
    messages = build_logged(options(seeds, out, cache))
    assert not any("nothing changed" in line for line in messages)
    assert (out / "index.html").read_bytes() == good


def test_a_deleted_output_is_built_again(tmp_path, seeds):
    out, cache = tmp_path / "out", tmp_path / "cache"
    build(options(seeds, out, cache))
    shutil.rmtree(out)
    build(options(seeds, out, cache))
    assert (out / "index.html").is_file() and (out / "pagefind" / "pagefind.js").is_file()


def test_a_damaged_cache_is_a_miss_not_an_error(tmp_path, seeds):
    out, cache = tmp_path / "out", tmp_path / "cache"
    build(options(seeds, out, cache))
    for entry in cache.rglob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    build(options(seeds, tmp_path / "again", cache))
    assert site_files(tmp_path / "again") == site_files(out)


def edited_templates(tmp_path: Path, name: str, old: str, new: str) -> Path:
    templates = tmp_path / "templates"
    if not templates.exists():
        shutil.copytree(ROOT / "templates", templates)
    path = templates / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return templates


def test_a_template_edit_renders_again_and_reuses_the_search_bundle(tmp_path, seeds, monkeypatch):
    """A change outside what Pagefind reads (base.html's footer) re-renders every page but takes
    the search bundle from the cache: the same bundle, and every other file a cold build's."""

    out, cache = tmp_path / "out", tmp_path / "cache"
    build(options(seeds, out, cache))
    indexed = bundle(out)
    templates = edited_templates(tmp_path, "base.html", "</footer>", "<!-- changed --></footer>")
    runs = []
    monkeypatch.setattr(PagefindRun, "start", lambda run: runs.append(run))
    messages = build_logged(replace(options(seeds, out, cache), templates=templates))
    assert runs == [] and "index: search index unchanged, taken from the cache" in messages
    assert "<!-- changed -->" in (out / "index.html").read_text(encoding="utf-8")
    monkeypatch.undo()
    build(replace(options(seeds, tmp_path / "cold", None), templates=templates))
    assert site_files(out) == site_files(tmp_path / "cold")
    assert bundle(out) == indexed


def test_a_damaged_search_bundle_is_indexed_again(tmp_path, seeds):
    out, cache = tmp_path / "out", tmp_path / "cache"
    build(options(seeds, out, cache))
    (stored,) = (cache / "search").iterdir()
    stored.write_bytes(b"not a zip")
    templates = edited_templates(tmp_path, "base.html", "</footer>", "<!-- changed --></footer>")
    messages = build_logged(replace(options(seeds, out, cache), templates=templates))
    assert "index: search index unchanged, taken from the cache" not in messages
    assert (out / "pagefind" / "pagefind.js").is_file() and zipfile.is_zipfile(next((cache / "search").iterdir()))


@pytest.mark.browser
def test_an_edit_to_what_pagefind_reads_indexes_again(tmp_path, seeds):
    out, cache = tmp_path / "out", tmp_path / "cache"
    build(options(seeds, out, cache))
    templates = edited_templates(tmp_path, "paper.html", "<h2>Abstract</h2>",
                                 "<h2>Abstract</h2><p>zyzzyvaword</p>")
    messages = build_logged(replace(options(seeds, out, cache), templates=templates))
    assert not any("taken from the cache" in line for line in messages)
    with chromium() as browser, pagefind_index(browser, out) as index:
        every_page = sorted(page["url"] for page in index.search(None))
        assert every_page and sorted(page["url"] for page in index.search("zyzzyvaword")) == every_page


def bundle(site: Path) -> dict[str, bytes]:
    return {path.relative_to(site).as_posix(): path.read_bytes()
            for path in sorted((site / "pagefind").rglob("*")) if path.is_file()}


def test_a_failed_build_leaves_the_site_and_the_next_build_whole(tmp_path, seeds, monkeypatch):
    from paper_catalogue.diagnostics import BuildError

    out, cache = tmp_path / "out", tmp_path / "cache"
    build(options(seeds, out, cache))
    live = site_files(out)
    with open(seeds / "001_spaced.txt", "a", encoding="utf-8") as handle:
        handle.write(NEW_PAPER)

    def failing_index(run: PagefindRun) -> None:
        assert any((run.site / "papers").iterdir())  # the staging folder holds the pages
        raise BuildError("search index: Pagefind failed (simulated)")

    monkeypatch.setattr(PagefindRun, "finish", failing_index)
    with pytest.raises(BuildError):
        build(options(seeds, out, cache))
    assert site_files(out) == live
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "out", "seeds"]
    monkeypatch.undo()
    build(options(seeds, out, cache))
    build(options(seeds, tmp_path / "cold", None))
    assert site_files(out) == site_files(tmp_path / "cold")


def test_an_up_to_date_output_is_found_before_related_papers_are_loaded(tmp_path, seeds, monkeypatch):
    import paper_catalogue.pipeline as pipeline

    cached = options(seeds, tmp_path / "out", tmp_path / "cache")
    build(cached)

    def no_related(*args, **kwargs):
        raise AssertionError("related papers loaded for an output that is already up to date")

    monkeypatch.setattr(pipeline, "related_stage", no_related)
    messages = build_logged(cached)
    assert any("nothing changed" in line for line in messages)


def test_paper_pages_rendered_by_worker_processes_are_the_pages_rendered_in_one(tmp_path, seeds, monkeypatch):
    """Large catalogues render their paper pages in a process pool, while the build process
    renders everything else: the files are the same as from one process."""
    build(options(seeds, tmp_path / "serial", None))
    monkeypatch.setattr(render, "PARALLEL_FROM", 1)
    monkeypatch.setattr(workers, "cores", lambda: 2)
    batches: list[int] = []
    merged = render.merged
    monkeypatch.setattr(render, "merged", lambda results: merged(batches.append(len(b)) or b for b in results))
    build(options(seeds, tmp_path / "pooled", None))
    serial, pooled = site_files(tmp_path / "serial"), site_files(tmp_path / "pooled")
    papers = sum(1 for path in pooled if path.startswith("papers/") and path.count("/") == 2)
    assert len(batches) > 1 and sum(batches) == papers > 1  # the workers made every paper page
    assert pooled == serial
