"""The data export: papers.json is a small index of per-year parts that together hold every paper once."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path, PurePosixPath

import pytest
from site_build import build_site, read_page

from conftest import REAL_SEEDS, outputs_under_hash_seeds
from paper_catalogue.export import export_files, paper_record, read_export
from paper_catalogue.models import Catalogue, Paper, SiteConfig, Source
from paper_catalogue.pipeline import read_catalogue
from paper_catalogue.urls import EXPORT_URL, export_part_url


def paper(number: int, published: dt.date | None) -> Paper:
    return Paper(id=f"paper-{number:06d}", title=f"Paper {number}", abstract=f"Abstract {number}.",
                 published=published, sources=(Source(file="x.txt", line=number + 1),))


def spread_catalogue(size: int) -> Catalogue:
    """`size` papers spread over 2023, 2024 and no date."""
    dates = [dt.date(2023, 5, 1), dt.date(2024, 2, 29), None]
    return Catalogue(papers=tuple(paper(n, dates[n % 3]) for n in range(size)))


def index_of(files: dict[PurePosixPath, bytes]) -> dict:
    return json.loads(files[PurePosixPath(EXPORT_URL)])


def parts_of(files: dict[PurePosixPath, bytes]) -> dict[int | None, list[dict]]:
    """Each part's records, by the year the index gives it."""
    return {part["year"]: json.loads(gzip.decompress(files[PurePosixPath(part["url"])]))
            for part in index_of(files)["parts"]}


@pytest.fixture(scope="module")
def real_catalogue() -> Catalogue:
    catalogue, _ = read_catalogue(REAL_SEEDS, SiteConfig())
    return catalogue


def test_part_urls_name_the_year_or_undated():
    assert export_part_url(2024) == "data/papers-2024.json.gz"
    assert export_part_url(None) == "data/papers-undated.json.gz"


def test_the_index_grows_with_the_years_not_with_the_papers():
    small, large = (export_files(spread_catalogue(size)) for size in (30, 30_000))
    small_index, large_index = (files[PurePosixPath(EXPORT_URL)] for files in (small, large))
    assert small_index.count(b"\n") == large_index.count(b"\n")
    # Only the counts' digits differ: the total and three parts, three more digits each.
    assert len(large_index) - len(small_index) == 4 * 3
    assert len(large_index) < 500
    assert index_of(large)["count"] == 30_000
    assert sum(len(data) for data in large.values()) > 1000 * len(large_index)


def test_every_paper_is_in_exactly_one_part_the_part_of_its_year(real_catalogue):
    files = export_files(real_catalogue)
    index, parts = index_of(files), parts_of(files)
    assert set(files) == {PurePosixPath(EXPORT_URL)} | {PurePosixPath(part["url"]) for part in index["parts"]}
    ids = [record["id"] for records in parts.values() for record in records]
    assert sorted(ids) == [p.id for p in real_catalogue.papers]  # each paper once, none left out
    for year, records in parts.items():
        assert records and all(
            (record["published"] is None if year is None else record["published"].startswith(f"{year}-"))
            for record in records)
    assert index["count"] == len(real_catalogue.papers)
    assert [part["count"] for part in index["parts"]] == [len(records) for records in parts.values()]


def test_undated_papers_have_their_own_part_listed_last(real_catalogue):
    index = index_of(export_files(real_catalogue))
    undated = sum(p.published is None for p in real_catalogue.papers)
    assert 0 < undated < len(real_catalogue.papers)
    assert index["parts"][-1] == {"year": None, "url": "data/papers-undated.json.gz", "count": undated}
    years = [part["year"] for part in index["parts"][:-1]]
    assert years == sorted(years) and len(years) == len(set(years)) >= 1


def test_a_catalogue_with_every_paper_dated_has_no_undated_part():
    dated = Catalogue(papers=(paper(1, dt.date(2022, 1, 1)), paper(2, dt.date(2021, 12, 31))))
    index = index_of(export_files(dated))
    assert [(part["year"], part["count"]) for part in index["parts"]] == [(2021, 1), (2022, 1)]


def test_parts_hold_records_in_id_order_one_per_line(real_catalogue):
    files = export_files(real_catalogue)
    for year, records in parts_of(files).items():
        ids = [record["id"] for record in records]
        assert ids == sorted(ids)
        lines = gzip.decompress(files[PurePosixPath(export_part_url(year))]).decode("utf-8").splitlines()
        assert lines[0] == "[" and lines[-1] == "]" and len(lines) == len(records) + 2
        assert [json.loads(line.rstrip(",")) for line in lines[1:-1]] == records


def test_records_keep_every_field_of_the_paper(real_catalogue):
    by_id = {record["id"]: record for records in parts_of(export_files(real_catalogue)).values()
             for record in records}
    assert [by_id[p.id] for p in real_catalogue.papers] == [paper_record(p) for p in real_catalogue.papers]


def test_the_export_is_the_same_bytes_under_any_string_hash_seed():
    script = ("import hashlib; from pathlib import Path; from paper_catalogue.export import export_files; "
              "from paper_catalogue.models import SiteConfig; from paper_catalogue.pipeline import read_catalogue; "
              f"files = export_files(read_catalogue(Path({str(REAL_SEEDS)!r}), SiteConfig())[0]); "
              "print(sorted((str(path), hashlib.sha256(data).hexdigest()) for path, data in files.items()))")
    first, second = outputs_under_hash_seeds(script)
    assert first == second and "data/papers-undated.json.gz" in first


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory) -> Path:
    return build_site(tmp_path_factory.mktemp("export") / "_site")


def test_read_export_follows_the_index_to_every_record_in_id_order(fixture_site):
    index = json.loads((fixture_site / EXPORT_URL).read_text(encoding="utf-8"))
    papers = read_export(fixture_site)
    assert len(papers) == index["count"] == sum(part["count"] for part in index["parts"])
    assert [p["id"] for p in papers] == sorted(p["id"] for p in papers)
    assert all((fixture_site / part["url"]).is_file() for part in index["parts"])


def test_the_footer_links_the_index_and_the_sitemap_lists_no_data(fixture_site):
    footer_links = [a.attrs["href"] for a in read_page(fixture_site, "").find("footer").find_all("a")]
    assert [href for href in footer_links if href.endswith(".json")] == ["/catalogue/papers.json"]  # its base path
    sitemap = (fixture_site / "sitemap.xml").read_text(encoding="utf-8")
    assert ".json" not in sitemap and "data/" not in sitemap
