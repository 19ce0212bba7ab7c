"""How well a suggested taxonomy fits: balance, separation, names, related pairs kept together, and speed.

The method was tuned on the earlier half of the 2024 corpus by date; it is measured on catalogues
it was not tuned on: the later half (held out), the seeds, and the API sample (the daily-papers
API responses in ../shared/corpus/hf-api, once each paper; most of its days are 2024 days of the
corpus, both halves, and its 65 papers of 2025 are measured alone too). Each is written as seed
files (bench/corpus_seeds.py); each taxonomy is suggested, written, read back and assigned exactly
as the build does, and the figures are taken from the build's assignment:

- balance: papers on the largest topic's page (any rank) and as primary topic, and in the
  catch-all, as shares;
- separation: the share of papers (outside the catch-all) whose tf-idf vector is closer by cosine
  to the centroid of their primary topic than to any other topic's; the paper's own vector is left
  out of its topic's centroid, or a paper's unique words would make it closest to its own topic;
- name fit (topics.name_fit): the share of a topic's primary papers whose title or abstract holds
  a word of the topic's name, matched on its first five letters; overall (over all primary papers
  outside the catch-all) and the lowest topic's;
- specific names: names holding a word (its first five letters) of one of the topic's 10 most
  distinctive terms by c-TF-IDF over its primary papers (word and two-word counts, English stop
  words and generic ones left out; a term's frequency in the topic's papers against its frequency
  in all topics), the word itself not generic (GENERIC_WORDS, or in more than GENERIC_SHARE of all
  papers): a name like "Models and methods" fits many papers but fails this;
- related pairs: of the pairs of papers that the related-paper search puts in each other's top 5,
  the share with the same primary topic, against the same share under site_src/topics.toml.

    python bench/topics_suggest.py [--corpus PATH] [--api-sample DIR] [--only NAME] [--skip-speed] [--names]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from scipy import sparse  # noqa: E402

from bench.corpus_seeds import (  # noqa: E402
    DEFAULT_API_SAMPLE,
    DEFAULT_CORPUS,
    api_sample_entries,
    corpus_entries,
    halves_by_date,
    write_seeds,
)
from bench.synth import write_catalogue  # noqa: E402
from paper_catalogue.models import Catalogue, SiteConfig  # noqa: E402
from paper_catalogue.pipeline import read_catalogue  # noqa: E402
from paper_catalogue.related import RELATED_PER_PAPER, STOP_WORDS, related_links, tfidf_matrix  # noqa: E402
from paper_catalogue.topic_suggest import EXTRA_STOP_WORDS, suggest_taxonomy, taxonomy_toml  # noqa: E402
from paper_catalogue.topics import (  # noqa: E402
    NAME_FIT_LEFT_OUT,
    NAME_FIT_PREFIX,
    Taxonomy,
    assign_topics,
    load_taxonomy,
    name_fit,
    name_words,
    parse_taxonomy,
)

OUT = ROOT / "bench" / "out"
CURATED = ROOT / "site_src" / "topics.toml"
DISTINCTIVE_TERMS = 10
GENERIC_SHARE = 0.35
"""A word in more of a catalogue's papers than this ("performance", "training") says nothing specific."""
GENERIC_WORDS = frozenset("""
    data dataset datasets system systems quality analysis study studies application applications
    capability capabilities method methods model models
""".split()) | STOP_WORDS | EXTRA_STOP_WORDS | NAME_FIT_LEFT_OUT
"""Words no name may rest on, on top of those in more than GENERIC_SHARE of the papers: the
suggestion's own lists of paper prose, the name fit's left-out words, and generic research nouns."""


def primaries(catalogue: Catalogue, taxonomy: Taxonomy) -> tuple[list[str], Counter]:
    """Each paper's primary topic as the build assigns it, and every topic's page size (any rank)."""
    assigned = assign_topics(catalogue, taxonomy).catalogue.papers
    return [p.topics[0] for p in assigned], Counter(slug for p in assigned for slug in p.topics)


def separation(vectors: sparse.csr_matrix, primary: list[str], catch_all: str) -> float:
    """Share of papers outside the catch-all nearer (cosine) their own topic's centroid, leaving
    the paper out of it, than any other topic's."""
    slugs = sorted(set(primary) - {catch_all})
    index = {slug: i for i, slug in enumerate(slugs)}
    rows = np.array([i for i, slug in enumerate(primary) if slug != catch_all])
    labels = np.array([index[primary[i]] for i in rows])
    one_hot = sparse.csr_matrix((np.ones(len(rows)), (labels, rows)), shape=(len(slugs), len(primary)))
    sums = (one_hot @ vectors).toarray()
    members = vectors[rows]
    dots = np.asarray((members @ sums.T))
    squares = (sums ** 2).sum(axis=1)
    own_square = np.asarray(members.multiply(members).sum(axis=1)).ravel()
    cosines = dots / np.sqrt(np.maximum(squares, 1e-12))[None, :]
    at = np.arange(len(rows))
    without = np.maximum(squares[labels] - 2 * dots[at, labels] + own_square, 1e-12)
    cosines[at, labels] = (dots[at, labels] - own_square) / np.sqrt(without)
    return float(np.mean(np.argmax(cosines, axis=1) == labels))


