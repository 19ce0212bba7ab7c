"""The benchmark harness on a small synthetic catalogue: its output, never its timings."""

from __future__ import annotations

import statistics
import subprocess
import sys

import pytest

from bench.run import STAGES, first_query_bytes, main, served_bytes
from bench.synth import load_material, seed_texts, write_catalogue
from paper_catalogue.api_records import read_api_file
from paper_catalogue.export import read_export
from paper_catalogue.seeds import read_seed_file, seed_files, seed_name
from paper_catalogue.urls import title_key

from conftest import REAL_SEEDS, ROOT

SIZE = 500


@pytest.fixture(scope="module")
def material():
    return load_material(REAL_SEEDS)


def test_same_size_gives_byte_identical_seed_files(tmp_path):
    first = write_catalogue(SIZE, tmp_path / "a", REAL_SEEDS)
    second = write_catalogue(SIZE, tmp_path / "b", REAL_SEEDS)
    names = [path.name for path in seed_files(first)]
    assert names == [path.name for path in seed_files(second)]
    assert len(names) > 1  # split into several files like real seeds
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes()


def test_api_format_reads_back_as_n_api_records_with_names_and_ids(tmp_path):
    folder = write_catalogue(SIZE, tmp_path / "api", REAL_SEEDS, api=True)
    paths = seed_files(folder)
    assert paths and all(path.parent.name == "hf-daily" and path.suffix == ".json" for path in paths)
    entries = []
    for path in paths:
        result = read_api_file(path, str(path), seed_name(path, folder))
        assert result.warnings == []
        entries += result.entries
    assert len(entries) == SIZE
    assert len({entry.identity.arxiv_id for entry in entries}) == SIZE
    assert all(entry.identity.author_names and entry.published is not None for entry in entries)
    assert any(entry.identity.code_url for entry in entries)
    again = write_catalogue(SIZE, tmp_path / "again", REAL_SEEDS, api=True)
    assert all((again / path.relative_to(folder)).read_bytes() == path.read_bytes() for path in paths)


def test_different_sizes_differ(material):
    assert seed_texts(SIZE, material) != seed_texts(SIZE + 1, material)


def test_synthetic_files_read_back_as_n_unique_papers_with_metadata(tmp_path):
    folder = write_catalogue(SIZE, tmp_path / "seeds", REAL_SEEDS)
    entries, warnings = [], []
    for path in seed_files(folder):
        result = read_seed_file(path)
        entries += result.entries
        warnings += result.warnings
    assert warnings == []
    assert len(entries) == SIZE
    assert len({title_key(entry.title) for entry in entries}) == SIZE
    assert all(entry.published is not None and entry.upvotes is not None for entry in entries)
    assert all((entry.authors is None) != (entry.organization is None) for entry in entries)
    assert any(entry.organization is not None for entry in entries)


def test_harness_builds_n_papers_and_prints_the_table(tmp_path, capsys):
    assert main(["--sizes", str(SIZE), "--runs", "2", "--keep", "--out-dir", str(tmp_path),
                 "--material", str(REAL_SEEDS), "--site-src", str(REAL_SEEDS.parent / "site_src")]) == 0
    papers = read_export(tmp_path / f"catalogue-{SIZE}" / "site")
    assert len(papers) == SIZE

    table, cpu_table, footer = capsys.readouterr().out.strip().split("\n\n")
    assert "load average" in footer
    cpu_lines = cpu_table.splitlines()
    cpu_header = [cell.strip() for cell in cpu_lines[0].strip("|").split("|")]
    assert cpu_header[1:1 + len(STAGES)] == [f"{name} cpu s" for name in STAGES]
    cpu_row = dict(zip(cpu_header, (cell.strip() for cell in cpu_lines[2].strip("|").split("|"))))
    # The stages' CPU time and what was spent outside them add up to the process's.
    assert abs(float(cpu_row["stages cpu s"]) + float(cpu_row["outside stages cpu s"])
               - float(cpu_row["cpu s"])) < 0.002
    assert float(cpu_row["render cpu s"]) > 0 and float(cpu_row["index cpu s"]) > 0
    # Pagefind starts once the paper pages are written: after some of the build's work, not all of it.
    assert 0 < float(cpu_row["before index cpu s"]) < float(cpu_row["stages cpu s"])
    lines = table.splitlines()
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert header[:2] == ["papers", "build"]
    assert header[2:2 + len(STAGES)] == [f"{name} s" for name in STAGES]
    for column in ("start-up s", "total s", "cpu s", "peak RSS", "pages/s", "output", "files", "first query (gzip)",
                   "paper page (median)", "ours / hugo + pagefind"):
        assert column in header
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]
    assert len(rows) == 1 and len(rows[0]) == len(header)
    row = dict(zip(header, rows[0]))
    assert row["papers"] == f"{SIZE}" and row["build"] == "ours"
    assert row["read s"] != "-"  # the pipeline's own timing of a stage it runs
    assert 0 < float(row["index starts s"]) < float(row["total s"])
    assert int(row["files"].replace(",", "")) >= 1
    assert row["ours / hugo + pagefind"] == "-"  # no --hugo
    pages = [path.stat().st_size for path in (tmp_path / f"catalogue-{SIZE}" / "site").glob("papers/*/index.html")]
    assert len(pages) == SIZE and row["paper page (median)"] == f"{int(statistics.median(pages)) / 1e3:.1f} KB"


