"""The build cache: a rebuild reuses what did not change and still gives a cold build's bytes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from paper_catalogue.pipeline import BuildOptions, build

from conftest import REAL_SEEDS, ROOT

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


def test_a_change_rewrites_only_the_files_whose_bytes_changed(tmp_path, seeds):
    out, cache = tmp_path / "out", tmp_path / "cache"
    build(options(seeds, out, cache))
    about = out / "about" / "index.html"
    inode_before = about.stat().st_ino
    papers_json_before = (out / "papers.json").stat().st_ino
    with open(seeds / "001_spaced.txt", "a", encoding="utf-8") as handle:
        handle.write(NEW_PAPER)
    messages = build_logged(options(seeds, out, cache))
    assert any("unchanged" in line for line in messages)
    assert about.stat().st_ino == inode_before  # the same file, linked, not written again
    assert (out / "papers.json").stat().st_ino != papers_json_before
    assert (out / "papers" / "a-brand-new-paper-on-speculative-decoding" / "index.html").exists()
    build(options(seeds, tmp_path / "cold", None))
    assert site_files(out) == site_files(tmp_path / "cold")


def test_an_output_edited_by_hand_is_not_trusted(tmp_path, seeds):
    out, cache = tmp_path / "out", tmp_path / "cache"
    build(options(seeds, out, cache))
    good = (out / "index.html").read_bytes()
    (out / "index.html").write_bytes(b"edited")
    messages = build_logged(options(seeds, out, cache))
    assert not any("nothing changed" in line for line in messages)
    assert (out / "index.html").read_bytes() == good


def test_a_damaged_cache_is_a_miss_not_an_error(tmp_path, seeds):
    out, cache = tmp_path / "out", tmp_path / "cache"
    build(options(seeds, out, cache))
    for entry in cache.rglob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    build(options(seeds, tmp_path / "again", cache))
    assert site_files(tmp_path / "again") == site_files(out)


def test_a_template_change_is_seen(tmp_path, seeds):
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    opts = BuildOptions(seeds=seeds, out=tmp_path / "out", site_src=FIXTURE_SITE_SRC, templates=templates,
                        static=ROOT / "static", cache=tmp_path / "cache", search_index=False)
    build(opts)
    base = templates / "base.html"
    base.write_text(base.read_text(encoding="utf-8").replace("</body>", "<!-- changed --></body>"),
                    encoding="utf-8")
    build(opts)
    assert "<!-- changed -->" in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")


def test_related_papers_searched_beside_topics_give_the_same_site(tmp_path, seeds, monkeypatch):
    """On a large catalogue the related search runs in a child process during topics: same bytes."""
    from paper_catalogue import pipeline
    build(options(seeds, tmp_path / "inline", None))
    monkeypatch.setattr(pipeline, "BACKGROUND_RELATED_FROM", 1)
    children = []

    class Counted(pipeline.Forked):
        def __init__(self, *args):
            children.append(args)
            super().__init__(*args)

    monkeypatch.setattr(pipeline, "Forked", Counted)
    build(options(seeds, tmp_path / "beside", tmp_path / "cache"))
    assert len(children) == 1
    assert site_files(tmp_path / "beside") == site_files(tmp_path / "inline")
    papers = json.loads((tmp_path / "beside" / "papers.json").read_bytes())["papers"]
    assert all(paper["related"] for paper in papers)


def reused_pages(messages: list[str]) -> int:
    line = next(line for line in messages if line.startswith("render:"))
    return int(line.split(" unchanged, ")[1].split()[0])


@pytest.mark.parametrize("parallel_from", [10**9, 1], ids=["in-process", "forked-workers"])
def test_pages_whose_view_is_unchanged_are_reused_not_rendered(tmp_path, monkeypatch, parallel_from):
    """After a paper is added, only the pages whose view changed are rendered again; the output
    is still a cold build's, byte for byte. (The real seeds: in the fixture's five papers, a new
    one changes every page's neighbours.)"""
    from paper_catalogue import render
    monkeypatch.setattr(render, "PARALLEL_FROM", parallel_from)
    seeds = tmp_path / "seeds"
    shutil.copytree(REAL_SEEDS, seeds)
    out, cache = tmp_path / "out", tmp_path / "cache"
    first = build_logged(options(seeds, out, cache))
    assert reused_pages(first) == 0
    papers = len(list((out / "papers").glob("*/index.html")))
    with open(sorted(seeds.iterdir())[0], "a", encoding="utf-8") as handle:
        handle.write(NEW_PAPER)
    second = build_logged(options(seeds, out, cache))
    # The new paper changes its neighbours by date and the papers it is related to, not all.
    assert 0 < reused_pages(second) < papers
    build(options(seeds, tmp_path / "cold", None))
    assert site_files(out) == site_files(tmp_path / "cold")


def test_a_template_change_reuses_no_page(tmp_path, seeds):
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    out, cache = tmp_path / "out", tmp_path / "cache"
    opts = BuildOptions(seeds=seeds, out=out, site_src=FIXTURE_SITE_SRC, templates=templates,
                        static=ROOT / "static", cache=cache)
    build(opts)
    paper = templates / "paper.html"
    paper.write_text(paper.read_text(encoding="utf-8").replace("<h1", "<h1 data-edited", 1), encoding="utf-8")
    messages = build_logged(opts)
    assert reused_pages(messages) == 0
    assert all("data-edited" in page.read_text(encoding="utf-8") for page in (out / "papers").glob("*/index.html"))


