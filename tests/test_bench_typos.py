"""The typo benchmark's pieces: the corpus as listing dumps, title queries and their one-letter typos."""

from __future__ import annotations

import json
import random

import pytest

from bench.corpus_seeds import corpus_entries, write_corpus_seeds
from bench.typos import misspelt, title_query
from paper_catalogue.seeds import read_seed_file

RECORDS = [
    {"title": "AutoCoder: Enhancing Code Large Language Model with \\textsc{AIEV-Instruct}",
     "abstract": "We introduce AutoCoder, the first\nLarge Language Model to surpass GPT-4 Turbo.",
     "date": "2024-05-23", "upvotes": 7, "authors": 3, "organization": None},
    {"title": "Aya 23: Open Weight Releases", "abstract": "Aya 23 builds on the\nrecent release (\\\"Ust\\\"un et al., 2024).",
     "date": "2024-05-23", "upvotes": None, "authors": 1, "organization": None},
]


def test_corpus_records_read_back_from_the_spaced_layout(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(record) + "\n" for record in RECORDS), encoding="utf-8")
    write_corpus_seeds(corpus, tmp_path / "seeds")
    written = corpus_entries(corpus)
    [seed] = sorted((tmp_path / "seeds").glob("*.txt"))
    entries = read_seed_file(seed).entries
    assert [e.title for e in entries] == [r["title"] for r in RECORDS]
    # A listing shows an abstract as one paragraph: hard line breaks become spaces.
    assert entries[0].abstract == "We introduce AutoCoder, the first Large Language Model to surpass GPT-4 Turbo."
    assert [(e.authors, str(e.published)) for e in entries] == [(3, "2024-05-23"), (1, "2024-05-23")]
    assert entries[0].upvotes == 7 and not entries[1].upvotes  # a dated listing line without a count
    assert [e.title for e in written] == [e.title for e in entries]


def test_title_queries_drop_latex_and_punctuation_but_keep_inner_dots_and_hyphens():
    assert title_query("Jamba-1.5: Hybrid Transformer-Mamba Models at Scale.") == \
        "Jamba-1.5 Hybrid Transformer-Mamba Models at Scale"
    assert title_query(RECORDS[0]["title"]) == "AutoCoder Enhancing Code Large Language Model with AIEV-Instruct"


@pytest.mark.parametrize("kind, length_change", [("dropped", -1), ("added", 1), ("swapped", 0), ("substituted", 0)])
def test_a_typo_changes_one_letter_of_the_longest_word_only(kind, length_change):
    query = "Speculative decoding for language models"
    places = set()
    for seed in range(40):
        typo = misspelt(query, kind, random.Random(seed))
        words, typo_words = query.split(), typo.split()
        assert typo_words[1:] == words[1:] and typo_words[0] != words[0]
        assert len(typo_words[0]) == len(words[0]) + length_change
        if kind == "swapped":
            assert sorted(typo_words[0]) == sorted(words[0])
        if kind == "substituted":
            assert sum(a != b for a, b in zip(typo_words[0], words[0])) == 1
        places.add(next((i for i, (a, b) in enumerate(zip(typo_words[0], words[0])) if a != b), len(typo_words[0])))
    assert 0 in places and len(places) > 3  # anywhere in the word, the first letter too


@pytest.mark.parametrize("kind, typo", [
    ("dropped", "peculative"), ("added", "?Speculative"), ("swapped", "pSeculative"), ("substituted", "?peculative"),
])
def test_a_first_letter_typo_changes_the_first_letter(kind, typo):
    for seed in range(20):
        typo_word = misspelt("Speculative decoding", kind, random.Random(seed), first=True).split()[0]
        assert len(typo_word) == len(typo) and typo_word.endswith(typo.lstrip("?"))
        if kind == "substituted":
            assert typo_word[0].lower() != "s"


def test_no_first_letter_swap_when_the_first_two_letters_are_alike():
    assert misspelt("Llamas and Llama", "swapped", random.Random(1), first=True) is None


def test_a_corpus_repeated_to_a_count_gets_new_titles(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(record) + "\n" for record in RECORDS), encoding="utf-8")
    write_corpus_seeds(corpus, tmp_path / "seeds", count=5)
    titles = [entry.title for seed in sorted((tmp_path / "seeds").glob("*.txt")) for entry in read_seed_file(seed).entries]
    assert len(titles) == len(set(titles)) == 5
    assert titles[2] == RECORDS[0]["title"] + " (reprint 2)" and titles[4].endswith("(reprint 3)")
