"""Related papers: tf-idf over title and abstract, sparse top-k in chunks, and the terms pairs share."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer, TfidfTransformer
from sklearn.preprocessing import normalize

from .models import Catalogue, RelatedLink

RELATED_PER_PAPER = 5
SHARED_TERMS = 3
TITLE_WEIGHT = 3
"""A word in the title counts as much as this many occurrences in the abstract."""
PHRASE_SHARE = 0.5
"""A shared phrase replaces its shared word when it adds at least this share of the word's weight."""
BOILERPLATE = frozenset("""
    paper papers propose proposed proposes present presents introduce introduces novel new
    method methods approach approaches result results show shows shown demonstrate demonstrates
    achieve achieves achieved experiments experimental extensive significantly significant state
    art outperforms outperform work works study recent recently furthermore additionally
    specifically respectively various different effective effectively including based using use
    used existing https http www github com org io available
""".split())
"""Words of abstract boilerplate: shared by many papers, they say nothing about what makes two alike."""
STOP_WORDS = ENGLISH_STOP_WORDS | BOILERPLATE
_WORD = re.compile(r"\b[a-z][a-z0-9]+\b")
BLOCK_CELLS = 16_000_000
"""Similarities computed at once (a chunk of papers x every paper): bounds memory to ~200 MB."""


@dataclass(frozen=True)
class Similar:
    """One related paper by position in the input, with its cosine similarity and shared terms."""

    index: int
    score: float
    terms: tuple[str, ...]


def tfidf_matrix(titles: Sequence[str], abstracts: Sequence[str]) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Rows of L2-normalised tf-idf weights over one vocabulary of words and word pairs.

    Title and abstract share the vocabulary (a term means the same wherever it occurs), but title
    counts are multiplied by TITLE_WEIGHT before the sublinear tf, so the title says more about
    what a paper is about. Returns the matrix (float32) and the terms, indexed by column.
    """
    counter = CountVectorizer(analyzer=terms_of, dtype=np.float32)
    both = counter.fit_transform(list(titles) + list(abstracts))  # rows: every title, then every abstract
    n = len(titles)
    counts = TITLE_WEIGHT * both[:n] + both[n:]
    weights = TfidfTransformer(sublinear_tf=True).fit_transform(counts)
    return normalize(weights.astype(np.float32)).tocsr(), counter.get_feature_names_out()


def terms_of(text: str) -> list[str]:
    """A text's terms: its words, and its pairs of adjacent words, leaving out stop words.

    A pair never spans a stop word, so "mixture of experts" gives no "mixture experts" and
    "alignment of large models" no "alignment large": pairs are phrases the text really has.
    """
    words = _WORD.findall(text.lower())
    kept = [word for word in words if word not in STOP_WORDS]
    pairs = [f"{a} {b}" for a, b in zip(words, words[1:])
             if a not in STOP_WORDS and b not in STOP_WORDS and a != b]
    return kept + pairs


def top_similar(matrix: sparse.csr_matrix, terms: np.ndarray, k: int = RELATED_PER_PAPER,
                chunk_rows: int | None = None,
                shared_terms: int = SHARED_TERMS) -> list[list[Similar]]:
    """For every row, the k most similar other rows (cosine), best first; ties go to the lower index.

    Rows are compared in chunks, so memory holds one chunk x N block of similarities, never N x N.
    Rows with nothing in common with a row (similarity 0) are never listed.
    """
    n = matrix.shape[0]
    chunk_rows = chunk_rows or max(16, min(1024, BLOCK_CELLS // max(n, 1)))
    transposed = matrix.T.tocsr()
    result: list[list[Similar]] = []
    for start in range(0, n, chunk_rows):
        stop = min(start + chunk_rows, n)
        block = (matrix[start:stop] @ transposed).toarray()
        block[np.arange(stop - start), np.arange(start, stop)] = 0.0  # a paper is not its own relative
        for offset, row in enumerate(block):
            best = _top_k(row, k)
            result.append([Similar(int(j), float(row[j]),
                                   shared_distinctive_terms(matrix, start + offset, int(j), terms,
                                                            shared_terms))
                           for j in best])
    return result


def _top_k(row: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest positive values, largest first, equal values by lower index."""
    if k <= 0:
        return np.empty(0, dtype=np.intp)
    candidates = np.flatnonzero(row > 0)
    if len(candidates) > k:
        # Everything tied with the k-th value stays in, so the index order settles the tie.
        kth = np.partition(row[candidates], len(candidates) - k)[len(candidates) - k]
        candidates = candidates[row[candidates] >= kth]
    order = np.lexsort((candidates, -row[candidates]))
    return candidates[order][:k]


def shared_distinctive_terms(matrix: sparse.csr_matrix, a: int, b: int, terms: np.ndarray,
                             limit: int = SHARED_TERMS) -> tuple[str, ...]:
    """The terms adding most to the similarity of rows a and b: largest products of their weights.

    A shared phrase stands in for its word when it carries enough of the weight ("draft model",
    not "draft"), and a term overlapping one already chosen is skipped, so the few terms shown
    say different things.
    """
    start_a, stop_a = matrix.indptr[a], matrix.indptr[a + 1]
    start_b, stop_b = matrix.indptr[b], matrix.indptr[b + 1]
    common, in_a, in_b = np.intersect1d(matrix.indices[start_a:stop_a],
                                        matrix.indices[start_b:stop_b],
                                        assume_unique=True, return_indices=True)
    products = matrix.data[start_a:stop_a][in_a] * matrix.data[start_b:stop_b][in_b]
    # Only the strongest few can be shown; ranking all of them would cost more than the search.
    candidates = np.lexsort((common, -products))[: 8 * limit]
    ranked = [(str(terms[common[i]]), float(products[i])) for i in candidates]
    phrases = [(term, weight) for term, weight in ranked if " " in term]
    chosen: list[str] = []
    used_words: set[str] = set()
    for term, weight in ranked:
        if " " not in term:
            term = next((phrase for phrase, phrase_weight in phrases
                         if term in phrase.split() and phrase_weight >= PHRASE_SHARE * weight
                         and not set(phrase.split()) & used_words), term)
        words = set(term.split())
        if words & used_words:
            continue
        chosen.append(term)
        used_words |= words
        if len(chosen) == limit:
            break
    return tuple(chosen)


def find_related(catalogue: Catalogue, k: int = RELATED_PER_PAPER) -> Catalogue:
    """Stage 3: every paper with its k most similar papers and the terms each pair shares."""
    papers = catalogue.papers
    if len(papers) < 2:
        return catalogue
    try:
        matrix, terms = tfidf_matrix([p.title for p in papers], [p.abstract for p in papers])
    except ValueError:  # scikit-learn's "empty vocabulary": no paper has a word worth comparing
        return catalogue
    neighbours = top_similar(matrix, terms, k)
    related = tuple(
        paper.model_copy(update={"related": tuple(
            RelatedLink(id=papers[s.index].id, terms=s.terms) for s in similar)})
        for paper, similar in zip(papers, neighbours)
    )
    return catalogue.model_copy(update={"papers": related})
