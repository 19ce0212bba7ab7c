"""Real 2024 records with LaTeX, built with the search index: every file the build writes shows
clean text, no word is lost, ids are clean, the export keeps both forms, and search finds them."""

from __future__ import annotations

import json
import re

import pytest

from bench.latex_fidelity import check_site, corpus_entries, latex_leaks, page_text, write_seeds
from paper_catalogue.export import read_export
from paper_catalogue.pipeline import BuildOptions, build
from paper_catalogue.text import plain_text, title_text

from conftest import ROOT
from site_build import FIXTURE_SITE_SRC
from test_search_browser import browser, page, result_ids, search, serve  # noqa: F401 - fixtures

RECORDS = ROOT / "tests" / "fixtures" / "latex_2024" / "records.jsonl"


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return [json.loads(line) for line in RECORDS.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def latex_site(tmp_path_factory, records):
    folder = tmp_path_factory.mktemp("latex")
    seeds = write_seeds(corpus_entries(RECORDS), folder / "seeds")
    out = folder / "_site"
    result = build(BuildOptions(seeds=seeds, out=out, site_src=FIXTURE_SITE_SRC, base_url="http://127.0.0.1:8000/",
                                templates=ROOT / "templates", static=ROOT / "static"))
    return out, result


def test_the_catalogue_is_exactly_the_records(latex_site, records):
    _, result = latex_site
    papers = sorted(((p.title, p.abstract, p.published.isoformat(), p.upvotes, p.authors)
                     for p in result.catalogue.papers))
    listed = sorted((" ".join(r["title"].split()), " ".join(r["abstract"].split()), r["date"], r["upvotes"],
                     r["authors"]) for r in records)
    assert papers == listed


def test_no_file_shows_latex_and_no_word_is_lost(latex_site):
    out, result = latex_site
    page_leaks, lost, other = check_site(out, result.catalogue.papers)
    assert page_leaks == {} and lost == {} and other == {}


def test_the_check_sees_raw_latex_and_lost_words_where_there_are_some(latex_site):
    """The check above could fail: the raw titles and abstracts it reads past are caught."""
    _, result = latex_site
    raw = [paper for paper in result.catalogue.papers if re.search(r"[\\$]", paper.title)]
    assert len(raw) >= 14
    assert all(latex_leaks(paper.title) for paper in raw if "\\" in paper.title)
    html = (latex_site[0] / "papers" / raw[0].id / "index.html").read_text(encoding="utf-8")
    assert not latex_leaks(page_text(html))
    assert latex_leaks(page_text(html.replace("</h1>", r" \textit{x}</h1>")))


def test_pagefind_is_given_clean_text(latex_site):
    """What Pagefind indexes is the paper pages' HTML: its fragments are built from that text."""
    out, _ = latex_site
    assert (out / "pagefind" / "pagefind-entry.json").is_file()
    for html in (out / "papers").rglob("index.html"):
        assert not latex_leaks(page_text(html.read_text(encoding="utf-8"))), html


@pytest.mark.parametrize(("title", "paper_id"), [
    (r"$\textit{Trans-LoRA}$: towards data-free Transferable Parameter Efficient Finetuning",
     "trans-lora-towards-data-free-transferable-parameter-efficient-finetuning"),
    ("AutoCoder: Enhancing Code Large Language Model with \\textsc{AIEV-Instruct}",
     "autocoder-enhancing-code-large-language-model-with-aiev-instruct"),
    (r"$\textbf{Only-IF}$:Revealing the Decisive Effect of Instruction Diversity on Generalization",
     "only-if-revealing-the-decisive-effect-of-instruction-diversity-on-generalization"),
    ("$τ$-bench: A Benchmark for Tool-Agent-User Interaction in Real-World Domains",
     "tau-bench-a-benchmark-for-tool-agent-user-interaction-in-real-world-domains"),
    ("$VILA^2$: VILA Augmented VILA", "vila2-vila-augmented-vila"),
])
def test_ids_come_from_the_plain_title(latex_site, title, paper_id):
    _, result = latex_site
    assert {p.title: p.id for p in result.catalogue.papers}[title] == paper_id


def test_every_id_is_clean(latex_site):
    _, result = latex_site
    for paper in result.catalogue.papers:
        assert not re.search(r"(^|-)(text(it|bf|sc|tt)|mathrm|emph)(-|$)", paper.id), paper.id


def test_papers_json_keeps_the_listed_text_and_adds_the_plain_text(latex_site):
    out, result = latex_site
    exported = {p["id"]: p for p in read_export(out)}
    for paper in result.catalogue.papers:
        record = exported[paper.id]
        assert (record["title"], record["abstract"]) == (paper.title, paper.abstract)
        assert record["title_text"] == title_text(paper.title)
        assert record["abstract_text"] == plain_text(paper.abstract)
    tau = exported["tau-bench-a-benchmark-for-tool-agent-user-interaction-in-real-world-domains"]
    assert tau["title_text"].startswith("τ-bench: A Benchmark")


def test_latex_links_are_links_on_the_page_and_in_papers_json(latex_site):
    out, result = latex_site
    exported = {p["id"]: p for p in read_export(out)}
    with_url = [p for p in result.catalogue.papers if "\\url{" in p.abstract]
    assert with_url
    for paper in with_url:
        target = re.search(r"\\url\{\s*(\S+?)\s*\}", paper.abstract).group(1)
        assert target in exported[paper.id]["links"]
        html = (out / "papers" / paper.id / "index.html").read_text(encoding="utf-8")
        assert f'href="{target}"' in html


def test_the_heading_shows_maths_as_mathml_and_the_head_as_plain_text(latex_site):
    out, _ = latex_site
    html = (out / "papers" / "tau-bench-a-benchmark-for-tool-agent-user-interaction-in-real-world-domains"
            / "index.html").read_text(encoding="utf-8")
    assert "<title>τ-bench: A Benchmark" in html
    assert '<meta property="og:title" content="τ-bench: A Benchmark' in html
    assert re.search(r"<h1[^>]*><math display=\"inline\"><mrow><mi>τ</mi></mrow></math>-bench", html)
    assert 'data-spoken="tau-bench: A Benchmark' in html


@pytest.fixture(scope="module")
def served(latex_site):
    out, _ = latex_site
    server, url = serve(out, "/")
    yield url
    server.shutdown()


@pytest.mark.browser
@pytest.mark.parametrize(("query", "paper_id"), [
    ("Trans-LoRA", "trans-lora-towards-data-free-transferable-parameter-efficient-finetuning"),
    ("tau-bench", "tau-bench-a-benchmark-for-tool-agent-user-interaction-in-real-world-domains"),
    ("τ-bench", "tau-bench-a-benchmark-for-tool-agent-user-interaction-in-real-world-domains"),
    ("AIEV-Instruct", "autocoder-enhancing-code-large-language-model-with-aiev-instruct"),
])
def test_search_finds_the_paper_by_the_words_a_reader_sees(served, page, query, paper_id):  # noqa: F811
    search(page, served, f"?q={query}")
    assert paper_id in result_ids(page)[:3]


ALIAS_DUMP = """\
$\\psi$-Quokkaformer: Routing Marsupials Through Attention

We route tokens through a population of small experts and find that a learned router beats a fixed one on every benchmark we try, while costing less at inference time than a dense model of the same quality, which we release.

  • 3 authors
·
Oct 21, 2024 4

A Paper About Something Else Entirely

We study an unrelated problem at length and report our findings in detail, with code, data and a long appendix that nobody reads, so that the index holds more than one page for the search to choose from.
"""


@pytest.fixture(scope="module")
def alias_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("alias")
    (folder / "seeds").mkdir()
    (folder / "seeds" / "dump.txt").write_text(ALIAS_DUMP, encoding="utf-8")
    build(BuildOptions(seeds=folder / "seeds", out=folder / "_site", site_src=FIXTURE_SITE_SRC,
                       base_url="http://127.0.0.1:8000/", templates=ROOT / "templates", static=ROOT / "static"))
    server, url = serve(folder / "_site", "/")
    yield url
    server.shutdown()


@pytest.mark.browser
@pytest.mark.parametrize("query", ["psi-Quokkaformer", "ψ-Quokkaformer"])
def test_a_greek_letter_in_a_title_is_found_spelled_out_too(alias_site, page, query):  # noqa: F811
    """The abstract never spells the letter out: only the heading's other spelling can match."""
    search(page, alias_site, f"?q={query}")
    assert result_ids(page)[:1] == ["psi-quokkaformer-routing-marsupials-through-attention"]