def spare_folders(cache: Path) -> list[Path]:
    return sorted((cache / "spare-site").iterdir()) if (cache / "spare-site").is_dir() else []


def test_rebuilds_start_from_the_spare_site_and_still_give_a_cold_builds_bytes(tmp_path, seeds):
    """The site a swap retires waits in the cache; the build after next starts from it, keeps
    the files whose bytes are the same, replaces the others, and removes what is no longer made."""
    out, cache = tmp_path / "out", tmp_path / "cache"
    first = seeds / "001_spaced.txt"
    original = first.read_text(encoding="utf-8")
    build(options(seeds, out, cache))
    assert spare_folders(cache) == []  # nothing was retired yet
    first.write_text(original + NEW_PAPER, encoding="utf-8")
    build(options(seeds, out, cache))
    (spare,) = spare_folders(cache)
    assert not (spare / "papers" / "a-brand-new-paper-on-speculative-decoding").exists()  # the first site
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "out", "seeds"]  # nothing beside out
    first.write_text(original, encoding="utf-8")  # the new paper goes again
    messages = build_logged(options(seeds, out, cache))
    assert any("kept from the spare site and 0 removed" in line for line in messages)
    build(options(seeds, tmp_path / "cold", None))
    assert site_files(out) == site_files(tmp_path / "cold")
    # The spare is the site before last: have it hold the new paper, then build without it.
    first.write_text(original + NEW_PAPER, encoding="utf-8")
    build(options(seeds, out, cache))
    first.write_text(original + NEW_PAPER + NEW_PAPER.replace("Brand New", "Second New"), encoding="utf-8")
    build(options(seeds, out, cache))
    first.write_text(original, encoding="utf-8")
    messages = build_logged(options(seeds, out, cache))
    removed = next(line for line in messages if "kept from the spare site" in line)
    assert not removed.endswith(" 0 removed from it")
    assert not (out / "papers" / "a-brand-new-paper-on-speculative-decoding").exists()  # no empty folder
    assert site_files(out) == site_files(tmp_path / "cold")
    assert (out / "pagefind" / "pagefind-entry.json").stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "cold", "out", "seeds"]


def test_a_spare_site_changed_since_it_was_retired_is_not_used(tmp_path, seeds):
    out, cache = tmp_path / "out", tmp_path / "cache"
    build(options(seeds, out, cache))
    with open(seeds / "001_spaced.txt", "a", encoding="utf-8") as handle:
        handle.write(NEW_PAPER)
    build(options(seeds, out, cache))
    (spare,) = spare_folders(cache)
    (spare / "index.html").write_bytes(b"tampered")
    (spare / "stray.html").write_bytes(b"not ours")
    with open(seeds / "001_spaced.txt", "a", encoding="utf-8") as handle:
        handle.write(NEW_PAPER.replace("Brand New", "Second New"))
    messages = build_logged(options(seeds, out, cache))
    assert not any("kept from the spare site" in line for line in messages)
    assert not (out / "stray.html").exists() and b"tampered" not in (out / "index.html").read_bytes()
    build(options(seeds, tmp_path / "cold", None))
    assert site_files(out) == site_files(tmp_path / "cold")


def test_a_failed_build_from_the_spare_leaves_the_site_and_the_next_build_whole(tmp_path, seeds, monkeypatch):
    import paper_catalogue.pipeline as pipeline
    from paper_catalogue.diagnostics import BuildError

    out, cache = tmp_path / "out", tmp_path / "cache"
    build(options(seeds, out, cache))
    with open(seeds / "001_spaced.txt", "a", encoding="utf-8") as handle:
        handle.write(NEW_PAPER)
    build(options(seeds, out, cache))
    live = site_files(out)
    with open(seeds / "001_spaced.txt", "a", encoding="utf-8") as handle:
        handle.write(NEW_PAPER.replace("Brand New", "Second New"))

    def failing_index(run, expected_pages: int) -> int:
        assert any((run.site / "papers").iterdir())  # the staging folder, started from the spare
        raise BuildError("search index: Pagefind failed (simulated)")

    monkeypatch.setattr(pipeline.PagefindRun, "finish", failing_index)
    with pytest.raises(BuildError):
        build(options(seeds, out, cache))
    assert site_files(out) == live
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "out", "seeds"]
    monkeypatch.undo()
    build(options(seeds, out, cache))
    build(options(seeds, tmp_path / "cold", None))
    assert site_files(out) == site_files(tmp_path / "cold")


def test_a_folder_left_half_removed_by_a_killed_build_is_removed_by_the_next(tmp_path):
    import subprocess
    import sys

    from paper_catalogue.writer import remove_leftovers

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    trash = tmp_path / f"._site.removing-{dead}-0" / "pagefind" / "fragment"
    trash.mkdir(parents=True)
    (trash / "en_1.pf_fragment").write_bytes(b"x")
    remove_leftovers(tmp_path / "_site")
    assert list(tmp_path.iterdir()) == []


def test_an_up_to_date_output_is_found_before_related_papers_are_loaded(tmp_path, seeds, monkeypatch):
    import paper_catalogue.pipeline as pipeline

    cached = options(seeds, tmp_path / "out", tmp_path / "cache")
    build(cached)

    def no_related(*args, **kwargs):
        raise AssertionError("related papers loaded for an output that is already up to date")

    monkeypatch.setattr(pipeline, "RelatedSearch", no_related)
    messages = build_logged(cached)
    assert "related: unchanged, not needed" in messages
    assert any("nothing changed" in line for line in messages)