def name_fits(catalogue: Catalogue, taxonomy: Taxonomy, primary: list[str]) -> dict[str, tuple[float, int]]:
    """Each topic's name fit over its primary papers and how many those are (topics with papers only)."""
    members: dict[str, list] = {}
    for paper, slug in zip(catalogue.papers, primary):
        members.setdefault(slug, []).append(paper)
    return {topic.slug: (name_fit(topic.name, members[topic.slug]), len(members[topic.slug]))
            for topic in taxonomy.topics if not topic.catch_all and topic.slug in members}


def distinctive_terms(catalogue: Catalogue, primary: list[str], catch_all: str) -> dict[str, list[str]]:
    """Each topic's DISTINCTIVE_TERMS most distinctive terms by c-TF-IDF over its primary papers:
    a term's share of the topic's words, times log(1 + average words per topic / the term's count
    in all topics). Generic words are left out, as they are from a name."""
    from sklearn.feature_extraction.text import CountVectorizer

    slugs = sorted(set(primary) - {catch_all})
    texts = [f"{p.title}. {p.abstract}" for p in catalogue.papers]
    counts = CountVectorizer(stop_words=sorted(GENERIC_WORDS), ngram_range=(1, 2), min_df=2, max_df=GENERIC_SHARE,
                             token_pattern=r"(?u)\b[A-Za-z][A-Za-z0-9]+\b").fit(texts)
    matrix = counts.transform(texts)
    index = {slug: i for i, slug in enumerate(slugs)}
    rows = [i for i, slug in enumerate(primary) if slug != catch_all]
    one_hot = sparse.csr_matrix((np.ones(len(rows)), ([index[primary[i]] for i in rows], rows)),
                                shape=(len(slugs), len(primary)))
    per_topic = (one_hot @ matrix).toarray()
    tf = per_topic / np.maximum(per_topic.sum(axis=1, keepdims=True), 1)
    idf = np.log(1 + per_topic.sum() / len(slugs) / np.maximum(per_topic.sum(axis=0), 1))
    score = tf * idf
    terms = counts.get_feature_names_out()
    return {slug: [str(terms[j]) for j in np.lexsort((np.arange(score.shape[1]), -score[i]))[:DISTINCTIVE_TERMS]]
            for slug, i in index.items()}


def specific(name: str, distinctive: list[str], generic: set[str]) -> bool:
    """A name holding a word, not a generic one, of one of its topic's distinctive terms (on its
    first NAME_FIT_PREFIX letters)."""
    prefixes = {word[:NAME_FIT_PREFIX] for term in distinctive for word in term.split()}
    return any(word[:NAME_FIT_PREFIX] in prefixes for word in name_words(name) if word not in generic)


def generic_words(catalogue: Catalogue) -> set[str]:
    """GENERIC_WORDS and the words (as name_words reads them) in more than GENERIC_SHARE of the papers."""
    seen: Counter = Counter()
    for paper in catalogue.papers:
        seen.update(set(name_words(f"{paper.title} {paper.abstract}")))
    return GENERIC_WORDS | {word for word, count in seen.items() if count > GENERIC_SHARE * len(catalogue.papers)}


def mutual_pairs(catalogue: Catalogue) -> list[tuple[str, str]]:
    """Pairs of papers each in the other's top RELATED_PER_PAPER related papers."""
    links = related_links(catalogue, RELATED_PER_PAPER)
    near = {paper: {other for other, _ in related} for paper, related in links.items()}
    return sorted((a, b) for a, others in near.items() for b in others if a < b and a in near.get(b, ()))


def shared_share(pairs: list[tuple[str, str]], catalogue: Catalogue, primary: list[str]) -> float:
    topic_of = {paper.id: slug for paper, slug in zip(catalogue.papers, primary)}
    return sum(topic_of[a] == topic_of[b] for a, b in pairs) / max(len(pairs), 1)


