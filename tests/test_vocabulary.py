"""The vocabulary lists: tokenised as Pagefind indexes (checked against the real Pagefind in
chromium), counted per paper, split by first letter and by tail, and byte-identical from build to build."""

from __future__ import annotations

import random
import shutil
import unicodedata

import pytest
from pagefind_api import chromium
from site_build import build_site, serve

from conftest import ROOT
from paper_catalogue.models import Catalogue, Organization, Paper, Source
from paper_catalogue.vocabulary import (LIST_KEYS, TAIL_LISTS, TAILS_DIR, VOCABULARY_DIR, case_parts, indexed_words,
                                        tail_list, vocabulary_files)

RECORDS = ROOT / "tests" / "fixtures" / "vocabulary" / "corpus_records.txt"
"""Eight real records with LaTeX in titles, accents, URLs, "GPT-4o", "pass@1" and CamelCase names."""


def paper(id: str, title: str, abstract: str = "", organisation: str | None = None) -> Paper:
    return Paper(id=id, title=title, abstract=abstract, sources=(Source(file="x.txt", line=1),),
                 organization=Organization(handle="org", name=organisation) if organisation else None)


@pytest.mark.parametrize("text, words", [
    ("Diffusion models", ["diffusion", "models"]),
    # A word that changed when cleaned is indexed whole and as its parts, as Pagefind does.
    ("Critique-out-Loud", ["critiqueoutloud", "critique", "out", "loud"]),
    ("WKWebVIEWComponent", ["wkwebviewcomponent", "wk", "web", "view", "component"]),
    ("GPT-4o", ["gpt4o", "gpt"]),  # one-character parts ("4", "o") are not indexed
    ("(CLoud)", ["cloud", "loud"]),  # "(c" keeps its bracket in the index, so no query reaches it
    ("e2e_sae", ["e2e_sae"]),  # unchanged by the cleaning, so not split
    ("E2E_sae", ["e2e_sae", "sae"]),
    ("pass@1", ["pass1"]),  # no boundary at "@": no parts
    ("Üstün", ["ustun"]),  # the search box drops diacritics from a query
    ("page.Find cloud/cannon", ["pagefind", "page", "find", "cloudcannon", "cloud", "cannon"]),
])
def test_words_are_split_as_pagefind_splits_them(text, words):
    assert list(indexed_words(text)) == words


@pytest.mark.parametrize("chunk, parts", [
    ("WKWebVIEWComponent", ["WK", "Web", "VIEW", "Component"]),
    ("GPT4o", ["GPT", "4", "o"]), ("iOS17", ["i", "OS", "17"]), ("3DGS", ["3", "DGS"]),
    ("(CLoud)", ["(C", "Loud)"]), ("abc", ["abc"]), ("", []),
    # Outside ASCII the same boundaries, by Unicode's cases and digits.
    ("ÜberNet", ["Über", "Net"]), ("ÉCOLEPolytechnique", ["ÉCOLE", "Polytechnique"]), ("α2β", ["α", "2", "β"]),
])
def test_case_parts_split_ascii_and_other_text_at_the_same_boundaries(chunk, parts):
    assert case_parts(chunk) == parts


def test_counts_are_papers_holding_a_word_from_title_abstract_and_organisation():
    catalogue = Catalogue(papers=(
        paper("a", "Diffusion diffusion", "More diffusion.", organisation="Acme Labs"),
        paper("b", "Diffusion transformers", "Transformers at 256 x 256 via https://example.org/x."),
    ))
    files = {path: content for path, content in vocabulary_files(catalogue).items() if path.parent == VOCABULARY_DIR}
    assert sorted(path.stem for path in files) == sorted(LIST_KEYS)  # every list, empty ones too
    assert all(path.suffix == ".txt" for path in files)
    d = files[VOCABULARY_DIR / "d.txt"].decode()
    assert d == "diffusion 2\n"  # two papers, however often each says it
    assert files[VOCABULARY_DIR / "a.txt"].decode() == "acme\n"
    assert files[VOCABULARY_DIR / "l.txt"].decode() == "labs\n"
    assert files[VOCABULARY_DIR / "t.txt"].decode() == "transformers\n"  # one paper, twice
    # Numbers, short words and web addresses run together are nothing to correct a query to.
    everything = b"".join(files.values()).decode()
    assert "256" not in everything and "\nx\n" not in everything and "httpsexample" not in everything
    assert files[VOCABULARY_DIR / "h.txt"].decode() == "https\n"
    assert files[VOCABULARY_DIR / "q.txt"] == b""


