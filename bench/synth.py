"""Synthetic catalogues for benchmarks: N papers recombined from the real seeds, written as seed files.

Everything comes from one seeded RNG (random.Random(N)) over the sorted seed text, so the same N
and the same seeds give byte-identical files. Titles are unique by title_key, so N papers written
are N papers read back. The files are listing dumps (*.txt), or with `--format api` days of API
records (hf-daily/YYYY-MM-DD.json, a JSON list of items as `python build.py fetch` saves them),
whose papers also have an arXiv id, authors' names and, for some, a code repository.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
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


GIVEN_NAMES = ("Ana", "Bo", "Chen", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jun", "Kofi", "Lena",
               "Mateo", "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Sven", "Tariq", "Uma", "Wei", "Yara", "Zoe")
FAMILY_NAMES = ("Alvarez", "Brown", "Chen", "Dubois", "Eze", "Fischer", "Garcia", "Hoffmann", "Ivanova", "Kim",
                "Li", "Müller", "Nakamura", "Okafor", "Patel", "Rossi", "Silva", "Tanaka", "Wang", "Zhang")
"""Authors' names for API records: the listing seeds give only a count."""


def api_items(entries: list[Entry], rng: random.Random) -> dict[str, list[dict]]:
    """The entries as Daily Papers API items, by day (published date), in order: an arXiv id
    unique within its month, every author named, a repository for one paper in four."""
    days: dict[str, list[dict]] = {}
    serials: dict[str, int] = {}
    for entry in entries:
        month = entry.published.strftime("%y%m")
        serials[month] = serials.get(month, 0) + 1
        arxiv_id = f"{month}.{serials[month]:05d}"
        paper = {
            "id": arxiv_id, "title": entry.title, "summary": entry.abstract,
            "authors": [{"name": f"{rng.choice(GIVEN_NAMES)} {rng.choice(FAMILY_NAMES)}"}
                        for _ in range(entry.authors or rng.randint(1, 12))],
            "publishedAt": f"{entry.published.isoformat()}T00:00:00.000Z", "upvotes": entry.upvotes,
        }
        if rng.random() < 0.25:
            paper["githubRepo"] = f"https://github.com/synthetic/{arxiv_id.replace('.', '-')}"
            paper["githubStars"] = rng.randint(0, 5000)
        item: dict = {"paper": paper}
        if entry.organization is not None:
            item["organization"] = {"name": entry.organization.handle, "fullname": entry.organization.name}
        days.setdefault(entry.published.isoformat(), []).append(item)
    return days


def api_texts(count: int, material: Material) -> dict[str, str]:
    """The synthetic catalogue as API day files: name -> JSON text, one file per day."""
    days = api_items(list(synthetic_entries(count, material)), random.Random(count))
    return {f"hf-daily/{day}.json": json.dumps(items, ensure_ascii=False, indent=1) + "\n"
            for day, items in sorted(days.items())}


def fingerprint(seeds: Path) -> str:
    """Changes whenever this generator or the seeds it recombines change: the cache key."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in seed_files(seeds):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def write_catalogue(count: int, folder: Path, seeds: Path = ROOT / "seeds", api: bool = False) -> Path:
    """Write (or reuse, when its fingerprint matches) the N-paper catalogue in folder; returns it.
    `api`: as API day files instead of listing dumps."""
    stamp = folder / ".fingerprint"
    key = f"{count} {'api ' if api else ''}{fingerprint(seeds)}"
    if stamp.exists() and stamp.read_text() == key:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    material = load_material(seeds)
    for name, text in (api_texts if api else seed_texts)(count, material).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    stamp.write_text(key)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a synthetic N-paper catalogue as seed files.")
    parser.add_argument("count", type=int, help="number of papers")
    parser.add_argument("folder", type=Path, help="where the seed files go (replaced)")
    parser.add_argument("--seeds", type=Path, default=ROOT / "seeds", help="real seeds to recombine")
    parser.add_argument("--format", choices=("txt", "api"), default="txt",
                        help="listing dumps (default), or days of Hugging Face API records as JSON")
    args = parser.parse_args(argv)
    write_catalogue(args.count, args.folder, args.seeds, api=args.format == "api")
    print(f"{args.count} papers in {args.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