def measure(name: str, seeds: Path, compare_curated: bool = False, show_names: bool = False) -> dict:
    catalogue, _ = read_catalogue(seeds, SiteConfig())
    started = time.perf_counter()
    text = taxonomy_toml(suggest_taxonomy(catalogue))
    seconds = time.perf_counter() - started
    (OUT / f"topics-{name}.toml").write_text(text, encoding="utf-8")
    taxonomy = parse_taxonomy(text, f"topics-{name}.toml")
    primary, pages = primaries(catalogue, taxonomy)
    total = len(catalogue.papers)
    catch_all = taxonomy.catch_all.slug
    vectors, _ = tfidf_matrix([p.title for p in catalogue.papers], [p.abstract for p in catalogue.papers])
    figures = {
        "papers": total,
        "topics": len(taxonomy.topics) - 1,
        "largest page": max(count for slug, count in pages.items() if slug != catch_all) / total,
        "largest primary": max(count for slug, count in Counter(primary).items() if slug != catch_all) / total,
        "catch-all": primary.count(catch_all) / total,
        "separation": separation(vectors, primary, catch_all),
    }
    fits = name_fits(catalogue, taxonomy, primary)
    placed = sum(papers for _, papers in fits.values())
    lowest = min(fits, key=lambda slug: (fits[slug][0], slug))
    names = {topic.slug: topic.name for topic in taxonomy.topics}
    figures["name fit"] = sum(fit * papers for fit, papers in fits.values()) / max(placed, 1)
    figures["lowest name fit"] = fits[lowest][0]
    figures["topics under 60% name fit"] = sum(fit < 0.6 for fit, _ in fits.values())
    distinctive = distinctive_terms(catalogue, primary, catch_all)
    generic = generic_words(catalogue)
    figures["specific names"] = f"{sum(specific(names[slug], distinctive[slug], generic) for slug in fits)} of {len(fits)}"
    figures["suggest s"] = seconds
    if show_names:
        for slug, (fit, papers) in sorted(fits.items(), key=lambda item: -item[1][1]):
            mark = "" if specific(names[slug], distinctive[slug], generic) else "  NOT SPECIFIC"
            print(f"    {papers:4} {fit:4.0%} {names[slug]}{mark}  [{', '.join(distinctive[slug][:6])}]")
        print(f"    lowest name fit: {names[lowest]}")
    curated = load_taxonomy(CURATED)
    curated_primary, curated_pages = primaries(catalogue, curated)
    figures["curated largest page"] = max(
        count for slug, count in curated_pages.items() if slug != curated.catch_all.slug) / total
    figures["curated catch-all"] = curated_primary.count(curated.catch_all.slug) / total
    figures["curated separation"] = separation(vectors, curated_primary, curated.catch_all.slug)
    if compare_curated:
        pairs = mutual_pairs(catalogue)
        figures["mutual top-5 pairs"] = len(pairs)
        figures["pairs sharing a topic"] = shared_share(pairs, catalogue, primary)
        figures["curated pairs sharing a topic"] = shared_share(pairs, catalogue, curated_primary)
        figures["ratio to curated"] = figures["pairs sharing a topic"] / figures["curated pairs sharing a topic"]
    return figures


def speed(count: int = 10_000) -> tuple[float, float]:
    """Wall and CPU seconds of `python build.py topics suggest` on a synthetic catalogue, start-up
    and reading included. On a shared machine the wall time also holds other programs' turns."""
    seeds = write_catalogue(count, OUT / f"synthetic-{count}")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "build.py"), "topics", "suggest", "--seeds", str(seeds)],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def catalogue_folders(corpus: Path, api_sample: Path, only: str | None) -> dict[str, tuple[Path, bool]]:
    """Name -> (seed folder, compare related pairs with the curated taxonomy), written under OUT."""
    tune, held_out = halves_by_date(corpus_entries(corpus))
    api = api_sample_entries(api_sample) if api_sample.is_dir() else []
    wanted = {"tune": lambda: write_seeds(tune, OUT / "tune-half-seeds"),
              "held-out": lambda: write_seeds(held_out, OUT / "held-out-half-seeds"),
              "seeds": lambda: ROOT / "seeds",
              "api": lambda: write_seeds(api, OUT / "api-sample-seeds"),
              "api-2025": lambda: write_seeds([e for e in api if e.published and e.published.year >= 2025],
                                              OUT / "api-2025-seeds")}
    if not api:
        del wanted["api"], wanted["api-2025"]
    return {name: (make(), name == "seeds") for name, make in wanted.items() if not only or name == only}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="the 2024 corpus (JSON lines)")
    parser.add_argument("--api-sample", type=Path, default=DEFAULT_API_SAMPLE,
                        help="folder of daily-papers API responses (*.json)")
    parser.add_argument("--skip-speed", action="store_true", help="leave out the 10,000-paper timing")
    parser.add_argument("--only", choices=["tune", "held-out", "seeds", "api", "api-2025"],
                        help="measure one catalogue")
    parser.add_argument("--names", action="store_true",
                        help="list each topic: primary papers, name fit, name, distinctive terms")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (seeds, compare) in catalogue_folders(args.corpus, args.api_sample, args.only).items():
        print(f"{name}:")
        figures = measure(name, seeds, compare, args.names)
        for key, value in figures.items():
            shown = f"{value:.1%}" if isinstance(value, float) and key not in ("suggest s", "ratio to curated") \
                else f"{value:.2f}" if isinstance(value, float) else str(value)
            print(f"  {key:32} {shown}")
    if not args.skip_speed:
        wall, cpu = speed()
        print(f"10,000 synthetic papers: `build.py topics suggest` in {wall:.1f} s ({cpu:.1f} s of CPU)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