def test_first_query_estimate_reads_a_real_pagefind_bundle(tmp_path):
    site = tmp_path / "site"
    assert first_query_bytes(site) is None
    for number in range(3):
        page = site / f"p{number}" / "index.html"
        page.parent.mkdir(parents=True)
        page.write_text(f"<!doctype html><html lang='en'><head><title>P{number}</title></head>"
                        f"<body><main><h1>Paper {number}</h1><p>attention retrieval words {number}</p>"
                        "</main></body></html>", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pagefind", "--site", str(site)], check=True, capture_output=True,
                   cwd=ROOT)
    estimate = first_query_bytes(site)
    bundle = site / "pagefind"
    # The runtime every first query loads, pf_meta included, as GitHub Pages serves it.
    runtime = (served_bytes(bundle / "pagefind.js") + served_bytes(bundle / "pagefind-worker.js")
               + (bundle / "wasm.en.pagefind").stat().st_size
               + sum(path.stat().st_size for path in bundle.glob("pagefind.*.pf_meta")))
    total = sum(served_bytes(path) for path in bundle.rglob("*") if path.is_file())
    assert len(list(bundle.glob("pagefind.*.pf_meta"))) == 1
    assert runtime < estimate < total


def test_hugo_content_front_matter_round_trips(tmp_path):
    import tomllib

    from bench.hugo_content import write_content

    paper = {"id": "a-b", "title": 'Quotes "in" titles, back\\slashes and ünïcode', "abstract": "Body text.",
             "published": "2024-02-29", "upvotes": 3, "authors": None,
             "organization": {"handle": "kyutai", "name": "Kyutai"}, "topics": ["nlp", "vision"]}
    assert write_content([paper], tmp_path / "content") == 1
    text = (tmp_path / "content" / "papers" / "a-b.md").read_text(encoding="utf-8")
    _, front, body = text.split("+++\n")
    meta = tomllib.loads(front)
    assert meta["title"] == paper["title"]
    assert str(meta["date"]) == "2024-02-29"
    assert meta["topics"] == ["nlp", "vision"] and meta["organization"] == "Kyutai"
    assert "authors" not in meta
    assert body.strip() == "Body text."


@pytest.mark.browser
def test_first_query_in_chromium_counts_the_bundle_a_search_downloads(tmp_path, capsys):
    """bench/first_query.py on the real seeds' site: every row holds bytes, gzip never more than
    as stored, and at least the fixed runtime (pagefind.js, WebAssembly, pf_meta) is counted."""
    from site_build import build_real_site, need, need_chromium
    need_chromium()
    try:
        import playwright.sync_api  # noqa: F401 - first_query drives it
    except ImportError:
        need("playwright", False)
    from bench.first_query import main as first_query

    site = build_real_site(tmp_path / "_site")
    assert first_query([str(site), "SnapKV", "kv cache"]) == 0
    rows = [line.strip("|").split("|") for line in capsys.readouterr().out.splitlines()[2:]]
    assert [row[0].strip() for row in rows] == ["SnapKV", "kv cache"]
    runtime = sum(path.stat().st_size for path in (site / "pagefind").glob("*.pf_meta")) + (
        site / "pagefind" / "wasm.en.pagefind").stat().st_size
    measured = []
    for _, stored, zipped in rows:
        stored, zipped = (int(cell.strip().removesuffix(" B").replace(",", "")) for cell in (stored, zipped))
        assert runtime < zipped <= stored
        measured.append(zipped)
    # The harness's estimate for a one-word query stays close to what Chromium fetched for one.
    assert 0.8 * measured[0] < first_query_bytes(site) < 1.2 * measured[0]


