"""A taxonomy suggested from the papers themselves: tf-idf groups -> weighted terms -> topics.toml text.

How, and why this way:
1. Each paper's title and abstract are cleaned by the pages' text policy (text.plain_text) and
   links are dropped. Terms are read as the build matches them (topics.match_text), leaving out
   URL parts, boilerplate, numbers and the halves of hyphenated words.
2. Papers are grouped by scikit-learn: k-means over the tf-idf vectors the related-paper search
   uses, reduced by LSA. The groups are what the papers say; what places a paper in a topic is
   the build's term matching, so:
3. a sparse linear classifier (LinearSVC with an L1 penalty) learns, from the build's own term
   scores, which terms tell each group from the others and how much; its positive weights are the
   topic's terms. Scoring papers with them as the build does gives the topics the build will
   assign, which the file's comments report.
4. Names, slugs and one-sentence descriptions come from the terms most of whose papers are in the
   topic, written as the papers write them ("KV cache", not "kv cache"); a comment lists the
   topic's three most central papers.
Deterministic: fixed random states, one thread for numeric sums, ties broken by order.
"""

from __future__ import annotations

import math
import re
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .models import Catalogue, Paper
from .related import STOP_WORDS, tfidf_matrix
from .text import find_links, plain_text
from .topics import AssignmentRules, match_ascii
from .urls import slugify

RULES = AssignmentRules(title_weight=3.0, abstract_cap=3, min_score=3.0, secondary_ratio=0.6,
                        strong_score=30.0, max_topics=3)
"""The [assignment] table of a suggested taxonomy: the build's defaults, with a second topic needing
60% of the first's score rather than half, so a paper's topic page is the one it mostly belongs to."""
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
LSA_DIMENSIONS_PER_TOPIC = 3
"""Dimensions the papers are reduced to before k-means, per topic sought (16 to 100 in all). On
the seeds (8 topics), 24 dimensions gave groups 88% of whose papers were nearer their own group's
centroid than any other's, 64 only 72%; the 2024 corpus (24 topics) wanted 50 to 100."""
N_INIT = 3
CATCH_ALL_SLUG = "other"
NAMING_TERMS = 12

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


def cluster_papers(vectors: sparse.csr_matrix, count: int) -> np.ndarray:
    """Each paper's group, 0..count-1: k-means over the tf-idf vectors reduced by LSA.

    Latent semantic analysis (a truncated SVD) folds words that occur together into one
    dimension, so two papers saying the same thing in different words land near each other;
    k-means over the raw, sparse vectors groups papers by the rare words they share instead.
    """
    from sklearn.cluster import KMeans  # scikit-learn only when a taxonomy is suggested
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import normalize

    papers = vectors.shape[0]
    if count <= 1:
        return np.zeros(papers, dtype=np.int64)
    # A term in one paper only cannot bring two papers together; leaving it out halves the SVD's work.
    vectors = vectors[:, np.bincount(vectors.indices, minlength=vectors.shape[1]) >= 2]
    dimensions = min(max(16, min(100, LSA_DIMENSIONS_PER_TOPIC * count)), vectors.shape[1] - 1, papers - 1)
    reduced = vectors.toarray() if dimensions < 2 else \
        TruncatedSVD(dimensions, random_state=0).fit_transform(vectors)
    model = KMeans(n_clusters=count, random_state=0, n_init=N_INIT)
    return model.fit_predict(normalize(reduced)).astype(np.int64)


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
    candidates = np.flatnonzero((df >= least) & (df <= max(MAX_TERM_SHARE, 2 / count) * papers))
    chosen: list[dict[int, float]] = [{} for _ in range(count)]
    groups = np.unique(labels)
    if not len(candidates) or len(groups) < 2:
        return chosen
    # Every step-th paper: a few thousand papers teach the weights as well as all of them, faster.
    sample = np.arange(0, papers, math.ceil(papers / FIT_PAPERS))
    if len(np.unique(labels[sample])) < len(groups):
        sample = np.arange(papers)
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


