"""A taxonomy suggested from the papers themselves: tf-idf groups -> weighted terms -> named topics -> topics.toml text.

How, and why this way:
1. Each paper's title and abstract are cleaned by the pages' text policy (text.plain_text) and
   links are dropped. Terms are read as the build matches them (topics.match_text), leaving out
   URL parts, boilerplate, numbers and the halves of hyphenated words.
2. Papers are grouped by scikit-learn: k-means over the tf-idf vectors the related-paper search
   uses, reduced by LSA. A paper far from its group's centre fits it badly and teaches it nothing.
   The groups are what the papers say; what places a paper in a topic is the build's term
   matching, so:
3. a sparse linear classifier (LinearSVC with an L1 penalty) learns, from the build's own term
   scores, which terms tell each group from the others and how much; its positive weights are the
   topic's terms. Scoring papers with them as the build does gives the topics the build will
   assign, which the file's comments report.
4. Each topic is named from the papers so assigned (not from the group's centre or its weights):
   the term most of them hold that is rare elsewhere (a c-TF-IDF in spirit), grown into the
   phrase the papers write it in ("Gaussian splatting"; only as they write it), an abbreviation the
   papers define spelt out ("CoT" -> "chain-of-thought (CoT)"), never a unit ("4-bit"), and
   joined by "and" to a second phrase only when the papers holding one often hold the other (a
   lone word only if the papers write it as a noun). A name is judged by the share of the topic's
   papers holding a word of it (topics.name_fit, the report's name fit): a group named for too few
   of its papers is a grab-bag, and is grouped again (a second pass); a topic still named for too
   few is dropped. The name written into the file is held further to how a person writes a
   heading (Namer.name, careful): groups are judged by the plainer name, so that wording never
   changes which topics there are. Where no such name fits, the word the topic's titles share
   names it ("Evaluation"; Namer._titled). Its last word is in the plural where the papers
   mostly end the phrase so ("Agents"; Namer.in_number).
5. A paper's primary topic is the first of its topics whose name it holds (named_first), so a
   topic's page leads with papers its name describes.
6. min_score is raised until no more than CATCH_ALL_SHARE of the papers, those the topics fit
   least, fall below it: they go to the catch-all, not to the nearest topic. What is left of that
   share goes to the papers naming none of their topics that score least (unnamed_min_score).
Deterministic: fixed random states, one thread for numeric sums, ties broken by order.
"""

from __future__ import annotations

import math
import re
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import sparse

from .models import Catalogue, Paper
from .related import STOP_WORDS, tfidf_matrix
from .text import find_links, plain_text
from .topics import (
    NAME_FIT_LEFT_OUT,
    NAME_FIT_PREFIX,
    NAME_FIT_WARN_BELOW,
    AssignmentRules,
    match_ascii,
    match_text,
    name_words,
)
from .urls import slugify

RULES = AssignmentRules(title_weight=3.0, abstract_cap=3, min_score=3.0, secondary_ratio=0.6,
                        strong_score=30.0, max_topics=3, named_first=True)
"""The [assignment] table of a suggested taxonomy: the build's defaults, with a second topic needing
60% of the first's score rather than half, so a paper's topic page is the one it mostly belongs to,
and of a paper's topics the first it names leading them. min_score is raised for each catalogue
(fitted_rules)."""
CATCH_ALL_SHARE = 0.045
"""At most this share of the papers, those the topics fit least, go to the catch-all rather than to
the nearest topic: min_score is raised until just under this share score below it. A fixed
min_score does not carry from one catalogue to the next: 9 left 2.7% of the earlier half of the
2024 corpus in the catch-all, and 8.4% of the later half. Below the report's 5%; on the earlier
half, 4.5% gave a point more separation than 3%."""
MAX_MIN_SCORE = 12.0
"""min_score is never raised above this: a title match of a weight-4 term always places a paper."""
MAX_UNNAMED_MIN_SCORE = 30.0
"""unnamed_min_score is never raised above this, the strong_score that lists a second topic on
its own: a paper scoring so much is squarely in the topic, named or not."""
MIN_TOPICS, MAX_TOPICS = 8, 30
PAPERS_PER_TOPIC = 5
"""A catalogue smaller than MIN_TOPICS x this gets fewer topics: one per PAPERS_PER_TOPIC papers."""
TERMS_PER_TOPIC = 100
"""Terms kept per topic, strongest first. On the 2024 corpus (18 topics), 60 terms put 85% of papers
in the topic of their cluster, 100 terms 92%: the long tail of weak terms settles the close calls."""
MIN_PAPERS_PER_TERM = 3
"""A term in fewer papers (2 in a catalogue under 100 papers) is an accident of wording."""
MAX_TERM_SHARE = 0.1
"""A term in more of the papers ("model", "language") says nothing about any one topic; the share
allowed is at least twice a topic's average share (2 / topics), for small catalogues."""
SVC_C = 0.2
"""The classifier's inverse penalty: smaller keeps fewer terms per topic."""
SVC_TOLERANCE = 0.01
"""When the classifier stops: on the 2024 corpus, 0.01 placed as many papers in their group as
scikit-learn's default 0.0001, in a third of the time."""
FIT_PAPERS = 5000
"""At most about this many papers teach the classifier (10,000 papers: every second one)."""
CENTRAL_PAPERS = 3
OUTLIER_SHARE = 0.5
"""A paper whose cosine with its group's centre is under this share of the median member's fits the
group badly (2 of the 1,106 papers of the earlier half of the 2024 corpus: far from any group)."""
LSA_DIMENSIONS_PER_TOPIC = 3
"""Dimensions the papers are reduced to before k-means, per topic sought (16 to 100 in all). On
the seeds (8 topics), 24 dimensions gave groups 88% of whose papers were nearer their own group's
centroid than any other's, 64 only 72%; the 2024 corpus (24 topics) wanted 50 to 100."""
N_INIT = 3
CATCH_ALL_SLUG = "other"

EXTRA_STOP_WORDS = frozenset("""
    also can could may might must shall should will would et al ie eg etc via vs
    however moreover therefore thus although while whereas whether within without across
    among along upon toward towards well better best high higher highly large larger low lower
    first second third one two three four five six seven eight ten several many much
    able allow allows enable enables enabling improve improves improved improving improvement
    improvements performance performances task tasks framework frameworks problem problems
    provide provides key main important challenge challenges challenging current previous prior
    respectively open source release released public publicly project page available
    results result findings finding experiments experiment extensive comprehensive evaluate
    evaluated evaluation evaluations demonstrate demonstrates demonstrated surpass surpasses
    superior remarkable strong stronger simple efficient efficiently effective effectiveness
    paper work method approach technique techniques introduce introduced propose proposed
    leverage leverages leveraging utilize utilizes utilizing address addresses addressing
""".split())
"""Words of paper prose that say nothing about a subject, on top of the related-paper search's list
(which already holds URL parts such as https, github and com, and boilerplate such as propose)."""
_STOP = STOP_WORDS | EXTRA_STOP_WORDS
WORD_PARTS = frozenset("pre post non multi self co re de sub semi cross anti inter intra un".split())
"""Halves of hyphenated words ("pre-trained" is read "pre trained"): part of a phrase, never a term alone."""
_NUMBERISH = re.compile(r"\d+|\d+(?:st|nd|rd|th|s|k|m|b|x|ms|gb|mb|tb|fps|hz|px)|[a-z]|v\d+")
"""Numbers, sizes (7b, 100k, 10x), ordinals, versions and single letters: never a topic's term."""
_PUNCTUATION = re.compile(r"[^\w\s'-]+")
"""What ends a phrase: anything but letters, digits, spaces, apostrophes and hyphens."""
_ALNUM = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class SuggestedTopic:
    slug: str
    name: str
    description: str
    terms: tuple[tuple[str, float], ...]
    """Term -> weight, strongest first."""
    central: tuple[Paper, ...]
    """The papers nearest the topic's centre, most central first."""
    papers: int
    """Papers whose primary topic this is, by the build's scoring of these terms."""


@dataclass(frozen=True)
class Suggestion:
    """A suggested taxonomy: its topics (largest first) and the rules that assign them."""

    topics: tuple[SuggestedTopic, ...]
    rules: AssignmentRules
    total: int
    unassigned: int
    """Papers no topic scores min_score for: the catch-all's share."""


