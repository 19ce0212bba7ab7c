"""Related papers: tf-idf over title and abstract, exact top-k in chunks, and the terms pairs share."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
from scipy import sparse

from .models import Catalogue, Links
from .workers import cores, forked_map

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
_WORD = re.compile(r"\b[a-z][a-z0-9]+\b")
BLOCK_CELLS = 4_000_000
"""Similarities computed at once (a chunk of papers x every paper): ~16 MB of float32 per block,
plus scipy's sparse copy of it; enough rows per chunk that per-chunk overhead is negligible."""
PARALLEL_PAPERS = 4000
"""From this many papers on, chunks are searched in one process per core: below, forking costs more."""
RANKED_TERMS = 8
"""Shared terms ranked per shown term: only the strongest few can be shown."""
PAIRS_AT_ONCE = 2048
"""Pairs whose shared terms are worked out in one sparse product: bounds its memory to a few MB."""
APPROXIMATE_FROM = 5000
"""From this many papers on, candidates come from shortened posting lists (see _Search): the exact
search grows with N squared, 5 minutes at 100,000 papers. Below, every pair is compared."""
POSTINGS_KEPT = 64
"""Papers kept per term for the candidate search: the ones the term weighs most in. Measured on the
synthetic 10,000-paper catalogue, 32 found 94% of the exact top 5, 64 found 97%, 128 found 99%."""
CANDIDATES = 24
"""Candidates per paper whose cosine is then computed exactly; the best RELATED_PER_PAPER are kept."""
TEXTS_AT_ONCE = 4096
"""Texts whose words are held as strings at once while tf-idf counts them."""


