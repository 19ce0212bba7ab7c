"""The real-records corpus (JSON lines) as listing dumps in the seeds' spaced layout, for benchmarks.

    python bench/corpus.py CORPUS.jsonl SEEDS_DIR [--limit N]

A listing page shows a title on one line and an abstract as one paragraph, so the records' hard
line breaks become spaces; everything else (LaTeX, URLs, accents) stays as the record has it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from paper_catalogue.models import Entry, Source  # noqa: E402
from paper_catalogue.seeds import format_spaced  # noqa: E402

PAPERS_PER_FILE = 200


def corpus_entries(corpus: Path, limit: int | None = None) -> list[Entry]:
    """The corpus's records as entries, in file order; `limit` keeps the first N."""
    entries = []
    with open(corpus, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if limit is not None and len(entries) >= limit:
                break
            record = json.loads(line)
            entries.append(Entry(
                title=" ".join(record["title"].split()), abstract=" ".join(record["abstract"].split()),
                published=dt.date.fromisoformat(record["date"]) if record.get("date") else None,
                upvotes=record.get("upvotes"), authors=record.get("authors") or None,
                source=Source(file=corpus.name, line=number),
            ))
    return entries


def write_corpus_seeds(corpus: Path, folder: Path, limit: int | None = None) -> list[Entry]:
    """Write the entries as seed files of PAPERS_PER_FILE papers each into `folder`; returns them."""
    entries = corpus_entries(corpus, limit)
    folder.mkdir(parents=True, exist_ok=True)
    for start in range(0, len(entries), PAPERS_PER_FILE):
        (folder / f"corpus_{start // PAPERS_PER_FILE:03d}.txt").write_text(
            format_spaced(entries[start:start + PAPERS_PER_FILE]), encoding="utf-8")
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("seeds", type=Path)
    parser.add_argument("--limit", type=int)
    args = parser.parse_args(argv)
    entries = write_corpus_seeds(args.corpus, args.seeds, args.limit)
    print(f"{len(entries)} papers written to {args.seeds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
