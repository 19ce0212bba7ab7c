"""Related papers: obvious pairs find each other, the search is exact, chunked, lean and deterministic."""

from __future__ import annotations

import gzip
import json
import random
import re
import tracemalloc
from pathlib import PurePosixPath

import numpy as np
import pytest
from scipy import sparse

from conftest import REAL_SEEDS, outputs_under_hash_seeds
from paper_catalogue.export import export_files
from paper_catalogue.models import Catalogue, Paper, RelatedLink, SiteConfig, Source
from paper_catalogue.pipeline import read_catalogue
from paper_catalogue.related import RELATED_PER_PAPER, find_related, tfidf_matrix, top_similar
from paper_catalogue.urls import export_part_url


@pytest.fixture(scope="module")
def real_catalogue() -> Catalogue:
    catalogue, _ = read_catalogue(REAL_SEEDS, SiteConfig())
    return catalogue


@pytest.fixture(scope="module")
def related(real_catalogue) -> dict[str, Paper]:
    return {paper.id: paper for paper in find_related(real_catalogue).papers}


@pytest.fixture(scope="module")
def real_matrix(real_catalogue):
    papers = real_catalogue.papers
    return tfidf_matrix([p.title for p in papers], [p.abstract for p in papers])


OBVIOUS_PAIRS = [
    ("specdec-boosting-speculative-decoding-via-adaptive-candidate-lengths",
     "spectr-fast-speculative-decoding-via-optimal-transport"),
    ("snapkv-llm-knows-what-you-are-looking-for-before-generation",
     "look-m-look-once-optimization-in-kv-cache-for-efficient-multimodal-long-context-46837f56"),
    ("implicit-reward-as-the-bridge-a-unified-view-of-sft-and-dpo-connections",
     "the-hitchhikers-guide-to-human-alignment-with-po"),
    ("provably-robust-dpo-aligning-language-models-with-noisy-feedback",
     "self-improving-robust-preference-optimization"),
    ("openmoe-an-early-effort-on-open-mixture-of-experts-language-models",
     "read-me-refactorizing-llms-as-router-decoupled-mixture-of-experts-with-system-7269636a"),
    ("zeroquant-v2-exploring-post-training-quantization-in-llms-from-comprehensive-1baf58af",
     "q-vlm-post-training-quantization-for-large-vision-language-models"),
    ("ritual-random-image-transformations-as-a-universal-anti-hallucination-lever-in-86913310",
     "vdgd-mitigating-lvlm-hallucinations-in-cognitive-prompts-by-bridging-the-visual-49c4fdcb"),
    ("optimizing-dense-retrieval-model-training-with-hard-negatives",
     "answering-unseen-questions-with-smaller-language-models-using-rationale-56b9e6a9"),
]


def related_ids(paper: Paper) -> list[str]:
    return [link.id for link in paper.related]


@pytest.mark.parametrize(("a", "b"), OBVIOUS_PAIRS, ids=[a.split("-")[0] for a, _ in OBVIOUS_PAIRS])
def test_obviously_related_papers_list_each_other(related, a, b):
    assert b in related_ids(related[a])
    assert a in related_ids(related[b])


def test_every_paper_lists_five_distinct_other_papers(related):
    for paper in related.values():
        ids = related_ids(paper)
        assert len(ids) == RELATED_PER_PAPER, paper.id
        assert len(set(ids)) == len(ids) and paper.id not in ids
        assert set(ids) <= set(related)


def words(paper: Paper) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", f"{paper.title} {paper.abstract}".lower()))


def test_shared_terms_occur_in_both_papers(related):
    for paper in related.values():
        for link in paper.related:
            assert 1 <= len(link.terms) <= 3, (paper.id, link)
            for term in link.terms:
                assert set(term.split()) <= words(paper) & words(related[link.id]), (paper.id, term)
            # Each term says something different: no word is repeated across them.
            all_words = [w for term in link.terms for w in term.split()]
            assert len(all_words) == len(set(all_words))


def terms_between(related, a: str, b: str) -> tuple[str, ...]:
    return next(link.terms for link in related[a].related if link.id == b)


def test_shared_terms_name_what_makes_papers_alike(related):
    a, b = OBVIOUS_PAIRS[0]
    assert "speculative decoding" in terms_between(related, a, b)
    assert "kv cache" in terms_between(related, *OBVIOUS_PAIRS[1])
    assert "dpo" in terms_between(related, *OBVIOUS_PAIRS[2])
    assert "moe" in terms_between(related, *OBVIOUS_PAIRS[4])
    assert any("quantization" in term for term in terms_between(related, *OBVIOUS_PAIRS[5]))