ENGLISH_STOP_WORDS = frozenset("""
    a about above across after afterwards again against all almost alone along already also
    although always am among amongst an and another any anyhow anyone anything anyway anywhere
    are around as at be became because become becomes becoming been before beforehand behind
    being below beside besides between beyond both but by can cannot could did do does doing done
    down due during each either else elsewhere enough etc even ever every everyone everything
    everywhere except few for former formerly from further had has have having he hence her here
    hereafter hereby herein hers herself him himself his how however i if in indeed instead into
    is it its itself just last latter least less many may me meanwhile might mine more moreover
    most mostly much must my myself namely neither never nevertheless next no nobody none nor not
    nothing now nowhere of off often on once one only onto or other others otherwise our ours
    ourselves out over own per perhaps rather re same seem seemed seeming seems several she should
    since so some somehow someone something sometime sometimes somewhere still such than that the
    their theirs them themselves then thence there thereafter thereby therefore therein thereupon
    these they this those though through throughout thus to together too toward towards under
    until up upon us very via was we well were what whatever when whence whenever where whereas
    whereby wherein whether which while who whoever whole whom whose why will with within without
    would yet you your yours yourself yourselves
""".split())
"""English function words: they join a sentence together and say nothing about its subject."""
STOP_WORDS = ENGLISH_STOP_WORDS | BOILERPLATE


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
    what a paper is about. Weights are scikit-learn's TfidfTransformer(sublinear_tf=True): tf
    1 + ln(count), smooth idf ln((1 + n) / (1 + df)) + 1, rows scaled to length 1. Returns the
    matrix (float32) and the terms, indexed by column in alphabetical order.

    Counting is vectorised over every text at once: CountVectorizer walks each term in Python,
    which was a third of this stage. Raises ValueError when no paper has a term.
    """
    n = len(titles)
    words, text_of, word_ids = _words_of_texts(list(titles) + list(abstracts))
    if not len(word_ids):
        raise ValueError("empty vocabulary: no paper has a word worth comparing")
    stop = np.fromiter((word in STOP_WORDS for word in words), dtype=bool, count=len(words))
    kept = ~stop[word_ids]
    # A pair is two adjacent words of one text, neither a stop word, and not a word twice.
    first, second = word_ids[:-1], word_ids[1:]
    is_pair = (kept[:-1] & kept[1:] & (text_of[:-1] == text_of[1:]) & (first != second))
    pair_codes = first[is_pair].astype(np.int64) * len(words) + second[is_pair]
    pair_vocab, pair_column = np.unique(pair_codes, return_inverse=True)
    word_vocab = np.flatnonzero(~stop & (np.bincount(word_ids[kept], minlength=len(words)) > 0))
    names = np.array(
        [words[i] for i in word_vocab]
        + [f"{words[code // len(words)]} {words[code % len(words)]}" for code in pair_vocab.tolist()])
    if not len(names):
        raise ValueError("empty vocabulary: no paper has a word worth comparing")
    word_column = np.full(len(words), -1, dtype=np.int64)
    word_column[word_vocab] = np.arange(len(word_vocab))
    order = np.argsort(names, kind="stable")
    alphabetical = np.empty(len(names), dtype=np.int64)
    alphabetical[order] = np.arange(len(names))

    texts = np.concatenate([text_of[kept], text_of[:-1][is_pair]])
    columns = alphabetical[np.concatenate([word_column[word_ids[kept]], len(word_vocab) + pair_column])]
    rows = texts % n  # title i and abstract n + i both belong to paper i
    counts = np.where(texts < n, TITLE_WEIGHT, 1).astype(np.float64)
    matrix = sparse.csr_matrix((counts, (rows, columns)), shape=(n, len(names)))
    matrix.sum_duplicates()
    df = np.bincount(matrix.indices, minlength=len(names))
    idf = np.log((1 + n) / (1 + df)) + 1
    matrix.data = (np.log(matrix.data) + 1) * idf[matrix.indices]
    lengths = np.sqrt(np.add.reduceat(matrix.data ** 2, matrix.indptr[:-1])) if matrix.nnz else np.ones(n)
    lengths[np.diff(matrix.indptr) == 0] = 1.0  # a paper without terms stays a row of zeros
    matrix.data /= np.repeat(lengths, np.diff(matrix.indptr))
    return matrix.astype(np.float32), names[order]


def _words_of_texts(texts: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Every word of every text in order: the distinct words, each word's text, each word's id.

    Texts are read TEXTS_AT_ONCE at a time and their words turned into ids at once: the words as
    strings, one object each, would otherwise all be alive together (some 25 million at 100,000
    papers)."""
    ids: dict[str, int] = {}
    id_arrays: list[np.ndarray] = []
    lengths: list[int] = []
    for start in range(0, len(texts), TEXTS_AT_ONCE):
        per_text = [_WORD.findall(text.lower()) for text in texts[start:start + TEXTS_AT_ONCE]]
        for word in dict.fromkeys(chain.from_iterable(per_text)):  # first-seen order
            if word not in ids:
                ids[word] = len(ids)
        id_arrays.append(np.fromiter(map(ids.__getitem__, chain.from_iterable(per_text)), dtype=np.int64))
        lengths += map(len, per_text)
    word_ids = np.concatenate(id_arrays) if id_arrays else np.empty(0, dtype=np.int64)
    text_of = np.repeat(np.arange(len(texts)), lengths)
    return list(ids), text_of, word_ids


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
                chunk_rows: int | None = None, shared_terms: int = SHARED_TERMS,
                workers: int | None = None, postings: int | None = None) -> list[list[Similar]]:
    """For every row, the k most similar other rows (cosine), best first; ties go to the lower index.

    Rows are compared in chunks, so memory holds one chunk x N block of similarities, never N x N.
    Rows with nothing in common with a row (similarity 0) are never listed. Chunks are shared
    among `workers` processes (default: one per core for large inputs); the answer is the same.
    With `postings` > 0 (default: POSTINGS_KEPT from APPROXIMATE_FROM rows on, else 0, exact),
    candidates come from each term's `postings` strongest rows, and only their cosines are computed.
    """
    n = matrix.shape[0]
    if postings is None:
        postings = POSTINGS_KEPT if n >= APPROXIMATE_FROM else 0
    search = _Search(matrix, terms, k, shared_terms, postings)
    chunk_rows = chunk_rows or (256 if postings else max(16, min(2048, BLOCK_CELLS // max(n, 1))))
    chunks = [(start, min(start + chunk_rows, n)) for start in range(0, n, chunk_rows)]
    if workers is None:
        workers = cores() if n >= PARALLEL_PAPERS else 1
    found = forked_map(lambda bounds: search.chunk(*bounds), chunks, workers)
    result: list[list[Similar]] = [[] for _ in range(n)]
    for rows, columns, scores, shared in found:
        for row, column, score, terms_shown in zip(rows.tolist(), columns.tolist(), scores.tolist(), shared):
            result[row].append(Similar(column, score, terms_shown))
    return result


class _Search:
    """The matrix ready for the search: only terms in two or more rows, and its transpose.

    A term in one row cannot make two rows alike, and the rows were normalised with every term,
    so leaving those out changes no cosine and shrinks the product. The product stays sparse
    (scipy's): multiplying the 512 commonest terms densely with BLAS cut it by about a third at
    10,000 papers, but BLAS sums in an order that depends on its thread count, so near-ties
    could come out differently from one run to the next.

    The exact product costs the sum over terms of (rows with the term) squared: quadratic in N,
    since common terms are in a share of all papers. With `postings`, each term's transposed row
    keeps only the rows it weighs most in, so each row meets at most len(terms) x postings
    others; the best CANDIDATES of those by this partial score get their exact cosine. A common
    term weighs little in every row, so the rows it loses rarely make the top few.
    """

    def __init__(self, matrix: sparse.csr_matrix, terms: np.ndarray, k: int, shared_terms: int,
                 postings: int | None = None):
        self.matrix, self.terms, self.k, self.shared_terms = matrix, terms, k, shared_terms
        self.words_of = term_words(terms)
        in_two_rows = np.bincount(matrix.indices, minlength=matrix.shape[1]) >= 2
        self.shared = matrix[:, in_two_rows].tocsr()
        self.shared_transposed = self.shared.T.tocsr()
        self.postings = postings
        if postings:
            self.shared_transposed = strongest_of_rows(self.shared_transposed, postings)

    def chunk(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[str, ...]]]:
        """Rows start..stop: their best (row, other, cosine) triples and the terms each pair shares."""
        if self.k <= 0:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, np.empty(0, dtype=np.float32), []
        if self.postings:
            rows, columns, scores = self._rescored_candidates(start, stop)
        else:
            block = (self.shared[start:stop] @ self.shared_transposed).toarray()
            block[np.arange(stop - start), np.arange(start, stop)] = 0.0  # a paper is not its own relative
            rows, columns, scores = _top_k_of_block(block, self.k, start)
        shared = shared_distinctive_terms_of_pairs(self.matrix, rows, columns, self.terms, self.shared_terms,
                                                   self.words_of)
        return rows, columns, scores, shared

    def _rescored_candidates(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows start..stop: the best CANDIDATES by the partial score, then the best k by exact cosine."""
        partial = (self.shared[start:stop] @ self.shared_transposed).tocsr()
        rows, columns = _largest_of_rows(partial, CANDIDATES + 1)  # + 1: the row itself is usually there
        rows += start
        others = rows != columns
        rows, columns = rows[others], columns[others]
        scores = np.empty(len(rows), dtype=np.float32)
        for at in range(0, len(rows), PAIRS_AT_ONCE * 8):
            batch = slice(at, at + PAIRS_AT_ONCE * 8)
            pairs = self.shared[rows[batch]].multiply(self.shared[columns[batch]])
            scores[batch] = np.asarray(pairs.sum(axis=1)).ravel()
        return _best_k_of_pairs(rows, columns, scores, self.k)


def strongest_of_rows(matrix: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    """Each row's `keep` largest entries; equal values go to the lower column."""
    matrix = matrix.tocsr(copy=True)
    matrix.sort_indices()
    lengths = np.diff(matrix.indptr)
    dropped = np.zeros(matrix.nnz, dtype=bool)
    for row in np.flatnonzero(lengths > keep).tolist():
        start, stop = matrix.indptr[row], matrix.indptr[row + 1]
        order = np.lexsort((np.arange(stop - start), -matrix.data[start:stop]))
        dropped[start + order[keep:]] = True
    matrix.data[dropped] = 0
    matrix.eliminate_zeros()
    return matrix


def _largest_of_rows(block: sparse.csr_matrix, keep: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of up to `keep` largest positive entries per row of a sparse block.

    The rows are laid side by side in a padded dense array, so one argpartition does them all.
    Which of several equal values at the cut-off is kept is arbitrary but fixed for the input.
    """
    lengths = np.diff(block.indptr)
    if not block.nnz:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    width = int(lengths.max())
    row_of = np.repeat(np.arange(block.shape[0]), lengths)
    position = np.arange(block.nnz) - block.indptr[row_of]
    values = np.zeros((block.shape[0], width), dtype=np.float32)
    columns = np.zeros((block.shape[0], width), dtype=np.int64)
    values[row_of, position] = block.data
    columns[row_of, position] = block.indices
    if width > keep:
        chosen = np.argpartition(-values, keep - 1, axis=1)[:, :keep]
        values = np.take_along_axis(values, chosen, axis=1)
        columns = np.take_along_axis(columns, chosen, axis=1)
    found = values > 0
    return np.nonzero(found)[0], columns[found]


def _best_k_of_pairs(rows: np.ndarray, columns: np.ndarray, scores: np.ndarray, k: int
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's k best-scoring pairs, best first, equal scores by lower column; zeros dropped."""
    positive = scores > 0
    rows, columns, scores = rows[positive], columns[positive], scores[positive]
    order = np.lexsort((columns, -scores, rows))
    rows, columns, scores = rows[order], columns[order], scores[order]
    best = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left") < k
    return rows[best], columns[best], scores[best]


def _top_k_of_block(block: np.ndarray, k: int, start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's k largest positive values, largest first, equal values by lower column."""
    n = block.shape[1]
    keep = min(k, n)
    # Everything tied with the k-th value stays a candidate, so the column order settles the tie.
    kth = np.partition(block, n - keep, axis=1)[:, n - keep]
    rows, columns = np.nonzero((block >= kth[:, None]) & (block > 0))
    rows, columns, scores = _best_k_of_pairs(rows, columns, block[rows, columns], k)
    return rows + start, columns, scores


def shared_distinctive_terms_of_pairs(matrix: sparse.csr_matrix, rows: np.ndarray, others: np.ndarray,
                                      terms: np.ndarray, limit: int = SHARED_TERMS,
                                      words_of: Sequence[tuple[str, ...]] | None = None) -> list[tuple[str, ...]]:
    """For each pair of rows, the terms adding most to their similarity (see choose_shared_terms).

    The products of both rows' weights come from sparse elementwise products, a batch at a time;
    a pair and its reverse share one answer, so each is worked out once. words_of gives each
    column's term as its words, when the caller has them already.
    """
    if not len(rows):
        return []
    if words_of is None:
        words_of = term_words(terms)
    low, high = np.minimum(rows, others), np.maximum(rows, others)
    pairs, back = np.unique(np.stack([low, high], axis=1), axis=0, return_inverse=True)
    back = back.ravel()
    chosen: list[tuple[str, ...]] = []
    for start in range(0, len(pairs), PAIRS_AT_ONCE):
        batch = pairs[start:start + PAIRS_AT_ONCE]
        chosen += _shared_terms_of_batch(matrix, batch[:, 0], batch[:, 1], words_of, limit)
    return [chosen[i] for i in back.tolist()]


def term_words(terms: np.ndarray) -> list[tuple[str, ...]]:
    """Each term as its words: one for a word, two for a phrase."""
    return [tuple(term.split()) for term in terms.tolist()]


def _shared_terms_of_batch(matrix: sparse.csr_matrix, rows: np.ndarray, others: np.ndarray,
                           words_of: Sequence[tuple[str, ...]], limit: int) -> list[tuple[str, ...]]:
    """Shared terms of a batch of pairs, from one sparse elementwise product of their rows."""
    products = matrix[rows].multiply(matrix[others]).tocsr()
    products.eliminate_zeros()
    pair_of = np.repeat(np.arange(len(rows)), np.diff(products.indptr))
    # Strongest first, equal weights alphabetically (columns are in alphabetical order).
    order = np.lexsort((products.indices, -products.data, pair_of))
    rank = np.arange(len(order)) - products.indptr[pair_of[order]]
    ranked = order[rank < RANKED_TERMS * limit]
    owners = pair_of[ranked]
    ranked_words = [words_of[c] for c in products.indices[ranked].tolist()]
    weights = products.data[ranked].tolist()
    bounds = np.searchsorted(owners, np.arange(len(rows) + 1)).tolist()
    return [choose_shared_terms(list(zip(ranked_words[a:b], weights[a:b])), limit)
            for a, b in zip(bounds, bounds[1:])]


def choose_shared_terms(ranked: list[tuple[tuple[str, ...], float]], limit: int = SHARED_TERMS) -> tuple[str, ...]:
    """The first few of the ranked shared terms (as word tuples, with their weights) to show.

    A shared phrase stands in for its word when it carries enough of the weight ("draft model",
    not "draft"), and a term overlapping one already chosen is skipped, so the few terms shown
    say different things.
    """
    phrases = [(words, weight) for words, weight in ranked if len(words) > 1]
    chosen: list[str] = []
    used_words: set[str] = set()
    for words, weight in ranked:
        if len(words) == 1:
            words = next((phrase for phrase, phrase_weight in phrases
                          if words[0] in phrase and phrase_weight >= PHRASE_SHARE * weight
                          and not used_words.intersection(phrase)), words)
        if used_words.intersection(words):
            continue
        chosen.append(" ".join(words))
        used_words.update(words)
        if len(chosen) == limit:
            break
    return tuple(chosen)


def related_links(catalogue: Catalogue, k: int = RELATED_PER_PAPER) -> Links:
    """Every paper's k most similar papers: plain tuples, cheap to send back from a worker
    process. Empty when there is nothing to compare."""
    papers = catalogue.papers
    if len(papers) < 2:
        return {}
    try:
        matrix, terms = tfidf_matrix([p.title for p in papers], [p.abstract for p in papers])
    except ValueError:  # "empty vocabulary": no paper has a word worth comparing
        return {}
    neighbours = top_similar(matrix, terms, k)
    return {paper.id: tuple((papers[s.index].id, s.terms) for s in similar)
            for paper, similar in zip(papers, neighbours)}


def find_related(catalogue: Catalogue, k: int = RELATED_PER_PAPER) -> Catalogue:
    """Stage 3: every paper with its k most similar papers and the terms each pair shares."""
    return catalogue.with_related(related_links(catalogue, k))


class RelatedSearch:
    """related_links for one paper at a time: the tf-idf matrix of the whole catalogue, and the
    same search as top_similar's, asked for one row. A row's answer depends on no other row, so a
    paper's links are those related_links gives it; the preview asks for the papers it shows,
    without the search over every pair."""

    def __init__(self, catalogue: Catalogue, k: int = RELATED_PER_PAPER) -> None:
        self.papers = catalogue.papers
        self.search: _Search | None = None
        if len(self.papers) < 2:
            return
        try:
            matrix, terms = tfidf_matrix([p.title for p in self.papers], [p.abstract for p in self.papers])
        except ValueError:  # "empty vocabulary", as in related_links
            return
        postings = POSTINGS_KEPT if len(self.papers) >= APPROXIMATE_FROM else 0
        self.search = _Search(matrix, terms, k, SHARED_TERMS, postings)

    def links_of(self, index: int) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The related papers of the paper at `index` in the catalogue, as related_links gives them."""
        if self.search is None:
            return ()
        _, columns, _, shared = self.search.chunk(index, index + 1)
        return tuple((self.papers[column].id, terms) for column, terms in zip(columns.tolist(), shared))