def test_a_word_with_a_superscript_figure_is_listed_as_its_maths_reads():
    files = vocabulary_files(Catalogue(papers=(paper("a", "$VILA^2$: VILA Augmented VILA", "We introduce VILA^2."),)))
    assert files[VOCABULARY_DIR / "v.txt"].decode() == "vila\nvila2\n"


def test_lists_are_sorted_and_the_same_whatever_the_paper_order():
    papers = [paper(f"p{i}", f"Paper {word} number {i}", f"About {word}s and zebras.")
              for i, word in enumerate(["zeta", "alpha", "mamba", "kappa", "beta", "gamma"])]
    first = vocabulary_files(Catalogue(papers=tuple(papers)))
    shuffled = papers[:]
    random.Random(7).shuffle(shuffled)
    assert vocabulary_files(Catalogue(papers=tuple(shuffled))) == first
    for content in first.values():
        words = [line.split(" ")[0] for line in content.decode().splitlines()]
        assert words == sorted(words)
    assert first[VOCABULARY_DIR / "z.txt"].decode() == "zebras 6\nzeta\nzetas\n"


def tail_words(files, tail: str) -> list[str]:
    """The words of the tail list `tail` falls in."""
    return [line.split(" ")[0] for line in files[TAILS_DIR / f"{tail_list(tail)}.txt"].decode().splitlines()]


def test_every_word_is_also_in_the_tail_list_of_the_word_less_its_first_letter():
    catalogue = Catalogue(papers=(
        paper("a", "Diffusion models", "Diffusion at scale.", organisation="Acme Labs"),
        paper("b", "Riffusion and diffusion", "Music from diffusion."),
    ))
    files = vocabulary_files(catalogue)
    tails = {path: content for path, content in files.items() if path.parent == TAILS_DIR}
    assert sorted(int(path.stem) for path in tails) == list(range(TAIL_LISTS))  # empty ones too
    first_letter_lines = sorted(line for path, content in files.items() if path.parent == VOCABULARY_DIR
                                for line in content.decode().splitlines())
    assert sorted(line for content in tails.values() for line in content.decode().splitlines()) == first_letter_lines
    # Both words ending in "iffusion", with their counts, in the one list the page fetches for it.
    assert "diffusion 2\nriffusion\n" in tails[TAILS_DIR / f"{tail_list('iffusion')}.txt"].decode()
    for word in ("models", "scale", "acme", "labs", "music"):
        assert word in tail_words(files, word[1:])


@pytest.mark.parametrize("typed, tail", [
    ("iffusion", "iffusion"),  # the first letter dropped: the typed word is the tail
    ("tiffusion", "iffusion"),  # the first letter typed wrong: the typed word less its first letter
    ("xdiffusion", "iffusion"),  # a letter added before: less its first two letters
    ("idffusion", "iffusion"),  # the first two letters swapped: the first letter, then from the third
])
def test_a_slip_at_the_first_letter_leaves_the_tail_whole_so_one_tail_list_holds_the_word(typed, tail):
    catalogue = Catalogue(papers=(paper("a", "Diffusion models"),))
    files = vocabulary_files(catalogue)
    # The tails static/spelling.js looks up for a typed word (firstLetterTails).
    looked_up = {typed, typed[1:], typed[2:], typed[0] + typed[2:]}
    assert tail in looked_up
    assert "diffusion" in tail_words(files, tail)
    assert "diffusion" not in files[VOCABULARY_DIR / f"{typed[0]}.txt"].decode()


def test_tail_lists_spread_the_words_evenly():
    """The hash leaves no list much fuller than the rest, so each download stays small."""
    tails = [f"{a}{b}{c}{d}{e}{f}" for a in "aeiouy" for b in "bcdfglmnprstvz" for c in "aeiou" for d in "nrstlm"
             for e in "aeiou" for f in ("ing", "ion", "er", "ed", "s")]
    buckets = [0] * TAIL_LISTS
    for tail in tails:
        buckets[tail_list(tail)] += 1
    mean = len(tails) / TAIL_LISTS
    assert 0.5 * mean < min(buckets) and max(buckets) < 1.5 * mean
    assert tail_list("iffusion") == 161  # the same number static/spelling.js computes