def test_chunked_search_equals_brute_force(real_matrix):
    """The chunked sparse search gives exactly the dense N x N answer, whatever the chunk size."""
    matrix, terms = real_matrix
    dense = (matrix @ matrix.T).toarray()
    np.fill_diagonal(dense, 0)
    expected = [sorted(np.flatnonzero(row > 0), key=lambda j: (-row[j], j))[:5] for row in dense]
    for chunk_rows in (1, 7, 1000):
        found = top_similar(matrix, terms, chunk_rows=chunk_rows)
        assert [[s.index for s in row] for row in found] == [list(e) for e in expected]
        assert all(s.score == pytest.approx(dense[i, s.index]) for i, row in enumerate(found) for s in row)


def test_ties_go_to_the_lower_index_and_unrelated_papers_are_left_out():
    rows = sparse.csr_matrix(np.array([[1, 0], [1, 0], [0, 1], [1, 0]], dtype=np.float32))
    found = top_similar(rows, np.array(["alpha", "beta"]), k=5)
    assert [[s.index for s in row] for row in found] == [[1, 3], [0, 3], [], [0, 1]]
    assert found[0][0].terms == ("alpha",)


def test_same_input_same_related_papers_in_any_process():
    script = (
        "import json; from pathlib import Path\n"
        "from paper_catalogue.pipeline import read_catalogue\n"
        "from paper_catalogue.models import SiteConfig\n"
        "from paper_catalogue.related import find_related\n"
        f"c, _ = read_catalogue(Path({str(REAL_SEEDS)!r}), SiteConfig())\n"
        "print(json.dumps([[p.id, [[l.id, l.terms] for l in p.related]] for p in find_related(c).papers]))\n"
    )
    outputs = outputs_under_hash_seeds(script)
    assert outputs[0] == outputs[1]
    assert len(json.loads(outputs[0])) == 254


def synthetic_texts(real_catalogue, n: int) -> tuple[list[str], list[str]]:
    """n papers recombined from the seeds' titles and sentences."""
    rng = random.Random(7)
    sentences = [s for p in real_catalogue.papers for s in re.split(r"(?<=\.)\s+", p.abstract)]
    titles = [rng.choice(real_catalogue.papers).title for _ in range(n)]
    abstracts = [" ".join(rng.sample(sentences, 6)) for _ in range(n)]
    return titles, abstracts


def peak_bytes_of_search(real_catalogue, n: int) -> int:
    matrix, terms = tfidf_matrix(*synthetic_texts(real_catalogue, n))
    tracemalloc.start()
    try:
        found = top_similar(matrix, terms, chunk_rows=64)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(found) == n and all(len(row) == RELATED_PER_PAPER for row in found)
    return peak


def test_memory_grows_linearly_not_with_n_squared(real_catalogue):
    """Doubling the papers about doubles the search's memory; an N x N matrix would quadruple it."""
    small, large = peak_bytes_of_search(real_catalogue, 1500), peak_bytes_of_search(real_catalogue, 3000)
    assert large / small < 2.6, (small, large)
    assert large < 3000 * 3000 * 4 / 2  # well below even one dense float32 N x N matrix


def paper(id_: str, title: str, abstract: str = "") -> Paper:
    return Paper(id=id_, title=title, abstract=abstract, sources=(Source(file="x.txt", line=1),))


def test_tiny_and_wordless_catalogues_get_no_related_papers():
    one = Catalogue(papers=(paper("a", "Speculative decoding"),))
    assert find_related(one) == one
    wordless = Catalogue(papers=(paper("a", "The", "and of"), paper("b", "It", "is the")))
    assert find_related(wordless) == wordless


def test_papers_json_gives_related_ids_in_order():
    catalogue = Catalogue(papers=(
        paper("a", "A").model_copy(update={"related": (RelatedLink(id="c", terms=("x",)),
                                                       RelatedLink(id="b"))}),
        paper("b", "B"),
        paper("c", "C"),
    ))
    undated = json.loads(gzip.decompress(export_files(catalogue)[PurePosixPath(export_part_url(None))]))
    assert [p["related"] for p in undated] == [["c", "b"], [], []]


def test_searching_in_two_processes_gives_the_same_answer(real_catalogue):
    """Chunks shared among forked workers come back in order, with the same neighbours and terms."""
    matrix, terms = tfidf_matrix(*synthetic_texts(real_catalogue, 1200))
    alone = top_similar(matrix, terms, chunk_rows=100, workers=1)
    shared = top_similar(matrix, terms, chunk_rows=100, workers=2)
    assert shared == alone
    assert all(len(row) == RELATED_PER_PAPER for row in shared)


