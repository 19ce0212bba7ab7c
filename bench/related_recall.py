"""How many of the exact related papers the candidate search finds, on a sample of papers.

    python bench/related_recall.py bench/out/catalogue-10000/seeds [--sample 1000] [--postings 64]

The exact answer for the sampled papers comes from one product of their rows with every row, so
this runs in seconds even at 100,000 papers, where the exact search over all papers takes minutes.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from paper_catalogue import related  # noqa: E402
from paper_catalogue.models import SiteConfig  # noqa: E402
from paper_catalogue.pipeline import read_catalogue  # noqa: E402


def exact_neighbours(matrix, rows: list[int], k: int) -> list[list[int]]:
    """The exact top k of each sampled row: cosine best first, equal scores by lower index."""
    scores = (matrix[rows] @ matrix.T).toarray()
    found = []
    for at, row in enumerate(rows):
        scores[at, row] = 0.0
        line = scores[at]
        best = np.flatnonzero(line > 0)
        found.append(sorted(best.tolist(), key=lambda j: (-line[j], j))[:k])
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seeds", type=Path)
    parser.add_argument("--sample", type=int, default=1000, help="papers whose neighbours are checked (default 1000)")
    parser.add_argument("--postings", type=int, default=related.POSTINGS_KEPT,
                        help=f"rows kept per term (default {related.POSTINGS_KEPT}, the build's own)")
    args = parser.parse_args(argv)
    catalogue, _ = read_catalogue(args.seeds, SiteConfig())
    papers = catalogue.papers
    matrix, terms = related.tfidf_matrix([p.title for p in papers], [p.abstract for p in papers])
    started = time.perf_counter()
    found = related.top_similar(matrix, terms, postings=args.postings, shared_terms=0)
    seconds = time.perf_counter() - started
    sample = sorted(random.Random(0).sample(range(len(papers)), min(args.sample, len(papers))))
    expected = exact_neighbours(matrix, sample, related.RELATED_PER_PAPER)
    hits = sum(len(set(want) & {s.index for s in found[row]}) for row, want in zip(sample, expected))
    total = sum(len(want) for want in expected)
    print(f"{len(papers)} papers, {args.postings} rows kept per term: candidate search {seconds:.1f} s, "
          f"recall of the exact top {related.RELATED_PER_PAPER} on {len(sample)} papers: "
          f"{hits / max(total, 1):.1%} ({hits} of {total})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
