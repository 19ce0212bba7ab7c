"""The data export's sizes for a synthetic N-paper catalogue: the papers.json index and each part.

    python bench/export_sizes.py 10000 [--work DIR] [--seeds DIR]

Builds the catalogue without the search index (the export does not depend on it) and prints one row
per file of the export, with its size as written and the size of the JSON it holds (the parts are
gzipped), then the sum of the parts.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from bench.synth import write_catalogue  # noqa: E402
from paper_catalogue.pipeline import BuildOptions, build  # noqa: E402
from paper_catalogue.urls import EXPORT_URL  # noqa: E402


def export_rows(site: Path) -> list[tuple[str, int | None, int, int]]:
    """(file, papers, bytes, JSON bytes) for the index and each part it lists, in the index's order."""
    index_path = site / EXPORT_URL
    index = json.loads(index_path.read_text(encoding="utf-8"))
    rows = [(EXPORT_URL, index["count"], *_sizes(index_path))]
    rows += [(part["url"], part["count"], *_sizes(site / part["url"])) for part in index["parts"]]
    return rows


def _sizes(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    return len(data), len(gzip.decompress(data) if path.suffix == ".gz" else data)


def table(rows: list[tuple[str, int | None, int, int]]) -> str:
    parts = rows[1:]
    total = ("all parts", sum(r[1] for r in parts), sum(r[2] for r in parts), sum(r[3] for r in parts))
    lines = ["| file | papers | bytes | JSON bytes |", "| --- | ---: | ---: | ---: |"]
    lines += [f"| {name} | {papers:,} | {size:,} | {plain:,} |" for name, papers, size, plain in [*rows, total]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, help="number of papers")
    parser.add_argument("--work", type=Path, default=None, help="keep the seeds and the site here")
    parser.add_argument("--seeds", type=Path, default=ROOT / "seeds", help="real seeds to recombine")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="export-sizes-") as scratch:
        work = args.work or Path(scratch)
        seeds = write_catalogue(args.count, work / f"seeds-{args.count}", args.seeds)
        site = work / f"site-{args.count}"
        build(BuildOptions(seeds=seeds, out=site, site_src=ROOT / "site_src", templates=ROOT / "templates",
                           static=ROOT / "static", search_index=False, cache=None))
        print(table(export_rows(site)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