def default_count(papers: int) -> int:
    """Topics for a catalogue of this many papers: the square root over 2.6, 8 to 30 of them
    (254 papers: 8; 2,212: 18; 10,000: 30), fewer in a catalogue too small to fill 8.

    More topics make each smaller but less distinct: on the 2024 corpus, 18 topics left 88% of
    papers nearer their own topic's centroid than another's, 24 topics 85%."""
    suited = min(MAX_TOPICS, max(MIN_TOPICS, round(math.sqrt(papers) / 2.6)))
    return max(1, min(suited, papers // PAPERS_PER_TOPIC))


# --- the papers as terms ----------------------------------------------------------------------------


def paper_texts(paper: Paper) -> tuple[str, str]:
    """Title and abstract as plain text (the pages' policy), without links."""
    title, abstract = plain_text(paper.title), plain_text(paper.abstract)
    for link in find_links(abstract):
        abstract = abstract.replace(link, " ")
    return title, abstract


def _usable(word: str) -> bool:
    return word not in _STOP and not _NUMBERISH.fullmatch(word)


class TermCounts:
    """Every candidate term's hits in every paper, as the build's assignment counts them.

    A candidate is a usable word, or two adjacent usable words that the papers mostly write
    without punctuation between them (so "language models (LLMs)" gives no "model llm"). The build lets a
    term's last word take a plural s or es, so candidates are written in the singular form the
    catalogue also uses ("model" for "models"), and the hits of one candidate are the hits of the
    term written so; the build reads across punctuation, and so does the counting here.

    Words are read in one Python pass; everything after is numpy over all words at once.
    """

    def __init__(self, titles: Sequence[str], abstracts: Sequence[str], rules: AssignmentRules) -> None:
        n = len(titles)
        tokens, text_of, segment_of = _words_of(list(titles) + list(abstracts))
        words = list(dict.fromkeys(tokens))
        ids = dict(zip(words, range(len(words))))
        word_ids = np.fromiter(map(ids.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        vocabulary = set(words)
        singular = np.array([ids[_singular(word, vocabulary)] for word in words], dtype=np.int64)
        usable = np.array([_usable(word) for word in words], dtype=bool)
        usable &= usable[singular]
        alone = usable & np.array([word not in WORD_PARTS for word in words], dtype=bool)
        size = max(len(words), 1)
        # Terms as integer codes: a word's code is its singular's id; a pair's is size + a * size + b.
        single = alone[word_ids]
        first, second = word_ids[:-1], word_ids[1:]
        pair = usable[first] & usable[second] & (first != second) & (text_of[:-1] == text_of[1:])
        written = first * size + second
        # A phrase is two words the papers mostly write without punctuation between them.
        seen, times = np.unique(written[pair], return_counts=True)
        within = np.bincount(np.searchsorted(seen, written[pair & (segment_of[:-1] == segment_of[1:])]),
                             minlength=len(seen))
        pair &= np.isin(written, seen[2 * within >= times])
        codes = np.concatenate([singular[word_ids[single]], size + first[pair] * size + singular[second[pair]]])
        texts = np.concatenate([text_of[single], text_of[:-1][pair]])
        distinct, column = np.unique(codes, return_inverse=True)
        names = np.array([words[code] if code < size else
                          f"{words[(code - size) // size]} {words[(code - size) % size]}"
                          for code in distinct.tolist()], dtype=object)
        order = np.argsort(names, kind="stable")
        alphabetical = np.empty(len(names), dtype=np.int64)
        alphabetical[order] = np.arange(len(names))
        column = alphabetical[column.ravel()]
        in_title = texts < n
        title = sparse.csr_matrix((np.ones(in_title.sum()), (texts[in_title], column[in_title])),
                                  shape=(n, len(names)))
        title.sum_duplicates()
        title.data[:] = rules.title_weight
        abstract = sparse.csr_matrix((np.ones((~in_title).sum()), (texts[~in_title] - n, column[~in_title])),
                                     shape=(n, len(names)))
        abstract.sum_duplicates()
        np.minimum(abstract.data, rules.abstract_cap, out=abstract.data)
        self.hits = (title + abstract).tocsc()
        self.terms = names[order]
        """Terms in alphabetical order, one per column of hits."""


def _words_of(texts: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Every word of every text as the build matches it (topics.match_text), with the text and the
    punctuation-free stretch of text it is in."""
    tokens: list[str] = []
    text_lengths: list[int] = []
    segment_lengths: list[int] = []
    for text in texts:
        before = len(tokens)
        for part in _PUNCTUATION.split(match_ascii(text)):
            found = _ALNUM.findall(part)
            tokens.extend(found)
            segment_lengths.append(len(found))
        text_lengths.append(len(tokens) - before)
    text_of = np.repeat(np.arange(len(texts)), text_lengths)
    segment_of = np.repeat(np.arange(len(segment_lengths)), segment_lengths)
    return tokens, text_of, segment_of


def _singular(word: str, vocabulary: set[str]) -> str:
    if word.endswith("es") and word[:-2] in vocabulary and len(word) > 4:
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and word[:-1] in vocabulary and len(word) > 3:
        return word[:-1]
    return word


# --- grouping ---------------------------------------------------------------------------------------


def lsa_vectors(vectors: sparse.csr_matrix, count: int) -> np.ndarray:
    """The tf-idf vectors reduced by LSA and scaled to length 1, for `count` groups.

    Latent semantic analysis (a truncated SVD) folds words that occur together into one
    dimension, so two papers saying the same thing in different words land near each other;
    k-means over the raw, sparse vectors groups papers by the rare words they share instead.
    """
    from sklearn.decomposition import TruncatedSVD  # scikit-learn only when a taxonomy is suggested
    from sklearn.preprocessing import normalize

    papers = vectors.shape[0]
    # A term in one paper only cannot bring two papers together; leaving it out halves the SVD's work.
    vectors = vectors[:, np.bincount(vectors.indices, minlength=vectors.shape[1]) >= 2]
    dimensions = min(max(16, min(100, LSA_DIMENSIONS_PER_TOPIC * count)), vectors.shape[1] - 1, papers - 1)
    reduced = vectors.toarray() if dimensions < 2 else \
        TruncatedSVD(dimensions, random_state=0).fit_transform(vectors)
    return normalize(reduced)


def cluster_papers(reduced: np.ndarray, count: int) -> np.ndarray:
    """Each paper's group, 0..count-1: k-means over the papers' LSA vectors (lsa_vectors)."""
    from sklearn.cluster import KMeans

    if count <= 1 or len(reduced) <= count:
        return np.minimum(np.arange(len(reduced)), max(count - 1, 0)).astype(np.int64) if count > 1 \
            else np.zeros(len(reduced), dtype=np.int64)
    return KMeans(n_clusters=count, random_state=0, n_init=N_INIT).fit_predict(reduced).astype(np.int64)


def outliers_apart(reduced: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The groups with the papers that fit theirs badly taken out (-1): those whose cosine with
    their group's centre is under OUTLIER_SHARE of the median member's. Such a paper teaches its
    group no terms; the build places it wherever the others' terms do, or in the catch-all."""
    labels = labels.copy()
    for group in np.unique(labels).tolist():
        members = np.flatnonzero(labels == group)
        centre = reduced[members].mean(axis=0)
        similarity = reduced[members] @ (centre / max(float(np.linalg.norm(centre)), 1e-12))
        labels[members[similarity < OUTLIER_SHARE * np.median(similarity)]] = -1
    return labels


def fit_terms(hits: sparse.csc_matrix, labels: np.ndarray, count: int) -> list[dict[int, float]]:
    """For each group, the columns (terms) that tell its papers from the rest, with their weights.

    A linear classifier from the build's own term scores to the groups, made sparse by an L1
    penalty (scikit-learn's LinearSVC), says which terms and in what proportion; its positive
    weights, scaled so each topic's strongest term weighs 6 and rounded to halves, become the
    topic's terms. Only terms in at least MIN_PAPERS_PER_TERM papers and in at most
    max(MAX_TERM_SHARE, 2 / count) of all papers are candidates: a rarer term is an accident of
    wording, a commoner one ("model", "language") says nothing about any one topic.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    papers = hits.shape[0]
    df = np.diff(hits.indptr)
    least = MIN_PAPERS_PER_TERM if papers >= 100 else 2
    hits, labels = hits[np.flatnonzero(labels >= 0)], labels[labels >= 0]  # papers in no group teach nothing
    candidates = np.flatnonzero((df >= least) & (df <= max(MAX_TERM_SHARE, 2 / count) * papers))
    chosen: list[dict[int, float]] = [{} for _ in range(count)]
    groups = np.unique(labels)
    if not len(candidates) or len(groups) < 2:
        return chosen
    # Every step-th paper: a few thousand papers teach the weights as well as all of them, faster.
    sample = np.arange(0, len(labels), math.ceil(len(labels) / FIT_PAPERS))
    if len(np.unique(labels[sample])) < len(groups):
        sample = np.arange(len(labels))
    with warnings.catch_warnings():
        # Stopping at max_iter still gives usable weights; the file is judged by how it assigns.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LinearSVC(penalty="l1", dual=False, C=SVC_C, tol=SVC_TOLERANCE, max_iter=1000, random_state=0)
        model.fit(hits[sample][:, candidates].tocsr(), labels[sample])
    weights = model.coef_ if len(groups) > 2 else np.vstack([-model.coef_[0], model.coef_[0]])
    for row, group in enumerate(groups.tolist()):
        w = weights[row]
        order = np.lexsort((np.arange(len(w)), -w))[:TERMS_PER_TOPIC]  # equal weights alphabetically
        top = [column for column in order.tolist() if w[column] > 0]
        if top:
            strongest = w[top[0]]
            chosen[group] = {int(candidates[column]): max(0.5, round(12 * w[column] / strongest) / 2)
                             for column in top}
    return chosen


def score_papers(hits: sparse.csc_matrix, chosen: list[dict[int, float]]) -> np.ndarray:
    """papers x topics: each topic's score, as the build computes it from the same terms."""
    weights = sparse.lil_matrix((hits.shape[1], len(chosen)))
    for topic, picked in enumerate(chosen):
        for column, weight in picked.items():
            weights[column, topic] = weight
    return (hits @ weights.tocsr()).toarray()


def fitted_rules(scores: np.ndarray, rules: AssignmentRules, named: np.ndarray | None = None) -> AssignmentRules:
    """The rules with the whole-number min_score, from rules.min_score to MAX_MIN_SCORE, that leaves
    fewer than CATCH_ALL_SHARE of the papers below it: the papers the topics fit least.

    With named (papers x topics: the paper holds the topic's name) and rules.named_first, what is
    left of that share goes to the papers naming none of their topics that score least: the
    whole-number unnamed_min_score, up to MAX_UNNAMED_MIN_SCORE, that leaves fewer of them below it."""
    if not scores.shape[1] or not scores.shape[0]:
        return rules
    best = scores.max(axis=1)
    limit = math.floor(np.sort(best)[int(CATCH_ALL_SHARE * len(best))])
    rules = rules.model_copy(update={"min_score": float(min(max(limit, rules.min_score), MAX_MIN_SCORE))})
    if named is None or not rules.named_first:
        return rules
    room = int(CATCH_ALL_SHARE * len(best)) - int(np.sum(best < rules.min_score))
    _, hits = _listed_named(scores, rules, named)
    unnamed = np.sort(best[(best >= rules.min_score) & ~hits.any(axis=1)])
    if room <= 0 or not len(unnamed):
        return rules
    limit = math.floor(unnamed[room]) if room < len(unnamed) else math.floor(unnamed[-1]) + 1
    if limit <= rules.min_score:
        return rules
    return rules.model_copy(update={"unnamed_min_score": float(min(limit, MAX_UNNAMED_MIN_SCORE))})


def _listed_named(scores: np.ndarray, rules: AssignmentRules, named: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each paper's topics as topics.choose_topics ranks them (papers x max_topics, best first,
    ties to the lower index), and which of them it is listed under and names."""
    order = np.argsort(-scores, axis=1, kind="stable")[:, :rules.max_topics]
    top = np.take_along_axis(scores, order, axis=1)
    threshold = np.maximum(rules.min_score, np.minimum(rules.secondary_ratio * top[:, :1], rules.strong_score))
    return order, (top >= threshold) & np.take_along_axis(named, order, axis=1)


def primary_topics(scores: np.ndarray, rules: AssignmentRules, named: np.ndarray | None = None) -> np.ndarray:
    """Each paper's primary topic (ties to the lower index, as the build breaks them), -1 for none.

    With named (papers x topics: the paper holds the topic's name) and rules.named_first, as
    topics.choose_topics has it: the first of a paper's topics by score that it names leads, and a
    paper naming none of them needs unnamed_min_score."""
    best = np.argmax(scores, axis=1) if scores.shape[1] else np.zeros(scores.shape[0], dtype=np.int64)
    top = scores[np.arange(scores.shape[0]), best] if scores.shape[1] else np.zeros(scores.shape[0])
    found = (top >= rules.min_score) if scores.shape[1] else np.zeros(scores.shape[0], dtype=bool)
    primary = np.where(found, best, -1)
    if named is None or not rules.named_first or not scores.shape[1]:
        return primary
    order, hits = _listed_named(scores, rules, named)
    names_one = hits.any(axis=1)
    primary = np.where(found & names_one, order[np.arange(len(order)), np.argmax(hits, axis=1)], primary)
    return np.where(found & ~names_one & (top < rules.unnamed_min_score), -1, primary)


# --- the suggestion ---------------------------------------------------------------------------------


FEWEST_PAPERS = 3
"""A suggested topic holding fewer papers than this is too thin to be worth a page of its own."""
NAME_FIT_KEEP = NAME_FIT_WARN_BELOW
"""A topic whose best name is held by fewer of its papers than this (the share the topic report
warns below) is dropped: no name says what it holds."""
SPLIT_BELOW = 0.7
"""A group whose best name is held by fewer of its papers than this is a grab-bag of subjects, and
is grouped again. A higher share splits more groups, so that more papers hold their topic's name,
but the smaller groups lie nearer each other: on the earlier half of the 2024 corpus, 0.6 gave 3
points less name fit and 1 to 2 points more separation."""
SECOND_PASSES = 2
"""Times the grab-bags are grouped again, at most (3 on the earlier half of the 2024 corpus: the
same name fit, 5 points less separation, from groups of a dozen papers)."""
MOST_GROUPS = 40
"""Grab-bags are not grouped again past this many groups."""
SETTLE_ROUNDS = 10
"""Times topics are dropped and papers placed again, at most, until every topic kept holds its own."""


def suggest_taxonomy(catalogue: Catalogue, count: int | None = None, rules: AssignmentRules = RULES
                     ) -> Suggestion:
    """Topics for this catalogue, from `count` groups (default_count when None), largest first.

    A grab-bag group is grouped again (_refined), so there may be more topics than groups. A group
    that ends up with no papers of its own, fewer than FEWEST_PAPERS where the catalogue is large
    enough, or no name at least NAME_FIT_KEEP of its papers hold, is dropped, and its papers go
    wherever the remaining terms place them, or to the catch-all.
    """
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    # One thread for BLAS and OpenMP: several threads sum in an order that varies from run to run,
    # and a last-digit difference can move a paper between groups or a weight across a rounding.
    with threadpool_limits(limits=1):
        return _suggest(catalogue, count, rules)


def _suggest(catalogue: Catalogue, count: int | None, rules: AssignmentRules) -> Suggestion:
    papers = catalogue.papers
    if not papers:
        raise ValueError("the catalogue has no papers to group")
    count = max(1, min(count or default_count(len(papers)), len(papers)))
    texts = [paper_texts(paper) for paper in papers]
    titles, abstracts = [t for t, _ in texts], [a for _, a in texts]
    try:
        vectors, _ = tfidf_matrix(titles, abstracts)
    except ValueError:
        raise ValueError("no paper has a word worth grouping by") from None
    counts = TermCounts(titles, abstracts, rules)
    namer = Namer(titles, abstracts, counts)
    reduced = lsa_vectors(vectors, count) if count > 1 else np.zeros((len(papers), 1))
    labels = outliers_apart(reduced, cluster_papers(reduced, count))
    chosen = _refined(counts.hits, reduced, labels, count, rules, namer)
    least = FEWEST_PAPERS if len(papers) >= FEWEST_PAPERS * count else 1
    # Largest first (equal sizes by group number): the build breaks a tie between two topics' scores
    # in favour of the one written first. Dropping a topic moves papers, so sizes and names are
    # worked out again until every topic kept is large enough and named for most of its papers.
    for _ in range(SETTLE_ROUNDS):
        assigned, _ = _assigned(counts.hits, chosen, rules, namer)
        sizes = np.bincount(assigned[assigned >= 0], minlength=len(chosen))
        fits = [namer.name(np.flatnonzero(assigned == group))[1] for group in range(len(chosen))]
        kept = [group for group in range(len(chosen))
                if chosen[group] and sizes[group] >= least and fits[group] >= NAME_FIT_KEEP]
        if not kept:  # nothing is named well: the best-named group rather than no topic at all
            kept = [max((group for group in range(len(chosen)) if chosen[group]),
                        key=lambda group: (fits[group], -group), default=0)]
        order = sorted(kept, key=lambda group: (-sizes[group], group))
        if order == list(range(len(chosen))):
            break
        chosen = [chosen[group] for group in order]
    assigned, rules = _assigned(counts.hits, chosen, rules, namer, careful=True)
    named = [namer.name(np.flatnonzero(assigned == group), careful=True) for group in range(len(chosen))]
    topics = []
    for group, picked in enumerate(chosen):
        members = np.flatnonzero(assigned == group)
        terms = tuple(sorted(((str(counts.terms[c]), w) for c, w in picked.items()),
                             key=lambda item: (-item[1], item[0])))
        central = _central(vectors, members)
        topics.append((len(members), named[group][0], terms, tuple(papers[i] for i in central)))
    written = iter(namer.hyphenated([part for _, parts, _, _ in topics for part in parts]))
    topics = [(size, namer.in_number([next(written) for _ in parts]), terms, central)
              for size, parts, terms, central in topics]
    return Suggestion(topics=tuple(_named(topics)), rules=rules, total=len(papers),
                      unassigned=int(np.sum(assigned < 0)))


def _assigned(hits: sparse.csc_matrix, chosen: list[dict[int, float]], rules: AssignmentRules,
              namer: Namer, unnamed_apart: bool = True, careful: bool = False) -> tuple[np.ndarray, AssignmentRules]:
    """Each paper's primary topic as the build would assign it from these terms, and the rules
    fitted to them; with named_first, the names are those the papers placed by score alone give
    each topic (careful ones, Namer.name, for the topics as written)."""
    scores = score_papers(hits, chosen)
    rules = fitted_rules(scores, rules)
    assigned = primary_topics(scores, rules)
    if not rules.named_first or not chosen:
        return assigned, rules
    names = [namer.name(np.flatnonzero(assigned == group), careful)[0] for group in range(len(chosen))]
    named = np.column_stack([namer.holding(set(name_words(" ".join(parts)))) for parts in names])
    rules = fitted_rules(scores, rules, named if unnamed_apart else None)
    return primary_topics(scores, rules, named), rules


def _refined(hits: sparse.csc_matrix, reduced: np.ndarray, labels: np.ndarray, count: int,
             rules: AssignmentRules, namer: Namer) -> list[dict[int, float]]:
    """Each group's terms, after a second pass over the grab-bags.

    The terms are fitted to the groups, the papers are assigned as the build assigns them, and each
    group is named from the papers assigned to it. The papers naming none of their topics stay in
    them here (unnamed_min_score comes later, in _suggest): they are what shows a group to be a
    grab-bag, and sent to the catch-all first they would hide it. A group whose name fits fewer than SPLIT_BELOW
    of them holds several subjects: its papers are grouped again by k-means, in one group more than
    they would fill at the catalogue's average size (at least 2), and the terms are fitted again.
    Groups that still have no name most of their papers hold are dropped later (in _suggest): their
    papers go where the other topics' terms place them, or to the catch-all."""
    average = len(labels) / count
    for _ in range(SECOND_PASSES):
        chosen = fit_terms(hits, labels, count)
        assigned, _ = _assigned(hits, chosen, rules, namer, unnamed_apart=False)
        regrouped, groups = labels.copy(), count
        for group in range(count):
            if not chosen[group] or namer.name(np.flatnonzero(assigned == group))[1] >= SPLIT_BELOW:
                continue
            own = np.flatnonzero(labels == group)
            parts = min(len(own), max(2, round(len(own) / average) + 1), MOST_GROUPS - groups + 1)
            if parts < 2:
                continue
            # The group's old number is left empty: fit_terms gives it no terms, and it is dropped.
            regrouped[own] = groups + cluster_papers(reduced[own], parts)
            groups += parts
        if groups == count:
            return chosen
        labels, count = regrouped, groups
    return fit_terms(hits, labels, count)


# --- names ------------------------------------------------------------------------------------------


NAME_CANDIDATES = 20
"""Terms tried, best first, for a topic's name."""
NAME_TERM_SHARE = 0.05
"""A term held by fewer of a topic's papers than this share (or MIN_PAPERS_PER_TERM) never names it."""
FIRST_COVERAGE = 0.2
"""A name starts with the best term at least this share of the topic's papers hold."""
PHRASE_SHARE = 0.5
"""A word of a name grows into a phrase ("splatting" into "Gaussian splatting") when at least this
share of the papers holding the word hold the phrase, in the topic and in the whole catalogue."""
FOUND_PAPERS = 100
"""How a term is written (as a phrase, after a number, before a noun) is read from at most this
many of the papers holding it."""
WITHIN_SHARE = 0.4
"""A word that the papers write within an abbreviation's long form at least this share of the
times they write it is named by the long form: in the earlier half of the 2024 corpus, 47% of
"thought" is in "chain-of-thought", and "Tree of Thoughts" takes much of the rest."""
JOIN_OVERLAP = 0.25
"""Two phrases are joined by "and" only when at least this share of the papers holding the rarer
one (in the whole catalogue) also hold the other: subjects that go together, not two glued;"""
JOIN_GAIN = 0.05
"""...when the second phrase names at least this share of the topic's papers the first does not;"""
JOIN_PRECISION = 0.3
"""...when at least this share of the catalogue's papers holding it are in the topic: a second
subject of the topic, not a word every topic has ("training", "evaluating");"""
WRITTEN_JOIN_PRECISION = 0.5
"""...in a careful name (Namer.name), when most of the catalogue's papers holding it are in the
topic: in the earlier half of the 2024 corpus, "reasoning capabilities" (a third of its papers in
the topic) gave way to "mathematical reasoning";"""
LONE_WORD_IN_PHRASE = 0.4
"""In a careful name, a lone first word gives way to a phrase of it that names at least as many of
the papers, when at least this share of the topic's papers holding the word hold the phrase: in
the earlier half of the 2024 corpus, 48% of a topic's "question" papers write "question
answering", and "Question and ..." became "Question answering and ..."."""
TITLE_NAME_SHARE = 0.25
"""Where no careful name fits a topic, a word at least this share of its papers' titles hold may
name it (Namer._titled): on the seeds, 12 of the 34 titles of a group of papers on evaluating
language models hold "evaluat...", which its abstracts write as prose;"""
TITLE_NAME_PRECISION = 0.5
"""...when at least this share of the catalogue's titles holding the word are the topic's: 12 of 17."""
SECOND_WORD_RANK = 5
"""...and, for a single word, when it is among the topic's best few terms: further down, single
words are verbs and adjectives ("evaluating", "activated") more often than subjects."""
NAME_GENERIC = NAME_FIT_LEFT_OUT | frozenset("""
    data dataset system method model task performance quality analysis approach framework study
    result capability application general specific common diverse complex simple single multiple unified
""".split())
"""Words a name may hold but never rest on: no subject is named by them alone."""
_ABBREVIATION = re.compile(r"\(\s*([A-Za-z][A-Za-z0-9-]{1,9})\s*[);,]")
"""An abbreviation in parentheses after its long form: "chain-of-thought (CoT)", "(RAG; ...)"."""
_ABBREVIATED = re.compile(r" \([^()]*\)$")
"""The abbreviation written after a long form in a name part: "chain-of-thought (CoT)"."""
_LONG_FORM_CHARS = 120
"""How far before an abbreviation its long form is looked for."""
_WORD = re.compile(r"[A-Za-z0-9]+")
_CONTEXT = 30
"""Characters kept on each side of a phrase found in the abstracts."""
_HYPHEN_BEFORE = re.compile(r"([a-z0-9]+)-$")
_NUMBER_BEFORE = re.compile(r"\d[ -]?$")
_WORD_AFTER = re.compile(r" ([a-z0-9]+)")
_DETERMINERS = frozenset("a an the this these that those their its our his her each every all some any such".split())
"""Words after which a word is a verb ("evaluating their"), not a noun ending a phrase."""


class Namer:
    """Names for groups of papers, from the papers themselves: their most telling terms, written as
    the papers write them, abbreviations the papers define spelt out."""

    def __init__(self, titles: Sequence[str], abstracts: Sequence[str], counts: TermCounts) -> None:
        present = counts.hits.tocsr(copy=True)
        present.data[:] = 1.0
        self.present = present
        self.columns = present.tocsc()
        self.terms = counts.terms
        self.df = np.diff(self.columns.indptr)
        self.papers_with: dict[str, list[int]] = {}
        """The first NAME_FIT_PREFIX letters of a word -> the papers holding a word beginning so."""
        for index, (title, abstract) in enumerate(zip(titles, abstracts)):
            for prefix in {word[:NAME_FIT_PREFIX] for word in match_text(f"{title} {abstract}").split()}:
                self.papers_with.setdefault(prefix, []).append(index)
        self.size = len(titles)
        self.surfaces = surface_forms(titles, abstracts)
        self.abbreviations = defined_abbreviations(abstracts)
        self.phrases: dict[str, list[int]] = {}
        """A word -> the columns of the two-word terms holding it."""
        for column, term in enumerate(self.terms.tolist()):
            if " " in term:
                for word in set(term.split()):
                    self.phrases.setdefault(word, []).append(column)
        self.shown = [self._shown(str(term)) for term in self.terms]
        self.long_forms: dict[str, list[tuple[int, str]]] = {}
        """A word of a long form of several words -> (the abbreviation's column, the long form)."""
        self.column_of = column_of = {str(term): column for column, term in enumerate(self.terms.tolist())}
        for short, long_form in sorted(self.abbreviations.items()):
            words = match_text(long_form).split()
            if short in column_of and len(words) > 1:
                for word in dict.fromkeys(words):
                    self.long_forms.setdefault(word, []).append((column_of[short], long_form))
        title_words = [[word for word in match_text(title).split() if _title_word(word)] for title in titles]
        self.title_prefixes = [{word[:NAME_FIT_PREFIX] for word in words} for words in title_words]
        """Each paper's title words a title name may rest on (_titled), by their first NAME_FIT_PREFIX letters."""
        self.title_df = Counter(prefix for prefixes in self.title_prefixes for prefix in prefixes)
        self.title_forms = Counter(word for words in title_words for word in words)
        self.abstract_texts = [match_ascii(abstract) for abstract in abstracts]
        self._matches: dict[tuple[str, str], list] = {}
        self.after_numbers = Counter(re.findall(r"\d[ -]?([a-z]+)", self.all_abstracts))
        """A word -> how often the abstracts write it right after a number ("4-bit")."""

    def name(self, members: np.ndarray, careful: bool = False) -> tuple[list[str], float, np.ndarray]:
        """The parts of a name for these papers (one phrase, or two that go together), the share of
        the papers holding a word of it (topics.name_fit), and which do.

        A careful name is the one written for the owner. It is held to how a person writes a
        heading, past what the plainer name needs:
        - no part rests on generic words in the plural either ("capabilities");
        - a second phrase ends where the papers end it ("image-text" is written before "pairs");
        - a second phrase is one most of the catalogue's papers holding it are in the topic
          (WRITTEN_JOIN_PRECISION): a second subject, not a phrase many topics share;
        - a lone word that most of its papers here write beside the second phrase is part of
          that subject: "Draft and speculative decoding" is "Speculative decoding";
        - a lone first word gives way to a phrase of it that many of its papers write and that
          names as many papers (LONE_WORD_IN_PHRASE): "Question answering and ...";
        - a second phrase few of its papers write gives way to a common noun of it that names
          about as many: "PDF document" to "document";
        - no phrase only adds generic words to another: "retrieval-augmented generation system"
          gives way to "retrieval-augmented generation (RAG)".
        Where that leaves a name fewer than NAME_FIT_KEEP of the papers hold, the word their titles
        share names them, if one does (_titled: "Evaluation" rather than "GPT and capabilities"),
        and else the plainer name stands. Whether a group is one subject is judged by the plainer
        name, so the wording never changes which topics there are."""
        if careful:
            written = self._name(members, careful=True)
            if written[1] >= NAME_FIT_KEEP:
                return written
            titled = self._titled(members)
            return titled if titled[1] >= NAME_FIT_KEEP else self._name(members)
        return self._name(members)

    def _titled(self, members: np.ndarray) -> tuple[list[str], float, np.ndarray]:
        """A name from the word most telling in these papers' titles, where a title says what a
        paper is about: a word at least TITLE_NAME_SHARE of their titles hold, and most titles
        holding it in the catalogue are theirs (TITLE_NAME_PRECISION). A prose word may name a
        topic so: what the terms leave out as boilerplate of abstracts ("evaluation") is a
        subject in a title ("Evaluating Large Language Models ..."). The word is written in the
        form the abstracts write most ("evaluation" for "evaluating")."""
        have = Counter(prefix for member in members.tolist() for prefix in self.title_prefixes[member])
        least = max(MIN_PAPERS_PER_TERM, TITLE_NAME_SHARE * len(members))
        telling = [((have[prefix] / self.title_df[prefix]) ** 2 * have[prefix], prefix) for prefix in have
                   if have[prefix] >= least and have[prefix] >= TITLE_NAME_PRECISION * self.title_df[prefix]]
        if not telling:
            return [], 0.0, np.zeros(len(members), dtype=bool)
        best = min(telling, key=lambda scored: (-scored[0], scored[1]))[1]  # the alphabetically first of equals
        forms = Counter(re.findall(rf"\b{best}[a-z0-9]*\b", self.all_abstracts)) or \
            Counter({form: times for form, times in self.title_forms.items() if form[:NAME_FIT_PREFIX] == best})
        word = min(forms, key=lambda form: (-forms[form], form))
        held = self.holding({word})[members]
        return [self._shown(word)], float(held.mean()), held

    def _name(self, members: np.ndarray, careful: bool = False) -> tuple[list[str], float, np.ndarray]:
        if not len(members):
            return [], 0.0, np.zeros(0, dtype=bool)
        have = np.asarray(self.present[members].sum(axis=0)).ravel()
        precision = np.divide(have, self.df, out=np.zeros(len(have)), where=self.df > 0)
        # A c-TF-IDF in spirit: common among the papers named, rare elsewhere.
        least = min(len(members), max(MIN_PAPERS_PER_TERM, NAME_TERM_SHARE * len(members)))
        score = np.where(have >= least, precision ** 2 * have / len(members), 0.0)
        order = np.lexsort((np.arange(len(score)), -score))[:NAME_CANDIDATES]
        # The candidates: distinct phrases, best first, none resting on generic words alone or
        # on a unit.
        found: list[tuple[int, str, set[str], np.ndarray, float]] = []
        for column in order.tolist():
            if score[column] <= 0:
                break
            grown = self._grown(column, have, members)
            if grown is None or self._unit(str(self.terms[grown[0]]).split()[0]):
                continue
            column, phrase = grown
            words = set(name_words(_ABBREVIATED.sub("", phrase)))  # "(CoT)" beside its long form adds no subject
            generic = {word for word in words if _generic(word)} if careful else words & NAME_GENERIC
            if not words - generic or any(words == other for _, _, other, _, _ in found):
                continue
            found.append((column, phrase, words, self.holding(set(name_words(phrase)))[members], precision[column]))
        if careful:
            # A phrase that only adds generic words to another names no more than it does, only
            # more papers by chance: "retrieval-augmented generation system" is "... (RAG)".
            found = [entry for entry in found
                     if not any(other < entry[2] and all(_generic(word) for word in entry[2] - other)
                                for _, _, other, _, _ in found)]
        # The name: the best phrase that a good share of the papers hold, then the phrase going
        # with it that names most of the papers it does not (a phrase of words before a word).
        first = next((i for i, (_, _, _, held, _) in enumerate(found) if held.mean() >= FIRST_COVERAGE), None)
        if first is None:
            return [], 0.0, np.zeros(len(members), dtype=bool)
        if careful and " " not in _ABBREVIATED.sub("", found[first][1]):
            first = next((i for i, (c, _, other, held, _) in enumerate(found)
                          if " " in str(self.terms[c]) and found[first][2] < other
                          and have[c] >= LONE_WORD_IN_PHRASE * have[found[first][0]]
                          and held.sum() >= found[first][3].sum()), first)
        column, phrase, words, holds, _ = found[first]
        least_gain = max(2, JOIN_GAIN * len(members))
        joinable = {j: (other_column, other, int((held & ~holds).sum()))
                    for j, (other_column, phrase_of, other, held, share) in enumerate(found)
                    if j != first and share >= (WRITTEN_JOIN_PRECISION if careful else JOIN_PRECISION)
                    and not _prefixes(words) & _prefixes(other)
                    and (" " in self.terms[other_column] or (j < SECOND_WORD_RANK and self._head(other_column)))
                    and (not careful or self._head(other_column, phrase_of))
                    and (held & ~holds).sum() >= least_gain
                    and self._overlap(column, other_column) >= JOIN_OVERLAP}
        # A phrase is preferred to a lone word, but in a careful name not to a common noun of it
        # that names about as many papers alone and that few of its papers write in the phrase:
        # "PDF document" is a "document" most of the papers never call so.
        plain_nouns = [(c, other, gain) for c, other, gain in joinable.values()
                       if careful and len(other) == 1 and self.shown[c].islower()]

        def as_phrase(j: int) -> bool:
            other_column, other, gain = joinable[j]
            return " " in _ABBREVIATED.sub("", found[j][1]) and not any(
                word <= other and gain_of + least_gain > gain and have[other_column] < PHRASE_SHARE * have[c]
                for c, word, gain_of in plain_nouns)

        second = max(((as_phrase(j), gain, -j) for j, (_, _, gain) in joinable.items()), default=None)
        if second is None:
            return [phrase], float(holds.mean()), holds
        other_column, other_phrase, _, held, _ = found[-second[-1]]
        if careful and " " not in str(self.terms[column]) and " " in str(self.terms[other_column]) \
                and self._within_phrase(column, other_column, members):
            return [other_phrase], float(held.mean()), held
        holds = holds | held
        return [phrase, other_phrase], float(holds.mean()), holds

    def holding(self, words: set[str]) -> np.ndarray:
        """Which papers hold any of these words of a name, as topics.name_fit finds them: a word
        beginning with the word's first NAME_FIT_PREFIX letters."""
        held = np.zeros(self.size, dtype=bool)
        for word in words:
            prefix = word[:NAME_FIT_PREFIX]
            keys = [prefix] if len(prefix) == NAME_FIT_PREFIX else \
                [key for key in self.papers_with if key.startswith(prefix)]
            for key in keys:
                held[self.papers_with.get(key, [])] = True
        return held

    def _grown(self, column: int, have: np.ndarray, members: np.ndarray) -> tuple[int, str] | None:
        """A term as the phrase most of its papers here write it in, if there is one: a word grows
        into a two-word term ("splatting" into "Gaussian splatting"), and that by a word more
        ("3D Gaussian splatting"). The column is the longest term's; the phrase is as shown.
        None for a two-word term that is only ever the tail of a hyphenated word."""
        term = str(self.terms[column])
        if " " not in term:
            longer = [c for c in self.phrases.get(term, ())
                      if self._grows(column, c, have) and self._written(str(self.terms[c]))]
            if not longer:
                return column, self._spelt_within(column, have)
            column = max(longer, key=lambda c: (have[c], -c))
            term = str(self.terms[column])
        elif not self._written(term):
            return None
        first, last = term.split()
        for c in self.phrases.get(last, []) + self.phrases.get(first, []):
            other = str(self.terms[c]).split()
            if c == column or set(other) == {first, last} or not self._grows(column, c, have):
                continue
            added = other[1] if other[0] == last else other[0]
            if _prefixes({added}) & _prefixes({first, last}):
                continue  # "generated image generation" says "generat" twice
            if other[0] == last:
                longer, phrase = f"{term} {added}", f"{self.shown[column]} {self._shown(added)}"
            else:
                longer, phrase = f"{added} {term}", f"{self._shown(added)} {self.shown[column]}"
            if self._written(longer) and self._together(column, c, members):
                return column, phrase
        return column, self.shown[column]

    def _written(self, term: str) -> bool:
        """Whether the papers holding a term of several words write it as such, at least
        MIN_PAPERS_PER_TERM times and mostly not as the tail of a hyphenated word: "diffusion AR
        model" must be written so to name a topic, and "low-resource language" is no "resource
        language" (but "non-English language" is an "English language" that grows a "non")."""
        words = term.split()
        joined = [_HYPHEN_BEFORE.search(before) for before, _ in self._found(" ".join(words[:2]), words)]
        tails = [found is not None and found.group(1) not in WORD_PARTS for found in joined]
        return len(tails) - sum(tails) >= max(MIN_PAPERS_PER_TERM, sum(tails))

    def _head(self, column: int, phrase: str | None = None) -> bool:
        """Whether the papers mostly write a term at the end of a phrase, as a noun is written
        ("quantization", "translation"), rather than before another word, as an adjective or a verb is
        ("discrete tokens", "deep networks", "evaluating LLMs", "evaluating the", "image-text
        pairs"): a lone word joins a name only as a noun. Given the phrase a term grew into, a
        phrase that grew past the term's last word ("vision-language model") passes."""
        term = str(self.terms[column])
        if phrase is not None and match_text(_ABBREVIATED.sub("", phrase)).split()[-1:] != term.split()[-1:]:
            return True
        following = [_WORD_AFTER.match(after) for _, after in self._found(term, term.split())]
        ends = [found is None or found.group(1) in _STOP and found.group(1) not in _DETERMINERS
                for found in following]
        return 2 * sum(ends) >= len(ends)

    def _unit(self, word: str) -> bool:
        """Whether the papers mostly write a word right after a number: a unit ("4-bit", "7
        billion", "100 times"), which names no subject."""
        if self.after_numbers[word] < MIN_PAPERS_PER_TERM:  # most words, found without a search
            return False
        found = self._found(word, [word])
        return 2 * sum(bool(_NUMBER_BEFORE.search(before)) for before, _ in found) > len(found)

    def _within(self, word: str, long_form: str) -> bool:
        """Whether the papers write a word inside this long form at least WITHIN_SHARE of the
        times they write it ("thought" in "chain-of-thought")."""
        return len(self._found(word, match_text(long_form).split())) >= WITHIN_SHARE * len(self._found(word, [word]))

    def _found(self, term: str, words: list[str]) -> list[tuple[str, str]]:
        """Where words are written as a phrase (a space or a hyphen between them, the last in the
        singular or the plural, whole words), in the abstracts of the papers holding a term: the
        few characters before and after each. Read from the first FOUND_PAPERS of those papers (how
        a term is written shows in a sample), and remembered, for names are tried many times."""
        key = (term, " ".join(words))
        if key not in self._matches:
            column = self.column_of.get(term)
            papers = self.columns[:, column].indices[:FOUND_PAPERS].tolist() if column is not None else []
            text = "\n".join(self.abstract_texts[paper] for paper in papers)
            # The pattern begins with a word's letters, which the regex engine finds fast; what is
            # before a match is looked at afterwards.
            *head, last = map(re.escape, words)
            pattern = re.compile("[ -]".join([*head, last + "(?:e?s)?"]) + r"\b")
            self._matches[key] = [(text[max(0, start - _CONTEXT):start], text[end:end + _CONTEXT])
                                  for start, end in (found.span() for found in pattern.finditer(text))
                                  if not start or not text[start - 1].isalnum()]
        return self._matches[key]

    def _spelt_within(self, column: int, have: np.ndarray) -> str:
        """A word standing alone as a name part. Part of a long form the papers abbreviate ("chain"
        of "chain-of-thought"), it is that long form when most of its papers here hold the
        abbreviation or it is mostly written within the long form; else it is as shown. A long form
        comes with its abbreviation ("chain-of-thought (CoT)")."""
        word = str(self.terms[column])
        for short, long_form in self.long_forms.get(word, ()):
            if have[short] >= PHRASE_SHARE * have[column] or self._within(word, long_form):
                return self._abbreviated(long_form, str(self.terms[short]))
        if self.shown[column] != self.surfaces.get(word, word):  # an abbreviation spelt out
            return self._abbreviated(self.shown[column], word)
        return self.shown[column]

    def hyphenated(self, phrases: list[str]) -> list[str]:
        """The phrases with a hyphen between two words wherever the papers mostly write one there
        ("vision-language model"). One pass over the abstracts finds every pair of every phrase."""
        pairs = {(a.lower(), b.lower()) for phrase in phrases for a, b in zip(phrase.split(), phrase.split()[1:])}
        if not pairs:
            return list(phrases)
        pattern = re.compile(r"\b(?:" + "|".join(sorted(rf"{re.escape(a)}[ -]{re.escape(b)}" for a, b in pairs))
                             + r")\b")
        written = Counter(pattern.findall(self.all_abstracts))

        def joined(phrase: str) -> str:
            words = phrase.split()
            out = [words[0]]
            for before, word in zip(words, words[1:]):
                pair = f"{before.lower()}-{word.lower()}", f"{before.lower()} {word.lower()}"
                if written[pair[0]] > written[pair[1]]:
                    out[-1] += "-" + word
                else:
                    out.append(word)
            return " ".join(out)

        return [joined(phrase) for phrase in phrases]

    def in_number(self, parts: list[str]) -> list[str]:
        """A name's parts with the last word in the plural where the papers, ending the phrase with
        it, mostly write it so (at least MIN_PAPERS_PER_TERM times): a heading names a kind of
        thing in the plural ("Vision-language models", "Agents"), and a subject that has no plural
        as it is ("Video generation", "Key-value cache"). Left as they are: a part ending in an
        abbreviation or a name (capitalised); a lone word before a second part, which reads as
        sharing its noun ("Preference and reward modeling"); and a word whose plural the name fit
        reads differently ("language" is left out of it, "languages" is not)."""
        return [part if len(parts) > 1 and at == 0 and " " not in part else self._counted(part)
                for at, part in enumerate(parts)]

    @cached_property
    def all_abstracts(self) -> str:
        """The abstracts as one text (lower-case ASCII, as match_ascii leaves them), for the
        searches that read them all."""
        return "\n".join(self.abstract_texts)

    def _counted(self, phrase: str) -> str:
        words = phrase.split()
        last = words[-1] if words else ""
        if not re.fullmatch(r"[a-z]+(?:-[a-z]+)*", last) or last.endswith("s"):
            return phrase
        head = match_text(phrase).split()  # lower-case letters and digits: nothing a pattern reads
        if not head or head[-1] != last.rsplit("-", 1)[-1]:
            return phrase
        plural = rf"{head[-1][:-1]}ies" if re.search(r"[^aeiou]y$", last) else rf"{head[-1]}(?:es|s)"
        # Begun by a word's letters, which the regex engine finds fast; what is before a match is
        # looked at afterwards.
        pattern = re.compile("[ -]".join(head[:-1] + [rf"(?P<last>{head[-1]}|{plural})"])
                             + r"\b(?! ?-)( [a-z0-9]+)?")
        text = self.all_abstracts
        singular = plurals = 0
        forms: Counter = Counter()
        for found in pattern.finditer(text):
            if found.start() and (text[found.start() - 1].isalnum() or text[found.start() - 1] in "-_"):
                continue  # within a word, or the tail of a hyphenated one
            after = found.group(2)
            if after is not None and (after[1:] not in _STOP or after[1:] in _DETERMINERS):
                continue  # a word before another: "image" in "image generation"
            if found.group("last") == head[-1]:
                singular += 1
            else:
                plurals += 1
                forms[found.group("last")] += 1
        if plurals <= singular or plurals < MIN_PAPERS_PER_TERM:
            return phrase
        counted = phrase[: len(phrase) - len(last.rsplit("-", 1)[-1])] + forms.most_common(1)[0][0]
        same_fit = _prefixes(set(name_words(counted))) == _prefixes(set(name_words(phrase)))
        return counted if same_fit else phrase

    def _grows(self, column: int, longer: int, have: np.ndarray) -> bool:
        """Whether a term's papers, here and in the whole catalogue, mostly write it within the longer one."""
        return bool(have[longer] >= PHRASE_SHARE * have[column] and self.df[longer] >= PHRASE_SHARE * self.df[column])

    def _together(self, column: int, other: int, members: np.ndarray) -> bool:
        """Whether most of these papers holding one two-word term hold another too: "3D Gaussian"
        and "Gaussian splatting" make "3D Gaussian splatting"."""
        one, two = (self.columns.indices[self.columns.indptr[c]:self.columns.indptr[c + 1]] for c in (column, other))
        one = one[np.isin(one, members, assume_unique=True)]
        both = int(np.isin(one, two, assume_unique=True).sum())
        return both >= MIN_PAPERS_PER_TERM and both >= PHRASE_SHARE * len(one)

    def _within_phrase(self, word: int, phrase: int, members: np.ndarray) -> bool:
        """Whether most of these papers holding a word hold a phrase too: "draft" beside
        "speculative decoding" is a part of its subject, not a second one."""
        rows = self.present[members]
        has_word = rows[:, word].toarray().ravel() > 0
        both = int((has_word & (rows[:, phrase].toarray().ravel() > 0)).sum())
        return both >= PHRASE_SHARE * has_word.sum()

    def _overlap(self, a: int, b: int) -> float:
        """Share of the papers holding the rarer of two terms that hold the other too (0 when
        fewer than MIN_PAPERS_PER_TERM papers hold both: a chance meeting)."""
        both = self.columns[:, a].multiply(self.columns[:, b]).sum()
        return float(both / max(1, min(self.df[a], self.df[b]))) if both >= MIN_PAPERS_PER_TERM else 0.0

    def _shown(self, term: str) -> str:
        """A term as the papers write it: each word in its commonest form, an abbreviation the
        papers define spelt out ("cot reasoning" -> "chain-of-thought reasoning")."""
        shown = []
        for word in term.split():
            written = self.surfaces.get(word, word)
            shown.append(self.abbreviations.get(word, written) if _is_abbreviation(written) else written)
        return " ".join(shown)

    def _abbreviated(self, long_form: str, short: str) -> str:
        """A long form standing alone as a name part, with its abbreviation, as a person writes
        a heading ("chain-of-thought (CoT)"): papers that write only "CoT" hold the name too."""
        return f"{long_form} ({self.surfaces.get(short, short)})"


def _generic(word: str) -> bool:
    """Whether a word of a name is generic (NAME_GENERIC), in the singular or the plural ("capabilities")."""
    return any(form in NAME_GENERIC for form in
               (word, word[:-3] + "y" if word.endswith("ies") else word, word[:-1] if word.endswith("s") else word))


def _title_word(word: str) -> bool:
    """Whether a word of a title may name a topic alone: a word of prose is (_titled), but not a
    joining word, boilerplate, a generic word, a number or half of a hyphenated word."""
    return (word not in STOP_WORDS and word not in WORD_PARTS and not _generic(word)
            and not _NUMBERISH.fullmatch(word))


def _prefixes(words: set[str]) -> set[str]:
    """Words as the name fit tells them apart: "robot" and "robotic" are one."""
    return {word[:NAME_FIT_PREFIX] for word in words}


def _is_abbreviation(written: str) -> bool:
    """A word written with two capitals or more ("CoT", "RAG", "LoRA"), not a word in capitals by accident."""
    return sum(char.isupper() for char in written) >= 2


def surface_forms(titles: Sequence[str], abstracts: Sequence[str]) -> dict[str, str]:
    """Each lower-case word -> how the papers most often write it ("KV", "LoRA", "Gaussian",
    "diffusion"). Abstracts are read first: titles capitalise every word, abstracts only names.
    A capitalised word next to another in an abstract is a name in title case ("Graphical User
    Interface"), so it counts only where the abstracts write the word nowhere else. A word no
    abstract has takes its form from the titles. Equal counts go to the lower-case form, then
    alphabetically."""
    def commonest(seen: Counter) -> dict[str, str]:
        best: dict[str, tuple] = {}
        for form, times in seen.items():
            lower = form.lower()
            key = (-times, form != lower, form)
            if lower not in best or key < best[lower]:
                best[lower] = key
        return {lower: key[2] for lower, key in best.items()}

    in_titles = Counter(found for text in titles for found in _WORD.findall(match_ascii_case(text)))
    in_runs: Counter = Counter()
    elsewhere: Counter = Counter()
    for text in abstracts:
        words = _WORD.findall(match_ascii_case(text))
        capital = [word[0].isupper() for word in words] + [False]  # the last is both ends' neighbour
        for at, word in enumerate(words):
            run = capital[at] and (capital[at - 1] or capital[at + 1]) and word[1:].islower()
            (in_runs if run else elsewhere)[word] += 1
    return commonest(in_titles) | commonest(in_runs) | commonest(elsewhere)


def match_ascii_case(text: str) -> str:
    """Text in ASCII, accents dropped, case kept: the words the build matches, as written."""
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def defined_abbreviations(abstracts: Sequence[str]) -> dict[str, str]:
    """Abbreviations the papers define ("chain-of-thought (CoT)"), lower-case and singular, ->
    their commonest long form. An abbreviation defined once only may be a one-paper coinage and
    is left out, as is one whose long form says nothing (no word outside NAME_GENERIC)."""
    found: dict[str, Counter] = {}
    for text in abstracts:
        text = match_ascii_case(text)
        for match in _ABBREVIATION.finditer(text):
            short = match.group(1)
            if not _is_abbreviation(short):
                continue
            before = text[max(0, match.start() - _LONG_FORM_CHARS):match.start()]
            before = re.split(r"[^\w\s'-]", before)[-1].strip()  # the long form ends a clause
            long_form = _long_form(short, before)
            if long_form is None:
                continue
            key = short.lower()
            if key.endswith("s") and short[-1] == "s" and long_form.endswith("s"):  # "LLMs": plural
                key, long_form = key[:-1], long_form[:-1]
            found.setdefault(key, Counter())[long_form] += 1
    spelt: dict[str, str] = {}
    for key, forms in sorted(found.items()):
        # "Mixture-of-Experts" and "mixture of experts" are one long form, written the commonest way.
        written: dict[str, Counter] = {}
        for form, times in forms.items():
            written.setdefault(match_text(form), Counter())[_lower_words(form)] += times
        words, ways = min(written.items(), key=lambda item: (-sum(item[1].values()), item[0]))
        if sum(ways.values()) >= 2 and set(name_words(words)) - NAME_GENERIC:
            spelt[key] = min(ways.items(), key=lambda item: (-item[1], item[0]))[0]
    return spelt


def _long_form(short: str, before: str) -> str | None:
    """The words before an abbreviation that it abbreviates: each of its letters, from the last,
    found in order from the end of the text, the first at the start of a word (as Schwartz and
    Hearst's algorithm does); None when they are not there or take too many words."""
    letters = [char.lower() for char in short if char.isalnum()]
    if short.endswith("s") and len(letters) > 2:  # a plural's s need not be spelt out
        letters = letters[:-1]
    text = before.lower()
    at = len(text) - 1
    for index in range(len(letters) - 1, -1, -1):
        while at >= 0 and (text[at] != letters[index] or
                           (index == 0 and at > 0 and text[at - 1].isalnum())):
            at -= 1
        if at < 0:
            return None
        at -= 1
    start = text.rfind(" ", 0, at + 2) + 1
    long_form = before[start:].strip()
    words = len(long_form.split())
    if not long_form or words > len(letters) + 2 or long_form.lower() == short.lower():
        return None
    return long_form


def _lower_words(form: str) -> str:
    """A long form in lower case, but for words that hold a capital past their first letter ("LoRA")."""
    return re.sub(r"[A-Za-z0-9]+", lambda m: m.group() if any(c.isupper() for c in m.group()[1:])
                  else m.group().lower(), form)


def _central(vectors: sparse.csr_matrix, members: np.ndarray) -> list[int]:
    """The CENTRAL_PAPERS members most similar to the members' mean vector; ties to the lower index."""
    if not len(members):
        return []
    rows = vectors[members]
    centre = np.asarray(rows.mean(axis=0)).ravel()
    similarity = rows @ centre
    order = np.lexsort((members, -np.round(similarity, 6)))
    return [int(members[i]) for i in order[:CENTRAL_PAPERS]]


def _named(topics: list) -> list[SuggestedTopic]:
    """Each topic with its name; a name or slug already taken gets a number."""
    named: list[SuggestedTopic] = []
    taken_names: set[str] = set()
    taken_slugs: set[str] = {CATCH_ALL_SLUG}
    for papers, parts, terms, central in topics:
        parts = parts or [term for term, _ in terms[:1]]
        name = base_name = _capitalised(_listed(parts))
        number = 2
        while name in taken_names:
            name, number = f"{base_name} ({number})", number + 1
        slug = base_slug = slugify(name)[:60].strip("-") or "topic"
        number = 2
        while slug in taken_slugs:
            slug, number = f"{base_slug}-{number}", number + 1
        taken_names.add(name)
        taken_slugs.add(slug)
        named.append(SuggestedTopic(slug=slug, name=name, description=f"Papers on {_listed(parts)}.",
                                    terms=terms, central=central, papers=papers))
    return named


def _listed(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- topics.toml ------------------------------------------------------------------------------------


def taxonomy_toml(suggestion: Suggestion, catch_all_name: str = "Other papers") -> str:
    """The suggestion as topics.toml text, in the format the build reads, the catch-all last."""
    rules = suggestion.rules
    lines = [
        "# A taxonomy suggested by `python build.py topics suggest` from the catalogue's own papers.",
        f"# {suggestion.total} {_plural(suggestion.total, 'paper')} in {len(suggestion.topics)} "
        f"{_plural(len(suggestion.topics), 'topic')}; {suggestion.unassigned} in the catch-all, "
        "which no topic fits well enough.",
        "# Read it, rename topics, move or reweigh terms, pin papers in topic_overrides.toml, and rebuild.",
        "# Terms match whole words, any case, a plural s/es allowed; a title match counts title_weight",
        "# times one in the abstract. A paper's primary topic is the highest-scoring one, or with named_first",
        "# the first of its topics whose name its title or abstract holds.",
        "",
        "[assignment]",
        f"title_weight = {_number(rules.title_weight)}",
        f"abstract_cap = {rules.abstract_cap}",
        f"min_score = {_number(rules.min_score)}",
        f"secondary_ratio = {_number(rules.secondary_ratio)}",
        f"strong_score = {_number(rules.strong_score)}",
        f"max_topics = {rules.max_topics}",
        f"named_first = {str(rules.named_first).lower()}",
        f"unnamed_min_score = {_number(rules.unnamed_min_score)}",
    ]
    for topic in suggestion.topics:
        lines += ["", "[[topic]]",
                  f"# {topic.papers} {_plural(topic.papers, 'paper')} as primary topic. Most central:"]
        lines += [f"#   {_comment_text(paper.title)} ({paper.id})" for paper in topic.central]
        lines += [f"slug = {_string(topic.slug)}", f"name = {_string(topic.name)}",
                  f"description = {_string(topic.description)}", "[topic.terms]"]
        lines += [f"{_string(term)} = {_number(weight)}" for term, weight in topic.terms]
    lines += ["", "[[topic]]", f"slug = {_string(CATCH_ALL_SLUG)}", f"name = {_string(catch_all_name)}",
              'description = "Papers no other topic fits."', "catch_all = true", ""]
    return "\n".join(lines)


def _plural(count: int, noun: str) -> str:
    return noun if count == 1 else noun + "s"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _string(text: str) -> str:
    """A TOML basic string: backslashes, quotes and control characters escaped."""
    escaped = []
    for char in text:
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def _comment_text(text: str) -> str:
    """A title on one comment line: plain text, whitespace folded, no control characters."""
    return " ".join("".join(c if c.isprintable() else " " for c in plain_text(text)).split())