def test_vectorised_counting_gives_the_terms_of_each_text(real_catalogue):
    """tfidf_matrix's columns are exactly the terms terms_of finds, and each paper has its own."""
    from paper_catalogue.related import terms_of
    papers = real_catalogue.papers[:40]
    matrix, terms = tfidf_matrix([p.title for p in papers], [p.abstract for p in papers])
    assert list(terms) == sorted({t for p in papers for t in terms_of(p.title) + terms_of(p.abstract)})
    for row, p in enumerate(papers):
        found = set(terms[matrix[row].indices])
        assert found == set(terms_of(p.title) + terms_of(p.abstract)), p.id


def test_candidate_search_is_exact_when_no_posting_list_is_cut(real_matrix):
    """With every term's rows kept, the candidate search finds the exact answer, scores and all."""
    matrix, terms = real_matrix
    exact = top_similar(matrix, terms, postings=0)
    longest = int(np.bincount(matrix.indices).max())
    found = top_similar(matrix, terms, postings=longest)
    # Scores are summed in another order, so they agree to float32 rounding, not to the bit.
    assert [[(s.index, s.terms) for s in row] for row in found] == [[(s.index, s.terms) for s in row] for row in exact]
    assert all(a.score == pytest.approx(b.score, rel=1e-5) for x, y in zip(found, exact) for a, b in zip(x, y))


def test_candidate_search_finds_most_of_the_exact_neighbours(real_catalogue):
    """Shortened posting lists lose a few neighbours, not most: recall measured against the exact search."""
    matrix, terms = tfidf_matrix(*synthetic_texts(real_catalogue, 1500))
    exact = top_similar(matrix, terms, postings=0, shared_terms=0)
    approximate = top_similar(matrix, terms, postings=16, shared_terms=0)
    found = sum(len({s.index for s in a} & {s.index for s in e}) for a, e in zip(approximate, exact))
    assert found / sum(len(e) for e in exact) > 0.85
    # What it does list is scored exactly, best first.
    dense = (matrix @ matrix.T).toarray()
    for i, row in enumerate(approximate):
        assert [s.score for s in row] == sorted((s.score for s in row), reverse=True)
        assert all(s.score == pytest.approx(dense[i, s.index], rel=1e-5) and s.index != i for s in row)


def test_the_candidate_search_is_chosen_for_large_catalogues(real_catalogue, monkeypatch):
    from paper_catalogue import related
    matrix, terms = tfidf_matrix(*synthetic_texts(real_catalogue, 600))
    monkeypatch.setattr(related, "POSTINGS_KEPT", 1)
    monkeypatch.setattr(related, "APPROXIMATE_FROM", 500)
    chosen = top_similar(matrix, terms, shared_terms=0)
    assert chosen == top_similar(matrix, terms, postings=1, shared_terms=0)
    assert chosen != top_similar(matrix, terms, postings=0, shared_terms=0)
    monkeypatch.setattr(related, "APPROXIMATE_FROM", 601)
    assert top_similar(matrix, terms, shared_terms=0) == top_similar(matrix, terms, postings=0, shared_terms=0)


def test_the_candidate_search_gives_the_same_answer_in_any_process_and_with_workers():
    """Same input, same related papers: under two string-hash seeds, alone and with two workers."""
    script = (
        "import json, random, re; from pathlib import Path\n"
        "from paper_catalogue.pipeline import read_catalogue\n"
        "from paper_catalogue.models import SiteConfig\n"
        "from paper_catalogue.related import tfidf_matrix, top_similar\n"
        f"c, _ = read_catalogue(Path({str(REAL_SEEDS)!r}), SiteConfig())\n"
        "rng = random.Random(7)\n"
        "sentences = [s for p in c.papers for s in re.split(r'(?<=\\.)\\s+', p.abstract)]\n"
        "titles = [rng.choice(c.papers).title for _ in range(1200)]\n"
        "abstracts = [' '.join(rng.sample(sentences, 6)) for _ in range(1200)]\n"
        "m, t = tfidf_matrix(titles, abstracts)\n"
        "alone = top_similar(m, t, postings=16, workers=1)\n"
        "shared = top_similar(m, t, postings=16, workers=2)\n"
        "assert alone == shared\n"
        "print(json.dumps([[[s.index, s.terms] for s in row] for row in alone]))\n"
    )
    outputs = outputs_under_hash_seeds(script)
    assert outputs[0] == outputs[1]
    assert len(json.loads(outputs[0])) == 1200