def test_rebuild_timings_cover_four_builds_and_leave_the_seeds_alone(tmp_path, capsys):
    from bench.rebuilds import ADDED_PAPERS, main as rebuilds

    before = {path.name: path.read_bytes() for path in REAL_SEEDS.glob("*.txt")}
    assert rebuilds([str(REAL_SEEDS), "--work", str(tmp_path / "work"), "--settle", "0", "--runs", "2"]) == 0
    assert {path.name: path.read_bytes() for path in REAL_SEEDS.glob("*.txt")} == before
    lines = capsys.readouterr().out.splitlines()
    rows = {cells[0]: cells[1:] for cells in ([c.strip() for c in line.strip("|").split("|")] for line in lines[2:])}
    assert list(rows) == ["cold", "unchanged", "template edited", "seed file added"]
    stage = {name: index for index, name in enumerate(STAGES)}
    assert rows["unchanged"][stage["render"]] == "-" and rows["unchanged"][stage["write"]] == "-"
    assert all(cell != "-" for cell in rows["seed file added"])
    assert rows["cold"][-1] == "1.00" and 0 < float(rows["unchanged"][-1]) < 1  # medians over both runs
    site = tmp_path / "work" / "_site"
    added = sorted(site.joinpath("papers").glob("an-added-paper-number-*"))
    assert len(added) == ADDED_PAPERS


def test_export_sizes_lists_the_index_and_every_part_with_their_sum(tmp_path, capsys):
    from bench.export_sizes import main as export_sizes

    assert export_sizes([str(SIZE), "--work", str(tmp_path), "--seeds", str(REAL_SEEDS)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    rows = [[cell.strip().replace(",", "") for cell in line.strip("|").split("|")] for line in lines[2:]]
    site = tmp_path / f"site-{SIZE}"
    parts = sorted(site.glob("data/*.json.gz"))
    assert rows[0] == ["papers.json", str(SIZE), str((site / "papers.json").stat().st_size), rows[0][3]]
    assert sorted(row[0] for row in rows[1:-1]) == [path.relative_to(site).as_posix() for path in parts]
    assert rows[-1][:3] == ["all parts", str(SIZE), str(sum(path.stat().st_size for path in parts))]
    assert int(rows[-1][3]) > 2 * int(rows[-1][2]) > 0  # the JSON inside is larger than its gzip


def test_pagefind_interfaces_index_every_paper_page_each_way(tmp_path, capsys):
    from bench.pagefind_interfaces import WAYS, main as interfaces

    assert interfaces([str(REAL_SEEDS), "--runs", "1", "--work", str(tmp_path)]) == 0  # exits if a way misses a page
    lines = capsys.readouterr().out.splitlines()
    rows = {cells[0]: cells[1:] for cells in ([c.strip() for c in line.strip("|").split("|")] for line in lines[2:])}
    assert list(rows) == list(WAYS)
    assert all(float(seconds.removesuffix(" s")) > 0 for seconds, _, _ in rows.values())
    assert rows["cli, alone"][2] == rows["cli, in the build"][2] == "1.00"
    fragments = [len(list(tmp_path.joinpath(folder, "pagefind", "fragment").iterdir()))
                 for folder in ("cli-build-0", "api-build-0")]
    assert fragments[0] == fragments[1] > 200


@pytest.mark.parametrize("kind", [[], ["--api"]], ids=["listing dumps", "API records"])
def test_preview_timings_cover_every_edit_in_chromium(tmp_path, capsys, kind):
    """bench/preview.py on a small catalogue: a timing for the first page and each kind of edit."""
    from site_build import need, need_chromium
    need_chromium()
    try:
        import playwright.sync_api  # noqa: F401 - the benchmark drives it
    except ImportError:
        need("playwright", False)
    from bench.preview import main as preview

    assert preview(["--papers", "300", "--runs", "1", "--no-cold-build", "--catalogues", str(tmp_path), *kind]) == 0
    summary = capsys.readouterr().out.split("medians of 1 runs (seconds):\n")[1].splitlines()
    names = [line.split(":")[0].strip() for line in summary]
    assert names == ["first page after start", "template edit (paper.html, a paper page open)",
                     "template edit (base.html, the home page open)",
                     "About edit (site_src/pages/about.md, the About page open)",
                     "20 new papers (a new paper's page open)"]
    assert all(0 < float(line.split(":")[1].split()[0]) < 120 for line in summary)
