"""The preview serves, for every file a build writes, the same bytes: at the start and after each kind of edit."""

from __future__ import annotations

import re
import shutil
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest

from conftest import REAL_SEEDS, REAL_SITE_SRC, ROOT
from paper_catalogue.pipeline import BuildOptions, build
from paper_catalogue.preview_site import DATA, PAGES, STATIC, TEMPLATES, MemoryCache, PreviewSite
from paper_catalogue.serve import PreviewState, start_server, stop_server
from paper_catalogue.urls import base_path
from site_build import site_src_copy

BASE_URL = "http://127.0.0.1:8123/repo/"
"""The URL both the build and the preview make the site for: under a subpath, as on GitHub Pages."""
RELOAD_TAG = re.compile(rb'<script src="/repo/__livereload\.js" data-version="[0-9a-f]{16}" defer></script>')
NEW_PAPER = ("Zebra Finches Teach Transformers to Sing\n\n"
             "We train a transformer on zebra finch songs and it learns their syntax.\n")


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def written(options: BuildOptions, out: Path) -> dict[str, bytes]:
    """Every file `python build.py` writes for these inputs, by its path in the site."""
    build(replace(options, out=out))
    return {path.relative_to(out).as_posix(): path.read_bytes() for path in sorted(out.rglob("*")) if path.is_file()}


def served(url: str, paths) -> dict[str, bytes]:
    """Each path as the preview serves it, without the reload script it adds to HTML; a page is
    also asked for at its pretty URL (`papers/x/` for `papers/x/index.html`), which must agree."""
    files = {}
    for path in paths:
        status, body = get(url + path)
        assert status == 200, path
        files[path] = RELOAD_TAG.sub(b"", body, count=1)
        if path.endswith("index.html"):
            pretty = get(url + path.removesuffix("index.html"))
            assert pretty == (200, body), path
    return files


@pytest.fixture
def inputs(tmp_path) -> BuildOptions:
    """Copies of the real sample's seeds and site_src (with short lists, so they have several
    pages), and of the project's templates and static files, which the tests edit."""
    shutil.copytree(REAL_SEEDS, tmp_path / "seeds")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    shutil.copytree(ROOT / "static", tmp_path / "static")
    return BuildOptions(seeds=tmp_path / "seeds", site_src=site_src_copy(REAL_SITE_SRC, tmp_path, papers_per_page=40),
                        templates=tmp_path / "templates", static=tmp_path / "static", base_url=BASE_URL,
                        search_index=False)


@pytest.fixture
def preview(inputs):
    """The preview of `inputs`, served on a free port; yields (site, state, the site's URL)."""
    site = PreviewSite(inputs, MemoryCache(None))
    state = PreviewState(mount=base_path(BASE_URL), search=False)
    state.publish(site.update())
    server, thread = start_server(state, "127.0.0.1", 0)
    yield site, state, f"http://127.0.0.1:{server.server_address[1]}{state.mount}"
    stop_server(server, thread)


def assert_same_as_a_build(inputs: BuildOptions, url: str, out: Path) -> dict[str, bytes]:
    files = written(inputs, out)
    assert len(files) > 300 and "papers/page/2/index.html" in files and "papers.json" in files
    assert any(path.endswith("/cite.bib") for path in files)
    preview = served(url, files)
    for path, body in files.items():
        assert preview[path] == body, path
    return files


def test_the_preview_serves_every_file_of_a_build_byte_for_byte(inputs, preview, tmp_path):
    _, _, url = preview
    files = assert_same_as_a_build(inputs, url, tmp_path / "built")
    page = next(path for path in files if path.startswith("papers/") and path.endswith("/index.html"))
    assert RELOAD_TAG.search(get(url + page)[1])
    status, body = get(url + "no/such/page/")
    assert status == 404 and RELOAD_TAG.sub(b"", body) == files["404.html"]