def primary_topics(scores: np.ndarray, rules: AssignmentRules) -> np.ndarray:
    """Each paper's primary topic (ties to the lower index, as the build breaks them), -1 for none."""
    best = np.argmax(scores, axis=1) if scores.shape[1] else np.zeros(scores.shape[0], dtype=np.int64)
    found = scores[np.arange(scores.shape[0]), best] >= rules.min_score if scores.shape[1] else \
        np.zeros(scores.shape[0], dtype=bool)
    return np.where(found, best, -1)


# --- the suggestion ---------------------------------------------------------------------------------


FEWEST_PAPERS = 3
"""A suggested topic holding fewer papers than this is too thin to be worth a page of its own."""


def suggest_taxonomy(catalogue: Catalogue, count: int | None = None, rules: AssignmentRules = RULES
                     ) -> Suggestion:
    """Topics for this catalogue: `count` of them (default_count when None), largest first.

    A group that ends up with no papers of its own, or with fewer than FEWEST_PAPERS where the
    catalogue is large enough, is dropped, and its papers go wherever the remaining terms place them.
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
    labels = cluster_papers(vectors, count)
    chosen = fit_terms(counts.hits, labels, count)
    assigned = primary_topics(score_papers(counts.hits, chosen), rules)
    small = len(papers) >= FEWEST_PAPERS * count
    sizes = np.bincount(assigned[assigned >= 0], minlength=count)
    least = FEWEST_PAPERS if small else 1
    kept = [group for group in range(count) if chosen[group] and sizes[group] >= least]
    # Largest first (equal sizes by group number); the build breaks a tie between two topics' scores
    # in favour of the one written first, so papers are scored again in the file's order.
    chosen = [chosen[group] for group in sorted(kept, key=lambda group: (-sizes[group], group))]
    assigned = primary_topics(score_papers(counts.hits, chosen), rules)
    present = counts.hits.copy()
    present.data[:] = 1.0
    topics = []
    for group, picked in enumerate(chosen):
        members = assigned == group
        terms = tuple(sorted(((str(counts.terms[c]), w) for c, w in picked.items()),
                             key=lambda item: (-item[1], item[0])))
        central = _central(vectors, np.flatnonzero(members))
        topics.append((int(members.sum()), _naming_terms(present, members, counts.terms), terms,
                       tuple(papers[i] for i in central)))
    surfaces = _surface_forms(titles, abstracts, {word for _, naming, _, _ in topics
                                                  for term in naming for word in term.split()})
    return Suggestion(topics=tuple(_named(topics, surfaces)), rules=rules, total=len(papers),
                      unassigned=int(np.sum(assigned < 0)))


def _naming_terms(present: sparse.csc_matrix, members: np.ndarray, terms: np.ndarray) -> list[str]:
    """The terms that best say what a topic's papers share: most of the papers having the term are
    in the topic (precision), and many of the topic's papers have it (coverage); the best first."""
    if not members.any():
        return []
    df = np.diff(present.indptr)
    have = np.asarray(present[np.flatnonzero(members)].sum(axis=0)).ravel()
    precision = np.divide(have, df, out=np.zeros(len(have)), where=df > 0)
    score = np.where(have >= 2, precision ** 2 * have / members.sum(), 0.0)
    order = np.lexsort((np.arange(len(score)), -score))[:NAMING_TERMS]
    return [str(terms[column]) for column in order.tolist() if score[column] > 0]


def _central(vectors: sparse.csr_matrix, members: np.ndarray) -> list[int]:
    """The CENTRAL_PAPERS members most similar to the members' mean vector; ties to the lower index."""
    if not len(members):
        return []
    rows = vectors[members]
    centre = np.asarray(rows.mean(axis=0)).ravel()
    similarity = rows @ centre
    order = np.lexsort((members, -np.round(similarity, 6)))
    return [int(members[i]) for i in order[:CENTRAL_PAPERS]]


