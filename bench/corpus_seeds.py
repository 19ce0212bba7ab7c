"""The real-record corpus (one JSON object a line) as seed files in the seeds' spaced layout.

A listing page shows each record with its whitespace collapsed, so titles and abstracts are
written that way: what a person copying the page would paste. Records are written in corpus
order, PAPERS_PER_FILE to a file, so the same corpus always gives the same files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from paper_catalogue.models import Entry, Organization, Source  # noqa: E402
from paper_catalogue.seeds import format_spaced  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "hf-daily-papers-2024.jsonl"
DEFAULT_API_SAMPLE = ROOT.parent / "shared" / "corpus" / "hf-api"
PAPERS_PER_FILE = 200
_SPACE_RUN = re.compile(r"\s+")


def collapsed(text: str) -> str:
    return _SPACE_RUN.sub(" ", text).strip()


def corpus_entries(corpus: Path) -> list[Entry]:
    """Every record of the corpus as an Entry, in corpus order."""
    entries = []
    with corpus.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            record = json.loads(line)
            organization = record.get("organization")
            entries.append(Entry(
                title=collapsed(record["title"]),
                abstract=collapsed(record.get("abstract") or ""),
                published=dt.date.fromisoformat(record["date"]) if record.get("date") else None,
                upvotes=record.get("upvotes"),
                authors=record.get("authors") or None,
                organization=Organization(handle=slug_of(organization), name=organization) if organization else None,
                source=Source(file=corpus.name, line=number),
            ))
    return entries


def halves_by_date(entries: list[Entry]) -> tuple[list[Entry], list[Entry]]:
    """The entries in date order (undated last, equal dates in corpus order), cut in two: the
    earlier half to tune a method on, the later half held out to measure it on."""
    ordered = sorted(entries, key=lambda entry: (entry.published is None, entry.published or dt.date.min))
    middle = len(ordered) // 2
    return ordered[:middle], ordered[middle:]


def api_sample_entries(folder: Path) -> list[Entry]:
    """Every paper of the daily-papers API responses in folder (`*.json`, each a JSON list of
    items), once each, in file order; a file that is not such a list is left out with a message."""
    entries, seen = [], set()
    for path in sorted(folder.glob("*.json")):
        try:
            items = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            print(f"{path}: left out: {error}", file=sys.stderr)
            continue
        for number, item in enumerate(items if isinstance(items, list) else [], 1):
            paper = item.get("paper") if isinstance(item, dict) else None
            if not isinstance(paper, dict) or not paper.get("title") or paper.get("id") in seen:
                continue
            seen.add(paper.get("id"))
            published = str(paper.get("publishedAt") or "")[:10]
            entries.append(Entry(
                title=collapsed(paper["title"]),
                abstract=collapsed(paper.get("summary") or ""),
                published=dt.date.fromisoformat(published) if published else None,
                upvotes=paper.get("upvotes"),
                authors=len(paper.get("authors") or []) or None,
                source=Source(file=path.name, line=number),
            ))
    return entries


def slug_of(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-") or "org"


def write_corpus_seeds(corpus: Path, folder: Path, count: int | None = None) -> Path:
    """Write the corpus as seed files into folder (made if needed; its *.txt files replaced).

    With `count`, exactly that many papers: the corpus is repeated, each round's titles made new
    by a suffix (" (reprint 2)"), so a large catalogue of real text has real word frequencies
    and abstract lengths."""
    entries = corpus_entries(corpus)
    if count is not None:
        entries = [entry if index < len(entries) else
                   entry.model_copy(update={"title": f"{entry.title} (reprint {index // len(entries) + 1})"})
                   for index, entry in ((index, entries[index % len(entries)]) for index in range(count))]
    return write_seeds(entries, folder)


def write_seeds(entries: list[Entry], folder: Path) -> Path:
    """Entries as seed files of PAPERS_PER_FILE papers each, in the seeds' spaced layout, into
    folder (made if needed; its *.txt files replaced)."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.txt"):
        old.unlink()
    for start in range(0, len(entries), PAPERS_PER_FILE):
        name = f"{start // PAPERS_PER_FILE:05d}_corpus.txt"
        (folder / name).write_text(format_spaced(entries[start:start + PAPERS_PER_FILE]), encoding="utf-8")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the JSON-lines corpus as seed files.")
    parser.add_argument("folder", type=Path, help="where the seed files go (its *.txt are replaced)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="the corpus (JSON lines)")
    parser.add_argument("--count", type=int, default=None,
                        help="write this many papers, repeating the corpus under new titles (default: the corpus once)")
    args = parser.parse_args(argv)
    write_corpus_seeds(args.corpus, args.folder, args.count)
    print(f"{args.corpus} -> {args.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