@pytest.mark.parametrize("edit", ["template", "static", "about page", "about page body", "seed file", "site.toml"])
def test_after_an_edit_the_preview_serves_what_a_build_of_the_edited_inputs_writes(inputs, preview, tmp_path, edit):
    site, state, url = preview
    # Pages rendered before the edit are the ones the preview may keep: render some of each kind.
    before = written(inputs, tmp_path / "before")
    served(url, [path for path in before if path.endswith(".html")][:60])
    if edit == "template":
        template = inputs.templates / "paper.html"
        template.write_text(template.read_text(encoding="utf-8").replace("</article>", "<p>edited</p></article>", 1),
                            encoding="utf-8")
        kind = TEMPLATES
    elif edit == "static":
        (inputs.static / "style.css").write_text("body { color: #123456; }\n", encoding="utf-8")
        kind = STATIC
    elif edit == "about page":
        about = inputs.site_src / "pages" / "about.md"
        about.write_text("# About this edit\n\nA new first paragraph.\n", encoding="utf-8")
        kind = PAGES
    elif edit == "about page body":  # the same title, so the same navigation on every page
        about = inputs.site_src / "pages" / "about.md"
        about.write_text(about.read_text(encoding="utf-8") + "\nA new last paragraph.\n", encoding="utf-8")
        kind = PAGES
    elif edit == "seed file":
        (inputs.seeds / "new.txt").write_text(NEW_PAPER, encoding="utf-8")
        kind = DATA
    else:
        settings = inputs.site_src / "site.toml"
        text = settings.read_text(encoding="utf-8")
        settings.write_text(re.sub(r"(?m)^description = .*$", 'description = "An edited description."', text),
                            encoding="utf-8")
        kind = DATA
    state.publish(site.update({kind}))
    after = assert_same_as_a_build(inputs, url, tmp_path / "after")
    assert after != before


def test_an_edit_keeps_the_paper_pages_it_does_not_change_and_renders_the_others_again(inputs, preview):
    site, _, url = preview
    first = site.current
    ids = [paper.id for paper in first.order.papers]
    for paper_id in ids:
        get(f"{url}papers/{paper_id}/")
    get(f"{url}papers/")
    # The about page's text is on no paper page: every paper page is kept as rendered, and with
    # the navigation unchanged, so is the list of papers' view model.
    about = inputs.site_src / "pages" / "about.md"
    about.write_text(about.read_text(encoding="utf-8") + "\nEdited.\n", encoding="utf-8")
    second = site.update({PAGES})
    assert all(second.paper_files(paper_id) is first.paper_files(paper_id) for paper_id in ids)
    listing = PurePosixPath("papers/index.html")
    assert second.other_page(listing) is not None
    assert second._calls[listing] is first._calls[listing]
    assert second._calls[PurePosixPath("about/index.html")] is not first._calls[PurePosixPath("about/index.html")]
    # A new paper changes the pages of the papers beside it in date order (previous and next),
    # and of papers it is related to; the rest are kept.
    (inputs.seeds / "new.txt").write_text(NEW_PAPER + "\n  • 2 authors\n·\nMay 3, 2024\n", encoding="utf-8")
    third = site.update({DATA})
    kept = [paper_id for paper_id in ids if third.paper_files(paper_id) is second.paper_files(paper_id)]
    assert 0 < len(kept) < len(ids)
    # A template edit renders every page again.
    template = inputs.templates / "paper.html"
    template.write_text(template.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    fourth = site.update({TEMPLATES})
    assert not any(fourth.paper_files(paper_id) is third.paper_files(paper_id) for paper_id in ids)


def test_one_papers_related_papers_are_those_the_related_stage_gives_it():
    from paper_catalogue.config import load_site_config
    from paper_catalogue.pipeline import read_catalogue
    from paper_catalogue.related import RelatedSearch, related_links

    catalogue, _ = read_catalogue(REAL_SEEDS, load_site_config(REAL_SITE_SRC / "site.toml"))
    links, search = related_links(catalogue), RelatedSearch(catalogue)
    assert sum(map(len, links.values())) > 1000
    for index, paper in enumerate(catalogue.papers):
        assert search.links_of(index) == links.get(paper.id, ()), paper.id
