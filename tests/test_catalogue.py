"""The merged catalogue: the facts of the real seeds, merging rules and permanent ids."""

from __future__ import annotations

import datetime as dt
import re

from paper_catalogue.catalogue import merge_entries
from paper_catalogue.models import Entry, Organization, SiteConfig, Source
from paper_catalogue.pipeline import read_catalogue
from paper_catalogue.seeds import read_seed_file, seed_files
from paper_catalogue.urls import MAX_SLUG, paper_id, title_key

from conftest import REAL_SEEDS


def real_catalogue():
    catalogue, warnings = read_catalogue(REAL_SEEDS, SiteConfig())
    return catalogue, warnings


def test_real_seeds_hold_268_entries():
    assert sum(len(read_seed_file(path).entries) for path in seed_files(REAL_SEEDS)) == 268


def test_real_seeds_give_254_papers_with_exact_metadata_counts():
    catalogue, warnings = real_catalogue()
    papers = catalogue.papers
    # The one note: a paper writes its authors' own macro \p (shown as "p").
    assert [(w.file, w.line) for w in warnings] == [("002_404cd8d47417c4fc.txt", 581)]
    assert warnings[0].message.endswith("shown by name: 002_404cd8d47417c4fc.txt:581 \\p")
    assert len(papers) == 254
    assert sum(p.published is not None for p in papers) == 136
    assert sum(p.authors is not None for p in papers) == 133
    assert sum(p.organization is not None for p in papers) == 3


def test_real_seeds_spot_checks():
    papers = {p.title: p for p in real_catalogue()[0].papers}
    llava = papers["LLaVA-Critic-R1: Your Critic Model is Secretly a Strong Policy Model"]
    assert (llava.published, llava.upvotes, llava.authors) == (dt.date(2025, 8, 30), 1, 7)
    assert papers["Critique-out-Loud Reward Models"].published is None
    arc = papers["ARC-Encoder: learning compressed text representations for large language models"]
    assert arc.organization == Organization(handle="kyutai", name="Kyutai")
    assert "Subscribe" not in "".join(papers)
    assert not {"new", "Daily Papers", "Subscribe", "Nov 3"} & set(papers)


def test_papers_seen_in_several_files_keep_every_source():
    papers = real_catalogue()[0].papers
    merged = [p for p in papers if len(p.sources) > 1]
    assert len(merged) == 14
    for paper in merged:
        assert len({s.file for s in paper.sources}) == len(paper.sources)


def entry(title, line=1, file="a.txt", **fields):
    return Entry(title=title, abstract=fields.pop("abstract", "An abstract."),
                 source=Source(file=file, line=line), **fields)


def test_merge_keeps_the_richest_metadata_and_every_source():
    plain = entry("Deep Learning: A Survey", line=3)
    rich = entry("deep learning - a survey", line=9, file="b.txt", published=dt.date(2024, 1, 2),
                 upvotes=5, authors=3, abstract="A longer abstract than the other one.")
    (paper,) = merge_entries([plain, rich])
    assert (paper.published, paper.upvotes, paper.authors) == (dt.date(2024, 1, 2), 5, 3)
    assert paper.abstract == "A longer abstract than the other one."
    assert paper.title == "deep learning - a survey"
    assert [(s.file, s.line) for s in paper.sources] == [("a.txt", 3), ("b.txt", 9)]


def test_merge_fills_fields_missing_from_the_richest_entry():
    dated = entry("X", published=dt.date(2024, 1, 2), upvotes=1, authors=2)
    organised = entry("X", line=5, organization=Organization(handle="h", name="N"))
    (paper,) = merge_entries([organised, dated])
    assert paper.authors == 2 and paper.organization == Organization(handle="h", name="N")


def test_links_are_found_in_the_abstract():
    (paper,) = merge_entries([entry("X", abstract="Code: https://github.com/a/b. Also javascript:alert(1).")])
    assert paper.links == ("https://github.com/a/b",)


def test_ids_are_slugs_of_bounded_length_never_empty():
    for title in ["Hello, World!", "日本語のタイトル", "!!!", "A" * 500, "Ünïcode Títle", "x" * 79 + " y"]:
        pid = paper_id(title)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", pid), pid
        assert 1 <= len(pid) <= MAX_SLUG + 9


def test_ids_are_unique_for_distinct_titles():
    titles = ["C++ Models", "C Models", "A" * 200 + "1", "A" * 200 + "2", "日本", "中国", "Über", "Uber"]
    keys = {title_key(t) for t in titles}
    assert len({paper_id(t) for t in titles}) == len(keys)


def test_adding_a_paper_changes_no_existing_id():
    papers = real_catalogue()[0].papers
    before = {p.title: p.id for p in papers}
    extra = [entry(p.title, abstract=p.abstract) for p in papers]
    extra.append(entry("A Brand New Paper " + papers[0].title))
    extra.append(entry(papers[1].title.upper() + "!"))  # a near-duplicate title merges instead
    after = {p.title: p.id for p in merge_entries(extra)}
    assert all(after[title] == pid for title, pid in before.items() if title in after)
    assert len(merge_entries(extra)) == len(papers) + 1


def test_readable_ids():
    assert paper_id("SnapKV: LLM Knows What You are Looking for Before Generation") == (
        "snapkv-llm-knows-what-you-are-looking-for-before-generation")
    assert paper_id("A Comparative Study on Reasoning Patterns of OpenAI's o1 Model") == (
        "a-comparative-study-on-reasoning-patterns-of-openais-o1-model")
