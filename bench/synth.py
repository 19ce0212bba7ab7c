"""Synthetic catalogues for benchmarks: N papers recombined from the real seeds, written as seed files.

Everything comes from one seeded RNG (random.Random(N)) over the sorted seed text, so the same N
and the same seeds give byte-identical files. Titles are unique by title_key, so N papers written
are N papers read back.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from paper_catalogue.models import Entry, Organization, Source  # noqa: E402
from paper_catalogue.seeds import FURNITURE, format_spaced, read_seed_file, seed_files  # noqa: E402
from paper_catalogue.urls import title_key  # noqa: E402

PAPERS_PER_FILE = 200
"""Real dumps hold one listing page each; a few hundred papers per file keeps file counts realistic."""
FIRST_DAY = dt.date(2019, 1, 1)
LAST_DAY = dt.date(2025, 12, 31)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


@dataclass(frozen=True)
class Material:
    """What the real seeds offer to recombine: title words, title heads, sentences, organisations."""

    title_words: tuple[str, ...]
    title_heads: tuple[str, ...]
    sentences: tuple[str, ...]
    organizations: tuple[Organization, ...]


def load_material(seeds: Path) -> Material:
    """Read the real seeds once; every pool is sorted and de-duplicated so the order is fixed."""
    words: set[str] = set()
    heads: set[str] = set()
    sentences: set[str] = set()
    organizations: set[tuple[str, str]] = set()
    for path in seed_files(seeds):
        for entry in read_seed_file(path).entries:
            head, colon, rest = entry.title.partition(": ")
            if colon and " " not in head:
                heads.add(head)
            words.update(word for word in (rest if colon else entry.title).split() if word != "Subscribe")
            sentences.update(part.strip() for part in SENTENCE_END.split(entry.abstract) if len(part) > 20)
            if entry.organization is not None:
                organizations.add((entry.organization.handle, entry.organization.name))
    return Material(
        title_words=tuple(sorted(words)),
        title_heads=tuple(sorted(heads)),
        sentences=tuple(sorted(sentences)),
        organizations=tuple(Organization(handle=h, name=n) for h, n in sorted(organizations)),
    )


def synthetic_entries(count: int, material: Material) -> Iterator[Entry]:
    """`count` papers with unique titles, in the order they will be written."""
    rng = random.Random(count)
    seen: set[str] = set()
    days = (LAST_DAY - FIRST_DAY).days
    made = 0
    while made < count:
        title = _title(rng, material)
        key = title_key(title)
        if not key or key in seen or title in FURNITURE:
            continue
        seen.add(key)
        made += 1
        abstract = " ".join(rng.sample(material.sentences, rng.randint(4, 9)))
        # Every paper gets an author count or an organisation: the spaced layout needs one of them
        # before its date, and real listings nearly always show one.
        organization = None
        authors = None
        if material.organizations and rng.random() < 0.1:
            organization = rng.choice(material.organizations)
        else:
            authors = rng.randint(1, 40)
        yield Entry(
            title=title,
            abstract=abstract,
            published=FIRST_DAY + dt.timedelta(days=rng.randint(0, days)),
            upvotes=min(int(rng.paretovariate(1.3)) - 1, 999),
            authors=authors,
            organization=organization,
            source=Source(file="synthetic.txt", line=1),
        )


def _title(rng: random.Random, material: Material) -> str:
    words = " ".join(rng.choices(material.title_words, k=rng.randint(4, 11)))
    if material.title_heads and rng.random() < 0.4:
        return f"{rng.choice(material.title_heads)}: {words}"
    return words


def seed_texts(count: int, material: Material) -> dict[str, str]:
    """The synthetic catalogue as seed files: name -> text, PAPERS_PER_FILE papers per file."""
    entries = list(synthetic_entries(count, material))
    return {
        f"{start // PAPERS_PER_FILE:05d}_synthetic.txt": format_spaced(entries[start:start + PAPERS_PER_FILE])
        for start in range(0, len(entries), PAPERS_PER_FILE)
    }


def fingerprint(seeds: Path) -> str:
    """Changes whenever this generator or the seeds it recombines change: the cache key."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in seed_files(seeds):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def write_catalogue(count: int, folder: Path, seeds: Path = ROOT / "seeds") -> Path:
    """Write (or reuse, when its fingerprint matches) the N-paper catalogue in folder; returns it."""
    stamp = folder / ".fingerprint"
    key = f"{count} {fingerprint(seeds)}"
    if stamp.exists() and stamp.read_text() == key:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, text in seed_texts(count, load_material(seeds)).items():
        (folder / name).write_text(text, encoding="utf-8")
    stamp.write_text(key)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a synthetic N-paper catalogue as seed files.")
    parser.add_argument("count", type=int, help="number of papers")
    parser.add_argument("folder", type=Path, help="where the seed files go (replaced)")
    parser.add_argument("--seeds", type=Path, default=ROOT / "seeds", help="real seeds to recombine")
    args = parser.parse_args(argv)
    write_catalogue(args.count, args.folder, args.seeds)
    print(f"{args.count} papers in {args.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