def _surface_forms(titles: Sequence[str], abstracts: Sequence[str], words: set[str]) -> dict[str, str]:
    """Each of these lower-case words -> how the papers most often write it ("KV", "LoRA", "Gaussian",
    "diffusion"). Abstracts are read first: titles capitalise every word, abstracts only names."""
    seen: dict[str, Counter] = {word: Counter() for word in words}
    title_only: set[str] = set()
    if not words:
        return {}
    # One case-blind pattern for the few words wanted: the regex engine scans, not a Python loop.
    wanted = re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(sorted(map(re.escape, words), key=lambda w: (-len(w), w)))
                        + r")(?![A-Za-z0-9])", re.IGNORECASE)
    for text in abstracts:
        for found in wanted.findall(text):
            seen[found.lower()][found] += 1
    for text in titles:  # a word no abstract has
        for found in wanted.findall(text):
            if sum(seen[found.lower()].values()) == 0 or found.lower() in title_only:
                title_only.add(found.lower())
                seen[found.lower()][found] += 1
    # Most frequent; equal counts to the lower-case form, then alphabetically.
    return {lower: min(forms.items(), key=lambda item: (-item[1], item[0] != lower, item[0]))[0]
            for lower, forms in seen.items() if forms}


def _shown(term: str, surfaces: dict[str, str]) -> str:
    """A term as the papers write it: each word in its commonest form."""
    return " ".join(surfaces.get(word, word) for word in term.split())


def _named(topics: list, surfaces: dict[str, str]) -> list[SuggestedTopic]:
    """Names from each topic's two strongest distinct terms; a name or slug already taken gets a third."""
    named: list[SuggestedTopic] = []
    taken_names: set[str] = set()
    taken_slugs: set[str] = {CATCH_ALL_SLUG}
    for papers, ranked, terms, central in topics:
        distinct = _distinct(ranked or [term for term, _ in terms])
        name, slug = "", ""
        for size in range(2, len(distinct) + 2):
            parts = [_shown(term, surfaces) for term in distinct[:size]]
            name = _capitalised(_listed(parts))
            slug = slugify(name)[:60].strip("-") or "topic"
            if name not in taken_names and slug not in taken_slugs:
                break
        base, number = slug, 2
        while slug in taken_slugs:
            slug, number = f"{base}-{number}", number + 1
        taken_names.add(name)
        taken_slugs.add(slug)
        described = _listed([_shown(term, surfaces) for term in distinct[:4]])
        named.append(SuggestedTopic(slug=slug, name=name, description=f"Papers on {described}.",
                                    terms=terms, central=central, papers=papers))
    return named


def _distinct(ranked: list[str]) -> list[str]:
    """Ranked terms as distinct phrases: a term continuing a kept one extends it ("retrieval
    augmented" and "augmented generation" make "retrieval augmented generation"), and a term
    repeating a word of a kept one is left out."""
    kept: list[str] = []
    used: set[str] = set()
    for term in ranked:
        words = term.split()
        if not set(words) & used:
            kept.append(term)
            used |= set(words)
            continue
        for index, phrase in enumerate(kept):
            tail = phrase.split()
            if len(words) == 2 and tail[-1] == words[0] and words[1] not in used:
                kept[index] = f"{phrase} {words[1]}"
                used.add(words[1])
                break
    return kept


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
        f"{_plural(len(suggestion.topics), 'topic')}; {suggestion.unassigned} matched no topic's terms "
        "(the catch-all).",
        "# Read it, rename topics, move or reweigh terms, pin papers in topic_overrides.toml, and rebuild.",
        "# Terms match whole words, any case, a plural s/es allowed; a title match counts title_weight",
        "# times one in the abstract. The highest-scoring topic is a paper's primary topic.",
        "",
        "[assignment]",
        f"title_weight = {_number(rules.title_weight)}",
        f"abstract_cap = {rules.abstract_cap}",
        f"min_score = {_number(rules.min_score)}",
        f"secondary_ratio = {_number(rules.secondary_ratio)}",
        f"strong_score = {_number(rules.strong_score)}",
        f"max_topics = {rules.max_topics}",
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