def test_the_build_writes_the_lists_byte_identical_twice(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    shutil.copy(RECORDS, seeds / "records.txt")
    first = build_site(tmp_path / "one", seeds=seeds)
    second = build_site(tmp_path / "two", seeds=seeds)
    one = {str(p.relative_to(first)): p.read_bytes() for p in (first / "vocabulary").rglob("*.txt")}
    two = {str(p.relative_to(second)): p.read_bytes() for p in (second / "vocabulary").rglob("*.txt")}
    assert one == two and len(one) == len(LIST_KEYS) + TAIL_LISTS
    assert b"autocoder" in one["vocabulary/a.txt"] and b"ustun" in one["vocabulary/u.txt"]
    assert b"autocoder" in one[f"vocabulary/tails/{tail_list('utocoder')}.txt"]


# --- Against the real Pagefind -----------------------------------------------------------------

@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """The eight real records built and indexed by Pagefind, served, with their vocabulary."""
    folder = tmp_path_factory.mktemp("vocabulary")
    (folder / "seeds").mkdir()
    shutil.copy(RECORDS, folder / "seeds" / "records.txt")
    site = build_site(folder / "_site", seeds=folder / "seeds", base_url="http://127.0.0.1:8000/")
    counts = {}
    for path in sorted((site / "vocabulary").glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            word, _, count = line.partition(" ")
            counts[word] = int(count or 1)
    with serve(site) as url:
        yield url, counts


@pytest.fixture(scope="module")
def chromium_page(indexed):
    with chromium() as browser:
        page = browser.new_page()
        page.goto(indexed[0] + "search/")
        page.evaluate("async () => { window.pf = await import('/pagefind/pagefind.js'); await window.pf.init(); }")
        yield page


def test_pagefind_finds_every_vocabulary_word_in_as_many_papers(indexed, chromium_page):
    """Each word, searched for, finds at least the papers counted for it, and Pagefind marks in
    them a word that begins with it: no word is reached only through Pagefind's loose matching."""
    _, counts = indexed
    assert len(counts) > 300
    found = chromium_page.evaluate("""async (words) => {
        const out = {};
        for (const word of words) {
          const search = await window.pf.search(word);
          const pages = await Promise.all(search.results.map((r) => r.data()));
          out[word] = [search.results.length,
                       pages.flatMap((d) => { const w = d.content.split(" "); return d.locations.map((l) => w[l]); })];
        }
        return out; }""", sorted(counts))
    wrong = {}
    for word, count in counts.items():
        results, marked = found[word]
        borne_out = any(form.startswith(word) for token in marked for form in indexed_words(token))
        if results < count or not borne_out:
            wrong[word] = (count, results, marked[:4])
    assert not wrong


def test_every_word_pagefind_holds_is_in_the_vocabulary(indexed, chromium_page):
    """The other way round: the words of the indexed text (as Pagefind keeps it, per page) are all
    in the lists, bar the ones the lists leave out on purpose (short, numbers, other alphabets)."""
    _, counts = indexed
    contents = chromium_page.evaluate("""async () => {
        const search = await window.pf.search("the");
        return Promise.all(search.results.map(async (r) => (await r.data()).content)); }""")
    assert len(contents) == 8
    missing = set()
    for content in contents:
        for word in indexed_words(content):
            # A word with a superscript figure is in the lists in its maths form ("vila2").
            if 3 <= len(word) <= 32 and word[0] in LIST_KEYS and not word.isdigit() and not word.startswith("http") \
                    and not any(unicodedata.category(char) == "No" for char in word):
                if word not in counts:
                    missing.add(word)
    # The paper page's own labels and dates ("Published", "Upvotes", "May") are indexed too, but
    # they are the page's furniture, not the paper's words.
    furniture = {"published", "upvotes", "authors", "abstract", "may", "june", "july", "august", "april",
                 "september", "october", "november", "december"}
    assert missing <= furniture, sorted(missing - furniture)
