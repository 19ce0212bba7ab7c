"""How well a suggested taxonomy fits: balance, separation, related pairs kept together, and speed.

Measured on three catalogues: the 2024 corpus (written as seed files by bench/corpus_seeds.py),
the corpus joined with the seeds, and the seeds alone; speed on a synthetic 10,000-paper catalogue
(bench/synth.py). Each taxonomy is suggested, written, read back and assigned exactly as the build
does, and the figures are taken from the build's assignment:

- balance: papers on the largest topic's page (any rank) and of the catch-all, as shares;
- separation: the share of papers (outside the catch-all) whose tf-idf vector is closer by cosine
  to the centroid of their primary topic than to any other topic's; the paper's own vector is left
  out of its topic's centroid, or a paper's unique words would make it closest to its own topic;
- related pairs: of the pairs of papers that the related-paper search puts in each other's top 5,
  the share with the same primary topic, against the same share under site_src/topics.toml.

    python bench/topics_suggest.py [--corpus PATH] [--skip-speed]
"""

from __future__ import annotations

import argparse
import resource
import shutil
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

from bench.corpus_seeds import DEFAULT_CORPUS, write_corpus_seeds  # noqa: E402
from bench.synth import write_catalogue  # noqa: E402
from paper_catalogue.models import Catalogue, SiteConfig  # noqa: E402
from paper_catalogue.pipeline import read_catalogue  # noqa: E402
from paper_catalogue.related import RELATED_PER_PAPER, related_links, tfidf_matrix  # noqa: E402
from paper_catalogue.topic_suggest import suggest_taxonomy, taxonomy_toml  # noqa: E402
from paper_catalogue.topics import Taxonomy, assign_topics, load_taxonomy, parse_taxonomy  # noqa: E402

OUT = ROOT / "bench" / "out"
CURATED = ROOT / "site_src" / "topics.toml"


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


def mutual_pairs(catalogue: Catalogue) -> list[tuple[str, str]]:
    """Pairs of papers each in the other's top RELATED_PER_PAPER related papers."""
    links = related_links(catalogue, RELATED_PER_PAPER)
    near = {paper: {other for other, _ in related} for paper, related in links.items()}
    return sorted((a, b) for a, others in near.items() for b in others if a < b and a in near.get(b, ()))


def shared_share(pairs: list[tuple[str, str]], catalogue: Catalogue, primary: list[str]) -> float:
    topic_of = {paper.id: slug for paper, slug in zip(catalogue.papers, primary)}
    return sum(topic_of[a] == topic_of[b] for a, b in pairs) / max(len(pairs), 1)


def measure(name: str, seeds: Path, compare_curated: bool = False) -> dict:
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
        "suggest s": seconds,
    }
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="the 2024 corpus (JSON lines)")
    parser.add_argument("--skip-speed", action="store_true", help="leave out the 10,000-paper timing")
    parser.add_argument("--only", choices=["corpus", "joined", "seeds"], help="measure one catalogue")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    corpus = write_corpus_seeds(args.corpus, OUT / "corpus-seeds")
    joined = OUT / "joined-seeds"
    shutil.rmtree(joined, ignore_errors=True)
    joined.mkdir()
    for path in sorted(corpus.glob("*.txt")) + sorted((ROOT / "seeds").glob("*.txt")):
        shutil.copyfile(path, joined / path.name)
    catalogues = {"corpus": (corpus, False), "joined": (joined, False), "seeds": (ROOT / "seeds", True)}
    for name, (seeds, compare) in catalogues.items():
        if args.only and name != args.only:
            continue
        figures = measure(name, seeds, compare)
        print(f"{name}:")
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
