"""Papers with their identity: API records as seeds, merged with listing dumps, and what a paper page, its
BibTeX and the search give of a paper's arXiv id, authors, code and project page."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES
from site_build import FIXTURE_SITE_SRC, build_site, read_page

from paper_catalogue.api_records import read_api_file
from paper_catalogue.citations import bib_escape, cite_keys
from paper_catalogue.models import SiteConfig
from paper_catalogue.pipeline import read_catalogue

API_SEEDS = FIXTURES / "api_seeds"
DAY_2024 = API_SEEDS / "hf-daily" / "2024-11-29.json"
DAY_2025 = API_SEEDS / "hf-daily" / "2025-10-07.json"
CRITIC_V = "papers/critic-v-vlm-critics-help-catch-vlm-errors-in-multimodal-reasoning/"
PAPER2VIDEO = "papers/paper2video-automatic-video-generation-from-scientific-papers/"
VIDEO_LMM_ID = "2510.05034"  # 27 authors


def read(path: Path):
    return read_api_file(path, str(path), path.name)


def item(**paper) -> dict:
    """An API item shaped as the real ones, with `paper` fields overridden."""
    real = json.loads(DAY_2025.read_text(encoding="utf-8"))[0]
    real["paper"].update(paper)
    return real


def write(tmp_path: Path, name: str, value) -> Path:
    path = tmp_path / name
    path.write_text(value if isinstance(value, str) else json.dumps(value), encoding="utf-8")
    return path


# --- reading API records ------------------------------------------------------------------------

def test_a_real_day_gives_one_entry_per_item_with_its_identity():
    items = json.loads(DAY_2025.read_text(encoding="utf-8"))
    result = read(DAY_2025)
    assert result.warnings == []
    assert len(result.entries) == len(items)
    first = result.entries[0]
    assert first.title == "Paper2Video: Automatic Video Generation from Scientific Papers"
    assert "\n" not in first.abstract and first.abstract.startswith("Academic presentation videos have become")
    assert first.identity.arxiv_id == "2510.05096"
    assert first.identity.author_names == ("Zeyu Zhu", "Kevin Qinghong Lin", "Mike Zheng Shou")
    assert first.authors == 3
    assert first.identity.code_url == "https://github.com/showlab/Paper2Video"
    assert first.identity.code_stars == 28
    assert first.identity.project_url == "https://showlab.github.io/Paper2Video/"
    assert "multi-agent framework" in first.identity.keywords
    assert first.organization.handle == "showlab" and first.organization.name == "Show Lab"
    assert str(first.published) == "2025-10-06"
    # The source names the line each item starts on.
    assert first.source.line == 2
    assert [entry.source.line for entry in result.entries] == sorted(entry.source.line for entry in result.entries)


def test_hidden_authors_are_left_out_and_unknown_fields_ignored(tmp_path):
    record = item(authors=[{"name": "Shown First", "hidden": False}, {"name": "Hidden One", "hidden": True},
                           {"name": "Shown Second"}], somethingNew={"nested": [1, 2]})
    record["anotherNewField"] = 7
    [entry] = read(write(tmp_path, "day.json", [record])).entries
    assert entry.identity.author_names == ("Shown First", "Shown Second")


@pytest.mark.parametrize("bad, message", [
    ("[1, 2]", "item 0: not an object but a JSON number; skipped"),
    ('[{"paper": {"id": "2401.00001", "summary": "An abstract."}}]', "item 0: no title; skipped"),
    ('[{"paper": {"id": "2401.00001", "title": "A title"}}]', "item 0: no summary; skipped"),
    ('{"paper": {}}', "not a daily-papers response: expected a JSON list of items"),
    ('[{"paper": {"title": "T", "summary": "S", "upvotes": "many"}}]', "item 0: paper.upvotes"),
])
def test_a_bad_item_is_a_warning_naming_file_and_item(tmp_path, bad, message):
    path = write(tmp_path, "day.json", bad)
    result = read(path)
    assert result.entries == []
    assert any(message in warning.message and warning.file == str(path) for warning in result.warnings), \
        result.warnings


def test_a_bad_item_loses_nothing_else(tmp_path):
    good = json.loads(DAY_2024.read_text(encoding="utf-8"))
    path = write(tmp_path, "day.json", [good[0], "not an object", {"paper": {"title": "No summary"}}, good[1]])
    result = read(path)
    assert [entry.title for entry in result.entries] == [good[0]["paper"]["title"], good[1]["paper"]["title"]]
    assert len(result.warnings) == 2


def test_json_that_breaks_off_keeps_the_items_before_the_break(tmp_path):
    text = DAY_2024.read_text(encoding="utf-8")
    items = json.loads(text)
    whole = json.dumps(items[:2], indent=1)
    cut = whole[:whole.rindex("]")].rstrip() + ',\n {"paper": {"title": "cut'
    result = read(write(tmp_path, "day.json", cut))
    assert len(result.entries) == 2
    [warning] = result.warnings
    assert "item 2: not valid JSON" in warning.message and warning.line > 1


def test_the_damaged_archive_file_is_named_and_skipped():
    path = API_SEEDS / "damaged" / "2024-12-11.json"
    result = read(path)
    assert result.entries == []
    [warning] = result.warnings
    assert warning.file == str(path) and warning.line == 2
    assert "not objects but JSON strings" in warning.message and "3 times" in warning.message


def test_json_lines_give_one_entry_a_line_and_name_bad_lines(tmp_path):
    lines = (API_SEEDS / "records.jsonl").read_text(encoding="utf-8").splitlines()
    path = write(tmp_path, "more.jsonl", "\n".join([lines[0], "{broken", "", lines[1]]) + "\n")
    result = read(path)
    assert [entry.source.line for entry in result.entries] == [1, 4]
    [warning] = result.warnings
    assert warning.line == 2 and "not valid JSON" in warning.message


def test_a_paper_id_that_is_not_an_arxiv_id_keeps_the_paper_without_it(tmp_path):
    [entry] = (result := read(write(tmp_path, "day.json", [item(id="javascript:alert(1)")]))).entries
    assert entry.identity is None
    assert "is not an arXiv id" in result.warnings[0].message


def test_links_that_are_not_web_addresses_are_dropped(tmp_path):
    [entry] = read(write(tmp_path, "day.json", [item(githubRepo="javascript:alert(1)", projectPage="/relative")])).entries
    assert entry.identity.code_url is None and entry.identity.project_url is None


# --- one paper, whatever its sources -------------------------------------------------------------

def test_a_dump_entry_and_a_record_of_the_same_paper_are_one_paper(tmp_path):
    catalogue, _ = read_catalogue(API_SEEDS, SiteConfig())
    [critic] = [paper for paper in catalogue.papers if paper.title.startswith("Critic-V")]
    assert critic.identity.arxiv_id == "2411.18203"
    assert critic.identity.author_names[0] == "Di Zhang"
    assert {source.file for source in critic.sources} == {"001_listing.txt", "hf-daily/2024-11-29.json"}
    assert str(critic.published) == "2024-11-27"


def test_adding_api_records_never_changes_a_permalink_or_doubles_a_paper(tmp_path):
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    shutil.copy(API_SEEDS / "001_listing.txt", dumps)
    before, _ = read_catalogue(dumps, SiteConfig())
    after, _ = read_catalogue(API_SEEDS, SiteConfig())
    assert {paper.id for paper in before.papers} <= {paper.id for paper in after.papers}
    records = sum(1 for _ in json.loads(DAY_2024.read_text())) + len(json.loads(DAY_2025.read_text())) + 2
    shared = 1  # Critic-V
    assert len(after.papers) == len(before.papers) + records - shared


def test_a_paper_listed_on_two_days_is_one_paper(tmp_path):
    seeds = tmp_path / "seeds"
    (seeds / "a").mkdir(parents=True)
    first = item(title="A first title of the paper")
    second = item(title="The same paper under a revised title", upvotes=99)
    (seeds / "a" / "2025-10-07.json").write_text(json.dumps([first]))
    (seeds / "a" / "2025-10-08.json").write_text(json.dumps([second]))
    catalogue, _ = read_catalogue(seeds, SiteConfig())
    [paper] = catalogue.papers
    assert paper.id == "a-first-title-of-the-paper"  # from the first record read: adding a day keeps it
    assert len(paper.sources) == 2


# --- citations ---------------------------------------------------------------------------------

def test_cite_keys_follow_arxiv_style_and_stay_unique():
    catalogue, _ = read_catalogue(API_SEEDS, SiteConfig())
    keys = cite_keys(catalogue.papers)
    assert len(set(keys.values())) == len(keys)
    [paper2video] = [paper for paper in catalogue.papers if paper.title.startswith("Paper2Video")]
    assert keys[paper2video.id] == "zhu2025paper2video"


def test_bibtex_escapes_its_special_characters():
    assert bib_escape("50% of R&D_{x} costs $3 #1 ~ ^ \\") == \
        r"50\% of R\&D\_\{x\} costs \$3 \#1 \textasciitilde{} \textasciicircum{} \textbackslash{}"


# --- the pages ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("identity") / "_site"
    build_site(out, API_SEEDS, FIXTURE_SITE_SRC, base_url="http://127.0.0.1:8000/")  # served at a root
    return out


def test_a_paper_page_links_the_paper_its_code_and_project(site):
    page = read_page(site, PAPER2VIDEO)
    links = {a.text(): a.attrs["href"] for a in page.find("section", **{"class": "find"}).find_all("a")}
    assert links["arXiv:2510.05096"] == "https://arxiv.org/abs/2510.05096"
    assert links["PDF"] == "https://arxiv.org/pdf/2510.05096"
    assert links["Hugging Face"] == "https://huggingface.co/papers/2510.05096"
    assert links["github.com/showlab/Paper2Video"] == "https://github.com/showlab/Paper2Video"
    assert links["showlab.github.io/Paper2Video"] == "https://showlab.github.io/Paper2Video/"
    assert "28 stars" in page.find("section", **{"class": "find"}).text()


def test_a_paper_page_names_the_authors_in_order_and_shortens_a_long_list(site):
    page = read_page(site, PAPER2VIDEO)
    authors = page.find("div", **{"class": "authors"}).text()
    assert authors == "Zeyu Zhu, Kevin Qinghong Lin, Mike Zheng Shou"
    catalogue, _ = read_catalogue(API_SEEDS, SiteConfig())
    [long] = [paper for paper in catalogue.papers if paper.identity and paper.identity.arxiv_id == VIDEO_LMM_ID]
    names = long.identity.author_names
    assert len(names) == 27
    dd = read_page(site, f"papers/{long.id}/").find("div", **{"class": "authors"})
    details = dd.find("details")
    assert details.find("summary").text() == "and 15 more"
    assert dd.text().replace("and 15 more", ", ").replace(", , ", ", ").split(", ") == list(names)


def test_a_paper_page_carries_scholar_tags_and_json_ld(site):
    page = read_page(site, PAPER2VIDEO)
    metas = [(m.attrs.get("name"), m.attrs.get("content")) for m in page.find_all("meta") if m.attrs.get("name")]
    assert ("citation_title", "Paper2Video: Automatic Video Generation from Scientific Papers") in metas
    assert [content for name, content in metas if name == "citation_author"] == \
        ["Zeyu Zhu", "Kevin Qinghong Lin", "Mike Zheng Shou"]
    assert ("citation_publication_date", "2025/10/06") in metas
    assert ("citation_pdf_url", "https://arxiv.org/pdf/2510.05096") in metas
    [script] = [s for s in page.find_all("script") if s.attrs.get("type") == "application/ld+json"]
    data = json.loads(script.text())
    assert data["@type"] == "ScholarlyArticle"
    assert [author["name"] for author in data["author"]] == ["Zeyu Zhu", "Kevin Qinghong Lin", "Mike Zheng Shou"]
    assert data["identifier"]["value"] == "2510.05096"
    og = {m.attrs["property"]: m.attrs["content"] for m in page.find_all("meta") if m.attrs.get("property")}
    assert og["og:description"].startswith("Academic presentation videos")


def test_the_cite_section_gives_the_bibtex_that_cite_bib_holds(site):
    page = read_page(site, PAPER2VIDEO)
    section = page.find("section", **{"class": "cite"})
    bibtex = section.find("pre").text()
    assert bibtex == (site / PAPER2VIDEO / "cite.bib").read_text(encoding="utf-8")
    assert bibtex.startswith("@misc{zhu2025paper2video,")
    for field in ("eprint={2510.05096}", "archivePrefix={arXiv}", "author={Zeyu Zhu and Kevin Qinghong Lin and "
                  "Mike Zheng Shou}", "year={2025}", "url={https://arxiv.org/abs/2510.05096}"):
        assert field in bibtex
    button = section.find("button")
    assert button.attrs["data-copy"] == section.find("pre").attrs["id"]
    assert section.find("a").attrs["href"].endswith(PAPER2VIDEO + "cite.bib")


def test_papers_bib_holds_every_paper_and_each_topic_its_own(site):
    whole = (site / "papers.bib").read_text(encoding="utf-8")
    pages = list((site / "papers").glob("*/cite.bib"))
    assert whole.count("@misc{") == len(pages) > 30
    for cite in pages:
        assert cite.read_text(encoding="utf-8") in whole
    topic_bibs = list((site / "topics").glob("*/papers.bib"))
    assert topic_bibs
    for bib in topic_bibs:
        assert 0 < bib.read_text(encoding="utf-8").count("@misc{") <= len(pages)


def test_a_dump_only_paper_keeps_its_title_searches_in_the_html(site):
    page = read_page(site, "papers/discrete-key-value-bottleneck/")
    links = page.find("section", **{"class": "find"}).find_all("a")
    assert [a.text() for a in links] == ["arXiv", "Hugging Face", "Semantic Scholar", "Google Scholar"]
    assert links[0].attrs["href"] == "https://arxiv.org/search/?searchtype=title&query=Discrete+Key-Value+Bottleneck"
    assert "@misc{" in page.find("section", **{"class": "cite"}).find("pre").text()


def test_lists_show_first_author_et_al(site):
    listing = read_page(site, "papers/")
    bylines = [span.text() for span in listing.find_all("span") if span.has_class("byline")]
    assert "Zeyu Zhu et al." in bylines
    assert all(re.fullmatch(r".+ et al\.|[^,]+( and [^,]+)?", byline) for byline in bylines)


def test_search_finds_a_paper_by_an_authors_name(site):
    from pagefind_api import chromium, pagefind_index

    with chromium() as browser, pagefind_index(browser, site) as index:
        results = index.search("Qinghong")
        assert [data["url"] for data in results][:1] == ["/" + PAPER2VIDEO]
        assert results[0]["meta"]["authors"] == "Zeyu Zhu et al."


def test_the_copy_button_copies_the_bibtex(site):
    from pagefind_api import chromium
    from site_build import serve

    with chromium() as browser, serve(site) as url:
        context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
        try:
            page = context.new_page()
            page.goto(url + PAPER2VIDEO)
            button = page.locator(".cite button")
            assert button.is_visible() and button.inner_text() == "Copy BibTeX"
            button.click()
            page.wait_for_function("() => document.querySelector('.cite button').textContent === 'Copied'")
            assert page.evaluate("() => navigator.clipboard.readText()") == page.locator("#bibtex").inner_text()
        finally:
            context.close()
