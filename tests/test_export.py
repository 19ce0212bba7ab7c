"""The data export: papers.json is a small index of per-year parts that together hold every paper once."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path, PurePosixPath

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from site_build import build_site, read_page

from conftest import FIXTURES, REAL_SEEDS, ROOT, outputs_under_hash_seeds
from paper_catalogue.citations import cite_keys
from paper_catalogue.export import export_files, paper_record, read_export
from paper_catalogue.models import Catalogue, Identity, Paper, SiteConfig, Source
from paper_catalogue.pipeline import read_catalogue
from paper_catalogue.urls import BIB_URL, EXPORT_URL, export_part_url

SCHEMA = json.loads((ROOT / "docs" / "papers.schema.json").read_text(encoding="utf-8"))
API_SEEDS = FIXTURES / "api_seeds"
"""Real API days (authors' names, arXiv ids, code links) beside a listing dump (none of them)."""


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
    keys = cite_keys(real_catalogue.papers)
    assert [by_id[p.id] for p in real_catalogue.papers] == [paper_record(p, keys[p.id]) for p in real_catalogue.papers]


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


# --- identity fields and the schema -------------------------------------------------------------

def identified(number: int, identity: Identity | None, authors: int | None = None) -> Paper:
    return paper(number, dt.date(2025, 10, 7)).model_copy(update={"identity": identity, "authors": authors})


IDENTITY_FIELDS = ("arxiv_id", "authors", "author_names", "arxiv_url", "pdf_url", "hugging_face_url",
                   "code_url", "code_stars", "project_url", "keywords", "cite_key")


def test_records_give_the_arxiv_id_authors_links_and_cite_key():
    known = identified(1, Identity(arxiv_id="2510.04673", author_names=("Chan Hee Song", "Yu Su", "Ann Ång"),
                                   code_url="https://github.com/x/y", code_stars=12,
                                   project_url="https://x.example/", keywords=("agents", "UI")), authors=3)
    bare = identified(2, Identity(arxiv_id="cs/0101001"))
    listed = identified(3, None, authors=4)
    part = parts_of(export_files(Catalogue(papers=(known, bare, listed))))[2025]
    fields = {record["id"]: {key: record[key] for key in IDENTITY_FIELDS} for record in part}
    assert fields[known.id] == {
        "arxiv_id": "2510.04673", "authors": 3, "author_names": ["Chan Hee Song", "Yu Su", "Ann Ång"],
        "arxiv_url": "https://arxiv.org/abs/2510.04673", "pdf_url": "https://arxiv.org/pdf/2510.04673",
        "hugging_face_url": "https://huggingface.co/papers/2510.04673", "code_url": "https://github.com/x/y",
        "code_stars": 12, "project_url": "https://x.example/", "keywords": ["agents", "UI"],
        "cite_key": "song2025paper"}
    # Without names a key is year and title; two papers sharing one get their id's tail, as in papers.bib.
    assert fields[bare.id] == {
        "arxiv_id": "cs/0101001", "authors": None, "author_names": [],
        "arxiv_url": "https://arxiv.org/abs/cs/0101001", "pdf_url": "https://arxiv.org/pdf/cs/0101001",
        "hugging_face_url": "https://huggingface.co/papers/cs/0101001", "code_url": None, "code_stars": None,
        "project_url": None, "keywords": [], "cite_key": "paper2025-r-000002"}
    assert fields[listed.id] == {
        "arxiv_id": None, "authors": 4, "author_names": [], "arxiv_url": None, "pdf_url": None,
        "hugging_face_url": None, "code_url": None, "code_stars": None, "project_url": None, "keywords": [],
        "cite_key": "paper2025-r-000003"}


def part_validator() -> Draft202012Validator:
    """The schema's `part` definition, reached by reference as a reader's tool would."""
    registry = Registry().with_resource("papers.schema.json", Resource.from_contents(SCHEMA))
    return Draft202012Validator({"$ref": "papers.schema.json#/$defs/part"}, registry=registry,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(site: Path) -> list[str]:
    """Every way the site's papers.json or one of its parts breaks the schema, named by file."""
    index = json.loads((site / EXPORT_URL).read_text(encoding="utf-8"))
    validator = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = [f"{EXPORT_URL}: {error.message}" for error in validator.iter_errors(index)]
    for part in index["parts"]:
        records = json.loads(gzip.decompress((site / part["url"]).read_bytes()))
        errors += [f"{part['url']}: {'/'.join(map(str, error.path))}: {error.message}"
                   for error in part_validator().iter_errors(records)]
    return errors


def test_the_schema_is_draft_2020_12_and_names_exactly_the_record_fields():
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    record = paper_record(identified(1, None), "key")
    paper_schema = SCHEMA["$defs"]["paper"]
    assert list(paper_schema["properties"]) == paper_schema["required"] == list(record)
    index_schema = SCHEMA["$defs"]["index"]
    assert index_schema["required"] == list(index_of(export_files(spread_catalogue(3))))


@pytest.fixture(scope="module")
def identity_site(tmp_path_factory) -> Path:
    return build_site(tmp_path_factory.mktemp("identity") / "_site", seeds=API_SEEDS)


def test_a_built_export_with_and_without_identities_matches_the_schema(fixture_site, identity_site):
    identified_records = [record for record in read_export(identity_site) if record["arxiv_id"]]
    assert identified_records and any(record["code_url"] for record in identified_records)
    assert any(record["arxiv_id"] is None for record in read_export(identity_site))
    assert all(record["arxiv_id"] is None for record in read_export(fixture_site))
    assert schema_errors(fixture_site) == [] and schema_errors(identity_site) == []


def test_the_schema_rejects_a_record_missing_a_field_or_with_a_wrong_type(identity_site):
    record = next(record for record in read_export(identity_site) if record["author_names"])
    assert not list(part_validator().iter_errors([record]))
    for broken in ({key: value for key, value in record.items() if key != "author_names"},
                   record | {"arxiv_id": 2510.04673}, record | {"authors": "7"},
                   record | {"pdf_url": "javascript:alert(1)"}, record | {"published": "2025-13-45"},
                   record | {"extra": 1}):
        assert list(part_validator().iter_errors([broken])), broken.keys() ^ record.keys() or broken
    index = json.loads((identity_site / EXPORT_URL).read_text(encoding="utf-8"))
    del index["parts"][0]["count"]
    assert list(Draft202012Validator(SCHEMA).iter_errors(index))


def test_cite_keys_are_the_keys_of_papers_bib(identity_site):
    bib = (identity_site / BIB_URL).read_text(encoding="utf-8")
    keys_in_bib = [line.removeprefix("@misc{").rstrip(",") for line in bib.splitlines() if line.startswith("@misc{")]
    records = read_export(identity_site)
    assert keys_in_bib == [record["cite_key"] for record in records]  # both in id order
    assert len(set(keys_in_bib)) == len(records)
